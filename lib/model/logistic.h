#ifndef GROUPGUARD_LIB_MODEL_LOGISTIC_H_
#define GROUPGUARD_LIB_MODEL_LOGISTIC_H_

#include <cstdint>
#include <utility>
#include <vector>

namespace groupguard::internal {

// One post as the trainer keeps it: its feature buckets (with repeats, in
// FeatureHasher order) and label.
struct LabeledFeatures {
  const std::vector<uint32_t>* buckets = nullptr;
  bool is_spam = false;
};

struct LogisticFitOptions {
  double l2 = 1e-4;
  int max_iterations = 300;
  int patience = 20;
  bool normalize = true;
  // If >= 0, run this many iterations (fewer only where the fit converges sooner)
  // with no early stopping: for refitting with the count early stopping chose. 0
  // keeps the starting weights: all 0, the bias at the log prior odds of `train`.
  int fixed_iterations = -1;
};

struct LogisticFit {
  std::vector<std::pair<uint32_t, float>> weights;  // nonzero, ascending bucket
  double bias = 0;
  int iterations = 0;  // iterations of the weights kept
};

// L2-regularized logistic regression, fitted with L-BFGS on the buckets seen in
// `train`, from weights 0 and the bias at the (add-one smoothed) log prior odds of
// `train`; stops early when the log loss of `validation` (may be empty) has not
// improved for `patience` iterations, keeping the best weights (those it started
// from, iteration 0, if it never improved). Deterministic.
// REQUIRES: `train` has both classes.
LogisticFit FitLogistic(const std::vector<LabeledFeatures>& train,
                        const std::vector<LabeledFeatures>& validation,
                        const LogisticFitOptions& options);

// Platt scaling: a, b minimizing the log loss of sigmoid(a * score + b) against
// the labels (with Platt's smoothed targets). Falls back to a = 1, b = 0 when the
// labels are all one class.
void FitPlatt(const std::vector<double>& scores, const std::vector<bool>& is_spam,
              double* a, double* b);

}  // namespace groupguard::internal

#endif  // GROUPGUARD_LIB_MODEL_LOGISTIC_H_
