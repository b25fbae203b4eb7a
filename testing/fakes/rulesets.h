// SPDX-License-Identifier: GPL-2.0
//
// Rulesets the simulator's tests and fuzzers share: those of the kernel's
// flowtable selftest (tools/testing/selftests/netfilter/nft_flowtable.sh),
// written in its style.
#ifndef FLOWLANE_HARNESS_RULESETS_H
#define FLOWLANE_HARNESS_RULESETS_H

namespace flfake {

// The forward chain: `ct mark set 1` before `flow add`, per-direction named
// counters through a `ct direction` map, policy drop.
extern const char *const kSelftestFilter;
// DNAT 10.6.6.6:1666 to 10.0.2.99:12345 from veth0; masquerade out of veth1.
extern const char *const kSelftestNat;

} // namespace flfake

#endif // FLOWLANE_HARNESS_RULESETS_H
