// `groupguard journal show DIR --as ADMIN [--member ID] [--json]`: the moderation
// registry's state as a journal holds it, read-only (OpenJournalReadOnly), so it works
// while the forum server has the journal open: who is on probation, where from, until
// when, appeals, every group's held posts, and with --member one member's audit
// entries. Everything comes from Registry's public reads, authorized as --as.
#include "journal_show.h"

#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "commands.h"
#include "common.h"
#include "groupguard/event_store.h"
#include "groupguard/moderation.h"
#include "groupguard/registry.h"
#include "output.h"
#include "util/printable.h"

namespace groupguard::cli {
namespace {

struct ShowFlags {
  std::string dir;
  std::string actor;
  std::string member;
  bool json = false;
  int sitewide_after = RegistryOptions().sitewide_after_distinct_groups;
};

std::string Time(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

// An id or free text in a line of the text report: safe for a terminal.
std::string Text(absl::string_view s, size_t max_bytes = 200) {
  return internal::Printable(s, max_bytes);
}

// One member on probation, with the audit's flag entries of this probation.
struct OnProbation {
  MemberId member;
  ProbationStatus status;
  std::vector<AuditEntry> flags;
};

// Everything the report shows, read from the registry.
struct State {
  std::vector<GroupId> groups;
  std::vector<OnProbation> on_probation;
  std::vector<std::pair<GroupId, std::vector<HeldPost>>> queues;
  std::vector<Appeal> appeals;
  std::vector<AuditEntry> audit;  // with --member: the entries by or about them
  bool member_on_probation = false;
};

absl::StatusOr<State> Read(const Registry& registry, const ShowFlags& flags) {
  State state;
  const std::string& actor = flags.actor;
  absl::StatusOr<std::vector<GroupId>> groups = registry.ListGroups(actor);
  if (!groups.ok()) return groups.status();
  state.groups = *std::move(groups);
  absl::StatusOr<std::vector<AuditEntry>> audit = registry.AuditLog(actor);
  if (!audit.ok()) return audit.status();
  std::vector<MemberId> members;
  if (flags.member.empty()) {
    absl::StatusOr<std::vector<MemberId>> on = registry.MembersOnProbation(actor);
    if (!on.ok()) return on.status();
    members = *std::move(on);
  } else {
    members.push_back(flags.member);
    for (const AuditEntry& a : *audit) {
      if (a.member == flags.member || a.actor == flags.member) state.audit.push_back(a);
    }
  }
  for (MemberId& member : members) {
    ProbationStatus status = registry.ProbationStatusOf(member);
    if (!status.on_probation) continue;
    OnProbation p{member, std::move(status), {}};
    for (const AuditEntry& a : *audit) {
      if (a.action == "flag" && a.member == p.member && a.time >= p.status.since) {
        p.flags.push_back(a);
      }
      // A lift in a group withdrew the group's flags before it: not shown as in force.
      if (a.action == "lift" && a.member == p.member && !a.group.empty()) {
        p.flags.erase(
            std::remove_if(p.flags.begin(), p.flags.end(),
                           [&a](const AuditEntry& f) { return f.group == a.group; }),
            p.flags.end());
      }
    }
    state.on_probation.push_back(std::move(p));
  }
  state.member_on_probation = !flags.member.empty() && !state.on_probation.empty();
  for (const GroupId& group : state.groups) {
    absl::StatusOr<std::vector<HeldPost>> queue = registry.ListQueue(actor, group);
    if (!queue.ok()) return queue.status();
    std::vector<HeldPost> held;
    for (HeldPost& post : *queue) {
      if (flags.member.empty() || post.post.member == flags.member) {
        held.push_back(std::move(post));
      }
    }
    if (!held.empty()) state.queues.emplace_back(group, std::move(held));
  }
  absl::StatusOr<std::vector<Appeal>> appeals = registry.ListAppeals(actor);
  if (!appeals.ok()) return appeals.status();
  for (Appeal& appeal : *appeals) {
    if (flags.member.empty() || appeal.member == flags.member) {
      state.appeals.push_back(std::move(appeal));
    }
  }
  return state;
}

std::string Reason(const HoldReason& r) {
  if (r.kind == HoldReason::Kind::kProbation) {
    std::vector<std::string> from;
    for (const GroupId& g : r.flagged_from) from.push_back(Text(g));
    std::string s = absl::StrCat("probation until ", Time(r.probation_until));
    if (r.site_wide) s += ", site-wide";
    absl::StrAppend(&s, ", flagged from ", absl::StrJoin(from, ", "));
    if (r.flagged_from_count > static_cast<int64_t>(r.flagged_from.size())) {
      absl::StrAppend(&s, " (", r.flagged_from_count, " groups)");
    }
    return s;
  }
  std::string s = "classifier P(spam) ";
  AppendProbability(r.spam_probability, &s);
  return s;
}

void AppendAuditLine(const AuditEntry& a, std::string* out) {
  absl::StrAppend(out, "  #", a.sequence, " ", Time(a.time), " ", Text(a.action), " by ",
                  Text(a.actor));
  if (!a.member.empty()) absl::StrAppend(out, ", member ", Text(a.member));
  if (!a.group.empty()) absl::StrAppend(out, ", group ", Text(a.group));
  if (!a.post_id.empty()) absl::StrAppend(out, ", post ", Text(a.post_id));
  if (!a.reason.empty()) absl::StrAppend(out, ": \"", Text(a.reason), "\"");
  *out += "\n";
}

std::string TextReport(const State& state, const ShowFlags& flags, uint64_t posts) {
  std::string s;
  absl::StrAppend(&s, "journal ", Text(flags.dir, 1000), " as read at ",
                  Time(absl::Now()), " (read-only: the state then, not updated)\n");
  if (flags.member.empty()) {
    absl::StrAppend(&s, "groups: ", state.groups.size(),
                    ", on probation: ", state.on_probation.size(),
                    ", held posts: ", posts, ", pending appeals: ", state.appeals.size(),
                    "\n");
  } else {
    absl::StrAppend(&s, "member ", Text(flags.member), ": ",
                    state.member_on_probation ? "on probation" : "not on probation",
                    "\n");
  }
  if (flags.member.empty() || state.member_on_probation) {
    absl::StrAppend(&s, "\non probation:\n");
    if (state.on_probation.empty()) s += "  nobody\n";
  }
  for (const OnProbation& p : state.on_probation) {
    const ProbationStatus& st = p.status;
    absl::StrAppend(&s, "  ", Text(p.member), ": since ", Time(st.since), " until ",
                    Time(st.until));
    if (st.site_wide) {
      absl::StrAppend(&s, ", site-wide from ", Time(st.site_wide_since), " until ",
                      Time(st.site_wide_until));
    }
    absl::StrAppend(&s, st.appeal_pending ? ", appeal pending" : ", no appeal pending",
                    "\n");
    for (size_t i = 0; i < st.held_in.size(); ++i) {
      absl::StrAppend(&s, "    held in ", Text(st.held_in[i]), " from ",
                      Time(st.held_since[i]), " until ", Time(st.held_until[i]), "\n");
    }
    for (const GroupId& g : st.exempt_in) {
      absl::StrAppend(&s, "    exempt in ", Text(g), " (lifted there)\n");
    }
    for (const AuditEntry& a : p.flags) {
      absl::StrAppend(&s, "    flagged from ", Text(a.group), " by ", Text(a.actor),
                      " at ", Time(a.time), ": \"", Text(a.reason), "\"\n");
    }
  }
  absl::StrAppend(&s, "\nheld posts:\n");
  if (state.queues.empty()) s += "  none\n";
  for (const auto& [group, held] : state.queues) {
    absl::StrAppend(&s, "  ", Text(group), " (", held.size(), "):\n");
    for (const HeldPost& h : held) {
      absl::StrAppend(&s, "    ", Text(h.post.id), " by ", Text(h.post.member),
                      " held at ", Time(h.held_at), ": \"", Text(h.post.text, 80),
                      "\"\n");
      for (const HoldReason& r : h.reasons) {
        absl::StrAppend(&s, "      because: ", Reason(r), "\n");
      }
    }
  }
  absl::StrAppend(&s, "\npending appeals:\n");
  if (state.appeals.empty()) s += "  none\n";
  for (const Appeal& a : state.appeals) {
    absl::StrAppend(&s, "  ", Text(a.member), " filed at ", Time(a.filed_at), ": \"",
                    Text(a.statement), "\"\n");
  }
  if (!flags.member.empty()) {
    absl::StrAppend(&s, "\naudit entries by or about ", Text(flags.member), ":\n");
    if (state.audit.empty()) s += "  none\n";
    for (const AuditEntry& a : state.audit) AppendAuditLine(a, &s);
  }
  return s;
}

void Key(absl::string_view key, std::string* out) {
  AppendJsonString(key, out);
  *out += ':';
}
void StringField(absl::string_view key, absl::string_view value, std::string* out) {
  Key(key, out);
  AppendJsonString(value, out);
}
void TimeField(absl::string_view key, absl::Time t, std::string* out) {
  StringField(key, Time(t), out);
}
void StringList(absl::string_view key, const std::vector<std::string>& values,
                std::string* out) {
  Key(key, out);
  *out += '[';
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) *out += ',';
    AppendJsonString(values[i], out);
  }
  *out += ']';
}

void JsonAudit(const AuditEntry& a, std::string* out) {
  absl::StrAppend(out, "{\"sequence\":", a.sequence, ",");
  TimeField("time", a.time, out);
  *out += ',';
  StringField("actor", a.actor, out);
  *out += ',';
  StringField("action", a.action, out);
  *out += ',';
  StringField("member", a.member, out);
  *out += ',';
  StringField("group", a.group, out);
  *out += ',';
  StringField("post_id", a.post_id, out);
  *out += ',';
  StringField("reason", a.reason, out);
  *out += '}';
}
void AuditList(absl::string_view key, const std::vector<AuditEntry>& entries,
               std::string* out) {
  Key(key, out);
  *out += '[';
  for (size_t i = 0; i < entries.size(); ++i) {
    if (i > 0) *out += ',';
    JsonAudit(entries[i], out);
  }
  *out += ']';
}

std::string JsonReport(const State& state, const ShowFlags& flags) {
  std::string s = "{";
  StringField("journal", flags.dir, &s);
  s += ',';
  TimeField("read_at", absl::Now(), &s);
  s += ',';
  if (!flags.member.empty()) {
    StringField("member", flags.member, &s);
    s += ',';
  }
  StringList("groups", state.groups, &s);
  s += ",\"on_probation\":[";
  for (size_t i = 0; i < state.on_probation.size(); ++i) {
    const OnProbation& p = state.on_probation[i];
    const ProbationStatus& st = p.status;
    if (i > 0) s += ',';
    s += '{';
    StringField("member", p.member, &s);
    s += ',';
    TimeField("since", st.since, &s);
    s += ',';
    TimeField("until", st.until, &s);
    absl::StrAppend(&s, ",\"site_wide\":", st.site_wide ? "true" : "false");
    if (st.site_wide) {
      s += ',';
      TimeField("site_wide_since", st.site_wide_since, &s);
      s += ',';
      TimeField("site_wide_until", st.site_wide_until, &s);
    }
    absl::StrAppend(&s, ",\"appeal_pending\":", st.appeal_pending ? "true" : "false",
                    ",\"held_in\":[");
    for (size_t g = 0; g < st.held_in.size(); ++g) {
      if (g > 0) s += ',';
      s += '{';
      StringField("group", st.held_in[g], &s);
      s += ',';
      TimeField("since", st.held_since[g], &s);
      s += ',';
      TimeField("until", st.held_until[g], &s);
      s += '}';
    }
    s += "],";
    StringList("exempt_in", st.exempt_in, &s);
    s += ',';
    AuditList("flags", p.flags, &s);
    s += '}';
  }
  s += "],\"held_posts\":[";
  bool first = true;
  for (const auto& [group, held] : state.queues) {
    for (const HeldPost& h : held) {
      if (!first) s += ',';
      first = false;
      s += '{';
      StringField("group", group, &s);
      s += ',';
      StringField("post_id", h.post.id, &s);
      s += ',';
      StringField("member", h.post.member, &s);
      s += ',';
      TimeField("held_at", h.held_at, &s);
      absl::StrAppend(&s, ",\"sequence\":", h.sequence, ",");
      StringField("text", h.post.text, &s);
      absl::StrAppend(&s, ",\"text_truncated\":", h.text_truncated ? "true" : "false",
                      ",\"reasons\":[");
      for (size_t r = 0; r < h.reasons.size(); ++r) {
        const HoldReason& reason = h.reasons[r];
        if (r > 0) s += ',';
        if (reason.kind == HoldReason::Kind::kProbation) {
          s += "{\"kind\":\"probation\",";
          TimeField("since", reason.probation_since, &s);
          s += ',';
          TimeField("until", reason.probation_until, &s);
          absl::StrAppend(&s, ",\"site_wide\":", reason.site_wide ? "true" : "false",
                          ",");
          StringList("flagged_from", reason.flagged_from, &s);
          absl::StrAppend(&s, ",\"flagged_from_count\":", reason.flagged_from_count, "}");
        } else {
          s += "{\"kind\":\"classifier\",\"spam_probability\":";
          AppendProbability(reason.spam_probability, &s);
          s += '}';
        }
      }
      s += "]}";
    }
  }
  s += "],\"appeals\":[";
  for (size_t i = 0; i < state.appeals.size(); ++i) {
    if (i > 0) s += ',';
    s += '{';
    StringField("member", state.appeals[i].member, &s);
    s += ',';
    TimeField("filed_at", state.appeals[i].filed_at, &s);
    s += ',';
    StringField("statement", state.appeals[i].statement, &s);
    s += '}';
  }
  s += ']';
  if (!flags.member.empty()) {
    s += ',';
    AuditList("audit", state.audit, &s);
  }
  s += "}\n";
  return s;
}

// The read-only journal, counting what its replay delivers: a journal with no
// history names no administrator, and a refusal of --as then says why.
class CountingStore final : public EventStore {
 public:
  CountingStore(std::unique_ptr<EventStore> store, bool* any)
      : store_(std::move(store)), any_(any) {}
  absl::StatusOr<uint64_t> Append(absl::string_view record) override {
    return store_->Append(record);
  }
  size_t MaxRecordBytes() const override { return store_->MaxRecordBytes(); }
  bool ReadOnly() const override { return store_->ReadOnly(); }
  absl::Status Recover(
      const std::function<absl::Status(absl::string_view, uint64_t)>& on_snapshot,
      const std::function<absl::Status(uint64_t, absl::string_view)>& on_record)
      override {
    return store_->Recover(
        [&](absl::string_view snapshot, uint64_t through) {
          *any_ = true;
          return on_snapshot(snapshot, through);
        },
        [&](uint64_t sequence, absl::string_view record) {
          *any_ = true;
          return on_record(sequence, record);
        });
  }
  absl::Status WriteSnapshot(absl::string_view snapshot, uint64_t through) override {
    return store_->WriteSnapshot(snapshot, through);
  }

