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

/* Passing these types by value changes the ABI between ISAs, which GCC
 * notes (-Wpsabi). The helpers below are therefore always inlined (also at
 * -O0 and under the sanitizers): an out-of-line copy compiled for the
 * baseline ISA, called from an x86-64-v4 clone, would receive its vectors in
 * the wrong registers. With that, the note is off in every file that
 * includes this header (no public interface passes vectors); GCC 12 still
 * prints it for some, so CMakeLists.txt adds -Wno-psabi too. */
#pragma GCC diagnostic ignored "-Wpsabi"
#define LT_SIMD_INLINE static inline __attribute__((always_inline))

/* mask ? a : b lane by lane (mask from a vector comparison: all ones or
 * zero), bit for bit; C has no ?: on vectors. */
LT_SIMD_INLINE lt_v8d lt_v8d_select(lt_v8l mask, lt_v8d a, lt_v8d b)
{
    lt_v8l ab, bb;
    __builtin_memcpy(&ab, &a, sizeof a);
    __builtin_memcpy(&bb, &b, sizeof b);
    ab = (ab & mask) | (bb & ~mask);
    __builtin_memcpy(&a, &ab, sizeof a);
    return a;
}

/* Eight floats from p as doubles. */
LT_SIMD_INLINE lt_v8d lt_v8d_load_f(const float *p)
{
    lt_v8f v;
    __builtin_memcpy(&v, p, sizeof v);
    return __builtin_convertvector(v, lt_v8d);
}

LT_SIMD_INLINE lt_v8d lt_v8d_load(const double *p)
{
    lt_v8d v;
    __builtin_memcpy(&v, p, sizeof v);
    return v;
}

LT_SIMD_INLINE void lt_v8d_store(double *p, lt_v8d v) { __builtin_memcpy(p, &v, sizeof v); }

/* Eight doubles rounded to float and stored at p. */
LT_SIMD_INLINE void lt_v8d_store_f(float *p, lt_v8d v)
{
    lt_v8f f = __builtin_convertvector(v, lt_v8f);
    __builtin_memcpy(p, &f, sizeof f);
}

#endif
