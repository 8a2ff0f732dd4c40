#ifndef GROUPGUARD_MODERATION_H_
#define GROUPGUARD_MODERATION_H_

// The vocabulary of the moderation registry and the posting gate: ids, posts,
// per-group policies, decisions with their reasons, held posts, probation status,
// labeled feedback and audit entries. Plain value types; not thread-safe to mutate,
// safe to copy between threads.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "groupguard/classifier.h"

namespace groupguard {

// Ids are the forum server's own opaque strings (non-empty, at most kMaxIdBytes).
inline constexpr size_t kMaxIdBytes = 1024;
// OK if `id` is a valid id: non-empty and at most kMaxIdBytes. Otherwise
// kInvalidArgument naming `what` ("post", "member", "group", ...) and the size, not
// the id itself. What the registry and the gate check every id against.
absl::Status ValidateId(absl::string_view what, absl::string_view id);

using MemberId = std::string;
using GroupId = std::string;
using PostId = std::string;

// A post submitted to the gate.
struct Submission {
  PostId id;        // unique within its group while held
  MemberId member;  // the author
  GroupId group;    // where it is posted; the author must be a member
  std::string text;
  absl::Time time = absl::InfinitePast();  // when it was written; InfinitePast = now
};

// How one group treats posts. Set when the group is created, changed by its
// moderators or a site administrator.
struct GroupPolicy {
  // P(spam) at or above which a post is held for review, in [0, 1]. Unset: the
  // classifier's own spam_threshold().
  std::optional<double> hold_threshold;
  // P(spam) at or above which a post is rejected outright, in [0, 1], not below
  // hold_threshold when both are set. Unset: never; every suspicious post waits for
  // a human.
  std::optional<double> reject_threshold;
  // Whether a post the classifier labels "unsure" is held, and so every post from
  // the model's unsure threshold up ("unsure" or "spam"), whatever hold_threshold
  // says: a hold_threshold above the unsure threshold matters only without this.
  bool hold_unsure = true;
  // Whether posts of a member on probation in this group are held. A group that
  // turns this off still sees the probation as a reason when the classifier holds.
  bool hold_on_probation = true;
};

// HoldReason::flagged_from lists at most this many groups.
inline constexpr size_t kMaxFlaggedFromListed = 16;

// Why a post was held or rejected.
struct HoldReason {
  enum class Kind : uint8_t {
    kProbation = 0,   // the author is on probation in this group
    kClassifier = 1,  // the classifier's verdict under the group's policy
  };
  Kind kind = Kind::kProbation;

  // kProbation: since when and until when it holds the author in this group (the
  // group's own flags, or the site-wide probation until too few groups' flags are
  // left for it, but not in a group where a lift exempts the member: whichever ends
  // later), whether the site-wide probation holds the author here (it holds them in
  // every group but those where a moderator lifted it: ProbationStatus::exempt_in,
  // which a reason does not copy: it is about other groups and changes after the
  // hold; read it live. In such a group a later flag from that group holds the author
  // by its own right: false, and the window is that flag's), and the groups
  // whose moderators flagged the author (never the moderators themselves): how many, and
  // the first kMaxFlaggedFromListed of them by name (every held post's event carries
  // its reasons, so a member flagged in thousands of groups must not make each one
  // that large).
  absl::Time probation_since = absl::InfinitePast();
  absl::Time probation_until = absl::InfinitePast();
  bool site_wide = false;
  std::vector<GroupId> flagged_from;  // sorted, at most kMaxFlaggedFromListed
  int64_t flagged_from_count = 0;     // all the flagging groups

