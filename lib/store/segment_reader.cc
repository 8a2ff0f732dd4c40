#include "store/segment_reader.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "store/journal_files.h"
#include "store/journal_format.h"
#include "util/file_util.h"
#include "util/status_macros.h"

namespace groupguard::internal {
namespace {

// Large reads amortize system calls; records are parsed in place.
constexpr size_t kBlockBytes = size_t{2} << 20;

// A window [begin, end) of the file in a growable buffer.
class BlockReader {
 public:
  BlockReader(int fd, const std::string& path, uint64_t start, uint64_t file_end)
      : fd_(fd),
        path_(path),
        // A small segment needs no 2 MiB buffer; Ensure() grows it for large records.
        buffer_(static_cast<size_t>(std::clamp<uint64_t>(
                    file_end > start ? file_end - start : 0, 64, kBlockBytes)),
                '\0'),
        buffer_offset_(start),
        file_end_(file_end) {}

  // Makes `need` bytes from the current position available at data(). The caller
  // has checked that the file holds them.
  absl::Status Ensure(size_t need) {
    if (end_ - begin_ >= need) return absl::OkStatus();
    if (need > buffer_.size()) {
      std::string bigger(std::max(need, buffer_.size() * 2), '\0');
      std::memcpy(bigger.data(), buffer_.data() + begin_, end_ - begin_);
      buffer_.swap(bigger);
      buffer_offset_ += begin_;
      end_ -= begin_;
      begin_ = 0;
    } else if (begin_ + need > buffer_.size()) {
      std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
      buffer_offset_ += begin_;
      end_ -= begin_;
      begin_ = 0;
    }
    while (end_ - begin_ < need) {
      const uint64_t at = buffer_offset_ + end_;
      const size_t want =
          static_cast<size_t>(std::min<uint64_t>(buffer_.size() - end_, file_end_ - at));
      GG_ASSIGN_OR_RETURN(size_t got,
                          ReadAt(fd_, buffer_.data() + end_, want, at, path_));
      if (got == 0) {
        return absl::DataLossError(
            absl::StrCat(path_, ": offset ", at, ": file shrank while being read"));
      }
      end_ += got;
    }
    return absl::OkStatus();
  }

  const char* data() const { return buffer_.data() + begin_; }
  void Skip(size_t n) { begin_ += n; }

