/* SPDX-License-Identifier: GPL-2.0 */
/*
 * flowlane flowtable: the C-callable API of the core.
 *
 * A flowtable caches forwarding decisions for confirmed TCP/UDP connections.
 * Each flow has two directions (original, reply); each direction is a lookup
 * key (struct fl_tuple) plus how to transmit (struct fl_xmit). Packets that hit
 * a flow are NATed, have their TTL decremented and are handed back with a
 * transmit verdict; everything else gets a slowpath verdict naming the reason.
 *
 * Errors are negative errno values (Linux numbering). Functions documented as
 * "under RCU" must be called between fl_rcu_read_lock() and fl_rcu_read_unlock(),
 * and pointers they return stay valid only until the read section ends.
 */
#ifndef FLOWLANE_FLOWTABLE_H
#define FLOWLANE_FLOWTABLE_H

#include "flowlane/boundary.h" /* fl_rcu_read_lock() and friends */
#include "flowlane/types.h"

FL_EXTERN_C_BEGIN

/* ----------------------------------------------------------------- tuples */

enum fl_dir {
	FL_DIR_ORIGINAL = 0,
	FL_DIR_REPLY = 1,
};

enum fl_l3proto {
	FL_L3_IPV4 = 4,
	FL_L3_IPV6 = 6,
};

#define FL_IPPROTO_TCP 6
#define FL_IPPROTO_UDP 17

#define FL_ETH_P_IPV4 0x0800
#define FL_ETH_P_IPV6 0x86DD
#define FL_ETH_P_8021Q 0x8100
#define FL_ETH_P_8021AD 0x88A8
#define FL_ETH_P_PPP_SES 0x8864

#define FL_ENCAP_MAX 2

/* An IPv4 address uses bytes 0..3 (wire order); bytes 4..15 must be zero. */
struct fl_addr {
	union {
		fl_u8 b[16];
		fl_be32 w[4];
	};
};

/*
 * One layer of encapsulation: a VLAN tag or a PPPoE session, outermost first.
 * The core adds one more kind itself, always innermost, for a flow direction
 * that arrives in an IP tunnel (struct fl_flow_params.tun): @proto is the outer
 * header's FL_ETH_P_IPV4 or FL_ETH_P_IPV6, @id a 16-bit fold of the outer
 * addresses (the full addresses are kept with the flow and checked on every hit).
 */
struct fl_encap {
	fl_u16 id;    /* VLAN id (0..4095) or PPPoE session id, host order */
	fl_u16 proto; /* FL_ETH_P_8021Q, FL_ETH_P_8021AD or FL_ETH_P_PPP_SES, host order */
};

/*
 * One direction of a flow, as seen by a packet arriving on @iifindex.
 * Everything but @dir is the lookup key; unused bytes must be zero
 * (fl_tuple_init() does that).
 */
struct fl_tuple {
	struct fl_addr src;
	struct fl_addr dst;
	fl_be16 src_port;
	fl_be16 dst_port;
	fl_s32 iifindex;
	struct fl_encap encap[FL_ENCAP_MAX];
	fl_u8 l3proto;   /* enum fl_l3proto */
	fl_u8 l4proto;   /* FL_IPPROTO_TCP or FL_IPPROTO_UDP */
	fl_u8 encap_num; /* entries used in @encap */
	fl_u8 dir;       /* enum fl_dir; not part of the key */
};

/* Zero @t so that it can be filled field by field. */
void fl_tuple_init(struct fl_tuple *t) FL_NOEXCEPT;

/* --------------------------------------------------------------- transmit */

enum fl_xmit_kind {
	FL_XMIT_NEIGH = 1,  /* platform resolves the next hop (route handle) */
	FL_XMIT_DIRECT = 2, /* MACs and egress device are known: write L2 and send */
	FL_XMIT_XFRM = 3,   /* hand to the platform's IPsec output (route handle) */
};

