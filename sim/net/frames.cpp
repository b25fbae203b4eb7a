// SPDX-License-Identifier: GPL-2.0
#include "sim/net/frames.h"

#include <arpa/inet.h>
#include <cstring>
#include <stdexcept>

namespace flfake {

namespace {

void put16(Bytes &b, uint16_t v)
{
	b.push_back(static_cast<uint8_t>(v >> 8));
	b.push_back(static_cast<uint8_t>(v));
}

void put32(Bytes &b, uint32_t v)
{
	put16(b, static_cast<uint16_t>(v >> 16));
	put16(b, static_cast<uint16_t>(v));
}

uint16_t get16(const uint8_t *p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }

void set16(uint8_t *p, uint16_t v)
{
	p[0] = static_cast<uint8_t>(v >> 8);
	p[1] = static_cast<uint8_t>(v);
}

Bytes addr_bytes(int ipver, const std::string &s)
{
	Bytes b(ipver == 4 ? 4 : 16);
	if (inet_pton(ipver == 4 ? AF_INET : AF_INET6, s.c_str(), b.data()) != 1)
		throw std::invalid_argument("bad address " + s);
	return b;
}

// Ones' complement sum of big-endian 16-bit words (odd byte padded).
uint32_t sum_be(const uint8_t *p, size_t n, uint32_t sum = 0)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += get16(p + i);
	if (n & 1)
		sum += static_cast<uint32_t>(p[n - 1]) << 8;
	return sum;
}

uint16_t finish(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return static_cast<uint16_t>(~sum);
}

uint32_t pseudo_sum(int ipver, const uint8_t *src, const uint8_t *dst, uint8_t proto, size_t l4len)
{
	size_t alen = ipver == 4 ? 4 : 16;
	uint32_t s = sum_be(src, alen) + sum_be(dst, alen);
	s += proto;
	s += static_cast<uint32_t>(l4len >> 16) + static_cast<uint32_t>(l4len & 0xffff);
	return s;
}

Bytes build_l4(const FrameSpec &s)
{
	Bytes l4;
	if (s.proto == 6) {
		put16(l4, s.sport);
		put16(l4, s.dport);
		put32(l4, s.seq);
		put32(l4, s.ack);
		l4.push_back(5 << 4);
		l4.push_back(s.tcp_flags);
		put16(l4, 65535);
		put16(l4, 0); // checksum
		put16(l4, 0); // urgent
	} else if (s.proto == 17) {
		put16(l4, s.sport);
		put16(l4, s.dport);
		put16(l4, static_cast<uint16_t>(8 + s.payload));
		put16(l4, 0);
	}
	for (size_t i = 0; i < s.payload; i++)
		l4.push_back(static_cast<uint8_t>(i * 7 + 3));
	return l4;
}

void fill_l4_checksum(const FrameSpec &s, const Bytes &src, const Bytes &dst, Bytes &l4)
{
	size_t off = s.proto == 6 ? 16 : s.proto == 17 ? 6 : 0;
	if (!off || (s.proto == 17 && s.udp_zero_csum))
		return;
	uint32_t sum = pseudo_sum(s.ipver, src.data(), dst.data(), s.proto, l4.size());
	uint16_t c = finish(sum_be(l4.data(), l4.size(), sum));
	if (s.proto == 17 && c == 0)
		c = 0xffff;
	set16(l4.data() + off, c);
}

Bytes build_ipv4(const FrameSpec &s, const Bytes &l4)
{
	Bytes src = addr_bytes(4, s.saddr), dst = addr_bytes(4, s.daddr);
	Bytes ip;
	size_t hlen = 20 + s.ipv4_options;
	ip.push_back(static_cast<uint8_t>(0x40 | (hlen / 4)));
	ip.push_back(0);
	put16(ip, static_cast<uint16_t>(hlen + l4.size() + s.tot_len_delta));
	put16(ip, 0x1234);
	put16(ip, s.fragment ? 0x2000 : 0x4000); // MF, or DF
	ip.push_back(s.ttl);
	ip.push_back(s.proto);
	put16(ip, 0);
	ip.insert(ip.end(), src.begin(), src.end());
	ip.insert(ip.end(), dst.begin(), dst.end());
	for (size_t i = 0; i < s.ipv4_options; i++)
		ip.push_back(i + 1 == s.ipv4_options ? 0 : 1); // NOPs then end of list
	set16(ip.data() + 10, finish(sum_be(ip.data(), hlen)));
	Bytes l4c = l4;
	fill_l4_checksum(s, src, dst, l4c);
	ip.insert(ip.end(), l4c.begin(), l4c.end());
	return ip;
}

Bytes build_ipv6(const FrameSpec &s, const Bytes &l4)
{
	Bytes src = addr_bytes(6, s.saddr), dst = addr_bytes(6, s.daddr);
	Bytes ext;
	uint8_t first = s.proto;
	if (s.fragment) {
		ext = {s.proto, 0, 0, 0, 0, 0, 0, 1}; // first fragment, M flag... id 1
		ext[3] = 1;                          // M = 1
		first = 44;
	} else if (s.ipv6_ext != 0xff) {
		ext = {s.proto, 0, 1, 4, 0, 0, 0, 0}; // 8-byte option header with PadN
		first = s.ipv6_ext;
	}
	Bytes ip;
	put32(ip, 0x60000000);
	put16(ip, static_cast<uint16_t>(ext.size() + l4.size() + s.tot_len_delta));
	ip.push_back(first);
	ip.push_back(s.ttl);
	ip.insert(ip.end(), src.begin(), src.end());
	ip.insert(ip.end(), dst.begin(), dst.end());
	ip.insert(ip.end(), ext.begin(), ext.end());
	Bytes l4c = l4;
	fill_l4_checksum(s, src, dst, l4c);
	ip.insert(ip.end(), l4c.begin(), l4c.end());
	return ip;
}

} // namespace

