#include "io/record_parser.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "groupguard/post_reader.h"
#include "gtest/gtest.h"
#include "io/block_reader.h"
#include "test_files.h"

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

// Every post (all its fields) and error of the JSON Lines records in
// block[0, size) read with `options`, the plain-record scanner on or off; the rest
// of the block is its padding (kBlockPadding bytes at least).
std::string ReadBlockFields(absl::string_view block, size_t size,
                            const PostReaderOptions& options, bool scanner) {
  const absl::string_view data(block.data(), size);
  RecordParser parser = RecordParser::Create(options, "t.jsonl").value();
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
      absl::StrAppend(
          &out, post.line, " text=", post.text, " id=", post.id,
          " label=", post.is_spam.has_value() ? (*post.is_spam ? "spam" : "ham") : "none",
          " author=", post.author, " group=", post.group, " time=", post.time, "\n");
    }
  }
  SetPlainJsonScannerForTesting(true);
  return out;
}

// ReadBlockFields() of `records` and padding.
std::string ReadAllFields(const std::string& records, const PostReaderOptions& options,
                          bool scanner) {
  std::string block = records;
  block.append(kBlockPadding, '"');
  return ReadBlockFields(block, records.size(), options, scanner);
}

// The plain-record scanner reads 16 bytes a step up to the end of the padding and
// no further: blocks whose padding ends where a page that cannot be read begins,
// with a string of any length, closed or not, ending at any distance from there.
TEST(RecordParserTest, PlainScannerReadsNothingPastThePadding) {
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  void* const mem =
      mmap(nullptr, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(mem, MAP_FAILED);
  char* const guard = static_cast<char*>(mem) + page;
  ASSERT_EQ(mprotect(guard, page, PROT_NONE), 0);
  const PostReaderOptions options;
  for (size_t size = 0; size <= 90; ++size) {
    for (const absl::string_view close : {"", "\"}", "\xC3\xA9"}) {
      for (const char fill : {'a', '"', ' '}) {
        const std::string records =
            absl::StrCat("{\"text\": \"", std::string(size, 'x'), close);
        char* const block = guard - kBlockPadding - records.size();
        std::memcpy(block, records.data(), records.size());
        std::memset(block + records.size(), fill, kBlockPadding);
        const absl::string_view whole(block, records.size() + kBlockPadding);
        ASSERT_EQ(ReadBlockFields(whole, records.size(), options, true),
                  ReadBlockFields(whole, records.size(), options, false))
            << absl::CHexEscape(records);
      }
    }
  }
  munmap(mem, 2 * page);
}

// The plain-record scanner takes the usual `: "` after a key and `, "` after a
// value on one masked 4-byte load: any other byte in place of each of the three,
// and a record cut at every byte with padding that goes on as `: "` or `, "`
// would, read as simdjson's parse reads them.
TEST(RecordParserTest, PlainScannerReadsKeyAndValueEndsAsSimdjsonDoes) {
  const PostReaderOptions options;
  const std::string record = "{\"id\": \"p1\", \"text\": \"hi\", \"author\": \"a\"}";
  for (const absl::string_view around : {": \"", ", \""}) {
    const size_t at = record.find(std::string(around));
    ASSERT_NE(at, std::string::npos);
    for (size_t i = 0; i < around.size(); ++i) {
      for (int c = 0; c < 256; ++c) {
        std::string changed = record;
        changed[at + i] = static_cast<char>(c);
        const std::string records = absl::StrCat(changed, "\n", changed);
        ASSERT_EQ(ReadAllFields(records, options, true),
                  ReadAllFields(records, options, false))
            << absl::CHexEscape(records);
      }
    }
  }
  for (const absl::string_view padding :
       {": \"", ", \"", " \"", "\"", " ", "\": \"x\"}"}) {
    for (size_t size = 0; size <= record.size(); ++size) {
      std::string block = record.substr(0, size);
      while (block.size() < size + kBlockPadding) {
        block.append(padding.data(), padding.size());
      }
      ASSERT_EQ(ReadBlockFields(block, size, options, true),
                ReadBlockFields(block, size, options, false))
          << absl::CHexEscape(block);
    }
  }
  EXPECT_EQ(ReadAllFields(record, options, true),
            "1 text=hi id=p1 label=none author=a group= time=\n");
}

// The plain-record scanner tells a key of up to 8 bytes by one 8-byte word: names
// of every length around that (an empty id name, one of 8 bytes, one longer than
// 8), and keys one byte shorter or longer than a name or differing in case, must
// read as simdjson's parse reads them.
TEST(RecordParserTest, PlainScannerMatchesKeysOfEveryLength) {
  PostReaderOptions options;
  options.text_field = "message_body";  // longer than a word
  options.id_field = "";                // an empty key is the id
  options.label_field = "l";
  options.author_field = "authorxy";  // a whole word
  options.group_field = "grp";
  options.time_field = "";  // not read: a key "" is the id's alone
  const std::string records =
      "{\"message_body\": \"a\", \"\": \"i0\", \"l\": \"spam\", \"authorxy\": \"au\", "
      "\"grp\": \"g\", \"time\": \"t\"}\n"
      "{\"message_bod\": \"x\", \"message_body\": \"b\", \"authorx\": \"no\", "
      "\"authorxyz\": \"no\", \"gr\": \"no\", \"grpp\": \"no\", \"L\": \"ham\", "
      "\"Grp\": \"no\", \"message_bodyy\": \"no\"}\n"
      "{\"text\": \"no\", \"message_body\": \"c\", \"ll\": \"bogus\", \"id\": \"no\"}\n"
      "{\"message_body\": \"d\", \"\": \"1\", \"\": \"2\"}\n"
      "{\"authorxy\":\"e\",\"message_body\":\"e\",\"grp\":\"\"}\n";
  const std::string expected =
      "1 text=a id=i0 label=spam author=au group=g time=\n"
      "2 text=b id= label=none author= group= time=\n"
      "3 text=c id= label=none author= group= time=\n"
      "t.jsonl:4: \"\" appears more than once\n"
      "5 text=e id= label=none author=e group= time=\n";
  EXPECT_EQ(ReadAllFields(records, options, true), expected);
  EXPECT_EQ(ReadAllFields(records, options, false), expected);
}

// The plain-record scanner compares a key's word alone, its size not: a field name
// with a zero byte, whose word is that of a shorter name, matches no key, as in
// simdjson's parse (a key holds a zero byte only as the escape \u0000, which the
// scanner leaves to simdjson); and a key "" matches no field that is not named.
TEST(RecordParserTest, PlainScannerTellsKeysFromNamesWithAZeroByte) {
  PostReaderOptions options;
  options.author_field = std::string("au\0", 3);
  options.group_field = std::string("g\0\0\0\0\0\0\0", 8);
  const std::string records =
      "{\"text\": \"a\", \"au\": \"x\", \"g\": \"y\", \"\": \"z\"}\n"
      "{\"text\": \"b\", \"au\\u0000\": \"x\", \"g\\u0000\\u0000\\u0000\\u0000\\u0000"
      "\\u0000\\u0000\": \"y\"}\n";
  const std::string expected =
      "1 text=a id= label=none author= group= time=\n"
      "2 text=b id= label=none author=x group=y time=\n";
  EXPECT_EQ(ReadAllFields(records, options, true), expected);
  EXPECT_EQ(ReadAllFields(records, options, false), expected);
}

// The plain-record scanner gives a key naming the text alone or the id alone its
// field on one compare, and any other key every field it names (a key may name
// several): each alone, in pairs, and all six under one name, as simdjson's parse
// gives them.
TEST(RecordParserTest, PlainScannerGivesAKeyEveryFieldItNames) {
  const std::string names[] = {"text", "id", "label", "author", "group", "time"};
  for (int mask = 1; mask < 64; ++mask) {
    PostReaderOptions options;
    std::string* fields[] = {&options.text_field,  &options.id_field,
                             &options.label_field, &options.author_field,
                             &options.group_field, &options.time_field};
    for (int i = 0; i < 6; ++i) *fields[i] = (mask >> i) & 1 ? "k" : names[i];
    const std::string records = absl::StrCat(
        "{\"k\": \"spam\"}\n", "{\"text\": \"t\", \"k\": \"ham\", \"id\": \"i\"}\n",
        "{\"id\": \"i\", \"text\": \"t\"}\n");
    const std::string scanned = ReadAllFields(records, options, true);
    ASSERT_EQ(scanned, ReadAllFields(records, options, false)) << mask;
    if (mask == 1) {  // the text alone
      EXPECT_EQ(scanned,
                "1 text=spam id= label=none author= group= time=\n"
                "2 text=ham id=i label=none author= group= time=\n"
                "t.jsonl:3: missing \"k\"\n");
    }
    if (mask == 63) {  // every field
      EXPECT_EQ(scanned,
                "1 text=spam id=spam label=spam author=spam group=spam time=spam\n"
                "2 text=ham id=ham label=ham author=ham group=ham time=ham\n"
                "t.jsonl:3: missing \"k\"\n");
    }
  }
}

// The scanner reads 16 bytes a step while that many are readable and a byte at a
// time in the last 15 before the end of the block's padding: a string of any length
// ending at any distance from there, with a non-ASCII letter, an escape or a
// broken UTF-8 sequence at any place in it, reads as simdjson's parse reads it.
TEST(RecordParserTest, PlainScannerReadsStringsEndingAnywhere) {
  for (size_t size = 0; size <= 90; ++size) {
    for (const absl::string_view special : {"", "\xC3\xA9", "\\n", "\xE2\x99"}) {
      for (size_t at = 0; at <= size; at += special.empty() ? size + 1 : 1) {
        std::string text(size, 'a');
        text.insert(at, special.data(), special.size());
        // The second record is broken JSON that would read as a post if a closing
        // quote were missed. The last record has no newline: its closing quote
        // and brace are the block's last bytes, followed by the padding alone.
        const std::string records =
            absl::StrCat("{\"text\": \"", text, "\"}\n{\"text\": \"", text, "\",x\"}\n",
                         "{\"id\": \"x\", \"text\": \"", text, "\"}");
        ASSERT_EQ(ReadAll(records, true), ReadAll(records, false))
            << "size " << size << ", at " << at << ": " << absl::CHexEscape(records);
      }
    }
  }
}

// A record that opens with '{' is read by the plain-record scanner straight from
// the block, up to its newline, without the record's end searched for first: line
// ends, spaces and \r's around the object, blank lines, an object that spans lines
// or is followed by more, and a plain record longer than max_record_bytes read as
// they do through simdjson.
TEST(RecordParserTest, PlainScannerFindsTheRecordsEnd) {
  PostReaderOptions options;
  options.max_record_bytes = 1024;
  const std::string records = absl::StrCat(
      "{\"text\": \"crlf\"}\r\n"
      "{\"text\": \"spaces after\"} \t \r\r\n"
      "\n  \n"
      "{\"text\"\r:\r\"inner cr\"\r}\n"
      "{\"text\": \"cr then more\"}\rx\n"
      "{\"text\": \"lone cr\"}\r \n"
      "{\"text\":\n\"two lines\"}\n"
      "{\"text\": \"a\"}{\"text\": \"b\"}\n"
      "{\"text\": \"a\"} {\n"
      "  {\"text\": \"space first\"}\n"
      "{\"text\": \"",
      std::string(1100, 'x'),
      "\"}\n"
      "{\"text\": \"",
      std::string(1010, 'y'),
      "\"}\r\r\r\r\r\r\r\r\r\r\n"
      "{\"text\": \"last\", \"id\": \"no newline\"}");
  const std::string scanned = ReadAllFields(records, options, true);
  EXPECT_EQ(scanned, ReadAllFields(records, options, false));
  const std::string expected = absl::StrCat(
      "1 text=crlf id= label=none author= group= time=\n"
      "2 text=spaces after id= label=none author= group= time=\n"
      "5 text=inner cr id= label=none author= group= time=\n"
      "t.jsonl:6: a carriage return (\\r) not followed by a newline after the JSON "
      "object at byte 25: lines ended by a lone \\r are not read; convert them to \\n "
      "or \\r\\n\n"
      "7 text=lone cr id= label=none author= group= time=\n"
      "t.jsonl:8: broken JSON (the record ends inside a value at byte 9)\n"
      "t.jsonl:9: not a JSON object\n"
      "t.jsonl:10: trailing content after the JSON object at byte 14\n"
      "t.jsonl:11: trailing content after the JSON object at byte 15\n"
      "12 text=space first id= label=none author= group= time=\n"
      "t.jsonl:13: record longer than 1024 bytes\n"
      "14 text=",
      std::string(1010, 'y'),
      " id= label=none author= group= time=\n"
      "15 text=last id=no newline label=none author= group= time=\n");
  EXPECT_EQ(scanned, expected);
  // An object over two lines at the end of the block, with nothing after it that
  // would stop a parse that ran on over a newline.
  const std::string two_lines = "{\"text\": \"x\"}\n{\"text\":\n\"two lines\"}\n";
  EXPECT_EQ(ReadAllFields(two_lines, options, true),
            "1 text=x id= label=none author= group= time=\n"
            "t.jsonl:2: broken JSON (the record ends inside a value at byte 9)\n"
            "t.jsonl:3: not a JSON object\n");
}

// Every post and error of a block read with NextView(), in ReadAllFields()'s words;
// each post is written down before the next call, while its views are valid.
std::string ReadAllViews(const std::string& records, const PostReaderOptions& options) {
  std::string block = records;
  block.append(kBlockPadding, '"');
  const absl::string_view data(block.data(), records.size());
  RecordParser parser = RecordParser::Create(options, "t.jsonl").value();
  std::string out;
  size_t pos = 0;
  int64_t line = 1;
  PostView post;
  for (;;) {
    absl::StatusOr<bool> more = parser.NextView(data, &pos, &line, &post);
    if (!more.ok()) {
      absl::StrAppend(&out, more.status().message(), "\n");
    } else if (!*more) {
      break;
    } else {
      absl::StrAppend(
          &out, post.line, " text=", post.text, " id=", post.id,
          " label=", post.is_spam.has_value() ? (*post.is_spam ? "spam" : "ham") : "none",
          " author=", post.author, " group=", post.group, " time=", post.time, "\n");
    }
  }
  return out;
}

// The plain-record scanner takes a dump's usual spacing on short paths (`: "`,
// `, "`, a '}' straight after the last value, the newline straight after the
// object) and any other through its general steps: every JSON space (and a
// newline, which ends the record) in every gap of a record, keys in either order
// and one the options do not name, the record followed by another or ending the
// block with or without its newline, reads as simdjson's parse reads it, and
// NextView() reads it the same.
TEST(RecordParserTest, PlainScannerReadsEverySpacingAsSimdjsonDoes) {
  const PostReaderOptions options;
  const std::vector<std::vector<std::string>> records = {
      {"{", "\"id\"", ":", "\"p1\"", ",", "\"text\"", ":", "\"hi\"", "}"},
      {"{", "\"text\"", ":", "\"hi\"", ",", "\"id\"", ":", "\"p1\"", "}"},
      {"{", "\"text\"", ":", "\"hi\"", ",", "\"other\"", ":", "\"o\"", ",", "\"id\"",
       ":", "\"p1\"", "}"},
      {"{", "}"},
  };
  const std::vector<std::string> spacings = {"",   " ",    "\t",     "\r",
                                             "\n", "  \t", "\r\r \t", " \n", " x"};
  size_t posts = 0;
  for (const std::vector<std::string>& tokens : records) {
    // Gap g is before token g; gap tokens.size() is after the last.
    for (size_t gap = 0; gap <= tokens.size(); ++gap) {
      for (const std::string& spacing : spacings) {
        std::string record;
        for (size_t i = 0; i <= tokens.size(); ++i) {
          if (i == gap) {
            record += spacing;
          } else if (i > 0 && (tokens[i - 1] == ":" || tokens[i - 1] == ",")) {
            record += " ";  // the usual `: "` and `, "`
          }
          if (i < tokens.size()) record += tokens[i];
        }
        for (const std::string& records_text :
             {absl::StrCat(record, "\n", record, "\n"),
              absl::StrCat(record, "\n", record),
              absl::StrCat(record, "\r\n{\"text\": \"next\"}")}) {
          const std::string scanned = ReadAllFields(records_text, options, true);
          ASSERT_EQ(scanned, ReadAllFields(records_text, options, false))
              << absl::CHexEscape(records_text);
          ASSERT_EQ(ReadAllViews(records_text, options), scanned)
              << absl::CHexEscape(records_text);
          if (scanned.find(" text=hi id=p1 ") != std::string::npos) ++posts;
        }
        // The record cut at every byte, the block's padding going on as the
        // object's end would.
        for (size_t size = 0; size <= record.size(); ++size) {
          std::string block = record.substr(0, size);
          while (block.size() < size + kBlockPadding) block += "}\n";
          ASSERT_EQ(ReadBlockFields(block, size, options, true),
                    ReadBlockFields(block, size, options, false))
              << absl::CHexEscape(block);
        }
      }
    }
  }
  // Most of them are read (the others are errors: a newline in the record, the
  // empty object's missing text).
  EXPECT_GT(posts, 150u);
}

// The record the plain-record scanner reads is measured against max_record_bytes
// without the \r's before its newline, and only when it and its spaces are over
// the limit: records around the limit with and without \r's and spaces after the
// object read as simdjson's parse reads them.
TEST(RecordParserTest, PlainScannerMeasuresRecordsAroundTheLimit) {
  PostReaderOptions options;
  options.max_record_bytes = 1024;
  const std::string head = "{\"text\": \"";
  for (size_t size = 1020; size <= 1028; ++size) {
    const std::string record =
        absl::StrCat(head, std::string(size - head.size() - 2, 'x'), "\"}");
    ASSERT_EQ(record.size(), size);
    for (const absl::string_view after : {"", "\r", "\r\r\r", " ", " \r", "\t\r\r"}) {
      const std::string records =
          absl::StrCat(record, after, "\n", "{\"text\": \"next\"}\n", record, after);
      const std::string scanned = ReadAllFields(records, options, true);
      ASSERT_EQ(scanned, ReadAllFields(records, options, false))
          << size << " " << absl::CHexEscape(after);
      ASSERT_EQ(ReadAllViews(records, options), scanned)
          << size << " " << absl::CHexEscape(after);
      // The record itself decides, whatever the \r's after it.
      const bool fits = size + std::count(after.begin(), after.end(), ' ') +
                            std::count(after.begin(), after.end(), '\t') <=
                        1024;
      EXPECT_EQ(scanned.find("record longer than") == std::string::npos, fits)
          << size << " " << absl::CHexEscape(after) << "\n"
          << scanned;
    }
  }
}

// The plain-record scanner tells a key that is a name of the options (printable
// ASCII, no '"' or '\\', up to 7 bytes) by the 8 bytes after its opening quote,
// its closing quote included: names that take that path and names that cannot
// (8 bytes, a quote, a backslash, non-ASCII, a control character), keys spelled
// as each name (escaped where JSON must), one byte short or long, and every
// record cut at every byte with the block's padding going on as the record would
// (a key whose quote is the first byte past the block's end is no key), read as
// simdjson's parse reads them, and as NextView() reads them.
TEST(RecordParserTest, PlainScannerTellsNamedKeysByTheirQuote) {
  struct Names {
    const char* text;
    const char* id;
    const char* author;
    const char* group;
  };
  const Names names[] = {
      {"text", "id", "a", "grp"},
      {"message", "", "author8b", "g\"q"},     // 7 bytes, empty, 8 bytes, a quote
      {"t\\x", "id\xC3\xA9", "a\tb", "\xFFx"},  // a backslash, UTF-8, a tab, not UTF-8
  };
  // Each name as a JSON key spells it, and near misses.
  const auto key_of = [](absl::string_view name) {
    std::string key;
    for (const char c : name) {
      if (c == '"' || c == '\\') key += '\\';
      key += c == '\t' ? std::string("\\t") : std::string(1, c);
    }
    return key;
  };
  for (const Names& n : names) {
    PostReaderOptions options;
    options.text_field = n.text;
    options.id_field = n.id;
    options.author_field = n.author;
    options.group_field = n.group;
    std::vector<std::string> records;
    records.push_back(absl::StrCat("{\"", key_of(n.id), "\": \"i\", \"", key_of(n.text),
                                   "\": \"t\", \"", key_of(n.author), "\": \"a\", \"",
                                   key_of(n.group), "\": \"g\"}"));
    records.push_back(absl::StrCat("{\"", key_of(n.text), "\":\"t\",\"",
                                   key_of(n.author), "x\": \"no\", \"",
                                   key_of(absl::string_view(n.group).substr(1)),
                                   "\": \"no\", \"x", key_of(n.id), "\": \"no\"}"));
    records.push_back(absl::StrCat("{\"", key_of(n.text), "\": \"1\", \"",
                                   key_of(n.text), "\": \"2\"}"));
    // The names' bytes as they are, unescaped: broken JSON, or another key, for
    // a name with a quote, a backslash or a control character.
    records.push_back(absl::StrCat("{\"", n.text, "\": \"t\", \"", n.group,
                                   "\": \"g\", \"", n.author, "\": \"a\"}"));
    for (const std::string& record : records) {
      const std::string block = absl::StrCat(record, "\n", record, "\n");
      const std::string scanned = ReadAllFields(block, options, true);
      ASSERT_EQ(scanned, ReadAllFields(block, options, false)) << absl::CHexEscape(block);
      ASSERT_EQ(ReadAllViews(block, options), scanned) << absl::CHexEscape(block);
      // Cut at every byte, the rest of the record (and padding) after the cut.
      const std::string padded = absl::StrCat(record, std::string(kBlockPadding, '"'));
      for (size_t size = 0; size <= record.size(); ++size) {
        ASSERT_EQ(ReadBlockFields(padded, size, options, true),
                  ReadBlockFields(padded, size, options, false))
            << size << " " << absl::CHexEscape(record);
      }
    }
    // The names take their fields (a key of bytes that are no UTF-8 is read with
    // U+FFFD in their place, so it is no name).
    const bool utf8 = n.group[0] != '\xFF';
    EXPECT_EQ(ReadAllFields(records[0] + "\n", options, true),
              absl::StrCat("1 text=t id=i label=none author=a group=", utf8 ? "g" : "",
                           " time=\n"))
        << n.text;
  }
}

// NextView() reads what Next() reads: plain records as views of the block, all
// others (escapes, repairs, numbers, nulls, CSV) through the parser's own copy,
// with the same errors, and no field of one record left over in the next.
TEST(RecordParserTest, NextViewReadsAsNextReads) {
  PostReaderOptions options;
  const std::string jsonl = absl::StrCat(
      "{\"id\": \"1\", \"text\": \"plain\", \"label\": \"spam\", \"author\": \"a\", "
      "\"group\": \"g\", \"time\": \"t\"}\n"
      "{\"text\": \"esc\\u00e9 \\\"q\\\"\", \"id\": 7, \"time\": null}\n"
      "{\"text\": \"plain again\"}\n"
      "{\"text\": \"bad \xFF byte\", \"label\": true}\n"
      "\n"
      "{\"text\": \"x\", \"label\": \"maybe\"}\n"
      "{\"id\": \"no text\"}\n"
      "  {\"text\": \"space first\", \"group\": \"g2\"}\n"
      "{\"text\": \"",
      std::string(3000, 'z'), "\\n\"}\n", "{\"text\": \"last\"}");
  const std::string expected = ReadAllFields(jsonl, options, true);
  EXPECT_EQ(ReadAllViews(jsonl, options), expected);
  EXPECT_NE(expected.find("1 text=plain id=1 label=spam author=a group=g time=t\n"),
            std::string::npos)
      << expected;
  EXPECT_NE(expected.find("2 text=esc\xC3\xA9 \"q\" id=7 label=none"), std::string::npos)
      << expected;
  SetPlainJsonScannerForTesting(false);
  EXPECT_EQ(ReadAllViews(jsonl, options), expected);
  SetPlainJsonScannerForTesting(true);

  options.format = DumpFormat::kCsv;
  const std::string csv =
      "id,text,label\n1,plain,spam\n2,\"quoted, \"\"escaped\"\"\",\n3,,ham\n4,x,bogus\n";
  EXPECT_EQ(ReadAllViews(csv, options), ReadAllFields(csv, options, true));
  EXPECT_NE(ReadAllViews(csv, options).find("3 text=quoted, \"escaped\" id=2"),
            std::string::npos);
}

// A field given twice is an error (a record with two texts is ambiguous: which one
// another system would read is anyone's guess), the same with either parser, and
// the first fault of a record in its order is the one reported.
// The plain-record scanner unescapes \" \\ \/ \b \f \n \r \t itself and leaves
// every other record with a backslash to simdjson: each escape, good and bad, at
// every distance from the 16-byte steps, in keys and in every field, followed by
// a control character, ill-formed UTF-8 or the record's end; and strings that
// fill the scanner's buffer (64 KiB a record) or more. Next() and NextView() must
// read them as simdjson does.
TEST(RecordParserTest, PlainScannerUnescapesAsSimdjsonDoes) {
  PostReaderOptions options;
  options.label_field = "label";
  options.author_field = "author";
  options.group_field = "group";
  const char* const kEscapes[] = {
      "\\\"",     "\\\\", "\\/", "\\b", "\\f", "\\n", "\\r", "\\t", "\\x",
      "\\u0041",  "\\ud83d\\ude00", "\\ud800", "\\'", "\\0", "\\\\\\\"",
      "\\\"\x01", "\\n\xC3\x28", "\\t\xC3\xA9", "\\/\xF0\x9F\x98\x80"};
  std::string records;
  for (const char* escape : kEscapes) {
    for (size_t k = 0; k <= 34; ++k) {
      const std::string before(k, 'a');
      const std::string s = absl::StrCat(before, escape, "z");
      absl::StrAppend(&records, "{\"id\": \"", s, "\", \"text\": \"", s, "\"}\n");
      absl::StrAppend(&records, "{\"text\": \"", s, "\", \"author\": \"", s,
                      "\", \"group\": \"g\"}\n");
      absl::StrAppend(&records, "{\"", s, "\": \"", s, "\", \"text\": \"t\"}\n");
      absl::StrAppend(&records, "{\"text\": \"", before, escape, "\"}\n");
      absl::StrAppend(&records, "{\"text\": \"", before, escape, "\n");
    }
  }
  absl::StrAppend(&records, "{\"t\\u0065xt\": \"x\"}\n{\"te\\\"xt\": \"x\"}\n");
  absl::StrAppend(&records, "{\"text\": \"a\", \"label\": \"sp\\/am\"}\n");
  absl::StrAppend(&records, "{\"text\": \"a\", \"label\": \"sp\\\"am\"}\n");
  absl::StrAppend(&records, "{\"text\": \"a\\n\", \"text\": \"b\\n\"}\n");
  absl::StrAppend(&records, "{\"id\\n\": \"a\", \"text\": \"b\"}\n");
  absl::StrAppend(&records, "{\"text\": \"", std::string(70000, 'q'), "\\n\"}\n");
  for (const size_t size : {65400, 65500, 65519, 65520, 65521, 65535, 65536}) {
    absl::StrAppend(&records, "{\"text\": \"", std::string(size, 'r'), "\\\"\"}\n");
    absl::StrAppend(&records, "{\"id\": \"\\\\", std::string(size / 2, 'i'),
                    "\", \"text\": \"", std::string(size / 2, 's'), "\\\"\"}\n");
  }
  absl::StrAppend(&records, "{\"text\": \"last\\t\"}");
  const std::string scanned = ReadAllFields(records, options, true);
  const std::string parsed = ReadAllFields(records, options, false);
  const std::string views = ReadAllViews(records, options);
  for (const std::string* other : {&parsed, &views}) {
    if (scanned == *other) continue;
    size_t i = 0;
    while (i < scanned.size() && i < other->size() && scanned[i] == (*other)[i]) ++i;
    const size_t start = i == 0 ? 0 : scanned.rfind('\n', i - 1) + 1;
    ADD_FAILURE() << (other == &parsed ? "simdjson" : "NextView") << " differs at "
                  << i << ": "
                  << absl::CHexEscape(scanned.substr(start, std::min<size_t>(i - start + 40, 300)))
                  << "\nagainst "
                  << absl::CHexEscape(other->substr(start, std::min<size_t>(i - start + 40, 300)));
  }
  EXPECT_NE(scanned.find(" text=aaa\"z id=aaa\"z "), std::string::npos);
  EXPECT_NE(scanned.find(" text=last\t "), std::string::npos);
}

// A record with an escape read as views is not json_plain (its strings may hold
// '"', '\\' or control characters once unescaped); a plain record is.
TEST(RecordParserTest, NextViewOfAnUnescapedRecordIsNotJsonPlain) {
  const std::string records =
      "{\"id\": \"a\\\"b\", \"text\": \"x\"}\n"
      "{\"id\": \"ab\", \"text\": \"x\"}\n"
      "{\"id\": \"ab\", \"text\": \"x\\ny\"}\n";
  std::string block = records;
  block.append(kBlockPadding, ' ');
  const absl::string_view data(block.data(), records.size());
  RecordParser parser = RecordParser::Create(PostReaderOptions(), "t.jsonl").value();
  size_t pos = 0;
  int64_t line = 1;
  PostView post;
  ASSERT_TRUE(parser.NextView(data, &pos, &line, &post).value());
  EXPECT_EQ(post.id, "a\"b");
  EXPECT_FALSE(post.json_plain);
  ASSERT_TRUE(parser.NextView(data, &pos, &line, &post).value());
  EXPECT_EQ(post.id, "ab");
  EXPECT_TRUE(post.json_plain);
  ASSERT_TRUE(parser.NextView(data, &pos, &line, &post).value());
  EXPECT_EQ(post.text, "x\ny");
  EXPECT_FALSE(post.json_plain);
}

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
      "t.jsonl:5: \"label\" is \"bogus\", not spam/ham, 1/0, true/false or t/f\n"
      "t.jsonl:6: \"text\" appears more than once\n"
      "7 fine\n"
      "t.jsonl:8: \"time\" appears more than once\n";
  EXPECT_EQ(ReadAll(records, true), expected);
  EXPECT_EQ(ReadAll(records, false), expected);
}

