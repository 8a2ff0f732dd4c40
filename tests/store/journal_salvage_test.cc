// SalvageJournal: what a journal that OpenJournal refuses becomes, what is set aside,
// and that a dry run changes nothing.

#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <map>
#include <memory>
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
#include "store_test_util.h"

namespace groupguard {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing_internal::FilesWithPrefix;
using testing_internal::OptionsWith;
using testing_internal::ReadFileOrDie;
using testing_internal::ReplayAll;
using testing_internal::ScratchDir;
using testing_internal::WriteFileOrDie;
using Rec = std::pair<uint64_t, std::string>;

constexpr JournalOptions::Sync kNone = JournalOptions::Sync::kNone;

std::string RecordText(int i) { return absl::StrCat("record ", i, std::string(i, '.')); }

std::vector<Rec> ExpectedRecords(int from, int to) {
  std::vector<Rec> out;
  for (int i = from; i <= to; ++i) out.emplace_back(i, RecordText(i));
  return out;
}

std::unique_ptr<EventStore> MustOpen(const std::string& dir) {
  absl::StatusOr<std::unique_ptr<EventStore>> store =
      OpenJournal(dir, OptionsWith(kNone));
  EXPECT_TRUE(store.ok()) << store.status();
  return store.ok() ? *std::move(store) : nullptr;
}

void Append(EventStore& store, int from, int to) {
  for (int i = from; i <= to; ++i) {
    absl::StatusOr<uint64_t> sequence = store.Append(RecordText(i));
    ASSERT_TRUE(sequence.ok()) << sequence.status();
    ASSERT_EQ(*sequence, static_cast<uint64_t>(i));
  }
}

std::string SegmentPath(const std::string& dir, uint64_t first) {
  return absl::StrCat(dir, "/", internal::SegmentFileName(first));
}

// Offset of record `n` (1-based) in a segment that starts at record `first`.
size_t RecordOffset(int first, int n) {
  size_t at = internal::kSegmentHeaderBytes;
  for (int i = first; i < n; ++i)
    at += internal::kFrameHeaderBytes + RecordText(i).size();
  return at;
}

// Every file in `dir` with its contents.
std::map<std::string, std::string> Contents(const std::string& dir) {
  std::map<std::string, std::string> out;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    out[entry.path().filename().string()] = ReadFileOrDie(entry.path().string());
  }
  return out;
}

absl::StatusOr<JournalSalvageReport> Salvage(const std::string& dir,
                                             uint64_t drop_from = 0,
                                             bool dry_run = false) {
  JournalSalvageOptions options;
  options.drop_from = drop_from;
  options.dry_run = dry_run;
  options.sync = false;
  return SalvageJournal(dir, options);
}

// The journal opens with exactly `snapshot` through `through` and records
// `through + 1 .. last`, and its next record gets number last + 1.
void ExpectHistory(const std::string& dir, const std::string& snapshot, uint64_t through,
                   int last) {
  std::unique_ptr<EventStore> store = MustOpen(dir);
  ASSERT_NE(store, nullptr);
  absl::StatusOr<testing_internal::Replayed> replayed = ReplayAll(*store);
  ASSERT_TRUE(replayed.ok()) << replayed.status();
  EXPECT_EQ(replayed->snapshot, snapshot);
  EXPECT_EQ(replayed->through, through);
  EXPECT_EQ(replayed->records, ExpectedRecords(static_cast<int>(through) + 1, last));
  absl::StatusOr<uint64_t> next = store->Append("after the salvage");
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(*next, static_cast<uint64_t>(last) + 1);
}

TEST(JournalSalvageTest, AnIntactJournalIsLeftAsItIs) {
  ScratchDir tmp;
  const std::string dir = tmp.Sub("j");
  {
    std::unique_ptr<EventStore> store = MustOpen(dir);
    Append(*store, 1, 5);
  }
  const auto before = Contents(dir);
  absl::StatusOr<JournalSalvageReport> report = Salvage(dir);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_FALSE(report->changed);
  EXPECT_EQ(report->damage, "");
  EXPECT_EQ(report->kept_through, 5u);
  EXPECT_EQ(report->last_seen, 5u);
  EXPECT_EQ(report->torn_tail, "");
  EXPECT_THAT(report->set_aside, IsEmpty());
  EXPECT_EQ(Contents(dir), before);
  ExpectHistory(dir, "", 0, 5);
}

