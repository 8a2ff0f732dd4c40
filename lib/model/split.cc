#include "model/split.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/string_view.h"
#include "xxhash.h"

namespace groupguard::internal {

uint64_t NearDuplicateKey(const Tokenization& tokens, std::string* scratch) {
  scratch->clear();
  for (const Token& t : tokens.tokens()) {
    if (t.kind == TokenKind::kSignal) continue;
    scratch->push_back(static_cast<char>(t.kind));
    const absl::string_view text = tokens.text(t);
    scratch->append(text.data(), text.size());
    scratch->push_back('\0');
  }
  return XXH3_64bits(scratch->data(), scratch->size());
}

std::array<std::vector<uint64_t>, 2> GroupsByLabel(
    const std::unordered_map<uint64_t, GroupCounts>& groups, uint64_t seed) {
  std::array<std::vector<std::pair<uint64_t, uint64_t>>, 2> order;  // (seeded hash, key)
  for (const auto& [key, g] : groups) {
    order[2 * g.spam >= g.posts].emplace_back(
        XXH3_64bits_withSeed(&key, sizeof(key), seed), key);
  }
  std::array<std::vector<uint64_t>, 2> keys;
  for (int label = 0; label < 2; ++label) {
    std::sort(order[label].begin(), order[label].end());
    keys[label].reserve(order[label].size());
    for (const auto& [hash, key] : order[label]) keys[label].push_back(key);
  }
  return keys;
}

std::vector<bool> ValidationGroups(
    const std::vector<uint64_t>& keys,
    const std::unordered_map<uint64_t, GroupCounts>& groups, double fraction) {
  std::vector<bool> held(keys.size(), false);
  if (!(fraction > 0) || keys.size() < 2) return held;
  int64_t posts = 0;
  for (uint64_t key : keys) posts += groups.at(key).posts;
  const int64_t target = std::llround(fraction * static_cast<double>(posts));
  int64_t taken = 0;
  size_t taken_groups = 0;
  for (size_t j = 0; j < keys.size() && taken_groups + 1 < keys.size(); ++j) {
    const int64_t size = groups.at(keys[j]).posts;
    if (taken + size > target) continue;
    held[j] = true;
    taken += size;
    ++taken_groups;
  }
  if (taken_groups == 0) held[0] = true;
  return held;
}

}  // namespace groupguard::internal
