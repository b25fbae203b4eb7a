// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the core's fastpath on real sk_buffs built here, handed over the way
 * the ingress hook sees them (data after the Ethernet header, the ethertype
 * beside it): SNAT with checksums verified by the kernel's own helpers, TTL,
 * VLAN decapsulation, the MTU and fragment bail-outs, and FIN teardown.
 */
#include <kunit/test.h>
#include <linux/etherdevice.h>
#include <linux/if_vlan.h>
#include <linux/ip.h>
#include <linux/skbuff.h>
#include <linux/tcp.h>
#include <net/checksum.h>
#include <net/ip.h>

#include "flowlane/flowtable.h"
#include "nf_flow_table/kernel/flowlane_kernel.h"

static const struct fl_flowtable_ops fp_ops = {};

/* An skb holding Ethernet [+ VLAN] + IPv4 + TCP of test flow @i, direction original. */
static struct sk_buff *fp_skb(struct kunit *test, const struct fl_flow_params *p, u16 vlan,
			      u8 tcp_flags, u16 frag, int payload)
{
	int l2 = ETH_HLEN + (vlan ? VLAN_HLEN : 0);
	int len = l2 + sizeof(struct iphdr) + sizeof(struct tcphdr) + payload;
	struct sk_buff *skb = alloc_skb(len + 64, GFP_KERNEL);
	struct ethhdr *eth;
	struct iphdr *iph;
	struct tcphdr *th;
	u8 *data;

	KUNIT_ASSERT_NOT_NULL(test, skb);
	skb_reserve(skb, 64);
	data = skb_put_zero(skb, len);
	eth = (struct ethhdr *)data;
	eth_random_addr(eth->h_source);
	eth_random_addr(eth->h_dest);
	if (vlan) {
		struct vlan_hdr *vh = (struct vlan_hdr *)(data + ETH_HLEN);

		eth->h_proto = htons(ETH_P_8021Q);
		vh->h_vlan_TCI = htons(vlan);
		vh->h_vlan_encapsulated_proto = htons(ETH_P_IP);
	} else {
		eth->h_proto = htons(ETH_P_IP);
	}
	iph = (struct iphdr *)(data + l2);
	iph->version = 4;
	iph->ihl = 5;
	iph->ttl = 64;
	iph->protocol = IPPROTO_TCP;
	iph->tot_len = htons(len - l2);
	iph->frag_off = htons(frag);
	memcpy(&iph->saddr, p->tuple[0].src.b, 4);
	memcpy(&iph->daddr, p->tuple[0].dst.b, 4);
	iph->check = ip_fast_csum(iph, iph->ihl);
	th = (struct tcphdr *)(iph + 1);
	th->source = p->tuple[0].src_port;
	th->dest = p->tuple[0].dst_port;
	th->doff = 5;
	((u8 *)th)[13] = tcp_flags;
	th->check = csum_tcpudp_magic(iph->saddr, iph->daddr, len - l2 - sizeof(*iph), IPPROTO_TCP,
				      csum_partial(th, len - l2 - sizeof(*iph), 0));
	/* What the ingress hook sees: MAC header behind, protocol set, data after it. */
	skb_reset_mac_header(skb);
	skb_pull(skb, ETH_HLEN);
	skb_reset_network_header(skb);
	skb->protocol = eth->h_proto;
	return skb;
}

static void fp_run(struct fl_flowtable *ft, struct sk_buff *skb, struct fl_result *res)
{
	struct fl_packet pkt = {
		.data = skb->data,
		.len = skb->len,
		.headlen = skb_headlen(skb),
		.headroom = skb_headroom(skb),
		.iifindex = 1,
		.ethertype = ntohs(skb->protocol),
		.entry = FL_ENTRY_ETHERTYPE,
	};

	rcu_read_lock();
	fl_fastpath(ft, &pkt, res);
	rcu_read_unlock();
}

static struct fl_flowtable *fp_table(struct kunit *test, struct fl_flow_params *p, bool snat,
				     u16 vlan)
{
	struct fl_flowtable_config cfg = { .ops = &fp_ops };
	struct fl_flowtable *ft;
	struct fl_flow *flow;

	KUNIT_ASSERT_EQ(test, fl_flowtable_create(&cfg, &ft), 0);
	flowlane_test_params(p, 9, NULL);
	if (snat) {
		__be32 public = htonl(0xc6336401); /* 198.51.100.1 */

		memcpy(p->tuple[1].dst.b, &public, 4);
		p->tuple[1].dst_port = htons(61000);
	}
	if (vlan) {
		p->tuple[0].encap_num = 1;
		p->tuple[0].encap[0].id = vlan;
		p->tuple[0].encap[0].proto = ETH_P_8021Q;
	}
	KUNIT_ASSERT_EQ(test, fl_flow_create(ft, p, &flow), 0);
	KUNIT_ASSERT_EQ(test, fl_flowtable_add(ft, flow), 0);
	return ft;
}

