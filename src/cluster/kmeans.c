/* k-means as scikit-learn 1.2 runs it (sklearn/cluster/_kmeans.py,
 * _k_means_lloyd.pyx), distributed: the assignment is a local kernel
 * (kernels.c) and each iteration ends in one allreduce of k x (d + 1) + 1
 * doubles (sums, counts, number of changed labels). */
#include "latent/lt_kmeans.h"
#include "latent/lt_name.h"
#include "latent/lt_rng.h"
#include "cluster_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void lt_kmeans_opts_default(lt_kmeans_opts *o)
{
    memset(o, 0, sizeof *o);
    o->n_clusters = 8;
    o->init = LT_KMEANS_PLUSPLUS;
    o->n_init = 0;
    o->max_iter = 300;
    o->tol = 1e-4;
}

static const lt_name init_names[] = {
    {"k-means++", LT_KMEANS_PLUSPLUS}, {"random", LT_KMEANS_RANDOM}, {"given", LT_KMEANS_GIVEN}};

LT_NAME_FUNCTIONS(lt_kmeans_init, lt_kmeans_init_name, lt_kmeans_init_parse, init_names, "k-means init")

void lt_kmeans_destroy(lt_kmeans **km)
{
    if (!km || !*km) return;
    free((*km)->centers);
    free((*km)->labels);
    free((*km)->counts);
    free(*km);
    *km = NULL;
}

static void ws_free(kmws *w)
{
    free(w->centers), free(w->newc), free(w->buf), free(w->tot), free(w->ct), free(w->lab);
    free(w->closest), free(w->rows), free(w->ids), free(w->order), free(w->target);
    free(w->cpot), free(w->ct8), free(w->ranks), free(w->rlab);
    lt_km_rows_destroy(&w->prep);
    lt_km_scratch_destroy(&w->as);
}

/* Everything the iterations need, so that none of them allocates (local;
 * the caller agrees). */
static lt_status ws_alloc(kmws *w, const lt_dataset *X, int64_t k, int64_t trials, int nranks)
{
    int64_t d = X->d, nloc = X->nloc;
    memset(w, 0, sizeof *w);
    w->k = k, w->d = d, w->kp = lt_km_lanes(k), w->trials = trials;
    int64_t rows = trials > k ? trials : k;
    w->centers = lt_calloc((size_t)(k * d), sizeof(double));
    w->newc = lt_calloc((size_t)(k * d), sizeof(double));
    w->buf = lt_calloc((size_t)(k * d + k + 1), sizeof(double));
    w->tot = lt_calloc((size_t)(k * d + k), sizeof(double));
    w->ct = lt_calloc((size_t)(w->kp * d), sizeof(float));
    w->lab = lt_calloc((size_t)nloc + 1, sizeof(int32_t));
    w->closest = lt_calloc((size_t)nloc + 1, sizeof(double));
    w->rows = lt_calloc((size_t)(rows * d), sizeof(double));
    w->ids = lt_calloc((size_t)rows, sizeof(int64_t));
    w->order = lt_calloc((size_t)trials, sizeof(int64_t));
    w->target = lt_calloc((size_t)trials, sizeof(double));
    w->cpot = lt_calloc((size_t)trials, sizeof(double));
    w->ct8 = lt_calloc((size_t)(8 * d), sizeof(double));
    w->ranks = lt_calloc((size_t)nranks, sizeof(double));
    w->rlab = lt_calloc((size_t)k, sizeof(double));
    if (w->centers && w->newc && w->buf && w->tot && w->ct && w->lab && w->closest && w->rows &&
        w->ids && w->order && w->target && w->cpot && w->ct8 && w->ranks && w->rlab &&
        lt_km_rows_create(X->x, nloc, d, 1, &w->prep) == LT_OK &&
        lt_km_scratch_create(k, d, 1, &w->as) == LT_OK)
        return LT_OK;
    ws_free(w);
    return LT_ERR_MEM;
}

