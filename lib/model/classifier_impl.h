#ifndef GROUPGUARD_LIB_MODEL_CLASSIFIER_IMPL_H_
#define GROUPGUARD_LIB_MODEL_CLASSIFIER_IMPL_H_

#include <cmath>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "groupguard/classifier.h"
#include "groupguard/tokenizer.h"
#include "groupguard_internal/model/model.pb.h"
#include "model/features.h"
#include "model/weight_table.h"

namespace groupguard::internal {

TokenizerOptions TokenizerOptionsFromProto(const model::TokenizerConfig& config);
FeatureOptions FeatureOptionsFromProto(const model::FeatureConfig& config);
BinaryMetrics MetricsFromProto(const model::Metrics& proto);

// Bytes of scoring scratch (tokenization, buckets, sets) the calling thread holds.
// A thread keeps it between posts, except what a long post grew it to (freed when
// over 32 MiB after a post over 64 KiB).
size_t ThreadScratchBytes();

// 1 / (1 + exp(-z)); 0.5 for NaN.
double Sigmoid(double z);

// The raw score from the sum of the weights of `count` feature occurrences: how
// both the classifier and the trainer finish a score, so they agree to the bit.
inline double FinishRawScore(double bias, bool normalize, double sum, uint32_t count) {
  if (normalize && count > 0) sum /= std::sqrt(static_cast<double>(count));
  return bias + sum;
}

// One linear scorer of a model (an ensemble has two).
struct ComponentParams {
  double bias = 0;
  bool normalize = false;  // divide the weight sum by sqrt(number of features)
  double weight = 1;       // of this component's raw score in the model's raw score
};

// The model's raw score from each component's sum of weights over `count` feature
// occurrences. Shared by the classifier and the trainer, so they agree to the bit.
inline double CombineRawScore(const std::vector<ComponentParams>& components,
                              const double* sums, uint32_t count) {
  double raw = 0;
  for (size_t k = 0; k < components.size(); ++k) {
    raw += components[k].weight *
           FinishRawScore(components[k].bias, components[k].normalize, sums[k], count);
  }
  return raw;
}
// CombineRawScore() of a model of kComponents components: the same operations in
// the same order, so the same result to the bit, for the scoring loop, which
// knows the count (unrolled, without the vector's size and the loop: 17
// instructions a post).
template <size_t kComponents>
double CombineRawScoreOf(const ComponentParams* components, const double* sums,
                         uint32_t count) {
  double raw = 0;
  for (size_t k = 0; k < kComponents; ++k) {
    raw += components[k].weight *
           FinishRawScore(components[k].bias, components[k].normalize, sums[k], count);
  }
  return raw;
}

// Every model, once loaded: one weight table (a float per bucket and component; for
// naive Bayes the per-bucket log-likelihood ratio), a bias and Platt calibration, so a
// score is tokenize -> hash -> sum. Immutable; per-call scratch is thread-local.
class LinearClassifier final : public Classifier {
 public:
  // `model` must have passed DecodeModelFile; returns kDataLoss if its options
  // are rejected by the tokenizer or the feature hasher.
  static absl::StatusOr<std::unique_ptr<Classifier>> Create(const model::Model& model,
                                                            int64_t file_bytes);

  Verdict Score(absl::string_view text, const ScoreOptions& options) const override;
  using Classifier::Score;
  double SpamProbability(absl::string_view text) const override;
  Label LabelFor(double spam_probability) const override;
  double unsure_threshold() const override { return unsure_threshold_; }
  double spam_threshold() const override { return spam_threshold_; }
  const ModelInfo& info() const override { return info_; }

 private:
  LinearClassifier(Tokenizer tokenizer, FeatureHasher hasher);

  double RawScore(const Tokenization& tokens) const;
  double Calibrate(double raw) const {
    return Sigmoid(calibration_a_ * raw + calibration_b_);
  }

  Tokenizer tokenizer_;
  FeatureHasher hasher_;
  // Weights: `stride_` floats per weighted bucket (one per component), side by
  // side so an ensemble reads one cache line per feature.
  std::unique_ptr<WeightTable> table_;
  size_t stride_ = 1;
  bool hardware_popcount_ = false;  // the CPU has POPCNT (see RawScore)
  std::vector<ComponentParams> components_;
  double calibration_a_ = 1;
  double calibration_b_ = 0;
  double unsure_threshold_ = 0.5;
  double spam_threshold_ = 0.5;
  ModelInfo info_;
};

}  // namespace groupguard::internal

#endif  // GROUPGUARD_LIB_MODEL_CLASSIFIER_IMPL_H_
