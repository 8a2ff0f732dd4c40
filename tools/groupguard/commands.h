#ifndef GROUPGUARD_TOOLS_GROUPGUARD_COMMANDS_H_
#define GROUPGUARD_TOOLS_GROUPGUARD_COMMANDS_H_

#include "CLI/CLI.hpp"

namespace groupguard::cli {

// Each subcommand lives in its own file and registers itself on the top-level app.
// The subcommand's callback runs the command; a non-zero exit code is thrown as
// CLI::RuntimeError(code), which main() turns into the process exit code.
// To add one: write foo.cc with AddFooCommand, declare it here, list it in main.cc
// and in CMakeLists.txt.
void AddTrainCommand(CLI::App& app);
void AddScoreCommand(CLI::App& app);
void AddEvalCommand(CLI::App& app);
void AddExplainCommand(CLI::App& app);
void AddInspectCommand(CLI::App& app);
void AddJournalCommand(CLI::App& app);

}  // namespace groupguard::cli

#endif  // GROUPGUARD_TOOLS_GROUPGUARD_COMMANDS_H_
