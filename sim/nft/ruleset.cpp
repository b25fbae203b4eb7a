// SPDX-License-Identifier: GPL-2.0
//
// The ruleset parser: commands and table blocks of nft's language, the match
// and statement subset the simulator evaluates, `define` variables, then
// semantic validation. Diagnostics carry file:line:col.
#include "sim/nft/ruleset.h"

#include <arpa/inet.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "sim/nft/ruleset_lexer.h"

namespace flsim {

const char *family_name(Family f)
{
	switch (f) {
	case Family::Ip:
		return "ip";
	case Family::Ip6:
		return "ip6";
	case Family::Inet:
		return "inet";
	case Family::Arp:
		return "arp";
	case Family::Bridge:
		return "bridge";
	default:
		return "netdev";
	}
}

std::optional<int> priority_name(const std::string &s)
{
	static const std::map<std::string, int> names = {
		{"raw", -300}, {"mangle", -150}, {"dstnat", -100}, {"filter", 0}, {"security", 50},
		{"srcnat", 100}, {"out", 100}, {"br_filter", -200},
	};
	auto it = names.find(s);
	if (it == names.end())
		return std::nullopt;
	return it->second;
}

std::optional<uint8_t> l4proto_name(const std::string &s)
{
	static const std::map<std::string, uint8_t> names = {
		{"tcp", 6}, {"udp", 17}, {"icmp", 1}, {"icmpv6", 58}, {"ipv6-icmp", 58}, {"gre", 47},
		{"esp", 50}, {"ah", 51}, {"sctp", 132}, {"udplite", 136}, {"dccp", 33},
	};
	auto it = names.find(s);
	if (it == names.end())
		return std::nullopt;
	return it->second;
}

Chain *Table::chain(const std::string &n)
{
	for (Chain &c : chains)
		if (c.name == n)
			return &c;
	return nullptr;
}

const Chain *Table::chain(const std::string &n) const
{
	return const_cast<Table *>(this)->chain(n);
}

const Flowtable *Table::flowtable(const std::string &n) const
{
	for (const Flowtable &f : flowtables)
		if (f.name == n)
			return &f;
	return nullptr;
}

NamedCounter *Table::counter(const std::string &n)
{
	for (NamedCounter &c : counters)
		if (c.name == n)
			return &c;
	return nullptr;
}

Table *Ruleset::table(Family f, const std::string &n)
{
	for (Table &t : tables)
		if (t.family == f && t.name == n)
			return &t;
	return nullptr;
}

const Table *Ruleset::table(Family f, const std::string &n) const
{
	return const_cast<Ruleset *>(this)->table(f, n);
}

namespace {

struct ParseError {
	Diag diag;
};

std::optional<Family> family_of(const std::string &w)
{
	if (w == "ip")
		return Family::Ip;
	if (w == "ip6")
		return Family::Ip6;
	if (w == "inet")
		return Family::Inet;
	if (w == "arp")
		return Family::Arp;
	if (w == "bridge")
		return Family::Bridge;
	if (w == "netdev")
		return Family::Netdev;
	return std::nullopt;
}

bool parse_number(const std::string &w, uint64_t &out)
{
	if (w.empty())
		return false;
	try {
		size_t used = 0;
		unsigned long long v = std::stoull(w, &used, 0);
		if (used != w.size())
			return false;
		out = v;
		return true;
	} catch (...) {
		return false;
	}
}

bool parse_addr(const std::string &w, Atom &a)
{
	std::string s = w;
	if (s.size() > 2 && s.front() == '[' && s.back() == ']')
		s = s.substr(1, s.size() - 2);
	if (inet_pton(AF_INET, s.c_str(), a.addr) == 1) {
		a.ipver = 4;
		return true;
	}
	if (s.find(':') != std::string::npos && inet_pton(AF_INET6, s.c_str(), a.addr) == 1) {
		a.ipver = 6;
		return true;
	}
	return false;
}

// Where the value of a `define NAME =` starting at @i ends: the end of the
// line or a `;`, outside braces.
size_t define_end(const std::vector<Token> &t, size_t i)
{
	int depth = 0;
	for (; i < t.size() && t[i].kind != Token::End; i++) {
		if (depth <= 0 && (t[i].kind == Token::Newline || t[i].is(";")))
			break;
		depth += t[i].is("{") ? 1 : t[i].is("}") ? -1 : 0;
	}
	return i;
}

bool is_variable(const Token &t) { return t.kind == Token::Word && t.text.size() > 1 && t.text[0] == '$'; }

// `define NAME = VALUE` at the start of a statement, outside any block.
bool starts_define(const std::vector<Token> &out, int depth, const Token &t)
{
	if (depth != 0 || !t.is("define"))
		return false;
	return out.empty() || out.back().kind == Token::Newline || out.back().is(";");
}

// Substitute every $NAME by the tokens of its define, in one pass before
// parsing (a define's value is expanded where it is defined). The parser then
// reads a token vector that never changes under it.
Parsed<std::vector<Token>> expand_variables(const std::vector<Token> &in)
{
	std::map<std::string, std::vector<Token>> defines;
	std::vector<Token> out;
	out.reserve(in.size());
	int depth = 0;
	for (size_t i = 0; i < in.size(); i++) {
		const Token &t = in[i];
		if (is_variable(t)) {
			auto it = defines.find(t.text.substr(1));
			if (it == defines.end())
				return Diag{t.loc, "unknown variable " + t.text};
			out.insert(out.end(), it->second.begin(), it->second.end());
			continue;
		}
		bool define = starts_define(out, depth, t);
		depth += t.is("{") ? 1 : t.is("}") ? -1 : 0;
		out.push_back(t);
		// define NAME = VALUE: record VALUE (already expanded) once it is read.
		if (define && i + 2 < in.size() && in[i + 1].kind == Token::Word && in[i + 2].is("=")) {
			out.push_back(in[i + 1]);
			out.push_back(in[i + 2]);
			size_t from = out.size();
			size_t end = define_end(in, i + 3);
			for (size_t j = i + 3; j < end; j++) {
				if (!is_variable(in[j])) {
					out.push_back(in[j]);
					continue;
				}
				auto it = defines.find(in[j].text.substr(1));
				if (it == defines.end())
					return Diag{in[j].loc, "unknown variable " + in[j].text};
				out.insert(out.end(), it->second.begin(), it->second.end());
			}
			defines[in[i + 1].text] = std::vector<Token>(out.begin() + static_cast<long>(from), out.end());
			i = end - 1;
		}
	}
	return out;
}

class Parser {
public:
	// @toks must have their variables expanded (expand_variables()): the parser
	// hands out references into them, so they never change while it runs.
	explicit Parser(std::vector<Token> toks) : t_(std::move(toks)) {}

