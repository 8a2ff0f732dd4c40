#ifndef GROUPGUARD_LIB_MODEL_FEATURES_H_
#define GROUPGUARD_LIB_MODEL_FEATURES_H_

// Feature hashing: tokens -> bucket ids in [0, 2^hash_bits). The exact bucket of
// every feature is part of the model file format (pinned by golden tests).
//
// Hash scheme (XXH3_64bits_withSeed, bucket = hash >> (64 - hash_bits)):
//   unigram    XXH3(token text, seed ^ KindSalt(kind))
//   bigram     XXH3(LE64(unigram hash of a) LE64(unigram hash of b), seed ^ kBigramSalt)
//   char gram  XXH3(code points [i, j) of a word, seed ^ kCharSalt ^ EdgeBits(i, j))
//   length     XXH3(one byte: bit width of the token count, seed ^ kLengthSalt)

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "absl/base/optimization.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "groupguard/features.h"
#include "groupguard/tokenizer.h"
#include "util/platform.h"

// Inlined: the feature hash is the scoring hot path (a call into the shared
// library costs as much as hashing a short token).
#ifndef XXH_INLINE_ALL
#define XXH_INLINE_ALL
#endif
#include "xxhash.h"

namespace groupguard::internal {

enum class FeatureType : uint8_t {
  kUnigram = 0,
  kBigram = 1,
  kCharNgram = 2,
  kLength = 3
};

// Where one feature occurrence came from, for explanations.
struct FeatureSource {
  FeatureType type = FeatureType::kUnigram;
  uint32_t token = 0;       // the token (the first one of a bigram)
  uint32_t token2 = 0;      // bigram: the second token
  uint32_t char_begin = 0;  // char n-gram: byte range in the token's folded text
  uint32_t char_end = 0;
  uint32_t length_class = 0;  // length: bit width of the token count
};

inline constexpr uint64_t kBigramSalt = 0xB16A'4D5E'1F2C'3B07ULL;
inline constexpr uint64_t kCharSalt = 0xC4A2'9E11'7D3B'5A61ULL;
inline constexpr uint64_t kLengthSalt = 0x1E6C'7A55'0B3F'92D3ULL;
inline constexpr uint64_t kCharPrefixBit = 1;  // the n-gram starts the word
inline constexpr uint64_t kCharSuffixBit = 2;  // the n-gram ends the word

// The token kinds there are: TokenKind's values run from 0 to kSignal.
inline constexpr size_t kTokenKinds = static_cast<size_t>(TokenKind::kSignal) + 1;
// The values a TokenKind's byte can hold, known kinds or not: the scoring
// loop's per-kind tables have an entry for each, so a token's kind needs no
// range check.
static_assert(sizeof(TokenKind) == 1, "per-kind tables take one entry per value");
inline constexpr size_t kKindValues = 256;

inline uint64_t KindSalt(TokenKind kind) {
  return 0x9E37'79B9'7F4A'7C15ULL * (static_cast<uint64_t>(kind) + 1);
}

// Tokens that take part in bigrams (host, domain and signal tokens repeat what
// another token at the same place says, so they do not).
inline bool InBigrams(TokenKind kind) {
  // One bit test on the scoring path (three compares otherwise).
  constexpr uint32_t kNotInBigrams =
      (uint32_t{1} << static_cast<int>(TokenKind::kHost)) |
      (uint32_t{1} << static_cast<int>(TokenKind::kDomain)) |
      (uint32_t{1} << static_cast<int>(TokenKind::kSignal));
  const uint32_t k = static_cast<uint32_t>(kind);
  return k >= 32 || ((kNotInBigrams >> k) & 1) == 0;
}

// Bit width of n: 0 for 0, 1 for 1, 2 for 2..3, 3 for 4..7, ...
inline uint32_t BitWidth(uint64_t n) {
  return n == 0 ? 0 : 64 - static_cast<uint32_t>(__builtin_clzll(n));
}

// Validated feature options plus the hashing itself. Immutable, thread-safe.
class FeatureHasher {
 public:
  // Returns kInvalidArgument naming the option out of range.
  static absl::StatusOr<FeatureHasher> Create(const FeatureOptions& options);

  const FeatureOptions& options() const { return options_; }
  uint32_t num_buckets() const { return uint32_t{1} << options_.hash_bits; }

  uint64_t UnigramHash(TokenKind kind, absl::string_view text) const {
    return KindHash(unigram_keys_, kind, text);
  }
  uint64_t BigramHash(uint64_t first, uint64_t second) const {
#if XXH_VERSION_MAJOR == 0 && XXH_VERSION_MINOR == 8
    return BigramHashWithFlips(bigram_bitflip1_, bigram_bitflip2_, first, second);
#else
    unsigned char bytes[16];
    StoreLittleEndian64(first, bytes);
    StoreLittleEndian64(second, bytes + 8);
    return XXH3_64bits_withSeed(bytes, sizeof(bytes), options_.hash_seed ^ kBigramSalt);
#endif
  }
  uint64_t CharNgramHash(absl::string_view gram, bool prefix, bool suffix) const {
    const uint64_t edges = (prefix ? kCharPrefixBit : 0) | (suffix ? kCharSuffixBit : 0);
    return XXH3_64bits_withSeed(gram.data(), gram.size(),
                                options_.hash_seed ^ kCharSalt ^ edges);
  }
  uint64_t LengthHash(uint32_t length_class) const {
    const unsigned char byte = static_cast<unsigned char>(length_class);
    return XXH3_64bits_withSeed(&byte, 1, options_.hash_seed ^ kLengthSalt);
  }
  uint32_t Bucket(uint64_t hash) const {
    return static_cast<uint32_t>(hash >> (64 - options_.hash_bits));
  }

