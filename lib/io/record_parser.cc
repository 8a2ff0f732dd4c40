#include "io/record_parser.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <iterator>
#include <tuple>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "io/block_reader.h"
#include "io/csv_scan.h"
#include "simdjson.h"
#include "utf8proc.h"
#include "util/platform.h"
#include "util/printable.h"

#if GROUPGUARD_HAVE_SSE2
#include <emmintrin.h>
#endif

namespace groupguard::internal {
namespace {

namespace od = simdjson::ondemand;

std::atomic<bool> plain_json_scanner_enabled{true};

bool IsBlank(absl::string_view s) {
  for (char c : s) {
    if (c != ' ' && c != '\t' && c != '\r') return false;
  }
  return true;
}

// The value of the four hex digits at p (at least 4 readable), or -1.
int Hex4(const unsigned char* p) {
  int value = 0;
  for (int i = 0; i < 4; ++i) {
    const int d = absl::ascii_isdigit(p[i])    ? p[i] - '0'
                  : p[i] >= 'a' && p[i] <= 'f' ? p[i] - 'a' + 10
                  : p[i] >= 'A' && p[i] <= 'F' ? p[i] - 'A' + 10
                                               : -1;
    if (d < 0) return -1;
    value = value * 16 + d;
  }
  return value;
}

// Copies a JSON record to `out`, replacing each invalid UTF-8 sequence and each
// escaped UTF-16 surrogate without its other half (\ud83d alone: what JSON
// encoders write for text cut inside an emoji) by U+FFFD, and escaping raw control
// characters inside strings (a raw NUL or tab in a string is invalid JSON, but a
// dump's text is scored, not rejected, for it). With `alternate`, the replacement is
// U+FFFC instead: a value that differs between the two repairs held something
// replaced (IdentityNotUtf8).
void RepairJson(absl::string_view in, std::string* out, bool alternate = false) {
  out->clear();
  out->reserve(in.size() + 16);
  const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(in.data());
  utf8proc_ssize_t left = static_cast<utf8proc_ssize_t>(in.size());
  bool in_string = false;
  bool escaped = false;
  while (left > 0) {
    const unsigned char c = *p;
    utf8proc_ssize_t n = 1;
    if (c < 0x80) {
      if (in_string && c < 0x20) {
        static const char kHex[] = "0123456789abcdef";
        const char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
        out->append(esc, 6);
        escaped = false;
      } else if (escaped && c == 'u' && left >= 5 && Hex4(p + 1) >= 0xD800 &&
                 Hex4(p + 1) <= 0xDFFF) {
        // A surrogate escape (its backslash is written): a high one followed by an
        // escaped low one is a pair, kept; any other is U+FFFD.
        escaped = false;
        const int high = Hex4(p + 1);
        if (high <= 0xDBFF && left >= 11 && p[5] == '\\' && p[6] == 'u' &&
            Hex4(p + 7) >= 0xDC00 && Hex4(p + 7) <= 0xDFFF) {
          n = 11;
          out->append(reinterpret_cast<const char*>(p), 11);
        } else {
          n = 5;
          out->append(alternate ? "uFFFC" : "uFFFD");
        }
      } else {
        out->push_back(static_cast<char>(c));
        if (escaped) {
          escaped = false;
        } else if (c == '\\' && in_string) {
          escaped = true;
        } else if (c == '"') {
          in_string = !in_string;
        }
      }
    } else {
      escaped = false;
      utf8proc_int32_t cp;
      n = utf8proc_iterate(p, left, &cp);
      if (n <= 0) {
        out->append(alternate ? "\xEF\xBF\xBC" : "\xEF\xBF\xBD");
        n = 1;
      } else {
        out->append(reinterpret_cast<const char*>(p), static_cast<size_t>(n));
      }
    }
    p += n;
    left -= n;
  }
}

// An error found inside a record: the caller adds "name:line: ".
struct RecordError {
  simdjson::error_code json = simdjson::SUCCESS;  // if from simdjson
  std::string what;
  bool after_object = false;  // `what` is about content after the JSON object
};

// Length of the well-formed UTF-8 sequence (Unicode Table 3-7: no overlong forms,
// surrogates or code points past U+10FFFF) of 2 to 4 bytes at p, or 0 if there is
// none before `end`. The same rule as simdjson's validation.
size_t Utf8SequenceLength(const unsigned char* p, const unsigned char* end) {
  const unsigned char c = p[0];
  size_t n;
  unsigned char low = 0x80, high = 0xBF;  // range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) low = 0xA0;
    if (c == 0xED) high = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) low = 0x90;
    if (c == 0xF4) high = 0x8F;
  } else {
    return 0;
  }
  if (static_cast<size_t>(end - p) < n) return 0;
  if (p[1] < low || p[1] > high) return 0;
  for (size_t i = 2; i < n; ++i) {
    if ((p[i] & 0xC0) != 0x80) return 0;
  }
  return n;
}

// The closing quote of the JSON string whose contents start at p, if the string
// holds only what needs no unescaping or repair: no backslash, no control
// character, well-formed UTF-8. nullptr otherwise, or if no quote comes before
// `end`. Bytes up to `readable_end` may be read (block padding); `last` is
// readable_end - 16, the last place a 16-byte load may start (given, so that it is
// computed once for a record's strings).
[[gnu::always_inline]] inline const unsigned char* PlainStringEnd(
    const unsigned char* p, const unsigned char* end, const unsigned char* last) {
  for (;;) {
#if GROUPGUARD_HAVE_SSE2
    // 16 bytes at a time to the first byte that is '"', '\\', a control character
    // or non-ASCII (as signed bytes, 0x80..0xFF are below 0x20 too), which is
    // then told apart at once; the byte loop below only for the last 15 bytes
    // before readable_end. Inlined: the constants stay in registers across a
    // record's strings.
    if (p <= last) {
      int mask;
      for (;;) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
        const __m128i special =
            _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
                                      _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
                         _mm_cmplt_epi8(v, _mm_set1_epi8(0x20)));
        mask = _mm_movemask_epi8(special);
        if (mask != 0) break;
        p += 16;
        if (p > last) break;
      }
      if (mask != 0) {
        p += __builtin_ctz(static_cast<unsigned>(mask));
        if (p >= end) return nullptr;
        if (*p == '"') return p;
        if (*p < 0x80) return nullptr;  // a backslash or a control character
        const size_t n = Utf8SequenceLength(p, end);
        if (n == 0) return nullptr;
        p += n;
        continue;
      }
    }
#endif
    while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\') ++p;
    if (p >= end) return nullptr;
    if (*p == '"') return p;
    if (*p < 0x80) return nullptr;  // a backslash or a control character
    const size_t n = Utf8SequenceLength(p, end);
    if (n == 0) return nullptr;
    p += n;
  }
}

