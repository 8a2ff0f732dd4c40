#include "groupguard/post_reader.h"

#include <algorithm>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test_files.h"

namespace groupguard {
namespace {

using ::groupguard::testing::WriteTempFile;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// Reads every record, collecting posts and error messages (the reader goes on after
// a malformed record).
struct ReadResult {
  std::vector<Post> posts;
  std::vector<std::string> errors;
};

ReadResult ReadSkippingErrors(const std::string& path, const PostReaderOptions& options) {
  ReadResult result;
  auto reader = PostReader::Open(path, options);
  EXPECT_TRUE(reader.ok()) << reader.status();
  if (!reader.ok()) return result;
  for (int guard = 0; guard < 100000; ++guard) {
    Post post;
    absl::StatusOr<bool> more = (*reader)->Next(&post);
    if (!more.ok()) {
      EXPECT_EQ(more.status().code(), absl::StatusCode::kInvalidArgument);
      result.errors.emplace_back(more.status().message());
      continue;
    }
    if (!*more) break;
    result.posts.push_back(std::move(post));
  }
  return result;
}

PostReaderOptions Format(DumpFormat format) {
  PostReaderOptions options;
  options.format = format;
  return options;
}

TEST(PostReaderTest, ReadsJsonLinesFields) {
  std::string path = WriteTempFile(
      "fields.jsonl",
      R"({"id": "a1", "text": "Win a prize", "label": "spam", "author": "bob", "group": "g1", "time": "2024-01-02", "source": "x", "extra": {"n": [1, 2]}})"
      "\n"
      R"({"text": "hello", "id": 42, "label": null, "author": null, "group": null, "time": null})"
      "\n");
  auto posts = ReadPosts(path);
  ASSERT_TRUE(posts.ok()) << posts.status();
  ASSERT_EQ(posts->size(), 2u);
  const Post& a = (*posts)[0];
  EXPECT_EQ(a.id, "a1");
  EXPECT_EQ(a.text, "Win a prize");
  EXPECT_EQ(a.is_spam, std::optional<bool>(true));
  EXPECT_EQ(a.author, "bob");
  EXPECT_EQ(a.group, "g1");
  EXPECT_EQ(a.time, "2024-01-02");
  EXPECT_EQ(a.line, 1);
  const Post& b = (*posts)[1];
  EXPECT_EQ(b.id, "42");
  EXPECT_EQ(b.text, "hello");
  EXPECT_FALSE(b.is_spam.has_value());
  EXPECT_EQ(b.author, "");
  EXPECT_EQ(b.line, 2);
}

TEST(PostReaderTest, AcceptsEveryLabelSpelling) {
  std::string path = WriteTempFile(
      "labels.jsonl",
      "{\"text\":\"a\",\"label\":\"spam\"}\n{\"text\":\"a\",\"label\":\"ham\"}\n"
      "{\"text\":\"a\",\"label\":\"1\"}\n{\"text\":\"a\",\"label\":\"0\"}\n"
      "{\"text\":\"a\",\"label\":true}\n{\"text\":\"a\",\"label\":false}\n"
      "{\"text\":\"a\",\"label\":1}\n{\"text\":\"a\",\"label\":0}\n"
      "{\"text\":\"a\",\"label\":\"SPAM\"}\n"
      // PostgreSQL's booleans (COPY and psql --csv write t/f).
      "{\"text\":\"a\",\"label\":\"t\"}\n{\"text\":\"a\",\"label\":\"f\"}\n"
      "{\"text\":\"a\",\"label\":\" T \"}\n{\"text\":\"a\",\"label\":\"F\"}\n");
  auto posts = ReadPosts(path);
  ASSERT_TRUE(posts.ok()) << posts.status();
  std::vector<bool> labels;
  for (const Post& p : *posts) {
    ASSERT_TRUE(p.is_spam.has_value());
    labels.push_back(*p.is_spam);
  }
  EXPECT_EQ(labels, (std::vector<bool>{true, false, true, false, true, false, true, false,
                                       true, true, false, true, false}));
  // The same in a CSV column, as `psql --csv` or COPY ... CSV write it.
  PostReaderOptions csv;
  csv.format = DumpFormat::kCsv;
  csv.label_field = "is_spam";
  posts = ReadPosts(WriteTempFile("labels.csv", "text,is_spam\r\na,t\r\nb,f\r\n"), csv);
  ASSERT_TRUE(posts.ok()) << posts.status();
  ASSERT_EQ(posts->size(), 2u);
  EXPECT_EQ((*posts)[0].is_spam, true);
  EXPECT_EQ((*posts)[1].is_spam, false);
}

TEST(PostReaderTest, ReportsEachJsonErrorWithItsLineAndGoesOn) {
  std::string path = WriteTempFile("errors.jsonl",
                                   "{\"text\": \"ok1\"}\n"
                                   "{\"text\": \"broken\"\n"
                                   "{\"id\": \"x\"}\n"
                                   "{\"text\": 5}\n"
                                   "[1, 2]\n"
                                   "{\"text\": \"a\", \"label\": \"maybe\"}\n"
                                   "{\"text\": \"a\"} \"x\"\n"
                                   "{\"text\": \"ok2\"}\n");
  ReadResult result = ReadSkippingErrors(path, PostReaderOptions());
  ASSERT_EQ(result.posts.size(), 2u);
  EXPECT_EQ(result.posts[0].text, "ok1");
  EXPECT_EQ(result.posts[1].text, "ok2");
  EXPECT_EQ(result.posts[1].line, 8);
  ASSERT_EQ(result.errors.size(), 6u);
  EXPECT_THAT(result.errors[0],
              HasSubstr("errors.jsonl:2: broken JSON (the record ends inside a value at "
                        "byte 18)"));
  EXPECT_THAT(result.errors[1], HasSubstr("errors.jsonl:3: missing \"text\""));
  EXPECT_THAT(result.errors[2], HasSubstr("errors.jsonl:4: \"text\" is not a string"));
  EXPECT_THAT(result.errors[3], HasSubstr("errors.jsonl:5: not a JSON object"));
  EXPECT_THAT(result.errors[4], HasSubstr("errors.jsonl:6: \"label\" is \"maybe\""));
  EXPECT_THAT(
      result.errors[5],
      HasSubstr("errors.jsonl:7: trailing content after the JSON object at byte 15"));
}

TEST(PostReaderTest, EmptyLabelFieldReadsNoLabels) {
  PostReaderOptions options;
  options.label_field.clear();
  // Plain records, records the plain scanner leaves to simdjson (an escape), an
  // empty key, and a label column of other words: all read, none labeled.
  std::string jsonl =
      WriteTempFile("no_labels.jsonl",
                    "{\"text\": \"a\", \"label\": \"maybe\"}\n"
                    "{\"text\": \"b\\n\", \"label\": \"promo\", \"label\": 7}\n"
                    "{\"\": \"x\", \"text\": \"c\", \"label\": \"spam\"}\n");
  ReadResult result = ReadSkippingErrors(jsonl, options);
  EXPECT_THAT(result.errors, IsEmpty());
  ASSERT_EQ(result.posts.size(), 3u);
  for (const Post& p : result.posts) EXPECT_FALSE(p.is_spam.has_value()) << p.line;
  options.format = DumpFormat::kCsv;
  std::string csv = WriteTempFile("no_labels.csv",
                                  "text,label,label,\nhello,promo,x,y\nbye,spam,ham,z\n");
  result = ReadSkippingErrors(csv, options);
  EXPECT_THAT(result.errors, IsEmpty());
  ASSERT_EQ(result.posts.size(), 2u);
  for (const Post& p : result.posts) EXPECT_FALSE(p.is_spam.has_value()) << p.line;
}

TEST(PostReaderTest, ReadPostsStopsAtTheFirstBadRecord) {
  std::string path = WriteTempFile(
      "stop.jsonl", "{\"text\": \"a\"}\n\n{\"text\": \"b\"\n{\"text\": \"c\"}\n");
  auto posts = ReadPosts(path);
  ASSERT_FALSE(posts.ok());
  EXPECT_EQ(posts.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(posts.status().message(), HasSubstr("stop.jsonl:3:"));
}

TEST(PostReaderTest, HandlesCrlfBomAndBlankLines) {
  std::string path = WriteTempFile(
      "crlf.jsonl",
      "\xEF\xBB\xBF{\"text\": \"one\"}\r\n\r\n   \n{\"text\": \"two\"}\r\n\n");
  auto posts = ReadPosts(path);
  ASSERT_TRUE(posts.ok()) << posts.status();
  ASSERT_EQ(posts->size(), 2u);
  EXPECT_EQ((*posts)[0].text, "one");
  EXPECT_EQ((*posts)[0].line, 1);
  EXPECT_EQ((*posts)[1].text, "two");
  EXPECT_EQ((*posts)[1].line, 4);
}

// The reader drops a UTF-8 byte order mark, and the byte offsets of line 1's
// messages were 3 short of the file's. They count it, as the file has them; the
// lines after it are as without a mark. (A CSV/TSV header's error fails Open().)
TEST(PostReaderTest, ByteOffsetsOnLineOneCountAByteOrderMark) {
  const auto errors = [](const std::string& path, DumpFormat format) {
    std::vector<std::string> errors;
    auto reader = PostReader::Open(path, Format(format));
    if (!reader.ok()) errors.emplace_back(reader.status().message());
    for (int guard = 0; reader.ok() && guard < 100; ++guard) {
      Post post;
      absl::StatusOr<bool> more = (*reader)->Next(&post);
      if (more.ok() && !*more) break;
      if (!more.ok()) errors.emplace_back(more.status().message());
    }
    return errors;
  };
  const struct {
    const char* name;
    DumpFormat format;
    std::string dump;
    std::vector<std::string> errors;      // after the path, read as it is
    std::vector<std::string> bom_errors;  // after the path, read after a mark
  } cases[] = {
      {"broken.jsonl",
       DumpFormat::kJsonLines,
       "{\"text\" \"a\"}\n{\"text\" \"a\"}\n",
       {":1: broken JSON (expected ':' at byte 9)",
        ":2: broken JSON (expected ':' at byte 9)"},
       {":1: broken JSON (expected ':' at byte 12)",
        ":2: broken JSON (expected ':' at byte 9)"}},
      {"trailing.jsonl",
       DumpFormat::kJsonLines,
       "{\"text\": \"a\"} x\n",
       {":1: trailing content after the JSON object at byte 15"},
       {":1: trailing content after the JSON object at byte 18"}},
      {"cr.jsonl",
       DumpFormat::kJsonLines,
       "{\"text\": \"a\"}\r x\n",
       {":1: a carriage return (\\r) not followed by a newline after the JSON object "
        "at byte 14: lines ended by a lone \\r are not read; convert them to \\n or "
        "\\r\\n"},
       {":1: a carriage return (\\r) not followed by a newline after the JSON object "
        "at byte 17: lines ended by a lone \\r are not read; convert them to \\n or "
        "\\r\\n"}},
      {"quote.csv",
       DumpFormat::kCsv,
       "id,te\"xt\n1,a\n",
       {":1: header: double quote inside an unquoted field at byte 6"},
       {":1: header: double quote inside an unquoted field at byte 9"}},
      // On the header's second line: no mark before it.
      {"closed.csv",
       DumpFormat::kCsv,
       "\"a\nb\"x,text\n1,a\n",
       {":1: header: unexpected character after a closing quote at byte 3 of line 2 "
        "(the quoted field runs from line 1 to line 2)"},
       {":1: header: unexpected character after a closing quote at byte 3 of line 2 "
        "(the quoted field runs from line 1 to line 2)"}},
      {"data.csv",
       DumpFormat::kCsv,
       "text\nhe\"llo\n",
       {":2: double quote inside an unquoted field at byte 3"},
       {":2: double quote inside an unquoted field at byte 3"}},
      {"cr.tsv",
       DumpFormat::kTsv,
       "text\tla\rbel\nhello\tx\n",
       {":1: header: a carriage return (\\r) not followed by a newline at byte 8: lines "
        "ended by a lone \\r are not read (they would make one record); convert them "
        "to \\n or \\r\\n (TSV has no quoting: a field cannot hold a \\r)"},
       {":1: header: a carriage return (\\r) not followed by a newline at byte 11: "
        "lines ended by a lone \\r are not read (they would make one record); convert "
        "them to \\n or \\r\\n (TSV has no quoting: a field cannot hold a \\r)"}},
  };
  for (const auto& c : cases) {
    const std::string path = WriteTempFile(c.name, c.dump);
    const std::string bom_path =
        WriteTempFile(absl::StrCat("bom_", c.name), absl::StrCat("\xEF\xBB\xBF", c.dump));
    std::vector<std::string> want, bom_want;
    for (const std::string& e : c.errors) want.push_back(path + e);
    for (const std::string& e : c.bom_errors) bom_want.push_back(bom_path + e);
    EXPECT_EQ(errors(path, c.format), want) << c.name;
    EXPECT_EQ(errors(bom_path, c.format), bom_want) << c.name;
  }
}

// A byte order mark past the first line (files joined with `cat` keep each one's)
// is named as such: it was "not a JSON value at byte 1", which the line's first
// visible character, '{', did not explain.
TEST(PostReaderTest, AByteOrderMarkPastTheFirstLineIsNamed) {
  const std::string file = "\xEF\xBB\xBF{\"text\": \"a\"}\n";
  const std::string path = WriteTempFile("joined.jsonl", file + file);
  ReadResult result = ReadSkippingErrors(path, Format(DumpFormat::kJsonLines));
  ASSERT_EQ(result.posts.size(), 1u);
  EXPECT_THAT(result.errors,
              ElementsAre(path + ":2: broken JSON (a UTF-8 byte order mark, not a JSON "
                                 "value at byte 1)"));
}

// Python's csv module on Windows, writing to a file opened without newline="",
// ends every line with \r\r\n: the last column is still the last column (not
// "id\r", so every id null, every label missing), and its values have no \r.
TEST(PostReaderTest, CsvAndTsvLinesEndingInSeveralCarriageReturns) {
  for (const auto& [name, dump, format] :
       {std::tuple{"crcrlf.csv", "text,id,label\r\r\nhello,1,spam\r\r\nbye,2,ham\r\r\n",
                   DumpFormat::kCsv},
        std::tuple{"crcrlf.tsv", "text\tid\tlabel\r\r\nhello\t1\tspam\r\r\n",
                   DumpFormat::kTsv}}) {
    ReadResult result = ReadSkippingErrors(WriteTempFile(name, dump), Format(format));
    EXPECT_THAT(result.errors, IsEmpty()) << name;
    ASSERT_GE(result.posts.size(), 1u) << name;
    EXPECT_EQ(result.posts[0].text, "hello");
    EXPECT_EQ(result.posts[0].id, "1") << name;
    EXPECT_EQ(result.posts[0].is_spam, std::optional<bool>(true)) << name;
  }
}

// Lines ended by a lone \r (classic Mac, "CSV (Macintosh)") are one line to the
// reader: the header swallowed the whole dump, and with the text column first,
// there was no record and no error. The header says what is wrong instead.
TEST(PostReaderTest, CsvAndTsvWithLoneCarriageReturnLineEndsAreRefused) {
  for (const auto& [name, dump, format] :
       {std::tuple{"mac.csv", "text,label\rhello,spam\rbye,ham\r", DumpFormat::kCsv},
        std::tuple{"mac.tsv", "text\tlabel\rhello\tspam\r", DumpFormat::kTsv}}) {
    auto posts = ReadPosts(WriteTempFile(name, dump), Format(format));
    ASSERT_FALSE(posts.ok()) << name;
    EXPECT_EQ(posts.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(posts.status().message(),
                HasSubstr(absl::StrCat(name,
                                       ":1: header: a carriage return (\\r) not "
                                       "followed by a newline at byte 11")));
  }
  // A quoted column name may hold one.
  auto posts = ReadPosts(WriteTempFile("quoted.csv", "text,\"a\rb\"\nhello,x\n"),
                         Format(DumpFormat::kCsv));
  ASSERT_TRUE(posts.ok()) << posts.status();
  EXPECT_EQ(posts->size(), 1u);
}

// A lone \r in a data line, outside quotes, made one record of two lines whenever
// the field count still matched (a text column alone; here "hello\rworld"), and the
// second line's post was lost. It is an error naming the line and the byte, of the
// line the \r is on when a quoted field before it spans lines; in quotes it is data.
TEST(PostReaderTest, LoneCarriageReturnInADataLineIsRefused) {
  for (const auto& [name, dump, format] :
       {std::tuple{"cr.csv", "text\nhello\rworld\nbye\n", DumpFormat::kCsv},
        std::tuple{"cr.tsv", "text\nhello\rworld\nbye\n", DumpFormat::kTsv}}) {
    ReadResult result = ReadSkippingErrors(WriteTempFile(name, dump), Format(format));
    ASSERT_EQ(result.errors.size(), 1u) << name;
    EXPECT_THAT(result.errors[0],
                HasSubstr(absl::StrCat(name,
                                       ":2: a carriage return (\\r) not followed by a "
                                       "newline at byte 6")));
    ASSERT_EQ(result.posts.size(), 1u) << name;
    EXPECT_EQ(result.posts[0].text, "bye");
    EXPECT_EQ(result.posts[0].line, 3);
  }
  // Right after a closing quote, on the third line of a record that starts on the
  // second; and with more columns, where the merged line's fields still count two.
  ReadResult after_quote = ReadSkippingErrors(
      WriteTempFile("cr_quote.csv", "id,text\n1,\"two\nlines\"\r,\n2,x\rmore\n3,ok\n"),
      Format(DumpFormat::kCsv));
  ASSERT_EQ(after_quote.errors.size(), 2u);
  EXPECT_THAT(after_quote.errors[0],
              HasSubstr("cr_quote.csv:2: a carriage return (\\r) not followed by a "
                        "newline at byte 7 of line 3, outside quotes"));
  EXPECT_THAT(after_quote.errors[1],
              HasSubstr("cr_quote.csv:4: a carriage return (\\r) not followed by a "
                        "newline at byte 4, outside quotes"));
  ASSERT_EQ(after_quote.posts.size(), 1u);
  EXPECT_EQ(after_quote.posts[0].id, "3");
  // In quotes, a \r is the field's.
  auto quoted = ReadPosts(WriteTempFile("cr_quoted.csv", "text\n\"hello\rworld\"\nbye\n"),
                          Format(DumpFormat::kCsv));
  ASSERT_TRUE(quoted.ok()) << quoted.status();
  ASSERT_EQ(quoted->size(), 2u);
  EXPECT_EQ((*quoted)[0].text, "hello\rworld");
}

// JSON Lines whose lines end with a lone \r is one record to the reader, and a
// UTF-16 (or UTF-32) file read as UTF-8 is garbage from its first byte: each error
// says so, not only "trailing content" or "broken JSON at byte 1".
TEST(PostReaderTest, LoneCarriageReturnsAndUtf16AreNamedAsSuch) {
  auto mac =
      ReadPosts(WriteTempFile("mac.jsonl", "{\"text\":\"a\"}\r{\"text\":\"b\"}\r"));
  ASSERT_FALSE(mac.ok());
  EXPECT_THAT(mac.status().message(),
              HasSubstr("mac.jsonl:1: a carriage return (\\r) not followed by a newline "
                        "after the JSON object"));
  auto two = ReadPosts(WriteTempFile("two.jsonl", "{\"text\":\"a\"} {\"text\":\"b\"}\n"));
  ASSERT_FALSE(two.ok());
  EXPECT_THAT(two.status().message(),
              HasSubstr("two.jsonl:1: trailing content after the JSON object"));
  // "text,label\nhi,spam\n" in UTF-16LE and UTF-16BE, and a JSON Lines record.
  std::string le = "\xFF\xFE", be = "\xFE\xFF", json = "\xFF\xFE";
  for (char c : std::string("text,label\nhi,spam\n")) {
    le += {c, '\0'};
    be += {'\0', c};
  }
  for (char c : std::string("{\"text\":\"hi\"}\n")) json += {c, '\0'};
  for (const auto& [name, dump, format] :
       {std::tuple{"le.csv", le, DumpFormat::kCsv},
        std::tuple{"be.csv", be, DumpFormat::kCsv},
        std::tuple{"le.jsonl", json, DumpFormat::kJsonLines}}) {
    auto posts = ReadPosts(WriteTempFile(name, dump), Format(format));
    ASSERT_FALSE(posts.ok()) << name;
    EXPECT_EQ(posts.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(
        posts.status().message(),
        HasSubstr(absl::StrCat(name, ":1: ", format == DumpFormat::kCsv ? "header: " : "",
                               "the input is UTF-16 or UTF-32")));
  }
}

TEST(PostReaderTest, LastLineWithoutNewline) {
  std::string path = WriteTempFile("nonl.jsonl", "{\"text\": \"a\"}\n{\"text\": \"b\"}");
  auto posts = ReadPosts(path);
  ASSERT_TRUE(posts.ok()) << posts.status();
  ASSERT_EQ(posts->size(), 2u);
  EXPECT_EQ((*posts)[1].text, "b");
}

TEST(PostReaderTest, EmptyFileHasNoPosts) {
  auto posts = ReadPosts(WriteTempFile("empty.jsonl", ""));
  ASSERT_TRUE(posts.ok());
  EXPECT_TRUE(posts->empty());
}

TEST(PostReaderTest, RecordOverTheLimitIsAnErrorThenReadingGoesOn) {
  PostReaderOptions options;
  options.max_record_bytes = 1024;
  std::string big = absl::StrCat("{\"text\": \"", std::string(5000, 'x'), "\"}");
  std::string path = WriteTempFile(
      "huge.jsonl", absl::StrCat("{\"text\": \"a\"}\n", big, "\n{\"text\": \"b\"}\n"));
  ReadResult result = ReadSkippingErrors(path, options);
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_THAT(result.errors[0], HasSubstr("huge.jsonl:2: record longer than 1024 bytes"));
  ASSERT_EQ(result.posts.size(), 2u);
  EXPECT_EQ(result.posts[1].text, "b");
  EXPECT_EQ(result.posts[1].line, 3);
}

TEST(PostReaderTest, RejectsOutOfRangeLimit) {
  PostReaderOptions options;
  options.max_record_bytes = 10;
  auto reader = PostReader::Open(WriteTempFile("limit.jsonl", ""), options);
  EXPECT_EQ(reader.status().code(), absl::StatusCode::kInvalidArgument);
}

// Every field and error of a record, on one line, for comparing parses.
std::string Describe(const ReadResult& result) {
  std::string s;
  for (const Post& p : result.posts) {
    absl::StrAppend(
        &s, p.line, " id=[", p.id, "] text=[", p.text,
        "] label=", p.is_spam.has_value() ? (*p.is_spam ? "spam" : "ham") : "none",
        " author=[", p.author, "] group=[", p.group, "] time=[", p.time, "]\n");
  }
  for (const std::string& e : result.errors) {
    // From the file name on: the temporary directory varies.
    const size_t name = e.find("plain.jsonl:");
    absl::StrAppend(&s, e.substr(name == std::string::npos ? 0 : name), "\n");
  }
  return s;
}

// Records near the edges of the parser's fast path for plain records (strings
// without escapes): each must read exactly as simdjson reads it. The expected
// text was produced by the simdjson-only parser.
TEST(PostReaderTest, PlainRecordsReadAsSimdjsonReadsThem) {
  const std::string long_text(100, 'a');
  const std::string records = absl::StrCat(
      "{\"id\": \"x\", \"text\": \"caf\\u00e9 \\\"q\\\"\"}\n",  // escapes
      "{\"label\": \"bogus\", \"text\": \"abc}\n",              // unclosed
      "{\"label\": \"bogus\", \"text\": \"ok\"}\n",
      "{\"text\": \"a\", \"text\": \"b\", \"id\": \"1\", \"id\": \"2\"}\n",  // repeated
      "{\"text\": \"x\xC0\xAF\"}\n",                                         // overlong
      "{\"text\": \"y\xED\xA0\x80\"}\n",                                     // surrogate
      "{\"text\": \"z\xF4\x90\x80\x80\"}\n",                                 // > U+10FFFF
      "{\"text\": \"ok \xE2\x99\xA5 \xF0\x9F\x98\x80 \xD0\x96\xE0\xA0\x80\"}\n",
      "{\"text\": \"ok\"} x\n", "{\"text\": \"ok\",}\n",
      "  {\"text\" : \"sp\" ,\t\"id\":\"s\"}  \n", "{}\n",
      "{\"text\": \"ok\", \"n\": 5}\n", "[\"text\"]\n", "{\"text\": \"a\tb\"}\n",
      "{\"text\": \"", long_text, "}\n", "{\"id\": \"\", \"text\": \"\"}\n",
      "{\"label\": \"ham\", \"label\": \"bogus\", \"text\": \"x\"}\n",
      "{\"label\": \"bogus\", \"text\": \"x\", \"label\": \"what\"}\n",
      "{\"text\": \"x\"}{\"text\": \"y\"}\n",
      "{\"text\": \"0123456789abcde\"}\n{\"text\": \"0123456789abcdef\"}\n",
      "{\"text\":\"x\",\"author\":\"a\",\"group\":\"g\",\"time\":\"t\",\"label\":\" SPAM "
      "\"}\n",
      "{\"t\xC3\xABxt\": \"x\", \"text\": \"y\\/\"}\n", "{\"text\": \"abc\x7f\"}\n",
      "{\"text\": \"a\xE2\x99\"}\n", "{\"text\" \"a\"}\n", "{\"text\": \"a\"\n",
      "{\"text\": \"", long_text, "\xE2\x99\xA5", long_text, "\"}");
  const std::string expected =
      "1 id=[x] text=[caf\xC3\xA9 \"q\"] label=none author=[] group=[] time=[]\n"
      "5 id=[] text=[x\xEF\xBF\xBD\xEF\xBF\xBD] label=none author=[] group=[] time=[]\n"
      "6 id=[] text=[y\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD] label=none author=[] "
      "group=[] time=[]\n"
      "7 id=[] text=[z\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD] label=none "
      "author=[] group=[] time=[]\n"
      "8 id=[] text=[ok \xE2\x99\xA5 \xF0\x9F\x98\x80 \xD0\x96\xE0\xA0\x80] label=none "
      "author=[] group=[] time=[]\n"
      "11 id=[s] text=[sp] label=none author=[] group=[] time=[]\n"
      "13 id=[] text=[ok] label=none author=[] group=[] time=[]\n"
      "15 id=[] text=[a\tb] label=none author=[] group=[] time=[]\n"
      "17 id=[] text=[] label=none author=[] group=[] time=[]\n"
      "21 id=[] text=[0123456789abcde] label=none author=[] group=[] time=[]\n"
      "22 id=[] text=[0123456789abcdef] label=none author=[] group=[] time=[]\n"
      "23 id=[] text=[x] label=spam author=[a] group=[g] time=[t]\n"
      "24 id=[] text=[y/] label=none author=[] group=[] time=[]\n"
      "25 id=[] text=[abc\x7F] label=none author=[] group=[] time=[]\n"
      "26 id=[] text=[a\xEF\xBF\xBD\xEF\xBF\xBD] label=none author=[] group=[] time=[]\n"
      "29 id=[] "
      "text=["
      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
      "aaaaaaaaaaaaaaaaaa\xE2\x99\xA5"
      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
      "aaaaaaaaaaaaaaaaaa] label=none author=[] group=[] time=[]\n"
      "plain.jsonl:2: broken JSON (a string not closed at byte 28)\n"
      "plain.jsonl:3: \"label\" is \"bogus\", not spam/ham, 1/0, true/false or t/f\n"
      "plain.jsonl:4: \"text\" appears more than once\n"
      "plain.jsonl:9: trailing content after the JSON object at byte 16\n"
      "plain.jsonl:10: broken JSON (expected a key at byte 15)\n"
      "plain.jsonl:12: missing \"text\"\n"
      "plain.jsonl:14: not a JSON object\n"
      "plain.jsonl:16: broken JSON (a string not closed at byte 10)\n"
      "plain.jsonl:18: \"label\" appears more than once\n"
      "plain.jsonl:19: \"label\" is \"bogus\", not spam/ham, 1/0, true/false or t/f\n"
      "plain.jsonl:20: trailing content after the JSON object at byte 14\n"
      "plain.jsonl:27: broken JSON (expected ':' at byte 9)\n"
      "plain.jsonl:28: broken JSON (the record ends inside a value at byte 13)\n";
  ReadResult result = ReadSkippingErrors(WriteTempFile("plain.jsonl", records), {});
  EXPECT_EQ(Describe(result), expected);
}

TEST(PostReaderTest, InvalidUtf8AndNulAreKept) {
  std::string path = WriteTempFile("bytes.jsonl",
                                   "{\"text\": \"a\xFF"
                                   "b\"}\n{\"text\": \"x\\u0000y\"}\n");
  auto posts = ReadPosts(path);
  ASSERT_TRUE(posts.ok()) << posts.status();
  ASSERT_EQ(posts->size(), 2u);
  EXPECT_EQ((*posts)[0].text,
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ((*posts)[1].text, std::string("x\0y", 3));
}

// A text's invalid UTF-8 is replaced, but an id, author or group's makes the record
// malformed: replaced, Latin-1 "Jos\xE9" and "Jos\xE8" would be one author. A U+FFFD
// the dump wrote itself (raw or escaped) is fine, and so is one in a field the
// options do not read.
TEST(PostReaderTest, IdsAuthorsAndGroupsThatAreNotUtf8AreMalformed) {
  const std::string jsonl = WriteTempFile(
      "ids.jsonl",
      "{\"id\": \"a\xE9\", \"text\": \"x\"}\n"
      "{\"id\": \"2\", \"text\": \"x\", \"author\": \"Jos\xE9\"}\n"
      "{\"id\": \"3\", \"text\": \"x\", \"group\": \"g \\ud83d\"}\n"
      "{\"id\": \"4\", \"text\": \"x\\ud83d\", \"author\": \"a\xEF\xBF\xBD\", "
      "\"group\": \"\\ufffd\", \"time\": \"\xFF\", \"other\": \"\xFF\"}\n"
      "{\"id\": \"5\", \"text\": \"Jos\xE9\", \"author\": \"Jos\xC3\xA9\"}\n"
      "{\"id\": \"\\ud83d\\ude00\", \"text\": \"\xFF\", \"author\": \"\xE9\"}\n");
  ReadResult result = ReadSkippingErrors(jsonl, PostReaderOptions());
  const std::string why =
      " is not valid UTF-8 (or holds half of an escaped surrogate pair): an id, author "
      "or group is not repaired as a text is, as two different ones would then be the "
      "same; convert the dump to UTF-8";
  EXPECT_THAT(result.errors,
              ::testing::ElementsAre(absl::StrCat(jsonl, ":1: \"id\"", why),
                                     absl::StrCat(jsonl, ":2: \"author\"", why),
                                     absl::StrCat(jsonl, ":3: \"group\"", why),
                                     absl::StrCat(jsonl, ":6: \"author\"", why)));
  ASSERT_EQ(result.posts.size(), 2u);
  EXPECT_EQ(result.posts[0].id, "4");
  EXPECT_EQ(result.posts[0].text, "x\xEF\xBF\xBD");
  EXPECT_EQ(result.posts[0].author, "a\xEF\xBF\xBD");
  EXPECT_EQ(result.posts[0].group, "\xEF\xBF\xBD");
  EXPECT_EQ(result.posts[0].time, "\xEF\xBF\xBD");
  EXPECT_EQ(result.posts[1].text, "Jos\xEF\xBF\xBD");
  EXPECT_EQ(result.posts[1].author, "Jos\xC3\xA9");
  // Not read, not checked.
  PostReaderOptions unread;
  unread.author_field.clear();
  result = ReadSkippingErrors(jsonl, unread);
  EXPECT_EQ(result.errors.size(), 2u);
  EXPECT_EQ(result.posts.size(), 4u);

  for (const DumpFormat format : {DumpFormat::kCsv, DumpFormat::kTsv}) {
    const char sep = format == DumpFormat::kCsv ? ',' : '\t';
    std::string dump =
        "id,text,author,group\n"
        "a\xE9,x,,\n"
        "2,x,Jos\xE9,\n"
        "3,x,,g\xED\xA0\xBD\n"  // an encoded surrogate
        "4,x\xFF,a\xEF\xBF\xBD,\xEF\xBF\xBD\n";
    std::replace(dump.begin(), dump.end(), ',', sep);
    const std::string path =
        WriteTempFile(format == DumpFormat::kCsv ? "ids.csv" : "ids.tsv", dump);
    result = ReadSkippingErrors(path, Format(format));
    const std::string plain_why =
        " is not valid UTF-8: an id, author or group is not repaired as a text is, as "
        "two different ones would then be the same; convert the dump to UTF-8";
    EXPECT_THAT(result.errors,
                ::testing::ElementsAre(absl::StrCat(path, ":2: \"id\"", plain_why),
                                       absl::StrCat(path, ":3: \"author\"", plain_why),
                                       absl::StrCat(path, ":4: \"group\"", plain_why)));
    ASSERT_EQ(result.posts.size(), 1u);
    EXPECT_EQ(result.posts[0].text, "x\xFF");  // the tokenizer replaces it
    EXPECT_EQ(result.posts[0].author, "a\xEF\xBF\xBD");
  }
}

TEST(PostReaderTest, RawControlCharactersInStringsAreKept) {
  std::string record =
      std::string("{\"id\":\t\"n\", \"text\": \"a\0b\tc\\\"\x01\"}\n", 32);
  auto posts = ReadPosts(WriteTempFile("raw.jsonl", record));
  ASSERT_TRUE(posts.ok()) << posts.status();
  ASSERT_EQ(posts->size(), 1u);
  EXPECT_EQ((*posts)[0].id, "n");
  EXPECT_EQ((*posts)[0].text, std::string("a\0b\tc\"\x01", 7));
}

TEST(PostReaderTest, ManyRecordsAcrossBlocks) {
  std::string contents;
  for (int i = 0; i < 20000; ++i) {
    absl::StrAppend(&contents, "{\"id\": \"p", i, "\", \"text\": \"post number ", i,
                    " with some padding text to cross blocks\"}\n");
  }
  auto posts = ReadPosts(WriteTempFile("many.jsonl", contents));
  ASSERT_TRUE(posts.ok()) << posts.status();
  ASSERT_EQ(posts->size(), 20000u);
  for (int i = 0; i < 20000; i += 997) {
    EXPECT_EQ((*posts)[i].id, absl::StrCat("p", i));
    EXPECT_EQ((*posts)[i].line, i + 1);
  }
  EXPECT_EQ(posts->back().text,
            "post number 19999 with some padding text to cross blocks");
}

TEST(PostReaderTest, ReportsProgressAndSize) {
  std::string path = WriteTempFile("progress.jsonl", "{\"text\": \"a\"}\n");
  auto reader = PostReader::Open(path, PostReaderOptions());
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ((*reader)->input_size(), std::optional<uint64_t>(14));
  Post post;
  ASSERT_TRUE(*(*reader)->Next(&post));
  EXPECT_EQ((*reader)->bytes_consumed(), 14u);
  EXPECT_EQ((*reader)->name(), path);
}

TEST(PostReaderTest, MissingFileIsNotFound) {
  auto reader = PostReader::Open("/nonexistent/posts.jsonl", PostReaderOptions());
  EXPECT_EQ(reader.status().code(), absl::StatusCode::kNotFound);
}

// Not ": No such file or directory".
TEST(PostReaderTest, EmptyPathIsInvalidArgument) {
  auto reader = PostReader::Open("", PostReaderOptions());
  EXPECT_EQ(reader.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(reader.status().message(), "empty file name");
}

TEST(PostReaderTest, ReadsCsvWithQuotesAndEmbeddedNewlines) {
  std::string path = WriteTempFile("quotes.csv",
                                   "id,text,label,other\r\n"
                                   "1,\"Hello, \"\"world\"\"\",ham,x\r\n"
                                   "2,\"two\nlines\",spam,\r\n"
                                   "\r\n"
                                   "3,plain,1,z\r\n");
  auto posts = ReadPosts(path, Format(DumpFormat::kCsv));
  ASSERT_TRUE(posts.ok()) << posts.status();
  ASSERT_EQ(posts->size(), 3u);
  EXPECT_EQ((*posts)[0].text, "Hello, \"world\"");
  EXPECT_EQ((*posts)[0].is_spam, std::optional<bool>(false));
  EXPECT_EQ((*posts)[0].line, 2);
  EXPECT_EQ((*posts)[1].text, "two\nlines");
  EXPECT_EQ((*posts)[1].id, "2");
  EXPECT_EQ((*posts)[1].line, 3);
  EXPECT_EQ((*posts)[2].text, "plain");
  EXPECT_EQ((*posts)[2].is_spam, std::optional<bool>(true));
  EXPECT_EQ((*posts)[2].line, 6);
}

TEST(PostReaderTest, CsvErrorsNameTheLine) {
  std::string path = WriteTempFile("arity.csv",
                                   "text,label\n"
                                   "good,ham\n"
                                   "too,many,fields\n"
                                   "\"bad\"x,ham\n"
                                   "bare\"quote\",spam\n"
                                   "last,spam\n");
  ReadResult result = ReadSkippingErrors(path, Format(DumpFormat::kCsv));
  ASSERT_EQ(result.errors.size(), 3u);
  EXPECT_THAT(result.errors[0], HasSubstr("arity.csv:3: expected 2 fields, got 3"));
  EXPECT_THAT(result.errors[1], HasSubstr("arity.csv:4: unexpected character"));
  EXPECT_THAT(result.errors[2], HasSubstr("arity.csv:5: double quote"));
  ASSERT_EQ(result.posts.size(), 2u);
  EXPECT_EQ(result.posts[1].text, "last");
  EXPECT_EQ(result.posts[1].line, 6);
}

// A quote opens a quoted field only at a field's start: a stray one inside an
// unquoted field is that record's error, and the records after it are read (they
// were swallowed into it up to the next quote, and --skip-bad dropped them unseen).
TEST(PostReaderTest, StrayCsvQuoteCostsOnlyItsRecord) {
  std::string path = WriteTempFile("stray.csv",
                                   "id,text\n1,hello\n2,a 5\" screen\n3,normal\n4,normal "
                                   "two\n5,buy \"cheap\n6,last\n");
  ReadResult result = ReadSkippingErrors(path, Format(DumpFormat::kCsv));
  std::vector<std::string> ids;
  for (const Post& post : result.posts) ids.push_back(post.id);
  EXPECT_THAT(ids, ::testing::ElementsAre("1", "3", "4", "6"));
  EXPECT_THAT(
      result.errors,
      ::testing::ElementsAre(
          HasSubstr("stray.csv:3: double quote inside an unquoted field at byte 6"),
          HasSubstr("stray.csv:6: double quote inside an unquoted field at byte 7")));
}

// A quote at a field's start that never closes ends its record with its own line,
// at the end of the input and when it is still open past max_record_bytes (a real
// quoted field longer than that is an error anyway): reading goes on at the next
// line, and the error names the quote's line.
TEST(PostReaderTest, UnterminatedCsvQuoteCostsOnlyItsLine) {
  ReadResult result = ReadSkippingErrors(
      WriteTempFile("open.csv",
                    "id,text\n1,\"two\nlines\"x\n2,\"never closed\n3,next\n4,last"),
      Format(DumpFormat::kCsv));
  ASSERT_EQ(result.posts.size(), 2u);
  EXPECT_EQ(result.posts[0].id, "3");
  EXPECT_EQ(result.posts[0].line, 5);
  EXPECT_EQ(result.posts[1].text, "last");
  EXPECT_THAT(
      result.errors,
      ::testing::ElementsAre(
          HasSubstr("open.csv:2: unexpected character after a closing quote at byte 7 "
                    "of line 3 (the quoted field runs from line 2 to line 3)"),
          HasSubstr("open.csv:4: quoted field opened on line 4 is not closed")));

  // Closed only after more than max_record_bytes: the lines in between are records.
  std::string dump = "id,text\n1,\"opens here\n";
  for (int i = 2; i < 100; ++i) absl::StrAppend(&dump, i, ",line without quotes\n");
  absl::StrAppend(&dump, "100,closes here\"\n101,last\n");
  PostReaderOptions options = Format(DumpFormat::kCsv);
  options.max_record_bytes = 1024;
  result = ReadSkippingErrors(WriteTempFile("late.csv", dump), options);
  ASSERT_EQ(result.posts.size(), 99u);
  EXPECT_EQ(result.posts.front().id, "2");
  EXPECT_EQ(result.posts.front().line, 3);
  EXPECT_EQ(result.posts.back().id, "101");
  EXPECT_EQ(result.posts.back().line, 102);
  EXPECT_THAT(result.errors,
              ::testing::ElementsAre(
                  HasSubstr("late.csv:2: quoted field opened on line 2 is not closed"),
                  HasSubstr("late.csv:101: double quote inside an unquoted field")));
}

// Options may name one column or key for more than one field (score --id-field
// text, replay --id-field author): each field gets that column's value of the same
// record, in every format, also when the caller reuses its Post (the second field
// got the previous record's value in CSV and TSV, and none in JSON Lines).
TEST(PostReaderTest, ColumnNamedForTwoFieldsGivesBoth) {
  const std::tuple<const char*, DumpFormat, const char*> dumps[] = {
      {"two.csv", DumpFormat::kCsv,
       "text,author\nfirst,alice\nsecond,bob\nthird,carol\n"},
      {"two.tsv", DumpFormat::kTsv,
       "text\tauthor\nfirst\talice\nsecond\tbob\nthird\tcarol\n"},
      {"two.jsonl", DumpFormat::kJsonLines,
       "{\"text\": \"first\", \"author\": \"alice\"}\n"
       "{\"text\": \"second\", \"author\": \"bob\"}\n"
       "{\"text\": \"third\", \"author\": \"carol\"}\n"}};
  for (const auto& [name, format, contents] : dumps) {
    const std::string path = WriteTempFile(name, contents);
    for (const char* id_field : {"text", "author"}) {
      PostReaderOptions options = Format(format);
      options.id_field = id_field;
      auto reader = PostReader::Open(path, options);
      ASSERT_TRUE(reader.ok()) << reader.status();
      Post post;  // reused, as callers do
      std::vector<std::string> got;
      for (;;) {
        absl::StatusOr<bool> more = (*reader)->Next(&post);
        ASSERT_TRUE(more.ok()) << more.status();
        if (!*more) break;
        got.push_back(absl::StrCat(post.id, "/", post.text, "/", post.author));
      }
      EXPECT_THAT(
          got,
          ::testing::ElementsAre(
              std::string(id_field) == "text" ? "first/first/alice" : "alice/first/alice",
              std::string(id_field) == "text" ? "second/second/bob" : "bob/second/bob",
              std::string(id_field) == "text" ? "third/third/carol"
                                              : "carol/third/carol"))
          << name << " --id-field " << id_field;
    }
  }
  // A label key that is also the text: both read it (a text that is no label
  // spelling is then a malformed record, in JSON Lines as in CSV).
  PostReaderOptions options;
  options.label_field = "text";
  ReadResult result = ReadSkippingErrors(
      WriteTempFile("label.jsonl", "{\"text\": \"spam\"}\n{\"text\": \"hi\"}\n"),
      options);
  ASSERT_EQ(result.posts.size(), 1u);
  EXPECT_EQ(result.posts[0].is_spam, std::optional<bool>(true));
  EXPECT_EQ(result.posts[0].text, "spam");
  EXPECT_THAT(result.errors, ::testing::ElementsAre(HasSubstr(
                                 "label.jsonl:2: \"text\" is \"hi\", not spam/ham")));
  options.label_field = "flag";
  options.id_field = "flag";
  auto posts = ReadPosts(WriteTempFile("flag.jsonl",
                                       "{\"text\": \"a\", \"flag\": true}\n"
                                       "{\"text\": \"b\", \"flag\": 0}\n"
                                       "{\"text\": \"c\", \"flag\": null}\n"),
                         options);
  ASSERT_TRUE(posts.ok()) << posts.status();
  ASSERT_EQ(posts->size(), 3u);
  EXPECT_EQ((*posts)[0].id, "true");
  EXPECT_EQ((*posts)[0].is_spam, std::optional<bool>(true));
  EXPECT_EQ((*posts)[1].id, "0");
  EXPECT_EQ((*posts)[1].is_spam, std::optional<bool>(false));
  EXPECT_EQ((*posts)[2].id, "");
  EXPECT_FALSE((*posts)[2].is_spam.has_value());
}

TEST(PostReaderTest, CsvWithoutTextColumnFailsToOpen) {
  auto reader = PostReader::Open(WriteTempFile("notext.csv", "id,body\n1,hi\n"),
                                 Format(DumpFormat::kCsv));
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(
      reader.status().message(),
      HasSubstr("notext.csv:1: no column \"text\" in the header (columns: \"id\", "
                "\"body\")"));
}

// Exports name their columns as their database did: author, group and time are
// read from the keys or columns options name, and an empty name reads none.
TEST(PostReaderTest, AuthorGroupAndTimeFieldsAreNamedByOptions) {
  PostReaderOptions options;
  options.author_field = "user";
  options.group_field = "channel";
  options.time_field = "created_at";
  auto posts = ReadPosts(
      WriteTempFile("named.jsonl",
                    "{\"text\":\"a\",\"user\":\"bob\",\"channel\":\"g\","
                    "\"created_at\":\"2024-01-02\",\"author\":\"x\",\"time\":\"y\"}\n"
                    // An escape: the record goes to simdjson, not the plain scanner.
                    "{\"text\":\"b\\n\",\"user\":\"amy\",\"created_at\":1704153600}\n"),
      options);
  ASSERT_TRUE(posts.ok()) << posts.status();
  ASSERT_EQ(posts->size(), 2u);
  EXPECT_EQ((*posts)[0].author, "bob");
  EXPECT_EQ((*posts)[0].group, "g");
  EXPECT_EQ((*posts)[0].time, "2024-01-02");
  EXPECT_EQ((*posts)[1].author, "amy");
  EXPECT_EQ((*posts)[1].group, "");
  EXPECT_EQ((*posts)[1].time, "1704153600");

  options.format = DumpFormat::kCsv;
  posts = ReadPosts(WriteTempFile("named.csv",
                                  "created_at,user,text,channel,author\r\n"
                                  "2013-11-07 06:20:48,Julius,hi,Psy,x\r\n"),
                    options);
  ASSERT_TRUE(posts.ok()) << posts.status();
  ASSERT_EQ(posts->size(), 1u);
  EXPECT_EQ((*posts)[0].author, "Julius");
  EXPECT_EQ((*posts)[0].group, "Psy");
  EXPECT_EQ((*posts)[0].time, "2013-11-07 06:20:48");

  options.author_field.clear();
  options.group_field.clear();
  options.time_field.clear();
  posts = ReadPosts(WriteTempFile("unnamed.csv", "text,author,group,time\nhi,a,g,t\n"),
                    options);
  ASSERT_TRUE(posts.ok()) << posts.status();
  ASSERT_EQ(posts->size(), 1u);
  EXPECT_EQ((*posts)[0].author, "");
  EXPECT_EQ((*posts)[0].group, "");
  EXPECT_EQ((*posts)[0].time, "");
}

// A column the caller requires (a name a user typed) must be in a CSV/TSV header, as
// the text column must: a typo is an error at the header, not a dump whose every
// record lacks the field. Without required_columns a missing column is a null field.
// JSON Lines has no header: a missing key stays a per-record absence.
TEST(PostReaderTest, RequiredColumnsMustBeInTheHeader) {
  const std::string csv = WriteTempFile("required.csv", "text,id,is_spam\nhi,1,t\n");
  const std::string tsv = WriteTempFile("required.tsv", "text\tid\tis_spam\nhi\t1\tt\n");
  struct Case {
    const char* column;  // not in the header
    std::string PostReaderOptions::*name;
    bool RequiredColumns::*required;
  };
  const Case cases[] = {
      {"ID", &PostReaderOptions::id_field, &RequiredColumns::id},
      {"spam", &PostReaderOptions::label_field, &RequiredColumns::label},
      {"user", &PostReaderOptions::author_field, &RequiredColumns::author},
      {"channel", &PostReaderOptions::group_field, &RequiredColumns::group},
      {"created", &PostReaderOptions::time_field, &RequiredColumns::time},
  };
  for (const Case& c : cases) {
    for (DumpFormat format : {DumpFormat::kCsv, DumpFormat::kTsv}) {
      PostReaderOptions options = Format(format);
      options.label_field = "is_spam";
      const std::string& path = format == DumpFormat::kCsv ? csv : tsv;
      options.*c.name = c.column;
      options.required_columns.*c.required = true;
      auto reader = PostReader::Open(path, options);
      ASSERT_FALSE(reader.ok()) << c.column;
      EXPECT_EQ(reader.status().code(), absl::StatusCode::kInvalidArgument);
      EXPECT_THAT(
          reader.status().message(),
          HasSubstr(absl::StrCat(":1: no column \"", c.column,
                                 "\" in the header (columns: \"text\", \"id\", \"is_spam\")")));
      options.required_columns.*c.required = false;
      auto posts = ReadPosts(path, options);
      ASSERT_TRUE(posts.ok()) << c.column << ": " << posts.status();
      EXPECT_EQ(posts->size(), 1u);
    }
    // JSON Lines: every record is read, the field absent.
    PostReaderOptions options;
    options.*c.name = c.column;
    options.required_columns.*c.required = true;
    auto posts =
        ReadPosts(WriteTempFile("required.jsonl", "{\"text\":\"hi\"}\n"), options);
    ASSERT_TRUE(posts.ok()) << c.column << ": " << posts.status();
    EXPECT_EQ(posts->size(), 1u);
  }
  // A required column that is there is read; an empty name requires nothing.
  PostReaderOptions options = Format(DumpFormat::kCsv);
  options.label_field = "is_spam";
  options.required_columns = {true, true, false, false, false};
  auto posts = ReadPosts(csv, options);
  ASSERT_TRUE(posts.ok()) << posts.status();
  ASSERT_EQ(posts->size(), 1u);
  EXPECT_EQ((*posts)[0].id, "1");
  EXPECT_EQ((*posts)[0].is_spam, true);
  options.label_field.clear();
  options.author_field.clear();
  options.required_columns = {false, true, true, false, false};
  EXPECT_TRUE(ReadPosts(csv, options).ok());
}

// A header may have up to 10,000 columns (README); a message lists the first 20.
TEST(PostReaderTest, CsvHeaderColumnsAreBounded) {
  std::string header = "text";
  for (int i = 1; i < 10000; ++i) absl::StrAppend(&header, ",c", i);
  auto posts = ReadPosts(WriteTempFile("wide.csv", header + "\n" + header + "\n"),
                         Format(DumpFormat::kCsv));
  ASSERT_TRUE(posts.ok()) << posts.status();
  EXPECT_EQ((*posts)[0].text, "text");
  auto reader = PostReader::Open(WriteTempFile("wider.csv", header + ",x\n"),
                                 Format(DumpFormat::kCsv));
  ASSERT_FALSE(reader.ok());
  EXPECT_THAT(reader.status().message(),
              HasSubstr("wider.csv:1: header: 10001 columns, more than 10000"));
  reader = PostReader::Open(WriteTempFile("notext.csv", header.substr(4) + "\n"),
                            Format(DumpFormat::kCsv));
  ASSERT_FALSE(reader.ok());
  EXPECT_THAT(
      reader.status().message(),
      HasSubstr("notext.csv:1: no column \"text\" in the header (columns: \"\", "
                "\"c1\", \"c2\", \"c3\", \"c4\", \"c5\", \"c6\", \"c7\", \"c8\", \"c9\", "
                "\"c10\", \"c11\", \"c12\", \"c13\", \"c14\", \"c15\", \"c16\", \"c17\", "
                "\"c18\", \"c19\", ... (10000 in all))"));
}

// Input quoted in a message is escaped (a label of "\u001b[2J" cleared the
// terminal it was printed on) and cut at 80 bytes.
TEST(PostReaderTest, MessagesQuoteInputSafely) {
  PostReaderOptions options;
  const std::string long_label(200, 'x');
  ReadResult result = ReadSkippingErrors(
      WriteTempFile(
          "esc.jsonl",
          "{\"text\": \"a\", \"label\": \"\\u001b[2J\\u009b\\u202e\\\"\\\\ é\"}\n"
          "{\"text\": \"a\", \"label\": \"" +
              long_label +
              "\"}\n"
              "{\"text\": \"a\", \"label\": \"\x1b]0;t\x07\"}\n"),
      options);
  EXPECT_THAT(
      result.errors,
      ::testing::ElementsAre(
          HasSubstr("esc.jsonl:1: \"label\" is \"\\x1b[2J\\u009b\\u202e\\\"\\ é\", not"),
          HasSubstr("esc.jsonl:2: \"label\" is \"" + long_label.substr(0, 80) +
                    "...\", not"),
          HasSubstr("esc.jsonl:3: \"label\" is \"\\x1b]0;t\\x07\", not")));
  auto reader = PostReader::Open(
      WriteTempFile("esc.csv", std::string("id\t\x1b[2J,b\0dy\n1,x\n", 17)),
      Format(DumpFormat::kCsv));
  ASSERT_FALSE(reader.ok());
  EXPECT_THAT(
      reader.status().message(),
      HasSubstr("no column \"text\" in the header (columns: \"id\\t\\x1b[2J\", "
                "\"b\\x00dy\")"));
}

// Two columns of one name that the reader reads would be ambiguous: refused at the
// header. Repeated names of other columns are left alone.
TEST(PostReaderTest, CsvAndTsvRefuseARepeatedColumnTheyRead) {
  for (const auto& [name, format, header] :
       {std::tuple{"twice.csv", DumpFormat::kCsv, "id,text,text\n1,a,b\n"},
        std::tuple{"twice.tsv", DumpFormat::kTsv,
                   "label\ttext\tlabel\nspam\ta\tham\n"}}) {
    auto reader = PostReader::Open(WriteTempFile(name, header), Format(format));
    ASSERT_FALSE(reader.ok()) << name;
    EXPECT_EQ(reader.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(reader.status().message(),
                HasSubstr(absl::StrCat(name, ":1: header: column \"",
                                       format == DumpFormat::kCsv ? "text" : "label",
                                       "\" appears more than once")));
  }
  auto posts = ReadPosts(WriteTempFile("other.csv", "x,text,x\n1,hi,2\n"),
                         Format(DumpFormat::kCsv));
  ASSERT_TRUE(posts.ok()) << posts.status();
  EXPECT_EQ((*posts)[0].text, "hi");
}

TEST(PostReaderTest, ReadsTsv) {
  std::string path =
      WriteTempFile("posts.tsv", "label\ttext\nspam\tbuy \"now\", cheap\nham\thi\n");
  auto posts = ReadPosts(path, Format(DumpFormat::kTsv));
  ASSERT_TRUE(posts.ok()) << posts.status();
  ASSERT_EQ(posts->size(), 2u);
  EXPECT_EQ((*posts)[0].text, "buy \"now\", cheap");
  EXPECT_EQ((*posts)[0].is_spam, std::optional<bool>(true));
  EXPECT_EQ((*posts)[1].is_spam, std::optional<bool>(false));
}

// TSV has no quoting (README): quotes are text, and a newline always ends a record.
TEST(PostReaderTest, TsvQuotesAreText) {
  ReadResult result = ReadSkippingErrors(
      WriteTempFile("quotes.tsv", "id\ttext\n1\t\"two\n2\tlines\"\n3\t\"\"\n"),
      Format(DumpFormat::kTsv));
  EXPECT_THAT(result.errors, IsEmpty());
  ASSERT_EQ(result.posts.size(), 3u);
  EXPECT_EQ(result.posts[0].text, "\"two");
  EXPECT_EQ(result.posts[1].text, "lines\"");
  EXPECT_EQ(result.posts[2].text, "\"\"");
}

TEST(PostReaderTest, ReadsTheSmsTestSplit) {
  auto posts = ReadPosts(GROUPGUARD_DATA_DIR "/jsonl/sms.test.jsonl");
  ASSERT_TRUE(posts.ok()) << posts.status();
  ASSERT_EQ(posts->size(), 1114u);
  int spam = 0;
  for (const Post& p : *posts) spam += p.is_spam.value_or(false);
  EXPECT_EQ(spam, 149);
}

TEST(PostReaderTest, ReadsTheRawYoutubeCsv) {
  PostReaderOptions options = Format(DumpFormat::kCsv);
  options.text_field = "CONTENT";
  options.label_field = "CLASS";
  options.id_field = "COMMENT_ID";
  auto posts = ReadPosts(GROUPGUARD_DATA_DIR "/youtube/Youtube01-Psy.csv", options);
  ASSERT_TRUE(posts.ok()) << posts.status();
  ASSERT_EQ(posts->size(), 350u);
  int spam = 0;
  for (const Post& p : *posts) spam += p.is_spam.value_or(false);
  EXPECT_EQ(spam, 175);
  EXPECT_FALSE(posts->front().id.empty());
}

// SQL's NULL as exports write it: MySQL's \N (INTO OUTFILE, mysqldump --tab),
// others' NULL. Unquoted, it is null in every column; quoted, it is text (COPY's
// rule); without null_value it is text as before.
TEST(PostReaderTest, NullValueIsNullInEveryColumnUnlessQuoted) {
  std::string path = WriteTempFile("nulls.csv",
                                   "id,author,group,time,text,label\r\n"
                                   "\\N,\\N,\\N,\\N,hello,\\N\r\n"
                                   "p2,\"\\N\",g,2024-01-02,\"\\N\",spam\r\n"
                                   "p3,\\Nx,\\N ,,bye,ham\r\n");
  PostReaderOptions options = Format(DumpFormat::kCsv);
  options.null_value = "\\N";
  auto posts = ReadPosts(path, options);
  ASSERT_TRUE(posts.ok()) << posts.status();
  ASSERT_EQ(posts->size(), 3u);
  const Post& a = (*posts)[0];
  EXPECT_EQ(a.id, "");
  EXPECT_EQ(a.author, "");
  EXPECT_EQ(a.group, "");
  EXPECT_EQ(a.time, "");
  EXPECT_EQ(a.text, "hello");
  EXPECT_FALSE(a.is_spam.has_value());  // the last column, before the CR of CRLF
  const Post& b = (*posts)[1];
  EXPECT_EQ(b.author, "\\N");  // quoted: the two characters
  EXPECT_EQ(b.text, "\\N");
  EXPECT_EQ(b.is_spam, std::optional<bool>(true));
  const Post& c = (*posts)[2];
  EXPECT_EQ(c.author, "\\Nx");  // compared exactly
  EXPECT_EQ(c.group, "\\N ");

  // Without the option, \N is text (and no label: a malformed record).
  auto plain = ReadSkippingErrors(path, Format(DumpFormat::kCsv));
  ASSERT_EQ(plain.posts.size(), 2u);
  EXPECT_EQ(plain.posts[0].author, "\\N");
  ASSERT_EQ(plain.errors.size(), 1u);
  EXPECT_THAT(plain.errors[0], HasSubstr(":2: \"label\" is \"\\N\""));
}

TEST(PostReaderTest, NullValueInTsvAndANullTextIsMalformed) {
  std::string path = WriteTempFile("nulls.tsv",
                                   "id\tauthor\ttext\tlabel\n"
                                   "1\tNULL\tfree money\t1\n"
                                   "2\tNULL\tNULL\t0\n"
                                   "3\t\"NULL\"\tnull\tNULL\n");
  PostReaderOptions options = Format(DumpFormat::kTsv);
  options.null_value = "NULL";
  auto result = ReadSkippingErrors(path, options);
  ASSERT_EQ(result.posts.size(), 2u);
  EXPECT_EQ(result.posts[0].author, "");
  EXPECT_EQ(result.posts[1].author, "\"NULL\"");  // TSV keeps quotes: not the value
  EXPECT_EQ(result.posts[1].text, "null");        // case counts
  EXPECT_FALSE(result.posts[1].is_spam.has_value());
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_THAT(result.errors[0], HasSubstr("nulls.tsv:3: \"text\" is null (\"NULL\")"));
}

TEST(PostReaderTest, NullValueThatNoFieldCanHaveIsRefused) {
  std::string csv = WriteTempFile("nullbad.csv", "text\nx\n");
  std::string tsv = WriteTempFile("nullbad.tsv", "text\nx\n");
  for (const char* bad : {"a,b", "\"", "a\nb", "\r"}) {
    PostReaderOptions options = Format(DumpFormat::kCsv);
    options.null_value = bad;
    EXPECT_EQ(ReadPosts(csv, options).status().code(), absl::StatusCode::kInvalidArgument)
        << bad;
  }
  PostReaderOptions options = Format(DumpFormat::kTsv);
  options.null_value = "a\tb";
  EXPECT_EQ(ReadPosts(tsv, options).status().code(), absl::StatusCode::kInvalidArgument);
  options.null_value = "a,b";  // a comma is no separator in TSV
  EXPECT_TRUE(ReadPosts(tsv, options).ok());
  // JSON Lines has null of its own: the option changes nothing there.
  std::string jsonl = WriteTempFile(
      "nulls.jsonl", "{\"text\":\"x\",\"author\":\"\\\\N\",\"group\":null}\n");
  PostReaderOptions json;
  json.null_value = "\\N";
  auto posts = ReadPosts(jsonl, json);
  ASSERT_TRUE(posts.ok()) << posts.status();
  EXPECT_EQ((*posts)[0].author, "\\N");
}

}  // namespace
}  // namespace groupguard
