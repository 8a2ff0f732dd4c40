#include "groupguard/registry.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <limits>
#include <map>
#include <mutex>
#include <new>
#include <set>
#include <shared_mutex>
#include <string>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/text_format.h"
#include "groupguard_internal/moderation/events.pb.h"
#include "moderation/distinct_flaggers.h"
#include "moderation/registry_testing.h"
#include "util/proto_util.h"
#include "util/status_macros.h"

namespace groupguard {

namespace internal {

std::atomic<size_t>& RegistryMessageLimitForTesting() {
  static std::atomic<size_t> limit{kMaxProtoBytes};
  return limit;
}

std::atomic<bool>& RegistryApplyRunsOutOfMemoryForTesting() {
  static std::atomic<bool> runs_out{false};
  return runs_out;
}

}  // namespace internal

namespace {

namespace pb = ::groupguard::moderation;

// The largest event or snapshot the registry serializes: protobuf's limit, or less
// in tests.
size_t MessageLimit() { return internal::RegistryMessageLimitForTesting().load(); }

constexpr int kShards = 64;
constexpr char kSystem[] = "system";
constexpr uint32_t kSnapshotFormat = 1;

int64_t Micros(absl::Time t) { return absl::ToUnixMicros(t); }
absl::Time FromMicros(int64_t m) { return absl::FromUnixMicros(m); }

// `t` moved by `d`, saturating: an infinite (or merely huge) duration, which the
// options allow, must not wrap a time around.
int64_t AddMicros(int64_t t, absl::Duration d) {
  const int64_t m = absl::ToInt64Microseconds(d);  // saturates at +-int64 max
  if (m > 0 && t > std::numeric_limits<int64_t>::max() - m) {
    return std::numeric_limits<int64_t>::max();
  }
  if (m < 0 && t < std::numeric_limits<int64_t>::min() - m) {
    return std::numeric_limits<int64_t>::min();
  }
  return t + m;
}

absl::Status CheckId(absl::string_view what, absl::string_view id) {
  return ValidateId(what, id);
}

// The ids the audit log and the flags use for no account: "system" (the server's
// own changes and expiry) and kForgottenMember (an erased account). Nobody with
// either may moderate or administer: their actions would read as the server's or
// an erased account's. A member may be called "system" (and be forgotten: the
// server's entries keep their actor, see ActorIs), but nobody kForgottenMember: no
// account joins with it, and it cannot be forgotten, which would merge every
// erased flagger into one person (the site-wide rule counts them apart).
absl::Status Reserved(absl::string_view what, absl::string_view id) {
  return absl::InvalidArgumentError(
      absl::StrCat(what, " \"", id, "\" is reserved: the audit log's ",
                   id == kSystem ? "actor for the server's own changes"
                                 : "name of an erased account"));
}
absl::Status CheckNotReserved(absl::string_view what, absl::string_view id) {
  if (id == kSystem || id == kForgottenMember) return Reserved(what, id);
  return absl::OkStatus();
}
absl::Status CheckNotForgottenName(absl::string_view what, absl::string_view id) {
  if (id == kForgottenMember) return Reserved(what, id);
  return absl::OkStatus();
}

absl::Status CheckPolicy(const GroupPolicy& p) {
  for (const auto& t : {p.hold_threshold, p.reject_threshold}) {
    if (t && !(*t >= 0 && *t <= 1)) {
      return absl::InvalidArgumentError(
          absl::StrCat("policy threshold ", *t, " is outside [0, 1]"));
    }
  }
  // Rejecting below the hold threshold would reject what the group means to review.
  if (p.hold_threshold && p.reject_threshold && *p.reject_threshold < *p.hold_threshold) {
    return absl::InvalidArgumentError(
        absl::StrCat("policy reject threshold ", *p.reject_threshold,
                     " is below its hold threshold ", *p.hold_threshold));
  }
  return absl::OkStatus();
}

pb::PolicyProto ToProto(const GroupPolicy& p) {
  pb::PolicyProto out;
  if (p.hold_threshold) out.set_hold_threshold(*p.hold_threshold);
  if (p.reject_threshold) out.set_reject_threshold(*p.reject_threshold);
  out.set_hold_unsure(p.hold_unsure);
  out.set_hold_on_probation(p.hold_on_probation);
  return out;
}

GroupPolicy FromProto(const pb::PolicyProto& p) {
  GroupPolicy out;
  if (p.has_hold_threshold()) out.hold_threshold = p.hold_threshold();
  if (p.has_reject_threshold()) out.reject_threshold = p.reject_threshold();
  out.hold_unsure = p.hold_unsure();
  out.hold_on_probation = p.hold_on_probation();
  return out;
}

void ToProto(const HoldReason& r, pb::HoldReasonProto* out) {
  out->set_kind(static_cast<int32_t>(r.kind));
  out->set_probation_since(Micros(r.probation_since));
  out->set_probation_until(Micros(r.probation_until));
  out->set_site_wide(r.site_wide);
  // At most kMaxFlaggedFromListed names (a caller's own reasons may list more), and
  // a count of at least as many as the list names.
  const size_t listed = std::min(r.flagged_from.size(), kMaxFlaggedFromListed);
  for (size_t i = 0; i < listed; ++i) out->add_flagged_from(r.flagged_from[i]);
  out->set_flagged_from_count(
      std::max(r.flagged_from_count, static_cast<int64_t>(r.flagged_from.size())));
  out->set_spam_probability(r.spam_probability);
  out->set_label(static_cast<int32_t>(r.label));
  for (const auto& c : r.clues) out->add_clues(c);
}

HoldReason FromProto(const pb::HoldReasonProto& p) {
  HoldReason r;
  r.kind = p.kind() == 1 ? HoldReason::Kind::kClassifier : HoldReason::Kind::kProbation;
  r.probation_since = FromMicros(p.probation_since());
  r.probation_until = FromMicros(p.probation_until());
  r.site_wide = p.site_wide();
  // Events written before flagged_from_count existed list every flagging group
  // (sorted) and have no count: they are counted, and listed as new ones are.
  const int listed =
      std::min(p.flagged_from_size(), static_cast<int>(kMaxFlaggedFromListed));
  r.flagged_from.assign(p.flagged_from().begin(), p.flagged_from().begin() + listed);
  r.flagged_from_count =
      std::max(p.flagged_from_count(), static_cast<int64_t>(p.flagged_from_size()));
  r.spam_probability = p.spam_probability();
  r.label = p.label() == 2 ? Label::kSpam : p.label() == 1 ? Label::kUnsure : Label::kHam;
  r.clues.assign(p.clues().begin(), p.clues().end());
  return r;
}

HeldPost FromProto(const pb::PostHeld& p, uint64_t sequence, int64_t held_at) {
  HeldPost h;
  h.post.id = p.post_id();
  h.post.member = p.member();
  h.post.group = p.group();
  h.post.text = p.text();
  h.post.time = FromMicros(p.posted());
  for (const auto& r : p.reasons()) h.reasons.push_back(FromProto(r));
  h.held_at = FromMicros(held_at);
  h.sequence = sequence;
  h.text_truncated = p.original_text_bytes() != 0;
  h.original_text_bytes = h.text_truncated ? p.original_text_bytes() : p.text().size();
  return h;
}

void ToProto(const HeldPost& h, pb::PostHeld* out) {
  out->set_post_id(h.post.id);
  out->set_member(h.post.member);
  out->set_group(h.post.group);
  out->set_text(h.post.text);
  out->set_posted(Micros(h.post.time));
  for (const auto& r : h.reasons) ToProto(r, out->add_reasons());
  if (h.text_truncated) out->set_original_text_bytes(h.original_text_bytes);
}

// How many bytes `v` takes as a protobuf varint.
size_t VarintBytes(uint64_t v) {
  size_t n = 1;
  for (; v >= 0x80; v >>= 7) ++n;
  return n;
}

// If the held post's event `e` is over `limit` bytes, cuts the post's text so that
// it is not, and sets original_text_bytes: the post is held all the same. A post too
// long to hold must not be published instead (a member on probation would get a
// post out by making it long), nor turn a hold into an error that a clean post of
// the same size never gets. The cut keeps whole UTF-8 characters: it moves back over
// the continuation bytes (10xxxxxx, at most three) of the character it falls in, so a
// text that is not UTF-8 loses at most three bytes more than it must.
// kInvalidArgument, for the caller to return with nothing stored, if `e` is over
// `limit` even without its text.
absl::Status FitHeldPostWithin(size_t limit, pb::Event* e) {
  if (e->ByteSizeLong() <= limit) return absl::OkStatus();
  pb::PostHeld* p = e->mutable_post_held();
  std::string text = std::move(*p->mutable_text());
  p->clear_text();
  p->set_original_text_bytes(text.size());
  const size_t rest = e->ByteSizeLong();
  if (rest > limit) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the held post's event would be ", rest, " bytes without its text; the most ",
        "that can be stored is ", limit));
  }
  // The text costs a tag byte, its length and its bytes, and lengthens post_held's
  // own length: reckoned with the whole room for both lengths, which may leave a
  // byte or two unused.
  const size_t room = limit - rest;
  const size_t inner = p->ByteSizeLong();
  const size_t overhead =
      1 + VarintBytes(room) + VarintBytes(inner + room) - VarintBytes(inner);
  size_t keep = room > overhead ? std::min(room - overhead, text.size()) : 0;
  auto continues = [&](size_t i) {
    return (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80;
  };
  for (int back = 0; back < 3 && keep > 0 && continues(keep); ++back) --keep;
  text.resize(keep);
  *p->mutable_text() = std::move(text);
  return absl::OkStatus();
}

// Tables by id. absl::flat_hash_map is not exception-safe: a growth that runs out
// of memory leaves the table corrupt (abseil-cpp issue #1581), as does a key or
// value whose construction throws inside an insert (#388), and a registry goes on
// after std::bad_alloc (failed, still answering reads). So:
// - the tables read on every post (members, group names) are abseil's, and every
//   insert goes through EmplaceNew: the room first, in a new table (a constructor
//   that throws leaves nothing behind), then a move of a key and value made outside;
// - the others are the standard's, which an insert that throws leaves as it was.
template <typename V>
using IdTable = absl::flat_hash_map<std::string, V>;
template <typename V>
using StringMap = std::unordered_map<std::string, V, absl::Hash<std::string>>;

// Inserts `key` (not in `table`) with `value` such that running out of memory
// leaves `table` as it was, and returns the value. V's move must not throw.
template <typename V>
V& EmplaceNew(IdTable<V>& table, std::string key, V value) {
  static_assert(std::is_nothrow_move_constructible_v<V>);
  // An insert allocates nothing when its table has more than one group of slots
  // (16) and stays within 25/32 of them: with no free slot left to take, abseil
  // rehashes in place (tombstones dropped), it does not grow.
  const auto roomy = [](size_t capacity, size_t size) {
    return capacity > 16 && size * 32 <= capacity * 25;
  };
  if (!roomy(table.bucket_count(), table.size() + 1)) {
    IdTable<V> bigger(std::max<size_t>(32, (table.size() + 1) * 2));  // may throw
    for (auto it = table.begin(); it != table.end();) {
      bigger.insert(table.extract(it++));  // moves a slot: allocates nothing
    }
    table.swap(bigger);
  }
  return table.emplace(std::move(key), std::move(value)).first->second;
}

// table[key], through EmplaceNew when it is new.
template <typename V>
V& FindOrEmplace(IdTable<V>& table, const std::string& key) {
  if (auto it = table.find(key); it != table.end()) return it->second;
  return EmplaceNew(table, key, V());
}

struct FlagRecord {
  uint64_t id = 0;
  std::string moderator;
  // The sequence of the Forget that made `moderator` kForgottenMember (0: not
  // forgotten, or a snapshot written before it was kept): who gave the flag, for
  // the site-wide rule (DistinctFlaggersReach), without their id.
  uint64_t anonymized_at = 0;
  uint32_t group = 0;
  std::string reason;
  int64_t since = 0;
  int64_t until = 0;
};

// A group where a lift (Lift with a group) exempts the member for the rest of the
// probation: `until` is the probation's end, moved with it by later flags.
struct Exemption {
  uint32_t group = 0;
  int64_t until = 0;
};

// A time a probation does not know (from a snapshot written before it was kept).
constexpr int64_t kUnknownTime = std::numeric_limits<int64_t>::min();

struct Probation {
  // Sorted by group, a group's records in the order they were added: each view of
  // the probation (Evaluate) is then one pass, with no sort, however many groups
  // flagged the member.
  std::vector<FlagRecord> flags;
  std::vector<Exemption> exemptions;
  // When the member last heard where the probation holds them: the time of its last
  // notice (kProbationStarted, a group's kProbationLifted, kProbationNarrowed; with
  // each a subscriber may read ProbationStatusOf), or of an expiry that changed none
  // of that. Flags that had run out by then were not in what they heard, so their
  // expiry is not news (ExpireProbations). The lowest time when unknown (a snapshot
  // written before it existed): every flag not yet recorded as expired counts.
  int64_t told_at = kUnknownTime;
  // When this probation began (the member has been on probation somewhere since,
  // without a break, whatever flags have run out or been lifted in their groups), and
  // when it last became site-wide (it has been since, while it is). Set by the flag
  // that began it; the lowest time when unknown (a snapshot written before they
  // existed): then the active flags' starts say.
  int64_t began = kUnknownTime;
  int64_t site_wide_began = kUnknownTime;
};

// One member. Kept small: a million members with ten groups each must fit well
// under a gigabyte.
struct MemberRecord {
  // Sorted group indexes, inline up to ten: one cache miss fewer on the gate's path
  // and no heap block per member.
  absl::InlinedVector<uint32_t, 10> groups;
  std::unique_ptr<Probation> probation;
  // The sequence of the last event that changed what CheckPosting answers for this
  // member (a join, a flag, a lift): CheckPosting waits for it to be durable.
  uint64_t changed_at = 0;
};

// A probation as seen at one instant.
struct ProbationView {
  bool any = false;
  bool site_wide = false;
  std::vector<uint32_t> flag_groups;  // distinct, sorted
  // Parallel to flag_groups: the earliest start and the latest end of each group's
  // active flags.
  std::vector<int64_t> group_since;
  std::vector<int64_t> group_until;
  int64_t since = 0;  // of every active flag
  int64_t until = 0;
  // When site_wide: since flags from sitewide_after groups, each by a different
  // person, have been in force, and until fewer will be left (with every flag from a
  // different person: the sitewide_after-th earliest group start and the
  // sitewide_after-th latest group end).
  int64_t site_wide_since = 0;
  int64_t site_wide_until = 0;
};

