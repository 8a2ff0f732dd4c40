#ifndef GROUPGUARD_TESTS_ALLOC_COUNTER_H_
#define GROUPGUARD_TESTS_ALLOC_COUNTER_H_

// Heap allocations of a test binary, for the tests that check what a call
// allocates. alloc_counter.cc replaces the global operator new (and the plain and
// sized operator delete that free what it returns) by one that counts calls and
// bytes and takes the memory from malloc. A binary may replace operator new only
// once: link the object library groupguard_alloc_counter (tests/CMakeLists.txt)
// into the test, and nothing else that replaces it.
//
// What is counted: every call of operator new(size_t), from any thread, which in a
// plain build is also where the array and nothrow forms of libstdc++ end up (the
// aligned forms, which libstdc++ serves with aligned_alloc, are not counted). Under
// AddressSanitizer (scripts/sanitize.sh), which has operator new of every form,
// only the plain form is replaced: the others stay ASan's, with their own deletes,
// and are not counted, so a test's upper bound is checked in full only in a plain
// build.

#include <cstddef>
#include <cstdint>

namespace groupguard::testing {

// The calls of operator new, and the bytes they asked for (freed or not), since
// the counter was made. Thread-safe.
class AllocationCounter {
 public:
  AllocationCounter();

  int64_t calls() const;
  size_t bytes() const;

 private:
  int64_t calls_at_start_;
  size_t bytes_at_start_;
};

}  // namespace groupguard::testing

#endif  // GROUPGUARD_TESTS_ALLOC_COUNTER_H_
