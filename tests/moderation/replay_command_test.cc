// Runs `groupguard replay` (the real command, with the model built into it) on a
// small dump written by the test and checks the counts it reports.

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace {

using ::testing::HasSubstr;

std::string RunCommand(const std::string& command, int* exit_code) {
  std::string out;
  FILE* p = popen(command.c_str(), "r");
  if (p == nullptr) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
  int status = pclose(p);
  *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

// The lines of the file at `path` (a --decisions file), without their newlines.
std::vector<std::string> FileLines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

class ReplayCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = (std::filesystem::temp_directory_path() /
             absl::StrCat("groupguard_replay_", getpid(), ".jsonl"))
                .string();
    std::ofstream f(path_);
    // In file order, not time order: the replay sorts. The spammer's obvious spam in
    // "music" gets them flagged; their later, innocuous-looking spam in "games" is then
    // held by probation alone. The record without a time sits between its neighbours.
    f << R"({"id":"3","text":"nice","label":"spam","author":"spammer","group":"games","time":"2024-01-03T10:00:00"})"
         "\n"
      << R"({"id":"1","text":"Subscribe to my channel!!! check out my videos http://bit.ly/xyz free iphone","label":"spam","author":"spammer","group":"music","time":"2024-01-01T10:00:00"})"
         "\n"
      << R"({"id":"2","text":"I love this song, the chorus is great","label":"ham","author":"fan","group":"music","time":"2024-01-02T10:00:00"})"
         "\n"
      << R"({"id":"4","text":"what a great game last night","label":"ham","author":"fan","group":"games","time":null})"
         "\n";
  }
  void TearDown() override { std::filesystem::remove(path_); }
  std::string path_;
};

TEST_F(ReplayCommandTest, ProbationHoldsWhatTheClassifierAloneWouldPublish) {
  int code = -1;
  std::string out =
      RunCommand(absl::StrCat(GROUPGUARD_CLI, " replay --json ", path_, " 2>&1"), &code);
  if (absl::StrContains(out, "without a default model")) GTEST_SKIP() << out;
  ASSERT_EQ(code, 0) << out;
  EXPECT_THAT(out, HasSubstr("\"posts\":4,"));
  EXPECT_THAT(out, HasSubstr("\"spam_published\":0,"));
  EXPECT_THAT(out, HasSubstr("\"ham_held\":0,"));
  EXPECT_THAT(out, HasSubstr("\"spam_held_by_classifier\":1,"));
  EXPECT_THAT(out, HasSubstr("\"spam_held_by_probation_only\":1,"));
  EXPECT_THAT(out, HasSubstr("\"flags\":2,"));
  // The second flag comes while the first probation runs (30 days): it extends it.
  EXPECT_THAT(out, HasSubstr("\"probations_started\":1,"));
  EXPECT_THAT(out, HasSubstr("\"probations_extended\":1,"));
  EXPECT_THAT(out, HasSubstr("\"untimed\":1,"));
  EXPECT_THAT(out, HasSubstr("\"groups\":2,"));
}

