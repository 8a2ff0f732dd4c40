// Scores posts read from standard input, one per line, with the installed default
// model (or the model file given as the argument):
//   batch_score [MODEL_FILE] < posts.txt
// prints "verdict<TAB>P(spam)<TAB>text" for each line.
#include <iostream>
#include <memory>
#include <string>

#include "groupguard/classifier.h"

int main(int argc, char** argv) {
  if (argc > 2) {
    std::cerr << "usage: batch_score [MODEL_FILE] < posts.txt\n";
    return 2;
  }
  // GROUPGUARD_DEFAULT_MODEL: set by CMakeLists.txt from find_package(groupguard).
  auto model =
      groupguard::Classifier::Load(argc == 2 ? argv[1] : GROUPGUARD_DEFAULT_MODEL);
  if (!model.ok()) {
    std::cerr << "batch_score: " << model.status().message() << "\n";
    return 1;
  }
  std::ios::sync_with_stdio(false);
  std::string line;
  while (std::getline(std::cin, line)) {
    double p = (*model)->SpamProbability(line);
    std::cout << groupguard::LabelName((*model)->LabelFor(p)) << '\t' << p << '\t' << line
              << '\n';
  }
  return std::cout.good() ? 0 : 1;
}