static lt_status validate(const lt_kmeans_opts *o, const lt_dataset *X)
{
    LT_CHECK(o->n_clusters >= 1, LT_ERR_ARG, "n_clusters = %lld: must be >= 1",
             (long long)o->n_clusters);
    LT_CHECK(o->n_clusters <= X->n, LT_ERR_ARG,
             "n_clusters = %lld is larger than the number of rows (%lld)", (long long)o->n_clusters,
             (long long)X->n);
    LT_CHECK(o->n_clusters <= INT32_MAX, LT_ERR_ARG, "n_clusters too large");
    LT_CHECK(o->n_init >= 0, LT_ERR_ARG, "n_init = %lld: must be >= 0 (0 = auto)",
             (long long)o->n_init);
    LT_CHECK(o->max_iter >= 1, LT_ERR_ARG, "max_iter = %lld: must be >= 1", (long long)o->max_iter);
    LT_CHECK(o->tol >= 0 && isfinite(o->tol), LT_ERR_ARG, "tol = %g: must be >= 0", o->tol);
    LT_CHECK(o->n_local_trials >= 0, LT_ERR_ARG, "n_local_trials must be >= 0");
    LT_CHECK(o->init != LT_KMEANS_GIVEN || o->centers, LT_ERR_ARG,
             "init = given needs initial centers");
    if (o->init == LT_KMEANS_GIVEN)
        for (int64_t i = 0; i < o->n_clusters * X->d; i++)
            LT_CHECK(isfinite(o->centers[i]), LT_ERR_ARG, "initial center %lld is not finite",
                     (long long)(i / X->d));
    return LT_OK;
}

/* scikit-learn's _tolerance: tol times the mean of the feature variances. */
static lt_status abs_tolerance(lt_comm *c, const lt_dataset *X, double tol, double *out)
{
    int64_t d = X->d;
    double *m = lt_calloc(2 * (size_t)d, sizeof *m);
    lt_status st = lt_comm_agree(c, m ? LT_OK : LT_ERR_MEM); /* before the sums below */
    if (st != LT_OK) {
        free(m);
        return st;
    }
    st = lt_dataset_column_moments(c, X, m, m + d);
    double v = 0;
    for (int64_t j = 0; j < d; j++) v += m[d + j] / (double)X->n;
    *out = tol * v / (double)d;
    free(m);
    return st;
}

static lt_status run_restart(lt_comm *c, const lt_kmeans_opts *o, const lt_dataset *X, kmws *w,
                             int64_t t, double tol_abs, lt_kmeans *km, double *inertia,
                             int64_t *n_iter, int *conv)
{
    lt_status st = LT_OK;
    lt_event_begin(lt_comm_timer(c), LT_EV_KMEANS_INIT);
    if (o->init == LT_KMEANS_GIVEN)
        memcpy(w->centers, o->centers, sizeof(double) * (size_t)(w->k * w->d));
    else if (o->init == LT_KMEANS_RANDOM)
        st = lt_km_init_random(c, X, w, o->seed, t);
    else
        st = lt_km_init_plusplus(c, X, w, o->seed, t);
    lt_event_end(lt_comm_timer(c), LT_EV_KMEANS_INIT, 0);
    LT_CALL(st);
    LT_CALL(lt_km_lloyd(c, X, w, o->max_iter, tol_abs, n_iter, conv, inertia));
    km->lloyd_iters += *n_iter;
    return LT_OK;
}

static lt_status fit_restarts(lt_comm *c, const lt_kmeans_opts *o, const lt_dataset *X, kmws *w,
                              lt_kmeans *km)
{
    double tol_abs;
    LT_CALL(abs_tolerance(c, X, o->tol, &tol_abs));
    km->n_init = o->n_init ? o->n_init : o->init == LT_KMEANS_RANDOM ? 10 : 1;
    if (o->init == LT_KMEANS_GIVEN) km->n_init = 1;
    for (int64_t t = 0; t < km->n_init; t++) {
        double inertia;
        int64_t n_iter;
        int conv;
        LT_CALL(run_restart(c, o, X, w, t, tol_abs, km, &inertia, &n_iter, &conv));
        if (t > 0 && !(inertia < km->inertia)) continue;
        km->inertia = inertia, km->n_iter = n_iter, km->converged = conv, km->best_init = t;
        memcpy(km->centers, w->centers, sizeof(double) * (size_t)(w->k * w->d));
        memcpy(km->labels, w->lab, sizeof(int32_t) * (size_t)X->nloc);
    }
    memset(km->counts, 0, sizeof(int64_t) * (size_t)km->k);
    for (int64_t i = 0; i < X->nloc; i++) km->counts[km->labels[i]]++;
    return lt_comm_sum_i64(c, km->counts, km->k);
}

