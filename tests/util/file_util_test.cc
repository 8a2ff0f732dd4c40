#include "util/file_util.h"

#include <cerrno>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "groupguard/classifier.h"
#include "groupguard/post_reader.h"
#include "gtest/gtest.h"

namespace groupguard::internal {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

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

// CreateDirectories names every directory it made, innermost first, so each new
// entry can be synced: with a trailing '/', the parent of "a/b/" is "a/b" itself, and
// syncing only one parent left the entries of the outer new directories unsynced.
TEST(CreateDirectoriesTest, NamesEveryDirectoryItMade) {
  const std::string root =
      (std::filesystem::path(::testing::TempDir()) / "gg-create-directories")
          .lexically_normal()
          .string();
  std::filesystem::remove_all(root);
  ASSERT_TRUE(CreateDirectories(root, /*sync=*/true).ok());
  absl::StatusOr<std::vector<std::string>> made =
      CreateDirectories(root + "/a/b/", /*sync=*/true);
  ASSERT_TRUE(made.ok()) << made.status();
  EXPECT_THAT(*made, ElementsAre(root + "/a/b", root + "/a"));
  EXPECT_TRUE(std::filesystem::is_directory(root + "/a/b"));
  made = CreateDirectories(root + "/a/b", /*sync=*/true);  // there already
  ASSERT_TRUE(made.ok()) << made.status();
  EXPECT_THAT(*made, IsEmpty());
  made = CreateDirectories(root + "/a//c/./d", /*sync=*/false);
  ASSERT_TRUE(made.ok()) << made.status();
  EXPECT_THAT(*made, ElementsAre(root + "/a/c/d", root + "/a/c"));
  // A file in the way: the error names the path.
  ASSERT_TRUE(WriteFileAtomically(root, "f", "", "x", /*sync=*/false).ok());
  made = CreateDirectories(root + "/f/g", /*sync=*/true);
  EXPECT_FALSE(made.ok());
  EXPECT_THAT(std::string(made.status().message()), HasSubstr(root + "/f/g"));
  std::filesystem::remove_all(root);
}

}  // namespace
}  // namespace groupguard::internal
