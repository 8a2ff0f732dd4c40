#include "groupguard/metrics.h"

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <future>
#include <limits>
#include <tuple>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace groupguard {
namespace {

// Spam at 0.9, 0.8, 0.6; ham at 0.7, 0.5, 0.4.
const std::vector<double> kP = {0.9, 0.8, 0.7, 0.6, 0.5, 0.4};
const bool kY[] = {true, true, false, true, false, false};
absl::Span<const bool> Y() { return absl::MakeConstSpan(kY, 6); }

TEST(MetricsTest, RocAucCountsWinningPairs) {
  // 0.9 and 0.8 beat all three ham, 0.6 beats two: 8 of 9 pairs.
  EXPECT_DOUBLE_EQ(RocAuc(kP, Y()), 8.0 / 9.0);
}

TEST(MetricsTest, RocAucTiesCountHalf) {
  const std::vector<double> p = {0.5, 0.5, 0.2};
  const bool y[] = {true, false, false};
  // spam vs ham@0.5: tie (0.5); spam vs ham@0.2: win (1).
  EXPECT_DOUBLE_EQ(RocAuc(p, absl::MakeConstSpan(y, 3)), 0.75);
}

TEST(MetricsTest, RocAucNeedsBothClasses) {
  const std::vector<double> p = {0.5, 0.2};
  const bool y[] = {true, true};
  EXPECT_EQ(RocAuc(p, absl::MakeConstSpan(y, 2)), 0);
}

// A NaN probability ranks below every number. (It used to stop the walk over the
// thresholds: RocAuc and SpamCaughtAtHamBlocked looped forever, RocCurve grew until
// memory ran out.) Run on a thread with a deadline, so a regression fails, not hangs.
TEST(MetricsTest, NanProbabilityRanksLowest) {
  auto figures = std::async(std::launch::async, [] {
    const std::vector<double> p = {0.9, std::nan(""), 0.2, std::nan("")};
    const bool y[] = {true, false, false, true};
    const auto labels = absl::MakeConstSpan(y, 4);
    return std::make_tuple(RocAuc(p, labels), SpamCaughtAtHamBlocked(p, labels, 0.0),
                           RocCurve(p, labels).size());
  });
  if (figures.wait_for(std::chrono::seconds(20)) != std::future_status::ready) {
    ADD_FAILURE() << "metrics of a NaN probability did not finish";
    std::_Exit(1);
  }
  const auto [auc, caught, points] = figures.get();
  // Pairs (spam, ham): 0.9 beats 0.2 and NaN; NaN (spam) ties NaN (ham), loses to 0.2.
  EXPECT_DOUBLE_EQ(auc, (1 + 1 + 0 + 0.5) / 4);
  EXPECT_DOUBLE_EQ(caught, 0.5);
  EXPECT_EQ(points, 4u);  // (0,0), 0.9, 0.2, NaN
}

TEST(MetricsTest, SpamCaughtAtHamBlocked) {
  // No ham blocked: threshold above 0.7 catches 0.9 and 0.8.
  EXPECT_DOUBLE_EQ(SpamCaughtAtHamBlocked(kP, Y(), 0.0), 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(SpamCaughtAtHamBlocked(kP, Y(), 0.01), 2.0 / 3.0);
  // One ham of three may be blocked: threshold 0.6 catches all spam.
  EXPECT_DOUBLE_EQ(SpamCaughtAtHamBlocked(kP, Y(), 1.0 / 3.0), 1.0);
  EXPECT_DOUBLE_EQ(SpamCaughtAtHamBlocked(kP, Y(), 0.3), 2.0 / 3.0);
}

TEST(MetricsTest, RocCurvePoints) {
  const std::vector<RocPoint> curve = RocCurve(kP, Y());
  ASSERT_EQ(curve.size(), 7u);
  EXPECT_TRUE(std::isinf(curve[0].threshold));
  EXPECT_EQ(curve[0].false_positive_rate, 0);
  EXPECT_EQ(curve[0].true_positive_rate, 0);
  EXPECT_DOUBLE_EQ(curve[3].threshold, 0.7);
  EXPECT_DOUBLE_EQ(curve[3].false_positive_rate, 1.0 / 3.0);
  EXPECT_DOUBLE_EQ(curve[3].true_positive_rate, 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(curve[6].false_positive_rate, 1.0);
  EXPECT_DOUBLE_EQ(curve[6].true_positive_rate, 1.0);
}

TEST(MetricsTest, EvaluateAtThresholds) {
  EvaluationOptions options;
  options.decision_threshold = 0.5;
  options.unsure_threshold = 0.55;
  options.spam_threshold = 0.75;
  auto m = Evaluate(kP, Y(), options);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->posts, 6);
  EXPECT_EQ(m->spam, 3);
  EXPECT_EQ(m->ham, 3);
  // Called spam at >= 0.5: 0.9 0.8 0.6 (spam) and 0.7 0.5 (ham).
  EXPECT_DOUBLE_EQ(m->accuracy, 4.0 / 6.0);
  EXPECT_DOUBLE_EQ(m->precision, 3.0 / 5.0);
  EXPECT_DOUBLE_EQ(m->recall, 1.0);
  EXPECT_DOUBLE_EQ(m->f1, 0.75);
  EXPECT_DOUBLE_EQ(m->roc_auc, 8.0 / 9.0);
  EXPECT_DOUBLE_EQ(m->spam_caught_at_1pct_ham_blocked, 2.0 / 3.0);
  EXPECT_EQ(m->confusion.spam_as_spam, 2);
  EXPECT_EQ(m->confusion.spam_as_unsure, 1);
  EXPECT_EQ(m->confusion.spam_as_ham, 0);
  EXPECT_EQ(m->confusion.ham_as_spam, 0);
  EXPECT_EQ(m->confusion.ham_as_unsure, 1);
  EXPECT_EQ(m->confusion.ham_as_ham, 2);
  const double expected_loss = -(std::log(0.9) + std::log(0.8) + std::log(0.3) +
                                 std::log(0.6) + std::log(0.5) + std::log(0.6)) /
                               6;
  EXPECT_NEAR(m->log_loss, expected_loss, 1e-12);
}

TEST(MetricsTest, EvaluateRejectsBadInput) {
  const std::vector<double> p = {0.5, 1.5};
  const bool y[] = {true, false};
  EXPECT_EQ(Evaluate(p, absl::MakeConstSpan(y, 2)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Evaluate(p, absl::MakeConstSpan(y, 1)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EvaluationOptions options;
  options.unsure_threshold = 0.9;
  options.spam_threshold = 0.1;
  const std::vector<double> ok = {0.5, 0.2};
  EXPECT_EQ(Evaluate(ok, absl::MakeConstSpan(y, 2), options).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(MetricsTest, EmptyInputIsAllZero) {
  auto m = Evaluate({}, {});
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->posts, 0);
  EXPECT_EQ(m->roc_auc, 0);
  EXPECT_EQ(m->accuracy, 0);
}

}  // namespace
}  // namespace groupguard
