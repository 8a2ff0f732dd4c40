#include "groupguard/gate.h"

#include <pthread.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "../store/store_test_util.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "groupguard/clock.h"
#include "groupguard/event_store.h"
#include "groupguard/registry.h"
#include "gtest/gtest.h"
#include "moderation_test_util.h"

namespace groupguard {
namespace {

using ::testing::ElementsAre;
using Action = Decision::Action;
using Kind = HoldReason::Kind;

class GateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto r = Registry::Open(NewMemoryEventStore(), &clock_, RegistryOptions());
    ASSERT_TRUE(r.ok()) << r.status();
    registry_ = std::move(r).value();
    registry_->Subscribe(recorder_.AsSubscriber());
    ASSERT_TRUE(registry_->CreateGroup("cats").ok());
    ASSERT_TRUE(registry_->CreateGroup("dogs").ok());
    ASSERT_TRUE(registry_->AddModerator("cats", "mod").ok());
    ASSERT_TRUE(registry_->Join("alice", "cats").ok());
    ASSERT_TRUE(registry_->Join("alice", "dogs").ok());
    ASSERT_TRUE(registry_->Join("bob", "cats").ok());
  }

  Decision Submit(const Gate& gate, const std::string& id, const std::string& member,
                  const std::string& group, const std::string& text) {
    auto d = gate.Submit(Submission{id, member, group, text});
    EXPECT_TRUE(d.ok()) << d.status();
    return d.ok() ? *d : Decision();
  }

  ManualClock clock_;
  testing::FakeClassifier classifier_;
  testing::EventRecorder recorder_;
  std::unique_ptr<Registry> registry_;
};

TEST_F(GateTest, PublishesHamHoldsSpamWithClues) {
  Gate gate(registry_.get(), &classifier_);
  Decision ham = Submit(gate, "p1", "bob", "cats", "nice cat");
  EXPECT_EQ(ham.action, Action::kPublish);
  EXPECT_TRUE(ham.reasons.empty());
  EXPECT_EQ(ham.spam_probability, 0.05);
  Decision spam = Submit(gate, "p2", "bob", "cats", "cheap spam here");
  EXPECT_EQ(spam.action, Action::kHold);
  ASSERT_EQ(spam.reasons.size(), 1u);
  EXPECT_EQ(spam.reasons[0].kind, Kind::kClassifier);
  EXPECT_EQ(spam.reasons[0].label, Label::kSpam);
  EXPECT_EQ(spam.reasons[0].spam_probability, 0.95);
  EXPECT_THAT(spam.reasons[0].clues, ElementsAre("spam"));
  auto q = registry_->ListQueue("mod", "cats");
  ASSERT_TRUE(q.ok());
  ASSERT_EQ(q->size(), 1u);
  EXPECT_EQ((*q)[0].post.id, "p2");
  EXPECT_EQ((*q)[0].post.time, clock_.Now());  // unset time = submission time
  EXPECT_EQ((*q)[0].reasons[0].kind, Kind::kClassifier);
  EXPECT_THAT(recorder_.types(), ElementsAre(ModerationEvent::Type::kPostHeld));
}

TEST_F(GateTest, UnsureIsHeldOnlyIfThePolicySaysSo) {
  Gate gate(registry_.get(), &classifier_);
  Decision held = Submit(gate, "p1", "bob", "cats", "maybe buy");
  EXPECT_EQ(held.action, Action::kHold);
  EXPECT_EQ(held.reasons[0].label, Label::kUnsure);
  GroupPolicy lenient;
  lenient.hold_unsure = false;
  ASSERT_TRUE(registry_->SetGroupPolicy("mod", "cats", lenient).ok());
  EXPECT_EQ(Submit(gate, "p2", "bob", "cats", "maybe buy").action, Action::kPublish);
}

