// SPDX-License-Identifier: GPL-2.0
//
// The offload engine's state machine on the mock NIC: pending -> offloaded,
// dying -> dead -> freed; driver refusals and allocation failures leaving a
// working software flow and no leak; hardware statistics keeping flows alive;
// binding types; several devices; unbinding; teardown and destroy while work
// is queued (also under ThreadSanitizer with a slow driver).
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
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

TEST_CASE("offload: a closing flow leaves the hardware early and stays on the software path",
	  "[offload]")
{
	TestPlatform plat;
	FakeCt ct;
	{
		OffloadRig rig(FL_FLOWTABLE_TCP_CLOSING);
		FlowSpec s;
		s.ct = &ct;
		struct fl_flow *flow = rig.add(s);
		plat.run_work();
		REQUIRE(rig.nic.rule_count() == 2);
		// The hardware forwards most packets; a FIN that reaches the
		// software fastpath marks the flow closing.
		FrameSpec fs = flow_frame(s, FL_DIR_ORIGINAL);
		fs.tcp_flags = 0x11;
		Bytes frame = build_frame(fs);
		struct fl_packet pkt = {};
		struct fl_result res = {};
		pkt.data = frame.data();
		pkt.len = pkt.headlen = static_cast<fl_u32>(frame.size());
		pkt.iifindex = s.client_if;
		pkt.entry = FL_ENTRY_L2;
		fl_rcu_read_lock();
		fl_fastpath(rig.ft, &pkt, &res);
		fl_rcu_read_unlock();
		CHECK(res.verdict == FL_VERDICT_XMIT);
		CHECK((flags_of(flow) & FL_FLOW_CLOSING));
		fl_gc_result r = rig.gc();
		CHECK(r.freed == 0);
		CHECK((flags_of(flow) & FL_FLOW_HW_DYING));
		plat.run_work();
		CHECK(rig.nic.rule_count() == 0);
		CHECK((flags_of(flow) & FL_FLOW_HW_DEAD));
		CHECK_FALSE((flags_of(flow) & FL_FLOW_TEARDOWN));
		CHECK(ct.teardowns == 0);
		// Software refreshes never push it back.
		plat.advance_s(2);
		fl_rcu_read_lock();
		fl_flow_refresh(rig.ft, flow);
		fl_rcu_read_unlock();
		plat.run_work();
		CHECK(rig.nic.rule_count() == 0);
		CHECK(rig.stats().adds == 1);
		// It ends by timeout, without waiting for the hardware again.
		plat.advance_s(40);
		CHECK(rig.gc().freed == 1);
		CHECK(ct.last_reason == FL_TEARDOWN_TCP_CLOSED);
	}
	CHECK(plat.leaked_blocks() == 0);
}

