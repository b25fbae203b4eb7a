// SPDX-License-Identifier: GPL-2.0
/*
 * The boundary (include/flowlane/boundary.h) implemented with kernel
 * primitives: kmalloc/kvmalloc, jiffies, RCU, bottom-half spinlocks,
 * workqueues, get_random_u32 and printk. Translation only: no flowtable logic.
 */
#include <linux/atomic.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/printk.h>
#include <linux/random.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>

#include "flowlane/boundary.h"
#include "nf_flow_table/kernel/fault.h"
#include "nf_flow_table/kernel/flowlane_kernel.h"

/* ------------------------------------------------------------------ memory */

static atomic64_t fl_live_blocks = ATOMIC64_INIT(0);
static atomic64_t fl_live_bytes = ATOMIC64_INIT(0);

s64 flowlane_live_blocks(void)
{
	return atomic64_read(&fl_live_blocks);
}

s64 flowlane_live_bytes(void)
{
	return atomic64_read(&fl_live_bytes);
}

void *fl_alloc(fl_size_t size, unsigned int flags)
{
	gfp_t gfp = (flags & FL_ALLOC_ATOMIC) ? GFP_ATOMIC : GFP_KERNEL;
	void *p;

	if (flowlane_fault(FLOWLANE_FAULT_ALLOC))
		return NULL;
	if (flags & FL_ALLOC_ZERO)
		gfp |= __GFP_ZERO;
	/* The boundary promises 16-byte alignment: kmalloc gives it from 16 up. */
	if (size < 16)
		size = 16;
	if ((flags & FL_ALLOC_LARGE) && !(flags & FL_ALLOC_ATOMIC))
		p = kvmalloc(size, gfp);
	else
		p = kmalloc(size, gfp | __GFP_NOWARN);
	if (p) {
		atomic64_inc(&fl_live_blocks);
		atomic64_add(size, &fl_live_bytes);
	}
	return p;
}

void fl_free(void *ptr, fl_size_t size)
{
	if (!ptr)
		return;
	atomic64_dec(&fl_live_blocks);
	atomic64_sub(max_t(fl_size_t, size, 16), &fl_live_bytes);
	kvfree(ptr);
}

/* -------------------------------------------------------------------- time */

fl_u32 fl_time_ticks(void)
{
	return (fl_u32)jiffies;
}

fl_u32 fl_time_hz(void)
{
	return HZ;
}

/* --------------------------------------------------------------------- RCU */

void fl_rcu_read_lock(void)
{
	rcu_read_lock();
}

void fl_rcu_read_unlock(void)
{
	rcu_read_unlock();
}

/* The kernel's rcu_head fills the first two words; the callback waits in the third. */
static void fl_rcu_trampoline(struct rcu_head *head)
{
	struct fl_rcu_head *fh = (struct fl_rcu_head *)head;
	void (*fn)(struct fl_rcu_head *) = fh->opaque[2];

	fn(fh);
}

void fl_rcu_call(struct fl_rcu_head *head, void (*fn)(struct fl_rcu_head *head))
{
	BUILD_BUG_ON(sizeof(struct rcu_head) > 2 * sizeof(void *));
	head->opaque[2] = fn;
	call_rcu((struct rcu_head *)head, fl_rcu_trampoline);
}

void fl_rcu_synchronize(void)
{
	synchronize_rcu();
}

void fl_rcu_barrier(void)
{
	rcu_barrier();
}

/* ------------------------------------------------------------------- locks */

struct fl_lock {
	spinlock_t lock;
};

struct fl_lock *fl_lock_create(void)
{
	struct fl_lock *l = fl_alloc(sizeof(*l), 0);

	if (l)
		spin_lock_init(&l->lock);
	return l;
}

void fl_lock_destroy(struct fl_lock *lock)
{
	fl_free(lock, sizeof(*lock));
}

void fl_lock_acquire(struct fl_lock *lock)
{
	spin_lock_bh(&lock->lock);
}

void fl_lock_release(struct fl_lock *lock)
{
	spin_unlock_bh(&lock->lock);
}

/* -------------------------------------------------------------------- work */

struct fl_work {
	struct delayed_work dwork;
	fl_work_fn fn;
	void *arg;
};

static void fl_work_run(struct work_struct *work)
{
	struct fl_work *w = container_of(to_delayed_work(work), struct fl_work, dwork);

	w->fn(w->arg);
}

struct fl_work *fl_work_create(fl_work_fn fn, void *arg)
{
	struct fl_work *w = fl_alloc(sizeof(*w), FL_ALLOC_ZERO);

	if (!w)
		return NULL;
	INIT_DELAYED_WORK(&w->dwork, fl_work_run);
	w->fn = fn;
	w->arg = arg;
	return w;
}

bool fl_work_queue(struct fl_work *work)
{
	return queue_delayed_work(system_power_efficient_wq, &work->dwork, 0);
}

bool fl_work_queue_delayed(struct fl_work *work, fl_u32 delay_ticks)
{
	return queue_delayed_work(system_power_efficient_wq, &work->dwork, delay_ticks);
}

void fl_work_cancel_sync(struct fl_work *work)
{
	cancel_delayed_work_sync(&work->dwork);
}

void fl_work_flush(struct fl_work *work)
{
	flush_delayed_work(&work->dwork);
}

void fl_work_destroy(struct fl_work *work)
{
	if (!work)
		return;
	cancel_delayed_work_sync(&work->dwork);
	fl_free(work, sizeof(*work));
}

/* ---------------------------------------------------------------- platform */

fl_u32 fl_random_u32(void)
{
	return get_random_u32();
}

unsigned int fl_this_cpu(void)
{
	return raw_smp_processor_id();
}

/* --------------------------------------------------------------------- log */

void fl_log(int level, const char *fmt, ...)
{
	struct va_format vaf;
	va_list args;

	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	switch (level) {
	case FL_LOG_ERR:
		pr_err_ratelimited("flowlane: %pV\n", &vaf);
		break;
	case FL_LOG_WARN:
		pr_warn_ratelimited("flowlane: %pV\n", &vaf);
		break;
	case FL_LOG_INFO:
		pr_info("flowlane: %pV\n", &vaf);
		break;
	default:
		pr_debug("flowlane: %pV\n", &vaf);
		break;
	}
	va_end(args);
}

void fl_assert_failed(const char *expr, const char *file, int line)
{
	WARN_ONCE(1, "flowlane: assertion failed: %s (%s:%d)\n", expr, file, line);
}