// A hold threshold above the model's spam threshold does not publish what the model
// calls spam while it holds what it calls unsure: holding grows with P(spam).
TEST_F(GateTest, HoldingUnsureAlsoHoldsSpamBelowTheHoldThreshold) {
  Gate gate(registry_.get(), &classifier_);
  GroupPolicy p;
  p.hold_threshold = 0.99;  // above "spam"'s 0.95
  ASSERT_TRUE(registry_->SetGroupPolicy("mod", "cats", p).ok());
  EXPECT_EQ(Submit(gate, "p1", "bob", "cats", "maybe buy").action, Action::kHold);
  const Decision spam = Submit(gate, "p2", "bob", "cats", "cheap spam here");
  EXPECT_EQ(spam.action, Action::kHold);
  ASSERT_EQ(spam.reasons.size(), 1u);
  EXPECT_EQ(spam.reasons[0].label, Label::kSpam);
  EXPECT_EQ(Submit(gate, "p3", "bob", "cats", "nice cat").action, Action::kPublish);
}

TEST_F(GateTest, ThresholdsToHoldAndReject) {
  Gate gate(registry_.get(), &classifier_);
  GroupPolicy p;
  p.hold_threshold = 0.99;  // 0.95 is below: not held by score
  p.hold_unsure = false;
  ASSERT_TRUE(registry_->SetGroupPolicy("mod", "cats", p).ok());
  EXPECT_EQ(Submit(gate, "p1", "bob", "cats", "spam").action, Action::kPublish);
  p.hold_threshold = 0.3;
  ASSERT_TRUE(registry_->SetGroupPolicy("mod", "cats", p).ok());
  EXPECT_EQ(Submit(gate, "p2", "bob", "cats", "maybe").action, Action::kHold);
  p.reject_threshold = 0.9;
  ASSERT_TRUE(registry_->SetGroupPolicy("mod", "cats", p).ok());
  Decision d = Submit(gate, "p3", "bob", "cats", "spam");
  EXPECT_EQ(d.action, Action::kReject);
  ASSERT_EQ(d.reasons.size(), 1u);
  EXPECT_EQ(d.reasons[0].kind, Kind::kClassifier);
  // A rejected post is not queued.
  auto q = registry_->ListQueue("mod", "cats");
  ASSERT_TRUE(q.ok());
  ASSERT_EQ(q->size(), 1u);
  EXPECT_EQ((*q)[0].post.id, "p2");
}

TEST_F(GateTest, ProbationHoldsEvenHamWithReasons) {
  Gate gate(registry_.get(), &classifier_);
  const absl::Time t0 = clock_.Now();
  ASSERT_TRUE(registry_->Flag("mod", "alice", "cats", "spammer", absl::Hours(10)).ok());
  clock_.Advance(absl::Minutes(1));
  Decision d = Submit(gate, "p1", "alice", "dogs", "nice dog");
  EXPECT_EQ(d.action, Action::kHold);
  ASSERT_EQ(d.reasons.size(), 1u);
  EXPECT_EQ(d.reasons[0].kind, Kind::kProbation);
  EXPECT_EQ(d.reasons[0].probation_since, t0);
  EXPECT_EQ(d.reasons[0].probation_until, t0 + absl::Hours(10));
  EXPECT_THAT(d.reasons[0].flagged_from, ElementsAre("cats"));
  // Spam from a member on probation carries both reasons.
  Decision both = Submit(gate, "p2", "alice", "cats", "spam");
  EXPECT_EQ(both.action, Action::kHold);
  ASSERT_EQ(both.reasons.size(), 2u);
  EXPECT_EQ(both.reasons[0].kind, Kind::kProbation);
  EXPECT_EQ(both.reasons[1].kind, Kind::kClassifier);
  // After expiry ham is published again.
  clock_.Advance(absl::Hours(10));
  EXPECT_EQ(Submit(gate, "p3", "alice", "dogs", "nice dog").action, Action::kPublish);
}