  // An upper bound of the number of features ForEach() gives for `tokens`.
  template <typename TextOf>
  size_t MaxFeatures(absl::Span<const Token> tokens, const TextOf& text_of) const {
    size_t n = 2 * tokens.size() + 1;  // unigrams, bigrams, the length feature
    if (options_.char_ngram_min > 0) {
      // At most one n-gram per start byte and length.
      const size_t lengths = options_.char_ngram_max - options_.char_ngram_min + 1;
      for (const Token& token : tokens) {
        if (token.kind == TokenKind::kWord) n += text_of(token).size() * lengths;
      }
    }
    return n;
  }

  // Calls sink(bucket, const FeatureSource&) for every feature of `tokens`, in a
  // fixed order: per token its unigram, its bigram with the previous bigram token,
  // its char n-grams; then the length feature. `text_of(const Token&)` returns the
  // token's folded text. Allocates nothing.
  template <typename TextOf, typename Sink>
  void ForEach(absl::Span<const Token> tokens, const TextOf& text_of, Sink&& sink) const;

  // The buckets ForEach() gives, in the same order, without their sources,
  // written to out[0, n): the scoring loop. Returns out + n. REQUIRES: char
  // n-grams off (options().char_ngram_min == 0), room at `out` for
  // MaxFeatures(tokens, text_of) buckets. (A pointer, not a sink: a sink that
  // holds the write pointer by reference and goes to an out-of-line call kept
  // that pointer in memory, a load and a store per bucket.)
  template <typename TextOf>
  uint32_t* WriteBuckets(absl::Span<const Token> tokens, const TextOf& text_of,
                         uint32_t* out) const;

  // What ForEachBucketOf carries from one part of a post's tokens to the next:
  // the last token that takes part in bigrams.
  struct BigramCarry {
    uint64_t previous_hash = 0;
    bool have_previous = false;
  };
  // WriteBuckets() in parts, to a sink: the unigram and bigram buckets of `part`, the
  // tokens of a post that follow the ones `carry` went through (a fresh carry
  // for the first part; nullptr for a part that is the whole post). Calling it on
  // consecutive parts of `tokens`, then LengthBucket(tokens.size()) if
  // options().length_feature, gives what WriteBuckets(tokens) writes.
  template <typename TextOf, typename Sink>
  void ForEachBucketOf(absl::Span<const Token> part, const TextOf& text_of,
                       BigramCarry* carry, Sink&& sink) const;
  // The bucket of the length feature of a post of `token_count` tokens.
  uint32_t LengthBucket(size_t token_count) const {
    return length_buckets_[BitWidth(token_count)];
  }

 private:
  // WriteBuckets()'s unigrams and bigrams when both are on. Never inlined: its
  // registers are then its own, not shared with the caller's set-up around it
  // (inlined, a change in that set-up moved the loop's shift and end to the
  // stack).
  template <typename TextOf>
  [[gnu::noinline]] uint32_t* WriteBucketsWithPairs(absl::Span<const Token> tokens,
                                                    const TextOf& text_of,
                                                    uint32_t* out) const;
  // WriteBuckets()'s loop for unigrams without bigrams (a model trained with
  // --no-bigrams), as WriteBucketsWithPairs' without the pairs.
  template <typename TextOf>
  [[gnu::noinline]] uint32_t* WriteUnigramBuckets(absl::Span<const Token> tokens,
                                                  const TextOf& text_of,
                                                  uint32_t* out) const;
  // ForEachBucketOf() into out[0, n), returning out + n; never inlined, so no
  // call sits in WriteBucketsWithPairs()'s loops and `out` stays in a register
  // there (the rest of a post from a token those loops do not hash).
  template <typename TextOf>
  [[gnu::noinline]] uint32_t* WriteBucketsOf(absl::Span<const Token> part,
                                             const TextOf& text_of, BigramCarry* carry,
                                             uint32_t* out) const {
    ForEachBucketOf(part, text_of, carry, [&out](uint32_t bucket) { *out++ = bucket; });
    return out;
  }