TEST_F(ReplayCommandTest, AFlagAfterAProbationEndedStartsANewOne) {
  // Obvious spam on day 1 and day 3, each flagged. With one day of probation the
  // second flag finds the first probation over (the replay never calls
  // ExpireProbations, and the count must not depend on it); with 30 it extends it.
  const std::string path = path_ + ".twice.jsonl";
  {
    std::ofstream f(path);
    for (
        const char* line :
        {R"({"id":"1","text":"Subscribe to my channel!!! check out my videos http://bit.ly/xyz free iphone","label":"spam","author":"spammer","group":"music","time":"2024-01-01T10:00:00"})",
         R"({"id":"2","text":"Subscribe to my channel!!! check out my videos http://bit.ly/xyz free iphone","label":"spam","author":"spammer","group":"games","time":"2024-01-03T10:00:00"})"}) {
      f << line << "\n";
    }
  }
  for (const char* days : {"1", "30"}) {
    int code = -1;
    std::string out =
        RunCommand(absl::StrCat(GROUPGUARD_CLI, " replay --json --probation-days ", days,
                                " ", path, " 2>&1"),
                   &code);
    if (absl::StrContains(out, "without a default model")) GTEST_SKIP() << out;
    ASSERT_EQ(code, 0) << out;
    const bool ended = std::string(days) == "1";
    EXPECT_THAT(out, HasSubstr("\"flags\":2,"));
    EXPECT_THAT(out, HasSubstr(ended ? "\"probations_started\":2,"
                                     : "\"probations_started\":1,"));
    EXPECT_THAT(out, HasSubstr(ended ? "\"probations_extended\":0,"
                                     : "\"probations_extended\":1,"));
  }
  std::filesystem::remove(path);
}

// A dump's author may have the simulated moderator's name. Nobody reviews their own
// post, so a second simulated moderator of the group decides, and the run goes on.
TEST_F(ReplayCommandTest, AnAuthorNamedAsTheSimulatedModeratorIsReviewedByAnother) {
  const std::string path = path_ + ".namesake.jsonl";
  {
    std::ofstream f(path);
    for (
        const char* line :
        {R"({"id":"1","text":"Subscribe to my channel!!! check out my videos http://bit.ly/xyz free iphone","label":"spam","author":"moderator of music","group":"music","time":"2024-01-01T10:00:00"})",
         R"({"id":"2","text":"I love this song, the chorus is great","label":"ham","author":"moderator of music","group":"music","time":"2024-01-02T10:00:00"})"}) {
      f << line << "\n";
    }
  }
  int code = -1;
  std::string out =
      RunCommand(absl::StrCat(GROUPGUARD_CLI, " replay --json ", path, " 2>&1"), &code);
  std::filesystem::remove(path);
  if (absl::StrContains(out, "without a default model")) GTEST_SKIP() << out;
  ASSERT_EQ(code, 0) << out;
  EXPECT_THAT(out, HasSubstr("\"posts\":2,"));
  EXPECT_THAT(out, HasSubstr("\"flags\":1,"));
  // The flagged author's next post is held by probation alone, and approved.
  EXPECT_THAT(out, HasSubstr("\"ham_held\":1,"));
}

TEST_F(ReplayCommandTest, ReadableSummaryAndSkippingUntimed) {
  int code = -1;
  std::string out = RunCommand(
      absl::StrCat(GROUPGUARD_CLI, " replay --untimed skip ", path_, " 2>&1"), &code);
  if (absl::StrContains(out, "without a default model")) GTEST_SKIP() << out;
  ASSERT_EQ(code, 0) << out;
  EXPECT_THAT(out, HasSubstr("replayed 3 posts (2 spam, 1 ham, 0 unlabeled)"));
  EXPECT_THAT(out, HasSubstr("1 record had no usable time (rule: skip; 1 skipped)"));
}

// A count of one reads in the singular in the summary: "1 post", "1 flag", "1 day".
TEST_F(ReplayCommandTest, SummaryCountsOfOneAreSingular) {
  const std::string spam =
      R"({"id":"1","text":"Subscribe to my channel!!! check out my videos http://bit.ly/xyz free iphone","label":"spam","author":"spammer","group":"music","time":"2024-01-01T10:00:00"})";
  const std::string anonymous =
      R"({"id":"2","text":"I love this song, the chorus is great","label":"ham","group":"music","time":"2024-01-02T10:00:00"})";
  const std::string path = path_ + ".one.jsonl";
  for (const bool both : {false, true}) {
    {
      std::ofstream f(path, std::ios::trunc);
      f << spam << "\n";
      if (both) f << anonymous << "\n";
    }
    int code = -1;
    std::string out = RunCommand(
        absl::StrCat(GROUPGUARD_CLI, " replay --probation-days 1 ", path, " 2>&1"),
        &code);
    if (absl::StrContains(out, "without a default model")) GTEST_SKIP() << out;
    ASSERT_EQ(code, 0) << out;
    if (both) {
      EXPECT_THAT(out, HasSubstr("replayed 2 posts (1 spam, 1 ham, 0 unlabeled) by 2 "
                                 "authors in 1 group\n"));
      EXPECT_THAT(out, HasSubstr("  1 record had no author (each replayed"));
    } else {
      EXPECT_THAT(out, HasSubstr("replayed 1 post (1 spam, 0 ham, 0 unlabeled) by 1 "
                                 "author in 1 group\n"));
    }
    EXPECT_THAT(out, HasSubstr("moderator: 1 flag (0 refused by the rate limit), 1 "
                               "probation started, 0 extended or widened; probation 1 "
                               "day, site-wide after 1 group\n"));
  }
  std::filesystem::remove(path);
  // More than one stays plural.
  int code = -1;
  std::string out =
      RunCommand(absl::StrCat(GROUPGUARD_CLI, " replay ", path_, " 2>&1"), &code);
  ASSERT_EQ(code, 0) << out;
  EXPECT_THAT(out, HasSubstr("replayed 4 posts (2 spam, 2 ham, 0 unlabeled) by 2 "
                             "authors in 2 groups\n"));
  EXPECT_THAT(out, HasSubstr("moderator: 2 flags (0 refused by the rate limit), 1 "
                             "probation started, 1 extended or widened; probation 30 "
                             "days, site-wide after 1 group\n"));
  out = RunCommand(
      absl::StrCat(GROUPGUARD_CLI, " replay --sitewide-after 2 ", path_, " 2>&1"), &code);
  ASSERT_EQ(code, 0) << out;
  EXPECT_THAT(out, HasSubstr("; probation 30 days, site-wide after 2 groups\n"));
}

// An id, author or group too long for the registry is a malformed record with its
// line (skipped under --skip-bad), not an error ending the run without one.
TEST_F(ReplayCommandTest, OverlongIdsAreMalformedRecords) {
  {
    std::ofstream f(path_, std::ios::app);
    f << R"({"id":"5","text":"hello","label":"ham","author":")" << std::string(5000, 'a')
      << R"(","group":"music","time":"2024-01-04T10:00:00"})"
      << "\n";
  }
  int code = -1;
  std::string out =
      RunCommand(absl::StrCat(GROUPGUARD_CLI, " replay ", path_, " 2>&1"), &code);
  if (absl::StrContains(out, "without a default model")) GTEST_SKIP() << out;
  EXPECT_EQ(code, 1) << out;
  EXPECT_THAT(out, HasSubstr(absl::StrCat(path_, ":5: \"author\" is 5000 bytes")));
  out = RunCommand(
      absl::StrCat(GROUPGUARD_CLI, " replay --skip-bad --json ", path_, " 2>&1"), &code);
  EXPECT_EQ(code, 0) << out;
  EXPECT_THAT(out, HasSubstr("\"posts\":4,"));
}

// Two Latin-1 authors are not one member: an author that is not UTF-8 is a malformed
// record (replaced by U+FFFD, "Jos\xE9" and "Jos\xE8" would read the same), skipped
// with --skip-bad. `score` does not read authors, so it scores such a record.
TEST_F(ReplayCommandTest, AuthorsThatAreNotUtf8AreMalformedRecords) {
  {
    std::ofstream f(path_, std::ios::app);
    f << "{\"id\":\"5\",\"text\":\"hello\",\"label\":\"ham\",\"author\":\"Jos\xE9\","
         "\"group\":\"music\",\"time\":\"2024-01-04T10:00:00\"}\n"
      << "{\"id\":\"6\",\"text\":\"hi\",\"label\":\"ham\",\"author\":\"Jos\xE8\","
         "\"group\":\"music\",\"time\":\"2024-01-05T10:00:00\"}\n";
  }
  int code = -1;
  std::string out =
      RunCommand(absl::StrCat(GROUPGUARD_CLI, " replay ", path_, " 2>&1"), &code);
  if (absl::StrContains(out, "without a default model")) GTEST_SKIP() << out;
  EXPECT_EQ(code, 1) << out;
  EXPECT_THAT(out, HasSubstr(absl::StrCat(path_, ":5: \"author\" is not valid UTF-8")));
  EXPECT_THAT(out, HasSubstr("convert the dump to UTF-8"));
  out = RunCommand(
      absl::StrCat(GROUPGUARD_CLI, " replay --skip-bad --json ", path_, " 2>&1"), &code);
  EXPECT_EQ(code, 0) << out;
  EXPECT_THAT(out, HasSubstr("\"posts\":4,"));
  EXPECT_THAT(out, HasSubstr("\"authors\":2,"));
  EXPECT_THAT(out, HasSubstr("skipped 2 malformed records"));
  out = RunCommand(absl::StrCat(GROUPGUARD_CLI, " score ", path_, " 2>&1"), &code);
  EXPECT_EQ(code, 0) << out;
  EXPECT_THAT(out, HasSubstr("{\"id\":\"6\","));
}

