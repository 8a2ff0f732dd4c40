#ifndef GROUPGUARD_LIB_IO_BLOCK_READER_H_
#define GROUPGUARD_LIB_IO_BLOCK_READER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace groupguard::internal {

// Readable bytes guaranteed after the end of every block's data (simdjson needs 64).
inline constexpr size_t kBlockPadding = 64;

// A run of whole records read from a dump, followed by kBlockPadding readable bytes.
// Blocks may be recycled: a buffer passed back to BlockReader::Next is reused.
class RecordBlock {
 public:
  absl::string_view data() const { return absl::string_view(buffer_.get(), size_); }
  // Readable bytes from data().data() to the end of the padding.
  size_t capacity() const { return capacity_; }
  int64_t first_line() const { return first_line_; }  // 1-based line of data()[0]

 private:
  friend class BlockReader;
  // Grows the buffer to hold `bytes` plus padding, keeping the first size_ bytes.
  void Reserve(size_t bytes);

  std::unique_ptr<char[]> buffer_;
  size_t capacity_ = 0;  // allocated bytes, padding included
  size_t size_ = 0;
  int64_t first_line_ = 1;
};

struct BlockReaderOptions {
  // CSV quoting: a newline inside a quoted field does not end a record (see
  // FindCsvRecordEnd in csv_scan.h for the rule, an unterminated quote included).
  bool quoted_records = false;
  // A record longer than this (bytes) is an error. >= 1.
  size_t max_record_bytes = size_t{64} << 20;
  // Target bytes per block (a block holds at least one whole record). >= 1.
  size_t block_bytes = size_t{1} << 20;
};

// Reads a file or standard input in blocks of whole records (a record ends at a
// newline; with options.quoted_records, where FindCsvRecordEnd says). Drops a leading
// UTF-8 byte order mark. Memory: one partial record plus the caller's blocks. Not
// thread-safe.
class BlockReader {
 public:
  ~BlockReader();
  BlockReader(const BlockReader&) = delete;
  BlockReader& operator=(const BlockReader&) = delete;

  // Opens `path` ("-" is standard input). kNotFound, kPermissionDenied or
  // kInvalidArgument (a directory), with a message naming the path.
  static absl::StatusOr<std::unique_ptr<BlockReader>> Open(
      absl::string_view path, const BlockReaderOptions& options);

  // The name used in messages: the path, or "<stdin>".
  const std::string& name() const { return name_; }
  // The input's size in bytes when known (a regular file).
  std::optional<uint64_t> size() const { return size_; }
  // Input bytes consumed so far (through the end of the last block returned).
  uint64_t bytes_consumed() const { return consumed_; }
  // Whether the input started with a UTF-8 byte order mark, dropped from the first
  // block (known once Next() has returned the first block or the end): the
  // first block's line 1 starts 3 bytes before its data() then.
  bool dropped_bom() const { return dropped_bom_; }

  // Replaces `block` with the next whole records; returns false at the end of the
  // input. A record longer than max_record_bytes returns kInvalidArgument
  // "name:line: record longer than N bytes" as soon as it is seen; the next call
  // reads past the rest of it and goes on after it. A read error returns kDataLoss
  // and ends the stream.
  absl::StatusOr<bool> Next(RecordBlock* block);

 private:
  BlockReader(int fd, bool owns_fd, std::string name, std::optional<uint64_t> size,
              const BlockReaderOptions& options);
  // Appends up to `want` bytes from the input to `block` (size_ grows). Sets eof_.
  absl::Status Fill(RecordBlock* block, size_t want);
  // Returns the length of the longest prefix of `data` made of whole records, or 0.
  size_t RecordsPrefix(absl::string_view data);
  // Starts dropping an oversize record whose first bytes are `data` (no record end
  // among them).
  void StartSkipping(absl::string_view data);
  // Reads (into `scratch`) and drops input through the end of the record being
  // skipped; what follows it goes to pending_.
  absl::Status SkipRecord(RecordBlock* scratch);

  int fd_;
  bool owns_fd_;
  std::string name_;
  std::optional<uint64_t> size_;
  BlockReaderOptions options_;
  std::string pending_;  // bytes read past the last block: the start of a record
  bool eof_ = false;
  bool error_ = false;
  bool first_read_ = true;
  bool skipping_ = false;  // an oversize record's rest is still to be dropped
  bool dropped_bom_ = false;
  int64_t next_line_ = 1;
  uint64_t consumed_ = 0;
};

}  // namespace groupguard::internal

#endif  // GROUPGUARD_LIB_IO_BLOCK_READER_H_