  explicit FeatureHasher(const FeatureOptions& options) : options_(options) {
    for (size_t k = 0; k < kKindValues; ++k) {  // kinds beyond the known ones too
      SetUnigramKeys(k, options_.hash_seed ^ KindSalt(static_cast<TokenKind>(k)),
                     &unigram_keys_);
    }
    for (uint32_t width = 0; width < length_buckets_.size(); ++width) {
      length_buckets_[width] = Bucket(LengthHash(width));
    }
#if XXH_VERSION_MAJOR == 0 && XXH_VERSION_MINOR == 8
    const uint64_t seed = options_.hash_seed ^ kBigramSalt;
    bigram_bitflip1_ =
        (XXH_readLE64(XXH3_kSecret + 24) ^ XXH_readLE64(XXH3_kSecret + 32)) + seed;
    bigram_bitflip2_ =
        (XXH_readLE64(XXH3_kSecret + 40) ^ XXH_readLE64(XXH3_kSecret + 48)) - seed;
#endif
  }

  // XXH3_64bits_withSeed's constants that depend on the seed alone, for inputs
  // of 1 to 16 bytes, under each token kind's unigram seed: computed once per
  // hasher, so hashing a short token does not derive them from the seed again
  // (the kind's salt, a byte swap, adds and xors: 5 to 9 instructions a token).
  // An array per constant, by kind: a kind's constant is one load with the kind
  // as a scaled index (a struct per kind, of 40 bytes, took two LEAs a token).
  // Every value of a kind's byte has its entries (16 KB in all), so the
  // scoring loop does not test a token's kind against kTokenKinds, and
  // InBigrams() is one byte load there (a bit test needed a range check).
  // XXH3_len_1to3_64b's input word holds the length in bits 8 to 15, apart from
  // the bytes' bits, so its constant is kept per length with the length xored
  // in: the word's shift and OR of the length go from each 1-to-3-byte token.
  struct UnigramKeys {
    uint64_t seed[kKindValues] = {};  // hash_seed ^ KindSalt(kind)
    // XXH3_len_1to3_64b's, xored with len << 8, by [kind][len] (len 1 to 3).
    uint64_t bitflip_1to3_len[kKindValues][4] = {};
    uint64_t bitflip_4to8[kKindValues] = {};    // of XXH3_len_4to8_64b
    uint64_t bitflip1_9to16[kKindValues] = {};  // of XXH3_len_9to16_64b
    uint64_t bitflip2_9to16[kKindValues] = {};
    bool in_bigrams[kKindValues] = {};  // InBigrams(kind)
    // The multipliers of XXH64_avalanche (XXH_PRIME64_2, XXH_PRIME64_3),
    // XXH3_rrmxmx and XXH3_avalanche, read from here in ShortUnigramHash and
    // the scoring loop's bigram hash: a multiply then takes its factor from
    // memory, one instruction, where an immediate took a 64-bit move to a
    // register before each (no register is free for them in the scoring loop),
    // or held a register through the loop.
    uint64_t avalanche_mul1 = 0xC2B2AE3D27D4EB4FULL;
    uint64_t avalanche_mul2 = 0x165667B19E3779F9ULL;
    uint64_t rrmxmx_mul = 0x9FB21C651E98DF25ULL;
    uint64_t xxh3_avalanche_mul = 0x165667919E3779F9ULL;
  };
  // Sets the constants of kind k from its unigram seed.
  static void SetUnigramKeys(size_t k, uint64_t seed, UnigramKeys* keys) {
    keys->seed[k] = seed;
    keys->in_bigrams[k] = InBigrams(static_cast<TokenKind>(k));
#if XXH_VERSION_MAJOR == 0 && XXH_VERSION_MINOR == 8
    // As XXH3_len_1to3_64b, XXH3_len_4to8_64b and XXH3_len_9to16_64b derive them.
    const xxh_u8* const secret = XXH3_kSecret;
    const uint64_t bitflip_1to3 =
        (XXH_readLE32(secret) ^ XXH_readLE32(secret + 4)) + seed;
    for (uint64_t len = 1; len <= 3; ++len) {
      keys->bitflip_1to3_len[k][len] = bitflip_1to3 ^ (len << 8);
    }
    const uint64_t seed_4to8 =
        seed ^ (static_cast<uint64_t>(XXH_swap32(static_cast<uint32_t>(seed))) << 32);
    keys->bitflip_4to8[k] =
        (XXH_readLE64(secret + 8) ^ XXH_readLE64(secret + 16)) - seed_4to8;
    keys->bitflip1_9to16[k] =
        (XXH_readLE64(secret + 24) ^ XXH_readLE64(secret + 32)) + seed;
    keys->bitflip2_9to16[k] =
        (XXH_readLE64(secret + 40) ^ XXH_readLE64(secret + 48)) - seed;
#endif
  }