// A failed write of the summary is a runtime error, as in every other command.
TEST_F(ReplayCommandTest, FailedWriteToStandardOutputIsARuntimeError) {
  int code = -1;
  std::string out = RunCommand(
      absl::StrCat(GROUPGUARD_CLI, " replay ", path_, " 2>&1 >/dev/full"), &code);
  if (absl::StrContains(out, "without a default model")) GTEST_SKIP() << out;
  EXPECT_EQ(code, 1);
  EXPECT_THAT(out, HasSubstr("cannot write standard output"));
}

TEST_F(ReplayCommandTest, MissingFileIsARuntimeError) {
  int code = -1;
  RunCommand(absl::StrCat(GROUPGUARD_CLI, " replay ", path_, ".missing 2>/dev/null"),
             &code);
  EXPECT_EQ(code, 1);
}

// Records without a time in a group with no timed record before them take the time
// of the next timed record of their group. Finding it must not cost a scan of the
// rest of the dump per record: a dump of untimed records replays about as fast as
// the same dump with times (a scan each took 13x as long for 80,000 records).
TEST_F(ReplayCommandTest, UntimedRecordsArePlacedInLinearTime) {
  constexpr int kRecords = 80000;
  const auto write_dump = [this](bool timed) {
    std::ofstream f(path_, std::ios::trunc);
    for (int i = 0; i < kRecords; ++i) {
      f << "{\"id\":\"" << i << "\",\"text\":\"hello there\",\"label\":\"ham\","
        << "\"author\":\"a" << i
        << "\",\"group\":\"g\",\"time\":" << (timed ? "\"2024-01-01T00:00:00\"" : "null")
        << "}\n";
    }
  };
  const auto seconds = [this](std::string* out) {
    int code = -1;
    const auto start = std::chrono::steady_clock::now();
    *out = RunCommand(absl::StrCat(GROUPGUARD_CLI, " replay --json ", path_, " 2>&1"),
                      &code);
    EXPECT_EQ(code, 0) << *out;
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
        .count();
  };
  std::string out;
  write_dump(true);
  const double timed = seconds(&out);
  if (absl::StrContains(out, "without a default model")) GTEST_SKIP() << out;
  write_dump(false);
  const double untimed = seconds(&out);
  EXPECT_THAT(out, HasSubstr(absl::StrCat("\"untimed\":", kRecords, ",")));
  EXPECT_LT(untimed, 4 * timed + 0.5)
      << "timed " << timed << " s, untimed " << untimed << " s";
}

// Times come in many forms in real dumps; each of these is read (and its offset
// applied), so only the record whose time is not a time counts as untimed. The
// spammer's later post in "games" (Unix seconds, after the flagging spam in
// "music") is held by probation alone only if both times were read.
TEST_F(ReplayCommandTest, CommonTimeFormatsAreRead) {
  {
    std::ofstream f(path_, std::ios::trunc);
    f << R"({"id":"3","text":"nice","label":"spam","author":"spammer","group":"games","time":1704276000.5})"
         "\n"
      << R"({"id":"1","text":"Subscribe to my channel!!! check out my videos http://bit.ly/xyz free iphone","label":"spam","author":"spammer","group":"music","time":"Mon, 01 Jan 2024 05:00:00 -0500"})"
         "\n"
      << R"({"id":"2","text":"I love this song, the chorus is great","label":"ham","author":"fan","group":"music","time":"2024-01-02 10:00:00+01:00"})"
         "\n"
      << R"({"id":"4","text":"what a great game last night","label":"ham","author":"fan","group":"games","time":"2024-01-02 10:00:00 +0100"})"
         "\n"
      << R"({"id":"5","text":"see you all tomorrow","label":"ham","author":"fan","group":"music","time":"2024-01-02T11:00:00.250Z"})"
         "\n"
      << R"({"id":"6","text":"good morning everyone","label":"ham","author":"fan","group":"games","time":"02 Jan 2024 12:00:00 +0000"})"
         "\n"
      << R"({"id":"7","text":"thanks for sharing","label":"ham","author":"fan","group":"games","time":"yesterday"})"
         "\n"
      << R"({"id":"8","text":"see you there","label":"ham","author":"fan","group":"music","time":"Tue, 02 Jan 2024 13:00:00 GMT"})"
         "\n"
      << R"({"id":"9","text":"welcome back","label":"ham","author":"fan","group":"games","time":"Tue, 02 Jan 2024 13:30 +0000"})"
         "\n"
      // Twelve digits are a compact date and time, not Unix seconds thousands of
      // years ahead: untimed.
      << R"({"id":"10","text":"nice one","label":"ham","author":"fan","group":"games","time":"202401021400"})"
         "\n";
  }
  int code = -1;
  std::string out =
      RunCommand(absl::StrCat(GROUPGUARD_CLI, " replay --json ", path_, " 2>&1"), &code);
  if (absl::StrContains(out, "without a default model")) GTEST_SKIP() << out;
  ASSERT_EQ(code, 0) << out;
  EXPECT_THAT(out, HasSubstr("\"posts\":10,"));
  EXPECT_THAT(out, HasSubstr("\"untimed\":2,"));
  EXPECT_THAT(out, HasSubstr("\"spam_held_by_probation_only\":1,"));
  EXPECT_THAT(out, HasSubstr("\"ham_held\":0,"));
}

