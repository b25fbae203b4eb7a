// SPDX-License-Identifier: GPL-2.0
//
// The nft ruleset parser: every ruleset of the seeds, verbatim; rulesets in the
// style of the kernel's flowtable selftest; defines and command lines; the
// formatter's round trip; and one test per error path with file:line:col.
#include <catch2/catch.hpp>

#include "testing/fakes/rulesets.h"
#include "sim/nft/ruleset.h"

using namespace flsim;
using flfake::kSelftestFilter;
using flfake::kSelftestNat;

namespace {

Ruleset ok(const std::string &text)
{
	auto r = parse_ruleset(text, "test.nft");
	if (auto *d = std::get_if<Diag>(&r))
		FAIL(d->str());
	return std::get<Ruleset>(r);
}

std::string err(const std::string &text)
{
	auto r = parse_ruleset(text, "test.nft");
	REQUIRE(std::holds_alternative<Diag>(r));
	return std::get<Diag>(r).str();
}

// nf_flowtable.rst, "Example configuration" (verbatim, tabs and all).
const char *kRstExample = R"(	table inet x {
		flowtable f {
			hook ingress priority 0; devices = { eth0, eth1 };
		}
		chain y {
			type filter hook forward priority 0; policy accept;
			ip protocol tcp flow add @f
			counter packets 0 bytes 0
		}
	}
)";

// nf_flowtable.rst, "Counters" and "Hardware offload".
const char *kRstCounter = R"(	table inet x {
		flowtable f {
			hook ingress priority 0; devices = { eth0, eth1 };
			counter
		}
	}
)";
const char *kRstOffload = R"(	table inet x {
		flowtable f {
			hook ingress priority 0; devices = { eth0, eth1 };
			flags offload;
		}
	}
)";

// The flowtables article, its command-line form (as typed into a shell).
const char *kArticleCommands = R"(# Example, creating flowtable instance "f" in "ingress" hook of IPv4
# with "priority 0" for devices "eth0" and "eth1":
nft add table ip filter
nft add flowtable ip filter f \
   { hook ingress priority 0\; devices = { eth0, eth1 }\; }
# Example, creating forward chain and rule
# to offload TCP traffic to flowtable "f":
nft add chain ip filter forward { type filter hook forward priority 0\; }
nft add rule ip filter forward ip protocol tcp flow add @f
)";

// The article's ruleset; the seed's text extraction lost its closing braces.
const char *kArticleRuleset = R"(table ip filter {
        flowtable f { # (1)
                hook ingress priority 0; devices = { eth0, eth1 };
        }
        chain y {
                type filter hook forward priority 0; policy accept;
                ip protocol tcp flow add @f # (2)
                counter # (3)
        }
}
)";

// The article's accounting example.
const char *kArticleCounter = R"(nft add table ip filter
nft add flowtable ip filter f \
   { hook ingress priority 0\; devices = { eth0, eth1 }\; counter\; }
)";

} // namespace

TEST_CASE("ruleset: every seed ruleset loads", "[sim][ruleset]")
{
	Ruleset a = ok(kRstExample);
	REQUIRE(a.tables.size() == 1);
	const Table &t = a.tables[0];
	CHECK(t.family == Family::Inet);
	REQUIRE(t.flowtables.size() == 1);
	CHECK(t.flowtables[0].devices == std::vector<std::string>{"eth0", "eth1"});
	REQUIRE(t.chains.size() == 1);
	CHECK(t.chains[0].hook == "forward");
	REQUIRE(t.chains[0].rules.size() == 2);
	CHECK(t.chains[0].rules[0].stmts[0].kind == Stmt::FlowAdd);
	CHECK(t.chains[0].rules[1].stmts[0].kind == Stmt::Counter);

	CHECK(ok(kRstCounter).tables[0].flowtables[0].counter);
	CHECK(ok(kRstOffload).tables[0].flowtables[0].offload);

	Ruleset c = ok(kArticleCommands);
	REQUIRE(c.tables.size() == 1);
	CHECK(c.tables[0].family == Family::Ip);
	CHECK(c.tables[0].name == "filter");
	REQUIRE(c.tables[0].chain("forward"));
	CHECK(c.tables[0].chain("forward")->rules.size() == 1);
	CHECK(c.tables[0].flowtables[0].priority == 0);

	Ruleset d = ok(kArticleRuleset);
	CHECK(d.tables[0].chain("y")->rules.size() == 2);
	CHECK(ok(kArticleCounter).tables[0].flowtables[0].counter);
}

