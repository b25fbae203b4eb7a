// SPDX-License-Identifier: GPL-2.0
//
// Test frames: build Ethernet / VLAN / PPPoE / IPv4 / IPv6 / TCP / UDP frames
// with correct checksums (or deliberately broken ones), read fields back, and
// verify every checksum by recomputing it from scratch over the whole packet —
// independent of the core's incremental updates.
#ifndef FLOWLANE_HARNESS_FRAMES_H
#define FLOWLANE_HARNESS_FRAMES_H

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace flfake {

using Mac = std::array<uint8_t, 6>;
using Bytes = std::vector<uint8_t>;

struct Vlan {
	uint16_t proto = 0x8100; // 0x8100 or 0x88a8
	uint16_t id = 0;
};

struct FrameSpec {
	bool l2 = true; // start with an Ethernet header
	Mac dst = {0x02, 0, 0, 0, 0, 0xd};
	Mac src = {0x02, 0, 0, 0, 0, 0x5};
	std::vector<Vlan> vlans;              // outermost first
	std::optional<uint16_t> pppoe_session; // after the VLANs
	int ipver = 4;
	std::string saddr = "10.0.1.2";
	std::string daddr = "10.0.2.2";
	uint8_t ttl = 64;
	uint8_t proto = 6; // 6 TCP, 17 UDP, anything else: opaque payload
	uint16_t sport = 40000;
	uint16_t dport = 80;
	uint8_t tcp_flags = 0x10; // ACK
	uint32_t seq = 1000, ack = 2000;
	size_t payload = 64;
	// Knobs for packets the fastpath must refuse or treat specially.
	size_t ipv4_options = 0;     // bytes of options (multiple of 4)
	bool fragment = false;       // IPv4 MF / IPv6 fragment header
	uint8_t ipv6_ext = 0xff;     // an extension header type to insert (0xff: none)
	bool udp_zero_csum = false;  // send "no checksum" (IPv4)
	int tot_len_delta = 0;       // lie in IPv4 tot_len / IPv6 payload_len
	size_t truncate_to = 0;      // cut the frame to this many bytes (0: keep)
};

Bytes build_frame(const FrameSpec &spec);

// Byte offset of the IP header in a frame built from @spec.
size_t l3_offset(const FrameSpec &spec);

// Full recomputation of the IPv4 header checksum and the TCP/UDP checksum
// (with the IPv4/IPv6 pseudo-header) of the IP packet at @l3. Returns "" when
// all are right, else what is wrong. A zero UDP checksum over IPv4 is valid.
std::string verify_checksums(const uint8_t *l3, size_t len);

// Field readers for assertions (IP packet at @l3).
struct IpView {
	int ipver;
	std::string saddr, daddr;
	uint8_t ttl;
	uint8_t proto;
	uint16_t sport, dport;
	uint16_t l4_csum;
	size_t l3len;
};
IpView read_ip(const uint8_t *l3);

std::string addr_to_string(int ipver, const uint8_t *addr);

} // namespace flfake

#endif // FLOWLANE_HARNESS_FRAMES_H
