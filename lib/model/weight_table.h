#ifndef GROUPGUARD_LIB_MODEL_WEIGHT_TABLE_H_
#define GROUPGUARD_LIB_MODEL_WEIGHT_TABLE_H_

// The scoring weights, compact: a model trained on a few thousand posts uses ~5% of
// its 2^20 buckets, so instead of a dense float per bucket (4 MB, most of it zero,
// a cache miss per feature) it keeps one bit per bucket with a running count every
// 32 buckets, and the weights of the nonzero buckets only, in bucket order. Finding
// a weight is a bit test, a popcount and one load; the bits and counts of 2^20
// buckets take 256 KB and the weights of 66k buckets 260 KB (520 KB for an
// ensemble), so the whole table stays in L2. Absent buckets weigh 0.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "absl/base/optimization.h"
#include "util/platform.h"

namespace groupguard::internal {

// Set bits of x. Inline SWAR: without -mpopcnt (the build may not assume it),
// __builtin_popcountll is a call into libgcc.
inline uint32_t PopCount64(uint64_t x) {
  x = x - ((x >> 1) & 0x5555555555555555ULL);
  x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
  x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0FULL;
  return static_cast<uint32_t>((x * 0x0101010101010101ULL) >> 56);
}

class WeightTable {
  // 8 bytes, 32 buckets: a block's address is an index scaled by 8, which x86
  // addressing does in the load (64 buckets and their count take 12 bytes,
  // padded to 16: a shift and an add more per look-up), and the table takes
  // the same 256 KB for 2^20 buckets.
  // The bits run from the top: bucket j of a block is bit 31 - j, so shifting
  // the bits left by j puts bucket j's bit on top (the sign bit), with the
  // buckets after it under it and none before it. Counting those from the
  // block's end ranks the bucket with no complement of j to shift by.
  struct Block {
    uint32_t bits = 0;  // bucket 32 * i + j has a weight iff bit 31 - j is set
    uint32_t end = 0;   // weighted buckets before the next block
  };
  static constexpr int kBlockShift = 5;  // log2 of the buckets in a block
  static constexpr uint32_t kInBlock = (uint32_t{1} << kBlockShift) - 1;

 public:
  // `components[k]` lists (bucket, weight) of component k, ascending by bucket,
  // every bucket < num_buckets. `hardware_popcount`: the CPU has POPCNT (the build
  // then counts with it; the same table either way).
  WeightTable(uint32_t num_buckets,
              const std::vector<std::vector<std::pair<uint32_t, float>>>& components,
              bool hardware_popcount = false)
      : stride_(components.size()) {
    blocks_.assign((size_t{num_buckets} + kInBlock) >> kBlockShift, Block());
    for (const auto& list : components) {
      for (const auto& [bucket, w] : list) {
        if (w != 0) blocks_[bucket >> kBlockShift].bits |= BitOf(bucket);
      }
    }
#if GROUPGUARD_HAVE_X86
    // The popcounts of the build (one a block, one a list entry: 2.5M of the 6.7M
    // instructions of the built-in model's build, at every start, in software) by
    // the CPU's POPCNT where it has one; the same counts either way.
    if (hardware_popcount) {
      PlaceWeightsHardwarePopCount(components);
      return;
    }
#else
    static_cast<void>(hardware_popcount);
#endif
    PlaceWeights<false>(components);
  }

  size_t stride() const { return stride_; }
  // Buckets with a nonzero weight in some component.
  size_t size() const { return size_; }

  // Find() for a table whose stride() is the constant kStride (the scoring loop
  // picks it once per post, so the index is a shift, not a multiply). With
  // kHardwarePopCount it counts bits with __builtin_popcountll: only for code
  // compiled for a CPU with the POPCNT instruction (a function with
  // __attribute__((target("popcnt"))), called after checking the CPU), where the
  // builtin is that one instruction instead of a call into libgcc.
  template <size_t kStride, bool kHardwarePopCount = false>
  const float* FindWithStride(uint32_t bucket) const {
    const Block& block = blocks_[bucket >> kBlockShift];
    const uint32_t from = block.bits << (bucket & kInBlock);
    if (static_cast<int32_t>(from) >= 0) return nullptr;
    const uint32_t to_end = kHardwarePopCount
                                ? static_cast<uint32_t>(__builtin_popcount(from))
                                : PopCount64(from);
    return weights_.data() + (block.end - size_t{to_end}) * kStride;
  }

