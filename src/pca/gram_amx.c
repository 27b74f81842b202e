/* The mixed-precision Gram matrix on Intel AMX tiles (Sapphire Rapids and
 * later). A tile multiply is bf16 x bf16 summed in float, eight times the
 * float FMA rate of AVX-512, so each centered float value y is split exactly
 * into three bf16 pieces y = h + m + l (8 significant bits each) and the six
 * products that carry a float's precision are summed: hh + hm + mh + hl + lh
 * + mm (the dropped ml, lm, ll are below 2^-24 of y y'). Tiles sum at most
 * LT_AMX_ROWS rows before they are added into float accumulators, which are
 * added into double ones every LT_AMX_FLUSH rows: the tiles' own float sums
 * lose accuracy in proportion to the rows they sum (measured: the error grew
 * linearly from 128 to 16,384 rows, unlike a rounded sum), so they are kept
 * short. The result is as accurate as the ssyrk path (tests/pca/
 * test_pca_gram.c, docs/pca.md).
 *
 * Layout (all per block of LT_AMX_ROWS rows, padded with zero rows; features
 * padded with zero columns to a multiple of 32):
 *   B tiles  16 row pairs x 16 features, each 32-bit element the bf16 pair
 *            (row 2r, row 2r + 1) of one feature: the "VNNI" operand.
 *   A tiles  16 features x 16 row pairs: the same 32-bit elements transposed.
 * The caller gives the center of each batch of rows (a float vector, so
 * that centering is one exact-as-possible float subtraction) and corrects
 * for it in double (replicated.c).
 * A (features g1) times B (features g2) over the rows is the Gram block
 * (g1, g2). Outputs are computed 32 x 32 at a time (four accumulator tiles,
 * two A and two B operand tiles: all eight tile registers), upper triangle
 * only. */
#include "pca_impl.h"
#include "latent/lt_cpu.h"

#include <stdlib.h>
#include <string.h>

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__) && \
    __GNUC__ >= 12
#include <immintrin.h>

#define LT_AMX_ISA "amx-tile,amx-bf16,avx512f,avx512bw,avx512dq,avx512vl,avx512bf16"
#define LT_AMX_FN __attribute__((target(LT_AMX_ISA)))
#define LT_AMX_ROWS 256  /* rows per block: 8 steps of 32 (see header) */
#define LT_AMX_FLUSH 4096 /* rows between float -> double flushes */
#define LT_AMX_PIECES 3
#define LT_AMX_TILE 512  /* bf16 per 1 KB tile */

struct lt_pca_amx {
    int64_t d, ng, npair, nks; /* features, 16-feature groups (even), pairs of groups, 32-row steps */
    uint16_t *bt, *at;         /* [piece][group][step] tiles */
    float *gf;                 /* [upper pair (i, j)][4 tiles][16][16] */
    double *gd;                /* the same layout: the sum of the flushed gf */
    float *mu;                 /* the center of the rows being added, zero-padded to 16 ng */
};
typedef struct lt_pca_amx amx_gram;

typedef struct {
    uint8_t palette, start_row, reserved[14];
    uint16_t colsb[16];
    uint8_t rows[16];
} amx_tilecfg;

/* The CPU level includes the kernel's grant of the tile state (lt_cpu.h). */
int lt_pca_amx_available(void) { return lt_cpu_level() >= LT_ISA_AMX; }

static uint16_t *tile(const amx_gram *g, uint16_t *base, int p, int64_t grp, int64_t ks)
{
    return base + ((p * g->ng + grp) * g->nks + ks) * LT_AMX_TILE;
}

/* Offset of the accumulators of pair (i, j), i <= j, in gf and gd. */
static int64_t acc_at(const amx_gram *g, int64_t i, int64_t j)
{
    return (i * (2 * g->npair - i + 1) / 2 + (j - i)) * 1024;
}

void lt_pca_amx_destroy(lt_pca_amx **gp)
{
    if (!gp || !*gp) return;
    amx_gram *g = *gp;
    free(g->bt);
    free(g->at);
    free(g->gf);
    free(g->gd);
    free(g->mu);
    free(g);
    *gp = NULL;
}

static void *alloc64(size_t bytes) { return aligned_alloc(64, (bytes + 63) / 64 * 64); }

