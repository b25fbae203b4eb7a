// SPDX-License-Identifier: GPL-2.0
//
// A flowtable with hardware offload, its engine and a mock NIC whose ports are
// the flow builder's client and server devices (1 and 2), bound to the engine.
#ifndef FLOWLANE_HARNESS_OFFLOAD_RIG_H
#define FLOWLANE_HARNESS_OFFLOAD_RIG_H

#include "flowlane/offload.h"
#include "testing/fakes/flow_builder.h"
#include "sim/router/mock_nic.h"

namespace flfake {

struct OffloadRig {
	struct fl_flowtable *ft = nullptr;
	struct fl_offload *off = nullptr;
	flmock::MockNic nic{"mock0", {1, 2}};

	explicit OffloadRig(unsigned extra_flags = 0, fl_u32 gc_ms = 0);
	~OffloadRig();
	OffloadRig(const OffloadRig &) = delete;
	OffloadRig &operator=(const OffloadRig &) = delete;

	struct fl_flow *add(const FlowSpec &spec);
	void flush() { fl_offload_flush(off); }
	struct fl_gc_result gc();
	struct fl_offload_stats stats() const;
};

} // namespace flfake

#endif // FLOWLANE_HARNESS_OFFLOAD_RIG_H
