#ifndef GROUPGUARD_LIB_UTIL_PRINTABLE_H_
#define GROUPGUARD_LIB_UTIL_PRINTABLE_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace groupguard::internal {

// Input quoted in a message, made safe for a terminal and short: at most
// `max_bytes` bytes of it, then "..." (a cut never splits a character); control
// characters (C0, DEL, C1), bidi controls, invalid UTF-8 and double quotes as C
// escapes (\x1b, \", \u202e), other UTF-8 as it is. A backslash is as it is (\N, \é),
// unless what follows would make it read as such an escape, or nothing does: then
// it is doubled (a typed \n is \\n, a newline \n).
std::string Printable(absl::string_view in, size_t max_bytes = 80);

// A whole line for a terminal (an error message, a line of a report), whose quoting
// is the caller's: the characters Printable escapes escaped as it does (\x1b, \t,
// \u202e, \xff), but double quotes and backslashes as they are and nothing cut.
// Text with none of them (as any Printable() result) is returned as it is, so a
// message that quotes a value through Printable reads the same.
std::string PrintableLine(absl::string_view in);

}  // namespace groupguard::internal

#endif  // GROUPGUARD_LIB_UTIL_PRINTABLE_H_
