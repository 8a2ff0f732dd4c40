#include "output_file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <memory>

#include "absl/strings/str_cat.h"
#include "util/file_util.h"

namespace groupguard::cli {
namespace {

// Temporary files not yet renamed or removed, for the handler of a fatal signal
// (SIGINT, SIGTERM, SIGHUP): it removes them, then dies of the signal as it
// would have. Fixed slots, so the handler only reads memory and calls unlink().
constexpr int kTempSlots = 8;
char temp_paths[kTempSlots][PATH_MAX];
std::atomic<bool> temp_used[kTempSlots];  // slot claimed (by Register)
std::atomic<bool> temp_live[kTempSlots];  // its path is to be removed on a signal

void RemoveTempsAndDie(int sig) {
  const int saved_errno = errno;
  for (int i = 0; i < kTempSlots; ++i) {
    if (temp_live[i].load(std::memory_order_acquire)) unlink(temp_paths[i]);
  }
  errno = saved_errno;
  // SA_RESETHAND restored the default action: die of the signal.
  raise(sig);
}

void InstallSignalHandlers() {
  static const bool installed = [] {
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) {
      struct sigaction old;
      if (sigaction(sig, nullptr, &old) != 0 || old.sa_handler != SIG_DFL) continue;
      struct sigaction sa;
      std::memset(&sa, 0, sizeof sa);
      sa.sa_handler = RemoveTempsAndDie;
      sigemptyset(&sa.sa_mask);
      sa.sa_flags = SA_RESETHAND;
      sigaction(sig, &sa, nullptr);
    }
    return true;
  }();
  (void)installed;
}

// Returns the slot now guarding `path`, or -1 (no free slot, path too long).
int RegisterTemp(const std::string& path) {
  if (path.empty() || path.size() >= PATH_MAX) return -1;
  for (int i = 0; i < kTempSlots; ++i) {
    bool expected = false;
    if (temp_used[i].compare_exchange_strong(expected, true)) {
      std::memcpy(temp_paths[i], path.c_str(), path.size() + 1);
      temp_live[i].store(true, std::memory_order_release);
      return i;
    }
  }
  return -1;
}

void UnregisterTemp(int slot) {
  if (slot < 0) return;
  temp_live[slot].store(false, std::memory_order_release);
  temp_used[slot].store(false, std::memory_order_release);
}

// Removes an uncommitted temporary file (none: "") and its slot.
void RemoveTemp(const std::string& path, int slot) {
  if (!path.empty()) unlink(path.c_str());
  UnregisterTemp(slot);
}

// What "cannot write PATH: " goes on with when CreateReplacementFile fails: the
// reason alone (its status names the file the failed call was on, such as the
// temporary beside PATH, and the call).
std::string ReplacementError(const absl::Status& status, int error) {
  if (status.code() == absl::StatusCode::kFailedPrecondition) return "not a regular file";
  if (error != 0) return std::strerror(error);
  return std::string(status.message());
}

}  // namespace

int StandardStreamAt(const std::string& path) {
  struct stat st;
  if (path.empty() || ::stat(path.c_str(), &st) != 0) return -1;
  for (int stream : {STDOUT_FILENO, STDERR_FILENO}) {
    struct stat stream_st;
    if (fstat(stream, &stream_st) == 0 && stream_st.st_dev == st.st_dev &&
        stream_st.st_ino == st.st_ino) {
      return stream;
    }
  }
  return -1;
}

