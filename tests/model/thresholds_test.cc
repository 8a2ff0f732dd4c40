#include "model/thresholds.h"

#include <cmath>
#include <vector>

#include "gtest/gtest.h"

namespace groupguard::internal {
namespace {

TEST(ThresholdForHamRateTest, LetsThroughAtMostTheShare) {
  const std::vector<double> ham = {0.1, 0.9, 0.2, 0.5};
  // 1 of 4 ham may score at or above it: just above the second highest.
  const double t = ThresholdForHamRate(ham, 0.25);
  EXPECT_EQ(t, std::nextafter(0.5, 2.0));
  EXPECT_EQ(HamAtOrAbove(ham, t), 1);
  EXPECT_EQ(HamAtOrAbove(ham, ThresholdForHamRate(ham, 0)), 0);
  EXPECT_EQ(ThresholdForHamRate(ham, 1), 0);  // all may: every post is at or above 0
  EXPECT_EQ(ThresholdForHamRate({}, 0.01), 0.5);
  // Tied ham stay on one side: fewer than the share, never more.
  const std::vector<double> tied = {0.7, 0.7, 0.7, 0.1};
  EXPECT_EQ(HamAtOrAbove(tied, ThresholdForHamRate(tied, 0.25)), 0);
}

// Ham that scores exactly 1 is spam at any threshold: the verdict is "spam" when
// P(spam) >= the threshold, which is at most 1. The threshold is then 1 (the fewest
// ham blocked), and HamAtOrAbove counts what it blocks: more than the share allows.
TEST(ThresholdForHamRateTest, HamAtOneIsBlockedByAnyThreshold) {
  const std::vector<double> ham = {1.0, 0.3, 1.0, 0.2, 1.0, 0.1, 0.05, 0.01};
  const double t = ThresholdForHamRate(ham, 0.125);  // 1 of 8 allowed
  EXPECT_EQ(t, 1.0);
  EXPECT_EQ(HamAtOrAbove(ham, t), 3);
  EXPECT_EQ(HamAtOrAbove(ham, ThresholdForHamRate(ham, 0)), 3);
  // Just below 1 is still kept out.
  const std::vector<double> near = {std::nextafter(1.0, 0.0), 0.5};
  EXPECT_EQ(ThresholdForHamRate(near, 0), 1.0);
  EXPECT_EQ(HamAtOrAbove(near, 1.0), 0);
}

}  // namespace
}  // namespace groupguard::internal
