/* SPDX-License-Identifier: GPL-2.0 */
/*
 * flowlane hardware offload: flows pushed to NICs as flower-style rules.
 *
 * With FL_FLOWTABLE_HW_OFFLOAD, every flow the table adds is also queued to
 * the offload engine, which lowers each direction into a struct fl_rule
 * (Linux 6.1's flowtable rule: matches with masks, ordered actions) and
 * broadcasts it to every driver callback bound to the flowtable, as the
 * kernel does with TC_SETUP_FT blocks and FLOW_CLS_REPLACE / DESTROY / STATS
 * commands. A flow is in hardware when some callback accepted each of its
 * directions. Statistics come back and keep offloaded flows alive (a recent
 * lastused suffices). A flow no driver takes stays on the software fastpath,
 * with the reason counted.
 */
#ifndef FLOWLANE_OFFLOAD_H
#define FLOWLANE_OFFLOAD_H

#include "flowlane/flowtable.h"

FL_EXTERN_C_BEGIN

/* ------------------------------------------------------------------- rules */

/*
 * A rule is one flow direction lowered into exactly what Linux 6.1's
 * nf_flow_table hands drivers in a TC_SETUP_FT block (struct flow_rule: the
 * dissector keys of struct nf_flow_key, then flow_action entries in stock
 * order and granularity). The kernel shim translates it field for field
 * (nf_flow_table/kernel/hw_rule.c); the mock NIC executes it as hardware
 * would (sim/router/mock_nic.cpp). Documentation/offload.rst lists where the
 * lowering deliberately differs from stock.
 */

enum fl_match_keys {
	FL_MATCH_INGRESS = 1u << 0,   /* META: ingress ifindex */
	FL_MATCH_BASIC = 1u << 1,     /* ethertype and IP protocol */
	FL_MATCH_IPV4 = 1u << 2,      /* IPv4 addresses */
	FL_MATCH_IPV6 = 1u << 3,      /* IPv6 addresses */
	FL_MATCH_PORTS = 1u << 4,
	FL_MATCH_TCP_FLAGS = 1u << 5,
	FL_MATCH_VLAN = 1u << 6,      /* outer VLAN */
	FL_MATCH_CVLAN = 1u << 7,     /* inner VLAN */
	FL_MATCH_PPPOE = 1u << 8,     /* PPPoE session (no Linux 6.1 form: never lowered) */
	FL_MATCH_TUNNEL = 1u << 9,    /* tunnel key id and outer addresses */
	FL_MATCH_CONTROL = 1u << 10,  /* address type: with every IPV4/IPV6 match */
};

struct fl_match_vlan {
	fl_u16 id, id_mask;
	fl_u16 tpid; /* ethertype of the tag, host order */
};

/* What a rule matches; a field counts only when its key bit is in @keys. */
struct fl_rule_match {
	fl_u32 keys; /* enum fl_match_keys */
	fl_s32 ingress_ifindex;
	fl_u16 n_proto, n_proto_mask; /* ethertype of the IP packet, host order */
	fl_u8 ip_proto, ip_proto_mask;
	fl_u8 l3proto;                /* FL_L3_IPV4 or FL_L3_IPV6 (address type) */
	struct fl_addr src, src_mask;
	struct fl_addr dst, dst_mask;
	fl_be16 sport, sport_mask, dport, dport_mask;
	/* The low byte of the TCP flags (FIN 0x01 ... ); rules match FIN and RST
	 * clear, so that those packets miss and reach the software path. */
	fl_u8 tcp_flags, tcp_flags_mask;
	struct fl_match_vlan vlan, cvlan;
	fl_u16 pppoe_sid;
	fl_u32 tunnel_key_id;
	struct fl_addr tunnel_src, tunnel_dst;
};

/*
 * Actions, named after Linux's flow_action ids. The lowering emits only what
 * Linux 6.1 has a form for. There is no TTL action in Linux's flowtable rules:
 * the hardware decrements the TTL (hop limit) and fixes the IPv4 header
 * checksum itself. FL_ACT_DEC_TTL and FL_ACT_PPPOE_POP (and FL_MATCH_PPPOE)
 * are never lowered; they remain for executors of hand-written rules (the
 * test NIC's engine runs both kinds).
 */