absl::Status CheckReplaceable(const std::string& path) {
  std::string target, temp;
  int error = 0;
  absl::StatusOr<internal::ScopedFd> fd =
      internal::CreateReplacementFile(path, &target, &temp, &error);
  if (!fd.ok()) {
    return absl::Status(
        fd.status().code(),
        absl::StrCat("cannot write ", path, ": ", ReplacementError(fd.status(), error)));
  }
  close(fd->release());
  unlink(temp.c_str());
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<OutputFile>> OutputFile::Open(const std::string& path) {
  if (path.empty() || path == "-") {
    return std::unique_ptr<OutputFile>(new OutputFile(STDOUT_FILENO, "", "", ""));
  }
  const auto cannot = [&path](absl::string_view why) {
    return absl::UnavailableError(absl::StrCat("cannot write ", path, ": ", why));
  };
  struct stat st;
  const bool exists = ::stat(path.c_str(), &st) == 0;  // through symbolic links
  if (exists && S_ISDIR(st.st_mode)) return cannot(std::strerror(EISDIR));
  if (exists && !S_ISREG(st.st_mode)) {
    // A FIFO, a device, a socket: written in place, as standard output is (a file
    // renamed over it would replace it).
    int fd;
    do {
      fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) return cannot(std::strerror(errno));
    return std::unique_ptr<OutputFile>(new OutputFile(fd, path, "", ""));
  }
  if (const int stream = StandardStreamAt(path); stream >= 0) {
    // The file standard output or standard error writes to (-o /dev/stdout with
    // it redirected to a file): written in place through that stream, at its
    // offset (or appending, after >>). A file renamed over it would replace the
    // file the shell has open, and what it wrote there before and after is lost.
    const int fd = fcntl(stream, F_DUPFD_CLOEXEC, 0);
    if (fd < 0) return cannot(std::strerror(errno));
    return std::unique_ptr<OutputFile>(new OutputFile(fd, path, "", ""));
  }
  // A new file next to the output, renamed over it by Commit(): an existing file is
  // replaced where it really is (a symbolic link to it stays one) and keeps its
  // mode; a new one gets 0666 less the umask, as a plain create.
  // The fatal signals wait while the temporary is created and registered, so none
  // can come between the two and leave it behind.
  InstallSignalHandlers();
  sigset_t fatal, previous;
  sigemptyset(&fatal);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&fatal, sig);
  pthread_sigmask(SIG_BLOCK, &fatal, &previous);
  std::string target, temp;
  int error = 0;
  absl::StatusOr<internal::ScopedFd> fd =
      internal::CreateReplacementFile(path, &target, &temp, &error);
  std::unique_ptr<OutputFile> out;
  if (fd.ok()) {
    out.reset(new OutputFile(fd->release(), path, target, temp));
    out->temp_slot_ = RegisterTemp(out->temp_path_);
  }
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  if (!fd.ok()) return cannot(ReplacementError(fd.status(), error));
  return out;
}

OutputFile::~OutputFile() {
  if (!finished_) Abort();
}

absl::Status WriteAll(int fd, absl::string_view data, absl::string_view name) {
  while (!data.empty()) {
    const ssize_t n = write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return absl::UnavailableError(
          absl::StrCat("cannot write ", name, ": ", std::strerror(errno)));
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

absl::Status OutputFile::Write(absl::string_view data) {
  return WriteAll(fd_, data, is_stdout() ? "standard output" : path_);
}

absl::Status OutputFile::Commit() {
  finished_ = true;
  if (is_stdout()) return absl::OkStatus();
  if (close(fd_) != 0) {
    const int err = errno;
    RemoveTemp(temp_path_, temp_slot_);
    return absl::UnavailableError(
        absl::StrCat("cannot write ", path_, ": ", std::strerror(err)));
  }
  if (temp_path_.empty()) return absl::OkStatus();  // written in place
  if (std::rename(temp_path_.c_str(), target_path_.c_str()) != 0) {
    int err = errno;
    RemoveTemp(temp_path_, temp_slot_);
    return absl::UnavailableError(
        absl::StrCat("cannot write ", path_, ": ", std::strerror(err)));
  }
  UnregisterTemp(temp_slot_);
  return absl::OkStatus();
}

void OutputFile::Abort() {
  if (finished_ && is_stdout()) return;
  finished_ = true;
  if (is_stdout()) return;
  close(fd_);
  RemoveTemp(temp_path_, temp_slot_);
}

}  // namespace groupguard::cli