bool IsJsonSpace(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// What makes a record that simdjson's On-Demand parser read without error broken
// JSON, as "broken JSON (what at byte N)" (N from 1 at the line's first byte, which
// is `lead` bytes before the record's: see Impl::Lead()), or "" if it is JSON.
// On-Demand checks only what it reads: a value of a key nobody reads is skipped by
// its brackets alone, and a number or literal read as a token (an id's 12) is not
// spelled out, so `tru`, `NaN`, `01`, `{]` or `[1,]` pass it. Bytes inside
// strings other than escapes are not checked here (simdjson validates UTF-8, and raw
// control characters are repaired, not rejected), nor is what follows the value.
// Iterative: any depth.
// When it returns "", *value_end (if given) is where the first non-space byte after
// the value is (record.size() if none).
std::string JsonSyntaxError(absl::string_view record, size_t lead,
                            size_t* value_end = nullptr) {
  const char* const p = record.data();
  const size_t n = record.size();
  const auto at = [lead](absl::string_view what, size_t i) {
    return absl::StrCat("broken JSON (", what, " at byte ", lead + i + 1, ")");
  };
  const auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
  // A value ends at whitespace, a comma, a closing bracket or the record's end.
  const auto ends_value = [p, n](size_t i) {
    return i == n || IsJsonSpace(static_cast<unsigned char>(p[i])) || p[i] == ',' ||
           p[i] == ']' || p[i] == '}';
  };
  std::string open;  // the brackets open at i, innermost last
  enum { kValue, kValueOrClose, kKey, kKeyOrClose, kAfter } state = kValue;
  size_t i = 0;
  for (;;) {
    while (i < n && IsJsonSpace(static_cast<unsigned char>(p[i]))) ++i;
    // What follows the value is ParseJson()'s to report.
    if (state == kAfter && open.empty()) {
      if (value_end != nullptr) *value_end = i;
      return "";
    }
    if (i == n) return at("the record ends inside a value", i);
    const char c = p[i];
    if (state == kAfter) {
      if (c == ',') {
        state = open.back() == '{' ? kKey : kValue;
        ++i;
      } else if (c == (open.back() == '{' ? '}' : ']')) {
        open.pop_back();
        ++i;
      } else {
        return at(open.back() == '{' ? "expected ',' or '}'" : "expected ',' or ']'", i);
      }
      continue;
    }
    if ((state == kValueOrClose && c == ']') || (state == kKeyOrClose && c == '}')) {
      open.pop_back();
      ++i;
      state = kAfter;
      continue;
    }
    const bool key = state == kKey || state == kKeyOrClose;
    if (c == '"') {
      const size_t start = i++;
      for (;;) {
#if GROUPGUARD_HAVE_SSE2
        while (n - i >= 16) {
          const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
          const int mask =
              _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
                                             _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))));
          if (mask != 0) {
            i += __builtin_ctz(static_cast<unsigned>(mask));
            break;
          }
          i += 16;
        }
#endif
        while (i < n && p[i] != '"' && p[i] != '\\') ++i;
        if (i == n) return at("a string not closed", start);
        if (p[i] == '"') break;
        // An escape: \" \\ \/ \b \f \n \r \t or \u and four hex digits.
        if (i + 1 < n && std::strchr("\"\\/bfnrt", p[i + 1]) != nullptr &&
            p[i + 1] != '\0') {
          i += 2;
        } else if (i + 5 < n && p[i + 1] == 'u' &&
                   Hex4(reinterpret_cast<const unsigned char*>(p + i + 2)) >= 0) {
          i += 6;
        } else {
          return at("bad escape in a string", i);
        }
      }
      ++i;
      if (key) {
        while (i < n && IsJsonSpace(static_cast<unsigned char>(p[i]))) ++i;
        if (i == n || p[i] != ':') return at("expected ':'", i);
        ++i;
        state = kValue;
      } else {
        state = kAfter;
      }
      continue;
    }
    if (key) return at(state == kKey ? "expected a key" : "expected a key or '}'", i);
    if (c == '{' || c == '[') {
      open.push_back(c);
      state = c == '{' ? kKeyOrClose : kValueOrClose;
      ++i;
      continue;
    }
    // A number or a literal, followed by the end of the value.
    const size_t start = i;
    if (c == '-' || is_digit(c)) {
      if (c == '-') ++i;
      if (i < n && p[i] == '0') {
        ++i;
      } else if (i < n && is_digit(p[i])) {
        while (i < n && is_digit(p[i])) ++i;
      } else {
        return at("not a JSON value", start);
      }
      if (i < n && p[i] == '.') {
        ++i;
        if (i == n || !is_digit(p[i])) return at("not a JSON value", start);
        while (i < n && is_digit(p[i])) ++i;
      }
      if (i < n && (p[i] == 'e' || p[i] == 'E')) {
        ++i;
        if (i < n && (p[i] == '+' || p[i] == '-')) ++i;
        if (i == n || !is_digit(p[i])) return at("not a JSON value", start);
        while (i < n && is_digit(p[i])) ++i;
      }
    } else {
      for (absl::string_view literal : {"true", "false", "null"}) {
        if (absl::StartsWith(record.substr(i), literal)) {
          i += literal.size();
          break;
        }
      }
    }
    if (i == start && absl::StartsWith(record.substr(start), "\xEF\xBB\xBF")) {
      // A file's first one is dropped (SetDroppedBom): this one is further on, as
      // in files joined with `cat`, which keeps each one's.
      return at("a UTF-8 byte order mark, not a JSON value", start);
    }
    if (i == start || !ends_value(i)) return at("not a JSON value", start);
    state = kAfter;
  }
}

// Why the first record of an input in UTF-16 (or UTF-32), such as Excel's "Unicode
// text" or a PowerShell redirection writes, cannot be read, or "": its byte order
// mark. Read as UTF-8, it would be broken JSON or a header without its columns.
absl::string_view Utf16Error(absl::string_view record, int64_t line) {
  if (line != 1 ||
      !(absl::StartsWith(record, "\xFF\xFE") || absl::StartsWith(record, "\xFE\xFF"))) {
    return "";
  }
  return "the input is UTF-16 or UTF-32 (it starts with a byte order mark of one); "
         "convert it to UTF-8";
}

// What is wrong with a JSON record whose object is followed by more than JSON's
// whitespace: the first byte after the object's whitespace is record[value_end].
// The record's line starts `lead` bytes before it.
std::string AfterObjectError(absl::string_view record, size_t value_end, size_t lead) {
  // JSON's whitespace, a lone \r included, separates the object from what follows.
  size_t lone_cr = absl::string_view::npos;
  for (size_t i = value_end;
       i > 0 && IsJsonSpace(static_cast<unsigned char>(record[i - 1])); --i) {
    if (record[i - 1] == '\r') lone_cr = i - 1;
  }
  if (lone_cr != absl::string_view::npos) {
    return absl::StrCat(
        "a carriage return (\\r) not followed by a newline after the JSON object at "
        "byte ",
        lead + lone_cr + 1,
        ": lines ended by a lone \\r are not read; convert them to \\n or \\r\\n");
  }
  return absl::StrCat("trailing content after the JSON object at byte ",
                      lead + value_end + 1);
}

// simdjson's description of `code` in the style of the other messages: lower case,
// no final period ("JSON document ended early in the middle of an object or array.").
std::string SimdjsonMessage(simdjson::error_code code) {
  std::string text = simdjson::error_message(code);
  while (!text.empty() && (text.back() == '.' || text.back() == ' ')) text.pop_back();
  if (text.size() > 1 && absl::ascii_isupper(static_cast<unsigned char>(text[0])) &&
      !absl::ascii_isupper(static_cast<unsigned char>(text[1]))) {
    text[0] = absl::ascii_tolower(static_cast<unsigned char>(text[0]));
  }
  return text;
}

// Only where JsonSyntaxError finds nothing to point at (a document nested too deep):
// elsewhere the record's own scan says what breaks and at which byte.
std::string JsonErrorText(simdjson::error_code code) {
  return absl::StrCat("broken JSON (", SimdjsonMessage(code), ")");
}

}  // namespace

void SetPlainJsonScannerForTesting(bool enabled) {
  plain_json_scanner_enabled.store(enabled, std::memory_order_relaxed);
}

bool ParseLabel(absl::string_view value, std::optional<bool>* label) {
  value = absl::StripAsciiWhitespace(value);
  if (value.empty()) {
    *label = std::nullopt;
    return true;
  }
  // "t"/"f": how PostgreSQL writes a boolean (COPY, psql --csv).
  if (absl::EqualsIgnoreCase(value, "spam") || value == "1" ||
      absl::EqualsIgnoreCase(value, "true") || absl::EqualsIgnoreCase(value, "t")) {
    *label = true;
    return true;
  }
  if (absl::EqualsIgnoreCase(value, "ham") || value == "0" ||
      absl::EqualsIgnoreCase(value, "false") || absl::EqualsIgnoreCase(value, "f")) {
    *label = false;
    return true;
  }
  return false;
}

std::optional<absl::string_view> NullValueFault(DumpFormat format,
                                                absl::string_view null_value) {
  if (format == DumpFormat::kJsonLines) return std::nullopt;
  const bool csv = format == DumpFormat::kCsv;
  if (null_value.find_first_of(csv ? "\n\r,\"" : "\n\r\t") == absl::string_view::npos) {
    return std::nullopt;
  }
  return csv ? "a newline, a comma or a double quote" : "a newline or a tab";
}

struct RecordParser::Impl {
  PostReaderOptions options;
  std::string name;
  od::parser json;
  std::string repaired;  // a record with its invalid UTF-8 replaced, plus padding

  // CSV / TSV.
  bool have_header = false;
  size_t columns = 0;
  int text_column = -1;
  int id_column = -1;
  int label_column = -1;
  int author_column = -1;
  int group_column = -1;
  int time_column = -1;
  // The fields of the record being parsed: the first `columns` of them (at most
  // kMaxColumns + 1 for a header), so a line of separators costs no more.
  struct Field {
    size_t begin = 0;  // in the record, quotes excluded
    size_t size = 0;
    bool escaped = false;  // holds "" to read as "
    bool quoted = false;   // CSV: was in quotes (so never options.null_value)
  };
  std::vector<Field> fields;
  size_t field_count = 0;  // all fields of the record, kept or not

  bool tabular() const { return options.format != DumpFormat::kJsonLines; }

  // The input's bytes on line 1 before the data this parser is given: 3 for a
  // byte order mark the block reader dropped (SetDroppedBom()), else 0.
  size_t line_one_lead = 0;
  // The record NextOtherwise() (or ReadHeader()) last began to read: its line and
  // size (RecordParser::reading_line()).
  int64_t reading_line = 0;
  size_t reading_bytes = 0;
  // The bytes of `line` before the first byte of the record that starts on it,
  // which a message's byte offsets count: they are the file's bytes of the line.
  size_t Lead(int64_t line) const { return line == 1 ? line_one_lead : 0; }

