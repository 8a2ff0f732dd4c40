// Hostile posts: tokenizing must stay linear in the post's size, whatever the
// post repeats. Each case tokenizes a post of kBytes made of one short pattern and
// compares the time with that of plain words of the same size, measured in the same
// run (so the bound follows the machine, its load and the sanitizers): a linear
// tokenizer takes a few times as long on these patterns as on plain words, and the
// quadratic one, which rescanned the rest of a hyphenated run as a URL host label at
// every word ("a-a-a-..."), took over a thousand times as long (8 s against 5 ms in
// Release at kBytes; 1.2 s at 100 KB, 5 s at 200 KB, 21 s at 400 KB).
#include <chrono>
#include <string>

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "groupguard/tokenizer.h"
#include "gtest/gtest.h"
#include "token_test_util.h"

namespace groupguard {
namespace {

using ::groupguard::testing_util::MakeTokenizer;
using ::groupguard::testing_util::Tok;
using ::testing::ElementsAre;

constexpr size_t kBytes = size_t{256} << 10;

double SecondsToTokenize(const std::string& post) {
  TokenizerOptions options;
  options.max_input_bytes = post.size();
  const Tokenizer tokenizer = MakeTokenizer(options);
  Tokenization t;
  const auto start = std::chrono::steady_clock::now();
  tokenizer.Tokenize(post, &t);
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_GT(t.tokens().size(), 0u);
  return elapsed.count();
}

std::string Repeat(const std::string& unit, size_t bytes) {
  std::string s;
  while (s.size() + unit.size() <= bytes) s += unit;
  return s;
}

// The most time a linear tokenizer may take on kBytes of a hostile pattern: 100
// times what plain words of that size take (the slowest linear pattern found, "a.",
// takes about 8 times as long), plus 0.2 s for a descheduled moment.
double Budget() {
  const double plain = SecondsToTokenize(Repeat("spam and eggs ", kBytes));
  return 100 * plain + 0.2;
}

TEST(TokenizerWorstCaseTest, HyphenatedRunsAreLinear) {
  const double budget = Budget();
  // Each word is followed by '-', so it may start a URL whose first host label
  // runs on through the hyphens.
  for (const char* unit : {"a-", "1-", "ab-", "-a", "a--", "a\xD0\xB0-"}) {
    const std::string post = Repeat(unit, kBytes);
    EXPECT_LT(SecondsToTokenize(post), budget) << absl::CHexEscape(unit);
  }
  // The same run after a scheme, an e-mail address's '@' and inside an unclosed tag.
  for (const char* prefix : {"http://", "x@", "<a "}) {
    const std::string post = prefix + Repeat("a-", kBytes);
    EXPECT_LT(SecondsToTokenize(post), budget) << prefix;
  }
}

TEST(TokenizerWorstCaseTest, HostLabelsUpTo63BytesMakeUrls) {
  const std::string label63(63, 'x'), label64(64, 'x');
  EXPECT_THAT(Tok(label63 + ".com"), ElementsAre("url:url", "host:" + label63 + ".com",
                                                 "domain:" + label63 + ".com"));
  EXPECT_THAT(Tok("www." + label63 + ".com"),
              ElementsAre("url:url", "host:www." + label63 + ".com",
                          "domain:" + label63 + ".com"));
  // A longer label is no host name: the words stay words.
  const std::string word = "word:" + label64.substr(0, 3);  // a run of one letter is cut
  EXPECT_THAT(Tok(label64 + ".com"), ElementsAre(word, "word:com"));
  EXPECT_THAT(Tok("www." + label64 + ".com"), ElementsAre("word:www", word, "word:com"));
  const std::string hyphenated = Repeat("ab-", 99);  // 96 bytes without the last '-'
  EXPECT_EQ(Tok("x." + hyphenated.substr(0, hyphenated.size() - 1) + ".com").front(),
            "word:x");
}

}  // namespace
}  // namespace groupguard
