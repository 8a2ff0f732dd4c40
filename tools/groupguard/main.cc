// The groupguard command. Each subcommand is registered from its own file.
#include <algorithm>
#include <cstring>
#include <exception>
#include <iostream>
#include <new>
#include <sstream>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "commands.h"
#include "common.h"
#include "groupguard/version.h"
#include "usage_errors.h"
#include "util/printable.h"
#ifdef GROUPGUARD_HAVE_REPLAY
#include "replay.h"
#endif

namespace {

// "groupguard: <what> (groupguard score --help)": a usage error, naming the help of
// the command `prefix` ("" or "score ") names. Exit 2.
int UsageError(absl::string_view what, absl::string_view prefix) {
  return groupguard::cli::UsageErrorOf(absl::StripSuffix(prefix, " "), what);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace groupguard::cli;
  CLI::App app(
      "groupguard: train, score, evaluate and explain spam classifiers for group "
      "posts.\nExit codes: 0 ok, 1 runtime error, 2 usage error.",
      "groupguard");
  app.set_version_flag("--version", std::string(groupguard::Version()));
  app.require_subcommand(1);
  app.fallthrough(false);
  AddTrainCommand(app);
  AddScoreCommand(app);
  AddEvalCommand(app);
  AddExplainCommand(app);
  AddInspectCommand(app);
  AddJournalCommand(app);
#ifdef GROUPGUARD_HAVE_REPLAY
  AddReplayCommand(app);
#endif
  // CLI11 says "A subcommand is required" both for no command and for one it does
  // not know ("groupguard scor x", "groupguard journal chek"); name the word and the
  // commands instead, at each level (journal has commands of its own).
  //
  // "--" before the command ends groupguard's own options (--help, --version), as it
  // ends a command's: the word after it is the command even if it looks like an
  // option ("groupguard -- score x" runs score, which reads its options as ever;
  // "groupguard --" has no command, "groupguard -- --help" an unknown one). CLI11
  // would take the words after it for the top level's arguments, of which there are
  // none, so the "--" is dropped before CLI11 reads the rest.
  std::vector<char*> args(argv, argv + argc);
  CLI::App* parent = &app;
  std::string prefix;  // "" or "journal "
  bool options_ended = false;
  int command_end = 1;  // where the words after the command begin, in args
  for (int at = 1; !parent->get_subcommands({}).empty(); ++at) {
    if (!options_ended && at < static_cast<int>(args.size()) &&
        absl::string_view(args[at]) == "--") {
      args.erase(args.begin() + at);
      options_ended = true;
    }
    const int count = static_cast<int>(args.size());
    std::vector<std::string> commands;
    CLI::App* found = nullptr;
    for (CLI::App* sub : parent->get_subcommands({})) {
      commands.push_back(sub->get_name());
      if (at < count && sub->check_name(args[at])) found = sub;
    }
    if (!options_ended && at < count && LooksLikeOption(args[at])) {
      // An option of this level (--help, --version) is CLI11's to read. Any other
      // would be taken for the missing command ("a subcommand is required"), since
      // CLI11 checks for the command before it looks at the words it did not know.
      const absl::string_view arg = args[at];
      if (parent->get_option_no_throw(std::string(arg.substr(0, arg.find('=')))) ==
          nullptr) {
        return UsageError(UnknownOptionMessage(arg), prefix);
      }
      break;
    }
    if (found == nullptr) {
      PrintError(absl::StrCat(
          at >= count ? absl::StrCat("a ", prefix, "command is required")
                      : absl::StrCat("unknown ", prefix, "command \"",
                                     groupguard::internal::Printable(args[at]), "\""),
          "; the ", prefix, "commands are ", absl::StrJoin(commands, ", "),
          " (groupguard ", prefix, "COMMAND --help)"));
      return kExitUsageError;
    }
    absl::StrAppend(&prefix, found->get_name(), " ");
    command_end = at + 1;
    parent = found;
  }
  try {
    app.parse(static_cast<int>(args.size()), args.data());
  } catch (const CLI::RuntimeError& e) {
    return e.get_exit_code();
  } catch (const CLI::ParseError& e) {
    // --help and --version: CLI11 formats them; written as any output is, so that
    // a failed write is an error (`--help > /dev/full`), not exit 0.
    if (e.get_exit_code() == 0) {
      std::ostringstream text;
      if (app.exit(e, text, std::cerr) != 0) return kExitUsageError;
      const absl::Status written = WriteStdout(text.str());
      if (!written.ok()) {
        PrintError(written.message());
        return kExitRuntimeError;
      }
      return kExitOk;
    }
    // A usage error (an unknown option, a missing or bad value, a word too many) is
    // one line, as every other error: "groupguard: ", what is wrong in the command's
    // words (UsageErrorMessage), and the command's help.
    const std::string name =
        prefix.empty() ? "groupguard" : prefix.substr(0, prefix.size() - 1);
    std::vector<std::string> operands;  // the words after the command's "--"
    const auto dashes =
        std::find_if(args.begin() + command_end, args.end(),
                     [](const char* a) { return std::strcmp(a, "--") == 0; });
    if (dashes != args.end()) operands.assign(dashes + 1, args.end());
    return UsageError(UsageErrorMessage(e, *parent, name, operands), prefix);
  } catch (const std::bad_alloc&) {
    PrintError("out of memory");
    return kExitRuntimeError;
  } catch (const std::exception& e) {
    PrintError(e.what());
    return kExitRuntimeError;
  }
  return kExitOk;
}