// RFC 3339's lower-case 't', ISO 8601's decimal comma and an offset with a colon
// after a space are read (they counted as untimed); an RFC 2822 time whose weekday
// is not its date's is not (it was read as if the weekday were right), while a full
// weekday name or no space after its comma still is. Each post's replay time is in
// the --decisions output.
TEST_F(ReplayCommandTest, LowerCaseRfc3339DecimalCommasAndSpacedOffsetsAreRead) {
  const std::pair<const char*, const char*> times[] = {
      {"2024-01-02t10:00:00z", "2024-01-02T10:00:00Z"},
      {"2024-01-02 10:00:00 +01:00", "2024-01-02T09:00:00Z"},
      {"2024-01-02T10:00:00,5Z", "2024-01-02T10:00:00.5Z"},
      {"2024-01-02 10:00 -02:30", "2024-01-02T12:30:00Z"},
      {"Tue, 02 Jan 2024 10:00:00 +0000", "2024-01-02T10:00:00Z"},
      {"tue, 2 Jan 2024 10:00 +0000", "2024-01-02T10:00:00Z"},
      {"Tuesday, 02 Jan 2024 10:00:00 +0100", "2024-01-02T09:00:00Z"},
      {"Tue,02 Jan 2024 10:00 +0000", "2024-01-02T10:00:00Z"},
      {"Monday, 02 Jan 2024 10:00:00 +0000", ""},
      {"Mon, 02 Jan 2024 10:00:00 +0000", ""},  // 2 January 2024 was a Tuesday
  };
  for (const auto& [time, replayed] : times) {
    SCOPED_TRACE(time);
    {
      std::ofstream f(path_, std::ios::trunc);
      f << R"({"id":"1","text":"hello","author":"fan","group":"music","time":")" << time
        << "\"}\n";
    }
    const std::string decisions = path_ + ".decisions";
    int code = -1;
    std::string out = RunCommand(
        absl::StrCat(GROUPGUARD_CLI, " replay --json --decisions ", decisions, " ", path_,
                     " 2>&1"),
        &code);
    if (absl::StrContains(out, "without a default model")) GTEST_SKIP() << out;
    ASSERT_EQ(code, 0) << out;
    std::ifstream in(decisions);
    const std::string line((std::istreambuf_iterator<char>(in)),
                           std::istreambuf_iterator<char>());
    if (*replayed != 0) {
      EXPECT_THAT(out, HasSubstr("\"untimed\":0,"));
      EXPECT_THAT(line, HasSubstr(absl::StrCat("\"time\":\"", replayed, "\"")));
    } else {
      EXPECT_THAT(out, HasSubstr("\"untimed\":1,"));
      EXPECT_THAT(line, HasSubstr("\"untimed\":true"));
    }
  }
}

// SQL dumps write times without the seconds (MySQL, spreadsheets: "2013-11-07
// 06:20") or with the offset as a name (PostgreSQL: "... 06:20:00 UTC"); both used to
// count as untimed. The games post comes first in the file: it is held by probation
// alone only if both times were read and put the music spam (flagged) before it.
TEST_F(ReplayCommandTest, SqlTimesWithoutSecondsOrWithAZoneNameAreRead) {
  {
    std::ofstream f(path_, std::ios::trunc);
    f << R"({"id":"3","text":"nice","label":"spam","author":"spammer","group":"games","time":"2013-11-08 09:00:00 UTC"})"
         "\n"
      << R"({"id":"1","text":"Subscribe to my channel!!! check out my videos http://bit.ly/xyz free iphone","label":"spam","author":"spammer","group":"music","time":"2013-11-07 06:20"})"
         "\n"
      << R"({"id":"2","text":"I love this song, the chorus is great","label":"ham","author":"fan","group":"music","time":"2013-11-07T07:20Z"})"
         "\n"
      << R"({"id":"4","text":"what a great game last night","label":"ham","author":"fan","group":"games","time":"2013-11-07 08:00 GMT"})"
         "\n";
  }
  int code = -1;
  std::string out =
      RunCommand(absl::StrCat(GROUPGUARD_CLI, " replay --json ", path_, " 2>&1"), &code);
  if (absl::StrContains(out, "without a default model")) GTEST_SKIP() << out;
  ASSERT_EQ(code, 0) << out;
  EXPECT_THAT(out, HasSubstr("\"untimed\":0,"));
  EXPECT_THAT(out, HasSubstr("\"spam_held_by_probation_only\":1,"));
}

// An export names its columns as its database did. With --author-field,
// --group-field and --time-field the replay reads them: the spammer flagged in music
// is held by probation alone in games, which needs both the author and the times
// (the games post comes first in the file). A name given that is not in the
// header is an error, as --text-field's is, not a replay without the field.
TEST_F(ReplayCommandTest, ColumnsAreNamedByFieldFlags) {
  const std::string csv = path_ + ".csv";
  {
    std::ofstream f(csv);
    f << "id,user,channel,created_at,body,is_spam\r\n"
         "3,spammer,games,2024-01-03 10:00:00,nice,t\r\n"
         "1,spammer,music,2024-01-01 10:00:00,Subscribe to my channel!!! check out my "
         "videos http://bit.ly/xyz free iphone,t\r\n"
         "2,fan,music,2024-01-02 10:00:00,\"I love this song, the chorus is "
         "great\",f\r\n";
  }
  const std::pair<const char*, const char*> named[] = {
      {"--author-field", "user"},     {"--group-field", "channel"},
      {"--time-field", "created_at"}, {"--text-field", "body"},
      {"--label-field", "is_spam"},   {"--id-field", "id"}};
  // The flags, with `misnamed`'s value replaced by "when".
  const auto fields = [&named](absl::string_view misnamed) {
    std::string args;
    for (const auto& [flag, column] : named) {
      absl::StrAppend(&args, " ", flag, " ", flag == misnamed ? "when" : column);
    }
    return absl::StrCat(args, " ");
  };
  int code = -1;
  std::string out = RunCommand(
      absl::StrCat(GROUPGUARD_CLI, " replay --json", fields(""), csv, " 2>&1"), &code);
  if (absl::StrContains(out, "without a default model")) GTEST_SKIP() << out;
  ASSERT_EQ(code, 0) << out;
  EXPECT_THAT(out, HasSubstr("\"posts\":3,"));
  EXPECT_THAT(out, HasSubstr("\"spam\":2,"));
  EXPECT_THAT(out, HasSubstr("\"untimed\":0,"));
  EXPECT_THAT(out, HasSubstr("\"spam_held_by_probation_only\":1,"));
  EXPECT_THAT(out, HasSubstr("\"groups\":2,"));
  EXPECT_THAT(out, HasSubstr("\"authors\":2,"));
  for (const auto& [flag, column] : named) {
    out = RunCommand(absl::StrCat(GROUPGUARD_CLI, " replay", fields(flag), csv, " 2>&1"),
                     &code);
    EXPECT_EQ(code, 1) << flag << ": " << out;
    EXPECT_THAT(out, HasSubstr(absl::StrCat(
                         csv,
                         ":1: no column \"when\" in the header (columns: \"id\", "
                         "\"user\", \"channel\", \"created_at\", \"body\", \"is_spam\")")))
        << flag;
  }
  std::filesystem::remove(csv);
}

