// Journal-specific behaviour: torn tails, corruption, versions, snapshots and their
// cleanup, locking, failed writes.

#include "store/journal_event_store.h"

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "groupguard/event_store.h"
#include "gtest/gtest.h"
#include "replay_helpers.h"
#include "store/journal_format.h"
#include "store/journal_testing.h"
#include "store_test_util.h"

namespace groupguard {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing_internal::FilesWithPrefix;
using testing_internal::OptionsWith;
using testing_internal::ReadFileOrDie;
using testing_internal::ReplayAll;
using testing_internal::ScratchDir;
using testing_internal::WriteFileOrDie;
using Rec = std::pair<uint64_t, std::string>;

constexpr JournalOptions::Sync kNone = JournalOptions::Sync::kNone;

std::unique_ptr<EventStore> MustOpen(const std::string& dir,
                                     JournalOptions::Sync sync = kNone) {
  absl::StatusOr<std::unique_ptr<EventStore>> store = OpenJournal(dir, OptionsWith(sync));
  EXPECT_TRUE(store.ok()) << store.status();
  return store.ok() ? *std::move(store) : nullptr;
}

std::string RecordText(int i) {
  return absl::StrCat("record number ", i, " ", std::string(i % 13, '#'));
}

// Writes records 1..n to a fresh journal in `dir` and closes it.
void WriteRecords(const std::string& dir, int n) {
  std::unique_ptr<EventStore> store = MustOpen(dir);
  ASSERT_NE(store, nullptr);
  for (int i = 1; i <= n; ++i) {
    absl::StatusOr<uint64_t> sequence = store->Append(RecordText(i));
    ASSERT_TRUE(sequence.ok()) << sequence.status();
    ASSERT_EQ(*sequence, static_cast<uint64_t>(i));
  }
}

std::vector<Rec> ExpectedRecords(int from, int to) {
  std::vector<Rec> out;
  for (int i = from; i <= to; ++i) out.emplace_back(i, RecordText(i));
  return out;
}

std::string OnlySegment(const std::string& dir) {
  std::vector<std::string> segments = FilesWithPrefix(dir, "journal-");
  EXPECT_EQ(segments.size(), 1u);
  return segments.empty() ? "" : absl::StrCat(dir, "/", segments[0]);
}

void CopyDir(const std::string& from, const std::string& to) {
  std::filesystem::remove_all(to);
  std::filesystem::copy(from, to);
}

TEST(JournalTest, ReopenSeesEverythingAcrossBlocksAndLargeRecords) {
  ScratchDir tmp;
  const std::string dir = tmp.Sub("j");
  // ~5 MiB of records crosses the reader's 2 MiB blocks at many alignments, and one
  // 3 MiB record is larger than a block.
  std::vector<std::string> records;
  for (int i = 0; i < 2500; ++i)
    records.push_back(std::string(1000 + i % 997, 'a' + i % 26));
  records.push_back(std::string(3 << 20, 'z'));
  records.push_back("after the big one");
  JournalOptions options;
  options.sync = kNone;
  options.max_record_bytes = 4 << 20;
  {
    auto store = OpenJournal(dir, options);
    ASSERT_TRUE(store.ok()) << store.status();
    for (const std::string& r : records) ASSERT_TRUE((*store)->Append(r).ok());
  }
  auto store = OpenJournal(dir, options);
  ASSERT_TRUE(store.ok()) << store.status();
  auto replayed = ReplayAll(**store);
  ASSERT_TRUE(replayed.ok()) << replayed.status();
  ASSERT_EQ(replayed->records.size(), records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    ASSERT_EQ(replayed->records[i].first, i + 1);
    ASSERT_EQ(replayed->records[i].second, records[i]) << "record " << i + 1;
  }
}

TEST(JournalTest, TornTailIsTruncatedAtEveryOffsetOfTheLastRecord) {
  ScratchDir tmp;
  const std::string original = tmp.Sub("original");
  WriteRecords(original, 5);
  const std::string segment_name =
      std::filesystem::path(OnlySegment(original)).filename().string();
  const std::string full = ReadFileOrDie(absl::StrCat(original, "/", segment_name));
  const size_t last_start =
      full.size() - internal::kFrameHeaderBytes - RecordText(5).size();

  for (size_t cut = last_start; cut < full.size(); ++cut) {
    SCOPED_TRACE(absl::StrCat("cut at byte ", cut));
    const std::string dir = tmp.Sub("cut");
    CopyDir(original, dir);
    const std::string segment = absl::StrCat(dir, "/", segment_name);
    std::filesystem::resize_file(segment, cut);
    {
      std::unique_ptr<EventStore> store = MustOpen(dir);
      ASSERT_NE(store, nullptr);
      EXPECT_EQ(std::filesystem::file_size(segment), last_start);
      const std::string kept = absl::StrCat(segment, ".torn-at-", last_start);
      if (cut == last_start) {
        EXPECT_FALSE(std::filesystem::exists(kept));
      } else {
        EXPECT_EQ(ReadFileOrDie(kept), full.substr(last_start, cut - last_start));
      }
      auto replayed = ReplayAll(*store);
      ASSERT_TRUE(replayed.ok()) << replayed.status();
      EXPECT_EQ(replayed->records, ExpectedRecords(1, 4));
      absl::StatusOr<uint64_t> sequence = store->Append("replacement 5");
      ASSERT_TRUE(sequence.ok()) << sequence.status();
      EXPECT_EQ(*sequence, 5u);
    }
    std::unique_ptr<EventStore> store = MustOpen(dir);
    ASSERT_NE(store, nullptr);
    auto replayed = ReplayAll(*store);
    ASSERT_TRUE(replayed.ok()) << replayed.status();
    ASSERT_EQ(replayed->records.size(), 5u);
    EXPECT_EQ(replayed->records[4], Rec(5, "replacement 5"));
  }
}

TEST(JournalTest, ZeroFilledTailIsTruncated) {
  ScratchDir tmp;
  const std::string dir = tmp.Sub("j");
  WriteRecords(dir, 3);
  const std::string segment = OnlySegment(dir);
  const uint64_t size = std::filesystem::file_size(segment);
  WriteFileOrDie(segment, ReadFileOrDie(segment) + std::string(5000, '\0'));
  std::unique_ptr<EventStore> store = MustOpen(dir);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(std::filesystem::file_size(segment), size);
  auto replayed = ReplayAll(*store);
  ASSERT_TRUE(replayed.ok()) << replayed.status();
  EXPECT_EQ(replayed->records, ExpectedRecords(1, 3));
  // Zeros carry nothing: no copy of them is kept, and no temporary is left.
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    EXPECT_EQ(entry.path().filename().string().find(".torn-at-"), std::string::npos);
    EXPECT_NE(entry.path().extension(), ".tmp");
  }
}