  absl::Status Error(int64_t line, absl::string_view what) const {
    return absl::InvalidArgumentError(absl::StrCat(name, ":", line, ": ", what));
  }

  // JSON Lines ---------------------------------------------------------------

  // The fields a JSON key gives (k*Bit, 0 for none): options may name one key for
  // more than one field, and each of them gets its value.
  uint32_t KeyBitsOf(absl::string_view key) const;
  // KeyBitsOf() for the plain-record scanner, whose keys are followed by at least
  // 8 readable bytes: a key of up to 8 bytes is loaded as one word and compared
  // with the words of the field names (key_words), without memcmp.
  uint32_t PlainKeyBitsOf(absl::string_view key) const;
  // Fills key_words from options. Called whenever options are set.
  void SetKeyWords();
  // A field name of up to 8 bytes as a word (its bytes, then zeros). The word
  // alone tells the name: a key the scanner reads holds no zero byte (no control
  // character), so two words are the same only for keys of the same size. A name
  // the key of no such record can match (longer than 8 bytes, an empty name that
  // reads no field, or one with a zero byte) has no word.
  struct KeyWord {
    uint64_t word = 0;
    uint32_t bits = 0;  // every field named so (options may name one key twice)
  };
  // The distinct words of the names, the text's first and the id's next: the
  // search stops at the first word that is the key's, so a dump's usual keys take
  // one or two compares (not one for each of the six names).
  KeyWord key_words[6];
  size_t key_word_count = 0;
  // The names of key_words that a key can spell without escapes (printable
  // ASCII other than '"' and '\\', at most 7 bytes), each as it is written in a
  // record with its closing quote: the first size + 1 bytes of `word`, which
  // `mask` keeps. The 8 bytes after a key's opening quote, masked, equal `word`
  // exactly when the key is that name (the name's bytes hold no quote, so the
  // quote after them is the key's end): the usual keys are told, and their end
  // found, without the string scan (ParsePlainJson()).
  struct QuotedKey {
    uint64_t word = 0;
    uint64_t mask = 0;
    uint32_t bits = 0;
    uint32_t size = 0;
  };
  QuotedKey quoted_keys[6];
  size_t quoted_key_count = 0;
  RecordError ParseJson(absl::string_view record, size_t capacity, Post* post);
  // The first fault of a record the plain-record scanner reads, in record order,
  // as views of the record: worded (PlainFaultText()) only when there is one, so
  // that the usual record builds and frees no string.
  struct PlainFault {
    enum Kind { kNone, kRepeatedKey, kNotALabel, kMissingText };
    Kind kind = kNone;
    absl::string_view what;  // the key given twice, or the label's value
  };
  // The message ParseJson() gives for `fault` ("" for kNone).
  std::string PlainFaultText(const PlainFault& fault) const;
  // *stop (if given) is set to the size of what the object and the spaces after
  // it take: `record` may run on past a newline there (see NextPlainJson()).
  // PostT is Post (fields copied) or PostView (fields pointing into `record`).
  template <typename PostT>
  bool ParsePlainJson(absl::string_view record, size_t capacity, PostT* post,
                      PlainFault* fault, size_t* stop = nullptr);
  // The plain-record scanner without the search for the record's end first: for
  // a record at data[*pos] that opens with '{', reads a plain record up to its
  // newline into *post and moves *pos and *line past it, as Next() would. Returns
  // false, moving nothing, for any record it does not read without error (which
  // Next() then reads as before); *post may have been written to.
  template <typename PostT>
  bool NextPlainJson(absl::string_view data, size_t* pos, int64_t* line, PostT* post);
  // What NextView() hands out for a record the plain-record scanner does not read.
  Post scratch;
  // The strings with escapes of the record the plain-record scanner reads, unescaped
  // (kUnescapedBytes and 16 bytes of slack, allocated with the parser for JSON Lines:
  // AllocateUnescaped()), the bytes of them in use, and whether there was one (so
  // NextView()'s post is not json_plain).
  std::string unescaped;
  // Allocated up front so that reading a record of plain strings into a PostView
  // allocates nothing: out of memory (std::bad_alloc) comes only from the other
  // records' path, which says which record it was reading (reading_line()).
  void AllocateUnescaped();
  size_t unescaped_used = 0;
  bool unescaped_any = false;
  // For the plain-record scanner: the string whose contents start at p, with the
  // escapes \" \\ \/ \b \f \n \r \t (not \u) unescaped into `unescaped`, as
  // simdjson unescapes them. Returns its closing quote with *out set, or nullptr if
  // the string holds any other escape, a control character or ill-formed UTF-8, has
  // no quote before `end`, or does not fit in what is left of `unescaped`
  // (simdjson then reads the record).
  // Bytes up to `last` + 16 may be read (as for PlainStringEnd()).
  const unsigned char* UnescapeString(const unsigned char* p, const unsigned char* end,
                                      const unsigned char* last, absl::string_view* out);
  absl::Status ParseJsonRecord(absl::string_view record, size_t capacity, int64_t line,
                               Post* post);
  // `record` repaired (RepairJson, with `alternate`'s replacement) into `*buffer`,
  // padded, and parsed into `post`.
  RecordError ParseRepaired(absl::string_view record, bool alternate, std::string* buffer,
                            Post* post);
  // For a record that parsed only once repaired (RepairJson) into `repaired_post`:
  // the error for its first id, author or group that held something the repair
  // replaced, or "".
  std::string IdentityNotUtf8(absl::string_view record, const Post& repaired_post);

  // CSV / TSV ----------------------------------------------------------------

  // Finds the end of the record at data[pos]: returns the index of its '\n' or
  // data.size(); adds the newlines inside the record to *newlines.
  size_t RecordEnd(absl::string_view data, size_t pos, int64_t* newlines) const;
  // Splits a record (no line terminator) that starts on `line`: counts its fields
  // in field_count and keeps the first `keep` in fields. Returns what is wrong with
  // it, or "". A \r outside quotes is wrong (LoneCarriageReturn).
  std::string SplitFields(absl::string_view record, int64_t line, size_t keep);
  // The value of a kept field of `record`, unescaped, into *out.
  static void FieldValue(absl::string_view record, const Field& field, std::string* out);
  absl::Status ParseTabular(absl::string_view record, int64_t line, Post* post);
  absl::Status SetHeader(absl::string_view record, int64_t line);

  // Returns the next non-blank record at *pos, advancing *pos and *line; false if
  // none is left. *record_line is the line where the record starts.
  bool NextRecord(absl::string_view data, size_t* pos, int64_t* line,
                  absl::string_view* record, int64_t* record_line) const;
};

namespace {

// One bit per field a record may give: a key given twice is an error, not a silent
// choice between two texts. Both parsers set a key's fields in this order (text
// first), so a record with more than one fault reports the same one.
// Columns a CSV/TSV header may have (a header of more is refused): bounds the
// scratch a record's fields take, whatever the line.
constexpr size_t kMaxColumns = 10000;

// Per-parser scratch (a repaired record, simdjson's buffers) is kept for the next
// record up to this size (bytes of record it can hold).
constexpr size_t kKeptScratchBytes = size_t{1} << 20;
// Room for the unescaped strings of one record read by the plain-record scanner; a
// record with more goes to simdjson.
constexpr size_t kUnescapedBytes = size_t{64} << 10;

constexpr uint32_t kTextBit = 1, kLabelBit = 2, kIdBit = 4, kAuthorBit = 8,
                   kGroupBit = 16, kTimeBit = 32;

std::string RepeatedKeyError(absl::string_view key) {
  return absl::StrCat("\"", Printable(key), "\" appears more than once");
}

// Where record[at] is, for a record (its line end stripped) that starts on `line`,
// `lead` bytes after the line's start (Impl::Lead()): " at byte N" of its line
// (from 1), and " of line L" when that is not `line` (a quoted field's newlines
// came before it).
std::string AtByte(absl::string_view record, int64_t line, size_t at, size_t lead) {
  const absl::string_view before = record.substr(0, at);
  const size_t newline = before.rfind('\n');
  const int64_t at_line = line + std::count(before.begin(), before.end(), '\n');
  const size_t byte = newline == absl::string_view::npos ? lead + at : at - newline - 1;
  return absl::StrCat(" at byte ", byte + 1,
                      at_line == line ? "" : absl::StrCat(" of line ", at_line));
}

// What is wrong with a CSV/TSV record (its line end stripped) that starts on `line`
// and has a \r at record[at] outside quotes. Such a \r ends no record: two lines
// ended by a lone \r (classic Mac, one line of a dump pasted together from several)
// would be read as one record, which the field count does not always catch (a text
// column alone, or a \r in the last field). A CSV writer quotes a field holding a
// \r; TSV has no quoting, so there a \r in a field cannot be told from a line end.
std::string LoneCarriageReturn(absl::string_view record, int64_t line, size_t at,
                               size_t lead, bool csv) {
  return absl::StrCat(
      "a carriage return (\\r) not followed by a newline", AtByte(record, line, at, lead),
      csv ? ", outside quotes" : "",
      ": lines ended by a lone \\r are not read (they would make one record); "
      "convert them to \\n or \\r\\n",
      csv ? " (a field holding a \\r must be quoted)"
          : " (TSV has no quoting: a field cannot hold a \\r)");
}

std::string NotALabelError(absl::string_view field, absl::string_view value) {
  return absl::StrCat("\"", Printable(field), "\" is \"",
                      Printable(absl::StripAsciiWhitespace(value)),
                      "\", not spam/ham, 1/0, true/false or t/f");
}

// An id, author or group that is not UTF-8 is a malformed record: it is not repaired
// as a text is, since two different ones (Latin-1 "Jos\xe9" and "Jos\xe8") would
// then be the same U+FFFD one, and a replay would take two members for one.
std::string IdentityNotUtf8Error(absl::string_view field, bool json) {
  return absl::StrCat(
      "\"", Printable(field), "\" is not valid UTF-8",
      json ? " (or holds half of an escaped surrogate pair)" : "",
      ": an id, author or group is not repaired as a text is, as two different ones "
      "would then be the same; convert the dump to UTF-8");
}

}  // namespace

