// SPDX-License-Identifier: GPL-2.0
//
// flowlane.ko's statistics as text, read tolerantly: /proc/net/flowlane (one
// header line per flowtable, `flowtable FAMILY TABLE NAME: key value ...`,
// then indented lines of `key value` pairs, optionally led by a word such as
// `gc` or `slowpath`, groups separated by `;`) and the `key value` files under
// /sys/kernel/debug/flowlane. New keys, new lines and new files pass through
// unchanged; nothing here knows the full list of keys.
#ifndef FLOWLANE_SIM_CLI_KERNEL_STATS_H
#define FLOWLANE_SIM_CLI_KERNEL_STATS_H

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace flsim {

struct StatPair {
	std::string key, value;
};

// Pairs as printed, under the word that led them ("" when none did).
struct StatGroup {
	std::string section;
	std::vector<StatPair> pairs;
};

// One printed line: its `;`-separated groups.
struct StatLine {
	std::vector<StatGroup> groups;
};

// Pairs of every group named SECTION ("" for unlabelled ones), in order.
std::vector<StatPair> section_pairs(const std::vector<StatLine> &lines, const std::string &section);
// The value of KEY in SECTION, if printed.
std::optional<std::string> stat_value(const std::vector<StatLine> &lines, const std::string &section,
				      const std::string &key);
// A value as a counter, if it is one (decimal digits that fit 64 bits).
std::optional<uint64_t> stat_counter(const std::string &value);

struct KernelFlowtable {
	std::string family, table, name;
	// The header's pairs first (section ""), then one entry per indented line.
	std::vector<StatLine> lines;
};

struct ProcFlowlane {
	std::vector<KernelFlowtable> flowtables;
	// Lines that belong to no flowtable (a format this reader does not know yet).
	std::vector<std::string> other;
};

// Tokenise one line of `[word] key value [key value ...] [; ...]` text.
StatLine parse_stat_line(const std::string &line);
// A file of such lines (the debugfs files).
std::vector<StatLine> parse_stat_text(const std::string &text);
// /proc/net/flowlane of one namespace.
ProcFlowlane parse_proc_flowlane(const std::string &text);

} // namespace flsim

#endif // FLOWLANE_SIM_CLI_KERNEL_STATS_H
