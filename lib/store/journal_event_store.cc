// OpenJournal(): the durable EventStore, an append-only journal of checksummed records
// in segment files plus snapshot files (format in journal_format.h).
//
// Durability: Append returns once the record's bytes are written (kNone) or written
// and fdatasync'ed (kEveryAppend, kGroupCommit). Segment and snapshot files appear
// whole or not at all (temporary file, fsync, rename, fsync of the directory).
//
// Failure: once a write or sync of the journal fails, the store is failed for good.
// After a failed fdatasync Linux may already have dropped the dirty pages, so
// retrying could acknowledge records that are not on disk; the only safe way on is
// to reopen, which rereads the file and truncates a torn tail.

#include "store/journal_event_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "groupguard/event_store.h"
#include "store/journal_files.h"
#include "store/journal_format.h"
#include "store/journal_salvage.h"
#include "store/journal_testing.h"
#include "store/segment_reader.h"
#include "util/file_util.h"
#include "util/status_macros.h"

namespace groupguard {
namespace internal {

std::atomic<bool>& JournalFailSyncsForTesting() {
  static std::atomic<bool> fail{false};
  return fail;
}

}  // namespace internal

namespace {

using internal::ScopedFd;

using Segment = internal::SegmentFile;
using SnapshotRef = internal::SnapshotFile;

// Where the bytes of a torn tail that started at `offset` of `segment` are kept:
// "journal-<first>.log.torn-at-<offset>" beside it, or that name + ".1", ".2", ...
// if it is taken (never read by the journal).
std::string TornTailPath(const std::string& segment, uint64_t offset) {
  return absl::StrCat(segment, ".torn-at-", offset);
}

class JournalEventStore final : public EventStore {
 public:
  JournalEventStore(std::string dir, const JournalOptions& options, ScopedFd lock_fd)
      : dir_(std::move(dir)), options_(options), lock_fd_(std::move(lock_fd)) {}

  ~JournalEventStore() override {
    // REQUIRES (documented on EventStore): no call in flight. Wait for a leader anyway.
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !writer_busy_; });
  }

  // Reads the directory, checks everything, truncates a torn tail of the last segment
  // and opens it for appending.
  absl::Status Init();
  // Copies the bytes of `segment` from `offset` on (a torn tail about to be
  // truncated) to a new file named after TornTailPath(segment, offset), durably
  // (unless the store never syncs), unless they are all zero.
  absl::Status KeepTornTail(const std::string& segment, uint64_t offset);
  // KeepTornTail, then truncates `segment` at `offset`, durably.
  absl::Status CutTornTail(const std::string& segment, uint64_t offset);

  absl::StatusOr<uint64_t> Append(absl::string_view record) override;
  absl::StatusOr<uint64_t> StartAppend(absl::string_view record) override;
  absl::Status WaitDurable(uint64_t sequence) override;
  absl::Status Recover(
      const std::function<absl::Status(absl::string_view, uint64_t)>& on_snapshot,
      const std::function<absl::Status(uint64_t, absl::string_view)>& on_record) override;
  absl::Status WriteSnapshot(absl::string_view snapshot, uint64_t through) override;
  size_t MaxRecordBytes() const override { return options_.max_record_bytes; }

