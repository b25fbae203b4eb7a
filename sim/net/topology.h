// SPDX-License-Identifier: GPL-2.0
//
// The simulated router's network: links (veth, dummy, bridge, vlan), their
// addresses, routes and neighbours. Built from a file of iproute2 command lines
// or imported from a live network namespace (netns_import.h).
#ifndef FLOWLANE_SIM_TOPOLOGY_H
#define FLOWLANE_SIM_TOPOLOGY_H

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "sim/base/diag.h"

namespace flsim {

using MacAddr = std::array<uint8_t, 6>;

struct IpAddr {
	int ipver = 4;
	uint8_t b[16] = {};
	bool operator==(const IpAddr &o) const;
	std::string str() const;
};

struct Link {
	std::string name;
	int ifindex = 0;
	std::string kind = "ether"; // veth, dummy, bridge, vlan, ether
	std::string parent;         // vlan: the lower device
	uint16_t vlan_id = 0;
	uint16_t vlan_proto = 0x8100;
	std::string master;         // bridge port: the bridge
	int mtu = 1500;
	bool up = false;
	MacAddr mac{};
	Loc loc;
};

struct Address {
	std::string dev;
	IpAddr addr;
	int plen = 0;
};

struct Route {
	IpAddr dst; // with plen 0: default
	int plen = 0;
	bool has_via = false;
	IpAddr via;
	std::string dev;
	Loc loc;
};

struct Neighbor {
	std::string dev;
	IpAddr addr;
	MacAddr mac{};
};

struct Topology {
	std::vector<Link> links;
	std::vector<Address> addrs;
	std::vector<Route> routes;
	std::vector<Neighbor> neighs;

	Link *link(const std::string &name);
	const Link *link(const std::string &name) const;
	const Link *link(int ifindex) const;
	// The physical device a link sends through (a VLAN's lower device, itself otherwise).
	const Link *lower(const Link &l) const;
	// Administratively up, and so is every device under it (a VLAN device
	// over a down lower device has no carrier). Links start down, as in Linux.
	bool is_up(const Link &l) const;
};

bool parse_ip(const std::string &s, IpAddr &out);
bool parse_mac(const std::string &s, MacAddr &out);
std::string mac_str(const MacAddr &m);

Parsed<Topology> parse_topology(const std::string &text, const std::string &file);
Parsed<Topology> load_topology(const std::string &path);

// Deterministic, locally administered MAC for interface @ifindex.
MacAddr default_mac(int ifindex);

} // namespace flsim

#endif // FLOWLANE_SIM_TOPOLOGY_H