static lt_status km_alloc(const lt_dataset *X, int64_t k, lt_kmeans **out)
{
    lt_kmeans *km = lt_calloc(1, sizeof *km);
    if (!km) return LT_ERR_MEM;
    km->k = k, km->d = X->d, km->n = X->n, km->row0 = X->row0, km->nloc = X->nloc;
    km->centers = lt_calloc((size_t)(k * X->d), sizeof(double));
    km->labels = lt_calloc((size_t)X->nloc + 1, sizeof(int32_t));
    km->counts = lt_calloc((size_t)k, sizeof(int64_t));
    if (!km->centers || !km->labels || !km->counts) {
        lt_kmeans_destroy(&km);
        return LT_ERR_MEM;
    }
    *out = km;
    return LT_OK;
}

lt_status lt_kmeans_fit(lt_comm *c, const lt_kmeans_opts *o, const lt_dataset *X, lt_kmeans **out)
{
    *out = NULL;
    LT_CALL(lt_comm_agree(c, validate(o, X)));
    LT_CALL(lt_dataset_check_finite(c, X, "k-means input"));
    int64_t k = o->n_clusters;
    int64_t trials = o->n_local_trials ? o->n_local_trials : 2 + (int64_t)log((double)k);
    kmws w;
    lt_kmeans *km = NULL;
    lt_status st = ws_alloc(&w, X, k, trials, lt_comm_size(c));
    if (st == LT_OK && (st = km_alloc(X, k, &km)) != LT_OK) ws_free(&w);
    int mine = st == LT_OK; /* this rank holds both */
    st = lt_comm_agree(c, st);
    if (st != LT_OK) {
        if (mine) ws_free(&w), lt_kmeans_destroy(&km);
        return st;
    }
    st = fit_restarts(c, o, X, &w, km);
    ws_free(&w);
    if (st != LT_OK) {
        lt_kmeans_destroy(&km);
        return st;
    }
    *out = km;
    return LT_OK;
}

lt_status lt_kmeans_predict(lt_comm *c, const lt_kmeans *km, const lt_dataset *X,
                            int32_t *labels_local, double *inertia)
{
    lt_status st = LT_OK;
    if (X->d != km->d)
        st = lt_error_raise(LT_ERR_DATA, __FILE__, __LINE__,
                            "data has %lld features but the k-means model has %lld",
                            (long long)X->d, (long long)km->d);
    LT_CALL(lt_comm_agree(c, st));
    LT_CALL(lt_dataset_check_finite(c, X, "k-means predict input"));
    int64_t kp = lt_km_lanes(km->k);
    float *ct = lt_calloc((size_t)(kp * km->d), sizeof *ct);
    lt_km_rows r = {0}; /* one pass: tiles would not pay for themselves */
    lt_km_scratch as = {0};
    st = ct && lt_km_rows_create(X->x, X->nloc, X->d, 0, &r) == LT_OK &&
                 lt_km_scratch_create(km->k, km->d, 0, &as) == LT_OK
             ? LT_OK
             : LT_ERR_MEM;
    if (st == LT_OK) {
        lt_km_pack_centers(km->centers, km->k, km->d, kp, ct);
        for (int64_t i = 0; i < X->nloc; i++) labels_local[i] = -1;
        lt_km_assign(&r, &as, ct, kp, km->k, km->centers, labels_local, NULL, NULL);
    }
    free(ct);
    lt_km_rows_destroy(&r);
    lt_km_scratch_destroy(&as);
    LT_CALL(lt_comm_agree(c, st));
    if (!inertia) return LT_OK;
    double s = 0;
    for (int64_t i = 0; i < X->nloc; i++)
        s += lt_cl_sqdist(X->x + i * X->d, km->centers + (int64_t)labels_local[i] * X->d, X->d);
    LT_CALL(lt_comm_sum_d(c, &s, 1));
    *inertia = s;
    return LT_OK;
}
