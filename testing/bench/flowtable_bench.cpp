// SPDX-License-Identifier: GPL-2.0
//
// flowlane's flowtable against std::unordered_map, absl::flat_hash_map and
// liburcu's cds_lfht, all keyed by struct fl_tuple with the same hash function
// and all mapping a key to a flow pointer (both directions of every flow are
// keys, as a flowtable needs). One binary, one run: ratios compare like with
// like. testing/bench/report.py turns the JSON output into a table.
#include <benchmark/benchmark.h>

#include <absl/container/flat_hash_map.h>
#include <arpa/inet.h>
#include <malloc.h>
#include <urcu/rculfhash.h>
#include <urcu/urcu-memb.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <cstring>
#include <memory>
#include <random>
#include <unordered_map>
#include <vector>

#include "flowlane/burst.h"
#include "flowlane/flowtable.h"
#include "testing/fakes/flow_builder.h"
#include "sim/net/frames.h"
#include "platform/user/platform.h"
#include "nf_flow_table/flow_table.h"
#include "nf_flow_table/tuple.h"

namespace {

constexpr uint64_t kSeed = 0x5eed5eed12345678ull;
constexpr int kBatch = 64; // lookups per RCU read-side section, as a NAPI poll would

struct TupleHash {
	size_t operator()(const fl_tuple &t) const { return fl::tuple_hash(t, kSeed); }
};
struct TupleEq {
	bool operator()(const fl_tuple &a, const fl_tuple &b) const { return fl::tuple_key_equal(a, b); }
};

int64_t heap_in_use()
{
	struct mallinfo2 mi = mallinfo2();
	return static_cast<int64_t>(mi.uordblks + mi.hblkhd); // heap + mmapped chunks
}

// ------------------------------------------------------------------ workload

const struct fl_flowtable_ops kOps = {};

fl_flow_params random_params(std::mt19937_64 &rng, uint32_t i)
{
	fl_flow_params p;
	std::memset(&p, 0, sizeof(p));
	fl_tuple &o = p.tuple[FL_DIR_ORIGINAL];
	fl_tuple &r = p.tuple[FL_DIR_REPLY];
	o.l3proto = r.l3proto = FL_L3_IPV4;
	o.l4proto = r.l4proto = FL_IPPROTO_TCP;
	uint32_t client = htonl(0x0a000000u | (i & 0xffffff));
	uint32_t server = htonl(0xc0a80000u | static_cast<uint32_t>(rng() & 0xffff));
	uint16_t cport = htons(static_cast<uint16_t>(1024 + (rng() % 60000)));
	uint16_t sport = htons(static_cast<uint16_t>(rng() % 1024 + 1));
	std::memcpy(o.src.b, &client, 4);
	std::memcpy(o.dst.b, &server, 4);
	o.src_port = cport;
	o.dst_port = sport;
	o.iifindex = 1;
	std::memcpy(r.src.b, &server, 4);
	std::memcpy(r.dst.b, &client, 4);
	r.src_port = sport;
	r.dst_port = cport;
	r.iifindex = 2;
	for (int d = 0; d < 2; d++) {
		p.xmit[d].kind = FL_XMIT_DIRECT;
		p.xmit[d].mtu = 1500;
		p.xmit[d].ifindex = d ? 1 : 2;
	}
	return p;
}

// The same flows for every implementation of one size; keys and misses shuffled.
struct Workload {
	std::vector<fl_flow_params> params;
	std::vector<fl_tuple> hit_keys;  // both directions, shuffled
	std::vector<fl_tuple> miss_keys; // never inserted

