#ifndef GROUPGUARD_FEATURES_H_
#define GROUPGUARD_FEATURES_H_

#include <cstdint>

namespace groupguard {

// How tokens become hashed features. Saved in every model file: a model is always
// scored with the features it was trained with. Every feature is hashed with seeded
// XXH3-64 (the token kind is part of what is hashed) into one of 2^hash_bits buckets.
struct FeatureOptions {
  // log2 of the number of buckets. 10..26. 20 = 1M buckets (a 4 MB weight table).
  int hash_bits = 20;
  // Seed of the XXH3 feature hash. Any value; stored in the model.
  uint64_t hash_seed = 0x6767'7264'0000'0001ULL;
  // One feature per token (word, number shape, host, domain, emoji, signal...).
  bool unigrams = true;
  // One feature per pair of adjacent tokens ("free prize"). Host, domain and signal
  // tokens take no part in bigrams.
  bool bigrams = true;
  // Character n-grams of each folded word, counted in code points, marked when they
  // touch the start or end of the word. 0 = off; otherwise 1..8, min <= max.
  int char_ngram_min = 0;
  int char_ngram_max = 0;
  // One feature for the post's length class (log2 of the number of tokens).
  bool length_feature = true;
  // Count each distinct feature once per post (presence), not once per occurrence.
  bool binary = true;
};

}  // namespace groupguard

#endif  // GROUPGUARD_FEATURES_H_
