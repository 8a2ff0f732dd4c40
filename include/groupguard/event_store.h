#ifndef GROUPGUARD_EVENT_STORE_H_
#define GROUPGUARD_EVENT_STORE_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace groupguard {

// Where the moderation registry's events go: an ordered log of opaque records plus
// snapshots for compaction. Implementations are thread-safe. Every implementation
// passes the same conformance suite (tests/store/event_store_conformance.h).
class EventStore {
 public:
  virtual ~EventStore() = default;

  // Appends one record and returns its sequence number (1, 2, ...) once it is durable
  // under the store's sync policy. On error nothing was acknowledged; the record may
  // or may not survive a crash, but never partially.
  // Errors: kInvalidArgument for a record over the store's size limit (nothing
  // changes). A failed write or sync leaves the journal failed: that Append returns
  // the I/O error and every later Append or WriteSnapshot returns kFailedPrecondition
  // naming the file and the first error; Recover still works. Reopen to recover.
  virtual absl::StatusOr<uint64_t> Append(absl::string_view record) = 0;

  // Two-phase append, so that a caller can release its own locks before waiting and
  // let concurrent writers share one sync (group commit). StartAppend places `record`
  // after every record already started and returns its sequence number without
  // waiting for durability; WaitDurable(sequence) returns OK once that record and
  // every earlier one are durable under the store's sync policy (a sync that covers
  // sequence N covers everything before it). Append(r) is StartAppend(r) followed by
  // WaitDurable. Started records become durable in sequence order, so a crash may
  // lose a started, unacknowledged record only together with every later one.
  // StartAppend's errors are Append's and mean nothing was started. WaitDurable
  // returns the I/O error of the write or sync that failed to make the record durable
  // (the store is then failed, as after a failed Append; the record may or may not
  // survive a crash). A record that is started but never waited for may never be
  // written, unless a later record is waited for.
  // REQUIRES for WaitDurable: `sequence` came from StartAppend or Append on this store.
  //
  // Defaults, for stores written before these existed (and the memory store):
  // StartAppend is Append, so the record is durable when it returns, and WaitDurable
  // returns OK. Such a store is correct, it just shares no syncs.
  virtual absl::StatusOr<uint64_t> StartAppend(absl::string_view record) {
    return Append(record);
  }
  virtual absl::Status WaitDurable(uint64_t sequence) {
    (void)sequence;
    return absl::OkStatus();
  }

  // The longest record Append and StartAppend take (a longer one is kInvalidArgument),
  // constant for the store's life. A registry reads it when it opens, so that it can
  // cut the text of a held post whose record would be longer rather than have the
  // store refuse the hold (Registry::Hold). A store with a limit should say so here;
  // the default, for stores without one (the memory store) and stores written before
  // this existed, is "no limit": a registry over such a store with a limit gets the
  // store's kInvalidArgument for a held post over it.
  virtual size_t MaxRecordBytes() const { return std::numeric_limits<size_t>::max(); }

  // Whether the store refuses every Append, StartAppend and WriteSnapshot (with
  // kFailedPrecondition) because it only reads (OpenJournalReadOnly). A registry over
  // such a store refuses changes itself, without failing (Registry::Open). Constant
  // for the store's life; the default, for every store that writes, is false.
  virtual bool ReadOnly() const { return false; }

  // Replays the store: `on_snapshot` once with the newest snapshot and the sequence
  // number it covers (if there is one), then `on_record` for every later record, in
  // order. A callback's error stops the replay and is returned (its code kept; a
  // store may put where the record or snapshot came from before its message). Returns
  // kDataLoss for corruption that is not a torn tail (a torn tail is dropped when the
  // store opens). Records appended while Recover runs may or may not be delivered; what
  // is delivered is always a gap-free prefix of the history. The callbacks may call
  // Append but not Recover or WriteSnapshot on the same store (they would deadlock).
  virtual absl::Status Recover(
      const std::function<absl::Status(absl::string_view snapshot, uint64_t through)>&
          on_snapshot,
      const std::function<absl::Status(uint64_t sequence, absl::string_view record)>&
          on_record) = 0;

