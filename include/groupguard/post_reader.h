#ifndef GROUPGUARD_POST_READER_H_
#define GROUPGUARD_POST_READER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace groupguard {

// One record of a post dump.
struct Post {
  std::string id;
  std::string text;
  std::optional<bool> is_spam;  // the label, if the record has one
  std::string author;           // "" if absent or null
  std::string group;            // "" if absent or null
  std::string time;             // as written in the dump; "" if absent or null
  int64_t line = 0;             // 1-based line where the record starts
};

enum class DumpFormat : uint8_t {
  kJsonLines = 0,  // {"id":..,"text":..,"label":"spam"|"ham",...}, unknown keys ignored,
                   // a known key given twice is a malformed record
  kCsv = 1,        // RFC 4180, with a header row: a " opens a quoted field only as
                   // a field's first byte (elsewhere it makes the record malformed);
                   // a quote still open max_record_bytes after its record's start,
                   // or at the end, makes a malformed record of its line
  kTsv = 2,        // tab-separated, with a header row; no quoting (a newline always
                   // ends a record, quotes are kept)
};

// CSV/TSV: the fields whose column a header must have (PostReaderOptions).
struct RequiredColumns {
  bool id = false;
  bool label = false;  // no effect when label_field is empty (no label is read)
  bool author = false;
  bool group = false;
  bool time = false;
};

struct PostReaderOptions {
  DumpFormat format = DumpFormat::kJsonLines;
  // Columns (CSV/TSV) or keys (JSON Lines) to read. The text column is required; a
  // missing column of another field is that field absent (null) in every record,
  // unless required_columns says otherwise.
  std::string text_field = "text";
  std::string id_field = "id";
  // "spam"/"ham", also "1"/"0", true/false and t/f (PostgreSQL's booleans), any
  // case. Empty: labels are not read (every post's is_spam is unset, and a label
  // field is just another ignored one).
  std::string label_field = "label";
  // Who posted, where and when (what `groupguard replay` needs). Empty: not read (the
  // post's field stays "").
  std::string author_field = "author";
  std::string group_field = "group";
  std::string time_field = "time";
  // CSV/TSV: fields whose column the header must have, as it must have the text
  // column: Open() fails with `no column "NAME" in the header (columns: ...)` without
  // one. For a column name a user gave explicitly, where a typo would otherwise read
  // as a dump whose every record lacks the field. JSON Lines has no header: a missing
  // key is absent from that record only, required or not.
  RequiredColumns required_columns;
  // CSV/TSV: the spelling of SQL's NULL in the dump, as PostgreSQL COPY's NULL
  // option: "\N" (MySQL's SELECT ... INTO OUTFILE, mysqldump --tab, PostgreSQL's text
  // COPY), "NULL" (other tools). A field equal to it is null, whatever its column:
  // the id, author, group and time "", the label unset (unlabeled), and a null text a
  // malformed record (as a JSON null text is). A quoted CSV field never is ("\N" in
  // quotes is the two characters), as in COPY; TSV has no quoting, so the field is
  // compared as written. Compared exactly (case and spaces count). Empty (the
  // default): no field is null. It may not hold a newline, a carriage return or the
  // format's separator. JSON Lines ignores it (it has null).
  std::string null_value;
  // A record longer than this is an error, not an allocation. 1 KiB..1 GiB.
  size_t max_record_bytes = size_t{64} << 20;
};

// Streams posts from a file or stdin in bounded memory. Not thread-safe.
class PostReader {
 public:
  virtual ~PostReader() = default;

  // Opens `path` ("-" is standard input). Returns kNotFound / kPermissionDenied if it
  // cannot be opened, kInvalidArgument for an empty path, bad options, a CSV/TSV header
  // without the text column or a required one (options.required_columns), or a header of
  // more than 10,000 columns.
  static absl::StatusOr<std::unique_ptr<PostReader>> Open(
      absl::string_view path, const PostReaderOptions& options);

  // Reads the next record into `post`. Returns false at the end of the input. A
  // malformed record returns kInvalidArgument naming "file:line: what"; the reader is
  // then positioned after that record, so a caller may skip it and continue. A text's
  // invalid UTF-8 is kept (CSV, TSV) or replaced by U+FFFD (JSON Lines, which cannot
  // hold it); an id, author or group (of the fields the options read) that is not
  // UTF-8 makes the record malformed, as two such ids would otherwise become one. An I/O
  // error returns kDataLoss / kUnavailable and ends the stream.
  virtual absl::StatusOr<bool> Next(Post* post) = 0;

  // The input's name in messages: the path, or "<stdin>".
  virtual const std::string& name() const = 0;
  // Input bytes consumed so far (read ahead by at most one block), for progress.
  virtual uint64_t bytes_consumed() const = 0;
  // The input's size in bytes, when known (a regular file).
  virtual std::optional<uint64_t> input_size() const = 0;
};

// Reads a whole dump into memory; fails on the first malformed record. Blank lines are
// skipped; a leading UTF-8 byte order mark and CRLF line ends are accepted. Invalid
// UTF-8 in a JSON Lines record, and an escaped surrogate without its other half
// (\ud83d), are replaced by U+FFFD rather than rejected, except in the id, author
// and group (PostReader::Next's malformed record).
absl::StatusOr<std::vector<Post>> ReadPosts(absl::string_view path,
                                            const PostReaderOptions& options = {});

}  // namespace groupguard

#endif  // GROUPGUARD_POST_READER_H_
