/* t-SNE fit: neighbours, affinities, initialisation and scikit-learn 1.2's
 * two-phase gradient descent (sklearn/manifold/_t_sne.py, _gradient_descent
 * and _tsne): momentum, delta-bar-delta gains, checks every n_iter_check
 * iterations for progress and for the gradient norm. Everything a decision
 * depends on (KL, the norm) is an exact sum, so every rank count takes the
 * same decisions and, with a random start, reaches the same bits. */
#include "tsne_internal.h"

#include "latent/lt_log.h"
#include "latent/lt_name.h"
#include <cblas.h>
#include "latent/lt_rng.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TSNE_STREAM_INIT (LT_STREAM_USER + 17) /* random initial positions */

void lt_tsne_opts_default(lt_tsne_opts *o)
{
    memset(o, 0, sizeof *o);
    o->perplexity = 30.0;
    o->early_exaggeration = 12.0;
    o->exaggeration_iter = 250;
    o->n_iter = 1000;
    o->learning_rate = 0;
    o->momentum_early = 0.5;
    o->momentum = 0.8;
    o->min_gain = 0.01;
    o->min_grad_norm = 1e-7;
    o->n_iter_without_progress = 300;
    o->n_iter_check = 50;
    o->init = LT_TSNE_INIT_PCA;
    o->method = LT_TSNE_FFT;
    o->fft.nodes = 3;
    o->fft.spacing = 1.0;
    o->fft.min_nodes = 128;
    o->fft.near_radius = 6.0;
    o->seed = 0;
}

static const lt_name method_names[] = {{"fft", LT_TSNE_FFT}, {"exact", LT_TSNE_EXACT}};
static const lt_name init_names[] = {{"pca", LT_TSNE_INIT_PCA}, {"random", LT_TSNE_INIT_RANDOM}};
LT_NAME_FUNCTIONS(lt_tsne_method, lt_tsne_method_name, lt_tsne_method_parse, method_names, "t-SNE method")
LT_NAME_FUNCTIONS(lt_tsne_init, lt_tsne_init_name, lt_tsne_init_parse, init_names, "t-SNE init")

static lt_status check_opts(const lt_tsne_opts *o, int64_t n)
{
    LT_CHECK(n >= 2, LT_ERR_DATA, "t-SNE needs at least 2 rows (got %lld)", (long long)n);
    LT_CHECK(o->perplexity > 0 && o->perplexity < (double)(n - 1), LT_ERR_ARG,
             "t-SNE perplexity = %g must be positive and below n - 1 = %lld", o->perplexity,
             (long long)(n - 1));
    LT_CHECK(o->early_exaggeration > 0, LT_ERR_ARG, "t-SNE early_exaggeration = %g must be > 0",
             o->early_exaggeration);
    LT_CHECK(o->exaggeration_iter >= 0 && o->n_iter >= 1, LT_ERR_ARG,
             "t-SNE iterations: n_iter = %lld must be >= 1, exaggeration_iter = %lld >= 0",
             (long long)o->n_iter, (long long)o->exaggeration_iter);
    LT_CHECK(o->learning_rate >= 0 && isfinite(o->learning_rate), LT_ERR_ARG,
             "t-SNE learning_rate = %g must be > 0 (or 0 for auto)", o->learning_rate);
    LT_CHECK(o->momentum_early >= 0 && o->momentum_early < 1 && o->momentum >= 0 &&
                 o->momentum < 1,
             LT_ERR_ARG, "t-SNE momentum must be in [0, 1)");
    LT_CHECK(o->min_gain > 0 && o->min_grad_norm >= 0 && o->n_iter_check >= 1 &&
                 o->n_iter_without_progress >= 1,
             LT_ERR_ARG, "t-SNE: min_gain > 0, min_grad_norm >= 0, n_iter_check >= 1 and "
                         "n_iter_without_progress >= 1 are required");
    LT_CHECK(o->method == LT_TSNE_FFT || o->method == LT_TSNE_EXACT, LT_ERR_ARG,
             "bad t-SNE method %d", (int)o->method);
    LT_CHECK(o->init == LT_TSNE_INIT_PCA || o->init == LT_TSNE_INIT_RANDOM, LT_ERR_ARG,
             "bad t-SNE init %d", (int)o->init);
    LT_CHECK(o->fft.nodes >= 2 && o->fft.nodes <= 8 && o->fft.min_nodes >= 2 &&
                 o->fft.spacing > 0 && o->fft.near_radius >= 0,
             LT_ERR_ARG,
             "t-SNE FFT: nodes in [2, 8], min_nodes >= 2, spacing > 0, near_radius >= 0");
    LT_CHECK(o->init != LT_TSNE_INIT_PCA || n >= 2, LT_ERR_ARG, "t-SNE pca init needs 2 rows");
    return LT_OK;
}

