/* SLEPc truncated PCA benchmark (issue 19; not a test). Times [pca] method =
 * slepc with each SLEPc solver against the ScaLAPACK full SVD (dense) and
 * prints iterations, products with X and X^T, the largest relative
 * difference of the k variances from the full SVD, and peak RSS.
 *
 *   mpirun -np P bench_slepc FILE.npy K [full|nofull]   dense rows from a file
 *   mpirun -np P bench_slepc --sparse N D DENSITY K [densify]
 *       N x D CSR with DENSITY non-zeros per row on average (values in
 *       (0, 1], columns uniform, keyed by global row: the same matrix on any
 *       rank count); densify also runs the dense slepc path on a dense copy.
 * PETSC_OPTIONS (e.g. -svd_ncv 120) reach the SVD object. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "latent/lt_comm_mpi.h"
#include "latent/lt_io.h"
#include "latent/lt_pca.h"
#include "latent/lt_petsc.h"
#include "latent/lt_rng.h"
#include "latent/lt_sparse.h"
#include "latent/lt_timer.h"

static double peak_mb(lt_comm *c)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double mb = (double)ru.ru_maxrss / 1024.0;
    lt_comm_max_d(c, &mb, 1);
    return mb;
}

static double max_rel(const lt_pca *p, const lt_pca *ref)
{
    double m = 0;
    if (!ref) return NAN;
    for (int64_t i = 0; i < p->n_components; i++)
        m = fmax(m, fabs(p->explained_variance[i] - ref->explained_variance[i]) /
                        ref->explained_variance[i]);
    return m;
}

static void report(lt_comm *c, const char *what, const lt_pca *p, const lt_pca *ref, double sec)
{
    if (lt_comm_rank(c) == 0)
        printf("%-22s P=%d  %8.3f s  its %4lld  products %5lld  max rel var diff %.2e  peak RSS "
               "%.0f MB/rank  ev[0] %.6g ev[k-1] %.6g\n",
               what, lt_comm_size(c), sec, (long long)p->info.slepc_iterations,
               (long long)p->info.slepc_matvecs, max_rel(p, ref), peak_mb(c), p->explained_variance[0],
               p->explained_variance[p->n_components - 1]);
    else
        peak_mb(c);
    fflush(stdout);
}

static lt_status dense(lt_comm *c, const char *path, int64_t k, int full)
{
    lt_read_opts ro;
    lt_read_opts_default(&ro);
    lt_dataset *ds = NULL;
    LT_CALL(lt_npy_read(c, path, &ro, &ds));
    if (lt_comm_rank(c) == 0) printf("%s: %lld x %lld, k = %lld\n", path, (long long)ds->n, (long long)ds->d, (long long)k);
    lt_pca_opts o;
    lt_pca_opts_default(&o);
    o.n_components = k;
    lt_pca *ref = NULL, *p = NULL;
    if (full) {
        o.method = LT_PCA_SVD;
        double t = lt_wtime();
        LT_CALL(lt_pca_fit(c, &o, ds, &ref));
        report(c, "svd (ScaLAPACK)", ref, NULL, lt_wtime() - t);
    }
    for (int s = 0; s < 3; s++) {
        o.method = LT_PCA_SLEPC;
        o.slepc_solver = s;
        lt_comm_barrier(c);
        double t = lt_wtime();
        lt_status st = lt_pca_fit(c, &o, ds, &p);
        double sec = lt_wtime() - t;
        char what[64];
        snprintf(what, sizeof what, "slepc %s", lt_pca_slepc_solver_name(s));
        if (st == LT_OK) report(c, what, p, ref, sec);
        else if (lt_comm_rank(c) == 0) printf("%-22s failed: %s\n", what, lt_error_message());
        lt_pca_destroy(&p);
    }
    lt_pca_destroy(&ref);
    lt_dataset_destroy(&ds);
    return LT_OK;
}

/* Row i has about density * D entries at uniform columns (sorted, no repeats). */
static lt_status make_csr(lt_comm *c, int64_t n, int64_t d, double density, lt_csr **out)
{
    int64_t row0, nloc;
    lt_shard_range(n, lt_comm_size(c), lt_comm_rank(c), &row0, &nloc);
    int64_t per = (int64_t)(density * (double)d + 0.5);
    LT_CALL(lt_csr_create(c, n, d, nloc * per, out));
    lt_csr *m = *out;
    int64_t p = 0;
    for (int64_t i = 0; i < nloc; i++) {
        m->indptr[i] = p;
        /* a random stride walk: per columns in [0, d), ascending */
        lt_rng r;
        lt_rng_init(&r, 19, 0, (uint64_t)(row0 + i));
        double step = (double)d / (double)per;
        for (int64_t t = 0; t < per; t++) {
            int64_t col = (int64_t)((double)t * step + lt_rng_uniform(&r) * step);
            if (col >= d) col = d - 1;
            m->indices[p] = (int32_t)col;
            m->data[p] = (float)(0.05 + lt_rng_uniform(&r) * (1.0 + (double)(col % 17)));
            p++;
        }
    }
    m->indptr[nloc] = p;
    m->nnz = p;
    return LT_OK;
}

