#ifndef GROUPGUARD_LIB_UTIL_PLATFORM_H_
#define GROUPGUARD_LIB_UTIL_PLATFORM_H_

// Which machine-specific code paths the build uses. Every such path has a plain C++
// twin that gives the same results; the twins run on CPUs other than x86, and in a
// build configured with -DGROUPGUARD_PORTABLE=ON (which defines GROUPGUARD_PORTABLE),
// so that CI runs the whole suite on them too (scripts/portable.sh).
//
//   GROUPGUARD_HAVE_SSE2  SSE2 intrinsics (<emmintrin.h>): part of every x86-64 CPU.
//   GROUPGUARD_HAVE_X86   x86 inline assembly, and POPCNT chosen at run time where the
//                         CPU has it (__builtin_cpu_supports, [[gnu::target]]).
//
// Both are always defined, to 0 or 1: test them with #if, not #ifdef.

#if defined(__SSE2__) && !defined(GROUPGUARD_PORTABLE)
#define GROUPGUARD_HAVE_SSE2 1
#else
#define GROUPGUARD_HAVE_SSE2 0
#endif

#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__) && \
    !defined(GROUPGUARD_PORTABLE)
#define GROUPGUARD_HAVE_X86 1
#else
#define GROUPGUARD_HAVE_X86 0
#endif

#endif  // GROUPGUARD_LIB_UTIL_PLATFORM_H_
