// Clues without their places (ScoreOptions::clue_spans = false) are found without
// collecting the places: the bytes a call allocates, counted through the global
// operator new of this test binary (alloc_counter.h), are those of the clues'
// names, not of the millions of spans a long hostile post has.
#include <fstream>
#include <iterator>
#include <memory>
#include <string>

#include "../alloc_counter.h"
#include "absl/strings/str_cat.h"
#include "groupguard/classifier.h"
#include "gtest/gtest.h"

namespace groupguard {
namespace {

std::unique_ptr<Classifier> DefaultModel() {
  std::ifstream file(absl::StrCat(GROUPGUARD_SOURCE_DIR, "/models/default.ggm"),
                     std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(file)),
                          std::istreambuf_iterator<char>());
  auto c = Classifier::FromBytes(bytes);
  EXPECT_TRUE(c.ok()) << c.status();
  return c.ok() ? *std::move(c) : nullptr;
}

// The bytes allocated while `c` scores `text` with `options`, into `*verdict`.
size_t AllocatedBytes(const Classifier& c, const std::string& text,
                      const ScoreOptions& options, Verdict* verdict) {
  const testing::AllocationCounter allocations;
  *verdict = c.Score(text, options);
  return allocations.bytes();
}

// 256 KiB of `$`: a token a byte, and two clues ("$", "$ $") of 256 Ki places each,
// 4 MiB of spans between them. (Under the 64 KiB-a-post scratch kept by the thread,
// once warm, the call allocates only what it returns and its small vectors.)
TEST(ExplainAllocTest, CluesWithoutSpansDoNotCollectThem) {
  const std::unique_ptr<Classifier> c = DefaultModel();
  ASSERT_NE(c, nullptr);
  const std::string text(size_t{256} << 10, '$');
  ScoreOptions with_spans;
  with_spans.max_clues = 5;
  ScoreOptions without_spans = with_spans;
  without_spans.clue_spans = false;
  Verdict verdict;
  AllocatedBytes(*c, text, with_spans, &verdict);  // warm up the thread's scratch
  verdict = Verdict();

  const size_t with = AllocatedBytes(*c, text, with_spans, &verdict);
  size_t spans = 0;
  for (const Clue& clue : verdict.clues) spans += clue.spans.size();
  EXPECT_GE(spans, size_t{2} * text.size());
  EXPECT_GE(with, spans * sizeof(verdict.clues[0].spans[0]));
  const Verdict spanned = verdict;
  verdict = Verdict();

  const size_t without = AllocatedBytes(*c, text, without_spans, &verdict);
  EXPECT_LT(without, size_t{64} << 10);
  ASSERT_EQ(verdict.clues.size(), spanned.clues.size());
  for (size_t i = 0; i < verdict.clues.size(); ++i) {
    EXPECT_EQ(verdict.clues[i].feature, spanned.clues[i].feature);
    EXPECT_EQ(verdict.clues[i].weight, spanned.clues[i].weight);
    EXPECT_TRUE(verdict.clues[i].spans.empty()) << verdict.clues[i].feature;
  }
}

}  // namespace
}  // namespace groupguard
