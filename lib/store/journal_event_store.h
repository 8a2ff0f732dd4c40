#ifndef GROUPGUARD_LIB_STORE_JOURNAL_EVENT_STORE_H_
#define GROUPGUARD_LIB_STORE_JOURNAL_EVENT_STORE_H_

// Internal hooks into OpenJournal()'s store, for tests.

#include <cstdint>
#include <optional>

#include "groupguard/event_store.h"

namespace groupguard::internal {

// How many fdatasyncs the journal has made for appends since it was opened (one per
// group-commit batch, one per kEveryAppend append; none under kNone); nullopt if
// `store` is not a journal from OpenJournal(). Thread-safe.
std::optional<uint64_t> JournalAppendSyncs(EventStore& store);

}  // namespace groupguard::internal

#endif  // GROUPGUARD_LIB_STORE_JOURNAL_EVENT_STORE_H_
