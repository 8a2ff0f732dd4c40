// NewMemoryEventStore(): the EventStore contract kept in memory (tests, replays).

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "groupguard/event_store.h"
#include "util/status_macros.h"

namespace groupguard {
namespace {

// Thread-safe. Records live in a deque of strings: push_back and pop_front leave the
// other elements in place, so Recover can hand out views without holding the lock
// while the callbacks run (and a callback may call Append without deadlocking).
class MemoryEventStore final : public EventStore {
 public:
  absl::StatusOr<uint64_t> Append(absl::string_view record) override {
    std::lock_guard<std::mutex> lock(mu_);
    records_.emplace_back(record);
    return first_sequence_ + records_.size() - 1;
  }

  absl::Status Recover(
      const std::function<absl::Status(absl::string_view, uint64_t)>& on_snapshot,
      const std::function<absl::Status(uint64_t, absl::string_view)>& on_record)
      override {
    // Keeps WriteSnapshot from dropping records while they are being replayed.
    std::lock_guard<std::mutex> maintenance(maintenance_mu_);
    std::vector<absl::string_view> views;
    std::string snapshot;
    uint64_t through = 0;
    bool has_snapshot = false;
    uint64_t first = 0;
    {
      std::lock_guard<std::mutex> lock(mu_);
      has_snapshot = has_snapshot_;
      snapshot = snapshot_;
      through = snapshot_through_;
      first = first_sequence_;
      views.reserve(records_.size());
      for (const std::string& r : records_) views.emplace_back(r);
    }
    if (has_snapshot) GG_RETURN_IF_ERROR(on_snapshot(snapshot, through));
    for (size_t i = 0; i < views.size(); ++i) {
      GG_RETURN_IF_ERROR(on_record(first + i, views[i]));
    }
    return absl::OkStatus();
  }

  absl::Status WriteSnapshot(absl::string_view snapshot, uint64_t through) override {
    std::lock_guard<std::mutex> maintenance(maintenance_mu_);
    std::lock_guard<std::mutex> lock(mu_);
    const uint64_t last = first_sequence_ + records_.size() - 1;
    if (through > last) {
      return absl::InvalidArgumentError(
          absl::StrCat("memory event store: snapshot through sequence ", through,
                       " but the last appended record is ", last));
    }
    if (has_snapshot_ && through < snapshot_through_) {
      return absl::InvalidArgumentError(absl::StrCat(
          "memory event store: snapshot through sequence ", through,
          " is older than the current snapshot (through ", snapshot_through_, ")"));
    }
    snapshot_.assign(snapshot.data(), snapshot.size());
    snapshot_through_ = through;
    has_snapshot_ = true;
    while (first_sequence_ <= through) {
      records_.pop_front();
      ++first_sequence_;
    }
    return absl::OkStatus();
  }

 private:
  std::mutex maintenance_mu_;  // serializes Recover and WriteSnapshot
  std::mutex mu_;
  std::deque<std::string> records_ ABSL_GUARDED_BY(mu_);
  uint64_t first_sequence_ ABSL_GUARDED_BY(mu_) = 1;  // sequence of records_.front()
  bool has_snapshot_ ABSL_GUARDED_BY(mu_) = false;
  std::string snapshot_ ABSL_GUARDED_BY(mu_);
  uint64_t snapshot_through_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace

std::unique_ptr<EventStore> NewMemoryEventStore() {
  return std::make_unique<MemoryEventStore>();
}

}  // namespace groupguard
