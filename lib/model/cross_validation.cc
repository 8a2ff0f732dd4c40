// CrossValidate(): k-fold cross-validation of trainer options, for choosing them.
#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <new>
#include <string>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "groupguard/classifier.h"
#include "groupguard/metrics.h"
#include "groupguard/tokenizer.h"
#include "groupguard/trainer.h"
#include "model/split.h"

namespace groupguard {
namespace {

constexpr uint64_t kFoldSalt = 0xF01D'5EED'2C4B'7A93ULL;

// fold[r][i]: the fold of posts[i] in repeat r. Groups of equal token sequences are
// labeled by their majority, ordered per label by a seeded hash and dealt round
// robin, so each fold gets an equal share of each label's groups.
absl::StatusOr<std::vector<std::vector<uint8_t>>> AssignFolds(
    absl::Span<const LabeledPost> posts, const TokenizerOptions& tokenizer_options,
    const CrossValidationOptions& cv) {
  absl::StatusOr<Tokenizer> tokenizer = Tokenizer::Create(tokenizer_options);
  if (!tokenizer.ok()) return tokenizer.status();
  std::vector<uint64_t> group_of(posts.size());
  std::unordered_map<uint64_t, internal::GroupCounts> groups;
  Tokenization tokens;
  std::string scratch;
  for (size_t i = 0; i < posts.size(); ++i) {
    tokenizer->Tokenize(posts[i].text, &tokens);
    group_of[i] = internal::NearDuplicateKey(tokens, &scratch);
    internal::GroupCounts& g = groups[group_of[i]];
    ++g.posts;
    g.spam += posts[i].is_spam;
  }
  std::array<size_t, 2> distinct = {0, 0};  // [ham, spam]
  for (const auto& [key, g] : groups) ++distinct[2 * g.spam >= g.posts];
  for (int label = 0; label < 2; ++label) {
    if (distinct[label] < static_cast<size_t>(cv.folds)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "cross-validation with ", cv.folds, " folds needs at least ", cv.folds,
          " distinct ", label ? "spam" : "ham", " texts; there are ", distinct[label]));
    }
  }
  std::vector<std::vector<uint8_t>> fold(cv.repeats);
  for (int r = 0; r < cv.repeats; ++r) {
    const uint64_t seed = cv.seed ^ (kFoldSalt * static_cast<uint64_t>(r + 1));
    std::unordered_map<uint64_t, uint8_t> fold_of_group;
    for (const std::vector<uint64_t>& keys : internal::GroupsByLabel(groups, seed)) {
      for (size_t j = 0; j < keys.size(); ++j) {
        fold_of_group[keys[j]] = static_cast<uint8_t>(j % cv.folds);
      }
    }
    fold[r].resize(posts.size());
    for (size_t i = 0; i < posts.size(); ++i) fold[r][i] = fold_of_group[group_of[i]];
  }
  return fold;
}

struct FoldScore {
  double roc_auc = 0;
  double caught = 0;
};

absl::StatusOr<FoldScore> ScoreFold(absl::Span<const LabeledPost> posts,
                                    const std::vector<uint8_t>& fold, int k,
                                    const TrainerOptions& options) {
  absl::StatusOr<std::unique_ptr<Trainer>> trainer = Trainer::Create(options);
  if (!trainer.ok()) return trainer.status();
  for (size_t i = 0; i < posts.size(); ++i) {
    if (fold[i] != k) (*trainer)->Add(posts[i].text, posts[i].is_spam);
  }
  absl::StatusOr<TrainedModel> model = (*trainer)->Train();
  if (!model.ok()) return model.status();
  trainer->reset();  // its features are no longer needed
  absl::StatusOr<std::unique_ptr<Classifier>> classifier =
      Classifier::FromBytes(model->bytes);
  if (!classifier.ok()) return classifier.status();
  std::vector<double> probabilities;
  std::unique_ptr<bool[]> labels(new bool[posts.size()]);  // not vector<bool>: a Span
  size_t n = 0;
  for (size_t i = 0; i < posts.size(); ++i) {
    if (fold[i] != k) continue;
    probabilities.push_back((*classifier)->SpamProbability(posts[i].text));
    labels[n++] = posts[i].is_spam;
  }
  const absl::Span<const bool> is_spam(labels.get(), n);
  FoldScore out;
  out.roc_auc = RocAuc(probabilities, is_spam);
  out.caught = SpamCaughtAtHamBlocked(probabilities, is_spam, 0.01);
  return out;
}

}  // namespace

