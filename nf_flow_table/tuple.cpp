// SPDX-License-Identifier: GPL-2.0
//
// Tuple hashing and validation.
#include "nf_flow_table/flow.h"

namespace fl {

namespace {

// 64x64 -> 128 multiply, folded: the mixing step of the wyhash family.
inline u64 mix(u64 a, u64 b)
{
	unsigned __int128 r = static_cast<unsigned __int128>(a) * b;
	return static_cast<u64>(r) ^ static_cast<u64>(r >> 64);
}

constexpr u64 kP0 = 0xa0761d6478bd642full;
constexpr u64 kP1 = 0xe7037ed1a0b428dbull;
constexpr u64 kP2 = 0x8ebc6af09c88c6e3ull;

inline u64 load64(const u8 *p)
{
	u64 v;
	copy_bytes(&v, p, 8);
	return v;
}

} // namespace

u32 tuple_hash(const Tuple &t, u64 seed)
{
	const u8 *p = reinterpret_cast<const u8 *>(&t);
	u64 tail = static_cast<u64>(t.l3proto) | static_cast<u64>(t.l4proto) << 8 |
		   static_cast<u64>(t.encap_num) << 16;
	u64 h = seed ^ kP0;
	h = mix(load64(p + 0) ^ kP1, load64(p + 8) ^ h);
	h = mix(load64(p + 16) ^ kP1, load64(p + 24) ^ h);
	h = mix(load64(p + 32) ^ kP1, load64(p + 40) ^ h);
	h = mix(tail ^ kP2, h ^ kP0);
	return static_cast<u32>(h ^ (h >> 32));
}

bool tuple_valid(const Tuple &t)
{
	if (t.l3proto != FL_L3_IPV4 && t.l3proto != FL_L3_IPV6)
		return false;
	if (t.l4proto != FL_IPPROTO_TCP && t.l4proto != FL_IPPROTO_UDP)
		return false;
	if (t.encap_num > FL_ENCAP_MAX)
		return false;
	for (unsigned i = 0; i < FL_ENCAP_MAX; i++) {
		const struct fl_encap &e = t.encap[i];
		if (i >= t.encap_num) {
			if (e.id || e.proto)
				return false;
			continue;
		}
		if (e.proto != FL_ETH_P_8021Q && e.proto != FL_ETH_P_8021AD &&
		    e.proto != FL_ETH_P_PPP_SES)
			return false;
		if (e.proto != FL_ETH_P_PPP_SES && e.id > 4095)
			return false;
		// PPPoE carries IP directly: nothing can follow it.
		if (e.proto == FL_ETH_P_PPP_SES && i + 1 < t.encap_num)
			return false;
	}
	if (t.l3proto == FL_L3_IPV4) {
		for (unsigned i = 1; i < 4; i++)
			if (t.src.w[i] || t.dst.w[i])
				return false;
	}
	return true;
}

u16 tunnel_fold(const struct fl_addr &src, const struct fl_addr &dst)
{
	u64 h = mix(load64(src.b) ^ kP1, load64(src.b + 8) ^ kP0);
	h = mix(load64(dst.b) ^ kP1, load64(dst.b + 8) ^ h);
	u32 x = static_cast<u32>(h ^ (h >> 32));
	return static_cast<u16>(x ^ (x >> 16));
}

} // namespace fl

extern "C" void fl_tuple_init(struct fl_tuple *t) noexcept
{
	fl::zero_bytes(t, sizeof(*t));
}
