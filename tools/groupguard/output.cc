#include "output.h"

#include <cmath>
#include <cstdint>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "utf8proc.h"

namespace groupguard::cli {
namespace {

void AppendDigits(uint64_t v, int width, std::string* out) {
  // Digits written from the end of a buffer and appended at once (a push_back per
  // digit cost a capacity check each: 1.6% of a score run).
  char buf[24];
  int n = 0;
  if (width > 20) width = 20;
  do {
    buf[sizeof(buf) - 1 - n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0 || n < width);
  out->append(buf + sizeof(buf) - n, static_cast<size_t>(n));
}

}  // namespace

void AppendJsonString(absl::string_view s, std::string* out) {
  out->push_back('"');
  const char* p = s.data();
  const char* end = p + s.size();
  while (p < end) {
    const char* run = p;
    while (p < end && kPlainJsonBytes.plain[static_cast<unsigned char>(*p)]) ++p;
    out->append(run, p - run);
    if (p == end) break;
    unsigned char c = static_cast<unsigned char>(*p);
    if (c >= 0x80) {
      utf8proc_int32_t cp;
      utf8proc_ssize_t n =
          utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(p), end - p, &cp);
      if (n <= 0) {
        out->append("\xEF\xBF\xBD");
        ++p;
      } else {
        out->append(p, static_cast<size_t>(n));
        p += n;
      }
      continue;
    }
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default: {
        static const char kHex[] = "0123456789abcdef";
        char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
        out->append(esc, 6);
      }
    }
    ++p;
  }
  out->push_back('"');
}

void AppendCsvField(absl::string_view s, std::string* out) {
  if (s.find_first_of(",\"\r\n") == absl::string_view::npos) {
    out->append(s.data(), s.size());
    return;
  }
  out->push_back('"');
  for (char c : s) {
    if (c == '"') out->push_back('"');
    out->push_back(c);
  }
  out->push_back('"');
}

namespace {

// "000".."999" as the low three bytes of a little-endian word, so that a
// probability's six decimals are two look-ups (six divisions by 10 cost more
// than the rest of a score line) and its eight bytes one store.
struct ThreeDigits {
  uint32_t digits[1000];
  constexpr ThreeDigits() : digits() {
    for (uint32_t i = 0; i < 1000; ++i) {
      digits[i] = ('0' + i / 100) | ('0' + i / 10 % 10) << 8 | ('0' + i % 10) << 16;
    }
  }
};
constexpr ThreeDigits kThreeDigits;

}  // namespace

char* FormatProbability(double p, char* out) {
  if (!(p > 0)) p = 0;  // also NaN
  if (p > 1) p = 1;
  // At most 1,000,000.5: converted as a signed number, one instruction (an
  // unsigned conversion tests for values of 2^63 and more first), with the same
  // result.
  uint32_t micros = static_cast<uint32_t>(static_cast<int64_t>(p * 1e6 + 0.5));
  const uint64_t lead = micros >= 1000000 ? '1' : '0';
  if (micros >= 1000000) micros = 0;
  const uint32_t high = micros / 1000;
  const uint32_t low = micros - high * 1000;
  // "d.dddddd" as one little-endian word: the lead digit, '.', then the two
  // groups of three.
  uint64_t text = lead | uint64_t{'.'} << 8 | uint64_t{kThreeDigits.digits[high]} << 16 |
                  uint64_t{kThreeDigits.digits[low]} << 40;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  text = __builtin_bswap64(text);
#endif
  static_assert(kProbabilityBytes == sizeof(text));
  std::memcpy(out, &text, sizeof(text));
  return out + kProbabilityBytes;
}

void AppendProbability(double p, std::string* out) {
  char buf[kProbabilityBytes];
  out->append(buf, static_cast<size_t>(FormatProbability(p, buf) - buf));
}

void AppendFixed4(double v, std::string* out) {
  if (std::isnan(v)) v = 0;
  bool negative = v < 0;
  if (negative) v = -v;
  if (v > 1e15) v = 1e15;
  uint64_t scaled = static_cast<uint64_t>(v * 1e4 + 0.5);
  if (negative && scaled != 0) out->push_back('-');
  AppendDigits(scaled / 10000, 1, out);
  out->push_back('.');
  AppendDigits(scaled % 10000, 4, out);
}

}  // namespace groupguard::cli
