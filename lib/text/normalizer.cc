#include "text/normalizer.h"

#include <utf8proc.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>

#include "text/char_classes.h"
#include "text/fast_paths.h"
#include "text/utf8.h"
#include "util/platform.h"

#if GROUPGUARD_HAVE_SSE2
#include <emmintrin.h>
#endif

namespace groupguard::internal {
namespace {

// Per byte: bit 0 = leaves the fast path (non-ASCII; '&' and '<' when decoding
// HTML), bit 1 = upper case letter, bit 2 = cased letter.
enum : uint8_t { kStop = 1, kUpper = 2, kCased = 4 };

struct ByteTables {
  uint8_t cls_html[256];
  uint8_t cls_plain[256];
  char fold[256];  // ASCII lower case; controls and DEL become ' '
};

constexpr ByteTables MakeByteTables() {
  ByteTables t{};
  for (int c = 0; c < 256; ++c) {
    uint8_t cls = c >= 0x80 ? kStop : 0;
    t.fold[c] = static_cast<char>(c);
    if (c < 0x20 || c == 0x7F) t.fold[c] = ' ';
    if (c >= 'A' && c <= 'Z') {
      cls |= kUpper | kCased;
      t.fold[c] = static_cast<char>(c - 'A' + 'a');
    }
    if (c >= 'a' && c <= 'z') cls |= kCased;
    t.cls_plain[c] = cls;
    t.cls_html[c] = (c == '&' || c == '<') ? (cls | kStop) : cls;
  }
  return t;
}
constexpr ByteTables kBytes = MakeByteTables();

struct NamedEntity {
  const char* name;
  char32_t cp;
};
// The entities seen in forum and SMS dumps; anything else stays literal text.
constexpr NamedEntity kEntities[] = {
    {"amp", '&'},       {"lt", '<'},         {"gt", '>'},         {"quot", '"'},
    {"apos", '\''},     {"nbsp", 0xA0},      {"copy", 0xA9},      {"reg", 0xAE},
    {"trade", 0x2122},  {"hellip", 0x2026},  {"mdash", 0x2014},   {"ndash", 0x2013},
    {"lsquo", 0x2018},  {"rsquo", 0x2019},   {"ldquo", 0x201C},   {"rdquo", 0x201D},
    {"euro", 0x20AC},   {"pound", 0xA3},     {"yen", 0xA5},       {"cent", 0xA2},
    {"bull", 0x2022},   {"middot", 0xB7},    {"laquo", 0xAB},     {"raquo", 0xBB},
    {"times", 0xD7},    {"shy", 0xAD},       {"zwj", 0x200D},     {"zwnj", 0x200C},
    {"lrm", 0x200E},    {"rlm", 0x200F},     {"ensp", 0x2002},    {"emsp", 0x2003},
    {"thinsp", 0x2009}, {"deg", 0xB0},       {"iexcl", 0xA1},     {"iquest", 0xBF},
};

// Each entity's name as the word of its bytes, the first in the low byte, zeros
// after the last: names are letters (no zero byte) of at most 8, so two names
// are equal exactly when their words are.
constexpr uint64_t NameWord(const char* name) {
  uint64_t word = 0;
  for (int k = 0; name[k] != 0; ++k) {
    word |= uint64_t{static_cast<unsigned char>(name[k])} << (8 * k);
  }
  return word;
}
constexpr std::array<uint64_t, std::size(kEntities)> MakeEntityNames() {
  std::array<uint64_t, std::size(kEntities)> words{};
  for (size_t k = 0; k < words.size(); ++k) words[k] = NameWord(kEntities[k].name);
  return words;
}
constexpr std::array<uint64_t, std::size(kEntities)> kEntityNames = MakeEntityNames();

// Inline formatting tags are dropped without a trace, so "fr<b>ee</b>" stays one
// word; every other tag becomes a space.
bool IsInlineTag(absl::string_view name) {
  static constexpr absl::string_view kInline[] = {
      "b",  "i",      "u",    "s",   "em",     "strong", "span", "font", "small",
      "big", "sup",   "sub",  "mark", "ins",   "del",    "strike", "tt", "abbr"};
  for (absl::string_view t : kInline) {
    if (name == t) return true;
  }
  return false;
}

inline char AsciiLower(unsigned char c) { return kBytes.fold[c]; }

constexpr int kMaxClusterCodepoints = 32;
constexpr int kMaxDecomposed = 256;
// Bytes one step may write once the output is full: a cluster's folding (at most
// kMaxDecomposed code points of 4 bytes), or the spaces around a tag.
constexpr size_t kMaxOvershoot = 4 * kMaxDecomposed + 8;

class Normalizer {
 public:
  Normalizer(absl::string_view input, bool decode_html, size_t max_output,
             const NormalizeBuffers& out, NormalizeStats* stats)
      : in_(reinterpret_cast<const unsigned char*>(input.data())),
        n_(input.size()),
        decode_html_(decode_html),
        max_output_(max_output),
        folded_(*out.folded),
        begins_(*out.begins),
        ends_(*out.ends),
        stats_(*stats),
        fast_paths_(FastPathsEnabled()) {}

