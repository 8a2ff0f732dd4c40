#ifndef GROUPGUARD_METRICS_H_
#define GROUPGUARD_METRICS_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace groupguard {

// Counts of true labels against the three-way verdict at a model's thresholds.
struct ConfusionMatrix {
  int64_t spam_as_spam = 0;
  int64_t spam_as_unsure = 0;
  int64_t spam_as_ham = 0;
  int64_t ham_as_spam = 0;  // blocked ham: the costly mistake
  int64_t ham_as_unsure = 0;
  int64_t ham_as_ham = 0;
};

// One point of an ROC curve: posts with P(spam) >= threshold are called spam.
struct RocPoint {
  double threshold = 0;
  double false_positive_rate = 0;  // share of ham called spam
  double true_positive_rate = 0;   // share of spam called spam
};

// How Evaluate() turns probabilities into decisions.
struct EvaluationOptions {
  // accuracy, precision, recall and F1 call a post spam when P(spam) >= this. [0, 1].
  double decision_threshold = 0.5;
  // Thresholds of the three-way verdict for the confusion matrix, e.g. a
  // Classifier's unsure_threshold() and spam_threshold(). 0 <= unsure <= spam <= 1.
  double unsure_threshold = 0.5;
  double spam_threshold = 0.5;
};

// The usual figures of a spam classifier on a labeled set. A figure that is
// undefined for the set (ROC AUC without both classes, precision with no post
// called spam) is 0.
struct BinaryMetrics {
  int64_t posts = 0;
  int64_t spam = 0;
  int64_t ham = 0;
  double roc_auc = 0;
  double accuracy = 0;
  double precision = 0;
  double recall = 0;
  double f1 = 0;
  double log_loss = 0;  // mean negative log-likelihood, probabilities clamped to 1e-15
  // Largest share of spam caught by any threshold that blocks at most 1% (0.1%) of
  // the ham.
  double spam_caught_at_1pct_ham_blocked = 0;
  double spam_caught_at_0_1pct_ham_blocked = 0;
  ConfusionMatrix confusion;
};

// Area under the ROC curve (ties count one half). 0 unless both classes occur.
// Here and below, a NaN probability ranks below every number (ties with NaN).
// REQUIRES: probabilities.size() == is_spam.size().
double RocAuc(absl::Span<const double> probabilities, absl::Span<const bool> is_spam);

// The largest true positive rate over thresholds whose false positive rate is at
// most `max_ham_blocked` (0..1). 0 unless both classes occur.
// REQUIRES: probabilities.size() == is_spam.size().
double SpamCaughtAtHamBlocked(absl::Span<const double> probabilities,
                              absl::Span<const bool> is_spam, double max_ham_blocked);

// The ROC curve: (0, 0) with threshold +infinity, then one point per distinct
// probability, highest first, ending at (1, 1). Empty unless both classes occur.
// REQUIRES: probabilities.size() == is_spam.size().
std::vector<RocPoint> RocCurve(absl::Span<const double> probabilities,
                               absl::Span<const bool> is_spam);

// All figures at once. Returns kInvalidArgument if the spans differ in size, a
// probability is not in [0, 1] or the options are out of range.
absl::StatusOr<BinaryMetrics> Evaluate(absl::Span<const double> probabilities,
                                       absl::Span<const bool> is_spam,
                                       const EvaluationOptions& options = {});

}  // namespace groupguard

#endif  // GROUPGUARD_METRICS_H_
