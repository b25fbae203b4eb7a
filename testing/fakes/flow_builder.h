// SPDX-License-Identifier: GPL-2.0
//
// Builds struct fl_flow_params for tests: a client behind device `client_if`
// talks to a server behind `server_if`, optionally through SNAT (the client is
// seen as snat_addr:snat_port) and DNAT (the client dials dnat_addr:dnat_port,
// which is the server's public face).
#ifndef FLOWLANE_HARNESS_FLOW_BUILDER_H
#define FLOWLANE_HARNESS_FLOW_BUILDER_H

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "flowlane/flowtable.h"
#include "sim/net/frames.h"

namespace flfake {

struct FakeCt;
struct FakeRoute;

struct FlowSpec {
	int ipver = 4;
	uint8_t l4proto = FL_IPPROTO_TCP;
	std::string client = "10.0.1.2";
	std::string server = "10.0.2.2";
	uint16_t client_port = 40000;
	uint16_t server_port = 80;
	bool snat = false;
	std::string snat_addr = "192.0.2.1";
	uint16_t snat_port = 50000;
	bool dnat = false;
	std::string dnat_addr = "198.51.100.7";
	uint16_t dnat_port = 8080;
	int client_if = 1;
	int server_if = 2;
	std::vector<fl_encap> client_encap; // encapsulation on the client side link
	std::vector<fl_encap> server_encap;
	uint8_t xmit_kind = FL_XMIT_DIRECT;
	uint16_t mtu = 1500;
	FakeCt *ct = nullptr;
	FakeRoute *route[2] = {nullptr, nullptr};
};

// MACs the builder assigns: router side and host side of each link.
extern const std::array<uint8_t, 6> kClientMac, kRouterClientMac, kServerMac, kRouterServerMac;

struct fl_addr parse_addr(int ipver, const std::string &s);
struct fl_flow_params make_params(const FlowSpec &spec);

// The frame a host sends in direction @dir of the flow @spec describes, on
// its own link (MACs, encapsulation), before the router's NAT.
FrameSpec flow_frame(const FlowSpec &spec, enum fl_dir dir);

} // namespace flfake

#endif // FLOWLANE_HARNESS_FLOW_BUILDER_H