 private:
  bool syncs() const { return options_.sync != JournalOptions::Sync::kNone; }
  std::string PathOf(const std::string& name) const {
    return absl::StrCat(dir_, "/", name);
  }
  // A reference, not a copy (which could run out of memory on the write path): the
  // writer that set writer_busy_ may use it without mu_, as fd_, since segments_
  // changes only under mu_ when no writer is busy.
  const std::string& CurrentPathLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return segments_.back().path;
  }
  absl::Status FailedLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<uint64_t> AppendDirectLocked(absl::string_view record)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // fdatasync of the segment `fd` after an append (or a group's batch).
  static absl::Status SyncAppended(int fd, const std::string& path);
  absl::Status CheckSize(absl::string_view record) const;

 public:
  uint64_t append_syncs() {
    std::lock_guard<std::mutex> lock(mu_);
    return append_syncs_;
  }

 private:
  // Starts a new segment at the next sequence (if the current one holds records) and
  // deletes segments and snapshots that the snapshot through `through` supersedes.
  absl::Status RollAndCleanUp(uint64_t through);
  absl::Status CreateSegment(uint64_t first_sequence, ScopedFd* fd);

  const std::string dir_;
  const JournalOptions options_;
  const ScopedFd lock_fd_;  // holds flock(LOCK_EX) on dir/LOCK

  // Serializes Recover and WriteSnapshot (so no segment is deleted under a replay).
  std::mutex maintenance_mu_;

  std::mutex mu_;
  std::condition_variable cv_;
  // The fd of the last segment. Written only by the thread that set writer_busy_, or
  // under mu_ when no writer is busy.
  ScopedFd fd_;
  // A group-commit leader or a segment roll is using fd_ outside mu_.
  bool writer_busy_ ABSL_GUARDED_BY(mu_) = false;
  // Runs the work a writer does outside mu_ with writer_busy_ set. Running out of
  // memory there is its error, not an exception: one would leave writer_busy_ set,
  // and every later write and the destructor would wait for it forever.
  template <typename Work>
  absl::Status BusyWork(Work work) {
    try {
      return work();
    } catch (const std::bad_alloc&) {
      return out_of_memory_;  // a copy shares its message: no allocation
    }
  }
  const absl::Status out_of_memory_ = absl::ResourceExhaustedError(
      "journal: out of memory writing the journal (its records so far are whole)");
  absl::Status failed_ ABSL_GUARDED_BY(mu_);            // sticky first write/sync error
  // Ascending; back() is current. Changed only under mu_ with no writer busy.
  std::vector<Segment> segments_ ABSL_GUARDED_BY(mu_);
  std::optional<SnapshotRef> snapshot_ ABSL_GUARDED_BY(mu_);
  uint64_t next_sequence_ ABSL_GUARDED_BY(mu_) = 1;     // to be assigned
  uint64_t durable_sequence_ ABSL_GUARDED_BY(mu_) = 0;  // acknowledged
  // durable_sequence_, also readable without mu_: WaitDurable for a record already
  // durable returns without queueing behind a writer that holds mu_ through its
  // write and sync (kEveryAppend).
  std::atomic<uint64_t> durable_sequence_seen_{0};
  uint64_t durable_offset_ ABSL_GUARDED_BY(mu_) = 0;  // end of it in the current segment
  // A torn tail Init found no room to copy aside (kResourceExhausted): it is still in
  // the current segment from durable_offset_ on, and no record is written after it
  // before it is copied aside and cut (CutTornTail) by the first write.
  bool torn_tail_left_ ABSL_GUARDED_BY(mu_) = false;
  std::string pending_ ABSL_GUARDED_BY(mu_);  // framed records waiting for a leader
  uint64_t pending_last_ ABSL_GUARDED_BY(mu_) = 0;
  std::string spare_ ABSL_GUARDED_BY(mu_);          // a batch buffer kept for reuse
  uint64_t append_syncs_ ABSL_GUARDED_BY(mu_) = 0;  // fdatasyncs for appends (tests)
};

absl::Status JournalEventStore::FailedLocked() const {
  return absl::FailedPreconditionError(
      absl::StrCat("journal ", dir_, " accepts no more writes after an earlier failure (",
                   failed_.message(), "); reopen it to recover"));
}

