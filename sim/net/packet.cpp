// SPDX-License-Identifier: GPL-2.0
#include "sim/net/packet.h"

#include <cstring>

namespace flsim {

namespace {

uint16_t get16(const uint8_t *p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
void put16(uint8_t *p, uint16_t v)
{
	p[0] = static_cast<uint8_t>(v >> 8);
	p[1] = static_cast<uint8_t>(v);
}
uint32_t get32(const uint8_t *p) { return static_cast<uint32_t>(get16(p)) << 16 | get16(p + 2); }

uint32_t sum16(const uint8_t *p, size_t n, uint32_t s = 0)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += get16(p + i);
	if (n & 1)
		s += static_cast<uint32_t>(p[n - 1]) << 8;
	return s;
}

uint16_t fold_not(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return static_cast<uint16_t>(~s);
}

bool parse_l3(const Bytes &f, PacketView &v)
{
	const uint8_t *ip = &f[v.l3];
	size_t avail = f.size() - v.l3;
	if (v.ethertype == 0x0800 && avail >= 20 && (ip[0] >> 4) == 4) {
		v.ipver = 4;
		size_t ihl = (ip[0] & 0xf) * 4u;
		size_t tot = get16(ip + 2);
		if (ihl < 20 || tot < ihl || tot > avail)
			return false;
		v.end = v.l3 + tot;
		v.l4 = v.l3 + ihl;
		v.proto = ip[9];
		v.ttl = ip[8];
		v.fragment = get16(ip + 6) & 0x3fff;
		v.src.ipver = v.dst.ipver = 4;
		std::memcpy(v.src.b, ip + 12, 4);
		std::memcpy(v.dst.b, ip + 16, 4);
		return true;
	}
	if (v.ethertype == 0x86dd && avail >= 40 && (ip[0] >> 4) == 6) {
		v.ipver = 6;
		size_t tot = 40u + get16(ip + 4);
		if (tot > avail)
			return false;
		v.end = v.l3 + tot;
		v.l4 = v.l3 + 40;
		v.proto = ip[6];
		v.ttl = ip[7];
		v.fragment = v.proto == 44;
		v.src.ipver = v.dst.ipver = 6;
		std::memcpy(v.src.b, ip + 8, 16);
		std::memcpy(v.dst.b, ip + 24, 16);
		return true;
	}
	return false;
}

// The MSS option of a SYN (RFC 9293 3.2), 0 when it has none.
uint16_t tcp_mss_option(const uint8_t *opt, size_t n)
{
	for (size_t i = 0; i < n;) {
		uint8_t kind = opt[i];
		if (kind == 0)
			break;
		if (kind == 1) {
			i++;
			continue;
		}
		if (i + 1 >= n || opt[i + 1] < 2 || i + opt[i + 1] > n)
			break;
		if (kind == 2 && opt[i + 1] == 4)
			return get16(opt + i + 2);
		i += opt[i + 1];
	}
	return 0;
}

// The pseudo-header sum (addresses, protocol, L4 length), folded, not inverted.
uint16_t pseudo_sum(const Bytes &f, const PacketView &v)
{
	size_t alen = v.ipver == 4 ? 4 : 16;
	size_t saddr = v.l3 + (v.ipver == 4 ? 12 : 8);
	uint32_t s = sum16(&f[saddr], 2 * alen) + v.proto + static_cast<uint32_t>(v.end - v.l4);
	return static_cast<uint16_t>(~fold_not(s));
}

size_t l4_csum_at(const PacketView &v) { return v.l4 + (v.proto == 6 ? 16 : 6); }

// A field that does not verify as a full checksum but holds exactly the
// pseudo-header sum is partial: what Linux writes before handing the packet
// to a checksumming device, and what a capture on that host records.
bool detect_partial(const Bytes &f, const PacketView &v)
{
	size_t at = l4_csum_at(v);
	if (!v.has_ports() || at + 2 > v.end)
		return false;
	uint16_t field = get16(&f[at]);
	if (v.proto == 17 && v.ipver == 4 && field == 0)
		return false; // no checksum
	if (field != pseudo_sum(f, v))
		return false;
	size_t len = v.end - v.l4;
	uint32_t full = sum16(&f[v.l4], len, pseudo_sum(f, v));
	return fold_not(full) != 0; // a full checksum that verifies wins the tie
}

void parse_l4(const Bytes &f, PacketView &v)
{
	if (v.fragment)
		return;
	const uint8_t *l4 = &f[v.l4];
	size_t avail = v.end - v.l4;
	if ((v.proto == 6 && avail >= 20) || (v.proto == 17 && avail >= 8)) {
		v.sport = get16(l4);
		v.dport = get16(l4 + 2);
		v.l4hdr = 8;
	}
	if (v.proto == 6 && avail >= 20) {
		v.seq = get32(l4 + 4);
		v.ack = get32(l4 + 8);
		v.tcp_flags = l4[13];
		size_t doff = (l4[12] >> 4) * 4u;
		v.l4hdr = doff >= 20 && doff <= avail ? doff : 20;
		if (v.tcp_flags & 0x02)
			v.mss = tcp_mss_option(l4 + 20, v.l4hdr - 20);
	}
	v.csum_partial = detect_partial(f, v);
}

void l4_checksum(Bytes &f, const PacketView &v)
{
	if (!v.has_ports())
		return;
	size_t at = l4_csum_at(v);
	if (at + 2 > v.end)
		return;
	if (v.csum_partial) {
		put16(&f[at], pseudo_sum(f, v)); // the device adds the rest
		return;
	}
	if (v.proto == 17 && v.ipver == 4 && get16(&f[at]) == 0)
		return; // no checksum stays so
	put16(&f[at], 0);
	uint16_t c = fold_not(sum16(&f[v.l4], v.end - v.l4, pseudo_sum(f, v)));
	put16(&f[at], v.proto == 17 && c == 0 ? 0xffff : c);
}

void ipv4_checksum(Bytes &f, const PacketView &v)
{
	size_t ihl = v.l4 - v.l3;
	put16(&f[v.l3 + 10], 0);
	put16(&f[v.l3 + 10], fold_not(sum16(&f[v.l3], ihl)));
}

} // namespace

std::string PacketView::summary() const
{
	std::string s = (proto == 6 ? "tcp " : proto == 17 ? "udp " : "ip proto " + std::to_string(proto) + " ");
	std::string a = src.str(), b = dst.str();
	if (ipver == 6) {
		a = "[" + a + "]";
		b = "[" + b + "]";
	}
	if (has_ports()) {
		s += a + ":" + std::to_string(sport) + " > " + b + ":" + std::to_string(dport);
	} else {
		s += a + " > " + b;
	}
	if (proto == 6 && !fragment) {
		std::string fl;
		if (tcp_flags & 0x02)
			fl += "S";
		if (tcp_flags & 0x01)
			fl += "F";
		if (tcp_flags & 0x04)
			fl += "R";
		if (tcp_flags & 0x08)
			fl += "P";
		if (tcp_flags & 0x10)
			fl += ".";
		s += " [" + fl + "]";
	}
	size_t hdr = (proto == 6 && !fragment) ? (l4 - l3) + 20 : (l4 - l3) + 8;
	s += " len " + std::to_string(l3len() > hdr ? l3len() - hdr : 0);
	return s;
}

std::optional<PacketView> parse_packet(const Bytes &f)
{
	if (f.size() < 14)
		return std::nullopt;
	PacketView v;
	std::memcpy(v.dst_mac.data(), &f[0], 6);
	std::memcpy(v.src_mac.data(), &f[6], 6);
	size_t off = 12;
	uint16_t type = get16(&f[off]);
	while ((type == 0x8100 || type == 0x88a8) && v.vlans.size() < 2 && off + 6 <= f.size()) {
		v.vlans.push_back({type, static_cast<uint16_t>(get16(&f[off + 2]) & 0x0fff)});
		off += 4;
		type = get16(&f[off]);
	}
	v.ethertype = type;
	v.l3 = off + 2;
	if (v.l3 >= f.size() || !parse_l3(f, v))
		return std::nullopt;
	parse_l4(f, v);
	return v;
}

void rewrite_addresses(Bytes &f, const PacketView &v, const IpAddr &src, uint16_t sport, const IpAddr &dst,
		       uint16_t dport)
{
	size_t alen = v.ipver == 4 ? 4 : 16;
	size_t saddr = v.l3 + (v.ipver == 4 ? 12 : 8);
	std::memcpy(&f[saddr], src.b, alen);
	std::memcpy(&f[saddr + alen], dst.b, alen);
	if (v.has_ports() && v.l4 + 4 <= v.end) {
		put16(&f[v.l4], sport);
		put16(&f[v.l4 + 2], dport);
	}
	if (v.ipver == 4)
		ipv4_checksum(f, v);
	l4_checksum(f, v);
}

void decrement_ttl(Bytes &f, const PacketView &v)
{
	if (v.ipver == 4) {
		f[v.l3 + 8]--;
		ipv4_checksum(f, v);
	} else {
		f[v.l3 + 7]--;
	}
}

Bytes reframe(const Bytes &f, const PacketView &v, const MacAddr &src, const MacAddr &dst,
	      const std::vector<VlanTag> &vlans)
{
	Bytes out(dst.begin(), dst.end());
	out.insert(out.end(), src.begin(), src.end());
	for (const VlanTag &t : vlans) {
		out.push_back(static_cast<uint8_t>(t.tpid >> 8));
		out.push_back(static_cast<uint8_t>(t.tpid));
		out.push_back(static_cast<uint8_t>(t.id >> 8));
		out.push_back(static_cast<uint8_t>(t.id));
	}
	uint16_t type = v.ipver == 4 ? 0x0800 : 0x86dd;
	out.push_back(static_cast<uint8_t>(type >> 8));
	out.push_back(static_cast<uint8_t>(type));
	out.insert(out.end(), f.begin() + static_cast<long>(v.l3), f.begin() + static_cast<long>(v.end));
	return out;
}

MacAddr host_mac(const IpAddr &a)
{
	uint32_t h = 2166136261u;
	for (int i = 0; i < (a.ipver == 4 ? 4 : 16); i++)
		h = (h ^ a.b[i]) * 16777619u;
	return {0x02, 0x00, static_cast<uint8_t>(h >> 24), static_cast<uint8_t>(h >> 16),
		static_cast<uint8_t>(h >> 8), static_cast<uint8_t>(h)};
}

} // namespace flsim
