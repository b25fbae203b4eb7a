// SPDX-License-Identifier: GPL-2.0
//
// Flow tuples: the lookup key of one flow direction, its hash and comparison.
// The key is every field of struct fl_tuple except `dir`; hashing and equality
// cover exactly those bytes.
#ifndef FLOWLANE_CORE_TUPLE_H
#define FLOWLANE_CORE_TUPLE_H

#include "flowlane/flowtable.h"
#include "nf_flow_table/base.h"

namespace fl {

using Tuple = struct fl_tuple;

enum class Dir : u8 { Original = FL_DIR_ORIGINAL, Reply = FL_DIR_REPLY };

constexpr Dir opposite(Dir d) { return d == Dir::Original ? Dir::Reply : Dir::Original; }
constexpr unsigned index_of(Dir d) { return static_cast<unsigned>(d); }

// The key spans the tuple up to (not including) `dir`.
constexpr size_t kTupleKeyBytes = __builtin_offsetof(struct fl_tuple, dir);
static_assert(kTupleKeyBytes == 51, "tuple key layout changed: update hashing");
static_assert(sizeof(struct fl_tuple) == 52, "struct fl_tuple must stay packed");

// Hash of a tuple key under @seed (64-bit multiply-fold over the key words).
u32 tuple_hash(const Tuple &t, u64 seed);

// Key equality: every key byte, ignoring `dir`.
inline bool tuple_key_equal(const Tuple &a, const Tuple &b)
{
	u64 x = 0;
	const u8 *pa = reinterpret_cast<const u8 *>(&a);
	const u8 *pb = reinterpret_cast<const u8 *>(&b);
	for (size_t i = 0; i < 48; i += 8) {
		u64 wa, wb;
		copy_bytes(&wa, pa + i, 8);
		copy_bytes(&wb, pb + i, 8);
		x |= wa ^ wb;
	}
	x |= static_cast<u64>(a.l3proto ^ b.l3proto) | static_cast<u64>(a.l4proto ^ b.l4proto) |
	     static_cast<u64>(a.encap_num ^ b.encap_num);
	return x == 0;
}

inline bool addr_equal(const struct fl_addr &a, const struct fl_addr &b)
{
	return equal_bytes(&a, &b, sizeof(a));
}

inline size_t addr_len(u8 l3proto) { return l3proto == FL_L3_IPV4 ? 4 : 16; }

// Structural validity of a tuple handed in by a caller (not a packet).
bool tuple_valid(const Tuple &t);

} // namespace fl

#endif // FLOWLANE_CORE_TUPLE_H
