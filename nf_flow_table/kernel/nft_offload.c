// SPDX-License-Identifier: GPL-2.0
/*
 * The `flow add @f` action: decide from conntrack and the packet whether the
 * connection may be offloaded, find both directions' routes (and, for bridge,
 * VLAN and PPPoE paths, the real devices and encapsulations behind them), and
 * describe the flow to the core in its own terms.
 */
#include <linux/etherdevice.h>
#include <linux/netdevice.h>
#include <linux/tcp.h>
#include <net/dst.h>
#include <net/ip.h>
#include <net/ip6_route.h>
#include <net/ip6_tunnel.h>
#include <net/ip_tunnels.h>
#include <net/neighbour.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_conntrack_extend.h>
#include <net/netfilter/nf_conntrack_helper.h>
#include <net/netfilter/nf_conntrack_l4proto.h>
#include <net/netfilter/nf_tables.h>
#include <net/xfrm.h>

#include "nf_flow_table/kernel/fault.h"
#include "nf_flow_table/kernel/nft_glue.h"

/* What routing and forward-path discovery found for one direction. */
struct flowlane_route_dir {
	struct dst_entry *dst; /* held */
	int in_ifindex;
	struct fl_encap in_encap[FL_ENCAP_MAX]; /* in path order: innermost first */
	u8 in_num_encaps;
	u8 kind; /* enum fl_xmit_kind */
	int out_ifindex;
	int out_hw_ifindex;
	u8 h_source[ETH_ALEN];
	u8 h_dest[ETH_ALEN];
	struct fl_tunnel in_tun; /* the IP tunnel this direction arrives in, if any */
	u16 tun_mtu;             /* leaving through a tunnel: the inner packet's MTU */
};

struct flowlane_route {
	struct flowlane_route_dir d[2];
};

/* ------------------------------------------------------------- eligibility */

static bool flowlane_skb_skip(const struct sk_buff *skb, int pf)
{
	if (skb_sec_path(skb))
		return true;
	return pf == NFPROTO_IPV4 && IPCB(skb)->opt.optlen;
}

/* TCP must be established and this packet no FIN or RST; UDP always. */
static bool flowlane_l4_eligible(const struct nft_pktinfo *pkt, const struct nf_conn *ct)
{
	struct tcphdr _tcph, *tcph;

	switch (nf_ct_protonum(ct)) {
	case IPPROTO_TCP:
		tcph = skb_header_pointer(pkt->skb, nft_thoff(pkt), sizeof(_tcph), &_tcph);
		return tcph && !tcph->fin && !tcph->rst && nf_conntrack_tcp_established(ct);
	case IPPROTO_UDP:
		return true;
	default:
		return false;
	}
}

static bool flowlane_ct_eligible(const struct nf_conn *ct)
{
	if (nf_ct_ext_exist(ct, NF_CT_EXT_HELPER))
		return false;
	if (ct->status & (IPS_SEQ_ADJUST | IPS_NAT_CLASH))
		return false;
	return nf_ct_is_confirmed(ct) && !nf_ct_is_dying(ct);
}

/* ------------------------------------------------------------- forward path */

static bool flowlane_ether_dev(const struct net_device *dev)
{
	return dev && !(dev->flags & IFF_LOOPBACK) && dev->type == ARPHRD_ETHER &&
	       dev->addr_len == ETH_ALEN && is_valid_ether_addr(dev->dev_addr);
}

static bool flowlane_ft_has_dev(const struct nft_flowtable *ft, const struct net_device *dev)
{
	struct nft_hook *hook;

	list_for_each_entry_rcu(hook, &ft->hook_list, list)
		if (hook->ops.dev == dev)
			return true;
	return false;
}

/* The next hop's MAC for @dst toward @daddr, when the neighbour is resolved. */
int flowlane_neigh_ha(struct dst_entry *dst, const void *daddr, u8 *ha)
{
	struct neighbour *n = dst_neigh_lookup(dst, daddr);
	u8 nud;

	if (!n)
		return -ENOENT;
	read_lock_bh(&n->lock);
	nud = n->nud_state;
	ether_addr_copy(ha, n->ha);
	read_unlock_bh(&n->lock);
	neigh_release(n);
	return (nud & NUD_VALID) ? 0 : -ENOENT;
}

struct flowlane_path_info {
	const struct net_device *indev, *outdev, *hw_outdev;
	struct fl_encap encap[FL_ENCAP_MAX];
	u8 num_encaps;
	u8 h_source[ETH_ALEN], h_dest[ETH_ALEN];
	bool direct;
};

