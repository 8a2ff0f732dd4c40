#include "number_options.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "CLI/CLI.hpp"
#include "gtest/gtest.h"

namespace groupguard::cli {
namespace {

// The message CLI11 throws for `command_line`, or "" if it parses.
std::string ParseError(CLI::App& app, const std::string& command_line) {
  try {
    app.parse(command_line);
  } catch (const CLI::ParseError& e) {
    return e.what();
  }
  return "";
}

// The same for the words `args`, as the shell would pass them.
std::string ParseErrorOf(CLI::App& app, std::vector<std::string> args) {
  std::reverse(args.begin(), args.end());  // CLI11 takes them last first
  try {
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    return e.what();
  }
  return "";
}

TEST(AddIntegerOptionTest, ReadsDecimalOnlyWithLeadingZerosDecimal) {
  CLI::App app;
  int n = 0;
  AddIntegerOption(&app, "-n,--number", &n, 1, 1000, "");
  EXPECT_EQ(ParseError(app, "--number 0100"), "");
  EXPECT_EQ(n, 100);  // CLI11 alone: 64
  app.clear();
  EXPECT_EQ(ParseError(app, "-n 010"), "");
  EXPECT_EQ(n, 10);  // CLI11 alone: 8
  for (const std::string refused :
       {"0x10", "0X10", "0b11", "1e2", "12.0", "1,000", "x"}) {
    app.clear();
    EXPECT_EQ(ParseError(app, "-n " + refused),
              "--number: " + refused + " is not a decimal integer from 1 to 1000")
        << refused;
  }
}

TEST(AddIntegerOptionTest, RefusesValuesOutOfRange) {
  CLI::App app;
  int n = 0;
  AddIntegerOption(&app, "--n", &n, -5, 5, "");
  EXPECT_EQ(ParseError(app, "--n -5"), "");
  EXPECT_EQ(n, -5);
  app.clear();
  EXPECT_EQ(ParseError(app, "--n 6"), "--n: 6 is not a decimal integer from -5 to 5");
  app.clear();
  EXPECT_EQ(ParseError(app, "--n 99999999999"),
            "--n: 99999999999 is not a decimal integer from -5 to 5");
  app.clear();
  EXPECT_EQ(ParseErrorOf(app, {"--n", ""}),
            "--n: an empty value is not a decimal integer from -5 to 5");
}

// An unsigned option takes no "-": CLI11 alone read "-1" as the type's largest value.
TEST(AddIntegerOptionTest, UnsignedOptionsRefuseNegativeValues) {
  CLI::App app;
  size_t mib = 7;
  uint64_t seed = 7;
  AddIntegerOption(&app, "--mib", &mib, 0, 1024, "");
  AddIntegerOption(&app, "--seed", &seed, 0, std::numeric_limits<uint64_t>::max(), "");
  EXPECT_EQ(ParseError(app, "--mib -1"),
            "--mib: -1 is not a decimal integer from 0 to 1024");
  app.clear();
  EXPECT_EQ(ParseError(app, "--seed -1"),
            "--seed: -1 is not a decimal integer from 0 to 2^64-1");
  app.clear();
  EXPECT_EQ(ParseError(app, "--seed 18446744073709551616"),
            "--seed: 18446744073709551616 is not a decimal integer from 0 to 2^64-1");
  app.clear();
  EXPECT_EQ(ParseError(app, "--seed 18446744073709551615 --mib 01024"), "");
  EXPECT_EQ(seed, std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(mib, 1024u);
}

TEST(AddIntegerOptionTest, ChecksEachValueOfAVector) {
  CLI::App app;
  std::vector<int> pair;
  AddIntegerOption(&app, "--pair", &pair, 0, 8, "")->expected(2);
  EXPECT_EQ(ParseError(app, "--pair 03 08"), "");
  EXPECT_EQ(pair, (std::vector<int>{3, 8}));
  app.clear();
  EXPECT_EQ(ParseError(app, "--pair 3 0x5"),
            "--pair: 0x5 is not a decimal integer from 0 to 8");
  app.clear();
  EXPECT_EQ(ParseError(app, "--pair 9 3"),
            "--pair: 9 is not a decimal integer from 0 to 8");
}

// A "+" is refused, as the header says (absl::SimpleAtoi takes one); a "-0" is 0.
TEST(AddIntegerOptionTest, RefusesAPlusSign) {
  CLI::App app;
  int n = 7;
  uint64_t seed = 7;
  AddIntegerOption(&app, "--n", &n, -5, 5, "");
  AddIntegerOption(&app, "--seed", &seed, 0, std::numeric_limits<uint64_t>::max(), "");
  EXPECT_EQ(ParseErrorOf(app, {"--n", "+5"}),
            "--n: +5 is not a decimal integer from -5 to 5");
  app.clear();
  EXPECT_EQ(ParseErrorOf(app, {"--n", " +5"}),
            "--n:  +5 is not a decimal integer from -5 to 5");
  app.clear();
  EXPECT_EQ(ParseErrorOf(app, {"--seed", "+5"}),
            "--seed: +5 is not a decimal integer from 0 to 2^64-1");
  app.clear();
  EXPECT_EQ(ParseErrorOf(app, {"--n", "-0", "--seed", " 5 "}), "");
  EXPECT_EQ(n, 0);
  EXPECT_EQ(seed, 5u);
}

TEST(AddIntegerOptionTest, HelpShowsTheRange) {
  CLI::App app;
  int n = 20;
  AddIntegerOption(&app, "--hash-bits", &n, 10, 26, "")->capture_default_str();
  EXPECT_NE(app.help().find("--hash-bits INT in [10 - 26]=20"), std::string::npos)
      << app.help();
}

// The 64-bit types' limits read as powers of two in the help and in messages, not
// as 19 or 20 digits; other ends, also of narrower types, in decimal.
TEST(AddIntegerOptionTest, SixtyFourBitLimitsShowAsPowersOfTwo) {
  CLI::App app;
  uint64_t seed = 1;
  int64_t offset = 0;
  uint32_t small = 0;
  AddIntegerOption(&app, "--seed", &seed, 0, std::numeric_limits<uint64_t>::max(), "");
  AddIntegerOption(&app, "--offset", &offset, std::numeric_limits<int64_t>::min(),
                   std::numeric_limits<int64_t>::max(), "");
  AddIntegerOption(&app, "--small", &small, 1, std::numeric_limits<uint32_t>::max(), "");
  const std::string help = app.help();
  EXPECT_NE(help.find("--seed INT in [0 - 2^64-1]"), std::string::npos) << help;
  EXPECT_NE(help.find("--offset INT in [-2^63 - 2^63-1]"), std::string::npos) << help;
  EXPECT_NE(help.find("--small INT in [1 - 4294967295]"), std::string::npos) << help;
  EXPECT_EQ(ParseError(app, "--offset 9223372036854775808"),
            "--offset: 9223372036854775808 is not a decimal integer from -2^63 to 2^63-1");
  app.clear();
  EXPECT_EQ(ParseError(app, "--offset -9223372036854775808 --small 4294967295"), "");
  EXPECT_EQ(offset, std::numeric_limits<int64_t>::min());
  EXPECT_EQ(small, std::numeric_limits<uint32_t>::max());
}

TEST(NumberInTest, RefusesOutOfRangeAndNan) {
  CLI::App app;
  double x = 0, a = 1;
  app.add_option("--x", x)->check(NumberIn(0, 1));
  app.add_option("--alpha", a)->check(NumberAbove(0, 100));
  EXPECT_EQ(ParseError(app, "--x 0.5 --alpha 100"), "");
  EXPECT_EQ(x, 0.5);
  for (const std::string refused : {"1.5", "-0.1", "nan", "x"}) {
    app.clear();
    EXPECT_EQ(ParseError(app, "--x " + refused),
              "--x: " + refused + " is not a decimal number from 0 to 1");
  }
  app.clear();
  EXPECT_EQ(ParseError(app, "--alpha 0"),
            "--alpha: 0 is not a decimal number above 0 and at most 100");
}

// Blanks around a number are taken on either side, as an integer option takes them:
// "0.5 " was refused with CLI11's own "could not convert" (" 0.5" was taken).
TEST(AddNumberOptionTest, TakesBlanksOnEitherSide) {
  CLI::App app;
  double x = 0, a = 1;
  AddNumberOption(&app, "--x", &x, 0, 1, "");
  AddNumberAboveOption(&app, "--alpha", &a, 0, 100, "");
  for (const char* typed : {"0.25 ", " 0.25", " 0.25\t"}) {
    app.clear();
    EXPECT_EQ(ParseErrorOf(app, {"--x", typed, "--alpha", typed}), "") << typed;
    EXPECT_EQ(x, 0.25) << typed;
    EXPECT_EQ(a, 0.25) << typed;
  }
}

// Decimal only, as an integer option: strtod's other forms (a hex float, "inf",
// "nan") and a "+" are refused, though in range; an exponent is decimal and fine.
TEST(NumberInTest, ReadsDecimalOnly) {
  CLI::App app;
  double x = 0, a = 1;
  app.add_option("--x", x)->check(NumberIn(0, 1));
  app.add_option("--alpha", a)->check(NumberAbove(0, 1e300));
  for (const auto& [typed, value] :
       std::vector<std::pair<std::string, double>>{{"1e-3", 1e-3},
                                                   {"2.5E-1", 0.25},
                                                   {".5", 0.5},
                                                   {"1.", 1},
                                                   {"-0", 0},
                                                   {"0100e-3", 0.1}}) {
    app.clear();
    EXPECT_EQ(ParseErrorOf(app, {"--x", typed}), "") << typed;
    EXPECT_EQ(x, value) << typed;
  }
  for (const std::string refused : {"0x1p-3", "0X.8P0", "inf", "infinity", "nan", "+0.5",
                                    "1e", "e-3", ".", "-", "0.5e+", "1e-3x"}) {
    app.clear();
    EXPECT_EQ(ParseErrorOf(app, {"--x", refused}),
              "--x: " + refused + " is not a decimal number from 0 to 1");
    app.clear();
    EXPECT_EQ(
        ParseErrorOf(app, {"--alpha", refused}),
        "--alpha: " + refused + " is not a decimal number above 0 and at most 1e+300");
  }
}

}  // namespace
}  // namespace groupguard::cli