// A last record whose checksum fails right at the end of the file is what a torn
// write looks like after a power loss, so it is truncated (documented behaviour).
TEST(JournalTest, BadChecksumOfTheLastRecordIsATornTail) {
  ScratchDir tmp;
  const std::string dir = tmp.Sub("j");
  WriteRecords(dir, 4);
  const std::string segment = OnlySegment(dir);
  std::string bytes = ReadFileOrDie(segment);
  bytes[bytes.size() - 2] ^= 0x40;
  WriteFileOrDie(segment, bytes);
  std::unique_ptr<EventStore> store = MustOpen(dir);
  ASSERT_NE(store, nullptr);
  auto replayed = ReplayAll(*store);
  ASSERT_TRUE(replayed.ok()) << replayed.status();
  EXPECT_EQ(replayed->records, ExpectedRecords(1, 3));
  // The dropped record is not destroyed: its bytes (flip included) are kept beside
  // the segment, named by where they were cut.
  const size_t kept_from =
      bytes.size() - internal::kFrameHeaderBytes - RecordText(4).size();
  EXPECT_EQ(std::filesystem::file_size(segment), kept_from);
  EXPECT_EQ(ReadFileOrDie(absl::StrCat(segment, ".torn-at-", kept_from)),
            bytes.substr(kept_from));
  // A crash mid-append right after leaves a new tail at the same offset: kept
  // under the next free name, never over the first copy.
  const std::string kept = absl::StrCat(segment, ".torn-at-", kept_from);
  store.reset();
  WriteFileOrDie(segment, ReadFileOrDie(segment) + "abc");
  store = MustOpen(dir);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(ReadFileOrDie(kept), bytes.substr(kept_from));
  EXPECT_EQ(ReadFileOrDie(kept + ".1"), "abc");
  EXPECT_EQ(std::filesystem::file_size(segment), kept_from);
  // The journal goes on past it, and later opens leave the copies alone.
  ASSERT_TRUE(store->Append("after the damage").ok());
  store.reset();
  store = MustOpen(dir);
  ASSERT_NE(store, nullptr);
  replayed = ReplayAll(*store);
  ASSERT_TRUE(replayed.ok()) << replayed.status();
  EXPECT_EQ(replayed->records.size(), 4u);
  EXPECT_EQ(replayed->records[3], Rec(4, "after the damage"));
  EXPECT_EQ(ReadFileOrDie(absl::StrCat(segment, ".torn-at-", kept_from)),
            bytes.substr(kept_from));
}

TEST(JournalTest, AnyFlippedByteInAMiddleRecordIsDataLossWithItsOffset) {
  ScratchDir tmp;
  const std::string original = tmp.Sub("original");
  WriteRecords(original, 5);
  const std::string segment_name =
      std::filesystem::path(OnlySegment(original)).filename().string();
  const std::string full = ReadFileOrDie(absl::StrCat(original, "/", segment_name));
  // Record 3 starts after the header and records 1 and 2.
  size_t start = internal::kSegmentHeaderBytes;
  for (int i = 1; i <= 2; ++i)
    start += internal::kFrameHeaderBytes + RecordText(i).size();
  const size_t end = start + internal::kFrameHeaderBytes + RecordText(3).size();

  for (size_t at = start; at < end; ++at) {
    SCOPED_TRACE(absl::StrCat("flipped byte ", at));
    const std::string dir = tmp.Sub("flipped");
    CopyDir(original, dir);
    const std::string segment = absl::StrCat(dir, "/", segment_name);
    std::string bytes = full;
    bytes[at] ^= 0x01;
    WriteFileOrDie(segment, bytes);
    absl::StatusOr<std::unique_ptr<EventStore>> store =
        OpenJournal(dir, OptionsWith(kNone));
    ASSERT_EQ(store.status().code(), absl::StatusCode::kDataLoss) << store.status();
    EXPECT_THAT(store.status().message(), HasSubstr(segment));
    EXPECT_THAT(store.status().message(), HasSubstr(absl::StrCat("offset ", start, ":")));
    EXPECT_THAT(store.status().message(), HasSubstr("record 3"));
    // Nothing was "repaired": the file is untouched.
    EXPECT_EQ(ReadFileOrDie(segment), bytes);
  }
}

