#include "groupguard/moderation.h"

#include "absl/strings/str_cat.h"
#include "groupguard/events.h"

namespace groupguard {

absl::Status ValidateId(absl::string_view what, absl::string_view id) {
  if (id.empty()) return absl::InvalidArgumentError(absl::StrCat(what, " id is empty"));
  if (id.size() > kMaxIdBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " id is ", id.size(), " bytes; at most ", kMaxIdBytes));
  }
  return absl::OkStatus();
}

absl::string_view ActionName(Decision::Action action) {
  switch (action) {
    case Decision::Action::kPublish:
      return "publish";
    case Decision::Action::kHold:
      return "hold";
    case Decision::Action::kReject:
      return "reject";
  }
  return "unknown";
}

absl::string_view EventTypeName(ModerationEvent::Type type) {
  switch (type) {
    case ModerationEvent::Type::kPostHeld:
      return "post_held";
    case ModerationEvent::Type::kPostReleased:
      return "post_released";
    case ModerationEvent::Type::kPostRejected:
      return "post_rejected";
    case ModerationEvent::Type::kProbationStarted:
      return "probation_started";
    case ModerationEvent::Type::kProbationLifted:
      return "probation_lifted";
    case ModerationEvent::Type::kProbationExpired:
      return "probation_expired";
    case ModerationEvent::Type::kProbationNarrowed:
      return "probation_narrowed";
    case ModerationEvent::Type::kPostWithdrawn:
      return "post_withdrawn";
    case ModerationEvent::Type::kMemberForgotten:
      return "member_forgotten";
    case ModerationEvent::Type::kAppealFiled:
      return "appeal_filed";
    case ModerationEvent::Type::kAppealDenied:
      return "appeal_denied";
  }
  return "unknown";
}

}  // namespace groupguard
