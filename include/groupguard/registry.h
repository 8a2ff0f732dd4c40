#ifndef GROUPGUARD_REGISTRY_H_
#define GROUPGUARD_REGISTRY_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "groupguard/clock.h"
#include "groupguard/event_store.h"
#include "groupguard/events.h"
#include "groupguard/moderation.h"

namespace groupguard {

// Times are kept in microseconds: every duration here is at least 1 microsecond
// (flag_after_leaving may also be zero); Open() refuses others (kInvalidArgument).
struct RegistryOptions {
  // How long a flag keeps a member on probation when the moderator gives no duration.
  // > 0.
  absl::Duration default_probation = absl::Hours(24 * 30);
  // The longest probation one flag may impose; longer requests are capped. > 0;
  // absl::InfiniteDuration() for no cap (an "until" then saturates far in the future).
  absl::Duration max_probation = absl::Hours(24 * 365);
  // A moderator (not a site administrator) may flag at most this many members per
  // `flag_window`; one more returns kResourceExhausted. 1..1'000'000. The count is
  // the person's flags in the window, as the audit log lists them, whatever role they
  // gave them in: an administrator demoted to moderator has the flags they gave as
  // administrator counted (the limit bounds what one account that is not an
  // administrator can do now, and a demotion is often a matter of trust).
  int max_flags_per_window = 20;
  absl::Duration flag_window = absl::Hours(24);  // > 0
  // Probation becomes site-wide (every group the member is in or joins later) once
  // active flags come from this many distinct groups, each flagged by a different
  // person: one moderator's (or administrator's) flags, from however many groups
  // they moderate, count for one group, so no one makes a probation site-wide
  // alone. With fewer, the member is held only in the groups that flagged them.
  // 1 = the first flag is site-wide. 1..1000.
  int sitewide_after_distinct_groups = 1;
  // How long after a member leaves a group (or the server removes them: Leave) the
  // group's moderators (and site administrators) may still flag them from it, so
  // that leaving before a moderator gets to the queue does not escape probation.
  // The flag holds as any other: site-wide (see sitewide_after_distinct_groups), or
  // in that group should they rejoin it. Zero: members only (the old rule).
  // The registry remembers each member's departures this long (journaled with the
  // leave, in snapshots while they count); reopening with a longer value does not
  // bring back departures a snapshot has already dropped.
  absl::Duration flag_after_leaving = absl::Hours(24 * 30);
  // How long audit entries are kept: Compact() drops the entries older than this,
  // by an event of its own (audited as "trim_audit" by "system"), so a long-running
  // registry's log does not grow without bound. > 0; absl::InfiniteDuration() (the
  // default) keeps every entry.
  absl::Duration audit_retention = absl::InfiniteDuration();
};

// The cross-group probation registry: members, groups, memberships, moderators, site
// administrators, per-group policies and moderation queues, probations, appeals and
// the audit log.
//
// Every change is an event appended to the EventStore before the call returns OK
// (durable under the store's sync policy); the state is a fold over those events, so
// Open() rebuilds it exactly.
//
// How a change happens. Under one writer lock the call validates and authorizes,
// starts the store's append (EventStore::StartAppend: the event takes its place in
// the store's order, without waiting for durability) and applies the event in memory.
// It then releases the lock, waits for the event to be durable (WaitDurable), notifies
// subscribers and returns. So concurrent changes can share one sync (a journal with
// JournalOptions::Sync::kGroupCommit), and:
// - Acknowledgment: a call returns OK only once its event is durable.
// - Visibility: a change is visible to readers (ProbationStatusOf, ListQueue, ...)
//   and to later changes from the moment it is applied, which may be before it is
//   durable and before its call returns. A crash can lose such a change, but only
//   together with every change started after it (the store keeps its order), so a
//   change that depended on it is lost too; the lost calls were never acknowledged.
//   CheckPosting (so Gate::Submit, whose publish no crash can take back) decides on
//   durable changes only: when the group's or the member's last change (a join, a
//   flag, a lift, a policy) is still waiting for its sync, it waits for that sync.
// - With a store that has no two-phase append (the memory store, older custom
//   stores), the append is made durable under the lock, as before: correct, no shared
//   syncs. Under kEveryAppend each change syncs alone under the lock.
// CheckPosting() (and Gate::Submit for a member not on probation) never waits for a
// writer or for another member's disk write, only, at worst, behind a few-microsecond
// in-memory update of the same member shard, and for the sync of a change to that
// member or group still in flight (above).
//
// Failure: if starting the append fails, nothing changed, in memory or in the store;
// the call returns the store's error and, unless that is kInvalidArgument (a record
// over the store's size limit: only that change fails), the registry is failed as
// below (a journal whose write failed, say on a full disk, takes no more). If the
// event was applied but could not be made durable (WaitDurable failed: the journal is
// failed by then, and under kEveryAppend a failed sync after the write counts as
// such), memory holds a change the store may or may not have: the call returns the
// store's error, no subscriber hears of it, and the registry is failed: every later
// change (and Compact) returns kUnavailable naming that error, and so do Health() and
// CheckPosting() (so Gate::Submit: no post is decided on a state the store may lack).
// The other reads keep answering from memory, including that change, for a server
// to show while it recovers. A failed registry never
// recovers by itself (retrying is useless, even once the disk is back). To recover:
//   1. stop using it: destroy every Gate over it, then the registry (destroying it
//      closes its store);
//   2. open a new store over the same files (OpenJournal) and Registry::Open it,
//      which rebuilds from what is durable: the change that failed may or may not be
//      there, and nobody was told of it;
//   3. build new Gates over the new registry and subscribe again.
// Out of memory (std::bad_alloc) while applying a change the store has taken fails
// the registry the same way, the call included (kUnavailable, "it ran out of
// memory"): the change is made durable first, so the reopened registry has it.
// A server should check Health() when a call fails with a code it does not expect
// (the failing call itself returns the store's error, whatever its code), and answer
// "unavailable" (HTTP 503) while it recovers.
//
// Thread-safe: every method may be called from any number of threads at once.
//
// Errors: kInvalidArgument for bad ids or arguments, kNotFound for an unknown group
// (to a site administrator or the server's own calls; an actor who is neither gets
// kPermissionDenied, so nobody learns which groups exist) or post,
// kFailedPrecondition when the world forbids it (not a member, already exists) or
// when a subscriber tries to change it, kUnavailable when the registry is failed
// (above: reopen it),
// kPermissionDenied when the actor lacks the right (nothing changes),
// kResourceExhausted for a moderator over their flag rate, and the store's error if
// the event could not be stored or made durable (see Failure).
class Registry {
 public:
  // The shortest record limit (EventStore::MaxRecordBytes) of a store a registry
  // opens over. A held post's event carries its ids (kMaxIdBytes each), its reasons
  // (for the gate's, at most 16 flagging groups by name and 100 clues of 256 bytes:
  // under 48 KiB in all) and its text, which Hold cuts to fit the rest of the record:
  // with this much, every post the gate holds fits, with some of its text.
  static constexpr size_t kMinStoreRecordBytes = size_t{64} << 10;

