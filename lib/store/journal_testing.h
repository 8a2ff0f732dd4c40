#ifndef GROUPGUARD_LIB_STORE_JOURNAL_TESTING_H_
#define GROUPGUARD_LIB_STORE_JOURNAL_TESTING_H_

// Test hooks of the journal (not part of the API).

#include <atomic>

namespace groupguard::internal {

// While true, every journal in the process fails the fdatasync of an append (with
// EIO, after the write), as a failing disk would: the paths for a record that was
// written but could not be made durable can then be tested. A test that sets it
// clears it.
std::atomic<bool>& JournalFailSyncsForTesting();

}  // namespace groupguard::internal

#endif  // GROUPGUARD_LIB_STORE_JOURNAL_TESTING_H_