// A dump whose times and authors replay cannot find (here under other keys) used to
// replay without a word, the summary naming an --untimed rule that placed nothing:
// the clock never moved and every post had an author of its own. Both are warned of
// on stderr, and the summary says what happened instead of naming the rule.
TEST_F(ReplayCommandTest, WarnsWhenNoRecordHasATimeOrAnAuthor) {
  {
    std::ofstream f(path_, std::ios::trunc);
    for (int i = 0; i < 3; ++i) {
      f << R"({"id":")" << i << R"(","text":"hello there","label":"ham","user":"u)" << i
        << R"(","group":"g","created_at":"2024-01-0)" << i + 1 << R"("})"
        << "\n";
    }
  }
  int code = -1;
  std::string out =
      RunCommand(absl::StrCat(GROUPGUARD_CLI, " replay ", path_, " 2>&1"), &code);
  if (absl::StrContains(out, "without a default model")) GTEST_SKIP() << out;
  ASSERT_EQ(code, 0) << out;
  EXPECT_THAT(out, HasSubstr("warning: no record had a usable time (in \"time\"; "
                             "--time-field names another)"));
  EXPECT_THAT(out, HasSubstr("warning: no record had an author (in \"author\"; "
                             "--author-field names another)"));
  EXPECT_THAT(out,
              HasSubstr("no record had a usable time: all 3 replayed at one instant"));
  EXPECT_THAT(out, HasSubstr("3 records had no author"));
  EXPECT_THAT(out, ::testing::Not(HasSubstr("rule: neighbor")));
  out = RunCommand(absl::StrCat(GROUPGUARD_CLI, " replay --json ", path_, " 2>/dev/null"),
                   &code);
  EXPECT_THAT(out, HasSubstr("\"untimed\":3,"));
  EXPECT_THAT(out, HasSubstr("\"untimed_at_end\":3,"));
  EXPECT_THAT(out, HasSubstr("\"no_author\":3,"));
  // Named, both are read: no warning.
  out = RunCommand(
      absl::StrCat(GROUPGUARD_CLI, " replay --author-field user --time-field created_at ",
                   path_, " 2>&1"),
      &code);
  EXPECT_EQ(code, 0) << out;
  EXPECT_THAT(out, ::testing::Not(HasSubstr("warning")));
  EXPECT_THAT(out, ::testing::Not(HasSubstr("no usable time")));
  EXPECT_THAT(out, HasSubstr("by 3 authors"));
}

// An untimed record in a group with no timed record cannot take a neighbour's time:
// the summary says how many went to the end rather than only naming the rule.
TEST_F(ReplayCommandTest, SummarySaysWhichUntimedRecordsTheRuleCouldNotPlace) {
  {
    std::ofstream f(path_, std::ios::app);
    f << R"({"id":"5","text":"first!","label":"ham","author":"fan","group":"news","time":null})"
         "\n";
  }
  int code = -1;
  std::string out =
      RunCommand(absl::StrCat(GROUPGUARD_CLI, " replay ", path_, " 2>&1"), &code);
  if (absl::StrContains(out, "without a default model")) GTEST_SKIP() << out;
  ASSERT_EQ(code, 0) << out;
  EXPECT_THAT(out, HasSubstr("2 records had no usable time (rule: neighbor; 1 with no "
                             "timed record in their group replayed at the end)"));
  EXPECT_THAT(out, ::testing::Not(HasSubstr("warning")));
}

// NaN passes CLI11's range checks; it is a usage error, not a probation of NaN
// days (which printed "probation_days":nan, invalid JSON, and changed the counts).
TEST_F(ReplayCommandTest, NotANumberIsAUsageError) {
  for (const char* flag :
       {"--probation-days", "--hold-threshold", "--reject-threshold"}) {
    int code = -1;
    std::string out = RunCommand(
        absl::StrCat(GROUPGUARD_CLI, " replay --json ", flag, " nan ", path_, " 2>&1"),
        &code);
    EXPECT_EQ(code, 2) << flag << ": " << out;
    EXPECT_THAT(out, ::testing::Not(HasSubstr("nan,"))) << flag;
  }
}

// A post from the model's unsure threshold up is held unless --no-hold-unsure; then
// only --hold-threshold holds.
TEST_F(ReplayCommandTest, NoHoldUnsureHoldsByTheHoldThresholdAlone) {
  const std::string dump = path_ + ".unsure.jsonl";
  std::ofstream(dump)
      << R"({"id":"1","text":"WINNER! claim your prize at bit.ly/x","label":"spam",)"
         R"("author":"a","group":"g","time":"2024-01-01T10:00:00"})"
         "\n";
  const std::string replay =
      absl::StrCat(GROUPGUARD_CLI, " replay --json ", dump, " --hold-threshold 0.9999 ");
  int code = -1;
  std::string held = RunCommand(absl::StrCat(replay, "2>&1"), &code);
  if (absl::StrContains(held, "without a default model")) GTEST_SKIP() << held;
  EXPECT_EQ(code, 0) << held;
  EXPECT_THAT(held, HasSubstr("\"held\":1,"));
  std::string published =
      RunCommand(absl::StrCat(replay, "--no-hold-unsure 2>&1"), &code);
  EXPECT_EQ(code, 0) << published;
  EXPECT_THAT(published, HasSubstr("\"held\":0,"));
  EXPECT_THAT(published, HasSubstr("\"spam_published\":1,"));
  std::filesystem::remove(dump);
}

