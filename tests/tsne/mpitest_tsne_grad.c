/* t-SNE gradient: the exact method against scikit-learn 1.2's exact
 * objective, the FFT method against the exact one, and the same bits on
 * any rank count (each run recomputes on rank 0 alone and compares). */
#include "tsne_testutil.h"

#define N 300

/* Symmetrised P (perplexity 30) of the first n fixture rows on comm c. */
static lt_tsne_p *make_p(lt_comm *c, int64_t n, double perplexity)
{
    lt_dataset *X = tt_load_x(c, n);
    lt_tsne_knn *nn = NULL;
    LT_ASSERT_OK(lt_tsne_knn_compute(c, X, (int64_t)(3 * perplexity + 1), &nn));
    double *cond = calloc((size_t)(nn->nloc * nn->k) + 1, sizeof *cond);
    double *beta = calloc((size_t)nn->nloc + 1, sizeof *beta);
    LT_ASSERT_OK(lt_tsne_conditional_p(nn, perplexity, cond, beta, NULL));
    lt_tsne_p *P = NULL;
    LT_ASSERT_OK(lt_tsne_symmetrize(c, nn, cond, &P));
    free(cond), free(beta);
    lt_tsne_knn_destroy(&nn);
    lt_dataset_destroy(&X);
    return P;
}

static const lt_tsne_fft_opts FFT_DEFAULT = {3, 1.0, 128, 4.0};

/* Gradient at y (all n x 2) on comm c, gathered to every rank (n x 2). */
static double *grad_all(lt_comm *c, const lt_tsne_p *P, const double *y, lt_tsne_method m,
                        double ex, lt_tsne_grad_info *info)
{
    lt_tsne_grad *g = NULL;
    LT_ASSERT_OK(lt_tsne_grad_create(c, P, m, &FFT_DEFAULT, &g));
    double *loc = calloc(2 * (size_t)P->nloc + 2, sizeof *loc);
    LT_ASSERT_OK(lt_tsne_grad_eval(c, g, y + 2 * P->row0, ex, loc, info));
    double *all = calloc(2 * (size_t)P->n, sizeof *all);
    memcpy(all + 2 * P->row0, loc, sizeof(double) * 2 * (size_t)P->nloc);
    LT_ASSERT_OK(lt_comm_sum_d(c, all, 2 * P->n)); /* x + 0 = x: exact */
    free(loc);
    lt_tsne_grad_destroy(&g);
    return all;
}

static double max_abs(const double *v, int64_t m)
{
    double r = 0;
    for (int64_t i = 0; i < m; i++) r = fmax(r, fabs(v[i]));
    return r;
}

START_TEST(exact_gradient_matches_sklearn)
{
    lt_comm *c = lt_test_comm();
    lt_tsne_p *P = make_p(c, N, 30);
    double *y0 = tt_read("tsne/y0.f64", NULL), *ref = tt_read("tsne/grad30.f64", NULL);
    lt_tsne_grad_info info = {.want_kl = 1};
    double *g = grad_all(c, P, y0, LT_TSNE_EXACT, 1.0, &info);
    double scale = max_abs(ref, 2 * N), worst = 0;
    for (int64_t e = 0; e < 2 * N; e++) {
        ck_assert_msg(fabs(g[e] - ref[e]) <= 1e-5 * fabs(ref[e]) + 1e-9 * scale,
                      "grad[%lld] %.12g vs %.12g", (long long)e, g[e], ref[e]);
        worst = fmax(worst, fabs(g[e] - ref[e]) / scale);
    }
    ck_assert_msg(tt_close(info.kl, tt_ref("kl30_y0"), 1e-9, 0), "KL %.12g vs %.12g", info.kl,
                  tt_ref("kl30_y0"));
    if (lt_comm_rank(c) == 0 && getenv("TT_VERBOSE"))
        printf("exact gradient: worst error / max|g| = %.3g, KL %.15g\n", worst, info.kl);
    free(g), free(y0), free(ref);
    lt_tsne_p_destroy(&P);
}
END_TEST