absl::Status JournalEventStore::CreateSegment(uint64_t first_sequence, ScopedFd* fd) {
  const std::string name = internal::SegmentFileName(first_sequence);
  absl::Status status = internal::WriteFileAtomically(
      dir_, name, internal::EncodeSegmentHeader(first_sequence), "", syncs());
  if (status.ok()) {
    absl::StatusOr<ScopedFd> opened =
        internal::OpenFile(PathOf(name), O_WRONLY | O_APPEND);
    if (opened.ok()) {
      *fd = *std::move(opened);
      return absl::OkStatus();
    }
    status = opened.status();
  }
  // The file may exist even though creating it failed (say, the directory sync did).
  // Appends go on in the previous segment, so a leftover empty segment starting at
  // `first_sequence` would later contradict it: remove it, or stop writing at all.
  if (::unlink(PathOf(name).c_str()) != 0 && errno != ENOENT) {
    std::lock_guard<std::mutex> lock(mu_);
    if (failed_.ok()) failed_ = status;
  }
  return status;
}

absl::Status JournalEventStore::KeepTornTail(const std::string& segment,
                                             uint64_t offset) {
  // Never over an earlier copy: a crash right after a damaged record was cut away
  // leaves a new tail at the same offset (CopyTailAside takes the next free name).
  return internal::CopyTailAside(dir_, segment, offset, TornTailPath(segment, offset),
                                 syncs())
      .status();
}

absl::Status JournalEventStore::CutTornTail(const std::string& segment, uint64_t offset) {
  GG_RETURN_IF_ERROR(KeepTornTail(segment, offset));
  GG_ASSIGN_OR_RETURN(ScopedFd fd, internal::OpenFile(segment, O_WRONLY));
  if (::ftruncate(fd.get(), static_cast<off_t>(offset)) != 0) {
    return internal::ErrnoStatus("ftruncate", segment, errno);
  }
  return internal::SyncFd(fd.get(), segment, false);
}

