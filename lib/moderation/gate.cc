#include "groupguard/gate.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "util/status_macros.h"
#include "util/thread_scratch.h"

namespace groupguard {
namespace {

// Numbers every classifier a gate is given (at construction and by SetClassifier),
// process-wide: one number is one gate's classifier at one time, whatever the gate.
std::atomic<uint64_t> next_classifier_version{1};

// The classifier this thread last submitted with, and its number. While the gate's
// number is the same, Submit takes the classifier from here: it touches nothing that
// other threads write (std::atomic_load of the gate's shared_ptr takes a lock from a
// pool libstdc++ shares among all threads, and a copy bumps one shared reference
// count: both stop scaling with cores). It keeps a replaced classifier alive until
// this thread submits with another one or ends. A ThreadScratch, not a thread_local
// object (whose destructor's registration running out of memory ends the process).
struct ThreadClassifier {
  ~ThreadClassifier();
  uint64_t version = 0;
  std::shared_ptr<const Classifier> classifier;
};
// Set once this thread's copy is destroyed (at the thread's end): a Submit after
// that, say from a thread-specific key's destructor, must not make another.
// Trivially destructible, so it is never destroyed.
thread_local bool thread_classifier_gone = false;
ThreadClassifier::~ThreadClassifier() { thread_classifier_gone = true; }

// A clue as a hold reason keeps it: at most GateOptions::kMaxClueBytes, cut before a
// UTF-8 continuation byte and marked with "...". A clue quotes a token, and one
// "word" of a long post could otherwise make the held post's record several times
// the post's size.
std::string ShortClue(std::string clue) {
  constexpr size_t kMax = GateOptions::kMaxClueBytes;
  if (clue.size() <= kMax) return clue;
  size_t cut = kMax - 3;
  while (cut > 0 && (static_cast<unsigned char>(clue[cut]) & 0xC0) == 0x80) --cut;
  clue.resize(cut);
  clue += "...";
  return clue;
}

}  // namespace

Gate::Gate(Registry* registry, std::shared_ptr<const Classifier> classifier,
           GateOptions options)
    : registry_(registry),
      classifier_(std::move(classifier)),
      classifier_version_(next_classifier_version.fetch_add(1)),
      options_(options) {
  options_.max_clues = std::clamp(options_.max_clues, 0, 100);
}

// Not owned: a shared_ptr that deletes nothing.
Gate::Gate(Registry* registry, const Classifier* classifier, GateOptions options)
    : Gate(registry,
           std::shared_ptr<const Classifier>(classifier, [](const Classifier*) {}),
           options) {}

void Gate::SetClassifier(std::shared_ptr<const Classifier> classifier) {
  std::lock_guard<std::mutex> l(set_mu_);
  std::atomic_store(&classifier_, std::move(classifier));
  // After the store: a thread that sees the new number loads the new classifier.
  classifier_version_.store(next_classifier_version.fetch_add(1),
                            std::memory_order_release);
}

std::shared_ptr<const Classifier> Gate::classifier() const {
  return std::atomic_load(&classifier_);
}

const Classifier* Gate::ThreadCopyOfClassifier(
    std::shared_ptr<const Classifier>* kept) const {
  if (thread_classifier_gone) {
    *kept = std::atomic_load(&classifier_);
    return kept->get();
  }
  const uint64_t version = classifier_version_.load(std::memory_order_acquire);
  ThreadClassifier& mine = internal::ThreadScratch<ThreadClassifier>::Get();
  if (mine.version != version) {
    mine.classifier = std::atomic_load(&classifier_);
    mine.version = version;
  }
  return mine.classifier.get();
}

absl::StatusOr<Decision> Gate::Submit(const Submission& post) const {
  // Every id, whatever the decision: Hold would refuse a bad one, so a post must not
  // be published with an id it could not have been held with.
  GG_RETURN_IF_ERROR(ValidateId("post", post.id));
  GG_RETURN_IF_ERROR(ValidateId("member", post.member));
  GG_RETURN_IF_ERROR(ValidateId("group", post.group));
  if (post.text.size() > options_.max_post_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("post text is ", post.text.size(), " bytes; at most ",
                     options_.max_post_bytes, " (GateOptions::max_post_bytes)"));
  }
  GG_ASSIGN_OR_RETURN(Registry::PostingCheck check,
                      registry_->CheckPosting(post.member, post.group));
  const GroupPolicy& policy = check.policy;
  Decision d;
  bool classifier_holds = false;
  bool reject = false;
  std::optional<HoldReason> classifier_reason;
  // One classifier for the whole decision, kept alive across a SetClassifier by this
  // thread's copy. Only used before Hold: Hold's subscribers run on this thread and
  // may Submit to another gate, which replaces the copy.
  std::shared_ptr<const Classifier> kept;  // set only once the copy is gone
  const Classifier* const classifier = ThreadCopyOfClassifier(&kept);
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
      so.clue_spans = false;  // a reason carries the clues' names alone
      Verdict v = classifier->Score(post.text, so);
      HoldReason r;
      r.kind = HoldReason::Kind::kClassifier;
      r.spam_probability = p;
      r.label = label;
      for (Clue& c : v.clues) r.clues.push_back(ShortClue(std::move(c.feature)));
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
  GG_ASSIGN_OR_RETURN(HeldPost queued, registry_->Hold(held, d.reasons));
  d.text_truncated = queued.text_truncated;
  return d;
}

}  // namespace groupguard
