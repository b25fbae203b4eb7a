// SPDX-License-Identifier: GPL-2.0
/*
 * Hardware offload of a `flags offload` flowtable: the flowtable's flow_block
 * and the drivers bound to it. Binding goes through the device's
 * ndo_setup_tc(TC_SETUP_FT), or the indirect-block drivers for devices
 * without one; the core's offload engine (offload/engine.cpp) decides what
 * goes to hardware and when, and this file carries each of its commands to
 * every callback of the block as a flower REPLACE / DESTROY / STATS with a
 * real struct flow_rule (hw_rule.c), then hands the answers back.
 *
 * Locks: nf->flow_block_lock guards the callback list (written by bind and
 * unbind, read by every command). None of these paths takes rtnl: unbind and
 * device-down flushes arrive with rtnl held and wait for the engine's work.
 */
#include <linux/etherdevice.h>
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include <linux/slab.h>
#include <net/dst.h>
#include <net/flow_offload.h>
#include <net/neighbour.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/pkt_cls.h>

#include "nf_flow_table/kernel/fault.h"
#include "nf_flow_table/kernel/hw_rule.h"
#include "nf_flow_table/kernel/nft_glue.h"

static struct net *flowlane_hw_net(struct flowlane_ft *fft)
{
	return read_pnet(&fft->nf->net);
}

/* ------------------------------------------------------------------ commands */

static void flowlane_hw_cls_init(struct flow_cls_offload *cls, struct flowlane_ft *fft,
				 const struct fl_rule_request *req, struct netlink_ext_ack *extack)
{
	memset(cls, 0, sizeof(*cls));
	/* Linux's flowtable stores the host-order ETH_P_ALL here; drivers expect that. */
	cls->common.protocol = (__force __be16)ETH_P_ALL;
	/* Read per command: nf_tables sets the priority after the type's init. */
	cls->common.prio = fft->nf->priority;
	cls->common.chain_index = 0;
	cls->common.extack = extack;
	cls->cookie = (unsigned long)req->cookie;
	switch (req->cmd) {
	case FL_RULE_REPLACE:
		cls->command = FLOW_CLS_REPLACE;
		break;
	case FL_RULE_DESTROY:
		cls->command = FLOW_CLS_DESTROY;
		break;
	default:
		cls->command = FLOW_CLS_STATS;
		break;
	}
}

/* Every callback of the block sees the command; returns how many accepted it. */
static int flowlane_hw_broadcast(struct flowlane_ft *fft, struct flow_cls_offload *cls,
				 struct fl_rule_request *req)
{
	struct nf_flowtable *nf = fft->nf;
	struct flow_block_cb *block_cb;
	int accepted = 0, err;

	down_read(&nf->flow_block_lock);
	list_for_each_entry(block_cb, &nf->flow_block.cb_list, list) {
		err = block_cb->cb(TC_SETUP_CLSFLOWER, cls, block_cb->cb_priv);
		if (err < 0)
			fl_rule_request_note_error(req, err);
		else
			accepted++;
	}
	up_read(&nf->flow_block_lock);
	return accepted;
}

/*
 * The command to the block, unless the fault site hw fails this add: then
 * every driver "failed" it without seeing it, so none holds a rule the core
 * believes absent. Only adds fail on purpose: a lost DESTROY would strand one.
 */
static int flowlane_hw_send(struct flowlane_ft *fft, struct flow_cls_offload *cls,
			    struct fl_rule_request *req)
{
	if (cls->command == FLOW_CLS_REPLACE && flowlane_fault(FLOWLANE_FAULT_HW)) {
		fl_rule_request_note_error(req, -EIO);
		return 0;
	}
	return flowlane_hw_broadcast(fft, cls, req);
}

/* Drivers accumulate into cls->stats; the core wants jiffies as its ticks. */
static void flowlane_hw_stats_out(struct fl_rule_request *req, const struct flow_stats *st)
{
	req->stats.packets = st->pkts;
	req->stats.bytes = st->bytes;
	req->stats.lastused = (u32)st->lastused;
	req->stats.used = st->lastused != 0;
}

static void flowlane_hw_log_extack(struct flowlane_ft *fft, const struct netlink_ext_ack *extack)
{
	/* Linux's flowtable drops what drivers say; keep it in the log. */
	if (extack->_msg)
		net_info_ratelimited("flowlane: offload: driver says: %s\n", extack->_msg);
}

