// SPDX-License-Identifier: GPL-2.0
//
// Explicit big-endian reads and writes of wire headers. The core never casts
// structs onto packet buffers: every field is read and written by offset.
#ifndef FLOWLANE_CORE_WIRE_H
#define FLOWLANE_CORE_WIRE_H

#include "nf_flow_table/base.h"

namespace fl::wire {

inline u8 read8(const u8 *p) { return p[0]; }
inline u16 read_be16(const u8 *p) { return static_cast<u16>(p[0] << 8 | p[1]); }
inline u32 read_be32(const u8 *p)
{
	return static_cast<u32>(p[0]) << 24 | static_cast<u32>(p[1]) << 16 |
	       static_cast<u32>(p[2]) << 8 | p[3];
}
inline void write_be16(u8 *p, u16 v)
{
	p[0] = static_cast<u8>(v >> 8);
	p[1] = static_cast<u8>(v);
}
inline void write_be32(u8 *p, u32 v)
{
	write_be16(p, static_cast<u16>(v >> 16));
	write_be16(p + 2, static_cast<u16>(v));
}

// Raw 16-bit words in wire order (for checksums and port fields kept in wire order).
inline fl_be16 read_raw16(const u8 *p)
{
	fl_be16 v;
	copy_bytes(&v, p, 2);
	return v;
}
inline void write_raw16(u8 *p, fl_be16 v) { copy_bytes(p, &v, 2); }

// Header layouts: offsets of the fields the fastpath uses.
namespace eth {
constexpr u32 kDst = 0, kSrc = 6, kType = 12, kLen = 14;
}
namespace vlan {
constexpr u32 kTci = 0, kInnerType = 2, kLen = 4;
constexpr u16 kVidMask = 0x0fff;
}
namespace pppoe {
constexpr u32 kVerType = 0, kCode = 1, kSession = 2, kLength = 4, kPppProto = 6, kLen = 8;
constexpr u8 kVerTypeSession = 0x11;
constexpr u16 kPppIpv4 = 0x0021, kPppIpv6 = 0x0057;
}
namespace ipv4 {
constexpr u32 kVerIhl = 0, kTos = 1, kTotLen = 2, kId = 4, kFragOff = 6, kTtl = 8, kProto = 9,
	      kCheck = 10, kSrc = 12, kDst = 16, kMinLen = 20;
constexpr u16 kFragMask = 0x3fff; // MF flag + fragment offset
constexpr u16 kDf = 0x4000;
constexpr u8 kVerIhlNoOptions = 0x45;
}
namespace ipv6 {
constexpr u32 kPayloadLen = 4, kNextHdr = 6, kHopLimit = 7, kSrc = 8, kDst = 24, kLen = 40;
constexpr u8 kHopByHop = 0, kRouting = 43, kFragment = 44, kEsp = 50, kAuth = 51,
	     kNoNext = 59, kDstOpts = 60, kMobility = 135, kHip = 139, kShim6 = 140;
}
namespace tcp {
constexpr u32 kSport = 0, kDport = 2, kDataOff = 12, kFlags = 13, kCheck = 16, kMinLen = 20;
constexpr u8 kFin = 0x01, kSyn = 0x02, kRst = 0x04;
}
namespace udp {
constexpr u32 kSport = 0, kDport = 2, kLength = 4, kCheck = 6, kLen = 8;
}

} // namespace fl::wire

#endif // FLOWLANE_CORE_WIRE_H
