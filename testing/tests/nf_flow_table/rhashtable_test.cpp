// SPDX-License-Identifier: GPL-2.0
//
// The resizable RCU hash table: structure invariants, growth and shrinking,
// duplicate rejection, failure to grow, and a concurrency stress (readers during
// inserts, deletes and resizes) meant to run under ThreadSanitizer.
#include <catch2/catch.hpp>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "testing/fakes/fake_platform.h"
#include "nf_flow_table/rhashtable.h"

namespace fl {

struct IntKey {
	u64 v;
};

struct IntTraits {
	static u32 hash(const IntKey &k, u64 seed)
	{
		u64 h = (k.v ^ seed) * 0x9E3779B97F4A7C15ull;
		return static_cast<u32>(h >> 32);
	}
	static bool equal(const IntKey &a, const IntKey &b) { return a.v == b.v; }
};

using IntTable = Rhashtable<IntKey, IntTraits>;

// The friend checker: walks the structure under the writer lock.
class RhashtableChecker {
public:
	template <typename K, typename T> static void check(Rhashtable<K, T> &ht)
	{
		SpinGuard guard(ht.lock_);
		u32 total = 0;
		for (auto *t = ht.tbl_.load_relaxed(); t; t = t->future.load_relaxed()) {
			for (u32 i = 0; i < t->size; i++) {
				uptr p = t->slots()[i].load_relaxed();
				for (; !(p & 1); p = reinterpret_cast<HashEntry<K> *>(p)->next.load_relaxed()) {
					auto *e = reinterpret_cast<HashEntry<K> *>(p);
					REQUIRE((ht.hash_of(e->key) & t->mask) == i);
					total++;
				}
				REQUIRE(p == Rhashtable<K, T>::marker_of(t->slots()[i]));
			}
		}
		REQUIRE(total == ht.count());
	}

	template <typename K, typename T> static bool resizing(Rhashtable<K, T> &ht)
	{
		SpinGuard guard(ht.lock_);
		return ht.tbl_.load_relaxed()->future.load_relaxed() != nullptr;
	}
};

} // namespace fl

using namespace fl;

namespace {

struct Node {
	HashEntry<IntKey> e;
};

std::vector<std::unique_ptr<Node>> make_nodes(u64 n, u64 base = 0)
{
	std::vector<std::unique_ptr<Node>> v;
	for (u64 i = 0; i < n; i++) {
		v.push_back(std::make_unique<Node>());
		v.back()->e.key.v = base + i;
	}
	return v;
}

IntTable *make_table(u32 min_buckets = 16)
{
	RhashParams p;
	p.min_buckets = min_buckets;
	auto r = IntTable::try_create(p);
	REQUIRE(r.ok());
	return r.release_value();
}

bool insert(IntTable *ht, Node &n)
{
	HashEntry<IntKey> *e = &n.e;
	return ht->insert_all(&e, 1).ok();
}

void remove(IntTable *ht, Node &n)
{
	HashEntry<IntKey> *e = &n.e;
	ht->remove_all(&e, 1);
}

bool present(IntTable *ht, u64 v)
{
	RcuReadGuard rcu;
	return ht->lookup(IntKey{v}) != nullptr;
}

} // namespace

TEST_CASE("rhashtable: insert, lookup, remove", "[rhashtable]")
{
	flfake::TestPlatform plat;
	IntTable *ht = make_table();
	auto nodes = make_nodes(10);
	for (auto &n : nodes)
		REQUIRE(insert(ht, *n));
	CHECK(ht->count() == 10);
	for (u64 i = 0; i < 10; i++)
		CHECK(present(ht, i));
	CHECK_FALSE(present(ht, 10));
	RhashtableChecker::check(*ht);
	for (auto &n : nodes)
		remove(ht, *n);
	CHECK(ht->count() == 0);
	CHECK_FALSE(present(ht, 3));
	IntTable::destroy(ht);
	CHECK(plat.leaked_blocks() == 0);
}

TEST_CASE("rhashtable: duplicates are rejected, also within one batch", "[rhashtable]")
{
	flfake::TestPlatform plat;
	IntTable *ht = make_table();
	auto a = make_nodes(1, 7);
	auto b = make_nodes(1, 7);
	auto c = make_nodes(1, 8);
	REQUIRE(insert(ht, *a[0]));
	CHECK_FALSE(insert(ht, *b[0]));
	// A batch with a key already present links nothing.
	HashEntry<IntKey> *batch[2] = {&c[0]->e, &b[0]->e};
	Status st = ht->insert_all(batch, 2);
	CHECK_FALSE(st.ok());
	CHECK(st.error() == Error::Exists);
	CHECK_FALSE(present(ht, 8));
	// Two equal keys in one batch.
	auto d = make_nodes(1, 9);
	auto e = make_nodes(1, 9);
	HashEntry<IntKey> *pair[2] = {&d[0]->e, &e[0]->e};
	CHECK_FALSE(ht->insert_all(pair, 2).ok());
	CHECK(ht->count() == 1);
	remove(ht, *a[0]);
	IntTable::destroy(ht);
}

