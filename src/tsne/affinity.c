/* Input affinities: per-row Gaussian bandwidths (scikit-learn 1.2's
 * _binary_search_perplexity, sklearn/manifold/_utils.pyx) and the symmetric
 * joint P = (P + P^T) / (2n) as a row-sharded sparse matrix. */
#include "latent/lt_tsne.h"
#include "tsne_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PERPLEXITY_TOLERANCE 1e-5
#define N_STEPS 100
#define EPSILON_DBL 1e-8

/* One row: P (k) and beta for squared distances sqd (k) as scikit-learn
 * does it; returns 1 if the tolerance was reached. */
static int search_row(const double *sqd, int64_t k, double desired_entropy, double *P,
                      double *beta_out)
{
    double beta_min = -INFINITY, beta_max = INFINITY, beta = 1.0;
    int ok = 0;
    for (int l = 0; l < N_STEPS; l++) {
        double sum_p = 0;
        for (int64_t j = 0; j < k; j++) {
            P[j] = exp(-sqd[j] * beta);
            sum_p += P[j];
        }
        if (sum_p == 0.0) sum_p = EPSILON_DBL;
        double sum_dp = 0;
        for (int64_t j = 0; j < k; j++) {
            P[j] /= sum_p;
            sum_dp += sqd[j] * P[j];
        }
        double entropy_diff = log(sum_p) + beta * sum_dp - desired_entropy;
        if (fabs(entropy_diff) <= PERPLEXITY_TOLERANCE) {
            ok = 1;
            break;
        }
        if (entropy_diff > 0.0) {
            beta_min = beta;
            beta = beta_max == INFINITY ? beta * 2.0 : (beta + beta_max) / 2.0;
        } else {
            beta_max = beta;
            beta = beta_min == -INFINITY ? beta / 2.0 : (beta + beta_min) / 2.0;
        }
    }
    *beta_out = beta;
    return ok;
}

/* scikit-learn's neighbour graph holds float64 distances, squared in
 * float64 and rounded to float32 for the search. */
double lt_tsne_sklearn_sqdist(double d2) { return (double)(float)d2; }

lt_status lt_tsne_conditional_p(const lt_tsne_knn *nn, double perplexity, double *P, double *beta,
                                int64_t *n_unconverged)
{
    LT_CHECK(perplexity > 0 && isfinite(perplexity), LT_ERR_ARG,
             "t-SNE perplexity = %g: must be positive", perplexity);
    int64_t k = nn->k, bad = 0;
    double *sqd = lt_malloc(sizeof(double) * (size_t)(k + 1));
    if (!sqd) return LT_ERR_MEM;
    double desired = log(perplexity);
    for (int64_t i = 0; i < nn->nloc; i++) {
        for (int64_t j = 0; j < k; j++) sqd[j] = lt_tsne_sklearn_sqdist(nn->d2[i * k + j]);
        bad += !search_row(sqd, k, desired, P + i * k, &beta[i]);
    }
    free(sqd);
    if (n_unconverged) *n_unconverged = bad;
    return LT_OK;
}

typedef struct {
    int64_t row, col;
    double p;
} triple;

static int cmp_col(const void *a, const void *b)
{
    const triple *x = a, *y = b;
    return (x->col > y->col) - (x->col < y->col);
}

/* Sends (j, i, p_ij) to the owner of row j; *recv gets what arrives. */
static lt_status transpose_entries(lt_comm *c, const lt_tsne_knn *nn, const double *cond,
                                   triple **recv, int64_t *nrecv)
{
    int P = lt_comm_size(c), me = lt_comm_rank(c);
    int64_t k = nn->k, m = nn->nloc * k;
    int64_t *cnt = lt_calloc((size_t)P * P, sizeof *cnt);
    int64_t *sc = lt_calloc(4 * (size_t)P, sizeof *sc);
    triple *send = lt_calloc((size_t)m + 1, sizeof *send);
    lt_status st = lt_comm_agree(c, cnt && sc && send ? LT_OK : LT_ERR_MEM);
    if (st != LT_OK) goto done;
    int64_t *sd = sc + P, *rc = sc + 2 * P, *rd = sc + 3 * P;
    for (int64_t e = 0; e < m; e++) sc[lt_shard_owner(nn->n, P, nn->idx[e])]++;
    for (int r = 1; r < P; r++) sd[r] = sd[r - 1] + sc[r - 1];
    int64_t *fill = rc; /* borrowed as a cursor, reset below */
    memcpy(fill, sd, sizeof(int64_t) * (size_t)P);
    for (int64_t i = 0; i < nn->nloc; i++)
        for (int64_t j = 0; j < k; j++) {
            int64_t e = i * k + j, col = nn->idx[e];
            triple t = {col, nn->row0 + i, cond[e]};
            send[fill[lt_shard_owner(nn->n, P, col)]++] = t;
        }
    LT_CALL_GOTO(st, lt_comm_allgather(c, sc, sizeof(int64_t) * (int64_t)P, cnt), done);
    int64_t tot = 0;
    for (int r = 0; r < P; r++) {
        rc[r] = cnt[(int64_t)r * P + me];
        rd[r] = tot;
        tot += rc[r];
    }
    *recv = lt_calloc((size_t)tot + 1, sizeof(triple));
    st = lt_comm_agree(c, *recv ? LT_OK : LT_ERR_MEM);
    if (st != LT_OK) goto done;
    for (int r = 0; r < P; r++) {
        int64_t b = (int64_t)sizeof(triple);
        sc[r] *= b, sd[r] *= b, rc[r] *= b, rd[r] *= b;
    }
    st = lt_comm_alltoallv(c, send, sc, sd, *recv, rc, rd);
    *nrecv = tot;
done:
    free(cnt), free(sc), free(send);
    if (st != LT_OK) free(*recv), *recv = NULL;
    return st;
}

