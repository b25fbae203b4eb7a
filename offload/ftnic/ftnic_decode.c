// SPDX-License-Identifier: GPL-2.0
/*
 * flow_rule -> struct fl_rule. One small decoder per dissector key and per
 * action. Keys are read only when the dissector says they are used (the
 * kernel's ABI: a key whose offset is set but which is not in used_keys means
 * nothing). Mangle masks and values are the raw big-endian words of the
 * header; fl_rule keeps them as host-order numbers of those words.
 */
#include <linux/errno.h>
#include <linux/if_ether.h>
#include <linux/netdevice.h>
#include <linux/string.h>
#include <linux/tc_act/tc_csum.h>
#include <net/flow_dissector.h>

#include "offload/ftnic/ftnic_decode.h"

static enum ftnic_decode_result ftnic_bad(struct ftnic_decoded *d, enum ftnic_decode_result r,
					  int what, const char *why)
{
	d->what = what;
	d->why = why;
	return r;
}

#define FTNIC_KEY(k) BIT_ULL(FLOW_DISSECTOR_KEY_##k)
static const u64 ftnic_keys = FTNIC_KEY(META) | FTNIC_KEY(CONTROL) | FTNIC_KEY(BASIC) |
			      FTNIC_KEY(IPV4_ADDRS) | FTNIC_KEY(IPV6_ADDRS) | FTNIC_KEY(PORTS) |
			      FTNIC_KEY(TCP) | FTNIC_KEY(VLAN) | FTNIC_KEY(CVLAN) |
			      FTNIC_KEY(PPPOE);

/* ------------------------------------------------------------------ keys */

static enum ftnic_decode_result ftnic_decode_meta(const struct flow_rule *rule,
						  struct ftnic_decoded *d)
{
	struct fl_rule_match *m = &d->rule.match;
	struct flow_match_meta match;

	flow_rule_match_meta(rule, &match);
	/* The port is matched exactly or not at all: hardware keeps no ifindex mask. */
	if (match.mask->ingress_ifindex != 0xffffffff || match.mask->ingress_iftype)
		return ftnic_bad(d, FTNIC_BAD_KEY, FLOW_DISSECTOR_KEY_META,
				 "ingress ifindex mask must be exact, no interface type");
	m->keys |= FL_MATCH_INGRESS;
	m->ingress_ifindex = match.key->ingress_ifindex;
	return FTNIC_DECODED;
}

static enum ftnic_decode_result ftnic_decode_control(const struct flow_rule *rule,
						     struct ftnic_decoded *d)
{
	struct flow_match_control match;

	flow_rule_match_control(rule, &match);
	if (match.mask->flags)
		return ftnic_bad(d, FTNIC_BAD_KEY, FLOW_DISSECTOR_KEY_CONTROL,
				 "fragment flags cannot be matched");
	d->rule.match.keys |= FL_MATCH_CONTROL;
	if (!match.mask->addr_type)
		return FTNIC_DECODED;
	switch (match.key->addr_type) {
	case FLOW_DISSECTOR_KEY_IPV4_ADDRS:
		d->rule.match.l3proto = FL_L3_IPV4;
		return FTNIC_DECODED;
	case FLOW_DISSECTOR_KEY_IPV6_ADDRS:
		d->rule.match.l3proto = FL_L3_IPV6;
		return FTNIC_DECODED;
	default:
		return ftnic_bad(d, FTNIC_BAD_KEY, FLOW_DISSECTOR_KEY_CONTROL,
				 "address type other than IPv4 or IPv6");
	}
}

static void ftnic_decode_basic(const struct flow_rule *rule, struct ftnic_decoded *d)
{
	struct fl_rule_match *m = &d->rule.match;
	struct flow_match_basic match;

	flow_rule_match_basic(rule, &match);
	m->keys |= FL_MATCH_BASIC;
	m->n_proto = be16_to_cpu(match.key->n_proto);
	m->n_proto_mask = be16_to_cpu(match.mask->n_proto);
	m->ip_proto = match.key->ip_proto;
	m->ip_proto_mask = match.mask->ip_proto;
}

static void ftnic_decode_ipv4(const struct flow_rule *rule, struct ftnic_decoded *d)
{
	struct fl_rule_match *m = &d->rule.match;
	struct flow_match_ipv4_addrs match;

	flow_rule_match_ipv4_addrs(rule, &match);
	m->keys |= FL_MATCH_IPV4;
	m->l3proto = FL_L3_IPV4;
	memcpy(m->src.b, &match.key->src, 4);
	memcpy(m->src_mask.b, &match.mask->src, 4);
	memcpy(m->dst.b, &match.key->dst, 4);
	memcpy(m->dst_mask.b, &match.mask->dst, 4);
}