lt_status lt_pca_amx_create(int64_t d, lt_pca_amx **out)
{
    *out = NULL;
    LT_CHECK(lt_pca_amx_available(), LT_ERR_ARG,
             "pca gram_kernel = amx: this CPU or kernel does not offer AMX-BF16 tiles");
    amx_gram *g = calloc(1, sizeof *g);
    LT_CHECK(g != NULL, LT_ERR_MEM, "out of memory for the AMX Gram buffers");
    g->d = d;
    g->ng = (d + 31) / 32 * 2;
    g->npair = g->ng / 2;
    g->nks = LT_AMX_ROWS / 32;
    size_t tiles = (size_t)(LT_AMX_PIECES * g->ng * g->nks) * LT_AMX_TILE * sizeof(uint16_t);
    size_t accs = (size_t)(g->npair * (g->npair + 1) / 2) * 1024;
    g->bt = alloc64(tiles);
    g->at = alloc64(tiles);
    g->gf = alloc64(accs * sizeof(float));
    g->gd = alloc64(accs * sizeof(double));
    g->mu = alloc64(sizeof(float) * (size_t)(g->ng * 16));
    if (!g->bt || !g->at || !g->gf || !g->gd || !g->mu) {
        lt_pca_amx_destroy(&g);
        LT_FAIL(LT_ERR_MEM, "out of memory for the AMX Gram buffers (d = %lld)", (long long)d);
    }
    memset(g->gf, 0, accs * sizeof(float));
    memset(g->gd, 0, accs * sizeof(double));
    memset(g->mu, 0, sizeof(float) * (size_t)(g->ng * 16));
    *out = g;
    return LT_OK;
}

/* y rounded to the nearest bf16 (ties to even), as float bits with the low
 * half zero; y finite. Integer arithmetic on the bits (as fast here as the
 * conversion instruction and its widening back, measured). */
LT_AMX_FN static inline __m512i bf16_round(__m512 y)
{
    __m512i b = _mm512_castps_si512(y);
    __m512i odd = _mm512_and_si512(_mm512_srli_epi32(b, 16), _mm512_set1_epi32(1));
    __m512i t = _mm512_add_epi32(_mm512_add_epi32(b, odd), _mm512_set1_epi32(0x7FFF));
    return _mm512_and_si512(t, _mm512_set1_epi32((int)0xFFFF0000u));
}

/* One B tile row: the bf16 pairs (row 2r, row 2r + 1) of two rows' float
 * bits, truncated (they are exact but for subnormal remainders of values
 * below 2^-110, which tiles read as zero anyway). */
LT_AMX_FN static inline void store_pair(uint16_t *dst, __m512i h0, __m512i h1)
{
    __m512i hi = _mm512_and_si512(h1, _mm512_set1_epi32((int)0xFFFF0000u));
    _mm512_store_si512(dst, _mm512_or_si512(_mm512_srli_epi32(h0, 16), hi));
}

/* Rows 2kk, 2kk + 1 of step ks (r0, r1; NULL: padding rows) of group gi into
 * the three B tiles: y = h + m + l exactly (two nearest roundings leave at
 * most 8 significant bits, which l holds as is). */
LT_AMX_FN static void pack_pair(amx_gram *g, const float *r0, const float *r1, int64_t gi,
                                int64_t ks, int64_t kk)
{
    int64_t j0 = gi * 16;
    __mmask16 mk = j0 + 16 <= g->d ? 0xFFFF : j0 < g->d ? (__mmask16)((1u << (g->d - j0)) - 1) : 0;
    __m512 mu = _mm512_load_ps(g->mu + j0);
    __m512 y0 = r0 ? _mm512_sub_ps(_mm512_maskz_loadu_ps(mk, r0 + j0), mu) : _mm512_setzero_ps();
    __m512 y1 = r1 ? _mm512_sub_ps(_mm512_maskz_loadu_ps(mk, r1 + j0), mu) : _mm512_setzero_ps();
    for (int p = 0; p < LT_AMX_PIECES - 1; p++) {
        __m512i h0 = bf16_round(y0), h1 = bf16_round(y1);
        store_pair(tile(g, g->bt, p, gi, ks) + kk * 32, h0, h1);
        y0 = _mm512_sub_ps(y0, _mm512_castsi512_ps(h0));
        y1 = _mm512_sub_ps(y1, _mm512_castsi512_ps(h1));
    }
    store_pair(tile(g, g->bt, LT_AMX_PIECES - 1, gi, ks) + kk * 32, _mm512_castps_si512(y0),
               _mm512_castps_si512(y1));
}

