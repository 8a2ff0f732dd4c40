// Differential: the classifier's scoring loop (FeatureHasher::WriteBuckets, its
// bigram hash written out from XXH3 internals, two passes through the BucketSet
// inserter and WeightTable::View) must give what the explaining path gives
// (FeatureHasher::ForEach, BucketSet::Insert, WeightTable::Find). For each input:
//   1. Classifier::SpamProbability(text) equals, to the bit,
//      Score(text, {max_clues = 5}).spam_probability, for a model picked by the
//      first byte out of naive Bayes, logistic and ensemble models trained at start
//      on generated posts (most with 2^10 buckets, so nearly every bucket has a
//      weight and a wrong bucket changes the sum);
//   2. the buckets of WriteBuckets and of ForEach equal those of the documented
//      scheme computed here with the public XXH3_64bits_withSeed (unigram: the
//      token's text under seed ^ KindSalt(kind); bigram: LE64(a) LE64(b) under
//      seed ^ kBigramSalt; length: one byte under seed ^ kLengthSalt), for
//      feature options and seed taken from bytes 1..2.
// Any difference aborts with the details on stderr.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "groupguard/classifier.h"
#include "groupguard/tokenizer.h"
#include "groupguard/trainer.h"
#include "model/features.h"
#include "xxhash.h"

namespace {

using groupguard::Classifier;
using groupguard::ModelType;
using groupguard::Token;
using groupguard::TokenKind;
using groupguard::TrainerOptions;

// Generated posts for training: words, numbers, URLs, e-mail addresses, phone
// numbers, emoji, entities and non-Latin text, so that every token kind gets
// weights. A quarter of a post's pieces come from its class's half of the list.
std::vector<std::pair<std::string, bool>> TrainingPosts() {
  static const char* const kPieces[] = {
      "win",
      "free",
      "prize",
      "cash",
      "click",
      "http://bit.ly/x",
      "www.example.com/path",
      "x@y.com",
      "+44 7700 900123",
      "\xF0\x9F\x98\x80",
      "WINNER!!!",
      "fr33",
      "p\xD0\xB0ypal",
      "$",
      "100 \xE2\x82\xAC",
      "site dot com",
      "1,000.50",
      "&amp;",
      "<b>now</b>",
      "hello",
      "meeting",
      "tomorrow",
      "mom",
      "dinner",
      "thanks",
      "later",
      "\xD0\xBF\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82",
      "\xE6\x9D\xB1\xE4\xBA\xAC",
      "the",
      "you",
      "see",
      "2024-01-15",
      "ok.",
      "e-mail",
      "\xE2\x80\x8B",
      "caf\xC3\xA9",
      "soooooo",
      "call 08712405020",
      "a",
      "is"};
  constexpr size_t kCount = sizeof(kPieces) / sizeof(kPieces[0]);
  constexpr size_t kSpammy = 19;  // kPieces[0, kSpammy) lean spam
  std::vector<std::pair<std::string, bool>> posts;
  uint64_t state = 20261125;
  const auto next = [&state](uint64_t n) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (state >> 33) % n;
  };
  for (int i = 0; i < 600; ++i) {
    const bool spam = i % 3 == 0;
    std::string text;
    for (uint64_t w = 2 + next(14); w > 0; --w) {
      const size_t piece = next(4) == 0
                               ? (spam ? next(kSpammy) : kSpammy + next(kCount - kSpammy))
                               : next(kCount);
      absl::StrAppend(&text, text.empty() ? "" : " ", kPieces[piece]);
    }
    absl::StrAppend(&text, " w", next(500));  // a word of many spellings
    posts.emplace_back(std::move(text), spam);
  }
  return posts;
}

std::unique_ptr<Classifier> Train(ModelType type, TrainerOptions options) {
  options.model_type = type;
  options.date = "2026-11-25";
  auto trainer = groupguard::Trainer::Create(options).value();
  for (const auto& [text, spam] : TrainingPosts()) trainer->Add(text, spam);
  return Classifier::FromBytes(trainer->Train().value().bytes).value();
}

std::vector<std::unique_ptr<Classifier>> Models() {
  std::vector<std::unique_ptr<Classifier>> models;
  TrainerOptions small;
  small.features.hash_bits = 10;
  small.logistic.max_iterations = 50;
  TrainerOptions o = small;
  models.push_back(Train(ModelType::kNaiveBayes, o));  // binary
  o.features.binary = false;
  models.push_back(Train(ModelType::kLogistic, o));
  models.push_back(Train(ModelType::kEnsemble, o));
  o = small;
  models.push_back(Train(ModelType::kEnsemble, o));  // binary
  o.features.unigrams = false;
  models.push_back(Train(ModelType::kEnsemble, o));
  o = small;
  o.features.bigrams = false;
  o.features.length_feature = false;
  o.naive_bayes.tfidf = true;
  models.push_back(Train(ModelType::kNaiveBayes, o));
  o = small;  // char n-grams: both paths go through ForEach
  o.features.hash_bits = 12;
  o.features.char_ngram_min = 2;
  o.features.char_ngram_max = 4;
  models.push_back(Train(ModelType::kEnsemble, o));
  o = TrainerOptions();  // the shipped configuration: 2^20 buckets, sparse
  o.logistic.max_iterations = 50;
  models.push_back(Train(ModelType::kEnsemble, o));
  return models;
}

