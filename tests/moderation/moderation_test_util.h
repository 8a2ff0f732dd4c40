#ifndef GROUPGUARD_TESTS_MODERATION_MODERATION_TEST_UTIL_H_
#define GROUPGUARD_TESTS_MODERATION_MODERATION_TEST_UTIL_H_

// Helpers for the moderation tests: a fake classifier (no trained model needed), a
// store adapter that lets a test reopen the same store and inject append failures,
// and an event recorder.

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "groupguard/classifier.h"
#include "groupguard/event_store.h"
#include "groupguard/events.h"

namespace groupguard::testing {

// The tests' classifiers: thresholds unsure at 0.4, spam at 0.8; Score() gives the
// probability and label of SpamProbability() and the clues of Clues().
class TestClassifier : public Classifier {
 public:
  Verdict Score(absl::string_view text, const ScoreOptions& options) const override {
    Verdict v;
    v.spam_probability = SpamProbability(text);
    v.label = LabelFor(v.spam_probability);
    if (options.max_clues > 0) v.clues = Clues(text);
    return v;
  }
  Label LabelFor(double p) const override {
    return p >= spam_threshold()     ? Label::kSpam
           : p >= unsure_threshold() ? Label::kUnsure
                                     : Label::kHam;
  }
  double unsure_threshold() const override { return 0.4; }
  double spam_threshold() const override { return 0.8; }
  const ModelInfo& info() const override { return info_; }

 protected:
  virtual std::vector<Clue> Clues(absl::string_view) const { return {}; }

 private:
  ModelInfo info_;
};

// Scores by keyword: "spam" -> 0.95, "maybe" -> 0.5, anything else 0.05. Clues name
// the keyword.
class FakeClassifier final : public TestClassifier {
 public:
  double SpamProbability(absl::string_view text) const override {
    if (absl::StrContains(text, "spam")) return 0.95;
    if (absl::StrContains(text, "maybe")) return 0.5;
    return 0.05;
  }

 private:
  std::vector<Clue> Clues(absl::string_view text) const override {
    std::vector<Clue> clues;
    for (absl::string_view word : {"spam", "maybe"}) {
      if (absl::StrContains(text, word))
        clues.push_back(Clue{std::string(word), 2.0, {}});
    }
    return clues;
  }
};

// The base of the tests' stores: forwards Append, Recover, WriteSnapshot and
// MaxRecordBytes to a target store, owned or kept by the test. StartAppend and
// WaitDurable keep EventStore's defaults (Append; nothing to wait for) unless a derived
// store overrides them.
class ForwardingStore : public EventStore {
 public:
  explicit ForwardingStore(EventStore* target) : target_(target) {}
  explicit ForwardingStore(std::unique_ptr<EventStore> target)
      : owned_(std::move(target)), target_(owned_.get()) {}

  absl::StatusOr<uint64_t> Append(absl::string_view record) override {
    return target_->Append(record);
  }
  absl::Status Recover(
      const std::function<absl::Status(absl::string_view, uint64_t)>& on_snapshot,
      const std::function<absl::Status(uint64_t, absl::string_view)>& on_record)
      override {
    return target_->Recover(on_snapshot, on_record);
  }
  absl::Status WriteSnapshot(absl::string_view snapshot, uint64_t through) override {
    return target_->WriteSnapshot(snapshot, through);
  }
  size_t MaxRecordBytes() const override { return target_->MaxRecordBytes(); }

 protected:
  EventStore& target() { return *target_; }

 private:
  std::unique_ptr<EventStore> owned_;
  EventStore* target_;
};

// Forwards to a store the test keeps (so a registry can be reopened over it), and
// fails appends on demand.
class SharedStore final : public ForwardingStore {
 public:
  // While *fail_writes is true, Append and WriteSnapshot fail.
  explicit SharedStore(EventStore* target, std::atomic<bool>* fail_writes = nullptr)
      : ForwardingStore(target), fail_writes_(fail_writes) {}
  absl::StatusOr<uint64_t> Append(absl::string_view record) override {
    if (fail_writes_ != nullptr && fail_writes_->load()) {
      return absl::UnavailableError("injected append failure");
    }
    return ForwardingStore::Append(record);
  }
  absl::Status WriteSnapshot(absl::string_view snapshot, uint64_t through) override {
    if (fail_writes_ != nullptr && fail_writes_->load()) {
      return absl::UnavailableError("injected snapshot failure");
    }
    return ForwardingStore::WriteSnapshot(snapshot, through);
  }

 private:
  std::atomic<bool>* fail_writes_;
};

// Records every event delivered to it. Thread-safe.
class EventRecorder {
 public:
  EventSubscriber AsSubscriber() {
    return [this](const ModerationEvent& e) {
      std::lock_guard<std::mutex> l(mu_);
      events_.push_back(e);
    };
  }
  std::vector<ModerationEvent> events() const {
    std::lock_guard<std::mutex> l(mu_);
    return events_;
  }
  void Clear() {
    std::lock_guard<std::mutex> l(mu_);
    events_.clear();
  }
  std::vector<ModerationEvent::Type> types() const {
    std::lock_guard<std::mutex> l(mu_);
    std::vector<ModerationEvent::Type> out;
    for (const auto& e : events_) out.push_back(e.type);
    return out;
  }

 private:
  mutable std::mutex mu_;
  std::vector<ModerationEvent> events_;
};

}  // namespace groupguard::testing

#endif  // GROUPGUARD_TESTS_MODERATION_MODERATION_TEST_UTIL_H_
