// SPDX-License-Identifier: GPL-2.0
//
// The scenario `flowlane` runs without arguments (and `make demo` shows): the
// seed article's router between a client and a server, its ruleset, and a
// TCP and a UDP conversation.
#ifndef FLOWLANE_SIM_DEFAULT_SCENARIO_H
#define FLOWLANE_SIM_DEFAULT_SCENARIO_H

#include <string>
#include <vector>

namespace flsim {

struct ScenarioText {
	std::string title;
	std::string ruleset;  // nft -f text
	std::string topology; // iproute2 command lines
	std::vector<std::string> conversations;
};

const ScenarioText &default_scenario();

} // namespace flsim

#endif // FLOWLANE_SIM_DEFAULT_SCENARIO_H
