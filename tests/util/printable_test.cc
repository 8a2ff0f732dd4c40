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

// Also before a non-ASCII character written as itself: "\\é" cannot read as an
// escape. It was doubled, as before any byte >= 0x80, so a typed \é (a Windows
// path's C:\Übersicht) showed as \\é.
TEST(PrintableTest, BackslashBeforeACharacterShownAsItselfShowsAsTyped) {
  EXPECT_EQ(Printable("\\\xc3\xa9"), "\\\xc3\xa9");
  EXPECT_EQ(Printable("C:\\\u00dcbersicht"), "C:\\\u00dcbersicht");
  EXPECT_EQ(Printable("\\\u20ac5"), "\\\u20ac5");  // \€5
  EXPECT_EQ(Printable("\\\xf0\x9f\x98\x80"), "\\\xf0\x9f\x98\x80");
}

// But doubled before one written as an escape (invalid UTF-8, a C1 or bidi
// control): "\\\xff" is a backslash and the byte 0xff, "\\xff" would read as an
// escaped backslash and "xff". And before one the cap cuts, the last shown.
TEST(PrintableTest, BackslashBeforeANonAsciiEscapeIsDoubled) {
  EXPECT_EQ(Printable("\\\xff"), "\\\\\\xff");
  EXPECT_EQ(Printable("\\\xc3"), "\\\\\\xc3");        // a character cut short
  EXPECT_EQ(Printable("\\\xc2\x85"), "\\\\\\u0085");  // C1 NEL
  EXPECT_EQ(Printable("\\\xe2\x80\xae"), "\\\\\\u202e");
  EXPECT_EQ(Printable("a\\\xc3\xa9", 3), "a\\\\...");
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

// A whole message: control characters, DEL, C1 and bidi controls and invalid UTF-8
// escaped as Printable escapes them; quotes and backslashes, which the message's own
// quoting uses, as they are; nothing cut.
TEST(PrintableLineTest, EscapesWhatATerminalWouldActOn) {
  EXPECT_EQ(PrintableLine("posts/no\x1b[31mred: No such file or directory"),
            "posts/no\\x1b[31mred: No such file or directory");
  EXPECT_EQ(PrintableLine("a\tb\nc\rd\x7f"), "a\\tb\\nc\\rd\\x7f");
  EXPECT_EQ(PrintableLine("x\xc2\x85y"), "x\\u0085y");  // C1 NEL
  EXPECT_EQ(PrintableLine("\xe2\x80\xaa\xe2\x80\xae\xe2\x81\xa6\xe2\x81\xa9"),
            "\\u202a\\u202e\\u2066\\u2069");
  EXPECT_EQ(PrintableLine("bad \xff\xc3 end"), "bad \\xff\\xc3 end");
}

TEST(PrintableLineTest, OrdinaryTextIsAsItIs) {
  for (const std::string s :
       {std::string(""), std::string("no \"text\" key: C:\\Users\\Me, \\N, caf\xc3\xa9"),
        std::string(5000, 'a'), std::string("\xe2\x82\xac \xf0\x9f\x98\x80 \xc2\xa0")}) {
    EXPECT_EQ(PrintableLine(s), s);
  }
}

// What Printable wrote (a value quoted in a message) reads the same in the line.
TEST(PrintableLineTest, LeavesPrintableOutputAsItIs) {
  for (const char* s : {"a\x1b[2Jb", "\\n", "\xe2\x80\xae\"q\"", "\\\xff", "end\\"}) {
    EXPECT_EQ(PrintableLine(Printable(s)), Printable(s)) << s;
  }
}

}  // namespace
}  // namespace groupguard::internal
