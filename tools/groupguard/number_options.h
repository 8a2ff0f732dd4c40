#ifndef GROUPGUARD_TOOLS_GROUPGUARD_NUMBER_OPTIONS_H_
#define GROUPGUARD_TOOLS_GROUPGUARD_NUMBER_OPTIONS_H_

#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"

namespace groupguard::cli {

// Numeric options, read the same way by every command, and refused in one wording:
// "--hash-bits: 40 is not a decimal integer from 10 to 26", which main() prints as
// "groupguard: <that> (groupguard train --help)", exit 2.

// A value as an option's usage error shows it: "an empty value" for "" (else
// "--hash-bits ''" would read "--hash-bits:  is not ..."), the value otherwise.
// Shared with the named-value options' messages (usage_errors.cc).
std::string ShownValue(const std::string& value);

namespace number_options_internal {

// Reads `text` (the value as typed) as a decimal integer from `lo` to `hi` and
// rewrites it in plain decimal for CLI11 to convert; "" if it is one, else the
// message. The signed one takes a "-"; the unsigned one refuses it ("-1" is not
// 2^64 - 1).
std::string CheckDecimal(std::string& text, int64_t lo, int64_t hi);
std::string CheckDecimal(std::string& text, uint64_t lo, uint64_t hi);

// A range's end as help and messages show it: the 64-bit types' limits as powers
// of two ("2^64-1", "2^63-1", "-2^63"), which nobody reads off 20 digits; any other
// value in decimal.
std::string Bound(int64_t v);
std::string Bound(uint64_t v);

// Bound() of an integer of any type, by its signedness.
template <typename T>
std::string BoundOf(T v) {
  if constexpr (std::is_signed_v<T>) {
    return Bound(int64_t{v});
  } else {
    return Bound(uint64_t{v});
  }
}

template <typename T>
struct ElementOf {
  using type = T;
};
template <typename T>
struct ElementOf<std::vector<T>> {
  using type = T;
};

}  // namespace number_options_internal

// A transforming validator for an option holding a T (an integer type): the value
// must be written in decimal, digits with an optional "-" (signed T only; "-0" is
// 0) and surrounding blanks, no "+", and lie in [lo, hi]. CLI11 alone reads
// integers as C does ("0100" is 64, "0x10" is 16) and an unsigned "-1" as its
// largest value; here leading zeros are decimal ("0100" is 100), as a user who
// wrote them meant, and anything else is a usage error naming the range.
template <typename T>
CLI::Validator DecimalIn(T lo, T hi) {
  static_assert(std::is_integral_v<T> && !std::is_same_v<T, bool>);
  return CLI::Validator(
      [lo, hi](std::string& text) -> std::string {
        if constexpr (std::is_signed_v<T>) {
          return number_options_internal::CheckDecimal(text, int64_t{lo}, int64_t{hi});
        } else {
          return number_options_internal::CheckDecimal(text, uint64_t{lo}, uint64_t{hi});
        }
      },
      "");
}

// Adds the integer option `names` ("--hash-bits", "-t,--threads") holding `*value`
// (an integer, or a vector of them for an option of several values), each a
// decimal integer in [lo, hi] (DecimalIn). Its help shows "INT in [lo - hi]" (the
// 64-bit limits as "2^64-1" and so on: Bound()).
// Every integer option of every command is added through this. Returns the option
// (->capture_default_str(), ->needs(), ->expected(), ...).
template <typename Value>
CLI::Option* AddIntegerOption(CLI::App* command, const std::string& names, Value* value,
                              typename number_options_internal::ElementOf<Value>::type lo,
                              typename number_options_internal::ElementOf<Value>::type hi,
                              const std::string& description) {
  return command->add_option(names, *value, description)
      ->type_name(absl::StrCat("INT in [", number_options_internal::BoundOf(lo), " - ",
                               number_options_internal::BoundOf(hi), "]"))
      ->transform(DecimalIn(lo, hi));
}

// A validator for a floating-point option: a number written in decimal, digits with
// an optional "-", "." and exponent ("0.5", "-.5", "1e-3") and surrounding blanks,
// no "+", in [lo, hi] (rewritten without the blanks); else a usage error "--l2: -1
// is not a decimal number from 0 to 10". CLI11 alone reads a number as strtod does: "0x1p-3" (0.125), "inf" and
// "nan" (which CLI::Range lets through: no comparison with NaN fails). Its
// description is empty: the option's type name shows the range (AddNumberOption).
CLI::Validator NumberIn(double lo, double hi);

// The same for a number above `lo` and at most `hi` (naive Bayes' --alpha).
CLI::Validator NumberAbove(double lo, double hi);

// Adds the fractional option `names` ("--l2") holding `*value` (a double, or a
// vector of them for an option that may be repeated), each a number in [lo, hi]
// (NumberIn). Its help shows "FLOAT in [lo - hi]", as an integer option's shows
// "INT in [lo - hi]" (CLI11 would show the type and the check, "FLOAT:FLOAT in
// [...]"). Every fractional option of every command is added through this or
// AddNumberAboveOption. Returns the option.
template <typename Value>
CLI::Option* AddNumberOption(CLI::App* command, const std::string& names, Value* value,
                             double lo, double hi, const std::string& description) {
  return command->add_option(names, *value, description)
      ->type_name(absl::StrCat("FLOAT in [", lo, " - ", hi, "]"))
      ->transform(NumberIn(lo, hi));
}

// The same for a number above `lo` and at most `hi` (NumberAbove): "FLOAT in (lo -
// hi]".
template <typename Value>
CLI::Option* AddNumberAboveOption(CLI::App* command, const std::string& names,
                                  Value* value, double lo, double hi,
                                  const std::string& description) {
  return command->add_option(names, *value, description)
      ->type_name(absl::StrCat("FLOAT in (", lo, " - ", hi, "]"))
      ->transform(NumberAbove(lo, hi));
}

}  // namespace groupguard::cli

#endif  // GROUPGUARD_TOOLS_GROUPGUARD_NUMBER_OPTIONS_H_
