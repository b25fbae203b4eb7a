// SPDX-License-Identifier: GPL-2.0
//
// The userspace implementation of include/flowlane/boundary.h: memory, time,
// random, CPU id, logging and assertions. RCU and locks are in rcu_lock.cpp,
// deferred work in work.cpp.
#include "platform/user/platform.h"
#include "platform/user/platform_internal.h"

#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <mutex>
#include <random>
#include <sched.h>

#include "flowlane/boundary.h"

namespace flplat {

namespace {

std::atomic<uint64_t> g_fail_at{0};   // alloc number that fails; 0 = disarmed
std::atomic<uint64_t> g_alloc_seq{0}; // allocations attempted
std::atomic<uint64_t> g_allocs{0};
std::atomic<uint64_t> g_injected{0};
std::atomic<int64_t> g_live_bytes{0};
std::atomic<int64_t> g_live_blocks{0};

std::atomic<int> g_clock_mode{static_cast<int>(ClockMode::Real)};
std::atomic<uint32_t> g_manual_ticks{0};

std::mutex g_random_mu;
std::mt19937_64 g_random{std::random_device{}()};

std::mutex g_log_mu;
LogHook g_log_hook;
int g_log_level = FL_LOG_WARN;

std::atomic<bool> g_assert_aborts{true};
std::atomic<uint64_t> g_assert_failures{0};

uint32_t real_ticks()
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	uint64_t ms = static_cast<uint64_t>(ts.tv_sec) * 1000 + static_cast<uint64_t>(ts.tv_nsec) / 1000000;
	return static_cast<uint32_t>(ms);
}

bool should_fail_alloc()
{
	uint64_t seq = g_alloc_seq.fetch_add(1) + 1;
	uint64_t at = g_fail_at.load();
	if (at == 0 || seq != at)
		return false;
	g_fail_at.store(0);
	g_injected.fetch_add(1);
	return true;
}

} // namespace

void set_clock_mode(ClockMode mode)
{
	if (mode == ClockMode::Manual)
		g_manual_ticks.store(real_ticks());
	g_clock_mode.store(static_cast<int>(mode));
}

ClockMode clock_mode() { return static_cast<ClockMode>(g_clock_mode.load()); }

uint32_t now_ticks()
{
	return clock_mode() == ClockMode::Manual ? g_manual_ticks.load() : real_ticks();
}

void set_ticks(uint32_t ticks)
{
	g_manual_ticks.store(ticks);
	notify_clock_changed();
}

void advance_ms(uint64_t ms)
{
	// Step in slices so that delayed work fires at the right virtual times.
	while (ms) {
		uint64_t step = std::min<uint64_t>(ms, next_due_in_ms(1000));
		if (step == 0)
			step = 1;
		g_manual_ticks.fetch_add(static_cast<uint32_t>(step));
		notify_clock_changed();
		ms -= step;
		if (work_mode() == WorkMode::Manual)
			run_pending();
	}
}

void fail_nth_alloc(uint64_t n) { g_fail_at.store(n ? g_alloc_seq.load() + n : 0); }
uint64_t injected_failures() { return g_injected.load(); }
uint64_t alloc_count() { return g_allocs.load(); }
int64_t live_bytes() { return g_live_bytes.load(); }
int64_t live_blocks() { return g_live_blocks.load(); }

void seed_random(uint64_t seed)
{
	std::lock_guard<std::mutex> lock(g_random_mu);
	g_random.seed(seed ? seed : std::random_device{}());
}

void set_log_hook(LogHook hook)
{
	std::lock_guard<std::mutex> lock(g_log_mu);
	g_log_hook = std::move(hook);
}

void set_log_level(int max_level)
{
	std::lock_guard<std::mutex> lock(g_log_mu);
	g_log_level = max_level;
}

void set_assert_aborts(bool abort) { g_assert_aborts.store(abort); }
uint64_t assert_failures() { return g_assert_failures.load(); }

} // namespace flplat

using namespace flplat;

extern "C" {

void *fl_alloc(fl_size_t size, unsigned int flags) noexcept
{
	if (should_fail_alloc())
		return nullptr;
	void *p = nullptr;
	// Cache-line alignment for anything line-sized: flows keep each
	// direction's link and key in one line.
	size_t align = size >= 64 ? 64 : 16;
	if (posix_memalign(&p, align, size ? size : 1) != 0)
		return nullptr;
	if (flags & FL_ALLOC_ZERO)
		std::memset(p, 0, size);
	g_allocs.fetch_add(1);
	g_live_bytes.fetch_add(static_cast<int64_t>(size));
	g_live_blocks.fetch_add(1);
	return p;
}

void fl_free(void *ptr, fl_size_t size) noexcept
{
	if (!ptr)
		return;
	g_live_bytes.fetch_sub(static_cast<int64_t>(size));
	g_live_blocks.fetch_sub(1);
	std::free(ptr);
}

fl_u32 fl_time_ticks(void) noexcept { return now_ticks(); }

fl_u32 fl_time_hz(void) noexcept { return kHz; }

fl_u32 fl_random_u32(void) noexcept
{
	std::lock_guard<std::mutex> lock(g_random_mu);
	return static_cast<fl_u32>(g_random());
}

unsigned int fl_this_cpu(void) noexcept
{
	int cpu = sched_getcpu();
	return cpu < 0 ? 0u : static_cast<unsigned int>(cpu);
}

void fl_log(int level, const char *fmt, ...) noexcept
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	std::lock_guard<std::mutex> lock(g_log_mu);
	if (g_log_hook)
		g_log_hook(level, buf);
	else if (level <= g_log_level)
		std::fprintf(stderr, "flowlane: %s\n", buf);
}

void fl_assert_failed(const char *expr, const char *file, int line) noexcept
{
	g_assert_failures.fetch_add(1);
	std::fprintf(stderr, "flowlane: assertion failed: %s (%s:%d)\n", expr, file, line);
	if (g_assert_aborts.load())
		std::abort();
}

} // extern "C"
