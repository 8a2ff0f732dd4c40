#include "groupguard/tokenizer.h"

#include <utf8proc.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "text/char_classes.h"
#include "text/domains.h"
#include "text/fast_paths.h"
#include "text/normalizer.h"
#include "text/utf8.h"
#include "util/platform.h"

#if GROUPGUARD_HAVE_SSE2
#include <emmintrin.h>
#endif

namespace groupguard {
namespace internal {
namespace {
std::atomic<bool> fast_paths_enabled{true};
}  // namespace

void SetFastPathsForTesting(bool enabled) {
  fast_paths_enabled.store(enabled, std::memory_order_relaxed);
}
bool FastPathsEnabled() { return fast_paths_enabled.load(std::memory_order_relaxed); }

}  // namespace internal

namespace {

using internal::DecodeUtf8;

// Classes of bytes in folded text (ASCII already lower case): letter, digit, or a
// byte of a non-ASCII character (kHigh).
enum : uint8_t { kLetter = 1, kDigit = 2, kHigh = 4 };
// What may follow a word's first run of letters and digits and start something
// longer: an e-mail address, a URL, or an obfuscated URL after a space. Also the
// bytes of an e-mail address's local part, and '@' (kEmailLocalOrAt).
enum : uint8_t {
  kMaybeEmail = 1,
  kMaybeUrl = 2,
  kSpace = 4,
  kObfuscatedStart = 8,
  kEmailLocalOrAt = 16
};

struct FoldedTables {
  uint8_t cls[256];
  uint8_t after[256];
  // ASCII bytes that only separate tokens (space, most punctuation): Scanner::Run
  // steps over them. Not '+' and '(' (phone numbers), '!' (counted), '$' (a token).
  bool inert[256];
  // Lower case ASCII letters that, after "word ", cannot carry on an obfuscated
  // host (all but 'd'): Scanner::FastWords goes on to the word they start without
  // more checks.
  bool plain_after_space[256];
  // Bytes of an e-mail address's local part (TryEmail): ASCII letters and digits,
  // '.', '_', '-', '+', '%'.
  bool email_local[256];
  // Bytes that, after "word.", may carry on an e-mail address (a local-part byte
  // or '@': Scanner::MayBeEmail) or a host (a label's first byte: ASCII letters
  // and digits, '-' or non-ASCII: Scanner::MayBeUrl). After any other byte both
  // answer false.
  bool goes_on_after_dot[256];
  // ASCII bytes of a host label (Scanner::LabelEnd): letters, digits and '-'.
  bool label_ascii[256];
};
constexpr FoldedTables MakeFoldedTables() {
  FoldedTables t{};
  for (int c = 0; c < 256; ++c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) t.cls[c] = kLetter;
    if (c >= '0' && c <= '9') t.cls[c] = kDigit;
    if (c >= 0x80) t.cls[c] = kHigh;
  }
  for (unsigned char c : {'@', '.', '_', '-', '+', '%'}) t.after[c] |= kMaybeEmail;
  for (unsigned char c : {'.', ':', '-', '(', '[', '{'}) t.after[c] |= kMaybeUrl;
  t.after[static_cast<unsigned char>(' ')] |= kSpace;
  // After "word ": what may continue an obfuscated host (" . ", " dot ", " (dot) ").
  for (unsigned char c : {'.', 'd', '(', '[', '{'}) t.after[c] |= kObfuscatedStart;
  for (int c = 0; c < 0x80; ++c) {
    if (t.cls[c] != 0) t.after[c] |= kEmailLocalOrAt;
  }
  for (unsigned char c : {'.', '_', '-', '+', '%', '@'}) t.after[c] |= kEmailLocalOrAt;
  for (int c = 0; c < 0x80; ++c) t.inert[c] = t.cls[c] == 0;
  for (unsigned char c : {'+', '(', '!', '$'}) t.inert[c] = false;
  for (int c = 0; c < 256; ++c) {
    t.plain_after_space[c] =
        c >= 'a' && c <= 'z' && (t.after[c] & kObfuscatedStart) == 0;
  }
  for (int c = 0; c < 256; ++c) {
    t.email_local[c] = (t.after[c] & kEmailLocalOrAt) != 0 && c != '@';
  }
  for (int c = 0; c < 256; ++c) {
    t.goes_on_after_dot[c] =
        (t.after[c] & kEmailLocalOrAt) != 0 || t.cls[c] != 0 || c == '-';
  }
  for (int c = 0; c < 0x80; ++c) t.label_ascii[c] = t.cls[c] != 0 || c == '-';
  return t;
}
constexpr FoldedTables kFolded = MakeFoldedTables();

// Written after the space that follows the folded text (see Tokenize): neither a
// letter, so that a space then a letter is always inside the text, nor a byte
// that Scanner::Run steps over, so that steps over separators stop at it.
constexpr unsigned char kAfterFinalSpace = '!';
static_assert(kFolded.cls[kAfterFinalSpace] == 0 && !kFolded.inert[kAfterFinalSpace],
              "see kAfterFinalSpace");
static_assert(kFolded.cls[static_cast<unsigned char>(' ')] == 0,
              "Scanner::FastWordsLoop takes a space after a word as its end unchecked");

// Whether the text at s (5 bytes readable) starts with " dot ", the one host-label
// separator (kSeparators) that a space then a 'd' can start.
inline bool StartsWithSpaceDot(const unsigned char* s) {
  return std::memcmp(s, " dot ", 5) == 0;
}

inline bool IsAsciiLetter(unsigned char c) { return c < 0x80 && kFolded.cls[c] == kLetter; }
inline bool IsAsciiDigit(unsigned char c) { return c >= '0' && c <= '9'; }

// Word characters beyond ASCII: letters, marks and decimal digits.
inline bool IsWordCategory(utf8proc_category_t cat) {
  return (cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_ME) ||
         cat == UTF8PROC_CATEGORY_ND;
}

// l33t digits folded inside words: the ones that stand for a single letter. 4 (for,
// a), 2 (to), 8 (ate) and 6/9 are read as themselves.
inline char LeetLetter(unsigned char d) {
  switch (d) {
    case '0': return 'o';
    case '1': return 'i';
    case '3': return 'e';
    case '5': return 's';
    case '7': return 't';
    default: return 0;
  }
}

// Whether every digit of w[0, n) is a l33t one.
inline bool AllDigitsLeet(const char* w, size_t n) {
  for (size_t k = 0; k < n; ++k) {
    const unsigned char c = static_cast<unsigned char>(w[k]);
    if (IsAsciiDigit(c) && LeetLetter(c) == 0) return false;
  }
  return true;
}

constexpr size_t kMaxWordBytes = 64;
constexpr size_t kMaxEmailLocalBytes = 64;
constexpr size_t kMaxShapeBytes = 24;
constexpr size_t kMaxLabelBytes = 63;  // of a host name label (RFC 1035)
constexpr int kManyExclaims = 3;
constexpr uint32_t kShoutingMinLetters = 8;
// Folded text stops at this many bytes per input byte (plus 64): see Tokenize().
constexpr size_t kMaxFoldedPerInputByte = 2;

// Appends token texts to a Tokenization's storage, which is kept at its high-water
// size between calls (so a warm call neither allocates nor clears); bytes past
// size() are stale. The subset of std::string's interface the scanner uses.
class TextBuffer {
 public:
  explicit TextBuffer(internal::GrowableArray<char>* s) : s_(*s) {}
  size_t size() const { return n_; }
  const char* data() const { return s_.data(); }
  char& operator[](size_t i) { return s_.data()[i]; }
  absl::string_view view() const { return absl::string_view(s_.data(), n_); }
  void push_back(char c) {
    Reserve(1);
    s_.data()[n_++] = c;
  }
  void append(const char* p, size_t n) {
    Reserve(n);
    std::memcpy(s_.data() + n_, p, n);
    n_ += n;
  }
  void append(absl::string_view v) { append(v.data(), v.size()); }
  // Appends the first n <= 8 bytes of `bytes` (in memory order) with one store.
  void AppendUpTo8(uint64_t bytes, size_t n) {
    Reserve(8);  // all 8 are written; the ones past n are stale
    std::memcpy(s_.data() + n_, &bytes, 8);
    n_ += n;
  }
  // Growing leaves the new bytes unspecified: callers write them next.
  void resize(size_t n) {
    if (n > n_) Reserve(n - n_);
    n_ = n;
  }
  // For a loop that keeps the buffer in locals (Scanner::FastWords): its bytes
  // (valid until it grows) and how many there is room for; set_size() hands the
  // used size back.
  char* raw() { return s_.data(); }
  size_t capacity() const { return s_.size(); }
  void set_size(size_t n) { n_ = n; }
  // Room for n more bytes past size().
  void Reserve(size_t n) {
    if (n_ + n > s_.size()) Grow(n);
  }

 private:
  // Out of line: the common Reserve is a compare.
  [[gnu::noinline]] void Grow(size_t n) {
    s_.Resize(std::max({2 * s_.size(), n_ + n, size_t{256}}));
  }

