// End-to-end tests of the groupguard command: runs the built executable.
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "groupguard/clock.h"
#include "groupguard/event_store.h"
#include "groupguard/registry.h"
#include "gtest/gtest.h"

namespace groupguard {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

struct Result {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string Dir() { return ::testing::TempDir() + "/gg_cli_" + std::to_string(getpid()); }

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string WriteFile(const std::string& name, const std::string& contents) {
  std::string path = Dir() + "/" + name;
  std::ofstream(path, std::ios::binary) << contents;
  return path;
}

// Why a run cannot be given the address space (and stack) limits `ulimit`, a
// shell's ulimit commands, if it cannot: in a sanitizer's build (its allocator does
// not run under an address space limit), or when the hard limits do not allow them.
// Tests that need them skip: `if (auto why = CannotLimit(u)) GTEST_SKIP() << *why;`.
std::optional<std::string> CannotLimit(const std::string& ulimit) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  return "a sanitizer's allocator does not run under an address space limit";
#endif
  if (std::system(ulimit.c_str()) != 0) {
    return absl::StrCat("the hard limits do not allow `", ulimit, "`");
  }
  return std::nullopt;
}

// 20 spam posts ("<spam_prefix>0" ...) and 20 ham ones ("see you at lunch 0" ...),
// as JSON Lines: a training file small enough to train on in milliseconds.
std::string SmallTrainingPosts(absl::string_view spam_prefix) {
  std::string posts;
  for (int i = 0; i < 20; ++i) {
    absl::StrAppend(&posts, "{\"text\": \"", spam_prefix, i,
                    "\", \"label\": \"spam\"}\n{\"text\": \"see you at lunch ", i,
                    "\", \"label\": \"ham\"}\n");
  }
  return posts;
}

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

// Runs `groupguard ARGS` through the shell (args are trusted test strings), with
// standard input from `stdin_path` (or /dev/null), after the shell command `before`
// (such as a ulimit) if any.
Result RunCli(const std::string& args, const std::string& stdin_path = "/dev/null",
              const std::string& before = "") {
  std::string err_path = Dir() + "/stderr.txt";
  std::string command =
      absl::StrCat(before.empty() ? "" : before + " && ", GROUPGUARD_CLI, " ", args, " <",
                   stdin_path, " 2>", err_path);
  Result r;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return r;
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) r.out.append(buf, n);
  int status = pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.err = ReadFile(err_path);
  return r;
}

// The commands that have options of their own, as typed after "groupguard".
constexpr const char* kCommandsWithOptions[] = {
    "train",         "score",           "eval",        "explain", "inspect", "replay",
    "journal check", "journal salvage", "journal show"};

// Calls check(command, match) for every match of `re` in the help of every command
// of kCommandsWithOptions; returns how many there were.
template <typename Check>
int ForEachMatchInHelp(const std::regex& re, Check check) {
  int matches = 0;
  for (const char* command : kCommandsWithOptions) {
    const Result r = RunCli(absl::StrCat(command, " --help"));
    EXPECT_EQ(r.exit_code, 0) << command;
    for (std::sregex_iterator it(r.out.begin(), r.out.end(), re), end; it != end; ++it) {
      check(command, *it);
      ++matches;
    }
  }
  return matches;
}

std::vector<std::string> Lines(const std::string& s) {
  std::vector<std::string> lines = absl::StrSplit(s, '\n');
  if (!lines.empty() && lines.back().empty()) lines.pop_back();
  return lines;
}

class GroupguardCliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    mkdir(Dir().c_str(), 0755);
    model_ = Dir() + "/sms.ggm";
    Result r = RunCli(absl::StrCat("train --model-type nb -o ", model_, " ",
                                   GROUPGUARD_DATA_DIR, "/jsonl/sms.train.jsonl"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  static void TearDownTestSuite() {
    std::error_code ignored;
    std::filesystem::remove_all(Dir(), ignored);
  }
  static std::string model_;
};
std::string GroupguardCliTest::model_;

TEST_F(GroupguardCliTest, NoSubcommandIsAUsageError) {
  Result r = RunCli("");
  EXPECT_EQ(r.exit_code, 2);
}

TEST_F(GroupguardCliTest, UnknownFlagIsAUsageError) {
  Result r = RunCli("score --no-such-flag x.jsonl");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("no-such-flag"));
}

// "--" before a command ends groupguard's own options as it ends a command's: the
// command is the word after it. It used to be taken for a command, 'unknown command
// "--"'.
TEST_F(GroupguardCliTest, DoubleDashBeforeTheCommandEndsTheOptions) {
  const Result none = RunCli("--");
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_THAT(none.err, StartsWith("groupguard: a command is required; the commands are "
                                   "train, score, "));
  const Result journal = RunCli("journal --");
  EXPECT_EQ(journal.exit_code, 2);
  EXPECT_THAT(journal.err, StartsWith("groupguard: a journal command is required; "));
  // After it, a word that looks like an option is a command's name, and no such.
  const Result help = RunCli("-- --help");
  EXPECT_EQ(help.exit_code, 2);
  EXPECT_EQ(help.out, "");
  EXPECT_THAT(help.err, StartsWith("groupguard: unknown command \"--help\"; "));
  // The command runs as without it, and reads its own options.
  const Result plain = RunCli(absl::StrCat("explain -m ", model_, " -k 2 'win a prize'"));
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  const Result dashed =
      RunCli(absl::StrCat("-- explain -m ", model_, " -k 2 'win a prize'"));
  EXPECT_EQ(dashed.exit_code, 0) << dashed.err;
  EXPECT_EQ(dashed.out, plain.out);
  const Result check = RunCli(absl::StrCat("journal -- check ", Dir(), "/no_journal"));
  EXPECT_EQ(check.exit_code,
            RunCli(absl::StrCat("journal check ", Dir(), "/no_journal")).exit_code);
  EXPECT_THAT(check.err, Not(HasSubstr("command")));
}

// An error of the argument parser is one line like every other error: "groupguard: ",
// what is wrong, and the help of the command it was (CLI11 alone printed its message
// bare, then "Run with --help for more information.", the program's help, not the
// command's). What the user typed is shown escaped, as elsewhere.
TEST_F(GroupguardCliTest, ParseErrorsAreOneLineNamingTheCommandsHelp) {
  const struct {
    const char* args;
    const char* err;
  } cases[] = {
      {"score --no-such-flag x.jsonl",
       "groupguard: unknown option \"--no-such-flag\" (groupguard score --help)\n"},
      {"explain -k",
       "groupguard: --clues needs a value: INT in [0 - 1000] "
       "(groupguard explain --help)\n"},
      {"explain -k abc x",
       "groupguard: --clues: abc is not a decimal integer from 0 to 1000 "
       "(groupguard explain --help)\n"},
      {"score x.jsonl y.jsonl",
       "groupguard: unexpected argument \"y.jsonl\": score takes one input (groupguard "
       "score --help)\n"},
      {"train x.jsonl", "groupguard: --output is required (groupguard train --help)\n"},
      {"journal check --bogus dir",
       "groupguard: unknown option \"--bogus\" (groupguard journal check --help)\n"},
      {"score \"$(printf -- '--a\033[2Jb')\" x.jsonl",
       "groupguard: unknown option \"--a\\x1b[2Jb\" (groupguard score --help)\n"},
  };
  for (const auto& c : cases) {
    Result r = RunCli(c.args);
    EXPECT_EQ(r.exit_code, 2) << c.args;
    EXPECT_EQ(r.err, c.err) << c.args;
    EXPECT_EQ(r.out, "") << c.args;
  }
}

TEST_F(GroupguardCliTest, HelpOnEverySubcommand) {
  for (const char* sub : {"train", "score", "eval", "explain", "inspect", "replay",
                          "journal", "journal check", "journal salvage"}) {
    Result r = RunCli(absl::StrCat(sub, " --help"));
    EXPECT_EQ(r.exit_code, 0) << sub;
    EXPECT_THAT(r.out, HasSubstr("Usage")) << sub;
    // A flag is listed as it is typed: CLI11 shows a negated flag's default after
    // its name ("--no-hold-unsure{false}"), which reads as another flag.
    EXPECT_THAT(r.out, Not(HasSubstr("{false}"))) << sub;
    EXPECT_THAT(r.out, Not(HasSubstr("{true}"))) << sub;
  }
}

// A mistyped or missing command is named, with the commands there are (CLI11 alone
// said "A subcommand is required" for both), at each level.
TEST_F(GroupguardCliTest, UnknownOrMissingCommandNamesTheCommands) {
  Result typo = RunCli("scor x.jsonl");
  EXPECT_EQ(typo.exit_code, 2);
  EXPECT_EQ(typo.err,
            "groupguard: unknown command \"scor\"; the commands are train, score, eval, "
            "explain, inspect, journal, replay (groupguard COMMAND --help)\n");
  Result none = RunCli("");
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_THAT(none.err, StartsWith("groupguard: a command is required; the commands are "
                                   "train, score,"));
  EXPECT_EQ(Lines(none.err).size(), 1u) << none.err;
  // Likewise journal's commands: CLI11 said "A subcommand is required" for these too.
  Result journal_typo = RunCli("journal chek x");
  EXPECT_EQ(journal_typo.exit_code, 2);
  EXPECT_EQ(journal_typo.err,
            "groupguard: unknown journal command \"chek\"; the journal commands are "
            "check, salvage, show (groupguard journal COMMAND --help)\n");
  Result journal_none = RunCli("journal");
  EXPECT_EQ(journal_none.exit_code, 2);
  EXPECT_EQ(journal_none.err,
            "groupguard: a journal command is required; the journal commands are "
            "check, salvage, show (groupguard journal COMMAND --help)\n");
  Result journal_help = RunCli("journal --help");
  EXPECT_EQ(journal_help.exit_code, 0) << journal_help.err;
  EXPECT_THAT(journal_help.out, HasSubstr("salvage"));
  // Options before a command are still CLI11's to read.
  Result version = RunCli("--version");
  EXPECT_EQ(version.exit_code, 0) << version.err;
  EXPECT_NE(version.out, "");
}

// What CLI11 says of a command line it refuses reads in the command's own words,
// naming the option or argument and what it takes, wherever the mistake is made.
// CLI11 said "--clues: At Most 1 required but received 2", "--format: xml not in
// {jsonl,csv}", "the following arguments were not expected: z y" (the words in
// reverse, and a "--" among them), "dir is required", "--model-type excludes
// --select", "could not convert: --json = x".
TEST_F(GroupguardCliTest, RefusedCommandLinesReadInTheCommandsWords) {
  const struct {
    const char* args;
    const char* err;
  } cases[] = {
      // An option of one value, given twice.
      {"explain -k 1 -k 2 x", "--clues is given twice; it takes one value"},
      {"score -o a -o b -o c x", "--output is given 3 times; it takes one value"},
      {"journal check --drop-from 1 --drop-from 2 d",
       "--drop-from is given twice; it takes one value"},
      // Too few or too many values, or none.
      {"train --char-ngrams 5 -o m x",
       "--char-ngrams takes 2 values, each INT in [0 - 8]; given 1: 5"},
      {"train --char-ngrams 1 2 --char-ngrams 3 4 -o m x",
       "--char-ngrams takes 2 values, each INT in [0 - 8]; given 4: 1 2 3 4"},
      {"train -o m x --char-ngrams", "--char-ngrams needs 2 values, each INT in [0 - 8]"},
      {"eval --ham-rate", "--ham-rate needs a value: FLOAT in [0 - 1]"},
      {"score --model", "--model needs a value"},
      {"score --format", "--format needs a value: TEXT in {jsonl,csv}"},
      // A value not among those the option takes.
      {"score --format xml x", "--format: xml is not jsonl or csv"},
      {"eval --input-format '' x",
       "--input-format: an empty value is not auto, jsonl, csv or tsv"},
      {"replay --untimed later x", "--untimed: later is not neighbor, end or skip"},
      // A flag given a value.
      {"eval --json=x x", "--json takes no value, not x"},
      // Words too many, in the order typed, without the "--" that ended the options.
      {"score x y z", "unexpected arguments \"y\" \"z\": score takes one input"},
      {"score -- x y", "unexpected argument \"y\": score takes one input"},
      {"journal check a b", "unexpected argument \"b\": journal check takes one dir"},
      {"explain buy now",
       "unexpected argument \"now\": explain takes one text; quote a text of several "
       "words"},
      // After "--" a word is an argument however it looks (CLI11 drops the "--"
      // when the command has no argument left for what follows).
      {"inspect a -- b", "unexpected argument \"b\": inspect takes one model_file"},
      {"score x -- --bogus -y",
       "unexpected arguments \"--bogus\" \"-y\": score takes one input"},
      // A missing argument, options that cannot go together.
      {"replay", "the input argument is required"},
      {"journal salvage", "the dir argument is required"},
      {"train -o m", "the inputs argument is required"},
      {"train --select --model-type nb -o m x",
       "--model-type cannot be used with --select"},
  };
  for (const auto& c : cases) {
    const Result r = RunCli(c.args);
    EXPECT_EQ(r.exit_code, 2) << c.args;
    const std::vector<std::string> words = absl::StrSplit(c.args, ' ');
    const std::string command =
        words[0] == "journal" ? words[0] + " " + words[1] : words[0];
    EXPECT_EQ(r.err,
              absl::StrCat("groupguard: ", c.err, " (groupguard ", command, " --help)\n"))
        << c.args;
    EXPECT_EQ(r.out, "") << c.args;
  }
}

// An option the command line's level does not know is named as unknown, with that
// level's help. Before any command CLI11 said "a subcommand is required" (it looks
// for the command before the words it did not know); after one, "the following
// argument was not expected: --bogus". A word that is not an option ("-" is standard
// input) is still an unknown command, and a second input is still unexpected.
TEST_F(GroupguardCliTest, UnknownOptionsAreNamedAtEveryLevel) {
  const struct {
    const char* args;
    const char* err;
  } cases[] = {
      {"--bogus", "groupguard: unknown option \"--bogus\" (groupguard --help)\n"},
      {"--bogus score x.jsonl",
       "groupguard: unknown option \"--bogus\" (groupguard --help)\n"},
      {"--threads=2 score x.jsonl",
       "groupguard: unknown option \"--threads=2\" (groupguard --help)\n"},
      {"-x", "groupguard: unknown option \"-x\" (groupguard --help)\n"},
      {"journal --bogus",
       "groupguard: unknown option \"--bogus\" (groupguard journal --help)\n"},
      {"score --bogus",
       "groupguard: unknown option \"--bogus\" (groupguard score --help)\n"},
      {"score x.jsonl --bogus=1 y.jsonl",
       "groupguard: unknown option \"--bogus=1\" (groupguard score --help)\n"},
      {"journal check dir -z",
       "groupguard: unknown option \"-z\" (groupguard journal check --help)\n"},
      {"-",
       "groupguard: unknown command \"-\"; the commands are train, score, eval, "
       "explain, inspect, journal, replay (groupguard COMMAND --help)\n"},
  };
  for (const auto& c : cases) {
    Result r = RunCli(c.args);
    EXPECT_EQ(r.exit_code, 2) << c.args;
    EXPECT_EQ(r.err, c.err) << c.args;
    EXPECT_EQ(r.out, "") << c.args;
  }
  // The options each level has are still read there.
  for (const char* known : {"--help", "-h", "journal --help", "score -h"}) {
    Result r = RunCli(known);
    EXPECT_EQ(r.exit_code, 0) << known << ": " << r.err;
    EXPECT_THAT(r.out, HasSubstr("Usage")) << known;
  }
}

// train reads every input with the same --text-field, --label-field...: its help
// says so, for a user training on dumps of different shapes (README: give them one).
TEST_F(GroupguardCliTest, TrainHelpSaysTheInputFlagsApplyToEveryInput) {
  Result r = RunCli("train --help");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.out, HasSubstr("each read with the same input flags (--text-field, "
                               "--label-field, ...)"));
}

// score refuses -o FILE.tsv without --format; its help says so rather than "otherwise
// jsonl".
TEST_F(GroupguardCliTest, ScoreHelpSaysATsvOutputIsRefused) {
  Result r = RunCli("score --help");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.out, HasSubstr(".tsv is refused"));
  Result tsv = RunCli(absl::StrCat("score -o ", Dir(), "/out.tsv -"));
  EXPECT_EQ(tsv.exit_code, 2) << tsv.err;
  EXPECT_THAT(tsv.err, HasSubstr("not TSV"));
}

// score reads no label, whatever --label-field names (NamedColumnsMustBeInTheHeader):
// its help says so, where it said, as eval's does, that a column named there must be
// in the header.
TEST_F(GroupguardCliTest, ScoreHelpSaysTheLabelFieldIsIgnored) {
  const auto label_field_help = [](const std::string& help) {
    const size_t begin = help.find("  --label-field");
    return begin == std::string::npos
               ? std::string()
               : help.substr(begin, help.find("\n  -", begin + 1) - begin);
  };
  Result score = RunCli("score --help");
  EXPECT_EQ(score.exit_code, 0);
  EXPECT_THAT(label_field_help(score.out), HasSubstr("Ignored: score reads no label"));
  EXPECT_THAT(label_field_help(score.out), Not(HasSubstr("must be in")));
  Result eval = RunCli("eval --help");
  EXPECT_THAT(label_field_help(eval.out), HasSubstr("must be in a CSV/TSV header"));
}

TEST_F(GroupguardCliTest, MissingModelIsOneClearLine) {
  Result r = RunCli("score -m /nonexistent/model.ggm -");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, StartsWith("groupguard: cannot load model /nonexistent/model.ggm"));
  EXPECT_EQ(Lines(r.err).size(), 1u) << r.err;
}

TEST_F(GroupguardCliTest, CorruptModelIsOneClearLine) {
  std::string bad = WriteFile("garbage.ggm", std::string(1000, 'x'));
  Result r = RunCli(absl::StrCat("inspect ", bad));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, StartsWith(absl::StrCat("groupguard: cannot load model ", bad)));
  EXPECT_EQ(Lines(r.err).size(), 1u) << r.err;
}

TEST_F(GroupguardCliTest, MissingInputIsOneClearLine) {
  Result r = RunCli(absl::StrCat("score -m ", model_, " /nonexistent/posts.jsonl"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("/nonexistent/posts.jsonl: No such file or directory"));
  EXPECT_EQ(Lines(r.err).size(), 1u) << r.err;
}

TEST_F(GroupguardCliTest, ScoreIgnoresLabels) {
  // Labels in other words (or given twice) stop eval and train, not score.
  const std::string input = WriteFile(
      "odd_labels.jsonl",
      "{\"id\":\"a\",\"text\":\"hello there\",\"label\":\"promo\"}\n"
      "{\"id\":\"b\",\"text\":\"WIN a prize\",\"label\":\"spam\",\"label\":1}\n");
  Result r = RunCli(absl::StrCat("score -m ", model_, " ", input));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(Lines(r.out).size(), 2u) << r.out;
  EXPECT_THAT(r.out, HasSubstr("\"id\":\"b\""));
  r = RunCli(absl::StrCat("eval -m ", model_, " ", input));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("odd_labels.jsonl:1: \"label\" is \"promo\""));
}

TEST_F(GroupguardCliTest, ScoresInInputOrderWithTwoThreads) {
  std::string dump;
  for (int i = 0; i < 3000; ++i) {
    absl::StrAppend(&dump, "{\"id\":\"p", i, "\",\"text\":\"",
                    i % 3 == 0 ? "WINNER! claim your free prize, call 09061701461"
                               : "see you at lunch tomorrow?",
                    " ", i, "\"}\n");
  }
  std::string input = WriteFile("order.jsonl", dump);
  Result one = RunCli(absl::StrCat("score -t 1 -m ", model_, " ", input));
  Result two = RunCli(absl::StrCat("score -t 2 --block-kib 4 -m ", model_, " ", input));
  ASSERT_EQ(one.exit_code, 0) << one.err;
  ASSERT_EQ(two.exit_code, 0) << two.err;
  EXPECT_EQ(one.out, two.out);
  std::vector<std::string> lines = Lines(two.out);
  ASSERT_EQ(lines.size(), 3000u);
  for (int i = 0; i < 3000; i += 111) {
    EXPECT_THAT(lines[i],
                StartsWith(absl::StrCat("{\"id\":\"p", i, "\",\"spam_probability\":")));
  }
  EXPECT_THAT(lines[0], HasSubstr("\"verdict\":\"spam\""));
  EXPECT_THAT(lines[1], HasSubstr("\"verdict\":\"ham\""));
}

