#include "common.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <memory>
#include <new>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "io/record_parser.h"
#include "model/model_file.h"
#include "output_file.h"
#include "util/printable.h"

namespace groupguard::cli {

void PrintError(absl::string_view message) {
  // Escaped whole: a message may name a path, a value typed or a field of a file
  // (from a library status as well as from here), raw. A message-less error is
  // one made when memory ran out (there was none for its message), and so is a
  // message this cannot print for want of memory: said without allocating (a
  // std::bad_alloc out of the handler that prints it would end the process).
  static constexpr absl::string_view kOutOfMemory = "groupguard: out of memory\n";
  if (!message.empty()) {
    try {
      std::string line =
          absl::StrCat("groupguard: ", internal::PrintableLine(message), "\n");
      std::cerr << line << std::flush;
      return;
    } catch (const std::bad_alloc&) {
    }
  }
  std::cerr.write(kOutOfMemory.data(), static_cast<std::streamsize>(kOutOfMemory.size()));
  std::cerr.flush();
}

int UsageErrorOf(absl::string_view command, absl::string_view what) {
  PrintError(absl::StrCat(what, " (groupguard ", command, command.empty() ? "" : " ",
                          "--help)"));
  return kExitUsageError;
}

absl::Status WriteStdout(absl::string_view text) {
  return WriteAll(STDOUT_FILENO, text, "standard output");
}

void ExitWith(int code) {
  if (code != 0) throw CLI::RuntimeError(code);
}

void AddInputFlags(CLI::App* command, InputFlags* flags) {
  AddChoiceOption(command, "--input-format", &flags->format,
                  {"auto", "jsonl", "csv", "tsv"},
                  "Input format: auto (from the file extension: .csv, .tsv, otherwise "
                  "JSON Lines; stdin is JSON Lines), jsonl, csv or tsv")
      ->capture_default_str();
  command
      ->add_option("--text-field", flags->text_field,
                   "Key (JSON Lines) or column (CSV/TSV) holding the post text")
      ->capture_default_str();
  flags->id_option = command
                         ->add_option("--id-field", flags->id_field,
                                      "Key or column holding the post id (a column named "
                                      "here must be in a CSV/TSV header)")
                         ->capture_default_str();
  flags->label_option =
      command
          ->add_option("--label-field", flags->label_field,
                       "Key or column holding the label: spam/ham, 1/0, true/false or "
                       "t/f (a column named here must be in a CSV/TSV header)")
          ->capture_default_str();
  command->add_option("--null", flags->null_value,
                      "CSV/TSV: an unquoted field spelled so is null (absent), in any "
                      "column, as SQL's NULL: \\N (MySQL's INTO OUTFILE, mysqldump "
                      "--tab), NULL; a quoted one never is (default: none)");
  AddIntegerOption(command, "--max-record-mib", &flags->max_record_mib, 1, 1024,
                   "A record longer than this many MiB is malformed")
      ->capture_default_str();
  command->add_flag("--skip-bad", flags->skip_bad,
                    "Skip malformed records (counted and reported at the end) instead "
                    "of stopping at the first one");
}

void AddPostContextFlags(CLI::App* command, InputFlags* flags) {
  const auto add = [command](const char* name, std::string* value, const char* what) {
    return command
        ->add_option(name, *value,
                     absl::StrCat("Key or column holding ", what,
                                  " (a column named here must be in a CSV/TSV header)"))
        ->capture_default_str();
  };
  flags->author_field = "author";
  flags->group_field = "group";
  flags->time_field = "time";
  flags->author_option = add("--author-field", &flags->author_field, "the post's author");
  flags->group_option =
      add("--group-field", &flags->group_field, "the group (channel, forum) posted to");
  flags->time_option = add("--time-field", &flags->time_field, "the time of the post");
}

absl::StatusOr<PostReaderOptions> ReaderOptionsFor(const InputFlags& flags,
                                                   absl::string_view path) {
  PostReaderOptions options;
  std::string format = absl::AsciiStrToLower(flags.format);
  if (format == "auto") {
    std::string lower = absl::AsciiStrToLower(path);
    format = absl::EndsWith(lower, ".csv")   ? "csv"
             : absl::EndsWith(lower, ".tsv") ? "tsv"
                                             : "jsonl";
  }
  if (format == "jsonl") {
    options.format = DumpFormat::kJsonLines;
  } else if (format == "csv") {
    options.format = DumpFormat::kCsv;
  } else if (format == "tsv") {
    options.format = DumpFormat::kTsv;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown --input-format ", flags.format));
  }
  options.text_field = flags.text_field;
  options.id_field = flags.id_field;
  options.label_field = flags.label_field;
  options.author_field = flags.author_field;
  options.group_field = flags.group_field;
  options.time_field = flags.time_field;
  // A column the user named must exist: a typo would otherwise read as a dump whose
  // every id is null, every post unlabeled or untimed. A default may be missing.
  const auto given = [](const CLI::Option* option) {
    return option != nullptr && option->count() > 0;
  };
  options.required_columns.id = given(flags.id_option);
  options.required_columns.label = given(flags.label_option);
  options.required_columns.author = given(flags.author_option);
  options.required_columns.group = given(flags.group_option);
  options.required_columns.time = given(flags.time_option);
  options.max_record_bytes = flags.max_record_mib << 20;
  options.null_value = flags.null_value;
  // Checked here too (the reader refuses it as well) so that it is a usage error.
  if (const auto fault = internal::NullValueFault(options.format, options.null_value)) {
    return absl::InvalidArgumentError(absl::StrCat("--null ", flags.null_value, " holds ",
                                                   *fault, ": no ", format,
                                                   " field can be spelled so"));
  }
  return options;
}

CLI::Validator FileName() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        return value.empty() ? "an empty value is not a file name" : "";
      },
      "");
}

