// A toy forum server that puts the groupguard gate in front of its "new post"
// handler and walks through the moderation flow end to end, printing what happens:
//
//   1. posts are published, or held with reasons, by the gate;
//   2. a moderator reviews the queue (labeled feedback comes out for retraining);
//   3. a moderator flags a spammer: probation in every group, also ones joined later;
//   4. the member asks about their status (not told who flagged them) and appeals;
//   5. an administrator grants the appeal: lifted everywhere at once;
//   6. the server restarts from its journal with the queue and audit log intact;
//   7. a probation expires (the example's clock is moved, nothing sleeps);
//   8. a member deletes their account: an administrator erases them everywhere;
//   9. the disk fails: the registry refuses changes (503) until the server reopens it.
//
// Errors become HTTP statuses by their code (HttpStatusFor), never by their message,
// and clients get fixed texts: a status's message names ids, limits, or the store's
// files and OS errors, which are for the server's log only.
// Usage: forum_server [MODEL_FILE]. Without a model only probation decides.

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "groupguard/classifier.h"
#include "groupguard/clock.h"
#include "groupguard/event_store.h"
#include "groupguard/events.h"
#include "groupguard/gate.h"
#include "groupguard/registry.h"

namespace {

using groupguard::Decision;
using groupguard::HoldReason;

// What the forum's HTTP layer would hand us and expect back.
struct PostRequest {
  std::string post_id, member, group, text;
};
struct Response {
  int http_status;
  std::string body;
};

std::string Describe(const HoldReason& r) {
  if (r.kind == HoldReason::Kind::kProbation) {
    return absl::StrCat("on probation since ",
                        absl::FormatTime("%F %R", r.probation_since, absl::UTCTimeZone()),
                        " until ",
                        absl::FormatTime("%F %R", r.probation_until, absl::UTCTimeZone()),
                        r.site_wide ? " (site-wide)" : "", ", flagged from ",
                        absl::StrJoin(r.flagged_from, ", "),
                        r.flagged_from_count > static_cast<int64_t>(r.flagged_from.size())
                            ? absl::StrCat(" and ",
                                           r.flagged_from_count - r.flagged_from.size(),
                                           " more groups")
                            : "");
  }
  return absl::StrCat(
      "classifier: P(spam)=", r.spam_probability, " (", groupguard::LabelName(r.label),
      ")",
      r.clues.empty() ? "" : absl::StrCat(", clues: ", absl::StrJoin(r.clues, ", ")));
}

// What the client is told about a failed call: a status by its code, with a fixed
// text. A failed registry (kUnavailable, or any other error while Health() says it
// is failed: the call whose sync failed returns the store's own error) is 503 until
// the server has reopened it. A forum with private groups may prefer to answer 404
// for "not a member" too, so that nobody learns which groups exist.
Response HttpStatusFor(const absl::Status& s, const groupguard::Registry& registry) {
  // The full status is for the server's own log.
  std::printf("  (server log: %s)\n", std::string(s.ToString()).c_str());
  switch (s.code()) {
    case absl::StatusCode::kUnavailable:
      return {503, "moderation is unavailable; try again later"};
    case absl::StatusCode::kInvalidArgument:
      return {400, "bad request: missing or overlong id, or a post too long to hold"};
    case absl::StatusCode::kNotFound:
      return {404, "no such group"};
    case absl::StatusCode::kFailedPrecondition:
      return {403, "not a member of this group"};
    case absl::StatusCode::kPermissionDenied:
      return {403, "not allowed"};
    case absl::StatusCode::kAlreadyExists:
      return {409, "a post with this id is already waiting for review"};
    default:
      if (!registry.Health().ok()) {
        return {503, "moderation is unavailable; try again later"};
      }
      return {500, "internal error"};
  }
}

// The forum's "new post" handler: the gate decides, the handler maps it to HTTP.
Response HandleNewPost(const groupguard::Gate& gate, const groupguard::Registry& registry,
                       const PostRequest& req) {
  auto decision = gate.Submit({req.post_id, req.member, req.group, req.text});
  if (!decision.ok()) return HttpStatusFor(decision.status(), registry);
  std::string body(groupguard::ActionName(decision->action));
  if (decision->spam_probability && decision->action == Decision::Action::kPublish) {
    absl::StrAppend(&body, " (P(spam)=", *decision->spam_probability, ")");
  }
  for (const HoldReason& r : decision->reasons) absl::StrAppend(&body, "; ", Describe(r));
  switch (decision->action) {
    case Decision::Action::kPublish:
      return {201, body};
    case Decision::Action::kHold:
      return {202, body};
    case Decision::Action::kReject:
      return {422, body};
  }
  return {500, "unknown decision"};
}

void Post(const groupguard::Gate& gate, const groupguard::Registry& registry,
          const PostRequest& req) {
  Response r = HandleNewPost(gate, registry, req);
  const std::string id =
      req.post_id.size() > 8 ? absl::StrCat(req.post_id.size(), "B") : req.post_id;
  std::printf("  POST %-3s %-6s in %-8s %-40s -> %d %s\n", id.c_str(), req.member.c_str(),
              req.group.c_str(), ("\"" + req.text + "\"").c_str(), r.http_status,
              r.body.c_str());
  std::fflush(stdout);
}

void Check(const absl::Status& s, const char* what) {
  std::printf("  %-58s -> %s\n", what, s.ok() ? "OK" : std::string(s.ToString()).c_str());
}

int Fail(const absl::Status& s) {
  std::fprintf(stderr, "forum_server: %s\n", std::string(s.ToString()).c_str());
  return 1;
}

// A journal on a disk that fails on demand (say, the volume filled up): while
// `failing`, appends and syncs fail.
class FlakyDisk final : public groupguard::EventStore {
 public:
  FlakyDisk(std::unique_ptr<groupguard::EventStore> journal, std::atomic<bool>* failing)
      : journal_(std::move(journal)), failing_(failing) {}
  absl::StatusOr<uint64_t> Append(absl::string_view record) override {
    if (*failing_) return absl::InternalError("fdatasync: No space left on device");
    return journal_->Append(record);
  }
  absl::StatusOr<uint64_t> StartAppend(absl::string_view record) override {
    return journal_->StartAppend(record);
  }
  absl::Status WaitDurable(uint64_t sequence) override {
    if (*failing_) return absl::InternalError("fdatasync: No space left on device");
    return journal_->WaitDurable(sequence);
  }
  absl::Status Recover(
      const std::function<absl::Status(absl::string_view, uint64_t)>& on_snapshot,
      const std::function<absl::Status(uint64_t, absl::string_view)>& on_record)
      override {
    return journal_->Recover(on_snapshot, on_record);
  }
  absl::Status WriteSnapshot(absl::string_view snapshot, uint64_t through) override {
    return journal_->WriteSnapshot(snapshot, through);
  }
  // The journal's limit, so that the registry cuts a held post to fit it.
  size_t MaxRecordBytes() const override { return journal_->MaxRecordBytes(); }

