// The registry as a state machine: the input is a sequence of calls (groups, roles,
// memberships, flags, lifts, posts through the gate, reviews, appeals, erasures,
// expiry, time passing, compaction) on a registry over a memory store, or raw records
// or a changed snapshot put in the store before it opens. Must never crash, and:
// - a registry reopened from its store (records, or snapshot and records) has the
//   same state (CanonicalDump) as the one that wrote it, at any point;
// - after Forget(member) no queue holds a post of theirs, they are not on probation,
//   and the audit log names them nowhere;
// - a member's ProbationStatusOf agrees with what the gate applies in each of their
//   groups (held there, since and until when), and never lists a group both as held
//   and as exempt;
// - a flag from a group where a lift exempts the member holds them there until the
//   flag's own end, not longer;
// - a "narrowed" notice is news: the member is held in fewer groups than
//   ProbationStatusOf said at their last notice (started, lifted, narrowed);
// - a probation's `since` does not move while it goes on (before an `until` seen
//   earlier, with no notice of its end between);
// - raw records, or a snapshot with bytes changed, that the registry cannot apply
//   fail Open with an error, never a crash.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "groupguard/clock.h"
#include "groupguard/event_store.h"
#include "groupguard/gate.h"
#include "groupguard/registry.h"

namespace {

using groupguard::EventStore;
using groupguard::Registry;

void Check(bool condition) {
  if (!condition) abort();
}

// A registry owns its store; this one lends the fuzzer's, so that the records outlive
// the registry that wrote them and a second registry can replay them.
class LentStore final : public EventStore {
 public:
  explicit LentStore(EventStore* target) : target_(target) {}
  absl::StatusOr<uint64_t> Append(absl::string_view record) override {
    return target_->Append(record);
  }
  absl::Status Recover(
      const std::function<absl::Status(absl::string_view, uint64_t)>& on_snapshot,
      const std::function<absl::Status(uint64_t, absl::string_view)>& on_record)
      override {
    return target_->Recover(on_snapshot, on_record);
  }
  absl::Status WriteSnapshot(absl::string_view snapshot, uint64_t through) override {
    return target_->WriteSnapshot(snapshot, through);
  }

 private:
  EventStore* target_;
};

// Reads the input a byte at a time; zeros once it is used up.
class Input {
 public:
  explicit Input(absl::string_view data) : data_(data) {}
  bool empty() const { return data_.empty(); }
  uint8_t Byte() {
    if (data_.empty()) return 0;
    const auto b = static_cast<uint8_t>(data_[0]);
    data_.remove_prefix(1);
    return b;
  }
  absl::string_view Rest() const { return data_; }

 private:
  absl::string_view data_;
};

constexpr int kMembers = 6;
constexpr int kGroups = 4;                   // the last one is not created at the start
constexpr absl::string_view kRoot = "root";  // an administrator nobody erases

std::string Member(uint8_t b) { return absl::StrCat("member", b % kMembers); }
std::string Group(uint8_t b) { return absl::StrCat("group", b % kGroups); }
// Who acts: root, or a member (who may or may not hold the role needed).
std::string Actor(uint8_t b) {
  return b % (kMembers + 1) == kMembers ? std::string(kRoot) : Member(b);
}

groupguard::RegistryOptions Options() {
  groupguard::RegistryOptions options;
  options.default_probation = absl::Hours(24);
  options.max_probation = absl::Hours(24 * 10);
  options.max_flags_per_window = 3;
  options.sitewide_after_distinct_groups = 2;
  options.flag_after_leaving = absl::Hours(12);
  options.audit_retention = absl::Hours(24 * 5);
  return options;
}

std::unique_ptr<Registry> Open(EventStore* store, const groupguard::Clock* clock) {
  auto opened = Registry::Open(std::make_unique<LentStore>(store), clock, Options());
  Check(opened.ok());
  return std::move(opened).value();
}

bool Contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

// Whether the probation holds the member in fewer groups in `now` than in `then`.
bool HeldInFewerGroups(const groupguard::ProbationStatus& then,
                       const groupguard::ProbationStatus& now) {
  if (then.site_wide && !now.site_wide) return true;
  if (then.site_wide) {  // held everywhere but exempt_in, then and now
    for (const std::string& g : now.exempt_in) {
      if (!Contains(then.exempt_in, g)) return true;
    }
    return false;
  }
  if (now.site_wide) return false;
  for (const std::string& g : then.held_in) {
    if (!Contains(now.held_in, g)) return true;
  }
  return false;
}

// What each member heard of their probation: ProbationStatusOf at their last notice.
class Notices {
 public:
  void Attach(Registry* registry) {
    registry->Subscribe([this, registry](const groupguard::ModerationEvent& e) {
      using Type = groupguard::ModerationEvent::Type;
      switch (e.type) {
        case Type::kProbationStarted:
        case Type::kProbationLifted:
        case Type::kProbationNarrowed: {
          groupguard::ProbationStatus now = registry->ProbationStatusOf(e.member);
          if (e.type == Type::kProbationNarrowed) {
            auto it = heard_.find(e.member);
            Check(it != heard_.end());
            Check(HeldInFewerGroups(it->second, now));
          }
          if (e.type == Type::kProbationLifted && !now.on_probation) {
            seen_.erase(e.member);  // held nowhere any more: it ended
          }
          heard_[e.member] = std::move(now);
          break;
        }
        case Type::kProbationExpired:
        case Type::kMemberForgotten:
          heard_.erase(e.member);
          seen_.erase(e.member);
          break;
        default:
          break;
      }
    });
  }

