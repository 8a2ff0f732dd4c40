#include "number_options.h"

#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"

namespace groupguard::cli {
namespace {

// Whether `text` is a number written in decimal: blanks, an optional "-", digits
// with an optional "." (at least one digit), an optional exponent ("e" or "E",
// an optional sign, digits) and blanks: "0.5", "-.5", "5.", "1e-3". Not "0x1p-3",
// "inf" or "nan", which absl::SimpleAtod (as strtod) reads too, nor "+0.5".
bool IsDecimalNumber(const std::string& text) {
  const absl::string_view s = absl::StripAsciiWhitespace(text);
  size_t i = 0;
  auto digits = [&] {
    const size_t start = i;
    while (i < s.size() && absl::ascii_isdigit(static_cast<unsigned char>(s[i]))) ++i;
    return i - start;
  };
  if (i < s.size() && s[i] == '-') ++i;
  size_t mantissa = digits();
  if (i < s.size() && s[i] == '.') {
    ++i;
    mantissa += digits();
  }
  if (mantissa == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (digits() == 0) return false;
  }
  return i == s.size();
}

}  // namespace

std::string ShownValue(const std::string& value) {
  return value.empty() ? "an empty value" : value;
}

namespace number_options_internal {
namespace {

template <typename I>
std::string Check(std::string& text, I lo, I hi) {
  // absl::SimpleAtoi reads base 10 only: "0x10" and "1e3" are refused, "0100" is 100,
  // and an unsigned I refuses a "-". It takes a "+" too ("+5"), which is refused
  // here: a decimal integer is digits with an optional "-", as a fractional option's
  // number is (IsDecimalNumber).
  I v;
  const absl::string_view typed = absl::StripLeadingAsciiWhitespace(text);
  if (!absl::StartsWith(typed, "+") && absl::SimpleAtoi(text, &v) && lo <= v && v <= hi) {
    text = absl::StrCat(v);
    return "";
  }
  return absl::StrCat(ShownValue(text), " is not a decimal integer from ", Bound(lo),
                      " to ", Bound(hi));
}

}  // namespace

std::string Bound(int64_t v) {
  if (v == std::numeric_limits<int64_t>::max()) return "2^63-1";
  if (v == std::numeric_limits<int64_t>::min()) return "-2^63";
  return absl::StrCat(v);
}

std::string Bound(uint64_t v) {
  if (v == std::numeric_limits<uint64_t>::max()) return "2^64-1";
  return absl::StrCat(v);
}

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
        if (!IsDecimalNumber(value) || !absl::SimpleAtod(value, &v) ||
            !(v >= lo && v <= hi)) {
          return absl::StrCat(ShownValue(value), " is not a decimal number from ", lo,
                              " to ", hi);
        }
        // Without the blanks, for CLI11's conversion (which took " 0.5" but
        // refused "0.5 " with its own message).
        value = std::string(absl::StripAsciiWhitespace(value));
        return "";
      },
      "");
}

CLI::Validator NumberAbove(double lo, double hi) {
  return CLI::Validator(
      [lo, hi](std::string& value) -> std::string {
        double v;
        if (!IsDecimalNumber(value) || !absl::SimpleAtod(value, &v) ||
            !(v > lo && v <= hi)) {
          return absl::StrCat(ShownValue(value), " is not a decimal number above ", lo,
                              " and at most ", hi);
        }
        // Without the blanks, for CLI11's conversion (which took " 0.5" but
        // refused "0.5 " with its own message).
        value = std::string(absl::StripAsciiWhitespace(value));
        return "";
      },
      "");
}

}  // namespace groupguard::cli
