// The groupguard command. Each subcommand is registered from its own file.
#include <exception>
#include <iostream>

#include "CLI/CLI.hpp"
#include "commands.h"
#include "common.h"
#include "groupguard/version.h"
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
