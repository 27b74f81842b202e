/* SLEPc truncated PCA benchmark (issue 19; not a test). Times [pca] method =
 * slepc with each SLEPc solver against the ScaLAPACK full SVD (dense) and
 * prints iterations, products with X and X^T, the largest relative
 * difference of the k variances from the full SVD, and peak RSS.
 *
 *   mpirun -np P bench_slepc FILE.npy K [full|nofull [SOLVER]]   dense rows from a file
 *   mpirun -np P bench_slepc --sparse FILE.h5ad K [densify]
 *       the CSR X of an .h5ad (bench/slepc_sparse.py make writes one; its
 *       svds mode times SciPy on the same matrix); densify also runs the
 *       dense slepc and ScaLAPACK covariance paths on a dense copy.
 * PETSC_OPTIONS (e.g. -svd_ncv 120) reach the SVD object. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "bench_common.h"
#include "latent/lt_io.h"
#include "latent/lt_pca.h"
#include "latent/lt_petsc.h"
#include "latent/lt_sparse.h"
#include "latent/lt_timer.h"

/* CPU seconds of this process (the figure that survives a shared, busy
 * machine better than wall time; both are printed). */
static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

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

static void report(lt_comm *c, const char *what, const lt_pca *p, const lt_pca *ref, double sec,
                   double cpu0)
{
    double cpu = cpu_s() - cpu0;
    lt_comm_max_d(c, &cpu, 1);
    if (lt_comm_rank(c) == 0)
        printf("%-26s P=%d  wall %8.3f s  cpu %8.3f s  its %4lld  products %5lld  max rel var diff %.2e  peak RSS "
               "%.0f MB/rank  ev[0] %.6g ev[k-1] %.6g\n",
               what, lt_comm_size(c), sec, cpu, (long long)p->info.slepc_iterations,
               (long long)p->info.slepc_matvecs, max_rel(p, ref), peak_mb(c), p->explained_variance[0],
               p->explained_variance[p->n_components - 1]);
    else
        peak_mb(c);
    fflush(stdout);
}

static lt_status dense(lt_comm *c, const char *path, int64_t k, int full, const char *only)
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
        double t = lt_wtime(), c0 = cpu_s();
        LT_CALL(lt_pca_fit(c, &o, ds, &ref));
        report(c, "svd (ScaLAPACK)", ref, NULL, lt_wtime() - t, c0);
    }
    for (int s = 0; s < 3; s++) {
        if (only && !strstr(only, lt_pca_slepc_solver_name(s))) continue;
        o.method = LT_PCA_SLEPC;
        o.slepc_solver = s;
        lt_comm_barrier(c);
        double t = lt_wtime(), c0 = cpu_s();
        lt_status st = lt_pca_fit(c, &o, ds, &p);
        double sec = lt_wtime() - t;
        char what[64];
        snprintf(what, sizeof what, "slepc %s", lt_pca_slepc_solver_name(s));
        if (st == LT_OK) report(c, what, p, ref, sec, c0);
        else if (lt_comm_rank(c) == 0) printf("%-22s failed: %s\n", what, lt_error_message());
        lt_pca_destroy(&p);
    }
    lt_pca_destroy(&ref);
    lt_dataset_destroy(&ds);
    return LT_OK;
}

static lt_status sparse(lt_comm *c, const char *path, int64_t k, int densify)
{
    lt_sc_read_opts ro;
    lt_sc_read_opts_default(&ro);
    lt_scdata *sc = NULL;
    LT_CALL(lt_h5ad_read(c, path, &ro, &sc));
    lt_csr *m = sc->x;
    int64_t nnz = 0, n = m->n, d = m->d;
    LT_CALL(lt_csr_nnz_global(c, m, &nnz));
    if (lt_comm_rank(c) == 0)
        printf("%s: sparse %lld x %lld, %lld non-zeros (%.2f%%), k = %lld\n", path, (long long)n,
               (long long)d, (long long)nnz, 100.0 * (double)nnz / ((double)n * (double)d),
               (long long)k);
    lt_pca_opts o;
    lt_pca_opts_default(&o);
    o.n_components = k;
    o.method = LT_PCA_SLEPC;
    lt_pca *ps = NULL, *pd = NULL;
    for (int s = 0; s < 2; s++) {
        o.slepc_solver = s;
        lt_comm_barrier(c);
        double t = lt_wtime(), c0 = cpu_s();
        LT_CALL(lt_pca_fit_csr(c, &o, m, &ps));
        char what[64];
        snprintf(what, sizeof what, "slepc %s (CSR)", lt_pca_slepc_solver_name(s));
        report(c, what, ps, NULL, lt_wtime() - t, c0);
        if (s == 0) lt_pca_destroy(&ps);
    }
    if (densify) {
        lt_dataset *ds = NULL;
        double t = lt_wtime(), c0 = cpu_s();
        LT_CALL(lt_csr_densify(c, m, NULL, d, &ds));
        double tdens = lt_wtime() - t;
        lt_scdata_destroy(&sc);
        if (lt_comm_rank(c) == 0) printf("densify: %.3f s\n", tdens);
        o.slepc_solver = LT_SVD_CROSS;
        t = lt_wtime(), c0 = cpu_s();
        LT_CALL(lt_pca_fit(c, &o, ds, &pd));
        report(c, "slepc krylovschur (dense)", pd, ps, lt_wtime() - t, c0);
        lt_pca_destroy(&pd);
        o.method = LT_PCA_COVARIANCE;
        t = lt_wtime(), c0 = cpu_s();
        LT_CALL(lt_pca_fit(c, &o, ds, &pd));
        report(c, "covariance (ScaLAPACK)", pd, ps, lt_wtime() - t, c0);
        lt_dataset_destroy(&ds);
    }
    lt_pca_destroy(&ps), lt_pca_destroy(&pd);
    lt_scdata_destroy(&sc);
    return LT_OK;
}

/* PETSc lives between MPI_Init and MPI_Finalize, inside the frame. */
static lt_status run(lt_comm *c, int argc, char **argv)
{
    LT_CALL(lt_petsc_init(c));
    lt_status st;
    if (argc >= 4 && !strcmp(argv[1], "--sparse"))
        st = sparse(c, argv[2], atoll(argv[3]), argc > 4 && !strcmp(argv[4], "densify"));
    else if (argc >= 3)
        st = dense(c, argv[1], atoll(argv[2]), !(argc > 3 && !strcmp(argv[3], "nofull")),
                   argc > 4 ? argv[4] : NULL);
    else
        st = lt_error_raise(LT_ERR_ARG, __FILE__, __LINE__, "usage: see bench/bench_slepc.c");
    lt_petsc_finalize();
    return st;
}

int main(int argc, char **argv) { return lt_bench_main(argc, argv, "bench_slepc", run); }