  internal::GrowableArray<char>& s_;
  size_t n_ = 0;
};

// Appends tokens to a Tokenization's token vector, which, like its storage, is
// kept at its high-water size between calls; tokens past size() are stale.
class TokenBuffer {
 public:
  explicit TokenBuffer(internal::GrowableArray<Token>* v)
      : v_(*v), next_(v->data()), end_(v->data() + v->size()) {}
  size_t size() const { return static_cast<size_t>(next_ - v_.data()); }
  // A new token at the end, every field of it to be written by the caller (it is
  // not cleared: that was a tenth of the cost of emitting one).
  Token& Append() {
    if (next_ == end_) Grow();
    return *next_++;
  }
  // For a loop that keeps the next slot in a local (Scanner::FastWords): where
  // the next token goes and the end of the room; set_next() hands it back.
  Token* next() const { return next_; }
  Token* end() const { return end_; }
  void set_next(Token* next) { next_ = next; }
  // size() and the room left (end() - next()), in bytes: no division by
  // sizeof(Token) (20, a shift and a multiply), for a loop's checks.
  size_t size_in_bytes() const {
    return static_cast<size_t>(reinterpret_cast<const char*>(next_) -
                               reinterpret_cast<const char*>(v_.data()));
  }
  size_t room_in_bytes() const {
    return static_cast<size_t>(reinterpret_cast<const char*>(end_) -
                               reinterpret_cast<const char*>(next_));
  }
  // Grows the room (next() == end()); next() and end() change.
  void GrowRoom() { Grow(); }

 private:
  // Out of line: the common Append is a compare and an increment.
  [[gnu::noinline]] void Grow() {
    const size_t n = size();
    v_.Resize(std::max<size_t>(2 * v_.size(), 64));
    next_ = v_.data() + n;
    end_ = v_.data() + v_.size();
  }
  internal::GrowableArray<Token>& v_;
  Token* next_;  // where the next token goes
  Token* end_;   // v_.data() + v_.size()
};

struct RunInfo {
  size_t end = 0;
  bool ascii_letter = false;
  bool digit = false;
  bool non_ascii = false;
  int equal_pairs = 0;  // adjacent equal ASCII bytes: < max_char_run means no long run
};

// Splits folded text into tokens. One per Tokenize call.
class Scanner {
 public:
  Scanner(const TokenizerOptions& options, absl::string_view folded,
          const std::vector<uint32_t>& begins, const std::vector<uint32_t>& ends,
          const internal::NormalizeStats& stats, uint32_t input_size,
          internal::GrowableArray<Token>* tokens, internal::GrowableArray<char>* storage,
          bool fast_paths)
      : options_(options),
        f_(reinterpret_cast<const unsigned char*>(folded.data())),
        m_(folded.size()),
        begins_(begins.data()),
        ends_(ends.data()),
        identity_(stats.identity),
        stats_(stats),
        input_size_(input_size),
        tokens_(tokens),
        storage_(storage),
        two_byte_(internal::TwoByteTable()),
        fast_paths_(fast_paths) {}

  void Run();
  size_t storage_size() const { return storage_.size(); }
  size_t token_count() const { return tokens_.size(); }

 private:
  // Input span of folded bytes [a, b), a < b.
  uint32_t InBegin(size_t a) const { return identity_ ? uint32_t(a) : begins_[a]; }
  uint32_t InEnd(size_t b) const { return identity_ ? uint32_t(b) : ends_[b - 1]; }

  void Emit(TokenKind kind, size_t text_begin, uint32_t begin, uint32_t end) {
    // Fields written in place: building a Token on the stack and copying it costs a
    // store-forwarding stall per token (measured: a quarter of the short-post time).
    Token& t = tokens_.Append();
    t.kind = kind;
    t.text_offset = static_cast<uint32_t>(text_begin);
    t.text_size = static_cast<uint32_t>(storage_.size() - text_begin);
    t.begin = begin;
    t.end = std::max(begin, end);
    if (kind != TokenKind::kEmoji) emoji_run_ = 0;
  }
  void EmitText(TokenKind kind, absl::string_view text, uint32_t begin, uint32_t end) {
    const size_t start = storage_.size();
    storage_.append(text.data(), text.size());
    Emit(kind, start, begin, end);
  }

  // Fast path for the common token: a word of ASCII letters ended by a byte that
  // can neither continue it nor start an e-mail address or URL, with no run to
  // shorten. Emits it and returns its end, or returns 0 for the general path (which
  // gives the same result for such a word).
  size_t FastWord(size_t p);
  // FastWord for word after word, with the separators between them stepped over
  // as Run() does, the buffers held in locals (as members, they are reloaded after
  // every byte stored). From the word at p; returns where Run() goes on: at a byte
  // that starts no word, after a URL that starts at a word (TryUrl), or, with
  // *stuck set, at a word FastWord turns down.
  size_t FastWords(size_t p, bool* stuck);
  // FastWords' loop, for folded text that is the input (kIdentity: a token's
  // span is its folded span) or not, and with or without room checks (kChecked:
  // without them, the buffers have room for whatever words the rest of the text
  // could give, see FastWords).
  template <bool kIdentity, bool kChecked>
  size_t FastWordsLoop(size_t p, bool* stuck);
  RunInfo ScanRun(size_t p) const;
  // Each returns the position after what it matched and emitted, or 0.
  size_t TryEmail(size_t p);
  size_t TryUrl(size_t p);
  // For the word f_[p, run_end) ended by the ASCII byte f_[run_end] (run_end < m_):
  // false if TryEmail(p), or TryUrl(p), surely matches nothing. They answer on a
  // byte or two where TryEmail and TryUrl would scan the word again.
  bool MayBeEmail(size_t p, size_t run_end) const;
  // The first '@' in f_[p, m_), or m_ if there is none. Found with memchr when
  // first asked, again only when asked from past it or from before where it was
  // searched from: most posts have none, and one search answers for all words.
  size_t NextAt(size_t p) const {
    if (p < at_from_ || p > at_) {
      const void* at = std::memchr(f_ + p, '@', m_ - p);
      at_from_ = p;
      at_ = at == nullptr ? m_ : static_cast<size_t>(static_cast<const unsigned char*>(at) - f_);
    }
    return at_;
  }
  bool MayBeUrl(size_t p, size_t run_end) const;
  // Whether ScanWordOrNumber tries a URL after a word ended by f_[run_end], whose
  // kFolded.after bits are `after_run`.
  bool UrlMayFollow(uint8_t after_run, size_t run_end) const {
    if ((after_run & kSpace) && run_end + 1 < m_) {
      return (kFolded.after[f_[run_end + 1]] & kObfuscatedStart) != 0;
    }
    return (after_run & kMaybeUrl) != 0;
  }
  size_t TryPhone(size_t p);
  // For the ASCII digits f_[p, run_end): false if TryPhone(p) surely matches
  // nothing. A phone number of one group has 9 digits or more; otherwise a
  // separator and the next group must follow.
  bool MayBePhone(size_t p, size_t run_end) const {
    if (run_end - p >= 9) return true;
    if (run_end + 1 >= m_) return false;
    const unsigned char sep = f_[run_end], next = f_[run_end + 1];
    return (sep == ' ' || sep == '-' || sep == '.') && (IsAsciiDigit(next) || next == '(');
  }
  // The end of the host label at f_[q] (letters, digits, marks, '-'), or, for a
  // label longer than kMaxLabelBytes (which no URL has), some position more than
  // kMaxLabelBytes past q: the scan stops there, so trying a URL at every word of
  // a long hyphenated run ("a-a-a-...") costs a bounded amount each.
  size_t LabelEnd(size_t q) const;
  // LabelEnd() from the non-ASCII byte at f_[q], q < limit.
  [[gnu::noinline]] size_t LabelEndPastAscii(size_t q, size_t limit) const;
  // Appends the folded label f_[b, e) to storage_, homoglyphs mapped to Latin when
  // the label is otherwise Latin.
  void AppendHostLabel(size_t b, size_t e);
  // Emits the alphabetic path segments of f_[b, e) as words.
  void EmitPathWords(size_t b, size_t e);
  size_t ScanWordOrNumber(size_t p);
  void EmitWord(size_t p, const RunInfo& run);
  // Folds the digits of the word EmitWord wrote at storage_[start, size()): l33t
  // digits to letters, runs of three or more to 9s.
  void FoldWordDigits(size_t start);
  size_t EmitNumber(size_t p);
  // Fast path for the common number: 1 to 8 ASCII digits at p that nothing after
  // them can carry on (no word, e-mail address, URL, phone number or longer
  // number shape). Emits it and returns its end, or returns 0 for the general path
  // (which gives the same result for such a number).
  size_t FastNumber(size_t p);
  size_t EmitEmoji(size_t p, size_t len);
  void EmitSignals();

  const TokenizerOptions& options_;
  const unsigned char* f_;
  size_t m_;
  const uint32_t* begins_;
  const uint32_t* ends_;
  bool identity_;
  const internal::NormalizeStats& stats_;
  uint32_t input_size_;
  TokenBuffer tokens_;
  TextBuffer storage_;
  const internal::TwoByteInfo* two_byte_;
  const bool fast_paths_;  // see internal::FastPathsEnabled()