static void ftnic_decode_ipv6(const struct flow_rule *rule, struct ftnic_decoded *d)
{
	struct fl_rule_match *m = &d->rule.match;
	struct flow_match_ipv6_addrs match;

	flow_rule_match_ipv6_addrs(rule, &match);
	m->keys |= FL_MATCH_IPV6;
	m->l3proto = FL_L3_IPV6;
	memcpy(m->src.b, &match.key->src, 16);
	memcpy(m->src_mask.b, &match.mask->src, 16);
	memcpy(m->dst.b, &match.key->dst, 16);
	memcpy(m->dst_mask.b, &match.mask->dst, 16);
}

static void ftnic_decode_ports(const struct flow_rule *rule, struct ftnic_decoded *d)
{
	struct fl_rule_match *m = &d->rule.match;
	struct flow_match_ports match;

	flow_rule_match_ports(rule, &match);
	m->keys |= FL_MATCH_PORTS;
	memcpy(&m->sport, &match.key->src, 2);
	memcpy(&m->sport_mask, &match.mask->src, 2);
	memcpy(&m->dport, &match.key->dst, 2);
	memcpy(&m->dport_mask, &match.mask->dst, 2);
}

/* The key holds the 12 flag bits of the TCP header; the NIC matches the low eight. */
static enum ftnic_decode_result ftnic_decode_tcp(const struct flow_rule *rule,
						 struct ftnic_decoded *d)
{
	struct fl_rule_match *m = &d->rule.match;
	struct flow_match_tcp match;
	u16 flags, mask;

	flow_rule_match_tcp(rule, &match);
	flags = be16_to_cpu(match.key->flags);
	mask = be16_to_cpu(match.mask->flags);
	if (mask & 0x0f00)
		return ftnic_bad(d, FTNIC_BAD_KEY, FLOW_DISSECTOR_KEY_TCP,
				 "TCP flags above the low eight cannot be matched");
	m->keys |= FL_MATCH_TCP_FLAGS;
	m->tcp_flags = flags & 0xff;
	m->tcp_flags_mask = mask & 0xff;
	return FTNIC_DECODED;
}

static enum ftnic_decode_result ftnic_decode_tag(const struct flow_dissector_key_vlan *key,
						 const struct flow_dissector_key_vlan *mask,
						 struct fl_match_vlan *v, int which,
						 struct ftnic_decoded *d)
{
	if (mask->vlan_priority || mask->vlan_dei || mask->vlan_eth_type)
		return ftnic_bad(d, FTNIC_BAD_KEY, which,
				 "VLAN priority, DEI or inner ethertype cannot be matched");
	if (mask->vlan_tpid && mask->vlan_tpid != htons(0xffff))
		return ftnic_bad(d, FTNIC_BAD_KEY, which, "partial VLAN protocol mask");
	v->id = key->vlan_id;
	v->id_mask = mask->vlan_id;
	v->tpid = mask->vlan_tpid ? be16_to_cpu(key->vlan_tpid) : 0; /* 0: any */
	return FTNIC_DECODED;
}

static enum ftnic_decode_result ftnic_decode_vlans(const struct flow_rule *rule,
						   struct ftnic_decoded *d)
{
	struct fl_rule_match *m = &d->rule.match;
	struct flow_match_vlan match;
	enum ftnic_decode_result r;

	if (flow_rule_match_key(rule, FLOW_DISSECTOR_KEY_VLAN)) {
		flow_rule_match_vlan(rule, &match);
		r = ftnic_decode_tag(match.key, match.mask, &m->vlan, FLOW_DISSECTOR_KEY_VLAN, d);
		if (r)
			return r;
		m->keys |= FL_MATCH_VLAN;
	}
	if (flow_rule_match_key(rule, FLOW_DISSECTOR_KEY_CVLAN)) {
		flow_rule_match_cvlan(rule, &match);
		r = ftnic_decode_tag(match.key, match.mask, &m->cvlan, FLOW_DISSECTOR_KEY_CVLAN, d);
		if (r)
			return r;
		m->keys |= FL_MATCH_CVLAN;
	}
	return FTNIC_DECODED;
}

