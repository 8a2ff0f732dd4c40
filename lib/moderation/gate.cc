#include "groupguard/gate.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "util/status_macros.h"

namespace groupguard {

Gate::Gate(Registry* registry, std::shared_ptr<const Classifier> classifier,
           GateOptions options)
    : registry_(registry),
      classifier_(std::move(classifier)),
      has_classifier_(classifier_ != nullptr),
      options_(options) {
  options_.max_clues = std::clamp(options_.max_clues, 0, 100);
}

// Not owned: a shared_ptr that deletes nothing.
Gate::Gate(Registry* registry, const Classifier* classifier, GateOptions options)
    : Gate(registry,
           std::shared_ptr<const Classifier>(classifier, [](const Classifier*) {}),
           options) {}

void Gate::SetClassifier(std::shared_ptr<const Classifier> classifier) {
  const bool has = classifier != nullptr;
  std::lock_guard<std::mutex> l(set_mu_);
  std::atomic_store(&classifier_, std::move(classifier));
  has_classifier_.store(has);
}

std::shared_ptr<const Classifier> Gate::classifier() const {
  return std::atomic_load(&classifier_);
}

absl::StatusOr<Decision> Gate::Submit(const Submission& post) const {
  // Every id, whatever the decision: Hold would refuse a bad one, so a post must not
  // be published with an id it could not have been held with.
  GG_RETURN_IF_ERROR(ValidateId("post", post.id));
  GG_RETURN_IF_ERROR(ValidateId("member", post.member));
  GG_RETURN_IF_ERROR(ValidateId("group", post.group));
  GG_ASSIGN_OR_RETURN(Registry::PostingCheck check,
                      registry_->CheckPosting(post.member, post.group));
  const GroupPolicy& policy = check.policy;
  Decision d;
  bool classifier_holds = false;
  bool reject = false;
  std::optional<HoldReason> classifier_reason;
  // One classifier for the whole decision, kept alive across a SetClassifier.
  const std::shared_ptr<const Classifier> classifier =
      has_classifier_.load() ? std::atomic_load(&classifier_) : nullptr;
  if (classifier != nullptr) {
    const double p = classifier->SpamProbability(post.text);
    d.spam_probability = p;
    const Label label = classifier->LabelFor(p);
    const double hold_at = policy.hold_threshold.value_or(classifier->spam_threshold());
    reject = policy.reject_threshold.has_value() && p >= *policy.reject_threshold;
    // With hold_unsure, held from the model's unsure threshold up (its "unsure" and
    // "spam" labels) whatever hold_at is: a more spam-like post is never less held.
    classifier_holds = p >= hold_at || (policy.hold_unsure && label != Label::kHam);
    if (reject || classifier_holds) {
      ScoreOptions so;
      so.max_clues = options_.max_clues;
      Verdict v = classifier->Score(post.text, so);
      HoldReason r;
      r.kind = HoldReason::Kind::kClassifier;
      r.spam_probability = p;
      r.label = label;
      for (Clue& c : v.clues) r.clues.push_back(std::move(c.feature));
      classifier_reason = std::move(r);
    }
  }
  const bool probation_holds = check.probation.has_value() && policy.hold_on_probation;
  if (!reject && !probation_holds && !classifier_holds) return d;  // publish

  if (check.probation) d.reasons.push_back(*check.probation);
  if (classifier_reason) d.reasons.push_back(*classifier_reason);
  if (reject) {
    d.action = Decision::Action::kReject;
    return d;
  }
  d.action = Decision::Action::kHold;
  Submission held = post;
  if (held.time == absl::InfinitePast()) held.time = registry_->clock().Now();
  GG_RETURN_IF_ERROR(registry_->Hold(held, d.reasons).status());
  return d;
}

}  // namespace groupguard
