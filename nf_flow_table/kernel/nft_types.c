// SPDX-License-Identifier: GPL-2.0
/*
 * flowlane as nf_tables' flowtable implementation: the inet, ip and ip6
 * flowtable types, the `flow_offload` expression that `flow add @f` (and the
 * older `flow offload @f`) compiles to, the registry of live tables, the
 * device events that clean them, and keeping out the two stock modules it
 * replaces.
 */
#include <linux/kobject.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/netdevice.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_tables.h>

#include "nf_flow_table/kernel/nft_glue.h"

LIST_HEAD(flowlane_tables);
DEFINE_MUTEX(flowlane_tables_lock);

#define FLOWLANE_GC_INTERVAL_MS 1000

/* ------------------------------------------------------------ flowtable types */

static u8 flowlane_core_family(int family)
{
	switch (family) {
	case NFPROTO_IPV4:
		return FL_L3_IPV4;
	case NFPROTO_IPV6:
		return FL_L3_IPV6;
	default:
		return 0;
	}
}

/*
 * TCP teardown: 0 (default) keeps 6.1's immediate teardown on FIN/RST; 1 gives
 * upstream's since Linux 6.14 (FIN/RST -> closing, SYN reopens). Read when a
 * flowtable is created. The default stays 6.1's until the kernels' selftests
 * have passed with 1 (see Documentation/design.rst).
 */
static bool flowlane_tcp_closing;
module_param_named(tcp_closing, flowlane_tcp_closing, bool, 0644);
MODULE_PARM_DESC(tcp_closing, "FIN/RST move flows to a closing state instead of tearing them down (default: 0)");

static int flowlane_ft_init(struct nf_flowtable *nf)
{
	struct fl_flowtable_config cfg = {
		.ops = &flowlane_ops,
		.gc_interval_ms = FLOWLANE_GC_INTERVAL_MS,
		.family = flowlane_core_family(nf->type->family),
	};
	struct flowlane_ft *fft;
	int err;

	if (nf->flags & NF_FLOWTABLE_COUNTER)
		cfg.flags |= FL_FLOWTABLE_COUNTER;
	if (nf_flowtable_hw_offload(nf))
		cfg.flags |= FL_FLOWTABLE_HW_OFFLOAD;
	if (flowlane_tcp_closing)
		cfg.flags |= FL_FLOWTABLE_TCP_CLOSING;
	fft = kzalloc(sizeof(*fft), GFP_KERNEL);
	if (!fft)
		return -ENOMEM;
	err = fl_flowtable_create(&cfg, &fft->core);
	if (err)
		goto free_fft;
	fft->nf = nf;
	fft->family = nf->type->family;
	if (nf_flowtable_hw_offload(nf)) {
		err = flowlane_hw_init(fft);
		if (err)
			goto destroy_core;
	}
	flowlane_sync_config(fft, read_pnet(&nf->net));
	*flowlane_ft_slot(nf) = fft;
	mutex_lock(&flowlane_tables_lock);
	list_add(&fft->list, &flowlane_tables);
	mutex_unlock(&flowlane_tables_lock);
	return 0;

destroy_core:
	fl_flowtable_destroy(fft->core);
free_fft:
	kfree(fft);
	return err;
}

/* nf_tables calls this after unhooking the devices and a grace period. */
static void flowlane_ft_free(struct nf_flowtable *nf)
{
	struct flowlane_ft *fft = flowlane_ft_of(nf);

	mutex_lock(&flowlane_tables_lock);
	list_del(&fft->list);
	mutex_unlock(&flowlane_tables_lock);
	flowlane_stats_retire(fft);
	/* The table takes every flow out of hardware before the engine goes. */
	fl_flowtable_destroy(fft->core);
	if (fft->off)
		flowlane_hw_free(fft);
	kfree(fft);
}

/*
 * Binding devices: nothing to do in software. With `flags offload` every
 * device's driver joins the flowtable's block (nft_hw.c); a device no driver
 * offloads for is refused, as the stock flowtable refuses it.
 */
static int flowlane_ft_setup(struct nf_flowtable *nf, struct net_device *dev,
			     enum flow_block_command cmd)
{
	if (!nf_flowtable_hw_offload(nf))
		return 0;
	return flowlane_hw_setup(flowlane_ft_of(nf), dev, cmd);
}

#define FLOWLANE_TYPE(fam)                      \
	{                                       \
		.family = fam,                  \
		.init = flowlane_ft_init,       \
		.setup = flowlane_ft_setup,     \
		.free = flowlane_ft_free,       \
		.hook = flowlane_hook,          \
		.owner = THIS_MODULE,           \
	}

static struct nf_flowtable_type flowlane_types[] = {
	FLOWLANE_TYPE(NFPROTO_INET),
	FLOWLANE_TYPE(NFPROTO_IPV4),
	FLOWLANE_TYPE(NFPROTO_IPV6),
};

