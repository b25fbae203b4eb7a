// SPDX-License-Identifier: GPL-2.0
//
// One flow direction as a hardware rule, in the form Linux 6.1's flowtable
// gives drivers: what it matches and, in stock order, what the hardware must
// do to turn the arriving frame into the frame the software fastpath would
// send (less the TTL decrement, which hardware does by itself). One small
// builder per action; every append is bounded.
#ifndef FLOWLANE_OFFLOAD_FLOW_RULE_H
#define FLOWLANE_OFFLOAD_FLOW_RULE_H

#include "flowlane/offload.h"
#include "nf_flow_table/flow.h"

namespace fl::offload {

// A bounded list of actions over caller-provided slots.
class ActionList {
public:
	ActionList(struct fl_action *slots, u32 capacity) : slots_(slots), capacity_(capacity) {}

	Status try_append(const struct fl_action &a)
	{
		if (size_ >= capacity_)
			return Error::TooBig; // never past the slots
		slots_[size_++] = a;
		return {};
	}
	u32 size() const { return size_; }

private:
	struct fl_action *slots_;
	u32 capacity_;
	u32 size_ = 0;
};

// What the lowering needs besides the flow: the rule priority, and the
// platform that resolves neighbour-transmit MACs (none: such flows fail).
struct Lowering {
	u32 priority = 0;
	const struct fl_offload_ops *ops = nullptr;
	void *priv = nullptr;
};

// The Ethernet addresses and egress port a direction's frames leave with.
struct L2Out {
	u8 h_dest[FL_ETH_ALEN];
	u8 h_source[FL_ETH_ALEN];
	s32 ifindex;
};

// Builders, one per action.
Status try_add_mangle(ActionList &l, u8 htype, u32 offset, u32 mask, u32 val);
Status try_add_eth_src(ActionList &l, const u8 *src);
Status try_add_eth_dst(ActionList &l, const u8 *dst);
Status try_add_addr_rewrite(ActionList &l, u8 l3proto, bool source, const struct fl_addr &to);
Status try_add_port_rewrite(ActionList &l, u8 l4proto, bool source, fl_be16 to);
Status try_add_csum(ActionList &l, u32 flags);
Status try_add_vlan_pop(ActionList &l);
Status try_add_encap_push(ActionList &l, const struct fl_encap &e);
Status try_add_tunnel_decap(ActionList &l);
Status try_add_tunnel_encap(ActionList &l, u32 key_id, const struct fl_addr &src,
			    const struct fl_addr &dst);
Status try_add_redirect(ActionList &l, s32 ifindex);

// Where a direction's frames go and with which MACs. failure: NotSupported
// (IPsec transmit), NotFound (no valid neighbour entry, or nobody to ask).
Result<L2Out> try_resolve_l2(const Flow &flow, Dir dir, const Lowering &ctx);

Status try_build_match(const Flow &flow, Dir dir, struct fl_rule_match &m);
Status try_build_actions(const Flow &flow, Dir dir, const L2Out &out, ActionList &l);

// The whole rule, into at most @capacity action slots of @rule.
Status try_build_rule(const Flow &flow, Dir dir, struct fl_rule &rule, const Lowering &ctx = {},
		      u32 capacity = FL_RULE_MAX_ACTIONS);

// The cookie naming a flow direction to drivers, and back.
inline u64 rule_cookie(const Flow &flow, Dir dir)
{
	return static_cast<u64>(reinterpret_cast<uptr>(&flow)) | index_of(dir);
}

} // namespace fl::offload

#endif // FLOWLANE_OFFLOAD_FLOW_RULE_H