// Inlined: the plain-record scanner calls it for every key.
[[gnu::always_inline]] inline uint32_t RecordParser::Impl::KeyBitsOf(
    absl::string_view key) const {
  return (key == options.text_field ? kTextBit : 0) |
         (key == options.label_field && !options.label_field.empty() ? kLabelBit : 0) |
         (key == options.id_field ? kIdBit : 0) |
         (key == options.author_field && !options.author_field.empty() ? kAuthorBit : 0) |
         (key == options.group_field && !options.group_field.empty() ? kGroupBit : 0) |
         (key == options.time_field && !options.time_field.empty() ? kTimeBit : 0);
}

namespace {

// The first `n` (at most 8) bytes of the word loaded from memory at p, the rest
// zeros: the word masked by a table, not by a shift computed from `n` (a shift by
// 64 would be undefined for n = 0).
struct KeyWordMasks {
  uint64_t mask[9];
  constexpr KeyWordMasks() : mask() {
    for (size_t n = 1; n <= 8; ++n) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
      mask[n] = ~uint64_t{0} << (64 - 8 * n);
#else
      mask[n] = ~uint64_t{0} >> (64 - 8 * n);
#endif
    }
  }
};
constexpr KeyWordMasks kKeyWordMasks;

inline uint64_t LoadKeyWord(const char* p, size_t n) {
  uint64_t word;
  std::memcpy(&word, p, sizeof(word));
  return word & kKeyWordMasks.mask[n];
}

}  // namespace

void RecordParser::Impl::SetKeyWords() {
  // As KeyBitsOf(): text and id match by name alone; the others only if named.
  // The text and the id first: the names most records have.
  const std::pair<const std::string*, uint32_t> names[6] = {
      {&options.text_field, kTextBit},   {&options.id_field, kIdBit},
      {&options.label_field, kLabelBit}, {&options.author_field, kAuthorBit},
      {&options.group_field, kGroupBit}, {&options.time_field, kTimeBit}};
  key_word_count = 0;
  for (const auto& [name_ptr, bit] : names) {
    const std::string& name = *name_ptr;
    const bool may_be_empty = bit == kTextBit || bit == kIdBit;
    if (name.size() > 8 || (name.empty() && !may_be_empty) ||
        name.find('\0') != std::string::npos) {
      continue;  // no key the scanner reads is this name
    }
    // LoadKeyWord() reads 8 bytes: the name is copied into 8 first.
    char buf[8] = {};
    std::memcpy(buf, name.data(), name.size());
    const uint64_t word = LoadKeyWord(buf, name.size());
    size_t i = 0;
    while (i < key_word_count && key_words[i].word != word) ++i;
    if (i == key_word_count) key_words[key_word_count++] = KeyWord{word, 0};
    key_words[i].bits |= bit;
  }
  // The same names with their closing quote, in the same order (so with the same
  // fields: equal names share an entry of key_words).
  quoted_key_count = 0;
  for (size_t i = 0; i < key_word_count; ++i) {
    char buf[8];
    std::memcpy(buf, &key_words[i].word, 8);  // the name, then zeros
    size_t size = 0;
    while (size < 8 && buf[size] != '\0') ++size;
    bool plain = size < 8;
    for (size_t j = 0; j < size; ++j) {
      plain &= buf[j] >= 0x20 && buf[j] < 0x7F && buf[j] != '"' && buf[j] != '\\';
    }
    if (!plain) continue;
    buf[size] = '"';
    quoted_keys[quoted_key_count++] =
        QuotedKey{LoadKeyWord(buf, size + 1), kKeyWordMasks.mask[size + 1],
                  key_words[i].bits, static_cast<uint32_t>(size)};
  }
}

[[gnu::always_inline]] inline uint32_t RecordParser::Impl::PlainKeyBitsOf(
    absl::string_view key) const {
  if (key.size() > 8) return KeyBitsOf(key);
  const uint64_t word = LoadKeyWord(key.data(), key.size());
  for (size_t i = 0; i < key_word_count; ++i) {
    if (key_words[i].word == word) return key_words[i].bits;
  }
  return 0;
}

RecordError RecordParser::Impl::ParseJson(absl::string_view record, size_t capacity,
                                          Post* post) {
  RecordError err;
  od::document doc;
  auto fail = [&err](simdjson::error_code code) {
    err.json = code;
    err.what = JsonErrorText(code);
    return err;
  };
  if (json.capacity() < record.size()) {
    // simdjson 3.0.1's On-Demand parser::allocate() does not check its string
    // buffer: when that allocation alone runs out it still returns SUCCESS, with no
    // buffer, and the parse writes through a null pointer. A second allocate()
    // returns at once when the buffer is there and makes it again when it is not
    // (a failure of the rest it reports: MEMALLOC).
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (const auto code = json.allocate(record.size(), json.max_depth())) {
        return fail(code);
      }
    }
  }
  simdjson::error_code code =
      json.iterate(simdjson::padded_string_view(record.data(), record.size(), capacity))
          .get(doc);
  if (code) return fail(code);
  od::object object;
  code = doc.get_object().get(object);
  if (code == simdjson::INCORRECT_TYPE) {
    err.what = "not a JSON object";
    return err;
  }
  if (code) return fail(code);
  bool have_text = false;
  uint32_t seen = 0;  // the fields read so far (k*Bit)
  for (auto field_result : object) {
    od::field field;
    if ((code = std::move(field_result).get(field))) return fail(code);
    std::string_view raw_key;
    if ((code = field.unescaped_key().get(raw_key))) return fail(code);
    absl::string_view key(raw_key.data(), raw_key.size());
    od::value value = field.value();
    const uint32_t bits = KeyBitsOf(key);
    if (bits == 0) continue;
    if (seen & bits) {
      err.what = RepeatedKeyError(key);
      return err;
    }
    seen |= bits;
    od::json_type type;
    if ((code = value.type().get(type))) return fail(code);
    // The value is read once, then given to every field the key names.
    std::string_view sv;
    bool boolean = false;
    if (type == od::json_type::string) {
      if ((code = value.get_string().get(sv))) {
        err.json = code;
        err.what = absl::StrCat("broken JSON (\"", Printable(key),
                                "\": ", SimdjsonMessage(code), ")");
        return err;
      }
    } else if (type == od::json_type::null) {
      bool is_null;
      if ((code = value.is_null().get(is_null))) return fail(code);
    } else if (type == od::json_type::number || type == od::json_type::boolean) {
      sv = value.raw_json_token();
      // A label checks its spelling (a field other than the label keeps the token).
      if (type == od::json_type::boolean && (bits & kLabelBit) &&
          (code = value.get_bool().get(boolean))) {
        return fail(code);
      }
    }
    const absl::string_view s(sv.data(), sv.size());
    if (bits & kTextBit) {
      if (type != od::json_type::string) {
        err.what = absl::StrCat("\"", options.text_field, "\" is not a string");
        return err;
      }
      post->text.assign(s.data(), s.size());
      have_text = true;
    }
    if (bits & kLabelBit) {
      if (type == od::json_type::null) {
        post->is_spam.reset();
      } else if (type == od::json_type::boolean) {
        post->is_spam = boolean;
      } else if (type == od::json_type::string || type == od::json_type::number) {
        std::optional<bool> label;
        if (!ParseLabel(s, &label)) {
          err.what = NotALabelError(options.label_field, s);
          return err;
        }
        post->is_spam = label;
      } else {
        err.what = absl::StrCat("\"", options.label_field, "\" is not a label");
        return err;
      }
    }
    for (const auto& [bit, out] :
         {std::pair{kIdBit, &post->id}, std::pair{kAuthorBit, &post->author},
          std::pair{kGroupBit, &post->group}, std::pair{kTimeBit, &post->time}}) {
      if (!(bits & bit)) continue;
      if (type == od::json_type::string) {
        out->assign(s.data(), s.size());
      } else if (type == od::json_type::null) {
        out->clear();
      } else if (type == od::json_type::number || type == od::json_type::boolean) {
        const absl::string_view token = absl::StripAsciiWhitespace(s);
        out->assign(token.data(), token.size());
      } else {
        err.what = absl::StrCat("\"", Printable(key), "\" is not a string");
        return err;
      }
    }
  }
  // After the object, the iterator must be out of bounds: nothing may follow.
  // (ParseJsonRecord words the error, from the record before any repair.)
  const char* after = nullptr;
  if (doc.current_location().get(after) == simdjson::SUCCESS) {
    err.what = "trailing content after the JSON object";
    err.after_object = true;
    return err;
  }
  if (!have_text) err.what = absl::StrCat("missing \"", options.text_field, "\"");
  return err;
}

