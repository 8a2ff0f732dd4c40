#include "moderation/distinct_flaggers.h"

#include <vector>

namespace groupguard {
namespace {

// Maximum bipartite matching of groups to people, grown one augmenting path at a time.
class Matcher {
 public:
  Matcher(absl::Span<const FlagEdge> flags, int groups, int people)
      : first_(groups + 1, 0), group_of_(people, -1), visited_(people, false) {
    // The people of each group, contiguous (a counting sort of the flags by group).
    for (const FlagEdge& f : flags) ++first_[f.group + 1];
    for (int g = 0; g < groups; ++g) first_[g + 1] += first_[g];
    people_of_.resize(flags.size());
    std::vector<int> next(first_.begin(), first_.end() - 1);
    for (const FlagEdge& f : flags) people_of_[next[f.group]++] = f.person;
  }

  // The size of a maximum matching, or `n` if it is at least that.
  int MatchUpTo(int n) {
    int size = 0;
    const int groups = static_cast<int>(first_.size()) - 1;
    for (int g = 0; g < groups && size < n; ++g) {
      if (first_[g] == first_[g + 1]) continue;  // not among the flags
      // A search that fails leaves the matching as it was, so what it visited
      // stays unable to reach a free person: the marks are cleared after a success
      // only.
      if (Augment(g)) {
        ++size;
        visited_.assign(visited_.size(), false);
      }
    }
    return size;
  }

 private:
  // Finds a person for group `g`, moving matched groups to other people as needed.
  // The recursion is as deep as the path is long: at most the matching's size.
  bool Augment(int g) {
    for (int i = first_[g]; i < first_[g + 1]; ++i) {
      const int p = people_of_[i];
      if (visited_[p]) continue;
      visited_[p] = true;
      if (group_of_[p] < 0 || Augment(group_of_[p])) {
        group_of_[p] = g;
        return true;
      }
    }
    return false;
  }

  std::vector<int> first_;      // by group: where its people start in people_of_
  std::vector<int> people_of_;  // who flagged from each group, group after group
  std::vector<int> group_of_;   // by person: their matched group, or -1
  std::vector<bool> visited_;   // by person, in the current search
};

}  // namespace

bool DistinctFlaggersReach(absl::Span<const FlagEdge> flags, int groups, int people,
                           int n) {
  if (static_cast<int>(flags.size()) < n || groups < n || people < n) return false;
  return Matcher(flags, groups, people).MatchUpTo(n) >= n;
}

}  // namespace groupguard
