#include "metrics_text.h"

#include <string>
#include <vector>

#include "groupguard/metrics.h"
#include "gtest/gtest.h"

namespace groupguard::cli {
namespace {

// The threshold printed for a ham rate calls spam exactly the posts the figure
// counts, even when a post the threshold leaves out scores within 6 decimals of it:
// rounded down to 6 places, 0.9999995 would be 0.999999 and let in a ham post at
// 0.9999991. Then more places are printed.
TEST(HamRateFiguresTest, ThresholdSeparatesTheLowestCaughtPostFromTheNextOne) {
  // Spam at 0.9999995 and 0.2; ham at 0.9999991 and 0.1 (1 of 2 ham is 50%).
  const std::vector<double> p = {0.9999995, 0.2, 0.9999991, 0.1};
  const bool is_spam[] = {true, true, false, false};
  const std::vector<RocPoint> curve = RocCurve(p, is_spam);
  const std::vector<double> rates = {0.0};
  const std::vector<HamRateFigure> f = HamRateFigures(curve, 2, rates);
  ASSERT_EQ(f.size(), 1u);
  ASSERT_TRUE(f[0].threshold.has_value());
  EXPECT_EQ(f[0].spam_caught, 0.5);
  EXPECT_EQ(f[0].ham_blocked, 0.0);
  EXPECT_GT(*f[0].threshold, 0.9999991);
  EXPECT_LE(*f[0].threshold, 0.9999995);
  EXPECT_EQ(f[0].threshold_places, 7);
  // Scores far apart keep 6 places, rounded down: the caught post stays caught.
  const std::vector<double> q = {0.87654321, 0.2, 0.5, 0.1};
  const std::vector<HamRateFigure> g = HamRateFigures(RocCurve(q, is_spam), 2, rates);
  ASSERT_TRUE(g[0].threshold.has_value());
  EXPECT_EQ(*g[0].threshold, 0.876543);
  EXPECT_EQ(g[0].threshold_places, 6);
}

// Ham at P(spam) = 1 is spam at any threshold: the thresholds then block more ham
// than they were chosen for, and train and inspect say so.
TEST(HamOverTargetWarningTest, SaysWhenTheThresholdsBlockMoreThanChosen) {
  // 1% and 0.1% of 1000 ham: 10 and 1 posts.
  EXPECT_EQ(HamOverTargetWarning(0.01, 0.001, 1000, 10, 1, true), "");
  EXPECT_EQ(HamOverTargetWarning(0.01, 0.001, 1000, 3, 0, true), "");
  EXPECT_EQ(HamOverTargetWarning(0.01, 0.001, 1000, 10, 3, true),
            "the thresholds block 10 and 3 of the 1000 validation ham, more than the 10 "
            "and 1 they were chosen for: ham that scores P(spam) = 1 is spam at any "
            "threshold");
  EXPECT_NE(
      HamOverTargetWarning(0.01, 0.001, 1000, 12, 12, false).find("1000 training ham"),
      std::string::npos);
}

}  // namespace
}  // namespace groupguard::cli
