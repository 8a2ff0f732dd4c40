// The in-memory EventStore against the conformance suite.

#include <memory>

#include "absl/status/statusor.h"
#include "event_store_conformance.h"
#include "groupguard/event_store.h"
#include "gtest/gtest.h"

namespace groupguard {
namespace {

struct MemoryStoreFactory {
  static constexpr bool kDurable = false;
  absl::StatusOr<std::unique_ptr<EventStore>> Open() { return NewMemoryEventStore(); }
};

INSTANTIATE_TYPED_TEST_SUITE_P(Memory, EventStoreConformanceTest,
                               ::testing::Types<MemoryStoreFactory>);

}  // namespace
}  // namespace groupguard
