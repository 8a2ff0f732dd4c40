#ifndef GROUPGUARD_TOOLS_GROUPGUARD_OUTPUT_FILE_H_
#define GROUPGUARD_TOOLS_GROUPGUARD_OUTPUT_FILE_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace groupguard::cli {

// Writes all of `data` to `fd` (retrying EINTR and short writes); on failure
// kUnavailable "cannot write <name>: <reason>".
absl::Status WriteAll(int fd, absl::string_view data, absl::string_view name);

// STDOUT_FILENO or STDERR_FILENO if `path` names the file that standard output or
// standard error writes to (/dev/stdout, /proc/self/fd/2, a file they are
// redirected to), else -1.
int StandardStreamAt(const std::string& path);

// Whether a file can be written at `path` the way a model file is saved (a
// temporary file beside it, renamed over it): creates that temporary and removes
// it at once. For a check before long work (train) whose result is written by
// other code. "cannot write <path>: <reason>": the directory is missing or not
// writable, `path` is a directory or not a regular file (a FIFO, a device).
absl::Status CheckReplaceable(const std::string& path);

// Where a command writes its results: standard output, or a file that only appears
// (by rename from a temporary file beside it) when Commit() is called, so a failed
// run never leaves a partial file that looks whole. An existing file keeps its mode,
// and a symbolic link to it stays a link; a FIFO or a device is written in place,
// and so is the file standard output or standard error writes to (through it).
// SIGINT, SIGTERM or SIGHUP (when their action is the default one) remove the
// temporary files not yet committed or aborted before the process dies of them.
// Not thread-safe.
class OutputFile {
 public:
  // "" or "-" is standard output.
  static absl::StatusOr<std::unique_ptr<OutputFile>> Open(const std::string& path);
  ~OutputFile();  // aborts (removes the temporary file) unless committed

  bool is_stdout() const { return path_.empty(); }
  // Writes all of `data` (large writes, retried on EINTR / short writes).
  absl::Status Write(absl::string_view data);
  // Flushes and renames the temporary file into place.
  absl::Status Commit();
  // Removes the temporary file.
  void Abort();

 private:
  OutputFile(int fd, std::string path, std::string target_path, std::string temp_path)
      : fd_(fd),
        path_(std::move(path)),
        target_path_(std::move(target_path)),
        temp_path_(std::move(temp_path)) {}
  int fd_;
  std::string path_;         // as the user named it ("" for standard output)
  std::string target_path_;  // the file it names, symbolic links resolved
  std::string temp_path_;    // renamed to target_path_ by Commit(); "" when written
                             // in place (standard output, a FIFO, a device)
  bool finished_ = false;
  int temp_slot_ = -1;  // where a fatal signal's handler finds temp_path_ to remove
};

}  // namespace groupguard::cli

#endif  // GROUPGUARD_TOOLS_GROUPGUARD_OUTPUT_FILE_H_
