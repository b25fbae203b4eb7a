// SPDX-License-Identifier: GPL-2.0
//
// The test shim: puts the userspace boundary into deterministic mode for one
// test (manual clock, manual work, seeded random, allocation accounting) and
// checks on exit that everything allocated through the boundary was freed.
#ifndef FLOWLANE_HARNESS_FAKE_PLATFORM_H
#define FLOWLANE_HARNESS_FAKE_PLATFORM_H

#include <cstdint>

#include "platform/user/platform.h"

namespace flfake {

class TestPlatform {
public:
	explicit TestPlatform(uint64_t seed = 1);
	~TestPlatform();
	TestPlatform(const TestPlatform &) = delete;
	TestPlatform &operator=(const TestPlatform &) = delete;

	void advance_ms(uint64_t ms) { flplat::advance_ms(ms); }
	void advance_s(uint64_t s) { flplat::advance_ms(s * 1000); }
	unsigned run_work() { return flplat::run_pending(); }
	// Blocks allocated through fl_alloc since the fixture started.
	int64_t leaked_blocks() const { return flplat::live_blocks() - blocks_at_start_; }
	int64_t leaked_bytes() const { return flplat::live_bytes() - bytes_at_start_; }

private:
	int64_t blocks_at_start_;
	int64_t bytes_at_start_;
};

// The same, with a real clock and the worker thread (concurrency tests).
class ThreadedPlatform {
public:
	ThreadedPlatform();
	~ThreadedPlatform();
	ThreadedPlatform(const ThreadedPlatform &) = delete;
	ThreadedPlatform &operator=(const ThreadedPlatform &) = delete;
	int64_t leaked_blocks() const { return flplat::live_blocks() - blocks_at_start_; }

private:
	int64_t blocks_at_start_;
};

} // namespace flfake

#endif // FLOWLANE_HARNESS_FAKE_PLATFORM_H
