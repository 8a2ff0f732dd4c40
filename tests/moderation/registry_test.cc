#include "groupguard/registry.h"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "../store/store_test_util.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "groupguard/clock.h"
#include "groupguard/event_store.h"
#include "groupguard_internal/moderation/events.pb.h"
#include "gtest/gtest.h"
#include "moderation/registry_testing.h"
#include "moderation_test_util.h"
#include "store/journal_testing.h"

namespace groupguard {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using Type = ModerationEvent::Type;

class RegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Reopen();
    BuildWorld();
  }

  void Reopen() {
    registry_.reset();
    auto r = Registry::Open(std::make_unique<testing::SharedStore>(base_.get(), &fail_),
                            &clock_, options_);
    ASSERT_TRUE(r.ok()) << r.status();
    registry_ = std::move(r).value();
    registry_->Subscribe(recorder_.AsSubscriber());
  }

  // The state is `dump` again when replayed from the events, and from a snapshot.
  void ExpectSameAfterReopenAndCompact(const std::string& dump) {
    Reopen();
    EXPECT_EQ(registry_->CanonicalDump(), dump);
    ASSERT_TRUE(registry_->Compact().ok());
    Reopen();  // from the snapshot
    EXPECT_EQ(registry_->CanonicalDump(), dump);
  }

  void BuildWorld() {
    for (const char* g : {"cats", "dogs", "birds"})
      ASSERT_TRUE(registry_->CreateGroup(g).ok());
    ASSERT_TRUE(registry_->AddAdministrator("admin").ok());
    ASSERT_TRUE(registry_->AddModerator("cats", "mod_cats").ok());
    ASSERT_TRUE(registry_->AddModerator("dogs", "mod_dogs").ok());
    ASSERT_TRUE(registry_->Join("alice", "cats").ok());
    ASSERT_TRUE(registry_->Join("alice", "dogs").ok());
    ASSERT_TRUE(registry_->Join("bob", "cats").ok());
  }

  bool HeldIn(const std::string& member, const std::string& group) {
    auto c = registry_->CheckPosting(member, group);
    EXPECT_TRUE(c.ok()) << c.status();
    return c.ok() && c->probation.has_value();
  }

  std::unique_ptr<EventStore> base_ = NewMemoryEventStore();
  std::atomic<bool> fail_{false};
  ManualClock clock_;
  RegistryOptions options_;
  testing::EventRecorder recorder_;
  std::unique_ptr<Registry> registry_;
};