  // XXH3_64bits_withSeed(text, keys.seed[k]) into *hash for 1 to 16 bytes: XXH3's
  // short-input functions written out on the precomputed constants (pinned
  // against the public call by FeatureHasherTest.UnigramHashIsXxh3OfEveryLength).
  // Returns false, and sets nothing, for other lengths (and on an xxHash other
  // than 0.8): those take the library's call.
  [[gnu::always_inline]] static bool ShortUnigramHash(const UnigramKeys& keys, size_t k,
                                                      absl::string_view text,
                                                      uint64_t* hash) {
#if XXH_VERSION_MAJOR == 0 && XXH_VERSION_MINOR == 8
    const size_t len = text.size();
    const xxh_u8* const input = reinterpret_cast<const xxh_u8*>(text.data());
    // The length less 1 (0 wraps past every range): the short tokens, half of
    // them, take the first branch on one compare.
    const size_t len_less_1 = len - 1;
    if (len_less_1 < 3) {  // XXH3_len_1to3_64b
      const uint32_t c1 = input[0];
      const uint32_t c2 = input[len >> 1];
      const uint32_t c3 = input[len - 1];
      // The length's byte of the word is in the constant.
      const uint32_t combined = (c1 << 16) | (c2 << 24) | c3;
      // XXH64_avalanche, on the multipliers in `keys`.
      uint64_t h = combined ^ keys.bitflip_1to3_len[k][len];
      h ^= h >> 33;
      h *= keys.avalanche_mul1;
      h ^= h >> 29;
      h *= keys.avalanche_mul2;
      h ^= h >> 32;
      *hash = h;
      return true;
    }
    if (len_less_1 < 8) {  // XXH3_len_4to8_64b
      const uint32_t input1 = XXH_readLE32(input);
      const uint32_t input2 = XXH_readLE32(input + len - 4);
      const uint64_t input64 = input2 + (static_cast<uint64_t>(input1) << 32);
      // XXH3_rrmxmx, on the multiplier in `keys`.
      uint64_t h = input64 ^ keys.bitflip_4to8[k];
      h ^= XXH_rotl64(h, 49) ^ XXH_rotl64(h, 24);
      h *= keys.rrmxmx_mul;
      h ^= (h >> 35) + len;
      h *= keys.rrmxmx_mul;
      *hash = h ^ (h >> 28);
      return true;
    }
    if (len_less_1 < 16) {  // XXH3_len_9to16_64b
      const uint64_t lo = XXH_readLE64(input) ^ keys.bitflip1_9to16[k];
      const uint64_t hi = XXH_readLE64(input + len - 8) ^ keys.bitflip2_9to16[k];
      // XXH3_avalanche, on the multiplier in `keys`.
      uint64_t h = len + XXH_swap64(lo) + hi + MulFold64(lo, hi);
      h ^= h >> 37;
      h *= keys.xxh3_avalanche_mul;
      *hash = h ^ (h >> 32);
      return true;
    }
#else
    static_cast<void>(keys);
    static_cast<void>(k);
    static_cast<void>(text);
    static_cast<void>(hash);
#endif
    return false;
  }

  // XXH3_64bits_withSeed(text, keys.seed[k]).
  [[gnu::always_inline]] static uint64_t UnigramHashWithKeys(const UnigramKeys& keys,
                                                             size_t k,
                                                             absl::string_view text) {
    uint64_t hash;
    if (ShortUnigramHash(keys, k, text, &hash)) return hash;
    return XXH3_64bits_withSeed(text.data(), text.size(), keys.seed[k]);
  }

  // The unigram hash of a token of 1 to 16 bytes into *hash, with no call (the
  // scoring loop's common case); false for any other.
  [[gnu::always_inline]] static bool ShortKindHash(const UnigramKeys& keys,
                                                   TokenKind kind, absl::string_view text,
                                                   uint64_t* hash) {
    return ShortUnigramHash(keys, static_cast<size_t>(kind), text, hash);
  }

  // The unigram hash of a token, on its kind's keys (`keys`: unigram_keys_).
  [[gnu::always_inline]] static uint64_t KindHash(const UnigramKeys& keys, TokenKind kind,
                                                  absl::string_view text) {
    return UnigramHashWithKeys(keys, static_cast<size_t>(kind), text);
  }
#if XXH_VERSION_MAJOR == 0 && XXH_VERSION_MINOR == 8
  // XXH3_64bits_withSeed of the 16 bytes LE64(first) LE64(second), written out
  // on the two words: for 16 bytes it is XXH3_len_9to16_64b, whose loads of
  // the input are exactly `first` and `second` and whose seed-dependent
  // constants are fixed per hasher (computed in the constructor). Saves the
  // store and reload of the bytes and the length dispatch (pinned against the
  // public call by FeatureHasherTest.BigramHashIsXxh3OfBothUnigramHashes).
  static uint64_t BigramHashWithFlips(uint64_t bitflip1, uint64_t bitflip2,
                                      uint64_t first, uint64_t second) {
    const uint64_t lo = first ^ bitflip1;
    const uint64_t hi = second ^ bitflip2;
    return XXH3_avalanche(16 + XXH_swap64(lo) + hi + MulFold64(lo, hi));
  }
  // BigramHashWithFlips() with XXH3_avalanche's multiplier read from `keys`
  // (see UnigramKeys): for the scoring loop, which has no register to keep it in.
  [[gnu::always_inline]] static uint64_t BigramHashWithFlips(const UnigramKeys& keys,
                                                             uint64_t bitflip1,
                                                             uint64_t bitflip2,
                                                             uint64_t first,
                                                             uint64_t second) {
    const uint64_t lo = first ^ bitflip1;
    const uint64_t hi = second ^ bitflip2;
    uint64_t h = 16 + XXH_swap64(lo) + hi + MulFold64(lo, hi);
    h ^= h >> 37;
    h *= keys.xxh3_avalanche_mul;
    return h ^ (h >> 32);
  }

