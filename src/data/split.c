/* Train/test split: the test rows are the n_test rows with the smallest
 * seeded 64-bit keys (ties by row index), found by a distributed radix select
 * (a histogram allreduce per byte of the key) instead of gathering keys.
 * Both parts keep the original row order. */
#include "latent/lt_preprocess.h"

#include <math.h>
#include <stdlib.h>

#include "latent/lt_rng.h"

#define RADIX_BITS 8
#define RADIX (1 << RADIX_BITS)

/* Row g is a test row iff key < thr, or key == thr and it is among the first
 * `take` rows (in global order) whose key equals thr. */
typedef struct {
    uint64_t thr;
    int64_t take;
} lt_select;

/* Narrows the prefix one digit at a time: the digit whose bucket holds the
 * need-th smallest key is fixed, the buckets below it are taken whole. */
static lt_status radix_select(lt_comm *c, const uint64_t *key, int64_t nloc, int64_t need,
                              lt_select *sel)
{
    uint64_t prefix = 0, pmask = 0;
    sel->thr = 0, sel->take = 0;
    if (need == 0) return LT_OK;
    int64_t hist[RADIX];
    for (int shift = 64 - RADIX_BITS; shift >= 0; shift -= RADIX_BITS) {
        for (int b = 0; b < RADIX; b++) hist[b] = 0;
        for (int64_t i = 0; i < nloc; i++)
            if ((key[i] & pmask) == prefix) hist[(key[i] >> shift) & (RADIX - 1)]++;
        LT_CALL(lt_comm_sum_i64(c, hist, RADIX));
        int b = 0;
        while (hist[b] < need) need -= hist[b++];
        prefix |= (uint64_t)b << shift;
        pmask |= (uint64_t)(RADIX - 1) << shift;
        if (hist[b] == need) { /* the whole bucket is taken: stop early */
            sel->thr = prefix | ~pmask;
            sel->take = INT64_MAX;
            return LT_OK;
        }
    }
    sel->thr = prefix;
    sel->take = need;
    return LT_OK;
}

/* Marks test rows (1) and train rows (0); ties are ranked by an exscan. */
static lt_status mark_test_rows(lt_comm *c, const uint64_t *key, int64_t nloc, const lt_select *sel,
                                char *is_test)
{
    int64_t ties = 0, before = 0;
    for (int64_t i = 0; i < nloc; i++) ties += key[i] == sel->thr;
    LT_CALL(lt_comm_exscan_i64(c, ties, &before));
    for (int64_t i = 0; i < nloc; i++) {
        int t = key[i] < sel->thr;
        if (key[i] == sel->thr) t = before++ < sel->take;
        is_test[i] = (char)t;
    }
    return LT_OK;
}

/* Destination rows: position among this part's rows, offset by earlier ranks. */
static lt_status destinations(lt_comm *c, const char *is_test, int64_t nloc, int64_t *dtrain,
                              int64_t *dtest)
{
    int64_t ntest = 0, off_test = 0, off_train = 0;
    for (int64_t i = 0; i < nloc; i++) ntest += is_test[i];
    LT_CALL(lt_comm_exscan_i64(c, ntest, &off_test));
    LT_CALL(lt_comm_exscan_i64(c, nloc - ntest, &off_train));
    for (int64_t i = 0; i < nloc; i++) {
        dtest[i] = is_test[i] ? off_test++ : -1;
        dtrain[i] = is_test[i] ? -1 : off_train++;
    }
    return LT_OK;
}

static lt_status check_split_args(const lt_dataset *all, double f, int64_t *n_test)
{
    LT_CHECK(all, LT_ERR_ARG, "split: NULL dataset");
    LT_CHECK(f >= 0 && f < 1, LT_ERR_ARG, "split: test_fraction must be in [0, 1) (got %g)", f);
    /* scikit-learn's rule for a float test_size; the double product matches Python's. */
    *n_test = (int64_t)ceil(f * (double)all->n);
    LT_CHECK(all->n - *n_test >= 1, LT_ERR_ARG,
             "split: test_fraction %g of %lld rows leaves no training rows", f, (long long)all->n);
    return LT_OK;
}

lt_status lt_split_keys(lt_comm *c, const lt_dataset *all, const uint64_t *key, int64_t n_test,
                        lt_dataset **train, lt_dataset **test)
{
    *train = *test = NULL;
    lt_status st = LT_OK;
    if (!all || n_test < 0 || n_test > all->n - 1)
        st = lt_error_raise(LT_ERR_ARG, __FILE__, __LINE__,
                            "split: %lld test rows out of %lld leaves no training rows",
                            (long long)n_test, all ? (long long)all->n : 0LL);
    LT_CALL(lt_comm_agree(c, st));
    int64_t nloc = all->nloc;
    int64_t *dest = lt_malloc(sizeof(int64_t) * 2 * (size_t)nloc + 1);
    char *is_test = lt_malloc((size_t)nloc + 1);
    st = dest && is_test ? LT_OK : LT_ERR_MEM;
    LT_CALL_GOTO(st, lt_comm_agree(c, st), done);
    lt_select sel;
    LT_CALL_GOTO(st, radix_select(c, key, nloc, n_test, &sel), done);
    LT_CALL_GOTO(st, mark_test_rows(c, key, nloc, &sel, is_test), done);
    LT_CALL_GOTO(st, destinations(c, is_test, nloc, dest, dest + nloc), done);
    LT_CALL_GOTO(st, lt_dataset_redistribute(c, all, dest, all->n - n_test, train), done);
    LT_CALL_GOTO(st, lt_dataset_redistribute(c, all, dest + nloc, n_test, test), done);
done:
    if (st != LT_OK) {
        lt_dataset_destroy(train);
        lt_dataset_destroy(test);
    }
    free(dest);
    free(is_test);
    return st;
}

lt_status lt_split(lt_comm *c, const lt_dataset *all, double test_fraction, uint64_t seed,
                   lt_dataset **train, lt_dataset **test)
{
    *train = *test = NULL;
    int64_t n_test = 0;
    LT_CALL(lt_comm_agree(c, check_split_args(all, test_fraction, &n_test)));
    uint64_t *key = lt_malloc(sizeof(uint64_t) * (size_t)all->nloc + 1);
    lt_status st = lt_comm_agree(c, key ? LT_OK : LT_ERR_MEM);
    if (st != LT_OK) {
        free(key);
        return st;
    }
    for (int64_t i = 0; i < all->nloc; i++) {
        lt_rng r;
        lt_rng_init(&r, seed, LT_STREAM_SPLIT, (uint64_t)(all->row0 + i));
        key[i] = lt_rng_u64(&r);
    }
    st = lt_split_keys(c, all, key, n_test, train, test);
    free(key);
    if (st != LT_OK) lt_error_trace(__FILE__, __LINE__, "lt_split_keys");
    return st;
}
