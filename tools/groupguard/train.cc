// `groupguard train`: labeled dumps -> a model file, with training and validation
// figures.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <memory>
#include <new>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "commands.h"
#include "common.h"
#include "groupguard/trainer.h"
#include "metrics_text.h"
#include "output_file.h"
#include "progress.h"
#include "threads.h"
#include "util/printable.h"

namespace groupguard::cli {
namespace {

struct TrainFlags {
  std::vector<std::string> inputs;
  std::string output;
  std::string model_type = std::string(ModelTypeName(TrainerOptions().model_type));
  std::vector<int> char_ngrams;
  bool no_bigrams = false;
  bool no_refit = false;
  bool no_normalize = false;
  bool no_binary = false;
  bool nb_tfidf = false;
  bool select = false;
  CrossValidationOptions cv;
  int threads = 0;  // --select's trainings at once; 0: all cores
  TrainerOptions options;
  InputFlags in;
};

// The settings `train --select` tries, on top of the other flags: each model type,
// with and without character n-grams (3 to 5) and, where naive Bayes takes part,
// with and without its tf-idf counts. Simplest first (a tie keeps the first).
struct Candidate {
  std::string flags;  // as the user would write them
  TrainerOptions options;
};

std::vector<Candidate> SelectionCandidates(const TrainerOptions& base) {
  std::vector<Candidate> out;
  for (ModelType type :
       {ModelType::kNaiveBayes, ModelType::kLogistic, ModelType::kEnsemble}) {
    for (bool tfidf : {false, true}) {
      if (tfidf && type == ModelType::kLogistic) continue;
      for (bool chars : {false, true}) {
        Candidate c;
        c.options = base;
        c.options.model_type = type;
        c.options.naive_bayes.tfidf = tfidf;
        c.options.features.char_ngram_min = chars ? 3 : 0;
        c.options.features.char_ngram_max = chars ? 5 : 0;
        c.flags =
            absl::StrCat("--model-type ", ModelTypeName(type), tfidf ? " --nb-tfidf" : "",
                         chars ? " --char-ngrams 3 5" : "");
        out.push_back(std::move(c));
      }
    }
  }
  return out;
}

// Counts the posts whose text repeats an earlier post's exactly, and the texts
// labeled both ways, for a note before training: copies weigh a text more (and
// fall on one side of the validation split), and a text with both labels is
// noise the model cannot learn from.
class TextCounts {
 public:
  void Add(absl::string_view text, bool is_spam) {
    uint8_t& labels = labels_[absl::HashOf(text)];
    if (labels != 0) ++copies_;
    const uint8_t bit = is_spam ? 2 : 1;
    if (labels != 0 && (labels & bit) == 0) ++both_;
    labels |= bit;
  }
  // "" when no text repeats.
  std::string Note(int64_t posts) const {
    if (copies_ == 0) return "";
    return absl::StrCat(
        both_ > 0 ? "warning: " : "note: ", copies_, " of the ", posts,
        " posts repeat an earlier post's text exactly",
        both_ > 0 ? absl::StrCat("; ", both_, " texts are labeled both spam and ham")
                  : std::string());
  }