static enum ftnic_decode_result ftnic_decode_pppoe(const struct flow_rule *rule,
						   struct ftnic_decoded *d)
{
	struct fl_rule_match *m = &d->rule.match;
	struct flow_match_pppoe match;

	flow_rule_match_pppoe(rule, &match);
	if (match.mask->session_id != htons(0xffff) || match.mask->ppp_proto || match.mask->type)
		return ftnic_bad(d, FTNIC_BAD_KEY, FLOW_DISSECTOR_KEY_PPPOE,
				 "only an exact PPPoE session id can be matched");
	m->keys |= FL_MATCH_PPPOE;
	m->pppoe_sid = be16_to_cpu(match.key->session_id);
	return FTNIC_DECODED;
}

static enum ftnic_decode_result ftnic_decode_keys(const struct flow_rule *rule,
						  struct ftnic_decoded *d)
{
	enum ftnic_decode_result r;
	int k;

	for (k = 0; k < FLOW_DISSECTOR_KEY_MAX; k++)
		if (flow_rule_match_key(rule, k) && !(ftnic_keys & BIT_ULL(k)))
			return ftnic_bad(d, FTNIC_BAD_KEY, k, "unsupported key");
	if (flow_rule_match_key(rule, FLOW_DISSECTOR_KEY_META)) {
		r = ftnic_decode_meta(rule, d);
		if (r)
			return r;
	}
	if (flow_rule_match_key(rule, FLOW_DISSECTOR_KEY_CONTROL)) {
		r = ftnic_decode_control(rule, d);
		if (r)
			return r;
	}
	if (flow_rule_match_key(rule, FLOW_DISSECTOR_KEY_BASIC))
		ftnic_decode_basic(rule, d);
	if (flow_rule_match_key(rule, FLOW_DISSECTOR_KEY_IPV4_ADDRS))
		ftnic_decode_ipv4(rule, d);
	if (flow_rule_match_key(rule, FLOW_DISSECTOR_KEY_IPV6_ADDRS)) {
		if (d->rule.match.keys & FL_MATCH_IPV4)
			return ftnic_bad(d, FTNIC_BAD_KEY, FLOW_DISSECTOR_KEY_IPV6_ADDRS,
					 "both IPv4 and IPv6 addresses");
		ftnic_decode_ipv6(rule, d);
	}
	if (flow_rule_match_key(rule, FLOW_DISSECTOR_KEY_PORTS))
		ftnic_decode_ports(rule, d);
	if (flow_rule_match_key(rule, FLOW_DISSECTOR_KEY_TCP)) {
		r = ftnic_decode_tcp(rule, d);
		if (r)
			return r;
	}
	if (flow_rule_match_key(rule, FLOW_DISSECTOR_KEY_PPPOE)) {
		r = ftnic_decode_pppoe(rule, d);
		if (r)
			return r;
	}
	return ftnic_decode_vlans(rule, d);
}

/* ------------------------------------------------------------------ actions */

static struct fl_action *ftnic_next(struct ftnic_decoded *d)
{
	struct fl_action *a = &d->rule.actions[d->rule.num_actions++];

	memset(a, 0, sizeof(*a));
	return a;
}

static enum ftnic_decode_result ftnic_decode_mangle(const struct flow_action_entry *e,
						    struct ftnic_decoded *d)
{
	static const u8 htypes[] = {
		[FLOW_ACT_MANGLE_HDR_TYPE_ETH] = FL_HDR_ETH,
		[FLOW_ACT_MANGLE_HDR_TYPE_IP4] = FL_HDR_IPV4,
		[FLOW_ACT_MANGLE_HDR_TYPE_IP6] = FL_HDR_IPV6,
		[FLOW_ACT_MANGLE_HDR_TYPE_TCP] = FL_HDR_TCP,
		[FLOW_ACT_MANGLE_HDR_TYPE_UDP] = FL_HDR_UDP,
	};
	struct fl_action *a;

	if (e->mangle.htype >= ARRAY_SIZE(htypes) || !htypes[e->mangle.htype])
		return ftnic_bad(d, FTNIC_BAD_ACTION, e->id, "mangle of an unknown header");
	a = ftnic_next(d);
	a->id = FL_ACT_MANGLE;
	a->htype = htypes[e->mangle.htype];
	a->mangle.offset = e->mangle.offset;
	/* The entry holds the header's bytes as they are on the wire. */
	a->mangle.mask = be32_to_cpu((__force __be32)e->mangle.mask);
	a->mangle.val = be32_to_cpu((__force __be32)e->mangle.val);
	return FTNIC_DECODED;
}

