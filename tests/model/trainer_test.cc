#include "groupguard/trainer.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "groupguard/classifier.h"
#include "groupguard/metrics.h"
#include "groupguard/post_reader.h"
#include "gtest/gtest.h"
#include "model/logistic.h"
#include "test_corpus.h"

namespace groupguard {
namespace {

using ::groupguard::testing::SyntheticCorpus;

TEST(TrainerTest, RejectsBadOptions) {
  TrainerOptions options;
  options.validation_fraction = 0.95;
  EXPECT_EQ(Trainer::Create(options).status().code(), absl::StatusCode::kInvalidArgument);
  options = TrainerOptions();
  options.naive_bayes.alpha = 0;
  EXPECT_FALSE(Trainer::Create(options).ok());
  options = TrainerOptions();
  options.spam_threshold_ham_rate = 0.05;  // above the unsure rate
  EXPECT_FALSE(Trainer::Create(options).ok());
  options = TrainerOptions();
  options.features.hash_bits = 30;
  EXPECT_FALSE(Trainer::Create(options).ok());
  options = TrainerOptions();
  options.logistic.l2 = -1;
  EXPECT_FALSE(Trainer::Create(options).ok());
  // The model's descriptive fields are bounded, so a model always fits its file.
  options = TrainerOptions();
  options.description.assign(TrainerOptions::kMaxMetadataBytes / 2, 'd');
  options.data_sources = {std::string(TrainerOptions::kMaxMetadataBytes / 2, 's')};
  EXPECT_TRUE(Trainer::Create(options).ok());
  options.date = "2026-11-26";
  const absl::Status status = Trainer::Create(options).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), ::testing::HasSubstr("at most 1048576"));
}

TEST(TrainerTest, NeedsBothClasses) {
  auto trainer = Trainer::Create(TrainerOptions());
  ASSERT_TRUE(trainer.ok());
  EXPECT_EQ((*trainer)->Train().status().code(), absl::StatusCode::kFailedPrecondition);
  (*trainer)->Add("hello there", false);
  (*trainer)->Add("see you", false);
  EXPECT_EQ((*trainer)->Train().status().code(), absl::StatusCode::kFailedPrecondition);
  (*trainer)->Add("win cash", true);
  EXPECT_TRUE((*trainer)->Train().ok());  // tiny: trains and calibrates on everything
}

TEST(TrainerTest, ReportMatchesTheModel) {
  for (ModelType type :
       {ModelType::kNaiveBayes, ModelType::kLogistic, ModelType::kEnsemble}) {
    const TrainedModel model = groupguard::testing::TrainSynthetic(type, 600);
    const TrainingReport& r = model.report;
    EXPECT_EQ(r.train_posts, 600);  // refit on all posts after validation
    EXPECT_GT(r.validation_posts, 60);
    EXPECT_LT(r.validation_posts, 200);
    EXPECT_GT(r.validation.roc_auc, 0.95);
    EXPECT_GT(r.train.roc_auc, 0.95);
    EXPECT_LE(r.unsure_threshold, r.spam_threshold);
    auto c = Classifier::FromBytes(model.bytes);
    ASSERT_TRUE(c.ok());
    EXPECT_EQ((*c)->spam_threshold(), r.spam_threshold);
    EXPECT_EQ((*c)->info().validation_metrics.roc_auc, r.validation.roc_auc);
    EXPECT_EQ((*c)->info().validation_metrics.confusion.ham_as_spam,
              r.validation.confusion.ham_as_spam);
    if (type != ModelType::kNaiveBayes) EXPECT_GT(r.iterations, 0);
  }
}

// The tf-idf naive Bayes component is scored with 1/sqrt(count) scaling: the
// classifier must reproduce the trainer's validation figures exactly.
TEST(TrainerTest, TfidfNaiveBayesReportMatchesTheModel) {
  TrainerOptions options;
  options.naive_bayes.tfidf = true;
  for (ModelType type : {ModelType::kNaiveBayes, ModelType::kEnsemble}) {
    const TrainedModel model = groupguard::testing::TrainSynthetic(type, 600, options);
    const TrainingReport& r = model.report;
    EXPECT_EQ(r.train_posts, 600);
    EXPECT_GT(r.validation.roc_auc, 0.95);
    auto c = Classifier::FromBytes(model.bytes);
    ASSERT_TRUE(c.ok());
    EXPECT_EQ((*c)->info().validation_metrics.roc_auc, r.validation.roc_auc);
    EXPECT_EQ((*c)->info().validation_metrics.log_loss, r.validation.log_loss);
    EXPECT_THAT((*c)->info().hyperparameters, ::testing::HasSubstr("tfidf=1"));
    EXPECT_NE(model.bytes, groupguard::testing::TrainSynthetic(type, 600).bytes);
  }
}

