// Group commit through the registry: a change starts its store append and applies
// under the writer lock, then waits for durability outside it, so concurrent changes
// can share one sync. A store whose WaitDurable blocks until the test releases it
// makes the interleavings deterministic: with the writer lock held across the wait
// (the old design) the second writer could never start, and these tests would fail
// on their timeouts instead of hanging.

#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <future>
#include <limits>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "groupguard/clock.h"
#include "groupguard/event_store.h"
#include "groupguard/gate.h"
#include "groupguard/registry.h"
#include "gtest/gtest.h"
#include "moderation_test_util.h"
#include "store/journal_event_store.h"

namespace groupguard {
namespace {

constexpr auto kPatience = std::chrono::seconds(20);

// Forwards to a store the test keeps, in two phases: StartAppend appends to it at
// once; WaitDurable(sequence) returns only when `sequence` is released (everything is
// released until Gate() is called), or fails once FailWaits() is set.
class GatedStore final : public testing::ForwardingStore {
 public:
  explicit GatedStore(EventStore* target) : ForwardingStore(target) {}

  absl::StatusOr<uint64_t> Append(absl::string_view record) override {
    absl::StatusOr<uint64_t> sequence = StartAppend(record);
    if (!sequence.ok()) return sequence;
    absl::Status s = WaitDurable(*sequence);
    if (!s.ok()) return s;
    return sequence;
  }
  absl::StatusOr<uint64_t> StartAppend(absl::string_view record) override {
    absl::StatusOr<uint64_t> sequence = target().Append(record);
    std::lock_guard<std::mutex> l(mu_);
    if (sequence.ok()) ++started_;
    cv_.notify_all();
    return sequence;
  }
  absl::Status WaitDurable(uint64_t sequence) override {
    std::unique_lock<std::mutex> l(mu_);
    ++waiting_;
    cv_.notify_all();
    cv_.wait(l, [&] {
      return !fail_.ok() || sequence <= released_through_ || released_.count(sequence);
    });
    --waiting_;
    cv_.notify_all();
    if (sequence <= released_through_ || released_.count(sequence)) {
      return absl::OkStatus();
    }
    return fail_;
  }

  // From now on, records after `through` wait until released.
  void Gate(uint64_t through) {
    std::lock_guard<std::mutex> l(mu_);
    released_through_ = through;
  }
  void Release(uint64_t sequence) {
    std::lock_guard<std::mutex> l(mu_);
    released_.insert(sequence);
    cv_.notify_all();
  }
  void ReleaseAll() {
    std::lock_guard<std::mutex> l(mu_);
    released_through_ = std::numeric_limits<uint64_t>::max();
    cv_.notify_all();
  }
  void FailWaits(absl::Status status) {
    std::lock_guard<std::mutex> l(mu_);
    fail_ = std::move(status);
    cv_.notify_all();
  }
  // Wait (up to kPatience) until at least `n` records were started / `n` callers are
  // waiting for durability at once.
  bool AwaitStarted(int n) {
    std::unique_lock<std::mutex> l(mu_);
    return cv_.wait_for(l, kPatience, [&] { return started_ >= n; });
  }
  bool AwaitWaiting(int n) {
    std::unique_lock<std::mutex> l(mu_);
    return cv_.wait_for(l, kPatience, [&] { return waiting_ >= n; });
  }
  int started() {
    std::lock_guard<std::mutex> l(mu_);
    return started_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int started_ = 0;
  int waiting_ = 0;
  uint64_t released_through_ = std::numeric_limits<uint64_t>::max();
  std::set<uint64_t> released_;
  absl::Status fail_;
};

class RegistryGroupCommitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto owned = std::make_unique<GatedStore>(base_.get());
    store_ = owned.get();
    auto opened = Registry::Open(std::move(owned), &clock_, RegistryOptions());
    ASSERT_TRUE(opened.ok()) << opened.status();
    registry_ = *std::move(opened);
    ASSERT_TRUE(registry_->AddAdministrator("admin").ok());
    ASSERT_TRUE(registry_->CreateGroup("g").ok());
    ASSERT_TRUE(registry_->Join("m", "g").ok());
    registry_->Subscribe(recorder_.AsSubscriber());
    base_sequence_ = static_cast<uint64_t>(store_->started());
  }

