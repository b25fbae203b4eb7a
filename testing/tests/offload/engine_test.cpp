// SPDX-License-Identifier: GPL-2.0
//
// The offload engine's state machine on the mock NIC: pending -> offloaded,
// dying -> dead -> freed; driver refusals and allocation failures leaving a
// working software flow and no leak; hardware statistics keeping flows alive;
// binding types; several devices; unbinding; teardown and destroy while work
// is queued (also under ThreadSanitizer with a slow driver).
#include <catch2/catch.hpp>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "flowlane/offload.h"
#include "testing/fakes/fake_conntrack.h"
#include "testing/fakes/fake_platform.h"
#include "testing/fakes/flow_builder.h"
#include "sim/net/frames.h"
#include "testing/fakes/offload_rig.h"

using namespace flfake;

namespace {

unsigned flags_of(struct fl_flow *f) { return fl_flow_flags(f); }

FrameSpec frame_for(const FlowSpec &s, enum fl_dir dir)
{
	FrameSpec f;
	f.ipver = s.ipver;
	f.proto = s.l4proto;
	bool o = dir == FL_DIR_ORIGINAL;
	f.saddr = o ? s.client : s.server;
	f.daddr = o ? (s.dnat ? s.dnat_addr : s.server) : (s.snat ? s.snat_addr : s.client);
	f.sport = o ? s.client_port : s.server_port;
	f.dport = o ? (s.dnat ? s.dnat_port : s.server_port) : (s.snat ? s.snat_port : s.client_port);
	f.src = o ? kClientMac : kServerMac;
	f.dst = o ? kRouterClientMac : kRouterServerMac;
	return f;
}

} // namespace

TEST_CASE("offload: a flow goes pending, then offloaded; GC removes it from hardware first",
	  "[offload]")
{
	TestPlatform plat;
	FakeCt ct;
	{
		OffloadRig rig;
		FlowSpec s;
		s.ct = &ct;
		struct fl_flow *flow = rig.add(s);
		CHECK((flags_of(flow) & (FL_FLOW_HW | FL_FLOW_HW_PENDING)) ==
		      (FL_FLOW_HW | FL_FLOW_HW_PENDING));
		CHECK(rig.nic.rule_count() == 0);
		plat.run_work();
		CHECK((flags_of(flow) & FL_FLOW_HW_OFFLOADED));
		CHECK_FALSE((flags_of(flow) & FL_FLOW_HW_PENDING));
		CHECK(rig.nic.rule_count() == 2);
		CHECK(rig.nic.rules_on(1).size() == 1);
		CHECK(rig.nic.rules_on(2).size() == 1);

		fl_rcu_read_lock();
		fl_flow_teardown(rig.ft, flow, FL_TEARDOWN_EXPLICIT);
		fl_rcu_read_unlock();
		fl_gc_result r = rig.gc();
		CHECK(r.hw_waiting == 1);
		CHECK(r.freed == 0);
		CHECK((flags_of(flow) & FL_FLOW_HW_DYING));
		CHECK(rig.nic.rule_count() == 2); // the delete is queued, not run
		plat.run_work();
		CHECK(rig.nic.rule_count() == 0);
		CHECK((flags_of(flow) & FL_FLOW_HW_DEAD));
		CHECK(rig.gc().freed == 1);
		CHECK(ct.releases == 1);
		CHECK(rig.stats().adds == 1);
		CHECK(rig.stats().dels == 1);
	}
	CHECK(plat.leaked_blocks() == 0);
}

TEST_CASE("offload: a queued add becomes the delete: one item per flow", "[offload]")
{
	TestPlatform plat;
	{
		OffloadRig rig;
		FlowSpec s;
		struct fl_flow *flow = rig.add(s);
		fl_rcu_read_lock();
		fl_flow_teardown(rig.ft, flow, FL_TEARDOWN_EXPLICIT);
		fl_rcu_read_unlock();
		rig.gc();
		CHECK(flplat::pending_work() == 1);
		plat.run_work();
		CHECK(rig.nic.replaces() == 0); // never reached the hardware
		CHECK((flags_of(flow) & FL_FLOW_HW_DEAD));
		CHECK(rig.gc().freed == 1);
		CHECK(rig.stats().queued == 1);
	}
	CHECK(plat.leaked_blocks() == 0);
}