  void Run() {
    Reserve(n_);
    Process(0, n_, decode_html_);
    stats_.folded_size = k_;
  }

 private:
  // Folds in_[begin, end).
  void Process(size_t begin, size_t end, bool allow_tags);
  // Folds the run of fast-path bytes at in_[i, end) one for one (lower case,
  // controls as spaces); returns where the run stopped.
  // Inlined into Process, its one caller (GCC kept it out of line once
  // SixteenAtATime was inlined into it: about 35 instructions a post more).
  [[gnu::always_inline]] size_t FastRun(size_t i, size_t end);
#if GROUPGUARD_HAVE_SSE2
  // FastRun's work for a run of at least 16 bytes (end - i >= 16), 16 bytes a
  // step: folds in_[i, j) into out (out[0] is in_[i]'s) and counts their
  // letters, where j is the first byte that leaves the fast path (non-ASCII; '&'
  // and '<' when decoding HTML), or end. May write up to out + (end - i).
  struct SixteenResult {
    size_t stop;  // j
    uint32_t upper, cased;
  };
  // Inlined into FastRun, its one caller: as a call it cost about 8 instructions
  // a run more (saved registers, arguments, its constants set up in the call).
  [[gnu::always_inline]] SixteenResult SixteenAtATime(size_t i, size_t end,
                                                      char* out) const;
#endif
  // Folds a run of two-byte characters that fold alone to one two-byte character
  // (most Cyrillic, Greek, Latin-1 text) through TwoByteTable(); returns where it
  // stopped (i if it folded nothing).
  size_t TwoByteRun(size_t i, size_t end);
  // TwoByteTable(), taken on first use: an ASCII post (most posts) never needs
  // it, and the call (to a function-local static) cost 10 instructions a post.
  const TwoByteInfo* two_byte() {
    if (two_byte_ == nullptr) two_byte_ = TwoByteTable();
    return two_byte_;
  }
  // Whether the character at in_[j] is known not to combine with the one before
  // (`two_byte`: two_byte()).
  bool StartsStarter(size_t j, size_t end, const TwoByteInfo* two_byte) const {
    const unsigned char b0 = in_[j];
    if (b0 < 0x80) return true;
    if (b0 < 0xC2 || b0 > 0xDF || j + 1 >= end || (in_[j + 1] & 0xC0) != 0x80) return false;
    const char32_t cp = ((b0 & 0x1Fu) << 6) | (in_[j + 1] & 0x3Fu);
    return (two_byte[cp - 0x80].flags & TwoByteInfo::kStarter) != 0;
  }
  // Makes room for `n` more output bytes (and their spans).
  void Reserve(size_t n) {
    if (k_ + n > folded_.size()) Grow(n);
  }
  void Grow(size_t n);
  // Handles one unit at i that the fast path did not; returns the next position.
  size_t SlowStep(size_t i, size_t end, bool allow_tags);
  // Decodes an entity at in_[i] == '&'; returns its length or 0.
  size_t DecodeEntity(size_t i, size_t end, char32_t* cp) const;
  // Handles a tag at in_[i] == '<'; returns the position after it, or 0.
  size_t HandleTag(size_t i, size_t end);
  void EmitByte(char b, uint32_t begin, uint32_t end);
  void LeaveIdentity();
  bool Full() const { return k_ >= max_output_; }
  // Output bytes left before max_output_: FastRun and TwoByteRun (one output byte
  // per input byte) stop there.
  size_t Room() const { return k_ < max_output_ ? max_output_ - k_ : 0; }

