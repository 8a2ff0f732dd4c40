#ifndef GROUPGUARD_LIB_UTIL_THREAD_SCRATCH_H_
#define GROUPGUARD_LIB_UTIL_THREAD_SCRATCH_H_

#include <pthread.h>

#include <memory>
#include <new>

namespace groupguard::internal {

// One T for each thread, made on the thread's first Get() and destroyed when the
// thread ends, as a `thread_local T` would be, but without the C library's
// registration of its destructor: glibc ends the process ("Fatal glibc error:
// failed to register TLS destructor") when that registration runs out of memory,
// so a thread that first scored a post with memory exhausted killed a server that
// catches std::bad_alloc. Here running out of memory throws std::bad_alloc, as any
// allocation does, and the next Get() tries again. The destructor runs from a
// POSIX thread-specific key at the thread's end; the main thread's T, like its
// keys', is left to the process's end (still reachable: not a leak).
//
// Get() costs what a `thread_local T` did: one thread-local address and one test.
// Each T has one per thread: a type stands for one use.
template <typename T>
class ThreadScratch {
 public:
  static T& Get() {
    T* const t = Slot();
    return t != nullptr ? *t : Make();
  }

 private:
  // Constant-initialized and trivially destructible: nothing to register.
  static T*& Slot() {
    thread_local T* slot = nullptr;
    return slot;
  }

  [[gnu::noinline]] static T& Make() {
    static const pthread_key_t key = CreateKey();
    std::unique_ptr<T> t(new T());
    // Beyond the first 32 keys of a thread, glibc allocates their block here.
    if (pthread_setspecific(key, t.get()) != 0) throw std::bad_alloc();
    Slot() = t.get();
    return *t.release();
  }

  // Out of keys (PTHREAD_KEYS_MAX in use) or memory: as out of memory. The key is
  // made again on the next Get() (a static whose initialization threw).
  static pthread_key_t CreateKey() {
    pthread_key_t key;
    if (pthread_key_create(&key, &Destroy) != 0) throw std::bad_alloc();
    return key;
  }

  // At the thread's end, on the thread (its thread-locals are still there).
  static void Destroy(void* t) {
    Slot() = nullptr;
    delete static_cast<T*>(t);
  }
};

}  // namespace groupguard::internal

#endif  // GROUPGUARD_LIB_UTIL_THREAD_SCRATCH_H_
