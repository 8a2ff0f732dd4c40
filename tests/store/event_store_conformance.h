#ifndef GROUPGUARD_TESTS_STORE_EVENT_STORE_CONFORMANCE_H_
#define GROUPGUARD_TESTS_STORE_EVENT_STORE_CONFORMANCE_H_

// The conformance suite every EventStore implementation passes.
//
// Instantiate it with a factory type per implementation:
//
//   struct MyStoreFactory {
//     // Whether Open() after an earlier store was destroyed sees what it wrote.
//     static constexpr bool kDurable = true;
//     // The first call returns a fresh, empty store; later calls reopen the same
//     // storage (durable stores) or return another fresh store. The suite destroys
//     // the previous store before calling Open() again.
//     absl::StatusOr<std::unique_ptr<groupguard::EventStore>> Open();
//   };
//   INSTANTIATE_TYPED_TEST_SUITE_P(MyStore, EventStoreConformanceTest,
//                                  ::testing::Types<MyStoreFactory>);
//
// The factory is constructed once per test (so it can own a scratch directory).

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "groupguard/event_store.h"
#include "gtest/gtest.h"
#include "replay_helpers.h"

namespace groupguard {

template <typename Factory>
class EventStoreConformanceTest : public ::testing::Test {
 protected:
  std::unique_ptr<EventStore> OpenStore() {
    absl::StatusOr<std::unique_ptr<EventStore>> store = factory_.Open();
    EXPECT_TRUE(store.ok()) << store.status();
    if (!store.ok()) return nullptr;
    return *std::move(store);
  }

  Factory factory_;
};

TYPED_TEST_SUITE_P(EventStoreConformanceTest);

TYPED_TEST_P(EventStoreConformanceTest, EmptyStoreRecoversNothing) {
  std::unique_ptr<EventStore> store = this->OpenStore();
  ASSERT_NE(store, nullptr);
  auto replayed = testing_internal::ReplayAll(*store);
  ASSERT_TRUE(replayed.ok()) << replayed.status();
  EXPECT_FALSE(replayed->has_snapshot);
  EXPECT_TRUE(replayed->records.empty());
}

TYPED_TEST_P(EventStoreConformanceTest, AppendNumbersRecordsFromOne) {
  std::unique_ptr<EventStore> store = this->OpenStore();
  ASSERT_NE(store, nullptr);
  for (uint64_t expected = 1; expected <= 5; ++expected) {
    absl::StatusOr<uint64_t> sequence = store->Append(absl::StrCat("r", expected));
    ASSERT_TRUE(sequence.ok()) << sequence.status();
    EXPECT_EQ(*sequence, expected);
  }
}

TYPED_TEST_P(EventStoreConformanceTest, RecoverReturnsExactBytesInOrder) {
  std::unique_ptr<EventStore> store = this->OpenStore();
  ASSERT_NE(store, nullptr);
  const std::vector<std::string> records = testing_internal::AwkwardRecords();
  for (const std::string& r : records) ASSERT_TRUE(store->Append(r).ok());
  auto replayed = testing_internal::ReplayAll(*store);
  ASSERT_TRUE(replayed.ok()) << replayed.status();
  EXPECT_FALSE(replayed->has_snapshot);
  ASSERT_EQ(replayed->records.size(), records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ(replayed->records[i].first, i + 1);
    EXPECT_EQ(replayed->records[i].second, records[i]) << "record " << i + 1;
  }
  // A second replay gives the same.
  auto again = testing_internal::ReplayAll(*store);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->records, replayed->records);
}

TYPED_TEST_P(EventStoreConformanceTest, CallbackErrorStopsReplay) {
  std::unique_ptr<EventStore> store = this->OpenStore();
  ASSERT_NE(store, nullptr);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(store->Append(absl::StrCat("r", i)).ok());
  std::vector<uint64_t> seen;
  absl::Status status =
      store->Recover([](absl::string_view, uint64_t) { return absl::OkStatus(); },
                     [&](uint64_t sequence, absl::string_view) {
                       seen.push_back(sequence);
                       if (sequence == 3) return absl::AbortedError("stop at 3");
                       return absl::OkStatus();
                     });
  EXPECT_EQ(status.code(), absl::StatusCode::kAborted);
  // The code is the callback's; a store may say where before its message.
  EXPECT_THAT(std::string(status.message()), ::testing::EndsWith("stop at 3"));
  EXPECT_THAT(seen, ::testing::ElementsAre(1, 2, 3));

  ASSERT_TRUE(store->WriteSnapshot("snap", 2).ok());
  bool record_called = false;
  status = store->Recover(
      [](absl::string_view, uint64_t) { return absl::CancelledError("no snapshot"); },
      [&](uint64_t, absl::string_view) {
        record_called = true;
        return absl::OkStatus();
      });
  EXPECT_EQ(status.code(), absl::StatusCode::kCancelled);
  EXPECT_FALSE(record_called);
}

