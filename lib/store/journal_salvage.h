#ifndef GROUPGUARD_LIB_STORE_JOURNAL_SALVAGE_H_
#define GROUPGUARD_LIB_STORE_JOURNAL_SALVAGE_H_

// SalvageJournal's work, for a caller that already holds the journal's lock
// (OpenJournal with JournalOptions::OnDamage::kSalvage).

#include <string>

#include "absl/status/statusor.h"
#include "groupguard/event_store.h"

namespace groupguard::internal {

// SalvageJournal(path, options) with `path`/LOCK held by the caller (LockJournal).
absl::StatusOr<JournalSalvageReport> SalvageLockedJournal(
    const std::string& path, const JournalSalvageOptions& options);

}  // namespace groupguard::internal

#endif  // GROUPGUARD_LIB_STORE_JOURNAL_SALVAGE_H_