TEST(TrainerTest, ThresholdsMeetTheirHamRatesOnValidation) {
  TrainerOptions options;
  options.spam_threshold_ham_rate = 0.0;
  options.unsure_threshold_ham_rate = 0.05;
  options.refit_on_all = false;
  const TrainedModel model =
      groupguard::testing::TrainSynthetic(ModelType::kLogistic, 900, options);
  const ConfusionMatrix& m = model.report.validation.confusion;
  const int64_t ham = m.ham_as_ham + m.ham_as_unsure + m.ham_as_spam;
  ASSERT_GT(ham, 100);
  EXPECT_EQ(m.ham_as_spam, 0);
  EXPECT_LE(m.ham_as_unsure + m.ham_as_spam, ham * 5 / 100);
  // The report counts the ham the thresholds block, as the verdicts do.
  EXPECT_EQ(model.report.threshold_ham, ham);
  EXPECT_EQ(model.report.threshold_ham_at_spam, m.ham_as_spam);
  EXPECT_EQ(model.report.threshold_ham_at_unsure, m.ham_as_unsure + m.ham_as_spam);
}

// Platt scaling of scores that are all far from 0 (a strongly regularized logistic
// component weighed by its own steep Platt slope gives such ensemble scores): from
// the identity map sigmoid(score) is saturated, so the fit must not give up there and
// return the identity map (every probability ~1e-260).
TEST(PlattTest, FitsScoresFarFromZero) {
  std::vector<double> scores;
  std::vector<bool> is_spam;
  for (int i = 0; i < 200; ++i) {
    const bool spam = i % 4 == 0;
    scores.push_back(-600 + (spam ? 0.5 : -0.5) + 0.001 * (i % 7));
    is_spam.push_back(spam);
  }
  double a = 0, b = 0;
  internal::FitPlatt(scores, is_spam, &a, &b);
  for (size_t i = 0; i < scores.size(); ++i) {
    const double p = 1 / (1 + std::exp(-(a * scores[i] + b)));
    if (is_spam[i]) {
      EXPECT_GT(p, 0.9) << i;
    } else {
      EXPECT_LT(p, 0.1) << i;
    }
  }
}

// The same through the trainer: an ensemble with the strongest documented L2 penalty
// (10) still calls the synthetic spam spam at its own thresholds.
TEST(TrainerTest, EnsembleWithStrongL2IsCalibrated) {
  TrainerOptions options;
  options.logistic.l2 = 10;
  options.refit_on_all = false;  // the refit's own problem is another matter
  const TrainedModel model =
      groupguard::testing::TrainSynthetic(ModelType::kEnsemble, 600, options);
  ASSERT_FALSE(model.bytes.empty());
  const BinaryMetrics& v = model.report.validation;
  ASSERT_GT(v.spam, 20);
  EXPECT_GT(model.report.spam_threshold, 0.01);
  EXPECT_GT(v.recall, 0.8);
  EXPECT_GT(v.precision, 0.8);
}

// The fraction of SyntheticCorpus(n) that `model` labels right at 0.5.
double AccuracyOnSynthetic(const TrainedModel& model, int n) {
  auto classifier = Classifier::FromBytes(model.bytes);
  EXPECT_TRUE(classifier.ok()) << classifier.status();
  if (!classifier.ok()) return 0;
  int right = 0;
  const auto corpus = SyntheticCorpus(n);
  for (const auto& post : corpus) {
    right += ((*classifier)->SpamProbability(post.text) >= 0.5) == post.is_spam;
  }
  return static_cast<double>(right) / static_cast<double>(corpus.size());
}

