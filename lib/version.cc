#include "groupguard/version.h"

namespace groupguard {

absl::string_view Version() { return "0.1.0"; }

}  // namespace groupguard
