// SPDX-License-Identifier: GPL-2.0
#include "testing/fakes/offload_rig.h"

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "testing/fakes/fake_conntrack.h"

namespace flfake {

namespace {

int rig_neigh_macs(void *priv, void *route, const struct fl_addr *daddr, fl_u8 l3proto,
		   fl_s32 ifindex, fl_u8 *h_dest, fl_u8 *h_source)
{
	auto *rig = static_cast<OffloadRig *>(priv);
	rig->neigh_lookups++;
	auto dev = rig->dev_macs.find(ifindex);
	if (dev == rig->dev_macs.end())
		return -ENODEV;
	auto n = rig->neighbours.find(std::vector<uint8_t>(daddr->b, daddr->b + 16));
	if (n == rig->neighbours.end() || !n->second.valid)
		return -ENOENT;
	std::memcpy(h_dest, n->second.mac.data(), 6);
	std::memcpy(h_source, dev->second.data(), 6);
	return 0;
}

void rig_hw_state(void *priv, void *ct, bool offloaded)
{
	static_cast<FakeCt *>(ct)->hw_offload = offloaded;
}

const struct fl_offload_ops kRigOps = {
	.dispatch = nullptr, // the engine's own block: the mock NIC is bound to it
	.neigh_macs = rig_neigh_macs,
	.hw_state = rig_hw_state,
};

} // namespace

OffloadRig::OffloadRig(unsigned extra_flags, fl_u32 gc_ms, bool bind_nic)
{
	struct fl_flowtable_config cfg = {};
	cfg.flags = FL_FLOWTABLE_HW_OFFLOAD | extra_flags;
	cfg.ops = fake_ops();
	cfg.gc_interval_ms = gc_ms;
	if (fl_flowtable_create(&cfg, &ft) || fl_offload_create_with(ft, &kRigOps, this, &off))
		throw std::runtime_error("offload rig setup failed");
	if (bind_nic && (fl_offload_bind(off, 1, flmock::MockNic::setup, &nic) ||
			 fl_offload_bind(off, 2, flmock::MockNic::setup, &nic)))
		throw std::runtime_error("offload rig bind failed");
}

OffloadRig::~OffloadRig()
{
	fl_flowtable_destroy(ft);
	fl_offload_destroy(off);
}

struct fl_flow *OffloadRig::add(const FlowSpec &spec)
{
	struct fl_flow_params p = make_params(spec);
	struct fl_flow *flow = nullptr;
	if (fl_flow_create(ft, &p, &flow))
		throw std::runtime_error("fl_flow_create failed");
	if (fl_flowtable_add(ft, flow)) {
		fl_flow_free(ft, flow);
		throw std::runtime_error("fl_flowtable_add failed");
	}
	return flow;
}

void OffloadRig::add_neighbour(int ipver, const std::string &addr, const std::array<uint8_t, 6> &mac,
			       bool valid)
{
	struct fl_addr a = parse_addr(ipver, addr);
	neighbours[std::vector<uint8_t>(a.b, a.b + 16)] = Neighbour{mac, valid};
}

struct fl_gc_result OffloadRig::gc()
{
	struct fl_gc_result r = {};
	fl_flowtable_gc(ft, &r);
	return r;
}

struct fl_offload_stats OffloadRig::stats() const
{
	struct fl_offload_stats st = {};
	fl_offload_stats(off, &st);
	return st;
}

} // namespace flfake
