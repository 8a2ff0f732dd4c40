// Scoring one Classifier from several threads at once gives exactly the results of
// scoring alone. Labeled "concurrency": CI also runs it under ThreadSanitizer.
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "groupguard/classifier.h"
#include "gtest/gtest.h"
#include "test_corpus.h"

namespace groupguard {
namespace {

using ::groupguard::testing::SyntheticCorpus;
using ::groupguard::testing::TrainSynthetic;

TEST(ClassifierConcurrencyTest, ThreadsGetIdenticalVerdicts) {
  for (ModelType type :
       {ModelType::kNaiveBayes, ModelType::kLogistic, ModelType::kEnsemble}) {
    auto c = Classifier::FromBytes(TrainSynthetic(type).bytes);
    ASSERT_TRUE(c.ok()) << c.status();
    const Classifier& classifier = **c;
    const auto corpus = SyntheticCorpus(200);
    std::vector<double> expected;
    std::vector<size_t> expected_clues;
    for (const auto& post : corpus) {
      expected.push_back(classifier.SpamProbability(post.text));
      expected_clues.push_back(classifier.Score(post.text, ScoreOptions{3}).clues.size());
    }
    constexpr int kThreads = 4;
    std::vector<int> mismatches(kThreads, 0);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int round = 0; round < 3; ++round) {
          for (size_t i = 0; i < corpus.size(); ++i) {
            const size_t k = (i * (t + 1)) % corpus.size();  // different orders
            const bool explain = (k + t) % 2 == 0;
            const Verdict v =
                classifier.Score(corpus[k].text, ScoreOptions{explain ? 3 : 0});
            if (v.spam_probability != expected[k] ||
                (explain && v.clues.size() != expected_clues[k]) ||
                classifier.SpamProbability(corpus[k].text) != expected[k]) {
              ++mismatches[t];
            }
          }
        }
      });
    }
    for (std::thread& thread : threads) thread.join();
    EXPECT_THAT(mismatches, ::testing::Each(0));
  }
}

}  // namespace
}  // namespace groupguard
