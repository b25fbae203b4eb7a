/* SPDX-License-Identifier: GPL-2.0 */
/*
 * flowlane fixed-width types, usable from freestanding C++ (no libc headers),
 * from the kernel shim (C, kernel headers) and from userspace.
 *
 * Built only on the compiler's predefined macros, so including this header
 * never pulls in a libc or kernel header.
 */
#ifndef FLOWLANE_TYPES_H
#define FLOWLANE_TYPES_H

typedef __UINT8_TYPE__ fl_u8;
typedef __UINT16_TYPE__ fl_u16;
typedef __UINT32_TYPE__ fl_u32;
typedef unsigned long long fl_u64;
typedef __INT8_TYPE__ fl_s8;
typedef __INT16_TYPE__ fl_s16;
typedef __INT32_TYPE__ fl_s32;
typedef long long fl_s64;
typedef __SIZE_TYPE__ fl_size_t;
typedef __UINTPTR_TYPE__ fl_uptr;

/* Values that travel in network byte order keep their wire bytes; the names say so. */
typedef fl_u16 fl_be16;
typedef fl_u32 fl_be32;

#ifdef __cplusplus
#define FL_EXTERN_C_BEGIN extern "C" {
#define FL_EXTERN_C_END }
#define FL_NOEXCEPT noexcept
#else
#define FL_EXTERN_C_BEGIN
#define FL_EXTERN_C_END
#define FL_NOEXCEPT
#if !defined(__KERNEL__) && !defined(__bool_true_false_are_defined)
typedef _Bool bool;
#define true 1
#define false 0
#endif
#endif

#define FL_ETH_ALEN 6

#endif /* FLOWLANE_TYPES_H */
