#include "groupguard/classifier.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "model/classifier_impl.h"
#include "model/features.h"
#include "model/model_file.h"
#include "text/tokenization_access.h"
#include "util/file_util.h"
#include "util/platform.h"
#include "util/printable.h"
#include "util/status_macros.h"
#include "util/thread_scratch.h"

namespace groupguard {

absl::string_view LabelName(Label label) {
  switch (label) {
    case Label::kHam:
      return "ham";
    case Label::kUnsure:
      return "unsure";
    case Label::kSpam:
      return "spam";
  }
  return "unknown";
}

namespace internal {
namespace {

// The per-thread scratch: a ThreadScratch, not a thread_local object (whose
// destructor's registration running out of memory ends the process).
Tokenization& ThreadTokenization() { return ThreadScratch<Tokenization>::Get(); }

// The most tokens the scoring loop hashes into its buffer at a time.
constexpr size_t kTokensAPart = size_t{16} << 10;

// The scoring loop's scratch: the binary-feature set and the buckets of up to
// kTokensAPart tokens of a post (kept at its high-water size: at most 128 KiB
// and 4 bytes). One thread-local object, so the loop reaches both with one
// thread-local address and one check that it was constructed (two of each
// took about ten instructions a post more).
struct ScoringScratch {
  BucketSet set;    // the buckets without weights (all of them off the usual loop)
  PlaceSet places;  // the buckets with weights, in the usual loop
  std::vector<uint32_t> buckets;
};
ScoringScratch& ThreadScoringScratch() { return ThreadScratch<ScoringScratch>::Get(); }
BucketSet& ThreadBucketSet() { return ThreadScoringScratch().set; }
PlaceSet& ThreadPlaceSet() { return ThreadScoringScratch().places; }
std::vector<uint32_t>& ThreadBuckets() { return ThreadScoringScratch().buckets; }

// The binary-feature set of a post with many features (see BucketBitmap).
BucketBitmap& ThreadBucketBitmap() { return ThreadScratch<BucketBitmap>::Get(); }

// One feature name of a post being explained: a clue before the clues are ranked.
// Where its first occurrence came from is kept (in 13 bytes of a FeatureSource's
// 24), so its name can be made again when it is needed, instead of being kept.
struct NamedFeature {
  double weight;    // the clue's weight: its counted occurrences' contributions
  uint64_t hash;    // of the name
  uint32_t bucket;  // of the first occurrence
  uint32_t token;   // FeatureSource::token
  uint32_t second;  // token2 (bigram), char_begin (char n-gram), length_class
  uint32_t third;   // char_end (char n-gram)
  int32_t clue;     // its place among the verdict's clues, or -1
  FeatureType type;
  bool one_bucket;  // every occurrence has `bucket` (the names of two features
                    // of different buckets are the same only in odd cases)

  FeatureSource source() const {
    FeatureSource s;
    s.type = type;
    s.token = token;
    switch (type) {
      case FeatureType::kBigram:
        s.token2 = second;
        break;
      case FeatureType::kCharNgram:
        s.char_begin = second;
        s.char_end = third;
        break;
      case FeatureType::kLength:
        s.length_class = second;
        break;
      case FeatureType::kUnigram:
        break;
    }
    return s;
  }
};

// The explaining path's scratch (kept at its high-water size): the post's feature
// names, an index of them by name, two names being compared, and places.
struct ExplainScratch {
  std::vector<NamedFeature> features;
  std::vector<uint32_t> slots;  // open addressing on the hash: 1 + index, 0 free
  std::string name;
  std::string other;
  // The places of a short post's features: (index in features, span).
  std::vector<std::pair<uint32_t, std::pair<uint32_t, uint32_t>>> places;