void AddModelFlag(CLI::App* command, std::string* model_path) {
  command
      ->add_option("-m,--model", *model_path,
                   "Model file (\"-\" = stdin, when the posts or text come from "
                   "elsewhere; default: the "
                   "default model built into groupguard)")
      ->check(FileName());
}

namespace {

// `--model -` / `inspect -`: reads a model file from standard input (read(2), so a
// read error is one, not an end) and loads it.
absl::StatusOr<std::unique_ptr<Classifier>> LoadModelFromStdin() {
  if (isatty(STDIN_FILENO)) {
    // It would wait for a model typed in: a mistake, not a use.
    return absl::InvalidArgumentError(
        "model -: standard input is a terminal; pipe or redirect a model file into it");
  }
  // As Classifier::Load reads a file: the header, then at most the payload it
  // announces (3 GB of zeros is turned down after 28 bytes, not read into memory).
  absl::StatusOr<std::string> bytes = internal::ReadModelFileBytes(
      [](char* buffer, size_t size) -> absl::StatusOr<size_t> {
        for (;;) {
          const ssize_t n = read(STDIN_FILENO, buffer, size);
          if (n >= 0) return static_cast<size_t>(n);
          if (errno != EINTR) {
            return absl::UnavailableError(absl::StrCat(
                "cannot load model <stdin>: cannot read: ", strerror(errno)));
          }
        }
      });
  if (!bytes.ok()) return bytes.status();
  auto model = Classifier::FromBytes(*bytes);
  if (!model.ok()) {
    return absl::Status(model.status().code(), absl::StrCat("cannot load model <stdin>: ",
                                                            model.status().message()));
  }
  return model;
}

}  // namespace

absl::Status CheckModelStdin(const std::string& model_path, bool stdin_taken,
                             absl::string_view what) {
  if (model_path != "-" || !stdin_taken) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("--model -: standard input carries ",
                                                 what, "; give the model or ", what,
                                                 " a file name"));
}

namespace {

// Whether `a` and `b`, their symbolic links resolved, name one entry of one
// directory; true when either cannot be resolved.
bool IsSameEntry(const std::string& a, const std::string& b) {
  struct Entry {
    bool ok = false;
    dev_t dev = 0;
    ino_t ino = 0;
    std::string name;
  };
  const auto entry = [](const std::string& path) {
    Entry e;
    std::unique_ptr<char, void (*)(void*)> real(::realpath(path.c_str(), nullptr),
                                                &std::free);
    if (real == nullptr) return e;
    const std::string full = real.get();
    const size_t slash = full.find_last_of('/');
    if (slash == std::string::npos) return e;
    const std::string dir = slash == 0 ? "/" : full.substr(0, slash);
    struct stat st;
    if (::stat(dir.c_str(), &st) != 0) return e;
    e.ok = true;
    e.dev = st.st_dev;
    e.ino = st.st_ino;
    e.name = full.substr(slash + 1);
    return e;
  };
  const Entry x = entry(a), y = entry(b);
  return !x.ok || !y.ok || (x.dev == y.dev && x.ino == y.ino && x.name == y.name);
}

}  // namespace

