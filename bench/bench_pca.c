/* PCA benchmark (not a test). Generates float data in memory, fits every
 * requested method and prints time, GFLOP/s of the Gram/SVD work (n d^2),
 * and the ratio to this machine's DGEMM and SGEMM rates (times P), measured on
 * every rank at once (the fair ceiling on a shared 2-core VM). The flop
 * count is n d min(n, d): the Gram matrix's (syrk), or the SVD's order.
 *
 *   mpirun -np P bench_pca                 # 1,000,000 x 50 and 200,000 x 784
 *   mpirun -np P bench_pca N D [K [CHUNK]]  # one shape (CHUNK: opts.chunk_rows)
 *   mpirun -np P bench_pca --crossover     # replicated vs covariance over d
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_common.h"
#include "latent/lt_pca.h"
#include "latent/lt_rng.h"

void dgemm_(const char *, const char *, const int *, const int *, const int *, const double *,
            const double *, const int *, const double *, const int *, const double *, double *,
            const int *);
void sgemm_(const char *, const char *, const int *, const int *, const int *, const float *,
            const float *, const int *, const float *, const int *, const float *, float *,
            const int *);

/* GFLOP/s of a 2000^3 GEMM, every rank at once (minimum over ranks). */
static double gemm_rate(lt_comm *c, int single)
{
    int n = 2000;
    size_t nn = (size_t)n * n;
    double best = 1e30;
    void *a = calloc(nn, 8), *b = calloc(nn, 8), *cc = calloc(nn, 8);
    for (size_t i = 0; i < nn; i++) {
        if (single) ((float *)a)[i] = ((float *)b)[i] = (float)(i % 7) * 0.1f;
        else ((double *)a)[i] = ((double *)b)[i] = (double)(i % 7) * 0.1;
    }
    for (int r = 0; r < 3; r++) {
        lt_comm_barrier(c);
        double t0 = lt_wtime();
        if (single) {
            float one = 1, zero = 0;
            sgemm_("N", "N", &n, &n, &n, &one, a, &n, b, &n, &zero, cc, &n);
        } else {
            double one = 1, zero = 0;
            dgemm_("N", "N", &n, &n, &n, &one, a, &n, b, &n, &zero, cc, &n);
        }
        double t = lt_wtime() - t0;
        best = t < best ? t : best;
    }
    free(a), free(b), free(cc);
    lt_comm_max_d(c, &best, 1);
    return 2.0 * n * (double)n * n / best / 1e9;
}

/* Uniform columns with scales 1..7, keyed by global row: same data for any P. */
static lt_dataset *make_data(lt_comm *c, int64_t n, int64_t d)
{
    lt_dataset *ds = NULL;
    if (lt_dataset_create(c, n, d, 0, &ds) != LT_OK) return NULL;
    for (int64_t i = 0; i < ds->nloc; i++) {
        lt_rng r;
        lt_rng_init(&r, 7, LT_STREAM_USER, (uint64_t)(ds->row0 + i));
        for (int64_t j = 0; j < d; j++)
            ds->x[i * d + j] = (float)((lt_rng_uniform(&r) - 0.5) * (double)(1 + j % 7));
    }
    return ds;
}

/* Best wall time of `reps` fits; split[3] = the last fit's pca_mean,
 * pca_gram and pca_eigen event times on this rank (a timer is attached for
 * the call: the events are the fit's one record of where time went). */
static int fit_once(lt_comm *c, const lt_dataset *ds, lt_pca_opts *o, int reps, double *best,
                    lt_pca **keep, double *split)
{
    static const lt_event ev[3] = {LT_EV_PCA_MEAN, LT_EV_PCA_GRAM, LT_EV_PCA_EIGEN};
    lt_timer tm;
    lt_timer_init(&tm);
    lt_comm_set_timer(c, &tm);
    *best = 1e30;
    for (int r = 0; r < reps; r++) {
        lt_pca *p = NULL;
        lt_comm_barrier(c);
        for (int e = 0; split && e < 3; e++) split[e] = -tm.wall[ev[e]];
        double t0 = lt_wtime();
        lt_status st = lt_pca_fit(c, o, ds, &p);
        double t = lt_wtime() - t0;
        for (int e = 0; split && e < 3; e++) split[e] += tm.wall[ev[e]];
        lt_comm_max_d(c, &t, 1);
        if (st != LT_OK) {
            if (lt_comm_rank(c) == 0) fprintf(stderr, "fit failed: %s\n", lt_error_message());
            lt_comm_set_timer(c, NULL);
            return 0;
        }
        *best = t < *best ? t : *best;
        if (r == reps - 1 && keep) *keep = p;
        else lt_pca_destroy(&p);
    }
    lt_comm_set_timer(c, NULL);
    return 1;
}