	Ruleset run()
	{
		while (!at_end()) {
			if (skip_separators())
				continue;
			command();
		}
		validate();
		return std::move(rs_);
	}

private:
	// ------------------------------------------------------------ tokens

	[[noreturn]] void fail(const Loc &loc, const std::string &msg) { throw ParseError{{loc, msg}}; }

	const Token &peek(size_t ahead = 0)
	{
		size_t i = pos_ + ahead;
		return i < t_.size() ? t_[i] : t_.back();
	}
	const Token &next()
	{
		const Token &tok = peek();
		if (pos_ < t_.size() - 1)
			pos_++;
		return tok;
	}
	bool at_end() { return peek().kind == Token::End; }
	bool accept(const char *w)
	{
		if (!peek().is(w))
			return false;
		next();
		return true;
	}
	void expect(const char *w)
	{
		const Token &tok = peek();
		if (!tok.is(w))
			fail(tok.loc, std::string("expected '") + w + "', got " + describe(tok));
		next();
	}
	std::string word(const char *what)
	{
		const Token &tok = peek();
		if (tok.kind != Token::Word && tok.kind != Token::String)
			fail(tok.loc, std::string("expected ") + what + ", got " + describe(tok));
		return next().text;
	}
	static std::string describe(const Token &tok)
	{
		if (tok.kind == Token::End)
			return "end of input";
		if (tok.kind == Token::Newline)
			return "end of line";
		return "'" + tok.text + "'";
	}
	bool end_of_statement()
	{
		const Token &tok = peek();
		return tok.kind == Token::Newline || tok.kind == Token::End || tok.is(";") || tok.is("}");
	}
	bool skip_separators()
	{
		bool any = false;
		while (peek().kind == Token::Newline || peek().is(";")) {
			next();
			any = true;
		}
		return any;
	}
	void skip_newlines()
	{
		while (peek().kind == Token::Newline)
			next();
	}

	// ------------------------------------------------------------ commands

	void command()
	{
		accept("nft");
		const Token &tok = peek();
		if (tok.is("table"))
			return table_block(next().loc);
		if (tok.is("define"))
			return define();
		if (tok.is("add") || tok.is("create") || tok.is("insert"))
			return add_command(next());
		if (tok.is("flush"))
			return flush_command(next().loc);
		if (tok.is("delete"))
			return delete_command(next().loc);
		fail(tok.loc, "expected a command or 'table', got " + describe(tok));
	}

	// The value was recorded (and is substituted) by expand_variables(); here
	// only its syntax is checked.
	void define()
	{
		next();
		std::string name = word("a variable name");
		expect("=");
		size_t end = define_end(t_, pos_);
		if (end == pos_)
			fail(peek().loc, "expected a value for " + name);
		pos_ = end;
	}

	Family family_or_default()
	{
		if (peek().kind == Token::Word) {
			if (auto f = family_of(peek().text)) {
				// "ip" may also be a table name: a family needs a name after it.
				const Token &after = peek(1);
				if (after.kind == Token::Word || after.kind == Token::String) {
					next();
					return *f;
				}
			}
		}
		return Family::Ip;
	}

