// Explanations (Classifier::Score with max_clues > 0) against a reference computed
// here from the model file on its own, the way the classifier computed them before
// it kept only the strongest clues' features: every feature of the post and its
// place, merged into clues by name, all of them sorted, then cut to max_clues.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "groupguard/classifier.h"
#include "gtest/gtest.h"
#include "model/classifier_impl.h"
#include "model/features.h"
#include "model/model_file.h"
#include "test_corpus.h"

namespace groupguard {
namespace {

using ::groupguard::testing::SyntheticCorpus;
using ::groupguard::testing::TrainSynthetic;

class ReferenceExplainer {
 public:
  explicit ReferenceExplainer(absl::string_view model_bytes) {
    model::Model model;
    EXPECT_TRUE(internal::DecodeModelFile(model_bytes, &model).ok());
    tokenizer_ = std::make_unique<Tokenizer>(
        Tokenizer::Create(internal::TokenizerOptionsFromProto(model.tokenizer()))
            .value());
    hasher_ = std::make_unique<internal::FeatureHasher>(
        internal::FeatureHasher::Create(
            internal::FeatureOptionsFromProto(model.features()))
            .value());
    const bool ensemble = model.type() == model::MODEL_TYPE_ENSEMBLE;
    const int scorers = ensemble ? model.components_size() : 1;
    stride_ = static_cast<size_t>(scorers);
    for (int k = 0; k < scorers; ++k) {
      const model::LinearScorer& s = ensemble ? model.components(k) : model.scorer();
      uint32_t bucket = 0;
      for (int i = 0; i < s.bucket_deltas_size(); ++i) {
        bucket += s.bucket_deltas(i);
        if (s.weights(i) == 0) continue;  // a bucket of all zeros has no weight
        std::vector<float>& w = weights_[bucket];
        w.resize(stride_, 0.0f);
        w[k] = s.weights(i);
      }
      internal::ComponentParams params;
      params.bias = s.bias();
      params.normalize = s.scaling() == model::SCALING_INV_SQRT_COUNT;
      params.weight = ensemble ? model.component_weights(k) : 1.0;
      components_.push_back(params);
    }
    a_ = model.calibration().a();
    b_ = model.calibration().b();
    unsure_ = model.thresholds().unsure();
    spam_ = model.thresholds().spam();
  }

  Verdict Explain(absl::string_view text, int max_clues) const {
    Tokenization tokens;
    tokenizer_->Tokenize(text, &tokens);
    const absl::Span<const Token> all = tokens.tokens();
    const auto text_of = [&](const Token& t) { return tokens.text(t); };
    struct Occurrence {
      uint32_t bucket;
      bool counted;
      internal::FeatureSource source;
    };
    std::vector<Occurrence> occurrences;
    absl::flat_hash_set<uint32_t> seen;
    const bool binary = hasher_->options().binary;
    double sums[2] = {0, 0};
    uint32_t count = 0;
    hasher_->ForEach(all, text_of,
                     [&](uint32_t bucket, const internal::FeatureSource& source) {
                       const bool counted = !binary || seen.insert(bucket).second;
                       if (counted) {
                         if (const float* w = Find(bucket)) {
                           for (size_t k = 0; k < stride_; ++k) sums[k] += w[k];
                         }
                         ++count;
                       }
                       occurrences.push_back({bucket, counted, source});
                     });
    Verdict verdict;
    verdict.spam_probability =
        internal::Sigmoid(a_ * internal::CombineRawScore(components_, sums, count) + b_);
    verdict.label = verdict.spam_probability >= spam_     ? Label::kSpam
                    : verdict.spam_probability >= unsure_ ? Label::kUnsure
                                                          : Label::kHam;
    double scale[2] = {0, 0};
    for (size_t k = 0; k < stride_; ++k) {
      scale[k] =
          a_ * components_[k].weight *
          (components_[k].normalize && count > 0 ? 1.0 / std::sqrt(double{1} * count)
                                                 : 1.0);
    }
    absl::flat_hash_map<std::string, size_t> index;
    std::vector<Clue> clues;
    for (const Occurrence& o : occurrences) {
      const float* w = Find(o.bucket);
      if (w == nullptr) continue;
      double contribution = 0;
      for (size_t k = 0; k < stride_; ++k) contribution += scale[k] * w[k];
      auto [it, inserted] =
          index.try_emplace(internal::FeatureName(o.source, all, text_of), clues.size());
      if (inserted) {
        clues.emplace_back();
        clues.back().feature = it->first;
      }
      Clue& clue = clues[it->second];
      if (o.counted) clue.weight += contribution;
      switch (o.source.type) {
        case internal::FeatureType::kBigram:
          clue.spans.emplace_back(all[o.source.token].begin, all[o.source.token].end);
          clue.spans.emplace_back(all[o.source.token2].begin, all[o.source.token2].end);
          break;
        case internal::FeatureType::kUnigram:
        case internal::FeatureType::kCharNgram:
          clue.spans.emplace_back(all[o.source.token].begin, all[o.source.token].end);
          break;
        case internal::FeatureType::kLength:
          break;
      }
    }
    for (Clue& clue : clues) {
      std::sort(clue.spans.begin(), clue.spans.end());
      clue.spans.erase(std::unique(clue.spans.begin(), clue.spans.end()),
                       clue.spans.end());
    }
    std::sort(clues.begin(), clues.end(), [](const Clue& a, const Clue& b) {
      const double wa = std::fabs(a.weight), wb = std::fabs(b.weight);
      if (wa != wb) return wa > wb;
      return a.feature < b.feature;
    });
    if (clues.size() > static_cast<size_t>(max_clues)) clues.resize(max_clues);
    verdict.clues = std::move(clues);
    return verdict;
  }