/* FFT interpolation against the exact sum, at the fixture's embedding and
 * at a tight one (early iterations), with exaggeration. */
START_TEST(fft_gradient_close_to_exact)
{
    lt_comm *c = lt_test_comm();
    lt_tsne_p *P = make_p(c, N, 30);
    double *y0 = tt_read("tsne/y0.f64", NULL);
    double *ys = malloc(sizeof(double) * 2 * N);
    for (int64_t e = 0; e < 2 * N; e++) ys[e] = 1e-3 * y0[e];
    const double *pts[2] = {y0, ys};
    for (int s = 0; s < 2; s++) {
        lt_tsne_grad_info ie = {.want_kl = 1}, iff = {.want_kl = 1};
        double *ge = grad_all(c, P, pts[s], LT_TSNE_EXACT, 12.0, &ie);
        double *gf = grad_all(c, P, pts[s], LT_TSNE_FFT, 12.0, &iff);
        double num = 0, den = 0;
        for (int64_t e = 0; e < 2 * N; e++) {
            num += (gf[e] - ge[e]) * (gf[e] - ge[e]);
            den += ge[e] * ge[e];
        }
        double rel = sqrt(num / den);
        if (lt_comm_rank(c) == 0 && getenv("TT_VERBOSE"))
            printf("fft vs exact (%s): gradient rel err %.3g, Z %.10g vs %.10g, KL %.10g vs %.10g, "
                   "grid %lld\n",
                   s ? "tight" : "spread", rel, iff.Z, ie.Z, iff.kl, ie.kl,
                   (long long)iff.grid_side);
        ck_assert_msg(rel < 1e-3, "FFT gradient relative error %g", rel);
        ck_assert(tt_close(iff.Z, ie.Z, 1e-4, 0));
        ck_assert(tt_close(iff.kl, ie.kl, 1e-4, 0));
        free(ge), free(gf);
    }
    free(ys), free(y0);
    lt_tsne_p_destroy(&P);
}
END_TEST

/* Rank 0 recomputes on a communicator of its own: same bits. */
START_TEST(gradient_bits_independent_of_ranks)
{
    lt_comm *c = lt_test_comm();
    double *y0 = tt_read("tsne/y0.f64", NULL);
    lt_tsne_p *P = make_p(c, N, 30);
    double *g[2];
    lt_tsne_grad_info inf[2] = {{.want_kl = 1}, {.want_kl = 1}};
    for (int m = 0; m < 2; m++)
        g[m] = grad_all(c, P, y0, m ? LT_TSNE_EXACT : LT_TSNE_FFT, 12.0, &inf[m]);
    int same = 1;
    if (lt_comm_rank(c) == 0) {
        lt_comm *solo = NULL;
        LT_ASSERT_OK(lt_comm_create_self(&solo));
        lt_tsne_p *P1 = make_p(solo, N, 30);
        for (int m = 0; m < 2; m++) {
            lt_tsne_grad_info i1 = {.want_kl = 1};
            double *g1 = grad_all(solo, P1, y0, m ? LT_TSNE_EXACT : LT_TSNE_FFT, 12.0, &i1);
            same &= memcmp(g1, g[m], sizeof(double) * 2 * N) == 0;
            same &= memcmp(&i1.Z, &inf[m].Z, sizeof(double)) == 0;
            same &= memcmp(&i1.kl, &inf[m].kl, sizeof(double)) == 0;
            free(g1);
        }
        lt_tsne_p_destroy(&P1);
        lt_comm_destroy(&solo);
    }
    LT_ASSERT_ALL(same);
    free(g[0]), free(g[1]), free(y0);
    lt_tsne_p_destroy(&P);
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("tsne_grad");
    TCase *t = tcase_create("core");
    tcase_add_test(t, exact_gradient_matches_sklearn);
    tcase_add_test(t, fft_gradient_close_to_exact);
    tcase_add_test(t, gradient_bits_independent_of_ranks);
    suite_add_tcase(s, t);
    return s;
}

int main(int argc, char **argv) { return lt_test_main(make, argc, argv); }
