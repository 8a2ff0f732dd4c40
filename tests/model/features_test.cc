#include "model/features.h"

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "groupguard/tokenizer.h"
#include "gtest/gtest.h"
#include "util/platform.h"
#include "xxhash.h"

namespace groupguard::internal {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;

// Tokens built by hand, so these tests pin the hash scheme whatever the tokenizer.
class HandTokens {
 public:
  HandTokens& Add(TokenKind kind, absl::string_view text) {
    Token t;
    t.kind = kind;
    t.text_offset = static_cast<uint32_t>(storage_.size());
    t.text_size = static_cast<uint32_t>(text.size());
    t.begin = t.text_offset;
    t.end = t.begin + t.text_size;
    storage_.append(text.data(), text.size());
    tokens_.push_back(t);
    return *this;
  }
  absl::Span<const Token> tokens() const { return tokens_; }
  absl::string_view text(const Token& t) const {
    return absl::string_view(storage_).substr(t.text_offset, t.text_size);
  }

 private:
  std::string storage_;
  std::vector<Token> tokens_;
};

struct Collected {
  std::vector<uint32_t> buckets;
  std::vector<FeatureSource> sources;
};

Collected Collect(const FeatureHasher& hasher, const HandTokens& tokens) {
  Collected c;
  hasher.ForEach(
      tokens.tokens(), [&](const Token& t) { return tokens.text(t); },
      [&](uint32_t bucket, const FeatureSource& source) {
        c.buckets.push_back(bucket);
        c.sources.push_back(source);
      });
  return c;
}

FeatureHasher Hasher(FeatureOptions options) {
  auto hasher = FeatureHasher::Create(options);
  EXPECT_TRUE(hasher.ok()) << hasher.status();
  return *std::move(hasher);
}

TEST(FeatureHasherTest, TokenNamesAreReadable) {
  EXPECT_EQ(TokenName(TokenKind::kWord, "free"), "free");
  EXPECT_EQ(TokenName(TokenKind::kHost, "bit.ly"), "host:bit.ly");
  EXPECT_EQ(TokenName(TokenKind::kUrl, "url:short"), "url:short");
  EXPECT_EQ(TokenName(TokenKind::kUrl, "url"), "url");
}

TEST(FeatureHasherTest, UnigramHashIsSeededXxh3WithTheKindInTheSeed) {
  FeatureOptions options;
  const FeatureHasher hasher = Hasher(options);
  const uint64_t expected =
      XXH3_64bits_withSeed("free", 4, options.hash_seed ^ (0x9E3779B97F4A7C15ULL * 1));
  EXPECT_EQ(hasher.UnigramHash(TokenKind::kWord, "free"), expected);
  EXPECT_EQ(hasher.Bucket(expected), static_cast<uint32_t>(expected >> 44));
  EXPECT_NE(hasher.UnigramHash(TokenKind::kWord, "bit.ly"),
            hasher.UnigramHash(TokenKind::kHost, "bit.ly"));
}

// UnigramHash hashes a token of up to 16 bytes on constants it derived from the
// seed once per kind (XXH3's short-input functions written out): check it against
// the library's call for every length branch (0, 1-3, 4-8, 9-16, longer), bytes
// that differ at every position (so a byte read from the wrong place shows), every
// kind and one beyond them, over several seeds.
TEST(FeatureHasherTest, UnigramHashIsXxh3OfEveryLength) {
  std::string bytes;
  uint64_t state = 0x9E3779B97F4A7C15ULL;
  for (int i = 0; i < 64; ++i) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    bytes.push_back(static_cast<char>(state >> 56));
  }
  // Every value of the kind's byte: the known kinds and those beyond them
  // (the hasher keeps constants for each).
  std::vector<TokenKind> kinds;
  for (size_t k = 0; k < kKindValues; ++k) kinds.push_back(static_cast<TokenKind>(k));
  for (const uint64_t seed : {uint64_t{0}, uint64_t{1}, FeatureOptions().hash_seed,
                              ~uint64_t{0}, uint64_t{0x0000'0001'FFFF'FFFFULL}}) {
    FeatureOptions options;
    options.hash_seed = seed;
    const FeatureHasher hasher = Hasher(options);
    for (const TokenKind kind : kinds) {
      for (size_t len = 0; len <= 40; ++len) {
        for (size_t start : {0, 3, 11}) {
          const absl::string_view text = absl::string_view(bytes).substr(start, len);
          EXPECT_EQ(hasher.UnigramHash(kind, text),
                    XXH3_64bits_withSeed(text.data(), text.size(), seed ^ KindSalt(kind)))
              << seed << " " << static_cast<int>(kind) << " " << len << " " << start;
        }
      }
    }
  }
}

// Golden vectors: if one of these changes, every saved model is silently wrong.
// Change them only together with the model format version.
TEST(FeatureHasherTest, GoldenBuckets) {
  FeatureOptions options;  // 2^20 buckets, default seed, unigrams + bigrams + length
  const FeatureHasher hasher = Hasher(options);
  HandTokens tokens;
  tokens.Add(TokenKind::kWord, "win")
      .Add(TokenKind::kWord, "free")
      .Add(TokenKind::kWord, "prize")
      .Add(TokenKind::kUrl, "url")
      .Add(TokenKind::kHost, "bit.ly")
      .Add(TokenKind::kDomain, "bit.ly")
      .Add(TokenKind::kNumber, "99");
  const Collected c = Collect(hasher, tokens);
  // win, free, win_free, prize, free_prize, url, prize_url, host, domain, 99,
  // url_99, length(7 tokens -> class 3).
  EXPECT_THAT(c.buckets,
              ElementsAreArray({618877u, 512387u, 345856u, 971389u, 151013u, 597696u,
                                359003u, 271949u, 554008u, 223126u, 328850u, 434324u}));
  // The bigram hash, computed here from its definition.
  unsigned char pair[16];
  const uint64_t a = hasher.UnigramHash(TokenKind::kWord, "win");
  const uint64_t b = hasher.UnigramHash(TokenKind::kWord, "free");
  for (int i = 0; i < 8; ++i) {
    pair[i] = static_cast<unsigned char>(a >> (8 * i));
    pair[8 + i] = static_cast<unsigned char>(b >> (8 * i));
  }
  EXPECT_EQ(c.buckets[2],
            XXH3_64bits_withSeed(pair, 16, options.hash_seed ^ kBigramSalt) >> 44);
}

TEST(FeatureHasherTest, BigramHashIsXxh3OfBothUnigramHashes) {
  // BigramHash computes XXH3 of the 16 bytes itself: check it against the
  // library's call over seeds and words, including all-zero and all-one halves.
  const uint64_t words[] = {0,
                            ~uint64_t{0},
                            1,
                            0x8000000000000000ULL,
                            0x0123456789ABCDEFULL,
                            0xFEDCBA9876543210ULL};
  for (const uint64_t seed : {uint64_t{0}, uint64_t{42}, FeatureOptions().hash_seed,
                              ~uint64_t{0}, kBigramSalt}) {
    FeatureOptions options;
    options.hash_seed = seed;
    const FeatureHasher hasher = Hasher(options);
    for (const uint64_t a : words) {
      for (const uint64_t b : words) {
        unsigned char pair[16];
        for (int i = 0; i < 8; ++i) {
          pair[i] = static_cast<unsigned char>(a >> (8 * i));
          pair[8 + i] = static_cast<unsigned char>(b >> (8 * i));
        }
        EXPECT_EQ(hasher.BigramHash(a, b),
                  XXH3_64bits_withSeed(pair, 16, seed ^ kBigramSalt))
            << seed << " " << a << " " << b;
      }
    }
  }
}

TEST(FeatureHasherTest, GoldenBucketsSmallTableAndCharNgrams) {
  FeatureOptions options;
  options.hash_bits = 12;
  options.hash_seed = 42;
  options.bigrams = false;
  options.length_feature = false;
  options.char_ngram_min = 2;
  options.char_ngram_max = 3;
  const FeatureHasher hasher = Hasher(options);
  HandTokens tokens;
  tokens.Add(TokenKind::kWord, "дом");  // 3 code points, 6 bytes
  const Collected c = Collect(hasher, tokens);
  // unigram, "^до", "^дом$", "ом$".
  EXPECT_THAT(c.buckets, ElementsAreArray({1470u, 475u, 1172u, 2932u}));
}

TEST(FeatureHasherTest, FeatureOrderAndSources) {
  FeatureOptions options;
  const FeatureHasher hasher = Hasher(options);
  HandTokens tokens;
  tokens.Add(TokenKind::kWord, "a")
      .Add(TokenKind::kHost, "x.com")
      .Add(TokenKind::kWord, "b")
      .Add(TokenKind::kSignal, "shouting");
  const Collected c = Collect(hasher, tokens);
  std::vector<std::pair<FeatureType, uint32_t>> seen;
  for (const FeatureSource& s : c.sources) seen.emplace_back(s.type, s.token);
  // Host and signal tokens are unigrams only; the bigram skips the host.
  EXPECT_THAT(seen, ElementsAre(std::make_pair(FeatureType::kUnigram, 0u),
                                std::make_pair(FeatureType::kUnigram, 1u),
                                std::make_pair(FeatureType::kUnigram, 2u),
                                std::make_pair(FeatureType::kBigram, 0u),
                                std::make_pair(FeatureType::kUnigram, 3u),
                                std::make_pair(FeatureType::kLength, 0u)));
  EXPECT_EQ(c.sources[3].token2, 2u);
  EXPECT_EQ(c.sources[5].length_class, 3u);  // 4 tokens
  EXPECT_EQ(FeatureName(c.sources[3], tokens.tokens(),
                        [&](const Token& t) { return tokens.text(t); }),
            "a b");
  EXPECT_EQ(FeatureName(c.sources[1], tokens.tokens(),
                        [&](const Token& t) { return tokens.text(t); }),
            "host:x.com");
  EXPECT_EQ(FeatureName(c.sources[5], tokens.tokens(),
                        [&](const Token& t) { return tokens.text(t); }),
            "length:4-7 tokens");
}

// WriteBuckets is the scoring loop's copy of ForEach without char n-grams: the
// same buckets in the same order (the weight sums depend on it) under every mix
// of the other options, token kinds and text lengths (each XXH3 length branch).
TEST(FeatureHasherTest, WriteBucketsIsForEach) {
  HandTokens tokens;
  const TokenKind kinds[] = {TokenKind::kWord,  TokenKind::kNumber, TokenKind::kUrl,
                             TokenKind::kHost,  TokenKind::kDomain, TokenKind::kEmail,
                             TokenKind::kPhone, TokenKind::kEmoji,  TokenKind::kSignal};
  const std::string long_text(40, 'x');
  for (size_t i = 0; i < 60; ++i) {
    // Lengths 0..40: empty, 1-3, 4-8, 9-16, 17-128 bytes.
    tokens.Add(kinds[(i * 5) % 9], absl::string_view(long_text).substr(0, (i * 7) % 41));
  }
  std::vector<HandTokens> inputs(10);
  inputs[1].Add(TokenKind::kWord, "alone");
  inputs[2].Add(TokenKind::kHost, "x.com").Add(TokenKind::kSignal, "bidi");
  inputs[3] = tokens;
  // The first tokens take no part in bigrams (WriteBuckets' loop for unigrams
  // and bigrams starts pairing at the first one that does).
  inputs[4]
      .Add(TokenKind::kHost, "x.com")
      .Add(TokenKind::kSignal, "bidi")
      .Add(TokenKind::kWord, "first")
      .Add(TokenKind::kDomain, "x.com")
      .Add(TokenKind::kWord, "second")
      .Add(TokenKind::kNumber, "99");
  // WriteBuckets' loops hash tokens of a known kind and 1 to 16 bytes; at any
  // other they hand the rest of the post to the general loop: such a token
  // first, before the first bigram token, and after it, and kinds beyond the
  // known ones.
  inputs[5]
      .Add(TokenKind::kHost, "a.long.host.name.example.com")
      .Add(TokenKind::kWord, "first")
      .Add(TokenKind::kWord, "second");
  inputs[6]
      .Add(TokenKind::kWord, "first")
      .Add(TokenKind::kWord, "second")
      .Add(TokenKind::kWord, "seventeen-letters")
      .Add(TokenKind::kWord, "third")
      .Add(TokenKind::kWord, "")
      .Add(TokenKind::kWord, "fourth");
  inputs[7]
      .Add(TokenKind::kSignal, "bidi")
      .Add(static_cast<TokenKind>(kTokenKinds), "beyond")
      .Add(TokenKind::kWord, "first")
      .Add(TokenKind::kWord, "second")
      .Add(static_cast<TokenKind>(255), "last kind")
      .Add(TokenKind::kWord, "third");
  for (size_t i = 1; i < 60; ++i) {  // inputs[3] without its empty first token
    inputs[8].Add(kinds[(i * 5) % 9], absl::string_view(long_text).substr(0, (i * 7) % 41));
  }
  // Every value of the kind's byte, each between two words, in the loops (the
  // per-kind tables: keys and whether a kind takes part in bigrams).
  for (size_t k = 0; k < kKindValues; ++k) {
    inputs[9].Add(TokenKind::kWord, k % 2 == 0 ? "even" : "odd");
    inputs[9].Add(static_cast<TokenKind>(k),
                  absl::string_view(long_text).substr(0, 1 + k % 16));
  }
  inputs[9].Add(TokenKind::kWord, "last");
  for (int mask = 0; mask < 8; ++mask) {
    for (int bits : {10, 20, 26}) {
      FeatureOptions options;
      options.unigrams = (mask & 1) != 0;
      options.bigrams = (mask & 2) != 0;
      options.length_feature = (mask & 4) != 0;
      options.hash_bits = bits;
      options.hash_seed = 0x1234'5678'9ABC'DEF0ULL * static_cast<uint64_t>(mask + 1);
      if (mask == 0) options.length_feature = true;  // some feature must be on
      const FeatureHasher hasher = Hasher(options);
      for (const HandTokens& input : inputs) {
        const auto text_of = [&](const Token& t) { return input.text(t); };
        std::vector<uint32_t> fast(hasher.MaxFeatures(input.tokens(), text_of));
        fast.resize(hasher.WriteBuckets(input.tokens(), text_of, fast.data()) -
                    fast.data());
        EXPECT_EQ(fast, Collect(hasher, input).buckets) << mask << " " << bits;
      }
    }
  }
}

// ForEachBucketOf on consecutive parts of a post, then LengthBucket, is
// WriteBuckets (so ForEach) on the whole: the scoring loop of long posts hashes
// them a part at a time. Bigrams span the parts, also across host, domain and
// signal tokens at a part's edge.
TEST(FeatureHasherTest, ForEachBucketOfPartsIsForEach) {
  HandTokens tokens;
  const TokenKind kinds[] = {TokenKind::kWord,  TokenKind::kNumber, TokenKind::kUrl,
                             TokenKind::kHost,  TokenKind::kDomain, TokenKind::kEmail,
                             TokenKind::kPhone, TokenKind::kEmoji,  TokenKind::kSignal};
  const std::string long_text(40, 'x');
  for (size_t i = 0; i < 60; ++i) {
    tokens.Add(kinds[(i * 5) % 9], absl::string_view(long_text).substr(0, (i * 7) % 41));
  }
  for (int mask = 0; mask < 8; ++mask) {
    FeatureOptions options;
    options.unigrams = (mask & 1) != 0;
    options.bigrams = (mask & 2) != 0;
    options.length_feature = (mask & 4) != 0 || mask == 0;
    options.hash_seed = 0x0FED'CBA9'8765'4321ULL * static_cast<uint64_t>(mask + 1);
    const FeatureHasher hasher = Hasher(options);
    const std::vector<uint32_t> whole = Collect(hasher, tokens).buckets;
    const auto text_of = [&](const Token& t) { return tokens.text(t); };
    for (size_t part : {1, 2, 3, 7, 59, 60, 61}) {
      std::vector<uint32_t> parts;
      FeatureHasher::BigramCarry carry;
      const absl::Span<const Token> all = tokens.tokens();
      for (size_t begin = 0; begin < all.size(); begin += part) {
        hasher.ForEachBucketOf(all.subspan(begin, part), text_of, &carry,
                               [&](uint32_t bucket) { parts.push_back(bucket); });
      }
      if (options.length_feature) parts.push_back(hasher.LengthBucket(all.size()));
      EXPECT_EQ(parts, whole) << mask << " " << part;
    }
  }
}

TEST(FeatureHasherTest, CharNgramsFollowCodePoints) {
  FeatureOptions options;
  options.unigrams = false;
  options.bigrams = false;
  options.length_feature = false;
  options.char_ngram_min = 1;
  options.char_ngram_max = 2;
  const FeatureHasher hasher = Hasher(options);
  HandTokens tokens;
  tokens.Add(TokenKind::kWord, "aд").Add(TokenKind::kNumber, "12");
  const Collected c = Collect(hasher, tokens);
  const auto text_of = [&](const Token& t) { return tokens.text(t); };
  std::vector<std::string> names;
  for (const FeatureSource& s : c.sources) {
    names.push_back(FeatureName(s, tokens.tokens(), text_of));
  }
  // Numbers get no char n-grams; "д" is one 2-byte code point.
  EXPECT_THAT(names, ElementsAre("chars:^a", "chars:^aд$", "chars:д$"));
}

TEST(FeatureHasherTest, EveryBucketIsInRange) {
  for (int bits : {10, 16, 26}) {
    FeatureOptions options;
    options.hash_bits = bits;
    options.char_ngram_min = 1;
    options.char_ngram_max = 4;
    const FeatureHasher hasher = Hasher(options);
    HandTokens tokens;
    for (int i = 0; i < 200; ++i) tokens.Add(TokenKind::kWord, std::to_string(i * 7919));
    for (uint32_t bucket : Collect(hasher, tokens).buckets) {
      ASSERT_LT(bucket, hasher.num_buckets());
    }
  }
}

TEST(FeatureHasherTest, RejectsBadOptions) {
  FeatureOptions options;
  options.hash_bits = 9;
  EXPECT_EQ(FeatureHasher::Create(options).status().code(),
            absl::StatusCode::kInvalidArgument);
  options.hash_bits = 27;
  EXPECT_FALSE(FeatureHasher::Create(options).ok());
  options = FeatureOptions();
  options.char_ngram_min = 4;
  options.char_ngram_max = 3;
  EXPECT_FALSE(FeatureHasher::Create(options).ok());
  options.char_ngram_min = 0;
  options.char_ngram_max = 3;
  EXPECT_FALSE(FeatureHasher::Create(options).ok());
  options = FeatureOptions();
  options.unigrams = options.bigrams = options.length_feature = false;
  EXPECT_FALSE(FeatureHasher::Create(options).ok());
}

TEST(FeatureHasherTest, LengthClassNames) {
  EXPECT_EQ(LengthClassName(0), "length:0 tokens");
  EXPECT_EQ(LengthClassName(1), "length:1 token");
  EXPECT_EQ(LengthClassName(2), "length:2-3 tokens");
  EXPECT_EQ(BitWidth(0), 0u);
  EXPECT_EQ(BitWidth(7), 3u);
  EXPECT_EQ(BitWidth(8), 4u);
}

// LengthBucket reads the bucket from a table the hasher filled once: it is the
// length hash of the count's bit width for every width (0..64), and BitWidth
// counts the bits of every power of two and its neighbours.
TEST(FeatureHasherTest, LengthBucketIsTheBucketOfTheLengthHash) {
  std::vector<uint64_t> counts = {0, ~uint64_t{0}};
  for (int bit = 0; bit < 64; ++bit) {
    const uint64_t power = uint64_t{1} << bit;
    counts.insert(counts.end(), {power - 1, power, power + 1});
  }
  for (const int bits : {10, 20, 26}) {
    FeatureOptions options;
    options.hash_bits = bits;
    options.hash_seed = 0xABCD'0123'4567'89EFULL * static_cast<uint64_t>(bits);
    const FeatureHasher hasher = Hasher(options);
    for (const uint64_t n : counts) {
      uint32_t width = 0;
      for (uint64_t rest = n; rest != 0; rest >>= 1) ++width;
      EXPECT_EQ(BitWidth(n), width) << n;
      EXPECT_EQ(hasher.LengthBucket(n), hasher.Bucket(hasher.LengthHash(width)))
          << bits << " " << n;
    }
  }
}

}  // namespace
}  // namespace groupguard::internal

