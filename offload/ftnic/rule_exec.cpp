// SPDX-License-Identifier: GPL-2.0
//
// The test NIC's flow engine (see rule_exec.h). Headers are read and written
// by offset with explicit big-endian accessors, never through casts. Pops and
// pushes move the Ethernet addresses (and the headers this rule pushed) rather
// than the payload, so the IP and transport headers never move in memory: the
// engine keeps absolute pointers to them for the whole rule.
#include "offload/ftnic/rule_exec.h"

namespace {

using u8 = fl_u8;
using u16 = fl_u16;
using u32 = fl_u32;
using s32 = fl_s32;

constexpr u16 kEthIpv4 = 0x0800, kEthIpv6 = 0x86dd, kEthVlan = 0x8100, kEthQinq = 0x88a8,
	      kEthPppSes = 0x8864;
constexpr u16 kPppIpv4 = 0x0021, kPppIpv6 = 0x0057;
constexpr u32 kMacs = 12, kEthHlen = 14, kVlanHlen = 4, kPppoeHlen = 8;
constexpr u32 kIpv4Hlen = 20, kIpv6Hlen = 40, kTcpHlen = 20, kUdpHlen = 8;
constexpr u8 kTcp = 6, kUdp = 17;

u16 get16(const u8 *p) { return static_cast<u16>(p[0] << 8 | p[1]); }
u32 get32(const u8 *p) { return static_cast<u32>(get16(p)) << 16 | get16(p + 2); }
void put16(u8 *p, u16 v)
{
	p[0] = static_cast<u8>(v >> 8);
	p[1] = static_cast<u8>(v);
}
void put32(u8 *p, u32 v)
{
	put16(p, static_cast<u16>(v >> 16));
	put16(p + 2, static_cast<u16>(v));
}

bool is_vlan(u16 tpid) { return tpid == kEthVlan || tpid == kEthQinq; }
u32 tag_len(u16 tpid) { return tpid == kEthPppSes ? kPppoeHlen : kVlanHlen; }

// ------------------------------------------------------------------ parse

// The tags in front of the IP packet; sets l3 and n_proto.
ftx_result parse_tags(const u8 *f, u32 len, ftx_layout *lay)
{
	for (u32 at = kMacs;; at += kVlanHlen) {
		if (at + 2 > len)
			return FTX_PUNT_PARSE;
		u16 type = get16(f + at);
		if (type != kEthPppSes && !is_vlan(type)) {
			lay->l3 = at + 2;
			lay->n_proto = type;
			return FTX_OK;
		}
		if (lay->ntags == FTX_MAX_TAGS || at + 2 + kVlanHlen > len)
			return FTX_PUNT_PARSE;
		if (is_vlan(type)) {
			lay->tags[lay->ntags++] = {type, static_cast<u16>(get16(f + at + 2) & 0x0fff)};
			continue;
		}
		// PPPoE session: version 1 type 1, code 0, then PPP carrying IP. Always innermost.
		if (at + 2 + kPppoeHlen > len || f[at + 2] != 0x11 || f[at + 3] != 0)
			return FTX_PUNT_PARSE;
		lay->tags[lay->ntags++] = {type, get16(f + at + 4)};
		u16 ppp = get16(f + at + 8);
		lay->n_proto = ppp == kPppIpv4 ? kEthIpv4 : ppp == kPppIpv6 ? kEthIpv6 : 0;
		lay->l3 = at + 2 + kPppoeHlen;
		return lay->n_proto ? FTX_OK : FTX_PUNT_PARSE;
	}
}

ftx_result parse_l4(const u8 *f, ftx_layout *lay)
{
	if (lay->proto == kTcp) {
		if (lay->l4 + kTcpHlen > lay->end)
			return FTX_PUNT_PARSE;
		u32 doff = (f[lay->l4 + 12] >> 4) * 4u;
		if (doff < kTcpHlen || lay->l4 + doff > lay->end)
			return FTX_PUNT_PARSE;
		lay->tcp_flags = get16(f + lay->l4 + 12) & 0x0fff;
		lay->has_ports = true;
	} else if (lay->proto == kUdp) {
		if (lay->l4 + kUdpHlen > lay->end)
			return FTX_PUNT_PARSE;
		lay->has_ports = true;
	}
	return FTX_OK;
}

// IPv4 without options and unfragmented: the rest is the software path's job.
ftx_result parse_ipv4(const u8 *f, u32 len, ftx_layout *lay)
{
	const u8 *ip = f + lay->l3;
	if (lay->l3 + kIpv4Hlen > len || ip[0] != 0x45)
		return FTX_PUNT_PARSE;
	u32 tot = get16(ip + 2);
	if (tot < kIpv4Hlen || lay->l3 + tot > len || (get16(ip + 6) & 0x3fff))
		return FTX_PUNT_PARSE;
	lay->ipver = 4;
	lay->proto = ip[9];
	lay->l4 = lay->l3 + kIpv4Hlen;
	lay->end = lay->l3 + tot;
	return parse_l4(f, lay);
}

// IPv6 whose next header is the transport (extension headers: software path).
ftx_result parse_ipv6(const u8 *f, u32 len, ftx_layout *lay)
{
	const u8 *ip = f + lay->l3;
	if (lay->l3 + kIpv6Hlen > len || (ip[0] >> 4) != 6)
		return FTX_PUNT_PARSE;
	u32 end = lay->l3 + kIpv6Hlen + get16(ip + 4);
	if (end > len)
		return FTX_PUNT_PARSE;
	lay->ipver = 6;
	lay->proto = ip[6];
	lay->l4 = lay->l3 + kIpv6Hlen;
	lay->end = end;
	return parse_l4(f, lay);
}

// ------------------------------------------------------------------ match

bool masked_equal(const u8 *a, const u8 *b, const u8 *mask, u32 n)
{
	for (u32 i = 0; i < n; i++)
		if ((a[i] ^ b[i]) & mask[i])
			return false;
	return true;
}

bool tag_matches(const fl_match_vlan &v, const ftx_tag &t)
{
	return is_vlan(t.tpid) && !((t.id ^ v.id) & v.id_mask) && (!v.tpid || v.tpid == t.tpid);
}

bool tags_match(const fl_rule_match &m, const ftx_layout &lay)
{
	if ((m.keys & FL_MATCH_VLAN) && (lay.ntags < 1 || !tag_matches(m.vlan, lay.tags[0])))
		return false;
	if ((m.keys & FL_MATCH_CVLAN) && (lay.ntags < 2 || !tag_matches(m.cvlan, lay.tags[1])))
		return false;
	// The rules of Linux 6.1 carry neither a PPPoE key nor a PPPoE pop: a session
	// frame must not hit a rule that would forward it with the session header on.
	bool pppoe = lay.ntags && lay.tags[lay.ntags - 1].tpid == kEthPppSes;
	if (m.keys & FL_MATCH_PPPOE)
		return pppoe && lay.tags[lay.ntags - 1].id == m.pppoe_sid;
	return !pppoe;
}

bool addrs_match(const fl_rule_match &m, const u8 *f, const ftx_layout &lay)
{
	bool v4 = m.keys & FL_MATCH_IPV4, v6 = m.keys & FL_MATCH_IPV6;
	if (!v4 && !v6)
		return true;
	if ((v4 && lay.ipver != 4) || (v6 && lay.ipver != 6))
		return false;
	u32 alen = v4 ? 4 : 16;
	const u8 *src = f + lay.l3 + (v4 ? 12 : 8);
	return masked_equal(src, m.src.b, m.src_mask.b, alen) &&
	       masked_equal(src + alen, m.dst.b, m.dst_mask.b, alen);
}

bool ports_match(const fl_rule_match &m, const u8 *f, const ftx_layout &lay)
{
	if (!(m.keys & FL_MATCH_PORTS))
		return true;
	if (!lay.has_ports)
		return false;
	const u8 *l4 = f + lay.l4;
	return masked_equal(l4, reinterpret_cast<const u8 *>(&m.sport),
			    reinterpret_cast<const u8 *>(&m.sport_mask), 2) &&
	       masked_equal(l4 + 2, reinterpret_cast<const u8 *>(&m.dport),
			    reinterpret_cast<const u8 *>(&m.dport_mask), 2);
}

// ------------------------------------------------------------------ checksums

u32 sum16(const u8 *p, u32 n, u32 sum)
{
	for (u32 i = 0; i + 1 < n; i += 2)
		sum += get16(p + i);
	if (n & 1)
		sum += static_cast<u32>(p[n - 1]) << 8;
	return sum;
}

u16 fold(u32 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return static_cast<u16>(sum);
}

// RFC 1624: HC' = ~(~HC + ~m + m'), for a 32-bit word changing from @from to @to.
void csum_replace32(u8 *field, u32 from, u32 to)
{
	u32 sum = static_cast<u16>(~get16(field));
	sum += static_cast<u16>(~(from >> 16)) + static_cast<u16>(~from);
	sum += (to >> 16) + (to & 0xffff);
	put16(field, static_cast<u16>(~fold(sum)));
}

void csum_replace16(u8 *field, u16 from, u16 to)
{
	u32 sum = static_cast<u16>(~get16(field));
	sum += static_cast<u16>(~from) + to;
	put16(field, static_cast<u16>(~fold(sum)));
}

void csum_ipv4_header(u8 *ip)
{
	put16(ip + 10, 0);
	put16(ip + 10, static_cast<u16>(~fold(sum16(ip, kIpv4Hlen, 0))));
}

// Where the transport checksum lives, or null: none, or UDP over IPv4 without one.
u8 *l4_csum_field(u8 *ip, u8 *l4, const ftx_layout &lay)
{
	if (!lay.has_ports)
		return nullptr;
	u8 *field = l4 + (lay.proto == kTcp ? 16 : 6);
	if (lay.proto == kUdp && lay.ipver == 4 && get16(field) == 0)
		return nullptr; // "no checksum" stays so
	return field;
}

void csum_l4(u8 *ip, u8 *l4, const ftx_layout &lay)
{
	u8 *field = l4_csum_field(ip, l4, lay);
	if (!field)
		return;
	u32 alen = lay.ipver == 4 ? 4 : 16;
	u32 len = lay.end - lay.l4;
	u32 sum = sum16(ip + (lay.ipver == 4 ? 12 : 8), 2 * alen, 0) + lay.proto + len;
	put16(field, 0);
	u16 c = static_cast<u16>(~fold(sum16(l4, len, sum)));
	put16(field, lay.proto == kUdp && c == 0 ? 0xffff : c);
}

// Keep the transport checksum right when a word it covers changes.
void fix_l4_csum(u8 *ip, u8 *l4, const ftx_layout &lay, u32 from, u32 to)
{
	u8 *field = l4_csum_field(ip, l4, lay);
	if (!field)
		return;
	csum_replace32(field, from, to);
	if (lay.proto == kUdp && get16(field) == 0)
		put16(field, 0xffff);
}

// ------------------------------------------------------------------ actions

// The header stack in front of the IP packet while the rule runs (outermost first).
struct Stack {
	ftx_tag tags[FTX_MAX_TAGS + FTX_MAX_PUSHES];
	u32 n = 0;
	u32 pushed = 0; // how many of the outer tags this rule pushed

