// SPDX-License-Identifier: GPL-2.0
//
// A resizable, intrusive hash table with lock-free RCU readers, in the spirit of
// the kernel's rhashtable.
//
// Concurrency rules (see Documentation/design.rst):
//  - Readers (lookup, for_each) hold the RCU read lock and take no lock. They
//    never miss an entry that is present for the whole lookup and never touch
//    freed memory, while inserts, removes, growth and shrinking run concurrently.
//  - Writers (insert, remove, the rehash worker) serialise on one spinlock.
//  - Entries (HashEntry<Key>, embedded in the user's object) are never re-linked
//    while a reader may stand on them, except by the rehash step, which moves the
//    LAST entry of an old chain to the head of a new chain: a reader standing on
//    it runs into the new chain, reaches a foreign end marker and restarts.
//  - Every chain ends in a "nulls" marker made from the address of its bucket
//    slot (low bit set), so a reader knows whether it finished the chain it began.
//  - A resize publishes the new table as old->future first; lookups search the
//    old table, then each future table. Inserts go to the newest table. Entries
//    migrate bucket by bucket; then the new table becomes current and the old one
//    is freed after a grace period.
//  - Inserting never allocates. Resizing allocates in deferred work; if that
//    fails the table keeps working with longer chains and retries later.
//  - Objects are freed by the user after a grace period once removed.
#ifndef FLOWLANE_CORE_RHASHTABLE_H
#define FLOWLANE_CORE_RHASHTABLE_H

#include "nf_flow_table/base.h"
#include "nf_flow_table/sync.h"

