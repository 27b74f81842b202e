/* Synthetic counts: the same matrix for any rank count (a row-keyed checksum),
 * the density asked for, valid CSR with positive integer counts and cell-type
 * labels; written as .h5ad (X csr_matrix) it reads back identical, and
 * python3-anndata opens it. */
#include <stdlib.h>

#include "sc_testutil.h"
#include "latent/lt_rng.h"

/* Sum over cells of a hash of (global row, type, entries): rank-count free. */
static uint64_t checksum(const lt_scdata *s)
{
    uint64_t sum = 0;
    for (int64_t i = 0; i < s->x->nloc; i++) {
        uint64_t h = 1469598103934665603ULL ^ (uint64_t)(s->x->row0 + i) ^ ((uint64_t)s->labels[i] << 40);
        for (int64_t k = s->x->indptr[i]; k < s->x->indptr[i + 1]; k++) {
            h = (h ^ (uint64_t)s->x->indices[k]) * 1099511628211ULL;
            h = (h ^ (uint64_t)s->x->data[k]) * 1099511628211ULL;
        }
        sum += h;
    }
    int64_t v[2] = {(int64_t)(sum & 0xffffffff), (int64_t)(sum >> 32)};
    lt_comm_sum_i64(lt_test_comm(), v, 2);
    return (uint64_t)v[0] + ((uint64_t)v[1] << 32);
}

static lt_scdata *make(int64_t n, int64_t d, double density)
{
    lt_counts_opts o;
    lt_counts_opts_default(&o);
    o.n_cells = n;
    o.n_genes = d;
    o.density = density;
    o.seed = 7;
    lt_scdata *s = NULL;
    LT_ASSERT_OK(lt_generate_counts(lt_test_comm(), &o, &s));
    return s;
}

START_TEST(same_for_any_rank_count_and_as_dense_as_asked)
{
    lt_comm *c = lt_test_comm();
    lt_scdata *s = make(600, 400, 0.08);
    int64_t nnz = 0;
    LT_ASSERT_OK(lt_csr_nnz_global(c, s->x, &nnz));
    double dens = (double)nnz / (600.0 * 400.0);
    ck_assert_msg(dens > 0.07 && dens < 0.09, "density %g", dens);
    LT_ASSERT_OK(lt_csr_check(c, s->x, "generated"));
    int ok = 1;
    int64_t per[5] = {0};
    for (int64_t k = 0; k < s->x->nnz; k++) ok &= s->x->data[k] >= 1 && s->x->data[k] == (float)(int64_t)s->x->data[k];
    for (int64_t i = 0; i < s->x->nloc; i++) ok &= s->labels[i] >= 0 && s->labels[i] < 5, per[s->labels[i]]++;
    LT_ASSERT_ALL(ok);
    LT_ASSERT_OK(lt_comm_sum_i64(c, per, 5));
    for (int t = 0; t < 5; t++) ck_assert_int_gt(per[t], 60);
    ck_assert_str_eq(lt_strlist_get(s->categories, 4), "type4");
    uint64_t sum = checksum(s);
    /* Recorded on 1 rank; 2 and 4 ranks must draw the very same matrix. */
    ck_assert_msg(sum == 0x94b32020adcbdb8bULL && nnz == 19442, "checksum %016llx nnz %lld",
                  (unsigned long long)sum, (long long)nnz);
    lt_scdata_destroy(&s);
}
END_TEST

START_TEST(written_as_h5ad_reads_back)
{
    lt_comm *c = lt_test_comm();
    lt_scdata *s = make(301, 250, 0.05);
    lt_h5ad_out o = {.n = 301, .d = 250, .X = s->x, .nobs = 1, .obs_name = {"cell_type"},
                     .obs_codes = {s->labels}, .obs_cats = {s->categories}};
    char p[512];
    lt_test_path(p, sizeof p, "counts.h5ad");
    LT_ASSERT_OK(lt_h5ad_write(c, p, &o));
    lt_sc_read_opts ro;
    lt_sc_read_opts_default(&ro);
    ro.obs_key = "cell_type";
    lt_scdata *b = NULL;
    LT_ASSERT_OK(lt_h5ad_read(c, p, &ro, &b));
    LT_ASSERT_ALL(sc_same_csr(s->x, b->x));
    int ok = 1;
    for (int64_t i = 0; i < b->x->nloc; i++) ok &= b->labels[i] == s->labels[i];
    LT_ASSERT_ALL(ok);
    int64_t nnz = 0;
    LT_ASSERT_OK(lt_csr_nnz_global(c, s->x, &nnz));
    int rc = 0;
    if (lt_comm_rank(c) == 0 && io_exists("/usr/bin/python3")) {
        char cmd[1200];
        snprintf(cmd, sizeof cmd,
                 "/usr/bin/python3 -W ignore -c \"import anndata as ad; a = ad.read_h5ad('%s'); "
                 "assert a.shape == (301, 250) and a.X.nnz == %lld and a.X.format == 'csr', a; "
                 "assert list(a.obs['cell_type'].cat.categories) == ['type%%d' %% t for t in range(5)]\"",
                 p, (long long)nnz);
        rc = system(cmd);
    }
    LT_ASSERT_ALL(rc == 0);
    lt_scdata_destroy(&b);
    lt_scdata_destroy(&s);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("sc_generate");
    TCase *t = tcase_create("generate");
    tcase_add_test(t, same_for_any_rank_count_and_as_dense_as_asked);
    tcase_add_test(t, written_as_h5ad_reads_back);
    suite_add_tcase(s, t);
    return s;
}

int main(int argc, char **argv) { return lt_test_main(suite, argc, argv); }