enum fl_action_id {
	FL_ACT_MANGLE = 1,    /* 32-bit word: new = (old & mask) | val */
	FL_ACT_DEC_TTL,       /* decrement the IPv4 TTL / IPv6 hop limit (never lowered) */
	FL_ACT_CSUM,          /* recompute the IPv4 header and/or L4 checksums */
	FL_ACT_VLAN_POP,      /* remove the outermost VLAN tag */
	FL_ACT_VLAN_PUSH,     /* insert a VLAN tag; a rule's pushes come outermost first */
	FL_ACT_PPPOE_POP,     /* remove the outermost PPPoE session header (never lowered) */
	FL_ACT_PPPOE_PUSH,    /* insert a PPPoE session header (after the pushes before it) */
	FL_ACT_TUNNEL_ENCAP,
	FL_ACT_TUNNEL_DECAP,
	FL_ACT_REDIRECT,      /* send out of @redirect.ifindex */
};

enum fl_mangle_header {
	FL_HDR_ETH = 1,  /* offsets from the Ethernet header */
	FL_HDR_IPV4,     /* from the IP header */
	FL_HDR_IPV6,
	FL_HDR_TCP,      /* from the transport header */
	FL_HDR_UDP,
};

enum fl_csum_flags {
	FL_CSUM_IPV4HDR = 0x1,
	FL_CSUM_TCP = 0x2,
	FL_CSUM_UDP = 0x4,
};

struct fl_action {
	fl_u8 id;     /* enum fl_action_id */
	fl_u8 htype;  /* FL_ACT_MANGLE: enum fl_mangle_header */
	fl_u16 reserved;
	union {
		struct {
			fl_u32 offset; /* bytes from the header start, multiple of 4 */
			fl_u32 mask;   /* bits kept, host order of the big-endian word */
			fl_u32 val;    /* bits set (never under @mask), same order */
		} mangle;
		fl_u32 csum_flags;
		struct {
			fl_u16 id;
			fl_u16 proto; /* tag ethertype, host order */
		} vlan;
		struct {
			fl_u16 sid;
		} pppoe;
		struct {
			fl_u32 key_id;
			struct fl_addr src, dst;
		} tunnel;
		struct {
			fl_s32 ifindex;
		} redirect;
	};
};

/*
 * The most actions one direction can need: tunnel decapsulation and
 * encapsulation, the Ethernet source and destination (four partial-word
 * mangles), two VLAN pops and two pushes, IPv6 SNAT and DNAT (four address
 * words and a port word each) and the redirect: 21. Linux 6.1.192 gives
 * drivers at most 24 (NF_FLOW_RULE_ACTION_MAX; older 6.1 releases reserved 16
 * and wrote past them for IPv6 with QinQ and NAT). Every append here is
 * bounded: a rule that would not fit fails with -E2BIG, nothing is written
 * past the array.
 */
#define FL_RULE_WORST_CASE_ACTIONS 21
#define FL_RULE_MAX_ACTIONS 24

struct fl_rule {
	fl_u64 cookie;   /* identifies flow and direction to the driver */
	fl_u32 priority; /* the flowtable's hook priority (as a u32, like Linux); chain 0 */
	fl_u8 dir;       /* enum fl_dir */
	fl_u8 reserved[3];
	struct fl_rule_match match;
	fl_u32 num_actions;
	struct fl_action actions[FL_RULE_MAX_ACTIONS];
};

/*
 * Lower one direction of @flow into @rule (exposed for views and tests; the
 * engine uses the same lowering with its priority and neighbour resolver).
 * Neighbour-transmit flows need the engine's resolver: here they fail with
 * -ENOENT. Under RCU. failure: -E2BIG if the actions would not fit,
 * -EOPNOTSUPP for flows Linux's rule format cannot describe (PPPoE on the
 * ingress side, IPsec transmit), -ENOENT.
 */
