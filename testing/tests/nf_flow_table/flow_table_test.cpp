// SPDX-License-Identifier: GPL-2.0
//
// Flow lifecycle through the C API: create, add, lookup both directions,
// duplicates, refresh and timeouts on the manual clock, teardown and hand-back,
// GC, cleanup by device, conntrack death, destroy with live flows, and
// allocation failure at every site. Fake conntrack entries are declared before
// the table: destroying the table hands flows back to them.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <cerrno>
#include <memory>
#include <vector>

#include "flowlane/flowtable.h"
#include "testing/fakes/fake_conntrack.h"
#include "testing/fakes/fake_platform.h"
#include "testing/fakes/flow_builder.h"

using namespace flfake;

namespace {

struct Table {
	struct fl_flowtable *ft = nullptr;
	explicit Table(unsigned flags = 0, fl_u32 gc_ms = 0)
	{
		struct fl_flowtable_config cfg = {};
		cfg.flags = flags;
		cfg.ops = fake_ops();
		cfg.gc_interval_ms = gc_ms;
		REQUIRE(fl_flowtable_create(&cfg, &ft) == 0);
	}
	~Table()
	{
		if (ft)
			fl_flowtable_destroy(ft);
	}
};

struct fl_flow *add_flow(struct fl_flowtable *ft, const FlowSpec &spec)
{
	struct fl_flow_params p = make_params(spec);
	struct fl_flow *flow = nullptr;
	REQUIRE(fl_flow_create(ft, &p, &flow) == 0);
	REQUIRE(fl_flowtable_add(ft, flow) == 0);
	return flow;
}

struct fl_flow *lookup(struct fl_flowtable *ft, const struct fl_tuple &key, enum fl_dir *dir)
{
	fl_rcu_read_lock();
	struct fl_flow *f = fl_flowtable_lookup(ft, &key, dir);
	fl_rcu_read_unlock();
	return f;
}

fl_gc_result gc(struct fl_flowtable *ft)
{
	fl_gc_result r = {};
	fl_flowtable_gc(ft, &r);
	return r;
}

} // namespace

TEST_CASE("flowtable: both directions are found; the key ignores dir", "[flowtable]")
{
	TestPlatform plat;
	FakeCt ct;
	Table t;
	FlowSpec spec;
	spec.ct = &ct;
	struct fl_flow *flow = add_flow(t.ft, spec);
	struct fl_flow_params p = make_params(spec);
	enum fl_dir dir = FL_DIR_REPLY;
	CHECK(lookup(t.ft, p.tuple[FL_DIR_ORIGINAL], &dir) == flow);
	CHECK(dir == FL_DIR_ORIGINAL);
	p.tuple[FL_DIR_REPLY].dir = 0; // dir is not part of the key
	CHECK(lookup(t.ft, p.tuple[FL_DIR_REPLY], &dir) == flow);
	CHECK(dir == FL_DIR_REPLY);
	CHECK(fl_flowtable_count(t.ft) == 1);
	CHECK(fl_flow_flags(flow) == 0); // no NAT

	SECTION("every key field matters")
	{
		struct fl_tuple k = p.tuple[FL_DIR_ORIGINAL];
		k.iifindex = 99;
		CHECK(lookup(t.ft, k, &dir) == nullptr);
		k = p.tuple[FL_DIR_ORIGINAL];
		k.src_port = htons(1);
		CHECK(lookup(t.ft, k, &dir) == nullptr);
		k = p.tuple[FL_DIR_ORIGINAL];
		k.l4proto = FL_IPPROTO_UDP;
		CHECK(lookup(t.ft, k, &dir) == nullptr);
		k = p.tuple[FL_DIR_ORIGINAL];
		k.encap_num = 1;
		k.encap[0] = {10, FL_ETH_P_8021Q};
		CHECK(lookup(t.ft, k, &dir) == nullptr);
	}
}

