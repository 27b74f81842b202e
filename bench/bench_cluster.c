/* Benchmark of the cluster module (not a test): time per Lloyd iteration
 * against the time to stream the same data from memory once, and the exact
 * silhouette at several sizes. Rank 0 prints "key: value" lines.
 *
 *   mpirun -n 1 bench_cluster [--lloyd N] [--sil N1,N2,...] [--d D] [--k K]
 * Defaults: --lloyd 1000000 --sil 30000,100000 --d 10 --k 8; --lloyd 0 or
 * --sil "" skip a part. */
#include "bench_common.h"
#include "latent/lt_kmeans.h"
#include "latent/lt_rng.h"
#include "latent/lt_scores.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static lt_status blobs(lt_comm *c, int64_t n, int64_t d, int k, double std, lt_dataset **out)
{
    LT_CALL(lt_dataset_create(c, n, d, 1, out));
    lt_dataset *ds = *out;
    double cen[64 * 64];
    lt_rng r;
    lt_rng_init(&r, 1, LT_STREAM_CENTERS, 0);
    for (int64_t q = 0; q < k * d; q++) cen[q] = -10 + 20 * lt_rng_uniform(&r);
    for (int64_t i = 0; i < ds->nloc; i++) {
        lt_rng_init(&r, 1, LT_STREAM_DATA, (uint64_t)(ds->row0 + i));
        int y = (int)lt_rng_below(&r, (uint64_t)k);
        ds->y[i] = y;
        for (int64_t j = 0; j < d; j++)
            ds->x[i * d + j] = (float)(cen[y * d + j] + std * lt_rng_normal(&r));
    }
    return LT_OK;
}

/* Seconds to read every float of x once (best of 10), and a sum so that
 * the compiler keeps the loop. */
static double stream_seconds(const float *x, int64_t m, double *sink)
{
    double best = 1e30;
    for (int rep = 0; rep < 10; rep++) {
        double t0 = lt_wtime();
        float p[16] = {0};
        for (int64_t j = 0; j + 16 <= m; j += 16)
            for (int l = 0; l < 16; l++) p[l] += x[j + l];
        double t = lt_wtime() - t0;
        for (int l = 0; l < 16; l++) *sink += p[l];
        if (t < best) best = t;
    }
    return best;
}

static lt_status bench_lloyd(lt_comm *c, int64_t n, int64_t d, int k)
{
    lt_dataset *X = NULL;
    LT_CALL(blobs(c, n, d, k, 6.0, &X));
    double sink = 0, ts = stream_seconds(X->x, X->nloc * d, &sink);
    LT_CALL(lt_comm_max_d(c, &ts, 1));
    lt_kmeans_opts o;
    lt_kmeans_opts_default(&o);
    o.n_clusters = k, o.tol = 0, o.n_init = 1;
    /* 21 iterations minus 1 (the first pays for page faults), best of 3
     * rounds like the streaming time: the VM's speed drifts with its
     * neighbours' load. */
    lt_kmeans *a = NULL, *b = NULL;
    double per = 1e30, init = 1e30;
    /* The times are the fit's events (kmeans_iter, kmeans_init) on this rank. */
    lt_timer tm;
    lt_timer_init(&tm);
    lt_comm_set_timer(c, &tm);
    for (int round = 0; round < 3; round++) {
        lt_kmeans_destroy(&a), lt_kmeans_destroy(&b);
        double l0 = tm.wall[LT_EV_KMEANS_ITER], i0 = tm.wall[LT_EV_KMEANS_INIT];
        o.max_iter = 1;
        LT_CALL(lt_kmeans_fit(c, &o, X, &a));
        double l1 = tm.wall[LT_EV_KMEANS_ITER], i1 = tm.wall[LT_EV_KMEANS_INIT];
        o.max_iter = 21;
        LT_CALL(lt_kmeans_fit(c, &o, X, &b));
        double l2 = tm.wall[LT_EV_KMEANS_ITER], i2 = tm.wall[LT_EV_KMEANS_INIT];
        double t = ((l2 - l1) - (l1 - l0)) / (double)(b->n_iter - a->n_iter);
        double ti = i1 - i0 < i2 - i1 ? i1 - i0 : i2 - i1;
        LT_CALL(lt_comm_max_d(c, &t, 1));
        LT_CALL(lt_comm_max_d(c, &ti, 1));
        per = t < per ? t : per;
        init = ti < init ? ti : init; /* best of the 6 inits, as the iterations */
    }
    if (lt_comm_rank(c) == 0) {
        printf("lloyd_rows: %lld\nlloyd_d: %lld\nlloyd_k: %d\nranks: %d\n", (long long)n,
               (long long)d, k, lt_comm_size(c));
        printf("stream_ms: %.3f\nstream_GBps_per_rank: %.1f\n", ts * 1e3,
               4.0 * (double)X->nloc * (double)d / ts / 1e9);
        printf("lloyd_iter_ms: %.3f\nlloyd_over_stream: %.2f\nlloyd_iters_timed: %lld\n", per * 1e3,
               per / ts, (long long)(b->n_iter - a->n_iter));
        printf("kmeanspp_init_s: %.3f\nkmeanspp_over_lloyd_iter: %.1f\n", init, init / per);
        printf("sink: %g\n", sink);
    }
    lt_comm_set_timer(c, NULL);
    lt_kmeans_destroy(&a), lt_kmeans_destroy(&b);
    lt_dataset_destroy(&X);
    return LT_OK;
}

