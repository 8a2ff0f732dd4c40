// RunPipeline (tools/groupguard/pipeline.cc), compiled from the command's source: a
// run does not allocate anew for every block once it is under way.
#include "pipeline.h"

#include <fstream>
#include <memory>
#include <string>

#include "../alloc_counter.h"
#include "absl/strings/str_cat.h"
#include "common.h"
#include "gtest/gtest.h"
#include "progress.h"

namespace groupguard::cli {

// common.cc names the model built into the command; no test here loads it.
absl::string_view DefaultModelBytes() { return absl::string_view(); }

namespace {

// Writes `posts` JSON Lines records, ids "0", "1", ..., each with a text of about
// 40 bytes; returns the path.
std::string WriteDump(const std::string& name, int posts) {
  const std::string path = absl::StrCat(::testing::TempDir(), "/", name);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  for (int i = 0; i < posts; ++i) {
    out << "{\"id\":\"" << i << "\",\"text\":\"post number " << i
        << " of the pipeline test\"}\n";
  }
  return path;
}

// Writes each post's id and a line of `pad` bytes.
class EchoHandler : public PostHandler {
 public:
  explicit EchoHandler(size_t pad) : pad_(pad) {}
  absl::Status Handle(const internal::PostView& post, BlockOutput* out) override {
    out->text.append(post.id.data(), post.id.size());
    out->text.append(pad_, ' ');
    out->text.push_back('\n');
    return absl::OkStatus();
  }

 private:
  size_t pad_;
};

// The operator new calls of a whole run over the dump at `path`.
int64_t AllocationsOfRun(const std::string& path, int threads) {
  PipelineOptions options;
  options.path = path;
  options.threads = threads;
  options.block_bytes = 512;  // about ten posts
  Progress progress("test", std::nullopt);
  BadRecords bad;
  PipelineStats stats;
  size_t bytes_out = 0;
  testing::AllocationCounter counter;
  const absl::Status status = RunPipeline(
      options, [] { return std::unique_ptr<PostHandler>(new EchoHandler(100)); },
      [&](BlockOutput& out) {
        bytes_out += out.text.size();
        return absl::OkStatus();
      },
      &progress, &bad, &stats);
  const int64_t calls = counter.calls();
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_GT(bytes_out, 0u);
  return calls;
}

// Ten times the blocks cost (nearly) no more allocations: a block's output goes into
// a buffer that an earlier block left the right size (the outputs were made afresh
// for every block on two threads or more, each grown from nothing, with a new
// task around it). What is left per block is the queues' deques taking a new
// chunk now and then (one per 64 blocks, 512-byte chunks of pointers).
TEST(PipelineTest, AllocationsDoNotGrowWithTheNumberOfBlocks) {
  const std::string small = WriteDump("alloc_small.jsonl", 600);   // ~60 blocks
  const std::string large = WriteDump("alloc_large.jsonl", 6000);  // ~600 blocks
  for (const int threads : {1, 2, 4}) {
    const int64_t few = AllocationsOfRun(small, threads);
    const int64_t many = AllocationsOfRun(large, threads);
    // 540 more blocks: at least 540 more allocations when each block's output is
    // made afresh; a few dozen when reused.
    EXPECT_LT(many - few, 100) << threads << " threads: " << few << " then " << many;
  }
}

}  // namespace
}  // namespace groupguard::cli
