// SPDX-License-Identifier: GPL-2.0
//
// Rulesets back to text, in the shape `nft list ruleset` prints them.
#include <arpa/inet.h>

#include <cstdio>
#include <sstream>

#include "sim/nft/ruleset.h"

namespace flsim {

namespace {

std::string priority_text(int p)
{
	static const std::pair<const char *, int> names[] = {
		{"raw", -300}, {"mangle", -150}, {"dstnat", -100}, {"filter", 0}, {"security", 50}, {"srcnat", 100},
	};
	for (auto &[n, v] : names) {
		if (p == v)
			return n;
		if (p > v - 10 && p < v + 10 && p != v)
			return std::string(n) + (p > v ? " + " : " - ") + std::to_string(p > v ? p - v : v - p);
	}
	return std::to_string(p);
}

std::string addr_text(int ipver, const uint8_t *a)
{
	char buf[64];
	inet_ntop(ipver == 4 ? AF_INET : AF_INET6, a, buf, sizeof(buf));
	return buf;
}

std::string atom_text(const Match &m, const Atom &a)
{
	switch (a.kind) {
	case Atom::Number:
		if (m.field == Match::CtMark)
			return "0x" + [&] {
				char b[16];
				std::snprintf(b, sizeof(b), "%08llx", static_cast<unsigned long long>(a.lo));
				return std::string(b);
			}();
		return std::to_string(a.lo);
	case Atom::Range:
		return std::to_string(a.lo) + "-" + std::to_string(a.hi);
	case Atom::Addr:
		return addr_text(a.ipver, a.addr);
	case Atom::Prefix:
		return addr_text(a.ipver, a.addr) + "/" + std::to_string(a.plen);
	default:
		if (m.field == Match::Iif || m.field == Match::Oif || m.field == Match::Iifname ||
		    m.field == Match::Oifname)
			return "\"" + a.name + "\"";
		return a.name;
	}
}

const char *field_text(const Match &m)
{
	switch (m.field) {
	case Match::IpProtocol:
		return "ip protocol";
	case Match::Ip6Nexthdr:
		return "ip6 nexthdr";
	case Match::L4proto:
		return "meta l4proto";
	case Match::Nfproto:
		return "meta nfproto";
	case Match::Iif:
		return "meta iif";
	case Match::Oif:
		return "meta oif";
	case Match::Iifname:
		return "meta iifname";
	case Match::Oifname:
		return "meta oifname";
	case Match::MetaLength:
		return "meta length";
	case Match::Sport:
		return m.l4proto == 6 ? "tcp sport" : m.l4proto == 17 ? "udp sport" : "th sport";
	case Match::Dport:
		return m.l4proto == 6 ? "tcp dport" : m.l4proto == 17 ? "udp dport" : "th dport";
	case Match::Saddr:
		return m.ipver == 4 ? "ip saddr" : "ip6 saddr";
	case Match::Daddr:
		return m.ipver == 4 ? "ip daddr" : "ip6 daddr";
	case Match::CtState:
		return "ct state";
	case Match::CtMark:
		return "ct mark";
	default:
		return "ct direction";
	}
}

std::string match_text(const Match &m)
{
	static const char *ops[] = {"", "!= ", "< ", "> ", "<= ", ">= "};
	std::string s = field_text(m);
	if (m.field == Match::CtMark && m.mask) {
		char b[32];
		std::snprintf(b, sizeof(b), " and 0x%08llx ==", static_cast<unsigned long long>(m.mask));
		s += b;
	}
	s += " ";
	s += ops[m.op];
	if (m.values.size() == 1 || m.field == Match::CtState) {
		for (size_t i = 0; i < m.values.size(); i++)
			s += (i ? "," : "") + atom_text(m, m.values[i]);
		return s;
	}
	s += "{ ";
	for (size_t i = 0; i < m.values.size(); i++)
		s += (i ? ", " : "") + atom_text(m, m.values[i]);
	return s + " }";
}

std::string nat_text(const NatTarget &n)
{
	std::string s;
	if (n.has_addr)
		s = n.ipver == 6 && n.port ? "[" + addr_text(6, n.addr) + "]" : addr_text(n.ipver, n.addr);
	if (n.port)
		s += ":" + std::to_string(n.port);
	return s;
}

std::string stmt_text(const Stmt &s)
{
	switch (s.kind) {
	case Stmt::Counter:
		return "counter packets " + std::to_string(s.packets) + " bytes " + std::to_string(s.bytes);
	case Stmt::CounterNamed:
		return "counter name \"" + s.name + "\"";
	case Stmt::CounterCtDirMap:
		return "counter name ct direction map { original : \"" + s.original + "\", reply : \"" + s.reply + "\" }";
	case Stmt::CtMarkSet:
		return "ct mark set " + [&] {
			char b[16];
			std::snprintf(b, sizeof(b), "0x%08x", s.mark);
			return std::string(b);
		}();
	case Stmt::FlowAdd:
		return "flow add @" + s.name;
	case Stmt::Accept:
		return "accept";
	case Stmt::Drop:
		return "drop";
	case Stmt::Return:
		return "return";
	case Stmt::Continue:
		return "continue";
	case Stmt::Jump:
		return "jump " + s.name;
	case Stmt::Goto:
		return "goto " + s.name;
	case Stmt::Snat:
	case Stmt::Dnat:
		return std::string(s.kind == Stmt::Snat ? "snat" : "dnat") +
		       (s.nat.ipver == 4 ? " ip" : s.nat.ipver == 6 ? " ip6" : "") + " to " + nat_text(s.nat);
	case Stmt::Masquerade:
		return "masquerade";
	default:
		return s.log_prefix.empty() ? "log" : "log prefix \"" + s.log_prefix + "\"";
	}
}

} // namespace

std::string format_ruleset(const Ruleset &rs)
{
	std::ostringstream o;
	for (const Table &t : rs.tables) {
		o << "table " << family_name(t.family) << " " << t.name << " {\n";
		bool first = true;
		auto gap = [&] {
			if (!first)
				o << "\n";
			first = false;
		};
		for (const NamedCounter &c : t.counters) {
			gap();
			o << "\tcounter " << c.name << " {\n\t\tpackets " << c.packets << " bytes " << c.bytes << "\n\t}\n";
		}
		for (const Flowtable &f : t.flowtables) {
			gap();
			o << "\tflowtable " << f.name << " {\n\t\thook " << f.hook << " priority "
			  << priority_text(f.priority) << "\n\t\tdevices = { ";
			for (size_t i = 0; i < f.devices.size(); i++)
				o << (i ? ", " : "") << f.devices[i];
			o << " }\n";
			if (f.counter)
				o << "\t\tcounter\n";
			if (f.offload)
				o << "\t\tflags offload\n";
			o << "\t}\n";
		}
		for (const Chain &c : t.chains) {
			gap();
			o << "\tchain " << c.name << " {\n";
			if (c.base)
				o << "\t\ttype " << c.type << " hook " << c.hook << " priority "
				  << priority_text(c.priority) << "; policy " << (c.policy_drop ? "drop" : "accept")
				  << ";\n";
			for (const Rule &r : c.rules) {
				o << "\t\t";
				bool sp = false;
				for (const Match &m : r.matches) {
					o << (sp ? " " : "") << match_text(m);
					sp = true;
				}
				for (const Stmt &s : r.stmts) {
					o << (sp ? " " : "") << stmt_text(s);
					sp = true;
				}
				if (!r.comment.empty())
					o << " comment \"" << r.comment << "\"";
				o << "\n";
			}
			o << "\t}\n";
		}
		o << "}\n";
	}
	return o.str();
}

} // namespace flsim
