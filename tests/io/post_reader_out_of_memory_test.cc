// Reading dumps with one allocation failing (or, memory staying out, that one and
// every later one), swept over every allocation a read makes (tests/alloc_counter.h):
// ReadPosts throws std::bad_alloc or returns kResourceExhausted, never posts that
// differ from a clean read, and what it made is freed cleanly (ASan builds check
// that); a read after it gets every post.
#include <cstdint>
#include <new>
#include <string>
#include <vector>

#include "../alloc_counter.h"
#include "absl/strings/str_cat.h"
#include "groupguard/post_reader.h"
#include "gtest/gtest.h"
#include "test_files.h"

namespace groupguard {
namespace {

using ::groupguard::testing::AllocationFailurePending;
using ::groupguard::testing::FailAllocationOnThisThread;
using ::groupguard::testing::FailAllocationsFromOnThisThread;

std::string Flatten(const std::vector<Post>& posts) {
  std::string out;
  for (const Post& p : posts) {
    absl::StrAppend(&out, p.line, "|", p.id, "|", p.text, "|",
                    p.is_spam.has_value() ? (*p.is_spam ? "spam" : "ham") : "-", "\n");
  }
  return out;
}

struct Dump {
  const char* name;
  DumpFormat format;
  std::string contents;
};

std::vector<Dump> Dumps() {
  std::string long_text;
  for (int i = 0; i < 3000; ++i) absl::StrAppend(&long_text, "win cash ", i, " ");
  return {
      {"plain.jsonl", DumpFormat::kJsonLines,
       absl::StrCat("{\"id\":\"1\",\"text\":\"hello there\",\"label\":\"ham\"}\n",
                    "{\"id\":\"2\",\"text\":\"caf\\u00e9 \\ud83d\\ude00 \\\"quoted\\\"\","
                    "\"label\":\"spam\"}\n",
                    "{\"text\":\"bad \xff utf-8 repaired\",\"id\":\"3\"}\n",
                    "{\"id\":\"4\",\"text\":\"", long_text, "\",\"label\":\"spam\"}\n")},
      {"quoted.csv", DumpFormat::kCsv,
       absl::StrCat("id,text,label\n1,\"a, b \"\"c\"\"\",ham\n2,plain,spam\n3,\"",
                    long_text, "\",spam\n")},
  };
}

class PostReaderOutOfMemoryTest : public ::testing::TestWithParam<bool> {};

TEST_P(PostReaderOutOfMemoryTest, AReadThatRunsOutGivesNoOtherPosts) {
  const bool stays_out = GetParam();
  for (const Dump& dump : Dumps()) {
    SCOPED_TRACE(dump.name);
    const std::string path = testing::WriteTempFile(dump.name, dump.contents);
    PostReaderOptions options;
    options.format = dump.format;
    auto clean = ReadPosts(path, options);
    ASSERT_TRUE(clean.ok()) << clean.status();
    ASSERT_GE(clean->size(), 3u);
    const std::string expected = Flatten(*clean);
    int64_t nth = 0;
    for (bool failed = true; failed; ++nth) {
      SCOPED_TRACE(absl::StrCat("allocation ", nth, " fails"));
      absl::StatusOr<std::vector<Post>> posts;
      bool threw = false;
      {
        const testing::ScopedLeaksIgnored leaks_ignored;
        if (stays_out) {
          FailAllocationsFromOnThisThread(nth);
        } else {
          FailAllocationOnThisThread(nth);
        }
        try {
          posts = ReadPosts(path, options);
        } catch (const std::bad_alloc&) {
          threw = true;
        }
      }
      failed = !AllocationFailurePending();
      FailAllocationOnThisThread(-1);
      if (!threw && posts.ok()) {
        EXPECT_EQ(Flatten(*posts), expected);
      } else if (!threw) {
        EXPECT_EQ(posts.status().code(), absl::StatusCode::kResourceExhausted)
            << posts.status();
      }
      auto again = ReadPosts(path, options);
      ASSERT_TRUE(again.ok()) << again.status();
      EXPECT_EQ(Flatten(*again), expected);
    }
    EXPECT_GT(nth, 1);
  }
}

INSTANTIATE_TEST_SUITE_P(OneOrEveryLater, PostReaderOutOfMemoryTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return std::string(info.param ? "memory_stays_out"
                                                         : "one_allocation_fails");
                         });

}  // namespace
}  // namespace groupguard