ProbationView Evaluate(const Probation* p, int64_t now, int sitewide_after) {
  ProbationView v;
  if (p == nullptr) return v;
  v.flag_groups.reserve(p->flags.size());
  v.group_since.reserve(p->flags.size());
  v.group_until.reserve(p->flags.size());
  for (const FlagRecord& f : p->flags) {  // sorted by group
    if (f.until <= now) continue;
    if (!v.any) {
      v.any = true;
      v.since = f.since;
      v.until = f.until;
    } else {
      v.since = std::min(v.since, f.since);
      v.until = std::max(v.until, f.until);
    }
    if (!v.flag_groups.empty() && v.flag_groups.back() == f.group) {
      v.group_since.back() = std::min(v.group_since.back(), f.since);
      v.group_until.back() = std::max(v.group_until.back(), f.until);
    } else {
      v.flag_groups.push_back(f.group);
      v.group_since.push_back(f.since);
      v.group_until.push_back(f.until);
    }
  }
  v.site_wide = v.any && static_cast<int>(v.flag_groups.size()) >= sitewide_after;
  if (v.site_wide && sitewide_after == 1) {
    // The default: one flag is one group by one person. The earliest start and the
    // latest end, with nothing to select.
    v.site_wide_since = v.since;
    v.site_wide_until = v.until;
  } else if (v.site_wide) {
    // Enough groups; enough people? One person's flags, from however many groups
    // they moderate, count for one group (DistinctFlaggersReach). The active flags
    // were all in force from their start to now and stay so until their end, so
    // those that had started by a time reach the rule from some start on, and those
    // that will not have ended by a time reach it until some end.
    std::vector<const FlagRecord*> active;
    std::vector<FlagEdge> edges;
    int groups = 0;  // the flags are sorted by group: numbered in turn
    // The standard's table, not abseil's: an insert that runs out of memory leaves
    // it as it was (see IdTable), and this one is destroyed after it does.
    std::unordered_map<std::pair<absl::string_view, uint64_t>, int,
                       absl::Hash<std::pair<absl::string_view, uint64_t>>>
        people;
    people.reserve(p->flags.size());
    for (const FlagRecord& f : p->flags) {
      if (f.until <= now) continue;
      if (active.empty() || active.back()->group != f.group) ++groups;
      const auto person = people.try_emplace({f.moderator, f.anonymized_at},
                                             static_cast<int>(people.size()));
      active.push_back(&f);
      edges.push_back({groups - 1, person.first->second});
    }
    const int persons = static_cast<int>(people.size());
    v.site_wide = DistinctFlaggersReach(edges, groups, persons, sitewide_after);
    if (v.site_wide) {
      // The active flag, in the order of `before`, with which the flags up to it
      // reach the rule (the first k do not, then do from some k on). Usually the
      // first few flags reach it: k is found by doubling a bound from
      // sitewide_after, each bound's first flags put first by nth_element, and then
      // by halving within the sorted first flags; a member flagged from thousands
      // of groups costs no sort of them all.
      const auto first_reaching = [&](auto before) {
        std::vector<size_t> order(active.size());
        for (size_t i = 0; i < order.size(); ++i) order[i] = i;
        const auto by = [&](size_t a, size_t b) {
          return before(*active[a], *active[b]);
        };
        std::vector<FlagEdge> ordered;
        const auto first_reach = [&](size_t k) {  // order's first k
          ordered.clear();
          for (size_t j = 0; j < k; ++j) ordered.push_back(edges[order[j]]);
          return DistinctFlaggersReach(ordered, groups, persons, sitewide_after);
        };
        size_t lo = sitewide_after, hi = lo;  // k in [lo, hi]
        for (;;) {
          hi = std::min(hi, order.size());
          std::nth_element(order.begin(), order.begin() + (hi - 1), order.end(), by);
          if (hi == order.size() || first_reach(hi)) break;  // all of them reach
          lo = hi + 1;
          hi *= 2;
        }
        std::sort(order.begin(), order.begin() + hi, by);
        while (lo < hi) {
          const size_t mid = lo + (hi - lo) / 2;
          if (first_reach(mid)) {
            hi = mid;
          } else {
            lo = mid + 1;
          }
        }
        return active[order[lo - 1]];
      };
      v.site_wide_since = first_reaching([](const FlagRecord& a, const FlagRecord& b) {
                            return a.since < b.since;
                          })->since;
      v.site_wide_until = first_reaching([](const FlagRecord& a, const FlagRecord& b) {
                            return a.until > b.until;
                          })->until;
    }
  }
  if (v.site_wide) {
    // Since it became site-wide, also when the flags that made it so have run out
    // since (others kept it site-wide).
    if (p->site_wide_began != kUnknownTime) {
      v.site_wide_since = std::min(v.site_wide_since, p->site_wide_began);
    }
  }
  // Since the probation began, also when the flags of that time have run out.
  if (v.any && p->began != kUnknownTime) v.since = std::min(v.since, p->began);
  return v;
}

// Evaluate(p, now, ...).any, without building the view.
bool InForce(const Probation* p, int64_t now) {
  if (p == nullptr) return false;
  return std::any_of(p->flags.begin(), p->flags.end(),
                     [now](const FlagRecord& f) { return f.until > now; });
}

bool Exempt(const Probation* p, uint32_t group, int64_t now) {
  if (p == nullptr) return false;
  for (const Exemption& e : p->exemptions) {
    if (e.group == group && e.until > now) return true;
  }
  return false;
}

bool FlaggedFrom(const ProbationView& v, uint32_t group) {
  return std::binary_search(v.flag_groups.begin(), v.flag_groups.end(), group);
}

// Whether the probation holds the member in `group` at `now`: by the group's own
// active flags, or site-wide unless a lift there exempts the group. (A group's own
// flag and its exemption meet only when a flag keeps the exemption, keeps_exemption:
// a lift removes the group's flags, and older flags ended the exemption.)
bool HeldIn(const Probation* p, const ProbationView& v, uint32_t group, int64_t now) {
  if (!v.any) return false;
  if (FlaggedFrom(v, group)) return true;
  return v.site_wide && !Exempt(p, group, now);
}

// Since and until when the probation holds the member in `group`, where it does
// (HeldIn): site-wide (unless exempt there), from when enough groups had flagged the
// member until too few groups' flags are left, and by the group's own flags,
// whichever began earlier and ends later.
std::pair<int64_t, int64_t> HeldWindow(const Probation* p, const ProbationView& v,
                                       uint32_t group, int64_t now) {
  int64_t since = std::numeric_limits<int64_t>::max();
  int64_t until = std::numeric_limits<int64_t>::min();
  if (v.site_wide && !Exempt(p, group, now)) {
    since = v.site_wide_since;
    until = v.site_wide_until;
  }
  auto it = std::lower_bound(v.flag_groups.begin(), v.flag_groups.end(), group);
  if (it != v.flag_groups.end() && *it == group) {
    const size_t i = static_cast<size_t>(it - v.flag_groups.begin());
    since = std::min(since, v.group_since[i]);
    until = std::max(until, v.group_until[i]);
  }
  return {since, until};
}

struct GroupRecord {
  std::string name;
  GroupPolicy policy;
  uint64_t changed_at = 0;  // its creation's or last policy's sequence (see MemberRecord)
  std::set<std::string> moderators;
  std::map<std::string, HeldPost> queue;  // by post id
};

}  // namespace

class Registry::Impl {
 public:
  Impl(std::unique_ptr<EventStore> store, const Clock* clock, RegistryOptions options)
      : store_(std::move(store)),
        clock_(clock != nullptr ? clock : RealClock()),
        options_(options),
        record_limit_(store_->MaxRecordBytes()) {}

  absl::Status Recover() {
    std::lock_guard<std::mutex> w(write_mu_);
    // One message reused for every record: its strings keep their capacity.
    auto event = std::make_unique<pb::Event>();
    absl::Status recovered = store_->Recover(
        [this](absl::string_view bytes, uint64_t through) -> absl::Status {
          pb::Snapshot snapshot;
          if (!internal::ParseWithin(bytes, &snapshot)) {
            return absl::DataLossError(
                absl::StrCat("moderation snapshot through sequence ", through, " (",
                             bytes.size(), " bytes) is not decodable"));
          }
          if (snapshot.format_version() != kSnapshotFormat) {
            return absl::FailedPreconditionError(absl::StrCat(
                "moderation snapshot through sequence ", through, " has format version ",
                snapshot.format_version(), "; this library reads ", kSnapshotFormat));
          }
          GG_RETURN_IF_ERROR(LoadSnapshotLocked(snapshot));
          last_sequence_ = through;
          return absl::OkStatus();
        },
        [this, &event](uint64_t sequence, absl::string_view bytes) -> absl::Status {
          bool parsed = false;
          try {
            parsed = internal::ParseWithin(bytes, event.get());
          } catch (const std::bad_alloc&) {
            // Protobuf (3.21) sets a oneof's case before it allocates the case's
            // message, and Clear() leaves the pointer to the one it freed: a parse
            // of a reused message that runs out there leaves one whose destructor
            // frees a freed pointer. It is leaked instead (Registry::Open fails).
            (void)event.release();
            throw;
          }
          if (!parsed) {
            return absl::DataLossError(absl::StrCat("moderation event at sequence ",
                                                    sequence, " is not decodable"));
          }
          if (internal::RegistryApplyRunsOutOfMemoryForTesting().exchange(false)) {
            throw std::bad_alloc();
          }
          absl::Status s = ApplyLocked(*event, sequence, nullptr);
          if (!s.ok()) {
            return absl::DataLossError(absl::StrCat("moderation event at sequence ",
                                                    sequence, ": ", s.message()));
          }
          last_sequence_ = sequence;
          return absl::OkStatus();
        });
    durable_through_.store(last_sequence_);  // everything replayed was durable
    return recovered;
  }

  // Records that every event through `sequence` is durable.
  void NoteDurable(uint64_t sequence) {
    uint64_t known = durable_through_.load(std::memory_order_relaxed);
    while (known < sequence && !durable_through_.compare_exchange_weak(
                                   known, sequence, std::memory_order_release)) {
    }
  }

  // Waits until the event `changed_at` (a member's or group's last change, which
  // CheckPosting read) is durable, so that no post is decided on a change a crash
  // could still lose. Almost always returns at once: only a change still waiting
  // for its sync makes it wait (for that sync).
  absl::Status AwaitDurable(uint64_t changed_at) {
    if (changed_at <= durable_through_.load(std::memory_order_acquire)) {
      return absl::OkStatus();
    }
    absl::Status s = store_->WaitDurable(changed_at);
    if (!s.ok()) {
      // The writer of that change fails the registry on the same error.
      return absl::UnavailableError(absl::StrCat(
          "a change this post's check depends on could not be made durable (",
          s.ToString(), ")"));
    }
    NoteDurable(changed_at);
    return absl::OkStatus();
  }

  // Waits until every event through `sequence` is durable. A failed sync gives the
  // registry's kUnavailable: the writer of that event fails the registry on the
  // same error.
  absl::Status AwaitDurableThrough(uint64_t sequence) {
    if (sequence <= durable_through_.load(std::memory_order_acquire)) {
      return absl::OkStatus();
    }
    absl::Status s = store_->WaitDurable(sequence);
    if (!s.ok()) return FailedStatus(s);
    NoteDurable(sequence);
    return absl::OkStatus();
  }

  // ---------------------------------------------------------------- helpers

  struct alignas(64) Shard {
    mutable std::shared_mutex mu;
    IdTable<MemberRecord> members ABSL_GUARDED_BY(mu);
  };

  Shard& ShardFor(absl::string_view member) {
    return shards_[absl::HashOf(member) % kShards];
  }
  const Shard& ShardFor(absl::string_view member) const {
    return shards_[absl::HashOf(member) % kShards];
  }

  int64_t NowMicros() const { return Micros(clock_->Now()); }

  std::optional<uint32_t> GroupIndex(absl::string_view group) const {
    std::shared_lock<std::shared_mutex> l(groups_mu_);
    auto it = group_index_.find(group);
    if (it == group_index_.end()) return std::nullopt;
    return it->second;
  }

  absl::StatusOr<uint32_t> RequireGroup(absl::string_view group) const {
    GG_RETURN_IF_ERROR(CheckId("group", group));
    std::optional<uint32_t> g = GroupIndex(group);
    if (!g) return absl::NotFoundError(absl::StrCat("no group \"", group, "\""));
    return *g;
  }

  std::string GroupName(uint32_t g) const {
    std::shared_lock<std::shared_mutex> l(groups_mu_);
    return groups_[g]->name;
  }

  std::vector<std::string> GroupNames(const std::vector<uint32_t>& gs) const {
    std::vector<std::string> out;
    out.reserve(gs.size());
    std::shared_lock<std::shared_mutex> l(groups_mu_);
    for (uint32_t g : gs) out.push_back(groups_[g]->name);
    std::sort(out.begin(), out.end());
    return out;
  }
  // The first `limit` of GroupNames(gs), without copying the others.
  std::vector<std::string> FirstGroupNames(const std::vector<uint32_t>& gs,
                                           size_t limit) const {
    std::shared_lock<std::shared_mutex> l(groups_mu_);
    std::vector<absl::string_view> names;
    names.reserve(gs.size());
    for (uint32_t g : gs) names.push_back(groups_[g]->name);
    const auto end =
        names.begin() + static_cast<ptrdiff_t>(std::min(limit, names.size()));
    std::partial_sort(names.begin(), end, names.end());
    return std::vector<std::string>(names.begin(), end);
  }

  bool IsAdmin(absl::string_view actor) const {
    std::shared_lock<std::shared_mutex> l(meta_mu_);
    return admins_.count(std::string(actor)) > 0;
  }

  bool IsModerator(absl::string_view actor, uint32_t g) const {
    std::shared_lock<std::shared_mutex> l(groups_mu_);
    return groups_[g]->moderators.count(std::string(actor)) > 0;
  }

  absl::Status Authorize(absl::string_view actor, uint32_t g,
                         absl::string_view what) const {
    GG_RETURN_IF_ERROR(CheckId("actor", actor));
    if (IsAdmin(actor) || IsModerator(actor, g)) return absl::OkStatus();
    return Denied(actor, GroupName(g), what);
  }

  static absl::Status Denied(absl::string_view actor, absl::string_view group,
                             absl::string_view what) {
    return absl::PermissionDeniedError(
        absl::StrCat("\"", actor, "\" may not ", what, " in group \"", group,
                     "\": not a moderator of it or a site administrator"));
  }

  // RequireGroup() for a moderator's call, authorized: the group if `actor` may act
  // in it (Authorize()). An unknown group is kNotFound for a site administrator only;
  // anyone else gets the kPermissionDenied (same message) that a group they do not
  // moderate gives. Callers check their other arguments after this, so no answer
  // (an invalid reason, policy or post id) tells an unauthorized actor whether a
  // group exists. Callers authorize again under the writer lock (rights may change
  // in between).
  absl::StatusOr<uint32_t> RequireGroupAs(absl::string_view actor,
                                          absl::string_view group,
                                          absl::string_view what) const {
    GG_RETURN_IF_ERROR(CheckId("group", group));
    GG_RETURN_IF_ERROR(CheckId("actor", actor));
    if (std::optional<uint32_t> g = GroupIndex(group)) {
      GG_RETURN_IF_ERROR(Authorize(actor, *g, what));
      return *g;
    }
    if (!IsAdmin(actor)) return Denied(actor, group, what);
    return absl::NotFoundError(absl::StrCat("no group \"", group, "\""));
  }

  absl::Status AuthorizeAdmin(absl::string_view actor, absl::string_view what) const {
    GG_RETURN_IF_ERROR(CheckId("actor", actor));
    if (IsAdmin(actor)) return absl::OkStatus();
    return absl::PermissionDeniedError(
        absl::StrCat("\"", actor, "\" may not ", what, ": not a site administrator"));
  }

  // Returns `read(record)` for `member`'s record (nullptr when the registry knows
  // nothing of them), called under their shard's reader lock: what a caller needs of a
  // probation, without copying it. `read` takes no other lock of the registry's.
  template <typename Read>
  auto ReadMember(absl::string_view member, Read read) const {
    const Shard& sh = ShardFor(member);
    std::shared_lock<std::shared_mutex> l(sh.mu);
    auto it = sh.members.find(member);
    return read(it == sh.members.end() ? nullptr : &it->second);
  }

  // Returns a copy of what the view of `member`'s probation needs.
  struct MemberSnapshot {
    bool exists = false;
    absl::InlinedVector<uint32_t, 10> groups;
    std::optional<Probation> probation;
  };
  // Without `with_probation`, only the memberships (what Join, Leave and Hold
  // check): a member's probation may hold many flag records. With it, the flags
  // without their reasons, which no view of the probation reads, and without their
  // moderators unless the site-wide rule needs them (sitewide_after_distinct_groups
  // above 1 counts people): a member flagged from thousands of groups costs a copy
  // of the records, not a string allocation for each.
  // The flags' moderators are copied when the site-wide rule counts people, or
  // when asked (`with_moderators`).
  MemberSnapshot CopyMember(absl::string_view member, bool with_probation = true,
                            bool with_moderators = false) const {
    MemberSnapshot out;
    const Shard& sh = ShardFor(member);
    std::shared_lock<std::shared_mutex> l(sh.mu);
    auto it = sh.members.find(member);
    if (it == sh.members.end()) return out;
    out.exists = true;
    out.groups = it->second.groups;
    if (with_probation && it->second.probation) {
      const Probation& from = *it->second.probation;
      Probation& to = out.probation.emplace();
      to.flags.resize(from.flags.size());
      for (size_t i = 0; i < from.flags.size(); ++i) {
        to.flags[i].id = from.flags[i].id;
        to.flags[i].group = from.flags[i].group;
        to.flags[i].since = from.flags[i].since;
        to.flags[i].until = from.flags[i].until;
        if (options_.sitewide_after_distinct_groups > 1 || with_moderators) {
          to.flags[i].moderator = from.flags[i].moderator;
          to.flags[i].anonymized_at = from.flags[i].anonymized_at;
        }
      }
      to.exemptions = from.exemptions;
      to.told_at = from.told_at;
      to.began = from.began;
      to.site_wide_began = from.site_wide_began;
    }
    return out;
  }