// An escaped UTF-16 surrogate without its other half (what JSON encoders write for
// text cut inside an emoji) is U+FFFD, as invalid UTF-8 is, not a broken record;
// pairs stay what they are. Another bad escape is an error saying where.
TEST(RecordParserTest, LoneSurrogateEscapesAreReplaced) {
  const std::string records =
      "{\"id\": \"1\", \"text\": \"emoji cut \\ud83d\"}\n"
      "{\"text\": \"pair \\ud83d\\ude00 low \\uDE00 high high \\ud83d\\ud83d\\ude00\"}\n"
      "{\"text\": \"at the end \\udbff\", \"id\": \"\\ud800\\udc00x\"}\n"
      "{\"text\": \"escaped backslash \\\\ud83d stays\"}\n"
      "{\"text\": \"bad \\x escape\"}\n";
  const std::string expected =
      "1 emoji cut \\xef\\xbf\\xbd\n"
      "2 pair \\xf0\\x9f\\x98\\x80 low \\xef\\xbf\\xbd high high "
      "\\xef\\xbf\\xbd\\xf0\\x9f\\x98\\x80\n"
      "3 at the end \\xef\\xbf\\xbd\n"
      "4 escaped backslash \\\\ud83d stays\n"
      "t.jsonl:5: broken JSON (bad escape in a string at byte 15)\n";
  EXPECT_EQ(ReadAll(records, true), expected);
  EXPECT_EQ(ReadAll(records, false), expected);
}

