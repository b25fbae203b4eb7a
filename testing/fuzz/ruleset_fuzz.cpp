// SPDX-License-Identifier: GPL-2.0
//
// libFuzzer target: arbitrary text through the nft ruleset parser. It must
// never crash, hang or leak; an error names fuzz.nft with a line and column;
// a ruleset it accepts prints (nft list ruleset style) to text it accepts
// again, and that prints the same (format and parse are stable).
//
// Structure-aware: besides libFuzzer's byte mutations (with the nft dictionary,
// ruleset_fuzz.dict), a custom mutator edits rulesets the way users grow them:
// it copies a whole line elsewhere (a rule under another command), puts a
// `$variable` of the input's defines where a match's operand was, and doubles the elements
// of a set several times over (blocklists grow to thousands of entries).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "sim/nft/ruleset.h"
#include "sim/run/default_scenario.h"
#include "testing/fakes/rulesets.h"
#include "testing/fuzz/fuzz_seeds.h"

extern "C" size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);

namespace {

// Command-line style with small defines; a table block using a large set
// through a define. Neither reaches `add rule` with a large expansion: the
// mutator has to combine them.
const char *kCommands = R"(define DEVS = { eth0, eth1 }
define WEB = { 80, 443 }
nft add table ip filter
nft add flowtable ip filter f { hook ingress priority 0\; devices = $DEVS\; }
nft add chain ip filter forward { type filter hook forward priority 0\; }
nft add rule ip filter forward ip protocol tcp tcp dport $WEB flow offload @f
nft insert rule ip filter forward ct state established accept
table inet x { flowtable g { hook ingress priority 0; devices = { eth0 }; counter; flags offload; } }
table ip6 t { chain c { type filter hook forward priority -100; ip6 saddr 2001:db8::/32 udp sport 1-1024 snat ip6 to [2001:db8::1]:53; } }
flush chain ip filter forward
delete table ip6 t
)";

std::string large_set_seed()
{
	std::string s = "define BLOCK = {";
	for (int i = 0; i < 120; i++)
		s += (i ? ", " : " ") + std::string("192.0.") + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1);
	s += " }\ndefine PORTS = { 22, 80, 443, 8000-8100 }\n";
	s += "table ip filter {\n\tchain input {\n\t\ttype filter hook forward priority filter; policy accept;\n"
	     "\t\tip saddr $BLOCK counter drop\n\t\ttcp dport $PORTS accept\n\t}\n}\n";
	return s;
}

void write_seeds(const char *dir)
{
	std::string all[] = {flsim::default_scenario().ruleset, flfake::kSelftestFilter, flfake::kSelftestNat,
			     kCommands, large_set_seed()};
	int n = 0;
	for (const std::string &s : all)
		flfuzz::write_seed(dir, n++, s.data(), s.size());
}

// ---------------------------------------------------------------- mutator

std::vector<std::string> lines_of(const std::string &s)
{
	std::vector<std::string> v;
	size_t at = 0;
	while (at <= s.size()) {
		size_t nl = s.find('\n', at);
		if (nl == std::string::npos) {
			if (at < s.size())
				v.push_back(s.substr(at));
			break;
		}
		v.push_back(s.substr(at, nl - at));
		at = nl + 1;
	}
	return v;
}

std::string join(const std::vector<std::string> &v)
{
	std::string s;
	for (const std::string &l : v)
		s += l + "\n";
	return s;
}

// A line of the input copied to another place.
bool copy_line(std::string &s, std::mt19937 &rng)
{
	std::vector<std::string> v = lines_of(s);
	if (v.empty())
		return false;
	std::string line = v[rng() % v.size()];
	v.insert(v.begin() + static_cast<long>(rng() % (v.size() + 1)), line);
	s = join(v);
	return true;
}

// The operand of a match (what follows saddr, dport, ...) replaced by a
// $variable the input defines.
bool use_variable(std::string &s, std::mt19937 &rng)
{
	std::vector<std::string> names;
	for (size_t at = s.find("define "); at != std::string::npos; at = s.find("define ", at + 1)) {
		size_t b = at + 7, e = b;
		while (e < s.size() && (std::isalnum(static_cast<unsigned char>(s[e])) || s[e] == '_'))
			e++;
		if (e > b)
			names.push_back(s.substr(b, e - b));
	}
	std::vector<size_t> operands;
	for (const char *key : {"saddr ", "daddr ", "sport ", "dport ", "protocol ", "l4proto ", "devices = "})
		for (size_t at = s.find(key); at != std::string::npos; at = s.find(key, at + 1))
			operands.push_back(at + std::strlen(key));
	if (names.empty() || operands.empty())
		return false;
	size_t b = operands[rng() % operands.size()], e = b;
	if (b < s.size() && s[b] == '{')
		e = s.find('}', b) == std::string::npos ? s.size() : s.find('}', b) + 1;
	while (e < s.size() && !std::isspace(static_cast<unsigned char>(s[e])) && s[e] != ';' && s[e] != '\\')
		e++;
	s.replace(b, e - b, "$" + names[rng() % names.size()]);
	return true;
}

// The elements of one `{ ... }` written twice, up to 10 times over (a larger
// set alone finds no new coverage, so it has to grow in one step).
bool grow_set(std::string &s, std::mt19937 &rng, size_t max_size)
{
	std::vector<size_t> opens;
	for (size_t i = 0; i < s.size(); i++)
		if (s[i] == '{')
			opens.push_back(i);
	if (opens.empty())
		return false;
	size_t b = opens[rng() % opens.size()];
	size_t e = s.find('}', b);
	if (e == std::string::npos || s.find('{', b + 1) < e || s.find('\n', b) < e)
		return false;
	std::string inner = s.substr(b + 1, e - b - 1);
	if (inner.find(';') != std::string::npos)
		return false; // a block, not a set
	size_t first = inner.find_first_not_of(" \t"), last = inner.find_last_not_of(" \t");
	if (first == std::string::npos)
		return false;
	std::string elems = inner.substr(first, last + 1 - first);
	for (unsigned n = 1 + rng() % 10; n && s.size() + elems.size() + 2 <= max_size; n--) {
		s.insert(b + 1 + first + elems.size(), ", " + elems);
		elems += ", " + elems;
	}
	return true;
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
	flfuzz::write_seeds_if_asked(write_seeds);
	return 0;
}

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
	std::mt19937 rng(seed);
	if (rng() % 4 == 0)
		return LLVMFuzzerMutate(data, size, max_size);
	std::string s(reinterpret_cast<const char *>(data), size);
	bool done = false;
	for (unsigned n = 1 + rng() % 3; n; n--) {
		switch (rng() % 3) {
		case 0:
			done |= copy_line(s, rng);
			break;
		case 1:
			done |= use_variable(s, rng);
			break;
		default:
			done |= grow_set(s, rng, max_size);
			break;
		}
	}
	if (!done || s.size() > max_size)
		return LLVMFuzzerMutate(data, size, max_size);
	std::memcpy(data, s.data(), s.size());
	return s.size();
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
