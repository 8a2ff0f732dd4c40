#ifndef GROUPGUARD_LIB_STORE_JOURNAL_TESTING_H_
#define GROUPGUARD_LIB_STORE_JOURNAL_TESTING_H_

// Test hooks of the journal (not part of the API).

#include <atomic>
#include <functional>

namespace groupguard::internal {

// While true, every journal in the process fails the fdatasync of an append (with
// EIO, after the write), as a failing disk would: the paths for a record that was
// written but could not be made durable can then be tested. A test that sets it
// clears it.
std::atomic<bool>& JournalFailSyncsForTesting();

// If set, OpenJournalReadOnly calls it with the attempt's number (0, 1, ...) after
// listing the directory and before opening any file it listed: the window in which a
// writer's snapshot can delete a listed file, which a test can widen (a pause) or
// use (a snapshot of its own). Set and cleared by a test while no read-only open runs.
std::function<void(int attempt)>& JournalReadOnlyAfterListingForTesting();

}  // namespace groupguard::internal

#endif  // GROUPGUARD_LIB_STORE_JOURNAL_TESTING_H_