	bool pop(u16 tpid_class)
	{
		if (!n || (tpid_class == kEthPppSes) != (tags[0].tpid == kEthPppSes))
			return false;
		for (u32 i = 1; i < n; i++)
			tags[i - 1] = tags[i];
		n--;
		if (pushed)
			pushed--;
		return true;
	}
	bool push(ftx_tag t)
	{
		if (n == FTX_MAX_TAGS + FTX_MAX_PUSHES)
			return false;
		for (u32 i = n; i > pushed; i--)
			tags[i] = tags[i - 1];
		tags[pushed++] = t;
		n++;
		return true;
	}
	// VLAN tags first, at most one PPPoE session, innermost.
	bool valid() const
	{
		for (u32 i = 0; i + 1 < n; i++)
			if (tags[i].tpid == kEthPppSes)
				return false;
		return true;
	}
	u32 bytes() const
	{
		u32 b = 0;
		for (u32 i = 0; i < n; i++)
			b += tag_len(tags[i].tpid);
		return b;
	}
	u32 vlan_bytes() const
	{
		u32 b = 0;
		for (u32 i = 0; i < n && is_vlan(tags[i].tpid); i++)
			b += kVlanHlen;
		return b;
	}
};

bool has_ttl_action(const fl_rule &r)
{
	for (u32 i = 0; i < r.num_actions; i++)
		if (r.actions[i].id == FL_ACT_DEC_TTL)
			return true;
	return false;
}

bool mangle_in_range(u8 htype, u32 offset)
{
	if (offset % 4)
		return false;
	switch (htype) {
	case FL_HDR_ETH:
		return offset + 4 <= kMacs;
	case FL_HDR_IPV4:
		return offset + 4 <= kIpv4Hlen;
	case FL_HDR_IPV6:
		return offset + 4 <= kIpv6Hlen;
	case FL_HDR_TCP:
		return offset + 4 <= kTcpHlen;
	case FL_HDR_UDP:
		return offset + 4 <= kUdpHlen;
	default:
		return false;
	}
}

bool mangle_fits(u8 htype, const ftx_layout &lay)
{
	switch (htype) {
	case FL_HDR_IPV4:
		return lay.ipver == 4;
	case FL_HDR_IPV6:
		return lay.ipver == 6;
	case FL_HDR_TCP:
		return lay.proto == kTcp && lay.has_ports;
	case FL_HDR_UDP:
		return lay.proto == kUdp && lay.has_ports;
	default:
		return true;
	}
}

u8 ttl_of(const u8 *ip, const ftx_layout &lay) { return ip[lay.ipver == 4 ? 8 : 7]; }

// One action's effect on the plan. Mirrors apply_action() without writing.
ftx_result plan_action(const fl_action &a, const u8 *ip, const ftx_layout &lay, Stack &st,
		       ftx_plan &plan, s32 &front)
{
	switch (a.id) {
	case FL_ACT_MANGLE:
		return mangle_fits(a.htype, lay) ? FTX_OK : FTX_PUNT_ACTION;
	case FL_ACT_DEC_TTL:
		return ttl_of(ip, lay) > 1 ? FTX_OK : FTX_PUNT_TTL;
	case FL_ACT_CSUM:
		return FTX_OK;
	case FL_ACT_VLAN_POP:
	case FL_ACT_PPPOE_POP: {
		u16 cls = a.id == FL_ACT_PPPOE_POP ? kEthPppSes : kEthVlan;
		if (!st.pop(cls))
			return FTX_PUNT_TAGS;
		front -= static_cast<s32>(tag_len(cls));
		return FTX_OK;
	}
	case FL_ACT_VLAN_PUSH:
	case FL_ACT_PPPOE_PUSH: {
		ftx_tag t = a.id == FL_ACT_VLAN_PUSH ? ftx_tag{a.vlan.proto, a.vlan.id}
						     : ftx_tag{kEthPppSes, a.pppoe.sid};
		if (!st.push(t))
			return FTX_PUNT_TAGS;
		front += static_cast<s32>(tag_len(t.tpid));
		if (front > 0 && static_cast<u32>(front) > plan.headroom)
			plan.headroom = static_cast<u32>(front);
		return FTX_OK;
	}
	case FL_ACT_REDIRECT:
		plan.egress = a.redirect.ifindex;
		return FTX_OK;
	default:
		return FTX_PUNT_ACTION;
	}
}

// Insert @len header bytes after the addresses and the @pushed bytes pushed before.
u8 *open_gap(ftx_frame &f, u32 pushed, u32 len)
{
	u8 *old = f.data;
	f.data -= len;
	f.len += len;
	f.headroom -= len;
	__builtin_memmove(f.data, old, kMacs + pushed);
	return f.data + kMacs + pushed;
}

// Remove the outermost header (@len bytes after the addresses).
void close_gap(ftx_frame &f, u32 len)
{
	u8 *old = f.data;
	f.data += len;
	f.len -= len;
	f.headroom += len;
	__builtin_memmove(f.data, old, kMacs);
}

void push_vlan(ftx_frame &f, u32 &pushed, const fl_action &a)
{
	u8 *tag = open_gap(f, pushed, kVlanHlen);
	put16(tag, a.vlan.proto);
	put16(tag + 2, a.vlan.id & 0x0fff);
	pushed += kVlanHlen;
}

// The ethertype the new header replaces (IP, checked by the plan) becomes its PPP protocol.
void push_pppoe(ftx_frame &f, u32 &pushed, const fl_action &a, const ftx_layout &lay)
{
	u8 *hdr = open_gap(f, pushed, kPppoeHlen);
	put16(hdr, kEthPppSes);
	hdr[2] = 0x11; // version 1, type 1
	hdr[3] = 0;    // code: session data
	put16(hdr + 4, a.pppoe.sid);
	put16(hdr + 6, static_cast<u16>(lay.end - lay.l3 + 2)); // PPP protocol + IP packet
	put16(hdr + 8, lay.ipver == 4 ? kPppIpv4 : kPppIpv6);
	pushed += kPppoeHlen;
}

void pop_vlan(ftx_frame &f, u32 &pushed)
{
	close_gap(f, kVlanHlen);
	pushed = pushed > kVlanHlen ? pushed - kVlanHlen : 0;
}

// The session header goes, the IP ethertype takes the place of its PPP protocol.
void pop_pppoe(ftx_frame &f, u32 &pushed, const ftx_layout &lay)
{
	put16(f.data + kMacs + kPppoeHlen, lay.ipver == 4 ? kEthIpv4 : kEthIpv6);
	close_gap(f, kPppoeHlen);
	pushed = pushed > kPppoeHlen ? pushed - kPppoeHlen : 0;
}

void mangle(const fl_action &a, ftx_frame &f, u8 *ip, u8 *l4, const ftx_layout &lay, u32 opts)
{
	u8 *base = a.htype == FL_HDR_ETH ? f.data
		   : a.htype == FL_HDR_IPV4 || a.htype == FL_HDR_IPV6 ? ip : l4;
	u8 *word = base + a.mangle.offset;
	u32 from = get32(word);
	u32 to = (from & a.mangle.mask) | a.mangle.val;
	put32(word, to);
	if (!(opts & FTX_FIX_CSUM) || from == to)
		return;
	u32 off = a.mangle.offset;
	switch (a.htype) {
	case FL_HDR_IPV4:
		if (off == 8) // the word holds the header checksum itself
			csum_ipv4_header(ip);
		else
			csum_replace32(ip + 10, from, to);
		if (off >= 12) // the addresses are in the pseudo-header
			fix_l4_csum(ip, l4, lay, from, to);
		return;
	case FL_HDR_IPV6:
		if (off >= 8)
			fix_l4_csum(ip, l4, lay, from, to);
		return;
	case FL_HDR_TCP:
		if (off != 16) // not the word holding the checksum
			fix_l4_csum(ip, l4, lay, from, to);
		return;
	case FL_HDR_UDP:
		if (off != 4)
			fix_l4_csum(ip, l4, lay, from, to);
		return;
	default:
		return;
	}
}

void csum_action(const fl_action &a, u8 *ip, u8 *l4, const ftx_layout &lay)
{
	if ((a.csum_flags & FL_CSUM_IPV4HDR) && lay.ipver == 4)
		csum_ipv4_header(ip);
	if (((a.csum_flags & FL_CSUM_TCP) && lay.proto == kTcp) ||
	    ((a.csum_flags & FL_CSUM_UDP) && lay.proto == kUdp))
		csum_l4(ip, l4, lay);
}

void dec_ttl(u8 *ip, const ftx_layout &lay)
{
	if (lay.ipver == 6) {
		ip[7]--;
		return;
	}
	u16 from = get16(ip + 8); // TTL and protocol share a checksummed word
	ip[8]--;
	csum_replace16(ip + 10, from, get16(ip + 8));
}

void apply_action(const fl_action &a, ftx_frame &f, u8 *ip, u8 *l4, const ftx_layout &lay,
		  u32 opts, u32 &pushed)
{
	switch (a.id) {
	case FL_ACT_MANGLE:
		mangle(a, f, ip, l4, lay, opts);
		return;
	case FL_ACT_DEC_TTL:
		dec_ttl(ip, lay);
		return;
	case FL_ACT_CSUM:
		csum_action(a, ip, l4, lay);
		return;
	case FL_ACT_VLAN_POP:
		pop_vlan(f, pushed);
		return;
	case FL_ACT_PPPOE_POP:
		pop_pppoe(f, pushed, lay);
		return;
	case FL_ACT_VLAN_PUSH:
		push_vlan(f, pushed, a);
		return;
	case FL_ACT_PPPOE_PUSH:
		push_pppoe(f, pushed, a, lay);
		return;
	default:
		return; // REDIRECT: the caller sends the frame
	}
}

ftx_result check_action(const fl_action &a, u32 &pushes, bool &egress)
{
	switch (a.id) {
	case FL_ACT_MANGLE:
		return mangle_in_range(a.htype, a.mangle.offset) ? FTX_OK : FTX_PUNT_ACTION;
	case FL_ACT_CSUM:
		return (a.csum_flags & ~(FL_CSUM_IPV4HDR | FL_CSUM_TCP | FL_CSUM_UDP)) ? FTX_PUNT_ACTION
										   : FTX_OK;
	case FL_ACT_VLAN_PUSH:
		if (!is_vlan(a.vlan.proto) || a.vlan.id > 0x0fff)
			return FTX_PUNT_ACTION;
		[[fallthrough]];
	case FL_ACT_PPPOE_PUSH:
		return ++pushes > FTX_MAX_PUSHES ? FTX_PUNT_ACTION : FTX_OK;
	case FL_ACT_DEC_TTL:
	case FL_ACT_VLAN_POP:
	case FL_ACT_PPPOE_POP:
		return FTX_OK;
	case FL_ACT_REDIRECT:
		egress = true;
		return FTX_OK;
	default:
		return FTX_PUNT_ACTION; // tunnels and anything unknown
	}
}

} // namespace

