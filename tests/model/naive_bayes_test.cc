#include "model/naive_bayes.h"

#include <cmath>
#include <vector>

#include "gmock/gmock.h"
#include "groupguard/trainer.h"
#include "gtest/gtest.h"
#include "test_corpus.h"

namespace groupguard::internal {
namespace {

TEST(NaiveBayesTest, TfidfWeightsAreIdfTimesTransformedLogLikelihoodRatios) {
  // spam {1, 2, 1}, ham {2, 3}, ham {3}: bucket 1 counts once towards its document
  // frequency although it occurs twice.
  const std::vector<uint32_t> a = {1, 2, 1}, b = {2, 3}, c = {3};
  const std::vector<CountedPost> posts = {{&a, true}, {&b, false}, {&c, false}};
  double bias = 0;
  const auto weights = TfidfNaiveBayesWeights(posts, /*alpha=*/1.0, &bias);
  const double idf1 = std::log(4.0 / 2) + 1;  // 3 posts; 1 of them has bucket 1
  const double idf2 = std::log(4.0 / 3) + 1;
  const double idf3 = idf2;
  const double sa = 1 / std::sqrt(3.0), sb = 1 / std::sqrt(2.0), sc = 1.0;
  const double spam1 = 2 * sa * idf1, spam2 = sa * idf2;
  const double ham2 = sb * idf2, ham3 = sb * idf3 + sc * idf3;
  const double spam_total = spam1 + spam2 + 3, ham_total = ham2 + ham3 + 3;
  ASSERT_EQ(weights.size(), 3u);
  EXPECT_EQ(weights[0].first, 1u);
  EXPECT_EQ(weights[1].first, 2u);
  EXPECT_EQ(weights[2].first, 3u);
  EXPECT_FLOAT_EQ(weights[0].second,
                  static_cast<float>(idf1 * (std::log((spam1 + 1) / spam_total) -
                                             std::log(1 / ham_total))));
  EXPECT_FLOAT_EQ(weights[1].second,
                  static_cast<float>(idf2 * (std::log((spam2 + 1) / spam_total) -
                                             std::log((ham2 + 1) / ham_total))));
  EXPECT_FLOAT_EQ(weights[2].second,
                  static_cast<float>(idf3 * (std::log(1 / spam_total) -
                                             std::log((ham3 + 1) / ham_total))));
  EXPECT_DOUBLE_EQ(bias, std::log(2.0 / 3));
}

TEST(NaiveBayesTest, WeightsAreSmoothedLogLikelihoodRatios) {
  NaiveBayesCounts counts;
  counts.Learn({1, 1, 2}, /*is_spam=*/true);  // spam: bucket 1 twice, 2 once
  counts.Learn({2, 3}, /*is_spam=*/false);    // ham: 2 and 3
  double bias = 0;
  const auto weights = counts.Weights(/*alpha=*/1.0, &bias);
  // Vocabulary 3; spam total 3 + 3, ham total 2 + 3.
  ASSERT_EQ(weights.size(), 3u);
  EXPECT_EQ(weights[0].first, 1u);
  EXPECT_EQ(weights[1].first, 2u);
  EXPECT_EQ(weights[2].first, 3u);
  EXPECT_FLOAT_EQ(weights[0].second,
                  static_cast<float>(std::log(3.0 / 6) - std::log(1.0 / 5)));
  EXPECT_FLOAT_EQ(weights[1].second,
                  static_cast<float>(std::log(2.0 / 6) - std::log(2.0 / 5)));
  EXPECT_FLOAT_EQ(weights[2].second,
                  static_cast<float>(std::log(1.0 / 6) - std::log(2.0 / 5)));
  EXPECT_DOUBLE_EQ(bias, std::log(2.0 / 2.0));
}

TEST(NaiveBayesTest, UnlearnUndoesLearn) {
  NaiveBayesCounts before;
  before.Learn({5, 6, 7}, true);
  before.Learn({7, 8}, false);
  NaiveBayesCounts after = before;
  after.Learn({6, 9, 9}, true);
  EXPECT_FALSE(after == before);
  ASSERT_TRUE(after.Unlearn({6, 9, 9}, true).ok());
  EXPECT_TRUE(after == before);
  EXPECT_EQ(after.distinct_buckets(), 4);
}

TEST(NaiveBayesTest, UnlearnOfUnknownPostChangesNothing) {
  NaiveBayesCounts counts;
  counts.Learn({1, 2}, true);
  const NaiveBayesCounts copy = counts;
  EXPECT_EQ(counts.Unlearn({1, 3}, true).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(counts.Unlearn({1, 1, 2}, true).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(counts.Unlearn({1, 2}, false).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(counts == copy);
}

TEST(NaiveBayesTest, TrainerRemoveRestoresTheModelExactly) {
  TrainerOptions options;
  options.model_type = ModelType::kNaiveBayes;
  const auto corpus = groupguard::testing::SyntheticCorpus(200);
  auto with = Trainer::Create(options);
  auto without = Trainer::Create(options);
  ASSERT_TRUE(with.ok() && without.ok());
  for (size_t i = 0; i < corpus.size(); ++i) {
    (*with)->Add(corpus[i].text, corpus[i].is_spam);
    if (i % 7 != 3) (*without)->Add(corpus[i].text, corpus[i].is_spam);
  }
  for (size_t i = 0; i < corpus.size(); ++i) {
    if (i % 7 == 3) {
      ASSERT_TRUE((*with)->Remove(corpus[i].text, corpus[i].is_spam).ok()) << i;
    }
  }
  EXPECT_EQ((*with)->size(), (*without)->size());
  auto a = (*with)->Train();
  auto b = (*without)->Train();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->bytes, b->bytes);
  // Removing again what is gone fails.
  EXPECT_EQ((*with)->Remove(corpus[3].text, corpus[3].is_spam).code(),
            absl::StatusCode::kNotFound);
  // ... and so does removing with the wrong label.
  EXPECT_EQ((*with)->Remove(corpus[1].text, !corpus[1].is_spam).code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace groupguard::internal
