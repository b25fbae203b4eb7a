// SPDX-License-Identifier: GPL-2.0
/*
 * The NIC's rule memory, one for the whole module (the "chip"): rules by
 * cookie for the control path, and for the datapath exact rules in a hash
 * keyed on addresses, protocol and ports (like a flow engine's exact-match
 * table) plus a short list of the others (like its TCAM). Writers hold
 * ftnic_lock; the datapath reads under RCU.
 */
#include <linux/hash.h>
#include <linux/jhash.h>
#include <linux/rculist.h>
#include <linux/slab.h>

#include "offload/ftnic/ftnic.h"

#define FTNIC_HASH_BITS 10

static struct hlist_head ftnic_by_cookie[1 << FTNIC_HASH_BITS];
static struct hlist_head ftnic_by_key[1 << FTNIC_HASH_BITS];
static LIST_HEAD(ftnic_masked);
unsigned int ftnic_rule_count; /* ftnic_lock */

/*
 * Cookies destroyed lately: in the shared (mtk) table one callback's DESTROY
 * removes a rule the next callback of the same broadcast then misses; that is
 * not an unknown cookie.
 */
#define FTNIC_RECENT 64
static unsigned long ftnic_recent[FTNIC_RECENT];
static unsigned int ftnic_recent_next;

static struct hlist_head *ftnic_cookie_bucket(unsigned long cookie)
{
	return &ftnic_by_cookie[hash_long(cookie, FTNIC_HASH_BITS)];
}

static struct hlist_head *ftnic_key_bucket(const struct ftx_key *key, u32 key_port)
{
	return &ftnic_by_key[jhash(key, sizeof(*key), key_port) & ((1 << FTNIC_HASH_BITS) - 1)];
}

/* The port id a rule of @port applies on: 0 in the shared table, where the PPE ignores ports. */
static u32 ftnic_key_port(const struct ftnic_port *port, int profile)
{
	return profile == FTNIC_MTK ? 0 : port->id;
}

struct ftnic_rule *ftnic_rule_create(struct ftnic_binding *b, const struct flow_cls_offload *cls,
				     const struct ftnic_decoded *d)
{
	struct ftnic_port *port = b->port;
	struct ftnic_rule *r;

	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		return NULL;
	INIT_LIST_HEAD(&r->masked_node);
	r->binding = b;
	r->port = port;
	r->cookie = cls->cookie;
	r->profile = port->profile;
	r->key_port = ftnic_key_port(port, r->profile);
	r->prio = cls->common.prio;
	r->chain = cls->common.chain_index;
	r->rule = d->rule;
	r->rule.cookie = cls->cookie;
	r->rule.priority = cls->common.prio;
	r->exact = ftx_rule_key(&r->rule.match, &r->key);
	/* Hardware counters start at install: a rule never hit has not been idle longer. */
	r->lastused = jiffies;
	return r;
}

void ftnic_rule_insert(struct ftnic_rule *r)
{
	lockdep_assert_held(&ftnic_lock);
	hlist_add_head(&r->cookie_node, ftnic_cookie_bucket(r->cookie));
	list_add_tail(&r->binding_node, &r->binding->rules);
	if (r->exact)
		hlist_add_head_rcu(&r->key_node, ftnic_key_bucket(&r->key, r->key_port));
	else
		list_add_tail_rcu(&r->masked_node, &ftnic_masked);
	atomic_inc(&r->port->nrules);
	ftnic_rule_count++;
}

void ftnic_rule_remove(struct ftnic_rule *r)
{
	lockdep_assert_held(&ftnic_lock);
	hlist_del(&r->cookie_node);
	list_del(&r->binding_node);
	if (r->exact)
		hlist_del_rcu(&r->key_node);
	else
		list_del_rcu(&r->masked_node);
	atomic_dec(&r->port->nrules);
	ftnic_rule_count--;
	ftnic_recent[ftnic_recent_next++ % FTNIC_RECENT] = r->cookie;
	kfree_rcu(r, rcu);
}

/* The rule @port answers for under @cookie: its own, or the shared one (mtk). */
struct ftnic_rule *ftnic_rule_find(unsigned long cookie, const struct ftnic_port *port)
{
	u32 key_port = ftnic_key_port(port, port->profile);
	struct ftnic_rule *r;

	lockdep_assert_held(&ftnic_lock);
	hlist_for_each_entry(r, ftnic_cookie_bucket(cookie), cookie_node)
		if (r->cookie == cookie && (r->key_port ? r->port == port : !key_port))
			return r;
	return NULL;
}

