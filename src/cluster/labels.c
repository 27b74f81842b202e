/* Label checking and per-cluster statistics shared by the scores. */
#include "cluster_internal.h"

#include <stdlib.h>
#include <string.h>

/* Label values index a table of counts: keep it a sane size. */
#define LT_MAX_LABEL ((int64_t)1 << 24)

static lt_status check_local(int64_t nloc, const int32_t *labels, int64_t n_local, int64_t *maxl)
{
    LT_CHECK(n_local == nloc, LT_ERR_DATA,
             "labels have %lld entries on this rank but the data has %lld rows here "
             "(labels of a different length than the data)",
             (long long)n_local, (long long)nloc);
    LT_CHECK(nloc == 0 || labels, LT_ERR_ARG, "labels are NULL");
    *maxl = -1;
    for (int64_t i = 0; i < nloc; i++) {
        LT_CHECK(labels[i] >= 0 && labels[i] < LT_MAX_LABEL, LT_ERR_DATA,
                 "label %d at local row %lld is outside [0, %lld)", (int)labels[i], (long long)i,
                 (long long)LT_MAX_LABEL);
        if (labels[i] > *maxl) *maxl = labels[i];
    }
    return LT_OK;
}

static lt_status compact(lt_labinfo *li, const int64_t *cnt)
{
    LT_ALLOC(li->map, li->nslots);
    li->k = 0;
    for (int s = 0; s < li->nslots; s++) li->map[s] = cnt[s] > 0 ? li->k++ : -1;
    LT_ALLOC(li->slot, li->k + 1);
    LT_ALLOC(li->count, li->k + 1);
    for (int s = 0; s < li->nslots; s++)
        if (li->map[s] >= 0) {
            li->slot[li->map[s]] = s;
            li->count[li->map[s]] = cnt[s];
        }
    return LT_OK;
}

lt_status lt_labinfo_build(lt_comm *c, int64_t n, int64_t nloc, const int32_t *labels,
                           int64_t n_local, lt_labinfo *li)
{
    memset(li, 0, sizeof *li);
    int64_t maxl = -1, tot = n_local;
    LT_CALL(lt_comm_agree(c, check_local(nloc, labels, n_local, &maxl)));
    LT_CALL(lt_comm_sum_i64(c, &tot, 1));
    LT_CHECK(tot == n, LT_ERR_DATA, "%lld labels for %lld rows", (long long)tot, (long long)n);
    LT_CALL(lt_comm_max_i64(c, &maxl, 1));
    li->nslots = (int)(maxl + 1);
    int64_t *cnt = lt_calloc((size_t)li->nslots + 1, sizeof *cnt);
    lt_status st = lt_comm_agree(c, cnt ? LT_OK : LT_ERR_MEM);
    if (st == LT_OK) {
        for (int64_t i = 0; i < nloc; i++) cnt[labels[i]]++;
        st = lt_comm_sum_i64(c, cnt, li->nslots);
    }
    if (st == LT_OK) st = lt_comm_agree(c, compact(li, cnt));
    free(cnt);
    if (st != LT_OK) lt_labinfo_free(li);
    return st;
}

void lt_labinfo_free(lt_labinfo *li)
{
    free(li->map);
    free(li->slot);
    free(li->count);
    memset(li, 0, sizeof *li);
}

lt_status lt_labinfo_require_range(const lt_labinfo *li, int64_t n, const char *what)
{
    LT_CHECK(li->k >= 2 && li->k <= n - 1, LT_ERR_DATA,
             "%s: number of distinct labels is %d; valid values are 2 to n_samples - 1 = %lld "
             "(inclusive)",
             what, li->k, (long long)(n - 1));
    return LT_OK;
}

lt_status lt_cluster_means(lt_comm *c, const lt_dataset *X, const int32_t *labels,
                           const lt_labinfo *li, double *means, double *wss)
{
    int64_t k = li->k, d = X->d;
    memset(means, 0, sizeof *means * (size_t)(k * d));
    for (int64_t i = 0; i < X->nloc; i++) {
        double *m = means + li->map[labels[i]] * d;
        for (int64_t j = 0; j < d; j++) m[j] += X->x[i * d + j];
    }
    LT_CALL(lt_comm_sum_d(c, means, k * d));
    for (int64_t q = 0; q < k; q++)
        for (int64_t j = 0; j < d; j++) means[q * d + j] /= (double)li->count[q];
    if (!wss) return LT_OK;
    memset(wss, 0, sizeof *wss * (size_t)k);
    for (int64_t i = 0; i < X->nloc; i++) {
        int q = li->map[labels[i]];
        wss[q] += lt_cl_sqdist(X->x + i * d, means + q * d, d);
    }
    return lt_comm_sum_d(c, wss, k);
}
