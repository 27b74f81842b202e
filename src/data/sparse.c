/* The row-sharded CSR matrix: allocation, checks, row sorting, assembly from
 * triplets (one all-to-all to the row owners) and densifying chosen columns. */
#include "latent/lt_sparse.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

lt_status lt_csr_create(lt_comm *c, int64_t n, int64_t d, int64_t nnz, lt_csr **out)
{
    *out = NULL;
    lt_csr *m = lt_calloc(1, sizeof *m);
    lt_status st = m ? LT_OK : LT_ERR_MEM;
    if (m) {
        m->n = n;
        m->d = d;
        lt_shard_range(n, lt_comm_size(c), lt_comm_rank(c), &m->row0, &m->nloc);
        m->nnz = nnz;
        m->indptr = lt_calloc((size_t)m->nloc + 1, sizeof *m->indptr);
        /* +1: a rank without entries still gets valid pointers */
        m->indices = lt_malloc(sizeof *m->indices * ((size_t)nnz + 1));
        m->data = lt_malloc(sizeof *m->data * ((size_t)nnz + 1));
        if (!m->indptr || !m->indices || !m->data) st = LT_ERR_MEM;
    }
    st = lt_comm_agree(c, st);
    if (st != LT_OK) {
        lt_csr_destroy(&m);
        return st;
    }
    *out = m;
    return LT_OK;
}

void lt_csr_destroy(lt_csr **m)
{
    if (!m || !*m) return;
    free((*m)->indptr);
    free((*m)->indices);
    free((*m)->data);
    free(*m);
    *m = NULL;
}

static lt_status check_local(const lt_csr *m, const char *what)
{
    LT_CHECK(m->indptr[0] == 0 && m->indptr[m->nloc] == m->nnz, LT_ERR_INTERNAL,
             "%s: local row pointers do not span the entries", what);
    for (int64_t i = 0; i < m->nloc; i++) {
        int64_t s = m->indptr[i], e = m->indptr[i + 1], g = m->row0 + i;
        LT_CHECK(e >= s, LT_ERR_FORMAT, "%s: indptr decreases at row %lld (%lld then %lld)", what,
                 (long long)g, (long long)s, (long long)e);
        for (int64_t k = s; k < e; k++) {
            int32_t j = m->indices[k];
            LT_CHECK(j >= 0 && j < m->d, LT_ERR_FORMAT,
                     "%s: row %lld has column index %d outside [0, %lld)", what, (long long)g, j,
                     (long long)m->d);
            LT_CHECK(k == s || j > m->indices[k - 1], LT_ERR_FORMAT,
                     "%s: row %lld: column indices not strictly ascending (%d after %d)", what,
                     (long long)g, j, m->indices[k - 1]);
            LT_CHECK(isfinite(m->data[k]), LT_ERR_DATA, "%s: row %lld column %d is not finite",
                     what, (long long)g, j);
        }
    }
    return LT_OK;
}

lt_status lt_csr_check(lt_comm *c, const lt_csr *m, const char *what)
{
    return lt_comm_agree(c, check_local(m, what));
}

/* Insertion sort for the short rows counts have; values follow indices. */
static void sort_row(int32_t *idx, float *val, int64_t len)
{
    for (int64_t a = 1; a < len; a++) {
        int32_t j = idx[a];
        float v = val[a];
        int64_t b = a;
        for (; b > 0 && idx[b - 1] > j; b--) {
            idx[b] = idx[b - 1];
            val[b] = val[b - 1];
        }
        idx[b] = j;
        val[b] = v;
    }
}

typedef struct {
    int32_t j;
    float v;
} col_val;

static int cmp_col(const void *a, const void *b)
{
    int32_t x = ((const col_val *)a)->j, y = ((const col_val *)b)->j;
    return (x > y) - (x < y);
}

/* Long unsorted rows (dense-ish cells) would be quadratic: qsort them. */
static lt_status sort_long_row(int32_t *idx, float *val, int64_t len)
{
    col_val *t = lt_malloc(sizeof *t * (size_t)len);
    if (!t) return LT_ERR_MEM;
    for (int64_t a = 0; a < len; a++) t[a] = (col_val){idx[a], val[a]};
    qsort(t, (size_t)len, sizeof *t, cmp_col);
    for (int64_t a = 0; a < len; a++) idx[a] = t[a].j, val[a] = t[a].v;
    free(t);
    return LT_OK;
}

lt_status lt_csr_sort_rows(lt_csr *m, const char *what)
{
    for (int64_t i = 0; i < m->nloc; i++) {
        int64_t s = m->indptr[i], len = m->indptr[i + 1] - s;
        int sorted = 1;
        for (int64_t k = 1; k < len && sorted; k++) sorted = m->indices[s + k] > m->indices[s + k - 1];
        if (sorted) continue;
        if (len <= 64) sort_row(m->indices + s, m->data + s, len);
        else LT_CALL(sort_long_row(m->indices + s, m->data + s, len));
        for (int64_t k = 1; k < len; k++)
            LT_CHECK(m->indices[s + k] != m->indices[s + k - 1], LT_ERR_FORMAT,
                     "%s: row %lld holds column %d twice", what, (long long)(m->row0 + i),
                     m->indices[s + k]);
    }
    return LT_OK;
}

