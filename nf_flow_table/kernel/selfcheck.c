// SPDX-License-Identifier: GPL-2.0
/*
 * A KUnit-independent self-check of the core through the kernel shim, run by
 * `insmod flowlane.ko selfcheck=1` in the test guest: create a flowtable,
 * insert flows while an RCU reader thread looks them up (the inserts force
 * resizes on the kernel workqueue), run a frame through the fastpath, let GC
 * expire everything on jiffies, destroy the table and check that every
 * allocation came back. Uses only the public API: no flowtable logic here.
 */
#include <linux/delay.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/kthread.h>
#include <linux/slab.h>
#include <asm/byteorder.h>
#include <linux/string.h>
#include <net/checksum.h>

#include "flowlane/flowtable.h"
#include "nf_flow_table/kernel/flowlane_kernel.h"

#define SC_FLOWS 4096

struct sc_ct {
	atomic_t teardowns;
	atomic_t releases;
};

static bool sc_ct_alive(void *ct)
{
	return true;
}

static void sc_ct_teardown(void *ct, enum fl_teardown_reason why)
{
	atomic_inc(&((struct sc_ct *)ct)->teardowns);
}

static void sc_ct_release(void *ct)
{
	atomic_inc(&((struct sc_ct *)ct)->releases);
}

static const struct fl_flowtable_ops sc_ops = {
	.ct_alive = sc_ct_alive,
	.ct_teardown = sc_ct_teardown,
	.ct_release = sc_ct_release,
};

struct sc_reader {
	struct fl_flowtable *ft;
	struct fl_flow_params *params;
	unsigned long lookups;
	unsigned long misses;
};

static int sc_reader_fn(void *arg)
{
	struct sc_reader *r = arg;
	enum fl_dir dir;
	u32 i = 0;

	while (!kthread_should_stop()) {
		rcu_read_lock();
		for (i = 0; i < 1024; i++) {
			if (!fl_flowtable_lookup(r->ft, &r->params[i].tuple[i & 1], &dir))
				r->misses++;
			r->lookups++;
		}
		rcu_read_unlock();
		cond_resched();
	}
	return 0;
}

static int sc_add_range(struct fl_flowtable *ft, struct fl_flow_params *params,
			struct sc_ct *ct, u32 from, u32 to)
{
	struct fl_flow *flow;
	u32 i;
	int err;

	for (i = from; i < to; i++) {
		flowlane_test_params(&params[i], i, ct);
		err = fl_flow_create(ft, &params[i], &flow);
		if (err)
			return err;
		err = fl_flowtable_add(ft, flow);
		if (err) {
			fl_flow_free(ft, flow);
			return err;
		}
	}
	return 0;
}

/* One TCP frame of flow 0 through the fastpath: expect a transmit verdict. */
static int sc_fastpath(struct fl_flowtable *ft)
{
	static const u8 frame[] = {
		0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 1, 0x08, 0x00,
		0x45, 0, 0, 40, 0, 1, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 192, 168, 0, 1,
		0x04, 0x00, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x10, 0xff, 0xff, 0, 0, 0, 0,
	};
	struct fl_packet pkt = {};
	struct fl_result res;
	struct iphdr *iph;
	u8 buf[128];

	memcpy(buf + 32, frame, sizeof(frame));
	/* As it would arrive from the wire: the fastpath refuses a damaged header. */
	iph = (struct iphdr *)(buf + 32 + ETH_HLEN);
	iph->check = ip_fast_csum(iph, iph->ihl);
	pkt.data = buf + 32;
	pkt.len = pkt.headlen = sizeof(frame);
	pkt.headroom = 32;
	pkt.iifindex = 1;
	pkt.entry = FL_ENTRY_L2;
	pkt.flags = FL_PKT_BUILD_L2;
	rcu_read_lock();
	fl_fastpath(ft, &pkt, &res);
	rcu_read_unlock();
	if (res.verdict != FL_VERDICT_XMIT) {
		pr_err("flowlane: self-check: fastpath said %s\n", fl_slow_reason_name(res.reason));
		return -EINVAL;
	}
	if (res.out_data[res.l3_offset + 8] != 63) {
		pr_err("flowlane: self-check: TTL not decremented\n");
		return -EINVAL;
	}
	return 0;
}

static int sc_check(bool ok, const char *what)
{
	if (!ok)
		pr_err("flowlane: self-check failed: %s\n", what);
	return ok ? 0 : -EINVAL;
}

static int sc_run(struct fl_flowtable *ft, struct fl_flow_params *params, struct sc_ct *ct)
{
	struct sc_reader reader = { .ft = ft, .params = params };
	struct task_struct *task;
	struct fl_gc_result gc;
	struct fl_stats st;
	int err, waited;

	/* Short timeouts from the start: a flow's expiry is set when it is added. */
	err = fl_flowtable_set_timeout(ft, FL_IPPROTO_TCP, 1);
	err = err ?: sc_add_range(ft, params, ct, 0, 1024);
	if (err)
		return err;
	task = kthread_run(sc_reader_fn, &reader, "flowlane-sc");
	if (IS_ERR(task))
		return PTR_ERR(task);
	err = sc_add_range(ft, params, ct, 1024, SC_FLOWS);
	/* Growth runs on the workqueue: give it time while the reader reads. */
	for (waited = 0; waited < 100; waited++) {
		fl_flowtable_stats(ft, &st);
		if (st.buckets >= 2 * SC_FLOWS * 4 / 3)
			break;
		msleep(20);
	}
	kthread_stop(task);
	if (err)
		return err;
	err = sc_check(reader.misses == 0 && reader.lookups > 0, "reader missed entries");
	err = err ?: sc_check(fl_flowtable_count(ft) == SC_FLOWS, "flow count");
	err = err ?: sc_check(st.resizes > 0, "no resize");
	err = err ?: sc_fastpath(ft);
	if (err)
		return err;
	msleep(2100);
	fl_flowtable_gc(ft, &gc);
	err = sc_check(gc.expired == SC_FLOWS && gc.freed == SC_FLOWS, "GC expiry");
	err = err ?: sc_check(atomic_read(&ct->releases) == SC_FLOWS, "conntrack releases");
	pr_info("flowlane: self-check: %d flows, %lu lookups during %llu resizes to %llu buckets, "
		"GC expired %u\n", SC_FLOWS, reader.lookups, st.resizes, st.buckets, gc.expired);
	return err;
}

int flowlane_selfcheck(void)
{
	struct fl_flowtable_config cfg = { .ops = &sc_ops };
	struct fl_flow_params *params;
	struct fl_flowtable *ft;
	struct sc_ct ct = {};
	s64 blocks = flowlane_live_blocks();
	int err;

	params = kvcalloc(SC_FLOWS, sizeof(*params), GFP_KERNEL);
	if (!params)
		return -ENOMEM;
	err = fl_flowtable_create(&cfg, &ft);
	if (err)
		goto free_params;
	err = sc_run(ft, params, &ct);
	fl_flowtable_destroy(ft);
	err = err ?: sc_check(atomic_read(&ct.teardowns) == SC_FLOWS, "teardowns");
	err = err ?: sc_check(flowlane_live_blocks() == blocks, "leaked allocations");
free_params:
	kvfree(params);
	if (!err)
		pr_info("flowlane: self-check passed\n");
	return err;
}