TEST_F(GateTest, GroupMayChooseNotToHoldOnProbation) {
  Gate gate(registry_.get(), &classifier_);
  ASSERT_TRUE(registry_->Flag("mod", "alice", "cats", "spammer").ok());
  GroupPolicy p;
  p.hold_on_probation = false;
  ASSERT_TRUE(registry_->SetGroupPolicy("mod", "cats", p).ok());
  EXPECT_EQ(Submit(gate, "p1", "alice", "cats", "hello").action, Action::kPublish);
  EXPECT_EQ(Submit(gate, "p2", "alice", "dogs", "hello").action, Action::kHold);
}

TEST_F(GateTest, WithoutClassifierOnlyProbationDecides) {
  Gate gate(registry_.get(), nullptr);
  Decision d = Submit(gate, "p1", "bob", "cats", "spam spam");
  EXPECT_EQ(d.action, Action::kPublish);
  EXPECT_FALSE(d.spam_probability.has_value());
  ASSERT_TRUE(registry_->Flag("mod", "bob", "cats", "spammer").ok());
  EXPECT_EQ(Submit(gate, "p2", "bob", "cats", "hi").action, Action::kHold);
}

TEST_F(GateTest, SetClassifierReplacesTheModelForLaterPosts) {
  Gate gate(registry_.get(), nullptr);
  EXPECT_EQ(gate.classifier(), nullptr);
  EXPECT_EQ(Submit(gate, "p1", "bob", "cats", "cheap spam").action, Action::kPublish);
  auto classifier = std::make_shared<testing::FakeClassifier>();
  gate.SetClassifier(classifier);
  EXPECT_EQ(gate.classifier(), classifier);
  EXPECT_EQ(Submit(gate, "p2", "bob", "cats", "cheap spam").action, Action::kHold);
  // The gate shares ownership: the caller's reference may go.
  std::weak_ptr<testing::FakeClassifier> weak = classifier;
  classifier.reset();
  EXPECT_EQ(Submit(gate, "p3", "bob", "cats", "more spam").action, Action::kHold);
  gate.SetClassifier(nullptr);
  // The gate has let it go; this thread's copy goes with its next Submit.
  EXPECT_FALSE(weak.expired());
  EXPECT_EQ(Submit(gate, "p4", "bob", "cats", "cheap spam").action, Action::kPublish);
  EXPECT_TRUE(weak.expired());
  // A gate built on a shared_ptr (say, from Classifier::Load's unique_ptr).
  Gate owning(registry_.get(), std::make_unique<testing::FakeClassifier>());
  EXPECT_EQ(Submit(owning, "p5", "bob", "cats", "cheap spam").action, Action::kHold);
}

// A Submit from a destructor that runs at a thread's end after the gate's per-thread
// classifier copy is gone (a thread-specific key's destructor, run after the copy's
// key, made earlier, as glibc runs them in the order the keys were made) is
// decided, and frees no classifier a gate still owns. With the copy a thread_local
// object, it used to assign into the destroyed copy and free the first gate's
// classifier; as a ThreadScratch it would be made again (and destroyed in glibc's
// next round of key destructors), which thread_classifier_gone spares.
TEST_F(GateTest, SubmitAfterTheThreadsClassifierCopyIsGone) {
  auto first = std::make_shared<testing::FakeClassifier>();
  auto second = std::make_shared<testing::FakeClassifier>();
  const std::weak_ptr<testing::FakeClassifier> first_alive = first, second_alive = second;
  Gate gate1(registry_.get(), std::move(first));
  Gate gate2(registry_.get(), std::move(second));
  std::atomic<int> published{0};
  auto count = [&](const absl::StatusOr<Decision>& d) {
    if (d.ok() && d->action == Action::kPublish) published.fetch_add(1);
  };
  std::function<void()> flush = [&] {
    count(gate2.Submit(Submission{"f2", "bob", "cats", "nice cat"}));
    count(gate1.Submit(Submission{"f1", "bob", "cats", "nice cat"}));
  };
  pthread_key_t at_end;
  std::thread worker([&] {
    count(gate1.Submit(Submission{"p1", "bob", "cats", "nice cat"}));  // the copy
    ASSERT_EQ(pthread_key_create(&at_end,
                                 [](void* f) { (*static_cast<std::function<void()>*>(f))(); }),
              0);
    ASSERT_EQ(pthread_setspecific(at_end, &flush), 0);
  });
  worker.join();
  pthread_key_delete(at_end);
  EXPECT_EQ(published.load(), 3);
  EXPECT_FALSE(first_alive.expired());
  EXPECT_FALSE(second_alive.expired());
  EXPECT_EQ(Submit(gate1, "p2", "bob", "cats", "nice cat").action, Action::kPublish);
}