  mutable size_t at_from_ = 1, at_ = 0;  // see NextAt(); none found yet
  int emoji_run_ = 0;  // identical emoji tokens in a row
  size_t last_emoji_offset_ = 0, last_emoji_size_ = 0;
  int exclaims_ = 0;
  uint32_t exclaim_begin_ = 0, exclaim_end_ = 0;
  size_t first_exclaim_run_end_ = 0;
  bool homoglyph_ = false;
  uint32_t homoglyph_begin_ = 0, homoglyph_end_ = 0;
};

void Scanner::Run() {
  size_t p = 0;
  while (p < m_) {
    const unsigned char c = f_[p];
    if (kFolded.inert[c] && fast_paths_) {
      // The whole run of separators. f_[m_] is a space and f_[m_ + 1]
      // kAfterFinalSpace, no separator: the steps stop there at the latest.
      const unsigned char* s = f_ + p + 1;
      while (kFolded.inert[*s]) ++s;
      p = static_cast<size_t>(s - f_);
      continue;
    }
    if (c < 0x80) {
      const uint8_t cls = kFolded.cls[c];
      if (cls == kLetter && fast_paths_) {
        bool stuck;
        p = FastWords(p, &stuck);
        if (stuck) p = ScanWordOrNumber(p);
        continue;
      }
      if (cls == kDigit && fast_paths_) {
        const size_t next = FastNumber(p);
        if (next != 0) {
          p = next;
          continue;
        }
      }
      if (cls != 0) {
        p = ScanWordOrNumber(p);
        continue;
      }
      if ((c == '+' || c == '(') && p + 1 < m_ && IsAsciiDigit(f_[p + 1])) {
        const size_t next = TryPhone(p);
        if (next != 0) {
          p = next;
          continue;
        }
      }
      if (c == '!') {
        // The signal spans the first run of '!'.
        if (exclaims_ == 0) {
          exclaim_begin_ = InBegin(p);
          exclaim_end_ = InEnd(p + 1);
          first_exclaim_run_end_ = p + 1;
        } else if (p == first_exclaim_run_end_) {
          exclaim_end_ = InEnd(p + 1);
          first_exclaim_run_end_ = p + 1;
        }
        ++exclaims_;
      } else if (c == '$') {
        EmitText(TokenKind::kWord, "$", InBegin(p), InEnd(p + 1));
      }
      ++p;
      continue;
    }
    size_t len;
    const char32_t cp = DecodeUtf8(f_ + p, m_ - p, &len);
    const utf8proc_category_t cat = utf8proc_category(static_cast<int32_t>(cp));
    // A word starts with a letter or digit; a mark with nothing to attach to (the
    // keycap of "1️⃣" after its digit) is skipped.
    if ((cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO) ||
        cat == UTF8PROC_CATEGORY_ND) {
      p = ScanWordOrNumber(p);
    } else if (internal::IsEmoji(cp)) {
      p = EmitEmoji(p, len);
    } else {
      if (cat == UTF8PROC_CATEGORY_SC) {
        EmitText(TokenKind::kWord, absl::string_view(reinterpret_cast<const char*>(f_ + p), len),
                 InBegin(p), InEnd(p + len));
      }
      p += len;
    }
  }
  EmitSignals();
}

size_t Scanner::FastWord(size_t p) {
  // Eight bytes at a time: the letters are the bytes in 'a'..'z' (ASCII is lower
  // case after folding; an upper case one stops the scan, then the general path
  // takes the word). Bytes are masked to 7 bits so the additions never carry into
  // the next byte; bit 7 of each byte of `stop` is set where the word ends. The
  // folded text is padded (see Tokenize), so reading 8 bytes from f_ + q is safe
  // while q <= m_, and f_[m_] is a space, so the word ends there at the latest.
  constexpr uint64_t k01 = 0x0101010101010101ULL;
  constexpr uint64_t k7F = 0x7F7F7F7F7F7F7F7FULL;
  constexpr uint64_t k80 = 0x8080808080808080ULL;
  size_t q = p;
  uint64_t first = 0;      // the first 8 bytes of the word
  uint64_t prev_byte = 0;  // the byte before the chunk (0: none, or no letter)
  int pairs = 0;           // adjacent equal bytes: < max_char_run means no long run
  while (true) {
    uint64_t x;
    std::memcpy(&x, f_ + q, 8);
    if (q == p) first = x;
    const uint64_t y = x & k7F;
    const uint64_t stop = (~(y + k01 * (0x80 - 'a')) | (y + k01 * (0x7F - 'z')) | x) & k80;
    // Bytes equal to the one before them, as bit 7 of each byte (exact: no carries).
    const uint64_t z = x ^ ((x << 8) | prev_byte);
    uint64_t equal = ~(((z & k7F) + k7F) | z) & k80;
    if (stop != 0) {
      const int n = __builtin_ctzll(stop) >> 3;  // letters in this chunk
      equal &= (uint64_t{1} << (8 * n)) - 1;    // n < 8 here
      pairs += static_cast<int>(((equal >> 7) * k01) >> 56);
      q += n;
      break;
    }
    pairs += static_cast<int>(((equal >> 7) * k01) >> 56);
    prev_byte = x >> 56;
    q += 8;
    if (q - p > kMaxWordBytes) return 0;
  }
  if (pairs >= options_.max_char_run || q - p > kMaxWordBytes) return 0;
  // What ends the word must neither continue it nor start an e-mail address or URL
  // (as ScanWordOrNumber would try them).
  const unsigned char next = f_[q];
  if (kFolded.cls[next] != 0) return 0;
  const uint8_t after = kFolded.after[next];
  if (after != 0 && q < m_) {
    if ((after & kMaybeEmail) && MayBeEmail(p, q)) return 0;
    if (UrlMayFollow(after, q) && options_.detect_urls && MayBeUrl(p, q)) return 0;
  }
  const size_t start = storage_.size();
  if (q - p <= 8) {
    storage_.AppendUpTo8(first, q - p);
  } else {
    storage_.append(reinterpret_cast<const char*>(f_ + p), q - p);
  }
  Emit(TokenKind::kWord, start, InBegin(p), InEnd(q));
  return q;
}

size_t Scanner::FastWords(size_t p, bool* stuck) {
  // The words from p on take at most m_ - p bytes of text (each is stored with
  // one 16-byte write, so 16 more), and at most (m_ - p + 1) / 2 tokens (a word is
  // a letter at least, and a byte that is none comes before the next one). With
  // that much room (as in a warm Tokenization, for all but a post longer than
  // any before) the loop checks none.
  const size_t rest = m_ - p;
  const bool room = storage_.capacity() - storage_.size() >= rest + 16 &&
                    tokens_.room_in_bytes() >= (rest / 2 + 1) * sizeof(Token);
  if (identity_) {
    return room ? FastWordsLoop<true, false>(p, stuck)
                : FastWordsLoop<true, true>(p, stuck);
  }
  return room ? FastWordsLoop<false, false>(p, stuck)
              : FastWordsLoop<false, true>(p, stuck);
}

// The index of the lowest set bit of x, which must not be 0. For
// __builtin_ctzll GCC emits an xor that clears the destination (against a
// false dependency on it that only Haswell and Broadwell have), then tzcnt,
// then a sign extension of the int; the word loop takes one a word, so this
// is one instruction. TZCNT runs as BSF on CPUs without BMI1, and the two
// agree on any x but 0, which no caller passes.
inline uint64_t LowestSetBit(uint64_t x) {
#if GROUPGUARD_HAVE_X86 && defined(__x86_64__)
  uint64_t index;
  __asm__("tzcntq %1, %0" : "=r"(index) : "rm"(x) : "cc");
  return index;
#else
  return static_cast<uint64_t>(__builtin_ctzll(x));
#endif
}

#if GROUPGUARD_HAVE_SSE2
// WordMasks' constants, 16 bytes each: 0x80 - 'a' (0x1F), which moves 'a'..'z' to
// the 26 smallest signed bytes, and the largest of those, 0x80 + 25 (0x99).
constexpr __m128i kWordMaskShift = {0x1F1F1F1F1F1F1F1FLL, 0x1F1F1F1F1F1F1F1FLL};
constexpr __m128i kWordMaskLast = {static_cast<long long>(0x9999999999999999ULL),
                                   static_cast<long long>(0x9999999999999999ULL)};
static_assert(0x80 - 'a' == 0x1F && 0x80 + 25 == 0x99, "see kWordMaskShift");
#endif

// Word boundaries in the 32 bytes at w, a bit for each byte (bit i is w[i]):
// *ends has the bytes that are no letter ('a'..'z') but follow one, and bit 48
// always (a stop well past the 32 bytes, for a word that may go on past them);
// *pairs has the letters equal to the letter after them.
inline void WordMasks(const unsigned char* w, uint64_t* ends, uint64_t* pairs) {
  uint32_t others;  // the bytes that are no letter
  uint64_t equal;
#if GROUPGUARD_HAVE_SSE2
  // SSE2 is part of x86-64. Adding 0x80 - 'a' moves 'a'..'z' to the 26 smallest
  // signed bytes, so one signed compare finds the others: the compare writes
  // over the sum (a compare for the letters would write over a copy of the
  // limit), and one 32-bit not turns the others into the letters.
#if GROUPGUARD_HAVE_X86
  // Loaded from their constants here, in each window: GCC would hoist the loads
  // out of the word loop and keep both in registers across the loop's calls,
  // spilling them to the stack on entry and reloading them for each window.
  __m128i shift, last;
  __asm__ volatile("movdqa %1, %0" : "=x"(shift) : "m"(kWordMaskShift));
  __asm__ volatile("movdqa %1, %0" : "=x"(last) : "m"(kWordMaskLast));
#else
  const __m128i shift = kWordMaskShift;
  const __m128i last = kWordMaskLast;
#endif
  const __m128i x0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(w));
  const __m128i x1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(w + 16));
  const __m128i n0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(w + 1));
  const __m128i n1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(w + 17));
  const uint32_t o0 = static_cast<uint32_t>(
      _mm_movemask_epi8(_mm_cmpgt_epi8(_mm_add_epi8(x0, shift), last)));
  const uint32_t o1 = static_cast<uint32_t>(
      _mm_movemask_epi8(_mm_cmpgt_epi8(_mm_add_epi8(x1, shift), last)));
  const uint32_t e0 = static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(x0, n0)));
  const uint32_t e1 = static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(x1, n1)));
  others = o0 | (o1 << 16);
  equal = e0 | (uint64_t{e1} << 16);