TEST_F(GroupguardCliTest, ReadsStandardInputAndWritesCsv) {
  std::string input = WriteFile(
      "stdin.jsonl", "{\"id\":\"a,1\",\"text\":\"hello\"}\n{\"text\":\"no id\"}\n");
  Result r = RunCli(absl::StrCat("score --format csv -m ", model_), input);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], "id,spam_probability,verdict");
  EXPECT_THAT(lines[1], StartsWith("\"a,1\",0."));
  EXPECT_THAT(lines[2], StartsWith("2,0."));  // no id: the line number
}

// Without --format, -o's extension chooses the output format; --format wins.
TEST_F(GroupguardCliTest, OutputFormatFollowsTheOutputExtension) {
  std::string input = WriteFile("ext.jsonl", "{\"id\":\"a\",\"text\":\"hello\"}\n");
  const std::string csv = Dir() + "/scores.CSV";
  Result r = RunCli(absl::StrCat("score -m ", model_, " -o ", csv, " ", input));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(ReadFile(csv), StartsWith("id,spam_probability,verdict\na,0."));
  const std::string jsonl = Dir() + "/scores.jsonl";
  r = RunCli(absl::StrCat("score -m ", model_, " -o ", jsonl, " ", input));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(ReadFile(jsonl), StartsWith("{\"id\":\"a\","));
  r = RunCli(absl::StrCat("score --format jsonl -m ", model_, " -o ", csv, " ", input));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(ReadFile(csv), StartsWith("{\"id\":\"a\","));
  const std::string other = Dir() + "/scores.out";
  r = RunCli(absl::StrCat("score -m ", model_, " -o ", other, " ", input));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(ReadFile(other), StartsWith("{\"id\":\"a\","));
  const std::string tsv = Dir() + "/scores.tsv";
  r = RunCli(absl::StrCat("score -m ", model_, " -o ", tsv, " ", input));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("score writes jsonl or csv, not TSV"));
  EXPECT_FALSE(Exists(tsv));
}

TEST_F(GroupguardCliTest, ExplainFlagAddsCluesWithQuotedText) {
  std::string input = WriteFile(
      "explain.jsonl", "{\"id\":\"x\",\"text\":\"WINNER! Claim your FREE prize now\"}\n");
  Result r = RunCli(absl::StrCat("score --explain 3 -m ", model_, " ", input));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("\"clues\":[{\"feature\":"));
  EXPECT_THAT(r.out, HasSubstr("\"quotes\":[\""));
}

// A character n-gram quotes the whole word it came from: each quote is cut to 256
// bytes, before a UTF-8 continuation byte, ending with "..." (a 200 KB word was
// quoted whole by each of its n-gram clues: 7.2 MB of output for one post).
TEST_F(GroupguardCliTest, ExplainCutsLongQuotes) {
  const std::string posts = SmallTrainingPosts("cheap pills qzx");
  const std::string model = Dir() + "/ngrams.ggm";
  Result r = RunCli(absl::StrCat("train --char-ngrams 3 3 -o ", model, " ",
                                 WriteFile("ngrams.jsonl", posts)));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // "qzx" in a word of 100,000 two-byte letters, byte 253 inside one of them.
  std::string word = "qzxa";
  for (int i = 0; i < 100000; ++i) word += "\xc3\xa9";
  const std::string input = WriteFile(
      "long_word.jsonl", absl::StrCat("{\"id\":\"w\",\"text\":\"", word, "\"}\n"));
  const std::string cut = word.substr(0, 252);  // not 253, inside a letter
  for (const char* format : {"jsonl", "csv"}) {
    r = RunCli(absl::StrCat("score --explain 1000 --format ", format, " -m ", model, " ",
                            input));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_LT(r.out.size(), 20000u) << format;
    EXPECT_THAT(r.out, HasSubstr(absl::StrCat(cut, "...")))
        << format << ": " << r.out.substr(0, 400);
  }
}

TEST_F(GroupguardCliTest, MalformedRecordStopsWithFileAndLine) {
  std::string input =
      WriteFile("bad.jsonl",
                "{\"text\":\"a\"}\n{\"text\":\"b\"}\n{\"text\": 7}\n{\"text\":\"d\"}\n");
  std::string out = Dir() + "/bad.out.jsonl";
  Result r = RunCli(absl::StrCat("score -m ", model_, " -o ", out, " ", input));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("bad.jsonl:3: \"text\" is not a string"));
  EXPECT_FALSE(Exists(out)) << "a failed run must not leave an output file";
  // To standard output, the cut-short output ends with an error record.
  Result s = RunCli(absl::StrCat("score -m ", model_, " ", input));
  EXPECT_EQ(s.exit_code, 1);
  std::vector<std::string> lines = Lines(s.out);
  ASSERT_EQ(lines.size(), 3u) << s.out;
  EXPECT_THAT(lines[2], StartsWith("{\"error\":"));
  EXPECT_THAT(lines[2], HasSubstr("bad.jsonl:3:"));
}

// After a UTF-8 byte order mark, which the reader drops, a byte offset on line 1
// counts the mark's 3 bytes, as the file has them: on one thread and on the
// workers of two (which clone the parser after the first block is read).
TEST_F(GroupguardCliTest, ByteOffsetsOnLineOneCountAByteOrderMark) {
  const std::string jsonl = WriteFile(
      "bom.jsonl", "\xEF\xBB\xBF{\"text\" \"a\"}\n{\"text\":\"b\"}\n{\"text\" \"c\"}\n");
  for (const char* threads : {"1", "2"}) {
    Result r =
        RunCli(absl::StrCat("score --skip-bad -t ", threads, " -m ", model_, " ", jsonl));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_THAT(r.err, HasSubstr("bom.jsonl:1: broken JSON (expected ':' at byte 12)"))
        << threads;
    r = RunCli(absl::StrCat("score -t ", threads, " -m ", model_, " ", jsonl));
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_THAT(r.err, HasSubstr("bom.jsonl:1: broken JSON (expected ':' at byte 12)"))
        << threads;
  }
  const std::string csv = WriteFile("bom.csv", "\xEF\xBB\xBFid,te\"xt\n1,a\n");
  Result r = RunCli(absl::StrCat("score -m ", model_, " ", csv));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("bom.csv:1: header: double quote inside an unquoted "
                               "field at byte 9"));
}

// In CSV the error row is a row of the header's columns: the message in the id
// column, no probability, verdict "error" (no post has it); under the header even
// when the first record is the bad one.
TEST_F(GroupguardCliTest, CsvErrorRowIsWellFormed) {
  std::string input =
      WriteFile("bad-csv.jsonl", "{\"text\":\"a\"}\n{\"text\":\"b\"}\n{\"text\": 7}\n");
  Result r = RunCli(absl::StrCat("score --format csv -m ", model_, " ", input));
  EXPECT_EQ(r.exit_code, 1);
  std::vector<std::string> lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 4u) << r.out;
  EXPECT_EQ(lines[0], "id,spam_probability,verdict");
  EXPECT_EQ(lines[3],
            absl::StrCat("\"", input, ":3: \"\"text\"\" is not a string\",,error"));
  Result e =
      RunCli(absl::StrCat("score --format csv --explain 2 -m ", model_, " ", input));
  EXPECT_EQ(e.exit_code, 1);
  EXPECT_THAT(Lines(e.out).back(), testing::EndsWith(",,error,")) << e.out;
  std::string first = WriteFile("bad-first.jsonl", "{\"text\": 7}\n{\"text\":\"b\"}\n");
  Result f = RunCli(absl::StrCat("score --format csv -m ", model_, " ", first));
  EXPECT_EQ(f.exit_code, 1);
  lines = Lines(f.out);
  ASSERT_EQ(lines.size(), 2u) << f.out;
  EXPECT_EQ(lines[0], "id,spam_probability,verdict");
  EXPECT_THAT(lines[1], testing::EndsWith(",,error"));
}

TEST_F(GroupguardCliTest, SkipBadCountsAndReportsLines) {
  std::string input = WriteFile("skip.jsonl",
                                "{\"text\":\"a\"}\n{broken\n{\"text\":\"c\"}\n{\"id\":"
                                "\"no text\"}\n{\"text\":\"e\"}\n");
  std::string out = Dir() + "/skip.out.jsonl";
  Result r =
      RunCli(absl::StrCat("score --skip-bad -m ", model_, " -o ", out, " ", input));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("skipped 2 malformed records"));
  EXPECT_THAT(r.err, HasSubstr("skip.jsonl:2:"));
  EXPECT_THAT(r.err, HasSubstr("skip.jsonl:4:"));
  EXPECT_EQ(Lines(ReadFile(out)).size(), 3u);
}

// The bad records are reported in input order whatever the number of threads: an
// oversize record (found by the reader) after broken ones (found by a worker,
// here still busy with a long post after them) is listed after them.
TEST_F(GroupguardCliTest, SkippedRecordsAreReportedInInputOrderOnManyThreads) {
  std::string dump;
  for (int line = 1; line <= 1200; ++line) {
    if (line == 998 || line == 999) {
      absl::StrAppend(&dump, "{broken\n");
    } else if (line == 1000) {
      absl::StrAppend(&dump, "{\"text\":\"", std::string(800 << 10, 'w'), "\"}\n");
    } else if (line == 1001) {
      absl::StrAppend(&dump, "{\"text\":\"", std::string(3 << 19, 'a'), "\"}\n");
    } else {
      absl::StrAppend(&dump, "{\"id\":\"", line, "\",\"text\":\"post number ", line,
                      "\"}\n");
    }
  }
  std::string input = WriteFile("order.jsonl", dump);
  Result r = RunCli(absl::StrCat("score --skip-bad --threads 4 --block-kib 1 ",
                                 "--max-record-mib 1 -m ", model_, " ", input));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Lines(r.out).size(), 1197u);
  EXPECT_THAT(r.err, HasSubstr("skipped 3 malformed records; the first: "));
  const size_t first = r.err.find("order.jsonl:998:");
  const size_t second = r.err.find("order.jsonl:999:");
  const size_t third = r.err.find("order.jsonl:1001:");
  ASSERT_NE(third, std::string::npos) << r.err;
  EXPECT_LT(first, second) << r.err;
  EXPECT_LT(second, third) << r.err;
}

// Worker threads that cannot all be started leave the work to those that did, and
// with none, to the calling thread (as with --threads 1, after a note on stderr).
// Here each thread's stack (RLIMIT_STACK, glibc's default for new threads) is 1 GiB
// of a 1.5 GiB address space: one worker starts, the second cannot; with 2 GiB
// stacks, none. The exception of the thread that failed used to destroy the started
// ones unjoined (std::terminate, SIGABRT, no output); with none started, score and
// eval used to stop (exit 1).
TEST_F(GroupguardCliTest, WorkerThreadsThatCannotStartDoNotAbortTheRun) {
  if (auto why = CannotLimit("ulimit -s 2097152 && ulimit -v 1572864")) {
    GTEST_SKIP() << *why;
  }
  std::string dump;
  for (int line = 1; line <= 2000; ++line) {
    absl::StrAppend(&dump, "{\"id\":\"", line, "\",\"text\":\"post number ", line,
                    line % 3 == 0 ? " win a prize\",\"label\":\"spam\"}\n"
                                  : " see you later\",\"label\":\"ham\"}\n");
  }
  const std::string input = WriteFile("threads.jsonl", dump);
  const std::string one_worker = "ulimit -s 1048576 && ulimit -v 1572864";
  const std::string no_worker = "ulimit -s 2097152 && ulimit -v 1572864";
  for (const char* command : {"score --block-kib 1", "eval"}) {
    SCOPED_TRACE(command);
    const std::string args = absl::StrCat("-m ", model_, " ", input);
    const Result serial = RunCli(absl::StrCat(command, " --threads 1 ", args));
    ASSERT_EQ(serial.exit_code, 0) << serial.err;
    EXPECT_EQ(serial.err, "");
    const Result one =
        RunCli(absl::StrCat(command, " --threads 64 ", args), "/dev/null", one_worker);
    EXPECT_EQ(one.exit_code, 0) << one.err;
    EXPECT_EQ(one.out, serial.out);
    EXPECT_EQ(one.err, "");
    const Result none =
        RunCli(absl::StrCat(command, " --threads 64 ", args), "/dev/null", no_worker);
    EXPECT_EQ(none.exit_code, 0) << none.err;
    EXPECT_EQ(none.out, serial.out);
    EXPECT_THAT(none.err, StartsWith("groupguard: note: cannot start a worker thread "
                                     "(--threads 64): "));
    EXPECT_THAT(none.err, HasSubstr("; working on the main thread\n"));
    EXPECT_EQ(Lines(none.err).size(), 1u) << none.err;
  }
}

// Out of memory on a record (a 10 MB post of '$', ten million tokens, in a 100 MB
// address space): the run ends with an error naming the record, exit 1, and an
// output file given with -o is left as it was, with no temporary beside it. On a
// worker thread this used to end the process (std::terminate: SIGABRT, the
// temporary left behind); on the main thread it said only "std::bad_alloc".
TEST_F(GroupguardCliTest, OutOfMemoryOnARecordEndsTheRunWithItsLine) {
  const std::string limit = "ulimit -v 100000";
  if (auto why = CannotLimit(limit)) GTEST_SKIP() << *why;
  const std::string input = WriteFile(
      "oom.jsonl", absl::StrCat("{\"id\":\"a\",\"text\":\"hello\",\"label\":\"ham\"}\n",
                                "{\"id\":\"b\",\"text\":\"", std::string(10 << 20, '$'),
                                "\",\"label\":\"spam\"}\n"));
  const std::string message =
      absl::StrCat("groupguard: ", input,
                   ":2: out of memory handling this record (10485760 bytes of text)\n");
  const std::string main_thread_message =
      absl::StrCat("groupguard: ", input,
                   ": out of memory reading the input or ordering its outputs\n");
  const std::string out = WriteFile("oom-out.jsonl", "precious\n");
  for (const char* threads : {"1", "2"}) {
    SCOPED_TRACE(threads);
    Result r = RunCli(absl::StrCat("score --threads ", threads, " -o ", out, " ", input),
                      "/dev/null", limit);
    EXPECT_EQ(r.exit_code, 1) << r.err;
    // With a worker, the main thread may run out first (reading on while the worker
    // holds the memory): then the error names the input alone.
    EXPECT_THAT(r.err, ::testing::AnyOf(::testing::Eq(message),
                                        ::testing::Eq(main_thread_message)));
    if (std::string(threads) == "1") EXPECT_EQ(r.err, message);
    EXPECT_EQ(ReadFile(out), "precious\n");
    int beside = 0;
    for (const auto& entry : std::filesystem::directory_iterator(Dir())) {
      beside += absl::StartsWith(entry.path().filename().string(), "oom-out.jsonl.");
    }
    EXPECT_EQ(beside, 0) << "a temporary was left beside the output";
    r = RunCli(absl::StrCat("eval --threads ", threads, " ", input), "/dev/null", limit);
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_THAT(r.err, ::testing::AnyOf(::testing::Eq(message),
                                        ::testing::Eq(main_thread_message)));
    if (std::string(threads) == "1") EXPECT_EQ(r.err, message);
  }
}

// Out of memory with many workers (16 and 64 in a 100 MB address space, the four
// corpora, 4 MB): the run ends with exit 1 and one error line, and no temporary is
// left beside the output. It ended the process: a worker's error message threw
// std::bad_alloc out of its handler (std::terminate), or glibc could not register a
// thread_local's destructor for a worker's scoring scratch ("Fatal glibc error").
TEST_F(GroupguardCliTest, OutOfMemoryWithManyWorkersEndsTheRunWithAnError) {
  const std::string limit = "ulimit -v 100000";
  if (auto why = CannotLimit(limit)) GTEST_SKIP() << *why;
  std::string posts;
  for (const char* name : {"sms", "youtube", "tgspam", "datacamp"}) {
    posts += ReadFile(absl::StrCat(GROUPGUARD_DATA_DIR, "/jsonl/", name, ".jsonl"));
  }
  const std::string input = WriteFile("oom-many.jsonl", posts);
  const std::string out = Dir() + "/oom-many-out.jsonl";
  for (const char* threads : {"16", "64"}) {
    for (int run = 0; run < 3; ++run) {
      SCOPED_TRACE(absl::StrCat(threads, " threads, run ", run));
      std::filesystem::remove(out);
      const Result r =
          RunCli(absl::StrCat("score --threads ", threads, " -o ", out, " ", input),
                 "/dev/null", limit);
      ASSERT_TRUE(r.exit_code == 0 || r.exit_code == 1) << r.exit_code << ": " << r.err;
      if (r.exit_code == 1) {
        EXPECT_THAT(r.err, StartsWith(absl::StrCat("groupguard: ", input)));
        EXPECT_THAT(r.err, HasSubstr(": out of memory"));
        EXPECT_EQ(Lines(r.err).size(), 1u) << r.err;
        EXPECT_FALSE(Exists(out));
      }
      int beside = 0;
      for (const auto& entry : std::filesystem::directory_iterator(Dir())) {
        beside += absl::StartsWith(entry.path().filename().string(), "oom-many-out.jsonl.");
      }
      EXPECT_EQ(beside, 0) << "a temporary was left beside the output";
    }
  }
}

// train, out of memory on a record (the same 10 MB post of '$', labeled): the error
// names the record, exit 1, and no model is written. It said only "out of memory".
TEST_F(GroupguardCliTest, TrainOutOfMemoryOnARecordNamesIt) {
  const std::string limit = "ulimit -v 100000";
  if (auto why = CannotLimit(limit)) GTEST_SKIP() << *why;
  const std::string input =
      WriteFile("oom-train.jsonl",
                absl::StrCat("{\"id\":\"a\",\"text\":\"hello\",\"label\":\"ham\"}\n",
                             "{\"id\":\"b\",\"text\":\"", std::string(10 << 20, '$'),
                             "\",\"label\":\"spam\"}\n"));
  const std::string model = Dir() + "/oom-train.ggm";
  const Result r =
      RunCli(absl::StrCat("train -o ", model, " ", input), "/dev/null", limit);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(r.err, absl::StrCat("groupguard: ", input,
                                ":2: out of memory handling this record (10485760 bytes "
                                "of text)\n"));
  EXPECT_FALSE(Exists(model));
}

// Out of memory replaying a post (10 MiB of '$', ten million tokens, in a 100 MB
// address space): the error names the record, as score's and train's do; it was a
// bare "out of memory".
TEST_F(GroupguardCliTest, ReplayOutOfMemoryOnAPostNamesIt) {
  const std::string limit = "ulimit -v 100000";
  if (auto why = CannotLimit(limit)) GTEST_SKIP() << *why;
  const std::string input = WriteFile(
      "oom-replay.jsonl",
      absl::StrCat("{\"id\":\"a\",\"text\":\"hello\",\"author\":\"x\",\"group\":\"g\"}\n",
                   "{\"id\":\"b\",\"text\":\"", std::string(10 << 20, '$'),
                   "\",\"author\":\"y\",\"group\":\"g\"}\n"));
  const Result r = RunCli(absl::StrCat("replay ", input), "/dev/null", limit);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(r.err, absl::StrCat("groupguard: ", input,
                                ":2: out of memory replaying this post of 10485760 bytes "
                                "(2 records held: a replay holds the whole dump in "
                                "memory)\n"));
  EXPECT_EQ(r.out, "");
}