/* Is @cookie installed anywhere, or was it removed a moment ago? */
bool ftnic_cookie_known(unsigned long cookie)
{
	struct ftnic_rule *r;
	unsigned int i;

	lockdep_assert_held(&ftnic_lock);
	hlist_for_each_entry(r, ftnic_cookie_bucket(cookie), cookie_node)
		if (r->cookie == cookie)
			return true;
	for (i = 0; i < FTNIC_RECENT; i++)
		if (ftnic_recent[i] == cookie)
			return true;
	return false;
}

/*
 * Answer FLOW_CLS_STATS. Every callback of the block sees the same request,
 * so add to what is there (flow_stats_update) and report deltas. The MediaTek
 * PPE of Linux 6.1 reports only when an entry was last used.
 */
void ftnic_rule_report(struct ftnic_rule *r, struct flow_stats *stats)
{
	u64 packets = atomic64_read(&r->packets), bytes = atomic64_read(&r->bytes);
	unsigned long lastused = READ_ONCE(r->lastused);

	lockdep_assert_held(&ftnic_lock);
	if (r->profile == FTNIC_MTK) {
		flow_stats_update(stats, 0, 0, 0, lastused, FLOW_ACTION_HW_STATS_DELAYED);
		return;
	}
	flow_stats_update(stats, bytes - r->reported_bytes, packets - r->reported_packets, 0,
			  lastused, FLOW_ACTION_HW_STATS_DELAYED);
	r->reported_packets = packets;
	r->reported_bytes = bytes;
}

/* Remove every rule installed through @b; returns how many there were. */
unsigned int ftnic_binding_purge(struct ftnic_binding *b)
{
	struct ftnic_rule *r, *tmp;
	unsigned int n = 0;

	lockdep_assert_held(&ftnic_lock);
	list_for_each_entry_safe(r, tmp, &b->rules, binding_node) {
		ftnic_rule_remove(r);
		n++;
	}
	return n;
}

/* Every installed rule, for the views. */
void ftnic_rules_walk(void (*fn)(struct ftnic_rule *r, void *arg), void *arg)
{
	struct ftnic_rule *r;
	unsigned int i;

	lockdep_assert_held(&ftnic_lock);
	for (i = 0; i < ARRAY_SIZE(ftnic_by_cookie); i++)
		hlist_for_each_entry(r, &ftnic_by_cookie[i], cookie_node)
			fn(r, arg);
}

/* At unload: whatever is left (nothing, unless a flowtable never unbound). */
void ftnic_rules_drain(void)
{
	struct ftnic_rule *r;
	struct hlist_node *tmp;
	unsigned int i;

	lockdep_assert_held(&ftnic_lock);
	for (i = 0; i < ARRAY_SIZE(ftnic_by_cookie); i++)
		hlist_for_each_entry_safe(r, tmp, &ftnic_by_cookie[i], cookie_node)
			ftnic_rule_remove(r);
}

/* ------------------------------------------------------------------ datapath */

static bool ftnic_rule_matches(const struct ftnic_rule *r, const struct ftnic_port *port,
			       const u8 *frame, const struct ftx_layout *lay)
{
	/* A port-blind rule (mtk) passes its own ingress test. */
	s32 ingress = r->key_port ? port->dev->ifindex : r->rule.match.ingress_ifindex;

	return ftx_match(&r->rule.match, ingress, frame, lay);
}

/* The rule a frame arriving at @port hits, or NULL. Under RCU. */
struct ftnic_rule *ftnic_rule_lookup(const struct ftnic_port *port, const u8 *frame,
				     const struct ftx_layout *lay)
{
	u32 key_port = ftnic_key_port(port, READ_ONCE(port->profile));
	struct ftnic_rule *r;
	struct ftx_key key;

	ftx_frame_key(frame, lay, &key);
	hlist_for_each_entry_rcu(r, ftnic_key_bucket(&key, key_port), key_node)
		if (r->key_port == key_port && !memcmp(&r->key, &key, sizeof(key)) &&
		    ftnic_rule_matches(r, port, frame, lay))
			return r;
	list_for_each_entry_rcu(r, &ftnic_masked, masked_node)
		if (r->key_port == key_port && ftnic_rule_matches(r, port, frame, lay))
			return r;
	return NULL;
}

void ftnic_rule_hit(struct ftnic_rule *r, unsigned int bytes)
{
	atomic64_inc(&r->packets);
	atomic64_add(bytes, &r->bytes);
	WRITE_ONCE(r->lastused, jiffies);
}