/* struct fl_offload_ops.dispatch: one command of the core to the whole block. */
static int flowlane_hw_dispatch(void *priv, struct fl_rule_request *req)
{
	struct flowlane_ft *fft = priv;
	struct netlink_ext_ack extack = {};
	struct flowlane_hw_rule *hr = NULL;
	struct flow_cls_offload cls;
	int accepted, err;

	flowlane_hw_cls_init(&cls, fft, req, &extack);
	if (req->cmd == FL_RULE_REPLACE) {
		hr = kmalloc(sizeof(*hr), GFP_KERNEL);
		if (!hr)
			return -ENOMEM;
		err = flowlane_hw_rule_build(hr, flowlane_hw_net(fft), req->rule);
		if (err) {
			kfree(hr);
			return err;
		}
		cls.rule = hr->rule;
	}
	accepted = flowlane_hw_send(fft, &cls, req);
	if (req->cmd == FL_RULE_STATS)
		flowlane_hw_stats_out(req, &cls.stats);
	flowlane_hw_log_extack(fft, &extack);
	if (hr) {
		/* The rule dies here: drivers copied what they keep. */
		flowlane_hw_rule_release(hr);
		kfree(hr);
	}
	return accepted;
}

/* ------------------------------------------------------------------ flow help */

/* struct fl_offload_ops.neigh_macs: a valid neighbour entry only, as Linux's flowtable. */
static int flowlane_hw_neigh_macs(void *priv, void *route, const struct fl_addr *daddr,
				  fl_u8 l3proto, fl_s32 ifindex, fl_u8 *h_dest, fl_u8 *h_source)
{
	struct flowlane_ft *fft = priv;
	struct net_device *dev;
	int err;

	err = flowlane_neigh_ha(route, daddr->b, h_dest);
	if (err)
		return err;
	rcu_read_lock();
	dev = dev_get_by_index_rcu(flowlane_hw_net(fft), ifindex);
	if (dev)
		ether_addr_copy(h_source, dev->dev_addr);
	rcu_read_unlock();
	return dev ? 0 : -ENODEV;
}

/* struct fl_offload_ops.hw_state: what `conntrack -L` shows as [HW_OFFLOAD]. */
static void flowlane_hw_state(void *priv, void *ctp, bool offloaded)
{
	struct nf_conn *ct = ctp;

	if (offloaded)
		set_bit(IPS_HW_OFFLOAD_BIT, &ct->status);
	else
		clear_bit(IPS_HW_OFFLOAD_BIT, &ct->status);
}

static const struct fl_offload_ops flowlane_hw_ops = {
	.dispatch = flowlane_hw_dispatch,
	.neigh_macs = flowlane_hw_neigh_macs,
	.hw_state = flowlane_hw_state,
};

/* ------------------------------------------------------------------ binding */

static void flowlane_hw_bo_init(struct flow_block_offload *bo, struct nf_flowtable *nf,
				struct net_device *dev, enum flow_block_command cmd,
				struct netlink_ext_ack *extack)
{
	memset(bo, 0, sizeof(*bo));
	bo->net = dev_net(dev);
	bo->block = &nf->flow_block;
	bo->command = cmd;
	bo->binder_type = FLOW_BLOCK_BINDER_TYPE_CLSACT_INGRESS;
	bo->extack = extack;
	bo->cb_list_head = &nf->flow_block.cb_list;
	INIT_LIST_HEAD(&bo->cb_list);
}

/*
 * An indirect driver went away while bound: its device's flows leave the
 * hardware first, then its callback leaves the block.
 */
static void flowlane_hw_indr_cleanup(struct flow_block_cb *block_cb)
{
	struct nf_flowtable *nf = block_cb->indr.data;
	struct flowlane_ft *fft = flowlane_ft_of(nf);

	fl_offload_unbind(fft->off, block_cb->indr.dev->ifindex);
	down_write(&nf->flow_block_lock);
	list_del(&block_cb->list);
	list_del(&block_cb->driver_list);
	flow_block_cb_free(block_cb);
	up_write(&nf->flow_block_lock);
}