// Out of memory while the parser reads a record (one with a \u escape, which goes
// to simdjson; 10 and 16 MiB of '$' in a 100 MB address space): the error names the
// record being read and its size. It used to name the record before it or none
// ("(0 bytes of text)", from what the parser had left in view), or call simdjson's
// allocation failure broken JSON; and --skip-bad skipped it as a bad record and
// went on. Now it ends the run with --skip-bad too: the record is not at fault.
TEST_F(GroupguardCliTest, OutOfMemoryReadingARecordNamesIt) {
  const std::string limit = "ulimit -v 100000";
  if (auto why = CannotLimit(limit)) GTEST_SKIP() << *why;
  for (const size_t mib : {10, 16}) {
    SCOPED_TRACE(mib);
    const std::string record =
        absl::StrCat("{\"id\":\"b\",\"text\":\"\\u0041", std::string(mib << 20, '$'),
                     "\",\"label\":\"spam\"}");
    const std::string input = WriteFile(
        "oom-reading.jsonl",
        absl::StrCat("{\"id\":\"a\",\"text\":\"hello\",\"label\":\"ham\"}\n", record,
                     "\n{\"id\":\"c\",\"text\":\"bye\",\"label\":\"ham\"}\n"));
    const std::string message =
        absl::StrCat("groupguard: ", input, ":2: out of memory reading this record (",
                     record.size(), " bytes)\n");
    for (const char* skip : {"", " --skip-bad"}) {
      SCOPED_TRACE(skip);
      const Result r =
          RunCli(absl::StrCat("score --threads 1", skip, " ", input), "/dev/null", limit);
      EXPECT_EQ(r.exit_code, 1) << r.err;
      EXPECT_EQ(r.err, message);
      EXPECT_THAT(r.out, StartsWith("{\"id\":\"a\""));
      EXPECT_THAT(r.out, Not(HasSubstr("\"id\":\"c\"")));
    }
  }
}

// train --select runs out of memory in a cross-validation fold (youtube's train
// split in a 50 MB address space): the fold's error, exit 1. On a worker thread the
// std::bad_alloc ended the process (std::terminate). With more room than this build
// needs for a fold, the run succeeds.
TEST_F(GroupguardCliTest, OutOfMemoryInACrossValidationFoldIsAnError) {
  const std::string limit = "ulimit -v 50000";
  if (auto why = CannotLimit(limit)) GTEST_SKIP() << *why;
  const std::string input =
      absl::StrCat(GROUPGUARD_DATA_DIR, "/jsonl/youtube.train.jsonl");
  const Result r =
      RunCli(absl::StrCat("train --select --threads 2 -o ", Dir(), "/select.ggm ", input),
             "/dev/null", limit);
  ASSERT_NE(r.exit_code, -1) << "ended by a signal: " << r.err;
  if (r.exit_code != 0) {
    EXPECT_EQ(r.exit_code, 1) << r.err;
    // Where it runs out depends on the build: in a fold here ("cross-validation
    // failed: out of memory training fold 2 of 5 (repeat 1)" in the Release build),
    // or after them.
    EXPECT_THAT(r.err, HasSubstr("out of memory")) << r.err;
  }
}

// score and eval start all cores' worth of workers by default, but at most 32
// (kMaxDefaultWorkers): their main thread alone reads and orders the blocks, so more
// gain nothing, and each worker holds blocks and scratch of its own. On a machine of
// 1024 hardware threads (a preloaded get_nprocs()) they asked for 1024. Seen in the
// note of a run whose workers cannot start (as in the test above), which names the
// count asked for and where it came from (it said "--threads 32" of a run given no
// --threads); a --threads given is taken as it is.
TEST_F(GroupguardCliTest, ScoreAndEvalCapTheirDefaultThreads) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "a sanitizer's runtime must come first, before a preloaded library";
#endif
  if (std::system("ulimit -s 2097152 && ulimit -v 1572864") != 0) {
    GTEST_SKIP() << "the hard limits do not allow these stack and address space limits";
  }
  const std::string input =
      WriteFile("cap.jsonl",
                "{\"id\":\"1\",\"text\":\"win a prize\",\"label\":\"spam\"}\n"
                "{\"id\":\"2\",\"text\":\"see you later\",\"label\":\"ham\"}\n");
  const std::string no_worker =
      absl::StrCat("ulimit -s 2097152 && ulimit -v 1572864 && export LD_PRELOAD=",
                   GROUPGUARD_NPROCS_SHIM);
  for (const char* command : {"score", "eval"}) {
    SCOPED_TRACE(command);
    const std::string args = absl::StrCat(command, " -m ", model_, " ", input);
    const Result capped = RunCli(args, "/dev/null", no_worker);
    EXPECT_EQ(capped.exit_code, 0) << capped.err;
    EXPECT_THAT(capped.err, StartsWith("groupguard: note: cannot start a worker thread "
                                       "(32 by default: all cores, at most 32): "));
    const Result given =
        RunCli(absl::StrCat(args, " --threads 100"), "/dev/null", no_worker);
    EXPECT_EQ(given.exit_code, 0) << given.err;
    EXPECT_THAT(given.err, StartsWith("groupguard: note: cannot start a worker thread "
                                      "(--threads 100): "));
    const Result help = RunCli(absl::StrCat(command, " --help"));
    EXPECT_THAT(help.out, HasSubstr("Worker threads (default: all cores, at most 32)"));
  }
}

// train --select likewise: its cross-validation trains on the calling thread when no
// other can start (CrossValidate's own fallback), and the command says so, as score
// and eval do. It used to say nothing, so a run asked for 64 trainings at once took
// as long as with one, unexplained.
TEST_F(GroupguardCliTest, TrainSelectSaysWhenNoWorkerThreadCanStart) {
  if (auto why = CannotLimit("ulimit -s 2097152 && ulimit -v 1572864")) {
    GTEST_SKIP() << *why;
  }
  std::string dump;
  for (int line = 1; line <= 2000; ++line) {
    absl::StrAppend(&dump, "{\"id\":\"", line, "\",\"text\":\"post number ", line,
                    line % 3 == 0 ? " win a prize\",\"label\":\"spam\"}\n"
                                  : " see you later\",\"label\":\"ham\"}\n");
  }
  const std::string input = WriteFile("select_threads.jsonl", dump);
  const std::string model = Dir() + "/select_threads.ggm";
  const std::string args = absl::StrCat(
      "train --select --cv-folds 2 --cv-repeats 1 "
      "--hash-bits 16 -o ",
      model, " ", input);
  const Result serial = RunCli(absl::StrCat(args, " --threads 1"));
  ASSERT_EQ(serial.exit_code, 0) << serial.err;
  EXPECT_EQ(serial.err, "");
  const std::string serial_model = ReadFile(model);
  const Result one = RunCli(absl::StrCat(args, " --threads 64"), "/dev/null",
                            "ulimit -s 1048576 && ulimit -v 1572864");
  EXPECT_EQ(one.exit_code, 0) << one.err;
  EXPECT_EQ(one.out, serial.out);
  EXPECT_EQ(one.err, "");
  const Result none = RunCli(absl::StrCat(args, " --threads 64"), "/dev/null",
                             "ulimit -s 2097152 && ulimit -v 1572864");
  EXPECT_EQ(none.exit_code, 0) << none.err;
  EXPECT_EQ(none.out, serial.out);
  EXPECT_EQ(ReadFile(model), serial_model);
  EXPECT_THAT(none.err, StartsWith("groupguard: note: cannot start a worker thread "
                                   "(--threads 64): "));
  EXPECT_THAT(none.err, HasSubstr("; working on the main thread\n"));
  EXPECT_EQ(Lines(none.err).size(), 1u) << none.err;
  // Given no --threads, the note says the count is the default (it said "--threads
  // 256", which the user had not typed): on 1024 cores, CrossValidate()'s 256.
  const Result by_default =
      RunCli(args, "/dev/null",
             absl::StrCat("ulimit -s 2097152 && ulimit -v 1572864 && export LD_PRELOAD=",
                          GROUPGUARD_NPROCS_SHIM));
  EXPECT_EQ(by_default.exit_code, 0) << by_default.err;
  EXPECT_EQ(by_default.out, serial.out);
  EXPECT_EQ(
      by_default.err,
      absl::StrCat("groupguard: note: cannot start a worker thread (256 by default: "
                   "all cores, at most 256): ",
                   none.err.substr(none.err.find("): ") + 3)));
}

// An output file gets the mode a plain create gives (0666 less the umask), like
// a shell redirection would, not the 0600 of its temporary's mkstemp.
TEST_F(GroupguardCliTest, OutputFileModeFollowsTheUmask) {
  std::string input = WriteFile("mode.jsonl", "{\"text\":\"hello\"}\n");
  for (const mode_t mask : {mode_t{022}, mode_t{027}}) {
    std::string out = absl::StrCat(Dir(), "/mode_", mask, ".out.jsonl");
    const mode_t old_mask = umask(mask);
    Result r = RunCli(absl::StrCat("score -m ", model_, " -o ", out, " ", input));
    umask(old_mask);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    struct stat st;
    ASSERT_EQ(stat(out.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0666 & ~mask);
  }
}

TEST_F(GroupguardCliTest, OddPostsAreScoredNotFatal) {
  std::string dump = "{\"id\":\"empty\",\"text\":\"\"}\n";
  absl::StrAppend(&dump, "{\"id\":\"nul\",\"text\":\"a\\u0000b\"}\n");
  absl::StrAppend(&dump, std::string("{\"id\":\"rawnul\",\"text\":\"a\0b\"}\n", 29));
  absl::StrAppend(&dump, "{\"id\":\"utf8\",\"text\":\"bad \xC3\x28 bytes \xFF\"}\n");
  absl::StrAppend(&dump, "{\"id\":\"big\",\"text\":\"", std::string(10 << 20, 'a'),
                  "\"}\n");
  std::string input = WriteFile("odd.jsonl", dump);
  Result r = RunCli(absl::StrCat("score -m ", model_, " ", input));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_THAT(lines[2], StartsWith("{\"id\":\"rawnul\",\"spam_probability\":"));
  EXPECT_THAT(lines[4], StartsWith("{\"id\":\"big\",\"spam_probability\":"));
}

// Every id is written as a JSON string, whichever way its record was read: plain
// records (read in place, ids copied as they are: ASCII and well-formed UTF-8) and
// records with escapes, bad UTF-8 in the text or a number (read through simdjson).
// An id that is not UTF-8 is a malformed record (not one U+FFFD id for many).
TEST_F(GroupguardCliTest, ScoreWritesEveryIdAsAJsonString) {
  const std::string long_id(70, 'L');
  const std::string dump = absl::StrCat(
      "{\"id\":\"p1\",\"text\":\"hi\"}\n",
      "{\"id\":\"caf\xC3\xA9 \xF0\x9F\x98\x80\",\"text\":\"hi\"}\n",
      "{\"id\":\"q\\\"uote\\\\\",\"text\":\"hi\"}\n",
      "{\"id\":\"esc\\u00e9\\u0001\",\"text\":\"hi\"}\n",
      "{\"id\":\"bad\xFF\",\"text\":\"hi\"}\n", "{\"id\":\"ok\",\"text\":\"hi\xFF\"}\n",
      "{\"id\":7,\"text\":\"hi\"}\n", "{\"id\":\"", long_id, "\",\"text\":\"hi\"}\n",
      "{\"id\":\"\",\"text\":\"hi\"}\n", "{\"text\":\"hi \\u00e9\"}\n");
  const std::string input = WriteFile("ids.jsonl", dump);
  Result r = RunCli(absl::StrCat("score --skip-bad -m ", model_, " ", input));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr(absl::StrCat("skipped 1 malformed record; the first: ",
                                            input, ":5: \"id\" is not valid UTF-8")));
  const std::vector<std::string> lines = Lines(r.out);
  const std::vector<std::string> starts = {
      "{\"id\":\"p1\",\"spam_probability\":",
      "{\"id\":\"caf\xC3\xA9 \xF0\x9F\x98\x80\",\"spam_probability\":",
      "{\"id\":\"q\\\"uote\\\\\",\"spam_probability\":",
      "{\"id\":\"esc\xC3\xA9\\u0001\",\"spam_probability\":",
      "{\"id\":\"ok\",\"spam_probability\":",
      "{\"id\":\"7\",\"spam_probability\":",
      absl::StrCat("{\"id\":\"", long_id, "\",\"spam_probability\":"),
      "{\"id\":null,\"line\":9,\"spam_probability\":",
      "{\"id\":null,\"line\":10,\"spam_probability\":"};
  ASSERT_EQ(lines.size(), starts.size()) << r.out;
  for (size_t i = 0; i < starts.size(); ++i) {
    EXPECT_THAT(lines[i], StartsWith(starts[i]));
    EXPECT_THAT(lines[i], testing::EndsWith("\"}")) << lines[i];
  }
}

// A plain record's id is copied without a call when short (two overlapping
// copies of 8 or 4 bytes): ids of every length, each byte different, come out
// whole.
TEST_F(GroupguardCliTest, ScoreWritesPlainIdsOfEveryLength) {
  const std::string letters =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:;,!?()[]{}";
  std::string dump;
  for (size_t n = 1; n <= 70; ++n) {
    absl::StrAppend(&dump, "{\"id\": \"", letters.substr(0, n),
                    "\", \"text\": \"hi\"}\n");
  }
  Result r = RunCli(absl::StrCat("score -m ", model_, " ", WriteFile("ids.jsonl", dump)));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<std::string> lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 70u) << r.out;
  for (size_t n = 1; n <= 70; ++n) {
    EXPECT_THAT(lines[n - 1], StartsWith(absl::StrCat("{\"id\":\"", letters.substr(0, n),
                                                      "\",\"spam_probability\":")));
  }
}

// score keeps the usual lines (plain ids of up to 64 bytes) back for one append
// now and then; every other line (no id, a longer id, an id to escape) and the
// block's end must let them out first, in input order: 1,000 records of all four
// kinds in turn, in blocks of 4 KiB (on one thread and two) and of the default
// size.
TEST_F(GroupguardCliTest, ScoreWritesLinesOfEveryKindInInputOrder) {
  std::string dump;
  std::vector<std::string> want;
  for (int i = 0; i < 1000; ++i) {
    const std::string n = absl::StrCat(i);
    switch (i % 7 == 3 ? 1 : i % 11 == 5 ? 2 : i % 13 == 7 ? 3 : 0) {
      case 0:
        absl::StrAppend(&dump, "{\"id\": \"p", n, "\", \"text\": \"hi ", n, "\"}\n");
        want.push_back(absl::StrCat("{\"id\":\"p", n, "\","));
        break;
      case 1:
        absl::StrAppend(&dump, "{\"text\": \"no id ", n, "\"}\n");
        want.push_back(absl::StrCat("{\"id\":null,\"line\":", i + 1, ","));
        break;
      case 2:
        absl::StrAppend(&dump, "{\"id\": \"", std::string(70, 'L'), n,
                        "\", \"text\": \"long ", n, "\"}\n");
        want.push_back(absl::StrCat("{\"id\":\"", std::string(70, 'L'), n, "\","));
        break;
      default:
        absl::StrAppend(&dump, "{\"id\": \"q\\\"", n, "\", \"text\": \"esc ", n, "\"}\n");
        want.push_back(absl::StrCat("{\"id\":\"q\\\"", n, "\","));
        break;
    }
  }
  const std::string path = WriteFile("kinds.jsonl", dump);
  for (const char* flags : {"", " --block-kib 4", " --block-kib 4 --threads 2"}) {
    Result r = RunCli(absl::StrCat("score -m ", model_, flags, " ", path));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::vector<std::string> lines = Lines(r.out);
    ASSERT_EQ(lines.size(), want.size()) << flags;
    for (size_t i = 0; i < want.size(); ++i) {
      ASSERT_THAT(lines[i], StartsWith(want[i])) << "line " << i + 1 << flags;
    }
  }
}