// ------------------------------------------------------------------ API

extern "C" ftx_result ftx_parse(const u8 *frame, u32 len, ftx_layout *lay) noexcept
{
	__builtin_memset(lay, 0, sizeof(*lay));
	ftx_result r = parse_tags(frame, len, lay);
	if (r != FTX_OK)
		return r;
	if (lay->n_proto == kEthIpv4)
		return parse_ipv4(frame, len, lay);
	if (lay->n_proto == kEthIpv6)
		return parse_ipv6(frame, len, lay);
	return FTX_PUNT_PARSE;
}

extern "C" bool ftx_match(const fl_rule_match *m, s32 port, const u8 *frame,
			  const ftx_layout *lay) noexcept
{
	if ((m->keys & FL_MATCH_INGRESS) && m->ingress_ifindex != port)
		return false;
	if (m->keys & FL_MATCH_TUNNEL)
		return false; // the engine does not parse tunnels
	if (!tags_match(*m, *lay))
		return false;
	if ((m->keys & FL_MATCH_BASIC) && (((lay->n_proto ^ m->n_proto) & m->n_proto_mask) ||
					   ((lay->proto ^ m->ip_proto) & m->ip_proto_mask)))
		return false;
	if (!addrs_match(*m, frame, *lay) || !ports_match(*m, frame, *lay))
		return false;
	if ((m->keys & FL_MATCH_TCP_FLAGS) &&
	    (lay->proto != kTcp || ((lay->tcp_flags ^ m->tcp_flags) & m->tcp_flags_mask)))
		return false;
	return true;
}

