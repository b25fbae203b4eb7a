// SPDX-License-Identifier: GPL-2.0
/*
 * The flowtable's ingress hook: hand the sk_buff to the core's fastpath as the
 * ingress view sees it (data after the Ethernet header, protocol beside it, a
 * possibly stripped VLAN tag), then carry out the verdict: continue on the
 * classic path, or transmit through the neighbour layer, directly on the
 * egress device, or through IPsec.
 */
#include <linux/if_vlan.h>
#include <linux/netdevice.h>
#include <net/dst.h>
#include <net/ip.h>
#include <net/ip6_route.h>
#include <net/ipv6.h>
#include <net/neighbour.h>
#include <net/route.h>

#include "nf_flow_table/kernel/fault.h"
#include "nf_flow_table/kernel/nft_glue.h"

/* Unshare a cloned sk_buff before the core writes its headers. */
static bool flowlane_prepare_write(struct fl_packet *pkt, fl_u32 len)
{
	struct sk_buff *skb = pkt->priv;

	if (skb_try_make_writable(skb, len))
		return false;
	pkt->data = skb->data;
	pkt->headlen = skb_headlen(skb);
	pkt->headroom = skb_headroom(skb);
	return true;
}

static void flowlane_packet_of(struct fl_packet *pkt, struct sk_buff *skb,
			       const struct nf_hook_state *state)
{
	memset(pkt, 0, sizeof(*pkt));
	pkt->prepare_write = flowlane_prepare_write;
	pkt->priv = skb;
	pkt->data = skb->data;
	pkt->len = skb->len;
	pkt->headlen = skb_headlen(skb);
	pkt->headroom = skb_headroom(skb);
	pkt->iifindex = state->in->ifindex;
	pkt->ethertype = ntohs(skb->protocol);
	pkt->entry = FL_ENTRY_ETHERTYPE;
	if (skb_vlan_tag_present(skb)) {
		pkt->flags |= FL_PKT_HW_VLAN;
		pkt->hw_vlan_id = skb_vlan_tag_get_id(skb);
		pkt->hw_vlan_proto = ntohs(skb->vlan_proto);
	}
	if (skb->ip_summed == CHECKSUM_PARTIAL)
		pkt->flags |= FL_PKT_CSUM_PARTIAL;
	if (skb_is_gso(skb)) {
		pkt->flags |= FL_PKT_GSO;
		pkt->gso_size = skb_shinfo(skb)->gso_size;
	}
}

/* Run the fastpath, pulling headers into the linear area when it asks to. */
static void flowlane_fastpath(struct flowlane_ft *fft, struct sk_buff *skb,
			      const struct nf_hook_state *state, struct fl_result *res)
{
	struct fl_packet pkt;
	int tries;

	flowlane_packet_of(&pkt, skb, state);
	for (tries = 0; tries < 3; tries++) {
		fl_fastpath(fft->core, &pkt, res);
		if (res->reason != FL_SLOW_NEED_PULL || !pskb_may_pull(skb, res->need))
			return;
		pkt.data = skb->data;
		pkt.headlen = skb_headlen(skb);
		pkt.headroom = skb_headroom(skb);
	}
}

/* The core stripped VLAN/PPPoE headers: make the sk_buff say so. */
static void flowlane_decapsulate(struct sk_buff *skb, const struct fl_result *res)
{
	if (res->out_data != skb->data)
		__skb_pull(skb, res->out_data - skb->data);
	skb_reset_network_header(skb);
	skb->protocol = htons(res->out_ethertype);
	if (skb_vlan_tag_present(skb))
		__vlan_hwaccel_clear_tag(skb);
	skb_clear_tstamp(skb);
}

static unsigned int flowlane_xmit_xfrm(struct sk_buff *skb, const struct nf_hook_state *state,
				       struct dst_entry *dst)
{
	if (skb->protocol == htons(ETH_P_IP)) {
		memset(skb->cb, 0, sizeof(struct inet_skb_parm));
		IPCB(skb)->iif = skb->dev->ifindex;
		IPCB(skb)->flags = IPSKB_FORWARDED;
	} else {
		memset(skb->cb, 0, sizeof(struct inet6_skb_parm));
		IP6CB(skb)->iif = skb->dev->ifindex;
		IP6CB(skb)->flags = IP6SKB_FORWARDED;
	}
	skb_orphan(skb);
	skb_dst_drop(skb);
	skb_dst_set_noref(skb, dst);
	dst_output(state->net, state->sk, skb);
	return NF_STOLEN;
}

static unsigned int flowlane_xmit_neigh(struct sk_buff *skb, struct dst_entry *dst,
					const struct fl_result *res)
{
	struct net_device *outdev = dst->dev;

	skb->dev = outdev;
	skb_dst_drop(skb);
	skb_dst_set_noref(skb, dst);
	if (skb->protocol == htons(ETH_P_IP)) {
		__be32 nexthop = rt_nexthop((struct rtable *)dst, res->nexthop.w[0]);

		neigh_xmit(NEIGH_ARP_TABLE, outdev, &nexthop, skb);
	} else {
		const struct in6_addr *nexthop;

		nexthop = rt6_nexthop((struct rt6_info *)dst, (struct in6_addr *)res->nexthop.b);
		neigh_xmit(NEIGH_ND_TABLE, outdev, nexthop, skb);
	}
	return NF_STOLEN;
}

static unsigned int flowlane_xmit_direct(struct flowlane_ft *fft, struct sk_buff *skb,
					 const struct nf_hook_state *state,
					 const struct fl_result *res)
{
	const struct fl_xmit *x = res->xmit;
	struct net_device *outdev = dev_get_by_index_rcu(state->net, x->ifindex);

	if (!outdev) {
		fl_flow_teardown(fft->core, res->flow, FL_TEARDOWN_XMIT_FAILED);
		return NF_DROP;
	}
	skb->dev = outdev;
	dev_hard_header(skb, outdev, res->out_ethertype, x->h_dest, x->h_source, skb->len);
	dev_queue_xmit(skb);
	return NF_STOLEN;
}

/* One hook for the ip, ip6 and inet types: their core tables filter the family. */
unsigned int flowlane_hook(void *priv, struct sk_buff *skb, const struct nf_hook_state *state)
{
	struct flowlane_ft *fft = flowlane_ft_of(priv);
	struct fl_result res;

	flowlane_fastpath(fft, skb, state, &res);
	if (res.verdict != FL_VERDICT_XMIT)
		return NF_ACCEPT;
	/*
	 * An injected transmit failure ends as a real one on the direct path
	 * does: the flow goes back to the classic path, the rewritten packet is
	 * dropped (its headers no longer match what conntrack would expect).
	 */
	if (flowlane_fault(FLOWLANE_FAULT_XMIT)) {
		fl_flow_teardown(fft->core, res.flow, FL_TEARDOWN_XMIT_FAILED);
		return NF_DROP;
	}
	flowlane_decapsulate(skb, &res);
	switch (res.xmit_kind) {
	case FL_XMIT_XFRM:
		return flowlane_xmit_xfrm(skb, state, res.xmit->route);
	case FL_XMIT_NEIGH:
		return flowlane_xmit_neigh(skb, res.xmit->route, &res);
	default:
		return flowlane_xmit_direct(fft, skb, state, &res);
	}
}
