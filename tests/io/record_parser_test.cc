#include "io/record_parser.h"

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "groupguard/post_reader.h"
#include "gtest/gtest.h"
#include "io/block_reader.h"

namespace groupguard::internal {
namespace {

// Every post and error of a block of JSON Lines records, one line each, read with
// the plain-record scanner on or off.
std::string ReadAll(const std::string& records, bool scanner) {
  std::string block = records;
  block.append(kBlockPadding, ' ');
  const absl::string_view data(block.data(), records.size());
  RecordParser parser = RecordParser::Create(PostReaderOptions(), "t.jsonl").value();
  std::string out;
  size_t pos = 0;
  int64_t line = 1;
  Post post;
  SetPlainJsonScannerForTesting(scanner);
  for (;;) {
    absl::StatusOr<bool> more = parser.Next(data, &pos, &line, &post);
    if (!more.ok()) {
      absl::StrAppend(&out, more.status().message(), "\n");
    } else if (!*more) {
      break;
    } else {
      absl::StrAppend(&out, post.line, " ", absl::CHexEscape(post.text), "\n");
    }
  }
  SetPlainJsonScannerForTesting(true);
  return out;
}

// The scanner's UTF-8 check must accept exactly what simdjson's does (Unicode
// Table 3-7): one exact byte value at a boundary (F4 8F, ED 9F, E0 A0, ...) is
// what random fuzzing rarely hits, so every lead byte is paired here with every
// second byte, and with continuation bytes at both ends of their range and a
// byte that is none.
TEST(RecordParserTest, PlainScannerValidatesUtf8AsSimdjsonDoes) {
  std::string records;
  const unsigned char kTails[] = {0x80, 0xBF, 'x'};
  for (int lead = 0x80; lead <= 0xFF; ++lead) {
    for (int second = 0x20; second <= 0xFF; ++second) {
      if (second == '"' || second == '\\') continue;
      for (unsigned char third : kTails) {
        for (unsigned char fourth : kTails) {
          records += "{\"text\": \"a";
          records += {static_cast<char>(lead), static_cast<char>(second),
                      static_cast<char>(third), static_cast<char>(fourth)};
          records += "b\"}\n";
        }
      }
    }
  }
  const std::string scanned = ReadAll(records, true);
  const std::string parsed = ReadAll(records, false);
  if (scanned == parsed) return;
  // The first record that differs (not EXPECT_EQ: 256k lines printed on failure).
  size_t i = 0;
  while (i < scanned.size() && i < parsed.size() && scanned[i] == parsed[i]) ++i;
  const size_t start = i == 0 ? 0 : scanned.rfind('\n', i - 1) + 1;
  ADD_FAILURE() << "scanner:  " << scanned.substr(start, scanned.find('\n', i) - start)
                << "\nsimdjson: " << parsed.substr(start, parsed.find('\n', i) - start);
}

// A field given twice is an error (a record with two texts is ambiguous: which one
// another system would read is anyone's guess), the same with either parser, and
// the first fault of a record in its order is the one reported.
TEST(RecordParserTest, RepeatedFieldsAreErrors) {
  const std::string records =
      "{\"text\": \"a\", \"text\": \"b\"}\n"
      "{\"id\": \"1\", \"text\": \"a\", \"id\": \"2\"}\n"
      "{\"text\": \"a\", \"author\": \"x\", \"author\": \"y\"}\n"
      "{\"label\": \"ham\", \"label\": \"bogus\", \"text\": \"x\"}\n"
      "{\"label\": \"bogus\", \"text\": \"x\", \"label\": \"spam\"}\n"
      "{\"text\": \"a\\u0021\", \"text\": \"b\"}\n"         // an escape: simdjson only
      "{\"other\": 1, \"other\": 2, \"text\": \"fine\"}\n"  // unread keys may repeat
      "{\"group\": \"g\", \"time\": \"t\", \"time\": \"u\", \"text\": \"x\"}\n";
  const std::string expected =
      "t.jsonl:1: \"text\" appears more than once\n"
      "t.jsonl:2: \"id\" appears more than once\n"
      "t.jsonl:3: \"author\" appears more than once\n"
      "t.jsonl:4: \"label\" appears more than once\n"
      "t.jsonl:5: \"label\" is \"bogus\", not spam/ham, 1/0 or true/false\n"
      "t.jsonl:6: \"text\" appears more than once\n"
      "7 fine\n"
      "t.jsonl:8: \"time\" appears more than once\n";
  EXPECT_EQ(ReadAll(records, true), expected);
  EXPECT_EQ(ReadAll(records, false), expected);
}

}  // namespace
}  // namespace groupguard::internal