lt_status lt_csr_nnz_global(lt_comm *c, const lt_csr *m, int64_t *out)
{
    *out = m->nnz;
    return lt_comm_sum_i64(c, out, 1);
}

lt_status lt_csr_column_positions(lt_comm *c, const lt_csr *m, const int64_t *cols, int64_t k,
                                  int64_t **pos)
{
    int64_t *p = lt_malloc(sizeof *p * ((size_t)m->d + 1));
    lt_status st = p ? LT_OK : LT_ERR_MEM;
    if (p) {
        for (int64_t j = 0; j < m->d; j++) p[j] = cols ? -1 : j;
        for (int64_t a = 0; cols && a < k && st == LT_OK; a++) {
            if (cols[a] < 0 || cols[a] >= m->d)
                st = lt_error_raise(LT_ERR_ARG, __FILE__, __LINE__,
                                    "densify: column %lld outside [0, %lld)", (long long)cols[a],
                                    (long long)m->d);
            else p[cols[a]] = a;
        }
    }
    st = lt_comm_agree(c, st);
    if (st != LT_OK) free(p), p = NULL;
    *pos = p;
    return st;
}

lt_status lt_csr_densify(lt_comm *c, const lt_csr *m, const int64_t *cols, int64_t k,
                         lt_dataset **out)
{
    *out = NULL;
    if (!cols) k = m->d;
    int64_t *pos = NULL;
    lt_status st = lt_csr_column_positions(c, m, cols, k, &pos);
    lt_dataset *ds = NULL;
    if (st == LT_OK) st = lt_dataset_create(c, m->n, k, 0, &ds);
    if (st == LT_OK) {
        for (int64_t i = 0; i < m->nloc; i++) {
            float *row = ds->x + i * k;
            for (int64_t e = m->indptr[i]; e < m->indptr[i + 1]; e++) {
                int64_t p = pos[m->indices[e]];
                if (p >= 0) row[p] = m->data[e];
            }
        }
        *out = ds;
    }
    free(pos);
    return st;
}

/* Counting sort of triplets by destination rank into send order. */
static lt_status pack_by_owner(lt_comm *c, int64_t n, int64_t d, const lt_triplet *t, int64_t nt,
                               const char *what, lt_triplet **send, int64_t *count)
{
    int p = lt_comm_size(c);
    for (int64_t a = 0; a < nt; a++) {
        LT_CHECK(t[a].row >= 0 && t[a].row < n, LT_ERR_FORMAT,
                 "%s: row index %lld outside [0, %lld)", what, (long long)t[a].row, (long long)n);
        LT_CHECK(t[a].col >= 0 && t[a].col < d, LT_ERR_FORMAT,
                 "%s: column index %d outside [0, %lld) (row %lld)", what, t[a].col, (long long)d,
                 (long long)t[a].row);
        count[lt_shard_owner(n, p, t[a].row)]++;
    }
    *send = lt_malloc(sizeof **send * ((size_t)nt + 1));
    int64_t *at = lt_calloc((size_t)p, sizeof *at);
    if (!*send || !at) {
        free(at);
        return LT_ERR_MEM;
    }
    for (int r = 1; r < p; r++) at[r] = at[r - 1] + count[r - 1];
    for (int64_t a = 0; a < nt; a++) (*send)[at[lt_shard_owner(n, p, t[a].row)]++] = t[a];
    free(at);
    return LT_OK;
}

/* Rows from received triplets: a stable counting sort by row keeps each
 * source's column order; rows are then sorted (duplicates rejected). */
static lt_status assemble(lt_csr *m, const lt_triplet *r, int64_t nr, const char *what)
{
    for (int64_t a = 0; a < nr; a++) m->indptr[r[a].row - m->row0 + 1]++;
    for (int64_t i = 0; i < m->nloc; i++) m->indptr[i + 1] += m->indptr[i];
    int64_t *fill = lt_malloc(sizeof *fill * ((size_t)m->nloc + 1));
    if (!fill) return LT_ERR_MEM;
    memcpy(fill, m->indptr, sizeof *fill * (size_t)(m->nloc + 1));
    for (int64_t a = 0; a < nr; a++) {
        int64_t k = fill[r[a].row - m->row0]++;
        m->indices[k] = r[a].col;
        m->data[k] = r[a].val;
    }
    free(fill);
    return lt_csr_sort_rows(m, what);
}

