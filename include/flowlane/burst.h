/* SPDX-License-Identifier: GPL-2.0 */
/*
 * flowlane burst API: the fastpath and the flow lookup for a burst of frames,
 * for userspace dataplanes (DPDK, AF_XDP, netmap) that receive packets in
 * vectors.
 *
 * One packet at a time, a lookup in a table of a million flows waits for two
 * dependent cache misses (the bucket, then the flow) before the next packet
 * can start. A burst call overlaps them: it parses every frame and hashes its
 * key, prefetches every bucket, then every chain's first flow, then the hit
 * flows' transmit lines, and only then looks up and rewrites the frames one
 * after the other. The misses of up to FL_BURST_GROUP frames are in flight at
 * once.
 *
 * Results are exactly those of calling fl_fastpath() (fl_flowtable_lookup())
 * on each element in array order: the same verdicts, slowpath reasons,
 * rewrites, counters and statistics. In particular a packet that tears its
 * flow down (TCP FIN or RST, a stale route) is seen by the later packets of
 * the same burst, which go to the slowpath as they would one by one.
 *
 * Context: under RCU (fl_rcu_read_lock()), like the one-packet calls. Nothing
 * allocates; the call uses about 1.5 KiB of stack.
 *
 * Typical use, one receive vector of a poll loop:
 *
 *	struct fl_packet pkts[FL_BURST_MAX];
 *	struct fl_result res[FL_BURST_MAX];
 *	unsigned int n = rx_burst(port, pkts, FL_BURST_MAX);   // fills data, len, ...
 *
 *	fl_rcu_read_lock();
 *	fl_fastpath_burst(ft, pkts, n, res);
 *	for (unsigned int i = 0; i < n; i++)
 *		if (res[i].verdict == FL_VERDICT_XMIT)
 *			tx_enqueue(res[i].xmit->ifindex, res[i].out_data, res[i].out_len);
 *		else
 *			slowpath(&pkts[i], res[i].reason);
 *	fl_rcu_read_unlock();
 *
 * A FL_SLOW_NEED_PULL verdict is handled per frame, as with fl_fastpath():
 * make the headers contiguous and pass that frame again (alone or in the next
 * burst).
 */
#ifndef FLOWLANE_BURST_H
#define FLOWLANE_BURST_H

#include "flowlane/flowtable.h"

FL_EXTERN_C_BEGIN

/* The largest burst a call is meant for (a receive vector); larger ones work too. */
#define FL_BURST_MAX 64
/* Frames whose cache misses overlap; a burst is processed in groups of this size. */
#define FL_BURST_GROUP 16

/*
 * Under RCU: run @n packets through the fastpath, @res[i] receiving the
 * verdict of @pkts[i]. @n may be 0; bursts larger than FL_BURST_MAX are taken
 * in order, group by group. Returns the number of FL_VERDICT_XMIT results.
 */
unsigned int fl_fastpath_burst(struct fl_flowtable *ft, struct fl_packet *pkts, unsigned int n,
			       struct fl_result *res) FL_NOEXCEPT;

/*
 * Under RCU: fl_flowtable_lookup() for @n keys. @flows[i] is the usable flow
 * matching @keys[i] (NULL when there is none) and @dirs[i] its direction
 * (enum fl_dir; left alone on a miss; @dirs may be NULL). Returns the number
 * of hits.
 */
unsigned int fl_flowtable_lookup_burst(struct fl_flowtable *ft, const struct fl_tuple *keys,
				       unsigned int n, struct fl_flow **flows,
				       fl_u8 *dirs) FL_NOEXCEPT;

FL_EXTERN_C_END

#endif /* FLOWLANE_BURST_H */
