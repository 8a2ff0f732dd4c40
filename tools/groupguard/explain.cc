// `groupguard explain`: one text -> verdict and clues, for people.
#include <errno.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "commands.h"
#include "common.h"
#include "output.h"
#include "util/printable.h"

namespace groupguard::cli {
namespace {

struct ExplainFlags {
  std::string text;
  bool have_text = false;
  std::string model;
  int clues = 10;
};

// The text as a quoted, escaped string, cut to `max` bytes.
std::string Quoted(absl::string_view text, size_t max) {
  // Safe for a terminal: control characters, bidi controls (U+202E would turn the
  // rest of the line around) and invalid UTF-8 escaped, as every typed value or
  // field of a file is shown (\x1b, \u202e, \xff).
  return absl::StrCat("\"", internal::Printable(text, max), "\"");
}

int RunExplain(const ExplainFlags& flags) {
  if (absl::Status s = CheckModelStdin(flags.model, !flags.have_text, "the text");
      !s.ok()) {
    return UsageErrorOf("explain", s.message());
  }
  auto model = LoadModel(flags.model);
  if (!model.ok()) {
    PrintError(model.status().message());
    return kExitRuntimeError;
  }
  std::string text = flags.have_text ? flags.text : "";
  if (!flags.have_text) {
    // read(2), not std::cin: an istream takes a read error (standard input is a
    // directory, an I/O error) for the end of the input and would score "". The
    // model reads at most max_input_bytes of a post, so no more than that (and the
    // newline that may end it) is read: standard input may never end (/dev/zero).
    const size_t limit = (*model)->info().tokenizer.max_input_bytes + 1;
    char buffer[1 << 16];
    while (text.size() < limit) {
      ssize_t n =
          read(STDIN_FILENO, buffer, std::min(sizeof buffer, limit - text.size()));
      if (n == 0) break;
      if (n < 0) {
        if (errno == EINTR) continue;
        PrintError(absl::StrCat("cannot read standard input: ", std::strerror(errno)));
        return kExitRuntimeError;
      }
      text.append(buffer, static_cast<size_t>(n));
    }
    const bool stopped = text.size() >= limit;  // more may follow
    if (!text.empty() && text.back() == '\n') text.pop_back();
    if (stopped) {
      std::fprintf(stderr,
                   "groupguard: note: read the first %zu bytes of standard input; the "
                   "model reads no more of a post\n",
                   limit - 1);
    }
  }
  // All clues (up to the library's 1000), so the ones not shown can be summed.
  ScoreOptions options;
  options.max_clues = 1000;
  Verdict verdict = (*model)->Score(text, options);
  const size_t shown = std::min(verdict.clues.size(), static_cast<size_t>(flags.clues));
  // The clues' weights are each feature's share of the calibrated log-odds; what no
  // feature accounts for is the same for every post: the calibration applied to
  // the model's bias, a * bias + b.
  const ModelInfo& info = (*model)->info();
  const double offset = info.calibration_a * info.bias + info.calibration_b;
  double log_odds = offset;
  for (const Clue& clue : verdict.clues) log_odds += clue.weight;
  std::string out;
  absl::StrAppendFormat(
      &out, "verdict: %s (P(spam) = %.4f; unsure from %.4f, spam from %.4f)\n",
      LabelName(verdict.label), verdict.spam_probability, (*model)->unsure_threshold(),
      (*model)->spam_threshold());
  absl::StrAppendFormat(&out, "text:    %s\n", Quoted(text, 400));
  if (verdict.clues.empty()) {
    out += "clues:   none\n";
  } else {
    out += "clues, strongest first (weight: log-odds of spam, > 0 spammy):\n";
    for (size_t c = 0; c < shown; ++c) {
      const Clue& clue = verdict.clues[c];
      std::string quotes;
      for (size_t i = 0; i < clue.spans.size() && i < 3; ++i) {
        size_t begin = std::min<size_t>(clue.spans[i].first, text.size());
        size_t end = std::min<size_t>(std::max(clue.spans[i].first, clue.spans[i].second),
                                      text.size());
        if (!quotes.empty()) quotes += ", ";
        quotes += Quoted(absl::string_view(text).substr(begin, end - begin), 80);
      }
      if (clue.spans.size() > 3)
        quotes += absl::StrFormat(" (+%d more)", clue.spans.size() - 3);
      // Without quotes (a length or signal feature), no padding at the line's end.
      if (quotes.empty()) {
        absl::StrAppendFormat(&out, "  %+8.4f  %s\n", clue.weight,
                              Quoted(clue.feature, 60));
      } else {
        absl::StrAppendFormat(&out, "  %+8.4f  %-28s %s\n", clue.weight,
                              Quoted(clue.feature, 60), quotes);
      }
    }
  }
  // The rest, so the lines add up to the log-odds of P(spam).
  if (shown < verdict.clues.size()) {
    double rest = 0;
    for (size_t c = shown; c < verdict.clues.size(); ++c) rest += verdict.clues[c].weight;
    absl::StrAppendFormat(&out, "  %+8.4f  (%d more clue%s)\n", rest,
                          verdict.clues.size() - shown,
                          verdict.clues.size() - shown == 1 ? "" : "s");
  }
  if (verdict.clues.size() >= static_cast<size_t>(options.max_clues)) {
    // The library gives no more than 1000: the ones beyond, from P(spam) itself.
    const double p = verdict.spam_probability;
    if (p > 0 && p < 1) {
      const double beyond = std::log(p / (1 - p)) - log_odds;
      absl::StrAppendFormat(&out, "  %+8.4f  (clues beyond the first %d)\n", beyond,
                            options.max_clues);
      log_odds += beyond;
    }
  }
  absl::StrAppendFormat(
      &out, "  %+8.4f  (bias and calibration: where every post starts)\n", offset);
  absl::StrAppendFormat(
      &out, "  = %+.4f log-odds of spam: P(spam) = 1 / (1 + exp(%+.4f)) = %.6f\n",
      log_odds, -log_odds, verdict.spam_probability);
  if (absl::Status written = WriteStdout(out); !written.ok()) {
    PrintError(written.message());
    return kExitRuntimeError;
  }
  return kExitOk;
}

}  // namespace

void AddExplainCommand(CLI::App& app) {
  auto flags = std::make_shared<ExplainFlags>();
  CLI::App* cmd = app.add_subcommand(
      "explain", "Score one text and show the verdict with the clues behind it");
  cmd->add_option("text", flags->text,
                  "The text (\"-\" or none: standard input, up to the model's "
                  "max_input_bytes)");
  AddModelFlag(cmd, &flags->model);
  AddIntegerOption(cmd, "-k,--clues", &flags->clues, 0, 1000, "How many clues to show")
      ->capture_default_str();
  cmd->callback([flags, cmd] {
    // "-" is standard input, as everywhere else (the text "-" itself: echo - | ...).
    flags->have_text = cmd->count("text") > 0 && flags->text != "-";
    ExitWith(RunExplain(*flags));
  });
}

}  // namespace groupguard::cli
