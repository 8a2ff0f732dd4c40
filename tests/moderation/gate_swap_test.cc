// Gate::SetClassifier while posts are being submitted: every decision is made by one
// whole classifier (never a freed one), and a replaced classifier is destroyed once
// no Submit uses it and every thread that used it has submitted with another one or
// ended. Run under TSan and ASan by the sanitizer stages.

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "groupguard/clock.h"
#include "groupguard/event_store.h"
#include "groupguard/gate.h"
#include "groupguard/registry.h"
#include "gtest/gtest.h"
#include "moderation_test_util.h"

namespace groupguard {
namespace {

// Says `probability` for every text, and counts the calls made after its destructor
// began (there must be none).
class ConstantClassifier final : public testing::TestClassifier {
 public:
  ConstantClassifier(double probability, std::atomic<int>* live,
                     std::atomic<int>* calls_after_death)
      : probability_(probability), live_(live), calls_after_death_(calls_after_death) {
    live_->fetch_add(1);
  }
  ~ConstantClassifier() override {
    alive_.store(false);
    live_->fetch_sub(1);
  }
  double SpamProbability(absl::string_view) const override {
    // Some work between two checks, so a destruction while scoring shows.
    if (!alive_.load()) calls_after_death_->fetch_add(1);
    for (int i = 0; i < 200; ++i) spin_.fetch_add(1, std::memory_order_relaxed);
    if (!alive_.load()) calls_after_death_->fetch_add(1);
    return probability_;
  }

 private:
  // Names the classifier, so a hold reason shows which one gave its clues.
  std::vector<Clue> Clues(absl::string_view text) const override {
    SpamProbability(text);  // the same liveness checks
    return {Clue{absl::StrCat("p", probability_), 1.0, {}}};
  }

  const double probability_;
  std::atomic<bool> alive_{true};
  mutable std::atomic<int> spin_{0};
  std::atomic<int>* live_;
  std::atomic<int>* calls_after_death_;
};

TEST(GateSwapTest, ClassifierReplacedWhileSubmitting) {
  ManualClock clock;
  auto opened = Registry::Open(NewMemoryEventStore(), &clock, RegistryOptions());
  ASSERT_TRUE(opened.ok()) << opened.status();
  Registry& registry = **opened;
  ASSERT_TRUE(registry.CreateGroup("g").ok());
  ASSERT_TRUE(registry.Join("m", "g").ok());

  std::atomic<int> live{0};
  std::atomic<int> calls_after_death{0};
  Gate gate(&registry,
            std::make_shared<ConstantClassifier>(0.1, &live, &calls_after_death));
  constexpr int kSubmitters = 2;
  constexpr int kPostsEach = 3000;
  std::atomic<bool> done{false};
  std::atomic<int> odd{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kSubmitters; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPostsEach; ++i) {
        auto d = gate.Submit(Submission{absl::StrCat(t, "-", i), "m", "g", "text"});
        // One classifier publishes (0.1), the other holds (0.9, scoring again for
        // the clues): the action, the probability and the hold reason must all
        // come from the same one.
        const bool ok =
            d.ok() && d->spam_probability.has_value() &&
            ((*d->spam_probability == 0.1 && d->action == Decision::Action::kPublish) ||
             (*d->spam_probability == 0.9 && d->action == Decision::Action::kHold &&
              d->reasons.size() == 1 && d->reasons[0].spam_probability == 0.9 &&
              d->reasons[0].clues == std::vector<std::string>{"p0.9"}));
        if (!ok) odd.fetch_add(1);
      }
    });
  }
  std::thread swapper([&] {
    for (int i = 0; !done.load(); ++i) {
      // The gate holds the only reference: the replaced one dies as soon as no
      // Submit uses it.
      gate.SetClassifier(std::make_shared<ConstantClassifier>(i % 2 ? 0.1 : 0.9, &live,
                                                              &calls_after_death));
      std::this_thread::yield();
    }
  });
  for (auto& t : threads) t.join();
  done = true;
  swapper.join();
  EXPECT_EQ(odd.load(), 0);
  EXPECT_EQ(calls_after_death.load(), 0);
  EXPECT_EQ(live.load(), 1) << "replaced classifiers must be destroyed";
  gate.SetClassifier(nullptr);
  EXPECT_EQ(live.load(), 0);
  EXPECT_EQ(gate.classifier(), nullptr);
  auto d = gate.Submit(Submission{"last", "m", "g", "text"});
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_FALSE(d->spam_probability.has_value());
}

}  // namespace
}  // namespace groupguard