 private:
  const float* Find(uint32_t bucket) const {
    auto it = weights_.find(bucket);
    return it == weights_.end() ? nullptr : it->second.data();
  }

  std::unique_ptr<Tokenizer> tokenizer_;
  std::unique_ptr<internal::FeatureHasher> hasher_;
  size_t stride_ = 1;
  absl::flat_hash_map<uint32_t, std::vector<float>> weights_;
  std::vector<internal::ComponentParams> components_;
  double a_ = 1, b_ = 0, unsure_ = 0.5, spam_ = 0.5;
};

// What ExpectSameExplanation expects of each clue's places.
enum class Spans {
  kSame,  // the reference's, to the byte (the clues were asked for with places)
  kNone,  // none (asked for without places: ScoreOptions::clue_spans = false)
};

// `actual` is the first max_clues clues of `all` (the reference with 1000 clues),
// to the bit: the same names and weights in the same order, the same probability
// and label, and the places that `spans` says.
void ExpectSameExplanation(const Verdict& actual, const Verdict& all, int max_clues,
                           Spans spans, const std::string& what) {
  EXPECT_EQ(actual.spam_probability, all.spam_probability) << what;
  EXPECT_EQ(actual.label, all.label) << what;
  const size_t n = std::min(all.clues.size(), static_cast<size_t>(max_clues));
  ASSERT_EQ(actual.clues.size(), n) << what;
  for (size_t c = 0; c < n; ++c) {
    EXPECT_EQ(actual.clues[c].feature, all.clues[c].feature) << what << " clue " << c;
    EXPECT_EQ(actual.clues[c].weight, all.clues[c].weight) << what << " clue " << c;
    if (spans == Spans::kSame) {
      EXPECT_EQ(actual.clues[c].spans, all.clues[c].spans) << what << " clue " << c;
    } else {
      EXPECT_TRUE(actual.clues[c].spans.empty()) << what << " clue " << c;
    }
  }
}

ScoreOptions WithoutSpans(int max_clues) {
  ScoreOptions options;
  options.max_clues = max_clues;
  options.clue_spans = false;
  return options;
}

// `unit` repeated to `bytes` bytes (a whole number of times).
std::string Repeat(absl::string_view unit, size_t bytes) {
  std::string s;
  while (s.size() + unit.size() <= bytes) s.append(unit.data(), unit.size());
  return s;
}

// Words from a few syllables, some frequent and some rare, to `bytes` bytes.
std::string PlainWords(size_t bytes) {
  static const char* const kSyllables[] = {"ka",   "lo",  "mi",    "ne",   "ru", "sa",
                                           "to",   "vi",  "pe",    "da",   "fo", "gu",
                                           "free", "win", "prize", "lunch"};
  std::string s;
  uint64_t state = 7;
  const auto next = [&state](int mod) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<int>((state >> 33) % static_cast<uint64_t>(mod));
  };
  while (s.size() < bytes) {
    const int syllables = 1 + next(3);
    for (int i = 0; i < syllables; ++i) s += kSyllables[next(next(4) == 0 ? 16 : 6)];
    s += next(9) == 0 ? ". " : " ";
  }
  s.resize(bytes);
  return s;
}

// Long posts: hostile ones and ordinary ones, over the 64 KiB after which scratch
// is freed and over the 16 Ki tokens of the scoring loop's parts.
std::vector<std::pair<std::string, std::string>> LongPosts(size_t bytes) {
  std::string mixed;
  const char* const units[] = {"$$$$",        "win ", "$$",     "free ",
                               "a ",          "$$$",  "prize ", "see bit.ly/x ",
                               "\xEF\xB7\xBA"};
  for (int i = 0; mixed.size() < bytes; ++i) mixed += units[(i * 5 + i / 7) % 9];
  return {{"dollars", Repeat("$", bytes)},   {"fdfa", Repeat("\xEF\xB7\xBA", bytes)},
          {"hosts", Repeat("b.co ", bytes)}, {"letters", Repeat("a ", bytes)},
          {"words", PlainWords(bytes)},      {"mixed", mixed}};
}

// Under every feature mix and model type, with few buckets (so many features share
// one, and clues tie at a weight of 0) and many: the same clues, in the same order,
// with the same weights and places, and the same probability; asked for without
// places, the same clues without them.
TEST(ExplainTest, ExplanationsAreTheReferenceOnes) {
  std::vector<std::string> texts = {"",
                                    "win win win free prize",
                                    "see http://x.com now, bit.ly/abc and www.y.org",
                                    "WINNER!!! claim your prize at bit.ly/x",
                                    "café pаypal 4u gr8 fr33 +44 7700 900123 😀😀",
                                    std::string(300, 'a') + " b",
                                    "lunch lunch tomorrow, lunch? thanks thanks"};
  for (const auto& post : SyntheticCorpus(40)) texts.push_back(post.text);
  for (const auto& [name, text] : LongPosts(size_t{80} << 10)) texts.push_back(text);
  for (int mix = 0; mix < 8; ++mix) {
    TrainerOptions options;
    options.features.binary = mix % 2 == 0;
    options.features.unigrams = mix != 2 && mix != 3;
    options.features.bigrams = mix != 4;
    options.features.length_feature = mix != 5;
    if (mix == 1 || mix == 6) {
      options.features.char_ngram_min = 2;
      options.features.char_ngram_max = 4;
    }
    if (mix >= 6) options.features.hash_bits = 10;
    // (An ensemble's components are a naive Bayes and a logistic model.)
    for (ModelType type : {ModelType::kNaiveBayes, ModelType::kEnsemble}) {
      const TrainedModel trained = TrainSynthetic(type, 200, options);
      auto c = Classifier::FromBytes(trained.bytes);
      ASSERT_TRUE(c.ok()) << c.status() << " mix " << mix;
      const ReferenceExplainer reference(trained.bytes);
      for (size_t t = 0; t < texts.size(); ++t) {
        const Verdict all = reference.Explain(texts[t], 1000);
        for (int max_clues : {1, 2, 7, 1000}) {
          const std::string what =
              absl::StrCat("mix ", mix, " type ", static_cast<int>(type), " text ", t,
                           " max_clues ", max_clues);
          ExpectSameExplanation((*c)->Score(texts[t], ScoreOptions{max_clues}), all,
                                max_clues, Spans::kSame, what);
          ExpectSameExplanation((*c)->Score(texts[t], WithoutSpans(max_clues)), all,
                                max_clues, Spans::kNone, what + " without spans");
        }
      }
    }
  }
}

// The shipped model on short posts, and on long ones, hostile and ordinary.
TEST(ExplainTest, TheDefaultModelExplainsAsTheReference) {
  std::ifstream file(absl::StrCat(GROUPGUARD_SOURCE_DIR, "/models/default.ggm"),
                     std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(file)),
                          std::istreambuf_iterator<char>());
  auto c = Classifier::FromBytes(bytes);
  ASSERT_TRUE(c.ok()) << c.status();
  const ReferenceExplainer reference(bytes);
  std::vector<std::pair<std::string, std::string>> posts = {
      {"prize", "WINNER!! claim your FREE prize at bit.ly/x now, reply to claim"},
      {"lunch", "see you at lunch tomorrow, thanks"},
      // The word "url" and a URL's marker "url" are two features of one name (of
      // two buckets): one clue, with the places of both.
      {"url", "the url is http://example.com/url, click the url url"}};
  for (auto& post : LongPosts(size_t{256} << 10)) posts.push_back(std::move(post));
  for (const auto& [name, text] : posts) {
    const Verdict all = reference.Explain(text, 1000);
    for (int max_clues : {3, 1000}) {
      ExpectSameExplanation((*c)->Score(text, ScoreOptions{max_clues}), all, max_clues,
                            Spans::kSame, absl::StrCat(name, " max_clues ", max_clues));
      ExpectSameExplanation(
          (*c)->Score(text, WithoutSpans(max_clues)), all, max_clues, Spans::kNone,
          absl::StrCat(name, " max_clues ", max_clues, " without spans"));
    }
  }
}

}  // namespace
}  // namespace groupguard