TEST_CASE("ruleset: the kernel selftest's rulesets load", "[sim][ruleset]")
{
	Ruleset f = ok(kSelftestFilter);
	const Chain *fw = f.tables[0].chain("forward");
	REQUIRE(fw);
	CHECK(fw->policy_drop);
	REQUIRE(fw->rules.size() == 5);
	const Rule &r0 = fw->rules[0];
	CHECK(r0.matches[0].field == Match::Oif);
	CHECK(r0.matches[1].field == Match::Dport);
	CHECK(r0.stmts[0].kind == Stmt::CtMarkSet);
	CHECK(r0.stmts[1].kind == Stmt::FlowAdd);
	CHECK(r0.stmts[2].kind == Stmt::CounterNamed);
	const Rule &r1 = fw->rules[1];
	CHECK(r1.stmts[0].kind == Stmt::CounterCtDirMap);
	CHECK(r1.stmts[0].original == "routed_orig");
	CHECK(fw->rules[2].matches[0].values.size() == 2);

	Ruleset n = ok(kSelftestNat);
	const Stmt &dnat = n.tables[0].chain("prerouting")->rules[0].stmts[1];
	CHECK(dnat.kind == Stmt::Dnat);
	CHECK(dnat.nat.port == 12345);
	CHECK(n.tables[0].chain("postrouting")->rules[0].stmts[1].kind == Stmt::Masquerade);
}

TEST_CASE("ruleset: defines, sets, ranges, prefixes, negation, named priorities", "[sim][ruleset]")
{
	Ruleset r = ok(R"(define DEVS = { eth0, eth1 }
define WEB = 80
table inet t {
	flowtable f { hook ingress priority filter + 5; devices = $DEVS; }
	chain fwd {
		type filter hook forward priority filter; policy accept;
		meta l4proto { tcp, udp } th dport { $WEB, 443, 8000-8100 } ip saddr != 10.0.0.0/8 flow offload @f
		ip6 daddr 2001:db8::/32 counter
		meta length gt 1000 log prefix "big " accept
	}
}
)");
	const Table &t = r.tables[0];
	CHECK(t.flowtables[0].devices.size() == 2);
	CHECK(t.flowtables[0].priority == 5);
	const Rule &r0 = t.chain("fwd")->rules[0];
	CHECK(r0.matches[1].values.size() == 3);
	CHECK(r0.matches[1].values[0].lo == 80);
	CHECK(r0.matches[1].values[2].kind == Atom::Range);
	CHECK(r0.matches[2].op == Match::Ne);
	CHECK(r0.matches[2].values[0].plen == 8);
	CHECK(t.chain("fwd")->rules[2].matches[0].op == Match::Gt);
}

TEST_CASE("ruleset: format and parse again is stable", "[sim][ruleset]")
{
	for (const char *text : {kRstExample, kSelftestFilter, kSelftestNat, kArticleCommands}) {
		std::string once = format_ruleset(ok(text));
		std::string twice = format_ruleset(ok(once));
		CHECK(once == twice);
	}
	std::string s = format_ruleset(ok(kRstExample));
	CHECK(s.find("hook ingress priority filter") != std::string::npos);
	CHECK(s.find("devices = { eth0, eth1 }") != std::string::npos);
	CHECK(s.find("type filter hook forward priority filter; policy accept;") != std::string::npos);
}

TEST_CASE("ruleset: errors name file, line and column", "[sim][ruleset][errors]")
{
	CHECK(err("table inet x {\n\tflowtable f {\n\t\thookk ingress priority 0\n") ==
	      "test.nft:3:3: expected hook, devices, counter, flags or '}' in flowtable, got 'hookk'");
	CHECK(err("table inet x {\n") == "test.nft:2:1: expected '}' to close table x, got end of input");
	CHECK(err("table inet x { flowtable f { hook egress priority 0; devices = { a }; } }") ==
	      "test.nft:1:16: flowtable f: hook must be ingress, not egress");
	CHECK(err("table inet x { flowtable f { hook ingress priority 0; } }") ==
	      "test.nft:1:16: flowtable f has no devices");
	CHECK(err("table inet x { chain y { type filter hook forward priority 0; flow add @g; } }") ==
	      "test.nft:1:63: flowtable g not found in table x");
	CHECK(err("table inet x { flowtable f { hook ingress priority bogus; devices = { a }; } }") ==
	      "test.nft:1:52: expected a priority (a number or raw, mangle, dstnat, filter, security, "
	      "srcnat), got 'bogus'");
	CHECK(err("table ip x { chain y { type filter hook forward priority 0; masquerade; } }") ==
	      "test.nft:1:61: NAT statements need a chain of type nat");
	CHECK(err("table ip x { chain y { type nat hook prerouting priority 0; snat to 1.2.3.4; } }") ==
	      "test.nft:1:61: snat and masquerade belong in postrouting (or input)");
	CHECK(err("table ip x { chain y { ip saddr 2001:db8::1 accept; } }") ==
	      "test.nft:1:24: bad value '2001:db8::1' for this match");
	CHECK(err("table ip x { chain y { tcp dport 70000 accept; } }") ==
	      "test.nft:1:24: bad value '70000' for this match");
	CHECK(err("table ip x { chain y { ct state bogus accept; } }") ==
	      "test.nft:1:24: bad value 'bogus' for this match");
	CHECK(err("table ip x { chain y { foo bar; } }") == "test.nft:1:24: unknown or unsupported expression 'foo'");
	CHECK(err("table ip x { chain y { jump nowhere; } }") == "test.nft:1:24: chain nowhere not found in table x");
	CHECK(err("table ip x { chain y { counter name nope; } }") ==
	      "test.nft:1:24: counter nope not found in table x");
	CHECK(err("table ip x { set s { type ipv4_addr; } }") ==
	      "test.nft:1:14: 'set' objects are not supported by flowlane's simulator");
	CHECK(err("table netdev x { flowtable f { hook ingress priority 0; devices = { a }; } }") ==
	      "test.nft:1:18: flowtables need an ip, ip6 or inet table, not netdev");
	CHECK(err("add rule ip nope y accept") == "test.nft:1:13: no such table: ip nope");
	CHECK(err("table ip x { chain y { dnat to 1.2.3.4:99999; } }") ==
	      "test.nft:1:32: bad NAT port '99999'");
	CHECK(err("table ip x \"oops") == "test.nft:1:12: unterminated string");
	CHECK(err("table ip x { chain y { accept; } } %") == "test.nft:1:36: unexpected character '%'");
	CHECK(err("table ip x { chain y { type nat hook forward priority 0; } }") ==
	      "test.nft:1:14: chain y: nat chains hook prerouting, postrouting, input or output");
	CHECK(err("table inet x { chain y { type nat hook prerouting priority 0; dnat to 1.2.3.4; } }") ==
	      "test.nft:1:63: inet tables need 'ip' or 'ip6' before 'to'");
	CHECK(err("define X = 1\ntable ip x { chain y { tcp dport $Y accept; } }") ==
	      "test.nft:2:34: unknown variable $Y");
	CHECK(err("flow") == "test.nft:1:1: expected a command or 'table', got 'flow'");
	auto missing = load_ruleset("/nonexistent/ruleset.nft");
	REQUIRE(std::holds_alternative<Diag>(missing));
	CHECK(std::get<Diag>(missing).str() == "/nonexistent/ruleset.nft:0:0: cannot open the ruleset file");
}