 private:
  std::unique_ptr<groupguard::EventStore> journal_;
  std::atomic<bool>* failing_;
};

// Step 9, on a registry of its own: after a failed sync the registry refuses every
// change and every gate decision (kUnavailable, Registry::Health()) until the server
// recovers it: destroy the gates and the registry, reopen over the same journal,
// build new gates.
int DiskFailure(const std::string& dir, const groupguard::Clock* clock,
                const groupguard::RegistryOptions& options,
                const groupguard::JournalOptions& journal) {
  std::atomic<bool> failing{false};
  auto open = [&]() -> absl::StatusOr<std::unique_ptr<groupguard::Registry>> {
    auto store = groupguard::OpenJournal(dir, journal);
    if (!store.ok()) return store.status();
    return groupguard::Registry::Open(
        std::make_unique<FlakyDisk>(std::move(store).value(), &failing), clock, options);
  };
  auto opened = open();
  if (!opened.ok()) return Fail(opened.status());
  std::unique_ptr<groupguard::Registry> registry = std::move(opened).value();
  for (absl::Status s :
       {registry->CreateGroup("cooking"), registry->Join("sam", "cooking"),
        registry->AddAdministrator("ada"),
        registry->Flag("ada", "sam", "cooking", "spam")}) {
    if (!s.ok()) return Fail(s);
  }
  {
    groupguard::Gate gate(registry.get(), nullptr);
    failing = true;
    std::printf("  the disk fills up\n");
    Post(gate, *registry, {"q1", "sam", "cooking", "held: its sync fails"});
    failing = false;
    std::printf("  space is freed; the registry stays failed until reopened\n");
    Post(gate, *registry, {"q2", "sam", "cooking", "held: refused"});
    Post(gate, *registry, {"q3", "ann", "cooking", "not a member: still 503"});
    std::printf("  health: %s\n", registry->Health().ok() ? "OK" : "failed");
  }                  // the gate goes first...
  registry.reset();  // ...then the registry, which closes the journal
  opened = open();
  if (!opened.ok()) return Fail(opened.status());
  registry = std::move(opened).value();
  groupguard::Gate gate(registry.get(), nullptr);
  std::printf("  reopened; health: %s\n", registry->Health().ok() ? "OK" : "failed");
  Post(gate, *registry, {"q4", "sam", "cooking", "held again"});
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::unique_ptr<groupguard::Classifier> model;
  if (argc > 1) {
    auto loaded = groupguard::Classifier::Load(argv[1]);
    if (!loaded.ok()) return Fail(loaded.status());
    model = std::move(loaded).value();
  }
  const std::string dir =
      (std::filesystem::temp_directory_path() / "groupguard_forum_example").string();
  std::filesystem::remove_all(dir);
  groupguard::ManualClock clock(
      absl::FromCivil(absl::CivilMinute(2026, 11, 25, 9, 0), absl::UTCTimeZone()));
  groupguard::RegistryOptions options;
  options.default_probation = absl::Hours(24 * 7);
  groupguard::JournalOptions journal;
  journal.sync = groupguard::JournalOptions::Sync::kGroupCommit;
  // Come back up by itself if a power loss left the journal damaged: keep the longest
  // intact history (what follows is set aside, not deleted) and tell the operator.
  journal.on_damage = groupguard::JournalOptions::OnDamage::kSalvage;
  journal.on_salvage = [](const groupguard::JournalSalvageReport& report) {
    std::printf("  (server log: journal salvaged at record %llu: %s)\n",
                static_cast<unsigned long long>(report.kept_through),
                report.damage.c_str());
  };

  auto store = groupguard::OpenJournal(dir, journal);
  if (!store.ok()) return Fail(store.status());
  auto opened = groupguard::Registry::Open(std::move(store).value(), &clock, options);
  if (!opened.ok()) return Fail(opened.status());
  std::unique_ptr<groupguard::Registry> registry = std::move(opened).value();
  // Notifications: a real server would queue an e-mail or a web push here.
  auto notify = [](const groupguard::ModerationEvent& e) {
    std::printf("    [event] %s member=%s group=%s%s\n",
                std::string(groupguard::EventTypeName(e.type)).c_str(), e.member.c_str(),
                e.group.empty() ? "(all)" : e.group.c_str(),
                e.feedback ? absl::StrCat(" feedback: \"", e.feedback->text, "\" is ",
                                          e.feedback->is_spam ? "spam" : "ham")
                                 .c_str()
                           : "");
  };
  registry->Subscribe(notify);

  std::printf("== the world: groups, moderators, an administrator, members\n");
  for (const char* g : {"cooking", "cycling", "chess"})
    Check(registry->CreateGroup(g), g);
  Check(registry->AddModerator("cooking", "mia"), "mia moderates cooking");
  Check(registry->AddModerator("cycling", "leo"), "leo moderates cycling");
  Check(registry->AddAdministrator("ada"), "ada is a site administrator");
  for (const char* g : {"cooking", "cycling"})
    Check(registry->Join("sam", g), "sam joins");
  Check(registry->Join("kim", "cooking"), "kim joins cooking");

  groupguard::Gate gate(registry.get(), model.get());
  std::printf("\n== 1. posting (classifier: %s)\n", model ? argv[1] : "none");
  Post(gate, *registry, {"p1", "kim", "cooking", "Try browning the butter first"});
  Post(gate, *registry,
       {"p2", "sam", "cooking",
        "Subscribe to my channel!!! check out my videos http://bit.ly/xyz"});
  Post(gate, *registry, {"p3", "sam", "chess", "hello"});     // not a member: 403
  Post(gate, *registry, {"p3", "sam", "knitting", "hello"});  // no such group: 404
  Post(gate, *registry, {std::string(2000, 'x'), "sam", "cooking", "hello"});  // 400

  std::printf("\n== 2. mia flags sam as a spammer from cooking (probation everywhere)\n");
  Check(registry->Flag("leo", "sam", "cooking", "spam"),
        "leo flags sam in cooking (not his group)");
  Check(registry->Flag("mia", "sam", "cooking", "phone-prize spam", absl::Hours(24 * 7)),
        "mia flags sam in cooking for 7 days");
  Post(gate, *registry, {"p4", "sam", "cycling", "Nice ride today"});
  Check(registry->Join("sam", "chess"), "sam joins chess afterwards");
  Post(gate, *registry, {"p5", "sam", "chess", "e4 is the best opening"});

  std::printf("\n== 3. moderators review their queues\n");
  auto denied = registry->ListQueue("leo", "cooking");
  Check(denied.status(), "leo lists cooking's queue");
  auto queue = registry->ListQueue("mia", "cooking");
  if (!queue.ok()) return Fail(queue.status());
  for (const auto& held : *queue) {
    std::printf("  cooking queue: %s by %s \"%s\" (%zu reasons)\n", held.post.id.c_str(),
                held.post.member.c_str(), held.post.text.c_str(), held.reasons.size());
  }
  if (!queue->empty()) {
    auto fb = registry->Reject("mia", "cooking", queue->front().post.id, "prize spam");
    Check(fb.status(), "mia rejects it (feedback for retraining)");
  }
  auto fb = registry->Approve("leo", "cycling", "p4", "a real ride report");
  Check(fb.status(), "leo approves p4 in cycling");

  std::printf("\n== 4. sam asks about the probation, and appeals\n");
  auto st = registry->ProbationStatusOf("sam");
  std::printf(
      "  on probation: %s, site-wide: %s, until %s (who flagged: not disclosed)\n",
      st.on_probation ? "yes" : "no", st.site_wide ? "yes" : "no",
      absl::FormatTime("%F %R", st.until, absl::UTCTimeZone()).c_str());
  Check(registry->FileAppeal("sam", "My account was hacked; fixed now"), "sam appeals");
  Check(registry->DecideAppeal("mia", "sam", true, "ok"), "mia tries to grant it");
  Check(registry->DecideAppeal("ada", "sam", true, "password reset confirmed"),
        "ada grants the appeal");
  Post(gate, *registry, {"p6", "sam", "cycling", "Thanks, back to riding"});

  std::printf("\n== 5. restart: state comes back from the journal\n");
  const std::string before = registry->CanonicalDump();
  registry.reset();
  auto store2 = groupguard::OpenJournal(dir, journal);
  if (!store2.ok()) return Fail(store2.status());
  auto reopened = groupguard::Registry::Open(std::move(store2).value(), &clock, options);
  if (!reopened.ok()) return Fail(reopened.status());
  registry = std::move(reopened).value();
  registry->Subscribe(notify);
  std::printf("  state identical after restart: %s\n",
              registry->CanonicalDump() == before ? "yes" : "NO");
  auto log = registry->AuditLog("ada");
  if (!log.ok()) return Fail(log.status());
  std::printf("  audit log: %zu entries; the last three:\n", log->size());
  for (size_t i = log->size() >= 3 ? log->size() - 3 : 0; i < log->size(); ++i) {
    const auto& a = (*log)[i];
    std::printf("    #%llu %s %s %s %s \"%s\"\n",
                static_cast<unsigned long long>(a.sequence),
                absl::FormatTime("%F %R", a.time, absl::UTCTimeZone()).c_str(),
                a.actor.c_str(), a.action.c_str(), a.member.c_str(), a.reason.c_str());
  }

  std::printf("\n== 6. probations expire\n");
  groupguard::Gate gate2(registry.get(), model.get());
  Check(registry->Flag("leo", "sam", "cycling", "spam again", absl::Hours(48)),
        "leo flags sam from cycling for 48 hours");
  Post(gate2, *registry, {"p7", "sam", "cooking", "Pasta tips"});
  clock.Advance(absl::Hours(49));
  auto ended = registry->ExpireProbations();
  if (!ended.ok()) return Fail(ended.status());
  std::printf("  49 hours later: %d probation(s) expired\n", *ended);
  Post(gate2, *registry, {"p8", "sam", "cooking", "More pasta tips"});

  std::printf("\n== 7. a model goes in without a restart\n");
  // A gate that started without a model (say, before the first training)...
  groupguard::Gate gate3(registry.get(), nullptr);
  const char* const prize = "WIN a FREE prize!!! click http://bit.ly/win";
  Post(gate3, *registry, {"p9", "kim", "cooking", prize});
  if (argc > 1) {
    // ...gets one while it runs: a real server loads the model it trained on the
    // moderators' feedback.
    auto trained = groupguard::Classifier::Load(argv[1]);
    if (!trained.ok()) return Fail(trained.status());
    gate3.SetClassifier(std::move(trained).value());
    std::printf("  model swapped in from %s; posts in flight finish with the old one\n",
                argv[1]);
    Post(gate3, *registry, {"p10", "kim", "cooking", prize});
  } else {
    std::printf("  (no model given: nothing to swap in)\n");
  }

  std::printf("\n== 8. sam deletes the account: ada erases sam everywhere\n");
  Check(registry->Forget("mia", "sam"), "mia tries to erase sam");
  Check(registry->Flag("mia", "sam", "cooking", "spam once more"), "mia flags sam again");
  Post(gate2, *registry, {"p11", "sam", "cooking", "one last post, held"});
  Check(registry->Forget("ada", "sam"),
        "ada erases sam (their held posts are withdrawn)");
  // The journal's files keep the old records until a snapshot supersedes them.
  Check(registry->Compact(), "compaction drops sam's texts from the journal");
  Post(gate2, *registry, {"p12", "sam", "cooking", "still here?"});  // 403
  log = registry->AuditLog("ada");
  if (!log.ok()) return Fail(log.status());
  size_t forgotten = 0;
  for (const auto& a : *log) forgotten += a.member == groupguard::kForgottenMember;
  std::printf(
      "  audit log: %zu entries, %zu about %s; entries naming sam: %zu\n", log->size(),
      forgotten, std::string(groupguard::kForgottenMember).c_str(),
      static_cast<size_t>(std::count_if(log->begin(), log->end(), [](const auto& a) {
        return a.member == "sam" || a.actor == "sam";
      })));

  std::printf("\n== 9. the disk fails\n");
  const std::string disk_dir = dir + "_disk";
  std::filesystem::remove_all(disk_dir);
  const int failed = DiskFailure(disk_dir, &clock, options, journal);
  std::filesystem::remove_all(disk_dir);
  std::filesystem::remove_all(dir);
  return failed;
}