	explicit Workload(size_t flows)
	{
		std::mt19937_64 rng(flows);
		params.reserve(flows);
		for (uint32_t i = 0; i < flows; i++)
			params.push_back(random_params(rng, i));
		for (const auto &p : params)
			for (int d = 0; d < 2; d++)
				hit_keys.push_back(p.tuple[d]);
		std::shuffle(hit_keys.begin(), hit_keys.end(), rng);
		miss_keys = hit_keys;
		for (auto &k : miss_keys)
			k.iifindex = 99;
	}
};

Workload &workload(size_t flows)
{
	static std::unordered_map<size_t, std::unique_ptr<Workload>> cache;
	auto &w = cache[flows];
	if (!w)
		w = std::make_unique<Workload>(flows);
	return *w;
}

// A stand-in for a flow object in the baseline tables. A flowtable lookup
// yields a flow that is still usable, so every baseline does the same work as
// flowlane's lookup: find the key, then check the flow's teardown flag.
struct Obj {
	uint32_t flags;
	fl_tuple tuple[2];
};

inline void *usable(Obj *o) { return o && !(o->flags & FL_FLOW_TEARDOWN) ? o : nullptr; }

// ------------------------------------------------------------------ flowlane

struct Flowlane {
	fl_flowtable *ft = nullptr;
	int64_t bytes = 0;
	explicit Flowlane(const Workload &w)
	{
		flplat::set_work_mode(flplat::WorkMode::Manual);
		int64_t before = heap_in_use();
		fl_flowtable_config cfg = {};
		cfg.ops = &kOps;
		if (fl_flowtable_create(&cfg, &ft))
			std::abort();
		for (const auto &p : w.params) {
			fl_flow *f;
			if (fl_flow_create(ft, &p, &f) || fl_flowtable_add(ft, f))
				std::abort();
			flplat::run_pending(); // resize as the table grows
		}
		flplat::run_pending();
		bytes = heap_in_use() - before;
	}
	~Flowlane()
	{
		fl_flowtable_destroy(ft);
		flplat::set_work_mode(flplat::WorkMode::Threaded);
	}
	void *find(const fl_tuple &k) const
	{
		fl_dir d;
		return fl_flowtable_lookup(ft, &k, &d);
	}
	static void lock() { fl_rcu_read_lock(); }
	static void unlock() { fl_rcu_read_unlock(); }
};

// ------------------------------------------------------------------ std / absl

template <typename Map> struct MapTable {
	Map map;
	std::vector<Obj> objs;
	int64_t bytes = 0;
	explicit MapTable(const Workload &w)
	{
		int64_t before = heap_in_use();
		objs.resize(w.params.size());
		map.reserve(w.params.size() * 2);
		for (size_t i = 0; i < w.params.size(); i++)
			for (int d = 0; d < 2; d++)
				map.emplace(w.params[i].tuple[d], &objs[i]);
		bytes = heap_in_use() - before - static_cast<int64_t>(objs.capacity() * sizeof(Obj));
	}
	void *find(const fl_tuple &k) const
	{
		auto it = map.find(k);
		return it == map.end() ? nullptr : usable(it->second);
	}
	static void lock() {}
	static void unlock() {}
};

using StdTable = MapTable<std::unordered_map<fl_tuple, Obj *, TupleHash, TupleEq>>;
using AbslTable = MapTable<absl::flat_hash_map<fl_tuple, Obj *, TupleHash, TupleEq>>;

// ------------------------------------------------------------------ cds_lfht

struct LfhtNode {
	cds_lfht_node node;
	fl_tuple key;
	Obj *obj;
};

int lfht_match(cds_lfht_node *node, const void *key)
{
	auto *n = caa_container_of(node, LfhtNode, node);
	return fl::tuple_key_equal(n->key, *static_cast<const fl_tuple *>(key));
}

struct Lfht {
	cds_lfht *ht;
	std::vector<LfhtNode> nodes;
	std::vector<Obj> objs;
	int64_t bytes = 0;
	explicit Lfht(const Workload &w)
	{
		// The same liburcu flavour as flowlane's platform, which registers the
		// thread on its first read-side section.
		fl_rcu_read_lock();
		fl_rcu_read_unlock();
		int64_t before = heap_in_use();
		ht = cds_lfht_new_flavor(1024, 1024, 0, CDS_LFHT_AUTO_RESIZE | CDS_LFHT_ACCOUNTING,
					 &urcu_memb_flavor, nullptr);
		objs.resize(w.params.size());
		nodes.resize(w.params.size() * 2);
		size_t n = 0;
		urcu_memb_read_lock();
		for (size_t i = 0; i < w.params.size(); i++) {
			for (int d = 0; d < 2; d++, n++) {
				LfhtNode &node = nodes[n];
				cds_lfht_node_init(&node.node);
				node.key = w.params[i].tuple[d];
				node.obj = &objs[i];
				cds_lfht_add(ht, TupleHash()(node.key), &node.node);
			}
		}
		urcu_memb_read_unlock();
		bytes = heap_in_use() - before - static_cast<int64_t>(objs.capacity() * sizeof(Obj));
	}
	~Lfht()
	{
		urcu_memb_read_lock();
		for (auto &n : nodes)
			cds_lfht_del(ht, &n.node);
		urcu_memb_read_unlock();
		urcu_memb_synchronize_rcu();
		cds_lfht_destroy(ht, nullptr);
	}
	void *find(const fl_tuple &k) const
	{
		cds_lfht_iter iter;
		cds_lfht_lookup(ht, TupleHash()(k), lfht_match, &k, &iter);
		cds_lfht_node *node = cds_lfht_iter_get_node(&iter);
		return node ? usable(caa_container_of(node, LfhtNode, node)->obj) : nullptr;
	}
	static void lock() { urcu_memb_read_lock(); }
	static void unlock() { urcu_memb_read_unlock(); }
};

// ------------------------------------------------------------------ lookups

// All four tables hold the same flows; each round times one batch of lookups on
// each table in turn, so that the machine's noise (a shared 2-core VM) hits
// every implementation alike and the ratios compare paired measurements.
template <typename Table> double timed_batch(const Table &t, const std::vector<fl_tuple> &keys,
					     size_t &i, size_t &found)
{
	constexpr int kRoundBatches = 16;
	auto start = std::chrono::steady_clock::now();
	for (int r = 0; r < kRoundBatches; r++) {
		Table::lock();
		for (int b = 0; b < kBatch; b++) {
			found += t.find(keys[i]) != nullptr;
			if (++i == keys.size())
				i = 0;
		}
		Table::unlock();
	}
	auto ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start);
	return ns.count() / (kRoundBatches * kBatch);
}