static bool flowlane_owns(const struct nft_flowtable *nft)
{
	return nft->data.type->owner == THIS_MODULE;
}

/* ------------------------------------------------------- flow_offload expr */

struct flowlane_expr {
	struct nft_flowtable *flowtable;
};

static void flowlane_expr_eval(const struct nft_expr *expr, struct nft_regs *regs,
			       const struct nft_pktinfo *pkt)
{
	struct flowlane_expr *priv = nft_expr_priv(expr);
	struct nft_flowtable *ft = priv->flowtable;

	/* Like the stock action: the rest of the rule runs only when the flow was added. */
	if (!flowlane_owns(ft) || !flowlane_offload(flowlane_ft_of(&ft->data), ft, pkt))
		regs->verdict.code = NFT_BREAK;
}

static int flowlane_expr_validate(const struct nft_ctx *ctx, const struct nft_expr *expr)
{
	if (ctx->family != NFPROTO_IPV4 && ctx->family != NFPROTO_IPV6 &&
	    ctx->family != NFPROTO_INET)
		return -EOPNOTSUPP;
	return nft_chain_validate_hooks(ctx->chain, 1 << NF_INET_FORWARD);
}

static const struct nla_policy flowlane_expr_policy[NFTA_FLOW_MAX + 1] = {
	[NFTA_FLOW_TABLE_NAME] = { .type = NLA_STRING, .len = NFT_NAME_MAXLEN - 1 },
};

static int flowlane_expr_init(const struct nft_ctx *ctx, const struct nft_expr *expr,
			      const struct nlattr *const tb[])
{
	struct flowlane_expr *priv = nft_expr_priv(expr);
	u8 genmask = nft_genmask_next(ctx->net);
	struct nft_flowtable *flowtable;
	int err;

	if (!tb[NFTA_FLOW_TABLE_NAME])
		return -EINVAL;
	flowtable = nft_flowtable_lookup(ctx->table, tb[NFTA_FLOW_TABLE_NAME], genmask);
	if (IS_ERR(flowtable))
		return PTR_ERR(flowtable);
	if (!nft_use_inc(&flowtable->use))
		return -EMFILE;
	priv->flowtable = flowtable;
	err = nf_ct_netns_get(ctx->net, ctx->family);
	if (err < 0)
		nft_use_dec(&flowtable->use);
	return err;
}

static void flowlane_expr_activate(const struct nft_ctx *ctx, const struct nft_expr *expr)
{
	struct flowlane_expr *priv = nft_expr_priv(expr);

	nft_use_inc_restore(&priv->flowtable->use);
}

static void flowlane_expr_deactivate(const struct nft_ctx *ctx, const struct nft_expr *expr,
				     enum nft_trans_phase phase)
{
	struct flowlane_expr *priv = nft_expr_priv(expr);

	nf_tables_deactivate_flowtable(ctx, priv->flowtable, phase);
}

static void flowlane_expr_destroy(const struct nft_ctx *ctx, const struct nft_expr *expr)
{
	nf_ct_netns_put(ctx->net, ctx->family);
}

static int flowlane_expr_dump(struct sk_buff *skb, const struct nft_expr *expr, bool reset)
{
	struct flowlane_expr *priv = nft_expr_priv(expr);

	return nla_put_string(skb, NFTA_FLOW_TABLE_NAME, priv->flowtable->name) ? -1 : 0;
}

static struct nft_expr_type flowlane_expr_type;
static const struct nft_expr_ops flowlane_expr_ops = {
	.type = &flowlane_expr_type,
	.size = NFT_EXPR_SIZE(sizeof(struct flowlane_expr)),
	.eval = flowlane_expr_eval,
	.init = flowlane_expr_init,
	.activate = flowlane_expr_activate,
	.deactivate = flowlane_expr_deactivate,
	.destroy = flowlane_expr_destroy,
	.validate = flowlane_expr_validate,
	.dump = flowlane_expr_dump,
	FLOWLANE_EXPR_OPS_REDUCE
};

static struct nft_expr_type flowlane_expr_type __read_mostly = {
	.name = "flow_offload",
	.ops = &flowlane_expr_ops,
	.policy = flowlane_expr_policy,
	.maxattr = NFTA_FLOW_MAX,
	.owner = THIS_MODULE,
};

/* ------------------------------------------------------------ device events */

/* A device going down takes its flows with it (the core tears them down). */
static int flowlane_netdev_event(struct notifier_block *nb, unsigned long event, void *ptr)
{
	struct net_device *dev = netdev_notifier_info_to_dev(ptr);
	struct flowlane_ft *fft;

	if (event != NETDEV_DOWN && event != NETDEV_UNREGISTER)
		return NOTIFY_DONE;
	mutex_lock(&flowlane_tables_lock);
	list_for_each_entry(fft, &flowlane_tables, list)
		if (net_eq(read_pnet(&fft->nf->net), dev_net(dev)))
			fl_flowtable_cleanup_dev(fft->core, dev->ifindex);
	mutex_unlock(&flowlane_tables_lock);
	return NOTIFY_DONE;
}

