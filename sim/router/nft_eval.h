// SPDX-License-Identifier: GPL-2.0
//
// Evaluation of a ruleset's base chains on one packet at one hook: matches,
// counters, ct mark, `flow add`, verdicts, jumps, and the NAT a nat chain asks
// for. Tables of family ip see IPv4, ip6 IPv6, inet both.
#ifndef FLOWLANE_SIM_NFT_EVAL_H
#define FLOWLANE_SIM_NFT_EVAL_H

#include <functional>
#include <string>
#include <vector>

#include "sim/router/conntrack.h"
#include "sim/nft/ruleset.h"

namespace flsim {

struct EvalPacket {
	const PacketView *pkt = nullptr;
	std::string iif, oif; // logical devices ("" when not known yet)
	CtInfo ct;
};

struct NatRequest {
	enum Kind { None, Snat, Dnat, Masquerade } kind = None;
	NatTarget target;
	std::string where; // table/chain, for the trace
};

struct EvalResult {
	bool drop = false;
	std::string verdict_where; // "table/chain" that dropped
	NatRequest nat;
	std::vector<std::string> notes;
};

// `flow add @ft` in table @t: true when the flow was added (else the rest of
// the rule is skipped, as in the kernel).
using FlowAddFn = std::function<bool(const Table &t, const std::string &ft, std::string &note)>;

class NftEvaluator {
public:
	explicit NftEvaluator(Ruleset &rs) : rs_(rs) {}
	// Run every base chain of @hook (nat chains or the others) in priority order.
	EvalResult run(const std::string &hook, bool nat_chains, EvalPacket &p, const FlowAddFn &flow_add);

private:
	enum Outcome { Continue, Accept, Drop, Return };
	Outcome run_chain(Table &t, Chain &c, EvalPacket &p, EvalResult &r, const FlowAddFn &fa, int depth);
	Outcome run_rule(Table &t, Rule &rule, EvalPacket &p, EvalResult &r, const FlowAddFn &fa, int depth,
			 bool &matched);
	bool match(const Match &m, const EvalPacket &p) const;

	Ruleset &rs_;
};

bool family_sees(Family f, int ipver);

} // namespace flsim

#endif // FLOWLANE_SIM_NFT_EVAL_H