static lt_status sparse(lt_comm *c, int64_t n, int64_t d, double density, int64_t k, int densify)
{
    lt_csr *m = NULL;
    LT_CALL(make_csr(c, n, d, density, &m));
    int64_t nnz = 0;
    LT_CALL(lt_csr_nnz_global(c, m, &nnz));
    if (lt_comm_rank(c) == 0)
        printf("sparse %lld x %lld, %lld non-zeros (%.1f%%), k = %lld\n", (long long)n, (long long)d,
               (long long)nnz, 100.0 * (double)nnz / ((double)n * (double)d), (long long)k);
    lt_pca_opts o;
    lt_pca_opts_default(&o);
    o.n_components = k;
    o.method = LT_PCA_SLEPC;
    lt_pca *ps = NULL, *pd = NULL;
    lt_comm_barrier(c);
    double t = lt_wtime();
    LT_CALL(lt_pca_fit_csr(c, &o, m, &ps));
    report(c, "slepc lanczos (CSR)", ps, NULL, lt_wtime() - t);
    if (densify) {
        lt_dataset *ds = NULL;
        t = lt_wtime();
        LT_CALL(lt_csr_densify(c, m, NULL, d, &ds));
        double tdens = lt_wtime() - t;
        lt_csr_destroy(&m);
        t = lt_wtime();
        LT_CALL(lt_pca_fit(c, &o, ds, &pd));
        if (lt_comm_rank(c) == 0) printf("densify: %.3f s\n", tdens);
        report(c, "slepc lanczos (dense)", pd, ps, lt_wtime() - t);
        lt_dataset_destroy(&ds);
    }
    lt_pca_destroy(&ps), lt_pca_destroy(&pd);
    lt_csr_destroy(&m);
    return LT_OK;
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    lt_comm *c = NULL;
    lt_status st = lt_comm_create(MPI_COMM_WORLD, &c);
    if (st == LT_OK) st = lt_petsc_init(c);
    if (st == LT_OK && argc >= 7 && !strcmp(argv[1], "--sparse"))
        st = sparse(c, atoll(argv[2]), atoll(argv[3]), atof(argv[4]), atoll(argv[5]),
                    argc > 6 && !strcmp(argv[6], "densify"));
    else if (st == LT_OK && argc >= 6 && !strcmp(argv[1], "--sparse"))
        st = sparse(c, atoll(argv[2]), atoll(argv[3]), atof(argv[4]), atoll(argv[5]), 0);
    else if (st == LT_OK && argc >= 3)
        st = dense(c, argv[1], atoll(argv[2]), !(argc > 3 && !strcmp(argv[3], "nofull")));
    else if (st == LT_OK) {
        if (lt_comm_rank(c) == 0) fprintf(stderr, "usage: see bench/bench_slepc.c\n");
        st = LT_ERR_ARG;
    }
    if (st != LT_OK && lt_comm_rank(c) == 0) fprintf(stderr, "bench_slepc: %s\n", lt_error_message());
    lt_petsc_finalize();
    lt_comm_destroy(&c);
    MPI_Finalize();
    return st == LT_OK ? 0 : 1;
}
