#include "threads.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace groupguard::cli {

int ThreadsToUse(int flag, int hardware, int limit) {
  if (flag > 0) return flag;
  return std::max(1, std::min(hardware, limit));
}

std::string ThreadsOrigin(int flag, int threads, int limit) {
  if (flag > 0) return absl::StrCat("--threads ", flag);
  return absl::StrCat(threads, " by default: all cores, at most ", limit);
}

}  // namespace groupguard::cli
