// The gate's promise: a submit for a member not on probation never waits behind a
// moderator action's disk write. A store whose Append blocks until released stands in
// for a slow disk; while a moderator action is stuck in it (holding the registry's
// writer lock), submits must still complete. If they waited, this test would hang.
// The second test does the same with the wait in WaitDurable (group commit).

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "groupguard/clock.h"
#include "groupguard/event_store.h"
#include "groupguard/gate.h"
#include "groupguard/registry.h"
#include "gtest/gtest.h"
#include "moderation_test_util.h"

namespace groupguard {
namespace {

// Forwards to a memory store; once armed, Append blocks until Release(). With
// `two_phase`, StartAppend goes through at once and WaitDurable blocks instead (a
// group-commit journal waiting for its fdatasync).
class BlockingStore final : public testing::ForwardingStore {
 public:
  explicit BlockingStore(std::unique_ptr<EventStore> target, bool two_phase = false)
      : ForwardingStore(std::move(target)), two_phase_(two_phase) {}
  void Arm() {
    std::lock_guard<std::mutex> l(mu_);
    armed_ = true;
  }
  void WaitUntilBlocked() {
    std::unique_lock<std::mutex> l(mu_);
    cv_.wait(l, [this] { return blocked_; });
  }
  void Release() {
    std::lock_guard<std::mutex> l(mu_);
    armed_ = false;
    cv_.notify_all();
  }
  absl::StatusOr<uint64_t> Append(absl::string_view record) override {
    Block();
    return ForwardingStore::Append(record);
  }
  absl::StatusOr<uint64_t> StartAppend(absl::string_view record) override {
    if (!two_phase_) return Append(record);
    return ForwardingStore::Append(record);
  }
  absl::Status WaitDurable(uint64_t) override {
    if (two_phase_) Block();
    return absl::OkStatus();
  }

 private:
  void Block() {
    std::unique_lock<std::mutex> l(mu_);
    if (armed_) {
      blocked_ = true;
      cv_.notify_all();
      cv_.wait(l, [this] { return !armed_; });
    }
  }

  const bool two_phase_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool armed_ = false;
  bool blocked_ = false;
};

// A moderator flags "spammer" while the store blocks (in Append, or with
// `two_phase` in WaitDurable); meanwhile 100 submits by "alice" must be published at
// once, and `while_blocked` checks what readers see. Then the store is released and
// the flag must have taken effect.
void SubmitWhileAFlagIsStuckInTheStore(
    bool two_phase, const std::function<void(Registry&)>& while_blocked) {
  auto owned = std::make_unique<BlockingStore>(NewMemoryEventStore(), two_phase);
  BlockingStore* store = owned.get();
  ManualClock clock;
  auto opened = Registry::Open(std::move(owned), &clock, RegistryOptions());
  ASSERT_TRUE(opened.ok());
  Registry& registry = **opened;
  ASSERT_TRUE(registry.CreateGroup("cats").ok());
  ASSERT_TRUE(registry.AddModerator("cats", "mod").ok());
  ASSERT_TRUE(registry.Join("alice", "cats").ok());
  ASSERT_TRUE(registry.Join("spammer", "cats").ok());
  testing::FakeClassifier classifier;
  Gate gate(&registry, &classifier);

  store->Arm();
  std::thread moderator(
      [&] { EXPECT_TRUE(registry.Flag("mod", "spammer", "cats", "spam").ok()); });
  store->WaitUntilBlocked();
  for (int i = 0; i < 100; ++i) {
    auto d = gate.Submit(Submission{absl::StrCat("p", i), "alice", "cats", "hello"});
    ASSERT_TRUE(d.ok()) << d.status();
    EXPECT_EQ(d->action, Decision::Action::kPublish);
  }
  while_blocked(registry);
  store->Release();
  moderator.join();
  EXPECT_TRUE(registry.ProbationStatusOf("spammer").on_probation);
}

// The flag holds the writer lock, stuck on "disk".
TEST(GateNonBlockingTest, SubmitDoesNotWaitForAModeratorsDiskWrite) {
  SubmitWhileAFlagIsStuckInTheStore(false, [](Registry& registry) {
    // Reads a member may make are not blocked either.
    EXPECT_FALSE(registry.ProbationStatusOf("alice").on_probation);
    EXPECT_FALSE(
        registry.ProbationStatusOf("spammer").on_probation);  // not acknowledged yet
  });
}

// The same with a store that has a two-phase append: the flag is applied (and so
// visible) and waits for its "fdatasync" outside the writer lock. Submits still never
// wait.
TEST(GateNonBlockingTest, SubmitDoesNotWaitForAModeratorsSync) {
  SubmitWhileAFlagIsStuckInTheStore(true, [](Registry& registry) {
    EXPECT_FALSE(registry.ProbationStatusOf("alice").on_probation);
    // Applied before it is durable (documented on Registry): already visible.
    EXPECT_TRUE(registry.ProbationStatusOf("spammer").on_probation);
  });
}

}  // namespace
}  // namespace groupguard
