// SPDX-License-Identifier: GPL-2.0
//
// Incremental Internet checksum updates (RFC 1624: HC' = ~(~HC + ~m + m')).
// Checksum fields and the data they cover are handled as raw wire-order 16-bit
// words, so the arithmetic never needs to know the host's byte order.
#ifndef FLOWLANE_CORE_CHECKSUM_H
#define FLOWLANE_CORE_CHECKSUM_H

#include "nf_flow_table/base.h"
#include "nf_flow_table/wire.h"

namespace fl::csum {

inline u32 add_words(u32 sum, const u8 *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += wire::read_raw16(p + i);
	return sum;
}

inline u16 fold(u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return static_cast<u16>(sum);
}

// Replace @n bytes @from by @to (n even) in the data covered by the checksum at @field.
// A complemented checksum (the normal case) and a partial one (the field holds
// the folded pseudo-header sum itself, the kernel's CHECKSUM_PARTIAL) update
// in opposite senses.
inline void replace(u8 *field, const u8 *from, const u8 *to, size_t n, bool partial)
{
	u16 old = wire::read_raw16(field);
	u32 sum = partial ? old : static_cast<u16>(~old);
	for (size_t i = 0; i + 1 < n; i += 2) {
		sum += static_cast<u16>(~wire::read_raw16(from + i));
		sum += wire::read_raw16(to + i);
	}
	u16 folded = fold(sum);
	wire::write_raw16(field, partial ? folded : static_cast<u16>(~folded));
}

// Fill in the checksum at @field over @n bytes at @p (the field itself zeroed first).
inline void fill(u8 *field, const u8 *p, size_t n)
{
	wire::write_raw16(field, 0);
	wire::write_raw16(field, static_cast<u16>(~fold(add_words(0, p, n))));
}

// True when the @n bytes at @p, checksum field included, sum to all ones: an
// IPv4 header as it arrived intact. The fastpath only ever updates a checksum
// incrementally, so a header that arrived damaged must not get this far.
inline bool verify(const u8 *p, size_t n)
{
	return fold(add_words(0, p, n)) == 0xffff;
}

inline void replace16(u8 *field, fl_be16 from, fl_be16 to, bool partial)
{
	replace(field, reinterpret_cast<const u8 *>(&from), reinterpret_cast<const u8 *>(&to), 2,
		partial);
}

} // namespace fl::csum

#endif // FLOWLANE_CORE_CHECKSUM_H
