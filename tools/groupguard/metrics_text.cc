#include "metrics_text.h"

#include <cmath>
#include <limits>
#include <string>
#include <tuple>
#include <utility>

#include "absl/strings/numbers.h"
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

// "1%", "0.1%", "2.5%".
std::string Percent(double rate) { return absl::StrFormat("%g%%", rate * 100); }

std::string JsonThreshold(const HamRateFigure& f) {
  return f.threshold.has_value()
             ? absl::StrFormat("%.*f", f.threshold_places, *f.threshold)
             : "null";
}

// The shortest decimal of at least 6 places in (lower, t], as places and value: a
// gate set at it calls spam the posts at or above t and none at or below `lower`
// (the next lower score). `t` itself (17 places) if none shorter is.
std::pair<int, double> ThresholdBetween(double lower, double t) {
  for (int places = 6; places < 17; ++places) {
    const double scale = std::pow(10.0, places);
    // Printed with `places` decimals, which must give back the same double.
    const double d = std::floor(t * scale) / scale;
    double printed;
    if (d > lower && d <= t &&
        absl::SimpleAtod(absl::StrFormat("%.*f", places, d), &printed) && printed == d) {
      return {places, d};
    }
  }
  return {17, t};
}

// The figure for `rate` among `rates`, if there is one.
const HamRateFigure* FigureFor(absl::Span<const HamRateFigure> rates, double rate) {
  for (const HamRateFigure& f : rates) {
    if (f.max_ham_blocked == rate) return &f;
  }
  return nullptr;
}

}  // namespace

std::vector<HamRateFigure> HamRateFigures(absl::Span<const RocPoint> curve, int64_t ham,
                                          absl::Span<const double> rates) {
  std::vector<HamRateFigure> figures;
  for (const double rate : rates) {
    HamRateFigure f;
    f.max_ham_blocked = rate;
    // As SpamCaughtAtHamBlocked: counts, not rates, so 1% of 1000 ham is 10 posts.
    // The curve runs from the highest threshold down, so the first point with the
    // most spam is the highest threshold that catches it.
    const double allowed = rate * static_cast<double>(ham) + 1e-9;
    const RocPoint* best = nullptr;
    for (const RocPoint& point : curve) {
      const double blocked =
          static_cast<double>(std::llround(point.false_positive_rate * ham));
      if (blocked > allowed) continue;
      if (best == nullptr || point.true_positive_rate > best->true_positive_rate) {
        best = &point;
      }
    }
    if (best != nullptr && std::isfinite(best->threshold) &&
        best->true_positive_rate > 0) {
      f.spam_caught = best->true_positive_rate;
      f.ham_blocked = best->false_positive_rate;
      // The next point down the curve is the next lower score.
      const double lower = best + 1 < curve.data() + curve.size()
                               ? best[1].threshold
                               : -std::numeric_limits<double>::infinity();
      std::tie(f.threshold_places, f.threshold) =
          ThresholdBetween(lower, best->threshold);
    }
    figures.push_back(f);
  }
  return figures;
}

namespace {

// Ham posts a threshold chosen for `rate` may block: as the trainer counts them.
int64_t AllowedHam(double rate, int64_t ham) {
  return static_cast<int64_t>(std::floor(rate * static_cast<double>(ham) + 1e-9));
}

const char* SplitName(bool validation) { return validation ? "validation" : "training"; }

}  // namespace

std::string ThresholdBasis(double unsure_ham_rate, double spam_ham_rate, int64_t ham,
                           bool validation) {
  return absl::StrFormat(
      "chosen to block at most %s and %s of the %d %s ham (%d and %d "
      "posts)",
      Percent(unsure_ham_rate), Percent(spam_ham_rate), ham, SplitName(validation),
      AllowedHam(unsure_ham_rate, ham), AllowedHam(spam_ham_rate, ham));
}

std::string FewHamWarning(double unsure_ham_rate, int64_t ham, bool validation) {
  if (unsure_ham_rate <= 0 || AllowedHam(unsure_ham_rate, ham) >= 1) return "";
  return absl::StrFormat(
      "the thresholds rest on too few ham posts: %s of the %d %s ham is less than one "
      "post, so both lie above every one of them, and the share of new ham they block "
      "is not known (give more ham%s)",
      Percent(unsure_ham_rate), ham, SplitName(validation),
      validation ? " or a larger --validation-fraction" : ", or a validation split");
}

std::string HamOverTargetWarning(double unsure_ham_rate, double spam_ham_rate,
                                 int64_t ham, int64_t at_unsure, int64_t at_spam,
                                 bool validation) {
  const int64_t unsure_allowed = AllowedHam(unsure_ham_rate, ham);
  const int64_t spam_allowed = AllowedHam(spam_ham_rate, ham);
  if (at_unsure <= unsure_allowed && at_spam <= spam_allowed) return "";
  return absl::StrFormat(
      "the thresholds block %d and %d of the %d %s ham, more than the %d and %d they "
      "were chosen for: ham that scores P(spam) = 1 is spam at any threshold",
      at_unsure, at_spam, ham, SplitName(validation), unsure_allowed, spam_allowed);
}

