// SPDX-License-Identifier: GPL-2.0
/*
 * The core's hardware rule (struct fl_rule) as the kernel's struct flow_rule,
 * laid out as Linux 6.1's flowtable lays it out for drivers: the dissector
 * keys of struct nf_flow_key inside a struct nf_flow_match, then the
 * flow_action entries in the order the core lowered them. Field for field,
 * no decisions: what to match and do is the core's (offload/flow_rule.cpp).
 * One small encoder per key and per action.
 */
#include <linux/netdevice.h>
#include <linux/slab.h>
#include <linux/tc_act/tc_csum.h>
#include <net/flow_offload.h>

#include "nf_flow_table/kernel/hw_rule.h"

/* ------------------------------------------------------------------ keys */

/* Mark key @id used, stored at @offset of struct nf_flow_key. */
static void flowlane_hw_use_key(struct nf_flow_match *m, enum flow_dissector_key_id id,
				size_t offset)
{
	m->dissector.used_keys |= BIT(id);
	m->dissector.offset[id] = offset;
}

#define FLOWLANE_HW_KEY(m, id, field) \
	flowlane_hw_use_key(m, FLOW_DISSECTOR_KEY_##id, offsetof(struct nf_flow_key, field))

static void flowlane_hw_key_meta(struct nf_flow_match *m, const struct fl_rule_match *r)
{
	m->key.meta.ingress_ifindex = r->ingress_ifindex;
	m->mask.meta.ingress_ifindex = 0xffffffff;
	FLOWLANE_HW_KEY(m, META, meta);
}

static void flowlane_hw_key_control(struct nf_flow_match *m, const struct fl_rule_match *r)
{
	m->key.control.addr_type = r->l3proto == FL_L3_IPV4 ? FLOW_DISSECTOR_KEY_IPV4_ADDRS
							      : FLOW_DISSECTOR_KEY_IPV6_ADDRS;
	m->mask.control.addr_type = 0xffff;
	FLOWLANE_HW_KEY(m, CONTROL, control);
}

static void flowlane_hw_key_basic(struct nf_flow_match *m, const struct fl_rule_match *r)
{
	m->key.basic.n_proto = htons(r->n_proto);
	m->mask.basic.n_proto = htons(r->n_proto_mask);
	m->key.basic.ip_proto = r->ip_proto;
	m->mask.basic.ip_proto = r->ip_proto_mask;
	FLOWLANE_HW_KEY(m, BASIC, basic);
}

static void flowlane_hw_key_ipv4(struct nf_flow_match *m, const struct fl_rule_match *r)
{
	memcpy(&m->key.ipv4.src, r->src.b, 4);
	memcpy(&m->mask.ipv4.src, r->src_mask.b, 4);
	memcpy(&m->key.ipv4.dst, r->dst.b, 4);
	memcpy(&m->mask.ipv4.dst, r->dst_mask.b, 4);
	FLOWLANE_HW_KEY(m, IPV4_ADDRS, ipv4);
}

static void flowlane_hw_key_ipv6(struct nf_flow_match *m, const struct fl_rule_match *r)
{
	memcpy(&m->key.ipv6.src, r->src.b, 16);
	memcpy(&m->mask.ipv6.src, r->src_mask.b, 16);
	memcpy(&m->key.ipv6.dst, r->dst.b, 16);
	memcpy(&m->mask.ipv6.dst, r->dst_mask.b, 16);
	FLOWLANE_HW_KEY(m, IPV6_ADDRS, ipv6);
}

/* The core keeps the low byte of the TCP flags; the key holds the 16-bit word. */
static void flowlane_hw_key_tcp(struct nf_flow_match *m, const struct fl_rule_match *r)
{
	m->key.tcp.flags = htons(r->tcp_flags);
	m->mask.tcp.flags = htons(r->tcp_flags_mask);
	FLOWLANE_HW_KEY(m, TCP, tcp);
}

static void flowlane_hw_key_ports(struct nf_flow_match *m, const struct fl_rule_match *r)
{
	m->key.tp.src = r->sport;
	m->mask.tp.src = r->sport_mask;
	m->key.tp.dst = r->dport;
	m->mask.tp.dst = r->dport_mask;
	FLOWLANE_HW_KEY(m, PORTS, tp);
}

static void flowlane_hw_tag(struct flow_dissector_key_vlan *key,
			    struct flow_dissector_key_vlan *mask, const struct fl_match_vlan *v)
{
	key->vlan_id = v->id;
	mask->vlan_id = v->id_mask;
	key->vlan_tpid = htons(v->tpid);
	mask->vlan_tpid = v->tpid ? htons(0xffff) : 0; /* 0: any tag protocol */
}

static void flowlane_hw_key_vlans(struct nf_flow_match *m, const struct fl_rule_match *r)
{
	if (r->keys & FL_MATCH_VLAN) {
		flowlane_hw_tag(&m->key.vlan, &m->mask.vlan, &r->vlan);
		FLOWLANE_HW_KEY(m, VLAN, vlan);
	}
	if (r->keys & FL_MATCH_CVLAN) {
		flowlane_hw_tag(&m->key.cvlan, &m->mask.cvlan, &r->cvlan);
		FLOWLANE_HW_KEY(m, CVLAN, cvlan);
	}
}

/* Keys in dissector order; PPPoE and tunnel matches have no 6.1 flowtable form. */
static int flowlane_hw_encode_keys(struct nf_flow_match *m, const struct fl_rule_match *r)
{
	if (r->keys & (FL_MATCH_PPPOE | FL_MATCH_TUNNEL))
		return -EOPNOTSUPP;
	if (r->keys & FL_MATCH_INGRESS)
		flowlane_hw_key_meta(m, r);
	if (r->keys & FL_MATCH_CONTROL)
		flowlane_hw_key_control(m, r);
	if (r->keys & FL_MATCH_BASIC)
		flowlane_hw_key_basic(m, r);
	if (r->keys & FL_MATCH_IPV4)
		flowlane_hw_key_ipv4(m, r);
	if (r->keys & FL_MATCH_IPV6)
		flowlane_hw_key_ipv6(m, r);
	if (r->keys & FL_MATCH_TCP_FLAGS)
		flowlane_hw_key_tcp(m, r);
	if (r->keys & FL_MATCH_PORTS)
		flowlane_hw_key_ports(m, r);
	flowlane_hw_key_vlans(m, r);
	return 0;
}

/* ------------------------------------------------------------------ actions */

static int flowlane_hw_mangle(struct flow_action_entry *e, const struct fl_action *a)
{
	static const u8 htypes[] = {
		[FL_HDR_ETH] = FLOW_ACT_MANGLE_HDR_TYPE_ETH,
		[FL_HDR_IPV4] = FLOW_ACT_MANGLE_HDR_TYPE_IP4,
		[FL_HDR_IPV6] = FLOW_ACT_MANGLE_HDR_TYPE_IP6,
		[FL_HDR_TCP] = FLOW_ACT_MANGLE_HDR_TYPE_TCP,
		[FL_HDR_UDP] = FLOW_ACT_MANGLE_HDR_TYPE_UDP,
	};

	if (a->htype >= ARRAY_SIZE(htypes) || !htypes[a->htype])
		return -EOPNOTSUPP;
	e->id = FLOW_ACTION_MANGLE;
	e->mangle.htype = htypes[a->htype];
	e->mangle.offset = a->mangle.offset;
	/* Drivers read mask and value as the header's bytes: big-endian words. */
	e->mangle.mask = (__force u32)cpu_to_be32(a->mangle.mask);
	e->mangle.val = (__force u32)cpu_to_be32(a->mangle.val);
	return 0;
}

static void flowlane_hw_csum(struct flow_action_entry *e, const struct fl_action *a)
{
	e->id = FLOW_ACTION_CSUM;
	e->csum_flags = 0;
	if (a->csum_flags & FL_CSUM_IPV4HDR)
		e->csum_flags |= TCA_CSUM_UPDATE_FLAG_IPV4HDR;
	if (a->csum_flags & FL_CSUM_TCP)
		e->csum_flags |= TCA_CSUM_UPDATE_FLAG_TCP;
	if (a->csum_flags & FL_CSUM_UDP)
		e->csum_flags |= TCA_CSUM_UPDATE_FLAG_UDP;
}

static void flowlane_hw_vlan_push(struct flow_action_entry *e, const struct fl_action *a)
{
	e->id = FLOW_ACTION_VLAN_PUSH;
	e->vlan.vid = a->vlan.id;
	e->vlan.proto = htons(a->vlan.proto);
	e->vlan.prio = 0;
}

/* The redirect holds its device until the rule is freed (drivers copy what they need). */
static int flowlane_hw_redirect(struct flow_action_entry *e, const struct fl_action *a,
				struct flowlane_hw_rule *hr)
{
	if (hr->redirect)
		return -EOPNOTSUPP;
	hr->redirect = dev_get_by_index(hr->net, a->redirect.ifindex);
	if (!hr->redirect)
		return -ENODEV;
	e->id = FLOW_ACTION_REDIRECT;
	e->dev = hr->redirect;
	return 0;
}

static int flowlane_hw_encode_action(struct flow_action_entry *e, const struct fl_action *a,
				     struct flowlane_hw_rule *hr)
{
	switch (a->id) {
	case FL_ACT_MANGLE:
		return flowlane_hw_mangle(e, a);
	case FL_ACT_CSUM:
		flowlane_hw_csum(e, a);
		return 0;
	case FL_ACT_VLAN_POP:
		e->id = FLOW_ACTION_VLAN_POP;
		return 0;
	case FL_ACT_VLAN_PUSH:
		flowlane_hw_vlan_push(e, a);
		return 0;
	case FL_ACT_PPPOE_PUSH:
		e->id = FLOW_ACTION_PPPOE_PUSH;
		e->pppoe.sid = a->pppoe.sid;
		return 0;
	case FL_ACT_REDIRECT:
		return flowlane_hw_redirect(e, a, hr);
	default:
		/* TTL, PPPoE pop, tunnels: the core never lowers them for Linux. */
		return -EOPNOTSUPP;
	}
}

static int flowlane_hw_encode_actions(struct flowlane_hw_rule *hr, const struct fl_rule *r)
{
	struct flow_action *action = &hr->rule->action;
	u32 i;
	int err;

	if (r->num_actions > FLOWLANE_HW_MAX_ACTIONS)
		return -E2BIG;
	for (i = 0; i < r->num_actions; i++) {
		err = flowlane_hw_encode_action(&action->entries[i], &r->actions[i], hr);
		if (err)
			return err;
		action->num_entries++;
	}
	return 0;
}

/* ------------------------------------------------------------------ the rule */

int flowlane_hw_rule_build(struct flowlane_hw_rule *hr, struct net *net, const struct fl_rule *r)
{
	int err;

	memset(hr, 0, sizeof(*hr));
	hr->net = net;
	hr->rule = flow_rule_alloc(FLOWLANE_HW_MAX_ACTIONS);
	if (!hr->rule)
		return -ENOMEM;
	/* flow_rule_alloc() counts every slot as used: entries are added one by one. */
	hr->rule->action.num_entries = 0;
	hr->rule->match.dissector = &hr->match.dissector;
	hr->rule->match.key = &hr->match.key;
	hr->rule->match.mask = &hr->match.mask;
	err = flowlane_hw_encode_keys(&hr->match, &r->match);
	if (!err)
		err = flowlane_hw_encode_actions(hr, r);
	if (err)
		flowlane_hw_rule_release(hr);
	return err;
}

void flowlane_hw_rule_release(struct flowlane_hw_rule *hr)
{
	if (hr->redirect)
		dev_put(hr->redirect);
	hr->redirect = NULL;
	kfree(hr->rule);
	hr->rule = NULL;
}
