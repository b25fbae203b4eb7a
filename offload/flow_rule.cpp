// SPDX-License-Identifier: GPL-2.0
//
// Flow direction -> rule, in Linux 6.1's flowtable form. The match is the
// direction's tuple as the hardware sees it (META, CONTROL, BASIC, addresses,
// TCP flags, ports, VLAN tags). The actions turn the arriving frame into the
// one the software fastpath sends, in the order and granularity stock
// nf_flow_table uses, so that a driver cannot tell the two apart:
//
//   Ethernet source (two partial words), destination (two partial words),
//   VLAN pops, encapsulation pushes (outermost first), SNAT address and port,
//   DNAT address and port, a checksum update for IPv4 with NAT, the redirect.
//
// After NAT a packet of direction d looks like the mirror of the other
// direction's tuple. There is no TTL action: the hardware decrements the TTL
// itself (and, for IPv4, fixes the header checksum), as Linux assumes.
#include "offload/flow_rule.h"

#include "nf_flow_table/wire.h"

namespace fl::offload {

namespace {

u32 be32_at(const u8 *p) { return wire::read_be32(p); }
u32 be16_of(fl_be16 v)
{
	u8 b[2];
	copy_bytes(b, &v, 2);
	return wire::read_be16(b);
}

struct fl_action action(u8 id)
{
	struct fl_action a;
	zero_bytes(&a, sizeof(a));
	a.id = id;
	return a;
}

bool is_vlan(const struct fl_encap &e) { return e.proto != FL_ETH_P_PPP_SES; }

// Worst case, spelled out so that the array size is checked against it.
constexpr u32 kEthMangles = 4;
constexpr u32 kNatMangles = 2 * (4 + 1); // IPv6 SNAT + DNAT, address words + port word
constexpr u32 kWorstCase = 2 /* tunnel */ + kEthMangles + 2 * FL_ENCAP_MAX /* pops + pushes */ +
			   kNatMangles + 1 /* redirect */;
static_assert(kWorstCase == FL_RULE_WORST_CASE_ACTIONS, "recount the worst case");
static_assert(kWorstCase <= FL_RULE_MAX_ACTIONS, "a rule must hold its worst case");

} // namespace

// ------------------------------------------------------------------ builders

Status try_add_mangle(ActionList &l, u8 htype, u32 offset, u32 mask, u32 val)
{
	FL_ASSERT(!(val & mask));
	struct fl_action a = action(FL_ACT_MANGLE);
	a.htype = htype;
	a.mangle.offset = offset;
	a.mangle.mask = mask;
	a.mangle.val = val;
	return l.try_append(a);
}

// The source MAC spans bytes 6..11: the second half of word 4, all of word 8.
Status try_add_eth_src(ActionList &l, const u8 *src)
{
	TRY(try_add_mangle(l, FL_HDR_ETH, 4, 0xffff0000u, static_cast<u32>(src[0]) << 8 | src[1]));
	return try_add_mangle(l, FL_HDR_ETH, 8, 0, be32_at(src + 2));
}

// The destination MAC spans bytes 0..5: all of word 0, the first half of word 4.
Status try_add_eth_dst(ActionList &l, const u8 *dst)
{
	TRY(try_add_mangle(l, FL_HDR_ETH, 0, 0, be32_at(dst)));
	return try_add_mangle(l, FL_HDR_ETH, 4, 0x0000ffffu,
			      static_cast<u32>(dst[4]) << 24 | static_cast<u32>(dst[5]) << 16);
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

// Both ports share the transport header's first word; each rewrite keeps the other.
Status try_add_port_rewrite(ActionList &l, u8 l4proto, bool source, fl_be16 to)
{
	u8 htype = l4proto == FL_IPPROTO_TCP ? FL_HDR_TCP : FL_HDR_UDP;
	if (source)
		return try_add_mangle(l, htype, 0, 0x0000ffffu, be16_of(to) << 16);
	return try_add_mangle(l, htype, 0, 0xffff0000u, be16_of(to));
}

Status try_add_csum(ActionList &l, u32 flags)
{
	struct fl_action a = action(FL_ACT_CSUM);
	a.csum_flags = flags;
	return l.try_append(a);
}

Status try_add_vlan_pop(ActionList &l) { return l.try_append(action(FL_ACT_VLAN_POP)); }

Status try_add_encap_push(ActionList &l, const struct fl_encap &e)
{
	if (!is_vlan(e)) {
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

// ------------------------------------------------------------------ egress

Result<L2Out> try_resolve_l2(const Flow &flow, Dir dir, const Lowering &ctx)
{
	const struct fl_xmit &x = flow.out(dir);
	L2Out out;
	switch (x.kind) {
	case FL_XMIT_DIRECT:
		copy_bytes(out.h_dest, x.h_dest, FL_ETH_ALEN);
		copy_bytes(out.h_source, x.h_source, FL_ETH_ALEN);
		out.ifindex = x.hw_ifindex ? x.hw_ifindex : x.ifindex;
		return out;
	case FL_XMIT_NEIGH: {
		// The next hop toward the other direction's source, and the MAC the
		// route's device (a VLAN device, say) sends with; the frame leaves
		// through the real port the other direction comes in on.
		const Tuple &other = flow.tuple(opposite(dir));
		if (!ctx.ops || !ctx.ops->neigh_macs)
			return Error::NotFound;
		out.ifindex = other.iifindex;
		int err = ctx.ops->neigh_macs(ctx.priv, x.route, &other.src, other.l3proto, x.ifindex,
					      out.h_dest, out.h_source);
		if (err)
			return from_errno(err);
		return out;
	}
	default:
		return Error::NotSupported; // IPsec: no rule form
	}
}

// ------------------------------------------------------------------ match

namespace {

// VLAN tags the hardware sees, outermost first: the outer one matches VLAN,
// the next CVLAN. Tags the egress hardware strips itself are not matched.
// PPPoE has no key (and no pop) in Linux 6.1's rule: such flows stay in software.
Status try_match_encap(const Flow &flow, Dir dir, struct fl_rule_match &m)
{
	const Tuple &t = flow.tuple(dir);
	u8 hw = flow.out(opposite(dir)).hw_vlans;
	struct fl_match_vlan *slots[2] = {&m.vlan, &m.cvlan};
	u32 keys[2] = {FL_MATCH_VLAN, FL_MATCH_CVLAN};
	unsigned used = 0;
	for (unsigned i = 0; i < t.encap_num; i++) {
		const struct fl_encap &e = t.encap[i];
		if (!is_vlan(e))
			return Error::NotSupported;
		if (hw & (1u << i))
			continue;
		slots[used]->id = e.id;
		slots[used]->id_mask = 0x0fff;
		slots[used]->tpid = e.proto;
		m.keys |= keys[used];
		used++;
	}
	return {};
}

void match_addresses(const Tuple &t, struct fl_rule_match &m)
{
	m.keys |= FL_MATCH_CONTROL | (t.l3proto == FL_L3_IPV4 ? FL_MATCH_IPV4 : FL_MATCH_IPV6);
	m.l3proto = t.l3proto;
	size_t alen = addr_len(t.l3proto);
	m.src = t.src;
	m.dst = t.dst;
	__builtin_memset(m.src_mask.b, 0xff, alen);
	__builtin_memset(m.dst_mask.b, 0xff, alen);
}

} // namespace

Status try_build_match(const Flow &flow, Dir dir, struct fl_rule_match &m)
{
	const Tuple &t = flow.tuple(dir);
	zero_bytes(&m, sizeof(m));
	m.keys = FL_MATCH_INGRESS | FL_MATCH_BASIC | FL_MATCH_PORTS;
	m.ingress_ifindex = t.iifindex;
	m.n_proto = t.l3proto == FL_L3_IPV4 ? FL_ETH_P_IPV4 : FL_ETH_P_IPV6;
	m.n_proto_mask = 0xffff;
	m.ip_proto = t.l4proto;
	m.ip_proto_mask = 0xff;
	match_addresses(t, m);
	m.sport = t.src_port;
	m.dport = t.dst_port;
	m.sport_mask = m.dport_mask = 0xffff;
	if (t.l4proto == FL_IPPROTO_TCP) {
		// FIN and RST must reach the software path, which tears the flow down.
		m.keys |= FL_MATCH_TCP_FLAGS;
		m.tcp_flags = 0;
		m.tcp_flags_mask = wire::tcp::kFin | wire::tcp::kRst;
	}
	return try_match_encap(flow, dir, m);
}

// ------------------------------------------------------------------ actions

namespace {

// Strip what the hardware matched: every VLAN tag it did not strip itself.
Status try_add_pops(const Flow &flow, Dir dir, ActionList &l)
{
	const Tuple &in = flow.tuple(dir);
	u8 hw = flow.out(opposite(dir)).hw_vlans;
	for (unsigned i = 0; i < in.encap_num; i++)
		if (!(hw & (1u << i)))
			TRY(try_add_vlan_pop(l));
	return {};
}

// The other direction arrives with the encapsulation we must leave with;
// outermost first, as Linux lists them (the hardware nests each push inside
// the ones before it).
Status try_add_pushes(const Flow &flow, Dir dir, ActionList &l)
{
	const Tuple &out = flow.tuple(opposite(dir));
	u8 hw = flow.out(dir).hw_vlans;
	for (unsigned i = 0; i < out.encap_num; i++)
		if (!(hw & (1u << i)))
			TRY(try_add_encap_push(l, out.encap[i]));
	return {};
}

// One NAT kind: the address, then its port. Rewritten toward the mirror of
// the other tuple: SNAT changes the original's source and the reply's
// destination, DNAT the original's destination and the reply's source.
Status try_add_nat_side(const Flow &flow, Dir dir, bool source, ActionList &l)
{
	const Tuple &t = flow.tuple(dir);
	const Tuple &other = flow.tuple(opposite(dir));
	TRY(try_add_addr_rewrite(l, t.l3proto, source, source ? other.dst : other.src));
	return try_add_port_rewrite(l, t.l4proto, source, source ? other.dst_port : other.src_port);
}

// SNAT before DNAT, each complete, as separate entries: drivers that read the
// port words by their masks (MediaTek's) see one port per word.
Status try_add_nat(const Flow &flow, Dir dir, ActionList &l)
{
	u32 nat = flow.hot(dir);
	bool original = dir == Dir::Original;
	if (nat & FL_FLOW_SNAT)
		TRY(try_add_nat_side(flow, dir, original, l));
	if (nat & FL_FLOW_DNAT)
		TRY(try_add_nat_side(flow, dir, !original, l));
	return {};
}

// IPv4 with NAT only: the hardware fixes the header checksum after its own
// TTL decrement anyway, and IPv6 has none (its NICs update L4 themselves).
Status try_add_checksum(const Flow &flow, Dir dir, ActionList &l)
{
	const Tuple &t = flow.tuple(dir);
	if (t.l3proto != FL_L3_IPV4 || !(flow.hot(dir) & (FL_FLOW_SNAT | FL_FLOW_DNAT)))
		return {};
	return try_add_csum(l, FL_CSUM_IPV4HDR | (t.l4proto == FL_IPPROTO_TCP ? FL_CSUM_TCP : FL_CSUM_UDP));
}

} // namespace

Status try_build_actions(const Flow &flow, Dir dir, const L2Out &out, ActionList &l)
{
	TRY(try_add_eth_src(l, out.h_source));
	TRY(try_add_eth_dst(l, out.h_dest));
	TRY(try_add_pops(flow, dir, l));
	TRY(try_add_pushes(flow, dir, l));
	TRY(try_add_nat(flow, dir, l));
	TRY(try_add_checksum(flow, dir, l));
	return try_add_redirect(l, out.ifindex);
}

Status try_build_rule(const Flow &flow, Dir dir, struct fl_rule &rule, const Lowering &ctx, u32 capacity)
{
	// Action slots are written only by bounded appends; the rest is cleared.
	zero_bytes(&rule, __builtin_offsetof(struct fl_rule, actions));
	rule.cookie = rule_cookie(flow, dir);
	rule.priority = ctx.priority;
	rule.dir = static_cast<u8>(dir);
	TRY(try_build_match(flow, dir, rule.match));
	L2Out out = TRY(try_resolve_l2(flow, dir, ctx));
	ActionList l(rule.actions, min<u32>(capacity, FL_RULE_MAX_ACTIONS));
	Status st = try_build_actions(flow, dir, out, l);
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
