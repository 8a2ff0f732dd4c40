#ifndef GROUPGUARD_LIB_MODEL_NAIVE_BAYES_H_
#define GROUPGUARD_LIB_MODEL_NAIVE_BAYES_H_

#include <array>
#include <cstdint>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"

namespace groupguard::internal {

// Multinomial naive Bayes over hashed features, as per-class counts that learn and
// unlearn one post at a time. Not thread-safe.
class NaiveBayesCounts {
 public:
  // Counts each occurrence of a bucket in `buckets` for the post's class.
  void Learn(absl::Span<const uint32_t> buckets, bool is_spam);
  // Undoes Learn() of the same buckets and class. Returns kFailedPrecondition (and
  // changes nothing) if the counts do not contain them.
  absl::Status Unlearn(absl::Span<const uint32_t> buckets, bool is_spam);
  // Adds all of `other`'s counts.
  void Merge(const NaiveBayesCounts& other);

  int64_t posts(bool is_spam) const { return posts_[is_spam]; }
  int64_t distinct_buckets() const { return static_cast<int64_t>(counts_.size()); }

  // The scorer: for every bucket seen in training, ascending, the log-likelihood
  // ratio log P(bucket | spam) - log P(bucket | ham) with additive smoothing `alpha`
  // over the buckets seen; and the log prior odds in `bias`. Unseen buckets weigh 0.
  std::vector<std::pair<uint32_t, float>> Weights(double alpha, double* bias) const;

  bool operator==(const NaiveBayesCounts& other) const {
    return counts_ == other.counts_ && totals_ == other.totals_ && posts_ == other.posts_;
  }

 private:
  std::unordered_map<uint32_t, std::array<int64_t, 2>> counts_;   // [ham, spam]
  std::array<int64_t, 2> totals_ = {0, 0};                        // occurrences per class
  std::array<int64_t, 2> posts_ = {0, 0};
};

// Multinomial naive Bayes over idf-weighted, length-normalized counts (Rennie, Shih,
// Teevan and Karger 2003, "Tackling the poor assumptions of naive Bayes text
// classifiers", transforms 2 and 3): each occurrence of bucket b in a post of n
// feature occurrences adds idf(b) / sqrt(n) to its class's count of b, with
// idf(b) = ln((1 + posts) / (1 + posts containing b)) + 1. The weights returned are
// idf(b) * (log P(b | spam) - log P(b | ham)) (additive smoothing `alpha` over the
// buckets seen), ascending by bucket, so that bias + (sum of the weights of a post's
// buckets) / sqrt(n) is the log-odds of that post's transformed vector: score it with
// 1/sqrt(count) scaling. `bias` gets the add-one smoothed log prior odds.
struct CountedPost {
  const std::vector<uint32_t>* buckets = nullptr;
  bool is_spam = false;
};
std::vector<std::pair<uint32_t, float>> TfidfNaiveBayesWeights(
    const std::vector<CountedPost>& posts, double alpha, double* bias);

}  // namespace groupguard::internal

#endif  // GROUPGUARD_LIB_MODEL_NAIVE_BAYES_H_
