// Feeds arbitrary bytes to the journal as segment and snapshot files, opens and
// recovers. Must never crash, and a journal that opens must replay, accept an append
// and show that append after reopening. One that does not open (kDataLoss) must open
// after SalvageJournal, or by itself with OnDamage::kSalvage, with the history the
// salvage reported. A read-only open (OpenJournalReadOnly) of the same files first
// must change none of them and agree with OpenJournal: the same error code, or the
// same history.

#include <stdlib.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "groupguard/event_store.h"
#include "store/journal_format.h"

namespace {

const std::string& ScratchDir() {
  static const std::string* dir = [] {
    const char* tmp = getenv("TMPDIR");
    std::string pattern =
        absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/gg_journal_fuzz_XXXXXX");
    if (mkdtemp(pattern.data()) == nullptr) abort();
    return new std::string(pattern);
  }();
  return *dir;
}

void WriteFile(const std::string& path, absl::string_view contents) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
  if (!out.good()) abort();
}

void Check(bool condition) {
  if (!condition) abort();
}

uint64_t CountReplay(groupguard::EventStore& store, uint64_t* last,
                     std::string* last_record) {
  uint64_t records = 0;
  absl::Status status =
      store.Recover([](absl::string_view, uint64_t) { return absl::OkStatus(); },
                    [&](uint64_t sequence, absl::string_view record) {
                      ++records;
                      *last = sequence;
                      last_record->assign(record.data(), record.size());
                      return absl::OkStatus();
                    });
  Check(status.ok());  // a journal that opened replays
  return records;
}

// Everything a Recover delivers.
struct History {
  std::string snapshot = "(none)";
  uint64_t through = 0;
  std::vector<std::pair<uint64_t, std::string>> records;
  bool operator==(const History& other) const {
    return snapshot == other.snapshot && through == other.through &&
           records == other.records;
  }
};

History ReadHistory(groupguard::EventStore& store) {
  History h;
  absl::Status status = store.Recover(
      [&](absl::string_view snapshot, uint64_t through) {
        h.snapshot.assign(snapshot.data(), snapshot.size());
        h.through = through;
        return absl::OkStatus();
      },
      [&](uint64_t sequence, absl::string_view record) {
        h.records.emplace_back(sequence, std::string(record));
        return absl::OkStatus();
      });
  Check(status.ok());
  return h;
}

