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
#include <net/ip_tunnels.h>
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

/* Room for an outer tunnel header in front of the packet (keeps its contents). */
static bool flowlane_expand_head(struct fl_packet *pkt, fl_u32 need)
{
	struct sk_buff *skb = pkt->priv;

	if (skb_cow_head(skb, need))
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
	pkt->expand_head = flowlane_expand_head;
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
		pkt->hw_vlan_id = skb_vlan_tag_get(skb);
		pkt->hw_vlan_proto = ntohs(skb->vlan_proto);
	}
	if (skb->pkt_type != PACKET_HOST)
		pkt->flags |= FL_PKT_NOT_HOST;
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
	int pulls;

	flowlane_packet_of(&pkt, skb, state);
	/* One pull per header at most (FL_FASTPATH_MAX_PULLS), then the last call. */
	for (pulls = 0;; pulls++) {
		fl_fastpath(fft->core, &pkt, res);
		if (res->reason != FL_SLOW_NEED_PULL || pulls == FL_FASTPATH_MAX_PULLS ||
		    !pskb_may_pull(skb, res->need))
			return;
		pkt.data = skb->data;
		pkt.headlen = skb_headlen(skb);
		pkt.headroom = skb_headroom(skb);
	}
}

/*
 * The core stripped VLAN/PPPoE and outer tunnel headers, or pushed an outer
 * tunnel header: make the sk_buff say so. The _rcsum variants keep a
 * CHECKSUM_COMPLETE sum right over what is left.
 */
static void flowlane_decapsulate(struct sk_buff *skb, const struct fl_result *res)
{
	if (res->out_data > skb->data) {
		skb_pull_rcsum(skb, res->out_data - skb->data);
	} else if (res->out_data < skb->data) {
		unsigned int pushed = skb->data - res->out_data;

		__skb_push(skb, pushed);
		skb_postpush_rcsum(skb, skb->data, pushed);
	}
	skb_reset_network_header(skb);
	skb->protocol = htons(res->out_ethertype);
	if (skb_vlan_tag_present(skb))
		__vlan_hwaccel_clear_tag(skb);
	skb_clear_tstamp(skb);
}

/* The inner packet is all there is now: no tunnel offload state from the wire. */
static void flowlane_tunnel_popped(struct sk_buff *skb, const struct fl_result *res)
{
	if (!res->tunnel_popped || !skb->encapsulation)
		return;
	skb->encapsulation = 0;
	if (skb_is_gso(skb))
		skb_shinfo(skb)->gso_type &= ~(SKB_GSO_IPXIP4 | SKB_GSO_IPXIP6);
}

/*
 * The core built an outer header at the network header. Segmentation and
 * checksum offloads must treat what follows as the inner packet (as
 * iptunnel_handle_offloads() arranges for the tunnel drivers), and an outer
 * IPv4 header gets an ID chosen as the stack would.
 */
static int flowlane_tunnel_pushed(struct net *net, struct sk_buff *skb,
				  const struct fl_result *res)
{
	bool v4 = res->tunnel_pushed == FL_L3_IPV4;
	unsigned int hlen = v4 ? sizeof(struct iphdr) : sizeof(struct ipv6hdr);
	u8 inner = v4 ? ip_hdr(skb)->protocol : ipv6_hdr(skb)->nexthdr;
	unsigned int inner_hlen = inner == IPPROTO_IPIP ? sizeof(struct iphdr)
							: sizeof(struct ipv6hdr);
	int err;

	skb_set_network_header(skb, hlen);
	skb_set_transport_header(skb, hlen + inner_hlen);
	err = iptunnel_handle_offloads(skb, v4 ? SKB_GSO_IPXIP4 : SKB_GSO_IPXIP6);
	skb_reset_network_header(skb);
	skb_set_transport_header(skb, hlen);
	if (err)
		return err;
	skb_set_inner_ipproto(skb, inner);
	if (v4) {
		__ip_select_ident(net, ip_hdr(skb), skb_is_gso(skb) ? skb_shinfo(skb)->gso_segs : 1);
		ip_send_check(ip_hdr(skb));
	}
	return 0;
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

/*
 * Room for @dev's link-layer header before it is built: the packet may have
 * come in on a device with a shorter one, or grown an outer tunnel header.
 * NULL when the expansion failed (the packet is freed).
 */
static struct sk_buff *flowlane_l2_room(struct sk_buff *skb, const struct net_device *dev)
{
	unsigned int hh_len = LL_RESERVED_SPACE(dev);

	if (likely(skb_headroom(skb) >= hh_len) || !dev->header_ops)
		return skb;
	return skb_expand_head(skb, hh_len);
}

static unsigned int flowlane_xmit_neigh(struct sk_buff *skb, struct dst_entry *dst,
					const struct fl_result *res)
{
	struct net_device *outdev = dst->dev;

	skb = flowlane_l2_room(skb, outdev);
	if (!skb)
		return NF_STOLEN;
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
	skb = flowlane_l2_room(skb, outdev);
	if (!skb)
		return NF_STOLEN;
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

	/* The sysctls and the flowtable's flags may have changed since the last packet. */
	flowlane_sync_config(fft, state->net);
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
	flowlane_tunnel_popped(skb, &res);
	if (res.tunnel_pushed && flowlane_tunnel_pushed(state->net, skb, &res))
		return NF_DROP;
	switch (res.xmit_kind) {
	case FL_XMIT_XFRM:
		return flowlane_xmit_xfrm(skb, state, res.xmit->route);
	case FL_XMIT_NEIGH:
		return flowlane_xmit_neigh(skb, res.xmit->route, &res);
	default:
		return flowlane_xmit_direct(fft, skb, state, &res);
	}
}
