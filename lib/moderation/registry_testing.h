#ifndef GROUPGUARD_LIB_MODERATION_REGISTRY_TESTING_H_
#define GROUPGUARD_LIB_MODERATION_REGISTRY_TESTING_H_

// Test hooks of the registry (not part of the API).

#include <atomic>
#include <cstddef>

namespace groupguard::internal {

// The largest event or snapshot, in serialized bytes, that every Registry in the
// process stores: internal::kMaxProtoBytes (protobuf's 2 GiB limit) unless a test
// lowers it, so that the paths for a state or a post over that limit can be tested
// without allocating gigabytes. A test that changes it restores it.
std::atomic<size_t>& RegistryMessageLimitForTesting();

}  // namespace groupguard::internal

#endif  // GROUPGUARD_LIB_MODERATION_REGISTRY_TESTING_H_
