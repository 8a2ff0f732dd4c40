// The journal under several threads at once (labeled `concurrency`: runs under
// ThreadSanitizer in CI).

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "groupguard/event_store.h"
#include "gtest/gtest.h"
#include "replay_helpers.h"
#include "store_test_util.h"

namespace groupguard {
namespace {

using testing_internal::OptionsWith;
using testing_internal::ReplayAll;
using testing_internal::ScratchDir;

std::unique_ptr<EventStore> MustOpen(const std::string& dir, JournalOptions::Sync sync) {
  absl::StatusOr<std::unique_ptr<EventStore>> store = OpenJournal(dir, OptionsWith(sync));
  EXPECT_TRUE(store.ok()) << store.status();
  return store.ok() ? *std::move(store) : nullptr;
}

// Eight threads share fdatasyncs; after a reopen every acknowledged record is under
// the number it was given.
TEST(JournalConcurrencyTest, GroupCommitAcrossThreadsSurvivesReopen) {
  ScratchDir tmp;
  const std::string dir = tmp.Sub("j");
  constexpr int kThreads = 8;
  constexpr int kPerThread = 100;
  testing_internal::Acked all;
  {
    std::unique_ptr<EventStore> store = MustOpen(dir, JournalOptions::Sync::kGroupCommit);
    ASSERT_NE(store, nullptr);
    all = testing_internal::SortedUnion(testing_internal::AppendFromThreads(
        kThreads, kPerThread,
        [&](const std::string& record) { return store->Append(record); }));
  }
  std::unique_ptr<EventStore> store = MustOpen(dir, JournalOptions::Sync::kNone);
  ASSERT_NE(store, nullptr);
  auto replayed = ReplayAll(*store);
  ASSERT_TRUE(replayed.ok()) << replayed.status();
  ASSERT_EQ(replayed->records.size(), static_cast<size_t>(kThreads * kPerThread));
  EXPECT_EQ(replayed->records, all);
}

// Appends keep going while snapshots roll segments underneath them.
TEST(JournalTest, SnapshotsWhileAppendingLoseNothing) {
  ScratchDir tmp;
  const std::string dir = tmp.Sub("j");
  std::unique_ptr<EventStore> store = MustOpen(dir, JournalOptions::Sync::kGroupCommit);
  ASSERT_NE(store, nullptr);
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        ASSERT_TRUE(store->Append(testing_internal::NumberedRecord(t, i)).ok());
      }
    });
  }
  uint64_t through = 0;
  for (int s = 0; s < 5; ++s) {
    // Snapshot everything appended so far: replay, then snapshot that point.
    auto replayed = ReplayAll(*store);
    ASSERT_TRUE(replayed.ok()) << replayed.status();
    if (!replayed->records.empty()) through = replayed->records.back().first;
    ASSERT_TRUE(store->WriteSnapshot(absl::StrCat("through ", through), through).ok());
  }
  for (std::thread& t : threads) t.join();
  store.reset();
  store = MustOpen(dir, JournalOptions::Sync::kNone);
  auto replayed = ReplayAll(*store);
  ASSERT_TRUE(replayed.ok()) << replayed.status();
  EXPECT_EQ(replayed->through, through);
  EXPECT_EQ(replayed->snapshot, absl::StrCat("through ", through));
  ASSERT_EQ(replayed->records.size(), 600 - through);
  for (size_t i = 0; i < replayed->records.size(); ++i) {
    EXPECT_EQ(replayed->records[i].first, through + 1 + i);
  }
}

}  // namespace
}  // namespace groupguard
