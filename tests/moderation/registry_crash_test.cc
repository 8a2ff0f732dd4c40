// Kills a process that performs moderator actions against a journal with SIGKILL at
// random points, many times, and checks after each kill that every action the child
// acknowledged survived and that nothing it never attempted appears.
//
// The child performs actions 0, 1, 2, ... in order and writes the index of each
// acknowledged one to a pipe. So at most one action (the one after the last
// acknowledged) may be present without an acknowledgement; every later one must be
// absent.

#include <fcntl.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "groupguard/clock.h"
#include "groupguard/event_store.h"
#include "groupguard/registry.h"
#include "gtest/gtest.h"

namespace groupguard {
namespace {

constexpr char kGroup[] = "g";
constexpr char kAdmin[] = "admin";

std::string Member(int64_t i) { return absl::StrCat("m", i); }
std::string PostId(int64_t i) { return absl::StrCat("p", i); }

// Action i, by i % 4:
//   0: m<i> joins the group
//   1: post p<i> is held in the group
//   2: m<i-2> is flagged
//   3: p<i-2> is approved
// Returns OK if the action is now done (including "it was already done": the
// previous child may have made it durable and died before acknowledging).
absl::Status DoAction(Registry& r, int64_t i) {
  switch (i % 4) {
    case 0: {
      absl::Status s = r.Join(Member(i), kGroup);
      if (s.code() == absl::StatusCode::kFailedPrecondition) return absl::OkStatus();
      return s;
    }
    case 1: {
      absl::Status s =
          r.Hold(Submission{PostId(i), "poster", kGroup, absl::StrCat("text ", i)}, {})
              .status();
      if (s.code() == absl::StatusCode::kAlreadyExists) return absl::OkStatus();
      return s;
    }
    case 2:
      if (r.ProbationStatusOf(Member(i - 2)).on_probation) return absl::OkStatus();
      return r.Flag(kAdmin, Member(i - 2), kGroup, absl::StrCat("flag ", i),
                    absl::Hours(1000));
    default: {
      absl::Status s = r.Approve(kAdmin, kGroup, PostId(i - 2), "ok").status();
      if (s.code() == absl::StatusCode::kNotFound) return absl::OkStatus();
      return s;
    }
  }
}

absl::StatusOr<std::unique_ptr<Registry>> OpenRegistry(const std::string& dir,
                                                       JournalOptions::Sync sync,
                                                       const Clock* clock) {
  JournalOptions jo;
  jo.sync = sync;
  auto store = OpenJournal(dir, jo);
  if (!store.ok()) return store.status();
  return Registry::Open(std::move(store).value(), clock, RegistryOptions());
}

[[noreturn]] void RunChild(const std::string& dir, JournalOptions::Sync sync,
                           int64_t start, int fd) {
  ManualClock clock;  // fixed time: nothing expires between rounds
  auto r = OpenRegistry(dir, sync, &clock);
  if (!r.ok()) _exit(2);
  Registry& registry = **r;
  (void)registry.CreateGroup(kGroup);
  (void)registry.AddAdministrator(kAdmin);
  (void)registry.Join("poster", kGroup);
  for (int64_t i = start; i < start + 1'000'000; ++i) {
    if (!DoAction(registry, i).ok()) _exit(3);
    uint32_t v = static_cast<uint32_t>(i);
    if (write(fd, &v, sizeof(v)) != sizeof(v)) _exit(4);
  }
  _exit(0);
}

// Checks the reopened registry against what was acknowledged (every i <= acked) and
// what was never attempted (every i > acked + 1).
void Verify(Registry& r, int64_t acked, int64_t horizon) {
  auto queue = r.ListQueue(kAdmin, kGroup);
  ASSERT_TRUE(queue.ok()) << queue.status();
  std::set<std::string> queued;
  for (const HeldPost& h : *queue) queued.insert(h.post.id);
  auto is_member = [&](int64_t i) { return r.CheckPosting(Member(i), kGroup).ok(); };
  auto flagged = [&](int64_t i) { return r.ProbationStatusOf(Member(i)).on_probation; };
  for (int64_t i = 0; i <= horizon; ++i) {
    SCOPED_TRACE(absl::StrCat("action ", i, ", acknowledged through ", acked));
    if (i <= acked) {
      switch (i % 4) {
        case 0:
          ASSERT_TRUE(is_member(i));
          break;
        case 1:
          // Approved by action i + 2, which may be the one in flight.
          if (i + 2 <= acked) ASSERT_EQ(queued.count(PostId(i)), 0u);
          if (i + 2 > acked + 1) ASSERT_EQ(queued.count(PostId(i)), 1u);
          break;
        case 2:
          ASSERT_TRUE(flagged(i - 2));
          break;
        case 3:
          ASSERT_EQ(queued.count(PostId(i - 2)), 0u);
          break;
      }
    } else if (i > acked + 1) {
      switch (i % 4) {
        case 0:
          ASSERT_FALSE(is_member(i));
          break;
        case 1:
          ASSERT_EQ(queued.count(PostId(i)), 0u);
          break;
        case 2:
          ASSERT_FALSE(flagged(i - 2));
          break;
        case 3:
          if (i - 2 <= acked) ASSERT_EQ(queued.count(PostId(i - 2)), 1u);
          break;
      }
    }
  }
}

TEST(RegistryCrashTest, AcknowledgedActionsSurviveSigkill) {
  const std::string dir = (std::filesystem::temp_directory_path() /
                           absl::StrCat("groupguard_crash_", getpid()))
                              .string();
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::mt19937 rng(20261125);
  int64_t acked = -1;
  int64_t horizon = 0;  // highest index any child may have reached, plus slack
  constexpr int kRounds = 40;
  for (int round = 0; round < kRounds; ++round) {
    const JournalOptions::Sync sync = round % 4 == 3 ? JournalOptions::Sync::kEveryAppend
                                      : round % 4 == 1
                                          ? JournalOptions::Sync::kGroupCommit
                                          : JournalOptions::Sync::kNone;
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    const int64_t start = acked + 1;
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(fds[0]);
      RunChild(dir, sync, start, fds[1]);
    }
    close(fds[1]);
    usleep(1000 + rng() % 30000);  // kill it somewhere in the middle of its work
    kill(pid, SIGKILL);
    int wstatus = 0;
    ASSERT_EQ(waitpid(pid, &wstatus, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(wstatus))
        << "child exited early with " << WEXITSTATUS(wstatus);
    uint32_t v;
    int64_t last = acked;
    while (read(fds[0], &v, sizeof(v)) == sizeof(v)) {
      ASSERT_EQ(static_cast<int64_t>(v), last + 1) << "acknowledgements out of order";
      last = v;
    }
    close(fds[0]);
    acked = last;
    horizon = std::max(horizon, acked + 8);

    ManualClock clock;
    auto r = OpenRegistry(dir, JournalOptions::Sync::kNone, &clock);
    ASSERT_TRUE(r.ok()) << "round " << round << ": " << r.status();
    Verify(**r, acked, horizon);
    if (::testing::Test::HasFatalFailure()) return;
    if (round == kRounds / 2) ASSERT_TRUE((*r)->Compact().ok());  // snapshot mid-way
  }
  EXPECT_GT(acked, 100) << "the children got too little done to mean anything";
  RecordProperty("acknowledged_actions", static_cast<int>(acked + 1));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace groupguard