size_t l3_offset(const FrameSpec &s)
{
	if (!s.l2)
		return 0;
	return 14 + 4 * s.vlans.size() + (s.pppoe_session ? 8 : 0);
}

Bytes build_frame(const FrameSpec &s)
{
	Bytes l4 = build_l4(s);
	Bytes ip = s.ipver == 4 ? build_ipv4(s, l4) : build_ipv6(s, l4);
	Bytes f;
	if (s.l2) {
		f.insert(f.end(), s.dst.begin(), s.dst.end());
		f.insert(f.end(), s.src.begin(), s.src.end());
		for (const Vlan &v : s.vlans) {
			put16(f, v.proto);
			put16(f, v.id);
		}
		uint16_t ethertype = s.ipver == 4 ? 0x0800 : 0x86dd;
		if (s.pppoe_session) {
			put16(f, 0x8864);
			f.push_back(0x11);
			f.push_back(0);
			put16(f, *s.pppoe_session);
			put16(f, static_cast<uint16_t>(ip.size() + 2));
			put16(f, s.ipver == 4 ? 0x0021 : 0x0057);
		} else {
			put16(f, ethertype);
		}
	}
	f.insert(f.end(), ip.begin(), ip.end());
	if (s.truncate_to && s.truncate_to < f.size())
		f.resize(s.truncate_to);
	return f;
}

std::string addr_to_string(int ipver, const uint8_t *addr)
{
	char buf[INET6_ADDRSTRLEN];
	inet_ntop(ipver == 4 ? AF_INET : AF_INET6, addr, buf, sizeof(buf));
	return buf;
}

IpView read_ip(const uint8_t *l3)
{
	IpView v{};
	v.ipver = l3[0] >> 4;
	size_t l4off;
	if (v.ipver == 4) {
		v.saddr = addr_to_string(4, l3 + 12);
		v.daddr = addr_to_string(4, l3 + 16);
		v.ttl = l3[8];
		v.proto = l3[9];
		v.l3len = get16(l3 + 2);
		l4off = (l3[0] & 0xf) * 4u;
	} else {
		v.saddr = addr_to_string(6, l3 + 8);
		v.daddr = addr_to_string(6, l3 + 24);
		v.ttl = l3[7];
		v.proto = l3[6];
		v.l3len = 40u + get16(l3 + 4);
		l4off = 40;
	}
	v.sport = get16(l3 + l4off);
	v.dport = get16(l3 + l4off + 2);
	v.l4_csum = get16(l3 + l4off + (v.proto == 6 ? 16 : 6));
	return v;
}

std::string verify_checksums(const uint8_t *l3, size_t len)
{
	int ipver = l3[0] >> 4;
	size_t hlen, l3len;
	const uint8_t *src, *dst;
	uint8_t proto;
	if (ipver == 4) {
		hlen = (l3[0] & 0xf) * 4u;
		l3len = get16(l3 + 2);
		if (finish(sum_be(l3, hlen)) != 0)
			return "ipv4 header checksum";
		src = l3 + 12;
		dst = l3 + 16;
		proto = l3[9];
	} else if (ipver == 6) {
		hlen = 40;
		l3len = 40u + get16(l3 + 4);
		src = l3 + 8;
		dst = l3 + 24;
		proto = l3[6];
	} else {
		return "not ip";
	}
	if (l3len > len || hlen > l3len)
		return "length";
	const uint8_t *l4 = l3 + hlen;
	size_t l4len = l3len - hlen;
	if (proto == 17 && ipver == 4 && get16(l4 + 6) == 0)
		return "";
	if (proto != 6 && proto != 17)
		return "";
	uint32_t sum = pseudo_sum(ipver, src, dst, proto, l4len);
	if (finish(sum_be(l4, l4len, sum)) != 0)
		return proto == 6 ? "tcp checksum" : "udp checksum";
	return "";
}

} // namespace flfake
