#ifndef GROUPGUARD_LIB_IO_CSV_SCAN_H_
#define GROUPGUARD_LIB_IO_CSV_SCAN_H_

#include <cstddef>
#include <cstring>

#include "absl/strings/string_view.h"

namespace groupguard::internal {

// Where a CSV record ends. BlockReader (cutting the input into blocks of whole
// records, and dropping an oversize record's rest) and RecordParser (cutting a block
// into records) both call FindCsvRecordEnd, so they agree on every record's end.
//
// The rule (RFC 4180, with what a broken dump needs):
// - A double quote opens a quoted field only as the first byte of a field (at the
//   record's start or right after a comma). In a quoted field "" is a quote and a
//   lone " closes it. A quote anywhere else is an ordinary byte as far as record ends
//   go (the parser reports it: "double quote inside an unquoted field").
// - A newline ends the record unless it is inside a quoted field.
// - A quoted field still open max_record_bytes + 2 bytes after the start of its
//   record, or at the end of the input, is unterminated: the record ends at the end
//   of the line where its quote opened, and the next record starts on the next line
//   (a stray quote costs its own line, not the rest of the dump).
// - A record without an end in its first max_record_bytes + 2 bytes (the limit) and
//   no quoted field open there ends at the first newline after the limit.
struct CsvRecordEnd {
  size_t end = 0;  // the index of the record's '\n', or data.size()
  // The opening quote of a quoted field left unterminated (the record was cut after
  // that quote's line), or npos.
  size_t open_quote = absl::string_view::npos;
};

// Finds the end of the CSV record that starts at data[pos] (pos < data.size()).
// Returns false, when !at_eof, if `data` ends before that end can be known.
inline bool FindCsvRecordEnd(absl::string_view data, size_t pos, size_t max_record_bytes,
                             bool at_eof, CsvRecordEnd* out) {
  const char* const p = data.data();
  const size_t n = data.size();
  // The record's first max_record_bytes + 2 bytes decide where it ends.
  const bool reaches_limit = n - pos >= max_record_bytes + 2;
  const size_t limit = reaches_limit ? pos + max_record_bytes + 2 : n;
  // The first newline at or after `from`, or npos.
  const auto newline_from = [p, n](size_t from) {
    const void* nl = std::memchr(p + from, '\n', n - from);
    return nl == nullptr ? absl::string_view::npos
                         : static_cast<size_t>(static_cast<const char*>(nl) - p);
  };
  enum { kFieldStart, kUnquoted, kQuoted, kQuoteInQuoted } state = kFieldStart;
  size_t quote = 0;
  size_t i = pos;
  while (i < limit) {
    if (state == kQuoted) {
      // Long quoted texts are common: on to the next quote at once.
      const void* q = std::memchr(p + i, '"', limit - i);
      if (q == nullptr) {
        i = limit;
        break;
      }
      i = static_cast<size_t>(static_cast<const char*>(q) - p) + 1;
      state = kQuoteInQuoted;
      continue;
    }
    const char c = p[i];
    if (state == kQuoteInQuoted) {
      if (c == '"') {  // an escaped quote
        state = kQuoted;
        ++i;
        continue;
      }
      // The quote closed the field: c is read as outside quotes.
    } else if (state == kFieldStart && c == '"') {
      state = kQuoted;
      quote = i++;
      continue;
    }
    if (c == '\n') {
      out->end = i;
      out->open_quote = absl::string_view::npos;
      return true;
    }
    state = c == ',' ? kFieldStart : kUnquoted;
    ++i;
  }
  // No end before `limit`.
  if (!reaches_limit && !at_eof) return false;
  // At the limit a quote last before it may be an escaped one: the field counts as
  // open whatever byte follows. At the end of the input that quote closed it.
  const bool open = state == kQuoted || (state == kQuoteInQuoted && reaches_limit);
  size_t end;
  if (open) {
    end = newline_from(quote);
    out->open_quote = quote;
  } else {
    end = reaches_limit ? newline_from(limit) : n;
    out->open_quote = absl::string_view::npos;
  }
  if (end == absl::string_view::npos) {
    if (!at_eof) return false;
    end = n;
  }
  out->end = end;
  return true;
}

}  // namespace groupguard::internal

#endif  // GROUPGUARD_LIB_IO_CSV_SCAN_H_
