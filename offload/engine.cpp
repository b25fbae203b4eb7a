// SPDX-License-Identifier: GPL-2.0
//
// The offload engine: work queue, per-flow hardware state, the block of
// driver callbacks and the broadcast of rule commands to it.
#include "offload/engine.h"

namespace fl::offload {

namespace {

// Statistics are fetched once less than this share of the timeout is left
// (Linux: 9/10), so an idle-looking flow is polled a few times per timeout.
constexpr u32 kStatsPollNum = 9, kStatsPollDen = 10;
// Rounds of collect-and-flush a device release waits for its flows.
constexpr unsigned kReleaseRounds = 64;

} // namespace

// ------------------------------------------------------------------ lifecycle

Result<Engine *> Engine::try_create(FlowTable &ft, const struct fl_offload_ops *ops, void *priv)
{
	if (!(ft.flags() & FL_FLOWTABLE_HW_OFFLOAD) || ft.hw())
		return Error::Invalid;
	struct fl_lock *lock = fl_lock_create();
	if (!lock)
		return Error::NoMemory;
	// One allocation for the own block: devices, callbacks, the work's copy.
	constexpr size_t kDevBytes = sizeof(Device) * kMaxDevices;
	constexpr size_t kCbBytes = sizeof(Callback) * kMaxDevices;
	auto *block = static_cast<u8 *>(fl_alloc(kDevBytes + 2 * kCbBytes, FL_ALLOC_ZERO));
	if (!block)
		goto destroy_lock;
	{
		void *mem = fl_alloc(sizeof(Engine), FL_ALLOC_ZERO);
		if (!mem)
			goto free_block;
		struct fl_work *work = fl_work_create(&Engine::work_fn, mem);
		if (!work) {
			fl_free(mem, sizeof(Engine));
			goto free_block;
		}
		auto *devices = reinterpret_cast<Device *>(block);
		auto *callbacks = reinterpret_cast<Callback *>(block + kDevBytes);
		auto *scratch = reinterpret_cast<Callback *>(block + kDevBytes + kCbBytes);
		auto *e = new (mem, placement) Engine(ft, lock, work, devices, callbacks, scratch, ops, priv);
		ft.attach_hw(e);
		return e;
	}

free_block:
	fl_free(block, kDevBytes + 2 * kCbBytes);
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
	fl_free(e->devices_, (sizeof(Device) + 2 * sizeof(Callback)) * kMaxDevices);
	e->~Engine();
	fl_free(e, sizeof(Engine));
	fl_lock_destroy(lock);
}

// ------------------------------------------------------------------ the own block

void Engine::add_callback(fl_block_cb cb, void *cb_priv)
{
	for (u32 i = 0; i < ncallbacks_; i++) {
		if (callbacks_[i].cb == cb && callbacks_[i].cb_priv == cb_priv) {
			callbacks_[i].refs++; // one callback serving several ports
			return;
		}
	}
	callbacks_[ncallbacks_++] = Callback{cb, cb_priv, 1};
}

void Engine::drop_callback(fl_block_cb cb, void *cb_priv)
{
	for (u32 i = 0; i < ncallbacks_; i++) {
		if (callbacks_[i].cb != cb || callbacks_[i].cb_priv != cb_priv)
			continue;
		if (--callbacks_[i].refs == 0)
			callbacks_[i] = callbacks_[--ncallbacks_];
		return;
	}
}

Status Engine::try_bind(s32 ifindex, fl_setup_fn setup, void *dev_priv)
{
	if (!setup || ifindex <= 0 || (ops_ && ops_->dispatch))
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
	add_callback(bind.cb, bind.cb_priv);
	return {};
}

// Flows through the device leave the hardware through the normal delete path
// while every callback is still in the block: nothing stays behind in a
// driver (Linux unbinds first and sends the deletes to an emptied block).
void Engine::release_device(s32 ifindex)
{
	ft_.cleanup_dev(ifindex);
	for (unsigned round = 0; round < kReleaseRounds; round++) {
		ft_.collect(); // torn down -> delete queued; dead -> freed
		flush();
		if (!ft_.any_flow_uses(ifindex))
			return;
	}
	fl_log(FL_LOG_WARN, "offload: flows through device %d outlived its release", ifindex);
}

void Engine::unbind_driver(s32 ifindex)
{
	Device dev = {};
	{
		SpinGuard guard(lock_);
		for (u32 i = 0; i < ndevices_; i++) {
			if (devices_[i].ifindex != ifindex)
				continue;
			dev = devices_[i];
			devices_[i] = devices_[--ndevices_];
			drop_callback(dev.cb, dev.cb_priv);
			break;
		}
	}
	if (!dev.setup)
		return;
	// A broadcast in progress may still hold the callback: let it finish.
	fl_work_flush(work_);
	struct fl_block_bind bind = {};
	bind.command = FL_BLOCK_UNBIND;
	bind.ifindex = ifindex;
	bind.cb = dev.cb;
	bind.cb_priv = dev.cb_priv;
	int err = dev.setup(dev.dev_priv, FL_SETUP_FT, &bind);
	if (err)
		fl_log(FL_LOG_WARN, "offload: device %d refused to unbind (%d)", ifindex, err);
}

void Engine::unbind(s32 ifindex)
{
	release_device(ifindex);
	unbind_driver(ifindex);
}

// Every callback sees the command; the count of those that accepted it
// comes back, the telling refusal in req.err.
int Engine::broadcast(struct fl_rule_request &req)
{
	u32 n;
	{
		SpinGuard guard(lock_);
		n = ncallbacks_;
		for (u32 i = 0; i < n; i++)
			scratch_[i] = callbacks_[i];
	}
	int accepted = 0;
	for (u32 i = 0; i < n; i++) {
		int err = scratch_[i].cb(FL_SETUP_CLSFLOWER, &req, scratch_[i].cb_priv);
		if (err < 0)
			fl_rule_request_note_error(&req, err);
		else
			accepted++;
	}
	return accepted;
}

int Engine::dispatch(struct fl_rule_request &req)
{
	req.err = 0;
	if (ops_ && ops_->dispatch)
		return ops_->dispatch(priv_, &req);
	return broadcast(req);
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

// A flow that never made it to hardware (refused, lack of memory) is retried
// when software traffic refreshes it, as the kernel does. An offloaded flow
// is not sent again: no duplicate REPLACE reaches the drivers.
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
	// Only when hardware use could matter soon: the flow has lost a tenth of its time.
	u32 timeout = ft_.timeout_ticks(flow.l4proto());
	if (ft_.remaining(flow) >= static_cast<s32>(timeout / kStatsPollDen * kStatsPollNum))
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

Lowering Engine::lowering() const
{
	Lowering ctx;
	ctx.priority = priority_.load_relaxed();
	ctx.ops = ops_;
	ctx.priv = priv_;
	return ctx;
}

void Engine::count_failure(Error e)
{
	count(add_failed_);
	switch (e) {
	case Error::NoSpace:
		return count(full_);
	case Error::NoDevice:
		return count(no_device_);
	case Error::NotFound:
		return count(no_neigh_);
	case Error::NotSupported:
		return count(unsupported_);
	case Error::TooBig:
		return count(too_big_);
	case Error::NoMemory:
		return count(no_memory_);
	default:
		return count(refused_);
	}
}

// One direction to the block. Lowering errors say what Linux's rule cannot
// carry (or the neighbour is not there yet); otherwise the block's answer:
// nobody there, nobody willing (the telling refusal), or accepted.
Status Engine::try_replace_dir(Flow &flow, Dir dir, struct fl_rule &rule)
{
	TRY(try_build_rule(flow, dir, rule, lowering()));
	struct fl_rule_request req = {};
	req.cmd = FL_RULE_REPLACE;
	req.cookie = rule.cookie;
	req.rule = &rule;
	int n = dispatch(req);
	if (n > 0)
		return {};
	if (n < 0)
		return from_errno(n);
	if (!req.err)
		return Error::NoDevice;
	// Drivers' refusals are theirs: only a full table keeps its own reason.
	return req.err == to_errno(Error::NoSpace) ? Error::NoSpace : Error::Io;
}

void Engine::destroy_dir(Flow &flow, Dir dir)
{
	struct fl_rule_request req = {};
	req.cmd = FL_RULE_DESTROY;
	req.cookie = rule_cookie(flow, dir);
	// Drivers without the rule answer -ENOENT; whoever held it let go.
	dispatch(req);
}

void Engine::hw_state(Flow &flow, bool offloaded)
{
	if (flow.ct && ops_ && ops_->hw_state)
		ops_->hw_state(priv_, flow.ct, offloaded);
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
	Status orig = try_replace_dir(flow, Dir::Original, *rule);
	Status reply = orig.ok() ? try_replace_dir(flow, Dir::Reply, *rule) : Status{};
	fl_free(rule, sizeof(struct fl_rule));
	if (orig.ok() && reply.ok()) {
		flow.flags.set(FL_FLOW_HW_OFFLOADED);
		hw_state(flow, true);
		count(adds_);
		count(offloaded_);
		return;
	}
	// Half a flow in hardware is worse than none.
	if (orig.ok()) {
		destroy_dir(flow, Dir::Original);
		count(rollbacks_);
	}
	flow.flags.set(FL_FLOW_HW_FAILED);
	count_failure(orig.ok() ? reply.error() : orig.error());
}

void Engine::do_del(Flow &flow)
{
	if (flow.flags.test_and_clear(FL_FLOW_HW_OFFLOADED)) {
		hw_state(flow, false);
		destroy_dir(flow, Dir::Original);
		destroy_dir(flow, Dir::Reply);
		count(dels_);
		offloaded_.fetch_sub(1);
	}
	{
		SpinGuard guard(lock_);
		flow.flags.clear(FL_FLOW_HW_PENDING);
		flow.flags.set(FL_FLOW_HW_DEAD);
	}
}

// Hardware counters since the last poll go to the flow (and, with the
// counter flag, to conntrack). Liveness comes from lastused, not from packet
// counts: drivers that count nothing but report when they last matched
// (MediaTek in Linux 6.1) keep their flows alive too.
void Engine::do_stats(Flow &flow)
{
	count(stats_polls_);
	Tick latest;
	bool used = false;
	for (unsigned d = 0; d < 2; d++) {
		Dir dir = static_cast<Dir>(d);
		struct fl_rule_request req = {};
		req.cmd = FL_RULE_STATS;
		req.cookie = rule_cookie(flow, dir);
		if (dispatch(req) <= 0)
			continue;
		const struct fl_rule_stats &st = req.stats;
		if (st.packets)
			ft_.account(flow, dir, st.packets, st.bytes);
		// Packets without a time stamp were seen since the last poll.
		Tick seen = st.used ? Tick(st.lastused) : Tick::now();
		if ((st.used || st.packets) && (!used || seen.after(latest))) {
			latest = seen;
			used = true;
		}
	}
	if (used && !flow.torn_down() && ft_.refresh_from(flow, latest))
		count(refreshed_);
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
	st->offloaded = offloaded_.load_relaxed();
	st->refused = refused_.load_relaxed();
	st->full = full_.load_relaxed();
	st->no_neigh = no_neigh_.load_relaxed();
	st->unsupported = unsupported_.load_relaxed();
	st->too_big = too_big_.load_relaxed();
	st->rollbacks = rollbacks_.load_relaxed();
}

} // namespace fl::offload

// ------------------------------------------------------------------ C API

using fl::offload::Engine;

extern "C" {

int fl_offload_create_with(struct fl_flowtable *ft, const struct fl_offload_ops *ops, void *priv,
			   struct fl_offload **out) noexcept
{
	if (!ft || !out)
		return fl::to_errno(fl::Error::Invalid);
	auto r = Engine::try_create(*fl::to_core(ft), ops, priv);
	if (!r.ok())
		return fl::to_errno(r.error());
	*out = reinterpret_cast<struct fl_offload *>(r.release_value());
	return 0;
}

int fl_offload_create(struct fl_flowtable *ft, struct fl_offload **out) noexcept
{
	return fl_offload_create_with(ft, nullptr, nullptr, out);
}

void fl_offload_destroy(struct fl_offload *off) noexcept { Engine::destroy(fl::offload::to_core(off)); }

void fl_offload_set_priority(struct fl_offload *off, fl_u32 priority) noexcept
{
	fl::offload::to_core(off)->set_priority(priority);
}

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
