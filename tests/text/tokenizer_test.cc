// The tokenizer's contract: options, spans, robustness on arbitrary bytes.
#include "groupguard/tokenizer.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "token_test_util.h"

namespace groupguard {
namespace {

using ::groupguard::testing_util::CheckInvariants;
using ::groupguard::testing_util::MakeTokenizer;
using ::groupguard::testing_util::Tok;
using ::groupguard::testing_util::TokWithSpans;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(TokenizerTest, SplitsWordsAndNumbers) {
  EXPECT_THAT(Tok("Hello, World! Call 2024 now"),
              ElementsAre("word:hello", "word:world", "word:call", "number:9999",
                          "word:now"));
}

TEST(TokenizerTest, EmptyInputHasNoTokens) {
  EXPECT_THAT(Tok(""), IsEmpty());
  EXPECT_THAT(Tok(" \t\n.,;"), IsEmpty());
}

TEST(TokenizerTest, SpansPointIntoOriginalInput) {
  EXPECT_THAT(TokWithSpans("  Hello   WORLD "),
              ElementsAre("word:hello=Hello", "word:world=WORLD"));
}

TEST(TokenizerTest, CaseFoldsNonAscii) {
  EXPECT_THAT(TokWithSpans("ÉCOLE Straße Привет"),
              ElementsAre("word:école=ÉCOLE", "word:strasse=Straße", "word:привет=Привет"));
}

TEST(TokenizerTest, ComposesDecomposedAccents) {
  // "e" + COMBINING ACUTE ACCENT folds to the precomposed "é", spanning both.
  EXPECT_THAT(TokWithSpans("cafe\xCC\x81 ok"),
              ElementsAre("word:caf\xC3\xA9=cafe\xCC\x81", "word:ok=ok"));
}

TEST(TokenizerTest, FoldedTextIsExposed) {
  const Tokenizer tokenizer = MakeTokenizer();
  Tokenization t;
  tokenizer.Tokenize("Ｈｉ THERE", &t);
  EXPECT_EQ(t.folded(), "hi there");
}

TEST(TokenizerTest, RejectsOutOfRangeOptions) {
  TokenizerOptions options;
  options.max_char_run = 1;
  EXPECT_EQ(Tokenizer::Create(options).status().code(), absl::StatusCode::kInvalidArgument);
  options.max_char_run = 17;
  EXPECT_EQ(Tokenizer::Create(options).status().code(), absl::StatusCode::kInvalidArgument);
  options.max_char_run = 3;
  options.max_input_bytes = 1000;
  EXPECT_EQ(Tokenizer::Create(options).status().code(), absl::StatusCode::kInvalidArgument);
  options.max_input_bytes = (size_t{64} << 20) + 1;
  EXPECT_EQ(Tokenizer::Create(options).status().code(), absl::StatusCode::kInvalidArgument);
  options.max_input_bytes = 1024;
  EXPECT_TRUE(Tokenizer::Create(options).ok());
}

TEST(TokenizerTest, ReusedTokenizationHoldsOnlyTheLastResult) {
  const Tokenizer tokenizer = MakeTokenizer();
  Tokenization t;
  tokenizer.Tokenize("first post with ＦＵＬＬ width", &t);
  tokenizer.Tokenize("second", &t);
  ASSERT_EQ(t.tokens().size(), 1u);
  EXPECT_EQ(t.text(t.tokens()[0]), "second");
  EXPECT_EQ(t.folded(), "second");
  t.Clear();
  EXPECT_TRUE(t.tokens().empty());
  EXPECT_TRUE(t.folded().empty());
}

// Tokens are written into a buffer kept at its high-water size: growing it in
// the middle of a post keeps the tokens before, and a shorter post after a
// longer one sees only its own.
TEST(TokenizerTest, TokenBufferGrowsAndShrinksWithThePosts) {
  const Tokenizer tokenizer = MakeTokenizer();
  Tokenization t;
  tokenizer.Tokenize("a b", &t);
  std::string many;
  for (int i = 0; i < 1000; ++i) absl::StrAppend(&many, "w", i % 7 == 0 ? "x" : "", " ");
  tokenizer.Tokenize(many, &t);
  ASSERT_EQ(t.tokens().size(), 1000u);
  for (size_t i = 0; i < 1000; ++i) {
    EXPECT_EQ(t.text(t.tokens()[i]), i % 7 == 0 ? "wx" : "w") << i;
    EXPECT_EQ(t.tokens()[i].begin, i == 0 ? 0u : t.tokens()[i - 1].end + 1) << i;
  }
  tokenizer.Tokenize("c d e", &t);
  ASSERT_EQ(t.tokens().size(), 3u);
  EXPECT_EQ(t.text(t.tokens()[2]), "e");
  EXPECT_EQ(t.tokens()[2].begin, 4u);
  EXPECT_EQ(t.tokens()[2].end, 5u);
}

TEST(TokenizerTest, TokenKindNamesAreStable) {
  EXPECT_EQ(TokenKindName(TokenKind::kWord), "word");
  EXPECT_EQ(TokenKindName(TokenKind::kNumber), "number");
  EXPECT_EQ(TokenKindName(TokenKind::kUrl), "url");
  EXPECT_EQ(TokenKindName(TokenKind::kHost), "host");
  EXPECT_EQ(TokenKindName(TokenKind::kDomain), "domain");
  EXPECT_EQ(TokenKindName(TokenKind::kEmail), "email");
  EXPECT_EQ(TokenKindName(TokenKind::kPhone), "phone");
  EXPECT_EQ(TokenKindName(TokenKind::kEmoji), "emoji");
  EXPECT_EQ(TokenKindName(TokenKind::kSignal), "signal");
}

TEST(TokenizerTest, InvalidUtf8BecomesReplacementCharacter) {
  // A lone 0xFF splits the word; the replacement character is not a word char.
  EXPECT_THAT(TokWithSpans("pay\xFFpal"), ElementsAre("word:pay=pay", "word:pal=pal"));
  const Tokenizer tokenizer = MakeTokenizer();
  Tokenization t;
  tokenizer.Tokenize("a\xFF" "b", &t);
  EXPECT_EQ(t.folded(), "a\xEF\xBF\xBD" "b");
}

TEST(TokenizerTest, InvalidSequencesOfEveryKind) {
  const Tokenizer tokenizer = MakeTokenizer();
  Tokenization t;
  struct Case {
    std::string input;
    std::string folded;
  };
  const std::string kFffd = "\xEF\xBF\xBD";
  const std::vector<Case> cases = {
      {"x\xC3", "x" + kFffd},                        // truncated 2-byte sequence
      {"x\xE2\x82", "x" + kFffd},                    // truncated 3-byte sequence
      {"x\xF0\x9F\x98", "x" + kFffd},                // truncated 4-byte sequence
      {"\xC0\xAF", kFffd + kFffd},                   // overlong '/'
      {"\xE0\x80\xAF", kFffd + kFffd + kFffd},       // overlong, 3 bytes
      {"\xED\xA0\x80", kFffd + kFffd + kFffd},       // UTF-16 surrogate
      {"\xF4\x90\x80\x80", kFffd + kFffd + kFffd + kFffd},  // past U+10FFFF
      {"\x80\xBF", kFffd + kFffd},                   // stray continuation bytes
      {"\xFE\xFF", kFffd + kFffd},
      {"\xE2\x82" "a", kFffd + "a"},                 // truncated, then ASCII
  };
  for (const Case& c : cases) {
    tokenizer.Tokenize(c.input, &t);
    EXPECT_EQ(t.folded(), c.folded) << testing::PrintToString(c.input);
    EXPECT_EQ(CheckInvariants(c.input, t, size_t{4} << 20), "");
  }
}

TEST(TokenizerTest, NulBytesSeparateWords) {
  const std::string input("spam\0mail\0", 10);
  EXPECT_THAT(TokWithSpans(input), ElementsAre("word:spam=spam", "word:mail=mail"));
}

TEST(TokenizerTest, InputPastTheBudgetIsIgnored) {
  TokenizerOptions options;
  options.max_input_bytes = 1024;
  std::string input(1020, ' ');
  input += "abcdef ghi";
  EXPECT_THAT(Tok(input, options), ElementsAre("word:abcd"));
  // A cut inside a character backs up to the character's start.
  std::string cyrillic(1023, ' ');
  cyrillic += "я";  // 2 bytes, the second past the budget
  EXPECT_THAT(Tok(cyrillic, options), IsEmpty());
}

TEST(TokenizerTest, TenMegabyteInputIsCutAndStaysInBounds) {
  std::string input;
  input.reserve(10 << 20);
  while (input.size() < (size_t{10} << 20)) {
    input += "Buy cheap v1agra at hxxp://spam . com — Привет ✨ \xFF ";
  }
  const Tokenizer tokenizer = MakeTokenizer();
  Tokenization t;
  tokenizer.Tokenize(input, &t);
  EXPECT_EQ(CheckInvariants(input, t, tokenizer.options().max_input_bytes), "");
  ASSERT_FALSE(t.tokens().empty());
  EXPECT_LE(t.tokens().back().end, tokenizer.options().max_input_bytes);
  EXPECT_GT(t.tokens().size(), 500000u);
}

TEST(TokenizerTest, ExpandingCharactersAreBounded) {
  // U+FDFA folds to 18 code points; the output budget bounds the folded text.
  std::string input;
  for (int i = 0; i < 5000; ++i) input += "\xEF\xB7\xBA";
  const Tokenizer tokenizer = MakeTokenizer();
  Tokenization t;
  tokenizer.Tokenize(input, &t);
  // The budget is 2 bytes per input byte, overshot by at most one character's
  // folding (under 1 KiB).
  EXPECT_LE(t.folded().size(), 2 * input.size() + 64 + 1024);
  EXPECT_GT(t.folded().size(), 2 * input.size());
  EXPECT_EQ(CheckInvariants(input, t, tokenizer.options().max_input_bytes), "");
}

}  // namespace
}  // namespace groupguard