/* The device's driver, or else the indirect-block drivers, (un)registers its callbacks. */
static int flowlane_hw_device_cmd(struct nf_flowtable *nf, struct net_device *dev,
				  struct flow_block_offload *bo)
{
	int err;

	if (dev->netdev_ops->ndo_setup_tc) {
		down_write(&nf->flow_block_lock);
		err = dev->netdev_ops->ndo_setup_tc(dev, TC_SETUP_FT, bo);
		up_write(&nf->flow_block_lock);
		return err < 0 ? err : 0;
	}
	/* Nobody to ask: do not leave an indirect record behind for a failed bind. */
	if (!flow_indr_dev_exists())
		return -EOPNOTSUPP;
	err = flow_indr_dev_setup_offload(dev, NULL, TC_SETUP_FT, nf, bo,
					  flowlane_hw_indr_cleanup);
	return err < 0 ? err : 0;
}

static int flowlane_hw_bind(struct flowlane_ft *fft, struct net_device *dev)
{
	struct netlink_ext_ack extack = {};
	struct nf_flowtable *nf = fft->nf;
	struct flow_block_offload bo;
	int err;

	flowlane_hw_bo_init(&bo, nf, dev, FLOW_BLOCK_BIND, &extack);
	err = flowlane_hw_device_cmd(nf, dev, &bo);
	if (err) {
		pr_info("flowlane: %s: no hardware offload for this flowtable (%d)%s%s\n",
			netdev_name(dev), err, extack._msg ? ": " : "",
			extack._msg ? extack._msg : "");
		return err;
	}
	down_write(&nf->flow_block_lock);
	list_splice(&bo.cb_list, &nf->flow_block.cb_list);
	up_write(&nf->flow_block_lock);
	fl_offload_set_priority(fft->off, nf->priority);
	return 0;
}

static void flowlane_hw_free_cbs(struct nf_flowtable *nf, struct list_head *cbs)
{
	struct flow_block_cb *block_cb, *next;

	down_write(&nf->flow_block_lock);
	list_for_each_entry_safe(block_cb, next, cbs, list) {
		list_del(&block_cb->list);
		flow_block_cb_free(block_cb);
	}
	up_write(&nf->flow_block_lock);
}

/*
 * The device's flows leave the hardware while its driver is still in the
 * block (the engine waits for their DESTROYs); only then the driver unbinds.
 * Linux's flowtable unbinds first and sends the deletes to an emptied block.
 */
static void flowlane_hw_unbind(struct flowlane_ft *fft, struct net_device *dev)
{
	struct netlink_ext_ack extack = {};
	struct nf_flowtable *nf = fft->nf;
	struct flow_block_offload bo;
	int err;

	fl_offload_unbind(fft->off, dev->ifindex);
	flowlane_hw_bo_init(&bo, nf, dev, FLOW_BLOCK_UNBIND, &extack);
	err = flowlane_hw_device_cmd(nf, dev, &bo);
	if (err) {
		pr_info("flowlane: %s: driver refused to unbind (%d)\n", netdev_name(dev), err);
		return;
	}
	flowlane_hw_free_cbs(nf, &bo.cb_list);
}

int flowlane_hw_setup(struct flowlane_ft *fft, struct net_device *dev, enum flow_block_command cmd)
{
	switch (cmd) {
	case FLOW_BLOCK_BIND:
		return flowlane_hw_bind(fft, dev);
	case FLOW_BLOCK_UNBIND:
		flowlane_hw_unbind(fft, dev);
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}

/* ------------------------------------------------------------------ lifecycle */

int flowlane_hw_init(struct flowlane_ft *fft)
{
	struct nf_flowtable *nf = fft->nf;

	flow_block_init(&nf->flow_block);
	init_rwsem(&nf->flow_block_lock);
	return fl_offload_create_with(fft->core, &flowlane_hw_ops, fft, &fft->off);
}

/* After the table is destroyed: every flow has left the hardware. */
void flowlane_hw_free(struct flowlane_ft *fft)
{
	struct nf_flowtable *nf = fft->nf;

	fl_offload_destroy(fft->off);
	fft->off = NULL;
	/* nf_tables unbinds every device before freeing; anything left is a driver's leak. */
	if (WARN_ON_ONCE(!list_empty(&nf->flow_block.cb_list)))
		flowlane_hw_free_cbs(nf, &nf->flow_block.cb_list);
}
