// SPDX-License-Identifier: GPL-2.0
/*
 * flowlane.ko: netfilter's flowtable re-implemented around a portable C++
 * core. Module entry and exit.
 */
#include <linux/module.h>
#include <linux/moduleparam.h>

#include "nf_flow_table/kernel/flowlane_kernel.h"
#ifdef FLOWLANE_NFT
#include "nf_flow_table/kernel/nft_glue.h"
#endif

static bool selfcheck;
module_param(selfcheck, bool, 0444);
MODULE_PARM_DESC(selfcheck, "run the core's self-check at load time and refuse to load if it fails");

static int __init flowlane_init(void)
{
	int err;

	if (selfcheck) {
		err = flowlane_selfcheck();
		if (err)
			return err;
	}
#ifdef FLOWLANE_NFT
	err = flowlane_stats_init();
	if (err)
		return err;
	err = flowlane_nft_init();
	if (err) {
		flowlane_stats_exit();
		return err;
	}
#endif
	pr_info("flowlane: loaded\n");
	return 0;
}

static void __exit flowlane_exit(void)
{
#ifdef FLOWLANE_NFT
	flowlane_nft_exit();
	flowlane_stats_exit();
#endif
	pr_info("flowlane: unloaded\n");
}

module_init(flowlane_init);
module_exit(flowlane_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("flowlane: netfilter flowtable fastpath on a portable C++ core");
MODULE_VERSION(FLOWLANE_VERSION);
