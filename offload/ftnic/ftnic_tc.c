// SPDX-License-Identifier: GPL-2.0
/*
 * The driver side of flowtable offload: ndo_setup_tc(TC_SETUP_FT) binds a
 * port to a flowtable's flow_block, then the block callback receives every
 * rule of the flowtable (TC_SETUP_CLSFLOWER: REPLACE, DESTROY, STATS). Every
 * port's callback sees every rule; like mlx5, a port keeps only the rules
 * whose ingress ifindex is its own, or, like MediaTek's shared PPE table, the
 * first callback installs a rule and the others answer -EEXIST.
 *
 * These callbacks run from the flowtable's work queues and bind paths, some
 * with rtnl held by the caller: they never take rtnl themselves.
 */
#include <linux/delay.h>
#include <linux/etherdevice.h>
#include <linux/slab.h>
#include <net/pkt_cls.h>

#include "offload/ftnic/ftnic.h"

/* ------------------------------------------------------------------ refusals */

static int ftnic_refuse(struct ftnic_port *port, const struct flow_cls_offload *cls,
			enum ftnic_refusal reason, int err, const char *why)
{
	ftnic_count(port, refused[reason]);
	/* The broadcast filter is routine: every rule reaches every port. */
	if (reason != FTNIC_REFUSE_FOREIGN)
		net_info_ratelimited("ftnic: %s: refused rule (prio %u chain %u): %s: %s (%d)\n",
				     netdev_name(port->dev), cls->common.prio,
				     cls->common.chain_index, ftnic_refusal_names[reason], why, err);
	return err;
}

static int ftnic_refuse_decode(struct ftnic_port *port, const struct flow_cls_offload *cls,
			       enum ftnic_decode_result r, const struct ftnic_decoded *d)
{
	enum ftnic_refusal reason = r == FTNIC_BAD_KEY ? FTNIC_REFUSE_KEY : FTNIC_REFUSE_ACTION;

	ftnic_count(port, refused[reason]);
	net_info_ratelimited("ftnic: %s: refused rule (prio %u chain %u): %s %d: %s (%d)\n",
			     netdev_name(port->dev), cls->common.prio, cls->common.chain_index,
			     ftnic_refusal_names[reason], d->what, d->why, -EOPNOTSUPP);
	return -EOPNOTSUPP;
}

/* ------------------------------------------------------------------ profiles */

static bool ftnic_has_action(const struct fl_rule *r, u8 id, u8 htype)
{
	u32 i;

	for (i = 0; i < r->num_actions; i++)
		if (r->actions[i].id == id && (!htype || r->actions[i].htype == htype))
			return true;
	return false;
}

/* mlx5 representors (en/rep/tc.c and the tc action parsers). */
static int ftnic_check_mlx5(struct ftnic_port *port, const struct flow_cls_offload *cls,
			    const struct fl_rule *r)
{
	u32 range = READ_ONCE(ftnic_knobs.mlx5_prio_range);

	if (cls->common.prio >= range)
		return ftnic_refuse(port, cls, FTNIC_REFUSE_PRIO, -EOPNOTSUPP,
				    "mlx5: priority outside the chain's range (negative nft priorities wrap)");
	if (cls->common.chain_index)
		return ftnic_refuse(port, cls, FTNIC_REFUSE_CHAIN, -EOPNOTSUPP,
				    "mlx5: flowtable rules only in chain 0");
	if (ftnic_has_action(r, FL_ACT_CSUM, 0) && !ftnic_has_action(r, FL_ACT_MANGLE, 0))
		return ftnic_refuse(port, cls, FTNIC_REFUSE_CSUM, -EOPNOTSUPP,
				    "mlx5: checksum only together with a header rewrite");
	if (ftnic_has_action(r, FL_ACT_PPPOE_PUSH, 0))
		return ftnic_refuse(port, cls, FTNIC_REFUSE_PPPOE, -EOPNOTSUPP,
				    "mlx5: no PPPoE push");
	return 0;
}