namespace {

// A field of a post read by the plain-record scanner. Into a Post: by clear() and
// append(), cheaper than assign(), which allows for the source overlapping the
// string. Into a PostView: the string in the block itself.
inline void SetField(absl::string_view value, std::string* field) {
  field->clear();
  field->append(value.data(), value.size());
}
inline void SetField(absl::string_view value, absl::string_view* field) {
  *field = value;
}

template <typename PostT>
void ClearFields(PostT* post) {
  post->id = {};
  post->text = {};
  post->is_spam.reset();
  post->author = {};
  post->group = {};
  post->time = {};
}
inline void ClearFields(Post* post) {
  post->id.clear();
  post->text.clear();
  post->is_spam.reset();
  post->author.clear();
  post->group.clear();
  post->time.clear();
}

}  // namespace

// Most records of a dump are a flat object of strings, such as
// {"id": "p1", "text": "..."}, most of them without escapes (a string with
// \" \\ \/ \b \f \n \r or \t is unescaped into `unescaped`; \u goes to simdjson):
// those are parsed here, without simdjson's setup
// and passes over the record (measured: 1,250 instructions a record, half of
// them simdjson's stage 1). Returns false for any other record, which
// ParseJson() then parses; *post may have been written to. For every record it
// accepts, valid JSON by construction, the post and error are those
// ParseJson() gives: the same fields, the same messages (a repeated key is an
// error in both). A record holds no newline, so the JSON spaces skipped here are
// the others: `record` may then run on to the next records (NextPlainJson()), the
// object's end being followed by its newline, and every string stops at a newline
// (a control character).
// Inlined: into NextPlainJson() above all, the path of most records.
template <typename PostT>
[[gnu::always_inline]] inline bool RecordParser::Impl::ParsePlainJson(
    absl::string_view record, size_t capacity, PostT* post, PlainFault* fault,
    size_t* stop) {
  const auto* p = reinterpret_cast<const unsigned char*>(record.data());
  const unsigned char* const end = p + record.size();
  const unsigned char* const readable_end = p + capacity;
  const auto skip_space = [&] {
    // Most bytes here are no space: one comparison rules those out. (The byte at
    // `end` is readable: the record is followed by at least kBlockPadding bytes.)
    while (*p <= ' ' && p < end && (*p == ' ' || *p == '\t' || *p == '\r')) ++p;
  };
  // A string at p (its opening quote), returned without quotes; p moves past it.
  // A string with escapes is unescaped into the parser's buffer (out of line: 2.7%
  // of a dump's records have one, mostly \" in the text). `at_quote`: p is known
  // to be at a quote before `end` (punct_space_quote() matched), not tested again.
  const auto string = [&](absl::string_view* out, bool at_quote) {
    if (!at_quote && (p == end || *p != '"')) return false;
    const unsigned char* close = PlainStringEnd(p + 1, end, readable_end - 16);
    if (close == nullptr) {
      // Through a view of its own: `out` (the key or the value) is not made to
      // live in memory for the call.
      absl::string_view unescaped_string;
      close = UnescapeString(p + 1, end, readable_end - 16, &unescaped_string);
      if (close == nullptr) return false;
      *out = unescaped_string;
      p = close + 1;
      return true;
    }
    *out = absl::string_view(reinterpret_cast<const char*>(p + 1),
                             static_cast<size_t>(close - p - 1));
    p = close + 1;
    return true;
  };
  const auto set = [](absl::string_view value, auto* field) { SetField(value, field); };
  // Whether the record goes on with `c`, one space and a string's opening quote
  // (the usual `: "` after a key and `, "` after a value), compared on one masked
  // 4-byte load (the bytes past `end` are readable); p then moves to the quote.
  // All three bytes must be the record's, so that string() need not test the
  // quote again. The other spacings go through the general steps below.
  const auto punct_space_quote = [&](char c) {
    const char want_bytes[4] = {c, ' ', '"', 0};
    const unsigned char mask_bytes[4] = {0xFF, 0xFF, 0xFF, 0};
    uint32_t x, want, mask;
    std::memcpy(&x, p, 4);
    std::memcpy(&want, want_bytes, 4);
    std::memcpy(&mask, mask_bytes, 4);
    if (end - p < 3 || (x & mask) != want) return false;
    p += 2;
    return true;
  };
  unescaped_used = 0;
  unescaped_any = false;
  skip_space();
  if (p == end || *p != '{') return false;
  ++p;
  skip_space();
  bool have_text = false;
  uint32_t seen = 0;  // as in ParseJson()
  PlainFault first;   // the first bad label or repeated key, in record order
  if (p < end && *p == '}') {
    ++p;
  } else {
    bool key_at_quote = false;  // `, "` matched before the key
    for (;;) {
      absl::string_view key, value;
      uint32_t bits = 0;
      // A key that is a name of the options, with its quote (quoted_keys): 8
      // bytes from the opening quote on, compared with each name. The quote must
      // come before `end`, as string() finds it (a key past `end` would fail at
      // its value anyway: the test keeps the rule plain). Other keys, a few
      // compares later, are read as strings.
      bool known = false;
      if (key_at_quote || (p < end && *p == '"')) {
        uint64_t word;
        std::memcpy(&word, p + 1, sizeof(word));
        for (size_t i = 0; i < quoted_key_count; ++i) {
          const QuotedKey& k = quoted_keys[i];
          if ((word & k.mask) == k.word && k.size < static_cast<size_t>(end - p - 1)) {
            key = absl::string_view(reinterpret_cast<const char*>(p + 1), k.size);
            bits = k.bits;
            p += k.size + 2;
            known = true;
            break;
          }
        }
      }
      if (!known) {
        if (!string(&key, key_at_quote)) return false;
        bits = PlainKeyBitsOf(key);
      }
      const bool value_at_quote = punct_space_quote(':');
      if (!value_at_quote) {
        skip_space();
        if (p == end || *p != ':') return false;
        ++p;
        skip_space();
      }
      if (!string(&value, value_at_quote)) return false;
      // Errors are reported once the whole record is known to be plain JSON:
      // ParseJson() would report a broken record, found before any field, instead.
      if ((seen & bits) != 0 && first.kind == PlainFault::kNone) {
        first = PlainFault{PlainFault::kRepeatedKey, key};
      }
      seen |= bits;
      // The usual keys, each naming one field, on one compare.
      if (bits == kTextBit) {
        set(value, &post->text);
        have_text = true;
      } else if (bits == kIdBit) {
        set(value, &post->id);
      } else if (bits != 0) {
        if (bits & kTextBit) {
          set(value, &post->text);
          have_text = true;
        }
        if (bits & kLabelBit) {
          std::optional<bool> label;
          if (!ParseLabel(value, &label) && first.kind == PlainFault::kNone) {
            first = PlainFault{PlainFault::kNotALabel, value};
          }
          post->is_spam = label;
        }
        if (bits & kIdBit) set(value, &post->id);
        if (bits & kAuthorBit) set(value, &post->author);
        if (bits & kGroupBit) set(value, &post->group);
        if (bits & kTimeBit) set(value, &post->time);
      }
      key_at_quote = punct_space_quote(',');
      if (key_at_quote) continue;
      // The object's end, straight after its last value as a dump writes it; the
      // other spacings through the general steps.
      if (p < end && *p == '}') {
        ++p;
        break;
      }
      skip_space();
      if (p == end) return false;
      if (*p == '}') {
        ++p;
        break;
      }
      if (*p != ',') return false;
      ++p;
      skip_space();
    }
  }
  // Usually the newline straight after the object: no spaces to skip.
  if (p != end && *p != '\n') {
    skip_space();
    // Trailing content: ParseJson() words the error.
    if (p != end && *p != '\n') return false;
  }
  if (stop != nullptr) {
    *stop =
        static_cast<size_t>(p - reinterpret_cast<const unsigned char*>(record.data()));
  }
  if (first.kind == PlainFault::kNone && !have_text) {
    first.kind = PlainFault::kMissingText;
  }
  *fault = first;
  return true;
}

