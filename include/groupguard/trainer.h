#ifndef GROUPGUARD_TRAINER_H_
#define GROUPGUARD_TRAINER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "groupguard/features.h"
#include "groupguard/metrics.h"
#include "groupguard/tokenizer.h"

namespace groupguard {

enum class ModelType : uint8_t {
  kNaiveBayes = 1,  // multinomial naive Bayes; learns and unlearns one post at a time
  kLogistic = 2,    // L2-regularized logistic regression (L-BFGS, early stopping)
  kEnsemble = 3,    // both, their calibrated log-odds averaged (scores as fast: the
                    // two weights of a bucket share a cache line)
};

// Returns "naive_bayes", "logistic" or "ensemble".
absl::string_view ModelTypeName(ModelType type);
// Parses "naive_bayes"/"naive-bayes"/"nb", "logistic"/"logistic_regression"/"lr" or
// "ensemble"/"nb+lr", in any case; kInvalidArgument otherwise.
absl::StatusOr<ModelType> ParseModelType(absl::string_view name);

struct NaiveBayesOptions {
  // Additive (Lidstone) smoothing of the per-class feature counts. > 0, <= 100.
  double alpha = 0.1;
  // Count idf-weighted, length-normalized features (Rennie et al. 2003): each post's
  // counts are scaled by 1/sqrt(number of features) and each feature's by its inverse
  // document frequency on the training posts, and scores are scaled by
  // 1/sqrt(number of features) as logistic's are. Scores as fast. Trains from the
  // posts held at Train() (Remove() still works). Off by default: it ranks better on
  // the sms, youtube and tgspam splits but worse out of domain (datacamp); see the
  // model card.
  bool tfidf = false;
};

struct LogisticOptions {
  // L2 penalty on the weights (not the bias), per post: the loss is the mean log
  // loss + l2/2 * |w|^2. 0..10.
  double l2 = 1e-5;
  // L-BFGS iterations at most. 1..10000.
  int max_iterations = 300;
  // Stop when the validation log loss has not improved for this many iterations
  // (the best weights are kept). 1..10000.
  int patience = 20;
  // Each post's feature vector is divided by sqrt(number of features). Long posts
  // then weigh no more than short ones.
  bool normalize = true;
};

struct TrainerOptions {
  // The ensemble: of the three types, it catches the most spam at 1% ham blocked in
  // cross-validation on the union of the corpora, and ranks best out of domain
  // (models/MODEL_CARD.md). `groupguard train --select` / CrossValidate() choose per
  // data set.
  ModelType model_type = ModelType::kEnsemble;
  TokenizerOptions tokenizer;
  FeatureOptions features;
  NaiveBayesOptions naive_bayes;
  LogisticOptions logistic;
  // Share of posts held out for early stopping, calibration and thresholds. 0..0.9;
  // 0 calibrates on the training posts. A post's side is chosen by a seeded hash of
  // its text, so copies of one text fall on the same side; the split does not depend
  // on the other posts or their order.
  double validation_fraction = 0.2;
  // Hold out near-duplicates together and each label's share of posts. Posts whose
  // tokens are equal but for signals (the same words up to case, spacing,
  // punctuation, homoglyphs...: CrossValidate's groups) form a group, labeled by the
  // majority of its posts. Within each label the groups are taken in a seeded order
  // while they fit in round(validation_fraction x that label's posts), so the split
  // holds that many (fewer only when the groups left are all too big; when none fits,
  // the first in line), at least one group of a label with two or more and never all
  // of them; the refit check's folds get the rest, dealt round robin by label. The
  // split depends on every post held, not on their order: adding posts moves others.
  // Off by default: by text, a near-duplicate of a training post can be held out
  // (198 of the shipped model's 6,522 posts have one across the split) and the share
  // of spam varies with the seed, but over 20 seeds the grouped split ranks the test
  // splits no better, and the shipped model would change (models/MODEL_CARD.md).
  bool grouped_validation = false;
  // Seeds the split and anything else random. Same posts + options + seed give the
  // same model file, byte for byte.
  uint64_t seed = 1;
  // After calibrating and choosing thresholds on the validation split, train the
  // weights again on all posts (same hyperparameters and iteration count). When
  // early stopping kept iteration 0, the logistic weights (all 0) and bias are kept
  // as they are: calibrated on the one score they give every post, they would say
  // nothing of another bias's.
  bool refit_on_all = true;
  // The spam threshold lets at most this share of validation ham through as spam,
  // the unsure threshold at most this share as unsure or spam. 0..1, unsure >= spam.
  // Ham that scores P(spam) = 1 is spam at any threshold (thresholds are at most 1):
  // when more of it than a share allows is there, that threshold is 1 and blocks it
  // all (TrainingReport::threshold_ham_at_spam says how many).
  double spam_threshold_ham_rate = 0.001;
  double unsure_threshold_ham_rate = 0.01;
  // Metadata written into the model file as given (never the wall clock, so
  // retraining reproduces the file); at most kMaxMetadataBytes together.
  static constexpr size_t kMaxMetadataBytes = size_t{1} << 20;
  std::string date;
  std::vector<std::string> data_sources;
  std::string description;
};

// How the calibration fitted before a refit holds for weights fitted the way the
// refit is (same settings and iteration count) on posts they did not see: each fold
// of the training split (by a seeded hash of the text, or dealt by groups with
// grouped_validation; round(1 / validation_fraction) - 1 folds, 1 to 9, so about the
// validation split's size down to a fraction of 0.1)
// is scored by weights fitted on all the other posts, under the calibration the
// refit would keep.
struct RefitCheck {
  int64_t posts = 0;        // posts scored that way; 0 when not checked
  // The most L-BFGS iterations a fold's logistic weights ran: TrainingReport's
  // `iterations`, fewer only where a fit converged sooner (0 for naive Bayes).
  int iterations = 0;
  double log_loss = 0;      // their log loss under the calibration kept
  // Cox's calibration regression: sigmoid(slope * calibrated log-odds + intercept)
  // fitted to those posts (1 and 0 when the calibration holds), and its log loss.
  double slope = 1;
  double intercept = 0;
  double recalibrated_log_loss = 0;
  // False when log_loss is significantly (likelihood ratio test, p < 0.001) and
  // materially (over 1.25x) worse than recalibrated_log_loss: the refit is dropped.
  bool transfers = true;
};

// Figures of a training run.
struct TrainingReport {
  int64_t train_posts = 0;
  int64_t train_spam = 0;
  int64_t validation_posts = 0;
  int64_t validation_spam = 0;
  // L-BFGS iterations kept (logistic); 0 for naive Bayes, and when the validation
  // log loss never improved on the starting logistic weights (all 0, the bias at
  // the prior log-odds; a logistic model then scores every post the same).
  int iterations = 0;
  double unsure_threshold = 0;
  double spam_threshold = 0;
  // The ham the thresholds were chosen on (the validation split's; without one, all
  // posts'), and how many of them score at or above the unsure threshold (unsure or
  // spam) and the spam one. At most the shares TrainerOptions allow (rounded down),
  // unless more ham than that score P(spam) = 1: then no threshold lets them through.
  int64_t threshold_ham = 0;
  int64_t threshold_ham_at_unsure = 0;
  int64_t threshold_ham_at_spam = 0;
  // Of the posts the final weights were trained on (all posts after a refit, else
  // the training split; train_posts counts them), at the chosen thresholds.
  BinaryMetrics train;
  BinaryMetrics validation;  // of the validation split (all zero without one)
  // Whether the final weights were trained again on all posts (refit_on_all). The
  // calibration and thresholds are fitted before the refit, on the validation
  // split, and kept. The refit is dropped (the calibrated weights kept, and the
  // model file's hyperparameters say `refit_dropped=1`) when that calibration does
  // not hold for weights fitted the refit's way on posts they did not see
  // (refit_check, below), or when the validation posts' log loss under the refit
  // weights, below, is worse than validation.log_loss: it has seen those posts and
  // should do better on them.
  bool refit = false;
  double refit_validation_log_loss = 0;  // 0 when no refit was tried
  // L-BFGS iterations the refit's logistic weights ran: `iterations`, fewer only
  // where the fit converged sooner; 0 when no refit was tried.
  int refit_iterations = 0;
  // Checked before the refit is tried (refit_check.transfers false: not tried).
  RefitCheck refit_check;
};

// A trained model: the model file's bytes and how training went.
struct TrainedModel {
  std::string bytes;  // a model file: Classifier::FromBytes(bytes) loads it
  TrainingReport report;

