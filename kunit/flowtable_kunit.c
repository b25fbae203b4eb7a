// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the core's flowtable inside the kernel — both directions, duplicates,
 * teardown, GC on jiffies, the hash table under concurrent growth and
 * shrinking read by kthreads, destruction with live flows, and allocation
 * failure at every site.
 */
#include <kunit/test.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/slab.h>

#include "flowlane/flowtable.h"
#include "nf_flow_table/kernel/flowlane_kernel.h"

struct kt_ct {
	atomic_t alive_checks;
	atomic_t teardowns;
	atomic_t releases;
	int last_reason;
	bool dying;
};

static bool kt_alive(void *ct)
{
	struct kt_ct *c = ct;

	atomic_inc(&c->alive_checks);
	return !READ_ONCE(c->dying);
}

static void kt_teardown(void *ct, enum fl_teardown_reason why)
{
	struct kt_ct *c = ct;

	atomic_inc(&c->teardowns);
	WRITE_ONCE(c->last_reason, why);
}

static void kt_release(void *ct)
{
	atomic_inc(&((struct kt_ct *)ct)->releases);
}

static const struct fl_flowtable_ops kt_ops = {
	.ct_alive = kt_alive,
	.ct_teardown = kt_teardown,
	.ct_release = kt_release,
};

static struct fl_flowtable *kt_table(struct kunit *test)
{
	struct fl_flowtable_config cfg = { .ops = &kt_ops };
	struct fl_flowtable *ft;

	KUNIT_ASSERT_EQ(test, fl_flowtable_create(&cfg, &ft), 0);
	return ft;
}

static struct fl_flow *kt_add(struct kunit *test, struct fl_flowtable *ft,
			      struct fl_flow_params *p, u32 i, struct kt_ct *ct)
{
	struct fl_flow *flow;

	flowlane_test_params(p, i, ct);
	KUNIT_ASSERT_EQ(test, fl_flow_create(ft, p, &flow), 0);
	KUNIT_ASSERT_EQ(test, fl_flowtable_add(ft, flow), 0);
	return flow;
}

static struct fl_flow *kt_lookup(struct fl_flowtable *ft, const struct fl_tuple *t,
				 enum fl_dir *dir)
{
	struct fl_flow *flow;

	rcu_read_lock();
	flow = fl_flowtable_lookup(ft, t, dir);
	rcu_read_unlock();
	return flow;
}

static void flowtable_both_directions(struct kunit *test)
{
	struct fl_flowtable *ft = kt_table(test);
	struct fl_flow_params p, dup;
	struct kt_ct ct = {};
	struct fl_flow *flow, *again;
	enum fl_dir dir;

	flow = kt_add(test, ft, &p, 7, &ct);
	KUNIT_EXPECT_PTR_EQ(test, kt_lookup(ft, &p.tuple[0], &dir), flow);
	KUNIT_EXPECT_EQ(test, dir, FL_DIR_ORIGINAL);
	KUNIT_EXPECT_PTR_EQ(test, kt_lookup(ft, &p.tuple[1], &dir), flow);
	KUNIT_EXPECT_EQ(test, dir, FL_DIR_REPLY);
	flowlane_test_params(&dup, 7, &ct);
	KUNIT_ASSERT_EQ(test, fl_flow_create(ft, &dup, &again), 0);
	KUNIT_EXPECT_EQ(test, fl_flowtable_add(ft, again), -EEXIST);
	fl_flow_free(ft, again);
	fl_flowtable_destroy(ft);
	/* Destroy hands the live flow back; the duplicate was released after free. */
	KUNIT_EXPECT_EQ(test, atomic_read(&ct.teardowns), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&ct.releases), 2);
}