std::string RecordParser::Impl::PlainFaultText(const PlainFault& fault) const {
  switch (fault.kind) {
    case PlainFault::kNone:
      return "";
    case PlainFault::kRepeatedKey:
      return RepeatedKeyError(fault.what);
    case PlainFault::kNotALabel:
      return NotALabelError(options.label_field, fault.what);
    case PlainFault::kMissingText:
      return absl::StrCat("missing \"", options.text_field, "\"");
  }
  return "";
}

const unsigned char* RecordParser::Impl::UnescapeString(const unsigned char* p,
                                                        const unsigned char* end,
                                                        const unsigned char* last,
                                                        absl::string_view* out) {
  // The slack lets PlainKeyBitsOf() load 8 bytes at a key's start.
  if (unescaped.empty()) unescaped.resize(kUnescapedBytes + 16);
  char* const begin = unescaped.data() + unescaped_used;
  char* const limit = unescaped.data() + kUnescapedBytes;
  char* w = begin;
  while (p < end) {
    const unsigned char c = *p;
    if (c == '"') {
      *out = absl::string_view(begin, static_cast<size_t>(w - begin));
      unescaped_used += static_cast<size_t>(w - begin);
      unescaped_any = true;
      return p;
    }
    if (limit - w < 16) return nullptr;  // room for 16 bytes
#if GROUPGUARD_HAVE_SSE2
    // 16 bytes copied at a time up to the next '"', '\\', control character or
    // non-ASCII byte (as in PlainStringEnd()), which is then read below.
    if (p <= last && c >= 0x20 && c < 0x80 && c != '\\') {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(w), v);
      const int mask = _mm_movemask_epi8(
          _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
                                    _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
                       _mm_cmplt_epi8(v, _mm_set1_epi8(0x20))));
      const size_t n = mask == 0 ? 16 : __builtin_ctz(static_cast<unsigned>(mask));
      if (static_cast<size_t>(end - p) <= n) return nullptr;  // no quote before end
      p += n;
      w += n;
      continue;
    }
#endif
    if (c == '\\') {
      if (end - p < 2) return nullptr;
      char e;
      switch (p[1]) {
        case '"':
          e = '"';
          break;
        case '\\':
          e = '\\';
          break;
        case '/':
          e = '/';
          break;
        case 'b':
          e = '\b';
          break;
        case 'f':
          e = '\f';
          break;
        case 'n':
          e = '\n';
          break;
        case 'r':
          e = '\r';
          break;
        case 't':
          e = '\t';
          break;
        default:
          return nullptr;  // \u (surrogates are repaired) or a bad escape
      }
      *w++ = e;
      p += 2;
    } else if (c < 0x20) {
      return nullptr;  // a control character: repaired by the general path
    } else if (c < 0x80) {
      *w++ = static_cast<char>(c);
      ++p;
    } else {
      const size_t n = Utf8SequenceLength(p, end);
      if (n == 0) return nullptr;
      std::memcpy(w, p, n);
      w += n;
      p += n;
    }
  }
  return nullptr;
}

// Inlined into Next() and NextPlainView(): no call a record.
template <typename PostT>
[[gnu::always_inline]] inline bool RecordParser::Impl::NextPlainJson(
    absl::string_view data, size_t* pos, int64_t* line, PostT* post) {
  // The record starts with '{': it is no blank line, and has no byte order mark.
  const absl::string_view rest = data.substr(*pos);
  ClearFields(post);
  post->line = 0;  // until it is read (an exception meanwhile finds no record)
  PlainFault fault;
  size_t stop;
  // A record with a fault is left to Next(), which reports it.
  if (!ParsePlainJson(rest, rest.size() + kBlockPadding, post, &fault, &stop) ||
      fault.kind != PlainFault::kNone) {
    return false;
  }
  // The record as NextRecord() cuts it, the line without the \r's at its end, is
  // no longer than `stop`: it is measured only when `stop` is over the limit.
  if (stop > options.max_record_bytes) {
    size_t size = stop;
    while (size > 0 && rest[size - 1] == '\r') --size;
    if (size > options.max_record_bytes) return false;  // Next()'s error
  }
  post->line = *line;
  if (stop < rest.size()) {  // at the newline
    *pos += stop + 1;
    ++*line;
  } else {
    *pos = data.size();
  }
  return true;
}

RecordError RecordParser::Impl::ParseRepaired(absl::string_view record, bool alternate,
                                              std::string* buffer, Post* post) {
  RepairJson(record, buffer, alternate);
  const size_t size = buffer->size();
  buffer->append(kBlockPadding, ' ');
  return ParseJson(absl::string_view(buffer->data(), size), buffer->size(), post);
}

std::string RecordParser::Impl::IdentityNotUtf8(absl::string_view record,
                                                const Post& repaired_post) {
  constexpr absl::string_view kReplacement = "\xEF\xBF\xBD";
  const std::pair<const std::string*, const std::string*> fields[] = {
      {&repaired_post.id, &options.id_field},
      {&repaired_post.author, &options.author_field},
      {&repaired_post.group, &options.group_field}};
  if (std::none_of(std::begin(fields), std::end(fields), [kReplacement](const auto& f) {
        return absl::StrContains(*f.first, kReplacement);
      })) {
    return "";
  }
  // A U+FFFD is either the record's own or a repair's: repaired with another
  // replacement, a value that holds a repair's reads differently.
  std::string other;
  Post alternate;
  const RecordError err = ParseRepaired(record, /*alternate=*/true, &other, &alternate);
  if (err.json != simdjson::SUCCESS || !err.what.empty()) return "";  // same structure
  const std::string* alternates[] = {&alternate.id, &alternate.author, &alternate.group};
  for (size_t i = 0; i < std::size(fields); ++i) {
    if (*fields[i].first != *alternates[i]) {
      return IdentityNotUtf8Error(*fields[i].second, /*json=*/true);
    }
  }
  return "";
}

absl::Status RecordParser::Impl::ParseJsonRecord(absl::string_view record,
                                                 size_t capacity, int64_t line,
                                                 Post* post) {
  const auto clear = [post] {
    post->id.clear();
    post->text.clear();
    post->is_spam.reset();
    post->author.clear();
    post->group.clear();
    post->time.clear();
  };
  clear();
  post->line = line;
  if (const absl::string_view utf16 = Utf16Error(record, line); !utf16.empty()) {
    return Error(line, utf16);
  }
  RecordError err;
  bool on_demand = false;  // read by ParseJson(), not the plain-record scanner
  PlainFault fault;
  if (plain_json_scanner_enabled.load(std::memory_order_relaxed) &&
      ParsePlainJson(record, capacity, post, &fault)) {
    err.what = PlainFaultText(fault);
  } else {
    clear();  // of what the plain parse wrote before it gave up
    err = ParseJson(record, capacity, post);
    on_demand = true;
  }
  if (err.json == simdjson::UTF8_ERROR || err.json == simdjson::UNESCAPED_CHARS ||
      err.json == simdjson::STRING_ERROR) {
    // Invalid UTF-8, raw control characters and lone surrogate escapes are not
    // fatal: score the text with U+FFFD in place of bad bytes and halves of
    // surrogate pairs, and the control characters kept. (A string error of another
    // kind, such as \x, stays an error.)
    clear();
    post->line = line;
    err = ParseRepaired(record, /*alternate=*/false, &repaired, post);
    if (err.json == simdjson::SUCCESS && err.what.empty()) {
      err.what = IdentityNotUtf8(record, *post);
    }
  }
  // Scratch grown for a huge record is not kept for the records after it (a
  // simdjson parser takes several bytes per byte of its largest document).
  if (repaired.capacity() > kKeptScratchBytes) std::string().swap(repaired);
  if (json.capacity() > kKeptScratchBytes) json = od::parser();
  if (err.json == simdjson::MEMALLOC) {
    // The machine's limit, not the record's fault: no bad record to skip.
    return absl::ResourceExhaustedError(
        absl::StrCat(name, ":", line, ": out of memory reading this record (",
                     record.size(), " bytes)"));
  }
  // What On-Demand did not check (a record the plain scanner took is JSON), and
  // where what it found breaks (its own messages do not say: "JSON document ended
  // early"). The repair changes no structure, so the original record says where.
  if (on_demand) {
    size_t value_end = record.size();
    std::string broken = JsonSyntaxError(record, Lead(line), &value_end);
    if (!broken.empty()) {
      err.what = std::move(broken);
    } else if (err.after_object ||
               (err.json != simdjson::SUCCESS && value_end < record.size())) {
      // (On-Demand can fail on what follows the object: "document ended early".)
      err.what = AfterObjectError(record, value_end, Lead(line));
    }
  }
  if (err.what.empty()) return absl::OkStatus();
  return Error(line, err.what);
}