TEST(TrainerTest, RefitThatBreaksTheCalibrationIsDropped) {
  // Strong L2 (scores spread by ~1e-4, a Platt slope of ~1e4) and a single
  // iteration: the refit on all posts moves every score by many logits, so the
  // calibration fitted before it would call nearly every post one class.
  TrainerOptions strong;
  strong.logistic.l2 = 10;
  TrainerOptions one_iteration;
  one_iteration.logistic.max_iterations = 1;
  for (const TrainerOptions& options : {strong, one_iteration}) {
    const TrainedModel model =
        groupguard::testing::TrainSynthetic(ModelType::kLogistic, 600, options);
    ASSERT_FALSE(model.bytes.empty());
    EXPECT_FALSE(model.report.refit);
    // Weights fitted the refit's way show it on posts they did not see, before the
    // refit is tried.
    EXPECT_FALSE(model.report.refit_check.transfers);
    EXPECT_GT(model.report.refit_check.log_loss,
              2 * model.report.refit_check.recalibrated_log_loss);
    EXPECT_GT(AccuracyOnSynthetic(model, 600), 0.9);
    auto classifier = Classifier::FromBytes(model.bytes);
    ASSERT_TRUE(classifier.ok()) << classifier.status();
    EXPECT_THAT((*classifier)->info().hyperparameters,
                ::testing::HasSubstr("refit_dropped=1"));
  }
  // The usual refit scores the validation posts, which it has now seen, better.
  for (ModelType type :
       {ModelType::kNaiveBayes, ModelType::kLogistic, ModelType::kEnsemble}) {
    const TrainedModel model = groupguard::testing::TrainSynthetic(type, 600);
    EXPECT_TRUE(model.report.refit) << ModelTypeName(type);
    EXPECT_TRUE(model.report.refit_check.transfers) << ModelTypeName(type);
    EXPECT_LT(model.report.refit_validation_log_loss, model.report.validation.log_loss);
    EXPECT_GT(AccuracyOnSynthetic(model, 600), 0.9);
  }
}

// When the validation log loss never improves on the starting weights (all 0, the
// bias at the prior log-odds), early stopping keeps iteration 0. The refit, and the
// check before it, must keep those weights: not fit 1 iteration, nor move the bias
// (the calibration saw one score; a model that spam outnumbers then called every
// post spam).
void ExpectIterationZeroThroughout(const std::vector<LabeledPost>& posts,
                                   ModelType type) {
  SCOPED_TRACE(ModelTypeName(type));
  TrainerOptions options;
  options.model_type = type;
  auto trainer = Trainer::Create(options);
  ASSERT_TRUE(trainer.ok()) << trainer.status();
  for (const LabeledPost& post : posts) (*trainer)->Add(post.text, post.is_spam);
  auto model = (*trainer)->Train();
  ASSERT_TRUE(model.ok()) << model.status();
  const TrainingReport& r = model->report;
  ASSERT_GT(r.validation_posts, 60);
  EXPECT_EQ(r.iterations, 0);
  EXPECT_GT(r.refit_check.posts, r.validation_posts);
  EXPECT_EQ(r.refit_check.iterations, 0);
  // Tried (kept or not by the validation posts' log loss) with 0 iterations.
  EXPECT_GT(r.refit_validation_log_loss, 0);
  EXPECT_EQ(r.refit_iterations, 0);
  auto classifier = Classifier::FromBytes(model->bytes);
  ASSERT_TRUE(classifier.ok()) << classifier.status();
  EXPECT_THAT((*classifier)->info().hyperparameters,
              ::testing::HasSubstr(" iterations=0 "));
  // Refit or not, the logistic weights are the starting ones: a logistic model
  // scores every post the same, under its thresholds, which lie above every
  // validation ham, and calls no post spam.
  if (type == ModelType::kLogistic) {
    EXPECT_EQ(r.validation.confusion.ham_as_spam, 0);
    EXPECT_EQ(r.train.confusion.ham_as_spam, 0);
    EXPECT_EQ((*classifier)->info().nonzero_weights, 0);
    const double p = (*classifier)->SpamProbability(posts[0].text);
    EXPECT_EQ((*classifier)->SpamProbability("a prize offer this weekend"), p);
    EXPECT_LT(p, r.unsure_threshold);
  }
}

