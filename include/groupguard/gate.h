#ifndef GROUPGUARD_GATE_H_
#define GROUPGUARD_GATE_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>

#include "absl/status/statusor.h"
#include "groupguard/classifier.h"
#include "groupguard/moderation.h"
#include "groupguard/registry.h"

namespace groupguard {

struct GateOptions {
  // How many classifier clues a hold or reject reason carries. 0..100 (values
  // outside are clamped). Each is at most kMaxClueBytes of the feature's text.
  int max_clues = 5;
  // A post whose text is longer is refused (kInvalidArgument) before anything is
  // decided, whatever the decision would be: it bounds what one post costs (the
  // classifier reads all of it; a held one is kept in memory and in the store). It
  // need not fit the store's record limit (JournalOptions::max_record_bytes): a held
  // post whose record would be over it is held with its text cut to fit
  // (Registry::Hold, HeldPost::text_truncated). With the defaults (1 MiB records)
  // nothing is cut. (A forum's own limit on posts is usually far lower.)
  size_t max_post_bytes = size_t{512} << 10;
  static constexpr size_t kMaxClueBytes = 256;
};

// The posting gate: decides publish / hold / reject for each new post from the
// author's probation status, the classifier's verdict and the group's policy, and
// puts held posts in the group's queue.
//
//   reject  if P(spam) >= policy.reject_threshold;
//   hold    if the author is on probation here (and policy.hold_on_probation), or
//           P(spam) >= hold threshold, or policy.hold_unsure and the label is
//           "unsure" or "spam" (P(spam) >= the model's unsure threshold);
//   publish otherwise.
//
// For a member not on probation the decision reads in-memory state only and never
// waits for another member's disk write, only for the sync of a change to this member
// or group still in flight (Registry::CheckPosting); a hold itself is written durably
// before Submit returns.
//
// Thread-safe; neither copyable nor movable. `registry` is not owned and must outlive
// the gate. The classifier may
// be null: then only probation and policy decide. A retrained model goes in with
// SetClassifier while posts are being submitted, without a restart.
class Gate {
 public:
  // Shares ownership of `classifier`.
  Gate(Registry* registry, std::shared_ptr<const Classifier> classifier,
       GateOptions options = {});
  // Does not own `classifier`, which must outlive the gate, or, once replaced by
  // SetClassifier, every Submit that started before the replacement (the gate cannot
  // keep a borrowed classifier alive: prefer the shared_ptr form with SetClassifier).
  Gate(Registry* registry, const Classifier* classifier, GateOptions options = {});
  // No classifier (until SetClassifier).
  Gate(Registry* registry, std::nullptr_t, GateOptions options = {})
      : Gate(registry, std::shared_ptr<const Classifier>(), options) {}

  // Replaces the classifier (null: none) for every later Submit. A Submit already
  // running finishes with the classifier it started with. The gate's reference to a
  // shared one is dropped here; each thread that submitted keeps a reference to the
  // classifier it last used (so Submit shares no reference count among threads)
  // until it submits with another one or ends, so a replaced classifier is freed
  // once every such thread has submitted again.
  void SetClassifier(std::shared_ptr<const Classifier> classifier);
  // The classifier Submit uses now (null if none).
  std::shared_ptr<const Classifier> classifier() const;

  // Decides on `post`. A post the gate takes is held, published or rejected by the
  // rules above whatever its size: a held one over the store's record limit is held
  // with its text cut to fit (Decision::text_truncated and the queue's HeldPost say
  // so), never published or refused for being long. Errors: kInvalidArgument if
  // post.id, post.member or post.group is empty or over kMaxIdBytes, or post.text is
  // over GateOptions::max_post_bytes (checked first, whatever the decision would be: a
  // post that could not be held is not published either), kNotFound (unknown group),
  // kFailedPrecondition (author not a member), kAlreadyExists (post id already held),
  // kUnavailable for every post once the registry has failed (Registry::Health():
  // reopen it and build a new gate), or the store's error for a hold the store could
  // not take or make durable (which fails the registry).
  absl::StatusOr<Decision> Submit(const Submission& post) const;

 private:
  Registry* registry_;
  // This thread's copy of classifier_ (see gate.cc), loaded again when
  // classifier_version_ has changed since. Once the thread's copy is destroyed (a
  // Submit from a destructor at the thread's end), classifier_ is loaded into *kept.
  const Classifier* ThreadCopyOfClassifier(std::shared_ptr<const Classifier>* kept) const;

  // Replaced with std::atomic_store (C++17's atomic operations on a shared_ptr), then
  // classifier_version_ is given a number never used before by any gate.
  std::shared_ptr<const Classifier> classifier_;
  std::atomic<uint64_t> classifier_version_;
  std::mutex set_mu_;  // SetClassifier's: one replacement at a time
  GateOptions options_;
};

}  // namespace groupguard

#endif  // GROUPGUARD_GATE_H_