#else
  others = 0;
  equal = 0;
  for (int i = 0; i < 32; ++i) {
    others |= uint32_t{w[i] < 'a' || w[i] > 'z'} << i;
    equal |= uint64_t{w[i] == w[i + 1]} << i;
  }
#endif
  // The letters as 32 bits (a 32-bit not): no end past bit 31 but the stop.
  const uint64_t letters = static_cast<uint32_t>(~others);
  *ends = (others & (letters << 1)) | (uint64_t{1} << 48);
  *pairs = equal & letters & (letters >> 1);
}

template <bool kIdentity, bool kChecked>
size_t Scanner::FastWordsLoop(size_t p, bool* stuck) {
  // Words are found on 32-byte windows. A window starts at a word: its bytes are
  // classified at once (WordMasks), and the words that end inside it are taken
  // from the masks in order, the lowest end left being that of the word at p (no
  // letter lies between two words of the loop: anything but the separators Run()
  // steps over ends it). A word of 16 letters or more, or one that may go on past
  // the window (its end is then the stop bit 48, 16 or more past any word start
  // in the window), starts the next window, where a word of 16 letters or more
  // goes through FastWord. What ends a word is checked as in FastWord; so an end
  // found too early (a letter at q) only hands the word to the general path. The
  // folded text is padded (see Tokenize): the 33 bytes from any position before
  // m_ can be read, and f_[m_] is a space, so no word runs past m_; f_[m_ + 1]
  // is kAfterFinalSpace (the bytes after it are stale).
  const unsigned char* const f = f_;
  const size_t m = m_;
  const int max_run = options_.max_char_run;
  const bool detect_urls = options_.detect_urls;
  char* text = storage_.raw();
  size_t text_size = storage_.size();
  size_t text_room = storage_.capacity();
  Token* token = tokens_.next();
  Token* token_end = tokens_.end();
  const size_t tokens_before = tokens_.size_in_bytes();
  *stuck = false;
  // f[p] is an ASCII letter; an upper case one leaves the word to the general path.
  if (f[p] < 'a') {
    *stuck = true;
    return p;
  }
  while (true) {
    // A window at p, where f[p] is in 'a'..'z'.
    const size_t base = p;
    uint64_t ends, pairs;
    WordMasks(f + base, &ends, &pairs);
    while (true) {
      // f[p] is in 'a'..'z', p - base <= 32, and the lowest bit of ends is where
      // its word ends.
      const size_t q = base + LowestSetBit(ends);  // ends has bit 48 at least
      const size_t size = q - p;
      if (size >= 16) {
        if (p != base) break;  // a window from p
        // 16 letters or more; a window from where FastWord leaves off.
        storage_.set_size(text_size);
        tokens_.set_next(token);
        const size_t r = FastWord(p);
        text = storage_.raw();
        text_size = storage_.size();
        text_room = storage_.capacity();
        token = tokens_.next();
        token_end = tokens_.end();
        if (r == 0) {
          *stuck = true;
          goto done;
        }
        p = r;
        while (p < m && kFolded.inert[f[p]]) ++p;
        if (p >= m || kFolded.cls[f[p]] != kLetter) goto done;
        if (f[p] < 'a') {
          *stuck = true;
          goto done;
        }
        break;
      }
      const unsigned char next = f[q];
      // The word's adjacent equal letters: the pair bits left up to its end. One
      // pair or none is below any max_char_run (2 at least): counted only if more.
      // While two pairs or more are left in the window, each word takes its own
      // off; once one or none is, no word can have two, and none is counted.
      bool long_run = false;
      if ((pairs & (pairs - 1)) != 0) {
        const uint64_t word_pairs = pairs & (ends ^ (ends - 1));
        pairs ^= word_pairs;
        long_run = (word_pairs & (word_pairs - 1)) != 0 &&
                   __builtin_popcountll(word_pairs) >= max_run;
      }
      ends &= ends - 1;
      if (long_run) {
        *stuck = true;
        goto done;
      }
      // The usual end: a space, then a lower case letter that starts an
      // ordinary word (no URL can follow): any but 'd', and 'd' unless " dot "
      // starts there. f[m] is a space and f[m + 1] kAfterFinalSpace, so a
      // letter at f[q + 1] after a space at f[q] means q + 1 < m: no test of q
      // against m (two instructions a word). A space is of no class (it cannot
      // carry the word on), so the class of next is looked up after this test,
      // only for the other ends.
      const bool space_then_word =
          next == ' ' && (kFolded.plain_after_space[f[q + 1]] ||
                          (f[q + 1] == 'd' && !StartsWithSpaceDot(f + q)));
      if (!space_then_word) {
        if (kFolded.cls[next] != 0) {
          *stuck = true;
          goto done;
        }
        const uint8_t after = kFolded.after[next];
        // A dot that ends a sentence (a space or the text's end after it, f[m]
        // being a space) starts neither an address nor a host: both checks
        // would answer false.
        if (after != 0 && q < m &&
            !(next == '.' && !kFolded.goes_on_after_dot[f[q + 1]])) {
          if ((after & kMaybeEmail) && MayBeEmail(p, q)) {
            *stuck = true;
            goto done;
          }
          // A URL is tried here, as ScanWordOrNumber would try it; where there is
          // none (mostly "word.word" in prose), the word is taken as any other.
          if (UrlMayFollow(after, q) && detect_urls && MayBeUrl(p, q)) {
            storage_.set_size(text_size);
            tokens_.set_next(token);
            const size_t r = TryUrl(p);
            if (r != 0) {
              // The URL's tokens may take more room than the loop counted on
              // (see FastWords): Run() goes on after it.
              p = r;
              text_size = storage_.size();
              token = tokens_.next();
              goto done;
            }
          }
        }
      }
      if (kChecked && text_size + 16 > text_room) {
        storage_.set_size(text_size);
        storage_.Reserve(16);
        text = storage_.raw();
        text_room = storage_.capacity();
      }
      // The word's 16 bytes (it has 15 at most); those past it are stale.
      std::memcpy(text + text_size, f + p, 16);
      if (kChecked && token == token_end) {
        tokens_.set_next(token);
        tokens_.GrowRoom();
        token = tokens_.next();
        token_end = tokens_.end();
      }
      token->kind = TokenKind::kWord;
      token->text_offset = static_cast<uint32_t>(text_size);
      token->text_size = static_cast<uint32_t>(size);
      if (kIdentity) {
        token->begin = static_cast<uint32_t>(p);
        token->end = static_cast<uint32_t>(q);
      } else {
        const uint32_t begin = begins_[p], end = ends_[q - 1];
        token->begin = begin;
        token->end = std::max(begin, end);
      }
      ++token;
      text_size += size;
      p = q;
      if (space_then_word) {
        ++p;
        continue;
      }
      // Separators may lead past the window, where the stop bit could pass for the
      // end of a short word: a new window then. f[m + 1] is kAfterFinalSpace,
      // which is not one of them: the steps stop there at the latest, with no
      // test of p against m each; and when they reach the text's end, they stop
      // at that byte, no letter.
      // (Stepped with a pointer: with an index GCC reloads the table's address
      // in each step.)
      const unsigned char* s = f + p;
      while (kFolded.inert[*s]) ++s;
      p = static_cast<size_t>(s - f);
      if (kFolded.cls[*s] != kLetter) goto done;
      if (*s < 'a') {
        *stuck = true;
        goto done;
      }
      if (p - base > 32) break;
    }
  }
done:
  storage_.set_size(text_size);
  tokens_.set_next(token);
  if (tokens_.size_in_bytes() != tokens_before) emoji_run_ = 0;
  return p;
}

