// SPDX-License-Identifier: GPL-2.0
//
// The burst API (include/flowlane/burst.h) against the one-packet calls: two
// tables built alike, one fed packet by packet, the other in bursts of every
// size (0, 1, groups, more than FL_BURST_MAX); verdicts, reasons, rewritten
// bytes, transmit information, per-flow counters, conntrack callbacks and
// statistics must agree exactly, including teardowns that take effect in the
// middle of a burst. Then lookup bursts against fl_flowtable_lookup, and
// bursts while another thread churns and resizes the table (for TSan).
#include <catch2/catch.hpp>

#include <atomic>
#include <cstring>
#include <memory>
#include <random>
#include <thread>
#include <vector>

#include "flowlane/burst.h"
#include "testing/fakes/fake_conntrack.h"
#include "testing/fakes/fake_platform.h"
#include "testing/fakes/flow_builder.h"

using namespace flfake;

namespace {

constexpr size_t kHeadroom = 32;

struct Table {
	struct fl_flowtable *ft = nullptr;
	explicit Table(unsigned flags = 0)
	{
		struct fl_flowtable_config cfg = {};
		cfg.flags = flags;
		cfg.ops = fake_ops();
		REQUIRE(fl_flowtable_create(&cfg, &ft) == 0);
	}
	~Table() { fl_flowtable_destroy(ft); }
};

struct fl_flow *add(struct fl_flowtable *ft, const FlowSpec &spec)
{
	struct fl_flow_params p = make_params(spec);
	struct fl_flow *flow = nullptr;
	REQUIRE(fl_flow_create(ft, &p, &flow) == 0);
	REQUIRE(fl_flowtable_add(ft, flow) == 0);
	return flow;
}

// One table with its own conntrack entries and routes, so that the callbacks
// each side receives can be compared.
struct Side {
	std::vector<std::unique_ptr<FakeCt>> cts;
	std::vector<std::unique_ptr<FakeRoute>> routes;
	std::vector<struct fl_flow *> flows;
	Table table{FL_FLOWTABLE_COUNTER};

	void add(FlowSpec spec)
	{
		cts.push_back(std::make_unique<FakeCt>());
		routes.push_back(std::make_unique<FakeRoute>());
		spec.ct = cts.back().get();
		if (spec.xmit_kind != FL_XMIT_DIRECT)
			spec.route[0] = spec.route[1] = routes.back().get();
		flows.push_back(::add(table.ft, spec));
	}
};

// A varied population: both families and protocols, every NAT combination,
// VLAN links, neighbour and direct transmit, a small MTU.
std::vector<FlowSpec> population(unsigned n)
{
	std::vector<FlowSpec> v;
	for (unsigned i = 0; i < n; i++) {
		FlowSpec s;
		if (i % 3 == 2) {
			s.ipver = 6;
			s.client = "2001:db8:1::" + std::to_string(i + 2);
			s.server = "2001:db8:2::2";
			s.snat_addr = "2001:db8:ff::1";
			s.dnat_addr = "2001:db8:ee::7";
		} else {
			s.client = "10.0.1." + std::to_string(i + 2);
		}
		s.l4proto = i % 4 == 1 ? FL_IPPROTO_UDP : FL_IPPROTO_TCP;
		s.client_port = static_cast<uint16_t>(40000 + i);
		s.snat_port = static_cast<uint16_t>(50000 + i);
		s.snat = i & 1;
		s.dnat = i & 2;
		if (i % 5 == 3)
			s.client_encap = {{static_cast<fl_u16>(10 + i), FL_ETH_P_8021Q}};
		if (i % 7 == 4)
			s.xmit_kind = FL_XMIT_NEIGH;
		if (i % 6 == 5)
			s.mtu = 600;
		v.push_back(s);
	}
	return v;
}

// What a test packet looks like and how it is handed in.
struct Shape {
	Bytes frame;
	int iif = 0;
	fl_u8 flags = FL_PKT_BUILD_L2;
	fl_u32 headlen_cut = 0; // headers not contiguous: headlen = this
	bool refuse_write = false;
};

bool refuse_write(struct fl_packet *, fl_u32) { return false; }

Shape random_shape(std::mt19937 &rng, const std::vector<FlowSpec> &specs)
{
	const FlowSpec &s = specs[rng() % specs.size()];
	enum fl_dir dir = rng() % 2 ? FL_DIR_REPLY : FL_DIR_ORIGINAL;
	FrameSpec f = flow_frame(s, dir);
	Shape shape;
	shape.iif = dir == FL_DIR_ORIGINAL ? s.client_if : s.server_if;
	shape.flags = rng() % 4 ? FL_PKT_BUILD_L2 : 0;
	f.payload = rng() % 200;
	switch (rng() % 20) {
	case 0:
		shape.iif = 9; // miss
		break;
	case 1:
		f.ttl = 1;
		break;
	case 2:
		f.fragment = true;
		break;
	case 3:
		if (f.proto == FL_IPPROTO_TCP)
			f.tcp_flags = static_cast<uint8_t>(0x10 | (rng() % 2 ? 0x01 : 0x04));
		break;
	case 4:
		f.truncate_to = 14 + 20 + 4;
		break;
	case 5:
		f.payload = 900; // over the small MTU of some flows
		break;
	case 6:
		shape.headlen_cut = 20;
		break;
	case 7:
		shape.refuse_write = true;
		break;
	default:
		break;
	}
	shape.frame = build_frame(f);
	return shape;
}

// A packet in its own buffer with headroom.
struct Slot {
	std::vector<uint8_t> buf;
	struct fl_packet pkt = {};