TEST(JournalTest, NewerFormatVersionIsRejected) {
  ScratchDir tmp;
  const std::string dir = tmp.Sub("j");
  WriteRecords(dir, 2);
  const std::string segment = OnlySegment(dir);
  std::string bytes = ReadFileOrDie(segment);
  bytes[8] = static_cast<char>(internal::kJournalFormatVersion + 1);
  WriteFileOrDie(segment, bytes);
  absl::StatusOr<std::unique_ptr<EventStore>> store =
      OpenJournal(dir, OptionsWith(kNone));
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(store.status().message(), HasSubstr(segment));
  EXPECT_THAT(store.status().message(),
              HasSubstr(absl::StrCat("version ", internal::kJournalFormatVersion + 1)));
}

TEST(JournalTest, NewerSnapshotVersionIsRejected) {
  ScratchDir tmp;
  const std::string dir = tmp.Sub("j");
  {
    std::unique_ptr<EventStore> store = MustOpen(dir);
    ASSERT_TRUE(store->Append("a").ok());
    ASSERT_TRUE(store->WriteSnapshot("state", 1).ok());
  }
  const std::string snapshot = absl::StrCat(dir, "/", internal::SnapshotFileName(1));
  std::string bytes = ReadFileOrDie(snapshot);
  bytes[8] = 9;
  WriteFileOrDie(snapshot, bytes);
  absl::StatusOr<std::unique_ptr<EventStore>> store =
      OpenJournal(dir, OptionsWith(kNone));
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(store.status().message(), HasSubstr(snapshot));
  EXPECT_THAT(store.status().message(), HasSubstr("version 9"));
}