	Table &table_ref(Family f, const std::string &name, const Loc &loc, bool create)
	{
		if (Table *t = rs_.table(f, name))
			return *t;
		if (!create)
			fail(loc, std::string("no such table: ") + family_name(f) + " " + name);
		rs_.tables.push_back(Table{f, name, {}, {}, {}, loc});
		return rs_.tables.back();
	}

	void table_block(const Loc &loc)
	{
		Family f = family_or_default();
		std::string name = word("a table name");
		Table &t = table_ref(f, name, loc, true);
		skip_newlines();
		expect("{");
		table_body(t);
	}

	void add_command(const Token &verb)
	{
		const Token &what = peek();
		if (accept("table")) {
			Family f = family_or_default();
			std::string name = word("a table name");
			Table &t = table_ref(f, name, what.loc, true);
			if (accept("{"))
				table_body(t);
			return;
		}
		if (accept("chain")) {
			Table &t = table_named(what.loc);
			chain_def(t, word("a chain name"), what.loc, accept("{"));
			return;
		}
		if (accept("flowtable")) {
			Table &t = table_named(what.loc);
			std::string name = word("a flowtable name");
			expect("{");
			flowtable_def(t, name, what.loc);
			return;
		}
		if (accept("counter")) {
			Table &t = table_named(what.loc);
			counter_def(t, word("a counter name"), what.loc, accept("{"));
			return;
		}
		if (accept("rule")) {
			Table &t = table_named(what.loc);
			Loc cl = peek().loc;
			std::string chain = word("a chain name");
			Chain *c = t.chain(chain);
			if (!c)
				fail(cl, "no such chain: " + chain);
			Rule r = rule();
			if (verb.is("insert"))
				c->rules.insert(c->rules.begin(), r);
			else
				c->rules.push_back(r);
			return;
		}
		fail(what.loc, "expected table, chain, flowtable, counter or rule after '" + verb.text +
				       "', got " + describe(what));
	}

	Table &table_named(const Loc &loc)
	{
		Family f = family_or_default();
		Loc tl = peek().loc;
		std::string name = word("a table name");
		(void)loc;
		return table_ref(f, name, tl, false);
	}

	void flush_command(const Loc &loc)
	{
		if (accept("ruleset")) {
			rs_.tables.clear();
			return;
		}
		if (accept("table")) {
			Table &t = table_named(loc);
			for (Chain &c : t.chains)
				c.rules.clear();
			return;
		}
		if (accept("chain")) {
			Table &t = table_named(loc);
			Loc cl = peek().loc;
			Chain *c = t.chain(word("a chain name"));
			if (!c)
				fail(cl, "no such chain");
			c->rules.clear();
			return;
		}
		fail(peek().loc, "expected ruleset, table or chain after 'flush', got " + describe(peek()));
	}

	void delete_command(const Loc &loc)
	{
		if (!accept("table"))
			fail(peek().loc, "expected 'table' after 'delete', got " + describe(peek()));
		Family f = family_or_default();
		Loc tl = peek().loc;
		std::string name = word("a table name");
		for (auto it = rs_.tables.begin(); it != rs_.tables.end(); ++it) {
			if (it->family == f && it->name == name) {
				rs_.tables.erase(it);
				return;
			}
		}
		(void)loc;
		fail(tl, std::string("no such table: ") + family_name(f) + " " + name);
	}

	// ------------------------------------------------------------ tables

	void table_body(Table &t)
	{
		for (;;) {
			skip_separators();
			const Token &tok = peek();
			if (accept("}"))
				return;
			if (tok.kind == Token::End)
				fail(tok.loc, "expected '}' to close table " + t.name + ", got end of input");
			Loc loc = tok.loc;
			if (accept("flowtable")) {
				std::string name = word("a flowtable name");
				skip_newlines();
				expect("{");
				flowtable_def(t, name, loc);
			} else if (accept("chain")) {
				std::string name = word("a chain name");
				skip_newlines();
				expect("{");
				chain_def(t, name, loc, true);
			} else if (accept("counter")) {
				std::string name = word("a counter name");
				skip_newlines();
				counter_def(t, name, loc, accept("{"));
			} else if (tok.is("set") || tok.is("map") || tok.is("meter") || tok.is("quota") ||
				   tok.is("limit") || tok.is("ct")) {
				fail(loc, "'" + tok.text + "' objects are not supported by flowlane's simulator");
			} else if (accept("comment")) {
				word("a comment");
			} else {
				fail(loc, "expected flowtable, chain, counter or '}', got " + describe(tok));
			}
		}
	}

