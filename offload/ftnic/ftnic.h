/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ftnic, the flowtable test NIC: a veth-like pair of Ethernet ports whose
 * "hardware" accepts the kernel's flowtable offload (TC_SETUP_FT blocks,
 * flower REPLACE / DESTROY / STATS) and executes the rules on frames that
 * arrive from the wire, so that offloaded traffic bypasses the stack of both
 * ends. Behaviour profiles imitate real drivers (exec, mlx5, mtk); fault
 * knobs and debugfs views show what a flowtable asks of the hardware.
 *
 * Locking: ftnic_lock (a mutex) serialises the control path: binds, rule
 * commands, views, device teardown. It is never held while taking rtnl (the
 * flowtable's unbind and device-down flushes run with rtnl held). The
 * datapath looks rules up under RCU; rules are freed with kfree_rcu().
 */
#ifndef FTNIC_H
#define FTNIC_H

#include <linux/atomic.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/netdevice.h>
#include <net/flow_offload.h>

#include "offload/ftnic/ftnic_decode.h"
#include "offload/ftnic/rule_exec.h"

#define FTNIC_KIND "ftnic"

enum ftnic_profile {
	FTNIC_EXEC, /* execute everything the engine can */
	FTNIC_MLX5, /* mlx5 representor restrictions */
	FTNIC_MTK,  /* MediaTek PPE restrictions: shared table, lastused-only stats */
	FTNIC_PROFILES
};

/* Why a REPLACE was refused; counted per port and logged (but FOREIGN). */
enum ftnic_refusal {
	FTNIC_REFUSE_FOREIGN,     /* the rule is for another port: the broadcast filter */
	FTNIC_REFUSE_OFFLOAD_OFF, /* hw-tc-offload is off on the port */
	FTNIC_REFUSE_KEY,         /* a key or mask the hardware cannot match */
	FTNIC_REFUSE_ACTION,      /* an action the hardware cannot carry out */
	FTNIC_REFUSE_EGRESS,      /* redirect to a device that is not an ftnic port */
	FTNIC_REFUSE_PRIO,        /* mlx5: priority outside the chain's range */
	FTNIC_REFUSE_CHAIN,       /* mlx5: chain other than 0 */
	FTNIC_REFUSE_CSUM,        /* mlx5: checksum without a header rewrite */
	FTNIC_REFUSE_PPPOE,       /* mlx5: PPPoE push */
	FTNIC_REFUSE_IPV6_NAT,    /* mtk: IPv6 address rewrite */
	FTNIC_REFUSE_MAC,         /* mtk: MACs the PPE would misread or are invalid */
	FTNIC_REFUSE_ALL,         /* the refuse_all knob */
	FTNIC_REFUSE_FAIL_NTH,    /* the fail_nth knob */
	FTNIC_REFUSE_FULL,        /* the capacity knob: -ENOSPC */
	FTNIC_REFUSE_NOMEM,
	FTNIC_REFUSALS
};

/* Why a frame that hit a rule went up the stack after all. */
enum ftnic_punt {
	FTNIC_PUNT_TTL,       /* the TTL / hop limit would expire */
	FTNIC_PUNT_ACTION,    /* an action does not fit this frame */
	FTNIC_PUNT_TAGS,      /* a pop without that header, an impossible header stack */
	FTNIC_PUNT_NO_EGRESS, /* the rule redirects nowhere */
	FTNIC_PUNT_EGRESS,    /* the redirect device is gone, down or not an ftnic port */
	FTNIC_PUNT_MTU,       /* the frame exceeds the egress MTU */
	FTNIC_PUNT_LOOP,      /* too many hardware hops for one frame */
	FTNIC_PUNT_NOMEM,     /* the frame could not be made writable */
	FTNIC_PUNTS
};

/* Counters, per port and summed over the module (ftnic_totals). */
struct ftnic_counters {
	atomic64_t binds, unbinds, bind_refused;
	atomic64_t replace_ok, replace_dup, replace_shared;
	atomic64_t refused[FTNIC_REFUSALS];
	atomic64_t destroy_ok, destroy_other, destroy_enoent;
	atomic64_t stats_calls, stats_answered;
	atomic64_t hits, hit_bytes, misses;
	atomic64_t punts[FTNIC_PUNTS];
	atomic64_t stale_at_unbind;
};

struct ftnic_port {
	struct net_device __rcu *peer;
	struct net_device *dev;
	struct list_head node;     /* ftnic_ports; ftnic_lock */
	struct list_head bindings; /* struct ftnic_binding; ftnic_lock */
	unsigned int id;           /* unique in the module, never 0 */
	int profile;               /* enum ftnic_profile; ftnic_lock, READ_ONCE on the datapath */
	atomic_t nbindings;        /* the datapath skips the lookup without a binding */
	atomic_t nrules;           /* rules installed by this port's bindings */
	struct dentry *debugfs;
	struct ftnic_counters c;
	atomic64_t rx_packets, rx_bytes, rx_dropped;
	atomic64_t tx_packets, tx_bytes, tx_dropped;
};

/* One flowtable block bound to a port (the cb_priv of its flow_block_cb). */
struct ftnic_binding {
	struct list_head port_node; /* port->bindings */
	struct list_head rules;     /* struct ftnic_rule installed through this binding */
	struct ftnic_port *port;    /* NULL once detached (unbound or device gone) */
	struct flow_block_cb *block_cb;
};

struct ftnic_rule {
	struct hlist_node cookie_node;  /* ftnic_lock */
	struct hlist_node key_node;     /* exact rules, RCU */
	struct list_head masked_node;   /* other rules, RCU */
	struct list_head binding_node;  /* ftnic_lock */
	struct rcu_head rcu;
	struct ftnic_binding *binding;
	struct ftnic_port *port;        /* the owner */
	unsigned long cookie;
	u32 key_port;                   /* port id the rule applies on, 0: any bound port (mtk) */
	bool exact;
	int profile;                    /* the owner's profile at install */
	u32 prio, chain;
	struct ftx_key key;
	struct fl_rule rule;            /* as decoded; the engine executes it */
	atomic64_t packets, bytes;
	unsigned long lastused;         /* jiffies; WRITE_ONCE from the datapath */
	u64 reported_packets, reported_bytes; /* ftnic_lock */
	u32 dup_replaces;
};

/* Runtime knobs (debugfs); the datapath reads them with READ_ONCE. */
struct ftnic_knobs {
	int default_profile;   /* for new ports */
	bool dec_ttl;          /* implicit TTL / hop limit decrement */
	bool fix_csum;         /* keep checksums right across mangles */
	u32 mlx5_prio_range;   /* mlx5: priorities below this are accepted */
	u32 capacity;          /* rules in the whole NIC, 0: unlimited */
	u32 fail_nth;          /* the Nth add from now fails with -EIO, 0: off */
	u32 adds_seen;         /* adds since fail_nth was set; ftnic_lock */
	bool refuse_all;       /* every add fails with -EOPNOTSUPP */
	u32 delay_ms;          /* sleep in every rule command */
};

/* ftnic_main.c */
extern struct mutex ftnic_lock;
extern struct list_head ftnic_ports;
extern struct ftnic_knobs ftnic_knobs;
extern struct ftnic_counters ftnic_totals;
extern const char *const ftnic_profile_names[FTNIC_PROFILES];
extern const char *const ftnic_refusal_names[FTNIC_REFUSALS];
extern const char *const ftnic_punt_names[FTNIC_PUNTS];
int ftnic_profile_parse(const char *name);

#define ftnic_count(port, field) \
	do { atomic64_inc(&(port)->c.field); atomic64_inc(&ftnic_totals.field); } while (0)
#define ftnic_count_add(port, field, n) \
	do { atomic64_add(n, &(port)->c.field); atomic64_add(n, &ftnic_totals.field); } while (0)

/* ftnic_dev.c */
extern struct rtnl_link_ops ftnic_link_ops;
bool ftnic_is_port(const struct net_device *dev);

/* ftnic_tc.c */
int ftnic_setup_ft(struct ftnic_port *port, struct flow_block_offload *f);
void ftnic_port_detach(struct ftnic_port *port);

/* ftnic_rules.c */
extern unsigned int ftnic_rule_count;
struct ftnic_rule *ftnic_rule_create(struct ftnic_binding *b, const struct flow_cls_offload *cls,
				     const struct ftnic_decoded *d);
void ftnic_rule_insert(struct ftnic_rule *r);
void ftnic_rule_remove(struct ftnic_rule *r);
struct ftnic_rule *ftnic_rule_find(unsigned long cookie, const struct ftnic_port *port);
bool ftnic_cookie_known(unsigned long cookie);
void ftnic_rule_report(struct ftnic_rule *r, struct flow_stats *stats);
unsigned int ftnic_binding_purge(struct ftnic_binding *b);
void ftnic_rules_drain(void);
void ftnic_rules_walk(void (*fn)(struct ftnic_rule *r, void *arg), void *arg);
struct ftnic_rule *ftnic_rule_lookup(const struct ftnic_port *port, const u8 *frame,
				     const struct ftx_layout *lay);
void ftnic_rule_hit(struct ftnic_rule *r, unsigned int bytes);

/* ftnic_debugfs.c */
int ftnic_debugfs_init(void);
void ftnic_debugfs_exit(void);
void ftnic_debugfs_port_add(struct ftnic_port *port);
void ftnic_debugfs_port_remove(struct ftnic_port *port);

#endif /* FTNIC_H */