TYPED_TEST_P(EventStoreConformanceTest, SnapshotThenLaterRecords) {
  std::unique_ptr<EventStore> store = this->OpenStore();
  ASSERT_NE(store, nullptr);
  for (int i = 1; i <= 5; ++i) ASSERT_TRUE(store->Append(absl::StrCat("r", i)).ok());
  ASSERT_TRUE(store->WriteSnapshot("state after 3", 3).ok());
  for (int i = 6; i <= 7; ++i) {
    absl::StatusOr<uint64_t> sequence = store->Append(absl::StrCat("r", i));
    ASSERT_TRUE(sequence.ok()) << sequence.status();
    EXPECT_EQ(*sequence, static_cast<uint64_t>(i));
  }
  auto replayed = testing_internal::ReplayAll(*store);
  ASSERT_TRUE(replayed.ok()) << replayed.status();
  EXPECT_EQ(replayed->snapshot_calls, 1);
  EXPECT_EQ(replayed->snapshot, "state after 3");
  EXPECT_EQ(replayed->through, 3u);
  using Rec = std::pair<uint64_t, std::string>;
  EXPECT_THAT(replayed->records, ::testing::ElementsAre(Rec{4, "r4"}, Rec{5, "r5"},
                                                        Rec{6, "r6"}, Rec{7, "r7"}));
}

TYPED_TEST_P(EventStoreConformanceTest, SnapshotCoveringEverything) {
  std::unique_ptr<EventStore> store = this->OpenStore();
  ASSERT_NE(store, nullptr);
  for (int i = 1; i <= 3; ++i) ASSERT_TRUE(store->Append(absl::StrCat("r", i)).ok());
  ASSERT_TRUE(store->WriteSnapshot(std::string("all\0three", 9), 3).ok());
  auto replayed = testing_internal::ReplayAll(*store);
  ASSERT_TRUE(replayed.ok()) << replayed.status();
  EXPECT_EQ(replayed->snapshot, std::string("all\0three", 9));
  EXPECT_EQ(replayed->through, 3u);
  EXPECT_TRUE(replayed->records.empty());
  absl::StatusOr<uint64_t> sequence = store->Append("r4");
  ASSERT_TRUE(sequence.ok()) << sequence.status();
  EXPECT_EQ(*sequence, 4u);
}

TYPED_TEST_P(EventStoreConformanceTest, NewestSnapshotWins) {
  std::unique_ptr<EventStore> store = this->OpenStore();
  ASSERT_NE(store, nullptr);
  for (int i = 1; i <= 6; ++i) ASSERT_TRUE(store->Append(absl::StrCat("r", i)).ok());
  ASSERT_TRUE(store->WriteSnapshot("first", 2).ok());
  ASSERT_TRUE(store->WriteSnapshot("second", 4).ok());
  ASSERT_TRUE(store->WriteSnapshot("third", 4).ok());  // same point, replaced
  auto replayed = testing_internal::ReplayAll(*store);
  ASSERT_TRUE(replayed.ok()) << replayed.status();
  EXPECT_EQ(replayed->snapshot_calls, 1);
  EXPECT_EQ(replayed->snapshot, "third");
  EXPECT_EQ(replayed->through, 4u);
  ASSERT_EQ(replayed->records.size(), 2u);
  EXPECT_EQ(replayed->records[0].first, 5u);
  EXPECT_EQ(replayed->records[1].second, "r6");
}

TYPED_TEST_P(EventStoreConformanceTest, RejectsSnapshotOutOfRange) {
  std::unique_ptr<EventStore> store = this->OpenStore();
  ASSERT_NE(store, nullptr);
  for (int i = 1; i <= 4; ++i) ASSERT_TRUE(store->Append(absl::StrCat("r", i)).ok());
  EXPECT_EQ(store->WriteSnapshot("future", 5).code(), absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(store->WriteSnapshot("at 3", 3).ok());
  EXPECT_EQ(store->WriteSnapshot("older", 2).code(), absl::StatusCode::kInvalidArgument);
  // The rejected calls changed nothing.
  auto replayed = testing_internal::ReplayAll(*store);
  ASSERT_TRUE(replayed.ok()) << replayed.status();
  EXPECT_EQ(replayed->snapshot, "at 3");
  ASSERT_EQ(replayed->records.size(), 1u);
  EXPECT_EQ(replayed->records[0].first, 4u);
}

TYPED_TEST_P(EventStoreConformanceTest, SnapshotOfEmptyStore) {
  std::unique_ptr<EventStore> store = this->OpenStore();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->WriteSnapshot("empty", 0).ok());
  auto replayed = testing_internal::ReplayAll(*store);
  ASSERT_TRUE(replayed.ok()) << replayed.status();
  EXPECT_EQ(replayed->snapshot, "empty");
  EXPECT_EQ(replayed->through, 0u);
  absl::StatusOr<uint64_t> sequence = store->Append("r1");
  ASSERT_TRUE(sequence.ok()) << sequence.status();
  EXPECT_EQ(*sequence, 1u);
}