RunInfo Scanner::ScanRun(size_t p) const {
  RunInfo r;
  size_t q = p;
  uint8_t seen = 0;
  char32_t prev = 0;
  int pairs = 0;
  while (q < m_) {
    const unsigned char c = f_[q];
    const uint8_t cls = kFolded.cls[c];
    if (cls == 0) break;
    if (cls != kHigh) {
      seen |= cls;
      pairs += c == prev;
      prev = c;
      ++q;
      continue;
    }
    if (c >= 0xC2 && c <= 0xDF && q + 1 < m_) {  // folded text is valid UTF-8
      const char32_t cp = ((c & 0x1Fu) << 6) | (f_[q + 1] & 0x3Fu);
      if (!(two_byte_[cp - 0x80].flags & internal::TwoByteInfo::kWordChar)) break;
      r.non_ascii = true;
      pairs += cp == prev;
      prev = cp;
      q += 2;
      continue;
    }
    size_t len;
    const char32_t cp = DecodeUtf8(f_ + q, m_ - q, &len);
    if (cp == 0x20E3) break;  // keycap ("1️⃣"): the digit stays a number
    if (internal::IsCjk(cp)) {
      // Each CJK character is a word of its own.
      if (q == p) {
        q += len;
        r.non_ascii = true;
      }
      break;
    }
    if (!IsWordCategory(utf8proc_category(static_cast<int32_t>(cp)))) break;
    r.non_ascii = true;
    pairs += cp == prev;
    prev = cp;
    q += len;
  }
  r.end = q;
  r.ascii_letter = (seen & kLetter) != 0;
  r.digit = (seen & kDigit) != 0;
  r.equal_pairs = pairs;
  return r;
}

size_t Scanner::ScanWordOrNumber(size_t p) {
  const RunInfo run = ScanRun(p);
  if (run.end == p) return p + 1;  // not reached: callers check the first character
  const uint8_t after_run = run.end < m_ ? kFolded.after[f_[run.end]] : 0;
  if (after_run != 0) {
    if ((after_run & kMaybeEmail) && (!fast_paths_ || MayBeEmail(p, run.end))) {
      const size_t after = TryEmail(p);
      if (after != 0) return after;
    }
    if (UrlMayFollow(after_run, run.end) && options_.detect_urls &&
        (!fast_paths_ || MayBeUrl(p, run.end))) {
      const size_t after = TryUrl(p);
      if (after != 0) return after;
    }
  }
  const bool letters = run.ascii_letter || run.non_ascii;
  if (!letters) {
    if (!fast_paths_ || MayBePhone(p, run.end)) {
      const size_t after = TryPhone(p);
      if (after != 0) return after;
    }
    return EmitNumber(p);
  }
  EmitWord(p, run);
  return run.end;
}

size_t Scanner::TryEmail(size_t p) {
  size_t q = p;
  const size_t limit = std::min(m_, p + kMaxEmailLocalBytes);
  while (q < limit && kFolded.email_local[f_[q]]) ++q;
  if (q >= m_ || f_[q] != '@') return 0;
  const size_t host_begin = q + 1;
  size_t labels = 0, last_label = host_begin, end = host_begin;
  q = host_begin;
  while (true) {
    size_t e = q;
    while (e < m_ && ((f_[e] < 0x80 && kFolded.cls[f_[e]] != 0) || f_[e] == '-')) ++e;
    if (e == q) break;
    ++labels;
    last_label = q;
    end = e;
    if (e + 1 < m_ && f_[e] == '.' && f_[e + 1] < 0x80 && kFolded.cls[f_[e + 1]] != 0) {
      q = e + 1;
    } else {
      break;
    }
  }
  if (labels < 2 || end - last_label < 2) return 0;
  for (size_t k = last_label; k < end; ++k) {
    if (!IsAsciiLetter(f_[k])) return 0;
  }
  EmitText(TokenKind::kEmail,
           absl::string_view(reinterpret_cast<const char*>(f_ + host_begin), end - host_begin),
           InBegin(p), InEnd(end));
  return end;
}

size_t Scanner::LabelEnd(size_t q) const {
  const size_t limit = std::min(m_, q + kMaxLabelBytes + 1);
  // Most labels are ASCII: one table test a byte, and the rest (from a
  // non-ASCII byte on) out of line, so this part needs no registers saved for
  // the utf8proc call and GCC inlines it into TryUrl.
  while (q < limit && kFolded.label_ascii[f_[q]]) ++q;
  if (q < limit && f_[q] >= 0x80) return LabelEndPastAscii(q, limit);
  return q;
}

size_t Scanner::LabelEndPastAscii(size_t q, size_t limit) const {
  while (q < limit) {
    const unsigned char c = f_[q];
    if (c < 0x80) {
      if (kFolded.cls[c] == 0 && c != '-') break;
      ++q;
      continue;
    }
    size_t len;
    const char32_t cp = DecodeUtf8(f_ + q, m_ - q, &len);
    if (internal::IsCjk(cp) || !IsWordCategory(utf8proc_category(static_cast<int32_t>(cp)))) {
      break;
    }
    q += len;
  }
  return q;
}

void Scanner::AppendHostLabel(size_t b, size_t e) {
  bool ascii_letter = false, non_ascii = false, foreign = false;
  for (size_t q = b; q < e;) {
    if (f_[q] < 0x80) {
      ascii_letter |= IsAsciiLetter(f_[q]);
      ++q;
      continue;
    }
    non_ascii = true;
    size_t len;
    const char32_t cp = DecodeUtf8(f_ + q, e - q, &len);
    if (internal::HomoglyphToLatin(cp) == 0) foreign = true;
    q += len;
  }
  if (!non_ascii || !ascii_letter || foreign || !options_.fold_homoglyphs) {
    storage_.append(reinterpret_cast<const char*>(f_ + b), e - b);
    return;
  }
  if (!homoglyph_) {
    homoglyph_ = true;
    homoglyph_begin_ = InBegin(b);
    homoglyph_end_ = InEnd(e);
  }
  for (size_t q = b; q < e;) {
    size_t len;
    const char32_t cp = DecodeUtf8(f_ + q, e - q, &len);
    storage_.push_back(cp < 0x80 ? static_cast<char>(cp) : internal::HomoglyphToLatin(cp));
    q += len;
  }
}

// Separators between host labels: '.', and the obfuscated spellings of it. Each
// is also kept as its bytes in a little-endian word (at most 7 of them) and the
// mask of their bytes, to compare with 8 bytes loaded from the text.
struct Separator {
  constexpr Separator(absl::string_view t, bool o) : text(t), obfuscated(o) {
    for (size_t i = t.size(); i-- > 0;) {
      bytes = (bytes << 8) | static_cast<unsigned char>(t[i]);
      mask = (mask << 8) | 0xFF;
    }
  }
  absl::string_view text;
  bool obfuscated;
  uint64_t bytes = 0;
  uint64_t mask = 0;
};
constexpr Separator kSeparators[] = {
    {".", false},         {" (dot) ", true}, {" [dot] ", true}, {" {dot} ", true},
    {"(dot)", true},      {"[dot]", true},   {"{dot}", true},   {" dot ", true},
    {" [.] ", true},      {" (.) ", true},   {"[.]", true},     {"(.)", true},
    {"{.}", true},        {" . ", true},     {" .", true}};
constexpr bool SeparatorsFitInAWord() {
  for (const Separator& sep : kSeparators) {
    if (sep.text.size() > 8) return false;
  }
  return true;
}
static_assert(SeparatorsFitInAWord(), "MatchSeparator<true> compares 8 bytes");
constexpr bool OnlySpaceDotStartsWithSpaceD() {
  for (const Separator& sep : kSeparators) {
    if (sep.text.size() >= 2 && sep.text[0] == ' ' && sep.text[1] == 'd' &&
        sep.text != " dot ") {
      return false;
    }
  }
  return true;
}
static_assert(OnlySpaceDotStartsWithSpaceD(), "see StartsWithSpaceDot");

// absl::StartsWith(text, prefix) for the short prefixes below, without a memcmp
// call for the usual mismatch in the first two bytes.
inline bool HasPrefix(absl::string_view text, absl::string_view prefix) {
  if (text.size() < prefix.size() || text[0] != prefix[0]) return false;
  if (prefix.size() >= 2 && text[1] != prefix[1]) return false;
  return std::memcmp(text.data(), prefix.data(), prefix.size()) == 0;
}