// A MySQL export writes NULL as \N (CRLF lines here, as INTO OUTFILE with LINES
// TERMINATED BY '\r\n'). Read as text, every record had the author "\N": one member,
// whom the first flag put on probation for every later post, and no warning. With
// --null '\N' they have no author (and the no-author warning says so); without it,
// the one-author warning fires.
TEST_F(ReplayCommandTest, SqlNullAuthorsAreNoAuthorWithNull) {
  const std::string csv = path_ + ".csv";
  {
    std::ofstream f(csv, std::ios::binary);
    f << "id,author,group,created_at,body,is_spam\r\n";
    for (int i = 0; i < 20; ++i) {
      f << "p" << i << ",\\N,\\N,2024-01-" << 10 + i << " 10:00:00,"
        << (i % 2 == 0 ? "Subscribe to my channel!!! free iphone http://bit.ly/xyz"
                       : "what a lovely song")
        << "," << (i % 2 == 0 ? 1 : 0) << "\r\n";
    }
  }
  const std::string args = absl::StrCat(
      " --text-field body --label-field is_spam "
      "--time-field created_at ",
      csv);
  int code = -1;
  std::string out =
      RunCommand(absl::StrCat(GROUPGUARD_CLI, " replay", args, " 2>&1"), &code);
  if (absl::StrContains(out, "without a default model")) GTEST_SKIP() << out;
  ASSERT_EQ(code, 0) << out;
  EXPECT_THAT(out, HasSubstr("by 1 author in 1 group"));
  EXPECT_THAT(out, HasSubstr("warning: \"\\N\" is the author of 20 of 20 records "
                             "(100.0%): if that is how the dump writes no author "
                             "(SQL's NULL: --null"));

  out = RunCommand(absl::StrCat(GROUPGUARD_CLI, " replay --null '\\N'", args, " 2>&1"),
                   &code);
  ASSERT_EQ(code, 0) << out;
  EXPECT_THAT(out, HasSubstr("by 20 authors in 1 group"));
  EXPECT_THAT(out, HasSubstr("20 records had no author"));
  EXPECT_THAT(out, HasSubstr("warning: no record had an author"));
  EXPECT_THAT(out, ::testing::Not(HasSubstr("is the author of")));
  EXPECT_THAT(out, HasSubstr("by probation alone: 0 "));

  // A --null that no CSV field can be is a usage error.
  out = RunCommand(absl::StrCat(GROUPGUARD_CLI, " replay --null 'a,b'", args, " 2>&1"),
                   &code);
  EXPECT_EQ(code, 2) << out;
  EXPECT_THAT(out, HasSubstr("--null a,b holds a newline, a comma or a double quote"));
  std::filesystem::remove(csv);
}

// replay printed only totals: --decisions writes one JSON line per replayed post,
// in replay order, so one held post or flag can be explained.
TEST_F(ReplayCommandTest, DecisionsFileExplainsEachPost) {
  const std::string decisions = path_ + ".decisions";
  int code = -1;
  std::string out = RunCommand(absl::StrCat(GROUPGUARD_CLI, " replay --decisions ",
                                            decisions, " ", path_, " 2>&1"),
                               &code);
  if (absl::StrContains(out, "without a default model")) GTEST_SKIP() << out;
  ASSERT_EQ(code, 0) << out;
  const std::vector<std::string> lines = FileLines(decisions);
  ASSERT_EQ(lines.size(), 4u);
  // By time: post 1 (music, held by the classifier; its author flagged), 2, then 3
  // (held by probation alone, flagged from music), then the untimed 4 at 3's time.
  EXPECT_THAT(
      lines[0],
      HasSubstr(
          R"({"id":"1","line":2,"member":"spammer","group":"music","time":"2024-01-01T10:00:00Z","untimed":false,"action":"hold","why":"classifier","spam_probability":)"));
  EXPECT_THAT(
      lines[0],
      HasSubstr(
          R"("label":"spam","moderator":"reject","flag":"flagged","flag_probation_until":"2024-01-31T10:00:00Z"})"));
  EXPECT_THAT(lines[1], HasSubstr(R"("id":"2",)"));
  EXPECT_THAT(lines[1], HasSubstr(R"("action":"publish","why":null,)"));
  EXPECT_THAT(lines[1], HasSubstr(R"("label":"ham","moderator":null,"flag":null})"));
  EXPECT_THAT(lines[2], HasSubstr(R"("id":"3",)"));
  EXPECT_THAT(lines[2], HasSubstr(R"("action":"hold","why":"probation",)"));
  EXPECT_THAT(
      lines[2],
      HasSubstr(
          R"("probation_until":"2024-01-31T10:00:00Z","site_wide":true,"flagged_from":["music"],"moderator":"reject","flag":"flagged")"));
  EXPECT_THAT(
      lines[3],
      HasSubstr(
          R"("id":"4","line":4,"member":"fan","group":"games","time":"2024-01-03T10:00:00Z","untimed":true,"action":"publish")"));
  std::filesystem::remove(decisions);
  // replay --help names every key of these lines, as a word (it left out untimed,
  // probation_until, site_wide, flagged_from and flag_probation_until).
  const std::string help =
      RunCommand(absl::StrCat(GROUPGUARD_CLI, " replay --help"), &code);
  for (const std::string& line : lines) {
    for (size_t colon = line.find("\":"); colon != std::string::npos;
         colon = line.find("\":", colon + 1)) {
      const size_t open = line.rfind('"', colon - 1);
      const std::string key = line.substr(open + 1, colon - open - 1);
      EXPECT_TRUE(std::regex_search(help, std::regex("\\b" + key + "\\b"))) << key;
    }
  }
  // Standard output carries the summary.
  out = RunCommand(absl::StrCat(GROUPGUARD_CLI, " replay --decisions - ", path_, " 2>&1"),
                   &code);
  EXPECT_EQ(code, 2) << out;
  EXPECT_THAT(out, HasSubstr("--decisions -: standard output carries the summary"));
}