extern "C" ftx_result ftx_check_rule(const fl_rule *rule) noexcept
{
	u32 pushes = 0;
	bool egress = false;
	if (rule->num_actions > FL_RULE_MAX_ACTIONS)
		return FTX_PUNT_ACTION;
	for (u32 i = 0; i < rule->num_actions; i++) {
		ftx_result r = check_action(rule->actions[i], pushes, egress);
		if (r != FTX_OK)
			return r;
	}
	return egress ? FTX_OK : FTX_PUNT_NO_EGRESS;
}

extern "C" ftx_result ftx_prepare(const fl_rule *rule, const u8 *frame, const ftx_layout *lay,
				  u32 opts, ftx_plan *plan) noexcept
{
	const u8 *ip = frame + lay->l3;
	Stack st;
	s32 front = 0;
	__builtin_memset(plan, 0, sizeof(*plan));
	for (u32 i = 0; i < lay->ntags; i++)
		st.tags[st.n++] = lay->tags[i];
	for (u32 i = 0; i < rule->num_actions; i++) {
		ftx_result r = plan_action(rule->actions[i], ip, *lay, st, *plan, front);
		if (r != FTX_OK)
			return r;
	}
	if (!st.valid())
		return FTX_PUNT_TAGS;
	if ((opts & FTX_DEC_TTL) && !has_ttl_action(*rule) && ttl_of(ip, *lay) <= 1)
		return FTX_PUNT_TTL;
	if (!plan->egress)
		return FTX_PUNT_NO_EGRESS;
	plan->out_len = kMacs + 2 + st.bytes() + (lay->end - lay->l3);
	plan->mtu_len = plan->out_len - kEthHlen - st.vlan_bytes();
	return FTX_OK;
}

