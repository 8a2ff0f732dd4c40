// Throughput of Tokenizer::Tokenize on short (84 B), medium (~1 KB) and long
// (~20 KB) posts, ASCII and non-ASCII, with a warm Tokenization (the steady state of
// a scoring thread). Release builds only.
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "groupguard/tokenizer.h"

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

void BM_Tokenize(benchmark::State& state, int which) {
  const Tokenizer tokenizer = Tokenizer::Create(TokenizerOptions()).value();
  const std::string& text = Text(which);
  Tokenization t;
  tokenizer.Tokenize(text, &t);  // warm the buffers
  size_t tokens = 0;
  for (auto _ : state) {
    tokenizer.Tokenize(text, &t);
    tokens += t.tokens().size();
    benchmark::DoNotOptimize(t.tokens().data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.counters["bytes"] = static_cast<double>(text.size());
  state.counters["tokens"] = static_cast<double>(tokens) / state.iterations();
}

void BM_Tokenize_Short_Ascii(benchmark::State& s) { BM_Tokenize(s, 0); }
void BM_Tokenize_Medium_Ascii(benchmark::State& s) { BM_Tokenize(s, 1); }
void BM_Tokenize_Long_Ascii(benchmark::State& s) { BM_Tokenize(s, 2); }
void BM_Tokenize_Short_NonAscii(benchmark::State& s) { BM_Tokenize(s, 3); }
void BM_Tokenize_Medium_NonAscii(benchmark::State& s) { BM_Tokenize(s, 4); }
void BM_Tokenize_Long_NonAscii(benchmark::State& s) { BM_Tokenize(s, 5); }

BENCHMARK(BM_Tokenize_Short_Ascii);
BENCHMARK(BM_Tokenize_Medium_Ascii);
BENCHMARK(BM_Tokenize_Long_Ascii);
BENCHMARK(BM_Tokenize_Short_NonAscii);
BENCHMARK(BM_Tokenize_Medium_NonAscii);
BENCHMARK(BM_Tokenize_Long_NonAscii);

}  // namespace
}  // namespace groupguard

BENCHMARK_MAIN();