/* The MACs as the PPE reads the Ethernet mangles (by mask heuristics), and as they are meant. */
static void ftnic_mtk_macs(const struct fl_rule *r, u8 *ppe, u8 *meant)
{
	u32 i;

	memset(ppe, 0, 12);
	memset(meant, 0, 12);
	for (i = 0; i < r->num_actions; i++) {
		const struct fl_action *a = &r->actions[i];
		__be32 val = cpu_to_be32(a->mangle.val);
		u32 raw_mask = (__force u32)cpu_to_be32(a->mangle.mask);
		__be32 word;

		if (a->id != FL_ACT_MANGLE || a->htype != FL_HDR_ETH || a->mangle.offset > 8)
			continue;
		if (raw_mask == 0xffff)
			memcpy(ppe + a->mangle.offset + 2, (u8 *)&val + 2, 2);
		else
			memcpy(ppe + a->mangle.offset, &val, raw_mask ? 2 : 4);
		memcpy(&word, meant + a->mangle.offset, 4);
		word = cpu_to_be32((be32_to_cpu(word) & a->mangle.mask) | a->mangle.val);
		memcpy(meant + a->mangle.offset, &word, 4);
	}
}

/* Port and address rewrites as the PPE reads them: whole fields, one per word. */
static bool ftnic_mtk_nat_readable(const struct fl_action *a)
{
	if (a->id != FL_ACT_MANGLE)
		return true;
	switch (a->htype) {
	case FL_HDR_TCP:
	case FL_HDR_UDP:
		/* offset 0: one port under a 16-bit mask (the other means source); offset 2: dst */
		return (a->mangle.offset == 0 &&
			(a->mangle.mask == 0x0000ffff || a->mangle.mask == 0xffff0000)) ||
		       (a->mangle.offset == 2 && !a->mangle.mask);
	case FL_HDR_IPV4:
		return (a->mangle.offset == 12 || a->mangle.offset == 16) && !a->mangle.mask;
	default:
		return true;
	}
}

/* MediaTek's PPE (mtk_ppe_offload.c of Linux 6.1). */
static int ftnic_check_mtk(struct ftnic_port *port, const struct flow_cls_offload *cls,
			   const struct ftnic_decoded *d)
{
	const struct fl_rule *r = &d->rule;
	unsigned int vlans = 0, pppoe = 0;
	u8 ppe[12], meant[12];
	u32 i;

	if (!(r->match.keys & FL_MATCH_INGRESS) || !(r->match.keys & FL_MATCH_CONTROL) ||
	    !(r->match.keys & FL_MATCH_BASIC))
		return ftnic_refuse(port, cls, FTNIC_REFUSE_KEY, -EOPNOTSUPP,
				    "mtk: meta, control and basic keys are required");
	if (!(r->match.keys & FL_MATCH_PORTS) || !(r->match.keys & (FL_MATCH_IPV4 | FL_MATCH_IPV6)))
		return ftnic_refuse(port, cls, FTNIC_REFUSE_KEY, -EOPNOTSUPP,
				    "mtk: addresses and ports are required (HNAPT / 5-tuple entries)");
	if (ftnic_has_action(r, FL_ACT_MANGLE, FL_HDR_IPV6))
		return ftnic_refuse(port, cls, FTNIC_REFUSE_IPV6_NAT, -EOPNOTSUPP,
				    "mtk: no IPv6 address rewrite");
	for (i = 0; i < r->num_actions; i++) {
		const struct fl_action *a = &r->actions[i];

		if (a->id == FL_ACT_VLAN_PUSH && (a->vlan.proto != ETH_P_8021Q || vlans + pppoe == 2))
			return ftnic_refuse(port, cls, FTNIC_REFUSE_ACTION, -EOPNOTSUPP,
					    "mtk: at most two pushes, 802.1Q tags only");
		if (a->id == FL_ACT_PPPOE_PUSH && (pppoe || vlans == 2))
			return ftnic_refuse(port, cls, FTNIC_REFUSE_ACTION, -EOPNOTSUPP,
					    "mtk: one PPPoE push, at most one VLAN with it");
		vlans += a->id == FL_ACT_VLAN_PUSH;
		pppoe += a->id == FL_ACT_PPPOE_PUSH;
		if (!ftnic_mtk_nat_readable(a))
			return ftnic_refuse(port, cls, FTNIC_REFUSE_ACTION, -EOPNOTSUPP,
					    "mtk: a port or address rewrite the PPE would misread");
	}
	ftnic_mtk_macs(r, ppe, meant);
	if (memcmp(ppe, meant, sizeof(ppe)))
		return ftnic_refuse(port, cls, FTNIC_REFUSE_MAC, -EOPNOTSUPP,
				    "mtk: Ethernet rewrite the PPE would misread");
	if (!is_valid_ether_addr(ppe) || !is_valid_ether_addr(ppe + 6))
		return ftnic_refuse(port, cls, FTNIC_REFUSE_MAC, -EINVAL,
				    "mtk: source or destination MAC invalid (zero?)");
	return 0;
}

