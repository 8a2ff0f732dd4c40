#include "threads.h"

#include <algorithm>

namespace groupguard::cli {

int ThreadsToUse(int flag, int hardware, int limit) {
  if (flag > 0) return flag;
  return std::max(1, std::min(hardware, limit));
}

}  // namespace groupguard::cli
