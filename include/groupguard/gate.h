#ifndef GROUPGUARD_GATE_H_
#define GROUPGUARD_GATE_H_

#include "absl/status/statusor.h"
#include "groupguard/classifier.h"
#include "groupguard/moderation.h"
#include "groupguard/registry.h"

namespace groupguard {

struct GateOptions {
  // How many classifier clues a hold or reject reason carries. 0..100.
  int max_clues = 5;
};

// The posting gate: decides publish / hold / reject for each new post from the
// author's probation status, the classifier's verdict and the group's policy, and
// puts held posts in the group's queue.
//
//   reject  if P(spam) >= policy.reject_threshold;
//   hold    if the author is on probation here (and policy.hold_on_probation), or
//           P(spam) >= hold threshold, or the label is "unsure" and policy.hold_unsure;
//   publish otherwise.
//
// For a member not on probation the decision reads in-memory state only and never
// waits for a moderator action's disk write; a hold itself is written durably before
// Submit returns.
//
// Thread-safe. Holds non-owning pointers: `registry` and `classifier` must outlive the
// gate. `classifier` may be null: then only probation and policy decide.
class Gate {
 public:
  Gate(Registry* registry, const Classifier* classifier, GateOptions options = {});

  // Decides on `post`. Errors: kInvalidArgument (empty id), kNotFound (unknown group),
  // kFailedPrecondition (author not a member), kAlreadyExists (post id already held),
  // or the store's error for a hold that could not be made durable.
  absl::StatusOr<Decision> Submit(const Submission& post) const;

 private:
  Registry* registry_;
  const Classifier* classifier_;
  GateOptions options_;
};

}  // namespace groupguard

#endif  // GROUPGUARD_GATE_H_
