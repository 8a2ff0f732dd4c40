#include "util/proto_util.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "google/protobuf/message_lite.h"

namespace groupguard::internal {

absl::StatusOr<std::string> SerializeWithin(const google::protobuf::MessageLite& message,
                                            size_t limit, absl::StatusCode too_large,
                                            absl::string_view what) {
  const size_t most = std::min(limit, kMaxProtoBytes);
  // ByteSizeLong() is exact and never logs; SerializeToString() of a message over
  // INT_MAX bytes logs an error and leaves "" behind.
  const size_t size = message.ByteSizeLong();
  if (size > most) {
    return absl::Status(too_large,
                        absl::StrCat(what, " would be ", size,
                                     " bytes; the most that can be stored is ", most));
  }
  std::string out;
  if (!message.SerializeToString(&out) || out.size() != size) {
    return absl::InternalError(
        absl::StrCat(what, " of ", size, " bytes could not be serialized"));
  }
  return out;
}

bool ParseWithin(absl::string_view bytes, google::protobuf::MessageLite* message) {
  if (bytes.size() > kMaxProtoBytes) {
    message->Clear();
    return false;
  }
  return message->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()));
}

}  // namespace groupguard::internal
