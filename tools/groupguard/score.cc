// `groupguard score`: model + dump -> one verdict per post, in input order.
#include <algorithm>
#include <cstring>
#include <memory>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "commands.h"
#include "common.h"
#include "groupguard/classifier.h"
#include "output.h"
#include "output_file.h"
#include "pipeline.h"
#include "progress.h"
#include "threads.h"

namespace groupguard::cli {
namespace {

struct ScoreFlags {
  std::string input = "-";
  std::string model;
  std::string output;
  std::string format = "jsonl";
  bool format_given = false;  // --format on the command line
  int explain = 0;
  int threads = 0;
  size_t block_kib = 256;
  InputFlags in;
};

void AppendInt(int64_t v, std::string* out) { absl::StrAppend(out, v); }

// std::memcpy(to, from, n), for the short ids of most dumps without a call: two
// copies of 8 or 4 bytes that overlap in the middle (no byte before or past
// from[0, n) is read).
inline void CopyId(char* to, const char* from, size_t n) {
  if (n >= 8 && n <= 16) {
    std::memcpy(to, from, 8);
    std::memcpy(to + n - 8, from + n - 8, 8);
  } else if (n >= 4 && n < 8) {
    std::memcpy(to, from, 4);
    std::memcpy(to + n - 4, from + n - 4, 4);
  } else {
    std::memcpy(to, from, n);
  }
}

class ScoreHandler : public PostHandler {
 public:
  ScoreHandler(const Classifier& model, int explain, bool csv)
      : model_(model), csv_(csv) {
    options_.max_clues = explain;
    for (const Label label : {Label::kHam, Label::kUnsure, Label::kSpam}) {
      Tail& tail = tails_[static_cast<size_t>(label)];
      std::string text = absl::StrCat(",\"verdict\":\"", LabelName(label), "\"}\n");
      tail.size = std::min(text.size(), sizeof(tail.text));
      std::memcpy(tail.text, text.data(), tail.size);
    }
  }

  void Flush(BlockOutput* out) override {
    out->text.append(pending_.get(), pending_size_);
    pending_size_ = 0;
  }

