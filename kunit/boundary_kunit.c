// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the boundary as the kernel shim implements it — allocation and its
 * fault injection (every Nth, random, one-shot, per site), RCU callbacks, deferred and delayed work, the lock, time.
 */
#include <kunit/test.h>
#include <linux/delay.h>
#include <linux/kthread.h>

#include "flowlane/boundary.h"
#include "nf_flow_table/kernel/fault.h"
#include "nf_flow_table/kernel/flowlane_kernel.h"

static void boundary_alloc_free(struct kunit *test)
{
	s64 blocks = flowlane_live_blocks();
	u8 *small = fl_alloc(100, FL_ALLOC_ZERO);
	u8 *large = fl_alloc(1 << 20, FL_ALLOC_LARGE | FL_ALLOC_ZERO);
	int i;

	KUNIT_ASSERT_NOT_NULL(test, small);
	KUNIT_ASSERT_NOT_NULL(test, large);
	KUNIT_EXPECT_EQ(test, (unsigned long)small % 16, 0UL);
	for (i = 0; i < 100; i++)
		KUNIT_EXPECT_EQ(test, small[i], 0);
	KUNIT_EXPECT_EQ(test, large[(1 << 20) - 1], 0);
	KUNIT_EXPECT_EQ(test, flowlane_live_blocks(), blocks + 2);
	fl_free(small, 100);
	fl_free(large, 1 << 20);
	fl_free(NULL, 0);
	KUNIT_EXPECT_EQ(test, flowlane_live_blocks(), blocks);
}

static void boundary_fail_nth_alloc(struct kunit *test)
{
	u64 injected = flowlane_injected_failures();
	void *a, *b, *c;

	flowlane_fail_nth_alloc(2);
	a = fl_alloc(32, 0);
	b = fl_alloc(32, FL_ALLOC_ATOMIC);
	c = fl_alloc(32, 0);
	KUNIT_EXPECT_NOT_NULL(test, a);
	KUNIT_EXPECT_NULL(test, b);
	KUNIT_EXPECT_NOT_NULL(test, c);
	KUNIT_EXPECT_EQ(test, flowlane_injected_failures(), injected + 1);
	fl_free(a, 32);
	fl_free(c, 32);
	flowlane_fail_nth_alloc(0);
}

/* Every 3rd armed call of a site fails, other sites are untouched, reset disarms. */
static void boundary_fault_every(struct kunit *test)
{
	int i, failed = 0;

	flowlane_fault_reset();
	flowlane_fault_arm(FLOWLANE_FAULT_ROUTE, 3, 0);
	for (i = 1; i <= 30; i++) {
		bool fail = flowlane_fault(FLOWLANE_FAULT_ROUTE);

		KUNIT_EXPECT_EQ(test, fail, i % 3 == 0);
		failed += fail;
		KUNIT_EXPECT_FALSE(test, flowlane_fault(FLOWLANE_FAULT_XMIT));
	}
	KUNIT_EXPECT_EQ(test, failed, 10);
	KUNIT_EXPECT_EQ(test, flowlane_fault_injected(FLOWLANE_FAULT_ROUTE), 10ULL);
	KUNIT_EXPECT_EQ(test, flowlane_fault_injected(FLOWLANE_FAULT_XMIT), 0ULL);
	flowlane_fault_reset();
	KUNIT_EXPECT_FALSE(test, flowlane_fault(FLOWLANE_FAULT_ROUTE));
	KUNIT_EXPECT_EQ(test, flowlane_fault_injected(FLOWLANE_FAULT_ROUTE), 0ULL);
}

/* 1 in 4 at random: about a quarter of 4000 calls fail, and the count says how many. */
static void boundary_fault_random(struct kunit *test)
{
	int i, failed = 0;

	flowlane_fault_reset();
	flowlane_fault_arm(FLOWLANE_FAULT_HW, 0, 4);
	for (i = 0; i < 4000; i++)
		failed += flowlane_fault(FLOWLANE_FAULT_HW);
	KUNIT_EXPECT_GT(test, failed, 700);
	KUNIT_EXPECT_LT(test, failed, 1300);
	KUNIT_EXPECT_EQ(test, flowlane_fault_injected(FLOWLANE_FAULT_HW), (u64)failed);
	flowlane_fault_reset();
}

/* An armed allocation site makes fl_alloc return NULL without leaking a block. */
static void boundary_fault_alloc_every(struct kunit *test)
{
	s64 blocks = flowlane_live_blocks();
	void *p[8];
	int i, nulls = 0;

	flowlane_fault_reset();
	flowlane_fault_arm(FLOWLANE_FAULT_ALLOC, 2, 0);
	for (i = 0; i < 8; i++) {
		p[i] = fl_alloc(64, FL_ALLOC_ATOMIC);
		nulls += !p[i];
	}
	flowlane_fault_reset();
	KUNIT_EXPECT_EQ(test, nulls, 4);
	KUNIT_EXPECT_EQ(test, flowlane_live_blocks(), blocks + 4);
	for (i = 0; i < 8; i++)
		fl_free(p[i], 64);
	KUNIT_EXPECT_EQ(test, flowlane_live_blocks(), blocks);
}