// simdjson's On-Demand parser checks only the values it reads, and not the
// spelling of a number or literal it hands on as a token: broken JSON anywhere in a
// record (a value of a key nobody reads, a nested one, an id's number) is still
// broken JSON, an error saying where, not a post with an id "tru". Valid JSON of
// any shape (deep nesting, big numbers, escapes, lone surrogates) is read as before.
TEST(RecordParserTest, BrokenJsonInAnyValueIsAnError) {
  const std::string deep = std::string(3000, '[') + std::string(3000, ']');
  const std::string records = absl::StrCat(
      "{\"text\": \"a\\n\", \"id\": tru}\n"
      "{\"text\": \"a\", \"id\": 1abc}\n"
      "{\"text\": \"a\", \"id\": 01}\n"
      "{\"text\": \"a\", \"extra\": nul}\n"
      "{\"text\": \"a\", \"extra\": NaN}\n"
      "{\"text\": \"a\", \"extra\": +1}\n"
      "{\"text\": \"a\", \"extra\": {\"k\" 1}}\n"
      "{\"text\": \"a\", \"extra\": {]}\n"
      "{\"text\": \"a\", \"extra\": [1,]}\n"
      "{\"text\": \"a\", \"extra\": [1 2]}\n"
      "{\"text\": \"a\", \"extra\": \"\\x\"}\n"
      "{\"text\": \"a\", \"extra\": {\"k\": [1, 2.5e-3, -0, true, null, \"\\u00e9\"]}}\n",
      "{\"text\": \"b\", \"extra\": ", deep, ", \"n\": 123456789012345678901234567890}\n",
      "{\"text\": \"c\", \"extra\": \"\\ud83d \\u0007 tab\there\", \"id\": 12 }\n");
  const std::string expected =
      "t.jsonl:1: broken JSON (not a JSON value at byte 23)\n"
      "t.jsonl:2: broken JSON (not a JSON value at byte 21)\n"
      "t.jsonl:3: broken JSON (not a JSON value at byte 21)\n"
      "t.jsonl:4: broken JSON (not a JSON value at byte 24)\n"
      "t.jsonl:5: broken JSON (not a JSON value at byte 24)\n"
      "t.jsonl:6: broken JSON (not a JSON value at byte 24)\n"
      "t.jsonl:7: broken JSON (expected ':' at byte 29)\n"
      "t.jsonl:8: broken JSON (expected a key or '}' at byte 25)\n"
      "t.jsonl:9: broken JSON (not a JSON value at byte 27)\n"
      "t.jsonl:10: broken JSON (expected ',' or ']' at byte 27)\n"
      "t.jsonl:11: broken JSON (bad escape in a string at byte 25)\n"
      "12 a\n"
      "13 b\n"
      "14 c\n";
  EXPECT_EQ(ReadAll(records, true), expected);
  EXPECT_EQ(ReadAll(records, false), expected);
}