  const unsigned char* in_;
  size_t n_;
  bool decode_html_;
  size_t max_output_;
  std::string& folded_;
  std::vector<uint32_t>& begins_;
  std::vector<uint32_t>& ends_;
  NormalizeStats& stats_;
  // Output cursor: folded_ (and the span vectors, once out of identity) are kept at
  // their high-water size between calls, so a warm call neither allocates nor
  // clears; bytes past k_ are stale.
  size_t k_ = 0;
  const TwoByteInfo* two_byte_ = nullptr;  // see two_byte()
  const bool fast_paths_;  // see FastPathsEnabled()
};

void Normalizer::Grow(size_t n) {
  // Doubling, but not past where the output stops: max_output_ plus what one unit
  // may add after it. (The spans take 8 bytes per folded byte: a post of 4 MiB
  // that folds to 16 MiB would otherwise leave 32 MiB of text and 256 MiB of spans
  // behind in a warm Tokenization.)
  const size_t cap = max_output_ + kMaxOvershoot;
  const size_t size =
      std::max(k_ + n, std::min(std::max(folded_.size() * 2, size_t{256}), cap));
  // The spans first: out of identity they must have room for every byte folded_
  // has, also when a resize here runs out of memory (the buffers outlive the call:
  // a later call would write past them).
  if (!stats_.identity) {
    begins_.resize(size);
    ends_.resize(size);
  }
  folded_.resize(size);
}

void Normalizer::LeaveIdentity() {
  if (!stats_.identity) return;
  const size_t k = k_;
  // Each checked: a call that ran out of memory between the two resizes left one
  // shorter than the other.
  if (begins_.size() < folded_.size()) begins_.resize(folded_.size());
  if (ends_.size() < folded_.size()) ends_.resize(folded_.size());
  stats_.identity = false;  // once the spans have their room
  // In 32 bits, as they are stored (see FastRun).
  uint32_t* const b = begins_.data();
  uint32_t* const e = ends_.data();
  const uint32_t count = static_cast<uint32_t>(k);
  for (uint32_t t = 0; t < count; ++t) {
    b[t] = t;
    e[t] = t + 1;
  }
}

void Normalizer::EmitByte(char b, uint32_t begin, uint32_t end) {
  Reserve(1);
  folded_[k_] = b;
  begins_[k_] = begin;
  ends_[k_] = end;
  ++k_;
}

#if GROUPGUARD_HAVE_SSE2
inline Normalizer::SixteenResult Normalizer::SixteenAtATime(size_t i, size_t end,
                                                            char* out) const {
  // SSE2 is part of x86-64. A step loads 16 bytes; the ones that stop the run
  // have bit 7 set (bytes >= 0x80) or equal '&' or '<' (when decoding HTML), found
  // with one movemask. The bytes before the first of them are ASCII, so signed
  // byte arithmetic is exact on them: controls and DEL become spaces, upper case
  // letters lower case, and the bytes that are not upper case letters, and not
  // cased ones, are counted per byte lane (subtracting a 0xFF mask adds one;
  // the letters are then the run's bytes less those), summed every 255 steps
  // at most, before a lane could wrap (the last step adds one more, so the sums
  // are taken right after 255 whole steps, and once more at the end). A step
  // with a stop byte, and the last bytes of the run, count only their lanes in
  // range (the 16 bytes are stored whole: those past the stop
  // byte are stale output, written over later; the last step's load ends at
  // `end` and overlaps bytes already folded, stored again as they were).
  const unsigned char* const in = in_;
  const __m128i space = _mm_set1_epi8(0x20);
  // Adding 0x81 takes controls to 0x81..0xA0, DEL to 0x00 and the other ASCII bytes
  // to 0xA1..0xFF: an unsigned max with 0xA1 then takes just the first two to 0xA1,
  // a space once the 0x81 is taken off again.
  const __m128i to_control_range = _mm_set1_epi8(static_cast<char>(0x81));
  const __m128i control_end = _mm_set1_epi8(static_cast<char>(0xA1));
  // Without HTML, compare with 0x80 instead of '&' and '<' (a stop byte anyway).
  const __m128i amp = _mm_set1_epi8(static_cast<char>(decode_html_ ? '&' : 0x80));
  const __m128i lt = _mm_set1_epi8(static_cast<char>(decode_html_ ? '<' : 0x80));
  // c + (0x80 - 'A') is below -102 (as a signed byte) just for c in 'A'..'Z', for
  // any ASCII c from 0x20 on; likewise c + (0x80 - 'a') for 'a'..'z'. The masks
  // are of the other bytes, those above -103: then the compare's first operand
  // is the sum, a register of its own (SSE2's compare overwrites it), and the
  // constant needs no copy per step.
  const __m128i to_upper_range = _mm_set1_epi8(0x80 - 'A');
  const __m128i to_lower_range = _mm_set1_epi8(0x80 - 'a');
  __m128i range_last = _mm_set1_epi8(-103);
  // Hidden from GCC, which otherwise turns "above -103" back into "not below
  // -102": the compare the other way round and a compare with zero to negate it.
  // (An empty asm: no instruction.)
#if GROUPGUARD_HAVE_X86
  __asm__("" : "+x"(range_last));
#endif
  const __m128i zero = _mm_setzero_si128();
  // prefix(n): a 16-byte mask of lanes [0, n), n <= 16.
  alignas(16) static constexpr uint8_t kPrefix[32] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                                                      0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                                                      0xFF, 0xFF, 0xFF, 0xFF};
  auto prefix = [](size_t n) {
    return _mm_loadu_si128(reinterpret_cast<const __m128i*>(kPrefix + 16 - n));
  };
  auto stops = [&](__m128i x) {
    return _mm_movemask_epi8(
        _mm_or_si128(x, _mm_or_si128(_mm_cmpeq_epi8(x, amp), _mm_cmpeq_epi8(x, lt))));
  };
  // Folds x (ASCII in the lanes that count), stores it at o, and subtracts the
  // masks of the bytes that are not upper case letters, and not cased ones,
  // limited to `keep`, from the lane counts.
  auto fold = [&](__m128i x, char* o, __m128i keep, __m128i* not_upper_lanes,
                  __m128i* not_cased_lanes) {
    x = _mm_sub_epi8(_mm_max_epu8(_mm_add_epi8(x, to_control_range), control_end),
                     to_control_range);  // controls and DEL
    const __m128i not_upper = _mm_cmpgt_epi8(_mm_add_epi8(x, to_upper_range), range_last);
    *not_upper_lanes = _mm_sub_epi8(*not_upper_lanes, _mm_and_si128(not_upper, keep));
    x = _mm_or_si128(x, _mm_andnot_si128(not_upper, space));  // 0x20, the case bit
    const __m128i not_cased = _mm_cmpgt_epi8(_mm_add_epi8(x, to_lower_range), range_last);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(o), x);
    *not_cased_lanes = _mm_sub_epi8(*not_cased_lanes, _mm_and_si128(not_cased, keep));
  };
  // The bytes folded that are not upper case letters, and not cased ones.
  uint32_t not_upper_count = 0, not_cased_count = 0;
  __m128i not_upper_lanes = zero, not_cased_lanes = zero;
  // Adds the lane counts to the counts above and clears them.
  auto add_sums = [&] {
    const __m128i upper_sums = _mm_sad_epu8(not_upper_lanes, zero);
    const __m128i cased_sums = _mm_sad_epu8(not_cased_lanes, zero);
    not_upper_count += static_cast<uint32_t>(
        _mm_cvtsi128_si32(upper_sums) + _mm_cvtsi128_si32(_mm_srli_si128(upper_sums, 8)));
    not_cased_count += static_cast<uint32_t>(
        _mm_cvtsi128_si32(cased_sums) + _mm_cvtsi128_si32(_mm_srli_si128(cased_sums, 8)));
    not_upper_lanes = zero;
    not_cased_lanes = zero;
  };
  // The result for a run folded up to `stop`: the lanes in range counted each
  // byte of in_[i, stop) once.
  auto finish = [&](size_t stop) {
    add_sums();
    const uint32_t folded = static_cast<uint32_t>(stop - i);
    return SixteenResult{stop, folded - not_upper_count, folded - not_cased_count};
  };
  const __m128i all = prefix(16);
  size_t j = i;
  while (end - j >= 16) {
    const size_t steps = std::min<size_t>((end - j) / 16, 255);
    for (size_t s = 0; s < steps; ++s) {
      const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + j));
      const int stop = stops(x);
      if (stop != 0) {
        const size_t n = static_cast<size_t>(__builtin_ctz(static_cast<unsigned>(stop)));
        fold(x, out + (j - i), prefix(n), &not_upper_lanes, &not_cased_lanes);
        return finish(j + n);
      }
      fold(x, out + (j - i), all, &not_upper_lanes, &not_cased_lanes);
      j += 16;
    }
    if (steps == 255) add_sums();
  }
  if (j == end) return finish(j);
  // The last end - j < 16 bytes, in the 16 that end at `end`: lanes [0, done) are
  // folded already (and hold no stop byte).
  const size_t done = 16 - (end - j);
  const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + end - 16));
  const int stop = stops(x);
  const size_t n =
      stop == 0 ? 16 : static_cast<size_t>(__builtin_ctz(static_cast<unsigned>(stop)));
  fold(x, out + (end - 16 - i), _mm_andnot_si128(prefix(done), prefix(n)),
       &not_upper_lanes, &not_cased_lanes);
  return finish(end - 16 + n);
}
#endif

