#ifndef GROUPGUARD_LIB_MODEL_SPLIT_H_
#define GROUPGUARD_LIB_MODEL_SPLIT_H_

// Held-out posts for the trainer's validation split and CrossValidate()'s folds: posts
// are grouped by their near-duplicate key, so copies of a post (up to case, spacing,
// punctuation, homoglyphs...) are never on both sides, and each label's groups are
// ordered by a seeded hash, so every side gets its share of each label.

#include <array>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "groupguard/tokenizer.h"

namespace groupguard::internal {

// The hash of a post's token sequence (kind and text of each token) without its
// signals ("shouting", "many_exclaims"...): the same words, however written (numbers
// are shapes: "call 555 1234" and "call 555 9876" are one). Posts with equal keys
// have the same features but for signals. `scratch` is reused between calls.
uint64_t NearDuplicateKey(const Tokenization& tokens, std::string* scratch);

// The posts of one near-duplicate group, and how many of them are spam.
struct GroupCounts {
  int64_t posts = 0;
  int64_t spam = 0;
};

// The keys of `groups` by label, [ham, spam] (a group is labeled by the majority of
// its posts, spam on a tie), each in ascending order of XXH3 of the key seeded with
// `seed` (ties by key): a seeded shuffle that does not depend on the order in which
// the posts came.
std::array<std::vector<uint64_t>, 2> GroupsByLabel(
    const std::unordered_map<uint64_t, GroupCounts>& groups, uint64_t seed);

// Which of a label's groups (`keys`, in GroupsByLabel's order, sizes in `groups`) the
// validation split takes at `fraction` (0..1): each group in turn while it fits in
// round(fraction * the label's posts), so the split holds that share of the label's
// posts (exactly, unless no group left is small enough) and a group too big for what
// is left stays out (as a test split keeps oversized duplicate groups in training).
// A label of 2 or more groups always keeps one out and, at a fraction above 0, puts
// at least one in (the first, if none fits). Returns one flag per key.
std::vector<bool> ValidationGroups(
    const std::vector<uint64_t>& keys,
    const std::unordered_map<uint64_t, GroupCounts>& groups, double fraction);

}  // namespace groupguard::internal

#endif  // GROUPGUARD_LIB_MODEL_SPLIT_H_
