// SPDX-License-Identifier: GPL-2.0
//
// The offload engine: work queue, per-flow hardware state, driver dispatch.
#include "offload/engine.h"

#include "offload/flow_rule.h"

namespace fl::offload {

// ------------------------------------------------------------------ lifecycle

Result<Engine *> Engine::try_create(FlowTable &ft)
{
	if (!(ft.flags() & FL_FLOWTABLE_HW_OFFLOAD) || ft.hw())
		return Error::Invalid;
	struct fl_lock *lock = fl_lock_create();
	if (!lock)
		return Error::NoMemory;
	auto *devices = static_cast<Device *>(fl_alloc(sizeof(Device) * kMaxDevices, FL_ALLOC_ZERO));
	if (!devices)
		goto destroy_lock;
	{
		void *mem = fl_alloc(sizeof(Engine), FL_ALLOC_ZERO);
		if (!mem)
			goto free_devices;
		struct fl_work *work = fl_work_create(&Engine::work_fn, mem);
		if (!work) {
			fl_free(mem, sizeof(Engine));
			goto free_devices;
		}
		auto *e = new (mem, placement) Engine(ft, lock, work, devices);
		ft.attach_hw(e);
		return e;
	}

free_devices:
	fl_free(devices, sizeof(Device) * kMaxDevices);
destroy_lock:
	fl_lock_destroy(lock);
	return Error::NoMemory;
}

void Engine::destroy(Engine *e)
{
	if (!e)
		return;
	// The table is gone: it flushed us while draining. Nothing may remain.
	fl_work_destroy(e->work_);
	{
		SpinGuard guard(e->lock_);
		FL_ASSERT(!e->head_);
	}
	struct fl_lock *lock = e->lock_.raw();
	fl_free(e->devices_, sizeof(Device) * kMaxDevices);
	e->~Engine();
	fl_free(e, sizeof(Engine));
	fl_lock_destroy(lock);
}

// ------------------------------------------------------------------ devices

Status Engine::try_bind(s32 ifindex, fl_setup_fn setup, void *dev_priv)
{
	if (!setup || ifindex <= 0)
		return Error::Invalid;
	{
		SpinGuard guard(lock_);
		for (u32 i = 0; i < ndevices_; i++)
			if (devices_[i].ifindex == ifindex)
				return Error::Exists;
		if (ndevices_ == kMaxDevices)
			return Error::NoSpace;
	}
	// The driver registers its per-rule callback (the TC_SETUP_FT bind).
	struct fl_block_bind bind = {};
	bind.command = FL_BLOCK_BIND;
	bind.ifindex = ifindex;
	int err = setup(dev_priv, FL_SETUP_FT, &bind);
	if (err)
		return from_errno(err);
	if (!bind.cb)
		return Error::NotSupported;
	SpinGuard guard(lock_);
	devices_[ndevices_++] = Device{ifindex, setup, dev_priv, bind.cb, bind.cb_priv};
	return {};
}

void Engine::unbind(s32 ifindex)
{
	// Flows through the device go back to software; their rules leave the
	// hardware through the normal delete path before the block is unbound.
	ft_.cleanup_dev(ifindex);
	for (unsigned round = 0; round < 64; round++) {
		ft_.gc(nullptr);
		flush();
		bool left = false;
		ft_.for_each_flow([&](Flow &flow) {
			for (unsigned d = 0; d < 2; d++)
				left |= flow.entry[d].key.iifindex == ifindex;
			return !left;
		});
		if (!left)
			break;
	}
	Device dev = {};
	{
		SpinGuard guard(lock_);
		for (u32 i = 0; i < ndevices_; i++) {
			if (devices_[i].ifindex != ifindex)
				continue;
			dev = devices_[i];
			devices_[i] = devices_[--ndevices_];
			break;
		}
	}
	if (!dev.setup)
		return;
	struct fl_block_bind bind = {};
	bind.command = FL_BLOCK_UNBIND;
	bind.ifindex = ifindex;
	bind.cb = dev.cb;
	bind.cb_priv = dev.cb_priv;
	(void)dev.setup(dev.dev_priv, FL_SETUP_FT, &bind);
}

bool Engine::device_cb(s32 ifindex, fl_block_cb *cb, void **priv)
{
	SpinGuard guard(lock_);
	for (u32 i = 0; i < ndevices_; i++) {
		if (devices_[i].ifindex == ifindex) {
			*cb = devices_[i].cb;
			*priv = devices_[i].cb_priv;
			return true;
		}
	}
	return false;
}

// A flower command to the driver of @ifindex (the rule's ingress device).
int Engine::call(s32 ifindex, struct fl_rule_request &req)
{
	fl_block_cb cb;
	void *priv;
	if (!device_cb(ifindex, &cb, &priv)) {
		count(no_device_);
		return to_errno(Error::NotFound);
	}
	return cb(FL_SETUP_CLSFLOWER, &req, priv);
}

// ------------------------------------------------------------------ queue

Engine::Item *Engine::find_queued(const Flow &flow)
{
	for (Item *i = head_; i; i = i->next)
		if (i->flow == &flow)
			return i;
	return nullptr;
}

bool Engine::queue(Flow &flow, Cmd cmd)
{
	auto *item = static_cast<Item *>(fl_alloc(sizeof(Item), FL_ALLOC_ATOMIC));
	if (!item) {
		count(no_memory_);
		return false;
	}
	item->next = nullptr;
	item->flow = &flow;
	item->cmd = cmd;
	{
		SpinGuard guard(lock_);
		// Decided under the lock that flow_removing() takes: once a flow is
		// dying it gets no new work but the delete.
		if (cmd != Cmd::Del && flow.flags.test(FL_FLOW_HW_DYING)) {
			fl_free(item, sizeof(Item));
			return false;
		}
		flow.flags.set(FL_FLOW_HW_PENDING);
		if (tail_)
			tail_->next = item;
		else
			head_ = item;
		tail_ = item;
	}
	count(queued_);
	fl_work_queue(work_);
	return true;
}

void Engine::work_fn(void *arg) { static_cast<Engine *>(arg)->run_queue(); }

void Engine::run_queue()
{
	for (;;) {
		Item *item;
		{
			SpinGuard guard(lock_);
			item = head_;
			if (!item)
				return;
			head_ = item->next;
			if (!head_)
				tail_ = nullptr;
		}
		Flow &flow = *item->flow;
		Cmd cmd = item->cmd;
		fl_free(item, sizeof(Item));
		if (cmd == Cmd::Add)
			do_add(flow);
		else if (cmd == Cmd::Stats)
			do_stats(flow);
		if (cmd != Cmd::Del) {
			SpinGuard guard(lock_);
			if (!find_queued(flow))
				flow.flags.clear(FL_FLOW_HW_PENDING);
			continue;
		}
		// Last touch of the flow: once DEAD, GC may free it.
		do_del(flow);
	}
}

void Engine::flush()
{
	for (unsigned round = 0; round < 1024; round++) {
		fl_work_flush(work_);
		SpinGuard guard(lock_);
		if (!head_)
			return;
	}
}

// ------------------------------------------------------------------ hooks

void Engine::flow_added(Flow &flow)
{
	if (flow.flags.test(FL_FLOW_HW_PENDING | FL_FLOW_HW_DYING))
		return;
	queue(flow, Cmd::Add);
}

// A flow that never made it to hardware (failure, lack of memory) is retried
// when traffic refreshes it, as the kernel does.
void Engine::flow_refreshed(Flow &flow)
{
	if (flow.flags.test(FL_FLOW_HW_OFFLOADED | FL_FLOW_HW_PENDING | FL_FLOW_HW_DYING))
		return;
	flow.flags.clear(FL_FLOW_HW_FAILED);
	queue(flow, Cmd::Add);
}

void Engine::flow_stats(Flow &flow)
{
	if (!flow.flags.test(FL_FLOW_HW_OFFLOADED) ||
	    flow.flags.test(FL_FLOW_HW_PENDING | FL_FLOW_HW_DYING))
		return;
	queue(flow, Cmd::Stats);
}

void Engine::flow_removing(Flow &flow)
{
	{
		SpinGuard guard(lock_);
		flow.flags.set(FL_FLOW_HW_DYING);
		// At most one item per flow: a queued add or stats becomes the delete.
		if (Item *item = find_queued(flow)) {
			item->cmd = Cmd::Del;
			return;
		}
		if (!flow.flags.test(FL_FLOW_HW_PENDING | FL_FLOW_HW_OFFLOADED)) {
			flow.flags.set(FL_FLOW_HW_DEAD); // nothing in hardware
			return;
		}
	}
	// Offloaded, or an item for it is running right now: delete after it.
	if (!queue(flow, Cmd::Del))
		flow.flags.clear(FL_FLOW_HW_DYING); // GC asks again on its next pass
}

// ------------------------------------------------------------------ work

bool Engine::replace_dir(Flow &flow, Dir dir, struct fl_rule &rule)
{
	if (!try_build_rule(flow, dir, rule).ok())
		return false;
	struct fl_rule_request req = {};
	req.cmd = FL_RULE_REPLACE;
	req.cookie = rule.cookie;
	req.rule = &rule;
	return call(flow.tuple(dir).iifindex, req) == 0;
}

void Engine::destroy_dir(Flow &flow, Dir dir)
{
	struct fl_rule_request req = {};
	req.cmd = FL_RULE_DESTROY;
	req.cookie = rule_cookie(flow, dir);
	(void)call(flow.tuple(dir).iifindex, req);
}

void Engine::do_add(Flow &flow)
{
	if (flow.flags.test(FL_FLOW_HW_OFFLOADED | FL_FLOW_HW_DYING))
		return;
	auto *rule = static_cast<struct fl_rule *>(fl_alloc(sizeof(struct fl_rule), 0));
	if (!rule) {
		count(no_memory_);
		return; // still software; a refresh retries
	}
	bool orig = replace_dir(flow, Dir::Original, *rule);
	bool reply = orig && replace_dir(flow, Dir::Reply, *rule);
	fl_free(rule, sizeof(struct fl_rule));
	if (reply) {
		flow.flags.set(FL_FLOW_HW_OFFLOADED);
		count(adds_);
		return;
	}
	// Half a flow in hardware is worse than none.
	if (orig)
		destroy_dir(flow, Dir::Original);
	flow.flags.set(FL_FLOW_HW_FAILED);
	count(add_failed_);
}

void Engine::do_del(Flow &flow)
{
	if (flow.flags.test_and_clear(FL_FLOW_HW_OFFLOADED)) {
		destroy_dir(flow, Dir::Original);
		destroy_dir(flow, Dir::Reply);
		count(dels_);
	}
	{
		SpinGuard guard(lock_);
		flow.flags.clear(FL_FLOW_HW_PENDING);
		flow.flags.set(FL_FLOW_HW_DEAD);
	}
}

// Hardware counters since the last poll: count them, and traffic keeps the
// flow alive beyond its software timeout.
void Engine::do_stats(Flow &flow)
{
	count(stats_polls_);
	bool used = false;
	for (unsigned d = 0; d < 2; d++) {
		Dir dir = static_cast<Dir>(d);
		struct fl_rule_request req = {};
		req.cmd = FL_RULE_STATS;
		req.cookie = rule_cookie(flow, dir);
		if (call(flow.tuple(dir).iifindex, req) || !req.stats.packets)
			continue;
		ft_.account(flow, dir, req.stats.packets, req.stats.bytes);
		used = true;
	}
	if (used && !flow.torn_down()) {
		ft_.refresh(flow);
		count(refreshed_);
	}
}

void Engine::stats(struct fl_offload_stats *st) const
{
	st->adds = adds_.load_relaxed();
	st->add_failed = add_failed_.load_relaxed();
	st->dels = dels_.load_relaxed();
	st->stats_polls = stats_polls_.load_relaxed();
	st->refreshed = refreshed_.load_relaxed();
	st->no_memory = no_memory_.load_relaxed();
	st->no_device = no_device_.load_relaxed();
	st->queued = queued_.load_relaxed();
}

} // namespace fl::offload

