// SPDX-License-Identifier: GPL-2.0
//
// The offload engine: the flowtable's hardware side. Hooks from the table
// queue work items (add, delete, stats) on the boundary's deferred work; the
// work translates flows into rules and talks to the drivers of bound devices.
//
// Per-flow state lives in the flow's flags:
//   HW          the table wants the flow in hardware
//   PENDING     a work item for the flow is queued or running
//   OFFLOADED   both directions' rules are in hardware
//   FAILED      a driver refused; the flow stays on the software fastpath
//   DYING       removal requested; DEAD once the rules are gone
// A flow has at most one queued item: a removal request turns a queued add or
// stats item into the delete. GC frees an offloaded flow only once it is DEAD,
// so no queued item ever outlives its flow.
#ifndef FLOWLANE_OFFLOAD_ENGINE_H
#define FLOWLANE_OFFLOAD_ENGINE_H

#include "flowlane/offload.h"
#include "nf_flow_table/flow_table.h"

namespace fl::offload {

class Engine final : public HwOffloadHooks {
public:
	static Result<Engine *> try_create(FlowTable &ft);
	// context: sleep. The table must be destroyed (or detached) first.
	static void destroy(Engine *e);

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
	struct Device {
		s32 ifindex;
		fl_setup_fn setup;
		void *dev_priv;
		fl_block_cb cb;
		void *cb_priv;
	};
	static constexpr u32 kMaxDevices = 64;

	Engine(FlowTable &ft, struct fl_lock *lock, struct fl_work *work, Device *devices)
		: ft_(ft), lock_(lock), work_(work), devices_(devices)
	{
	}
	~Engine() = default;

	static void work_fn(void *arg);
	void run_queue() FL_EXCLUDES(lock_);
	bool queue(Flow &flow, Cmd cmd) FL_EXCLUDES(lock_);
	Item *find_queued(const Flow &flow) FL_REQUIRES(lock_);
	bool device_cb(s32 ifindex, fl_block_cb *cb, void **priv) FL_EXCLUDES(lock_);
	int call(s32 ifindex, struct fl_rule_request &req) FL_EXCLUDES(lock_);
	void do_add(Flow &flow);
	void do_del(Flow &flow);
	void do_stats(Flow &flow);
	bool replace_dir(Flow &flow, Dir dir, struct fl_rule &rule);
	void destroy_dir(Flow &flow, Dir dir);
	void count(Atomic<u64> &c) { c.fetch_add(1); }

	FlowTable &ft_;
	mutable SpinLock lock_;
	struct fl_work *const work_;
	Item *head_ FL_GUARDED_BY(lock_) = nullptr;
	Item *tail_ FL_GUARDED_BY(lock_) = nullptr;
	Device *const devices_ FL_PT_GUARDED_BY(lock_);
	u32 ndevices_ FL_GUARDED_BY(lock_) = 0;

	Atomic<u64> adds_, add_failed_, dels_, stats_polls_, refreshed_, no_memory_, no_device_,
		queued_;
};

inline Engine *to_core(struct fl_offload *off) { return reinterpret_cast<Engine *>(off); }
inline const Engine *to_core(const struct fl_offload *off)
{
	return reinterpret_cast<const Engine *>(off);
}

} // namespace fl::offload

#endif // FLOWLANE_OFFLOAD_ENGINE_H
