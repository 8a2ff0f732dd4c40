// Pins the journal's on-disk format (lib/store/journal_format.h) against the spec in
// that header, computing the checksums with xxHash directly.

#include "store/journal_format.h"

#include <xxhash.h>

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace groupguard::internal {
namespace {

using ::testing::HasSubstr;
using ::testing::Optional;

uint64_t Le64(const std::string& s, size_t at) { return LoadU64(s.data() + at); }
uint32_t Le32(const std::string& s, size_t at) { return LoadU32(s.data() + at); }

TEST(JournalFormatTest, SegmentHeaderLayout) {
  const std::string header = EncodeSegmentHeader(0x0102030405060708);
  ASSERT_EQ(header.size(), kSegmentHeaderBytes);
  EXPECT_EQ(header.substr(0, 8), "GGJOURNL");
  EXPECT_EQ(header.substr(8, 4), std::string("\x01\x00\x00\x00", 4));  // version 1, LE
  EXPECT_EQ(Le32(header, 12), 32u);
  EXPECT_EQ(header.substr(16, 8), std::string("\x08\x07\x06\x05\x04\x03\x02\x01", 8));
  EXPECT_EQ(Le64(header, 24), XXH3_64bits(header.data(), 24));
  auto first = DecodeSegmentHeader(header, "seg");
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(*first, 0x0102030405060708u);
}

TEST(JournalFormatTest, FrameLayout) {
  std::string out = "prefix";
  AppendFrame(42, "payload", &out);
  ASSERT_EQ(out.size(), 6 + kFrameHeaderBytes + 7);
  EXPECT_EQ(Le32(out, 6), 7u);
  uint32_t length = 7;  // little-endian host, as the format
  EXPECT_EQ(Le32(out, 10), static_cast<uint32_t>(XXH3_64bits_withSeed(&length, 4, 42)));
  EXPECT_EQ(Le64(out, 14), XXH3_64bits_withSeed("payload", 7, 42));
  EXPECT_EQ(out.substr(22), "payload");
}

TEST(JournalFormatTest, SnapshotRoundTripAndChecks) {
  const std::string payload("state\0bytes", 11);
  const std::string file = EncodeSnapshotHeader(payload, 9) + payload;
  ASSERT_EQ(file.size(), kSnapshotHeaderBytes + payload.size());
  EXPECT_EQ(file.substr(0, 8), "GGSNAPSH");
  EXPECT_EQ(Le64(file, 16), 9u);
  EXPECT_EQ(Le64(file, 24), payload.size());
  EXPECT_EQ(Le64(file, 32), XXH3_64bits_withSeed(payload.data(), payload.size(), 9));
  EXPECT_EQ(Le64(file, 40), XXH3_64bits(file.data(), 40));
  auto decoded = DecodeSnapshot(file, 9, "snap");
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, payload);

  // The name and the contents must agree.
  EXPECT_EQ(DecodeSnapshot(file, 8, "snap").status().code(), absl::StatusCode::kDataLoss);
  // Truncated payload, truncated header.
  auto truncated = DecodeSnapshot(file.substr(0, file.size() - 1), 9, "snap");
  EXPECT_EQ(truncated.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(truncated.status().message(), HasSubstr("snap: offset"));
  EXPECT_EQ(DecodeSnapshot(file.substr(0, 47), 9, "snap").status().code(),
            absl::StatusCode::kDataLoss);
}

TEST(JournalFormatTest, HeaderDamageIsDataLossAndNewerVersionIsFailedPrecondition) {
  const std::string header = EncodeSegmentHeader(5);
  EXPECT_EQ(DecodeSegmentHeader(header.substr(0, 31), "s").status().code(),
            absl::StatusCode::kDataLoss);
  std::string damaged = header;
  damaged[20] ^= 1;  // first sequence, covered by the header checksum
  EXPECT_EQ(DecodeSegmentHeader(damaged, "s").status().code(),
            absl::StatusCode::kDataLoss);
  std::string newer = header;
  newer[8] = 2;
  auto status = DecodeSegmentHeader(newer, "dir/journal-x.log").status();
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(status.message(), HasSubstr("dir/journal-x.log"));
  std::string zero_version = header;
  zero_version[8] = 0;
  EXPECT_EQ(DecodeSegmentHeader(zero_version, "s").status().code(),
            absl::StatusCode::kDataLoss);
}

TEST(JournalFormatTest, FileNames) {
  EXPECT_EQ(SegmentFileName(17), "journal-00000000000000000017.log");
  EXPECT_EQ(SnapshotFileName(0), "snapshot-00000000000000000000.snap");
  EXPECT_THAT(ParseSegmentFileName("journal-00000000000000000017.log"), Optional(17u));
  EXPECT_THAT(ParseSnapshotFileName(SnapshotFileName(18446744073709551615u)),
              Optional(18446744073709551615u));
  EXPECT_EQ(ParseSegmentFileName("journal-17.log"), std::nullopt);
  EXPECT_EQ(ParseSegmentFileName("journal-0000000000000000001x.log"), std::nullopt);
  EXPECT_EQ(ParseSegmentFileName("journal-00000000000000000017.log.tmp"), std::nullopt);
  EXPECT_EQ(ParseSnapshotFileName("snapshot-99999999999999999999.snap"), std::nullopt);
}

}  // namespace
}  // namespace groupguard::internal