  void Clear() {
    features.clear();
    slots.assign(1024, 0);
  }
  size_t HeldBytes() const {
    return features.capacity() * sizeof(NamedFeature) +
           slots.capacity() * sizeof(uint32_t) + name.capacity() + other.capacity() +
           places.capacity() * sizeof(places[0]);
  }
  // The slot of the feature of name hash `hash` for which `same(const
  // NamedFeature&)` says its name is the one looked for: 1 + its index, or a free
  // slot (0) where it goes.
  template <typename Same>
  uint32_t& Find(uint64_t hash, const Same& same) {
    const size_t mask = slots.size() - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
      uint32_t& slot = slots[i];
      if (slot == 0) return slot;
      const NamedFeature& f = features[slot - 1];
      if (f.hash == hash && same(f)) return slot;
    }
  }
  // Makes room for one more feature (the table stays at most half full).
  void Reserve() {
    if (2 * (features.size() + 1) <= slots.size()) return;
    slots.assign(2 * slots.size(), 0);
    const size_t mask = slots.size() - 1;
    for (size_t k = 0; k < features.size(); ++k) {
      size_t i = features[k].hash & mask;
      while (slots[i] != 0) i = (i + 1) & mask;
      slots[i] = static_cast<uint32_t>(k + 1);
    }
  }
};

ExplainScratch& ThreadExplainScratch() { return ThreadScratch<ExplainScratch>::Get(); }

// The per-thread scratch above keeps its high-water size, so a warm thread scores
// without allocating. One long post would make that size stay: a 4 MiB post of
// characters that fold to many (U+FDFA folds to 33 bytes) left ~290 MB behind in
// every thread that scored one. So after a post of more than kLongPostBytes, scratch
// above kKeptScratchBytes is freed. Shorter posts pay one comparison; scratch takes
// about 40 bytes a byte of post, so posts up to ~800 KB keep theirs (a run of them
// does not allocate for every post).
constexpr size_t kLongPostBytes = size_t{64} << 10;
constexpr size_t kKeptScratchBytes = size_t{32} << 20;

void TrimScratchAfter(absl::string_view text) {
  if (text.size() <= kLongPostBytes) return;
  if (ThreadScratchBytes() <= kKeptScratchBytes) return;
  TokenizationAccess::Release(ThreadTokenization());
  ThreadBucketSet() = BucketSet();
  ThreadBucketBitmap() = BucketBitmap();
  std::vector<uint32_t>().swap(ThreadBuckets());
  ThreadExplainScratch() = ExplainScratch();
}

}  // namespace

size_t ThreadScratchBytes() {
  return TokenizationAccess::HeldBytes(ThreadTokenization()) +
         ThreadBucketSet().HeldBytes() + ThreadPlaceSet().HeldBytes() +
         ThreadBucketBitmap().HeldBytes() +
         ThreadBuckets().capacity() * sizeof(uint32_t) +
         ThreadExplainScratch().HeldBytes();
}

TokenizerOptions TokenizerOptionsFromProto(const model::TokenizerConfig& config) {
  TokenizerOptions options;
  options.fold_homoglyphs = config.fold_homoglyphs();
  options.fold_leet = config.fold_leet();
  options.max_char_run = config.max_char_run();
  options.decode_html = config.decode_html();
  options.detect_urls = config.detect_urls();
  options.max_input_bytes = config.max_input_bytes();
  return options;
}

FeatureOptions FeatureOptionsFromProto(const model::FeatureConfig& config) {
  FeatureOptions options;
  options.hash_bits = static_cast<int>(config.hash_bits());
  options.hash_seed = config.hash_seed();
  options.unigrams = config.unigrams();
  options.bigrams = config.bigrams();
  options.char_ngram_min = static_cast<int>(config.char_ngram_min());
  options.char_ngram_max = static_cast<int>(config.char_ngram_max());
  options.length_feature = config.length_feature();
  options.binary = config.binary();
  return options;
}

BinaryMetrics MetricsFromProto(const model::Metrics& proto) {
  BinaryMetrics m;
  m.posts = proto.posts();
  m.spam = proto.spam();
  m.ham = proto.posts() - proto.spam();
  m.roc_auc = proto.roc_auc();
  m.accuracy = proto.accuracy();
  m.precision = proto.precision();
  m.recall = proto.recall();
  m.f1 = proto.f1();
  m.log_loss = proto.log_loss();
  m.spam_caught_at_1pct_ham_blocked = proto.spam_caught_at_1pct_ham_blocked();
  m.spam_caught_at_0_1pct_ham_blocked = proto.spam_caught_at_0_1pct_ham_blocked();
  if (proto.confusion_size() == 6) {
    m.confusion.spam_as_ham = proto.confusion(0);
    m.confusion.spam_as_unsure = proto.confusion(1);
    m.confusion.spam_as_spam = proto.confusion(2);
    m.confusion.ham_as_ham = proto.confusion(3);
    m.confusion.ham_as_unsure = proto.confusion(4);
    m.confusion.ham_as_spam = proto.confusion(5);
  }
  return m;
}

double Sigmoid(double z) {
  if (std::isnan(z)) return 0.5;
  return 1.0 / (1.0 + std::exp(-z));
}

LinearClassifier::LinearClassifier(Tokenizer tokenizer, FeatureHasher hasher)
    : tokenizer_(std::move(tokenizer)), hasher_(std::move(hasher)) {}

absl::StatusOr<std::unique_ptr<Classifier>> LinearClassifier::Create(
    const model::Model& model, int64_t file_bytes) {
  GG_RETURN_IF_ERROR(ValidateModel(model));
  auto tokenizer = Tokenizer::Create(TokenizerOptionsFromProto(model.tokenizer()));
  if (!tokenizer.ok()) {
    return absl::DataLossError(absl::StrCat("invalid groupguard model: tokenizer: ",
                                            tokenizer.status().message()));
  }
  auto hasher = FeatureHasher::Create(FeatureOptionsFromProto(model.features()));
  if (!hasher.ok()) {
    return absl::DataLossError(
        absl::StrCat("invalid groupguard model: features: ", hasher.status().message()));
  }
  std::unique_ptr<LinearClassifier> c(
      new LinearClassifier(*std::move(tokenizer), *std::move(hasher)));
  const bool ensemble = model.type() == model::MODEL_TYPE_ENSEMBLE;
  const int scorers = ensemble ? model.components_size() : 1;
  c->stride_ = static_cast<size_t>(scorers);
  std::vector<std::vector<std::pair<uint32_t, float>>> lists(c->stride_);
  double constant = 0;
  for (int k = 0; k < scorers; ++k) {
    const model::LinearScorer& s = ensemble ? model.components(k) : model.scorer();
    uint32_t bucket = 0;
    lists[k].reserve(static_cast<size_t>(s.bucket_deltas_size()));
    for (int i = 0; i < s.bucket_deltas_size(); ++i) {
      bucket += s.bucket_deltas(i);
      lists[k].emplace_back(bucket, s.weights(i));
    }
    ComponentParams params;
    params.bias = s.bias();
    params.normalize = s.scaling() == model::SCALING_INV_SQRT_COUNT;
    params.weight = ensemble ? model.component_weights(k) : 1.0;
    constant += params.weight * params.bias;
    c->components_.push_back(params);
  }
#if GROUPGUARD_HAVE_X86
  c->hardware_popcount_ = __builtin_cpu_supports("popcnt");
#endif
  c->table_ = std::make_unique<WeightTable>(c->hasher_.num_buckets(), lists,
                                            c->hardware_popcount_);
  const int64_t nonzero = static_cast<int64_t>(c->table_->size());
  c->calibration_a_ = model.calibration().a();
  c->calibration_b_ = model.calibration().b();
  c->unsure_threshold_ = model.thresholds().unsure();
  c->spam_threshold_ = model.thresholds().spam();

  ModelInfo& info = c->info_;
  info.format_version = kModelFormatVersion;
  info.model_type = model.type() == model::MODEL_TYPE_NAIVE_BAYES ? "naive_bayes"
                    : model.type() == model::MODEL_TYPE_LOGISTIC  ? "logistic"
                                                                  : "ensemble";
  info.tokenizer = c->tokenizer_.options();
  info.features = c->hasher_.options();
  info.unsure_threshold = c->unsure_threshold_;
  info.spam_threshold = c->spam_threshold_;
  info.unsure_target_ham_rate = model.thresholds().unsure_target_ham_rate();
  info.spam_target_ham_rate = model.thresholds().spam_target_ham_rate();
  info.calibration_a = c->calibration_a_;
  info.calibration_b = c->calibration_b_;
  info.bias = constant;
  const model::TrainingInfo& t = model.training();
  info.date = t.date();
  info.data_sources.assign(t.data_sources().begin(), t.data_sources().end());
  info.description = t.description();
  info.library_version = t.library_version();
  info.hyperparameters = t.hyperparameters();
  info.train_posts = t.train_posts();
  info.train_spam = t.train_spam();
  info.validation_posts = t.validation_posts();
  info.validation_spam = t.validation_spam();
  info.train_metrics = MetricsFromProto(t.train_metrics());
  info.validation_metrics = MetricsFromProto(t.validation_metrics());
  info.file_bytes = file_bytes;
  info.nonzero_weights = nonzero;
  return std::unique_ptr<Classifier>(std::move(c));
}

namespace {

// The most distinct features among `features` features: no more than there are
// buckets (a 4 MiB post of short words has millions of features but, with 2^20
// buckets, at most a million distinct ones). Sizes the binary-feature set.
size_t DistinctAtMost(const FeatureHasher& hasher, size_t features) {
  return std::min<size_t>(features, hasher.num_buckets());
}

// The scoring loop for a post of more than kTokensAPart tokens, or of so many
// features that a BucketBitmap suits it: SumWeightsOf's loop (same features, same
// order, so the same sums), without char n-grams a part of the post at a time (so
// the bucket buffer stays small however long the post), and deduplicated in a
// bitmap when the post has many features. Out of line, so the scoring loop of
// ordinary posts stays as it was. (Popcounts in software: the same counts.)
template <size_t kStride, bool kBinary>
[[gnu::noinline]] uint32_t SumWeightsOfLongPost(const FeatureHasher& hasher,
                                                const WeightTable::View weights,
                                                const Tokenization& tokens,
                                                size_t distinct, double* sums) {
  double sum0 = 0, sum1 = 0;
  uint32_t count = 0;
  const auto add = [&](uint32_t bucket, auto& seen) {
    if (kBinary && !seen.Insert(bucket)) return;
    ++count;
    weights.AddWeights<kStride, false>(bucket, sum0, sum1);
  };
  const absl::Span<const Token> all = tokens.tokens();
  const auto sum_all = [&](auto& seen) {
    if (hasher.options().char_ngram_min != 0) {
      hasher.ForEach(
          all, [&](const Token& t) { return tokens.text(t); },
          [&](uint32_t bucket, const FeatureSource&) { add(bucket, seen); });
      return;
    }
    const char* const storage = TokenizationAccess::TextStorage(tokens);
    const auto text_of = [storage](const Token& t) {
      return absl::string_view(storage + t.text_offset, t.text_size);
    };
    std::vector<uint32_t>& buckets = ThreadBuckets();
    if (buckets.size() < 2 * kTokensAPart) buckets.resize(2 * kTokensAPart);
    uint32_t* const first = buckets.data();
    FeatureHasher::BigramCarry carry;
    for (size_t begin = 0; begin < all.size(); begin += kTokensAPart) {
      uint32_t* last = first;
      hasher.ForEachBucketOf(all.subspan(begin, kTokensAPart), text_of, &carry,
                             [&last](uint32_t bucket) { *last++ = bucket; });
      for (const uint32_t* b = first; b != last; ++b) add(*b, seen);
    }
    if (hasher.options().length_feature) add(hasher.LengthBucket(all.size()), seen);
  };
  if (kBinary && BucketBitmap::Suits(distinct, hasher.num_buckets())) {
    BucketBitmap& seen = ThreadBucketBitmap();
    seen.Clear(hasher.num_buckets());
    sum_all(seen);
  } else {
    BucketSet::Inserter seen = ThreadBucketSet().ClearForInserts(distinct);
    sum_all(seen);
  }
  sums[0] = sum0;
  if (kStride == 2) sums[1] = sum1;
  return count;
}

// The scoring loop: the weight sums of the features of `tokens` into sums[0,
// kStride) and their number (distinct ones under binary features). Force-inlined
// into each variant below, so the popcount builtin is compiled for the variant's
// target.
template <size_t kStride, bool kHardwarePopCount, bool kBinary>
[[gnu::always_inline]] inline uint32_t SumWeightsOf(const FeatureHasher& hasher,
                                                    const WeightTable& table,
                                                    const Tokenization& tokens,
                                                    double* sums) {
  double sum0 = 0, sum1 = 0;
  uint32_t count = 0;
  constexpr bool binary = kBinary;
  const WeightTable::View weights = table.view();
  const auto add = [&](uint32_t bucket, BucketSet::Inserter& seen) {
    if (binary && !seen.Insert(bucket)) return;
    ++count;
    weights.AddWeights<kStride, kHardwarePopCount>(bucket, sum0, sum1);
  };
  if (hasher.options().char_ngram_min == 0) {
    // The usual features (words and their pairs): a loop of its own, every
    // pointer in a register and no text bounds check (tokens are the
    // Tokenization's own).
    const char* const storage = TokenizationAccess::TextStorage(tokens);
    const auto text_of = [storage](const Token& t) {
      return absl::string_view(storage + t.text_offset, t.text_size);
    };
    const size_t max_features = hasher.MaxFeatures(tokens.tokens(), text_of);
    const size_t distinct = binary ? DistinctAtMost(hasher, max_features) : 0;
    if (tokens.tokens().size() > kTokensAPart ||
        (binary && BucketBitmap::Suits(distinct, hasher.num_buckets()))) {
      return SumWeightsOfLongPost<kStride, kBinary>(hasher, weights, tokens, distinct,
                                                    sums);
    }
    ScoringScratch& scratch = ThreadScoringScratch();
    // Binary features: a weighted bucket (95.7% of the features of the dump) is
    // deduplicated by its weights' place, which the look-up finds anyway; the
    // others in the bucket set. (Both set up before the hashing pass: after it,
    // 3.8 instructions a post more.)
    BucketSet::Inserter seen = scratch.set.ClearForInserts(distinct);
    PlaceSet::Marker seen_weighted = scratch.places.ClearForPlaces(table.size());
    // Two passes, the hashes into a buffer (of at most 2 * kTokensAPart + 1
    // buckets), then the look-ups: each loop has the registers it needs (one loop
    // doing both kept a dozen values on the stack).
    std::vector<uint32_t>& buckets = scratch.buckets;
    if (buckets.size() < max_features) buckets.resize(max_features);
    uint32_t* const first = buckets.data();
    const uint32_t* const last = hasher.WriteBuckets(tokens.tokens(), text_of, first);
    // The count is the features less the repeated ones (few): one add per
    // repeat, not one per feature.
    uint32_t repeats = 0;
    // Indexed from the end, up to 0: the increment's flags end the loop (a
    // pointer compared with `last` took a compare more per feature).
    if (!binary) {
      for (ptrdiff_t i = first - last; i != 0; ++i) {
        weights.AddWeights<kStride, kHardwarePopCount>(last[i], sum0, sum1);
      }
    } else {
      // The buckets without weights (4.3% of the features of the dump) go back
      // into the buffer's consumed front and through the set after the loop, so
      // no call of the set's out-of-line insert sits in the loop (its clobbered
      // registers put the weights' pointer on the stack). They add nothing to
      // the sums, so the sums' order is the features' order as before.
      uint32_t* without_weight = first;
      for (ptrdiff_t i = first - last; i != 0; ++i) {
        const uint32_t bucket = last[i];
        size_t place;
        if (!weights.Place<kHardwarePopCount>(bucket, &place)) {
          *without_weight++ = bucket;  // at or before last + i: already read
          continue;
        }
        if (!seen_weighted.Insert(place)) {
          ++repeats;
          continue;
        }
        weights.AddWeightsAt<kStride>(place, sum0, sum1);
      }
      for (const uint32_t* b = first; b != without_weight; ++b) {
        if (!seen.Insert(*b)) ++repeats;  // no weight, but counted once
      }
    }
    count = static_cast<uint32_t>(last - first) - repeats;
  } else {
    const auto text_of = [&](const Token& t) { return tokens.text(t); };
    const size_t distinct =
        binary ? DistinctAtMost(hasher, hasher.MaxFeatures(tokens.tokens(), text_of)) : 0;
    if (binary && BucketBitmap::Suits(distinct, hasher.num_buckets())) {
      return SumWeightsOfLongPost<kStride, kBinary>(hasher, weights, tokens, distinct,
                                                    sums);
    }
    BucketSet::Inserter seen = ThreadBucketSet().ClearForInserts(distinct);
    hasher.ForEach(tokens.tokens(), text_of,
                   [&](uint32_t bucket, const FeatureSource&) { add(bucket, seen); });
  }
  sums[0] = sum0;
  if (kStride == 2) sums[1] = sum1;
  return count;
}

// SumWeightsOf for the hasher's `binary` option: a constant in the loop, which
// has no register to spare for it.
template <size_t kStride, bool kHardwarePopCount>
[[gnu::always_inline]] inline uint32_t SumWeights(const FeatureHasher& hasher,
                                                  const WeightTable& table,
                                                  const Tokenization& tokens,
                                                  double* sums) {
  return hasher.options().binary
             ? SumWeightsOf<kStride, kHardwarePopCount, true>(hasher, table, tokens, sums)
             : SumWeightsOf<kStride, kHardwarePopCount, false>(hasher, table, tokens,
                                                               sums);
}

// POPCNT came with SSE4.2 (2008), but the build may not assume it: these run
// only after LinearClassifier::Create found it in the CPU.
#if GROUPGUARD_HAVE_X86
#define GG_TARGET_POPCNT [[gnu::target("popcnt")]]
#else
#define GG_TARGET_POPCNT
#endif
template <size_t kStride>
GG_TARGET_POPCNT uint32_t SumWeightsHardwarePopCount(const FeatureHasher& hasher,
                                                     const WeightTable& table,
                                                     const Tokenization& tokens,
                                                     double* sums) {
  return SumWeights<kStride, true>(hasher, table, tokens, sums);
}
#undef GG_TARGET_POPCNT

}  // namespace

double LinearClassifier::RawScore(const Tokenization& tokens) const {
  double sums[2] = {0, 0};
  const ComponentParams* const components = components_.data();
  if (stride_ == 1) {
    const uint32_t count =
        hardware_popcount_ ? SumWeightsHardwarePopCount<1>(hasher_, *table_, tokens, sums)
                           : SumWeights<1, false>(hasher_, *table_, tokens, sums);
    return CombineRawScoreOf<1>(components, sums, count);
  }
  const uint32_t count =
      hardware_popcount_ ? SumWeightsHardwarePopCount<2>(hasher_, *table_, tokens, sums)
                         : SumWeights<2, false>(hasher_, *table_, tokens, sums);
  return CombineRawScoreOf<2>(components, sums, count);
}

double LinearClassifier::SpamProbability(absl::string_view text) const {
  Tokenization& tokens = ThreadTokenization();
  tokenizer_.Tokenize(text, &tokens);
  const double p = Calibrate(RawScore(tokens));
  TrimScratchAfter(text);
  return p;
}

Verdict LinearClassifier::Score(absl::string_view text,
                                const ScoreOptions& options) const {
  Tokenization& tokens = ThreadTokenization();
  tokenizer_.Tokenize(text, &tokens);
  Verdict verdict;
  const int max_clues = std::clamp(options.max_clues, 0, 1000);
  if (max_clues == 0) {
    verdict.spam_probability = Calibrate(RawScore(tokens));
    verdict.label = LabelFor(verdict.spam_probability);
    TrimScratchAfter(text);
    return verdict;
  }

  // The explaining path: the same features in the same order (so the same sum).
  const absl::Span<const Token> all = tokens.tokens();
  const auto text_of = [&](const Token& t) { return tokens.text(t); };
  const bool binary = hasher_.options().binary;
  // The set of the buckets seen so far, for binary features: a bitmap when the
  // post may have many distinct ones, as in the scoring loop.
  const size_t distinct =
      binary ? DistinctAtMost(hasher_, hasher_.MaxFeatures(all, text_of)) : 0;
  const bool bitmap = binary && BucketBitmap::Suits(distinct, hasher_.num_buckets());
  const auto with_seen = [&](const auto& walk) {
    if (bitmap) {
      BucketBitmap& seen = ThreadBucketBitmap();
      seen.Clear(hasher_.num_buckets());
      walk(seen);
    } else {
      BucketSet& seen = ThreadBucketSet();
      seen.Clear();
      walk(seen);
    }
  };
  double sums[2] = {0, 0};
  uint32_t count = 0;
  with_seen([&](auto& seen) {
    hasher_.ForEach(all, text_of, [&](uint32_t bucket, const FeatureSource&) {
      if (binary && !seen.Insert(bucket)) return;
      if (const float* w = table_->Find(bucket)) {
        for (size_t k = 0; k < stride_; ++k) sums[k] += w[k];
      }
      ++count;
    });
  });
  verdict.spam_probability = Calibrate(CombineRawScore(components_, sums, count));
  verdict.label = LabelFor(verdict.spam_probability);

  // Contribution of one occurrence to the calibrated log-odds, per component.
  double scale[2] = {0, 0};
  for (size_t k = 0; k < stride_; ++k) {
    scale[k] = calibration_a_ * components_[k].weight *
               (components_[k].normalize && count > 0 ? 1.0 / std::sqrt(double{1} * count)
                                                      : 1.0);
  }

  // A clue is a feature name with a weight: every feature with a weight has one,
  // and the clue's weight is the sum of the contributions of the occurrences that
  // count (the first of their bucket under binary features), in the order they
  // come. The names and their weights first, each name kept as where it came from
  // (not every feature of the post and its place, which took 32 bytes a feature,
  // and as much again for its place in its clue).
  ExplainScratch& scratch = ThreadExplainScratch();
  scratch.Clear();
  std::vector<NamedFeature>& features = scratch.features;
  const auto name_of = [&](const NamedFeature& f, std::string* out) {
    AppendFeatureName(f.source(), all, text_of, out);
  };
  // Whether `f` and `source` are made alike: the same type of feature of tokens of
  // the same kinds and texts, so of the same name. (Features made otherwise may
  // still have the same name: the word "url" and a URL's marker "url".)
  const auto same_token = [&](uint32_t a, uint32_t b) {
    return a == b || (all[a].kind == all[b].kind && text_of(all[a]) == text_of(all[b]));
  };
  const auto made_alike = [&](const NamedFeature& f, const FeatureSource& source) {
    if (f.type != source.type) return false;
    switch (source.type) {
      case FeatureType::kUnigram:
        return same_token(f.token, source.token);
      case FeatureType::kBigram:
        return same_token(f.token, source.token) && same_token(f.second, source.token2);
      case FeatureType::kCharNgram: {
        const absl::string_view a = text_of(all[f.token]);
        const absl::string_view b = text_of(all[source.token]);
        return (f.second == 0) == (source.char_begin == 0) &&
               (f.third == a.size()) == (source.char_end == b.size()) &&
               a.substr(f.second, f.third - f.second) ==
                   b.substr(source.char_begin, source.char_end - source.char_begin);
      }
      case FeatureType::kLength:
        return f.second == source.length_class;
    }
    return false;
  };
  // The slot of the name of `source` (the name left in scratch.name, its hash in
  // name_hash). A stored feature of the same hash is compared by how it was made,
  // and only when that differs by its name, made again.
  uint64_t name_hash = 0;
  const auto find = [&](const FeatureSource& source) -> uint32_t& {
    scratch.name.clear();
    AppendFeatureName(source, all, text_of, &scratch.name);
    name_hash = XXH3_64bits(scratch.name.data(), scratch.name.size());
    return scratch.Find(name_hash, [&](const NamedFeature& f) {
      if (made_alike(f, source)) return true;
      scratch.other.clear();
      name_of(f, &scratch.other);
      return scratch.other == scratch.name;
    });
  };
  // The places of a short post's features are noted on this walk (12 bytes a
  // place); a long post's are found again on walks of its own, for the kept clues
  // alone.
  using Span = std::pair<uint32_t, uint32_t>;
  const bool note_places = options.clue_spans && text.size() <= kLongPostBytes;
  std::vector<std::pair<uint32_t, Span>>& places = scratch.places;
  places.clear();
  with_seen([&](auto& seen) {
    hasher_.ForEach(all, text_of, [&](uint32_t bucket, const FeatureSource& source) {
      const float* w = table_->Find(bucket);
      if (w == nullptr) return;
      // Buckets without a weight are left out of the set: whether the first
      // occurrence of a bucket counts does not depend on them.
      const bool counted = !binary || seen.Insert(bucket);
      scratch.Reserve();
      uint32_t& slot = find(source);
      if (slot == 0) {
        NamedFeature f;
        f.weight = 0;
        f.hash = name_hash;
        f.bucket = bucket;
        f.token = source.token;
        f.second = source.type == FeatureType::kBigram      ? source.token2
                   : source.type == FeatureType::kCharNgram ? source.char_begin
                   : source.type == FeatureType::kLength    ? source.length_class
                                                            : 0;
        f.third = source.type == FeatureType::kCharNgram ? source.char_end : 0;
        f.clue = -1;
        f.type = source.type;
        f.one_bucket = true;
        features.push_back(f);
        slot = static_cast<uint32_t>(features.size());
      }
      NamedFeature& f = features[slot - 1];
      if (bucket != f.bucket) f.one_bucket = false;
      if (counted) {
        double contribution = 0;
        for (size_t k = 0; k < stride_; ++k) contribution += scale[k] * w[k];
        f.weight += contribution;
      }
      if (note_places && source.type != FeatureType::kLength) {
        places.emplace_back(slot - 1,
                            Span(all[source.token].begin, all[source.token].end));
        if (source.type == FeatureType::kBigram) {
          places.emplace_back(slot - 1,
                              Span(all[source.token2].begin, all[source.token2].end));
        }
      }
    });
  });

  // The strongest max_clues of them: by weight, then (ties) by name. A heap of
  // those kept so far, the weakest on top, when there are more than max_clues.
  // (Names are unique, so the order is total and the clues are the ones a sort of
  // them all would give.)
  std::vector<uint32_t> kept;
  kept.reserve(std::min(features.size(), static_cast<size_t>(max_clues)));
  if (features.size() <= static_cast<size_t>(max_clues)) {
    for (uint32_t i = 0; i < features.size(); ++i) kept.push_back(i);
  } else {
    const auto stronger = [&](uint32_t a, uint32_t b) {
      const double wa = std::fabs(features[a].weight);
      const double wb = std::fabs(features[b].weight);
      if (wa != wb) return wa > wb;
      scratch.name.clear();
      name_of(features[a], &scratch.name);
      scratch.other.clear();
      name_of(features[b], &scratch.other);
      return scratch.name < scratch.other;
    };
    for (uint32_t i = 0; i < features.size(); ++i) {
      if (kept.size() < static_cast<size_t>(max_clues)) {
        kept.push_back(i);
        std::push_heap(kept.begin(), kept.end(), stronger);
      } else if (stronger(i, kept.front())) {
        std::pop_heap(kept.begin(), kept.end(), stronger);
        kept.back() = i;
        std::push_heap(kept.begin(), kept.end(), stronger);
      }
    }
  }
  // The kept ones' names, made once, then put in order on them.
  std::vector<Clue> unordered(kept.size());
  for (size_t c = 0; c < kept.size(); ++c) {
    name_of(features[kept[c]], &unordered[c].feature);
    unordered[c].weight = features[kept[c]].weight;
  }
  std::vector<uint32_t> order(kept.size());
  for (uint32_t c = 0; c < order.size(); ++c) order[c] = c;
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    const double wa = std::fabs(unordered[a].weight);
    const double wb = std::fabs(unordered[b].weight);
    if (wa != wb) return wa > wb;
    return unordered[a].feature < unordered[b].feature;
  });
  std::vector<Clue>& clues = verdict.clues;
  clues.resize(kept.size());
  for (size_t c = 0; c < order.size(); ++c) {
    features[kept[order[c]]].clue = static_cast<int32_t>(c);
    clues[c] = std::move(unordered[order[c]]);
  }

  // Then the places of the kept clues' features: the spans of their tokens. A
  // place that repeats the one before in its clue (a run of bigrams quotes each
  // token twice in a row) is kept once; each clue's spans are counted first, so
  // they are allocated once, at their size (4 MiB of `$` has 4 Mi places in each
  // of its two clues: growing them took 20 MB more).
  if (options.clue_spans && !clues.empty()) {
    // Calls place(clue, span) for every place of a kept clue, in the order the
    // features come.
    const auto for_each_place = [&](const auto& place) {
      if (note_places) {
        for (const auto& [feature, span] : places) {
          const int32_t c = features[feature].clue;
          if (c >= 0) place(c, span);
        }
        return;
      }
      // When every kept name has one bucket, an occurrence in no kept clue's
      // bucket is in no kept clue; and when every name of the post has one
      // bucket, one in a kept bucket of one feature is in that feature's clue.
      // Only occurrences in the other kept buckets (or in any, when some name has
      // several buckets) need their name made again.
      struct KeptBucket {
        uint32_t bucket;
        int32_t clue;  // or kByName
      };
      constexpr int32_t kByName = -2;
      bool one_bucket = true;  // the kept names each have one bucket
      for (uint32_t i : kept) one_bucket = one_bucket && features[i].one_bucket;
      std::vector<KeptBucket> kept_buckets;
      if (one_bucket) {
        kept_buckets.reserve(kept.size());
        for (uint32_t i : kept)
          kept_buckets.push_back({features[i].bucket, features[i].clue});
        std::sort(
            kept_buckets.begin(), kept_buckets.end(),
            [](const KeptBucket& a, const KeptBucket& b) { return a.bucket < b.bucket; });
        // Two kept clues of one bucket: one entry, by name.
        size_t n = 0;
        for (size_t i = 0; i < kept_buckets.size(); ++i) {
          if (n > 0 && kept_buckets[n - 1].bucket == kept_buckets[i].bucket) {
            kept_buckets[n - 1].clue = kByName;
          } else {
            kept_buckets[n++] = kept_buckets[i];
          }
        }
        kept_buckets.resize(n);
      }
      const auto kept_bucket = [&](uint32_t bucket) -> KeptBucket* {
        auto it = std::lower_bound(
            kept_buckets.begin(), kept_buckets.end(), bucket,
            [](const KeptBucket& k, uint32_t b) { return k.bucket < b; });
        return it != kept_buckets.end() && it->bucket == bucket ? &*it : nullptr;
      };
      if (one_bucket) {
        // A feature in a kept bucket other than its clue's shares that bucket. (A
        // feature of several buckets may be in any: then all are looked up by
        // name.)
        for (const NamedFeature& f : features) {
          KeptBucket* k = kept_bucket(f.bucket);
          if (k != nullptr && k->clue != f.clue) k->clue = kByName;
          if (!f.one_bucket) {
            for (KeptBucket& kb : kept_buckets) kb.clue = kByName;
            break;
          }
        }
      }
      hasher_.ForEach(all, text_of, [&](uint32_t bucket, const FeatureSource& source) {
        int32_t c;
        const KeptBucket* k = one_bucket ? kept_bucket(bucket) : nullptr;
        if (one_bucket && k == nullptr) return;
        if (k != nullptr && k->clue != kByName) {
          c = k->clue;
        } else {
          if (!one_bucket && table_->Find(bucket) == nullptr) return;
          const uint32_t slot = find(source);  // every name with a weight has one
          c = slot == 0 ? -1 : features[slot - 1].clue;
        }
        if (c < 0) return;
        switch (source.type) {
          case FeatureType::kBigram:
            place(c, Span(all[source.token].begin, all[source.token].end));
            place(c, Span(all[source.token2].begin, all[source.token2].end));
            break;
          case FeatureType::kUnigram:
          case FeatureType::kCharNgram:
            place(c, Span(all[source.token].begin, all[source.token].end));
            break;
          case FeatureType::kLength:
            break;
        }
      });
    };
    std::vector<size_t> counts(clues.size(), 0);
    std::vector<Span> last(clues.size());
    for_each_place([&](int32_t c, const Span& span) {
      if (counts[c] != 0 && last[c] == span) return;
      ++counts[c];
      last[c] = span;
    });
    for (size_t c = 0; c < clues.size(); ++c) clues[c].spans.reserve(counts[c]);
    for_each_place([&](int32_t c, const Span& span) {
      std::vector<Span>& spans = clues[c].spans;
      if (spans.empty() || spans.back() != span) spans.push_back(span);
    });
    // Mostly in order already (the features come in the order of their tokens),
    // and then without repeats.
    for (Clue& clue : clues) {
      if (std::is_sorted(clue.spans.begin(), clue.spans.end())) continue;
      std::sort(clue.spans.begin(), clue.spans.end());
      clue.spans.erase(std::unique(clue.spans.begin(), clue.spans.end()),
                       clue.spans.end());
    }
  }
  TrimScratchAfter(text);
  return verdict;
}

