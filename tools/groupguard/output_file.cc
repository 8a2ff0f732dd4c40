#include "output_file.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"

namespace groupguard::cli {

absl::StatusOr<std::unique_ptr<OutputFile>> OutputFile::Open(const std::string& path) {
  if (path.empty() || path == "-") {
    return std::unique_ptr<OutputFile>(new OutputFile(STDOUT_FILENO, "", ""));
  }
  std::string temp = absl::StrCat(path, ".tmp.XXXXXX");
  std::vector<char> name(temp.begin(), temp.end());
  name.push_back('\0');
  int fd = mkstemp(name.data());
  if (fd < 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot write ", path, ": ", std::strerror(errno)));
  }
  fchmod(fd, 0644);
  return std::unique_ptr<OutputFile>(new OutputFile(fd, path, name.data()));
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
