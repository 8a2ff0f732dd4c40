#include "util/printable.h"

#include <utf8proc.h>

#include <algorithm>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace groupguard::internal {
namespace {

bool IsBidiControl(utf8proc_int32_t cp) {
  return (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

// How many bytes of `p` (of `size`, the bytes that may be shown) Printable writes as
// they are, from the character at the start: 1 for printable ASCII but a backslash
// or a double quote, the length of a UTF-8 character from U+00A0 but the bidi
// controls; 0 for one it escapes, or cuts (at the cap).
size_t VerbatimLength(const utf8proc_uint8_t* p, size_t size, size_t available) {
  const unsigned char c = p[0];
  if (c < 0x80) return c >= 0x20 && c != 0x7F && c != '\\' && c != '"' ? 1 : 0;
  utf8proc_int32_t cp = -1;
  const utf8proc_ssize_t n =
      utf8proc_iterate(p, static_cast<utf8proc_ssize_t>(available), &cp);
  if (n <= 0 || static_cast<size_t>(n) > size || cp < 0xA0 || IsBidiControl(cp)) return 0;
  return static_cast<size_t>(n);
}

// Appends the escape of the character at in[i] (one VerbatimLength does not write as
// it is): \uXXXX for a UTF-8 character, a C escape of one byte otherwise (invalid
// UTF-8, a control character). Returns the bytes it stands for, or 0 (and appends
// nothing) for a character that does not end before `size`.
size_t AppendEscaped(absl::string_view in, size_t i, size_t size, std::string* out) {
  const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(in.data());
  utf8proc_int32_t cp = -1;
  utf8proc_ssize_t n = 1;
  if (p[i] >= 0x80) {
    n = utf8proc_iterate(p + i, static_cast<utf8proc_ssize_t>(in.size() - i), &cp);
  }
  if (n > 0 && i + static_cast<size_t>(n) > size) return 0;
  if (p[i] >= 0x80 && n > 0) {
    absl::StrAppend(out, "\\u", absl::Hex(cp, absl::kZeroPad4));
    return static_cast<size_t>(n);
  }
  *out += absl::CHexEscape(absl::string_view(in.data() + i, 1));
  return 1;
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
      // As typed (SQL's \N is \N; so before a character written as itself, a
      // letter or \é), unless it would read as the start of an escape this function
      // writes (\n \r \t \xHH \uXXXX \" \\): then doubled. So it is before a
      // character written as an escape, and when last (the closing quote of a
      // message would follow it, or "...").
      const bool doubled =
          i + 1 >= size ||
          VerbatimLength(p + i + 1, size - i - 1, in.size() - i - 1) == 0 ||
          absl::string_view("nrtxu").find(static_cast<char>(p[i + 1])) !=
              absl::string_view::npos;
      out.append(doubled ? "\\\\" : "\\");
      ++i;
      continue;
    }
    if (const size_t n = VerbatimLength(p + i, size - i, in.size() - i); n > 0) {
      out.append(in.data() + i, n);
      i += n;
      continue;
    }
    const size_t n = AppendEscaped(in, i, size, &out);
    if (n == 0) break;  // a character cut by the cap
    i += n;
  }
  if (i < in.size()) out += "...";
  return out;
}

std::string PrintableLine(absl::string_view in) {
  const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(in.data());
  std::string out;
  size_t i = 0;
  while (i < in.size()) {
    const unsigned char c = p[i];
    size_t n =
        c == '\\' || c == '"' ? 1 : VerbatimLength(p + i, in.size() - i, in.size() - i);
    if (n > 0) {
      out.append(in.data() + i, n);
    } else {
      n = AppendEscaped(in, i, in.size(), &out);
    }
    i += n;
  }
  return out;
}

}  // namespace groupguard::internal
