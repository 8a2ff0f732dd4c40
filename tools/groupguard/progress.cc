#include "progress.h"

#include <unistd.h>

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "util/printable.h"

namespace groupguard::cli {

Progress::Progress(std::string what, std::optional<uint64_t> total_bytes,
                   std::string unit)
    : enabled_(isatty(STDERR_FILENO) == 1),
      what_(internal::PrintableLine(what)),  // names an input file
      unit_(std::move(unit)),
      total_(total_bytes),
      start_(absl::Now()),
      last_(start_) {}

void Progress::Update(int64_t items, uint64_t bytes) {
  if (!enabled_) return;
  absl::Time now = absl::Now();
  if (now - last_ < absl::Milliseconds(200)) return;
  last_ = now;
  double seconds = absl::ToDoubleSeconds(now - start_);
  double rate = seconds > 0 ? items / seconds : 0;
  std::string line =
      absl::StrFormat("\r%s: %d %s, %.0f %s/s", what_, items, unit_, rate, unit_);
  if (total_.has_value() && *total_ > 0) {
    double fraction = std::min(1.0, static_cast<double>(bytes) / *total_);
    const int kWidth = 24;
    int filled = static_cast<int>(fraction * kWidth);
    std::string bar(filled, '#');
    bar.append(kWidth - filled, '.');
    absl::StrAppend(&line, absl::StrFormat(" [%s] %3.0f%%", bar, fraction * 100));
    if (fraction > 0 && seconds > 0.5) {
      int64_t eta = static_cast<int64_t>(seconds * (1 - fraction) / fraction);
      absl::StrAppend(&line, absl::StrFormat(" ETA %d:%02d", eta / 60, eta % 60));
    }
  }
  absl::StrAppend(&line, "\x1b[K");
  fputs(line.c_str(), stderr);
  fflush(stderr);
  drawn_ = true;
}

void Progress::Finish() {
  if (!drawn_) return;
  fputs("\r\x1b[K", stderr);
  fflush(stderr);
  drawn_ = false;
}

}  // namespace groupguard::cli
