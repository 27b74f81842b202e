/* The CPU level (lt_cpu.h): names, the LATENT_ISA cap, and the cpuid
 * decoding checked against the compiler's own detection. Registered once
 * per level (tests/CMakeLists.txt sets LATENT_ISA). */
#include "lt_test.h"
#include "latent/lt_cpu.h"

#include <stdlib.h>
#include <string.h>

START_TEST(names_round_trip_and_bad_names_fail)
{
    for (int i = LT_ISA_GENERIC; i <= LT_ISA_AMX; i++) {
        lt_isa got = LT_ISA_AMX + 1 - (lt_isa)i;
        ck_assert_int_eq(lt_isa_parse(lt_isa_name((lt_isa)i), &got), LT_OK);
        ck_assert_int_eq(got, i);
    }
    const char *bad[] = {"", "sse", "AVX2", "avx", "avx512f", "amx ", NULL};
    for (int i = 0; i < 7; i++) {
        lt_isa got = LT_ISA_AVX2;
        ck_assert_int_eq(lt_isa_parse(bad[i], &got), LT_ERR_ARG);
        ck_assert_int_eq(got, LT_ISA_AVX2);
        ck_assert_ptr_nonnull(strstr(lt_error_message(), "generic, avx2, avx512 or amx"));
    }
    ck_assert_str_eq(lt_isa_name((lt_isa)7), "unknown");
}
END_TEST

/* The level is the hardware's, lowered (never raised) by LATENT_ISA, and
 * the same on every call. */
START_TEST(level_is_capped_by_latent_isa)
{
    lt_isa hw = lt_cpu_hardware_level(), lv = lt_cpu_level(), want = hw;
    const char *env = getenv("LATENT_ISA");
    if (env && *env) ck_assert_int_eq(lt_isa_parse(env, &want), LT_OK);
    ck_assert_int_eq(lv, want < hw ? want : hw);
    ck_assert_int_eq(lt_cpu_level(), lv);
    ck_assert_int_eq(lt_cpu_check_env(), LT_OK);
    printf("CPU level %s (hardware %s)\n", lt_isa_name(lv), lt_isa_name(hw));
}
END_TEST

/* cpuid and XCR0 decoded by cpu.c agree with libgcc's (or compiler-rt's)
 * detection of the same features, in both directions. */
START_TEST(hardware_level_matches_compiler_detection)
{
#if LT_CPU_X86
    __builtin_cpu_init();
    int v3 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
             __builtin_cpu_supports("bmi") && __builtin_cpu_supports("bmi2") &&
             __builtin_cpu_supports("popcnt") && __builtin_cpu_supports("sse4.2");
    int v4 = v3 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
             __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") &&
             __builtin_cpu_supports("avx512cd");
    lt_isa hw = lt_cpu_hardware_level();
    ck_assert_int_eq(hw >= LT_ISA_AVX2, v3);
    ck_assert_int_eq(hw >= LT_ISA_AVX512, v4);
#else
    ck_assert_int_eq(lt_cpu_hardware_level(), LT_ISA_GENERIC);
#endif
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("cpu");
    TCase *t = tcase_create("level");
    tcase_add_test(t, names_round_trip_and_bad_names_fail);
    tcase_add_test(t, level_is_capped_by_latent_isa);
    tcase_add_test(t, hardware_level_matches_compiler_detection);
    suite_add_tcase(s, t);
    return s;
}

int main(int argc, char **argv) { return lt_test_main(make, argc, argv); }
