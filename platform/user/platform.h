// SPDX-License-Identifier: GPL-2.0
//
// Controls of the userspace boundary implementation (boundary.h on liburcu and
// pthreads). By default it behaves like a real platform: monotonic clock,
// malloc, a worker thread for deferred work. Tests and the simulator switch
// parts of it to deterministic modes:
//
//   - a manual clock that only moves when told (virtual time),
//   - manual work: deferred work runs only in run_pending()/advance(), on the
//     caller's thread, so a test decides exactly when GC or resizing happens,
//   - allocation failure injection: fail the Nth allocation from now,
//   - allocation accounting, so tests can assert that nothing leaked.
#ifndef FLOWLANE_HARNESS_PLATFORM_H
#define FLOWLANE_HARNESS_PLATFORM_H

#include <cstdint>
#include <functional>
#include <string>

namespace flplat {

// Ticks per second of fl_time_ticks() in userspace (1 tick = 1 ms).
constexpr uint32_t kHz = 1000;

enum class ClockMode { Real, Manual };
enum class WorkMode { Threaded, Manual };

void set_clock_mode(ClockMode mode);
ClockMode clock_mode();
// Manual clock: move time forward (and, in manual work mode, run what became due).
void advance_ms(uint64_t ms);
void set_ticks(uint32_t ticks);
uint32_t now_ticks();

// Switching work modes waits for the worker thread to finish what it runs.
void set_work_mode(WorkMode mode);
WorkMode work_mode();
// Manual work: run every item that is due now (again until none is). Returns items run.
unsigned run_pending();
// Number of queued (not yet run) work items.
unsigned pending_work();

// Fail the Nth fl_alloc() from now (1 = the next one); 0 disarms.
void fail_nth_alloc(uint64_t n);
// Failures injected so far.
uint64_t injected_failures();
// Allocations made so far (successful ones).
uint64_t alloc_count();
// Bytes and blocks currently allocated through fl_alloc.
int64_t live_bytes();
int64_t live_blocks();

// Make fl_random_u32 deterministic (tests) or random again (seed 0).
void seed_random(uint64_t seed);

// Log sink: default stderr for WARN and worse; a hook sees every message.
using LogHook = std::function<void(int level, const std::string &msg)>;
void set_log_hook(LogHook hook);
void set_log_level(int max_level);

// fl_assert_failed: abort (default) or count (tests of defensive paths).
void set_assert_aborts(bool abort);
uint64_t assert_failures();

// Wait for all queued RCU callbacks (fl_rcu_barrier) from C++ callers.
void rcu_barrier();

} // namespace flplat

#endif // FLOWLANE_HARNESS_PLATFORM_H