TEST_F(RegistryTest, MembershipRules) {
  EXPECT_EQ(registry_->Join("alice", "cats").code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(registry_->Leave("bob", "dogs").code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(registry_->Join("alice", "fish").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(registry_->Join("", "cats").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(registry_->CreateGroup("cats").code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(registry_->Leave("bob", "cats").ok());
  EXPECT_EQ(registry_->CheckPosting("bob", "cats").status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(registry_->CheckPosting("bob", "fish").status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(RegistryTest, FlagPutsMemberOnProbationEverywhereIncludingGroupsJoinedLater) {
  ASSERT_TRUE(
      registry_->Flag("mod_cats", "alice", "cats", "link farm", absl::Hours(48)).ok());
  EXPECT_TRUE(HeldIn("alice", "cats"));
  EXPECT_TRUE(HeldIn("alice", "dogs"));
  EXPECT_FALSE(HeldIn("bob", "cats"));
  ASSERT_TRUE(registry_->Join("alice", "birds").ok());
  auto c = registry_->CheckPosting("alice", "birds");
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(c->probation.has_value());
  EXPECT_TRUE(c->probation->site_wide);
  EXPECT_THAT(c->probation->flagged_from, ElementsAre("cats"));
  EXPECT_EQ(c->probation->probation_since, clock_.Now());
  EXPECT_EQ(c->probation->probation_until, clock_.Now() + absl::Hours(48));
  EXPECT_THAT(recorder_.types(), ElementsAre(Type::kProbationStarted));
  EXPECT_TRUE(recorder_.events()[0].site_wide);
}

// A member flagged in many groups: each held post's reasons (and its event in the
// store) name the first kMaxFlaggedFromListed groups and count them all, so they do
// not grow with the number of flags.
TEST_F(RegistryTest, HoldReasonsListAFewFlaggingGroupsAndCountThemAll) {
  constexpr int kGroups = 40;
  for (int i = 0; i < kGroups; ++i) {
    const std::string group = absl::StrFormat("g%02d", kGroups - 1 - i);  // not in order
    ASSERT_TRUE(registry_->CreateGroup(group).ok());
    ASSERT_TRUE(registry_->AddModerator(group, "mod_" + group).ok());
    ASSERT_TRUE(registry_->Join("alice", group).ok());
    ASSERT_TRUE(
        registry_->Flag("mod_" + group, "alice", group, "spam", absl::Hours(48)).ok());
  }
  std::vector<std::string> first;
  for (size_t i = 0; i < kMaxFlaggedFromListed; ++i) {
    first.push_back(absl::StrFormat("g%02d", static_cast<int>(i)));
  }
  auto c = registry_->CheckPosting("alice", "cats");
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_TRUE(c->probation.has_value());
  EXPECT_EQ(c->probation->flagged_from, first);
  EXPECT_EQ(c->probation->flagged_from_count, kGroups);

  Submission post{"p1", "alice", "cats", "hello", clock_.Now()};
  ASSERT_TRUE(registry_->Hold(post, {*c->probation}).ok());
  Reopen();
  auto queue = registry_->ListQueue("admin", "cats");
  ASSERT_TRUE(queue.ok()) << queue.status();
  ASSERT_EQ(queue->size(), 1u);
  ASSERT_EQ((*queue)[0].reasons.size(), 1u);
  EXPECT_EQ((*queue)[0].reasons[0].flagged_from, first);
  EXPECT_EQ((*queue)[0].reasons[0].flagged_from_count, kGroups);
}

// A reason with more names than kMaxFlaggedFromListed and no count: what events
// written before flagged_from_count existed hold (every flagging group, count 0),
// and what a caller's own reasons may say. The queue lists the first
// kMaxFlaggedFromListed and counts them all, before and after a reopen.
TEST_F(RegistryTest, HoldReasonsWithoutACountAreCountedAndCut) {
  HoldReason old;
  old.kind = HoldReason::Kind::kProbation;
  for (int i = 0; i < 40; ++i) old.flagged_from.push_back(absl::StrFormat("g%02d", i));
  const std::vector<std::string> first(old.flagged_from.begin(),
                                       old.flagged_from.begin() + kMaxFlaggedFromListed);
  Submission post{"p1", "alice", "cats", "hello", clock_.Now()};
  auto held = registry_->Hold(post, {old});
  ASSERT_TRUE(held.ok()) << held.status();
  ASSERT_EQ(held->reasons.size(), 1u);
  EXPECT_EQ(held->reasons[0].flagged_from, first);
  EXPECT_EQ(held->reasons[0].flagged_from_count, 40);
  Reopen();
  auto queue = registry_->ListQueue("admin", "cats");
  ASSERT_TRUE(queue.ok()) << queue.status();
  ASSERT_EQ(queue->size(), 1u);
  EXPECT_EQ((*queue)[0].reasons[0].flagged_from, first);
  EXPECT_EQ((*queue)[0].reasons[0].flagged_from_count, 40);
}

// The member hears of every flag that holds them longer: a second flag with a later
// end is announced with that end; one that ends earlier changes nothing they see.
TEST_F(RegistryTest, AFlagThatLengthensTheProbationIsAnnounced) {
  ASSERT_TRUE(registry_->Flag("mod_cats", "alice", "cats", "spam", absl::Hours(2)).ok());
  clock_.Advance(absl::Hours(1));
  ASSERT_TRUE(registry_->Flag("mod_cats", "alice", "cats", "again", absl::Hours(1)).ok());
  EXPECT_THAT(recorder_.types(), ElementsAre(Type::kProbationStarted));
  ASSERT_TRUE(registry_->Flag("mod_dogs", "alice", "dogs", "spam", absl::Hours(48)).ok());
  ASSERT_THAT(recorder_.types(),
              ElementsAre(Type::kProbationStarted, Type::kProbationStarted));
  EXPECT_EQ(recorder_.events()[1].until, clock_.Now() + absl::Hours(48));
  EXPECT_EQ(recorder_.events()[1].group, "dogs");
  EXPECT_EQ(registry_->ProbationStatusOf("alice").until, clock_.Now() + absl::Hours(48));
}

// Counts `needle` in `haystack`.
int Occurrences(const std::string& haystack, const std::string& needle) {
  int n = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos;
       at = haystack.find(needle, at + needle.size())) {
    ++n;
  }
  return n;
}

// A member flagged again and again by one group: the flags are one record while it
// is in force (earliest start, latest end), so later calls about the member do not
// grow with the number of flags; the audit log still has every flag, and the member
// sees the same since and until.
TEST_F(RegistryTest, RepeatedFlagsFromOneGroupKeepOneRecord) {
  const absl::Time t0 = clock_.Now();
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(registry_->Flag("admin", "alice", "cats", "again", absl::Hours(10)).ok());
    clock_.Advance(absl::Minutes(1));
  }
  ASSERT_TRUE(registry_->Flag("admin", "alice", "cats", "short", absl::Hours(1)).ok());
  ASSERT_TRUE(registry_->Flag("mod_dogs", "alice", "dogs", "spam", absl::Hours(2)).ok());
  const std::string dump = registry_->CanonicalDump();
  EXPECT_EQ(Occurrences(dump, "flags {"), 2) << dump;
  int flags_audited = 0;
  // Held in a variable: a range-for over *AuditLog() would read a destroyed temporary.
  auto audit = registry_->AuditLog("admin");
  ASSERT_TRUE(audit.ok()) << audit.status();
  for (const AuditEntry& a : *audit) flags_audited += a.action == "flag" ? 1 : 0;
  EXPECT_EQ(flags_audited, 52);
  const absl::Time last_end = t0 + absl::Minutes(49) + absl::Hours(10);
  ProbationStatus st = registry_->ProbationStatusOf("alice");
  EXPECT_EQ(st.since, t0);
  EXPECT_EQ(st.until, last_end);
  auto cats = registry_->CheckPosting("alice", "cats");
  ASSERT_TRUE(cats.ok() && cats->probation.has_value());
  EXPECT_EQ(cats->probation->probation_until, last_end);
  EXPECT_EQ(cats->probation->flagged_from_count, 2);
  Reopen();
  EXPECT_EQ(registry_->CanonicalDump(), dump);
  // Once it has run out, a flag from the same group is a record of its own.
  clock_.Advance(absl::Hours(11));
  ASSERT_TRUE(registry_->Flag("admin", "alice", "cats", "back", absl::Hours(1)).ok());
  EXPECT_EQ(registry_->ProbationStatusOf("alice").since, clock_.Now());
  ASSERT_EQ(*registry_->ExpireProbations(), 0);
  EXPECT_EQ(Occurrences(registry_->CanonicalDump(), "flags {"), 1);
}

TEST_F(RegistryTest, ProbationSurvivesLeavingAndRejoining) {
  ASSERT_TRUE(registry_->Flag("mod_cats", "alice", "cats", "spam").ok());
  ASSERT_TRUE(registry_->Leave("alice", "cats").ok());
  ASSERT_TRUE(registry_->Leave("alice", "dogs").ok());
  EXPECT_TRUE(registry_->ProbationStatusOf("alice").on_probation);
  ASSERT_TRUE(registry_->Join("alice", "cats").ok());
  EXPECT_TRUE(HeldIn("alice", "cats"));
}

TEST_F(RegistryTest, FlagRequiresMembershipAndRights) {
  const std::string before = registry_->CanonicalDump();
  EXPECT_EQ(registry_->Flag("mod_dogs", "bob", "dogs", "spam").code(),
            absl::StatusCode::kFailedPrecondition);  // bob is not in dogs
  EXPECT_EQ(registry_->Flag("mod_dogs", "bob", "cats", "spam").code(),
            absl::StatusCode::kPermissionDenied);  // not a moderator of cats
  EXPECT_EQ(registry_->Flag("bob", "alice", "cats", "spam").code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(registry_->Flag("mod_cats", "alice", "cats", "").code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(registry_->Flag("mod_cats", "alice", "cats", "x", -absl::Hours(1)).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(registry_->CanonicalDump(), before);
  EXPECT_THAT(recorder_.types(), IsEmpty());
  // A site administrator may flag from any group the member is in.
  EXPECT_TRUE(registry_->Flag("admin", "bob", "cats", "spam").ok());
}

// A spammer who leaves a group (or whom the forum removes) before its moderators get
// to the queue can still be flagged from it for options.flag_after_leaving (30 days
// by default), and the flag holds them everywhere else.
TEST_F(RegistryTest, MembersWhoLeftRecentlyCanStillBeFlagged) {
  ASSERT_TRUE(registry_->Join("bob", "dogs").ok());
  ASSERT_TRUE(registry_->Leave("bob", "cats").ok());
  clock_.Advance(absl::Hours(24 * 29));
  ASSERT_TRUE(registry_->Flag("mod_cats", "bob", "cats", "prize spam").ok());
  EXPECT_TRUE(HeldIn("bob", "dogs"));  // site-wide: held where they still post
  EXPECT_TRUE(registry_->ProbationStatusOf("bob").on_probation);
  // Leaving both groups changes nothing for a site administrator either.
  ASSERT_TRUE(registry_->Leave("alice", "cats").ok());
  ASSERT_TRUE(registry_->Leave("alice", "dogs").ok());
  EXPECT_TRUE(registry_->Flag("admin", "alice", "dogs", "spam").ok());
  // Never a member: still refused; another group's moderator: still denied.
  EXPECT_EQ(registry_->Flag("mod_dogs", "carol", "dogs", "spam").code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(registry_->Flag("mod_dogs", "alice", "cats", "spam").code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(RegistryTest, FlagAfterLeavingEndsWithItsWindow) {
  ASSERT_TRUE(registry_->Leave("bob", "cats").ok());
  clock_.Advance(absl::Hours(24 * 30));
  absl::Status late = registry_->Flag("mod_cats", "bob", "cats", "spam");
  EXPECT_EQ(late.code(), absl::StatusCode::kFailedPrecondition) << late;
  EXPECT_THAT(std::string(late.message()), ::testing::HasSubstr("has not left it"));
  // Rejoining and leaving again starts a new window.
  ASSERT_TRUE(registry_->Join("bob", "cats").ok());
  ASSERT_TRUE(registry_->Leave("bob", "cats").ok());
  EXPECT_TRUE(registry_->Flag("mod_cats", "bob", "cats", "spam").ok());
}

// ExpireProbations keeps the departures (it writes no event for them): pruned
// there, a clock stepped back into the window found this registry refusing a flag
// that the same registry reopened from its store allowed. Compact prunes them, and
// its snapshot drops the same ones.
TEST_F(RegistryTest, DeparturesAreTheSameAfterAReopenWhenTheClockStepsBack) {
  ASSERT_TRUE(registry_->Join("bob", "dogs").ok());
  ASSERT_TRUE(registry_->Leave("bob", "cats").ok());
  clock_.Advance(absl::Hours(24 * 31));
  ASSERT_TRUE(registry_->ExpireProbations().ok());
  clock_.Advance(-absl::Hours(24 * 2));  // 29 days after the leave
  EXPECT_TRUE(registry_->Flag("mod_cats", "bob", "cats", "spam").ok());
  const std::string dump = registry_->CanonicalDump();
  Reopen();
  EXPECT_EQ(registry_->CanonicalDump(), dump);
  // Compacted 31 days after the leave, then the clock back again: gone in both.
  ASSERT_TRUE(registry_->Leave("alice", "cats").ok());
  clock_.Advance(absl::Hours(24 * 31));
  ASSERT_TRUE(registry_->Compact().ok());
  clock_.Advance(-absl::Hours(24 * 2));
  const absl::Status live = registry_->Flag("mod_cats", "alice", "cats", "spam");
  EXPECT_EQ(live.code(), absl::StatusCode::kFailedPrecondition) << live;
  Reopen();
  const absl::Status reopened = registry_->Flag("mod_cats", "alice", "cats", "spam");
  EXPECT_EQ(reopened.code(), absl::StatusCode::kFailedPrecondition) << reopened;
}

TEST_F(RegistryTest, FlagAfterLeavingCanBeTurnedOff) {
  options_.flag_after_leaving = absl::ZeroDuration();
  Reopen();
  ASSERT_TRUE(registry_->Leave("bob", "cats").ok());
  EXPECT_EQ(registry_->Flag("mod_cats", "bob", "cats", "spam").code(),
            absl::StatusCode::kFailedPrecondition);
}

// Departures come back from the journal and from snapshots, and a snapshot keeps
// only those that still count.
TEST_F(RegistryTest, DeparturesSurviveReopenAndCompaction) {
  ASSERT_TRUE(registry_->Leave("bob", "cats").ok());  // counts until day 30
  clock_.Advance(absl::Hours(24 * 20));
  ASSERT_TRUE(registry_->Leave("alice", "cats").ok());  // until day 50
  ASSERT_TRUE(registry_->Leave("alice", "dogs").ok());
  ASSERT_TRUE(registry_->Join("alice", "dogs").ok());  // back in dogs
  const std::string before = registry_->CanonicalDump();
  EXPECT_THAT(before, ::testing::HasSubstr("departures"));
  ExpectSameAfterReopenAndCompact(before);
  clock_.Advance(absl::Hours(24 * 15));  // day 35: bob's departure no longer counts
  const std::string later = registry_->CanonicalDump();
  EXPECT_NE(later, before);
  ASSERT_TRUE(registry_->Compact().ok());
  Reopen();
  EXPECT_EQ(registry_->CanonicalDump(), later);
  EXPECT_EQ(registry_->Flag("mod_cats", "bob", "cats", "spam").code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(registry_->Flag("mod_cats", "alice", "cats", "spam").ok());
}

TEST_F(RegistryTest, ProbationExpiresWithInjectedClock) {
  ASSERT_TRUE(registry_->Flag("mod_cats", "alice", "cats", "spam", absl::Hours(2)).ok());
  clock_.Advance(absl::Hours(2) - absl::Microseconds(1));
  EXPECT_TRUE(HeldIn("alice", "dogs"));
  auto none = registry_->ExpireProbations();
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, 0);
  clock_.Advance(absl::Microseconds(1));
  EXPECT_FALSE(
      HeldIn("alice", "dogs"));  // stops holding at `until`, even before expiry runs
  EXPECT_FALSE(registry_->ProbationStatusOf("alice").on_probation);
  auto ended = registry_->ExpireProbations();
  ASSERT_TRUE(ended.ok());
  EXPECT_EQ(*ended, 1);
  EXPECT_THAT(recorder_.types(),
              ElementsAre(Type::kProbationStarted, Type::kProbationExpired));
  EXPECT_EQ(*registry_->ExpireProbations(), 0);
}

TEST_F(RegistryTest, DefaultAndMaximumDurations) {
  options_.default_probation = absl::Hours(5);
  options_.max_probation = absl::Hours(10);
  Reopen();
  ASSERT_TRUE(registry_->Flag("mod_cats", "alice", "cats", "spam").ok());
  EXPECT_EQ(registry_->ProbationStatusOf("alice").until, clock_.Now() + absl::Hours(5));
  ASSERT_TRUE(registry_->Flag("mod_cats", "bob", "cats", "spam", absl::Hours(100)).ok());
  EXPECT_EQ(registry_->ProbationStatusOf("bob").until, clock_.Now() + absl::Hours(10));
}

// "No cap" spelled as an infinite duration, and a clock before 1970: the times stay
// in range instead of wrapping around (which ended the probation at once and let a
// moderator flag without limit).
TEST_F(RegistryTest, InfiniteDurationsDoNotOverflow) {
  options_.max_probation = absl::InfiniteDuration();
  options_.flag_window = absl::InfiniteDuration();
  options_.max_flags_per_window = 1;
  Reopen();
  ASSERT_TRUE(registry_->Join("carol", "cats").ok());
  ASSERT_TRUE(
      registry_->Flag("mod_cats", "alice", "cats", "spam", absl::InfiniteDuration())
          .ok());
  EXPECT_TRUE(HeldIn("alice", "dogs"));
  ProbationStatus st = registry_->ProbationStatusOf("alice");
  EXPECT_TRUE(st.on_probation);
  EXPECT_GT(st.until, clock_.Now() + absl::Hours(24 * 365 * 1000));
  clock_.Advance(absl::Hours(24 * 365 * 100));
  EXPECT_TRUE(HeldIn("alice", "dogs"));
  EXPECT_EQ(registry_->Flag("mod_cats", "carol", "cats", "spam").code(),
            absl::StatusCode::kResourceExhausted);  // the window never ends
  const std::string before = registry_->CanonicalDump();
  Reopen();
  EXPECT_EQ(registry_->CanonicalDump(), before);
}

TEST_F(RegistryTest, InfiniteFlagWindowBeforeTheEpochDoesNotOverflow) {
  clock_.Set(absl::FromUnixSeconds(-1000));
  options_.flag_window = absl::InfiniteDuration();
  options_.max_flags_per_window = 1;
  Reopen();
  ASSERT_TRUE(registry_->Join("carol", "cats").ok());
  ASSERT_TRUE(registry_->Flag("mod_cats", "alice", "cats", "spam").ok());
  clock_.Advance(absl::Hours(1));
  EXPECT_EQ(registry_->Flag("mod_cats", "carol", "cats", "spam").code(),
            absl::StatusCode::kResourceExhausted);
}

TEST_F(RegistryTest, MemberLearnsStatusButNotWhoFlagged) {
  EXPECT_FALSE(registry_->ProbationStatusOf("alice").on_probation);
  EXPECT_FALSE(registry_->ProbationStatusOf("nobody").on_probation);
  const absl::Time t0 = clock_.Now();
  ASSERT_TRUE(registry_->Flag("mod_cats", "alice", "cats", "spam", absl::Hours(24)).ok());
  clock_.Advance(absl::Hours(1));
  ProbationStatus st = registry_->ProbationStatusOf("alice");
  EXPECT_TRUE(st.on_probation);
  EXPECT_TRUE(st.site_wide);
  EXPECT_EQ(st.site_wide_since, t0);
  EXPECT_EQ(st.site_wide_until, t0 + absl::Hours(24));
  // Site-wide: held in every group the member is in.
  EXPECT_THAT(st.held_in, ElementsAre("cats", "dogs"));
  EXPECT_THAT(st.held_since, ElementsAre(t0, t0));
  EXPECT_THAT(st.held_until, ElementsAre(t0 + absl::Hours(24), t0 + absl::Hours(24)));
  EXPECT_EQ(st.since, t0);
  EXPECT_EQ(st.until, t0 + absl::Hours(24));
  EXPECT_FALSE(st.appeal_pending);
}

// Site-wide after two groups: a long flag from one and a short one from another make
// the probation site-wide only until the short one ends. The status says so, and
// gives each group's end as the gate applies it (review probe status_edges.cc).
TEST_F(RegistryTest, StatusGivesTheSiteWideEndAndEachGroupsEnd) {
  options_.sitewide_after_distinct_groups = 2;
  Reopen();
  ASSERT_TRUE(registry_->CreateGroup("fish").ok());
  ASSERT_TRUE(registry_->Join("alice", "fish").ok());
  const absl::Time t0 = clock_.Now();
  ASSERT_TRUE(registry_->Flag("admin", "alice", "cats", "spam", absl::Hours(240)).ok());
  clock_.Advance(absl::Hours(1));
  ASSERT_TRUE(registry_->Flag("mod_dogs", "alice", "dogs", "spam", absl::Hours(48)).ok());
  const absl::Time t1 = clock_.Now();
  const ModerationEvent started = recorder_.events().back();
  EXPECT_EQ(started.type, Type::kProbationStarted);
  EXPECT_TRUE(started.site_wide);
  EXPECT_EQ(started.until, t0 + absl::Hours(240));
  EXPECT_EQ(started.site_wide_since, t1);
  EXPECT_EQ(started.site_wide_until, t1 + absl::Hours(48));

  ProbationStatus st = registry_->ProbationStatusOf("alice");
  EXPECT_TRUE(st.site_wide);
  EXPECT_EQ(st.site_wide_since, t1);
  EXPECT_EQ(st.site_wide_until, t1 + absl::Hours(48));
  EXPECT_EQ(st.until, t0 + absl::Hours(240));
  EXPECT_THAT(st.held_in, ElementsAre("cats", "dogs", "fish"));
  EXPECT_THAT(st.held_since, ElementsAre(t0, t1, t1));
  EXPECT_THAT(st.held_until, ElementsAre(t0 + absl::Hours(240), t1 + absl::Hours(48),
                                         t1 + absl::Hours(48)));
  // What the gate applies in each group agrees.
  for (size_t i = 0; i < st.held_in.size(); ++i) {
    auto c = registry_->CheckPosting("alice", st.held_in[i]);
    ASSERT_TRUE(c.ok() && c->probation.has_value()) << st.held_in[i];
    EXPECT_EQ(c->probation->probation_until, st.held_until[i]) << st.held_in[i];
    EXPECT_EQ(c->probation->probation_since, st.held_since[i]) << st.held_in[i];
  }
  // A longer flag from dogs keeps `until` but moves the site-wide end: announced.
  ASSERT_TRUE(
      registry_->Flag("mod_dogs", "alice", "dogs", "spam", absl::Hours(100)).ok());
  EXPECT_EQ(recorder_.events().back().type, Type::kProbationStarted);
  EXPECT_EQ(recorder_.events().back().site_wide_until, t1 + absl::Hours(100));
  EXPECT_EQ(registry_->ProbationStatusOf("alice").site_wide_until, t1 + absl::Hours(100));
  // Once the dogs flag runs out: held in cats only, until its end.
  clock_.Advance(absl::Hours(101));
  st = registry_->ProbationStatusOf("alice");
  EXPECT_FALSE(st.site_wide);
  EXPECT_EQ(st.site_wide_until, absl::InfinitePast());
  EXPECT_THAT(st.held_in, ElementsAre("cats"));
  EXPECT_THAT(st.held_until, ElementsAre(t0 + absl::Hours(240)));
  EXPECT_FALSE(HeldIn("alice", "fish"));
}

// A site-wide probation lifted in one group: the member's status says site-wide and
// names the group where it does not apply.
TEST_F(RegistryTest, StatusNamesTheGroupsWhereALiftExemptsTheMember) {
  ASSERT_TRUE(registry_->Flag("mod_cats", "alice", "cats", "spam").ok());
  EXPECT_THAT(registry_->ProbationStatusOf("alice").exempt_in, IsEmpty());
  ASSERT_TRUE(registry_->Lift("mod_dogs", "alice", "dogs", "fine here").ok());
  ASSERT_FALSE(HeldIn("alice", "dogs"));
  ProbationStatus st = registry_->ProbationStatusOf("alice");
  EXPECT_TRUE(st.on_probation);
  EXPECT_TRUE(st.site_wide);
  EXPECT_THAT(st.held_in, ElementsAre("cats"));  // never where it is lifted
  EXPECT_THAT(st.exempt_in, ElementsAre("dogs"));
  Reopen();
  EXPECT_THAT(registry_->ProbationStatusOf("alice").exempt_in, ElementsAre("dogs"));
  // A flag from dogs holds her there again.
  ASSERT_TRUE(registry_->Flag("mod_dogs", "alice", "dogs", "spam here too").ok());
  EXPECT_TRUE(HeldIn("alice", "dogs"));
  EXPECT_THAT(registry_->ProbationStatusOf("alice").exempt_in, IsEmpty());
}

TEST_F(RegistryTest, AppealGrantedByAdminLiftsEverywhere) {
  ASSERT_TRUE(registry_->Flag("mod_cats", "alice", "cats", "spam").ok());
  ASSERT_TRUE(registry_->Flag("mod_dogs", "alice", "dogs", "spam").ok());
  EXPECT_EQ(registry_->FileAppeal("bob", "I did nothing").code(),
            absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(registry_->FileAppeal("alice", "it was my cousin").ok());
  EXPECT_EQ(registry_->FileAppeal("alice", "again").code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(registry_->ProbationStatusOf("alice").appeal_pending);
  EXPECT_EQ(registry_->ListAppeals("mod_cats").status().code(),
            absl::StatusCode::kPermissionDenied);
  auto appeals = registry_->ListAppeals("admin");
  ASSERT_TRUE(appeals.ok());
  ASSERT_EQ(appeals->size(), 1u);
  EXPECT_EQ((*appeals)[0].statement, "it was my cousin");
  EXPECT_EQ(registry_->DecideAppeal("mod_cats", "alice", true, "ok").code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(HeldIn("alice", "cats"));
  ASSERT_TRUE(registry_->DecideAppeal("admin", "alice", true, "credible").ok());
  EXPECT_FALSE(HeldIn("alice", "cats"));
  EXPECT_FALSE(HeldIn("alice", "dogs"));
  EXPECT_FALSE(registry_->ProbationStatusOf("alice").on_probation);
  EXPECT_FALSE(registry_->ProbationStatusOf("alice").appeal_pending);
  EXPECT_EQ(recorder_.types().back(), Type::kProbationLifted);
  EXPECT_TRUE(recorder_.events().back().site_wide);
  EXPECT_EQ(recorder_.events().back().reason, "credible");
}

// The member hears how their appeal ended: a denial is an event of its own, with
// the administrator's reason (there was none: only a grant, as a lift, was heard of).
TEST_F(RegistryTest, DeniedAppealKeepsProbation) {
  ASSERT_TRUE(registry_->Flag("mod_cats", "alice", "cats", "spam").ok());
  ASSERT_TRUE(registry_->FileAppeal("alice", "please").ok());
  EXPECT_EQ(recorder_.types().back(), Type::kAppealFiled);
  EXPECT_EQ(recorder_.events().back().member, "alice");
  ASSERT_TRUE(registry_->DecideAppeal("admin", "alice", false, "repeat offender").ok());
  EXPECT_TRUE(HeldIn("alice", "cats"));
  EXPECT_FALSE(registry_->ProbationStatusOf("alice").appeal_pending);
  EXPECT_THAT(recorder_.types(), ElementsAre(Type::kProbationStarted, Type::kAppealFiled,
                                             Type::kAppealDenied));
  const ModerationEvent denied = recorder_.events().back();  // events() is a copy
  EXPECT_EQ(denied.member, "alice");
  EXPECT_EQ(denied.actor, "admin");
  EXPECT_EQ(denied.reason, "repeat offender");
  EXPECT_EQ(EventTypeName(Type::kAppealFiled), "appeal_filed");
  EXPECT_EQ(EventTypeName(Type::kAppealDenied), "appeal_denied");
  EXPECT_EQ(registry_->DecideAppeal("admin", "alice", true, "").code(),
            absl::StatusCode::kNotFound);

  // A grant after the probation ran out closes the appeal as moot, which the member
  // hears as a denial saying so.
  ASSERT_TRUE(registry_->FileAppeal("alice", "please, again").ok());
  clock_.Advance(absl::Hours(24 * 31));
  ASSERT_TRUE(registry_->DecideAppeal("admin", "alice", true, "fair").ok());
  EXPECT_EQ(recorder_.types().back(), Type::kAppealDenied);
  EXPECT_EQ(recorder_.events().back().reason, "moot: no probation left; fair");
}

TEST_F(RegistryTest, LiftRights) {
  ASSERT_TRUE(registry_->Flag("mod_cats", "alice", "cats", "spam").ok());
  const std::string before = registry_->CanonicalDump();
  EXPECT_EQ(registry_->Lift("mod_cats", "alice", "", "sorry").code(),
            absl::StatusCode::kPermissionDenied);  // site-wide: administrators only
  EXPECT_EQ(registry_->Lift("mod_cats", "alice", "dogs", "sorry").code(),
            absl::StatusCode::kPermissionDenied);  // not their group
  EXPECT_EQ(registry_->CanonicalDump(), before);
  EXPECT_EQ(registry_->Lift("mod_cats", "bob", "cats", "x").code(),
            absl::StatusCode::kFailedPrecondition);  // bob is not on probation
  // A moderator lifts it in their own group only.
  ASSERT_TRUE(registry_->Flag("mod_dogs", "alice", "dogs", "spam").ok());
  ASSERT_TRUE(registry_->Lift("mod_cats", "alice", "cats", "mistake").ok());
  EXPECT_FALSE(HeldIn("alice", "cats"));
  EXPECT_TRUE(HeldIn("alice", "dogs"));
  ASSERT_TRUE(registry_->Lift("admin", "alice", "", "cleared").ok());
  EXPECT_FALSE(HeldIn("alice", "dogs"));
}

// A moderator's lift in their group withdraws the group's flags, which could end
// the probation everywhere: not a flag a site administrator gave from the group
// (only administrators lift site-wide). It was allowed, and released the member in
// every group. A moderator's own flag there they still withdraw; an administrator
// lifts in the group, and a demoted administrator's flag is a moderator's to lift.
TEST_F(RegistryTest, AModeratorDoesNotLiftAnAdministratorsFlag) {
  ASSERT_TRUE(registry_->Flag("admin", "alice", "cats", "spam").ok());
  const std::string before = registry_->CanonicalDump();
  const size_t events = recorder_.events().size();
  EXPECT_EQ(registry_->Lift("mod_cats", "alice", "cats", "not spam"),
            absl::PermissionDeniedError(
                "\"mod_cats\" may not lift in \"cats\" the flag site administrator "
                "\"admin\" gave there: a site administrator decides"));
  EXPECT_EQ(registry_->CanonicalDump(), before);
  EXPECT_EQ(recorder_.events().size(), events);
  EXPECT_TRUE(HeldIn("alice", "cats"));
  EXPECT_TRUE(HeldIn("alice", "dogs"));

  // With a moderator's flag beside it, still not.
  ASSERT_TRUE(registry_->AddModerator("cats", "mod_cats_2").ok());
  ASSERT_TRUE(registry_->Flag("mod_cats_2", "alice", "cats", "spam too").ok());
  EXPECT_EQ(registry_->Lift("mod_cats", "alice", "cats", "").code(),
            absl::StatusCode::kPermissionDenied);
  // Another administrator may.
  ASSERT_TRUE(registry_->AddAdministrator("admin_2").ok());
  ASSERT_TRUE(registry_->Lift("admin_2", "alice", "cats", "not spam").ok());
  EXPECT_FALSE(HeldIn("alice", "cats"));
  EXPECT_FALSE(HeldIn("alice", "dogs"));

  // A flag by an administrator since demoted is a moderator's flag like any other.
  ASSERT_TRUE(registry_->Flag("admin_2", "bob", "cats", "spam").ok());
  ASSERT_TRUE(registry_->RemoveAdministrator("admin_2").ok());
  ASSERT_TRUE(registry_->Lift("mod_cats", "bob", "cats", "not spam").ok());
  EXPECT_FALSE(registry_->ProbationStatusOf("bob").on_probation);
}

// "system" and "(forgotten)" name the server and erased accounts in the audit log
// and the flags: nobody with those ids gets a role, and nobody joins as, or
// forgets, "(forgotten)". Forgetting it was accepted and merged every erased
// flagger into one person, which ended another member's site-wide probation with
// no notice.
TEST_F(RegistryTest, TheAuditLogsOwnIdsAreReserved) {
  const std::string before = registry_->CanonicalDump();
  for (absl::string_view id : {"system", "(forgotten)"}) {
    SCOPED_TRACE(id);
    EXPECT_EQ(registry_->AddAdministrator(id).code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(registry_->AddModerator("cats", id).code(),
              absl::StatusCode::kInvalidArgument);
  }
  EXPECT_EQ(registry_->Join("(forgotten)", "cats").code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(registry_->Forget("admin", "(forgotten)"),
            absl::InvalidArgumentError("member \"(forgotten)\" is reserved: the audit "
                                       "log's name of an erased account"));
  EXPECT_EQ(registry_->AddModerator("cats", "system"),
            absl::InvalidArgumentError("member \"system\" is reserved: the audit log's "
                                       "actor for the server's own changes"));
  EXPECT_EQ(registry_->CanonicalDump(), before);
  // A member may be called "system", be flagged, and be forgotten: the server's own
  // entries keep their actor.
  ASSERT_TRUE(registry_->Join("system", "cats").ok());
  ASSERT_TRUE(registry_->Flag("mod_cats", "system", "cats", "spam").ok());
  EXPECT_TRUE(HeldIn("system", "cats"));
  ASSERT_TRUE(registry_->Forget("admin", "system").ok());
  EXPECT_FALSE(registry_->ProbationStatusOf("system").on_probation);
  auto log = registry_->AuditLog("admin");
  ASSERT_TRUE(log.ok());
  EXPECT_EQ(log->front().action, "create_group");
  EXPECT_EQ(log->front().actor, "system");
}

// Nobody decides their own case: a moderator on probation does not lift it in their
// group or review their own held posts there, and an administrator does not lift
// their own probation or decide their own appeal. Another moderator of the group or
// another administrator does, and nothing changes before.
TEST_F(RegistryTest, NobodyDecidesTheirOwnCase) {
  ASSERT_TRUE(registry_->AddModerator("cats", "mod_cats_2").ok());
  ASSERT_TRUE(registry_->Join("mod_cats", "cats").ok());
  ASSERT_TRUE(registry_->Join("mod_cats", "dogs").ok());
  ASSERT_TRUE(registry_->Flag("mod_dogs", "mod_cats", "dogs", "spam").ok());
  ASSERT_TRUE(registry_->Flag("mod_cats_2", "mod_cats", "cats", "spam").ok());
  ASSERT_TRUE(registry_->AddAdministrator("admin_2").ok());
  ASSERT_TRUE(registry_->Join("admin", "birds").ok());
  ASSERT_TRUE(registry_->Flag("admin_2", "admin", "birds", "spam").ok());
  ASSERT_TRUE(registry_->FileAppeal("admin", "not me").ok());
  ASSERT_TRUE(
      registry_->Hold(Submission{"p1", "mod_cats", "cats", "mine", clock_.Now()}, {})
          .ok());
  const std::string before = registry_->CanonicalDump();
  const size_t events = recorder_.events().size();

  const auto denied = absl::StatusCode::kPermissionDenied;
  EXPECT_EQ(registry_->Lift("mod_cats", "mod_cats", "cats", "").code(), denied);
  EXPECT_EQ(registry_->Approve("mod_cats", "cats", "p1", "").status(),
            absl::PermissionDeniedError(
                "\"mod_cats\" may not approve posts of their own (\"p1\" in group "
                "\"cats\"): another moderator of it or a site administrator decides"));
  EXPECT_EQ(registry_->Reject("mod_cats", "cats", "p1", "").status().code(), denied);
  EXPECT_EQ(registry_->Lift("admin", "admin", "", ""),
            absl::PermissionDeniedError("\"admin\" may not lift their own probation: "
                                        "another site administrator decides"));
  EXPECT_EQ(registry_->Lift("admin", "admin", "birds", "").code(), denied);
  EXPECT_EQ(registry_->DecideAppeal("admin", "admin", true, ""),
            absl::PermissionDeniedError("\"admin\" may not decide their own appeal: "
                                        "another site administrator decides"));
  EXPECT_EQ(registry_->DecideAppeal("admin", "admin", false, "").code(), denied);
  // Nor stops their group holding members on probation (other changes are theirs).
  GroupPolicy open_door;
  open_door.hold_on_probation = false;
  EXPECT_EQ(registry_->SetGroupPolicy("mod_cats", "cats", open_door),
            absl::PermissionDeniedError(
                "\"mod_cats\" may not stop holding the posts of members on probation in "
                "group \"cats\" while on probation there: another moderator of it or a "
                "site administrator decides"));
  EXPECT_EQ(registry_->SetGroupPolicy("admin", "birds", open_door).code(), denied);
  EXPECT_EQ(registry_->CanonicalDump(), before);
  EXPECT_EQ(recorder_.events().size(), events);

  // The others may.
  auto fb = registry_->Approve("mod_cats_2", "cats", "p1", "fine");
  ASSERT_TRUE(fb.ok()) << fb.status();
  EXPECT_EQ(fb->reviewer, "mod_cats_2");
  GroupPolicy stricter;
  stricter.hold_threshold = 0.5;
  ASSERT_TRUE(registry_->SetGroupPolicy("mod_cats", "cats", stricter).ok());
  ASSERT_TRUE(registry_->Lift("mod_cats_2", "mod_cats", "cats", "mistake").ok());
  EXPECT_FALSE(HeldIn("mod_cats", "cats"));
  EXPECT_TRUE(HeldIn("mod_cats", "dogs"));
  ASSERT_TRUE(registry_->DecideAppeal("admin_2", "admin", true, "credible").ok());
  EXPECT_FALSE(registry_->ProbationStatusOf("admin").on_probation);
  // An administrator still acts on others' cases and reviews others' posts.
  ASSERT_TRUE(registry_->Lift("admin", "mod_cats", "", "cleared").ok());
  EXPECT_FALSE(HeldIn("mod_cats", "dogs"));
  // Off probation, the policy is theirs to set again.
  ASSERT_TRUE(registry_->SetGroupPolicy("mod_cats", "cats", open_door).ok());
  EXPECT_FALSE(registry_->GroupPolicyOf("cats")->hold_on_probation);
}

TEST_F(RegistryTest, NewFlagFromAGroupEndsItsExemption) {
  ASSERT_TRUE(registry_->Flag("mod_dogs", "alice", "dogs", "spam").ok());
  ASSERT_TRUE(registry_->Lift("mod_cats", "alice", "cats", "not here").ok());
  EXPECT_FALSE(HeldIn("alice", "cats"));
  EXPECT_TRUE(HeldIn("alice", "dogs"));
  EXPECT_EQ(recorder_.events().back().type, Type::kProbationLifted);
  EXPECT_EQ(recorder_.events().back().group, "cats");
  EXPECT_FALSE(recorder_.events().back().site_wide) << "still held in dogs";
  ASSERT_TRUE(registry_->Flag("mod_cats", "alice", "cats", "spam after all").ok());
  EXPECT_TRUE(HeldIn("alice", "cats"));
}

// A lift in one group exempts the member there for the rest of the probation, also
// when a flag from another group makes it last longer: the member hears of the new end
// and stays unheld in the group that lifted it, until the probation ends. A flag after
// that starts a new probation, which holds them there again.
TEST_F(RegistryTest, GroupLiftLastsAsLongAsOtherGroupsExtendTheProbation) {
  constexpr absl::Duration kDay = absl::Hours(24);
  ASSERT_TRUE(registry_->Join("alice", "birds").ok());
  const absl::Time t0 = clock_.Now();
  ASSERT_TRUE(registry_->Flag("mod_cats", "alice", "cats", "spam", 30 * kDay).ok());
  ASSERT_TRUE(registry_->Lift("mod_dogs", "alice", "dogs", "fine here").ok());
  EXPECT_FALSE(HeldIn("alice", "dogs"));
  clock_.Advance(10 * kDay);
  ASSERT_TRUE(registry_->Flag("admin", "alice", "birds", "spam", 30 * kDay).ok());
  EXPECT_EQ(recorder_.events().back().type, Type::kProbationStarted);
  EXPECT_EQ(recorder_.events().back().until, t0 + 40 * kDay);
  const size_t events = recorder_.events().size();
  for (int day : {29, 31, 39}) {
    clock_.Advance(t0 + day * kDay - clock_.Now());
    ASSERT_TRUE(registry_->ExpireProbations().ok());
    EXPECT_FALSE(HeldIn("alice", "dogs")) << "day " << day;
    EXPECT_TRUE(HeldIn("alice", "cats")) << "day " << day;
  }
  EXPECT_EQ(recorder_.events().size(), events) << "nothing changed for alice";
  const std::string dump = registry_->CanonicalDump();
  Reopen();
  EXPECT_EQ(registry_->CanonicalDump(), dump);
  EXPECT_FALSE(HeldIn("alice", "dogs"));
  // The probation ends at day 40; a flag at day 41 (before ExpireProbations has
  // recorded the end) starts a new one, which the old lift does not cover.
  clock_.Advance(t0 + 41 * kDay - clock_.Now());
  ASSERT_TRUE(registry_->Flag("mod_cats", "alice", "cats", "again", 30 * kDay).ok());
  EXPECT_TRUE(HeldIn("alice", "dogs"));
  const std::string renewed = registry_->CanonicalDump();
  Reopen();
  EXPECT_EQ(registry_->CanonicalDump(), renewed);
}

// An exemption outlasting the probation it came with (another group's lift shortened
// that probation) does not cover the next one.
TEST_F(RegistryTest, AGroupLiftDoesNotCarryIntoTheNextProbation) {
  constexpr absl::Duration kDay = absl::Hours(24);
  ASSERT_TRUE(registry_->Join("alice", "birds").ok());
  ASSERT_TRUE(registry_->Flag("mod_cats", "alice", "cats", "spam", 30 * kDay).ok());
  ASSERT_TRUE(registry_->Flag("admin", "alice", "birds", "spam", 10 * kDay).ok());
  ASSERT_TRUE(registry_->Lift("mod_dogs", "alice", "dogs", "fine here").ok());
  ASSERT_TRUE(registry_->Lift("mod_cats", "alice", "cats", "mistake").ok());
  EXPECT_FALSE(HeldIn("alice", "dogs"));
  EXPECT_TRUE(HeldIn("alice", "birds"));
  clock_.Advance(15 * kDay);  // the probation ended at day 10
  EXPECT_FALSE(registry_->ProbationStatusOf("alice").on_probation);
  ASSERT_TRUE(registry_->Flag("admin", "alice", "birds", "spam again", 10 * kDay).ok());
  EXPECT_TRUE(HeldIn("alice", "dogs")) << "a new probation; dogs lifted the old one";
  EXPECT_TRUE(HeldIn("alice", "cats"));
}

// Lifting in the only group that flagged the member ends the probation everywhere,
// and the event says so.
TEST_F(RegistryTest, GroupLiftOfTheLastFlagsSaysHeldNowhere) {
  ASSERT_TRUE(registry_->Flag("mod_cats", "alice", "cats", "spam").ok());
  EXPECT_TRUE(HeldIn("alice", "dogs"));
  ASSERT_TRUE(registry_->Lift("mod_cats", "alice", "cats", "mistake").ok());
  EXPECT_FALSE(registry_->ProbationStatusOf("alice").on_probation);
  EXPECT_FALSE(HeldIn("alice", "dogs"));
  const ModerationEvent lifted = recorder_.events().back();
  EXPECT_EQ(lifted.type, Type::kProbationLifted);
  EXPECT_EQ(lifted.group, "cats");
  EXPECT_TRUE(lifted.site_wide);
}

// An unauthorized actor gets the same kPermissionDenied whatever else is wrong with
// the call, for a group that exists and for one that does not: no answer tells them
// which groups exist.
TEST_F(RegistryTest, UnauthorizedCallsLearnNothingFromTheirArguments) {
  GroupPolicy bad_policy;
  bad_policy.hold_threshold = 2.0;
  for (const char* group : {"cats", "no_such_group"}) {
    SCOPED_TRACE(group);
    EXPECT_EQ(registry_->Flag("nobody", "bob", group, "").code(),
              absl::StatusCode::kPermissionDenied);
    EXPECT_EQ(registry_->Flag("nobody", "bob", group, "x", absl::Seconds(-1)).code(),
              absl::StatusCode::kPermissionDenied);
    EXPECT_EQ(registry_->SetGroupPolicy("nobody", group, bad_policy).code(),
              absl::StatusCode::kPermissionDenied);
    EXPECT_EQ(registry_->Approve("nobody", group, "", "").status().code(),
              absl::StatusCode::kPermissionDenied);
    EXPECT_EQ(registry_->Reject("mod_dogs", group, "", "").status().code(),
              absl::StatusCode::kPermissionDenied);
  }
  // An authorized actor still hears what is wrong.
  EXPECT_EQ(registry_->Flag("mod_cats", "bob", "cats", "").code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      registry_->Flag("mod_cats", "bob", "cats", "x", absl::Nanoseconds(500)).code(),
      absl::StatusCode::kInvalidArgument);  // would end as it starts
}

// A probation that ends by a lift in its only group takes its pending appeal with
// it: the member can appeal a later probation, and the old statement decides nothing.
TEST_F(RegistryTest, GroupLiftThatEndsTheProbationEndsItsAppeal) {
  ASSERT_TRUE(registry_->Flag("mod_cats", "alice", "cats", "spam").ok());
  ASSERT_TRUE(registry_->FileAppeal("alice", "old statement").ok());
  ASSERT_TRUE(registry_->Lift("mod_cats", "alice", "cats", "mistake").ok());
  EXPECT_FALSE(registry_->ProbationStatusOf("alice").on_probation);
  EXPECT_FALSE(registry_->ProbationStatusOf("alice").appeal_pending);
  EXPECT_TRUE(registry_->ListAppeals("admin")->empty());
  ASSERT_TRUE(registry_->Flag("mod_dogs", "alice", "dogs", "new spam").ok());
  ASSERT_TRUE(registry_->FileAppeal("alice", "new statement").ok());
  ASSERT_EQ(registry_->ListAppeals("admin")->size(), 1u);
  EXPECT_EQ(registry_->ListAppeals("admin")->front().statement, "new statement");
  const std::string dump = registry_->CanonicalDump();
  Reopen();
  EXPECT_EQ(registry_->CanonicalDump(), dump);
}

// A flag from a group where a lift had exempted the member holds them there again:
// news to them.
TEST_F(RegistryTest, FlagThatEndsAnExemptionIsAnnounced) {
  ASSERT_TRUE(registry_->Flag("admin", "alice", "dogs", "spam", absl::Hours(240)).ok());
  ASSERT_TRUE(registry_->Lift("mod_cats", "alice", "cats", "not here").ok());
  EXPECT_FALSE(HeldIn("alice", "cats"));
  const size_t before = recorder_.types().size();
  ASSERT_TRUE(
      registry_->Flag("mod_cats", "alice", "cats", "here too", absl::Hours(1)).ok());
  EXPECT_TRUE(HeldIn("alice", "cats"));
  ASSERT_EQ(recorder_.types().size(), before + 1);
  EXPECT_EQ(recorder_.events().back().type, Type::kProbationStarted);
  EXPECT_EQ(recorder_.events().back().group, "cats");
}

// A short flag from a group whose moderators lifted a longer site-wide probation
// there holds the member there for the flag's own duration; then the lift exempts the
// group again for the rest of the probation. A journal written before the rule (the
// flag ended the exemption) replays as it was.
TEST_F(RegistryTest, ShortFlagFromAnExemptGroupHoldsOnlyForItsOwnDuration) {
  const absl::Time t0 = clock_.Now();
  ASSERT_TRUE(registry_->Flag("admin", "alice", "dogs", "spam", absl::Hours(240)).ok());
  ASSERT_TRUE(registry_->Lift("mod_cats", "alice", "cats", "not here").ok());
  ASSERT_TRUE(
      registry_->Flag("mod_cats", "alice", "cats", "one post", absl::Hours(1)).ok());
  auto cats = registry_->CheckPosting("alice", "cats");
  ASSERT_TRUE(cats.ok() && cats->probation.has_value());
  EXPECT_EQ(cats->probation->probation_until, t0 + absl::Hours(1));
  ProbationStatus st = registry_->ProbationStatusOf("alice");
  EXPECT_THAT(st.held_in, ElementsAre("cats", "dogs"));
  EXPECT_THAT(st.held_until, ElementsAre(t0 + absl::Hours(1), t0 + absl::Hours(240)));
  EXPECT_THAT(st.exempt_in, IsEmpty());
  const std::string dump = registry_->CanonicalDump();
  Reopen();
  EXPECT_EQ(registry_->CanonicalDump(), dump);
  clock_.Advance(absl::Hours(2));
  EXPECT_FALSE(HeldIn("alice", "cats")) << "the one-hour flag ran out";
  EXPECT_TRUE(HeldIn("alice", "dogs"));
  st = registry_->ProbationStatusOf("alice");
  EXPECT_THAT(st.held_in, ElementsAre("dogs"));
  EXPECT_THAT(st.exempt_in, ElementsAre("cats"));
  ASSERT_TRUE(registry_->ExpireProbations().ok());
  EXPECT_FALSE(HeldIn("alice", "cats"));
  EXPECT_THAT(registry_->ProbationStatusOf("alice").exempt_in, ElementsAre("cats"));
  // The same records without keeps_exemption, as an older library wrote them: its
  // flag from cats ended the exemption, and that journal opens as it was.
  registry_.reset();
  std::unique_ptr<EventStore> old = NewMemoryEventStore();
  int keeping = 0;
  ASSERT_TRUE(base_
                  ->Recover([](absl::string_view, uint64_t) { return absl::OkStatus(); },
                            [&](uint64_t, absl::string_view record) {
                              moderation::Event e;
                              if (!e.ParseFromString(std::string(record))) {
                                return absl::DataLossError("undecodable");
                              }
                              if (e.has_flagged()) {
                                keeping += e.flagged().keeps_exemption() ? 1 : 0;
                                e.mutable_flagged()->clear_keeps_exemption();
                              }
                              return old->Append(e.SerializeAsString()).status();
                            })
                  .ok());
  EXPECT_EQ(keeping, 1);
  auto r = Registry::Open(std::make_unique<testing::SharedStore>(old.get()), &clock_,
                          options_);
  ASSERT_TRUE(r.ok()) << r.status();
  auto old_cats = (*r)->CheckPosting("alice", "cats");
  ASSERT_TRUE(old_cats.ok());
  EXPECT_TRUE(old_cats->probation.has_value()) << "held for the rest, as it was";
  EXPECT_THAT((*r)->ProbationStatusOf("alice").exempt_in, IsEmpty());
}

// In a group where a lift exempts the member from a site-wide probation, a later
// flag from that group holds them there by its own right: the hold reason says so
// (not site-wide) and gives that flag's window, as the status does; elsewhere the
// site-wide probation still holds them and its reasons say site-wide.
TEST_F(RegistryTest, ExemptGroupsOwnFlagHoldReasonIsNotSiteWide) {
  const absl::Time t0 = clock_.Now();
  ASSERT_TRUE(registry_->Flag("admin", "alice", "dogs", "spam", absl::Hours(240)).ok());
  ASSERT_TRUE(registry_->Lift("mod_cats", "alice", "cats", "not here").ok());
  clock_.Advance(absl::Hours(1));
  ASSERT_TRUE(
      registry_->Flag("mod_cats", "alice", "cats", "one post", absl::Hours(2)).ok());
  ASSERT_TRUE(registry_->ProbationStatusOf("alice").site_wide);
  auto cats = registry_->CheckPosting("alice", "cats");
  ASSERT_TRUE(cats.ok() && cats->probation.has_value());
  EXPECT_FALSE(cats->probation->site_wide) << "held in cats by its own flag alone";
  EXPECT_EQ(cats->probation->probation_since, t0 + absl::Hours(1));
  EXPECT_EQ(cats->probation->probation_until, t0 + absl::Hours(3));
  EXPECT_THAT(cats->probation->flagged_from, ElementsAre("cats", "dogs"));
  auto dogs = registry_->CheckPosting("alice", "dogs");
  ASSERT_TRUE(dogs.ok() && dogs->probation.has_value());
  EXPECT_TRUE(dogs->probation->site_wide);
  ASSERT_TRUE(registry_->Join("alice", "birds").ok());
  auto birds = registry_->CheckPosting("alice", "birds");
  ASSERT_TRUE(birds.ok() && birds->probation.has_value());
  EXPECT_TRUE(birds->probation->site_wide);
  EXPECT_EQ(birds->probation->probation_since, t0);
  EXPECT_EQ(birds->probation->probation_until, t0 + absl::Hours(240));
  // What a moderator of cats sees in the queue for a post held there.
  Submission post{"p1", "alice", "cats", "hello", absl::InfinitePast()};
  auto held = registry_->Hold(post, {*cats->probation});
  ASSERT_TRUE(held.ok()) << held.status();
  auto queue = registry_->ListQueue("mod_cats", "cats");
  ASSERT_TRUE(queue.ok()) << queue.status();
  ASSERT_EQ(queue->size(), 1u);
  ASSERT_EQ((*queue)[0].reasons.size(), 1u);
  EXPECT_FALSE((*queue)[0].reasons[0].site_wide);
  // Once the flag runs out, cats is exempt again and holds nothing.
  clock_.Advance(absl::Hours(3));
  EXPECT_FALSE(HeldIn("alice", "cats"));
}

TEST_F(RegistryTest, FlagRateLimitPerModerator) {
  options_.max_flags_per_window = 2;
  options_.flag_window = absl::Hours(1);
  Reopen();
  for (const char* m : {"carol", "dave", "erin"})
    ASSERT_TRUE(registry_->Join(m, "cats").ok());
  ASSERT_TRUE(registry_->Flag("mod_cats", "alice", "cats", "spam").ok());
  ASSERT_TRUE(registry_->Flag("mod_cats", "bob", "cats", "spam").ok());
  const std::string before = registry_->CanonicalDump();
  EXPECT_EQ(registry_->Flag("mod_cats", "carol", "cats", "spam").code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(registry_->CanonicalDump(), before);
  EXPECT_TRUE(registry_->Flag("admin", "carol", "cats", "spam").ok());  // not limited
  clock_.Advance(absl::Hours(1));
  EXPECT_TRUE(registry_->Flag("mod_cats", "dave", "cats", "spam").ok());
  // The limit is rebuilt on restart.
  Reopen();
  EXPECT_TRUE(registry_->Flag("mod_cats", "erin", "cats", "spam").ok());
  ASSERT_TRUE(registry_->Join("frank", "cats").ok());
  EXPECT_EQ(registry_->Flag("mod_cats", "frank", "cats", "spam").code(),
            absl::StatusCode::kResourceExhausted);
}

// The flag rate is the person's, whatever role they flagged in: an administrator
// demoted to moderator has flagged what the audit log says in the last window, so
// the flags given as administrator count (an administrator is not limited while one).
TEST_F(RegistryTest, FlagsGivenAsAdministratorCountAfterADemotion) {
  options_.max_flags_per_window = 2;
  options_.flag_window = absl::Hours(1);
  Reopen();
  for (const char* m : {"carol", "dave", "erin"})
    ASSERT_TRUE(registry_->Join(m, "cats").ok());
  ASSERT_TRUE(registry_->AddModerator("cats", "admin").ok());
  for (const char* m : {"alice", "bob", "carol"})
    ASSERT_TRUE(registry_->Flag("admin", m, "cats", "spam").ok()) << m;
  ASSERT_TRUE(registry_->RemoveAdministrator("admin").ok());
  EXPECT_EQ(
      registry_->Flag("admin", "dave", "cats", "spam"),
      absl::ResourceExhaustedError("\"admin\" has flagged 3 members in the last 1h; "
                                   "the limit is 2"));
  clock_.Advance(absl::Hours(1));
  EXPECT_TRUE(registry_->Flag("admin", "dave", "cats", "spam").ok());
}

TEST_F(RegistryTest, SiteWideOnlyAfterFlagsFromDistinctGroups) {
  options_.sitewide_after_distinct_groups = 2;
  Reopen();
  ASSERT_TRUE(registry_->Join("alice", "birds").ok());
  ASSERT_TRUE(registry_->Flag("mod_cats", "alice", "cats", "spam").ok());
  ASSERT_TRUE(
      registry_->Flag("mod_cats", "alice", "cats", "more spam").ok());  // same group
  EXPECT_TRUE(HeldIn("alice", "cats"));
  EXPECT_FALSE(HeldIn("alice", "dogs"));
  EXPECT_FALSE(HeldIn("alice", "birds"));
  ProbationStatus st = registry_->ProbationStatusOf("alice");
  EXPECT_TRUE(st.on_probation);
  EXPECT_FALSE(st.site_wide);
  EXPECT_THAT(st.held_in, ElementsAre("cats"));
  ASSERT_TRUE(registry_->Flag("mod_dogs", "alice", "dogs", "spam").ok());
  EXPECT_TRUE(HeldIn("alice", "birds"));
  EXPECT_TRUE(registry_->ProbationStatusOf("alice").site_wide);
  EXPECT_THAT(recorder_.types(),
              ElementsAre(Type::kProbationStarted, Type::kProbationStarted));
  EXPECT_FALSE(recorder_.events()[0].site_wide);
  EXPECT_TRUE(recorder_.events()[1].site_wide);
}

// The site-wide rule counts people: a moderator of two groups flagging from both,
// or an administrator flagging from two, holds the member in those groups only;
// a second person's flag makes it site-wide, from that flag on.
TEST_F(RegistryTest, OnePersonFlaggingFromManyGroupsIsNotSiteWideAlone) {
  options_.sitewide_after_distinct_groups = 2;
  Reopen();
  ASSERT_TRUE(registry_->AddModerator("dogs", "mod_cats").ok());  // cats and dogs
  ASSERT_TRUE(registry_->Join("alice", "birds").ok());
  ASSERT_TRUE(registry_->Join("bob", "dogs").ok());
  ASSERT_TRUE(registry_->Join("bob", "birds").ok());
  ASSERT_TRUE(registry_->Flag("mod_cats", "alice", "cats", "spam").ok());
  ASSERT_TRUE(registry_->Flag("mod_cats", "alice", "dogs", "spam").ok());
  ASSERT_TRUE(registry_->Flag("admin", "bob", "cats", "spam").ok());
  ASSERT_TRUE(registry_->Flag("admin", "bob", "dogs", "spam").ok());
  for (const char* member : {"alice", "bob"}) {
    SCOPED_TRACE(member);
    ProbationStatus st = registry_->ProbationStatusOf(member);
    EXPECT_TRUE(st.on_probation);
    EXPECT_FALSE(st.site_wide);
    EXPECT_THAT(st.held_in, ElementsAre("cats", "dogs"));
    EXPECT_TRUE(HeldIn(member, "dogs"));
    EXPECT_FALSE(HeldIn(member, "birds"));
  }
  for (const ModerationEvent& e : recorder_.events()) EXPECT_FALSE(e.site_wide);
  // Another person, from a group already flagged: two groups, two people.
  clock_.Advance(absl::Hours(1));
  const absl::Time t1 = clock_.Now();
  ASSERT_TRUE(registry_->Flag("mod_dogs", "alice", "dogs", "spam", absl::Hours(5)).ok());
  EXPECT_TRUE(HeldIn("alice", "birds"));
  const ModerationEvent started = recorder_.events().back();
  EXPECT_EQ(started.type, Type::kProbationStarted);
  EXPECT_TRUE(started.site_wide);
  ProbationStatus st = registry_->ProbationStatusOf("alice");
  EXPECT_TRUE(st.site_wide);
  EXPECT_THAT(st.held_in, ElementsAre("birds", "cats", "dogs"));
  // Site-wide from the second person's flag until it ends: the groups' own flags
  // (mod_cats') last 30 days, but after those 5 hours only one person's are left.
  EXPECT_EQ(st.site_wide_since, t1);
  EXPECT_EQ(st.site_wide_until, t1 + absl::Hours(5));
  ExpectSameAfterReopenAndCompact(registry_->CanonicalDump());
  clock_.Advance(absl::Hours(6));
  EXPECT_FALSE(HeldIn("alice", "birds"));
  EXPECT_TRUE(HeldIn("alice", "dogs"));
  EXPECT_EQ(*registry_->ExpireProbations(), 0);
  EXPECT_EQ(recorder_.events().back().type, Type::kProbationNarrowed);
  EXPECT_FALSE(recorder_.events().back().site_wide);
  EXPECT_THAT(registry_->ProbationStatusOf("alice").held_in, ElementsAre("cats", "dogs"));
}

// Forgetting the people who flagged keeps them apart: two forgotten moderators
// still make two people, one forgotten moderator's flags one; also after a
// reopen and from a snapshot.
TEST_F(RegistryTest, ForgottenFlaggersStillCountAsThePeopleTheyWere) {
  options_.sitewide_after_distinct_groups = 2;
  Reopen();
  ASSERT_TRUE(registry_->AddModerator("dogs", "mod_cats").ok());
  ASSERT_TRUE(registry_->Join("alice", "birds").ok());
  ASSERT_TRUE(registry_->Join("bob", "dogs").ok());
  ASSERT_TRUE(registry_->Join("bob", "birds").ok());
  ASSERT_TRUE(registry_->Flag("mod_cats", "alice", "cats", "spam").ok());
  ASSERT_TRUE(registry_->Flag("mod_dogs", "alice", "dogs", "spam").ok());
  ASSERT_TRUE(registry_->Flag("mod_cats", "bob", "cats", "spam").ok());
  ASSERT_TRUE(registry_->Flag("mod_cats", "bob", "dogs", "spam").ok());
  ASSERT_TRUE(registry_->Forget("admin", "mod_cats").ok());
  ASSERT_TRUE(registry_->Forget("admin", "mod_dogs").ok());
  const auto check = [&] {
    EXPECT_TRUE(registry_->ProbationStatusOf("alice").site_wide);
    EXPECT_TRUE(HeldIn("alice", "birds"));
    EXPECT_FALSE(registry_->ProbationStatusOf("bob").site_wide);
    EXPECT_FALSE(HeldIn("bob", "birds"));
    EXPECT_TRUE(HeldIn("bob", "dogs"));
  };
  check();
  const std::string dump = registry_->CanonicalDump();
  EXPECT_EQ(dump.find("mod_cats"), std::string::npos);
  ExpectSameAfterReopenAndCompact(dump);
  check();
}

// Below the site-wide threshold, each group holds the member until its own flags end:
// a hold reason gives that end, not another group's, and so does the status.
TEST_F(RegistryTest, GroupScopedHoldReasonsGiveTheirGroupsEnd) {
  options_.sitewide_after_distinct_groups = 3;
  Reopen();
  const absl::Time t0 = clock_.Now();
  ASSERT_TRUE(registry_->Flag("mod_cats", "alice", "cats", "spam", absl::Hours(24)).ok());
  clock_.Advance(absl::Hours(1));
  ASSERT_TRUE(
      registry_->Flag("mod_dogs", "alice", "dogs", "spam", absl::Hours(24 * 30)).ok());
  auto cats = registry_->CheckPosting("alice", "cats");
  ASSERT_TRUE(cats.ok() && cats->probation.has_value());
  EXPECT_EQ(cats->probation->probation_since, t0);
  EXPECT_EQ(cats->probation->probation_until, t0 + absl::Hours(24));
  EXPECT_FALSE(cats->probation->site_wide);
  auto dogs = registry_->CheckPosting("alice", "dogs");
  ASSERT_TRUE(dogs.ok() && dogs->probation.has_value());
  EXPECT_EQ(dogs->probation->probation_since, t0 + absl::Hours(1));
  EXPECT_EQ(dogs->probation->probation_until, t0 + absl::Hours(1 + 24 * 30));
  ProbationStatus st = registry_->ProbationStatusOf("alice");
  EXPECT_THAT(st.held_in, ElementsAre("cats", "dogs"));
  EXPECT_THAT(st.held_until,
              ElementsAre(t0 + absl::Hours(24), t0 + absl::Hours(1 + 24 * 30)));
  EXPECT_EQ(st.since, t0);
  EXPECT_EQ(st.until, t0 + absl::Hours(1 + 24 * 30));
  clock_.Advance(absl::Hours(24));
  EXPECT_FALSE(HeldIn("alice", "cats"));
  EXPECT_THAT(registry_->ProbationStatusOf("alice").held_in, ElementsAre("dogs"));
}

// Flags from groups in any order (here against the order the groups were made in,
// and a group flagging again after its first flag ran out) hold the member in each
// flagging group until its own flags end: in memory, replayed from the events, and
// read back from a snapshot (which keeps the flags in the order they were made).
TEST_F(RegistryTest, FlagsFromGroupsInAnyOrderHoldInEachGroup) {
  options_.sitewide_after_distinct_groups = 4;  // held only where flagged
  Reopen();
  ASSERT_TRUE(registry_->AddModerator("birds", "mod_birds").ok());
  ASSERT_TRUE(registry_->Join("alice", "birds").ok());
  const absl::Time t0 = clock_.Now();
  ASSERT_TRUE(
      registry_->Flag("mod_birds", "alice", "birds", "spam", absl::Hours(10)).ok());
  ASSERT_TRUE(registry_->Flag("mod_dogs", "alice", "dogs", "spam", absl::Hours(5)).ok());
  ASSERT_TRUE(registry_->Flag("mod_cats", "alice", "cats", "spam", absl::Hours(1)).ok());
  clock_.Advance(absl::Hours(2));  // the cats flag ran out
  ASSERT_TRUE(registry_->Flag("mod_cats", "alice", "cats", "spam", absl::Hours(1)).ok());
  ASSERT_TRUE(
      registry_->Flag("mod_birds", "alice", "birds", "spam", absl::Hours(20)).ok());
  auto expect_held = [&](const char* when) {
    SCOPED_TRACE(when);
    for (const char* g : {"birds", "cats", "dogs"}) EXPECT_TRUE(HeldIn("alice", g)) << g;
    ProbationStatus st = registry_->ProbationStatusOf("alice");
    EXPECT_FALSE(st.site_wide);
    EXPECT_THAT(st.held_in, ElementsAre("birds", "cats", "dogs"));
    EXPECT_THAT(st.held_until, ElementsAre(t0 + absl::Hours(22), t0 + absl::Hours(3),
                                           t0 + absl::Hours(5)));
  };
  expect_held("in memory");
  const std::string dump = registry_->CanonicalDump();
  Reopen();
  EXPECT_EQ(registry_->CanonicalDump(), dump);
  expect_held("replayed");
  ASSERT_TRUE(registry_->Compact().ok());
  Reopen();
  EXPECT_EQ(registry_->CanonicalDump(), dump);
  expect_held("from the snapshot");
}

// A site-wide probation holds a group that did not flag the member from when enough
// groups had flagged them until too few groups' flags are left: its hold reasons
// give that start and end.
TEST_F(RegistryTest, SiteWideHoldReasonsEndWhenTheProbationNarrows) {
  options_.sitewide_after_distinct_groups = 2;
  Reopen();
  ASSERT_TRUE(registry_->Join("alice", "birds").ok());
  const absl::Time t0 = clock_.Now();
  ASSERT_TRUE(registry_->Flag("mod_cats", "alice", "cats", "spam", absl::Hours(3)).ok());
  clock_.Advance(absl::Hours(1));
  ASSERT_TRUE(registry_->Flag("mod_dogs", "alice", "dogs", "spam", absl::Hours(5)).ok());
  // Held in birds since the second group flagged her, until the first flag ends.
  auto birds = registry_->CheckPosting("alice", "birds");
  ASSERT_TRUE(birds.ok() && birds->probation.has_value());
  EXPECT_TRUE(birds->probation->site_wide);
  EXPECT_EQ(birds->probation->probation_since, t0 + absl::Hours(1));
  EXPECT_EQ(birds->probation->probation_until, t0 + absl::Hours(3));
  auto dogs = registry_->CheckPosting("alice", "dogs");
  ASSERT_TRUE(dogs.ok() && dogs->probation.has_value());
  EXPECT_EQ(dogs->probation->probation_since, t0 + absl::Hours(1));
  EXPECT_EQ(dogs->probation->probation_until, t0 + absl::Hours(6));
  auto cats = registry_->CheckPosting("alice", "cats");
  ASSERT_TRUE(cats.ok() && cats->probation.has_value());
  EXPECT_EQ(cats->probation->probation_since, t0);
  EXPECT_EQ(registry_->ProbationStatusOf("alice").until, t0 + absl::Hours(6));
  clock_.Advance(absl::Hours(2));
  EXPECT_FALSE(HeldIn("alice", "birds"));
}

// Flags from two groups make the probation site-wide; when one group's flag runs
// out, the member is held only where the other flagged them, and hears of it.
TEST_F(RegistryTest, PartialExpiryThatNarrowsTheProbationIsAnnounced) {
  options_.sitewide_after_distinct_groups = 2;
  Reopen();
  ASSERT_TRUE(registry_->Join("alice", "birds").ok());
  ASSERT_TRUE(registry_->Flag("mod_cats", "alice", "cats", "spam", absl::Hours(2)).ok());
  ASSERT_TRUE(registry_->Flag("mod_dogs", "alice", "dogs", "spam", absl::Hours(5)).ok());
  EXPECT_TRUE(HeldIn("alice", "birds"));
  clock_.Advance(absl::Hours(3));
  EXPECT_FALSE(HeldIn("alice", "birds"));
  EXPECT_FALSE(HeldIn("alice", "cats"));
  EXPECT_TRUE(HeldIn("alice", "dogs"));
  auto ended = registry_->ExpireProbations();
  ASSERT_TRUE(ended.ok());
  EXPECT_EQ(*ended, 0) << "alice is still on probation in dogs";
  EXPECT_THAT(recorder_.types(),
              ElementsAre(Type::kProbationStarted, Type::kProbationStarted,
                          Type::kProbationNarrowed));
  const ModerationEvent narrowed = recorder_.events().back();
  EXPECT_EQ(narrowed.member, "alice");
  EXPECT_FALSE(narrowed.site_wide);
  EXPECT_EQ(narrowed.until, registry_->ProbationStatusOf("alice").until);
  EXPECT_THAT(registry_->ProbationStatusOf("alice").held_in, ElementsAre("dogs"));
  EXPECT_EQ(EventTypeName(narrowed.type), "probation_narrowed");
  // Nothing more to say until the last flag runs out.
  EXPECT_EQ(*registry_->ExpireProbations(), 0);
  EXPECT_EQ(recorder_.types().size(), 3u);
  clock_.Advance(absl::Hours(2));
  EXPECT_EQ(*registry_->ExpireProbations(), 1);
  EXPECT_EQ(recorder_.types().back(), Type::kProbationExpired);
}

// Below the site-wide threshold the member is held where they were flagged: losing
// one flagging group narrows the probation; losing one of two flags from the same
// group does not.
TEST_F(RegistryTest, PartialExpiryNarrowsOnlyWhenAFlaggingGroupIsLost) {
  options_.sitewide_after_distinct_groups = 3;
  Reopen();
  ASSERT_TRUE(registry_->Flag("mod_cats", "alice", "cats", "spam", absl::Hours(2)).ok());
  ASSERT_TRUE(registry_->Flag("mod_cats", "alice", "cats", "more", absl::Hours(9)).ok());
  ASSERT_TRUE(registry_->Flag("mod_dogs", "alice", "dogs", "spam", absl::Hours(5)).ok());
  const size_t started = recorder_.types().size();
  clock_.Advance(absl::Hours(3));  // one of the two cats flags ran out
  EXPECT_EQ(*registry_->ExpireProbations(), 0);
  EXPECT_EQ(recorder_.types().size(), started) << "still held in cats and dogs";
  EXPECT_THAT(registry_->ProbationStatusOf("alice").held_in, ElementsAre("cats", "dogs"));
  clock_.Advance(absl::Hours(3));  // the dogs flag ran out
  EXPECT_EQ(*registry_->ExpireProbations(), 0);
  ASSERT_EQ(recorder_.types().size(), started + 1);
  const ModerationEvent narrowed = recorder_.events().back();
  EXPECT_EQ(narrowed.type, Type::kProbationNarrowed);
  EXPECT_FALSE(narrowed.site_wide);
  EXPECT_EQ(narrowed.until, registry_->ProbationStatusOf("alice").until);
  EXPECT_THAT(registry_->ProbationStatusOf("alice").held_in, ElementsAre("cats"));
}

// `since` is when the probation began, and stays so while later flags keep the
// member on probation after the first ones ran out: it does not move forward. A
// probation that begins after it ended has its own.
TEST_F(RegistryTest, SinceIsWhenTheProbationBeganWithoutABreak) {
  const absl::Time t0 = clock_.Now();
  ASSERT_TRUE(registry_->Flag("mod_cats", "alice", "cats", "spam", absl::Hours(10)).ok());
  clock_.Advance(absl::Hours(5));
  ASSERT_TRUE(registry_->Flag("mod_dogs", "alice", "dogs", "spam", absl::Hours(30)).ok());
  clock_.Advance(absl::Hours(7));  // the cats flag ran out; dogs keeps it site-wide
  for (bool expired : {false, true}) {
    SCOPED_TRACE(expired ? "recorded" : "not recorded");
    if (expired) ASSERT_TRUE(registry_->ExpireProbations().ok());
    ProbationStatus st = registry_->ProbationStatusOf("alice");
    EXPECT_EQ(st.since, t0);
    EXPECT_TRUE(st.site_wide);
    EXPECT_EQ(st.site_wide_since, t0);
    EXPECT_THAT(st.held_in, ElementsAre("cats", "dogs"));
    EXPECT_THAT(st.held_since, ElementsAre(t0, t0));
    auto cats = registry_->CheckPosting("alice", "cats");
    ASSERT_TRUE(cats.ok() && cats->probation.has_value());
    EXPECT_EQ(cats->probation->probation_since, t0);
  }
  ExpectSameAfterReopenAndCompact(registry_->CanonicalDump());
  EXPECT_EQ(registry_->ProbationStatusOf("alice").since, t0);
  clock_.Advance(absl::Hours(30));  // over
  const absl::Time t1 = clock_.Now();
  ASSERT_TRUE(registry_->Flag("mod_cats", "alice", "cats", "again").ok());
  EXPECT_EQ(registry_->ProbationStatusOf("alice").since, t1);
  EXPECT_EQ(registry_->ProbationStatusOf("alice").site_wide_since, t1);
}

// A snapshot written before the probation kept its times (began, site_wide_began,
// told_at) still opens: `since` is then the active flags' earliest start, as it was.
TEST_F(RegistryTest, ASnapshotWithoutTheProbationTimesStillOpens) {
  const absl::Time t0 = clock_.Now();
  ASSERT_TRUE(registry_->Flag("mod_cats", "alice", "cats", "spam", absl::Hours(10)).ok());
  clock_.Advance(absl::Hours(5));
  ASSERT_TRUE(registry_->Flag("mod_dogs", "alice", "dogs", "spam", absl::Hours(30)).ok());
  ASSERT_TRUE(registry_->Compact().ok());
  registry_.reset();
  std::string bytes;
  uint64_t through = 0;
  ASSERT_TRUE(base_
                  ->Recover(
                      [&](absl::string_view s, uint64_t t) {
                        bytes = std::string(s);
                        through = t;
                        return absl::OkStatus();
                      },
                      [](uint64_t, absl::string_view) { return absl::OkStatus(); })
                  .ok());
  moderation::Snapshot snapshot;
  ASSERT_TRUE(snapshot.ParseFromString(bytes));
  int cleared = 0;
  for (moderation::MemberState& m : *snapshot.mutable_members()) {
    cleared += m.has_began() ? 1 : 0;
    m.clear_began();
    m.clear_site_wide_began();
    m.clear_told_at();
  }
  EXPECT_EQ(cleared, 1);
  ASSERT_TRUE(base_->WriteSnapshot(snapshot.SerializeAsString(), through).ok());
  Reopen();
  EXPECT_EQ(registry_->ProbationStatusOf("alice").since, t0);
  clock_.Advance(absl::Hours(7));  // the cats flag ran out
  ProbationStatus st = registry_->ProbationStatusOf("alice");
  EXPECT_TRUE(st.site_wide);
  EXPECT_EQ(st.since, t0 + absl::Hours(5)) << "only the active flags say";
  EXPECT_EQ(*registry_->ExpireProbations(), 0);
}

// site_wide_since is when the probation last became site-wide: not moved by the
// flags that made it so running out while others keep it site-wide, and moved when
// it becomes site-wide again after a break.
TEST_F(RegistryTest, SiteWideSinceIsWhenItLastBecameSiteWide) {
  options_.sitewide_after_distinct_groups = 2;
  Reopen();
  ASSERT_TRUE(registry_->Join("alice", "birds").ok());
  const absl::Time t0 = clock_.Now();
  ASSERT_TRUE(registry_->Flag("mod_cats", "alice", "cats", "spam", absl::Hours(10)).ok());
  clock_.Advance(absl::Hours(1));
  ASSERT_TRUE(registry_->Flag("mod_dogs", "alice", "dogs", "spam", absl::Hours(30)).ok());
  EXPECT_EQ(recorder_.events().back().site_wide_since, t0 + absl::Hours(1));
  clock_.Advance(absl::Hours(4));
  ASSERT_TRUE(registry_->Flag("admin", "alice", "birds", "spam", absl::Hours(30)).ok());
  clock_.Advance(absl::Hours(7));  // cats ran out: dogs and birds keep it site-wide
  ProbationStatus st = registry_->ProbationStatusOf("alice");
  EXPECT_TRUE(st.site_wide);
  EXPECT_EQ(st.site_wide_since, t0 + absl::Hours(1));
  EXPECT_EQ(st.since, t0);
  ExpectSameAfterReopenAndCompact(registry_->CanonicalDump());
  // Lifted in birds: held in dogs only (not site-wide), then site-wide again.
  ASSERT_TRUE(registry_->Lift("admin", "alice", "birds", "fine").ok());
  EXPECT_FALSE(registry_->ProbationStatusOf("alice").site_wide);
  clock_.Advance(absl::Hours(1));
  ASSERT_TRUE(registry_->Flag("mod_cats", "alice", "cats", "again").ok());
  st = registry_->ProbationStatusOf("alice");
  EXPECT_TRUE(st.site_wide);
  EXPECT_EQ(st.site_wide_since, t0 + absl::Hours(13));
  EXPECT_EQ(st.since, t0);
}

// A narrowing the member could already see at a later notice is not announced again:
// here the cats flag ran out, then a longer dogs flag told them (kProbationStarted,
// not site-wide), and ExpireProbations, recording the cats expiry, says nothing more.
// Also across a snapshot.
TEST_F(RegistryTest, NarrowingAlreadyHeardOfIsNotAnnouncedAgain) {
  options_.sitewide_after_distinct_groups = 2;
  Reopen();
  ASSERT_TRUE(registry_->Join("alice", "birds").ok());
  ASSERT_TRUE(registry_->Flag("mod_cats", "alice", "cats", "spam", absl::Hours(2)).ok());
  ASSERT_TRUE(registry_->Flag("mod_dogs", "alice", "dogs", "spam", absl::Hours(5)).ok());
  clock_.Advance(absl::Hours(3));
  ASSERT_TRUE(registry_->Flag("mod_dogs", "alice", "dogs", "more", absl::Hours(10)).ok());
  ASSERT_EQ(recorder_.types().size(), 3u);
  const ModerationEvent told = recorder_.events().back();
  EXPECT_EQ(told.type, Type::kProbationStarted);
  EXPECT_FALSE(told.site_wide);
  EXPECT_THAT(registry_->ProbationStatusOf("alice").held_in, ElementsAre("dogs"));
  ExpectSameAfterReopenAndCompact(registry_->CanonicalDump());
  EXPECT_EQ(*registry_->ExpireProbations(), 0);
  EXPECT_EQ(recorder_.types().size(), 3u) << "alice heard of it with the dogs flag";
  EXPECT_THAT(registry_->ProbationStatusOf("alice").held_in, ElementsAre("dogs"));
}

// A site-wide probation that stays site-wide narrows when the own flag of a group
// that a lift exempts runs out: the member is no longer held there, and hears of it.
TEST_F(RegistryTest, ExemptGroupsOwnFlagRunningOutIsAnnounced) {
  const absl::Time t0 = clock_.Now();
  ASSERT_TRUE(registry_->Flag("admin", "alice", "dogs", "spam", absl::Hours(240)).ok());
  ASSERT_TRUE(registry_->Lift("mod_cats", "alice", "cats", "not here").ok());
  ASSERT_TRUE(
      registry_->Flag("mod_cats", "alice", "cats", "one post", absl::Hours(1)).ok());
  const size_t before = recorder_.types().size();
  clock_.Advance(absl::Hours(2));
  EXPECT_EQ(*registry_->ExpireProbations(), 0);
  ASSERT_EQ(recorder_.types().size(), before + 1);
  const ModerationEvent narrowed = recorder_.events().back();
  EXPECT_EQ(narrowed.type, Type::kProbationNarrowed);
  EXPECT_TRUE(narrowed.site_wide);
  EXPECT_EQ(narrowed.until, t0 + absl::Hours(240));
  EXPECT_EQ(narrowed.site_wide_until, t0 + absl::Hours(240));
  EXPECT_THAT(registry_->ProbationStatusOf("alice").exempt_in, ElementsAre("cats"));
  EXPECT_EQ(*registry_->ExpireProbations(), 0);
  EXPECT_EQ(recorder_.types().size(), before + 1);
}

// A flag that runs out while a site-wide probation stays site-wide changes nothing
// the member can see: no event.
TEST_F(RegistryTest, PartialExpiryThatHoldsInTheSameGroupsIsSilent) {
  ASSERT_TRUE(registry_->Flag("mod_cats", "alice", "cats", "spam", absl::Hours(2)).ok());
  ASSERT_TRUE(registry_->Flag("mod_dogs", "alice", "dogs", "spam", absl::Hours(5)).ok());
  clock_.Advance(absl::Hours(3));
  EXPECT_EQ(*registry_->ExpireProbations(), 0);
  // Started, then longer (the second flag's later end): nothing after.
  EXPECT_THAT(recorder_.types(),
              ElementsAre(Type::kProbationStarted, Type::kProbationStarted));
  EXPECT_TRUE(registry_->ProbationStatusOf("alice").site_wide);
}

// A held post whose author deleted it (or whose account is gone) leaves the queue
// without a review: no feedback, no mark against the member; audited and notified,
// and the same after a reopen from the journal or a snapshot.
TEST_F(RegistryTest, WithdrawTakesAPostOutOfTheQueueWithoutALabel) {
  ASSERT_TRUE(registry_->Hold(Submission{"p1", "bob", "cats", "buy spam"}, {}).ok());
  ASSERT_TRUE(registry_->Hold(Submission{"p2", "bob", "cats", "more spam"}, {}).ok());
  ASSERT_TRUE(registry_->Withdraw("cats", "p1", "deleted by its author").ok());
  auto q = registry_->ListQueue("mod_cats", "cats");
  ASSERT_TRUE(q.ok());
  ASSERT_EQ(q->size(), 1u);
  EXPECT_EQ((*q)[0].post.id, "p2");
  const ModerationEvent last = recorder_.events().back();
  EXPECT_EQ(last.type, Type::kPostWithdrawn);
  EXPECT_EQ(EventTypeName(last.type), "post_withdrawn");
  EXPECT_EQ(last.member, "bob");
  EXPECT_EQ(last.group, "cats");
  EXPECT_EQ(last.post_id, "p1");
  EXPECT_EQ(last.actor, "system");
  EXPECT_FALSE(last.feedback.has_value());
  auto log = registry_->AuditLog("admin");
  ASSERT_TRUE(log.ok());
  EXPECT_EQ(log->back().action, "withdraw");
  EXPECT_EQ(log->back().actor, "system");
  EXPECT_EQ(log->back().member, "bob");
  EXPECT_EQ(log->back().post_id, "p1");
  EXPECT_EQ(log->back().reason, "deleted by its author");
  EXPECT_FALSE(registry_->ProbationStatusOf("bob").on_probation);
  // Gone: neither reviewable nor withdrawable again; its id may be held again.
  EXPECT_EQ(registry_->Reject("mod_cats", "cats", "p1", "spam").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(registry_->Withdraw("cats", "p1", "").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(registry_->Withdraw("fish", "p1", "").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(registry_->Withdraw("cats", "", "").code(),
            absl::StatusCode::kInvalidArgument);
  // The account is gone: the member left, the post is withdrawn all the same.
  ASSERT_TRUE(registry_->Leave("bob", "cats").ok());
  ASSERT_TRUE(registry_->Withdraw("cats", "p2", "account deleted").ok());
  EXPECT_TRUE(registry_->ListQueue("mod_cats", "cats")->empty());
  ASSERT_TRUE(registry_->Hold(Submission{"p1", "alice", "cats", "hello"}, {}).ok());
  const std::string before = registry_->CanonicalDump();
  ExpectSameAfterReopenAndCompact(before);
  // And after a snapshot, too.
  ASSERT_TRUE(registry_->Withdraw("cats", "p1", "deleted").ok());
  const std::string after = registry_->CanonicalDump();
  Reopen();
  EXPECT_EQ(registry_->CanonicalDump(), after);
}

// Forget erases a member: held posts in every group, appeal, memberships,
// departures, probation (flags and exemptions), roles and flag rate; the audit log
// and the flags they gave others no longer name them; the state names them nowhere.
TEST_F(RegistryTest, ForgetErasesTheMemberEverywhere) {
  ASSERT_TRUE(registry_->AddAdministrator("zed42").ok());
  ASSERT_TRUE(registry_->AddModerator("birds", "zed42").ok());
  for (const char* g : {"cats", "dogs", "birds"})
    ASSERT_TRUE(registry_->Join("zed42", g).ok());
  ASSERT_TRUE(registry_->Join("bob", "birds").ok());
  ASSERT_TRUE(registry_->Leave("zed42", "birds").ok());  // a departure
  ASSERT_TRUE(
      registry_->Hold(Submission{"z1", "zed42", "cats", "zed secret one"}, {}).ok());
  ASSERT_TRUE(
      registry_->Hold(Submission{"z2", "zed42", "dogs", "zed secret two"}, {}).ok());
  ASSERT_TRUE(
      registry_->Hold(Submission{"z3", "zed42", "cats", "zed secret three"}, {}).ok());
  ASSERT_TRUE(registry_->Hold(Submission{"b1", "bob", "cats", "bob's post"}, {}).ok());
  ASSERT_TRUE(registry_->Reject("mod_cats", "cats", "z3", "quotes: zed secret three")
                  .status()
                  .ok());
  ASSERT_TRUE(registry_->Flag("mod_cats", "zed42", "cats", "zed secret spam").ok());
  ASSERT_TRUE(registry_->Lift("mod_dogs", "zed42", "dogs", "zed secret in dogs").ok());
  ASSERT_TRUE(registry_->FileAppeal("zed42", "zed secret statement").ok());
  // As a moderator of birds, zed42 flags bob: bob's probation stays, anonymous.
  ASSERT_TRUE(registry_->Flag("zed42", "bob", "birds", "bob spams").ok());
  ASSERT_TRUE(registry_->ProbationStatusOf("zed42").on_probation);
  ASSERT_NE(registry_->CanonicalDump().find("zed42"), std::string::npos);
  const size_t audit_before = registry_->AuditLog("admin")->size();
  recorder_.Clear();

  ASSERT_TRUE(registry_->Forget("admin", "zed42").ok());

  auto cats = registry_->ListQueue("admin", "cats");
  ASSERT_TRUE(cats.ok());
  ASSERT_EQ(cats->size(), 1u);
  EXPECT_EQ((*cats)[0].post.id, "b1");
  EXPECT_THAT(*registry_->ListQueue("admin", "dogs"), IsEmpty());
  EXPECT_THAT(*registry_->ListAppeals("admin"), IsEmpty());
  const ProbationStatus st = registry_->ProbationStatusOf("zed42");
  EXPECT_FALSE(st.on_probation);
  EXPECT_FALSE(st.appeal_pending);
  EXPECT_THAT(*registry_->MembersOnProbation("admin"), ElementsAre("bob"));
  EXPECT_TRUE(registry_->ProbationStatusOf("bob").on_probation);
  // Not a member anywhere, holds no role, cannot be flagged from a group left.
  for (const char* g : {"cats", "dogs", "birds"}) {
    EXPECT_EQ(registry_->CheckPosting("zed42", g).status().code(),
              absl::StatusCode::kFailedPrecondition);
  }
  EXPECT_EQ(
      registry_->Hold(Submission{"z4", "zed42", "cats", "again"}, {}).status().code(),
      absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(registry_->AuditLog("zed42").status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(registry_->ListQueue("zed42", "birds").status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(registry_->Flag("admin", "zed42", "birds", "x").code(),
            absl::StatusCode::kFailedPrecondition);
  // Events: a withdrawal per held post (group creation order, oldest first), then
  // the forgetting.
  EXPECT_THAT(recorder_.types(), ElementsAre(Type::kPostWithdrawn, Type::kPostWithdrawn,
                                             Type::kMemberForgotten));
  EXPECT_EQ(recorder_.events()[0].post_id, "z1");
  EXPECT_EQ(recorder_.events()[0].group, "cats");
  EXPECT_EQ(recorder_.events()[1].post_id, "z2");
  EXPECT_EQ(recorder_.events()[1].group, "dogs");
  EXPECT_FALSE(recorder_.events()[0].feedback.has_value());
  EXPECT_EQ(recorder_.events()[2].member, "zed42");
  EXPECT_EQ(recorder_.events()[2].actor, "admin");
  EXPECT_EQ(EventTypeName(Type::kMemberForgotten), "member_forgotten");
  // The audit log keeps every entry (and one more), none naming them: entries about
  // them lose reason and post id, entries by them keep theirs.
  auto log = registry_->AuditLog("admin");
  ASSERT_TRUE(log.ok());
  ASSERT_EQ(log->size(), audit_before + 1);
  for (const AuditEntry& a : *log) {
    EXPECT_NE(a.actor, "zed42");
    EXPECT_NE(a.member, "zed42");
    EXPECT_EQ(a.reason.find("secret"), std::string::npos) << a.action;
    if (a.member == kForgottenMember) {
      EXPECT_THAT(a.reason, IsEmpty()) << a.action;
      EXPECT_THAT(a.post_id, IsEmpty()) << a.action;
    }
    if (a.action == "reject") {
      EXPECT_EQ(a.actor, "mod_cats");
      EXPECT_EQ(a.member, kForgottenMember);
      EXPECT_EQ(a.group, "cats");
    }
    if (a.action == "flag" && a.member == "bob") {
      EXPECT_EQ(a.actor, kForgottenMember);
      EXPECT_EQ(a.reason, "bob spams");
    }
    if (a.action == "file_appeal") EXPECT_EQ(a.actor, kForgottenMember);
  }
  EXPECT_EQ(log->back().action, "forget");
  EXPECT_EQ(log->back().actor, "admin");
  EXPECT_EQ(log->back().member, kForgottenMember);
  const std::string dump = registry_->CanonicalDump();
  EXPECT_EQ(dump.find("zed42"), std::string::npos) << dump;
  EXPECT_EQ(dump.find("secret"), std::string::npos) << dump;

  // Replayed from the events, from a snapshot, and forgotten after a snapshot.
  ExpectSameAfterReopenAndCompact(dump);
  // Back under the same id, they are a new member.
  ASSERT_TRUE(registry_->Join("zed42", "cats").ok());
  EXPECT_FALSE(HeldIn("zed42", "cats"));
  ASSERT_TRUE(
      registry_->Hold(Submission{"z1", "zed42", "cats", "zed secret four"}, {}).ok());
  ASSERT_TRUE(registry_->Forget("admin", "zed42").ok());
  const std::string again = registry_->CanonicalDump();
  EXPECT_EQ(again.find("zed42"), std::string::npos);
  Reopen();
  EXPECT_EQ(registry_->CanonicalDump(), again);
}

// An administrator who forgets themselves: the role goes, and the log's entry of
// the call does not name them either.
TEST_F(RegistryTest, AnAdministratorMayForgetThemselves) {
  ASSERT_TRUE(registry_->AddAdministrator("ada").ok());
  ASSERT_TRUE(registry_->Forget("ada", "ada").ok());
  EXPECT_EQ(registry_->AuditLog("ada").status().code(),
            absl::StatusCode::kPermissionDenied);
  auto log = registry_->AuditLog("admin");
  ASSERT_TRUE(log.ok());
  EXPECT_EQ(log->back().action, "forget");
  EXPECT_EQ(log->back().actor, kForgottenMember);
  EXPECT_EQ(registry_->CanonicalDump().find("ada"), std::string::npos);
}

// ... but not out of a probation: erasing themselves would lift it, and nobody
// lifts their own. Another administrator may still forget them.
TEST_F(RegistryTest, AnAdministratorOnProbationMayNotForgetThemselves) {
  ASSERT_TRUE(registry_->AddAdministrator("ada").ok());
  ASSERT_TRUE(registry_->Join("ada", "cats").ok());
  ASSERT_TRUE(registry_->Flag("mod_cats", "ada", "cats", "spam").ok());
  const std::string before = registry_->CanonicalDump();
  const absl::Status self = registry_->Forget("ada", "ada");
  EXPECT_EQ(self.code(), absl::StatusCode::kPermissionDenied) << self;
  EXPECT_THAT(std::string(self.message()), ::testing::HasSubstr("while on probation"));
  EXPECT_EQ(registry_->CanonicalDump(), before);
  EXPECT_TRUE(registry_->ProbationStatusOf("ada").on_probation);
  // Once it has run out, they may.
  clock_.Advance(absl::Hours(24 * 31));
  EXPECT_TRUE(registry_->Forget("ada", "ada").ok());
}

TEST_F(RegistryTest, ForgetIsForAdministratorsOnly) {
  ASSERT_TRUE(registry_->Hold(Submission{"p1", "alice", "cats", "hello"}, {}).ok());
  const std::string before = registry_->CanonicalDump();
  recorder_.Clear();
  for (const char* actor : {"mod_cats", "alice", "bob", "nobody"}) {
    EXPECT_EQ(registry_->Forget(actor, "alice").code(),
              absl::StatusCode::kPermissionDenied)
        << actor;
    // Whether the member exists or not: the answer tells nothing.
    EXPECT_EQ(registry_->Forget(actor, "nobody").code(),
              absl::StatusCode::kPermissionDenied)
        << actor;
  }
  EXPECT_EQ(registry_->Forget("", "alice").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(registry_->Forget("admin", "").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(registry_->CanonicalDump(), before);
  EXPECT_THAT(recorder_.types(), IsEmpty());
}

// Erasure is a postcondition: a member the registry knows nothing of (never joined,
// or already forgotten) is OK, and nothing is written: no event, no audit entry.
// A failed registry says so instead (its memory may be ahead of its store).
TEST_F(RegistryTest, ForgetOfAMemberNotKnownIsOkAndWritesNothing) {
  ASSERT_TRUE(registry_->Forget("admin", "alice").ok());
  const std::string before = registry_->CanonicalDump();
  const size_t audit = registry_->AuditLog("admin")->size();
  recorder_.Clear();
  EXPECT_TRUE(registry_->Forget("admin", "alice").ok());  // a retry
  EXPECT_TRUE(registry_->Forget("admin", "never-joined").ok());
  EXPECT_EQ(registry_->AuditLog("admin")->size(), audit);
  EXPECT_THAT(recorder_.types(), IsEmpty());
  EXPECT_EQ(registry_->CanonicalDump(), before);
  Reopen();
  EXPECT_EQ(registry_->CanonicalDump(), before);
  EXPECT_EQ(registry_->AuditLog("admin")->size(), audit);
  // A member known only by the audit log (added and removed as a moderator) is
  // known: the entries are rewritten.
  ASSERT_TRUE(registry_->AddModerator("cats", "temp").ok());
  ASSERT_TRUE(registry_->RemoveModerator("cats", "temp").ok());
  ASSERT_TRUE(registry_->Forget("admin", "temp").ok());
  EXPECT_EQ(registry_->AuditLog("admin")->size(), audit + 3);
  EXPECT_EQ(registry_->CanonicalDump().find("temp"), std::string::npos);
  fail_ = true;
  EXPECT_EQ(registry_->Forget("admin", "bob").code(), absl::StatusCode::kUnavailable);
  fail_ = false;
  EXPECT_EQ(registry_->Forget("admin", "never-joined").code(),
            absl::StatusCode::kUnavailable);
}

TEST_F(RegistryTest, QueueReviewAuthorizationAndFeedback) {
  Submission post{"p1", "alice", "cats", "buy spam", clock_.Now()};
  ASSERT_TRUE(registry_->Hold(post, {}).ok());
  EXPECT_EQ(registry_->Hold(post, {}).status().code(), absl::StatusCode::kAlreadyExists);
  // A member who left after the gate's check has nothing held there.
  ASSERT_TRUE(registry_->Leave("alice", "cats").ok());
  EXPECT_EQ(registry_->Hold(Submission{"p3", "alice", "cats", "late", clock_.Now()}, {})
                .status()
                .code(),
            absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(registry_->Join("alice", "cats").ok());
  EXPECT_EQ(registry_->ListQueue("mod_dogs", "cats").status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(registry_->ListQueue("alice", "cats").status().code(),
            absl::StatusCode::kPermissionDenied);
  auto q = registry_->ListQueue("mod_cats", "cats");
  ASSERT_TRUE(q.ok());
  ASSERT_EQ(q->size(), 1u);
  EXPECT_EQ((*q)[0].post.text, "buy spam");
  EXPECT_EQ(registry_->Reject("mod_dogs", "cats", "p1", "no").status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(registry_->Approve("mod_cats", "cats", "p2", "").status().code(),
            absl::StatusCode::kNotFound);
  auto fb = registry_->Reject("mod_cats", "cats", "p1", "obvious");
  ASSERT_TRUE(fb.ok()) << fb.status();
  EXPECT_TRUE(fb->is_spam);
  EXPECT_EQ(fb->text, "buy spam");
  EXPECT_EQ(fb->reviewer, "mod_cats");
  EXPECT_THAT(*registry_->ListQueue("admin", "cats"), IsEmpty());
  ASSERT_TRUE(
      registry_->Hold(Submission{"p2", "bob", "cats", "hello", clock_.Now()}, {}).ok());
  auto ok = registry_->Approve("admin", "cats", "p2", "fine");
  ASSERT_TRUE(ok.ok());
  EXPECT_FALSE(ok->is_spam);
  EXPECT_THAT(recorder_.types(), ElementsAre(Type::kPostHeld, Type::kPostRejected,
                                             Type::kPostHeld, Type::kPostReleased));
  ASSERT_TRUE(recorder_.events()[1].feedback.has_value());
  EXPECT_TRUE(recorder_.events()[1].feedback->is_spam);
  EXPECT_EQ(recorder_.events()[3].feedback->text, "hello");
}

// What a moderation page lists: the members on probation now (for site
// administrators; flags that ran out drop off by the clock, before ExpireProbations
// writes it down), and a group's policy.
TEST_F(RegistryTest, MembersOnProbationAndGroupPolicyOf) {
  ASSERT_TRUE(registry_->Flag("mod_cats", "bob", "cats", "spam", absl::Hours(24)).ok());
  ASSERT_TRUE(registry_->Flag("mod_dogs", "alice", "dogs", "spam", absl::Hours(48)).ok());
  auto listed = registry_->MembersOnProbation("admin");
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_THAT(*listed, ElementsAre("alice", "bob"));
  EXPECT_EQ(registry_->MembersOnProbation("mod_cats").status().code(),
            absl::StatusCode::kPermissionDenied);
  clock_.Advance(absl::Hours(30));  // bob's flag ran out; nothing expired it yet
  listed = registry_->MembersOnProbation("admin");
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_THAT(*listed, ElementsAre("alice"));
  ASSERT_TRUE(registry_->Lift("admin", "alice", "", "sorry").ok());
  listed = registry_->MembersOnProbation("admin");
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_THAT(*listed, IsEmpty());

  GroupPolicy strict;
  strict.reject_threshold = 0.9;
  strict.hold_unsure = false;
  ASSERT_TRUE(registry_->SetGroupPolicy("mod_cats", "cats", strict).ok());
  auto policy = registry_->GroupPolicyOf("cats");
  ASSERT_TRUE(policy.ok()) << policy.status();
  EXPECT_EQ(policy->reject_threshold, 0.9);
  EXPECT_FALSE(policy->hold_unsure);
  EXPECT_EQ(registry_->GroupPolicyOf("fish").status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(RegistryTest, PolicyChangesAreAuthorized) {
  GroupPolicy strict;
  strict.reject_threshold = 0.9;
  EXPECT_EQ(registry_->SetGroupPolicy("mod_dogs", "cats", strict).code(),
            absl::StatusCode::kPermissionDenied);
  strict.hold_threshold = 1.5;
  EXPECT_EQ(registry_->SetGroupPolicy("mod_cats", "cats", strict).code(),
            absl::StatusCode::kInvalidArgument);
  strict.hold_threshold = 0.95;  // above the reject threshold
  const absl::Status inverted = registry_->SetGroupPolicy("mod_cats", "cats", strict);
  EXPECT_EQ(inverted.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(inverted.message(), ::testing::HasSubstr("below its hold threshold"));
  EXPECT_EQ(registry_->CreateGroup("birds", strict).code(),
            absl::StatusCode::kInvalidArgument);
  strict.hold_threshold = 0.3;
  ASSERT_TRUE(registry_->SetGroupPolicy("mod_cats", "cats", strict).ok());
  auto c = registry_->CheckPosting("bob", "cats");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->policy.reject_threshold, 0.9);
  EXPECT_EQ(c->policy.hold_threshold, 0.3);
}

// Every moderator and administrator call, made by someone without the right:
// kPermissionDenied, and nothing changes (state, audit log, events).
TEST_F(RegistryTest, EveryUnauthorizedCallIsDeniedAndChangesNothing) {
  ASSERT_TRUE(registry_->Flag("mod_cats", "alice", "cats", "spam").ok());
  ASSERT_TRUE(
      registry_->Hold(Submission{"p1", "bob", "cats", "x", clock_.Now()}, {}).ok());
  ASSERT_TRUE(registry_->FileAppeal("alice", "please").ok());
  ASSERT_TRUE(registry_->AddModerator("birds", "ex_mod").ok());
  ASSERT_TRUE(registry_->RemoveModerator("birds", "ex_mod").ok());
  ASSERT_TRUE(registry_->Join("carol", "birds").ok());
  const std::string before = registry_->CanonicalDump();
  const size_t events = recorder_.events().size();
  const auto denied = absl::StatusCode::kPermissionDenied;
  // A moderator of another group, a plain member, a former moderator, a stranger.
  for (const char* actor : {"mod_dogs", "bob", "ex_mod", "nobody"}) {
    SCOPED_TRACE(actor);
    EXPECT_EQ(registry_->Approve(actor, "cats", "p1", "").status().code(), denied);
    EXPECT_EQ(registry_->Reject(actor, "cats", "p1", "").status().code(), denied);
    EXPECT_EQ(registry_->ListQueue(actor, "cats").status().code(), denied);
    EXPECT_EQ(registry_->SetGroupPolicy(actor, "cats", GroupPolicy()).code(), denied);
    EXPECT_EQ(registry_->Flag(actor, "bob", "cats", "spam").code(), denied);
    EXPECT_EQ(registry_->Flag(actor, "carol", "birds", "spam").code(), denied);
    EXPECT_EQ(registry_->Lift(actor, "alice", "cats", "").code(), denied);
    EXPECT_EQ(registry_->Lift(actor, "alice", "", "").code(), denied);
    EXPECT_EQ(registry_->AuditLog(actor).status().code(), denied);
    EXPECT_EQ(registry_->ListAppeals(actor).status().code(), denied);
    EXPECT_EQ(registry_->DecideAppeal(actor, "alice", true, "").code(), denied);
    EXPECT_EQ(registry_->DecideAppeal(actor, "alice", false, "").code(), denied);
  }
  // Nor do they learn which groups exist: an unknown group is denied the same way
  // (only a site administrator is told it does not exist).
  for (const char* actor : {"mod_dogs", "bob", "nobody"}) {
    SCOPED_TRACE(actor);
    for (const char* group : {"cats", "no_such_group"}) {
      const std::string message =
          absl::StrCat("\"", actor, "\" may not see the queue in group \"", group,
                       "\": not a moderator of it or a site administrator");
      EXPECT_EQ(registry_->ListQueue(actor, group).status(),
                absl::PermissionDeniedError(message));
    }
    EXPECT_EQ(registry_->Approve(actor, "no_such_group", "p1", "").status().code(),
              denied);
    EXPECT_EQ(registry_->Reject(actor, "no_such_group", "p1", "").status().code(),
              denied);
    EXPECT_EQ(registry_->SetGroupPolicy(actor, "no_such_group", GroupPolicy()).code(),
              denied);
    EXPECT_EQ(registry_->Flag(actor, "bob", "no_such_group", "spam").code(), denied);
    EXPECT_EQ(registry_->Lift(actor, "alice", "no_such_group", "").code(), denied);
  }
  EXPECT_EQ(registry_->ListQueue("admin", "no_such_group").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(registry_->Flag("admin", "bob", "no_such_group", "spam").code(),
            absl::StatusCode::kNotFound);
  // A moderator's rights stop at their own groups, even site-wide lifts and appeals.
  EXPECT_EQ(registry_->Lift("mod_cats", "alice", "", "").code(), denied);
  EXPECT_EQ(registry_->DecideAppeal("mod_cats", "alice", true, "").code(), denied);
  EXPECT_EQ(registry_->AuditLog("mod_cats").status().code(), denied);
  EXPECT_EQ(registry_->CanonicalDump(), before);
  EXPECT_EQ(recorder_.events().size(), events);
}

TEST_F(RegistryTest, AuditLogRecordsActorTimeAndReason) {
  clock_.Advance(absl::Minutes(3));
  ASSERT_TRUE(registry_->Flag("mod_cats", "alice", "cats", "link farm").ok());
  EXPECT_EQ(registry_->AuditLog("mod_cats").status().code(),
            absl::StatusCode::kPermissionDenied);
  auto log = registry_->AuditLog("admin");
  ASSERT_TRUE(log.ok());
  ASSERT_FALSE(log->empty());
  const AuditEntry& last = log->back();
  EXPECT_EQ(last.actor, "mod_cats");
  EXPECT_EQ(last.action, "flag");
  EXPECT_EQ(last.member, "alice");
  EXPECT_EQ(last.group, "cats");
  EXPECT_EQ(last.reason, "link farm");
  EXPECT_EQ(last.time, clock_.Now());
  EXPECT_GT(last.sequence, (*log)[log->size() - 2].sequence);
}

// With a retention, Compact() drops older audit entries (and only it: the log
// before it is whole) by an event of its own, which the log records; a reopen
// rebuilds the trimmed log exactly.
TEST_F(RegistryTest, CompactDropsAuditEntriesOlderThanTheRetention) {
  options_.audit_retention = absl::Hours(24);
  Reopen();
  ASSERT_TRUE(registry_->Flag("mod_cats", "alice", "cats", "old spam").ok());
  clock_.Advance(absl::Hours(20));
  ASSERT_TRUE(registry_->Flag("mod_cats", "bob", "cats", "newer spam").ok());
  clock_.Advance(absl::Hours(5));
  auto whole = registry_->AuditLog("admin");
  ASSERT_TRUE(whole.ok());
  ASSERT_GE(whole->size(), 2u);
  EXPECT_EQ((*whole)[whole->size() - 2].reason, "old spam");
  ASSERT_TRUE(registry_->Compact().ok());
  auto kept = registry_->AuditLog("admin");
  ASSERT_TRUE(kept.ok());
  ASSERT_EQ(kept->size(), 2u) << "BuildWorld's entries and the first flag are 25 h old";
  EXPECT_EQ((*kept)[0].reason, "newer spam");
  EXPECT_EQ((*kept)[1].action, "trim_audit");
  EXPECT_EQ((*kept)[1].actor, "system");
  // The probations themselves are untouched.
  EXPECT_TRUE(registry_->ProbationStatusOf("alice").on_probation);
  const std::string dump = registry_->CanonicalDump();
  Reopen();
  EXPECT_EQ(registry_->CanonicalDump(), dump);
  ASSERT_TRUE(registry_->Lift("admin", "bob", "", "appeal by mail").ok());
  EXPECT_EQ(registry_->AuditLog("admin")->size(), 3u);
  // Nothing old enough: no trim event.
  ASSERT_TRUE(registry_->Compact().ok());
  EXPECT_EQ(registry_->AuditLog("admin")->size(), 3u);

  options_.audit_retention = absl::ZeroDuration();
  EXPECT_EQ(Registry::Open(NewMemoryEventStore(), &clock_, options_).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// Memory and a reopen agree whatever happens to the snapshot: a trim that cannot be
// recorded changes nothing; a trim recorded before a snapshot that fails stays
// trimmed, and a reopen (which replays it) agrees.
TEST_F(RegistryTest, AuditTrimAndReopenAgreeWhenSnapshotsFail) {
  options_.audit_retention = absl::Hours(24);
  Reopen();
  ASSERT_TRUE(registry_->Flag("mod_cats", "alice", "cats", "old spam").ok());
  clock_.Advance(absl::Hours(25));
  const std::string before = registry_->CanonicalDump();
  const size_t entries = registry_->AuditLog("admin")->size();
  fail_ = true;  // appends and snapshots fail
  EXPECT_EQ(registry_->Compact().code(), absl::StatusCode::kUnavailable);
  fail_ = false;
  EXPECT_EQ(registry_->AuditLog("admin")->size(), entries);
  EXPECT_EQ(registry_->CanonicalDump(), before);

  // Appends work, snapshots fail.
  class NoSnapshots final : public testing::ForwardingStore {
   public:
    using ForwardingStore::ForwardingStore;
    absl::Status WriteSnapshot(absl::string_view, uint64_t) override {
      return absl::UnavailableError("injected snapshot failure");
    }
  };
  registry_.reset();
  auto r = Registry::Open(std::make_unique<NoSnapshots>(base_.get()), &clock_, options_);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ((*r)->Compact().code(), absl::StatusCode::kUnavailable);
  auto log = (*r)->AuditLog("admin");
  ASSERT_TRUE(log.ok());
  ASSERT_EQ(log->size(), 1u);
  EXPECT_EQ(log->front().action, "trim_audit");
  const std::string trimmed = (*r)->CanonicalDump();
  r->reset();
  Reopen();
  EXPECT_EQ(registry_->CanonicalDump(), trimmed);
}

// A store that cannot take an append: nothing changes, in memory or in the store,
// and the registry is failed (a journal whose write failed takes no more): every
// later change and the gate's check say kUnavailable, and Health() says why.
TEST_F(RegistryTest, FailedAppendChangesNothing) {
  const std::string before = registry_->CanonicalDump();
  fail_ = true;
  const absl::Status flagged = registry_->Flag("mod_cats", "alice", "cats", "spam");
  EXPECT_EQ(flagged.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(flagged.message()), ::testing::HasSubstr("injected append"));
  fail_ = false;  // the registry stays failed all the same
  const absl::Status joined = registry_->Join("bob", "dogs");
  EXPECT_EQ(joined.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(joined.message()), ::testing::HasSubstr("store failed"));
  EXPECT_EQ(registry_->Health(), joined);
  EXPECT_EQ(registry_->CheckPosting("alice", "cats").status(), joined);
  EXPECT_EQ(registry_->CanonicalDump(), before);
  EXPECT_FALSE(registry_->ProbationStatusOf("alice").on_probation);
  EXPECT_THAT(recorder_.types(), IsEmpty());
}

// A change the store took that the registry runs out of memory applying: memory may
// hold part of it, so the registry is failed, the call included (kUnavailable,
// naming the cause), and refuses every later change and every check, as after a
// failed write. A reopen applies the change from the store. It used to throw
// std::bad_alloc out of the call and go on answering from the half-applied state.
TEST_F(RegistryTest, OutOfMemoryApplyingAChangeFailsTheRegistry) {
  internal::RegistryApplyRunsOutOfMemoryForTesting() = true;
  const absl::Status flagged = registry_->Flag("mod_cats", "alice", "cats", "spam");
  EXPECT_FALSE(internal::RegistryApplyRunsOutOfMemoryForTesting());
  EXPECT_EQ(flagged.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(flagged.message()),
              ::testing::HasSubstr("out of memory applying event"));
  EXPECT_THAT(std::string(flagged.message()),
              ::testing::HasSubstr("which is stored: a reopen applies it"));
  const absl::Status joined = registry_->Join("bob", "dogs");
  EXPECT_EQ(joined, flagged);
  EXPECT_THAT(
      std::string(joined.message()),
      ::testing::HasSubstr("registry accepts no more changes: it ran out of memory"));
  EXPECT_EQ(registry_->Health(), joined);
  EXPECT_EQ(registry_->CheckPosting("alice", "cats").status(), joined);
  registry_.reset();
  // Out of memory replaying the store: Open fails (it threw std::bad_alloc).
  internal::RegistryApplyRunsOutOfMemoryForTesting() = true;
  auto r = Registry::Open(std::make_unique<testing::SharedStore>(base_.get(), &fail_),
                          &clock_, options_);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(r.status().message()), ::testing::HasSubstr("out of memory"));
  Reopen();
  EXPECT_TRUE(registry_->Health().ok());
  EXPECT_TRUE(HeldIn("alice", "cats"));  // the stored flag, applied
  EXPECT_TRUE(registry_->Join("bob", "dogs").ok());
}

// A store out of room (a full disk: kResourceExhausted, as errno ENOSPC maps) fails
// the registry as its store's failure, not as running out of memory.
TEST(RegistryFailureTest, AFullDiskIsTheStoresFailureNotOutOfMemory) {
  class FullDisk final : public testing::ForwardingStore {
   public:
    using ForwardingStore::ForwardingStore;
    absl::StatusOr<uint64_t> Append(absl::string_view record) override {
      if (full) return absl::ResourceExhaustedError("journal: No space left on device");
      return ForwardingStore::Append(record);
    }
    bool full = false;
  };
  auto store = std::make_unique<FullDisk>(NewMemoryEventStore());
  FullDisk* disk = store.get();
  auto r = Registry::Open(std::move(store), nullptr, RegistryOptions());
  ASSERT_TRUE(r.ok()) << r.status();
  disk->full = true;
  EXPECT_EQ((*r)->CreateGroup("cats").code(), absl::StatusCode::kResourceExhausted);
  const absl::Status health = (*r)->Health();
  EXPECT_EQ(health.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(health.message()),
              ::testing::HasSubstr("its store failed (RESOURCE_EXHAUSTED: journal: No "
                                   "space left on device)"));
  EXPECT_THAT(std::string(health.message()),
              ::testing::Not(::testing::HasSubstr("out of memory")));
}

// The same over a journal under kGroupCommit, where a change is only queued until
// a WaitDurable writes it: the failed registry makes it durable before it stops, so
// the reopened registry has it (nothing else would have written it).
TEST(RegistryJournalTest, OutOfMemoryApplyingUnderGroupCommitKeepsTheChange) {
  testing_internal::ScratchDir scratch;
  const std::string& dir = scratch.path();
  JournalOptions jo;
  jo.sync = JournalOptions::Sync::kGroupCommit;
  ManualClock clock(absl::FromUnixSeconds(1700000000));
  {
    auto journal = OpenJournal(dir, jo);
    ASSERT_TRUE(journal.ok()) << journal.status();
    auto r = Registry::Open(*std::move(journal), &clock, RegistryOptions());
    ASSERT_TRUE(r.ok()) << r.status();
    Registry& registry = **r;
    ASSERT_TRUE(registry.CreateGroup("cats").ok());
    ASSERT_TRUE(registry.AddModerator("cats", "mia").ok());
    ASSERT_TRUE(registry.Join("sam", "cats").ok());
    internal::RegistryApplyRunsOutOfMemoryForTesting() = true;
    const absl::Status flagged = registry.Flag("mia", "sam", "cats", "prize spam");
    EXPECT_EQ(flagged.code(), absl::StatusCode::kUnavailable);
    EXPECT_THAT(std::string(flagged.message()),
                ::testing::HasSubstr("which is stored: a reopen applies it"));
  }
  auto journal = OpenJournal(dir, jo);
  ASSERT_TRUE(journal.ok()) << journal.status();
  auto r = Registry::Open(*std::move(journal), &clock, RegistryOptions());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE((*r)->ProbationStatusOf("sam").on_probation);
}

// Lowers the largest event or snapshot the registry serializes (protobuf's 2 GiB
// limit) for one test, so that states and posts over it need not be allocated.
class ScopedMessageLimit {
 public:
  explicit ScopedMessageLimit(size_t limit)
      : saved_(internal::RegistryMessageLimitForTesting().exchange(limit)) {}
  ~ScopedMessageLimit() { internal::RegistryMessageLimitForTesting().store(saved_); }

 private:
  size_t saved_;
};

// Whether the store holds a snapshot, and how many records follow it.
std::pair<bool, int> SnapshotAndRecords(EventStore& store) {
  bool snapshot = false;
  int records = 0;
  EXPECT_TRUE(store
                  .Recover(
                      [&](absl::string_view, uint64_t) {
                        snapshot = true;
                        return absl::OkStatus();
                      },
                      [&](uint64_t, absl::string_view) {
                        ++records;
                        return absl::OkStatus();
                      })
                  .ok());
  return {snapshot, records};
}

// A state too big to serialize (over 2 GiB in production; over 4 KiB here) is not
// compacted: Compact says what and how big, writes no snapshot (protobuf would have
// given an empty one, and the store would have dropped every record it covers), and
// the store and the registry stay as they were.
TEST_F(RegistryTest, CompactOfAStateTooBigToSerializeWritesNothing) {
  const ScopedMessageLimit limit(4096);
  for (int i = 0; i < 8; ++i) {
    ASSERT_TRUE(registry_
                    ->Hold(Submission{absl::StrCat("p", i), "alice", "cats",
                                      std::string(1000, 'x'), clock_.Now()},
                           {})
                    .ok());
  }
  const std::string before = registry_->CanonicalDump();
  const auto [had_snapshot, records] = SnapshotAndRecords(*base_);
  ASSERT_FALSE(had_snapshot);
  absl::Status compacted = registry_->Compact();
  EXPECT_EQ(compacted.code(), absl::StatusCode::kResourceExhausted) << compacted;
  EXPECT_THAT(std::string(compacted.message()),
              ::testing::HasSubstr("moderation snapshot through sequence"));
  EXPECT_THAT(std::string(compacted.message()), ::testing::HasSubstr("bytes"));
  EXPECT_EQ(SnapshotAndRecords(*base_), std::make_pair(false, records));
  EXPECT_EQ(registry_->CanonicalDump(), before);
  // The registry goes on, and a reopen rebuilds it from the records.
  ASSERT_TRUE(registry_->Approve("mod_cats", "cats", "p0", "fine").ok());
  const std::string after = registry_->CanonicalDump();
  Reopen();
  EXPECT_EQ(registry_->CanonicalDump(), after);
}

// An event protobuf cannot serialize (over 2 GiB in production, over 4 KiB here) is
// refused like one over the journal's max_record_bytes: no empty record is stored
// (no Open could decode it), nothing changes, nobody is notified. A held post is cut
// to fit (below); one whose reasons alone are too long is refused so.
TEST_F(RegistryTest, AnEventTooBigToSerializeIsRefusedAndStoresNothing) {
  const ScopedMessageLimit limit(4096);
  const std::string before = registry_->CanonicalDump();
  const int records = SnapshotAndRecords(*base_).second;
  absl::Status flagged =
      registry_->Flag("mod_cats", "alice", "cats", std::string(5000, 'x'));
  EXPECT_EQ(flagged.code(), absl::StatusCode::kInvalidArgument) << flagged;
  EXPECT_THAT(std::string(flagged.message()), ::testing::HasSubstr("bytes"));
  HoldReason long_reason;
  long_reason.kind = HoldReason::Kind::kClassifier;
  long_reason.clues = {std::string(5000, 'c')};
  auto held = registry_->Hold(Submission{"big", "alice", "cats", "x", clock_.Now()},
                              {long_reason});
  EXPECT_EQ(held.status().code(), absl::StatusCode::kInvalidArgument) << held.status();
  EXPECT_THAT(std::string(held.status().message()),
              ::testing::HasSubstr("without its text"));
  EXPECT_EQ(SnapshotAndRecords(*base_).second, records);
  EXPECT_EQ(registry_->CanonicalDump(), before);
  EXPECT_THAT(recorder_.types(), IsEmpty());
  Reopen();
  EXPECT_EQ(registry_->CanonicalDump(), before);
  EXPECT_TRUE(registry_->ListQueue("mod_cats", "cats")->empty());
}

// A held post whose event would be over the record limit (here the event limit of
// the test hook, 20,000 bytes, on either side of the 16,384 where the text's length
// takes a third byte) is held with as much of its text as fits: the event is at
// most the limit and at most a few bytes under it (as many as the cut moves back to
// keep a character whole, and a byte or two of the lengths' reckoning). What the queue
// keeps is what the store has, and the post says it was cut and how long it was.
TEST_F(RegistryTest, HoldCutsTheTextOfAPostOverTheRecordLimitToFit) {
  for (size_t limit : {size_t{16'500}, size_t{20'000}}) {
    const ScopedMessageLimit scoped_limit(limit);
    for (size_t size = limit - 300; size <= limit + 300; size += 7) {
      SCOPED_TRACE(absl::StrCat("limit ", limit, ", text of ", size, " bytes"));
      // ASCII, or a 3-byte character at every third byte from the second on.
      for (bool utf8 : {false, true}) {
        std::string text = "a";
        while (text.size() < size) text += utf8 ? "\xe2\x82\xac" : "b";
        text.resize(size);
        const std::string id = absl::StrCat("p", size, utf8 ? "u" : "a");
        auto held =
            registry_->Hold(Submission{id, "alice", "cats", text, clock_.Now()}, {});
        ASSERT_TRUE(held.ok()) << held.status();
        std::string record;
        ASSERT_TRUE(
            base_
                ->Recover([](absl::string_view, uint64_t) { return absl::OkStatus(); },
                          [&](uint64_t sequence, absl::string_view r) {
                            if (sequence == held->sequence) record = std::string(r);
                            return absl::OkStatus();
                          })
                .ok());
        EXPECT_LE(record.size(), limit);
        EXPECT_EQ(held->original_text_bytes, text.size());
        EXPECT_EQ(text.compare(0, held->post.text.size(), held->post.text), 0);
        if (held->text_truncated) {
          EXPECT_LT(held->post.text.size(), text.size());
          EXPECT_GE(record.size(), limit - (utf8 ? 4 : 2));
          EXPECT_NE(static_cast<unsigned char>(text[held->post.text.size()]) & 0xC0,
                    0x80);
        } else {
          EXPECT_EQ(held->post.text, text);
        }
        auto queue = registry_->ListQueue("mod_cats", "cats");
        ASSERT_TRUE(queue.ok());
        EXPECT_EQ(queue->back().post.text, held->post.text);
        EXPECT_EQ(queue->back().text_truncated, held->text_truncated);
        EXPECT_EQ(queue->back().original_text_bytes, held->original_text_bytes);
      }
    }
    // Both sides of the limit were seen.
    auto queue = registry_->ListQueue("mod_cats", "cats");
    ASSERT_TRUE(queue.ok());
    int cut = 0;
    for (const HeldPost& h : *queue) cut += h.text_truncated;
    EXPECT_GT(cut, 0);
    EXPECT_LT(cut, static_cast<int>(queue->size()));
    for (const HeldPost& h : *queue) {
      ASSERT_TRUE(registry_->Reject("mod_cats", "cats", h.post.id, "test").ok());
    }
  }
}

// The queue and its cut posts come back the same from the records and from a
// snapshot.
TEST_F(RegistryTest, CutHeldPostsSurviveReopenAndCompaction) {
  {
    // Only for the hold: a snapshot of the state is over 8 KiB.
    const ScopedMessageLimit limit(8192);
    ASSERT_TRUE(registry_
                    ->Hold(Submission{"long", "alice", "cats", std::string(10'000, 'x'),
                                      clock_.Now()},
                           {})
                    .ok());
  }
  ASSERT_TRUE(
      registry_->Hold(Submission{"short", "bob", "cats", "hi", clock_.Now()}, {}).ok());
  const std::string before = registry_->CanonicalDump();
  EXPECT_NE(before.find("original_text_bytes: 10000"), std::string::npos) << before;
  ExpectSameAfterReopenAndCompact(before);
  auto queue = registry_->ListQueue("mod_cats", "cats");
  ASSERT_TRUE(queue.ok());
  ASSERT_EQ(queue->size(), 2u);
  EXPECT_TRUE((*queue)[0].text_truncated);
  EXPECT_EQ((*queue)[0].original_text_bytes, 10'000u);
  EXPECT_FALSE((*queue)[1].text_truncated);
  EXPECT_EQ((*queue)[1].original_text_bytes, 2u);
}

// A store that states a record limit too small for the gate's holds is refused; a
// store that states none (the memory store, older custom stores) is taken.
TEST(RegistryOpenTest, AStoreWithRecordsTooShortForAHeldPostIsRefused) {
  class SmallRecords final : public testing::ForwardingStore {
   public:
    explicit SmallRecords(size_t limit)
        : ForwardingStore(NewMemoryEventStore()), limit_(limit) {}
    size_t MaxRecordBytes() const override { return limit_; }

   private:
    size_t limit_;
  };
  auto refused = Registry::Open(
      std::make_unique<SmallRecords>(Registry::kMinStoreRecordBytes - 1), nullptr, {});
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(refused.status().message()),
              ::testing::HasSubstr("kMinStoreRecordBytes"));
  EXPECT_TRUE(
      Registry::Open(std::make_unique<SmallRecords>(Registry::kMinStoreRecordBytes),
                     nullptr, {})
          .ok());
  EXPECT_EQ(NewMemoryEventStore()->MaxRecordBytes(), std::numeric_limits<size_t>::max());
  EXPECT_TRUE(Registry::Open(NewMemoryEventStore(), nullptr, {}).ok());
}

// Drives a varied history, so recovery has every kind of event to rebuild.
void VariedHistory(Registry& r, ManualClock& clock) {
  ASSERT_TRUE(r.Flag("mod_cats", "alice", "cats", "spam", absl::Hours(3)).ok());
  ASSERT_TRUE(r.Hold(Submission{"p1", "alice", "dogs", "buy", clock.Now()}, {}).ok());
  ASSERT_TRUE(r.Hold(Submission{"p2", "bob", "cats", "hi", clock.Now()}, {}).ok());
  clock.Advance(absl::Minutes(5));
  ASSERT_TRUE(r.Approve("mod_cats", "cats", "p2", "fine").ok());
  ASSERT_TRUE(r.FileAppeal("alice", "please").ok());
  ASSERT_TRUE(r.Join("carol", "birds").ok());
  ASSERT_TRUE(r.AddModerator("birds", "mod_birds").ok());
  ASSERT_TRUE(r.Flag("mod_birds", "carol", "birds", "ads", absl::Hours(1)).ok());
  ASSERT_TRUE(r.Flag("mod_dogs", "alice", "dogs", "spam too").ok());
  ASSERT_TRUE(r.Lift("mod_cats", "alice", "cats", "second look").ok());  // cats exempt
  GroupPolicy p;
  p.hold_unsure = false;
  ASSERT_TRUE(r.SetGroupPolicy("admin", "dogs", p).ok());
  clock.Advance(absl::Hours(2));
  ASSERT_TRUE(r.ExpireProbations().ok());
  ASSERT_TRUE(r.Leave("bob", "cats").ok());
}

TEST_F(RegistryTest, RecoveryFromEventsRebuildsExactly) {
  VariedHistory(*registry_, clock_);
  const std::string before = registry_->CanonicalDump();
  EXPECT_NE(before.find("carol"), std::string::npos);
  Reopen();
  EXPECT_EQ(registry_->CanonicalDump(), before);
}

TEST_F(RegistryTest, RecoveryFromSnapshotPlusTailRebuildsExactly) {
  ASSERT_TRUE(registry_->Flag("mod_dogs", "alice", "dogs", "spam").ok());
  ASSERT_TRUE(registry_->Compact().ok());
  VariedHistory(*registry_, clock_);
  const std::string before = registry_->CanonicalDump();
  ExpectSameAfterReopenAndCompact(before);
  // And it keeps working: the queue and probations came back.
  EXPECT_TRUE(HeldIn("alice", "dogs"));
  auto q = registry_->ListQueue("mod_dogs", "dogs");
  ASSERT_TRUE(q.ok());
  ASSERT_EQ(q->size(), 1u);
  EXPECT_EQ((*q)[0].post.id, "p1");
}

// Ids, texts and reasons are the forum's bytes, not necessarily UTF-8 (a Latin-1
// post, a truncated multi-byte character). They must be stored and recovered as they
// are, and the library must not log about them.
TEST_F(RegistryTest, NonUtf8BytesAreStoredAndRecoveredExactly) {
  const std::string member = "caf\xe9";                // Latin-1
  const std::string text = "prize \xff\xfe \xe2\x82";  // invalid and truncated UTF-8
  const std::string reason = "spam \xc3";
  ::testing::internal::CaptureStderr();
  ASSERT_TRUE(registry_->Join(member, "cats").ok());
  ASSERT_TRUE(registry_->Flag("mod_cats", member, "cats", reason).ok());
  ASSERT_TRUE(
      registry_->Hold(Submission{"p\x80", member, "cats", text, clock_.Now()}, {}).ok());
  const std::string before = registry_->CanonicalDump();
  Reopen();
  ASSERT_EQ(registry_->CanonicalDump(), before);
  auto q = registry_->ListQueue("mod_cats", "cats");
  ASSERT_TRUE(q.ok());
  ASSERT_EQ(q->size(), 1u);
  EXPECT_EQ((*q)[0].post.text, text);
  EXPECT_EQ((*q)[0].post.member, member);
  EXPECT_TRUE(registry_->ProbationStatusOf(member).on_probation);
  ASSERT_TRUE(registry_->Compact().ok());
  Reopen();
  EXPECT_EQ(registry_->CanonicalDump(), before);
  EXPECT_EQ(registry_->AuditLog("admin")->back().reason, reason);
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
}

TEST_F(RegistryTest, RecoveryRejectsUndecodableEvent) {
  ASSERT_TRUE(base_->Append("\xff\xff\xff not an event").ok());
  auto r = Registry::Open(std::make_unique<testing::SharedStore>(base_.get()), &clock_,
                          options_);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss);
}

// Over a journal, the error also says where the bad event is: file and offset.
TEST(RegistryJournalTest, UndecodableEventNamesItsFileAndOffset) {
  testing_internal::ScratchDir scratch;
  const std::string& dir = scratch.path();
  JournalOptions jo;
  jo.sync = JournalOptions::Sync::kNone;
  {
    auto journal = OpenJournal(dir, jo);
    ASSERT_TRUE(journal.ok()) << journal.status();
    ASSERT_TRUE((*journal)->Append("\xff\xff\xff not an event").ok());
  }
  auto journal = OpenJournal(dir, jo);
  ASSERT_TRUE(journal.ok()) << journal.status();
  auto r = Registry::Open(*std::move(journal), nullptr, RegistryOptions());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(r.status().message()),
              ::testing::MatchesRegex(
                  absl::StrCat(dir,
                               "/journal-0+1\\.log: offset [0-9]+: "
                               "moderation event at sequence 1 is not decodable")));
}

// A registry over a read-only journal (OpenJournalReadOnly) while the server's
// registry has the journal open: the view shows the state the journal held, opening
// it wrote nothing, and every change (and Compact) is refused without failing the
// view, which goes on answering reads.
TEST(RegistryJournalTest, AReadOnlyViewReadsALiveJournalAndRefusesChanges) {
  testing_internal::ScratchDir scratch;
  const std::string& dir = scratch.path();
  JournalOptions jo;
  jo.sync = JournalOptions::Sync::kNone;
  ManualClock clock(absl::FromUnixSeconds(1700000000));
  RegistryOptions options;
  options.audit_retention = absl::Hours(1);  // Compact would trim the audit log
  auto journal = OpenJournal(dir, jo);
  ASSERT_TRUE(journal.ok()) << journal.status();
  auto server = Registry::Open(*std::move(journal), &clock, options);
  ASSERT_TRUE(server.ok()) << server.status();
  Registry& live = **server;
  ASSERT_TRUE(live.CreateGroup("cats").ok());
  ASSERT_TRUE(live.AddAdministrator("ada").ok());
  ASSERT_TRUE(live.AddModerator("cats", "mia").ok());
  ASSERT_TRUE(live.Join("sam", "cats").ok());
  ASSERT_TRUE(live.Flag("mia", "sam", "cats", "prize spam", absl::Hours(5)).ok());
  ASSERT_TRUE(live.Hold(Submission{"p1", "sam", "cats", "win", clock.Now()}, {}).ok());
  clock.Advance(absl::Hours(2));  // the audit entries are now past their retention

  auto files = [&dir] {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      std::ifstream in(entry.path(), std::ios::binary);
      out.emplace_back(entry.path().filename().string(),
                       std::string(std::istreambuf_iterator<char>(in), {}));
    }
    std::sort(out.begin(), out.end());
    return out;
  };
  const auto before = files();
  auto store = OpenJournalReadOnly(dir);
  ASSERT_TRUE(store.ok()) << store.status();
  auto opened = Registry::Open(*std::move(store), &clock, options);
  ASSERT_TRUE(opened.ok()) << opened.status();
  Registry& view = **opened;
  EXPECT_EQ(view.CanonicalDump(), live.CanonicalDump());
  EXPECT_TRUE(view.ProbationStatusOf("sam").on_probation);
  auto queue = view.ListQueue("ada", "cats");
  ASSERT_TRUE(queue.ok()) << queue.status();
  ASSERT_EQ(queue->size(), 1u);
  EXPECT_EQ((*queue)[0].post.id, "p1");
  auto groups = view.ListGroups("ada");
  ASSERT_TRUE(groups.ok()) << groups.status();
  EXPECT_THAT(*groups, ElementsAre("cats"));
  EXPECT_EQ(view.ListGroups("mia").status().code(), absl::StatusCode::kPermissionDenied);

  absl::Status flag = view.Flag("ada", "sam", "cats", "again");
  EXPECT_EQ(flag.code(), absl::StatusCode::kFailedPrecondition) << flag;
  EXPECT_THAT(std::string(flag.message()), ::testing::HasSubstr("read-only"));
  EXPECT_EQ(view.Join("bob", "cats").code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(view.Compact().code(), absl::StatusCode::kFailedPrecondition);
  clock.Advance(absl::Hours(4));  // sam's probation is due to expire
  EXPECT_EQ(view.ExpireProbations().status().code(),
            absl::StatusCode::kFailedPrecondition);
  // Refused, not failed: the view still answers, and the gate's check works.
  EXPECT_TRUE(view.Health().ok()) << view.Health();
  EXPECT_TRUE(view.CheckPosting("sam", "cats").ok());
  auto audit = view.AuditLog("ada");
  ASSERT_TRUE(audit.ok()) << audit.status();
  EXPECT_FALSE(audit->empty());  // not trimmed
  EXPECT_EQ(files(), before);
  // The server's registry goes on writing all along.
  EXPECT_TRUE(live.Join("bob", "cats").ok());
}

// The operator's way out of that error: SalvageJournal with drop_from = the sequence
// the error names ends the history before the bad event, and the registry opens with
// everything before it.
TEST(RegistryJournalTest, SalvagingBeforeAnUndecodableEventOpensTheRegistry) {
  testing_internal::ScratchDir scratch;
  const std::string& dir = scratch.path();
  JournalOptions jo;
  jo.sync = JournalOptions::Sync::kNone;
  std::string before;
  {
    auto journal = OpenJournal(dir, jo);
    ASSERT_TRUE(journal.ok()) << journal.status();
    auto r = Registry::Open(*std::move(journal), nullptr, RegistryOptions());
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_TRUE((*r)->CreateGroup("cats").ok());
    ASSERT_TRUE((*r)->Join("ann", "cats").ok());
    before = (*r)->CanonicalDump();
  }
  uint64_t bad = 0;
  {
    auto journal = OpenJournal(dir, jo);
    ASSERT_TRUE(journal.ok()) << journal.status();
    absl::StatusOr<uint64_t> appended = (*journal)->Append("\xff\xff\xff not an event");
    ASSERT_TRUE(appended.ok()) << appended.status();
    bad = *appended;
  }
  auto journal = OpenJournal(dir, jo);
  ASSERT_TRUE(journal.ok()) << journal.status();
  auto r = Registry::Open(*std::move(journal), nullptr, RegistryOptions());
  ASSERT_EQ(r.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(r.status().message()),
              ::testing::HasSubstr(absl::StrCat("sequence ", bad, " ")));

  JournalSalvageOptions salvage;
  salvage.drop_from = bad;
  salvage.sync = false;
  absl::StatusOr<JournalSalvageReport> report = SalvageJournal(dir, salvage);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->kept_through, bad - 1);
  journal = OpenJournal(dir, jo);
  ASSERT_TRUE(journal.ok()) << journal.status();
  r = Registry::Open(*std::move(journal), nullptr, RegistryOptions());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ((*r)->CanonicalDump(), before);
}

// Under kEveryAppend, a sync that fails after the write leaves the change in the
// journal but not yet durable: the registry fails (the change's outcome is unknown)
// and decides no post from then on; reopening finds the change. It used to return
// the error with memory unchanged and go on deciding, the gate publishing the posts
// of a member a reopen then holds.
TEST(RegistryJournalTest, FailedSyncUnderEveryAppendFailsTheRegistry) {
  testing_internal::ScratchDir scratch;
  const std::string& dir = scratch.path();
  JournalOptions jo;
  jo.sync = JournalOptions::Sync::kEveryAppend;
  ManualClock clock;
  {
    auto journal = OpenJournal(dir, jo);
    ASSERT_TRUE(journal.ok()) << journal.status();
    auto opened = Registry::Open(*std::move(journal), &clock, RegistryOptions());
    ASSERT_TRUE(opened.ok()) << opened.status();
    Registry& r = **opened;
    ASSERT_TRUE(r.CreateGroup("cats").ok());
    ASSERT_TRUE(r.AddAdministrator("ada").ok());
    ASSERT_TRUE(r.Join("sam", "cats").ok());
    internal::JournalFailSyncsForTesting() = true;
    const absl::Status flagged = r.Flag("ada", "sam", "cats", "spam");
    internal::JournalFailSyncsForTesting() = false;
    EXPECT_FALSE(flagged.ok());
    EXPECT_EQ(r.Health().code(), absl::StatusCode::kUnavailable) << r.Health();
    EXPECT_EQ(r.CheckPosting("sam", "cats").status(), r.Health());
    EXPECT_EQ(r.Join("ann", "cats").code(), absl::StatusCode::kUnavailable);
  }
  auto journal = OpenJournal(dir, jo);
  ASSERT_TRUE(journal.ok()) << journal.status();
  auto reopened = Registry::Open(*std::move(journal), &clock, RegistryOptions());
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  auto check = (*reopened)->CheckPosting("sam", "cats");
  ASSERT_TRUE(check.ok()) << check.status();
  EXPECT_TRUE(check->probation.has_value());  // the flag was in the journal after all
}

// With a journal: Forget, then Compact, and no file of the journal's directory holds
// the member's texts or id any more, though a snapshot and a segment held them.
// Before the Compact they are still there (the records before the Forget, and the
// Forget itself naming the member).
TEST(RegistryJournalTest, ForgetThenCompactLeavesNoTraceInTheJournalFiles) {
  testing_internal::ScratchDir scratch;
  const std::string& dir = scratch.path();
  JournalOptions jo;
  jo.sync = JournalOptions::Sync::kGroupCommit;
  ManualClock clock;
  const std::vector<std::string> traces = {"qv7-member", "qv7 held text",
                                           "qv7 appeal statement", "qv7 flag reason"};
  auto files_holding = [&](const std::string& trace) {
    std::vector<std::string> found;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      std::ifstream in(entry.path(), std::ios::binary);
      const std::string bytes((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
      if (bytes.find(trace) != std::string::npos) {
        found.push_back(entry.path().filename().string());
      }
    }
    return found;
  };
  std::string dump;
  {
    auto journal = OpenJournal(dir, jo);
    ASSERT_TRUE(journal.ok()) << journal.status();
    auto opened = Registry::Open(*std::move(journal), &clock, RegistryOptions());
    ASSERT_TRUE(opened.ok()) << opened.status();
    Registry& r = **opened;
    ASSERT_TRUE(r.CreateGroup("cats").ok());
    ASSERT_TRUE(r.CreateGroup("dogs").ok());
    ASSERT_TRUE(r.AddAdministrator("ada").ok());
    ASSERT_TRUE(r.Join("qv7-member", "cats").ok());
    ASSERT_TRUE(r.Join("qv7-member", "dogs").ok());
    ASSERT_TRUE(r.Join("sam", "cats").ok());
    ASSERT_TRUE(r.Hold(Submission{"p1", "qv7-member", "cats", "qv7 held text"}, {}).ok());
    ASSERT_TRUE(r.Hold(Submission{"p2", "sam", "cats", "sam's text"}, {}).ok());
    ASSERT_TRUE(r.Flag("ada", "qv7-member", "cats", "qv7 flag reason").ok());
    ASSERT_TRUE(r.Compact().ok());  // a snapshot with all of it
    ASSERT_TRUE(r.Hold(Submission{"p3", "qv7-member", "dogs", "qv7 held text"}, {}).ok());
    ASSERT_TRUE(r.FileAppeal("qv7-member", "qv7 appeal statement").ok());
    for (const std::string& trace : traces) {
      EXPECT_THAT(files_holding(trace), ::testing::Not(IsEmpty())) << trace;
    }
    ASSERT_TRUE(r.Forget("ada", "qv7-member").ok());
    EXPECT_THAT(files_holding("qv7 held text"), ::testing::Not(IsEmpty()));
    ASSERT_TRUE(r.Compact().ok());
    for (const std::string& trace : traces) {
      EXPECT_THAT(files_holding(trace), IsEmpty()) << trace;
    }
    EXPECT_THAT(files_holding("sam's text"), ::testing::Not(IsEmpty()));
    dump = r.CanonicalDump();
  }
  auto journal = OpenJournal(dir, jo);
  ASSERT_TRUE(journal.ok()) << journal.status();
  auto reopened = Registry::Open(*std::move(journal), &clock, RegistryOptions());
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  EXPECT_EQ((*reopened)->CanonicalDump(), dump);
  EXPECT_EQ((*reopened)->ListQueue("ada", "cats")->size(), 1u);
}

// An appeal filed against a probation that then ran out is about that probation:
// a flag after the end starts a new one (whether or not ExpireProbations has recorded
// the end yet), which the old statement must not decide, and which the member may
// appeal afresh.
TEST_F(RegistryTest, AnAppealDoesNotCarryIntoTheNextProbation) {
  ASSERT_TRUE(registry_->Flag("mod_cats", "alice", "cats", "spam", absl::Hours(1)).ok());
  ASSERT_TRUE(registry_->FileAppeal("alice", "old statement").ok());
  clock_.Advance(absl::Hours(2));  // ran out; ExpireProbations has not run
  EXPECT_FALSE(registry_->ProbationStatusOf("alice").on_probation);
  ASSERT_TRUE(registry_->Flag("mod_dogs", "alice", "dogs", "new spam").ok());
  EXPECT_FALSE(registry_->ProbationStatusOf("alice").appeal_pending);
  EXPECT_TRUE(registry_->ListAppeals("admin")->empty());
  EXPECT_TRUE(registry_->FileAppeal("alice", "new statement").ok());
  auto appeals = registry_->ListAppeals("admin");
  ASSERT_TRUE(appeals.ok());
  ASSERT_EQ(appeals->size(), 1u);
  EXPECT_EQ(appeals->front().statement, "new statement");
  const std::string dump = registry_->CanonicalDump();
  Reopen();
  EXPECT_EQ(registry_->CanonicalDump(), dump);
}

// Deciding an appeal whose probation ran out (ExpireProbations not yet run) closes it
// as moot, as when the end was recorded: no lift "on appeal" of a probation that was
// over, and the member hears of the end as an expiry.
TEST_F(RegistryTest, GrantingAnAppealAfterTheProbationRanOutIsMoot) {
  ASSERT_TRUE(registry_->Flag("mod_cats", "alice", "cats", "spam", absl::Hours(1)).ok());
  ASSERT_TRUE(registry_->FileAppeal("alice", "statement").ok());
  clock_.Advance(absl::Hours(2));
  recorder_.Clear();
  ASSERT_TRUE(registry_->DecideAppeal("admin", "alice", true, "fine").ok());
  EXPECT_FALSE(registry_->ProbationStatusOf("alice").appeal_pending);
  EXPECT_THAT(recorder_.types(), ElementsAre(Type::kAppealDenied)) << "nothing was lifted";
  EXPECT_EQ(recorder_.events().back().reason, "moot: no probation left; fine");
  auto log = registry_->AuditLog("admin");
  ASSERT_TRUE(log.ok());
  EXPECT_EQ(log->back().action, "deny_appeal");
  EXPECT_EQ(*registry_->ExpireProbations(), 1);
  EXPECT_THAT(recorder_.types(), ElementsAre(Type::kAppealDenied, Type::kProbationExpired));
}

// Before a new probation closed a pending appeal of the one that ran out, such an
// appeal stayed pending and could be decided later. A journal written then (its flag
// event without closes_appeal, then the appeal denied) still opens, as it was: the
// rule is recorded in the event, not applied to old ones.
TEST_F(RegistryTest, AJournalWrittenBeforeTheAppealRuleReplaysAsItWas) {
  ASSERT_TRUE(registry_->Flag("mod_cats", "alice", "cats", "spam", absl::Hours(1)).ok());
  ASSERT_TRUE(registry_->FileAppeal("alice", "old statement").ok());
  clock_.Advance(absl::Hours(2));
  ASSERT_TRUE(registry_->Flag("mod_dogs", "alice", "dogs", "new spam").ok());
  registry_.reset();
  // The same records as an older library wrote them, then its denial of the appeal.
  std::unique_ptr<EventStore> old = NewMemoryEventStore();
  int closing = 0;
  ASSERT_TRUE(base_
                  ->Recover([](absl::string_view, uint64_t) { return absl::OkStatus(); },
                            [&](uint64_t, absl::string_view record) {
                              moderation::Event e;
                              if (!e.ParseFromString(std::string(record))) {
                                return absl::DataLossError("undecodable");
                              }
                              if (e.has_flagged()) {
                                closing += e.flagged().closes_appeal() ? 1 : 0;
                                e.mutable_flagged()->clear_closes_appeal();
                              }
                              return old->Append(e.SerializeAsString()).status();
                            })
                  .ok());
  EXPECT_EQ(closing, 1);
  moderation::Event denied;
  denied.set_time(absl::ToUnixMicros(clock_.Now()));
  denied.set_actor("admin");
  denied.set_reason("decided under the old rule");
  denied.mutable_appeal_denied()->set_member("alice");
  ASSERT_TRUE(old->Append(denied.SerializeAsString()).ok());
  auto r = Registry::Open(std::make_unique<testing::SharedStore>(old.get()), &clock_,
                          options_);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE((*r)->ProbationStatusOf("alice").on_probation);
  EXPECT_FALSE((*r)->ProbationStatusOf("alice").appeal_pending);
}

TEST(RegistryOptionsTest, RejectsBadOptions) {
  RegistryOptions o;
  o.sitewide_after_distinct_groups = 0;
  EXPECT_EQ(Registry::Open(NewMemoryEventStore(), nullptr, o).status().code(),
            absl::StatusCode::kInvalidArgument);
  o = RegistryOptions();
  o.default_probation = absl::ZeroDuration();
  EXPECT_EQ(Registry::Open(NewMemoryEventStore(), nullptr, o).status().code(),
            absl::StatusCode::kInvalidArgument);
  o = RegistryOptions();
  o.flag_after_leaving = -absl::Seconds(1);
  EXPECT_EQ(Registry::Open(NewMemoryEventStore(), nullptr, o).status().code(),
            absl::StatusCode::kInvalidArgument);
  // Times are microseconds: under one, a positive duration would be zero there (a
  // flag ending as it starts, a rate window counting nothing).
  for (absl::Duration RegistryOptions::*field :
       {&RegistryOptions::default_probation, &RegistryOptions::max_probation,
        &RegistryOptions::flag_window, &RegistryOptions::audit_retention,
        &RegistryOptions::flag_after_leaving}) {
    o = RegistryOptions();
    o.*field = absl::Nanoseconds(500);
    EXPECT_EQ(Registry::Open(NewMemoryEventStore(), nullptr, o).status().code(),
              absl::StatusCode::kInvalidArgument);
    o.*field = absl::Microseconds(1);
    EXPECT_TRUE(Registry::Open(NewMemoryEventStore(), nullptr, o).ok());
  }
  o = RegistryOptions();
  o.flag_after_leaving = absl::ZeroDuration();  // members only
  EXPECT_TRUE(Registry::Open(NewMemoryEventStore(), nullptr, o).ok());
  EXPECT_EQ(Registry::Open(nullptr, nullptr, RegistryOptions()).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace groupguard
