// SPDX-License-Identifier: GPL-2.0
//
// The simulated Linux router: frames arrive on its devices and meet, in the
// kernel's order, the hardware (mock NICs executing offloaded rules), the
// flowtables in the ingress hook (flowlane's core fastpath), and otherwise the
// classic path modelled here — VLAN and bridge demux, conntrack, prerouting
// (DNAT), routing, forward (where `flow add` offloads), postrouting (SNAT,
// masquerade), TTL, neighbours — and leave on egress devices.
#ifndef FLOWLANE_SIM_ROUTER_H
#define FLOWLANE_SIM_ROUTER_H

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "flowlane/flowtable.h"
#include "flowlane/offload.h"
#include "sim/router/mock_nic.h"
#include "sim/router/conntrack.h"
#include "sim/router/nft_eval.h"
#include "sim/nft/ruleset.h"
#include "sim/net/topology.h"

namespace flsim {

struct TraceLine {
	uint64_t t_ms = 0;
	uint64_t seq = 0;
	std::string dev;     // where the frame arrived
	std::string summary; // the packet
	std::string path;    // hw, fast, slow, bridge, local, drop, ignored
	std::string reason;  // why (fastpath reason, drop reason, ...)
	std::string out_dev;
	std::vector<std::string> notes;
};

struct EmittedFrame {
	std::string dev; // physical egress device
	uint64_t t_ms = 0;
	Bytes frame;
};

struct RouterStats {
	uint64_t received = 0, hw = 0, fast = 0, slow = 0, bridged = 0, local = 0, dropped = 0, ignored = 0;
	uint64_t offloaded = 0, hw_offloaded = 0;
	std::map<std::string, uint64_t> teardowns; // by reason
	std::map<std::string, uint64_t> slow_reasons;
};

struct RouterOptions {
	uint32_t tcp_timeout_s = 0; // flowtable timeouts; 0: the default 30 s
	uint32_t udp_timeout_s = 0;
};

class Router {
public:
	// Builds flowtables (and mock NICs for `flags offload`) from @rs on @topo.
	static Parsed<std::unique_ptr<Router>> create(Ruleset rs, Topology topo, RouterOptions opts = {});
	~Router();
	Router(const Router &) = delete;
	Router &operator=(const Router &) = delete;

	// A frame arrives on physical device @dev now; returns what leaves.
	std::vector<EmittedFrame> receive(const std::string &dev, const Bytes &frame);
	// Where a host with address @host is plugged in: the router's device towards
	// it, the physical port frames use, the tags on that wire and both MACs.
	struct Attachment {
		std::string dev, port;
		std::vector<VlanTag> tags;
		MacAddr router_mac{}, host_mac{};
	};
	std::optional<Attachment> attachment(const IpAddr &host) const;
	// Move the virtual clock (GC, timeouts, hardware work).
	void advance_ms(uint64_t ms);
	uint64_t now_ms() const { return now_ms_; }

	const std::vector<TraceLine> &trace() const { return trace_; }
	const Ruleset &ruleset() const { return rs_; }
	const Topology &topology() const { return topo_; }
	const Conntrack &conntrack() const { return ct_; }
	RouterStats stats() const;

	// Views.
	std::string conntrack_list() const; // conntrack -L
	std::string counters_list() const;  // nft list counters
	std::string tc_list() const;        // tc -s filter show dev X ingress, per device
	std::string flowtable_stats() const;

	struct Flowtable;

private:
	Router(Ruleset rs, Topology topo, RouterOptions opts);
	std::optional<Diag> setup_flowtables();

	// The path, stage by stage.
	bool try_hardware(const Link &phys, const Bytes &frame, TraceLine &tl, std::vector<EmittedFrame> &out);
	// What the flowtables on the ingress device did with a frame.
	struct FastpathOutcome {
		bool sent = false;
		bool tried = false;                       // some flowtable hooks this device
		enum fl_slow_reason why = FL_SLOW_NONE;   // !sent && tried: the core's reason
		std::string slow_reason() const;
	};
	FastpathOutcome try_fastpath(const Link &phys, const Bytes &frame, const PacketView *v, TraceLine &tl,
				     std::vector<EmittedFrame> &out);
	void classic(const Link &phys, const Bytes &frame, const PacketView &v, const FastpathOutcome &fast,
		     TraceLine &tl, std::vector<EmittedFrame> &out);
	// The classic path's stages (router.cpp), in order.
	struct Trip;
	bool demux(Trip &t);
	bool prerouting(Trip &t);
	bool route_packet(Trip &t);
	bool forward(Trip &t);
	bool postrouting(Trip &t);
	void transmit(Trip &t);
	bool reject(Trip &t, const std::string &why);
	void mark_gso(const Link &phys, PacketView &v) const;
	const Link *logical_input(const Link &phys, const PacketView &v) const;
	bool bridge_switch(const Link &port, const Link &bridge, const Bytes &frame, const PacketView &v,
			   TraceLine &tl, std::vector<EmittedFrame> &out);
	void apply_nat_request(const NatRequest &nr, const CtInfo &ci, const Link *out);
	void emit(const Link &out, const IpAddr &nexthop, Bytes &frame, const PacketView &v,
		  std::vector<EmittedFrame> &out_frames, TraceLine &tl);
	bool flow_add(const Table &t, const std::string &ft, const CtInfo &ci, const PacketView &v,
		      std::string &note);
	struct Leg {
		const Link *dev = nullptr;  // logical egress device
		const Link *port = nullptr; // physical device the frames leave on
		IpAddr nexthop;
		MacAddr dmac{};
	};
	bool leg_towards(const IpAddr &dst, Leg &leg, std::string &note) const;
	Flowtable *find_flowtable(const Table &t, const std::string &name);

	// Topology services.
	struct RouteResult {
		const Link *dev = nullptr;
		IpAddr nexthop;
	};
	RouteResult route(const IpAddr &dst) const;
	bool is_local(const IpAddr &a) const;
	MacAddr neighbour(const Link &dev, const IpAddr &a) const;
	std::vector<VlanTag> wire_tags(const Link &dev) const;
	const Link *egress_port(const Link &dev, const MacAddr &dst) const;
	const Link *primary_addr_dev(const Link &dev, int ipver, IpAddr &addr) const;

	Ruleset rs_;
	Topology topo_;
	RouterOptions opts_;
	Conntrack ct_;
	NftEvaluator eval_;
	std::vector<std::unique_ptr<Flowtable>> flowtables_;
	std::map<std::string, std::map<std::string, std::string>> fdb_; // bridge -> mac -> port
	std::vector<TraceLine> trace_;
	uint64_t now_ms_ = 0;
	uint64_t seq_ = 0;
	RouterStats stats_;
};

} // namespace flsim

#endif // FLOWLANE_SIM_ROUTER_H