absl::Status JournalEventStore::Init() {
  GG_ASSIGN_OR_RETURN(internal::JournalListing listing,
                      internal::ListJournal(dir_, /*remove_temporaries=*/true));
  std::vector<Segment>& segments = listing.segments;
  std::vector<SnapshotRef>& snapshots = listing.snapshots;

  uint64_t through = 0;
  if (!snapshots.empty()) {
    // Only the newest snapshot counts; if it is damaged that is data loss (an older
    // one would silently roll the state back).
    const SnapshotRef& newest = snapshots.back();
    GG_ASSIGN_OR_RETURN(std::string contents, internal::ReadWholeFile(newest.path));
    GG_RETURN_IF_ERROR(
        internal::DecodeSnapshot(contents, newest.through, newest.path).status());
    through = newest.through;
  }

  bool changed = false;
  if (segments.empty()) {
    if (!snapshots.empty()) {
      return absl::DataLossError(absl::StrCat(dir_, ": ", snapshots.back().path,
                                              " exists but no journal segment does"));
    }
    ScopedFd fd;
    GG_RETURN_IF_ERROR(CreateSegment(1, &fd));
    std::lock_guard<std::mutex> lock(mu_);
    fd_ = std::move(fd);
    segments_.push_back({1, PathOf(internal::SegmentFileName(1))});
    durable_offset_ = internal::kSegmentHeaderBytes;
    return absl::OkStatus();
  }

  // Segments wholly covered by the snapshot (a crash came before their deletion).
  size_t keep_from = 0;
  while (keep_from + 1 < segments.size() &&
         segments[keep_from + 1].first_sequence <= through + 1) {
    ++keep_from;
  }
  if (segments[keep_from].first_sequence > through + 1) {
    return absl::DataLossError(
        absl::StrCat(segments[keep_from].path, ": offset 0: journal starts at record ",
                     segments[keep_from].first_sequence, " but the records from ",
                     through + 1, " on are missing (",
                     snapshots.empty() ? "no snapshot" : snapshots.back().path, ")"));
  }

  uint64_t last_sequence = 0;
  uint64_t tail_end = 0;
  bool torn_tail = false;  // the last segment's, cut at tail_end once all checks pass
  bool torn_tail_left = false;
  for (size_t i = keep_from; i < segments.size(); ++i) {
    internal::SegmentScanOptions scan_options;
    const bool is_last = i + 1 == segments.size();
    scan_options.allow_torn_tail = is_last;
    scan_options.deliver_through = 0;  // check only
    GG_ASSIGN_OR_RETURN(internal::SegmentScan scan,
                        internal::ScanSegment(segments[i].path, scan_options,
                                              [](uint64_t, absl::string_view) {
                                                return absl::OkStatus();
                                              }));
    if (scan.first_sequence != segments[i].first_sequence) {
      return absl::DataLossError(absl::StrCat(
          segments[i].path, ": offset 16: header says first record ", scan.first_sequence,
          " but the file name says ", segments[i].first_sequence));
    }
    last_sequence = scan.first_sequence + scan.records - 1;
    if (!is_last && last_sequence + 1 != segments[i + 1].first_sequence) {
      return absl::DataLossError(absl::StrCat(
          segments[i].path, ": offset ", scan.valid_end, ": segment ends after record ",
          last_sequence, " but the next segment ", segments[i + 1].path,
          " starts at record ", segments[i + 1].first_sequence));
    }
    torn_tail = is_last && scan.torn_tail;
    tail_end = scan.valid_end;
  }
  if (last_sequence < through) {
    return absl::DataLossError(absl::StrCat(segments.back().path, ": offset ", tail_end,
                                            ": journal ends at record ", last_sequence,
                                            " but the snapshot covers through ", through,
                                            "; records are missing"));
  }
  // Every check passed (a journal refused with kDataLoss is left as it was found,
  // for `journal check` and a salvage to see).
  if (torn_tail) {
    // The process died mid-write: drop the partial record. A crash leaves only
    // unacknowledged appends there, but a damaged last record looks the same, so
    // the bytes are kept aside first rather than destroyed. With no room for the
    // copy (a full disk), the journal opens all the same: reading needs no room,
    // and the first write copies and cuts the tail (or fails for want of room).
    absl::Status cut = CutTornTail(segments.back().path, tail_end);
    if (absl::IsResourceExhausted(cut)) {
      torn_tail_left = true;
    } else {
      GG_RETURN_IF_ERROR(cut);
    }
  }

  // Cleanup of what a crash left behind; a failure here loses nothing.
  for (size_t i = 0; i < keep_from; ++i) {
    ::unlink(segments[i].path.c_str());
    changed = true;
  }
  for (size_t i = 0; i + 1 < snapshots.size(); ++i) {
    ::unlink(snapshots[i].path.c_str());
    changed = true;
  }
  if (changed && syncs()) GG_RETURN_IF_ERROR(internal::SyncDirectory(dir_));

  GG_ASSIGN_OR_RETURN(ScopedFd fd,
                      internal::OpenFile(segments.back().path, O_WRONLY | O_APPEND));
  // The records read above may be only in the page cache (the process that wrote
  // them died before its sync), and Linux reports a failed write-back that no one has
  // seen yet to the next fsync: sync before acknowledging anything after them. (An
  // error the writer already saw is not reported again; the registry treats that
  // writer's failed sync as fatal.)
  if (syncs()) GG_RETURN_IF_ERROR(internal::SyncFd(fd.get(), segments.back().path, true));
  std::lock_guard<std::mutex> lock(mu_);
  fd_ = std::move(fd);
  segments_.assign(segments.begin() + keep_from, segments.end());
  if (!snapshots.empty()) snapshot_ = snapshots.back();
  next_sequence_ = last_sequence + 1;
  durable_sequence_ = last_sequence;
  durable_sequence_seen_.store(last_sequence, std::memory_order_release);
  durable_offset_ = tail_end;
  torn_tail_left_ = torn_tail_left;
  return absl::OkStatus();
}