  // FindWithStride() on the table's arrays held by value, for a loop that keeps
  // them in registers. Valid while the table lives.
  class View {
   public:
    // Whether `bucket` has weights, and if so their place (its rank among the
    // weighted buckets: its weights are at place * stride) into *place.
    template <bool kHardwarePopCount = false>
    bool Place(uint32_t bucket, size_t* place) const {
      const Block& block = blocks_[bucket >> kBlockShift];
      const uint32_t from = block.bits << (bucket & kInBlock);  // as in AddWeights
      if (static_cast<int32_t>(from) >= 0) return false;
      const uint32_t to_end = kHardwarePopCount
                                  ? static_cast<uint32_t>(__builtin_popcount(from))
                                  : PopCount64(from);
      *place = block.end - size_t{to_end};
      return true;
    }
    // AddWeights() of the bucket whose Place() is `place`.
    template <size_t kStride>
    void AddWeightsAt(size_t place, double& sum0, double& sum1) const {
      static_assert(kStride == 1 || kStride == 2, "one or two components");
      const float* w = weights_ + place * kStride;
      sum0 += w[0];
      if (kStride == 2) sum1 += w[1];
    }

    // Adds the weights of `bucket` (none if it has none) to sum0 and, for a stride
    // of 2, sum1. Same sums as adding FindWithStride(bucket)[k] when it is
    // non-null. (Two scalars, not an array: GCC keeps an array of sums in
    // memory, a load and a store per weight.)
    template <size_t kStride, bool kHardwarePopCount = false>
    void AddWeights(uint32_t bucket, double& sum0, double& sum1) const {
      static_assert(kStride == 1 || kStride == 2, "one or two components");
      const Block& block = blocks_[bucket >> kBlockShift];
      // The bucket's bit shifted to the top (the sign bit), the buckets after
      // it in the block under it: one test for the bit, and the weighted
      // buckets from it to the block's end counted at once.
      const uint32_t from = block.bits << (bucket & kInBlock);
      if (static_cast<int32_t>(from) >= 0) return;
      const uint32_t to_end =  // the bucket itself and the ones after it
          kHardwarePopCount ? static_cast<uint32_t>(__builtin_popcount(from))
                            : PopCount64(from);
      const float* w = weights_ + (block.end - size_t{to_end}) * kStride;
      sum0 += w[0];
      if (kStride == 2) sum1 += w[1];
    }

   private:
    friend class WeightTable;
    View(const Block* blocks, const float* weights)
        : blocks_(blocks), weights_(weights) {}
    const Block* blocks_;
    const float* weights_;
  };
  View view() const { return View(blocks_.data(), weights_.data()); }

  // The `stride()` weights of `bucket`, or nullptr if they are all zero.
  const float* Find(uint32_t bucket) const {
    const Block& block = blocks_[bucket >> kBlockShift];
    if ((block.bits & BitOf(bucket)) == 0) return nullptr;
    return &weights_[Index(bucket) * stride_];
  }