TEST(JournalTest, BadMagicIsDataLoss) {
  ScratchDir tmp;
  const std::string dir = tmp.Sub("j");
  WriteRecords(dir, 1);
  const std::string segment = OnlySegment(dir);
  std::string bytes = ReadFileOrDie(segment);
  bytes[0] = 'X';
  WriteFileOrDie(segment, bytes);
  absl::StatusOr<std::unique_ptr<EventStore>> store =
      OpenJournal(dir, OptionsWith(kNone));
  EXPECT_EQ(store.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(store.status().message(), HasSubstr("bad magic"));
}

TEST(JournalTest, DamagedSnapshotIsDataLossNotAFallback) {
  ScratchDir tmp;
  const std::string dir = tmp.Sub("j");
  {
    std::unique_ptr<EventStore> store = MustOpen(dir);
    for (int i = 1; i <= 4; ++i) ASSERT_TRUE(store->Append(RecordText(i)).ok());
    ASSERT_TRUE(store->WriteSnapshot("state after two", 2).ok());
  }
  const std::string snapshot = absl::StrCat(dir, "/", internal::SnapshotFileName(2));
  std::string bytes = ReadFileOrDie(snapshot);
  bytes[bytes.size() - 3] ^= 0x10;
  WriteFileOrDie(snapshot, bytes);
  absl::StatusOr<std::unique_ptr<EventStore>> store =
      OpenJournal(dir, OptionsWith(kNone));
  EXPECT_EQ(store.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(store.status().message(), HasSubstr(snapshot));
  EXPECT_THAT(store.status().message(), HasSubstr("offset 48"));
}

TEST(JournalTest, SnapshotDropsSupersededSegmentsAndOldSnapshots) {
  ScratchDir tmp;
  const std::string dir = tmp.Sub("j");
  std::unique_ptr<EventStore> store = MustOpen(dir);
  for (int i = 1; i <= 100; ++i) ASSERT_TRUE(store->Append(RecordText(i)).ok());
  ASSERT_TRUE(store->WriteSnapshot("s50", 50).ok());
  // Records 51..100 are still needed, so the first segment stays.
  EXPECT_THAT(FilesWithPrefix(dir, "journal-"),
              ElementsAre(internal::SegmentFileName(1), internal::SegmentFileName(101)));
  ASSERT_TRUE(store->Append(RecordText(101)).ok());
  ASSERT_TRUE(store->WriteSnapshot("s101", 101).ok());
  EXPECT_THAT(FilesWithPrefix(dir, "journal-"),
              ElementsAre(internal::SegmentFileName(102)));
  EXPECT_THAT(FilesWithPrefix(dir, "snapshot-"),
              ElementsAre(internal::SnapshotFileName(101)));
  ASSERT_TRUE(store->Append(RecordText(102)).ok());
  store.reset();

  store = MustOpen(dir);
  auto replayed = ReplayAll(*store);
  ASSERT_TRUE(replayed.ok()) << replayed.status();
  EXPECT_EQ(replayed->snapshot, "s101");
  EXPECT_EQ(replayed->through, 101u);
  EXPECT_EQ(replayed->records, ExpectedRecords(102, 102));
}

// The crash came after the new snapshot was durable but before the superseded segment
// and snapshot were deleted: the newest snapshot wins and the leftovers are removed.
TEST(JournalTest, CrashBeforeSegmentCleanupRecovers) {
  ScratchDir tmp;
  const std::string dir = tmp.Sub("j");
  WriteRecords(dir, 5);
  const std::string first_segment = OnlySegment(dir);
  const std::string saved_segment = ReadFileOrDie(first_segment);
  {
    std::unique_ptr<EventStore> store = MustOpen(dir);
    ASSERT_TRUE(store->WriteSnapshot("s3", 3).ok());
    ASSERT_TRUE(store->WriteSnapshot("s5", 5).ok());
    ASSERT_TRUE(store->Append(RecordText(6)).ok());
  }
  const std::string old_snapshot = absl::StrCat(dir, "/", internal::SnapshotFileName(3));
  ASSERT_FALSE(std::filesystem::exists(first_segment));
  ASSERT_FALSE(std::filesystem::exists(old_snapshot));
  // Put back what the cleanup deleted.
  WriteFileOrDie(first_segment, saved_segment);
  {
    const std::string s3 = "s3";
    WriteFileOrDie(old_snapshot, internal::EncodeSnapshotHeader(s3, 3) + s3);
  }
  std::unique_ptr<EventStore> store = MustOpen(dir);
  ASSERT_NE(store, nullptr);
  auto replayed = ReplayAll(*store);
  ASSERT_TRUE(replayed.ok()) << replayed.status();
  EXPECT_EQ(replayed->snapshot, "s5");
  EXPECT_EQ(replayed->through, 5u);
  EXPECT_EQ(replayed->records, ExpectedRecords(6, 6));
  EXPECT_FALSE(std::filesystem::exists(first_segment));
  EXPECT_FALSE(std::filesystem::exists(old_snapshot));
  absl::StatusOr<uint64_t> sequence = store->Append("seven");
  ASSERT_TRUE(sequence.ok()) << sequence.status();
  EXPECT_EQ(*sequence, 7u);
}

// The crash came after the snapshot's rename but before a new segment was started.
TEST(JournalTest, CrashBeforeSegmentRollRecovers) {
  ScratchDir tmp;
  const std::string dir = tmp.Sub("j");
  WriteRecords(dir, 5);
  const std::string s3 = "state after 3";
  WriteFileOrDie(absl::StrCat(dir, "/", internal::SnapshotFileName(3)),
                 internal::EncodeSnapshotHeader(s3, 3) + s3);
  // And a half-written temporary of a later snapshot, which never became durable.
  const std::string temp = absl::StrCat(dir, "/", internal::SnapshotFileName(5), ".tmp");
  WriteFileOrDie(temp, "partial");
  std::unique_ptr<EventStore> store = MustOpen(dir);
  ASSERT_NE(store, nullptr);
  EXPECT_FALSE(std::filesystem::exists(temp));
  auto replayed = ReplayAll(*store);
  ASSERT_TRUE(replayed.ok()) << replayed.status();
  EXPECT_EQ(replayed->snapshot, s3);
  EXPECT_EQ(replayed->records, ExpectedRecords(4, 5));
}

TEST(JournalTest, MissingSegmentIsDataLoss) {
  ScratchDir tmp;
  const std::string dir = tmp.Sub("j");
  {
    std::unique_ptr<EventStore> store = MustOpen(dir);
    for (int i = 1; i <= 3; ++i) ASSERT_TRUE(store->Append(RecordText(i)).ok());
    ASSERT_TRUE(store->WriteSnapshot("s1", 1).ok());  // segment 4 starts
    for (int i = 4; i <= 6; ++i) ASSERT_TRUE(store->Append(RecordText(i)).ok());
    ASSERT_TRUE(store->WriteSnapshot("s1 again", 1).ok());  // segment 7 starts
    ASSERT_TRUE(store->Append(RecordText(7)).ok());
  }
  ASSERT_THAT(FilesWithPrefix(dir, "journal-"),
              ElementsAre(internal::SegmentFileName(1), internal::SegmentFileName(4),
                          internal::SegmentFileName(7)));
  const std::string copy = tmp.Sub("copy");
  CopyDir(dir, copy);

  std::filesystem::remove(absl::StrCat(dir, "/", internal::SegmentFileName(4)));
  absl::StatusOr<std::unique_ptr<EventStore>> store =
      OpenJournal(dir, OptionsWith(kNone));
  EXPECT_EQ(store.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(store.status().message(), HasSubstr(internal::SegmentFileName(1)));
  EXPECT_THAT(store.status().message(), HasSubstr("starts at record 7"));

  std::filesystem::remove(absl::StrCat(copy, "/", internal::SegmentFileName(1)));
  store = OpenJournal(copy, OptionsWith(kNone));
  EXPECT_EQ(store.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(store.status().message(), HasSubstr("records from 2 on are missing"));
}

TEST(JournalTest, SnapshotWithoutAnySegmentIsDataLoss) {
  ScratchDir tmp;
  const std::string dir = tmp.Sub("j");
  {
    std::unique_ptr<EventStore> store = MustOpen(dir);
    ASSERT_TRUE(store->Append("a").ok());
    ASSERT_TRUE(store->WriteSnapshot("s", 1).ok());
  }
  for (const std::string& name : FilesWithPrefix(dir, "journal-")) {
    std::filesystem::remove(absl::StrCat(dir, "/", name));
  }
  EXPECT_EQ(OpenJournal(dir, OptionsWith(kNone)).status().code(),
            absl::StatusCode::kDataLoss);
}

// A journal refused with kDataLoss is left as it was found, for `journal check` and
// a salvage to see: here the last segment left (the newer one lost) ends in a torn
// record, the snapshot covers that record, and the tail was cut (and set aside)
// before the refusal.
TEST(JournalTest, DataLossLeavesTheFilesAsTheyWere) {
  ScratchDir tmp;
  const std::string dir = tmp.Sub("j");
  {
    std::unique_ptr<EventStore> store = MustOpen(dir);
    for (int i = 1; i <= 5; ++i) ASSERT_TRUE(store->Append(RecordText(i)).ok());
    ASSERT_TRUE(store->WriteSnapshot("s3", 3).ok());  // segment 6 starts
  }
  ASSERT_TRUE(
      std::filesystem::remove(absl::StrCat(dir, "/", internal::SegmentFileName(6))));
  const std::string first = absl::StrCat(dir, "/", internal::SegmentFileName(1));
  const std::string whole = ReadFileOrDie(first);
  // Cut 5 bytes into record 3 (where it starts: the size of a journal of records 1
  // and 2 alone).
  WriteRecords(tmp.Sub("two"), 2);
  const std::string two = ReadFileOrDie(OnlySegment(tmp.Sub("two")));
  ASSERT_EQ(whole.compare(0, two.size(), two), 0);
  const std::string cut = whole.substr(0, two.size() + 5);
  WriteFileOrDie(first, cut);
  const std::vector<std::string> before = FilesWithPrefix(dir, "");
  absl::StatusOr<std::unique_ptr<EventStore>> store =
      OpenJournal(dir, OptionsWith(kNone));
  EXPECT_EQ(store.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(store.status().message(), HasSubstr("covers through 3"));
  EXPECT_EQ(FilesWithPrefix(dir, ""), before);  // nothing set aside
  EXPECT_EQ(ReadFileOrDie(first), cut);         // nothing cut
}

TEST(JournalTest, TruncatedMiddleSegmentIsDataLoss) {
  ScratchDir tmp;
  const std::string dir = tmp.Sub("j");
  {
    std::unique_ptr<EventStore> store = MustOpen(dir);
    for (int i = 1; i <= 3; ++i) ASSERT_TRUE(store->Append(RecordText(i)).ok());
    ASSERT_TRUE(store->WriteSnapshot("s0", 0).ok());
    ASSERT_TRUE(store->Append(RecordText(4)).ok());
  }
  // A torn end is only a torn tail in the last segment.
  const std::string first = absl::StrCat(dir, "/", internal::SegmentFileName(1));
  std::filesystem::resize_file(first, std::filesystem::file_size(first) - 3);
  absl::StatusOr<std::unique_ptr<EventStore>> store =
      OpenJournal(dir, OptionsWith(kNone));
  EXPECT_EQ(store.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(store.status().message(), HasSubstr(first));
  EXPECT_THAT(store.status().message(), HasSubstr("record 3"));
}

TEST(JournalTest, AFileWhereTheDirectoryBelongsIsInvalidArgument) {
  ScratchDir tmp;
  const std::string file = tmp.Sub("plain_file");
  std::ofstream(file) << "not a journal";
  auto store = OpenJournal(file, JournalOptions());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kInvalidArgument) << store.status();
  EXPECT_THAT(store.status().message(), HasSubstr(file + ": not a directory"));
  // Below a file: no such directory can be made.
  store = OpenJournal(file + "/journal", JournalOptions());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kNotFound) << store.status();
}

TEST(JournalTest, RejectsBadOptionsAndOversizedRecords) {
  ScratchDir tmp;
  JournalOptions options;
  options.max_record_bytes = 0;
  EXPECT_EQ(OpenJournal(tmp.Sub("a"), options).status().code(),
            absl::StatusCode::kInvalidArgument);
  options.max_record_bytes = (size_t{64} << 20) + 1;
  EXPECT_EQ(OpenJournal(tmp.Sub("a"), options).status().code(),
            absl::StatusCode::kInvalidArgument);
  options.max_record_bytes = 10;
  options.sync = kNone;
  auto store = OpenJournal(tmp.Sub("b"), options);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ((*store)->Append(std::string(11, 'x')).status().code(),
            absl::StatusCode::kInvalidArgument);
  absl::StatusOr<uint64_t> sequence = (*store)->Append(std::string(10, 'x'));
  ASSERT_TRUE(sequence.ok());
  EXPECT_EQ(*sequence, 1u);  // the rejected record took no number
}

TEST(JournalTest, SecondOpenOfTheSameDirectoryIsRefused) {
  ScratchDir tmp;
  std::unique_ptr<EventStore> first = MustOpen(tmp.Sub("j"));
  ASSERT_NE(first, nullptr);
  absl::StatusOr<std::unique_ptr<EventStore>> second =
      OpenJournal(tmp.Sub("j"), OptionsWith(kNone));
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(second.status().message(), HasSubstr("already open"));
  first.reset();
  EXPECT_TRUE(OpenJournal(tmp.Sub("j"), OptionsWith(kNone)).ok());
}

TEST(JournalTest, OpenOnAFileIsAnError) {
  ScratchDir tmp;
  WriteFileOrDie(tmp.Sub("file"), "not a directory");
  EXPECT_FALSE(OpenJournal(tmp.Sub("file"), OptionsWith(kNone)).ok());
}

// A write that fails (here: the file size limit, EFBIG) makes the store refuse further
// writes; what was acknowledged before is intact and the journal reopens. The limit
// applies to the whole process, so this runs in a child.
// Under kGroupCommit the failed write happens in WaitDurable (inside Append here).
void CheckFailedWriteIsStickyAndReopenRecovers(JournalOptions::Sync sync) {
  ScratchDir tmp;
  const std::string dir = tmp.Sub("j");
  { ASSERT_NE(MustOpen(dir), nullptr); }  // create it before the limit applies
  const std::string record(1000, 'r');
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(fds[0]);
    ::signal(SIGXFSZ, SIG_IGN);
    struct rlimit limit = {20000, 20000};
    if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) ::_exit(10);
    auto store = OpenJournal(dir, OptionsWith(sync));
    if (!store.ok()) ::_exit(11);
    uint32_t acked = 0;
    absl::Status error;
    for (int i = 0; i < 100; ++i) {
      absl::StatusOr<uint64_t> sequence = (*store)->Append(record);
      if (!sequence.ok()) {
        error = sequence.status();
        break;
      }
      acked = static_cast<uint32_t>(*sequence);
    }
    if (error.code() != absl::StatusCode::kResourceExhausted) ::_exit(12);
    if ((*store)->Append("x").status().code() != absl::StatusCode::kFailedPrecondition) {
      ::_exit(13);
    }
    if ((*store)->WriteSnapshot("s", 1).code() != absl::StatusCode::kFailedPrecondition) {
      ::_exit(14);
    }
    auto replayed = ReplayAll(**store);
    if (!replayed.ok() || replayed->records.size() != acked) ::_exit(15);
    if (::write(fds[1], &acked, sizeof(acked)) != sizeof(acked)) ::_exit(16);
    ::_exit(0);
  }
  ::close(fds[1]);
  uint32_t acked = 0;
  const ssize_t got = ::read(fds[0], &acked, sizeof(acked));
  ::close(fds[0]);
  int wstatus = 0;
  ASSERT_EQ(::waitpid(pid, &wstatus, 0), pid);
  ASSERT_TRUE(WIFEXITED(wstatus));
  ASSERT_EQ(WEXITSTATUS(wstatus), 0) << "child check failed";
  ASSERT_EQ(got, static_cast<ssize_t>(sizeof(acked)));
  EXPECT_GT(acked, 5u);

  std::unique_ptr<EventStore> store = MustOpen(dir);
  ASSERT_NE(store, nullptr);
  auto replayed = ReplayAll(*store);
  ASSERT_TRUE(replayed.ok()) << replayed.status();
  ASSERT_EQ(replayed->records.size(), acked);  // the partial record was a torn tail
  for (const Rec& r : replayed->records) ASSERT_EQ(r.second, record);
  absl::StatusOr<uint64_t> sequence = store->Append("after reopen");
  ASSERT_TRUE(sequence.ok()) << sequence.status();
  EXPECT_EQ(*sequence, acked + 1);
}

// Writes records 1..3 to a new journal in `dir`, then a 3,000-byte record whose last
// 10 bytes are cut off: a torn tail at *tail_at of *segment, whose bytes are *bytes.
void WriteJournalWithATornTail(const std::string& dir, std::string* segment,
                               size_t* tail_at, std::string* bytes) {
  WriteRecords(dir, 3);
  *segment = OnlySegment(dir);
  *tail_at = std::filesystem::file_size(*segment);
  {
    std::unique_ptr<EventStore> store = MustOpen(dir);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Append(std::string(3000, 't')).ok());
  }
  *bytes = ReadFileOrDie(*segment);
  bytes->resize(bytes->size() - 10);  // the last record runs past the end: torn
  WriteFileOrDie(*segment, *bytes);
}

// Runs `child` in a forked process whose file size limit is 1,000 bytes, less than
// the torn tail above (SIGXFSZ ignored: a write past the limit fails with EFBIG,
// kResourceExhausted as for a full disk), and expects it to return 0: the limit is
// the whole process's. 10 is a limit that could not be set; LiftFileSizeLimit()
// gives room again.
template <typename Child>
void RunWithLittleRoom(Child child) {
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::signal(SIGXFSZ, SIG_IGN);
    struct rlimit limit = {1000, RLIM_INFINITY};  // room for less than the tail
    if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) ::_exit(10);
    ::_exit(child());
  }
  int wstatus = 0;
  ASSERT_EQ(::waitpid(pid, &wstatus, 0), pid);
  ASSERT_TRUE(WIFEXITED(wstatus));
  ASSERT_EQ(WEXITSTATUS(wstatus), 0) << "child check failed";
}