// The first of kSeparators that `after` starts with, or nullptr. Only the entries
// starting with after[0] (and, after a space, with after[1]) can match, so it
// tries those, in list order. A space is mostly followed by an ordinary word, which
// is then rejected on the second byte without trying the eight spaced entries.
// kPadded: 8 bytes can be read at after.data() whatever after.size() (as in the
// folded text, see Tokenize), so each entry is compared on one masked load, with
// no memcmp call (" d" of the many words starting with 'd' after a space matches
// up to " dot ").
template <bool kPadded>
const Separator* MatchSeparator(absl::string_view after) {
  if (after.empty()) return nullptr;
  uint64_t x = 0;
  if (kPadded) std::memcpy(&x, after.data(), 8);
  static constexpr uint8_t kSpaceParen[] = {1, 9};
  static constexpr uint8_t kSpaceBracket[] = {2, 8};
  static constexpr uint8_t kSpaceBrace[] = {3};
  static constexpr uint8_t kSpaceD[] = {7};
  static constexpr uint8_t kSpaceDot[] = {13, 14};
  static constexpr uint8_t kParen[] = {4, 11};
  static constexpr uint8_t kBracket[] = {5, 10};
  static constexpr uint8_t kBrace[] = {6, 12};
  absl::Span<const uint8_t> candidates;
  switch (after[0]) {
    case '.': return &kSeparators[0];  // "." matches whatever follows
    case ' ':
      if (after.size() < 2) return nullptr;
      switch (after[1]) {
        case '(': candidates = kSpaceParen; break;
        case '[': candidates = kSpaceBracket; break;
        case '{': candidates = kSpaceBrace; break;
        case 'd': candidates = kSpaceD; break;
        case '.': candidates = kSpaceDot; break;
        default: return nullptr;
      }
      break;
    case '(': candidates = kParen; break;
    case '[': candidates = kBracket; break;
    case '{': candidates = kBrace; break;
    default: return nullptr;
  }
  for (const uint8_t i : candidates) {
    const Separator& sep = kSeparators[i];
    if (kPadded ? after.size() >= sep.text.size() && (x & sep.mask) == sep.bytes
                : HasPrefix(after, sep.text)) {
      return &sep;
    }
  }
  return nullptr;
}

struct Scheme {
  absl::string_view text;
  bool obfuscated;
};
constexpr Scheme kSchemes[] = {{"https://", false}, {"http://", false},
                               {"hxxps://", true},  {"hxxp://", true},
                               {"ftp://", false},   {"hxxp[:]//", true},
                               {"hxxps[:]//", true}};

bool Scanner::MayBeEmail(size_t p, size_t run_end) const {
  // TryEmail scans local-part bytes from p and needs an '@' where they stop, at
  // most kMaxEmailLocalBytes past p. The word's bytes are local-part bytes or
  // non-ASCII (which stops the scan short of any '@'), so the '@' is f_[run_end],
  // or the scan goes on past f_[run_end + 1] to an '@' further on.
  if (f_[run_end] == '@') return true;
  if (run_end + 1 >= m_ || (kFolded.after[f_[run_end + 1]] & kEmailLocalOrAt) == 0) {
    return false;
  }
  const size_t at = NextAt(p);  // m_ if the rest of the text has no '@'
  return at < m_ && at - p <= kMaxEmailLocalBytes;
}

bool Scanner::MayBeUrl(size_t p, size_t run_end) const {
  const unsigned char c = f_[run_end];
  // A scheme ("http://", "hxxp[:]//") is letters then ':' or '['.
  if ((c == ':' || c == '[') && (f_[p] == 'h' || f_[p] == 'f')) return true;
  // Otherwise the first host label is the run itself unless a '-' carries it on
  // (or the run is a CJK character, where TryUrl finds no label at all). Without a
  // scheme, a URL needs a second label: a separator, then a label character.
  if (c == '-') return true;
  size_t next = run_end + 1;  // after ".", the usual separator, found without a call
  if (c != '.') {
    const Separator* sep = MatchSeparator<true>(
        absl::string_view(reinterpret_cast<const char*>(f_ + run_end), m_ - run_end));
    if (sep == nullptr) return false;
    next = run_end + sep->text.size();
  }
  if (next >= m_) return false;
  const unsigned char d = f_[next];
  return d >= 0x80 || kFolded.cls[d] != 0 || d == '-';
}

size_t Scanner::TryUrl(size_t p) {
  constexpr int kMaxLabels = 16;
  const absl::string_view rest(reinterpret_cast<const char*>(f_ + p), m_ - p);
  bool obfuscated = false, scheme = false;
  size_t q = p;
  // Every scheme starts with 'h' or 'f': most words are rejected on one byte.
  const bool scheme_start = f_[p] == 'h' || f_[p] == 'f';
  for (const Scheme& s : kSchemes) {
    if (!scheme_start) break;
    if (HasPrefix(rest, s.text)) {
      scheme = true;
      obfuscated = s.obfuscated;
      q += s.text.size();
      break;
    }
  }
  size_t label_begin[kMaxLabels], label_end[kMaxLabels];
  int labels = 0;
  size_t e = LabelEnd(q);  // the end of the label at q
  while (labels < kMaxLabels) {
    if (e == q || f_[q] == '-' || f_[e - 1] == '-' || e - q > kMaxLabelBytes) return 0;
    label_begin[labels] = q;
    label_end[labels] = e;
    ++labels;
    const absl::string_view after(reinterpret_cast<const char*>(f_ + e), m_ - e);
    const Separator* sep =
        fast_paths_ ? MatchSeparator<true>(after) : MatchSeparator<false>(after);
    if (sep == nullptr) break;
    const size_t next = e + sep->text.size();
    if (next >= m_) break;
    // The next label's end, found once: it decides whether the separator leads to
    // a label, and is that label's end in the next turn.
    const size_t next_end = LabelEnd(next);
    if (next_end == next) break;
    obfuscated |= sep->obfuscated;
    q = next;
    e = next_end;
  }
  const size_t host_begin = label_begin[0];
  const size_t host_end = label_end[labels - 1];
  const absl::string_view tld(reinterpret_cast<const char*>(f_ + label_begin[labels - 1]),
                              label_end[labels - 1] - label_begin[labels - 1]);
  if (!scheme) {
    if (labels < 2) return 0;
    for (char c : tld) {
      if (!IsAsciiLetter(static_cast<unsigned char>(c))) return 0;
    }
    const absl::string_view first(reinterpret_cast<const char*>(f_ + label_begin[0]),
                                  label_end[0] - label_begin[0]);
    bool ok = (first == "www" && labels >= 3) || internal::IsLikelyTld(tld, obfuscated);
    if (!ok && !obfuscated && labels == 2) {
      ok = internal::IsKnownBareHost(
          absl::string_view(reinterpret_cast<const char*>(f_ + host_begin), host_end - host_begin));
    }
    if (!ok) return 0;
  }
  size_t end = host_end;
  // Port.
  if (end + 1 < m_ && f_[end] == ':' && IsAsciiDigit(f_[end + 1])) {
    size_t k = end + 1;
    while (k < m_ && IsAsciiDigit(f_[k]) && k - end <= 5) ++k;
    end = k;
  }
  // Path, query and fragment, up to white space or a quoting character; closing
  // punctuation at its end belongs to the sentence.
  size_t path_begin = end, path_end = end;
  if (end < m_ && (f_[end] == '/' || f_[end] == '?' || f_[end] == '#')) {
    size_t k = end;
    while (k < m_ && f_[k] > ' ' && f_[k] != '"' && f_[k] != '\'' && f_[k] != '<' &&
           f_[k] != '>' && f_[k] != '`' && f_[k] != 0x7F) {
      ++k;
    }
    while (k > end + 1 && std::strchr(".,;:!?)]}", f_[k - 1]) != nullptr) --k;
    path_end = k;
    end = k;
  }

  // Host text: labels joined by '.', however they were separated.
  const size_t host_text = storage_.size();
  for (int i = 0; i < labels; ++i) {
    if (i > 0) storage_.push_back('.');
    AppendHostLabel(label_begin[i], label_end[i]);
  }
  const size_t host_size = storage_.size() - host_text;
  // NUL-terminated copy for libpsl; hosts are short (at most 16 labels of 63).
  char host_buf[16 * 64 + 1];
  std::memcpy(host_buf, storage_.data() + host_text, host_size);
  host_buf[host_size] = '\0';
  storage_.resize(host_text);
  const absl::string_view host(host_buf, host_size);
  const absl::string_view domain = internal::RegistrableDomain(host);
  const bool shortener = internal::IsShortener(domain.empty() ? host : domain);

  const uint32_t url_begin = InBegin(p), url_end = InEnd(end);
  const uint32_t h_begin = InBegin(host_begin), h_end = InEnd(host_end);
  EmitText(TokenKind::kUrl,
           obfuscated ? "url:obfuscated" : (shortener ? "url:short" : "url"), url_begin,
           url_end);
  EmitText(TokenKind::kHost, host, h_begin, h_end);
  if (!domain.empty()) EmitText(TokenKind::kDomain, domain, h_begin, h_end);
  if (path_end > path_begin) EmitPathWords(path_begin, path_end);
  return end;
}