// What a power loss in the middle of an unsynced batch can leave: zeros where record
// 3 was, then records 4 and 5. OpenJournal refuses it; the salvage keeps 1 and 2.
TEST(JournalSalvageTest, ZerosFollowedByRecordsAreCutAtTheZeros) {
  ScratchDir tmp;
  const std::string dir = tmp.Sub("j");
  {
    std::unique_ptr<EventStore> store = MustOpen(dir);
    Append(*store, 1, 5);
  }
  const std::string segment = SegmentPath(dir, 1);
  std::string bytes = ReadFileOrDie(segment);
  const size_t start = RecordOffset(1, 3);
  for (size_t at = start; at < RecordOffset(1, 4); ++at) bytes[at] = '\0';
  WriteFileOrDie(segment, bytes);
  ASSERT_EQ(OpenJournal(dir, OptionsWith(kNone)).status().code(),
            absl::StatusCode::kDataLoss);

  // A dry run says what would happen and changes nothing.
  const auto before = Contents(dir);
  absl::StatusOr<JournalSalvageReport> dry = Salvage(dir, 0, /*dry_run=*/true);
  ASSERT_TRUE(dry.ok()) << dry.status();
  EXPECT_EQ(Contents(dir), before);
  EXPECT_TRUE(dry->changed);
  EXPECT_THAT(dry->damage, HasSubstr(absl::StrCat(segment, ": offset ", start, ":")));
  EXPECT_THAT(dry->damage, HasSubstr("record 3"));
  EXPECT_EQ(dry->kept_through, 2u);
  EXPECT_THAT(dry->set_aside, ElementsAre(absl::StrCat(segment, ".cut-at-", start)));
  EXPECT_EQ(dry->bytes_set_aside, bytes.size() - start);
  EXPECT_TRUE(dry->lost_past_damage);

  absl::StatusOr<JournalSalvageReport> report = Salvage(dir);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->kept_through, dry->kept_through);
  EXPECT_EQ(report->set_aside, dry->set_aside);
  // The bytes cut away are all kept, and the segment is what was before them.
  EXPECT_EQ(ReadFileOrDie(report->set_aside[0]), bytes.substr(start));
  EXPECT_EQ(ReadFileOrDie(segment), bytes.substr(0, start));
  ExpectHistory(dir, "", 0, 2);

  // Nothing left to do.
  report = Salvage(dir);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_FALSE(report->changed);
}