	int priority()
	{
		const Token &tok = peek();
		std::string w = word("a priority");
		uint64_t n;
		if (!w.empty() && w[0] == '-' && parse_number(w.substr(1), n))
			return -static_cast<int>(n);
		if (parse_number(w, n))
			return static_cast<int>(n);
		auto named = priority_name(w);
		if (!named)
			fail(tok.loc, "expected a priority (a number or raw, mangle, dstnat, filter, security, "
				      "srcnat), got '" + w + "'");
		int p = *named;
		// "filter + 5", "filter - 5", "filter -5"
		const Token &sign = peek();
		if (sign.is("+") || sign.is("-")) {
			bool minus = next().text == "-";
			n = number();
			return p + (minus ? -static_cast<int>(n) : static_cast<int>(n));
		}
		if (sign.kind == Token::Word && sign.text.size() > 1 && sign.text[0] == '-' &&
		    parse_number(sign.text.substr(1), n)) {
			next();
			return p - static_cast<int>(n);
		}
		return p;
	}

	void flowtable_def(Table &t, const std::string &name, const Loc &loc)
	{
		if (t.flowtable(name))
			fail(loc, "flowtable " + name + " already exists in table " + t.name);
		Flowtable ft;
		ft.name = name;
		ft.loc = loc;
		ft.hook.clear();
		for (;;) {
			skip_separators();
			const Token &tok = peek();
			if (accept("}"))
				break;
			if (accept("hook")) {
				ft.hook = word("a hook");
				expect("priority");
				ft.priority = priority();
			} else if (accept("devices")) {
				expect("=");
				ft.devices = name_list();
			} else if (accept("counter")) {
				ft.counter = true;
			} else if (accept("flags")) {
				Loc fl = peek().loc;
				std::string f = word("flags");
				if (f != "offload")
					fail(fl, "unknown flowtable flag '" + f + "' (expected offload)");
				ft.offload = true;
			} else {
				fail(tok.loc, "expected hook, devices, counter, flags or '}' in flowtable, got " +
						      describe(tok));
			}
		}
		t.flowtables.push_back(ft);
	}

	std::vector<std::string> name_list()
	{
		std::vector<std::string> v;
		if (!accept("{")) {
			v.push_back(word("a device name"));
			return v;
		}
		for (;;) {
			skip_newlines();
			v.push_back(word("a device name"));
			skip_newlines();
			if (accept("}"))
				return v;
			expect(",");
		}
	}

	void counter_def(Table &t, const std::string &name, const Loc &loc, bool block)
	{
		if (t.counter(name))
			fail(loc, "counter " + name + " already exists in table " + t.name);
		NamedCounter c{name, 0, 0, loc};
		if (block) {
			for (;;) {
				skip_separators();
				if (accept("}"))
					break;
				if (accept("packets")) {
					c.packets = number();
				} else if (accept("bytes")) {
					c.bytes = number();
				} else {
					fail(peek().loc, "expected packets, bytes or '}', got " + describe(peek()));
				}
			}
		}
		t.counters.push_back(c);
	}

	uint64_t number()
	{
		const Token &tok = peek();
		uint64_t n;
		if (tok.kind != Token::Word || !parse_number(tok.text, n))
			fail(tok.loc, "expected a number, got " + describe(tok));
		next();
		return n;
	}

	void chain_def(Table &t, const std::string &name, const Loc &loc, bool block)
	{
		Chain *c = t.chain(name);
		if (!c) {
			t.chains.push_back(Chain{name, false, "", "", 0, false, {}, loc});
			c = &t.chains.back();
		} else if (block && !c->rules.empty()) {
			fail(loc, "chain " + name + " already exists in table " + t.name);
		}
		if (!block)
			return;
		std::string chain_name = name;
		for (;;) {
			skip_separators();
			c = t.chain(chain_name);
			const Token &tok = peek();
			if (accept("}"))
				return;
			if (tok.kind == Token::End)
				fail(tok.loc, "expected '}' to close chain " + name + ", got end of input");
			if (accept("type")) {
				c->base = true;
				c->type = word("a chain type");
				expect("hook");
				c->hook = word("a hook");
				if (accept("device"))
					word("a device name");
				expect("priority");
				c->priority = priority();
			} else if (accept("policy")) {
				Loc pl = peek().loc;
				std::string p = word("a policy");
				if (p != "accept" && p != "drop")
					fail(pl, "expected policy accept or drop, got '" + p + "'");
				c->policy_drop = p == "drop";
			} else if (accept("comment")) {
				word("a comment");
			} else {
				Rule r = rule();
				t.chain(chain_name)->rules.push_back(r);
			}
		}
	}

	// ------------------------------------------------------------ rules

	Rule rule()
	{
		Rule r;
		r.loc = peek().loc;
		while (!end_of_statement()) {
			const Token &tok = peek();
			if (tok.kind != Token::Word)
				fail(tok.loc, "expected a match or a statement, got " + describe(tok));
			item(r);
		}
		if (r.matches.empty() && r.stmts.empty())
			fail(r.loc, "empty rule");
		return r;
	}

