// SPDX-License-Identifier: GPL-2.0
//
// The router's flowtables: built from the ruleset's `flowtable` blocks, and
// filled by `flow add @ft` with both directions of a confirmed connection —
// tuples as packets arrive, and how each direction leaves (device, MACs, MTU).
#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

#include "sim/router/router.h"
#include "sim/router/router_internal.h"

namespace flsim {

namespace {

fl_u8 core_family(Family f)
{
	return f == Family::Ip ? FL_L3_IPV4 : f == Family::Ip6 ? FL_L3_IPV6 : 0;
}

void fill_tuple(const CtTuple &t, struct fl_tuple &out)
{
	fl_tuple_init(&out);
	out.l3proto = t.src.ipver == 6 ? FL_L3_IPV6 : FL_L3_IPV4;
	size_t n = t.src.ipver == 6 ? 16 : 4;
	std::memcpy(out.src.b, t.src.b, n);
	std::memcpy(out.dst.b, t.dst.b, n);
	out.l4proto = t.proto;
	out.src_port = htons(t.sport);
	out.dst_port = htons(t.dport);
}

} // namespace

std::optional<Diag> Router::setup_flowtables()
{
	for (const Table &t : rs_.tables) {
		for (const flsim::Flowtable &f : t.flowtables) {
			auto ft = std::make_unique<Flowtable>();
			ft->table = &t;
			ft->name = f.name;
			ft->priority = f.priority;
			ft->offload = f.offload;
			ft->counter = f.counter;
			for (const std::string &dev : f.devices) {
				const Link *l = topo_.link(dev);
				if (!l)
					return Diag{f.loc, "flowtable " + f.name + ": device " + dev +
								   " is not in the topology"};
				ft->ifindexes.push_back(topo_.lower(*l)->ifindex);
			}
			struct fl_flowtable_config cfg = {};
			cfg.flags = (f.counter ? FL_FLOWTABLE_COUNTER : 0) | (f.offload ? FL_FLOWTABLE_HW_OFFLOAD : 0);
			cfg.family = core_family(t.family);
			cfg.ops = Conntrack::flow_ops();
			cfg.tcp_timeout_s = opts_.tcp_timeout_s;
			cfg.udp_timeout_s = opts_.udp_timeout_s;
			cfg.gc_interval_ms = 1000;
			if (int err = fl_flowtable_create(&cfg, &ft->core))
				return Diag{f.loc, "flowtable " + f.name + ": " + std::strerror(-err)};
			if (f.offload) {
				if (int err = fl_offload_create(ft->core, &ft->off))
					return Diag{f.loc, "flowtable " + f.name + ": offload: " + std::strerror(-err)};
				for (size_t i = 0; i < f.devices.size(); i++) {
					int ifindex = ft->ifindexes[i];
					auto nic = std::make_unique<flmock::MockNic>(f.devices[i], std::set<int>{ifindex});
					if (int err = fl_offload_bind(ft->off, ifindex, flmock::MockNic::setup, nic.get()))
						return Diag{f.loc, "flowtable " + f.name + ": bind " + f.devices[i] + ": " +
									   std::strerror(-err)};
					ft->nics.push_back(std::move(nic));
				}
			}
			flowtables_.push_back(std::move(ft));
		}
	}
	// A device's ingress hook runs its flowtables by priority, lowest first;
	// equal priorities keep the order they were added in (nf_hook_entries).
	std::stable_sort(flowtables_.begin(), flowtables_.end(),
			 [](const auto &a, const auto &b) { return a->priority < b->priority; });
	return std::nullopt;
}

Router::Flowtable *Router::find_flowtable(const Table &t, const std::string &name)
{
	for (auto &ft : flowtables_)
		if (ft->table == &t && ft->name == name)
			return ft.get();
	return nullptr;
}

// Where packets to @dst leave: the routed device, its next hop's MAC and the
// physical port (a bridge's port from its forwarding database).
bool Router::leg_towards(const IpAddr &dst, Leg &leg, std::string &note) const
{
	RouteResult rr = route(dst);
	if (!rr.dev) {
		note = "no route to " + dst.str();
		return false;
	}
	leg.dev = rr.dev;
	leg.nexthop = rr.nexthop;
	leg.dmac = neighbour(*rr.dev, rr.nexthop);
	leg.port = rr.dev->kind == "bridge" ? egress_port(*rr.dev, leg.dmac) : topo_.lower(*rr.dev);
	if (!leg.port)
		note = "no bridge port known for " + mac_str(leg.dmac) + " on " + rr.dev->name;
	return leg.port != nullptr;
}

namespace {

// nft_flow_offload's checks on the connection and this packet.
bool eligible(const CtInfo &ci, const PacketView &v, std::string &why)
{
	const Conn *c = ci.conn;
	if (!c) {
		why = "untracked";
		return false;
	}
	if (c->offload) {
		why = "already offloaded";
		return false;
	}
	if (!c->confirmed) {
		why = "not confirmed yet";
		return false;
	}
	if (v.proto == 6 && (v.tcp_flags & 0x05)) {
		why = "FIN or RST";
		return false;
	}
	if (v.proto == 6 && !(c->tcp == TcpState::Established && c->assured)) {
		why = std::string("TCP ") + tcp_state_name(c->tcp) + ", not established";
		return false;
	}
	if (v.proto != 6 && v.proto != 17) {
		why = "not TCP/UDP";
		return false;
	}
	return true;
}

} // namespace

bool Router::flow_add(const Table &t, const std::string &name, const CtInfo &ci, const PacketView &v,
		      std::string &note)
{
	Flowtable *ft = find_flowtable(t, name);
	std::string why;
	if (!ft || !eligible(ci, v, why)) {
		if (ft && why != "already offloaded")
			note = "flow add @" + name + ": skipped (" + why + ")";
		return false;
	}
	Conn &c = *ci.conn;
	// Each direction leaves towards the other's (translated) source.
	Leg leg[2];
	if (!leg_towards(c.reply.src, leg[0], why) || !leg_towards(c.orig.src, leg[1], why)) {
		note = "flow add @" + name + ": skipped (" + why + ")";
		return false;
	}
	struct fl_flow_params p = {};
	fill_tuple(c.orig, p.tuple[FL_DIR_ORIGINAL]);
	fill_tuple(c.reply, p.tuple[FL_DIR_REPLY]);
	for (int d = 0; d < 2; d++) {
		// Direction d arrives where direction !d leaves, tagged as that device sends.
		struct fl_tuple &tup = p.tuple[d];
		tup.iifindex = leg[!d].port->ifindex;
		for (const VlanTag &tag : wire_tags(*leg[!d].dev)) {
			if (tup.encap_num == FL_ENCAP_MAX)
				break;
			tup.encap[tup.encap_num++] = {tag.id, tag.tpid};
		}
		struct fl_xmit &x = p.xmit[d];
		x.kind = FL_XMIT_DIRECT;
		x.ifindex = x.hw_ifindex = leg[d].port->ifindex;
		x.mtu = static_cast<fl_u16>(leg[d].dev->mtu);
		std::memcpy(x.h_source, leg[d].dev->mac.data(), 6);
		std::memcpy(x.h_dest, leg[d].dmac.data(), 6);
	}
	p.ct = &c;
	struct fl_flow *flow = nullptr;
	if (int err = fl_flow_create(ft->core, &p, &flow)) {
		note = "flow add @" + name + ": failed (" + std::strerror(-err) + ")";
		return false;
	}
	if (int err = fl_flowtable_add(ft->core, flow)) {
		fl_flow_free(ft->core, flow);
		note = "flow add @" + name + ": failed (" + std::strerror(-err) + ")";
		return false;
	}
	c.flow_refs++; // dropped by the table's ct_release
	c.offload = true;
	stats_.offloaded++;
	note = "flow add @" + name + ": offloaded";
	return true;
}

} // namespace flsim