TEST_F(GroupguardCliTest, EvalJsonHasEveryKey) {
  Result r = RunCli(absl::StrCat("eval --json -m ", model_, " ", GROUPGUARD_DATA_DIR,
                                 "/jsonl/sms.test.jsonl"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* key :
       {"\"roc_auc\":0.9", "\"accuracy\":", "\"precision\":", "\"recall\":", "\"f1\":",
        "\"spam_caught_at_1pct_ham_blocked\":", "\"spam_caught_at_0_1pct_ham_blocked\":",
        "\"confusion\":{\"spam_as_spam\":", "\"posts\":1114,\"spam\":149,\"ham\":965"}) {
    EXPECT_THAT(r.out, HasSubstr(key));
  }
  EXPECT_EQ(Lines(r.out).size(), 1u);
}

// "Spam caught at x% ham blocked" comes with the P(spam) threshold that achieves
// it (for 1%, 0.1% and each --ham-rate): scoring the same posts and calling spam
// what is at or above that threshold blocks at most that share of the ham and
// catches the share of spam printed.
TEST_F(GroupguardCliTest, EvalPrintsTheThresholdOfEachHamRate) {
  const std::string test = absl::StrCat(GROUPGUARD_DATA_DIR, "/jsonl/sms.test.jsonl");
  Result r = RunCli(absl::StrCat("eval --ham-rate 0.05 -m ", model_, " ", test));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Result scores = RunCli(absl::StrCat("score --format csv -m ", model_, " ", test));
  ASSERT_EQ(scores.exit_code, 0) << scores.err;
  std::vector<std::string> posts = Lines(ReadFile(test));
  std::vector<std::string> rows = Lines(scores.out);
  ASSERT_EQ(rows.size(), posts.size() + 1);
  for (const char* rate : {"1%", "0.1%", "5%"}) {
    const std::string label = absl::StrCat("  spam caught at ", rate, " ham blocked");
    const size_t at = r.out.find(label);
    ASSERT_NE(at, std::string::npos) << rate << "\n" << r.out;
    double caught, threshold, blocked_percent;
    ASSERT_EQ(std::sscanf(r.out.c_str() + at + label.size(),
                          " %lf at P(spam) >= %lf (blocks %lf%% of ham)", &caught,
                          &threshold, &blocked_percent),
              3)
        << r.out;
    int spam = 0, ham = 0, spam_called = 0, ham_called = 0;
    for (size_t i = 0; i < posts.size(); ++i) {
      const bool is_spam = absl::StrContains(posts[i], "\"label\": \"spam\"");
      std::vector<std::string> fields = absl::StrSplit(rows[i + 1], ',');
      const bool called = std::stod(fields[fields.size() - 2]) >= threshold;
      (is_spam ? spam : ham)++;
      if (called) (is_spam ? spam_called : ham_called)++;
    }
    EXPECT_NEAR(static_cast<double>(spam_called) / spam, caught, 1e-4) << rate;
    EXPECT_NEAR(100.0 * ham_called / ham, blocked_percent, 0.01) << rate;
    EXPECT_LE(100.0 * ham_called / ham, std::stod(rate)) << rate;
  }
  Result json =
      RunCli(absl::StrCat("eval --json --ham-rate 0.05 -m ", model_, " ", test));
  ASSERT_EQ(json.exit_code, 0) << json.err;
  EXPECT_THAT(json.out, HasSubstr("\"threshold_at_1pct_ham_blocked\":0."));
  EXPECT_THAT(json.out, HasSubstr("\"threshold_at_0_1pct_ham_blocked\":0."));
  EXPECT_THAT(json.out, HasSubstr("{\"max_ham_blocked\":0.05,\"spam_caught\":0."));
  EXPECT_EQ(RunCli(absl::StrCat("eval --ham-rate 2 -m ", model_, " ", test)).exit_code,
            2);
}

TEST_F(GroupguardCliTest, EvalDrawsRocSvgAndPrintsATable) {
  std::string svg = Dir() + "/roc.svg";
  Result r = RunCli(absl::StrCat("eval -m ", model_, " --roc ", svg, " ",
                                 GROUPGUARD_DATA_DIR, "/jsonl/youtube.test.jsonl"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("ROC AUC"));
  EXPECT_THAT(r.out, HasSubstr("390 (200 spam, 190 ham)"));
  std::string picture = ReadFile(svg);
  EXPECT_THAT(picture, HasSubstr("<svg"));
  EXPECT_THAT(picture, HasSubstr("<polyline"));
  EXPECT_THAT(picture, HasSubstr("False positive rate"));
}

TEST_F(GroupguardCliTest, EvalNeedsLabels) {
  std::string input = WriteFile("unlabeled.jsonl",
                                "{\"text\":\"a\",\"label\":\"ham\"}\n{\"text\":\"b\"}\n");
  Result r = RunCli(absl::StrCat("eval -m ", model_, " ", input));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("unlabeled.jsonl:2: no label"));
}

TEST_F(GroupguardCliTest, ExplainQuotesTheText) {
  Result r = RunCli(absl::StrCat("explain -m ", model_,
                                 " 'URGENT! You have won a 1000 cash prize, call now'"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, StartsWith("verdict: spam"));
  EXPECT_THAT(r.out, HasSubstr("\"URGENT! You have won a 1000 cash prize, call now\""));
  EXPECT_THAT(r.out, HasSubstr("\"prize\""));
  std::string input = WriteFile("explain.txt", "see you at lunch\n");
  Result s = RunCli(absl::StrCat("explain -m ", model_), input);
  ASSERT_EQ(s.exit_code, 0) << s.err;
  EXPECT_THAT(s.out, StartsWith("verdict: ham"));
  EXPECT_THAT(s.out, HasSubstr("\"see you at lunch\""));
}

// "-" is standard input or output where that makes sense, and refused where
// standard output already carries something else.
// A clue that quotes nothing (the length feature) ended its line with the spaces
// that pad the feature's column for the quotes.
TEST_F(GroupguardCliTest, ExplainLinesEndWithoutSpaces) {
  Result r = RunCli(absl::StrCat("explain -m ", model_, " 'WINNER! claim your prize'"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("\"length:"));
  for (const std::string& line : Lines(r.out)) {
    EXPECT_FALSE(absl::EndsWith(line, " ")) << "\"" << line << "\"";
  }
}

// explain shows the text as every typed value is shown: an escape sequence and a
// bidi control (which turned the rest of the line around on a terminal) escaped,
// as \x1b and \u202e. It printed the bidi control raw and the escape as \u001b.
TEST_F(GroupguardCliTest, ExplainShowsTheTextSafeForATerminal) {
  const std::string input = WriteFile("unsafe.txt", "hi \x1b[2J \xe2\x80\xae \"q\" \xff");
  Result r = RunCli(absl::StrCat("explain -m ", model_), input);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("text:    \"hi \\x1b[2J \\u202e \\\"q\\\" \\xff\"\n"))
      << r.out;
}

TEST_F(GroupguardCliTest, DashIsStandardInputOrRefused) {
  std::string input = WriteFile("dash.txt", "URGENT! You have won a 1000 cash prize\n");
  Result r = RunCli(absl::StrCat("explain -m ", model_, " -"), input);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("text:    \"URGENT! You have won a 1000 cash prize\""));
  const std::string test = absl::StrCat(GROUPGUARD_DATA_DIR, "/jsonl/youtube.test.jsonl");
  Result roc = RunCli(absl::StrCat("eval --json --roc - -m ", model_, " ", test));
  EXPECT_EQ(roc.exit_code, 2);
  EXPECT_EQ(roc.out, "");
  EXPECT_THAT(roc.err, HasSubstr("--roc -: standard output carries the metrics"));
  Result train = RunCli(absl::StrCat("train --model-type nb -o - ", test));
  EXPECT_EQ(train.exit_code, 2);
  EXPECT_THAT(train.err, HasSubstr("-o -: standard output carries the training report"));
  EXPECT_EQ(train.out, "");
  EXPECT_FALSE(Exists("-"));
  // Standard input is read once: a second "-" read no posts and said nothing.
  Result twice = RunCli(absl::StrCat("train --model-type nb -o ", Dir(), "/twice.ggm - -"),
                        test);
  EXPECT_EQ(twice.exit_code, 2);
  EXPECT_EQ(twice.err,
            "groupguard: \"-\" (standard input) is given twice; it can be read once "
            "(groupguard train --help)\n");
  EXPECT_FALSE(Exists(Dir() + "/twice.ggm"));
}

// explain's lines add up: the clues shown, the rest, and the offset every post
// starts from (the calibration of the model's bias, a * bias + b) sum to the
// log-odds of the P(spam) it prints.
TEST_F(GroupguardCliTest, ExplainShowsTheBiasSoTheWeightsAddUp) {
  Result inspect = RunCli(absl::StrCat("inspect ", model_));
  ASSERT_EQ(inspect.exit_code, 0) << inspect.err;
  double a, b, bias;
  const size_t calibration = inspect.out.find("calibration:");
  const size_t bias_at = inspect.out.find("bias:");
  ASSERT_NE(bias_at, std::string::npos);
  ASSERT_EQ(
      std::sscanf(inspect.out.c_str() + calibration,
                  "calibration: P(spam) = 1 / (1 + exp(-(%lf * score + %lf)))", &a, &b),
      2);
  ASSERT_EQ(std::sscanf(inspect.out.c_str() + bias_at, "bias: %lf", &bias), 1);
  for (const char* text : {"URGENT! You have won a 1000 cash prize, call now",
                           "see you at lunch tomorrow", ""}) {
    Result r = RunCli(absl::StrCat("explain -k 3 -m ", model_, " '", text, "'"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    double p = -1, sum = 0, total = 0, offset = 0;
    int terms = 0;
    bool have_total = false;
    for (const std::string& line : Lines(r.out)) {
      double v;
      if (std::sscanf(line.c_str(), "verdict: %*s (P(spam) = %lf", &v) == 1) p = v;
      if (std::sscanf(line.c_str(), " = %lf log-odds of spam", &v) == 1) {
        total = v;
        have_total = true;
      } else if (absl::StartsWith(line, "  ") &&
                 std::sscanf(line.c_str(), " %lf", &v) == 1) {
        sum += v;
        ++terms;
        if (absl::StrContains(line, "(bias and calibration")) offset = v;
      }
    }
    ASSERT_TRUE(have_total) << r.out;
    EXPECT_NEAR(offset, a * bias + b, 1e-4) << r.out;
    EXPECT_NEAR(sum, total, 1e-4 * (terms + 1)) << r.out;
    EXPECT_NEAR(1 / (1 + std::exp(-total)), p, 1e-4) << r.out;
  }
}

TEST_F(GroupguardCliTest, InspectShowsTheConfiguration) {
  Result r = RunCli(absl::StrCat("inspect ", model_));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("model type:          naive_bayes"));
  EXPECT_THAT(r.out, HasSubstr("data sources:        sms.train.jsonl"));
  EXPECT_THAT(r.out, Not(HasSubstr(GROUPGUARD_DATA_DIR)));
}

// inspect takes the model as its argument or with -m, not both: given both, it
// showed whichever CLI11 read last and said nothing of the other.
TEST_F(GroupguardCliTest, InspectTakesTheModelOnce) {
  for (const std::string args : {absl::StrCat(model_, " -m /nonexistent/other.ggm"),
                                 absl::StrCat("-m ", model_, " /nonexistent/other.ggm"),
                                 absl::StrCat("-m ", model_, " ", model_)}) {
    Result r = RunCli("inspect " + args);
    EXPECT_EQ(r.exit_code, 2) << args << ": " << r.err;
    EXPECT_THAT(r.err, HasSubstr("the model_file argument cannot be used with --model"))
        << args;
    EXPECT_EQ(r.out, "") << args;
  }
  for (const std::string args : {model_, "-m " + model_}) {
    Result r = RunCli("inspect " + args);
    EXPECT_EQ(r.exit_code, 0) << args << ": " << r.err;
    EXPECT_THAT(r.out, StartsWith(absl::StrCat("model:               ", model_, "\n")));
  }
}

// A model without a date or description says (none) for it: the line ended in the
// spaces that align the values, and read as cut short. A description that is
// "(none)" itself is quoted.
TEST_F(GroupguardCliTest, InspectSaysNoneForAnEmptyField) {
  Result r = RunCli("inspect " + model_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("\ndate:                (none)\n"));
  EXPECT_THAT(r.out, HasSubstr("\ndescription:         (none)\n"));
  for (const std::string& line : Lines(r.out)) {
    EXPECT_FALSE(absl::EndsWith(line, " ")) << "\"" << line << "\"";
  }
  const std::string out = Dir() + "/none.ggm";
  r = RunCli(absl::StrCat("train --model-type nb --description '(none)' -o ", out, " ",
                          GROUPGUARD_DATA_DIR, "/jsonl/sms.train.jsonl"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = RunCli("inspect " + out);
  EXPECT_THAT(r.out, HasSubstr("\ndescription:         \"(none)\"\n"));
}

// When training fails for want of posts, --skip-bad still says what it skipped:
// that is why there were none.
TEST_F(GroupguardCliTest, TrainThatFailsStillReportsTheSkippedRecords) {
  std::string input = WriteFile(
      "all_bad.jsonl", "{\"text\":\"a\",\"label\":\"maybe\"}\n{\"text\":\"b\"}\n");
  Result r = RunCli(absl::StrCat("train --skip-bad -o ", Dir(), "/none.ggm ", input));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("skipped 2 malformed records"));
  EXPECT_THAT(r.err, HasSubstr("needs both spam and ham posts"));
}

// Input without both classes is one line naming it and the counts, with or without
// --select. The trainer's words came out instead ("training failed: Trainer::Train
// needs both spam and ham posts; have 2 spam of 2"), and with --select those of the
// cross-validation ("... needs at least 5 distinct ham texts; there are 0").
TEST_F(GroupguardCliTest, TrainWithoutBothClassesNamesTheInput) {
  const std::string empty = WriteFile("no_class.jsonl", "");
  const std::string spam = WriteFile("only_spam.jsonl",
                                     "{\"text\":\"win a prize\",\"label\":\"spam\"}\n"
                                     "{\"text\":\"free cash now\",\"label\":\"spam\"}\n");
  const std::string ham =
      WriteFile("only_ham.jsonl", "{\"text\":\"see you later\",\"label\":\"ham\"}\n");
  for (const char* select : {"", "--select "}) {
    const std::string train = absl::StrCat("train ", select, "-o ", Dir(), "/class.ggm ");
    Result r = RunCli(train + empty);
    EXPECT_EQ(r.exit_code, 1) << select;
    EXPECT_EQ(r.err, absl::StrCat("groupguard: ", empty,
                                  ": 0 spam and 0 ham posts; train needs both spam "
                                  "and ham posts\n"));
    r = RunCli(absl::StrCat(train, spam, " ", empty));
    EXPECT_EQ(r.exit_code, 1) << select;
    EXPECT_EQ(r.err, absl::StrCat("groupguard: ", spam, ", ", empty,
                                  ": 2 spam and 0 ham posts; train needs both spam "
                                  "and ham posts\n"));
    r = RunCli(train + "-", ham);
    EXPECT_EQ(r.exit_code, 1) << select;
    EXPECT_EQ(r.err,
              "groupguard: <stdin>: 0 spam and 1 ham posts; train needs both "
              "spam and ham posts\n");
    EXPECT_EQ(r.out, "");
  }
}

// --char-ngrams and the two ham rates are checked by the command, in the flags'
// words: a bad pair, or a spam rate above the unsure rate (here its default), came
// out in the trainer's field names ("FeatureOptions.char_ngram_max must be 0 when
// char_ngram_min is 0", "TrainerOptions: need 0 <= spam_threshold_ham_rate <= ...").
// --model-type is a named-value option like --input-format: a type it does not know
// is refused while the command line is read, in their wording and with the help
// named; the short names and any case are still types.
TEST_F(GroupguardCliTest, TrainModelTypeIsOneOfItsNames) {
  const std::string input = absl::StrCat(GROUPGUARD_DATA_DIR, "/jsonl/sms.train.jsonl");
  const std::string out = Dir() + "/type.ggm";
  Result r = RunCli(absl::StrCat("train --model-type svm -o ", out, " ", input));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(r.err,
            "groupguard: --model-type: svm is not naive_bayes, logistic or ensemble "
            "(groupguard train --help)\n");
  EXPECT_FALSE(Exists(out));
  r = RunCli("train --help");
  EXPECT_THAT(r.out, HasSubstr("--model-type TEXT in {naive_bayes,logistic,ensemble}"));
  r = RunCli(absl::StrCat("train --model-type NB -o ", out, " ", input));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("naive_bayes"));
  // A fractional option reads decimal only: strtod read this as 0.125.
  r = RunCli(absl::StrCat("train --l2 0x1p-3 -o ", out, "2 ", input));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(r.err,
            "groupguard: --l2: 0x1p-3 is not a decimal number from 0 to 10 (groupguard "
            "train --help)\n");
  EXPECT_FALSE(Exists(out + "2"));
}

// --char-ngrams takes its two values and no more: an input right after them is an
// input (it was read as a third value: "x.jsonl is not a decimal integer").
TEST_F(GroupguardCliTest, TrainReadsAnInputAfterTheCharNgramsPair) {
  const std::string posts = SmallTrainingPosts("cheap pills at example dot com ");
  const std::string input = WriteFile("pair.jsonl", posts);
  const std::string out = Dir() + "/pair.ggm";
  Result r = RunCli(absl::StrCat("train --char-ngrams 3 5 ", input, " -o ", out));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Exists(out));
  // One value past the pair is an input too: here a file that is not there.
  r = RunCli(absl::StrCat("train --char-ngrams 3 5 7 ", input, " -o ", out, "2"));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(r.err, HasSubstr("7: No such file or directory"));
  EXPECT_FALSE(Exists(out + "2"));
}

// eval of a file whose name is among the model's data sources says that the
// figures are of fit (ROC AUC 1.0 on a test split trained on, with no word).
TEST_F(GroupguardCliTest, EvalWarnsOfAFileTheModelWasTrainedOn) {
  const std::string posts = SmallTrainingPosts("cheap pills ");
  const std::string trained_on = WriteFile("seen.jsonl", posts);
  const std::string model = Dir() + "/seen.ggm";
  Result r = RunCli(absl::StrCat("train -o ", model, " ", trained_on));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = RunCli(absl::StrCat("eval -m ", model, " ", trained_on));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err,
            "groupguard: warning: the model was trained on a file named seen.jsonl (its "
            "data sources): if it is this one, these figures measure fit, not accuracy "
            "on new posts\n");
  r = RunCli(absl::StrCat("eval -m ", model, " ", WriteFile("unseen.jsonl", posts)));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
}

// train says how many posts repeat an earlier post's text exactly, and how many
// texts carry both labels (a warning then): it trained on them silently.
TEST_F(GroupguardCliTest, TrainNotesRepeatedAndConflictingTexts) {
  const std::string posts = SmallTrainingPosts("cheap pills ");
  const std::string model = Dir() + "/notes.ggm";
  Result r =
      RunCli(absl::StrCat("train -o ", model, " ", WriteFile("once.jsonl", posts)));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, Not(HasSubstr("repeat")));  // (a note on the few ham may follow)
  const std::string twice = WriteFile("twice.jsonl", posts + posts);
  r = RunCli(absl::StrCat("train -o ", model, " ", twice));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, StartsWith("groupguard: note: 40 of the 80 posts repeat an earlier "
                                "post's text exactly\n"));
  const std::string flipped = WriteFile(
      "flipped.jsonl", absl::StrCat(posts,
                                    "{\"text\": \"cheap pills 3\", \"label\": "
                                    "\"ham\"}\n{\"text\": \"cheap pills 3\", \"label\": "
                                    "\"spam\"}\n"));
  r = RunCli(absl::StrCat("train -o ", model, " ", flipped));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err,
              StartsWith("groupguard: warning: 2 of the 42 posts repeat an earlier "
                         "post's text exactly; 1 texts are labeled both spam and "
                         "ham\n"));
}

TEST_F(GroupguardCliTest, TrainFlagErrorsNameTheFlag) {
  const std::string input = absl::StrCat(GROUPGUARD_DATA_DIR, "/jsonl/sms.train.jsonl");
  const std::string out = Dir() + "/flags.ggm";
  for (const char* pair : {"0 5", "5 3", "3 0"}) {
    Result r =
        RunCli(absl::StrCat("train --char-ngrams ", pair, " -o ", out, " ", input));
    EXPECT_EQ(r.exit_code, 2) << pair << ": " << r.err;
    EXPECT_EQ(r.err, absl::StrCat("groupguard: --char-ngrams ", pair,
                                  ": need 1 <= MIN <= MAX <= 8, or 0 0 for none "
                                  "(groupguard train --help)\n"));
  }
  Result r = RunCli(absl::StrCat("train --spam-ham-rate 0.05 -o ", out, " ", input));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(r.err,
            "groupguard: --spam-ham-rate 0.05 is above --unsure-ham-rate 0.01: the spam "
            "threshold may not block more ham than the unsure one holds (groupguard "
            "train --help)\n");
  r = RunCli(absl::StrCat("train --unsure-ham-rate 1.5 -o ", out, " ", input));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(r.err,
            "groupguard: --unsure-ham-rate: 1.5 is not a decimal number from 0 to 1 "
            "(groupguard "
            "train --help)\n");
  EXPECT_FALSE(Exists(out));
}

// Every option that sets a TrainerOptions field the trainer checks takes the
// trainer's range, checked by the command: a value out of it is a usage error that
// names the option, where the trainer's error named the field ("TrainerOptions:
// naive_bayes.alpha must be in (0, 100], got 0", "FeatureOptions.hash_bits must be in
// [10, 26], got 40"). A value at either end is taken (the run then stops at the
// missing input): the command's range is the trainer's.
TEST_F(GroupguardCliTest, TrainOptionsOutOfRangeNameTheOption) {
  const std::string out = Dir() + "/range.ggm";
  for (const std::string refused :
       {"--alpha 0", "--alpha 100.5", "--alpha nan", "--l2 -1", "--l2 10.5",
        "--max-iterations 0", "--max-iterations 10001", "--patience 0",
        "--patience 10001", "--hash-bits 9", "--hash-bits 27",
        "--validation-fraction -0.1", "--validation-fraction 0.95"}) {
    Result r =
        RunCli(absl::StrCat("train ", refused, " -o ", out, " /nonexistent/x.jsonl"));
    EXPECT_EQ(r.exit_code, 2) << refused << ": " << r.err;
    EXPECT_THAT(r.err, StartsWith(absl::StrCat(
                           "groupguard: ", refused.substr(0, refused.find(' ')), ": ",
                           refused.substr(refused.find(' ') + 1), " is not a ")))
        << refused;
    EXPECT_THAT(r.err, Not(HasSubstr("Options"))) << refused;
  }
  for (const std::string taken :
       {"--alpha 0.001", "--alpha 100", "--l2 0", "--l2 10", "--max-iterations 1",
        "--max-iterations 10000", "--patience 1", "--patience 10000", "--hash-bits 10",
        "--hash-bits 26", "--validation-fraction 0", "--validation-fraction 0.9"}) {
    Result r =
        RunCli(absl::StrCat("train ", taken, " -o ", out, " /nonexistent/x.jsonl"));
    EXPECT_EQ(r.exit_code, 1) << taken << ": " << r.err;
    EXPECT_EQ(r.err, "groupguard: /nonexistent/x.jsonl: No such file or directory\n")
        << taken;
  }
  EXPECT_FALSE(Exists(out));
}

// --seed is a whole decimal number 0 to 2^64 - 1, as the help's UINT says: CLI11 read
// it with strtoull in any base, so "-1" was 2^64 - 1, a number over that was capped
// to it and "010" was 8, each trained on silently.
TEST_F(GroupguardCliTest, TrainSeedIsAWholeDecimalNumber) {
  const std::string out = Dir() + "/seed.ggm";
  for (const std::string refused : {"-1", "18446744073709551616", "0x10", "1e3", "x"}) {
    Result r = RunCli(
        absl::StrCat("train --seed ", refused, " -o ", out, " /nonexistent/x.jsonl"));
    EXPECT_EQ(r.exit_code, 2) << refused << ": " << r.err;
    EXPECT_EQ(r.err, absl::StrCat("groupguard: --seed: ", refused,
                                  " is not a decimal integer from 0 to 2^64-1 "
                                  "(groupguard train --help)\n"));
  }
  for (const std::string taken : {"010", "18446744073709551615"}) {
    Result r =
        RunCli(absl::StrCat("train --model-type nb --seed ", taken, " -o ", out, " ",
                            GROUPGUARD_DATA_DIR, "/jsonl/youtube.train.jsonl"));
    ASSERT_EQ(r.exit_code, 0) << taken << ": " << r.err;
    Result inspect = RunCli(absl::StrCat("inspect ", out));
    EXPECT_THAT(inspect.out,
                HasSubstr(absl::StrCat(" seed=", taken == "010" ? "10" : taken)))
        << taken;
  }
}