TEST_CASE("offload: a refusing driver leaves a working software flow, retried on refresh",
	  "[offload][fault]")
{
	TestPlatform plat;
	OffloadRig rig;
	FlowSpec s;
	rig.nic.fail_nth_add(2); // the reply direction's rule
	struct fl_flow *flow = rig.add(s);
	plat.run_work();
	CHECK((flags_of(flow) & FL_FLOW_HW_FAILED));
	CHECK_FALSE((flags_of(flow) & FL_FLOW_HW_OFFLOADED));
	CHECK(rig.nic.rule_count() == 0); // the accepted half was taken back
	CHECK(rig.stats().add_failed == 1);

	// The software fastpath carries the flow meanwhile.
	Bytes frame = build_frame(frame_for(s, FL_DIR_ORIGINAL));
	std::vector<uint8_t> buf(32 + frame.size());
	std::copy(frame.begin(), frame.end(), buf.begin() + 32);
	struct fl_packet pkt = {};
	pkt.data = buf.data() + 32;
	pkt.len = pkt.headlen = static_cast<fl_u32>(frame.size());
	pkt.headroom = 32;
	pkt.iifindex = s.client_if;
	pkt.flags = FL_PKT_BUILD_L2;
	struct fl_result res;
	plat.advance_s(5); // so that the refresh writes
	fl_rcu_read_lock();
	fl_fastpath(rig.ft, &pkt, &res);
	fl_rcu_read_unlock();
	CHECK(res.verdict == FL_VERDICT_XMIT);
	// ... and the refresh retried the hardware.
	plat.run_work();
	CHECK((flags_of(flow) & FL_FLOW_HW_OFFLOADED));
	CHECK(rig.nic.rule_count() == 2);
}

TEST_CASE("offload: EOPNOTSUPP everywhere: flows stay in software, nothing leaks",
	  "[offload][fault]")
{
	TestPlatform plat;
	std::vector<std::unique_ptr<FakeCt>> cts;
	{
		OffloadRig rig;
		rig.nic.refuse_all(true);
		for (int i = 0; i < 20; i++) {
			cts.push_back(std::make_unique<FakeCt>());
			FlowSpec s;
			s.client_port = static_cast<uint16_t>(1000 + i);
			s.ct = cts.back().get();
			rig.add(s);
		}
		plat.run_work();
		CHECK(rig.stats().add_failed == 20);
		CHECK(rig.nic.rule_count() == 0);
		CHECK(fl_flowtable_count(rig.ft) == 20);
	}
	for (auto &ct : cts)
		CHECK(ct->releases == 1);
	CHECK(plat.leaked_blocks() == 0);
}

TEST_CASE("offload: allocation failure of a work item or rule is counted and retried",
	  "[offload][fault][alloc]")
{
	TestPlatform plat;
	{
		OffloadRig rig;
		FlowSpec s;
		struct fl_flow_params p = make_params(s);
		struct fl_flow *flow;
		REQUIRE(fl_flow_create(rig.ft, &p, &flow) == 0);
		flplat::fail_nth_alloc(1); // the add's work item
		REQUIRE(fl_flowtable_add(rig.ft, flow) == 0);
		CHECK(rig.stats().no_memory == 1);
		CHECK(flplat::pending_work() == 0);
		CHECK_FALSE((flags_of(flow) & FL_FLOW_HW_PENDING));

		fl_rcu_read_lock();
		plat.advance_s(2);
		fl_flow_refresh(rig.ft, flow); // traffic retries it
		fl_rcu_read_unlock();
		flplat::fail_nth_alloc(1); // now the rule buffer in the worker
		plat.run_work();
		CHECK(rig.stats().no_memory == 2);
		CHECK_FALSE((flags_of(flow) & FL_FLOW_HW_OFFLOADED));

		plat.advance_s(2);
		fl_rcu_read_lock();
		fl_flow_refresh(rig.ft, flow);
		fl_rcu_read_unlock();
		plat.run_work();
		CHECK((flags_of(flow) & FL_FLOW_HW_OFFLOADED));
	}
	CHECK(plat.leaked_blocks() == 0);
}

TEST_CASE("offload: hardware traffic keeps a flow alive past its software timeout",
	  "[offload][stats]")
{
	TestPlatform plat;
	FakeCt ct;
	OffloadRig rig(FL_FLOWTABLE_COUNTER, 1000);
	FlowSpec s;
	s.ct = &ct;
	struct fl_flow *flow = rig.add(s);
	plat.run_work();
	REQUIRE((flags_of(flow) & FL_FLOW_HW_OFFLOADED));
	Bytes frame = build_frame(frame_for(s, FL_DIR_ORIGINAL));
	// 60 s of traffic that only the hardware sees; GC polls stats every second.
	for (int sec = 0; sec < 60; sec++) {
		for (int i = 0; i < 3; i++)
			REQUIRE(rig.nic.receive(s.client_if, frame, flplat::now_ticks()));
		plat.advance_s(1);
	}
	CHECK(fl_flowtable_count(rig.ft) == 1);
	CHECK_FALSE((flags_of(flow) & FL_FLOW_TEARDOWN));
	fl_u64 pk, by;
	fl_flow_counters(flow, FL_DIR_ORIGINAL, &pk, &by);
	CHECK(pk >= 170); // hardware packets show in the flow's counters
	CHECK(ct.acct_packets[0] == pk); // and in conntrack accounting
	CHECK(rig.stats().refreshed > 50);
	// Silence: expires after the timeout like any flow, leaving hardware first.
	plat.advance_s(35);
	CHECK(fl_flowtable_count(rig.ft) == 0);
	CHECK(rig.nic.rule_count() == 0);
	CHECK(ct.last_reason == FL_TEARDOWN_TIMEOUT);
}