/* dst = src^T for 16 x 16 32-bit elements (rows of 64 bytes). */
LT_AMX_FN static void transpose16(const uint16_t *src, uint16_t *dst)
{
    __m512i r[16], t[16];
    for (int i = 0; i < 16; i++) r[i] = _mm512_load_si512(src + 32 * i);
    for (int i = 0; i < 8; i++) {
        t[2 * i] = _mm512_unpacklo_epi32(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_epi32(r[2 * i], r[2 * i + 1]);
    }
    /* r[4i + c], 128-bit lane L: column 4L + c of rows 4i .. 4i + 3 */
    for (int i = 0; i < 4; i++) {
        r[4 * i] = _mm512_unpacklo_epi64(t[4 * i], t[4 * i + 2]);
        r[4 * i + 1] = _mm512_unpackhi_epi64(t[4 * i], t[4 * i + 2]);
        r[4 * i + 2] = _mm512_unpacklo_epi64(t[4 * i + 1], t[4 * i + 3]);
        r[4 * i + 3] = _mm512_unpackhi_epi64(t[4 * i + 1], t[4 * i + 3]);
    }
    for (int c = 0; c < 4; c++) {
        __m512i u0 = _mm512_shuffle_i32x4(r[c], r[4 + c], 0x44);
        __m512i u1 = _mm512_shuffle_i32x4(r[c], r[4 + c], 0xEE);
        __m512i v0 = _mm512_shuffle_i32x4(r[8 + c], r[12 + c], 0x44);
        __m512i v1 = _mm512_shuffle_i32x4(r[8 + c], r[12 + c], 0xEE);
        _mm512_store_si512(dst + 32 * c, _mm512_shuffle_i32x4(u0, v0, 0x88));
        _mm512_store_si512(dst + 32 * (4 + c), _mm512_shuffle_i32x4(u0, v0, 0xDD));
        _mm512_store_si512(dst + 32 * (8 + c), _mm512_shuffle_i32x4(u1, v1, 0x88));
        _mm512_store_si512(dst + 32 * (12 + c), _mm512_shuffle_i32x4(u1, v1, 0xDD));
    }
}

/* Rows x[0 .. m) (m <= LT_AMX_ROWS) into the B and A tiles of every piece,
 * one 32-row step and group at a time so that each B tile is transposed
 * while it is in L1. The group's line of each row of the next step (avail:
 * rows readable from x) is prefetched: a step reads 32 rows at once, a
 * pattern the hardware prefetchers follow poorly (measured). */
LT_AMX_FN static void pack_block(amx_gram *g, const float *x, int64_t m, int64_t avail)
{
    int64_t d = g->d;
    for (int64_t ks = 0; ks < g->nks; ks++)
        for (int64_t gi = 0; gi < g->ng; gi++) {
            for (int64_t s = (ks + 1) * 32; gi * 16 < d && s < (ks + 2) * 32 && s < avail; s++)
                _mm_prefetch((const char *)(x + s * d + gi * 16), _MM_HINT_T0);
            for (int64_t kk = 0; kk < 16; kk++) {
                int64_t s = ks * 32 + 2 * kk;
                pack_pair(g, s < m ? x + s * d : NULL, s + 1 < m ? x + (s + 1) * d : NULL, gi, ks,
                          kk);
            }
            for (int p = 0; p < LT_AMX_PIECES; p++)
                transpose16(tile(g, g->bt, p, gi, ks), tile(g, g->at, p, gi, ks));
        }
}

/* Output block (groups 2i, 2i + 1) x (2j, 2j + 1) of this row block into
 * tiles 0-3. B piece q meets A pieces 0 .. 2 - q: the six kept products. */
LT_AMX_FN static void pair_products(const amx_gram *g, int64_t i, int64_t j)
{
    _tile_zero(0);
    _tile_zero(1);
    _tile_zero(2);
    _tile_zero(3);
    for (int64_t ks = 0; ks < g->nks; ks++)
        for (int q = 0; q < LT_AMX_PIECES; q++) {
            _tile_loadd(6, tile(g, g->bt, q, 2 * j, ks), 64);
            _tile_loadd(7, tile(g, g->bt, q, 2 * j + 1, ks), 64);
            for (int p = 0; p < LT_AMX_PIECES - q; p++) {
                _tile_loadd(4, tile(g, g->at, p, 2 * i, ks), 64);
                _tile_loadd(5, tile(g, g->at, p, 2 * i + 1, ks), 64);
                _tile_dpbf16ps(0, 4, 6);
                _tile_dpbf16ps(1, 4, 7);
                _tile_dpbf16ps(2, 5, 6);
                _tile_dpbf16ps(3, 5, 7);
            }
        }
}

LT_AMX_FN static void block_products(amx_gram *g)
{
    float t[1024] __attribute__((aligned(64)));
    for (int64_t i = 0; i < g->npair; i++)
        for (int64_t j = i; j < g->npair; j++) {
            pair_products(g, i, j);
            _tile_stored(0, t, 64);
            _tile_stored(1, t + 256, 64);
            _tile_stored(2, t + 512, 64);
            _tile_stored(3, t + 768, 64);
            float *a = g->gf + acc_at(g, i, j);
            for (int e = 0; e < 1024; e += 16)
                _mm512_store_ps(a + e, _mm512_add_ps(_mm512_load_ps(a + e), _mm512_load_ps(t + e)));
        }
}

/* gd += gf, which is cleared: every LT_AMX_FLUSH rows, so that the float
 * sums stay short. */
LT_AMX_FN static void flush(amx_gram *g)
{
    int64_t len = g->npair * (g->npair + 1) / 2 * 1024;
    for (int64_t e = 0; e < len; e += 8) {
        __m512d f = _mm512_cvtps_pd(_mm256_load_ps(g->gf + e));
        _mm512_store_pd(g->gd + e, _mm512_add_pd(_mm512_load_pd(g->gd + e), f));
    }
    memset(g->gf, 0, (size_t)len * sizeof(float));
}

void lt_pca_amx_finish(lt_pca_amx *g, double *G)
{
    int64_t d = g->d;
    for (int64_t i = 0; i < g->npair; i++)
        for (int64_t j = i; j < g->npair; j++) {
            double *a = g->gd + acc_at(g, i, j);
            for (int t = 0; t < 4; t++)
                for (int64_t r = 0; r < 16; r++) {
                    int64_t f1 = 32 * i + 16 * (t / 2) + r, f2 = 32 * j + 16 * (t % 2);
                    for (int64_t q = f1 > f2 ? f1 - f2 : 0; q < 16 && f2 + q < d; q++)
                        G[(f2 + q) * d + f1] += a[t * 256 + r * 16 + q];
                }
            memset(a, 0, 1024 * sizeof(double));
        }
}

LT_AMX_FN void lt_pca_amx_add(lt_pca_amx *g, const float *x, int64_t m, const float *center)
{
    memcpy(g->mu, center, sizeof(float) * (size_t)g->d);
    amx_tilecfg cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.palette = 1;
    for (int t = 0; t < 8; t++) cfg.colsb[t] = 64, cfg.rows[t] = 16;
    _tile_loadconfig(&cfg);
    int64_t since = 0;
    for (int64_t i0 = 0; i0 < m; i0 += LT_AMX_ROWS) {
        int64_t b = m - i0 < LT_AMX_ROWS ? m - i0 : LT_AMX_ROWS;
        pack_block(g, x + i0 * g->d, b, m - i0);
        block_products(g);
        since += b;
        if (since >= LT_AMX_FLUSH || i0 + b == m) {
            flush(g);
            since = 0;
        }
    }
    _tile_release();
}

#else

int lt_pca_amx_available(void) { return 0; }

lt_status lt_pca_amx_create(int64_t d, lt_pca_amx **out)
{
    (void)d;
    *out = NULL;
    LT_FAIL(LT_ERR_ARG, "pca gram_kernel = amx: this build has no AMX kernel (GCC >= 12, x86-64 Linux)");
}

void lt_pca_amx_add(lt_pca_amx *g, const float *x, int64_t m, const float *center)
{
    (void)g, (void)x, (void)m, (void)center;
}

void lt_pca_amx_finish(lt_pca_amx *g, double *G) { (void)g, (void)G; }

void lt_pca_amx_destroy(lt_pca_amx **g)
{
    if (g) *g = NULL;
}

#endif
