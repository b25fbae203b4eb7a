/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The core's hardware rules as the kernel's struct flow_rule (hw_rule.c), in
 * Linux 6.1's flowtable layout: struct nf_flow_match keys, then up to
 * NF_FLOW_RULE_ACTION_MAX flow_action entries. Kept free of nf_tables so that
 * KUnit kernels build it too.
 */
#ifndef FLOWLANE_HW_RULE_H
#define FLOWLANE_HW_RULE_H

#include <net/flow_offload.h>
#include <net/netfilter/nf_flow_table.h>

#include "flowlane/offload.h"

/* Linux 6.1.192's NF_FLOW_RULE_ACTION_MAX; the core never lowers more. */
#define FLOWLANE_HW_MAX_ACTIONS 24

/* One rule being handed to drivers: storage for the match and what it holds. */
struct flowlane_hw_rule {
	struct nf_flow_match match; /* dissector, keys and masks the rule points at */
	struct flow_rule *rule;     /* flow_rule_alloc()'d */
	struct net_device *redirect; /* held by the REDIRECT entry */
	struct net *net;            /* where the redirect ifindex is looked up */
};

/*
 * Translate @r into @hr. context: sleep (GFP_KERNEL). failure: -ENOMEM,
 * -ENODEV (the redirect device is gone), -E2BIG, -EOPNOTSUPP (a match or
 * action without a 6.1 flowtable form). On success release with
 * flowlane_hw_rule_release() once every driver has seen it.
 */
int flowlane_hw_rule_build(struct flowlane_hw_rule *hr, struct net *net, const struct fl_rule *r);
void flowlane_hw_rule_release(struct flowlane_hw_rule *hr);

#endif /* FLOWLANE_HW_RULE_H */
