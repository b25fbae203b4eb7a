// SPDX-License-Identifier: GPL-2.0
//
// libFuzzer target: arbitrary text through the nft ruleset parser. It must
// never crash, hang or leak; an error names fuzz.nft with a line and column;
// a ruleset it accepts prints (nft list ruleset style) to text it accepts
// again, and that prints the same (format and parse are stable).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "testing/fakes/rulesets.h"
#include "testing/fuzz/fuzz_seeds.h"
#include "sim/run/default_scenario.h"
#include "sim/nft/ruleset.h"

namespace {

const char *kSeeds[] = {
	R"(define DEVS = { eth0, eth1 }
nft add table ip filter
nft add flowtable ip filter f { hook ingress priority 0\; devices = $DEVS\; }
nft add chain ip filter forward { type filter hook forward priority 0\; }
nft add rule ip filter forward ip protocol tcp flow offload @f
table inet x { flowtable g { hook ingress priority 0; devices = { eth0 }; counter; flags offload; } }
table ip6 t { chain c { type filter hook forward priority -100; ip6 saddr 2001:db8::/32 udp sport 1-1024 snat ip6 to [2001:db8::1]:53; } }
)",
};

void write_seeds(const char *dir)
{
	std::string all[] = {flsim::default_scenario().ruleset, flfake::kSelftestFilter, flfake::kSelftestNat,
			      kSeeds[0]};
	int n = 0;
	for (const std::string &s : all)
		flfuzz::write_seed(dir, n++, s.data(), s.size());
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
	flfuzz::write_seeds_if_asked(write_seeds);
	return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	std::string text(reinterpret_cast<const char *>(data), size);
	auto parsed = flsim::parse_ruleset(text, "fuzz.nft");
	if (auto *d = std::get_if<flsim::Diag>(&parsed)) {
		if (d->str().rfind("fuzz.nft:", 0) != 0)
			std::abort(); // every error names the file
		return 0;
	}
	std::string once = flsim::format_ruleset(std::get<flsim::Ruleset>(parsed));
	auto again = flsim::parse_ruleset(once, "formatted.nft");
	if (auto *d = std::get_if<flsim::Diag>(&again)) {
		std::fprintf(stderr, "formatted ruleset does not parse: %s\n%s\n", d->str().c_str(), once.c_str());
		std::abort();
	}
	if (flsim::format_ruleset(std::get<flsim::Ruleset>(again)) != once)
		std::abort();
	return 0;
}
