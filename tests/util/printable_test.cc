#include "util/printable.h"

#include <string>

#include "gtest/gtest.h"

namespace groupguard::internal {
namespace {

// A backslash shows as typed: SQL's NULL marker \N, which dumps and --null carry,
// read "\\N" in messages, as if two backslashes had been typed.
TEST(PrintableTest, BackslashShowsAsTyped) {
  EXPECT_EQ(Printable("\\N"), "\\N");
  EXPECT_EQ(Printable("C:\\Users\\Me"), "C:\\Users\\Me");
  EXPECT_EQ(Printable("a\\ b"), "a\\ b");
}

// Unless what follows would read as an escape Printable writes: then it is doubled,
// so a typed \n or \x1b stays apart from a newline or an ESC byte, and one last
// from an escaped closing quote.
TEST(PrintableTest, BackslashThatWouldReadAsAnEscapeIsDoubled) {
  EXPECT_EQ(Printable("\\n"), "\\\\n");
  EXPECT_EQ(Printable("\n"), "\\n");
  EXPECT_EQ(Printable("\\x1b"), "\\\\x1b");
  EXPECT_EQ(Printable("\x1b"), "\\x1b");
  EXPECT_EQ(Printable("\\u202e"), "\\\\u202e");
  EXPECT_EQ(Printable("\\\\N"),
            "\\\\\\N");  // the first before a backslash, the second not
  EXPECT_EQ(Printable("\\\""), "\\\\\\\"");
  EXPECT_EQ(Printable("\\\n"), "\\\\\\n");
  EXPECT_EQ(Printable("end\\"), "end\\\\");
  EXPECT_EQ(Printable("ab\\cd", 3), "ab\\\\...");  // last of what is shown
}

TEST(PrintableTest, ControlCharactersAndQuotesAreEscaped) {
  EXPECT_EQ(Printable("a\"b\tc\x7f"), "a\\\"b\\tc\\x7f");
  EXPECT_EQ(Printable("\xe2\x80\xae"), "\\u202e");
  EXPECT_EQ(Printable("\xff"), "\\xff");
  EXPECT_EQ(Printable("caf\xc3\xa9"), "caf\xc3\xa9");
}

}  // namespace
}  // namespace groupguard::internal