	void item(Rule &r)
	{
		const Token &tok = peek();
		Loc loc = tok.loc;
		std::string w = tok.text;
		if (w == "ip" || w == "ip6")
			return ip_match(r, next().text == "ip" ? 4 : 6, loc);
		if (w == "meta")
			return meta(r, (next(), loc));
		if (w == "iif" || w == "oif" || w == "iifname" || w == "oifname" || w == "l4proto" ||
		    w == "nfproto")
			return meta_key(r, next().text, loc);
		if (w == "tcp" || w == "udp" || w == "th")
			return port_match(r, next().text, loc);
		if (w == "ct")
			return ct(r, (next(), loc));
		if (w == "counter")
			return counter_stmt(r, (next(), loc));
		if (w == "flow")
			return flow_stmt(r, (next(), loc));
		if (w == "accept" || w == "drop" || w == "return" || w == "continue")
			return verdict(r, next().text, loc);
		if (w == "jump" || w == "goto") {
			next();
			Stmt s{w == "jump" ? Stmt::Jump : Stmt::Goto};
			s.name = word("a chain name");
			s.loc = loc;
			r.stmts.push_back(s);
			return;
		}
		if (w == "snat" || w == "dnat")
			return nat_stmt(r, next().text, loc);
		if (w == "masquerade") {
			next();
			r.stmts.push_back(Stmt{Stmt::Masquerade, "", "", "", 0, 0, 0, {}, "", loc});
			return;
		}
		if (w == "log")
			return log_stmt(r, (next(), loc));
		if (w == "comment") {
			next();
			r.comment = word("a comment");
			return;
		}
		fail(loc, "unknown or unsupported expression '" + w + "'");
	}

	void verdict(Rule &r, const std::string &w, const Loc &loc)
	{
		Stmt::Kind k = w == "accept" ? Stmt::Accept : w == "drop" ? Stmt::Drop
						 : w == "return"   ? Stmt::Return
								     : Stmt::Continue;
		Stmt s{k};
		s.loc = loc;
		r.stmts.push_back(s);
	}

	Match::Op op()
	{
		static const std::map<std::string, Match::Op> ops = {
			{"==", Match::Eq}, {"eq", Match::Eq}, {"!=", Match::Ne}, {"ne", Match::Ne},
			{"<", Match::Lt},  {"lt", Match::Lt}, {">", Match::Gt},  {"gt", Match::Gt},
			{"<=", Match::Le}, {"le", Match::Le}, {">=", Match::Ge}, {"ge", Match::Ge},
		};
		const Token &tok = peek();
		if (tok.is("!")) {
			next();
			expect("=");
			return Match::Ne;
		}
		auto it = ops.find(tok.text);
		if (tok.kind == Token::String || it == ops.end())
			return Match::Eq;
		next();
		return it->second;
	}

	Atom atom(Match::Field f)
	{
		const Token &tok = peek();
		if (tok.kind != Token::Word && tok.kind != Token::String)
			fail(tok.loc, "expected a value, got " + describe(tok));
		std::string w = next().text;
		Atom a;
		a.text = w;
		uint64_t n;
		if (tok.kind == Token::String) {
			a.kind = Atom::Name;
			a.name = w;
			return a;
		}
		if (parse_number(w, n)) {
			a.kind = Atom::Number;
			a.lo = n;
			return a;
		}
		size_t dash = w.find('-');
		if (dash != std::string::npos && dash > 0 && (f == Match::Sport || f == Match::Dport ||
							      f == Match::MetaLength || f == Match::CtMark)) {
			uint64_t lo, hi;
			if (!parse_number(w.substr(0, dash), lo) || !parse_number(w.substr(dash + 1), hi) || lo > hi)
				fail(tok.loc, "bad range '" + w + "'");
			a.kind = Atom::Range;
			a.lo = lo;
			a.hi = hi;
			return a;
		}
		if (f == Match::Saddr || f == Match::Daddr) {
			size_t slash = w.find('/');
			if (slash != std::string::npos) {
				uint64_t plen;
				if (!parse_addr(w.substr(0, slash), a) || !parse_number(w.substr(slash + 1), plen) ||
				    plen > (a.ipver == 4 ? 32u : 128u))
					fail(tok.loc, "bad prefix '" + w + "'");
				a.kind = Atom::Prefix;
				a.plen = static_cast<int>(plen);
				return a;
			}
			if (!parse_addr(w, a))
				fail(tok.loc, "bad address '" + w + "'");
			a.kind = Atom::Addr;
			return a;
		}
		a.kind = Atom::Name;
		a.name = w;
		return a;
	}

	// The elements of a set whose '{' was read; a set inside a set (a define
	// of a set used in one: `{ $BLOCK, 10.0.0.1 }`) adds its elements, as nft does.
	void set_elements(Match::Field f, std::vector<Atom> &v, int depth = 0)
	{
		for (;;) {
			skip_newlines();
			const Token &tok = peek();
			if (tok.is("{") && depth >= 8)
				fail(tok.loc, "sets nested too deeply");
			if (accept("{"))
				set_elements(f, v, depth + 1);
			else
				v.push_back(atom(f));
			skip_newlines();
			if (accept("}"))
				return;
			expect(",");
		}
	}

