// `groupguard replay`: a community's history through the gate, with a simulated
// moderator, to evaluate a policy before switching it on.
//
// Order: posts are replayed by time (stable: ties keep dump order). A record whose
// time is null or unparseable cannot be placed by itself; by default (--untimed
// neighbor) it takes the time of the nearest timed record of the same group before it
// in the dump (or after it, if there is none before), so it is replayed between its
// neighbours in the dump. This matters for youtube.jsonl, whose Eminem video has no
// time on any of its 245 spam comments (and a time on all its ham; its dump order is
// reverse-chronological): `end` replays them after everything else (the most
// probation can do for them), `skip` drops them. A time on 1 January 1970 or before
// is no time: no forum post is that old, and dumps write "no date" so (0001-01-01,
// Unix 0); nor is one from 2286-11-20T17:46:40Z on, past the latest 10-digit Unix
// time (9999-12-31, a database's "never"). A record without
// an author gets a unique one ("anonymous:LINE"); one without a group goes to group
// "(none)"; both stand-ins get a ' added while a record's own author or group has
// that name, so they never merge with real ones. A dump
// where no record has a usable time, or none an author, is replayed with a warning:
// its figures say nothing of probation (README: "Replay").
//
// The simulated moderator reviews each held post at once: spam (by the dump's label)
// is rejected and its author flagged from that group; ham is approved. Unlabeled held
// posts are approved. Flags are not rate-limited unless --flag-limit is given.

#include "replay.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <new>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common.h"
#include "groupguard/clock.h"
#include "groupguard/event_store.h"
#include "groupguard/gate.h"
#include "groupguard/post_reader.h"
#include "groupguard/registry.h"
#include "output.h"
#include "output_file.h"
#include "util/printable.h"
#include "util/status_macros.h"