  pb::Event NewEvent(absl::string_view actor, absl::string_view reason) const {
    pb::Event e;
    e.set_time(NowMicros());
    e.set_actor(std::string(actor));
    e.set_reason(std::string(reason));
    return e;
  }

  // A change that StartCommitLocked wrote to the store and applied in memory, whose
  // durability and notification FinishCommit still owes.
  struct PendingCommit {
    uint64_t sequence = 0;
    uint64_t ticket = 0;  // its turn to notify; 0 when there is nothing to notify
    std::vector<ModerationEvent> events;
  };

  // What every change (and Health()) returns once the registry has failed: its own
  // code, kUnavailable, so that a server can tell it from the kFailedPrecondition of
  // "not a member" or "called from a subscriber" (which the caller can fix; this only
  // a reopen can).
  // `out_of_memory`: the registry could not apply a change (StartCommitLocked), not
  // its store (whose full disk is kResourceExhausted too).
  static absl::Status FailedStatus(const absl::Status& cause,
                                   bool out_of_memory = false) {
    return absl::UnavailableError(absl::StrCat(
        "registry accepts no more changes: ",
        out_of_memory ? "it ran out of memory (" : "its store failed (", cause.ToString(),
        "); destroy it (and its gates) and reopen it over its store with "
        "Registry::Open"));
  }
  // What every change (and Compact) returns over a read-only store: refused, and the
  // registry goes on answering reads (it is not failed: nothing went wrong).
  absl::Status ReadOnlyStatus() const {
    return absl::FailedPreconditionError(
        "registry is read-only (its store only reads: OpenJournalReadOnly); changes "
        "go through the registry whose store has the journal open");
  }
  absl::Status FailedLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_) {
    return failure_;
  }
  // Marks the registry failed by `cause` (the first cause is kept). Health() reads it
  // without the writer lock, which a writer may hold across a disk write. Allocates
  // nothing it cannot do without: failing for lack of memory, it still fails.
  void SetFailedLocked(absl::Status cause, bool out_of_memory = false)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_) {
    if (!failed_.ok()) return;
    absl::Status failure;
    try {
      failure = FailedStatus(cause, out_of_memory);
    } catch (const std::bad_alloc&) {
      failure = out_of_memory_failure_;  // a copy shares its message: no allocation
    }
    failed_ = std::move(cause);
    failure_ = failure;
    std::lock_guard<std::mutex> h(health_mu_);
    health_ = std::move(failure);
    failed_for_readers_.store(true, std::memory_order_release);
  }
  // `code` with the message `message()` makes, or with none when making it runs out
  // of memory (a status without a message allocates nothing).
  template <typename Message>
  static absl::Status MakeStatus(absl::StatusCode code, Message message) {
    try {
      return absl::Status(code, message());
    } catch (const std::bad_alloc&) {
      return absl::Status(code, "");
    }
  }

  // Starts the store's append of `event` (StartAppend: in order, without waiting for
  // durability), then applies it. The append comes before any in-memory change, so a
  // failed start changes nothing. Every change goes through here, so it is also where
  // a failed registry refuses writes and where a subscriber's change is refused (it
  // would wait for its own notification turn).
  absl::StatusOr<PendingCommit> StartCommitLocked(const pb::Event& event)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_) {
    if (NotifyingScope::IsNotifying(this)) {
      return absl::FailedPreconditionError(
          "a subscriber may not change the registry from within its notification");
    }
    if (!failed_.ok()) return FailedLocked();
    if (store_->ReadOnly()) return ReadOnlyStatus();
    // An event protobuf cannot serialize (a held post over 2 GiB) is refused like one
    // over the store's record limit; SerializeToString would have given "" (an empty
    // record, which no Open could decode) and logged.
    GG_ASSIGN_OR_RETURN(std::string bytes,
                        internal::SerializeWithin(event, MessageLimit(),
                                                  absl::StatusCode::kInvalidArgument,
                                                  "the moderation event"));
    absl::StatusOr<uint64_t> started = store_->StartAppend(bytes);
    if (!started.ok()) {
      // Nothing was started (the store's contract), so memory is as the store has
      // it. But a store that failed to write (a full disk under kEveryAppend or
      // kNone) refuses every later write: the registry is failed as after a failed
      // sync, so Health() and the gate say so. kInvalidArgument is a record the
      // store refused (over its size limit): only this change fails.
      if (started.status().code() != absl::StatusCode::kInvalidArgument) {
        SetFailedLocked(started.status());
      }
      return started.status();
    }
    const uint64_t sequence = *started;
    last_sequence_ = sequence;
    PendingCommit pending;
    pending.sequence = sequence;
    absl::Status s;
    try {
      if (internal::RegistryApplyRunsOutOfMemoryForTesting().exchange(false)) {
        throw std::bad_alloc();
      }
      s = ApplyLocked(event, sequence, &pending.events);
    } catch (const std::bad_alloc&) {
      // Memory may hold part of a change the store has: refuse further changes, as
      // after a failed write, rather than answer from a half-applied state. The
      // change is made durable first (under kGroupCommit it is only queued, and
      // nothing else would write it), so that a reopen applies it whole.
      const absl::Status durable = store_->WaitDurable(sequence);
      absl::Status cause = MakeStatus(absl::StatusCode::kResourceExhausted, [&] {
        return absl::StrCat("out of memory applying event ", sequence,
                            durable.ok()
                                ? ", which is stored: a reopen applies it"
                                : absl::StrCat(", which may not be stored either (",
                                               durable.message(), ")"));
      });
      SetFailedLocked(std::move(cause), /*out_of_memory=*/true);
      return FailedLocked();
    }
    if (!s.ok()) {
      // Validation before the append makes this unreachable; say so loudly if not. The
      // store has the event and memory does not: refuse further changes.
      absl::Status cause = absl::InternalError(absl::StrCat(
          "event ", sequence, " was stored but did not apply: ", s.message()));
      SetFailedLocked(cause);
      return cause;
    }
    if (!pending.events.empty()) pending.ticket = next_ticket_++;
    return pending;
  }

  // Waits until the change is durable, then (in ticket order, so subscribers see
  // events in sequence order across threads) notifies. Called after write_mu_ is
  // released, so that other writers can start their appends meanwhile and share the
  // sync. A failed wait leaves memory ahead of the store: the registry refuses
  // further changes, and the change is not notified.
  absl::StatusOr<uint64_t> FinishCommit(const PendingCommit& pending) {
    absl::Status s = store_->WaitDurable(pending.sequence);
    if (s.ok()) {
      NoteDurable(pending.sequence);
    } else {
      std::lock_guard<std::mutex> w(write_mu_);
      SetFailedLocked(s);
    }
    if (pending.ticket != 0) {
      {
        std::unique_lock<std::mutex> t(turn_mu_);
        turn_cv_.wait(t, [&] { return notify_turn_ == pending.ticket; });
      }
      // Passes the turn on however the notification ends: a turn never passed on
      // would stop every later change in its FinishCommit.
      struct PassTurn {
        Impl* impl;
        ~PassTurn() {
          {
            std::lock_guard<std::mutex> t(impl->turn_mu_);
            ++impl->notify_turn_;
          }
          impl->turn_cv_.notify_all();
        }
      } pass_turn{this};
      if (s.ok()) {
        try {
          Notify(pending.events);
        } catch (const std::bad_alloc&) {
          // The change is durable, but a subscriber has not heard of it (nor of
          // what comes after, if the registry went on): fail the registry, as when
          // a change cannot be applied; a reopened one has the change.
          std::lock_guard<std::mutex> w(write_mu_);
          SetFailedLocked(
              MakeStatus(absl::StatusCode::kResourceExhausted,
                         [&] {
                           return absl::StrCat(
                               "out of memory notifying subscribers of event ",
                               pending.sequence, ", which is stored");
                         }),
              /*out_of_memory=*/true);
          s = FailedLocked();
        }
      }
    }
    if (!s.ok()) return s;
    return pending.sequence;
  }

  // Starts `event` under the writer lock `w`, releases it, finishes (durability,
  // notification). The caller's later work must not need the lock.
  absl::StatusOr<uint64_t> Commit(std::unique_lock<std::mutex>& w, const pb::Event& event)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_) {
    GG_ASSIGN_OR_RETURN(PendingCommit pending, StartCommitLocked(event));
    w.unlock();
    return FinishCommit(pending);
  }

  // Calls the subscribers under notify_mu_, so that Unsubscribe (which takes it)
  // returns only when no call to the subscriber is running or about to run. A
  // subscriber may unsubscribe (itself or another) from within the call: that thread
  // is marked as notifying and does not wait for itself.
  void Notify(const std::vector<ModerationEvent>& events) {
    if (events.empty()) return;
    std::lock_guard<std::mutex> n(notify_mu_);
    NotifyingScope scope(this);
    std::vector<std::pair<int, EventSubscriber>> subs;
    {
      std::lock_guard<std::mutex> l(subscribers_mu_);
      for (const auto& [handle, s] : subscribers_) subs.emplace_back(handle, s);
    }
    for (const ModerationEvent& e : events) {
      for (const auto& [handle, s] : subs) {
        bool live;
        {
          std::lock_guard<std::mutex> l(subscribers_mu_);
          live = subscribers_.count(handle) > 0;
        }
        if (live) s(e);
      }
    }
  }

  // Marks this thread as delivering this registry's events for the scope's life.
  class NotifyingScope {
   public:
    explicit NotifyingScope(const Impl* impl) : previous_(notifying_) {
      notifying_ = impl;
    }
    ~NotifyingScope() { notifying_ = previous_; }
    static bool IsNotifying(const Impl* impl) { return notifying_ == impl; }

   private:
    static thread_local const Impl* notifying_;
    const Impl* previous_;
  };

  void AddAuditLocked(const pb::Event& e, uint64_t sequence, absl::string_view action,
                      absl::string_view member, absl::string_view group,
                      absl::string_view post_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_) {
    AuditEntry a;
    a.sequence = sequence;
    a.time = FromMicros(e.time());
    a.actor = e.actor();
    a.action = std::string(action);
    a.member = std::string(member);
    a.group = std::string(group);
    a.post_id = std::string(post_id);
    a.reason = e.reason();
    std::unique_lock<std::shared_mutex> l(meta_mu_);
    audit_.push_back(std::move(a));
  }

  // ---------------------------------------------------------------- departures

  // Whether a departure at `left_at` still lets the group's moderators flag the
  // member at `now` (RegistryOptions::flag_after_leaving).
  bool DepartureCounts(int64_t left_at, int64_t now) const {
    return AddMicros(left_at, options_.flag_after_leaving) > now;
  }

  // `member` left group `g` at `t`: recorded (one entry per group, the latest), and
  // the member's departures too old to count at `t` are dropped.
  void RecordDepartureLocked(const std::string& member, uint32_t g, int64_t t)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_) {
    if (options_.flag_after_leaving <= absl::ZeroDuration()) return;
    Departures& ds = departures_[member];
    ds.erase(std::remove_if(ds.begin(), ds.end(),
                            [&](const Departure& d) {
                              return d.group == g || !DepartureCounts(d.left_at, t);
                            }),
             ds.end());
    ds.push_back(Departure{g, t});
  }

  // `member` is in group `g` again: a departure from it means nothing any more.
  void ForgetDepartureLocked(const std::string& member, uint32_t g)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_) {
    auto it = departures_.find(member);
    if (it == departures_.end()) return;
    Departures& ds = it->second;
    ds.erase(std::remove_if(ds.begin(), ds.end(),
                            [g](const Departure& d) { return d.group == g; }),
             ds.end());
    if (ds.empty()) departures_.erase(it);
  }

  // When `member` left group `g`, if that still counts at `now`.
  std::optional<int64_t> RecentDepartureLocked(absl::string_view member, uint32_t g,
                                               int64_t now) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_) {
    auto it = departures_.find(std::string(member));
    if (it == departures_.end()) return std::nullopt;
    for (const Departure& d : it->second) {
      if (d.group == g && DepartureCounts(d.left_at, now)) return d.left_at;
    }
    return std::nullopt;
  }

  // Drops the departures too old to count at `now`. Changes nothing any call can
  // see while the clock goes forward (every reader filters by time): only memory.
  // Done by Compact only, whose snapshot drops the same departures, so that a
  // reopened registry has the same ones even after the clock steps back; the
  // departures kept are those within flag_after_leaving, plus those since the last
  // Compact (a member's own old ones also go at their next departure).
  void PruneDeparturesLocked(int64_t now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_) {
    for (auto it = departures_.begin(); it != departures_.end();) {
      Departures& ds = it->second;
      ds.erase(std::remove_if(
                   ds.begin(), ds.end(),
                   [&](const Departure& d) { return !DepartureCounts(d.left_at, now); }),
               ds.end());
      if (ds.empty()) {
        departures_.erase(it++);
      } else {
        ++it;
      }
    }
  }

  // ---------------------------------------------------------------- erasure

  // Whether an audit entry's actor `actor` is `member` for Forget. "system" names
  // the server and expiry, not a member: a member with that id is forgotten where
  // they are the subject (and everywhere else), but the server's entries keep their
  // actor.
  static bool ActorIs(absl::string_view actor, absl::string_view member) {
    return actor == member && member != kSystem;
  }

  // Whether the state names `member` anywhere Forget would erase or rewrite: if not,
  // Forget has nothing to do and writes nothing. Linear in the state.
  bool NamesMemberLocked(const std::string& member) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_) {
    {
      const Shard& sh = ShardFor(member);
      std::shared_lock<std::shared_mutex> l(sh.mu);
      if (sh.members.count(member)) return true;
    }
    if (departures_.count(member)) return true;
    if (!FlaggedByLocked(member).empty()) return true;
    {
      std::shared_lock<std::shared_mutex> l(groups_mu_);
      for (const auto& g : groups_) {
        if (g->moderators.count(member)) return true;
        for (const auto& [id, h] : g->queue) {
          if (h.post.member == member) return true;
        }
      }
    }
    std::shared_lock<std::shared_mutex> l(meta_mu_);
    if (admins_.count(member) || rates_.count(member) || appeals_.count(member)) {
      return true;
    }
    for (const AuditEntry& a : audit_) {
      if (a.member == member || ActorIs(a.actor, member)) return true;
    }
    return false;
  }

  // The members on probation with a flag that `moderator` gave.
  std::vector<std::string> FlaggedByLocked(absl::string_view moderator) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_) {
    std::vector<std::string> out;
    for (const std::string& m : on_probation_) {
      const Shard& sh = ShardFor(m);
      std::shared_lock<std::shared_mutex> l(sh.mu);
      auto it = sh.members.find(m);
      if (it == sh.members.end() || it->second.probation == nullptr) continue;
      for (const FlagRecord& f : it->second.probation->flags) {
        if (f.moderator == moderator) {
          out.push_back(m);
          break;
        }
      }
    }
    return out;
  }

  // Applies MemberForgotten (see Registry::Forget): erases everything about
  // `member`. Never fails: forgetting a member the state does not know changes
  // nothing. Each structure is scanned under a shared lock and changed under a short
  // exclusive one (the writer lock keeps it as scanned), so the gate's readers wait
  // only for the changes.
  void ForgetLocked(const pb::Event& e, uint64_t sequence,
                    std::vector<ModerationEvent>* out)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_) {
    const std::string& member = e.member_forgotten().member();
    // Their held posts, by group (creation order), oldest first: withdrawn.
    std::vector<std::pair<uint32_t, std::string>> posts;
    {
      std::shared_lock<std::shared_mutex> l(groups_mu_);
      for (uint32_t g = 0; g < groups_.size(); ++g) {
        std::vector<const HeldPost*> mine;
        for (const auto& [id, h] : groups_[g]->queue) {
          if (h.post.member == member) mine.push_back(&h);
        }
        std::sort(mine.begin(), mine.end(), [](const HeldPost* a, const HeldPost* b) {
          return a->sequence < b->sequence;
        });
        for (const HeldPost* h : mine) posts.emplace_back(g, h->post.id);
      }
    }
    std::vector<HeldPost> removed;  // freed after the lock
    removed.reserve(posts.size());
    std::vector<std::string> group_names;
    {
      std::unique_lock<std::shared_mutex> l(groups_mu_);
      for (const auto& [g, id] : posts) {
        auto it = groups_[g]->queue.find(id);
        removed.push_back(std::move(it->second));
        groups_[g]->queue.erase(it);
      }
      for (const auto& g : groups_) g->moderators.erase(member);
      if (out != nullptr) {
        for (const auto& [g, id] : posts) group_names.push_back(groups_[g]->name);
      }
    }
    {
      Shard& sh = ShardFor(member);
      std::unique_lock<std::shared_mutex> l(sh.mu);
      sh.members.erase(member);
    }
    on_probation_.erase(member);
    departures_.erase(member);
    // The flags they gave others stay (they are the others' probations), anonymous.
    for (const std::string& m : FlaggedByLocked(member)) {
      Shard& sh = ShardFor(m);
      std::unique_lock<std::shared_mutex> l(sh.mu);
      for (FlagRecord& f : sh.members.find(m)->second.probation->flags) {
        if (f.moderator == member) {
          f.moderator = std::string(kForgottenMember);
          f.anonymized_at = sequence;
        }
      }
    }
    AddAuditLocked(e, sequence, "forget", kForgottenMember, "", "");
    std::vector<size_t> entries;
    {
      std::shared_lock<std::shared_mutex> l(meta_mu_);
      for (size_t i = 0; i < audit_.size(); ++i) {
        if (audit_[i].member == member || ActorIs(audit_[i].actor, member)) {
          entries.push_back(i);
        }
      }
    }
    {
      std::unique_lock<std::shared_mutex> l(meta_mu_);
      admins_.erase(member);
      rates_.erase(member);
      appeals_.erase(member);
      // Their id goes; an entry about them also loses its free text and post id,
      // which may quote or identify them. Who acted, what, when and where stay.
      for (size_t i : entries) {
        AuditEntry& a = audit_[i];
        if (a.member == member) {
          a.member = std::string(kForgottenMember);
          a.reason.clear();
          a.post_id.clear();
        }
        if (ActorIs(a.actor, member)) a.actor = std::string(kForgottenMember);
      }
    }
    if (out != nullptr) {
      for (size_t i = 0; i < posts.size(); ++i) {
        ModerationEvent ev =
            BaseEvent(ModerationEvent::Type::kPostWithdrawn, e, sequence);
        ev.member = member;
        ev.group = group_names[i];
        ev.post_id = posts[i].second;
        out->push_back(std::move(ev));
      }
      ModerationEvent ev =
          BaseEvent(ModerationEvent::Type::kMemberForgotten, e, sequence);
      ev.member = member;
      out->push_back(std::move(ev));
    }
  }

  // ---------------------------------------------------------------- apply

  // Folds one event into the state. Used live (after the append) and in recovery
  // (`out` null: no notifications). Fails, changing nothing, on an event that does
  // not fit the state (which recovery reports as data loss).
  absl::Status ApplyLocked(const pb::Event& e, uint64_t sequence,
                           std::vector<ModerationEvent>* out)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_) {
    const int64_t t = e.time();
    auto require_group = [this](const std::string& name) -> absl::StatusOr<uint32_t> {
      std::optional<uint32_t> g = GroupIndex(name);
      if (!g) return absl::NotFoundError(absl::StrCat("unknown group \"", name, "\""));
      return *g;
    };
    switch (e.kind_case()) {
      case pb::Event::kGroupCreated: {
        const auto& c = e.group_created();
        if (GroupIndex(c.group())) {
          return absl::AlreadyExistsError(absl::StrCat("group \"", c.group(), "\""));
        }
        auto rec = std::make_unique<GroupRecord>();
        rec->name = c.group();
        rec->policy = FromProto(c.policy());
        rec->changed_at = sequence;
        {
          std::unique_lock<std::shared_mutex> l(groups_mu_);
          groups_.reserve(groups_.size() + 1);  // so that the index never runs ahead
          EmplaceNew(group_index_, c.group(), static_cast<uint32_t>(groups_.size()));
          groups_.push_back(std::move(rec));
        }
        AddAuditLocked(e, sequence, "create_group", "", c.group(), "");
        return absl::OkStatus();
      }
      case pb::Event::kPolicySet: {
        GG_ASSIGN_OR_RETURN(uint32_t g, require_group(e.policy_set().group()));
        {
          std::unique_lock<std::shared_mutex> l(groups_mu_);
          groups_[g]->policy = FromProto(e.policy_set().policy());
          groups_[g]->changed_at = sequence;
        }
        AddAuditLocked(e, sequence, "set_policy", "", e.policy_set().group(), "");
        return absl::OkStatus();
      }
      case pb::Event::kModeratorSet: {
        const auto& m = e.moderator_set();
        GG_ASSIGN_OR_RETURN(uint32_t g, require_group(m.group()));
        {
          std::unique_lock<std::shared_mutex> l(groups_mu_);
          if (m.granted()) {
            groups_[g]->moderators.insert(m.member());
          } else {
            groups_[g]->moderators.erase(m.member());
          }
        }
        AddAuditLocked(e, sequence, m.granted() ? "add_moderator" : "remove_moderator",
                       m.member(), m.group(), "");
        return absl::OkStatus();
      }
      case pb::Event::kAdministratorSet: {
        const auto& a = e.administrator_set();
        {
          std::unique_lock<std::shared_mutex> l(meta_mu_);
          if (a.granted()) {
            admins_.insert(a.member());
          } else {
            admins_.erase(a.member());
          }
        }
        AddAuditLocked(e, sequence,
                       a.granted() ? "add_administrator" : "remove_administrator",
                       a.member(), "", "");
        return absl::OkStatus();
      }
      case pb::Event::kMembership: {
        const auto& m = e.membership();
        GG_ASSIGN_OR_RETURN(uint32_t g, require_group(m.group()));
        Shard& sh = ShardFor(m.member());
        std::unique_lock<std::shared_mutex> l(sh.mu);
        if (m.joined()) {
          MemberRecord& rec = FindOrEmplace(sh.members, m.member());
          auto pos = std::lower_bound(rec.groups.begin(), rec.groups.end(), g);
          if (pos != rec.groups.end() && *pos == g) {
            return absl::AlreadyExistsError("already a member");
          }
          rec.groups.insert(pos, g);
          rec.changed_at = sequence;
          ForgetDepartureLocked(m.member(), g);
        } else {
          auto it = sh.members.find(m.member());
          if (it == sh.members.end()) return absl::NotFoundError("not a member");
          auto& gs = it->second.groups;
          auto pos = std::lower_bound(gs.begin(), gs.end(), g);
          if (pos == gs.end() || *pos != g) return absl::NotFoundError("not a member");
          gs.erase(pos);
          if (gs.empty() && it->second.probation == nullptr) sh.members.erase(it);
          RecordDepartureLocked(m.member(), g, t);
        }
        return absl::OkStatus();
      }
      case pb::Event::kPostHeld: {
        const auto& p = e.post_held();
        GG_ASSIGN_OR_RETURN(uint32_t g, require_group(p.group()));
        // Built (and the event's copy of the reasons made) before the exclusive lock,
        // which every submit's CheckPosting waits for: under it the post, whose text
        // may be a megabyte, is only moved in.
        HeldPost held = FromProto(p, sequence, t);
        std::vector<HoldReason> reasons;
        if (out != nullptr) reasons = held.reasons;
        {
          std::unique_lock<std::shared_mutex> l(groups_mu_);
          auto& queue = groups_[g]->queue;
          if (queue.count(p.post_id())) {
            return absl::AlreadyExistsError(absl::StrCat("post \"", p.post_id(), "\""));
          }
          queue.emplace(p.post_id(), std::move(held));
        }
        if (out != nullptr) {
          ModerationEvent ev = BaseEvent(ModerationEvent::Type::kPostHeld, e, sequence);
          ev.member = p.member();
          ev.group = p.group();
          ev.post_id = p.post_id();
          ev.reasons = std::move(reasons);
          out->push_back(std::move(ev));
        }
        return absl::OkStatus();
      }
      case pb::Event::kPostReviewed: {
        const auto& r = e.post_reviewed();
        GG_ASSIGN_OR_RETURN(uint32_t g, require_group(r.group()));
        HeldPost held;
        {
          std::unique_lock<std::shared_mutex> l(groups_mu_);
          auto& queue = groups_[g]->queue;
          auto it = queue.find(r.post_id());
          if (it == queue.end()) {
            return absl::NotFoundError(absl::StrCat("post \"", r.post_id(), "\""));
          }
          held = std::move(it->second);
          queue.erase(it);
        }
        AddAuditLocked(e, sequence, r.approved() ? "approve" : "reject", held.post.member,
                       r.group(), r.post_id());
        if (out != nullptr) {
          ModerationEvent ev =
              BaseEvent(r.approved() ? ModerationEvent::Type::kPostReleased
                                     : ModerationEvent::Type::kPostRejected,
                        e, sequence);
          ev.member = held.post.member;
          ev.group = r.group();
          ev.post_id = r.post_id();
          ev.feedback = MakeFeedback(held, !r.approved(), e);
          out->push_back(std::move(ev));
        }
        return absl::OkStatus();
      }
      case pb::Event::kPostWithdrawn: {
        const auto& r = e.post_withdrawn();
        GG_ASSIGN_OR_RETURN(uint32_t g, require_group(r.group()));
        std::string member;
        {
          std::unique_lock<std::shared_mutex> l(groups_mu_);
          auto& queue = groups_[g]->queue;
          auto it = queue.find(r.post_id());
          if (it == queue.end()) {
            return absl::NotFoundError(absl::StrCat("post \"", r.post_id(), "\""));
          }
          member = std::move(it->second.post.member);
          queue.erase(it);
        }
        AddAuditLocked(e, sequence, "withdraw", member, r.group(), r.post_id());
        if (out != nullptr) {
          ModerationEvent ev =
              BaseEvent(ModerationEvent::Type::kPostWithdrawn, e, sequence);
          ev.member = std::move(member);
          ev.group = r.group();
          ev.post_id = r.post_id();
          out->push_back(std::move(ev));
        }
        return absl::OkStatus();
      }
      case pb::Event::kFlagged: {
        const auto& f = e.flagged();
        GG_ASSIGN_OR_RETURN(uint32_t g, require_group(f.group()));
        ProbationView before, after;
        bool was_held_in_group = false, held_in_group = false;
        int64_t was_held_until = 0, held_until = 0;
        bool widened = false, lengthened = false;
        {
          Shard& sh = ShardFor(f.member());
          std::unique_lock<std::shared_mutex> l(sh.mu);
          MemberRecord& rec = FindOrEmplace(sh.members, f.member());
          rec.changed_at = sequence;
          if (rec.probation == nullptr) rec.probation = std::make_unique<Probation>();
          Probation& p = *rec.probation;
          before = Evaluate(&p, t, options_.sitewide_after_distinct_groups);
          was_held_in_group = HeldIn(&p, before, g, t);
          was_held_until = HeldWindow(&p, before, g, t).second;
          // One record per group and person while it is active: a later flag from
          // the same group by the same person extends it (the audit log keeps every
          // flag). Every view of the probation takes each group's earliest start and
          // latest end, and the site-wide rule who flagged from where, so this
          // changes none; it keeps a member flagged again and again by one group
          // from costing every later call on them time in the number of flags.
          auto by_group = [](const FlagRecord& x, uint32_t group) {
            return x.group < group;
          };
          auto same = std::lower_bound(p.flags.begin(), p.flags.end(), g, by_group);
          while (same != p.flags.end() && same->group == g &&
                 (same->until <= t || same->moderator != e.actor() ||
                  same->anonymized_at != 0)) {
            ++same;
          }
          if (same != p.flags.end() && same->group == g) {
            same->until = std::max(same->until, f.until());
          } else {
            FlagRecord flag;
            flag.id = f.flag_id();
            flag.moderator = e.actor();
            flag.group = g;
            flag.reason = e.reason();
            flag.since = t;
            flag.until = f.until();
            p.flags.insert(same, std::move(flag));  // after the group's others
          }
          // A flag from an exempt group holds the member there until it ends, and
          // the exemption from the rest of the probation stays (keeps_exemption,
          // Registry::Flag). In events written before that rule, it ended the
          // exemption.
          if (!f.keeps_exemption()) {
            p.exemptions.erase(
                std::remove_if(p.exemptions.begin(), p.exemptions.end(),
                               [g](const Exemption& x) { return x.group == g; }),
                p.exemptions.end());
          }
          if (!before.any) p.began = t;
          if (!before.site_wide) p.site_wide_began = t;  // if it is now
          after = Evaluate(&p, t, options_.sitewide_after_distinct_groups);
          if (!before.any) {
            // A new probation: the lifts were about the one that ran out
            // (ExpireProbations may not have recorded it yet).
            p.exemptions.clear();
          } else {
            // A lift exempts its group for the rest of the probation, however long
            // flags from other groups make it: the exemption follows the end.
            for (Exemption& x : p.exemptions) {
              if (x.until > t) x.until = std::max(x.until, after.until);
            }
          }
          held_in_group = HeldIn(&p, after, g, t);
          held_until = HeldWindow(&p, after, g, t).second;
          // Also when the flag ends an exemption (a lift in this group earlier): the
          // member is held here again.
          widened = !before.any || (after.site_wide && !before.site_wide) ||
                    (!after.site_wide && !FlaggedFrom(before, g)) ||
                    (held_in_group && !was_held_in_group);
          // A flag that makes the probation last longer is news to the member too:
          // its last end, its site-wide end, or its end in the flagging group.
          lengthened =
              before.any &&
              (after.until > before.until ||
               (before.site_wide && after.site_wide_until > before.site_wide_until) ||
               (held_in_group && held_until > was_held_until));
          if (widened || lengthened) p.told_at = t;  // kProbationStarted
        }
        on_probation_.insert(f.member());
        next_flag_id_ = std::max(next_flag_id_, f.flag_id() + 1);
        {
          std::unique_lock<std::shared_mutex> l(meta_mu_);
          std::deque<int64_t>& times = rates_[e.actor()];
          while (!times.empty() && times.front() <= AddMicros(t, -options_.flag_window)) {
            times.pop_front();
          }
          times.push_back(t);
          // Registry::Flag decided that this flag starts a new probation and closes
          // the appeal of the one that ran out.
          if (f.closes_appeal()) appeals_.erase(f.member());
        }
        AddAuditLocked(e, sequence, "flag", f.member(), f.group(), "");
        if (out != nullptr && (widened || lengthened)) {
          ModerationEvent ev =
              BaseEvent(ModerationEvent::Type::kProbationStarted, e, sequence);
          ev.member = f.member();
          ev.group = f.group();
          ev.site_wide = after.site_wide;
          ev.until = FromMicros(after.until);
          if (after.site_wide) {
            ev.site_wide_since = FromMicros(after.site_wide_since);
            ev.site_wide_until = FromMicros(after.site_wide_until);
          }
          out->push_back(std::move(ev));
        }
        return absl::OkStatus();
      }
      case pb::Event::kLifted: {
        const auto& lf = e.lifted();
        bool ended = false;  // the member is on probation nowhere any more
        std::optional<uint32_t> g;
        if (!lf.group().empty()) {
          GG_ASSIGN_OR_RETURN(g, require_group(lf.group()));
        }
        {
          Shard& sh = ShardFor(lf.member());
          std::unique_lock<std::shared_mutex> l(sh.mu);
          auto it = sh.members.find(lf.member());
          if (it == sh.members.end() || it->second.probation == nullptr) {
            return absl::NotFoundError("no probation to lift");
          }
          MemberRecord& rec = it->second;
          rec.changed_at = sequence;
          if (!g) {
            rec.probation.reset();
          } else {
            Probation& p = *rec.probation;
            p.flags.erase(
                std::remove_if(p.flags.begin(), p.flags.end(),
                               [&](const FlagRecord& f) { return f.group == *g; }),
                p.flags.end());
            ProbationView rest = Evaluate(&p, t, options_.sitewide_after_distinct_groups);
            p.exemptions.erase(
                std::remove_if(p.exemptions.begin(), p.exemptions.end(),
                               [&](const Exemption& x) { return x.group == *g; }),
                p.exemptions.end());
            if (rest.any) {
              p.exemptions.push_back(Exemption{*g, rest.until});
              p.told_at = t;  // kProbationLifted
            } else {
              rec.probation.reset();
            }
          }
          ended = rec.probation == nullptr;
          if (ended) {
            on_probation_.erase(lf.member());
            if (rec.groups.empty()) sh.members.erase(it);
          }
        }
        if (lf.appeal() || !g || ended) {  // an appeal of a probation that is over
          std::unique_lock<std::shared_mutex> l(meta_mu_);
          appeals_.erase(lf.member());
        }
        AddAuditLocked(e, sequence, lf.appeal() ? "grant_appeal" : "lift", lf.member(),
                       lf.group(), "");
        if (out != nullptr) {
          ModerationEvent ev =
              BaseEvent(ModerationEvent::Type::kProbationLifted, e, sequence);
          ev.member = lf.member();
          ev.group = lf.group();
          ev.reason = e.reason();
          // Also when lifting in one group removed the last flags: held nowhere.
          ev.site_wide = ended;
          out->push_back(std::move(ev));
        }
        return absl::OkStatus();
      }
      case pb::Event::kExpired: {
        const std::string& member = e.expired().member();
        bool ended = false;
        bool narrowed = false;
        ProbationView after;
        {
          Shard& sh = ShardFor(member);
          std::unique_lock<std::shared_mutex> l(sh.mu);
          auto it = sh.members.find(member);
          if (it == sh.members.end() || it->second.probation == nullptr) {
            return absl::NotFoundError("no probation to expire");
          }
          MemberRecord& rec = it->second;
          Probation& p = *rec.probation;
          // Where the member was held when they last heard of it (told_at): flags
          // that had run out by then were not in what they heard, so a narrowing
          // they brought is not news now.
          const int64_t told = p.told_at;
          const ProbationView before =
              Evaluate(&p, told, options_.sitewide_after_distinct_groups);
          std::vector<uint32_t> held_before;
          for (uint32_t g : before.flag_groups) {
            if (HeldIn(&p, before, g, told)) held_before.push_back(g);
          }
          for (const Exemption& x : p.exemptions) {
            if (HeldIn(&p, before, x.group, told)) held_before.push_back(x.group);
          }
          p.flags.erase(std::remove_if(p.flags.begin(), p.flags.end(),
                                       [t](const FlagRecord& f) { return f.until <= t; }),
                        p.flags.end());
          p.exemptions.erase(
              std::remove_if(p.exemptions.begin(), p.exemptions.end(),
                             [t](const Exemption& x) { return x.until <= t; }),
              p.exemptions.end());
          if (p.flags.empty()) {
            ended = true;
            rec.probation.reset();
            on_probation_.erase(member);
            if (rec.groups.empty()) sh.members.erase(it);
          } else {
            after = Evaluate(&p, t, options_.sitewide_after_distinct_groups);
            // Part of the probation ran out and the member is now held in fewer
            // groups than they heard: no longer site-wide, or no longer in a group
            // that held them (a flagging group, or an exempt group whose own flag
            // held them there). News to them.
            narrowed = (before.site_wide && !after.site_wide) ||
                       std::any_of(held_before.begin(), held_before.end(),
                                   [&](uint32_t g) { return !HeldIn(&p, after, g, t); });
            p.told_at = t;  // what they heard, or what they hear now
          }
        }
        if (ended) {
          std::unique_lock<std::shared_mutex> l(meta_mu_);
          appeals_.erase(member);
        }
        AddAuditLocked(e, sequence, "expire", member, "", "");
        if (out != nullptr && (ended || narrowed)) {
          ModerationEvent ev =
              BaseEvent(ended ? ModerationEvent::Type::kProbationExpired
                              : ModerationEvent::Type::kProbationNarrowed,
                        e, sequence);
          ev.member = member;
          if (narrowed) {
            ev.site_wide = after.site_wide;
            ev.until = FromMicros(after.until);
            if (after.site_wide) {
              ev.site_wide_since = FromMicros(after.site_wide_since);
              ev.site_wide_until = FromMicros(after.site_wide_until);
            }
          }
          out->push_back(std::move(ev));
        }
        return absl::OkStatus();
      }
      case pb::Event::kAppealFiled: {
        const auto& a = e.appeal_filed();
        {
          std::unique_lock<std::shared_mutex> l(meta_mu_);
          Appeal& ap = appeals_[a.member()];
          ap.member = a.member();
          ap.statement = a.statement();
          ap.filed_at = FromMicros(t);
        }
        AddAuditLocked(e, sequence, "file_appeal", a.member(), "", "");
        if (out != nullptr) {
          ModerationEvent ev = BaseEvent(ModerationEvent::Type::kAppealFiled, e, sequence);
          ev.member = a.member();
          out->push_back(std::move(ev));
        }
        return absl::OkStatus();
      }
      case pb::Event::kAppealDenied: {
        const auto& a = e.appeal_denied();
        {
          std::unique_lock<std::shared_mutex> l(meta_mu_);
          if (appeals_.erase(a.member()) == 0) {
            return absl::NotFoundError("no pending appeal");
          }
        }
        AddAuditLocked(e, sequence, "deny_appeal", a.member(), "", "");
        if (out != nullptr) {
          ModerationEvent ev =
              BaseEvent(ModerationEvent::Type::kAppealDenied, e, sequence);
          ev.member = a.member();
          ev.reason = e.reason();
          out->push_back(std::move(ev));
        }
        return absl::OkStatus();
      }
      case pb::Event::kAuditTrimmed: {
        const int64_t before = e.audit_trimmed().before();
        {
          std::unique_lock<std::shared_mutex> l(meta_mu_);
          audit_.erase(std::remove_if(audit_.begin(), audit_.end(),
                                      [before](const AuditEntry& a) {
                                        return Micros(a.time) < before;
                                      }),
                       audit_.end());
        }
        AddAuditLocked(e, sequence, "trim_audit", "", "", "");
        return absl::OkStatus();
      }
      case pb::Event::kMemberForgotten:
        ForgetLocked(e, sequence, out);
        return absl::OkStatus();
      case pb::Event::KIND_NOT_SET:
        break;
    }
    return absl::InvalidArgumentError("event of unknown kind");
  }

  static ModerationEvent BaseEvent(ModerationEvent::Type type, const pb::Event& e,
                                   uint64_t sequence) {
    ModerationEvent ev;
    ev.type = type;
    ev.sequence = sequence;
    ev.time = FromMicros(e.time());
    ev.actor = e.actor();
    return ev;
  }

  static Feedback MakeFeedback(const HeldPost& held, bool is_spam, const pb::Event& e) {
    Feedback fb;
    fb.post_id = held.post.id;
    fb.group = held.post.group;
    fb.member = held.post.member;
    fb.text = held.post.text;
    fb.text_truncated = held.text_truncated;
    fb.is_spam = is_spam;
    fb.reviewer = e.actor();
    fb.time = FromMicros(e.time());
    return fb;
  }

  // ---------------------------------------------------------------- snapshot

  pb::Snapshot BuildSnapshotLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_) {
    pb::Snapshot s;
    s.set_format_version(kSnapshotFormat);
    s.set_next_flag_id(next_flag_id_);
    s.set_last_sequence(last_sequence_);
    std::vector<std::string> group_names;
    {
      std::shared_lock<std::shared_mutex> l(groups_mu_);
      for (const auto& g : groups_) group_names.push_back(g->name);
      // Groups in creation order keep their indexes on reload; the dump sorts them.
      for (const auto& g : groups_) {
        pb::GroupState* gs = s.add_groups();
        gs->set_group(g->name);
        *gs->mutable_policy() = ToProto(g->policy);
        for (const auto& m : g->moderators) gs->add_moderators(m);
        std::vector<const HeldPost*> queue;
        for (const auto& [id, h] : g->queue) queue.push_back(&h);
        std::sort(queue.begin(), queue.end(), [](const HeldPost* a, const HeldPost* b) {
          return a->sequence < b->sequence;
        });
        for (const HeldPost* h : queue) {
          pb::HeldPostState* hs = gs->add_queue();
          hs->set_sequence(h->sequence);
          hs->set_held_at(Micros(h->held_at));
          ToProto(*h, hs->mutable_post());
        }
      }
    }
    std::vector<std::pair<std::string, pb::MemberState>> members;
    for (const Shard& sh : shards_) {
      std::shared_lock<std::shared_mutex> l(sh.mu);
      for (const auto& [name, rec] : sh.members) {
        pb::MemberState ms;
        ms.set_member(name);
        std::vector<std::string> gs;
        for (uint32_t g : rec.groups) gs.push_back(group_names[g]);
        std::sort(gs.begin(), gs.end());
        // Not add_groups(std::move(g)): protobuf's Add(std::string&&) counts the
        // element before it allocates it, and running out of memory there leaves
        // a message that crashes when destroyed; Add() allocates first.
        for (auto& g : gs) *ms.add_groups() = std::move(g);
        if (rec.probation) {
          std::vector<const FlagRecord*> flags;
          for (const FlagRecord& f : rec.probation->flags) flags.push_back(&f);
          std::sort(
              flags.begin(), flags.end(),
              [](const FlagRecord* a, const FlagRecord* b) { return a->id < b->id; });
          for (const FlagRecord* f : flags) {
            pb::FlagState* fs = ms.add_flags();
            fs->set_id(f->id);
            fs->set_moderator(f->moderator);
            if (f->anonymized_at != 0) fs->set_anonymized_at(f->anonymized_at);
            fs->set_group(group_names[f->group]);
            fs->set_reason(f->reason);
            fs->set_since(f->since);
            fs->set_until(f->until);
          }
          std::vector<std::pair<std::string, int64_t>> ex;
          for (const Exemption& x : rec.probation->exemptions) {
            ex.emplace_back(group_names[x.group], x.until);
          }
          std::sort(ex.begin(), ex.end());
          for (const auto& [g, until] : ex) {
            pb::ExemptionState* xs = ms.add_exemptions();
            xs->set_group(g);
            xs->set_until(until);
          }
          const Probation& pr = *rec.probation;
          if (pr.told_at != kUnknownTime) ms.set_told_at(pr.told_at);
          if (pr.began != kUnknownTime) ms.set_began(pr.began);
          if (pr.site_wide_began != kUnknownTime)
            ms.set_site_wide_began(pr.site_wide_began);
        }
        members.emplace_back(name, std::move(ms));
      }
    }
    std::sort(members.begin(), members.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    s.mutable_members()->Reserve(static_cast<int>(members.size()));
    for (auto& [name, ms] : members) *s.add_members() = std::move(ms);
    {
      // The departures that count now (older ones are invisible to every call), by
      // member and group.
      const int64_t now = NowMicros();
      std::vector<std::tuple<std::string, std::string, int64_t>> deps;
      for (const auto& [member, ds] : departures_) {
        for (const Departure& d : ds) {
          if (DepartureCounts(d.left_at, now)) {
            deps.emplace_back(member, group_names[d.group], d.left_at);
          }
        }
      }
      std::sort(deps.begin(), deps.end());
      for (const auto& [member, group, left_at] : deps) {
        pb::DepartureState* ds = s.add_departures();
        ds->set_member(member);
        ds->set_group(group);
        ds->set_left_at(left_at);
      }
    }
    {
      std::shared_lock<std::shared_mutex> l(meta_mu_);
      for (const auto& a : admins_) s.add_administrators(a);
      for (const AuditEntry& a : audit_) {
        pb::AuditEntryState* as = s.add_audit();
        as->set_sequence(a.sequence);
        as->set_time(Micros(a.time));
        as->set_actor(a.actor);
        as->set_action(a.action);
        as->set_member(a.member);
        as->set_group(a.group);
        as->set_post_id(a.post_id);
        as->set_reason(a.reason);
      }
      std::vector<std::string> mods;
      for (const auto& [m, times] : rates_) mods.push_back(m);
      std::sort(mods.begin(), mods.end());
      for (const auto& m : mods) {
        pb::RateState* rs = s.add_rates();
        rs->set_moderator(m);
        for (int64_t t : rates_.at(m)) rs->add_flag_times(t);
      }
      for (const auto& [m, ap] : appeals_) {
        pb::AppealState* as = s.add_appeals();
        as->set_member(m);
        as->set_statement(ap.statement);
        as->set_filed_at(Micros(ap.filed_at));
      }
    }
    return s;
  }

  absl::Status LoadSnapshotLocked(const pb::Snapshot& s)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_) {
    IdTable<uint32_t> index;
    std::vector<std::unique_ptr<GroupRecord>> groups;
    for (const pb::GroupState& gs : s.groups()) {
      if (index.count(gs.group())) {
        return absl::DataLossError(
            absl::StrCat("snapshot lists group \"", gs.group(), "\" twice"));
      }
      auto rec = std::make_unique<GroupRecord>();
      rec->name = gs.group();
      rec->policy = FromProto(gs.policy());
      rec->moderators.insert(gs.moderators().begin(), gs.moderators().end());
      for (const pb::HeldPostState& hs : gs.queue()) {
        rec->queue.emplace(hs.post().post_id(),
                           FromProto(hs.post(), hs.sequence(), hs.held_at()));
      }
      EmplaceNew(index, gs.group(), static_cast<uint32_t>(groups.size()));
      groups.push_back(std::move(rec));
    }
    auto lookup = [&](const std::string& g) -> absl::StatusOr<uint32_t> {
      auto it = index.find(g);
      if (it == index.end()) {
        return absl::DataLossError(
            absl::StrCat("snapshot names unknown group \"", g, "\""));
      }
      return it->second;
    };
    std::array<IdTable<MemberRecord>, kShards> members;
    std::set<std::string> on_probation;
    for (const pb::MemberState& ms : s.members()) {
      MemberRecord rec;
      rec.groups.reserve(ms.groups_size());
      for (const auto& g : ms.groups()) {
        GG_ASSIGN_OR_RETURN(uint32_t gi, lookup(g));
        rec.groups.push_back(gi);
      }
      std::sort(rec.groups.begin(), rec.groups.end());
      if (ms.flags_size() > 0 || ms.exemptions_size() > 0) {
        rec.probation = std::make_unique<Probation>();
        for (const pb::FlagState& fs : ms.flags()) {
          FlagRecord f;
          f.id = fs.id();
          f.moderator = fs.moderator();
          f.anonymized_at = fs.anonymized_at();
          GG_ASSIGN_OR_RETURN(f.group, lookup(fs.group()));
          f.reason = fs.reason();
          f.since = fs.since();
          f.until = fs.until();
          rec.probation->flags.push_back(std::move(f));
        }
        // Written by id; kept by group (Probation::flags).
        std::stable_sort(
            rec.probation->flags.begin(), rec.probation->flags.end(),
            [](const FlagRecord& a, const FlagRecord& b) { return a.group < b.group; });
        for (const pb::ExemptionState& xs : ms.exemptions()) {
          Exemption x;
          GG_ASSIGN_OR_RETURN(x.group, lookup(xs.group()));
          x.until = xs.until();
          rec.probation->exemptions.push_back(x);
        }
        if (ms.has_told_at()) rec.probation->told_at = ms.told_at();
        if (ms.has_began()) rec.probation->began = ms.began();
        if (ms.has_site_wide_began()) {
          rec.probation->site_wide_began = ms.site_wide_began();
        }
        on_probation.insert(ms.member());
      }
      EmplaceNew(members[absl::HashOf(absl::string_view(ms.member())) % kShards],
                 ms.member(), std::move(rec));
    }
    {
      std::unique_lock<std::shared_mutex> l(groups_mu_);
      group_index_ = std::move(index);
      groups_ = std::move(groups);
    }
    for (int i = 0; i < kShards; ++i) {
      std::unique_lock<std::shared_mutex> l(shards_[i].mu);
      shards_[i].members = std::move(members[i]);
    }
    on_probation_ = std::move(on_probation);
    // Snapshots written before departures were kept have none.
    departures_.clear();
    for (const pb::DepartureState& ds : s.departures()) {
      std::optional<uint32_t> g = GroupIndex(ds.group());
      if (!g) {
        return absl::DataLossError(
            absl::StrCat("snapshot names unknown group \"", ds.group(), "\""));
      }
      departures_[ds.member()].push_back(Departure{*g, ds.left_at()});
    }
    next_flag_id_ = s.next_flag_id();
    {
      std::unique_lock<std::shared_mutex> l(meta_mu_);
      admins_ =
          std::set<std::string>(s.administrators().begin(), s.administrators().end());
      audit_.clear();
      for (const pb::AuditEntryState& as : s.audit()) {
        AuditEntry a;
        a.sequence = as.sequence();
        a.time = FromMicros(as.time());
        a.actor = as.actor();
        a.action = as.action();
        a.member = as.member();
        a.group = as.group();
        a.post_id = as.post_id();
        a.reason = as.reason();
        audit_.push_back(std::move(a));
      }
      rates_.clear();
      for (const pb::RateState& rs : s.rates()) {
        rates_[rs.moderator()].assign(rs.flag_times().begin(), rs.flag_times().end());
      }
      appeals_.clear();
      for (const pb::AppealState& as : s.appeals()) {
        Appeal& ap = appeals_[as.member()];
        ap.member = as.member();
        ap.statement = as.statement();
        ap.filed_at = FromMicros(as.filed_at());
      }
    }
    return absl::OkStatus();
  }

  // ---------------------------------------------------------------- state

  std::unique_ptr<EventStore> store_;
  const Clock* clock_;
  const RegistryOptions options_;
  // The store's MaxRecordBytes(), which Hold fits a held post's event to.
  const size_t record_limit_;

  // Serializes every change: validate, start the store's append, apply. Released
  // before the wait for durability and the notification. The read path never takes it.
  mutable std::mutex write_mu_;
  // Held through a whole Compact(), taken before write_mu_.
  std::mutex compact_mu_;
  uint64_t last_sequence_ ABSL_GUARDED_BY(write_mu_) = 0;  // started, maybe not durable
  // Set when the store failed (an append it could not take, or a change applied in
  // memory it could not make durable): no more changes.
  absl::Status failed_ ABSL_GUARDED_BY(write_mu_);
  // What every change returns once failed_ is set (FailedStatus(failed_)).
  absl::Status failure_ ABSL_GUARDED_BY(write_mu_);
  // The failure when even its message could not be made: made with the registry.
  const absl::Status out_of_memory_failure_ = absl::UnavailableError(
      "registry accepts no more changes: it ran out of memory; destroy it (and its "
      "gates) and reopen it over its store with Registry::Open");
  // OK, or failure_ once failed_ is set: what Health() returns.
  mutable std::mutex health_mu_;
  absl::Status health_ ABSL_GUARDED_BY(health_mu_);
  // Set with health_: CheckPosting, which takes no writer lock, answers Health() from
  // then on rather than decide from a state the store may lack.
  std::atomic<bool> failed_for_readers_{false};
  // Every event through this sequence is known to be durable (see AwaitDurable).
  std::atomic<uint64_t> durable_through_{0};
  uint64_t next_ticket_ ABSL_GUARDED_BY(write_mu_) = 1;
  uint64_t next_flag_id_ ABSL_GUARDED_BY(write_mu_) = 1;
  // Members with a probation record (for ExpireProbations without a full scan).
  std::set<std::string> on_probation_ ABSL_GUARDED_BY(write_mu_);
  // Who left which group when (RegistryOptions::flag_after_leaving): the group's
  // moderators may still flag them. Read and changed only under the writer lock
  // (Flag, apply, snapshots).
  struct Departure {
    uint32_t group = 0;
    int64_t left_at = 0;
  };
  using Departures = absl::InlinedVector<Departure, 1>;
  StringMap<Departures> departures_ ABSL_GUARDED_BY(write_mu_);

  // The three locks below are taken one at a time, never nested, and held only for
  // in-memory work.
  mutable std::shared_mutex groups_mu_;
  IdTable<uint32_t> group_index_ ABSL_GUARDED_BY(groups_mu_);
  std::vector<std::unique_ptr<GroupRecord>> groups_ ABSL_GUARDED_BY(groups_mu_);

  std::array<Shard, kShards> shards_;

  mutable std::shared_mutex meta_mu_;
  std::set<std::string> admins_ ABSL_GUARDED_BY(meta_mu_);
  std::vector<AuditEntry> audit_ ABSL_GUARDED_BY(meta_mu_);
  StringMap<std::deque<int64_t>> rates_ ABSL_GUARDED_BY(meta_mu_);
  std::map<std::string, Appeal> appeals_ ABSL_GUARDED_BY(meta_mu_);

  // Whose turn it is to notify: tickets are handed out under write_mu_ in sequence
  // order, and each change notifies only after every earlier ticket has.
  std::mutex turn_mu_;
  std::condition_variable turn_cv_;
  uint64_t notify_turn_ ABSL_GUARDED_BY(turn_mu_) = 1;

  // Held while subscribers are called (see Notify); taken before subscribers_mu_.
  std::mutex notify_mu_;
  std::mutex subscribers_mu_;
  std::map<int, EventSubscriber> subscribers_ ABSL_GUARDED_BY(subscribers_mu_);
  int next_handle_ ABSL_GUARDED_BY(subscribers_mu_) = 1;
};

