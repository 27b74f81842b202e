/* Compiler helpers for hot loops. The project builds for the baseline
 * x86-64 ISA; LT_CLONES compiles a function also for x86-64-v3 (AVX2) and
 * x86-64-v4 (AVX-512) and calls the copy for lt_cpu_level() (lt_cpu.h), so
 * that LATENT_ISA can force a lower one. The vector types are GCC's vector
 * extension: an operation on one is an operation on every lane, lowered to
 * whatever the copy's ISA has. */
#ifndef LT_SIMD_H
#define LT_SIMD_H

#include "lt_cpu.h"

/* Usage: the function is written once as NAME_body, marked LT_CLONE_BODY,
 * then
 *     LT_CLONES(static, double, name, (const float *v, int64_t n), (v, n))
 * defines name(v, n) (static here; leave the first argument empty for an
 * external function). The body is inlined into each copy and compiled for
 * that copy's ISA; so are the static inline functions it calls. Identical
 * results at every level where the loops have no reassociation: in ISO C
 * mode GCC does not contract a*b+c into FMA. LT_CLONES_AVX2 makes the AVX2
 * and baseline copies only (the AVX2 one for avx512 and amx too). */
#define LT_CLONE_BODY static inline __attribute__((always_inline))
#if LT_CPU_X86
#define LT_CLONE_COPY(target, ret, copy, body, params, args) \
    __attribute__((target)) static ret copy params { return body args; }
#define LT_CLONES(sc, ret, name, params, args)                                                  \
    LT_CLONE_COPY(target("arch=x86-64-v4"), ret, name##_v4, name##_body, params, args)        \
    LT_CLONE_COPY(target("arch=x86-64-v3"), ret, name##_v3, name##_body, params, args)        \
    static ret name##_v1 params { return name##_body args; }                                  \
    sc ret name params                                                                        \
    {                                                                                         \
        lt_isa isa_ = lt_cpu_level();                                                         \
        return isa_ >= LT_ISA_AVX512 ? name##_v4 args                                         \
                                     : isa_ == LT_ISA_AVX2 ? name##_v3 args : name##_v1 args; \
    }
#define LT_CLONES_AVX2(sc, ret, name, params, args)                                      \
    LT_CLONE_COPY(target("arch=x86-64-v3"), ret, name##_v3, name##_body, params, args) \
    static ret name##_v1 params { return name##_body args; }                           \
    sc ret name params { return lt_cpu_level() >= LT_ISA_AVX2 ? name##_v3 args : name##_v1 args; }
#else
#define LT_CLONES(sc, ret, name, params, args) \
    sc ret name params { return name##_body args; }
#define LT_CLONES_AVX2 LT_CLONES
#endif

typedef double lt_v8d __attribute__((vector_size(64)));
/* One ymm register at x86-64-v3. Comparisons of lt_v8d are lowered lane by
 * lane through the stack there (GCC 12): loops that compare use lt_v4d. */
typedef double lt_v4d __attribute__((vector_size(32)));
typedef long long lt_v4l __attribute__((vector_size(32)));
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

LT_SIMD_INLINE lt_v4d lt_v4d_select(lt_v4l mask, lt_v4d a, lt_v4d b)
{
    lt_v4l ab, bb;
    __builtin_memcpy(&ab, &a, sizeof a);
    __builtin_memcpy(&bb, &b, sizeof b);
    ab = (ab & mask) | (bb & ~mask);
    __builtin_memcpy(&a, &ab, sizeof a);
    return a;
}

LT_SIMD_INLINE lt_v4d lt_v4d_load(const double *p)
{
    lt_v4d v;
    __builtin_memcpy(&v, p, sizeof v);
    return v;
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
