#ifndef GROUPGUARD_CLASSIFIER_H_
#define GROUPGUARD_CLASSIFIER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "groupguard/features.h"
#include "groupguard/metrics.h"
#include "groupguard/tokenizer.h"

namespace groupguard {

// The three-way verdict on a post.
enum class Label : uint8_t { kHam = 0, kUnsure = 1, kSpam = 2 };

// Returns "ham", "unsure" or "spam".
absl::string_view LabelName(Label label);

// One feature that moved a score, with the places in the text it came from.
struct Clue {
  std::string feature;  // readable: "free", "free prize", "host:bit.ly"
  double weight = 0;    // contribution to the log-odds of spam (> 0 spammy)
  // Byte spans [begin, end), sorted; empty when asked for without them
  // (ScoreOptions::clue_spans false).
  std::vector<std::pair<uint32_t, uint32_t>> spans;
};

struct Verdict {
  double spam_probability = 0;  // calibrated P(spam), in [0, 1]
  Label label = Label::kHam;
  std::vector<Clue> clues;  // strongest first; empty unless asked for
};

struct ScoreOptions {
  int max_clues = 0;  // how many clues to return; 0..1000 (values outside are clamped)
  // Whether the clues carry their places (Clue::spans). False leaves every clue's
  // spans empty and spares finding them, most of the work and memory of clues on
  // a long post; names, weights and order are the same.
  bool clue_spans = true;
};

// What a model file says about itself, for `groupguard inspect` and model cards.
struct ModelInfo {
  uint32_t format_version = 0;  // of the model file
  std::string model_type;       // "naive_bayes", "logistic" or "ensemble"
  TokenizerOptions tokenizer;
  FeatureOptions features;
  double unsure_threshold = 0;
  double spam_threshold = 0;
  // The blocked-ham rates on the validation split the thresholds were chosen for.
  double unsure_target_ham_rate = 0;
  double spam_target_ham_rate = 0;
  // P(spam) = 1 / (1 + exp(-(calibration_a * score + calibration_b))).
  double calibration_a = 0;
  double calibration_b = 0;
  // The raw score's constant part; logit(P) = calibration_a * bias + calibration_b
  // + the sum of all clue weights.
  double bias = 0;
  // Training metadata, as given to the Trainer.
  std::string date;                       // caller-supplied, e.g. "2026-11-25"
  std::vector<std::string> data_sources;  // e.g. file names of the training dumps
  std::string description;
  std::string library_version;  // groupguard version that wrote the file
  std::string hyperparameters;  // readable, e.g. "l2=1e-05 iterations=87"
  int64_t train_posts = 0;
  int64_t train_spam = 0;
  int64_t validation_posts = 0;
  int64_t validation_spam = 0;
  BinaryMetrics train_metrics;       // at the thresholds above
  BinaryMetrics validation_metrics;  // at the thresholds above
  // Size of the model file, and buckets whose weight is not zero.
  int64_t file_bytes = 0;
  int64_t nonzero_weights = 0;
};

// Scores posts with a trained model (naive Bayes, logistic, or their ensemble) and
// the tokenizer, features and thresholds saved with it. Immutable after loading:
// Score() may be called from any number of threads at once. Per-call scratch is
// thread-local, so a warm thread scores without allocating (except for clues).
// To swap in a retrained model, load it and swap the pointer; this one is unchanged.
class Classifier {
 public:
  virtual ~Classifier() = default;

  // Loads a model file. Returns kNotFound if it cannot be opened, kDataLoss for a
  // truncated or corrupt file, kInvalidArgument for an empty path or a file that is
  // not a groupguard model, kFailedPrecondition for a model written by a newer format
  // version.
  static absl::StatusOr<std::unique_ptr<Classifier>> Load(absl::string_view path);
  // Same, from the bytes of a model file.
  static absl::StatusOr<std::unique_ptr<Classifier>> FromBytes(absl::string_view bytes);

  // Scores any bytes; never fails. "" scores the model's prior.
  virtual Verdict Score(absl::string_view text, const ScoreOptions& options) const = 0;
  Verdict Score(absl::string_view text) const { return Score(text, ScoreOptions()); }

  // The calibrated P(spam) alone: the fast path.
  virtual double SpamProbability(absl::string_view text) const = 0;

  // Maps a probability to a verdict with the model's thresholds.
  virtual Label LabelFor(double spam_probability) const = 0;
  // P(spam) at or above which a post is "unsure", and "spam".
  virtual double unsure_threshold() const = 0;
  virtual double spam_threshold() const = 0;

  // The model's metadata and configuration.
  virtual const ModelInfo& info() const = 0;
};

}  // namespace groupguard

#endif  // GROUPGUARD_CLASSIFIER_H_
