// Journal speed: append throughput per sync policy (group commit across threads) and
// recovery speed (open + replay) for journals of one and ten million small records.
//
//   build/<dir>/bench/journal_benchmark --benchmark_filter=Recover
//
// Journals live under $TMPDIR (default /tmp); fdatasync figures depend on that disk.

#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <system_error>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "benchmark/benchmark.h"
#include "groupguard/event_store.h"
#include "store/journal_format.h"

namespace groupguard {
namespace {

std::string MakeScratchDir() {
  const char* tmp = getenv("TMPDIR");
  std::string pattern =
      absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/gg_journal_bench_XXXXXX");
  if (mkdtemp(pattern.data()) == nullptr) abort();
  return pattern;
}

// About the size of one encoded registry event (a membership change).
std::string SmallRecord(uint64_t i) {
  std::string r = absl::StrCat("m", i * 2654435761u % 1000000, "g", i % 97, "t", i);
  r.resize(24, '.');
  return r;
}

struct AppendFixture {
  std::string dir;
  std::unique_ptr<EventStore> store;
};
AppendFixture* append_fixture = nullptr;

void BM_Journal_Append(benchmark::State& state, JournalOptions::Sync sync) {
  if (state.thread_index() == 0) {
    append_fixture = new AppendFixture;
    append_fixture->dir = MakeScratchDir();
    JournalOptions options;
    options.sync = sync;
    auto store = OpenJournal(append_fixture->dir + "/j", options);
    if (!store.ok()) {
      state.SkipWithError(std::string(store.status().message()).c_str());
      return;
    }
    append_fixture->store = *std::move(store);
  }
  const std::string record = SmallRecord(state.thread_index());
  for (auto _ : state) {
    absl::StatusOr<uint64_t> sequence = append_fixture->store->Append(record);
    if (!sequence.ok()) {
      state.SkipWithError(std::string(sequence.status().message()).c_str());
      break;
    }
    benchmark::DoNotOptimize(*sequence);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * record.size());
  if (state.thread_index() == 0) {
    append_fixture->store.reset();
    std::error_code ignored;
    std::filesystem::remove_all(append_fixture->dir, ignored);
    delete append_fixture;
    append_fixture = nullptr;
  }
}
BENCHMARK_CAPTURE(BM_Journal_Append, None, JournalOptions::Sync::kNone)->UseRealTime();
BENCHMARK_CAPTURE(BM_Journal_Append, EveryAppend, JournalOptions::Sync::kEveryAppend)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_Journal_Append, GroupCommit, JournalOptions::Sync::kGroupCommit)
    ->ThreadRange(1, 16)
    ->UseRealTime();

// A journal of `records` small records written directly in the file format (appending
// ten million records one syscall at a time would dominate the run).
std::string BuildJournal(int64_t records, uint64_t* bytes) {
  const std::string dir = MakeScratchDir() + "/j";
  std::filesystem::create_directories(dir);
  std::ofstream out(absl::StrCat(dir, "/", internal::SegmentFileName(1)),
                    std::ios::binary);
  std::string chunk = internal::EncodeSegmentHeader(1);
  *bytes = 0;
  for (int64_t i = 1; i <= records; ++i) {
    internal::AppendFrame(static_cast<uint64_t>(i), SmallRecord(i), &chunk);
    if (chunk.size() > (4 << 20) || i == records) {
      out.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
      *bytes += chunk.size();
      chunk.clear();
    }
  }
  return dir;
}

// Open (which checks every record and the tail) plus a full replay: what a restart
// costs the registry, minus applying the events.
void BM_Journal_Recover(benchmark::State& state) {
  uint64_t bytes = 0;
  const std::string dir = BuildJournal(state.range(0), &bytes);
  JournalOptions options;
  options.sync = JournalOptions::Sync::kNone;
  for (auto _ : state) {
    auto store = OpenJournal(dir, options);
    if (!store.ok()) {
      state.SkipWithError(std::string(store.status().message()).c_str());
      break;
    }
    uint64_t count = 0;
    uint64_t checksum = 0;
    absl::Status status =
        (*store)->Recover([](absl::string_view, uint64_t) { return absl::OkStatus(); },
                          [&](uint64_t, absl::string_view record) {
                            ++count;
                            checksum += static_cast<unsigned char>(record[0]);
                            return absl::OkStatus();
                          });
    if (!status.ok() || count != static_cast<uint64_t>(state.range(0))) {
      state.SkipWithError("replay failed");
      break;
    }
    benchmark::DoNotOptimize(checksum);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(bytes));
  state.counters["journal_MB"] = static_cast<double>(bytes) / 1e6;
  std::error_code ignored;
  std::filesystem::remove_all(std::filesystem::path(dir).parent_path(), ignored);
}
BENCHMARK(BM_Journal_Recover)
    ->Arg(1000000)
    ->Arg(10000000)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3)
    ->UseRealTime();

}  // namespace
}  // namespace groupguard

BENCHMARK_MAIN();