void BM_Lookup(benchmark::State &state, bool hit)
{
	const size_t flows = static_cast<size_t>(state.range(0));
	Workload &w = workload(flows);
	Flowlane fl(w);
	Lfht lf(w);
	AbslTable ab(w);
	StdTable st(w);
	const auto &keys = hit ? w.hit_keys : w.miss_keys;
	size_t i[4] = {0, keys.size() / 4, keys.size() / 2, keys.size() * 3 / 4}, found = 0;
	double ns[4] = {0, 0, 0, 0};
	int64_t rounds = 0;
	for (auto _ : state) {
		ns[0] += timed_batch(fl, keys, i[0], found);
		ns[1] += timed_batch(lf, keys, i[1], found);
		ns[2] += timed_batch(ab, keys, i[2], found);
		ns[3] += timed_batch(st, keys, i[3], found);
		rounds++;
	}
	benchmark::DoNotOptimize(found);
	const char *names[4] = {"flowlane", "cds_lfht", "absl_flat_hash_map", "std_unordered_map"};
	const int64_t bytes[4] = {fl.bytes, lf.bytes, ab.bytes, st.bytes};
	for (int k = 0; k < 4; k++) {
		state.counters[std::string("ns_") + names[k]] = ns[k] / static_cast<double>(rounds);
		state.counters[std::string("bytes_") + names[k]] =
			static_cast<double>(bytes[k]) / static_cast<double>(flows);
	}
}
BENCHMARK_CAPTURE(BM_Lookup, hit, true)->Arg(1000)->Arg(100000)->Arg(1000000);
BENCHMARK_CAPTURE(BM_Lookup, miss, false)->Arg(1000)->Arg(100000)->Arg(1000000);

// ------------------------------------------------------------------ bursts

