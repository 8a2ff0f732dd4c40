#include "threads.h"

#include "groupguard/trainer.h"
#include "gtest/gtest.h"

namespace groupguard::cli {
namespace {

constexpr int kLimit = CrossValidationOptions::kMaxThreads;

// train --select's default is every core, but CrossValidate() takes at most
// kMaxThreads: on a machine of more cores the default is the limit, where it asked
// for more and the command, given no thread option, failed.
TEST(ThreadsToUseTest, DefaultIsTheHardwareClampedToTheLimit) {
  EXPECT_EQ(ThreadsToUse(0, 4, kLimit), 4);
  EXPECT_EQ(ThreadsToUse(0, kLimit, kLimit), kLimit);
  EXPECT_EQ(ThreadsToUse(0, kLimit + 1, kLimit), kLimit);
  EXPECT_EQ(ThreadsToUse(0, 1024, kLimit), kLimit);
  EXPECT_EQ(ThreadsToUse(0, 0, kLimit), 1);
}

// A value the user gave is kept, even over the limit: the option's check refuses it
// with a message naming it, rather than running with fewer threads than asked.
TEST(ThreadsToUseTest, AGivenValueIsKept) {
  EXPECT_EQ(ThreadsToUse(1, 1024, kLimit), 1);
  EXPECT_EQ(ThreadsToUse(3, 2, kLimit), 3);
  EXPECT_EQ(ThreadsToUse(kLimit + 1, 2, kLimit), kLimit + 1);
}

// score's and eval's default is every core up to kMaxDefaultWorkers: their main
// thread reads and orders every block, so more workers only hold more memory.
TEST(ThreadsToUseTest, ScoreAndEvalDefaultIsTheHardwareUpToTheirCap) {
  EXPECT_EQ(kMaxDefaultWorkers, 32);
  EXPECT_EQ(ThreadsToUse(0, 2, kMaxDefaultWorkers), 2);
  EXPECT_EQ(ThreadsToUse(0, 32, kMaxDefaultWorkers), 32);
  EXPECT_EQ(ThreadsToUse(0, 1024, kMaxDefaultWorkers), 32);
  EXPECT_EQ(ThreadsToUse(100, 1024, kMaxDefaultWorkers), 100);  // --threads 100
}

// A note about the threads says where their count came from: the option, when the
// user gave it, else the default (it said "--threads 32" of a run given no --threads).
TEST(ThreadsOriginTest, NamesTheOptionOnlyWhenGiven) {
  EXPECT_EQ(ThreadsOrigin(64, 64, kMaxDefaultWorkers), "--threads 64");
  EXPECT_EQ(ThreadsOrigin(0, 32, kMaxDefaultWorkers),
            "32 by default: all cores, at most 32");
  EXPECT_EQ(ThreadsOrigin(0, 4, kLimit), "4 by default: all cores, at most 256");
}

}  // namespace
}  // namespace groupguard::cli