  // Saves `snapshot` as the state after every record up to and including `through`,
  // durably, and lets the store drop those records. `through` may be 0 (the state
  // before any record). Returns kInvalidArgument, changing nothing, if `through` is
  // beyond the last acknowledged record or older than the current snapshot's; an
  // equal `through` replaces the snapshot. Safe to call while other threads append.
  virtual absl::Status WriteSnapshot(absl::string_view snapshot, uint64_t through) = 0;
};

struct JournalSalvageReport;  // below

struct JournalOptions {
  enum class Sync : uint8_t {
    kEveryAppend = 0,  // fdatasync before each Append (and StartAppend) returns;
                       // a failed sync is WaitDurable's (and Append's) error
    kGroupCommit = 1,  // concurrent Appends (and WaitDurables) share one fdatasync;
                       // each still waits for it. StartAppend only queues the record
                       // in memory; the write and the sync happen in WaitDurable.
    kNone = 2,         // never sync (tests and replays only): survives a process crash,
                       // not a power loss
  };
  Sync sync = Sync::kEveryAppend;
  // Largest record accepted (the store's MaxRecordBytes()). 1 B..64 MiB; a registry
  // needs at least Registry::kMinStoreRecordBytes (64 KiB).
  size_t max_record_bytes = size_t{1} << 20;

  // What OpenJournal does with damage that is not a torn tail (kDataLoss below).
  enum class OnDamage : uint8_t {
    kRefuse = 0,   // return kDataLoss and change nothing: the operator decides
                   // (`groupguard journal check` / `salvage`, or a backup)
    kSalvage = 1,  // salvage it (SalvageJournal, under the same lock), then open: the
                   // journal comes up with the longest intact history, what was after
                   // the damage set aside in files it never reads
  };
  OnDamage on_damage = OnDamage::kRefuse;
  // With kSalvage, called with the salvage's report when opening salvaged the
  // journal, before it opens the journal again (so also if that fails; the library
  // does not log: a server logs or alerts here). Not called when nothing needed
  // salvaging.
  std::function<void(const JournalSalvageReport&)> on_salvage;
};

// Opens (creating if needed) an append-only journal of checksummed records and its
// snapshots in directory `dir`. Thread-safe.
//
// Guarantees:
// - Append returns once the record is written (kNone: survives the process being
//   killed) or written and fdatasync'ed (kEveryAppend, kGroupCommit: survives a power
//   loss). Sequence numbers are dense; a reopened journal continues them. Under
//   kEveryAppend and kNone StartAppend does the same and WaitDurable returns at once,
//   except after a sync that failed once the record was written: StartAppend then
//   returns its sequence (the record is in the file, where a reopen may find it) and
//   WaitDurable the sync's error, so only WaitDurable says a record is durable.
//   Under kGroupCommit StartAppend queues the record and whichever WaitDurable (or
//   Append) finds no write in progress writes and fdatasyncs everything queued.
//   WaitDurable for a record already durable never waits for a write in progress.
// - Torn tail: damage at the very end of the last segment (a partial record header, a
//   record running past the end of the file, a last record whose checksum fails,
//   trailing zero bytes) is what a crash mid-write leaves; it is truncated on open.
//   A crash leaves only unacknowledged appends there (or, under kNone, appends lost
//   with the page cache in a power loss); but a bit flip in the payload of the very
//   last record looks the same, so before truncating, the open copies the dropped
//   bytes (unless all zero) to a new file "<segment>.torn-at-<offset>" beside the
//   segment (".1", ".2", ... added if that name is taken), synced unless the policy
//   is kNone: nothing is destroyed, and such a file in the directory says the
//   journal's end was cut (the journal never reads those files; inspect or delete
//   them). With no room for the copy (kResourceExhausted: a full disk, a quota), the
//   open leaves the tail where it is and opens all the same, since reading needs no
//   room (a registry rebuilds its state and answers reads); the first write copies
//   the tail aside and cuts it before writing; with still no room it fails, and as
//   after any failed write the store refuses writes until it is reopened.
// - Anything else is kDataLoss naming the file and byte offset (a bad record followed
//   by more data, a damaged or truncated earlier segment, a missing segment, a damaged
//   newest snapshot), and nothing is modified: acknowledged data is never dropped to
//   "repair" a journal (SalvageJournal below is the operator's deliberate way past
//   it), unless options.on_damage is kSalvage: then the open salvages the journal
//   and opens what is left, still deleting nothing (the report goes to
//   options.on_salvage). A choice for a server that must come back up on its own
//   after a power loss (an unsynced group-commit batch whose later pages reached
//   the disk and earlier ones did not looks like damage) and would rather lose the
//   history after damage than wait for an operator: since damage and such a batch
//   cannot be told apart, it may drop acknowledged records too (set aside, not
//   destroyed). A file of a newer format version is kFailedPrecondition either way.
// - WriteSnapshot makes the snapshot durable (temporary file, fsync, rename, fsync of
//   the directory) before starting a new segment and deleting the segments and older
//   snapshots it supersedes; a crash at any point leaves a journal that recovers.
// - After a failed write or sync the store refuses writes (see Append); reopen.
// - One store per directory: a second OpenJournal of an open directory (from this
//   process or another) is kFailedPrecondition. OpenJournalReadOnly (below) reads
//   one that is open. Other errors: kInvalidArgument for
//   bad options or a `dir` that exists and is not a directory; the errno's status
//   for file-system failures.
absl::StatusOr<std::unique_ptr<EventStore>> OpenJournal(absl::string_view dir,
                                                        const JournalOptions& options);

