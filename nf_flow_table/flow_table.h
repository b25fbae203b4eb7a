// SPDX-License-Identifier: GPL-2.0
//
// The flowtable: flow lifecycle (create, add, refresh, teardown, free), the
// hash table of both directions, garbage collection and statistics.
// The packet path lives in fastpath.cpp, the C API in flowtable_capi.cpp.
#ifndef FLOWLANE_CORE_FLOW_TABLE_H
#define FLOWLANE_CORE_FLOW_TABLE_H

#include "flowlane/flowtable.h"
#include "nf_flow_table/flow.h"

namespace fl {

// What the hardware offload engine (offload/) learns from the table. All calls
// come in atomic context except flush(); none may fail (failures are the
// engine's to count; the flow stays on the software fastpath).
class HwOffloadHooks {
public:
	// A flow was added (FL_FLOW_HW is set): queue it for the hardware.
	virtual void flow_added(Flow &flow) = 0;
	// The software fastpath refreshed the flow (the engine may re-push it).
	virtual void flow_refreshed(Flow &flow) = 0;
	// GC found the flow torn down: remove it from the hardware, set
	// FL_FLOW_HW_DYING now and FL_FLOW_HW_DEAD when done.
	virtual void flow_removing(Flow &flow) = 0;
	// GC found the flow alive: fetch hardware statistics (may refresh the flow).
	virtual void flow_stats(Flow &flow) = 0;
	// Wait until every queued hardware operation has finished. context: sleep.
	virtual void flush() = 0;

protected:
	~HwOffloadHooks() = default;
};

class FlowTable {
public:
	static Result<FlowTable *> try_create(const struct fl_flowtable_config &cfg);
	// context: sleep; see fl_flowtable_destroy().
	static void destroy(FlowTable *ft);

	Result<Flow *> try_create_flow(const struct fl_flow_params &p);
	void free_unadded(Flow *flow);
	Status try_add(Flow *flow);

	// Under RCU: the flow whose direction matches @key, usable or not.
	Flow *find(const Tuple &key, Dir *dir) const;
	// Not torn down (as seen from direction @dir's line) and conntrack alive.
	bool usable(const Flow &flow, Dir dir) const;
	// Under RCU: find() restricted to usable flows.
	Flow *lookup(const Tuple &key, Dir *dir) const
	{
		Flow *flow = find(key, dir);
		return flow && usable(*flow, *dir) ? flow : nullptr;
	}
	void refresh(Flow &flow);
	// @packets and @bytes of direction @dir went through the flow (fastpath or
	// hardware): its counters, and conntrack's when the table counts.
	void account(Flow &flow, Dir dir, u64 packets, u64 bytes);
	// Hardware last saw the flow at @lastused: it expires no earlier than a
	// timeout after that. True when the expiry moved.
	bool refresh_from(Flow &flow, Tick lastused);
	// Ticks until the flow expires (negative: expired).
	s32 remaining(const Flow &flow) const { return Tick(flow.timeout.load_relaxed()).since(Tick::now()); }
	void teardown(Flow &flow, enum fl_teardown_reason why);
	// FL_FLOWTABLE_TCP_CLOSING: FIN or RST seen; the flow stays on the
	// software fastpath, GC takes it out of hardware.
	void mark_closing(Flow &flow) { flow.flags.set(FL_FLOW_CLOSING); }
	bool tcp_closing() const { return flags() & FL_FLOWTABLE_TCP_CLOSING; }
	template <typename Fn> unsigned long for_each_flow(Fn &&fn) const;
	// Does the flow enter or leave through @ifindex?
	static bool uses_dev(const Flow &flow, s32 ifindex);
	unsigned long cleanup_dev(s32 ifindex);
	bool any_flow_uses(s32 ifindex) const;
	void gc(struct fl_gc_result *res);
	// A whole GC pass now, after the one running if any. context: sleep.
	void collect();

