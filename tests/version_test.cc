#include "groupguard/version.h"

#include "absl/strings/str_split.h"
#include "gtest/gtest.h"

namespace groupguard {
namespace {

TEST(VersionTest, IsThreeNumbers) {
  std::vector<std::string> parts = absl::StrSplit(Version(), '.');
  ASSERT_EQ(parts.size(), 3u);
  for (const auto& p : parts) {
    ASSERT_FALSE(p.empty());
    for (char c : p) EXPECT_TRUE(c >= '0' && c <= '9') << Version();
  }
}

}  // namespace
}  // namespace groupguard
