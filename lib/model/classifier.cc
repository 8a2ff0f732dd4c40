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

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "model/classifier_impl.h"
#include "model/features.h"
#include "model/model_file.h"
#include "text/tokenization_access.h"
#include "util/file_util.h"
#include "util/status_macros.h"

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

Tokenization& ThreadTokenization() {
  thread_local Tokenization tokenization;
  return tokenization;
}

BucketSet& ThreadBucketSet() {
  thread_local BucketSet set;
  return set;
}

// The binary-feature set of a post with many features (see BucketBitmap).
BucketBitmap& ThreadBucketBitmap() {
  thread_local BucketBitmap bitmap;
  return bitmap;
}

// The scoring loop's buckets of up to kTokensAPart tokens of a post (kept at its
// high-water size: at most 128 KiB and 4 bytes).
constexpr size_t kTokensAPart = size_t{16} << 10;
std::vector<uint32_t>& ThreadBuckets() {
  thread_local std::vector<uint32_t> buckets;
  return buckets;
}

struct Occurrence {
  uint32_t bucket;
  bool counted;  // false for a repeat under binary features
  FeatureSource source;
};

// The explaining path's features of one post (kept at its high-water size).
std::vector<Occurrence>& ThreadOccurrences() {
  thread_local std::vector<Occurrence> occurrences;
  return occurrences;
}

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
  std::vector<Occurrence>().swap(ThreadOccurrences());
}

}  // namespace

size_t ThreadScratchBytes() {
  return TokenizationAccess::HeldBytes(ThreadTokenization()) +
         ThreadBucketSet().HeldBytes() + ThreadBucketBitmap().HeldBytes() +
         ThreadBuckets().capacity() * sizeof(uint32_t) +
         ThreadOccurrences().capacity() * sizeof(Occurrence);
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
  c->table_ = std::make_unique<WeightTable>(c->hasher_.num_buckets(), lists);
#if defined(__x86_64__) || defined(__i386__)
  c->hardware_popcount_ = __builtin_cpu_supports("popcnt");
#endif
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
    BucketSet::Inserter seen = ThreadBucketSet().ClearForInserts(distinct);
    // Two passes, the hashes into a buffer (of at most 2 * kTokensAPart + 1
    // buckets), then the look-ups: each loop has the registers it needs (one loop
    // doing both kept a dozen values on the stack).
    std::vector<uint32_t>& buckets = ThreadBuckets();
    if (buckets.size() < max_features) buckets.resize(max_features);
    uint32_t* const first = buckets.data();
    uint32_t* last = first;
    hasher.ForEachBucket(tokens.tokens(), text_of,
                         [&last](uint32_t bucket) { *last++ = bucket; });
    for (const uint32_t* b = first; b != last; ++b) add(*b, seen);
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
#if defined(__x86_64__) || defined(__i386__)
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
  uint32_t count;
  if (hardware_popcount_) {
    count = stride_ == 1 ? SumWeightsHardwarePopCount<1>(hasher_, *table_, tokens, sums)
                         : SumWeightsHardwarePopCount<2>(hasher_, *table_, tokens, sums);
  } else {
    count = stride_ == 1 ? SumWeights<1, false>(hasher_, *table_, tokens, sums)
                         : SumWeights<2, false>(hasher_, *table_, tokens, sums);
  }
  return CombineRawScore(components_, sums, count);
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

  // The explaining path: the same features in the same order (so the same sum),
  // remembering where each came from.
  std::vector<Occurrence>& occurrences = ThreadOccurrences();
  occurrences.clear();
  const auto text_of = [&](const Token& t) { return tokens.text(t); };
  double sums[2] = {0, 0};
  uint32_t count = 0;
  const bool binary = hasher_.options().binary;
  BucketSet& seen = ThreadBucketSet();
  seen.Clear();
  hasher_.ForEach(tokens.tokens(), text_of,
                  [&](uint32_t bucket, const FeatureSource& source) {
                    const bool counted = !binary || seen.Insert(bucket);
                    if (counted) {
                      if (const float* w = table_->Find(bucket)) {
                        for (size_t k = 0; k < stride_; ++k) sums[k] += w[k];
                      }
                      ++count;
                    }
                    occurrences.push_back({bucket, counted, source});
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
  const absl::Span<const Token> all = tokens.tokens();
  absl::flat_hash_map<std::string, size_t> index;
  std::vector<Clue> clues;
  for (const Occurrence& o : occurrences) {
    const float* w = table_->Find(o.bucket);
    if (w == nullptr) continue;
    double contribution = 0;
    for (size_t k = 0; k < stride_; ++k) contribution += scale[k] * w[k];
    std::string name = FeatureName(o.source, all, text_of);
    auto [it, inserted] = index.try_emplace(std::move(name), clues.size());
    if (inserted) {
      clues.emplace_back();
      clues.back().feature = it->first;
    }
    Clue& clue = clues[it->second];
    if (o.counted) clue.weight += contribution;
    switch (o.source.type) {
      case FeatureType::kBigram:
        clue.spans.emplace_back(all[o.source.token].begin, all[o.source.token].end);
        clue.spans.emplace_back(all[o.source.token2].begin, all[o.source.token2].end);
        break;
      case FeatureType::kUnigram:
      case FeatureType::kCharNgram:
        clue.spans.emplace_back(all[o.source.token].begin, all[o.source.token].end);
        break;
      case FeatureType::kLength:
        break;
    }
  }
  for (Clue& clue : clues) {
    std::sort(clue.spans.begin(), clue.spans.end());
    clue.spans.erase(std::unique(clue.spans.begin(), clue.spans.end()), clue.spans.end());
  }
  std::sort(clues.begin(), clues.end(), [](const Clue& a, const Clue& b) {
    const double wa = std::fabs(a.weight), wb = std::fabs(b.weight);
    if (wa != wb) return wa > wb;
    return a.feature < b.feature;
  });
  if (clues.size() > static_cast<size_t>(max_clues)) clues.resize(max_clues);
  verdict.clues = std::move(clues);
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
  std::string bytes;
  uint64_t limit = internal::kModelHeaderSize;
  char buffer[1 << 16];
  for (;;) {
    const size_t want =
        static_cast<size_t>(std::min<uint64_t>(sizeof(buffer), limit - bytes.size()));
    const size_t n = want == 0 ? 0 : std::fread(buffer, 1, want, file.get());
    if (n < want && std::ferror(file.get())) {  // a directory, an I/O error
      const int err = errno;
      return absl::Status(
          internal::ErrnoCode(err),
          absl::StrCat(p, ": cannot read model file: ", std::strerror(err)));
    }
    bytes.append(buffer, n);
    if (n == 0 || n < want) break;
    if (bytes.size() == internal::kModelHeaderSize &&
        absl::string_view(bytes).substr(0, internal::kModelMagic.size()) ==
            internal::kModelMagic) {
      uint64_t payload_size = 0;
      for (int i = 0; i < 8; ++i) {
        payload_size |= uint64_t{static_cast<unsigned char>(bytes[12 + i])} << (8 * i);
      }
      // A larger claim is left for DecodeModelFile to report.
      if (payload_size <= internal::kMaxModelPayloadSize) limit += payload_size + 1;
    }
  }
  auto classifier = FromBytes(bytes);
  if (!classifier.ok()) {
    return absl::Status(classifier.status().code(),
                        absl::StrCat(p, ": ", classifier.status().message()));
  }
  return classifier;
}

}  // namespace groupguard
