#ifndef GROUPGUARD_TOOLS_GROUPGUARD_USAGE_ERRORS_H_
#define GROUPGUARD_TOOLS_GROUPGUARD_USAGE_ERRORS_H_

#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/string_view.h"

namespace groupguard::cli {

// What is wrong with a command line CLI11 refused, in the command's own words and
// naming the option or argument and what it takes, for main() to print as every
// usage error ("groupguard: <this> (groupguard score --help)"). `command` is the
// command whose arguments were being read ("score", "journal check"; the program
// itself before any), `name` its name as typed after "groupguard" ("journal check"),
// `operands` the words after the command's "--" (none without one), which are not
// options however they look.
//   --clues: At Most 1 required but received 2
//       -> --clues is given twice; it takes one value
//   --clues: 1 required INT in [0 - 1000] missing
//       -> --clues needs a value: INT in [0 - 1000]
//   --char-ngrams: At least 2 required but received 1
//       -> --char-ngrams takes 2 values, each INT in [0 - 8]; given 1: 5
//   The following argument was not expected: b
//       -> unexpected argument "b": inspect takes one model_file
//   The following argument was not expected: --treads
//       -> unknown option "--treads"
//   dir is required -> the dir argument is required
//   --model-type excludes --select -> --model-type cannot be used with --select
//   Could not convert: --json = x -> --json takes no value, not x
// Any other error keeps CLI11's message, begun in lower case. The words the user
// typed are made safe for a terminal (internal::Printable).
std::string UsageErrorMessage(const CLI::ParseError& error, CLI::App& command,
                              absl::string_view name,
                              const std::vector<std::string>& operands);

// "unknown option "--treads"": `arg` as typed, made safe for a terminal.
std::string UnknownOptionMessage(absl::string_view arg);

// Whether a command-line word is an option ("--threads", "-t", "--threads=2"), not
// a value, a file ("-" is standard input), "--" or a negative number.
bool LooksLikeOption(absl::string_view arg);

// A validator for an option of a few named values ("--format jsonl"), in place of
// CLI::IsMember, whose error read "--format: xml not in {jsonl,csv}": refused as
// "--format: xml is not jsonl or csv". Its description is empty: the option's type
// name shows the values (AddChoiceOption).
CLI::Validator OneOf(std::vector<std::string> values);

// Adds the option `names` holding `*value`, one of `values` (OneOf). Its help shows
// "TEXT in {jsonl,csv}", as a number option's shows "INT in [0 - 1000]" (IsMember
// showed "TEXT:{jsonl,csv}"), and so does its error when the value is missing
// ("--format needs a value: TEXT in {jsonl,csv}"). Returns the option.
CLI::Option* AddChoiceOption(CLI::App* command, const std::string& names,
                             std::string* value, std::vector<std::string> values,
                             const std::string& description);

}  // namespace groupguard::cli

#endif  // GROUPGUARD_TOOLS_GROUPGUARD_USAGE_ERRORS_H_
