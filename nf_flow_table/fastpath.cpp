// SPDX-License-Identifier: GPL-2.0
//
// The packet path: parse a frame, look the flow up, check that the fastpath may
// take it, then NAT, TTL, counters, L2 rewrite and a transmit verdict. Every
// bail-out leaves the packet untouched and names its reason.
#include "nf_flow_table/checksum.h"
#include "nf_flow_table/fastpath.h"
#include "nf_flow_table/wire.h"

namespace fl {

namespace {

using namespace wire;

// What parsing learned about a packet.
struct Parsed {
	Tuple key;
	u32 l3off;      // IP header offset from pkt->data
	u32 l3len;      // IP total length (header + payload)
	u32 l4off;      // transport header offset from pkt->data
	u32 l4hdr;      // transport header length
	u8 ipver;       // 4 or 6
	u8 tcp_flags;   // TCP only
	u16 ethertype;  // of the IP packet
	u32 l2len;      // bytes of L2 headers present before l3off (entry L2: Ethernet + encap)
};

// A slowpath verdict, or continue (FL_SLOW_NONE).
struct Check {
	u8 reason;
	u32 need;
};
constexpr Check kGo{FL_SLOW_NONE, 0};
constexpr Check slow(u8 reason) { return Check{reason, 0}; }

// Are @n bytes at @off available? If they exist but are not contiguous, ask for a pull.
Check need_bytes(const struct fl_packet &pkt, u32 off, u32 n)
{
	u64 end = static_cast<u64>(off) + n;
	if (end <= pkt.headlen && end <= pkt.len)
		return kGo;
	if (end <= pkt.len)
		return Check{FL_SLOW_NEED_PULL, static_cast<u32>(end)};
	return slow(FL_SLOW_MALFORMED);
}

// ---------------------------------------------------------------- L2

Check push_encap(Parsed &p, u16 id, u16 proto)
{
	if (p.key.encap_num >= FL_ENCAP_MAX)
		return slow(FL_SLOW_NOT_IP); // deeper stacks than we track
	p.key.encap[p.key.encap_num].id = id;
	p.key.encap[p.key.encap_num].proto = proto;
	p.key.encap_num++;
	return kGo;
}

Check parse_vlan(const struct fl_packet &pkt, Parsed &p, u16 &type, u32 &off)
{
	Check c = need_bytes(pkt, off, vlan::kLen);
	if (c.reason)
		return c;
	u16 vid = read_be16(pkt.data + off + vlan::kTci) & vlan::kVidMask;
	c = push_encap(p, vid, type);
	if (c.reason)
		return c;
	type = read_be16(pkt.data + off + vlan::kInnerType);
	off += vlan::kLen;
	return kGo;
}

Check parse_pppoe(const struct fl_packet &pkt, Parsed &p, u16 &type, u32 &off)
{
	Check c = need_bytes(pkt, off, pppoe::kLen);
	if (c.reason)
		return c;
	const u8 *h = pkt.data + off;
	if (h[pppoe::kVerType] != pppoe::kVerTypeSession || h[pppoe::kCode] != 0)
		return slow(FL_SLOW_MALFORMED);
	// The PPPoE length counts the PPP protocol field and the payload.
	u32 plen = read_be16(h + pppoe::kLength);
	if (plen < 2 || off + 6 + plen > pkt.len)
		return slow(FL_SLOW_MALFORMED);
	u16 ppp = read_be16(h + pppoe::kPppProto);
	u16 inner = ppp == pppoe::kPppIpv4 ? FL_ETH_P_IPV4 : ppp == pppoe::kPppIpv6 ? FL_ETH_P_IPV6 : 0;
	if (!inner)
		return slow(FL_SLOW_NOT_IP);
	c = push_encap(p, read_be16(h + pppoe::kSession), FL_ETH_P_PPP_SES);
	if (c.reason)
		return c;
	type = inner;
	off += pppoe::kLen;
	return kGo;
}

// Find the IP header: strip Ethernet (entry L2) and up to two encapsulations.
Check parse_l2(const struct fl_packet &pkt, Parsed &p)
{
	u32 off = 0;
	u16 type;
	if (pkt.flags & FL_PKT_HW_VLAN) {
		Check c = push_encap(p, pkt.hw_vlan_id & vlan::kVidMask, pkt.hw_vlan_proto);
		if (c.reason)
			return c;
	}
	if (pkt.entry == FL_ENTRY_L2) {
		Check c = need_bytes(pkt, 0, eth::kLen);
		if (c.reason)
			return c;
		type = read_be16(pkt.data + eth::kType);
		off = eth::kLen;
	} else if (pkt.entry == FL_ENTRY_ETHERTYPE) {
		type = pkt.ethertype;
	} else {
		Check c = need_bytes(pkt, 0, 1);
		if (c.reason)
			return c;
		u8 ver = pkt.data[0] >> 4;
		type = ver == 4 ? FL_ETH_P_IPV4 : ver == 6 ? FL_ETH_P_IPV6 : 0;
	}
	for (unsigned layer = 0; layer <= FL_ENCAP_MAX; layer++) {
		Check c = kGo;
		if (type == FL_ETH_P_8021Q || type == FL_ETH_P_8021AD)
			c = parse_vlan(pkt, p, type, off);
		else if (type == FL_ETH_P_PPP_SES)
			c = parse_pppoe(pkt, p, type, off);
		else
			break;
		if (c.reason)
			return c;
	}
	if (type != FL_ETH_P_IPV4 && type != FL_ETH_P_IPV6)
		return slow(FL_SLOW_NOT_IP);
	p.ethertype = type;
	p.l3off = off;
	p.l2len = off;
	return kGo;
}

// ---------------------------------------------------------------- L3/L4

Check parse_l4(const struct fl_packet &pkt, Parsed &p, u8 proto)
{
	if (proto != FL_IPPROTO_TCP && proto != FL_IPPROTO_UDP)
		return slow(FL_SLOW_NOT_TCP_UDP);
	u32 min = proto == FL_IPPROTO_TCP ? tcp::kMinLen : udp::kLen;
	u32 l4len = p.l3off + p.l3len - p.l4off;
	if (l4len < min)
		return slow(FL_SLOW_MALFORMED);
	Check c = need_bytes(pkt, p.l4off, min);
	if (c.reason)
		return c;
	const u8 *l4 = pkt.data + p.l4off;
	if (proto == FL_IPPROTO_TCP) {
		u32 doff = (l4[tcp::kDataOff] >> 4) * 4u;
		if (doff < tcp::kMinLen || doff > l4len)
			return slow(FL_SLOW_MALFORMED);
		p.tcp_flags = l4[tcp::kFlags];
		p.l4hdr = doff;
	} else {
		p.l4hdr = udp::kLen;
		u32 ulen = read_be16(l4 + udp::kLength);
		if (ulen < udp::kLen || ulen > l4len)
			return slow(FL_SLOW_MALFORMED);
	}
	p.key.src_port = read_raw16(l4 + 0);
	p.key.dst_port = read_raw16(l4 + 2);
	p.key.l4proto = proto;
	return kGo;
}

Check parse_ipv4(const struct fl_packet &pkt, Parsed &p)
{
	Check c = need_bytes(pkt, p.l3off, ipv4::kMinLen);
	if (c.reason)
		return c;
	const u8 *ip = pkt.data + p.l3off;
	u32 ihl = (ip[ipv4::kVerIhl] & 0x0f) * 4u;
	if (ip[ipv4::kVerIhl] >> 4 != 4 || ihl < ipv4::kMinLen)
		return slow(FL_SLOW_MALFORMED);
	p.l3len = read_be16(ip + ipv4::kTotLen);
	if (p.l3len < ihl || p.l3off + p.l3len > pkt.len)
		return slow(FL_SLOW_MALFORMED);
	if (read_be16(ip + ipv4::kFragOff) & ipv4::kFragMask)
		return slow(FL_SLOW_FRAGMENT);
	if (ihl != ipv4::kMinLen)
		return slow(FL_SLOW_IP_OPTIONS);
	u8 proto = ip[ipv4::kProto];
	if (proto != FL_IPPROTO_TCP && proto != FL_IPPROTO_UDP)
		return slow(FL_SLOW_NOT_TCP_UDP);
	if (ip[ipv4::kTtl] <= 1)
		return slow(FL_SLOW_TTL);
	p.ipver = 4;
	p.l4off = p.l3off + ihl;
	p.key.l3proto = FL_L3_IPV4;
	copy_bytes(p.key.src.b, ip + ipv4::kSrc, 4);
	copy_bytes(p.key.dst.b, ip + ipv4::kDst, 4);
	return parse_l4(pkt, p, proto);
}

bool ipv6_is_extension(u8 nh)
{
	switch (nh) {
	case ipv6::kHopByHop:
	case ipv6::kRouting:
	case ipv6::kDstOpts:
	case ipv6::kAuth:
	case ipv6::kEsp:
	case ipv6::kMobility:
	case ipv6::kHip:
	case ipv6::kShim6:
		return true;
	default:
		return false;
	}
}

Check parse_ipv6(const struct fl_packet &pkt, Parsed &p)
{
	Check c = need_bytes(pkt, p.l3off, ipv6::kLen);
	if (c.reason)
		return c;
	const u8 *ip = pkt.data + p.l3off;
	if (ip[0] >> 4 != 6)
		return slow(FL_SLOW_MALFORMED);
	u32 plen = read_be16(ip + ipv6::kPayloadLen);
	p.l3len = ipv6::kLen + plen;
	if (plen == 0 || p.l3off + p.l3len > pkt.len)
		return slow(FL_SLOW_MALFORMED); // jumbograms included: not ours
	u8 nh = ip[ipv6::kNextHdr];
	if (nh == ipv6::kFragment)
		return slow(FL_SLOW_FRAGMENT);
	if (ipv6_is_extension(nh))
		return slow(FL_SLOW_IP_OPTIONS);
	if (nh != FL_IPPROTO_TCP && nh != FL_IPPROTO_UDP)
		return slow(FL_SLOW_NOT_TCP_UDP);
	if (ip[ipv6::kHopLimit] <= 1)
		return slow(FL_SLOW_TTL);
	p.ipver = 6;
	p.l4off = p.l3off + ipv6::kLen;
	p.key.l3proto = FL_L3_IPV6;
	copy_bytes(p.key.src.b, ip + ipv6::kSrc, 16);
	copy_bytes(p.key.dst.b, ip + ipv6::kDst, 16);
	return parse_l4(pkt, p, nh);
}

Check parse(const FlowTable &ft, const struct fl_packet &pkt, Parsed &p)
{
	fl_tuple_init(&p.key);
	p.tcp_flags = 0;
	p.key.iifindex = pkt.iifindex;
	if (pkt.entry > FL_ENTRY_L3 || !pkt.data)
		return slow(FL_SLOW_MALFORMED);
	Check c = parse_l2(pkt, p);
	if (c.reason)
		return c;
	bool v4 = p.ethertype == FL_ETH_P_IPV4;
	if (ft.family() && ft.family() != (v4 ? FL_L3_IPV4 : FL_L3_IPV6))
		return slow(FL_SLOW_NOT_IP); // another family's flowtable
	return v4 ? parse_ipv4(pkt, p) : parse_ipv6(pkt, p);
}

// ---------------------------------------------------------------- checks

bool exceeds_mtu(const struct fl_packet &pkt, const Parsed &p, u32 mtu)
{
	if (p.l3len <= mtu)
		return false;
	if (!(pkt.flags & FL_PKT_GSO) || !pkt.gso_size)
		return true;
	// A GSO super-packet fits if each of its segments does.
	u32 segment = (p.l4off - p.l3off) + p.l4hdr + pkt.gso_size;
	return segment > mtu;
}

// Bytes the egress L2 header needs: Ethernet plus the encapsulation the other
// direction's packets arrive with.
u32 l2_push_len(const Tuple &other)
{
	u32 n = eth::kLen;
	for (unsigned i = 0; i < other.encap_num; i++)
		n += other.encap[i].proto == FL_ETH_P_PPP_SES ? pppoe::kLen : vlan::kLen;
	return n;
}

bool builds_l2(const struct fl_packet &pkt, const struct fl_xmit &x)
{
	return (pkt.flags & FL_PKT_BUILD_L2) && x.kind == FL_XMIT_DIRECT;
}

// Everything that can still send the packet slow, in the kernel's order.
Check check_hit(FlowTable &ft, const struct fl_packet &pkt, const Parsed &p, Flow &flow, Dir dir)
{
	const struct fl_xmit &x = flow.out(dir);
	if (exceeds_mtu(pkt, p, x.mtu))
		return slow(FL_SLOW_MTU);
	if (p.key.l4proto == FL_IPPROTO_TCP && (p.tcp_flags & (tcp::kFin | tcp::kRst))) {
		ft.teardown(flow, FL_TEARDOWN_TCP_FIN_RST);
		return slow(FL_SLOW_TCP_FIN_RST);
	}
	if ((x.kind == FL_XMIT_NEIGH || x.kind == FL_XMIT_XFRM) && x.route && ft.ops().route_valid &&
	    !ft.ops().route_valid(x.route, x.route_cookie)) {
		ft.teardown(flow, FL_TEARDOWN_ROUTE_STALE);
		return slow(FL_SLOW_ROUTE_STALE);
	}
	if (builds_l2(pkt, x) && p.l3off + pkt.headroom < l2_push_len(flow.tuple(opposite(dir))))
		return slow(FL_SLOW_NO_HEADROOM);
	return kGo;
}

// ---------------------------------------------------------------- NAT

struct L4Csum {
	u8 *field;    // checksum field, or nullptr when the packet carries none
	bool partial; // the field holds a pseudo-header sum (CHECKSUM_PARTIAL)
};

L4Csum l4_checksum(const struct fl_packet &pkt, const Parsed &p)
{
	u8 *l4 = pkt.data + p.l4off;
	bool partial = pkt.flags & FL_PKT_CSUM_PARTIAL;
	if (p.key.l4proto == FL_IPPROTO_TCP)
		return {l4 + tcp::kCheck, partial};
	u8 *f = l4 + udp::kCheck;
	// A zero UDP checksum means "none": leave it so (unless the device fills it in).
	if (!partial && read_raw16(f) == 0)
		return {nullptr, false};
	return {f, partial};
}

void finish_udp_checksum(const Parsed &p, const L4Csum &c)
{
	// After an update a UDP checksum of zero must be sent as all ones.
	if (c.field && p.key.l4proto == FL_IPPROTO_UDP && read_raw16(c.field) == 0)
		write_raw16(c.field, 0xffff);
}

// Rewrite one address (part of the L4 pseudo-header, and of the IPv4 header checksum).
void nat_addr(const struct fl_packet &pkt, const Parsed &p, const L4Csum &c, u32 field_off,
	      const struct fl_addr &to)
{
	u8 *ip = pkt.data + p.l3off;
	u8 *addr = ip + field_off;
	size_t n = p.ipver == 4 ? 4 : 16;
	if (equal_bytes(addr, to.b, n))
		return;
	if (c.field)
		csum::replace(c.field, addr, to.b, n, c.partial);
	if (p.ipver == 4)
		csum::replace(ip + ipv4::kCheck, addr, to.b, n, false);
	copy_bytes(addr, to.b, n);
}

// Rewrite one port (covered by the L4 checksum; a partial checksum leaves it to the device).
void nat_port(const struct fl_packet &pkt, const Parsed &p, const L4Csum &c, u32 field_off,
	      fl_be16 to)
{
	u8 *port = pkt.data + p.l4off + field_off;
	fl_be16 from = read_raw16(port);
	if (from == to)
		return;
	if (c.field && !c.partial)
		csum::replace16(c.field, from, to, false);
	write_raw16(port, to);
}

// After NAT a packet of direction d looks like the mirror of the other direction's
// tuple: SNAT rewrites the side that was translated at the source, DNAT the other.
void apply_nat(const struct fl_packet &pkt, const Parsed &p, const Flow &flow, Dir dir)
{
	u32 nat = flow.hot(dir) & (FL_FLOW_SNAT | FL_FLOW_DNAT);
	if (!nat)
		return;
	const Tuple &other = flow.tuple(opposite(dir));
	L4Csum c = l4_checksum(pkt, p);
	u32 src_off = p.ipver == 4 ? ipv4::kSrc : ipv6::kSrc;
	u32 dst_off = p.ipver == 4 ? ipv4::kDst : ipv6::kDst;
	bool rewrite_src = dir == Dir::Original ? (nat & FL_FLOW_SNAT) : (nat & FL_FLOW_DNAT);
	bool rewrite_dst = dir == Dir::Original ? (nat & FL_FLOW_DNAT) : (nat & FL_FLOW_SNAT);
	if (rewrite_src) {
		nat_port(pkt, p, c, 0, other.dst_port);
		nat_addr(pkt, p, c, src_off, other.dst);
	}
	if (rewrite_dst) {
		nat_port(pkt, p, c, 2, other.src_port);
		nat_addr(pkt, p, c, dst_off, other.src);
	}
	finish_udp_checksum(p, c);
}

void decrement_ttl(const struct fl_packet &pkt, const Parsed &p)
{
	u8 *ip = pkt.data + p.l3off;
	if (p.ipver == 6) {
		ip[ipv6::kHopLimit]--;
		return;
	}
	// TTL shares a checksummed 16-bit word with the protocol byte.
	u8 before[2] = {ip[ipv4::kTtl], ip[ipv4::kProto]};
	ip[ipv4::kTtl]--;
	csum::replace(ip + ipv4::kCheck, before, ip + ipv4::kTtl, 2, false);
}

// ---------------------------------------------------------------- L2 out

// Write Ethernet + the other direction's encapsulation in front of the IP header.
u8 *write_l2(const struct fl_packet &pkt, const Parsed &p, const Flow &flow, Dir dir)
{
	const struct fl_xmit &x = flow.out(dir);
	const Tuple &other = flow.tuple(opposite(dir));
	u8 *l3 = pkt.data + p.l3off;
	u8 *start = l3 - l2_push_len(other);
	u8 *cur = start;
	copy_bytes(cur + eth::kDst, x.h_dest, FL_ETH_ALEN);
	copy_bytes(cur + eth::kSrc, x.h_source, FL_ETH_ALEN);
	cur += eth::kType;
	for (unsigned i = 0; i < other.encap_num; i++) {
		const struct fl_encap &e = other.encap[i];
		write_be16(cur, e.proto);
		cur += 2;
		if (e.proto == FL_ETH_P_PPP_SES) {
			cur[pppoe::kVerType] = pppoe::kVerTypeSession;
			cur[pppoe::kCode] = 0;
			write_be16(cur + pppoe::kSession, e.id);
			write_be16(cur + pppoe::kLength, static_cast<u16>(p.l3len + 2));
			// The PPP protocol field doubles as the "next type" slot below.
			cur += pppoe::kPppProto;
			write_be16(cur, p.ipver == 4 ? pppoe::kPppIpv4 : pppoe::kPppIpv6);
			cur += 2;
			FL_ASSERT(cur == l3);
			return start; // PPPoE carries IP directly
		}
		write_be16(cur, e.id & vlan::kVidMask); // TCI: priority 0
		cur += 2;
	}
	write_be16(cur, p.ethertype);
	cur += 2;
	FL_ASSERT(cur == l3);
	return start;
}

void fill_xmit(const struct fl_packet &pkt, const Parsed &p, Flow &flow, Dir dir,
	       struct fl_result &res)
{
	const struct fl_xmit &x = flow.out(dir);
	u8 *l3 = pkt.data + p.l3off;
	res.verdict = FL_VERDICT_XMIT;
	res.reason = FL_SLOW_NONE;
	res.dir = static_cast<u8>(dir);
	res.xmit_kind = x.kind;
	res.flow = &flow;
	res.xmit = &x;
	res.out_ethertype = p.ethertype;
	res.nexthop = flow.tuple(opposite(dir)).src;
	res.l2_written = builds_l2(pkt, x);
	res.out_data = res.l2_written ? write_l2(pkt, p, flow, dir) : l3;
	res.l3_offset = static_cast<u32>(l3 - res.out_data);
	res.out_len = p.l3len + res.l3_offset;
}

// Bytes from the start of @data the rewrite touches: up to the end of the
// transport header's checksum.
u32 write_extent(const Parsed &p)
{
	return p.l4off + (p.key.l4proto == FL_IPPROTO_TCP ? tcp::kMinLen : udp::kLen);
}

Check prepare_write(struct fl_packet &pkt, const Parsed &p)
{
	if (!pkt.prepare_write)
		return kGo;
	return pkt.prepare_write(&pkt, write_extent(p)) ? kGo : slow(FL_SLOW_NOT_WRITABLE);
}

void set_slow(FlowTable &ft, struct fl_result &res, const Check &c)
{
	res.verdict = FL_VERDICT_SLOWPATH;
	res.reason = c.reason;
	res.need = c.need;
	ft.count_slow(c.reason);
}

// Parse the packet; false when it already has its slowpath verdict.
bool start(FlowTable &ft, struct fl_packet &pkt, Parsed &p, struct fl_result &res)
{
	zero_bytes(&res, sizeof(res));
	Check c = parse(ft, pkt, p);
	if (c.reason) {
		set_slow(ft, res, c);
		return false;
	}
	return true;
}

// Everything after the lookup: @flow is what the table holds for @p's key.
void finish(FlowTable &ft, struct fl_packet &pkt, const Parsed &p, Flow *flow, Dir dir,
	    struct fl_result &res)
{
	if (!flow)
		return set_slow(ft, res, slow(FL_SLOW_NO_ENTRY));
	if (!ft.usable(*flow, dir))
		return set_slow(ft, res, slow(FL_SLOW_TEARDOWN));
	Check c = check_hit(ft, pkt, p, *flow, dir);
	if (!c.reason)
		c = prepare_write(pkt, p);
	if (c.reason)
		return set_slow(ft, res, c);

