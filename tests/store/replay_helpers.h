#ifndef GROUPGUARD_TESTS_STORE_REPLAY_HELPERS_H_
#define GROUPGUARD_TESTS_STORE_REPLAY_HELPERS_H_

// Helpers shared by the store tests: collect what Recover() delivers, and records
// with awkward contents.

#include <algorithm>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "groupguard/event_store.h"
#include "gtest/gtest.h"

namespace groupguard::testing_internal {

// Everything one Recover() call delivered.
struct Replayed {
  bool has_snapshot = false;
  int snapshot_calls = 0;
  std::string snapshot;
  uint64_t through = 0;
  std::vector<std::pair<uint64_t, std::string>> records;
};

inline absl::StatusOr<Replayed> ReplayAll(EventStore& store) {
  Replayed out;
  absl::Status status = store.Recover(
      [&](absl::string_view snapshot, uint64_t through) {
        ++out.snapshot_calls;
        out.has_snapshot = true;
        out.snapshot = std::string(snapshot);
        out.through = through;
        return absl::OkStatus();
      },
      [&](uint64_t sequence, absl::string_view record) {
        out.records.emplace_back(sequence, std::string(record));
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  return out;
}

// Records with awkward bytes: empty, embedded NULs, every byte value, a large one.
inline std::vector<std::string> AwkwardRecords() {
  std::vector<std::string> records;
  records.emplace_back("");
  records.emplace_back(std::string("a\0b\0", 4));
  std::string all_bytes;
  for (int i = 0; i < 256; ++i) all_bytes.push_back(static_cast<char>(i));
  records.push_back(all_bytes);
  std::string large(200000, 'x');
  for (size_t i = 0; i < large.size(); i += 7) large[i] = static_cast<char>(i * 31);
  records.push_back(large);
  records.emplace_back("last");
  return records;
}

inline std::string NumberedRecord(int thread, int i) {
  return absl::StrCat("thread ", thread, " record ", i, std::string(i % 50, '.'));
}

// What one thread had acknowledged: (sequence number, record), in its order.
using Acked = std::vector<std::pair<uint64_t, std::string>>;

// Runs `threads` threads at once, thread t appending NumberedRecord(t, 0..per_thread)
// through `append` (record -> StatusOr<sequence number>), and `during` on the calling
// thread while they run. Returns each thread's acknowledged records; a failed append
// is a test failure and ends its thread.
inline std::vector<Acked> AppendFromThreads(
    int threads, int per_thread,
    const std::function<absl::StatusOr<uint64_t>(const std::string&)>& append,
    const std::function<void()>& during = [] {}) {
  std::vector<Acked> acked(threads);
  std::vector<std::thread> running;
  for (int t = 0; t < threads; ++t) {
    running.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        std::string record = NumberedRecord(t, i);
        absl::StatusOr<uint64_t> sequence = append(record);
        if (!sequence.ok()) {
          ADD_FAILURE() << sequence.status();
          return;
        }
        acked[t].emplace_back(*sequence, std::move(record));
      }
    });
  }
  during();
  for (std::thread& t : running) t.join();
  return acked;
}

// Every thread's acknowledged records together, by sequence number.
inline Acked SortedUnion(const std::vector<Acked>& acked) {
  Acked all;
  for (const Acked& per_thread : acked) {
    all.insert(all.end(), per_thread.begin(), per_thread.end());
  }
  std::sort(all.begin(), all.end());
  return all;
}

}  // namespace groupguard::testing_internal

#endif  // GROUPGUARD_TESTS_STORE_REPLAY_HELPERS_H_