	// One value, a comma list (ct state a,b) or a set { a, b }.
	std::vector<Atom> values(Match::Field f)
	{
		std::vector<Atom> v;
		if (accept("{")) {
			set_elements(f, v);
			return v;
		}
		v.push_back(atom(f));
		while (f == Match::CtState && accept(","))
			v.push_back(atom(f));
		return v;
	}

	void add_match(Rule &r, Match::Field f, const Loc &loc, int ipver = 0, uint8_t l4 = 0)
	{
		Match m{f};
		m.loc = loc;
		m.ipver = ipver;
		m.l4proto = l4;
		m.op = op();
		m.values = values(f);
		check_values(m);
		r.matches.push_back(m);
	}

	void ip_match(Rule &r, int ipver, const Loc &loc)
	{
		Loc kl = peek().loc;
		std::string key = word("an ip expression");
		if ((ipver == 4 && key == "protocol") || (ipver == 6 && key == "nexthdr"))
			return add_match(r, ipver == 4 ? Match::IpProtocol : Match::Ip6Nexthdr, loc);
		if (key == "saddr" || key == "daddr")
			return add_match(r, key == "saddr" ? Match::Saddr : Match::Daddr, loc, ipver);
		fail(kl, std::string("unsupported ") + (ipver == 4 ? "ip" : "ip6") + " expression '" + key +
				 "' (supported: " + (ipver == 4 ? "protocol" : "nexthdr") + ", saddr, daddr)");
	}

	void meta(Rule &r, const Loc &loc)
	{
		Loc kl = peek().loc;
		std::string key = word("a meta key");
		if (key == "length")
			return add_match(r, Match::MetaLength, loc);
		if (key == "l4proto" || key == "nfproto" || key == "iif" || key == "oif" || key == "iifname" ||
		    key == "oifname")
			return meta_key(r, key, loc);
		fail(kl, "unsupported meta key '" + key +
				 "' (supported: l4proto, nfproto, iif, oif, iifname, oifname, length)");
	}

	void meta_key(Rule &r, const std::string &key, const Loc &loc)
	{
		static const std::map<std::string, Match::Field> fields = {
			{"l4proto", Match::L4proto}, {"nfproto", Match::Nfproto}, {"iif", Match::Iif},
			{"oif", Match::Oif},         {"iifname", Match::Iifname}, {"oifname", Match::Oifname},
		};
		add_match(r, fields.at(key), loc);
	}

	void port_match(Rule &r, const std::string &proto, const Loc &loc)
	{
		Loc kl = peek().loc;
		std::string key = word("sport or dport");
		if (key != "sport" && key != "dport")
			fail(kl, "unsupported " + proto + " expression '" + key + "' (supported: sport, dport)");
		uint8_t l4 = proto == "tcp" ? 6 : proto == "udp" ? 17 : 0;
		add_match(r, key == "sport" ? Match::Sport : Match::Dport, loc, 0, l4);
	}

	void ct(Rule &r, const Loc &loc)
	{
		Loc kl = peek().loc;
		std::string key = word("a ct key");
		if (key == "state")
			return add_match(r, Match::CtState, loc);
		if (key == "direction")
			return add_match(r, Match::CtDirection, loc);
		if (key != "mark")
			fail(kl, "unsupported ct key '" + key + "' (supported: state, direction, mark)");
		if (accept("set")) {
			Stmt s{Stmt::CtMarkSet};
			s.mark = static_cast<uint32_t>(number());
			s.loc = loc;
			r.stmts.push_back(s);
			return;
		}
		uint64_t mask = 0;
		if (accept("and"))
			mask = number();
		add_match(r, Match::CtMark, loc);
		r.matches.back().mask = mask;
	}

	void check_values(const Match &m)
	{
		static const std::set<std::string> states = {"new", "established", "related", "invalid", "untracked"};
		for (const Atom &a : m.values) {
			bool ok = true;
			switch (m.field) {
			case Match::IpProtocol:
			case Match::Ip6Nexthdr:
			case Match::L4proto:
				ok = a.kind == Atom::Number || (a.kind == Atom::Name && l4proto_name(a.name));
				break;
			case Match::Nfproto:
				ok = a.kind == Atom::Name && (a.name == "ipv4" || a.name == "ipv6");
				break;
			case Match::CtState:
				ok = a.kind == Atom::Name && states.count(a.name);
				break;
			case Match::CtDirection:
				ok = a.kind == Atom::Name && (a.name == "original" || a.name == "reply");
				break;
			case Match::Sport:
			case Match::Dport:
				ok = (a.kind == Atom::Number && a.lo <= 65535) || (a.kind == Atom::Range && a.hi <= 65535);
				break;
			case Match::CtMark:
			case Match::MetaLength:
				ok = a.kind == Atom::Number || a.kind == Atom::Range;
				break;
			case Match::Saddr:
			case Match::Daddr:
				ok = a.ipver == m.ipver;
				break;
			default:
				ok = a.kind == Atom::Name || a.kind == Atom::Number;
			}
			if (!ok)
				fail(m.loc, "bad value '" + a.text + "' for this match");
		}
	}

