/* Synthetic data: every value is a pure function of (seed, stream, global row),
 * so a rank fills its own rows without talking to anyone and the dataset is
 * bit-identical for any rank count. See docs/data-generation.md. */
#include "latent/lt_generate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "latent/lt_hash.h"
#include "latent/lt_rng.h"

/* Uniform floats from the words lt_rng_u32 would return, one Philox block at
 * a time (the inner loop of generation). 24 random bits make every value an
 * exact float in [0, 1); rounding a 53-bit double to float could give 1.0f,
 * which numpy.random.rand never returns. */
static void fill_uniform_row(uint64_t seed, uint32_t stream, int64_t row, float *x, int64_t n)
{
    lt_rng r;
    lt_rng_init(&r, seed, stream, (uint64_t)row);
    uint32_t w[4];
    for (int64_t j = 0; j < n; j += 4) {
        lt_philox4x32(r.ctr, r.key, w);
        r.ctr[3]++;
        for (int64_t k = 0; k < 4 && j + k < n; k++)
            x[j + k] = (float)(w[k] >> 8) * (1.0f / 16777216.0f);
    }
}

int64_t lt_permute_index(int64_t i, int64_t n, uint64_t seed, uint32_t stream)
{
    lt_perm p;
    lt_perm_init_data(&p, n, seed, stream);
    return lt_perm_apply(&p, i);
}

void lt_blobs_centers(uint64_t seed, int k, int64_t d, double lo, double hi, double *centers)
{
    for (int c = 0; c < k; c++) {
        lt_rng r;
        lt_rng_init(&r, seed, LT_STREAM_CENTERS, (uint64_t)c);
        for (int64_t j = 0; j < d; j++) centers[c * d + j] = lo + (hi - lo) * lt_rng_uniform(&r);
    }
}

/* make_blobs puts the first n % k centers' rows first with one extra row each. */
static int blob_label(int64_t p, int64_t n, int k)
{
    int64_t q = n / k, rem = n % k, big = rem * (q + 1);
    return (int)(p < big ? p / (q + 1) : rem + (p - big) / q);
}

static lt_status check_blobs(const lt_blobs_opts *o)
{
    LT_CHECK(o->n_samples >= 1, LT_ERR_ARG, "blobs: n_samples must be >= 1 (got %lld)",
             (long long)o->n_samples);
    LT_CHECK(o->n_features >= 1, LT_ERR_ARG, "blobs: n_features must be >= 1 (got %lld)",
             (long long)o->n_features);
    LT_CHECK(o->n_centers >= 1, LT_ERR_ARG, "blobs: the number of centers must be >= 1 (got %d)",
             o->n_centers);
    LT_CHECK(o->n_centers <= o->n_samples, LT_ERR_ARG,
             "blobs: %d centers but only %lld samples (need at least one row per center)",
             o->n_centers, (long long)o->n_samples);
    LT_CHECK(o->noise_features >= 0, LT_ERR_ARG, "blobs: noise_features must be >= 0 (got %lld)",
             (long long)o->noise_features);
    for (int c = 0; o->cluster_std && c < o->n_centers; c++)
        LT_CHECK(o->cluster_std[c] >= 0 && isfinite(o->cluster_std[c]), LT_ERR_ARG,
                 "blobs: cluster_std[%d] = %g must be finite and >= 0", c, o->cluster_std[c]);
    for (int64_t j = 0; o->centers && j < o->n_centers * o->n_features; j++)
        LT_CHECK(isfinite(o->centers[j]), LT_ERR_ARG, "blobs: center %lld has a non-finite value",
                 (long long)(j / o->n_features));
    if (!o->centers)
        LT_CHECK(isfinite(o->box_lo) && isfinite(o->box_hi) && o->box_lo < o->box_hi, LT_ERR_ARG,
                 "blobs: center_box needs lo < hi (got %g, %g)", o->box_lo, o->box_hi);
    return LT_OK;
}

static void fill_blob_rows(const lt_blobs_opts *o, const double *centers, lt_dataset *ds)
{
    int64_t nf = o->n_features, d = ds->d;
    lt_perm order;
    lt_perm_init_data(&order, o->n_samples, o->seed, LT_STREAM_LABELS);
    for (int64_t i = 0; i < ds->nloc; i++) {
        int64_t g = ds->row0 + i;
        int lab = blob_label(lt_perm_apply(&order, g), o->n_samples, o->n_centers);
        double sd = o->cluster_std ? o->cluster_std[lab] : 1.0;
        float *x = ds->x + i * d;
        lt_rng r;
        lt_rng_init(&r, o->seed, LT_STREAM_DATA, (uint64_t)g);
        for (int64_t j = 0; j < nf; j++)
            x[j] = (float)(centers[lab * nf + j] + sd * lt_rng_normal(&r));
        fill_uniform_row(o->seed, LT_STREAM_NOISE_COLS, g, x + nf, d - nf);
        ds->y[i] = lab;
    }
}

lt_status lt_generate_blobs(lt_comm *c, const lt_blobs_opts *o, lt_dataset **out)
{
    *out = NULL;
    /* Options are meant to be identical everywhere; agreeing costs one
     * allreduce and turns a mismatch into an error instead of a hang. */
    LT_CALL(lt_comm_agree(c, check_blobs(o)));
    double *centers = (double *)o->centers;
    lt_status st = LT_OK;
    if (!o->centers) {
        centers = lt_malloc(sizeof(double) * (size_t)(o->n_centers * o->n_features));
        st = centers ? LT_OK : LT_ERR_MEM;
        if (centers)
            lt_blobs_centers(o->seed, o->n_centers, o->n_features, o->box_lo, o->box_hi, centers);
    }
    LT_CALL_GOTO(st, lt_comm_agree(c, st), done);
    LT_CALL_GOTO(st, lt_dataset_create(c, o->n_samples, o->n_features + o->noise_features, 1, out),
                 done);
    fill_blob_rows(o, centers, *out);
done:
    if (centers != o->centers) free(centers);
    return st;
}

