#include "text/char_classes.h"

#include <utf8proc.h>

#include <cstdint>

namespace groupguard::internal {

const TwoByteInfo* TwoByteTable() {
  static const TwoByteInfo* const table = [] {
    auto* t = new TwoByteInfo[0x800 - 0x80];
    for (int32_t c = 0x80; c < 0x800; ++c) {
      TwoByteInfo& info = t[c - 0x80];
      info.flags = 0;
      info.folded = 0;
      const utf8proc_property_t* p = utf8proc_get_property(c);
      const auto cat = static_cast<utf8proc_category_t>(p->category);
      if ((cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_ME) ||
          cat == UTF8PROC_CATEGORY_ND) {
        info.flags |= TwoByteInfo::kWordChar;
      }
      const bool second = p->comb_index != UINT16_MAX && p->comb_index >= 0x8000;
      if (p->combining_class == 0 && !second) info.flags |= TwoByteInfo::kStarter;
      if (cat == UTF8PROC_CATEGORY_LU) info.flags |= TwoByteInfo::kUpper;
      if (cat == UTF8PROC_CATEGORY_LU || cat == UTF8PROC_CATEGORY_LL ||
          cat == UTF8PROC_CATEGORY_LT) {
        info.flags |= TwoByteInfo::kCased;
      }
      if (!(info.flags & TwoByteInfo::kStarter) || IsZeroWidth(c) || IsBidiControl(c) ||
          IsEmoji(c)) {
        continue;
      }
      // The same folding the normalizer applies to a lone character.
      utf8proc_int32_t buf[32];
      int boundclass = 0;
      utf8proc_ssize_t n = utf8proc_decompose_char(
          c, buf, 32,
          static_cast<utf8proc_option_t>(UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT |
                                         UTF8PROC_CASEFOLD),
          &boundclass);
      if (n <= 0 || n > 32) continue;
      if (n > 1) n = utf8proc_normalize_utf32(buf, n, UTF8PROC_COMPOSE);
      if (n == 1 && buf[0] >= 0x80 && buf[0] < 0x800) {
        const utf8proc_property_t* fp = utf8proc_get_property(buf[0]);
        const bool fsecond = fp->comb_index != UINT16_MAX && fp->comb_index >= 0x8000;
        if (fp->combining_class == 0 && !fsecond) {
          info.flags |= TwoByteInfo::kStable;
          info.folded = static_cast<uint16_t>(buf[0]);
        }
      }
    }
    return t;
  }();
  return table;
}

bool IsEmoji(char32_t c) {
  if (c < 0x2000) return c == 0x00A9 || c == 0x00AE;
  if (c >= 0x1F000 && c <= 0x1FAFF) {
    // Not the alchemical symbols and arrows-C blocks, which are not emoji.
    return c < 0x1F700 || (c >= 0x1F7E0 && (c < 0x1F800 || c >= 0x1F900));
  }
  if (c >= 0x2600 && c <= 0x27BF) return true;  // misc symbols, dingbats
  switch (c) {
    case 0x203C: case 0x2049: case 0x2194: case 0x2195: case 0x2196: case 0x2197:
    case 0x2198: case 0x2199: case 0x21A9: case 0x21AA: case 0x231A: case 0x231B:
    case 0x2328: case 0x23CF: case 0x23F8: case 0x23F9: case 0x23FA: case 0x24C2:
    case 0x25AA: case 0x25AB: case 0x25B6: case 0x25C0: case 0x25FB: case 0x25FC:
    case 0x25FD: case 0x25FE: case 0x2934: case 0x2935: case 0x2B05: case 0x2B06:
    case 0x2B07: case 0x2B1B: case 0x2B1C: case 0x2B50: case 0x2B55: case 0x3030:
    case 0x303D: case 0x3297: case 0x3299:
      return true;
    default:
      return c >= 0x23E9 && c <= 0x23F3;
  }
}

char HomoglyphToLatin(char32_t c) {
  switch (c) {
    // Cyrillic (after case folding, so capitals arrive as these small letters).
    case 0x0430: return 'a';  // а
    case 0x0432: return 'b';  // в (capital В looks like B)
    case 0x0435: return 'e';  // е
    case 0x0451: return 'e';  // ё
    case 0x043A: return 'k';  // к
    case 0x043C: return 'm';  // м (capital М)
    case 0x043D: return 'h';  // н (capital Н)
    case 0x043E: return 'o';  // о
    case 0x0440: return 'p';  // р
    case 0x0441: return 'c';  // с
    case 0x0442: return 't';  // т (capital Т)
    case 0x0443: return 'y';  // у
    case 0x0445: return 'x';  // х
    case 0x044C: return 'b';  // ь
    case 0x0455: return 's';  // ѕ
    case 0x0456: return 'i';  // і
    case 0x0457: return 'i';  // ї
    case 0x0458: return 'j';  // ј
    case 0x04BB: return 'h';  // һ
    case 0x04CF: return 'l';  // ӏ
    case 0x0501: return 'd';  // ԁ
    case 0x051B: return 'q';  // ԛ
    case 0x051D: return 'w';  // ԝ
    // Greek.
    case 0x03B1: return 'a';  // α
    case 0x03B2: return 'b';  // β (capital Β)
    case 0x03B3: return 'y';  // γ
    case 0x03B5: return 'e';  // ε
    case 0x03B6: return 'z';  // ζ (capital Ζ)
    case 0x03B9: return 'i';  // ι
    case 0x03BA: return 'k';  // κ
    case 0x03BD: return 'v';  // ν
    case 0x03BF: return 'o';  // ο
    case 0x03C1: return 'p';  // ρ
    case 0x03C4: return 't';  // τ
    case 0x03C5: return 'u';  // υ
    case 0x03C7: return 'x';  // χ
    default: return 0;
  }
}

}  // namespace groupguard::internal
