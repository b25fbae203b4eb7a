// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: hardware offload rules inside the kernel. The core lowers a flow
 * direction into its rule, the glue (nf_flow_table/kernel/hw_rule.c) turns
 * that into the struct flow_rule Linux 6.1's flowtable gives drivers, and the
 * test NIC's decoder (offload/ftnic/ftnic_decode.c, compiled in here: ftnic
 * itself is only ever a module) reads it back. Checked: the keys and masks a
 * driver sees, the stock action order and mask words, the round trip, and
 * every refusal.
 */
#include <kunit/test.h>
#include <linux/ip.h>
#include <linux/netdevice.h>
#include <linux/slab.h>
#include <linux/tc_act/tc_csum.h>

#include "flowlane/offload.h"
#include "nf_flow_table/kernel/flowlane_kernel.h"
#include "nf_flow_table/kernel/hw_rule.h"
#include "offload/ftnic/ftnic_decode.h"

/* The decoder is part of ftnic.ko, never of a kernel: test it here. */
#include "offload/ftnic/ftnic_decode.c"

static const struct fl_flowtable_ops ok_ops = {};

/* IPv4 TCP flow 0 of flowlane_test_params, SNATed to 198.51.100.1, both ways over lo. */
static struct fl_flow *ok_flow(struct kunit *test, struct fl_flowtable **ftp)
{
	struct fl_flowtable_config cfg = { .ops = &ok_ops };
	static const u8 mac_a[6] = { 2, 0, 0, 0, 0, 1 }, mac_b[6] = { 2, 0, 0, 0, 0, 2 };
	__be32 snat = htonl(0xc6336401);
	struct fl_flow_params p;
	struct fl_flow *flow;
	int d;

	KUNIT_ASSERT_EQ(test, fl_flowtable_create(&cfg, ftp), 0);
	flowlane_test_params(&p, 0, NULL);
	memcpy(p.tuple[1].dst.b, &snat, 4);
	for (d = 0; d < 2; d++) {
		p.xmit[d].ifindex = LOOPBACK_IFINDEX;
		memcpy(p.xmit[d].h_source, d ? mac_b : mac_a, 6);
		memcpy(p.xmit[d].h_dest, d ? mac_a : mac_b, 6);
	}
	KUNIT_ASSERT_EQ(test, fl_flow_create(*ftp, &p, &flow), 0);
	return flow;
}

static struct fl_rule *ok_lowered(struct kunit *test)
{
	struct fl_rule *r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	struct fl_flowtable *ft;
	struct fl_flow *flow = ok_flow(test, &ft);
	int err;

	KUNIT_ASSERT_NOT_NULL(test, r);
	rcu_read_lock();
	err = fl_offload_build_rule(flow, FL_DIR_ORIGINAL, r);
	rcu_read_unlock();
	fl_flow_free(ft, flow);
	fl_flowtable_destroy(ft);
	KUNIT_ASSERT_EQ(test, err, 0);
	return r;
}

static struct flowlane_hw_rule *ok_encode(struct kunit *test, const struct fl_rule *r)
{
	struct flowlane_hw_rule *hr = kunit_kzalloc(test, sizeof(*hr), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, hr);
	KUNIT_ASSERT_EQ(test, flowlane_hw_rule_build(hr, &init_net, r), 0);
	return hr;
}

/* ------------------------------------------------------------------ keys */

