#ifndef GROUPGUARD_LIB_TEXT_CHAR_CLASSES_H_
#define GROUPGUARD_LIB_TEXT_CHAR_CLASSES_H_

// Small code point classifications the tokenizer needs that utf8proc does not
// provide (emoji, confusables) or that are cheaper as explicit ranges.

#include <cstdint>

namespace groupguard::internal {

// Zero-width characters spammers insert to split words: ZWSP, ZWNJ, ZWJ, word
// joiner, invisible operators, BOM/ZWNBSP, Mongolian vowel separator, soft hyphen.
inline bool IsZeroWidth(char32_t c) {
  return (c >= 0x200B && c <= 0x200D) || (c >= 0x2060 && c <= 0x2064) ||
         c == 0xFEFF || c == 0x180E || c == 0x00AD;
}

// Bidirectional formatting controls (LRM, RLM, ALM, embeddings, overrides,
// isolates).
inline bool IsBidiControl(char32_t c) {
  return c == 0x200E || c == 0x200F || c == 0x061C || (c >= 0x202A && c <= 0x202E) ||
         (c >= 0x2066 && c <= 0x2069);
}

// Variation selectors (text/emoji presentation and the supplement): dropped
// silently, so "❤️" and "❤" are the same token.
inline bool IsVariationSelector(char32_t c) {
  return (c >= 0xFE00 && c <= 0xFE0F) || (c >= 0xE0100 && c <= 0xE01EF);
}

inline bool IsEmojiModifier(char32_t c) { return c >= 0x1F3FB && c <= 0x1F3FF; }
inline bool IsRegionalIndicator(char32_t c) { return c >= 0x1F1E6 && c <= 0x1F1FF; }
// Tag characters (subdivision flags such as England's).
inline bool IsEmojiTag(char32_t c) { return c >= 0xE0020 && c <= 0xE007F; }

// Code points that start an emoji token: the pictographic blocks plus the older
// symbols that are commonly shown as emoji. Checked after NFKC, which already
// turned the letter-like ones (™, ℹ, squared Latin letters) into letters.
bool IsEmoji(char32_t c);

// CJK ideographs, kana and Hangul syllables: written without spaces, so each is
// its own word token.
inline bool IsCjk(char32_t c) {
  return (c >= 0x3040 && c <= 0x30FF) || (c >= 0x3400 && c <= 0x4DBF) ||
         (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0xAC00 && c <= 0xD7AF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x20000 && c <= 0x3134F);
}

// Properties of the two-byte UTF-8 code points (U+0080..U+07FF: Latin-1 and Latin
// Extended, Greek, Cyrillic, Armenian, Hebrew, Arabic), precomputed from utf8proc
// so the hot loops over such text need no utf8proc call per character.
struct TwoByteInfo {
  enum : uint8_t {
    kWordChar = 1,   // letter, mark or decimal digit
    kStarter = 2,    // combining class 0 and never the second of a composition
    kStable = 4,     // folds (NFKC + case fold) to `folded`, alone, one code point
                     // of two bytes; and is not an emoji nor an invisible character
    kUpper = 8,      // category Lu
    kCased = 16,     // category Lu, Ll or Lt
  };
  uint8_t flags;
  uint16_t folded;  // valid with kStable
};
// Indexed by code point - 0x80, for code points 0x80..0x7FF. Built once,
// thread-safe.
const TwoByteInfo* TwoByteTable();

// The Latin letter a (case-folded) Cyrillic or Greek letter is commonly mistaken
// for ("а" U+0430 -> 'a'), or 0 if it is not a common confusable.
char HomoglyphToLatin(char32_t c);

}  // namespace groupguard::internal

#endif  // GROUPGUARD_LIB_TEXT_CHAR_CLASSES_H_