static bool flowlane_path_push_encap(struct flowlane_path_info *info, u16 id, __be16 proto)
{
	if (info->num_encaps >= FL_ENCAP_MAX)
		return false;
	info->encap[info->num_encaps].id = id;
	info->encap[info->num_encaps].proto = ntohs(proto);
	info->num_encaps++;
	return true;
}

static bool flowlane_path_bridge(struct flowlane_path_info *info, const struct net_device_path *path)
{
	switch (path->bridge.vlan_mode) {
	case DEV_PATH_BR_VLAN_TAG:
		return flowlane_path_push_encap(info, path->bridge.vlan_id, path->bridge.vlan_proto);
	case DEV_PATH_BR_VLAN_UNTAG:
		if (!info->num_encaps)
			return false;
		info->num_encaps--;
		return true;
	default: /* keep, or untagged by hardware */
		return true;
	}
}

/* Walk the device path below a route's device: real devices, encapsulations, MACs. */
static void flowlane_path_walk(const struct net_device_path_stack *stack,
			       struct flowlane_path_info *info, const u8 *ha)
{
	const struct net_device_path *path;
	int i;

	ether_addr_copy(info->h_dest, ha);
	for (i = 0; i < stack->num_paths; i++) {
		path = &stack->path[i];
		if (path->type == DEV_PATH_BRIDGE) {
			if (is_zero_ether_addr(info->h_source))
				ether_addr_copy(info->h_source, path->dev->dev_addr);
			if (!flowlane_path_bridge(info, path))
				goto unusable;
			info->direct = true;
			continue;
		}
		if (path->type != DEV_PATH_ETHERNET && path->type != DEV_PATH_VLAN &&
		    path->type != DEV_PATH_PPPOE)
			goto unusable;
		info->indev = path->dev;
		if (is_zero_ether_addr(info->h_source))
			ether_addr_copy(info->h_source, path->dev->dev_addr);
		if (path->type == DEV_PATH_ETHERNET)
			continue;
		if (!flowlane_path_push_encap(info, path->encap.id, path->encap.proto))
			goto unusable;
		if (!info->outdev)
			info->outdev = path->dev;
		if (path->type == DEV_PATH_PPPOE)
			ether_addr_copy(info->h_dest, path->encap.h_dest);
	}
	if (!info->outdev)
		info->outdev = info->indev;
	info->hw_outdev = info->indev;
	return;
unusable:
	info->indev = NULL;
}

static void flowlane_forward_path(struct flowlane_route *r, const struct nf_conn *ct,
				  enum ip_conntrack_dir dir, const struct nft_flowtable *ft)
{
	struct flowlane_route_dir *out = &r->d[dir], *in = &r->d[!dir];
	const void *daddr = &ct->tuplehash[!dir].tuple.src.u3;
	struct net_device_path_stack stack;
	struct flowlane_path_info info = {};
	struct net_device *dev = out->dst->dev;
	u8 ha[ETH_ALEN];
	int i;

	if (flowlane_ether_dev(dev) && flowlane_neigh_ha(out->dst, daddr, ha))
		return;
	if (!flowlane_ether_dev(dev))
		eth_zero_addr(ha);
	if (dev_fill_forward_path(dev, ha, &stack) < 0)
		return;
	flowlane_path_walk(&stack, &info, ha);
	/* Only devices the flowtable hooks can carry the other direction in. */
	if (!info.indev || !flowlane_ft_has_dev(ft, info.indev))
		return;
	in->in_ifindex = info.indev->ifindex;
	in->in_num_encaps = info.num_encaps;
	for (i = 0; i < info.num_encaps; i++)
		in->in_encap[i] = info.encap[i];
	if (!info.direct)
		return;
	out->kind = FL_XMIT_DIRECT;
	out->out_ifindex = info.outdev->ifindex;
	out->out_hw_ifindex = info.hw_outdev->ifindex;
	ether_addr_copy(out->h_source, info.h_source);
	ether_addr_copy(out->h_dest, info.h_dest);
}

/* ------------------------------------------------------------------ routes */

static u8 flowlane_xmit_kind(struct dst_entry *dst)
{
	return dst_xfrm(dst) ? FL_XMIT_XFRM : FL_XMIT_NEIGH;
}

static void flowlane_default_path(struct flowlane_route *r, struct dst_entry *dst,
				  enum ip_conntrack_dir dir)
{
	r->d[!dir].in_ifindex = dst->dev->ifindex;
	r->d[dir].dst = dst;
	r->d[dir].kind = flowlane_xmit_kind(dst);
}