int fl_offload_build_rule(const struct fl_flow *flow, enum fl_dir dir,
			  struct fl_rule *rule) FL_NOEXCEPT;

/* ------------------------------------------------------------------ drivers */

/* Setup types, as in ndo_setup_tc: bind a device to the flowtable's block, then
 * per-rule flower commands on the callback the driver registered. */
enum fl_setup_type {
	FL_SETUP_FT = 1,
	FL_SETUP_CLSFLOWER = 2,
};

enum fl_rule_cmd {
	FL_RULE_REPLACE = 1,
	FL_RULE_DESTROY = 2,
	FL_RULE_STATS = 3,
};

/*
 * Statistics of one rule. Every callback of the block sees the same request
 * and adds to it (as drivers do with flow_stats_update()): packets and bytes
 * since its last report, @lastused raised to its last hit. Drivers that count
 * no packets (MediaTek's in Linux 6.1) report @lastused alone.
 */
struct fl_rule_stats {
	fl_u64 packets;
	fl_u64 bytes;
	fl_u32 lastused; /* tick of the last hit (fl_time_ticks() base) */
	bool used;       /* @lastused is meaningful */
};

/* type_data of FL_SETUP_CLSFLOWER. */
struct fl_rule_request {
	fl_u8 cmd;                   /* enum fl_rule_cmd */
	fl_u64 cookie;
	const struct fl_rule *rule;  /* FL_RULE_REPLACE */
	struct fl_rule_stats stats;  /* FL_RULE_STATS: filled by the drivers */
	fl_s32 err;                  /* set by the block: the most telling refusal */
};

/*
 * Record callback error @err in @req: a refusal other than -EOPNOTSUPP (which
 * drivers answer for rules of ports that are not theirs) wins, the first of
 * those is kept. Used by every block dispatcher so that the reasons agree.
 */
static inline void fl_rule_request_note_error(struct fl_rule_request *req, int err)
{
	if (!req->err || req->err == -95 /* EOPNOTSUPP */)
		req->err = err;
}

/* The per-block callback a driver registers when bound. 0 or -errno. */
typedef int (*fl_block_cb)(enum fl_setup_type type, void *type_data, void *cb_priv);

enum fl_block_command {
	FL_BLOCK_BIND = 1,
	FL_BLOCK_UNBIND = 2,
};

/*
 * type_data of FL_SETUP_FT: on bind the driver fills in its callback. A
 * driver that serves several ports with one callback (MediaTek's PPE) returns
 * the same @cb and @cb_priv for each: the block holds it once.
 */
struct fl_block_bind {
	fl_u8 command; /* enum fl_block_command */
	fl_s32 ifindex;
	fl_block_cb cb;
	void *cb_priv;
};

/* A device's offload entry point (ndo_setup_tc). 0 or -errno (-EOPNOTSUPP). */
typedef int (*fl_setup_fn)(void *dev_priv, enum fl_setup_type type, void *type_data);

/* ------------------------------------------------------------------ engine */

struct fl_offload;

/*
 * Why flows stayed on the software fastpath, and what the hardware holds.
 * Every failed add attempt is counted once in @add_failed and once under its
 * reason (refused ... no_memory); software traffic retries a failed flow.
 */
struct fl_offload_stats {
	fl_u64 adds;          /* flows offloaded (both directions accepted) */
	fl_u64 add_failed;    /* add attempts that left the flow in software */
	fl_u64 dels;          /* flows removed from hardware */
	fl_u64 stats_polls;   /* statistics fetched */
	fl_u64 refreshed;     /* flows kept alive by hardware use (lastused) */
	fl_u64 no_memory;     /* a work item or rule could not be allocated */
	fl_u64 no_device;     /* no driver callback answered (none bound, redirect device gone) */
	fl_u64 queued;        /* work items queued in all */
	fl_u64 offloaded;     /* flows in hardware now */
	fl_u64 refused;       /* the drivers refused the rule */
	fl_u64 full;          /* ... because their table is full (-ENOSPC) */
	fl_u64 no_neigh;      /* the next hop has no valid neighbour entry yet */
	fl_u64 unsupported;   /* no Linux 6.1 rule form (PPPoE ingress, IPsec transmit) */
	fl_u64 too_big;       /* more actions than a rule holds */
	fl_u64 rollbacks;     /* one direction accepted, the other not: taken back */
};