bool SameBits(double a, double b) { return std::memcmp(&a, &b, sizeof(a)) == 0; }

// The buckets of `tokens` by the scheme documented in model/features.h, from the
// public XXH3 call.
std::vector<uint32_t> ReferenceBuckets(const groupguard::FeatureOptions& o,
                                       const groupguard::Tokenization& t) {
  namespace internal = groupguard::internal;
  const auto bucket = [&o](uint64_t hash) {
    return static_cast<uint32_t>(hash >> (64 - o.hash_bits));
  };
  std::vector<uint32_t> out;
  uint64_t previous = 0;
  bool have_previous = false;
  for (const Token& token : t.tokens()) {
    const absl::string_view text = t.text(token);
    const uint64_t hash = XXH3_64bits_withSeed(
        text.data(), text.size(), o.hash_seed ^ internal::KindSalt(token.kind));
    if (o.unigrams) out.push_back(bucket(hash));
    if (token.kind == TokenKind::kHost || token.kind == TokenKind::kDomain ||
        token.kind == TokenKind::kSignal) {
      continue;
    }
    if (o.bigrams && have_previous) {
      unsigned char pair[16];
      for (int i = 0; i < 8; ++i) {
        pair[i] = static_cast<unsigned char>(previous >> (8 * i));
        pair[8 + i] = static_cast<unsigned char>(hash >> (8 * i));
      }
      out.push_back(bucket(
          XXH3_64bits_withSeed(pair, sizeof(pair), o.hash_seed ^ internal::kBigramSalt)));
    }
    previous = hash;
    have_previous = true;
  }
  if (o.length_feature) {
    unsigned char width = 0;
    for (size_t n = t.tokens().size(); n != 0; n >>= 1) ++width;
    out.push_back(
        bucket(XXH3_64bits_withSeed(&width, 1, o.hash_seed ^ internal::kLengthSalt)));
  }
  return out;
}

[[noreturn]] void Differ(const std::string& what, absl::string_view text) {
  std::fprintf(stderr, "%s\non \"%s\"\n", what.c_str(), absl::CHexEscape(text).c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace internal = groupguard::internal;
  static const auto* const models =
      new std::vector<std::unique_ptr<Classifier>>(Models());
  static const groupguard::Tokenizer* const tokenizer =
      new groupguard::Tokenizer(groupguard::Tokenizer::Create({}).value());
  static groupguard::Tokenization* const tokens = new groupguard::Tokenization;
  if (size < 3) return 0;
  const absl::string_view text(reinterpret_cast<const char*>(data) + 3, size - 3);

  // 1. The scoring loop against the explaining path.
  const size_t m = data[0] % models->size();
  const Classifier& c = *(*models)[m];
  const double fast = c.SpamProbability(text);
  const double explained = c.Score(text, groupguard::ScoreOptions{5}).spam_probability;
  if (!SameBits(fast, explained)) {
    Differ(absl::StrFormat("model %d (%s, %s): SpamProbability %.17g, Score %.17g",
                           static_cast<int>(m), c.info().model_type,
                           c.info().hyperparameters, fast, explained),
           text);
  }

  // 2. Both feature loops against the documented hash scheme.
  groupguard::FeatureOptions o;
  o.hash_bits = 10 + data[1] % 17;  // 10..26
  o.unigrams = (data[1] & 0x20) == 0;
  o.bigrams = (data[1] & 0x40) == 0;
  o.length_feature = (data[1] & 0x80) == 0;
  o.hash_seed ^= uint64_t{data[2]} * 0x9E37'79B9'7F4A'7C15ULL;
  auto hasher = internal::FeatureHasher::Create(o);
  if (!hasher.ok()) return 0;  // no feature enabled
  tokenizer->Tokenize(text, tokens);
  const std::vector<uint32_t> want = ReferenceBuckets(o, *tokens);
  const auto text_of = [](const Token& t) { return tokens->text(t); };
  std::vector<uint32_t> each;
  hasher->ForEach(
      tokens->tokens(), text_of,
      [&each](uint32_t b, const internal::FeatureSource&) { each.push_back(b); });
  std::vector<uint32_t> written(hasher->MaxFeatures(tokens->tokens(), text_of));
  written.resize(hasher->WriteBuckets(tokens->tokens(), text_of, written.data()) -
                 written.data());
  if (each != want || written != want) {
    Differ(absl::StrCat("buckets (hash_bits ", o.hash_bits, " seed ", o.hash_seed,
                        "):\nreference     ", absl::StrJoin(want, " "),
                        "\nForEach       ", absl::StrJoin(each, " "), "\nWriteBuckets  ",
                        absl::StrJoin(written, " ")),
           text);
  }
  return 0;
}
