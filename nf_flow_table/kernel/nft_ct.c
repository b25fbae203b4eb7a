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
 * conntrack saw none of the offloaded packets: its TCP window state is stale.
 * Forget the windows (td_maxwin = 0 and no MAXACK, so tcp_in_window() learns
 * them again instead of judging the next packets INVALID). Under ct->lock.
 */
static void flowlane_fixup_tcp(struct nf_conn *ct, bool closed)
{
	int i;

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
}

/* The slowpath's timeout for the entry's state and the flowtable's; under ct->lock. */
static bool flowlane_state_timeouts(struct nf_conn *ct, bool closed, u32 *state, u32 *offload)
{
	struct net *net = nf_ct_net(ct);

	switch (nf_ct_protonum(ct)) {
	case IPPROTO_TCP:
		flowlane_fixup_tcp(ct, closed);
		*state = nf_tcp_pernet(net)->timeouts[ct->proto.tcp.state];
		/* A close the fastpath just carried spent none of CLOSE's timeout. */
		*offload = closed ? 0 : nf_tcp_pernet(net)->offload_timeout;
		return true;
	case IPPROTO_UDP:
		*state = nf_udp_pernet(net)->timeouts[test_bit(IPS_SEEN_REPLY_BIT, &ct->status) ?
						       UDP_CT_REPLIED : UDP_CT_UNREPLIED];
		*offload = nf_udp_pernet(net)->offload_timeout;
		return true;
	default:
		return false;
	}
}

/*
 * Give the entry back to the slowpath: the timeout the core computes
 * (fl_handback_timeout: never raised, the idle time spent), from the state and
 * the timeout read under the entry's lock, which conntrack's TCP tracking holds
 * while it moves the state.
 */
static void flowlane_ct_teardown(void *ctp, enum fl_teardown_reason why)
{
	struct nf_conn *ct = ctp;
	u32 state, offload;
	s32 left, want;

	clear_bit(IPS_OFFLOAD_BIT, &ct->status);
	spin_lock_bh(&ct->lock);
	if (flowlane_state_timeouts(ct, why == FL_TEARDOWN_TCP_CLOSED, &state, &offload)) {
		left = (s32)(READ_ONCE(ct->timeout) - nfct_time_stamp);
		want = fl_handback_timeout(left, state, offload);
		if (want < left)
			WRITE_ONCE(ct->timeout, nfct_time_stamp + want);
	}
	spin_unlock_bh(&ct->lock);
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
 * net.netfilter.nf_flowtable_{tcp,udp}_timeout and the `counter` flag is the
 * nft flowtable's (an update may set or clear it): copied into the core table
 * before each packet and each new flow, so that a change reaches live flows at
 * their next refresh and the next packet's accounting.
 */
void flowlane_sync_config(struct flowlane_ft *fft, struct net *net)
{
	u32 tcp = clamp_t(u32, nf_tcp_pernet(net)->offload_timeout / HZ, 1, 7 * 86400);
	u32 udp = clamp_t(u32, nf_udp_pernet(net)->offload_timeout / HZ, 1, 7 * 86400);
	unsigned int flags = fl_flowtable_flags_get(fft->core) & ~FL_FLOWTABLE_COUNTER;

	if (READ_ONCE(fft->nf->flags) & NF_FLOWTABLE_COUNTER)
		flags |= FL_FLOWTABLE_COUNTER;
	if (tcp != fl_flowtable_timeout(fft->core, IPPROTO_TCP))
		WARN_ON_ONCE(fl_flowtable_set_timeout(fft->core, IPPROTO_TCP, tcp));
	if (udp != fl_flowtable_timeout(fft->core, IPPROTO_UDP))
		WARN_ON_ONCE(fl_flowtable_set_timeout(fft->core, IPPROTO_UDP, udp));
	if (flags != fl_flowtable_flags_get(fft->core))
		WARN_ON_ONCE(fl_flowtable_set_flags(fft->core, flags));
}