/* How packets of one direction leave the router. */
struct fl_xmit {
	void *route;         /* opaque platform route; released with ops->route_release */
	fl_u32 route_cookie; /* platform's validity cookie for @route (IPv6 dst cookie) */
	fl_s32 ifindex;      /* egress device */
	fl_s32 hw_ifindex;   /* lowest real device (hardware offload), 0 = @ifindex */
	fl_u16 mtu;          /* largest L3 packet sent without the slowpath */
	fl_u8 kind;          /* enum fl_xmit_kind */
	/*
	 * Hardware offload only: bit i set when the egress hardware itself tags
	 * the other direction's encap[i] on the way out and strips it on the way
	 * in (a bridge VLAN untagged in hardware, Linux's in_vlan_ingress): rules
	 * neither push nor match nor pop it. The software fastpath ignores it.
	 */
	fl_u8 hw_vlans;
	fl_u8 h_source[FL_ETH_ALEN];
	fl_u8 h_dest[FL_ETH_ALEN];
};

/* --------------------------------------------------------------- the table */

struct fl_flowtable;
struct fl_flow;

enum fl_flowtable_flags {
	FL_FLOWTABLE_HW_OFFLOAD = 0x1, /* push flows to hardware (offload/) */
	FL_FLOWTABLE_COUNTER = 0x2,    /* account fastpath packets to conntrack */
	/*
	 * TCP teardown as Linux 6.14 and later do it: FIN or RST moves the flow
	 * to the closing state (FL_FLOW_CLOSING) and the packet stays on the
	 * fastpath; the hardware entry is removed at the next GC pass; a SYN on
	 * a closing flow tears it down (the connection reopens on the classic
	 * path); the idle timeout ends it otherwise. Without the flag, FIN or
	 * RST tears the flow down at once and the packet goes slow (Linux 6.1
	 * to 6.13).
	 */
	FL_FLOWTABLE_TCP_CLOSING = 0x4,
};

/* Why a flow leaves the fastpath; tells the platform how to fix up conntrack. */
enum fl_teardown_reason {
	FL_TEARDOWN_TCP_FIN_RST = 1, /* the fastpath saw FIN or RST */
	FL_TEARDOWN_TIMEOUT,         /* idle longer than the table's timeout */
	FL_TEARDOWN_CT_DYING,        /* conntrack is deleting the entry */
	FL_TEARDOWN_ROUTE_STALE,     /* the cached route is no longer valid */
	FL_TEARDOWN_DEVICE,          /* a device of the flow went away */
	FL_TEARDOWN_EXPLICIT,        /* fl_flow_teardown() or table destruction */
	FL_TEARDOWN_XMIT_FAILED,     /* the platform could not transmit */
	/*
	 * FL_FLOWTABLE_TCP_CLOSING: a flow that saw FIN or RST ends (timeout, SYN,
	 * any other cause): conntrack should take it back as closed, so that a
	 * new SYN reopens the connection.
	 */
	FL_TEARDOWN_TCP_CLOSED,
};

/*
 * Platform callbacks. All run in atomic context (no sleeping) unless stated.
 * @ct and @route are the opaque handles passed in struct fl_flow_params.
 */
struct fl_flowtable_ops {
	/* false once conntrack is deleting the entry; checked on lookup and by GC. */
	bool (*ct_alive)(void *ct);
	/*
	 * The flow stopped being offloaded: give conntrack back a state and a
	 * relative timeout it accepts. Called exactly once per flow.
	 */
	void (*ct_teardown)(void *ct, enum fl_teardown_reason why);
	/* Drop the flow's conntrack reference; called once, after a grace period. */
	void (*ct_release)(void *ct);
	/* FL_FLOWTABLE_COUNTER: @packets fastpath (or hardware) packets, @bytes in all. */
	void (*ct_account)(void *ct, enum fl_dir dir, fl_u64 packets, fl_u64 bytes);
	/*
	 * GC found the flow alive: conntrack sees none of its packets, keep its
	 * entry from expiring meanwhile. NULL: nothing to do. context: atomic.
	 */
	void (*ct_keepalive)(void *ct);
	/* Is a cached route still usable? NULL means always. */
	bool (*route_valid)(void *route, fl_u32 cookie);
	/* Release a route handle; called once per non-NULL route, after a grace period. */
	void (*route_release)(void *route);
};

