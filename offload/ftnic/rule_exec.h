/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The flow engine of the test NIC (ftnic): match one decoded rule (struct
 * fl_rule) against a frame from the wire and carry out its actions, the way a
 * NIC's flow table does. It is freestanding and compiled twice: into ftnic.ko
 * (the kernel's flowtables offload to it) and into libflowlane (the
 * userspace mock NIC and the tests). It shares nothing with the core's
 * fastpath, which it checks.
 *
 * A frame is processed in four steps, so that everything that can send it to
 * the software path is decided before a single byte is written:
 *   ftx_parse()    find the tags and headers (read only);
 *   ftx_match()    does a rule match (read only);
 *   ftx_prepare()  can the rule be carried out on this frame, where does it
 *                  go, how long will it be (read only);
 *   ftx_apply()    rewrite the frame in place (pushes grow into the headroom).
 * ftx_execute() does all four. ftx_check_rule() validates a rule once, when a
 * driver accepts it.
 *
 * Semantics (documented in Documentation/offload.rst, "The test NIC"):
 *  - MANGLE: the 32-bit big-endian word at @offset from the start of the
 *    header named by @htype becomes (old & mask) | val. With FTX_FIX_CSUM the
 *    checksums covering the word are updated incrementally, as NICs do.
 *  - CSUM: full recomputation of the named checksums (a zero UDP checksum over
 *    IPv4 stays zero).
 *  - VLAN_POP / PPPOE_POP remove the outermost header. The pushes of one rule
 *    list the new encapsulation outermost first (stock nf_flow_table's order):
 *    each push lands inside the ones before it and outside whatever the frame
 *    still carries.
 *  - The TTL / hop limit is decremented when the rule says so (DEC_TTL) or,
 *    with FTX_DEC_TTL, implicitly (the kernel's rules carry no TTL action:
 *    hardware decrements it). A frame whose TTL would expire is punted.
 *  - Match: keys not in @keys are wildcards. VLAN tags are matched only when
 *    the rule has a VLAN / CVLAN key; a PPPoE session frame only matches a
 *    rule with a PPPoE key.
 */
#ifndef FLOWLANE_OFFLOAD_FTNIC_RULE_EXEC_H
#define FLOWLANE_OFFLOAD_FTNIC_RULE_EXEC_H

#include "flowlane/offload.h"

FL_EXTERN_C_BEGIN

#define FTX_MAX_TAGS 3   /* two VLAN tags and a PPPoE session */
#define FTX_MAX_PUSHES 4 /* headers one rule may push */

/* Why a frame is not forwarded by a rule. */
enum ftx_result {
	FTX_OK = 0,
	FTX_MISS,           /* the rule does not match (not a punt) */
	FTX_PUNT_PARSE,     /* not a frame the engine handles: not IP, IPv4 options, fragment, truncated */
	FTX_PUNT_TTL,       /* the TTL / hop limit would expire */
	FTX_PUNT_ACTION,    /* an action the engine cannot carry out on this frame */
	FTX_PUNT_TAGS,      /* a pop without that header, or an impossible header stack */
	FTX_PUNT_HEADROOM,  /* not enough room in front of the frame for the pushes */
	FTX_PUNT_NO_EGRESS, /* the rule redirects nowhere */
	FTX_RESULT_NUM
};

/* Behaviour switches of the engine. */
enum ftx_options {
	FTX_DEC_TTL = 1u << 0,  /* decrement TTL / hop limit although the rule does not say so */
	FTX_FIX_CSUM = 1u << 1, /* keep checksums right across mangles (incremental update) */
};

struct ftx_tag {
	fl_u16 tpid; /* 0x8100, 0x88a8, or 0x8864 for a PPPoE session; host order */
	fl_u16 id;   /* VLAN id or PPPoE session id; host order */
};

/* What ftx_parse() found; offsets are from the start of the frame. */
struct ftx_layout {
	struct ftx_tag tags[FTX_MAX_TAGS]; /* outermost first */
	fl_u8 ntags;
	fl_u8 ipver;     /* 4 or 6 */
	fl_u8 proto;     /* IP protocol */
	bool has_ports;  /* TCP or UDP header present */
	fl_u16 n_proto;  /* ethertype of the IP packet, host order */
	fl_u16 tcp_flags; /* the 12 flag bits of TCP, host order */
	fl_u32 l3;       /* IP header */
	fl_u32 l4;       /* transport header */
	fl_u32 end;      /* just past the IP packet (Ethernet padding excluded) */
};

/* Where the rule sends the frame and what it will look like. */
struct ftx_plan {
	fl_s32 egress;     /* ifindex of the REDIRECT */
	fl_u32 out_len;    /* frame length once the actions ran */
	fl_u32 mtu_len;    /* bytes after the Ethernet header and VLAN tags: what the egress MTU limits */
	fl_u32 headroom;   /* bytes the frame grows at the front, at most, while the actions run */
};

/* A frame in a writable buffer. */
struct ftx_frame {
	fl_u8 *data;      /* the Ethernet header */
	fl_u32 len;       /* bytes from @data */
	fl_u32 headroom;  /* writable bytes in front of @data */
};

/* The exact-match part of a rule or a frame: what a hash lookup is keyed on. */
struct ftx_key {
	fl_u8 src[16];
	fl_u8 dst[16];
	fl_be16 sport;
	fl_be16 dport;
	fl_u8 ipver;
	fl_u8 proto;
	fl_u16 pad; /* zero */
};

/* Find the tags and headers of @frame. FTX_OK or FTX_PUNT_PARSE. */
enum ftx_result ftx_parse(const fl_u8 *frame, fl_u32 len, struct ftx_layout *lay) FL_NOEXCEPT;

/* Does @m match the parsed frame, received on port @port (ingress ifindex)? */
bool ftx_match(const struct fl_rule_match *m, fl_s32 port, const fl_u8 *frame,
	       const struct ftx_layout *lay) FL_NOEXCEPT;

/*
 * Can the engine carry out @rule at all (called when a driver accepts it)?
 * FTX_OK, FTX_PUNT_ACTION (an action it does not implement, a mangle outside
 * its header, too many pushes) or FTX_PUNT_NO_EGRESS.
 */
enum ftx_result ftx_check_rule(const struct fl_rule *rule) FL_NOEXCEPT;

/* Decide, without writing, what @rule does to the matched frame. FTX_OK or a punt. */
enum ftx_result ftx_prepare(const struct fl_rule *rule, const fl_u8 *frame,
			    const struct ftx_layout *lay, fl_u32 opts, struct ftx_plan *plan) FL_NOEXCEPT;

/*
 * Carry out @rule on @f, whose layout is @lay, after ftx_prepare() said FTX_OK
 * with the same @opts and @f->headroom >= plan.headroom. Updates @f->data and
 * @f->len (the frame ends with the IP packet: padding is dropped).
 */
void ftx_apply(const struct fl_rule *rule, struct ftx_frame *f, const struct ftx_layout *lay,
	       fl_u32 opts) FL_NOEXCEPT;

/* Parse, match, plan and apply. FTX_OK (then @plan says where to send @f), FTX_MISS or a punt. */
enum ftx_result ftx_execute(const struct fl_rule *rule, fl_s32 port, struct ftx_frame *f,
			    fl_u32 opts, struct ftx_plan *plan) FL_NOEXCEPT;

/*
 * The exact-match key of a rule: false when the rule is not an exact match on
 * addresses, protocol and ports (such rules need a scan, not a hash lookup).
 */
bool ftx_rule_key(const struct fl_rule_match *m, struct ftx_key *key) FL_NOEXCEPT;

/* The key of a parsed frame, comparable with ftx_rule_key()'s. */
void ftx_frame_key(const fl_u8 *frame, const struct ftx_layout *lay, struct ftx_key *key) FL_NOEXCEPT;

/* A short name for counters and logs: "ok", "miss", "parse", "ttl", ... */
const char *ftx_result_name(enum ftx_result r) FL_NOEXCEPT;

FL_EXTERN_C_END

#endif /* FLOWLANE_OFFLOAD_FTNIC_RULE_EXEC_H */