thread_local const Registry::Impl* Registry::Impl::NotifyingScope::notifying_ = nullptr;

// ------------------------------------------------------------------ Registry

Registry::Registry(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Registry::~Registry() = default;

absl::StatusOr<std::unique_ptr<Registry>> Registry::Open(
    std::unique_ptr<EventStore> store, const Clock* clock,
    const RegistryOptions& options) {
  if (store == nullptr)
    return absl::InvalidArgumentError("Registry::Open: no event store");
  // Times are kept in microseconds: a positive duration under one would be zero
  // there (a flag that ends as it starts, a rate window that counts nothing).
  if (options.default_probation < absl::Microseconds(1) ||
      options.max_probation < absl::Microseconds(1) ||
      options.flag_window < absl::Microseconds(1) ||
      options.audit_retention < absl::Microseconds(1)) {
    return absl::InvalidArgumentError(
        "RegistryOptions: default_probation, max_probation, flag_window and "
        "audit_retention must be at least 1 microsecond");
  }
  if (options.flag_after_leaving < absl::ZeroDuration() ||
      (options.flag_after_leaving > absl::ZeroDuration() &&
       options.flag_after_leaving < absl::Microseconds(1))) {
    return absl::InvalidArgumentError(
        absl::StrCat("RegistryOptions.flag_after_leaving ",
                     absl::FormatDuration(options.flag_after_leaving),
                     " is negative or under 1 microsecond (0: members only)"));
  }
  if (options.max_flags_per_window < 1 || options.max_flags_per_window > 1'000'000) {
    return absl::InvalidArgumentError(
        absl::StrCat("RegistryOptions.max_flags_per_window ",
                     options.max_flags_per_window, " is outside 1..1000000"));
  }
  if (options.sitewide_after_distinct_groups < 1 ||
      options.sitewide_after_distinct_groups > 1000) {
    return absl::InvalidArgumentError(
        absl::StrCat("RegistryOptions.sitewide_after_distinct_groups ",
                     options.sitewide_after_distinct_groups, " is outside 1..1000"));
  }
  // Below this, a post the gate holds might not fit the store even with its text cut
  // away: the gate would get an error for a post that a clean twin publishes.
  if (store->MaxRecordBytes() < kMinStoreRecordBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Registry::Open: the store takes records of at most ", store->MaxRecordBytes(),
        " bytes; a registry needs ", kMinStoreRecordBytes,
        " (Registry::kMinStoreRecordBytes) to hold any post the gate takes"));
  }
  try {
    auto impl = std::make_unique<Impl>(std::move(store), clock, options);
    GG_RETURN_IF_ERROR(impl->Recover());
    return std::unique_ptr<Registry>(new Registry(std::move(impl)));
  } catch (const std::bad_alloc&) {
    try {
      return absl::ResourceExhaustedError(
          "Registry::Open: out of memory rebuilding the registry from its store");
    } catch (const std::bad_alloc&) {
      // Memory stays out: a status without a message needs none.
      return absl::Status(absl::StatusCode::kResourceExhausted, "");
    }
  }
}