namespace groupguard::internal {
namespace {

TEST(BucketSetTest, InsertReportsNewBucketsAcrossClearsAndGrowth) {
  BucketSet set;
  set.Clear();
  EXPECT_TRUE(set.Insert(7));
  EXPECT_FALSE(set.Insert(7));
  EXPECT_TRUE(set.Insert(0));
  EXPECT_FALSE(set.Insert(0));
  set.Clear();
  EXPECT_TRUE(set.Insert(7));  // forgotten by Clear()
  // Far more buckets than the initial capacity.
  for (uint32_t b = 100; b < 5100; ++b)
    ASSERT_TRUE(set.Insert(b * 2654435761u >> 6)) << b;
  for (uint32_t b = 100; b < 5100; ++b)
    ASSERT_FALSE(set.Insert(b * 2654435761u >> 6)) << b;
  EXPECT_FALSE(set.Insert(7));
  set.Clear();
  EXPECT_TRUE(set.Insert(100 * 2654435761u >> 6));
}

TEST(BucketSetTest, InserterAgreesWithInsert) {
  BucketSet set;
  BucketSet reference;
  // Posts of growing size (the inserter's table grows with them), then small
  // ones again, with repeats; Insert() after an inserter keeps working.
  // Odd posts' buckets all share their low 12 bits, so they probe past their
  // own slot (taken by another bucket or by themselves) every time.
  for (uint32_t post = 0; post < 40; ++post) {
    const uint32_t n = post < 20 ? 1 + post * post * 10 : 1 + post;
    BucketSet::Inserter inserter = set.ClearForInserts(n);
    reference.Clear();
    for (uint32_t i = 0; i < n; ++i) {
      const uint32_t bucket =
          post % 2 == 0 ? (i % (n / 2 + 1)) * 2654435761u >> 12 : (i % (n / 2 + 1)) << 12;
      ASSERT_EQ(inserter.Insert(bucket), reference.Insert(bucket)) << post << " " << i;
    }
    EXPECT_FALSE(set.Insert(0)) << post;  // bucket of i == 0
    for (uint32_t b = 1; b < 1000; ++b) EXPECT_TRUE(set.Insert(0xFFFFF000u + b)) << b;
  }
}

}  // namespace

// Sets a BucketSet's generation, so a test reaches the last ones.
class BucketSetPeer {
 public:
  static void SetGeneration(BucketSet& set, uint32_t generation) {
    set.generation_ = generation;
  }
};

namespace {

// After 2^32 - 1 generations the table is zeroed and they start again at 1
// (generation 0 would take every zeroed slot for a bucket 0 already there):
// inserters across that point agree with Insert(). Each post starts with bucket
// 0 while other slots are still zero, then collides on slot 0 (256 slots).
TEST(BucketSetTest, InsertersAcrossTheLastGeneration) {
  BucketSet set;
  BucketSet reference;
  set.ClearForInserts(8).Insert(5);  // a table of 256 slots
  BucketSetPeer::SetGeneration(set, UINT32_MAX - 2);
  for (int post = 0; post < 5; ++post) {
    BucketSet::Inserter inserter = set.ClearForInserts(8);
    reference.Clear();
    for (const uint32_t bucket : {0u, 0u, 1u, 5u, 1u, 256u, 0u, 256u}) {
      ASSERT_EQ(inserter.Insert(bucket), reference.Insert(bucket))
          << post << " " << bucket;
    }
  }
}

}  // namespace
}  // namespace groupguard::internal

