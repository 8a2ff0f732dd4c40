#ifndef GROUPGUARD_TESTS_TEXT_TOKEN_TEST_UTIL_H_
#define GROUPGUARD_TESTS_TEXT_TOKEN_TEST_UTIL_H_

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "groupguard/tokenizer.h"
#include "gtest/gtest.h"
#include "text/utf8.h"

namespace groupguard::testing_util {

inline Tokenizer MakeTokenizer(const TokenizerOptions& options = TokenizerOptions()) {
  auto tokenizer = Tokenizer::Create(options);
  EXPECT_TRUE(tokenizer.ok()) << tokenizer.status();
  return *std::move(tokenizer);
}

// "kind:text" of every token of `input`.
inline std::vector<std::string> Tok(absl::string_view input,
                                    const TokenizerOptions& options = TokenizerOptions()) {
  const Tokenizer tokenizer = MakeTokenizer(options);
  Tokenization t;
  tokenizer.Tokenize(input, &t);
  std::vector<std::string> out;
  for (const Token& token : t.tokens()) {
    out.push_back(absl::StrCat(TokenKindName(token.kind), ":", t.text(token)));
  }
  return out;
}

// "kind:text=quote" of every token, where quote is the input bytes it spans.
inline std::vector<std::string> TokWithSpans(absl::string_view input) {
  const Tokenizer tokenizer = MakeTokenizer();
  Tokenization t;
  tokenizer.Tokenize(input, &t);
  std::vector<std::string> out;
  for (const Token& token : t.tokens()) {
    out.push_back(absl::StrCat(TokenKindName(token.kind), ":", t.text(token), "=",
                               input.substr(token.begin, token.end - token.begin)));
  }
  return out;
}

// Checks what must hold for any input; returns a description of the first
// violation, or "" if none.
inline std::string CheckInvariants(absl::string_view input, const Tokenization& t,
                                   size_t max_input_bytes) {
  const size_t limit = std::min(input.size(), max_input_bytes);
  for (const Token& token : t.tokens()) {
    if (token.begin > token.end) return absl::StrCat("begin ", token.begin, " > end");
    if (token.end > limit) return absl::StrCat("end ", token.end, " past ", limit);
    const absl::string_view text = t.text(token);
    if (text.size() != token.text_size) return "text outside storage";
    if (text.empty()) return "empty token text";
    for (size_t i = 0; i < text.size();) {
      size_t len;
      const auto* p = reinterpret_cast<const unsigned char*>(text.data()) + i;
      const char32_t cp = internal::DecodeUtf8(p, text.size() - i, &len);
      if (cp == internal::kReplacementChar &&
          !(len == 3 && p[0] == 0xEF && p[1] == 0xBF && p[2] == 0xBD)) {
        return absl::StrCat("token text is not UTF-8: ", text);
      }
      i += len;
    }
  }
  return "";
}

}  // namespace groupguard::testing_util

#endif  // GROUPGUARD_TESTS_TEXT_TOKEN_TEST_UTIL_H_
