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

// When set, the next change the registry has stored runs out of memory as it is
// applied (std::bad_alloc), and the flag is cleared: the path of a registry that
// cannot hold a change its store has. Also the next one Registry::Open replays.
std::atomic<bool>& RegistryApplyRunsOutOfMemoryForTesting();

}  // namespace groupguard::internal

#endif  // GROUPGUARD_LIB_MODERATION_REGISTRY_TESTING_H_