// Several threads append at once: every Append gets its own sequence number, the
// numbers are dense, and a replay returns each record under the number it was given.
TYPED_TEST_P(EventStoreConformanceTest, ConcurrentAppendsAreDenseAndExact) {
  std::unique_ptr<EventStore> store = this->OpenStore();
  ASSERT_NE(store, nullptr);
  constexpr int kThreads = 4;
  constexpr int kPerThread = 150;
  absl::StatusOr<testing_internal::Replayed> during;
  const std::vector<testing_internal::Acked> acked = testing_internal::AppendFromThreads(
      kThreads, kPerThread,
      [&](const std::string& record) { return store->Append(record); },
      [&] {
        // A snapshot and a replay while appends are in flight must not disturb them.
        absl::Status snapshot_status = store->WriteSnapshot("nothing yet", 0);
        EXPECT_TRUE(snapshot_status.ok()) << snapshot_status;
        during = testing_internal::ReplayAll(*store);
        EXPECT_TRUE(during.ok()) << during.status();
      });

  for (const testing_internal::Acked& per_thread : acked) {
    // One thread's own appends get increasing numbers.
    for (size_t i = 1; i < per_thread.size(); ++i) {
      EXPECT_LT(per_thread[i - 1].first, per_thread[i].first);
    }
  }
  const testing_internal::Acked all = testing_internal::SortedUnion(acked);
  ASSERT_EQ(all.size(), static_cast<size_t>(kThreads * kPerThread));
  for (size_t i = 0; i < all.size(); ++i) ASSERT_EQ(all[i].first, i + 1);

  auto replayed = testing_internal::ReplayAll(*store);
  ASSERT_TRUE(replayed.ok()) << replayed.status();
  EXPECT_EQ(replayed->records, all);
  if (during.ok()) {
    // What the replay during the appends saw is a prefix of the final history.
    ASSERT_LE(during->records.size(), all.size());
    for (size_t i = 0; i < during->records.size(); ++i) {
      EXPECT_EQ(during->records[i], all[i]);
    }
  }
}

// The contract lets Recover's callbacks append (a registry may write an event while
// it replays); that must not deadlock, and the replay stays a gap-free prefix.
TYPED_TEST_P(EventStoreConformanceTest, CallbacksMayAppend) {
  std::unique_ptr<EventStore> store = this->OpenStore();
  ASSERT_NE(store, nullptr);
  for (int i = 1; i <= 3; ++i) ASSERT_TRUE(store->Append(absl::StrCat("r", i)).ok());
  std::vector<uint64_t> seen;
  std::vector<uint64_t> appended;
  absl::Status status = store->Recover(
      [](absl::string_view, uint64_t) { return absl::OkStatus(); },
      [&](uint64_t sequence, absl::string_view) {
        seen.push_back(sequence);
        if (appended.size() < 2) {
          absl::StatusOr<uint64_t> added = store->Append("added during replay");
          if (!added.ok()) return added.status();
          appended.push_back(*added);
        }
        return absl::OkStatus();
      });
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_THAT(appended, ::testing::ElementsAre(4, 5));
  ASSERT_GE(seen.size(), 3u);
  for (size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i], i + 1);
  auto replayed = testing_internal::ReplayAll(*store);
  ASSERT_TRUE(replayed.ok()) << replayed.status();
  ASSERT_EQ(replayed->records.size(), 5u);
  EXPECT_EQ(replayed->records[4].second, "added during replay");
}

