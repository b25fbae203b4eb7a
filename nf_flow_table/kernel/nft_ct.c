// SPDX-License-Identifier: GPL-2.0
/*
 * Conntrack entries and routes as the core's opaque handles: is the entry
 * dying, give it back on teardown, account fastpath packets, drop references;
 * is a cached route still valid, drop it.
 */
#include <net/dst.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_conntrack_acct.h>
#include <net/netfilter/nf_conntrack_l4proto.h>

#include "nf_flow_table/kernel/nft_glue.h"

static bool flowlane_ct_alive(void *ct)
{
	return !nf_ct_is_dying(ct);
}

/*
 * conntrack saw none of the offloaded packets: its TCP window state is stale
 * and its timeout was pushed a day ahead. Forget the windows (td_maxwin = 0 and
 * no MAXACK, so tcp_in_window() learns them again instead of judging the next
 * packets INVALID) and restart the timeout of the current state, relative to
 * now, never zero.
 */
static u32 flowlane_fixup_tcp(struct nf_conn *ct, bool closed)
{
	struct nf_tcp_net *tn = nf_tcp_pernet(nf_ct_net(ct));
	u8 state;
	int i;

	spin_lock_bh(&ct->lock);
	for (i = 0; i < 2; i++) {
		ct->proto.tcp.seen[i].td_maxwin = 0;
		ct->proto.tcp.seen[i].flags &= ~IP_CT_TCP_FLAG_MAXACK_SET;
	}
	/*
	 * The fastpath carried the FIN or RST: conntrack never saw the close.
	 * Put the entry in CLOSE, marked as closed by the original side, so that
	 * a new SYN on the same ports is taken as a reopen, not as invalid.
	 */
	if (closed) {
		ct->proto.tcp.state = TCP_CONNTRACK_CLOSE;
		ct->proto.tcp.seen[0].flags |= IP_CT_TCP_FLAG_CLOSE_INIT;
	}
	state = ct->proto.tcp.state;
	spin_unlock_bh(&ct->lock);
	return tn->timeouts[state];
}

static u32 flowlane_fixup_udp(struct nf_conn *ct)
{
	struct nf_udp_net *un = nf_udp_pernet(nf_ct_net(ct));

	return test_bit(IPS_SEEN_REPLY_BIT, &ct->status) ? un->timeouts[UDP_CT_REPLIED]
							 : un->timeouts[UDP_CT_UNREPLIED];
}

static void flowlane_ct_teardown(void *ctp, enum fl_teardown_reason why)
{
	struct nf_conn *ct = ctp;
	u32 timeout;

	clear_bit(IPS_OFFLOAD_BIT, &ct->status);
	switch (nf_ct_protonum(ct)) {
	case IPPROTO_TCP:
		timeout = flowlane_fixup_tcp(ct, why == FL_TEARDOWN_TCP_CLOSED);
		break;
	case IPPROTO_UDP:
		timeout = flowlane_fixup_udp(ct);
		break;
	default:
		return;
	}
	WRITE_ONCE(ct->timeout, nfct_time_stamp + max_t(u32, timeout, HZ));
}

/*
 * An offloaded entry's timeout is pushed a day ahead when the flow is added and
 * again whenever GC finds less than half of that left: conntrack's own GC does
 * not do it for flowtables on every kernel (6.12's leaves it to the flowtable),
 * and an expired entry would be evicted by the next lookup. The exchange loses
 * to a concurrent write by conntrack's packet path, which knows better.
 */
void flowlane_ct_keepalive(void *ctp)
{
	struct nf_conn *ct = ctp;
	u32 timeout = READ_ONCE(ct->timeout);
	s32 left = (s32)(timeout - nfct_time_stamp);

	if (left <= 0 || left >= NF_CT_DAY / 2 || !test_bit(IPS_OFFLOAD_BIT, &ct->status))
		return;
	cmpxchg(&ct->timeout, timeout, nfct_time_stamp + NF_CT_DAY);
}

static void flowlane_ct_release(void *ct)
{
	nf_ct_put(ct);
}

static void flowlane_ct_account(void *ct, enum fl_dir dir, fl_u64 packets, fl_u64 bytes)
{
	nf_ct_acct_add(ct, dir, packets, bytes);
}

static bool flowlane_route_valid(void *route, fl_u32 cookie)
{
	return dst_check(route, cookie) != NULL;
}

static void flowlane_route_release(void *route)
{
	dst_release(route);
}

const struct fl_flowtable_ops flowlane_ops = {
	.ct_alive = flowlane_ct_alive,
	.ct_teardown = flowlane_ct_teardown,
	.ct_release = flowlane_ct_release,
	.ct_account = flowlane_ct_account,
	.ct_keepalive = flowlane_ct_keepalive,
	.route_valid = flowlane_route_valid,
	.route_release = flowlane_route_release,
};

/*
 * The flowtable timeouts are conntrack's per-netns sysctls
 * net.netfilter.nf_flowtable_{tcp,udp}_timeout, read when a flow is added.
 */
void flowlane_sync_timeouts(struct flowlane_ft *fft, struct net *net)
{
	u32 tcp = clamp_t(u32, nf_tcp_pernet(net)->offload_timeout / HZ, 1, 7 * 86400);
	u32 udp = clamp_t(u32, nf_udp_pernet(net)->offload_timeout / HZ, 1, 7 * 86400);

	if (tcp != fl_flowtable_timeout(fft->core, IPPROTO_TCP))
		WARN_ON_ONCE(fl_flowtable_set_timeout(fft->core, IPPROTO_TCP, tcp));
	if (udp != fl_flowtable_timeout(fft->core, IPPROTO_UDP))
		WARN_ON_ONCE(fl_flowtable_set_timeout(fft->core, IPPROTO_UDP, udp));
}
