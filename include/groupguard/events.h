#ifndef GROUPGUARD_EVENTS_H_
#define GROUPGUARD_EVENTS_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "groupguard/moderation.h"

namespace groupguard {

// A state change the forum server may want to tell people about. Delivered to
// subscribers (Registry::Subscribe) after the change is durable, in the order of the
// store, never during recovery.
struct ModerationEvent {
  enum class Type : uint8_t {
    kPostHeld = 0,      // post_id, member, group; reasons
    kPostReleased = 1,  // approved by `actor`; feedback carries the labeled text
    kPostRejected = 2,  // rejected by `actor`; feedback carries the labeled text
    // member; site_wide, until (when the last flag ends) and, when site_wide,
    // site_wide_since and site_wide_until. Also sent when a flag holds the member in
    // more groups (another group, site-wide, or a group where a lift had exempted
    // them) or for longer (a later `until`, site_wide_until, or end in `group`).
    // ProbationStatusOf gives each group's end.
    kProbationStarted = 3,
    // member; group ("" = everywhere), by a moderator or an appeal; site_wide when
    // the member is held nowhere any more (also when lifting in one group removed
    // their last flags).
    kProbationLifted = 4,
    kProbationExpired = 5,  // member: the last flag ran out
    // member; site_wide, until and, when site_wide, site_wide_since and
    // site_wide_until. Some flags ran out and the rest hold the member in fewer
    // groups than at their last notice (kProbationStarted, a group's
    // kProbationLifted, kProbationNarrowed: ProbationStatusOf as it was then): no
    // longer site-wide, or no longer in a group that held them (a flagging group, or
    // a group a lift exempts once its own later flag ran out). A narrowing the member
    // could already see at a later notice is not sent again (ProbationStatusOf lists
    // where it still applies). Sent by ExpireProbations, like kProbationExpired.
    kProbationNarrowed = 6,
    // post_id, member (the author), group; actor "system". Taken out of the queue
    // without a review (Registry::Withdraw): no feedback, nothing against the member.
    // Also sent for each held post Registry::Forget removes, with the administrator
    // as actor, before that call's kMemberForgotten: these events share the Forget's
    // sequence (the only events that share one).
    kPostWithdrawn = 7,
    // member; actor (the administrator). Registry::Forget erased everything the
    // registry held about the member: a subscriber that keeps copies of events
    // (texts, statements, ids) should forget the member too.
    kMemberForgotten = 8,
    // member: they filed an appeal (Registry::FileAppeal), for the administrators'
    // page (Registry::ListAppeals has the statement; the event does not carry it).
    kAppealFiled = 9,
    // member; actor (the administrator), reason. The appeal was denied, or a grant
    // came after the probation had ended and closed it as moot (reason "moot: no
    // probation left; " and the administrator's). A granted appeal is a
    // kProbationLifted (the whole probation). An appeal also closes, with no event of
    // its own, when its probation ends (kProbationLifted with site_wide,
    // kProbationExpired) or when a flag after that end starts a new probation (a
    // kProbationStarted the member may appeal afresh).
    kAppealDenied = 10,
  };
  Type type = Type::kPostHeld;
  uint64_t sequence = 0;
  absl::Time time = absl::InfinitePast();
  MemberId actor;
  MemberId member;
  GroupId group;
  PostId post_id;
  bool site_wide = false;
  absl::Time until = absl::InfinitePast();
  // kAppealDenied and kProbationLifted: the reason the actor gave.
  std::string reason;
  // kProbationStarted when site_wide: since and until when it is site-wide (until
  // may be later, in the groups whose own flags last longer).
  absl::Time site_wide_since = absl::InfinitePast();
  absl::Time site_wide_until = absl::InfinitePast();
  std::vector<HoldReason> reasons;   // kPostHeld
  std::optional<Feedback> feedback;  // kPostReleased, kPostRejected
};

// Returns "post_held", "post_released", ... for logs.
absl::string_view EventTypeName(ModerationEvent::Type type);

// Called on the thread that made the change, after the change is durable and before
// that call returns, one notification at a time and in sequence order across threads
// (a change waits for every earlier change's notification). Not under the registry's
// writer lock: it may read the registry (CheckPosting, ProbationStatusOf, ListQueue,
// CanonicalDump, ...) and Unsubscribe, but must not change it: a change from within a
// subscriber returns kFailedPrecondition (Gate::Submit counts when it holds a post).
// Should be quick (hand work to a queue): later changes' notifications, and so their
// calls' returns, wait for it. For the same reason it must never wait for a change
// made on another thread (a Gate::Submit that holds a post included): that change
// waits for this notification to end, and neither would return.
using EventSubscriber = std::function<void(const ModerationEvent&)>;

}  // namespace groupguard

#endif  // GROUPGUARD_EVENTS_H_
