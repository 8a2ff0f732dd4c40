// Trainer::Add, Train and Classifier::FromBytes with one allocation failing (or, memory
// staying out, that one and every later one), swept over every allocation they make
// (tests/alloc_counter.h): the std::bad_alloc comes out of the call, and the trainer is
// left whole. An Add that threw added nothing or the whole post (a model trained then is
// one of those two), a Train that threw changed nothing, and the trainer can be
// destroyed (absl::flat_hash_map, which a failed growth leaves corrupt, freed an invalid
// pointer here). A load that runs out throws or returns an error, never a classifier
// that is not whole, and what it made is freed cleanly (a parse that runs out must leave
// a message protobuf can destroy).

#include <memory>
#include <new>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "alloc_counter.h"
#include "groupguard/classifier.h"
#include "groupguard/trainer.h"
#include "gtest/gtest.h"

namespace groupguard {
namespace {

using ::groupguard::testing::AllocationFailurePending;
using ::groupguard::testing::FailAllocationOnThisThread;
using ::groupguard::testing::FailAllocationsFromOnThisThread;

struct Labeled {
  const char* text;
  bool is_spam;
};

const std::vector<Labeled>& Posts() {
  static const auto* posts = new std::vector<Labeled>{
      {"win a free prize now, click http://win.example.com", true},
      {"cheap pills online, buy now!!!", true},
      {"subscribe to my channel for free gift cards", true},
      {"great song, the chorus gets me every time", false},
      {"see you at the meeting tomorrow at ten", false},
      {"thanks for the help with the homework", false},
  };
  return *posts;
}

// A trainer of `type` holding Posts().
std::unique_ptr<Trainer> Filled(ModelType type) {
  TrainerOptions options;
  options.model_type = type;
  options.seed = 1;
  auto trainer = Trainer::Create(options);
  EXPECT_TRUE(trainer.ok()) << trainer.status();
  for (const Labeled& p : Posts()) (*trainer)->Add(p.text, p.is_spam);
  return *std::move(trainer);
}

std::string Model(const Trainer& trainer) {
  auto trained = trainer.Train();
  EXPECT_TRUE(trained.ok()) << trained.status();
  return trained.ok() ? trained->bytes : "";
}

// By model type, and whether memory stays out once it has run out (every later
// allocation fails too) or a single allocation fails.
class TrainerOutOfMemoryTest
    : public ::testing::TestWithParam<std::tuple<ModelType, bool>> {
 protected:
  ModelType type() const { return std::get<0>(GetParam()); }
  // Makes this thread's nth allocation from now fail (and, memory staying out,
  // every later one).
  void Arm(int64_t nth) const {
    if (std::get<1>(GetParam())) {
      FailAllocationsFromOnThisThread(nth);
    } else {
      FailAllocationOnThisThread(nth);
    }
  }
};

TEST_P(TrainerOutOfMemoryTest, AnAddThatRunsOutAddsTheWholePostOrNothing) {
  // Words enough that the counts' table grows while they are learned.
  std::string added_text = "free crypto giveaway, send 1 coin get 2 back:";
  for (int i = 0; i < 60; ++i) absl::StrAppend(&added_text, " word", i);
  const std::string without = Model(*Filled(type()));
  std::string with;
  {
    auto trainer = Filled(type());
    trainer->Add(added_text, true);
    with = Model(*trainer);
  }
  int64_t nth = 0;
  for (;; ++nth) {
    SCOPED_TRACE(absl::StrCat("allocation ", nth, " fails"));
    auto trainer = Filled(type());
    bool threw = false;
    {
      const testing::ScopedLeaksIgnored leaks_ignored;  // protobuf's, on running out
      Arm(nth);
      try {
        trainer->Add(added_text, true);
      } catch (const std::bad_alloc&) {
        threw = true;
      }
    }
    const bool failed = !AllocationFailurePending();
    FailAllocationOnThisThread(-1);
    if (!failed) break;
    // (A failed allocation may be done without, as std::stable_sort does its
    // buffer: then the call goes on and adds the post.)
    if (!threw) EXPECT_EQ(trainer->size(), static_cast<int64_t>(Posts().size()) + 1);
    const std::string model = Model(*trainer);
    if (trainer->size() == static_cast<int64_t>(Posts().size())) {
      EXPECT_TRUE(model == without);
    } else {
      EXPECT_EQ(trainer->size(), static_cast<int64_t>(Posts().size()) + 1);
      EXPECT_TRUE(model == with);
    }
  }
  EXPECT_GT(nth, 0);
}

TEST_P(TrainerOutOfMemoryTest, ATrainThatRunsOutChangesNothing) {
  auto trainer = Filled(type());
  const std::string model = Model(*trainer);
  int64_t nth = 0;
  for (;; ++nth) {
    SCOPED_TRACE(absl::StrCat("allocation ", nth, " fails"));
    bool threw = false;
    {
      const testing::ScopedLeaksIgnored leaks_ignored;  // protobuf's, on running out
      Arm(nth);
      try {
        (void)trainer->Train();
      } catch (const std::bad_alloc&) {
        threw = true;
      }
    }
    const bool failed = !AllocationFailurePending();
    FailAllocationOnThisThread(-1);
    if (!failed) break;
    (void)threw;  // either way, the trainer is as it was
    EXPECT_TRUE(Model(*trainer) == model);
  }
  EXPECT_GT(nth, 0);
}

TEST_P(TrainerOutOfMemoryTest, ALoadThatRunsOutReturnsNoClassifier) {
  const std::string model = Model(*Filled(type()));
  const char* const kText = "win a free prize now";
  auto clean = Classifier::FromBytes(model);
  ASSERT_TRUE(clean.ok()) << clean.status();
  const double expected = (*clean)->Score(kText).spam_probability;
  int64_t nth = 0;
  for (;; ++nth) {
    SCOPED_TRACE(absl::StrCat("allocation ", nth, " fails"));
    absl::StatusOr<std::unique_ptr<Classifier>> loaded;
    bool threw = false;
    {
      const testing::ScopedLeaksIgnored leaks_ignored;  // protobuf's, on running out
      Arm(nth);
      try {
        loaded = Classifier::FromBytes(model);
      } catch (const std::bad_alloc&) {
        threw = true;
      }
    }
    const bool failed = !AllocationFailurePending();
    FailAllocationOnThisThread(-1);
    if (!failed) {
      EXPECT_FALSE(threw);
      ASSERT_TRUE(loaded.ok()) << loaded.status();
      EXPECT_EQ((*loaded)->Score(kText).spam_probability, expected);
      break;
    }
    if (threw) continue;
    if (loaded.ok()) {
      // The allocation that failed could be done without: the classifier is whole.
      EXPECT_EQ((*loaded)->Score(kText).spam_probability, expected);
    } else {
      EXPECT_EQ(loaded.status().code(), absl::StatusCode::kResourceExhausted)
          << loaded.status();
    }
  }
  EXPECT_GT(nth, 0);
}

// Scoring keeps scratch between calls (per thread): a Score that runs out must not
// leave it so that the next Score answers differently. Each run on a new thread,
// whose scratch is made (and grown) by the Score swept; texts that take the fast
// paths and ones that do not (non-ASCII, URLs, digits, a long post), with clues too.
TEST_P(TrainerOutOfMemoryTest, AScoreThatRunsOutLeavesTheNextScoreAsItWas) {
  auto classifier = Classifier::FromBytes(Model(*Filled(type())));
  ASSERT_TRUE(classifier.ok()) << classifier.status();
  ScoreOptions with_clues;
  with_clues.max_clues = 8;
  std::string long_text;
  for (int i = 0; i < 400; ++i) absl::StrAppend(&long_text, "win cash now ", i, " ");
  for (const std::string text :
       {"win a free prize now", "WIN £1000 cash!!! visit http://win.example.com/now",
        "Ünïcödé tëxt ❤️ with 12345 digits and e-mail a@b.example",
        long_text.c_str()}) {
    SCOPED_TRACE(text.substr(0, 40));
    for (const ScoreOptions& options : {ScoreOptions(), with_clues}) {
      const Verdict expected = (*classifier)->Score(text, options);
      int64_t nth = 0;
      for (bool failed = true; failed; ++nth) {
        SCOPED_TRACE(absl::StrCat("allocation ", nth, " fails"));
        Verdict after;
        std::thread([&] {
          {
            const testing::ScopedLeaksIgnored leaks_ignored;
            Arm(nth);
            try {
              (void)(*classifier)->Score(text, options);
            } catch (const std::bad_alloc&) {
            }
          }
          failed = !AllocationFailurePending();
          FailAllocationOnThisThread(-1);
          after = (*classifier)->Score(text, options);
        }).join();
        EXPECT_EQ(after.spam_probability, expected.spam_probability);
        ASSERT_EQ(after.clues.size(), expected.clues.size());
        for (size_t i = 0; i < after.clues.size(); ++i) {
          EXPECT_EQ(after.clues[i].feature, expected.clues[i].feature);
          EXPECT_EQ(after.clues[i].spans, expected.clues[i].spans);
        }
      }
      EXPECT_GT(nth, 1) << "the first Score on a thread allocates its scratch";
    }
  }
}

// CrossValidate on the calling thread alone, and starting workers (whose own
// allocations do not fail: the injection is per thread): a fold that runs out is
// that fold's error, the rest (folds, thread starts, the result) may throw out of
// the call; never an end of the process (an exception on a worker, or past started
// threads unjoined), and figures it returns are the clean run's.
TEST_P(TrainerOutOfMemoryTest, ACrossValidationThatRunsOutEndsInAnErrorOrTheFigures) {
  std::vector<LabeledPost> posts;
  for (int copy = 0; copy < 3; ++copy) {
    for (const Labeled& p : Posts()) {
      posts.push_back({absl::StrCat(p.text, " ", copy), p.is_spam});
    }
  }
  TrainerOptions options;
  options.model_type = type();
  options.seed = 1;
  for (const int threads : {1, 3}) {
    SCOPED_TRACE(absl::StrCat(threads, " threads"));
    CrossValidationOptions cv;
    cv.folds = 3;
    cv.repeats = 1;
    cv.threads = threads;
    auto clean = CrossValidate(posts, options, cv);
    ASSERT_TRUE(clean.ok()) << clean.status();
    int64_t nth = 0;
    for (bool failed = true; failed; ++nth) {
      SCOPED_TRACE(absl::StrCat("allocation ", nth, " fails"));
      absl::StatusOr<CrossValidationResult> result;
      bool threw = false;
      {
        const testing::ScopedLeaksIgnored leaks_ignored;
        Arm(nth);
        try {
          result = CrossValidate(posts, options, cv);
        } catch (const std::bad_alloc&) {
          threw = true;
        }
      }
      failed = !AllocationFailurePending();
      FailAllocationOnThisThread(-1);
      if (threw) continue;
      if (result.ok()) {
        EXPECT_EQ(result->roc_auc, clean->roc_auc);
        EXPECT_EQ(result->fold_roc_auc, clean->fold_roc_auc);
      } else {
        EXPECT_EQ(result.status().code(), absl::StatusCode::kResourceExhausted)
            << result.status();
      }
    }
    EXPECT_GT(nth, 1);
  }
}

INSTANTIATE_TEST_SUITE_P(
    EveryModelType, TrainerOutOfMemoryTest,
    ::testing::Combine(::testing::Values(ModelType::kNaiveBayes, ModelType::kLogistic,
                                         ModelType::kEnsemble),
                       ::testing::Bool()),
    [](const ::testing::TestParamInfo<std::tuple<ModelType, bool>>& info) {
      return absl::StrCat(ModelTypeName(std::get<0>(info.param)),
                          std::get<1>(info.param) ? "_memory_stays_out" : "");
    });

}  // namespace
}  // namespace groupguard
