#include "util/printable.h"

#include <utf8proc.h>

#include <algorithm>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace groupguard::internal {
namespace {

// Whether Printable writes the byte other than as itself: an escape, or part of a
// UTF-8 character (which starts no escape, but may be cut or invalid).
bool NeedsEscape(unsigned char c) {
  return c < 0x20 || c >= 0x7F || c == '\\' || c == '"';
}

}  // namespace

std::string Printable(absl::string_view in, size_t max_bytes) {
  std::string out;
  const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(in.data());
  const size_t size = std::min(in.size(), max_bytes);
  size_t i = 0;
  while (i < size) {
    const unsigned char c = p[i];
    if (c == '\\') {
      // As typed (SQL's \N is \N), unless it would read as the start of an escape
      // this function writes (\n \r \t \xHH \uXXXX \" \\): then doubled. So
      // is one last, which the closing quote of a message would follow.
      const bool doubled = i + 1 >= size || NeedsEscape(p[i + 1]) ||
                           absl::string_view("nrtxu").find(static_cast<char>(p[i + 1])) !=
                               absl::string_view::npos;
      out.append(doubled ? "\\\\" : "\\");
      ++i;
      continue;
    }
    if (!NeedsEscape(c)) {
      out.push_back(static_cast<char>(c));
      ++i;
      continue;
    }
    utf8proc_int32_t cp = -1;
    utf8proc_ssize_t n = 1;
    if (c >= 0x80) {
      n = utf8proc_iterate(p + i, static_cast<utf8proc_ssize_t>(in.size() - i), &cp);
    }
    if (n > 0 && i + static_cast<size_t>(n) > size) break;  // a character cut by the cap
    if (c >= 0x80 && n > 0 && cp >= 0xA0 && !(cp >= 0x202A && cp <= 0x202E) &&
        !(cp >= 0x2066 && cp <= 0x2069)) {
      out.append(in.data() + i, static_cast<size_t>(n));
      i += static_cast<size_t>(n);
    } else if (c >= 0x80 && n > 0) {
      absl::StrAppend(&out, "\\u", absl::Hex(cp, absl::kZeroPad4));
      i += static_cast<size_t>(n);
    } else {
      out += absl::CHexEscape(absl::string_view(in.data() + i, 1));
      ++i;
    }
  }
  if (i < in.size()) out += "...";
  return out;
}

}  // namespace groupguard::internal
