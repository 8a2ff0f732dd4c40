#include "groupguard/classifier.h"

#include <cmath>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "model/classifier_impl.h"
#include "test_corpus.h"
#include "text/tokenization_access.h"

namespace groupguard {
namespace {

using ::groupguard::testing::SyntheticCorpus;
using ::groupguard::testing::TrainSynthetic;

std::unique_ptr<Classifier> Make(ModelType type) {
  auto c = Classifier::FromBytes(TrainSynthetic(type).bytes);
  EXPECT_TRUE(c.ok()) << c.status();
  return c.ok() ? *std::move(c) : nullptr;
}

class ClassifierTest : public ::testing::TestWithParam<ModelType> {};

TEST_P(ClassifierTest, SeparatesTheSyntheticClasses) {
  auto c = Make(GetParam());
  ASSERT_NE(c, nullptr);
  EXPECT_GT(c->SpamProbability("win free cash prize click"), 0.9);
  EXPECT_LT(c->SpamProbability("lunch tomorrow with mom thanks"), 0.1);
  EXPECT_EQ(c->Score("win free cash prize click").label, Label::kSpam);
  EXPECT_EQ(c->Score("lunch tomorrow with mom thanks").label, Label::kHam);
}

TEST_P(ClassifierTest, ScoreAgreesWithSpamProbabilityAndLabelFor) {
  auto c = Make(GetParam());
  ASSERT_NE(c, nullptr);
  ScoreOptions explain;
  explain.max_clues = 5;
  for (const auto& post : SyntheticCorpus(60)) {
    const double p = c->SpamProbability(post.text);
    const Verdict v = c->Score(post.text);
    const Verdict e = c->Score(post.text, explain);
    EXPECT_EQ(v.spam_probability, p);
    EXPECT_EQ(e.spam_probability, p);  // the explaining path sums the same way
    EXPECT_EQ(v.label, c->LabelFor(p));
    EXPECT_TRUE(v.clues.empty());
    EXPECT_LE(e.clues.size(), 5u);
  }
}

TEST_P(ClassifierTest, AnyBytesScore) {
  auto c = Make(GetParam());
  ASSERT_NE(c, nullptr);
  const std::string inputs[] = {"", std::string("\0\0\0", 3), "\xff\xfe\x80 abc \xc3",
                                std::string(100000, 'a'), "\xe2\x80\x8b\xe2\x80\xae"};
  for (const std::string& text : inputs) {
    const Verdict v = c->Score(text, ScoreOptions{10});
    EXPECT_GE(v.spam_probability, 0);
    EXPECT_LE(v.spam_probability, 1);
    EXPECT_FALSE(std::isnan(v.spam_probability));
  }
}

TEST_P(ClassifierTest, LabelForUsesTheThresholds) {
  auto c = Make(GetParam());
  ASSERT_NE(c, nullptr);
  const double unsure = c->unsure_threshold();
  const double spam = c->spam_threshold();
  ASSERT_LE(unsure, spam);
  EXPECT_EQ(c->LabelFor(spam), Label::kSpam);
  EXPECT_EQ(c->LabelFor(1.0), Label::kSpam);
  if (unsure < spam) EXPECT_EQ(c->LabelFor(unsure), Label::kUnsure);
  if (unsure > 0) EXPECT_EQ(c->LabelFor(std::nextafter(unsure, 0.0)), Label::kHam);
  EXPECT_EQ(c->info().unsure_threshold, unsure);
  EXPECT_EQ(c->info().spam_threshold, spam);
}

// Clues sum to the calibrated log-odds, are strongest first, and their spans quote
// the text they name.
TEST_P(ClassifierTest, CluesExplainTheScore) {
  auto c = Make(GetParam());
  ASSERT_NE(c, nullptr);
  const std::string text = "URGENT: claim the CASH prize, see you today";
  const Verdict v = c->Score(text, ScoreOptions{1000});
  ASSERT_FALSE(v.clues.empty());
  const ModelInfo& info = c->info();
  double total = info.calibration_a * info.bias + info.calibration_b;
  for (const Clue& clue : v.clues) total += clue.weight;
  const double logit = std::log(v.spam_probability / (1 - v.spam_probability));
  EXPECT_NEAR(total, logit, 1e-6);
  for (size_t i = 1; i < v.clues.size(); ++i) {
    EXPECT_GE(std::fabs(v.clues[i - 1].weight), std::fabs(v.clues[i].weight));
  }
  bool saw_cash = false;
  for (const Clue& clue : v.clues) {
    if (clue.feature.find(':') != std::string::npos) continue;  // signal, length, ...
    const std::vector<std::string> words = absl::StrSplit(clue.feature, ' ');
    ASSERT_EQ(clue.spans.size(), words.size()) << clue.feature;
    for (size_t k = 0; k < words.size(); ++k) {
      const auto [begin, end] = clue.spans[k];
      ASSERT_LE(end, text.size());
      EXPECT_EQ(absl::AsciiStrToLower(text.substr(begin, end - begin)), words[k])
          << clue.feature;
    }
    if (clue.feature == "cash") {
      saw_cash = true;
      EXPECT_GT(clue.weight, 0);
      EXPECT_EQ(clue.spans[0], std::make_pair(uint32_t{18}, uint32_t{22}));
    }
  }
  EXPECT_TRUE(saw_cash);
  EXPECT_EQ(c->Score(text, ScoreOptions{2}).clues.size(), 2u);
}

TEST_P(ClassifierTest, RepeatedWordsMergeIntoOneClue) {
  auto c = Make(GetParam());
  ASSERT_NE(c, nullptr);
  const Verdict v = c->Score("prize and prize", ScoreOptions{1000});
  int prize_clues = 0;
  for (const Clue& clue : v.clues) {
    if (clue.feature == "prize") {
      ++prize_clues;
      EXPECT_THAT(clue.spans, ::testing::ElementsAre(std::make_pair(0u, 5u),
                                                     std::make_pair(10u, 15u)));
    }
  }
  EXPECT_EQ(prize_clues, 1);
}

TEST_P(ClassifierTest, InfoDescribesTheModel) {
  auto c = Make(GetParam());
  ASSERT_NE(c, nullptr);
  const ModelInfo& info = c->info();
  EXPECT_EQ(info.model_type, ModelTypeName(GetParam()));
  EXPECT_EQ(info.date, "2026-11-25");
  EXPECT_THAT(info.data_sources, ::testing::ElementsAre("synthetic"));
  EXPECT_EQ(info.features.hash_bits, FeatureOptions().hash_bits);
  EXPECT_GT(info.nonzero_weights, 20);
  EXPECT_EQ(info.train_posts, 300);  // refit on all posts after validation
  EXPECT_GT(info.validation_posts, 0);
  EXPECT_GT(info.validation_metrics.roc_auc, 0.9);
  EXPECT_FALSE(info.library_version.empty());
  EXPECT_FALSE(info.hyperparameters.empty());
}

INSTANTIATE_TEST_SUITE_P(AllModels, ClassifierTest,
                         ::testing::Values(ModelType::kNaiveBayes, ModelType::kLogistic,
                                           ModelType::kEnsemble),
                         [](const ::testing::TestParamInfo<ModelType>& info) {
                           return std::string(ModelTypeName(info.param));
                         });

// With binary features (the default) a repeated word counts once; without, it
// counts every time.
TEST(ClassifierBinaryTest, RepeatsCountOnceWithBinaryFeatures) {
  for (bool binary : {true, false}) {
    TrainerOptions options;
    options.model_type = ModelType::kNaiveBayes;
    options.features.binary = binary;
    options.features.bigrams = false;
    options.features.length_feature = false;
    auto c = Classifier::FromBytes(TrainSynthetic(ModelType::kNaiveBayes, 300, options).bytes);
    ASSERT_TRUE(c.ok()) << c.status();
    const double once = (*c)->SpamProbability("cash");
    const double thrice = (*c)->SpamProbability("cash cash cash");
    if (binary) {
      EXPECT_EQ(once, thrice);
    } else {
      EXPECT_GT(thrice, once);
    }
    const Verdict v = (*c)->Score("cash cash cash", ScoreOptions{5});
    ASSERT_EQ(v.clues.size(), 1u);
    EXPECT_EQ(v.clues[0].spans.size(), 3u);  // every occurrence is quoted
  }
}

// SpamProbability takes a scoring loop of its own without char n-grams (the
// two passes of SumWeightsOf); the explaining path goes through ForEach. Both
// must give the same probability, to the bit, under every feature mix.
TEST(ClassifierFeatureMixTest, ScoringLoopsAgreeWithTheExplainingPath) {
  for (int mix = 0; mix < 6; ++mix) {
    TrainerOptions options;
    options.features.binary = mix % 2 == 0;
    options.features.unigrams = mix != 2 && mix != 3;
    options.features.bigrams = mix != 4;
    options.features.length_feature = mix != 5;
    if (mix == 1) {
      options.features.char_ngram_min = 2;
      options.features.char_ngram_max = 4;
    }
    for (ModelType type : {ModelType::kNaiveBayes, ModelType::kEnsemble}) {
      auto c = Classifier::FromBytes(TrainSynthetic(type, 200, options).bytes);
      ASSERT_TRUE(c.ok()) << c.status() << " mix " << mix;
      std::vector<std::string> texts = {"", "win win win free prize",
                                        "see http://x.com now",
                                        std::string(300, 'a') + " b"};
      for (const auto& post : SyntheticCorpus(40)) texts.push_back(post.text);
      for (const std::string& text : texts) {
        EXPECT_EQ((*c)->SpamProbability(text),
                  (*c)->Score(text, ScoreOptions{3}).spam_probability)
            << "mix " << mix << ": " << text;
      }
    }
  }
}

TEST(LabelNameTest, Names) {
  EXPECT_EQ(LabelName(Label::kHam), "ham");
  EXPECT_EQ(LabelName(Label::kUnsure), "unsure");
  EXPECT_EQ(LabelName(Label::kSpam), "spam");
}

// A thread keeps its scoring scratch between posts, but not what one long post
// grew it to: a 4 MiB post that folds to 16 MiB left ~290 MB in the thread.
TEST(ClassifierTest, ScratchALongPostGrewIsFreedAfterIt) {
  auto c = Classifier::FromBytes(TrainSynthetic(ModelType::kEnsemble).bytes);
  ASSERT_TRUE(c.ok()) << c.status();
  const std::string post = "win a free prize now, reply to claim";
  const double p = (*c)->SpamProbability(post);
  // Ordinary long posts keep their scratch (the next one does not allocate).
  std::string long_post;
  while (long_post.size() < (60 << 10)) long_post += "plain words of a long post ";
  (*c)->SpamProbability(long_post);
  const size_t kept = internal::ThreadScratchBytes();
  EXPECT_GT(kept, size_t{256} << 10);
  (*c)->SpamProbability(post);
  EXPECT_EQ(internal::ThreadScratchBytes(), kept);

  std::string huge;  // U+FDFA folds to 33 bytes: ~75 MB of scratch, kept before
  while (huge.size() < (size_t{2} << 20)) huge += "\xEF\xB7\xBA";
  for (int clues : {0, 3}) {
    ScoreOptions options;
    options.max_clues = clues;
    (*c)->Score(huge, options);
    EXPECT_LE(internal::ThreadScratchBytes(), size_t{32} << 20) << clues;
    EXPECT_EQ((*c)->Score(post, options).spam_probability, p);
  }
  (*c)->SpamProbability(huge);
  EXPECT_LE(internal::ThreadScratchBytes(), size_t{32} << 20);
  EXPECT_EQ((*c)->SpamProbability(post), p);
}

// Scoring a post of many tokens takes little scratch besides its tokenization:
// the buckets are hashed a part of the post at a time and, past a few thousand
// features, deduplicated in a bitmap of the buckets (128 KiB for 2^20), where a
// hash set took 16 bytes or more a feature. Same score as the explaining path,
// which goes through FeatureHasher::ForEach.
TEST(ClassifierTest, APostOfManyTokensTakesLittleScratchBesidesItsTokens) {
  for (ModelType type : {ModelType::kNaiveBayes, ModelType::kEnsemble}) {
    auto c = Classifier::FromBytes(TrainSynthetic(type).bytes);
    ASSERT_TRUE(c.ok()) << c.status();
    // 60 KiB (under the size after which scratch is freed) of ~30,000 tokens (each
    // '$' is one): two parts of up to 16 Ki tokens, so a bigram spans them.
    std::string post;
    const char* const units[] = {"$$$$", "win ", "$$", "free ", "a ", "$$$", "prize "};
    for (int i = 0; post.size() < (60 << 10); ++i) post += units[(i * 5 + i / 7) % 7];
    Tokenization reference;
    Tokenizer::Create((*c)->info().tokenizer).value().Tokenize(post, &reference);
    ASSERT_GT(reference.tokens().size(), size_t{24000});
    const size_t tokenization_bytes = internal::TokenizationAccess::HeldBytes(reference);
    double fast = -1, explained = -2;
    size_t scratch = 0;
    // On a thread of its own: its scratch starts empty.
    std::thread([&] {
      fast = (*c)->SpamProbability(post);
      scratch = internal::ThreadScratchBytes();
      explained = (*c)->Score(post, ScoreOptions{3}).spam_probability;
    }).join();
    EXPECT_EQ(fast, explained) << static_cast<int>(type);
    // Buckets of one part (2 x 16 Ki x 4 bytes) and the bitmap: 256 KiB. A hash
    // set for the post's ~60,000 features took 1 MiB, and the buckets of the
    // whole post 240 KiB.
    EXPECT_GE(scratch, tokenization_bytes);
    EXPECT_LE(scratch - tokenization_bytes, size_t{300} << 10) << static_cast<int>(type);
  }
}

// The scoring loop deduplicates a post's weighted buckets in a per-thread set
// that stays from post to post (and from one classifier to another): nothing of
// a post may count in the next. Posts sharing words, repeating words, words no
// model weighs (deduplicated apart from the weighted ones), a long post (a loop
// of its own) and an empty one, scored in turn by two classifiers with tables of
// different sizes in one thread, 70,000 posts in all (past the set's 65,535
// generations): each probability is the one a fresh thread gives and the
// explaining path's. The ensemble's logistic part divides by the square root of
// the feature count, so a repeat counted twice changes its score too.
TEST(ClassifierTest, ThreadScratchCarriesNothingFromPostToPost) {
  TrainerOptions tfidf;
  tfidf.naive_bayes.tfidf = true;  // length-normalized too
  auto small =
      Classifier::FromBytes(TrainSynthetic(ModelType::kNaiveBayes, 60, tfidf).bytes);
  auto big = Classifier::FromBytes(TrainSynthetic(ModelType::kEnsemble, 400).bytes);
  ASSERT_TRUE(small.ok()) << small.status();
  ASSERT_TRUE(big.ok()) << big.status();
  ASSERT_NE((*small)->info().nonzero_weights, (*big)->info().nonzero_weights);
  std::string long_post;  // 20,000 tokens: more than the loop takes at a time
  for (int i = 0; i < 5000; ++i) long_post += "win $ free $ ";
  const std::vector<std::string> texts = {
      "win free prize now",
      "win free prize now",  // the same again: every bucket was the last post's
      "free prize free prize win win",
      "zqxv zqxv wkpf free zqxv",  // buckets with no weight, one of them repeated
      "wkpf zqxv",
      long_post,
      "",
      "lunch tomorrow with mom thanks, free lunch",
      "win free prize now"};
  const Classifier* const models[] = {small->get(), big->get()};
  std::vector<double> fresh;  // by model, then text
  for (const Classifier* c : models) {
    for (const std::string& text : texts) {
      double p = -1;
      std::thread([&] { p = c->SpamProbability(text); }).join();
      fresh.push_back(p);
      EXPECT_EQ(c->Score(text, ScoreOptions{3}).spam_probability, p) << text;
    }
  }
  for (int round = 0; round < 70000 / 18 + 1; ++round) {
    for (size_t t = 0; t < texts.size(); ++t) {
      // The two models in turn, the long post only in the first and last rounds.
      if (t == 5 && round != 0 && round != 70000 / 18) continue;
      for (size_t m = 0; m < 2; ++m) {
        ASSERT_EQ(models[m]->SpamProbability(texts[t]), fresh[m * texts.size() + t])
            << "round " << round << " model " << m << " text " << t;
      }
    }
  }
}

}  // namespace
}  // namespace groupguard