  // XXH3_mul128_fold64: the low and high halves of the 128-bit product a * b,
  // xored. On x86-64 one MUL leaves them in two registers; GCC builds the
  // __uint128_t product of XXH3's own code (and of a plain `__uint128_t`
  // product) into a stack slot and reads its low half back, two instructions
  // more in the scoring loop for each bigram.
  [[gnu::always_inline]] static uint64_t MulFold64(uint64_t a, uint64_t b) {
#if GROUPGUARD_HAVE_X86 && defined(__x86_64__)
    uint64_t low = a;
    uint64_t high;
    __asm__("mulq %2" : "+a"(low), "=d"(high) : "r"(b) : "cc");
    return low ^ high;
#elif defined(__SIZEOF_INT128__)
    const __uint128_t product = static_cast<__uint128_t>(a) * b;
    return static_cast<uint64_t>(product) ^ static_cast<uint64_t>(product >> 64);
#else
    return XXH3_mul128_fold64(a, b);
#endif
  }
#endif

  static void StoreLittleEndian64(uint64_t v, unsigned char* out) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    // One 8-byte store: GCC does not merge the byte loop below (measured: 1,000
    // instructions a post, 7% of a score run).
    std::memcpy(out, &v, sizeof(v));
#else
    for (int i = 0; i < 8; ++i) out[i] = static_cast<unsigned char>(v >> (8 * i));
#endif
  }

  FeatureOptions options_;
  UnigramKeys unigram_keys_;
  // The length feature's bucket by bit width of the token count (0..64): its
  // hash is a call of XXH3_64bits_withSeed, 20 instructions and the call.
  std::array<uint32_t, 65> length_buckets_;
  // XXH3_len_9to16_64b's two seed-dependent constants for the bigram seed.
  uint64_t bigram_bitflip1_ = 0;
  uint64_t bigram_bitflip2_ = 0;
};

// A set of buckets for one post, reused across posts without clearing (entries
// carry a generation). Not thread-safe: one per thread.
class BucketSet {
 public:
  class Inserter;

  // Empties the set.
  void Clear() {
    ++generation_;
    size_ = 0;
    if (generation_ == 0 || slots_.empty()) {
      if (slots_.empty()) Resize(256);
      std::fill(slots_.begin(), slots_.end(), 0);
      generation_ = 1;
    }
  }
  // Adds `bucket`; returns false if it was already in the set.
  bool Insert(uint32_t bucket) {
    if (size_ >= limit_) Grow();  // keeps the table at most half full
    const uint64_t entry = (uint64_t{generation_} << 32) | bucket;
    const size_t mask = mask_;
    for (size_t i = Slot(bucket) & mask;; i = (i + 1) & mask) {
      if (slots_[i] == entry) return false;
      if ((slots_[i] >> 32) != generation_) {
        slots_[i] = entry;
        ++size_;
        return true;
      }
    }
  }

  // Empties the set and returns an inserter for at most `max_inserts` buckets,
  // valid until the next call on this set. The scoring loop's form of Insert():
  // the table is grown here once, so the inserter checks no size, and its
  // fields live in registers (Insert() reloads members after every store).
  [[gnu::always_inline]] inline Inserter ClearForInserts(size_t max_inserts);

  // Bytes of memory the set holds.
  size_t HeldBytes() const { return slots_.capacity() * sizeof(uint64_t); }

 private:
  // Buckets are top bits of a hash already, hence uniform: the low bits pick
  // the slot as they are.
  static size_t Slot(uint32_t bucket) { return bucket; }
  // ClearForInserts() when the table must be filled or grown first (the first
  // post, a bigger post than any before, the generations run out): out of
  // line, so the usual case inlined into the scoring loop stays a few
  // instructions.
  [[gnu::noinline]] void ClearAndMakeRoom(size_t max_inserts) {
    Clear();
    if (max_inserts >= limit_) {
      size_t n = slots_.size();
      while (max_inserts >= n / 2) n *= 2;
      Resize(n);  // empty: nothing of this generation to keep
    }
  }
  void Grow() {
    std::vector<uint64_t> old = std::move(slots_);
    Resize(std::max<size_t>(old.size() * 2, 256));
    const size_t mask = mask_;
    for (uint64_t entry : old) {
      if ((entry >> 32) != generation_) continue;
      size_t i = Slot(static_cast<uint32_t>(entry)) & mask;
      while ((slots_[i] >> 32) == generation_) i = (i + 1) & mask;
      slots_[i] = entry;
    }
  }

  // Zeroed slots, a power of two of them; mask_ and limit_ follow (kept apart
  // from slots_.size(), recomputed on every Insert otherwise).
  void Resize(size_t n) {
    slots_.assign(n, 0);
    mask_ = n - 1;
    limit_ = n / 2;
  }

  friend class BucketSetPeer;  // tests: the last generations

  std::vector<uint64_t> slots_;  // (generation << 32) | bucket
  size_t mask_ = 0;
  size_t limit_ = 0;  // Grow() before the size_ reaches it
  uint32_t generation_ = 0;
  size_t size_ = 0;
};

