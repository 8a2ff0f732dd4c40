#ifndef GROUPGUARD_CLOCK_H_
#define GROUPGUARD_CLOCK_H_

#include <atomic>
#include <cstdint>

#include "absl/time/time.h"

namespace groupguard {

// Where the moderation registry and the gate get the time from. Injected so that
// tests of expiry and rate limits move time forward instead of sleeping.
// Implementations must be thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
};

// The system's wall clock (absl::Now()). A process-wide singleton; never null, never
// to be deleted. Thread-safe.
const Clock* RealClock();

// A clock that moves only when told to. Thread-safe: Now() may race with Advance().
class ManualClock : public Clock {
 public:
  explicit ManualClock(absl::Time start = absl::FromUnixSeconds(1'700'000'000))
      : micros_(absl::ToUnixMicros(start)) {}

  // Microsecond resolution, like every time the registry records.
  absl::Time Now() const override {
    return absl::FromUnixMicros(micros_.load(std::memory_order_acquire));
  }
  void Advance(absl::Duration d) {
    micros_.fetch_add(absl::ToInt64Microseconds(d), std::memory_order_acq_rel);
  }
  void Set(absl::Time t) {
    micros_.store(absl::ToUnixMicros(t), std::memory_order_release);
  }

 private:
  std::atomic<int64_t> micros_;
};

}  // namespace groupguard

#endif  // GROUPGUARD_CLOCK_H_