static void offload_keys_as_stock(struct kunit *test)
{
	struct flowlane_hw_rule *hr = ok_encode(test, ok_lowered(test));
	struct flow_rule *rule = hr->rule;
	struct flow_match_control control;
	struct flow_match_basic basic;
	struct flow_match_meta meta;
	struct flow_match_ipv4_addrs ip;
	struct flow_match_ports ports;
	struct flow_match_tcp tcp;

	KUNIT_EXPECT_TRUE(test, flow_rule_match_key(rule, FLOW_DISSECTOR_KEY_META));
	KUNIT_EXPECT_TRUE(test, flow_rule_match_key(rule, FLOW_DISSECTOR_KEY_CONTROL));
	KUNIT_EXPECT_FALSE(test, flow_rule_match_key(rule, FLOW_DISSECTOR_KEY_VLAN));
	KUNIT_EXPECT_FALSE(test, flow_rule_match_key(rule, FLOW_DISSECTOR_KEY_PPPOE));
	flow_rule_match_meta(rule, &meta);
	KUNIT_EXPECT_EQ(test, meta.key->ingress_ifindex, 1);
	KUNIT_EXPECT_EQ(test, meta.mask->ingress_ifindex, 0xffffffff);
	flow_rule_match_control(rule, &control);
	KUNIT_EXPECT_EQ(test, control.key->addr_type, FLOW_DISSECTOR_KEY_IPV4_ADDRS);
	flow_rule_match_basic(rule, &basic);
	KUNIT_EXPECT_EQ(test, basic.key->n_proto, htons(ETH_P_IP));
	KUNIT_EXPECT_EQ(test, basic.key->ip_proto, IPPROTO_TCP);
	flow_rule_match_ipv4_addrs(rule, &ip);
	KUNIT_EXPECT_EQ(test, ip.key->src, htonl(0x0a000001));
	KUNIT_EXPECT_EQ(test, ip.key->dst, htonl(0xc0a80001));
	KUNIT_EXPECT_EQ(test, ip.mask->dst, htonl(0xffffffff));
	/* Flags 0 under FIN|RST, as the stock flowtable: FIN and RST miss the rule. */
	flow_rule_match_tcp(rule, &tcp);
	KUNIT_EXPECT_EQ(test, tcp.key->flags, 0);
	KUNIT_EXPECT_EQ(test, tcp.mask->flags, htons(0x0005));
	flow_rule_match_ports(rule, &ports);
	KUNIT_EXPECT_EQ(test, ports.key->dst, htons(80));
	KUNIT_EXPECT_EQ(test, ports.mask->src, htons(0xffff));
	flowlane_hw_rule_release(hr);
}

/* ------------------------------------------------------------------ actions */

static void offload_actions_as_stock(struct kunit *test)
{
	struct flowlane_hw_rule *hr = ok_encode(test, ok_lowered(test));
	const struct flow_action *a = &hr->rule->action;
	/* Ethernet source then destination, four partial words, the stock masks. */
	static const u32 eth_off[4] = { 4, 8, 0, 4 };
	static const u32 eth_mask[4] = { ~0xffff0000, 0, 0, ~0x0000ffff };
	int i;

	KUNIT_ASSERT_EQ(test, a->num_entries, 8);
	for (i = 0; i < 4; i++) {
		KUNIT_EXPECT_EQ(test, a->entries[i].id, FLOW_ACTION_MANGLE);
		KUNIT_EXPECT_EQ(test, a->entries[i].mangle.htype, FLOW_ACT_MANGLE_HDR_TYPE_ETH);
		KUNIT_EXPECT_EQ(test, a->entries[i].mangle.offset, eth_off[i]);
		KUNIT_EXPECT_EQ(test, a->entries[i].mangle.mask, eth_mask[i]);
	}
	/* SNAT: the source address word, then the source port under its half-word mask. */
	KUNIT_EXPECT_EQ(test, a->entries[4].mangle.htype, FLOW_ACT_MANGLE_HDR_TYPE_IP4);
	KUNIT_EXPECT_EQ(test, a->entries[4].mangle.offset, offsetof(struct iphdr, saddr));
	KUNIT_EXPECT_EQ(test, a->entries[4].mangle.val, (__force u32)htonl(0xc6336401));
	KUNIT_EXPECT_EQ(test, a->entries[5].mangle.htype, FLOW_ACT_MANGLE_HDR_TYPE_TCP);
	KUNIT_EXPECT_EQ(test, a->entries[5].mangle.offset, 0);
	KUNIT_EXPECT_EQ(test, a->entries[5].mangle.mask, (__force u32)~htonl(0xffff0000));
	/* IPv4 with NAT: checksums; no TTL action ever; the redirect last. */
	KUNIT_EXPECT_EQ(test, a->entries[6].id, FLOW_ACTION_CSUM);
	KUNIT_EXPECT_EQ(test, a->entries[6].csum_flags,
			TCA_CSUM_UPDATE_FLAG_IPV4HDR | TCA_CSUM_UPDATE_FLAG_TCP);
	KUNIT_EXPECT_EQ(test, a->entries[7].id, FLOW_ACTION_REDIRECT);
	KUNIT_EXPECT_PTR_EQ(test, a->entries[7].dev, hr->redirect);
	KUNIT_EXPECT_EQ(test, hr->redirect->ifindex, LOOPBACK_IFINDEX);
	for (i = 0; i < a->num_entries; i++)
		KUNIT_EXPECT_NE(test, a->entries[i].id, FLOW_ACTION_ADD);
	flowlane_hw_rule_release(hr);
	KUNIT_EXPECT_NULL(test, hr->rule);
}