  // Writes `bytes` to `path` atomically: a new temporary file next to it (never an
  // existing file; mode 0666 less the umask), synced to disk, then renamed over
  // `path`. A symbolic link at `path` stays one: the file it leads to (made if not
  // there yet) is the one written, with the temporary beside it; in a sticky folder
  // anyone may write to, only a link of the caller's own or of the folder's owner is
  // followed (else kPermissionDenied), as Linux's fs.protected_symlinks has it.
  // After a crash `path` holds the old model or the new one, whole. On
  // failure nothing is left behind and the status (kNotFound, kPermissionDenied,
  // kResourceExhausted for a full disk, kInvalidArgument for a directory at `path`,
  // kFailedPrecondition for another file that is not a regular one, kUnavailable
  // otherwise) names the path.
  absl::Status Save(absl::string_view path) const;
};

// Collects labeled posts and trains a model on them. Not thread-safe: use one per
// thread. Add() tokenizes and hashes at once, so a Trainer keeps hashed features,
// not texts.
class Trainer {
 public:
  // Returns kInvalidArgument if an option is out of range.
  static absl::StatusOr<std::unique_ptr<Trainer>> Create(const TrainerOptions& options);

  virtual ~Trainer() = default;

  const TrainerOptions& options() const { return options_; }

  // Adds one labeled post (any bytes).
  virtual void Add(absl::string_view text, bool is_spam) = 0;
  // Forgets one post added earlier with the same text and label (naive Bayes
  // unlearns it from its counts at once). Returns kNotFound if there is no such post.
  virtual absl::Status Remove(absl::string_view text, bool is_spam) = 0;