TEST(TrainerTest, RefitKeepsIterationZero) {
  // Every text once as spam and once as ham (copies fall on one side of the split):
  // no feature tells them apart, and the starting weights are exactly the best.
  const char* const kWords[] = {"meeting", "lunch",   "offer", "prize",
                                "weekend", "invoice", "photo"};
  std::vector<LabeledPost> contradicting;
  for (int i = 0; i < 300; ++i) {
    const std::string text =
        absl::StrCat("post ", i, " about the ", kWords[i % 7], " and ", kWords[i % 5]);
    contradicting.push_back({text, true});
    contradicting.push_back({text, false});
  }
  // The synthetic corpus with labels drawn independently of the text (one in
  // `one_in` spam, or all but one in `one_in`): what the training split learns does
  // not hold on the validation split.
  auto shuffled = [](uint64_t seed, int n, int one_in, bool spam_majority) {
    std::vector<LabeledPost> posts;
    for (const auto& post : SyntheticCorpus(n)) {
      seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
      posts.push_back({post.text, ((seed >> 33) % one_in == 0) != spam_majority});
    }
    return posts;
  };
  for (ModelType type : {ModelType::kLogistic, ModelType::kEnsemble}) {
    ExpectIterationZeroThroughout(contradicting, type);
  }
  ExpectIterationZeroThroughout(shuffled(99, 600, 3, false), ModelType::kLogistic);
  ExpectIterationZeroThroughout(shuffled(108, 600, 3, false), ModelType::kEnsemble);
  ExpectIterationZeroThroughout(shuffled(119, 300, 4, true), ModelType::kLogistic);
}

// The usual refit runs the iterations early stopping kept, as the check before it.
TEST(TrainerTest, RefitRunsTheIterationsKept) {
  const TrainedModel model =
      groupguard::testing::TrainSynthetic(ModelType::kLogistic, 600);
  const TrainingReport& r = model.report;
  ASSERT_TRUE(r.refit);
  EXPECT_GT(r.iterations, 0);
  EXPECT_GT(r.refit_iterations, 0);
  EXPECT_LE(r.refit_iterations, r.iterations);
  EXPECT_GT(r.refit_check.iterations, 0);
  EXPECT_LE(r.refit_check.iterations, r.iterations);
}

TEST(TrainerTest, RemoveWorksForLogisticToo) {
  TrainerOptions options;
  options.model_type = ModelType::kLogistic;
  auto a = Trainer::Create(options);
  auto b = Trainer::Create(options);
  ASSERT_TRUE(a.ok() && b.ok());
  const auto corpus = SyntheticCorpus(150);
  for (const auto& post : corpus) {
    (*a)->Add(post.text, post.is_spam);
    (*b)->Add(post.text, post.is_spam);
  }
  (*a)->Add("an extra post", true);
  ASSERT_TRUE((*a)->Remove("an extra post", true).ok());
  EXPECT_EQ((*a)->Train()->bytes, (*b)->Train()->bytes);
}

// A word of its own for each number ("qbc" for 12): texts that differ only in it are
// not near-duplicates (numbers are shapes: "12" and "34" are one token).
std::string WordFor(int i) {
  std::string word = "q";
  for (char digit : std::to_string(i))
    word.push_back(static_cast<char>('a' + digit - '0'));
  return word;
}

// `spam` spam and `ham` ham texts, each written `variants` ways (case, spacing,
// punctuation: near-duplicates), the variants of a text one after the other.
std::vector<LabeledPost> NearDuplicates(int spam, int ham, int variants) {
  std::vector<LabeledPost> posts;
  for (int i = 0; i < spam + ham; ++i) {
    const bool is_spam = i < spam;
    const std::string base =
        absl::StrCat(is_spam ? "win a free prize " : "see you at lunch ", WordFor(i),
                     is_spam ? " claim it now" : " tomorrow then");
    const std::string forms[] = {
        base, absl::AsciiStrToUpper(base), absl::StrReplaceAll(base, {{" ", "   "}}),
        absl::StrCat(base, "!!! ..."), absl::StrCat("  ", base, ",")};
    for (int v = 0; v < variants; ++v) posts.push_back({forms[v % 5], is_spam});
  }
  return posts;
}

absl::StatusOr<TrainedModel> TrainOn(const std::vector<LabeledPost>& posts,
                                     TrainerOptions options) {
  auto trainer = Trainer::Create(options);
  if (!trainer.ok()) return trainer.status();
  for (const LabeledPost& post : posts) (*trainer)->Add(post.text, post.is_spam);
  return (*trainer)->Train();
}