static int ftnic_check_profile(struct ftnic_port *port, const struct flow_cls_offload *cls,
			       const struct ftnic_decoded *d)
{
	switch (port->profile) {
	case FTNIC_MLX5:
		return ftnic_check_mlx5(port, cls, &d->rule);
	case FTNIC_MTK:
		return ftnic_check_mtk(port, cls, d);
	default:
		return 0;
	}
}

/* ------------------------------------------------------------------ commands */

/* The broadcast filter: a rule names its ingress port; the PPE (mtk) ignores it. */
static bool ftnic_for_port(const struct ftnic_port *port, const struct fl_rule *r)
{
	if (port->profile == FTNIC_MTK || !(r->match.keys & FL_MATCH_INGRESS))
		return true;
	return r->match.ingress_ifindex == port->dev->ifindex;
}

/* A rule the port (or the shared table) holds already: the flowtable re-sent it. */
static int ftnic_replace_known(struct ftnic_port *port, struct ftnic_rule *r)
{
	if (r->port == port) {
		r->dup_replaces++;
		ftnic_count(port, replace_dup);
	} else {
		ftnic_count(port, replace_shared); /* the shared table deduplicating a broadcast */
	}
	return -EEXIST;
}

static int ftnic_faults(struct ftnic_port *port, const struct flow_cls_offload *cls)
{
	u32 capacity = READ_ONCE(ftnic_knobs.capacity);

	if (READ_ONCE(ftnic_knobs.refuse_all))
		return ftnic_refuse(port, cls, FTNIC_REFUSE_ALL, -EOPNOTSUPP,
				    "knob refuse_all is set");
	if (ftnic_knobs.fail_nth && ++ftnic_knobs.adds_seen == ftnic_knobs.fail_nth)
		return ftnic_refuse(port, cls, FTNIC_REFUSE_FAIL_NTH, -EIO,
				    "knob fail_nth: this add fails");
	if (capacity && ftnic_rule_count >= capacity)
		return ftnic_refuse(port, cls, FTNIC_REFUSE_FULL, -ENOSPC, "rule table full");
	return 0;
}

static int ftnic_replace_checked(struct ftnic_binding *b, struct flow_cls_offload *cls,
				 struct ftnic_decoded *d)
{
	struct ftnic_port *port = b->port;
	enum ftnic_decode_result dr;
	struct ftnic_rule *r;
	int err;

	dr = ftnic_decode(cls->rule, d);
	if (dr)
		return ftnic_refuse_decode(port, cls, dr, d);
	if (!ftnic_for_port(port, &d->rule))
		return ftnic_refuse(port, cls, FTNIC_REFUSE_FOREIGN, -EOPNOTSUPP, "another port's rule");
	r = ftnic_rule_find(cls->cookie, port);
	if (r)
		return ftnic_replace_known(port, r);
	err = ftnic_check_profile(port, cls, d);
	if (err)
		return err;
	if (ftx_check_rule(&d->rule) != FTX_OK)
		return ftnic_refuse(port, cls, FTNIC_REFUSE_ACTION, -EOPNOTSUPP,
				    ftx_result_name(ftx_check_rule(&d->rule)));
	if (!ftnic_is_port(d->redirect))
		return ftnic_refuse(port, cls, FTNIC_REFUSE_EGRESS, -EOPNOTSUPP,
				    "redirect to a device outside this NIC");
	err = ftnic_faults(port, cls);
	if (err)
		return err;
	r = ftnic_rule_create(b, cls, d);
	if (!r)
		return ftnic_refuse(port, cls, FTNIC_REFUSE_NOMEM, -ENOMEM, "no memory for the rule");
	ftnic_rule_insert(r);
	ftnic_count(port, replace_ok);
	return 0;
}