absl::Status JournalEventStore::CheckSize(absl::string_view record) const {
  if (record.size() > options_.max_record_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("journal ", dir_, ": record of ", record.size(),
                     " bytes exceeds max_record_bytes ", options_.max_record_bytes));
  }
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> JournalEventStore::Append(absl::string_view record) {
  GG_ASSIGN_OR_RETURN(uint64_t sequence, StartAppend(record));
  GG_RETURN_IF_ERROR(WaitDurable(sequence));
  return sequence;
}

absl::StatusOr<uint64_t> JournalEventStore::StartAppend(absl::string_view record) {
  GG_RETURN_IF_ERROR(CheckSize(record));
  std::unique_lock<std::mutex> lock(mu_);
  if (options_.sync == JournalOptions::Sync::kGroupCommit) {
    // Queued in order; the next leader (see WaitDurable) writes it.
    if (!failed_.ok()) return FailedLocked();
    // The room first: out of memory (std::bad_alloc) then leaves no sequence taken
    // and no part of a frame in the queue.
    pending_.reserve(pending_.size() + internal::kFrameHeaderBytes + record.size());
    const uint64_t sequence = next_sequence_++;
    internal::AppendFrame(sequence, record, &pending_);
    pending_last_ = sequence;
    return sequence;
  }
  cv_.wait(lock, [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !writer_busy_; });
  return AppendDirectLocked(record);
}

// A failed write leaves at most a torn frame, which reopening drops: nothing was
// started, as StartAppend's contract says. A failed sync after a whole write leaves
// the record in the file, where a reopen may find it: the record was started, so
// StartAppend returns its sequence and WaitDurable (so Append) the sync's error, as
// under group commit; a registry then knows its change may or may not be stored.
absl::StatusOr<uint64_t> JournalEventStore::AppendDirectLocked(absl::string_view record) {
  if (!failed_.ok()) return FailedLocked();
  if (torn_tail_left_) {
    absl::Status cut = CutTornTail(CurrentPathLocked(), durable_offset_);
    if (!cut.ok()) {
      failed_ = cut;
      return cut;
    }
    torn_tail_left_ = false;
  }
  const uint64_t sequence = next_sequence_;
  std::string& frame = spare_;
  frame.clear();
  internal::AppendFrame(sequence, record, &frame);
  const std::string& path = CurrentPathLocked();
  absl::Status status = internal::WriteAll(fd_.get(), frame, path);
  if (!status.ok()) {
    failed_ = status;
    return status;
  }
  ++next_sequence_;
  if (options_.sync == JournalOptions::Sync::kEveryAppend) {
    status = SyncAppended(fd_.get(), path);
    ++append_syncs_;
    if (!status.ok()) {
      failed_ = status;  // WaitDurable(sequence) returns it
      return sequence;
    }
  }
  durable_sequence_ = sequence;
  durable_sequence_seen_.store(sequence, std::memory_order_release);
  durable_offset_ += frame.size();
  return sequence;
}

absl::Status JournalEventStore::SyncAppended(int fd, const std::string& path) {
  if (internal::JournalFailSyncsForTesting().load()) {
    return internal::ErrnoStatus("fdatasync", path, EIO);
  }
  return internal::SyncFd(fd, path, /*data_only=*/true);
}