TEST_F(GateTest, Errors) {
  Gate gate(registry_.get(), &classifier_);
  EXPECT_EQ(gate.Submit(Submission{"", "bob", "cats", "x"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(gate.Submit(Submission{"p", "bob", "dogs", "x"}).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(gate.Submit(Submission{"p", "bob", "fish", "x"}).status().code(),
            absl::StatusCode::kNotFound);
  ASSERT_EQ(Submit(gate, "dup", "bob", "cats", "spam").action, Action::kHold);
  // An overlong id is refused whatever the decision would be: a clean post is not
  // published with an id its spammy twin could not be held with.
  const std::string long_id(kMaxIdBytes + 1, 'x');
  for (const char* text : {"hello", "spam"}) {
    EXPECT_EQ(gate.Submit(Submission{long_id, "bob", "cats", text}).status().code(),
              absl::StatusCode::kInvalidArgument)
        << text;
  }
  EXPECT_EQ(gate.Submit(Submission{"p", long_id, "cats", "hello"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(gate.Submit(Submission{"p", "", "cats", "hello"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(gate.Submit(Submission{"p", "bob", long_id, "hello"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(gate.Submit(Submission{"p", "bob", "", "hello"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  const std::string max_id(kMaxIdBytes, 'y');  // the limit itself is fine
  EXPECT_EQ(Submit(gate, max_id, "bob", "cats", "hello").action, Action::kPublish);
  EXPECT_EQ(Submit(gate, max_id, "bob", "cats", "spam").action, Action::kHold);
  EXPECT_TRUE(ValidateId("post", max_id).ok());
  EXPECT_EQ(gate.Submit(Submission{"dup", "bob", "cats", "spam"}).status().code(),
            absl::StatusCode::kAlreadyExists);
}

// Scores like FakeClassifier, with `clues` clues (five by default) that quote the
// whole text: a post that is one long "word".
class WholeTextClueClassifier final : public testing::TestClassifier {
 public:
  explicit WholeTextClueClassifier(int clues = 5) : clues_(clues) {}
  double SpamProbability(absl::string_view text) const override {
    return absl::StrContains(text, "spam") ? 0.95 : 0.05;
  }

 private:
  std::vector<Clue> Clues(absl::string_view text) const override {
    return std::vector<Clue>(clues_, Clue{std::string(text), 2.0, {}});
  }

  int clues_;
};

// A post too long to be held is refused whatever the decision would be: a clean one
// used to be published and its spammy twin refused by the store.
TEST_F(GateTest, APostOverMaxPostBytesIsRefusedWhateverTheDecision) {
  GateOptions options;
  options.max_post_bytes = 100;
  Gate gate(registry_.get(), &classifier_, options);
  for (const char* word : {"hello", "spam"}) {
    std::string text = word;
    text.resize(101, '.');
    absl::StatusOr<Decision> d = gate.Submit(Submission{"long", "bob", "cats", text});
    EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument) << word;
    EXPECT_THAT(d.status().message(), ::testing::HasSubstr("max_post_bytes")) << word;
    text.resize(100);  // the limit itself is fine
    EXPECT_EQ(Submit(gate, word, "bob", "cats", text).action,
              text.rfind("spam", 0) == 0 ? Action::kHold : Action::kPublish);
  }
}

TEST_F(GateTest, LongCluesAreCutInHoldReasons) {
  WholeTextClueClassifier classifier;
  Gate gate(registry_.get(), &classifier);
  // "spam", then two-byte characters: the cut must not split one.
  std::string text = "spam";
  for (int i = 0; i < 1000; ++i) text += "\xc3\xa9";
  Decision d = Submit(gate, "p", "bob", "cats", text);
  ASSERT_EQ(d.action, Action::kHold);
  ASSERT_EQ(d.reasons.size(), 1u);
  ASSERT_EQ(d.reasons[0].clues.size(), 5u);
  for (const std::string& clue : d.reasons[0].clues) {
    EXPECT_LE(clue.size(), GateOptions::kMaxClueBytes);
    EXPECT_GE(clue.size(), GateOptions::kMaxClueBytes - 4);
    ASSERT_TRUE(absl::EndsWith(clue, "..."));
    const std::string kept = clue.substr(0, clue.size() - 3);
    EXPECT_EQ(text.compare(0, kept.size(), kept), 0);
    EXPECT_NE(static_cast<unsigned char>(text[kept.size()]) & 0xC0, 0x80);
  }
  // A short clue is kept whole.
  EXPECT_THAT(Submit(gate, "q", "bob", "cats", "spam").reasons[0].clues[0], "spam");
}

// With the default options, the longest post the gate takes, with ids at their limit,
// clues quoting all of it and its author on probation, fits in a journal record of
// the default size: every post the gate accepts can be held.
TEST(GateJournalTest, TheLongestPostIsHeldInADefaultJournal) {
  testing_internal::ScratchDir scratch;
  const std::string& dir = scratch.path();
  JournalOptions journal_options;  // default max_record_bytes
  journal_options.sync = JournalOptions::Sync::kNone;
  auto journal = OpenJournal(dir, journal_options);
  ASSERT_TRUE(journal.ok()) << journal.status();
  ManualClock clock;
  auto registry = Registry::Open(*std::move(journal), &clock, RegistryOptions());
  ASSERT_TRUE(registry.ok()) << registry.status();
  const std::string group(kMaxIdBytes, 'g');
  const std::string member(kMaxIdBytes, 'm');
  ASSERT_TRUE((*registry)->CreateGroup(group).ok());
  ASSERT_TRUE((*registry)->AddModerator(group, "mod").ok());
  ASSERT_TRUE((*registry)->Join(member, group).ok());
  ASSERT_TRUE((*registry)->Flag("mod", member, group, "spam").ok());
  WholeTextClueClassifier classifier;
  GateOptions options;
  options.max_clues = 100;
  Gate gate(registry->get(), &classifier, options);
  std::string text = "spam";
  text.resize(options.max_post_bytes, 'x');
  absl::StatusOr<Decision> d =
      gate.Submit(Submission{std::string(kMaxIdBytes, 'p'), member, group, text});
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->action, Action::kHold);
  auto queue = (*registry)->ListQueue("mod", group);
  ASSERT_TRUE(queue.ok()) << queue.status();
  ASSERT_EQ(queue->size(), 1u);
  EXPECT_EQ((*queue)[0].post.text, text);
  registry->reset();
}

// A journal whose record limit is below a post the gate takes (the gate cannot know
// the store's limit: GateOptions::max_post_bytes is 512 KiB here, the journal's
// max_record_bytes 64 KiB). A clean post of 80 KB is published; its spammy twin, and
// any post of a member on probation, are held too, with their text cut to fit the
// record, not refused by the store (kInvalidArgument, as before) nor published
// because they are long.
TEST(GateJournalTest, APostOverTheStoresRecordLimitIsHeldCut) {
  testing_internal::ScratchDir scratch;
  const std::string& dir = scratch.path();
  JournalOptions journal_options;
  journal_options.sync = JournalOptions::Sync::kNone;
  journal_options.max_record_bytes = size_t{64} << 10;
  ManualClock clock;
  std::unique_ptr<Registry> registry;
  auto open = [&] {
    registry.reset();
    auto journal = OpenJournal(dir, journal_options);
    ASSERT_TRUE(journal.ok()) << journal.status();
    auto r = Registry::Open(*std::move(journal), &clock, RegistryOptions());
    ASSERT_TRUE(r.ok()) << r.status();
    registry = *std::move(r);
  };
  open();
  ASSERT_TRUE(registry->CreateGroup("cats").ok());
  ASSERT_TRUE(registry->AddModerator("cats", "mod").ok());
  ASSERT_TRUE(registry->Join("bob", "cats").ok());
  ASSERT_TRUE(registry->Join("sam", "cats").ok());
  ASSERT_TRUE(registry->Flag("mod", "sam", "cats", "spam").ok());
  testing::FakeClassifier classifier;
  Gate gate(registry.get(), &classifier);
  // Two-byte characters after one byte: a cut by bytes alone would split one.
  std::string body;
  for (int i = 0; i < 40'000; ++i) body += "\xc3\xa9";
  const std::string clean = "x" + body;
  const std::string spammy = "spam" + body;
  absl::StatusOr<Decision> d = gate.Submit(Submission{"clean", "bob", "cats", clean});
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->action, Action::kPublish);
  EXPECT_FALSE(d->text_truncated);
  d = gate.Submit(Submission{"spammy", "bob", "cats", spammy});
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->action, Action::kHold);
  EXPECT_TRUE(d->text_truncated);
  d = gate.Submit(Submission{"probation", "sam", "cats", clean});
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->action, Action::kHold);
  EXPECT_TRUE(d->text_truncated);
  ASSERT_EQ(d->reasons.size(), 1u);
  EXPECT_EQ(d->reasons[0].kind, Kind::kProbation);

  // The queue keeps each text cut to fit the record, after a whole character, and
  // says so.
  auto check_queue = [&] {
    auto queue = registry->ListQueue("mod", "cats");
    ASSERT_TRUE(queue.ok()) << queue.status();
    ASSERT_EQ(queue->size(), 2u);
    for (const HeldPost& held : *queue) {
      const std::string& original = held.post.id == "spammy" ? spammy : clean;
      const std::string& kept = held.post.text;
      EXPECT_TRUE(held.text_truncated) << held.post.id;
      EXPECT_EQ(held.original_text_bytes, original.size()) << held.post.id;
      EXPECT_LT(kept.size(), journal_options.max_record_bytes) << held.post.id;
      EXPECT_GT(kept.size(), journal_options.max_record_bytes - 2048) << held.post.id;
      EXPECT_EQ(original.compare(0, kept.size(), kept), 0) << held.post.id;
      EXPECT_NE(static_cast<unsigned char>(original[kept.size()]) & 0xC0, 0x80)
          << held.post.id;
    }
  };
  check_queue();
  open();  // the journal's records say the same
  check_queue();
  // A short post is kept whole, and the feedback of a cut one says it is cut.
  Gate reopened_gate(registry.get(), &classifier);
  d = reopened_gate.Submit(Submission{"short", "bob", "cats", "spam"});
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->action, Action::kHold);
  EXPECT_FALSE(d->text_truncated);
  auto queue = registry->ListQueue("mod", "cats");
  ASSERT_TRUE(queue.ok()) << queue.status();
  ASSERT_EQ(queue->size(), 3u);
  EXPECT_EQ((*queue)[2].post.text, "spam");
  EXPECT_FALSE((*queue)[2].text_truncated);
  EXPECT_EQ((*queue)[2].original_text_bytes, 4u);
  auto feedback = registry->Reject("mod", "cats", "spammy", "ads");
  ASSERT_TRUE(feedback.ok()) << feedback.status();
  EXPECT_TRUE(feedback->text_truncated);
  EXPECT_EQ(feedback->text, (*queue)[0].post.text);
  feedback = registry->Approve("mod", "cats", "short", "fine");
  ASSERT_TRUE(feedback.ok()) << feedback.status();
  EXPECT_FALSE(feedback->text_truncated);
  registry.reset();
}

// A store at the smallest record limit a registry opens over takes the largest hold
// the gate makes (ids at kMaxIdBytes, 16 flagging groups named with 1 KiB each, 100
// clues of kMaxClueBytes), with the text cut; a smaller store is refused at Open.
TEST(GateJournalTest, TheLargestHoldFitsAStoreAtTheSmallestLimit) {
  testing_internal::ScratchDir scratch;
  const std::string& dir = scratch.path();
  JournalOptions journal_options;
  journal_options.sync = JournalOptions::Sync::kNone;
  journal_options.max_record_bytes = Registry::kMinStoreRecordBytes - 1;
  ManualClock clock;
  {
    auto journal = OpenJournal(dir, journal_options);
    ASSERT_TRUE(journal.ok()) << journal.status();
    auto refused = Registry::Open(*std::move(journal), &clock, RegistryOptions());
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(refused.status().message(),
                ::testing::HasSubstr("Registry::kMinStoreRecordBytes"));
  }
  journal_options.max_record_bytes = Registry::kMinStoreRecordBytes;
  auto journal = OpenJournal(dir, journal_options);
  ASSERT_TRUE(journal.ok()) << journal.status();
  auto registry = Registry::Open(*std::move(journal), &clock, RegistryOptions());
  ASSERT_TRUE(registry.ok()) << registry.status();
  const std::string member(kMaxIdBytes, 'm');
  const std::string group(kMaxIdBytes, 'g');
  ASSERT_TRUE((*registry)->AddAdministrator("admin").ok());
  ASSERT_TRUE((*registry)->CreateGroup(group).ok());
  ASSERT_TRUE((*registry)->Join(member, group).ok());
  for (int i = 0; i < 20; ++i) {
    std::string flagger = absl::StrCat(i, "-");
    flagger.resize(kMaxIdBytes, 'f');
    ASSERT_TRUE((*registry)->CreateGroup(flagger).ok());
    ASSERT_TRUE((*registry)->Join(member, flagger).ok());
    ASSERT_TRUE((*registry)->Flag("admin", member, flagger, "spam").ok());
  }
  WholeTextClueClassifier classifier(100);
  GateOptions options;
  options.max_clues = 100;
  Gate gate(registry->get(), &classifier, options);
  std::string text = "spam";
  text.resize(options.max_post_bytes, 'x');
  absl::StatusOr<Decision> d =
      gate.Submit(Submission{std::string(kMaxIdBytes, 'p'), member, group, text});
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->action, Action::kHold);
  ASSERT_EQ(d->reasons.size(), 2u);
  EXPECT_EQ(d->reasons[0].flagged_from.size(), kMaxFlaggedFromListed);
  EXPECT_EQ(d->reasons[1].clues.size(), 100u);
  EXPECT_TRUE(d->text_truncated);
  auto queue = (*registry)->ListQueue("admin", group);
  ASSERT_TRUE(queue.ok()) << queue.status();
  ASSERT_EQ(queue->size(), 1u);
  EXPECT_TRUE((*queue)[0].text_truncated);
  EXPECT_EQ((*queue)[0].original_text_bytes, text.size());
  EXPECT_GT((*queue)[0].post.text.size(), 8192u);  // some of the text is left
  EXPECT_EQ(text.compare(0, (*queue)[0].post.text.size(), (*queue)[0].post.text), 0);
  registry->reset();
}

}  // namespace
}  // namespace groupguard
