// SPDX-License-Identifier: GPL-2.0
//
// Shared between the pieces of the userspace platform.
#ifndef FLOWLANE_HARNESS_PLATFORM_INTERNAL_H
#define FLOWLANE_HARNESS_PLATFORM_INTERNAL_H

#include <cstdint>

namespace flplat {

// Milliseconds until the earliest queued work item is due (0: due now), at most @limit.
uint64_t next_due_in_ms(uint64_t limit);

// The manual clock moved: let a threaded worker look at its deadlines again.
void notify_clock_changed();

} // namespace flplat

#endif // FLOWLANE_HARNESS_PLATFORM_INTERNAL_H