void Scanner::EmitPathWords(size_t b, size_t e) {
  // Only all-letter segments of 3..20 letters: "/free-iphone" gives "free" and
  // "iphone", while random ids such as "dQw4w9WgXcQ" give nothing.
  constexpr size_t kMin = 3, kMax = 20;
  size_t q = b;
  while (q < e) {
    while (q < e && !(f_[q] < 0x80 && kFolded.cls[f_[q]] != 0)) ++q;
    const size_t s = q;
    bool letters_only = true;
    while (q < e && f_[q] < 0x80 && kFolded.cls[f_[q]] != 0) {
      letters_only &= kFolded.cls[f_[q]] == kLetter;
      ++q;
    }
    const bool bounded = q >= e || f_[q] < 0x80;  // not glued to non-ASCII
    if (letters_only && bounded && q - s >= kMin && q - s <= kMax) {
      RunInfo run;
      run.end = q;
      run.ascii_letter = true;
      run.equal_pairs = options_.max_char_run;  // not counted: check for long runs
      EmitWord(s, run);
    }
    while (q < e && f_[q] >= 0x80) ++q;
  }
}

size_t Scanner::TryPhone(size_t p) {
  // Groups of digits joined by single separators (' ', '-', '.'), optionally a
  // leading '+' and one group in parentheses: "+44 7700 900123", "0800-123-456",
  // "(555) 123-4567", "08712405020".
  constexpr int kMaxGroups = 6;
  size_t q = p;
  const bool plus = f_[q] == '+';
  if (plus) ++q;
  int groups = 0, digits = 0;
  size_t first_group = 0, last_group = 0;
  bool dot = false, short_group = false;
  char lead = 0;
  size_t end = q;
  while (groups < kMaxGroups) {
    const bool paren = q < m_ && f_[q] == '(';
    size_t k = q + (paren ? 1 : 0);
    const size_t s = k;
    while (IsAsciiDigit(f_[k])) ++k;  // f_[m_] is a space (see Tokenize)
    const size_t g = k - s;
    if (g == 0) break;
    if (paren) {
      if (k >= m_ || f_[k] != ')' || g < 2) break;
      ++k;
    }
    if (lead == 0) lead = static_cast<char>(f_[s]);
    ++groups;
    digits += static_cast<int>(g);
    if (groups == 1) first_group = g;
    last_group = g;
    if (groups > 1 && g < 2) short_group = true;
    end = k;
    // Separator, then the next group must start.
    size_t n = k;
    if (n < m_ && (f_[n] == ' ' || f_[n] == '-' || f_[n] == '.')) {
      if (f_[n] == '.') dot = true;
      ++n;
      if (paren && n < m_ && f_[n] == ' ') ++n;
    } else if (!paren) {
      break;
    }
    if (n >= m_ || !(IsAsciiDigit(f_[n]) || (f_[n] == '(' && groups == 1))) break;
    q = n;
  }
  if (groups == 0 || digits < 7 || digits > 15) return 0;
  if (end < m_ && f_[end] < 0x80 && kFolded.cls[f_[end]] != 0) return 0;  // "0800123x"
  if (groups == 1) {
    // One unbroken number: a phone if it starts with '+' or 0 and has 9+ digits
    // (UK "08712405020"), or has 10+ digits.
    if (!((plus || lead == '0') && digits >= 9) && digits < 10) return 0;
  } else {
    // Not dates ("2024-01-15") or lists of small numbers.
    if (short_group || last_group < 3) return 0;
    if (dot && (first_group < 3 && !plus)) return 0;
  }
  // Shape: the leading '+' or '0' (international, national or premium rate) and
  // the digit count: "+d12", "0d11", "d10".
  const size_t start = storage_.size();
  if (plus) {
    storage_.push_back('+');
  } else if (lead == '0') {
    storage_.push_back('0');
  }
  storage_.push_back('d');
  // The count, 7 to 15 (checked above): one digit, or '1' and one.
  if (digits >= 10) storage_.push_back('1');
  storage_.push_back(static_cast<char>('0' + digits % 10));
  Emit(TokenKind::kPhone, start, InBegin(p), InEnd(end));
  return end;
}

void Scanner::EmitWord(size_t p, const RunInfo& run) {
  const size_t e = run.end;
  const size_t start = storage_.size();
  const int max_run = options_.max_char_run;
  const bool may_map = options_.fold_homoglyphs && run.ascii_letter && run.non_ascii;
  if (!run.digit && !may_map && run.equal_pairs < max_run) {
    // Nothing to fold: copy (up to kMaxWordBytes, at a character boundary).
    size_t len = e - p;
    if (len > kMaxWordBytes) {
      len = kMaxWordBytes;
      while (len > 0 && (f_[p + len] & 0xC0) == 0x80) --len;
    }
    storage_.append(reinterpret_cast<const char*>(f_ + p), len);
    Emit(TokenKind::kWord, start, InBegin(p), InEnd(e));
    return;
  }
  if (!run.non_ascii && !run.digit) {
    // Plain ASCII letters: copy, shortening runs of one letter.
    const size_t len = std::min(e - p, kMaxWordBytes);
    storage_.resize(start + len);
    char* out = &storage_[start];
    unsigned char last = 0;
    int repeat = 0;
    size_t w = 0;
    for (size_t q = p; q < p + len; ++q) {
      const unsigned char c = f_[q];
      repeat = c == last ? repeat + 1 : 1;
      last = c;
      out[w] = static_cast<char>(c);
      w += repeat <= max_run;
    }
    storage_.resize(start + w);
  } else if (!run.non_ascii && fast_paths_) {
    // ASCII letters and digits ("mp3", "2nd"): copy, shortening runs of one
    // letter (digits are never cut), as the loop below does without decoding
    // each character; then fold the digits.
    storage_.resize(start + (e - p));
    char* out = &storage_[start];
    unsigned char last = 0;
    int repeat = 0;
    size_t w = 0;
    for (size_t q = p; q < e; ++q) {
      const unsigned char c = f_[q];
      repeat = c == last ? repeat + 1 : 1;
      last = c;
      out[w] = static_cast<char>(c);
      w += repeat <= max_run || IsAsciiDigit(c);
    }
    storage_.resize(start + w);
    FoldWordDigits(start);
  } else {
    // Homoglyphs: map confusables only in a word that has Latin letters and no
    // other non-Latin letters, so Cyrillic and Greek words stay as they are.
    bool map_homoglyphs = false;
    if (options_.fold_homoglyphs && run.ascii_letter && run.non_ascii) {
      bool foreign = false, confusable = false;
      for (size_t q = p; q < e;) {
        if (f_[q] < 0x80) {
          ++q;
          continue;
        }
        size_t len;
        const char32_t cp = DecodeUtf8(f_ + q, e - q, &len);
        q += len;
        if (internal::HomoglyphToLatin(cp) != 0) {
          confusable = true;
        } else if (utf8proc_category(static_cast<int32_t>(cp)) <= UTF8PROC_CATEGORY_LO) {
          foreign = true;
          break;
        }
      }
      map_homoglyphs = confusable && !foreign;
    }
    if (map_homoglyphs && !homoglyph_) {
      homoglyph_ = true;
      homoglyph_begin_ = InBegin(p);
      homoglyph_end_ = InEnd(e);
    }
    char32_t last = 0;
    int repeat = 0;
    for (size_t q = p; q < e;) {
      size_t len;
      char32_t cp = DecodeUtf8(f_ + q, e - q, &len);
      char mapped = 0;
      if (map_homoglyphs && cp >= 0x80) mapped = internal::HomoglyphToLatin(cp);
      if (mapped != 0) cp = static_cast<unsigned char>(mapped);
      repeat = cp == last ? repeat + 1 : 1;
      last = cp;
      if (repeat <= max_run || IsAsciiDigit(static_cast<unsigned char>(cp < 0x80 ? cp : 0))) {
        if (mapped != 0 || cp < 0x80) {
          storage_.push_back(static_cast<char>(cp));
        } else {
          storage_.append(reinterpret_cast<const char*>(f_ + q), len);
        }
      }
      q += len;
    }
    if (run.digit) FoldWordDigits(start);
  }
  if (storage_.size() - start > kMaxWordBytes) {
    size_t cut = start + kMaxWordBytes;
    while (cut > start && (static_cast<unsigned char>(storage_[cut]) & 0xC0) == 0x80) --cut;
    storage_.resize(cut);
  }
  Emit(TokenKind::kWord, start, InBegin(p), InEnd(e));
}