	explicit Slot(const Shape &s)
	{
		buf.assign(kHeadroom, 0);
		buf.insert(buf.end(), s.frame.begin(), s.frame.end());
		pkt.data = buf.data() + kHeadroom;
		pkt.len = static_cast<fl_u32>(s.frame.size());
		pkt.headlen = s.headlen_cut ? s.headlen_cut : pkt.len;
		pkt.headroom = kHeadroom;
		pkt.iifindex = s.iif;
		pkt.entry = FL_ENTRY_L2;
		pkt.flags = s.flags;
		if (s.refuse_write)
			pkt.prepare_write = refuse_write;
	}
};

void check_same_result(const Slot &a, const struct fl_result &ra, const Slot &b,
		       const struct fl_result &rb)
{
	REQUIRE(ra.verdict == rb.verdict);
	CHECK(ra.reason == rb.reason);
	CHECK(ra.need == rb.need);
	CHECK(a.buf == b.buf); // every rewritten (or untouched) byte
	if (ra.verdict != FL_VERDICT_XMIT)
		return;
	CHECK(ra.dir == rb.dir);
	CHECK(ra.xmit_kind == rb.xmit_kind);
	CHECK(ra.out_data - a.buf.data() == rb.out_data - b.buf.data());
	CHECK(ra.out_len == rb.out_len);
	CHECK(ra.l3_offset == rb.l3_offset);
	CHECK(ra.out_ethertype == rb.out_ethertype);
	CHECK(ra.l2_written == rb.l2_written);
	CHECK(std::memcmp(&ra.nexthop, &rb.nexthop, sizeof(ra.nexthop)) == 0);
	CHECK(std::memcmp(fl_flow_tuple(ra.flow, FL_DIR_ORIGINAL), fl_flow_tuple(rb.flow, FL_DIR_ORIGINAL),
			  sizeof(struct fl_tuple)) == 0);
	CHECK(ra.xmit->ifindex == rb.xmit->ifindex);
	CHECK(std::memcmp(ra.xmit->h_dest, rb.xmit->h_dest, 6) == 0);
	CHECK((ra.xmit->route == nullptr) == (rb.xmit->route == nullptr));
}

void check_same_state(Side &a, Side &b)
{
	struct fl_stats sa, sb;
	fl_flowtable_stats(a.table.ft, &sa);
	fl_flowtable_stats(b.table.ft, &sb);
	CHECK(std::memcmp(&sa, &sb, sizeof(sa)) == 0);
	CHECK(sa.hits > 0);
	for (size_t i = 0; i < a.flows.size(); i++) {
		CAPTURE(i);
		for (enum fl_dir d : {FL_DIR_ORIGINAL, FL_DIR_REPLY}) {
			fl_u64 pa, ba, pb, bb;
			fl_flow_counters(a.flows[i], d, &pa, &ba);
			fl_flow_counters(b.flows[i], d, &pb, &bb);
			CHECK(pa == pb);
			CHECK(ba == bb);
			CHECK(a.cts[i]->acct_packets[d].load() == b.cts[i]->acct_packets[d].load());
			CHECK(a.cts[i]->acct_bytes[d].load() == b.cts[i]->acct_bytes[d].load());
		}
		CHECK(fl_flow_flags(a.flows[i]) == fl_flow_flags(b.flows[i]));
		CHECK(fl_flow_expires_in(a.table.ft, a.flows[i]) == fl_flow_expires_in(b.table.ft, b.flows[i]));
		CHECK(a.cts[i]->teardowns.load() == b.cts[i]->teardowns.load());
		CHECK(a.cts[i]->last_reason.load() == b.cts[i]->last_reason.load());
	}
}

} // namespace

