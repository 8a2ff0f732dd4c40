#include "store/journal_format.h"

#include <xxhash.h>

#include <cstring>
#include <optional>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace groupguard::internal {
namespace {

constexpr char kSegmentMagic[8] = {'G', 'G', 'J', 'O', 'U', 'R', 'N', 'L'};
constexpr char kSnapshotMagic[8] = {'G', 'G', 'S', 'N', 'A', 'P', 'S', 'H'};
constexpr absl::string_view kSegmentPrefix = "journal-";
constexpr absl::string_view kSegmentSuffix = ".log";
constexpr absl::string_view kSnapshotPrefix = "snapshot-";
constexpr absl::string_view kSnapshotSuffix = ".snap";
constexpr size_t kNumberDigits = 20;

void PutU32(uint32_t v, std::string* out) {
  char b[4];
  for (int i = 0; i < 4; ++i) b[i] = static_cast<char>(v >> (8 * i));
  out->append(b, 4);
}
void PutU64(uint64_t v, std::string* out) {
  char b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<char>(v >> (8 * i));
  out->append(b, 8);
}

std::optional<uint64_t> ParseNumberedName(absl::string_view name,
                                          absl::string_view prefix,
                                          absl::string_view suffix) {
  if (!absl::ConsumePrefix(&name, prefix) || !absl::ConsumeSuffix(&name, suffix) ||
      name.size() != kNumberDigits) {
    return std::nullopt;
  }
  for (char c : name) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return std::nullopt;
  }
  uint64_t value;
  if (!absl::SimpleAtoi(name, &value)) return std::nullopt;
  return value;
}

// Checks magic and version, shared by both headers.
absl::Status CheckMagicAndVersion(absl::string_view header, const char (&magic)[8],
                                  absl::string_view kind, absl::string_view path) {
  if (std::memcmp(header.data(), magic, 8) != 0) {
    return absl::DataLossError(
        absl::StrCat(path, ": offset 0: not a groupguard ", kind, " (bad magic)"));
  }
  const uint32_t version = LoadU32(header.data() + 8);
  if (version > kJournalFormatVersion) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, ": ", kind, " format version ", version,
                     " is newer than this build of groupguard reads (up to version ",
                     kJournalFormatVersion, "); upgrade groupguard to open it"));
  }
  if (version == 0) {
    return absl::DataLossError(
        absl::StrCat(path, ": offset 8: invalid ", kind, " format version 0"));
  }
  return absl::OkStatus();
}

}  // namespace

// StrCat, not StrFormat: absl::StrFormat (as Debian builds it) ends the process
// (std::terminate) when an allocation in it fails, where StrCat throws
// std::bad_alloc like any container; a snapshot's name is made while the registry
// compacts, which turns running out of memory into an error.
std::string SegmentFileName(uint64_t first_sequence) {
  return absl::StrCat(kSegmentPrefix, absl::Dec(first_sequence, absl::kZeroPad20),
                      kSegmentSuffix);
}

std::string SnapshotFileName(uint64_t through) {
  return absl::StrCat(kSnapshotPrefix, absl::Dec(through, absl::kZeroPad20),
                      kSnapshotSuffix);
}

std::optional<uint64_t> ParseSegmentFileName(absl::string_view name) {
  return ParseNumberedName(name, kSegmentPrefix, kSegmentSuffix);
}

std::optional<uint64_t> ParseSnapshotFileName(absl::string_view name) {
  return ParseNumberedName(name, kSnapshotPrefix, kSnapshotSuffix);
}

std::string EncodeSegmentHeader(uint64_t first_sequence) {
  std::string out(kSegmentMagic, 8);
  PutU32(kJournalFormatVersion, &out);
  PutU32(kSegmentHeaderBytes, &out);
  PutU64(first_sequence, &out);
  PutU64(XXH3_64bits(out.data(), out.size()), &out);
  return out;
}