// OnDamage::kSalvage: the same journal opens at once, salvaged as above, the report
// going to on_salvage; an intact journal opens without a call, and the default still
// refuses.
TEST(JournalSalvageTest, OpenJournalSalvagesWhenAskedTo) {
  ScratchDir tmp;
  const std::string dir = tmp.Sub("j");
  JournalOptions options = OptionsWith(kNone);
  options.on_damage = JournalOptions::OnDamage::kSalvage;
  std::vector<JournalSalvageReport> reports;
  options.on_salvage = [&](const JournalSalvageReport& r) { reports.push_back(r); };
  {
    absl::StatusOr<std::unique_ptr<EventStore>> store = OpenJournal(dir, options);
    ASSERT_TRUE(store.ok()) << store.status();
    Append(**store, 1, 5);
  }
  EXPECT_THAT(reports, IsEmpty());
  const std::string segment = SegmentPath(dir, 1);
  std::string bytes = ReadFileOrDie(segment);
  const size_t start = RecordOffset(1, 3);
  for (size_t at = start; at < RecordOffset(1, 4); ++at) bytes[at] = '\0';
  WriteFileOrDie(segment, bytes);
  ASSERT_EQ(OpenJournal(dir, OptionsWith(kNone)).status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(ReadFileOrDie(segment), bytes);

  {
    absl::StatusOr<std::unique_ptr<EventStore>> store = OpenJournal(dir, options);
    ASSERT_TRUE(store.ok()) << store.status();
    // Held open: the salvage ran under the store's own lock, which it still holds.
    EXPECT_EQ(OpenJournal(dir, options).status().code(),
              absl::StatusCode::kFailedPrecondition);
    absl::StatusOr<testing_internal::Replayed> replayed = ReplayAll(**store);
    ASSERT_TRUE(replayed.ok()) << replayed.status();
    EXPECT_EQ(replayed->records, ExpectedRecords(1, 2));
  }
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_THAT(reports[0].damage, HasSubstr(absl::StrCat(segment, ": offset ", start)));
  EXPECT_EQ(reports[0].kept_through, 2u);
  EXPECT_THAT(reports[0].set_aside,
              ElementsAre(absl::StrCat(segment, ".cut-at-", start)));
  EXPECT_EQ(ReadFileOrDie(reports[0].set_aside[0]), bytes.substr(start));
  ExpectHistory(dir, "", 0, 2);

  // Damage a salvage cannot get past, a newer format version, is refused as before.
  std::string newer = ReadFileOrDie(segment);
  newer[9] = 1;  // version 257
  WriteFileOrDie(segment, newer);
  EXPECT_EQ(OpenJournal(dir, options).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(reports.size(), 1u);
  options.on_damage = static_cast<JournalOptions::OnDamage>(7);
  EXPECT_EQ(OpenJournal(dir, options).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// A torn tail at the end of the last segment (what a crash mid-append leaves) is
// not damage: OpenJournal cuts it itself, keeping its bytes aside. A check says the
// journal opens as it is, and where the torn tail is (the history ends before it),
// and a salvage leaves it to OpenJournal.
TEST(JournalSalvageTest, ATornTailIsLeftToOpenJournal) {
  ScratchDir tmp;
  const std::string dir = tmp.Sub("j");
  {
    std::unique_ptr<EventStore> store = MustOpen(dir);
    Append(*store, 1, 5);
  }
  const std::string segment = SegmentPath(dir, 1);
  const std::string full = ReadFileOrDie(segment);
  for (const std::string& torn :
       {full.substr(0, full.size() - 3),                             // record 5 partial
        full.substr(0, RecordOffset(1, 5)) + std::string(40, '\0'),  // zeros
        full.substr(0, RecordOffset(1, 5) + 4)}) {                   // partial header
    SCOPED_TRACE(torn.size());
    WriteFileOrDie(segment, torn);
    for (const std::string& name : FilesWithPrefix(dir, "journal-")) {
      if (name != internal::SegmentFileName(1)) {
        std::filesystem::remove(absl::StrCat(dir, "/", name));
      }
    }
    const auto before = Contents(dir);
    for (bool dry_run : {true, false}) {
      absl::StatusOr<JournalSalvageReport> report = Salvage(dir, 0, dry_run);
      ASSERT_TRUE(report.ok()) << report.status();
      EXPECT_FALSE(report->changed);
      EXPECT_EQ(report->damage, "");
      EXPECT_EQ(report->kept_through, 4u);
      EXPECT_EQ(report->torn_tail, absl::StrCat(segment, ": offset ", RecordOffset(1, 5),
                                                ": ", torn.size() - RecordOffset(1, 5),
                                                " bytes after the last whole record"));
      EXPECT_THAT(report->set_aside, IsEmpty());
      EXPECT_EQ(Contents(dir), before);
    }
    ExpectHistory(dir, "", 0, 4);
  }
}

TEST(JournalSalvageTest, AnyFlippedByteOfAMiddleRecordKeepsTheRecordsBeforeIt) {
  ScratchDir tmp;
  const std::string original = tmp.Sub("original");
  {
    std::unique_ptr<EventStore> store = MustOpen(original);
    Append(*store, 1, 5);
  }
  const std::string full = ReadFileOrDie(SegmentPath(original, 1));
  for (size_t at = RecordOffset(1, 3); at < RecordOffset(1, 4); ++at) {
    SCOPED_TRACE(absl::StrCat("flipped byte ", at));
    const std::string dir = tmp.Sub("flipped");
    std::filesystem::remove_all(dir);
    std::filesystem::copy(original, dir);
    std::string bytes = full;
    bytes[at] ^= 0x01;
    WriteFileOrDie(SegmentPath(dir, 1), bytes);
    absl::StatusOr<JournalSalvageReport> report = Salvage(dir);
    ASSERT_TRUE(report.ok()) << report.status();
    EXPECT_EQ(report->kept_through, 2u);
    ExpectHistory(dir, "", 0, 2);
  }
}

// Segment 1 holds records 1..6 and the snapshot covers 1..3 (a snapshot starts a new
// segment, 7, but leaves the records after it where they are).
void WriteRecordsAroundASnapshot(const std::string& dir) {
  std::unique_ptr<EventStore> store = MustOpen(dir);
  Append(*store, 1, 6);
  ASSERT_TRUE(store->WriteSnapshot("through 3", 3).ok());
}

// Flips the first payload byte of each of `records` in `dir`'s segment 1.
void DamageRecords(const std::string& dir, std::initializer_list<int> records) {
  std::string bytes = ReadFileOrDie(SegmentPath(dir, 1));
  for (int n : records) bytes[RecordOffset(1, n) + internal::kFrameHeaderBytes] ^= 0x01;
  WriteFileOrDie(SegmentPath(dir, 1), bytes);
}

// Damage among the records the snapshot includes, or in their segment's header, hides
// nothing the history needs: the salvage finds record 4 past it and keeps 4..6.
TEST(JournalSalvageTest, DamageBeforeTheRecordsAfterTheSnapshotIsSteppedOver) {
  ScratchDir tmp;
  const std::string original = tmp.Sub("original");
  WriteRecordsAroundASnapshot(original);
  const std::string full = ReadFileOrDie(SegmentPath(original, 1));
  for (size_t at = 0; at < RecordOffset(1, 4); ++at) {
    // A flipped bit in the format version's upper bytes reads as a newer format
    // (kFailedPrecondition), which the salvage does not touch.
    if (at >= 9 && at < 12) continue;
    SCOPED_TRACE(absl::StrCat("flipped byte ", at));
    const std::string dir = tmp.Sub("flipped");
    std::filesystem::remove_all(dir);
    std::filesystem::copy(original, dir);
    std::string bytes = full;
    bytes[at] ^= 0x01;
    WriteFileOrDie(SegmentPath(dir, 1), bytes);
    ASSERT_EQ(OpenJournal(dir, OptionsWith(kNone)).status().code(),
              absl::StatusCode::kDataLoss);

    const auto before = Contents(dir);
    absl::StatusOr<JournalSalvageReport> dry = Salvage(dir, 0, /*dry_run=*/true);
    ASSERT_TRUE(dry.ok()) << dry.status();
    EXPECT_EQ(Contents(dir), before);
    absl::StatusOr<JournalSalvageReport> report = Salvage(dir);
    ASSERT_TRUE(report.ok()) << report.status();
    EXPECT_TRUE(report->changed);
    EXPECT_THAT(report->stepped_over, HasSubstr(SegmentPath(dir, 1)));
    EXPECT_EQ(report->damage, "");
    EXPECT_EQ(report->snapshot_through, 3u);
    EXPECT_EQ(report->kept_through, 6u);
    EXPECT_EQ(report->last_seen, 6u);
    EXPECT_THAT(report->set_aside,
                ElementsAre(absl::StrCat(SegmentPath(dir, 1), ".set-aside")));
    EXPECT_EQ(report->bytes_set_aside, full.size());
    EXPECT_EQ(dry->stepped_over, report->stepped_over);
    EXPECT_EQ(dry->kept_through, report->kept_through);
    EXPECT_EQ(dry->set_aside, report->set_aside);
    // The damaged segment is kept whole; the new one holds records 4..6.
    EXPECT_EQ(ReadFileOrDie(report->set_aside[0]), bytes);
    EXPECT_EQ(ReadFileOrDie(SegmentPath(dir, 4)).size(),
              internal::kSegmentHeaderBytes + full.size() - RecordOffset(1, 4));
    ExpectHistory(dir, "through 3", 3, 6);
  }
}

// Stepped-over damage in a segment that also ends in a torn tail: the records past
// the damage are copied out up to the tail, and the segment set aside whole, so no
// torn tail is left for OpenJournal to cut, and the report names none.
TEST(JournalSalvageTest, ATornTailCopiedPastSteppedOverDamageIsNotNamed) {
  ScratchDir tmp;
  const std::string dir = tmp.Sub("j");
  WriteRecordsAroundASnapshot(dir);
  // The empty segment the snapshot began goes, so that segment 1 is the last.
  ASSERT_TRUE(std::filesystem::remove(SegmentPath(dir, 7)));
  std::string bytes = ReadFileOrDie(SegmentPath(dir, 1));
  bytes[RecordOffset(1, 2) + 20] ^= 0x01;  // record 2, before the snapshot's end
  bytes.resize(bytes.size() - 3);          // record 6 cut short
  WriteFileOrDie(SegmentPath(dir, 1), bytes);
  for (bool dry_run : {true, false}) {
    absl::StatusOr<JournalSalvageReport> report = Salvage(dir, 0, dry_run);
    ASSERT_TRUE(report.ok()) << report.status();
    EXPECT_THAT(report->stepped_over, HasSubstr(SegmentPath(dir, 1)));
    EXPECT_EQ(report->kept_through, 5u);
    EXPECT_EQ(report->torn_tail, "");
  }
  EXPECT_THAT(FilesWithPrefix(dir, internal::SegmentFileName(1)),
              ElementsAre(internal::SegmentFileName(1) + ".set-aside"));
  ExpectHistory(dir, "through 3", 3, 5);
  for (const std::string& name : FilesWithPrefix(dir, "journal-")) {
    EXPECT_THAT(name, Not(HasSubstr(".torn-at-")));
  }
}

// With no snapshot, only the first segment's header lies before record 1: a damaged
// one is replaced, under the same name, and the whole history kept.
TEST(JournalSalvageTest, ADamagedFirstSegmentHeaderIsReplaced) {
  ScratchDir tmp;
  const std::string dir = tmp.Sub("j");
  {
    std::unique_ptr<EventStore> store = MustOpen(dir);
    Append(*store, 1, 3);
  }
  std::string bytes = ReadFileOrDie(SegmentPath(dir, 1));
  const std::string records = bytes.substr(internal::kSegmentHeaderBytes);
  bytes[0] ^= 0x01;
  WriteFileOrDie(SegmentPath(dir, 1), bytes);

  absl::StatusOr<JournalSalvageReport> report = Salvage(dir);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_THAT(report->stepped_over, HasSubstr("bad magic"));
  EXPECT_EQ(report->damage, "");
  EXPECT_EQ(report->kept_through, 3u);
  EXPECT_THAT(report->set_aside,
              ElementsAre(absl::StrCat(SegmentPath(dir, 1), ".set-aside")));
  EXPECT_EQ(ReadFileOrDie(report->set_aside[0]), bytes);
  EXPECT_EQ(ReadFileOrDie(SegmentPath(dir, 1)),
            internal::EncodeSegmentHeader(1) + records);
  ExpectHistory(dir, "", 0, 3);
}

// Past the stepped-over damage the salvage goes on as anywhere else: damage in
// record 5 ends the history at 4, and the segments after it are set aside.
TEST(JournalSalvageTest, DamageAfterTheSteppedOverDamageEndsTheHistory) {
  ScratchDir tmp;
  const std::string dir = tmp.Sub("j");
  WriteRecordsAroundASnapshot(dir);
  DamageRecords(dir, {2, 5});

  absl::StatusOr<JournalSalvageReport> report = Salvage(dir);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_THAT(report->stepped_over,
              HasSubstr(absl::StrCat("offset ", RecordOffset(1, 2))));
  EXPECT_THAT(report->damage, HasSubstr(absl::StrCat("offset ", RecordOffset(1, 5))));
  EXPECT_EQ(report->kept_through, 4u);
  EXPECT_EQ(report->last_seen, 6u);  // segment 7's name says 6 came before it
  EXPECT_THAT(report->set_aside,
              ElementsAre(absl::StrCat(SegmentPath(dir, 1), ".set-aside"),
                          absl::StrCat(SegmentPath(dir, 7), ".set-aside")));
  EXPECT_TRUE(report->lost_past_damage);
  ExpectHistory(dir, "through 3", 3, 4);
}

// The same in the last segment: no later file counts what the damage hides, but the
// report says that records from 5 on were lost (the CLI's "how many unknown").
TEST(JournalSalvageTest, DamageAfterTheSteppedOverDamageInTheLastSegmentLosesRecords) {
  ScratchDir tmp;
  const std::string dir = tmp.Sub("j");
  WriteRecordsAroundASnapshot(dir);
  std::filesystem::remove(SegmentPath(dir, 7));
  DamageRecords(dir, {2, 5});

  absl::StatusOr<JournalSalvageReport> report = Salvage(dir);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_THAT(report->damage, HasSubstr(absl::StrCat("offset ", RecordOffset(1, 5))));
  EXPECT_EQ(report->kept_through, 4u);
  EXPECT_EQ(report->last_seen, 4u);  // nothing later names or holds 5 or 6
  EXPECT_TRUE(report->lost_past_damage);
  EXPECT_THAT(report->set_aside,
              ElementsAre(absl::StrCat(SegmentPath(dir, 1), ".set-aside")));
  ExpectHistory(dir, "through 3", 3, 4);
}

// Damage that hides the snapshot's next record too leaves nothing to step over to:
// the history ends at the snapshot, as for any damage.
TEST(JournalSalvageTest, DamageThatHidesTheRecordAfterTheSnapshotEndsTheHistoryThere) {
  ScratchDir tmp;
  const std::string dir = tmp.Sub("j");
  WriteRecordsAroundASnapshot(dir);
  DamageRecords(dir, {2, 4});

  absl::StatusOr<JournalSalvageReport> report = Salvage(dir);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->stepped_over, "");
  EXPECT_THAT(report->damage, HasSubstr(absl::StrCat("offset ", RecordOffset(1, 2))));
  EXPECT_EQ(report->kept_through, 3u);
  ExpectHistory(dir, "through 3", 3, 3);
}

// Segments 1 (records 1..3), 4 (4..6) and 7 (7): a damaged header or a missing
// segment ends the history before it; what comes after is set aside whole.
void WriteThreeSegments(const std::string& dir) {
  std::unique_ptr<EventStore> store = MustOpen(dir);
  Append(*store, 1, 3);
  ASSERT_TRUE(store->WriteSnapshot("s0", 0).ok());  // segment 4 starts
  Append(*store, 4, 6);
  ASSERT_TRUE(store->WriteSnapshot("s0 again", 0).ok());  // segment 7 starts
  Append(*store, 7, 7);
}

TEST(JournalSalvageTest, ADamagedSegmentHeaderSetsItAndLaterSegmentsAside) {
  ScratchDir tmp;
  const std::string dir = tmp.Sub("j");
  WriteThreeSegments(dir);
  ASSERT_THAT(FilesWithPrefix(dir, "journal-"),
              ElementsAre(internal::SegmentFileName(1), internal::SegmentFileName(4),
                          internal::SegmentFileName(7)));
  const std::string second = SegmentPath(dir, 4);
  const std::string third = SegmentPath(dir, 7);
  std::string bytes = ReadFileOrDie(second);
  bytes[20] ^= 0x40;  // its first sequence
  WriteFileOrDie(second, bytes);
  const std::string third_bytes = ReadFileOrDie(third);

  absl::StatusOr<JournalSalvageReport> report = Salvage(dir);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_THAT(report->damage, HasSubstr(second));
  EXPECT_EQ(report->kept_through, 3u);
  EXPECT_EQ(report->last_seen, 7u);
  EXPECT_THAT(report->set_aside, ElementsAre(absl::StrCat(second, ".set-aside"),
                                             absl::StrCat(third, ".set-aside")));
  EXPECT_EQ(ReadFileOrDie(absl::StrCat(second, ".set-aside")), bytes);
  EXPECT_EQ(ReadFileOrDie(absl::StrCat(third, ".set-aside")), third_bytes);
  ExpectHistory(dir, "s0 again", 0, 3);
}

// The same in the last segment: nothing later counts the records its damaged header
// hides, but the report says that records from 7 on were lost.
TEST(JournalSalvageTest, ADamagedHeaderOfTheLastSegmentLosesItsRecords) {
  ScratchDir tmp;
  const std::string dir = tmp.Sub("j");
  WriteThreeSegments(dir);
  const std::string third = SegmentPath(dir, 7);
  std::string bytes = ReadFileOrDie(third);
  bytes[20] ^= 0x40;  // its first sequence
  WriteFileOrDie(third, bytes);

  absl::StatusOr<JournalSalvageReport> report = Salvage(dir);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_THAT(report->damage, HasSubstr(third));
  EXPECT_EQ(report->kept_through, 6u);
  EXPECT_EQ(report->last_seen, 6u);  // the name says 6 came before it, no more
  EXPECT_TRUE(report->lost_past_damage);
  EXPECT_THAT(report->set_aside, ElementsAre(absl::StrCat(third, ".set-aside")));
  ExpectHistory(dir, "s0 again", 0, 6);

  // An empty last segment with a damaged header hid nothing.
  const std::string empty = tmp.Sub("empty");
  {
    std::unique_ptr<EventStore> store = MustOpen(empty);
    Append(*store, 1, 3);
    ASSERT_TRUE(store->WriteSnapshot("s0", 0).ok());  // segment 4 starts, empty
  }
  bytes = ReadFileOrDie(SegmentPath(empty, 4));
  ASSERT_EQ(bytes.size(), internal::kSegmentHeaderBytes);
  bytes[20] ^= 0x40;
  WriteFileOrDie(SegmentPath(empty, 4), bytes);
  report = Salvage(empty);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->kept_through, 3u);
  EXPECT_FALSE(report->lost_past_damage);
}

TEST(JournalSalvageTest, AMissingSegmentEndsTheHistoryBeforeIt) {
  ScratchDir tmp;
  const std::string dir = tmp.Sub("j");
  WriteThreeSegments(dir);
  std::filesystem::remove(SegmentPath(dir, 4));
  absl::StatusOr<JournalSalvageReport> report = Salvage(dir);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_THAT(report->damage, HasSubstr("starts at record 7"));
  EXPECT_EQ(report->kept_through, 3u);
  EXPECT_EQ(report->last_seen, 7u);
  EXPECT_THAT(report->set_aside,
              ElementsAre(absl::StrCat(SegmentPath(dir, 7), ".set-aside")));
  ExpectHistory(dir, "s0 again", 0, 3);
}

TEST(JournalSalvageTest, DropFromEndsTheHistoryBeforeThatRecord) {
  ScratchDir tmp;
  const std::string dir = tmp.Sub("j");
  WriteThreeSegments(dir);
  // Record 5, in the middle of the second segment.
  absl::StatusOr<JournalSalvageReport> report = Salvage(dir, 5);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->damage, "");
  EXPECT_TRUE(report->changed);
  EXPECT_EQ(report->kept_through, 4u);
  EXPECT_EQ(report->last_seen, 7u);
  EXPECT_FALSE(report->lost_past_damage);  // dropped, every record counted
  EXPECT_THAT(
      report->set_aside,
      ElementsAre(absl::StrCat(SegmentPath(dir, 4), ".cut-at-", RecordOffset(4, 5)),
                  absl::StrCat(SegmentPath(dir, 7), ".set-aside")));
  ExpectHistory(dir, "s0 again", 0, 4);

  // The first record of a segment: the segment stays, empty.
  report = Salvage(dir, 4);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->kept_through, 3u);
  EXPECT_EQ(ReadFileOrDie(SegmentPath(dir, 4)).size(), internal::kSegmentHeaderBytes);
  ExpectHistory(dir, "s0 again", 0, 3);

  // Past the end: nothing to do.
  report = Salvage(dir, 100);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_FALSE(report->changed);
}

