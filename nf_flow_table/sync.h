// SPDX-License-Identifier: GPL-2.0
//
// Concurrency primitives for the core, made visible to the compiler:
// atomics over GCC builtins, RCU pointer publication, and a capability-annotated
// lock (clang -Wthread-safety checks every access to guarded state).
#ifndef FLOWLANE_CORE_SYNC_H
#define FLOWLANE_CORE_SYNC_H

#include "nf_flow_table/base.h"

#if defined(__clang__)
#define FL_TSA(x) __attribute__((x))
#else
#define FL_TSA(x)
#endif
#define FL_CAPABILITY(x) FL_TSA(capability(x))
#define FL_GUARDED_BY(x) FL_TSA(guarded_by(x))
#define FL_PT_GUARDED_BY(x) FL_TSA(pt_guarded_by(x))
#define FL_REQUIRES(...) FL_TSA(requires_capability(__VA_ARGS__))
#define FL_EXCLUDES(...) FL_TSA(locks_excluded(__VA_ARGS__))
#define FL_ACQUIRE(...) FL_TSA(acquire_capability(__VA_ARGS__))
#define FL_RELEASE(...) FL_TSA(release_capability(__VA_ARGS__))
#define FL_SCOPED_CAPABILITY FL_TSA(scoped_lockable)
#define FL_NO_TSA FL_TSA(no_thread_safety_analysis)

namespace fl {

// A word-sized atomic over the compiler builtins (freestanding: no <atomic>).
template <typename T> class Atomic {
public:
	constexpr Atomic() : v_() {}
	constexpr explicit Atomic(T v) : v_(v) {}
	Atomic(const Atomic &) = delete;
	Atomic &operator=(const Atomic &) = delete;

	T load_relaxed() const { return __atomic_load_n(&v_, __ATOMIC_RELAXED); }
	T load_acquire() const { return __atomic_load_n(&v_, __ATOMIC_ACQUIRE); }
	void store_relaxed(T v) { __atomic_store_n(&v_, v, __ATOMIC_RELAXED); }
	void store_release(T v) { __atomic_store_n(&v_, v, __ATOMIC_RELEASE); }
	T fetch_add(T d) { return __atomic_fetch_add(&v_, d, __ATOMIC_RELAXED); }
	T fetch_sub(T d) { return __atomic_fetch_sub(&v_, d, __ATOMIC_RELAXED); }
	T fetch_or(T bits) { return __atomic_fetch_or(&v_, bits, __ATOMIC_ACQ_REL); }
	T fetch_and(T bits) { return __atomic_fetch_and(&v_, bits, __ATOMIC_ACQ_REL); }
	bool compare_exchange(T &expected, T desired)
	{
		return __atomic_compare_exchange_n(&v_, &expected, desired, false, __ATOMIC_ACQ_REL,
						   __ATOMIC_ACQUIRE);
	}

private:
	T v_;
};

// A set of flag bits updated atomically (the kernel's set_bit/test_bit family).
class AtomicFlags {
public:
	bool test(u32 bits) const { return (v_.load_acquire() & bits) != 0; }
	u32 get() const { return v_.load_acquire(); }
	// Returns true when any of @bits was already set.
	bool test_and_set(u32 bits) { return (v_.fetch_or(bits) & bits) != 0; }
	bool test_and_clear(u32 bits) { return (v_.fetch_and(~bits) & bits) != 0; }
	void set(u32 bits) { v_.fetch_or(bits); }
	void clear(u32 bits) { v_.fetch_and(~bits); }
	void init(u32 bits) { v_.store_relaxed(bits); }

private:
	Atomic<u32> v_;
};

// The platform lock, as a capability the compiler can reason about.
class FL_CAPABILITY("mutex") SpinLock {
public:
	explicit SpinLock(struct fl_lock *lock) : lock_(lock) {}
	SpinLock(const SpinLock &) = delete;
	SpinLock &operator=(const SpinLock &) = delete;

	void lock() FL_ACQUIRE() { fl_lock_acquire(lock_); }
	void unlock() FL_RELEASE() { fl_lock_release(lock_); }
	struct fl_lock *raw() const { return lock_; }

private:
	struct fl_lock *lock_;
};

class FL_SCOPED_CAPABILITY SpinGuard {
public:
	explicit SpinGuard(SpinLock &l) FL_ACQUIRE(l) : l_(l) { l_.lock(); }
	~SpinGuard() FL_RELEASE() { l_.unlock(); }
	SpinGuard(const SpinGuard &) = delete;
	SpinGuard &operator=(const SpinGuard &) = delete;

private:
	SpinLock &l_;
};

class RcuReadGuard {
public:
	RcuReadGuard() { fl_rcu_read_lock(); }
	~RcuReadGuard() { fl_rcu_read_unlock(); }
	RcuReadGuard(const RcuReadGuard &) = delete;
	RcuReadGuard &operator=(const RcuReadGuard &) = delete;
};

// Wrapping tick timestamps (the kernel's jiffies arithmetic) as a strong type.
class Tick {
public:
	constexpr Tick() : t_(0) {}
	constexpr explicit Tick(u32 t) : t_(t) {}
	static Tick now() { return Tick(fl_time_ticks()); }
	constexpr u32 raw() const { return t_; }
	constexpr Tick plus(u32 ticks) const { return Tick(t_ + ticks); }
	// Signed distance from @other to this, correct across wrap-around.
	constexpr s32 since(Tick other) const { return static_cast<s32>(t_ - other.t_); }
	constexpr bool after(Tick other) const { return since(other) > 0; }

private:
	u32 t_;
};

inline u32 seconds_to_ticks(u32 s) { return s * fl_time_hz(); }

// Counters spread over slots so that CPUs do not fight over one cache line.
template <unsigned Slots> class SpreadCounter {
public:
	void add(u64 n) { slot_[fl_this_cpu() % Slots].v.fetch_add(n); }
	u64 sum() const
	{
		u64 s = 0;
		for (unsigned i = 0; i < Slots; i++)
			s += slot_[i].v.load_relaxed();
		return s;
	}

private:
	struct alignas(64) Slot {
		Atomic<u64> v;
	};
	Slot slot_[Slots];
};

} // namespace fl

#endif // FLOWLANE_CORE_SYNC_H
