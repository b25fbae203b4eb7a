/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel-side glue shared by the shim, the module entry, the self-check and
 * the KUnit suites. Nothing here decides anything about flows: that is the
 * core's job (include/flowlane/flowtable.h).
 */
#ifndef FLOWLANE_KERNEL_H
#define FLOWLANE_KERNEL_H

#include <linux/types.h>

/*
 * Allocation fault injection for tests (fault.c): make the Nth fl_alloc() from
 * now fail (1 = the next one); 0 disarms. The number of allocation failures
 * injected so far.
 */
void flowlane_fail_nth_alloc(u64 n);
u64 flowlane_injected_failures(void);
/* Blocks and bytes currently allocated through fl_alloc() (leak checks). */
s64 flowlane_live_blocks(void);
s64 flowlane_live_bytes(void);

/* The KUnit-independent self-check of the core through the shim; 0 on success. */
int flowlane_selfcheck(void);

struct fl_flow_params;
/* Parameters of test flow @i (distinct for every i < 2^24). */
void flowlane_test_params(struct fl_flow_params *p, u32 i, void *ct);

#endif /* FLOWLANE_KERNEL_H */