struct fl_flowtable_config {
	unsigned int flags;                 /* enum fl_flowtable_flags */
	fl_u8 family;                       /* FL_L3_IPV4 or FL_L3_IPV6: the fastpath takes only
					     * that family (others: FL_SLOW_NOT_IP); 0: both */
	const struct fl_flowtable_ops *ops; /* required; must outlive the table */
	fl_u32 tcp_timeout_s;               /* 0: default 30 s */
	fl_u32 udp_timeout_s;               /* 0: default 30 s */
	fl_u32 gc_interval_ms;              /* 0: no automatic GC (call fl_flowtable_gc) */
	fl_u32 min_buckets;                 /* 0: default; rounded up to a power of two */
};

/*
 * Create a table. context: sleep.  failure: -EINVAL (bad config), -ENOMEM.
 * owner: caller, fl_flowtable_destroy.
 */
int fl_flowtable_create(const struct fl_flowtable_config *cfg,
			struct fl_flowtable **out) FL_NOEXCEPT;

/*
 * Stop GC and resizing, tear down and free every flow (handing each back to
 * conntrack), wait for hardware removal and grace periods, free the table.
 * context: sleep. No concurrent calls on @ft may be running or start.
 */
void fl_flowtable_destroy(struct fl_flowtable *ft) FL_NOEXCEPT;

/* Set the idle timeout for TCP or UDP flows (seconds, >= 1). -EINVAL otherwise. */
int fl_flowtable_set_timeout(struct fl_flowtable *ft, fl_u8 l4proto, fl_u32 seconds) FL_NOEXCEPT;
fl_u32 fl_flowtable_timeout(const struct fl_flowtable *ft, fl_u8 l4proto) FL_NOEXCEPT;
unsigned int fl_flowtable_flags_get(const struct fl_flowtable *ft) FL_NOEXCEPT;
/*
 * Update the table's flags (enum fl_flowtable_flags): FL_FLOWTABLE_COUNTER may
 * be turned on or off, and applies from the next packet on; -EINVAL for
 * unknown flags or a change of FL_FLOWTABLE_HW_OFFLOAD. context: any.
 */
int fl_flowtable_set_flags(struct fl_flowtable *ft, unsigned int flags) FL_NOEXCEPT;

/*
 * The timeout a conntrack entry gets back when its flow stops being offloaded
 * (ct_teardown): @left is what the entry has left now, @state_timeout the
 * slowpath's timeout for the state it is in, @offload_timeout the flowtable's
 * idle timeout (up to that long passed without conntrack seeing a packet); all
 * in the same unit. Returns what the entry should have left: @state_timeout
 * less @offload_timeout, never negative, and never more than @left: a timeout
 * the slowpath lowered (a FIN it saw) stands, and an entry that offloading
 * kept alive for a day is not given an established TCP timeout of days.
 * Write it only when it is less than @left (the state read and the timeout
 * written under conntrack's lock of the entry).
 */
fl_s32 fl_handback_timeout(fl_s32 left, fl_u32 state_timeout, fl_u32 offload_timeout) FL_NOEXCEPT;

/* ------------------------------------------------------------------ flows */