 private:
  std::unique_ptr<EventStore> store_;
  bool* any_;
};

int RunShow(const ShowFlags& flags) {
  absl::StatusOr<std::unique_ptr<EventStore>> store = OpenJournalReadOnly(flags.dir);
  if (!store.ok()) {
    PrintError(store.status().message());
    return kExitRuntimeError;
  }
  RegistryOptions options;
  options.sitewide_after_distinct_groups = flags.sitewide_after;
  bool any_history = false;
  absl::StatusOr<std::unique_ptr<Registry>> registry = Registry::Open(
      std::make_unique<CountingStore>(*std::move(store), &any_history), nullptr, options);
  if (!registry.ok()) {
    PrintError(absl::StrCat("journal ", flags.dir, ": ", registry.status().message()));
    return kExitRuntimeError;
  }
  absl::StatusOr<State> state = Read(**registry, flags);
  if (!state.ok()) {
    if (absl::IsPermissionDenied(state.status()) && !any_history) {
      // Not a stranger's --as: nobody is an administrator of an empty history.
      PrintError(absl::StrCat("journal ", flags.dir,
                              ": holds no history (no record, no snapshot), so no site "
                              "administrator either: nothing to show"));
      return kExitRuntimeError;
    }
    PrintError(absl::StrCat("journal ", flags.dir, ": ", state.status().message()));
    return kExitRuntimeError;
  }
  uint64_t posts = 0;
  for (const auto& queue : state->queues) posts += queue.second.size();
  const std::string report =
      flags.json ? JsonReport(*state, flags) : TextReport(*state, flags, posts);
  if (absl::Status written = WriteStdout(report); !written.ok()) {
    PrintError(written.message());
    return kExitRuntimeError;
  }
  return kExitOk;
}

}  // namespace

