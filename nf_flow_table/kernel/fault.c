// SPDX-License-Identifier: GPL-2.0
/*
 * Fault injection for flowlane.ko (see fault.h): per-site counters and the
 * decision whether a call fails, plus the debugfs controls. The sites
 * themselves (fl_alloc, the route lookup, the transmit, the driver commands)
 * only ask flowlane_fault() and take their ordinary failure path.
 */
#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/random.h>
#include <linux/seq_file.h>

#include "nf_flow_table/kernel/fault.h"
#include "nf_flow_table/kernel/flowlane_kernel.h"

struct flowlane_fault_state {
	u32 every;  /* fail each every-th armed call; 0 off */
	u32 random; /* fail 1 in random armed calls; 0 off */
	atomic64_t calls;
	atomic64_t injected;
	atomic64_t oneshot; /* fail the call with this sequence number; 0 off */
};

static struct flowlane_fault_state flowlane_faults[FLOWLANE_FAULT_NR];

static const char *const flowlane_fault_names[FLOWLANE_FAULT_NR] = {
	[FLOWLANE_FAULT_ALLOC] = "alloc",
	[FLOWLANE_FAULT_ROUTE] = "route",
	[FLOWLANE_FAULT_XMIT] = "xmit",
	[FLOWLANE_FAULT_HW] = "hw",
};

const char *flowlane_fault_name(enum flowlane_fault_site site)
{
	return site < FLOWLANE_FAULT_NR ? flowlane_fault_names[site] : "?";
}

static bool flowlane_fault_armed(const struct flowlane_fault_state *f)
{
	return READ_ONCE(f->every) || READ_ONCE(f->random) || atomic64_read(&f->oneshot);
}

/* Whether call number @seq fails: the one-shot first, then every-th, then random. */
static bool flowlane_fault_decide(struct flowlane_fault_state *f, s64 seq)
{
	s64 at = atomic64_read(&f->oneshot);
	u32 every = READ_ONCE(f->every), random = READ_ONCE(f->random);

	if (at && seq >= at && atomic64_cmpxchg(&f->oneshot, at, 0) == at)
		return true;
	if (every && seq % every == 0)
		return true;
	return random && get_random_u32() % random == 0;
}

bool flowlane_fault(enum flowlane_fault_site site)
{
	struct flowlane_fault_state *f = &flowlane_faults[site];
	s64 seq;

	if (likely(!flowlane_fault_armed(f)))
		return false;
	seq = atomic64_inc_return(&f->calls);
	if (!flowlane_fault_decide(f, seq))
		return false;
	atomic64_inc(&f->injected);
	return true;
}

void flowlane_fault_arm(enum flowlane_fault_site site, u32 every, u32 random)
{
	WRITE_ONCE(flowlane_faults[site].every, every);
	WRITE_ONCE(flowlane_faults[site].random, random);
}

void flowlane_fault_reset(void)
{
	struct flowlane_fault_state *f;

	for (f = flowlane_faults; f < flowlane_faults + FLOWLANE_FAULT_NR; f++) {
		WRITE_ONCE(f->every, 0);
		WRITE_ONCE(f->random, 0);
		atomic64_set(&f->oneshot, 0);
		atomic64_set(&f->calls, 0);
		atomic64_set(&f->injected, 0);
	}
}

u64 flowlane_fault_injected(enum flowlane_fault_site site)
{
	return atomic64_read(&flowlane_faults[site].injected);
}

/* The KUnit suites' one-shot: the @n-th allocation from now fails (0 disarms). */
void flowlane_fail_nth_alloc(u64 n)
{
	struct flowlane_fault_state *f = &flowlane_faults[FLOWLANE_FAULT_ALLOC];

	atomic64_set(&f->oneshot, n ? atomic64_read(&f->calls) + n : 0);
}

u64 flowlane_injected_failures(void)
{
	return flowlane_fault_injected(FLOWLANE_FAULT_ALLOC);
}

/* ----------------------------------------------------------------- debugfs */

static int flowlane_fault_injected_show(struct seq_file *seq, void *v)
{
	int i;

	for (i = 0; i < FLOWLANE_FAULT_NR; i++)
		seq_printf(seq, "%s: %llu\n", flowlane_fault_names[i],
			   flowlane_fault_injected(i));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(flowlane_fault_injected);

static ssize_t flowlane_fault_reset_write(struct file *file, const char __user *buf,
					  size_t len, loff_t *ppos)
{
	flowlane_fault_reset();
	return len;
}

static const struct file_operations flowlane_fault_reset_fops = {
	.owner = THIS_MODULE,
	.write = flowlane_fault_reset_write,
	.llseek = noop_llseek,
};

static void flowlane_fault_site_debugfs(struct dentry *dir, struct flowlane_fault_state *f)
{
	debugfs_create_u32("every", 0600, dir, &f->every);
	debugfs_create_u32("random", 0600, dir, &f->random);
	/* atomic64_t is a single s64: debugfs reads it as a plain u64. */
	debugfs_create_u64("calls", 0400, dir, (u64 *)&f->calls.counter);
	debugfs_create_u64("injected", 0400, dir, (u64 *)&f->injected.counter);
}

void flowlane_fault_debugfs_init(struct dentry *root)
{
	struct dentry *dir = debugfs_create_dir("fault", root);
	int i;

	for (i = 0; i < FLOWLANE_FAULT_NR; i++)
		flowlane_fault_site_debugfs(debugfs_create_dir(flowlane_fault_names[i], dir),
					    &flowlane_faults[i]);
	debugfs_create_file("injected", 0444, dir, NULL, &flowlane_fault_injected_fops);
	debugfs_create_file("reset", 0200, dir, NULL, &flowlane_fault_reset_fops);
}