std::string MetricsTable(const BinaryMetrics& m, double decision_threshold,
                         double unsure_threshold, double spam_threshold,
                         absl::Span<const HamRateFigure> rates) {
  std::string s;
  absl::StrAppendFormat(&s, "  posts                              %d (%d spam, %d ham)\n",
                        m.posts, m.spam, m.ham);
  absl::StrAppendFormat(&s, "  ROC AUC                            %s\n",
                        TableFigure(m, m.roc_auc));
  if (rates.empty()) {
    absl::StrAppendFormat(&s, "  spam caught at 1%% ham blocked      %s\n",
                          TableFigure(m, m.spam_caught_at_1pct_ham_blocked));
    absl::StrAppendFormat(&s, "  spam caught at 0.1%% ham blocked    %s\n",
                          TableFigure(m, m.spam_caught_at_0_1pct_ham_blocked));
  }
  for (const HamRateFigure& f : rates) {
    std::string figure = TableFigure(m, f.spam_caught);
    if (!RankingDefined(m)) {
      // "n/a" says why.
    } else if (f.threshold.has_value()) {
      absl::StrAppendFormat(&figure, " at P(spam) >= %.*f (blocks %.2f%% of ham)",
                            f.threshold_places, *f.threshold, f.ham_blocked * 100);
    } else {
      absl::StrAppend(&figure, " (no threshold: the top-scored posts hold more ham)");
    }
    absl::StrAppendFormat(
        &s, "  %-34s %s\n",
        absl::StrCat("spam caught at ", Percent(f.max_ham_blocked), " ham blocked"),
        figure);
  }
  absl::StrAppendFormat(&s,
                        "  at P(spam) >= %.4f:  accuracy %.4f  precision %.4f  "
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
                        double unsure_threshold, double spam_threshold,
                        absl::Span<const HamRateFigure> rates) {
  const ConfusionMatrix& c = m.confusion;
  std::string thresholds;
  if (!rates.empty()) {
    const HamRateFigure* one = FigureFor(rates, 0.01);
    const HamRateFigure* tenth = FigureFor(rates, 0.001);
    absl::StrAppend(&thresholds, ",\"threshold_at_1pct_ham_blocked\":",
                    one != nullptr ? JsonThreshold(*one) : "null",
                    ",\"threshold_at_0_1pct_ham_blocked\":",
                    tenth != nullptr ? JsonThreshold(*tenth) : "null",
                    ",\"ham_rates\":[");
    for (size_t i = 0; i < rates.size(); ++i) {
      absl::StrAppendFormat(&thresholds,
                            "%s{\"max_ham_blocked\":%.6g,\"spam_caught\":%s,"
                            "\"ham_blocked\":%s,\"threshold\":%s}",
                            i > 0 ? "," : "", rates[i].max_ham_blocked,
                            JsonFigure(m, rates[i].spam_caught),
                            JsonFigure(m, rates[i].ham_blocked), JsonThreshold(rates[i]));
    }
    thresholds += "]";
  }
  return absl::StrFormat(
      "{\"posts\":%d,\"spam\":%d,\"ham\":%d,\"roc_auc\":%s,\"accuracy\":%.6f,"
      "\"precision\":%.6f,\"recall\":%.6f,\"f1\":%.6f,\"log_loss\":%.6f,"
      "\"spam_caught_at_1pct_ham_blocked\":%s,"
      "\"spam_caught_at_0_1pct_ham_blocked\":%s%s,\"decision_threshold\":%.6f,"
      "\"unsure_threshold\":%.6f,\"spam_threshold\":%.6f,"
      "\"confusion\":{\"spam_as_spam\":%d,\"spam_as_unsure\":%d,\"spam_as_ham\":%d,"
      "\"ham_as_spam\":%d,\"ham_as_unsure\":%d,\"ham_as_ham\":%d}}",
      m.posts, m.spam, m.ham, JsonFigure(m, m.roc_auc), m.accuracy, m.precision, m.recall,
      m.f1, m.log_loss, JsonFigure(m, m.spam_caught_at_1pct_ham_blocked),
      JsonFigure(m, m.spam_caught_at_0_1pct_ham_blocked), thresholds, decision_threshold,
      unsure_threshold, spam_threshold, c.spam_as_spam, c.spam_as_unsure, c.spam_as_ham,
      c.ham_as_spam, c.ham_as_unsure, c.ham_as_ham);
}

}  // namespace groupguard::cli
