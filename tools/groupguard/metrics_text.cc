#include "metrics_text.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace groupguard::cli {
namespace {

// ROC AUC and spam caught at x% ham blocked rank spam against ham: without both
// classes they are undefined (the library reports 0, which reads like a model that
// gets everything backwards).
bool RankingDefined(const BinaryMetrics& m) { return m.spam > 0 && m.ham > 0; }

std::string TableFigure(const BinaryMetrics& m, double v) {
  return RankingDefined(m) ? absl::StrFormat("%.4f", v) : "n/a (needs spam and ham)";
}

std::string JsonFigure(const BinaryMetrics& m, double v) {
  return RankingDefined(m) ? absl::StrFormat("%.6f", v) : "null";
}

}  // namespace

std::string MetricsTable(const BinaryMetrics& m, double decision_threshold,
                         double unsure_threshold, double spam_threshold) {
  std::string s;
  absl::StrAppendFormat(&s, "  posts                              %d (%d spam, %d ham)\n",
                        m.posts, m.spam, m.ham);
  absl::StrAppendFormat(&s, "  ROC AUC                            %s\n",
                        TableFigure(m, m.roc_auc));
  absl::StrAppendFormat(&s, "  spam caught at 1%% ham blocked      %s\n",
                        TableFigure(m, m.spam_caught_at_1pct_ham_blocked));
  absl::StrAppendFormat(&s, "  spam caught at 0.1%% ham blocked    %s\n",
                        TableFigure(m, m.spam_caught_at_0_1pct_ham_blocked));
  absl::StrAppendFormat(&s, "  at P(spam) >= %.4f:  accuracy %.4f  precision %.4f  "
                        "recall %.4f  F1 %.4f\n",
                        decision_threshold, m.accuracy, m.precision, m.recall, m.f1);
  absl::StrAppendFormat(&s, "  log loss                           %.4f\n", m.log_loss);
  absl::StrAppendFormat(&s,
                        "  verdicts at the model's thresholds (unsure >= %.4f, spam >= "
                        "%.4f):\n",
                        unsure_threshold, spam_threshold);
  absl::StrAppendFormat(&s, "    %-10s %10s %10s %10s\n", "", "spam", "unsure", "ham");
  const ConfusionMatrix& c = m.confusion;
  absl::StrAppendFormat(&s, "    %-10s %10d %10d %10d\n", "true spam", c.spam_as_spam,
                        c.spam_as_unsure, c.spam_as_ham);
  absl::StrAppendFormat(&s, "    %-10s %10d %10d %10d\n", "true ham", c.ham_as_spam,
                        c.ham_as_unsure, c.ham_as_ham);
  return s;
}

std::string MetricsJson(const BinaryMetrics& m, double decision_threshold,
                        double unsure_threshold, double spam_threshold) {
  const ConfusionMatrix& c = m.confusion;
  return absl::StrFormat(
      "{\"posts\":%d,\"spam\":%d,\"ham\":%d,\"roc_auc\":%s,\"accuracy\":%.6f,"
      "\"precision\":%.6f,\"recall\":%.6f,\"f1\":%.6f,\"log_loss\":%.6f,"
      "\"spam_caught_at_1pct_ham_blocked\":%s,"
      "\"spam_caught_at_0_1pct_ham_blocked\":%s,\"decision_threshold\":%.6f,"
      "\"unsure_threshold\":%.6f,\"spam_threshold\":%.6f,"
      "\"confusion\":{\"spam_as_spam\":%d,\"spam_as_unsure\":%d,\"spam_as_ham\":%d,"
      "\"ham_as_spam\":%d,\"ham_as_unsure\":%d,\"ham_as_ham\":%d}}",
      m.posts, m.spam, m.ham, JsonFigure(m, m.roc_auc), m.accuracy, m.precision, m.recall,
      m.f1, m.log_loss, JsonFigure(m, m.spam_caught_at_1pct_ham_blocked),
      JsonFigure(m, m.spam_caught_at_0_1pct_ham_blocked),
      decision_threshold, unsure_threshold, spam_threshold, c.spam_as_spam,
      c.spam_as_unsure, c.spam_as_ham, c.ham_as_spam, c.ham_as_unsure, c.ham_as_ham);
}

}  // namespace groupguard::cli
