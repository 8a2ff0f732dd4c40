// OpenJournalReadOnly: a view of a journal that another store may have open. It takes
// no lock, changes nothing in the directory (not even a torn tail), refuses writes,
// and reports damage as OpenJournal does. (A writer in another process appending and
// snapshotting under it: journal_crash_test.cc.)

#include <malloc.h>
#include <sys/stat.h>

#include <cstdint>
#include <filesystem>
#include <functional>
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
#include "store/journal_testing.h"
#include "store_test_util.h"

namespace groupguard {
namespace {

using ::testing::HasSubstr;
using testing_internal::FilesWithPrefix;
using testing_internal::OptionsWith;
using testing_internal::ReadFileOrDie;
using testing_internal::ReplayAll;
using testing_internal::ScratchDir;
using testing_internal::WriteFileOrDie;
using Rec = std::pair<uint64_t, std::string>;

constexpr JournalOptions::Sync kNone = JournalOptions::Sync::kNone;

std::string RecordText(int i) {
  return absl::StrCat("record number ", i, " ", std::string(i % 13, '#'));
}

std::vector<Rec> ExpectedRecords(int from, int to) {
  std::vector<Rec> out;
  for (int i = from; i <= to; ++i) out.emplace_back(i, RecordText(i));
  return out;
}

void Append(EventStore& store, int from, int to) {
  for (int i = from; i <= to; ++i) {
    absl::StatusOr<uint64_t> sequence = store.Append(RecordText(i));
    ASSERT_TRUE(sequence.ok()) << sequence.status();
    ASSERT_EQ(*sequence, static_cast<uint64_t>(i));
  }
}

// Writes records from..to to a journal in `dir` (a new one: from is 1) and closes it.
void WriteJournal(const std::string& dir, int from, int to) {
  auto writer = OpenJournal(dir, OptionsWith(kNone));
  ASSERT_TRUE(writer.ok()) << writer.status();
  Append(**writer, from, to);
}

// Every file in `dir` (names, kinds, bytes and modes), to compare before and after.
std::map<std::string, std::string> DirectoryState(const std::string& dir) {
  std::map<std::string, std::string> state;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string path = entry.path().string();
    struct stat st;
    EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
    std::string value = absl::StrCat("mode ", st.st_mode, " size ", st.st_size, "\n");
    if (entry.is_regular_file()) value += ReadFileOrDie(path);
    state[entry.path().filename().string()] = value;
  }
  return state;
}

std::string OnlySegment(const std::string& dir) {
  std::vector<std::string> segments = FilesWithPrefix(dir, "journal-");
  EXPECT_EQ(segments.size(), 1u);
  return segments.empty() ? "" : absl::StrCat(dir, "/", segments[0]);
}

TEST(JournalReadOnlyTest, OpensWhileTheWriterHoldsTheLockAndSeesEveryAcknowledgedRecord) {
  ScratchDir tmp;
  const std::string dir = tmp.Sub("journal");
  auto writer = OpenJournal(dir, OptionsWith(JournalOptions::Sync::kGroupCommit));
  ASSERT_TRUE(writer.ok()) << writer.status();
  Append(**writer, 1, 40);
  ASSERT_TRUE((*writer)->WriteSnapshot("state through 25", 25).ok());
  Append(**writer, 41, 60);
  // A second writer is refused: the lock is held.
  EXPECT_EQ(OpenJournal(dir, OptionsWith(kNone)).status().code(),
            absl::StatusCode::kFailedPrecondition);

  auto reader = OpenJournalReadOnly(dir);
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_TRUE((*reader)->ReadOnly());
  EXPECT_FALSE((*writer)->ReadOnly());
  auto replayed = ReplayAll(**reader);
  ASSERT_TRUE(replayed.ok()) << replayed.status();
  ASSERT_TRUE(replayed->has_snapshot);
  EXPECT_EQ(replayed->snapshot, "state through 25");
  EXPECT_EQ(replayed->through, 25u);
  EXPECT_EQ(replayed->records, ExpectedRecords(26, 60));

  // A point in time: later appends are not in it, and Recover again gives the same.
  Append(**writer, 61, 70);
  auto again = ReplayAll(**reader);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->records, ExpectedRecords(26, 60));
  // ... also once a snapshot has deleted the segments it read (it keeps them open).
  ASSERT_TRUE((*writer)->WriteSnapshot("state through 70", 70).ok());
  EXPECT_EQ(FilesWithPrefix(dir, "snapshot-").size(), 1u);
  again = ReplayAll(**reader);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->through, 25u);
  EXPECT_EQ(again->records, ExpectedRecords(26, 60));
  // A new open sees the new state; the writer goes on writing meanwhile.
  auto newer = OpenJournalReadOnly(dir);
  ASSERT_TRUE(newer.ok()) << newer.status();
  Append(**writer, 71, 72);
  auto fresh = ReplayAll(**newer);
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  EXPECT_EQ(fresh->through, 70u);
  EXPECT_TRUE(fresh->records.empty());
}

