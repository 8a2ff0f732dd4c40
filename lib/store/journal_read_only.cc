// OpenJournalReadOnly(): a point-in-time view of a journal that another store (in this
// process or another) may have open and be writing.
//
// The reader takes no lock and writes nothing. It pins its history at open: it lists
// the directory, opens the newest snapshot and every segment it needs, and checks them
// through the end of the last whole record. The open files stay open for the store's
// life, so a writer's later snapshot, which deletes the segments it covers, takes
// nothing from under the reader (an unlinked file that is open stays readable), and a
// record appended later lies past the end the reader pinned.
//
// What can still race is the listing: a file listed can be gone (ENOENT) before it is
// opened, and a listing taken while a writer snapshots can miss a new file and show an
// old one (readdir(3) may or may not return names created or deleted while it runs).
// Both make an attempt fail, with ENOENT or with what looks like damage (a gap between
// segments); the open then lists again and retries while the directory keeps
// changing. Damage found while the files stayed as they were (a last segment that
// grew is a writer appending past what was read) is reported, as OpenJournal would.

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "groupguard/event_store.h"
#include "store/journal_files.h"
#include "store/journal_format.h"
#include "store/journal_testing.h"
#include "store/segment_reader.h"
#include "util/file_util.h"
#include "util/status_macros.h"

namespace groupguard {
namespace internal {

std::function<void(int attempt)>& JournalReadOnlyAfterListingForTesting() {
  static std::function<void(int)> hook;
  return hook;
}

}  // namespace internal

namespace {

using internal::ScopedFd;

// How many times the open lists the directory again before giving up on a directory
// that keeps changing under it, and the longest pause between two attempts.
constexpr int kMaxAttempts = 20;
constexpr absl::Duration kMaxPause = absl::Milliseconds(50);

struct PinnedSegment {
  std::string path;
  ScopedFd fd;
  uint64_t first_sequence = 0;
  uint64_t end = 0;  // bytes of it in the history: through its last whole record
};

// What one attempt pinned.
struct Pinned {
  std::string snapshot_path;  // empty: no snapshot
  // The snapshot file, open, and its size: Recover reads it again rather than the
  // store keeping a copy of it in memory for its life (a registry over the store
  // already holds the state the snapshot decodes to).
  ScopedFd snapshot_fd;
  uint64_t snapshot_bytes = 0;
  uint64_t through = 0;
  std::vector<PinnedSegment> segments;
  uint64_t last_sequence = 0;
};

// The directory's journal files with their sizes, to tell whether a writer changed
// them while an attempt read them.
struct Fingerprint {
  internal::JournalListing listing;
  std::vector<int64_t> segment_sizes;  // -1: gone by the time it was looked at