lt_status lt_tsne_check(lt_comm *c, const lt_tsne_opts *o, const lt_dataset *X)
{
    LT_CALL(lt_comm_agree(c, check_opts(o, X->n)));
    LT_CALL(lt_dataset_check_finite(c, X, "t-SNE input"));
    return LT_OK;
}

/* ---- initialisation --------------------------------------------------------- */

static void init_random(uint64_t seed, int64_t row0, int64_t nloc, double *y)
{
    for (int64_t i = 0; i < nloc; i++) {
        lt_rng r;
        lt_rng_init(&r, seed, TSNE_STREAM_INIT, (uint64_t)(row0 + i));
        y[2 * i] = 1e-4 * lt_rng_normal(&r);
        y[2 * i + 1] = 1e-4 * lt_rng_normal(&r);
    }
}

/* scikit-learn's PCA start from a covariance that is the same bits on every
 * rank count: the mean is an exact sum; the centred values are rounded to
 * B-bit integers per column (scale: a power of two above the column's
 * largest |x - mean|), so every partial sum of products is an integer below
 * 2^53 and DGEMM over blocks of up to 2^(53 - 2B) rows is exact in any
 * order; blocks are added as int64. The eigenpairs of the replicated
 * covariance then agree everywhere, and so does every row's score. */
#define PCA_BLOCK_ROWS 4096

static int init_bits(int64_t n)
{
    int ln = 1;
    while (ln < 62 && ((int64_t)1 << ln) < n) ln++;
    int b = (62 - ln) / 2; /* n products of 2B bits fit in int64 */
    if (b > 20) b = 20;    /* 2^12 rows x 2^40 < 2^53 */
    return b;
}

static lt_status exact_mean(lt_comm *c, const lt_dataset *X, double *mean)
{
    int64_t d = X->d;
    lt_xsum *s = lt_calloc((size_t)d, sizeof *s);
    LT_AGREE_ALLOC(c, s);
    for (int64_t j = 0; j < d; j++) lt_xsum_init(&s[j]);
    for (int64_t i = 0; i < X->nloc; i++)
        for (int64_t j = 0; j < d; j++) lt_xsum_add(&s[j], X->x[i * d + j]);
    lt_status st = lt_xsum_allreduce(c, s, (int)d);
    for (int64_t j = 0; st == LT_OK && j < d; j++) mean[j] = lt_xsum_value(&s[j]) / (double)X->n;
    free(s);
    return st;
}

