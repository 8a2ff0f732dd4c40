#include "util/file_util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "util/status_macros.h"

namespace groupguard::internal {

absl::StatusCode ErrnoCode(int error) {
  switch (error) {
    case ENOENT:
    case ENOTDIR:
      return absl::StatusCode::kNotFound;
    case EACCES:
    case EPERM:
    case EROFS:
      return absl::StatusCode::kPermissionDenied;
    case ENOSPC:
    case EDQUOT:
    case EFBIG:
    case EMFILE:
    case ENFILE:
    case ENOMEM:
      return absl::StatusCode::kResourceExhausted;
    case EISDIR:
      return absl::StatusCode::kInvalidArgument;
    default:
      return absl::StatusCode::kUnavailable;
  }
}

absl::Status ErrnoStatus(absl::string_view call, absl::string_view path, int error) {
  return absl::Status(ErrnoCode(error),
                      absl::StrCat(path, ": ", call, " failed: ", std::strerror(error)));
}

ScopedFd& ScopedFd::operator=(ScopedFd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.release();
  }
  return *this;
}

ScopedFd::~ScopedFd() {
  if (fd_ >= 0) ::close(fd_);
}

namespace {

// open(2) with O_CLOEXEC, retried on EINTR; -1 with errno set on failure.
int OpenRetrying(const std::string& path, int flags, int mode) {
  int fd;
  do {
    fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
  } while (fd < 0 && errno == EINTR);
  return fd;
}

}  // namespace

absl::StatusOr<ScopedFd> OpenFile(const std::string& path, int flags, int mode) {
  const int fd = OpenRetrying(path, flags, mode);
  if (fd < 0) return ErrnoStatus("open", path, errno);
  return ScopedFd(fd);
}