  // Whether `later` shows the same files: the same names, and every segment the same
  // size but the last, which may have grown (a writer appending to it changes nothing
  // the attempt read: damage before its end stays damage). A name listed both times
  // that was not there to look at either time (a dangling symbolic link) is the
  // same: a writer's deletion takes the name out of the later listing.
  bool SameFilesAs(const Fingerprint& later) const {
    auto path_of = [](const auto& file) { return file.path; };
    auto paths = [&](const auto& files) {
      std::vector<std::string> out;
      std::transform(files.begin(), files.end(), std::back_inserter(out), path_of);
      return out;
    };
    if (paths(listing.segments) != paths(later.listing.segments) ||
        paths(listing.snapshots) != paths(later.listing.snapshots)) {
      return false;
    }
    for (size_t i = 0; i < segment_sizes.size(); ++i) {
      const bool last = i + 1 == segment_sizes.size();
      if (segment_sizes[i] < 0 || later.segment_sizes[i] < 0) {
        if (segment_sizes[i] != later.segment_sizes[i]) return false;
        continue;
      }
      if (last ? later.segment_sizes[i] < segment_sizes[i]
               : later.segment_sizes[i] != segment_sizes[i]) {
        return false;
      }
    }
    return true;
  }
};

absl::StatusOr<Fingerprint> TakeFingerprint(const std::string& dir) {
  Fingerprint f;
  GG_ASSIGN_OR_RETURN(f.listing,
                      internal::ListJournal(dir, /*remove_temporaries=*/false));
  for (const internal::SegmentFile& segment : f.listing.segments) {
    struct stat st;
    f.segment_sizes.push_back(::stat(segment.path.c_str(), &st) == 0 ? st.st_size : -1);
  }
  return f;
}

// One attempt at pinning the history the listing `f` shows. kNotFound for a listed
// file gone before it was opened; otherwise OpenJournal's checks and errors.
absl::StatusOr<Pinned> Pin(const std::string& dir, const internal::JournalListing& f) {
  Pinned pinned;
  if (!f.snapshots.empty()) {
    // Only the newest snapshot counts, as for OpenJournal.
    const internal::SnapshotFile& newest = f.snapshots.back();
    GG_ASSIGN_OR_RETURN(ScopedFd fd, internal::OpenFile(newest.path, O_RDONLY));
    struct stat st;
    if (::fstat(fd.get(), &st) != 0)
      return internal::ErrnoStatus("fstat", newest.path, errno);
    std::string contents(static_cast<size_t>(st.st_size), '\0');
    GG_ASSIGN_OR_RETURN(size_t got, internal::ReadAt(fd.get(), contents.data(),
                                                     contents.size(), 0, newest.path));
    contents.resize(got);
    GG_RETURN_IF_ERROR(
        internal::DecodeSnapshot(contents, newest.through, newest.path).status());
    pinned.snapshot_path = newest.path;
    pinned.snapshot_fd = std::move(fd);
    pinned.snapshot_bytes = got;
    pinned.through = newest.through;
  }
  const std::vector<internal::SegmentFile>& segments = f.segments;
  const uint64_t through = pinned.through;
  if (segments.empty()) {
    return absl::DataLossError(absl::StrCat(dir, ": ", pinned.snapshot_path,
                                            " exists but no journal segment does"));
  }
  // Segments wholly covered by the snapshot are not needed (a writer deletes them).
  size_t keep_from = 0;
  while (keep_from + 1 < segments.size() &&
         segments[keep_from + 1].first_sequence <= through + 1) {
    ++keep_from;
  }
  if (segments[keep_from].first_sequence > through + 1) {
    return absl::DataLossError(absl::StrCat(
        segments[keep_from].path, ": offset 0: journal starts at record ",
        segments[keep_from].first_sequence, " but the records from ", through + 1,
        " on are missing (",
        pinned.snapshot_path.empty() ? "no snapshot" : pinned.snapshot_path, ")"));
  }
  // Every segment is opened before any is read: once they are all open, a writer's
  // snapshot can delete none of them from under the reader.
  for (size_t i = keep_from; i < segments.size(); ++i) {
    PinnedSegment segment;
    segment.path = segments[i].path;
    segment.first_sequence = segments[i].first_sequence;
    GG_ASSIGN_OR_RETURN(segment.fd, internal::OpenFile(segment.path, O_RDONLY));
    pinned.segments.push_back(std::move(segment));
  }
  uint64_t last_sequence = 0;
  for (size_t i = 0; i < pinned.segments.size(); ++i) {
    PinnedSegment& segment = pinned.segments[i];
    const bool is_last = i + 1 == pinned.segments.size();
    internal::SegmentScanOptions scan_options;
    // The end of the last segment may be a record being written right now, or what
    // a crash left: either way the history read so far ends before it.
    scan_options.allow_torn_tail = is_last;
    scan_options.deliver_through = 0;  // check only
    GG_ASSIGN_OR_RETURN(
        internal::SegmentScan scan,
        internal::ScanOpenSegment(
            segment.fd.get(), segment.path, scan_options,
            [](uint64_t, absl::string_view) { return absl::OkStatus(); }));
    if (scan.first_sequence != segment.first_sequence) {
      return absl::DataLossError(absl::StrCat(
          segment.path, ": offset 16: header says first record ", scan.first_sequence,
          " but the file name says ", segment.first_sequence));
    }
    last_sequence = scan.first_sequence + scan.records - 1;
    if (!is_last && last_sequence + 1 != pinned.segments[i + 1].first_sequence) {
      return absl::DataLossError(absl::StrCat(
          segment.path, ": offset ", scan.valid_end, ": segment ends after record ",
          last_sequence, " but the next segment ", pinned.segments[i + 1].path,
          " starts at record ", pinned.segments[i + 1].first_sequence));
    }
    segment.end = scan.valid_end;
  }
  if (last_sequence < through) {
    return absl::DataLossError(absl::StrCat(
        pinned.segments.back().path, ": offset ", pinned.segments.back().end,
        ": journal ends at record ", last_sequence, " but the snapshot covers through ",
        through, "; records are missing"));
  }
  pinned.last_sequence = last_sequence;
  return pinned;
}

class ReadOnlyJournal final : public EventStore {
 public:
  ReadOnlyJournal(std::string dir, Pinned pinned)
      : dir_(std::move(dir)), pinned_(std::move(pinned)) {}

  absl::StatusOr<uint64_t> Append(absl::string_view) override { return Refuse("Append"); }
  absl::StatusOr<uint64_t> StartAppend(absl::string_view) override {
    return Refuse("StartAppend");
  }
  absl::Status WaitDurable(uint64_t sequence) override {
    if (sequence >= 1 && sequence <= pinned_.last_sequence) return absl::OkStatus();
    return absl::InvalidArgumentError(absl::StrCat(
        "journal ", dir_, " (read-only): WaitDurable(", sequence,
        ") for a record not in its history (1..", pinned_.last_sequence, ")"));
  }
  absl::Status WriteSnapshot(absl::string_view, uint64_t) override {
    return Refuse("WriteSnapshot").status();
  }
  // Whatever limit the writer has, no record is longer than this.
  size_t MaxRecordBytes() const override { return internal::kMaxRecordBytesLimit; }
  bool ReadOnly() const override { return true; }

