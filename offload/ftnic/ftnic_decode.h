/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The test NIC's reading of a flower rule: struct flow_rule (what the kernel's
 * flowtable hands to drivers) deep-copied into flowlane's struct fl_rule, which
 * the engine executes. Nothing of the flow_rule is kept: addresses are copied,
 * the redirect device becomes its ifindex.
 */
#ifndef FTNIC_DECODE_H
#define FTNIC_DECODE_H

#include <linux/types.h>
#include <net/flow_offload.h>

#include "flowlane/offload.h"

enum ftnic_decode_result {
	FTNIC_DECODED = 0,
	FTNIC_BAD_KEY,    /* a key or a mask ftnic cannot match */
	FTNIC_BAD_ACTION, /* an action ftnic cannot represent */
};

struct ftnic_decoded {
	struct fl_rule rule;
	struct net_device *redirect;  /* the REDIRECT's device: valid during the callback only */
	const char *why;              /* what was wrong, for the log */
	int what;                     /* the key or action id that was wrong, -1 if none */
};

/* Decode @rule into @d. context: any (no allocation, no locks). */
enum ftnic_decode_result ftnic_decode(const struct flow_rule *rule, struct ftnic_decoded *d);

#endif /* FTNIC_DECODE_H */
