#ifndef GROUPGUARD_TESTS_IO_TEST_FILES_H_
#define GROUPGUARD_TESTS_IO_TEST_FILES_H_

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "gtest/gtest.h"

namespace groupguard::testing {

// The files WriteTempFile wrote, removed when the test process exits.
class TempFiles {
 public:
  ~TempFiles() {
    for (const std::string& path : paths_) std::remove(path.c_str());
  }
  void Add(const std::string& path) { paths_.push_back(path); }

 private:
  std::vector<std::string> paths_;
};

// Writes `contents` to a fresh file under the test's temporary directory; the file
// is removed when the process exits.
inline std::string WriteTempFile(absl::string_view name, absl::string_view contents) {
  static TempFiles files;
  std::string path = ::testing::TempDir() + "/" + std::to_string(getpid()) + "_" +
                     std::string(name);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
  files.Add(path);
  return path;
}

}  // namespace groupguard::testing

#endif  // GROUPGUARD_TESTS_IO_TEST_FILES_H_