  // Opens a registry over `store`, replaying its snapshot and records. `clock` (not
  // owned, must outlive the registry) may be null for RealClock(). Returns the
  // store's error, kDataLoss for an undecodable event, kInvalidArgument for bad
  // options or a store whose MaxRecordBytes() is under kMinStoreRecordBytes,
  // kResourceExhausted when it runs out of memory replaying them.
  // Opening writes nothing to the store (no event, no trim, no snapshot). Over a
  // read-only store (EventStore::ReadOnly(): OpenJournalReadOnly) the registry is a
  // view of the state that store read: every read works (ListQueue, AuditLog,
  // ProbationStatusOf, CheckPosting, ...), evaluated at the clock's now, and every
  // change, Hold, an ExpireProbations with something to record, and Compact return
  // kFailedPrecondition ("registry is read-only"), change nothing and leave the
  // registry healthy (Health() stays OK). Once a view, always: open again for newer
  // state.
  static absl::StatusOr<std::unique_ptr<Registry>> Open(std::unique_ptr<EventStore> store,
                                                        const Clock* clock,
                                                        const RegistryOptions& options);
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // --- The world. Called by the forum server itself, which has already decided the
  // caller may do this. Group and role changes are audited with actor "system";
  // joins and leaves are not (nor are the gate's holds): the audit log is of
  // decisions about people, and they are the bulk of a forum's traffic.
  // The audit log and the flags use "system" for the server and kForgottenMember for
  // an erased account: AddAdministrator and AddModerator refuse both, Join and
  // Forget the second (kInvalidArgument). A member may be called "system" (Forget
  // erases them; the server's entries keep their actor).
  absl::Status CreateGroup(absl::string_view group, const GroupPolicy& policy = {});
  absl::Status AddAdministrator(absl::string_view member);
  absl::Status RemoveAdministrator(absl::string_view member);
  absl::Status AddModerator(absl::string_view group, absl::string_view member);
  absl::Status RemoveModerator(absl::string_view group, absl::string_view member);
  // Joining twice or leaving a group one is not in is kFailedPrecondition. A
  // probation outlives memberships: leaving and rejoining does not clear it.
  absl::Status Join(absl::string_view member, absl::string_view group);
  absl::Status Leave(absl::string_view member, absl::string_view group);
  // Takes a held post out of its group's queue without a review: its author deleted
  // it, or their account is gone. Unlike Approve and Reject it gives no Feedback (no
  // training label) and nothing counts against the author; it is audited (action
  // "withdraw", actor "system", the author, the post and `reason`) and notified
  // (kPostWithdrawn). kNotFound for an unknown group or a post not held there (say,
  // a moderator reviewed it first), kInvalidArgument for a bad id.
  absl::Status Withdraw(absl::string_view group, absl::string_view post_id,
                        absl::string_view reason);

