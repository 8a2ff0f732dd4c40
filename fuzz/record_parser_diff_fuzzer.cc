// Differential: JSON Lines records that are flat objects of unescaped strings are
// parsed by a scanner of their own instead of simdjson; the post and the error must
// be the same either way. The input (after two bytes picking the options and the
// padding byte) is a block of records, followed by kBlockPadding bytes of padding
// as BlockReader leaves it; two RecordParsers read it record by record, one with
// the scanner and one with every record sent to simdjson
// (SetPlainJsonScannerForTesting(false)). At each step the outcome (a post, the
// end, or the error's code and message) and the position and line must be equal,
// and a post's fields must be equal. Any difference aborts with both on stderr.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "groupguard/post_reader.h"
#include "io/block_reader.h"
#include "io/record_parser.h"

namespace {

using groupguard::Post;
using groupguard::internal::RecordParser;

std::string Describe(const absl::StatusOr<bool>& result, const Post& post, size_t pos,
                     int64_t line) {
  std::string out = absl::StrCat("pos ", pos, " line ", line, ": ");
  if (!result.ok()) return absl::StrCat(out, result.status().ToString());
  if (!*result) return absl::StrCat(out, "end");
  return absl::StrCat(
      out, "post line ", post.line, " id \"", absl::CHexEscape(post.id), "\" text \"",
      absl::CHexEscape(post.text), "\" label ",
      post.is_spam.has_value() ? (*post.is_spam ? "spam" : "ham") : "none", " author \"",
      absl::CHexEscape(post.author), "\" group \"", absl::CHexEscape(post.group),
      "\" time \"", absl::CHexEscape(post.time), "\"");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace internal = groupguard::internal;
  if (size < 2) return 0;
  groupguard::PostReaderOptions options;
  switch (data[0] % 4) {
    case 0:
      break;
    case 1:  // the usual key names for other fields
      options.text_field = "body";
      options.id_field = "text";
      options.label_field = "id";
      break;
    case 2:  // clashes: precedence decides
      options.label_field = "text";
      options.id_field = "author";
      break;
    default:
      options.text_field = "t";
      options.label_field = "group";
      break;
  }
  if (data[0] & 4) options.max_record_bytes = 1024;
  // The block and its padding: the scanner may read into the padding, which must
  // change nothing, whatever it holds.
  std::string block(reinterpret_cast<const char*>(data) + 2, size - 2);
  const size_t block_size = block.size();
  block.append(internal::kBlockPadding, static_cast<char>(data[1]));
  const absl::string_view records(block.data(), block_size);

  RecordParser scanner = RecordParser::Create(options, "fuzz.jsonl").value();
  RecordParser simdjson = RecordParser::Create(options, "fuzz.jsonl").value();
  // Reused across records, as a reader's post is: stale fields stay behind.
  Post scanned, parsed;
  size_t scanned_pos = 0, parsed_pos = 0;
  int64_t scanned_line = 1, parsed_line = 1;
  for (;;) {
    internal::SetPlainJsonScannerForTesting(true);
    const absl::StatusOr<bool> got =
        scanner.Next(records, &scanned_pos, &scanned_line, &scanned);
    internal::SetPlainJsonScannerForTesting(false);
    const absl::StatusOr<bool> want =
        simdjson.Next(records, &parsed_pos, &parsed_line, &parsed);
    internal::SetPlainJsonScannerForTesting(true);
    // A post's fields matter only when the record was read (after an error the
    // post holds whatever the parse had set).
    const bool same =
        got.status() == want.status() && scanned_pos == parsed_pos &&
        scanned_line == parsed_line && (!got.ok() || *got == *want) &&
        (!got.ok() || !*got ||
         (scanned.line == parsed.line && scanned.id == parsed.id &&
          scanned.text == parsed.text && scanned.is_spam == parsed.is_spam &&
          scanned.author == parsed.author && scanned.group == parsed.group &&
          scanned.time == parsed.time));
    if (!same) {
      std::fprintf(stderr,
                   "plain scanner and simdjson differ on \"%s\" (text_field %s, id_field "
                   "%s, label_field %s)\nscanner:  %s\nsimdjson: %s\n",
                   absl::CHexEscape(records).c_str(), options.text_field.c_str(),
                   options.id_field.c_str(), options.label_field.c_str(),
                   Describe(got, scanned, scanned_pos, scanned_line).c_str(),
                   Describe(want, parsed, parsed_pos, parsed_line).c_str());
      std::abort();
    }
    if (got.ok() && !*got) return 0;
    if (!got.ok() && got.status().code() != absl::StatusCode::kInvalidArgument) return 0;
  }
}