TEST_CASE("flowtable: NAT flags are derived from the tuples", "[flowtable]")
{
	TestPlatform plat;
	Table t;
	FlowSpec s;
	s.snat = true;
	CHECK(fl_flow_flags(add_flow(t.ft, s)) == FL_FLOW_SNAT);
	FlowSpec d;
	d.client_port = 40001;
	d.dnat = true;
	CHECK(fl_flow_flags(add_flow(t.ft, d)) == FL_FLOW_DNAT);
	FlowSpec b;
	b.client_port = 40002;
	b.snat_port = 50002; // its own reply tuple: the SNAT-only flow holds port 50000
	b.snat = b.dnat = true;
	CHECK(fl_flow_flags(add_flow(t.ft, b)) == (FL_FLOW_SNAT | FL_FLOW_DNAT));
	FlowSpec v6;
	v6.ipver = 6;
	v6.client = "2001:db8:1::2";
	v6.server = "2001:db8:2::2";
	v6.snat = true;
	v6.snat_addr = "2001:db8:ff::1";
	CHECK(fl_flow_flags(add_flow(t.ft, v6)) == FL_FLOW_SNAT);
}

TEST_CASE("flowtable: duplicates are rejected and the caller keeps the flow", "[flowtable]")
{
	TestPlatform plat;
	{
		FakeCt ct1, ct2;
		Table t;
		FlowSpec spec;
		spec.ct = &ct1;
		add_flow(t.ft, spec);
		spec.ct = &ct2;
		struct fl_flow_params p = make_params(spec);
		struct fl_flow *dup = nullptr;
		REQUIRE(fl_flow_create(t.ft, &p, &dup) == 0);
		CHECK(fl_flowtable_add(t.ft, dup) == -17);
		// A flow whose reply direction alone collides is rejected too.
		struct fl_flow_params q = p;
		q.tuple[FL_DIR_ORIGINAL].src_port = htons(1234);
		struct fl_flow *half = nullptr;
		REQUIRE(fl_flow_create(t.ft, &q, &half) == 0);
		CHECK(fl_flowtable_add(t.ft, half) == -17);
		CHECK(fl_flowtable_count(t.ft) == 1);
		fl_flow_free(t.ft, dup);
		fl_flow_free(t.ft, half);
		CHECK(ct2.releases == 2);
		struct fl_stats st;
		fl_flowtable_stats(t.ft, &st);
		CHECK(st.add_exists == 2);
		CHECK(st.flows_added == 1);
	}
	CHECK(plat.leaked_blocks() == 0);
}

TEST_CASE("flowtable: invalid parameters are refused", "[flowtable]")
{
	TestPlatform plat;
	Table t;
	FlowSpec spec;
	struct fl_flow_params p = make_params(spec);
	struct fl_flow *flow = nullptr;

	auto refused = [&](struct fl_flow_params q) { return fl_flow_create(t.ft, &q, &flow) == -22; };
	struct fl_flow_params q = p;
	q.tuple[0].l4proto = 1; // ICMP
	CHECK(refused(q));
	q = p;
	q.tuple[1].l3proto = FL_L3_IPV6;
	CHECK(refused(q));
	q = p;
	q.tuple[0].encap_num = 3;
	CHECK(refused(q));
	q = p;
	q.tuple[0].src.w[2] = 1; // garbage behind an IPv4 address
	CHECK(refused(q));
	q = p;
	q.xmit[0].kind = 0;
	CHECK(refused(q));
	q = p;
	q.xmit[1].mtu = 10;
	CHECK(refused(q));
	q = p;
	q.tuple[0].encap_num = 2;
	q.tuple[0].encap[0] = {7, FL_ETH_P_PPP_SES};
	q.tuple[0].encap[1] = {10, FL_ETH_P_8021Q}; // nothing may follow PPPoE
	CHECK(refused(q));

	struct fl_flowtable_config bad = {};
	struct fl_flowtable *ft2 = nullptr;
	CHECK(fl_flowtable_create(&bad, &ft2) == -22); // no ops
	bad.ops = fake_ops();
	bad.flags = 0x80;
	CHECK(fl_flowtable_create(&bad, &ft2) == -22);
	CHECK(fl_flowtable_set_timeout(t.ft, FL_IPPROTO_TCP, 0) == -22);
	CHECK(fl_flowtable_set_timeout(t.ft, 1, 10) == -22);
}

