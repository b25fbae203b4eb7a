// SPDX-License-Identifier: GPL-2.0
//
// Text views users know: `tc -s filter show`-style dumps of the rules a (mock)
// device holds, and a `conntrack -L`-style listing of a flowtable's flows with
// [OFFLOAD] / [HW_OFFLOAD].
#ifndef FLOWLANE_SIM_ROUTER_NIC_VIEWS_H
#define FLOWLANE_SIM_ROUTER_NIC_VIEWS_H

#include <functional>
#include <string>
#include <vector>

#include "flowlane/offload.h"
#include "sim/router/mock_nic.h"

namespace flviews {

// Device names for ifindexes (fallback: "if<N>").
using NameOf = std::function<std::string(int ifindex)>;

std::string addr_string(fl_u8 l3proto, const struct fl_addr &a);

// One rule as `tc -s filter show dev DEV ingress` would print a flower filter.
std::string format_rule(const struct fl_rule &r, const NameOf &name, uint64_t packets = 0,
			uint64_t bytes = 0, bool in_hw = true);

// Every rule installed on @port of @nic.
std::string tc_show(const flmock::MockNic &nic, int port, const NameOf &name);

struct FlowLine {
	std::string text;
	bool hw;
};

// The flows of @ft, one conntrack-style line each, sorted.
std::vector<FlowLine> conntrack_list(struct fl_flowtable *ft);

} // namespace flviews

#endif // FLOWLANE_SIM_ROUTER_NIC_VIEWS_H