inline size_t Normalizer::FastRun(size_t i, size_t end) {
  end = std::min(end, i + Room());
  Reserve(end - i);
  char* out = &folded_[k_];
  const uint8_t* cls_table = decode_html_ ? kBytes.cls_html : kBytes.cls_plain;
  uint32_t upper = 0, cased = 0;
  size_t j = i;
  // Runs shorter than 16 bytes (or all runs, without SSE2), eight bytes at a time
  // while they are plain ASCII (no control, DEL, '&', '<'):
  // lower-case them with bit arithmetic and count the letters. Bit 7 of each byte
  // of a mask marks the bytes it selects. Bytes are masked to 7 bits before adding
  // at most 0x7F to each, so no addition carries into the next byte.
  constexpr uint64_t k01 = 0x0101010101010101ULL;
  constexpr uint64_t k7F = 0x7F7F7F7F7F7F7F7FULL;
  constexpr uint64_t k80 = 0x8080808080808080ULL;
  // Bytes equal to c (of a 7-bit y): y ^ c is 0, the only value that stays below
  // 0x80 when 0x7F is added.
  auto equal_to = [](uint64_t y, unsigned char c) { return ~((y ^ (k01 * c)) + k7F); };
  const bool html = decode_html_;
#if GROUPGUARD_HAVE_SSE2
  if (fast_paths_ && end - i >= 16) {
    // j is the run's first stop byte, or its end: nothing is left for the loops
    // below.
    const SixteenResult run = SixteenAtATime(i, end, out);
    j = run.stop;
    upper = run.upper;
    cased = run.cased;
  } else
#endif
  {
    while (fast_paths_ && j + 8 <= end) {
      uint64_t x;
      std::memcpy(&x, in_ + j, 8);
      const uint64_t y = x & k7F;
      uint64_t stop =
          x | ~(y + k01 * (0x80 - 0x20)) | (y + k01);  // >= 0x80, < 0x20, 0x7F
      if (html) stop |= equal_to(y, '&') | equal_to(y, '<');
      if (stop & k80) break;
      // From here on x is 7-bit ASCII.
      const uint64_t upper_bits =
          (x + k01 * (0x80 - 'A')) & ~(x + k01 * (0x7F - 'Z')) & k80;
      x |= upper_bits >> 2;  // 0x80 >> 2 == 0x20, the case bit
      // After lower-casing, the cased letters are the bytes in 'a'..'z'.
      const uint64_t cased_bits =
          (x + k01 * (0x80 - 'a')) & ~(x + k01 * (0x7F - 'z')) & k80;
      std::memcpy(out + (j - i), &x, 8);
      upper += static_cast<uint32_t>(((upper_bits >> 7) * k01) >> 56);
      cased += static_cast<uint32_t>(((cased_bits >> 7) * k01) >> 56);
      j += 8;
    }
    while (j < end) {
      const unsigned char c = in_[j];
      const uint8_t cls = cls_table[c];
      if (cls & kStop) break;
      out[j - i] = kBytes.fold[c];
      upper += (cls >> 1) & 1;
      cased += (cls >> 2) & 1;
      ++j;
    }
  }
  // The byte before a non-ASCII one goes to the slow path if a combining mark may
  // follow it. (Its counts are taken there.)
  if (j < end && j > i && in_[j] >= 0x80 && !StartsStarter(j, end, two_byte())) {
    --j;
    const uint8_t cls = cls_table[in_[j]];
    upper -= (cls >> 1) & 1;
    cased -= (cls >> 2) & 1;
  }
  stats_.uppercase_letters += upper;
  stats_.cased_letters += cased;
  const size_t len = j - i;
  if (!stats_.identity) {
    uint32_t* b = &begins_[k_];
    uint32_t* e = &ends_[k_];
    // In 32 bits, as they are stored: GCC vectorizes the loop then on a vector
    // of four positions (on 64-bit ones it added two vectors and shuffled
    // them into one for every four bytes).
    const uint32_t first = static_cast<uint32_t>(i);
    const uint32_t count = static_cast<uint32_t>(len);
    for (uint32_t t = 0; t < count; ++t) {
      b[t] = first + t;
      e[t] = first + t + 1;
    }
  }
  k_ += len;
  return j;
}