// The dry run names the files the salvage writes and counts their bytes: a tail of
// zeros is not kept (as for a torn tail), and a name taken by an earlier salvage gets
// ".1".
TEST(JournalSalvageTest, ADryRunReportsWhatTheSalvageDoes) {
  ScratchDir tmp;
  const std::string dir = tmp.Sub("j");
  WriteThreeSegments(dir);
  const std::string first = SegmentPath(dir, 1);
  WriteFileOrDie(first, ReadFileOrDie(first) + std::string(40, '\0'));
  const std::string taken = absl::StrCat(SegmentPath(dir, 4), ".set-aside");
  WriteFileOrDie(taken, "from an earlier salvage");
  ASSERT_EQ(OpenJournal(dir, OptionsWith(kNone)).status().code(),
            absl::StatusCode::kDataLoss);

  absl::StatusOr<JournalSalvageReport> dry = Salvage(dir, 0, /*dry_run=*/true);
  ASSERT_TRUE(dry.ok()) << dry.status();
  absl::StatusOr<JournalSalvageReport> report = Salvage(dir);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->kept_through, 3u);
  EXPECT_THAT(report->set_aside,
              ElementsAre(absl::StrCat(taken, ".1"),
                          absl::StrCat(SegmentPath(dir, 7), ".set-aside")));
  EXPECT_EQ(ReadFileOrDie(taken), "from an earlier salvage");
  uint64_t bytes = 0;
  for (const std::string& name : report->set_aside) bytes += ReadFileOrDie(name).size();
  EXPECT_EQ(report->bytes_set_aside, bytes);
  EXPECT_EQ(dry->changed, report->changed);
  EXPECT_EQ(dry->damage, report->damage);
  EXPECT_EQ(dry->kept_through, report->kept_through);
  EXPECT_EQ(dry->last_seen, report->last_seen);
  EXPECT_EQ(dry->set_aside, report->set_aside);
  EXPECT_EQ(dry->bytes_set_aside, report->bytes_set_aside);
  ExpectHistory(dir, "s0 again", 0, 3);
}

