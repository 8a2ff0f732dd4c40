#ifndef GROUPGUARD_LIB_TEXT_UTF8_H_
#define GROUPGUARD_LIB_TEXT_UTF8_H_

#include <cstddef>
#include <cstdint>

namespace groupguard::internal {

inline constexpr char32_t kReplacementChar = 0xFFFD;

// Decodes one code point from [p, p + n), n >= 1. Sets *len to the bytes consumed
// (>= 1). Invalid input (stray continuation byte, truncated sequence, overlong
// form, surrogate, value past U+10FFFF, 0xF8..0xFF) yields U+FFFD and consumes the
// maximal invalid prefix as one unit (at most the bytes of the intended sequence
// that were well-formed so far, at least 1), as the Unicode standard recommends.
// Hand-written rather than utf8proc_iterate: it runs on every non-ASCII byte and
// must report how much to skip on error, which utf8proc does not.
inline char32_t DecodeUtf8(const unsigned char* p, size_t n, size_t* len) {
  const unsigned char b0 = p[0];
  if (b0 < 0x80) {
    *len = 1;
    return b0;
  }
  size_t need;
  char32_t cp;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    need = 1;
    cp = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    need = 2;
    cp = b0 & 0x0F;
    if (b0 == 0xE0) lo = 0xA0;  // overlong
    if (b0 == 0xED) hi = 0x9F;  // surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    need = 3;
    cp = b0 & 0x07;
    if (b0 == 0xF0) lo = 0x90;  // overlong
    if (b0 == 0xF4) hi = 0x8F;  // past U+10FFFF
  } else {
    *len = 1;
    return kReplacementChar;
  }
  size_t i = 1;
  for (; i <= need; ++i) {
    if (i >= n) {
      *len = i;
      return kReplacementChar;
    }
    const unsigned char b = p[i];
    if (i == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xBF)) {
      *len = i;
      return kReplacementChar;
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  *len = i;
  return cp;
}

// Writes the UTF-8 form of `cp` (a valid scalar value) to `out` (>= 4 bytes) and
// returns its length.
inline size_t EncodeUtf8(char32_t cp, char* out) {
  if (cp < 0x80) {
    out[0] = static_cast<char>(cp);
    return 1;
  }
  if (cp < 0x800) {
    out[0] = static_cast<char>(0xC0 | (cp >> 6));
    out[1] = static_cast<char>(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = static_cast<char>(0xE0 | (cp >> 12));
    out[1] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out[2] = static_cast<char>(0x80 | (cp & 0x3F));
    return 3;
  }
  out[0] = static_cast<char>(0xF0 | (cp >> 18));
  out[1] = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
  out[2] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
  out[3] = static_cast<char>(0x80 | (cp & 0x3F));
  return 4;
}

}  // namespace groupguard::internal

#endif  // GROUPGUARD_LIB_TEXT_UTF8_H_