// Opens the journal in `dir` to read only: a view of it for an operator's tools while
// the process that has it open (OpenJournal) goes on writing, or of a journal nobody
// has open. It takes no lock, and it never creates, writes, truncates, renames,
// copies or deletes anything in `dir`. Not an Options field of OpenJournal: none of
// JournalOptions applies (they are about writing), and the store it returns keeps
// a different contract:
// - A point-in-time view: the open reads the newest snapshot and the segments after
//   it through the end of the last whole record, and keeps those files open, so that
//   Recover (as often as it is called) delivers exactly that history, even after a
//   writer's snapshot has deleted the files. Records appended later are not in it;
//   open again to see them. The history holds every record the writer had
//   acknowledged when the open read the files, and may hold later ones whose sync was
//   still in progress (written, not yet acknowledged: a power loss could still take
//   them back, never a process crash).
// - A torn tail at the end of the last segment (a record being written right now, or
//   what a crash left) is where the history ends: not damage, and left where it is
//   (no "torn-at" copy, no truncation).
// - A live writer: a file it deletes (a snapshot dropping segments) between the
//   open's listing of the directory and its opening of the file, or a listing that
//   raced with such a change, makes the open list the directory again and retry, a
//   bounded number of times (20, with pauses of up to 50 ms: under a second in
//   all) while the directory keeps changing; then kUnavailable ("try again").
//   Damage found while no file was added, deleted or changed in size (but for the
//   last segment growing: a writer appending after what was read) is kDataLoss
//   naming the file and byte offset, as for OpenJournal (`groupguard journal check`
//   says more, with the journal closed); a newer format is kFailedPrecondition.
// - Append, StartAppend and WriteSnapshot return kFailedPrecondition and change
//   nothing; ReadOnly() is true; WaitDurable is OK for a record of the history;
//   MaxRecordBytes() is the largest record any journal holds (64 MiB), so
//   Registry::Open takes it whatever the writer's max_record_bytes.
// Other errors: kNotFound if `dir` does not exist or holds no journal (no segment or
// snapshot: a writer creating it has not got that far), kInvalidArgument if it is not
// a directory, the errno's status for other file-system failures. Thread-safe; the
// open files are closed when the store is destroyed (until then a segment a writer
// deleted keeps its disk space). It holds one descriptor for the snapshot and one
// for every segment after it, all at once (a registry's journal has one or two;
// OpenJournal reads them one at a time): a journal whose snapshots lag so far behind
// that it has more segments than the process may open is kResourceExhausted, naming
// the segment.
absl::StatusOr<std::unique_ptr<EventStore>> OpenJournalReadOnly(absl::string_view dir);