// Every file in `dir` with its bytes.
std::map<std::string, std::string> Files(const std::string& dir) {
  std::map<std::string, std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::ifstream in(entry.path(), std::ios::binary);
    files[entry.path().filename().string()] =
        std::string(std::istreambuf_iterator<char>(in), {});
  }
  return files;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace internal = groupguard::internal;
  if (size < 2) return 0;
  const std::string dir = absl::StrCat(ScratchDir(), "/j");
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
  std::filesystem::create_directories(dir, ignored);

  const int mode = data[0] % 6;
  const uint64_t number = data[1] % 8;
  const bool salvage_on_open = (data[1] & 8) != 0;
  absl::string_view rest(reinterpret_cast<const char*>(data) + 2, size - 2);
  auto path = [&](const std::string& name) { return absl::StrCat(dir, "/", name); };
  switch (mode) {
    case 0:  // the bytes are a whole segment file
      WriteFile(path(internal::SegmentFileName(1)), rest);
      break;
    case 1:  // a valid header, then the bytes as records
      WriteFile(path(internal::SegmentFileName(1 + number)),
                internal::EncodeSegmentHeader(1 + number) + std::string(rest));
      break;
    case 2: {  // the bytes are a snapshot file, next to a segment with one good record
      std::string segment = internal::EncodeSegmentHeader(1);
      internal::AppendFrame(1, "one", &segment);
      WriteFile(path(internal::SegmentFileName(1)), segment);
      WriteFile(path(internal::SnapshotFileName(number)), rest);
      break;
    }
    case 3:    // valid records split from the bytes at '|', then one byte damaged or cut
    case 5: {  // ... with a snapshot through record `number` beside them
      if (rest.size() < 4) return 0;
      const size_t damage_at =
          static_cast<uint8_t>(rest[0]) | static_cast<uint8_t>(rest[1]) << 8;
      const bool cut = rest[2] & 1;
      const char flip = static_cast<char>(rest[3] | 1);
      std::string segment = internal::EncodeSegmentHeader(1);
      uint64_t sequence = 1;
      absl::string_view records = rest.substr(4);
      for (size_t start = 0;;) {
        const size_t end = records.find('|', start);
        internal::AppendFrame(sequence++, records.substr(start, end - start), &segment);
        if (end == absl::string_view::npos) break;
        start = end + 1;
      }
      if (cut) {
        segment.resize(std::min(segment.size(), damage_at));
      } else if (damage_at < segment.size()) {
        segment[damage_at] ^= flip;
      }
      WriteFile(path(internal::SegmentFileName(1)), segment);
      if (mode == 5) {
        WriteFile(path(internal::SnapshotFileName(number)),
                  internal::EncodeSnapshotHeader("state", number) + "state");
      }
      break;
    }
    default: {  // two segments sharing the bytes
      const size_t half = rest.size() / 2;
      WriteFile(path(internal::SegmentFileName(1)),
                internal::EncodeSegmentHeader(1) + std::string(rest.substr(0, half)));
      WriteFile(
          path(internal::SegmentFileName(1 + number)),
          internal::EncodeSegmentHeader(1 + number) + std::string(rest.substr(half)));
      break;
    }
  }

  // The read-only open first: it changes nothing, and OpenJournal then says the same.
  const std::map<std::string, std::string> files = Files(dir);
  std::optional<History> read_only_history;
  absl::StatusCode read_only_code;
  {
    auto read_only = groupguard::OpenJournalReadOnly(dir);
    read_only_code = read_only.status().code();
    if (read_only.ok()) read_only_history = ReadHistory(**read_only);
  }
  Check(Files(dir) == files);

  groupguard::JournalOptions options;
  options.sync = groupguard::JournalOptions::Sync::kNone;
  uint64_t appended = 0;
  {
    auto store = groupguard::OpenJournal(dir, options);
    Check(store.status().code() == read_only_code);
    if (store.ok()) Check(ReadHistory(**store) == *read_only_history);
    uint64_t salvaged_through = 0;
    if (!store.ok()) {
      if (!absl::IsDataLoss(store.status())) return 0;
      // A journal that will not open is salvaged, a dry run saying the same as the
      // salvage, and then opens with the history the salvage reported.
      groupguard::JournalSalvageOptions salvage;
      salvage.sync = false;
      salvage.dry_run = true;
      auto dry = groupguard::SalvageJournal(dir, salvage);
      Check(dry.ok() && dry->changed);
      absl::StatusOr<groupguard::JournalSalvageReport> report;
      if (salvage_on_open) {  // the same, by OpenJournal itself
        groupguard::JournalOptions salvaging = options;
        salvaging.on_damage = groupguard::JournalOptions::OnDamage::kSalvage;
        salvaging.on_salvage = [&](const groupguard::JournalSalvageReport& r) {
          Check(!report.ok());  // once
          report = r;
        };
        store = groupguard::OpenJournal(dir, salvaging);
        Check(store.ok());
      } else {
        salvage.dry_run = false;
        report = groupguard::SalvageJournal(dir, salvage);
      }
      Check(report.ok() && report->kept_through == dry->kept_through &&
            report->damage == dry->damage && report->stepped_over == dry->stepped_over &&
            report->changed == dry->changed && report->set_aside == dry->set_aside &&
            report->bytes_set_aside == dry->bytes_set_aside);
      if (!salvage_on_open) {
        store = groupguard::OpenJournal(dir, options);
        Check(store.ok());
      }
      salvaged_through = report->kept_through;
    }
    uint64_t last = 0;
    std::string last_record;
    const uint64_t records = CountReplay(**store, &last, &last_record);
    auto sequence = (*store)->Append("appended by the fuzzer");
    Check(sequence.ok());
    appended = *sequence;
    if (salvaged_through > 0) {
      Check(appended == salvaged_through + 1 &&
            (records == 0 || last == salvaged_through));
    }
  }
  // A journal that opens gives a salvage nothing to do.
  groupguard::JournalSalvageOptions check;
  check.sync = false;
  check.dry_run = true;
  auto report = groupguard::SalvageJournal(dir, check);
  Check(report.ok() && !report->changed && report->kept_through == appended);
  auto store = groupguard::OpenJournal(dir, options);
  Check(store.ok());
  uint64_t last = 0;
  std::string last_record;
  CountReplay(**store, &last, &last_record);
  Check(last == appended && last_record == "appended by the fuzzer");
  return 0;
}
