#include "output_file.h"

#include <errno.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "util/file_util.h"

namespace groupguard::cli {

absl::StatusOr<std::unique_ptr<OutputFile>> OutputFile::Open(const std::string& path) {
  if (path.empty() || path == "-") {
    return std::unique_ptr<OutputFile>(new OutputFile(STDOUT_FILENO, "", ""));
  }
  // A new file next to the output (mode 0666 less the umask, as a plain create),
  // renamed over it by Commit().
  std::string temp;
  absl::StatusOr<internal::ScopedFd> fd = internal::CreateUniqueFile(path, &temp);
  if (!fd.ok()) {
    return absl::UnavailableError(
        absl::StrCat("cannot write ", path, ": ", fd.status().message()));
  }
  return std::unique_ptr<OutputFile>(new OutputFile(fd->release(), path, temp));
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
    unlink(temp_path_.c_str());
    return absl::UnavailableError(absl::StrCat("cannot write ", path_, ": ", std::strerror(errno)));
  }
  if (std::rename(temp_path_.c_str(), path_.c_str()) != 0) {
    int err = errno;
    unlink(temp_path_.c_str());
    return absl::UnavailableError(absl::StrCat("cannot write ", path_, ": ", std::strerror(err)));
  }
  return absl::OkStatus();
}

void OutputFile::Abort() {
  if (finished_ && is_stdout()) return;
  finished_ = true;
  if (is_stdout()) return;
  close(fd_);
  unlink(temp_path_.c_str());
}

}  // namespace groupguard::cli