// Leader/follower group commit: StartAppend frames each record into pending_ under
// the lock. A waiter that finds no write in progress becomes the leader, takes the
// whole pending batch (its own record and whatever was started since), writes and
// fdatasyncs it outside the lock, then publishes the new durable sequence. The others
// wait until their own sequence is durable (or lead the next batch). Under the other
// policies StartAppend already wrote (and synced) the record: nothing is pending.
absl::Status JournalEventStore::WaitDurable(uint64_t sequence) {
  if (sequence <= durable_sequence_seen_.load(std::memory_order_acquire)) {
    return absl::OkStatus();
  }
  std::unique_lock<std::mutex> lock(mu_);
  if (sequence >= next_sequence_) {
    return absl::InvalidArgumentError(absl::StrCat(
        "journal ", dir_, ": WaitDurable(", sequence, ") for a record never started"));
  }
  while (true) {
    if (durable_sequence_ >= sequence) return absl::OkStatus();
    if (!failed_.ok()) return failed_;  // this record's batch (or an earlier one) failed
    if (!writer_busy_) {
      const std::string& path = CurrentPathLocked();
      writer_busy_ = true;
      std::string batch;
      batch.swap(spare_);
      batch.swap(pending_);  // pending_ becomes the (empty) spare buffer
      const uint64_t batch_last = pending_last_;
      const int fd = fd_.get();
      const bool cut_first = torn_tail_left_;
      const uint64_t cut_at = durable_offset_;
      lock.unlock();
      bool cut = false;
      absl::Status status = BusyWork([&] {
        absl::Status done = cut_first ? CutTornTail(path, cut_at) : absl::OkStatus();
        cut = cut_first && done.ok();
        if (done.ok()) done = internal::WriteAll(fd, batch, path);
        if (done.ok()) done = SyncAppended(fd, path);
        return done;
      });
      lock.lock();
      writer_busy_ = false;
      if (cut) torn_tail_left_ = false;
      ++append_syncs_;
      if (status.ok()) {
        durable_sequence_ = batch_last;
        durable_sequence_seen_.store(batch_last, std::memory_order_release);
        durable_offset_ += batch.size();
      } else if (failed_.ok()) {
        failed_ = status;
      }
      batch.clear();
      if (batch.capacity() > spare_.capacity()) spare_.swap(batch);
      cv_.notify_all();
      continue;
    }
    cv_.wait(lock);
  }
}

absl::Status JournalEventStore::Recover(
    const std::function<absl::Status(absl::string_view, uint64_t)>& on_snapshot,
    const std::function<absl::Status(uint64_t, absl::string_view)>& on_record) {
  std::lock_guard<std::mutex> maintenance(maintenance_mu_);
  std::vector<Segment> segments;
  std::optional<SnapshotRef> snapshot;
  uint64_t durable_sequence;
  uint64_t durable_offset;
  {
    std::lock_guard<std::mutex> lock(mu_);
    segments = segments_;
    snapshot = snapshot_;
    durable_sequence = durable_sequence_;
    durable_offset = durable_offset_;
  }
  uint64_t through = 0;
  if (snapshot.has_value()) {
    GG_ASSIGN_OR_RETURN(std::string contents, internal::ReadWholeFile(snapshot->path));
    GG_ASSIGN_OR_RETURN(
        absl::string_view payload,
        internal::DecodeSnapshot(contents, snapshot->through, snapshot->path));
    through = snapshot->through;
    if (absl::Status s = on_snapshot(payload, through); !s.ok()) {
      return absl::Status(s.code(), absl::StrCat(snapshot->path, ": ", s.message()));
    }
  }
  uint64_t expected = segments.empty() ? 1 : segments.front().first_sequence;
  for (size_t i = 0; i < segments.size(); ++i) {
    const bool is_last = i + 1 == segments.size();
    if (!is_last && segments[i + 1].first_sequence <= through + 1) {
      expected = segments[i + 1].first_sequence;
      continue;  // wholly covered by the snapshot
    }
    internal::SegmentScanOptions scan_options;
    if (is_last) scan_options.limit = durable_offset;
    scan_options.deliver_after = through;
    scan_options.deliver_through = durable_sequence;
    GG_ASSIGN_OR_RETURN(internal::SegmentScan scan,
                        internal::ScanSegment(segments[i].path, scan_options, on_record));
    if (scan.first_sequence != expected) {
      return absl::DataLossError(
          absl::StrCat(segments[i].path, ": offset 16: segment starts at record ",
                       scan.first_sequence, ", expected ", expected));
    }
    expected = scan.first_sequence + scan.records;
    if (is_last && scan.valid_end != durable_offset) {
      return absl::DataLossError(absl::StrCat(
          segments[i].path, ": offset ", scan.valid_end, ": segment is shorter than the ",
          durable_offset, " bytes acknowledged"));
    }
  }
  if (expected != durable_sequence + 1) {
    return absl::DataLossError(absl::StrCat("journal ", dir_, ": replay ended at record ",
                                            expected - 1, " but ", durable_sequence,
                                            " were acknowledged"));
  }
  return absl::OkStatus();
}