enum fl_flow_flags {
	FL_FLOW_SNAT = 1u << 0,
	FL_FLOW_DNAT = 1u << 1,
	FL_FLOW_TEARDOWN = 1u << 2,
	FL_FLOW_HW = 1u << 3,         /* hardware offload requested */
	FL_FLOW_HW_PENDING = 1u << 4, /* a hardware work item is queued */
	FL_FLOW_HW_DYING = 1u << 5,   /* hardware removal requested */
	FL_FLOW_HW_DEAD = 1u << 6,    /* hardware removal done */
	FL_FLOW_HW_OFFLOADED = 1u << 7, /* the hardware holds the rules */
	FL_FLOW_HW_FAILED = 1u << 8,  /* the driver refused; software fastpath only */
	FL_FLOW_CLOSING = 1u << 9,    /* FL_FLOWTABLE_TCP_CLOSING: FIN or RST seen */
};

/*
 * Everything needed to create a flow. The NAT flags are derived from the tuples
 * (SNAT: the reply's destination differs from the original's source; DNAT: the
 * reply's source differs from the original's destination).
 */
/*
 * An IP tunnel one direction's packets arrive in (IPIP: IPv4 in IPv4; IP6IP6
 * and IPv4 in IPv6), outer addresses as they appear on those packets. The
 * fastpath strips the outer header on the way in, and packets of the other
 * direction leave in the mirrored header (source @dst, destination @src): their
 * fl_xmit describes the route to @src (the tunnel's underlay), with the MTU
 * left for the inner packet.
 */
struct fl_tunnel {
	struct fl_addr src; /* the remote endpoint */
	struct fl_addr dst; /* this router's endpoint */
	fl_u8 l3proto;      /* outer header: FL_L3_IPV4 or FL_L3_IPV6; 0: no tunnel */
};

struct fl_flow_params {
	struct fl_tuple tuple[2]; /* [FL_DIR_ORIGINAL], [FL_DIR_REPLY]; no tunnel encap */
	struct fl_xmit xmit[2];
	void *ct;                 /* opaque conntrack handle, may be NULL */
	struct fl_tunnel tun[2];  /* how each direction arrives; zeroed: no tunnel */
};

/*
 * Allocate a flow from @p. context: any (allocates atomically).
 * failure: -EINVAL (inconsistent tuples or xmit), -ENOMEM.
 * owner: on success the flow owns @p->ct and the routes: it releases them when
 * freed. On failure nothing is taken. Pass the flow to fl_flowtable_add() or
 * free it with fl_flow_free().
 */
int fl_flow_create(struct fl_flowtable *ft, const struct fl_flow_params *p,
		   struct fl_flow **out) FL_NOEXCEPT;

/* Free a flow that was never added; releases its handles after a grace period. */
void fl_flow_free(struct fl_flowtable *ft, struct fl_flow *flow) FL_NOEXCEPT;

/*
 * Insert both directions. context: any; never allocates.
 * failure: -EEXIST (either direction's key is already present; nothing inserted).
 * owner: on success the table owns the flow; on failure the caller still does.
 */
int fl_flowtable_add(struct fl_flowtable *ft, struct fl_flow *flow) FL_NOEXCEPT;

/*
 * Under RCU: find the flow direction matching @key (whose @dir is ignored).
 * Torn-down flows and flows whose conntrack is dying are not returned.
 * Returns NULL or the flow, with *@dir set to the direction that matched.
 */
struct fl_flow *fl_flowtable_lookup(struct fl_flowtable *ft, const struct fl_tuple *key,
				    enum fl_dir *dir) FL_NOEXCEPT;

/* Under RCU: push the flow's expiry to now + timeout. */
void fl_flow_refresh(struct fl_flowtable *ft, struct fl_flow *flow) FL_NOEXCEPT;

/*
 * Under RCU: take the flow off the fastpath (idempotent). conntrack gets it
 * back at once; GC unlinks and frees it later.
 */
void fl_flow_teardown(struct fl_flowtable *ft, struct fl_flow *flow,
		      enum fl_teardown_reason why) FL_NOEXCEPT;