lt_status lt_csr_from_triplets(lt_comm *c, int64_t n, int64_t d, const lt_triplet *t,
                               int64_t nt, const char *what, lt_csr **out)
{
    *out = NULL;
    int p = lt_comm_size(c);
    int64_t *cnt = lt_calloc((size_t)p * 4, sizeof *cnt);
    if (!cnt) return lt_comm_agree(c, LT_ERR_MEM);
    int64_t *rcnt = cnt + p, *sdis = cnt + 2 * p, *rdis = cnt + 3 * p;
    lt_triplet *send = NULL, *recv = NULL;
    lt_csr *m = NULL;
    lt_status st = lt_comm_agree(c, pack_by_owner(c, n, d, t, nt, what, &send, cnt));
    if (st != LT_OK) goto done;
    /* Counts first (one int64 per pair of ranks), then the triplets. */
    int64_t *got = lt_calloc((size_t)p, sizeof *got);
    st = lt_comm_agree(c, got ? LT_OK : LT_ERR_MEM);
    for (int r = 0; r < p; r++) sdis[r] = rdis[r] = 8 * r, rcnt[r] = 8;
    if (st == LT_OK) st = lt_comm_alltoallv(c, cnt, rcnt, sdis, got, rcnt, rdis);
    int64_t nr = 0, ns = 0;
    for (int r = 0; st == LT_OK && r < p; r++) {
        rdis[r] = nr * (int64_t)sizeof *recv;
        rcnt[r] = got[r] * (int64_t)sizeof *recv;
        nr += got[r];
        sdis[r] = ns * (int64_t)sizeof *send;
        ns += cnt[r];
        cnt[r] *= (int64_t)sizeof *send;
    }
    free(got);
    if (st == LT_OK) {
        recv = lt_malloc(sizeof *recv * ((size_t)nr + 1));
        st = lt_comm_agree(c, recv ? LT_OK : LT_ERR_MEM);
    }
    if (st == LT_OK) st = lt_comm_alltoallv(c, send, cnt, sdis, recv, rcnt, rdis);
    free(send);
    send = NULL;
    if (st == LT_OK) st = lt_csr_create(c, n, d, nr, &m);
    if (st == LT_OK) st = lt_comm_agree(c, assemble(m, recv, nr, what));
    if (st == LT_OK) *out = m, m = NULL;
done:
    lt_csr_destroy(&m);
    free(send);
    free(recv);
    free(cnt);
    return st;
}

/* ---- string lists ------------------------------------------------------- */

typedef struct {
    lt_strlist l;
    int64_t cap_n, cap_b, used;
} strlist_impl;

lt_status lt_strlist_create(lt_strlist **out)
{
    strlist_impl *s = lt_calloc(1, sizeof *s);
    if (!s) return LT_ERR_MEM;
    s->cap_n = 16;
    s->cap_b = 256;
    s->l.off = lt_malloc(sizeof *s->l.off * (size_t)(s->cap_n + 1));
    s->l.buf = lt_malloc((size_t)s->cap_b);
    if (!s->l.off || !s->l.buf) {
        lt_strlist *l = &s->l;
        lt_strlist_destroy(&l);
        return LT_ERR_MEM;
    }
    s->l.off[0] = 0;
    *out = &s->l;
    return LT_OK;
}

lt_status lt_strlist_push(lt_strlist *l, const char *str, size_t len)
{
    strlist_impl *s = (strlist_impl *)l;
    if (l->n + 1 > s->cap_n) {
        int64_t *o = realloc(l->off, sizeof *o * (size_t)(2 * s->cap_n + 1));
        LT_CHECK(o, LT_ERR_MEM, "out of memory growing a string list");
        l->off = o;
        s->cap_n *= 2;
    }
    if (s->used + (int64_t)len + 1 > s->cap_b) {
        int64_t cap = s->cap_b;
        while (s->used + (int64_t)len + 1 > cap) cap *= 2;
        char *b = realloc(l->buf, (size_t)cap);
        LT_CHECK(b, LT_ERR_MEM, "out of memory growing a string list");
        l->buf = b;
        s->cap_b = cap;
    }
    memcpy(l->buf + s->used, str, len);
    l->buf[s->used + (int64_t)len] = '\0';
    s->used += (int64_t)len + 1;
    l->off[++l->n] = s->used;
    return LT_OK;
}

const char *lt_strlist_get(const lt_strlist *l, int64_t i) { return l->buf + l->off[i]; }

int64_t lt_strlist_find(const lt_strlist *l, const char *str)
{
    for (int64_t i = 0; l && i < l->n; i++)
        if (!strcmp(lt_strlist_get(l, i), str)) return i;
    return -1;
}

void lt_strlist_destroy(lt_strlist **l)
{
    if (!l || !*l) return;
    free((*l)->off);
    free((*l)->buf);
    free(*l);
    *l = NULL;
}

void lt_scdata_destroy(lt_scdata **s)
{
    if (!s || !*s) return;
    lt_csr_destroy(&(*s)->x);
    lt_strlist_destroy(&(*s)->var_names);
    lt_strlist_destroy(&(*s)->obs_names);
    lt_strlist_destroy(&(*s)->categories);
    free((*s)->labels);
    free((*s)->cell_ids);
    free(*s);
    *s = NULL;
}

void lt_sc_read_opts_default(lt_sc_read_opts *o)
{
    memset(o, 0, sizeof *o);
    o->matrix = "X";
    o->gene_symbols = 1;
}