static int ftnic_replace(struct ftnic_binding *b, struct flow_cls_offload *cls)
{
	struct ftnic_port *port = b->port;
	struct ftnic_decoded *d;
	int err;

	if (!tc_can_offload(port->dev))
		return ftnic_refuse(port, cls, FTNIC_REFUSE_OFFLOAD_OFF, -EOPNOTSUPP,
				    "hw-tc-offload is off");
	/* The decoded rule is large (24 actions): not on the stack. */
	d = kmalloc(sizeof(*d), GFP_KERNEL);
	if (!d)
		return ftnic_refuse(port, cls, FTNIC_REFUSE_NOMEM, -ENOMEM, "no memory to decode");
	err = ftnic_replace_checked(b, cls, d);
	kfree(d);
	return err;
}

static int ftnic_destroy(struct ftnic_binding *b, struct flow_cls_offload *cls)
{
	struct ftnic_port *port = b->port;
	struct ftnic_rule *r = ftnic_rule_find(cls->cookie, port);

	if (r) {
		ftnic_rule_remove(r);
		ftnic_count(port, destroy_ok);
		return 0;
	}
	/* Another port's rule (every DESTROY reaches every port), or truly unknown. */
	if (ftnic_cookie_known(cls->cookie))
		ftnic_count(port, destroy_other);
	else
		ftnic_count(port, destroy_enoent);
	return -ENOENT;
}

static int ftnic_stats(struct ftnic_binding *b, struct flow_cls_offload *cls)
{
	struct ftnic_port *port = b->port;
	struct ftnic_rule *r = ftnic_rule_find(cls->cookie, port);

	ftnic_count(port, stats_calls);
	if (!r)
		return -ENOENT;
	ftnic_rule_report(r, &cls->stats);
	ftnic_count(port, stats_answered);
	return 0;
}

static int ftnic_command(struct ftnic_binding *b, struct flow_cls_offload *cls)
{
	switch (cls->command) {
	case FLOW_CLS_REPLACE:
		return ftnic_replace(b, cls);
	case FLOW_CLS_DESTROY:
		return ftnic_destroy(b, cls);
	case FLOW_CLS_STATS:
		return ftnic_stats(b, cls);
	default:
		return -EOPNOTSUPP;
	}
}

static int ftnic_block_cb(enum tc_setup_type type, void *type_data, void *cb_priv)
{
	struct ftnic_binding *b = cb_priv;
	u32 delay = READ_ONCE(ftnic_knobs.delay_ms);
	int err;

	if (type != TC_SETUP_CLSFLOWER)
		return -EOPNOTSUPP;
	/* Slow firmware: outside the lock, so that only this command waits. */
	if (delay)
		msleep(delay);
	mutex_lock(&ftnic_lock);
	err = b->port ? ftnic_command(b, type_data) : -EOPNOTSUPP;
	mutex_unlock(&ftnic_lock);
	return err;
}

/* ------------------------------------------------------------------ binding */

/* Rules still installed when the binding goes were left behind by the flowtable. */
static void ftnic_binding_detach(struct ftnic_binding *b)
{
	struct ftnic_port *port = b->port;
	unsigned int stale;

	lockdep_assert_held(&ftnic_lock);
	if (!port)
		return;
	stale = ftnic_binding_purge(b);
	if (stale) {
		ftnic_count_add(port, stale_at_unbind, stale);
		net_info_ratelimited("ftnic: %s: %u rules still installed at unbind, removed\n",
				     netdev_name(port->dev), stale);
	}
	list_del(&b->port_node);
	atomic_dec(&port->nbindings);
	b->port = NULL;
}

