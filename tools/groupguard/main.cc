// The groupguard command. Each subcommand is registered from its own file.
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "commands.h"
#include "common.h"
#include "groupguard/version.h"
#include "util/printable.h"
#ifdef GROUPGUARD_HAVE_REPLAY
#include "replay.h"
#endif

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
  CLI::App* parent = &app;
  std::string prefix;  // "" or "journal "
  for (int at = 1; !parent->get_subcommands({}).empty(); ++at) {
    std::vector<std::string> commands;
    CLI::App* found = nullptr;
    for (CLI::App* sub : parent->get_subcommands({})) {
      commands.push_back(sub->get_name());
      if (at < argc && sub->check_name(argv[at])) found = sub;
    }
    if (at < argc && argv[at][0] == '-') break;  // an option: CLI11's to read
    if (found == nullptr) {
      PrintError(absl::StrCat(
          at >= argc ? absl::StrCat("a ", prefix, "command is required")
                     : absl::StrCat("unknown ", prefix, "command \"",
                                    groupguard::internal::Printable(argv[at]), "\""),
          "; the ", prefix, "commands are ", absl::StrJoin(commands, ", "),
          " (groupguard ", prefix, "COMMAND --help)"));
      return kExitUsageError;
    }
    absl::StrAppend(&prefix, found->get_name(), " ");
    parent = found;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::RuntimeError& e) {
    return e.get_exit_code();
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);  // prints help, version or the usage error
    return code == 0 ? kExitOk : kExitUsageError;
  } catch (const std::exception& e) {
    PrintError(e.what());
    return kExitRuntimeError;
  }
  return kExitOk;
}