#include "model/weight_table.h"

namespace groupguard::internal {
namespace {

TEST(WeightTableTest, FindsEveryWeightAndOnlyThose) {
  std::vector<std::pair<uint32_t, float>> first = {
      {0, 1.5f}, {63, -2}, {64, 3}, {1000, 4}};
  std::vector<std::pair<uint32_t, float>> second = {{63, 7}, {999, 8}, {1023, 0}};
  const WeightTable table(1024, {first, second});
  EXPECT_EQ(table.stride(), 2u);
  EXPECT_EQ(table.size(), 5u);  // 0, 63, 64, 999, 1000 (a zero weight is absent)
  ASSERT_NE(table.Find(63), nullptr);
  EXPECT_EQ(table.Find(63)[0], -2);
  EXPECT_EQ(table.Find(63)[1], 7);
  EXPECT_EQ(table.Find(0)[0], 1.5f);
  EXPECT_EQ(table.Find(0)[1], 0);
  EXPECT_EQ(table.Find(64)[0], 3);
  EXPECT_EQ(table.Find(999)[1], 8);
  EXPECT_EQ(table.Find(1000)[0], 4);
  for (uint32_t absent : {1u, 62u, 65u, 998u, 1001u, 1023u}) {
    EXPECT_EQ(table.Find(absent), nullptr) << absent;
  }
  EXPECT_EQ((table.FindWithStride<2, false>(999)), table.Find(999));
  EXPECT_EQ((table.FindWithStride<2, true>(999)), table.Find(999));
  EXPECT_EQ((table.FindWithStride<2, true>(998)), nullptr);
  const WeightTable::View view = table.view();
  for (uint32_t bucket = 0; bucket < 1024; ++bucket) {
    double sums[2] = {0.5, -0.25};
    double popcnt_sums[2] = {0.5, -0.25};
    view.AddWeights<2>(bucket, sums[0], sums[1]);
    view.AddWeights<2, true>(bucket, popcnt_sums[0], popcnt_sums[1]);
    const float* w = table.Find(bucket);
    EXPECT_EQ(sums[0], 0.5 + (w ? w[0] : 0)) << bucket;
    EXPECT_EQ(sums[1], -0.25 + (w ? w[1] : 0)) << bucket;
    EXPECT_EQ(popcnt_sums[0], sums[0]) << bucket;
    EXPECT_EQ(popcnt_sums[1], sums[1]) << bucket;
  }
  EXPECT_EQ(PopCount64(0), 0u);
  EXPECT_EQ(PopCount64(~uint64_t{0}), 64u);
  EXPECT_EQ(PopCount64(0x8000000000000001ULL), 2u);
}

// Every bucket of tables dense and sparse, one and two components, against the
// lists they were built from: each block's first and last bucket, full and empty
// blocks, the running counts across them, and AddWeights (both popcounts) against
// Find.
TEST(WeightTableTest, FindsEveryWeightOfRandomTables) {
  uint64_t state = 12345;
  const auto next = [&state] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<uint32_t>(state >> 33);
  };
  for (const uint32_t one_in : {1u, 2u, 3u, 17u, 200u}) {
    for (const size_t stride : {size_t{1}, size_t{2}}) {
      const uint32_t num_buckets = 4096;
      std::vector<std::vector<std::pair<uint32_t, float>>> lists(stride);
      std::vector<std::vector<float>> dense(stride, std::vector<float>(num_buckets, 0));
      for (size_t k = 0; k < stride; ++k) {
        for (uint32_t bucket = 0; bucket < num_buckets; ++bucket) {
          if (next() % one_in != 0) continue;
          const float w = static_cast<float>(static_cast<int>(next() % 2001) - 1000) / 8;
          lists[k].emplace_back(bucket, w);
          dense[k][bucket] = w;
        }
      }
      const WeightTable table(num_buckets, lists);
      const WeightTable::View view = table.view();
#if GROUPGUARD_HAVE_X86
      // Built with the CPU's POPCNT, where it has one: the same table.
      if (__builtin_cpu_supports("popcnt")) {
        const WeightTable popcnt_table(num_buckets, lists, /*hardware_popcount=*/true);
        ASSERT_EQ(popcnt_table.size(), table.size());
        for (uint32_t bucket = 0; bucket < num_buckets; ++bucket) {
          const float* w = table.Find(bucket);
          const float* p = popcnt_table.Find(bucket);
          ASSERT_EQ(p != nullptr, w != nullptr) << bucket;
          for (size_t k = 0; w != nullptr && k < stride; ++k) {
            EXPECT_EQ(p[k], w[k]) << bucket;
          }
        }
      }
#endif
      size_t weighted = 0;
      for (uint32_t bucket = 0; bucket < num_buckets; ++bucket) {
        const bool any = dense[0][bucket] != 0 || (stride == 2 && dense[1][bucket] != 0);
        weighted += any ? 1 : 0;
        const float* w = table.Find(bucket);
        ASSERT_EQ(w != nullptr, any) << one_in << " " << bucket;
        double sums[2] = {0.5, -0.25};
        double popcnt_sums[2] = {0.5, -0.25};
        if (stride == 1) {
          EXPECT_EQ((table.FindWithStride<1, false>(bucket)), w);
          EXPECT_EQ((table.FindWithStride<1, true>(bucket)), w);
          view.AddWeights<1>(bucket, sums[0], sums[1]);
          view.AddWeights<1, true>(bucket, popcnt_sums[0], popcnt_sums[1]);
        } else {
          EXPECT_EQ((table.FindWithStride<2, false>(bucket)), w);
          EXPECT_EQ((table.FindWithStride<2, true>(bucket)), w);
          view.AddWeights<2>(bucket, sums[0], sums[1]);
          view.AddWeights<2, true>(bucket, popcnt_sums[0], popcnt_sums[1]);
        }
        // The scoring loop's way: the place, then the weights at it.
        size_t place = 0, popcnt_place = 0;
        ASSERT_EQ(view.Place(bucket, &place), w != nullptr) << bucket;
        ASSERT_EQ(view.Place<true>(bucket, &popcnt_place), w != nullptr) << bucket;
        if (w != nullptr) {
          EXPECT_EQ(popcnt_place, place) << bucket;
          double at_sums[2] = {0.5, -0.25};
          if (stride == 1) {
            view.AddWeightsAt<1>(place, at_sums[0], at_sums[1]);
          } else {
            view.AddWeightsAt<2>(place, at_sums[0], at_sums[1]);
          }
          EXPECT_EQ(at_sums[0], sums[0]) << bucket;
          EXPECT_EQ(at_sums[1], sums[1]) << bucket;
        }
        for (size_t k = 0; k < stride; ++k) {
          EXPECT_EQ(w != nullptr ? w[k] : 0.0f, dense[k][bucket]) << bucket;
          EXPECT_EQ(sums[k], (k == 0 ? 0.5 : -0.25) + dense[k][bucket]) << bucket;
          EXPECT_EQ(popcnt_sums[k], sums[k]) << bucket;
        }
        if (stride == 1) EXPECT_EQ(sums[1], -0.25);
      }
      EXPECT_EQ(table.size(), weighted);
    }
  }
}

}  // namespace