size_t RecordParser::Impl::RecordEnd(absl::string_view data, size_t pos,
                                     int64_t* newlines) const {
  if (options.format == DumpFormat::kTsv) {
    const void* nl = std::memchr(data.data() + pos, '\n', data.size() - pos);
    return nl == nullptr ? data.size() : static_cast<const char*>(nl) - data.data();
  }
  // By the rule BlockReader cut the input into blocks with: a block ends where a
  // record does (and, at the end of a block, data.size() is the end of the input).
  CsvRecordEnd record;
  FindCsvRecordEnd(data, pos, options.max_record_bytes, /*at_eof=*/true, &record);
  *newlines += std::count(data.begin() + pos, data.begin() + record.end, '\n');
  return record.end;
}

std::string RecordParser::Impl::SplitFields(absl::string_view record, int64_t line,
                                            size_t keep) {
  field_count = 0;
  const char sep = options.format == DumpFormat::kCsv ? ',' : '\t';
  const bool quoted = options.format == DumpFormat::kCsv;
  const size_t lead = Lead(line);
  size_t i = 0;
  const size_t n = record.size();
  // Rare: the unquoted fields are searched for one only when the record has one.
  const bool has_cr = std::memchr(record.data(), '\r', n) != nullptr;
  const auto add = [this, keep](size_t begin, size_t size, bool escaped, bool quoted) {
    if (field_count < keep) {
      if (field_count == fields.size()) fields.emplace_back();
      fields[field_count] = Field{begin, size, escaped, quoted};
    }
    ++field_count;
  };
  for (;;) {
    if (quoted && i < n && record[i] == '"') {
      const size_t quote_at = i++;
      bool escaped = false;
      for (;;) {
        const void* q = std::memchr(record.data() + i, '"', n - i);
        if (q == nullptr) {
          // Only at the end of the input or past max_record_bytes (FindCsvRecordEnd
          // ended the record with the quote's line).
          return absl::StrCat(
              "quoted field opened on line ",
              line + std::count(record.begin(), record.begin() + quote_at, '\n'),
              " is not closed");
        }
        const size_t at = static_cast<const char*>(q) - record.data();
        if (at + 1 < n && record[at + 1] == '"') {
          escaped = true;
          i = at + 2;
        } else {
          i = at + 1;
          break;
        }
      }
      add(quote_at + 1, i - 1 - (quote_at + 1), escaped, /*quoted=*/true);
      if (i == n) return "";
      if (record[i] == '\r') return LoneCarriageReturn(record, line, i, lead, quoted);
      if (record[i] != sep) {
        // A stray quote that opened a field swallows the lines up to the next
        // quote: say which, so the quote can be found.
        const int64_t opened =
            line + std::count(record.begin(), record.begin() + quote_at, '\n');
        const int64_t closed =
            opened + std::count(record.begin() + quote_at, record.begin() + i, '\n');
        const std::string where = AtByte(record, line, i, lead);
        if (opened == closed) {
          return absl::StrCat("unexpected character after a closing quote", where);
        }
        return absl::StrCat("unexpected character after a closing quote", where,
                            " (the quoted field runs from line ", opened, " to line ",
                            closed, ")");
      }
      ++i;
      continue;
    }
    const void* s = std::memchr(record.data() + i, sep, n - i);
    const size_t end = s == nullptr ? n : static_cast<const char*>(s) - record.data();
    if (has_cr) {
      if (const void* cr = std::memchr(record.data() + i, '\r', end - i)) {
        return LoneCarriageReturn(
            record, line, static_cast<const char*>(cr) - record.data(), lead, quoted);
      }
    }
    if (quoted) {
      if (const void* q = std::memchr(record.data() + i, '"', end - i)) {
        return absl::StrCat(
            "double quote inside an unquoted field",
            AtByte(record, line, static_cast<const char*>(q) - record.data(), lead));
      }
    }
    add(i, end - i, /*escaped=*/false, /*quoted=*/false);
    if (s == nullptr) return "";
    i = end + 1;
  }
}

void RecordParser::Impl::FieldValue(absl::string_view record, const Field& field,
                                    std::string* out) {
  const absl::string_view value = record.substr(field.begin, field.size);
  if (!field.escaped) {
    out->assign(value.data(), value.size());
    return;
  }
  out->clear();
  size_t i = 0;
  while (i < value.size()) {
    const size_t q = value.find('"', i);
    if (q == absl::string_view::npos) {
      out->append(value.data() + i, value.size() - i);
      break;
    }
    out->append(value.data() + i, q + 1 - i);  // through the first quote of ""
    i = q + 2;
  }
}

absl::Status RecordParser::Impl::SetHeader(absl::string_view record, int64_t line) {
  if (const absl::string_view utf16 = Utf16Error(record, line); !utf16.empty()) {
    return Error(line, absl::StrCat("header: ", utf16));
  }
  // A \r outside quotes is an error here too: with lines ended by a lone \r
  // (classic Mac, Excel's "CSV (Macintosh)"), which the reader does not split, this
  // "header" holds the whole dump, and with the text column named before the first
  // \r no record and no error would follow.
  std::string what = SplitFields(record, line, kMaxColumns + 1);
  if (!what.empty()) return Error(line, absl::StrCat("header: ", what));
  if (field_count > kMaxColumns) {
    return Error(
        line, absl::StrCat("header: ", field_count, " columns, more than ", kMaxColumns));
  }
  columns = field_count;
  std::vector<std::string> names(field_count);
  for (size_t i = 0; i < field_count; ++i) FieldValue(record, fields[i], &names[i]);
  // A column read twice would be ambiguous, as a repeated JSON key: an error. (An
  // empty label, author, group or time field name means no such column, not a
  // column named "".)
  std::vector<absl::string_view> read = {options.text_field, options.id_field};
  for (const std::string* name : {&options.label_field, &options.author_field,
                                  &options.group_field, &options.time_field}) {
    if (!name->empty()) read.push_back(*name);
  }
  for (absl::string_view name : read) {
    if (std::count(names.begin(), names.end(), name) > 1) {
      return Error(line,
                   absl::StrCat("header: column \"", name, "\" appears more than once"));
    }
  }
  auto find = [&names](absl::string_view name) {
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i] == name) return static_cast<int>(i);
    }
    return -1;
  };
  // The error for a column the header must have and lacks.
  auto missing = [&](absl::string_view column) {
    // The first columns only: a header may have thousands. Each quoted, so that a
    // stray space (`id, text`) or an empty name shows.
    constexpr size_t kListed = 20;
    std::string list = absl::StrJoin(
        names.begin(), names.begin() + std::min(names.size(), kListed), ", ",
        [](std::string* out, const std::string& name) {
          absl::StrAppend(out, "\"", Printable(name), "\"");
        });
    if (names.size() > kListed)
      absl::StrAppend(&list, ", ... (", names.size(), " in all)");
    return Error(line, absl::StrCat("no column \"", Printable(column),
                                    "\" in the header (columns: ", list, ")"));
  };
  // An empty name reads no column.
  auto find_field = [&find](const std::string& name) {
    return name.empty() ? -1 : find(name);
  };
  text_column = find(options.text_field);
  if (text_column < 0) return missing(options.text_field);
  id_column = find(options.id_field);
  label_column = find_field(options.label_field);
  author_column = find_field(options.author_field);
  group_column = find_field(options.group_field);
  time_column = find_field(options.time_field);
  // Columns named explicitly by the caller: a typo must not read as a dump whose
  // every record lacks the field (every id null, every post untimed). An empty name
  // asks for no column.
  const RequiredColumns& required = options.required_columns;
  for (const auto& [wanted, column, name] :
       {std::tuple{required.id, id_column, &options.id_field},
        std::tuple{required.label, label_column, &options.label_field},
        std::tuple{required.author, author_column, &options.author_field},
        std::tuple{required.group, group_column, &options.group_field},
        std::tuple{required.time, time_column, &options.time_field}}) {
    if (wanted && column < 0 && !name->empty()) return missing(*name);
  }
  have_header = true;
  // Scratch for kMaxColumns fields is not kept for a dump of a few.
  fields.clear();
  fields.shrink_to_fit();
  return absl::OkStatus();
}