TEST_CASE("burst: same verdicts, rewrites, counters and statistics as one by one",
	  "[fastpath][burst]")
{
	TestPlatform plat;
	std::mt19937 rng(1234);
	std::vector<FlowSpec> specs = population(40);
	Side one, burst;
	for (const FlowSpec &s : specs) {
		one.add(s);
		burst.add(s);
	}
	const unsigned sizes[] = {0, 1, 2, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100};
	unsigned fin_or_rst = 0, need_pull = 0, stale = 0;
	for (unsigned round = 0; round < 60; round++) {
		unsigned n = sizes[round % (sizeof(sizes) / sizeof(sizes[0]))];
		CAPTURE(round, n);
		std::vector<Shape> shapes;
		for (unsigned i = 0; i < n; i++)
			shapes.push_back(random_shape(rng, specs));
		if (round == 20) {
			// A route goes stale between bursts: the first packet of that
			// flow in the burst tears it down, the later ones see it torn down.
			for (size_t i = 0; i < specs.size(); i++)
				if (specs[i].xmit_kind == FL_XMIT_NEIGH) {
					one.routes[i]->valid = false;
					burst.routes[i]->valid = false;
					stale++;
				}
		}
		std::vector<Slot> a, b;
		for (const Shape &s : shapes) {
			a.emplace_back(s);
			b.emplace_back(s);
		}
		std::vector<struct fl_result> ra(n), rb(n);
		std::vector<struct fl_packet> pkts(n);
		for (unsigned i = 0; i < n; i++)
			pkts[i] = b[i].pkt;

		fl_rcu_read_lock();
		unsigned sent = 0;
		for (unsigned i = 0; i < n; i++) {
			fl_fastpath(one.table.ft, &a[i].pkt, &ra[i]);
			sent += ra[i].verdict == FL_VERDICT_XMIT;
		}
		CHECK(fl_fastpath_burst(burst.table.ft, pkts.data(), n, rb.data()) == sent);
		for (unsigned i = 0; i < n; i++) {
			CAPTURE(i);
			check_same_result(a[i], ra[i], b[i], rb[i]);
			fin_or_rst += ra[i].reason == FL_SLOW_TCP_FIN_RST;
			need_pull += ra[i].reason == FL_SLOW_NEED_PULL;
		}
		fl_rcu_read_unlock();

		// Time passes: refreshes write new expiry times on both sides alike.
		if (round % 15 == 14)
			plat.advance_s(2);
	}
	check_same_state(one, burst);
	// The mix really exercised mid-burst teardowns and the pull protocol.
	CHECK(fin_or_rst > 0);
	CHECK(need_pull > 0);
	CHECK(stale > 0);
}