// The burst API against one-by-one lookups and absl's (unbatched) find at one
// million flows, paired as above: each round times one batch of each.
constexpr unsigned kBurst = 32;

double timed_lookup_burst(const Flowlane &t, const std::vector<fl_tuple> &keys, size_t &i,
			  size_t &found)
{
	constexpr int kRoundBatches = 16;
	fl_flow *flows[kBurst];
	auto start = std::chrono::steady_clock::now();
	for (int r = 0; r < kRoundBatches; r++) {
		fl_rcu_read_lock();
		for (unsigned b = 0; b < kBatch / kBurst; b++) {
			if (i + kBurst > keys.size())
				i = 0;
			found += fl_flowtable_lookup_burst(t.ft, &keys[i], kBurst, flows, nullptr);
			i += kBurst;
		}
		fl_rcu_read_unlock();
	}
	auto ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start);
	return ns.count() / (kRoundBatches * kBatch);
}

void BM_LookupBurst(benchmark::State &state, bool hit)
{
	const size_t flows = static_cast<size_t>(state.range(0));
	Workload &w = workload(flows);
	Flowlane fl(w);
	AbslTable ab(w);
	const auto &keys = hit ? w.hit_keys : w.miss_keys;
	size_t i[3] = {0, keys.size() / 3, keys.size() * 2 / 3}, found = 0;
	double ns[3] = {0, 0, 0};
	int64_t rounds = 0;
	for (auto _ : state) {
		ns[0] += timed_batch(fl, keys, i[0], found);
		ns[1] += timed_lookup_burst(fl, keys, i[1], found);
		ns[2] += timed_batch(ab, keys, i[2], found);
		rounds++;
	}
	benchmark::DoNotOptimize(found);
	const char *names[3] = {"one_by_one", "burst32", "absl_flat_hash_map"};
	for (int k = 0; k < 3; k++)
		state.counters[std::string("ns_") + names[k]] = ns[k] / static_cast<double>(rounds);
}
BENCHMARK_CAPTURE(BM_LookupBurst, hit, true)->Arg(1000000);
BENCHMARK_CAPTURE(BM_LookupBurst, miss, false)->Arg(1000000);

// Whole fastpath on 64-byte Ethernet/IPv4/TCP frames of random flows: the
// frames are rewritten from a template before every burst (the same work for
// both ways of calling), then passed one by one or as one burst.
struct FrameRing {
	static constexpr size_t kFrame = 64, kRoom = 64;
	std::vector<uint8_t> tmpl;
	std::vector<uint8_t> buf = std::vector<uint8_t>(kBurst * (kRoom + kFrame));
	fl_packet pkts[kBurst];

	FrameRing()
	{
		flfake::FrameSpec fs;
		fs.payload = kFrame - 54;
		tmpl = flfake::build_frame(fs);
	}
	// Fill the ring with frames for keys[i..i+kBurst).
	void fill(const std::vector<fl_tuple> &keys, size_t i)
	{
		for (unsigned k = 0; k < kBurst; k++) {
			const fl_tuple &t = keys[i + k];
			uint8_t *f = &buf[k * (kRoom + kFrame) + kRoom];
			std::memcpy(f, tmpl.data(), kFrame);
			std::memcpy(f + 14 + 12, t.src.b, 4);
			std::memcpy(f + 14 + 16, t.dst.b, 4);
			std::memcpy(f + 34, &t.src_port, 2);
			std::memcpy(f + 36, &t.dst_port, 2);
			fl_packet &p = pkts[k];
			p = {};
			p.data = f;
			p.len = p.headlen = kFrame;
			p.headroom = kRoom;
			p.iifindex = t.iifindex;
			p.flags = FL_PKT_BUILD_L2;
		}
	}
};

