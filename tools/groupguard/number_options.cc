#include "number_options.h"

#include "absl/strings/numbers.h"

namespace groupguard::cli {
namespace {

// The value as a message shows it ("--hash-bits ''" would read "--hash-bits:  is not").
std::string Shown(const std::string& text) {
  return text.empty() ? "an empty value" : text;
}

}  // namespace

namespace number_options_internal {
namespace {

template <typename I>
std::string Check(std::string& text, I lo, I hi) {
  // absl::SimpleAtoi reads base 10 only: "0x10" and "1e3" are refused, "0100" is 100,
  // and an unsigned I refuses a "-".
  I v;
  if (absl::SimpleAtoi(text, &v) && lo <= v && v <= hi) {
    text = absl::StrCat(v);
    return "";
  }
  return absl::StrCat(Shown(text), " is not a decimal integer from ", lo, " to ", hi);
}

}  // namespace

std::string CheckDecimal(std::string& text, int64_t lo, int64_t hi) {
  return Check(text, lo, hi);
}

std::string CheckDecimal(std::string& text, uint64_t lo, uint64_t hi) {
  return Check(text, lo, hi);
}

}  // namespace number_options_internal

CLI::Validator NumberIn(double lo, double hi) {
  return CLI::Validator(
      [lo, hi](std::string& value) -> std::string {
        double v;
        if (!absl::SimpleAtod(value, &v) || !(v >= lo && v <= hi)) {
          return absl::StrCat(Shown(value), " is not a number from ", lo, " to ", hi);
        }
        return "";
      },
      "");
}

CLI::Validator NumberAbove(double lo, double hi) {
  return CLI::Validator(
      [lo, hi](std::string& value) -> std::string {
        double v;
        if (!absl::SimpleAtod(value, &v) || !(v > lo && v <= hi)) {
          return absl::StrCat(Shown(value), " is not a number above ", lo,
                              " and at most ", hi);
        }
        return "";
      },
      "");
}

}  // namespace groupguard::cli
