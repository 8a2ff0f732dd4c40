#include "groupguard/tokenizer.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace groupguard {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// "kind:text" of every token.
std::vector<std::string> Tok(absl::string_view input,
                             const TokenizerOptions& options = TokenizerOptions()) {
  auto tokenizer = Tokenizer::Create(options);
  EXPECT_TRUE(tokenizer.ok());
  Tokenization t;
  tokenizer->Tokenize(input, &t);
  std::vector<std::string> out;
  for (const Token& token : t.tokens()) {
    out.push_back(absl::StrCat(TokenKindName(token.kind), ":", t.text(token)));
  }
  return out;
}

// The input bytes each token spans.
std::vector<std::string> Spans(absl::string_view input) {
  auto tokenizer = Tokenizer::Create(TokenizerOptions());
  Tokenization t;
  tokenizer->Tokenize(input, &t);
  std::vector<std::string> out;
  for (const Token& token : t.tokens()) {
    out.emplace_back(input.substr(token.begin, token.end - token.begin));
  }
  return out;
}

TEST(TokenizerTest, SplitsWordsAndNumbers) {
  EXPECT_THAT(Tok("Hello, World! Call 2024 now"),
              ElementsAre("word:hello", "word:world", "word:call", "number:9999",
                          "word:now"));
}

TEST(TokenizerTest, EmptyInputHasNoTokens) { EXPECT_THAT(Tok(""), IsEmpty()); }

TEST(TokenizerTest, SpansPointIntoOriginalInput) {
  EXPECT_THAT(Spans("  Hello   WORLD "), ElementsAre("Hello", "WORLD"));
}

TEST(TokenizerTest, CaseFoldsNonAscii) {
  EXPECT_THAT(Tok("ÉCOLE Straße Привет"),
              ElementsAre("word:école", "word:strasse", "word:привет"));
  EXPECT_THAT(Spans("ÉCOLE Straße Привет"), ElementsAre("ÉCOLE", "Straße", "Привет"));
}

TEST(TokenizerTest, ComposesDecomposedAccents) {
  // "e" + COMBINING ACUTE ACCENT folds to the precomposed "é".
  EXPECT_THAT(Tok("cafe\xCC\x81 ok"), ElementsAre("word:caf\xC3\xA9", "word:ok"));
  EXPECT_THAT(Spans("cafe\xCC\x81 ok"), ElementsAre("cafe\xCC\x81", "ok"));
}

TEST(TokenizerTest, RejectsOutOfRangeOptions) {
  TokenizerOptions options;
  options.max_char_run = 1;
  EXPECT_EQ(Tokenizer::Create(options).status().code(), absl::StatusCode::kInvalidArgument);
  options.max_char_run = 3;
  options.max_input_bytes = 10;
  EXPECT_EQ(Tokenizer::Create(options).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace groupguard