static u16 flowlane_mtu(struct dst_entry *dst, bool v4)
{
	unsigned int mtu = v4 ? ip_dst_mtu_maybe_forward(dst, true)
			      : ip6_dst_mtu_maybe_forward(dst, true);

	return min_t(unsigned int, mtu, 0xffff);
}

/* ----------------------------------------------------------------- tunnels */

/*
 * A point-to-point IPIP ("ipip") or ip6tnl device without extra encapsulation
 * (FOU/GUE) or metadata mode: its endpoints as the fastpath's tunnel, seen
 * from the packets that arrive in it (source: the remote end).
 */
static bool flowlane_tunnel_of(const struct net_device *dev, u8 inner, struct fl_tunnel *tun)
{
	const char *kind = dev->rtnl_link_ops ? dev->rtnl_link_ops->kind : NULL;

	memset(tun, 0, sizeof(*tun));
	if (kind && !strcmp(kind, "ipip") && inner == FL_L3_IPV4) {
		const struct ip_tunnel *t = netdev_priv(dev);

		if (t->collect_md || t->encap.type != TUNNEL_ENCAP_NONE ||
		    !t->parms.iph.saddr || !t->parms.iph.daddr)
			return false;
		memcpy(tun->src.b, &t->parms.iph.daddr, 4);
		memcpy(tun->dst.b, &t->parms.iph.saddr, 4);
		tun->l3proto = FL_L3_IPV4;
		return true;
	}
	if (kind && !strcmp(kind, "ip6tnl")) {
		const struct ip6_tnl *t = netdev_priv(dev);
		u8 want = inner == FL_L3_IPV4 ? IPPROTO_IPIP : IPPROTO_IPV6;

		if (t->parms.collect_md || (t->parms.proto && t->parms.proto != want) ||
		    ipv6_addr_any(&t->parms.laddr) || ipv6_addr_any(&t->parms.raddr))
			return false;
		memcpy(tun->src.b, &t->parms.raddr, 16);
		memcpy(tun->dst.b, &t->parms.laddr, 16);
		tun->l3proto = FL_L3_IPV6;
		return true;
	}
	return false;
}

/* The underlay route toward a tunnel's remote end. */
static struct dst_entry *flowlane_underlay_route(const struct nft_pktinfo *pkt,
						 const struct fl_tunnel *tun)
{
	struct dst_entry *dst = NULL;
	struct flowi fl;

	memset(&fl, 0, sizeof(fl));
	if (tun->l3proto == FL_L3_IPV4) {
		memcpy(&fl.u.ip4.daddr, tun->src.b, 4);
		memcpy(&fl.u.ip4.saddr, tun->dst.b, 4);
		fl.u.ip4.flowi4_mark = pkt->skb->mark;
		fl.u.ip4.flowi4_flags = FLOWI_FLAG_ANYSRC;
		nf_route(nft_net(pkt), &dst, &fl, false, NFPROTO_IPV4);
	} else {
		memcpy(&fl.u.ip6.daddr, tun->src.b, 16);
		memcpy(&fl.u.ip6.saddr, tun->dst.b, 16);
		fl.u.ip6.flowi6_mark = pkt->skb->mark;
		fl.u.ip6.flowi6_flags = FLOWI_FLAG_ANYSRC;
		nf_route(nft_net(pkt), &dst, &fl, false, NFPROTO_IPV6);
	}
	return dst;
}

/*
 * Direction @d leaves through a tunnel device whose underlay device the
 * flowtable hooks: the fastpath encapsulates it and sends it on the underlay
 * route, and decapsulates the other direction where it arrives. Otherwise the
 * tunnel device is an ordinary egress (and ingress, if hooked).
 */
static void flowlane_tunnel_path(const struct nft_pktinfo *pkt, const struct nft_flowtable *ft,
				 struct flowlane_route *r, enum ip_conntrack_dir d)
{
	struct flowlane_route_dir *out = &r->d[d], *in = &r->d[!d];
	bool v4 = nft_pf(pkt) == NFPROTO_IPV4;
	struct dst_entry *under;
	struct fl_tunnel tun;

	if (!flowlane_tunnel_of(out->dst->dev, v4 ? FL_L3_IPV4 : FL_L3_IPV6, &tun))
		return;
	under = flowlane_underlay_route(pkt, &tun);
	if (!under)
		return;
	if (!flowlane_ft_has_dev(ft, under->dev) || dst_xfrm(under)) {
		dst_release(under);
		return;
	}
	out->tun_mtu = flowlane_mtu(out->dst, v4);
	dst_release(out->dst);
	out->dst = under;
	in->in_ifindex = under->dev->ifindex;
	in->in_tun = tun;
}