  // --- Moderator and administrator actions, authorized against `actor`.
  // Moderators of `group` or site administrators; one on probation in `group` may
  // not turn hold_on_probation off there (kPermissionDenied, as for their own case
  // below).
  absl::Status SetGroupPolicy(absl::string_view actor, absl::string_view group,
                              const GroupPolicy& policy);
  // Approves (publishes) or rejects a held post; returns it as labeled feedback.
  // Moderators of the post's group or site administrators, but not the post's author
  // (kPermissionDenied: nobody decides their own case, so a moderator's held post
  // waits for another moderator of the group or a site administrator).
  absl::StatusOr<Feedback> Approve(absl::string_view actor, absl::string_view group,
                                   absl::string_view post_id, absl::string_view reason);
  absl::StatusOr<Feedback> Reject(absl::string_view actor, absl::string_view group,
                                  absl::string_view post_id, absl::string_view reason);
  // Flags `member` as a spammer from `group`, which the member must belong to or
  // have left within options.flag_after_leaving (else kFailedPrecondition): on
  // probation for `duration` (zero: options.default_probation; capped at
  // options.max_probation), site-wide or in `group` only (see
  // options.sitewide_after_distinct_groups). Moderators of `group` (rate-limited) or
  // site administrators. `reason` must not be empty.
  absl::Status Flag(absl::string_view actor, absl::string_view member,
                    absl::string_view group, absl::string_view reason,
                    absl::Duration duration = absl::ZeroDuration());
  // Lifts a probation. With a `group`: the member is no longer held there for the
  // rest of the probation (its flags are withdrawn and the group is exempt until the
  // probation ends, however long later flags from other groups make it; a later flag
  // from `group` itself holds the member there again until that flag ends, then the
  // group is exempt again; a probation that starts after this one has ended is not
  // covered); moderators of `group` or site administrators, but a moderator may not
  // withdraw a flag a site administrator gave from the group (kPermissionDenied:
  // withdrawn, it could end the probation everywhere). With group "": everywhere at
  // once; site administrators only. Never the member themselves
  // (kPermissionDenied), moderator or administrator.
  absl::Status Lift(absl::string_view actor, absl::string_view member,
                    absl::string_view group, absl::string_view reason);
  // A group's queue, oldest first. Moderators of `group` or site administrators.
  // Keep the result in a variable before iterating: `for (auto& p :
  // *registry->ListQueue(...))` iterates a destroyed temporary (so with AuditLog).
  absl::StatusOr<std::vector<HeldPost>> ListQueue(absl::string_view actor,
                                                  absl::string_view group) const;
  // The audit log, oldest first (what the last Compact() kept of it, and every
  // entry since). Site administrators only.
  absl::StatusOr<std::vector<AuditEntry>> AuditLog(absl::string_view actor) const;
  // The members on probation now, sorted (each one's ProbationStatusOf says where
  // and until when). Site administrators only.
  absl::StatusOr<std::vector<MemberId>> MembersOnProbation(absl::string_view actor) const;
  // Every group, sorted (each one's ListQueue and GroupPolicyOf say more). Site
  // administrators only.
  absl::StatusOr<std::vector<GroupId>> ListGroups(absl::string_view actor) const;
  // A group's policy (the server's own call, as CheckPosting): kNotFound for an
  // unknown group.
  absl::StatusOr<GroupPolicy> GroupPolicyOf(absl::string_view group) const;