// Sets a PlaceSet's generation, so a test reaches the last ones.
class PlaceSetPeer {
 public:
  static void SetGeneration(PlaceSet& set, uint16_t generation) {
    set.generation_ = generation;
  }
};

namespace {

// The scoring loop's set of weighted buckets by place, against a std::set per
// post: repeats within a post are found, nothing of an earlier post is (the
// marks it left carry its generation), across the wrap of the 16-bit
// generations (a stale mark equal to the new generation would hide a place:
// the marks must be zeroed there), and for a bigger table after a smaller one
// (the places past the old marks start free).
TEST(PlaceSetTest, EachPostStartsEmpty) {
  PlaceSet set;
  set.ClearForPlaces(40);  // zeroes the marks (the first call does)
  PlaceSetPeer::SetGeneration(set, UINT16_MAX - 3);
  uint64_t state = 7;
  const auto next = [&state] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<uint32_t>(state >> 33);
  };
  for (int post = 0; post < 12; ++post) {
    const size_t places = post < 6 ? 40 : 300;  // a bigger table from post 6 on
    PlaceSet::Marker marker = set.ClearForPlaces(places);
    std::set<size_t> reference;
    for (int i = 0; i < 60; ++i) {
      // Mostly the low places, so every post repeats some of the last one's.
      const size_t place = next() % 3 == 0 ? next() % places : next() % 10;
      ASSERT_EQ(marker.Insert(place), reference.insert(place).second)
          << post << " " << place;
    }
  }
  EXPECT_GE(set.HeldBytes(), 300 * sizeof(uint16_t));
}

