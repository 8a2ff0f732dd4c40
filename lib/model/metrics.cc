#include "groupguard/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <numeric>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace groupguard {
namespace {

// Whether a and b fall in one group of tied probabilities (NaN ties with NaN).
bool Tied(double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); }

// Indices of `probabilities`, highest probability first, NaN last (below every
// number: `>` alone is no ordering with NaN in it, and the walk below would never
// leave a NaN's group); ties by index, so the order is deterministic.
std::vector<size_t> DescendingOrder(absl::Span<const double> probabilities) {
  std::vector<size_t> order(probabilities.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const double pa = probabilities[a], pb = probabilities[b];
    if (std::isnan(pa) || std::isnan(pb)) return !std::isnan(pa) && std::isnan(pb);
    return pa > pb;
  });
  return order;
}

struct ClassCounts {
  int64_t spam = 0;
  int64_t ham = 0;
};

ClassCounts CountClasses(absl::Span<const bool> is_spam) {
  ClassCounts counts;
  for (bool spam : is_spam) (spam ? counts.spam : counts.ham)++;
  return counts;
}

// Calls visit(spam_so_far, ham_so_far, threshold) after each group of equal
// probabilities, highest first.
template <typename Visit>
void WalkThresholds(absl::Span<const double> probabilities,
                    absl::Span<const bool> is_spam, Visit visit) {
  const std::vector<size_t> order = DescendingOrder(probabilities);
  int64_t spam = 0, ham = 0;
  for (size_t i = 0; i < order.size();) {
    const double threshold = probabilities[order[i]];
    while (i < order.size() && Tied(probabilities[order[i]], threshold)) {
      (is_spam[order[i]] ? spam : ham)++;
      ++i;
    }
    visit(spam, ham, threshold);
  }
}

}  // namespace

double RocAuc(absl::Span<const double> probabilities, absl::Span<const bool> is_spam) {
  const ClassCounts counts = CountClasses(is_spam);
  if (counts.spam == 0 || counts.ham == 0) return 0;
  // Mann-Whitney: for each group of tied probabilities, spam in the group beat all
  // ham below it and tie with the ham in it.
  double wins = 0;
  int64_t spam_before = 0, ham_before = 0;
  WalkThresholds(probabilities, is_spam, [&](int64_t spam, int64_t ham, double) {
    const int64_t group_spam = spam - spam_before;
    const int64_t group_ham = ham - ham_before;
    wins += static_cast<double>(group_spam) *
                static_cast<double>(counts.ham - ham_before - group_ham) +
            0.5 * static_cast<double>(group_spam) * static_cast<double>(group_ham);
    spam_before = spam;
    ham_before = ham;
  });
  return wins / (static_cast<double>(counts.spam) * static_cast<double>(counts.ham));
}

double SpamCaughtAtHamBlocked(absl::Span<const double> probabilities,
                              absl::Span<const bool> is_spam, double max_ham_blocked) {
  const ClassCounts counts = CountClasses(is_spam);
  if (counts.spam == 0 || counts.ham == 0) return 0;
  double best = 0;
  WalkThresholds(probabilities, is_spam, [&](int64_t spam, int64_t ham, double) {
    // Compare counts, not rates, so 1% of 1000 ham is exactly 10 posts.
    if (static_cast<double>(ham) <=
        max_ham_blocked * static_cast<double>(counts.ham) + 1e-9) {
      best = std::max(best, static_cast<double>(spam) / static_cast<double>(counts.spam));
    }
  });
  return best;
}

std::vector<RocPoint> RocCurve(absl::Span<const double> probabilities,
                               absl::Span<const bool> is_spam) {
  const ClassCounts counts = CountClasses(is_spam);
  std::vector<RocPoint> curve;
  if (counts.spam == 0 || counts.ham == 0) return curve;
  curve.push_back({std::numeric_limits<double>::infinity(), 0, 0});
  WalkThresholds(
      probabilities, is_spam, [&](int64_t spam, int64_t ham, double threshold) {
        curve.push_back({threshold,
                         static_cast<double>(ham) / static_cast<double>(counts.ham),
                         static_cast<double>(spam) / static_cast<double>(counts.spam)});
      });
  return curve;
}

absl::StatusOr<BinaryMetrics> Evaluate(absl::Span<const double> probabilities,
                                       absl::Span<const bool> is_spam,
                                       const EvaluationOptions& options) {
  if (probabilities.size() != is_spam.size()) {
    return absl::InvalidArgumentError(absl::StrCat("Evaluate: ", probabilities.size(),
                                                   " probabilities but ", is_spam.size(),
                                                   " labels"));
  }
  auto in_unit = [](double x) { return x >= 0 && x <= 1; };
  if (!in_unit(options.decision_threshold) || !in_unit(options.unsure_threshold) ||
      !in_unit(options.spam_threshold) ||
      options.unsure_threshold > options.spam_threshold) {
    return absl::InvalidArgumentError(
        absl::StrCat("Evaluate: thresholds must satisfy 0 <= unsure (",
                     options.unsure_threshold, ") <= spam (", options.spam_threshold,
                     ") <= 1 and 0 <= decision (", options.decision_threshold, ") <= 1"));
  }
  BinaryMetrics m;
  int64_t tp = 0, fp = 0, tn = 0, fn = 0;
  double loss = 0;
  for (size_t i = 0; i < probabilities.size(); ++i) {
    const double p = probabilities[i];
    if (!in_unit(p)) {
      return absl::InvalidArgumentError(
          absl::StrCat("Evaluate: probability ", i, " is ", p, ", not in [0, 1]"));
    }
    const bool spam = is_spam[i];
    const bool called_spam = p >= options.decision_threshold;
    if (spam) {
      (called_spam ? tp : fn)++;
      if (p >= options.spam_threshold) {
        m.confusion.spam_as_spam++;
      } else if (p >= options.unsure_threshold) {
        m.confusion.spam_as_unsure++;
      } else {
        m.confusion.spam_as_ham++;
      }
    } else {
      (called_spam ? fp : tn)++;
      if (p >= options.spam_threshold) {
        m.confusion.ham_as_spam++;
      } else if (p >= options.unsure_threshold) {
        m.confusion.ham_as_unsure++;
      } else {
        m.confusion.ham_as_ham++;
      }
    }
    const double q = std::clamp(spam ? p : 1 - p, 1e-15, 1.0);
    loss -= std::log(q);
  }
  m.posts = static_cast<int64_t>(probabilities.size());
  m.spam = tp + fn;
  m.ham = fp + tn;
  if (m.posts > 0) {
    m.accuracy = static_cast<double>(tp + tn) / static_cast<double>(m.posts);
    m.log_loss = loss / static_cast<double>(m.posts);
  }
  if (tp + fp > 0) m.precision = static_cast<double>(tp) / static_cast<double>(tp + fp);
  if (tp + fn > 0) m.recall = static_cast<double>(tp) / static_cast<double>(tp + fn);
  if (m.precision + m.recall > 0) {
    m.f1 = 2 * m.precision * m.recall / (m.precision + m.recall);
  }
  m.roc_auc = RocAuc(probabilities, is_spam);
  m.spam_caught_at_1pct_ham_blocked =
      SpamCaughtAtHamBlocked(probabilities, is_spam, 0.01);
  m.spam_caught_at_0_1pct_ham_blocked =
      SpamCaughtAtHamBlocked(probabilities, is_spam, 0.001);
  return m;
}

}  // namespace groupguard
