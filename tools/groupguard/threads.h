#ifndef GROUPGUARD_TOOLS_GROUPGUARD_THREADS_H_
#define GROUPGUARD_TOOLS_GROUPGUARD_THREADS_H_

#include <string>

namespace groupguard::cli {

// The most worker threads score and eval start when --threads is not given (a
// --threads up to 1024 is taken as asked). Their main thread alone reads the input,
// hands out the blocks and takes the results back in order (eval's then computes the
// metrics); on the SMS corpus repeated to 42 MB, with two workers, it used 9% of
// score's CPU, 2% of `score --explain 3`'s and 26% of eval's, so score gains nothing
// past about 10 workers, explaining past about 50 and eval past 3. Each worker costs
// memory all the same: three blocks in flight (--block-kib, 256 KiB; a block holds
// at least one whole record, up to --max-record-mib) and its scoring scratch (up to
// 32 MiB kept after a long post, more while it scores one), so a machine of 1024
// hardware threads would hold 3072 blocks and 1024 scratches for no gain.
inline constexpr int kMaxDefaultWorkers = 32;

// The threads a command runs with a --threads option of `flag` (0: not given): the
// flag's value when given, as it is (the option's range checks it), else `hardware`
// (HardwareThreads()) clamped to 1..`limit`: train --select's default never asks for
// more than CrossValidationOptions::kMaxThreads, score's and eval's for more than
// kMaxDefaultWorkers.
int ThreadsToUse(int flag, int hardware, int limit);

// Where `threads` (ThreadsToUse(flag, ..., limit)) came from, as a note about them
// says it: "--threads 64" when the flag was given, else "32 by default: all cores,
// at most 32" (the user typed no --threads, and should not read that they did).
std::string ThreadsOrigin(int flag, int threads, int limit);

}  // namespace groupguard::cli

#endif  // GROUPGUARD_TOOLS_GROUPGUARD_THREADS_H_
