#ifndef GROUPGUARD_LIB_STORE_JOURNAL_FORMAT_H_
#define GROUPGUARD_LIB_STORE_JOURNAL_FORMAT_H_

// The on-disk format of the journal (all integers little-endian).
//
// A journal directory holds segments `journal-<first sequence, 20 digits>.log`,
// snapshots `snapshot-<through, 20 digits>.snap` and a `LOCK` file.
//
// Segment header, 32 bytes:
//   0  magic "GGJOURNL"           8  u32 format version     12 u32 header size (32)
//   16 u64 first sequence         24 u64 XXH3-64 of bytes 0..24
// then records, each framed as
//   0  u32 payload length         4  u32 low half of XXH3-64(bytes 0..4, seed = sequence)
//   8  u64 XXH3-64(payload, seed = sequence)              16 payload
// The sequence number of a record is the segment's first sequence plus its index; it
// seeds both checksums, so a record read at the wrong position fails its checks.
//
// Snapshot file: a 48-byte header then the payload:
//   0  magic "GGSNAPSH"           8  u32 format version     12 u32 header size (48)
//   16 u64 through                24 u64 payload length
//   32 u64 XXH3-64(payload, seed = through)                40 u64 XXH3-64 of bytes 0..40

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace groupguard::internal {

inline constexpr uint32_t kJournalFormatVersion = 1;
inline constexpr size_t kSegmentHeaderBytes = 32;
inline constexpr size_t kFrameHeaderBytes = 16;
inline constexpr size_t kSnapshotHeaderBytes = 48;
// No record is ever larger than this, whatever JournalOptions said when it was written.
inline constexpr size_t kMaxRecordBytesLimit = size_t{64} << 20;

std::string SegmentFileName(uint64_t first_sequence);
std::string SnapshotFileName(uint64_t through);
// The number in a segment or snapshot file name, or nullopt for other names.
std::optional<uint64_t> ParseSegmentFileName(absl::string_view name);
std::optional<uint64_t> ParseSnapshotFileName(absl::string_view name);

std::string EncodeSegmentHeader(uint64_t first_sequence);
// Returns the first sequence. kDataLoss (naming `path`) for a short or damaged header,
// kFailedPrecondition for a newer format version.
absl::StatusOr<uint64_t> DecodeSegmentHeader(absl::string_view header,
                                             absl::string_view path);

// Appends one framed record to `out`.
void AppendFrame(uint64_t sequence, absl::string_view record, std::string* out);

// Frame checks, for the reader.
uint32_t LengthCheck(const char* length_bytes, uint64_t sequence);
uint64_t PayloadCheck(absl::string_view payload, uint64_t sequence);

std::string EncodeSnapshotHeader(absl::string_view payload, uint64_t through);
// Checks a whole snapshot file's contents and returns its payload (a view into
// `contents`). kDataLoss naming `path` and the offset for damage, kFailedPrecondition
// for a newer format version.
absl::StatusOr<absl::string_view> DecodeSnapshot(absl::string_view contents,
                                                 uint64_t expected_through,
                                                 absl::string_view path);

inline uint32_t LoadU32(const char* p) {
  const auto* b = reinterpret_cast<const unsigned char*>(p);
  return uint32_t{b[0]} | uint32_t{b[1]} << 8 | uint32_t{b[2]} << 16 |
         uint32_t{b[3]} << 24;
}
inline uint64_t LoadU64(const char* p) {
  return uint64_t{LoadU32(p)} | uint64_t{LoadU32(p + 4)} << 32;
}

}  // namespace groupguard::internal

#endif  // GROUPGUARD_LIB_STORE_JOURNAL_FORMAT_H_
