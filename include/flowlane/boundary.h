/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The boundary: the flowlane core's only view of the platform.
 *
 * The core (nf_flow_table/, offload/) is freestanding C++: it includes no libc,
 * libstdc++ or kernel header. Everything it needs from the world is declared
 * here and implemented twice:
 *
 *   - nf_flow_table/kernel/flowlane_shim.c  the Linux kernel (kvmalloc, jiffies,
 *                                           RCU, spinlocks, workqueues, printk)
 *   - platform/user/                        userspace (liburcu, pthreads, malloc),
 *                                           with the test controls of
 *                                           platform/user/platform.h: manual
 *                                           clock, synchronous work, failing
 *                                           allocations
 *
 * Contract notation used below:
 *   context:  "any"    callable from any context, including softirq / packet path
 *             "sleep"  may sleep; never call from atomic context or under a spinlock
 *   failure:  what is returned when the call cannot do its job
 *   owner:    who allocates and who frees
 */
#ifndef FLOWLANE_BOUNDARY_H
#define FLOWLANE_BOUNDARY_H

#include "flowlane/types.h"

FL_EXTERN_C_BEGIN

/* ------------------------------------------------------------------ memory */

enum fl_alloc_flags {
	FL_ALLOC_ATOMIC = 0x1, /* caller cannot sleep (packet path, under a lock) */
	FL_ALLOC_ZERO = 0x2,   /* return zeroed memory */
	FL_ALLOC_LARGE = 0x4,  /* may be large (bucket arrays): virtually contiguous is fine */
};

/*
 * Allocate @size bytes aligned to at least 16 bytes.
 * context: any with FL_ALLOC_ATOMIC, else sleep.  failure: NULL (never aborts).
 * owner: the caller, who must release with fl_free(ptr, size) using the same size.
 */
void *fl_alloc(fl_size_t size, unsigned int flags) FL_NOEXCEPT;

/* Release memory from fl_alloc. @ptr may be NULL. context: any. */
void fl_free(void *ptr, fl_size_t size) FL_NOEXCEPT;

/* -------------------------------------------------------------------- time */

/*
 * Monotonic tick counter (kernel: jiffies). Wraps; compare with signed differences.
 * context: any.  failure: none.
 */
fl_u32 fl_time_ticks(void) FL_NOEXCEPT;

/* Ticks per second (kernel: HZ). Constant for the life of the process. */
fl_u32 fl_time_hz(void) FL_NOEXCEPT;

/* --------------------------------------------------------------------- RCU */

/*
 * Read-side critical section. Nestable; never sleeps; cheap.
 * Userspace: the calling thread is registered with liburcu on first use.
 */
void fl_rcu_read_lock(void) FL_NOEXCEPT;
void fl_rcu_read_unlock(void) FL_NOEXCEPT;

/*
 * Embedded in objects whose release waits for a grace period. Owned by the
 * object. Large enough for the platform's own RCU head (two pointers) plus the
 * callback, so platforms call it through a trampoline of the right type.
 */
struct fl_rcu_head {
	void *opaque[3];
};

/*
 * Run @fn(@head) after all read-side sections that might see the object have
 * ended. context: any.  failure: none (the head is embedded, nothing allocates).
 * @fn runs in a context that may not sleep.
 */
void fl_rcu_call(struct fl_rcu_head *head, void (*fn)(struct fl_rcu_head *head)) FL_NOEXCEPT;

/* Wait for a grace period. context: sleep. */
void fl_rcu_synchronize(void) FL_NOEXCEPT;

/* Wait until every callback queued with fl_rcu_call so far has run. context: sleep. */
void fl_rcu_barrier(void) FL_NOEXCEPT;

/* ------------------------------------------------------------------- locks */

/*
 * A spinning lock usable from the packet path (kernel: spin_lock_bh).
 * Never sleep while holding it. Not recursive.
 */
struct fl_lock;

/* context: sleep.  failure: NULL.  owner: caller, fl_lock_destroy. */
struct fl_lock *fl_lock_create(void) FL_NOEXCEPT;
void fl_lock_destroy(struct fl_lock *lock) FL_NOEXCEPT;
void fl_lock_acquire(struct fl_lock *lock) FL_NOEXCEPT;
void fl_lock_release(struct fl_lock *lock) FL_NOEXCEPT;

/* ------------------------------------------------------------------ work */

/*
 * Deferred work: @fn(@arg) runs later in a context that MAY sleep (kernel: a
 * workqueue). A work item is never run concurrently with itself; queueing an
 * item that is already pending does nothing (and reports false).
 */
struct fl_work;
typedef void (*fl_work_fn)(void *arg);

/* context: sleep.  failure: NULL.  owner: caller, fl_work_destroy. */
struct fl_work *fl_work_create(fl_work_fn fn, void *arg) FL_NOEXCEPT;

/* Queue to run as soon as possible. context: any. Returns false if already pending. */
bool fl_work_queue(struct fl_work *work) FL_NOEXCEPT;

/* Queue to run after @delay_ticks (0: as soon as possible). context: any. */
bool fl_work_queue_delayed(struct fl_work *work, fl_u32 delay_ticks) FL_NOEXCEPT;

/*
 * Cancel a pending run and wait for a running one to finish. The item may be
 * queued again afterwards. context: sleep; never from the item itself.
 */
void fl_work_cancel_sync(struct fl_work *work) FL_NOEXCEPT;

/* Wait until a pending or running instance has finished. context: sleep. */
void fl_work_flush(struct fl_work *work) FL_NOEXCEPT;

/* Cancel, wait, and free. context: sleep. @work may be NULL. */
void fl_work_destroy(struct fl_work *work) FL_NOEXCEPT;

/* --------------------------------------------------------------- platform */

/* A random 32-bit value for hash seeds. context: any. */
fl_u32 fl_random_u32(void) FL_NOEXCEPT;

/*
 * A small number identifying the current CPU (or thread), used only to spread
 * statistics counters; any value is correct, a stable one is faster. context: any.
 */
unsigned int fl_this_cpu(void) FL_NOEXCEPT;

/* ------------------------------------------------------------------- log */

enum fl_log_level {
	FL_LOG_ERR = 3,
	FL_LOG_WARN = 4,
	FL_LOG_INFO = 6,
	FL_LOG_DEBUG = 7,
};

/*
 * printf-style message. The core uses only %s %d %u %ld %lu %lld %llu %x %lx %p.
 * context: any (may be rate limited by the platform).
 */
void fl_log(int level, const char *fmt, ...) FL_NOEXCEPT __attribute__((format(printf, 2, 3)));

/*
 * A broken internal invariant. Kernel: WARN once and carry on; userspace: abort.
 * Returns only where the platform chooses to survive. context: any.
 */
void fl_assert_failed(const char *expr, const char *file, int line) FL_NOEXCEPT;

FL_EXTERN_C_END

#endif /* FLOWLANE_BOUNDARY_H */