template <bool Burst>
double timed_fastpath(const Flowlane &t, FrameRing &ring, const std::vector<fl_tuple> &keys,
		      size_t &i, size_t &sent)
{
	constexpr int kRoundBatches = 16;
	fl_result res[kBurst];
	double ns = 0;
	for (int r = 0; r < kRoundBatches; r++) {
		if (i + kBurst > keys.size())
			i = 0;
		ring.fill(keys, i);
		i += kBurst;
		auto start = std::chrono::steady_clock::now();
		fl_rcu_read_lock();
		if (Burst) {
			sent += fl_fastpath_burst(t.ft, ring.pkts, kBurst, res);
		} else {
			for (unsigned k = 0; k < kBurst; k++) {
				fl_fastpath(t.ft, &ring.pkts[k], &res[k]);
				sent += res[k].verdict == FL_VERDICT_XMIT;
			}
		}
		fl_rcu_read_unlock();
		ns += std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start)
			      .count();
	}
	return ns / (kRoundBatches * kBurst);
}

void BM_FastpathBurst(benchmark::State &state, bool hit)
{
	const size_t flows = static_cast<size_t>(state.range(0));
	Workload &w = workload(flows);
	Flowlane fl(w);
	FrameRing ring;
	const auto &keys = hit ? w.hit_keys : w.miss_keys;
	size_t i[2] = {0, keys.size() / 2}, sent = 0;
	double ns[2] = {0, 0};
	int64_t rounds = 0;
	for (auto _ : state) {
		ns[0] += timed_fastpath<false>(fl, ring, keys, i[0], sent);
		ns[1] += timed_fastpath<true>(fl, ring, keys, i[1], sent);
		rounds++;
	}
	if (hit && sent != static_cast<size_t>(rounds) * 2 * 16 * kBurst)
		state.SkipWithError("fastpath missed");
	state.counters["ns_one_by_one"] = ns[0] / static_cast<double>(rounds);
	state.counters["ns_burst32"] = ns[1] / static_cast<double>(rounds);
}
BENCHMARK_CAPTURE(BM_FastpathBurst, hit, true)->Arg(1000000);
BENCHMARK_CAPTURE(BM_FastpathBurst, miss, false)->Arg(1000000);

// ------------------------------------------------------------------ insert + delete

// Steady state of 100k flows; add one more and take it out again.
void BM_InsertDelete_flowlane(benchmark::State &state)
{
	Workload &w = workload(100000);
	fl::FlowHash *hash = fl::FlowHash::try_create(fl::RhashParams{}).release_value();
	flplat::set_work_mode(flplat::WorkMode::Manual);
	std::vector<fl::HashEntry<fl_tuple>> entries(w.hit_keys.size());
	for (size_t i = 0; i < entries.size(); i++) {
		entries[i].key = w.hit_keys[i];
		fl::HashEntry<fl_tuple> *e = &entries[i];
		(void)hash->insert_all(&e, 1);
		flplat::run_pending();
	}
	fl::HashEntry<fl_tuple> extra[2];
	extra[0].key = w.miss_keys[0];
	extra[1].key = w.miss_keys[1];
	fl::HashEntry<fl_tuple> *pair[2] = {&extra[0], &extra[1]};
	for (auto _ : state) {
		// Both directions of a flow, as fl_flowtable_add / GC do.
		(void)hash->insert_all(pair, 2);
		hash->remove_all(pair, 2);
	}
	flplat::run_pending();
	std::vector<fl::HashEntry<fl_tuple> *> all;
	for (auto &e : entries)
		all.push_back(&e);
	hash->remove_all(all.data(), static_cast<unsigned>(all.size()));
	flplat::run_pending();
	fl::FlowHash::destroy(hash);
	flplat::set_work_mode(flplat::WorkMode::Threaded);
	state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_InsertDelete_flowlane);

template <typename Map> void BM_InsertDelete_map(benchmark::State &state)
{
	Workload &w = workload(100000);
	MapTable<Map> t(w);
	Obj extra;
	for (auto _ : state) {
		t.map.emplace(w.miss_keys[0], &extra);
		t.map.emplace(w.miss_keys[1], &extra);
		t.map.erase(w.miss_keys[0]);
		t.map.erase(w.miss_keys[1]);
	}
	state.SetItemsProcessed(state.iterations());
}
BENCHMARK_TEMPLATE(BM_InsertDelete_map, std::unordered_map<fl_tuple, Obj *, TupleHash, TupleEq>)
	->Name("BM_InsertDelete_std_unordered_map");