  // Checks that `member`'s probation, if it goes on from the one seen last, still
  // says it began when it did.
  void CheckSince(const Registry& registry, const std::string& member, absl::Time now) {
    const groupguard::ProbationStatus st = registry.ProbationStatusOf(member);
    if (!st.on_probation) return;
    auto it = seen_.find(member);
    if (it != seen_.end() && now < it->second.second) {
      Check(st.since == it->second.first);
    }
    seen_[member] = {st.since, st.until};
  }

 private:
  std::map<std::string, groupguard::ProbationStatus> heard_;
  // Each member's probation as last seen: since and until.
  std::map<std::string, std::pair<absl::Time, absl::Time>> seen_;
};

// Reopens from the store and checks that the state is the same.
void CheckReplay(std::unique_ptr<Registry>& registry, EventStore* store,
                 const groupguard::Clock* clock, Notices* notices = nullptr) {
  const std::string before = registry->CanonicalDump();
  registry.reset();
  registry = Open(store, clock);
  Check(registry->CanonicalDump() == before);
  if (notices != nullptr) notices->Attach(registry.get());
}

void CheckForgotten(const Registry& registry, const std::string& member) {
  Check(!registry.ProbationStatusOf(member).on_probation);
  for (int g = 0; g < kGroups; ++g) {
    auto queue = registry.ListQueue(kRoot, Group(static_cast<uint8_t>(g)));
    if (!queue.ok()) continue;  // no such group
    for (const groupguard::HeldPost& held : *queue) Check(held.post.member != member);
  }
  auto log = registry.AuditLog(kRoot);
  Check(log.ok());
  for (const groupguard::AuditEntry& entry : *log) {
    Check(entry.member != member && entry.actor != member);
  }
}

void CheckStatusAgreesWithGate(const Registry& registry, const std::string& member) {
  const groupguard::ProbationStatus st = registry.ProbationStatusOf(member);
  for (const std::string& g : st.exempt_in) Check(!Contains(st.held_in, g));
  Check(st.held_since.size() == st.held_in.size());
  Check(st.held_until.size() == st.held_in.size());
  for (int i = 0; i < kGroups; ++i) {
    const std::string group = Group(static_cast<uint8_t>(i));
    auto check = registry.CheckPosting(member, group);
    if (!check.ok()) continue;  // no such group, or not a member of it
    const auto it = std::find(st.held_in.begin(), st.held_in.end(), group);
    Check(check->probation.has_value() == (it != st.held_in.end()));
    if (!check->probation) continue;
    const size_t at = static_cast<size_t>(it - st.held_in.begin());
    Check(check->probation->probation_since == st.held_since[at]);
    Check(check->probation->probation_until == st.held_until[at]);
  }
}

// The id of a post held in Group(group) (the pick-th, cyclically), or of none.
std::string HeldPostId(const Registry& registry, uint8_t group, uint8_t pick) {
  auto queue = registry.ListQueue(kRoot, Group(group));
  if (!queue.ok() || queue->empty()) return "post-not-held";
  return (*queue)[pick % queue->size()].post.id;
}

groupguard::GroupPolicy Policy(uint8_t b) {
  groupguard::GroupPolicy policy;
  policy.hold_on_probation = (b & 1) == 0;
  policy.hold_unsure = (b & 2) == 0;
  return policy;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input in(absl::string_view(reinterpret_cast<const char*>(data), size));
  groupguard::ManualClock clock;
  std::unique_ptr<EventStore> store = groupguard::NewMemoryEventStore();

  const uint8_t mode = in.Byte();
  if (mode % 4 == 0) {
    // Raw records ('|' between them) after a valid beginning, or the bytes as the
    // registry's snapshot (one a store's checksum would pass): the registry opens with
    // them or refuses them, and what opens replays the same.
    const bool snapshot_mode = mode % 8 == 4;
    {
      std::unique_ptr<Registry> registry = Open(store.get(), &clock);
      Check(registry->AddAdministrator(kRoot).ok());
      Check(registry->CreateGroup("group0").ok());
      Check(registry->Join("member0", "group0").ok());
      if (snapshot_mode) {  // something in every part of the state, then a snapshot
        Check(registry->AddModerator("group0", "member1").ok());
        Check(registry->Join("member1", "group0").ok());
        Check(registry->Flag("member1", "member0", "group0", "spam").ok());
        groupguard::Gate gate(registry.get(), nullptr);
        Check(gate.Submit({"post0", "member0", "group0", "text"}).ok());
        Check(registry->FileAppeal("member0", "not me").ok());
        Check(registry->Leave("member1", "group0").ok());
        Check(registry->Compact().ok());
      }
    }
    const absl::string_view rest = in.Rest();
    if (snapshot_mode) {
      // That snapshot, changed at the input's (offset, xor) triples.
      std::string snapshot;
      uint64_t through = 0;
      Check(store
                ->Recover(
                    [&](absl::string_view s, uint64_t t) {
                      snapshot = std::string(s);
                      through = t;
                      return absl::OkStatus();
                    },
                    [](uint64_t, absl::string_view) { return absl::OkStatus(); })
                .ok());
      Check(!snapshot.empty());
      for (size_t i = 0; i + 3 <= rest.size(); i += 3) {
        const size_t at = (static_cast<uint8_t>(rest[i]) |
                           static_cast<size_t>(static_cast<uint8_t>(rest[i + 1])) << 8) %
                          snapshot.size();
        snapshot[at] ^= rest[i + 2];
      }
      Check(store->WriteSnapshot(snapshot, through).ok());
    } else {
      for (size_t start = 0;;) {
        const size_t end = rest.find('|', start);
        Check(store->Append(rest.substr(start, end - start)).ok());
        if (end == absl::string_view::npos) break;
        start = end + 1;
      }
    }
    auto opened =
        Registry::Open(std::make_unique<LentStore>(store.get()), &clock, Options());
    if (!opened.ok()) return 0;
    std::unique_ptr<Registry> registry = std::move(opened).value();
    CheckReplay(registry, store.get(), &clock);
    if (registry->Compact().ok()) CheckReplay(registry, store.get(), &clock);
    return 0;
  }

  // A world to start from, so that short inputs reach flags, holds and reviews:
  // every member in every group but the last, member0 moderating group0 and member1
  // group1.
  Notices notices;  // outlives the registries it is attached to
  std::unique_ptr<Registry> registry = Open(store.get(), &clock);
  notices.Attach(registry.get());
  Check(registry->AddAdministrator(kRoot).ok());
  for (uint8_t g = 0; g + 1 < kGroups; ++g) {
    Check(registry->CreateGroup(Group(g)).ok());
    for (uint8_t m = 0; m < kMembers; ++m)
      Check(registry->Join(Member(m), Group(g)).ok());
  }
  Check(registry->AddModerator(Group(0), Member(0)).ok());
  Check(registry->AddModerator(Group(1), Member(1)).ok());
  int posts = 0;
  int steps = 0;
  while (!in.empty() && ++steps <= 200) {
    const uint8_t op = in.Byte();
    const uint8_t a = in.Byte(), b = in.Byte(), c = in.Byte();
    absl::Status status;
    switch (op % 21) {
      case 0:
        status = registry->CreateGroup(Group(a), Policy(b));
        break;
      case 1:
        status = registry->AddAdministrator(Member(a));
        break;
      case 2:
        status = registry->RemoveAdministrator(Member(a));
        break;
      case 3:
        status = registry->AddModerator(Group(a), Member(b));
        break;
      case 4:
        status = registry->RemoveModerator(Group(a), Member(b));
        break;
      case 5:
        status = registry->Join(Member(a), Group(b));
        break;
      case 6:
        status = registry->Leave(Member(a), Group(b));
        break;
      case 7: {
        const bool exempt =
            Contains(registry->ProbationStatusOf(Member(b)).exempt_in, Group(c));
        const absl::Duration asked = absl::Hours(in.Byte() % 48);
        status = registry->Flag(Actor(a), Member(b), Group(c), "spam", asked);
        if (status.ok() && exempt) {
          // Held there again, until this flag's end (default and cap as Options()).
          const groupguard::ProbationStatus st = registry->ProbationStatusOf(Member(b));
          const auto it = std::find(st.held_in.begin(), st.held_in.end(), Group(c));
          Check(it != st.held_in.end());
          const absl::Duration given = std::min(
              asked == absl::ZeroDuration() ? Options().default_probation : asked,
              Options().max_probation);
          Check(st.held_until[static_cast<size_t>(it - st.held_in.begin())] ==
                clock.Now() + given);
        }
        break;
      }
      case 8:
        status = registry->Lift(Actor(a), Member(b), (c & 1) ? "" : Group(c), "ok");
        Check(!status.ok() || Actor(a) != Member(b));  // nobody decides their own case
        break;
      case 9: {  // a post through the gate (no classifier: probation decides)
        groupguard::Gate gate(registry.get(), nullptr);
        status = gate.Submit({absl::StrCat("post", posts++), Member(a), Group(b),
                              absl::StrCat("text ", c)})
                     .status();
        break;
      }
      case 10:
      case 11: {
        const std::string post = HeldPostId(*registry, b, c);
        auto feedback = op % 21 == 10
                            ? registry->Approve(Actor(a), Group(b), post, "fine")
                            : registry->Reject(Actor(a), Group(b), post, "spam");
        status = feedback.status();
        Check(!feedback.ok() || feedback->member != Actor(a));
        break;
      }
      case 12:
        status = registry->Withdraw(Group(a), HeldPostId(*registry, a, b), "deleted");
        break;
      case 13:
        status = registry->FileAppeal(Member(a), "it was not me");
        break;
      case 14: {  // a pending appeal if there is one
        auto appeals = registry->ListAppeals(kRoot);
        Check(appeals.ok());
        const std::string member =
            appeals->empty() ? Member(b) : (*appeals)[b % appeals->size()].member;
        status = registry->DecideAppeal(Actor(a), member, (c & 1) != 0, "decided");
        Check(!status.ok() || Actor(a) != member);
        break;
      }
      case 15: {
        const std::string member = Member(b);
        status = registry->Forget(Actor(a), member);
        if (status.ok()) CheckForgotten(*registry, member);
        break;
      }
      case 16:
        status = registry->ExpireProbations().status();
        break;
      case 17:
        clock.Advance(absl::Minutes(a) * (b % 64 + 1));
        break;
      case 18:
        status = registry->Compact();
        break;
      case 19:
        status = registry->SetGroupPolicy(Actor(a), Group(b), Policy(c));
        break;
      default:
        CheckReplay(registry, store.get(), &clock, &notices);
        break;
    }
    (void)status;  // refusals (roles, unknown ids, limits) are part of the game
    Check(registry->Health().ok());
    CheckStatusAgreesWithGate(*registry, Member(b));
    notices.CheckSince(*registry, Member(b), clock.Now());
  }
  CheckReplay(registry, store.get(), &clock, &notices);
  Check(registry->Compact().ok());
  CheckReplay(registry, store.get(), &clock, &notices);
  return 0;
}
