/* The mixer and the Feistel permutation (lt_hash.h): known answers, so that
 * generated data and training order stay bit-identical across releases, and
 * the bijection and inverse properties. */
#include "lt_test.h"
#include "latent/lt_hash.h"

#include <stdlib.h>

START_TEST(mixer_known_answers)
{
    /* splitmix64 seeded with 0 returns 0xe220a8397b1dcdaf first (Vigna's
     * reference code); the others were recorded from the three copies the
     * mixer replaced (data/generate.c, data/dataset.c, nn/shuffle.c). */
    ck_assert_uint_eq(lt_splitmix64(0), 0xe220a8397b1dcdafull);
    ck_assert_uint_eq(lt_splitmix64(42), 0xbdd732262feb6e95ull);
    ck_assert_uint_eq(lt_mix64(0), 0);
    ck_assert_uint_eq(lt_mix64(1), 0x5692161d100b05e5ull);
    ck_assert_uint_eq(lt_mix64(0xdeadbeefcafef00dull), 0x19104ae2406d51c3ull);
    ck_assert_uint_eq(lt_splitmix64(0xdeadbeefcafef00dull), 0x901d4f652fb472cbull);
}
END_TEST

/* Recorded from lt_permute_index(i, n, seed, stream) (data) and
 * nn_permute / nn_permute_inv(i, n, seed, tweak) (apply, invert) before the
 * two networks became one. */
typedef struct {
    int64_t n;
    uint64_t seed;
    uint32_t stream;
    uint64_t tweak;
    int64_t i, data, apply, invert;
} known;
static const known answers[] = {
    {7, 0, 1, 2, 6, 5, 4, 4},
    {7, 101, 10, 23, 6, 5, 6, 6},
    {1003, 1, 4, 9, 1002, 740, 828, 709},
    {1003, 16045690984503111693ull, 13, 30, 0, 946, 640, 126},
    {1048583, 42, 7, 16, 1048582, 57331, 1028412, 624777},
    {1099511627779ll, 101, 10, 23, 1099511627778ll, 246186342243ll, 870058348941ll,
     639195418930ll},
    {4611686018427387899ll, 42, 7, 16, 1, 2016076005077787845ll, 2083032942655724841ll,
     1518953208548348476ll},
};

START_TEST(permutations_known_answers)
{
    for (int k = 0; k < (int)(sizeof answers / sizeof *answers); k++) {
        const known *a = &answers[k];
        lt_perm d, t;
        lt_perm_init_data(&d, a->n, a->seed, a->stream);
        lt_perm_init(&t, a->n, a->seed, a->tweak);
        ck_assert_int_eq(lt_perm_apply(&d, a->i), a->data);
        ck_assert_int_eq(lt_perm_apply(&t, a->i), a->apply);
        ck_assert_int_eq(lt_perm_invert(&t, a->i), a->invert);
    }
    /* The data layout reaches past 2^62 (the training one stops there). */
    int64_t big = INT64_MAX;
    lt_perm d;
    lt_perm_init_data(&d, big, 3, 1);
    ck_assert_int_lt(lt_perm_apply(&d, big - 1), big);
    ck_assert_int_eq(lt_perm_invert(&d, lt_perm_apply(&d, big - 1)), big - 1);
}
END_TEST

static void check_bijection(const lt_perm *p, int64_t n)
{
    char *seen = calloc((size_t)n, 1);
    ck_assert_ptr_nonnull(seen);
    int64_t moved = 0, ok = 1;
    for (int64_t i = 0; i < n; i++) {
        int64_t k = lt_perm_apply(p, i);
        ok &= k >= 0 && k < n && !seen[k] && lt_perm_invert(p, k) == i;
        if (k >= 0 && k < n) seen[k] = 1;
        moved += k != i;
    }
    free(seen);
    ck_assert_msg(ok, "not a bijection for n = %lld", (long long)n);
    if (n >= 64) ck_assert_int_gt(moved, n / 2);
}

START_TEST(both_layouts_are_bijections_with_inverse)
{
    int64_t sizes[] = {1, 2, 7, 64, 1000, 4099};
    for (int s = 0; s < 6; s++) {
        lt_perm p;
        lt_perm_init(&p, sizes[s], 42, 3);
        check_bijection(&p, sizes[s]);
        lt_perm_init_data(&p, sizes[s], 42, 3);
        check_bijection(&p, sizes[s]);
    }
    /* Another tweak (epoch) or seed gives another order. */
    lt_perm a, b, c;
    lt_perm_init(&a, 100, 42, 3);
    lt_perm_init(&b, 100, 42, 4);
    lt_perm_init(&c, 100, 43, 3);
    int same_tweak = 0, same_seed = 0;
    for (int64_t i = 0; i < 100; i++) {
        same_tweak += lt_perm_apply(&a, i) == lt_perm_apply(&b, i);
        same_seed += lt_perm_apply(&a, i) == lt_perm_apply(&c, i);
    }
    ck_assert_int_lt(same_tweak, 20);
    ck_assert_int_lt(same_seed, 20);
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("hash");
    TCase *t = tcase_create("hash");
    tcase_add_test(t, mixer_known_answers);
    tcase_add_test(t, permutations_known_answers);
    tcase_add_test(t, both_layouts_are_bijections_with_inverse);
    suite_add_tcase(s, t);
    return s;
}

int main(int argc, char **argv) { return lt_test_main(make, argc, argv); }