TrainerOptions Grouped(ModelType type = ModelType::kNaiveBayes) {
  TrainerOptions options;
  options.model_type = type;
  options.grouped_validation = true;
  return options;
}

// The variants of a text are held out together, and each label's share of posts is:
// 50 spam texts x 4 = 200 posts, 40 of them (10 texts); 100 ham texts x 4, 80.
TEST(TrainerTest, GroupedValidationHoldsOutNearDuplicatesTogether) {
  const std::vector<LabeledPost> posts = NearDuplicates(50, 100, 4);
  for (ModelType type :
       {ModelType::kNaiveBayes, ModelType::kLogistic, ModelType::kEnsemble}) {
    for (uint64_t seed : {1, 2, 3}) {
      TrainerOptions options = Grouped(type);
      options.seed = seed;
      absl::StatusOr<TrainedModel> model = TrainOn(posts, options);
      ASSERT_TRUE(model.ok()) << model.status();
      const TrainingReport& r = model->report;
      EXPECT_EQ(r.validation_spam, 40) << ModelTypeName(type) << " seed " << seed;
      EXPECT_EQ(r.validation_posts, 120) << ModelTypeName(type) << " seed " << seed;
      // The refit check scores every post of the training split once.
      if (r.refit_check.posts > 0) EXPECT_EQ(r.refit_check.posts, 480);
      auto classifier = Classifier::FromBytes(model->bytes);
      ASSERT_TRUE(classifier.ok()) << classifier.status();
      EXPECT_THAT((*classifier)->info().hyperparameters,
                  ::testing::HasSubstr(" grouped_validation=1"));
    }
  }
  // 5 variants of 3 spam texts: one text (5 posts, not round(0.2 x 15) = 3) is the
  // spam of the validation split, as no smaller group fills the share.
  absl::StatusOr<TrainedModel> model = TrainOn(NearDuplicates(3, 40, 5), Grouped());
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_EQ(model->report.validation_spam, 5);
  EXPECT_EQ(model->report.validation_posts, 45);
}

// Small and skewed sets: each label is held out in proportion (round(0.2 x posts)),
// at least one post of a label with two, never all of it.
TEST(TrainerTest, GroupedValidationHoldsEachLabelsShare) {
  for (const auto& [spam, ham] : std::vector<std::pair<int, int>>{
           {2, 10}, {3, 40}, {7, 23}, {12, 88}, {9, 600}, {100, 13}}) {
    const std::vector<LabeledPost> posts = NearDuplicates(spam, ham, 1);
    const auto share = [](int n) {
      return std::clamp(static_cast<int>(std::llround(0.2 * n)), 1, n - 1);
    };
    for (uint64_t seed : {1, 7}) {
      TrainerOptions options = Grouped();
      options.seed = seed;
      absl::StatusOr<TrainedModel> model = TrainOn(posts, options);
      ASSERT_TRUE(model.ok()) << model.status();
      EXPECT_EQ(model->report.validation_spam, share(spam)) << spam << "/" << ham;
      EXPECT_EQ(model->report.validation_posts, share(spam) + share(ham))
          << spam << "/" << ham;
    }
  }
}

// The split depends on the posts and the seed, not on the order they came in.
TEST(TrainerTest, GroupedValidationIsTheSameInAnyOrder) {
  std::vector<LabeledPost> posts;
  for (const auto& post : SyntheticCorpus(400))
    posts.push_back({post.text, post.is_spam});
  const std::vector<LabeledPost> near = NearDuplicates(30, 60, 3);
  posts.insert(posts.end(), near.begin(), near.end());
  std::vector<LabeledPost> reordered(posts.rbegin(), posts.rend());
  std::rotate(reordered.begin(), reordered.begin() + 101, reordered.end());
  absl::StatusOr<TrainedModel> a = TrainOn(posts, Grouped());
  absl::StatusOr<TrainedModel> b = TrainOn(reordered, Grouped());
  ASSERT_TRUE(a.ok() && b.ok());
  // Naive Bayes counts are integers: the same split gives the same scores.
  EXPECT_EQ(a->report.validation_posts, b->report.validation_posts);
  EXPECT_EQ(a->report.validation_spam, b->report.validation_spam);
  EXPECT_EQ(a->report.validation.roc_auc, b->report.validation.roc_auc);
  EXPECT_NEAR(a->report.validation.log_loss, b->report.validation.log_loss, 1e-12);
  EXPECT_EQ(a->report.refit_check.posts, b->report.refit_check.posts);
  EXPECT_NEAR(a->report.refit_check.log_loss, b->report.refit_check.log_loss, 1e-12);
  // Another seed holds out other posts (as many of each label).
  TrainerOptions other = Grouped();
  other.seed = 2;
  absl::StatusOr<TrainedModel> c = TrainOn(posts, other);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->report.validation_posts, a->report.validation_posts);
  EXPECT_EQ(c->report.validation_spam, a->report.validation_spam);
  EXPECT_NE(c->report.validation.log_loss, a->report.validation.log_loss);
}