void Normalizer::Process(size_t begin, size_t end, bool allow_tags) {
  size_t i = begin;
  while (i < end) {
    // Fast path: a run of ASCII bytes that fold one for one.
    if (stats_.identity && k_ != i) LeaveIdentity();
    i = FastRun(i, end);
    if (i >= end || Full()) break;
    if (in_[i] >= 0xC2 && in_[i] <= 0xDF) {
      const size_t j = TwoByteRun(i, end);
      if (j != i) {
        i = j;
        continue;
      }
    }
    i = SlowStep(i, end, allow_tags);
  }
}

size_t Normalizer::TwoByteRun(size_t i, size_t end) {
  end = std::min(end, i + Room());
  Reserve(end - i);
  unsigned char* out = reinterpret_cast<unsigned char*>(&folded_[k_]);
  const TwoByteInfo* const two_byte = this->two_byte();
  uint32_t upper = 0, cased = 0;
  size_t j = i;
  while (j + 1 < end) {
    const unsigned char b0 = in_[j];
    const unsigned char b1 = in_[j + 1];
    if (b0 < 0xC2 || b0 > 0xDF || (b1 & 0xC0) != 0x80) break;
    const char32_t cp = ((b0 & 0x1Fu) << 6) | (b1 & 0x3Fu);
    const TwoByteInfo& info = two_byte[cp - 0x80];
    if (!(info.flags & TwoByteInfo::kStable)) break;
    // What follows may combine with this character: then the slow path folds both.
    if (j + 2 < end && !StartsStarter(j + 2, end, two_byte)) break;
    out[j - i] = static_cast<unsigned char>(0xC0 | (info.folded >> 6));
    out[j - i + 1] = static_cast<unsigned char>(0x80 | (info.folded & 0x3F));
    upper += (info.flags & TwoByteInfo::kUpper) != 0;
    cased += (info.flags & TwoByteInfo::kCased) != 0;
    j += 2;
  }
  const size_t len = j - i;
  if (!stats_.identity) {
    for (size_t t = 0; t < len; ++t) {
      begins_[k_ + t] = static_cast<uint32_t>(i + (t & ~size_t{1}));
      ends_[k_ + t] = static_cast<uint32_t>(i + (t & ~size_t{1}) + 2);
    }
  }
  stats_.uppercase_letters += upper;
  stats_.cased_letters += cased;
  k_ += len;
  return j;
}

