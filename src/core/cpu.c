/* CPU level detection (see lt_cpu.h). cpuid says what the CPU implements;
 * XCR0 (xgetbv) says which register state the OS saves, without which the
 * wider registers must not be used; Linux grants the AMX tile state only on
 * request (arch_prctl). */
#define _GNU_SOURCE /* syscall() */
#include "latent/lt_cpu.h"
#include "latent/lt_name.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const lt_name isa_names[] = {
    {"generic", LT_ISA_GENERIC}, {"avx2", LT_ISA_AVX2}, {"avx512", LT_ISA_AVX512}, {"amx", LT_ISA_AMX}};

const char *lt_isa_name(lt_isa isa)
{
    const char *s = lt_name_of(LT_NAMES(isa_names), (int)isa);
    return s[0] == '?' ? "unknown" : s;
}

LT_NAME_PARSER(lt_isa, lt_isa_parse, isa_names, "CPU level")

#if LT_CPU_X86
#include <cpuid.h>
#if defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#endif

typedef struct {
    unsigned a, b, c, d;
} cpuid_regs;

static cpuid_regs cpuid(unsigned leaf, unsigned sub)
{
    cpuid_regs r = {0, 0, 0, 0};
    if (!__get_cpuid_count(leaf, sub, &r.a, &r.b, &r.c, &r.d)) r = (cpuid_regs){0, 0, 0, 0};
    return r;
}

static int bits(unsigned reg, unsigned mask) { return (reg & mask) == mask; }

/* The register state the OS saves on a context switch (XCR0); 0 without
 * OSXSAVE, when xgetbv itself would fault. */
static uint64_t saved_state(unsigned ecx1)
{
    if (!bits(ecx1, 1u << 27)) return 0;
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (uint64_t)hi << 32 | lo;
}

/* Linux (5.16+) lends a process the 8 KB tile state only if it asks
 * (ARCH_REQ_XCOMP_PERM for XTILEDATA, feature 18); asked once, here. */
static int amx_permitted(void)
{
#if defined(__linux__)
    return syscall(SYS_arch_prctl, 0x1023, 18) == 0;
#else
    return 0;
#endif
}

static lt_isa detect(void)
{
    cpuid_regs l1 = cpuid(1, 0), l7 = cpuid(7, 0), l71 = cpuid(7, 1), e1 = cpuid(0x80000001u, 0);
    uint64_t xcr0 = saved_state(l1.c);
    /* x86-64-v2 and v3: SSE3, SSSE3, CX16, SSE4.1/4.2, POPCNT; FMA, MOVBE,
     * AVX, F16C (leaf 1 ecx); BMI1, AVX2, BMI2 (leaf 7 ebx); LAHF, LZCNT
     * (0x80000001 ecx); the OS saving xmm and ymm. */
    int v3 = bits(l1.c, 1u << 0 | 1u << 9 | 1u << 13 | 1u << 19 | 1u << 20 | 1u << 23 | 1u << 12 |
                            1u << 22 | 1u << 28 | 1u << 29) &&
             bits(l7.b, 1u << 3 | 1u << 5 | 1u << 8) && bits(e1.c, 1u << 0 | 1u << 5) &&
             (xcr0 & 0x6) == 0x6;
    if (!v3) return LT_ISA_GENERIC;
    /* x86-64-v4: AVX-512 F, DQ, CD, BW, VL; the OS saving opmask and zmm. */
    int v4 = bits(l7.b, 1u << 16 | 1u << 17 | 1u << 28 | 1u << 30 | 1u << 31) &&
             (xcr0 & 0xE0) == 0xE0;
    if (!v4) return LT_ISA_AVX2;
    /* AMX-BF16, AMX-TILE (leaf 7 edx), AVX512-BF16 (leaf 7.1 eax); the OS
     * supporting XTILECFG and XTILEDATA, and granting them to us. */
    int amx = bits(l7.d, 1u << 22 | 1u << 24) && bits(l71.a, 1u << 5) &&
              (xcr0 & 0x60000) == 0x60000 && amx_permitted();
    return amx ? LT_ISA_AMX : LT_ISA_AVX512;
}
#else
static lt_isa detect(void) { return LT_ISA_GENERIC; }
#endif

/* -1 until detected; a race between two threads computes the same value. */
static atomic_int hardware = -1, effective = -1;

lt_isa lt_cpu_hardware_level(void)
{
    int h = atomic_load_explicit(&hardware, memory_order_relaxed);
    if (h < 0) {
        h = (int)detect();
        atomic_store_explicit(&hardware, h, memory_order_relaxed);
    }
    return (lt_isa)h;
}

lt_isa lt_cpu_level(void)
{
    int e = atomic_load_explicit(&effective, memory_order_relaxed);
    if (e >= 0) return (lt_isa)e;
    lt_isa hw = lt_cpu_hardware_level(), want = hw;
    const char *env = getenv("LATENT_ISA");
    if (env && *env && lt_isa_parse(env, &want) != LT_OK) {
        lt_error_clear(); /* reported by lt_cpu_check_env; the hardware level meanwhile */
        want = hw;
    }
    e = (int)(want < hw ? want : hw);
    atomic_store_explicit(&effective, e, memory_order_relaxed);
    return (lt_isa)e;
}

lt_status lt_cpu_check_env(void)
{
    const char *env = getenv("LATENT_ISA");
    lt_isa isa;
    return env && *env ? lt_error_in_key(lt_isa_parse(env, &isa), "LATENT_ISA") : LT_OK;
}