void Scanner::FoldWordDigits(size_t start) {
  // Digits inside words. A run of l33t digits (0 1 3 5 7) between two Latin
  // letters becomes letters ("h0t", "v1agra"), and so does a final run of two
  // equal ones after at least two letters ("fr33", "t00"); other runs of three
  // or more digits become 9s ("win1000" -> "win9999"); the rest stay ("mp3",
  // "b2b", "4u", "covid19", "2nd").
  char* w = &storage_[start];
  const size_t n = storage_.size() - start;
  // A word with any other digit ("a1b2") is a code: looked at only when a run
  // could become letters, and then once (-1: not yet).
  int all_leet = -1;
  size_t i = 0;
  while (i < n) {
    if (!IsAsciiDigit(static_cast<unsigned char>(w[i]))) {
      ++i;
      continue;
    }
    size_t j = i;
    bool leet = true;
    while (j < n && IsAsciiDigit(static_cast<unsigned char>(w[j]))) {
      leet &= LeetLetter(static_cast<unsigned char>(w[j])) != 0;
      ++j;
    }
    const bool letter_before =
        i > 0 && IsAsciiLetter(static_cast<unsigned char>(w[i - 1]));
    const bool letter_after = j < n && IsAsciiLetter(static_cast<unsigned char>(w[j]));
    const bool interior = letter_before && letter_after;
    const bool final_pair = letter_before && j == n && j - i == 2 && w[i] == w[i + 1] &&
                            i >= 2 && IsAsciiLetter(static_cast<unsigned char>(w[i - 2]));
    const bool may_fold = options_.fold_leet && leet && (interior || final_pair);
    if (may_fold && all_leet < 0) all_leet = AllDigitsLeet(w, n) ? 1 : 0;
    if (may_fold && all_leet == 1) {
      for (size_t k = i; k < j; ++k) w[k] = LeetLetter(static_cast<unsigned char>(w[k]));
    } else if (j - i >= 3) {
      for (size_t k = i; k < j; ++k) w[k] = '9';
    }
    i = j;
  }
}

size_t Scanner::FastNumber(size_t p) {
  // f_[m_] is a space (see Tokenize): the digits end there at the latest.
  size_t q = p + 1;
  while (IsAsciiDigit(f_[q])) ++q;
  // A phone number of one group has 9 digits or more (MayBePhone).
  if (q - p > 8) return 0;
  const unsigned char next = f_[q];
  if (next == ' ') {
    // After a space, a digit or '(' may start a phone number's next group, and
    // '.', 'd', '(', '[', '{' an obfuscated host's separator (UrlMayFollow).
    if (q + 1 < m_) {
      const unsigned char c = f_[q + 1];
      if (IsAsciiDigit(c) || (kFolded.after[c] & kObfuscatedStart) != 0) return 0;
    }
  } else if (q < m_) {
    // A letter, digit or non-ASCII byte goes on with the run; what may start an
    // e-mail address or a URL ('.', '-', ':', '@', ...) is tried, and ',' may
    // carry on the number's shape ("1,000").
    if (kFolded.cls[next] != 0 || kFolded.after[next] != 0 || next == ',') return 0;
  }
  const size_t start = storage_.size();
  storage_.AppendUpTo8(0x3939393939393939ULL, q - p);  // each digit as '9'
  Emit(TokenKind::kNumber, start, InBegin(p), InEnd(q));
  return q;
}

size_t Scanner::EmitNumber(size_t p) {
  // Shape: digits become '9', '.' and ',' between digits stay ("£1,000.50" gives
  // a currency token "£" and "9,999.99").
  const size_t start = storage_.size();
  size_t q = p;
  while (q < m_) {
    const unsigned char c = f_[q];
    if (IsAsciiDigit(c)) {
      if (storage_.size() - start < kMaxShapeBytes) storage_.push_back('9');
      ++q;
    } else if ((c == '.' || c == ',') && q + 1 < m_ && IsAsciiDigit(f_[q + 1])) {
      if (storage_.size() - start < kMaxShapeBytes) storage_.push_back(static_cast<char>(c));
      ++q;
    } else {
      break;
    }
  }
  Emit(TokenKind::kNumber, start, InBegin(p), InEnd(q));
  return q;
}

size_t Scanner::EmitEmoji(size_t p, size_t len) {
  size_t q = p + len;
  size_t l0;
  const char32_t first = DecodeUtf8(f_ + p, m_ - p, &l0);
  bool paired = false;
  while (q < m_ && f_[q] >= 0x80) {
    size_t l;
    const char32_t c = DecodeUtf8(f_ + q, m_ - q, &l);
    if (internal::IsEmojiModifier(c) || internal::IsEmojiTag(c)) {
      q += l;
    } else if (!paired && internal::IsRegionalIndicator(first) &&
               internal::IsRegionalIndicator(c) && q == p + len) {
      paired = true;
      q += l;
    } else if (c == 0x200D && q + l < m_) {
      size_t l2;
      const char32_t next = DecodeUtf8(f_ + q + l, m_ - q - l, &l2);
      if (!internal::IsEmoji(next)) break;
      q += l + l2;
    } else {
      break;
    }
  }
  const absl::string_view text(reinterpret_cast<const char*>(f_ + p), q - p);
  if (emoji_run_ > 0 &&
      storage_.view().substr(last_emoji_offset_, last_emoji_size_) == text) {
    // A run of one emoji is cut like a run of one letter.
    if (++emoji_run_ > options_.max_char_run) return q;
  } else {
    emoji_run_ = 1;
  }
  last_emoji_offset_ = storage_.size();
  last_emoji_size_ = text.size();
  EmitText(TokenKind::kEmoji, text, InBegin(p), InEnd(q));
  return q;
}

void Scanner::EmitSignals() {
  if (stats_.has_zero_width) {
    EmitText(TokenKind::kSignal, "zero_width", stats_.zero_width_begin, stats_.zero_width_end);
  }
  if (stats_.has_bidi) {
    EmitText(TokenKind::kSignal, "bidi", stats_.bidi_begin, stats_.bidi_end);
  }
  if (homoglyph_) {
    EmitText(TokenKind::kSignal, "homoglyph", homoglyph_begin_, homoglyph_end_);
  }
  if (stats_.cased_letters >= kShoutingMinLetters &&
      stats_.uppercase_letters * 10 >= stats_.cased_letters * 7) {
    EmitText(TokenKind::kSignal, "shouting", 0, input_size_);
  }
  if (exclaims_ >= kManyExclaims) {
    EmitText(TokenKind::kSignal, "many_exclaims", exclaim_begin_, exclaim_end_);
  }
}

}  // namespace

absl::string_view TokenKindName(TokenKind kind) {
  switch (kind) {
    case TokenKind::kWord: return "word";
    case TokenKind::kNumber: return "number";
    case TokenKind::kUrl: return "url";
    case TokenKind::kHost: return "host";
    case TokenKind::kDomain: return "domain";
    case TokenKind::kEmail: return "email";
    case TokenKind::kPhone: return "phone";
    case TokenKind::kEmoji: return "emoji";
    case TokenKind::kSignal: return "signal";
  }
  return "unknown";
}

void Tokenization::Clear() {
  // Buffers keep their size (see TextBuffer, TokenBuffer); only the used sizes
  // are reset.
  token_count_ = 0;
  folded_size_ = 0;
}

absl::StatusOr<Tokenizer> Tokenizer::Create(const TokenizerOptions& options) {
  if (options.max_char_run < 2 || options.max_char_run > 16) {
    return absl::InvalidArgumentError(absl::StrCat(
        "TokenizerOptions.max_char_run must be in 2..16, got ", options.max_char_run));
  }
  if (options.max_input_bytes < (size_t{1} << 10) ||
      options.max_input_bytes > (size_t{64} << 20)) {
    return absl::InvalidArgumentError(
        absl::StrCat("TokenizerOptions.max_input_bytes must be in 1 KiB..64 MiB, got ",
                     options.max_input_bytes));
  }
  return Tokenizer(options);
}

void Tokenizer::Tokenize(absl::string_view input, Tokenization* out) const {
  out->Clear();
  if (input.size() > options_.max_input_bytes) {
    // Cut at a character boundary, so the last character is not turned into U+FFFD.
    size_t cut = options_.max_input_bytes;
    for (int back = 0; back < 3 && cut > 0 &&
                       (static_cast<unsigned char>(input[cut]) & 0xC0) == 0x80;
         ++back) {
      --cut;
    }
    input = input.substr(0, cut);
  }
  internal::NormalizeStats stats;
  // Folding can expand text (NFKC of U+FDFA is 33 bytes); the budget bounds memory,
  // which is about 9 bytes per folded byte (text and input spans) plus the tokens.
  // Real posts fold to at most ~1.03 times their size (every text of the labeled
  // corpora), so only hostile ones reach it.
  const size_t max_output = kMaxFoldedPerInputByte * input.size() + 64;
  internal::Normalize(input, options_.decode_html, max_output,
                      {&out->folded_, &out->folded_to_input_, &out->folded_end_}, &stats);
  out->folded_size_ = stats.folded_size;
  // The scanner reads the 33 bytes from a word's start at a time: a space after
  // the text ends the last word, and padding keeps the reads inside the buffer.
  // The byte after that space (no letter, unlike what a longer text may have left
  // there) tells the word loop that the space ends the text, and stops its steps
  // over separators and Run()'s (see FastWordsLoop).
  if (out->folded_.size() < stats.folded_size + 32) {
    out->folded_.resize(stats.folded_size + 32);
  }
  out->folded_[stats.folded_size] = ' ';
  out->folded_[stats.folded_size + 1] = kAfterFinalSpace;
  Scanner scanner(options_, absl::string_view(out->folded_.data(), stats.folded_size),
                  out->folded_to_input_, out->folded_end_, stats,
                  static_cast<uint32_t>(input.size()), &out->tokens_, &out->storage_,
                  internal::FastPathsEnabled());
  scanner.Run();
  out->token_count_ = scanner.token_count();
}

}  // namespace groupguard