  // Forget("admin", "m") on a thread of its own, held at its sync, then the same
  // again on another (which may or may not wait: the tests say).
  std::pair<std::future<absl::Status>, std::future<absl::Status>> StartTwoForgets() {
    store_->Gate(base_sequence_);
    auto forget = [this] { return registry_->Forget("admin", "m"); };
    std::future<absl::Status> first = std::async(std::launch::async, forget);
    EXPECT_TRUE(store_->AwaitWaiting(1));
    return {std::move(first), std::async(std::launch::async, forget)};
  }

  absl::Status HoldPost(const std::string& id) {
    return registry_->Hold(Submission{id, "m", "g", "text"}, {}).status();
  }

  std::unique_ptr<EventStore> base_ = NewMemoryEventStore();
  ManualClock clock_;
  GatedStore* store_ = nullptr;
  std::unique_ptr<Registry> registry_;
  testing::EventRecorder recorder_;
  uint64_t base_sequence_ = 0;  // records in the store before the test's own
};

// "m" flagged, then lifted on a thread of its own while the store holds back the
// lift's sync, and a submit by "m" through `gate` on another thread: the two
// futures, and whether the submit became the store's second waiter (it waits for
// the lift's sync). The caller releases or fails the sync.
struct LiftInFlight {
  std::future<absl::Status> lifted;
  std::future<absl::StatusOr<Decision>> submitted;
  bool submit_waits = false;
};
LiftInFlight StartLiftAndSubmit(Registry* registry, GatedStore* store, const Gate* gate) {
  LiftInFlight f;
  EXPECT_TRUE(registry->Flag("admin", "m", "g", "spam").ok());
  store->Gate(static_cast<uint64_t>(store->started()));
  f.lifted = std::async(std::launch::async,
                        [registry] { return registry->Lift("admin", "m", "", "sorry"); });
  EXPECT_TRUE(store->AwaitWaiting(1));
  f.submitted = std::async(std::launch::async, [gate] {
    return gate->Submit(Submission{"p", "m", "g", "hi"});
  });
  f.submit_waits = store->AwaitWaiting(2);
  return f;
}

// The gate decides no post on a change still waiting for its sync: a submit by a
// member whose lift is not yet durable waits for that sync (a crash could still lose
// the lift, and the post would have been published past a probation that stands),
// while a member with no change pending is decided at once.
TEST_F(RegistryGroupCommitTest, GateWaitsForTheMembersPendingChange) {
  ASSERT_TRUE(registry_->Join("n", "g").ok());
  Gate gate(registry_.get(), nullptr);
  LiftInFlight f = StartLiftAndSubmit(registry_.get(), store_, &gate);
  const absl::StatusOr<Decision> other = gate.Submit(Submission{"q", "n", "g", "hi"});
  store_->ReleaseAll();
  EXPECT_TRUE(f.submit_waits);
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_EQ(other->action, Decision::Action::kPublish);
  const absl::Status lifted = f.lifted.get();
  ASSERT_TRUE(lifted.ok()) << lifted;
  const absl::StatusOr<Decision> decided = f.submitted.get();
  ASSERT_TRUE(decided.ok()) << decided.status();
  EXPECT_EQ(decided->action, Decision::Action::kPublish);  // by the lift, now durable
}

// If that sync fails, the waiting submit is not decided: kUnavailable, and the
// registry is failed.
TEST_F(RegistryGroupCommitTest, GateDecidesNothingOnAChangeWhoseSyncFailed) {
  Gate gate(registry_.get(), nullptr);
  LiftInFlight f = StartLiftAndSubmit(registry_.get(), store_, &gate);
  store_->FailWaits(absl::DataLossError("injected fdatasync failure"));
  EXPECT_TRUE(f.submit_waits);
  const absl::Status lifted = f.lifted.get();
  EXPECT_EQ(lifted.code(), absl::StatusCode::kDataLoss) << lifted;
  const absl::StatusOr<Decision> decided = f.submitted.get();
  EXPECT_EQ(decided.status().code(), absl::StatusCode::kUnavailable) << decided.status();
  EXPECT_EQ(registry_->Health().code(), absl::StatusCode::kUnavailable);
}

TEST_F(RegistryGroupCommitTest, SecondWriterStartsWhileFirstWaitsForDurability) {
  store_->Gate(base_sequence_);
  std::thread a([&] { EXPECT_TRUE(HoldPost("a").ok()); });
  ASSERT_TRUE(store_->AwaitWaiting(1));
  std::thread b([&] { EXPECT_TRUE(HoldPost("b").ok()); });
  // B got through its append while A still waits: the writer lock was not held
  // across A's wait. Both now wait at once, so one sync could cover both.
  const bool b_started = store_->AwaitStarted(static_cast<int>(base_sequence_) + 2);
  const bool both_waiting = store_->AwaitWaiting(2);
  EXPECT_TRUE(b_started);
  EXPECT_TRUE(both_waiting);
  // Visible before durable (documented), but not yet notified.
  auto queue = registry_->ListQueue("admin", "g");
  ASSERT_TRUE(queue.ok());
  EXPECT_EQ(queue->size(), 2u);
  EXPECT_TRUE(recorder_.events().empty());
  store_->ReleaseAll();
  a.join();
  b.join();
  ASSERT_EQ(recorder_.events().size(), 2u);
}

TEST_F(RegistryGroupCommitTest, SubscribersHearChangesInSequenceOrderAcrossThreads) {
  store_->Gate(base_sequence_);
  std::thread a([&] { EXPECT_TRUE(HoldPost("a").ok()); });
  ASSERT_TRUE(store_->AwaitWaiting(1));
  std::atomic<bool> b_returned{false};
  std::thread b([&] {
    EXPECT_TRUE(HoldPost("b").ok());
    b_returned = true;
  });
  if (!store_->AwaitWaiting(2)) {
    store_->ReleaseAll();
    a.join();
    b.join();
    FAIL() << "the second writer never reached its wait for durability";
  }
  // B's record becomes durable first (a real store syncs A with it, but the threads
  // may wake in either order); B must still not be notified, or return, before A.
  store_->Release(base_sequence_ + 2);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_TRUE(recorder_.events().empty());
  EXPECT_FALSE(b_returned.load());
  store_->Release(base_sequence_ + 1);
  a.join();
  b.join();
  auto events = recorder_.events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].post_id, "a");
  EXPECT_EQ(events[0].sequence, base_sequence_ + 1);
  EXPECT_EQ(events[1].post_id, "b");
  EXPECT_EQ(events[1].sequence, base_sequence_ + 2);
}

