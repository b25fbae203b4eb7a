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
	// An IP tunnel the packet arrived in (tun_l3 0: none): the outer header
	// at tun_off, tun_len bytes, its packet ending at tun_end.
	u8 tun_l3;
	u32 tun_off;
	u32 tun_len;
	u32 tun_end;
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
	// The whole tag control field, as the kernel keys it: a frame whose
	// priority bits differ from the flow's (a VLAN device sends 0) takes the
	// slowpath, whose egress applies the device's priority mapping.
	c = push_encap(p, read_be16(pkt.data + off + vlan::kTci), type);
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
		Check c = push_encap(p, pkt.hw_vlan_id, pkt.hw_vlan_proto);
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

// Validate the lengths of the IPv4 header at @l3off before anything else of it
// is read: version and header length first (an ihl below 5 would put the rest of
// the packet inside the header), then the total length against the frame.
Check check_ipv4_lengths(const struct fl_packet &pkt, u32 l3off, u32 &ihl, u32 &tot)
{
	Check c = need_bytes(pkt, l3off, ipv4::kMinLen);
	if (c.reason)
		return c;
	const u8 *ip = pkt.data + l3off;
	ihl = (ip[ipv4::kVerIhl] & 0x0f) * 4u;
	if (ip[ipv4::kVerIhl] >> 4 != 4 || ihl < ipv4::kMinLen)
		return slow(FL_SLOW_MALFORMED);
	tot = read_be16(ip + ipv4::kTotLen);
	if (tot < ihl || l3off + tot > pkt.len)
		return slow(FL_SLOW_MALFORMED);
	return kGo;
}

