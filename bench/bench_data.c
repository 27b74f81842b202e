/* Throughput of the data stage (generate, split, scale) against the memory
 * bandwidth this machine offers, measured in the same run by a STREAM-like
 * triad. Usage: mpirun -n P bench_data [rows_uniform]
 * Rates are aggregate over ranks: global bytes / slowest rank's time. */
#include <stdio.h>
#include <stdlib.h>

#include "bench_common.h"
#include "latent/lt_comm.h"
#include "latent/lt_generate.h"
#include "latent/lt_log.h"
#include "latent/lt_preprocess.h"
#include "latent/lt_timer.h"

#define TRIAD_BYTES (256.0 * 1024 * 1024) /* per rank, over the three arrays */

static double t_start(lt_comm *c)
{
    lt_comm_barrier(c);
    return lt_wtime();
}

static double t_stop(lt_comm *c, double t0)
{
    double t = lt_wtime() - t0;
    lt_comm_max_d(c, &t, 1);
    return t;
}

/* Best of 5 passes of a[i] = b[i] + s * c[i]; 24 bytes moved per element.
 * The scalar changes per pass and the result is checked, so no pass can be
 * optimised away. */
static double triad_gbs(lt_comm *c)
{
    size_t n = (size_t)(TRIAD_BYTES / 24);
    double *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b), *x = malloc(n * sizeof *x);
    double best = 1e30, sum = 0;
    if (!a || !b || !x) return 0;
    for (size_t i = 0; i < n; i++) a[i] = 0, b[i] = 1, x[i] = (double)(i & 7);
    for (int rep = 0; rep < 5; rep++) {
        double s = rep + 1, t0 = t_start(c);
        for (size_t i = 0; i < n; i++) a[i] = b[i] + s * x[i];
        double t = t_stop(c, t0);
        if (t < best) best = t;
        sum += a[(size_t)rep * 7919 % n];
    }
    for (size_t i = 0; i < n; i++) sum += a[i];
    free(a), free(b), free(x);
    return sum > 0 ? 24.0 * (double)n * lt_comm_size(c) / best / 1e9 : 0;
}

static void report(lt_comm *c, const char *what, int64_t rows, double bytes, double t, double ceil)
{
    double gbs = bytes / t / 1e9;
    lt_log(c, "%-28s %9.3f s %12.3g rows/s %8.2f GB/s  %5.1f%% of triad\n", what, t,
           (double)rows / t, gbs, 100 * gbs / ceil);
}

/* Split, then fit on train and scale both parts; bytes = values read + written. */
static lt_status split_and_scale(lt_comm *c, const char *name, lt_dataset *all, double ceil)
{
    char label[64];
    lt_dataset *tr = NULL, *te = NULL;
    lt_scaler *s = NULL;
    double vals = (double)all->n * (double)all->d, t0 = t_start(c);
    LT_CALL(lt_split(c, all, 0.2, 7, &tr, &te));
    snprintf(label, sizeof label, "split %s", name);
    report(c, label, all->n, 8 * vals, t_stop(c, t0), ceil);
    t0 = t_start(c);
    /* fit reads the train rows twice (mean, then deviations); apply reads and writes all. */
    LT_CALL(lt_scaler_fit(c, LT_SCALER_STANDARD, 0, 1, tr, &s));
    LT_CALL(lt_scaler_apply(s, tr));
    LT_CALL(lt_scaler_apply(s, te));
    double bytes = 8.0 * (double)tr->n * (double)tr->d + 8 * vals;
    snprintf(label, sizeof label, "scale %s (fit+apply)", name);
    report(c, label, all->n, bytes, t_stop(c, t0), ceil);
    lt_scaler_destroy(&s);
    lt_dataset_destroy(&tr);
    lt_dataset_destroy(&te);
    return LT_OK;
}

static lt_status run(lt_comm *c, int argc, char **argv)
{
    int64_t nu = argc > 1 ? atoll(argv[1]) : 1000000;
    double ceil = triad_gbs(c);
    lt_log(c, "ranks %d, triad (a = b + s*c, %.0f MB per rank): %.2f GB/s aggregate\n", lt_comm_size(c),
           TRIAD_BYTES / 1048576, ceil);
    lt_dataset *u = NULL, *b = NULL;
    double t0 = t_start(c);
    LT_CALL(lt_generate_uniform(c, nu, 32, 1, &u));
    report(c, "generate uniform 32 cols", nu, 4.0 * nu * 32, t_stop(c, t0), ceil);
    lt_blobs_opts o = {.n_samples = 30000, .n_features = 10, .n_centers = 8, .box_lo = -10,
                       .box_hi = 10, .seed = 2};
    t0 = t_start(c);
    LT_CALL(lt_generate_blobs(c, &o, &b));
    report(c, "generate blobs 10 cols", 30000, 44.0 * 30000, t_stop(c, t0), ceil);
    lt_status st = split_and_scale(c, "uniform", u, ceil);
    if (st == LT_OK) st = split_and_scale(c, "blobs", b, ceil);
    lt_dataset_destroy(&u);
    lt_dataset_destroy(&b);
    return st;
}

int main(int argc, char **argv) { return lt_bench_main(argc, argv, "bench_data", run); }
