#ifndef GROUPGUARD_TESTS_MODEL_TEST_CORPUS_H_
#define GROUPGUARD_TESTS_MODEL_TEST_CORPUS_H_

// A small deterministic labeled corpus for model tests that do not need real data.

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "groupguard/trainer.h"

namespace groupguard::testing {

struct LabeledText {
  std::string text;
  bool is_spam;
};

// `n` posts, every third one spam. Spam talks about prizes, cash and links; ham about
// meetings and family. A few words appear in both classes.
inline std::vector<LabeledText> SyntheticCorpus(int n) {
  static const char* const kSpamWords[] = {"win",   "free",   "prize",  "cash",
                                           "click", "offer",  "urgent", "claim",
                                           "bonus", "winner", "credit", "cheap"};
  static const char* const kHamWords[] = {"lunch",  "meeting", "tomorrow", "mom",
                                          "dinner", "home",    "thanks",   "later",
                                          "class",  "weekend", "call",     "sorry"};
  static const char* const kShared[] = {"today", "you", "now", "the", "see"};
  std::vector<LabeledText> corpus;
  uint64_t state = 12345;
  auto next = [&state](int mod) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<int>((state >> 33) % static_cast<uint64_t>(mod));
  };
  for (int i = 0; i < n; ++i) {
    const bool spam = i % 3 == 0;
    std::string text;
    const int words = 4 + next(8);
    for (int w = 0; w < words; ++w) {
      const int r = next(10);
      const char* word =
          r < 2 ? kShared[next(5)]
                : (spam != (r == 2) ? kSpamWords[next(12)] : kHamWords[next(12)]);
      absl::StrAppend(&text, w == 0 ? "" : " ", word);
    }
    absl::StrAppend(&text, " ", i);  // every text distinct
    corpus.push_back({std::move(text), spam});
  }
  return corpus;
}

// Trains a model of `type` on SyntheticCorpus(n) and returns the model file.
inline TrainedModel TrainSynthetic(ModelType type, int n = 300,
                                   TrainerOptions options = TrainerOptions()) {
  options.model_type = type;
  options.date = "2026-11-25";
  options.data_sources = {"synthetic"};
  auto trainer = Trainer::Create(options);
  if (!trainer.ok()) return TrainedModel();
  for (const LabeledText& post : SyntheticCorpus(n))
    (*trainer)->Add(post.text, post.is_spam);
  auto model = (*trainer)->Train();
  return model.ok() ? *std::move(model) : TrainedModel();
}

}  // namespace groupguard::testing

#endif  // GROUPGUARD_TESTS_MODEL_TEST_CORPUS_H_
