#include "io/block_reader.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test_files.h"

namespace groupguard::internal {
namespace {

using ::groupguard::testing::WriteTempFile;
using ::testing::HasSubstr;

// Reads every block; returns their contents and first lines.
std::vector<std::pair<std::string, int64_t>> ReadAll(const std::string& path,
                                                     const BlockReaderOptions& options) {
  auto reader = BlockReader::Open(path, options);
  EXPECT_TRUE(reader.ok()) << reader.status();
  std::vector<std::pair<std::string, int64_t>> blocks;
  RecordBlock block;
  for (;;) {
    absl::StatusOr<bool> more = (*reader)->Next(&block);
    EXPECT_TRUE(more.ok()) << more.status();
    if (!more.ok() || !*more) break;
    blocks.emplace_back(std::string(block.data()), block.first_line());
    EXPECT_GE(block.capacity(), block.data().size() + kBlockPadding);
  }
  return blocks;
}

TEST(BlockReaderTest, BlocksEndAtRecordBoundaries) {
  std::string path = WriteTempFile("blocks.txt", "aaaa\nbbbb\ncccc\ndd");
  BlockReaderOptions options;
  options.block_bytes = 6;
  auto blocks = ReadAll(path, options);
  ASSERT_EQ(blocks.size(), 4u);
  EXPECT_EQ(blocks[0].first, "aaaa\n");
  EXPECT_EQ(blocks[0].second, 1);
  EXPECT_EQ(blocks[1].first, "bbbb\n");
  EXPECT_EQ(blocks[1].second, 2);
  EXPECT_EQ(blocks[2].first, "cccc\n");
  EXPECT_EQ(blocks[3].first, "dd");
  EXPECT_EQ(blocks[3].second, 4);
}

TEST(BlockReaderTest, QuotedNewlinesDoNotEndARecord) {
  std::string path = WriteTempFile("quoted.csv", "a,\"x\ny\"\nb,c\n");
  BlockReaderOptions options;
  options.quoted_records = true;
  options.block_bytes = 4;
  auto blocks = ReadAll(path, options);
  ASSERT_EQ(blocks.size(), 2u);
  EXPECT_EQ(blocks[0].first, "a,\"x\ny\"\n");
  EXPECT_EQ(blocks[1].first, "b,c\n");
  EXPECT_EQ(blocks[1].second, 3);
}

TEST(BlockReaderTest, DropsByteOrderMark) {
  std::string path = WriteTempFile("bom.txt", "\xEF\xBB\xBFhello\n");
  auto blocks = ReadAll(path, BlockReaderOptions());
  ASSERT_EQ(blocks.size(), 1u);
  EXPECT_EQ(blocks[0].first, "hello\n");
}

// Only the input's first bytes can be a byte order mark: with a first record under
// three bytes read in small pieces, one starting the second line was dropped too.
TEST(BlockReaderTest, ByteOrderMarkOnlyAtTheStart) {
  for (bool quoted : {false, true}) {
    BlockReaderOptions options;
    options.quoted_records = quoted;
    options.block_bytes = 2;
    auto blocks = ReadAll(WriteTempFile("bom2.txt",
                                        "a\n\xEF\xBB\xBF"
                                        "b\n"),
                          options);
    std::string all;
    for (const auto& block : blocks) all += block.first;
    EXPECT_EQ(all,
              "a\n\xEF\xBB\xBF"
              "b\n")
        << quoted;
  }
}

TEST(BlockReaderTest, OversizeRecordIsSkippedWithItsLine) {
  std::string big(100, 'x');
  std::string path = WriteTempFile("oversize.txt", "ok\n" + big + "\nafter\n");
  BlockReaderOptions options;
  options.max_record_bytes = 50;
  options.block_bytes = 8;
  auto reader = BlockReader::Open(path, options);
  ASSERT_TRUE(reader.ok());
  RecordBlock block;
  absl::StatusOr<bool> more = (*reader)->Next(&block);
  ASSERT_TRUE(more.ok() && *more);
  EXPECT_EQ(block.data(), "ok\n");
  more = (*reader)->Next(&block);
  ASSERT_FALSE(more.ok());
  EXPECT_EQ(more.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(more.status().message(), HasSubstr("oversize.txt:2: record longer than 50"));
  more = (*reader)->Next(&block);
  ASSERT_TRUE(more.ok() && *more) << more.status();
  EXPECT_EQ(block.data(), "after\n");
  EXPECT_EQ(block.first_line(), 3);
  more = (*reader)->Next(&block);
  ASSERT_TRUE(more.ok());
  EXPECT_FALSE(*more);
}

// A record of exactly max_record_bytes is read whether its line ends in "\n" or
// "\r\n", however the input falls into blocks (a CRLF record of max_record_bytes
// was an error when it started a block that had to grow to hold it, so whether a
// dump was read depended on --block-kib). One byte more is an error, here or in
// the record parser.
TEST(BlockReaderTest, RecordOfMaxBytesIsReadWhateverItsLineEnd) {
  constexpr size_t kMax = 64;
  const std::string record(kMax, 'x');
  for (const std::string eol : {"\n", "\r\n"}) {
    const std::string contents = "ok" + eol + record + eol + "after" + eol;
    const std::string path = WriteTempFile("max_record.txt", contents);
    for (size_t block_bytes = 1; block_bytes <= kMax + 8; ++block_bytes) {
      BlockReaderOptions options;
      options.max_record_bytes = kMax;
      options.block_bytes = block_bytes;
      std::string all;
      for (const auto& [data, line] : ReadAll(path, options)) all += data;
      EXPECT_EQ(all, contents) << (eol == "\n" ? "LF" : "CRLF") << ", blocks of "
                               << block_bytes;
    }
  }
  // One byte more, starting a block that must grow: an error naming its line.
  const std::string path =
      WriteTempFile("max_record.txt", "ok\r\n" + record + "x\r\nafter\r\n");
  BlockReaderOptions options;
  options.max_record_bytes = kMax;
  options.block_bytes = 4;
  auto reader = BlockReader::Open(path, options);
  ASSERT_TRUE(reader.ok());
  RecordBlock block;
  ASSERT_TRUE(*(*reader)->Next(&block));
  absl::StatusOr<bool> more = (*reader)->Next(&block);
  ASSERT_FALSE(more.ok());
  EXPECT_THAT(more.status().message(), HasSubstr("max_record.txt:2: record longer than 64"));
  more = (*reader)->Next(&block);
  ASSERT_TRUE(more.ok() && *more) << more.status();
  EXPECT_EQ(block.data().substr(0, 5), "after");
  EXPECT_EQ(block.first_line(), 3);
}

// The error comes as soon as the record is known to be too long, before the rest of
// it is read: a caller that stops there (the default of the command) does not read
// an endless line to its end. The next call drops the rest and goes on.
TEST(BlockReaderTest, OversizeRecordIsReportedBeforeItsRestIsRead) {
  const std::string big(4 << 20, 'x');
  std::string path =
      WriteTempFile("huge_line.txt", "ok\n" + big + "\n\"q\nq\"\nafter\n");
  for (bool quoted : {false, true}) {
    BlockReaderOptions options;
    options.max_record_bytes = 1000;
    options.block_bytes = 256;
    options.quoted_records = quoted;
    auto reader = BlockReader::Open(path, options);
    ASSERT_TRUE(reader.ok());
    RecordBlock block;
    ASSERT_TRUE(*(*reader)->Next(&block));
    absl::StatusOr<bool> more = (*reader)->Next(&block);
    ASSERT_FALSE(more.ok());
    EXPECT_THAT(more.status().message(), HasSubstr("huge_line.txt:2: record longer than"));
    EXPECT_LT((*reader)->bytes_consumed(), 64u << 10) << "read on past the error";
    more = (*reader)->Next(&block);
    ASSERT_TRUE(more.ok() && *more) << more.status();
    if (quoted) {
      EXPECT_EQ(block.data(), "\"q\nq\"\nafter\n");
      EXPECT_EQ(block.first_line(), 3);
    } else {
      EXPECT_EQ(block.data().substr(0, 3), "\"q\n");
      EXPECT_EQ(block.first_line(), 3);
    }
  }
}

TEST(BlockReaderTest, CountsLinesOverEveryByteValue) {
  // Newlines at every alignment, next to every other byte value (0x8a, 0x0b, ...).
  std::string contents;
  int lines = 0;
  for (int i = 0; i < 3000; ++i) {
    contents.append(static_cast<size_t>(i % 13), static_cast<char>((i * 37) % 256 == '\n' ? 'x' : (i * 37) % 256));
    contents.push_back('\n');
    ++lines;
  }
  contents.append("last");
  BlockReaderOptions options;
  options.block_bytes = 100;
  auto blocks = ReadAll(WriteTempFile("count.bin", contents), options);
  ASSERT_FALSE(blocks.empty());
  int64_t expected_line = 1;
  for (const auto& [data, first_line] : blocks) {
    EXPECT_EQ(first_line, expected_line);
    expected_line += std::count(data.begin(), data.end(), '\n');
  }
  EXPECT_EQ(expected_line, lines + 1);
  EXPECT_EQ(blocks.back().first.substr(blocks.back().first.size() - 5), "\nlast");
}

TEST(BlockReaderTest, CountsLinesInLargeBlocks) {
  // Large blocks, some holding a run of 20000 empty lines: the counter sums its
  // per-lane counts every 63 steps (4032 bytes at four vectors a step, a lane
  // gaining up to four a step) and every 255 at one vector a step (4080 bytes),
  // and a lane of a run of newlines gains the most it can every step.
  std::string contents;
  for (int i = 0; i < 40; ++i) {
    contents.append(static_cast<size_t>(1 + (i * 7919) % 3000), 'a' + i % 26);
    contents.push_back('\n');
    if (i % 10 == 3) contents.append(20000, '\n');
  }
  contents.append("last");
  BlockReaderOptions options;
  options.block_bytes = size_t{64} << 10;
  auto blocks = ReadAll(WriteTempFile("count_large.bin", contents), options);
  ASSERT_FALSE(blocks.empty());
  int64_t expected_line = 1;
  for (const auto& [data, first_line] : blocks) {
    EXPECT_EQ(first_line, expected_line);
    expected_line += std::count(data.begin(), data.end(), '\n');
  }
  EXPECT_EQ(expected_line, 1 + std::count(contents.begin(), contents.end(), '\n'));
}

TEST(BlockReaderTest, MissingFileIsNotFound) {
  auto reader = BlockReader::Open("/nonexistent/dir/posts.jsonl", BlockReaderOptions());
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(reader.status().message(), HasSubstr("/nonexistent/dir/posts.jsonl"));
}

// A read that fails says where in the input: /proc/self/mem reads this process's
// memory at the offset of its address, and fails (EIO) where nothing is mapped. Read
// from a page of records followed by an unmapped page, it fails after that page.
TEST(BlockReaderTest, ReadErrorSaysAtWhichByte) {
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  void* mapped =
      mmap(nullptr, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(mapped, MAP_FAILED);
  char* records = static_cast<char*>(mapped);
  for (size_t i = 0; i < page; i += 2) std::memcpy(records + i, "x\n", 2);
  ASSERT_EQ(munmap(records + page, page), 0);
  const int mem = open("/proc/self/mem", O_RDONLY | O_CLOEXEC);
  if (mem < 0) {
    munmap(records, page);
    GTEST_SKIP() << "no /proc/self/mem";
  }
  ASSERT_EQ(
      lseek(mem, static_cast<off_t>(reinterpret_cast<uintptr_t>(records)), SEEK_SET),
      static_cast<off_t>(reinterpret_cast<uintptr_t>(records)));
  const int saved_stdin = dup(0);
  ASSERT_GE(saved_stdin, 0);
  ASSERT_EQ(dup2(mem, 0), 0);
  close(mem);
  BlockReaderOptions options;
  options.block_bytes = page;
  auto reader = BlockReader::Open("-", options);
  absl::Status failed;
  if (reader.ok()) {
    RecordBlock block;
    for (int i = 0; i < 4 && failed.ok(); ++i) {
      absl::StatusOr<bool> more = (*reader)->Next(&block);
      if (!more.ok()) failed = more.status();
      if (more.ok() && !*more) break;
    }
  }
  dup2(saved_stdin, 0);
  close(saved_stdin);
  munmap(records, page);
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ(failed.message(), absl::StrCat("<stdin>: read failed at byte offset ", page,
                                           ": Input/output error"));
}

TEST(BlockReaderTest, DirectoryIsInvalidArgument) {
  auto reader = BlockReader::Open(::testing::TempDir(), BlockReaderOptions());
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace groupguard::internal