 private:
  int fd_;
  const std::string& path_;
  std::string buffer_;
  uint64_t buffer_offset_;  // file offset of buffer_[0]
  size_t begin_ = 0;
  size_t end_ = 0;
  uint64_t file_end_;
};

}  // namespace

absl::StatusOr<SegmentScan> ScanSegment(
    const std::string& path, const SegmentScanOptions& options,
    absl::FunctionRef<absl::Status(uint64_t sequence, absl::string_view record)>
        on_record) {
  GG_ASSIGN_OR_RETURN(ScopedFd fd, OpenFile(path, O_RDONLY));
  return ScanOpenSegment(fd.get(), path, options, on_record);
}

absl::StatusOr<SegmentScan> ScanOpenSegment(
    int fd, const std::string& path, const SegmentScanOptions& options,
    absl::FunctionRef<absl::Status(uint64_t sequence, absl::string_view record)>
        on_record) {
  struct stat st;
  if (::fstat(fd, &st) != 0) return ErrnoStatus("fstat", path, errno);
  const uint64_t file_end =
      std::min<uint64_t>(static_cast<uint64_t>(st.st_size), options.limit);

  SegmentScan scan;
  uint64_t pos = options.start_offset;
  if (pos == 0) {
    char header[kSegmentHeaderBytes];
    GG_ASSIGN_OR_RETURN(size_t got, ReadAt(fd, header, sizeof(header), 0, path));
    absl::StatusOr<uint64_t> first =
        DecodeSegmentHeader(absl::string_view(header, got), path);
    if (!first.ok()) {
      if (!options.stop_at_damage || !absl::IsDataLoss(first.status())) {
        return first.status();
      }
      scan.damage = first.status();
      return scan;
    }
    scan.first_sequence = *first;
    pos = kSegmentHeaderBytes;
  } else {
    scan.first_sequence = options.start_sequence;
  }
  BlockReader reader(fd, path, pos, file_end);
  uint64_t sequence = scan.first_sequence;

  // Damage at `pos` that would be a torn tail: one if allowed, otherwise data loss.
  auto tail = [&](absl::string_view why) -> absl::Status {
    if (!options.allow_torn_tail) {
      return absl::DataLossError(
          absl::StrCat(path, ": offset ", pos, ": record ", sequence, ": ", why));
    }
    scan.torn_tail = true;
    return absl::OkStatus();
  };
  // Damage returns kDataLoss; the loop's end says where (pos).
  auto scan_records = [&]() -> absl::Status {
    while (pos < file_end) {
      if (sequence >= options.stop_before) {
        scan.stopped = true;
        break;
      }
      const uint64_t remaining = file_end - pos;
      if (remaining < kFrameHeaderBytes) {
        GG_RETURN_IF_ERROR(tail("partial record header at the end of the segment"));
        break;
      }
      GG_RETURN_IF_ERROR(reader.Ensure(kFrameHeaderBytes));
      const uint32_t length = LoadU32(reader.data());
      if (LengthCheck(reader.data(), sequence) != LoadU32(reader.data() + 4)) {
        GG_ASSIGN_OR_RETURN(bool zeros, AllZero(fd, path, pos, file_end));
        if (zeros) {
          GG_RETURN_IF_ERROR(tail("zero bytes at the end of the segment"));
          break;
        }
        return absl::DataLossError(absl::StrCat(path, ": offset ", pos, ": record ",
                                                sequence, ": header checksum mismatch"));
      }
      if (length > kMaxRecordBytesLimit) {
        return absl::DataLossError(absl::StrCat(path, ": offset ", pos, ": record ",
                                                sequence, ": length ", length,
                                                " exceeds the limit"));
      }
      const uint64_t frame = kFrameHeaderBytes + uint64_t{length};
      if (frame > remaining) {
        GG_RETURN_IF_ERROR(tail("record runs past the end of the segment"));
        break;
      }
      GG_RETURN_IF_ERROR(reader.Ensure(static_cast<size_t>(frame)));
      const absl::string_view payload(reader.data() + kFrameHeaderBytes, length);
      if (PayloadCheck(payload, sequence) != LoadU64(reader.data() + 8)) {
        if (frame == remaining) {
          GG_RETURN_IF_ERROR(tail("last record's checksum mismatch"));
          break;
        }
        return absl::DataLossError(absl::StrCat(path, ": offset ", pos, ": record ",
                                                sequence, ": checksum mismatch"));
      }
      if (sequence > options.deliver_after && sequence <= options.deliver_through) {
        // The consumer's error (say, a record it cannot decode) says what; this says
        // where.
        if (absl::Status s = on_record(sequence, payload); !s.ok()) {
          return absl::Status(s.code(),
                              absl::StrCat(path, ": offset ", pos, ": ", s.message()));
        }
      }
      reader.Skip(static_cast<size_t>(frame));
      pos += frame;
      ++sequence;
      ++scan.records;
    }
    return absl::OkStatus();
  };
  absl::Status status = scan_records();
  scan.valid_end = pos;
  if (!status.ok()) {
    if (!options.stop_at_damage || !absl::IsDataLoss(status)) return status;
    scan.damage = std::move(status);
  }
  return scan;
}

absl::StatusOr<std::optional<uint64_t>> FindRecord(const std::string& path, uint64_t from,
                                                   uint64_t sequence) {
  GG_ASSIGN_OR_RETURN(ScopedFd fd, OpenFile(path, O_RDONLY));
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return ErrnoStatus("fstat", path, errno);
  const uint64_t file_end = static_cast<uint64_t>(st.st_size);
  // Blocks overlap by a frame header, so that every offset's header is whole in one.
  std::string block(kBlockBytes, '\0');
  std::string payload;
  for (uint64_t at = from; at + kFrameHeaderBytes <= file_end;) {
    GG_ASSIGN_OR_RETURN(size_t got,
                        ReadAt(fd.get(), block.data(), block.size(), at, path));
    if (got < kFrameHeaderBytes) break;  // the file shrank
    for (size_t i = 0; i + kFrameHeaderBytes <= got; ++i) {
      const char* frame = block.data() + i;
      if (LengthCheck(frame, sequence) != LoadU32(frame + 4)) continue;
      const uint32_t length = LoadU32(frame);
      const uint64_t payload_at = at + i + kFrameHeaderBytes;
      if (length > kMaxRecordBytesLimit || payload_at + length > file_end) continue;
      payload.resize(length);
      GG_ASSIGN_OR_RETURN(size_t read,
                          ReadAt(fd.get(), payload.data(), length, payload_at, path));
      if (read == length && PayloadCheck(payload, sequence) == LoadU64(frame + 8)) {
        return at + i;
      }
    }
    at += got - kFrameHeaderBytes + 1;
  }
  return std::nullopt;
}

}  // namespace groupguard::internal