/* Read-only views of a flow (under RCU). */
const struct fl_tuple *fl_flow_tuple(const struct fl_flow *flow, enum fl_dir dir) FL_NOEXCEPT;
/* The tunnel direction @dir arrives in, or NULL. */
const struct fl_tunnel *fl_flow_tunnel(const struct fl_flow *flow, enum fl_dir dir) FL_NOEXCEPT;
const struct fl_xmit *fl_flow_xmit(const struct fl_flow *flow, enum fl_dir dir) FL_NOEXCEPT;
unsigned int fl_flow_flags(const struct fl_flow *flow) FL_NOEXCEPT;
void *fl_flow_ct(const struct fl_flow *flow) FL_NOEXCEPT;
/* Seconds until expiry (negative: expired). */
fl_s32 fl_flow_expires_in(const struct fl_flowtable *ft, const struct fl_flow *flow) FL_NOEXCEPT;
void fl_flow_counters(const struct fl_flow *flow, enum fl_dir dir, fl_u64 *packets,
		      fl_u64 *bytes) FL_NOEXCEPT;

/*
 * Call @fn for every flow in the table. Takes the RCU read lock itself; @fn
 * must not sleep. While the table resizes, a flow may be reported twice; a flow
 * present during the whole walk is reported at least once. Returns the number
 * of calls. @fn returning false stops the walk.
 */
typedef bool (*fl_flow_iter_fn)(struct fl_flow *flow, void *arg);
unsigned long fl_flowtable_iterate(struct fl_flowtable *ft, fl_flow_iter_fn fn,
				   void *arg) FL_NOEXCEPT;

/*
 * Tear down every flow that enters or leaves through @ifindex (0: all flows).
 * GC then frees them. Returns how many flows were torn down. context: any.
 */
unsigned long fl_flowtable_cleanup_dev(struct fl_flowtable *ft, fl_s32 ifindex) FL_NOEXCEPT;

struct fl_gc_result {
	fl_u32 visited;   /* flows looked at */
	fl_u32 expired;   /* torn down because idle */
	fl_u32 ct_dying;  /* torn down because conntrack is dying */
	fl_u32 freed;     /* unlinked; memory released after a grace period */
	fl_u32 hw_waiting; /* torn down but waiting for hardware removal */
};

/*
 * One garbage-collection pass: tear down expired and conntrack-dying flows,
 * unlink torn-down ones (after hardware removal when offloaded) and free them
 * after a grace period. context: sleep allowed but not required.
 */
void fl_flowtable_gc(struct fl_flowtable *ft, struct fl_gc_result *res) FL_NOEXCEPT;

/* Number of flows currently linked in the table. */
unsigned long fl_flowtable_count(const struct fl_flowtable *ft) FL_NOEXCEPT;

/* ---------------------------------------------------------------- fastpath */

enum fl_entry {
	FL_ENTRY_L2 = 0,        /* @data is an Ethernet frame */
	FL_ENTRY_ETHERTYPE = 1, /* @data follows the Ethernet header, @ethertype says what it is
				 * (the kernel's ingress view: VLAN/PPPoE header or IP) */
	FL_ENTRY_L3 = 2,        /* @data is an IP packet (version from its first nibble) */
};

enum fl_packet_flags {
	FL_PKT_CSUM_PARTIAL = 0x1, /* the L4 checksum field holds the pseudo-header sum
				    * only (the kernel's CHECKSUM_PARTIAL) */
	FL_PKT_BUILD_L2 = 0x2,     /* on FL_XMIT_DIRECT write the egress Ethernet header,
				    * pushing the VLAN/PPPoE encapsulation it needs */
	FL_PKT_HW_VLAN = 0x4,      /* an outer VLAN tag was already stripped (@hw_vlan_*) */
	FL_PKT_GSO = 0x8,          /* a segmentation offload packet: @gso_size payload bytes
				    * per segment (the kernel's gso_size) */
	FL_PKT_NOT_HOST = 0x10,    /* the frame is not addressed to this host (the kernel's
				    * pkt_type other than PACKET_HOST: another host's unicast
				    * seen in promiscuous mode, broadcast, multicast); it is
				    * never forwarded by the fastpath (FL_SLOW_NOT_HOST) */
};