TEST(JournalReadOnlyTest, ChangesNothingInTheDirectoryWhileAWriterHasItOpen) {
  ScratchDir tmp;
  const std::string dir = tmp.Sub("journal");
  auto writer = OpenJournal(dir, OptionsWith(kNone));
  ASSERT_TRUE(writer.ok()) << writer.status();
  Append(**writer, 1, 10);
  const auto before = DirectoryState(dir);
  {
    auto reader = OpenJournalReadOnly(dir);
    ASSERT_TRUE(reader.ok()) << reader.status();
    auto replayed = ReplayAll(**reader);
    ASSERT_TRUE(replayed.ok()) << replayed.status();
    EXPECT_EQ(replayed->records, ExpectedRecords(1, 10));
  }
  EXPECT_EQ(DirectoryState(dir), before);
  // The writer's lock is still its own: the reader took none.
  Append(**writer, 11, 11);
}

TEST(JournalReadOnlyTest, ATornTailEndsTheHistoryAndStaysWhereItIs) {
  ScratchDir tmp;
  const std::string dir = tmp.Sub("journal");
  WriteJournal(dir, 1, 5);
  const std::string segment = OnlySegment(dir);
  const std::string whole = ReadFileOrDie(segment);
  // Record 6, cut off in the middle of its payload: a crash mid-write, or a record
  // being appended right now.
  std::string frame;
  internal::AppendFrame(6, RecordText(6), &frame);
  for (size_t cut : {size_t{1}, internal::kFrameHeaderBytes, frame.size() - 1}) {
    SCOPED_TRACE(absl::StrCat("torn after ", cut, " bytes"));
    WriteFileOrDie(segment, whole + frame.substr(0, cut));
    const auto before = DirectoryState(dir);
    auto reader = OpenJournalReadOnly(dir);
    ASSERT_TRUE(reader.ok()) << reader.status();
    auto replayed = ReplayAll(**reader);
    ASSERT_TRUE(replayed.ok()) << replayed.status();
    EXPECT_EQ(replayed->records, ExpectedRecords(1, 5));
    reader->reset();
    // No truncation, no "torn-at" copy, no LOCK file: not a byte changed.
    EXPECT_EQ(DirectoryState(dir), before);
  }
}

