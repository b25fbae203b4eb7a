// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/net/flowlane: per flowtable of the namespace, the core's statistics —
 * fastpath hits, every slowpath reason, flows added and torn down, GC and
 * resizing — so that a test can prove packets took flowlane's fastpath.
 * /sys/kernel/debug/flowlane/totals: the same summed over every flowtable the
 * module has served, including deleted ones (and namespaces gone since).
 * /sys/kernel/debug/flowlane/memory: blocks and bytes held through fl_alloc();
 * fault/: fault injection (fault.h).
 */
#include <linux/debugfs.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <net/net_namespace.h>
#include <net/netfilter/nf_tables.h>

#include "flowlane/offload.h"
#include "nf_flow_table/kernel/fault.h"
#include "nf_flow_table/kernel/flowlane_kernel.h"
#include "nf_flow_table/kernel/nft_glue.h"

static const char *flowlane_family_name(u8 family)
{
	switch (family) {
	case NFPROTO_IPV4:
		return "ip";
	case NFPROTO_IPV6:
		return "ip6";
	default:
		return "inet";
	}
}

/*
 * `flags offload`: what the hardware holds and why flows stayed in software,
 * one counter per reason (an attempt counts once in add_failed and once
 * under its reason).
 */
static void flowlane_stats_offload(struct seq_file *seq, const struct fl_offload *off)
{
	struct fl_offload_stats o;

	fl_offload_stats(off, &o);
	seq_printf(seq, "  offload offloaded %llu adds %llu add_failed %llu dels %llu stats_polls %llu "
		   "refreshed %llu rollbacks %llu queued %llu\n",
		   o.offloaded, o.adds, o.add_failed, o.dels, o.stats_polls, o.refreshed,
		   o.rollbacks, o.queued);
	seq_printf(seq, "  offload_software refused %llu full %llu no_device %llu no_neigh %llu "
		   "unsupported %llu too_big %llu no_memory %llu\n",
		   o.refused, o.full, o.no_device, o.no_neigh, o.unsupported, o.too_big,
		   o.no_memory);
}

static void flowlane_stats_table(struct seq_file *seq, struct flowlane_ft *fft)
{
	struct nft_flowtable *nft = container_of(fft->nf, struct nft_flowtable, data);
	struct fl_stats st;
	unsigned int r;

	fl_flowtable_stats(fft->core, &st);
	seq_printf(seq, "flowtable %s %s %s: flows %lu hits %llu added %llu exists %llu teardowns %llu\n",
		   flowlane_family_name(fft->family), nft->table->name, nft->name,
		   fl_flowtable_count(fft->core), st.hits, st.flows_added, st.add_exists,
		   st.teardowns);
	seq_printf(seq, "  gc runs %llu expired %llu freed %llu; buckets %llu resizes %llu failed %llu\n",
		   st.gc_runs, st.gc_expired, st.gc_freed, st.buckets, st.resizes,
		   st.resize_failed);
	seq_puts(seq, "  slowpath");
	for (r = 1; r < FL_SLOW_REASON_COUNT; r++)
		seq_printf(seq, " %s %llu", fl_slow_reason_name(r), st.slow[r]);
	seq_puts(seq, "\n");
	if (fft->off)
		flowlane_stats_offload(seq, fft->off);
}

/* Statistics of flowtables already freed, added in by flowlane_stats_retire(). */
static struct fl_stats flowlane_retired;
static DEFINE_SPINLOCK(flowlane_retired_lock);
static struct dentry *flowlane_debugfs;

static void flowlane_stats_add(struct fl_stats *sum, const struct fl_stats *st)
{
	const u64 *from = (const u64 *)st;
	u64 *to = (u64 *)sum;
	size_t i;

	BUILD_BUG_ON(sizeof(*st) % sizeof(u64));
	for (i = 0; i < sizeof(*st) / sizeof(u64); i++)
		to[i] += from[i];
}

void flowlane_stats_retire(struct flowlane_ft *fft)
{
	struct fl_stats st;

	fl_flowtable_stats(fft->core, &st);
	st.buckets = 0;
	spin_lock_bh(&flowlane_retired_lock);
	flowlane_stats_add(&flowlane_retired, &st);
	spin_unlock_bh(&flowlane_retired_lock);
}

static int flowlane_totals_show(struct seq_file *seq, void *v)
{
	struct flowlane_ft *fft;
	struct fl_stats sum, st;
	unsigned int r, live = 0;

	spin_lock_bh(&flowlane_retired_lock);
	sum = flowlane_retired;
	spin_unlock_bh(&flowlane_retired_lock);
	mutex_lock(&flowlane_tables_lock);
	list_for_each_entry(fft, &flowlane_tables, list) {
		fl_flowtable_stats(fft->core, &st);
		flowlane_stats_add(&sum, &st);
		live++;
	}
	mutex_unlock(&flowlane_tables_lock);
	seq_printf(seq, "flowtables %u hits %llu added %llu exists %llu teardowns %llu gc_freed %llu\n",
		   live, sum.hits, sum.flows_added, sum.add_exists, sum.teardowns, sum.gc_freed);
	for (r = 1; r < FL_SLOW_REASON_COUNT; r++)
		seq_printf(seq, "slowpath %s %llu\n", fl_slow_reason_name(r), sum.slow[r]);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(flowlane_totals);

/* What the module holds through fl_alloc(): zero once every flowtable is gone. */
static int flowlane_memory_show(struct seq_file *seq, void *v)
{
	seq_printf(seq, "blocks: %lld\nbytes: %lld\n", flowlane_live_blocks(),
		   flowlane_live_bytes());
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(flowlane_memory);

static int flowlane_stats_show(struct seq_file *seq, void *v)
{
	struct net *net = seq_file_single_net(seq);
	struct flowlane_ft *fft;

	mutex_lock(&flowlane_tables_lock);
	list_for_each_entry(fft, &flowlane_tables, list)
		if (net_eq(read_pnet(&fft->nf->net), net))
			flowlane_stats_table(seq, fft);
	mutex_unlock(&flowlane_tables_lock);
	return 0;
}

static int __net_init flowlane_stats_net_init(struct net *net)
{
	if (!proc_create_net_single("flowlane", 0444, net->proc_net, flowlane_stats_show, NULL))
		return -ENOMEM;
	return 0;
}

static void __net_exit flowlane_stats_net_exit(struct net *net)
{
	remove_proc_entry("flowlane", net->proc_net);
}

static struct pernet_operations flowlane_stats_net_ops = {
	.init = flowlane_stats_net_init,
	.exit = flowlane_stats_net_exit,
};

int flowlane_stats_init(void)
{
	flowlane_debugfs = debugfs_create_dir("flowlane", NULL);
	debugfs_create_file("totals", 0444, flowlane_debugfs, NULL, &flowlane_totals_fops);
	debugfs_create_file("memory", 0444, flowlane_debugfs, NULL, &flowlane_memory_fops);
	flowlane_fault_debugfs_init(flowlane_debugfs);
	return register_pernet_subsys(&flowlane_stats_net_ops);
}

void flowlane_stats_exit(void)
{
	unregister_pernet_subsys(&flowlane_stats_net_ops);
	debugfs_remove_recursive(flowlane_debugfs);
}