/* ------------------------------------------------------------------ round trip */

static void ok_expect_same(struct kunit *test, const struct fl_rule *a, const struct fl_rule *b)
{
	u32 i;

	KUNIT_EXPECT_EQ(test, a->match.keys, b->match.keys);
	KUNIT_EXPECT_EQ(test, a->match.ingress_ifindex, b->match.ingress_ifindex);
	KUNIT_EXPECT_EQ(test, a->match.l3proto, b->match.l3proto);
	KUNIT_EXPECT_EQ(test, memcmp(&a->match.src, &b->match.src, sizeof(a->match.src)), 0);
	KUNIT_EXPECT_EQ(test, memcmp(&a->match.dst, &b->match.dst, sizeof(a->match.dst)), 0);
	KUNIT_EXPECT_EQ(test, a->match.sport, b->match.sport);
	KUNIT_EXPECT_EQ(test, a->match.dport, b->match.dport);
	KUNIT_EXPECT_EQ(test, a->match.vlan.id, b->match.vlan.id);
	KUNIT_EXPECT_EQ(test, a->match.vlan.tpid, b->match.vlan.tpid);
	KUNIT_ASSERT_EQ(test, a->num_actions, b->num_actions);
	for (i = 0; i < a->num_actions; i++) {
		KUNIT_EXPECT_EQ(test, a->actions[i].id, b->actions[i].id);
		KUNIT_EXPECT_EQ(test, a->actions[i].htype, b->actions[i].htype);
		KUNIT_EXPECT_EQ(test, a->actions[i].mangle.offset, b->actions[i].mangle.offset);
		KUNIT_EXPECT_EQ(test, a->actions[i].mangle.mask, b->actions[i].mangle.mask);
		KUNIT_EXPECT_EQ(test, a->actions[i].mangle.val, b->actions[i].mangle.val);
	}
}

static void offload_ftnic_decodes_lowered(struct kunit *test)
{
	struct fl_rule *r = ok_lowered(test);
	struct flowlane_hw_rule *hr = ok_encode(test, r);
	struct ftnic_decoded *d = kunit_kzalloc(test, sizeof(*d), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, d);
	KUNIT_ASSERT_EQ(test, ftnic_decode(hr->rule, d), FTNIC_DECODED);
	KUNIT_EXPECT_TRUE(test, d->rule.match.keys & FL_MATCH_CONTROL);
	KUNIT_EXPECT_PTR_EQ(test, d->redirect, hr->redirect);
	ok_expect_same(test, r, &d->rule);
	flowlane_hw_rule_release(hr);
}

/* A hand-made IPv6 rule with a VLAN match, pop and push, DNAT words. */
static void ok_v6_vlan_rule(struct fl_rule *r)
{
	struct fl_action *a = r->actions;

	memset(r, 0, sizeof(*r));
	r->match.keys = FL_MATCH_INGRESS | FL_MATCH_CONTROL | FL_MATCH_BASIC | FL_MATCH_IPV6 |
			FL_MATCH_PORTS | FL_MATCH_VLAN;
	r->match.ingress_ifindex = 1;
	r->match.l3proto = FL_L3_IPV6;
	r->match.n_proto = ETH_P_IPV6;
	r->match.n_proto_mask = 0xffff;
	r->match.ip_proto = IPPROTO_UDP;
	r->match.ip_proto_mask = 0xff;
	r->match.src.b[0] = 0xfd;
	r->match.dst.b[15] = 2;
	memset(&r->match.src_mask, 0xff, sizeof(r->match.src_mask));
	memset(&r->match.dst_mask, 0xff, sizeof(r->match.dst_mask));
	r->match.sport = htons(5000);
	r->match.dport = htons(53);
	r->match.sport_mask = r->match.dport_mask = htons(0xffff);
	r->match.vlan = (struct fl_match_vlan){ .id = 10, .id_mask = 0xfff, .tpid = ETH_P_8021Q };
	a[0] = (struct fl_action){ .id = FL_ACT_VLAN_POP };
	a[1] = (struct fl_action){ .id = FL_ACT_VLAN_PUSH, .vlan = { .id = 20, .proto = ETH_P_8021Q } };
	a[2] = (struct fl_action){ .id = FL_ACT_MANGLE, .htype = FL_HDR_IPV6,
				   .mangle = { .offset = 36, .mask = 0, .val = 0x00000003 } };
	a[3] = (struct fl_action){ .id = FL_ACT_MANGLE, .htype = FL_HDR_UDP,
				   .mangle = { .offset = 0, .mask = 0xffff0000, .val = 0x00000035 } };
	a[4] = (struct fl_action){ .id = FL_ACT_REDIRECT, .redirect = { .ifindex = LOOPBACK_IFINDEX } };
	r->num_actions = 5;
}