/* The reverse route: toward the sender of this packet, leaving where it came in. */
static void flowlane_reverse_flowi(const struct nft_pktinfo *pkt, const struct nf_conn *ct,
				   enum ip_conntrack_dir dir, struct dst_entry *this_dst,
				   struct flowi *fl)
{
	memset(fl, 0, sizeof(*fl));
	if (nft_pf(pkt) == NFPROTO_IPV4) {
		fl->u.ip4.daddr = ct->tuplehash[dir].tuple.src.u3.ip;
		fl->u.ip4.saddr = ct->tuplehash[!dir].tuple.src.u3.ip;
		fl->u.ip4.flowi4_oif = nft_in(pkt)->ifindex;
		fl->u.ip4.flowi4_iif = this_dst->dev->ifindex;
		fl->u.ip4.flowi4_tos = RT_TOS(ip_hdr(pkt->skb)->tos);
		fl->u.ip4.flowi4_mark = pkt->skb->mark;
		fl->u.ip4.flowi4_flags = FLOWI_FLAG_ANYSRC;
	} else {
		fl->u.ip6.daddr = ct->tuplehash[dir].tuple.src.u3.in6;
		fl->u.ip6.saddr = ct->tuplehash[!dir].tuple.src.u3.in6;
		fl->u.ip6.flowi6_oif = nft_in(pkt)->ifindex;
		fl->u.ip6.flowi6_iif = this_dst->dev->ifindex;
		fl->u.ip6.flowlabel = ip6_flowinfo(ipv6_hdr(pkt->skb));
		fl->u.ip6.flowi6_mark = pkt->skb->mark;
		fl->u.ip6.flowi6_flags = FLOWI_FLAG_ANYSRC;
	}
}

static int flowlane_routes(const struct nft_pktinfo *pkt, const struct nf_conn *ct,
			   enum ip_conntrack_dir dir, const struct nft_flowtable *ft,
			   struct flowlane_route *r)
{
	struct dst_entry *this_dst = skb_dst(pkt->skb), *other_dst = NULL;
	struct flowi fl;

	if (!this_dst)
		return -ENOENT;
	flowlane_reverse_flowi(pkt, ct, dir, this_dst, &fl);
	if (!dst_hold_safe(this_dst))
		return -ENOENT;
	/* An injected lookup failure looks like no route: the flow stays classic. */
	if (!flowlane_fault(FLOWLANE_FAULT_ROUTE))
		nf_route(nft_net(pkt), &other_dst, &fl, false, nft_pf(pkt));
	if (!other_dst) {
		dst_release(this_dst);
		return -ENOENT;
	}
	flowlane_default_path(r, this_dst, dir);
	flowlane_default_path(r, other_dst, !dir);
	if (r->d[dir].kind == FL_XMIT_NEIGH)
		flowlane_tunnel_path(pkt, ft, r, dir);
	if (r->d[!dir].kind == FL_XMIT_NEIGH)
		flowlane_tunnel_path(pkt, ft, r, !dir);
	if (r->d[dir].in_tun.l3proto || r->d[!dir].in_tun.l3proto)
		return 0; /* tunnel flows leave through the neighbour layer */
	if (r->d[dir].kind == FL_XMIT_NEIGH && r->d[!dir].kind == FL_XMIT_NEIGH) {
		flowlane_forward_path(r, ct, dir, ft);
		flowlane_forward_path(r, ct, !dir, ft);
	}
	return 0;
}

/* ------------------------------------------------------------ flow params */

static void flowlane_tuple_of(struct fl_tuple *t, const struct nf_conn *ct,
			      enum ip_conntrack_dir d, const struct flowlane_route_dir *rd)
{
	const struct nf_conntrack_tuple *ctt = &ct->tuplehash[d].tuple;
	bool v4 = ctt->src.l3num == NFPROTO_IPV4;
	int i, n = rd->in_num_encaps;

	fl_tuple_init(t);
	t->l3proto = v4 ? FL_L3_IPV4 : FL_L3_IPV6;
	t->l4proto = ctt->dst.protonum;
	memcpy(t->src.b, &ctt->src.u3, v4 ? 4 : 16);
	memcpy(t->dst.b, &ctt->dst.u3, v4 ? 4 : 16);
	t->src_port = ctt->src.u.all;
	t->dst_port = ctt->dst.u.all;
	t->iifindex = rd->in_ifindex;
	/* The path lists encapsulations innermost first; tuples outermost first. */
	t->encap_num = n;
	for (i = 0; i < n; i++)
		t->encap[i] = rd->in_encap[n - 1 - i];
}

