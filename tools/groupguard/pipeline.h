#ifndef GROUPGUARD_TOOLS_GROUPGUARD_PIPELINE_H_
#define GROUPGUARD_TOOLS_GROUPGUARD_PIPELINE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "groupguard/post_reader.h"
#include "io/record_parser.h"

namespace groupguard::cli {

class Progress;

// What the handlers made of one block of input records, in input order.
struct BlockOutput {
  std::string text;                   // formatted output of the block's posts
  std::vector<double> probabilities;  // for eval
  std::vector<bool> is_spam;          // for eval
  int64_t posts = 0;
  int64_t bad_count = 0;
  std::vector<std::string> bad_messages;  // the first few
  absl::Status error;  // the bad record that stopped the run (without skip_bad)

  void Clear();
};

// Turns posts into output. One per worker thread; need not be thread-safe.
class PostHandler {
 public:
  virtual ~PostHandler() = default;
  // A non-OK status marks the post as a malformed record (like a parse error).
  // The post's fields are views of the input block (or of the parser's copy),
  // valid during the call only.
  virtual absl::Status Handle(const internal::PostView& post, BlockOutput* out) = 0;
  // Called after the last Handle() of a block (whether the block ended or a bad
  // record stopped it): output a handler keeps back for one append a block goes
  // into `out` now.
  virtual void Flush(BlockOutput* /*out*/) {}
};

struct PipelineOptions {
  std::string path;  // "-" is standard input
  PostReaderOptions reader;
  int threads = 1;  // worker threads; 1 runs everything on the calling thread
  // Where `threads` came from, for the note when no worker can start
  // (ThreadsOrigin(): "--threads 4", "4 by default: all cores, at most 32").
  std::string threads_origin;
  bool skip_bad = false;
  size_t block_bytes = size_t{256} << 10;  // input bytes per unit of work
};

struct PipelineStats {
  int64_t posts = 0;
  int64_t bad = 0;
};

// Reads the dump in blocks, parses and handles each block on `threads` workers (each
// with its own handler from make_handler), and passes the outputs to `sink` on the
// calling thread, in input order. When no worker thread can start at all, the
// calling thread does the work (as with one thread) after a note on stderr; when
// some can, those do it. Memory stays bounded: at most ~3 blocks per thread
// are in flight. Without skip_bad, stops at the first malformed record and returns
// its error (the outputs before it have gone to the sink); with skip_bad, counts
// them into `bad`. Also stops at the first error of the sink or of reading.
absl::Status RunPipeline(
    const PipelineOptions& options,
    const std::function<std::unique_ptr<PostHandler>()>& make_handler,
    const std::function<absl::Status(BlockOutput&)>& sink, Progress* progress,
    class BadRecords* bad, PipelineStats* stats);

}  // namespace groupguard::cli

#endif  // GROUPGUARD_TOOLS_GROUPGUARD_PIPELINE_H_