// See BucketSet::ClearForInserts. Generations only grow between refills of the
// table with zeros, so a slot below the current generation's first entry is free.
class BucketSet::Inserter {
 public:
  // Adds `bucket`; returns false if it was already in the set. REQUIRES: fewer
  // than max_inserts successful calls so far.
  bool Insert(uint32_t bucket) {
    const uint64_t entry = base_ + bucket;  // base_ | bucket: one LEA
    size_t i = Slot(bucket) & mask_;
    // Mostly the bucket's own slot is free (the table is at most half full):
    // that case first, in a straight line. (A free slot never holds `entry`.)
    if (ABSL_PREDICT_TRUE(slots_[i] < base_)) {
      slots_[i] = entry;
      return true;
    }
    for (;; i = (i + 1) & mask_) {
      const uint64_t slot = slots_[i];
      if (slot == entry) return false;
      if (slot < base_) {
        slots_[i] = entry;
        return true;
      }
    }
  }

 private:
  friend class BucketSet;
  Inserter(uint64_t* slots, size_t mask, uint64_t base)
      : slots_(slots), mask_(mask), base_(base) {}
  uint64_t* slots_;
  size_t mask_;
  uint64_t base_;  // generation << 32
};

// A set of buckets for one post, as one bit per bucket: for posts with many
// features, where a BucketSet would take 16 bytes or more per feature and this
// takes num_buckets / 8 bytes (128 KiB for 2^20 buckets). Not thread-safe.
class BucketBitmap {
 public:
  // Whether a post of up to `max_inserts` distinct buckets is better kept here
  // than in a BucketSet: the set would take more memory (at least 16 bytes an
  // insert), and zeroing the bitmap costs less than the post's hashing.
  static bool Suits(size_t max_inserts, uint32_t num_buckets) {
    return max_inserts >= num_buckets / 128;
  }
  // Empties the set and makes room for buckets below `num_buckets`.
  void Clear(uint32_t num_buckets) { words_.assign((size_t{num_buckets} + 63) / 64, 0); }
  // Adds `bucket`; returns false if it was already in the set. REQUIRES:
  // bucket < the last Clear()'s num_buckets.
  bool Insert(uint32_t bucket) {
    uint64_t& word = words_[bucket >> 6];
    const uint64_t bit = uint64_t{1} << (bucket & 63);
    if ((word & bit) != 0) return false;
    word |= bit;
    return true;
  }
  // Bytes of memory the set holds.
  size_t HeldBytes() const { return words_.capacity() * sizeof(uint64_t); }

 private:
  std::vector<uint64_t> words_;
};

BucketSet::Inserter BucketSet::ClearForInserts(size_t max_inserts) {
  // Clear() with room for max_inserts, its usual case first: the table has
  // the room (limit_ is 0 while it has no slots) and the next generation is
  // no wrap to 0.
  if (ABSL_PREDICT_TRUE(max_inserts < limit_ && generation_ != UINT32_MAX)) {
    ++generation_;
  } else {
    ClearAndMakeRoom(max_inserts);
  }
  // Counted as full, so an Insert() after the inserter grows the table in time.
  size_ = max_inserts;
  return Inserter(slots_.data(), mask_, uint64_t{generation_} << 32);
}

template <typename TextOf, typename Sink>
void FeatureHasher::ForEach(absl::Span<const Token> tokens, const TextOf& text_of,
                            Sink&& sink) const {
  const bool unigrams = options_.unigrams;
  const bool bigrams = options_.bigrams;
  const int char_min = options_.char_ngram_min;
  const int char_max = options_.char_ngram_max;
  // Read once: the sink's stores could alias options_ as far as the compiler knows.
  const int shift = 64 - options_.hash_bits;
  const auto bucket_of = [shift](uint64_t hash) {
    return static_cast<uint32_t>(hash >> shift);
  };
  uint64_t previous_hash = 0;
  uint32_t previous_token = 0;
  bool have_previous = false;
  FeatureSource source;
  for (uint32_t i = 0; i < tokens.size(); ++i) {
    const Token& token = tokens[i];
    const absl::string_view text = text_of(token);
    const uint64_t hash = UnigramHash(token.kind, text);
    if (unigrams) {
      source.type = FeatureType::kUnigram;
      source.token = i;
      sink(bucket_of(hash), static_cast<const FeatureSource&>(source));
    }
    if (InBigrams(token.kind)) {
      if (bigrams && have_previous) {
        source.type = FeatureType::kBigram;
        source.token = previous_token;
        source.token2 = i;
        sink(bucket_of(BigramHash(previous_hash, hash)),
             static_cast<const FeatureSource&>(source));
      }
      previous_hash = hash;
      previous_token = i;
      have_previous = true;
    }
    if (char_min > 0 && token.kind == TokenKind::kWord) {
      const size_t size = text.size();
      const char* data = text.data();
      for (size_t begin = 0; begin < size;) {
        size_t end = begin;
        for (int n = 1; n <= char_max && end < size; ++n) {
          ++end;
          while (end < size && (static_cast<unsigned char>(data[end]) & 0xC0) == 0x80)
            ++end;
          if (n >= char_min) {
            source.type = FeatureType::kCharNgram;
            source.token = i;
            source.char_begin = static_cast<uint32_t>(begin);
            source.char_end = static_cast<uint32_t>(end);
            sink(bucket_of(CharNgramHash(text.substr(begin, end - begin), begin == 0,
                                         end == size)),
                 static_cast<const FeatureSource&>(source));
          }
        }
        ++begin;
        while (begin < size && (static_cast<unsigned char>(data[begin]) & 0xC0) == 0x80) {
          ++begin;
        }
      }
    }
  }
  if (options_.length_feature) {
    source.type = FeatureType::kLength;
    source.token = 0;
    source.length_class = BitWidth(tokens.size());
    sink(bucket_of(LengthHash(source.length_class)),
         static_cast<const FeatureSource&>(source));
  }
}

