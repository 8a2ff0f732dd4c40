#include "pipeline.h"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <new>
#include <string>
#include <system_error>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common.h"
#include "io/block_reader.h"
#include "io/record_parser.h"
#include "progress.h"

namespace groupguard::cli {

void BlockOutput::Clear() {
  text.clear();
  probabilities.clear();
  is_spam.clear();
  posts = 0;
  bad_count = 0;
  bad_messages.clear();
  error = absl::OkStatus();
}

namespace {

using internal::BlockReader;
using internal::RecordBlock;
using internal::RecordParser;

struct Task {
  std::unique_ptr<RecordBlock> block;
  size_t pos = 0;
  int64_t line = 1;
  // Oversize records the reader skipped just before this block: they come
  // before its records, so they are counted when its output is (in input order
  // with the other bad records, however many threads run).
  std::vector<std::string> skipped_before;
  BlockOutput out;
  bool done = false;  // guarded by the pool's mutex
};

// Parses and handles the records of a task's block (see Process).
void ProcessRecords(Task* task, bool skip_bad, RecordParser* parser, PostHandler* handler,
                    internal::PostView* post) {
  BlockOutput& out = task->out;
  absl::string_view data = task->block->data();
  size_t pos = task->pos;
  int64_t line = task->line;
  // Counts a bad record and keeps its message; true if it stops the block. What is
  // not the record's fault (out of memory reading it) is no bad record: it stops.
  const auto stops = [&out, skip_bad](const absl::Status& status) {
    if (status.code() != absl::StatusCode::kInvalidArgument) {
      out.error = status;
      return true;
    }
    ++out.bad_count;
    if (out.bad_messages.size() < BadRecords::kKept) {
      out.bad_messages.emplace_back(status.message());
    }
    if (skip_bad) return false;
    out.error = status;
    return true;
  };
  for (;;) {
    // Most records are the plain-record scanner's: read with no StatusOr to build
    // and test, and handled on a path of their own.
    if (parser->NextPlainView(data, &pos, &line, post)) {
      const absl::Status status = handler->Handle(*post, &out);
      if (status.ok()) {
        ++out.posts;
      } else if (stops(status)) {
        break;
      }
      continue;
    }
    absl::StatusOr<bool> more = parser->NextOtherView(data, &pos, &line, post);
    absl::Status status;
    if (more.ok()) {
      if (!*more) break;
      status = handler->Handle(*post, &out);
      if (status.ok()) {
        ++out.posts;
        continue;
      }
    } else {
      status = more.status();
    }
    if (stops(status)) break;
  }
}

// Parses and handles every record of a task's block. Running out of memory on a
// record (a huge post on a small machine: the library throws std::bad_alloc as a
// std::vector would) ends the run with an error naming the record, on a worker
// thread as on the calling one, instead of ending the process (std::terminate)
// with an output file's temporary left behind.
void Process(Task* task, bool skip_bad, RecordParser* parser, PostHandler* handler,
             internal::PostView* post) {
  BlockOutput& out = task->out;
  out.Clear();
  post->line = 0;
  try {
    ProcessRecords(task, skip_bad, parser, handler, post);
  } catch (const std::bad_alloc&) {
    // Only the whole lines of the posts before it are output.
    const size_t whole = out.text.rfind('\n');
    out.text.resize(whole == std::string::npos ? 0 : whole + 1);
    // A record read (post->line set) was being handled; else the parser was
    // reading one (it sets post->line to 0 before it reads a record; the line it
    // read last without the plain-record scanner, or the block's first, says where).
    // The message needs memory too: when that is out as well, the error goes
    // without one (a std::bad_alloc out of here, on a worker, would end the
    // process), and RunPipeline() words it once the run has let go of its memory.
    try {
      out.error = absl::ResourceExhaustedError(
          post->line != 0 ? absl::StrCat(parser->source_name(), ":", post->line,
                                         ": out of memory handling this record (",
                                         post->text.size(), " bytes of text)")
                          : absl::StrCat(parser->source_name(), ":",
                                         std::max(parser->reading_line(), task->line),
                                         ": out of memory reading this record (",
                                         parser->reading_bytes(), " bytes)"));
    } catch (const std::bad_alloc&) {
      out.error = absl::Status(absl::StatusCode::kResourceExhausted, "");
    }
    return;
  }
  try {
    handler->Flush(&out);
  } catch (const std::bad_alloc&) {
    // The block's last output (score's pending line), when memory ran out for it:
    // the posts before it stand, and the run ends (no message: RunPipeline's).
    const size_t whole = out.text.rfind('\n');
    out.text.resize(whole == std::string::npos ? 0 : whole + 1);
    out.error = absl::Status(absl::StatusCode::kResourceExhausted, "");
  }
}

class WorkerPool {
 public:
  WorkerPool(int threads, bool skip_bad, const RecordParser& parser,
             const std::function<std::unique_ptr<PostHandler>()>& make_handler) {
    for (int i = 0; i < threads; ++i) {
      auto handler = make_handler();
      // A thread that cannot be started (out of threads or address space) throws,
      // which must not leave here with the started ones unjoined (std::terminate):
      // those do the work (none: start_error()).
      try {
        StartThread(skip_bad, parser.Clone(), std::move(handler));
      } catch (const std::system_error& e) {
        start_error_ = e.what();
        break;
      }
    }
  }