const Clock& Registry::clock() const { return *impl_->clock_; }

absl::Status Registry::Health() const {
  std::lock_guard<std::mutex> h(impl_->health_mu_);
  return impl_->health_;
}

absl::Status Registry::CreateGroup(absl::string_view group, const GroupPolicy& policy) {
  GG_RETURN_IF_ERROR(CheckId("group", group));
  GG_RETURN_IF_ERROR(CheckPolicy(policy));
  std::unique_lock<std::mutex> w(impl_->write_mu_);
  if (impl_->GroupIndex(group)) {
    return absl::FailedPreconditionError(
        absl::StrCat("group \"", group, "\" already exists"));
  }
  pb::Event e = impl_->NewEvent(kSystem, "");
  e.mutable_group_created()->set_group(std::string(group));
  *e.mutable_group_created()->mutable_policy() = ToProto(policy);
  return impl_->Commit(w, e).status();
}

absl::Status Registry::AddAdministrator(absl::string_view member) {
  GG_RETURN_IF_ERROR(CheckId("member", member));
  GG_RETURN_IF_ERROR(CheckNotReserved("member", member));
  std::unique_lock<std::mutex> w(impl_->write_mu_);
  if (impl_->IsAdmin(member)) {
    return absl::FailedPreconditionError(
        absl::StrCat("\"", member, "\" is already a site administrator"));
  }
  pb::Event e = impl_->NewEvent(kSystem, "");
  e.mutable_administrator_set()->set_member(std::string(member));
  e.mutable_administrator_set()->set_granted(true);
  return impl_->Commit(w, e).status();
}

