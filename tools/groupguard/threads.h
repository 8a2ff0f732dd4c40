#ifndef GROUPGUARD_TOOLS_GROUPGUARD_THREADS_H_
#define GROUPGUARD_TOOLS_GROUPGUARD_THREADS_H_

namespace groupguard::cli {

// The threads a command runs with a --threads option of `flag` (0: not given): the
// flag's value when given, as it is (a value over `limit` is the option's usage
// error), else `hardware` (HardwareThreads()) clamped to 1..`limit`, so that the
// default never asks for more than the command takes (train --select on a machine of
// more than CrossValidationOptions::kMaxThreads cores).
int ThreadsToUse(int flag, int hardware, int limit);

}  // namespace groupguard::cli

#endif  // GROUPGUARD_TOOLS_GROUPGUARD_THREADS_H_