static void offload_ftnic_decodes_v6_vlan(struct kunit *test)
{
	struct fl_rule *r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	struct ftnic_decoded *d = kunit_kzalloc(test, sizeof(*d), GFP_KERNEL);
	struct flowlane_hw_rule *hr;

	KUNIT_ASSERT_NOT_NULL(test, r);
	KUNIT_ASSERT_NOT_NULL(test, d);
	ok_v6_vlan_rule(r);
	hr = ok_encode(test, r);
	KUNIT_EXPECT_EQ(test, hr->rule->action.entries[1].vlan.proto, htons(ETH_P_8021Q));
	KUNIT_EXPECT_EQ(test, hr->rule->action.entries[2].mangle.val, (__force u32)htonl(3));
	KUNIT_ASSERT_EQ(test, ftnic_decode(hr->rule, d), FTNIC_DECODED);
	ok_expect_same(test, r, &d->rule);
	KUNIT_EXPECT_EQ(test, d->rule.actions[1].vlan.id, 20);
	flowlane_hw_rule_release(hr);
}

/* ------------------------------------------------------------------ refusals */

static void offload_refusals(struct kunit *test)
{
	struct fl_rule *r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	struct flowlane_hw_rule *hr = kunit_kzalloc(test, sizeof(*hr), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, r);
	KUNIT_ASSERT_NOT_NULL(test, hr);
	/* No Linux 6.1 flowtable form: PPPoE match, TTL action. */
	ok_v6_vlan_rule(r);
	r->match.keys |= FL_MATCH_PPPOE;
	KUNIT_EXPECT_EQ(test, flowlane_hw_rule_build(hr, &init_net, r), -EOPNOTSUPP);
	KUNIT_EXPECT_NULL(test, hr->rule);
	ok_v6_vlan_rule(r);
	r->actions[0].id = FL_ACT_DEC_TTL;
	KUNIT_EXPECT_EQ(test, flowlane_hw_rule_build(hr, &init_net, r), -EOPNOTSUPP);
	/* The redirect device is gone: nothing held afterwards. */
	ok_v6_vlan_rule(r);
	r->actions[4].redirect.ifindex = 0x7ffffff0;
	KUNIT_EXPECT_EQ(test, flowlane_hw_rule_build(hr, &init_net, r), -ENODEV);
	KUNIT_EXPECT_NULL(test, hr->redirect);
	/* More actions than a 6.1 rule holds. */
	ok_v6_vlan_rule(r);
	r->num_actions = FLOWLANE_HW_MAX_ACTIONS + 1;
	KUNIT_EXPECT_EQ(test, flowlane_hw_rule_build(hr, &init_net, r), -E2BIG);
	KUNIT_EXPECT_NULL(test, hr->redirect);
}

static struct kunit_case offload_cases[] = {
	KUNIT_CASE(offload_keys_as_stock),
	KUNIT_CASE(offload_actions_as_stock),
	KUNIT_CASE(offload_ftnic_decodes_lowered),
	KUNIT_CASE(offload_ftnic_decodes_v6_vlan),
	KUNIT_CASE(offload_refusals),
	{}
};

static struct kunit_suite offload_suite = {
	.name = "flowlane_offload",
	.test_cases = offload_cases,
};

kunit_test_suite(offload_suite);
