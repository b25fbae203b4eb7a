// SPDX-License-Identifier: GPL-2.0
//
// A flowtable with hardware offload, its engine and a mock NIC whose ports are
// the flow builder's client and server devices (1 and 2), bound to the
// engine's own block. The rig plays the platform's part of the engine too:
// neighbour entries for neighbour-transmit flows, each device's MAC, and
// conntrack's hardware-offload bit (FakeCt::hw_offload).
#ifndef FLOWLANE_HARNESS_OFFLOAD_RIG_H
#define FLOWLANE_HARNESS_OFFLOAD_RIG_H

#include <array>
#include <map>
#include <vector>

#include "flowlane/offload.h"
#include "testing/fakes/flow_builder.h"
#include "sim/router/mock_nic.h"

namespace flfake {

struct OffloadRig {
	struct Neighbour {
		std::array<uint8_t, 6> mac;
		bool valid = true; // NUD_VALID
	};

	struct fl_flowtable *ft = nullptr;
	struct fl_offload *off = nullptr;
	flmock::MockNic nic{"mock0", {1, 2}};
	// Next hops by address (16 bytes, IPv4 in the first 4) and device MACs.
	std::map<std::vector<uint8_t>, Neighbour> neighbours;
	std::map<int, std::array<uint8_t, 6>> dev_macs{{1, kRouterClientMac}, {2, kRouterServerMac}};
	unsigned neigh_lookups = 0;

	explicit OffloadRig(unsigned extra_flags = 0, fl_u32 gc_ms = 0, bool bind_nic = true);
	~OffloadRig();
	OffloadRig(const OffloadRig &) = delete;
	OffloadRig &operator=(const OffloadRig &) = delete;

	struct fl_flow *add(const FlowSpec &spec);
	void add_neighbour(int ipver, const std::string &addr, const std::array<uint8_t, 6> &mac,
			   bool valid = true);
	void flush() { fl_offload_flush(off); }
	struct fl_gc_result gc();
	struct fl_offload_stats stats() const;
};

} // namespace flfake

#endif // FLOWLANE_HARNESS_OFFLOAD_RIG_H