/* G (d x d, upper and lower) = sum_i (x_i - mean)(x_i - mean)^T, quantised. */
static lt_status exact_gram(lt_comm *c, const lt_dataset *X, const double *mean, double *G)
{
    int64_t d = X->d, n = X->n;
    int b = init_bits(n);
    double *amax = lt_calloc((size_t)d, sizeof *amax), *scale = lt_calloc((size_t)d, sizeof *scale);
    double *q = lt_malloc(sizeof(double) * (size_t)(PCA_BLOCK_ROWS * d + 1));
    double *blk = lt_malloc(sizeof(double) * (size_t)(d * d + 1));
    int64_t *acc = lt_calloc((size_t)(d * d + 1), sizeof *acc);
    lt_status st = lt_comm_agree(c, amax && scale && q && blk && acc ? LT_OK : LT_ERR_MEM);
    for (int64_t i = 0; st == LT_OK && i < X->nloc; i++)
        for (int64_t j = 0; j < d; j++) amax[j] = fmax(amax[j], fabs(X->x[i * d + j] - mean[j]));
    if (st == LT_OK) st = lt_comm_max_d(c, amax, d);
    for (int64_t j = 0; st == LT_OK && j < d; j++) {
        int e;
        frexp(amax[j] > 0 ? amax[j] : 1.0, &e); /* amax < 2^e */
        scale[j] = ldexp(1.0, b - e);            /* |q| <= 2^b */
    }
    for (int64_t i0 = 0; st == LT_OK && i0 < X->nloc; i0 += PCA_BLOCK_ROWS) {
        int64_t m = X->nloc - i0 < PCA_BLOCK_ROWS ? X->nloc - i0 : PCA_BLOCK_ROWS;
        for (int64_t i = 0; i < m; i++)
            for (int64_t j = 0; j < d; j++)
                q[i * d + j] = nearbyint((X->x[(i0 + i) * d + j] - mean[j]) * scale[j]);
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)d, (int)m, 1.0, q, (int)d, 0.0, blk,
                    (int)d);
        for (int64_t a = 0; a < d; a++)
            for (int64_t e = a; e < d; e++) acc[a * d + e] += (int64_t)blk[a * d + e];
    }
    if (st == LT_OK) st = lt_comm_sum_i64(c, acc, d * d);
    for (int64_t a = 0; st == LT_OK && a < d; a++)
        for (int64_t e = a; e < d; e++)
            G[a * d + e] = G[e * d + a] = (double)acc[a * d + e] / (scale[a] * scale[e]);
    free(amax), free(scale), free(q), free(blk), free(acc);
    return st;
}

/* LAPACK (Fortran). */
void dsyevr_(const char *jobz, const char *range, const char *uplo, const int *n, double *a,
             const int *lda, const double *vl, const double *vu, const int *il, const int *iu,
             const double *abstol, int *m, double *w, double *z, const int *ldz, int *isuppz,
             double *work, const int *lwork, int *iwork, const int *liwork, int *info);

/* The two leading eigenvectors of G (destroyed) into V (2 x d), each with
 * its largest |entry| positive (latent's PCA sign rule). Not collective. */
static lt_status top_two(double *G, int d, double *V)
{
    int il = d - 1, iu = d, m = 0, info = 0, lwork = -1, liwork = -1, iq = 0;
    double none = 0, abstol = 0, wq = 0, w[2] = {0, 0};
    double *Z = lt_malloc(sizeof(double) * 2 * (size_t)d);
    int isuppz[4];
    LT_CHECK(Z != NULL, LT_ERR_MEM, "out of memory for the t-SNE PCA start");
    dsyevr_("V", "I", "U", &d, G, &d, &none, &none, &il, &iu, &abstol, &m, w, Z, &d, isuppz, &wq,
            &lwork, &iq, &liwork, &info);
    lwork = (int)wq + 1, liwork = iq + 1;
    double *work = info == 0 ? lt_malloc(sizeof(double) * (size_t)lwork) : NULL;
    int *iwork = info == 0 ? lt_malloc(sizeof(int) * (size_t)liwork) : NULL;
    lt_status st = work && iwork ? LT_OK : info ? LT_ERR_LIB : LT_ERR_MEM;
    if (st == LT_OK)
        dsyevr_("V", "I", "U", &d, G, &d, &none, &none, &il, &iu, &abstol, &m, w, Z, &d, isuppz,
                work, &lwork, iwork, &liwork, &info);
    if (st == LT_OK && (info != 0 || m != 2))
        st = lt_error_raise(LT_ERR_NUMERIC, __FILE__, __LINE__,
                            "t-SNE PCA start: dsyevr failed (info = %d)", info);
    for (int k = 0; st == LT_OK && k < 2; k++) {
        const double *z = Z + (int64_t)(1 - k) * d; /* descending */
        int jmax = 0;
        for (int j = 0; j < d; j++)
            if (fabs(z[j]) > fabs(z[jmax])) jmax = j;
        double sg = z[jmax] < 0 ? -1.0 : 1.0;
        for (int j = 0; j < d; j++) V[k * d + j] = sg * z[j];
    }
    free(Z), free(work), free(iwork);
    return st;
}

/* scikit-learn: the first two PCA scores, both divided by the standard
 * deviation (ddof 0) of the first and times 1e-4. */
