#ifndef GROUPGUARD_LIB_MODERATION_DISTINCT_FLAGGERS_H_
#define GROUPGUARD_LIB_MODERATION_DISTINCT_FLAGGERS_H_

#include "absl/types/span.h"

namespace groupguard {

// One flag, as the site-wide rule (RegistryOptions::sitewide_after_distinct_groups)
// sees it: the group it came from and the person who gave it, each numbered from 0
// (below `groups` and `people` of DistinctFlaggersReach).
struct FlagEdge {
  int group = 0;
  int person = 0;
};

// Whether `n` of the flags' groups can each be given a different person who flagged
// from it: a matching of groups to people of size `n` (Kuhn's augmenting paths,
// stopping at `n`). So one person, whatever groups they moderate, counts for one
// group at most, and n groups flagged by n different people always reach.
// O(groups + people + n * flags). n >= 1.
bool DistinctFlaggersReach(absl::Span<const FlagEdge> flags, int groups, int people,
                           int n);

}  // namespace groupguard

#endif  // GROUPGUARD_LIB_MODERATION_DISTINCT_FLAGGERS_H_