  // Delivers the history pinned at open, every time it is called.
  absl::Status Recover(
      const std::function<absl::Status(absl::string_view, uint64_t)>& on_snapshot,
      const std::function<absl::Status(uint64_t, absl::string_view)>& on_record)
      override {
    const uint64_t through = pinned_.through;
    if (!pinned_.snapshot_path.empty()) {
      std::string contents(static_cast<size_t>(pinned_.snapshot_bytes), '\0');
      GG_ASSIGN_OR_RETURN(size_t got, internal::ReadAt(pinned_.snapshot_fd.get(),
                                                       contents.data(), contents.size(),
                                                       0, pinned_.snapshot_path));
      if (got != contents.size()) {
        // A writer never changes a snapshot file once it is in place.
        return absl::DataLossError(absl::StrCat(
            pinned_.snapshot_path, ": offset ", got,
            ": snapshot is shorter than the ", contents.size(),
            " bytes the read-only open read"));
      }
      GG_ASSIGN_OR_RETURN(
          absl::string_view payload,
          internal::DecodeSnapshot(contents, through, pinned_.snapshot_path));
      if (absl::Status s = on_snapshot(payload, through); !s.ok()) {
        return absl::Status(s.code(),
                            absl::StrCat(pinned_.snapshot_path, ": ", s.message()));
      }
    }
    for (const PinnedSegment& segment : pinned_.segments) {
      internal::SegmentScanOptions scan_options;
      scan_options.limit = segment.end;
      scan_options.deliver_after = through;
      scan_options.deliver_through = pinned_.last_sequence;
      GG_ASSIGN_OR_RETURN(internal::SegmentScan scan,
                          internal::ScanOpenSegment(segment.fd.get(), segment.path,
                                                    scan_options, on_record));
      if (scan.valid_end != segment.end) {
        // The bytes checked at open changed: only something other than a journal's
        // writer (which appends past them) does that.
        return absl::DataLossError(absl::StrCat(
            segment.path, ": offset ", scan.valid_end,
            ": segment changed since the read-only open checked it through offset ",
            segment.end));
      }
    }
    return absl::OkStatus();
  }

 private:
  absl::StatusOr<uint64_t> Refuse(absl::string_view what) const {
    return absl::FailedPreconditionError(absl::StrCat(
        "journal ", dir_, " is open read-only (OpenJournalReadOnly): ", what,
        " is refused; only the store that opened it with OpenJournal writes"));
  }

  const std::string dir_;
  const Pinned pinned_;  // immutable: Recover may run on several threads at once
};

}  // namespace

absl::StatusOr<std::unique_ptr<EventStore>> OpenJournalReadOnly(absl::string_view dir) {
  std::string path(dir);
  if (path.empty()) return absl::InvalidArgumentError("journal: empty directory name");
  std::error_code error;
  const std::filesystem::file_status status = std::filesystem::status(path, error);
  if (!std::filesystem::exists(status)) {
    if (error && error != std::errc::no_such_file_or_directory) {
      return internal::ErrnoStatus("stat", path, error.value());
    }
    return absl::NotFoundError(absl::StrCat("journal ", path, ": no such directory"));
  }
  if (!std::filesystem::is_directory(status)) {
    return absl::InvalidArgumentError(
        absl::StrCat("journal ", path, ": not a directory"));
  }
  absl::Status last;
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    if (attempt > 0) {
      absl::SleepFor(
          std::min(absl::Milliseconds(1) * (1 << std::min(attempt, 10)), kMaxPause));
    }
    GG_ASSIGN_OR_RETURN(Fingerprint before, TakeFingerprint(path));
    if (before.listing.segments.empty() && before.listing.snapshots.empty()) {
      return absl::NotFoundError(
          absl::StrCat("journal ", path, ": no journal there (no segment or snapshot)"));
    }
    if (const auto& hook = internal::JournalReadOnlyAfterListingForTesting()) {
      hook(attempt);
    }
    absl::StatusOr<Pinned> pinned = Pin(path, before.listing);
    if (pinned.ok()) {
      return std::unique_ptr<EventStore>(new ReadOnlyJournal(path, *std::move(pinned)));
    }
    last = pinned.status();
    // A listed file gone (kNotFound), or what looks like damage: a writer's snapshot
    // or append changed the directory under the attempt, or the journal is damaged
    // (or holds a name that cannot be opened). Only a directory that stayed as it
    // was says the latter: retrying would find the same again.
    if (!absl::IsNotFound(last) && !absl::IsDataLoss(last)) return last;
    GG_ASSIGN_OR_RETURN(Fingerprint after, TakeFingerprint(path));
    if (before.SameFilesAs(after)) return last;
  }
  return absl::UnavailableError(absl::StrCat(
      "journal ", path, " changed under every one of ", kMaxAttempts,
      " attempts to read it (a writer snapshotting all the time?); try again. Last: ",
      last.message()));
}

}  // namespace groupguard
