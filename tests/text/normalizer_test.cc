// The folding of the tokenizer against utf8proc's own whole-string NFKC + case
// folding, for every two-byte character alone and followed by combining marks: the
// precomputed fast paths must agree with the reference.
#include "text/normalizer.h"

#include <utf8proc.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "text/utf8.h"

namespace groupguard::internal {
namespace {

std::string Reference(const std::string& s) {
  utf8proc_uint8_t* out = nullptr;
  const utf8proc_ssize_t n = utf8proc_map(
      reinterpret_cast<const utf8proc_uint8_t*>(s.data()), static_cast<utf8proc_ssize_t>(s.size()),
      &out,
      static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT |
                                     UTF8PROC_CASEFOLD));
  EXPECT_GE(n, 0);
  std::string r(reinterpret_cast<const char*>(out), n > 0 ? n : 0);
  std::free(out);
  return r;
}

std::string Fold(const std::string& s, NormalizeStats* stats) {
  std::string folded;
  std::vector<uint32_t> begins, ends;
  Normalize(s, /*decode_html=*/true, 4 * s.size() + 64, {&folded, &begins, &ends}, stats);
  folded.resize(stats->folded_size);
  return folded;
}

std::string Utf8(char32_t cp) {
  char buf[4];
  return std::string(buf, EncodeUtf8(cp, buf));
}

TEST(NormalizerTest, TwoByteCharactersFoldLikeUtf8proc) {
  int compared = 0;
  for (char32_t cp = 0xA0; cp < 0x800; ++cp) {
    if (cp == 0xAD || cp == 0x61C) continue;  // removed on purpose (invisible)
    const std::string c = Utf8(cp);
    for (const std::string& input :
         {"x" + c + "y", c + c + "z", "A" + c + "\xCC\x81" "b", c + "\xCC\x88",
          c + "\xD0\x98"}) {
      NormalizeStats stats;
      EXPECT_EQ(Fold(input, &stats), Reference(input)) << "U+" << std::hex << uint32_t(cp);
      ++compared;
    }
  }
  EXPECT_GT(compared, 8000);
}

TEST(NormalizerTest, CyrillicComposesWithFollowingMark) {
  // "и" + COMBINING BREVE is "й"; "Е" + COMBINING DIAERESIS is "ё".
  NormalizeStats stats;
  EXPECT_EQ(Fold("\xD0\xB8\xCC\x86 \xD0\x95\xCC\x88", &stats), "\xD0\xB9 \xD1\x91");
  EXPECT_FALSE(stats.identity);
}

TEST(NormalizerTest, LowerCaseCyrillicKeepsIdentitySpans) {
  NormalizeStats stats;
  EXPECT_EQ(Fold("Привет мир", &stats), "привет мир");
  EXPECT_TRUE(stats.identity);
  EXPECT_EQ(stats.cased_letters, 9u);
  EXPECT_EQ(stats.uppercase_letters, 1u);
}

TEST(NormalizerTest, ControlsBecomeSpaces) {
  NormalizeStats stats;
  EXPECT_EQ(Fold(std::string("a\0b\tc\x7F", 6), &stats), "a b c ");
}

TEST(NormalizerTest, SpansMapFoldedBytesToInput) {
  std::string folded;
  std::vector<uint32_t> begins, ends;
  NormalizeStats stats;
  const std::string input = "&amp;\xEF\xBC\xA1";  // "&amp;" then fullwidth A
  Normalize(input, true, 1024, {&folded, &begins, &ends}, &stats);
  ASSERT_EQ(stats.folded_size, 2u);
  EXPECT_EQ(folded.substr(0, 2), "&a");
  EXPECT_FALSE(stats.identity);
  EXPECT_EQ(begins[0], 0u);
  EXPECT_EQ(ends[0], 5u);
  EXPECT_EQ(begins[1], 5u);
  EXPECT_EQ(ends[1], 8u);
}

// ASCII bytes on either side of a character whose folding expands keep their
// one-for-one spans: the bytes before it through LeaveIdentity, the ones after it
// through FastRun's span loop (vectorized, four positions a step, with a tail),
// for runs of every length from 0 to 40.
TEST(NormalizerTest, OneForOneBytesAroundAnExpansionMapToThemselves) {
  const std::string expands = "\xEF\xAC\x81";  // U+FB01 LATIN SMALL LIGATURE FI: "fi"
  for (size_t before = 0; before <= 40; ++before) {
    for (size_t after = 0; after <= 40; after += 1 + after / 8) {
      const std::string input =
          std::string(before, 'A') + expands + std::string(after, 'b');
      std::string folded;
      std::vector<uint32_t> begins, ends;
      NormalizeStats stats;
      Normalize(input, /*decode_html=*/true, 1024, {&folded, &begins, &ends}, &stats);
      ASSERT_EQ(stats.folded_size, before + 2 + after);
      EXPECT_FALSE(stats.identity);
      EXPECT_EQ(folded.substr(0, stats.folded_size),
                std::string(before, 'a') + "fi" + std::string(after, 'b'));
      for (size_t t = 0; t < before; ++t) {
        EXPECT_EQ(begins[t], t) << before << " " << after << " byte " << t;
        EXPECT_EQ(ends[t], t + 1) << before << " " << after << " byte " << t;
      }
      for (size_t t = before; t < before + 2; ++t) {
        EXPECT_EQ(begins[t], before) << before << " " << after << " byte " << t;
        EXPECT_EQ(ends[t], before + 3) << before << " " << after << " byte " << t;
      }
      for (size_t t = before + 2; t < before + 2 + after; ++t) {
        EXPECT_EQ(begins[t], t + 1) << before << " " << after << " byte " << t;
        EXPECT_EQ(ends[t], t + 2) << before << " " << after << " byte " << t;
      }
    }
  }
}

// Output stops at max_output (one unit's folding past it at most, under 1 KiB), and
// so does buffer growth: a post that folds to several times its size must not
// leave buffers of twice that behind (8 bytes of spans per folded byte).
TEST(NormalizerTest, OutputAndBuffersStopNearMaxOutput) {
  const std::string fdfa = "\xEF\xB7\xBA";  // U+FDFA folds to 33 bytes of Arabic
  std::string expanding;
  for (int i = 0; i < 1800; ++i) expanding += fdfa;  // 5,400 bytes that fold to 59,400
  const std::string plain(10000, 'a');
  const std::string two_byte = [] {
    std::string s;
    for (int i = 0; i < 5000; ++i) s += "\xD0\xB0";  // Cyrillic a
    return s;
  }();
  for (const std::string& input :
       {expanding + plain, expanding + two_byte, expanding + "<a href=\"" + plain + "\">",
        expanding + expanding + expanding, std::string(20000, '\xFF')}) {
    std::string folded;
    std::vector<uint32_t> begins, ends;
    NormalizeStats stats;
    const size_t max_output = 4 * input.size() + 64;
    Normalize(input, /*decode_html=*/true, max_output, {&folded, &begins, &ends}, &stats);
    EXPECT_GE(stats.folded_size, std::min(max_output, size_t{59400}));
    EXPECT_LT(stats.folded_size, max_output + 1024);
    EXPECT_LT(folded.size(), max_output + 2048);
    EXPECT_LT(begins.size(), max_output + 2048);
    EXPECT_LT(ends.size(), max_output + 2048);
  }
}

// Characters of three and four bytes that neither decompose nor case-fold (box
// drawing, symbols, CJK, emoji) are kept as their own bytes: in identity, and after
// an entity, where each of their bytes maps back to the character's input span.
TEST(NormalizerTest, CharactersThatFoldToThemselvesKeepTheirBytes) {
  int compared = 0;
  for (char32_t cp = 0x800; cp < 0x20000; cp += (cp < 0x10000 ? 1 : 7)) {
    if (cp >= 0xD800 && cp <= 0xDFFF) continue;
    if (cp >= 0x1100 && cp <= 0x11FF) continue;  // Hangul jamo join the one before
    const utf8proc_property_t* p = utf8proc_get_property(static_cast<int32_t>(cp));
    if (p->decomp_seqindex != UINT16_MAX || p->casefold_seqindex != UINT16_MAX) continue;
    // Marks and format characters (zero-width, bidi) take other paths.
    if (p->category != UTF8PROC_CATEGORY_SO && p->category != UTF8PROC_CATEGORY_LO &&
        p->category != UTF8PROC_CATEGORY_SM && p->category != UTF8PROC_CATEGORY_PO) {
      continue;
    }
    const std::string c = Utf8(cp);
    NormalizeStats stats;
    EXPECT_EQ(Fold("x" + c + "y", &stats), "x" + c + "y")
        << "U+" << std::hex << uint32_t(cp);
    EXPECT_TRUE(stats.identity) << "U+" << std::hex << uint32_t(cp);

    std::string folded;
    std::vector<uint32_t> begins, ends;
    const std::string input = "&amp;" + c;
    Normalize(input, /*decode_html=*/true, 4 * input.size() + 64,
              {&folded, &begins, &ends}, &stats);
    ASSERT_FALSE(stats.identity);
    EXPECT_EQ(folded.substr(0, stats.folded_size), "&" + c)
        << "U+" << std::hex << uint32_t(cp);
    for (size_t t = 1; t < stats.folded_size; ++t) {
      EXPECT_EQ(begins[t], 5u) << "U+" << std::hex << uint32_t(cp) << " byte " << t;
      EXPECT_EQ(ends[t], input.size())
          << "U+" << std::hex << uint32_t(cp) << " byte " << t;
    }
    ++compared;
  }
  EXPECT_GT(compared, 20000);
}

// Every named entity decodes to its character, and a name one letter short, one
// letter long, one letter off or in another case stays literal text (unless it
// names another entity).
TEST(NormalizerTest, NamedEntitiesDecodeByTheirWholeName) {
  const std::vector<std::pair<std::string, char32_t>> entities = {
      {"amp", '&'},       {"lt", '<'},        {"gt", '>'},       {"quot", '"'},
      {"apos", '\''},     {"nbsp", 0xA0},     {"copy", 0xA9},    {"reg", 0xAE},
      {"trade", 0x2122},  {"hellip", 0x2026}, {"mdash", 0x2014}, {"ndash", 0x2013},
      {"lsquo", 0x2018},  {"rsquo", 0x2019},  {"ldquo", 0x201C}, {"rdquo", 0x201D},
      {"euro", 0x20AC},   {"pound", 0xA3},    {"yen", 0xA5},     {"cent", 0xA2},
      {"bull", 0x2022},   {"middot", 0xB7},   {"laquo", 0xAB},   {"raquo", 0xBB},
      {"times", 0xD7},    {"shy", 0xAD},      {"zwj", 0x200D},   {"zwnj", 0x200C},
      {"lrm", 0x200E},    {"rlm", 0x200F},    {"ensp", 0x2002},  {"emsp", 0x2003},
      {"thinsp", 0x2009}, {"deg", 0xB0},      {"iexcl", 0xA1},   {"iquest", 0xBF},
  };
  const auto entity_of = [&](const std::string& name) -> const char32_t* {
    for (const auto& [n, cp] : entities) {
      if (n == name) return &cp;
    }
    return nullptr;
  };
  // What "x&<name>;y" folds to: the entity's character there, or the text as
  // it is, case-folded (utf8proc's folding: no entity decoding in it).
  const auto expected = [&](const std::string& name) {
    NormalizeStats stats;
    const char32_t* cp = entity_of(name);
    return cp ? Fold("x" + Utf8(*cp) + "y", &stats) : Reference("x&" + name + ";y");
  };
  int checked = 0;
  for (const auto& [name, cp] : entities) {
    std::vector<std::string> names = {name, name.substr(0, name.size() - 1),
                                      name.substr(1), name + "s", name + "ab",
                                      "a" + name};
    for (size_t k = 0; k < name.size(); ++k) {
      std::string other = name;
      other[k] = static_cast<char>(other[k] == 'z' ? 'a' : other[k] + 1);
      names.push_back(other);
      other = name;
      other[k] = static_cast<char>(other[k] - 'a' + 'A');
      names.push_back(other);
    }
    for (const std::string& n : names) {
      NormalizeStats stats;
      EXPECT_EQ(Fold("x&" + n + ";y", &stats), expected(n)) << "&" << n << ";";
      ++checked;
    }
    NormalizeStats stats;  // decoded, not left as it is
    EXPECT_NE(Fold("x&" + name + ";y", &stats), "x&" + name + ";y") << name;
  }
  EXPECT_GT(checked, 400);
}

}  // namespace
}  // namespace groupguard::internal
