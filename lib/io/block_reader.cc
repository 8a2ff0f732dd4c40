#include "io/block_reader.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "io/csv_scan.h"
#include "util/file_util.h"
#include "util/platform.h"
#include "util/printable.h"

#if GROUPGUARD_HAVE_SSE2
#include <emmintrin.h>
#endif

namespace groupguard::internal {
namespace {

absl::Status OpenError(absl::string_view path, int err) {
  return absl::Status(ErrnoCode(err), absl::StrCat(path, ": ", std::strerror(err)));
}

// Counts '\n' eight bytes at a time (std::count is scalar at -O2): a byte of
// v = word ^ "\n\n..." is zero exactly where the word holds a newline, and
// ~(((v & 0x7f..) + 0x7f..) | v | 0x7f..) has its high bit set exactly there. Per-byte
// counts (at most 31 each, so their sum fits a byte) are added up by a multiply; no
// popcount instruction is assumed.
int64_t CountNewlines(absl::string_view data) {
  constexpr uint64_t kLow7 = 0x7f7f7f7f7f7f7f7fULL;
  constexpr uint64_t kNewlines = 0x0a0a0a0a0a0a0a0aULL;
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  const char* p = data.data();
  size_t n = data.size();
  int64_t count = 0;
#if GROUPGUARD_HAVE_SSE2
  // Sixteen bytes a vector where SSE2 is there (all of x86-64): a compare gives
  // 0xFF per newline, which per-lane counts take in, and PSADBW adds those up
  // before a lane could wrap.
  const __m128i newline = _mm_set1_epi8('\n');
  const __m128i zero = _mm_setzero_si128();
  // Four vectors a step (the loop's add, compare and branch once per 64 bytes),
  // their compares (0xFF, -1, a newline) added into one accumulator, whose lanes
  // are minus their newline counts, negated at the end: at most 63 steps, so
  // that a lane's count stays under 256. (With an accumulator a vector, or one
  // subtracted from, GCC copied it to another register and back every step.)
  while (n >= 64) {
    const size_t steps = std::min<size_t>(n / 64, 63);
    const char* const stop = p + steps * 64;
    __m128i minus_lanes = zero;
    do {
      const auto newlines_at = [p, newline](int i) {
        return _mm_cmpeq_epi8(
            _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * i)), newline);
      };
      minus_lanes = _mm_add_epi8(
          minus_lanes, _mm_add_epi8(_mm_add_epi8(newlines_at(0), newlines_at(1)),
                                    _mm_add_epi8(newlines_at(2), newlines_at(3))));
      p += 64;
    } while (p != stop);
    n -= steps * 64;
    const __m128i sums = _mm_sad_epu8(_mm_sub_epi8(zero, minus_lanes), zero);
    count += _mm_cvtsi128_si32(sums) + _mm_cvtsi128_si32(_mm_srli_si128(sums, 8));
  }
  while (n >= 16) {
    const size_t steps = std::min<size_t>(n / 16, 255);
    __m128i lanes = zero;
    for (size_t i = 0; i < steps; ++i, p += 16) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
      lanes = _mm_sub_epi8(lanes, _mm_cmpeq_epi8(v, newline));
    }
    n -= steps * 16;
    const __m128i sums = _mm_sad_epu8(lanes, zero);
    count += _mm_cvtsi128_si32(sums) + _mm_cvtsi128_si32(_mm_srli_si128(sums, 8));
  }
#endif
  while (n >= 8) {
    size_t words = std::min<size_t>(n / 8, 31);
    uint64_t per_byte = 0;
    for (size_t i = 0; i < words; ++i, p += 8) {
      uint64_t word;
      std::memcpy(&word, p, 8);
      uint64_t v = word ^ kNewlines;
      per_byte += (~(((v & kLow7) + kLow7) | v | kLow7)) >> 7;
    }
    n -= words * 8;
    count += static_cast<int64_t>((per_byte * kOnes) >> 56);
  }
  for (; n > 0; ++p, --n) count += *p == '\n';
  return count;
}

}  // namespace

