#include "util/thread_scratch.h"

#include <atomic>
#include <thread>

#include "gtest/gtest.h"

namespace groupguard::internal {
namespace {

std::atomic<int> made{0};
std::atomic<int> destroyed{0};

struct Counted {
  Counted() { ++made; }
  ~Counted() { ++destroyed; }
  int value = 0;
};

// One object a thread, made on the thread's first Get(), destroyed when the thread
// ends (as a thread_local object is, without its registration with the C library).
TEST(ThreadScratchTest, OneAThreadMadeOnFirstUseDestroyedAtItsEnd) {
  made = 0;
  destroyed = 0;
  Counted& mine = ThreadScratch<Counted>::Get();
  mine.value = 7;
  EXPECT_EQ(&ThreadScratch<Counted>::Get(), &mine);
  EXPECT_EQ(made, 1);
  for (int i = 0; i < 3; ++i) {
    std::thread([&mine] {
      Counted& theirs = ThreadScratch<Counted>::Get();
      EXPECT_NE(&theirs, &mine);
      EXPECT_EQ(theirs.value, 0);
      theirs.value = 1;
      EXPECT_EQ(&ThreadScratch<Counted>::Get(), &theirs);
    }).join();
    EXPECT_EQ(made, 2 + i);
    EXPECT_EQ(destroyed, 1 + i);
  }
  // A thread that never asks makes none.
  std::thread([] {}).join();
  EXPECT_EQ(made, 4);
  EXPECT_EQ(destroyed, 3);
  EXPECT_EQ(ThreadScratch<Counted>::Get().value, 7);
}

}  // namespace
}  // namespace groupguard::internal