TEST_CASE("burst: a teardown inside a burst is seen by the packets after it", "[fastpath][burst]")
{
	TestPlatform plat;
	FakeCt ct;
	Table t;
	FlowSpec s;
	s.ct = &ct;
	add(t.ft, s);

	FrameSpec fin = flow_frame(s, FL_DIR_ORIGINAL);
	fin.tcp_flags = 0x11;
	std::vector<Shape> shapes(5);
	for (unsigned i = 0; i < 5; i++) {
		shapes[i].frame = build_frame(i == 2 ? fin : flow_frame(s, FL_DIR_ORIGINAL));
		shapes[i].iif = s.client_if;
	}
	std::vector<Slot> slots(shapes.begin(), shapes.end());
	std::vector<struct fl_packet> pkts;
	for (auto &sl : slots)
		pkts.push_back(sl.pkt);
	struct fl_result res[5];
	fl_rcu_read_lock();
	CHECK(fl_fastpath_burst(t.ft, pkts.data(), 5, res) == 2);
	fl_rcu_read_unlock();
	CHECK(res[0].verdict == FL_VERDICT_XMIT);
	CHECK(res[1].verdict == FL_VERDICT_XMIT);
	CHECK(res[2].reason == FL_SLOW_TCP_FIN_RST);
	CHECK(res[3].reason == FL_SLOW_TEARDOWN);
	CHECK(res[4].reason == FL_SLOW_TEARDOWN);
	CHECK(ct.teardowns == 1);
}

TEST_CASE("burst: lookups agree with fl_flowtable_lookup", "[flowtable][burst]")
{
	TestPlatform plat;
	std::vector<std::unique_ptr<FakeCt>> cts;
	Table t;
	std::vector<struct fl_tuple> keys;
	std::vector<struct fl_flow *> flows;
	for (unsigned i = 0; i < 3000; i++) {
		FlowSpec s;
		s.client = "10." + std::to_string(i / 250) + "." + std::to_string(i % 250) + ".9";
		s.client_port = static_cast<uint16_t>(1024 + i);
		cts.push_back(std::make_unique<FakeCt>());
		s.ct = cts.back().get();
		struct fl_flow_params p = make_params(s);
		flows.push_back(add(t.ft, s));
		plat.run_work(); // let the table grow
		keys.push_back(p.tuple[i % 2]);
		struct fl_tuple miss = p.tuple[0];
		miss.iifindex = 77;
		keys.push_back(miss);
	}
	// Unusable flows are misses for both: torn down, or conntrack dying.
	fl_rcu_read_lock();
	for (unsigned i = 0; i < 3000; i += 10)
		fl_flow_teardown(t.ft, flows[i], FL_TEARDOWN_EXPLICIT);
	fl_rcu_read_unlock();
	for (unsigned i = 5; i < 3000; i += 10)
		cts[i]->alive = false;
	std::shuffle(keys.begin(), keys.end(), std::mt19937(7));

	std::vector<struct fl_flow *> got(keys.size());
	std::vector<fl_u8> dirs(keys.size(), 0xff);
	unsigned hits = 0, expected_hits = 0;
	fl_rcu_read_lock();
	for (size_t base = 0; base < keys.size(); base += 37) {
		unsigned n = static_cast<unsigned>(std::min<size_t>(37, keys.size() - base));
		hits += fl_flowtable_lookup_burst(t.ft, &keys[base], n, &got[base], &dirs[base]);
	}
	for (size_t i = 0; i < keys.size(); i++) {
		CAPTURE(i);
		enum fl_dir dir = FL_DIR_ORIGINAL;
		struct fl_flow *want = fl_flowtable_lookup(t.ft, &keys[i], &dir);
		REQUIRE(got[i] == want);
		if (want) {
			CHECK(dirs[i] == dir);
			expected_hits++;
		} else {
			CHECK(dirs[i] == 0xff);
		}
	}
	// Without directions.
	struct fl_flow *some[8];
	CHECK(fl_flowtable_lookup_burst(t.ft, keys.data(), 8, some, nullptr) <= 8);
	CHECK(fl_flowtable_lookup_burst(t.ft, keys.data(), 0, some, nullptr) == 0);
	fl_rcu_read_unlock();
	CHECK(hits == expected_hits);
	CHECK(hits == 3000 - 300 - 300);
}

