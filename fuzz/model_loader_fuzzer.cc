// Fuzzes the model loader: Classifier::FromBytes must return a status or a working
// classifier for any bytes, never crash. The input is tried twice: as a whole file,
// and as a payload wrapped in a valid header and checksum (the checksum would
// otherwise stop almost every mutation before the protobuf parser and the checks of
// what the payload says). A classifier that loads scores a few texts.
#include <cstddef>
#include <cstdint>
#include <string>

#include "groupguard/classifier.h"
#include "model/model_file.h"
#include "xxhash.h"

namespace {

void AppendLittleEndian(uint64_t value, int bytes, std::string* out) {
  for (int i = 0; i < bytes; ++i) out->push_back(static_cast<char>(value >> (8 * i)));
}

void Exercise(const std::string& bytes) {
  auto classifier = groupguard::Classifier::FromBytes(bytes);
  if (!classifier.ok()) return;
  const groupguard::Classifier& c = **classifier;
  for (const char* text : {"", "win a free prize at http://bit.ly/x", "\xff\xfe hello"}) {
    const groupguard::Verdict v = c.Score(text, groupguard::ScoreOptions{3});
    if (!(v.spam_probability >= 0 && v.spam_probability <= 1)) __builtin_trap();
    if (v.label != c.LabelFor(v.spam_probability)) __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  Exercise(input);
  std::string wrapped(groupguard::internal::kModelMagic);
  AppendLittleEndian(groupguard::internal::kModelFormatVersion, 4, &wrapped);
  AppendLittleEndian(size, 8, &wrapped);
  AppendLittleEndian(XXH3_64bits(data, size), 8, &wrapped);
  wrapped += input;
  Exercise(wrapped);
  return 0;
}
