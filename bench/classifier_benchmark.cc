// Classifier benchmarks (Release builds only): scoring with each model type (naive
// Bayes, logistic, and their ensemble) on short
// (~80 B), medium (~1 KB) and long (~20 KB) posts, ASCII and non-ASCII, the
// explaining path, weight tables of 2^18 / 2^20 / 2^22 buckets, and model loading.
//
// Models are trained at start-up on the sms + youtube + tgspam train splits of
// GROUPGUARD_DATA_DIR; posts are the texts of the test splits, cycled so the branch
// predictor cannot learn one post.

#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "groupguard/classifier.h"
#include "groupguard/post_reader.h"
#include "groupguard/trainer.h"

namespace groupguard {
namespace {

std::vector<Post> ReadSplit(const std::string& name) {
  auto posts = ReadPosts(absl::StrCat(GROUPGUARD_DATA_DIR, "/jsonl/", name, ".jsonl"));
  if (!posts.ok()) {
    std::fprintf(stderr, "%s\n", posts.status().ToString().c_str());
    std::exit(1);
  }
  return *std::move(posts);
}

const std::vector<Post>& TrainPosts() {
  static const auto* posts = [] {
    auto* all = new std::vector<Post>();
    for (const char* name : {"sms.train", "youtube.train", "tgspam.train"}) {
      for (Post& p : ReadSplit(name)) all->push_back(std::move(p));
    }
    return all;
  }();
  return *posts;
}

// Model file bytes per (type, hash bits), trained once.
const std::string& ModelBytes(ModelType type, int bits) {
  static auto* cache = new std::map<std::pair<ModelType, int>, std::string>();
  auto it = cache->find({type, bits});
  if (it != cache->end()) return it->second;
  TrainerOptions options;
  options.model_type = type;
  options.features.hash_bits = bits;
  auto trainer = Trainer::Create(options);
  if (!trainer.ok()) std::exit(1);
  for (const Post& p : TrainPosts()) (*trainer)->Add(p.text, p.is_spam.value_or(false));
  auto model = (*trainer)->Train();
  if (!model.ok()) {
    std::fprintf(stderr, "%s\n", model.status().ToString().c_str());
    std::exit(1);
  }
  return (*cache)[{type, bits}] = model->bytes;
}

const Classifier& GetClassifier(ModelType type, int bits = 20) {
  static auto* cache =
      new std::map<std::pair<ModelType, int>, std::unique_ptr<Classifier>>();
  auto& slot = (*cache)[{type, bits}];
  if (slot == nullptr) {
    auto c = Classifier::FromBytes(ModelBytes(type, bits));
    if (!c.ok()) std::exit(1);
    slot = *std::move(c);
  }
  return *slot;
}

// The shipped default model (models/default.ggm), as `groupguard score` uses it.
const Classifier& DefaultClassifier() {
  static const Classifier* classifier = [] {
    auto c = Classifier::Load(absl::StrCat(GROUPGUARD_SOURCE_DIR, "/models/default.ggm"));
    if (!c.ok()) {
      std::fprintf(stderr, "%s\n", c.status().ToString().c_str());
      std::exit(1);
    }
    return c->release();
  }();
  return *classifier;
}

// kDump: every sms and youtube text (all splits), the mix of the end-to-end dump
// (bench/make_speed_dump.py).
enum class Size { kShort, kMedium, kLong, kNonAscii, kDump };

// Test-split texts shaped to a size: short ones as they are (sms + youtube, ~80 B on
// average), medium ones joined to ~1 KB, long ones to ~20 KB; non-ASCII: tgspam
// (mostly Cyrillic) texts as they are.
const std::vector<std::string>& Texts(Size size) {
  static auto* cache = new std::map<Size, std::vector<std::string>>();
  auto it = cache->find(size);
  if (it != cache->end()) return it->second;
  std::vector<std::string> base;
  if (size == Size::kDump) {
    for (const char* name : {"sms", "youtube"}) {
      for (Post& p : ReadSplit(name)) base.push_back(std::move(p.text));
    }
  } else if (size == Size::kNonAscii) {
    for (Post& p : ReadSplit("tgspam.test")) base.push_back(std::move(p.text));
  } else {
    for (const char* name : {"sms.test", "youtube.test"}) {
      for (Post& p : ReadSplit(name)) {
        if (p.text.size() <= 200) base.push_back(std::move(p.text));
      }
    }
  }
  std::vector<std::string> out;
  const size_t target = size == Size::kMedium ? 1000 : size == Size::kLong ? 20000 : 0;
  if (target == 0) {
    out = std::move(base);
  } else {
    std::string current;
    for (int round = 0; round < 40 && out.size() < 64; ++round) {
      for (size_t i = round; i < base.size() && out.size() < 64; i += 3) {
        absl::StrAppend(&current, current.empty() ? "" : " ", base[i]);
        if (current.size() >= target) out.push_back(std::move(current)), current.clear();
      }
    }
  }
  return (*cache)[size] = std::move(out);
}

void RunScoreWith(benchmark::State& state, const Classifier& classifier, Size size,
                  int clues) {
  const std::vector<std::string>& texts = Texts(size);
  ScoreOptions options;
  options.max_clues = clues;
  size_t i = 0;
  int64_t bytes = 0;
  double sum = 0;
  for (auto _ : state) {
    const std::string& text = texts[i];
    if (++i == texts.size()) i = 0;
    if (clues == 0) {
      sum += classifier.SpamProbability(text);
    } else {
      sum += classifier.Score(text, options).spam_probability;
    }
    bytes += static_cast<int64_t>(text.size());
  }
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(bytes);
}

void RunScore(benchmark::State& state, ModelType type, Size size, int bits, int clues) {
  RunScoreWith(state, GetClassifier(type, bits), size, clues);
}

void BM_Score_NaiveBayes_Short(benchmark::State& s) {
  RunScore(s, ModelType::kNaiveBayes, Size::kShort, static_cast<int>(s.range(0)), 0);
}
void BM_Score_NaiveBayes_Medium(benchmark::State& s) {
  RunScore(s, ModelType::kNaiveBayes, Size::kMedium, 20, 0);
}
void BM_Score_NaiveBayes_Long(benchmark::State& s) {
  RunScore(s, ModelType::kNaiveBayes, Size::kLong, 20, 0);
}
void BM_Score_NaiveBayes_NonAscii(benchmark::State& s) {
  RunScore(s, ModelType::kNaiveBayes, Size::kNonAscii, 20, 0);
}
void BM_Score_Logistic_Short(benchmark::State& s) {
  RunScore(s, ModelType::kLogistic, Size::kShort, static_cast<int>(s.range(0)), 0);
}
void BM_Score_Logistic_Medium(benchmark::State& s) {
  RunScore(s, ModelType::kLogistic, Size::kMedium, 20, 0);
}
void BM_Score_Logistic_Long(benchmark::State& s) {
  RunScore(s, ModelType::kLogistic, Size::kLong, 20, 0);
}
void BM_Score_Logistic_NonAscii(benchmark::State& s) {
  RunScore(s, ModelType::kLogistic, Size::kNonAscii, 20, 0);
}
void BM_Score_Ensemble_Short(benchmark::State& s) {
  RunScore(s, ModelType::kEnsemble, Size::kShort, static_cast<int>(s.range(0)), 0);
}
void BM_Score_Ensemble_Medium(benchmark::State& s) {
  RunScore(s, ModelType::kEnsemble, Size::kMedium, 20, 0);
}
void BM_Score_Ensemble_Long(benchmark::State& s) {
  RunScore(s, ModelType::kEnsemble, Size::kLong, 20, 0);
}
void BM_Score_Ensemble_NonAscii(benchmark::State& s) {
  RunScore(s, ModelType::kEnsemble, Size::kNonAscii, 20, 0);
}
// Score() with the 5 strongest clues: the explaining path.
void BM_Explain_Logistic_Short(benchmark::State& s) {
  RunScore(s, ModelType::kLogistic, Size::kShort, 20, 5);
}

BENCHMARK(BM_Score_NaiveBayes_Short)->Arg(18)->Arg(20)->Arg(22);
BENCHMARK(BM_Score_NaiveBayes_Medium);
BENCHMARK(BM_Score_NaiveBayes_Long);
BENCHMARK(BM_Score_NaiveBayes_NonAscii);
BENCHMARK(BM_Score_Logistic_Short)->Arg(18)->Arg(20)->Arg(22);
BENCHMARK(BM_Score_Logistic_Short)->Arg(20)->ThreadRange(1, 2)->UseRealTime();
BENCHMARK(BM_Score_Logistic_Medium);
BENCHMARK(BM_Score_Logistic_Long);
BENCHMARK(BM_Score_Logistic_NonAscii);
BENCHMARK(BM_Score_Ensemble_Short)->Arg(18)->Arg(20)->Arg(22);
BENCHMARK(BM_Score_Ensemble_Medium);
BENCHMARK(BM_Score_Ensemble_Long);
BENCHMARK(BM_Score_Ensemble_NonAscii);
BENCHMARK(BM_Score_Ensemble_Short)->Arg(20)->ThreadRange(1, 2)->UseRealTime();
BENCHMARK(BM_Explain_Logistic_Short);

// What `groupguard score` does per post of the end-to-end dump, without reading
// and writing: the default model on every sms and youtube text in turn.
void BM_Score_DefaultModel_Dump(benchmark::State& s) {
  RunScoreWith(s, DefaultClassifier(), Size::kDump, 0);
}
BENCHMARK(BM_Score_DefaultModel_Dump);

// Loading a model file from bytes already in memory (parse, check, build the table).
void BM_LoadModel(benchmark::State& state) {
  const std::string& bytes =
      ModelBytes(ModelType::kLogistic, static_cast<int>(state.range(0)));
  for (auto _ : state) {
    auto c = Classifier::FromBytes(bytes);
    if (!c.ok()) state.SkipWithError("load failed");
    benchmark::DoNotOptimize(c);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(bytes.size()));
  state.counters["file_bytes"] = static_cast<double>(bytes.size());
}
BENCHMARK(BM_LoadModel)->Arg(18)->Arg(20)->Arg(22)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace groupguard

BENCHMARK_MAIN();
