#ifndef GROUPGUARD_LIB_STORE_JOURNAL_FILES_H_
#define GROUPGUARD_LIB_STORE_JOURNAL_FILES_H_

// The files of a journal directory, shared by the store (OpenJournal) and by
// SalvageJournal: listing segments and snapshots, the directory's lock, and keeping
// bytes aside under a name the journal never reads.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "util/file_util.h"

namespace groupguard::internal {

struct SegmentFile {
  uint64_t first_sequence;
  std::string path;
};

struct SnapshotFile {
  uint64_t through;
  std::string path;
};

struct JournalListing {
  std::vector<SegmentFile> segments;    // ascending first_sequence
  std::vector<SnapshotFile> snapshots;  // ascending through
};

// Lists `dir`'s segments and snapshots. With `remove_temporaries`, also deletes the
// segment and snapshot ".tmp" files a crash left before their rename.
absl::StatusOr<JournalListing> ListJournal(const std::string& dir,
                                           bool remove_temporaries);

// Takes `dir`/LOCK (creating it), exclusively and without waiting: one user of a
// journal directory at a time, in this process or another. kFailedPrecondition if
// someone holds it.
absl::StatusOr<ScopedFd> LockJournal(const std::string& dir);

absl::StatusOr<std::string> ReadWholeFile(const std::string& path);

// Copies the bytes of `path` from `offset` on to a new file `keep_as` in `dir` (or
// `keep_as` + ".1", ".2", ... if that name is taken: never over an earlier copy),
// synced with the directory if `sync`, unless they are all zero. Returns the name
// written, or "" when there was nothing to keep.
absl::StatusOr<std::string> CopyTailAside(const std::string& dir, const std::string& path,
                                          uint64_t offset, const std::string& keep_as,
                                          bool sync);

// Writes the segment `dir`/SegmentFileName(first_sequence): a new header, then the
// bytes [from, to) of the segment file `source` (whole records, the first of them
// `first_sequence`). Atomic: a temporary file (synced with the directory if `sync`)
// renamed to the name, replacing the file there (which may be `source`: link it
// aside first to keep it).
absl::Status WriteSegmentFrom(const std::string& dir, uint64_t first_sequence,
                              const std::string& source, uint64_t from, uint64_t to,
                              bool sync);

// Whether the bytes [from, to) of the file open as `fd` (named `path` in errors) are
// all zero; the end of the file comes first if it is shorter.
absl::StatusOr<bool> AllZero(int fd, const std::string& path, uint64_t from, uint64_t to);

// Links `path` under `keep_as` (or `keep_as` + ".1", ".2", ... if taken) and returns
// the name used. The caller syncs the directory.
absl::StatusOr<std::string> LinkUnderFreeName(const std::string& path,
                                              const std::string& keep_as);

// Renames `path` to `keep_as` (or `keep_as` + ".1", ".2", ... if taken) and returns
// the name used. The caller syncs the directory.
absl::StatusOr<std::string> MoveAside(const std::string& path,
                                      const std::string& keep_as);

}  // namespace groupguard::internal

#endif  // GROUPGUARD_LIB_STORE_JOURNAL_FILES_H_