// Every integer option of every command is read in decimal, and a value that is not
// a decimal integer in the option's range is a usage error naming the option and the
// range. CLI11 read them as C does: "0x10" was 16 (--hash-bits 0x10 trained with 16
// bits), an unsigned option's "-1" wrapped, and a bad value read "Value abc not in
// range 10 to 26" ("--drop-from -1": a range up to a 309-digit number).
TEST_F(GroupguardCliTest, IntegerOptionsAreDecimalInEveryCommand) {
  const std::string out = Dir() + "/decimal.ggm";
  const std::string train = absl::StrCat("-o ", out, " /nonexistent/x.jsonl");
  const std::string select = absl::StrCat("--select ", train);
  const std::string max64 = "2^64-1";
  const struct {
    std::string command;  // the command, whose help the message names
    std::string option;   // as typed, before the value
    std::string rest;     // after the value
    std::string name;     // the option the message names
    std::string range;
  } options[] = {
      {"train", "--max-iterations", train, "--max-iterations", "1 to 10000"},
      {"train", "--patience", train, "--patience", "1 to 10000"},
      {"train", "--hash-bits", train, "--hash-bits", "10 to 26"},
      {"train", "--char-ngrams 3", train, "--char-ngrams", "0 to 8"},
      {"train", "--seed", train, "--seed", "0 to " + max64},
      {"train", "--cv-folds", select, "--cv-folds", "2 to 50"},
      {"train", "--cv-repeats", select, "--cv-repeats", "1 to 20"},
      {"train", "-t", select, "--threads", "0 to 256"},
      {"train", "--max-record-mib", train, "--max-record-mib", "1 to 1024"},
      {"score", "--explain", "x.jsonl", "--explain", "0 to 1000"},
      {"score", "--threads", "x.jsonl", "--threads", "0 to 1024"},
      {"score", "--block-kib", "x.jsonl", "--block-kib", "1 to 65536"},
      {"score", "--max-record-mib", "x.jsonl", "--max-record-mib", "1 to 1024"},
      {"eval", "-t", "x.jsonl", "--threads", "0 to 1024"},
      {"eval", "--max-record-mib", "x.jsonl", "--max-record-mib", "1 to 1024"},
      {"explain", "-k", "text", "--clues", "0 to 1000"},
      {"journal check", "--drop-from", "dir", "--drop-from", "1 to " + max64},
      {"journal salvage", "--drop-from", "dir", "--drop-from", "1 to " + max64},
      {"journal show", "--sitewide-after", "--as ada dir", "--sitewide-after",
       "1 to 1000"},
      {"replay", "--sitewide-after", "x.jsonl", "--sitewide-after", "1 to 1000"},
      {"replay", "--flag-limit", "x.jsonl", "--flag-limit", "0 to 1000000"},
      {"replay", "--max-record-mib", "x.jsonl", "--max-record-mib", "1 to 1024"},
  };
  for (const auto& o : options) {
    // "-1" of an unsigned option (--seed, --block-kib, --max-record-mib, --drop-from)
    // too; 99999999999999999999 is over every type.
    for (const std::string value :
         {"0x10", "0X1", "1e3", "1.0", "abc", "-1", "99999999999999999999"}) {
      const std::string args =
          absl::StrCat(o.command, " ", o.option, " ", value, " ", o.rest);
      Result r = RunCli(args);
      EXPECT_EQ(r.exit_code, 2) << args << ": " << r.err;
      EXPECT_EQ(r.err, absl::StrCat("groupguard: ", o.name, ": ", value,
                                    " is not a decimal integer from ", o.range,
                                    " (groupguard ", o.command, " --help)\n"))
          << args;
    }
  }
}

// Every integer option shows its range in the help ("--hash-bits INT in [10 - 26]"),
// as AddIntegerOption adds it: an option added otherwise shows CLI11's "INT" or
// "UINT" alone (or "INT:INT in [...]" with CLI::Range) and reads any base.
TEST_F(GroupguardCliTest, EveryIntegerOptionIsAddedAsDecimal) {
  const int options = ForEachMatchInHelp(std::regex(R"(\b(U?INT)\b( in \[)?)"),
                                         [](const char* command, const std::smatch& m) {
                                           EXPECT_TRUE(m[1] == "INT" && m[2].matched)
                                               << command << ": " << m.str() << " at "
                                               << m.position();
                                         });
  EXPECT_EQ(options, 22);  // the options of IntegerOptionsAreDecimalInEveryCommand
}

// Every fractional option shows its range as an integer option does ("--l2 FLOAT in
// [0 - 10]"), as AddNumberOption adds it: CLI11 showed its type and its check's
// description, "--l2 FLOAT:FLOAT in [0 - 10]".
TEST_F(GroupguardCliTest, EveryFractionalOptionShowsItsRange) {
  const int options =
      ForEachMatchInHelp(std::regex(R"(\bFLOAT(\S*)( in [\[(][^\]]*\])?)"),
                         [](const char* command, const std::smatch& m) {
                           EXPECT_TRUE(m[1].length() == 0 && m[2].matched)
                               << command << ": " << m.str() << " at " << m.position();
                         });
  // train's --alpha, --l2, --validation-fraction, --spam-ham-rate, --unsure-ham-rate;
  // eval's --threshold, --ham-rate; replay's --probation-days, --hold-threshold,
  // --reject-threshold.
  EXPECT_EQ(options, 10);
  const Result train = RunCli("train --help");
  EXPECT_THAT(train.out, HasSubstr("--alpha FLOAT in (0 - 100]=0.1\n"));
  EXPECT_THAT(train.out, HasSubstr("--l2 FLOAT in [0 - 10]=1e-05\n"));
  EXPECT_THAT(RunCli("eval --help").out,
              HasSubstr("--ham-rate FLOAT in [0 - 1] Also report"));
  EXPECT_THAT(RunCli("replay --help").out,
              HasSubstr("--probation-days FLOAT in [0.001 - 3650]=30\n"));
}

// A repeatable option takes one value per occurrence (--ham-rate 0.1 --ham-rate
// 0.2), and its help says so: no option shows CLI11's "..." of an option taking
// several values at once (--ham-rate showed "FLOAT in [0 - 1] ..."). The word after
// a value is the input, not a second rate.
TEST_F(GroupguardCliTest, RepeatableOptionsTakeOneValuePerOccurrence) {
  const int shown = ForEachMatchInHelp(
      std::regex(
          R"(\n  -[^\n]*?\b(INT|FLOAT|TEXT)\b( in [\[(\{][^\]\}]*[\]\}])? \.\.\.)"),
      [](const char* command, const std::smatch& m) {
        ADD_FAILURE() << command << ": " << m.str();
      });
  EXPECT_EQ(shown, 0);
  const std::string test = absl::StrCat(GROUPGUARD_DATA_DIR, "/jsonl/sms.test.jsonl");
  Result r = RunCli(absl::StrCat("eval -m ", model_, " --ham-rate 0.1 0.2 ", test));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, absl::StrCat("groupguard: unexpected argument \"", test,
                                "\": eval takes one input (groupguard eval --help)\n"));
  r = RunCli(absl::StrCat("eval -m ", model_, " --ham-rate 0.1 0.2"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "groupguard: 0.2: No such file or directory\n");
  r = RunCli(absl::StrCat("eval -m ", model_, " --ham-rate 0.1 --ham-rate=0.2 ", test));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("spam caught at 10% ham blocked"));
  EXPECT_THAT(r.out, HasSubstr("spam caught at 20% ham blocked"));
}

// An option of a few named values shows them as a number option shows its range
// ("--format TEXT in {jsonl,csv}"); CLI::IsMember showed "TEXT:{jsonl,csv}".
TEST_F(GroupguardCliTest, EveryOptionOfNamedValuesShowsThem) {
  const Result score = RunCli("score --help");
  EXPECT_THAT(score.out, HasSubstr("  --format TEXT in {jsonl,csv}\n"));
  EXPECT_THAT(score.out,
              HasSubstr("  --input-format TEXT in {auto,jsonl,csv,tsv}=auto\n"));
  EXPECT_THAT(RunCli("replay --help").out,
              HasSubstr("  --untimed TEXT in {neighbor,end,skip}=neighbor\n"));
  ForEachMatchInHelp(std::regex("TEXT:"), [](const char* command, const std::smatch& m) {
    ADD_FAILURE() << command << ": " << m.str() << " at " << m.position();
  });
}

// Leading zeros are decimal ("0100" is 100), as a user who writes them means: CLI11
// read them as octal (--max-iterations 0100 was 64, --hash-bits 010 was 8 and
// refused, -k 010 showed 8 clues).
TEST_F(GroupguardCliTest, IntegerOptionsWithLeadingZerosAreDecimal) {
  const std::string out = Dir() + "/zeros.ggm";
  Result r = RunCli(absl::StrCat(
      "train --model-type lr --max-iterations 0100 --patience 012 --hash-bits 012 "
      "--seed 010 -o ",
      out, " ", GROUPGUARD_DATA_DIR, "/jsonl/youtube.train.jsonl"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Result inspect = RunCli(absl::StrCat("inspect ", out));
  ASSERT_EQ(inspect.exit_code, 0) << inspect.err;
  EXPECT_THAT(inspect.out, HasSubstr(" max_iterations=100 patience=12 "));
  EXPECT_THAT(inspect.out, HasSubstr(" seed=10\n"));
  EXPECT_THAT(inspect.out, HasSubstr("features:            2^12 buckets"));
  r = RunCli(absl::StrCat("train --hash-bits 010 -o ", out, " /nonexistent/x.jsonl"));
  EXPECT_EQ(r.exit_code, 1) << r.err;  // taken: the input is what is missing
  EXPECT_EQ(r.err, "groupguard: /nonexistent/x.jsonl: No such file or directory\n");

  const std::string text =
      "'URGENT! You have won a 1000 cash prize, call now to claim your free reward, "
      "text WIN to 80082 today'";
  r = RunCli(absl::StrCat("explain -k 010 -m ", model_, " ", text));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, RunCli(absl::StrCat("explain -k 10 -m ", model_, " ", text)).out);
  EXPECT_NE(r.out, RunCli(absl::StrCat("explain -k 8 -m ", model_, " ", text)).out);
  const std::string input =
      WriteFile("zeros.jsonl", absl::StrCat("{\"id\":\"x\",\"text\":\"",
                                            text.substr(1, text.size() - 2), "\"}\n"));
  // "08" was not even octal.
  r = RunCli(absl::StrCat("score --explain 010 --block-kib 08 --threads 02 -m ", model_,
                          " ", input));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            RunCli(absl::StrCat("score --explain 10 -m ", model_, " ", input)).out);
  EXPECT_NE(r.out, RunCli(absl::StrCat("score --explain 8 -m ", model_, " ", input)).out);
}

// The model keeps at most 1 MiB of --date, --description and input file names
// (TrainerOptions::kMaxMetadataBytes): more is said in the options' words, not as
// "TrainerOptions: date, data_sources and description take ...".
TEST_F(GroupguardCliTest, TrainMetadataOverTheLimitNamesTheOptions) {
  // Nine input names of 120,000 bytes (none exists: the limit is checked first).
  Result r = RunCli(absl::StrCat(
      "train --date 2026 -o ", Dir(),
      "/meta.ggm $(for i in 1 2 3 4 5 6 7 8 9; do printf '%0120000d ' $i; done)"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err,
            "groupguard: --date, --description and the input file names take 1080004 "
            "bytes together; a model keeps at most 1048576 (groupguard train --help)\n");
}

// A model file is input: a description holding an escape sequence (clear the screen)
// or a bidi control (U+202E) is shown escaped, not sent to the terminal.
TEST_F(GroupguardCliTest, InspectEscapesControlCharactersOfTheModel) {
  std::string out = Dir() + "/escape.ggm";
  Result r =
      RunCli(absl::StrCat("train --model-type nb --description \"$(printf "
                          "'a\\033[2Jb\\342\\200\\256c')\" -o ",
                          out, " ", GROUPGUARD_DATA_DIR, "/jsonl/youtube.train.jsonl"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = RunCli(absl::StrCat("inspect ", out));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("description:         \"a\\x1b[2Jb\\u202ec\"\n"));
  EXPECT_EQ(r.out.find('\x1b'), std::string::npos);
}

// train --select cross-validates ten settings, reports each, marks the best one
// (highest mean ROC AUC) and trains with it.
TEST_F(GroupguardCliTest, TrainSelectChoosesSettingsByCrossValidation) {
  std::string out = Dir() + "/selected.ggm";
  Result r = RunCli(absl::StrCat(
      "train --select --cv-folds 3 --cv-repeats 1 --threads 2 ", "--date 2026-11-26 -o ",
      out, " ", GROUPGUARD_DATA_DIR, "/jsonl/youtube.train.jsonl"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("choosing settings by 1 x 3-fold cross-validation on 1566 "
                               "posts"));
  std::vector<std::string> settings;
  double best = -1, chosen = -1;
  std::string chosen_flags;
  for (const std::string& line : Lines(r.out)) {
    double auc, caught;
    char flags[128];
    if (std::sscanf(line.c_str(), " %lf %lf %127[^\n]", &auc, &caught, flags) != 3)
      continue;
    std::string f = flags;
    best = std::max(best, auc);
    if (absl::StrContains(f, "<- chosen")) {
      chosen = auc;
      chosen_flags = f.substr(0, f.find("   <- chosen"));
    }
    settings.push_back(f);
  }
  ASSERT_EQ(settings.size(), 10u) << r.out;
  EXPECT_EQ(chosen, best) << r.out;
  EXPECT_THAT(settings[0], StartsWith("--model-type naive_bayes"));
  // The model is the chosen settings' model.
  Result inspect = RunCli(absl::StrCat("inspect -m ", out));
  ASSERT_EQ(inspect.exit_code, 0) << inspect.err;
  const std::string type = chosen_flags.substr(13, chosen_flags.find(' ', 13) - 13);
  EXPECT_THAT(inspect.out, HasSubstr(type)) << chosen_flags;
  EXPECT_THAT(r.out,
              HasSubstr(absl::StrCat(type == "ensemble" ? "trained an " : "trained a ",
                                     type, " model on 1566 posts")));

  // --select picks what the settings flags would set; --cv-* need --select.
  EXPECT_EQ(RunCli(absl::StrCat("train --select --model-type nb -o ", out, " x.jsonl"))
                .exit_code,
            2);
  EXPECT_EQ(RunCli(absl::StrCat("train --cv-folds 3 -o ", out, " x.jsonl")).exit_code, 2);
  Result few = RunCli(absl::StrCat("train --select --cv-folds 50 -o ", out, " ",
                                   GROUPGUARD_DATA_DIR, "/jsonl/tgspam.test.jsonl"));
  EXPECT_EQ(few.exit_code, 1);
  EXPECT_THAT(few.err,
              HasSubstr("cross-validation failed: cross-validation with 50 folds "
                        "needs at least 50 distinct spam texts"));
}

// The validation posts are held out, then trained on with the refit: the first line
// says so rather than read as posts besides the training posts; with --no-refit the
// two counts add up to the posts read.
// --cv-folds and --cv-repeats out of range are usage errors that name the flag, at
// once: only the cross-validation checked them, after all the input was read
// ("cross-validation failed: cross-validation folds 1 out of range 2..50"), or here
// after failing to read it.
TEST_F(GroupguardCliTest, TrainSelectRefusesCvFlagsOutOfRangeBeforeReading) {
  for (const std::string flag :
       {"--cv-folds 1", "--cv-folds 51", "--cv-repeats 0", "--cv-repeats 21"}) {
    Result r = RunCli(absl::StrCat("train --select ", flag, " -o ", Dir(),
                                   "/cv.ggm /nonexistent/posts.jsonl"));
    EXPECT_EQ(r.exit_code, 2) << flag << ": " << r.err;
    EXPECT_THAT(r.err,
                StartsWith(absl::StrCat("groupguard: ", flag.substr(0, flag.find(' ')),
                                        ": ", flag.substr(flag.find(' ') + 1),
                                        " is not a decimal integer from ")))
        << flag;
    EXPECT_THAT(r.err, Not(HasSubstr("posts.jsonl"))) << flag;
  }
}

TEST_F(GroupguardCliTest, TrainSaysTheValidationPostsAreHeldOutThenRefit) {
  const std::string train =
      absl::StrCat(GROUPGUARD_DATA_DIR, "/jsonl/youtube.train.jsonl");
  const std::string out = Dir() + "/youtube-nb.ggm";
  Result r = RunCli(absl::StrCat("train --model-type nb -o ", out, " ", train));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  long long posts, spam, held, held_spam, all;
  ASSERT_EQ(
      std::sscanf(r.out.c_str(),
                  "trained a naive_bayes model on %lld posts (%lld spam): validated "
                  "on %lld held-out posts (%lld spam), then refit on all %lld",
                  &posts, &spam, &held, &held_spam, &all),
      5)
      << r.out;
  EXPECT_EQ(posts, 1566);
  EXPECT_EQ(all, 1566);
  EXPECT_GT(held, 0);
  // About 150 validation ham: enough for the 1% of the unsure threshold.
  EXPECT_THAT(r.out, HasSubstr("chosen to block at most 1% and 0.1% of the "));
  EXPECT_THAT(r.err, Not(HasSubstr("warning")));
  Result inspect = RunCli(absl::StrCat("inspect ", out));
  EXPECT_THAT(inspect.out,
              HasSubstr("held out, then among the training posts (refit on all)"));
  Result n =
      RunCli(absl::StrCat("train --no-refit --model-type nb -o ", out, " ", train));
  ASSERT_EQ(n.exit_code, 0) << n.err;
  long long kept, kept_spam, held2, held_spam2, all2;
  ASSERT_EQ(
      std::sscanf(n.out.c_str(),
                  "trained a naive_bayes model on %lld posts (%lld spam), validated "
                  "on %lld held-out posts (%lld spam); not refit on all %lld",
                  &kept, &kept_spam, &held2, &held_spam2, &all2),
      5)
      << n.out;
  EXPECT_EQ(kept + held2, 1566);
  EXPECT_EQ(all2, 1566);
  EXPECT_THAT(n.out, HasSubstr("(--no-refit)"));
}

// --grouped-validation holds out each label's share of the posts (round(0.2 x 805)
// spam, round(0.2 x 761) ham; youtube's many copies of a few texts stay out whole),
// and the model says how its split was made.
TEST_F(GroupguardCliTest, TrainGroupedValidationHoldsOutEachLabelsShare) {
  const std::string train =
      absl::StrCat(GROUPGUARD_DATA_DIR, "/jsonl/youtube.train.jsonl");
  const std::string out = Dir() + "/youtube-grouped.ggm";
  Result r = RunCli(
      absl::StrCat("train --grouped-validation --model-type nb -o ", out, " ", train));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("validated on 313 held-out posts (161 spam), then refit "
                               "on all 1566"));
  Result inspect = RunCli(absl::StrCat("inspect ", out));
  EXPECT_THAT(inspect.out, HasSubstr(" grouped_validation=1"));
}

// Thresholds chosen on a handful of ham posts say nothing of the share of ham they
// block: train warns, and inspect shows it, instead of "1% of validation ham".
TEST_F(GroupguardCliTest, TrainWarnsWhenThresholdsRestOnTooFewHam) {
  std::string csv = "text,label\n";
  for (int i = 0; i < 10; ++i) {
    absl::StrAppend(&csv, "win a free prize number ", i, " call now,spam\n");
    absl::StrAppend(&csv, "see you at lunch on day ", i, ",ham\n");
  }
  const std::string input = WriteFile("few.csv", csv);
  const std::string out = Dir() + "/few.ggm";
  Result r = RunCli(absl::StrCat("train --model-type nb -o ", out, " ", input));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("groupguard: warning: the thresholds rest on too few ham "
                               "posts: 1% of the "));
  EXPECT_THAT(r.out, HasSubstr("validation ham (0 and 0 posts)"));
  Result inspect = RunCli(absl::StrCat("inspect ", out));
  ASSERT_EQ(inspect.exit_code, 0) << inspect.err;
  EXPECT_THAT(inspect.out,
              HasSubstr("warning: the thresholds rest on too few ham posts"));
  EXPECT_THAT(inspect.out, Not(HasSubstr("1.000% of validation ham")));
}

// Every text once as spam and once as ham: nothing to learn, so early stopping keeps
// the starting weights (iteration 0), and train says so.
TEST_F(GroupguardCliTest, TrainSaysWhenNoIterationImproved) {
  std::string csv = "text,label\n";
  for (int i = 0; i < 200; ++i) {
    absl::StrAppend(&csv, "post ", i, " about lunch,spam\n");
    absl::StrAppend(&csv, "post ", i, " about lunch,ham\n");
  }
  const std::string input = WriteFile("pairs.csv", csv);
  const std::string out = Dir() + "/pairs.ggm";
  Result r = RunCli(absl::StrCat("train --model-type lr -o ", out, " ", input));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("iterations: 0 (the validation log loss never improved"));
}

