// Differential: JSON Lines records that are flat objects of unescaped strings are
// parsed by a scanner of their own instead of simdjson; the post and the error must
// be the same either way. The input (after two bytes picking the options and the
// padding byte) is a block of records, followed by kBlockPadding bytes of padding
// as BlockReader leaves it; two RecordParsers read it record by record, one with
// the scanner and one with every record sent to simdjson
// (SetPlainJsonScannerForTesting(false)). At each step the outcome (a post, the
// end, or the error's code and message) and the position and line must be equal,
// and a post's fields must be equal. A third parser reads the block with NextView()
// (the fields as views, the pipeline's way), which must give the same again. Any
// difference aborts with both on stderr.
//
// With bit 8 of the first byte, the input is a CSV dump (header first) instead, and
// the difference looked for is in where records end: BlockReader cuts the input
// into blocks (of 1 to 64 bytes, from the second byte, and of 1 MiB) and drops
// oversize records' rests, RecordParser cuts each block into records; both must
// find the same ends whatever the block size, so the posts and errors read with
// small blocks must be those read with one block holding the whole input.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

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

// Every post and error of a CSV dump in `fd`, read the way the CLI's pipeline
// reads it: blocks from a BlockReader, records from a RecordParser.
std::vector<std::string> ReadCsv(int fd, const groupguard::PostReaderOptions& options,
                                 size_t block_bytes) {
  namespace internal = groupguard::internal;
  std::vector<std::string> out;
  internal::BlockReaderOptions block_options;
  block_options.quoted_records = true;
  block_options.max_record_bytes = options.max_record_bytes;
  block_options.block_bytes = block_bytes;
  lseek(fd, 0, SEEK_SET);
  auto reader =
      internal::BlockReader::Open(absl::StrCat("/proc/self/fd/", fd), block_options);
  if (!reader.ok()) std::abort();
  RecordParser parser = RecordParser::Create(options, (*reader)->name()).value();
  internal::RecordBlock block;
  Post post;
  for (;;) {
    absl::StatusOr<bool> more = (*reader)->Next(&block);
    if (!more.ok()) {
      out.push_back(more.status().ToString());
      continue;
    }
    if (!*more) return out;
    size_t pos = 0;
    int64_t line = block.first_line();
    parser.SetDroppedBom((*reader)->dropped_bom());
    for (;;) {
      absl::StatusOr<bool> got = parser.Next(block.data(), &pos, &line, &post);
      if (!got.ok()) {
        out.push_back(got.status().ToString());
      } else if (!*got) {
        break;
      } else {
        out.push_back(Describe(got, post, 0, line));
      }
    }
  }
}

int CsvDifferential(const uint8_t* data, size_t size,
                    const groupguard::PostReaderOptions& options) {
  const int fd = memfd_create("fuzz.csv", 0);
  if (fd < 0) std::abort();
  if (write(fd, data + 2, size - 2) != static_cast<ssize_t>(size - 2)) std::abort();
  const size_t small = 1 + data[1] % 64;
  const std::vector<std::string> blocks = ReadCsv(fd, options, small);
  const std::vector<std::string> whole = ReadCsv(fd, options, size_t{1} << 20);
  close(fd);
  if (blocks == whole) return 0;
  std::string a, b;
  for (const std::string& s : blocks) absl::StrAppend(&a, "  ", s, "\n");
  for (const std::string& s : whole) absl::StrAppend(&b, "  ", s, "\n");
  std::fprintf(stderr,
               "CSV read in %zu-byte blocks and in one block differ on \"%s\" "
               "(max_record_bytes %zu)\nblocks:\n%swhole:\n%s",
               small,
               absl::CHexEscape(
                   absl::string_view(reinterpret_cast<const char*>(data) + 2, size - 2))
                   .c_str(),
               options.max_record_bytes, a.c_str(), b.c_str());
  std::abort();
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
  if (data[0] & 16) {
    // Names the scanner cannot tell by one 8-byte word (longer, empty) or just can.
    options.text_field = "message_body";
    options.id_field = "";
    options.author_field = "authorxy";
  }
  if (data[0] & 4) options.max_record_bytes = 1024;
  if (data[0] & 8) {
    options.format = groupguard::DumpFormat::kCsv;
    return CsvDifferential(data, size, options);
  }
  // The block and its padding: the scanner may read into the padding, which must
  // change nothing, whatever it holds.
  std::string block(reinterpret_cast<const char*>(data) + 2, size - 2);
  const size_t block_size = block.size();
  block.append(internal::kBlockPadding, static_cast<char>(data[1]));
  const absl::string_view records(block.data(), block_size);

  RecordParser scanner = RecordParser::Create(options, "fuzz.jsonl").value();
  RecordParser simdjson = RecordParser::Create(options, "fuzz.jsonl").value();
  RecordParser viewer = RecordParser::Create(options, "fuzz.jsonl").value();
  // Reused across records, as a reader's post is: stale fields stay behind.
  Post scanned, parsed;
  internal::PostView viewed;
  size_t scanned_pos = 0, parsed_pos = 0, viewed_pos = 0;
  int64_t scanned_line = 1, parsed_line = 1, viewed_line = 1;
  for (;;) {
    internal::SetPlainJsonScannerForTesting(true);
    const absl::StatusOr<bool> got =
        scanner.Next(records, &scanned_pos, &scanned_line, &scanned);
    const absl::StatusOr<bool> view =
        viewer.NextView(records, &viewed_pos, &viewed_line, &viewed);
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
    const bool same_view =
        view.status() == got.status() && viewed_pos == scanned_pos &&
        viewed_line == scanned_line && (!view.ok() || *view == *got) &&
        (!view.ok() || !*view ||
         (viewed.line == scanned.line && viewed.id == scanned.id &&
          viewed.text == scanned.text && viewed.is_spam == scanned.is_spam &&
          viewed.author == scanned.author && viewed.group == scanned.group &&
          viewed.time == scanned.time));
    if (!same_view) {
      std::fprintf(stderr, "NextView() and Next() differ on \"%s\" at pos %zu\n",
                   absl::CHexEscape(records).c_str(), scanned_pos);
      std::abort();
    }
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
