// SPDX-License-Identifier: GPL-2.0
//
// Fake conntrack entries and routes behind struct fl_flowtable_ops: they record
// every callback so tests can assert how the core hands flows back.
#ifndef FLOWLANE_HARNESS_FAKE_CONNTRACK_H
#define FLOWLANE_HARNESS_FAKE_CONNTRACK_H

#include <atomic>
#include <cstdint>

#include "flowlane/flowtable.h"

namespace flfake {

struct FakeCt {
	std::atomic<bool> alive{true};
	std::atomic<int> teardowns{0};
	std::atomic<int> last_reason{0};
	std::atomic<int> releases{0};
	std::atomic<uint64_t> acct_packets[2]{};
	std::atomic<uint64_t> acct_bytes[2]{};
	std::atomic<bool> hw_offload{false}; // IPS_HW_OFFLOAD, as the offload engine reports it
	std::atomic<int> keepalives{0};      // GC passes that found the flow alive
};

struct FakeRoute {
	std::atomic<bool> valid{true};
	std::atomic<int> releases{0};
};

// Callbacks over FakeCt / FakeRoute handles.
const struct fl_flowtable_ops *fake_ops();

} // namespace flfake

#endif // FLOWLANE_HARNESS_FAKE_CONNTRACK_H