TEST(ModelTypeTest, NamesRoundTrip) {
  for (ModelType type :
       {ModelType::kNaiveBayes, ModelType::kLogistic, ModelType::kEnsemble}) {
    EXPECT_EQ(*ParseModelType(ModelTypeName(type)), type);
  }
  EXPECT_EQ(*ParseModelType("nb"), ModelType::kNaiveBayes);
  EXPECT_EQ(*ParseModelType("LR"), ModelType::kLogistic);
  EXPECT_EQ(ParseModelType("svm").status().code(), absl::StatusCode::kInvalidArgument);
}

// Trains with `options` on `train` (every post labeled) and returns the metrics of
// the trained model on `test`.
absl::StatusOr<BinaryMetrics> TrainAndEvaluate(const TrainerOptions& options,
                                               const std::vector<Post>& train,
                                               const std::vector<Post>& test) {
  auto trainer = Trainer::Create(options);
  if (!trainer.ok()) return trainer.status();
  for (const Post& post : train) {
    if (!post.is_spam.has_value()) {
      return absl::InvalidArgumentError(absl::StrCat("unlabeled post, line ", post.line));
    }
    (*trainer)->Add(post.text, *post.is_spam);
  }
  auto model = (*trainer)->Train();
  if (!model.ok()) return model.status();
  auto classifier = Classifier::FromBytes(model->bytes);
  if (!classifier.ok()) return classifier.status();
  std::vector<double> p;
  std::unique_ptr<bool[]> y(new bool[test.size()]);
  for (size_t i = 0; i < test.size(); ++i) {
    p.push_back((*classifier)->SpamProbability(test[i].text));
    y[i] = test[i].is_spam.value_or(false);
  }
  return Evaluate(p, absl::MakeConstSpan(y.get(), test.size()));
}

// The data test of issue 2: train on sms.train.jsonl, ROC AUC >= 0.98 on sms.test.jsonl.
class SmsDataTest : public ::testing::TestWithParam<ModelType> {};

TEST_P(SmsDataTest, ReachesRocAucOnTheTestSplit) {
  const std::string dir = absl::StrCat(GROUPGUARD_DATA_DIR, "/jsonl/");
  auto train = ReadPosts(dir + "sms.train.jsonl");
  auto test = ReadPosts(dir + "sms.test.jsonl");
  ASSERT_TRUE(train.ok()) << train.status();
  ASSERT_TRUE(test.ok()) << test.status();
  ASSERT_EQ(train->size(), 4460u);
  ASSERT_EQ(test->size(), 1114u);
  TrainerOptions options;
  options.model_type = GetParam();
  auto m = TrainAndEvaluate(options, *train, *test);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_GE(m->roc_auc, 0.98);
  EXPECT_GE(m->spam_caught_at_1pct_ham_blocked, 0.8);
}

// With tf-idf naive Bayes counts, naive Bayes and the ensemble meet the same bar.
TEST(SmsDataTfidfTest, ReachesRocAucOnTheTestSplit) {
  const std::string dir = absl::StrCat(GROUPGUARD_DATA_DIR, "/jsonl/");
  auto train = ReadPosts(dir + "sms.train.jsonl");
  auto test = ReadPosts(dir + "sms.test.jsonl");
  ASSERT_TRUE(train.ok()) << train.status();
  ASSERT_TRUE(test.ok()) << test.status();
  for (ModelType type : {ModelType::kNaiveBayes, ModelType::kEnsemble}) {
    TrainerOptions options;
    options.model_type = type;
    options.naive_bayes.tfidf = true;
    auto m = TrainAndEvaluate(options, *train, *test);
    ASSERT_TRUE(m.ok()) << m.status();
    EXPECT_GE(m->roc_auc, 0.98) << ModelTypeName(type);
    EXPECT_GE(m->spam_caught_at_1pct_ham_blocked, 0.8) << ModelTypeName(type);
  }
}

