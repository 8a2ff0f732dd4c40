// Differential: the tokenizer's and normalizer's fast paths (FastWord, the
// MayBeUrl / MayBeEmail / MayBePhone prefilters, the 8-byte ASCII normalizer
// loop, ASCII entity folding, the token buffer) must give exactly what the
// general paths give. The input is tokenized with the fast paths on (in a warm
// Tokenization reused across inputs, as on a scoring thread) and off (in a
// fresh one), under the default options and under options taken from the first
// two bytes; the folded text and every token's kind, text and span must be
// equal, and so must Normalize's folded text, stats and spans. Any difference
// aborts with both results on stderr.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "groupguard/tokenizer.h"
#include "text/fast_paths.h"
#include "text/normalizer.h"

namespace {

using groupguard::Token;
using groupguard::Tokenization;
using groupguard::Tokenizer;
using groupguard::TokenizerOptions;

// Everything Tokenize produces, as one string.
std::string Dump(const Tokenization& t) {
  std::string out = absl::StrCat("folded \"", absl::CHexEscape(t.folded()), "\"\n");
  for (const Token& token : t.tokens()) {
    absl::StrAppend(&out, groupguard::TokenKindName(token.kind), " \"",
                    absl::CHexEscape(t.text(token)), "\" [", token.begin, ",", token.end,
                    ")\n");
  }
  return out;
}

// Normalize's result, kept for comparing.
struct Normalized {
  std::string folded;
  std::vector<uint32_t> begins, ends;
  groupguard::internal::NormalizeStats s;
};

void RunNormalize(absl::string_view input, bool decode_html, bool fast_paths,
                  Normalized* n) {
  groupguard::internal::SetFastPathsForTesting(fast_paths);
  n->s = groupguard::internal::NormalizeStats();
  groupguard::internal::Normalize(input, decode_html, 4 * input.size() + 64,
                                  {&n->folded, &n->begins, &n->ends}, &n->s);
  groupguard::internal::SetFastPathsForTesting(true);
}

bool SameNormalized(const Normalized& a, const Normalized& b) {
  const auto& x = a.s;
  const auto& y = b.s;
  if (x.identity != y.identity || x.folded_size != y.folded_size ||
      x.has_zero_width != y.has_zero_width || x.zero_width_begin != y.zero_width_begin ||
      x.zero_width_end != y.zero_width_end || x.has_bidi != y.has_bidi ||
      x.bidi_begin != y.bidi_begin || x.bidi_end != y.bidi_end ||
      x.uppercase_letters != y.uppercase_letters || x.cased_letters != y.cased_letters ||
      a.folded.compare(0, x.folded_size, b.folded, 0, y.folded_size) != 0) {
    return false;
  }
  if (x.identity) return true;
  return std::equal(a.begins.begin(), a.begins.begin() + x.folded_size,
                    b.begins.begin()) &&
         std::equal(a.ends.begin(), a.ends.begin() + x.folded_size, b.ends.begin());
}

// Everything Normalize produces (folded text, stats, input spans), as one string.
std::string NormalizeDump(const Normalized& n) {
  const auto& s = n.s;
  std::string out = absl::StrCat(
      "folded \"", absl::CHexEscape(absl::string_view(n.folded.data(), s.folded_size)),
      "\"\nidentity ", s.identity, " zero_width ", s.has_zero_width, " ",
      s.zero_width_begin, "-", s.zero_width_end, " bidi ", s.has_bidi, " ", s.bidi_begin,
      "-", s.bidi_end, " upper ", s.uppercase_letters, " cased ", s.cased_letters,
      "\nspans:");
  if (!s.identity) {
    for (size_t i = 0; i < s.folded_size; ++i) {
      absl::StrAppend(&out, " ", n.begins[i], "-", n.ends[i]);
    }
  }
  return out;
}

bool SameTokens(const Tokenization& a, const Tokenization& b) {
  if (a.folded() != b.folded() || a.tokens().size() != b.tokens().size()) return false;
  for (size_t i = 0; i < a.tokens().size(); ++i) {
    const Token& x = a.tokens()[i];
    const Token& y = b.tokens()[i];
    if (x.kind != y.kind || x.begin != y.begin || x.end != y.end ||
        a.text(x) != b.text(y)) {
      return false;
    }
  }
  return true;
}

[[noreturn]] void Differ(absl::string_view what, absl::string_view input,
                         const std::string& fast, const std::string& general) {
  std::fprintf(stderr,
               "%.*s: fast and general paths differ on \"%s\"\nfast:\n%s\ngeneral:\n%s\n",
               static_cast<int>(what.size()), what.data(),
               absl::CHexEscape(input).c_str(), fast.c_str(), general.c_str());
  std::abort();
}

void Compare(const Tokenizer& tokenizer, absl::string_view input, Tokenization* warm) {
  groupguard::internal::SetFastPathsForTesting(true);
  tokenizer.Tokenize(input, warm);
  groupguard::internal::SetFastPathsForTesting(false);
  Tokenization general;
  tokenizer.Tokenize(input, &general);
  groupguard::internal::SetFastPathsForTesting(true);
  if (!SameTokens(*warm, general)) {
    const TokenizerOptions& o = tokenizer.options();
    Differ(
        absl::StrCat("Tokenize (homoglyphs ", o.fold_homoglyphs, " leet ", o.fold_leet,
                     " max_char_run ", o.max_char_run, " html ", o.decode_html, " urls ",
                     o.detect_urls, " max_input_bytes ", o.max_input_bytes, ")"),
        input, Dump(*warm), Dump(general));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const Tokenizer* const kDefault = new Tokenizer(Tokenizer::Create({}).value());
  // Warm, reused: stale bytes and tokens of longer inputs stay behind.
  static Tokenization* const warm_default = new Tokenization;
  static Tokenization* const warm_derived = new Tokenization;
  if (size < 2) return 0;
  const uint8_t b0 = data[0], b1 = data[1];
  const absl::string_view input(reinterpret_cast<const char*>(data) + 2, size - 2);

  TokenizerOptions o;
  o.fold_homoglyphs = (b0 & 1) != 0;
  o.fold_leet = (b0 & 2) != 0;
  o.decode_html = (b0 & 4) != 0;
  o.detect_urls = (b0 & 8) != 0;
  o.max_char_run = 2 + (b0 >> 4) % 15;  // 2..16
  // Half the time the smallest budget plus up to 127 bytes, to cut inputs of a
  // few KiB (inside a character, an entity, a URL).
  if (b1 & 1) o.max_input_bytes = 1024 + (b1 >> 1);
  const Tokenizer derived = Tokenizer::Create(o).value();

  Compare(*kDefault, input, warm_default);
  Compare(derived, input, warm_derived);
  // Reused, as a Tokenization's buffers are: stale bytes stay behind.
  static Normalized* const fast = new Normalized;
  static Normalized* const general = new Normalized;
  for (const bool decode_html : {true, false}) {
    RunNormalize(input, decode_html, true, fast);
    RunNormalize(input, decode_html, false, general);
    if (!SameNormalized(*fast, *general)) {
      Differ(absl::StrCat("Normalize (decode_html ", decode_html, ")"), input,
             NormalizeDump(*fast), NormalizeDump(*general));
    }
  }
  return 0;
}