TEST_CASE("offload: bind uses FL_SETUP_FT, rules use FL_SETUP_CLSFLOWER (UCloud fixes)",
	  "[offload][regression]")
{
	TestPlatform plat;
	OffloadRig rig;
	FlowSpec s;
	rig.add(s);
	plat.run_work();
	// The mock NIC answers EOPNOTSUPP to a bind that is not TC_SETUP_FT-like and
	// to a rule command that is not flower: both fixes hold if this offloaded.
	CHECK(rig.nic.wrong_types() == 0);
	CHECK(rig.nic.rule_count() == 2);
	// And the driver would notice the wrong type.
	struct fl_block_bind b = {};
	b.command = FL_BLOCK_BIND;
	b.ifindex = 1;
	CHECK(flmock::MockNic::setup(&rig.nic, FL_SETUP_CLSFLOWER, &b) == -95);
	CHECK(rig.nic.wrong_types() == 1);
}

TEST_CASE("offload: several NICs; unbinding one takes its flows back to software", "[offload]")
{
	TestPlatform plat;
	FakeCt a, b;
	{
		struct fl_flowtable_config cfg = {};
		cfg.flags = FL_FLOWTABLE_HW_OFFLOAD;
		cfg.ops = fake_ops();
		struct fl_flowtable *ft;
		struct fl_offload *off;
		REQUIRE(fl_flowtable_create(&cfg, &ft) == 0);
		REQUIRE(fl_offload_create(ft, &off) == 0);
		flmock::MockNic nic1("nic1", {1, 2}), nic2("nic2", {3, 4});
		REQUIRE(fl_offload_bind(off, 1, flmock::MockNic::setup, &nic1) == 0);
		REQUIRE(fl_offload_bind(off, 2, flmock::MockNic::setup, &nic1) == 0);
		REQUIRE(fl_offload_bind(off, 3, flmock::MockNic::setup, &nic2) == 0);
		REQUIRE(fl_offload_bind(off, 4, flmock::MockNic::setup, &nic2) == 0);
		CHECK(fl_offload_bind(off, 4, flmock::MockNic::setup, &nic2) == -17);
		CHECK(fl_offload_bind(off, 9, flmock::MockNic::setup, &nic2) == -19); // not its port
		FlowSpec f1;
		f1.ct = &a;
		FlowSpec f2;
		f2.ct = &b;
		f2.client_if = 3;
		f2.server_if = 4;
		struct fl_flow_params p1 = make_params(f1), p2 = make_params(f2);
		struct fl_flow *x, *y;
		REQUIRE(fl_flow_create(ft, &p1, &x) == 0);
		REQUIRE(fl_flowtable_add(ft, x) == 0);
		REQUIRE(fl_flow_create(ft, &p2, &y) == 0);
		REQUIRE(fl_flowtable_add(ft, y) == 0);
		plat.run_work();
		CHECK(nic1.rule_count() == 2);
		CHECK(nic2.rule_count() == 2);

		fl_offload_unbind(off, 3);
		CHECK_FALSE(nic2.bound(3));
		CHECK(nic2.rule_count() == 0);
		CHECK(b.last_reason == FL_TEARDOWN_DEVICE);
		CHECK(b.releases == 1);
		CHECK(nic1.rule_count() == 2); // the other NIC's flow is untouched
		CHECK(a.teardowns == 0);
		fl_flowtable_destroy(ft);
		fl_offload_destroy(off);
		CHECK(nic1.rule_count() == 0);
	}
	CHECK(plat.leaked_blocks() == 0);
}

TEST_CASE("offload: teardown and destroy while work is queued, with a slow driver",
	  "[offload][concurrency]")
{
	flfake::ThreadedPlatform plat;
	std::vector<std::unique_ptr<FakeCt>> cts;
	for (int round = 0; round < 3; round++) {
		OffloadRig rig(0, 50);
		rig.nic.set_delay_us(200);
		std::vector<struct fl_flow *> flows;
		for (int i = 0; i < 100; i++) {
			cts.push_back(std::make_unique<FakeCt>());
			FlowSpec s;
			s.client_port = static_cast<uint16_t>(2000 + i);
			s.ct = cts.back().get();
			flows.push_back(rig.add(s));
		}
		// Tear half down at once while adds are still in flight.
		std::thread killer([&] {
			fl_rcu_read_lock();
			for (size_t i = 0; i < flows.size(); i += 2)
				fl_flow_teardown(rig.ft, flows[i], FL_TEARDOWN_EXPLICIT);
			fl_rcu_read_unlock();
		});
		killer.join();
		if (round == 2)
			rig.flush();
		// ~OffloadRig destroys the table and the engine with work queued.
	}
	for (auto &ct : cts) {
		CHECK(ct->teardowns == 1);
		CHECK(ct->releases == 1);
	}
	flplat::rcu_barrier();
	CHECK(plat.leaked_blocks() == 0);
}