TEST_F(RegistryGroupCommitTest, FailedSyncFailsTheCallAndStopsFurtherChanges) {
  EXPECT_TRUE(registry_->Health().ok());
  store_->Gate(base_sequence_);
  store_->FailWaits(absl::DataLossError("injected fdatasync failure"));
  absl::Status held = HoldPost("a");
  EXPECT_EQ(held.code(), absl::StatusCode::kDataLoss) << held;
  EXPECT_TRUE(recorder_.events().empty());  // never durable: never announced
  // Memory is ahead of the store now; the registry says so and refuses changes, with
  // a code of its own (not the kFailedPrecondition of "not a member"), which says
  // to reopen it.
  absl::Status join = registry_->Join("n", "g");
  EXPECT_EQ(join.code(), absl::StatusCode::kUnavailable) << join;
  EXPECT_TRUE(absl::StrContains(join.message(), "injected fdatasync failure")) << join;
  EXPECT_TRUE(absl::StrContains(join.message(), "reopen")) << join;
  EXPECT_EQ(registry_->Health(), join);
  EXPECT_EQ(registry_->Compact().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(registry_->Flag("admin", "m", "g", "spam").code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(registry_->Hold(Submission{"b", "m", "g", "text"}, {}).status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(store_->started(), static_cast<int>(base_sequence_) + 1);
  // No post is decided on a state the store may lack: the gate's check fails closed,
  // for every author, with the same kUnavailable; the other reads still answer.
  Gate gate(registry_.get(), nullptr);
  EXPECT_EQ(registry_->CheckPosting("m", "g").status(), join);
  EXPECT_EQ(gate.Submit(Submission{"c", "m", "g", "text"}).status(), join);
  EXPECT_EQ(gate.Submit(Submission{"d", "stranger", "g", "text"}).status(), join);
  EXPECT_EQ(registry_->ListQueue("admin", "g").status().code(), absl::StatusCode::kOk);
  // Reopening rebuilds from what the store has (here the memory store kept it).
  registry_.reset();
  auto reopened = Registry::Open(std::make_unique<testing::SharedStore>(base_.get()),
                                 &clock_, RegistryOptions());
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  EXPECT_TRUE((*reopened)->Join("n", "g").ok());
}

// A Forget of a member whose first Forget still waits for its sync finds nothing to
// forget and writes nothing, but says OK only once that erasure is durable: a failed
// sync or a crash could still undo it, and the retry's OK would then be false.
TEST_F(RegistryGroupCommitTest, RepeatedForgetWaitsForTheFirstForgetsSync) {
  auto [first, second] = StartTwoForgets();
  const bool second_waits = store_->AwaitWaiting(2);
  EXPECT_EQ(second.wait_for(std::chrono::milliseconds(0)), std::future_status::timeout);
  store_->ReleaseAll();
  EXPECT_TRUE(second_waits) << "the second Forget did not wait for the first's sync";
  const absl::Status a = first.get();
  const absl::Status b = second.get();
  EXPECT_TRUE(a.ok()) << a;
  EXPECT_TRUE(b.ok()) << b;
  EXPECT_EQ(store_->started(), static_cast<int>(base_sequence_) + 1);  // one event
}

TEST_F(RegistryGroupCommitTest, RepeatedForgetFailsWhenTheFirstForgetsSyncFails) {
  auto [first, second] = StartTwoForgets();
  const bool second_waits = store_->AwaitWaiting(2);
  store_->FailWaits(absl::DataLossError("injected fdatasync failure"));
  EXPECT_TRUE(second_waits) << "the second Forget did not wait for the first's sync";
  const absl::Status a = first.get();
  const absl::Status b = second.get();
  EXPECT_EQ(a.code(), absl::StatusCode::kDataLoss) << a;
  EXPECT_EQ(b.code(), absl::StatusCode::kUnavailable) << b;
  EXPECT_TRUE(absl::StrContains(b.message(), "injected fdatasync failure")) << b;
  EXPECT_EQ(registry_->Health().code(), absl::StatusCode::kUnavailable);
}

TEST_F(RegistryGroupCommitTest, SubscriberMayNotChangeTheRegistry) {
  absl::Status inner;
  const int handle = registry_->Subscribe([&](const ModerationEvent& e) {
    if (e.post_id == "a") inner = registry_->Join("n", "g");
  });
  ASSERT_TRUE(HoldPost("a").ok());
  registry_->Unsubscribe(handle);
  EXPECT_EQ(inner.code(), absl::StatusCode::kFailedPrecondition) << inner;
  EXPECT_FALSE(registry_->CheckPosting("n", "g").ok());
}

// A store whose WriteSnapshot waits until the test lets it go on.
class BlockingSnapshotStore final : public testing::ForwardingStore {
 public:
  using testing::ForwardingStore::ForwardingStore;
  absl::Status WriteSnapshot(absl::string_view snapshot, uint64_t through) override {
    entered_.set_value();
    go_on_.wait();
    return testing::ForwardingStore::WriteSnapshot(snapshot, through);
  }
  std::shared_future<void> entered() const { return entered_future_; }
  void GoOn() { go_on_promise_.set_value(); }

 private:
  std::promise<void> entered_;
  std::shared_future<void> entered_future_ = entered_.get_future().share();
  std::promise<void> go_on_promise_;
  std::shared_future<void> go_on_ = go_on_promise_.get_future().share();
};

// Compact writes its snapshot without the writer lock: a hold (and any change) goes
// through while the snapshot is being written, and the snapshot is the state before
// it. It used to hold the lock through the disk write, stopping every change.
TEST(RegistryCompactTest, ChangesGoOnWhileTheSnapshotIsWritten) {
  std::unique_ptr<EventStore> base = NewMemoryEventStore();
  auto owned = std::make_unique<BlockingSnapshotStore>(base.get());
  BlockingSnapshotStore* store = owned.get();
  ManualClock clock;
  auto opened = Registry::Open(std::move(owned), &clock, RegistryOptions());
  ASSERT_TRUE(opened.ok()) << opened.status();
  std::unique_ptr<Registry> registry = *std::move(opened);
  ASSERT_TRUE(registry->AddAdministrator("admin").ok());
  ASSERT_TRUE(registry->CreateGroup("g").ok());
  ASSERT_TRUE(registry->Join("m", "g").ok());
  ASSERT_TRUE(registry->Flag("admin", "m", "g", "spam").ok());
  std::future<absl::Status> compacted =
      std::async(std::launch::async, [&] { return registry->Compact(); });
  store->entered().wait();
  // The snapshot is being written: a gate hold must not wait for it.
  Gate gate(registry.get(), nullptr);
  std::future<absl::StatusOr<Decision>> held = std::async(std::launch::async, [&] {
    return gate.Submit(Submission{"p", "m", "g", "text"});
  });
  const bool went_through =
      held.wait_for(std::chrono::seconds(20)) == std::future_status::ready;
  store->GoOn();
  EXPECT_TRUE(went_through) << "a hold waited for the snapshot's disk write";
  ASSERT_TRUE(compacted.get().ok());
  const absl::StatusOr<Decision> decision = held.get();
  ASSERT_TRUE(decision.ok()) << decision.status();
  EXPECT_EQ(decision->action, Decision::Action::kHold);
  // Reopened from the snapshot and the record after it: the hold is there.
  const std::string live = registry->CanonicalDump();
  registry.reset();
  auto reopened = Registry::Open(std::make_unique<testing::SharedStore>(base.get()),
                                 &clock, RegistryOptions());
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  EXPECT_EQ((*reopened)->CanonicalDump(), live);
}

// The real journal under kGroupCommit: concurrent holds share fdatasyncs (each hold
// used to take one of its own, as the writer lock kept appends apart), and a
// compaction running meanwhile only snapshots durable changes.
TEST(RegistryJournalGroupCommitTest, ConcurrentHoldsShareSyncs) {
  std::string dir = absl::StrCat(::testing::TempDir(), "/gg_group_commit_XXXXXX");
  ASSERT_NE(::mkdtemp(dir.data()), nullptr);
  constexpr int kThreads = 8;
  constexpr int kHoldsPerThread = 60;
  uint64_t syncs = 0;
  {
    JournalOptions jo;
    jo.sync = JournalOptions::Sync::kGroupCommit;
    auto journal = OpenJournal(dir + "/j", jo);
    ASSERT_TRUE(journal.ok()) << journal.status();
    EventStore* store = journal->get();
    ManualClock clock;
    auto opened = Registry::Open(*std::move(journal), &clock, RegistryOptions());
    ASSERT_TRUE(opened.ok()) << opened.status();
    Registry& registry = **opened;
    ASSERT_TRUE(registry.CreateGroup("g").ok());
    ASSERT_TRUE(registry.AddAdministrator("admin").ok());
    ASSERT_TRUE(registry.Join("m", "g").ok());
    std::atomic<int> notified{0};
    registry.Subscribe([&](const ModerationEvent&) { notified.fetch_add(1); });
    const uint64_t syncs_before = *internal::JournalAppendSyncs(*store);

    std::atomic<int> ready{0};
    std::atomic<bool> done{false};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        ready.fetch_add(1);
        while (ready.load() < kThreads) std::this_thread::yield();
        for (int i = 0; i < kHoldsPerThread; ++i) {
          auto held = registry.Hold(
              Submission{absl::StrCat("t", t, "-", i), "m", "g", "text"}, {});
          ASSERT_TRUE(held.ok()) << held.status();
        }
      });
    }
    std::thread compactor([&] {
      while (!done.load()) {
        absl::Status s = registry.Compact();
        ASSERT_TRUE(s.ok()) << s;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
    });
    for (auto& t : threads) t.join();
    done = true;
    compactor.join();
    syncs = *internal::JournalAppendSyncs(*store) - syncs_before;
    EXPECT_EQ(notified.load(), kThreads * kHoldsPerThread);
    EXPECT_LT(syncs, static_cast<uint64_t>(kThreads * kHoldsPerThread))
        << "every hold took its own fdatasync";
  }
  {
    JournalOptions jo;
    jo.sync = JournalOptions::Sync::kGroupCommit;
    auto journal = OpenJournal(dir + "/j", jo);
    ASSERT_TRUE(journal.ok()) << journal.status();
    ManualClock clock;
    auto reopened = Registry::Open(*std::move(journal), &clock, RegistryOptions());
    ASSERT_TRUE(reopened.ok()) << reopened.status();
    auto queue = (*reopened)->ListQueue("admin", "g");
    ASSERT_TRUE(queue.ok()) << queue.status();
    EXPECT_EQ(queue->size(), static_cast<size_t>(kThreads * kHoldsPerThread));
  }
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
  RecordProperty("fdatasyncs", static_cast<int>(syncs));
}

}  // namespace
}  // namespace groupguard