// Every place of a post's worth, then the same places in the next posts: all
// new again each time, 70,000 posts (past the 65,535 generations of the marks).
TEST(PlaceSetTest, TheSamePlacesInEveryPostAreNewInEach) {
  PlaceSet set;
  for (int post = 0; post < 70000; ++post) {
    PlaceSet::Marker marker = set.ClearForPlaces(4);
    ASSERT_TRUE(marker.Insert(post % 4)) << post;
    ASSERT_FALSE(marker.Insert(post % 4)) << post;
    ASSERT_TRUE(marker.Insert((post + 1) % 4)) << post;
  }
}

}  // namespace
}  // namespace groupguard::internal

namespace groupguard::internal {
namespace {

// End-to-end golden vectors: text -> default tokenizer -> default features. These
// fail when normalization or tokenization changes what a text hashes to, which
// silently invalidates every saved model: if the change is meant, bump the model
// format version (or retrain the shipped model) and re-pin.
std::vector<uint32_t> TextBuckets(absl::string_view text) {
  auto tokenizer = Tokenizer::Create(TokenizerOptions());
  auto hasher = FeatureHasher::Create(FeatureOptions());
  EXPECT_TRUE(tokenizer.ok() && hasher.ok());
  Tokenization tokens;
  tokenizer->Tokenize(text, &tokens);
  std::vector<uint32_t> buckets;
  hasher->ForEach(
      tokens.tokens(), [&](const Token& t) { return tokens.text(t); },
      [&](uint32_t bucket, const FeatureSource&) { buckets.push_back(bucket); });
  return buckets;
}

// The same words as GoldenBuckets above hash to the same buckets ("win" 618877,
// "free" 512387, "prize" 971389, "free prize" 151013; host and domain "bit.ly"
// 271949 and 554008).
TEST(FeatureGoldenTest, AsciiWords) {
  EXPECT_THAT(TextBuckets("Win a FREE prize now"),
              ElementsAreArray({618877u, 986778u, 588973u, 512387u, 917828u, 971389u,
                                151013u, 520183u, 610211u, 434324u}));
}

TEST(FeatureGoldenTest, CyrillicAndFolding) {
  EXPECT_THAT(TextBuckets("Подработка ДЛЯ всех"),
              ElementsAreArray({220931u, 788853u, 862978u, 877025u, 778060u, 1013426u}));
}

TEST(FeatureGoldenTest, UrlAndNumber) {
  EXPECT_THAT(
      TextBuckets("call 0800 123 or see http://bit.ly/abc"),
      ElementsAreArray({420404u, 784319u, 116769u, 216489u, 309020u, 367824u, 511326u,
                        662741u, 810083u, 271949u, 554008u, 891255u, 89539u, 769141u}));
}

}  // namespace
}  // namespace groupguard::internal
