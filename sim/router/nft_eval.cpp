// SPDX-License-Identifier: GPL-2.0
#include "sim/router/nft_eval.h"

#include <algorithm>
#include <cstring>

namespace flsim {

bool family_sees(Family f, int ipver)
{
	switch (f) {
	case Family::Ip:
		return ipver == 4;
	case Family::Ip6:
		return ipver == 6;
	case Family::Inet:
		return true;
	default:
		return false; // arp, bridge, netdev: not on the routed path
	}
}

namespace {

bool prefix_match(const IpAddr &a, const Atom &p)
{
	if (a.ipver != p.ipver)
		return false;
	int bits = p.kind == Atom::Prefix ? p.plen : (a.ipver == 4 ? 32 : 128);
	for (int i = 0; i < bits; i++) {
		int byte = i / 8, bit = 7 - i % 8;
		if (((a.b[byte] >> bit) & 1) != ((p.addr[byte] >> bit) & 1))
			return false;
	}
	return true;
}

bool number_in(uint64_t v, const Atom &a)
{
	if (a.kind == Atom::Number)
		return v == a.lo;
	if (a.kind == Atom::Range)
		return v >= a.lo && v <= a.hi;
	return false;
}

uint64_t symbol(const Match &m, const Atom &a)
{
	if (a.kind == Atom::Number)
		return a.lo;
	if (m.field == Match::IpProtocol || m.field == Match::Ip6Nexthdr || m.field == Match::L4proto)
		return l4proto_name(a.name).value_or(0);
	return 0;
}

// Compare one value of the packet with the match's values and operator.
bool compare(const Match &m, uint64_t v)
{
	if (m.op == Match::Eq || m.op == Match::Ne) {
		bool any = std::any_of(m.values.begin(), m.values.end(), [&](const Atom &a) {
			return a.kind == Atom::Range ? number_in(v, a) : v == symbol(m, a);
		});
		return m.op == Match::Eq ? any : !any;
	}
	uint64_t x = symbol(m, m.values[0]);
	switch (m.op) {
	case Match::Lt:
		return v < x;
	case Match::Gt:
		return v > x;
	case Match::Le:
		return v <= x;
	default:
		return v >= x;
	}
}

bool compare_name(const Match &m, const std::string &name)
{
	bool any = std::any_of(m.values.begin(), m.values.end(),
			       [&](const Atom &a) { return a.kind == Atom::Name && a.name == name; });
	return m.op == Match::Ne ? !any : any;
}

std::string ct_state(const CtInfo &ct)
{
	if (ct.untracked)
		return "untracked";
	if (ct.invalid || !ct.conn)
		return "invalid";
	return ct.is_new ? "new" : "established";
}

} // namespace

bool NftEvaluator::match(const Match &m, const EvalPacket &p) const
{
	const PacketView &v = *p.pkt;
	switch (m.field) {
	case Match::IpProtocol:
		return v.ipver == 4 && compare(m, v.proto);
	case Match::Ip6Nexthdr:
		return v.ipver == 6 && compare(m, v.proto);
	case Match::L4proto:
		return compare(m, v.proto);
	case Match::Nfproto:
		return compare_name(m, v.ipver == 4 ? "ipv4" : "ipv6");
	case Match::Iif:
	case Match::Iifname:
		return compare_name(m, p.iif);
	case Match::Oif:
	case Match::Oifname:
		return !p.oif.empty() && compare_name(m, p.oif);
	case Match::MetaLength:
		return compare(m, v.l3len());
	case Match::Sport:
	case Match::Dport:
		if (!v.has_ports() || (m.l4proto && m.l4proto != v.proto))
			return false;
		return compare(m, m.field == Match::Sport ? v.sport : v.dport);
	case Match::Saddr:
	case Match::Daddr: {
		if (v.ipver != m.ipver)
			return false;
		const IpAddr &a = m.field == Match::Saddr ? v.src : v.dst;
		bool any = std::any_of(m.values.begin(), m.values.end(), [&](const Atom &x) { return prefix_match(a, x); });
		return m.op == Match::Ne ? !any : any;
	}
	case Match::CtState:
		return compare_name(m, ct_state(p.ct));
	case Match::CtMark: {
		uint64_t mark = p.ct.conn ? p.ct.conn->mark : 0;
		return compare(m, m.mask ? (mark & m.mask) : mark);
	}
	case Match::CtDirection:
		return p.ct.conn && compare_name(m, p.ct.dir == 0 ? "original" : "reply");
	}
	return false;
}

NftEvaluator::Outcome NftEvaluator::run_rule(Table &t, Rule &rule, EvalPacket &p, EvalResult &r,
					     const FlowAddFn &fa, int depth, bool &matched)
{
	matched = std::all_of(rule.matches.begin(), rule.matches.end(), [&](const Match &m) { return match(m, p); });
	if (!matched)
		return Continue;
	uint64_t len = p.pkt->l3len();
	for (Stmt &s : rule.stmts) {
		switch (s.kind) {
		case Stmt::Counter:
			s.packets++;
			s.bytes += len;
			break;
		case Stmt::CounterNamed:
		case Stmt::CounterCtDirMap: {
			std::string name = s.kind == Stmt::CounterNamed ? s.name : (p.ct.dir == 0 ? s.original : s.reply);
			if (s.kind == Stmt::CounterCtDirMap && !p.ct.conn)
				break;
			if (NamedCounter *c = t.counter(name)) {
				c->packets++;
				c->bytes += len;
			}
			break;
		}
		case Stmt::CtMarkSet:
			if (p.ct.conn)
				p.ct.conn->mark = s.mark;
			break;
		case Stmt::FlowAdd: {
			std::string note;
			bool added = fa && fa(t, s.name, note);
			if (!note.empty())
				r.notes.push_back(note);
			if (!added)
				return Continue; // NFT_BREAK: the rest of this rule does not run
			break;
		}
		case Stmt::Accept:
			return Accept;
		case Stmt::Drop:
			r.verdict_where = t.name + "/" + std::to_string(rule.loc.line);
			return Drop;
		case Stmt::Return:
			return Return;
		case Stmt::Continue:
			return Continue;
		case Stmt::Jump:
		case Stmt::Goto: {
			Chain *target = t.chain(s.name);
			if (!target || depth > 16)
				break;
			Outcome o = run_chain(t, *target, p, r, fa, depth + 1);
			if (o == Accept || o == Drop)
				return o;
			if (s.kind == Stmt::Goto)
				return Return;
			break;
		}
		case Stmt::Snat:
		case Stmt::Dnat:
		case Stmt::Masquerade:
			if (r.nat.kind == NatRequest::None) {
				r.nat.kind = s.kind == Stmt::Snat   ? NatRequest::Snat
					     : s.kind == Stmt::Dnat ? NatRequest::Dnat
								    : NatRequest::Masquerade;
				r.nat.target = s.nat;
				r.nat.where = std::string(family_name(t.family)) + " " + t.name;
			}
			return Accept;
		case Stmt::Log:
			r.notes.push_back("log " + s.log_prefix);
			break;
		}
	}
	return Continue;
}

NftEvaluator::Outcome NftEvaluator::run_chain(Table &t, Chain &c, EvalPacket &p, EvalResult &r,
					      const FlowAddFn &fa, int depth)
{
	for (Rule &rule : c.rules) {
		bool matched;
		Outcome o = run_rule(t, rule, p, r, fa, depth, matched);
		if (o != Continue)
			return o;
	}
	return Continue;
}

EvalResult NftEvaluator::run(const std::string &hook, bool nat_chains, EvalPacket &p, const FlowAddFn &fa)
{
	struct Base {
		Table *t;
		Chain *c;
	};
	std::vector<Base> bases;
	for (Table &t : rs_.tables) {
		if (!family_sees(t.family, p.pkt->ipver))
			continue;
		for (Chain &c : t.chains)
			if (c.base && c.hook == hook && (c.type == "nat") == nat_chains)
				bases.push_back({&t, &c});
	}
	std::stable_sort(bases.begin(), bases.end(),
			 [](const Base &a, const Base &b) { return a.c->priority < b.c->priority; });
	EvalResult r;
	for (Base &b : bases) {
		Outcome o = run_chain(*b.t, *b.c, p, r, fa, 0);
		if (o == Drop || (o != Accept && b.c->policy_drop)) {
			r.drop = true;
			if (r.verdict_where.empty())
				r.verdict_where = b.t->name + "/" + b.c->name + " policy drop";
			return r;
		}
	}
	return r;
}

} // namespace flsim