bool LiftFileSizeLimit() {
  struct rlimit limit = {RLIM_INFINITY, RLIM_INFINITY};
  return ::setrlimit(RLIMIT_FSIZE, &limit) == 0;
}

// A torn tail that cannot be copied aside for want of room (here the file size limit,
// EFBIG, below the tail's size; a full disk gives ENOSPC, the same
// kResourceExhausted) no longer keeps the journal from opening: the records before it
// are read, and the first write copies the tail aside and cuts it before writing, or
// fails while there is still no room. In a child: the limit is the process's.
void CheckTornTailWithNoRoomToSetItAsideOpens(JournalOptions::Sync sync,
                                              bool room_at_first_write) {
  ScratchDir tmp;
  const std::string dir = tmp.Sub("j");
  std::string segment, bytes;
  size_t tail_at = 0;
  ASSERT_NO_FATAL_FAILURE(WriteJournalWithATornTail(dir, &segment, &tail_at, &bytes));
  ASSERT_NO_FATAL_FAILURE(RunWithLittleRoom([&] {
    auto store = OpenJournal(dir, OptionsWith(sync));
    if (!store.ok()) return 11;
    auto replayed = ReplayAll(**store);
    if (!replayed.ok() || replayed->records != ExpectedRecords(1, 3)) return 12;
    if (std::filesystem::file_size(segment) != bytes.size()) return 13;
    if (!room_at_first_write) {
      if ((*store)->Append("x").status().code() != absl::StatusCode::kResourceExhausted) {
        return 14;
      }
      if (std::filesystem::file_size(segment) != bytes.size()) return 15;
      return 0;
    }
    if (!LiftFileSizeLimit()) return 16;
    absl::StatusOr<uint64_t> sequence = (*store)->Append(RecordText(4));
    if (!sequence.ok() || *sequence != 4) return 17;
    replayed = ReplayAll(**store);
    if (!replayed.ok() || replayed->records != ExpectedRecords(1, 4)) return 18;
    return 0;
  }));
  std::unique_ptr<EventStore> store = MustOpen(dir, sync);
  ASSERT_NE(store, nullptr);
  // Set aside whole, never lost: by the first write, or by this open.
  EXPECT_TRUE(ReadFileOrDie(absl::StrCat(segment, ".torn-at-", tail_at)) ==
              bytes.substr(tail_at));
  EXPECT_EQ(
      std::filesystem::file_size(segment),
      tail_at +
          (room_at_first_write ? internal::kFrameHeaderBytes + RecordText(4).size() : 0));
  auto replayed = ReplayAll(*store);
  ASSERT_TRUE(replayed.ok()) << replayed.status();
  EXPECT_EQ(replayed->records, ExpectedRecords(1, room_at_first_write ? 4 : 3));
}

