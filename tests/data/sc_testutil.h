/* Helpers shared by the single-cell tests (header-only: each test is one program). */
#ifndef SC_TESTUTIL_H
#define SC_TESTUTIL_H

#include "mpitest_io_util.h"
#include "latent/lt_sparse.h"

/* The fixture's dense truth (tests/fixtures/sc/NAME.npy), sharded like the matrix. */
static inline lt_dataset *sc_truth(const char *name)
{
    char p[512];
    lt_test_fixture(p, sizeof p, name);
    lt_dataset *ds = NULL;
    LT_ASSERT_OK(lt_npy_read(lt_test_comm(), p, NULL, &ds));
    return ds;
}

/* 1 if this rank's rows of m equal ref's rows (times scale) exactly. */
static inline int sc_same_rows(const lt_csr *m, const lt_dataset *ref, float scale)
{
    if (m->n != ref->n || m->d != ref->d || m->row0 != ref->row0 || m->nloc != ref->nloc) return 0;
    for (int64_t i = 0; i < m->nloc; i++) {
        const float *r = ref->x + i * ref->d;
        int64_t k = m->indptr[i], e = m->indptr[i + 1];
        for (int64_t j = 0; j < m->d; j++) {
            float v = k < e && m->indices[k] == j ? m->data[k++] : 0.0f;
            if (v != scale * r[j]) return 0;
        }
        if (k != e) return 0;
    }
    return 1;
}

/* 1 if this rank's rows of a and b hold the same entries. */
static inline int sc_same_csr(const lt_csr *a, const lt_csr *b)
{
    if (a->n != b->n || a->d != b->d || a->nloc != b->nloc || a->nnz != b->nnz) return 0;
    for (int64_t i = 0; i <= a->nloc; i++)
        if (a->indptr[i] != b->indptr[i]) return 0;
    for (int64_t k = 0; k < a->nnz; k++)
        if (a->indices[k] != b->indices[k] || a->data[k] != b->data[k]) return 0;
    return 1;
}

/* Per-cell summary (total, genes detected, sum_j ((31 j) mod 97 + 1) x_ij),
 * as scripts/make_sc_fixtures.py computes it, equal to the fixture's. */
static inline int sc_same_summary(const lt_csr *m, const lt_dataset *ref)
{
    if (m->n != ref->n || ref->d != 3 || m->nloc != ref->nloc) return 0;
    for (int64_t i = 0; i < m->nloc; i++) {
        double tot = 0, w = 0;
        for (int64_t k = m->indptr[i]; k < m->indptr[i + 1]; k++) {
            tot += m->data[k];
            w += (double)((31 * m->indices[k]) % 97 + 1) * m->data[k];
        }
        const float *r = ref->x + 3 * i;
        if (tot != r[0] || (double)(m->indptr[i + 1] - m->indptr[i]) != r[1] || w != r[2]) return 0;
    }
    return 1;
}

static inline double sc_sum(const lt_csr *m)
{
    double s = 0;
    for (int64_t k = 0; k < m->nnz; k++) s += m->data[k];
    lt_comm_sum_d(lt_test_comm(), &s, 1);
    return s;
}

static inline lt_scdata *sc_read_h5ad(const char *name, const char *matrix, const char *key)
{
    char p[512];
    lt_test_fixture(p, sizeof p, name);
    lt_sc_read_opts o;
    lt_sc_read_opts_default(&o);
    o.matrix = matrix;
    o.obs_key = key;
    lt_scdata *s = NULL;
    LT_ASSERT_OK(lt_h5ad_read(lt_test_comm(), p, &o, &s));
    return s;
}

#endif