Check parse_ipv4(const struct fl_packet &pkt, Parsed &p)
{
	u32 ihl, tot;
	Check c = check_ipv4_lengths(pkt, p.l3off, ihl, tot);
	if (c.reason)
		return c;
	const u8 *ip = pkt.data + p.l3off;
	p.l3len = tot;
	if (read_be16(ip + ipv4::kFragOff) & ipv4::kFragMask)
		return slow(FL_SLOW_FRAGMENT);
	if (ihl != ipv4::kMinLen)
		return slow(FL_SLOW_IP_OPTIONS);
	// The rewrite stages patch the header checksum incrementally, which would
	// carry a damaged one on: such a packet is the classic path's to drop.
	if (!csum::verify(ip, ihl))
		return slow(FL_SLOW_MALFORMED);
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

// Validate the IPv6 header at @l3off the same way: the fixed header present,
// version 6, and a payload length that neither is zero (jumbograms are not
// ours) nor runs past the frame. @tot gets the header plus its payload.
Check check_ipv6_lengths(const struct fl_packet &pkt, u32 l3off, u32 &tot)
{
	Check c = need_bytes(pkt, l3off, ipv6::kLen);
	if (c.reason)
		return c;
	const u8 *ip = pkt.data + l3off;
	if (ip[0] >> 4 != 6)
		return slow(FL_SLOW_MALFORMED);
	u32 plen = read_be16(ip + ipv6::kPayloadLen);
	tot = ipv6::kLen + plen;
	if (plen == 0 || l3off + tot > pkt.len)
		return slow(FL_SLOW_MALFORMED);
	return kGo;
}

Check parse_ipv6(const struct fl_packet &pkt, Parsed &p)
{
	u32 tot;
	Check c = check_ipv6_lengths(pkt, p.l3off, tot);
	if (c.reason)
		return c;
	const u8 *ip = pkt.data + p.l3off;
	p.l3len = tot;
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

// ---------------------------------------------------------------- tunnels

// The inner protocol of an outer header's payload, or 0 when not a tunnel we take.
u16 tunnel_inner_type(u8 ipver, u8 proto)
{
	if (proto == FL_IPPROTO_IPIP)
		return FL_ETH_P_IPV4;
	// IPv6 inside IPv4 (6in4, sit) is not one of upstream's: left to the stack.
	if (proto == FL_IPPROTO_IPV6 && ipver == 6)
		return FL_ETH_P_IPV6;
	return 0;
}

// An outer IPv4 header is validated like any (check_ipv4_lengths()) before its
// protocol says whether a tunnelled packet follows.
Check parse_outer_ipv4(const struct fl_packet &pkt, Parsed &p, u16 &inner)
{
	u32 ihl, tot;
	Check c = check_ipv4_lengths(pkt, p.l3off, ihl, tot);
	if (c.reason)
		return c;
	const u8 *ip = pkt.data + p.l3off;
	inner = tunnel_inner_type(4, ip[ipv4::kProto]);
	if (!inner)
		return kGo; // an ordinary IPv4 packet: parse_ipv4() judges it
	if (ihl != ipv4::kMinLen || (read_be16(ip + ipv4::kFragOff) & ipv4::kFragMask) ||
	    ip[ipv4::kTtl] <= 1)
		return slow(FL_SLOW_TUNNEL);
	if (!csum::verify(ip, ihl))
		return slow(FL_SLOW_MALFORMED);
	p.tun_len = ihl;
	p.tun_end = p.l3off + tot;
	return kGo;
}

Check parse_outer_ipv6(const struct fl_packet &pkt, Parsed &p, u16 &inner)
{
	u32 tot;
	Check c = check_ipv6_lengths(pkt, p.l3off, tot);
	if (c.reason)
		return c;
	const u8 *ip = pkt.data + p.l3off;
	inner = tunnel_inner_type(6, ip[ipv6::kNextHdr]);
	if (!inner)
		return kGo;
	if (ip[ipv6::kHopLimit] <= 1)
		return slow(FL_SLOW_TUNNEL);
	p.tun_len = ipv6::kLen;
	p.tun_end = p.l3off + tot;
	return kGo;
}

// An IPIP or IP6IP6 (or IPv4-in-IPv6) packet: check the outer header, key
// the tunnel, and move on to the inner packet. Anything else passes through.
Check parse_tunnel(const struct fl_packet &pkt, Parsed &p)
{
	u16 inner = 0;
	bool v4 = p.ethertype == FL_ETH_P_IPV4;
	Check c = v4 ? parse_outer_ipv4(pkt, p, inner) : parse_outer_ipv6(pkt, p, inner);
	if (c.reason || !inner)
		return c;
	const u8 *ip = pkt.data + p.l3off;
	struct fl_addr src = {}, dst = {};
	copy_bytes(src.b, ip + (v4 ? ipv4::kSrc : ipv6::kSrc), v4 ? 4 : 16);
	copy_bytes(dst.b, ip + (v4 ? ipv4::kDst : ipv6::kDst), v4 ? 4 : 16);
	c = push_encap(p, tunnel_fold(src, dst), p.ethertype);
	if (c.reason)
		return c;
	p.tun_l3 = v4 ? FL_L3_IPV4 : FL_L3_IPV6;
	p.tun_off = p.l3off;
	p.l3off += p.tun_len;
	p.ethertype = inner;
	return kGo;
}

// The inner packet must end inside the outer one.
Check check_inner_fits(const Parsed &p)
{
	if (p.tun_l3 && p.l3off + p.l3len > p.tun_end)
		return slow(FL_SLOW_MALFORMED);
	return kGo;
}

Check parse(const FlowTable &ft, const struct fl_packet &pkt, Parsed &p)
{
	fl_tuple_init(&p.key);
	p.tcp_flags = 0;
	p.tun_l3 = 0;
	p.key.iifindex = pkt.iifindex;
	if (pkt.entry > FL_ENTRY_L3 || !pkt.data)
		return slow(FL_SLOW_MALFORMED);
	// Another host's frame (promiscuous mode, a bridge port) is not ours to route.
	if (pkt.flags & FL_PKT_NOT_HOST)
		return slow(FL_SLOW_NOT_HOST);
	Check c = parse_l2(pkt, p);
	if (!c.reason)
		c = parse_tunnel(pkt, p);
	if (c.reason)
		return c;
	bool v4 = p.ethertype == FL_ETH_P_IPV4;
	// The flow's family is the inner packet's.
	if (ft.family() && ft.family() != (v4 ? FL_L3_IPV4 : FL_L3_IPV6))
		return slow(FL_SLOW_NOT_IP); // another family's flowtable
	c = v4 ? parse_ipv4(pkt, p) : parse_ipv6(pkt, p);
	if (c.reason)
		return c;
	return check_inner_fits(p);
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

// The other direction's L2 encapsulations (its key's tunnel entry is not one).
unsigned l2_encap_num(const Tuple &t) { return t.encap_num - (tuple_has_tunnel(t) ? 1 : 0); }

// Bytes the egress L2 header needs: Ethernet plus the encapsulation the other
// direction's packets arrive with.
u32 l2_push_len(const Tuple &other)
{
	u32 n = eth::kLen;
	for (unsigned i = 0; i < l2_encap_num(other); i++)
		n += other.encap[i].proto == FL_ETH_P_PPP_SES ? pppoe::kLen : vlan::kLen;
	return n;
}

bool builds_l2(const struct fl_packet &pkt, const struct fl_xmit &x)
{
	return (pkt.flags & FL_PKT_BUILD_L2) && x.kind == FL_XMIT_DIRECT;
}

// TCP control flags. Without FL_FLOWTABLE_TCP_CLOSING, FIN or RST ends the
// flow and goes slow so that conntrack sees it. With it, they only mark the
// flow closing and the packet stays fast; a SYN on a closing flow is a new
// connection reusing the ports, which conntrack must see from its first packet.
Check check_tcp_state(FlowTable &ft, const Parsed &p, Flow &flow)
{
	bool fin_rst = p.tcp_flags & (tcp::kFin | tcp::kRst);
	if (!ft.tcp_closing()) {
		if (!fin_rst)
			return kGo;
		ft.teardown(flow, FL_TEARDOWN_TCP_FIN_RST);
		return slow(FL_SLOW_TCP_FIN_RST);
	}
	if ((p.tcp_flags & tcp::kSyn) && flow.closing()) {
		ft.teardown(flow, FL_TEARDOWN_TCP_CLOSED);
		return slow(FL_SLOW_TCP_REOPEN);
	}
	if (fin_rst)
		ft.mark_closing(flow);
	return kGo;
}

// Everything that can still send the packet slow, in the kernel's order.
Check check_hit(FlowTable &ft, const struct fl_packet &pkt, const Parsed &p, Flow &flow, Dir dir)
{
	const struct fl_xmit &x = flow.out(dir);
	if (exceeds_mtu(pkt, p, x.mtu))
		return slow(FL_SLOW_MTU);
	if (p.key.l4proto == FL_IPPROTO_TCP) {
		Check c = check_tcp_state(ft, p, flow);
		if (c.reason)
			return c;
	}
	if ((x.kind == FL_XMIT_NEIGH || x.kind == FL_XMIT_XFRM) && x.route && ft.ops().route_valid &&
	    !ft.ops().route_valid(x.route, x.route_cookie)) {
		ft.teardown(flow, FL_TEARDOWN_ROUTE_STALE);
		return slow(FL_SLOW_ROUTE_STALE);
	}
	return kGo;
}

// A tunnel packet's outer addresses must be the flow's, not just their fold.
// Checked before anything else of the flow is judged: a packet from another
// tunnel must not touch it (a FIN from it would end the flow).
Check check_tunnel_ends(const struct fl_packet &pkt, const Parsed &p, const Flow &flow, Dir dir)
{
	if (!p.tun_l3)
		return kGo;
	if (!flow.has_tunnel())
		return slow(FL_SLOW_NO_ENTRY);
	const struct fl_tunnel &tun = flow.tunnel(dir);
	const u8 *ip = pkt.data + p.tun_off;
	bool v4 = p.tun_l3 == FL_L3_IPV4;
	size_t n = v4 ? 4 : 16;
	if (tun.l3proto != p.tun_l3 || !equal_bytes(tun.src.b, ip + (v4 ? ipv4::kSrc : ipv6::kSrc), n) ||
	    !equal_bytes(tun.dst.b, ip + (v4 ? ipv4::kDst : ipv6::kDst), n))
		return slow(FL_SLOW_NO_ENTRY);
	return kGo;
}

// The tunnel direction @dir's packets leave in: the one the other direction
// arrives in, or nullptr.
const struct fl_tunnel *egress_tunnel(const Flow &flow, Dir dir)
{
	if (!flow.has_tunnel())
		return nullptr;
	const struct fl_tunnel &tun = flow.tunnel(opposite(dir));
	return tun.l3proto ? &tun : nullptr;
}

u32 tunnel_hdr_len(const struct fl_tunnel *tun)
{
	if (!tun)
		return 0;
	return tun->l3proto == FL_L3_IPV4 ? ipv4::kMinLen : ipv6::kLen;
}

// Bytes the fastpath writes in front of the (inner) IP header.
u32 push_len(const struct fl_packet &pkt, const Flow &flow, Dir dir)
{
	u32 n = tunnel_hdr_len(egress_tunnel(flow, dir));
	if (builds_l2(pkt, flow.out(dir)))
		n += l2_push_len(flow.tuple(opposite(dir)));
	return n;
}

// Headroom for the pushes, grown by the platform when short: after
// prepare_write(), which may have moved the packet already.
Check ensure_headroom(struct fl_packet &pkt, const Parsed &p, const Flow &flow, Dir dir)
{
	u32 push = push_len(pkt, flow, dir);
	if (p.l3off + pkt.headroom >= push)
		return kGo;
	u32 need = push - p.l3off;
	if (!pkt.expand_head || !pkt.expand_head(&pkt, need) || pkt.headroom < need)
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

// The IP packet that leaves: where it starts, its length and ethertype.
struct OutL3 {
	u8 *start;
	u32 len;
	u16 ethertype;
};

// Write Ethernet + the other direction's encapsulation in front of @out.
u8 *write_l2(const OutL3 &out, const Flow &flow, Dir dir)
{
	const struct fl_xmit &x = flow.out(dir);
	const Tuple &other = flow.tuple(opposite(dir));
	u8 *l3 = out.start;
	u8 *start = l3 - l2_push_len(other);
	u8 *cur = start;
	copy_bytes(cur + eth::kDst, x.h_dest, FL_ETH_ALEN);
	copy_bytes(cur + eth::kSrc, x.h_source, FL_ETH_ALEN);
	cur += eth::kType;
	for (unsigned i = 0; i < l2_encap_num(other); i++) {
		const struct fl_encap &e = other.encap[i];
		write_be16(cur, e.proto);
		cur += 2;
		if (e.proto == FL_ETH_P_PPP_SES) {
			cur[pppoe::kVerType] = pppoe::kVerTypeSession;
			cur[pppoe::kCode] = 0;
			write_be16(cur + pppoe::kSession, e.id);
			write_be16(cur + pppoe::kLength, static_cast<u16>(out.len + 2));
			// The PPP protocol field doubles as the "next type" slot below.
			cur += pppoe::kPppProto;
			write_be16(cur, out.ethertype == FL_ETH_P_IPV4 ? pppoe::kPppIpv4 : pppoe::kPppIpv6);
			cur += 2;
			FL_ASSERT(cur == l3);
			return start; // PPPoE carries IP directly
		}
		write_be16(cur, e.id & vlan::kVidMask); // TCI: priority 0
		cur += 2;
	}
	write_be16(cur, out.ethertype);
	cur += 2;
	FL_ASSERT(cur == l3);
	return start;
}

// The inner packet's DS field and hop limit, which the outer header repeats.
void inner_ds_ttl(const Parsed &p, const u8 *ip, u8 &ds, u8 &ttl)
{
	if (p.ipver == 4) {
		ds = ip[ipv4::kTos];
		ttl = ip[ipv4::kTtl];
		return;
	}
	ds = static_cast<u8>((ip[0] & 0x0f) << 4 | ip[1] >> 4);
	ttl = ip[ipv6::kHopLimit];
}

void write_outer_ipv4(u8 *h, const Parsed &p, const u8 *inner, const struct fl_tunnel &tun)
{
	u8 ds, ttl;
	inner_ds_ttl(p, inner, ds, ttl);
	h[ipv4::kVerIhl] = ipv4::kVerIhlNoOptions;
	h[ipv4::kTos] = ds;
	write_be16(h + ipv4::kTotLen, static_cast<u16>(p.l3len + ipv4::kMinLen));
	write_be16(h + ipv4::kId, 0); // the platform may pick one (fl_result.tunnel_pushed)
	// Keep the inner packet's don't-fragment promise.
	bool df = read_be16(inner + ipv4::kFragOff) & ipv4::kDf;
	write_be16(h + ipv4::kFragOff, df ? ipv4::kDf : 0);
	h[ipv4::kTtl] = ttl;
	h[ipv4::kProto] = FL_IPPROTO_IPIP;
	copy_bytes(h + ipv4::kSrc, tun.dst.b, 4);
	copy_bytes(h + ipv4::kDst, tun.src.b, 4);
	csum::fill(h + ipv4::kCheck, h, ipv4::kMinLen);
}

void write_outer_ipv6(u8 *h, const Parsed &p, const u8 *inner, const struct fl_tunnel &tun)
{
	u8 ds, ttl;
	inner_ds_ttl(p, inner, ds, ttl);
	write_be32(h, 6u << 28 | static_cast<u32>(ds) << 20);
	write_be16(h + ipv6::kPayloadLen, static_cast<u16>(p.l3len));
	h[ipv6::kNextHdr] = p.ipver == 4 ? FL_IPPROTO_IPIP : FL_IPPROTO_IPV6;
	h[ipv6::kHopLimit] = ttl;
	copy_bytes(h + ipv6::kSrc, tun.dst.b, 16);
	copy_bytes(h + ipv6::kDst, tun.src.b, 16);
}

// Encapsulate in the egress tunnel, if any: the mirror of the header the
// other direction arrives with. After NAT and TTL, whose results it copies.
OutL3 push_tunnel(const struct fl_packet &pkt, const Parsed &p, const struct fl_tunnel *tun)
{
	u8 *l3 = pkt.data + p.l3off;
	if (!tun)
		return {l3, p.l3len, p.ethertype};
	u32 hlen = tunnel_hdr_len(tun);
	u8 *h = l3 - hlen;
	if (tun->l3proto == FL_L3_IPV4)
		write_outer_ipv4(h, p, l3, *tun);
	else
		write_outer_ipv6(h, p, l3, *tun);
	u16 type = tun->l3proto == FL_L3_IPV4 ? FL_ETH_P_IPV4 : FL_ETH_P_IPV6;
	return {h, p.l3len + hlen, type};
}

void fill_xmit(const struct fl_packet &pkt, const Parsed &p, Flow &flow, Dir dir,
	       struct fl_result &res)
{
	const struct fl_xmit &x = flow.out(dir);
	const struct fl_tunnel *tun = egress_tunnel(flow, dir);
	OutL3 out = push_tunnel(pkt, p, tun);
	res.verdict = FL_VERDICT_XMIT;
	res.reason = FL_SLOW_NONE;
	res.dir = static_cast<u8>(dir);
	res.xmit_kind = x.kind;
	res.flow = &flow;
	res.xmit = &x;
	res.out_ethertype = out.ethertype;
	res.tunnel_pushed = tun ? tun->l3proto : 0;
	res.tunnel_popped = p.tun_l3;
	res.nexthop = tun ? tun->src : flow.tuple(opposite(dir)).src;
	res.l2_written = builds_l2(pkt, x);
	res.out_data = res.l2_written ? write_l2(out, flow, dir) : out.start;
	res.l3_offset = static_cast<u32>(out.start - res.out_data);
	res.out_len = out.len + res.l3_offset;
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
	Check c = check_tunnel_ends(pkt, p, *flow, dir);
	if (c.reason)
		return set_slow(ft, res, c);
	if (!ft.usable(*flow, dir))
		return set_slow(ft, res, slow(FL_SLOW_TEARDOWN));
	c = check_hit(ft, pkt, p, *flow, dir);
	if (!c.reason)
		c = prepare_write(pkt, p);
	if (!c.reason)
		c = ensure_headroom(pkt, p, *flow, dir);
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
