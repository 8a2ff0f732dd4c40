#include "model/thresholds.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <functional>

namespace groupguard::internal {

double ThresholdForHamRate(std::vector<double> ham, double rate) {
  if (ham.empty()) return 0.5;
  std::sort(ham.begin(), ham.end(), std::greater<double>());
  const size_t allowed =
      static_cast<size_t>(std::floor(rate * static_cast<double>(ham.size()) + 1e-9));
  if (allowed >= ham.size()) return 0;
  // Every ham at index >= allowed must fall below the threshold: just above the
  // highest of them. A threshold is at most 1, so ham at 1 stay at or above it.
  return std::min(1.0, std::nextafter(ham[allowed], 2.0));
}

int64_t HamAtOrAbove(const std::vector<double>& ham, double threshold) {
  return std::count_if(ham.begin(), ham.end(),
                       [threshold](double p) { return p >= threshold; });
}

}  // namespace groupguard::internal