INSTANTIATE_TEST_SUITE_P(AllModels, SmsDataTest,
                         ::testing::Values(ModelType::kNaiveBayes, ModelType::kLogistic,
                                           ModelType::kEnsemble),
                         [](const ::testing::TestParamInfo<ModelType>& info) {
                           return std::string(ModelTypeName(info.param));
                         });


// The refit keeps the calibration fitted before it; that calibration must hold for
// weights fitted the refit's way on posts they did not see. tgspam with l2 = 0.1:
// the logistic component is near-constant (scores spread by 1e-2 around an
// intercept that is the log prior odds of its posts, calibrated with a slope of
// ~1e2), so the refit's class prior moves every score by logits, and naive Bayes,
// which memorizes the validation posts, keeps the in-sample check from seeing it
// (on datacamp, trained this way for the review that found it, the refit called 61
// of 99 test ham spam; 7 without it).
TEST(TrainerDataTest, RefitWhoseCalibrationDoesNotHoldIsDropped) {
  const std::string dir = absl::StrCat(GROUPGUARD_DATA_DIR, "/jsonl/");
  auto train = ReadPosts(dir + "tgspam.train.jsonl");
  auto test = ReadPosts(dir + "tgspam.test.jsonl");
  ASSERT_TRUE(train.ok()) << train.status();
  ASSERT_TRUE(test.ok()) << test.status();
  auto train_model = [&](double l2, bool refit) {
    TrainerOptions options;
    options.logistic.l2 = l2;
    options.refit_on_all = refit;
    options.date = "2026-11-25";
    auto trainer = Trainer::Create(options);
    EXPECT_TRUE(trainer.ok()) << trainer.status();
    if (!trainer.ok()) return TrainedModel();
    for (const Post& post : *train) (*trainer)->Add(post.text, post.is_spam.value_or(false));
    auto model = (*trainer)->Train();
    EXPECT_TRUE(model.ok()) << model.status();
    return model.ok() ? *std::move(model) : TrainedModel();
  };
  auto probabilities = [&](const TrainedModel& model) {
    std::vector<double> p;
    auto classifier = Classifier::FromBytes(model.bytes);
    EXPECT_TRUE(classifier.ok()) << classifier.status();
    if (!classifier.ok()) return p;
    for (const Post& post : *test) p.push_back((*classifier)->SpamProbability(post.text));
    return p;
  };

  const TrainedModel strong = train_model(0.1, /*refit=*/true);
  const RefitCheck& check = strong.report.refit_check;
  EXPECT_GT(check.posts, 300);
  EXPECT_FALSE(check.transfers);
  EXPECT_GT(check.log_loss, 2 * check.recalibrated_log_loss);
  EXPECT_FALSE(strong.report.refit);
  // Dropped: the model scores as one trained without the refit.
  EXPECT_EQ(probabilities(strong), probabilities(train_model(0.1, /*refit=*/false)));
  auto classifier = Classifier::FromBytes(strong.bytes);
  ASSERT_TRUE(classifier.ok()) << classifier.status();
  EXPECT_THAT((*classifier)->info().hyperparameters, ::testing::HasSubstr("refit_dropped=1"));

  // With the default L2 the calibration carries over and the refit is kept.
  const TrainedModel usual = train_model(TrainerOptions().logistic.l2, /*refit=*/true);
  EXPECT_TRUE(usual.report.refit_check.transfers);
  EXPECT_GT(usual.report.refit_check.posts, 300);
  EXPECT_LT(usual.report.refit_check.log_loss,
            1.15 * usual.report.refit_check.recalibrated_log_loss);
  EXPECT_TRUE(usual.report.refit);
  EXPECT_NE(probabilities(usual), probabilities(train_model(TrainerOptions().logistic.l2,
                                                            /*refit=*/false)));
}

}  // namespace
}  // namespace groupguard
