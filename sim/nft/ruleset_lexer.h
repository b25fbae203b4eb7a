// SPDX-License-Identifier: GPL-2.0
//
// Tokens of nft's ruleset language (the subset flowlane reads).
#ifndef FLOWLANE_SIM_RULESET_LEXER_H
#define FLOWLANE_SIM_RULESET_LEXER_H

#include <string>
#include <vector>

#include "sim/nft/ruleset.h"

namespace flsim {

struct Token {
	enum Kind { Word, String, Punct, Newline, End } kind;
	std::string text;
	Loc loc;
	bool is(const char *w) const { return (kind == Word || kind == Punct) && text == w; }
};

// Split @text into tokens. Words are runs of letters, digits and . : / - _ $ [ ]
// (so addresses, prefixes, ranges and addr:port come whole); punctuation is one
// of { } ; , @ = ! < > * and the operators == != <= >=. Comments (#) and
// backslash-newline continuations vanish; `\;` (shell-escaped) reads as `;`.
Parsed<std::vector<Token>> tokenize(const std::string &text, const std::string &file);

} // namespace flsim

#endif // FLOWLANE_SIM_RULESET_LEXER_H
