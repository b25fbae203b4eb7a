/* SPDX-License-Identifier: GPL-2.0 */
/*
 * flowlane hardware offload: flows pushed to NICs as flower-style rules.
 *
 * With FL_FLOWTABLE_HW_OFFLOAD, every flow the table adds is also queued to
 * the offload engine, which translates each direction into a struct fl_rule
 * (matches with masks, ordered actions) and hands it to the driver of the
 * direction's ingress device, in the manner of the kernel's TC_SETUP_FT block
 * and FLOW_CLS_REPLACE / DESTROY / STATS commands. Statistics come back and
 * keep offloaded flows alive. A driver that refuses leaves the flow on the
 * software fastpath.
 */
#ifndef FLOWLANE_OFFLOAD_H
#define FLOWLANE_OFFLOAD_H

#include "flowlane/flowtable.h"

FL_EXTERN_C_BEGIN

/* ------------------------------------------------------------------- rules */

enum fl_match_keys {
	FL_MATCH_INGRESS = 1u << 0,   /* ingress ifindex */
	FL_MATCH_BASIC = 1u << 1,     /* ethertype and IP protocol */
	FL_MATCH_IPV4 = 1u << 2,      /* IPv4 addresses */
	FL_MATCH_IPV6 = 1u << 3,      /* IPv6 addresses */
	FL_MATCH_PORTS = 1u << 4,
	FL_MATCH_TCP_FLAGS = 1u << 5,
	FL_MATCH_VLAN = 1u << 6,      /* outer VLAN */
	FL_MATCH_CVLAN = 1u << 7,     /* inner VLAN */
	FL_MATCH_PPPOE = 1u << 8,     /* PPPoE session */
	FL_MATCH_TUNNEL = 1u << 9,    /* tunnel key id and outer addresses */
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
	fl_u8 tcp_flags, tcp_flags_mask; /* FIN and RST must be clear: they miss */
	struct fl_match_vlan vlan, cvlan;
	fl_u16 pppoe_sid;
	fl_u32 tunnel_key_id;
	struct fl_addr tunnel_src, tunnel_dst;
};

enum fl_action_id {
	FL_ACT_MANGLE = 1,    /* 32-bit word: new = (old & mask) | val */
	FL_ACT_DEC_TTL,       /* decrement the IPv4 TTL / IPv6 hop limit */
	FL_ACT_CSUM,          /* recompute the IPv4 header and/or L4 checksums */
	FL_ACT_VLAN_POP,      /* remove the outermost VLAN tag */
	FL_ACT_VLAN_PUSH,     /* insert a VLAN tag as the outermost */
	FL_ACT_PPPOE_POP,     /* remove the outermost PPPoE session header */
	FL_ACT_PPPOE_PUSH,    /* insert a PPPoE session header as the outermost */
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
			fl_u32 val;    /* bits set, host order of the big-endian word */
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
 * The most actions one direction can need: Ethernet destination and source (3
 * word mangles), IPv6 SNAT and DNAT (4 address words and 1 port word each), the
 * TTL decrement, a checksum update, two encapsulation pops and two pushes,
 * tunnel decapsulation and encapsulation, and the redirect: 22. The kernel's 6.1 builder reserved 16
 * and overflowed at 17 (CVE-2026-43329). Here the array holds the worst case
 * with room to spare, and every append is bounded besides: the builder fails
 * cleanly (-E2BIG), it never writes past the array.
 */
#define FL_RULE_WORST_CASE_ACTIONS 22
#define FL_RULE_MAX_ACTIONS 24

struct fl_rule {
	fl_u64 cookie;   /* identifies flow and direction to the driver */
	fl_u32 priority;
	fl_u8 dir;       /* enum fl_dir */
	fl_u8 reserved[3];
	struct fl_rule_match match;
	fl_u32 num_actions;
	struct fl_action actions[FL_RULE_MAX_ACTIONS];
};

/*
 * Translate one direction of @flow into @rule (used by the engine; exposed for
 * views and tests). Under RCU. failure: -E2BIG if the actions would not fit,
 * -EINVAL for flows a rule cannot describe.
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
	struct fl_rule_stats stats;  /* FL_RULE_STATS: filled by the driver */
};

/* The per-block callback a driver registers when bound. 0 or -errno. */
typedef int (*fl_block_cb)(enum fl_setup_type type, void *type_data, void *cb_priv);

enum fl_block_command {
	FL_BLOCK_BIND = 1,
	FL_BLOCK_UNBIND = 2,
};

/* type_data of FL_SETUP_FT: on bind the driver fills in its callback. */
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

struct fl_offload_stats {
	fl_u64 adds;          /* flows offloaded (both directions accepted) */
	fl_u64 add_failed;    /* a driver refused: the flow stays in software */
	fl_u64 dels;          /* flows removed from hardware */
	fl_u64 stats_polls;   /* statistics fetched */
	fl_u64 refreshed;     /* flows kept alive by hardware traffic */
	fl_u64 no_memory;     /* a work item or rule could not be allocated */
	fl_u64 no_device;     /* a direction's ingress device is not bound */
	fl_u64 queued;        /* work items queued in all */
};

/*
 * Create the engine and attach it to @ft, which must have been created with
 * FL_FLOWTABLE_HW_OFFLOAD. context: sleep. failure: -EINVAL, -ENOMEM.
 * Destroy the table first (it removes every flow from hardware), then the engine.
 */
int fl_offload_create(struct fl_flowtable *ft, struct fl_offload **out) FL_NOEXCEPT;
void fl_offload_destroy(struct fl_offload *off) FL_NOEXCEPT;

/*
 * Bind device @ifindex: calls @setup(@dev_priv, FL_SETUP_FT, struct fl_block_bind*).
 * context: sleep. failure: the driver's error (-EOPNOTSUPP), -EEXIST, -ENOMEM.
 */
int fl_offload_bind(struct fl_offload *off, fl_s32 ifindex, fl_setup_fn setup,
		    void *dev_priv) FL_NOEXCEPT;

/*
 * Unbind device @ifindex: its rules are destroyed and the flows that used it
 * are torn down (they go back to conntrack; GC frees them). context: sleep.
 */
void fl_offload_unbind(struct fl_offload *off, fl_s32 ifindex) FL_NOEXCEPT;

/* Wait until every queued hardware operation has run. context: sleep. */
void fl_offload_flush(struct fl_offload *off) FL_NOEXCEPT;

void fl_offload_stats(const struct fl_offload *off, struct fl_offload_stats *st) FL_NOEXCEPT;

FL_EXTERN_C_END

#endif /* FLOWLANE_OFFLOAD_H */
