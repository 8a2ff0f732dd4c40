#ifndef GROUPGUARD_TOOLS_GROUPGUARD_PROGRESS_H_
#define GROUPGUARD_TOOLS_GROUPGUARD_PROGRESS_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/time/time.h"

namespace groupguard::cli {

// A one-line progress bar on stderr (posts, posts/s, and percent and ETA when the
// input size is known; `unit` names what is counted when it is not posts). Prints
// nothing unless stderr is a terminal. Not thread-safe.
class Progress {
 public:
  Progress(std::string what, std::optional<uint64_t> total_bytes,
           std::string unit = "posts");
  ~Progress() { Finish(); }

  void set_total(std::optional<uint64_t> total_bytes) { total_ = total_bytes; }
  // Redraws at most every 200 ms.
  // `items` done so far (posts unless another unit was given); `bytes` of the total.
  void Update(int64_t items, uint64_t bytes);
  // Clears the line.
  void Finish();

 private:
  bool enabled_;
  std::string what_;
  std::string unit_;
  std::optional<uint64_t> total_;
  absl::Time start_;
  absl::Time last_;
  bool drawn_ = false;
};

}  // namespace groupguard::cli

#endif  // GROUPGUARD_TOOLS_GROUPGUARD_PROGRESS_H_