TYPED_TEST_P(EventStoreConformanceTest, ReopenSeesEverything) {
  if (!TypeParam::kDurable) GTEST_SKIP() << "not a durable store";
  {
    std::unique_ptr<EventStore> store = this->OpenStore();
    ASSERT_NE(store, nullptr);
    for (int i = 1; i <= 5; ++i) ASSERT_TRUE(store->Append(absl::StrCat("r", i)).ok());
    ASSERT_TRUE(store->WriteSnapshot("state after 2", 2).ok());
    ASSERT_TRUE(store->Append("r6").ok());
  }
  std::unique_ptr<EventStore> store = this->OpenStore();
  ASSERT_NE(store, nullptr);
  auto replayed = testing_internal::ReplayAll(*store);
  ASSERT_TRUE(replayed.ok()) << replayed.status();
  EXPECT_EQ(replayed->snapshot, "state after 2");
  EXPECT_EQ(replayed->through, 2u);
  using Rec = std::pair<uint64_t, std::string>;
  EXPECT_THAT(replayed->records, ::testing::ElementsAre(Rec{3, "r3"}, Rec{4, "r4"},
                                                        Rec{5, "r5"}, Rec{6, "r6"}));
  absl::StatusOr<uint64_t> sequence = store->Append("r7");
  ASSERT_TRUE(sequence.ok()) << sequence.status();
  EXPECT_EQ(*sequence, 7u);
}

// The two-phase append: StartAppend numbers records like Append; once WaitDurable(n)
// returns, records 1..n replay and may be snapshotted. Threads interleave starts and
// waits (under group commit one wait covers other threads' records).
TYPED_TEST_P(EventStoreConformanceTest, TwoPhaseAppendsAreDenseAndDurableWhenWaited) {
  std::unique_ptr<EventStore> store = this->OpenStore();
  ASSERT_NE(store, nullptr);
  constexpr int kThreads = 4;
  constexpr int kPerThread = 100;
  const testing_internal::Acked all =
      testing_internal::SortedUnion(testing_internal::AppendFromThreads(
          kThreads, kPerThread,
          [&](const std::string& record) -> absl::StatusOr<uint64_t> {
            absl::StatusOr<uint64_t> sequence = store->StartAppend(record);
            if (!sequence.ok()) return sequence;
            absl::Status durable = store->WaitDurable(*sequence);
            if (!durable.ok()) return durable;
            return sequence;
          }));
  ASSERT_EQ(all.size(), static_cast<size_t>(kThreads * kPerThread));
  for (size_t i = 0; i < all.size(); ++i) ASSERT_EQ(all[i].first, i + 1);
  auto replayed = testing_internal::ReplayAll(*store);
  ASSERT_TRUE(replayed.ok()) << replayed.status();
  EXPECT_EQ(replayed->records, all);
  absl::Status snapshot = store->WriteSnapshot("all", all.size());
  EXPECT_TRUE(snapshot.ok()) << snapshot;
  EXPECT_TRUE(store->WaitDurable(0).ok());  // nothing to wait for
}

// A store that states a record limit keeps it: a record of exactly that many bytes
// is taken, one byte more is kInvalidArgument and changes nothing. (A registry cuts
// held posts to the stated limit; a store that refused less would fail holds.)
TYPED_TEST_P(EventStoreConformanceTest, MaxRecordBytesIsTheLimitAppendKeeps) {
  std::unique_ptr<EventStore> store = this->OpenStore();
  ASSERT_NE(store, nullptr);
  const size_t limit = store->MaxRecordBytes();
  if (limit > (size_t{64} << 20)) return;  // no limit stated, or too big to try
  absl::StatusOr<uint64_t> too_long = store->Append(std::string(limit + 1, 'x'));
  EXPECT_EQ(too_long.status().code(), absl::StatusCode::kInvalidArgument)
      << too_long.status();
  absl::StatusOr<uint64_t> longest = store->Append(std::string(limit, 'y'));
  ASSERT_TRUE(longest.ok()) << longest.status();
  EXPECT_EQ(*longest, 1u);
}

REGISTER_TYPED_TEST_SUITE_P(EventStoreConformanceTest, EmptyStoreRecoversNothing,
                            AppendNumbersRecordsFromOne, RecoverReturnsExactBytesInOrder,
                            CallbackErrorStopsReplay, SnapshotThenLaterRecords,
                            SnapshotCoveringEverything, NewestSnapshotWins,
                            RejectsSnapshotOutOfRange, SnapshotOfEmptyStore,
                            ConcurrentAppendsAreDenseAndExact, CallbacksMayAppend,
                            ReopenSeesEverything,
                            TwoPhaseAppendsAreDenseAndDurableWhenWaited,
                            MaxRecordBytesIsTheLimitAppendKeeps);

}  // namespace groupguard

#endif  // GROUPGUARD_TESTS_STORE_EVENT_STORE_CONFORMANCE_H_