size_t Normalizer::DecodeEntity(size_t i, size_t end, char32_t* cp) const {
  size_t j = i + 1;
  if (j < end && in_[j] == '#') {
    ++j;
    bool hex = false;
    if (j < end && (in_[j] == 'x' || in_[j] == 'X')) {
      hex = true;
      ++j;
    }
    const size_t digits_begin = j;
    uint32_t v = 0;
    while (j < end && j - digits_begin < 8) {
      const unsigned char c = in_[j];
      int d;
      if (c >= '0' && c <= '9') {
        d = c - '0';
      } else if (hex && (c | 0x20) >= 'a' && (c | 0x20) <= 'f') {
        d = (c | 0x20) - 'a' + 10;
      } else {
        break;
      }
      v = v * (hex ? 16 : 10) + d;
      ++j;
    }
    if (j == digits_begin || j >= end || in_[j] != ';') return 0;
    if (v == 0 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) v = kReplacementChar;
    *cp = v;
    return j + 1 - i;
  }
  // The name as one word (see kEntityNames), compared with each entity's on one
  // compare: a string compare through strlen and memcmp took about 22
  // instructions a post.
  uint64_t key = 0;
  size_t len = 0;
  while (j < end && len < 8 && ((in_[j] | 0x20) >= 'a' && (in_[j] | 0x20) <= 'z')) {
    key |= uint64_t{in_[j]} << (8 * len);
    ++len;
    ++j;
  }
  if (len < 2 || j >= end || in_[j] != ';') return 0;
  for (size_t k = 0; k < kEntityNames.size(); ++k) {
    if (key == kEntityNames[k]) {
      *cp = kEntities[k].cp;
      return j + 1 - i;
    }
  }
  return 0;
}

