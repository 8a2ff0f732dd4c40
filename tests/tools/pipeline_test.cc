// RunPipeline (tools/groupguard/pipeline.cc), compiled from the command's source:
// the outputs come back in input order however the workers finish, and a run does
// not allocate anew for every block once it is under way.
#include "pipeline.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <future>
#include <memory>
#include <mutex>
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

// Runs `run` on another thread; a run that has not returned after a minute (a lost
// wake-up: the calling thread waits for a block that is done) fails the test binary
// at once, since a thread blocked for good cannot be taken back.
absl::Status RunWithin(const std::function<absl::Status()>& run) {
  std::future<absl::Status> result = std::async(std::launch::async, run);
  if (result.wait_for(std::chrono::minutes(1)) == std::future_status::timeout) {
    std::fprintf(stderr, "RunPipeline did not return within a minute\n");
    std::fflush(stderr);
    std::_Exit(1);
  }
  return result.get();
}

// The first block is held back until the other worker has handled all the later
// blocks it can, so the block the calling thread waits for finishes last, after the
// others (the calling thread must be woken for it, not only for them): the run must
// still end, with every output in input order.
TEST(PipelineTest, OutputsComeInInputOrderWhenTheOldestBlockFinishesLast) {
  constexpr int kPosts = 200;
  PipelineOptions options;
  options.path = WriteDump("oldest_last.jsonl", kPosts);
  options.threads = 2;
  options.block_bytes = 1;  // a block or two per record
  std::mutex mu;
  std::condition_variable cv;
  int later_handled = 0;  // guarded by mu
  bool gate_timed_out = false;

  class GatedHandler : public PostHandler {
   public:
    GatedHandler(std::mutex* mu, std::condition_variable* cv, int* later_handled,
                 bool* timed_out)
        : mu_(mu), cv_(cv), later_handled_(later_handled), timed_out_(timed_out) {}
    absl::Status Handle(const internal::PostView& post, BlockOutput* out) override {
      if (post.id == "0") {
        // Until the other worker has handled three later posts and then no more
        // for 200 ms: it has run out of work (every block it may take is done), so
        // no block finishes after this one.
        std::unique_lock<std::mutex> lock(*mu_);
        const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
        for (;;) {
          const int seen = *later_handled_;
          const bool changed = cv_->wait_for(lock, std::chrono::milliseconds(200),
                                             [&] { return *later_handled_ != seen; });
          if (!changed && seen >= 3) break;
          if (std::chrono::steady_clock::now() > give_up) {
            *timed_out_ = true;
            break;
          }
        }
      } else {
        {
          std::lock_guard<std::mutex> lock(*mu_);
          ++*later_handled_;
        }
        cv_->notify_all();
      }
      absl::StrAppend(&out->text, post.id, "\n");
      return absl::OkStatus();
    }

   private:
    std::mutex* mu_;
    std::condition_variable* cv_;
    int* later_handled_;
    bool* timed_out_;
  };

  std::string output;
  Progress progress("test", std::nullopt);
  BadRecords bad;
  PipelineStats stats;
  const absl::Status status = RunWithin([&] {
    return RunPipeline(
        options,
        [&]() -> std::unique_ptr<PostHandler> {
          return std::make_unique<GatedHandler>(&mu, &cv, &later_handled,
                                                &gate_timed_out);
        },
        [&](BlockOutput& out) {
          output += out.text;
          return absl::OkStatus();
        },
        &progress, &bad, &stats);
  });
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_FALSE(gate_timed_out) << "no later block was handled while the first waited";
  std::string expected;
  for (int i = 0; i < kPosts; ++i) absl::StrAppend(&expected, i, "\n");
  EXPECT_EQ(output, expected);
  EXPECT_EQ(stats.posts, kPosts);
}

// A post its handler fails stops the run there without --skip-bad, and is
// counted and passed over with it, whether the plain-record scanner read the
// record (ids "3" and "5") or the general parser did (id 7, a number).
TEST(PipelineTest, AFailedPostStopsTheRunUnlessBadOnesAreSkipped) {
  const std::string path = absl::StrCat(::testing::TempDir(), "/failing.jsonl");
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    for (int i = 0; i < 10; ++i) {
      if (i == 7) {
        out << "{\"id\": 7, \"text\": \"a number\"}\n";
      } else {
        out << "{\"id\":\"" << i << "\",\"text\":\"post " << i << "\"}\n";
      }
    }
  }
  class FailingHandler : public PostHandler {
   public:
    explicit FailingHandler(absl::string_view fail) : fail_(fail) {}
    absl::Status Handle(const internal::PostView& post, BlockOutput* out) override {
      if (post.id == fail_ || post.id == "7") {
        return absl::InvalidArgumentError(absl::StrCat("no ", post.id));
      }
      absl::StrAppend(&out->text, post.id, "\n");
      return absl::OkStatus();
    }

   private:
    std::string fail_;
  };
  for (const bool skip_bad : {false, true}) {
    for (const char* fail : {"3", "5", "none"}) {
      PipelineOptions options;
      options.path = path;
      options.threads = 1;
      options.skip_bad = skip_bad;
      Progress progress("test", std::nullopt);
      BadRecords bad;
      PipelineStats stats;
      std::string text;
      const absl::Status status = RunPipeline(
          options,
          [fail] { return std::unique_ptr<PostHandler>(new FailingHandler(fail)); },
          [&](BlockOutput& out) {
            text += out.text;
            return absl::OkStatus();
          },
          &progress, &bad, &stats);
      const std::string where = absl::StrCat("skip_bad ", skip_bad, ", failing ", fail);
      if (skip_bad) {
        EXPECT_TRUE(status.ok()) << status << where;
        const std::string fail_line = absl::StrCat(fail, "\n");
        std::string want = "0\n1\n2\n3\n4\n5\n6\n8\n9\n";
        if (const size_t at = want.find(fail_line); at != std::string::npos) {
          want.erase(at, fail_line.size());
        }
        EXPECT_EQ(text, want) << where;
        EXPECT_EQ(stats.bad, std::string(fail) == "none" ? 1 : 2) << where;
      } else {
        EXPECT_FALSE(status.ok()) << where;
        const std::string want = std::string(fail) == "3"   ? "0\n1\n2\n"
                                 : std::string(fail) == "5" ? "0\n1\n2\n3\n4\n"
                                                            : "0\n1\n2\n3\n4\n5\n6\n";
        EXPECT_EQ(text, want) << where;
      }
    }
  }
}

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
