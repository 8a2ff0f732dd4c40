#include "model/naive_bayes.h"

#include <algorithm>
#include <cmath>
#include <new>

#include "absl/strings/str_cat.h"

namespace groupguard::internal {

void NaiveBayesCounts::Learn(absl::Span<const uint32_t> buckets, bool is_spam) {
  // Every bucket's entry first, then the counts: running out of memory making the
  // entries (std::bad_alloc) leaves the counts as they were, as the entries this
  // call made are the ones at zero (Unlearn erases an entry that comes back to it).
  try {
    for (uint32_t bucket : buckets) counts_.try_emplace(bucket);
  } catch (const std::bad_alloc&) {
    for (uint32_t bucket : buckets) {
      auto it = counts_.find(bucket);
      if (it != counts_.end() && it->second == std::array<int64_t, 2>{0, 0}) {
        counts_.erase(it);
      }
    }
    throw;
  }
  for (uint32_t bucket : buckets) ++counts_.find(bucket)->second[is_spam];
  totals_[is_spam] += static_cast<int64_t>(buckets.size());
  ++posts_[is_spam];
}

absl::Status NaiveBayesCounts::Unlearn(absl::Span<const uint32_t> buckets, bool is_spam) {
  std::unordered_map<uint32_t, int64_t> needed;
  for (uint32_t bucket : buckets) ++needed[bucket];
  if (posts_[is_spam] == 0) {
    return absl::FailedPreconditionError("naive Bayes: no post of this class to unlearn");
  }
  for (const auto& [bucket, n] : needed) {
    auto it = counts_.find(bucket);
    if (it == counts_.end() || it->second[is_spam] < n) {
      return absl::FailedPreconditionError(absl::StrCat(
          "naive Bayes: bucket ", bucket, " was not learned for this class"));
    }
  }
  for (const auto& [bucket, n] : needed) {
    auto it = counts_.find(bucket);
    it->second[is_spam] -= n;
    if (it->second[0] == 0 && it->second[1] == 0) counts_.erase(it);
  }
  totals_[is_spam] -= static_cast<int64_t>(buckets.size());
  --posts_[is_spam];
  return absl::OkStatus();
}

void NaiveBayesCounts::Merge(const NaiveBayesCounts& other) {
  for (const auto& [bucket, c] : other.counts_) {
    auto& mine = counts_[bucket];
    mine[0] += c[0];
    mine[1] += c[1];
  }
  for (int k = 0; k < 2; ++k) {
    totals_[k] += other.totals_[k];
    posts_[k] += other.posts_[k];
  }
}

std::vector<std::pair<uint32_t, float>> NaiveBayesCounts::Weights(double alpha,
                                                                  double* bias) const {
  std::vector<std::pair<uint32_t, float>> weights;
  weights.reserve(counts_.size());
  const double vocabulary = static_cast<double>(counts_.size());
  const double log_ham_total =
      std::log(static_cast<double>(totals_[0]) + alpha * vocabulary);
  const double log_spam_total =
      std::log(static_cast<double>(totals_[1]) + alpha * vocabulary);
  for (const auto& [bucket, c] : counts_) {
    const double llr = (std::log(static_cast<double>(c[1]) + alpha) - log_spam_total) -
                       (std::log(static_cast<double>(c[0]) + alpha) - log_ham_total);
    weights.emplace_back(bucket, static_cast<float>(llr));
  }
  std::sort(weights.begin(), weights.end());
  // Add-one smoothing of the prior, so a class without posts stays finite.
  *bias = std::log((static_cast<double>(posts_[1]) + 1) /
                   (static_cast<double>(posts_[0]) + 1));
  return weights;
}

std::vector<std::pair<uint32_t, float>> TfidfNaiveBayesWeights(
    const std::vector<CountedPost>& posts, double alpha, double* bias) {
  struct Bucket {
    int64_t posts = 0;      // posts containing the bucket
    size_t last_post = 0;   // 1 + index of the last post that counted it
    double count[2] = {0, 0};  // transformed count per class [ham, spam]
  };
  std::unordered_map<uint32_t, Bucket> buckets;
  double class_posts[2] = {0, 0};
  for (size_t i = 0; i < posts.size(); ++i) {
    class_posts[posts[i].is_spam] += 1;
    for (uint32_t b : *posts[i].buckets) {
      Bucket& bucket = buckets[b];
      if (bucket.last_post != i + 1) {
        bucket.last_post = i + 1;
        ++bucket.posts;
      }
    }
  }
  const double n = static_cast<double>(posts.size());
  auto idf = [n](const Bucket& b) {
    return std::log((1 + n) / (1 + static_cast<double>(b.posts))) + 1;
  };
  double totals[2] = {0, 0};
  for (const CountedPost& post : posts) {
    if (post.buckets->empty()) continue;
    const double scale = 1 / std::sqrt(static_cast<double>(post.buckets->size()));
    for (uint32_t b : *post.buckets) {
      Bucket& bucket = buckets[b];
      const double x = scale * idf(bucket);
      bucket.count[post.is_spam] += x;
      totals[post.is_spam] += x;
    }
  }
  const double vocabulary = static_cast<double>(buckets.size());
  const double log_ham_total = std::log(totals[0] + alpha * vocabulary);
  const double log_spam_total = std::log(totals[1] + alpha * vocabulary);
  std::vector<std::pair<uint32_t, float>> weights;
  weights.reserve(buckets.size());
  for (const auto& [b, bucket] : buckets) {
    const double llr = (std::log(bucket.count[1] + alpha) - log_spam_total) -
                       (std::log(bucket.count[0] + alpha) - log_ham_total);
    weights.emplace_back(b, static_cast<float>(idf(bucket) * llr));
  }
  std::sort(weights.begin(), weights.end());
  *bias = std::log((class_posts[1] + 1) / (class_posts[0] + 1));
  return weights;
}

}  // namespace groupguard::internal
