// SPDX-License-Identifier: GPL-2.0
//
// Reading flowlane.ko's statistics text (see kernel_stats.h). The rule for a
// group of tokens: an odd count means the first one is the word leading the
// pairs (`gc runs 3 expired 0`), an even count means pairs only (`flows 2
// hits 9`).
#include "sim/cli/kernel_stats.h"

#include <cctype>
#include <sstream>

namespace flsim {

namespace {

std::vector<std::string> split_words(const std::string &s)
{
	std::vector<std::string> words;
	std::istringstream in(s);
	for (std::string w; in >> w;)
		words.push_back(w);
	return words;
}

StatGroup group_of(const std::vector<std::string> &words)
{
	StatGroup g;
	size_t i = 0;
	if (words.size() % 2) {
		g.section = words[0];
		i = 1;
	}
	for (; i < words.size(); i += 2)
		g.pairs.push_back({words[i], words[i + 1]});
	return g;
}

bool indented(const std::string &line) { return !line.empty() && (line[0] == ' ' || line[0] == '\t'); }

bool blank(const std::string &line)
{
	for (unsigned char c : line)
		if (!std::isspace(c))
			return false;
	return true;
}

// "flowtable FAMILY TABLE NAME: pairs": table names may hold spaces in nft
// (quoted), so the name is the last word before the colon, the table the rest.
std::optional<KernelFlowtable> parse_header(const std::string &line)
{
	if (line.rfind("flowtable ", 0) != 0)
		return std::nullopt;
	size_t colon = line.find(": ");
	if (colon == std::string::npos && !line.empty() && line.back() == ':')
		colon = line.size() - 1;
	if (colon == std::string::npos)
		return std::nullopt;
	std::vector<std::string> id = split_words(line.substr(0, colon));
	if (id.size() < 3)
		return std::nullopt;
	KernelFlowtable ft;
	ft.family = id[1];
	ft.name = id.back();
	for (size_t i = 2; i + 1 < id.size(); i++)
		ft.table += (ft.table.empty() ? "" : " ") + id[i];
	ft.lines.push_back(parse_stat_line(line.substr(colon + 1)));
	return ft;
}

} // namespace

StatLine parse_stat_line(const std::string &line)
{
	StatLine out;
	size_t start = 0;
	while (start <= line.size()) {
		size_t end = line.find(';', start);
		if (end == std::string::npos)
			end = line.size();
		std::vector<std::string> words = split_words(line.substr(start, end - start));
		if (!words.empty())
			out.groups.push_back(group_of(words));
		start = end + 1;
	}
	return out;
}

std::vector<StatLine> parse_stat_text(const std::string &text)
{
	std::vector<StatLine> lines;
	std::istringstream in(text);
	for (std::string l; std::getline(in, l);)
		if (!blank(l))
			lines.push_back(parse_stat_line(l));
	return lines;
}

ProcFlowlane parse_proc_flowlane(const std::string &text)
{
	ProcFlowlane out;
	std::istringstream in(text);
	for (std::string l; std::getline(in, l);) {
		if (blank(l))
			continue;
		if (indented(l) && !out.flowtables.empty()) {
			out.flowtables.back().lines.push_back(parse_stat_line(l));
			continue;
		}
		if (auto ft = parse_header(l)) {
			out.flowtables.push_back(std::move(*ft));
			continue;
		}
		out.other.push_back(l);
	}
	return out;
}

std::vector<StatPair> section_pairs(const std::vector<StatLine> &lines, const std::string &section)
{
	std::vector<StatPair> out;
	for (const StatLine &l : lines)
		for (const StatGroup &g : l.groups)
			if (g.section == section)
				out.insert(out.end(), g.pairs.begin(), g.pairs.end());
	return out;
}

std::optional<std::string> stat_value(const std::vector<StatLine> &lines, const std::string &section,
				      const std::string &key)
{
	for (const StatPair &p : section_pairs(lines, section))
		if (p.key == key)
			return p.value;
	return std::nullopt;
}

std::optional<uint64_t> stat_counter(const std::string &value)
{
	if (value.empty() || value.size() > 20)
		return std::nullopt;
	uint64_t n = 0;
	for (char c : value) {
		if (c < '0' || c > '9')
			return std::nullopt;
		uint64_t d = static_cast<uint64_t>(c - '0');
		if (n > (UINT64_MAX - d) / 10)
			return std::nullopt;
		n = n * 10 + d;
	}
	return n;
}

} // namespace flsim