// The start of the dump of the "no date" tests below: the spammer's obvious spam in
// music (flagged on 2024-01-01) and a fan's post in games a day later, then
// `records`. Replays it with --json --decisions; returns the output (stderr too),
// with the exit code in *code and the decision lines in *lines.
std::string ReplayAfterAFlag(const std::string& path,
                             const std::vector<std::string>& records, int* code,
                             std::vector<std::string>* lines) {
  {
    std::ofstream f(path, std::ios::trunc);
    f << R"({"id":"1","text":"Subscribe to my channel!!! check out my videos http://bit.ly/xyz free iphone","label":"spam","author":"spammer","group":"music","time":"2024-01-01T10:00:00"})"
         "\n"
      << R"({"id":"2","text":"what a great game last night","label":"ham","author":"fan","group":"games","time":"2024-01-02T10:00:00"})"
         "\n";
    for (const std::string& record : records) f << record << "\n";
  }
  const std::string decisions = path + ".decisions";
  std::string out = RunCommand(absl::StrCat(GROUPGUARD_CLI, " replay --json --decisions ",
                                            decisions, " ", path, " 2>&1"),
                               code);
  *lines = FileLines(decisions);
  std::filesystem::remove(decisions);
  return out;
}

// A time before 1970 is a dump's "no date" (0001-01-01): it counted as timed, so its
// post was replayed first, at the replay clock's start. It is untimed now, placed by
// --untimed: here after its group's neighbour, a day after the spammer's flag in
// music, so probation holds it.
TEST_F(ReplayCommandTest, TimesBefore1970AreNoTime) {
  int code = -1;
  std::vector<std::string> lines;
  const std::string out = ReplayAfterAFlag(
      path_,
      {R"({"id":"3","text":"nice","label":"spam","author":"spammer","group":"games","time":"0001-01-01T00:00:00Z"})"},
      &code, &lines);
  if (absl::StrContains(out, "without a default model")) GTEST_SKIP() << out;
  ASSERT_EQ(code, 0) << out;
  EXPECT_THAT(out, HasSubstr("\"untimed\":1,"));
  EXPECT_THAT(out, HasSubstr("\"spam_held_by_probation_only\":1,"));
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_THAT(
      lines[2],
      HasSubstr(
          R"("id":"3","line":3,"member":"spammer","group":"games","time":"2024-01-02T10:00:00Z","untimed":true,"action":"hold","why":"probation")"));
}

// Unix 0 is a dump's "no date" too: 1970-01-01T00:00:00Z counted as timed (only
// times before it did not), and so did the same instant written as a local time
// east of UTC (1970-01-01 01:00:00, MySQL's FROM_UNIXTIME(0) in Central Europe). A
// time on 1 January 1970 is untimed now; the next day is a time.
TEST_F(ReplayCommandTest, UnixZeroIsNoTime) {
  int code = -1;
  std::vector<std::string> lines;
  const std::string out = ReplayAfterAFlag(
      path_,
      {R"({"id":"3","text":"nice","label":"spam","author":"spammer","group":"games","time":"1970-01-01T00:00:00Z"})",
       R"({"id":"4","text":"nice","label":"spam","author":"spammer","group":"games","time":"1970-01-01 01:00:00"})",
       R"({"id":"5","text":"see you","label":"ham","author":"other","group":"chat","time":"1970-01-02T00:00:00Z"})"},
      &code, &lines);
  if (absl::StrContains(out, "without a default model")) GTEST_SKIP() << out;
  ASSERT_EQ(code, 0) << out;
  EXPECT_THAT(out, HasSubstr("\"untimed\":2,"));
  EXPECT_THAT(out, HasSubstr("\"spam_held_by_probation_only\":2,"));
  ASSERT_EQ(lines.size(), 5u);
  // Replayed by time: the timed one of 1970-01-02 first; the two untimed after
  // their group's neighbour, a day after the spammer's flag in music.
  EXPECT_THAT(
      lines[0],
      HasSubstr(
          R"("id":"5","line":5,"member":"other","group":"chat","time":"1970-01-02T00:00:00Z","untimed":false,)"));
  for (int i : {3, 4}) {
    EXPECT_THAT(
        lines[i],
        HasSubstr(absl::StrCat(
            R"("id":")", i, R"(","line":)", i,
            R"(,"member":"spammer","group":"games","time":"2024-01-02T10:00:00Z","untimed":true,"action":"hold","why":"probation")")));
  }
}

// 9999-12-31 is a database's "never": it counted as timed, so its post was replayed
// last and --decisions wrote probations ending in the year 10000 ("10000-01-30"). A
// time past the latest 10-digit Unix time (from 2286-11-20T17:46:40Z on) is untimed
// now; the second before is a time.
TEST_F(ReplayCommandTest, TimesAfterTheLatestUnixTimeAreNoTime) {
  int code = -1;
  std::vector<std::string> lines;
  const std::string out = ReplayAfterAFlag(
      path_,
      {R"({"id":"3","text":"nice","label":"spam","author":"spammer","group":"games","time":"9999-12-31 23:59:59"})",
       R"({"id":"4","text":"nice","label":"spam","author":"spammer","group":"games","time":"2286-11-20T17:46:40Z"})",
       R"({"id":"5","text":"see you","label":"ham","author":"other","group":"chat","time":"2286-11-20T17:46:39Z"})"},
      &code, &lines);
  if (absl::StrContains(out, "without a default model")) GTEST_SKIP() << out;
  ASSERT_EQ(code, 0) << out;
  EXPECT_THAT(out, HasSubstr("\"untimed\":2,"));
  ASSERT_EQ(lines.size(), 5u);
  // The two untimed after their group's neighbour, a day after the spammer's flag
  // in music; the latest time last.
  for (int i : {3, 4}) {
    EXPECT_THAT(
        lines[i - 1],
        HasSubstr(absl::StrCat(
            R"("id":")", i, R"(","line":)", i,
            R"(,"member":"spammer","group":"games","time":"2024-01-02T10:00:00Z","untimed":true,"action":"hold","why":"probation")")));
  }
  EXPECT_THAT(
      lines[4],
      HasSubstr(
          R"("id":"5","line":5,"member":"other","group":"chat","time":"2286-11-20T17:46:39Z","untimed":false,)"));
  for (const std::string& line : lines)
    EXPECT_THAT(line, Not(HasSubstr("\"10000-"))) << line;
}

