#ifndef GROUPGUARD_VERSION_H_
#define GROUPGUARD_VERSION_H_

#include "absl/strings/string_view.h"

namespace groupguard {

// The library's version, "MAJOR.MINOR.PATCH". Thread-safe.
absl::string_view Version();

}  // namespace groupguard

#endif  // GROUPGUARD_VERSION_H_
