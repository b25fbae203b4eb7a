/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Fault injection: make the module's fallible platform calls fail on purpose,
 * so the core's and the shim's error paths run in a real kernel. Compiled in,
 * off by default; armed per site through debugfs:
 *
 *   /sys/kernel/debug/flowlane/fault/<site>/every     fail every Nth call (0: off)
 *   /sys/kernel/debug/flowlane/fault/<site>/random    fail 1 call in N at random (0: off)
 *   /sys/kernel/debug/flowlane/fault/<site>/calls     calls seen while armed
 *   /sys/kernel/debug/flowlane/fault/<site>/injected  failures injected
 *   /sys/kernel/debug/flowlane/fault/injected         every site, `site: count` lines
 *   /sys/kernel/debug/flowlane/fault/reset            write anything: disarm all, zero counters
 *
 * Sites: alloc (fl_alloc, the boundary), route (the offload action's reverse
 * route lookup), xmit (carrying out a fastpath transmit verdict), hw (one
 * direction's hardware add, REPLACE, in the offload glue nft_hw.c: it fails
 * with -EIO before any driver sees it; /proc/net/flowlane counts it as refused).
 */
#ifndef FLOWLANE_FAULT_H
#define FLOWLANE_FAULT_H

#include <linux/types.h>

enum flowlane_fault_site {
	FLOWLANE_FAULT_ALLOC,
	FLOWLANE_FAULT_ROUTE,
	FLOWLANE_FAULT_XMIT,
	FLOWLANE_FAULT_HW,
	FLOWLANE_FAULT_NR,
};

/*
 * True when this call at @site must fail. Cheap when the site is not armed (one
 * read). context: any.
 */
bool flowlane_fault(enum flowlane_fault_site site);

/* Arm @site: fail every @every-th call and/or 1 in @random calls (0: that mode off). */
void flowlane_fault_arm(enum flowlane_fault_site site, u32 every, u32 random);
/* Disarm every site and zero the counters. */
void flowlane_fault_reset(void);
/* Failures injected at @site since load (or the last reset). */
u64 flowlane_fault_injected(enum flowlane_fault_site site);
const char *flowlane_fault_name(enum flowlane_fault_site site);

struct dentry;
/* Create fault/ under @root (the module's debugfs directory). */
void flowlane_fault_debugfs_init(struct dentry *root);

#endif /* FLOWLANE_FAULT_H */