TEST_F(GroupguardCliTest, TrainStopsAtAnUnlabeledPostUnlessSkipping) {
  std::string input =
      WriteFile("train.csv",
                "text,label\nwin cash now,spam\nhello there,ham\nno label here,\n"
                "free prize,1\nlunch?,0\n");
  std::string out = Dir() + "/small.ggm";
  Result r = RunCli(absl::StrCat("train -o ", out, " ", input));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("train.csv:4: no label"));
  Result s = RunCli(
      absl::StrCat("train --skip-bad --validation-fraction 0 -o ", out, " ", input));
  EXPECT_EQ(s.exit_code, 0) << s.err;
  EXPECT_THAT(s.out, HasSubstr("4 posts (2 spam)"));
  EXPECT_THAT(s.err, HasSubstr("skipped 1 malformed record"));
  EXPECT_TRUE(Exists(out));
}

// A column named on the command line must be in a CSV/TSV header, as --text-field's
// must: a typo in --id-field or --label-field is one clear error, not a run with every
// id null or every record "no label". A default name may be missing, and JSON Lines,
// without a header, keeps the per-record message.
TEST_F(GroupguardCliTest, NamedColumnsMustBeInTheHeader) {
  std::string csv =
      WriteFile("named.csv", "id,text,is_spam\n1,win cash now,t\n2,hello,f\n");
  for (const std::string args :
       {absl::StrCat("score -m ", model_, " --id-field ID ", csv),
        absl::StrCat("train --label-field spam -o ", Dir(), "/named.ggm ", csv),
        absl::StrCat("eval -m ", model_, " --label-field Is_spam ", csv)}) {
    Result r = RunCli(args);
    EXPECT_EQ(r.exit_code, 1) << args;
    EXPECT_THAT(r.err, HasSubstr("named.csv:1: no column \""));
    EXPECT_THAT(r.err, HasSubstr("\" in the header (columns: \"id\", \"text\", \"is_spam\")"))
        << args;
  }
  // Named and present; a default absent (no "label" column: eval needs labels, so
  // score); score reads no label, whatever --label-field names.
  Result r = RunCli(
      absl::StrCat("eval -m ", model_, " --id-field id --label-field is_spam ", csv));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  r = RunCli(absl::StrCat("score -m ", model_, " --label-field nothing ", csv));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Lines(r.out).size(), 2u);
  std::string jsonl = WriteFile("named.jsonl", "{\"text\":\"win\",\"is_spam\":\"t\"}\n");
  r = RunCli(absl::StrCat("train --label-field spam -o ", Dir(), "/named.ggm ", jsonl));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("named.jsonl:1: no label"));
}

TEST_F(GroupguardCliTest, WrongCsvArityStopsWithFileAndLine) {
  std::string input = WriteFile("arity.csv", "id,text\n1,hello\n2,a,b\n3,fine\n");
  Result r = RunCli(absl::StrCat("score -m ", model_, " ", input));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("arity.csv:3: expected 2 fields, got 3"));
  Result s = RunCli(absl::StrCat("score --skip-bad -m ", model_, " ", input));
  EXPECT_EQ(s.exit_code, 0) << s.err;
  EXPECT_EQ(Lines(s.out).size(), 2u);
  EXPECT_THAT(s.err, HasSubstr("skipped 1 malformed record; the first: "));
}

// In the words (and case) of every other file error: the system's "Is a directory",
// as for a model or an output that is one.
TEST_F(GroupguardCliTest, DirectoryAsInputIsOneClearLine) {
  Result r = RunCli(absl::StrCat("score -m ", model_, " ", Dir()));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr(absl::StrCat(Dir(), ": Is a directory\n")));
  EXPECT_EQ(Lines(r.err).size(), 1u) << r.err;
  Result in = RunCli(absl::StrCat("score -m ", model_, " -"), Dir());
  EXPECT_EQ(in.exit_code, 1);
  EXPECT_THAT(in.err, HasSubstr("<stdin>: Is a directory\n"));
  Result model = RunCli(absl::StrCat("score -m ", Dir(), " -"), Dir());
  EXPECT_EQ(model.exit_code, 1);
  EXPECT_THAT(model.err, HasSubstr(": Is a directory\n"));
}

TEST_F(GroupguardCliTest, EvalOfAnEmptyDumpIsAnError) {
  std::string input = WriteFile("empty.jsonl", "");
  Result r = RunCli(absl::StrCat("eval --json -m ", model_, " ", input));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_THAT(r.err, HasSubstr("empty.jsonl: no labeled posts to evaluate"));
}

// ROC AUC and spam caught at x% ham blocked need both classes: without one of them
// they are not figures of 0 but undefined.
TEST_F(GroupguardCliTest, EvalWithOneClassLeavesRankingFiguresUndefined) {
  std::string input =
      WriteFile("onlyspam.jsonl",
                "{\"text\":\"WIN a FREE prize\",\"label\":\"spam\"}\n"
                "{\"text\":\"call now to claim cash\",\"label\":\"spam\"}\n");
  Result r = RunCli(absl::StrCat("eval --json -m ", model_, " ", input));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("\"roc_auc\":null,"));
  EXPECT_THAT(r.out, HasSubstr("\"spam_caught_at_1pct_ham_blocked\":null,"));
  EXPECT_THAT(r.out, HasSubstr("\"spam_caught_at_0_1pct_ham_blocked\":null,"));
  EXPECT_THAT(r.out, HasSubstr("\"recall\":"));
  Result t = RunCli(absl::StrCat("eval -m ", model_, " ", input));
  ASSERT_EQ(t.exit_code, 0) << t.err;
  EXPECT_THAT(t.out,
              HasSubstr("ROC AUC                            n/a (needs spam and ham)"));
  EXPECT_THAT(t.out, Not(HasSubstr("ROC AUC                            0.0000")));
}

// An ROC curve of one class cannot be drawn: the run fails before printing any
// metric, says why, and leaves no picture (nor a temporary) behind.
TEST_F(GroupguardCliTest, EvalRocOfOneClassFailsBeforePrinting) {
  std::string input =
      WriteFile("onlyspam-roc.jsonl",
                "{\"text\":\"WIN a FREE prize\",\"label\":\"spam\"}\n"
                "{\"text\":\"call now to claim cash\",\"label\":\"spam\"}\n");
  std::string svg = Dir() + "/oneclass.svg";
  Result r = RunCli(absl::StrCat("eval -m ", model_, " --roc ", svg, " ", input));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "") << "no metrics when the run fails";
  EXPECT_THAT(r.err, HasSubstr("onlyspam-roc.jsonl: cannot draw an ROC curve: 2 spam and "
                               "0 ham posts (it needs both)"));
  EXPECT_FALSE(std::filesystem::exists(svg));
  for (const auto& entry : std::filesystem::directory_iterator(Dir())) {
    EXPECT_THAT(entry.path().filename().string(), Not(HasSubstr("oneclass")));
  }
}

TEST_F(GroupguardCliTest, EvalRefusesAnUnwritableRocFileBeforeWorking) {
  Result r = RunCli(absl::StrCat("eval -m ", model_, " --roc /nonexistent/dir/roc.svg ",
                                 GROUPGUARD_DATA_DIR, "/jsonl/youtube.test.jsonl"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "") << "no metrics when the run fails";
  EXPECT_THAT(r.err, StartsWith("groupguard: cannot write /nonexistent/dir/roc.svg"));
}

TEST_F(GroupguardCliTest, RocSvgIsWellFormedWhateverTheFileName) {
  std::string name = "roc\xFF<&>.jsonl";
  std::string input = WriteFile(
      name, ReadFile(absl::StrCat(GROUPGUARD_DATA_DIR, "/jsonl/youtube.test.jsonl")));
  std::string svg = Dir() + "/odd.svg";
  Result r = RunCli(absl::StrCat("eval -m ", model_, " --roc ", svg, " '", input, "'"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string picture = ReadFile(svg);
  EXPECT_THAT(picture, HasSubstr("roc\xEF\xBF\xBD&lt;&amp;&gt;.jsonl"));
  EXPECT_EQ(picture.find('\xFF'), std::string::npos) << "the SVG must be valid UTF-8";
}

// Runs the shell command `command` with standard error on a pseudo-terminal;
// returns what the terminal received.
std::string RunWithTerminalStderr(const std::string& command) {
  int master = posix_openpt(O_RDWR | O_NOCTTY);
  if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0) return "no pty";
  std::string slave_name = ptsname(master);
  int slave = open(slave_name.c_str(), O_RDWR | O_NOCTTY);  // keeps the pty open
  std::string seen;
  std::thread reader([&] {
    char buf[4096];
    ssize_t n;
    while ((n = read(master, buf, sizeof buf)) > 0)
      seen.append(buf, static_cast<size_t>(n));
  });
  std::string shell =
      absl::StrCat("(", command, ") </dev/null >/dev/null 2>", slave_name);
  int status = system(shell.c_str());
  close(slave);  // the reader now sees EIO
  reader.join();
  close(master);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? seen : "failed: " + seen;
}

TEST_F(GroupguardCliTest, ProgressBarOnlyOnATerminal) {
  std::string dump;
  for (int i = 0; i < 4000; ++i) {
    absl::StrAppend(&dump, "{\"id\":\"p", i, "\",\"text\":\"see you at lunch ", i,
                    "\"}\n");
  }
  std::string input = WriteFile("progress.jsonl", dump);
  // The bar is drawn at most every 200 ms: the input pauses half-way for longer.
  std::string command =
      absl::StrCat("(head -n 2000 ", input, "; sleep 0.6; tail -n +2001 ", input, ") | ",
                   GROUPGUARD_CLI, " score --block-kib 1 -t 1 -m ", model_, " -");
  std::string tty = RunWithTerminalStderr(command);
  EXPECT_THAT(tty, HasSubstr("score: "));
  EXPECT_THAT(tty, HasSubstr(" posts/s"));
  EXPECT_THAT(tty, Not(HasSubstr("failed")));
  Result r = RunCli(absl::StrCat("score -t 1 --block-kib 1 -m ", model_, " ", input));
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.err, "") << "no progress when standard error is not a terminal";
}

// Runs `groupguard ARGS` with standard output on /dev/full: every write fails.
Result RunCliToFullDisk(const std::string& args) {
  std::string err_path = Dir() + "/stderr_full.txt";
  std::string command =
      absl::StrCat(GROUPGUARD_CLI, " ", args, " </dev/null >/dev/full 2>", err_path);
  int status = system(command.c_str());
  Result r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.err = ReadFile(err_path);
  return r;
}

// -o writes where the user pointed: through a symbolic link (which stays one), into
// a FIFO (not replaced by a file), keeping an existing file's mode.
TEST_F(GroupguardCliTest, OutputFileRespectsLinksFifosAndModes) {
  const std::string input = absl::StrCat(GROUPGUARD_DATA_DIR, "/jsonl/sms.test.jsonl");
  const std::string expected = RunCli(absl::StrCat("score -m ", model_, " ", input)).out;
  ASSERT_FALSE(expected.empty());

  const std::string target = Dir() + "/real-output.jsonl";
  const std::string link = Dir() + "/link-output.jsonl";
  WriteFile("real-output.jsonl", "old");
  ASSERT_EQ(::chmod(target.c_str(), 0600), 0);
  std::filesystem::remove(link);
  std::filesystem::create_symlink(target, link);
  Result r = RunCli(absl::StrCat("score -m ", model_, " -o ", link, " ", input));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(std::filesystem::is_symlink(link));
  EXPECT_EQ(ReadFile(target), expected);
  EXPECT_EQ(std::filesystem::status(target).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);

  // A link to a file not there yet, relative and through a second link: the file
  // is made where they lead (a shell's `>` would), and the links stay. One that
  // leads into a missing folder is an error, and nothing is made in its place.
  std::filesystem::remove_all(Dir() + "/results");
  std::filesystem::create_directory(Dir() + "/results");
  const std::string pending = Dir() + "/pending.jsonl";
  const std::string pending2 = Dir() + "/pending2.jsonl";
  std::filesystem::remove(pending);
  std::filesystem::remove(pending2);
  std::filesystem::create_symlink("results/new.jsonl", pending);
  std::filesystem::create_symlink("pending.jsonl", pending2);
  Result d = RunCli(absl::StrCat("score -m ", model_, " -o ", pending2, " ", input));
  ASSERT_EQ(d.exit_code, 0) << d.err;
  EXPECT_TRUE(std::filesystem::is_symlink(pending));
  EXPECT_TRUE(std::filesystem::is_symlink(pending2));
  EXPECT_EQ(ReadFile(Dir() + "/results/new.jsonl"), expected);
  const std::string nowhere = Dir() + "/nowhere.jsonl";
  std::filesystem::remove(nowhere);
  std::filesystem::create_symlink("missing-folder/new.jsonl", nowhere);
  Result m = RunCli(absl::StrCat("score -m ", model_, " -o ", nowhere, " ", input));
  EXPECT_EQ(m.exit_code, 1);
  EXPECT_THAT(m.err, HasSubstr("cannot write " + nowhere + ": No such file or directory"));
  EXPECT_TRUE(std::filesystem::is_symlink(nowhere));

  // In a sticky folder anyone may write to (/tmp), a link another user planted is
  // not followed, as the kernel's fs.protected_symlinks would not (root's -o made
  // or replaced whatever file it pointed at); one of the folder's owner is.
  if (::geteuid() == 0) {
    const std::string shared = Dir() + "/sticky";
    std::filesystem::remove_all(shared);
    std::filesystem::create_directory(shared);
    ASSERT_EQ(::chmod(shared.c_str(), 01777), 0);
    const std::string planted = shared + "/planted.jsonl";
    std::filesystem::create_symlink(Dir() + "/victim.jsonl", planted);
    ASSERT_EQ(::lchown(planted.c_str(), 65534, 65534), 0);
    std::filesystem::remove(Dir() + "/victim.jsonl");
    Result p = RunCli(absl::StrCat("score -m ", model_, " -o ", planted, " ", input));
    EXPECT_EQ(p.exit_code, 1);
    EXPECT_THAT(p.err, HasSubstr("cannot write " + planted + ": Permission denied"));
    EXPECT_FALSE(Exists(Dir() + "/victim.jsonl"));
    ASSERT_EQ(::lchown(planted.c_str(), 0, 0), 0);
    Result own = RunCli(absl::StrCat("score -m ", model_, " -o ", planted, " ", input));
    ASSERT_EQ(own.exit_code, 0) << own.err;
    EXPECT_EQ(ReadFile(Dir() + "/victim.jsonl"), expected);
  }

  const std::string fifo = Dir() + "/output.fifo";
  std::filesystem::remove(fifo);
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const std::string copied = Dir() + "/from-fifo.jsonl";
  Result f = RunCli(absl::StrCat("score -m ", model_, " -o ", fifo, " ", input, " & cat ",
                                 fifo, " > ", copied, "; wait $!"));
  ASSERT_EQ(f.exit_code, 0) << f.err;
  EXPECT_EQ(ReadFile(copied), expected);
  EXPECT_EQ(std::filesystem::status(fifo).type(), std::filesystem::file_type::fifo);
}

// `-o /dev/stdout` (or /proc/self/fd/1, or the file standard output or standard
// error is redirected to) with that stream a regular file: written in place
// through the stream, as to a FIFO. A file renamed over it replaced the file the
// shell had open: what the shell wrote to it before and after was lost.
TEST_F(GroupguardCliTest, OutputFileThatIsAStandardStreamIsWrittenInPlace) {
  const std::string input = absl::StrCat(GROUPGUARD_DATA_DIR, "/jsonl/sms.test.jsonl");
  const std::string expected = RunCli(absl::StrCat("score -m ", model_, " ", input)).out;
  ASSERT_FALSE(expected.empty());
  const std::string log = Dir() + "/stream.log";
  for (const std::string& out :
       {std::string("/dev/stdout"), std::string("/proc/self/fd/1"), log}) {
    std::filesystem::remove(log);
    Result r =
        RunCli(absl::StrCat("score -m ", model_, " -o ", out, " ", input, " >", log,
                            "; (echo before; ", GROUPGUARD_CLI, " score -m ", model_,
                            " -o ", out, " ", input, "; echo after) >>", log));
    ASSERT_EQ(r.exit_code, 0) << out << ": " << r.err;
    EXPECT_EQ(ReadFile(log), absl::StrCat(expected, "before\n", expected, "after\n"))
        << out;
  }
  // The same through standard error.
  std::filesystem::remove(log);
  Result e = RunCli(absl::StrCat("--version >/dev/null; (echo before >&2; ",
                                 GROUPGUARD_CLI, " score -m ", model_, " -o /dev/stderr ",
                                 input, "; echo after >&2) 2>>", log, "; true"));
  ASSERT_EQ(e.exit_code, 0) << e.err;
  EXPECT_EQ(ReadFile(log), absl::StrCat("before\n", expected, "after\n"));
}

// train's report goes to standard output: a model named /dev/stdout (standard
// output redirected to a file) is refused as `-o -` is, not renamed over the file
// the shell had open, which dropped the report and everything else written there.
// The same for eval's ROC curve (the metrics) and replay's decisions (the summary).
TEST_F(GroupguardCliTest, OutputsBesideAReportRefuseAStandardStream) {
  const std::string test = absl::StrCat(GROUPGUARD_DATA_DIR, "/jsonl/sms.test.jsonl");
  const std::string log = Dir() + "/train.log";
  const std::pair<std::string, std::string> commands[] = {
      {"train --model-type nb -o ", "-o "},
      {absl::StrCat("eval -m ", model_, " --roc "), "--roc "},
      {absl::StrCat("replay -m ", model_, " --decisions "), "--decisions "}};
  for (const auto& [command, flag] : commands) {
    for (const char* out : {"/dev/stdout", "/dev/stderr"}) {
      std::filesystem::remove(log);
      Result r = RunCli(absl::StrCat("--version >/dev/null; (echo before; ", GROUPGUARD_CLI,
                                     " ", command, out, " ", test, "; echo exit=$?) >",
                                     log, " 2>&1; true"));
      const std::string written = ReadFile(log);
      EXPECT_THAT(written, StartsWith("before\ngroupguard: " + flag)) << command << out;
      EXPECT_THAT(written, HasSubstr("that is where standard output or standard error "
                                     "goes"))
          << command << out;
      EXPECT_THAT(written, HasSubstr("exit=2\n")) << command << out;
    }
  }
}

TEST_F(GroupguardCliTest, FailedWriteToStandardOutputIsARuntimeError) {
  const std::string test = absl::StrCat(GROUPGUARD_DATA_DIR, "/jsonl/sms.test.jsonl");
  for (const std::string& args :
       {absl::StrCat("score -m ", model_, " ", test),
        absl::StrCat("eval -m ", model_, " ", test),
        absl::StrCat("eval --json -m ", model_, " ", test),
        absl::StrCat("explain -m ", model_, " 'free prize'"),
        absl::StrCat("inspect ", model_),
        absl::StrCat("train --model-type nb -o ", Dir(), "/full.ggm ", test)}) {
    Result r = RunCliToFullDisk(args);
    EXPECT_EQ(r.exit_code, 1) << args;
    EXPECT_THAT(r.err, HasSubstr("cannot write standard output: No space left on device"))
        << args;
  }
}

// --help and --version are output too: unwritten, they are an error, not exit 0.
TEST_F(GroupguardCliTest, HelpThatCannotBeWrittenIsARuntimeError) {
  for (const char* args :
       {"--help", "--version", "score --help", "journal show --help"}) {
    Result r = RunCliToFullDisk(args);
    EXPECT_EQ(r.exit_code, 1) << args;
    EXPECT_EQ(r.err,
              "groupguard: cannot write standard output: No space left on device\n")
        << args;
    r = RunCli(args);
    EXPECT_EQ(r.exit_code, 0) << args;
    EXPECT_FALSE(r.out.empty()) << args;
  }
}

// An empty file name (an unset shell variable) is a usage error, not the option
// left out: `-o ""` wrote to standard output, `-m ""` scored with the built-in model
// and `inspect ""` showed it, and an empty input said ": No such file or directory".
TEST_F(GroupguardCliTest, EmptyFileNamesAreUsageErrors) {
  const std::string posts =
      WriteFile("empty-names.jsonl", SmallTrainingPosts("win a prize "));
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"score ''", "input"},
      {"score -o '' " + posts, "--output"},
      {"score -m '' " + posts, "--model"},
      {"eval ''", "input"},
      {"eval --roc '' " + posts, "--roc"},
      {"explain -m '' 'free prize'", "--model"},
      {"train '' -o " + Dir() + "/empty-names.ggm", "inputs"},
      {"train -o '' " + posts, "--output"},
      {"inspect ''", "model_file"},
      {"inspect -m ''", "--model"},
      {"replay ''", "input"},
      {"replay --decisions '' " + posts, "--decisions"},
      {"journal check ''", "dir"},
      {"journal salvage --dry-run ''", "dir"},
      {"journal show --as admin ''", "dir"},
  };
  for (const auto& [args, option] : cases) {
    const Result r = RunCli(args);
    EXPECT_EQ(r.exit_code, 2) << args << ": " << r.err;
    EXPECT_THAT(r.err, StartsWith(absl::StrCat("groupguard: ", option,
                                               ": an empty value is not a file name (")))
        << args;
    EXPECT_EQ(r.out, "") << args;
  }
}

