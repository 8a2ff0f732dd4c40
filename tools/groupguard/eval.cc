// `groupguard eval`: model + labeled dump -> metrics (table or JSON), ROC curve SVG.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "commands.h"
#include "common.h"
#include "groupguard/metrics.h"
#include "metrics_text.h"
#include "output_file.h"
#include "pipeline.h"
#include "progress.h"
#include "roc_svg.h"
#include "threads.h"

namespace groupguard::cli {
namespace {

struct EvalFlags {
  std::string input = "-";
  std::string model;
  bool json = false;
  std::string roc;
  double threshold = 0.5;
  std::vector<double> ham_rates;  // --ham-rate, besides 1% and 0.1%
  int threads = 0;
  InputFlags in;
};

class EvalHandler : public PostHandler {
 public:
  explicit EvalHandler(const Classifier& model) : model_(model) {}
  absl::Status Handle(const internal::PostView& post, BlockOutput* out) override {
    if (!post.is_spam.has_value()) {
      return absl::InvalidArgumentError(
          absl::StrCat(name_, post.line, ": no label (eval needs labeled posts)"));
    }
    out->probabilities.push_back(model_.SpamProbability(post.text));
    out->is_spam.push_back(*post.is_spam);
    return absl::OkStatus();
  }
  std::string name_;