// A reject threshold below the hold threshold is a usage error, said before the
// dump is read. The registry refused it only when the replay made the first group:
// exit 1 after reading the whole dump, and a dump without records passed (exit 0).
TEST_F(ReplayCommandTest, RejectThresholdBelowTheHoldThresholdIsAUsageError) {
  const std::string empty = path_ + ".empty.jsonl";
  std::ofstream(empty).close();
  for (const std::string& input : {path_, empty}) {
    int code = -1;
    const std::string out =
        RunCommand(absl::StrCat(GROUPGUARD_CLI,
                                " replay --hold-threshold 0.9 --reject-threshold 0.3 ",
                                input, " 2>&1"),
                   &code);
    EXPECT_EQ(code, 2) << input << ": " << out;
    EXPECT_EQ(out,
              "groupguard: --reject-threshold 0.3 is below --hold-threshold 0.9; it must "
              "be at least that (groupguard replay --help)\n")
        << input;
  }
  std::filesystem::remove(empty);
}

// A record without an author is replayed as a member of its own, and one without a
// group in a group of such records. Their stand-in names ("anonymous:LINE",
// "(none)") used to be those a dump's own author or group could have, and then
// merged with them: here the anonymous post on line 2 was held by the probation of
// the real author "anonymous:2", and the groups "(none)" and none were one. In
// --decisions they are null.
TEST_F(ReplayCommandTest, StandInsForNoAuthorAndNoGroupAreNoRealNames) {
  {
    std::ofstream f(path_, std::ios::trunc);
    f << R"json({"id":"1","text":"Subscribe to my channel!!! check out my videos http://bit.ly/xyz free iphone","label":"spam","author":"anonymous:2","group":"(none)","time":"2024-01-01T10:00:00"})json"
         "\n"
      << R"({"id":"2","text":"nice","label":"spam","time":"2024-01-02T10:00:00"})"
         "\n"
      << R"({"id":"3","text":"Subscribe to my channel!!! check out my videos http://bit.ly/xyz free iphone","label":"spam","author":"bob","time":"2024-01-03T10:00:00"})"
         "\n"
      << R"({"id":"4","text":"nice","label":"spam","author":"bob","group":"games","time":"2024-01-04T10:00:00"})"
         "\n";
  }
  const std::string decisions = path_ + ".decisions";
  int code = -1;
  std::string out = RunCommand(absl::StrCat(GROUPGUARD_CLI, " replay --json --decisions ",
                                            decisions, " ", path_, " 2>&1"),
                               &code);
  if (absl::StrContains(out, "without a default model")) GTEST_SKIP() << out;
  ASSERT_EQ(code, 0) << out;
  EXPECT_THAT(out, HasSubstr("\"groups\":3,"));
  EXPECT_THAT(out, HasSubstr("\"authors\":3,"));
  EXPECT_THAT(out, HasSubstr("\"no_author\":1,"));
  // Bob's, flagged from the records without a group; not line 2's.
  EXPECT_THAT(out, HasSubstr("\"spam_held_by_probation_only\":1,"));
  const std::vector<std::string> lines = FileLines(decisions);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_THAT(
      lines[0],
      HasSubstr(R"json("id":"1","line":1,"member":"anonymous:2","group":"(none)",)json"));
  EXPECT_THAT(lines[1], HasSubstr(R"("id":"2","line":2,"member":null,"group":null,)"));
  EXPECT_THAT(lines[1], HasSubstr(R"("action":"publish",)"));
  EXPECT_THAT(lines[2], HasSubstr(R"("id":"3","line":3,"member":"bob","group":null,)"));
  EXPECT_THAT(lines[3], HasSubstr(R"("why":"probation",)"));
  EXPECT_THAT(lines[3], HasSubstr(R"("flagged_from":[null],)"));
  std::filesystem::remove(decisions);
}

// Unix seconds with a fraction are read digit by digit: the microseconds given are
// those printed. Through a double, 9999999999.999999 (16 significant digits) came
// out as 39.999998.
TEST_F(ReplayCommandTest, FractionalUnixSecondsKeepTheirDigits) {
  {
    std::ofstream f(path_, std::ios::trunc);
    f << R"({"id":"1","text":"hello","author":"a","group":"g","time":1700000000.000001})"
         "\n"
      << R"({"id":"2","text":"hello","author":"a","group":"g","time":"9999999999.999999"})"
         "\n"
      << R"({"id":"3","text":"hello","author":"a","group":"g","time":9999999999.999999})"
         "\n";
  }
  const std::string decisions = path_ + ".decisions";
  int code = -1;
  std::string out = RunCommand(absl::StrCat(GROUPGUARD_CLI, " replay --decisions ",
                                            decisions, " ", path_, " 2>&1"),
                               &code);
  if (absl::StrContains(out, "without a default model")) GTEST_SKIP() << out;
  ASSERT_EQ(code, 0) << out;
  const std::vector<std::string> lines = FileLines(decisions);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_THAT(
      lines[0],
      HasSubstr(
          R"("id":"1","line":1,"member":"a","group":"g","time":"2023-11-14T22:13:20.000001Z","untimed":false,)"));
  EXPECT_THAT(
      lines[1],
      HasSubstr(
          R"("id":"2","line":2,"member":"a","group":"g","time":"2286-11-20T17:46:39.999999Z","untimed":false,)"));
  EXPECT_THAT(
      lines[2],
      HasSubstr(
          R"("id":"3","line":3,"member":"a","group":"g","time":"2286-11-20T17:46:39.999999Z","untimed":false,)"));
  std::filesystem::remove(decisions);
}

}  // namespace