  absl::Status Handle(const internal::PostView& post, BlockOutput* out) override {
    std::string& o = out->text;
    double p;
    Label label;
    if (options_.max_clues > 0) {
      verdict_ = model_.Score(post.text, options_);
      p = verdict_.spam_probability;
      label = verdict_.label;
    } else {
      p = model_.SpamProbability(post.text);
      label = model_.LabelFor(p);
    }
    if (!(options_.max_clues <= 0 && !post.id.empty() && post.id.size() <= kMaxPlainId &&
          static_cast<size_t>(label) < 3)) {
      Flush(out);  // the lines kept back go first
    }
    if (csv_) {
      if (post.id.empty()) {
        AppendInt(post.line, &o);
      } else {
        AppendCsvField(post.id, &o);
      }
      o.push_back(',');
      AppendProbability(p, &o);
      o.push_back(',');
      o.append(LabelName(label).data(), LabelName(label).size());
      if (options_.max_clues > 0) {
        o.push_back(',');
        AppendCsvField(CluesAsText(post.text), &o);
      }
      o.push_back('\n');
      return absl::OkStatus();
    }
    if (options_.max_clues <= 0 && !post.id.empty() && post.id.size() <= kMaxPlainId &&
        static_cast<size_t>(label) < 3) {
      // The usual line, {"id":"...","spam_probability":...,"verdict":"..."}, with
      // an id that needs no escaping: written at the end of the lines kept back
      // (pending_), which go into the block's output by one append when full and
      // at the block's end (Flush()): an append a line cost more than formatting
      // it. A line with an id to escape goes through AppendJsonString() below.
      if (kPendingBytes - pending_size_ < kMaxLine) Flush(out);
      char* const line = pending_.get() + pending_size_;
      char* t = line;
      std::memcpy(t, kIdKey, sizeof(kIdKey) - 1);
      t += sizeof(kIdKey) - 1;
      // An id of the plain-record scanner is known to need no escaping (its
      // UTF-8 is well-formed: AppendJsonString would copy it as it is).
      bool plain = post.json_plain;
      if (plain) {
        CopyId(t, post.id.data(), post.id.size());
        t += post.id.size();
      } else {
        plain = true;
        for (const char c : post.id) {
          plain &= kPlainJsonBytes.plain[static_cast<unsigned char>(c)];
          *t++ = c;
        }
      }
      if (plain) {
        std::memcpy(t, kProbabilityKey, sizeof(kProbabilityKey) - 1);
        t = FormatProbability(p, t + sizeof(kProbabilityKey) - 1);
        const Tail& tail = tails_[static_cast<size_t>(label)];
        std::memcpy(t, tail.text, sizeof(tail.text));  // all of it: the buffer has room
        t += tail.size;
        pending_size_ += static_cast<size_t>(t - line);
        return absl::OkStatus();
      }
      Flush(out);  // the lines kept back go first
    }
    AppendLiteral("{\"id\":", &o);
    if (post.id.empty()) {
      AppendLiteral("null,\"line\":", &o);
      AppendInt(post.line, &o);
    } else {
      AppendJsonString(post.id, &o);
    }
    if (options_.max_clues <= 0) {
      // The rest of the line, fixed in shape, formatted in a buffer and appended
      // at once (an append each cost more than formatting it).
      static constexpr char kProbabilityKey[] = ",\"spam_probability\":";
      static constexpr char kVerdictKey[] = ",\"verdict\":\"";
      char tail[64];
      char* t = tail;
      std::memcpy(t, kProbabilityKey, sizeof(kProbabilityKey) - 1);
      t = FormatProbability(p, t + sizeof(kProbabilityKey) - 1);
      std::memcpy(t, kVerdictKey, sizeof(kVerdictKey) - 1);
      t += sizeof(kVerdictKey) - 1;
      const absl::string_view name = LabelName(label);  // at most 6 bytes
      std::memcpy(t, name.data(), name.size());
      t += name.size();
      std::memcpy(t, "\"}\n", 3);
      t += 3;
      o.append(tail, static_cast<size_t>(t - tail));
      return absl::OkStatus();
    }
    AppendLiteral(",\"spam_probability\":", &o);
    AppendProbability(p, &o);
    AppendLiteral(",\"verdict\":\"", &o);
    o.append(LabelName(label).data(), LabelName(label).size());
    o.push_back('"');
    {
      AppendLiteral(",\"clues\":[", &o);
      bool first = true;
      for (const Clue& clue : verdict_.clues) {
        if (!first) o.push_back(',');
        first = false;
        AppendLiteral("{\"feature\":", &o);
        AppendJsonString(clue.feature, &o);
        AppendLiteral(",\"weight\":", &o);
        AppendFixed4(clue.weight, &o);
        AppendLiteral(",\"quotes\":[", &o);
        for (size_t i = 0; i < clue.spans.size() && i < kMaxQuotes; ++i) {
          if (i > 0) o.push_back(',');
          AppendJsonString(Quote(post.text, clue.spans[i], &quote_), &o);
        }
        AppendLiteral("]}", &o);
      }
      o.push_back(']');
    }
    AppendLiteral("}\n", &o);
    return absl::OkStatus();
  }

 private:
  static constexpr size_t kMaxQuotes = 3;
  // A quote longer than this is cut: a character n-gram quotes the whole word it
  // came from, and one 4 MiB word would be quoted whole by each of its n-grams.
  static constexpr size_t kMaxQuoteBytes = 256;

  // The text of `span`, at most kMaxQuoteBytes: a longer one is cut before a UTF-8
  // continuation byte and ends with "..." (in *scratch).
  static absl::string_view Quote(absl::string_view text,
                                 const std::pair<uint32_t, uint32_t>& span,
                                 std::string* scratch) {
    size_t begin = std::min<size_t>(span.first, text.size());
    size_t end = std::min<size_t>(std::max(span.first, span.second), text.size());
    absl::string_view quote = text.substr(begin, end - begin);
    if (quote.size() <= kMaxQuoteBytes) return quote;
    size_t cut = kMaxQuoteBytes - 3;
    while (cut > 0 && (static_cast<unsigned char>(quote[cut]) & 0xC0) == 0x80) --cut;
    scratch->assign(quote.data(), cut);
    scratch->append("...");
    return *scratch;
  }