	ft.refresh(*flow);
	apply_nat(pkt, p, *flow, dir);
	decrement_ttl(pkt, p);
	ft.account(*flow, dir, 1, p.l3len);
	fill_xmit(pkt, p, *flow, dir, res);
	ft.count_hit();
}

Flow *find_hashed(const FlowTable &ft, const Tuple &key, u32 hash, Dir *dir)
{
	HashEntry<Tuple> *e = ft.hash().lookup_hashed(key, hash);
	if (!e)
		return nullptr;
	*dir = static_cast<Dir>(e->key.dir);
	return Flow::from_entry(e);
}

// The lines of a hit flow that finish() reads or writes besides the key's:
// the direction's transmit information, the counters and timeout, and the
// other direction's tuple (NAT targets, next hop).
void prefetch_hit(const Flow &flow, Dir dir)
{
	__builtin_prefetch(&flow.out(dir));
	__builtin_prefetch(&flow.timeout, 1);
	__builtin_prefetch(&flow.tuple(opposite(dir)));
}

// Up to FL_BURST_GROUP packets, stage by stage, so that their cache misses overlap.
unsigned fastpath_group(FlowTable &ft, struct fl_packet *pkts, unsigned n, struct fl_result *res)
{
	const FlowHash &hash = ft.hash();
	Parsed p[FL_BURST_GROUP];
	u32 h[FL_BURST_GROUP];
	bool parsed[FL_BURST_GROUP];
	Flow *flow[FL_BURST_GROUP];
	Dir dir[FL_BURST_GROUP];

	for (unsigned i = 0; i < n; i++) {
		parsed[i] = start(ft, pkts[i], p[i], res[i]);
		if (parsed[i]) {
			h[i] = hash.hash_of(p[i].key);
			hash.prefetch_bucket(h[i]);
		}
	}
	for (unsigned i = 0; i < n; i++)
		if (parsed[i])
			hash.prefetch_first(h[i]);
	for (unsigned i = 0; i < n; i++) {
		if (!parsed[i])
			continue;
		flow[i] = find_hashed(ft, p[i].key, h[i], &dir[i]);
		if (flow[i])
			prefetch_hit(*flow[i], dir[i]);
	}
	// In array order, as one by one: a teardown by packet i is seen by packet i + 1.
	unsigned sent = 0;
	for (unsigned i = 0; i < n; i++) {
		if (!parsed[i])
			continue;
		finish(ft, pkts[i], p[i], flow[i], dir[i], res[i]);
		sent += res[i].verdict == FL_VERDICT_XMIT;
	}
	return sent;
}

} // namespace

void fastpath(FlowTable &ft, struct fl_packet &pkt, struct fl_result &res)
{
	Parsed p;
	if (!start(ft, pkt, p, res))
		return;
	Dir dir = Dir::Original;
	Flow *flow = ft.find(p.key, &dir);
	finish(ft, pkt, p, flow, dir, res);
}

unsigned fastpath_burst(FlowTable &ft, struct fl_packet *pkts, unsigned n, struct fl_result *res)
{
	unsigned sent = 0;
	for (unsigned base = 0; base < n; base += FL_BURST_GROUP)
		sent += fastpath_group(ft, pkts + base, min<unsigned>(FL_BURST_GROUP, n - base),
				       res + base);
	return sent;
}

unsigned lookup_burst(const FlowTable &ft, const Tuple *keys, unsigned n, Flow **flows, u8 *dirs)
{
	const FlowHash &hash = ft.hash();
	unsigned hits = 0;
	for (unsigned base = 0; base < n; base += FL_BURST_GROUP) {
		unsigned m = min<unsigned>(FL_BURST_GROUP, n - base);
		u32 h[FL_BURST_GROUP];
		for (unsigned i = 0; i < m; i++) {
			h[i] = hash.hash_of(keys[base + i]);
			hash.prefetch_bucket(h[i]);
		}
		for (unsigned i = 0; i < m; i++)
			hash.prefetch_first(h[i]);
		for (unsigned i = 0; i < m; i++) {
			Dir d = Dir::Original;
			Flow *f = find_hashed(ft, keys[base + i], h[i], &d);
			if (f && !ft.usable(*f, d))
				f = nullptr;
			flows[base + i] = f;
			if (f && dirs)
				dirs[base + i] = static_cast<u8>(d);
			hits += f != nullptr;
		}
	}
	return hits;
}

} // namespace fl
