// SPDX-License-Identifier: GPL-2.0
//
// Deferred and delayed work for the userspace boundary. One scheduler for the
// process: in Threaded mode a worker thread runs items when they are due; in
// Manual mode items run only inside run_pending()/advance_ms() on the caller's
// thread, which makes GC and resizing happen exactly when a test says so.
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <list>
#include <mutex>
#include <thread>

#include "flowlane/boundary.h"
#include "platform/user/platform.h"
#include "platform/user/platform_internal.h"

struct fl_work {
	fl_work_fn fn;
	void *arg;
	bool pending = false;
	bool running = false;
	uint32_t due = 0;
	uint64_t started = 0;  // runs begun
	uint64_t finished = 0; // runs ended
};

namespace flplat {

namespace {

class Scheduler {
public:
	~Scheduler() { stop_worker(); }

	bool queue(fl_work *w, uint32_t delay)
	{
		std::unique_lock<std::mutex> lock(mu_);
		if (w->pending)
			return false;
		w->pending = true;
		w->due = now_ticks() + delay;
		queue_.push_back(w);
		if (mode_ == WorkMode::Threaded)
			ensure_worker(lock);
		cv_.notify_all();
		return true;
	}

	void cancel_sync(fl_work *w)
	{
		std::unique_lock<std::mutex> lock(mu_);
		unqueue(w);
		cv_.wait(lock, [&] { return !w->running; });
	}

	void flush(fl_work *w)
	{
		std::unique_lock<std::mutex> lock(mu_);
		if (mode_ == WorkMode::Manual && w->pending) {
			// Nobody else will run it: run it now, like flush_delayed_work().
			unqueue(w);
			run_locked(w, lock);
			return;
		}
		// Like flush_delayed_work(): wait for the run pending now (brought
		// forward) or in progress, not for runs the item queues later (a
		// self-requeueing item would otherwise never be flushed).
		uint64_t target = w->started + (w->pending ? 1 : 0);
		if (w->pending) {
			w->due = now_ticks();
			cv_.notify_all();
		}
		cv_.wait(lock, [&] { return w->finished >= target; });
	}

	unsigned run_pending()
	{
		unsigned ran = 0;
		std::unique_lock<std::mutex> lock(mu_);
		while (fl_work *w = pop_due()) {
			run_locked(w, lock);
			ran++;
		}
		return ran;
	}

	unsigned pending()
	{
		std::lock_guard<std::mutex> lock(mu_);
		return static_cast<unsigned>(queue_.size());
	}

	uint64_t next_due_in(uint64_t limit)
	{
		std::lock_guard<std::mutex> lock(mu_);
		uint32_t now = now_ticks();
		uint64_t best = limit;
		for (fl_work *w : queue_) {
			int32_t d = static_cast<int32_t>(w->due - now);
			best = std::min<uint64_t>(best, d > 0 ? static_cast<uint64_t>(d) : 0);
		}
		return best;
	}

	void set_mode(WorkMode mode)
	{
		{
			std::lock_guard<std::mutex> lock(mu_);
			if (mode_ == mode)
				return;
			mode_ = mode;
		}
		if (mode == WorkMode::Manual) {
			stop_worker();
		} else {
			std::unique_lock<std::mutex> lock(mu_);
			if (!queue_.empty())
				ensure_worker(lock);
		}
	}

	WorkMode mode()
	{
		std::lock_guard<std::mutex> lock(mu_);
		return mode_;
	}

	void notify()
	{
		std::lock_guard<std::mutex> lock(mu_);
		cv_.notify_all();
	}

private:
	void unqueue(fl_work *w)
	{
		if (!w->pending)
			return;
		queue_.remove(w);
		w->pending = false;
	}

	// The earliest due item, removed from the queue; nullptr if none is due.
	fl_work *pop_due()
	{
		uint32_t now = now_ticks();
		auto best = queue_.end();
		for (auto it = queue_.begin(); it != queue_.end(); ++it) {
			if (static_cast<int32_t>((*it)->due - now) > 0)
				continue;
			if (best == queue_.end() || static_cast<int32_t>((*it)->due - (*best)->due) < 0)
				best = it;
		}
		if (best == queue_.end())
			return nullptr;
		fl_work *w = *best;
		queue_.erase(best);
		w->pending = false;
		return w;
	}

	void run_locked(fl_work *w, std::unique_lock<std::mutex> &lock)
	{
		w->running = true;
		w->started++;
		lock.unlock();
		w->fn(w->arg);
		lock.lock();
		w->running = false;
		w->finished++;
		cv_.notify_all();
	}

	void ensure_worker(std::unique_lock<std::mutex> &)
	{
		if (!worker_.joinable()) {
			stopping_ = false;
			worker_ = std::thread([this] { worker_loop(); });
		}
	}

	void stop_worker()
	{
		{
			std::lock_guard<std::mutex> lock(mu_);
			stopping_ = true;
			cv_.notify_all();
		}
		if (worker_.joinable())
			worker_.join();
	}

	void worker_loop()
	{
		std::unique_lock<std::mutex> lock(mu_);
		while (!stopping_) {
			if (fl_work *w = pop_due()) {
				run_locked(w, lock);
				continue;
			}
			// Wake for new items, manual clock moves (notified) or the next deadline.
			uint64_t wait_ms = 100;
			if (clock_mode() == ClockMode::Real) {
				uint32_t now = now_ticks();
				for (fl_work *w : queue_) {
					int32_t d = static_cast<int32_t>(w->due - now);
					wait_ms = std::min<uint64_t>(wait_ms, d > 1 ? d : 1);
				}
			}
			cv_.wait_for(lock, std::chrono::milliseconds(wait_ms));
		}
	}

	std::mutex mu_;
	std::condition_variable cv_;
	std::list<fl_work *> queue_;
	WorkMode mode_ = WorkMode::Threaded;
	bool stopping_ = false;
	std::thread worker_;
};

Scheduler &scheduler()
{
	static Scheduler *s = new Scheduler(); // lives for the process; threads may outlive main
	return *s;
}

} // namespace

void set_work_mode(WorkMode mode) { scheduler().set_mode(mode); }
WorkMode work_mode() { return scheduler().mode(); }
unsigned run_pending() { return scheduler().run_pending(); }
unsigned pending_work() { return scheduler().pending(); }
uint64_t next_due_in_ms(uint64_t limit) { return scheduler().next_due_in(limit); }
void notify_clock_changed() { scheduler().notify(); }

} // namespace flplat

using flplat::scheduler;

extern "C" {

struct fl_work *fl_work_create(fl_work_fn fn, void *arg) noexcept
{
	void *mem = fl_alloc(sizeof(fl_work), 0);
	if (!mem)
		return nullptr;
	auto *w = new (mem) fl_work();
	w->fn = fn;
	w->arg = arg;
	return w;
}

bool fl_work_queue(struct fl_work *work) noexcept { return scheduler().queue(work, 0); }

bool fl_work_queue_delayed(struct fl_work *work, fl_u32 delay_ticks) noexcept
{
	return scheduler().queue(work, delay_ticks);
}

void fl_work_cancel_sync(struct fl_work *work) noexcept { scheduler().cancel_sync(work); }

void fl_work_flush(struct fl_work *work) noexcept { scheduler().flush(work); }

void fl_work_destroy(struct fl_work *work) noexcept
{
	if (!work)
		return;
	scheduler().cancel_sync(work);
	work->~fl_work();
	fl_free(work, sizeof(fl_work));
}

} // extern "C"