  // "feature (+1.2345) "quote"; ..." for the CSV clues column.
  std::string CluesAsText(absl::string_view text) {
    std::string s;
    for (const Clue& clue : verdict_.clues) {
      if (!s.empty()) s.append("; ");
      absl::StrAppend(&s, clue.feature, " (", clue.weight >= 0 ? "+" : "");
      AppendFixed4(clue.weight, &s);
      s.append(")");
      for (size_t i = 0; i < clue.spans.size() && i < kMaxQuotes; ++i) {
        absl::StrAppend(&s, " \"", Quote(text, clue.spans[i], &quote_), "\"");
      }
    }
    return s;
  }

  // Ids up to this many bytes take the one-buffer path in Handle().
  static constexpr size_t kMaxPlainId = 64;
  static constexpr char kIdKey[] = "{\"id\":\"";
  static constexpr char kProbabilityKey[] = "\",\"spam_probability\":";
  // The most one line of that path takes, 24 bytes of its tail included.
  static constexpr size_t kMaxLine =
      sizeof(kIdKey) + kMaxPlainId + sizeof(kProbabilityKey) + kProbabilityBytes + 24;
  // Lines kept back for one append: about 30 of the usual lines. Kept below
  // glibc's threshold for `rep movsb` in memcpy (4 KiB with AVX2), which is no
  // slower on the hardware but which callgrind counts a byte at a time.
  static constexpr size_t kPendingBytes = 2048;
  // ,"verdict":"<label>"}\n for each label (at most 22 bytes).
  struct Tail {
    char text[24];
    size_t size;
  };

