// Reads arbitrary bytes as a post dump, in the format (and NULL spelling, and required
// columns) picked by the first byte, through the public PostReader (block reading,
// record splitting, JSON / CSV / TSV parsing).
// Every outcome must be a Status or a post, never a crash; after a malformed record
// the reader must go on, and it must reach the end in a bounded number of steps.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "groupguard/post_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static const std::string path = [] {
    const char* tmp = getenv("TMPDIR");
    return absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/groupguard-post-reader-fuzz-",
                        getpid(), ".dump");
  }();
  groupguard::PostReaderOptions options;
  options.format = static_cast<groupguard::DumpFormat>(data[0] % 3);
  options.max_record_bytes = 1024 + data[0] * 64;
  // SQL's NULL spellings (CSV/TSV), and columns a header must have.
  static const char* const kNulls[] = {"", "\\N", "NULL", "x"};
  options.null_value = kNulls[(data[0] / 3) % 4];
  options.required_columns.label = (data[0] / 12) % 2 == 1;
  options.required_columns.id = (data[0] / 24) % 2 == 1;
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) std::abort();
  std::fwrite(data + 1, 1, size - 1, f);
  std::fclose(f);

  auto reader = groupguard::PostReader::Open(path, options);
  if (!reader.ok()) return 0;
  groupguard::Post post;
  // Each step consumes at least one byte or ends the stream.
  for (size_t steps = 0; steps <= size + 2; ++steps) {
    auto more = (*reader)->Next(&post);
    if (more.ok()) {
      if (!*more) return 0;
      if (post.line < 1) std::abort();
      continue;
    }
    if (more.status().code() != absl::StatusCode::kInvalidArgument) return 0;
  }
  std::abort();  // the reader did not reach the end
}