static enum ftnic_decode_result ftnic_decode_csum(const struct flow_action_entry *e,
						  struct ftnic_decoded *d)
{
	const u32 known = TCA_CSUM_UPDATE_FLAG_IPV4HDR | TCA_CSUM_UPDATE_FLAG_TCP |
			  TCA_CSUM_UPDATE_FLAG_UDP;
	struct fl_action *a;

	if (e->csum_flags & ~known)
		return ftnic_bad(d, FTNIC_BAD_ACTION, e->id,
				 "checksums other than IPv4 header, TCP and UDP");
	a = ftnic_next(d);
	a->id = FL_ACT_CSUM;
	if (e->csum_flags & TCA_CSUM_UPDATE_FLAG_IPV4HDR)
		a->csum_flags |= FL_CSUM_IPV4HDR;
	if (e->csum_flags & TCA_CSUM_UPDATE_FLAG_TCP)
		a->csum_flags |= FL_CSUM_TCP;
	if (e->csum_flags & TCA_CSUM_UPDATE_FLAG_UDP)
		a->csum_flags |= FL_CSUM_UDP;
	return FTNIC_DECODED;
}

static enum ftnic_decode_result ftnic_decode_vlan_push(const struct flow_action_entry *e,
						       struct ftnic_decoded *d)
{
	struct fl_action *a;

	if (e->vlan.prio)
		return ftnic_bad(d, FTNIC_BAD_ACTION, e->id, "VLAN push with a priority");
	a = ftnic_next(d);
	a->id = FL_ACT_VLAN_PUSH;
	a->vlan.id = e->vlan.vid;
	a->vlan.proto = be16_to_cpu(e->vlan.proto);
	return FTNIC_DECODED;
}

static enum ftnic_decode_result ftnic_decode_redirect(const struct flow_action_entry *e,
						      struct ftnic_decoded *d)
{
	struct fl_action *a;

	if (d->redirect)
		return ftnic_bad(d, FTNIC_BAD_ACTION, e->id, "more than one redirect");
	if (!e->dev)
		return ftnic_bad(d, FTNIC_BAD_ACTION, e->id, "redirect without a device");
	a = ftnic_next(d);
	a->id = FL_ACT_REDIRECT;
	a->redirect.ifindex = e->dev->ifindex;
	d->redirect = e->dev;
	return FTNIC_DECODED;
}

static enum ftnic_decode_result ftnic_decode_action(const struct flow_action_entry *e,
						    struct ftnic_decoded *d)
{
	if (d->rule.num_actions == FL_RULE_MAX_ACTIONS)
		return ftnic_bad(d, FTNIC_BAD_ACTION, e->id, "too many actions");
	switch (e->id) {
	case FLOW_ACTION_MANGLE:
		return ftnic_decode_mangle(e, d);
	case FLOW_ACTION_CSUM:
		return ftnic_decode_csum(e, d);
	case FLOW_ACTION_VLAN_POP:
		ftnic_next(d)->id = FL_ACT_VLAN_POP;
		return FTNIC_DECODED;
	case FLOW_ACTION_VLAN_PUSH:
		return ftnic_decode_vlan_push(e, d);
	case FLOW_ACTION_PPPOE_PUSH:
		ftnic_next(d)->id = FL_ACT_PPPOE_PUSH;
		d->rule.actions[d->rule.num_actions - 1].pppoe.sid = e->pppoe.sid;
		return FTNIC_DECODED;
	case FLOW_ACTION_REDIRECT:
		return ftnic_decode_redirect(e, d);
	case FLOW_ACTION_TUNNEL_ENCAP:
	case FLOW_ACTION_TUNNEL_DECAP:
		return ftnic_bad(d, FTNIC_BAD_ACTION, e->id, "tunnel encapsulation");
	default:
		return ftnic_bad(d, FTNIC_BAD_ACTION, e->id, "unsupported action");
	}
}

enum ftnic_decode_result ftnic_decode(const struct flow_rule *rule, struct ftnic_decoded *d)
{
	const struct flow_action_entry *e;
	enum ftnic_decode_result r;
	int i;

	memset(d, 0, sizeof(*d));
	d->what = -1;
	r = ftnic_decode_keys(rule, d);
	if (r)
		return r;
	flow_action_for_each(i, e, &rule->action) {
		r = ftnic_decode_action(e, d);
		if (r)
			return r;
	}
	return FTNIC_DECODED;
}