static lt_status bench_sil(lt_comm *c, int64_t n, int64_t d, int k)
{
    lt_dataset *X = NULL;
    LT_CALL(blobs(c, n, d, k, 6.0, &X));
    lt_silhouette_opts o;
    lt_silhouette_opts_default(&o);
    lt_silhouette_result r;
    LT_CALL(lt_comm_barrier(c));
    double t0 = lt_wtime();
    LT_CALL(lt_silhouette(c, X, X->y, X->nloc, &o, &r));
    double t = lt_wtime() - t0;
    LT_CALL(lt_comm_max_d(c, &t, 1));
    o.mode = LT_SIL_SQEUCLIDEAN;
    lt_silhouette_result rq;
    t0 = lt_wtime();
    LT_CALL(lt_silhouette(c, X, X->y, X->nloc, &o, &rq));
    double tq = lt_wtime() - t0;
    if (lt_comm_rank(c) == 0)
        printf("silhouette_exact_rows: %lld\nsilhouette_exact_s: %.3f\nsilhouette_exact: %.9f\n"
               "pairs_per_ns: %.3f\nsilhouette_sqeuclidean_s: %.4f\n",
               (long long)n, t, r.score, (double)n * (double)n / t / 1e9, tq);
    lt_silhouette_result_free(&r), lt_silhouette_result_free(&rq);
    lt_dataset_destroy(&X);
    return LT_OK;
}

static lt_status run(lt_comm *c, int argc, char **argv)
{
    int64_t nl = 1000000, d = 10;
    int k = 8;
    const char *sil = "30000,100000";
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--lloyd"))
            nl = atoll(argv[i + 1]);
        else if (!strcmp(argv[i], "--sil"))
            sil = argv[i + 1];
        else if (!strcmp(argv[i], "--d"))
            d = atoll(argv[i + 1]);
        else if (!strcmp(argv[i], "--k"))
            k = atoi(argv[i + 1]);
        else
            LT_FAIL(LT_ERR_ARG, "unknown option %s", argv[i]);
    }
    LT_CHECK(d >= 1 && d <= 64 && k >= 2 && k <= 64, LT_ERR_ARG, "need 1 <= d <= 64, 2 <= k <= 64");
    if (nl > 0) LT_CALL(bench_lloyd(c, nl, d, k));
    for (const char *p = sil; *p;) {
        int64_t n = atoll(p);
        if (n > 0) LT_CALL(bench_sil(c, n, d, k));
        p = strchr(p, ',');
        if (!p) break;
        p++;
    }
    return LT_OK;
}

int main(int argc, char **argv) { return lt_bench_main(argc, argv, "bench_cluster", run); }