TEST_CASE("burst: readers keep forwarding stable flows while the table churns and resizes",
	  "[fastpath][burst][concurrency]")
{
	ThreadedPlatform plat;
	// Declared before the table: destroying it hands the flows back to them.
	std::vector<std::unique_ptr<FakeCt>> cts, churn_cts;
	{
		Table t;
		constexpr unsigned kStable = 500;
		std::vector<FlowSpec> stable;
		std::vector<Bytes> frames;
		for (unsigned i = 0; i < kStable; i++) {
			FlowSpec s;
			s.client = "10.1." + std::to_string(i / 200) + "." + std::to_string(i % 200 + 1);
			s.client_port = static_cast<uint16_t>(2000 + i);
			s.snat = i % 2;
			s.snat_port = static_cast<uint16_t>(30000 + i);
			cts.push_back(std::make_unique<FakeCt>());
			s.ct = cts.back().get();
			add(t.ft, s);
			frames.push_back(build_frame(flow_frame(s, i % 3 ? FL_DIR_ORIGINAL : FL_DIR_REPLY)));
			stable.push_back(s);
		}
		std::atomic<bool> stop{false};
		std::atomic<unsigned long> wrong{0}, sent{0};
		std::vector<std::thread> readers;
		for (unsigned r = 0; r < 2; r++) {
			readers.emplace_back([&, r] {
				std::vector<std::vector<uint8_t>> bufs(FL_BURST_MAX);
				struct fl_packet pkts[FL_BURST_MAX];
				struct fl_result res[FL_BURST_MAX];
				unsigned next = r * 97;
				while (!stop.load(std::memory_order_relaxed)) {
					for (unsigned i = 0; i < FL_BURST_MAX; i++, next++) {
						unsigned k = next % kStable;
						bufs[i].assign(kHeadroom, 0);
						bufs[i].insert(bufs[i].end(), frames[k].begin(), frames[k].end());
						pkts[i] = {};
						pkts[i].data = bufs[i].data() + kHeadroom;
						pkts[i].len = pkts[i].headlen = static_cast<fl_u32>(frames[k].size());
						pkts[i].headroom = kHeadroom;
						pkts[i].iifindex = k % 3 ? stable[k].client_if : stable[k].server_if;
						pkts[i].flags = FL_PKT_BUILD_L2;
					}
					fl_rcu_read_lock();
					unsigned n = fl_fastpath_burst(t.ft, pkts, FL_BURST_MAX, res);
					fl_rcu_read_unlock();
					wrong.fetch_add(FL_BURST_MAX - n);
					sent.fetch_add(n);
				}
			});
		}
		// Churn: waves of short-lived flows make the table grow, shrink, and GC free.
		for (unsigned wave = 0; wave < 3; wave++) {
			std::vector<struct fl_flow *> churn;
			for (unsigned i = 0; i < 3000; i++) {
				FlowSpec s;
				s.client = "172.16." + std::to_string(i / 200) + "." + std::to_string(i % 200 + 1);
				s.client_port = static_cast<uint16_t>(10000 + wave * 4000 + i);
				churn_cts.push_back(std::make_unique<FakeCt>());
				s.ct = churn_cts.back().get();
				churn.push_back(add(t.ft, s));
			}
			fl_rcu_read_lock();
			for (struct fl_flow *f : churn)
				fl_flow_teardown(t.ft, f, FL_TEARDOWN_EXPLICIT);
			fl_rcu_read_unlock();
			fl_gc_result g = {};
			fl_flowtable_gc(t.ft, &g);
			CHECK(g.freed == churn.size());
		}
		stop.store(true);
		for (auto &th : readers)
			th.join();
		CHECK(wrong.load() == 0);
		CHECK(sent.load() > 0);
		struct fl_stats st;
		fl_flowtable_stats(t.ft, &st);
		CHECK(st.resizes >= 2);
	}
	flplat::rcu_barrier();
	CHECK(plat.leaked_blocks() == 0);
}