TEST(JournalReadOnlyTest, RefusesAppendsAndSnapshots) {
  ScratchDir tmp;
  const std::string dir = tmp.Sub("journal");
  auto writer = OpenJournal(dir, OptionsWith(kNone));
  ASSERT_TRUE(writer.ok()) << writer.status();
  Append(**writer, 1, 3);
  const auto before = DirectoryState(dir);
  auto reader = OpenJournalReadOnly(dir);
  ASSERT_TRUE(reader.ok()) << reader.status();
  absl::StatusOr<uint64_t> appended = (*reader)->Append("x");
  EXPECT_EQ(appended.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(appended.status().message(), HasSubstr("read-only"));
  EXPECT_THAT(appended.status().message(), HasSubstr(dir));
  EXPECT_EQ((*reader)->StartAppend("x").status().code(),
            absl::StatusCode::kFailedPrecondition);
  absl::Status snapshot = (*reader)->WriteSnapshot("s", 3);
  EXPECT_EQ(snapshot.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(snapshot.message(), HasSubstr("read-only"));
  EXPECT_TRUE((*reader)->WaitDurable(3).ok());
  EXPECT_EQ((*reader)->WaitDurable(4).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DirectoryState(dir), before);
  // Any record a journal may hold: a registry opens over it whatever the writer's limit.
  EXPECT_EQ((*reader)->MaxRecordBytes(), internal::kMaxRecordBytesLimit);
  Append(**writer, 4, 4);
}

TEST(JournalReadOnlyTest, DamageBeforeTheTailIsDataLossWithFileAndOffset) {
  ScratchDir tmp;
  const std::string dir = tmp.Sub("journal");
  WriteJournal(dir, 1, 5);
  const std::string segment = OnlySegment(dir);
  std::string bytes = ReadFileOrDie(segment);
  size_t start = internal::kSegmentHeaderBytes;
  for (int i = 1; i <= 2; ++i)
    start += internal::kFrameHeaderBytes + RecordText(i).size();
  bytes[start + internal::kFrameHeaderBytes + 1] ^= 0x01;  // record 3's payload
  WriteFileOrDie(segment, bytes);
  const auto before = DirectoryState(dir);
  auto reader = OpenJournalReadOnly(dir);
  ASSERT_EQ(reader.status().code(), absl::StatusCode::kDataLoss) << reader.status();
  EXPECT_THAT(reader.status().message(), HasSubstr(segment));
  EXPECT_THAT(reader.status().message(), HasSubstr(absl::StrCat("offset ", start, ":")));
  EXPECT_EQ(DirectoryState(dir), before);
}

TEST(JournalReadOnlyTest, AMissingSegmentIsDataLoss) {
  ScratchDir tmp;
  const std::string dir = tmp.Sub("journal");
  WriteJournal(dir, 1, 5);
  // Segment 1 gone, a segment starting at record 6 in its place: a gap.
  std::filesystem::remove(OnlySegment(dir));
  WriteFileOrDie(absl::StrCat(dir, "/", internal::SegmentFileName(6)),
                 internal::EncodeSegmentHeader(6));
  auto reader = OpenJournalReadOnly(dir);
  ASSERT_EQ(reader.status().code(), absl::StatusCode::kDataLoss) << reader.status();
  EXPECT_THAT(reader.status().message(), HasSubstr("records from 1 on are missing"));
}

// Sets the hook between the read-only open's listing and its opening of the files
// for the test's life.
class AfterListing {
 public:
  explicit AfterListing(std::function<void(int)> hook) {
    internal::JournalReadOnlyAfterListingForTesting() = std::move(hook);
  }
  ~AfterListing() { internal::JournalReadOnlyAfterListingForTesting() = nullptr; }
};

TEST(JournalReadOnlyTest, ListsAgainWhenASnapshotDeletesWhatItListed) {
  ScratchDir tmp;
  const std::string dir = tmp.Sub("journal");
  auto writer = OpenJournal(dir, OptionsWith(kNone));
  ASSERT_TRUE(writer.ok()) << writer.status();
  Append(**writer, 1, 10);
  std::vector<int> attempts;
  AfterListing hook([&](int attempt) {
    attempts.push_back(attempt);
    if (attempt != 0) return;
    // Between the listing and the opening: the segment listed goes.
    Append(**writer, 11, 12);
    ASSERT_TRUE((*writer)->WriteSnapshot("state through 12", 12).ok());
  });
  auto reader = OpenJournalReadOnly(dir);
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ(attempts, (std::vector<int>{0, 1}));
  auto replayed = ReplayAll(**reader);
  ASSERT_TRUE(replayed.ok()) << replayed.status();
  EXPECT_EQ(replayed->snapshot, "state through 12");
  EXPECT_EQ(replayed->through, 12u);
  EXPECT_TRUE(replayed->records.empty());
}

TEST(JournalReadOnlyTest, GivesUpWithUnavailableWhileTheDirectoryKeepsChanging) {
  ScratchDir tmp;
  const std::string dir = tmp.Sub("journal");
  auto writer = OpenJournal(dir, OptionsWith(kNone));
  ASSERT_TRUE(writer.ok()) << writer.status();
  Append(**writer, 1, 1);
  int calls = 0;
  int next = 2;
  AfterListing hook([&](int) {
    ++calls;
    Append(**writer, next, next);
    ASSERT_TRUE((*writer)->WriteSnapshot("s", next).ok());
    ++next;
  });
  auto reader = OpenJournalReadOnly(dir);
  ASSERT_EQ(reader.status().code(), absl::StatusCode::kUnavailable) << reader.status();
  EXPECT_THAT(reader.status().message(), HasSubstr("try again"));
  EXPECT_THAT(reader.status().message(), HasSubstr(dir));
  EXPECT_EQ(calls, 20);
}

// Damage in an older segment is damage even while the writer appends to the last
// one all the time (the directory changes, but not where the damage is): kDataLoss,
// not a retry that runs out.
TEST(JournalReadOnlyTest, DamageInAnOlderSegmentIsDataLossWhileTheWriterAppends) {
  ScratchDir tmp;
  const std::string dir = tmp.Sub("journal");
  auto writer = OpenJournal(dir, OptionsWith(kNone));
  ASSERT_TRUE(writer.ok()) << writer.status();
  Append(**writer, 1, 5);
  // A snapshot through 0 starts segment 6 and keeps segment 1 (it covers nothing).
  ASSERT_TRUE((*writer)->WriteSnapshot("empty", 0).ok());
  Append(**writer, 6, 6);
  ASSERT_EQ(FilesWithPrefix(dir, "journal-").size(), 2u);
  const std::string first = absl::StrCat(dir, "/", internal::SegmentFileName(1));
  std::string bytes = ReadFileOrDie(first);
  const size_t second =
      internal::kSegmentHeaderBytes + internal::kFrameHeaderBytes + RecordText(1).size();
  bytes[second + internal::kFrameHeaderBytes] ^= 0x01;  // record 2's payload
  WriteFileOrDie(first, bytes);
  int next = 7;
  int attempts = 0;
  AfterListing hook([&](int) {
    ++attempts;
    Append(**writer, next, next);
    ++next;
  });
  auto reader = OpenJournalReadOnly(dir);
  ASSERT_EQ(reader.status().code(), absl::StatusCode::kDataLoss) << reader.status();
  EXPECT_THAT(reader.status().message(), HasSubstr(first));
  EXPECT_THAT(reader.status().message(), HasSubstr(absl::StrCat("offset ", second, ":")));
  EXPECT_EQ(attempts, 1);
}

// A listed name that cannot be opened while the directory stays as it is (here a
// dangling symbolic link) is reported at once, as OpenJournal reports it: not
// retried as if a writer had deleted it, and not "try again".
TEST(JournalReadOnlyTest, AListedFileThatCannotBeOpenedIsNotFoundWithoutRetries) {
  ScratchDir tmp;
  const std::string dir = tmp.Sub("journal");
  WriteJournal(dir, 1, 3);
  const std::string snapshot = absl::StrCat(dir, "/", internal::SnapshotFileName(2));
  std::filesystem::create_symlink(tmp.Sub("nowhere"), snapshot);
  const absl::StatusCode writer_code = OpenJournal(dir, OptionsWith(kNone)).status().code();
  std::vector<int> attempts;
  AfterListing hook([&](int attempt) { attempts.push_back(attempt); });
  auto reader = OpenJournalReadOnly(dir);
  ASSERT_EQ(reader.status().code(), absl::StatusCode::kNotFound) << reader.status();
  EXPECT_EQ(reader.status().code(), writer_code);
  EXPECT_THAT(reader.status().message(), HasSubstr(snapshot));
  EXPECT_EQ(attempts, std::vector<int>{0});
}

// Bytes the process has from malloc (the heap's and those mapped on their own).
int64_t HeapBytesInUse() {
  const struct mallinfo2 m = ::mallinfo2();
  return static_cast<int64_t>(m.uordblks + m.hblkhd);
}

// The open store keeps the snapshot file open, not a copy of its bytes: a registry
// over it holds the state the snapshot decodes to, and a second copy would stay for
// the view's life.
TEST(JournalReadOnlyTest, KeepsNoCopyOfTheSnapshotInMemoryWhileOpen) {
  ScratchDir tmp;
  const std::string dir = tmp.Sub("journal");
  constexpr size_t kSnapshotBytes = size_t{16} << 20;
  {
    auto writer = OpenJournal(dir, OptionsWith(kNone));
    ASSERT_TRUE(writer.ok()) << writer.status();
    Append(**writer, 1, 3);
    ASSERT_TRUE((*writer)->WriteSnapshot(std::string(kSnapshotBytes, 's'), 2).ok());
  }
  const int64_t before = HeapBytesInUse();
  auto reader = OpenJournalReadOnly(dir);
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_LT(HeapBytesInUse() - before, int64_t{1} << 20);
  // Recover reads it from the open file, also once it is deleted.
  std::filesystem::remove(absl::StrCat(dir, "/", internal::SnapshotFileName(2)));
  auto replayed = ReplayAll(**reader);
  ASSERT_TRUE(replayed.ok()) << replayed.status();
  EXPECT_EQ(replayed->snapshot, std::string(kSnapshotBytes, 's'));
  EXPECT_EQ(replayed->through, 2u);
  EXPECT_EQ(replayed->records, ExpectedRecords(3, 3));
}

TEST(JournalReadOnlyTest, NoJournalIsNotFoundAndAFileIsInvalidArgument) {
  ScratchDir tmp;
  EXPECT_EQ(OpenJournalReadOnly(tmp.Sub("absent")).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_FALSE(std::filesystem::exists(tmp.Sub("absent")));  // not created
  std::filesystem::create_directory(tmp.Sub("empty"));
  auto empty = OpenJournalReadOnly(tmp.Sub("empty"));
  EXPECT_EQ(empty.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(empty.status().message(), HasSubstr("no journal"));
  EXPECT_TRUE(std::filesystem::is_empty(tmp.Sub("empty")));  // no LOCK, no segment
  WriteFileOrDie(tmp.Sub("file"), "x");
  EXPECT_EQ(OpenJournalReadOnly(tmp.Sub("file")).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace groupguard