static lt_status init_pca(lt_comm *c, const lt_dataset *X, double *y)
{
    LT_CALL(lt_comm_agree(c, X->d >= 2 ? LT_OK
                                       : lt_error_raise(LT_ERR_ARG, __FILE__, __LINE__,
                                                        "t-SNE init = pca needs at least 2 "
                                                        "columns (the input has %lld): use "
                                                        "init = random",
                                                        (long long)X->d)));
    int64_t d = X->d;
    double *mean = lt_calloc((size_t)d, sizeof *mean);
    double *G = lt_calloc((size_t)(d * d), sizeof *G), *V = lt_calloc(2 * (size_t)d, sizeof *V);
    lt_status st = lt_comm_agree(c, mean && G && V ? LT_OK : LT_ERR_MEM);
    if (st == LT_OK) st = exact_mean(c, X, mean);
    if (st == LT_OK) st = exact_gram(c, X, mean, G);
    if (st == LT_OK) st = lt_comm_agree(c, top_two(G, (int)d, V));
    for (int64_t i = 0; st == LT_OK && i < X->nloc; i++) {
        double s0 = 0, s1 = 0;
        for (int64_t j = 0; j < d; j++) {
            double e = X->x[i * d + j] - mean[j];
            s0 += e * V[j], s1 += e * V[d + j];
        }
        y[2 * i] = s0, y[2 * i + 1] = s1;
    }
    lt_xsum m[2];
    lt_xsum_init(&m[0]), lt_xsum_init(&m[1]);
    for (int64_t i = 0; st == LT_OK && i < X->nloc; i++) lt_xsum_add(&m[0], y[2 * i]);
    if (st == LT_OK) st = lt_xsum_allreduce(c, m, 1);
    double mu = lt_xsum_value(&m[0]) / (double)X->n;
    for (int64_t i = 0; st == LT_OK && i < X->nloc; i++) {
        double e = y[2 * i] - mu;
        lt_xsum_add(&m[1], e * e);
    }
    if (st == LT_OK) st = lt_xsum_allreduce(c, &m[1], 1);
    double sd = sqrt(lt_xsum_value(&m[1]) / (double)X->n);
    if (st == LT_OK && !(sd > 0))
        st = lt_error_raise(LT_ERR_DATA, __FILE__, __LINE__,
                            "t-SNE init = pca: the first PCA score is constant");
    for (int64_t i = 0; st == LT_OK && i < X->nloc; i++) {
        y[2 * i] = y[2 * i] / sd * 1e-4;
        y[2 * i + 1] = y[2 * i + 1] / sd * 1e-4;
    }
    free(mean), free(G), free(V);
    return st;
}

/* ---- gradient descent --------------------------------------------------------- */

typedef struct {
    lt_comm *c;
    const lt_tsne_opts *o;
    lt_tsne_grad *g;
    int64_t nloc;
    double lr;
    double *y, *grad, *update, *gains;
    int64_t grid_max;
    double grad_norm;
} descent;

static lt_status grad_norm(descent *s, double *out)
{
    lt_xsum a;
    lt_xsum_init(&a);
    for (int64_t e = 0; e < 2 * s->nloc; e++) lt_xsum_add(&a, s->grad[e] * s->grad[e]);
    LT_CALL(lt_xsum_allreduce(s->c, &a, 1));
    *out = sqrt(lt_xsum_value(&a));
    return LT_OK;
}

/* Iterations [it0, it1) as one call of scikit-learn's _gradient_descent;
 * *last = the last index run, *error = KL of the last one evaluated. */
