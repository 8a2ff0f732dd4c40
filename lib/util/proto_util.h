#ifndef GROUPGUARD_LIB_UTIL_PROTO_UTIL_H_
#define GROUPGUARD_LIB_UTIL_PROTO_UTIL_H_

// Serializing and parsing protobuf messages whose size the library does not control
// (a registry snapshot, an event carrying a held post) without protobuf's silent
// failures: SerializeToString of a message over 2 GiB returns false, leaves an empty
// string and writes an error to stderr (the library never logs), and ParseFromArray
// takes an int size.

#include <climits>
#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace google::protobuf {
class MessageLite;
}  // namespace google::protobuf

namespace groupguard::internal {

// The largest message protobuf serializes or parses: INT_MAX bytes (2 GiB - 1).
inline constexpr size_t kMaxProtoBytes = INT_MAX;

// Returns `message` serialized if it is at most min(limit, kMaxProtoBytes) bytes.
// Otherwise returns a status of code `too_large` ("<what> would be N bytes; the most
// that can be stored is M"), having serialized nothing: the size is measured
// (ByteSizeLong) before serializing, so protobuf never logs. kInternal if protobuf
// still refuses (it never should for our proto3 messages). Never returns an empty
// string for a message that has any field set.
absl::StatusOr<std::string> SerializeWithin(const google::protobuf::MessageLite& message,
                                            size_t limit, absl::StatusCode too_large,
                                            absl::string_view what);

// Parses `bytes` into `message` (cleared first). False if it does not parse, or if
// it is over kMaxProtoBytes (then nothing is read: a size_t over INT_MAX must not
// reach ParseFromArray's int as a negative number).
bool ParseWithin(absl::string_view bytes, google::protobuf::MessageLite* message);

}  // namespace groupguard::internal

#endif  // GROUPGUARD_LIB_UTIL_PROTO_UTIL_H_