TEST_F(GroupguardCliTest, ExplainOfUnreadableStandardInputIsAnError) {
  Result r = RunCli(absl::StrCat("explain -m ", model_), Dir());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "") << "nothing scored";
  EXPECT_THAT(r.err, HasSubstr("cannot read standard input: Is a directory"));
}

// Standard input may never end: explain reads what the model would read of a post
// (max_input_bytes, 4 MiB by default) and no more. It read all of it, to an
// out-of-memory abort under a memory limit, or forever.
TEST_F(GroupguardCliTest, ExplainReadsNoMoreOfStandardInputThanTheModelReads) {
  Result r = RunCli(absl::StrCat("explain -m ", model_), "/dev/zero");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, StartsWith("verdict: "));
  EXPECT_THAT(r.err, HasSubstr("read the first 4194304 bytes of standard input"));
}

TEST_F(GroupguardCliTest, DefaultModelIsBuiltIn) {
  Result r = RunCli("inspect");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("built-in default model"));
  Result s = RunCli(
      absl::StrCat("score ", GROUPGUARD_SOURCE_DIR, "/examples/data/sample_posts.jsonl"));
  ASSERT_EQ(s.exit_code, 0) << s.err;
  EXPECT_EQ(Lines(s.out).size(), 36u);
}

// Files in `dir` (names only).
std::vector<std::string> FilesIn(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

// train finds out that it cannot write the model before it reads and trains, not
// after: here the input has no posts, so training would fail first. The message
// names the path given and the reason, once: not the temporary file beside it
// ("m.ggm.PID.0: create failed: ..."), nor the path twice.
TEST_F(GroupguardCliTest, TrainRefusesAnUnwritableOutputBeforeTraining) {
  const std::string empty = WriteFile("no-posts.jsonl", "");
  const std::string fifo = Dir() + "/model.fifo";
  std::filesystem::remove(fifo);
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  for (const auto& [out, why] :
       {std::pair{std::string("/nonexistent/dir/m.ggm"), "No such file or directory"},
        std::pair{Dir(), "Is a directory"}, std::pair{fifo, "not a regular file"}}) {
    Result r = RunCli(absl::StrCat("train -o ", out, " ", empty));
    EXPECT_EQ(r.exit_code, 1) << out << ": " << r.err;
    EXPECT_EQ(r.err, absl::StrCat("groupguard: cannot write ", out, ": ", why, "\n"));
    EXPECT_EQ(r.out, "") << out;
  }
  // score's -o (and eval's --roc, replay's --decisions) likewise.
  for (const auto& [out, why] :
       {std::pair{std::string("/nonexistent/dir/s.jsonl"), "No such file or directory"},
        std::pair{Dir(), "Is a directory"}}) {
    Result r = RunCli(absl::StrCat("score -m ", model_, " -o ", out, " ", empty));
    EXPECT_EQ(r.exit_code, 1) << out << ": " << r.err;
    EXPECT_EQ(r.err, absl::StrCat("groupguard: cannot write ", out, ": ", why, "\n"));
  }
  // A writable path passes the check and leaves nothing behind it.
  const std::string dir = Dir() + "/train-check";
  std::filesystem::create_directories(dir);
  Result r = RunCli(absl::StrCat("train -o ", dir, "/m.ggm ", empty));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("train needs both spam and ham posts"));
  EXPECT_TRUE(FilesIn(dir).empty());
}

// An output file that is also an input (or the model), by name, through a link or
// as the file standard input reads, is refused before anything is read: the output,
// renamed over it at the end, replaced it (score -o posts.jsonl posts.jsonl left the
// scores where the posts were, and said nothing).
TEST_F(GroupguardCliTest, OutputThatIsAnInputIsRefused) {
  const std::string dump =
      "{\"id\":\"a\",\"text\":\"win a prize\",\"label\":\"spam\"}\n"
      "{\"id\":\"b\",\"text\":\"see you later\",\"label\":\"ham\"}\n";
  const std::string posts = WriteFile("same.jsonl", dump);
  const std::string link = Dir() + "/same_link.jsonl";
  std::filesystem::remove(link);
  std::filesystem::create_symlink(posts, link);
  const std::string model_copy = Dir() + "/same_model.ggm";
  std::filesystem::copy_file(model_, model_copy,
                             std::filesystem::copy_options::overwrite_existing);
  const std::string model_bytes = ReadFile(model_copy);
  const std::string input = absl::StrCat("the input file ", posts);
  struct Case {
    std::string args;
    std::string stdin_path;
    std::string flag_and_path;
    std::string what;
  };
  for (const Case& c : std::vector<Case>{
           {absl::StrCat("score -m ", model_, " -o ", posts, " ", posts), "/dev/null",
            "-o " + posts, input},
           {absl::StrCat("score -m ", model_, " -o ", link, " ", posts), "/dev/null",
            "-o " + link, input},
           {absl::StrCat("score -m ", model_, " -o ", posts), posts, "-o " + posts,
            "the file standard input reads the input from"},
           {absl::StrCat("score -m ", model_copy, " -o ", model_copy, " ", posts),
            "/dev/null", "-o " + model_copy, "the model file " + model_copy},
           {absl::StrCat("score -m - -o ", model_copy, " ", posts), model_copy,
            "-o " + model_copy, "the file standard input reads the model from"},
           {absl::StrCat("eval -m ", model_, " --roc ", posts, " ", posts), "/dev/null",
            "--roc " + posts, input},
           {absl::StrCat("train -o ", posts, " ", model_copy, " ", posts), "/dev/null",
            "-o " + posts, input},
           {absl::StrCat("replay -m ", model_, " --decisions ", posts, " ", posts),
            "/dev/null", "--decisions " + posts, input}}) {
    Result r = RunCli(c.args, c.stdin_path);
    EXPECT_EQ(r.exit_code, 2) << c.args << ": " << r.err;
    // A usage error: it names the command's help.
    const std::string command = c.args.substr(0, c.args.find(' '));
    EXPECT_EQ(r.err,
              absl::StrCat("groupguard: ", c.flag_and_path, ": that is ", c.what,
                           ", which the output would replace; name another file "
                           "(groupguard ",
                           command, " --help)\n"))
        << c.args;
    EXPECT_EQ(r.out, "") << c.args;
    EXPECT_EQ(ReadFile(posts), dump) << c.args;
    EXPECT_EQ(ReadFile(model_copy), model_bytes) << c.args;
  }
  // A device is written in place, not replaced: /dev/null as standard input and -o.
  Result r = RunCli(absl::StrCat("score -m ", model_, " -o /dev/null"));
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

// A hard link of the input is another name of its file: the output renamed over
// that name leaves the input's own name with the posts, so it is no input. The
// input's own name, or a symbolic link to it, still is, however many links it has.
TEST_F(GroupguardCliTest, OutputThatIsAHardLinkOfTheInputIsWritten) {
  const std::string dump =
      "{\"id\":\"a\",\"text\":\"win a prize\"}\n"
      "{\"id\":\"b\",\"text\":\"see you later\"}\n";
  const std::string posts = WriteFile("linked.jsonl", dump);
  const std::string hard = Dir() + "/linked_hard.jsonl";
  const std::string soft = Dir() + "/linked_soft.jsonl";
  std::filesystem::remove(hard);
  std::filesystem::remove(soft);
  std::filesystem::create_hard_link(posts, hard);
  std::filesystem::create_symlink(posts, soft);
  const std::string scores = RunCli(absl::StrCat("score -m ", model_, " ", posts)).out;
  ASSERT_NE(scores, "");
  for (const auto& [args, stdin_path] : std::vector<std::pair<std::string, std::string>>{
           {absl::StrCat("score -m ", model_, " -o ", hard, " ", posts), "/dev/null"},
           {absl::StrCat("score -m ", model_, " -o ", hard), posts}}) {
    std::filesystem::remove(hard);
    std::filesystem::create_hard_link(posts, hard);
    Result r = RunCli(args, stdin_path);
    EXPECT_EQ(r.exit_code, 0) << args << ": " << r.err;
    EXPECT_EQ(ReadFile(hard), scores) << args;
    EXPECT_EQ(ReadFile(posts), dump) << args;
  }
  std::filesystem::remove(hard);
  std::filesystem::create_hard_link(posts, hard);
  for (const auto& [args, stdin_path] : std::vector<std::pair<std::string, std::string>>{
           {absl::StrCat("score -m ", model_, " -o ", posts, " ", posts), "/dev/null"},
           {absl::StrCat("score -m ", model_, " -o ", soft, " ", posts), "/dev/null"},
           {absl::StrCat("score -m ", model_, " -o ", Dir(), "/./linked_hard.jsonl ",
                         hard),
            "/dev/null"},
           {absl::StrCat("score -m ", model_, " -o ", posts), posts}}) {
    Result r = RunCli(args, stdin_path);
    EXPECT_EQ(r.exit_code, 2) << args << ": " << r.err;
    EXPECT_EQ(ReadFile(posts), dump) << args;
  }
}

// A `score -o FILE` stopped by SIGINT, SIGTERM or SIGHUP while it waits for more
// input (a FIFO held open) leaves neither FILE nor its temporary file behind, and
// dies of the signal.
TEST_F(GroupguardCliTest, FatalSignalLeavesNoTemporaryFile) {
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) {
    const std::string dir = absl::StrCat(Dir(), "/signal_", sig);
    std::filesystem::create_directories(dir);
    const std::string fifo = dir + "/in.fifo";
    ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
    const std::string out = dir + "/scores.jsonl";
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      for (int s : {SIGINT, SIGTERM, SIGHUP}) signal(s, SIG_DFL);
      int devnull = open("/dev/null", O_WRONLY);
      dup2(devnull, STDERR_FILENO);
      execl(GROUPGUARD_CLI, GROUPGUARD_CLI, "score", "-t", "2", "-m", model_.c_str(),
            "-o", out.c_str(), fifo.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    int writer = open(fifo.c_str(), O_WRONLY);  // waits for the command to open it
    ASSERT_GE(writer, 0);
    std::string records;
    for (int i = 0; i < 100; ++i) {
      absl::StrAppend(&records, "{\"id\":\"p", i, "\",\"text\":\"win a free prize\"}\n");
    }
    ASSERT_EQ(write(writer, records.data(), records.size()),
              static_cast<ssize_t>(records.size()));
    // The temporary file is there once the command has started writing.
    for (int i = 0; i < 500 && FilesIn(dir).size() < 2; ++i) usleep(10000);
    ASSERT_EQ(FilesIn(dir).size(), 2u) << "no temporary file appeared";
    ASSERT_EQ(kill(pid, sig), 0);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    close(writer);
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == sig) << "status " << status;
    EXPECT_EQ(FilesIn(dir), std::vector<std::string>{"in.fifo"}) << "signal " << sig;
  }
}

}  // namespace
// --null reads SQL's NULL as an export writes it: an id \N is no id (score gives the
// line), a label \N no label (eval refuses it as unlabeled, not as a bad spelling).
TEST_F(GroupguardCliTest, NullFlagReadsSqlNullInEveryCommand) {
  std::string csv = WriteFile(
      "nulls.csv", "id,text,label\r\n\\N,win a free prize,1\r\nb,\"\\N\",\\N\r\n");
  Result r = RunCli(absl::StrCat("score --null '\\N' -m ", model_, " ", csv));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_THAT(lines[0], StartsWith("{\"id\":null,\"line\":2,"));
  EXPECT_THAT(lines[1], StartsWith("{\"id\":\"b\","));  // a quoted \N text is text
  r = RunCli(absl::StrCat("eval --null '\\N' -m ", model_, " ", csv));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr(":3: no label"));
  r = RunCli(absl::StrCat("eval -m ", model_, " ", csv));  // without it: text
  EXPECT_THAT(r.err, HasSubstr(":3: \"label\" is \"\\N\", not spam/ham"));
  r = RunCli(absl::StrCat("train --null '\\N' -o ", Dir(), "/n.ggm ", csv));
  EXPECT_THAT(r.err, HasSubstr(":3: no label"));
  r = RunCli(absl::StrCat("score --null '\"' -m ", model_, " ", csv));
  EXPECT_EQ(r.exit_code, 2) << r.err;
}

// "-" as the model is standard input (it looked for a file named "-"): inspect -,
// and -m - where the posts or the text come from a file or the command line; where
// standard input carries them too, a usage error.
TEST_F(GroupguardCliTest, DashModelIsStandardInputWhereItIsFree) {
  Result r = RunCli("inspect -", model_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("model:               standard input\n"));
  EXPECT_THAT(
      r.out, HasSubstr(absl::StrCat(
                 "file size:           ", std::filesystem::file_size(model_), " bytes")));
  std::string posts =
      WriteFile("dash_model.jsonl", "{\"id\":\"a\",\"text\":\"win a prize\"}\n");
  Result by_name = RunCli(absl::StrCat("score -m ", model_, " ", posts));
  r = RunCli(absl::StrCat("score -m - ", posts), model_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, by_name.out);
  r = RunCli("explain -m - 'win a prize'", model_);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("P(spam)"));
  // Not a model on standard input: the loader's error, naming <stdin>.
  r = RunCli("inspect -");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, StartsWith("groupguard: cannot load model <stdin>: "));
  // An endless stream that is not a model is turned down at its header, as a file
  // is (all of it up to 2 GiB was read into memory first).
  r = RunCli("inspect -", "/dev/zero");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err,
            "groupguard: cannot load model <stdin>: not a groupguard model file (bad "
            "magic)\n");
  // A model with a byte after it: the loader reads one byte past the payload.
  const std::string trailing =
      WriteFile("trailing.ggm", absl::StrCat(ReadFile(model_), "x"));
  r = RunCli("inspect -", trailing);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("trailing bytes after the"));
  // Standard input cannot carry both.
  for (const char* args : {"score -m -", "score -m - -", "eval -m - -", "explain -m -",
                           "explain -m - -", "replay -m - -"}) {
    r = RunCli(args, model_);
    EXPECT_EQ(r.exit_code, 2) << args << ": " << r.err;
    EXPECT_THAT(r.err, HasSubstr("--model -: standard input carries the ")) << args;
    EXPECT_EQ(r.out, "") << args;
  }
}

// Writes a journal of three records ("a record") into `dir`; returns the path of its
// one segment.
std::string WriteThreeRecordJournal(const std::string& dir,
                                    const JournalOptions& options) {
  auto store = OpenJournal(dir, options);
  EXPECT_TRUE(store.ok()) << store.status();
  for (int i = 1; store.ok() && i <= 3; ++i) {
    EXPECT_TRUE((*store)->Append("a record").ok());
  }
  return dir + "/journal-00000000000000000001.log";
}

// A journal whose middle record is damaged: `check` says where and what `salvage`
// would do (exit 1, nothing changed), `salvage --dry-run` likewise (exit 0),
// `salvage` cuts it, and `check` then passes and the journal opens.
TEST_F(GroupguardCliTest, JournalCheckAndSalvage) {
  const std::string dir = Dir() + "/journal";
  JournalOptions options;
  options.sync = JournalOptions::Sync::kNone;
  const std::string segment = WriteThreeRecordJournal(dir, options);
  std::string bytes = ReadFile(segment);
  const size_t second = 32 + 16 + 8;  // the header, then record 1's frame and payload
  bytes[second + 20] ^= 1;            // record 2's payload
  std::ofstream(segment, std::ios::binary | std::ios::trunc) << bytes;

  Result r = RunCli("journal check " + dir);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(r.out, HasSubstr(absl::StrCat("damage: ", segment, ": offset ", second,
                                            ": record 2: checksum mismatch")));
  EXPECT_THAT(r.out, HasSubstr("salvage would cut the history at record 1"));
  // Damage in the last segment: no later record says how far the history went, but
  // it did go on.
  EXPECT_THAT(r.out, HasSubstr("lost from the history: records 2.., how many unknown"));
  EXPECT_THAT(r.out, HasSubstr(absl::StrCat(segment, ".cut-at-", second)));
  r = RunCli("journal salvage --dry-run " + dir);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(ReadFile(segment), bytes);

  r = RunCli("journal salvage " + dir);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("salvaged: cut the history at record 1"));
  EXPECT_EQ(ReadFile(absl::StrCat(segment, ".cut-at-", second)), bytes.substr(second));
  r = RunCli("journal check " + dir);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("no damage found"));
  EXPECT_THAT(r.out, HasSubstr("its history ends with record 1"));
  EXPECT_TRUE(OpenJournal(dir, options).ok());

  r = RunCli("journal check " + Dir() + "/no-such-journal");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("no such directory"));
}

// A journal whose last record was cut short (a crash mid-append): `check` finds no
// damage and says that opening sets the torn bytes aside, and where they are; it
// used to say only that the history ends a record early.
TEST_F(GroupguardCliTest, JournalCheckNamesATornTail) {
  const std::string dir = Dir() + "/torn-journal";
  JournalOptions options;
  options.sync = JournalOptions::Sync::kNone;
  const std::string segment = WriteThreeRecordJournal(dir, options);
  std::string bytes = ReadFile(segment);
  const size_t third = 32 + 2 * (16 + 8);  // the header, then records 1 and 2
  bytes.resize(bytes.size() - 3);          // record 3 cut short
  std::ofstream(segment, std::ios::binary | std::ios::trunc) << bytes;

  const Result r = RunCli("journal check " + dir);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            absl::StrCat("no damage found\ntorn tail (not damage): ", segment,
                         ": offset ", third, ": ", bytes.size() - third,
                         " bytes after the last whole record; an append cut short, "
                         "by a crash most likely (or a damaged last record): "
                         "opening the journal cuts these bytes, keeping them "
                         "(unless all zeros) in a \".torn-at-\" file beside the "
                         "segment, and the history ends before them\nthe journal "
                         "opens as it is: its history ends with record 2\n"));
  EXPECT_EQ(ReadFile(segment), bytes);  // check changes nothing
  EXPECT_TRUE(OpenJournal(dir, options).ok());
  EXPECT_EQ(ReadFile(absl::StrCat(segment, ".torn-at-", third)), bytes.substr(third));
}

// Every file in `dir` with its bytes, to show that a command changed nothing.
// A server's registry over a journal at `dir` (no syncs: a test's), on `clock`;
// null (and a failure) if it does not open.
std::unique_ptr<Registry> OpenServer(const std::string& dir, const Clock* clock) {
  JournalOptions options;
  options.sync = JournalOptions::Sync::kNone;
  auto store = OpenJournal(dir, options);
  EXPECT_TRUE(store.ok()) << store.status();
  if (!store.ok()) return nullptr;
  auto opened = Registry::Open(*std::move(store), clock, RegistryOptions());
  EXPECT_TRUE(opened.ok()) << opened.status();
  return opened.ok() ? *std::move(opened) : nullptr;
}

