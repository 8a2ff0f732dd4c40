#ifndef GROUPGUARD_TOOLS_GROUPGUARD_METRICS_TEXT_H_
#define GROUPGUARD_TOOLS_GROUPGUARD_METRICS_TEXT_H_

#include <string>

#include "groupguard/metrics.h"

namespace groupguard::cli {

// A readable table of `m`: counts, ROC AUC, spam caught at 1% / 0.1% ham blocked,
// accuracy/precision/recall/F1 (at `decision_threshold`), log loss, and the
// confusion matrix at the thresholds of the three-way verdict. ROC AUC and spam
// caught at x% ham blocked read "n/a" unless `m` has both spam and ham.
std::string MetricsTable(const BinaryMetrics& m, double decision_threshold,
                         double unsure_threshold, double spam_threshold);

// One JSON object with the figures of `m` (keys roc_auc, accuracy, precision, recall,
// f1, spam_caught_at_1pct_ham_blocked, spam_caught_at_0_1pct_ham_blocked, confusion,
// ...), no trailing newline. ROC AUC and spam caught at x% ham blocked are null
// unless `m` has both spam and ham.
std::string MetricsJson(const BinaryMetrics& m, double decision_threshold,
                        double unsure_threshold, double spam_threshold);

}  // namespace groupguard::cli

#endif  // GROUPGUARD_TOOLS_GROUPGUARD_METRICS_TEXT_H_