TEST_CASE("flowtable: idle flows expire on the clock and are handed back", "[flowtable][gc]")
{
	TestPlatform plat;
	{
		FakeCt tcp_ct, udp_ct;
		FakeRoute r0, r1;
		Table t;
		REQUIRE(fl_flowtable_set_timeout(t.ft, FL_IPPROTO_UDP, 5) == 0);
		CHECK(fl_flowtable_timeout(t.ft, FL_IPPROTO_TCP) == 30);
		CHECK(fl_flowtable_timeout(t.ft, FL_IPPROTO_UDP) == 5);
		FlowSpec tcp;
		tcp.ct = &tcp_ct;
		tcp.route[0] = &r0;
		tcp.route[1] = &r1;
		FlowSpec udp;
		udp.l4proto = FL_IPPROTO_UDP;
		udp.ct = &udp_ct;
		struct fl_flow *tf = add_flow(t.ft, tcp);
		add_flow(t.ft, udp);

		plat.advance_s(4);
		CHECK(gc(t.ft).expired == 0);
		plat.advance_s(2); // UDP idle 6 s > 5 s
		fl_gc_result r = gc(t.ft);
		CHECK(r.expired == 1);
		CHECK(r.freed == 1);
		CHECK(udp_ct.teardowns == 1);
		CHECK(udp_ct.last_reason == FL_TEARDOWN_TIMEOUT);
		CHECK(udp_ct.releases == 1);
		CHECK(fl_flowtable_count(t.ft) == 1);

		// Traffic keeps TCP alive past its 30 s.
		for (int i = 0; i < 10; i++) {
			plat.advance_s(5);
			fl_rcu_read_lock();
			fl_flow_refresh(t.ft, tf);
			CHECK(fl_flow_expires_in(t.ft, tf) > 25);
			fl_rcu_read_unlock();
			CHECK(gc(t.ft).expired == 0);
		}
		plat.advance_s(31);
		r = gc(t.ft);
		CHECK(r.expired == 1);
		CHECK(tcp_ct.teardowns == 1);
		CHECK(tcp_ct.releases == 1);
		CHECK(r0.releases == 1);
		CHECK(r1.releases == 1);
		CHECK(fl_flowtable_count(t.ft) == 0);
	}
	CHECK(plat.leaked_blocks() == 0);
}

TEST_CASE("flowtable: automatic GC runs on delayed work", "[flowtable][gc]")
{
	TestPlatform plat;
	{
		FakeCt ct;
		Table t(0, 1000);
		FlowSpec spec;
		spec.ct = &ct;
		add_flow(t.ft, spec);
		plat.advance_s(29);
		CHECK(fl_flowtable_count(t.ft) == 1);
		plat.advance_s(3); // GC passes at every second on the virtual clock
		CHECK(fl_flowtable_count(t.ft) == 0);
		CHECK(ct.releases == 1);
		struct fl_stats st;
		fl_flowtable_stats(t.ft, &st);
		CHECK(st.gc_runs >= 31);
		CHECK(st.gc_expired == 1);
	}
	CHECK(plat.leaked_blocks() == 0);
}

TEST_CASE("flowtable: teardown is immediate for lookups and once for conntrack", "[flowtable]")
{
	TestPlatform plat;
	FakeCt ct;
	Table t;
	FlowSpec spec;
	spec.ct = &ct;
	struct fl_flow *flow = add_flow(t.ft, spec);
	struct fl_flow_params p = make_params(spec);
	enum fl_dir dir;
	fl_rcu_read_lock();
	fl_flow_teardown(t.ft, flow, FL_TEARDOWN_EXPLICIT);
	fl_flow_teardown(t.ft, flow, FL_TEARDOWN_TCP_FIN_RST);
	fl_rcu_read_unlock();
	CHECK(ct.teardowns == 1);
	CHECK(ct.last_reason == FL_TEARDOWN_EXPLICIT);
	CHECK(lookup(t.ft, p.tuple[0], &dir) == nullptr);
	CHECK(lookup(t.ft, p.tuple[1], &dir) == nullptr);
	CHECK(fl_flowtable_count(t.ft) == 1); // still linked until GC
	fl_gc_result r = gc(t.ft);
	CHECK(r.freed == 1);
	CHECK(ct.releases == 1);
	CHECK(fl_flowtable_count(t.ft) == 0);
}