static lt_status descend(descent *s, int64_t it0, int64_t it1, double momentum, double ex,
                         int64_t without_progress, int64_t *last, double *error)
{
    const lt_tsne_opts *o = s->o;
    double best_error = DBL_MAX;
    int64_t best_iter = it0, i = it0;
    *error = DBL_MAX;
    for (i = it0; i < it1; i++) {
        int check = (i + 1) % o->n_iter_check == 0;
        lt_tsne_grad_info info = {.want_kl = check || i == it1 - 1};
        lt_event_begin(lt_comm_timer(s->c), LT_EV_TSNE_ITER);
        lt_status st = lt_tsne_grad_eval(s->c, s->g, s->y, ex, s->grad, &info);
        lt_event_end(lt_comm_timer(s->c), LT_EV_TSNE_ITER, 0);
        LT_CALL(st);
        if (info.want_kl) *error = info.kl;
        if (info.grid_side > s->grid_max) s->grid_max = info.grid_side;
        for (int64_t e = 0; e < 2 * s->nloc; e++) {
            double gr = s->grad[e], up = s->update[e], gain = s->gains[e];
            gain = up * gr < 0.0 ? gain + 0.2 : gain * 0.8;
            if (gain < o->min_gain) gain = o->min_gain;
            s->gains[e] = gain;
            gr *= gain;
            s->grad[e] = gr;
            up = momentum * up - s->lr * gr;
            s->update[e] = up;
            s->y[e] += up;
        }
        if (!check) continue;
        LT_CALL(grad_norm(s, &s->grad_norm));
        LT_CALL(lt_comm_agree(s->c, isfinite(s->grad_norm) && isfinite(*error)
                                        ? LT_OK
                                        : lt_error_raise(LT_ERR_NUMERIC, __FILE__, __LINE__,
                                                         "t-SNE diverged at iteration %lld "
                                                         "(gradient norm %g, KL %g)",
                                                         (long long)(i + 1), s->grad_norm,
                                                         *error)));
        if (o->verbose)
            lt_log(s->c, "[t-SNE] Iteration %lld: error = %.7f, gradient norm = %.7f\n",
                   (long long)(i + 1), *error, s->grad_norm);
        if (*error < best_error) {
            best_error = *error;
            best_iter = i;
        } else if (i - best_iter > without_progress) {
            break;
        }
        if (s->grad_norm <= o->min_grad_norm) break;
    }
    *last = i < it1 ? i : it1 - 1;
    if (it1 <= it0) *last = it0;
    return LT_OK;
}

static lt_status optimise(lt_comm *c, const lt_tsne_opts *o, const lt_tsne_p *P, double *y,
                          lt_tsne_info *info)
{
    descent s = {.c = c, .o = o, .nloc = P->nloc, .y = y};
    size_t m = 2 * (size_t)P->nloc + 2;
    s.grad = lt_calloc(m, sizeof(double));
    s.update = lt_calloc(m, sizeof(double));
    s.gains = lt_calloc(m, sizeof(double));
    lt_status st = lt_comm_agree(c, s.grad && s.update && s.gains ? LT_OK : LT_ERR_MEM);
    if (st == LT_OK) st = lt_tsne_grad_create(c, P, o->method, &o->fft, &s.g);
    if (st != LT_OK) goto done;
    for (size_t e = 0; e < m; e++) s.gains[e] = 1.0;
    s.lr = o->learning_rate > 0 ? o->learning_rate
                                : fmax((double)P->n / o->early_exaggeration / 4.0, 50.0);
    info->learning_rate = s.lr;
    int64_t n_ex = o->exaggeration_iter < o->n_iter ? o->exaggeration_iter : o->n_iter;
    int64_t it = 0;
    double err = NAN;
    lt_timer *tm = lt_comm_timer(c);
    info->kl_exaggerated = NAN;
    if (n_ex > 0) {
        lt_event_begin(tm, LT_EV_TSNE_EXAGGERATED);
        st = descend(&s, 0, n_ex, o->momentum_early, o->early_exaggeration, n_ex, &it, &err);
        lt_event_end(tm, LT_EV_TSNE_EXAGGERATED, 0);
        LT_CALL_GOTO(st, st, done);
        info->kl_exaggerated = err;
        it++;
    }
    if (it < o->n_iter) {
        lt_event_begin(tm, LT_EV_TSNE_MAIN);
        st = descend(&s, it, o->n_iter, o->momentum, 1.0, o->n_iter_without_progress, &it, &err);
        lt_event_end(tm, LT_EV_TSNE_MAIN, 0);
        LT_CALL_GOTO(st, st, done);
    } else {
        it--;
    }
    info->kl = err;
    info->n_iter = it + 1;
    info->grad_norm = s.grad_norm;
    info->grid_side_max = s.grid_max;
done:
    lt_tsne_grad_destroy(&s.g);
    free(s.grad), free(s.update), free(s.gains);
    return st;
}

/* ---- the fit --------------------------------------------------------------------- */