extern "C" void ftx_apply(const fl_rule *rule, ftx_frame *f, const ftx_layout *lay, u32 opts) noexcept
{
	u8 *ip = f->data + lay->l3;
	u8 *l4 = f->data + lay->l4;
	u8 *end = f->data + lay->end;
	u32 pushed = 0;
	for (u32 i = 0; i < rule->num_actions; i++)
		apply_action(rule->actions[i], *f, ip, l4, *lay, opts, pushed);
	if ((opts & FTX_DEC_TTL) && !has_ttl_action(*rule))
		dec_ttl(ip, *lay);
	f->len = static_cast<u32>(end - f->data); // Ethernet padding is not sent on
}

extern "C" ftx_result ftx_execute(const fl_rule *rule, s32 port, ftx_frame *f, u32 opts,
				  ftx_plan *plan) noexcept
{
	ftx_layout lay;
	ftx_result r = ftx_parse(f->data, f->len, &lay);
	if (r != FTX_OK)
		return r;
	if (!ftx_match(&rule->match, port, f->data, &lay))
		return FTX_MISS;
	r = ftx_prepare(rule, f->data, &lay, opts, plan);
	if (r != FTX_OK)
		return r;
	if (plan->headroom > f->headroom)
		return FTX_PUNT_HEADROOM;
	ftx_apply(rule, f, &lay, opts);
	return FTX_OK;
}

