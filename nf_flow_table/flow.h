// SPDX-License-Identifier: GPL-2.0
//
// struct fl_flow: one offloaded connection, both directions.
//
// Layout: each direction's hash link, lookup key and hot flags fill one 64-byte
// line, so a lookup touches the bucket and one line of the flow; 256 bytes in all.
// `flags` is the authority; the per-direction `hot` words repeat the immutable
// NAT bits and mirror TEARDOWN (set right after it). Flows
// carry no RCU head and no list link: GC collects unlinked flows in a batch,
// waits for one grace period and frees the batch.
#ifndef FLOWLANE_CORE_FLOW_H
#define FLOWLANE_CORE_FLOW_H

#include "flowlane/flowtable.h"
#include "nf_flow_table/rhashtable.h"
#include "nf_flow_table/sync.h"
#include "nf_flow_table/tuple.h"

// Flag bits private to the core (the public ones are in enum fl_flow_flags).
namespace fl {
constexpr u32 kFlowUnlinked = 1u << 31; // removed from the table, waiting to be freed
constexpr u32 kFlowTunnel = 1u << 30;   // allocated as a TunnelFlow (see below)
constexpr u32 kFlowPublicMask = 0x0000ffffu;
} // namespace fl

struct fl_flow {
	fl::HashEntry<fl::Tuple> entry[2]; // [dir]: the key is the direction's tuple
	struct fl_xmit xmit[2];
	fl::Atomic<fl::u64> packets[2];
	fl::Atomic<fl::u64> bytes[2];
	fl::AtomicFlags flags;
	fl::Atomic<fl::u32> timeout; // tick at which the flow expires
	void *ct;

	const fl::Tuple &tuple(fl::Dir d) const { return entry[fl::index_of(d)].key; }
	// The direction's hot copy of the flags a lookup needs (SNAT, DNAT and a
	// mirror of TEARDOWN), in the same cache line as its key.
	fl::u32 hot(fl::Dir d) const { return entry[fl::index_of(d)].hot.load_acquire(); }
	const struct fl_xmit &out(fl::Dir d) const { return xmit[fl::index_of(d)]; }
	bool torn_down() const { return flags.test(FL_FLOW_TEARDOWN); }
	bool closing() const { return flags.test(FL_FLOW_CLOSING); }
	bool has_tunnel() const { return flags.test(fl::kFlowTunnel); }
	// The tunnel direction @d arrives in; only when has_tunnel().
	const struct fl_tunnel &tunnel(fl::Dir d) const;
	fl::u8 l4proto() const { return entry[0].key.l4proto; }
	fl::u8 l3proto() const { return entry[0].key.l3proto; }

	// The flow that owns a hash entry: the key's dir says which slot it is.
	static struct fl_flow *from_entry(fl::HashEntry<fl::Tuple> *e)
	{
		return e->key.dir == FL_DIR_ORIGINAL ? FL_CONTAINER_OF(e, struct fl_flow, entry[0])
						     : FL_CONTAINER_OF(e, struct fl_flow, entry[1]);
	}
};

namespace fl {

using Flow = struct fl_flow;

static_assert(sizeof(HashEntry<Tuple>) == 64, "a direction's link + key must fill one line");
static_assert(sizeof(struct fl_xmit) == 40, "struct fl_xmit must stay packed");
static_assert(sizeof(Flow) == 256, "struct fl_flow must stay 256 bytes (one slab size)");

// A flow with a tunnel on either side carries the outer endpoints in a tail
// (only these pay for it: the key holds a 16-bit fold of them, every hit
// compares the full addresses here). A direction without a tunnel has a
// zeroed entry.
struct TunnelFlow {
	Flow flow;
	struct fl_tunnel tun[2];
};

// Does the tuple end in a tunnel entry (the core's own, see struct fl_encap)?
inline bool tuple_has_tunnel(const Tuple &t)
{
	if (!t.encap_num)
		return false;
	u16 proto = t.encap[t.encap_num - 1].proto;
	return proto == FL_ETH_P_IPV4 || proto == FL_ETH_P_IPV6;
}

// The key's 16-bit stand-in for a tunnel's outer addresses.
u16 tunnel_fold(const struct fl_addr &src, const struct fl_addr &dst);


struct TupleTraits {
	static u32 hash(const Tuple &t, u64 seed) { return tuple_hash(t, seed); }
	static bool equal(const Tuple &a, const Tuple &b) { return tuple_key_equal(a, b); }
};

using FlowHash = Rhashtable<Tuple, TupleTraits>;

} // namespace fl

inline const struct fl_tunnel &fl_flow::tunnel(fl::Dir d) const
{
	// The flow is the tail's first member.
	return reinterpret_cast<const fl::TunnelFlow *>(this)->tun[fl::index_of(d)];
}

#endif // FLOWLANE_CORE_FLOW_H