 private:
  // The constructor's rest, once the bits are set: each block's running count,
  // then each weight at its bucket's place.
  template <bool kHardwarePopCount>
  [[gnu::always_inline]] void PlaceWeights(
      const std::vector<std::vector<std::pair<uint32_t, float>>>& components) {
    const auto pop_count = [](uint32_t x) {
      return kHardwarePopCount ? static_cast<uint32_t>(__builtin_popcount(x))
                               : PopCount64(x);
    };
    uint32_t rank = 0;
    for (Block& block : blocks_) {
      rank += pop_count(block.bits);
      block.end = rank;
    }
    size_ = rank;
    weights_.assign(size_t{rank} * stride_, 0.0f);
    for (size_t k = 0; k < components.size(); ++k) {
      for (const auto& [bucket, w] : components[k]) {
        if (w == 0) continue;
        const Block& block = blocks_[bucket >> kBlockShift];  // as Index()
        const size_t index =
            block.end - size_t{pop_count(block.bits << (bucket & kInBlock))};
        weights_[index * stride_ + k] = w;
      }
    }
  }
#if GROUPGUARD_HAVE_X86
  // PlaceWeights() for a CPU with POPCNT (the build may not assume it: called
  // only after checking the CPU), where the builtin is that one instruction.
  [[gnu::target("popcnt")]] void PlaceWeightsHardwarePopCount(
      const std::vector<std::vector<std::pair<uint32_t, float>>>& components) {
    PlaceWeights<true>(components);
  }
#endif

  static uint32_t BitOf(uint32_t bucket) {
    return uint32_t{0x80000000} >> (bucket & kInBlock);
  }
  // The index of a weighted bucket's weights: the weighted buckets before the
  // next block less those from this one to it.
  size_t Index(uint32_t bucket) const {
    const Block& block = blocks_[bucket >> kBlockShift];
    return block.end - size_t{PopCount64(block.bits << (bucket & kInBlock))};
  }

  size_t stride_;
  size_t size_ = 0;
  std::vector<Block> blocks_;
  std::vector<float> weights_;  // stride_ per weighted bucket, in bucket order
};

// The weighted buckets a post has had so far, by their place in a WeightTable
// (View::Place): the scoring loop's set for binary features, found with the
// weight look-up it does anyway, one 16-bit mark per place. The marks carry the
// post's generation, so a post starts with one increment, not a clear; they are
// zeroed once per 65,535 posts and when a table with more places comes. (A
// hashed set of buckets took 8 instructions a feature; this takes 4.) Buckets
// without weights are not here. Not thread-safe: one per thread.
class PlaceSet {
 public:
  class Marker;
  // Empties the set and returns a marker for places below `places`, valid until
  // the next call on this set.
  [[gnu::always_inline]] inline Marker ClearForPlaces(size_t places);
  // Bytes of memory the set holds.
  size_t HeldBytes() const { return marks_.capacity() * sizeof(uint16_t); }

 private:
  // ClearForPlaces() when the marks must be zeroed (the first post, a bigger
  // table, the generations run out): out of line, so the usual case stays an
  // increment.
  [[gnu::noinline]] void Refill(size_t places) {
    marks_.assign(std::max(places, marks_.size()), 0);
    generation_ = 1;  // never 0: a zeroed mark is no post's
  }

  friend class PlaceSetPeer;  // tests: the last generations

  std::vector<uint16_t> marks_;  // the generation of the post that had the place
  uint16_t generation_ = 0;
};

class PlaceSet::Marker {
 public:
  // Adds `place`; returns false if it was already in the set. REQUIRES: place
  // below the ClearForPlaces() argument.
  bool Insert(size_t place) {
    uint16_t& mark = marks_[place];
    if (mark == generation_) return false;
    mark = generation_;
    return true;
  }

 private:
  friend class PlaceSet;
  Marker(uint16_t* marks, uint16_t generation) : marks_(marks), generation_(generation) {}
  uint16_t* marks_;
  uint16_t generation_;
};

PlaceSet::Marker PlaceSet::ClearForPlaces(size_t places) {
  // (Generation 0 is only the first post's, with no marks yet: Refill() for a
  // table with places, no Insert() for one without.)
  if (ABSL_PREDICT_TRUE(places <= marks_.size() && generation_ != UINT16_MAX)) {
    ++generation_;
  } else {
    Refill(places);
  }
  return Marker(marks_.data(), generation_);
}

}  // namespace groupguard::internal

#endif  // GROUPGUARD_LIB_MODEL_WEIGHT_TABLE_H_