/* IP protocol numbers of the tunnels the fastpath decapsulates and builds. */
#define FL_IPPROTO_IPIP 4  /* IPv4 inside */
#define FL_IPPROTO_IPV6 41 /* IPv6 inside */

struct fl_packet {
	/*
	 * Called once, after every check has passed and before the fastpath
	 * writes anything, with the number of bytes from @data it will write. It
	 * may move the packet (then it updates @data, @headlen and @headroom; the
	 * kernel unshares a cloned sk_buff here). false leaves the packet alone
	 * and sends it slow (FL_SLOW_NOT_WRITABLE). NULL: @data is writable.
	 */
	bool (*prepare_write)(struct fl_packet *pkt, fl_u32 len);
	/*
	 * Called after prepare_write() when what the fastpath pushes in front of
	 * the IP header (an outer tunnel header, the Ethernet header with its
	 * VLAN/PPPoE tags on FL_PKT_BUILD_L2) needs more than @headroom bytes:
	 * make at least @need bytes writable before @data, keeping its contents
	 * (may move the packet: update @data, @headlen and @headroom). false, or
	 * NULL, sends the packet slow (FL_SLOW_NO_HEADROOM).
	 */
	bool (*expand_head)(struct fl_packet *pkt, fl_u32 need);
	void *priv;        /* the platform's own (the kernel: its sk_buff) */
	fl_u8 *data;       /* frame, post-Ethernet data or IP packet */
	fl_u32 len;        /* bytes from @data to the end of the packet */
	fl_u32 headlen;    /* bytes readable and writable at @data (>= headers) */
	fl_u32 headroom;   /* bytes writable before @data (for L2 pushes) */
	fl_s32 iifindex;   /* ingress device */
	fl_u16 ethertype;  /* FL_ENTRY_ETHERTYPE only, host order */
	fl_u16 hw_vlan_id; /* the stripped tag's whole TCI (priority bits included) */
	fl_u16 hw_vlan_proto;
	fl_u16 gso_size;
	fl_u8 entry;       /* enum fl_entry */
	fl_u8 flags;       /* enum fl_packet_flags */
};

/*
 * The most FL_SLOW_NEED_PULL verdicts one packet can get when each pull makes
 * exactly @need bytes contiguous: one per header the fastpath reads (each
 * encapsulation header, the outer IP header of a tunnel, the IP header, the
 * transport header). A platform that pulls and calls again must allow this
 * many rounds before giving up.
 */
#define FL_FASTPATH_MAX_PULLS (FL_ENCAP_MAX + 3)

enum fl_verdict {
	FL_VERDICT_SLOWPATH = 0, /* continue on the classic path; @reason says why */
	FL_VERDICT_XMIT = 1,     /* send @out_data/@out_len as described */
};