// Salvaging a journal that OpenJournal refuses with kDataLoss (or whose records a
// registry cannot apply): a deliberate step for an operator, never taken by
// OpenJournal. It keeps the longest intact beginning of the history, which every
// later record builds on, and sets everything after it aside:
// - The newest snapshot that checks out is kept; damaged newer ones are renamed
//   "<name>.set-aside" (the history then restarts from the older snapshot, if the
//   segments after it are still there).
// - The segments are read in order up to the first damage: a damaged header or
//   record, a segment that does not continue the previous one, or the record
//   `drop_from` (a torn tail of the last segment is not damage: OpenJournal cuts it
//   as above). That segment is cut there, its bytes from that offset copied first
//   to "<segment>.cut-at-<offset>" (unless all zero, as for a torn tail); a segment with
//   a damaged header, and every later segment, is renamed "<segment>.set-aside" (".1",
//   ".2", ... if the name is taken). Nothing is deleted: the files set aside can be
//   examined, and the journal never reads them.
// - Damage in the segment that holds the snapshot's next record (through + 1), before
//   that record, hides nothing the history needs: the records there are ones the
//   snapshot includes (one segment can hold records on both sides of a snapshot), or
//   it is the segment's header. The salvage finds record through + 1 past it by its
//   checksums (they are seeded with its sequence number), copies it and the intact
//   records after it into a new segment named for it, and sets the damaged segment
//   aside whole; the history goes on from there as above. Only if the damage hides
//   that record too does the history end at the snapshot.
// - Where no kept segment ends the history any more, an empty one continues it.
struct JournalSalvageOptions {
  // If nonzero, the history also ends before this record (say, the one
  // Registry::Open names as undecodable). A record a kept snapshot already includes
  // cannot be dropped (kFailedPrecondition).
  uint64_t drop_from = 0;
  // Report what would be done, and change nothing.
  bool dry_run = false;
  // Sync what is written, as JournalOptions::sync does (false: as kNone).
  bool sync = true;
};

struct JournalSalvageReport {
  // Whether anything was (with dry_run: would be) cut or set aside.
  bool changed = false;
  // The first damage found that the history could not go on past (a damaged snapshot
  // set aside, or where the history ends), naming the file and the byte offset;
  // empty if none.
  std::string damage;
  // Damage the history went on past (see above), naming the file and the byte
  // offset; empty if none.
  std::string stepped_over;
  // The history ends with record `kept_through` (0: nothing); `snapshot_through` of
  // it come from the snapshot kept (0: none).
  uint64_t kept_through = 0;
  uint64_t snapshot_through = 0;
  // The highest sequence number the journal's files hold or name (intact records,
  // snapshot and segment file names), kept or not: records kept_through + 1 up to
  // at least this one are no longer in the history.
  uint64_t last_seen = 0;
  // Whether the history ends at damage inside a segment whose bytes after it (not
  // all zeros) are set aside: the damaged record and any after it are lost too, how
  // many unknown when no later file counts them (last_seen <= kept_through).
  bool lost_past_damage = false;
  // The last segment's torn tail, when the history runs to it: bytes after its last
  // whole record that hold no intact record (an append cut short, by a crash most
  // likely; or a damaged last record, which looks the same), naming the file and the
  // byte offset; empty if none. Not damage: OpenJournal cuts it, keeping its bytes
  // (unless all zeros) in "<segment>.torn-at-<offset>", and kept_through is the record
  // before it.
  std::string torn_tail;
  // Files written or renamed aside (with dry_run: that would be, under the same
  // names), and bytes in them.
  std::vector<std::string> set_aside;
  uint64_t bytes_set_aside = 0;
};

// Salvages the journal in `dir` (see above). It takes the directory's lock, so the
// journal must not be open (kFailedPrecondition), even for a dry run. kNotFound if
// `dir` does not exist or holds no journal, kInvalidArgument if it is not a
// directory; errors of the file system as their errno's status. On success,
// OpenJournal(dir) opens it.
absl::StatusOr<JournalSalvageReport> SalvageJournal(absl::string_view dir,
                                                    const JournalSalvageOptions& options);

// A store that keeps everything in memory (tests, replays).
std::unique_ptr<EventStore> NewMemoryEventStore();

}  // namespace groupguard

#endif  // GROUPGUARD_EVENT_STORE_H_
