// SPDX-License-Identifier: GPL-2.0
#include "sim/nft/ruleset_lexer.h"

#include <cctype>

namespace flsim {

namespace {

bool word_char(char c)
{
	return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == ':' || c == '/' ||
	       c == '-' || c == '_' || c == '$' || c == '[' || c == ']';
}

class Lexer {
public:
	Lexer(const std::string &text, const std::string &file) : s_(text), file_(file) {}

	Parsed<std::vector<Token>> run()
	{
		while (i_ < s_.size()) {
			char c = s_[i_];
			if (c == '\\' && i_ + 1 < s_.size() && (s_[i_ + 1] == '\n' || s_[i_ + 1] == '\r')) {
				skip_continuation();
			} else if (c == '\\' && i_ + 1 < s_.size() && s_[i_ + 1] == ';') {
				emit(Token::Punct, ";", 2);
			} else if (c == '#') {
				while (i_ < s_.size() && s_[i_] != '\n')
					advance();
			} else if (c == '\n') {
				emit(Token::Newline, "\n", 1);
				line_++;
				col_ = 1;
			} else if (std::isspace(static_cast<unsigned char>(c))) {
				advance();
			} else if (c == '"') {
				if (!string())
					return Diag{here(), "unterminated string"};
			} else if (two("==") || two("!=") || two("<=") || two(">=")) {
				emit(Token::Punct, s_.substr(i_, 2), 2);
			} else if (std::string("{};,@=!<>*+").find(c) != std::string::npos) {
				emit(Token::Punct, std::string(1, c), 1);
			} else if (word_char(c)) {
				size_t j = i_;
				while (j < s_.size() && word_char(s_[j]))
					j++;
				emit(Token::Word, s_.substr(i_, j - i_), j - i_);
			} else {
				return Diag{here(), std::string("unexpected character '") + c + "'"};
			}
		}
		toks_.push_back({Token::End, "end of input", here()});
		return toks_;
	}

private:
	Loc here() const { return Loc{file_, line_, col_}; }
	void advance()
	{
		i_++;
		col_++;
	}
	bool two(const char *op) const { return s_.compare(i_, 2, op) == 0; }
	void emit(Token::Kind k, std::string text, size_t len)
	{
		toks_.push_back({k, std::move(text), here()});
		i_ += len;
		col_ += static_cast<int>(len);
	}
	void skip_continuation()
	{
		advance();
		if (s_[i_] == '\r')
			advance();
		if (i_ < s_.size() && s_[i_] == '\n')
			i_++;
		line_++;
		col_ = 1;
	}
	bool string()
	{
		Loc at = here();
		size_t j = i_ + 1;
		while (j < s_.size() && s_[j] != '"' && s_[j] != '\n')
			j++;
		if (j >= s_.size() || s_[j] != '"')
			return false;
		toks_.push_back({Token::String, s_.substr(i_ + 1, j - i_ - 1), at});
		col_ += static_cast<int>(j + 1 - i_);
		i_ = j + 1;
		return true;
	}

	const std::string &s_;
	const std::string &file_;
	size_t i_ = 0;
	int line_ = 1, col_ = 1;
	std::vector<Token> toks_;
};

} // namespace

Parsed<std::vector<Token>> tokenize(const std::string &text, const std::string &file)
{
	return Lexer(text, file).run();
}

} // namespace flsim