TEST(JournalTest, TornTailWithNoRoomToSetItAsideOpens) {
  for (JournalOptions::Sync sync :
       {JournalOptions::Sync::kEveryAppend, JournalOptions::Sync::kGroupCommit}) {
    for (bool room : {false, true}) {
      SCOPED_TRACE(absl::StrCat(static_cast<int>(sync), room ? " room" : " no room"));
      CheckTornTailWithNoRoomToSetItAsideOpens(sync, room);
    }
  }
}

// The same tail when a snapshot comes first: the roll to a new segment copies the tail
// aside and cuts it before the segment stops being the last one (only the last may end
// in a torn tail), or fails and leaves everything as it was while there is no room.
TEST(JournalTest, TornTailWithNoRoomToSetItAsideIsCutBeforeASnapshotsRoll) {
  for (JournalOptions::Sync sync :
       {JournalOptions::Sync::kEveryAppend, JournalOptions::Sync::kGroupCommit}) {
    SCOPED_TRACE(static_cast<int>(sync));
    ScratchDir tmp;
    const std::string dir = tmp.Sub("j");
    std::string segment, bytes;
    size_t tail_at = 0;
    ASSERT_NO_FATAL_FAILURE(WriteJournalWithATornTail(dir, &segment, &tail_at, &bytes));
    ASSERT_NO_FATAL_FAILURE(RunWithLittleRoom([&] {
      auto store = OpenJournal(dir, OptionsWith(sync));
      if (!store.ok()) return 11;
      if ((*store)->WriteSnapshot("through 2", 2).code() !=
          absl::StatusCode::kResourceExhausted) {
        return 12;
      }
      if (std::filesystem::file_size(segment) != bytes.size()) return 13;
      if (FilesWithPrefix(dir, "journal-").size() != 1) return 14;  // no roll
      if (!LiftFileSizeLimit()) return 15;
      if (!(*store)->WriteSnapshot("through 2", 2).ok()) return 16;
      if (std::filesystem::file_size(segment) != tail_at) return 17;
      absl::StatusOr<uint64_t> sequence = (*store)->Append(RecordText(4));
      if (!sequence.ok() || *sequence != 4) return 18;
      return 0;
    }));
    EXPECT_TRUE(ReadFileOrDie(absl::StrCat(segment, ".torn-at-", tail_at)) ==
                bytes.substr(tail_at));
    std::unique_ptr<EventStore> store = MustOpen(dir, sync);
    ASSERT_NE(store, nullptr);
    auto replayed = ReplayAll(*store);
    ASSERT_TRUE(replayed.ok()) << replayed.status();
    EXPECT_EQ(replayed->snapshot, "through 2");
    EXPECT_EQ(replayed->records, ExpectedRecords(3, 4));
    EXPECT_EQ(std::filesystem::file_size(segment), tail_at);  // kept, cut
  }
}