absl::Status Registry::RemoveAdministrator(absl::string_view member) {
  GG_RETURN_IF_ERROR(CheckId("member", member));
  std::unique_lock<std::mutex> w(impl_->write_mu_);
  if (!impl_->IsAdmin(member)) {
    return absl::FailedPreconditionError(
        absl::StrCat("\"", member, "\" is not a site administrator"));
  }
  pb::Event e = impl_->NewEvent(kSystem, "");
  e.mutable_administrator_set()->set_member(std::string(member));
  e.mutable_administrator_set()->set_granted(false);
  return impl_->Commit(w, e).status();
}

absl::Status Registry::AddModerator(absl::string_view group, absl::string_view member) {
  GG_RETURN_IF_ERROR(CheckId("member", member));
  GG_RETURN_IF_ERROR(CheckNotReserved("member", member));
  GG_ASSIGN_OR_RETURN(uint32_t g, impl_->RequireGroup(group));
  std::unique_lock<std::mutex> w(impl_->write_mu_);
  if (impl_->IsModerator(member, g)) {
    return absl::FailedPreconditionError(
        absl::StrCat("\"", member, "\" already moderates \"", group, "\""));
  }
  pb::Event e = impl_->NewEvent(kSystem, "");
  e.mutable_moderator_set()->set_group(std::string(group));
  e.mutable_moderator_set()->set_member(std::string(member));
  e.mutable_moderator_set()->set_granted(true);
  return impl_->Commit(w, e).status();
}

absl::Status Registry::RemoveModerator(absl::string_view group,
                                       absl::string_view member) {
  GG_RETURN_IF_ERROR(CheckId("member", member));
  GG_ASSIGN_OR_RETURN(uint32_t g, impl_->RequireGroup(group));
  std::unique_lock<std::mutex> w(impl_->write_mu_);
  if (!impl_->IsModerator(member, g)) {
    return absl::FailedPreconditionError(
        absl::StrCat("\"", member, "\" does not moderate \"", group, "\""));
  }
  pb::Event e = impl_->NewEvent(kSystem, "");
  e.mutable_moderator_set()->set_group(std::string(group));
  e.mutable_moderator_set()->set_member(std::string(member));
  e.mutable_moderator_set()->set_granted(false);
  return impl_->Commit(w, e).status();
}

absl::Status Registry::Join(absl::string_view member, absl::string_view group) {
  GG_RETURN_IF_ERROR(CheckId("member", member));
  GG_RETURN_IF_ERROR(CheckNotForgottenName("member", member));
  GG_ASSIGN_OR_RETURN(uint32_t g, impl_->RequireGroup(group));
  std::unique_lock<std::mutex> w(impl_->write_mu_);
  Impl::MemberSnapshot m = impl_->CopyMember(member, /*with_probation=*/false);
  if (std::binary_search(m.groups.begin(), m.groups.end(), g)) {
    return absl::FailedPreconditionError(
        absl::StrCat("\"", member, "\" is already a member of \"", group, "\""));
  }
  pb::Event e = impl_->NewEvent(kSystem, "");
  e.mutable_membership()->set_member(std::string(member));
  e.mutable_membership()->set_group(std::string(group));
  e.mutable_membership()->set_joined(true);
  return impl_->Commit(w, e).status();
}

absl::Status Registry::Leave(absl::string_view member, absl::string_view group) {
  GG_RETURN_IF_ERROR(CheckId("member", member));
  GG_ASSIGN_OR_RETURN(uint32_t g, impl_->RequireGroup(group));
  std::unique_lock<std::mutex> w(impl_->write_mu_);
  Impl::MemberSnapshot m = impl_->CopyMember(member, /*with_probation=*/false);
  if (!std::binary_search(m.groups.begin(), m.groups.end(), g)) {
    return absl::FailedPreconditionError(
        absl::StrCat("\"", member, "\" is not a member of \"", group, "\""));
  }
  pb::Event e = impl_->NewEvent(kSystem, "");
  e.mutable_membership()->set_member(std::string(member));
  e.mutable_membership()->set_group(std::string(group));
  e.mutable_membership()->set_joined(false);
  return impl_->Commit(w, e).status();
}

absl::Status Registry::Withdraw(absl::string_view group, absl::string_view post_id,
                                absl::string_view reason) {
  GG_ASSIGN_OR_RETURN(uint32_t g, impl_->RequireGroup(group));
  GG_RETURN_IF_ERROR(CheckId("post", post_id));
  std::unique_lock<std::mutex> w(impl_->write_mu_);
  {
    std::shared_lock<std::shared_mutex> l(impl_->groups_mu_);
    if (impl_->groups_[g]->queue.count(std::string(post_id)) == 0) {
      return absl::NotFoundError(
          absl::StrCat("no post \"", post_id, "\" held in group \"", group, "\""));
    }
  }
  pb::Event e = impl_->NewEvent(kSystem, reason);
  e.mutable_post_withdrawn()->set_post_id(std::string(post_id));
  e.mutable_post_withdrawn()->set_group(std::string(group));
  return impl_->Commit(w, e).status();
}