static lt_status affinities(lt_comm *c, const lt_tsne_opts *o, const lt_dataset *X,
                            lt_tsne_p **P, lt_tsne_info *info)
{
    int64_t k = (int64_t)(3.0 * o->perplexity + 1.0);
    if (k > X->n - 1) k = X->n - 1;
    info->k = k;
    lt_tsne_knn *nn = NULL;
    lt_timer *tm = lt_comm_timer(c);
    lt_event_begin(tm, LT_EV_TSNE_KNN);
    lt_status st = lt_tsne_knn_compute(c, X, k, &nn);
    lt_event_end(tm, LT_EV_TSNE_KNN, 0);
    LT_CALL(st);
    lt_event_begin(tm, LT_EV_TSNE_AFFINITY);
    double *cond = lt_calloc((size_t)(nn->nloc * k) + 1, sizeof *cond);
    double *beta = lt_calloc((size_t)nn->nloc + 1, sizeof *beta);
    st = lt_comm_agree(c, cond && beta ? LT_OK : LT_ERR_MEM);
    int64_t bad = 0;
    if (st == LT_OK) st = lt_comm_agree(c, lt_tsne_conditional_p(nn, o->perplexity, cond, beta, &bad));
    lt_xsum bs;
    lt_xsum_init(&bs);
    for (int64_t i = 0; st == LT_OK && i < nn->nloc; i++) lt_xsum_add(&bs, beta[i]);
    if (st == LT_OK) st = lt_xsum_allreduce(c, &bs, 1);
    if (st == LT_OK) st = lt_comm_sum_i64(c, &bad, 1);
    if (st == LT_OK) st = lt_tsne_symmetrize(c, nn, cond, P);
    if (st == LT_OK) {
        info->n_unconverged = bad;
        info->mean_sigma = sqrt((double)X->n / lt_xsum_value(&bs));
        info->nnz = (*P)->nnz;
        st = lt_comm_sum_i64(c, &info->nnz, 1);
    }
    free(cond), free(beta);
    lt_tsne_knn_destroy(&nn);
    lt_event_end(tm, LT_EV_TSNE_AFFINITY, 0);
    return st;
}

lt_status lt_tsne_fit(lt_comm *c, const lt_tsne_opts *o, const lt_dataset *X, lt_tsne_result *res)
{
    memset(res, 0, sizeof *res);
    LT_CALL(lt_tsne_check(c, o, X));
    lt_tsne_info *info = &res->info;
    info->n = X->n;
    res->n = X->n, res->row0 = X->row0, res->nloc = X->nloc;
    res->y = lt_calloc(2 * (size_t)X->nloc + 2, sizeof(double));
    LT_AGREE_ALLOC(c, res->y);
    lt_tsne_p *P = NULL;
    lt_status st = affinities(c, o, X, &P, info);
    if (st == LT_OK) {
        lt_event_begin(lt_comm_timer(c), LT_EV_TSNE_INIT);
        if (o->init == LT_TSNE_INIT_PCA)
            st = init_pca(c, X, res->y);
        else
            init_random(o->seed, X->row0, X->nloc, res->y);
        lt_event_end(lt_comm_timer(c), LT_EV_TSNE_INIT, 0);
    }
    if (st == LT_OK) st = optimise(c, o, P, res->y, info);
    lt_tsne_p_destroy(&P);
    if (st != LT_OK) lt_tsne_result_free(res);
    return st;
}

lt_status lt_tsne_embedding(lt_comm *c, const lt_tsne_result *r, const lt_dataset *X,
                            lt_dataset **out)
{
    *out = NULL;
    lt_dataset *E = NULL;
    int same = r->n == X->n && r->row0 == X->row0 && r->nloc == X->nloc;
    LT_CALL(lt_comm_agree(c, same ? LT_OK
                                  : lt_error_raise(LT_ERR_ARG, __FILE__, __LINE__,
                                                   "lt_tsne_embedding: the result is not of X's rows")));
    LT_CALL(lt_dataset_create_like(c, X, 2, LT_LIKE_COPY_LABELS, &E));
    for (int64_t e = 0; e < 2 * E->nloc; e++) E->x[e] = (float)r->y[e];
    *out = E;
    return LT_OK;
}

void lt_tsne_result_free(lt_tsne_result *r)
{
    free(r->y);
    r->y = NULL;
}
