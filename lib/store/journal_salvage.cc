// SalvageJournal(): point-in-time salvage of a journal that OpenJournal refuses, for
// an operator to run deliberately (the contract is in event_store.h). It decides
// everything from a read-only pass first, so a dry run and the real run agree, then
// moves the files aside, copies the records past damage the snapshot made moot into
// a new segment, cuts the one segment, and continues the history with an empty
// segment where none is left to end it.

#include "store/journal_salvage.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "groupguard/event_store.h"
#include "store/journal_files.h"
#include "store/journal_format.h"
#include "store/segment_reader.h"
#include "util/file_util.h"
#include "util/status_macros.h"

namespace groupguard {
namespace {

using internal::JournalListing;
using internal::ScopedFd;

absl::StatusOr<uint64_t> FileSize(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return internal::ErrnoStatus("stat", path, errno);
  return static_cast<uint64_t>(st.st_size);
}

// The name MoveAside or CopyTailAside will use for `keep_as`: the first of `keep_as`,
// `keep_as`.1, ... that does not exist (the salvage holds the lock, so it stays free).
absl::StatusOr<std::string> FreeName(const std::string& keep_as) {
  for (int n = 0;; ++n) {
    std::string name = n == 0 ? keep_as : absl::StrCat(keep_as, ".", n);
    struct stat st;
    if (::lstat(name.c_str(), &st) != 0) {
      if (errno == ENOENT) return name;
      return internal::ErrnoStatus("lstat", name, errno);
    }
  }
}

// What the read-only pass decided.
struct Plan {
  std::vector<size_t> snapshots_aside;  // indexes into listing.snapshots
  size_t cut = 0;           // first segment not kept whole (segments.size(): none)
  uint64_t cut_offset = 0;  // bytes of segments[cut] kept (0: set aside whole)
  // Damage, not drop_from, ends the history at cut_offset (0: a damaged header).
  bool cut_at_damage = false;
  bool new_segment = false;  // an empty segment continues the history
  // Damage stepped over (JournalSalvageReport::stepped_over): the bytes
  // [copy_from, copy_to) of segments[copied], the records from the snapshot's next one
  // on, go to a new segment, and the old one is set aside whole.
  std::optional<size_t> copied;
  uint64_t copy_from = 0;
  uint64_t copy_to = 0;
};

// For a segment `from` whose damage lies before record through + 1: that record's
// offset, found past the damage, or nullopt if the damage hides it or it is not there.
absl::StatusOr<std::optional<uint64_t>> NextRecordPastDamage(
    const internal::SegmentFile& segment, const internal::SegmentScan& scan,
    uint64_t through) {
  if (scan.damage.ok() || segment.first_sequence > through + 1) return std::nullopt;
  // A damaged record (scan.first_sequence + scan.records) the snapshot includes, or
  // a damaged segment header (valid_end 0).
  if (scan.valid_end != 0 && scan.first_sequence + scan.records > through) {
    return std::nullopt;
  }
  return internal::FindRecord(
      segment.path, std::max<uint64_t>(scan.valid_end, internal::kSegmentHeaderBytes),
      through + 1);
}

// A scan stopped before options.drop_from: the last intact record from the same start
// on, past drop_from (the records the salvage sets aside with what follows it).
absl::StatusOr<uint64_t> LastRecordPastDropFrom(const std::string& path,
                                                internal::SegmentScanOptions options) {
  options.stop_before = std::numeric_limits<uint64_t>::max();
  GG_ASSIGN_OR_RETURN(
      internal::SegmentScan scan,
      internal::ScanSegment(
          path, options, [](uint64_t, absl::string_view) { return absl::OkStatus(); }));
  return scan.records > 0 ? scan.first_sequence + scan.records - 1 : 0;
}

// Checks `segments` from `from` on, as OpenJournal would but stopping at the first
// damage, and fills in where the history must end.
absl::Status PlanSegments(const JournalListing& listing, size_t from, uint64_t through,
                          const JournalSalvageOptions& options,
                          JournalSalvageReport& report, Plan& plan) {
  const auto& segments = listing.segments;
  plan.cut = segments.size();
  bool chain = false;      // a kept segment at or after `from` ends the history
  uint64_t chain_end = 0;  // its last record
  // Where the last segment's torn tail starts, if it has one and the segment stays
  // as it is (report.torn_tail): not when it is cut or set aside, nor when the
  // records past stepped-over damage are copied out of it (the copy ends before
  // the tail, and the segment is set aside whole).
  std::optional<uint64_t> torn_at;
  for (size_t i = from; i < segments.size(); ++i) {
    const internal::SegmentFile& segment = segments[i];
    internal::SegmentScanOptions scan_options;
    // As OpenJournal: a torn tail of the last segment is not damage (OpenJournal cuts
    // it, keeping its bytes aside).
    scan_options.allow_torn_tail = i + 1 == segments.size();
    scan_options.stop_at_damage = true;
    scan_options.deliver_through = 0;  // check only
    if (options.drop_from != 0) scan_options.stop_before = options.drop_from;
    GG_ASSIGN_OR_RETURN(internal::SegmentScan scan,
                        internal::ScanSegment(segment.path, scan_options,
                                              [](uint64_t, absl::string_view) {
                                                return absl::OkStatus();
                                              }));
    if (i == from) {
      GG_ASSIGN_OR_RETURN(std::optional<uint64_t> next,
                          NextRecordPastDamage(segment, scan, through));
      if (next.has_value()) {
        report.stepped_over = std::string(scan.damage.message());
        scan_options.start_sequence = through + 1;
        // A record's payload is arbitrary bytes (a post's text, as it came), so one
        // the snapshot includes may hold a well-formed frame of record through + 1,
        // found first. Such a frame's records run into the real ones after it (their
        // checksums are seeded with lower numbers), so the first candidate whose
        // records go on without damage is taken; if none does, the first one.
        std::optional<internal::SegmentScan> rest;
        for (std::optional<uint64_t> at = next; at.has_value();) {
          scan_options.start_offset = *at;
          GG_ASSIGN_OR_RETURN(internal::SegmentScan candidate,
                              internal::ScanSegment(segment.path, scan_options,
                                                    [](uint64_t, absl::string_view) {
                                                      return absl::OkStatus();
                                                    }));
          if (!rest.has_value() || candidate.damage.ok()) {
            next = at;
            rest = std::move(candidate);
            if (rest->damage.ok()) break;
          }
          GG_ASSIGN_OR_RETURN(at,
                              internal::FindRecord(segment.path, *at + 1, through + 1));
        }
        scan_options.start_offset = *next;
        plan.copied = i;
        plan.copy_from = *next;
        plan.copy_to = rest->valid_end;  // a torn tail stays in the old segment only
        chain = true;
        chain_end = through + rest->records;
        report.last_seen = std::max(report.last_seen, chain_end);
        if (rest->stopped) {
          GG_ASSIGN_OR_RETURN(uint64_t seen,
                              LastRecordPastDropFrom(segment.path, scan_options));
          report.last_seen = std::max(report.last_seen, seen);
        }
        if (!rest->damage.ok() || rest->stopped) {
          if (!rest->damage.ok()) {
            report.damage = std::string(rest->damage.message());
            // The segment is set aside whole; what the damage hides of it is lost
            // from the history too.
            GG_ASSIGN_OR_RETURN(uint64_t size, FileSize(segment.path));
            GG_ASSIGN_OR_RETURN(ScopedFd fd, internal::OpenFile(segment.path, O_RDONLY));
            GG_ASSIGN_OR_RETURN(bool zeros, internal::AllZero(fd.get(), segment.path,
                                                              rest->valid_end, size));
            report.lost_past_damage = !zeros;
          }
          plan.cut = i + 1;  // every later segment is set aside
          break;
        }
        continue;
      }
    }
    std::string damage;
    if (!scan.damage.ok() && scan.valid_end == 0) {
      damage = std::string(scan.damage.message());
    } else if (scan.first_sequence != segment.first_sequence) {
      damage = absl::StrCat(segment.path, ": offset 16: header says first record ",
                            scan.first_sequence, " but the file name says ",
                            segment.first_sequence);
    } else if (i == from ? segment.first_sequence > through + 1
                         : segment.first_sequence != chain_end + 1) {
      damage = absl::StrCat(segment.path, ": offset 0: segment starts at record ",
                            segment.first_sequence, " but the history before it ends at ",
                            i == from ? through : chain_end);
    }
    if (!damage.empty()) {  // not a usable segment at all
      report.damage = damage;
      plan.cut = i;
      plan.cut_offset = 0;
      // A damaged header hides every record after it (a numbering that does not
      // fit leaves them readable: they are counted below).
      plan.cut_at_damage = !scan.damage.ok() && scan.valid_end == 0;
      break;
    }
    chain = true;
    chain_end = scan.first_sequence + scan.records - 1;
    report.last_seen = std::max(report.last_seen, chain_end);
    if (scan.stopped) {
      GG_ASSIGN_OR_RETURN(uint64_t seen,
                          LastRecordPastDropFrom(segment.path, scan_options));
      report.last_seen = std::max(report.last_seen, seen);
    }
    if (!scan.damage.ok() || scan.stopped) {
      if (!scan.damage.ok()) report.damage = std::string(scan.damage.message());
      plan.cut = i;
      plan.cut_offset = scan.valid_end;
      plan.cut_at_damage = !scan.damage.ok();
      break;
    }
    if (i + 1 == segments.size() && scan.torn_tail) torn_at = scan.valid_end;
  }
  if (torn_at.has_value() && plan.cut == segments.size()) {
    GG_ASSIGN_OR_RETURN(uint64_t size, FileSize(segments.back().path));
    report.torn_tail =
        absl::StrCat(segments.back().path, ": offset ", *torn_at, ": ", size - *torn_at,
                     " bytes after the last whole record");
  }
  if (plan.cut == segments.size() && !chain) {
    report.damage = absl::StrCat("journal has no segment continuing ",
                                 listing.snapshots.empty()
                                     ? std::string("from record 1")
                                     : absl::StrCat("snapshot through record ", through));
  } else if (plan.cut == segments.size() && chain_end < through) {
    report.damage = absl::StrCat(segments.back().path, ": journal ends at record ",
                                 chain_end, " but the snapshot covers through ", through);
  }

  // What is set aside: what the damage hides is unknown, but the intact records of
  // later segments, and their names, say how far the history went.
  for (size_t i = plan.cut; i < segments.size(); ++i) {
    if (segments[i].first_sequence > 0) {
      report.last_seen = std::max(report.last_seen, segments[i].first_sequence - 1);
    }
    if (i == plan.cut && plan.cut_offset > 0) continue;  // scanned above
    internal::SegmentScanOptions scan_options;
    scan_options.stop_at_damage = true;
    scan_options.deliver_through = 0;
    GG_ASSIGN_OR_RETURN(internal::SegmentScan scan,
                        internal::ScanSegment(segments[i].path, scan_options,
                                              [](uint64_t, absl::string_view) {
                                                return absl::OkStatus();
                                              }));
    if (scan.records > 0) {
      report.last_seen =
          std::max(report.last_seen, scan.first_sequence + scan.records - 1);
    }
  }

  report.kept_through = std::max(chain_end, through);
  plan.new_segment = !chain || chain_end < through;
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<JournalSalvageReport> SalvageJournal(
    absl::string_view dir, const JournalSalvageOptions& options) {
  const std::string path(dir);
  if (path.empty()) return absl::InvalidArgumentError("journal: empty directory name");
  std::error_code error;
  if (!std::filesystem::exists(path, error)) {
    return absl::NotFoundError(absl::StrCat("journal ", path, ": no such directory"));
  }
  if (!std::filesystem::is_directory(path, error)) {
    return absl::InvalidArgumentError(
        absl::StrCat("journal ", path, ": not a directory"));
  }
  GG_ASSIGN_OR_RETURN(JournalListing listing,
                      internal::ListJournal(path, /*remove_temporaries=*/false));
  if (listing.segments.empty() && listing.snapshots.empty()) {
    return absl::NotFoundError(
        absl::StrCat("journal ", path, ": no journal segment or snapshot there"));
  }
  GG_ASSIGN_OR_RETURN(ScopedFd lock, internal::LockJournal(path));
  return internal::SalvageLockedJournal(path, options);
}

namespace internal {

absl::StatusOr<JournalSalvageReport> SalvageLockedJournal(
    const std::string& path, const JournalSalvageOptions& options) {
  // Listed under the lock: a store open until a moment ago may have moved on.
  GG_ASSIGN_OR_RETURN(JournalListing listing,
                      internal::ListJournal(path, /*remove_temporaries=*/false));

  JournalSalvageReport report;
  Plan plan;
  // The newest snapshot that checks out.
  uint64_t through = 0;
  for (size_t i = listing.snapshots.size(); i-- > 0;) {
    const internal::SnapshotFile& snapshot = listing.snapshots[i];
    report.last_seen = std::max(report.last_seen, snapshot.through);
    GG_ASSIGN_OR_RETURN(std::string contents, internal::ReadWholeFile(snapshot.path));
    absl::Status status =
        internal::DecodeSnapshot(contents, snapshot.through, snapshot.path).status();
    if (status.ok()) {
      through = snapshot.through;
      break;
    }
    if (!absl::IsDataLoss(status)) return status;  // say, a newer format version
    if (report.damage.empty()) report.damage = std::string(status.message());
    plan.snapshots_aside.push_back(i);
  }
  report.snapshot_through = through;
  if (options.drop_from != 0 && options.drop_from <= through) {
    return absl::FailedPreconditionError(absl::StrCat(
        "journal ", path, ": record ", options.drop_from,
        " cannot be dropped: the snapshot kept holds the history through record ",
        through));
  }

  // As OpenJournal: segments wholly covered by the snapshot are not read.
  size_t from = 0;
  while (from + 1 < listing.segments.size() &&
         listing.segments[from + 1].first_sequence <= through + 1) {
    ++from;
  }
  std::string snapshot_damage = report.damage;
  GG_RETURN_IF_ERROR(PlanSegments(listing, from, through, options, report, plan));
  if (!snapshot_damage.empty()) report.damage = snapshot_damage;  // the first found

  // What would change.
  // The names are those the steps below will take, so that a dry run says the same.
  for (size_t i : plan.snapshots_aside) {
    const std::string& name = listing.snapshots[i].path;
    GG_ASSIGN_OR_RETURN(std::string kept, FreeName(absl::StrCat(name, ".set-aside")));
    report.set_aside.push_back(std::move(kept));
    GG_ASSIGN_OR_RETURN(uint64_t size, FileSize(name));
    report.bytes_set_aside += size;
  }
  if (plan.copied.has_value()) {
    const std::string& name = listing.segments[*plan.copied].path;
    GG_ASSIGN_OR_RETURN(std::string kept, FreeName(absl::StrCat(name, ".set-aside")));
    report.set_aside.push_back(std::move(kept));
    GG_ASSIGN_OR_RETURN(uint64_t size, FileSize(name));
    report.bytes_set_aside += size;
  }
  bool cut_tail_is_zeros = false;
  for (size_t i = plan.cut; i < listing.segments.size(); ++i) {
    const std::string& name = listing.segments[i].path;
    GG_ASSIGN_OR_RETURN(uint64_t size, FileSize(name));
    if (i == plan.cut && plan.cut_offset > 0) {
      if (size <= plan.cut_offset) continue;
      {  // CopyTailAside keeps nothing of a tail of zeros
        GG_ASSIGN_OR_RETURN(ScopedFd fd, internal::OpenFile(name, O_RDONLY));
        GG_ASSIGN_OR_RETURN(cut_tail_is_zeros,
                            internal::AllZero(fd.get(), name, plan.cut_offset, size));
      }
      if (cut_tail_is_zeros) continue;  // nothing to keep, as for a torn tail
      if (plan.cut_at_damage) report.lost_past_damage = true;
      GG_ASSIGN_OR_RETURN(std::string kept,
                          FreeName(absl::StrCat(name, ".cut-at-", plan.cut_offset)));
      report.set_aside.push_back(std::move(kept));
      report.bytes_set_aside += size - plan.cut_offset;
    } else {
      if (i == plan.cut && plan.cut_at_damage && size > internal::kSegmentHeaderBytes) {
        GG_ASSIGN_OR_RETURN(ScopedFd fd, internal::OpenFile(name, O_RDONLY));
        GG_ASSIGN_OR_RETURN(
            bool zeros,
            internal::AllZero(fd.get(), name, internal::kSegmentHeaderBytes, size));
        if (!zeros) report.lost_past_damage = true;
      }
      GG_ASSIGN_OR_RETURN(std::string kept, FreeName(absl::StrCat(name, ".set-aside")));
      report.set_aside.push_back(std::move(kept));
      report.bytes_set_aside += size;
    }
  }
  // A segment that is cut changes the journal even if its tail was zeros.
  report.changed = !report.set_aside.empty() || plan.new_segment || cut_tail_is_zeros;
  if (options.dry_run || !report.changed) return report;

  // Carry it out. Every byte is copied or renamed aside before anything is cut, so a
  // crash at any point leaves each byte somewhere. Until the last step the journal
  // refuses to open (a cut segment does not continue into the later ones still
  // there; no segment yet continues the snapshot), and running the salvage again
  // finishes the job. One layout escapes that: damage after the last record of a
  // segment that is not the last, whose successor continues the numbering. A crash
  // between its cut and the renames leaves a journal that opens with the later
  // segments too (every record in it intact). And a crash between the copy of the
  // records past stepped-over damage and the unlinking of the damaged segment leaves
  // it under its name too, where OpenJournal does not read it (the copy starts right
  // after the snapshot) and deletes it as wholly covered (its .set-aside link stays).
  std::vector<std::string> written;
  for (size_t i : plan.snapshots_aside) {
    const std::string& name = listing.snapshots[i].path;
    GG_ASSIGN_OR_RETURN(std::string kept,
                        internal::MoveAside(name, absl::StrCat(name, ".set-aside")));
    written.push_back(kept);
  }
  if (plan.copied.has_value()) {
    // The damaged segment is linked aside, then the copy goes beside it (the old one
    // is then wholly covered by the snapshot: OpenJournal does not read it) or, when
    // it has the same name (damage in the header), replaces it in one rename.
    const std::string& name = listing.segments[*plan.copied].path;
    GG_ASSIGN_OR_RETURN(std::string kept, internal::LinkUnderFreeName(
                                              name, absl::StrCat(name, ".set-aside")));
    written.push_back(kept);
    const uint64_t first = report.snapshot_through + 1;
    GG_RETURN_IF_ERROR(internal::WriteSegmentFrom(path, first, name, plan.copy_from,
                                                  plan.copy_to, options.sync));
    if (first != listing.segments[*plan.copied].first_sequence &&
        ::unlink(name.c_str()) != 0) {
      return internal::ErrnoStatus("unlink", name, errno);
    }
  }
  for (size_t i = plan.cut; i < listing.segments.size(); ++i) {
    const std::string& name = listing.segments[i].path;
    if (i == plan.cut && plan.cut_offset > 0) {
      GG_ASSIGN_OR_RETURN(
          std::string kept,
          internal::CopyTailAside(path, name, plan.cut_offset,
                                  absl::StrCat(name, ".cut-at-", plan.cut_offset),
                                  options.sync));
      if (!kept.empty()) written.push_back(kept);
      GG_ASSIGN_OR_RETURN(ScopedFd fd, internal::OpenFile(name, O_WRONLY));
      if (::ftruncate(fd.get(), static_cast<off_t>(plan.cut_offset)) != 0) {
        return internal::ErrnoStatus("ftruncate", name, errno);
      }
      if (options.sync) GG_RETURN_IF_ERROR(internal::SyncFd(fd.get(), name, false));
    } else {
      GG_ASSIGN_OR_RETURN(std::string kept,
                          internal::MoveAside(name, absl::StrCat(name, ".set-aside")));
      written.push_back(kept);
    }
  }
  if (options.sync) GG_RETURN_IF_ERROR(internal::SyncDirectory(path));
  if (plan.new_segment) {
    GG_RETURN_IF_ERROR(internal::WriteFileAtomically(
        path, internal::SegmentFileName(report.kept_through + 1),
        internal::EncodeSegmentHeader(report.kept_through + 1), "", options.sync));
  }
  report.set_aside = std::move(written);
  return report;
}

}  // namespace internal
}  // namespace groupguard
