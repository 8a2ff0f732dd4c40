// Throughput of normalization (internal::Normalize, the folding step) and of
// Tokenizer::Tokenize (which includes it) on short (84 B), medium (~1 KB) and long
// (~20 KB) posts, ASCII and non-ASCII, with warm buffers (the steady state of a
// scoring thread). One text repeated lets the branch predictor learn it, so the
// "Corpus" variants cycle through every sms and youtube text of GROUPGUARD_DATA_DIR
// (the mix of the end-to-end dump, bench/make_speed_dump.py). Release builds only.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "groupguard/post_reader.h"
#include "groupguard/tokenizer.h"
#include "text/normalizer.h"

namespace groupguard {
namespace {

// 84 bytes, the average post of the end-to-end dump.
constexpr char kShortAscii[] =
    "WINNER!! As a valued customer you have been selected to receive a 900 prize rewards!";
// Russian, with a URL, the shape of the tgspam set.
constexpr char kShortNonAscii[] = "Привет! Заработок от 5000 руб в день, пиши в лс t.me/job";

std::string Repeat(absl::string_view sentences, size_t size) {
  std::string out;
  while (out.size() < size) {
    out.append(sentences.data(), sentences.size());
    out.push_back(' ');
  }
  return out;
}

const std::string& Text(int which) {
  static const std::vector<std::string>* texts = [] {
    const char* ascii_sentences =
        "Hi there, are we still on for lunch tomorrow? I'll call you later tonight. "
        "Free entry in 2 a wkly comp to win FA Cup final tkts 21st May 2005. Text FA "
        "to 87121 to receive entry question (std txt rate) T&C's apply 08452810075. "
        "Check out my channel http://www.youtube.com/watch?v=abc123 subscribe!! ";
    const char* other_sentences =
        "Привет, дорогие! Наблюдая за ростом популярности маркетинга — волей-неволей "
        "веришь в его силу. Пишите @manager, доход от 100$ в день 💰💰 "
        "Ｆｒｅｅ ｍｏｎｅｙ at bit.ly/xyz café naïve 東京 ";
    return new std::vector<std::string>{
        kShortAscii,
        Repeat(ascii_sentences, 1000),
        Repeat(ascii_sentences, 20000),
        kShortNonAscii,
        Repeat(other_sentences, 1000),
        Repeat(other_sentences, 20000),
    };
  }();
  return (*texts)[which];
}

// Every sms and youtube text, in file order.
const std::vector<std::string>& CorpusTexts() {
  static const std::vector<std::string>* texts = [] {
    auto* out = new std::vector<std::string>();
    for (const char* name : {"sms", "youtube"}) {
      auto posts =
          ReadPosts(absl::StrCat(GROUPGUARD_DATA_DIR, "/jsonl/", name, ".jsonl"));
      if (!posts.ok()) {
        std::fprintf(stderr, "%s\n", posts.status().ToString().c_str());
        std::exit(1);
      }
      for (Post& post : *posts) out->push_back(std::move(post.text));
    }
    return out;
  }();
  return *texts;
}

// The texts a benchmark cycles through: one of Text(), or (kCorpus) CorpusTexts().
constexpr int kCorpus = -1;
std::vector<absl::string_view> TextsFor(int which) {
  if (which != kCorpus) return {Text(which)};
  return std::vector<absl::string_view>(CorpusTexts().begin(), CorpusTexts().end());
}

void BM_Normalize(benchmark::State& state, int which) {
  const std::vector<absl::string_view> texts = TextsFor(which);
  std::string folded;
  std::vector<uint32_t> begins, ends;
  const internal::NormalizeBuffers buffers{&folded, &begins, &ends};
  internal::NormalizeStats stats;
  for (absl::string_view text : texts) {  // warm the buffers
    internal::Normalize(text, /*decode_html=*/true, TokenizerOptions().max_input_bytes,
                        buffers, &stats);
  }
  size_t i = 0;
  int64_t bytes = 0;
  for (auto _ : state) {
    const absl::string_view text = texts[i];
    if (++i == texts.size()) i = 0;
    internal::Normalize(text, /*decode_html=*/true, TokenizerOptions().max_input_bytes,
                        buffers, &stats);
    benchmark::DoNotOptimize(stats.folded_size);
    bytes += static_cast<int64_t>(text.size());
  }
  state.SetBytesProcessed(bytes);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}

BENCHMARK_CAPTURE(BM_Normalize, Short_Ascii, 0);
BENCHMARK_CAPTURE(BM_Normalize, Medium_Ascii, 1);
BENCHMARK_CAPTURE(BM_Normalize, Long_Ascii, 2);
BENCHMARK_CAPTURE(BM_Normalize, Short_NonAscii, 3);
BENCHMARK_CAPTURE(BM_Normalize, Medium_NonAscii, 4);
BENCHMARK_CAPTURE(BM_Normalize, Long_NonAscii, 5);
BENCHMARK_CAPTURE(BM_Normalize, Corpus, kCorpus);

void BM_Tokenize(benchmark::State& state, int which) {
  const Tokenizer tokenizer = Tokenizer::Create(TokenizerOptions()).value();
  const std::vector<absl::string_view> texts = TextsFor(which);
  Tokenization t;
  for (absl::string_view text : texts) tokenizer.Tokenize(text, &t);  // warm the buffers
  size_t i = 0;
  int64_t bytes = 0;
  size_t tokens = 0;
  for (auto _ : state) {
    const absl::string_view text = texts[i];
    if (++i == texts.size()) i = 0;
    tokenizer.Tokenize(text, &t);
    tokens += t.tokens().size();
    benchmark::DoNotOptimize(t.tokens().data());
    bytes += static_cast<int64_t>(text.size());
  }
  state.SetBytesProcessed(bytes);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.counters["bytes"] = static_cast<double>(bytes) / state.iterations();
  state.counters["tokens"] = static_cast<double>(tokens) / state.iterations();
}

BENCHMARK_CAPTURE(BM_Tokenize, Short_Ascii, 0);
BENCHMARK_CAPTURE(BM_Tokenize, Medium_Ascii, 1);
BENCHMARK_CAPTURE(BM_Tokenize, Long_Ascii, 2);
BENCHMARK_CAPTURE(BM_Tokenize, Short_NonAscii, 3);
BENCHMARK_CAPTURE(BM_Tokenize, Medium_NonAscii, 4);
BENCHMARK_CAPTURE(BM_Tokenize, Long_NonAscii, 5);
BENCHMARK_CAPTURE(BM_Tokenize, Corpus, kCorpus);

}  // namespace
}  // namespace groupguard

BENCHMARK_MAIN();
