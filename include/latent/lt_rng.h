/* Counter-based random numbers (Philox4x32-10, Salmon et al. 2011).
 * A draw is a pure function of (seed, stream, global row, draw index), so
 * data, splits, initialisations and samples are identical for any rank
 * count: a rank positions a generator at the rows it owns. Not collective. */
#ifndef LT_RNG_H
#define LT_RNG_H

#include <stdint.h>

/* Streams: one per purpose so that purposes never share random numbers. */
enum {
    LT_STREAM_DATA = 1,     /* generated features */
    LT_STREAM_CENTERS,      /* make_blobs centers */
    LT_STREAM_LABELS,       /* make_blobs label of each row */
    LT_STREAM_NOISE_COLS,   /* extra uniform noise columns */
    LT_STREAM_SPLIT,        /* train/test split keys */
    /* 6 is free: training's epoch order is a keyed permutation (lt_hash.h),
     * not Philox. The values below stay fixed so that results do not change. */
    LT_STREAM_INIT = 7,     /* network weights */
    LT_STREAM_DENOISE,      /* denoising input noise */
    LT_STREAM_KMEANS,       /* k-means initialisation */
    LT_STREAM_SAMPLE,       /* silhouette / figure subsamples */
    LT_STREAM_SC_GENES = 40, /* synthetic counts: gene base means */
    LT_STREAM_SC_DE,        /* synthetic counts: cell-type factors per (type, gene) */
    LT_STREAM_SC_CELLS,     /* synthetic counts: each cell's type, library and counts */
    LT_STREAM_USER = 1000   /* first free stream for new purposes */
};

typedef struct {
    uint32_t key[2];
    uint32_t ctr[4];   /* ctr[0..1] = row, ctr[2] = stream, ctr[3] = block index */
    uint32_t buf[4];
    int used;          /* words of buf already consumed (4 = empty) */
} lt_rng;

/* Positions a generator at (seed, stream, row); draws continue from 0. */
void lt_rng_init(lt_rng *r, uint64_t seed, uint32_t stream, uint64_t row);
uint32_t lt_rng_u32(lt_rng *r);
uint64_t lt_rng_u64(lt_rng *r);
/* Uniform in [0, 1) with 53 random bits. */
double lt_rng_uniform(lt_rng *r);
/* Standard normal (Box-Muller on two uniforms; no cached state). */
double lt_rng_normal(lt_rng *r);
/* Uniform integer in [0, n) without modulo bias. */
uint64_t lt_rng_below(lt_rng *r, uint64_t n);
/* The raw Philox4x32-10 block function (for tests against known answers). */
void lt_philox4x32(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]);

#endif
