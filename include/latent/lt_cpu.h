/* The CPU level: the one place that decides which instruction set the
 * kernels use. Detected once per process (cpuid, the OS's saved register
 * state, and for AMX Linux's permission) and cached; the environment
 * variable LATENT_ISA=generic|avx2|avx512|amx lowers it (never raises it:
 * a level the CPU lacks is capped at what it has), so that the portable and
 * AVX2 paths can be run and tested on an AVX-512 host.
 *
 *   generic  baseline x86-64 (SSE2), or any other architecture
 *   avx2     x86-64-v3: AVX2, FMA, BMI1/2, F16C, LZCNT, MOVBE
 *   avx512   x86-64-v4: AVX-512 F, BW, CD, DQ, VL
 *   amx      avx512 plus AMX-TILE, AMX-BF16, AVX512-BF16 and the tile state
 *            granted by the kernel
 *
 * Functions compiled for several levels use LT_CLONES (lt_simd.h), which
 * dispatches on lt_cpu_level(). */
#ifndef LT_CPU_H
#define LT_CPU_H

#include "lt_error.h"

/* 1 where the x86 kernels (intrinsics, per-function target attributes) can
 * be compiled: GCC or Clang for x86-64. The compile-time counterpart of
 * lt_cpu_level(); code tests this, not __SSE__ or __x86_64__. */
#if defined(__GNUC__) && defined(__x86_64__)
#define LT_CPU_X86 1
#else
#define LT_CPU_X86 0
#endif

typedef enum { LT_ISA_GENERIC = 0, LT_ISA_AVX2, LT_ISA_AVX512, LT_ISA_AMX } lt_isa;

/* The level the kernels use: the hardware's, lowered by LATENT_ISA. Cached
 * on the first call (later changes of the environment are not seen). */
lt_isa lt_cpu_level(void);
/* What this CPU and OS offer, ignoring LATENT_ISA. */
lt_isa lt_cpu_hardware_level(void);
/* "generic", "avx2", "avx512", "amx". */
const char *lt_isa_name(lt_isa isa);
/* Parses a level name into *isa; LT_ERR_ARG naming the choices if unknown. */
lt_status lt_isa_parse(const char *name, lt_isa *isa);
/* LATENT_ISA checked: LT_OK if unset, empty or a level name; otherwise
 * LT_ERR_CONFIG naming LATENT_ISA (lt_cpu_level then ignores it). For the
 * CLI to report. */
lt_status lt_cpu_check_env(void);

#endif
