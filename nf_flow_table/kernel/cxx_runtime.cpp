// SPDX-License-Identifier: GPL-2.0
//
// The little C++ runtime a freestanding kernel object needs: global operator
// new/delete on the boundary allocator (the core itself uses fl_alloc and a
// tagged placement form; these exist so that no stray new can reach libstdc++),
// and __cxa_pure_virtual. Kernel only: userspace has libstdc++.
#include "flowlane/boundary.h"

// Declared here, as <new> and <cxxabi.h> would (there are no such headers here).
void *operator new(fl_size_t, void *where) noexcept;
void *operator new[](fl_size_t, void *where) noexcept;
extern "C" void __cxa_pure_virtual();

void *operator new(fl_size_t size) { return fl_alloc(size, FL_ALLOC_ATOMIC); }
void *operator new[](fl_size_t size) { return fl_alloc(size, FL_ALLOC_ATOMIC); }
void *operator new(fl_size_t, void *where) noexcept { return where; }
void *operator new[](fl_size_t, void *where) noexcept { return where; }
void operator delete(void *p) noexcept { fl_free(p, 0); }
void operator delete[](void *p) noexcept { fl_free(p, 0); }
void operator delete(void *p, fl_size_t size) noexcept { fl_free(p, size); }
void operator delete[](void *p, fl_size_t size) noexcept { fl_free(p, size); }

// A call through a pure virtual slot is a broken invariant: report, then stop
// this path without telling objtool the function never returns.
extern "C" void __cxa_pure_virtual()
{
	fl_assert_failed("pure virtual function called", __FILE__, __LINE__);
	__builtin_trap();
}
