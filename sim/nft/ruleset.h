// SPDX-License-Identifier: GPL-2.0
//
// nftables rulesets as users write them (nft -f files, or `nft ...` command
// lines): the subset the flowlane simulator evaluates, parsed into an AST with
// source locations, validated, and printed back in `nft list ruleset` style.
#ifndef FLOWLANE_SIM_RULESET_H
#define FLOWLANE_SIM_RULESET_H

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "sim/base/diag.h"

namespace flsim {

enum class Family { Ip, Ip6, Inet, Arp, Bridge, Netdev };
const char *family_name(Family f);

// A value on the right of a match: numbers, ranges, prefixes, names, sets.
struct Atom {
	enum Kind { Number, Range, Addr, Prefix, Name } kind = Number;
	uint64_t lo = 0, hi = 0;   // Number (lo), Range (lo..hi)
	int ipver = 0;             // Addr / Prefix: 4 or 6
	uint8_t addr[16] = {};     // Addr / Prefix
	int plen = 0;              // Prefix length
	std::string name;          // Name (symbolic constants, device names)
	std::string text;          // as written (diagnostics)
};

struct Match {
	enum Field {
		IpProtocol, Ip6Nexthdr, L4proto, Nfproto, Iif, Oif, Iifname, Oifname, MetaLength,
		Sport, Dport, Saddr, Daddr, CtState, CtMark, CtDirection,
	} field;
	int ipver = 0;       // Saddr/Daddr: 4 or 6
	uint8_t l4proto = 0; // Sport/Dport: 6, 17 or 0 (th)
	enum Op { Eq, Ne, Lt, Gt, Le, Ge } op = Eq;
	uint64_t mask = 0;   // CtMark "and MASK"; 0: none
	std::vector<Atom> values; // more than one: a set (any of)
	Loc loc;
};

struct NatTarget {
	int ipver = 0; // 0: from the table family / address
	bool family_given = false; // `snat ip to` / `snat ip6 to`
	uint8_t addr[16] = {};
	bool has_addr = false;
	uint16_t port = 0; // 0: keep
};

struct Stmt {
	enum Kind {
		Counter, CounterNamed, CounterCtDirMap, CtMarkSet, FlowAdd, Accept, Drop, Return, Jump,
		Goto, Continue, Snat, Dnat, Masquerade, Log,
	} kind;
	std::string name;                // FlowAdd: flowtable; Jump/Goto: chain; CounterNamed
	std::string original, reply;     // CounterCtDirMap
	uint64_t packets = 0, bytes = 0; // Counter (anonymous): initial values
	uint32_t mark = 0;               // CtMarkSet
	NatTarget nat;
	std::string log_prefix;
	Loc loc;
};

struct Rule {
	std::vector<Match> matches;
	std::vector<Stmt> stmts;
	std::string comment;
	Loc loc;
};

struct Chain {
	std::string name;
	bool base = false;
	std::string type, hook; // base chains
	int priority = 0;
	bool policy_drop = false;
	std::vector<Rule> rules;
	Loc loc;
};

struct Flowtable {
	std::string name;
	std::string hook = "ingress";
	int priority = 0;
	std::vector<std::string> devices;
	bool counter = false;
	bool offload = false;
	Loc loc;
};

struct NamedCounter {
	std::string name;
	uint64_t packets = 0, bytes = 0;
	Loc loc;
};

struct Table {
	Family family = Family::Ip;
	std::string name;
	std::vector<Flowtable> flowtables;
	std::vector<Chain> chains;
	std::vector<NamedCounter> counters;
	Loc loc;

	Chain *chain(const std::string &n);
	const Chain *chain(const std::string &n) const;
	const Flowtable *flowtable(const std::string &n) const;
	NamedCounter *counter(const std::string &n);
};

struct Ruleset {
	std::vector<Table> tables;
	Table *table(Family f, const std::string &n);
	const Table *table(Family f, const std::string &n) const;
};

// Parse and validate. @file names the source in diagnostics.
Parsed<Ruleset> parse_ruleset(const std::string &text, const std::string &file);
Parsed<Ruleset> load_ruleset(const std::string &path);

// `nft list ruleset`-style text.
std::string format_ruleset(const Ruleset &rs);

// Well-known symbolic values.
std::optional<int> priority_name(const std::string &s);
std::optional<uint8_t> l4proto_name(const std::string &s);

} // namespace flsim

#endif // FLOWLANE_SIM_RULESET_H
