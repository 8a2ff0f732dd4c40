#ifndef GROUPGUARD_LIB_STORE_SEGMENT_READER_H_
#define GROUPGUARD_LIB_STORE_SEGMENT_READER_H_

// Reads and checks one journal segment (format in journal_format.h) in large blocks,
// handing each record to a callback as a view into the read buffer.

#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace groupguard::internal {

struct SegmentScanOptions {
  // Bytes of the file to consider, from its start; the rest is ignored.
  uint64_t limit = std::numeric_limits<uint64_t>::max();
  // Whether damage at the very end is a torn tail (reported in SegmentScan) rather
  // than kDataLoss. A torn tail is: fewer bytes than a record header; a header whose
  // length runs past the end; a last record whose payload checksum fails and that
  // ends exactly at the end; or a bad header followed by nothing but zero bytes.
  bool allow_torn_tail = false;
  // Whether damage that is not an allowed torn tail ends the scan with the damage
  // reported in SegmentScan::damage (for salvaging a journal) rather than kDataLoss.
  bool stop_at_damage = false;
  // The scan ends before the record with this sequence number (valid_end is where it
  // starts).
  uint64_t stop_before = std::numeric_limits<uint64_t>::max();
  // Records with sequence in (deliver_after, deliver_through] go to the callback.
  uint64_t deliver_after = 0;
  uint64_t deliver_through = std::numeric_limits<uint64_t>::max();
  // If nonzero, the scan starts at this byte offset with record `start_sequence`
  // instead of after the segment header, which is then not read (for reading on past
  // damage that FindRecord stepped over).
  uint64_t start_offset = 0;
  uint64_t start_sequence = 0;
};

struct SegmentScan {
  uint64_t first_sequence = 0;
  uint64_t records = 0;    // whole, checked records
  uint64_t valid_end = 0;  // byte offset just after the last whole record
  bool torn_tail = false;  // bytes after valid_end were a torn tail
  bool stopped = false;    // the scan reached options.stop_before
  // With stop_at_damage: the kDataLoss that stopped the scan at valid_end (0 if the
  // segment header itself is damaged; first_sequence is then 0), or OK.
  absl::Status damage;
};

// Returns kDataLoss naming `path`, the byte offset and the sequence number for
// damage that is not an allowed torn tail (unless stop_at_damage); kFailedPrecondition
// for a newer format; the callback's error, with the file and the record's offset put
// before its message, if it fails (the scan stops). The views passed to `on_record` are
// valid only during the call.
absl::StatusOr<SegmentScan> ScanSegment(
    const std::string& path, const SegmentScanOptions& options,
    absl::FunctionRef<absl::Status(uint64_t sequence, absl::string_view record)>
        on_record);

// ScanSegment of the segment already open as `fd` (read with pread only, so several
// scans may share it; named `path` in errors): a reader that keeps its segments open
// reads them even after a writer has deleted them.
absl::StatusOr<SegmentScan> ScanOpenSegment(
    int fd, const std::string& path, const SegmentScanOptions& options,
    absl::FunctionRef<absl::Status(uint64_t sequence, absl::string_view record)>
        on_record);

// Looks in the segment `path`, from byte `from` on, for the frame of record
// `sequence`: the first offset where a frame header checks as that record's and the
// payload after it does too. Both checks are seeded with the sequence number, so no
// other record's frame matches (but for a chance of about 2^-96); a record's payload
// can still hold a well-formed frame of `sequence` (payloads are arbitrary bytes), so
// the caller checks what follows. Reads the whole rest of the file in the worst case.
// Returns the offset, or nullopt.
absl::StatusOr<std::optional<uint64_t>> FindRecord(const std::string& path, uint64_t from,
                                                   uint64_t sequence);

}  // namespace groupguard::internal

#endif  // GROUPGUARD_LIB_STORE_SEGMENT_READER_H_
