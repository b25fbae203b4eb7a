// SPDX-License-Identifier: GPL-2.0
//
// Flow direction -> rule. The actions reproduce, in hardware terms, exactly
// what the software fastpath does to a frame of that direction: rewrite the
// Ethernet addresses, translate addresses and ports (after NAT a packet of
// direction d looks like the mirror of the other direction's tuple), decrement
// the TTL, fix the checksums, strip the ingress encapsulation, push the egress
// one (the other direction's, innermost first so the outermost ends outermost)
// and redirect to the egress device.
#include "offload/flow_rule.h"

#include "nf_flow_table/wire.h"

namespace fl::offload {

namespace {

u32 be32_at(const u8 *p) { return wire::read_be32(p); }

struct fl_action action(u8 id)
{
	struct fl_action a;
	zero_bytes(&a, sizeof(a));
	a.id = id;
	return a;
}

// Worst case, spelled out so that the array size is checked against it.
constexpr u32 kEthMangles = 3;
constexpr u32 kNatMangles = 2 * (4 + 1); // IPv6 SNAT + DNAT, address words + port word
constexpr u32 kWorstCase = kEthMangles + kNatMangles + 1 /* ttl */ + 1 /* csum */ +
			   2 * FL_ENCAP_MAX /* pops + pushes */ + 2 /* tunnel */ + 1 /* redirect */;
static_assert(kWorstCase == FL_RULE_WORST_CASE_ACTIONS, "recount the worst case");
static_assert(kWorstCase <= FL_RULE_MAX_ACTIONS, "a rule must hold its worst case");

} // namespace

// ------------------------------------------------------------------ builders

Status try_add_mangle(ActionList &l, u8 htype, u32 offset, u32 mask, u32 val)
{
	struct fl_action a = action(FL_ACT_MANGLE);
	a.htype = htype;
	a.mangle.offset = offset;
	a.mangle.mask = mask;
	a.mangle.val = val;
	return l.try_append(a);
}

// Destination then source MAC: three whole words.
Status try_add_eth_rewrite(ActionList &l, const u8 *dst, const u8 *src)
{
	u8 hdr[12];
	copy_bytes(hdr, dst, FL_ETH_ALEN);
	copy_bytes(hdr + FL_ETH_ALEN, src, FL_ETH_ALEN);
	for (u32 off = 0; off < 12; off += 4)
		TRY(try_add_mangle(l, FL_HDR_ETH, off, 0, be32_at(hdr + off)));
	return {};
}

Status try_add_addr_rewrite(ActionList &l, u8 l3proto, bool source, const struct fl_addr &to)
{
	if (l3proto == FL_L3_IPV4)
		return try_add_mangle(l, FL_HDR_IPV4, source ? wire::ipv4::kSrc : wire::ipv4::kDst, 0,
				      be32_at(to.b));
	u32 base = source ? wire::ipv6::kSrc : wire::ipv6::kDst;
	for (u32 w = 0; w < 4; w++)
		TRY(try_add_mangle(l, FL_HDR_IPV6, base + 4 * w, 0, be32_at(to.b + 4 * w)));
	return {};
}

// Both ports share the transport header's first word; keep what is not rewritten.
Status try_add_ports_rewrite(ActionList &l, u8 l4proto, bool sport, fl_be16 sp, bool dport, fl_be16 dp)
{
	u8 sb[2], db[2];
	copy_bytes(sb, &sp, 2);
	copy_bytes(db, &dp, 2);
	u32 mask = 0xffffffffu, val = 0;
	if (sport) {
		mask &= 0x0000ffffu;
		val |= static_cast<u32>(wire::read_be16(sb)) << 16;
	}
	if (dport) {
		mask &= 0xffff0000u;
		val |= wire::read_be16(db);
	}
	return try_add_mangle(l, l4proto == FL_IPPROTO_TCP ? FL_HDR_TCP : FL_HDR_UDP, 0, mask, val);
}

Status try_add_dec_ttl(ActionList &l) { return l.try_append(action(FL_ACT_DEC_TTL)); }

Status try_add_csum(ActionList &l, u32 flags)
{
	struct fl_action a = action(FL_ACT_CSUM);
	a.csum_flags = flags;
	return l.try_append(a);
}

Status try_add_encap_pop(ActionList &l, const struct fl_encap &e)
{
	return l.try_append(action(e.proto == FL_ETH_P_PPP_SES ? FL_ACT_PPPOE_POP : FL_ACT_VLAN_POP));
}

Status try_add_encap_push(ActionList &l, const struct fl_encap &e)
{
	if (e.proto == FL_ETH_P_PPP_SES) {
		struct fl_action a = action(FL_ACT_PPPOE_PUSH);
		a.pppoe.sid = e.id;
		return l.try_append(a);
	}
	struct fl_action a = action(FL_ACT_VLAN_PUSH);
	a.vlan.id = e.id;
	a.vlan.proto = e.proto;
	return l.try_append(a);
}

Status try_add_tunnel_decap(ActionList &l) { return l.try_append(action(FL_ACT_TUNNEL_DECAP)); }

Status try_add_tunnel_encap(ActionList &l, u32 key_id, const struct fl_addr &src,
			    const struct fl_addr &dst)
{
	struct fl_action a = action(FL_ACT_TUNNEL_ENCAP);
	a.tunnel.key_id = key_id;
	a.tunnel.src = src;
	a.tunnel.dst = dst;
	return l.try_append(a);
}

Status try_add_redirect(ActionList &l, s32 ifindex)
{
	struct fl_action a = action(FL_ACT_REDIRECT);
	a.redirect.ifindex = ifindex;
	return l.try_append(a);
}

// ------------------------------------------------------------------ match

namespace {

void match_encap(const Tuple &t, struct fl_rule_match &m)
{
	struct fl_match_vlan *slots[2] = {&m.vlan, &m.cvlan};
	u32 keys[2] = {FL_MATCH_VLAN, FL_MATCH_CVLAN};
	unsigned vlans = 0;
	for (unsigned i = 0; i < t.encap_num; i++) {
		const struct fl_encap &e = t.encap[i];
		if (e.proto == FL_ETH_P_PPP_SES) {
			m.keys |= FL_MATCH_PPPOE;
			m.pppoe_sid = e.id;
			continue;
		}
		slots[vlans]->id = e.id;
		slots[vlans]->id_mask = 0x0fff;
		slots[vlans]->tpid = e.proto;
		m.keys |= keys[vlans];
		vlans++;
	}
}

} // namespace

void build_match(const Flow &flow, Dir dir, struct fl_rule_match &m)
{
	const Tuple &t = flow.tuple(dir);
	zero_bytes(&m, sizeof(m));
	m.keys = FL_MATCH_INGRESS | FL_MATCH_BASIC | FL_MATCH_PORTS;
	m.ingress_ifindex = t.iifindex;
	m.l3proto = t.l3proto;
	m.n_proto = t.l3proto == FL_L3_IPV4 ? FL_ETH_P_IPV4 : FL_ETH_P_IPV6;
	m.n_proto_mask = 0xffff;
	m.ip_proto = t.l4proto;
	m.ip_proto_mask = 0xff;
	m.keys |= t.l3proto == FL_L3_IPV4 ? FL_MATCH_IPV4 : FL_MATCH_IPV6;
	size_t alen = addr_len(t.l3proto);
	m.src = t.src;
	m.dst = t.dst;
	__builtin_memset(m.src_mask.b, 0xff, alen);
	__builtin_memset(m.dst_mask.b, 0xff, alen);
	m.sport = t.src_port;
	m.dport = t.dst_port;
	m.sport_mask = m.dport_mask = 0xffff;
	if (t.l4proto == FL_IPPROTO_TCP) {
		// FIN and RST must reach the software path, which tears the flow down.
		m.keys |= FL_MATCH_TCP_FLAGS;
		m.tcp_flags = 0;
		m.tcp_flags_mask = wire::tcp::kFin | wire::tcp::kRst;
	}
	match_encap(t, m);
}

// ------------------------------------------------------------------ actions

namespace {

Status try_add_nat(const Flow &flow, Dir dir, ActionList &l)
{
	u32 nat = flow.hot(dir) & (FL_FLOW_SNAT | FL_FLOW_DNAT);
	if (!nat)
		return {};
	const Tuple &t = flow.tuple(dir);
	const Tuple &other = flow.tuple(opposite(dir));
	bool src = dir == Dir::Original ? (nat & FL_FLOW_SNAT) : (nat & FL_FLOW_DNAT);
	bool dst = dir == Dir::Original ? (nat & FL_FLOW_DNAT) : (nat & FL_FLOW_SNAT);
	if (src)
		TRY(try_add_addr_rewrite(l, t.l3proto, true, other.dst));
	if (dst)
		TRY(try_add_addr_rewrite(l, t.l3proto, false, other.src));
	return try_add_ports_rewrite(l, t.l4proto, src, other.dst_port, dst, other.src_port);
}

Status try_add_checksums(const Flow &flow, Dir dir, ActionList &l)
{
	const Tuple &t = flow.tuple(dir);
	u32 flags = t.l3proto == FL_L3_IPV4 ? FL_CSUM_IPV4HDR : 0; // the TTL changed
	if (flow.hot(dir) & (FL_FLOW_SNAT | FL_FLOW_DNAT))
		flags |= t.l4proto == FL_IPPROTO_TCP ? FL_CSUM_TCP : FL_CSUM_UDP;
	return flags ? try_add_csum(l, flags) : Status{};
}

Status try_add_encaps(const Flow &flow, Dir dir, ActionList &l)
{
	const Tuple &in = flow.tuple(dir);
	const Tuple &out = flow.tuple(opposite(dir));
	for (unsigned i = 0; i < in.encap_num; i++)
		TRY(try_add_encap_pop(l, in.encap[i]));
	for (unsigned i = out.encap_num; i-- > 0;)
		TRY(try_add_encap_push(l, out.encap[i]));
	return {};
}

} // namespace

Status try_build_actions(const Flow &flow, Dir dir, ActionList &l)
{
	const struct fl_xmit &x = flow.out(dir);
	TRY(try_add_eth_rewrite(l, x.h_dest, x.h_source));
	TRY(try_add_nat(flow, dir, l));
	TRY(try_add_dec_ttl(l));
	TRY(try_add_checksums(flow, dir, l));
	TRY(try_add_encaps(flow, dir, l));
	return try_add_redirect(l, x.hw_ifindex ? x.hw_ifindex : x.ifindex);
}

Status try_build_rule(const Flow &flow, Dir dir, struct fl_rule &rule, u32 capacity)
{
	// Action slots are written only by bounded appends; the rest is cleared.
	zero_bytes(&rule, __builtin_offsetof(struct fl_rule, actions));
	rule.cookie = rule_cookie(flow, dir);
	rule.dir = static_cast<u8>(dir);
	build_match(flow, dir, rule.match);
	ActionList l(rule.actions, min<u32>(capacity, FL_RULE_MAX_ACTIONS));
	Status st = try_build_actions(flow, dir, l);
	rule.num_actions = l.size();
	return st;
}

} // namespace fl::offload

extern "C" int fl_offload_build_rule(const struct fl_flow *flow, enum fl_dir dir,
				     struct fl_rule *rule) noexcept
{
	fl::Status st = fl::offload::try_build_rule(*flow, static_cast<fl::Dir>(dir), *rule);
	return st.ok() ? 0 : fl::to_errno(st.error());
}
