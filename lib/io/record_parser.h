#ifndef GROUPGUARD_LIB_IO_RECORD_PARSER_H_
#define GROUPGUARD_LIB_IO_RECORD_PARSER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "groupguard/post_reader.h"

namespace groupguard::internal {

// Parses the label spellings of a dump: "spam"/"ham", "1"/"0", "true"/"false",
// "t"/"f" (PostgreSQL's booleans) (any case, surrounding spaces ignored) into *label
// (true = spam); "" is no label (nullopt). Returns false, leaving *label alone, for any
// other spelling.
bool ParseLabel(absl::string_view value, std::optional<bool>* label);

// Why no unquoted field of `format` can be spelled `null_value` (PostReaderOptions),
// in words: "a newline, a comma or a double quote" (CSV), "a newline or a tab"
// (TSV), if it holds one of those; nullopt if it can be (and for JSON Lines, which
// ignores it).
std::optional<absl::string_view> NullValueFault(DumpFormat format,
                                                absl::string_view null_value);

// JSON Lines records that are flat objects of strings (escapes other than \u
// allowed) are parsed by a scanner of their own, which must give exactly the post and
// error simdjson gives. Turning it off sends every record to simdjson, so tests and
// fuzzers can compare the two. On by default; read once per record. Thread-safe, but
// meant for tests only: it changes no output, only speed.
void SetPlainJsonScannerForTesting(bool enabled);

// A post as RecordParser::NextView() reads it: the fields are views of the record's
// strings in the block it was read from, or of the parser's own copy of them.
struct PostView {
  absl::string_view id;
  absl::string_view text;
  std::optional<bool> is_spam;
  absl::string_view author;
  absl::string_view group;
  absl::string_view time;
  int64_t line = 0;
  // Whether every field is as a JSON string holds it, quotes aside: no '"', '\\'
  // or control character, well-formed UTF-8 (so writing one into JSON output
  // takes no escaping). Set for the records of the plain-record scanner that hold
  // no escape.
  bool json_plain = false;
};

// Parses records of one dump format out of blocks of whole records (BlockReader).
// Holds per-thread scratch (a simdjson parser): use one per thread; copies made with
// Clone() share nothing. Not thread-safe.
class RecordParser {
 public:
  ~RecordParser();
  RecordParser(RecordParser&&) noexcept;
  RecordParser& operator=(RecordParser&&) noexcept;

  // `source_name` names the input in messages. kInvalidArgument for bad options.
  static absl::StatusOr<RecordParser> Create(const PostReaderOptions& options,
                                             absl::string_view source_name);

  // True for CSV and TSV until the header record has been read.
  bool needs_header() const;
  // The input's name in messages (Create's `source_name`).
  absl::string_view source_name() const;
  // For CSV/TSV, reads the first non-blank record of `data` at *pos as the header
  // (Next() does this by itself when needed). Returns false if no record is left.
  // kInvalidArgument "name:line: no column "text" in the header (...)" when the text
  // column, or a column of options.required_columns, is missing. Same REQUIRES and
  // position rules as Next(). For JSON Lines, returns true and consumes nothing.
  absl::StatusOr<bool> ReadHeader(absl::string_view data, size_t* pos, int64_t* line);

  // Whether the input's first bytes were a UTF-8 byte order mark that is not in
  // the data this parser is given (BlockReader drops it: dropped_bom()). If so, a
  // byte offset in a message about line 1 counts those 3 bytes, as the input has
  // them before the line's first byte here. False by default.
  void SetDroppedBom(bool dropped);

  // A parser with the same options, header and SetDroppedBom(), and its own
  // scratch.
  RecordParser Clone() const;

  // Parses the record of `data` that starts at *pos (blank lines are skipped).
  // REQUIRES: `data` is followed by at least kBlockPadding readable bytes, and holds
  // whole records. Returns true with *post filled (post->line set from *line), false
  // when no record is left. A malformed record returns kInvalidArgument naming
  // "name:line: what"; in every case *pos and *line move past what was consumed, so
  // the caller may go on after an error.
  absl::StatusOr<bool> Next(absl::string_view data, size_t* pos, int64_t* line,
                            Post* post);

  // As Next(), without copying the fields: a JSON Lines record of plain strings
  // is read as views of `data` (a string with escapes other than \u as a view of
  // the parser's unescaped copy of it); any other record is read as Next()
  // reads it into the parser's own Post, which *post then views. *post stays valid
  // while `data` does, up to the next call.
  absl::StatusOr<bool> NextView(absl::string_view data, size_t* pos, int64_t* line,
                                PostView* post);
  // NextView() is these two in turn. NextPlainView(): the records the plain-record
  // scanner reads, without a StatusOr: true with *post, *pos and *line as
  // NextView() leaves them; false, with *pos and *line unchanged, for any other
  // record. NextOtherView(): that other record (or the end), read as Next() reads
  // it into the parser's own Post, which *post then views; the scanner does not try
  // it again.
  bool NextPlainView(absl::string_view data, size_t* pos, int64_t* line, PostView* post);
  absl::StatusOr<bool> NextOtherView(absl::string_view data, size_t* pos, int64_t* line,
                                     PostView* post);

  // The line and size in bytes of the record that Next(), NextView() or
  // NextOtherView() last began to read without the plain-record scanner (0 before
  // any): what it was reading when it threw std::bad_alloc, which leaves
  // NextOtherView()'s *post cleared (line 0). A record it cannot read for want of
  // memory otherwise is kResourceExhausted ("out of memory reading this record"),
  // not a bad record (kInvalidArgument).
  int64_t reading_line() const;
  size_t reading_bytes() const;

 private:
  // Next() for the records the plain-record scanner does not read.
  absl::StatusOr<bool> NextOtherwise(absl::string_view data, size_t* pos, int64_t* line,
                                     Post* post);

  struct Impl;
  explicit RecordParser(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace groupguard::internal

#endif  // GROUPGUARD_LIB_IO_RECORD_PARSER_H_