TEST_CASE("offload: tunnel flows stay on the software fastpath", "[offload][tunnel]")
{
	TestPlatform plat;
	{
		OffloadRig rig;
		FlowSpec s;
		struct fl_flow_params p = make_params(s);
		p.tun[FL_DIR_ORIGINAL].l3proto = FL_L3_IPV4;
		p.tun[FL_DIR_ORIGINAL].src = parse_addr(4, "192.0.2.10");
		p.tun[FL_DIR_ORIGINAL].dst = parse_addr(4, "192.0.2.1");
		struct fl_flow *flow = nullptr;
		REQUIRE(fl_flow_create(rig.ft, &p, &flow) == 0);
		REQUIRE(fl_flowtable_add(rig.ft, flow) == 0);
		plat.run_work();
		CHECK_FALSE((flags_of(flow) & FL_FLOW_HW));
		CHECK(rig.nic.rule_count() == 0);
		CHECK(rig.stats().adds == 0);
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
	FakeCt ct;
	OffloadRig rig;
	FlowSpec s;
	s.ct = &ct;
	rig.nic.fail_nth_add(2); // the reply direction's rule
	struct fl_flow *flow = rig.add(s);
	plat.run_work();
	CHECK((flags_of(flow) & FL_FLOW_HW_FAILED));
	CHECK_FALSE((flags_of(flow) & FL_FLOW_HW_OFFLOADED));
	CHECK(rig.nic.rule_count() == 0); // the accepted half was taken back
	CHECK(rig.stats().add_failed == 1);
	CHECK(rig.stats().refused == 1);
	CHECK(rig.stats().rollbacks == 1);
	CHECK(rig.stats().offloaded == 0);
	CHECK_FALSE(ct.hw_offload);

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
	CHECK(ct.hw_offload);
	CHECK(rig.stats().offloaded == 1);
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
		CHECK(rig.stats().refused == 20);
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
	// Polled once a tenth of the timeout is gone (Linux's cadence): every 4 s here.
	CHECK(rig.stats().refreshed >= 12);
	CHECK(rig.stats().stats_polls <= 20);
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

TEST_CASE("offload: lastused alone keeps a flow alive (a driver that counts no packets)",
	  "[offload][stats]")
{
	TestPlatform plat;
	FakeCt ct, idle_ct;
	OffloadRig rig(FL_FLOWTABLE_COUNTER, 1000);
	rig.nic.set_lastused_only(true);
	FlowSpec s;
	s.ct = &ct;
	FlowSpec idle;
	idle.client_port = 40001;
	idle.ct = &idle_ct;
	struct fl_flow *flow = rig.add(s);
	struct fl_flow *quiet = rig.add(idle);
	plat.run_work();
	REQUIRE((flags_of(flow) & FL_FLOW_HW_OFFLOADED));
	REQUIRE((flags_of(quiet) & FL_FLOW_HW_OFFLOADED));
	Bytes frame = build_frame(frame_for(s, FL_DIR_ORIGINAL));
	// 60 s of hardware-only traffic for one flow, none for the other.
	for (int sec = 0; sec < 60; sec++) {
		REQUIRE(rig.nic.receive(s.client_if, frame, flplat::now_ticks()));
		plat.advance_s(1);
	}
	CHECK(fl_flowtable_count(rig.ft) == 1);
	CHECK_FALSE((flags_of(flow) & FL_FLOW_TEARDOWN));
	CHECK(ct.hw_offload);
	fl_u64 pk, by;
	fl_flow_counters(flow, FL_DIR_ORIGINAL, &pk, &by);
	CHECK(pk == 0); // nothing counted, and nothing accounted
	CHECK(ct.acct_packets[0] == 0);
	CHECK(rig.stats().refreshed >= 8);
	// The idle one expired after 30 s and left the hardware.
	CHECK(idle_ct.last_reason == FL_TEARDOWN_TIMEOUT);
	CHECK_FALSE(idle_ct.hw_offload);
	CHECK(rig.nic.rule_count() == 2);
	CHECK(rig.stats().offloaded == 1);
}

TEST_CASE("offload: a full table offloads what fits; the rest runs in software",
	  "[offload][fault]")
{
	TestPlatform plat;
	std::vector<std::unique_ptr<FakeCt>> cts;
	{
		OffloadRig rig;
		rig.nic.set_capacity(7); // three flows and one direction
		std::vector<struct fl_flow *> flows;
		for (int i = 0; i < 10; i++) {
			cts.push_back(std::make_unique<FakeCt>());
			FlowSpec s;
			s.client_port = static_cast<uint16_t>(3000 + i);
			s.ct = cts.back().get();
			flows.push_back(rig.add(s));
		}
		plat.run_work();
		CHECK(rig.stats().adds == 3);
		CHECK(rig.stats().offloaded == 3);
		CHECK(rig.stats().full == 7);
		// Each later flow's original fitted in the last slot and was taken back.
		CHECK(rig.stats().rollbacks == 7);
		CHECK(rig.nic.rule_count() == 6);
		int hw = 0;
		for (auto &ct : cts)
			hw += ct->hw_offload;
		CHECK(hw == 3);
		// A refused flow still takes the software fastpath.
		FlowSpec last;
		last.client_port = 3009;
		Bytes frame = build_frame(frame_for(last, FL_DIR_ORIGINAL));
		CHECK_FALSE(rig.nic.receive(last.client_if, frame, 0));
		std::vector<uint8_t> buf(32 + frame.size());
		std::copy(frame.begin(), frame.end(), buf.begin() + 32);
		struct fl_packet pkt = {};
		pkt.data = buf.data() + 32;
		pkt.len = pkt.headlen = static_cast<fl_u32>(frame.size());
		pkt.headroom = 32;
		pkt.iifindex = last.client_if;
		struct fl_result res;
		fl_rcu_read_lock();
		fl_fastpath(rig.ft, &pkt, &res);
		fl_rcu_read_unlock();
		CHECK(res.verdict == FL_VERDICT_XMIT);
	}
	for (auto &ct : cts)
		CHECK(ct->releases == 1);
	CHECK(plat.leaked_blocks() == 0);
}

TEST_CASE("offload: why a flow stayed in software is counted by reason", "[offload][fault]")
{
	TestPlatform plat;
	SECTION("no driver bound: no-device")
	{
		OffloadRig rig(0, 0, false);
		FlowSpec s;
		rig.add(s);
		plat.run_work();
		CHECK(rig.stats().no_device == 1);
		CHECK(rig.stats().add_failed == 1);
	}
	SECTION("PPPoE on the ingress side: unsupported")
	{
		OffloadRig rig;
		FlowSpec s;
		s.client_encap = {{7, FL_ETH_P_PPP_SES}};
		rig.add(s);
		plat.run_work();
		CHECK(rig.stats().unsupported == 1);
		CHECK(rig.nic.replaces() == 0);
	}
	SECTION("a neighbour not resolved yet: no-neigh, then offloaded once it is")
	{
		OffloadRig rig;
		FlowSpec s;
		s.xmit_kind = FL_XMIT_NEIGH;
		rig.add_neighbour(4, s.server, kServerMac, false);
		rig.add_neighbour(4, s.client, kClientMac);
		struct fl_flow *flow = rig.add(s);
		plat.run_work();
		CHECK(rig.stats().no_neigh == 1);
		CHECK(rig.nic.replaces() == 0);
		rig.add_neighbour(4, s.server, kServerMac);
		plat.advance_s(2);
		fl_rcu_read_lock();
		fl_flow_refresh(rig.ft, flow);
		fl_rcu_read_unlock();
		plat.run_work();
		REQUIRE((flags_of(flow) & FL_FLOW_HW_OFFLOADED));
		// The next hop's MAC, not the zeros of a neighbour flow's xmit.
		auto rules = rig.nic.rules_on(s.client_if);
		REQUIRE(rules.size() == 1);
		CHECK(rules[0].rule.actions[2].mangle.val == 0x02000000u);
		CHECK(rules[0].rule.actions[3].mangle.val == 0x02020000u);
		// And it forwards like the software path would have.
		Bytes frame = build_frame(frame_for(s, FL_DIR_ORIGINAL));
		auto out = rig.nic.receive(s.client_if, frame, 0);
		REQUIRE(out);
		CHECK(out->ifindex == s.server_if);
		CHECK(std::equal(kServerMac.begin(), kServerMac.end(), out->frame.begin()));
	}
}

TEST_CASE("offload: every rule goes to every callback; one shared callback is called once",
	  "[offload][broadcast]")
{
	TestPlatform plat;
	OffloadRig rig; // one NIC, ports 1 and 2, one callback in the block
	FlowSpec s;
	struct fl_flow *flow = rig.add(s);
	plat.run_work();
	CHECK(rig.nic.replaces() == 2); // once per direction, not once per bound port
	// Software traffic on an offloaded flow sends no second REPLACE.
	plat.advance_s(5);
	fl_rcu_read_lock();
	fl_flow_refresh(rig.ft, flow);
	fl_rcu_read_unlock();
	plat.run_work();
	CHECK(rig.nic.duplicate_replaces() == 0);
	CHECK(rig.nic.replaces() == 2);
}

TEST_CASE("offload: unbinding sends every DESTROY before the driver lets go", "[offload][unbind]")
{
	TestPlatform plat;
	FakeCt ct;
	{
		OffloadRig rig;
		FlowSpec s;
		s.ct = &ct;
		rig.add(s);
		plat.run_work();
		REQUIRE(rig.nic.rule_count() == 2);
		fl_offload_unbind(rig.off, 2);
		CHECK(rig.nic.destroys() == 2);
		CHECK(rig.nic.stale_at_unbind() == 0);
		CHECK(rig.nic.rule_count() == 0);
		CHECK_FALSE(rig.nic.bound(2));
		CHECK(rig.nic.bound(1)); // the shared callback still serves port 1
		CHECK(ct.releases == 1);
		CHECK_FALSE(ct.hw_offload);
		fl_offload_unbind(rig.off, 1);
		CHECK(rig.nic.stale_at_unbind() == 0);
	}
	CHECK(plat.leaked_blocks() == 0);
}

namespace {

// A platform block (the kernel shim's flow_block): the engine only dispatches.
struct OuterBlock {
	flmock::MockNic *nic;
	fl_block_cb cb = nullptr;
	void *cb_priv = nullptr;
	int calls[4] = {};
};

int outer_dispatch(void *priv, struct fl_rule_request *req)
{
	auto *b = static_cast<OuterBlock *>(priv);
	b->calls[req->cmd]++;
	int err = b->cb(FL_SETUP_CLSFLOWER, req, b->cb_priv);
	if (err < 0) {
		fl_rule_request_note_error(req, err);
		return 0;
	}
	return 1;
}

} // namespace

TEST_CASE("offload: with a platform block the engine dispatches and never binds", "[offload]")
{
	TestPlatform plat;
	flmock::MockNic nic("outer", {1, 2});
	OuterBlock block{&nic};
	struct fl_block_bind b = {};
	b.command = FL_BLOCK_BIND;
	b.ifindex = 1;
	REQUIRE(flmock::MockNic::setup(&nic, FL_SETUP_FT, &b) == 0);
	b.ifindex = 2;
	REQUIRE(flmock::MockNic::setup(&nic, FL_SETUP_FT, &b) == 0);
	block.cb = b.cb;
	block.cb_priv = b.cb_priv;
	struct fl_offload_ops ops = {};
	ops.dispatch = outer_dispatch;
	struct fl_flowtable_config cfg = {};
	cfg.flags = FL_FLOWTABLE_HW_OFFLOAD;
	cfg.ops = fake_ops();
	cfg.gc_interval_ms = 1000;
	struct fl_flowtable *ft;
	struct fl_offload *off;
	REQUIRE(fl_flowtable_create(&cfg, &ft) == 0);
	REQUIRE(fl_offload_create_with(ft, &ops, &block, &off) == 0);
	fl_offload_set_priority(off, 10);
	CHECK(fl_offload_bind(off, 1, flmock::MockNic::setup, &nic) == -EINVAL);
	FlowSpec s;
	struct fl_flow_params p = make_params(s);
	struct fl_flow *flow;
	REQUIRE(fl_flow_create(ft, &p, &flow) == 0);
	REQUIRE(fl_flowtable_add(ft, flow) == 0);
	plat.run_work();
	CHECK(block.calls[FL_RULE_REPLACE] == 2);
	REQUIRE(nic.rule_count() == 2);
	CHECK(nic.rules()[0].rule.priority == 10);
	plat.advance_s(5); // past a tenth of the 30 s timeout: GC asks for statistics
	CHECK(block.calls[FL_RULE_STATS] >= 2);
	fl_offload_unbind(off, 1); // releases the flows through it
	CHECK(block.calls[FL_RULE_DESTROY] == 2);
	CHECK(nic.rule_count() == 0);
	CHECK(fl_flowtable_count(ft) == 0);
	fl_flowtable_destroy(ft);
	fl_offload_destroy(off);
	CHECK(plat.leaked_blocks() == 0);
}