TEST(JournalSalvageTest, ARecordInTheSnapshotCannotBeDropped) {
  ScratchDir tmp;
  const std::string dir = tmp.Sub("j");
  {
    std::unique_ptr<EventStore> store = MustOpen(dir);
    Append(*store, 1, 4);
    ASSERT_TRUE(store->WriteSnapshot("through 3", 3).ok());
  }
  const auto before = Contents(dir);
  absl::StatusOr<JournalSalvageReport> report = Salvage(dir, 3);
  EXPECT_EQ(report.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(report.status().message(), HasSubstr("through record 3"));
  EXPECT_EQ(Contents(dir), before);
  report = Salvage(dir, 4);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->kept_through, 3u);
  ExpectHistory(dir, "through 3", 3, 3);
}

// A damaged newest snapshot: the history restarts from the older one that a crash
// before the clean-up left, with the segments after it.
TEST(JournalSalvageTest, ADamagedSnapshotFallsBackToAnOlderOneAndItsSegments) {
  ScratchDir tmp;
  const std::string dir = tmp.Sub("j");
  const std::string saved = tmp.Sub("saved");
  {
    std::unique_ptr<EventStore> store = MustOpen(dir);
    Append(*store, 1, 4);
    ASSERT_TRUE(store->WriteSnapshot("through 2", 2).ok());
    std::filesystem::copy(dir, saved);  // snapshot 2 and segment 1 (records 1..4)
    Append(*store, 5, 6);
    ASSERT_TRUE(store->WriteSnapshot("through 6", 6).ok());  // deletes both
  }
  std::filesystem::copy_file(absl::StrCat(saved, "/", internal::SnapshotFileName(2)),
                             absl::StrCat(dir, "/", internal::SnapshotFileName(2)));
  std::filesystem::copy_file(SegmentPath(saved, 1), SegmentPath(dir, 1));
  const std::string newest = absl::StrCat(dir, "/", internal::SnapshotFileName(6));
  std::string bytes = ReadFileOrDie(newest);
  bytes[bytes.size() - 1] ^= 0x01;
  WriteFileOrDie(newest, bytes);
  ASSERT_EQ(OpenJournal(dir, OptionsWith(kNone)).status().code(),
            absl::StatusCode::kDataLoss);

  absl::StatusOr<JournalSalvageReport> report = Salvage(dir);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_THAT(report->damage, HasSubstr(newest));
  EXPECT_EQ(report->snapshot_through, 2u);
  EXPECT_EQ(report->kept_through, 4u);
  EXPECT_EQ(report->last_seen, 6u);
  // Segment 5 held records 5 and 6 until the snapshot through 6 dropped it; the
  // segment after the snapshot (7, empty) does not continue record 4.
  EXPECT_THAT(report->set_aside,
              ElementsAre(absl::StrCat(newest, ".set-aside"),
                          absl::StrCat(SegmentPath(dir, 7), ".set-aside")));
  ExpectHistory(dir, "through 2", 2, 4);
}

