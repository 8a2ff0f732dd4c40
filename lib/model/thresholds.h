#ifndef GROUPGUARD_LIB_MODEL_THRESHOLDS_H_
#define GROUPGUARD_LIB_MODEL_THRESHOLDS_H_

#include <cstdint>
#include <vector>

namespace groupguard::internal {

// The lowest threshold in [0, 1] that lets at most floor(`rate` * ham) of `ham`
// (calibrated probabilities) score at or above it, as the classifier calls a post
// spam (or unsure) when its P(spam) >= the threshold. When more ham than that
// score exactly 1, no such threshold exists: returns 1, which blocks the fewest
// ham (those at 1; count them with HamAtOrAbove). 0.5 for no ham.
double ThresholdForHamRate(std::vector<double> ham, double rate);

// How many of `ham` score at or above `threshold`: what it blocks.
int64_t HamAtOrAbove(const std::vector<double>& ham, double threshold);

}  // namespace groupguard::internal

#endif  // GROUPGUARD_LIB_MODEL_THRESHOLDS_H_