  // Number of posts held.
  virtual int64_t size() const = 0;

  // Trains on the posts held and returns the model file. The trainer is unchanged,
  // so more posts may be added and Train() called again. Returns
  // kFailedPrecondition unless there is at least one spam and one ham post.
  virtual absl::StatusOr<TrainedModel> Train() const = 0;

 protected:
  explicit Trainer(const TrainerOptions& options) : options_(options) {}

 private:
  TrainerOptions options_;
};

// --- Choosing settings by cross-validation.

struct LabeledPost {
  std::string text;  // any bytes
  bool is_spam = false;
};

struct CrossValidationOptions {
  // The posts are dealt into this many folds; each fold is scored by a model trained
  // on the others. 2..50.
  int folds = 5;
  // Cross-validations with differently seeded folds, averaged. 1..20.
  int repeats = 2;
  // Seeds the folds.
  uint64_t seed = 1;
  // Trainings run at once, each on a thread of its own (fewer if the system cannot
  // start that many threads; the figures are the same). 1..kMaxThreads.
  static constexpr int kMaxThreads = 256;
  int threads = 1;
};

struct CrossValidationResult {
  // Means over every fold of every repeat.
  double roc_auc = 0;
  double spam_caught_at_1pct_ham_blocked = 0;
  std::vector<double> fold_roc_auc;  // repeat by repeat, fold by fold
  // Trainings that ran at once: min(threads, folds x repeats) unless the system
  // could not start that many threads (then fewer, down to 1, the calling thread
  // alone), with why it could not (empty when every thread started, or when memory
  // ran out so that the reason could not be kept).
  int threads = 1;
  std::string threads_error;
};

// How well models trained with `options` rank posts they were not trained on: for
// every fold of every repeat, trains on the posts of the other folds and scores the
// fold's posts. Folds are stratified by label, and posts whose tokens are equal but
// for signals (the same words up to case, spacing, punctuation, homoglyphs...) stay
// in one fold, so a copy of a post never helps rank itself. Deterministic: the same
// posts, options and seed give the same figures whatever `threads` is.
//
// Holds a model per running training; the posts are not copied. Returns
// kInvalidArgument for bad options, kFailedPrecondition when there are fewer
// distinct spam (or ham) texts than folds.
absl::StatusOr<CrossValidationResult> CrossValidate(absl::Span<const LabeledPost> posts,
                                                    const TrainerOptions& options,
                                                    const CrossValidationOptions& cv);

}  // namespace groupguard

#endif  // GROUPGUARD_TRAINER_H_