extern "C" bool ftx_rule_key(const fl_rule_match *m, ftx_key *key) noexcept
{
	__builtin_memset(key, 0, sizeof(*key));
	bool v4 = m->keys & FL_MATCH_IPV4;
	if (!(m->keys & FL_MATCH_BASIC) || m->ip_proto_mask != 0xff || !(m->keys & (FL_MATCH_IPV4 | FL_MATCH_IPV6)))
		return false;
	u32 alen = v4 ? 4 : 16;
	for (u32 i = 0; i < alen; i++)
		if (m->src_mask.b[i] != 0xff || m->dst_mask.b[i] != 0xff)
			return false;
	bool l4 = m->ip_proto == kTcp || m->ip_proto == kUdp;
	if (l4 && (!(m->keys & FL_MATCH_PORTS) || m->sport_mask != 0xffff || m->dport_mask != 0xffff))
		return false;
	if (!l4 && (m->keys & FL_MATCH_PORTS))
		return false;
	__builtin_memcpy(key->src, m->src.b, alen);
	__builtin_memcpy(key->dst, m->dst.b, alen);
	if (l4) {
		key->sport = m->sport;
		key->dport = m->dport;
	}
	key->ipver = v4 ? 4 : 6;
	key->proto = m->ip_proto;
	return true;
}

