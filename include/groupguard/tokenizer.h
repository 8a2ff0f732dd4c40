#ifndef GROUPGUARD_TOKENIZER_H_
#define GROUPGUARD_TOKENIZER_H_

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace groupguard {

namespace internal {
class TokenizationAccess;  // the library's unchecked view (not part of the API)

// Room for elements of a trivially copyable T, grown by realloc: unlike a
// std::vector, growing neither zeroes the new room nor, for a large block, copies
// the old one (glibc moves its pages), so room a long post reserves but does not
// fill takes no memory. Elements are unspecified until written. Not part of the
// API.
template <typename T>
class GrowableArray {
 public:
  GrowableArray() = default;
  GrowableArray(const GrowableArray&) = delete;
  GrowableArray& operator=(const GrowableArray&) = delete;
  ~GrowableArray() { std::free(data_); }

  T* data() { return data_; }
  const T* data() const { return data_; }
  size_t size() const { return size_; }  // elements there is room for
  // Room for `n` elements; the first min(n, size()) keep their values.
  void Resize(size_t n) {
    void* p = std::realloc(data_, (n == 0 ? 1 : n) * sizeof(T));
    if (p == nullptr) throw std::bad_alloc();  // as std::vector would
    data_ = static_cast<T*>(p);
    size_ = n;
  }
  // Frees the room.
  void Release() {
    std::free(data_);
    data_ = nullptr;
    size_ = 0;
  }

 private:
  T* data_ = nullptr;
  size_t size_ = 0;
};
}  // namespace internal

// How raw post bytes are folded and split into tokens. Saved in every model file, so
// a model is always scored with the tokenizer it was trained with.
struct TokenizerOptions {
  // Map Cyrillic and Greek look-alike letters inside otherwise Latin words to Latin
  // ("pаypal" with a Cyrillic "а" becomes "paypal").
  bool fold_homoglyphs = true;
  // Fold l33t digits inside words where unambiguous ("fr33" -> "free"): 0 1 3 5 7
  // between two Latin letters ("h0t", "v1agra"), or a final pair of one of them
  // after two letters ("fr33"), in a word with no other digit. 2, 4, 8, leading
  // and single final digits stay ("4u", "b2b", "mp3", "gr8").
  bool fold_leet = true;
  // A run of one letter (or one emoji) longer than this is cut to this length
  // ("soooooo" -> "sooo"); digits are never cut. 2..16.
  int max_char_run = 3;
  // Decode HTML entities and drop tags (URLs in href attributes are kept as text).
  bool decode_html = true;
  // Recognize URLs, including obfuscated ones ("site . com", "hxxp://", "site dot
  // com"), and emit host, registrable-domain and URL-marker tokens for them.
  bool detect_urls = true;
  // Bytes of a post past this are ignored (a memory budget for untrusted input).
  // 1 KiB..64 MiB.
  size_t max_input_bytes = size_t{4} << 20;
};

// Tokens come in input order, except kSignal tokens, which all come last (in the
// order zero_width, bidi, homoglyph, shouting, many_exclaims), so they never sit
// between two words of a bigram. A URL gives kUrl, kHost, then kDomain (if the host
// has a registrable domain), then the words of its path.
enum class TokenKind : uint8_t {
  kWord = 0,    // a folded word (at most 64 bytes); also a currency sign ("$", "£")
  kNumber = 1,  // a number, as a shape: digits as '9', '.' and ',' kept ("9,999.99")
  kUrl = 2,     // a URL marker: "url", "url:short" (a shortener such as bit.ly) or
                // "url:obfuscated" ("hxxp://", "site dot com", "site . com")
  kHost = 3,    // a URL's host, folded, labels joined by '.' ("www.example.com")
  kDomain = 4,  // a URL's registrable domain per the public suffix list ("example.com")
  kEmail = 5,   // an e-mail address, as a shape (text: its domain, "gmail.com")
  kPhone = 6,   // a phone number, as a shape: leading '+' or '0', 'd', digit count
                // ("+d12" for "+44 7700 900123", "0d11" for "08712405020", "d10")
  kEmoji = 7,   // one emoji, or one ZWJ sequence / flag / emoji with skin tone
  kSignal = 8,  // a property of the text: "zero_width", "bidi" (such characters were
                // removed), "homoglyph" (look-alikes were mapped), "shouting" (8+
                // cased letters, 70%+ upper case), "many_exclaims" (3+ '!')
};

// Returns a short stable name of `kind` ("word", "host", ...).
absl::string_view TokenKindName(TokenKind kind);

// One token. Its folded text lives in the Tokenization that produced it.
struct Token {
  TokenKind kind = TokenKind::kWord;
  uint32_t text_offset = 0;  // into Tokenization's text storage
  uint32_t text_size = 0;
  uint32_t begin = 0;  // byte span [begin, end) in the original input; a signal
  uint32_t end = 0;    // token spans what caused it
};

// The result of Tokenizer::Tokenize, and the reusable scratch space for it: reuse one
// per thread to avoid allocation. Not thread-safe.
class Tokenization {
 public:
  Tokenization() = default;
  Tokenization(const Tokenization&) = delete;
  Tokenization& operator=(const Tokenization&) = delete;

  absl::Span<const Token> tokens() const {
    return absl::Span<const Token>(tokens_.data(), token_count_);
  }
  absl::string_view text(const Token& token) const {
    return absl::string_view(storage_.data(), storage_.size())
        .substr(token.text_offset, token.text_size);
  }
  // The whole input after folding (for tests and tools).
  absl::string_view folded() const { return absl::string_view(folded_.data(), folded_size_); }

  void Clear();

 private:
  friend class Tokenizer;
  friend class internal::TokenizationAccess;
  // Buffers are kept at their high-water size between calls, so a warm
  // Tokenization neither allocates nor clears; only the used prefix is meaningful.
  // (Tokens are written into place, not appended: emplace_back would zero each
  // one before the tokenizer writes every field.)
  internal::GrowableArray<Token> tokens_;  // the first token_count_ are this result's
  size_t token_count_ = 0;
  internal::GrowableArray<char> storage_;  // folded text of every token, back to back
  std::string folded_;   // folded input (the first folded_size_ bytes)
  size_t folded_size_ = 0;
  // Per folded byte, the span of input bytes it came from. Not written while every
  // folded byte came from the input byte at the same offset (plain ASCII text): the
  // normalizer says so (NormalizeStats::identity), and what the arrays hold then is
  // an earlier text's, unread.
  std::vector<uint32_t> folded_to_input_;  // folded byte -> input span begin
  std::vector<uint32_t> folded_end_;       // folded byte -> input span end
};

// Folds and tokenizes text. Immutable after Create(): Tokenize() may be called from
// any number of threads at once, each with its own Tokenization.
class Tokenizer {
 public:
  // Returns kInvalidArgument if an option is out of range.
  static absl::StatusOr<Tokenizer> Create(const TokenizerOptions& options);

  const TokenizerOptions& options() const { return options_; }

  // Replaces the contents of `out` with the tokens of `input`. `input` is any bytes:
  // invalid UTF-8 is replaced by U+FFFD, and bytes past options().max_input_bytes are
  // ignored (cut back to a character boundary); so is the rest of a post once its
  // folded text reaches twice its size plus 64 bytes (real text folds to about its
  // own size; a run of U+FDFA, 3 bytes that fold to 33, would take ~100 bytes of
  // memory per byte of post). Never fails. With a warm `out` (one that tokenized a
  // post at least as long before) it does not allocate.
  //
  // Folding, in order: HTML entities decoded and tags dropped (inline tags such as
  // <b> without a trace, others as a space, href values kept); zero-width and bidi
  // characters and variation selectors removed; NFKC and case folding (fullwidth
  // and styled letters become ASCII); then per word: homoglyphs, l33t digits, long
  // runs, digit runs of 3+ in words as 9s ("win1000" -> "win9999"). Each CJK
  // character is a word. Other punctuation and symbols separate tokens.
  void Tokenize(absl::string_view input, Tokenization* out) const;

 private:
  explicit Tokenizer(const TokenizerOptions& options) : options_(options) {}
  TokenizerOptions options_;
};

}  // namespace groupguard

#endif  // GROUPGUARD_TOKENIZER_H_
