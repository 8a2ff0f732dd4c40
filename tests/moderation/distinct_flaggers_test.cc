#include "moderation/distinct_flaggers.h"

#include <algorithm>
#include <vector>

#include "gtest/gtest.h"

namespace groupguard {
namespace {

// Groups and people as the registry numbers them: from 0, `groups` and `people`
// of each.
bool Reach(const std::vector<FlagEdge>& flags, int n) {
  int groups = 0, people = 0;
  for (const FlagEdge& f : flags) {
    groups = std::max(groups, f.group + 1);
    people = std::max(people, f.person + 1);
  }
  return DistinctFlaggersReach(flags, groups, people, n);
}

TEST(DistinctFlaggersTest, OnePersonCountsForOneGroup) {
  const std::vector<FlagEdge> flags = {{0, 0}, {1, 0}, {2, 0}};
  EXPECT_TRUE(Reach(flags, 1));
  EXPECT_FALSE(Reach(flags, 2));
}

TEST(DistinctFlaggersTest, GroupsFlaggedByDifferentPeopleReach) {
  const std::vector<FlagEdge> flags = {{0, 0}, {0, 0}, {1, 1}};
  EXPECT_TRUE(Reach(flags, 2));
  EXPECT_FALSE(Reach(flags, 3));
}

// Counting groups and people apart is not enough: three groups and three people,
// but two of the groups were flagged by person 0 alone.
TEST(DistinctFlaggersTest, EnoughGroupsAndPeopleAreNotEnoughWithoutAMatching) {
  const std::vector<FlagEdge> flags = {{0, 0}, {1, 0}, {2, 0}, {0, 1}, {0, 2}};
  EXPECT_TRUE(Reach(flags, 2));
  EXPECT_FALSE(Reach(flags, 3));
}

// The first person found for a group may be the one another group needs: the
// matching moves them (an augmenting path).
TEST(DistinctFlaggersTest, APersonTakenFirstIsMovedWhereNeeded) {
  // Group 0 takes person 0 first; group 1 has only person 0; group 0 has person 1.
  EXPECT_TRUE(Reach({{0, 0}, {0, 1}, {1, 0}}, 2));
  // A chain of moves: group 3 needs person 0, whom group 0 took, and so on.
  const std::vector<FlagEdge> chain = {{0, 0}, {0, 1}, {1, 1}, {1, 2},
                                       {2, 2}, {2, 3}, {3, 0}};
  EXPECT_TRUE(Reach(chain, 4));
  EXPECT_FALSE(Reach(chain, 5));
}

TEST(DistinctFlaggersTest, TooFewFlagsGroupsOrPeopleNeverReach) {
  EXPECT_FALSE(DistinctFlaggersReach({}, 0, 0, 1));
  EXPECT_FALSE(Reach({{0, 0}}, 2));
  // Numbered groups (or people) with no flag do not count.
  const std::vector<FlagEdge> flags = {{0, 0}, {3, 0}};
  EXPECT_FALSE(DistinctFlaggersReach(flags, 4, 4, 2));
}

// Every way 4 people can give the 2 flags of each of 4 groups, against an
// exhaustive search for the most groups with distinct people.
TEST(DistinctFlaggersTest, AgreesWithAnExhaustiveSearch) {
  for (int code = 0; code < 1 << 16; ++code) {
    std::vector<FlagEdge> flags;
    int c = code;
    for (int g = 0; g < 4; ++g) {
      for (int k = 0; k < 2; ++k, c >>= 2) flags.push_back({g, c & 3});
    }
    int best = 0;
    for (int choice = 0; choice < 81; ++choice) {  // each group: none, 1st, 2nd flag
      int used = 0, size = 0, ch = choice;
      bool distinct = true;
      for (int g = 0; g < 4; ++g, ch /= 3) {
        if (ch % 3 == 0) continue;
        const int person = flags[g * 2 + ch % 3 - 1].person;
        if (used & (1 << person)) distinct = false;
        used |= 1 << person;
        ++size;
      }
      if (distinct) best = std::max(best, size);
    }
    for (int n = 1; n <= 4; ++n) {
      ASSERT_EQ(DistinctFlaggersReach(flags, 4, 4, n), n <= best)
          << "code " << code << ", n " << n;
    }
  }
}

}  // namespace
}  // namespace groupguard