extern "C" void ftx_frame_key(const u8 *frame, const ftx_layout *lay, ftx_key *key) noexcept
{
	__builtin_memset(key, 0, sizeof(*key));
	u32 alen = lay->ipver == 4 ? 4 : 16;
	const u8 *src = frame + lay->l3 + (lay->ipver == 4 ? 12 : 8);
	__builtin_memcpy(key->src, src, alen);
	__builtin_memcpy(key->dst, src + alen, alen);
	if (lay->has_ports) {
		__builtin_memcpy(&key->sport, frame + lay->l4, 2);
		__builtin_memcpy(&key->dport, frame + lay->l4 + 2, 2);
	}
	key->ipver = lay->ipver;
	key->proto = lay->proto;
}

extern "C" const char *ftx_result_name(ftx_result r) noexcept
{
	switch (r) {
	case FTX_OK: return "ok";
	case FTX_MISS: return "miss";
	case FTX_PUNT_PARSE: return "parse";
	case FTX_PUNT_TTL: return "ttl";
	case FTX_PUNT_ACTION: return "action";
	case FTX_PUNT_TAGS: return "tags";
	case FTX_PUNT_HEADROOM: return "headroom";
	case FTX_PUNT_NO_EGRESS: return "no_egress";
	default: return "?";
	}
}