static void flowtable_teardown_and_gc(struct kunit *test)
{
	struct fl_flowtable *ft = kt_table(test);
	struct fl_flow_params p;
	struct fl_gc_result gc;
	struct kt_ct ct = {};
	struct fl_flow *flow;
	enum fl_dir dir;

	flow = kt_add(test, ft, &p, 1, &ct);
	rcu_read_lock();
	fl_flow_teardown(ft, flow, FL_TEARDOWN_TCP_FIN_RST);
	fl_flow_teardown(ft, flow, FL_TEARDOWN_EXPLICIT);
	rcu_read_unlock();
	KUNIT_EXPECT_EQ(test, atomic_read(&ct.teardowns), 1);
	KUNIT_EXPECT_EQ(test, ct.last_reason, FL_TEARDOWN_TCP_FIN_RST);
	KUNIT_EXPECT_NULL(test, kt_lookup(ft, &p.tuple[1], &dir));
	fl_flowtable_gc(ft, &gc);
	KUNIT_EXPECT_EQ(test, gc.freed, 1U);
	KUNIT_EXPECT_EQ(test, atomic_read(&ct.releases), 1);

	/* conntrack dying: hidden at once, handed back by GC. */
	flow = kt_add(test, ft, &p, 2, &ct);
	WRITE_ONCE(ct.dying, true);
	KUNIT_EXPECT_NULL(test, kt_lookup(ft, &p.tuple[0], &dir));
	fl_flowtable_gc(ft, &gc);
	KUNIT_EXPECT_EQ(test, gc.ct_dying, 1U);
	KUNIT_EXPECT_EQ(test, ct.last_reason, FL_TEARDOWN_CT_DYING);
	KUNIT_EXPECT_EQ(test, fl_flowtable_count(ft), 0UL);
	fl_flowtable_destroy(ft);
}

static void flowtable_gc_on_jiffies(struct kunit *test)
{
	struct fl_flowtable_config cfg = { .ops = &kt_ops, .gc_interval_ms = 200 };
	struct fl_flow_params p;
	struct fl_flowtable *ft;
	struct kt_ct ct = {};
	struct fl_flow *kept;
	int i;

	KUNIT_ASSERT_EQ(test, fl_flowtable_create(&cfg, &ft), 0);
	KUNIT_ASSERT_EQ(test, fl_flowtable_set_timeout(ft, FL_IPPROTO_TCP, 1), 0);
	kept = kt_add(test, ft, &p, 0, &ct);
	for (i = 1; i < 64; i++)
		kt_add(test, ft, &p, i, &ct);
	/* Refresh one flow while the others idle past their second. */
	for (i = 0; i < 6; i++) {
		msleep(300);
		rcu_read_lock();
		fl_flow_refresh(ft, kept);
		rcu_read_unlock();
	}
	KUNIT_EXPECT_EQ(test, fl_flowtable_count(ft), 1UL);
	KUNIT_EXPECT_EQ(test, atomic_read(&ct.releases), 63);
	KUNIT_EXPECT_EQ(test, ct.last_reason, FL_TEARDOWN_TIMEOUT);
	fl_flowtable_destroy(ft);
	KUNIT_EXPECT_EQ(test, atomic_read(&ct.releases), 64);
}

/* Readers look up flows that stay while writers churn others through resizes. */
struct kt_churn {
	struct fl_flowtable *ft;
	struct fl_flow_params *stable;
	unsigned long lookups, misses;
};

static int kt_reader(void *arg)
{
	struct kt_churn *c = arg;
	enum fl_dir dir;
	u32 i = 0;

	while (!kthread_should_stop()) {
		rcu_read_lock();
		for (i = 0; i < 256; i++) {
			if (!fl_flowtable_lookup(c->ft, &c->stable[i].tuple[i & 1], &dir))
				c->misses++;
			c->lookups++;
		}
		rcu_read_unlock();
		cond_resched();
	}
	return 0;
}