namespace fl {

// The link an object embeds once per key it is reachable by. The table owns
// @next; @key must not change while linked; @hot is the owner's: four bytes of
// state that sit in the same cache line as the key, so a lookup that reads them
// touches no other line of the object.
template <typename Key> struct HashEntry {
	Atomic<uptr> next; // next entry, or the chain's nulls marker (low bit set)
	Key key;
	Atomic<u32> hot;
};

struct RhashParams {
	u32 min_buckets = 16;
	u32 max_buckets = 1u << 26;
};

struct RhashStats {
	u64 resizes = 0;
	u64 resize_failed = 0;
};

// Traits: static u32 hash(const Key&, u64 seed); static bool equal(const Key&, const Key&).
template <typename Key, typename Traits> class Rhashtable {
public:
	using Entry = HashEntry<Key>;

	// Allocates the first bucket array, the writer lock and the resize work.
	static Result<Rhashtable *> try_create(const RhashParams &params);
	// Asserts the table is empty; cancels resizing; frees the bucket arrays, also
	// those waiting for a grace period. context: sleep. No reader may still hold
	// a pointer into the table.
	static void destroy(Rhashtable *ht);

	u32 hash_of(const Key &key) const { return Traits::hash(key, seed_); }

	// Under RCU.
	Entry *lookup(const Key &key) const { return lookup_hashed(key, hash_of(key)); }
	Entry *lookup_hashed(const Key &key, u32 hash) const;

	// Link entries that are not yet in the table. If any key is already present
	// (or two of @entries share a key) nothing is linked and Error::Exists
	// returned. The entries are linked in array order and become visible to
	// readers one by one. Never allocates. At most kMaxBatch entries.
	static constexpr unsigned kMaxBatch = 4;
	Status insert_all(Entry *const *entries, unsigned n) FL_EXCLUDES(lock_);

	// Unlink entries that are in the table (each exactly once). Readers may still
	// see them until a grace period has passed.
	void remove_all(Entry *const *entries, unsigned n) FL_EXCLUDES(lock_);

	// Under RCU: call fn(Entry*) for every entry; fn returns false to stop. An entry
	// present during the whole walk is visited at least once (twice if it migrates
	// during a resize). Returns false if stopped.
	template <typename Fn> bool for_each(Fn &&fn) const;

	// Under RCU: hints for a batch of lookups (fastpath bursts): bring @hash's
	// bucket, then the first entry of its chain, into the cache. They decide
	// nothing, so a concurrent resize only makes them less useful.
	void prefetch_bucket(u32 hash) const { __builtin_prefetch(&tbl_.load_acquire()->bucket(hash)); }
	void prefetch_first(u32 hash) const
	{
		uptr p = tbl_.load_acquire()->bucket(hash).load_acquire();
		if (!is_marker(p))
			__builtin_prefetch(entry_of(p));
	}

	u32 count() const { return nelems_.load_relaxed(); }
	u32 buckets() const { return tbl_.load_acquire()->size; }
	RhashStats stats() const
	{
		return RhashStats{resizes_.load_relaxed(), resize_failed_.load_relaxed()};
	}

	// Run the resize worker now, synchronously (tests). context: sleep.
	void resize_now() { run_resize(); }
	// Wait until scheduled resize work has finished. context: sleep.
	void flush_resize() { fl_work_flush(work_); }

	friend class RhashtableChecker;

private:
	struct BucketTable {
		u32 size;
		u32 mask;
		Atomic<BucketTable *> future;
		struct fl_rcu_head rcu;
		Atomic<uptr> *slots() { return reinterpret_cast<Atomic<uptr> *>(this + 1); }
		const Atomic<uptr> *slots() const
		{
			return reinterpret_cast<const Atomic<uptr> *>(this + 1);
		}
		Atomic<uptr> &bucket(u32 hash) { return slots()[hash & mask]; }
		const Atomic<uptr> &bucket(u32 hash) const { return slots()[hash & mask]; }
	};

	Rhashtable(const RhashParams &p, BucketTable *tbl, struct fl_lock *lock, u64 seed,
		   struct fl_work *work)
		: params_(p), seed_(seed), tbl_(tbl), lock_(lock), work_(work)
	{
	}

	static uptr marker_of(const Atomic<uptr> &slot)
	{
		return reinterpret_cast<uptr>(&slot) | 1;
	}
	static bool is_marker(uptr p) { return p & 1; }
	static Entry *entry_of(uptr p) { return reinterpret_cast<Entry *>(p); }
	static size_t table_bytes(u32 size) { return sizeof(BucketTable) + size * sizeof(Atomic<uptr>); }
	static BucketTable *alloc_table(u32 size, unsigned flags);
	static void free_table(BucketTable *t) { fl_free(t, table_bytes(t->size)); }
	static void free_table_rcu(struct fl_rcu_head *head);
	static void resize_work(void *arg) { static_cast<Rhashtable *>(arg)->run_resize(); }

	BucketTable *newest_table() const FL_REQUIRES(lock_);
	bool contains_locked(const Key &key, u32 hash) const FL_REQUIRES(lock_);
	bool unlink_from(BucketTable *t, Entry *e, u32 hash) FL_REQUIRES(lock_);
	void link_into(BucketTable *t, Entry *e, u32 hash) FL_REQUIRES(lock_);
	bool migrate_last(BucketTable *old, BucketTable *next, u32 index) FL_REQUIRES(lock_);
	u32 wanted_size(u32 nelems, u32 size) const;
	void maybe_schedule_resize(u32 nelems) FL_REQUIRES(lock_);
	void run_resize() FL_EXCLUDES(lock_);
	bool resize_once() FL_EXCLUDES(lock_);

	const RhashParams params_;
	const u64 seed_;
	Atomic<BucketTable *> tbl_;
	Atomic<u32> nelems_;
	Atomic<u64> resizes_;
	Atomic<u64> resize_failed_;
	mutable SpinLock lock_;
	bool rehashing_ FL_GUARDED_BY(lock_) = false;
	struct fl_work *const work_;
};

// ---------------------------------------------------------------- creation

template <typename K, typename T>
typename Rhashtable<K, T>::BucketTable *Rhashtable<K, T>::alloc_table(u32 size, unsigned flags)
{
	auto *t = static_cast<BucketTable *>(fl_alloc(table_bytes(size), flags | FL_ALLOC_LARGE));
	if (!t)
		return nullptr;
	t->size = size;
	t->mask = size - 1;
	t->future.store_relaxed(nullptr);
	for (u32 i = 0; i < size; i++)
		t->slots()[i].store_relaxed(marker_of(t->slots()[i]));
	return t;
}

template <typename K, typename T>
Result<Rhashtable<K, T> *> Rhashtable<K, T>::try_create(const RhashParams &params)
{
	RhashParams p = params;
	p.min_buckets = round_up_pow2(max<u32>(p.min_buckets, 4));
	if (p.max_buckets < p.min_buckets)
		return Error::Invalid;

	BucketTable *tbl = alloc_table(p.min_buckets, 0);
	if (!tbl)
		return Error::NoMemory;
	struct fl_lock *lock = fl_lock_create();
	if (!lock)
		goto free_table;
	{
		void *mem = fl_alloc(sizeof(Rhashtable), 0);
		if (!mem)
			goto destroy_lock;
		struct fl_work *work = fl_work_create(&Rhashtable::resize_work, mem);
		if (!work) {
			fl_free(mem, sizeof(Rhashtable));
			goto destroy_lock;
		}
		u64 seed = static_cast<u64>(fl_random_u32()) << 32 | fl_random_u32();
		return new (mem, placement) Rhashtable(p, tbl, lock, seed, work);
	}

destroy_lock:
	fl_lock_destroy(lock);
free_table:
	free_table(tbl);
	return Error::NoMemory;
}

template <typename K, typename T> void Rhashtable<K, T>::destroy(Rhashtable *ht)
{
	if (!ht)
		return;
	// Stop the worker first: it is the only other user of the bucket arrays.
	fl_work_destroy(ht->work_);
	FL_ASSERT(ht->count() == 0);
	BucketTable *t = ht->tbl_.load_relaxed();
	while (t) {
		BucketTable *next = t->future.load_relaxed();
		free_table(t);
		t = next;
	}
	struct fl_lock *lock = ht->lock_.raw();
	ht->~Rhashtable();
	fl_free(ht, sizeof(Rhashtable));
	fl_lock_destroy(lock);
	// Old arrays of past resizes are freed by RCU callbacks: let them run.
	fl_rcu_barrier();
}

template <typename K, typename T> void Rhashtable<K, T>::free_table_rcu(struct fl_rcu_head *head)
{
	BucketTable *t = FL_CONTAINER_OF(head, BucketTable, rcu);
	free_table(t);
}

// ---------------------------------------------------------------- readers

template <typename K, typename T>
typename Rhashtable<K, T>::Entry *Rhashtable<K, T>::lookup_hashed(const K &key, u32 hash) const
{
	for (const BucketTable *t = tbl_.load_acquire(); t; t = t->future.load_acquire()) {
		const Atomic<uptr> &slot = t->bucket(hash);
		uptr p;
		do {
			for (p = slot.load_acquire(); !is_marker(p); p = entry_of(p)->next.load_acquire()) {
				Entry *e = entry_of(p);
				if (T::equal(e->key, key))
					return e;
			}
			// A foreign marker: a rehash moved us into another chain mid-walk.
		} while (p != marker_of(slot));
	}
	return nullptr;
}

template <typename K, typename T>
template <typename Fn>
bool Rhashtable<K, T>::for_each(Fn &&fn) const
{
	for (const BucketTable *t = tbl_.load_acquire(); t; t = t->future.load_acquire()) {
		for (u32 i = 0; i < t->size; i++) {
			uptr p = t->slots()[i].load_acquire();
			for (; !is_marker(p); p = entry_of(p)->next.load_acquire())
				if (!fn(entry_of(p)))
					return false;
		}
	}
	return true;
}

// ---------------------------------------------------------------- writers

template <typename K, typename T>
typename Rhashtable<K, T>::BucketTable *Rhashtable<K, T>::newest_table() const
{
	BucketTable *t = tbl_.load_relaxed();
	while (BucketTable *f = t->future.load_relaxed())
		t = f;
	return t;
}

template <typename K, typename T>
bool Rhashtable<K, T>::contains_locked(const K &key, u32 hash) const
{
	return lookup_hashed(key, hash) != nullptr;
}

template <typename K, typename T> void Rhashtable<K, T>::link_into(BucketTable *t, Entry *e, u32 hash)
{
	Atomic<uptr> &slot = t->bucket(hash);
	e->next.store_relaxed(slot.load_relaxed());
	// Publish: a reader that sees the entry sees its key and next pointer.
	slot.store_release(reinterpret_cast<uptr>(e));
}

template <typename K, typename T>
bool Rhashtable<K, T>::unlink_from(BucketTable *t, Entry *e, u32 hash)
{
	Atomic<uptr> *link = &t->bucket(hash);
	for (uptr p = link->load_relaxed(); !is_marker(p); p = link->load_relaxed()) {
		Entry *cur = entry_of(p);
		if (cur == e) {
			// e->next stays intact: readers standing on e carry on down the chain.
			link->store_release(e->next.load_relaxed());
			return true;
		}
		link = &cur->next;
	}
	return false;
}

template <typename K, typename T>
Status Rhashtable<K, T>::insert_all(Entry *const *entries, unsigned n)
{
	if (n > kMaxBatch)
		return Error::Invalid;
	u32 hash[kMaxBatch];
	for (unsigned i = 0; i < n; i++)
		hash[i] = hash_of(entries[i]->key);
	for (unsigned i = 0; i < n; i++)
		for (unsigned j = i + 1; j < n; j++)
			if (hash[i] == hash[j] && T::equal(entries[i]->key, entries[j]->key))
				return Error::Exists;

	SpinGuard guard(lock_);
	for (unsigned i = 0; i < n; i++)
		if (contains_locked(entries[i]->key, hash[i]))
			return Error::Exists;
	BucketTable *t = newest_table();
	for (unsigned i = 0; i < n; i++)
		link_into(t, entries[i], hash[i]);
	u32 nelems = nelems_.fetch_add(n) + n;
	maybe_schedule_resize(nelems);
	return {};
}

template <typename K, typename T> void Rhashtable<K, T>::remove_all(Entry *const *entries, unsigned n)
{
	SpinGuard guard(lock_);
	for (unsigned i = 0; i < n; i++) {
		u32 hash = hash_of(entries[i]->key);
		bool found = false;
		for (BucketTable *t = tbl_.load_relaxed(); t && !found; t = t->future.load_relaxed())
			found = unlink_from(t, entries[i], hash);
		FL_ASSERT(found);
		if (found)
			nelems_.fetch_sub(1);
	}
	maybe_schedule_resize(nelems_.load_relaxed());
}

// ---------------------------------------------------------------- resizing

template <typename K, typename T> u32 Rhashtable<K, T>::wanted_size(u32 nelems, u32 size) const
{
	// Grow at 75% load, shrink below 30%; shrinking aims at ~66% load.
	if (nelems > size / 4 * 3 && size < params_.max_buckets)
		return size * 2;
	if (nelems < size * 3 / 10 && size > params_.min_buckets)
		return max(params_.min_buckets, round_up_pow2(nelems * 3 / 2));
	return size;
}

template <typename K, typename T> void Rhashtable<K, T>::maybe_schedule_resize(u32 nelems)
{
	if (rehashing_)
		return;
	BucketTable *t = tbl_.load_relaxed();
	if (wanted_size(nelems, t->size) != t->size)
		fl_work_queue(work_);
}

// Move the last entry of @old's chain @index to the head of its @next chain.
// Returns false when the old chain is empty.
template <typename K, typename T>
bool Rhashtable<K, T>::migrate_last(BucketTable *old, BucketTable *next, u32 index)
{
	Atomic<uptr> *link = &old->slots()[index];
	uptr p = link->load_relaxed();
	if (is_marker(p))
		return false;
	Entry *e = entry_of(p);
	while (!is_marker(e->next.load_relaxed())) {
		link = &e->next;
		e = entry_of(e->next.load_relaxed());
	}
	// Link into the new chain first, then cut from the old one: at every instant
	// a reader finds the entry in the old chain or, after it, in the new table.
	link_into(next, e, hash_of(e->key));
	link->store_release(marker_of(old->slots()[index]));
	return true;
}

template <typename K, typename T> bool Rhashtable<K, T>::resize_once()
{
	BucketTable *old = tbl_.load_acquire();
	u32 size = wanted_size(nelems_.load_relaxed(), old->size);
	if (size == old->size)
		return false;
	BucketTable *next = alloc_table(size, 0);
	if (!next) {
		resize_failed_.fetch_add(1);
		return false;
	}
	{
		SpinGuard guard(lock_);
		rehashing_ = true;
		old->future.store_release(next);
	}
	for (u32 i = 0; i < old->size; i++) {
		// One bucket per lock hold keeps writers' waits short.
		SpinGuard guard(lock_);
		while (migrate_last(old, next, i)) {
		}
	}
	{
		SpinGuard guard(lock_);
		tbl_.store_release(next);
		rehashing_ = false;
	}
	// Readers may still walk @old (its chains are empty, its future is @next).
	fl_rcu_call(&old->rcu, &Rhashtable::free_table_rcu);
	resizes_.fetch_add(1);
	return true;
}

template <typename K, typename T> void Rhashtable<K, T>::run_resize()
{
	// Repeat until the size fits the load: a burst of inserts may need several doublings.
	for (unsigned round = 0; round < 32 && resize_once(); round++) {
	}
}

} // namespace fl

#endif // FLOWLANE_CORE_RHASHTABLE_H
