#include "text/char_classes.h"

namespace groupguard::internal {

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