/* Own and transposed entries merged row by row into CSR, scaled by 1/(2n). */
static lt_status merge_rows(const lt_tsne_knn *nn, const double *cond, const triple *recv,
                            int64_t nrecv, lt_tsne_p *p)
{
    int64_t k = nn->k, nloc = nn->nloc, m = nloc * k + nrecv;
    triple *all = lt_calloc((size_t)m + 1, sizeof *all);
    int64_t *start = lt_calloc((size_t)nloc + 2, sizeof *start);
    p->rowptr = lt_calloc((size_t)nloc + 1, sizeof(int64_t));
    if (!all || !start || !p->rowptr) {
        free(all), free(start);
        return LT_ERR_MEM;
    }
    for (int64_t e = 0; e < nrecv; e++) start[recv[e].row - nn->row0 + 2]++;
    for (int64_t i = 0; i < nloc; i++) start[i + 2] += k;
    for (int64_t i = 0; i < nloc; i++) start[i + 2] += start[i + 1];
    for (int64_t i = 0; i < nloc; i++)
        for (int64_t j = 0; j < k; j++) {
            triple t = {i, nn->idx[i * k + j], cond[i * k + j]};
            all[start[i + 1]++] = t;
        }
    for (int64_t e = 0; e < nrecv; e++) {
        triple t = recv[e];
        t.row -= nn->row0;
        all[start[t.row + 1]++] = t;
    }
    /* start[i] .. start[i + 1] is row i now. Sort each row by column and add
     * the (at most two) entries of a pair: p_ij + p_ji. */
    int64_t nnz = 0;
    double scale = 1.0 / (2.0 * (double)nn->n);
    for (int64_t i = 0; i < nloc; i++) {
        triple *r = all + start[i];
        int64_t len = start[i + 1] - start[i];
        qsort(r, (size_t)len, sizeof *r, cmp_col);
        p->rowptr[i] = nnz;
        for (int64_t a = 0; a < len; a++) {
            if (a > 0 && r[a].col == all[nnz - 1].col && nnz > p->rowptr[i])
                all[nnz - 1].p += r[a].p;
            else
                all[nnz++] = r[a];
        }
    }
    p->rowptr[nloc] = nnz;
    p->nnz = nnz;
    p->col = lt_calloc((size_t)nnz + 1, sizeof(int64_t));
    p->val = lt_calloc((size_t)nnz + 1, sizeof(double));
    if (!p->col || !p->val) {
        free(all), free(start);
        return LT_ERR_MEM;
    }
    for (int64_t e = 0; e < nnz; e++) p->col[e] = all[e].col, p->val[e] = all[e].p * scale;
    free(all), free(start);
    return LT_OK;
}

lt_status lt_tsne_symmetrize(lt_comm *c, const lt_tsne_knn *nn, const double *cond,
                             lt_tsne_p **out)
{
    *out = NULL;
    triple *recv = NULL;
    int64_t nrecv = 0;
    LT_CALL(transpose_entries(c, nn, cond, &recv, &nrecv));
    lt_tsne_p *p = lt_calloc(1, sizeof *p);
    lt_status st = p ? LT_OK : LT_ERR_MEM;
    if (st == LT_OK) {
        p->n = nn->n, p->row0 = nn->row0, p->nloc = nn->nloc;
        st = merge_rows(nn, cond, recv, nrecv, p);
    }
    free(recv);
    st = lt_comm_agree(c, st);
    if (st != LT_OK) {
        lt_tsne_p_destroy(&p);
        return st;
    }
    *out = p;
    return LT_OK;
}

void lt_tsne_p_destroy(lt_tsne_p **p)
{
    if (!p || !*p) return;
    free((*p)->rowptr), free((*p)->col), free((*p)->val), free(*p);
    *p = NULL;
}
