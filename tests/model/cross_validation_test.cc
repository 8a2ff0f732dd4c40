// CrossValidate(): figures, determinism across threads, folds that keep copies of a
// post together, and its errors.
#include <cctype>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "groupguard/trainer.h"
#include "gtest/gtest.h"
#include "test_corpus.h"

namespace groupguard {
namespace {

using ::testing::HasSubstr;

std::vector<LabeledPost> Synthetic(int n) {
  std::vector<LabeledPost> posts;
  for (const auto& p : testing::SyntheticCorpus(n)) posts.push_back({p.text, p.is_spam});
  return posts;
}

TrainerOptions Ensemble() {
  TrainerOptions options;
  options.model_type = ModelType::kEnsemble;
  return options;
}

TEST(CrossValidationTest, RanksASeparableCorpusWell) {
  CrossValidationOptions cv;
  cv.folds = 4;
  cv.repeats = 1;
  auto r = CrossValidate(Synthetic(400), Ensemble(), cv);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->fold_roc_auc.size(), 4u);
  EXPECT_GT(r->roc_auc, 0.95);
  EXPECT_GT(r->spam_caught_at_1pct_ham_blocked, 0.5);
  double sum = 0;
  for (double auc : r->fold_roc_auc) sum += auc;
  EXPECT_DOUBLE_EQ(r->roc_auc, sum / 4);
}

TEST(CrossValidationTest, SameFiguresOnAnyNumberOfThreads) {
  const std::vector<LabeledPost> posts = Synthetic(300);
  CrossValidationOptions cv;
  cv.folds = 3;
  cv.repeats = 2;
  auto one = CrossValidate(posts, Ensemble(), cv);
  cv.threads = 4;
  auto four = CrossValidate(posts, Ensemble(), cv);
  ASSERT_TRUE(one.ok()) << one.status();
  ASSERT_TRUE(four.ok()) << four.status();
  EXPECT_EQ(one->fold_roc_auc, four->fold_roc_auc);
  EXPECT_EQ(one->spam_caught_at_1pct_ham_blocked, four->spam_caught_at_1pct_ham_blocked);
  // Another seed deals other folds.
  cv.seed = 2;
  auto other = CrossValidate(posts, Ensemble(), cv);
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_NE(other->fold_roc_auc, one->fold_roc_auc);
}

// Labels that have nothing to do with the words: a model can only rank held-out
// posts by remembering copies of them. Each text comes three times (case and spacing
// changed); if copies were split across folds, the held-out copies would be ranked
// almost perfectly.
TEST(CrossValidationTest, CopiesOfAPostStayInOneFold) {
  std::vector<LabeledPost> posts;
  uint64_t state = 7;
  auto next = [&state](int mod) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<int>((state >> 33) % static_cast<uint64_t>(mod));
  };
  for (int i = 0; i < 120; ++i) {
    std::string text;
    for (int w = 0; w < 6; ++w) {
      if (w > 0) text += ' ';
      for (int c = 0; c < 6; ++c) text += static_cast<char>('a' + next(26));
    }
    const bool spam = next(2) == 1;
    std::string upper = text;
    for (char& c : upper)
      c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    posts.push_back({text, spam});
    posts.push_back({upper, spam});
    posts.push_back({absl::StrCat("  ", text, " !"), spam});
  }
  CrossValidationOptions cv;
  cv.folds = 4;
  cv.repeats = 1;
  auto r = CrossValidate(posts, Ensemble(), cv);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_LT(r->roc_auc, 0.7) << "copies of a post were split across folds";
}

TEST(CrossValidationTest, Errors) {
  const std::vector<LabeledPost> posts = Synthetic(60);
  CrossValidationOptions cv;
  cv.folds = 1;
  EXPECT_EQ(CrossValidate(posts, Ensemble(), cv).status().code(),
            absl::StatusCode::kInvalidArgument);
  cv = CrossValidationOptions();
  cv.repeats = 0;
  EXPECT_EQ(CrossValidate(posts, Ensemble(), cv).status().code(),
            absl::StatusCode::kInvalidArgument);
  cv = CrossValidationOptions();
  cv.threads = 0;
  EXPECT_EQ(CrossValidate(posts, Ensemble(), cv).status().code(),
            absl::StatusCode::kInvalidArgument);
  TrainerOptions bad = Ensemble();
  bad.features.hash_bits = 40;
  EXPECT_EQ(CrossValidate(posts, bad, CrossValidationOptions()).status().code(),
            absl::StatusCode::kInvalidArgument);
  // Four distinct spam texts (each twice) cannot fill five folds.
  std::vector<LabeledPost> few = posts;
  for (LabeledPost& p : few) p.is_spam = false;
  const char* const kWords[] = {"alpha", "beta", "gamma", "delta"};
  for (int i = 0; i < 8; ++i)
    few.push_back({absl::StrCat("win cash ", kWords[i % 4]), true});
  auto r = CrossValidate(few, Ensemble(), CrossValidationOptions());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(r.status().message(),
              HasSubstr("at least 5 distinct spam texts; there are 4"));
}

}  // namespace
}  // namespace groupguard
