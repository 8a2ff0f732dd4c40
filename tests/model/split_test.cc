// The near-duplicate groups and label-stratified choice of held-out groups shared by
// the trainer's grouped validation split and CrossValidate()'s folds.
#include "model/split.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "groupguard/tokenizer.h"
#include "gtest/gtest.h"

namespace groupguard::internal {
namespace {

uint64_t KeyOf(absl::string_view text) {
  static const Tokenizer* const tokenizer = new Tokenizer(*Tokenizer::Create({}));
  Tokenization tokens;
  std::string scratch;
  tokenizer->Tokenize(text, &tokens);
  return NearDuplicateKey(tokens, &scratch);
}

TEST(NearDuplicateKeyTest, OneKeyHoweverTheWordsAreWritten) {
  const uint64_t key = KeyOf("Win a free prize now, call 555 1234");
  for (const char* variant :
       {"win a free prize now call 555 1234", "WIN A FREE PRIZE NOW, CALL 555 1234",
        "  Win   a free\tprize\nnow ,call 555 1234  ",
        "Win a free prize now!!! call 555 1234",
        "Win... a FREE prize -- now? call 555 1234",
        "Win a free prize now, call 555 9876"}) {
    EXPECT_EQ(KeyOf(variant), key) << variant;
  }
  for (const char* other :
       {"Win a free prize, call 555 1234", "Win a free prize now call",
        "now Win a free prize, call 555 1234", ""}) {
    EXPECT_NE(KeyOf(other), key) << other;
  }
}

std::unordered_map<uint64_t, GroupCounts> Groups(int ham, int spam, int size = 1) {
  std::unordered_map<uint64_t, GroupCounts> groups;
  for (int i = 0; i < ham + spam; ++i) groups[1000 + i] = {size, i < spam ? size : 0};
  return groups;
}

TEST(GroupsByLabelTest, MajorityLabelSeededOrderIndependentOfInsertion) {
  std::unordered_map<uint64_t, GroupCounts> groups = Groups(30, 10);
  groups[7] = {3, 2};  // mostly spam
  groups[8] = {3, 1};  // mostly ham
  groups[9] = {2, 1};  // a tie is spam
  const auto by_label = GroupsByLabel(groups, 42);
  ASSERT_EQ(by_label[0].size(), 31u);
  ASSERT_EQ(by_label[1].size(), 12u);
  EXPECT_NE(std::find(by_label[1].begin(), by_label[1].end(), 7), by_label[1].end());
  EXPECT_NE(std::find(by_label[0].begin(), by_label[0].end(), 8), by_label[0].end());
  EXPECT_NE(std::find(by_label[1].begin(), by_label[1].end(), 9), by_label[1].end());
  // The same groups inserted in another order: the same order.
  std::unordered_map<uint64_t, GroupCounts> reversed;
  std::vector<std::pair<uint64_t, GroupCounts>> items(groups.begin(), groups.end());
  for (auto it = items.rbegin(); it != items.rend(); ++it) reversed.insert(*it);
  EXPECT_EQ(GroupsByLabel(reversed, 42), by_label);
  // Another seed, another order (of the same keys).
  const auto other = GroupsByLabel(groups, 43);
  EXPECT_NE(other, by_label);
  EXPECT_EQ(std::set<uint64_t>(other[0].begin(), other[0].end()),
            std::set<uint64_t>(by_label[0].begin(), by_label[0].end()));
}

int Held(const std::vector<bool>& held) {
  return static_cast<int>(std::count(held.begin(), held.end(), true));
}

TEST(ValidationGroupsTest, EachLabelsShareWithinRounding) {
  for (int n : {2, 3, 4, 5, 7, 10, 13, 23, 50, 101}) {
    for (double fraction : {0.1, 0.2, 0.25, 0.5, 0.9}) {
      const auto groups = Groups(n, 0);
      const auto keys = GroupsByLabel(groups, 1)[0];
      const int want = std::clamp(static_cast<int>(std::llround(fraction * n)), 1, n - 1);
      EXPECT_EQ(Held(ValidationGroups(keys, groups, fraction)), want)
          << n << " groups at " << fraction;
    }
  }
  // None at fraction 0, nor of a single group (both sides could not have it).
  const auto groups = Groups(10, 0);
  EXPECT_EQ(Held(ValidationGroups(GroupsByLabel(groups, 1)[0], groups, 0)), 0);
  const auto one = Groups(1, 0);
  EXPECT_EQ(Held(ValidationGroups(GroupsByLabel(one, 1)[0], one, 0.5)), 0);
}

// Groups are taken in order while they fit in the label's share of posts: a group
// too big for what is left stays out, and smaller ones after it fill the share.
TEST(ValidationGroupsTest, FillsTheShareOfPostsSkippingGroupsTooBig) {
  std::unordered_map<uint64_t, GroupCounts> groups = Groups(40, 0);
  groups[1] = {30, 0};  // 30 copies of one text
  const std::vector<uint64_t> keys = GroupsByLabel(groups, 5)[0];
  // 70 posts at 0.2: 14 of them, whatever the order; never the big group.
  const std::vector<bool> held = ValidationGroups(keys, groups, 0.2);
  int posts = 0;
  for (size_t j = 0; j < keys.size(); ++j) {
    if (!held[j]) continue;
    posts += groups.at(keys[j]).posts;
    EXPECT_NE(keys[j], 1u);
  }
  EXPECT_EQ(posts, 14);
  // The big group first in line: it does not fit either.
  std::vector<uint64_t> big_first = {1};
  for (uint64_t key : keys) {
    if (key != 1) big_first.push_back(key);
  }
  const std::vector<bool> skipped = ValidationGroups(big_first, groups, 0.2);
  EXPECT_FALSE(skipped[0]);
  EXPECT_EQ(Held(skipped), 14);
  // At 0.5 (35 posts) it fits when it comes first.
  EXPECT_TRUE(ValidationGroups(big_first, groups, 0.5)[0]);
  // Only groups bigger than the share: the first one in line.
  std::unordered_map<uint64_t, GroupCounts> big = {{1, {30, 0}}, {2, {20, 0}}};
  const std::vector<uint64_t> big_keys = GroupsByLabel(big, 5)[0];
  const std::vector<bool> first = ValidationGroups(big_keys, big, 0.2);
  EXPECT_TRUE(first[0]);
  EXPECT_FALSE(first[1]);
}

}  // namespace
}  // namespace groupguard::internal