// A member id is never empty: `--member ""` (an unset shell variable, say) would
// otherwise read as no --member and show every member.
CLI::Validator MemberId() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        return value.empty() ? "an empty value is not a member id" : "";
      },
      "");
}

void AddJournalShowCommand(CLI::App* journal) {
  auto flags = std::make_shared<ShowFlags>();
  CLI::App* show = journal->add_subcommand(
      "show",
      "Show the moderation registry the journal holds: members on probation (where "
      "from, until when, appeals), every group's held posts, pending appeals; with "
      "--member, one member's and their audit entries. Read-only: works while the "
      "server has the journal open, and shows the state when it read it");
  show->add_option("dir", flags->dir, "Journal directory")->required()->check(FileName());
  show->add_option("--as", flags->actor,
                   "The site administrator whose view this is (the registry "
                   "authorizes reads as it)")
      ->required()
      ->check(MemberId());
  show->add_option("--member", flags->member, "Show only this member")->check(MemberId());
  show->add_flag("--json", flags->json, "Print one JSON object instead of the report");
  AddIntegerOption(show, "--sitewide-after", &flags->sitewide_after, 1, 1000,
                   "As the server's RegistryOptions::sitewide_after_distinct_groups: "
                   "probation is site-wide after flags from this many groups, each "
                   "by a different person")
      ->capture_default_str();
  show->callback([flags] { ExitWith(RunShow(*flags)); });
}

}  // namespace groupguard::cli