static void flowtable_concurrent_resize(struct kunit *test)
{
	struct fl_flowtable *ft = kt_table(test);
	struct kt_churn churn = { .ft = ft };
	struct fl_flow_params *params;
	struct task_struct *readers[2];
	struct fl_gc_result gc;
	struct kt_ct ct = {};
	struct fl_stats st;
	u32 wave, i;

	params = kunit_kcalloc(test, 4096, sizeof(*params), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, params);
	for (i = 0; i < 256; i++)
		kt_add(test, ft, &params[i], i, &ct);
	churn.stable = params;
	for (i = 0; i < 2; i++) {
		readers[i] = kthread_run(kt_reader, &churn, "flowlane-rd%u", i);
		KUNIT_ASSERT_FALSE(test, IS_ERR(readers[i]));
	}
	for (wave = 0; wave < 3; wave++) {
		/* Grow: thousands of flows; the resize work runs meanwhile. */
		for (i = 256; i < 4096; i++)
			kt_add(test, ft, &params[i], i + wave * 4096, &ct);
		msleep(200);
		/* Shrink: tear them down and collect. */
		rcu_read_lock();
		for (i = 256; i < 4096; i++) {
			enum fl_dir dir;
			struct fl_flow *f = fl_flowtable_lookup(ft, &params[i].tuple[0], &dir);

			if (f)
				fl_flow_teardown(ft, f, FL_TEARDOWN_EXPLICIT);
		}
		rcu_read_unlock();
		fl_flowtable_gc(ft, &gc);
		msleep(200);
	}
	for (i = 0; i < 2; i++)
		kthread_stop(readers[i]);
	fl_flowtable_stats(ft, &st);
	KUNIT_EXPECT_EQ(test, churn.misses, 0UL);
	KUNIT_EXPECT_GT(test, churn.lookups, 0UL);
	KUNIT_EXPECT_GE(test, st.resizes, 4ULL);
	KUNIT_EXPECT_EQ(test, fl_flowtable_count(ft), 256UL);
	kunit_info(test, "%lu lookups during %llu resizes, no miss\n", churn.lookups, st.resizes);
	fl_flowtable_destroy(ft);
}

static void flowtable_alloc_failure_everywhere(struct kunit *test)
{
	struct fl_flowtable_config cfg = { .ops = &kt_ops, .gc_interval_ms = 1000 };
	s64 blocks = flowlane_live_blocks();
	struct fl_flow_params p;
	struct fl_flowtable *ft;
	struct kt_ct ct = {};
	struct fl_flow *flow;
	int n, err, sites = 0;

	for (n = 1; n < 64; n++) {
		flowlane_fail_nth_alloc(n);
		err = fl_flowtable_create(&cfg, &ft);
		flowlane_fail_nth_alloc(0);
		if (!err)
			break;
		KUNIT_EXPECT_EQ(test, err, -ENOMEM);
		KUNIT_EXPECT_EQ(test, flowlane_live_blocks(), blocks);
		sites++;
	}
	KUNIT_ASSERT_EQ(test, err, 0);
	KUNIT_EXPECT_GE(test, sites, 4);
	flowlane_test_params(&p, 3, &ct);
	flowlane_fail_nth_alloc(1);
	KUNIT_EXPECT_EQ(test, fl_flow_create(ft, &p, &flow), -ENOMEM);
	KUNIT_EXPECT_EQ(test, atomic_read(&ct.releases), 0);
	KUNIT_ASSERT_EQ(test, fl_flow_create(ft, &p, &flow), 0);
	KUNIT_ASSERT_EQ(test, fl_flowtable_add(ft, flow), 0);
	fl_flowtable_destroy(ft);
	rcu_barrier();
	KUNIT_EXPECT_EQ(test, flowlane_live_blocks(), blocks);
}

static void flowtable_destroy_with_flows(struct kunit *test)
{
	struct fl_flowtable *ft = kt_table(test);
	s64 blocks = flowlane_live_blocks();
	struct fl_flow_params p;
	struct kt_ct ct = {};
	int i;

	for (i = 0; i < 500; i++)
		kt_add(test, ft, &p, i, &ct);
	fl_flowtable_destroy(ft);
	KUNIT_EXPECT_EQ(test, atomic_read(&ct.teardowns), 500);
	KUNIT_EXPECT_EQ(test, atomic_read(&ct.releases), 500);
	KUNIT_EXPECT_LT(test, flowlane_live_blocks(), blocks);
}

static struct kunit_case flowtable_cases[] = {
	KUNIT_CASE(flowtable_both_directions),
	KUNIT_CASE(flowtable_teardown_and_gc),
	KUNIT_CASE(flowtable_gc_on_jiffies),
	KUNIT_CASE(flowtable_concurrent_resize),
	KUNIT_CASE(flowtable_alloc_failure_everywhere),
	KUNIT_CASE(flowtable_destroy_with_flows),
	{}
};

static struct kunit_suite flowtable_suite = {
	.name = "flowlane_flowtable",
	.test_cases = flowtable_cases,
};

kunit_test_suite(flowtable_suite);