/* Hands @rd's route reference to the xmit description (or drops it for direct xmit). */
static void flowlane_xmit_of(struct fl_xmit *x, struct flowlane_route_dir *rd, bool v4)
{
	memset(x, 0, sizeof(*x));
	x->kind = rd->kind;
	x->mtu = rd->tun_mtu ?: flowlane_mtu(rd->dst, v4);
	if (rd->kind == FL_XMIT_DIRECT) {
		x->ifindex = rd->out_ifindex;
		x->hw_ifindex = rd->out_hw_ifindex;
		ether_addr_copy(x->h_source, rd->h_source);
		ether_addr_copy(x->h_dest, rd->h_dest);
		dst_release(rd->dst);
	} else {
		x->ifindex = rd->dst->dev->ifindex;
		x->route = rd->dst;
		/* The route's own family: a tunnel's underlay may differ from the flow's. */
		x->route_cookie = rd->dst->ops->family == AF_INET6 ?
				  rt6_get_cookie((struct rt6_info *)rd->dst) : 0;
	}
	rd->dst = NULL;
}

static void flowlane_params_release(struct fl_flow_params *p)
{
	int d;

	for (d = 0; d < 2; d++)
		if (p->xmit[d].route)
			dst_release(p->xmit[d].route);
}

/* conntrack will not see the offloaded packets: stop checking TCP windows. */
static void flowlane_ct_tcp_liberal(struct nf_conn *ct)
{
	spin_lock_bh(&ct->lock);
	ct->proto.tcp.seen[0].flags |= IP_CT_TCP_FLAG_BE_LIBERAL;
	ct->proto.tcp.seen[1].flags |= IP_CT_TCP_FLAG_BE_LIBERAL;
	spin_unlock_bh(&ct->lock);
}

static int flowlane_add(struct flowlane_ft *fft, struct nf_conn *ct, struct flowlane_route *r)
{
	bool v4 = nf_ct_l3num(ct) == NFPROTO_IPV4;
	struct fl_flow_params p = {};
	struct fl_flow *flow;
	int d, err;

	for (d = 0; d < 2; d++) {
		flowlane_tuple_of(&p.tuple[d], ct, d, &r->d[d]);
		flowlane_xmit_of(&p.xmit[d], &r->d[d], v4);
		p.tun[d] = r->d[d].in_tun;
	}
	p.ct = ct;
	err = fl_flow_create(fft->core, &p, &flow);
	if (err) {
		flowlane_params_release(&p);
		return err;
	}
	/* From here the flow owns the routes, and the conntrack reference taken now. */
	nf_conntrack_get(&ct->ct_general);
	if (nf_ct_protonum(ct) == IPPROTO_TCP)
		flowlane_ct_tcp_liberal(ct);
	err = fl_flowtable_add(fft->core, flow);
	if (err)
		fl_flow_free(fft->core, flow);
	return err;
}

bool flowlane_offload(struct flowlane_ft *fft, struct nft_flowtable *ft,
		      const struct nft_pktinfo *pkt)
{
	struct flowlane_route route = {};
	enum ip_conntrack_info ctinfo;
	enum ip_conntrack_dir dir;
	struct nf_conn *ct;

	if (flowlane_skb_skip(pkt->skb, nft_pf(pkt)))
		return false;
	ct = nf_ct_get(pkt->skb, &ctinfo);
	if (!ct || !flowlane_l4_eligible(pkt, ct) || !flowlane_ct_eligible(ct))
		return false;
	if (test_and_set_bit(IPS_OFFLOAD_BIT, &ct->status))
		return false;
	dir = CTINFO2DIR(ctinfo);
	if (flowlane_routes(pkt, ct, dir, ft, &route))
		goto clear_offload;
	flowlane_sync_config(fft, nft_net(pkt));
	if (flowlane_add(fft, ct, &route))
		goto clear_offload;
	/* Conntrack sees no more packets of this entry: a day ahead, kept so by GC. */
	WRITE_ONCE(ct->timeout, nfct_time_stamp + NF_CT_DAY);
	return true;

clear_offload:
	clear_bit(IPS_OFFLOAD_BIT, &ct->status);
	return false;
}
