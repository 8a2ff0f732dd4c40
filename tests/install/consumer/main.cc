// Uses the installed package through the umbrella header only, next to protos of its
// own at the paths of groupguard's internal ones (model/model.proto,
// moderation/events.proto): groupguard's model file and registry events must still work.
#include <iostream>

#include "groupguard/groupguard.h"
#include "model/model.pb.h"
#include "moderation/events.pb.h"

int main() {
  auto tokenizer = groupguard::Tokenizer::Create(groupguard::TokenizerOptions());
  if (!tokenizer.ok()) {
    std::cerr << tokenizer.status() << "\n";
    return 1;
  }
  groupguard::Tokenization tokens;
  tokenizer->Tokenize("Win a FREE prize at http://bit.ly/abc", &tokens);

  // groupguard's model file (its protobuf) next to the consumer's own model.proto.
  auto trainer = groupguard::Trainer::Create(groupguard::TrainerOptions());
  if (!trainer.ok()) return 1;
  (*trainer)->Add("win a free prize now", true);
  (*trainer)->Add("see you at lunch", false);
  auto trained = (*trainer)->Train();
  if (!trained.ok()) {
    std::cerr << trained.status() << "\n";
    return 1;
  }
  auto classifier = groupguard::Classifier::FromBytes(trained->bytes);
  if (!classifier.ok()) {
    std::cerr << classifier.status() << "\n";
    return 1;
  }
  // groupguard's registry events (its protobuf) next to the consumer's events.proto.
  auto registry = groupguard::Registry::Open(groupguard::NewMemoryEventStore(), nullptr,
                                             groupguard::RegistryOptions());
  if (!registry.ok() || !(*registry)->CreateGroup("cats").ok()) return 1;

  consumer::model::Model own_model;
  own_model.set_name("consumer");
  consumer::moderation::ReportFiled own_event;
  own_event.set_post_id("p1");
  if (own_model.GetDescriptor()->full_name() != "consumer.model.Model" ||
      own_event.GetDescriptor()->full_name() != "consumer.moderation.ReportFiled") {
    return 1;
  }
  std::cout << "groupguard " << groupguard::Version() << " tokens "
            << tokens.tokens().size() << "\n";
  return tokens.tokens().empty() ? 1 : 0;
}
