// SPDX-License-Identifier: GPL-2.0
//
// The simulator's diagnostics: where in a user's file something is, and what is
// wrong there. Every reader of user input (rulesets, topologies, conversations,
// pcaps) reports through these.
#ifndef FLOWLANE_SIM_BASE_DIAG_H
#define FLOWLANE_SIM_BASE_DIAG_H

#include <string>
#include <variant>

namespace flsim {

struct Loc {
	std::string file;
	int line = 0;
	int col = 0;
};

// "file:line:col: message"
struct Diag {
	Loc loc;
	std::string msg;
	std::string str() const;
};

template <typename T> using Parsed = std::variant<T, Diag>;

} // namespace flsim

#endif // FLOWLANE_SIM_BASE_DIAG_H