// ------------------------------------------------------------------ C API

using fl::offload::Engine;

extern "C" {

int fl_offload_create(struct fl_flowtable *ft, struct fl_offload **out) noexcept
{
	if (!ft || !out)
		return fl::to_errno(fl::Error::Invalid);
	auto r = Engine::try_create(*fl::to_core(ft));
	if (!r.ok())
		return fl::to_errno(r.error());
	*out = reinterpret_cast<struct fl_offload *>(r.release_value());
	return 0;
}

void fl_offload_destroy(struct fl_offload *off) noexcept { Engine::destroy(fl::offload::to_core(off)); }

int fl_offload_bind(struct fl_offload *off, fl_s32 ifindex, fl_setup_fn setup, void *dev_priv) noexcept
{
	fl::Status st = fl::offload::to_core(off)->try_bind(ifindex, setup, dev_priv);
	return st.ok() ? 0 : fl::to_errno(st.error());
}

void fl_offload_unbind(struct fl_offload *off, fl_s32 ifindex) noexcept
{
	fl::offload::to_core(off)->unbind(ifindex);
}

void fl_offload_flush(struct fl_offload *off) noexcept { fl::offload::to_core(off)->flush(); }

void fl_offload_stats(const struct fl_offload *off, struct fl_offload_stats *st) noexcept
{
	fl::offload::to_core(off)->stats(st);
}

} // extern "C"