/* flow_block_cb_free() of the flowtable: the block is done with us. */
static void ftnic_binding_release(void *cb_priv)
{
	struct ftnic_binding *b = cb_priv;

	mutex_lock(&ftnic_lock);
	ftnic_binding_detach(b);
	mutex_unlock(&ftnic_lock);
	kfree(b);
}

static int ftnic_bind_refused(struct ftnic_port *port, int err, const char *why)
{
	ftnic_count(port, bind_refused);
	net_info_ratelimited("ftnic: %s: bind refused: %s (%d)\n", netdev_name(port->dev), why, err);
	return err;
}

static int ftnic_bind(struct ftnic_port *port, struct flow_block_offload *f)
{
	struct flow_block_cb *block_cb;
	struct ftnic_binding *b;

	block_cb = flow_block_cb_lookup(f->block, ftnic_block_cb, port);
	if (block_cb && port->profile == FTNIC_MLX5)
		return ftnic_bind_refused(port, -EBUSY, "mlx5: block already bound");
	if (block_cb) {
		flow_block_cb_incref(block_cb); /* like mtk: one callback per block and port */
		ftnic_count(port, binds);
		return 0;
	}
	if (port->profile == FTNIC_MLX5 && !list_empty(&port->bindings))
		return ftnic_bind_refused(port, -EBUSY, "mlx5: one flowtable per port");
	if (!tc_can_offload(port->dev))
		return ftnic_bind_refused(port, -EOPNOTSUPP, "hw-tc-offload is off");
	b = kzalloc(sizeof(*b), GFP_KERNEL);
	if (!b)
		return ftnic_bind_refused(port, -ENOMEM, "no memory");
	INIT_LIST_HEAD(&b->rules);
	b->port = port;
	block_cb = flow_block_cb_alloc(ftnic_block_cb, port, b, ftnic_binding_release);
	if (IS_ERR(block_cb)) {
		kfree(b);
		return ftnic_bind_refused(port, PTR_ERR(block_cb), "no memory");
	}
	b->block_cb = block_cb;
	flow_block_cb_incref(block_cb);
	flow_block_cb_add(block_cb, f);
	list_add_tail(&b->port_node, &port->bindings);
	atomic_inc(&port->nbindings);
	ftnic_count(port, binds);
	return 0;
}

static int ftnic_unbind(struct ftnic_port *port, struct flow_block_offload *f)
{
	struct flow_block_cb *block_cb;

	block_cb = flow_block_cb_lookup(f->block, ftnic_block_cb, port);
	if (!block_cb)
		return -ENOENT;
	ftnic_count(port, unbinds);
	if (flow_block_cb_decref(block_cb))
		return 0;
	ftnic_binding_detach(flow_block_cb_priv(block_cb));
	/* The flowtable frees it (flow_block_cb_free -> ftnic_binding_release). */
	flow_block_cb_remove(block_cb, f);
	return 0;
}

int ftnic_setup_ft(struct ftnic_port *port, struct flow_block_offload *f)
{
	int err;

	if (f->binder_type != FLOW_BLOCK_BINDER_TYPE_CLSACT_INGRESS)
		return -EOPNOTSUPP;
	mutex_lock(&ftnic_lock);
	switch (f->command) {
	case FLOW_BLOCK_BIND:
		err = ftnic_bind(port, f);
		break;
	case FLOW_BLOCK_UNBIND:
		err = ftnic_unbind(port, f);
		break;
	default:
		err = -EOPNOTSUPP;
		break;
	}
	mutex_unlock(&ftnic_lock);
	return err;
}

/* The port is being unregistered: flowtables should have unbound it already. */
void ftnic_port_detach(struct ftnic_port *port)
{
	struct ftnic_binding *b, *tmp;

	mutex_lock(&ftnic_lock);
	list_for_each_entry_safe(b, tmp, &port->bindings, port_node) {
		net_info_ratelimited("ftnic: %s: unregistered while still bound to a flowtable\n",
				     netdev_name(port->dev));
		ftnic_binding_detach(b);
	}
	mutex_unlock(&ftnic_lock);
}
