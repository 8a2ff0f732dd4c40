// Many threads submitting while moderators flag, lift, review, and members join and
// leave. Run under ThreadSanitizer (label `concurrency`); it checks that the queues
// account for every hold and that recovery rebuilds the state the threads left.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "groupguard/clock.h"
#include "groupguard/event_store.h"
#include "groupguard/gate.h"
#include "groupguard/registry.h"
#include "gtest/gtest.h"
#include "moderation_test_util.h"

namespace groupguard {
namespace {

constexpr int kGroups = 4;
constexpr int kMembers = 64;
constexpr int kSubmitters = 4;
constexpr int kPostsPerSubmitter = 1000;
constexpr int kModerators = 2;
constexpr int kActionsPerModerator = 300;

std::string GroupName(int g) { return absl::StrCat("g", g); }
std::string MemberName(int m) { return absl::StrCat("u", m); }

TEST(RegistryStressTest, SubmittersAndModeratorsAtOnce) {
  std::unique_ptr<EventStore> base = NewMemoryEventStore();
  ManualClock clock;
  RegistryOptions options;
  options.max_flags_per_window = 1000;
  auto opened =
      Registry::Open(std::make_unique<testing::SharedStore>(base.get()), &clock, options);
  ASSERT_TRUE(opened.ok()) << opened.status();
  std::unique_ptr<Registry> registry = std::move(opened).value();
  testing::FakeClassifier classifier;
  Gate gate(registry.get(), &classifier);

  std::atomic<int> events_seen{0};
  registry->Subscribe([&](const ModerationEvent&) { events_seen.fetch_add(1); });
  ASSERT_TRUE(registry->AddAdministrator("admin").ok());
  for (int g = 0; g < kGroups; ++g) {
    ASSERT_TRUE(registry->CreateGroup(GroupName(g)).ok());
    ASSERT_TRUE(registry->AddModerator(GroupName(g), "mod").ok());
  }
  for (int m = 0; m < kMembers; ++m) {
    for (int g = 0; g < kGroups; ++g)
      ASSERT_TRUE(registry->Join(MemberName(m), GroupName(g)).ok());
  }

  std::atomic<int> holds{0}, publishes{0}, rejects{0}, reviewed{0}, unexpected{0};
  std::vector<std::thread> threads;
  for (int s = 0; s < kSubmitters; ++s) {
    threads.emplace_back([&, s] {
      std::mt19937 rng(s);
      for (int i = 0; i < kPostsPerSubmitter; ++i) {
        const int m = rng() % kMembers;
        const int g = rng() % kGroups;
        const char* text = (i % 5 == 0) ? "buy spam now" : "hello there";
        auto d = gate.Submit(
            Submission{absl::StrCat("s", s, "-", i), MemberName(m), GroupName(g), text});
        if (!d.ok()) {
          // A member may have just left the group.
          if (d.status().code() != absl::StatusCode::kFailedPrecondition) ++unexpected;
          continue;
        }
        if (d->action == Decision::Action::kHold) ++holds;
        if (d->action == Decision::Action::kPublish) ++publishes;
        if (d->action == Decision::Action::kReject) ++rejects;
        if (i % 16 == 0) (void)registry->ProbationStatusOf(MemberName(m));
      }
    });
  }
  for (int k = 0; k < kModerators; ++k) {
    threads.emplace_back([&, k] {
      std::mt19937 rng(100 + k);
      for (int i = 0; i < kActionsPerModerator; ++i) {
        const int m = rng() % kMembers;
        const std::string g = GroupName(rng() % kGroups);
        switch (rng() % 5) {
          case 0:
            (void)registry->Flag("mod", MemberName(m), g, "stress", absl::Minutes(30));
            break;
          case 1:
            (void)registry->Lift("mod", MemberName(m), g, "stress");
            break;
          case 2:
          case 3: {
            auto q = registry->ListQueue("mod", g);
            if (!q.ok()) {
              ++unexpected;
              break;
            }
            for (size_t j = 0; j < q->size() && j < 8; ++j) {
              const HeldPost& h = (*q)[j];
              auto fb = (h.post.text.find("spam") != std::string::npos)
                            ? registry->Reject("mod", g, h.post.id, "spam")
                            : registry->Approve("mod", g, h.post.id, "ham");
              // The other moderator thread may have reviewed it first.
              if (fb.ok()) {
                ++reviewed;
              } else if (fb.status().code() != absl::StatusCode::kNotFound) {
                ++unexpected;
              }
            }
            break;
          }
          case 4:
            if (registry->Leave(MemberName(m), g).ok()) {
              (void)registry->Join(MemberName(m), g);
            }
            break;
        }
      }
    });
  }
  threads.emplace_back([&] {
    for (int i = 0; i < 50; ++i) {
      clock.Advance(absl::Minutes(1));
      if (!registry->ExpireProbations().ok()) ++unexpected;
      std::this_thread::yield();
    }
  });
  for (auto& t : threads) t.join();

  EXPECT_EQ(unexpected.load(), 0);
  EXPECT_EQ(rejects.load(), 0);  // the default policy never rejects outright
  EXPECT_GT(holds.load(), 0);
  EXPECT_GT(publishes.load(), 0);
  // Every hold is either still queued or was reviewed exactly once.
  int queued = 0;
  for (int g = 0; g < kGroups; ++g) {
    auto q = registry->ListQueue("admin", GroupName(g));
    ASSERT_TRUE(q.ok());
    queued += static_cast<int>(q->size());
  }
  EXPECT_EQ(holds.load(), queued + reviewed.load());
  EXPECT_GE(events_seen.load(), holds.load() + reviewed.load());

  const std::string live = registry->CanonicalDump();
  registry.reset();
  auto reopened =
      Registry::Open(std::make_unique<testing::SharedStore>(base.get()), &clock, options);
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  EXPECT_EQ((*reopened)->CanonicalDump(), live);
}

// Forget racing the gate and a moderator over the same member, on a group-commit
// journal (so changes are visible before they are durable). Every submit is decided
// before the Forget (published, or held and then withdrawn by it or reviewed) or
// after it ("not a member"); no post of the member is held after the Forget, none
// is left in a queue, the state names them nowhere, and a reopen agrees.
TEST(RegistryForgetRaceTest, ForgetRacingSubmitsAndReviewsOfTheSameMember) {
  std::string dir = absl::StrCat(::testing::TempDir(), "/gg_forget_race_XXXXXX");
  ASSERT_NE(::mkdtemp(dir.data()), nullptr);
  JournalOptions jo;
  jo.sync = JournalOptions::Sync::kGroupCommit;
  ManualClock clock;
  auto journal = OpenJournal(dir, jo);
  ASSERT_TRUE(journal.ok()) << journal.status();
  auto opened = Registry::Open(*std::move(journal), &clock, RegistryOptions());
  ASSERT_TRUE(opened.ok()) << opened.status();
  std::unique_ptr<Registry> registry = std::move(opened).value();
  testing::FakeClassifier classifier;
  Gate gate(registry.get(), &classifier);
  ASSERT_TRUE(registry->AddAdministrator("admin").ok());
  for (int g = 0; g < kGroups; ++g) {
    ASSERT_TRUE(registry->CreateGroup(GroupName(g)).ok());
    ASSERT_TRUE(registry->Join("victim", GroupName(g)).ok());
    ASSERT_TRUE(registry->Join("other", GroupName(g)).ok());
  }

  std::mutex mu;
  uint64_t forgotten_at = 0;  // the Forget's sequence, once notified
  std::vector<uint64_t> held_at;
  int withdrawn = 0;
  registry->Subscribe([&](const ModerationEvent& e) {
    if (e.member != "victim") return;
    std::lock_guard<std::mutex> l(mu);
    if (e.type == ModerationEvent::Type::kPostHeld) held_at.push_back(e.sequence);
    if (e.type == ModerationEvent::Type::kPostWithdrawn) ++withdrawn;
    if (e.type == ModerationEvent::Type::kMemberForgotten) forgotten_at = e.sequence;
  });

  std::atomic<int> holds{0}, refused{0}, reviewed{0}, unexpected{0};
  std::atomic<int> refused_late{0}, decided_late{0};
  std::atomic<bool> forget_returned{false}, stop{false};
  std::vector<std::thread> threads;
  for (int s = 0; s < kSubmitters; ++s) {
    threads.emplace_back([&, s] {
      for (int i = 0; !stop.load(); ++i) {
        const bool late = forget_returned.load();
        const std::string member = i % 4 == 3 ? "other" : "victim";
        auto d = gate.Submit(Submission{absl::StrCat("s", s, "-", i), member,
                                        GroupName(i % kGroups),
                                        i % 2 == 0 ? "buy spam now" : "hello there"});
        if (member == "other") {
          if (!d.ok()) ++unexpected;
          continue;
        }
        if (!d.ok()) {
          if (d.status().code() != absl::StatusCode::kFailedPrecondition) ++unexpected;
          ++refused;
          if (late) ++refused_late;
          continue;
        }
        if (late) ++decided_late;  // a submit started after Forget returned
        if (d->action == Decision::Action::kHold) ++holds;
      }
    });
  }
  threads.emplace_back([&] {  // a moderator reviewing the queues meanwhile
    while (!stop.load()) {
      for (int g = 0; g < kGroups; ++g) {
        auto q = registry->ListQueue("admin", GroupName(g));
        if (!q.ok()) {
          ++unexpected;
          continue;
        }
        for (size_t j = 0; j < q->size() && j < 4; ++j) {
          auto fb = registry->Reject("admin", GroupName(g), (*q)[j].post.id, "spam");
          if (fb.ok()) {
            if ((*q)[j].post.member == "victim") ++reviewed;
          } else if (fb.status().code() != absl::StatusCode::kNotFound) {
            ++unexpected;  // withdrawn by the Forget first is kNotFound
          }
        }
      }
    }
  });
  // Forget once the member has posts held, then let the submitters run on. (With a
  // deadline, so that a broken registry fails the test rather than hangs it.)
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  auto wait_for = [&](const std::atomic<int>& n) {
    while (n.load() < 40 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::yield();
    }
    return n.load() >= 40;
  };
  const bool held_some = wait_for(holds);
  const absl::Status forgot = registry->Forget("admin", "victim");
  forget_returned = true;
  const bool refused_some = wait_for(refused_late);
  stop = true;
  for (auto& t : threads) t.join();

  ASSERT_TRUE(forgot.ok()) << forgot;
  EXPECT_TRUE(held_some);
  EXPECT_TRUE(refused_some);
  EXPECT_EQ(unexpected.load(), 0);
  EXPECT_EQ(decided_late.load(), 0);
  {
    std::lock_guard<std::mutex> l(mu);
    ASSERT_NE(forgotten_at, 0u);
    for (uint64_t seq : held_at) EXPECT_LT(seq, forgotten_at);
    EXPECT_EQ(holds.load(), static_cast<int>(held_at.size()));
    // Every hold was reviewed before the Forget or withdrawn by it.
    EXPECT_EQ(holds.load(), reviewed.load() + withdrawn);
  }
  for (int g = 0; g < kGroups; ++g) {
    auto q = registry->ListQueue("admin", GroupName(g));
    ASSERT_TRUE(q.ok());
    for (const HeldPost& h : *q) EXPECT_NE(h.post.member, "victim");
  }
  const std::string live = registry->CanonicalDump();
  EXPECT_EQ(live.find("victim"), std::string::npos);
  registry.reset();
  journal = OpenJournal(dir, jo);
  ASSERT_TRUE(journal.ok()) << journal.status();
  auto reopened = Registry::Open(*std::move(journal), &clock, RegistryOptions());
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  EXPECT_EQ((*reopened)->CanonicalDump(), live);
  reopened->reset();
  std::filesystem::remove_all(dir);
}

// Unsubscribe is a promise: once it returns, the subscriber is not running and will
// not be called again, so the caller may destroy what it captured. Here a first
// subscriber holds a notification in flight while another thread unsubscribes the
// second; that Unsubscribe must wait for the notification to finish.
TEST(RegistrySubscriberTest, NoCallAfterUnsubscribeReturns) {
  ManualClock clock;
  auto opened = Registry::Open(NewMemoryEventStore(), &clock, RegistryOptions());
  ASSERT_TRUE(opened.ok()) << opened.status();
  Registry& registry = **opened;
  ASSERT_TRUE(registry.AddAdministrator("admin").ok());
  ASSERT_TRUE(registry.CreateGroup("g").ok());
  ASSERT_TRUE(registry.Join("m", "g").ok());

  std::mutex mu;
  std::condition_variable cv;
  bool first_entered = false, release_first = false;
  std::atomic<bool> unsubscribed{false};
  std::atomic<int> late_calls{0};
  registry.Subscribe([&](const ModerationEvent&) {
    std::unique_lock<std::mutex> l(mu);
    first_entered = true;
    cv.notify_all();
    cv.wait(l, [&] { return release_first; });
  });
  const int second = registry.Subscribe([&](const ModerationEvent&) {
    if (unsubscribed.load()) ++late_calls;
  });

  std::thread actor([&] { EXPECT_TRUE(registry.Flag("admin", "m", "g", "spam").ok()); });
  {
    std::unique_lock<std::mutex> l(mu);
    cv.wait(l, [&] { return first_entered; });
  }
  std::atomic<bool> returned{false};
  std::thread unsubscriber([&] {
    registry.Unsubscribe(second);
    unsubscribed = true;
    returned = true;
  });
  // Give a wrong Unsubscribe every chance to return while the notification is open.
  for (int i = 0; i < 200 && !returned.load(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_FALSE(returned.load()) << "Unsubscribe returned during a notification";
  {
    std::lock_guard<std::mutex> l(mu);
    release_first = true;
    cv.notify_all();
  }
  actor.join();
  unsubscriber.join();
  EXPECT_EQ(late_calls.load(), 0);
  // Later events do not reach it; a subscriber may unsubscribe itself.
  int self = 0;
  int self_calls = 0;
  self = registry.Subscribe([&](const ModerationEvent&) {
    ++self_calls;
    registry.Unsubscribe(self);
  });
  ASSERT_TRUE(registry.Lift("admin", "m", "", "ok").ok());
  ASSERT_TRUE(registry.Flag("admin", "m", "g", "spam").ok());
  EXPECT_EQ(late_calls.load(), 0);
  EXPECT_EQ(self_calls, 1);
}

}  // namespace
}  // namespace groupguard