BENCHMARK_TEMPLATE(BM_InsertDelete_map, absl::flat_hash_map<fl_tuple, Obj *, TupleHash, TupleEq>)
	->Name("BM_InsertDelete_absl_flat_hash_map");

void BM_InsertDelete_cds_lfht(benchmark::State &state)
{
	Workload &w = workload(100000);
	Lfht t(w);
	// Fresh nodes each round: a deleted lfht node may not be reused before a
	// grace period; recycle a large ring and synchronise when it wraps.
	std::vector<LfhtNode> ring(1 << 16);
	size_t k = 0;
	for (auto _ : state) {
		LfhtNode *n[2] = {&ring[k], &ring[k + 1]};
		for (int d = 0; d < 2; d++) {
			cds_lfht_node_init(&n[d]->node);
			n[d]->key = w.miss_keys[static_cast<size_t>(d)];
		}
		urcu_memb_read_lock();
		for (int d = 0; d < 2; d++)
			cds_lfht_add_unique(t.ht, TupleHash()(n[d]->key), lfht_match, &n[d]->key, &n[d]->node);
		for (int d = 0; d < 2; d++)
			cds_lfht_del(t.ht, &n[d]->node);
		urcu_memb_read_unlock();
		k += 2;
		if (k == ring.size()) {
			state.PauseTiming();
			urcu_memb_synchronize_rcu();
			k = 0;
			state.ResumeTiming();
		}
	}
	urcu_memb_synchronize_rcu();
	state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_InsertDelete_cds_lfht);

// ------------------------------------------------------------------ fastpath

void BM_Fastpath(benchmark::State &state, bool nat)
{
	flplat::set_work_mode(flplat::WorkMode::Manual);
	fl_flowtable_config cfg = {};
	cfg.ops = &kOps;
	fl_flowtable *ft;
	if (fl_flowtable_create(&cfg, &ft))
		std::abort();
	flfake::FlowSpec spec;
	spec.snat = spec.dnat = nat;
	fl_flow_params p = flfake::make_params(spec);
	fl_flow *flow;
	if (fl_flow_create(ft, &p, &flow) || fl_flowtable_add(ft, flow))
		std::abort();
	flfake::FrameSpec fs;
	fs.saddr = spec.client;
	fs.daddr = nat ? spec.dnat_addr : spec.server;
	fs.sport = spec.client_port;
	fs.dport = nat ? spec.dnat_port : spec.server_port;
	fs.payload = 1400;
	flfake::Bytes frame = flfake::build_frame(fs);
	std::vector<uint8_t> buf(64 + frame.size());
	fl_result res;
	uint64_t xmit = 0;
	for (auto _ : state) {
		// Refresh the headers the fastpath rewrites (54 bytes), not the payload.
		std::memcpy(buf.data() + 64, frame.data(), 64);
		fl_packet pkt = {};
		pkt.data = buf.data() + 64;
		pkt.len = pkt.headlen = static_cast<fl_u32>(frame.size());
		pkt.headroom = 64;
		pkt.iifindex = spec.client_if;
		pkt.flags = FL_PKT_BUILD_L2;
		fl_rcu_read_lock();
		fl_fastpath(ft, &pkt, &res);
		fl_rcu_read_unlock();
		xmit += res.verdict == FL_VERDICT_XMIT;
	}
	if (xmit != static_cast<uint64_t>(state.iterations()))
		state.SkipWithError("fastpath missed");
	state.SetItemsProcessed(state.iterations());
	fl_flowtable_destroy(ft);
	flplat::set_work_mode(flplat::WorkMode::Threaded);
}
BENCHMARK_CAPTURE(BM_Fastpath, no_nat, false);
BENCHMARK_CAPTURE(BM_Fastpath, snat_dnat, true);

} // namespace

BENCHMARK_MAIN();
