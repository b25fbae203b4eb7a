// SPDX-License-Identifier: GPL-2.0
//
// One flow direction as a hardware rule: what it matches and, in order, what
// the hardware must do to turn the arriving frame into the frame the software
// fastpath would send. One small builder per action; every append is bounded.
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

// Builders, one per action.
Status try_add_mangle(ActionList &l, u8 htype, u32 offset, u32 mask, u32 val);
Status try_add_eth_rewrite(ActionList &l, const u8 *dst, const u8 *src);
Status try_add_addr_rewrite(ActionList &l, u8 l3proto, bool source, const struct fl_addr &to);
Status try_add_ports_rewrite(ActionList &l, u8 l4proto, bool sport, fl_be16 sp, bool dport, fl_be16 dp);
Status try_add_dec_ttl(ActionList &l);
Status try_add_csum(ActionList &l, u32 flags);
Status try_add_encap_pop(ActionList &l, const struct fl_encap &e);
Status try_add_encap_push(ActionList &l, const struct fl_encap &e);
Status try_add_tunnel_decap(ActionList &l);
Status try_add_tunnel_encap(ActionList &l, u32 key_id, const struct fl_addr &src,
			    const struct fl_addr &dst);
Status try_add_redirect(ActionList &l, s32 ifindex);

void build_match(const Flow &flow, Dir dir, struct fl_rule_match &m);
Status try_build_actions(const Flow &flow, Dir dir, ActionList &l);

// The whole rule, into at most @capacity action slots of @rule.
Status try_build_rule(const Flow &flow, Dir dir, struct fl_rule &rule,
		      u32 capacity = FL_RULE_MAX_ACTIONS);

// The cookie naming a flow direction to drivers, and back.
inline u64 rule_cookie(const Flow &flow, Dir dir)
{
	return static_cast<u64>(reinterpret_cast<uptr>(&flow)) | index_of(dir);
}

} // namespace fl::offload

#endif // FLOWLANE_OFFLOAD_FLOW_RULE_H
