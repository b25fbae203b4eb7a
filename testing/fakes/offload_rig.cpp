// SPDX-License-Identifier: GPL-2.0
#include "testing/fakes/offload_rig.h"

#include <stdexcept>

#include "testing/fakes/fake_conntrack.h"

namespace flfake {

OffloadRig::OffloadRig(unsigned extra_flags, fl_u32 gc_ms)
{
	struct fl_flowtable_config cfg = {};
	cfg.flags = FL_FLOWTABLE_HW_OFFLOAD | extra_flags;
	cfg.ops = fake_ops();
	cfg.gc_interval_ms = gc_ms;
	if (fl_flowtable_create(&cfg, &ft) || fl_offload_create(ft, &off) ||
	    fl_offload_bind(off, 1, flmock::MockNic::setup, &nic) ||
	    fl_offload_bind(off, 2, flmock::MockNic::setup, &nic))
		throw std::runtime_error("offload rig setup failed");
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
