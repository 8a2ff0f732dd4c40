#include "model/features.h"

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace groupguard::internal {

absl::StatusOr<FeatureHasher> FeatureHasher::Create(const FeatureOptions& options) {
  if (options.hash_bits < 10 || options.hash_bits > 26) {
    return absl::InvalidArgumentError(absl::StrCat(
        "FeatureOptions.hash_bits must be in [10, 26], got ", options.hash_bits));
  }
  if (options.char_ngram_min == 0 && options.char_ngram_max != 0) {
    return absl::InvalidArgumentError(
        "FeatureOptions.char_ngram_max must be 0 when char_ngram_min is 0");
  }
  if (options.char_ngram_min != 0 &&
      (options.char_ngram_min < 1 || options.char_ngram_max > 8 ||
       options.char_ngram_min > options.char_ngram_max)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "FeatureOptions char n-grams need 1 <= char_ngram_min <= char_ngram_max <= 8, "
        "got ",
        options.char_ngram_min, "..", options.char_ngram_max));
  }
  if (!options.unigrams && !options.bigrams && options.char_ngram_min == 0 &&
      !options.length_feature) {
    return absl::InvalidArgumentError("FeatureOptions enables no feature at all");
  }
  return FeatureHasher(options);
}

std::string TokenName(TokenKind kind, absl::string_view text) {
  std::string name;
  AppendTokenName(kind, text, &name);
  return name;
}

void AppendTokenName(TokenKind kind, absl::string_view text, std::string* out) {
  // Words, and URL markers (they already read "url", "url:short",
  // "url:obfuscated"), are named by their text alone.
  if (kind != TokenKind::kWord &&
      !(kind == TokenKind::kUrl && absl::StartsWith(text, "url"))) {
    absl::StrAppend(out, TokenKindName(kind), ":");
  }
  out->append(text.data(), text.size());
}

std::string LengthClassName(uint32_t length_class) {
  std::string name;
  AppendLengthClassName(length_class, &name);
  return name;
}

void AppendLengthClassName(uint32_t length_class, std::string* out) {
  if (length_class == 0) {
    out->append("length:0 tokens");
  } else if (length_class == 1) {
    out->append("length:1 token");
  } else {
    const uint64_t low = uint64_t{1} << (length_class - 1);
    absl::StrAppend(out, "length:", low, "-", 2 * low - 1, " tokens");
  }
}

}  // namespace groupguard::internal
