#ifndef GROUPGUARD_LIB_MODEL_MODEL_FILE_H_
#define GROUPGUARD_LIB_MODEL_MODEL_FILE_H_

// The model file container:
//   offset 0   magic "GGMODEL\x1a"
//   offset 8   format version, uint32 little-endian
//   offset 12  payload size in bytes, uint64 little-endian
//   offset 20  XXH3-64 (seed 0) of the payload, uint64 little-endian
//   offset 28  payload: a groupguard.model.Model, serialized deterministically

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "groupguard_internal/model/model.pb.h"

namespace groupguard::internal {

inline constexpr uint32_t kModelFormatVersion = 1;
inline constexpr absl::string_view kModelMagic("GGMODEL\x1a", 8);
inline constexpr size_t kModelHeaderSize = 28;
// The payload is one protobuf message, which cannot exceed 2 GiB.
inline constexpr uint64_t kMaxModelPayloadSize = 0x7fffffff;

// Returns the file bytes for `model` (same model -> same bytes), or
// kResourceExhausted if its payload would be over kMaxModelPayloadSize (nothing is
// serialized then; Trainer::Create bounds what a trained model can hold well below it).
absl::StatusOr<std::string> EncodeModelFile(const model::Model& model);

// Checks the container and parses the payload into `model`. Errors (messages do not
// name a file; the caller prefixes it): kInvalidArgument if the magic is not ours,
// kFailedPrecondition for a newer format version, kDataLoss if the bytes are
// truncated, have trailing bytes, fail the checksum or do not parse.
absl::Status DecodeModelFile(absl::string_view bytes, model::Model* model);

// Reads a model file's bytes by `read` (which fills up to `size` bytes of `buffer`
// and returns how many, 0 at the end, or an error, returned as it is): the header,
// then at most the payload it announces and one byte more (to see trailing bytes).
// Bytes that do not begin with a model header are not read past the header's 28,
// so a file that is not a model (or /dev/zero) is turned down without being read
// into memory; DecodeModelFile says what is wrong with what was read.
absl::StatusOr<std::string> ReadModelFileBytes(
    const std::function<absl::StatusOr<size_t>(char* buffer, size_t size)>& read);

// Checks what the payload says (ranges, sizes, finite numbers), so a file whose
// checksum matches but whose content is nonsense is still rejected (kDataLoss).
absl::Status ValidateModel(const model::Model& model);

}  // namespace groupguard::internal

#endif  // GROUPGUARD_LIB_MODEL_MODEL_FILE_H_