/* chunk_rows: the PCA option (0: its default). */
static void run_shape(lt_comm *c, int64_t n, int64_t d, int64_t k, int64_t chunk_rows, double dg,
                      double sg)
{
    lt_dataset *ds = make_data(c, n, d);
    if (!ds) return;
    struct { lt_pca_method m; lt_pca_precision p; lt_pca_gram_kernel g; const char *name; } runs[] = {
        {LT_PCA_REPLICATED, LT_PCA_DOUBLE, LT_PCA_GRAM_AUTO, "replicated/double"},
        {LT_PCA_REPLICATED, LT_PCA_MIXED, LT_PCA_GRAM_BLAS, "replicated/mixed/blas"},
        {LT_PCA_REPLICATED, LT_PCA_MIXED, LT_PCA_GRAM_AMX, "replicated/mixed/amx"},
        {LT_PCA_COVARIANCE, LT_PCA_DOUBLE, LT_PCA_GRAM_AUTO, "covariance (ScaLAPACK)"},
        {LT_PCA_SVD, LT_PCA_DOUBLE, LT_PCA_GRAM_AUTO, "svd (ScaLAPACK)"},
    };
    int nruns = (n * d <= 20000000) ? 5 : 4; /* pdgesvd of the large sets is minutes */
    int amx = lt_pca_amx_available();
    double flops = (double)n * d * (double)(n < d ? n : d), *ref = NULL; /* Gram or SVD */
    if (lt_comm_rank(c) == 0) printf("\n%lld x %lld, k = %lld, P = %d\n", (long long)n, (long long)d,
                             (long long)k, lt_comm_size(c));
    for (int i = 0; i < nruns; i++) {
        if ((runs[i].m == LT_PCA_REPLICATED && d > 4096) || (runs[i].m == LT_PCA_COVARIANCE && d > n))
            continue; /* a d x d matrix that does not fit, or is wasteful */
        if (runs[i].g == LT_PCA_GRAM_AMX && !amx) continue;
        lt_pca_opts o;
        lt_pca_opts_default(&o);
        o.n_components = k, o.method = runs[i].m, o.precision = runs[i].p;
        o.gram_kernel = runs[i].g;
        if (chunk_rows > 0) o.chunk_rows = chunk_rows;
        double t, split[3];
        lt_pca *p = NULL;
        if (!fit_once(c, ds, &o, 2, &t, &p, split)) continue;
        double rel = 0;
        if (!ref) {
            ref = malloc(sizeof(double) * (size_t)k);
            memcpy(ref, p->explained_variance, sizeof(double) * (size_t)k);
        }
        for (int64_t j = 0; j < k; j++)
            rel = fmax(rel, fabs(p->explained_variance[j] - ref[j]) / ref[j]);
        if (lt_comm_rank(c) == 0)
            printf("  %-24s %8.3f s  %7.1f GFLOP/s  %5.2f x DGEMM  %5.2f x SGEMM  "
                   "(mean %.3f s, gram %.3f s, solve %.3f s)  max rel. diff of variances to row 1: %.1e\n",
                   runs[i].name, t, flops / t / 1e9, flops / t / 1e9 / (dg * lt_comm_size(c)),
                   flops / t / 1e9 / (sg * lt_comm_size(c)), split[0], split[1], split[2],
                   rel);
        lt_pca_destroy(&p);
    }
    free(ref);
    lt_dataset_destroy(&ds);
}

static void crossover(lt_comm *c)
{
    const int64_t ds_[] = {250, 500, 1000, 2000, 3000};
    if (lt_comm_rank(c) == 0) printf("\ncrossover, n = 2 d, k = 2, P = %d: fit seconds\n", lt_comm_size(c));
    for (int i = 0; i < 5; i++) {
        int64_t d = ds_[i];
        lt_dataset *ds = make_data(c, 2 * d, d);
        double t[2] = {0, 0};
        for (int m = 0; m < 2; m++) {
            lt_pca_opts o;
            lt_pca_opts_default(&o);
            o.method = m == 0 ? LT_PCA_REPLICATED : LT_PCA_COVARIANCE;
            fit_once(c, ds, &o, 1, &t[m], NULL, NULL);
        }
        if (lt_comm_rank(c) == 0)
            printf("  d = %5lld  replicated %7.3f s  covariance %7.3f s\n", (long long)d, t[0],
                   t[1]);
        lt_dataset_destroy(&ds);
    }
}

static lt_status run(lt_comm *c, int argc, char **argv)
{
    double dg = gemm_rate(c, 0), sg = gemm_rate(c, 1);
    if (lt_comm_rank(c) == 0)
        printf("per-rank GEMM rates with %d ranks busy: DGEMM %.1f GFLOP/s, SGEMM %.1f GFLOP/s\n",
               lt_comm_size(c), dg, sg);
    if (argc > 1 && !strcmp(argv[1], "--crossover")) {
        crossover(c);
    } else if (argc > 2) {
        run_shape(c, atoll(argv[1]), atoll(argv[2]), argc > 3 ? atoll(argv[3]) : 2,
                  argc > 4 ? atoll(argv[4]) : 0, dg, sg);
    } else {
        run_shape(c, 1000000, 50, 2, 0, dg, sg);
        run_shape(c, 200000, 784, 2, 0, dg, sg);
    }
    return LT_OK;
}

int main(int argc, char **argv) { return lt_bench_main(argc, argv, "bench_pca", run); }