// Conntrack sees none of an offloaded flow's packets: every GC pass that finds
// the flow alive asks the platform to keep its entry; never once it is torn down.
TEST_CASE("flowtable: GC keeps live flows' conntrack entries alive, not torn-down ones",
	  "[flowtable][gc]")
{
	TestPlatform plat;
	FakeCt live_ct, gone_ct, dead_ct;
	Table t;
	FlowSpec live, gone, dead;
	live.ct = &live_ct;
	gone.ct = &gone_ct;
	gone.client_port = 2000;
	dead.ct = &dead_ct;
	dead.client_port = 3000;
	add_flow(t.ft, live);
	struct fl_flow *g = add_flow(t.ft, gone);
	add_flow(t.ft, dead);
	dead_ct.alive = false;
	fl_rcu_read_lock();
	fl_flow_teardown(t.ft, g, FL_TEARDOWN_EXPLICIT);
	fl_rcu_read_unlock();
	gc(t.ft);
	gc(t.ft);
	CHECK(live_ct.keepalives == 2);
	CHECK(gone_ct.keepalives == 0);
	CHECK(dead_ct.keepalives == 0);
	CHECK(fl_flowtable_count(t.ft) == 1);
}

TEST_CASE("flowtable: conntrack death hides the flow and GC hands it back", "[flowtable][gc]")
{
	TestPlatform plat;
	FakeCt ct;
	Table t;
	FlowSpec spec;
	spec.ct = &ct;
	add_flow(t.ft, spec);
	struct fl_flow_params p = make_params(spec);
	enum fl_dir dir;
	ct.alive = false;
	CHECK(lookup(t.ft, p.tuple[0], &dir) == nullptr);
	fl_gc_result r = gc(t.ft);
	CHECK(r.ct_dying == 1);
	CHECK(ct.last_reason == FL_TEARDOWN_CT_DYING);
	CHECK(ct.releases == 1);
}

TEST_CASE("flowtable: cleanup by device tears down only that device's flows", "[flowtable]")
{
	TestPlatform plat;
	FakeCt a, b, c;
	Table t;
	FlowSpec fa;
	fa.ct = &a;
	fa.client_if = 1;
	fa.server_if = 2;
	FlowSpec fb;
	fb.ct = &b;
	fb.client_if = 3;
	fb.server_if = 4;
	fb.client_port = 1;
	FlowSpec fc;
	fc.ct = &c;
	fc.client_if = 5;
	fc.server_if = 2; // leaves through 2
	fc.client_port = 2;
	add_flow(t.ft, fa);
	add_flow(t.ft, fb);
	add_flow(t.ft, fc);
	CHECK(fl_flowtable_cleanup_dev(t.ft, 2) == 2);
	CHECK(a.last_reason == FL_TEARDOWN_DEVICE);
	CHECK(c.last_reason == FL_TEARDOWN_DEVICE);
	CHECK(b.teardowns == 0);
	CHECK(gc(t.ft).freed == 2);
	CHECK(fl_flowtable_count(t.ft) == 1);
}

TEST_CASE("flowtable: iterate visits every flow once when no resize runs", "[flowtable]")
{
	TestPlatform plat;
	Table t;
	std::vector<FlowSpec> specs(50);
	for (size_t i = 0; i < specs.size(); i++) {
		specs[i].client_port = static_cast<uint16_t>(1000 + i);
		add_flow(t.ft, specs[i]);
	}
	plat.run_work(); // finish resizes
	int all = 0;
	unsigned long seen = fl_flowtable_iterate(
		t.ft, [](struct fl_flow *, void *arg) { return ++*static_cast<int *>(arg) > 0; }, &all);
	CHECK(seen == 50);
	CHECK(all == 50);
	int n = 0;
	CHECK(fl_flowtable_iterate(
		      t.ft, [](struct fl_flow *, void *arg) { return ++*static_cast<int *>(arg) < 10; },
		      &n) == 10);
}

TEST_CASE("flowtable: destroy with live flows hands every one back", "[flowtable]")
{
	TestPlatform plat;
	std::vector<std::unique_ptr<FakeCt>> cts;
	{
		Table t;
		for (int i = 0; i < 300; i++) {
			cts.push_back(std::make_unique<FakeCt>());
			FlowSpec s;
			s.client_port = static_cast<uint16_t>(i + 1);
			s.ct = cts.back().get();
			add_flow(t.ft, s);
		}
	}
	for (auto &ct : cts) {
		CHECK(ct->teardowns == 1);
		CHECK(ct->releases == 1);
	}
	CHECK(plat.leaked_blocks() == 0);
}

