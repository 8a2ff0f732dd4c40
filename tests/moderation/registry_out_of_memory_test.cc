// Registry changes with one allocation failing, swept over every allocation the
// change makes (the first, then the second, ...), over a journal: whichever fails,
// the registry either
// - made the change (the call returned OK),
// - refused it with nothing changed (std::bad_alloc out of the call, or an error),
//   healthy, or
// - is failed (Health() kUnavailable) and says it ran out of memory;
// and a registry reopened over the journal holds what memory held (a failed one:
// the change, which is made durable before the registry fails). Nothing hangs (a
// notification turn or a group-commit slot lost would stop the next change).
//
// Also with memory staying out once it has run out (every later allocation failing
// too), and opening, reading and salvaging a journal swept the same way (below).
//
// Linked with the counting operator new (tests/alloc_counter.h), whose
// FailAllocationOnThisThread and FailAllocationsFromOnThisThread inject the failure
// on the calling thread only.

#include <functional>
#include <memory>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "../store/store_test_util.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "alloc_counter.h"
#include "groupguard/clock.h"
#include "groupguard/event_store.h"
#include "groupguard/gate.h"
#include "groupguard/registry.h"
#include "gtest/gtest.h"
#include "moderation_test_util.h"

namespace groupguard {
namespace {

using ::groupguard::testing::FailAllocationOnThisThread;
using ::groupguard::testing::FailAllocationsFromOnThisThread;

// Makes this thread's nth allocation from now fail, and with `stays_out` every later
// one too.
void Arm(int64_t nth, bool stays_out) {
  if (stays_out) {
    FailAllocationsFromOnThisThread(nth);
  } else {
    FailAllocationOnThisThread(nth);
  }
}

// The state every swept change starts from: two groups, a moderator each, an
// administrator, three members, a flag from "cats", a post held by it.
void BuildState(Registry& r, ManualClock& clock) {
  ASSERT_TRUE(r.CreateGroup("cats").ok());
  ASSERT_TRUE(r.CreateGroup("dogs").ok());
  ASSERT_TRUE(r.AddModerator("cats", "mia").ok());
  ASSERT_TRUE(r.AddModerator("dogs", "max").ok());
  ASSERT_TRUE(r.AddAdministrator("ada").ok());
  for (const char* member : {"sam", "ann", "bob"}) {
    ASSERT_TRUE(r.Join(member, "cats").ok());
    ASSERT_TRUE(r.Join(member, "dogs").ok());
  }
  ASSERT_TRUE(r.Flag("mia", "bob", "cats", "prize spam").ok());
  clock.Advance(absl::Minutes(1));
  ASSERT_TRUE(r.Hold(Submission{"p1", "bob", "dogs", "hello", clock.Now()}, {}).ok());
  clock.Advance(absl::Minutes(1));
}

struct Change {
  const char* name;
  std::function<absl::Status(Registry&, const Gate&, ManualClock&)> call;
  bool changes_state = true;  // CanonicalDump() differs after it
};

std::vector<Change> Changes() {
  return {
      {"CreateGroup",
       [](Registry& r, const Gate&, ManualClock&) { return r.CreateGroup("birds"); }},
      {"Join",
       [](Registry& r, const Gate&, ManualClock&) { return r.Join("eve", "cats"); }},
      {"Leave",
       [](Registry& r, const Gate&, ManualClock&) { return r.Leave("ann", "dogs"); }},
      {"Flag", [](Registry& r, const Gate&,
                  ManualClock&) { return r.Flag("mia", "sam", "cats", "spam links"); }},
      {"FlagFromASecondGroup",
       [](Registry& r, const Gate&, ManualClock&) {
         return r.Flag("max", "bob", "dogs", "more spam");
       }},
      {"Lift", [](Registry& r, const Gate&,
                  ManualClock&) { return r.Lift("mia", "bob", "cats", "my mistake"); }},
      {"FileAppeal", [](Registry& r, const Gate&,
                        ManualClock&) { return r.FileAppeal("bob", "not me"); }},
      {"Approve",
       [](Registry& r, const Gate&, ManualClock&) {
         return r.Approve("max", "dogs", "p1", "fine").status();
       }},
      {"Submit",
       [](Registry&, const Gate& gate, ManualClock& clock) {
         return gate.Submit(Submission{"p2", "bob", "cats", "buy spam now", clock.Now()})
             .status();
       }},
      {"ExpireProbations",
       [](Registry& r, const Gate&, ManualClock& clock) {
         clock.Advance(absl::Hours(24 * 31));
         return r.ExpireProbations().status();
       }},
      {"Forget",
       [](Registry& r, const Gate&, ManualClock&) { return r.Forget("ada", "bob"); }},
      {"Compact", [](Registry& r, const Gate&, ManualClock&) { return r.Compact(); },
       /*changes_state=*/false},
  };
}

// A registry over the journal in `dir`, or null (the test failed).
std::unique_ptr<Registry> OpenRegistry(
    const std::string& dir, ManualClock& clock, JournalOptions::Sync sync,
    const RegistryOptions& options = RegistryOptions()) {
  JournalOptions jo;
  jo.sync = sync;
  auto journal = OpenJournal(dir, jo);
  EXPECT_TRUE(journal.ok()) << journal.status();
  if (!journal.ok()) return nullptr;
  auto r = Registry::Open(*std::move(journal), &clock, options);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *std::move(r) : nullptr;
}

// What one run of `change` with the `nth` allocation failing (-1: none) left.
struct Outcome {
  bool failure_happened = false;
  bool threw = false;
  absl::Status status;
  absl::Status health;
  std::string before;    // CanonicalDump() before the change
  std::string memory;    // ... after it
  std::string reopened;  // of a registry reopened over the journal
  int notified = 0;      // events the subscriber heard during the change
};

// With `stays_out`, the nth allocation and every later one of the change fail.
Outcome Run(const Change& change, JournalOptions::Sync sync,
            const RegistryOptions& options, int64_t nth, bool stays_out) {
  Outcome out;
  testing_internal::ScratchDir scratch;
  ManualClock clock(absl::FromUnixSeconds(1700000000));
  const auto open_registry = [&](JournalOptions::Sync journal_sync) {
    return OpenRegistry(scratch.path(), clock, journal_sync, options);
  };
  {
    // The state to start from, written without syncs (a sweep under group commit
    // would otherwise sync each of its changes on every run).
    std::unique_ptr<Registry> r = open_registry(JournalOptions::Sync::kNone);
    if (r == nullptr) return out;
    BuildState(*r, clock);
  }
  {
    std::unique_ptr<Registry> r = open_registry(sync);
    if (r == nullptr) return out;
    Registry& registry = *r;
    testing::FakeClassifier classifier;
    Gate gate(&registry, &classifier);
    int heard = 0;
    registry.Subscribe([&heard](const ModerationEvent&) { ++heard; });
    out.before = registry.CanonicalDump();
    {
      const testing::ScopedLeaksIgnored leaks_ignored;  // protobuf's, on running out
      Arm(nth, stays_out);
      try {
        out.status = change.call(registry, gate, clock);
      } catch (const std::bad_alloc&) {
        out.threw = true;
      }
    }
    out.failure_happened = nth >= 0 && !testing::AllocationFailurePending();
    FailAllocationOnThisThread(-1);
    out.health = registry.Health();
    out.memory = registry.CanonicalDump();
    out.notified = heard;
  }
  if (std::unique_ptr<Registry> r = open_registry(sync)) {
    out.reopened = r->CanonicalDump();
  }
  return out;
}

void Sweep(JournalOptions::Sync sync, const RegistryOptions& options = RegistryOptions(),
           bool stays_out = false) {
  for (const Change& change : Changes()) {
    SCOPED_TRACE(change.name);
    const Outcome clean = Run(change, sync, options, -1, false);
    ASSERT_TRUE(clean.status.ok()) << clean.status;
    if (change.changes_state) ASSERT_NE(clean.memory, clean.before);
    ASSERT_EQ(clean.reopened, clean.memory);
    int64_t nth = 0;
    for (;; ++nth) {
      SCOPED_TRACE(absl::StrCat("allocation ", nth, " fails"));
      const Outcome o = Run(change, sync, options, nth, stays_out);
      // Where each dump is, in a line (the dumps themselves are long).
      const auto where = [&](const std::string& dump) {
        return dump == o.before       ? "as before"
               : dump == clean.memory ? "changed"
                                      : "other";
      };
      SCOPED_TRACE(absl::StrCat("threw ", o.threw, ", status ", o.status.ToString(),
                                ", health ", o.health.ToString(), ", memory ",
                                where(o.memory), ", reopened ", where(o.reopened),
                                ", notified ", o.notified, " of ", clean.notified));
      if (!o.failure_happened) {
        // The change made fewer allocations: done, and it went as without a failure.
        EXPECT_FALSE(o.threw);
        EXPECT_TRUE(o.status.ok()) << o.status;
        EXPECT_TRUE(o.memory == clean.memory);
        break;
      }
      if (!o.health.ok()) {
        // Failed: says so, refuses the change; the reopened registry has it.
        EXPECT_EQ(o.health.code(), absl::StatusCode::kUnavailable) << o.health;
        EXPECT_TRUE(absl::StrContains(o.health.message(), "it ran out of memory"))
            << o.health;
        EXPECT_FALSE(o.threw);
        EXPECT_FALSE(o.status.ok());
        EXPECT_TRUE(o.reopened == clean.reopened);
        continue;
      }
      if (o.threw || !o.status.ok()) {
        // Refused, nothing changed.
        if (!o.threw) {
          EXPECT_EQ(o.status.code(), absl::StatusCode::kResourceExhausted) << o.status;
        }
        EXPECT_TRUE(o.memory == o.before);
        EXPECT_TRUE(o.reopened == o.before);
        EXPECT_EQ(o.notified, 0);
        continue;
      }
      // Made, whole, and every subscriber heard of it.
      EXPECT_TRUE(o.memory == clean.memory);
      EXPECT_TRUE(o.reopened == clean.reopened);
      EXPECT_EQ(o.notified, clean.notified);
    }
    EXPECT_GT(nth, 0);
  }
}

// Writes BuildState's journal in `dir` (with `snapshot`, compacted, then two more
// changes) and returns the state's CanonicalDump(), or "" (the test failed).
std::string BuildJournal(const std::string& dir, ManualClock& clock, bool snapshot) {
  std::unique_ptr<Registry> r = OpenRegistry(dir, clock, JournalOptions::Sync::kNone);
  if (r == nullptr) return "";
  BuildState(*r, clock);
  if (snapshot) {
    EXPECT_TRUE(r->Compact().ok());
    EXPECT_TRUE(r->Join("eve", "cats").ok());
    EXPECT_TRUE(r->Flag("max", "ann", "dogs", "spam links").ok());
  }
  return r->CanonicalDump();
}

// The state the journal in `dir` opens to, or "" (the test failed).
std::string Reopened(const std::string& dir, ManualClock& clock) {
  std::unique_ptr<Registry> r = OpenRegistry(dir, clock, JournalOptions::Sync::kNone);
  return r != nullptr ? r->CanonicalDump() : "";
}

// Opening with one allocation failing (or, memory staying out, every one from it on),
// swept: the journal (OpenJournal) and the
// registry over it (Registry::Open, which replays the records, or reads a snapshot
// and the records after it). A journal open that runs out throws or fails and
// leaves the directory free (its lock released: the next open succeeds); a
// registry open that runs out returns kResourceExhausted, never throws, and the
// registry opened after it holds the whole state.
TEST(RegistryOutOfMemoryTest, OpeningThatRunsOutFailsAndLeavesTheJournalWhole) {
  for (const bool snapshot : {false, true}) {
    SCOPED_TRACE(snapshot ? "from a snapshot and records" : "from records");
    testing_internal::ScratchDir scratch;
    ManualClock clock(absl::FromUnixSeconds(1700000000));
    JournalOptions jo;
    jo.sync = JournalOptions::Sync::kNone;
    const std::string state = BuildJournal(scratch.path(), clock, snapshot);
    ASSERT_FALSE(state.empty());
    for (const auto [fail_in_journal, stays_out] :
         {std::pair{true, false}, std::pair{false, false}, std::pair{true, true},
          std::pair{false, true}}) {
      SCOPED_TRACE(fail_in_journal ? "OpenJournal" : "Registry::Open");
      SCOPED_TRACE(stays_out ? "memory stays out" : "one allocation fails");
      int64_t nth = 0;
      for (;; ++nth) {
        SCOPED_TRACE(absl::StrCat("allocation ", nth, " fails"));
        absl::StatusOr<std::unique_ptr<EventStore>> journal;
        absl::StatusOr<std::unique_ptr<Registry>> r;
        bool threw = false;
        if (!fail_in_journal) journal = OpenJournal(scratch.path(), jo);
        {
          const testing::ScopedLeaksIgnored leaks_ignored;  // protobuf's, on running out
          Arm(nth, stays_out);
          try {
            if (fail_in_journal) journal = OpenJournal(scratch.path(), jo);
            if (journal.ok()) {
              r = Registry::Open(*std::move(journal), &clock, RegistryOptions());
            }
          } catch (const std::bad_alloc&) {
            threw = true;
          }
        }
        const bool failed = !testing::AllocationFailurePending();
        FailAllocationOnThisThread(-1);
        if (!failed) {
          EXPECT_FALSE(threw);
          ASSERT_TRUE(r.ok()) << r.status();
          EXPECT_TRUE((*r)->CanonicalDump() == state);
          break;
        }
        if (!fail_in_journal) {
          EXPECT_FALSE(threw) << "Registry::Open threw";
          EXPECT_TRUE(!journal.ok() || !r.ok() || (*r)->CanonicalDump() == state);
          if (!r.ok()) {
            EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted)
                << r.status();
          }
        } else if (!threw && !journal.ok()) {
          EXPECT_EQ(journal.status().code(), absl::StatusCode::kResourceExhausted)
              << journal.status();
        }
        r = absl::UnknownError("closed");  // the directory free for the next open
        // Nothing was lost, and the directory is not left locked.
        EXPECT_TRUE(Reopened(scratch.path(), clock) == state);
      }
      EXPECT_GT(nth, 0);
    }
  }
}

// Reading a journal (OpenJournalReadOnly, and a registry over it) and salvaging an
// intact one (SalvageJournal, which then changes nothing), with one allocation
// failing or memory staying out: each throws or fails (kResourceExhausted), or does
// what it does without a failure; the journal opens whole after it.
TEST(RegistryOutOfMemoryTest, ReadingAndSalvagingThatRunOutChangeNothing) {
  testing_internal::ScratchDir scratch;
  ManualClock clock(absl::FromUnixSeconds(1700000000));
  const std::string state = BuildJournal(scratch.path(), clock, /*snapshot=*/true);
  ASSERT_FALSE(state.empty());
  for (const bool salvage : {false, true}) {
    SCOPED_TRACE(salvage ? "SalvageJournal" : "OpenJournalReadOnly");
    for (const bool stays_out : {false, true}) {
      SCOPED_TRACE(stays_out ? "memory stays out" : "one allocation fails");
      int64_t nth = 0;
      for (bool failed = true; failed; ++nth) {
        SCOPED_TRACE(absl::StrCat("allocation ", nth, " fails"));
        absl::Status status;
        std::string read;  // the read-only registry's state
        bool threw = false;
        {
          const testing::ScopedLeaksIgnored leaks_ignored;  // protobuf's, on running out
          Arm(nth, stays_out);
          try {
            if (salvage) {
              auto report = SalvageJournal(scratch.path(), JournalSalvageOptions());
              status = report.status();
              if (report.ok() && report->changed) status = absl::InternalError("changed");
            } else {
              auto journal = OpenJournalReadOnly(scratch.path());
              status = journal.status();
              if (journal.ok()) {
                auto r = Registry::Open(*std::move(journal), &clock, RegistryOptions());
                status = r.status();
                if (r.ok()) read = (*r)->CanonicalDump();
              }
            }
          } catch (const std::bad_alloc&) {
            threw = true;
          }
        }
        failed = !testing::AllocationFailurePending();
        FailAllocationOnThisThread(-1);
        if (!threw) {
          EXPECT_TRUE(status.ok() ||
                      status.code() == absl::StatusCode::kResourceExhausted)
              << status;
          if (status.ok() && !salvage) EXPECT_TRUE(read == state);
        }
        if (!failed) EXPECT_TRUE(status.ok() && !threw) << status;
        EXPECT_TRUE(Reopened(scratch.path(), clock) == state);
      }
      EXPECT_GT(nth, 1);
    }
  }
}

TEST(RegistryOutOfMemoryTest, EveryAllocationOfEveryChangeMayFail) {
  Sweep(JournalOptions::Sync::kNone);
}

TEST(RegistryOutOfMemoryTest, EveryAllocationOfEveryChangeMayFailUnderGroupCommit) {
  Sweep(JournalOptions::Sync::kGroupCommit);
}

// The journal's default: a sync before each append returns.
TEST(RegistryOutOfMemoryTest, EveryAllocationOfEveryChangeMayFailUnderEverySync) {
  Sweep(JournalOptions::Sync::kEveryAppend);
}

// With the site-wide rule above 1, each view of a probation matches groups to the
// people who flagged from them (DistinctFlaggersReach), allocating as it goes: the
// second group's flag makes the probation site-wide here.
TEST(RegistryOutOfMemoryTest, EveryAllocationMayFailWhereTheSiteWideRuleCountsPeople) {
  RegistryOptions options;
  options.sitewide_after_distinct_groups = 2;
  Sweep(JournalOptions::Sync::kNone, options);
}

// Memory that stays out once it has run out: every allocation after the first
// failure fails too, so what a call does after catching it (fail the registry, say
// why, tell no one) must need no memory either.
TEST(RegistryOutOfMemoryTest, EveryChangeWhenMemoryStaysOut) {
  Sweep(JournalOptions::Sync::kNone, RegistryOptions(), /*stays_out=*/true);
}

TEST(RegistryOutOfMemoryTest, EveryChangeWhenMemoryStaysOutUnderGroupCommit) {
  Sweep(JournalOptions::Sync::kGroupCommit, RegistryOptions(), /*stays_out=*/true);
}

TEST(RegistryOutOfMemoryTest, EveryChangeWhenMemoryStaysOutUnderEverySync) {
  Sweep(JournalOptions::Sync::kEveryAppend, RegistryOptions(), /*stays_out=*/true);
}

TEST(RegistryOutOfMemoryTest,
     EveryChangeWhenMemoryStaysOutWhereTheSiteWideRuleCountsPeople) {
  RegistryOptions options;
  options.sitewide_after_distinct_groups = 2;
  Sweep(JournalOptions::Sync::kNone, options, /*stays_out=*/true);
}

}  // namespace
}  // namespace groupguard
