/* SPDX-License-Identifier: GPL-2.0 */
/*
 * flowlane's glue to nf_tables, conntrack and the routing and neighbour layers.
 * It translates kernel objects into the core's terms (include/flowlane) and
 * back; every flowtable decision (lookup, NAT, TTL, timeouts, GC) is the
 * core's.
 */
#ifndef FLOWLANE_NFT_GLUE_H
#define FLOWLANE_NFT_GLUE_H

#include <linux/list.h>
#include <net/netfilter/nf_flow_table.h>
#include <net/netfilter/nf_tables.h>

#include "flowlane/flowtable.h"
#include "nf_flow_table/kernel/compat.h"

/* One nft flowtable served by flowlane. */
struct flowlane_ft {
	struct fl_flowtable *core;
	struct fl_offload *off; /* `flags offload`: the core's hardware engine (nft_hw.c) */
	struct nf_flowtable *nf;
	struct list_head list; /* flowlane_tables, under flowlane_tables_lock */
	u8 family;             /* NFPROTO_INET, NFPROTO_IPV4 or NFPROTO_IPV6 */
};

/*
 * nf_tables leaves struct nf_flowtable's rhashtable, gc_work and flow_block to
 * the flowtable type; flowlane keeps the pointer to its own table in the
 * rhashtable's storage.
 */
static inline struct flowlane_ft **flowlane_ft_slot(struct nf_flowtable *nf)
{
	BUILD_BUG_ON(sizeof(nf->rhashtable) < sizeof(struct flowlane_ft *));
	return (struct flowlane_ft **)&nf->rhashtable;
}

static inline struct flowlane_ft *flowlane_ft_of(struct nf_flowtable *nf)
{
	return *flowlane_ft_slot(nf);
}

/* nft_ct.c: conntrack and routes behind struct fl_flowtable_ops. */
extern const struct fl_flowtable_ops flowlane_ops;
void flowlane_sync_config(struct flowlane_ft *fft, struct net *net);
void flowlane_ct_keepalive(void *ct);

/* nft_hook.c: the ingress hook (all three families; the core table filters). */
unsigned int flowlane_hook(void *priv, struct sk_buff *skb, const struct nf_hook_state *state);

/* nft_offload.c: the `flow add @f` action; true when the flow was added. */
bool flowlane_offload(struct flowlane_ft *fft, struct nft_flowtable *nft,
		      const struct nft_pktinfo *pkt);

/* The next hop's MAC toward @daddr over @dst: 0 for a valid neighbour entry, -ENOENT. */
int flowlane_neigh_ha(struct dst_entry *dst, const void *daddr, u8 *ha);

/*
 * nft_hw.c: hardware offload through the flowtable's flow_block. init before
 * the table is used (the engine attaches to fft->core), free after the table
 * is destroyed. setup binds or unbinds one device; never takes rtnl.
 */
int flowlane_hw_init(struct flowlane_ft *fft);
void flowlane_hw_free(struct flowlane_ft *fft);
int flowlane_hw_setup(struct flowlane_ft *fft, struct net_device *dev, enum flow_block_command cmd);

/* nft_types.c: registration, the table registry, device events. */
int flowlane_nft_init(void);
void flowlane_nft_exit(void);

/* nft_stats.c: /proc/net/flowlane. */
int flowlane_stats_init(void);
void flowlane_stats_exit(void);
/* Add a table's statistics to the module totals before it is freed. */
void flowlane_stats_retire(struct flowlane_ft *fft);

extern struct list_head flowlane_tables;
extern struct mutex flowlane_tables_lock;

#endif /* FLOWLANE_NFT_GLUE_H */
