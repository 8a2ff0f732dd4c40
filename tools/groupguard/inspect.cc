// `groupguard inspect`: a model's metadata, configuration and size.
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "commands.h"
#include "common.h"
#include "groupguard/trainer.h"
#include "metrics_text.h"
#include "util/printable.h"

namespace groupguard::cli {
namespace {

struct InspectFlags {
  std::string model;
};

const char* YesNo(bool b) { return b ? "yes" : "no"; }

// A text of the model file as it is, or, if it holds anything a terminal could act
// on (a model file is input: an escape sequence, a bidi control), quoted and escaped.
std::string Shown(absl::string_view text) {
  std::string shown = internal::Printable(text, 1000);
  if (shown == text) return shown;
  return absl::StrCat("\"", shown, "\"");
}

// Shown(text), or (none) for "": an empty field read as a line cut short. A text
// that is "(none)" itself is quoted.
std::string ShownOrNone(absl::string_view text) {
  if (text.empty()) return "(none)";
  if (text == "(none)") return "\"(none)\"";
  return Shown(text);
}

int RunInspect(const InspectFlags& flags) {
  auto model = LoadModel(flags.model);
  if (!model.ok()) {
    PrintError(model.status().message());
    return kExitRuntimeError;
  }
  const ModelInfo& i = (*model)->info();
  int64_t bytes =
      i.file_bytes > 0 ? i.file_bytes : static_cast<int64_t>(DefaultModelBytes().size());
  std::string s;
  absl::StrAppendFormat(&s, "model:               %s\n",
                        flags.model.empty()  ? "built-in default model"
                        : flags.model == "-" ? "standard input"
                                             : internal::PrintableLine(flags.model));
  absl::StrAppendFormat(&s, "file size:           %d bytes (%.2f MiB)\n", bytes,
                        bytes / 1048576.0);
  absl::StrAppendFormat(&s, "format version:      %d\n", i.format_version);
  absl::StrAppendFormat(&s, "model type:          %s\n", i.model_type);
  absl::StrAppendFormat(&s, "written by:          groupguard %s\n",
                        Shown(i.library_version));
  absl::StrAppendFormat(&s, "date:                %s\n", ShownOrNone(i.date));
  absl::StrAppendFormat(&s, "description:         %s\n", ShownOrNone(i.description));
  absl::StrAppendFormat(
      &s, "data sources:        %s\n",
      i.data_sources.empty()
          ? "(none)"
          : absl::StrJoin(i.data_sources, ", ",
                          [](std::string* out, const std::string& source) {
                            out->append(Shown(source));
                          }));
  absl::StrAppendFormat(&s, "hyperparameters:     %s\n", ShownOrNone(i.hyperparameters));
  absl::StrAppendFormat(&s, "training posts:      %d (%d spam)\n", i.train_posts,
                        i.train_spam);
  // With the refit the validation posts are among the training posts: said so, so
  // they do not read as posts besides them.
  const bool refit = absl::StrContains(i.hyperparameters, "refit_on_all=1") &&
                     !absl::StrContains(i.hyperparameters, "refit_dropped=1");
  absl::StrAppendFormat(
      &s, "validation posts:    %d (%d spam)%s\n", i.validation_posts, i.validation_spam,
      i.validation_posts == 0 ? ""
      : refit                 ? ", held out, then among the training posts (refit on all)"
                              : ", held out (not among the training posts)");
  // Chosen on the validation ham (without a validation split, on the training ham).
  const bool validated = i.validation_posts > 0;
  const int64_t threshold_ham =
      validated ? i.validation_posts - i.validation_spam : i.train_posts - i.train_spam;
  absl::StrAppendFormat(&s, "thresholds:          unsure >= %.6f, spam >= %.6f, %s\n",
                        i.unsure_threshold, i.spam_threshold,
                        ThresholdBasis(i.unsure_target_ham_rate, i.spam_target_ham_rate,
                                       threshold_ham, validated));
  if (std::string few = FewHamWarning(i.unsure_target_ham_rate, threshold_ham, validated);
      !few.empty()) {
    absl::StrAppendFormat(&s, "                     warning: %s\n", few);
  }
  // The verdicts of the ham they were chosen on.
  const ConfusionMatrix& c =
      validated ? i.validation_metrics.confusion : i.train_metrics.confusion;
  if (std::string over = HamOverTargetWarning(
          i.unsure_target_ham_rate, i.spam_target_ham_rate, threshold_ham,
          c.ham_as_unsure + c.ham_as_spam, c.ham_as_spam, validated);
      !over.empty()) {
    absl::StrAppendFormat(&s, "                     warning: %s\n", over);
  }
  absl::StrAppendFormat(
      &s, "calibration:         P(spam) = 1 / (1 + exp(-(%.6f * score + %.6f)))\n",
      i.calibration_a, i.calibration_b);
  absl::StrAppendFormat(&s, "bias:                %.6f\n", i.bias);
  const FeatureOptions& f = i.features;
  absl::StrAppendFormat(
      &s,
      "features:            2^%d buckets (%d non-zero weights), seed "
      "0x%016x, unigrams %s, bigrams %s, char n-grams %d..%d, length %s, "
      "binary %s\n",
      f.hash_bits, i.nonzero_weights, f.hash_seed, YesNo(f.unigrams), YesNo(f.bigrams),
      f.char_ngram_min, f.char_ngram_max, YesNo(f.length_feature), YesNo(f.binary));
  const TokenizerOptions& t = i.tokenizer;
  absl::StrAppendFormat(&s,
                        "tokenizer:           homoglyphs %s, leet %s, max char run %d, "
                        "html %s, urls %s, max input %d bytes\n",
                        YesNo(t.fold_homoglyphs), YesNo(t.fold_leet), t.max_char_run,
                        YesNo(t.decode_html), YesNo(t.detect_urls), t.max_input_bytes);
  if (i.train_metrics.posts > 0) {
    s += "training split:\n";
    s += MetricsTable(i.train_metrics, 0.5, i.unsure_threshold, i.spam_threshold);
  }
  if (i.validation_metrics.posts > 0) {
    s += "validation split:\n";
    s += MetricsTable(i.validation_metrics, 0.5, i.unsure_threshold, i.spam_threshold);
  }
  if (absl::Status written = WriteStdout(s); !written.ok()) {
    PrintError(written.message());
    return kExitRuntimeError;
  }
  return kExitOk;
}

}  // namespace

void AddInspectCommand(CLI::App& app) {
  auto flags = std::make_shared<InspectFlags>();
  CLI::App* cmd = app.add_subcommand(
      "inspect", "Show a model's metadata, configuration, size and training figures");
  CLI::Option* file =
      cmd->add_option("model_file", flags->model,
                      "Model file (\"-\" = stdin; default: the built-in default model)")
          ->check(FileName());
  // Not both: given both, the one CLI11 read last was shown and the other ignored.
  cmd->add_option("-m,--model", flags->model, "Same as the positional argument")
      ->excludes(file)
      ->check(FileName());
  cmd->callback([flags] { ExitWith(RunInspect(*flags)); });
}

}  // namespace groupguard::cli