 private:
  std::unordered_map<uint64_t, uint8_t> labels_;  // text hash -> 1 ham | 2 spam
  int64_t copies_ = 0;
  int64_t both_ = 0;
};

int RunTrain(TrainFlags& flags) {
  // Standard output carries the report; a binary model in it would spoil both.
  if (absl::Status s = CheckOutputIsNotReport("-o", flags.output, "the training report",
                                              "a model file");
      !s.ok()) {
    return UsageErrorOf("train", s.message());
  }
  // Standard input can be read once: a second "-" would read nothing.
  if (std::count(flags.inputs.begin(), flags.inputs.end(), "-") > 1) {
    return UsageErrorOf("train",
                        "\"-\" (standard input) is given twice; it can be read once");
  }
  // A model renamed over an input would replace it: refused.
  for (const std::string& input : flags.inputs) {
    if (absl::Status s = CheckOutputIsNotInput("-o", flags.output, "input", input);
        !s.ok()) {
      return UsageErrorOf("train", s.message());
    }
  }
  // Before reading and training (minutes with --select): a model that cannot be
  // written is better known at once.
  if (absl::Status writable = CheckReplaceable(flags.output); !writable.ok()) {
    PrintError(writable.message());
    return kExitRuntimeError;
  }
  TrainerOptions options = flags.options;
  auto type = ParseModelType(flags.model_type);
  if (!type.ok()) {
    return UsageErrorOf("train", type.status().message());
  }
  options.model_type = *type;
  if (flags.no_bigrams) options.features.bigrams = false;
  if (flags.no_refit) options.refit_on_all = false;
  if (flags.no_normalize) options.logistic.normalize = false;
  if (flags.no_binary) options.features.binary = false;
  if (flags.nb_tfidf) options.naive_bayes.tfidf = true;
  if (!flags.char_ngrams.empty()) {
    if (flags.char_ngrams.size() != 2) {
      return UsageErrorOf("train", "--char-ngrams takes MIN MAX");
    }
    // The trainer's range (FeatureOptions), checked here too so that the message
    // names the flag rather than the option fields.
    const int min = flags.char_ngrams[0], max = flags.char_ngrams[1];
    if (!(min == 0 && max == 0) && !(1 <= min && min <= max && max <= 8)) {
      return UsageErrorOf("train",
                          absl::StrCat("--char-ngrams ", min, " ", max,
                                       ": need 1 <= MIN <= MAX <= 8, or 0 0 for none"));
    }
    options.features.char_ngram_min = min;
    options.features.char_ngram_max = max;
  }
  if (options.spam_threshold_ham_rate > options.unsure_threshold_ham_rate) {
    // The trainer says "need 0 <= spam_threshold_ham_rate <= unsure_threshold_ham_rate
    // <= 1", which names neither flag nor the default the other one kept.
    return UsageErrorOf(
        "train",
        absl::StrCat("--spam-ham-rate ", options.spam_threshold_ham_rate,
                     " is above --unsure-ham-rate ", options.unsure_threshold_ham_rate,
                     ": the spam threshold may not block more ham than the "
                     "unsure one holds"));
  }
  // Only base names: the model file must not depend on where the data lived.
  options.data_sources.clear();
  size_t metadata_bytes = options.date.size() + options.description.size();
  for (const std::string& input : flags.inputs) {
    options.data_sources.push_back(BaseName(input));
    metadata_bytes += options.data_sources.back().size();
  }
  if (metadata_bytes > TrainerOptions::kMaxMetadataBytes) {
    // The trainer's limit, said in the command's terms rather than its fields'.
    return UsageErrorOf(
        "train", absl::StrCat("--date, --description and the input file names take ",
                              metadata_bytes, " bytes together; a model keeps at most ",
                              TrainerOptions::kMaxMetadataBytes));
  }
  // Without --select the posts go straight into the trainer; with it they are kept
  // (as text) for the cross-validation, then given to the chosen settings' trainer.
  // Either way the trainer checks the options first (the candidates differ from
  // them only in settings that are always valid).
  std::vector<LabeledPost> kept;
  auto trainer = Trainer::Create(options);
  if (!trainer.ok()) {
    return UsageErrorOf("train", trainer.status().message());
  }
  BadRecords bad;
  int64_t posts = 0, spam = 0;
  TextCounts texts;
  for (const std::string& input : flags.inputs) {
    auto reader_options = ReaderOptionsFor(flags.in, input);
    if (!reader_options.ok()) {
      return UsageErrorOf("train", reader_options.status().message());
    }
    auto reader = PostReader::Open(input, *reader_options);
    if (!reader.ok()) {
      PrintError(reader.status().message());
      return kExitRuntimeError;
    }
    Progress progress(absl::StrCat("train: reading ", BaseName(input)),
                      (*reader)->input_size());
    Post post;
    // Whether `post` holds the record being handled (else the next is being read):
    // out of memory names it (the library throws std::bad_alloc, as std::vector does).
    bool handling = false;
    try {
      for (;;) {
        handling = false;
        absl::StatusOr<bool> more = (*reader)->Next(&post);
        absl::Status status;
        if (more.ok()) {
          if (!*more) break;
          handling = true;
          if (post.is_spam.has_value()) {
            spam += *post.is_spam;
            texts.Add(post.text, *post.is_spam);
            if (flags.select) {
              kept.push_back({post.text, *post.is_spam});
            } else {
              (*trainer)->Add(post.text, *post.is_spam);
            }
            if ((++posts & 1023) == 0)
              progress.Update(posts, (*reader)->bytes_consumed());
            continue;
          }
          status = absl::InvalidArgumentError(
              absl::StrCat((*reader)->name(), ":", post.line,
                           ": no label (train needs labeled posts)"));
        } else {
          status = more.status();
        }
        if (status.code() != absl::StatusCode::kInvalidArgument) {
          PrintError(status.message());
          return kExitRuntimeError;
        }
        bad.Add(status.message());
        if (!flags.in.skip_bad) {
          progress.Finish();
          PrintError(status.message());
          return kExitRuntimeError;
        }
      }
    } catch (const std::bad_alloc&) {
      progress.Finish();
      PrintError(handling ? absl::StrCat((*reader)->name(), ":", post.line,
                                         ": out of memory handling this record (",
                                         post.text.size(), " bytes of text)")
                          : absl::StrCat((*reader)->name(),
                                         ": out of memory reading the record after ",
                                         posts, " posts"));
      return kExitRuntimeError;
    }
  }
  // Said before training, which may fail for want of the posts skipped.
  if (flags.in.skip_bad) bad.Report();
  if (const std::string note = texts.Note(posts); !note.empty()) PrintError(note);
  if (spam == 0 || spam == posts) {
    // Said here, naming the input, rather than by the trainer or the cross-validation
    // ("Trainer::Train needs both...", "... needs at least 5 distinct ham texts").
    std::vector<std::string> names;
    for (const std::string& input : flags.inputs) {
      names.push_back(input == "-" ? "<stdin>" : input);
    }
    PrintError(absl::StrCat(absl::StrJoin(names, ", "), ": ", spam, " spam and ",
                            posts - spam,
                            " ham posts; train needs both spam and ham posts"));
    return kExitRuntimeError;
  }
  std::string report;
  if (flags.select) {
    const std::vector<Candidate> candidates = SelectionCandidates(options);
    flags.cv.threads = ThreadsToUse(flags.threads, HardwareThreads(),
                                    CrossValidationOptions::kMaxThreads);
    flags.cv.seed = options.seed;
    const int trainings = flags.cv.repeats * flags.cv.folds;
    absl::StrAppendFormat(
        &report,
        "choosing settings by %d x %d-fold cross-validation on %d posts "
        "(mean over folds):\n",
        flags.cv.repeats, flags.cv.folds, kept.size());
    absl::StrAppend(&report, "  ROC AUC  caught@1%  settings\n");
    Progress progress("train: cross-validating settings", candidates.size() * trainings,
                      "trainings");
    size_t best = 0;
    std::vector<CrossValidationResult> results;
    for (size_t i = 0; i < candidates.size(); ++i) {
      auto result = CrossValidate(kept, candidates[i].options, flags.cv);
      if (!result.ok()) {
        progress.Finish();
        const std::string what =
            absl::StrCat("cross-validation failed: ", result.status().message());
        if (absl::IsInvalidArgument(result.status())) return UsageErrorOf("train", what);
        PrintError(what);
        return kExitRuntimeError;
      }
      if (result->threads == 1 && !result->threads_error.empty()) {
        // CrossValidate() trained on this thread alone and, a library, said nothing:
        // said here once, as score and eval say it; the rest run on this thread too.
        PrintError(absl::StrCat("note: cannot start a worker thread (",
                                ThreadsOrigin(flags.threads, flags.cv.threads,
                                              CrossValidationOptions::kMaxThreads),
                                "): ", result->threads_error,
                                "; working on the main thread"));
        flags.cv.threads = 1;
      }
      results.push_back(*result);
      if (result->roc_auc > results[best].roc_auc) best = i;
      progress.Update(static_cast<int64_t>(i + 1) * trainings, (i + 1) * trainings);
    }
    progress.Finish();
    for (size_t i = 0; i < candidates.size(); ++i) {
      absl::StrAppendFormat(&report, "   %.4f     %.3f   %s%s\n", results[i].roc_auc,
                            results[i].spam_caught_at_1pct_ham_blocked,
                            candidates[i].flags, i == best ? "   <- chosen" : "");
    }
    options = candidates[best].options;
    trainer = Trainer::Create(options);
    if (!trainer.ok()) {
      return UsageErrorOf("train", trainer.status().message());
    }
  }
  absl::StatusOr<TrainedModel> model;
  try {
    if (flags.select) {  // the chosen settings' trainer, on the posts kept
      for (const LabeledPost& p : kept) (*trainer)->Add(p.text, p.is_spam);
      kept.clear();
      kept.shrink_to_fit();
    }
    model = (*trainer)->Train();
  } catch (const std::bad_alloc&) {
    model = absl::ResourceExhaustedError(
        absl::StrCat("out of memory training on ", posts, " posts"));
  }
  if (!model.ok()) {
    PrintError(absl::StrCat("training failed: ", model.status().message()));
    return kExitRuntimeError;
  }
  absl::Status saved = model->Save(flags.output);
  if (!saved.ok()) {
    PrintError(saved.message());
    return kExitRuntimeError;
  }
  const TrainingReport& r = model->report;
  // The validation posts are held out, then (with the refit) trained on too: said
  // so, so they do not read as posts besides the training posts.
  const char* article = options.model_type == ModelType::kEnsemble ? "an" : "a";
  std::string s = report;
  if (r.validation_posts == 0) {
    absl::StrAppendFormat(
        &s, "trained %s %s model on %d posts (%d spam), no validation split\n", article,
        ModelTypeName(options.model_type), r.train_posts, r.train_spam);
  } else if (r.refit) {
    absl::StrAppendFormat(&s,
                          "trained %s %s model on %d posts (%d spam): validated on %d "
                          "held-out posts (%d spam), then refit on all %d\n",
                          article, ModelTypeName(options.model_type), r.train_posts,
                          r.train_spam, r.validation_posts, r.validation_spam,
                          r.train_posts);
  } else {
    absl::StrAppendFormat(&s,
                          "trained %s %s model on %d posts (%d spam), validated on %d "
                          "held-out posts (%d spam); not refit on all %d%s\n",
                          article, ModelTypeName(options.model_type), r.train_posts,
                          r.train_spam, r.validation_posts, r.validation_spam,
                          r.train_posts + r.validation_posts,
                          options.refit_on_all ? "" : " (--no-refit)");
  }
  if (options.model_type != ModelType::kNaiveBayes) {
    const bool alone = options.model_type == ModelType::kLogistic;
    absl::StrAppendFormat(
        &s, "iterations: %d%s\n", r.iterations,
        r.iterations > 0 ? ""
        : alone ? " (the validation log loss never improved on the starting weights: the "
                  "logistic weights are all 0, and every post scores the same)"
                : " (the validation log loss never improved on the starting weights: the "
                  "logistic weights are all 0)");
  }
  if (options.refit_on_all && r.validation_posts > 0 && !r.refit_check.transfers) {
    absl::StrAppendFormat(
        &s,
        "refit on all posts dropped: weights fitted its way score %d posts they did not "
        "see with log loss %.4f under the calibration it would keep (%.4f recalibrated, "
        "slope %.3f, intercept %.3f), so that calibration does not hold for it\n",
        r.refit_check.posts, r.refit_check.log_loss, r.refit_check.recalibrated_log_loss,
        r.refit_check.slope, r.refit_check.intercept);
  } else if (options.refit_on_all && r.validation_posts > 0) {
    absl::StrAppendFormat(
        &s,
        r.refit ? "refit on all posts: validation log loss %.4f before, %.4f after\n"
                : "refit on all posts dropped: it took the validation log loss from %.4f "
                  "to %.4f, so the calibration fitted before it does not hold for it\n",
        r.validation.log_loss, r.refit_validation_log_loss);
  }
  // The thresholds were chosen on the validation ham (without a validation split,
  // on the training ham).
  const bool validated = r.validation_posts > 0;
  const int64_t threshold_ham = validated ? r.validation.ham : r.train.ham;
  absl::StrAppendFormat(
      &s, "thresholds: unsure >= %.6f, spam >= %.6f, %s\n", r.unsure_threshold,
      r.spam_threshold,
      ThresholdBasis(options.unsure_threshold_ham_rate, options.spam_threshold_ham_rate,
                     threshold_ham, validated));
  const std::string few_ham =
      FewHamWarning(options.unsure_threshold_ham_rate, threshold_ham, validated);
  const std::string over_target = HamOverTargetWarning(
      options.unsure_threshold_ham_rate, options.spam_threshold_ham_rate, threshold_ham,
      r.threshold_ham_at_unsure, r.threshold_ham_at_spam, validated);
  absl::StrAppendFormat(&s, "wrote %s (%d bytes)\n",
                        internal::PrintableLine(flags.output), model->bytes.size());
  s += "training split:\n";
  s += MetricsTable(r.train, 0.5, r.unsure_threshold, r.spam_threshold);
  if (r.validation_posts > 0) {
    s += "validation split:\n";
    s += MetricsTable(r.validation, 0.5, r.unsure_threshold, r.spam_threshold);
  }
  if (absl::Status written = WriteStdout(s); !written.ok()) {
    PrintError(written.message());
    return kExitRuntimeError;
  }
  if (!few_ham.empty()) PrintError(absl::StrCat("warning: ", few_ham));
  if (!over_target.empty()) PrintError(absl::StrCat("warning: ", over_target));
  return kExitOk;
}

}  // namespace

void AddTrainCommand(CLI::App& app) {
  auto flags = std::make_shared<TrainFlags>();
  TrainerOptions& o = flags->options;
  CLI::App* cmd = app.add_subcommand(
      "train", "Train a model on one or more labeled dumps and write the model file");
  cmd->add_option("inputs", flags->inputs,
                  "Labeled dumps: JSON Lines, CSV or TSV, each read with the same "
                  "input flags (--text-field, --label-field, ...)")
      ->required()
      ->check(FileName());
  cmd->add_option("-o,--output", flags->output,
                  "Model file to write (not \"-\": standard output carries the report)")
      ->required()
      ->check(FileName());
  // Named values like --input-format's, read while the command line is: a type
  // ParseModelType() does not know is refused as "--model-type: svm is not
  // naive_bayes, logistic or ensemble". It also takes the short names and any case
  // ("nb", "LR"), which RunTrain() turns into the type.
  std::vector<std::string> model_types;
  for (ModelType type :
       {ModelType::kNaiveBayes, ModelType::kLogistic, ModelType::kEnsemble}) {
    model_types.emplace_back(ModelTypeName(type));
  }
  cmd->add_option("--model-type", flags->model_type,
                  "naive_bayes (nb), logistic (lr) or ensemble (nb+lr)")
      ->type_name(absl::StrCat("TEXT in {", absl::StrJoin(model_types, ","), "}"))
      ->check(CLI::Validator(
          [listed = OneOf(model_types)](std::string& value) -> std::string {
            return ParseModelType(value).ok() ? "" : listed(value);
          },
          ""))
      ->capture_default_str();
  // The ranges Trainer::Create() takes, checked here so that a value out of range is
  // a usage error naming the option, not one naming TrainerOptions' field.
  AddNumberAboveOption(cmd, "--alpha", &o.naive_bayes.alpha, 0, 100,
                       "Naive Bayes: additive smoothing")
      ->capture_default_str();
  cmd->add_flag(
      "--nb-tfidf", flags->nb_tfidf,
      "Naive Bayes: idf-weighted, length-normalized counts (Rennie et al. 2003)");
  AddNumberOption(cmd, "--l2", &o.logistic.l2, 0, 10, "Logistic: L2 penalty per post")
      ->capture_default_str();
  AddIntegerOption(cmd, "--max-iterations", &o.logistic.max_iterations, 1, 10000,
                   "Logistic: L-BFGS iterations at most")
      ->capture_default_str();
  AddIntegerOption(cmd, "--patience", &o.logistic.patience, 1, 10000,
                   "Logistic: stop after this many iterations without validation gain")
      ->capture_default_str();
  cmd->add_flag("--no-normalize", flags->no_normalize,
                "Logistic: do not scale feature vectors by 1/sqrt(#features)");
  AddIntegerOption(cmd, "--hash-bits", &o.features.hash_bits, 10, 26,
                   "log2 of the feature buckets")
      ->capture_default_str();
  cmd->add_flag("--no-bigrams", flags->no_bigrams, "No token-pair features");
  cmd->add_flag("--no-binary", flags->no_binary,
                "Count each feature once per occurrence, not once per post");
  AddIntegerOption(cmd, "--char-ngrams", &flags->char_ngrams, 0, 8,
                   "Character n-grams of words: MIN MAX, 1 <= MIN <= MAX <= 8 (0 0 = "
                   "off)")
      ->expected(2)
      ->allow_extra_args(false);  // exactly two: an input may follow the pair
  AddNumberOption(cmd, "--validation-fraction", &o.validation_fraction, 0, 0.9,
                  "Share held out for early stopping, calibration and thresholds")
      ->capture_default_str();
  cmd->add_flag("--grouped-validation", o.grouped_validation,
                "Hold out near-duplicates together and each label's share of posts");
  AddIntegerOption(cmd, "--seed", &o.seed, 0, std::numeric_limits<uint64_t>::max(),
                   "Seed of the validation split (and of --select's folds)")
      ->capture_default_str();
  cmd->add_flag("--no-refit", flags->no_refit,
                "Do not retrain on all posts after choosing thresholds");
  AddNumberOption(cmd, "--spam-ham-rate", &o.spam_threshold_ham_rate, 0.0, 1.0,
                  "Share of validation ham the spam threshold may block (at most "
                  "--unsure-ham-rate)")
      ->capture_default_str();
  AddNumberOption(cmd, "--unsure-ham-rate", &o.unsure_threshold_ham_rate, 0.0, 1.0,
                  "Share of validation ham the unsure threshold may hold")
      ->capture_default_str();
  CLI::Option* select = cmd->add_flag(
      "--select", flags->select,
      "Choose the model type, --nb-tfidf and --char-ngrams 3 5 by cross-validation on "
      "the "
      "training posts (best mean ROC AUC of the held-out folds), then train with them");
  select->excludes("--model-type")->excludes("--nb-tfidf")->excludes("--char-ngrams");
  // Checked here, not only by CrossValidate(): a usage error that names the flag,
  // before the input is read rather than after.
  AddIntegerOption(cmd, "--cv-folds", &flags->cv.folds, 2, 50, "--select: folds")
      ->needs(select)
      ->capture_default_str();
  AddIntegerOption(cmd, "--cv-repeats", &flags->cv.repeats, 1, 20,
                   "--select: cross-validations with differently seeded folds")
      ->needs(select)
      ->capture_default_str();
  AddIntegerOption(
      cmd, "-t,--threads", &flags->threads, 0, CrossValidationOptions::kMaxThreads,
      absl::StrCat("--select: trainings at once (default: all cores, at most ",
                   CrossValidationOptions::kMaxThreads, ")"))
      ->needs(select);
  cmd->add_option("--date", o.date, "Date written into the model (metadata)");
  cmd->add_option("--description", o.description, "Description written into the model");
  AddInputFlags(cmd, &flags->in);
  cmd->callback([flags] { ExitWith(RunTrain(*flags)); });
}

}  // namespace groupguard::cli