  // --- Fairness: what a member may ask, and appeals.
  // A member's own probation status (unknown members are simply not on probation).
  ProbationStatus ProbationStatusOf(absl::string_view member) const;
  // Files an appeal; kFailedPrecondition if not on probation or one is pending. An
  // appeal is about the probation it was filed against: it is closed when that one
  // ends (a lift, ExpireProbations), also when a flag after its end starts a new
  // probation before ExpireProbations recorded the end (the member may appeal the new
  // one).
  absl::Status FileAppeal(absl::string_view member, absl::string_view statement);
  // Pending appeals, oldest first. Site administrators only.
  absl::StatusOr<std::vector<Appeal>> ListAppeals(absl::string_view actor) const;
  // Grants (lifts the probation everywhere at once) or denies a pending appeal. A grant
  // after the probation has run out closes the appeal as moot (audited as a denial,
  // "moot: ..."): there is nothing left to lift. Site administrators only, and not
  // the member themselves (kPermissionDenied); an administrator's own appeal waits for
  // another administrator (or for the probation to run out).
  absl::Status DecideAppeal(absl::string_view actor, absl::string_view member, bool grant,
                            absl::string_view reason);

  // --- Erasure ("right to erasure": the forum deletes an account).
  // Erases what the registry holds about `member`: every post of theirs held in any
  // group (withdrawn: no Feedback, nothing against anyone; a kPostWithdrawn each),
  // their pending appeal and its statement, their memberships, departures, flags,
  // exemptions (so their probation), moderator and administrator roles, and the
  // record of the flags they gave (the rate limit). In the audit log and in the flags
  // they gave others their id becomes kForgottenMember; an entry about them (its
  // `member`) also loses its reason and post id, free text and forum ids that may
  // quote or identify them (a reject may quote the post, a flag the member); actor,
  // action, time and group stay, so the log still says who decided what, when and
  // where. The call itself is audited ("forget", actor `actor`, member
  // kForgottenMember) and notified (kMemberForgotten, after the withdrawals).
  // Afterwards they are unknown: a post from them is "not a member" (a Submit decided
  // before, on the membership they had, is decided as it was, as with Leave; no post
  // of theirs is held after the Forget), and a Join starts a new member.
  // Site administrators only (kPermissionDenied); an administrator may forget
  // themselves, but not while on probation (that would lift it: another
  // administrator decides; kPermissionDenied). OK, and nothing written, when the
  // registry holds nothing about `member`: erasure is a postcondition, so a retry or
  // a member who never joined a group succeeds (kUnavailable all the same on a failed
  // registry). Such an OK, too, comes only once the changes before it are durable: a
  // retry while the first call's erasure waits for its sync waits for that sync, and
  // fails with kUnavailable if it fails. Linear in the state (queues, audit log,
  // probations) under the writer lock: for account deletions, not a hot path.
  // The store: the Forget event names the member (an id, not a text: a replay must
  // know whom to erase) and the records before it keep their texts (held posts,
  // appeal statements, reasons) until a snapshot supersedes them. Compact() after
  // Forget writes a snapshot without them and deletes the segments and the older
  // snapshots it covers, so a journal's files (OpenJournal) then hold neither the
  // texts nor the id. A segment goes only once a snapshot covers all its records: a
  // change made while that Compact runs keeps the last segment until the next one.
  // Not covered: files a journal sets aside and never reads or deletes (*.torn-at-*,
  // and a salvage's *.cut-at-* and *.set-aside), backups, what subscribers and the
  // server copied (events, Feedback kept for training), and what a filesystem keeps
  // of deleted files (a deletion is an unlink, not an overwrite). A store holding a
  // MemberForgotten event cannot be opened by a library older than this call (an
  // event of unknown kind: kDataLoss).
  absl::Status Forget(absl::string_view actor, absl::string_view member);