TEST_CASE("flowtable: allocation failure at every site leaves no leak", "[flowtable][alloc]")
{
	TestPlatform plat;
	// Table creation.
	unsigned sites = 0;
	for (uint64_t n = 1;; n++) {
		flplat::fail_nth_alloc(n);
		struct fl_flowtable_config cfg = {};
		cfg.ops = fake_ops();
		cfg.gc_interval_ms = 1000;
		struct fl_flowtable *ft = nullptr;
		int err = fl_flowtable_create(&cfg, &ft);
		flplat::fail_nth_alloc(0);
		if (err == 0) {
			fl_flowtable_destroy(ft);
			break;
		}
		sites++;
		CHECK(err == -12);
		CHECK(plat.leaked_blocks() == 0);
	}
	CHECK(sites >= 4); // bucket array, lock, table, work items

	// Flow creation.
	FakeCt ct;
	Table t;
	FlowSpec spec;
	spec.ct = &ct;
	struct fl_flow_params p = make_params(spec);
	struct fl_flow *flow = nullptr;
	flplat::fail_nth_alloc(1);
	CHECK(fl_flow_create(t.ft, &p, &flow) == -12);
	CHECK(ct.releases == 0); // nothing taken on failure
	REQUIRE(fl_flow_create(t.ft, &p, &flow) == 0);
	REQUIRE(fl_flowtable_add(t.ft, flow) == 0);
}

TEST_CASE("flowtable: GC frees large batches; a failed batch allocation defers, never loses",
	  "[flowtable][gc][alloc]")
{
	TestPlatform plat;
	std::vector<std::unique_ptr<FakeCt>> cts;
	{
		Table t;
		for (int i = 0; i < 200; i++) {
			cts.push_back(std::make_unique<FakeCt>());
			FlowSpec s;
			s.client_port = static_cast<uint16_t>(i + 1);
			s.ct = cts.back().get();
			add_flow(t.ft, s);
		}
		plat.run_work();
		plat.advance_s(31);
		flplat::fail_nth_alloc(1); // the first extra chunk of the free batch
		fl_gc_result r = gc(t.ft);
		CHECK(r.expired == 200);
		CHECK(r.freed == 62); // what fits the on-stack chunk
		CHECK(fl_flowtable_count(t.ft) == 138);
		r = gc(t.ft);
		CHECK(r.freed == 138);
		CHECK(fl_flowtable_count(t.ft) == 0);
	}
	for (auto &ct : cts) {
		CHECK(ct->teardowns == 1);
		CHECK(ct->releases == 1);
	}
	CHECK(plat.leaked_blocks() == 0);
}

TEST_CASE("flowtable: traffic keeps a flow alive even with a one-second timeout",
	  "[flowtable][gc]")
{
	TestPlatform plat;
	FakeCt ct;
	Table t;
	REQUIRE(fl_flowtable_set_timeout(t.ft, FL_IPPROTO_TCP, 1) == 0);
	FlowSpec spec;
	spec.ct = &ct;
	struct fl_flow *flow = add_flow(t.ft, spec);
	for (int i = 0; i < 10; i++) {
		plat.advance_ms(300);
		fl_rcu_read_lock();
		fl_flow_refresh(t.ft, flow);
		fl_rcu_read_unlock();
		CHECK(gc(t.ft).expired == 0);
	}
	plat.advance_ms(1100);
	CHECK(gc(t.ft).expired == 1);
}

// nf_flowtable_{tcp,udp}_timeout changed on a live table: flows get the new
// timeout at their next refresh, shorter as well as longer.
TEST_CASE("flowtable: a changed timeout reaches live flows at their next refresh", "[flowtable]")
{
	TestPlatform plat;
	Table t;
	FlowSpec spec;
	struct fl_flow *flow = add_flow(t.ft, spec);
	auto refresh = [&] {
		fl_rcu_read_lock();
		fl_flow_refresh(t.ft, flow);
		fl_s32 left = fl_flow_expires_in(t.ft, flow);
		fl_rcu_read_unlock();
		return left;
	};
	// fl_flow_expires_in() counts seconds.
	plat.advance_s(2);
	CHECK(refresh() > 25);
	REQUIRE(fl_flowtable_set_timeout(t.ft, FL_IPPROTO_TCP, 5) == 0);
	plat.advance_s(1);
	fl_s32 left = refresh();
	CHECK(left > 0);
	CHECK(left <= 5);
	plat.advance_s(6);
	CHECK(gc(t.ft).expired == 1);

	// A fresh flow under the short timeout, then a longer one.
	flow = add_flow(t.ft, spec);
	REQUIRE(fl_flowtable_set_timeout(t.ft, FL_IPPROTO_TCP, 120) == 0);
	plat.advance_s(1);
	CHECK(refresh() > 100);
}

