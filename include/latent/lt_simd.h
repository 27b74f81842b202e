/* Compiler helpers for hot loops. The project builds for the baseline
 * x86-64 ISA; LT_CLONES compiles a function also for x86-64-v3 (AVX2) and
 * x86-64-v4 (AVX-512) and picks the best at load time. The vector types are
 * GCC's vector extension: an operation on one is an operation on every
 * lane, lowered to whatever the clone's ISA has. */
#ifndef LT_SIMD_H
#define LT_SIMD_H

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define LT_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define LT_CLONES
#endif

typedef double lt_v8d __attribute__((vector_size(64)));
typedef float lt_v8f __attribute__((vector_size(32)));
typedef long long lt_v8l __attribute__((vector_size(64)));

#endif
