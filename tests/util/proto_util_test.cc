#include "util/proto_util.h"

#include <string>

#include "absl/status/status.h"
#include "google/protobuf/wrappers.pb.h"
#include "gtest/gtest.h"

namespace groupguard::internal {
namespace {

TEST(SerializeWithinTest, SerializesAMessageWithinTheLimit) {
  google::protobuf::StringValue m;
  m.set_value(std::string(100, 'x'));
  auto bytes = SerializeWithin(m, 1000, absl::StatusCode::kInvalidArgument, "value");
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  EXPECT_EQ(bytes->size(), m.ByteSizeLong());
  google::protobuf::StringValue back;
  ASSERT_TRUE(ParseWithin(*bytes, &back));
  EXPECT_EQ(back.value(), m.value());
  // Exactly at the limit is fine.
  EXPECT_TRUE(
      SerializeWithin(m, m.ByteSizeLong(), absl::StatusCode::kInvalidArgument, "value")
          .ok());
}

// One byte over the limit: the caller's code, a message naming what and how big,
// and no empty string standing in for the message.
TEST(SerializeWithinTest, RefusesAMessageOverTheLimitWithTheCallersCode) {
  google::protobuf::StringValue m;
  m.set_value(std::string(100, 'x'));
  const size_t size = m.ByteSizeLong();
  auto bytes =
      SerializeWithin(m, size - 1, absl::StatusCode::kResourceExhausted, "snapshot");
  EXPECT_EQ(bytes.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(bytes.status().message(),
            "snapshot would be 102 bytes; the most that can be stored is 101");
  EXPECT_EQ(
      SerializeWithin(m, 0, absl::StatusCode::kInvalidArgument, "event").status().code(),
      absl::StatusCode::kInvalidArgument);
}

// A limit above protobuf's own is protobuf's (the message says so).
TEST(SerializeWithinTest, NeverAllowsMoreThanProtobufCanSerialize) {
  google::protobuf::StringValue m;
  auto bytes = SerializeWithin(m, ~size_t{0}, absl::StatusCode::kInvalidArgument, "x");
  ASSERT_TRUE(bytes.ok());
  EXPECT_TRUE(bytes->empty());  // an empty message is empty
  EXPECT_EQ(kMaxProtoBytes, size_t{2147483647});
}

// A size over INT_MAX is refused before any byte is read (the view below points at
// 16 bytes: parsing would read far past them).
TEST(ParseWithinTest, RefusesMoreThanProtobufCanParseWithoutReading) {
  const std::string small(16, '\0');
  google::protobuf::StringValue m;
  m.set_value("left over");
  EXPECT_FALSE(ParseWithin(absl::string_view(small.data(), kMaxProtoBytes + 1), &m));
  EXPECT_TRUE(m.value().empty());
  EXPECT_FALSE(ParseWithin("\xff", &m));
}

}  // namespace
}  // namespace groupguard::internal