  const Classifier& model_;
  bool csv_;
  Tail tails_[3];
  std::unique_ptr<char[]> pending_{new char[kPendingBytes]};
  size_t pending_size_ = 0;
  ScoreOptions options_;
  Verdict verdict_;
  std::string quote_;  // a cut quote (Quote)
};

// The output format -o's name asks for ("csv", "jsonl"), "tsv" (which score does not
// write), or "" when it says nothing (no -o, "-", another extension).
std::string FormatOfOutputName(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  const size_t dot = path.find_last_of('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return "";
  const std::string ext = absl::AsciiStrToLower(absl::string_view(path).substr(dot + 1));
  if (ext == "csv" || ext == "tsv") return ext;
  if (ext == "jsonl" || ext == "ndjson") return "jsonl";
  return "";
}

int RunScore(ScoreFlags flags) {
  if (!flags.format_given) {
    // Without --format, -o scores.csv gets CSV (it got JSON Lines under that name).
    const std::string wanted = FormatOfOutputName(flags.output);
    if (wanted == "tsv") {
      return UsageErrorOf(
          "score", absl::StrCat("-o ", flags.output,
                                ": score writes jsonl or csv, not TSV; give --format or "
                                "another name"));
    }
    if (!wanted.empty()) flags.format = wanted;
  }
  if (absl::Status s = CheckModelStdin(flags.model, flags.input == "-", "the posts");
      !s.ok()) {
    return UsageErrorOf("score", s.message());
  }
  // An output renamed over an input (or the model) would replace it: refused.
  for (const absl::Status& s :
       {CheckOutputIsNotInput("-o", flags.output, "input", flags.input),
        CheckOutputIsNotInput("-o", flags.output, "model", flags.model)}) {
    if (!s.ok()) {
      return UsageErrorOf("score", s.message());
    }
  }
  auto model = LoadModel(flags.model);
  if (!model.ok()) {
    PrintError(model.status().message());
    return kExitRuntimeError;
  }
  auto reader_options = ReaderOptionsFor(flags.in, flags.input);
  if (!reader_options.ok()) {
    return UsageErrorOf("score", reader_options.status().message());
  }
  auto output = OutputFile::Open(flags.output);
  if (!output.ok()) {
    PrintError(output.status().message());
    return kExitRuntimeError;
  }
  const bool csv = flags.format == "csv";
  PipelineOptions options;
  options.path = flags.input;
  options.reader = *reader_options;
  // Scoring never uses a label: a dump whose label column holds other words
  // ("promo", "maybe") is scored, not refused.
  options.reader.label_field.clear();
  options.threads = ThreadsToUse(flags.threads, HardwareThreads(), kMaxDefaultWorkers);
  options.threads_origin =
      ThreadsOrigin(flags.threads, options.threads, kMaxDefaultWorkers);
  options.skip_bad = flags.in.skip_bad;
  options.block_bytes = flags.block_kib << 10;
  const Classifier& classifier = **model;
  bool header_written = false;
  auto sink = [&](BlockOutput& out) -> absl::Status {
    if (csv && !header_written) {
      header_written = true;
      absl::Status status =
          (*output)->Write(flags.explain > 0 ? "id,spam_probability,verdict,clues\n"
                                             : "id,spam_probability,verdict\n");
      if (!status.ok()) return status;
    }
    return (*output)->Write(out.text);
  };
  Progress progress("score", std::nullopt);
  BadRecords bad;
  PipelineStats stats;
  absl::Status status = RunPipeline(
      options,
      [&]() -> std::unique_ptr<PostHandler> {
        return std::make_unique<ScoreHandler>(classifier, flags.explain, csv);
      },
      sink, &progress, &bad, &stats);
  progress.Finish();
  if (status.ok() && csv && !header_written)
    status = sink(*std::make_unique<BlockOutput>());
  if (!status.ok()) {
    if ((*output)->is_stdout()) {
      // Mark the output as cut short, so it cannot pass for a whole result. (An
      // error without a message is one made when memory ran out for it.)
      const absl::string_view message =
          status.message().empty() ? "out of memory" : status.message();
      std::string marker;
      if (csv) {
        // A row like the others, under the header (written first if no block was):
        // the message in the id column, no probability, and "error" for the verdict,
        // which no scored post has (an id could be anything).
        if (!header_written) sink(*std::make_unique<BlockOutput>()).IgnoreError();
        AppendCsvField(message, &marker);
        marker += flags.explain > 0 ? ",,error," : ",,error";
      } else {
        marker = "{\"error\":";
        AppendJsonString(message, &marker);
        marker.push_back('}');
      }
      marker.push_back('\n');
      (*output)->Write(marker).IgnoreError();
    }
    (*output)->Abort();
    PrintError(status.message());
    return kExitRuntimeError;
  }
  status = (*output)->Commit();
  if (!status.ok()) {
    PrintError(status.message());
    return kExitRuntimeError;
  }
  if (flags.in.skip_bad) bad.Report();
  return kExitOk;
}

}  // namespace

void AddScoreCommand(CLI::App& app) {
  auto flags = std::make_shared<ScoreFlags>();
  CLI::App* cmd = app.add_subcommand(
      "score",
      "Score a dump of posts: one line per record, in input order, with id, "
      "spam_probability and verdict (ham, unsure or spam)");
  cmd->add_option("input", flags->input,
                  "Dump to score: JSON Lines, CSV or TSV (\"-\" or none: standard input)")
      ->check(FileName());
  AddModelFlag(cmd, &flags->model);
  cmd->add_option("-o,--output", flags->output,
                  "Write here instead of standard output (appears only if the run "
                  "succeeds)")
      ->check(FileName());
  AddChoiceOption(cmd, "--format", &flags->format, {"jsonl", "csv"},
                  "Output format: jsonl or csv (default: from -o's extension: .csv is "
                  "csv, .tsv is refused, any other is jsonl)");
  AddIntegerOption(cmd, "--explain", &flags->explain, 0, 1000,
                   "Add the top K clues of each verdict, with the text they came from");
  AddIntegerOption(cmd, "-t,--threads", &flags->threads, 0, 1024,
                   absl::StrCat("Worker threads (default: all cores, at most ",
                                kMaxDefaultWorkers, "); output order is kept"));
  AddIntegerOption(cmd, "--block-kib", &flags->block_kib, 1, 65536,
                   "Input KiB per unit of work handed to a thread (tuning)")
      ->capture_default_str();
  AddInputFlags(cmd, &flags->in);
  // Taken, so that score runs with eval's flags, but read for nothing: a column it
  // names need not exist (RunScore clears the label field).
  flags->in.label_option->description(
      "Ignored: score reads no label (taken so that eval's flags work here too)");
  cmd->callback([flags, cmd] {
    flags->format_given = cmd->count("--format") > 0;
    ExitWith(RunScore(*flags));
  });
}

}  // namespace groupguard::cli
