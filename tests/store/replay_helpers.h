#ifndef GROUPGUARD_TESTS_STORE_REPLAY_HELPERS_H_
#define GROUPGUARD_TESTS_STORE_REPLAY_HELPERS_H_

// Helpers shared by the store tests: collect what Recover() delivers, and records
// with awkward contents.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "groupguard/event_store.h"

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

}  // namespace groupguard::testing_internal

#endif  // GROUPGUARD_TESTS_STORE_REPLAY_HELPERS_H_
