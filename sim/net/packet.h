// SPDX-License-Identifier: GPL-2.0
//
// The simulator's classic-path view of a frame: where the headers are, the
// fields rules and conntrack look at, and the rewrites the classic path does
// (NAT with checksums recomputed, TTL, a new L2 header).
#ifndef FLOWLANE_SIM_PACKET_H
#define FLOWLANE_SIM_PACKET_H

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/net/topology.h"

namespace flsim {

using Bytes = std::vector<uint8_t>;

struct VlanTag {
	uint16_t tpid;
	uint16_t id;
};

struct PacketView {
	std::vector<VlanTag> vlans; // outermost first
	uint16_t ethertype = 0;     // of what follows the tags
	MacAddr src_mac{}, dst_mac{};
	size_t l3 = 0, l4 = 0, end = 0; // offsets into the frame
	int ipver = 0;
	IpAddr src, dst;
	uint8_t proto = 0;
	uint8_t ttl = 0;
	bool fragment = false;
	uint16_t sport = 0, dport = 0; // host order
	uint8_t tcp_flags = 0;
	uint32_t seq = 0, ack = 0;
	size_t l4hdr = 0;     // TCP: header with options; UDP: 8
	uint16_t mss = 0;     // TCP SYN: the MSS option, 0 when absent
	// The L4 checksum field holds the pseudo-header sum only, as Linux leaves
	// it for the device under checksum offload (CHECKSUM_PARTIAL). Captures
	// taken on the sending host (TSO/GSO) or after GRO carry such fields.
	bool csum_partial = false;
	// A segmentation-offload super-packet: payload bytes per segment (the
	// kernel's gso_size); 0 for an ordinary packet. Set on receive (Router).
	uint16_t gso_size = 0;
	size_t l3len() const { return end - l3; }
	// The bytes one segment takes on the wire from L3 on (l3len() without GSO).
	size_t segment_l3len() const { return gso_size ? (l4 - l3) + l4hdr + gso_size : l3len(); }
	bool has_ports() const { return (proto == 6 || proto == 17) && !fragment; }
	std::string summary() const;
};

// nullopt: not an IP frame we understand (ARP, truncated...).
std::optional<PacketView> parse_packet(const Bytes &frame);

// Rewrite the IP packet at @v.l3: addresses/ports. A full L4 checksum is
// recomputed; a partial one (v.csum_partial) becomes the new pseudo-header sum,
// as the kernel's NAT updates only that part and leaves the rest to the device.
void rewrite_addresses(Bytes &frame, const PacketView &v, const IpAddr &src, uint16_t sport,
		       const IpAddr &dst, uint16_t dport);
// Decrement TTL / hop limit (IPv4 header checksum recomputed).
void decrement_ttl(Bytes &frame, const PacketView &v);

// A frame for @dev's wire: Ethernet from @src to @dst with @vlans, around the
// IP packet [l3, end) of @frame.
Bytes reframe(const Bytes &frame, const PacketView &v, const MacAddr &src, const MacAddr &dst,
	      const std::vector<VlanTag> &vlans);

// A deterministic MAC for a host address (hosts the topology did not name).
MacAddr host_mac(const IpAddr &a);

} // namespace flsim

#endif // FLOWLANE_SIM_PACKET_H