absl::Status CheckOutputIsNotReport(absl::string_view flag, const std::string& output,
                                    absl::string_view report, absl::string_view kind) {
  if (output == "-") {
    return absl::InvalidArgumentError(absl::StrCat(
        flag, " -: standard output carries ", report, "; name ", kind));
  }
  // Only a regular file is spoiled: a device (/dev/null) or a FIFO is written in
  // place, as by the stream itself.
  struct stat st;
  if (StandardStreamAt(output) >= 0 && ::stat(output.c_str(), &st) == 0 &&
      S_ISREG(st.st_mode)) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, " ", output,
                     ": that is where standard output or standard error goes, which "
                     "carry ",
                     report, "; name ", kind));
  }
  return absl::OkStatus();
}

absl::Status CheckOutputIsNotInput(absl::string_view flag, const std::string& output,
                                   absl::string_view what, const std::string& input) {
  if (output.empty() || output == "-" || input.empty()) return absl::OkStatus();
  struct stat out_st, in_st;
  // Only a regular file is replaced: a FIFO or a device is written in place.
  if (::stat(output.c_str(), &out_st) != 0 || !S_ISREG(out_st.st_mode)) {
    return absl::OkStatus();
  }
  const int in =
      input == "-" ? fstat(STDIN_FILENO, &in_st) : ::stat(input.c_str(), &in_st);
  if (in != 0 || in_st.st_dev != out_st.st_dev || in_st.st_ino != out_st.st_ino) {
    return absl::OkStatus();
  }
  // Another name (a hard link) of the input's file: the output is renamed over that
  // name, where its symbolic links lead, and the input's own name keeps the file.
  // Refused only when both lead to one entry of one directory (or either cannot be
  // told).
  if (out_st.st_nlink > 1) {
    std::string in_name;
    if (input == "-") {
      char buf[PATH_MAX];
      const ssize_t n = ::readlink("/proc/self/fd/0", buf, sizeof(buf));
      if (n > 0 && static_cast<size_t>(n) < sizeof(buf)) in_name.assign(buf, n);
    } else {
      in_name = input;
    }
    if (!in_name.empty() && !IsSameEntry(output, in_name)) return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat(
      flag, " ", output, ": that is ",
      input == "-" ? absl::StrCat("the file standard input reads the ", what, " from")
                   : absl::StrCat("the ", what, " file ", input),
      ", which the output would replace; name another file"));
}

std::string BaseName(const std::string& path) {
  if (path == "-") return "<stdin>";
  size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

absl::StatusOr<std::unique_ptr<Classifier>> LoadModel(const std::string& path) {
  if (path.empty()) {
    absl::string_view bytes = DefaultModelBytes();
    if (bytes.empty()) {
      return absl::FailedPreconditionError(
          "this groupguard was built without a default model; pass --model FILE");
    }
    auto model = Classifier::FromBytes(bytes);
    if (!model.ok()) {
      return absl::Status(model.status().code(),
                          absl::StrCat("cannot load the built-in default model: ",
                                       model.status().message()));
    }
    return model;
  }
  if (path == "-") return LoadModelFromStdin();
  auto model = Classifier::Load(path);
  if (!model.ok()) {
    std::string message(model.status().message());
    if (!absl::StrContains(message, path)) message = absl::StrCat(path, ": ", message);
    return absl::Status(model.status().code(),
                        absl::StrCat("cannot load model ", message));
  }
  return model;
}

void BadRecords::Add(absl::string_view message) {
  ++count_;
  if (first_.size() < kKept) first_.emplace_back(message);
}

void BadRecords::Merge(int64_t count, const std::vector<std::string>& messages) {
  count_ += count;
  for (const std::string& m : messages) {
    if (first_.size() >= kKept) break;
    first_.push_back(m);
  }
}

void BadRecords::Report() const {
  if (count_ == 0) return;
  PrintError(absl::StrCat("skipped ", count_, " malformed record", count_ == 1 ? "" : "s",
                          "; the first: ", absl::StrJoin(first_, "; ")));
}

int HardwareThreads() {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

}  // namespace groupguard::cli
