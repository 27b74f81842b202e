#define _GNU_SOURCE
#include "latent/lt_blas.h"
#include "latent/lt_cpu.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

char *openblas_get_corename(void);

/* Cores OpenBLAS falls back to when it does not know the CPU's model. */
static int is_generic_core(const char *core)
{
    static const char *generic[] = {"Prescott", "Core2", "Nehalem", "Sandybridge", "Katmai", "Banias"};
    for (size_t i = 0; i < sizeof generic / sizeof generic[0]; i++)
        if (core && !strcasecmp(core, generic[i])) return 1;
    return 0;
}

/* The best kernel family Debian's OpenBLAS has for the CPU level (which
 * LATENT_ISA may lower). */
static const char *best_core(void)
{
    lt_isa isa = lt_cpu_level();
    return isa >= LT_ISA_AVX512 ? "SkylakeX" : isa >= LT_ISA_AVX2 ? "Haswell" : NULL;
}

void lt_blas_select_kernels(char **argv)
{
    if (getenv("OPENBLAS_CORETYPE") || getenv("LATENT_BLAS_KEEP")) return;
    const char *core = openblas_get_corename();
    const char *want = best_core();
    if (!is_generic_core(core) || !want || !strcasecmp(core, want)) return;
    if (setenv("OPENBLAS_CORETYPE", want, 1) || setenv("LATENT_BLAS_DETECTED", core, 1)) return;
    execv("/proc/self/exe", argv);
    unsetenv("OPENBLAS_CORETYPE"); /* exec failed: go on, slower but correct */
    unsetenv("LATENT_BLAS_DETECTED");
}

const char *lt_blas_core(void) { return openblas_get_corename(); }

const char *lt_blas_detected_core(void) { return getenv("LATENT_BLAS_DETECTED"); }
