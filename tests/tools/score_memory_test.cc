// Peak memory of `groupguard score` on one hostile post of 4 MiB (the default
// max_input_bytes): runs the built executable and reads its peak resident set from
// wait4(). The bound is below what scoring took before its scratch was cut (176
// to 191 MB for three of these posts, 122 MB for the fourth) and above what it
// takes now (69 to 131 MB).
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "gtest/gtest.h"

namespace groupguard {
namespace {

constexpr size_t kPostBytes = size_t{4} << 20;
constexpr long kMaxPeakKiB = 150000000 / 1024;  // 150 MB

// A JSON Lines dump of one post of kPostBytes: `unit` repeated (a whole number of
// times: units are ASCII or one whole character).
std::string WriteDump(const std::string& name, const std::string& unit) {
  std::string text;
  text.reserve(kPostBytes + unit.size());
  while (text.size() + unit.size() <= kPostBytes) text += unit;
  const std::string path = ::testing::TempDir() + "/gg_score_memory_" +
                           std::to_string(getpid()) + "_" + name + ".jsonl";
  std::ofstream(path, std::ios::binary) << "{\"id\":\"1\",\"text\":\"" << text << "\"}\n";
  return path;
}

// Runs `groupguard score PATH` (output to /dev/null); returns its peak resident set
// in KiB, or -1 if it did not exit with 0.
long PeakKiBOfScore(const std::string& path) {
  const pid_t pid = fork();
  if (pid == 0) {
    const int null = open("/dev/null", O_RDWR);
    dup2(null, 0);
    dup2(null, 1);
    execl(GROUPGUARD_CLI, GROUPGUARD_CLI, "score", path.c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  if (pid < 0) return -1;
  int status = 0;
  struct rusage usage {};
  if (wait4(pid, &status, 0, &usage) != pid) return -1;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return -1;
  return usage.ru_maxrss;
}

TEST(ScoreMemoryTest, AHostilePostOf4MiBTakesAtMost150MB) {
  const struct {
    const char* name;
    std::string unit;
  } kPosts[] = {
      {"hosts", "b.co "},        // 3 tokens a unit: url, host, domain
      {"dollars", "$"},          // a token a byte
      {"fdfa", "\xEF\xB7\xBA"},  // U+FDFA: folds to 33 bytes, 4 words
      {"letters", "a "},         // a word every two bytes
  };
  for (const auto& post : kPosts) {
    const std::string path = WriteDump(post.name, post.unit);
    const long peak = PeakKiBOfScore(path);
    std::remove(path.c_str());
    EXPECT_GT(peak, 0) << post.name;
    EXPECT_LE(peak, kMaxPeakKiB) << post.name;
  }
}

}  // namespace
}  // namespace groupguard