Label LinearClassifier::LabelFor(double spam_probability) const {
  if (spam_probability >= spam_threshold_) return Label::kSpam;
  if (spam_probability >= unsure_threshold_) return Label::kUnsure;
  return Label::kHam;
}

}  // namespace internal

absl::StatusOr<std::unique_ptr<Classifier>> Classifier::FromBytes(
    absl::string_view bytes) {
  model::Model model;
  GG_RETURN_IF_ERROR(internal::DecodeModelFile(bytes, &model));
  return internal::LinearClassifier::Create(model, static_cast<int64_t>(bytes.size()));
}

absl::StatusOr<std::unique_ptr<Classifier>> Classifier::Load(absl::string_view path) {
  if (path.empty()) return absl::InvalidArgumentError("empty model file name");
  if (path.find('\0') != absl::string_view::npos) {  // the system would stop at it
    return absl::InvalidArgumentError(absl::StrCat(
        "model file name \"", internal::PrintableLine(path), "\" has a NUL byte in it"));
  }
  const std::string p(path);
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(p.c_str(), "rb"), &std::fclose);
  if (file == nullptr) {
    const int err = errno;
    return absl::Status(
        internal::ErrnoCode(err),
        absl::StrCat(p, ": cannot open model file: ", std::strerror(err)));
  }
  // The header first: it says how long the payload is, so at most that much more
  // (and one byte, to see trailing garbage) is read. A file that is not a model, or
  // /dev/zero, is turned down after 28 bytes instead of being read into memory.
  absl::StatusOr<std::string> read = internal::ReadModelFileBytes(
      [&](char* buffer, size_t size) -> absl::StatusOr<size_t> {
        const size_t n = std::fread(buffer, 1, size, file.get());
        if (n < size && std::ferror(file.get())) {  // a directory, an I/O error
          const int err = errno;
          return absl::Status(
              internal::ErrnoCode(err),
              absl::StrCat(p, ": cannot read model file: ", std::strerror(err)));
        }
        return n;
      });
  if (!read.ok()) return read.status();
  const std::string& bytes = *read;
  auto classifier = FromBytes(bytes);
  if (!classifier.ok()) {
    return absl::Status(classifier.status().code(),
                        absl::StrCat(p, ": ", classifier.status().message()));
  }
  return classifier;
}

}  // namespace groupguard