namespace {

// CreateUniqueFile, with the errno of a failure in *error.
absl::StatusOr<ScopedFd> CreateUniqueFile(const std::string& prefix, std::string* path,
                                          int* error) {
  // The process id keeps processes apart, the counter threads of one process; a
  // name taken anyway (a file left by a process of the same id) moves on.
  static std::atomic<uint64_t> counter{0};
  for (int attempt = 0;; ++attempt) {
    *path = absl::StrCat(prefix, ".", ::getpid(), ".", counter.fetch_add(1));
    const int fd = OpenRetrying(*path, O_WRONLY | O_CREAT | O_EXCL, 0666);
    if (fd >= 0) return ScopedFd(fd);
    if (errno != EEXIST || attempt == 100) {
      *error = errno;
      return ErrnoStatus("create", *path, *error);
    }
  }
}

// Whether a symbolic link may be followed, by the rule Linux applies with
// fs.protected_symlinks: in a sticky folder anyone may write to (/tmp), only a
// link of the follower's own or of the folder's owner. Following the links by
// hand (readlink, realpath) bypasses the kernel's check, so it is made here: a
// link another user planted in /tmp would otherwise have root's output created or
// replaced wherever it points. EACCES otherwise, as the kernel says.
bool MayFollow(const std::string& link, const struct stat& link_st, int* error) {
  const size_t slash = link.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : link.substr(0, slash + 1);
  struct stat dir_st;
  if (::stat(dir.c_str(), &dir_st) != 0) {
    *error = errno;
    return false;
  }
  const bool shared = (dir_st.st_mode & S_ISVTX) != 0 && (dir_st.st_mode & S_IWOTH) != 0;
  if (shared && link_st.st_uid != ::geteuid() && link_st.st_uid != dir_st.st_uid) {
    *error = EACCES;
    return false;
  }
  return true;
}

// Where `path` leads through the symbolic links it is and points to (each relative
// one taken from the folder of the link that holds it), to a file that is not a
// link or to nothing yet: `path` itself when it is no link. False, with *error, when
// a link cannot be read or may not be followed (MayFollow), or there are more than
// 40 of them (ELOOP, as the kernel counts).
bool FollowLinks(const std::string& path, std::string* destination, int* error) {
  *destination = path;
  for (int links = 0;; ++links) {
    struct stat st;
    if (::lstat(destination->c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) return true;
    if (links == 40) {
      *error = ELOOP;
      return false;
    }
    if (!MayFollow(*destination, st, error)) return false;
    std::vector<char> target(static_cast<size_t>(st.st_size > 0 ? st.st_size : 255) + 1);
    const ssize_t n = ::readlink(destination->c_str(), target.data(), target.size());
    if (n < 0) {
      *error = errno;
      return false;
    }
    if (static_cast<size_t>(n) == target.size()) {  // grew since the lstat
      *error = ENAMETOOLONG;
      return false;
    }
    std::string next(target.data(), static_cast<size_t>(n));
    if (next.empty() || next[0] != '/') {
      const size_t slash = destination->rfind('/');
      if (slash != std::string::npos) next = destination->substr(0, slash + 1) + next;
    }
    *destination = std::move(next);
  }
}

}  // namespace

absl::StatusOr<ScopedFd> CreateUniqueFile(const std::string& prefix, std::string* path) {
  int error;
  return CreateUniqueFile(prefix, path, &error);
}

absl::StatusOr<ScopedFd> CreateReplacementFile(const std::string& path,
                                               std::string* destination,
                                               std::string* temp, int* error) {
  int ignored;
  if (error == nullptr) error = &ignored;
  *error = 0;
  *destination = path;
  struct stat st;
  const bool exists = ::stat(path.c_str(), &st) == 0;  // through symbolic links
  if (exists && S_ISDIR(st.st_mode)) {
    *error = EISDIR;
    return ErrnoStatus("replace", path, EISDIR);
  }
  if (exists && !S_ISREG(st.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat(path, ": not a regular file"));
  }
  // The file is replaced where the links lead (a link to it stays a link), also a
  // file not there yet (a new result in a folder the link points into: a shell's
  // `>` would create it there); replaced, the link would become a file of its own.
  // Only the last part of the path is followed here: links among its folders are
  // the kernel's to follow, under its own rules, when the temporary is made and
  // renamed.
  if (!FollowLinks(path, destination, error)) {
    return ErrnoStatus("follow the link", path, *error);
  }
  absl::StatusOr<ScopedFd> fd = CreateUniqueFile(*destination, temp, error);
  if (!fd.ok()) return fd.status();
  if (exists && ::fchmod(fd->get(), st.st_mode & 07777) != 0) {
    *error = errno;
    const absl::Status status = ErrnoStatus("fchmod", *temp, *error);
    ::unlink(temp->c_str());
    return status;
  }
  return fd;
}

absl::Status WriteAll(int fd, absl::string_view data, absl::string_view path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("write", path, errno);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

absl::Status SyncFd(int fd, absl::string_view path, bool data_only) {
  int rc;
  do {
    rc = data_only ? ::fdatasync(fd) : ::fsync(fd);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) return ErrnoStatus(data_only ? "fdatasync" : "fsync", path, errno);
  return absl::OkStatus();
}

absl::Status SyncDirectory(const std::string& dir) {
  GG_ASSIGN_OR_RETURN(ScopedFd fd, OpenFile(dir, O_RDONLY | O_DIRECTORY));
  return SyncFd(fd.get(), dir, /*data_only=*/false);
}

absl::StatusOr<std::vector<std::string>> CreateDirectories(const std::string& path,
                                                           bool sync) {
  namespace fs = std::filesystem;
  fs::path target = fs::path(path).lexically_normal();
  if (!target.has_filename()) target = target.parent_path();  // "a/b/" -> "a/b"
  // The missing ones, innermost first: what create_directories will make.
  std::vector<fs::path> missing;
  std::error_code error;
  for (fs::path p = target; !p.empty(); p = p.parent_path()) {
    const fs::file_status st = fs::status(p, error);
    if (st.type() != fs::file_type::not_found) break;  // there (or not knowable)
    missing.push_back(p);
    if (p == p.parent_path()) break;
  }
  fs::create_directories(target, error);
  if (error) return ErrnoStatus("create_directories", path, error.value());
  std::vector<std::string> created;
  for (const fs::path& dir : missing) {
    // Made by this call, or by another process meanwhile: synced all the same.
    if (!fs::is_directory(dir, error)) continue;
    created.push_back(dir.string());
    if (sync) {
      const std::string parent = dir.parent_path().string();
      GG_RETURN_IF_ERROR(SyncDirectory(parent.empty() ? "." : parent));
    }
  }
  return created;
}

absl::StatusOr<size_t> ReadAt(int fd, char* buffer, size_t size, uint64_t offset,
                              absl::string_view path) {
  size_t done = 0;
  while (done < size) {
    ssize_t n =
        ::pread(fd, buffer + done, size - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("pread", path, errno);
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  return done;
}

absl::Status WriteFileAtomically(const std::string& dir, const std::string& name,
                                 absl::string_view header, absl::string_view payload,
                                 bool sync) {
  const std::string final_path = absl::StrCat(dir, "/", name);
  const std::string temp_path = absl::StrCat(final_path, ".tmp");
  absl::Status status = [&]() -> absl::Status {
    GG_ASSIGN_OR_RETURN(ScopedFd fd,
                        OpenFile(temp_path, O_WRONLY | O_CREAT | O_TRUNC, 0644));
    GG_RETURN_IF_ERROR(WriteAll(fd.get(), header, temp_path));
    GG_RETURN_IF_ERROR(WriteAll(fd.get(), payload, temp_path));
    if (sync) GG_RETURN_IF_ERROR(SyncFd(fd.get(), temp_path, /*data_only=*/false));
    if (::close(fd.release()) != 0) return ErrnoStatus("close", temp_path, errno);
    if (::rename(temp_path.c_str(), final_path.c_str()) != 0) {
      return ErrnoStatus("rename", temp_path, errno);
    }
    return absl::OkStatus();
  }();
  if (!status.ok()) {
    ::unlink(temp_path.c_str());
    return status;
  }
  if (sync) GG_RETURN_IF_ERROR(SyncDirectory(dir));
  return absl::OkStatus();
}

}  // namespace groupguard::internal
