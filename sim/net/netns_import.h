// SPDX-License-Identifier: GPL-2.0
//
// Import a live network namespace's links, addresses, routes (main table) and
// neighbours into a Topology, through libnl-3 / libnl-route-3.
#ifndef FLOWLANE_SIM_NETNS_IMPORT_H
#define FLOWLANE_SIM_NETNS_IMPORT_H

#include <string>

#include "sim/net/topology.h"

namespace flsim {

// @name is a namespace created by `ip netns add` (/run/netns/NAME). The calling
// thread enters it for the import and always returns to its own namespace.
Parsed<Topology> import_netns(const std::string &name);

} // namespace flsim

#endif // FLOWLANE_SIM_NETNS_IMPORT_H
