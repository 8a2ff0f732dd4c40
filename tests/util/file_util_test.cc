#include "util/file_util.h"

#include <cerrno>
#include <string>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "groupguard/classifier.h"
#include "groupguard/post_reader.h"
#include "gtest/gtest.h"

namespace groupguard::internal {
namespace {

using ::testing::HasSubstr;

TEST(ErrnoCodeTest, OneMappingForTheWholeLibrary) {
  for (int e : {ENOENT, ENOTDIR}) EXPECT_EQ(ErrnoCode(e), absl::StatusCode::kNotFound);
  for (int e : {EACCES, EPERM, EROFS}) {
    EXPECT_EQ(ErrnoCode(e), absl::StatusCode::kPermissionDenied);
  }
  for (int e : {ENOSPC, EDQUOT, EFBIG, EMFILE, ENFILE, ENOMEM}) {
    EXPECT_EQ(ErrnoCode(e), absl::StatusCode::kResourceExhausted);
  }
  EXPECT_EQ(ErrnoCode(EISDIR), absl::StatusCode::kInvalidArgument);
  for (int e : {EIO, EINVAL, EBUSY})
    EXPECT_EQ(ErrnoCode(e), absl::StatusCode::kUnavailable);
}

TEST(ErrnoCodeTest, StatusNamesPathCallAndReason) {
  absl::Status s = ErrnoStatus("fdatasync", "/some/file", ENOSPC);
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(s.message(), "/some/file: fdatasync failed: No space left on device");
}

// The readers of models and of post dumps answer a missing file alike.
TEST(ErrnoCodeTest, ModelAndPostReadersAgree) {
  const std::string missing = ::testing::TempDir() + "/gg-no-such-dir/file";
  auto model = Classifier::Load(missing);
  EXPECT_EQ(model.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(model.status().message()), HasSubstr(missing));
  auto posts = ReadPosts(missing);
  EXPECT_EQ(posts.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(posts.status().message()), HasSubstr(missing));
}

// A directory where a model file belongs is refused as such, not read as an empty
// file.
TEST(ErrnoCodeTest, ModelPathThatIsADirectory) {
  auto model = Classifier::Load(::testing::TempDir());
  EXPECT_EQ(model.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(model.status().message()), HasSubstr("Is a directory"));
}

}  // namespace
}  // namespace groupguard::internal
