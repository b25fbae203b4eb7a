// SPDX-License-Identifier: GPL-2.0
#include "testing/fakes/fake_platform.h"

#include <cstdio>

namespace flfake {

TestPlatform::TestPlatform(uint64_t seed)
{
	flplat::set_work_mode(flplat::WorkMode::Manual);
	flplat::set_clock_mode(flplat::ClockMode::Manual);
	// Start near the 32-bit wrap so every test also crosses it.
	flplat::set_ticks(0xffffffffu - 5000);
	flplat::seed_random(seed);
	flplat::fail_nth_alloc(0);
	flplat::rcu_barrier();
	blocks_at_start_ = flplat::live_blocks();
	bytes_at_start_ = flplat::live_bytes();
}

TestPlatform::~TestPlatform()
{
	flplat::fail_nth_alloc(0);
	flplat::run_pending();
	flplat::rcu_barrier();
	flplat::set_work_mode(flplat::WorkMode::Threaded);
	flplat::set_clock_mode(flplat::ClockMode::Real);
	flplat::seed_random(0);
}

ThreadedPlatform::ThreadedPlatform()
{
	flplat::set_work_mode(flplat::WorkMode::Threaded);
	flplat::set_clock_mode(flplat::ClockMode::Real);
	flplat::fail_nth_alloc(0);
	flplat::rcu_barrier();
	blocks_at_start_ = flplat::live_blocks();
}

ThreadedPlatform::~ThreadedPlatform() { flplat::rcu_barrier(); }

} // namespace flfake