 private:
  const Classifier& model_;
};

int RunEval(const EvalFlags& flags) {
  // Standard output carries the metrics: an SVG after them would be neither.
  if (absl::Status s =
          CheckOutputIsNotReport("--roc", flags.roc, "the metrics", "an SVG file");
      !s.ok()) {
    return UsageErrorOf("eval", s.message());
  }
  if (absl::Status s = CheckModelStdin(flags.model, flags.input == "-", "the posts");
      !s.ok()) {
    return UsageErrorOf("eval", s.message());
  }
  // An output renamed over an input (or the model) would replace it: refused.
  for (const absl::Status& s :
       {CheckOutputIsNotInput("--roc", flags.roc, "input", flags.input),
        CheckOutputIsNotInput("--roc", flags.roc, "model", flags.model)}) {
    if (!s.ok()) {
      return UsageErrorOf("eval", s.message());
    }
  }
  auto model = LoadModel(flags.model);
  if (!model.ok()) {
    PrintError(model.status().message());
    return kExitRuntimeError;
  }
  // A model's own training file gives figures of fit, not of accuracy on new posts:
  // said when the model's data sources name a file of the input's name.
  if (flags.input != "-") {
    const std::vector<std::string>& sources = (*model)->info().data_sources;
    const std::string base = BaseName(flags.input);
    if (std::find(sources.begin(), sources.end(), base) != sources.end()) {
      PrintError(absl::StrCat("warning: the model was trained on a file named ", base,
                              " (its data sources): if it is this one, these figures "
                              "measure fit, not accuracy on new posts"));
    }
  }
  auto reader_options = ReaderOptionsFor(flags.in, flags.input);
  if (!reader_options.ok()) {
    return UsageErrorOf("eval", reader_options.status().message());
  }
  // The picture's file is opened first, so an unwritable path fails before the work.
  std::unique_ptr<OutputFile> roc_file;
  if (!flags.roc.empty()) {
    auto out = OutputFile::Open(flags.roc);
    if (!out.ok()) {
      PrintError(out.status().message());
      return kExitRuntimeError;
    }
    roc_file = std::move(*out);
  }
  PipelineOptions options;
  options.path = flags.input;
  options.reader = *reader_options;
  options.threads = ThreadsToUse(flags.threads, HardwareThreads(), kMaxDefaultWorkers);
  options.threads_origin =
      ThreadsOrigin(flags.threads, options.threads, kMaxDefaultWorkers);
  options.skip_bad = flags.in.skip_bad;
  const Classifier& classifier = **model;
  std::vector<double> probabilities;
  std::vector<bool> is_spam;
  const std::string name =
      absl::StrCat(flags.input == "-" ? "<stdin>" : flags.input, ":");
  Progress progress("eval", std::nullopt);
  BadRecords bad;
  PipelineStats stats;
  absl::Status status = RunPipeline(
      options,
      [&]() -> std::unique_ptr<PostHandler> {
        auto handler = std::make_unique<EvalHandler>(classifier);
        handler->name_ = name;
        return handler;
      },
      [&](BlockOutput& out) -> absl::Status {
        probabilities.insert(probabilities.end(), out.probabilities.begin(),
                             out.probabilities.end());
        is_spam.insert(is_spam.end(), out.is_spam.begin(), out.is_spam.end());
        return absl::OkStatus();
      },
      &progress, &bad, &stats);
  progress.Finish();
  if (!status.ok()) {
    PrintError(status.message());
    return kExitRuntimeError;
  }
  if (flags.in.skip_bad) bad.Report();
  if (probabilities.empty()) {
    PrintError(absl::StrCat(flags.input == "-" ? "<stdin>" : flags.input,
                            ": no labeled posts to evaluate"));
    return kExitRuntimeError;
  }
  EvaluationOptions eval_options;
  eval_options.decision_threshold = flags.threshold;
  eval_options.unsure_threshold = classifier.unsure_threshold();
  eval_options.spam_threshold = classifier.spam_threshold();
  std::unique_ptr<bool[]> labels(new bool[is_spam.size()]);
  for (size_t i = 0; i < is_spam.size(); ++i) labels[i] = is_spam[i];
  absl::Span<const bool> label_span(labels.get(), is_spam.size());
  auto metrics = Evaluate(probabilities, label_span, eval_options);
  if (!metrics.ok()) {
    PrintError(metrics.status().message());
    return kExitRuntimeError;
  }
  // Checked before anything is printed: a run that fails prints no metrics.
  if (!flags.roc.empty() && (metrics->spam == 0 || metrics->ham == 0)) {
    PrintError(absl::StrCat(flags.input == "-" ? "<stdin>" : flags.input,
                            ": cannot draw an ROC curve: ", metrics->spam, " spam and ",
                            metrics->ham, " ham posts (it needs both)"));
    return kExitRuntimeError;
  }
  // The thresholds behind "spam caught at x% ham blocked": 1%, 0.1%, then the
  // rates asked for.
  std::vector<double> rates = {0.01, 0.001};
  rates.insert(rates.end(), flags.ham_rates.begin(), flags.ham_rates.end());
  const std::vector<RocPoint> curve = RocCurve(probabilities, label_span);
  const std::vector<HamRateFigure> figures = HamRateFigures(curve, metrics->ham, rates);
  std::string text;
  if (flags.json) {
    text =
        absl::StrCat(MetricsJson(*metrics, flags.threshold, eval_options.unsure_threshold,
                                 eval_options.spam_threshold, figures),
                     "\n");
  } else {
    text = absl::StrCat(
        "evaluation of ", flags.model.empty() ? "the default model" : flags.model, " on ",
        flags.input == "-" ? "<stdin>" : flags.input, "\n",
        MetricsTable(*metrics, flags.threshold, eval_options.unsure_threshold,
                     eval_options.spam_threshold, figures));
  }
  if (absl::Status written = WriteStdout(text); !written.ok()) {
    PrintError(written.message());
    return kExitRuntimeError;
  }
  if (!flags.roc.empty()) {
    std::string svg =
        RocSvg(curve, metrics->roc_auc, absl::StrCat("ROC curve: ", flags.input));
    absl::Status st = roc_file->Write(svg);
    if (st.ok()) st = roc_file->Commit();
    if (!st.ok()) {
      PrintError(st.message());
      return kExitRuntimeError;
    }
  }
  return kExitOk;
}

}  // namespace

void AddEvalCommand(CLI::App& app) {
  auto flags = std::make_shared<EvalFlags>();
  CLI::App* cmd = app.add_subcommand(
      "eval",
      "Evaluate a model on a labeled dump: ROC AUC, spam caught at 1% and 0.1% "
      "ham blocked (and the P(spam) threshold that does it), accuracy, precision, "
      "recall, F1, confusion matrix");
  cmd->add_option("input", flags->input,
                  "Labeled dump: JSON Lines, CSV or TSV (\"-\" or none: standard input)")
      ->check(FileName());
  AddModelFlag(cmd, &flags->model);
  cmd->add_flag("--json", flags->json, "Print one JSON object instead of a table");
  cmd->add_option(
         "--roc", flags->roc,
         "Also draw the ROC curve into this SVG file (not \"-\": standard output "
         "carries the metrics)")
      ->check(FileName());
  AddNumberOption(cmd, "--threshold", &flags->threshold, 0.0, 1.0,
                  "P(spam) at which accuracy, precision, recall and F1 call a post spam")
      ->capture_default_str();
  AddNumberOption(cmd, "--ham-rate", &flags->ham_rates, 0.0, 1.0,
                  "Also report the spam caught, and the P(spam) threshold, when at most "
                  "this share of ham (0..1) is blocked; may be repeated")
      // One value per occurrence (--ham-rate 0.1 --ham-rate 0.2), all kept. As a
      // vector option's default, it showed "..." in the help, as if it took several
      // (expected(1) alone drops that, but then each occurrence ate every word up to
      // the next option unless allow_extra_args is off).
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  AddIntegerOption(cmd, "-t,--threads", &flags->threads, 0, 1024,
                   absl::StrCat("Worker threads (default: all cores, at most ",
                                kMaxDefaultWorkers, ")"));
  AddInputFlags(cmd, &flags->in);
  cmd->callback([flags] { ExitWith(RunEval(*flags)); });
}

}  // namespace groupguard::cli
