#include "groupguard/clock.h"

#include "absl/time/clock.h"

namespace groupguard {
namespace {

class SystemClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
};

}  // namespace

const Clock* RealClock() {
  static const SystemClock* const clock = new SystemClock();
  return clock;
}

}  // namespace groupguard
