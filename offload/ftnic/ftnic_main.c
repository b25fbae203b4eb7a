// SPDX-License-Identifier: GPL-2.0
/*
 * ftnic.ko: the flowtable test NIC. Module parameters set the defaults; the
 * knobs under /sys/kernel/debug/ftnic/ change them at run time.
 */
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/string.h>
#include <net/rtnetlink.h>

#include "offload/ftnic/ftnic.h"

DEFINE_MUTEX(ftnic_lock);
LIST_HEAD(ftnic_ports);
struct ftnic_counters ftnic_totals;

/* mlx5's chain priority range without ignore_flow_level firmware (FDB_TC_MAX_PRIO). */
#define FTNIC_MLX5_PRIO_RANGE 16

struct ftnic_knobs ftnic_knobs = {
	.default_profile = FTNIC_EXEC,
	.dec_ttl = true,
	.fix_csum = true,
	.mlx5_prio_range = FTNIC_MLX5_PRIO_RANGE,
};

const char *const ftnic_profile_names[FTNIC_PROFILES] = {
	[FTNIC_EXEC] = "exec",
	[FTNIC_MLX5] = "mlx5",
	[FTNIC_MTK] = "mtk",
};

const char *const ftnic_refusal_names[FTNIC_REFUSALS] = {
	[FTNIC_REFUSE_FOREIGN] = "foreign",
	[FTNIC_REFUSE_OFFLOAD_OFF] = "offload_off",
	[FTNIC_REFUSE_KEY] = "key",
	[FTNIC_REFUSE_ACTION] = "action",
	[FTNIC_REFUSE_EGRESS] = "egress",
	[FTNIC_REFUSE_PRIO] = "prio",
	[FTNIC_REFUSE_CHAIN] = "chain",
	[FTNIC_REFUSE_CSUM] = "csum",
	[FTNIC_REFUSE_PPPOE] = "pppoe",
	[FTNIC_REFUSE_IPV6_NAT] = "ipv6_nat",
	[FTNIC_REFUSE_MAC] = "mac",
	[FTNIC_REFUSE_ALL] = "refuse_all",
	[FTNIC_REFUSE_FAIL_NTH] = "fail_nth",
	[FTNIC_REFUSE_FULL] = "full",
	[FTNIC_REFUSE_NOMEM] = "nomem",
};

const char *const ftnic_punt_names[FTNIC_PUNTS] = {
	[FTNIC_PUNT_TTL] = "ttl",
	[FTNIC_PUNT_ACTION] = "action",
	[FTNIC_PUNT_TAGS] = "tags",
	[FTNIC_PUNT_NO_EGRESS] = "no_egress",
	[FTNIC_PUNT_EGRESS] = "egress",
	[FTNIC_PUNT_MTU] = "mtu",
	[FTNIC_PUNT_LOOP] = "loop",
	[FTNIC_PUNT_NOMEM] = "nomem",
};

int ftnic_profile_parse(const char *name)
{
	int i;

	for (i = 0; i < FTNIC_PROFILES; i++)
		if (sysfs_streq(name, ftnic_profile_names[i]))
			return i;
	return -EINVAL;
}

static char *profile = "exec";
module_param(profile, charp, 0444);
MODULE_PARM_DESC(profile, "behaviour of new ports: exec (default), mlx5 or mtk");

static bool dec_ttl = true;
module_param(dec_ttl, bool, 0444);
MODULE_PARM_DESC(dec_ttl, "decrement TTL / hop limit of forwarded frames, as hardware does (default 1)");

static int __init ftnic_module_init(void)
{
	int err;

	err = ftnic_profile_parse(profile);
	if (err < 0) {
		pr_err("ftnic: unknown profile '%s' (exec, mlx5, mtk)\n", profile);
		return err;
	}
	ftnic_knobs.default_profile = err;
	ftnic_knobs.dec_ttl = dec_ttl;
	err = ftnic_debugfs_init();
	if (err)
		return err;
	err = rtnl_link_register(&ftnic_link_ops);
	if (err)
		goto remove_debugfs;
	return 0;

remove_debugfs:
	ftnic_debugfs_exit();
	return err;
}

static void __exit ftnic_module_exit(void)
{
	/* Deletes every port; flowtables unbind them as they go. */
	rtnl_link_unregister(&ftnic_link_ops);
	mutex_lock(&ftnic_lock);
	if (ftnic_rule_count) {
		pr_warn("ftnic: %u rules still installed at unload, removed\n", ftnic_rule_count);
		ftnic_rules_drain();
	}
	mutex_unlock(&ftnic_lock);
	ftnic_debugfs_exit();
}

module_init(ftnic_module_init);
module_exit(ftnic_module_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("ftnic: a flowtable test NIC executing TC_SETUP_FT offload rules");
MODULE_ALIAS_RTNL_LINK(FTNIC_KIND);