lt_status lt_generate_uniform(lt_comm *c, int64_t n, int64_t d, uint64_t seed, lt_dataset **out)
{
    *out = NULL;
    lt_status st = LT_OK;
    if (n < 1 || d < 1)
        st = lt_error_raise(LT_ERR_ARG, __FILE__, __LINE__,
                            "uniform: need n_samples >= 1 and n_features >= 1 (got %lld x %lld)",
                            (long long)n, (long long)d);
    LT_CALL(lt_comm_agree(c, st));
    LT_CALL(lt_dataset_create(c, n, d, 0, out));
    lt_dataset *ds = *out;
    for (int64_t i = 0; i < ds->nloc; i++) fill_uniform_row(seed, LT_STREAM_DATA, ds->row0 + i,
                                                            ds->x + i * d, d);
    return LT_OK;
}

/* ---- option parsing helpers for the deck ---------------------------------- */

/* Parses up to `cap` numbers separated by commas/blanks from [s, end). */
static lt_status parse_numbers(const char *s, const char *end, double *v, int64_t cap,
                               int64_t *count, const char *what)
{
    int64_t k = 0;
    while (s < end) {
        while (s < end && (*s == ' ' || *s == '\t' || *s == ',')) s++;
        if (s >= end) break;
        char *stop;
        double x = strtod(s, &stop);
        LT_CHECK(stop != s && stop <= end && isfinite(x), LT_ERR_ARG,
                 "%s: cannot read a number at \"%.*s\"", what, (int)(end - s), s);
        if (k < cap) v[k] = x;
        k++;
        s = stop;
        LT_CHECK(s >= end || *s == ' ' || *s == '\t' || *s == ',', LT_ERR_ARG,
                 "%s: unexpected text \"%.*s\"", what, (int)(end - s), s);
    }
    *count = k;
    return LT_OK;
}

static lt_status parse_center_rows(const char *text, int64_t nf, double *centers, int k)
{
    const char *s = text;
    for (int c = 0; c < k; c++) {
        const char *end = strchr(s, ';');
        if (!end) end = s + strlen(s);
        int64_t cnt;
        LT_CALL(parse_numbers(s, end, centers + c * nf, nf, &cnt, "centers"));
        LT_CHECK(cnt == nf, LT_ERR_ARG, "centers: center %d has %lld values, expected %lld "
                 "(n_features)", c, (long long)cnt, (long long)nf);
        s = *end ? end + 1 : end;
    }
    return LT_OK;
}

lt_status lt_blobs_parse_centers(const char *text, int64_t n_features, int *n_centers,
                                 double **centers)
{
    *centers = NULL;
    *n_centers = 0;
    char *stop;
    long v = strtol(text, &stop, 10);
    while (*stop == ' ' || *stop == '\t') stop++;
    if (stop != text && *stop == '\0' && !strchr(text, '.')) {
        LT_CHECK(v >= 1 && v <= INT32_MAX, LT_ERR_ARG, "centers: count must be >= 1 (got %ld)", v);
        *n_centers = (int)v;
        return LT_OK;
    }
    LT_CHECK(n_features >= 1, LT_ERR_ARG, "centers: n_features must be >= 1 (got %lld)",
             (long long)n_features);
    int k = 1;
    for (const char *p = text; *p; p++) k += *p == ';';
    double *c = lt_malloc(sizeof(double) * (size_t)(k * n_features));
    if (!c) return LT_ERR_MEM;
    lt_status st = parse_center_rows(text, n_features, c, k);
    if (st != LT_OK) {
        free(c);
        return st;
    }
    *n_centers = k;
    *centers = c;
    return LT_OK;
}

lt_status lt_blobs_parse_std(const char *text, int n_centers, double **cluster_std)
{
    *cluster_std = NULL;
    LT_CHECK(n_centers >= 1, LT_ERR_ARG, "cluster_std: need n_centers >= 1 (got %d)", n_centers);
    double *s = lt_malloc(sizeof(double) * (size_t)n_centers);
    if (!s) return LT_ERR_MEM;
    int64_t cnt = 0;
    lt_status st = parse_numbers(text, text + strlen(text), s, n_centers, &cnt, "cluster_std");
    if (st == LT_OK && cnt == 1)
        for (int c = 1; c < n_centers; c++) s[c] = s[0];
    if (st == LT_OK && cnt != 1 && cnt != n_centers)
        st = lt_error_raise(LT_ERR_ARG, __FILE__, __LINE__,
                            "cluster_std: %lld values for %d centers (give one value or one per "
                            "center)", (long long)cnt, n_centers);
    for (int c = 0; st == LT_OK && c < n_centers; c++)
        if (s[c] < 0)
            st = lt_error_raise(LT_ERR_ARG, __FILE__, __LINE__,
                                "cluster_std: value %g for center %d is negative", s[c], c);
    if (st != LT_OK) {
        free(s);
        return st;
    }
    *cluster_std = s;
    return LT_OK;
}