// The hand-back rules: the state's timeout less the idle time offloading may
// have spent, never negative, never more than the entry has left.
TEST_CASE("flowtable: hand-back timeouts never raise what conntrack has", "[flowtable]")
{
	const fl_u32 day = 86400, offload = 30;
	// Established TCP (5 days) kept alive for a day: keeps its day, not 5 days.
	CHECK(fl_handback_timeout(day, 5 * day, offload) == static_cast<fl_s32>(day));
	// A slowpath FIN lowered the entry to 2 minutes: that stands.
	CHECK(fl_handback_timeout(120, 5 * day, offload) == 120);
	// FIN_WAIT (120 s) handed back with a day left: 120 - 30 s.
	CHECK(fl_handback_timeout(day, 120, offload) == 90);
	// UDP unreplied (30 s) after a 30 s idle flow: expires now.
	CHECK(fl_handback_timeout(day, 30, offload) == 0);
	CHECK(fl_handback_timeout(day, 10, offload) == 0);
	// Already expired: left alone.
	CHECK(fl_handback_timeout(-5, 120, offload) == -5);
}

// A torn-down flow no longer holds its keys: the connection's new flow is added
// at once (not a GC pass later); GC still hands the old one back and frees it.
TEST_CASE("flowtable: a torn-down flow's keys take a new flow at once", "[flowtable][gc]")
{
	TestPlatform plat;
	{
		FakeCt old_ct, new_ct, live_ct;
		Table t;
		FlowSpec spec;
		spec.ct = &old_ct;
		struct fl_flow *old_flow = add_flow(t.ft, spec);
		struct fl_flow_params p = make_params(spec);
		enum fl_dir dir;
		fl_rcu_read_lock();
		fl_flow_teardown(t.ft, old_flow, FL_TEARDOWN_ROUTE_STALE);
		fl_rcu_read_unlock();

		spec.ct = &new_ct;
		struct fl_flow *new_flow = add_flow(t.ft, spec);
		CHECK(lookup(t.ft, p.tuple[0], &dir) == new_flow);
		CHECK(lookup(t.ft, p.tuple[1], &dir) == new_flow);
		CHECK(fl_flowtable_count(t.ft) == 1);
		CHECK(old_ct.releases == 0); // freed by GC, after a grace period

		fl_gc_result r = gc(t.ft);
		CHECK(r.freed == 1);
		CHECK(old_ct.teardowns == 1);
		CHECK(old_ct.releases == 1);
		CHECK(new_ct.teardowns == 0);
		CHECK(lookup(t.ft, p.tuple[0], &dir) == new_flow);

		// A live flow keeps its keys.
		struct fl_flow_params again = make_params(spec);
		again.ct = &live_ct;
		struct fl_flow *dup = nullptr;
		REQUIRE(fl_flow_create(t.ft, &again, &dup) == 0);
		CHECK(fl_flowtable_add(t.ft, dup) == -EEXIST);
		fl_flow_free(t.ft, dup);
	}
	CHECK(plat.leaked_blocks() == 0);
}

// Evicted flows not yet collected leave with the table.
TEST_CASE("flowtable: destroy frees evicted flows too", "[flowtable]")
{
	TestPlatform plat;
	{
		FakeCt a, b;
		Table t;
		FlowSpec spec;
		spec.ct = &a;
		struct fl_flow *f = add_flow(t.ft, spec);
		fl_rcu_read_lock();
		fl_flow_teardown(t.ft, f, FL_TEARDOWN_EXPLICIT);
		fl_rcu_read_unlock();
		spec.ct = &b;
		add_flow(t.ft, spec);
		fl_flowtable_destroy(t.ft);
		t.ft = nullptr;
		CHECK(a.releases == 1);
		CHECK(b.releases == 1);
	}
	CHECK(plat.leaked_blocks() == 0);
}
