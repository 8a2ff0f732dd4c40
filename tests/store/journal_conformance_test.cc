// The journal, under each sync policy, against the EventStore conformance suite.

#include <memory>

#include "absl/status/statusor.h"
#include "event_store_conformance.h"
#include "groupguard/event_store.h"
#include "gtest/gtest.h"
#include "store_test_util.h"

namespace groupguard {
namespace {

template <JournalOptions::Sync kSync>
struct JournalFactory {
  static constexpr bool kDurable = true;
  absl::StatusOr<std::unique_ptr<EventStore>> Open() {
    return OpenJournal(dir.Sub("journal"), testing_internal::OptionsWith(kSync));
  }
  testing_internal::ScratchDir dir;
};

using JournalFactories =
    ::testing::Types<JournalFactory<JournalOptions::Sync::kNone>,
                     JournalFactory<JournalOptions::Sync::kEveryAppend>,
                     JournalFactory<JournalOptions::Sync::kGroupCommit>>;
INSTANTIATE_TYPED_TEST_SUITE_P(Journal, EventStoreConformanceTest, JournalFactories);

}  // namespace
}  // namespace groupguard
