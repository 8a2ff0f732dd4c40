// What a CSV/TSV record's fields cost: a line of separators is no more than its
// bytes (it was a std::string per field, 70 bytes for each byte of input, kept for
// the parser's life). Counted through the global operator new of this test binary.
#include <atomic>
#include <cstdlib>
#include <new>
#include <string>

#include "groupguard/post_reader.h"
#include "gtest/gtest.h"
#include "io/block_reader.h"
#include "io/record_parser.h"

namespace {
std::atomic<size_t> g_allocated{0};
}  // namespace

void* operator new(std::size_t size) {
  g_allocated.fetch_add(size, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

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
    const size_t before = g_allocated.load();
    absl::StatusOr<bool> more = parser.Next(data, &pos, &line, &post);
    ASSERT_FALSE(more.ok());
    EXPECT_EQ(more.status().message(), "t:2: expected 2 fields, got 4194306");
    more = parser.Next(data, &pos, &line, &post);
    ASSERT_TRUE(more.ok() && *more) << more.status();
    EXPECT_EQ(post.text, "ok");
    EXPECT_LT(g_allocated.load() - before, size_t{64} << 10);
  }
}

}  // namespace
}  // namespace groupguard::internal