// A sync that fails after the write (a failing disk) leaves the record in the file,
// where a reopen finds it: the record was started, so StartAppend returns its
// sequence and WaitDurable the error (under kEveryAppend it used to be StartAppend's
// error, which says nothing was started: a registry then kept a change out of memory
// that reopening applied). The journal is failed from then on.
TEST(JournalTest, FailedSyncAfterTheWriteStartsTheRecordAndFailsItsWait) {
  for (const JournalOptions::Sync sync :
       {JournalOptions::Sync::kEveryAppend, JournalOptions::Sync::kGroupCommit}) {
    SCOPED_TRACE(static_cast<int>(sync));
    ScratchDir tmp;
    const std::string dir = tmp.Sub("j");
    {
      std::unique_ptr<EventStore> store = MustOpen(dir, sync);
      ASSERT_NE(store, nullptr);
      ASSERT_TRUE(store->Append(RecordText(1)).ok());
      internal::JournalFailSyncsForTesting() = true;
      absl::StatusOr<uint64_t> started = store->StartAppend(RecordText(2));
      ASSERT_TRUE(started.ok()) << started.status();
      EXPECT_EQ(*started, 2u);
      const absl::Status waited = store->WaitDurable(*started);
      internal::JournalFailSyncsForTesting() = false;
      EXPECT_FALSE(waited.ok());
      EXPECT_THAT(waited.message(), HasSubstr("fdatasync"));
      EXPECT_FALSE(store->Append(RecordText(3)).ok());  // failed from then on
    }
    std::unique_ptr<EventStore> reopened = MustOpen(dir, sync);
    ASSERT_NE(reopened, nullptr);
    absl::StatusOr<testing_internal::Replayed> replayed = ReplayAll(*reopened);
    ASSERT_TRUE(replayed.ok()) << replayed.status();
    EXPECT_EQ(replayed->records, ExpectedRecords(1, 2));
  }
}

