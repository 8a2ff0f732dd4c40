#include "output.h"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace groupguard::cli {
namespace {

// The probability's text by the rule it has always had, written plainly: clamped
// to [0, 1] (NaN is 0), rounded half up to millionths in double arithmetic,
// printed by snprintf.
std::string Reference(double p) {
  if (!(p > 0)) p = 0;
  if (p > 1) p = 1;
  const uint64_t micros = static_cast<uint64_t>(p * 1e6 + 0.5);
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%d.%06d", micros >= 1000000 ? 1 : 0,
                static_cast<int>(micros >= 1000000 ? 0 : micros));
  return buf;
}

std::string Formatted(double p) {
  char buf[kProbabilityBytes + 1];
  buf[kProbabilityBytes] = '#';  // must be left alone
  const char* end = FormatProbability(p, buf);
  EXPECT_EQ(end, buf + kProbabilityBytes);
  EXPECT_EQ(buf[kProbabilityBytes], '#') << p;
  return std::string(buf, kProbabilityBytes);
}

// FormatProbability writes its eight bytes at once: every millionth, the values
// around each one and around each rounding boundary, and the values outside
// [0, 1], give the text of the plain rule, as AppendProbability does.
TEST(OutputTest, ProbabilitiesReadAsTheirRoundedMillionths) {
  std::vector<double> values = {0.0,
                                -0.0,
                                -1.0,
                                1.0,
                                1.5,
                                0.9999995,
                                0.99999949999,
                                std::numeric_limits<double>::denorm_min(),
                                std::numeric_limits<double>::min(),
                                std::numeric_limits<double>::infinity(),
                                -std::numeric_limits<double>::infinity(),
                                std::numeric_limits<double>::quiet_NaN()};
  for (int k = 0; k <= 1000000; ++k) {
    const double at = k / 1e6;
    const double half = (k + 0.5) / 1e6;
    for (const double p : {at, half}) {
      values.push_back(p);
      values.push_back(std::nextafter(p, 0.0));
      values.push_back(std::nextafter(p, 2.0));
    }
  }
  for (const double p : values) {
    const std::string want = Reference(p);
    ASSERT_EQ(Formatted(p), want) << p;
    std::string appended = "x";
    AppendProbability(p, &appended);
    ASSERT_EQ(appended, "x" + want) << p;
  }
  EXPECT_EQ(Formatted(0.0123454), "0.012345");
  EXPECT_EQ(Formatted(0.0123455), "0.012346");
  EXPECT_EQ(Formatted(1.0), "1.000000");
  EXPECT_EQ(Formatted(0.9999996), "1.000000");
}

}  // namespace
}  // namespace groupguard::cli
