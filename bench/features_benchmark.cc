// Throughput of feature hashing alone: the tokens of a post (tokenized once, outside
// the timed loop) -> bucket ids, as FeatureHasher::ForEach gives them to the scorer.
// Short (84 B), medium (~1 KB) and non-ASCII posts; word uni+bigrams (the default
// model's shape) and with character 3..5-grams. Items are features, bytes are the
// post's. Release builds only.
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "benchmark/benchmark.h"
#include "groupguard/features.h"
#include "groupguard/tokenizer.h"
#include "model/features.h"

namespace groupguard {
namespace {

constexpr char kShortAscii[] =
    "WINNER!! As a valued customer you have been selected to receive a 900 prize rewards!";
constexpr char kShortNonAscii[] = "Привет! Заработок от 5000 руб в день, пиши в лс t.me/job";

std::string Medium() {
  const absl::string_view sentence =
      "Hi there, are we still on for lunch tomorrow? I'll call you later tonight. "
      "Free entry in 2 a wkly comp to win FA Cup final tkts 21st May 2005. Text FA "
      "to 87121 to receive entry question (std txt rate) T&C's apply 08452810075. "
      "Check out my channel http://www.youtube.com/watch?v=abc123 subscribe!! ";
  std::string out;
  while (out.size() < 1000) out.append(sentence.data(), sentence.size());
  return out;
}

void BM_HashFeatures(benchmark::State& state, absl::string_view text, bool char_ngrams) {
  FeatureOptions options;
  if (char_ngrams) {
    options.char_ngram_min = 3;
    options.char_ngram_max = 5;
  }
  const internal::FeatureHasher hasher = internal::FeatureHasher::Create(options).value();
  const Tokenizer tokenizer = Tokenizer::Create(TokenizerOptions()).value();
  Tokenization tokens;
  tokenizer.Tokenize(text, &tokens);
  const auto text_of = [&](const Token& t) { return tokens.text(t); };
  int64_t features = 0;
  for (auto _ : state) {
    uint32_t mix = 0;
    hasher.ForEach(tokens.tokens(), text_of,
                   [&](uint32_t bucket, const internal::FeatureSource&) {
                     mix ^= bucket;
                     ++features;
                   });
    benchmark::DoNotOptimize(mix);
  }
  state.SetItemsProcessed(features);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(text.size()));
  state.counters["features_per_post"] = benchmark::Counter(
      static_cast<double>(features) / static_cast<double>(state.iterations()));
}

void BM_HashFeatures_Short_Ascii(benchmark::State& s) {
  BM_HashFeatures(s, kShortAscii, false);
}
void BM_HashFeatures_Short_NonAscii(benchmark::State& s) {
  BM_HashFeatures(s, kShortNonAscii, false);
}
void BM_HashFeatures_Medium_Ascii(benchmark::State& s) {
  static const std::string* text = new std::string(Medium());
  BM_HashFeatures(s, *text, false);
}
void BM_HashFeatures_Short_Ascii_CharNgrams(benchmark::State& s) {
  BM_HashFeatures(s, kShortAscii, true);
}
BENCHMARK(BM_HashFeatures_Short_Ascii);
BENCHMARK(BM_HashFeatures_Short_NonAscii);
BENCHMARK(BM_HashFeatures_Medium_Ascii);
BENCHMARK(BM_HashFeatures_Short_Ascii_CharNgrams);

}  // namespace
}  // namespace groupguard

BENCHMARK_MAIN();
