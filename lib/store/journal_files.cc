#include "store/journal_files.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <limits>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "store/journal_format.h"
#include "util/status_macros.h"

namespace groupguard::internal {
namespace {

// Copies the bytes [from, to) of `in` (or up to its end, if shorter) to the end of
// `out`; returns whether any of them was not zero.
absl::StatusOr<bool> CopyBytes(int in, const std::string& in_path, uint64_t from,
                               uint64_t to, int out, const std::string& out_path) {
  bool any_data = false;
  std::string buffer(size_t{64} << 10, '\0');
  for (uint64_t at = from; at < to;) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(buffer.size(), to - at));
    GG_ASSIGN_OR_RETURN(size_t got, ReadAt(in, buffer.data(), want, at, in_path));
    if (got == 0) break;
    const absl::string_view chunk(buffer.data(), got);
    any_data |= chunk.find_first_not_of('\0') != absl::string_view::npos;
    GG_RETURN_IF_ERROR(WriteAll(out, chunk, out_path));
    at += got;
  }
  return any_data;
}

}  // namespace

absl::StatusOr<std::string> LinkUnderFreeName(const std::string& from,
                                              const std::string& keep_as) {
  for (int n = 0;; ++n) {
    std::string name = n == 0 ? keep_as : absl::StrCat(keep_as, ".", n);
    if (::link(from.c_str(), name.c_str()) == 0) return name;
    if (errno != EEXIST) return ErrnoStatus("link", name, errno);
  }
}

absl::StatusOr<JournalListing> ListJournal(const std::string& dir,
                                           bool remove_temporaries) {
  JournalListing listing;
  std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(dir.c_str()), &::closedir);
  if (d == nullptr) return ErrnoStatus("opendir", dir, errno);
  while (true) {
    // A listing cut short by a failed read (EIO, a stale NFS handle) would make an
    // earlier segment look like the last one, whose torn tail is cut: an error.
    errno = 0;
    const struct dirent* entry = ::readdir(d.get());
    if (entry == nullptr) {
      if (errno != 0) return ErrnoStatus("readdir", dir, errno);
      break;
    }
    const absl::string_view name = entry->d_name;
    if (auto first = ParseSegmentFileName(name)) {
      listing.segments.push_back({*first, absl::StrCat(dir, "/", name)});
    } else if (auto through = ParseSnapshotFileName(name)) {
      listing.snapshots.push_back({*through, absl::StrCat(dir, "/", name)});
    } else if (remove_temporaries && absl::EndsWith(name, ".tmp") &&
               (absl::StartsWith(name, "journal-") ||
                absl::StartsWith(name, "snapshot-"))) {
      // A file that never became durable (crash before its rename).
      ::unlink(absl::StrCat(dir, "/", name).c_str());
    }
  }
  std::sort(listing.segments.begin(), listing.segments.end(),
            [](const SegmentFile& a, const SegmentFile& b) {
              return a.first_sequence < b.first_sequence;
            });
  std::sort(
      listing.snapshots.begin(), listing.snapshots.end(),
      [](const SnapshotFile& a, const SnapshotFile& b) { return a.through < b.through; });
  return listing;
}

absl::StatusOr<ScopedFd> LockJournal(const std::string& dir) {
  const std::string lock_path = absl::StrCat(dir, "/LOCK");
  GG_ASSIGN_OR_RETURN(ScopedFd lock_fd, OpenFile(lock_path, O_RDWR | O_CREAT, 0644));
  if (::flock(lock_fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return absl::FailedPreconditionError(
          absl::StrCat("journal ", dir, " is already open (", lock_path, " is locked)"));
    }
    return ErrnoStatus("flock", lock_path, errno);
  }
  return lock_fd;
}

absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  GG_ASSIGN_OR_RETURN(ScopedFd fd, OpenFile(path, O_RDONLY));
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return ErrnoStatus("fstat", path, errno);
  std::string contents(static_cast<size_t>(st.st_size), '\0');
  GG_ASSIGN_OR_RETURN(size_t got,
                      ReadAt(fd.get(), contents.data(), contents.size(), 0, path));
  contents.resize(got);
  return contents;
}

absl::StatusOr<std::string> CopyTailAside(const std::string& dir, const std::string& path,
                                          uint64_t offset, const std::string& keep_as,
                                          bool sync) {
  const std::string temp_path = absl::StrCat(keep_as, ".tmp");
  absl::StatusOr<std::string> kept = [&]() -> absl::StatusOr<std::string> {
    GG_ASSIGN_OR_RETURN(ScopedFd in, OpenFile(path, O_RDONLY));
    GG_ASSIGN_OR_RETURN(ScopedFd out, OpenFile(temp_path, O_WRONLY | O_CREAT | O_TRUNC));
    GG_ASSIGN_OR_RETURN(bool any_data, CopyBytes(in.get(), path, offset,
                                                 std::numeric_limits<uint64_t>::max(),
                                                 out.get(), temp_path));
    if (!any_data) return std::string();  // zeros: nothing to keep
    if (sync) GG_RETURN_IF_ERROR(SyncFd(out.get(), temp_path, false));
    GG_ASSIGN_OR_RETURN(std::string name, LinkUnderFreeName(temp_path, keep_as));
    if (sync) GG_RETURN_IF_ERROR(SyncDirectory(dir));
    return name;
  }();
  ::unlink(temp_path.c_str());  // linked under its kept name, or not to be kept
  return kept;
}

absl::Status WriteSegmentFrom(const std::string& dir, uint64_t first_sequence,
                              const std::string& source, uint64_t from, uint64_t to,
                              bool sync) {
  const std::string path = absl::StrCat(dir, "/", SegmentFileName(first_sequence));
  // The name OpenJournal deletes as a crash's leftover.
  const std::string temp_path = absl::StrCat(path, ".tmp");
  absl::Status status = [&]() -> absl::Status {
    GG_ASSIGN_OR_RETURN(ScopedFd in, OpenFile(source, O_RDONLY));
    GG_ASSIGN_OR_RETURN(ScopedFd out, OpenFile(temp_path, O_WRONLY | O_CREAT | O_TRUNC));
    GG_RETURN_IF_ERROR(
        WriteAll(out.get(), EncodeSegmentHeader(first_sequence), temp_path));
    GG_RETURN_IF_ERROR(
        CopyBytes(in.get(), source, from, to, out.get(), temp_path).status());
    if (sync) GG_RETURN_IF_ERROR(SyncFd(out.get(), temp_path, false));
    if (::rename(temp_path.c_str(), path.c_str()) != 0) {
      return ErrnoStatus("rename", path, errno);
    }
    if (sync) GG_RETURN_IF_ERROR(SyncDirectory(dir));
    return absl::OkStatus();
  }();
  if (!status.ok()) ::unlink(temp_path.c_str());
  return status;
}

absl::StatusOr<bool> AllZero(int fd, const std::string& path, uint64_t from,
                             uint64_t to) {
  std::string chunk(std::min<uint64_t>(size_t{1} << 20, to - from), '\0');
  while (from < to) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(chunk.size(), to - from));
    GG_ASSIGN_OR_RETURN(size_t got, ReadAt(fd, chunk.data(), want, from, path));
    if (got == 0) return true;
    if (absl::string_view(chunk.data(), got).find_first_not_of('\0') !=
        absl::string_view::npos) {
      return false;
    }
    from += got;
  }
  return true;
}

absl::StatusOr<std::string> MoveAside(const std::string& path,
                                      const std::string& keep_as) {
  GG_ASSIGN_OR_RETURN(std::string name, LinkUnderFreeName(path, keep_as));
  if (::unlink(path.c_str()) != 0) return ErrnoStatus("unlink", path, errno);
  return name;
}

}  // namespace groupguard::internal