	Status set_timeout(u8 l4proto, u32 seconds);
	u32 timeout_s(u8 l4proto) const;
	u32 timeout_ticks(u8 l4proto) const;
	unsigned int flags() const { return flags_.load_relaxed(); }
	// An update of the table's flags (nft's flowtable update): only
	// FL_FLOWTABLE_COUNTER may change; packets after it see the new flags.
	Status set_flags(unsigned int flags);
	// 0, or the only L3 family the fastpath takes.
	u8 family() const { return family_; }
	bool counting() const { return flags() & FL_FLOWTABLE_COUNTER; }
	const struct fl_flowtable_ops &ops() const { return *ops_; }
	unsigned long count() const { return hash_->count() / 2; }

	// The offload engine attaches after creation and detaches before destroy.
	void attach_hw(HwOffloadHooks *hw) { hw_ = hw; }
	HwOffloadHooks *hw() const { return hw_; }

	// Statistics: hot counters per CPU slot, rare ones plain.
	void count_hit() { slot().hits.fetch_add(1); }
	void count_slow(unsigned reason) { slot().slow[reason].fetch_add(1); }
	void stats(struct fl_stats *st) const;

	FlowHash &hash() { return *hash_; }
	const FlowHash &hash() const { return *hash_; }

private:
	static constexpr unsigned kStatSlots = 16;
	struct alignas(64) StatSlot {
		Atomic<u64> hits;
		Atomic<u64> slow[FL_SLOW_REASON_COUNT];
	};

	FlowTable(const struct fl_flowtable_config &cfg, FlowHash *hash, struct fl_work *gc_work);
	~FlowTable() = default;

	class FreeBatch;

	StatSlot &slot() { return stat_slots_[fl_this_cpu() % kStatSlots]; }
	static void gc_work(void *arg);
	bool expired(const Flow &flow) const;
	bool evict_torn_down(const Flow &flow);
	bool park(Flow *flow);
	void reap_parked(FreeBatch &batch, struct fl_gc_result &res);
	bool any_parked() const;
	bool gc_wants_unlink(Flow &flow, struct fl_gc_result &res);
	void gc_alive_hw(Flow &flow);
	void unlink(Flow &flow);
	void free_flow(Flow *flow);
	void drain_all();

	Atomic<u32> flags_;
	const u8 family_;
	const struct fl_flowtable_ops *const ops_;
	const u32 gc_interval_ticks_;
	Atomic<u32> tcp_timeout_s_;
	Atomic<u32> udp_timeout_s_;
	FlowHash *const hash_;
	struct fl_work *const gc_work_;
	HwOffloadHooks *hw_ = nullptr;
	Atomic<u32> gc_running_;
	// Torn-down flows taken out of the hash early, so that a new flow can take
	// their keys at once (evict_torn_down); only GC empties a slot.
	static constexpr unsigned kParkSlots = 64;
	Atomic<Flow *> parked_[kParkSlots];
	Atomic<u32> dying_;

	StatSlot stat_slots_[kStatSlots];
	Atomic<u64> flows_added_;
	Atomic<u64> add_exists_;
	Atomic<u64> teardowns_;
	Atomic<u64> gc_runs_;
	Atomic<u64> gc_expired_;
	Atomic<u64> gc_freed_;
};

template <typename Fn> unsigned long FlowTable::for_each_flow(Fn &&fn) const
{
	unsigned long calls = 0;
	RcuReadGuard rcu;
	// Originals only: each flow once (twice if it migrates during a resize).
	hash_->for_each([&](HashEntry<Tuple> *e) {
		if (e->key.dir != FL_DIR_ORIGINAL)
			return true;
		calls++;
		return fn(*Flow::from_entry(e));
	});
	return calls;
}

// See fl_handback_timeout().
s32 handback_timeout(s32 left, u32 state_timeout, u32 offload_timeout);

inline FlowTable *to_core(struct fl_flowtable *ft) { return reinterpret_cast<FlowTable *>(ft); }
inline const FlowTable *to_core(const struct fl_flowtable *ft)
{
	return reinterpret_cast<const FlowTable *>(ft);
}
inline struct fl_flowtable *to_c(FlowTable *ft) { return reinterpret_cast<struct fl_flowtable *>(ft); }

} // namespace fl

#endif // FLOWLANE_CORE_FLOW_TABLE_H
