#ifndef GROUPGUARD_EVENTS_H_
#define GROUPGUARD_EVENTS_H_

#include <cstdint>
#include <functional>
#include <optional>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "groupguard/moderation.h"

namespace groupguard {

// A state change the forum server may want to tell people about. Delivered to
// subscribers (Registry::Subscribe) after the change is durable, in the order of the
// store, never during recovery.
struct ModerationEvent {
  enum class Type : uint8_t {
    kPostHeld = 0,          // post_id, member, group; reasons
    kPostReleased = 1,      // approved by `actor`; feedback carries the labeled text
    kPostRejected = 2,      // rejected by `actor`; feedback carries the labeled text
    kProbationStarted = 3,  // member; site_wide, until (also when it widens to site-wide)
    kProbationLifted = 4,   // member; group ("" = everywhere), by a moderator or appeal
    kProbationExpired = 5,  // member: the last flag ran out
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
  std::vector<HoldReason> reasons;   // kPostHeld
  std::optional<Feedback> feedback;  // kPostReleased, kPostRejected
};

// Returns "post_held", "post_released", ... for logs.
absl::string_view EventTypeName(ModerationEvent::Type type);

// Called on the thread that made the change, while the registry's writer lock is
// held: it may read the registry (CheckPosting, ProbationStatusOf, ListQueue, ...)
// and Unsubscribe, but must not change it, and should be quick (hand work to a
// queue). Gate::Submit counts as a change: a post it holds would deadlock.
using EventSubscriber = std::function<void(const ModerationEvent&)>;

}  // namespace groupguard

#endif  // GROUPGUARD_EVENTS_H_