namespace groupguard::cli {
namespace {

struct ReplayFlags {
  std::string input;
  std::string model;
  bool json = false;
  std::string untimed = "neighbor";
  double probation_days = 30;
  int sitewide_after = 1;
  int flag_limit = 0;  // per moderator per day; 0 = none
  std::optional<double> hold_threshold;
  std::optional<double> reject_threshold;
  bool no_hold_unsure = false;
  std::string decisions;  // --decisions FILE: one JSON line per replayed post
  InputFlags in;
};

struct Counts {
  int64_t posts = 0, spam = 0, ham = 0, unlabeled = 0;
  int64_t published = 0, held = 0, rejected = 0;
  int64_t spam_published = 0, ham_published = 0;
  int64_t spam_held = 0, ham_held = 0;
  int64_t spam_rejected = 0, ham_rejected = 0;
  int64_t spam_held_by_classifier = 0;      // the classifier's verdict held it
  int64_t spam_held_by_probation_only = 0;  // the classifier alone would have published
  int64_t ham_held_by_probation_only = 0;
  int64_t flags = 0, flags_refused = 0;
  // Members put on probation while not on it, and flags that held a member already
  // on probation longer or in more groups (the registry sends kProbationStarted for
  // both).
  int64_t probations_started = 0, probations_extended = 0;
  std::map<MemberId, absl::Time> on_probation;  // until when
  int64_t untimed = 0, untimed_skipped = 0, bad_records = 0;
  // Untimed records replayed after every timed one: by --untimed end, or by neighbor
  // when their group has no timed record to take a time from.
  int64_t untimed_at_end = 0;
  int64_t no_author = 0;  // records replayed under an author of their own
  int64_t groups = 0, authors = 0;
  // The author of the most records (of those that had one), and how many.
  std::string top_author;
  int64_t top_author_posts = 0;
};

// Unix seconds, as in many dumps ("created_utc": 1420070400): 9 or 10 digits (1973
// to 2286; fewer would read a year or a YYYYMMDD date as a time in 1970, more a
// YYYYMMDDhhmm as one thousands of years ahead) and an optional fraction of up to 9
// digits.
std::optional<absl::Time> ParseUnixSeconds(absl::string_view s) {
  const size_t dot = s.find('.');
  const absl::string_view whole = s.substr(0, dot);
  const absl::string_view fraction =
      dot == absl::string_view::npos ? absl::string_view() : s.substr(dot + 1);
  const auto digits = [](absl::string_view d) {
    return std::all_of(d.begin(), d.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  if (whole.size() < 9 || whole.size() > 10 || !digits(whole) ||
      (dot != absl::string_view::npos &&
       (fraction.empty() || fraction.size() > 9 || !digits(fraction)))) {
    return std::nullopt;
  }
  int64_t seconds = 0, nanos = 0;
  if (!absl::SimpleAtoi(whole, &seconds)) return std::nullopt;
  for (size_t i = 0; i < 9; ++i) {
    nanos = 10 * nanos + (i < fraction.size() ? fraction[i] - '0' : 0);
  }
  return absl::FromUnixSeconds(seconds) + absl::Nanoseconds(nanos);
}

// The forms of a post's time replay reads (README: "replay"); a time without an
// offset is UTC.
std::optional<absl::Time> ParseTime(const std::string& s) {
  if (s.empty()) return std::nullopt;
  // A name of UTC for the offset ("GMT", "UT", "UTC", "Z" after a space), as SQL
  // (PostgreSQL's "2013-11-07 06:20:00 UTC"), e-mail and HTTP write it, is read as
  // +0000: absl::ParseTime takes numeric offsets only.
  std::string t = s;
  for (absl::string_view utc : {" GMT", " UTC", " UT", " Z"}) {
    if (absl::EndsWith(t, utc)) {
      t.replace(t.size() - utc.size(), utc.size(), " +0000");
      break;
    }
  }
  // RFC 3339 lets the 'T' be lower case (the 'z' too, which %Ez takes), and ISO 8601
  // a comma before the fraction of a second: both read as the forms below have them.
  const auto digit = [&t](size_t i) { return i < t.size() && absl::ascii_isdigit(t[i]); };
  if (t.size() > 10 && t[10] == 't' && digit(9) && digit(11)) t[10] = 'T';
  if (const size_t comma = t.find(','); comma != std::string::npos && comma >= 3 &&
                                        t[comma - 3] == ':' && digit(comma - 1) &&
                                        digit(comma + 1)) {
    t[comma] = '.';
  }
  absl::Time time;
  std::string err;
  // RFC 3339 ("Z" or +hh:mm) and ISO 8601 without an offset; the same with a space
  // for the 'T' (SQL); each also with the offset after a space (" +hhmm",
  // " +hh:mm") and without the seconds (as spreadsheets often export them:
  // "2013-11-07 06:20"); a day.
  for (const char* f :
       {"%Y-%m-%dT%H:%M:%E*S%Ez", "%Y-%m-%dT%H:%M:%E*S %z", "%Y-%m-%dT%H:%M:%E*S %Ez",
        "%Y-%m-%dT%H:%M:%E*S", "%Y-%m-%d %H:%M:%E*S%Ez", "%Y-%m-%d %H:%M:%E*S %z",
        "%Y-%m-%d %H:%M:%E*S %Ez", "%Y-%m-%d %H:%M:%E*S", "%Y-%m-%dT%H:%M%Ez",
        "%Y-%m-%dT%H:%M %z", "%Y-%m-%dT%H:%M %Ez", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M%Ez",
        "%Y-%m-%d %H:%M %z", "%Y-%m-%d %H:%M %Ez", "%Y-%m-%d %H:%M", "%Y-%m-%d"}) {
    if (absl::ParseTime(f, t, absl::UTCTimeZone(), &time, &err)) return time;
  }
  // RFC 2822 (e-mail, RSS, HTTP), with or without the weekday and the seconds; its
  // zone a numeric offset or one of the names of UTC. A weekday ("Tue", "Tuesday",
  // any case, a comma after it) must be the date's: a time that says otherwise is
  // wrong somewhere, and which part is not known.
  for (const char* f : {"%d %b %Y %H:%M:%S %z", "%d %b %Y %H:%M %z"}) {
    if (absl::ParseTime(f, t, absl::UTCTimeZone(), &time, &err)) return time;
  }
  if (const size_t comma = t.find(','); comma != std::string::npos) {
    absl::Time named;
    if (absl::ParseTime("%a", t.substr(0, comma), absl::UTCTimeZone(), &named, &err)) {
      const std::string date(absl::StripLeadingAsciiWhitespace(t.substr(comma + 1)));
      for (const char* f : {"%d %b %Y %H:%M:%S %z", "%d %b %Y %H:%M %z"}) {
        if (!absl::ParseTime(f, date, absl::UTCTimeZone(), &time, &err)) continue;
        absl::Time day;
        if (!absl::ParseTime("%d %b %Y", date.substr(0, date.find(' ', date.find(' ') + 5)),
                             absl::UTCTimeZone(), &day, &err)) {
          return std::nullopt;
        }
        const std::string weekday = absl::FormatTime("%a", day, absl::UTCTimeZone());
        if (!absl::EqualsIgnoreCase(weekday, t.substr(0, 3))) return std::nullopt;
        return time;
      }
    }
  }
  return ParseUnixSeconds(s);
}

// The end of the times replay takes: past the largest Unix time it reads (10 digits
// and a fraction, up to 2286-11-20T17:46:39.999999999Z).
const absl::Time kReplayTimesEnd = absl::FromUnixSeconds(10'000'000'000);

// A record's time for the replay: nullopt when it has none that replay reads, or one
// on 1 January 1970 (UTC) or before. No forum post is that old: such a time is a
// dump's way of writing no time (0001-01-01, .NET's DateTime.MinValue; 1899-12-30, a
// spreadsheet's day 0; Unix 0, which a dump written in a local time east of UTC
// spells 1970-01-01 01:00:00 and so on, up to +14:00), which would otherwise be
// replayed first, at the replay clock's start. Nor is any post from kReplayTimesEnd
// on: 9999-12-31, a database's "never", would be replayed last, with probations
// ending in a year of five digits.
std::optional<absl::Time> ReplayTime(const std::string& s) {
  std::optional<absl::Time> time = ParseTime(s);
  if (time && (*time < absl::UnixEpoch() + absl::Hours(24) || *time >= kReplayTimesEnd)) {
    return std::nullopt;
  }
  return time;
}

struct Item {
  Post post;
  std::optional<absl::Time> time;
  bool untimed = false;    // the dump's time was unusable (placed by --untimed)
  bool no_author = false;  // replayed under a stand-in author of its own
  bool no_group = false;   // replayed in the stand-in group
};

// Group names and author prefix of the stand-ins for what a record lacks.
constexpr absl::string_view kNoGroup = "(none)";
constexpr absl::string_view kNoAuthorPrefix = "anonymous:";

// `name` with a ' added until no name in `taken` is spelled so.
std::string Unused(std::string name, const std::set<std::string>& taken) {
  while (taken.count(name) > 0) name.push_back('\'');
  return name;
}

// --decisions: where each post's record goes, written as the replay goes (a dump of
// millions of posts is not kept as text in memory).
class DecisionLog {
 public:
  explicit DecisionLog(OutputFile* file) : file_(file) {}
  // Appends the record of one replayed post (README: "replay --decisions").
  // `no_group` is the stand-in group's name: null in the record.
  absl::Status Add(const Item& it, const Submission& s, const Decision& d,
                   absl::string_view no_group, absl::string_view moderator,
                   absl::string_view flag, std::optional<absl::Time> probation_until) {
    const Post& p = it.post;
    AppendLiteral("{\"id\":", &text_);
    if (p.id.empty()) {
      AppendLiteral("null", &text_);
    } else {
      AppendJsonString(p.id, &text_);
    }
    absl::StrAppend(&text_, ",\"line\":", p.line, ",\"member\":");
    AppendNameOrNull(it.no_author ? "" : s.member);
    AppendLiteral(",\"group\":", &text_);
    AppendNameOrNull(it.no_group ? "" : s.group);
    absl::StrAppend(&text_, ",\"time\":\"", Rfc3339(s.time),
                    "\",\"untimed\":", it.untimed ? "true" : "false", ",\"action\":\"",
                    ActionName(d.action), "\",\"why\":");
    bool probation = false, classifier = false;
    const HoldReason* probation_reason = nullptr;
    for (const HoldReason& r : d.reasons) {
      if (r.kind == HoldReason::Kind::kProbation) {
        probation = true;
        probation_reason = &r;
      } else {
        classifier = true;
      }
    }
    // A reject is the classifier's alone (its reject threshold), whatever else held.
    if (d.action == Decision::Action::kReject) probation = false;
    text_.append(d.action == Decision::Action::kPublish ? "null"
                 : probation && classifier              ? "\"both\""
                 : probation                            ? "\"probation\""
                                                        : "\"classifier\"");
    AppendLiteral(",\"spam_probability\":", &text_);
    if (d.spam_probability) {
      AppendProbability(*d.spam_probability, &text_);
    } else {
      AppendLiteral("null", &text_);
    }
    AppendLiteral(",\"label\":", &text_);
    text_.append(!p.is_spam ? "null" : *p.is_spam ? "\"spam\"" : "\"ham\"");
    if (probation_reason != nullptr && probation) {
      // Which groups' flags held it, and until when (never who flagged).
      absl::StrAppend(&text_, ",\"probation_until\":\"",
                      Rfc3339(probation_reason->probation_until),
                      "\",\"site_wide\":", probation_reason->site_wide ? "true" : "false",
                      ",\"flagged_from\":[");
      for (size_t i = 0; i < probation_reason->flagged_from.size(); ++i) {
        if (i > 0) text_.push_back(',');
        const std::string& group = probation_reason->flagged_from[i];
        AppendNameOrNull(group == no_group ? "" : group);
      }
      text_.push_back(']');
    }
    AppendLiteral(",\"moderator\":", &text_);
    if (moderator.empty()) {
      AppendLiteral("null", &text_);
    } else {
      absl::StrAppend(&text_, "\"", moderator, "\"");
    }
    AppendLiteral(",\"flag\":", &text_);
    if (flag.empty()) {
      AppendLiteral("null", &text_);
    } else {
      absl::StrAppend(&text_, "\"", flag, "\"");
    }
    if (probation_until) {
      absl::StrAppend(&text_, ",\"flag_probation_until\":\"", Rfc3339(*probation_until),
                      "\"");
    }
    AppendLiteral("}\n", &text_);
    if (text_.size() >= kFlushBytes) return Flush();
    return absl::OkStatus();
  }

  absl::Status Flush() {
    absl::Status s = file_->Write(text_);
    text_.clear();
    return s;
  }

 private:
  static constexpr size_t kFlushBytes = size_t{256} << 10;
  // A name as a JSON string, or null for "" (a stand-in).
  void AppendNameOrNull(absl::string_view name) {
    if (name.empty()) {
      AppendLiteral("null", &text_);
    } else {
      AppendJsonString(name, &text_);
    }
  }
  static std::string Rfc3339(absl::Time t) {
    return absl::FormatTime("%Y-%m-%dT%H:%M:%E*SZ", t, absl::UTCTimeZone());
  }
  OutputFile* file_;
  std::string text_;
};

// Gives untimed items a time by the --untimed rule; returns false for items to drop.
void PlaceUntimed(std::vector<Item>* items, const std::string& rule, Counts* c) {
  std::map<std::string, std::optional<absl::Time>> last_in_group;
  std::vector<size_t> pending;  // untimed items still without a predecessor
  for (size_t i = 0; i < items->size(); ++i) {
    Item& it = (*items)[i];
    if (it.time) {
      last_in_group[it.post.group] = it.time;
      continue;
    }
    ++c->untimed;
    if (rule == "neighbor") {
      auto& last = last_in_group[it.post.group];
      if (last) {
        it.time = last;
      } else {
        pending.push_back(i);
      }
    }
  }
  // Those with no timed record before them take the next one's time in their group:
  // one backward pass (a forward scan per record was quadratic in a group with no
  // timed record at all).
  if (!pending.empty()) {
    std::map<std::string, absl::Time> next_in_group;
    size_t k = pending.size();
    for (size_t i = items->size(); i-- > 0 && k > 0;) {
      Item& it = (*items)[i];
      if (it.time) {
        next_in_group[it.post.group] = *it.time;
      } else if (pending[k - 1] == i) {
        --k;
        auto next = next_in_group.find(it.post.group);
        if (next != next_in_group.end()) it.time = next->second;
      }
    }
  }
  const absl::Time end = absl::InfiniteFuture();
  std::vector<Item> kept;
  kept.reserve(items->size());
  for (Item& it : *items) {
    if (!it.time) {
      if (rule == "skip") {
        ++c->untimed_skipped;
        continue;
      }
      it.time = end;  // "end", or a group with no timed record at all
      ++c->untimed_at_end;
    }
    kept.push_back(std::move(it));
  }
  std::stable_sort(kept.begin(), kept.end(),
                   [](const Item& a, const Item& b) { return *a.time < *b.time; });
  *items = std::move(kept);
}

// *replaying is the item being replayed (for a caller that catches std::bad_alloc).
absl::Status Simulate(std::vector<Item>& items, const Classifier* model,
                      const ReplayFlags& f, Counts* c, DecisionLog* log,
                      const Item** replaying) {
  // Replay times are the dump's; the registry's clock follows them. Untimed posts
  // placed at the end run at the last known time.
  ManualClock clock(absl::UnixEpoch());
  RegistryOptions ro;
  ro.default_probation = absl::Seconds(f.probation_days * 86400);
  ro.max_probation = std::max(ro.default_probation, ro.max_probation);
  ro.sitewide_after_distinct_groups = f.sitewide_after;
  ro.max_flags_per_window = f.flag_limit > 0 ? f.flag_limit : 1'000'000;
  ro.flag_window = absl::Hours(24);
  auto opened = Registry::Open(NewMemoryEventStore(), &clock, ro);
  if (!opened.ok()) return opened.status();
  Registry& registry = **opened;
  registry.Subscribe([c](const ModerationEvent& e) {
    switch (e.type) {
      case ModerationEvent::Type::kProbationStarted: {
        // The replay never calls ExpireProbations: a probation whose end has passed
        // is over all the same.
        auto [it, inserted] = c->on_probation.try_emplace(e.member, e.until);
        ++(inserted || it->second <= e.time ? c->probations_started
                                            : c->probations_extended);
        it->second = e.until;
        break;
      }
      case ModerationEvent::Type::kProbationLifted:
        if (e.site_wide) c->on_probation.erase(e.member);  // held nowhere any more
        break;
      case ModerationEvent::Type::kProbationExpired:
        c->on_probation.erase(e.member);
        break;
      default:
        break;
    }
  });
  GateOptions gate_options;
  gate_options.max_clues = 0;
  // The replay's registry keeps its events in memory, with no limit on a record: a
  // dump's long posts are decided, not refused.
  gate_options.max_post_bytes = std::numeric_limits<size_t>::max();
  Gate gate(&registry, model, gate_options);
  std::set<std::string> groups;
  std::set<std::string> second_moderators;  // groups where one was needed
  std::map<std::string, int64_t> authors;   // records per author
  GroupPolicy policy;
  policy.hold_threshold = f.hold_threshold;
  policy.reject_threshold = f.reject_threshold;
  policy.hold_unsure = !f.no_hold_unsure;
  // The records' own names a stand-in could be spelled as (a dump may well have an
  // author called "anonymous:12", or a group "(none)").
  std::set<std::string> taken_groups, taken_authors;
  for (const Item& it : items) {
    if (absl::StartsWith(it.post.group, kNoGroup)) taken_groups.insert(it.post.group);
    if (absl::StartsWith(it.post.author, kNoAuthorPrefix)) {
      taken_authors.insert(it.post.author);
    }
  }
  const std::string no_group = Unused(std::string(kNoGroup), taken_groups);

  for (Item& it : items) {
    *replaying = &it;
    Post& p = it.post;
    if (p.group.empty()) {
      p.group = no_group;
      it.no_group = true;
    }
    // "(forgotten)", the registry's name of an erased account (no account has it:
    // Registry::Join refuses it), is no author either, as in a dump exported after
    // erasures.
    if (p.author.empty() || p.author == kForgottenMember) {
      p.author = Unused(absl::StrCat(kNoAuthorPrefix, p.line), taken_authors);
      it.no_author = true;
      ++c->no_author;
    } else if (const int64_t n = ++authors[p.author]; n > c->top_author_posts) {
      c->top_author = p.author;
      c->top_author_posts = n;
    }
    if (*it.time != absl::InfiniteFuture() && *it.time > clock.Now()) clock.Set(*it.time);
    const std::string mod = absl::StrCat("moderator of ", p.group);
    if (groups.insert(p.group).second) {
      GG_RETURN_IF_ERROR(registry.CreateGroup(p.group, policy));
      GG_RETURN_IF_ERROR(registry.AddModerator(p.group, mod));
    }
    if (!registry.CheckPosting(p.author, p.group).ok()) {
      GG_RETURN_IF_ERROR(registry.Join(p.author, p.group));
    }
    ++c->posts;
    const bool labeled = p.is_spam.has_value();
    const bool spam = labeled && *p.is_spam;
    if (!labeled) {
      ++c->unlabeled;
    } else if (spam) {
      ++c->spam;
    } else {
      ++c->ham;
    }
    // Ids must be unique within a group while held; the line number makes them so.
    Submission s{absl::StrCat(p.line, ":", p.id), p.author, p.group, p.text, clock.Now()};
    auto d = gate.Submit(s);
    if (!d.ok()) return d.status();
    // What the simulated moderator did with it, for --decisions.
    absl::string_view moderated, flagged;
    std::optional<absl::Time> flag_until;
    switch (d->action) {
      case Decision::Action::kPublish:
        ++c->published;
        if (labeled) ++(spam ? c->spam_published : c->ham_published);
        break;
      case Decision::Action::kReject:
        ++c->rejected;
        if (labeled) ++(spam ? c->spam_rejected : c->ham_rejected);
        break;
      case Decision::Action::kHold: {
        ++c->held;
        bool by_classifier = false;
        for (const HoldReason& r : d->reasons) {
          by_classifier |= r.kind == HoldReason::Kind::kClassifier;
        }
        if (labeled) ++(spam ? c->spam_held : c->ham_held);
        if (spam)
          ++(by_classifier ? c->spam_held_by_classifier : c->spam_held_by_probation_only);
        if (labeled && !spam && !by_classifier) ++c->ham_held_by_probation_only;
        // Nobody reviews their own post: when a dump's author has the simulated
        // moderator's name, a second simulated moderator of the group decides.
        std::string reviewer = mod;
        if (p.author == mod) {
          reviewer = absl::StrCat("second ", mod);
          if (second_moderators.insert(p.group).second) {
            GG_RETURN_IF_ERROR(registry.AddModerator(p.group, reviewer));
          }
        }
        if (spam) {
          auto fb = registry.Reject(reviewer, p.group, s.id, "spam");
          if (!fb.ok()) return fb.status();
          moderated = "reject";
          absl::Status flag = registry.Flag(reviewer, p.author, p.group, "posted spam",
                                            absl::ZeroDuration());
          if (flag.ok()) {
            ++c->flags;
            flagged = "flagged";
            if (auto until = c->on_probation.find(p.author);
                until != c->on_probation.end())
              flag_until = until->second;
          } else if (flag.code() == absl::StatusCode::kResourceExhausted) {
            ++c->flags_refused;
            flagged = "refused";
          } else {
            return flag;
          }
        } else {
          auto fb = registry.Approve(reviewer, p.group, s.id, "ham");
          if (!fb.ok()) return fb.status();
          moderated = "approve";
        }
        break;
      }
    }
    if (log != nullptr) {
      GG_RETURN_IF_ERROR(log->Add(it, s, *d, no_group, moderated, flagged, flag_until));
    }
  }
  *replaying = nullptr;
  if (log != nullptr) GG_RETURN_IF_ERROR(log->Flush());
  c->groups = static_cast<int64_t>(groups.size());
  c->authors = static_cast<int64_t>(authors.size() + c->no_author);
  return absl::OkStatus();
}

std::string Percent(int64_t part, int64_t whole) {
  if (whole == 0) return "n/a";
  return absl::StrFormat("%.1f%%", 100.0 * static_cast<double>(part) / whole);
}

// "1 post", "2 posts": a count with its noun, singular for exactly one.
std::string Counted(int64_t n, absl::string_view one, absl::string_view many) {
  return absl::StrCat(n, " ", n == 1 ? one : many);
}

// "30 days", "1 day", "0.5 days": as %g prints the number.
std::string Days(double days) {
  const std::string n = absl::StrFormat("%g", days);
  return absl::StrCat(n, n == "1" ? " day" : " days");
}

// A replay of at least this many records warns when one author wrote more than half.
constexpr int64_t kMinPostsForAuthorShare = 20;

// True when the dump had records and none had a usable time (skipped ones included).
bool NoRecordTimed(const Counts& c) {
  return c.untimed > 0 && c.untimed == c.posts + c.untimed_skipped;
}

// Warns on stderr of a replay that cannot mean what its figures seem to say: with no
// time on any record the registry's clock never moves (probations never end, the
// flag limit counts the whole history as one day); with no author on any record,
// each post has an author of its own and probation can hold nothing. Usually a
// column or key named otherwise than replay looked for.
void WarnOfMissingFields(const Counts& c, const ReplayFlags& f) {
  if (NoRecordTimed(c)) {
    PrintError(absl::StrCat(
        "warning: no record had a usable time (in \"", f.in.time_field,
        "\"; --time-field names another): the replay's clock never moved, so no "
        "probation ended and --flag-limit counted all flags as one day"));
  }
  if (c.posts > 0 && c.no_author == c.posts) {
    PrintError(absl::StrCat(
        "warning: no record had an author (in \"", f.in.author_field,
        "\"; --author-field names another): each post was replayed as an author of "
        "its own, so probation held nothing"));
  }
  // One author for most of a dump of some size is rarely a real community, and
  // usually a dump's spelling of "no author" read as a name: SQL's NULL as an export
  // writes it (\N, NULL, without --null), "deleted", "0". Replayed as one member,
  // the first flag held every later post of theirs.
  if (c.posts >= kMinPostsForAuthorShare && 2 * c.top_author_posts > c.posts) {
    PrintError(absl::StrCat(
        "warning: \"", internal::Printable(c.top_author), "\" is the author of ",
        c.top_author_posts, " of ", c.posts, " records (",
        Percent(c.top_author_posts, c.posts),
        "): if that is how the dump writes no author (SQL's NULL: --null; \"",
        f.in.author_field,
        "\": --author-field), they were replayed as one member, "
        "whom one flag put on probation for all of them"));
  }
}

absl::Status PrintJson(const Counts& c, const ReplayFlags& f) {
  std::string o = "{";
  auto field = [&o](absl::string_view key, int64_t v) {
    if (o.size() > 1) o.push_back(',');
    AppendJsonString(key, &o);
    absl::StrAppend(&o, ":", v);
  };
  field("posts", c.posts);
  field("spam", c.spam);
  field("ham", c.ham);
  field("unlabeled", c.unlabeled);
  field("published", c.published);
  field("held", c.held);
  field("rejected", c.rejected);
  field("spam_published", c.spam_published);
  field("ham_published", c.ham_published);
  field("spam_held", c.spam_held);
  field("ham_held", c.ham_held);
  field("spam_rejected", c.spam_rejected);
  field("ham_rejected", c.ham_rejected);
  field("spam_held_by_classifier", c.spam_held_by_classifier);
  field("spam_held_by_probation_only", c.spam_held_by_probation_only);
  field("ham_held_by_probation_only", c.ham_held_by_probation_only);
  field("flags", c.flags);
  field("flags_refused_by_rate_limit", c.flags_refused);
  field("probations_started", c.probations_started);
  field("probations_extended", c.probations_extended);
  field("groups", c.groups);
  field("authors", c.authors);
  field("untimed", c.untimed);
  field("untimed_skipped", c.untimed_skipped);
  field("untimed_at_end", c.untimed_at_end);
  field("no_author", c.no_author);
  field("bad_records", c.bad_records);
  o.append(",\"untimed_rule\":");
  AppendJsonString(f.untimed, &o);
  absl::StrAppend(&o, ",\"probation_days\":", f.probation_days,
                  ",\"sitewide_after_distinct_groups\":", f.sitewide_after, "}\n");
  return WriteStdout(o);
}

absl::Status PrintSummary(const Counts& c, const ReplayFlags& f) {
  std::string o;
  absl::StrAppendFormat(&o, "replayed %s (%d spam, %d ham, %d unlabeled) by %s in %s\n",
                        Counted(c.posts, "post", "posts"), c.spam, c.ham, c.unlabeled,
                        Counted(c.authors, "author", "authors"),
                        Counted(c.groups, "group", "groups"));
  // The --untimed rule is named only when it placed something: with no timed
  // record at all, every rule but skip replays everything at one instant.
  if (NoRecordTimed(c) && f.untimed != "skip") {
    absl::StrAppendFormat(
        &o,
        "  no record had a usable time: all %d replayed at one instant, "
        "in dump order\n",
        c.untimed);
  } else if (c.untimed > 0) {
    std::string rule = f.untimed;
    if (c.untimed_skipped > 0)
      absl::StrAppend(&rule, "; ", c.untimed_skipped, " skipped");
    if (f.untimed == "neighbor" && c.untimed_at_end > 0) {
      absl::StrAppend(&rule, "; ", c.untimed_at_end,
                      " with no timed record in their group replayed at the end");
    }
    absl::StrAppendFormat(&o, "  %s no usable time (rule: %s)\n",
                          Counted(c.untimed, "record had", "records had"), rule);
  }
  if (c.no_author > 0) {
    absl::StrAppendFormat(&o, "  %s no author (each replayed as one of its own)\n",
                          Counted(c.no_author, "record had", "records had"));
  }
  absl::StrAppendFormat(&o, "gate:      %d published, %d held, %d rejected\n",
                        c.published, c.held, c.rejected);
  absl::StrAppendFormat(
      &o, "spam:      %d published (%s of spam got through), %d held, %d rejected\n",
      c.spam_published, Percent(c.spam_published, c.spam), c.spam_held, c.spam_rejected);
  absl::StrAppendFormat(&o,
                        "           held by the classifier: %d; by probation alone: %d "
                        "(the classifier alone would have published these)\n",
                        c.spam_held_by_classifier, c.spam_held_by_probation_only);
  absl::StrAppendFormat(
      &o,
      "ham:       %d published, %d held (%s of ham waited for a moderator; "
      "%d because of probation alone), %d rejected\n",
      c.ham_published, c.ham_held, Percent(c.ham_held, c.ham),
      c.ham_held_by_probation_only, c.ham_rejected);
  absl::StrAppendFormat(&o,
                        "moderator: %s (%d refused by the rate limit), %s started, "
                        "%d extended or widened; probation %s, site-wide after %s\n",
                        Counted(c.flags, "flag", "flags"), c.flags_refused,
                        Counted(c.probations_started, "probation", "probations"),
                        c.probations_extended, Days(f.probation_days),
                        Counted(f.sitewide_after, "group", "groups"));
  return WriteStdout(o);
}

// Longest id, author or group a replayed record may have. What replay derives from
// them stays within the registry's kMaxIdBytes: "second moderator of <group>", and
// a stand-in, at most one byte longer than the longest record's name it avoids.
constexpr size_t kMaxReplayIdBytes = 1000;

absl::Status CheckReplayIds(const Post& p, const std::string& input) {
  for (const auto& [field, value] :
       {std::pair<const char*, const std::string*>{"id", &p.id},
        std::pair<const char*, const std::string*>{"author", &p.author},
        std::pair<const char*, const std::string*>{"group", &p.group}}) {
    if (value->size() > kMaxReplayIdBytes) {
      return absl::InvalidArgumentError(absl::StrCat(
          input == "-" ? "<stdin>" : input, ":", p.line, ": \"", field, "\" is ",
          value->size(), " bytes; replay takes at most ", kMaxReplayIdBytes));
    }
  }
  return absl::OkStatus();
}

int RunReplay(const ReplayFlags& f) {
  // The registry refuses such a policy too, but only when the first group is made:
  // after the whole dump is read (exit 1), or never for a dump without records.
  if (f.hold_threshold && f.reject_threshold && *f.reject_threshold < *f.hold_threshold) {
    return UsageErrorOf("replay",
                        absl::StrCat("--reject-threshold ", *f.reject_threshold,
                                     " is below --hold-threshold ", *f.hold_threshold,
                                     "; it must be at least that"));
  }
  auto options = ReaderOptionsFor(f.in, f.input);
  if (!options.ok()) {
    return UsageErrorOf("replay", options.status().message());
  }
  if (absl::Status s = CheckModelStdin(f.model, f.input == "-", "the posts"); !s.ok()) {
    return UsageErrorOf("replay", s.message());
  }
  auto model = LoadModel(f.model);
  if (!model.ok()) {
    PrintError(model.status().message());
    return kExitRuntimeError;
  }
  // Standard output carries the summary: records after it would be neither.
  if (absl::Status s =
          CheckOutputIsNotReport("--decisions", f.decisions, "the summary", "a file");
      !s.ok()) {
    return UsageErrorOf("replay", s.message());
  }
  // An output renamed over an input (or the model) would replace it: refused.
  for (const absl::Status& s :
       {CheckOutputIsNotInput("--decisions", f.decisions, "input", f.input),
        CheckOutputIsNotInput("--decisions", f.decisions, "model", f.model)}) {
    if (!s.ok()) {
      return UsageErrorOf("replay", s.message());
    }
  }
  // Opened before the work, so an unwritable path fails at once; it appears only
  // when the replay succeeds.
  std::unique_ptr<OutputFile> decisions;
  if (!f.decisions.empty()) {
    auto out = OutputFile::Open(f.decisions);
    if (!out.ok()) {
      PrintError(out.status().message());
      return kExitRuntimeError;
    }
    decisions = std::move(*out);
  }
  auto reader = PostReader::Open(f.input, *options);
  if (!reader.ok()) {
    PrintError(reader.status().message());
    return kExitRuntimeError;
  }
  Counts c;
  BadRecords bad;
  std::vector<Item> items;
  // The replay holds the whole dump (to sort it by time): running out of memory
  // says where it got to, here and while replaying (main() would say only "out of
  // memory").
  const auto out_of_memory = [&](absl::string_view what) {
    return absl::StrCat((*reader)->name(), what, " (", items.size(),
                        " records held: a replay holds the whole dump in memory)");
  };
  while (true) {
    Item it;
    absl::StatusOr<bool> more;
    try {
      more = (*reader)->Next(&it.post);
    } catch (const std::bad_alloc&) {
      PrintError(out_of_memory(
          items.empty() ? absl::StrCat(": out of memory reading the first record")
                        : absl::StrCat(": out of memory reading the record after line ",
                                       items.back().post.line)));
      return kExitRuntimeError;
    }
    if (!more.ok()) {
      if (f.in.skip_bad && more.status().code() == absl::StatusCode::kInvalidArgument) {
        bad.Add(more.status().message());
        continue;
      }
      PrintError(more.status().message());
      return kExitRuntimeError;
    }
    if (!*more) break;
    // The replay derives registry ids from these ("<line>:<id>", "moderator of
    // <group>"), and the registry takes ids of at most 1 KiB: a longer one is a
    // malformed record, skipped under --skip-bad.
    if (absl::Status ids = CheckReplayIds(it.post, f.input); !ids.ok()) {
      if (f.in.skip_bad) {
        bad.Add(ids.message());
        continue;
      }
      PrintError(ids.message());
      return kExitRuntimeError;
    }
    it.time = ReplayTime(it.post.time);
    it.untimed = !it.time.has_value();
    try {
      items.push_back(std::move(it));
    } catch (const std::bad_alloc&) {
      PrintError(out_of_memory(
          absl::StrCat(":", it.post.line, ": out of memory holding this record")));
      return kExitRuntimeError;
    }
  }
  c.bad_records = bad.count();
  std::optional<DecisionLog> log;
  if (decisions != nullptr) log.emplace(decisions.get());
  const Item* replaying = nullptr;
  absl::Status s;
  try {
    PlaceUntimed(&items, f.untimed, &c);
    s = Simulate(items, model->get(), f, &c, log ? &*log : nullptr, &replaying);
  } catch (const std::bad_alloc&) {
    s = absl::ResourceExhaustedError(out_of_memory(
        replaying == nullptr
            ? absl::StrCat(": out of memory setting up or summing up the replay")
            : absl::StrCat(":", replaying->post.line,
                           ": out of memory replaying this post of ",
                           replaying->post.text.size(), " bytes")));
  }
  if (s.ok() && decisions != nullptr) s = decisions->Commit();
  if (!s.ok()) {
    PrintError(s.message());
    return kExitRuntimeError;
  }
  bad.Report();
  WarnOfMissingFields(c, f);
  if (absl::Status printed = f.json ? PrintJson(c, f) : PrintSummary(c, f);
      !printed.ok()) {
    PrintError(printed.message());
    return kExitRuntimeError;
  }
  return kExitOk;
}

}  // namespace

void AddReplayCommand(CLI::App& app) {
  auto f = std::make_shared<ReplayFlags>();
  CLI::App* cmd = app.add_subcommand(
      "replay",
      "Replay a chronological dump with authors and groups through the gate and the "
      "probation registry, with a simulated moderator (rejects held spam and flags its "
      "author, approves held ham); prints what would have happened");
  cmd->add_option("input", f->input, "Dump with author, group and time (\"-\" = stdin)")
      ->required()
      ->check(FileName());
  AddModelFlag(cmd, &f->model);
  cmd->add_flag("--json", f->json, "Print one JSON object instead of the summary");
  AddChoiceOption(cmd, "--untimed", &f->untimed, {"neighbor", "end", "skip"},
                  "Where records without a usable time go (none, unreadable, on 1 "
                  "January 1970 or before, or from 2286-11-20T17:46:40Z on): neighbor "
                  "(between their neighbours in the dump), end, skip")
      ->capture_default_str();
  AddNumberOption(cmd, "--probation-days", &f->probation_days, 0.001, 3650.0,
                  "How long a flag lasts, in days")
      ->capture_default_str();
  AddIntegerOption(cmd, "--sitewide-after", &f->sitewide_after, 1, 1000,
                   "Probation is site-wide after flags from this many groups, each by "
                   "a different person")
      ->capture_default_str();
  AddIntegerOption(cmd, "--flag-limit", &f->flag_limit, 0, 1'000'000,
                   "Flags per moderator per day (0 = unlimited)");
  AddNumberOption(cmd, "--hold-threshold", &f->hold_threshold, 0.0, 1.0,
                  "P(spam) at or above which a post is held (default: the model's spam "
                  "threshold); unless --no-hold-unsure, every post from the model's "
                  "unsure threshold up is held as well");
  AddNumberOption(cmd, "--reject-threshold", &f->reject_threshold, 0.0, 1.0,
                  "P(spam) at or above which a post is rejected outright (default: "
                  "never; at least --hold-threshold)");
  cmd->add_flag("--no-hold-unsure", f->no_hold_unsure,
                "Hold by --hold-threshold alone, not from the model's unsure "
                "threshold up");
  cmd->add_option("--decisions", f->decisions,
                  "Also write one JSON line per replayed post, in replay order, to this "
                  "file (not \"-\": standard output carries the summary), with id, line, "
                  "member, group, time, untimed, action, why, spam_probability, label, "
                  "probation_until, site_wide and flagged_from (a hold by probation), "
                  "moderator, flag and flag_probation_until (a flag's)")
      ->check(FileName());
  AddInputFlags(cmd, &f->in);
  AddPostContextFlags(cmd, &f->in);
  cmd->callback([f] { ExitWith(RunReplay(*f)); });
}

}  // namespace groupguard::cli