absl::StatusOr<uint64_t> DecodeSegmentHeader(absl::string_view header,
                                             absl::string_view path) {
  if (header.size() < kSegmentHeaderBytes) {
    return absl::DataLossError(absl::StrCat(path, ": offset 0: journal header is ",
                                            header.size(), " bytes, expected ",
                                            kSegmentHeaderBytes));
  }
  absl::Status status = CheckMagicAndVersion(header, kSegmentMagic, "journal", path);
  if (!status.ok()) return status;
  if (LoadU32(header.data() + 12) != kSegmentHeaderBytes ||
      LoadU64(header.data() + 24) != XXH3_64bits(header.data(), 24)) {
    return absl::DataLossError(
        absl::StrCat(path, ": offset 0: journal header checksum mismatch"));
  }
  const uint64_t first = LoadU64(header.data() + 16);
  if (first == 0) {
    return absl::DataLossError(
        absl::StrCat(path, ": offset 16: journal segment starts at sequence 0"));
  }
  return first;
}

uint32_t LengthCheck(const char* length_bytes, uint64_t sequence) {
  return static_cast<uint32_t>(XXH3_64bits_withSeed(length_bytes, 4, sequence));
}

uint64_t PayloadCheck(absl::string_view payload, uint64_t sequence) {
  return XXH3_64bits_withSeed(payload.data(), payload.size(), sequence);
}

void AppendFrame(uint64_t sequence, absl::string_view record, std::string* out) {
  const size_t start = out->size();
  PutU32(static_cast<uint32_t>(record.size()), out);
  PutU32(LengthCheck(out->data() + start, sequence), out);
  PutU64(PayloadCheck(record, sequence), out);
  out->append(record.data(), record.size());
}

std::string EncodeSnapshotHeader(absl::string_view payload, uint64_t through) {
  std::string out(kSnapshotMagic, 8);
  PutU32(kJournalFormatVersion, &out);
  PutU32(kSnapshotHeaderBytes, &out);
  PutU64(through, &out);
  PutU64(payload.size(), &out);
  PutU64(XXH3_64bits_withSeed(payload.data(), payload.size(), through), &out);
  PutU64(XXH3_64bits(out.data(), out.size()), &out);
  return out;
}

absl::StatusOr<absl::string_view> DecodeSnapshot(absl::string_view contents,
                                                 uint64_t expected_through,
                                                 absl::string_view path) {
  if (contents.size() < kSnapshotHeaderBytes) {
    return absl::DataLossError(absl::StrCat(path, ": offset 0: snapshot header is ",
                                            contents.size(), " bytes, expected ",
                                            kSnapshotHeaderBytes));
  }
  absl::Status status = CheckMagicAndVersion(contents, kSnapshotMagic, "snapshot", path);
  if (!status.ok()) return status;
  if (LoadU32(contents.data() + 12) != kSnapshotHeaderBytes ||
      LoadU64(contents.data() + 40) != XXH3_64bits(contents.data(), 40)) {
    return absl::DataLossError(
        absl::StrCat(path, ": offset 0: snapshot header checksum mismatch"));
  }
  const uint64_t through = LoadU64(contents.data() + 16);
  if (through != expected_through) {
    return absl::DataLossError(absl::StrCat(path, ": offset 16: snapshot covers through ",
                                            through, " but its name says ",
                                            expected_through));
  }
  const uint64_t length = LoadU64(contents.data() + 24);
  if (length != contents.size() - kSnapshotHeaderBytes) {
    return absl::DataLossError(absl::StrCat(
        path, ": offset ", contents.size(), ": snapshot payload is ",
        contents.size() - kSnapshotHeaderBytes, " bytes, header says ", length));
  }
  absl::string_view payload = contents.substr(kSnapshotHeaderBytes);
  if (XXH3_64bits_withSeed(payload.data(), payload.size(), through) !=
      LoadU64(contents.data() + 32)) {
    return absl::DataLossError(absl::StrCat(path, ": offset ", kSnapshotHeaderBytes,
                                            ": snapshot payload checksum mismatch"));
  }
  return payload;
}

}  // namespace groupguard::internal
