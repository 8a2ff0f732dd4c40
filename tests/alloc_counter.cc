// The replacement of the global operator new described in alloc_counter.h. Only
// the forms that pair with the plain delete are replaced: memory from them comes
// from malloc, so the deletes that free it call free; the array and aligned forms
// keep the toolchain's (or the sanitizer's) pairs of their own.
#include "alloc_counter.h"

#include <atomic>
#include <cstdlib>
#include <new>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#endif

namespace {
std::atomic<int64_t> g_calls{0};
std::atomic<size_t> g_bytes{0};
// This thread's calls of operator new until one fails (FailAllocationOnThisThread);
// -1 when none is to.
thread_local int64_t t_fail_in = -1;
// Armed by FailAllocationsFromOnThisThread: once one has failed, every later one
// does (t_failing), until disarmed.
thread_local bool t_keep_failing = false;
thread_local bool t_failing = false;

bool FailThisOne() {
  if (t_failing) return true;
  if (t_fail_in < 0) return false;
  if (t_fail_in-- != 0) return false;
  t_failing = t_keep_failing;
  return true;
}
}  // namespace

void* operator new(std::size_t size) {
  g_calls.fetch_add(1, std::memory_order_relaxed);
  g_bytes.fetch_add(size, std::memory_order_relaxed);
  if (FailThisOne()) throw std::bad_alloc();
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
// `new (std::nothrow) T` is freed by the plain delete too (simdjson allocates so):
// left the sanitizer's, its memory would reach free() below, which ASan reports as
// an alloc-dealloc mismatch.
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  g_calls.fetch_add(1, std::memory_order_relaxed);
  g_bytes.fetch_add(size, std::memory_order_relaxed);
  if (FailThisOne()) return nullptr;
  return std::malloc(size == 0 ? 1 : size);
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace groupguard::testing {

AllocationCounter::AllocationCounter()
    : calls_at_start_(g_calls.load()), bytes_at_start_(g_bytes.load()) {}

int64_t AllocationCounter::calls() const { return g_calls.load() - calls_at_start_; }
size_t AllocationCounter::bytes() const { return g_bytes.load() - bytes_at_start_; }

void FailAllocationOnThisThread(int64_t nth) {
  t_fail_in = nth < 0 ? -1 : nth;
  t_keep_failing = false;
  t_failing = false;
}

void FailAllocationsFromOnThisThread(int64_t nth) {
  FailAllocationOnThisThread(nth);
  t_keep_failing = true;
}

bool AllocationFailurePending() { return t_fail_in >= 0; }

#if defined(__SANITIZE_ADDRESS__)
ScopedLeaksIgnored::ScopedLeaksIgnored() { __lsan_disable(); }
ScopedLeaksIgnored::~ScopedLeaksIgnored() { __lsan_enable(); }
#else
ScopedLeaksIgnored::ScopedLeaksIgnored() = default;
ScopedLeaksIgnored::~ScopedLeaksIgnored() = default;
#endif

}  // namespace groupguard::testing