TEST(JournalTest, FailedWriteIsStickyAndReopenRecovers) {
  CheckFailedWriteIsStickyAndReopenRecovers(JournalOptions::Sync::kEveryAppend);
}

TEST(JournalTest, FailedGroupCommitWriteIsStickyAndReopenRecovers) {
  CheckFailedWriteIsStickyAndReopenRecovers(JournalOptions::Sync::kGroupCommit);
}

// Two-phase append under kGroupCommit: started records are not durable (not replayed,
// not snapshottable) until a WaitDurable, and one WaitDurable of the last writes and
// syncs them all at once.
TEST(JournalTest, StartedRecordsBecomeDurableTogetherOnOneSync) {
  ScratchDir tmp;
  const std::string dir = tmp.Sub("j");
  std::unique_ptr<EventStore> store = MustOpen(dir, JournalOptions::Sync::kGroupCommit);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Append("first").ok());
  const uint64_t syncs = *internal::JournalAppendSyncs(*store);
  for (int i = 2; i <= 4; ++i) {
    absl::StatusOr<uint64_t> sequence = store->StartAppend(RecordText(i));
    ASSERT_TRUE(sequence.ok()) << sequence.status();
    EXPECT_EQ(*sequence, static_cast<uint64_t>(i));
  }
  EXPECT_EQ(*internal::JournalAppendSyncs(*store), syncs);
  auto replayed = ReplayAll(*store);
  ASSERT_TRUE(replayed.ok()) << replayed.status();
  EXPECT_EQ(replayed->records.size(), 1u);
  EXPECT_EQ(store->WriteSnapshot("s", 2).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store->WaitDurable(5).code(), absl::StatusCode::kInvalidArgument);

  ASSERT_TRUE(store->WaitDurable(4).ok());
  EXPECT_EQ(*internal::JournalAppendSyncs(*store), syncs + 1);
  ASSERT_TRUE(store->WaitDurable(2).ok());  // already covered: no new sync
  EXPECT_EQ(*internal::JournalAppendSyncs(*store), syncs + 1);
  store.reset();
  store = MustOpen(dir, JournalOptions::Sync::kGroupCommit);
  ASSERT_NE(store, nullptr);
  replayed = ReplayAll(*store);
  ASSERT_TRUE(replayed.ok()) << replayed.status();
  ASSERT_EQ(replayed->records.size(), 4u);
  EXPECT_EQ(replayed->records[3], Rec(4, RecordText(4)));
}

// Under the other policies StartAppend is a whole Append and WaitDurable returns at
// once; the memory store (and any store without a two-phase append) does the same.
TEST(JournalTest, StartAppendIsDurableAtOnceWithoutGroupCommit) {
  ScratchDir tmp;
  for (JournalOptions::Sync sync :
       {JournalOptions::Sync::kEveryAppend, JournalOptions::Sync::kNone}) {
    const std::string dir = tmp.Sub(sync == kNone ? "none" : "every");
    std::unique_ptr<EventStore> store = MustOpen(dir, sync);
    ASSERT_NE(store, nullptr);
    absl::StatusOr<uint64_t> sequence = store->StartAppend("only");
    ASSERT_TRUE(sequence.ok()) << sequence.status();
    EXPECT_EQ(*internal::JournalAppendSyncs(*store), sync == kNone ? 0u : 1u);
    auto replayed = ReplayAll(*store);
    ASSERT_TRUE(replayed.ok()) << replayed.status();
    EXPECT_EQ(replayed->records.size(), 1u);
    EXPECT_TRUE(store->WaitDurable(*sequence).ok());
  }
  std::unique_ptr<EventStore> memory = NewMemoryEventStore();
  absl::StatusOr<uint64_t> sequence = memory->StartAppend("m");
  ASSERT_TRUE(sequence.ok());
  EXPECT_TRUE(memory->WaitDurable(*sequence).ok());
  EXPECT_EQ(internal::JournalAppendSyncs(*memory), std::nullopt);
}

}  // namespace
}  // namespace groupguard
