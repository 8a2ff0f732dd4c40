#ifndef GROUPGUARD_LIB_TEXT_TOKENIZATION_ACCESS_H_
#define GROUPGUARD_LIB_TEXT_TOKENIZATION_ACCESS_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "groupguard/tokenizer.h"

namespace groupguard::internal {

// The library's unchecked view of a Tokenization, for the scoring loop:
// Tokenization::text() bounds-checks every token (it takes any Token), which
// costs as much as hashing a short token. Stateless; as thread-safe as the
// Tokenization it reads.
class TokenizationAccess {
 public:
  // The start of `tokenization`'s token text storage: token t's folded text is
  // the t.text_size bytes at t.text_offset. Valid until `tokenization` changes.
  static const char* TextStorage(const Tokenization& tokenization) {
    return tokenization.storage_.data();
  }
  // Tokenization::text() without the bounds check. REQUIRES: `token` is one of
  // tokenization.tokens().
  static absl::string_view Text(const Tokenization& tokenization, const Token& token) {
    return absl::string_view(tokenization.storage_.data() + token.text_offset,
                             token.text_size);
  }
  // Empties `tokenization` and frees its buffers.
  static void Release(Tokenization& tokenization) {
    tokenization.Clear();
    tokenization.tokens_.Release();
    tokenization.storage_.Release();
    std::string().swap(tokenization.folded_);
    std::vector<uint32_t>().swap(tokenization.folded_to_input_);
    std::vector<uint32_t>().swap(tokenization.folded_end_);
  }
  // Tokens, and bytes of token text, that `tokenization`'s buffers have room for.
  static size_t TokenRoom(const Tokenization& tokenization) {
    return tokenization.tokens_.size();
  }
  static size_t TextRoom(const Tokenization& tokenization) {
    return tokenization.storage_.size();
  }
  // Bytes of memory `tokenization` holds (its buffers stay at their high-water
  // size between calls).
  static size_t HeldBytes(const Tokenization& tokenization) {
    return tokenization.tokens_.size() * sizeof(Token) + tokenization.storage_.size() +
           tokenization.folded_.capacity() +
           (tokenization.folded_to_input_.capacity() +
            tokenization.folded_end_.capacity()) *
               sizeof(uint32_t);
  }
};

}  // namespace groupguard::internal

#endif  // GROUPGUARD_LIB_TEXT_TOKENIZATION_ACCESS_H_
