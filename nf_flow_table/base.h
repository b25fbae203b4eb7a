// SPDX-License-Identifier: GPL-2.0
//
// Freestanding basics for the flowlane core: errors and results, TRY,
// assertions, placement construction, small utilities. No libc or libstdc++.
#ifndef FLOWLANE_CORE_BASE_H
#define FLOWLANE_CORE_BASE_H

#include "flowlane/boundary.h"

namespace fl {

using u8 = fl_u8;
using u16 = fl_u16;
using u32 = fl_u32;
using u64 = fl_u64;
using s32 = fl_s32;
using s64 = fl_s64;
using size_t = fl_size_t;
using uptr = fl_uptr;

// Errors carry Linux errno numbers; they become negative ints only at the C API.
enum class Error : int {
	NoMemory = 12,     // ENOMEM
	Busy = 16,         // EBUSY
	Exists = 17,       // EEXIST
	Invalid = 22,      // EINVAL
	NoSpace = 28,      // ENOSPC
	NotFound = 2,      // ENOENT
	NotSupported = 95, // EOPNOTSUPP
	TooBig = 7,        // E2BIG
	Io = 5,            // EIO
	NoDevice = 19,     // ENODEV
	TimedOut = 110,    // ETIMEDOUT
};

constexpr int to_errno(Error e) { return -static_cast<int>(e); }

// Map a negative errno from a platform or driver callback back to an Error.
constexpr Error from_errno(int err)
{
	switch (-err) {
	case 12: return Error::NoMemory;
	case 16: return Error::Busy;
	case 17: return Error::Exists;
	case 22: return Error::Invalid;
	case 28: return Error::NoSpace;
	case 2: return Error::NotFound;
	case 95: return Error::NotSupported;
	case 7: return Error::TooBig;
	case 19: return Error::NoDevice;
	case 110: return Error::TimedOut;
	default: return Error::Io;
	}
}

template <typename T> struct RemoveRef { using type = T; };
template <typename T> struct RemoveRef<T &> { using type = T; };
template <typename T> struct RemoveRef<T &&> { using type = T; };

template <typename T> constexpr T &&move_from(T &v) { return static_cast<T &&>(v); }
template <typename T> constexpr typename RemoveRef<T>::type &&move(T &&v)
{
	return static_cast<typename RemoveRef<T>::type &&>(v);
}

// A fallible value: either a T or an Error. Must be looked at.
template <typename T> class [[nodiscard]] Result {
public:
	Result(T value) : value_(move(value)), error_(), ok_(true) {}
	Result(Error e) : value_(), error_(e), ok_(false) {}

	bool ok() const { return ok_; }
	Error error() const { return error_; }
	T &value() { return value_; }
	const T &value() const { return value_; }
	T release_value() { return move(value_); }

private:
	T value_;
	Error error_;
	bool ok_;
};

// A fallible action with no value.
template <> class [[nodiscard]] Result<void> {
public:
	Result() : error_(), ok_(true) {}
	Result(Error e) : error_(e), ok_(false) {}

	bool ok() const { return ok_; }
	Error error() const { return error_; }
	void release_value() {}

private:
	Error error_;
	bool ok_;
};

using Status = Result<void>;

} // namespace fl

// Propagate an error: `auto v = TRY(try_make());` (GNU statement expression).
#define TRY(expr)                                                             \
	({                                                                    \
		auto _fl_try = (expr);                                        \
		if (!_fl_try.ok())                                            \
			return _fl_try.error();                               \
		_fl_try.release_value();                                      \
	})

#define FL_ASSERT(cond)                                                       \
	do {                                                                  \
		if (__builtin_expect(!(cond), 0))                             \
			fl_assert_failed(#cond, __FILE__, __LINE__);          \
	} while (0)

#define FL_LIKELY(x) __builtin_expect(!!(x), 1)
#define FL_UNLIKELY(x) __builtin_expect(!!(x), 0)

#define FL_CONTAINER_OF(ptr, type, member)                                    \
	(reinterpret_cast<type *>(reinterpret_cast<char *>(ptr) - __builtin_offsetof(type, member)))

// Placement construction without <new>: a tagged form that cannot clash with
// the standard library's placement new in translation units that include both.
namespace fl {
struct PlacementTag {};
inline constexpr PlacementTag placement{};
} // namespace fl
inline void *operator new(fl_size_t, void *where, fl::PlacementTag) noexcept { return where; }
inline void operator delete(void *, void *, fl::PlacementTag) noexcept {}

namespace fl {

template <typename T> constexpr const T &min(const T &a, const T &b) { return b < a ? b : a; }
template <typename T> constexpr const T &max(const T &a, const T &b) { return a < b ? b : a; }

inline void copy_bytes(void *dst, const void *src, size_t n) { __builtin_memcpy(dst, src, n); }
inline void zero_bytes(void *dst, size_t n) { __builtin_memset(dst, 0, n); }
inline bool equal_bytes(const void *a, const void *b, size_t n) { return __builtin_memcmp(a, b, n) == 0; }

constexpr u32 round_up_pow2(u32 v)
{
	u32 p = 1;
	while (p < v && p < (1u << 31))
		p <<= 1;
	return p;
}

// Allocate and construct a T with the boundary allocator; nullptr when memory is short.
template <typename T, typename... Args> T *try_new(unsigned int flags, Args &&...args)
{
	void *mem = fl_alloc(sizeof(T), flags);
	if (!mem)
		return nullptr;
	return new (mem, placement) T(static_cast<Args &&>(args)...);
}

// Destroy and free an object made by try_new.
template <typename T> void destroy_delete(T *obj)
{
	if (!obj)
		return;
	obj->~T();
	fl_free(obj, sizeof(T));
}

} // namespace fl

#endif // FLOWLANE_CORE_BASE_H