absl::Status JournalEventStore::WriteSnapshot(absl::string_view snapshot,
                                              uint64_t through) {
  std::lock_guard<std::mutex> maintenance(maintenance_mu_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!failed_.ok()) return FailedLocked();
    if (through > durable_sequence_) {
      return absl::InvalidArgumentError(
          absl::StrCat("journal ", dir_, ": snapshot through record ", through,
                       " but the last acknowledged record is ", durable_sequence_));
    }
    if (snapshot_.has_value() && through < snapshot_->through) {
      return absl::InvalidArgumentError(absl::StrCat(
          "journal ", dir_, ": snapshot through record ", through,
          " is older than the current snapshot (through ", snapshot_->through, ")"));
    }
  }
  const std::string name = internal::SnapshotFileName(through);
  GG_RETURN_IF_ERROR(internal::WriteFileAtomically(
      dir_, name, internal::EncodeSnapshotHeader(snapshot, through), snapshot, syncs()));
  {
    std::lock_guard<std::mutex> lock(mu_);
    snapshot_ = SnapshotRef{through, PathOf(name)};
  }
  return RollAndCleanUp(through);
}

absl::Status JournalEventStore::RollAndCleanUp(uint64_t through) {
  std::vector<std::string> obsolete;
  {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !writer_busy_; });
    if (!failed_.ok()) return FailedLocked();
    if (durable_offset_ > internal::kSegmentHeaderBytes) {
      // No leader is in flight, so everything up to durable_sequence_ is in the file
      // and pending_ holds only later records: the new segment starts right after.
      const uint64_t first = durable_sequence_ + 1;
      // A torn tail left by Init is cut first: only the last segment may end in one.
      const bool cut_first = torn_tail_left_;
      const uint64_t cut_at = durable_offset_;
      const std::string current = CurrentPathLocked();
      // What the roll adds, allocated before it: nothing after the new segment is
      // made may run out of memory.
      std::string added = PathOf(internal::SegmentFileName(first));
      segments_.reserve(segments_.size() + 1);
      writer_busy_ = true;
      lock.unlock();
      ScopedFd fd;
      bool cut = false;
      absl::Status status = BusyWork([&] {
        absl::Status done = cut_first ? CutTornTail(current, cut_at) : absl::OkStatus();
        cut = cut_first && done.ok();
        if (done.ok()) done = CreateSegment(first, &fd);
        return done;
      });
      lock.lock();
      writer_busy_ = false;
      if (cut) torn_tail_left_ = false;
      cv_.notify_all();
      if (!status.ok()) return status;  // the old segment stays current
      fd_ = std::move(fd);
      segments_.push_back({first, std::move(added)});
      durable_offset_ = internal::kSegmentHeaderBytes;
    }
    while (segments_.size() > 1 && segments_[1].first_sequence <= through + 1) {
      obsolete.push_back(segments_.front().path);
      segments_.erase(segments_.begin());
    }
  }
  // Older snapshots: every snapshot file other than the current one.
  std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(dir_.c_str()), &::closedir);
  if (d != nullptr) {
    while (struct dirent* entry = ::readdir(d.get())) {
      auto other = internal::ParseSnapshotFileName(entry->d_name);
      if (other.has_value() && *other < through)
        obsolete.push_back(PathOf(entry->d_name));
    }
  }
  for (const std::string& path : obsolete) {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      return internal::ErrnoStatus("unlink", path, errno);
    }
  }
  if (!obsolete.empty() && syncs()) GG_RETURN_IF_ERROR(internal::SyncDirectory(dir_));
  return absl::OkStatus();
}

}  // namespace