namespace {

// A blocklist as users keep them: `define` with a few thousand addresses.
std::string blocklist(const char *name, int n)
{
	std::string s = std::string("define ") + name + " = {";
	for (int i = 0; i < n; i++)
		s += (i ? ", " : " ") + std::string("10.") + std::to_string(i >> 8 & 255) + "." + std::to_string(i & 255) + ".1";
	return s + " }\n";
}

} // namespace

// Regression: variables used to be expanded in place in the token vector while
// `add rule` / `insert rule` (and `table`, `flush`, `delete`) held references
// into it; a large define reallocated the vector under them (heap-use-after-free
// under ASan, SIGSEGV in the release build of `flowlane check`).
TEST_CASE("ruleset: a large define inside add rule and insert rule", "[sim][ruleset][define]")
{
	std::string text = blocklist("BLOCK", 3000) + "define T = filter\ndefine C = fwd\n" +
			   "table ip $T {\n\tchain $C { type filter hook forward priority 0; policy accept; }\n}\n"
			   "add rule ip $T $C ip saddr $BLOCK drop\n"
			   "insert rule ip filter fwd ip daddr $BLOCK counter drop\n"
			   "add rule ip filter fwd ip saddr { $BLOCK } accept\n";
	Ruleset r = ok(text);
	const Chain &c = *r.tables[0].chain("fwd");
	REQUIRE(c.rules.size() == 3);
	CHECK(c.rules[0].matches[0].field == Match::Daddr); // insert: first
	CHECK(c.rules[1].matches[0].field == Match::Saddr);
	for (const Rule &rule : c.rules)
		CHECK(rule.matches[0].values.size() == 3000);
	CHECK(c.rules[0].matches[0].values[2999].addr[2] == (2999 & 255));
	// flush and delete after expansions that grow the token stream.
	Ruleset gone = ok(text + "flush chain ip $T $C\ndelete table ip $T\n");
	CHECK(gone.tables.empty());
}

TEST_CASE("ruleset: defines are expanded where they are defined", "[sim][ruleset][define]")
{
	Ruleset r = ok("define A = 10.0.0.1\ndefine S = { $A, 10.0.0.2 }\ndefine A = 10.9.9.9\n"
		       "table ip t { chain c { ip saddr $S accept; ip daddr $A drop; } }\n");
	const Chain &c = *r.tables[0].chain("c");
	CHECK(c.rules[0].matches[0].values.size() == 2);
	CHECK(c.rules[0].matches[0].values[0].addr[3] == 1);
	CHECK(c.rules[1].matches[0].values[0].addr[1] == 9);
	CHECK(err("table ip t { chain c { ip saddr $NOPE accept; } }") == "test.nft:1:33: unknown variable $NOPE");
	CHECK(err("define X = $Y\n") == "test.nft:1:12: unknown variable $Y");
	CHECK(err("define X =\n") == "test.nft:1:11: expected a value for X");
}
