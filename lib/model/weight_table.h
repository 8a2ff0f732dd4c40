#ifndef GROUPGUARD_LIB_MODEL_WEIGHT_TABLE_H_
#define GROUPGUARD_LIB_MODEL_WEIGHT_TABLE_H_

// The scoring weights, compact: a model trained on a few thousand posts uses ~5% of
// its 2^20 buckets, so instead of a dense float per bucket (4 MB, most of it zero,
// a cache miss per feature) it keeps one bit per bucket with a running count every
// 32 buckets, and the weights of the nonzero buckets only, in bucket order. Finding
// a weight is a bit test, a popcount and one load; the bits and counts of 2^20
// buckets take 256 KB and the weights of 66k buckets 260 KB (520 KB for an
// ensemble), so the whole table stays in L2. Absent buckets weigh 0.

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

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
  struct Block {
    uint32_t bits = 0;  // bucket 32 * i + j has a weight iff bit j is set
    uint32_t rank = 0;  // weighted buckets before this block
  };
  static constexpr int kBlockShift = 5;  // log2 of the buckets in a block
  static constexpr uint32_t kInBlock = (uint32_t{1} << kBlockShift) - 1;

 public:
  // `components[k]` lists (bucket, weight) of component k, ascending by bucket,
  // every bucket < num_buckets.
  WeightTable(uint32_t num_buckets,
              const std::vector<std::vector<std::pair<uint32_t, float>>>& components)
      : stride_(components.size()) {
    blocks_.assign((size_t{num_buckets} + kInBlock) >> kBlockShift, Block());
    for (const auto& list : components) {
      for (const auto& [bucket, w] : list) {
        if (w != 0)
          blocks_[bucket >> kBlockShift].bits |= uint32_t{1} << (bucket & kInBlock);
      }
    }
    uint32_t rank = 0;
    for (Block& block : blocks_) {
      block.rank = rank;
      rank += PopCount64(block.bits);
    }
    size_ = rank;
    weights_.assign(size_t{rank} * stride_, 0.0f);
    for (size_t k = 0; k < components.size(); ++k) {
      for (const auto& [bucket, w] : components[k]) {
        if (w != 0) weights_[Index(bucket) * stride_ + k] = w;
      }
    }
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
    const uint32_t bit = uint32_t{1} << (bucket & kInBlock);
    if ((block.bits & bit) == 0) return nullptr;
    const uint64_t below = block.bits & (bit - 1);
    const uint32_t rank_in_block =
        kHardwarePopCount ? static_cast<uint32_t>(__builtin_popcountll(below))
                          : PopCount64(below);
    return weights_.data() + (block.rank + size_t{rank_in_block}) * kStride;
  }

  // FindWithStride() on the table's arrays held by value, for a loop that keeps
  // them in registers. Valid while the table lives.
  class View {
   public:
    // Adds the weights of `bucket` (none if it has none) to sum0 and, for a stride
    // of 2, sum1. Same sums as adding FindWithStride(bucket)[k] when it is
    // non-null. (Two scalars, not an array: GCC keeps an array of sums in
    // memory, a load and a store per weight.)
    template <size_t kStride, bool kHardwarePopCount = false>
    void AddWeights(uint32_t bucket, double& sum0, double& sum1) const {
      static_assert(kStride == 1 || kStride == 2, "one or two components");
      const Block& block = blocks_[bucket >> kBlockShift];
      // The bucket's bit shifted to the top (the sign bit), the bits below it
      // under it: one test for the bit, and the bits up to it counted at once.
      const uint32_t upto = block.bits << (kInBlock - (bucket & kInBlock));
      if (static_cast<int32_t>(upto) >= 0) return;
      const uint32_t rank_upto =  // the bucket's own bit and the ones below it
          kHardwarePopCount ? static_cast<uint32_t>(__builtin_popcount(upto))
                            : PopCount64(upto);
      const float* w = weights_ + (block.rank + size_t{rank_upto} - 1) * kStride;
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
    const uint32_t bit = uint32_t{1} << (bucket & kInBlock);
    if ((block.bits & bit) == 0) return nullptr;
    const size_t index =
        block.rank + static_cast<size_t>(PopCount64(block.bits & (bit - 1)));
    return &weights_[index * stride_];
  }

 private:
  size_t Index(uint32_t bucket) const {
    const Block& block = blocks_[bucket >> kBlockShift];
    const uint32_t bit = uint32_t{1} << (bucket & kInBlock);
    return block.rank + static_cast<size_t>(PopCount64(block.bits & (bit - 1)));
  }

  size_t stride_;
  size_t size_ = 0;
  std::vector<Block> blocks_;
  std::vector<float> weights_;  // stride_ per weighted bucket, in bucket order
};

}  // namespace groupguard::internal

#endif  // GROUPGUARD_LIB_MODEL_WEIGHT_TABLE_H_
