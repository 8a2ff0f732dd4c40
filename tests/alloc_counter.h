#ifndef GROUPGUARD_TESTS_ALLOC_COUNTER_H_
#define GROUPGUARD_TESTS_ALLOC_COUNTER_H_

// Heap allocations of a test binary, for the tests that check what a call
// allocates or what it does when one fails. alloc_counter.cc replaces the global operator
// new, plain and nothrow (and the operator deletes that free what they return), by one
// that counts calls and bytes and takes the memory from malloc. A binary may replace
// operator new only once: link the object library groupguard_alloc_counter
// (tests/CMakeLists.txt) into the test, and nothing else that replaces it.
//
// What is counted: every call of operator new(size_t) and of its nothrow form, from
// any thread; in a plain build the array forms of libstdc++ end up there too (the
// aligned forms, which libstdc++ serves with aligned_alloc, are not counted). Under
// AddressSanitizer (scripts/sanitize.sh), which has operator new of every form,
// only the plain and nothrow forms are replaced: the others stay ASan's, with their
// own deletes, and are not counted, so a test's upper bound is checked in full only
// in a plain build.

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

// Fault injection: this thread's `nth` next call of operator new from now (0: the
// very next one) fails as when memory runs out: the plain form throws
// std::bad_alloc, the nothrow form returns nullptr. One call fails, once; a
// negative `nth` disarms. Other threads allocate as usual (a test that sweeps `nth`
// over every allocation of one call gets the same failures from run to run).
void FailAllocationOnThisThread(int64_t nth);
// As FailAllocationOnThisThread, but memory stays out: that call and every later
// one of this thread fail, until FailAllocationOnThisThread(-1) disarms. For the
// fallbacks a call takes after a first failure (a catch that needs memory too).
void FailAllocationsFromOnThisThread(int64_t nth);
// Whether the failure armed on this thread has not happened yet.
bool AllocationFailurePending();

// While alive, this thread's allocations are not reported as leaks by
// LeakSanitizer (ASan builds; nothing otherwise). For the calls a test makes run out
// of memory: protobuf's RepeatedPtrField::Add leaks the element it made when growing
// its array then fails, which no caller can free.
class ScopedLeaksIgnored {
 public:
  ScopedLeaksIgnored();
  ~ScopedLeaksIgnored();
  ScopedLeaksIgnored(const ScopedLeaksIgnored&) = delete;
  ScopedLeaksIgnored& operator=(const ScopedLeaksIgnored&) = delete;
};

}  // namespace groupguard::testing

#endif  // GROUPGUARD_TESTS_ALLOC_COUNTER_H_
