#ifndef GROUPGUARD_TOOLS_GROUPGUARD_JOURNAL_SHOW_H_
#define GROUPGUARD_TOOLS_GROUPGUARD_JOURNAL_SHOW_H_

#include "CLI/CLI.hpp"

namespace groupguard::cli {

// Adds `show` to the `journal` command (journal_show.cc).
void AddJournalShowCommand(CLI::App* journal);

}  // namespace groupguard::cli

#endif  // GROUPGUARD_TOOLS_GROUPGUARD_JOURNAL_SHOW_H_