TEST_CASE("rhashtable: grows under load and shrinks when emptied", "[rhashtable]")
{
	flfake::TestPlatform plat;
	IntTable *ht = make_table(16);
	auto nodes = make_nodes(5000);
	for (auto &n : nodes) {
		REQUIRE(insert(ht, *n));
		plat.run_work(); // let scheduled resizes run as they would
	}
	CHECK(ht->buckets() >= 5000 * 4 / 3);
	CHECK(ht->stats().resizes > 0);
	RhashtableChecker::check(*ht);
	for (u64 i = 0; i < 5000; i++)
		REQUIRE(present(ht, i));

	for (auto &n : nodes)
		remove(ht, *n);
	plat.run_work();
	CHECK(ht->buckets() == 16);
	RhashtableChecker::check(*ht);
	IntTable::destroy(ht);
	CHECK(plat.leaked_blocks() == 0);
}

TEST_CASE("rhashtable: a failed resize leaves a working table", "[rhashtable]")
{
	flfake::TestPlatform plat;
	IntTable *ht = make_table(16);
	auto nodes = make_nodes(200);
	for (auto &n : nodes)
		REQUIRE(insert(ht, *n)); // inserting never allocates
	flplat::fail_nth_alloc(1);
	plat.run_work();
	CHECK(ht->stats().resize_failed == 1);
	CHECK(ht->buckets() == 16);
	for (u64 i = 0; i < 200; i++)
		REQUIRE(present(ht, i));
	RhashtableChecker::check(*ht);
	// Next trigger succeeds.
	auto more = make_nodes(1, 1000);
	REQUIRE(insert(ht, *more[0]));
	plat.run_work();
	CHECK(ht->buckets() >= 256);
	RhashtableChecker::check(*ht);
	for (auto &n : nodes)
		remove(ht, *n);
	remove(ht, *more[0]);
	IntTable::destroy(ht);
	CHECK(plat.leaked_blocks() == 0);
}

TEST_CASE("rhashtable: creation fails cleanly at every allocation", "[rhashtable]")
{
	flfake::TestPlatform plat;
	for (u64 n = 1;; n++) {
		flplat::fail_nth_alloc(n);
		auto r = IntTable::try_create(RhashParams{});
		flplat::fail_nth_alloc(0);
		if (r.ok()) {
			IntTable::destroy(r.release_value());
			CHECK(n > 1);
			break;
		}
		CHECK(r.error() == Error::NoMemory);
		CHECK(plat.leaked_blocks() == 0);
	}
}

TEST_CASE("rhashtable: entries migrate while lookups interleave (synchronous)", "[rhashtable]")
{
	flfake::TestPlatform plat;
	IntTable *ht = make_table(16);
	auto nodes = make_nodes(13);
	for (auto &n : nodes)
		REQUIRE(insert(ht, *n));
	// 13 > 75% of 16: a grow is scheduled but has not run; lookups find everything.
	CHECK(flplat::pending_work() >= 1);
	for (u64 i = 0; i < 13; i++)
		REQUIRE(present(ht, i));
	plat.run_work();
	CHECK(ht->buckets() == 32);
	CHECK_FALSE(RhashtableChecker::resizing(*ht));
	for (u64 i = 0; i < 13; i++)
		REQUIRE(present(ht, i));
	for (auto &n : nodes)
		remove(ht, *n);
	IntTable::destroy(ht);
}

TEST_CASE("rhashtable: readers never miss a stable entry during churn and resizes",
	  "[rhashtable][concurrency]")
{
	flfake::ThreadedPlatform plat;
	IntTable *ht = make_table(16);
	constexpr u64 kStable = 2000;
	constexpr u64 kChurn = 4000;
	auto stable = make_nodes(kStable, 0);
	for (auto &n : stable)
		REQUIRE(insert(ht, *n));

	std::atomic<bool> stop{false};
	std::atomic<u64> misses{0}, lookups{0};
	std::vector<std::thread> readers;
	for (int r = 0; r < 2; r++) {
		readers.emplace_back([&, r] {
			u64 i = static_cast<u64>(r) * 7;
			while (!stop.load(std::memory_order_relaxed)) {
				fl_rcu_read_lock();
				for (int k = 0; k < 64; k++, i++) {
					auto *e = ht->lookup(IntKey{i % kStable});
					if (!e || e->key.v != i % kStable)
						misses.fetch_add(1);
				}
				fl_rcu_read_unlock();
				lookups.fetch_add(64);
			}
		});
	}
	// Churn: waves of inserts and removals make the table grow and shrink.
	for (int wave = 0; wave < 3; wave++) {
		auto churn = make_nodes(kChurn, 1000000 + static_cast<u64>(wave) * kChurn);
		for (auto &n : churn)
			REQUIRE(insert(ht, *n));
		ht->flush_resize();
		for (auto &n : churn)
			remove(ht, *n);
		ht->flush_resize();
		// Removed nodes may still be seen by readers until a grace period passes.
		fl_rcu_synchronize();
	}
	stop.store(true);
	for (auto &t : readers)
		t.join();
	CHECK(misses.load() == 0);
	CHECK(lookups.load() > 0);
	CHECK(ht->stats().resizes >= 4);
	RhashtableChecker::check(*ht);
	for (auto &n : stable)
		remove(ht, *n);
	IntTable::destroy(ht);
	flplat::rcu_barrier();
	CHECK(plat.leaked_blocks() == 0);
}