  // --- Maintenance.
  // Records the expiry of every flag whose time has come (one event per member) and
  // notifies kProbationExpired when a member's last flag ran out, or
  // kProbationNarrowed when the remaining flags hold them in fewer groups than at
  // their last notice (see ModerationEvent: not for a narrowing they could already
  // see then, say at a later flag's kProbationStarted). Expired
  // flags stop holding posts at their `until` even before this runs; call it
  // periodically so subscribers hear about it. Returns how many members' probations
  // ended.
  absl::StatusOr<int> ExpireProbations();
  // Writes a snapshot of the whole state so the store can drop older records. The
  // state is copied under the writer lock (changes wait for that much); then, with
  // changes going on, it waits until every change in the copy is durable, serializes
  // it and writes it. One Compact runs at a time.
  // First drops audit entries older than options.audit_retention (an event in the
  // store, so a reopen agrees with memory whatever becomes of the snapshot).
  // kResourceExhausted, naming the snapshot's size, when the state is too big for one
  // snapshot (protobuf's limit, 2 GiB): nothing is written and the store keeps every
  // record (a shorter audit_retention, or reviewing held posts, makes it smaller).
  absl::Status Compact();
  // A canonical, sorted, human-readable dump of the whole state (for tests and
  // debugging): equal states give equal dumps.
  std::string CanonicalDump() const;

  // Subscribes to events; returns a handle for Unsubscribe. See EventSubscriber:
  // events arrive once durable, in sequence order across all writing threads.
  int Subscribe(EventSubscriber subscriber);
  // Once Unsubscribe returns, the subscriber is not running and is never called
  // again (it waits for a notification in flight), so what it captured may be
  // destroyed. A subscriber may unsubscribe itself or another from within its call.
  void Unsubscribe(int handle);

  // --- Used by the Gate.
  // What the gate needs to decide on a post by `member` in `group`, read without
  // waiting for writers' disk I/O. Fails with kNotFound (unknown group) or
  // kFailedPrecondition (not a member).
  struct PostingCheck {
    GroupPolicy policy;
    // Set when the member is on probation in this group at `now`.
    std::optional<HoldReason> probation;
  };
  absl::StatusOr<PostingCheck> CheckPosting(absl::string_view member,
                                            absl::string_view group) const;
  // Puts `post` in its group's queue with `reasons` (durably) and notifies
  // kPostHeld. A post whose event would be over the store's record limit
  // (EventStore::MaxRecordBytes, as read at Open; whatever the store, protobuf's
  // 2 GiB) is held all the same, with its text cut to fit, before a UTF-8
  // character (HeldPost::text_truncated, original_text_bytes): a post that could
  // not be held must not be published either, so the size of a post never decides
  // between hold and publish, nor changes a hold into an error. The returned
  // HeldPost is what the queue keeps. kAlreadyExists if that post id is already held
  // in the group, kFailedPrecondition if the member is not in the group (any more),
  // kInvalidArgument (nothing stored) if the event is over the limit even without
  // its text (reasons a caller made that long; never the gate's, see
  // kMinStoreRecordBytes).
  absl::StatusOr<HeldPost> Hold(const Submission& post, std::vector<HoldReason> reasons);

  const Clock& clock() const;

  // OK while the registry accepts changes; once it has failed (see Failure above),
  // the kUnavailable every change returns, naming the store's error. Never waits for
  // a writer.
  absl::Status Health() const;

  class Impl;

 private:
  // CheckPosting on the state as it is, and the sequence of the last change it
  // rests on (of the group and the member).
  absl::StatusOr<PostingCheck> CheckPostingNow(absl::string_view member,
                                               absl::string_view group,
                                               uint64_t* changed_at) const;
  explicit Registry(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace groupguard

#endif  // GROUPGUARD_REGISTRY_H_