TEST(JournalSalvageTest, ASnapshotWithoutSegmentsGetsAnEmptyOneAfterIt) {
  ScratchDir tmp;
  const std::string dir = tmp.Sub("j");
  {
    std::unique_ptr<EventStore> store = MustOpen(dir);
    Append(*store, 1, 2);
    ASSERT_TRUE(store->WriteSnapshot("through 2", 2).ok());
  }
  for (const std::string& name : FilesWithPrefix(dir, "journal-")) {
    std::filesystem::remove(absl::StrCat(dir, "/", name));
  }
  absl::StatusOr<JournalSalvageReport> report = Salvage(dir);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->changed);
  EXPECT_THAT(report->damage, HasSubstr("no segment"));
  EXPECT_EQ(report->kept_through, 2u);
  EXPECT_THAT(report->set_aside, IsEmpty());
  ExpectHistory(dir, "through 2", 2, 2);
}

TEST(JournalSalvageTest, AnOpenJournalOrNoJournalIsRefused) {
  ScratchDir tmp;
  const std::string dir = tmp.Sub("j");
  std::unique_ptr<EventStore> store = MustOpen(dir);
  Append(*store, 1, 1);
  EXPECT_EQ(Salvage(dir).status().code(), absl::StatusCode::kFailedPrecondition);
  store.reset();
  EXPECT_TRUE(Salvage(dir).ok());

  std::filesystem::create_directory(tmp.Sub("empty"));
  EXPECT_EQ(Salvage(tmp.Sub("empty")).status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(FilesWithPrefix(tmp.Sub("empty"), ""), IsEmpty());  // no LOCK left
  EXPECT_EQ(Salvage(tmp.Sub("absent")).status().code(), absl::StatusCode::kNotFound);
  WriteFileOrDie(tmp.Sub("file"), "");
  EXPECT_EQ(Salvage(tmp.Sub("file")).status().code(), absl::StatusCode::kInvalidArgument);
}

// drop_from: the records from it on are intact and set aside (in a .cut-at file), so
// last_seen counts them, as its contract says, even with no later segment to name
// them; the report then says records were lost.
TEST(JournalSalvageTest, LastSeenCountsTheIntactRecordsDropFromSetsAside) {
  ScratchDir tmp;
  const std::string dir = tmp.Sub("j");
  {
    std::unique_ptr<EventStore> store = MustOpen(dir);
    Append(*store, 1, 5);
  }
  absl::StatusOr<JournalSalvageReport> report = Salvage(dir, 3, /*dry_run=*/true);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->kept_through, 2u);
  EXPECT_EQ(report->last_seen, 5u);

  // The same past stepped-over damage: records 4..6 of segment 1, the last one.
  const std::string stepped = tmp.Sub("stepped");
  WriteRecordsAroundASnapshot(stepped);
  std::filesystem::remove(SegmentPath(stepped, 7));
  DamageRecords(stepped, {2});
  report = Salvage(stepped, 5);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_THAT(report->stepped_over, HasSubstr(SegmentPath(stepped, 1)));
  EXPECT_EQ(report->kept_through, 4u);
  EXPECT_EQ(report->last_seen, 6u);
  EXPECT_FALSE(report->lost_past_damage);  // dropped, not hidden by damage
  ExpectHistory(stepped, "through 3", 3, 4);
}