  // kClassifier: the verdict and its strongest clues (feature names).
  double spam_probability = 0;
  Label label = Label::kHam;
  std::vector<std::string> clues;
};

// The gate's answer for one post.
struct Decision {
  enum class Action : uint8_t {
    kPublish = 0,  // show it now
    kHold = 1,     // it waits in the group's queue for a moderator
    kReject = 2,   // refuse it (the classifier is sure under the group's policy)
  };
  Action action = Action::kPublish;
  std::vector<HoldReason> reasons;  // empty for kPublish
  // The classifier's P(spam), if a classifier was consulted.
  std::optional<double> spam_probability;
  // kHold only: the queue keeps only the beginning of the post's text, cut to fit the
  // store's record limit (HeldPost::text_truncated). The server should keep its own
  // copy of the whole post, to show the moderators and to publish if approved.
  bool text_truncated = false;
};

// Returns "publish", "hold" or "reject".
absl::string_view ActionName(Decision::Action action);

// A post waiting in a group's moderation queue.
struct HeldPost {
  Submission post;
  std::vector<HoldReason> reasons;
  absl::Time held_at = absl::InfinitePast();
  uint64_t sequence = 0;  // the event that held it; the queue is in this order
  // Whether post.text is only the beginning of the text submitted: a held post is one
  // record in the store, and one over the store's limit is held with its text cut to
  // fit (Registry::Hold), on a UTF-8 character boundary. original_text_bytes is the
  // submitted text's size (post.text.size() when whole). A server that shows or
  // publishes a held post should use its own copy of a cut one.
  bool text_truncated = false;
  uint64_t original_text_bytes = 0;
};

// A reviewed post, as a labeled example for retraining: approved = ham, rejected =
// spam.
struct Feedback {
  PostId post_id;
  GroupId group;
  MemberId member;
  std::string text;
  // The held post's text was cut to fit the store (HeldPost::text_truncated): `text`
  // is only its beginning.
  bool text_truncated = false;
  bool is_spam = false;
  MemberId reviewer;
  absl::Time time = absl::InfinitePast();
};

// What a member may learn about their own probation: whether, since and until when,
// and where it applies; never who flagged them or why.
struct ProbationStatus {
  bool on_probation = false;
  // Held in every group, including ones joined later, except those in exempt_in,
  // from site_wide_since until site_wide_until: while flags from enough groups, by
  // enough different people (RegistryOptions::sitewide_after_distinct_groups), are
  // in force. site_wide_since
  // is when it last became site-wide: it has been since without a break, also when
  // the flags that made it so have run out and others keep it site-wide. A flagging
  // group's own flags may hold the member there longer (held_until).
  bool site_wide = false;
  absl::Time site_wide_since = absl::InfinitePast();  // when site_wide
  absl::Time site_wide_until = absl::InfinitePast();  // when site_wide
  // Sorted: every group where it holds the member now, never one in exempt_in: the
  // flagging groups and, when site_wide, also every group the member is in (and any
  // they join before site_wide_until, which are not listed).
  std::vector<GroupId> held_in;
  // Parallel to held_in: since and until when it holds the member there, as a held
  // post's probation reason gives it (the group's own flags, or the site-wide
  // probation: whichever began earlier and ends later).
  std::vector<absl::Time> held_since;
  std::vector<absl::Time> held_until;
  // Sorted: the groups whose moderators lifted it there, for the rest of this
  // probation (Registry::Lift with a group); never in held_in (a later flag from such
  // a group holds the member there until that flag ends: meanwhile the group is in
  // held_in, then here again). Mostly of note when site_wide: the member is not held
  // in these.
  std::vector<GroupId> exempt_in;
  // When this probation began: the member has been on probation since without a
  // break, also when the flags of that time have run out or been lifted in their
  // groups (it does not move as they do; a probation that begins after this one
  // ended has its own). A registry opened from a snapshot written by an older library
  // knows only the active flags' earliest start for the probations in it.
  absl::Time since = absl::InfinitePast();
  absl::Time until = absl::InfinitePast();  // when the last active flag ends
  bool appeal_pending = false;
};

// What the audit log (and other members' flag records) say in place of a member
// that Registry::Forget erased.
inline constexpr absl::string_view kForgottenMember = "(forgotten)";

// One line of the audit log: every authorized action that changed something.
struct AuditEntry {
  uint64_t sequence = 0;  // the event's sequence number in the store
  absl::Time time = absl::InfinitePast();
  MemberId actor;      // "system" for server-side changes and expiry
  std::string action;  // "flag", "lift", "approve", "reject", "appeal", ...
  // subject member, if any; kForgottenMember once Registry::Forget erased them (and
  // so for actor)
  MemberId member;
  GroupId group;       // group, if any
  PostId post_id;      // post, if any
  std::string reason;
};

// An appeal a member filed against their probation.
struct Appeal {
  MemberId member;
  std::string statement;
  absl::Time filed_at = absl::InfinitePast();
};

}  // namespace groupguard

#endif  // GROUPGUARD_MODERATION_H_