/* What the engine needs from its platform; every member may be NULL. */
struct fl_offload_ops {
	/*
	 * Send @req to every driver callback bound to the flowtable (Linux
	 * broadcasts each flower command to the whole block) and return how many
	 * accepted it (>= 0), noting refusals with fl_rule_request_note_error();
	 * or -errno when it could not be sent at all (-ENOMEM; -ENODEV: the
	 * redirect device is gone). NULL: the engine's own block, made of the
	 * drivers bound with fl_offload_bind(). context: sleep (the engine's
	 * work), no engine lock held; never concurrently with itself.
	 */
	int (*dispatch)(void *priv, struct fl_rule_request *req);
	/*
	 * The MACs of a neighbour-transmit direction: the next hop's toward
	 * @daddr over @route (a valid neighbour entry only) and the route's
	 * device @ifindex's own (what software sends with). 0, -ENOENT (not
	 * resolved yet), -ENODEV. NULL: such flows are not offloaded (no_neigh).
	 * context: sleep.
	 */
	int (*neigh_macs)(void *priv, void *route, const struct fl_addr *daddr, fl_u8 l3proto,
			  fl_s32 ifindex, fl_u8 *h_dest, fl_u8 *h_source);
	/* The flow's rules are now in hardware (true) or no longer (false). context: sleep. */
	void (*hw_state)(void *priv, void *ct, bool offloaded);
};

/*
 * Create the engine and attach it to @ft, which must have been created with
 * FL_FLOWTABLE_HW_OFFLOAD; it reaches drivers through @ops (may be NULL: its
 * own block) with @priv. context: sleep. failure: -EINVAL, -ENOMEM.
 * Destroy the table first (it removes every flow from hardware), then the engine.
 */
int fl_offload_create_with(struct fl_flowtable *ft, const struct fl_offload_ops *ops,
			   void *priv, struct fl_offload **out) FL_NOEXCEPT;
/* The same with no ops: drivers are bound with fl_offload_bind(). */
int fl_offload_create(struct fl_flowtable *ft, struct fl_offload **out) FL_NOEXCEPT;
void fl_offload_destroy(struct fl_offload *off) FL_NOEXCEPT;

/* The priority of rules from now on: the flowtable's hook priority. context: any. */
void fl_offload_set_priority(struct fl_offload *off, fl_u32 priority) FL_NOEXCEPT;

/*
 * Own block: bind device @ifindex, calling @setup(@dev_priv, FL_SETUP_FT,
 * struct fl_block_bind*); the callback it returns joins the block (once, if
 * several ports share it). context: sleep.
 * failure: the driver's error (-EOPNOTSUPP), -EEXIST, -ENOSPC, -EINVAL (the
 * engine has @ops->dispatch: binding is the platform's).
 */
int fl_offload_bind(struct fl_offload *off, fl_s32 ifindex, fl_setup_fn setup,
		    void *dev_priv) FL_NOEXCEPT;

/*
 * Release device @ifindex before its driver is unbound: the flows that enter
 * or leave through it are torn down (they go back to conntrack) and this
 * returns only once their rules have been destroyed, while the driver's
 * callback is still in the block. Own block: then the driver is unbound. Takes
 * no platform lock besides the engine's and the table's. context: sleep.
 */
void fl_offload_unbind(struct fl_offload *off, fl_s32 ifindex) FL_NOEXCEPT;

/* Wait until every queued hardware operation has run. context: sleep. */
void fl_offload_flush(struct fl_offload *off) FL_NOEXCEPT;

void fl_offload_stats(const struct fl_offload *off, struct fl_offload_stats *st) FL_NOEXCEPT;

FL_EXTERN_C_END

#endif /* FLOWLANE_OFFLOAD_H */