  ~WorkerPool() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
      queue_.clear();
    }
    work_cv_.notify_all();
    for (std::thread& t : threads_) t.join();
  }

  // Whether a worker thread started; if not, start_error() says why.
  bool started() const { return !threads_.empty(); }
  const std::string& start_error() const { return start_error_; }

  void Submit(Task* task) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      task->done = false;
      queue_.push_back(task);
    }
    work_cv_.notify_one();
  }

  // Returns once `task` is done. Only the calling thread waits here.
  void Wait(Task* task) {
    std::unique_lock<std::mutex> lock(mu_);
    awaited_ = task;
    done_cv_.wait(lock, [task] { return task->done; });
    awaited_ = nullptr;
  }

 private:
  void StartThread(bool skip_bad, RecordParser p, std::unique_ptr<PostHandler> h) {
    threads_.emplace_back([this, skip_bad, p = std::move(p), h = std::move(h)]() mutable {
      internal::PostView post;
      for (;;) {
        Task* task;
        {
          std::unique_lock<std::mutex> lock(mu_);
          work_cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
          if (stop_) return;
          task = queue_.front();
          queue_.pop_front();
        }
        Process(task, skip_bad, &p, h.get(), &post);
        bool awaited;
        {
          std::lock_guard<std::mutex> lock(mu_);
          task->done = true;
          awaited = task == awaited_;
        }
        // The calling thread waits for one task at a time, the oldest: waking it
        // for another (half the blocks with two workers) would take a core from a
        // worker for nothing.
        if (awaited) done_cv_.notify_one();
      }
    });
  }

  std::mutex mu_;
  std::condition_variable work_cv_;
  std::condition_variable done_cv_;
  std::deque<Task*> queue_;  // guarded by mu_
  Task* awaited_ = nullptr;  // guarded by mu_: the task Wait() waits for
  bool stop_ = false;        // guarded by mu_
  std::vector<std::thread> threads_;
  std::string start_error_;
};

// The end of the input (`status` OK) or the read error that ends the run, after
// every earlier block's output: counts the oversize records met after the last
// block (the one that stopped the run without --skip-bad).
absl::Status EndOfInput(const Task& task, absl::Status status, BadRecords* bad) {
  for (const std::string& message : task.skipped_before) bad->Add(message);
  return status;
}

