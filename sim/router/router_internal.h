// SPDX-License-Identifier: GPL-2.0
//
// What the router's translation units share: the flowtables it built from the
// ruleset, each with its core table and, for `flags offload`, its engine and
// one mock NIC per device.
#ifndef FLOWLANE_SIM_ROUTER_INTERNAL_H
#define FLOWLANE_SIM_ROUTER_INTERNAL_H

#include <memory>
#include <string>
#include <vector>

#include "sim/router/router.h"

namespace flsim {

// Room in front of a received frame for the L2 header the fastpath may push.
constexpr size_t kHeadroom = 64;

bool prefix_covers(const IpAddr &net, int plen, const IpAddr &a);

struct Router::Flowtable {
	const Table *table = nullptr;
	std::string name;
	int priority = 0;
	bool offload = false, counter = false;
	std::vector<int> ifindexes; // physical devices whose ingress hook runs the table
	struct fl_flowtable *core = nullptr;
	struct fl_offload *off = nullptr;
	std::vector<std::unique_ptr<flmock::MockNic>> nics;

	Flowtable() = default;
	Flowtable(const Flowtable &) = delete;
	Flowtable &operator=(const Flowtable &) = delete;
	// The table first: it removes every flow from hardware; then the engine;
	// the NICs (members) go last.
	~Flowtable()
	{
		if (core)
			fl_flowtable_destroy(core);
		if (off)
			fl_offload_destroy(off);
	}
};

} // namespace flsim

#endif // FLOWLANE_SIM_ROUTER_INTERNAL_H