void RecordBlock::Reserve(size_t bytes) {
  if (bytes + kBlockPadding <= capacity_) return;
  size_t capacity = std::max(bytes + kBlockPadding, capacity_ + capacity_ / 2);
  std::unique_ptr<char[]> buffer(new char[capacity]);
  if (size_ > 0) std::memcpy(buffer.get(), buffer_.get(), size_);
  buffer_ = std::move(buffer);
  capacity_ = capacity;
}

BlockReader::BlockReader(int fd, bool owns_fd, std::string name,
                         std::optional<uint64_t> size, const BlockReaderOptions& options)
    : fd_(fd),
      owns_fd_(owns_fd),
      name_(std::move(name)),
      size_(size),
      options_(options) {}

BlockReader::~BlockReader() {
  if (owns_fd_) close(fd_);
}

absl::StatusOr<std::unique_ptr<BlockReader>> BlockReader::Open(
    absl::string_view path, const BlockReaderOptions& options) {
  if (options.max_record_bytes < 1 || options.block_bytes < 1) {
    return absl::InvalidArgumentError("BlockReader: sizes must be >= 1");
  }
  int fd = 0;
  bool owns = false;
  std::string name = "<stdin>";
  if (path.empty()) return absl::InvalidArgumentError("empty file name");
  if (path.find('\0') != absl::string_view::npos) {  // the system would stop at it
    return absl::InvalidArgumentError(absl::StrCat(
        "file name \"", internal::PrintableLine(path), "\" has a NUL byte in it"));
  }
  if (path != "-") {
    name = std::string(path);
    do {
      fd = open(name.c_str(), O_RDONLY | O_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) return OpenError(path, errno);
    owns = true;
  }
  struct stat st;
  std::optional<uint64_t> size;
  if (fstat(fd, &st) == 0) {
    if (S_ISDIR(st.st_mode)) {
      if (owns) close(fd);
      return OpenError(name, EISDIR);  // as open() says it of other files
    }
    if (S_ISREG(st.st_mode)) {
      size = static_cast<uint64_t>(st.st_size);
      posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    }
  }
  return std::unique_ptr<BlockReader>(
      new BlockReader(fd, owns, std::move(name), size, options));
}

absl::Status BlockReader::Fill(RecordBlock* block, size_t want) {
  block->Reserve(block->size_ + want);
  ssize_t n;
  do {
    n = read(fd_, block->buffer_.get() + block->size_, want);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    const int err = errno;
    error_ = true;
    // Where: the bytes before this read (those handed out, a byte order mark
    // dropped, and what the block holds).
    return absl::Status(ErrnoCode(err),
                        absl::StrCat(name_, ": read failed at byte offset ",
                                     consumed_ + block->size_, ": ", std::strerror(err)));
  }
  if (n == 0) eof_ = true;
  block->size_ += static_cast<size_t>(n);
  // A byte order mark is the input's first three bytes: once a block has been
  // handed out (a first record under three bytes long, read in pieces), the bytes
  // at a block's start are another record's.
  if (first_read_ && consumed_ > 0) first_read_ = false;
  if (first_read_ && (block->size_ >= 3 || eof_)) {
    first_read_ = false;
    if (block->size_ >= 3 && std::memcmp(block->buffer_.get(), "\xEF\xBB\xBF", 3) == 0) {
      std::memmove(block->buffer_.get(), block->buffer_.get() + 3, block->size_ - 3);
      block->size_ -= 3;
      consumed_ += 3;
      dropped_bom_ = true;
    }
  }
  return absl::OkStatus();
}

size_t BlockReader::RecordsPrefix(absl::string_view data) {
  if (!options_.quoted_records) {
    const void* nl = memrchr(data.data(), '\n', data.size());
    return nl == nullptr ? 0 : static_cast<const char*>(nl) - data.data() + 1;
  }
  // Record by record, by the rule RecordParser cuts a block with.
  size_t pos = 0;
  CsvRecordEnd record;
  while (pos < data.size() &&
         FindCsvRecordEnd(data, pos, options_.max_record_bytes, eof_, &record)) {
    pos = record.end < data.size() ? record.end + 1 : record.end;
  }
  return pos;
}

void BlockReader::StartSkipping(absl::string_view data) {
  // `data` is the start of the record and holds no end of it: only its newlines
  // (for line numbers) matter.
  next_line_ += CountNewlines(data);
  consumed_ += data.size();
  skipping_ = true;
}

absl::Status BlockReader::SkipRecord(RecordBlock* scratch) {
  // An oversize record ends at the first newline after what was seen of it, quoted
  // or not (see FindCsvRecordEnd: past the limit, a quote leaves no field open).
  for (;;) {
    scratch->size_ = 0;
    if (eof_) {
      skipping_ = false;
      return absl::OkStatus();
    }
    absl::Status status = Fill(scratch, options_.block_bytes);
    if (!status.ok()) return status;
    const absl::string_view data = scratch->data();
    const void* nl = std::memchr(data.data(), '\n', data.size());
    if (nl != nullptr) {
      const size_t i = static_cast<size_t>(static_cast<const char*>(nl) - data.data());
      ++next_line_;
      pending_.assign(data.data() + i + 1, data.size() - i - 1);
      consumed_ += i + 1;
      skipping_ = false;
      return absl::OkStatus();
    }
    consumed_ += data.size();
  }
}

absl::StatusOr<bool> BlockReader::Next(RecordBlock* block) {
  block->size_ = 0;
  block->first_line_ = next_line_;
  if (error_) return false;
  if (skipping_) {
    // The rest of an oversize record reported by the previous call.
    absl::Status status = SkipRecord(block);
    if (!status.ok()) return status;
    block->size_ = 0;
    block->first_line_ = next_line_;
  }
  block->Reserve(std::max(options_.block_bytes, pending_.size()));
  if (!pending_.empty()) {
    std::memcpy(block->buffer_.get(), pending_.data(), pending_.size());
    block->size_ = pending_.size();
    pending_.clear();
  }
  size_t target = options_.block_bytes;
  size_t end = 0;
  for (;;) {
    while (!eof_ && block->size_ < target) {
      absl::Status status = Fill(block, target - block->size_);
      if (!status.ok()) return status;
    }
    end = eof_ ? block->size_ : RecordsPrefix(block->data());
    if (end > 0 || eof_) break;
    // The record has no end yet. It is too long once it holds more than
    // max_record_bytes bytes, not counting a final '\r' that may be the start of
    // its "\r\n" end (a record of max_record_bytes is read whatever its line end,
    // however the input falls into blocks).
    // (A CSV record's first max_record_bytes + 2 bytes decide where it ends:
    // FindCsvRecordEnd found it is longer.)
    const size_t max = options_.max_record_bytes;
    if (block->size_ > max + 1 ||
        (block->size_ == max + 1 && block->data().back() != '\r' &&
         !options_.quoted_records)) {
      // Reported now; the rest of the record is read and dropped by the next
      // call only, so a caller that stops here does not read on (an endless line
      // would otherwise be read to its end first).
      const int64_t line = next_line_;
      StartSkipping(block->data());
      block->size_ = 0;
      return absl::InvalidArgumentError(
          absl::StrCat(name_, ":", line, ": record longer than ",
                       options_.max_record_bytes, " bytes"));
    }
    target = std::min(std::max(target * 2, block->size_ + options_.block_bytes), max + 2);
  }
  if (end == 0) return false;
  pending_.assign(block->buffer_.get() + end, block->size_ - end);
  block->size_ = end;
  next_line_ += CountNewlines(block->data());
  consumed_ += end;
  return true;
}

}  // namespace groupguard::internal