static void fastpath_snat_on_skb(struct kunit *test)
{
	struct fl_flow_params p;
	struct fl_flowtable *ft = fp_table(test, &p, true, 0);
	struct sk_buff *skb = fp_skb(test, &p, 0, 0x10, 0, 100);
	struct fl_result res;
	struct iphdr *iph;
	struct tcphdr *th;
	int l4len;

	fp_run(ft, skb, &res);
	KUNIT_ASSERT_EQ(test, res.verdict, FL_VERDICT_XMIT);
	KUNIT_EXPECT_EQ(test, res.dir, FL_DIR_ORIGINAL);
	KUNIT_EXPECT_PTR_EQ(test, res.out_data, skb->data);
	iph = (struct iphdr *)res.out_data;
	th = (struct tcphdr *)(iph + 1);
	l4len = ntohs(iph->tot_len) - sizeof(*iph);
	KUNIT_EXPECT_EQ(test, iph->ttl, 63);
	KUNIT_EXPECT_EQ(test, ntohl(iph->saddr), 0xc6336401U);
	KUNIT_EXPECT_EQ(test, ntohs(th->source), 61000);
	KUNIT_EXPECT_EQ(test, ip_fast_csum(iph, iph->ihl), (__sum16)0);
	KUNIT_EXPECT_EQ(test, csum_tcpudp_magic(iph->saddr, iph->daddr, l4len, IPPROTO_TCP,
						csum_partial(th, l4len, 0)), (__sum16)0);
	kfree_skb(skb);
	fl_flowtable_destroy(ft);
}

static void fastpath_vlan_pop_on_skb(struct kunit *test)
{
	struct fl_flow_params p;
	struct fl_flowtable *ft = fp_table(test, &p, false, 42);
	struct sk_buff *skb = fp_skb(test, &p, 42, 0x10, 0, 10);
	struct sk_buff *plain = fp_skb(test, &p, 0, 0x10, 0, 10);
	struct fl_result res;

	fp_run(ft, skb, &res);
	KUNIT_ASSERT_EQ(test, res.verdict, FL_VERDICT_XMIT);
	KUNIT_EXPECT_PTR_EQ(test, res.out_data, skb->data + VLAN_HLEN);
	KUNIT_EXPECT_EQ(test, res.out_ethertype, ETH_P_IP);
	fp_run(ft, plain, &res); /* the tag is part of the key */
	KUNIT_EXPECT_EQ(test, res.reason, FL_SLOW_NO_ENTRY);
	kfree_skb(skb);
	kfree_skb(plain);
	fl_flowtable_destroy(ft);
}

static void fastpath_bailouts_on_skb(struct kunit *test)
{
	struct fl_flow_params p;
	struct fl_flowtable *ft = fp_table(test, &p, false, 0);
	struct sk_buff *skb;
	struct fl_result res;

	skb = fp_skb(test, &p, 0, 0x10, IP_MF, 10);
	fp_run(ft, skb, &res);
	KUNIT_EXPECT_EQ(test, res.reason, FL_SLOW_FRAGMENT);
	kfree_skb(skb);
	skb = fp_skb(test, &p, 0, 0x10, 0, 1600);
	fp_run(ft, skb, &res);
	KUNIT_EXPECT_EQ(test, res.reason, FL_SLOW_MTU);
	kfree_skb(skb);
	skb = fp_skb(test, &p, 0, 0x11, 0, 0); /* FIN|ACK */
	fp_run(ft, skb, &res);
	KUNIT_EXPECT_EQ(test, res.reason, FL_SLOW_TCP_FIN_RST);
	kfree_skb(skb);
	skb = fp_skb(test, &p, 0, 0x10, 0, 0);
	fp_run(ft, skb, &res);
	KUNIT_EXPECT_EQ(test, res.reason, FL_SLOW_TEARDOWN);
	kfree_skb(skb);
	fl_flowtable_destroy(ft);
}

static struct kunit_case fastpath_cases[] = {
	KUNIT_CASE(fastpath_snat_on_skb),
	KUNIT_CASE(fastpath_vlan_pop_on_skb),
	KUNIT_CASE(fastpath_bailouts_on_skb),
	{}
};

static struct kunit_suite fastpath_suite = {
	.name = "flowlane_fastpath",
	.test_cases = fastpath_cases,
};

kunit_test_suite(fastpath_suite);
