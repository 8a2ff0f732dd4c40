// A warm Tokenization (one that already tokenized a post at least as long) makes
// no further heap allocation: counted through the global operator new of this test
// binary (alloc_counter.h), and, for the buffers grown by realloc (tokens and their
// text), seen from the memory the Tokenization holds, which only changes when a
// buffer grows.
#include <string>

#include "../alloc_counter.h"
#include "groupguard/tokenizer.h"
#include "gtest/gtest.h"
#include "text/tokenization_access.h"

namespace groupguard {
namespace {

TEST(TokenizerAllocTest, WarmTokenizationDoesNotAllocate) {
  const Tokenizer tokenizer = Tokenizer::Create(TokenizerOptions()).value();
  const std::string posts[] = {
      "WINNER!! As a valued customer you have been selected to receive a 900 prize",
      "Привет! Заработок от 5000 руб в день, пиши в лс t.me/job 💰💰",
      "Ｆｒｅｅ v1agra at hxxp://spam . com, call +44 7700 900123 &amp; <b>now</b>",
  };
  Tokenization t;
  for (const std::string& post : posts) tokenizer.Tokenize(post, &t);  // warm up
  const testing::AllocationCounter allocations;
  const size_t held = internal::TokenizationAccess::HeldBytes(t);
  size_t tokens = 0;
  for (int round = 0; round < 100; ++round) {
    for (const std::string& post : posts) {
      tokenizer.Tokenize(post, &t);
      tokens += t.tokens().size();
    }
  }
  EXPECT_EQ(allocations.calls(), 0);
  EXPECT_EQ(internal::TokenizationAccess::HeldBytes(t), held);
  EXPECT_GT(tokens, 3000u);
}

}  // namespace
}  // namespace groupguard
