#ifndef GROUPGUARD_LIB_UTIL_FILE_UTIL_H_
#define GROUPGUARD_LIB_UTIL_FILE_UTIL_H_

// Small POSIX helpers for the files the library writes (journal, snapshots, model
// files) and the command's output files: every error becomes an absl::Status that
// names the file and the failing call.

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace groupguard::internal {

// The status code of a failed system call's errno, the one mapping of the library:
// kNotFound for ENOENT/ENOTDIR, kPermissionDenied for EACCES/EPERM/EROFS,
// kResourceExhausted for ENOSPC/EDQUOT/EFBIG/EMFILE/ENFILE/ENOMEM, kInvalidArgument
// for EISDIR (a directory where a file belongs), kUnavailable otherwise (EIO and the
// like; whether a retry can help depends on the caller: a journal that failed a sync
// stays failed until reopened).
absl::StatusCode ErrnoCode(int error);

// A status for a failed system call: ErrnoCode(error) with
// "<path>: <call> failed: <strerror>".
absl::Status ErrnoStatus(absl::string_view call, absl::string_view path, int error);

// An owned file descriptor, closed on destruction. Not thread-safe.
class ScopedFd {
 public:
  ScopedFd() = default;
  explicit ScopedFd(int fd) : fd_(fd) {}
  ScopedFd(ScopedFd&& other) noexcept : fd_(other.release()) {}
  ScopedFd& operator=(ScopedFd&& other) noexcept;
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;
  ~ScopedFd();

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_ = -1;
};

absl::StatusOr<ScopedFd> OpenFile(const std::string& path, int flags, int mode = 0644);

// Creates a new file `prefix` + "." + a suffix no other file has, open for writing,
// and stores its name in *path: a temporary to be renamed into place. Its mode is
// 0666 less the process umask, the mode a plain create gives (mkstemp(3) gives 0600,
// which would carry over to the renamed file). Never opens an existing file.
absl::StatusOr<ScopedFd> CreateUniqueFile(const std::string& prefix, std::string* path);

// A new file to be renamed over `path` once written: *destination is the file
// `path` names (the links it is and leads to followed, so a link to it stays a
// link, also one to a file not there yet; in a sticky folder anyone may write to,
// only a link of the caller's own or of the folder's owner, as the kernel's
// fs.protected_symlinks has it, else EACCES) and *temp a CreateUniqueFile() beside
// it, with the mode of the existing file if there is one.
// kFailedPrecondition if `path` exists and is not a regular file (a FIFO, a device:
// renaming over it would replace it); kInvalidArgument for a directory. The other
// errors name the file the failed call was on (the temporary, for its create). On
// an error, *error (when not null) is that call's errno (0 for not a regular file),
// for a message that names `path` and the reason alone.
absl::StatusOr<ScopedFd> CreateReplacementFile(const std::string& path,
                                               std::string* destination,
                                               std::string* temp, int* error = nullptr);

// Writes all of `data` (retrying short writes and EINTR).
absl::Status WriteAll(int fd, absl::string_view data, absl::string_view path);

// fdatasync (data_only) or fsync.
absl::Status SyncFd(int fd, absl::string_view path, bool data_only);

// Makes the directory's entries (creations, renames, deletions) durable.
absl::Status SyncDirectory(const std::string& dir);

// Creates the directory `path` and its missing parents (as `mkdir -p`); with `sync`,
// makes every entry it created durable by syncing each new directory's parent (the
// new directories' own contents are the caller's to sync). Returns the directories
// it created, innermost first ("a/b/" with neither there: "a/b", "a"); none if
// `path` was a directory already. Errors name the directory the failed call was on.
absl::StatusOr<std::vector<std::string>> CreateDirectories(const std::string& path,
                                                           bool sync);

// Reads up to `size` bytes at `offset`; returns how many were read (short at EOF).
absl::StatusOr<size_t> ReadAt(int fd, char* buffer, size_t size, uint64_t offset,
                              absl::string_view path);

// Writes `header` + `payload` to dir/name atomically: a temporary file, (fsync if
// `sync`), rename, (fsync the directory if `sync`). Removes the temporary on error.
absl::Status WriteFileAtomically(const std::string& dir, const std::string& name,
                                 absl::string_view header, absl::string_view payload,
                                 bool sync);

}  // namespace groupguard::internal

#endif  // GROUPGUARD_LIB_UTIL_FILE_UTIL_H_