absl::Status RecordParser::Impl::ParseTabular(absl::string_view record, int64_t line,
                                              Post* post) {
  post->line = line;
  std::string what = SplitFields(record, line, columns);
  if (!what.empty()) return Error(line, what);
  if (field_count != columns) {
    return Error(line, absl::StrCat("expected ", columns, " fields, got ", field_count));
  }
  // SQL's NULL (options.null_value): an unquoted field spelled so.
  const auto is_null = [this, record](int column) {
    if (column < 0 || options.null_value.empty()) return false;
    const Field& field = fields[column];
    return !field.quoted && record.substr(field.begin, field.size) == options.null_value;
  };
  if (is_null(text_column)) {
    return Error(line, absl::StrCat("\"", Printable(options.text_field), "\" is null (\"",
                                    Printable(options.null_value), "\")"));
  }
  std::optional<bool> label;
  if (label_column >= 0 && !is_null(label_column)) {
    const Field& field = fields[label_column];
    // A label spelling has no quote: an escaped field is no label.
    if (field.escaped || !ParseLabel(record.substr(field.begin, field.size), &label)) {
      std::string value;
      FieldValue(record, field, &value);
      return Error(line, NotALabelError(options.label_field, value));
    }
  }
  post->is_spam = label;
  // Copied, not moved out: options may name one column for more than one field.
  auto take = [this, record, &is_null](int column, std::string* out) {
    if (column < 0 || is_null(column)) {
      out->clear();
    } else {
      FieldValue(record, fields[column], out);
    }
  };
  take(text_column, &post->text);
  take(id_column, &post->id);
  take(author_column, &post->author);
  take(group_column, &post->group);
  take(time_column, &post->time);
  for (const auto& [value, field] : {std::pair(&post->id, &options.id_field),
                                     std::pair(&post->author, &options.author_field),
                                     std::pair(&post->group, &options.group_field)}) {
    if (!simdjson::validate_utf8(value->data(), value->size())) {
      return Error(line, IdentityNotUtf8Error(*field, /*json=*/false));
    }
  }
  return absl::OkStatus();
}

bool RecordParser::Impl::NextRecord(absl::string_view data, size_t* pos, int64_t* line,
                                    absl::string_view* record,
                                    int64_t* record_line) const {
  while (*pos < data.size()) {
    int64_t inner_newlines = 0;
    size_t end;
    if (tabular()) {
      end = RecordEnd(data, *pos, &inner_newlines);
    } else {
      const void* nl = std::memchr(data.data() + *pos, '\n', data.size() - *pos);
      end = nl == nullptr ? data.size() : static_cast<const char*>(nl) - data.data();
    }
    absl::string_view r = data.substr(*pos, end - *pos);
    *record_line = *line;
    *line += inner_newlines + (end < data.size() ? 1 : 0);
    *pos = end < data.size() ? end + 1 : end;
    // CRLF, and the \r\r\n of a CSV written in text mode on Windows (Python's csv
    // module without newline=""): no field of any format ends with a \r.
    while (!r.empty() && r.back() == '\r') r.remove_suffix(1);
    // A blank record over the limit is still an error: BlockReader reports it so
    // when it is the first record of a block.
    if (r.size() <= options.max_record_bytes && IsBlank(r)) continue;
    *record = r;
    return true;
  }
  return false;
}

RecordParser::RecordParser(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RecordParser::~RecordParser() = default;
RecordParser::RecordParser(RecordParser&&) noexcept = default;
RecordParser& RecordParser::operator=(RecordParser&&) noexcept = default;

void RecordParser::Impl::AllocateUnescaped() {
  if (!tabular()) unescaped.resize(kUnescapedBytes + 16);
}

absl::StatusOr<RecordParser> RecordParser::Create(const PostReaderOptions& options,
                                                  absl::string_view source_name) {
  if (options.max_record_bytes < 1024 || options.max_record_bytes > (size_t{1} << 30)) {
    return absl::InvalidArgumentError("max_record_bytes must be in 1 KiB..1 GiB");
  }
  if (options.text_field.empty()) {
    return absl::InvalidArgumentError("the text field name must not be empty");
  }
  if (options.format != DumpFormat::kJsonLines && options.format != DumpFormat::kCsv &&
      options.format != DumpFormat::kTsv) {
    return absl::InvalidArgumentError("unknown dump format");
  }
  if (const auto fault = NullValueFault(options.format, options.null_value)) {
    // No unquoted field could be spelled so: a mistake, not a marker that never
    // matches.
    return absl::InvalidArgumentError(
        absl::StrCat("the null value \"", Printable(options.null_value), "\" holds ",
                     *fault, ", so no field can be spelled so"));
  }
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->SetKeyWords();
  impl->AllocateUnescaped();
  impl->name = std::string(source_name);
  return RecordParser(std::move(impl));
}

bool RecordParser::needs_header() const {
  return impl_->tabular() && !impl_->have_header;
}

absl::string_view RecordParser::source_name() const { return impl_->name; }

int64_t RecordParser::reading_line() const { return impl_->reading_line; }

size_t RecordParser::reading_bytes() const { return impl_->reading_bytes; }

void RecordParser::SetDroppedBom(bool dropped) { impl_->line_one_lead = dropped ? 3 : 0; }

RecordParser RecordParser::Clone() const {
  auto impl = std::make_unique<Impl>();
  impl->options = impl_->options;
  impl->SetKeyWords();
  impl->AllocateUnescaped();
  impl->name = impl_->name;
  impl->line_one_lead = impl_->line_one_lead;
  impl->have_header = impl_->have_header;
  impl->columns = impl_->columns;
  impl->text_column = impl_->text_column;
  impl->id_column = impl_->id_column;
  impl->label_column = impl_->label_column;
  impl->author_column = impl_->author_column;
  impl->group_column = impl_->group_column;
  impl->time_column = impl_->time_column;
  return RecordParser(std::move(impl));
}

absl::StatusOr<bool> RecordParser::ReadHeader(absl::string_view data, size_t* pos,
                                              int64_t* line) {
  if (!impl_->tabular() || impl_->have_header) return true;
  absl::string_view record;
  int64_t record_line;
  if (!impl_->NextRecord(data, pos, line, &record, &record_line)) return false;
  impl_->reading_line = record_line;
  impl_->reading_bytes = record.size();
  if (record.size() > impl_->options.max_record_bytes) {
    return impl_->Error(
        record_line,
        absl::StrCat("record longer than ", impl_->options.max_record_bytes, " bytes"));
  }
  absl::Status status = impl_->SetHeader(record, record_line);
  if (!status.ok()) return status;
  return true;
}

absl::StatusOr<bool> RecordParser::Next(absl::string_view data, size_t* pos,
                                        int64_t* line, Post* post) {
  if (!impl_->tabular() && *pos < data.size() && data[*pos] == '{' &&
      plain_json_scanner_enabled.load(std::memory_order_relaxed) &&
      impl_->NextPlainJson(data, pos, line, post)) {
    return true;
  }
  return NextOtherwise(data, pos, line, post);
}

bool RecordParser::NextPlainView(absl::string_view data, size_t* pos, int64_t* line,
                                 PostView* post) {
  if (!impl_->tabular() && *pos < data.size() && data[*pos] == '{' &&
      plain_json_scanner_enabled.load(std::memory_order_relaxed) &&
      impl_->NextPlainJson(data, pos, line, post)) {
    post->json_plain = !impl_->unescaped_any;
    return true;
  }
  return false;
}

absl::StatusOr<bool> RecordParser::NextView(absl::string_view data, size_t* pos,
                                            int64_t* line, PostView* post) {
  if (NextPlainView(data, pos, line, post)) return true;
  return NextOtherView(data, pos, line, post);
}

absl::StatusOr<bool> RecordParser::NextOtherView(absl::string_view data, size_t* pos,
                                                 int64_t* line, PostView* post) {
  // Nothing of the last record is left in view while this one is read: an
  // exception thrown meanwhile (std::bad_alloc) finds no record (line 0), and
  // reading_line() says which was being read.
  *post = PostView();
  Post& scratch = impl_->scratch;
  // A field of a huge record, no longer in use, is not kept for the records after it.
  for (std::string* field :
       {&scratch.id, &scratch.text, &scratch.author, &scratch.group, &scratch.time}) {
    if (field->capacity() > kKeptScratchBytes) std::string().swap(*field);
  }
  absl::StatusOr<bool> more = NextOtherwise(data, pos, line, &scratch);
  if (more.ok() && *more) {
    post->id = scratch.id;
    post->text = scratch.text;
    post->is_spam = scratch.is_spam;
    post->author = scratch.author;
    post->group = scratch.group;
    post->time = scratch.time;
    post->line = scratch.line;
  }
  return more;
}

absl::StatusOr<bool> RecordParser::NextOtherwise(absl::string_view data, size_t* pos,
                                                 int64_t* line, Post* post) {
  if (needs_header()) {
    absl::StatusOr<bool> header = ReadHeader(data, pos, line);
    if (!header.ok() || !*header) return header;
  }
  absl::string_view record;
  int64_t record_line;
  if (!impl_->NextRecord(data, pos, line, &record, &record_line)) return false;
  impl_->reading_line = record_line;
  impl_->reading_bytes = record.size();
  if (record.size() > impl_->options.max_record_bytes) {
    return impl_->Error(
        record_line,
        absl::StrCat("record longer than ", impl_->options.max_record_bytes, " bytes"));
  }
  absl::Status status;
  if (impl_->tabular()) {
    status = impl_->ParseTabular(record, record_line, post);
  } else {
    // Readable bytes from the record to the end of the block's padding.
    size_t capacity =
        static_cast<size_t>(data.data() + data.size() - record.data()) + kBlockPadding;
    status = impl_->ParseJsonRecord(record, capacity, record_line, post);
  }
  if (!status.ok()) return status;
  return true;
}

}  // namespace groupguard::internal