	// ------------------------------------------------------------ statements

	void counter_stmt(Rule &r, const Loc &loc)
	{
		Stmt s{Stmt::Counter};
		s.loc = loc;
		if (accept("name")) {
			if (accept("ct")) {
				expect("direction");
				expect("map");
				expect("{");
				s.kind = Stmt::CounterCtDirMap;
				for (;;) {
					skip_newlines();
					Loc kl = peek().loc;
					std::string key = word("original or reply");
					std::string val;
					size_t colon = key.find(':');
					if (colon != std::string::npos) { // "original:a" written without spaces
						val = key.substr(colon + 1);
						key = key.substr(0, colon);
					}
					if (val.empty()) {
						expect(":");
						val = word("a counter name");
					}
					if (key == "original")
						s.original = val;
					else if (key == "reply")
						s.reply = val;
					else
						fail(kl, "expected original or reply, got '" + key + "'");
					skip_newlines();
					if (accept("}"))
						break;
					expect(",");
				}
			} else {
				s.kind = Stmt::CounterNamed;
				s.name = word("a counter name");
			}
		} else {
			if (accept("packets")) {
				s.packets = number();
				expect("bytes");
				s.bytes = number();
			}
		}
		r.stmts.push_back(s);
	}

	void flow_stmt(Rule &r, const Loc &loc)
	{
		Loc vl = peek().loc;
		std::string verb = word("add or offload");
		if (verb != "add" && verb != "offload")
			fail(vl, "expected 'add' or 'offload' after 'flow', got '" + verb + "'");
		expect("@");
		Stmt s{Stmt::FlowAdd};
		s.name = word("a flowtable name");
		s.loc = loc;
		r.stmts.push_back(s);
	}

	void nat_stmt(Rule &r, const std::string &kind, const Loc &loc)
	{
		Stmt s{kind == "snat" ? Stmt::Snat : Stmt::Dnat};
		s.loc = loc;
		if (accept("ip"))
			s.nat.ipver = 4;
		else if (accept("ip6"))
			s.nat.ipver = 6;
		s.nat.family_given = s.nat.ipver != 0;
		expect("to");
		Loc tl = peek().loc;
		std::string target = word("a NAT target (address[:port])");
		nat_target(target, tl, s.nat);
		r.stmts.push_back(s);
	}

	void nat_target(const std::string &t, const Loc &loc, NatTarget &n)
	{
		std::string addr = t, port;
		if (!t.empty() && t[0] == '[') {
			size_t close = t.find(']');
			if (close == std::string::npos)
				fail(loc, "bad NAT target '" + t + "'");
			addr = t.substr(1, close - 1);
			if (close + 1 < t.size()) {
				if (t[close + 1] != ':')
					fail(loc, "bad NAT target '" + t + "'");
				port = t.substr(close + 2);
			}
		} else if (std::count(t.begin(), t.end(), ':') == 1) {
			size_t colon = t.find(':');
			addr = t.substr(0, colon);
			port = t.substr(colon + 1);
		}
		if (!addr.empty()) {
			Atom a;
			if (!parse_addr(addr, a))
				fail(loc, "bad NAT address '" + addr + "'");
			if (n.ipver && n.ipver != a.ipver)
				fail(loc, "NAT address family does not match");
			n.ipver = a.ipver;
			std::copy(a.addr, a.addr + 16, n.addr);
			n.has_addr = true;
		}
		if (!port.empty()) {
			uint64_t p;
			if (!parse_number(port, p) || p == 0 || p > 65535)
				fail(loc, "bad NAT port '" + port + "'");
			n.port = static_cast<uint16_t>(p);
		}
	}

	void log_stmt(Rule &r, const Loc &loc)
	{
		Stmt s{Stmt::Log};
		s.loc = loc;
		for (;;) {
			if (accept("prefix"))
				s.log_prefix = word("a log prefix");
			else if (accept("level"))
				word("a log level");
			else
				break;
		}
		r.stmts.push_back(s);
	}

	// ------------------------------------------------------------ validation

	void validate()
	{
		for (const Table &t : rs_.tables) {
			for (const Flowtable &ft : t.flowtables)
				validate_flowtable(t, ft);
			for (const Chain &c : t.chains) {
				validate_chain(t, c);
				for (const Rule &r : c.rules)
					validate_rule(t, c, r);
			}
		}
	}

