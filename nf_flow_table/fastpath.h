// SPDX-License-Identifier: GPL-2.0
//
// The packet path (fastpath.cpp).
#ifndef FLOWLANE_CORE_FASTPATH_H
#define FLOWLANE_CORE_FASTPATH_H

#include "flowlane/burst.h"
#include "nf_flow_table/flow_table.h"

namespace fl {

// Under RCU: run one packet through @ft; see fl_fastpath().
void fastpath(FlowTable &ft, struct fl_packet &pkt, struct fl_result &res);

// Under RCU: fastpath() for @n packets with their cache misses overlapped;
// see fl_fastpath_burst(). Returns the number of transmit verdicts.
unsigned fastpath_burst(FlowTable &ft, struct fl_packet *pkts, unsigned n, struct fl_result *res);

// Under RCU: FlowTable::lookup() for @n keys, overlapped; see
// fl_flowtable_lookup_burst(). Returns the number of hits.
unsigned lookup_burst(const FlowTable &ft, const Tuple *keys, unsigned n, Flow **flows, u8 *dirs);

} // namespace fl

#endif // FLOWLANE_CORE_FASTPATH_H
