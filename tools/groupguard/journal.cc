// `groupguard journal check|salvage DIR`: what is wrong with a moderation journal that
// will not open, and the operator's deliberate way past it (SalvageJournal). `journal
// show` (the registry's state, read-only) is in journal_show.cc.
#include <cstdint>
#include <limits>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "commands.h"
#include "common.h"
#include "groupguard/event_store.h"
#include "journal_show.h"
#include "util/printable.h"

namespace groupguard::cli {
namespace {

struct JournalFlags {
  std::string dir;
  uint64_t drop_from = 0;
  bool dry_run = false;
};

// The report in words. `done` is false for `check` and dry runs.
std::string Describe(const JournalSalvageReport& report, bool done) {
  std::string s;
  if (report.damage.empty() && report.stepped_over.empty()) {
    absl::StrAppend(&s, "no damage found\n");
  }
  if (!report.stepped_over.empty()) {
    absl::StrAppend(&s, "damage before the records after the snapshot: ",
                    internal::Printable(report.stepped_over, 1000), "\n");
  }
  if (!report.damage.empty()) {
    absl::StrAppend(&s, "damage: ", internal::Printable(report.damage, 1000), "\n");
  }
  if (!report.torn_tail.empty()) {
    absl::StrAppend(
        &s, "torn tail (not damage): ", internal::Printable(report.torn_tail, 1000),
        "; an append cut short, by a crash most likely (or a damaged last "
        "record): opening the journal cuts these bytes, keeping them (unless all "
        "zeros) in a \".torn-at-\" file beside the segment, and the history ends "
        "before them\n");
  }
  if (!report.changed) {
    absl::StrAppendFormat(&s,
                          "the journal opens as it is: its history ends with record %d",
                          report.kept_through);
    if (report.snapshot_through > 0) {
      absl::StrAppendFormat(&s, " (a snapshot holds records 1..%d)",
                            report.snapshot_through);
    }
    s += "\n";
    return s;
  }
  if (!report.stepped_over.empty()) {
    absl::StrAppendFormat(&s,
                          "%s records %d.. into a new segment past the damage before "
                          "them\n",
                          done ? "salvaged: copied" : "salvage would copy",
                          report.snapshot_through + 1);
  }
  // Not after drop_from cut it (no damage, but records lost).
  if (report.damage.empty() && report.last_seen <= report.kept_through) {
    absl::StrAppendFormat(&s, "%s the whole history, through record %d",
                          done ? "salvaged: kept" : "salvage would keep",
                          report.kept_through);
  } else {
    absl::StrAppendFormat(&s, "%s the history at record %d",
                          done ? "salvaged: cut" : "salvage would cut",
                          report.kept_through);
  }
  if (report.snapshot_through > 0) {
    absl::StrAppendFormat(&s, " (from the snapshot through record %d)",
                          report.snapshot_through);
  }
  s += "\n";
  if (report.last_seen > report.kept_through) {
    absl::StrAppendFormat(&s,
                          "lost from the history: records %d..%d at least (the files set "
                          "aside hold what survives of them)\n",
                          report.kept_through + 1, report.last_seen);
  } else if (report.lost_past_damage) {
    // Damage in the last segment: no later file names or holds a record, but the
    // bytes set aside after the history's end held at least the damaged one.
    absl::StrAppendFormat(&s,
                          "lost from the history: records %d.., how many unknown (the "
                          "damage hides them; the files set aside hold what survives of "
                          "them)\n",
                          report.kept_through + 1);
  }
  absl::StrAppendFormat(&s, "%s (%d bytes):\n", done ? "set aside" : "would set aside",
                        report.bytes_set_aside);
  for (const std::string& path : report.set_aside) {
    absl::StrAppend(&s, "  ", internal::Printable(path, 1000), "\n");
  }
  if (report.set_aside.empty()) s += "  nothing\n";
  return s;
}

int RunJournal(const JournalFlags& flags, bool salvage) {
  JournalSalvageOptions options;
  options.drop_from = flags.drop_from;
  options.dry_run = !salvage || flags.dry_run;
  absl::StatusOr<JournalSalvageReport> report = SalvageJournal(flags.dir, options);
  if (!report.ok()) {
    PrintError(report.status().message());
    return kExitRuntimeError;
  }
  if (absl::Status written = WriteStdout(Describe(*report, !options.dry_run));
      !written.ok()) {
    PrintError(written.message());
    return kExitRuntimeError;
  }
  // `check` fails when the journal would not open as it is (or would lose drop_from).
  return !salvage && report->changed ? kExitRuntimeError : kExitOk;
}

}  // namespace

void AddJournalCommand(CLI::App& app) {
  CLI::App* journal = app.add_subcommand(
      "journal",
      "Show the moderation registry a journal holds (also while the server has it "
      "open), check a journal, or salvage one that will not open");
  journal->require_subcommand(1);

  auto check_flags = std::make_shared<JournalFlags>();
  CLI::App* check = journal->add_subcommand(
      "check",
      "Read the whole journal and say whether it opens as it is; if not, what is "
      "damaged and what `salvage` would do (exit 1). Changes nothing; the journal "
      "must not be open");
  check->add_option("dir", check_flags->dir, "Journal directory")
      ->required()
      ->check(FileName());
  AddIntegerOption(check, "--drop-from", &check_flags->drop_from, 1,
                   std::numeric_limits<uint64_t>::max(),
                   "Also show what salvaging with --drop-from N would do");
  check->callback([check_flags] { ExitWith(RunJournal(*check_flags, false)); });

  auto salvage_flags = std::make_shared<JournalFlags>();
  CLI::App* salvage = journal->add_subcommand(
      "salvage",
      "Keep the longest intact beginning of the history and set the rest aside (files "
      "renamed or copied, never deleted), so the journal opens again. The journal must "
      "not be open");
  salvage->add_option("dir", salvage_flags->dir, "Journal directory")
      ->required()
      ->check(FileName());
  AddIntegerOption(salvage, "--drop-from", &salvage_flags->drop_from, 1,
                   std::numeric_limits<uint64_t>::max(),
                   "Also end the history before record N (the sequence number "
                   "Registry::Open names for an event it cannot apply)");
  salvage->add_flag("--dry-run", salvage_flags->dry_run,
                    "Say what would be done; change nothing");
  salvage->callback([salvage_flags] { ExitWith(RunJournal(*salvage_flags, true)); });

  AddJournalShowCommand(journal);
}

}  // namespace groupguard::cli