	void validate_flowtable(const Table &t, const Flowtable &ft)
	{
		if (t.family != Family::Ip && t.family != Family::Ip6 && t.family != Family::Inet)
			fail(ft.loc, std::string("flowtables need an ip, ip6 or inet table, not ") +
					     family_name(t.family));
		if (ft.hook != "ingress")
			fail(ft.loc, "flowtable " + ft.name + ": hook must be ingress" +
					     (ft.hook.empty() ? " (no hook given)" : ", not " + ft.hook));
		if (ft.devices.empty())
			fail(ft.loc, "flowtable " + ft.name + " has no devices");
	}

	void validate_chain(const Table &t, const Chain &c)
	{
		if (!c.base)
			return;
		static const std::set<std::string> hooks = {"prerouting", "input", "forward", "output",
							    "postrouting", "ingress"};
		if (!hooks.count(c.hook))
			fail(c.loc, "chain " + c.name + ": unknown hook " + c.hook);
		if (c.type != "filter" && c.type != "nat" && c.type != "route")
			fail(c.loc, "chain " + c.name + ": unknown type " + c.type);
		if (c.type == "nat" && c.hook != "prerouting" && c.hook != "postrouting" && c.hook != "input" &&
		    c.hook != "output")
			fail(c.loc, "chain " + c.name + ": nat chains hook prerouting, postrouting, input or output");
		if (c.type == "route" && c.hook != "output")
			fail(c.loc, "chain " + c.name + ": route chains hook output");
		if (t.family == Family::Netdev && c.hook != "ingress")
			fail(c.loc, "chain " + c.name + ": netdev chains hook ingress");
		if (t.family != Family::Netdev && c.hook == "ingress" && t.family != Family::Inet)
			fail(c.loc, "chain " + c.name + ": ingress chains need a netdev or inet table");
	}

	void validate_rule(const Table &t, const Chain &c, const Rule &r)
	{
		for (const Match &m : r.matches) {
			if ((m.field == Match::Saddr || m.field == Match::Daddr) &&
			    ((t.family == Family::Ip && m.ipver == 6) || (t.family == Family::Ip6 && m.ipver == 4)))
				fail(m.loc, std::string("ip") + (m.ipver == 6 ? "6" : "") + " addresses in a " +
						    family_name(t.family) + " table");
		}
		for (const Stmt &s : r.stmts) {
			if (s.kind == Stmt::FlowAdd && !t.flowtable(s.name))
				fail(s.loc, "flowtable " + s.name + " not found in table " + t.name);
			if (s.kind == Stmt::FlowAdd && c.base && c.hook != "forward")
				fail(s.loc, "flow add is only valid in forward chains");
			if ((s.kind == Stmt::Jump || s.kind == Stmt::Goto) && !t.chain(s.name))
				fail(s.loc, "chain " + s.name + " not found in table " + t.name);
			if (s.kind == Stmt::CounterNamed && !const_cast<Table &>(t).counter(s.name))
				fail(s.loc, "counter " + s.name + " not found in table " + t.name);
			if (s.kind == Stmt::CounterCtDirMap &&
			    (!const_cast<Table &>(t).counter(s.original) || !const_cast<Table &>(t).counter(s.reply)))
				fail(s.loc, "counter map names a counter not in table " + t.name);
			bool nat = s.kind == Stmt::Snat || s.kind == Stmt::Dnat || s.kind == Stmt::Masquerade;
			if (nat && c.base && c.type != "nat")
				fail(s.loc, "NAT statements need a chain of type nat");
			if ((s.kind == Stmt::Snat || s.kind == Stmt::Masquerade) && c.base && c.hook != "postrouting" &&
			    c.hook != "input")
				fail(s.loc, "snat and masquerade belong in postrouting (or input)");
			if (s.kind == Stmt::Dnat && c.base && c.hook != "prerouting" && c.hook != "output")
				fail(s.loc, "dnat belongs in prerouting (or output)");
			if ((s.kind == Stmt::Snat || s.kind == Stmt::Dnat) && t.family == Family::Inet &&
			    !s.nat.family_given)
				fail(s.loc, "inet tables need 'ip' or 'ip6' before 'to'");
		}
	}

	std::vector<Token> t_;
	size_t pos_ = 0;
	Ruleset rs_;
};

} // namespace

Parsed<Ruleset> parse_ruleset(const std::string &text, const std::string &file)
{
	auto toks = tokenize(text, file);
	if (auto *d = std::get_if<Diag>(&toks))
		return *d;
	auto expanded = expand_variables(std::get<std::vector<Token>>(toks));
	if (auto *d = std::get_if<Diag>(&expanded))
		return *d;
	try {
		return Parser(std::move(std::get<std::vector<Token>>(expanded))).run();
	} catch (const ParseError &e) {
		return e.diag;
	}
}

Parsed<Ruleset> load_ruleset(const std::string &path)
{
	std::ifstream in(path);
	if (!in)
		return Diag{{path, 0, 0}, "cannot open the ruleset file"};
	std::stringstream ss;
	ss << in.rdbuf();
	return parse_ruleset(ss.str(), path);
}

} // namespace flsim
