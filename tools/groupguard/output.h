#ifndef GROUPGUARD_TOOLS_GROUPGUARD_OUTPUT_H_
#define GROUPGUARD_TOOLS_GROUPGUARD_OUTPUT_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace groupguard::cli {

// Appends a string literal: its length is known at compile time (std::string's
// append(const char*) calls strlen on every call).
template <size_t N>
inline void AppendLiteral(const char (&literal)[N], std::string* out) {
  out->append(literal, N - 1);
}

// Appends `s` as a JSON string literal (quotes included). Control characters are
// escaped and invalid UTF-8 becomes U+FFFD, so the output is always valid JSON.
void AppendJsonString(absl::string_view s, std::string* out);

// Bytes that a JSON string holds as they are (printable ASCII but '"' and '\\'):
// where AppendJsonString copies and does not escape.
struct PlainJsonBytes {
  bool plain[256];
  constexpr PlainJsonBytes() : plain() {
    for (int c = 0; c < 256; ++c)
      plain[c] = c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
  }
};
inline constexpr PlainJsonBytes kPlainJsonBytes;

// Whether AppendJsonString(s) is `s` between quotes: every byte plain.
inline bool IsPlainJsonString(absl::string_view s) {
  for (const char c : s) {
    if (!kPlainJsonBytes.plain[static_cast<unsigned char>(c)]) return false;
  }
  return true;
}

// Appends `s` as one CSV field (RFC 4180): quoted when it holds a comma, quote, CR
// or LF.
void AppendCsvField(absl::string_view s, std::string* out);

// Appends a probability in [0, 1] with 6 decimals ("0.012345", "1.000000"). Fast:
// no locale, no printf. Values outside [0, 1] (or NaN) are clamped.
void AppendProbability(double p, std::string* out);

// The same text as AppendProbability, written to out[0, kProbabilityBytes);
// returns out + kProbabilityBytes.
inline constexpr size_t kProbabilityBytes = 8;
char* FormatProbability(double p, char* out);

// Appends a signed number with 4 decimals ("-1.2345").
void AppendFixed4(double v, std::string* out);

}  // namespace groupguard::cli

#endif  // GROUPGUARD_TOOLS_GROUPGUARD_OUTPUT_H_