// The servers' clock in the journal show tests: flags last until 2100, so the
// probations are on whenever the tests run.
const absl::Time kServerStart =
    absl::FromCivil(absl::CivilSecond(2099, 6, 1, 12, 0, 0), absl::UTCTimeZone());

std::vector<std::pair<std::string, std::string>> FilesAndBytes(const std::string& dir) {
  std::vector<std::pair<std::string, std::string>> files;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    files.emplace_back(e.path().filename().string(), ReadFile(e.path().string()));
  }
  std::sort(files.begin(), files.end());
  return files;
}

// `journal show` lists the flags in force: not one a lift in its group withdrew
// (it was listed under "flagged from" after the lift), but one given there since.
TEST_F(GroupguardCliTest, JournalShowLeavesOutFlagsALiftWithdrew) {
  const std::string dir = Dir() + "/lift-journal";
  std::filesystem::remove_all(dir);
  {
    ManualClock clock(kServerStart);
    std::unique_ptr<Registry> opened = OpenServer(dir, &clock);
    ASSERT_NE(opened, nullptr);
    Registry& server = *opened;
    for (const char* g : {"cats", "dogs", "birds"}) ASSERT_TRUE(server.CreateGroup(g).ok());
    ASSERT_TRUE(server.AddAdministrator("ada").ok());
    ASSERT_TRUE(server.AddModerator("cats", "mia").ok());
    ASSERT_TRUE(server.AddModerator("dogs", "leo").ok());
    ASSERT_TRUE(server.AddModerator("birds", "kai").ok());
    for (const char* g : {"cats", "dogs", "birds"}) ASSERT_TRUE(server.Join("sam", g).ok());
    ASSERT_TRUE(server.Flag("mia", "sam", "cats", "cats spam", absl::Hours(24 * 7)).ok());
    ASSERT_TRUE(server.Flag("leo", "sam", "dogs", "dogs spam", absl::Hours(24 * 7)).ok());
    ASSERT_TRUE(server.Flag("kai", "sam", "birds", "first", absl::Hours(24 * 7)).ok());
    clock.Advance(absl::Hours(1));
    ASSERT_TRUE(server.Lift("mia", "sam", "cats", "a mistake").ok());
    ASSERT_TRUE(server.Lift("kai", "sam", "birds", "a mistake").ok());
    clock.Advance(absl::Hours(1));
    ASSERT_TRUE(server.Flag("kai", "sam", "birds", "again", absl::Hours(24 * 7)).ok());
  }
  Result r = RunCli("journal show --as ada " + dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("flagged from dogs by leo"));
  EXPECT_THAT(r.out, HasSubstr("flagged from birds by kai at 2099-06-01T14:00:00Z: "
                               "\"again\""));
  EXPECT_THAT(r.out, Not(HasSubstr("cats spam")));
  EXPECT_THAT(r.out, Not(HasSubstr("\"first\"")));
}

// `journal show` of a journal with no history (made and closed before anything
// was recorded, or salvaged down to nothing) says so: it refused --as as "not a
// site administrator", which sent the reader after the wrong cause.
TEST_F(GroupguardCliTest, JournalShowOfAnEmptyHistorySaysSo) {
  const std::string dir = Dir() + "/empty-journal";
  std::filesystem::remove_all(dir);
  {
    auto store = OpenJournal(dir, JournalOptions());
    ASSERT_TRUE(store.ok()) << store.status();
  }
  Result r = RunCli("journal show --as ada " + dir);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, absl::StrCat("groupguard: journal ", dir,
                                ": holds no history (no record, no snapshot), so no site "
                                "administrator either: nothing to show\n"));
}

// `journal show` while the server's registry has the journal open (this process
// holds its lock): the members on probation with where from and until when, the held
// posts per group and the appeals; --member adds that member's audit entries; --json
// says the same. It reads only: the journal's files are as they were, and the server
// goes on writing.
TEST_F(GroupguardCliTest, JournalShowReadsTheRegistryWhileTheServerHasItOpen) {
  const std::string dir = Dir() + "/live-journal";
  ManualClock clock(kServerStart);
  std::unique_ptr<Registry> opened = OpenServer(dir, &clock);
  ASSERT_NE(opened, nullptr);
  Registry& server = *opened;
  ASSERT_TRUE(server.CreateGroup("cats").ok());
  ASSERT_TRUE(server.CreateGroup("dogs").ok());
  ASSERT_TRUE(server.AddAdministrator("ada").ok());
  ASSERT_TRUE(server.AddModerator("cats", "mia").ok());
  ASSERT_TRUE(server.Join("sam", "cats").ok());
  ASSERT_TRUE(server.Join("sam", "dogs").ok());
  ASSERT_TRUE(server.Join("bob", "dogs").ok());
  ASSERT_TRUE(server.Flag("mia", "sam", "cats", "prize spam", absl::Hours(24 * 7)).ok());
  auto check = server.CheckPosting("sam", "dogs");
  ASSERT_TRUE(check.ok() && check->probation.has_value());
  ASSERT_TRUE(server
                  .Hold(Submission{"p1", "sam", "dogs", "win a prize", clock.Now()},
                        {*check->probation})
                  .ok());
  ASSERT_TRUE(server.FileAppeal("sam", "my account was hacked").ok());
  ASSERT_TRUE(
      server.Hold(Submission{"p2", "bob", "dogs", "hello", clock.Now()}, {}).ok());
  const auto before = FilesAndBytes(dir);

  Result r = RunCli("journal show --as ada " + dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_THAT(r.out, HasSubstr("groups: 2, on probation: 1, held posts: 2, pending "
                               "appeals: 1\n"));
  EXPECT_THAT(r.out, HasSubstr("  sam: since 2099-06-01T12:00:00Z until "
                               "2099-06-08T12:00:00Z, site-wide from"));
  EXPECT_THAT(r.out, HasSubstr(", appeal pending\n"));
  EXPECT_THAT(r.out, HasSubstr("    held in dogs from 2099-06-01T12:00:00Z until "
                               "2099-06-08T12:00:00Z\n"));
  EXPECT_THAT(r.out, HasSubstr("    flagged from cats by mia at 2099-06-01T12:00:00Z: "
                               "\"prize spam\"\n"));
  EXPECT_THAT(r.out, HasSubstr("  dogs (2):\n    p1 by sam held at "
                               "2099-06-01T12:00:00Z: \"win a prize\"\n      because: "
                               "probation until 2099-06-08T12:00:00Z, site-wide, flagged "
                               "from cats\n    p2 by bob"));
  EXPECT_THAT(r.out, HasSubstr("pending appeals:\n  sam filed at 2099-06-01T12:00:00Z: "
                               "\"my account was hacked\"\n"));
  EXPECT_THAT(r.out, Not(HasSubstr("audit entries")));

  r = RunCli("journal show --as ada --member sam " + dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("member sam: on probation\n"));
  EXPECT_THAT(r.out, HasSubstr("p1 by sam"));
  EXPECT_THAT(r.out, Not(HasSubstr("p2 by bob")));
  EXPECT_THAT(r.out, HasSubstr("audit entries by or about sam:\n"));
  EXPECT_THAT(r.out, HasSubstr(" flag by mia, member sam, group cats: \"prize spam\"\n"));
  EXPECT_THAT(r.out, HasSubstr(" file_appeal by sam, member sam"));
  r = RunCli("journal show --as ada --member bob " + dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("member bob: not on probation\n"));
  EXPECT_THAT(r.out, HasSubstr("p2 by bob"));

  r = RunCli("journal show --json --as ada " + dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, StartsWith("{\"journal\":"));
  EXPECT_THAT(r.out, HasSubstr("\"groups\":[\"cats\",\"dogs\"],\"on_probation\":[{"
                               "\"member\":\"sam\",\"since\":\"2099-06-01T12:00:00Z\","
                               "\"until\":\"2099-06-08T12:00:00Z\",\"site_wide\":true"));
  EXPECT_THAT(r.out, HasSubstr("\"appeal_pending\":true"));
  EXPECT_THAT(r.out, HasSubstr("\"post_id\":\"p1\",\"member\":\"sam\""));
  EXPECT_THAT(r.out, HasSubstr("\"kind\":\"probation\""));
  EXPECT_THAT(r.out, HasSubstr("\"statement\":\"my account was hacked\""));
  EXPECT_THAT(r.out, HasSubstr("\"flags\":[{\"sequence\":"));
  EXPECT_THAT(r.out, HasSubstr("\"action\":\"flag\",\"member\":\"sam\",\"group\":"
                               "\"cats\",\"post_id\":\"\",\"reason\":\"prize spam\"}]"));
  EXPECT_THAT(r.out, Not(HasSubstr("\"audit\":")));
  r = RunCli("journal show --json --as ada --member sam " + dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("\"audit\":[{\"sequence\":"));
  EXPECT_THAT(r.out, HasSubstr("\"action\":\"file_appeal\",\"member\":\"sam\""));
  EXPECT_THAT(r.out, testing::EndsWith("}]}\n"));

  // Authorized as the registry authorizes: a moderator may not see every queue.
  r = RunCli("journal show --as mia " + dir);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, StartsWith("groupguard: journal " + dir + ": "));
  EXPECT_THAT(r.err, HasSubstr("site administrator"));
  EXPECT_EQ(r.out, "");

  EXPECT_EQ(FilesAndBytes(dir), before);
  // The server's registry still has the journal and goes on writing.
  EXPECT_TRUE(server.Join("eve", "cats").ok());
  r = RunCli("journal show --as ada --member eve --json " + dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("\"member\":\"eve\""));
}

TEST_F(GroupguardCliTest, JournalShowErrors) {
  Result r = RunCli("journal show --as ada " + Dir() + "/no-such-journal");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err,
            "groupguard: journal " + Dir() + "/no-such-journal: no such directory\n");
  EXPECT_FALSE(Exists(Dir() + "/no-such-journal"));
  r = RunCli("journal show " + Dir());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "groupguard: --as is required (groupguard journal show --help)\n");
  // An empty id (an unset shell variable) names nobody: not every member.
  for (const std::string option : {"--member", "--as"}) {
    r = RunCli(absl::StrCat("journal show ", option == "--as" ? "" : "--as ada ", option,
                            " '' ", Dir()));
    EXPECT_EQ(r.exit_code, 2) << option;
    EXPECT_EQ(r.err, absl::StrCat("groupguard: ", option,
                                  ": an empty value is not a member id (groupguard "
                                  "journal show --help)\n"));
    EXPECT_EQ(r.out, "");
  }
}

// A path in an error line shows what a terminal would act on escaped, in every
// command: an ESC byte, a bidi control, invalid UTF-8 and DEL, as \x1b, \u202e, \xff
// and \x7f. The library's statuses named the path raw, and PrintError wrote them so.
TEST_F(GroupguardCliTest, ErrorLinesEscapeControlCharactersInPaths) {
  const std::string raw = Dir() + "/no\x1b[31mred\xe2\x80\xae\xff\x7fz";
  const std::string shown = Dir() + "/no\\x1b[31mred\\u202e\\xff\\x7fz";
  const std::string arg = absl::StrCat(
      "\"$(printf '%s/no\\033[31mred\\342\\200\\256\\377\\177z' ", Dir(), ")\"");
  const struct {
    std::string args;
    std::string err;
  } cases[] = {
      {"score " + arg, shown + ": No such file or directory"},
      {"eval " + arg, shown + ": No such file or directory"},
      {"train -o " + Dir() + "/never.ggm " + arg, shown + ": No such file or directory"},
      {"inspect --model " + arg, "cannot load model " + shown +
                                     ": cannot open model file: No such file or "
                                     "directory"},
      {"explain --model " + arg + " hello",
       "cannot load model " + shown +
           ": cannot open model file: No such file or "
           "directory"},
      {"journal check " + arg, "journal " + shown + ": no such directory"},
      {"journal salvage " + arg, "journal " + shown + ": no such directory"},
      {"journal show --as ada " + arg, "journal " + shown + ": no such directory"},
      {"replay " + arg, shown + ": No such file or directory"},
  };
  for (const auto& c : cases) {
    const Result r = RunCli(c.args);
    EXPECT_EQ(r.exit_code, 1) << c.args;
    EXPECT_EQ(r.err, absl::StrCat("groupguard: ", c.err, "\n")) << c.args;
    EXPECT_THAT(r.err, Not(HasSubstr(raw))) << c.args;
  }
}

// Ordinary text in an error line is as it was: quotes, backslashes, non-ASCII
// letters and a long path are not escaped or cut.
TEST_F(GroupguardCliTest, ErrorLinesShowOrdinaryPathsAsTheyAre) {
  std::string long_dirs;
  for (int i = 0; i < 6; ++i) absl::StrAppend(&long_dirs, std::string(200, 'a'), "/");
  const std::string path =
      absl::StrCat(Dir(), "/it's \"C:\\N\\x1b\" caf\xc3\xa9/", long_dirs, "x");
  const Result r = RunCli(absl::StrCat("score \"$(printf '%s' '", Dir(),
                                       "/it'\\''s \"C:\\N\\x1b\" caf\xc3\xa9/')",
                                       "$(printf '%0200d/' 0 0 0 0 0 0 | tr 0 a)x\""));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, absl::StrCat("groupguard: ", path, ": No such file or directory\n"));
}

// A value typed in journal show (--as, --member) reaches an error line escaped, as
// it reaches the report.
TEST_F(GroupguardCliTest, JournalShowEscapesTypedIdsInErrors) {
  const std::string dir = Dir() + "/escaped-ids-journal";
  {
    JournalOptions options;
    options.sync = JournalOptions::Sync::kNone;
    auto store = OpenJournal(dir, options);
    ASSERT_TRUE(store.ok()) << store.status();
    ManualClock clock(absl::FromUnixSeconds(4000000000));
    auto opened = Registry::Open(*std::move(store), &clock, RegistryOptions());
    ASSERT_TRUE(opened.ok()) << opened.status();
    ASSERT_TRUE((*opened)->CreateGroup("cats").ok());
    ASSERT_TRUE((*opened)->AddAdministrator("ada").ok());
  }
  const std::string typed = "\"$(printf 'm\\033]0;x\\007\\342\\201\\246y')\"";
  Result r = RunCli("journal show --as " + typed + " " + dir);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err,
              StartsWith("groupguard: journal " + dir + ": \"m\\x1b]0;x\\x07\\u2066y\""));
  EXPECT_EQ(Lines(r.err).size(), 1u) << r.err;
  EXPECT_EQ(r.err.find('\x1b'), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("\xe2\x81\xa6"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "");
  r = RunCli("journal show --as ada --member " + typed + " " + dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("member m\\x1b]0;x\\x07\\u2066y: not on probation\n"));
  EXPECT_EQ(r.out.find('\x1b'), std::string::npos) << r.out;
}

// A report line naming a path the user gave (inspect's model, train's output)
// escapes it as an error line does.
TEST_F(GroupguardCliTest, ReportLinesEscapeControlCharactersInPaths) {
  const std::string name = "\"$(printf 'm\\033[2Jx\\342\\200\\256.ggm')\"";
  Result r = RunCli(absl::StrCat("train --model-type nb -o ", Dir(), "/", name, " ",
                                 GROUPGUARD_DATA_DIR, "/jsonl/sms.train.jsonl"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("wrote " + Dir() + "/m\\x1b[2Jx\\u202e.ggm ("));
  EXPECT_EQ(r.out.find('\x1b'), std::string::npos);
  r = RunCli(absl::StrCat("inspect --model ", Dir(), "/", name));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out,
              HasSubstr("model:               " + Dir() + "/m\\x1b[2Jx\\u202e.ggm\n"));
  EXPECT_EQ(r.out.find('\x1b'), std::string::npos);
  EXPECT_EQ(r.out.find("\xe2\x80\xae"), std::string::npos);
}

// Damage in a record the snapshot includes: the salvage copies the records after the
// snapshot past it, and says that the whole history is kept.
TEST_F(GroupguardCliTest, JournalSalvageStepsOverDamageTheSnapshotMadeMoot) {
  const std::string dir = Dir() + "/journal-with-snapshot";
  JournalOptions options;
  options.sync = JournalOptions::Sync::kNone;
  {
    auto store = OpenJournal(dir, options);
    ASSERT_TRUE(store.ok()) << store.status();
    for (int i = 1; i <= 3; ++i) ASSERT_TRUE((*store)->Append("a record").ok());
    ASSERT_TRUE((*store)->WriteSnapshot("state after record 1", 1).ok());
  }
  const std::string segment = dir + "/journal-00000000000000000001.log";
  std::string bytes = ReadFile(segment);
  bytes[32 + 16] ^= 1;  // record 1's payload
  std::ofstream(segment, std::ios::binary | std::ios::trunc) << bytes;

  Result r = RunCli("journal check " + dir);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(r.out, HasSubstr(absl::StrCat(
                         "damage before the records after the snapshot: ", segment,
                         ": offset 32: record 1: checksum mismatch")));
  EXPECT_THAT(r.out, HasSubstr("salvage would copy records 2.. into a new segment"));
  EXPECT_THAT(r.out, HasSubstr("salvage would keep the whole history, through record 3"));
  EXPECT_THAT(r.out, Not(HasSubstr("lost")));
  r = RunCli("journal salvage " + dir);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("salvaged: kept the whole history, through record 3"));
  EXPECT_THAT(r.out, HasSubstr(segment + ".set-aside"));
  r = RunCli("journal check " + dir);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("its history ends with record 3"));
}

// Damage in a record the snapshot includes is stepped over, and more damage later in
// the same segment, the last one, ends the history: what it hides is lost too, though
// no later file counts it.
TEST_F(GroupguardCliTest, JournalCheckSaysDamageAfterSteppedOverDamageLosesRecords) {
  const std::string dir = Dir() + "/journal-stepped-then-damaged";
  JournalOptions options;
  options.sync = JournalOptions::Sync::kNone;
  {
    auto store = OpenJournal(dir, options);
    ASSERT_TRUE(store.ok()) << store.status();
    for (int i = 1; i <= 4; ++i) {
      ASSERT_TRUE((*store)->Append(absl::StrCat("record-", i)).ok());
    }
    ASSERT_TRUE((*store)->WriteSnapshot("state after record 1", 1).ok());
  }
  // The snapshot's segment is the last one (as when the roll after it found no room).
  std::filesystem::remove(dir + "/journal-00000000000000000005.log");
  const std::string segment = dir + "/journal-00000000000000000001.log";
  std::string bytes = ReadFile(segment);
  bytes[bytes.find("record-1")] ^= 1;
  bytes[bytes.find("record-3")] ^= 1;
  std::ofstream(segment, std::ios::binary | std::ios::trunc) << bytes;

  Result r = RunCli("journal check " + dir);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(r.out, HasSubstr("damage before the records after the snapshot: "));
  EXPECT_THAT(r.out, HasSubstr("record 3: checksum mismatch"));
  EXPECT_THAT(r.out, HasSubstr("salvage would cut the history at record 2"));
  EXPECT_THAT(r.out, HasSubstr("lost from the history: records 3.., how many unknown"));
  r = RunCli("journal salvage " + dir);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("lost from the history: records 3.., how many unknown"));
  EXPECT_THAT(r.out, HasSubstr(segment + ".set-aside"));
}

// --drop-from on an intact journal: no damage, but the records from N on are dropped,
// so the report must not say that the whole history is kept.
TEST_F(GroupguardCliTest, JournalSalvageDropFromSaysTheHistoryIsCut) {
  const std::string dir = Dir() + "/journal-drop-from";
  JournalOptions options;
  options.sync = JournalOptions::Sync::kNone;
  {
    auto store = OpenJournal(dir, options);
    ASSERT_TRUE(store.ok()) << store.status();
    for (int i = 1; i <= 5; ++i) ASSERT_TRUE((*store)->Append("a record").ok());
  }
  Result r = RunCli("journal check --drop-from 3 " + dir);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(r.out, HasSubstr("salvage would cut the history at record 2"));
  EXPECT_THAT(r.out, Not(HasSubstr("whole history")));
  r = RunCli("journal salvage --drop-from 3 " + dir);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("salvaged: cut the history at record 2"));
  EXPECT_THAT(r.out, Not(HasSubstr("whole history")));
  EXPECT_THAT(r.out, HasSubstr("lost from the history: records 3..5"));
}

}  // namespace groupguard