absl::Status Registry::SetGroupPolicy(absl::string_view actor, absl::string_view group,
                                      const GroupPolicy& policy) {
  GG_ASSIGN_OR_RETURN(uint32_t g, impl_->RequireGroupAs(actor, group, "set the policy"));
  GG_RETURN_IF_ERROR(CheckPolicy(policy));
  std::unique_lock<std::mutex> w(impl_->write_mu_);
  GG_RETURN_IF_ERROR(impl_->Authorize(actor, g, "set the policy"));
  pb::Event e = impl_->NewEvent(actor, "");
  if (!policy.hold_on_probation) {
    // Nobody decides their own case (as Lift): a moderator held in the group does
    // not stop its holding of members on probation, themselves among them.
    bool holds_now;
    {
      std::shared_lock<std::shared_mutex> l(impl_->groups_mu_);
      holds_now = impl_->groups_[g]->policy.hold_on_probation;
    }
    Impl::MemberSnapshot m = impl_->CopyMember(actor);
    const Probation* p = m.probation ? &*m.probation : nullptr;
    if (holds_now &&
        HeldIn(p, Evaluate(p, e.time(), impl_->options_.sitewide_after_distinct_groups),
               g, e.time())) {
      return absl::PermissionDeniedError(absl::StrCat(
          "\"", actor,
          "\" may not stop holding the posts of members on probation in group \"", group,
          "\" while on probation there: another moderator of it or a site "
          "administrator decides"));
    }
  }
  e.mutable_policy_set()->set_group(std::string(group));
  *e.mutable_policy_set()->mutable_policy() = ToProto(policy);
  return impl_->Commit(w, e).status();
}

namespace {

absl::StatusOr<Feedback> Review(Registry::Impl* impl, absl::string_view actor,
                                absl::string_view group, absl::string_view post_id,
                                absl::string_view reason, bool approve);

}  // namespace

absl::StatusOr<Feedback> Registry::Approve(absl::string_view actor,
                                           absl::string_view group,
                                           absl::string_view post_id,
                                           absl::string_view reason) {
  return Review(impl_.get(), actor, group, post_id, reason, true);
}

absl::StatusOr<Feedback> Registry::Reject(absl::string_view actor,
                                          absl::string_view group,
                                          absl::string_view post_id,
                                          absl::string_view reason) {
  return Review(impl_.get(), actor, group, post_id, reason, false);
}

namespace {

absl::StatusOr<Feedback> Review(Registry::Impl* impl, absl::string_view actor,
                                absl::string_view group, absl::string_view post_id,
                                absl::string_view reason, bool approve) {
  const absl::string_view what = approve ? "approve posts" : "reject posts";
  GG_ASSIGN_OR_RETURN(uint32_t g, impl->RequireGroupAs(actor, group, what));
  GG_RETURN_IF_ERROR(CheckId("post", post_id));
  std::unique_lock<std::mutex> w(impl->write_mu_);
  GG_RETURN_IF_ERROR(impl->Authorize(actor, g, what));
  HeldPost held;
  {
    std::shared_lock<std::shared_mutex> l(impl->groups_mu_);
    const auto& queue = impl->groups_[g]->queue;
    auto it = queue.find(std::string(post_id));
    if (it == queue.end()) {
      return absl::NotFoundError(
          absl::StrCat("no post \"", post_id, "\" held in group \"", group, "\""));
    }
    held = it->second;
  }
  if (held.post.member == actor) {
    return absl::PermissionDeniedError(absl::StrCat(
        "\"", actor, "\" may not ", what, " of their own (\"", post_id, "\" in group \"",
        group, "\"): another moderator of it or a site administrator decides"));
  }
  pb::Event e = impl->NewEvent(actor, reason);
  e.mutable_post_reviewed()->set_post_id(std::string(post_id));
  e.mutable_post_reviewed()->set_group(std::string(group));
  e.mutable_post_reviewed()->set_approved(approve);
  GG_RETURN_IF_ERROR(impl->Commit(w, e).status());
  return Registry::Impl::MakeFeedback(held, !approve, e);
}

}  // namespace

absl::Status Registry::Flag(absl::string_view actor, absl::string_view member,
                            absl::string_view group, absl::string_view reason,
                            absl::Duration duration) {
  GG_RETURN_IF_ERROR(CheckId("member", member));
  GG_ASSIGN_OR_RETURN(uint32_t g, impl_->RequireGroupAs(actor, group, "flag members"));
  if (reason.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("flagging \"", member, "\" needs a reason"));
  }
  if (duration < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "probation duration ", absl::FormatDuration(duration), " is negative"));
  }
  if (duration > absl::ZeroDuration() && duration < absl::Microseconds(1)) {
    // Times are kept in microseconds: it would end as it starts.
    return absl::InvalidArgumentError(absl::StrCat("probation duration ",
                                                   absl::FormatDuration(duration),
                                                   " is under a microsecond"));
  }
  const RegistryOptions& o = impl_->options_;
  if (duration == absl::ZeroDuration()) duration = o.default_probation;
  duration = std::min(duration, o.max_probation);
  std::unique_lock<std::mutex> w(impl_->write_mu_);
  GG_RETURN_IF_ERROR(impl_->Authorize(actor, g, "flag members"));
  pb::Event e = impl_->NewEvent(actor, reason);
  // A member of the group, or one who left it (or was removed) recently: leaving
  // before the moderators get to the queue must not escape probation.
  // And from the probation: whether this flag closes an appeal (none in force) or
  // keeps an exemption (in force, and the group exempt).
  bool is_member = false, in_force = false, exempt = false;
  impl_->ReadMember(member, [&](const MemberRecord* r) {
    if (r == nullptr) return;
    is_member = std::binary_search(r->groups.begin(), r->groups.end(), g);
    in_force = InForce(r->probation.get(), e.time());
    exempt = in_force && Exempt(r->probation.get(), g, e.time());
  });
  if (!is_member && !impl_->RecentDepartureLocked(member, g, e.time())) {
    return absl::FailedPreconditionError(
        absl::StrCat("\"", member, "\" is not a member of \"", group, "\"",
                     o.flag_after_leaving > absl::ZeroDuration()
                         ? absl::StrCat(" and has not left it in the last ",
                                        absl::FormatDuration(o.flag_after_leaving))
                         : std::string()));
  }
  if (!impl_->IsAdmin(actor)) {
    const int64_t window_start = AddMicros(e.time(), -o.flag_window);
    int recent = 0;
    {
      std::shared_lock<std::shared_mutex> l(impl_->meta_mu_);
      auto it = impl_->rates_.find(std::string(actor));
      if (it != impl_->rates_.end()) {
        for (int64_t t : it->second) recent += t > window_start ? 1 : 0;
      }
    }
    if (recent >= o.max_flags_per_window) {
      return absl::ResourceExhaustedError(
          absl::StrCat("\"", actor, "\" has flagged ", recent, " members in the last ",
                       absl::FormatDuration(o.flag_window), "; the limit is ",
                       o.max_flags_per_window));
    }
  }
  e.mutable_flagged()->set_flag_id(impl_->next_flag_id_);
  e.mutable_flagged()->set_member(std::string(member));
  e.mutable_flagged()->set_group(std::string(group));
  e.mutable_flagged()->set_until(AddMicros(e.time(), duration));
  // A flag that starts a new probation also closes an appeal of the one that ran out
  // (ExpireProbations closes it when it records the end first): the new probation is
  // the member's to appeal, not the old statement's to decide. Recorded in the event
  // (closes_appeal), not derived when it is applied, so that journals written before
  // this rule (where such an appeal stayed pending and was later decided) replay as
  // they were.
  bool appeal_pending;
  {
    std::shared_lock<std::shared_mutex> l(impl_->meta_mu_);
    appeal_pending = impl_->appeals_.count(std::string(member)) > 0;
  }
  if (appeal_pending && !in_force) e.mutable_flagged()->set_closes_appeal(true);
  // A flag from a group whose moderators lifted the probation there holds the member
  // there for the flag's own duration, not for the rest of a longer probation that
  // other groups' flags make: once it ends, the lift exempts the group again.
  // Recorded in the event (keeps_exemption) so that older journals, where such a
  // flag ended the exemption, replay as they were.
  if (exempt) {
    e.mutable_flagged()->set_keeps_exemption(true);
  }
  return impl_->Commit(w, e).status();
}

absl::Status Registry::Lift(absl::string_view actor, absl::string_view member,
                            absl::string_view group, absl::string_view reason) {
  GG_RETURN_IF_ERROR(CheckId("member", member));
  std::optional<uint32_t> g;
  if (!group.empty()) {
    GG_ASSIGN_OR_RETURN(g, impl_->RequireGroupAs(actor, group, "lift probations"));
  }
  std::unique_lock<std::mutex> w(impl_->write_mu_);
  if (g) {
    GG_RETURN_IF_ERROR(impl_->Authorize(actor, *g, "lift probations"));
  } else {
    GG_RETURN_IF_ERROR(impl_->AuthorizeAdmin(actor, "lift a probation site-wide"));
  }
  if (member == actor) {
    return absl::PermissionDeniedError(
        absl::StrCat("\"", actor, "\" may not lift their own probation: ",
                     g ? "another moderator of the group or a site administrator decides"
                       : "another site administrator decides"));
  }
  pb::Event e = impl_->NewEvent(actor, reason);
  const bool by_moderator = g && !impl_->IsAdmin(actor);
  Impl::MemberSnapshot m =
      impl_->CopyMember(member, /*with_probation=*/true, /*with_moderators=*/by_moderator);
  const Probation* p = m.probation ? &*m.probation : nullptr;
  ProbationView v = Evaluate(p, e.time(), impl_->options_.sitewide_after_distinct_groups);
  bool applies = g ? HeldIn(p, v, *g, e.time()) : v.any;
  if (!applies) {
    return absl::FailedPreconditionError(
        absl::StrCat("\"", member, "\" is not on probation",
                     g ? absl::StrCat(" in \"", group, "\"") : std::string()));
  }
  // A lift in a group withdraws the group's flags, and with them the probation
  // everywhere else they made: a moderator may not so undo a site administrator's
  // flag (only administrators lift a probation site-wide). Another administrator's
  // flag binds an administrator no more than their own.
  if (by_moderator) {
    for (const FlagRecord& f : p->flags) {
      if (f.group == *g && f.until > e.time() && impl_->IsAdmin(f.moderator)) {
        return absl::PermissionDeniedError(absl::StrCat(
            "\"", actor, "\" may not lift in \"", group, "\" the flag site administrator \"",
            f.moderator, "\" gave there: a site administrator decides"));
      }
    }
  }
  e.mutable_lifted()->set_member(std::string(member));
  e.mutable_lifted()->set_group(std::string(group));
  return impl_->Commit(w, e).status();
}

absl::StatusOr<std::vector<HeldPost>> Registry::ListQueue(absl::string_view actor,
                                                          absl::string_view group) const {
  GG_ASSIGN_OR_RETURN(uint32_t g, impl_->RequireGroupAs(actor, group, "see the queue"));
  GG_RETURN_IF_ERROR(impl_->Authorize(actor, g, "see the queue"));
  std::vector<HeldPost> out;
  {
    std::shared_lock<std::shared_mutex> l(impl_->groups_mu_);
    for (const auto& [id, h] : impl_->groups_[g]->queue) out.push_back(h);
  }
  std::sort(out.begin(), out.end(),
            [](const HeldPost& a, const HeldPost& b) { return a.sequence < b.sequence; });
  return out;
}

absl::StatusOr<std::vector<AuditEntry>> Registry::AuditLog(
    absl::string_view actor) const {
  GG_RETURN_IF_ERROR(impl_->AuthorizeAdmin(actor, "read the audit log"));
  std::shared_lock<std::shared_mutex> l(impl_->meta_mu_);
  return impl_->audit_;
}

absl::StatusOr<std::vector<MemberId>> Registry::MembersOnProbation(
    absl::string_view actor) const {
  GG_RETURN_IF_ERROR(impl_->AuthorizeAdmin(actor, "list the members on probation"));
  std::vector<MemberId> recorded;
  {
    // Members with a probation record, sorted (a std::set); ExpireProbations removes
    // those that ran out, so each is checked against the clock.
    std::lock_guard<std::mutex> w(impl_->write_mu_);
    recorded.assign(impl_->on_probation_.begin(), impl_->on_probation_.end());
  }
  const int64_t now = impl_->NowMicros();
  std::vector<MemberId> members;
  for (MemberId& m : recorded) {
    const bool in_force = impl_->ReadMember(m, [now](const MemberRecord* r) {
      return r != nullptr && InForce(r->probation.get(), now);
    });
    if (in_force) members.push_back(std::move(m));
  }
  return members;
}

absl::StatusOr<std::vector<GroupId>> Registry::ListGroups(absl::string_view actor) const {
  GG_RETURN_IF_ERROR(impl_->AuthorizeAdmin(actor, "list the groups"));
  std::vector<GroupId> groups;
  {
    std::shared_lock<std::shared_mutex> l(impl_->groups_mu_);
    groups.reserve(impl_->groups_.size());
    for (const auto& g : impl_->groups_) groups.push_back(g->name);
  }
  std::sort(groups.begin(), groups.end());
  return groups;
}

absl::StatusOr<GroupPolicy> Registry::GroupPolicyOf(absl::string_view group) const {
  GG_ASSIGN_OR_RETURN(uint32_t g, impl_->RequireGroup(group));
  std::shared_lock<std::shared_mutex> l(impl_->groups_mu_);
  return impl_->groups_[g]->policy;
}

ProbationStatus Registry::ProbationStatusOf(absl::string_view member) const {
  ProbationStatus st;
  const int64_t now = impl_->NowMicros();
  Impl::MemberSnapshot m = impl_->CopyMember(member);
  const Probation* p = m.probation ? &*m.probation : nullptr;
  ProbationView v = Evaluate(p, now, impl_->options_.sitewide_after_distinct_groups);
  if (v.any) {
    // Where it holds the member now: the flagging groups and, site-wide, the
    // member's groups too (HeldIn says which, without the exempt ones).
    std::vector<uint32_t> candidates(v.flag_groups.begin(), v.flag_groups.end());
    if (v.site_wide)
      candidates.insert(candidates.end(), m.groups.begin(), m.groups.end());
    std::sort(candidates.begin(), candidates.end());
    candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
    std::vector<uint32_t> held;
    for (uint32_t g : candidates) {
      if (HeldIn(p, v, g, now)) held.push_back(g);
    }
    st.on_probation = v.site_wide || !held.empty();
    if (st.on_probation) {
      st.site_wide = v.site_wide;
      if (v.site_wide) {
        st.site_wide_since = FromMicros(v.site_wide_since);
        st.site_wide_until = FromMicros(v.site_wide_until);
      }
      // By name, each with the window a held post's reason gives there.
      std::vector<std::tuple<std::string, int64_t, int64_t>> named;
      {
        std::shared_lock<std::shared_mutex> l(impl_->groups_mu_);
        for (uint32_t g : held) {
          const auto [since, until] = HeldWindow(p, v, g, now);
          named.emplace_back(impl_->groups_[g]->name, since, until);
        }
      }
      std::sort(named.begin(), named.end());
      for (auto& [name, since, until] : named) {
        st.held_in.push_back(std::move(name));
        st.held_since.push_back(FromMicros(since));
        st.held_until.push_back(FromMicros(until));
      }
      std::vector<uint32_t> exempt;
      for (const Exemption& x : p->exemptions) {
        // Not while the group's own flag holds the member there (keeps_exemption).
        if (x.until > now && !std::binary_search(held.begin(), held.end(), x.group)) {
          exempt.push_back(x.group);
        }
      }
      st.exempt_in = impl_->GroupNames(exempt);
      st.since = FromMicros(v.since);
      st.until = FromMicros(v.until);
    }
  }
  std::shared_lock<std::shared_mutex> l(impl_->meta_mu_);
  st.appeal_pending = impl_->appeals_.count(std::string(member)) > 0;
  return st;
}

