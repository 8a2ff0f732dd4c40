#ifndef GROUPGUARD_TESTS_IO_TEST_FILES_H_
#define GROUPGUARD_TESTS_IO_TEST_FILES_H_

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "absl/strings/string_view.h"
#include "gtest/gtest.h"

namespace groupguard::testing {

// Writes `contents` to a fresh file under the test's temporary directory.
inline std::string WriteTempFile(absl::string_view name, absl::string_view contents) {
  std::string path = ::testing::TempDir() + "/" + std::to_string(getpid()) + "_" +
                     std::string(name);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
  return path;
}

}  // namespace groupguard::testing

#endif  // GROUPGUARD_TESTS_IO_TEST_FILES_H_
