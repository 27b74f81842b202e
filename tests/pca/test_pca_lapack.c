/* Every method against LAPACK called directly on the whole matrix (1 rank):
 * dsyevd of the centered covariance for n > d, dgesvd of the centered matrix
 * for d > n. */
#include "pca_fixture.h"

void dsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda,
             double *w, double *work, const int *lwork, int *iwork, const int *liwork, int *info);
void dgesvd_(const char *jobu, const char *jobvt, const int *m, const int *n, double *a,
             const int *lda, double *s, double *u, const int *ldu, double *vt, const int *ldvt,
             double *work, const int *lwork, int *info);

/* Centered copy, column-major n x d. */
static double *centered(const lt_dataset *ds)
{
    int64_t n = ds->n, d = ds->d;
    double *a = calloc((size_t)(n * d), sizeof *a);
    for (int64_t j = 0; j < d; j++) {
        double m = 0;
        for (int64_t i = 0; i < n; i++) m += ds->x[i * d + j];
        m /= (double)n;
        for (int64_t i = 0; i < n; i++) a[j * n + i] = ds->x[i * d + j] - m;
    }
    return a;
}

/* Reference top-k variances (descending) and components (k x d, sign-fixed). */
static void lapack_pca(const lt_dataset *ds, int k, double *ev, double *comp)
{
    int n = (int)ds->n, d = (int)ds->d, info = 0, lwork = -1;
    double *a = centered(ds), q = 0;
    if (n >= d) {
        double *cov = calloc((size_t)d * d, sizeof *cov), *w = calloc((size_t)d, sizeof *w);
        for (int j = 0; j < d; j++)
            for (int l = 0; l < d; l++)
                for (int i = 0; i < n; i++) cov[j * d + l] += a[j * n + i] * a[l * n + i];
        int liwork = -1, iq = 0;
        dsyevd_("V", "U", &d, cov, &d, w, &q, &lwork, &iq, &liwork, &info);
        lwork = (int)q, liwork = iq;
        double *work = calloc((size_t)lwork, sizeof *work);
        int *iwork = calloc((size_t)liwork, sizeof *iwork);
        dsyevd_("V", "U", &d, cov, &d, w, work, &lwork, iwork, &liwork, &info);
        ck_assert_int_eq(info, 0);
        for (int i = 0; i < k; i++) {
            ev[i] = w[d - 1 - i] / (n - 1);
            memcpy(comp + (size_t)i * d, cov + (size_t)(d - 1 - i) * d, sizeof(double) * d);
        }
        free(cov), free(w), free(work), free(iwork);
    } else {
        double *s = calloc((size_t)n, sizeof *s), *vt = calloc((size_t)n * d, sizeof *vt), u = 0;
        int one = 1;
        dgesvd_("N", "S", &n, &d, a, &n, s, &u, &one, vt, &n, &q, &lwork, &info);
        lwork = (int)q;
        double *work = calloc((size_t)lwork, sizeof *work);
        dgesvd_("N", "S", &n, &d, a, &n, s, &u, &one, vt, &n, work, &lwork, &info);
        ck_assert_int_eq(info, 0);
        for (int i = 0; i < k; i++) {
            ev[i] = s[i] * s[i] / (n - 1);
            for (int j = 0; j < d; j++) comp[(size_t)i * d + j] = vt[(size_t)j * n + i];
        }
        free(s), free(vt), free(work);
    }
    for (int i = 0; i < k; i++) { /* latent's sign rule */
        int jm = 0;
        for (int j = 0; j < d; j++)
            if (fabs(comp[(size_t)i * d + j]) > fabs(comp[(size_t)i * d + jm])) jm = j;
        if (comp[(size_t)i * d + jm] < 0)
            for (int j = 0; j < d; j++) comp[(size_t)i * d + j] *= -1;
    }
    free(a);
}

START_TEST(methods_match_lapack)
{
    const char *cases[] = {"random", "wide", "blobs"};
    const lt_pca_method ms[] = {LT_PCA_REPLICATED, LT_PCA_COVARIANCE, LT_PCA_SVD};
    lt_comm *c = lt_test_comm();
    lt_dataset *ds = pf_make(c, cases[_i % 3]);
    int k = 4, d = (int)ds->d;
    double *ev = calloc((size_t)k, sizeof *ev), *comp = calloc((size_t)k * d, sizeof *comp);
    lapack_pca(ds, k, ev, comp);
    for (int mi = 0; mi < 3; mi++) {
        lt_pca_opts o;
        lt_pca_opts_default(&o);
        o.n_components = k;
        o.method = ms[mi];
        o.block_size = _i < 3 ? 32 : 4096; /* 4096: one block covers d (a 2.2.1 trap) */
        lt_pca *p = NULL;
        LT_ASSERT_OK(lt_pca_fit(c, &o, ds, &p));
        ck_assert_msg(pf_maxrel(p->explained_variance, ev, k) < 1e-10, "%s %s: %g", cases[_i % 3],
                      lt_pca_method_name(ms[mi]), pf_maxrel(p->explained_variance, ev, k));
        ck_assert_msg(pf_maxdiff(p->components, comp, (int64_t)k * d) < 1e-9, "%s %s: %g",
                      cases[_i % 3], lt_pca_method_name(ms[mi]),
                      pf_maxdiff(p->components, comp, (int64_t)k * d));
        lt_pca_destroy(&p);
    }
    free(ev), free(comp);
    lt_dataset_destroy(&ds);
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("pca_lapack");
    TCase *t = tcase_create("lapack");
    tcase_add_loop_test(t, methods_match_lapack, 0, 6);
    suite_add_tcase(s, t);
    return s;
}

int main(int argc, char **argv) { return lt_test_main(make, argc, argv); }
