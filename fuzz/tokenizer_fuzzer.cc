// Tokenizes arbitrary bytes with a few option sets and checks the invariants the
// rest of the library relies on: spans inside the (capped) input, begin <= end,
// token text inside storage and valid UTF-8, folded text valid UTF-8.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "absl/strings/string_view.h"
#include "groupguard/tokenizer.h"
#include "text/utf8.h"

namespace {

bool ValidUtf8(absl::string_view s) {
  for (size_t i = 0; i < s.size();) {
    size_t len;
    const auto* p = reinterpret_cast<const unsigned char*>(s.data()) + i;
    const char32_t cp = groupguard::internal::DecodeUtf8(p, s.size() - i, &len);
    if (cp == groupguard::internal::kReplacementChar &&
        !(len == 3 && p[0] == 0xEF && p[1] == 0xBF && p[2] == 0xBD)) {
      return false;
    }
    i += len;
  }
  return true;
}

void Check(const groupguard::Tokenizer& tokenizer, absl::string_view input,
           groupguard::Tokenization* t) {
  tokenizer.Tokenize(input, t);
  const size_t limit = std::min(input.size(), tokenizer.options().max_input_bytes);
  if (!ValidUtf8(t->folded())) std::abort();
  for (const groupguard::Token& token : t->tokens()) {
    if (token.begin > token.end || token.end > limit) std::abort();
    const absl::string_view text = t->text(token);
    if (text.size() != token.text_size || text.empty()) std::abort();
    if (!ValidUtf8(text)) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const groupguard::Tokenizer* const kDefault =
      new groupguard::Tokenizer(groupguard::Tokenizer::Create({}).value());
  static const groupguard::Tokenizer* const kSmall = [] {
    groupguard::TokenizerOptions o;
    o.max_input_bytes = 1024;  // exercises the cut inside a character
    o.max_char_run = 2;
    o.decode_html = false;
    o.fold_leet = false;
    return new groupguard::Tokenizer(groupguard::Tokenizer::Create(o).value());
  }();
  // One Tokenization reused across inputs, as a scoring thread does, so stale
  // buffer contents from a previous input are exercised too.
  static groupguard::Tokenization* const t = new groupguard::Tokenization;
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  Check(*kDefault, input, t);
  Check(*kSmall, input, t);
  return 0;
}