template <typename TextOf>
uint32_t* FeatureHasher::WriteBuckets(absl::Span<const Token> tokens,
                                      const TextOf& text_of, uint32_t* out) const {
  // ForEach() without sources or char n-grams, every hash constant in a local.
  // Pinned against ForEach() by FeatureHasherTest.WriteBucketsIsForEach. The
  // usual options (unigrams and bigrams), and unigrams alone, have a loop of
  // their own that tests no option per token; any other mix takes
  // ForEachBucketOf's loop.
  if (options_.unigrams && options_.bigrams) {
    out = WriteBucketsWithPairs(tokens, text_of, out);
  } else if (options_.unigrams) {
    out = WriteUnigramBuckets(tokens, text_of, out);
  } else {
    out = WriteBucketsOf(tokens, text_of, nullptr, out);
  }
  if (options_.length_feature) *out++ = LengthBucket(tokens.size());
  return out;
}

template <typename TextOf>
uint32_t* FeatureHasher::WriteBucketsWithPairs(absl::Span<const Token> tokens,
                                               const TextOf& text_of,
                                               uint32_t* out) const {
  // WriteBuckets' loop for the usual options, unigrams and bigrams both on (no
  // test of either per token), in two parts: up to the first token that takes
  // part in bigrams, then the rest, where every such token has one before it.
  // Both take only tokens whose hash needs no call (1 to 16 bytes: nearly
  // all); at the first other one the rest of the post goes to
  // WriteBucketsOf, out of line. With no call in them, the loops keep their
  // constants in registers (a call clobbers the caller-saved ones, so GCC kept
  // the loop's end, the kinds' keys, the shift and the bigram constants on the
  // stack and loaded them again for every token).
  const int shift = 64 - options_.hash_bits;
  const UnigramKeys& keys = unigram_keys_;
#if XXH_VERSION_MAJOR == 0 && XXH_VERSION_MINOR == 8
  const uint64_t bitflip1 = bigram_bitflip1_;
  const uint64_t bitflip2 = bigram_bitflip2_;
#endif
  // A copy of the accessor, used throughout (the call at the end takes its
  // address on the stack): with the caller's reference, GCC kept that
  // reference in a register through both loops for the call, and the bigram
  // constant went to the stack, a load per bigram.
  const TextOf text_of_here = text_of;
  const Token* token = tokens.data();
  const Token* const end = token + tokens.size();
  BigramCarry carry;
  while (token != end) {
    const TokenKind kind = token->kind;
    uint64_t hash;
    if (!ShortKindHash(keys, kind, text_of_here(*token), &hash)) break;
    ++token;
    *out++ = static_cast<uint32_t>(hash >> shift);
    if (keys.in_bigrams[static_cast<size_t>(kind)]) {
      carry.previous_hash = hash;
      carry.have_previous = true;
      break;
    }
  }
  if (carry.have_previous) {
    uint64_t previous_hash = carry.previous_hash;
    for (; token != end; ++token) {
      const TokenKind kind = token->kind;
      uint64_t hash;
      if (!ShortKindHash(keys, kind, text_of_here(*token), &hash)) break;
      // The pointer moved once per token (GCC kept two copies of it otherwise).
      out[0] = static_cast<uint32_t>(hash >> shift);
      size_t written = 1;
      if (keys.in_bigrams[static_cast<size_t>(kind)]) {
#if XXH_VERSION_MAJOR == 0 && XXH_VERSION_MINOR == 8
        const uint64_t bigram =
            BigramHashWithFlips(keys, bitflip1, bitflip2, previous_hash, hash);
#else
        const uint64_t bigram = BigramHash(previous_hash, hash);
#endif
        out[1] = static_cast<uint32_t>(bigram >> shift);
        previous_hash = hash;
        written = 2;
      }
      out += written;
    }
    carry.previous_hash = previous_hash;
  }
  if (ABSL_PREDICT_FALSE(token != end)) {
    out = WriteBucketsOf(absl::Span<const Token>(token, end - token), text_of_here, &carry,
                         out);
  }
  return out;
}

