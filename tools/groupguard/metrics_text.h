#ifndef GROUPGUARD_TOOLS_GROUPGUARD_METRICS_TEXT_H_
#define GROUPGUARD_TOOLS_GROUPGUARD_METRICS_TEXT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/types/span.h"
#include "groupguard/metrics.h"

namespace groupguard::cli {

// "Spam caught at x% ham blocked" with the threshold that achieves it, so an admin
// can answer "which threshold blocks at most 1% of ham?" from eval's output.
struct HamRateFigure {
  double max_ham_blocked = 0;  // the rate asked for, 0..1
  double spam_caught = 0;      // share of spam at or above `threshold`
  double ham_blocked = 0;      // share of ham at or above it (at most max_ham_blocked)
  // Posts with P(spam) >= threshold are called spam: the probability of the
  // lowest-scored post so called, rounded down to `threshold_places` decimals (as
  // printed: 6, or more when a post below it scores within that rounding), so that
  // a gate set at the printed figure calls spam exactly the same posts. nullopt when
  // no threshold catches any spam within the rate (the highest-scored posts include
  // more ham than that), or when the posts are not both spam and ham.
  std::optional<double> threshold;
  int threshold_places = 6;
};

// One figure per rate of `rates`, from `curve` (RocCurve of the same posts) and
// the number of ham posts: the threshold catching the most spam while blocking at
// most that share of the ham (the same figure as SpamCaughtAtHamBlocked), the
// highest such threshold when several catch as much.
std::vector<HamRateFigure> HamRateFigures(absl::Span<const RocPoint> curve, int64_t ham,
                                          absl::Span<const double> rates);

// A readable table of `m`: counts, ROC AUC, spam caught at 1% / 0.1% ham blocked,
// accuracy/precision/recall/F1 (at `decision_threshold`), log loss, and the
// confusion matrix at the thresholds of the three-way verdict. ROC AUC and spam
// caught at x% ham blocked read "n/a" unless `m` has both spam and ham. With
// `rates` (eval), one "spam caught at x% ham blocked" line per figure, with its
// threshold, replaces the 1% and 0.1% lines.
std::string MetricsTable(const BinaryMetrics& m, double decision_threshold,
                         double unsure_threshold, double spam_threshold,
                         absl::Span<const HamRateFigure> rates = {});

// One JSON object with the figures of `m` (keys roc_auc, accuracy, precision, recall,
// f1, spam_caught_at_1pct_ham_blocked, spam_caught_at_0_1pct_ham_blocked, confusion,
// ...), no trailing newline. ROC AUC and spam caught at x% ham blocked are null
// unless `m` has both spam and ham. With `rates` (eval), also
// threshold_at_1pct_ham_blocked and threshold_at_0_1pct_ham_blocked (from the
// figures for 0.01 and 0.001, null without a threshold) and "ham_rates": one object
// per figure {max_ham_blocked, spam_caught, ham_blocked, threshold}.
std::string MetricsJson(const BinaryMetrics& m, double decision_threshold,
                        double unsure_threshold, double spam_threshold,
                        absl::Span<const HamRateFigure> rates = {});

// What train and inspect say of a model's thresholds: the share of ham each was
// chosen to block and the posts that rested on, e.g. "chosen to block at most 1% and
// 0.1% of the 1084 validation ham (10 and 1 posts)". `ham` is the number of ham
// posts they were chosen on: the validation split's, or (`validation` false: no
// validation split) the training posts'.
std::string ThresholdBasis(double unsure_ham_rate, double spam_ham_rate, int64_t ham,
                           bool validation);

// A warning (no newline; "" if none) when the thresholds rest on too few ham posts:
// the unsure threshold's share of them is less than one post, so both thresholds
// lie above every one of them and say nothing of the share of new ham they block.
std::string FewHamWarning(double unsure_ham_rate, int64_t ham, bool validation);

// A warning (no newline; "" if none) when the thresholds block more of those `ham`
// posts than chosen: `at_unsure` of them score at or above the unsure threshold,
// `at_spam` at or above the spam one. Only ham that scores P(spam) = 1 does that: it
// is spam at any threshold (thresholds are at most 1).
std::string HamOverTargetWarning(double unsure_ham_rate, double spam_ham_rate,
                                 int64_t ham, int64_t at_unsure, int64_t at_spam,
                                 bool validation);

}  // namespace groupguard::cli

#endif  // GROUPGUARD_TOOLS_GROUPGUARD_METRICS_TEXT_H_
