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

// A failed CreateReplacementFile gives the errno of the call that failed, so a
// caller can say what went wrong with the path it was given rather than quote a
// status naming the temporary file.
TEST(CreateReplacementFileTest, ErrorGivesTheErrno) {
  std::string destination, temp;
  int error = -1;
  auto missing = CreateReplacementFile(::testing::TempDir() + "/gg-no-such-dir/file",
                                       &destination, &temp, &error);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(error, ENOENT);
  error = -1;
  auto directory =
      CreateReplacementFile(::testing::TempDir(), &destination, &temp, &error);
  EXPECT_EQ(directory.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(error, EISDIR);
  error = -1;
  auto device = CreateReplacementFile("/dev/null", &destination, &temp, &error);
  EXPECT_EQ(device.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(error, 0);
}

}  // namespace
}  // namespace groupguard::internal
