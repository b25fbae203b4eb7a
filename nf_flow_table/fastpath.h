// SPDX-License-Identifier: GPL-2.0
//
// The packet path (fastpath.cpp).
#ifndef FLOWLANE_CORE_FASTPATH_H
#define FLOWLANE_CORE_FASTPATH_H

#include "nf_flow_table/flow_table.h"

namespace fl {

// Under RCU: run one packet through @ft; see fl_fastpath().
void fastpath(FlowTable &ft, struct fl_packet &pkt, struct fl_result &res);

} // namespace fl

#endif // FLOWLANE_CORE_FASTPATH_H