size_t Normalizer::HandleTag(size_t i, size_t end) {
  constexpr size_t kMaxTag = 2048;
  if (i + 1 >= end) return 0;
  const unsigned char c1 = in_[i + 1];
  if (!(((c1 | 0x20) >= 'a' && (c1 | 0x20) <= 'z') || c1 == '/' || c1 == '!')) return 0;
  size_t close = 0;
  const size_t limit = std::min(end, i + kMaxTag);
  for (size_t j = i + 1; j < limit; ++j) {
    if (in_[j] == '>') {
      close = j;
      break;
    }
    if (in_[j] == '<') return 0;
  }
  if (close == 0) return 0;
  size_t name_begin = i + 1 + (c1 == '/' ? 1 : 0);
  size_t name_end = name_begin;
  char name[8];
  size_t name_len = 0;
  while (name_end < close && std::isalnum(in_[name_end])) {
    if (name_len < sizeof(name)) name[name_len] = AsciiLower(in_[name_end]);
    ++name_len;
    ++name_end;
  }
  const bool is_inline =
      name_len <= sizeof(name) && IsInlineTag(absl::string_view(name, name_len));
  LeaveIdentity();
  // An href value is kept as text, so the URL it names becomes tokens.
  size_t href_begin = 0, href_end = 0;
  for (size_t j = name_end; j + 5 < close; ++j) {
    if ((in_[j] | 0x20) == 'h' && (in_[j + 1] | 0x20) == 'r' &&
        (in_[j + 2] | 0x20) == 'e' && (in_[j + 3] | 0x20) == 'f') {
      size_t k = j + 4;
      while (k < close && in_[k] == ' ') ++k;
      if (k >= close || in_[k] != '=') continue;
      ++k;
      while (k < close && in_[k] == ' ') ++k;
      if (k >= close) break;
      if (in_[k] == '"' || in_[k] == '\'') {
        const unsigned char q = in_[k];
        href_begin = k + 1;
        href_end = href_begin;
        while (href_end < close && in_[href_end] != q) ++href_end;
      } else {
        href_begin = k;
        href_end = k;
        while (href_end < close && in_[href_end] != ' ' && in_[href_end] != '>') {
          ++href_end;
        }
      }
      break;
    }
  }
  if (href_end > href_begin) {
    EmitByte(' ', static_cast<uint32_t>(i), static_cast<uint32_t>(i + 1));
    Process(href_begin, href_end, /*allow_tags=*/false);
    EmitByte(' ', static_cast<uint32_t>(close), static_cast<uint32_t>(close + 1));
  } else if (!is_inline) {
    EmitByte(' ', static_cast<uint32_t>(i), static_cast<uint32_t>(close + 1));
  }
  return close + 1;
}

