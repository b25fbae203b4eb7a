// SPDX-License-Identifier: GPL-2.0
//
// RCU (liburcu, memb flavour) and locks (pthread mutexes) for the userspace
// boundary. Threads register with liburcu on their first read-side section and
// unregister when they exit.
//
// ThreadSanitizer cannot see liburcu's grace periods. Under TSan every read
// unlock releases a shared sync object and every grace-period wait acquires it,
// which is exactly the ordering RCU guarantees: all readers that could see an
// object finish before it is freed.
#include <urcu/urcu-memb.h>

#include <mutex>
#include <new>

#include "flowlane/boundary.h"
#include "platform/user/platform.h"

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define FL_TSAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define FL_TSAN 1
#endif

#ifdef FL_TSAN
#include <sanitizer/tsan_interface.h>
#endif

namespace {

#ifdef FL_TSAN
char g_grace_period_sync;
void reader_done() { __tsan_release(&g_grace_period_sync); }
void grace_period_passed() { __tsan_acquire(&g_grace_period_sync); }
// liburcu's callback queue hands the head to its worker thread unseen.
void handoff_send(void *head) { __tsan_release(head); }
void handoff_receive(void *head) { __tsan_acquire(head); }
#else
void reader_done() {}
void grace_period_passed() {}
void handoff_send(void *) {}
void handoff_receive(void *) {}
#endif

struct RcuThread {
	bool registered = false;
	~RcuThread()
	{
		if (registered)
			urcu_memb_unregister_thread();
	}
	void ensure()
	{
		if (!registered) {
			urcu_memb_register_thread();
			registered = true;
		}
	}
};

thread_local RcuThread t_rcu;

static_assert(sizeof(struct rcu_head) <= 2 * sizeof(void *),
	      "liburcu's rcu_head must fit the first two words of struct fl_rcu_head");

} // namespace

struct fl_lock {
	std::mutex mu;
};

extern "C" {

void fl_rcu_read_lock(void) noexcept
{
	t_rcu.ensure();
	urcu_memb_read_lock();
}

void fl_rcu_read_unlock(void) noexcept
{
	reader_done();
	urcu_memb_read_unlock();
}

// liburcu's rcu_head takes the first two words of struct fl_rcu_head; the
// user's callback waits in the third until the trampoline runs it.
namespace {
using UserFn = void (*)(struct fl_rcu_head *);

void call_trampoline(struct rcu_head *head)
{
	handoff_receive(head);
	grace_period_passed();
	auto *fh = reinterpret_cast<struct fl_rcu_head *>(head);
	auto fn = reinterpret_cast<UserFn>(fh->opaque[2]);
	fn(fh);
}
} // namespace

void fl_rcu_call(struct fl_rcu_head *head, void (*fn)(struct fl_rcu_head *head)) noexcept
{
	t_rcu.ensure();
	head->opaque[2] = reinterpret_cast<void *>(fn);
	handoff_send(head);
	urcu_memb_call_rcu(reinterpret_cast<struct rcu_head *>(head), call_trampoline);
}

void fl_rcu_synchronize(void) noexcept
{
	urcu_memb_synchronize_rcu();
	grace_period_passed();
}

void fl_rcu_barrier(void) noexcept
{
	urcu_memb_barrier();
	grace_period_passed();
}

struct fl_lock *fl_lock_create(void) noexcept
{
	void *mem = fl_alloc(sizeof(fl_lock), 0);
	return mem ? new (mem) fl_lock() : nullptr;
}

void fl_lock_destroy(struct fl_lock *lock) noexcept
{
	if (!lock)
		return;
	lock->~fl_lock();
	fl_free(lock, sizeof(fl_lock));
}

void fl_lock_acquire(struct fl_lock *lock) noexcept { lock->mu.lock(); }

void fl_lock_release(struct fl_lock *lock) noexcept { lock->mu.unlock(); }

} // extern "C"

void flplat::rcu_barrier() { fl_rcu_barrier(); }