struct rcu_probe {
	struct fl_rcu_head head;
	int ran;
};

static void rcu_probe_cb(struct fl_rcu_head *head)
{
	container_of(head, struct rcu_probe, head)->ran++;
}

static void boundary_rcu_call(struct kunit *test)
{
	struct rcu_probe probe = {};

	fl_rcu_read_lock();
	fl_rcu_read_lock(); /* nests */
	fl_rcu_read_unlock();
	fl_rcu_call(&probe.head, rcu_probe_cb);
	fl_rcu_read_unlock();
	fl_rcu_barrier();
	KUNIT_EXPECT_EQ(test, probe.ran, 1);
	fl_rcu_synchronize();
}

static void count_run(void *arg)
{
	atomic_inc((atomic_t *)arg);
}

static void boundary_work(struct kunit *test)
{
	atomic_t runs = ATOMIC_INIT(0);
	struct fl_work *w = fl_work_create(count_run, &runs);

	KUNIT_ASSERT_NOT_NULL(test, w);
	KUNIT_EXPECT_TRUE(test, fl_work_queue_delayed(w, HZ));
	KUNIT_EXPECT_FALSE(test, fl_work_queue(w)); /* already pending */
	fl_work_flush(w);                           /* runs it now */
	KUNIT_EXPECT_EQ(test, atomic_read(&runs), 1);
	KUNIT_EXPECT_TRUE(test, fl_work_queue_delayed(w, 10 * HZ));
	fl_work_cancel_sync(w);
	KUNIT_EXPECT_EQ(test, atomic_read(&runs), 1);
	KUNIT_EXPECT_TRUE(test, fl_work_queue_delayed(w, 1));
	msleep(100);
	KUNIT_EXPECT_EQ(test, atomic_read(&runs), 2);
	fl_work_destroy(w);
}

struct lock_race {
	struct fl_lock *lock;
	unsigned long counter;
	struct completion done;
};

static int lock_worker(void *arg)
{
	struct lock_race *r = arg;
	int i;

	for (i = 0; i < 100000; i++) {
		fl_lock_acquire(r->lock);
		r->counter++;
		fl_lock_release(r->lock);
	}
	complete(&r->done);
	/* Stay until stopped: kthread_stop() must find us alive. */
	while (!kthread_should_stop())
		schedule_timeout_interruptible(1);
	return 0;
}

static void boundary_lock(struct kunit *test)
{
	struct lock_race r = {};
	struct task_struct *t[2];
	int i;

	r.lock = fl_lock_create();
	KUNIT_ASSERT_NOT_NULL(test, r.lock);
	init_completion(&r.done);
	for (i = 0; i < 2; i++) {
		t[i] = kthread_run(lock_worker, &r, "flowlane-lock%d", i);
		KUNIT_ASSERT_FALSE(test, IS_ERR(t[i]));
	}
	for (i = 0; i < 2; i++)
		wait_for_completion(&r.done);
	for (i = 0; i < 2; i++)
		kthread_stop(t[i]);
	KUNIT_EXPECT_EQ(test, r.counter, 200000UL);
	fl_lock_destroy(r.lock);
}

static void boundary_time(struct kunit *test)
{
	u32 t0 = fl_time_ticks();

	KUNIT_EXPECT_EQ(test, fl_time_hz(), (u32)HZ);
	msleep(50);
	KUNIT_EXPECT_GT(test, (s32)(fl_time_ticks() - t0), 0);
	KUNIT_EXPECT_NE(test, fl_random_u32() | fl_random_u32(), 0U);
	KUNIT_EXPECT_LT(test, fl_this_cpu(), (unsigned int)nr_cpu_ids);
}

static struct kunit_case boundary_cases[] = {
	KUNIT_CASE(boundary_alloc_free),
	KUNIT_CASE(boundary_fail_nth_alloc),
	KUNIT_CASE(boundary_fault_every),
	KUNIT_CASE(boundary_fault_random),
	KUNIT_CASE(boundary_fault_alloc_every),
	KUNIT_CASE(boundary_rcu_call),
	KUNIT_CASE(boundary_work),
	KUNIT_CASE(boundary_lock),
	KUNIT_CASE(boundary_time),
	{}
};

static struct kunit_suite boundary_suite = {
	.name = "flowlane_boundary",
	.test_cases = boundary_cases,
};

kunit_test_suite(boundary_suite);
MODULE_LICENSE("GPL");