enum fl_slow_reason {
	FL_SLOW_NONE = 0,
	FL_SLOW_NOT_IP,         /* not IPv4/IPv6 (or not the table's family) */
	FL_SLOW_FRAGMENT,       /* IPv4 fragment or IPv6 fragment header */
	FL_SLOW_IP_OPTIONS,     /* IPv4 options or an IPv6 extension header */
	FL_SLOW_TTL,            /* TTL / hop limit <= 1 */
	FL_SLOW_MALFORMED,      /* truncated or inconsistent headers */
	FL_SLOW_NOT_TCP_UDP,    /* other L4 protocol */
	FL_SLOW_NO_ENTRY,       /* lookup miss */
	FL_SLOW_TEARDOWN,       /* flow torn down or conntrack dying */
	FL_SLOW_MTU,            /* larger than the cached MTU: slowpath sends ICMP */
	FL_SLOW_TCP_FIN_RST,    /* FIN or RST: flow torn down, packet goes slow */
	FL_SLOW_ROUTE_STALE,    /* cached route invalid: flow torn down */
	FL_SLOW_NEED_PULL,      /* headers not all in @headlen; make @need bytes
				 * contiguous and call again */
	FL_SLOW_NO_HEADROOM,    /* FL_PKT_BUILD_L2 without room for the L2 header */
	FL_SLOW_NOT_WRITABLE,   /* prepare_write() refused */
	FL_SLOW_TCP_REOPEN,     /* SYN on a closing flow: flow torn down, packet goes slow */
	FL_SLOW_TUNNEL,         /* tunnel header the fastpath does not take (options,
				 * fragment, hop limit, or another tunnel's endpoints) */
	FL_SLOW_NOT_HOST,       /* FL_PKT_NOT_HOST: not addressed to this host */
	FL_SLOW_REASON_COUNT
};

struct fl_result {
	fl_u8 verdict;          /* enum fl_verdict */
	fl_u8 reason;           /* enum fl_slow_reason */
	fl_u8 dir;              /* enum fl_dir of the hit */
	fl_u8 xmit_kind;        /* enum fl_xmit_kind */
	fl_u32 need;            /* FL_SLOW_NEED_PULL: bytes wanted at @data */
	fl_u8 *out_data;        /* XMIT: start of what to send (L2 if written, else L3) */
	fl_u32 out_len;
	fl_u32 l3_offset;       /* XMIT: IP header = out_data + l3_offset */
	fl_u16 out_ethertype;   /* XMIT: ethertype of the L3 packet (IPv4/IPv6); the outer
				 * header's when a tunnel header was pushed */
	fl_u8 tunnel_pushed;    /* XMIT: FL_L3_IPV4/6 when an outer header was pushed at
				 * l3_offset (IPv4: the platform may set its ID and then
				 * recompute the header checksum), else 0 */
	fl_u8 tunnel_popped;    /* XMIT: FL_L3_IPV4/6 when an outer header was stripped */
	bool l2_written;        /* XMIT: out_data starts with the egress Ethernet header */
	struct fl_flow *flow;   /* XMIT: valid under RCU */
	const struct fl_xmit *xmit; /* XMIT: egress information */
	struct fl_addr nexthop; /* XMIT: the packet's destination after NAT, or the tunnel's
				 * remote endpoint when one was pushed */
};

/*
 * Under RCU: run one packet through the fastpath. On FL_VERDICT_XMIT the
 * packet has been rewritten (NAT, TTL, L2 when asked); on FL_VERDICT_SLOWPATH
 * it is unchanged. Never fails otherwise.
 */
void fl_fastpath(struct fl_flowtable *ft, struct fl_packet *pkt,
		 struct fl_result *res) FL_NOEXCEPT;

/* Name of a slowpath reason ("no-entry", "fragment", ...). */
const char *fl_slow_reason_name(unsigned int reason) FL_NOEXCEPT;

/* Per-table statistics, summed over CPUs. */
struct fl_stats {
	fl_u64 hits;
	fl_u64 slow[FL_SLOW_REASON_COUNT]; /* per enum fl_slow_reason */
	fl_u64 flows_added;
	fl_u64 add_exists;     /* fl_flowtable_add rejected a duplicate */
	fl_u64 teardowns;
	fl_u64 gc_runs;
	fl_u64 gc_expired;
	fl_u64 gc_freed;
	fl_u64 resizes;
	fl_u64 resize_failed;  /* allocation of a new bucket array failed */
	fl_u64 buckets;        /* current bucket count */
};
void fl_flowtable_stats(const struct fl_flowtable *ft, struct fl_stats *st) FL_NOEXCEPT;

FL_EXTERN_C_END

#endif /* FLOWLANE_FLOWTABLE_H */
