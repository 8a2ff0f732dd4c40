#include "model/logistic.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <deque>
#include <limits>
#include <vector>

#include "Eigen/Core"
#include "Eigen/SparseCore"

namespace groupguard::internal {
namespace {

using Vector = Eigen::VectorXd;
// 64-bit offsets: Eigen's default int ones overflow past 2^31 - 1 (post, feature)
// entries (about 14 million posts of 150 features), well within what a trainer
// may hold. They cost 4 more bytes an entry; building the rows directly, without
// Eigen's triplet list and its transposed copy, saves more than that.
using Matrix = Eigen::SparseMatrix<double, Eigen::RowMajor, std::ptrdiff_t>;
static_assert(sizeof(Matrix::StorageIndex) == 8, "design offsets must be 64-bit");

// log(1 + exp(x)) without overflow.
double Softplus(double x) {
  return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
}
double Logistic(double x) { return 1.0 / (1.0 + std::exp(-x)); }

struct Design {
  Matrix x;
  Vector y;  // 0 or 1
};

// Rows of `posts` over the columns of `columns` (sorted buckets); buckets without a
// column are dropped (their weight is 0), and a bucket's repeats in a post summed.
Design BuildDesign(const std::vector<LabeledFeatures>& posts,
                   const std::vector<uint32_t>& columns, bool normalize) {
  Design d;
  const auto rows = static_cast<Eigen::Index>(posts.size());
  d.y.resize(rows);
  d.x.resize(rows, static_cast<Eigen::Index>(columns.size()));
  Eigen::Index entries = 0;  // at most this many
  for (const LabeledFeatures& post : posts) {
    entries += static_cast<Eigen::Index>(post.buckets->size());
  }
  d.x.reserve(entries);
  std::vector<Eigen::Index> row;  // scratch: the post's columns
  for (Eigen::Index i = 0; i < rows; ++i) {
    const LabeledFeatures& post = posts[static_cast<size_t>(i)];
    const std::vector<uint32_t>& buckets = *post.buckets;
    const double value =
        normalize && !buckets.empty() ? 1.0 / std::sqrt(double{1} * buckets.size()) : 1.0;
    row.clear();
    for (uint32_t bucket : buckets) {
      auto it = std::lower_bound(columns.begin(), columns.end(), bucket);
      if (it != columns.end() && *it == bucket) row.push_back(it - columns.begin());
    }
    std::sort(row.begin(), row.end());
    d.x.startVec(i);
    for (size_t k = 0; k < row.size();) {
      double& entry = d.x.insertBack(i, row[k]);
      entry = value;
      // Repeats add up one at a time, as Eigen's setFromTriplets summed them.
      for (++k; k < row.size() && row[k] == row[k - 1]; ++k) entry += value;
    }
    d.y[i] = post.is_spam ? 1.0 : 0.0;
  }
  d.x.finalize();
  return d;
}

// Mean log loss (+ penalty) and its gradient; theta = [w; bias].
double LossAndGradient(const Design& d, const Vector& theta, double l2,
                       Vector* gradient) {
  const Eigen::Index n_w = theta.size() - 1;
  const double bias = theta[n_w];
  const Vector z = (d.x * theta.head(n_w)).array() + bias;
  const double n = static_cast<double>(d.y.size());
  double loss = 0;
  Vector r(z.size());
  for (Eigen::Index i = 0; i < z.size(); ++i) {
    loss += d.y[i] > 0 ? Softplus(-z[i]) : Softplus(z[i]);
    r[i] = (Logistic(z[i]) - d.y[i]) / n;
  }
  loss = loss / n + 0.5 * l2 * theta.head(n_w).squaredNorm();
  if (gradient != nullptr) {
    gradient->resize(theta.size());
    gradient->head(n_w) = d.x.transpose() * r + l2 * theta.head(n_w);
    (*gradient)[n_w] = r.sum();
  }
  return loss;
}

double MeanLogLoss(const Design& d, const Vector& theta) {
  if (d.y.size() == 0) return 0;
  return LossAndGradient(d, theta, 0, nullptr);
}

}  // namespace

LogisticFit FitLogistic(const std::vector<LabeledFeatures>& train,
                        const std::vector<LabeledFeatures>& validation,
                        const LogisticFitOptions& options) {
  std::vector<uint32_t> columns;
  for (const LabeledFeatures& post : train) {
    columns.insert(columns.end(), post.buckets->begin(), post.buckets->end());
  }
  std::sort(columns.begin(), columns.end());
  columns.erase(std::unique(columns.begin(), columns.end()), columns.end());
  const Design d = BuildDesign(train, columns, options.normalize);
  const Design v = BuildDesign(validation, columns, options.normalize);
  const bool early_stopping = options.fixed_iterations < 0 && v.y.size() > 0;
  const int max_iterations =
      options.fixed_iterations >= 0 ? options.fixed_iterations : options.max_iterations;

  const Eigen::Index dim = static_cast<Eigen::Index>(columns.size()) + 1;
  Vector theta = Vector::Zero(dim);
  // Start the bias at the log prior odds.
  const double spam = d.y.sum();
  theta[dim - 1] = std::log((spam + 1) / (static_cast<double>(d.y.size()) - spam + 1));
  Vector gradient;
  double loss = LossAndGradient(d, theta, options.l2, &gradient);

  Vector best = theta;
  int best_iteration = 0;
  double best_validation =
      early_stopping ? MeanLogLoss(v, theta) : std::numeric_limits<double>::infinity();
  constexpr int kHistory = 10;
  std::deque<Vector> s_history, y_history;
  std::deque<double> rho_history;
  int iteration = 0;
  for (iteration = 1; iteration <= max_iterations; ++iteration) {
    // Two-loop recursion: direction = -H * gradient.
    Vector q = gradient;
    std::vector<double> alpha(s_history.size());
    for (int k = static_cast<int>(s_history.size()) - 1; k >= 0; --k) {
      alpha[k] = rho_history[k] * s_history[k].dot(q);
      q -= alpha[k] * y_history[k];
    }
    double gamma = 1.0;
    if (!s_history.empty()) {
      gamma = s_history.back().dot(y_history.back()) / y_history.back().squaredNorm();
    } else {
      gamma = 1.0 / std::max(1.0, gradient.norm());
    }
    Vector direction = gamma * q;
    for (size_t k = 0; k < s_history.size(); ++k) {
      const double beta = rho_history[k] * y_history[k].dot(direction);
      direction += s_history[k] * (alpha[k] - beta);
    }
    direction = -direction;
    double slope = gradient.dot(direction);
    if (slope >= 0) {  // not a descent direction: restart from steepest descent
      s_history.clear();
      y_history.clear();
      rho_history.clear();
      direction = -gradient / std::max(1.0, gradient.norm());
      slope = gradient.dot(direction);
    }
    // Backtracking line search (Armijo).
    double step = 1.0;
    Vector next, next_gradient;
    double next_loss = loss;
    bool accepted = false;
    for (int tries = 0; tries < 40; ++tries) {
      next = theta + step * direction;
      next_loss = LossAndGradient(d, next, options.l2, &next_gradient);
      if (next_loss <= loss + 1e-4 * step * slope) {
        accepted = true;
        break;
      }
      step *= 0.5;
    }
    if (!accepted) break;
    Vector s = next - theta;
    Vector y = next_gradient - gradient;
    const double sy = s.dot(y);
    if (sy > 1e-12) {
      s_history.push_back(std::move(s));
      y_history.push_back(std::move(y));
      rho_history.push_back(1.0 / sy);
      if (static_cast<int>(s_history.size()) > kHistory) {
        s_history.pop_front();
        y_history.pop_front();
        rho_history.pop_front();
      }
    }
    const double improvement = loss - next_loss;
    theta = std::move(next);
    gradient = std::move(next_gradient);
    loss = next_loss;
    if (early_stopping) {
      const double validation_loss = MeanLogLoss(v, theta);
      if (validation_loss < best_validation) {
        best_validation = validation_loss;
        best = theta;
        best_iteration = iteration;
      } else if (iteration - best_iteration >= options.patience) {
        break;
      }
    } else {
      best = theta;
      best_iteration = iteration;
    }
    if (gradient.norm() < 1e-7 || improvement < 1e-12 * std::max(1.0, loss)) break;
  }

  LogisticFit fit;
  fit.iterations = best_iteration;
  fit.bias = best[dim - 1];
  for (size_t c = 0; c < columns.size(); ++c) {
    const float w = static_cast<float>(best[static_cast<Eigen::Index>(c)]);
    if (w != 0) fit.weights.emplace_back(columns[c], w);
  }
  return fit;
}

void FitPlatt(const std::vector<double>& scores, const std::vector<bool>& is_spam,
              double* a, double* b) {
  *a = 1;
  *b = 0;
  double positives = 0, negatives = 0;
  for (bool spam : is_spam) (spam ? positives : negatives) += 1;
  if (positives == 0 || negatives == 0) return;
  const double hi = (positives + 1) / (positives + 2);
  const double lo = 1 / (negatives + 2);
  auto objective = [&](double A_, double B_) {
    double f = 0;
    for (size_t i = 0; i < scores.size(); ++i) {
      const double t = is_spam[i] ? hi : lo;
      const double z = A_ * scores[i] + B_;
      f += t * Softplus(-z) + (1 - t) * Softplus(z);
    }
    return f;
  };
  // Newton's method with step halving on the 2-parameter log loss (Platt 1999, as
  // refined by Lin, Lin and Weng 2007) from (A, B). Returns whether it converged.
  auto newton = [&](double& A, double& B, double& f) {
    f = objective(A, B);
    for (int iteration = 0; iteration < 100; ++iteration) {
      double g1 = 0, g2 = 0, h11 = 1e-12, h22 = 1e-12, h21 = 0;
      for (size_t i = 0; i < scores.size(); ++i) {
        const double t = is_spam[i] ? hi : lo;
        const double p = Logistic(A * scores[i] + B);
        const double d1 = p - t;
        const double d2 = p * (1 - p);
        g1 += scores[i] * d1;
        g2 += d1;
        h11 += scores[i] * scores[i] * d2;
        h22 += d2;
        h21 += scores[i] * d2;
      }
      if (std::fabs(g1) < 1e-9 && std::fabs(g2) < 1e-9) return true;
      const double det = h11 * h22 - h21 * h21;
      if (!(det > 0)) return false;
      const double dA = -(h22 * g1 - h21 * g2) / det;
      const double dB = -(-h21 * g1 + h11 * g2) / det;
      double step = 1;
      bool moved = false;
      while (step > 1e-10) {
        const double nf = objective(A + step * dA, B + step * dB);
        if (nf < f + 1e-4 * step * (g1 * dA + g2 * dB)) {
          A += step * dA;
          B += step * dB;
          f = nf;
          moved = true;
          break;
        }
        step /= 2;
      }
      // No decrease found: at the minimum to rounding, or the (near-singular)
      // Hessian of a saturated start pointed nowhere useful.
      if (!moved) return false;
    }
    return true;
  };
  // From the identity map first (a model that is already calibrated stays close to
  // it). Where every score is far from 0, sigmoid(score) saturates there, the
  // Hessian is ~0 and Newton cannot move: then also from Platt's own start (slope 0,
  // the prior log-odds) and keep the clearly better fit.
  double A = 1, B = 0, f = 0;
  const bool converged = newton(A, B, f);
  if (!converged || !std::isfinite(f)) {
    double A2 = 0, B2 = std::log((positives + 1) / (negatives + 1)), f2 = 0;
    newton(A2, B2, f2);
    // Only a clearly better fit replaces the first one (not a rounding difference).
    if (std::isfinite(A2) && std::isfinite(B2) &&
        (!std::isfinite(f) || f2 < f - 1e-9 * std::max(1.0, std::fabs(f)))) {
      A = A2;
      B = B2;
    }
  }
  if (std::isfinite(A) && std::isfinite(B)) {
    *a = A;
    *b = B;
  }
}

}  // namespace groupguard::internal
