#ifndef GROUPGUARD_TOOLS_GROUPGUARD_COMMON_H_
#define GROUPGUARD_TOOLS_GROUPGUARD_COMMON_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "groupguard/classifier.h"
#include "groupguard/post_reader.h"
#include "number_options.h"
#include "usage_errors.h"

namespace groupguard::cli {

// Exit codes of every subcommand.
inline constexpr int kExitOk = 0;
inline constexpr int kExitRuntimeError = 1;
inline constexpr int kExitUsageError = 2;

// Prints "groupguard: <message>" on stderr, one line: the message through
// internal::PrintableLine, so that a path, a typed value or a field of a file in it
// shows control characters, bidi controls and invalid UTF-8 escaped (\x1b, \u202e).
void PrintError(absl::string_view message);
// A usage error found after the command line parsed (a file that is also the input,
// two flags that do not go together): "groupguard: <what> (groupguard COMMAND
// --help)", as main() prints the parser's ("" for the program itself: "(groupguard
// --help)"). Returns kExitUsageError.
int UsageErrorOf(absl::string_view command, absl::string_view what);

// The file name of `path` without its folders ("<stdin>" for "-"): what train
// records as a model's data sources.
std::string BaseName(const std::string& path);

// Writes all of `text` to standard output (retried on EINTR and short writes).
// kUnavailable "cannot write standard output: <reason>" if it fails (a full disk, a
// closed pipe), so a command never reports success for output that went nowhere.
absl::Status WriteStdout(absl::string_view text);

// Throws CLI::RuntimeError(code) unless code is 0: how a subcommand callback ends.
void ExitWith(int code);

// How dumps are read; shared by train, score, eval and replay.
struct InputFlags {
  std::string format = "auto";  // auto (from the extension), jsonl, csv, tsv
  std::string text_field = "text";
  std::string id_field = "id";
  std::string label_field = "label";
  // replay only (AddPostContextFlags sets "author", "group" and "time"): empty, the
  // other commands do not read these fields at all.
  std::string author_field;
  std::string group_field;
  std::string time_field;
  std::string null_value;  // --null: CSV/TSV spelling of SQL's NULL ("" = none)
  size_t max_record_mib = 64;
  bool skip_bad = false;
  // The field options, to tell a name given on the command line (whose CSV/TSV
  // column must exist) from a default (whose column may be missing). Null when the
  // command has no such option.
  CLI::Option* id_option = nullptr;
  CLI::Option* label_option = nullptr;
  CLI::Option* author_option = nullptr;
  CLI::Option* group_option = nullptr;
  CLI::Option* time_option = nullptr;
};

// Adds --input-format, --text-field, --id-field, --label-field, --null,
// --max-record-mib and --skip-bad to `command`.
void AddInputFlags(CLI::App* command, InputFlags* flags);

// Adds --author-field, --group-field and --time-field to `command` (replay).
void AddPostContextFlags(CLI::App* command, InputFlags* flags);

// The reader options for `path` ("-" is stdin, read as JSON Lines unless --format
// says otherwise). A field named on the command line (--id-field, --label-field,
// --author-field, ...) is a required column (PostReaderOptions::required_columns):
// a CSV/TSV header without it is an error, as without the text column. Call after
// parsing. kInvalidArgument for an unknown --format.
absl::StatusOr<PostReaderOptions> ReaderOptionsFor(const InputFlags& flags,
                                                   absl::string_view path);

// Refuses an empty file or directory name (a usage error): `-o ""` or `-m "$MODEL"`
// with the variable unset would otherwise read as no such option, and write to
// standard output or score with the built-in model.
CLI::Validator FileName();

// Adds --model (default: the model built into this program).
void AddModelFlag(CLI::App* command, std::string* model_path);

// A usage error (kInvalidArgument) when the output file `output` (given with
// `flag`: train's "-o", eval's "--roc", replay's "--decisions") is "-" or the
// regular file standard output or standard error goes to (/dev/stdout redirected to
// a file; not a device or FIFO, written in place), which carry the command's `report` ("the training report",
// "the metrics", "the summary"): the two would spoil each other, and the output,
// renamed over that file, would drop what the shell wrote there. `kind` names
// what to give instead ("a model file"). OK for "".
absl::Status CheckOutputIsNotReport(absl::string_view flag, const std::string& output,
                                    absl::string_view report, absl::string_view kind);

// A usage error (kInvalidArgument) when the output file `output` (given with
// `flag`: "-o", "--roc") is a regular file that is also the command's `what`
// ("input", "model") `input` ("-": standard input), through any symbolic link: the
// output, renamed over it, would replace it (score -o posts.jsonl posts.jsonl lost
// the posts). OK otherwise (a hard link of the input is renamed over alone), and
// for "" or "-" as `output` or "" as `input`.
absl::Status CheckOutputIsNotInput(absl::string_view flag, const std::string& output,
                                   absl::string_view what, const std::string& input);

// Loads the model at `path`, or the built-in default model when `path` is empty,
// or the model on standard input when `path` is "-" (kInvalidArgument, a usage
// error, when standard input is a terminal). The error message names the file
// ("<stdin>").
absl::StatusOr<std::unique_ptr<Classifier>> LoadModel(const std::string& path);

// A usage error (kInvalidArgument) when `model_path` is "-" and standard input also
// carries `what` (the posts, the text): one stream cannot hold both. OK otherwise.
absl::Status CheckModelStdin(const std::string& model_path, bool stdin_taken,
                             absl::string_view what);

// The bytes of the default model built into this program ("" if none was).
absl::string_view DefaultModelBytes();

// Malformed records met while reading with --skip-bad: counted, and the first few
// messages kept for the report.
class BadRecords {
 public:
  static constexpr int kKept = 5;
  void Add(absl::string_view message);
  // Adds the counts and messages of `other` (a later part of the input).
  void Merge(int64_t count, const std::vector<std::string>& messages);
  int64_t count() const { return count_; }
  // Prints "groupguard: skipped N malformed records; the first: ..." (nothing if 0).
  void Report() const;

 private:
  int64_t count_ = 0;
  std::vector<std::string> first_;
};

// Number of hardware threads (at least 1).
int HardwareThreads();

}  // namespace groupguard::cli

#endif  // GROUPGUARD_TOOLS_GROUPGUARD_COMMON_H_
