// CrossValidate(): figures, determinism across threads, folds that keep copies of a
// post together, and its errors.
#include <malloc.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "groupguard/trainer.h"
#include "gtest/gtest.h"
#include "test_corpus.h"

namespace groupguard {
namespace {

using ::testing::HasSubstr;

std::vector<LabeledPost> Synthetic(int n) {
  std::vector<LabeledPost> posts;
  for (const auto& p : testing::SyntheticCorpus(n)) posts.push_back({p.text, p.is_spam});
  return posts;
}

TrainerOptions Ensemble() {
  TrainerOptions options;
  options.model_type = ModelType::kEnsemble;
  return options;
}

TEST(CrossValidationTest, RanksASeparableCorpusWell) {
  CrossValidationOptions cv;
  cv.folds = 4;
  cv.repeats = 1;
  auto r = CrossValidate(Synthetic(400), Ensemble(), cv);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->fold_roc_auc.size(), 4u);
  EXPECT_GT(r->roc_auc, 0.95);
  EXPECT_GT(r->spam_caught_at_1pct_ham_blocked, 0.5);
  double sum = 0;
  for (double auc : r->fold_roc_auc) sum += auc;
  EXPECT_DOUBLE_EQ(r->roc_auc, sum / 4);
}

TEST(CrossValidationTest, SameFiguresOnAnyNumberOfThreads) {
  const std::vector<LabeledPost> posts = Synthetic(300);
  CrossValidationOptions cv;
  cv.folds = 3;
  cv.repeats = 2;
  auto one = CrossValidate(posts, Ensemble(), cv);
  cv.threads = 4;
  auto four = CrossValidate(posts, Ensemble(), cv);
  ASSERT_TRUE(one.ok()) << one.status();
  ASSERT_TRUE(four.ok()) << four.status();
  EXPECT_EQ(one->fold_roc_auc, four->fold_roc_auc);
  EXPECT_EQ(one->spam_caught_at_1pct_ham_blocked, four->spam_caught_at_1pct_ham_blocked);
  // Another seed deals other folds.
  cv.seed = 2;
  auto other = CrossValidate(posts, Ensemble(), cv);
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_NE(other->fold_roc_auc, one->fold_roc_auc);
}

// Labels that have nothing to do with the words: a model can only rank held-out
// posts by remembering copies of them. Each text comes three times (case and spacing
// changed); if copies were split across folds, the held-out copies would be ranked
// almost perfectly.
TEST(CrossValidationTest, CopiesOfAPostStayInOneFold) {
  std::vector<LabeledPost> posts;
  uint64_t state = 7;
  auto next = [&state](int mod) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<int>((state >> 33) % static_cast<uint64_t>(mod));
  };
  for (int i = 0; i < 120; ++i) {
    std::string text;
    for (int w = 0; w < 6; ++w) {
      if (w > 0) text += ' ';
      for (int c = 0; c < 6; ++c) text += static_cast<char>('a' + next(26));
    }
    const bool spam = next(2) == 1;
    std::string upper = text;
    for (char& c : upper)
      c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    posts.push_back({text, spam});
    posts.push_back({upper, spam});
    posts.push_back({absl::StrCat("  ", text, " !"), spam});
  }
  CrossValidationOptions cv;
  cv.folds = 4;
  cv.repeats = 1;
  auto r = CrossValidate(posts, Ensemble(), cv);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_LT(r->roc_auc, 0.7) << "copies of a post were split across folds";
}

// The process's address space in bytes (VmSize), or 0.
uint64_t AddressSpaceBytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmSize:", 0) == 0) return std::stoull(line.substr(7)) * 1024;
  }
  return 0;
}

// When no thread can be started (here: no address space left for a thread's stack),
// the trainings run on the calling thread. std::thread's exception used to escape,
// and destroyed the threads already started unjoined: std::terminate, the process
// aborted. The limit applies to the whole process, so this runs in a child.
TEST(CrossValidationTest, ThreadsThatCannotStartLeaveTheWorkToTheCaller) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "a sanitizer's allocator does not run under an address space limit";
#endif
  const std::vector<LabeledPost> posts = Synthetic(150);
  TrainerOptions options = Ensemble();
  options.features.hash_bits = 10;
  CrossValidationOptions cv;
  cv.folds = 2;
  cv.repeats = 16;
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    // Memory freed by the first run stays in the heap for the second, so the limit
    // below leaves room for the trainings but not for a thread's stack.
    ::mallopt(M_TRIM_THRESHOLD, 1 << 30);
    ::mallopt(M_MMAP_THRESHOLD, 1 << 30);
    auto one = CrossValidate(posts, options, cv);
    if (!one.ok()) ::_exit(10);
    const uint64_t used = AddressSpaceBytes();
    if (used == 0) ::_exit(11);
    struct rlimit limit = {used + (256 << 10), used + (256 << 10)};
    if (::setrlimit(RLIMIT_AS, &limit) != 0) ::_exit(12);
    // More threads than the C library keeps stacks of ended ones for reuse.
    cv.threads = 32;
    auto many = CrossValidate(posts, options, cv);
    if (!many.ok()) ::_exit(13);
    if (many->fold_roc_auc != one->fold_roc_auc) ::_exit(14);
    ::_exit(0);
  }
  int wstatus = 0;
  ASSERT_EQ(::waitpid(pid, &wstatus, 0), pid);
  ASSERT_TRUE(WIFEXITED(wstatus)) << "the child died of signal " << WTERMSIG(wstatus);
  EXPECT_EQ(WEXITSTATUS(wstatus), 0) << "child check failed";
}

TEST(CrossValidationTest, Errors) {
  const std::vector<LabeledPost> posts = Synthetic(60);
  CrossValidationOptions cv;
  cv.folds = 1;
  EXPECT_EQ(CrossValidate(posts, Ensemble(), cv).status().code(),
            absl::StatusCode::kInvalidArgument);
  cv = CrossValidationOptions();
  cv.repeats = 0;
  EXPECT_EQ(CrossValidate(posts, Ensemble(), cv).status().code(),
            absl::StatusCode::kInvalidArgument);
  cv = CrossValidationOptions();
  cv.threads = 0;
  EXPECT_EQ(CrossValidate(posts, Ensemble(), cv).status().code(),
            absl::StatusCode::kInvalidArgument);
  TrainerOptions bad = Ensemble();
  bad.features.hash_bits = 40;
  EXPECT_EQ(CrossValidate(posts, bad, CrossValidationOptions()).status().code(),
            absl::StatusCode::kInvalidArgument);
  // Four distinct spam texts (each twice) cannot fill five folds.
  std::vector<LabeledPost> few = posts;
  for (LabeledPost& p : few) p.is_spam = false;
  const char* const kWords[] = {"alpha", "beta", "gamma", "delta"};
  for (int i = 0; i < 8; ++i)
    few.push_back({absl::StrCat("win cash ", kWords[i % 4]), true});
  auto r = CrossValidate(few, Ensemble(), CrossValidationOptions());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(r.status().message(),
              HasSubstr("at least 5 distinct spam texts; there are 4"));
}

}  // namespace
}  // namespace groupguard