absl::StatusOr<CrossValidationResult> CrossValidate(absl::Span<const LabeledPost> posts,
                                                    const TrainerOptions& options,
                                                    const CrossValidationOptions& cv) {
  if (cv.folds < 2 || cv.folds > 50) {
    return absl::InvalidArgumentError(
        absl::StrCat("cross-validation folds ", cv.folds, " out of range 2..50"));
  }
  if (cv.repeats < 1 || cv.repeats > 20) {
    return absl::InvalidArgumentError(
        absl::StrCat("cross-validation repeats ", cv.repeats, " out of range 1..20"));
  }
  if (cv.threads < 1 || cv.threads > CrossValidationOptions::kMaxThreads) {
    return absl::InvalidArgumentError(absl::StrCat("cross-validation threads ",
                                                   cv.threads, " out of range 1..",
                                                   CrossValidationOptions::kMaxThreads));
  }
  // Bad options fail here once, not in every fold.
  absl::StatusOr<std::unique_ptr<Trainer>> check = Trainer::Create(options);
  if (!check.ok()) return check.status();
  check->reset();

  absl::StatusOr<std::vector<std::vector<uint8_t>>> fold =
      AssignFolds(posts, options.tokenizer, cv);
  if (!fold.ok()) return fold.status();

  const int tasks = cv.repeats * cv.folds;
  std::vector<absl::StatusOr<FoldScore>> scores(tasks);
  std::atomic<int> next{0};
  auto work = [&] {
    for (int t = next++; t < tasks; t = next++) {
      // Out of memory in a fold is that fold's error: thrown on a worker thread (or
      // past the started ones, unjoined) it would end the process. So is the
      // message's own allocation, when memory stays out: then the error has none.
      try {
        scores[t] = ScoreFold(posts, (*fold)[t / cv.folds], t % cv.folds, options);
      } catch (const std::bad_alloc&) {
        try {
          scores[t] = absl::ResourceExhaustedError(
              absl::StrCat("out of memory training fold ", t % cv.folds + 1, " of ",
                           cv.folds, " (repeat ", t / cv.folds + 1, ")"));
        } catch (const std::bad_alloc&) {
          scores[t] = absl::Status(absl::StatusCode::kResourceExhausted, "");
        }
      }
    }
  };
  CrossValidationResult result;
  std::vector<std::thread> threads;
  for (int i = 1; i < std::min(cv.threads, tasks); ++i) {
    // A thread that cannot be started (out of threads or memory) throws, which must
    // not leave this call (nor destroy the started ones unjoined: std::terminate).
    // The ones started and this one take its share of the tasks.
    // Why, for the caller's note; left empty when memory stays out.
    const auto note = [&result](const char* why) {
      try {
        result.threads_error = why;
      } catch (const std::bad_alloc&) {
      }
    };
    try {
      threads.emplace_back(work);
    } catch (const std::system_error& e) {
      note(e.what());
      break;
    } catch (const std::bad_alloc& e) {
      note(e.what());
      break;
    }
  }
  result.threads = static_cast<int>(threads.size()) + 1;
  work();
  for (std::thread& t : threads) t.join();

  for (const absl::StatusOr<FoldScore>& s : scores) {
    if (!s.ok()) return s.status();
    result.fold_roc_auc.push_back(s->roc_auc);
    result.roc_auc += s->roc_auc / tasks;
    result.spam_caught_at_1pct_ham_blocked += s->caught / tasks;
  }
  return result;
}

}  // namespace groupguard
