// SPDX-License-Identifier: GPL-2.0
//
// The offload engine: the flowtable's hardware side. Hooks from the table
// queue work items (add, delete, stats) on the boundary's deferred work; the
// work lowers flows into rules and broadcasts them to the flowtable's block
// of driver callbacks: the platform's (the kernel's flow_block) or its own.
//
// Per-flow state lives in the flow's flags:
//   HW          the table wants the flow in hardware
//   PENDING     a work item for the flow is queued or running
//   OFFLOADED   both directions' rules are in hardware
//   FAILED      no driver took it; the flow stays on the software fastpath
//   DYING       removal requested; DEAD once the rules are gone
// A flow has at most one queued item: a removal request turns a queued add or
// stats item into the delete. GC frees an offloaded flow only once it is DEAD,
// so no queued item ever outlives its flow.
//
// Acceptance (differs from Linux on purpose): a flow is offloaded when some
// callback accepted each of its two directions; if one direction finds no
// taker the other is destroyed again and the flow stays in software. Linux
// counts a flow offloaded when any callback accepted either direction, which
// leaves half a flow in hardware and the rest in software.
#ifndef FLOWLANE_OFFLOAD_ENGINE_H
#define FLOWLANE_OFFLOAD_ENGINE_H

#include "flowlane/offload.h"
#include "nf_flow_table/flow_table.h"
#include "offload/flow_rule.h"

namespace fl::offload {

class Engine final : public HwOffloadHooks {
public:
	static Result<Engine *> try_create(FlowTable &ft, const struct fl_offload_ops *ops, void *priv);
	// context: sleep. The table must be destroyed (or detached) first.
	static void destroy(Engine *e);

	void set_priority(u32 priority) { priority_.store_relaxed(priority); }
	Status try_bind(s32 ifindex, fl_setup_fn setup, void *dev_priv) FL_EXCLUDES(lock_);
	void unbind(s32 ifindex) FL_EXCLUDES(lock_);
	void stats(struct fl_offload_stats *st) const;

	// HwOffloadHooks
	void flow_added(Flow &flow) override;
	void flow_refreshed(Flow &flow) override;
	void flow_removing(Flow &flow) override;
	void flow_stats(Flow &flow) override;
	void flush() override;

private:
	enum class Cmd : u8 { Add, Del, Stats };
	struct Item {
		Item *next;
		Flow *flow;
		Cmd cmd;
	};
	// The own block: bound devices, and the distinct callbacks they returned.
	struct Device {
		s32 ifindex;
		fl_setup_fn setup;
		void *dev_priv;
		fl_block_cb cb;
		void *cb_priv;
	};
	struct Callback {
		fl_block_cb cb;
		void *cb_priv;
		u32 refs;
	};
	static constexpr u32 kMaxDevices = 64;
	// Why an add attempt failed, one counter each.
	enum class Reason : u8 { Refused, Full, NoDevice, NoNeigh, Unsupported, TooBig, NoMemory };

	Engine(FlowTable &ft, struct fl_lock *lock, struct fl_work *work, Device *devices,
	       Callback *callbacks, Callback *scratch, const struct fl_offload_ops *ops, void *priv)
		: ft_(ft), lock_(lock), work_(work), devices_(devices), callbacks_(callbacks),
		  scratch_(scratch), ops_(ops), priv_(priv)
	{
	}
	~Engine() = default;

	static void work_fn(void *arg);
	void run_queue() FL_EXCLUDES(lock_);
	bool queue(Flow &flow, Cmd cmd) FL_EXCLUDES(lock_);
	Item *find_queued(const Flow &flow) FL_REQUIRES(lock_);
	void release_device(s32 ifindex);
	void unbind_driver(s32 ifindex) FL_EXCLUDES(lock_);
	void add_callback(fl_block_cb cb, void *cb_priv) FL_REQUIRES(lock_);
	void drop_callback(fl_block_cb cb, void *cb_priv) FL_REQUIRES(lock_);
	int dispatch(struct fl_rule_request &req) FL_EXCLUDES(lock_);
	int broadcast(struct fl_rule_request &req) FL_EXCLUDES(lock_);
	Lowering lowering() const;
	void do_add(Flow &flow);
	void do_del(Flow &flow);
	void do_stats(Flow &flow);
	Status try_replace_dir(Flow &flow, Dir dir, struct fl_rule &rule);
	void destroy_dir(Flow &flow, Dir dir);
	void hw_state(Flow &flow, bool offloaded);
	void count_failure(Error e);
	void count(Atomic<u64> &c) { c.fetch_add(1); }

	FlowTable &ft_;
	mutable SpinLock lock_;
	struct fl_work *const work_;
	Item *head_ FL_GUARDED_BY(lock_) = nullptr;
	Item *tail_ FL_GUARDED_BY(lock_) = nullptr;
	Device *const devices_ FL_PT_GUARDED_BY(lock_);
	u32 ndevices_ FL_GUARDED_BY(lock_) = 0;
	Callback *const callbacks_ FL_PT_GUARDED_BY(lock_);
	u32 ncallbacks_ FL_GUARDED_BY(lock_) = 0;
	Callback *const scratch_; // the work's copy of the block while it broadcasts
	const struct fl_offload_ops *const ops_;
	void *const priv_;
	Atomic<u32> priority_;

	Atomic<u64> adds_, add_failed_, dels_, stats_polls_, refreshed_, no_memory_, no_device_,
		queued_, offloaded_, refused_, full_, no_neigh_, unsupported_, too_big_, rollbacks_;
};

inline Engine *to_core(struct fl_offload *off) { return reinterpret_cast<Engine *>(off); }
inline const Engine *to_core(const struct fl_offload *off)
{
	return reinterpret_cast<const Engine *>(off);
}

} // namespace fl::offload

#endif // FLOWLANE_OFFLOAD_ENGINE_H