// A record's payload is arbitrary bytes (a held post's text is stored as it came), so
// a record the snapshot includes can hold a well-formed frame of record through + 1.
// FindRecord takes the first offset whose frame checks, and that one lies inside the
// earlier record: the salvage must not keep it as record 4 and set the real 4..6
// aside.
TEST(JournalSalvageTest, AFrameInsideAnEarlierRecordIsNotTakenForTheNextRecord) {
  ScratchDir tmp;
  const std::string dir = tmp.Sub("j");
  std::string forged;
  internal::AppendFrame(4, "forged record 4", &forged);
  {
    std::unique_ptr<EventStore> store = MustOpen(dir);
    Append(*store, 1, 1);
    ASSERT_TRUE(store->Append(absl::StrCat("post text ", forged)).ok());  // record 2
    ASSERT_TRUE(store->Append(RecordText(3)).ok());
    Append(*store, 4, 6);
    ASSERT_TRUE(store->WriteSnapshot("through 3", 3).ok());
  }
  std::string bytes = ReadFileOrDie(SegmentPath(dir, 1));
  bytes[internal::kSegmentHeaderBytes + internal::kFrameHeaderBytes] ^= 0x01;  // 1
  WriteFileOrDie(SegmentPath(dir, 1), bytes);

  absl::StatusOr<JournalSalvageReport> report = Salvage(dir);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_THAT(report->stepped_over, HasSubstr(SegmentPath(dir, 1)));
  EXPECT_EQ(report->damage, "");
  EXPECT_EQ(report->kept_through, 6u);
  ExpectHistory(dir, "through 3", 3, 6);
}

}  // namespace
}  // namespace groupguard