static struct notifier_block flowlane_netdev_notifier = {
	.notifier_call = flowlane_netdev_event,
};

/* ------------------------------------------------------------ the stock modules */

/*
 * nf_tables serves a flowtable family with the first type registered for it
 * and `flow_offload` with the first expression of that name: whoever registers
 * first is the implementation nft uses. flowlane replaces exactly the two
 * stock modules that register those, and nothing else: the stock flowtable
 * core nf_flow_table (act_ct, OVS tc offload) loads and works beside it.
 *
 * Loaded after either of them, flowlane would sit behind it (and a stock
 * expression could meet a flowlane table), so it refuses to load. Loaded
 * first, it keeps them out for as long as it is loaded: a module notifier
 * refuses them in MODULE_STATE_COMING, before their init registers anything,
 * whichever way they are loaded (modprobe --ignore-install, insmod).
 */
static const char *const flowlane_replaces[] = { "nf_flow_table_inet", "nft_flow_offload" };

static bool flowlane_replaces_module(const char *name)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(flowlane_replaces); i++)
		if (!strcmp(name, flowlane_replaces[i]))
			return true;
	return false;
}

static int flowlane_module_event(struct notifier_block *nb, unsigned long state, void *data)
{
	struct module *mod = data;

	if (state != MODULE_STATE_COMING || !flowlane_replaces_module(mod->name))
		return NOTIFY_DONE;
	pr_notice("flowlane: keeping %s out: flowlane serves nf_tables' flowtables; "
		  "remove flowlane first to use the stock module\n", mod->name);
	return notifier_from_errno(-EBUSY);
}

static struct notifier_block flowlane_module_notifier = {
	.notifier_call = flowlane_module_event,
};

/*
 * A loaded module has a kobject in /sys/module, the kset our own module's
 * kobject belongs to. (A stock module already past MODULE_STATE_COMING but
 * not yet in sysfs while flowlane registers the notifier escapes both checks:
 * that takes two loads racing within microseconds.)
 */
static const char *flowlane_stock_loaded(void)
{
#ifdef MODULE
	struct kset *modules = THIS_MODULE->mkobj.kobj.kset;
	struct kobject *kobj;
	int i;

	for (i = 0; i < ARRAY_SIZE(flowlane_replaces); i++) {
		kobj = kset_find_obj(modules, flowlane_replaces[i]);
		if (kobj) {
			kobject_put(kobj);
			return flowlane_replaces[i];
		}
	}
#endif
	return NULL;
}

/* Register the notifier first: from then on no stock module can slip in. */
static int flowlane_keep_stock_out(void)
{
	const char *stock;
	int err;

	err = register_module_notifier(&flowlane_module_notifier);
	if (err)
		return err;
	stock = flowlane_stock_loaded();
	if (!stock)
		return 0;
	unregister_module_notifier(&flowlane_module_notifier);
	pr_err("flowlane: %s is loaded and would keep serving nft; remove it first "
	       "(nft flush ruleset; modprobe -r nft_flow_offload nf_flow_table_inet)\n", stock);
	return -EBUSY;
}

/* ------------------------------------------------------------ registration */

int flowlane_nft_init(void)
{
	int err, i;

	err = flowlane_keep_stock_out();
	if (err)
		return err;
	err = register_netdevice_notifier(&flowlane_netdev_notifier);
	if (err)
		goto unregister_module_notifier;
	err = nft_register_expr(&flowlane_expr_type);
	if (err)
		goto unregister_netdev_notifier;
	for (i = 0; i < ARRAY_SIZE(flowlane_types); i++)
		nft_register_flowtable_type(&flowlane_types[i]);
	return 0;

unregister_netdev_notifier:
	unregister_netdevice_notifier(&flowlane_netdev_notifier);
unregister_module_notifier:
	unregister_module_notifier(&flowlane_module_notifier);
	return err;
}

void flowlane_nft_exit(void)
{
	int i;

	for (i = ARRAY_SIZE(flowlane_types) - 1; i >= 0; i--)
		nft_unregister_flowtable_type(&flowlane_types[i]);
	nft_unregister_expr(&flowlane_expr_type);
	unregister_netdevice_notifier(&flowlane_netdev_notifier);
	/* Last: the stock modules may load again once nothing of ours is registered. */
	unregister_module_notifier(&flowlane_module_notifier);
}

MODULE_ALIAS_NF_FLOWTABLE(AF_INET);
MODULE_ALIAS_NF_FLOWTABLE(AF_INET6);
MODULE_ALIAS_NF_FLOWTABLE(1); /* NFPROTO_INET */
MODULE_ALIAS_NFT_EXPR("flow_offload");