template <typename TextOf>
uint32_t* FeatureHasher::WriteUnigramBuckets(absl::Span<const Token> tokens,
                                             const TextOf& text_of, uint32_t* out) const {
  // Tokens whose hash needs no call (1 to 16 bytes: nearly all), in a loop with
  // no call; from the first other one, the rest of the post goes to
  // WriteBucketsOf (see WriteBucketsWithPairs).
  const int shift = 64 - options_.hash_bits;
  const UnigramKeys& keys = unigram_keys_;
  const TextOf text_of_here = text_of;
  const Token* token = tokens.data();
  const Token* const end = token + tokens.size();
  for (; token != end; ++token) {
    uint64_t hash;
    if (!ShortKindHash(keys, token->kind, text_of_here(*token), &hash)) break;
    *out++ = static_cast<uint32_t>(hash >> shift);
  }
  if (ABSL_PREDICT_FALSE(token != end)) {
    out = WriteBucketsOf(absl::Span<const Token>(token, end - token), text_of_here, nullptr,
                         out);
  }
  return out;
}

template <typename TextOf, typename Sink>
void FeatureHasher::ForEachBucketOf(absl::Span<const Token> part, const TextOf& text_of,
                                    BigramCarry* carry, Sink&& sink) const {
  // WriteBuckets()'s loop, from and to `carry` (none: a whole post). Pinned
  // against ForEach() by FeatureHasherTest.ForEachBucketOfPartsIsForEach and
  // FeatureHasherTest.WriteBucketsIsForEach.
  const bool unigrams = options_.unigrams;
  const bool bigrams = options_.bigrams;
  const int shift = 64 - options_.hash_bits;
  const UnigramKeys& keys = unigram_keys_;
#if XXH_VERSION_MAJOR == 0 && XXH_VERSION_MINOR == 8
  const uint64_t bitflip1 = bigram_bitflip1_;
  const uint64_t bitflip2 = bigram_bitflip2_;
#endif
  uint64_t previous_hash = carry != nullptr ? carry->previous_hash : 0;
  bool have_previous = carry != nullptr && carry->have_previous;
  for (const Token& token : part) {
    const TokenKind kind = token.kind;
    const uint64_t hash = KindHash(keys, kind, text_of(token));
    if (unigrams) sink(static_cast<uint32_t>(hash >> shift));
    if (InBigrams(kind)) {
      if (bigrams && have_previous) {
#if XXH_VERSION_MAJOR == 0 && XXH_VERSION_MINOR == 8
        const uint64_t bigram =
            BigramHashWithFlips(bitflip1, bitflip2, previous_hash, hash);
#else
        const uint64_t bigram = BigramHash(previous_hash, hash);
#endif
        sink(static_cast<uint32_t>(bigram >> shift));
      }
      previous_hash = hash;
      have_previous = true;
    }
  }
  if (carry != nullptr) {
    carry->previous_hash = previous_hash;
    carry->have_previous = have_previous;
  }
}

// A readable name of a feature: "free", "free prize", "host:bit.ly",
// "chars:^fre", "length:8-15 tokens".
template <typename TextOf>
std::string FeatureName(const FeatureSource& source, absl::Span<const Token> tokens,
                        const TextOf& text_of);
// FeatureName() appended to `*out`: allocates nothing once `*out` has room.
template <typename TextOf>
void AppendFeatureName(const FeatureSource& source, absl::Span<const Token> tokens,
                       const TextOf& text_of, std::string* out);

// Readable name of one token: its text, prefixed by its kind unless it is a word.
std::string TokenName(TokenKind kind, absl::string_view text);
void AppendTokenName(TokenKind kind, absl::string_view text, std::string* out);

std::string LengthClassName(uint32_t length_class);
void AppendLengthClassName(uint32_t length_class, std::string* out);

template <typename TextOf>
std::string FeatureName(const FeatureSource& source, absl::Span<const Token> tokens,
                        const TextOf& text_of) {
  std::string name;
  AppendFeatureName(source, tokens, text_of, &name);
  return name;
}

template <typename TextOf>
void AppendFeatureName(const FeatureSource& source, absl::Span<const Token> tokens,
                       const TextOf& text_of, std::string* out) {
  switch (source.type) {
    case FeatureType::kUnigram:
      AppendTokenName(tokens[source.token].kind, text_of(tokens[source.token]), out);
      return;
    case FeatureType::kBigram:
      AppendTokenName(tokens[source.token].kind, text_of(tokens[source.token]), out);
      out->push_back(' ');
      AppendTokenName(tokens[source.token2].kind, text_of(tokens[source.token2]), out);
      return;
    case FeatureType::kCharNgram: {
      const absl::string_view text = text_of(tokens[source.token]);
      out->append("chars:");
      if (source.char_begin == 0) out->push_back('^');
      const absl::string_view gram =
          text.substr(source.char_begin, source.char_end - source.char_begin);
      out->append(gram.data(), gram.size());
      if (source.char_end == text.size()) out->push_back('$');
      return;
    }
    case FeatureType::kLength:
      AppendLengthClassName(source.length_class, out);
      return;
  }
}

}  // namespace groupguard::internal

#endif  // GROUPGUARD_LIB_MODEL_FEATURES_H_