namespace internal {

std::optional<uint64_t> JournalAppendSyncs(EventStore& store) {
  auto* journal = dynamic_cast<JournalEventStore*>(&store);
  if (journal == nullptr) return std::nullopt;
  return journal->append_syncs();
}

}  // namespace internal

absl::StatusOr<std::unique_ptr<EventStore>> OpenJournal(absl::string_view dir,
                                                        const JournalOptions& options) {
  if (options.max_record_bytes < 1 ||
      options.max_record_bytes > internal::kMaxRecordBytesLimit) {
    return absl::InvalidArgumentError(
        absl::StrCat("journal ", dir, ": max_record_bytes ", options.max_record_bytes,
                     " is outside 1..", internal::kMaxRecordBytesLimit));
  }
  if (options.sync != JournalOptions::Sync::kEveryAppend &&
      options.sync != JournalOptions::Sync::kGroupCommit &&
      options.sync != JournalOptions::Sync::kNone) {
    return absl::InvalidArgumentError(
        absl::StrCat("journal ", dir, ": unknown sync policy"));
  }
  if (options.on_damage != JournalOptions::OnDamage::kRefuse &&
      options.on_damage != JournalOptions::OnDamage::kSalvage) {
    return absl::InvalidArgumentError(
        absl::StrCat("journal ", dir, ": unknown on_damage choice"));
  }
  std::string path(dir);
  if (path.empty()) return absl::InvalidArgumentError("journal: empty directory name");
  std::error_code error;
  // A file where the directory belongs is the caller's mistake, like a directory
  // where a file belongs (create_directories would say ENOTDIR, "not found").
  if (std::filesystem::exists(path, error) &&
      !std::filesystem::is_directory(path, error)) {
    return absl::InvalidArgumentError(
        absl::StrCat("journal ", path, ": not a directory"));
  }
  // Every directory made here has its entry made durable (its files are synced
  // later): a journal's acknowledged records must not sit in a directory a power
  // loss could take back.
  GG_RETURN_IF_ERROR(
      internal::CreateDirectories(path, options.sync != JournalOptions::Sync::kNone)
          .status());
  GG_ASSIGN_OR_RETURN(ScopedFd lock_fd, internal::LockJournal(path));
  // A second descriptor of the lock's open file keeps the lock held if this store
  // goes and a salvage and a second store follow (flock belongs to the open file).
  ScopedFd lock_kept;
  if (options.on_damage == JournalOptions::OnDamage::kSalvage) {
    lock_kept = ScopedFd(::fcntl(lock_fd.get(), F_DUPFD_CLOEXEC, 0));
    if (!lock_kept.valid()) return internal::ErrnoStatus("fcntl", path + "/LOCK", errno);
  }
  auto store = std::make_unique<JournalEventStore>(path, options, std::move(lock_fd));
  const absl::Status status = store->Init();
  if (status.ok()) return store;
  if (!absl::IsDataLoss(status) || !lock_kept.valid()) return status;
  store.reset();

  JournalSalvageOptions salvage_options;
  salvage_options.sync = options.sync != JournalOptions::Sync::kNone;
  absl::StatusOr<JournalSalvageReport> report =
      internal::SalvageLockedJournal(path, salvage_options);
  if (!report.ok()) {
    return absl::Status(report.status().code(),
                        absl::StrCat(status.message(), "; salvaging the journal failed: ",
                                     report.status().message()));
  }
  if (!report->changed) return status;  // nothing a salvage can do about it
  // Told before the second open, which may fail: files were set aside either way.
  if (options.on_salvage) options.on_salvage(*report);
  store = std::make_unique<JournalEventStore>(path, options, std::move(lock_kept));
  GG_RETURN_IF_ERROR(store->Init());
  return store;
}

}  // namespace groupguard
