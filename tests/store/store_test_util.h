#ifndef GROUPGUARD_TESTS_STORE_STORE_TEST_UTIL_H_
#define GROUPGUARD_TESTS_STORE_STORE_TEST_UTIL_H_

// Helpers for the journal tests: scratch directories and file surgery.

#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "groupguard/event_store.h"
#include "gtest/gtest.h"

namespace groupguard::testing_internal {

// A fresh directory under the test temp dir, removed with everything in it.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = absl::StrCat(::testing::TempDir(), "/gg_store_XXXXXX");
    char* made = ::mkdtemp(pattern.data());
    EXPECT_NE(made, nullptr) << pattern;
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const {
    return absl::StrCat(path_, "/", name);
  }

 private:
  std::string path_;
};

inline std::string ReadFileOrDie(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << path;
  return std::string(std::istreambuf_iterator<char>(in),
                     std::istreambuf_iterator<char>());
}

inline void WriteFileOrDie(const std::string& path, const std::string& contents) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
  EXPECT_TRUE(out.good()) << path;
}

// Names of the files in `dir` that start with `prefix`, sorted.
inline std::vector<std::string> FilesWithPrefix(const std::string& dir,
                                                const std::string& prefix) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::string name = entry.path().filename().string();
    if (name.rfind(prefix, 0) == 0) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

inline JournalOptions OptionsWith(JournalOptions::Sync sync) {
  JournalOptions options;
  options.sync = sync;
  return options;
}

}  // namespace groupguard::testing_internal

#endif  // GROUPGUARD_TESTS_STORE_STORE_TEST_UTIL_H_