// Every post and error of a CSV dump, read as the CLI reads it: BlockReader cuts
// blocks of whole records, RecordParser cuts each block into records.
std::vector<std::string> ReadCsvInBlocks(const std::string& path, size_t block_bytes,
                                         size_t max_record_bytes) {
  BlockReaderOptions block_options;
  block_options.quoted_records = true;
  block_options.block_bytes = block_bytes;
  block_options.max_record_bytes = max_record_bytes;
  auto reader = BlockReader::Open(path, block_options);
  EXPECT_TRUE(reader.ok()) << reader.status();
  PostReaderOptions options;
  options.format = DumpFormat::kCsv;
  options.max_record_bytes = max_record_bytes;
  // Both name the input t.csv in messages.
  RecordParser parser = RecordParser::Create(options, path).value();
  const auto message = [&path](const absl::Status& status) {
    return absl::StrReplaceAll(status.message(), {{path, "t.csv"}});
  };
  std::vector<std::string> out;
  RecordBlock block;
  Post post;
  for (;;) {
    absl::StatusOr<bool> more = (*reader)->Next(&block);
    if (!more.ok()) {
      out.push_back(message(more.status()));
      continue;
    }
    if (!*more) return out;
    size_t pos = 0;
    int64_t line = block.first_line();
    for (;;) {
      absl::StatusOr<bool> got = parser.Next(block.data(), &pos, &line, &post);
      if (!got.ok()) {
        out.push_back(message(got.status()));
      } else if (!*got) {
        break;
      } else {
        out.push_back(
            absl::StrCat(post.line, " ", post.id, " ", absl::CHexEscape(post.text)));
      }
    }
  }
}