// RunPipeline, which turns std::bad_alloc on the calling thread into an error.
absl::Status RunPipelineOrThrow(
    const PipelineOptions& options,
    const std::function<std::unique_ptr<PostHandler>()>& make_handler,
    const std::function<absl::Status(BlockOutput&)>& sink, Progress* progress,
    BadRecords* bad, PipelineStats* stats) {
  internal::BlockReaderOptions block_options;
  block_options.quoted_records = options.reader.format == DumpFormat::kCsv;
  block_options.max_record_bytes = options.reader.max_record_bytes;
  block_options.block_bytes = options.block_bytes;
  auto reader = BlockReader::Open(options.path, block_options);
  if (!reader.ok()) return reader.status();
  auto parser = RecordParser::Create(options.reader, (*reader)->name());
  if (!parser.ok()) return parser.status();
  progress->set_total((*reader)->size());

  std::vector<std::unique_ptr<RecordBlock>> spare;
  // Reads the next block into `task`; false at the end of the input. Oversize
  // records are malformed records (kept in task->skipped_before with --skip-bad;
  // otherwise the error); the CSV/TSV header is read from the first block.
  auto read_task = [&](Task* task) -> absl::StatusOr<bool> {
    task->skipped_before.clear();
    if (task->block == nullptr) {
      if (spare.empty()) {
        task->block = std::make_unique<RecordBlock>();
      } else {
        task->block = std::move(spare.back());
        spare.pop_back();
      }
    }
    for (;;) {
      absl::StatusOr<bool> more = (*reader)->Next(task->block.get());
      if (!more.ok()) {
        if (more.status().code() != absl::StatusCode::kInvalidArgument) {
          return more.status();
        }
        task->skipped_before.emplace_back(more.status().message());
        if (!options.skip_bad) return more.status();
        continue;
      }
      if (!*more) return false;
      task->pos = 0;
      task->line = task->block->first_line();
      // Before the header is read and the workers clone the parser: messages
      // about line 1 count a dropped byte order mark in their byte offsets.
      parser->SetDroppedBom((*reader)->dropped_bom());
      if (parser->needs_header()) {
        absl::StatusOr<bool> header =
            parser->ReadHeader(task->block->data(), &task->pos, &task->line);
        if (!header.ok()) return header.status();
        if (!*header) continue;
      }
      return true;
    }
  };
  // Takes a finished task's output, in order. Returns the error that stops the run.
  auto finish = [&](Task* task) -> absl::Status {
    for (const std::string& message : task->skipped_before) bad->Add(message);
    BlockOutput& out = task->out;
    stats->posts += out.posts;
    stats->bad += out.bad_count;
    bad->Merge(out.bad_count, out.bad_messages);
    absl::Status status = sink(out);
    progress->Update(stats->posts, (*reader)->bytes_consumed());
    if (!status.ok()) return status;
    spare.push_back(std::move(task->block));
    return out.error;
  };

  // Handles `task` (read, not yet processed) and the rest of the input on the
  // calling thread.
  auto run_here = [&](Task* task) -> absl::Status {
    auto handler = make_handler();
    internal::PostView post;
    for (;;) {
      Process(task, options.skip_bad, &*parser, handler.get(), &post);
      absl::Status status = finish(task);
      if (!status.ok()) return status;
      absl::StatusOr<bool> more = read_task(task);
      if (!more.ok() || !*more) return EndOfInput(*task, more.status(), bad);
    }
  };

  if (options.threads <= 1) {
    Task task;
    absl::StatusOr<bool> more = read_task(&task);
    if (!more.ok() || !*more) return EndOfInput(task, more.status(), bad);
    return run_here(&task);
  }

  const size_t window = static_cast<size_t>(options.threads) * 3;
  std::deque<std::unique_ptr<Task>> in_flight;
  // Finished tasks, reused: their output buffers keep their size, so a block's
  // output is not grown again from nothing (reallocated and copied, its pages
  // faulted in afresh) for every block. At most `window` of them.
  std::vector<std::unique_ptr<Task>> free_tasks;
  std::unique_ptr<WorkerPool> pool;
  std::unique_ptr<Task> tail;
  absl::Status read_error;
  bool input_done = false;
  absl::Status result;
  for (;;) {
    while (!input_done && in_flight.size() < window) {
      std::unique_ptr<Task> task;
      if (free_tasks.empty()) {
        task = std::make_unique<Task>();
      } else {
        task = std::move(free_tasks.back());
        free_tasks.pop_back();
      }
      absl::StatusOr<bool> more = read_task(task.get());
      if (!more.ok() || !*more) {
        read_error = more.status();
        input_done = true;
        tail = std::move(task);  // oversize records after the last block
        break;
      }
      // Workers start once the header (if any) is known: they clone the parser.
      if (pool == nullptr) {
        pool = std::make_unique<WorkerPool>(options.threads, options.skip_bad, *parser,
                                            make_handler);
        if (!pool->started()) {
          // No worker at all (out of threads or address space): the calling thread
          // does the work, as with --threads 1 (the same output), and says why it
          // may take longer than asked for.
          progress->Finish();
          PrintError(absl::StrCat("note: cannot start a worker thread (",
                                  options.threads_origin, "): ", pool->start_error(),
                                  "; working on the main thread"));
          pool.reset();
          return run_here(task.get());
        }
      }
      pool->Submit(task.get());
      in_flight.push_back(std::move(task));
    }
    if (in_flight.empty()) break;
    Task* front = in_flight.front().get();
    pool->Wait(front);
    result = finish(front);
    if (!result.ok()) break;
    free_tasks.push_back(std::move(in_flight.front()));
    in_flight.pop_front();
  }
  pool.reset();  // joins the workers before the tasks go away
  if (!result.ok()) return result;
  return tail == nullptr ? read_error : EndOfInput(*tail, read_error, bad);
}

}  // namespace

absl::Status RunPipeline(
    const PipelineOptions& options,
    const std::function<std::unique_ptr<PostHandler>()>& make_handler,
    const std::function<absl::Status(BlockOutput&)>& sink, Progress* progress,
    BadRecords* bad, PipelineStats* stats) {
  // A worker that runs out of memory on a record says which (Process). With workers,
  // the calling thread may run out first, reading the next blocks or ordering the
  // outputs while a worker holds the memory: the run ends naming the input (the
  // workers are joined as the pipeline unwinds).
  // A message that could not be made then (Process) is made here, when the run
  // has let go of its memory; if even that runs out, the error stays without one.
  const auto out_of_memory = [&options](absl::string_view doing) {
    try {
      return absl::ResourceExhaustedError(absl::StrCat(
          options.path == "-" ? "<stdin>" : options.path, ": out of memory", doing));
    } catch (const std::bad_alloc&) {
      return absl::Status(absl::StatusCode::kResourceExhausted, "");
    }
  };
  try {
    absl::Status status =
        RunPipelineOrThrow(options, make_handler, sink, progress, bad, stats);
    if (absl::IsResourceExhausted(status) && status.message().empty()) {
      return out_of_memory("");
    }
    return status;
  } catch (const std::bad_alloc&) {
    return out_of_memory(" reading the input or ordering its outputs");
  }
}

}  // namespace groupguard::cli
