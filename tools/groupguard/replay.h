#ifndef GROUPGUARD_TOOLS_GROUPGUARD_REPLAY_H_
#define GROUPGUARD_TOOLS_GROUPGUARD_REPLAY_H_

#include "CLI/CLI.hpp"

namespace groupguard::cli {

// `groupguard replay DUMP`: runs a chronological dump with authors and groups through
// the gate and a probation registry, with a simulated moderator who rejects held spam
// (flagging its author from that group), approves held ham; prints a summary, or one
// JSON object with --json.
void AddReplayCommand(CLI::App& app);

}  // namespace groupguard::cli

#endif  // GROUPGUARD_TOOLS_GROUPGUARD_REPLAY_H_