// BlockReader and RecordParser find the same record ends (one function decides),
// so how the input falls into blocks changes nothing: stray quotes, escaped quotes,
// quoted newlines, a quote still open at the record limit, an oversize record.
TEST(RecordParserTest, CsvRecordsEndWhereverBlocksEnd) {
  std::string dump =
      "id,text\r\n1,\"a \"\"quoted\"\"\r\nfield\"\r\n2,a 5\" screen\n3,\"\"\n"
      "4,\"x\"y\n5,ok\n6,\"opens\n";
  for (int i = 7; i < 200; ++i) absl::StrAppend(&dump, i, ",\"\"\n");
  absl::StrAppend(&dump, "200,", std::string(1100, 'x'), "\"\n201,\"",
                  std::string(1100, 'y'), "\n202,after\n203,\"open at the end\n204,last");
  const std::string path = testing::WriteTempFile("blocks.csv", dump);
  const std::vector<std::string> whole = ReadCsvInBlocks(path, 1 << 20, 1024);
  ASSERT_EQ(whole.size(), 204u);
  EXPECT_EQ(whole[0], "2 1 a \\\"quoted\\\"\\r\\nfield");
  EXPECT_EQ(whole[1], "t.csv:4: double quote inside an unquoted field at byte 6");
  EXPECT_EQ(whole[2], "5 3 ");
  EXPECT_EQ(whole[3], "t.csv:6: unexpected character after a closing quote at byte 6");
  // Open to the limit (the "" of the next lines keep it open): ends with its line.
  EXPECT_EQ(whole[5], "t.csv:8: quoted field opened on line 8 is not closed");
  EXPECT_EQ(whole[6], "9 7 ");
  EXPECT_EQ(whole[198], "201 199 ");
  EXPECT_EQ(whole[199], "t.csv:202: record longer than 1024 bytes");
  EXPECT_EQ(whole[200], "t.csv:203: record longer than 1024 bytes");
  EXPECT_EQ(whole[201], "204 202 after");
  EXPECT_EQ(whole[202], "t.csv:205: quoted field opened on line 205 is not closed");
  EXPECT_EQ(whole[203], "206 204 last");
  for (size_t block_bytes : {1, 2, 3, 5, 8, 13, 64, 1000, 1025, 1026, 1027, 4096}) {
    const std::vector<std::string> blocks = ReadCsvInBlocks(path, block_bytes, 1024);
    size_t i = 0;
    while (i < blocks.size() && i < whole.size() && blocks[i] == whole[i]) ++i;
    EXPECT_TRUE(i == blocks.size() && i == whole.size())
        << block_bytes << "-byte blocks, item " << i << ": "
        << (i < blocks.size() ? blocks[i] : "(none)")
        << "\nin one block: " << (i < whole.size() ? whole[i] : "(none)");
  }
}

}  // namespace
}  // namespace groupguard::internal
