// Accuracy evaluation of groupguard's models on the labeled corpora (not a test;
// nothing is timed). For every dataset it trains on the train split and evaluates
// on the test split; then trains on the union of the youtube, sms and tgspam train
// splits and evaluates on the union of their test splits and on all of datacamp
// (never trained on).
//
//   model_accuracy_eval [--tune] [--model=nb|lr|both|all] [--bits=20] [--bigrams=1]
//                       [--chars=0-0] [--l2=1e-4] [--alpha=0.1] [--length=1]
//                       [--data=DIR]
//
// --tune carves a validation split from each train split (a seeded hash of the text,
// 25%) and reports on it instead of the test split, for choosing defaults without
// looking at the test splits.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "groupguard/classifier.h"
#include "groupguard/metrics.h"
#include "groupguard/post_reader.h"
#include "groupguard/trainer.h"
#include "xxhash.h"

namespace {

using groupguard::Post;

struct Flags {
  bool tune = false;
  int show = 0;
  std::string models = "both";
  std::string data = GROUPGUARD_DATA_DIR;
  groupguard::TrainerOptions options;
};

std::vector<Post> Read(const Flags& flags, const std::string& name) {
  auto posts = groupguard::ReadPosts(absl::StrCat(flags.data, "/jsonl/", name, ".jsonl"));
  if (!posts.ok()) {
    std::fprintf(stderr, "%s\n", posts.status().ToString().c_str());
    std::exit(1);
  }
  return *std::move(posts);
}

bool InTuneValidation(const Post& post) {
  return XXH3_64bits_withSeed(post.text.data(), post.text.size(), 20261125) % 4 == 0;
}

struct Split {
  std::vector<Post> train, test;
};

Split Load(const Flags& flags, const std::string& name) {
  Split split;
  std::vector<Post> train = Read(flags, name + ".train");
  if (!flags.tune) {
    split.train = std::move(train);
    split.test = Read(flags, name + ".test");
    return split;
  }
  for (Post& p : train) (InTuneValidation(p) ? split.test : split.train).push_back(p);
  return split;
}

// Trains a model of `type` and returns its P(spam) of every test post.
std::vector<double> TrainAndScore(const Flags& flags, groupguard::ModelType type,
                                  const std::vector<Post>& train,
                                  const std::vector<Post>& test, std::string* note) {
  groupguard::TrainerOptions options = flags.options;
  options.model_type = type;
  auto trainer = groupguard::Trainer::Create(options);
  if (!trainer.ok()) {
    std::fprintf(stderr, "%s\n", trainer.status().ToString().c_str());
    std::exit(2);
  }
  for (const Post& p : train) (*trainer)->Add(p.text, p.is_spam.value_or(false));
  auto model = (*trainer)->Train();
  if (!model.ok()) {
    std::fprintf(stderr, "%s\n", model.status().ToString().c_str());
    std::exit(1);
  }
  auto classifier = groupguard::Classifier::FromBytes(model->bytes);
  if (!classifier.ok()) {
    std::fprintf(stderr, "%s\n", classifier.status().ToString().c_str());
    std::exit(1);
  }
  std::vector<double> p;
  for (const Post& post : test) p.push_back((*classifier)->SpamProbability(post.text));
  *note = absl::StrCat(
      "val_auc=", model->report.validation.roc_auc, " iters=", model->report.iterations,
      " nnz=", (*classifier)->info().nonzero_weights, " bytes=", model->bytes.size());
  return p;
}

void Print(const std::string& label, const std::string& model,
           const std::vector<double>& p, const std::vector<Post>& test,
           const std::string& note) {
  std::unique_ptr<bool[]> y(new bool[test.size()]);
  for (size_t i = 0; i < test.size(); ++i) y[i] = test[i].is_spam.value_or(false);
  auto m = groupguard::Evaluate(p, absl::MakeConstSpan(y.get(), test.size()));
  std::printf("%-22s %-12s %7.4f %7.4f %7.4f   %s\n", label.c_str(), model.c_str(),
              m->roc_auc, m->spam_caught_at_1pct_ham_blocked,
              m->spam_caught_at_0_1pct_ham_blocked, note.c_str());
}

double Logit(double p) {
  p = std::clamp(p, 1e-12, 1 - 1e-12);
  return std::log(p / (1 - p));
}

void Evaluate(const Flags& flags, const std::string& label,
              const std::vector<Post>& train, const std::vector<Post>& test) {
  std::string nb_note, lr_note;
  const std::vector<double> nb =
      TrainAndScore(flags, groupguard::ModelType::kNaiveBayes, train, test, &nb_note);
  const std::vector<double> lr =
      TrainAndScore(flags, groupguard::ModelType::kLogistic, train, test, &lr_note);
  if (flags.show > 0) {  // the highest-scoring ham, for error analysis
    std::vector<std::pair<double, size_t>> ham;
    for (size_t i = 0; i < test.size(); ++i) {
      if (!test[i].is_spam.value_or(false)) ham.emplace_back(-lr[i], i);
    }
    std::sort(ham.begin(), ham.end());
    for (int k = 0; k < flags.show && k < static_cast<int>(ham.size()); ++k) {
      std::printf("  ham p_lr=%.4f p_nb=%.4f %s\n", -ham[k].first, nb[ham[k].second],
                  test[ham[k].second].text.substr(0, 150).c_str());
    }
  }
  if (flags.models != "lr") Print(label, "naive_bayes", nb, test, nb_note);
  if (flags.models != "nb") Print(label, "logistic", lr, test, lr_note);
  if (flags.models == "all") {
    std::string ensemble_note;
    const std::vector<double> ensemble = TrainAndScore(
        flags, groupguard::ModelType::kEnsemble, train, test, &ensemble_note);
    Print(label, "ensemble", ensemble, test, ensemble_note);
  }
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    std::vector<std::string> kv = absl::StrSplit(arg, absl::MaxSplits('=', 1));
    const std::string& key = kv[0];
    const std::string value = kv.size() > 1 ? kv[1] : "";
    groupguard::TrainerOptions& o = flags.options;
    bool ok = true;
    if (key == "--tune") {
      flags.tune = true;
    } else if (key == "--model") {
      flags.models = value;
    } else if (key == "--data") {
      flags.data = value;
    } else if (key == "--bits") {
      ok = absl::SimpleAtoi(value, &o.features.hash_bits);
    } else if (key == "--bigrams") {
      o.features.bigrams = value == "1";
    } else if (key == "--binary") {
      o.features.binary = value == "1";
    } else if (key == "--length") {
      o.features.length_feature = value == "1";
    } else if (key == "--chars") {
      std::vector<std::string> r = absl::StrSplit(value, '-');
      ok = r.size() == 2 && absl::SimpleAtoi(r[0], &o.features.char_ngram_min) &&
           absl::SimpleAtoi(r[1], &o.features.char_ngram_max);
    } else if (key == "--l2") {
      ok = absl::SimpleAtod(value, &o.logistic.l2);
    } else if (key == "--alpha") {
      ok = absl::SimpleAtod(value, &o.naive_bayes.alpha);
    } else if (key == "--normalize") {
      o.logistic.normalize = value == "1";
    } else if (key == "--show") {
      ok = absl::SimpleAtoi(value, &flags.show);
    } else if (key == "--validation") {
      ok = absl::SimpleAtod(value, &o.validation_fraction);
    } else if (key == "--patience") {
      ok = absl::SimpleAtoi(value, &o.logistic.patience);
    } else if (key == "--iterations") {
      ok = absl::SimpleAtoi(value, &o.logistic.max_iterations);
    } else if (key == "--refit") {
      o.refit_on_all = value == "1";
    } else {
      ok = false;
    }
    if (!ok) {
      std::fprintf(stderr, "bad flag %s\n", arg.c_str());
      return 2;
    }
  }

  std::printf("%-22s %-12s %7s %7s %7s\n",
              flags.tune ? "train->validation" : "train->test", "model", "auc", "@1%",
              "@0.1%");
  std::vector<Post> union_train, union_test;
  for (const std::string name : {"sms", "youtube", "tgspam"}) {
    Split split = Load(flags, name);
    Evaluate(flags, name, split.train, split.test);
    union_train.insert(union_train.end(), split.train.begin(), split.train.end());
    union_test.insert(union_test.end(), split.test.begin(), split.test.end());
  }
  Evaluate(flags, "union", union_train, union_test);
  if (!flags.tune) {
    const std::vector<Post> datacamp = Read(flags, "datacamp");
    Evaluate(flags, "union->datacamp(all)", union_train, datacamp);
  }
  return 0;
}
