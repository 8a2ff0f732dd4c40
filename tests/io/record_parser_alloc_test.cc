// What a CSV/TSV record's fields cost: a line of separators is no more than its
// bytes (it was a std::string per field, 70 bytes for each byte of input, kept for
// the parser's life). Counted through the global operator new of this test binary
// (alloc_counter.h).
#include <string>

#include "../alloc_counter.h"
#include "groupguard/post_reader.h"
#include "gtest/gtest.h"
#include "io/block_reader.h"
#include "io/record_parser.h"

namespace groupguard::internal {
namespace {

TEST(RecordParserAllocTest, LineOfSeparatorsTakesNoMemoryPerField) {
  for (DumpFormat format : {DumpFormat::kCsv, DumpFormat::kTsv}) {
    const char sep = format == DumpFormat::kCsv ? ',' : '\t';
    std::string block = std::string("id") + sep + "text\n1" + sep +
                        std::string(size_t{4} << 20, sep) + "\n2" + sep + "ok\n";
    const size_t size = block.size();
    block.append(kBlockPadding, ' ');
    const absl::string_view data(block.data(), size);
    PostReaderOptions options;
    options.format = format;
    RecordParser parser = RecordParser::Create(options, "t").value();
    size_t pos = 0;
    int64_t line = 1;
    Post post;
    const testing::AllocationCounter allocations;
    absl::StatusOr<bool> more = parser.Next(data, &pos, &line, &post);
    ASSERT_FALSE(more.ok());
    EXPECT_EQ(more.status().message(), "t:2: expected 2 fields, got 4194306");
    more = parser.Next(data, &pos, &line, &post);
    ASSERT_TRUE(more.ok() && *more) << more.status();
    EXPECT_EQ(post.text, "ok");
    EXPECT_LT(allocations.bytes(), size_t{64} << 10);
  }
}

}  // namespace
}  // namespace groupguard::internal
