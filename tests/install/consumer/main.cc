// Uses the installed package through the umbrella header only.
#include <iostream>

#include "groupguard/groupguard.h"

int main() {
  auto tokenizer = groupguard::Tokenizer::Create(groupguard::TokenizerOptions());
  if (!tokenizer.ok()) {
    std::cerr << tokenizer.status() << "\n";
    return 1;
  }
  groupguard::Tokenization tokens;
  tokenizer->Tokenize("Win a FREE prize at http://bit.ly/abc", &tokens);
  std::cout << "groupguard " << groupguard::Version() << " tokens "
            << tokens.tokens().size() << "\n";
  return tokens.tokens().empty() ? 1 : 0;
}