absl::Status Registry::FileAppeal(absl::string_view member, absl::string_view statement) {
  GG_RETURN_IF_ERROR(CheckId("member", member));
  std::unique_lock<std::mutex> w(impl_->write_mu_);
  ProbationStatus st = ProbationStatusOf(member);
  if (!st.on_probation) {
    return absl::FailedPreconditionError(
        absl::StrCat("\"", member, "\" is not on probation; nothing to appeal"));
  }
  if (st.appeal_pending) {
    return absl::FailedPreconditionError(
        absl::StrCat("\"", member, "\" already has an appeal pending"));
  }
  pb::Event e = impl_->NewEvent(member, "");
  e.mutable_appeal_filed()->set_member(std::string(member));
  e.mutable_appeal_filed()->set_statement(std::string(statement));
  return impl_->Commit(w, e).status();
}

absl::StatusOr<std::vector<Appeal>> Registry::ListAppeals(absl::string_view actor) const {
  GG_RETURN_IF_ERROR(impl_->AuthorizeAdmin(actor, "list appeals"));
  std::vector<Appeal> out;
  {
    std::shared_lock<std::shared_mutex> l(impl_->meta_mu_);
    for (const auto& [m, a] : impl_->appeals_) out.push_back(a);
  }
  std::stable_sort(out.begin(), out.end(), [](const Appeal& a, const Appeal& b) {
    return a.filed_at < b.filed_at;
  });
  return out;
}

absl::Status Registry::DecideAppeal(absl::string_view actor, absl::string_view member,
                                    bool grant, absl::string_view reason) {
  GG_RETURN_IF_ERROR(CheckId("member", member));
  std::unique_lock<std::mutex> w(impl_->write_mu_);
  GG_RETURN_IF_ERROR(impl_->AuthorizeAdmin(actor, "decide appeals"));
  if (member == actor) {
    return absl::PermissionDeniedError(
        absl::StrCat("\"", actor,
                     "\" may not decide their own appeal: another site administrator "
                     "decides"));
  }
  {
    std::shared_lock<std::shared_mutex> l(impl_->meta_mu_);
    if (impl_->appeals_.count(std::string(member)) == 0) {
      return absl::NotFoundError(absl::StrCat("no appeal pending from \"", member, "\""));
    }
  }
  pb::Event e = impl_->NewEvent(actor, reason);
  if (grant) {
    Impl::MemberSnapshot m = impl_->CopyMember(member);
    // Whether it is still in force, not merely recorded: one that ran out before
    // ExpireProbations recorded it is over too.
    if (m.probation &&
        Evaluate(&*m.probation, e.time(), impl_->options_.sitewide_after_distinct_groups)
            .any) {
      e.mutable_lifted()->set_member(std::string(member));
      e.mutable_lifted()->set_appeal(true);
    } else {
      // The probation ended (expired or lifted) after the appeal was filed: close it.
      e.mutable_appeal_denied()->set_member(std::string(member));
      e.set_reason(absl::StrCat("moot: no probation left; ", reason));
    }
  } else {
    e.mutable_appeal_denied()->set_member(std::string(member));
  }
  return impl_->Commit(w, e).status();
}

absl::Status Registry::Forget(absl::string_view actor, absl::string_view member) {
  GG_RETURN_IF_ERROR(CheckId("member", member));
  GG_RETURN_IF_ERROR(CheckNotForgottenName("member", member));
  std::unique_lock<std::mutex> w(impl_->write_mu_);
  GG_RETURN_IF_ERROR(impl_->AuthorizeAdmin(actor, "forget members"));
  // An administrator may erase themselves, but not out of a probation: that would
  // be lifting their own (nobody decides their own case).
  if (member == actor) {
    Impl::MemberSnapshot m = impl_->CopyMember(member);
    if (m.probation && Evaluate(&*m.probation, impl_->NowMicros(),
                                impl_->options_.sitewide_after_distinct_groups)
                           .any) {
      return absl::PermissionDeniedError(
          absl::StrCat("\"", actor,
                       "\" may not forget themselves while on probation: another site "
                       "administrator decides"));
    }
  }
  // Not "nothing to forget" on a failed registry: memory may hold a Forget (or
  // lack a change) the store does not.
  if (!impl_->failed_.ok()) return impl_->FailedLocked();
  // Nothing about them: nothing is written (the event would only put their id in
  // the store), and a retry of an acknowledged Forget succeeds. But what memory shows
  // may not be durable yet: another caller's Forget of the same member may still
  // wait for its sync. OK only once every change started so far is durable, so an
  // OK never stands on an erasure a failed sync or a crash could still undo.
  if (!impl_->NamesMemberLocked(std::string(member))) {
    const uint64_t seen = impl_->last_sequence_;
    w.unlock();
    return impl_->AwaitDurableThrough(seen);
  }
  pb::Event e = impl_->NewEvent(actor, "");
  e.mutable_member_forgotten()->set_member(std::string(member));
  return impl_->Commit(w, e).status();
}

absl::StatusOr<int> Registry::ExpireProbations() {
  std::unique_lock<std::mutex> w(impl_->write_mu_);
  const int64_t now = impl_->NowMicros();
  // (Departures are pruned by Compact, whose snapshot drops the same ones: pruned
  // here, with no event, a clock stepped back would find a reopened registry able to
  // flag a member this one no longer can.)
  std::vector<std::string> due;
  for (const std::string& member : impl_->on_probation_) {
    const bool any_due = impl_->ReadMember(member, [now](const MemberRecord* r) {
      if (r == nullptr || r->probation == nullptr) return false;
      const Probation& p = *r->probation;
      return std::any_of(p.flags.begin(), p.flags.end(),
                         [now](const FlagRecord& f) { return f.until <= now; }) ||
             std::any_of(p.exemptions.begin(), p.exemptions.end(),
                         [now](const Exemption& x) { return x.until <= now; });
    });
    if (any_due) due.push_back(member);
  }
  int ended = 0;
  absl::Status status;
  std::vector<Impl::PendingCommit> pending;
  // Room for every change first: a push_back that ran out of memory after its change
  // took a notification ticket would leave that turn never taken.
  pending.reserve(due.size());
  for (const std::string& member : due) {
    pb::Event e = impl_->NewEvent(kSystem, "probation ran out");
    e.set_time(now);
    e.mutable_expired()->set_member(member);
    absl::StatusOr<Impl::PendingCommit> p = impl_->StartCommitLocked(e);
    if (!p.ok()) {
      status = p.status();
      break;
    }
    pending.push_back(*std::move(p));
    ended += impl_->on_probation_.count(member) == 0 ? 1 : 0;
  }
  w.unlock();
  // The started ones are finished (made durable, notified in order) even if a later
  // one could not start.
  for (const Impl::PendingCommit& p : pending) {
    absl::Status s = impl_->FinishCommit(p).status();
    if (status.ok()) status = s;
  }
  if (!status.ok()) return status;
  return ended;
}

absl::Status Registry::Compact() {
  // One compaction at a time (snapshots go to the store in order); changes go on
  // meanwhile but for the writer lock's share below: the state is copied under it,
  // then waited for, serialized and written without it.
  std::lock_guard<std::mutex> one_at_a_time(impl_->compact_mu_);
  std::unique_lock<std::mutex> w(impl_->write_mu_);
  if (!impl_->failed_.ok()) return impl_->FailedLocked();
  if (impl_->store_->ReadOnly()) return impl_->ReadOnlyStatus();
  if (impl_->options_.audit_retention != absl::InfiniteDuration()) {
    // Older audit entries go by an event of their own, so the trim is in the
    // journal before any snapshot reflects it: a reopen rebuilds exactly what memory
    // holds, whatever becomes of the snapshot.
    const int64_t cutoff =
        AddMicros(impl_->NowMicros(), -impl_->options_.audit_retention);
    bool any_old = false;
    {
      std::shared_lock<std::shared_mutex> l(impl_->meta_mu_);
      for (const AuditEntry& a : impl_->audit_) any_old |= Micros(a.time) < cutoff;
    }
    if (any_old) {
      pb::Event e = impl_->NewEvent(kSystem, "audit retention");
      e.mutable_audit_trimmed()->set_before(cutoff);
      // Made durable with everything else just below; it notifies nobody.
      GG_RETURN_IF_ERROR(impl_->StartCommitLocked(e).status());
    }
  }
  impl_->PruneDeparturesLocked(impl_->NowMicros());
  const pb::Snapshot s = impl_->BuildSnapshotLocked();
  const uint64_t through = impl_->last_sequence_;
  w.unlock();
  // The snapshot covers every change applied up to `through`, so they must all be
  // durable first (a store accepts a snapshot only through an acknowledged record).
  if (absl::Status d = impl_->store_->WaitDurable(through); !d.ok()) {
    w.lock();
    impl_->SetFailedLocked(d);
    return d;
  }
  // A state protobuf cannot serialize (over 2 GiB: a long audit log, big held posts)
  // must not reach WriteSnapshot: SerializeToString would leave "", and the store
  // would drop every record that empty snapshot claims to cover. Nothing is written;
  // the journal keeps its records and the registry goes on.
  absl::StatusOr<std::string> bytes = internal::SerializeWithin(
      s, MessageLimit(), absl::StatusCode::kResourceExhausted,
      absl::StrCat("the moderation snapshot through sequence ", through));
  if (!bytes.ok()) {
    return absl::Status(
        bytes.status().code(),
        absl::StrCat(
            "Compact: ", bytes.status().message(),
            "; nothing was compacted (the store keeps every record). Set "
            "RegistryOptions.audit_retention or review held posts to shrink it"));
  }
  return impl_->store_->WriteSnapshot(*bytes, through);
}

std::string Registry::CanonicalDump() const {
  std::unique_lock<std::mutex> w(impl_->write_mu_);
  pb::Snapshot s = impl_->BuildSnapshotLocked();
  // Group order in the snapshot is creation order; the dump sorts it.
  std::sort(s.mutable_groups()->begin(), s.mutable_groups()->end(),
            [](const pb::GroupState& a, const pb::GroupState& b) {
              return a.group() < b.group();
            });
  std::string out;
  google::protobuf::TextFormat::PrintToString(s, &out);
  return out;
}

int Registry::Subscribe(EventSubscriber subscriber) {
  std::lock_guard<std::mutex> l(impl_->subscribers_mu_);
  int handle = impl_->next_handle_++;
  impl_->subscribers_[handle] = std::move(subscriber);
  return handle;
}

void Registry::Unsubscribe(int handle) {
  if (Impl::NotifyingScope::IsNotifying(impl_.get())) {
    // Called from a subscriber: notify_mu_ is this thread's already.
    std::lock_guard<std::mutex> l(impl_->subscribers_mu_);
    impl_->subscribers_.erase(handle);
    return;
  }
  std::lock_guard<std::mutex> n(impl_->notify_mu_);
  std::lock_guard<std::mutex> l(impl_->subscribers_mu_);
  impl_->subscribers_.erase(handle);
}

absl::StatusOr<Registry::PostingCheck> Registry::CheckPosting(
    absl::string_view member, absl::string_view group) const {
  // A decision may rest only on durable changes: when the group's or the member's
  // last change is still waiting for its sync, wait for it, then read again.
  while (true) {
    uint64_t changed_at = 0;
    absl::StatusOr<PostingCheck> check = CheckPostingNow(member, group, &changed_at);
    if (!check.ok()) return check;
    if (changed_at <= impl_->durable_through_.load(std::memory_order_acquire)) {
      return check;
    }
    GG_RETURN_IF_ERROR(impl_->AwaitDurable(changed_at));
  }
}

absl::StatusOr<Registry::PostingCheck> Registry::CheckPostingNow(
    absl::string_view member, absl::string_view group, uint64_t* changed_at) const {
  if (impl_->failed_for_readers_.load(std::memory_order_acquire)) return Health();
  PostingCheck check;
  uint32_t g;
  {
    std::shared_lock<std::shared_mutex> l(impl_->groups_mu_);
    auto it = impl_->group_index_.find(group);
    if (it == impl_->group_index_.end()) {
      return absl::NotFoundError(absl::StrCat("no group \"", group, "\""));
    }
    g = it->second;
    check.policy = impl_->groups_[g]->policy;
    *changed_at = impl_->groups_[g]->changed_at;
  }
  ProbationView v;
  bool held = false;
  // Whether the site-wide probation holds the member in this group: not where a lift
  // exempts them, also when the group's own flag holds them there meanwhile.
  bool site_wide_here = false;
  std::pair<int64_t, int64_t> window;
  {
    const Impl::Shard& sh = impl_->ShardFor(member);
    std::shared_lock<std::shared_mutex> l(sh.mu);
    auto it = sh.members.find(member);
    if (it == sh.members.end() ||
        !std::binary_search(it->second.groups.begin(), it->second.groups.end(), g)) {
      return absl::FailedPreconditionError(
          absl::StrCat("\"", member, "\" is not a member of \"", group, "\""));
    }
    *changed_at = std::max(*changed_at, it->second.changed_at);
    const Probation* p = it->second.probation.get();
    if (p == nullptr) return check;  // the fast path: not on probation anywhere
    const int64_t now = impl_->NowMicros();
    v = Evaluate(p, now, impl_->options_.sitewide_after_distinct_groups);
    held = HeldIn(p, v, g, now);
    if (held) {
      window = HeldWindow(p, v, g, now);
      site_wide_here = v.site_wide && !Exempt(p, g, now);
    }
  }
  if (held) {
    HoldReason r;
    r.kind = HoldReason::Kind::kProbation;
    const auto [since, until] = window;
    r.probation_since = FromMicros(since);
    r.probation_until = FromMicros(until);
    r.site_wide = site_wide_here;
    r.flagged_from = impl_->FirstGroupNames(v.flag_groups, kMaxFlaggedFromListed);
    r.flagged_from_count = static_cast<int64_t>(v.flag_groups.size());
    check.probation = std::move(r);
  }
  return check;
}

absl::StatusOr<HeldPost> Registry::Hold(const Submission& post,
                                        std::vector<HoldReason> reasons) {
  GG_RETURN_IF_ERROR(CheckId("post", post.id));
  GG_RETURN_IF_ERROR(CheckId("member", post.member));
  GG_ASSIGN_OR_RETURN(uint32_t g, impl_->RequireGroup(post.group));
  std::unique_lock<std::mutex> w(impl_->write_mu_);
  // Checked again under the writer lock: the member may have left since the gate's
  // CheckPosting.
  const Impl::MemberSnapshot m = impl_->CopyMember(post.member, /*with_probation=*/false);
  if (!std::binary_search(m.groups.begin(), m.groups.end(), g)) {
    return absl::FailedPreconditionError(
        absl::StrCat("\"", post.member, "\" is not a member of \"", post.group, "\""));
  }
  {
    std::shared_lock<std::shared_mutex> l(impl_->groups_mu_);
    if (impl_->groups_[g]->queue.count(post.id)) {
      return absl::AlreadyExistsError(absl::StrCat(
          "post \"", post.id, "\" is already held in group \"", post.group, "\""));
    }
  }
  pb::Event e = impl_->NewEvent(post.member, "");
  HeldPost held;
  held.post = post;
  if (held.post.time == absl::InfinitePast()) held.post.time = FromMicros(e.time());
  held.reasons = std::move(reasons);
  ToProto(held, e.mutable_post_held());
  GG_RETURN_IF_ERROR(
      FitHeldPostWithin(std::min(impl_->record_limit_, MessageLimit()), &e));
  // Returns exactly what the queue holds (times at microsecond resolution), made
  // before the change: nothing allocates after it, so running out of memory cannot
  // throw out of a hold that is made.
  HeldPost queued = FromProto(e.post_held(), 0, e.time());
  GG_ASSIGN_OR_RETURN(queued.sequence, impl_->Commit(w, e));
  return queued;
}

}  // namespace groupguard