size_t Normalizer::SlowStep(size_t i, size_t end, bool allow_tags) {
  const unsigned char b = in_[i];
  char32_t cp;
  size_t len = 1;
  bool raw = true;  // cp was spelled as itself in the input (not an entity)
  if (b == '<' && allow_tags && decode_html_) {
    const size_t next = HandleTag(i, end);
    if (next != 0) return next;
    cp = '<';
  } else if (b == '&' && decode_html_) {
    len = DecodeEntity(i, end, &cp);
    if (len == 0) {
      len = 1;
      cp = '&';
    } else {
      raw = false;
    }
  } else {
    cp = DecodeUtf8(in_ + i, end - i, &len);
    if (cp == kReplacementChar && !(len == 3 && b == 0xEF)) raw = false;
  }
  const uint32_t span_begin = static_cast<uint32_t>(i);
  size_t pos = i + len;

  if (IsZeroWidth(cp) || IsBidiControl(cp) || IsVariationSelector(cp)) {
    if (IsVariationSelector(cp)) {
      // Dropped silently.
    } else if (IsBidiControl(cp)) {
      if (!stats_.has_bidi) {
        stats_.has_bidi = true;
        stats_.bidi_begin = span_begin;
        stats_.bidi_end = static_cast<uint32_t>(pos);
      }
    } else if (!stats_.has_zero_width) {
      stats_.has_zero_width = true;
      stats_.zero_width_begin = span_begin;
      stats_.zero_width_end = static_cast<uint32_t>(pos);
    }
    LeaveIdentity();
    return pos;
  }

  if (fast_paths_ && cp < 0x80 && (pos >= end || in_[pos] < 0x80)) {
    // An ASCII character (an entity's, or '&' or '<' as itself) with no mark after
    // it to combine with folds alone, as in FastRun.
    const uint8_t cls = kBytes.cls_plain[cp];
    stats_.uppercase_letters += (cls & kUpper) != 0;
    stats_.cased_letters += (cls & kCased) != 0;
    const char c = kBytes.fold[cp];
    if (raw && len == 1 && stats_.identity && k_ == i) {
      Reserve(1);
      folded_[k_++] = c;
    } else {
      LeaveIdentity();
      EmitByte(c, span_begin, static_cast<uint32_t>(pos));
    }
    return pos;
  }

  const utf8proc_property_t* prop = utf8proc_get_property(static_cast<int32_t>(cp));
  if (prop->category == UTF8PROC_CATEGORY_LU) ++stats_.uppercase_letters;
  if (prop->category == UTF8PROC_CATEGORY_LU || prop->category == UTF8PROC_CATEGORY_LL ||
      prop->category == UTF8PROC_CATEGORY_LT) {
    ++stats_.cased_letters;
  }

  // Gather the cluster: the starter plus what may combine with it or belongs to the
  // same emoji sequence.
  char32_t cluster[kMaxClusterCodepoints];
  int count = 0;
  cluster[count++] = cp;
  const bool emoji = IsEmoji(cp);
  while (pos < end && in_[pos] >= 0x80 && count < kMaxClusterCodepoints - 1) {
    size_t l;
    const char32_t c = DecodeUtf8(in_ + pos, end - pos, &l);
    if (c == kReplacementChar) break;
    if (IsVariationSelector(c)) {
      pos += l;
      raw = false;
      continue;
    }
    if (emoji) {
      if (IsEmojiModifier(c) || IsEmojiTag(c) ||
          (count == 1 && IsRegionalIndicator(cp) && IsRegionalIndicator(c))) {
        cluster[count++] = c;
        pos += l;
        continue;
      }
      if (c == 0x200D && pos + l < end) {
        size_t l2;
        const char32_t next = DecodeUtf8(in_ + pos + l, end - pos - l, &l2);
        if (IsEmoji(next)) {
          cluster[count++] = c;
          cluster[count++] = next;
          pos += l + l2;
          continue;
        }
      }
    }
    const utf8proc_property_t* p = utf8proc_get_property(static_cast<int32_t>(c));
    const bool second = p->comb_index != UINT16_MAX && p->comb_index >= 0x8000;
    const bool jamo_vt = (c >= 0x1161 && c <= 0x1175) || (c >= 0x11A8 && c <= 0x11C2);
    if (p->combining_class == 0 && !second && !jamo_vt) break;
    if (IsZeroWidth(c) || IsBidiControl(c)) break;
    cluster[count++] = c;
    pos += l;
  }
  const uint32_t span_end = static_cast<uint32_t>(pos);

  // Fast case: one code point that neither decomposes nor case-folds.
  if (count == 1 && raw && prop->decomp_seqindex == UINT16_MAX &&
      prop->casefold_seqindex == UINT16_MAX && cp >= 0x80) {
    // Its input bytes, in_[i, pos): a raw character decoded from valid UTF-8,
    // which is how EncodeUtf8 spells it.
    if (stats_.identity && k_ == i) {
      Reserve(len);
      for (size_t t = 0; t < len; ++t) folded_[k_ + t] = static_cast<char>(in_[i + t]);
      k_ += len;
    } else {
      LeaveIdentity();
      for (size_t t = i; t < pos; ++t) {
        EmitByte(static_cast<char>(in_[t]), span_begin, span_end);
      }
    }
    return pos;
  }

  utf8proc_int32_t decomposed[kMaxDecomposed];
  utf8proc_ssize_t dlen = 0;
  for (int k = 0; k < count; ++k) {
    int boundclass = 0;
    const utf8proc_ssize_t r = utf8proc_decompose_char(
        static_cast<utf8proc_int32_t>(cluster[k]), decomposed + dlen,
        kMaxDecomposed - dlen,
        static_cast<utf8proc_option_t>(UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT |
                                       UTF8PROC_CASEFOLD),
        &boundclass);
    if (r < 0 || r > kMaxDecomposed - dlen) break;
    dlen += r;
  }
  // Canonical ordering of combining marks (stable insertion sort by class), which
  // utf8proc_decompose_char leaves to the caller.
  for (utf8proc_ssize_t k = 1; k < dlen; ++k) {
    const utf8proc_int32_t c = decomposed[k];
    const int cc = utf8proc_get_property(c)->combining_class;
    if (cc == 0) continue;
    utf8proc_ssize_t m = k;
    while (m > 0) {
      const int pc = utf8proc_get_property(decomposed[m - 1])->combining_class;
      if (pc <= cc) break;
      decomposed[m] = decomposed[m - 1];
      --m;
    }
    decomposed[m] = c;
  }
  if (dlen > 1) {
    const utf8proc_ssize_t r = utf8proc_normalize_utf32(decomposed, dlen, UTF8PROC_COMPOSE);
    if (r >= 0) dlen = r;
  }
  char buf[4];
  if (count == 1 && dlen == 1 && raw && stats_.identity && k_ == i) {
    char32_t c = static_cast<char32_t>(decomposed[0]);
    if (c < 0x20 || c == 0x7F) c = ' ';
    const size_t n = EncodeUtf8(c, buf);
    if (n == len) {
      Reserve(n);
      std::memcpy(&folded_[k_], buf, n);
      k_ += n;
      return pos;
    }
  }
  LeaveIdentity();
  for (utf8proc_ssize_t k = 0; k < dlen; ++k) {
    char32_t c = static_cast<char32_t>(decomposed[k]);
    if (c < 0x20 || c == 0x7F) c = ' ';
    const size_t n = EncodeUtf8(c, buf);
    for (size_t t = 0; t < n; ++t) EmitByte(buf[t], span_begin, span_end);
  }
  return pos;
}

}  // namespace

void Normalize(absl::string_view input, bool decode_html, size_t max_output,
               const NormalizeBuffers& out, NormalizeStats* stats) {
  *stats = NormalizeStats();
  Normalizer(input, decode_html, max_output, out, stats).Run();
}

}  // namespace groupguard::internal
