/* Private to src/cluster: sequential kernels (no MPI), and the collective
 * steps built on them (label counts, cluster means, Lloyd, initialisation),
 * each marked "Collective". */
#ifndef LT_CLUSTER_INTERNAL_H
#define LT_CLUSTER_INTERNAL_H

#include <stdint.h>
#include "latent/lt_cpu.h"
#include "latent/lt_dataset.h"

/* Lanes of the transposed float centers used by the assignment kernel. */
int64_t lt_km_lanes(int64_t k);
/* ct (d x kp) = float copy of centers (k x d), padded lanes far away. */
void lt_km_pack_centers(const double *centers, int64_t k, int64_t d, int64_t kp, float *ct);
/* Rows per block of lt_km_block_norms (a multiple of LT_KM_TILE). */
#define LT_KM_NORM_BLOCK 64
/* Rows per tile of the transposed copy read by the AVX-512 kernel. */
#define LT_KM_TILE 16
/* bn[b] = largest Euclidean norm of rows [b * LT_KM_NORM_BLOCK, ...) of x:
 * the bound on |x| that sizes the float distances' rounding error. bn holds
 * lt_km_norm_blocks(nrows) floats. Sequential. */
int64_t lt_km_norm_blocks(int64_t nrows);
void lt_km_block_norms(const float *x, int64_t nrows, int64_t d, float *bn);

/* The local rows as the assignment kernels read them, prepared once per fit
 * (Lloyd reads them every iteration). bn NULL: the portable loop. xt NULL:
 * the row-major kernel; else the full tiles of LT_KM_TILE rows transposed
 * (xt[(b * d + j) * LT_KM_TILE + l] = x[(b * LT_KM_TILE + l) * d + j]), so
 * that the AVX-512 kernel has one row per lane and needs no shuffles. */
typedef struct {
    const float *x;
    int64_t n, d;
    float *bn;
    float *xt;
} lt_km_rows;
/* bn always (LT_ERR_MEM if it cannot be allocated); xt when tiles is set,
 * the CPU has AVX-512 and d <= LT_KM_MAXD_LANES, and memory allows (an extra
 * n x d floats: without it the row-major kernel runs). */
lt_status lt_km_rows_create(const float *x, int64_t n, int64_t d, int tiles, lt_km_rows *r);
void lt_km_rows_destroy(lt_km_rows *r);
void lt_km_tiles(const float *x, int64_t nrows, int64_t d, float *xt);

/* Scratch of lt_km_assign for k centers of d features, allocated once per
 * fit (or predict) so that no assignment pass allocates. The x86 parts are
 * there when k <= LT_KM_MAXK_LANES and d <= LT_KM_MAXD_LANES; acc only with
 * sums (for calls that pass sums). */
typedef struct {
    int64_t k, d;
    float *e2;   /* x86: kp8 x d shifted centers, then kp8 constants (kp8 = k rounded up to 8) */
    double *acc; /* x86: 4 x k x d interleaved sums */
    int64_t *nq; /* x86: k rows per cluster */
    float *w;    /* portable loop: lt_km_lanes(k) float distances */
} lt_km_scratch;
lt_status lt_km_scratch_create(int64_t k, int64_t d, int sums, lt_km_scratch *s);
void lt_km_scratch_destroy(lt_km_scratch *s);

/* Assigns the rows of r to their nearest center. Distances in float, near
 * ties re-decided in double with cd (k x d), first index wins exact ties (as
 * numpy's argmin). If sums != NULL, every row whose label changes moves from
 * its old cluster's sums (k x d) and counts (k), if its old label is >= 0,
 * to its new one's: from labels of -1 they are the full per-cluster sums,
 * later only the change (Lloyd keeps running totals). Returns how many
 * labels differ from lab's previous values. Sequential. */
int64_t lt_km_assign(const lt_km_rows *r, lt_km_scratch *s, const float *ct, int64_t kp, int64_t k,
                     const double *cd, int32_t *lab, double *sums, double *cnt);
/* k-means++ scoring of `lanes` (4 or 8) candidates at once, ct being d x
 * lanes (candidate l in lane l): pot[l] += sum over rows of min(closest[i],
 * |x_i - c_l|^2). Each lane sums its features in order, so a distance is
 * bit for bit lt_cl_sqdist's. Sequential. */
void lt_km_score(const float *x, int64_t nrows, int64_t d, const double *ct, int lanes,
                 const double *closest, double *pot);
/* closest[i] = min(closest[i], |x_i - c|^2) over the rows, each distance
 * bit for bit lt_cl_sqdist's; returns the sum of the new closest[i] in row
 * order. Sequential. */
double lt_km_closest(const float *x, int64_t nrows, int64_t d, const double *c, double *closest);
/* Squared distance between a float row and a double center, in double. */
double lt_cl_sqdist(const float *x, const double *c, int64_t d);
double lt_cl_sqdist_dd(const double *a, const double *b, int64_t d);

/* Index of the nearest center in double (first on ties). */
int lt_km_exact_argmin(const float *x, const double *cd, int64_t k, int64_t d);
/* x86 paths (kernels_x86.c, compiled where LT_CPU_X86), with portable
 * fallbacks. lt_km_assign for k <= LT_KM_MAXK_LANES, d <= LT_KM_MAXD_LANES with AVX2 +
 * FMA (call only if lt_cpu_level() >= LT_ISA_AVX2), on the tiles with AVX-512 when r->xt
 * is set; r->bn and s's x86 parts required. */
#define LT_KM_MAXD_LANES 64
#define LT_KM_MAXK_LANES 256
int64_t lt_km_assign_lanes(const lt_km_rows *r, lt_km_scratch *s, int64_t k, const double *cd,
                           int32_t *lab, double *sums, double *cnt);
/* v[j] = sqrtf(v[j]) for v[j] >= 0. */
void lt_cl_sqrt_inplace(float *v, int64_t n);

/* out[j] = ||xi - y_j|| for the m columns of yt (d x ld, transposed block). */
void lt_cl_dist_row(const float *xi, const float *yt, int64_t ld, int64_t d, int64_t m, float *out);
/* Sum of v[0..n) in double, through 8 double lanes (vectorisable). */
double lt_cl_sum_f(const float *v, int64_t n);
/* acc[j] += v[j] for j < n (double += float). */
void lt_cl_axpy_fd(double *acc, const float *v, int64_t n);

/* Labels checked and compacted: every rank passes n_local labels for X's
 * rows. Collective; agrees the outcome. slot -> compact id in map[] (-1 when
 * the label value has no rows). */
typedef struct lt_labinfo {
    int nslots;     /* max label + 1 */
    int k;          /* distinct labels with rows */
    int *map;       /* nslots: compact id or -1 */
    int *slot;      /* k: label value of compact id */
    int64_t *count; /* k: rows per compact id (global) */
} lt_labinfo;
lt_status lt_labinfo_build(lt_comm *c, int64_t n, int64_t nloc, const int32_t *labels,
                           int64_t n_local, lt_labinfo *li);
void lt_labinfo_free(lt_labinfo *li);
/* Fails with LT_ERR_DATA unless 2 <= li->k <= n - 1 (scikit-learn's rule). */
lt_status lt_labinfo_require_range(const lt_labinfo *li, int64_t n, const char *what);

/* Per-cluster means (k x d) and within sums of squares (k), collective. */
lt_status lt_cluster_means(lt_comm *c, const lt_dataset *X, const int32_t *labels,
                           const lt_labinfo *li, double *means, double *wss);

/* k-means workspace, sized once per fit. */
typedef struct {
    int64_t k, d, kp, trials;
    double *centers, *newc; /* k x d */
    double *buf;            /* k x d sums, k counts, 1 changed-label count */
    double *tot;            /* k x d sums, k counts of the current labels */
    lt_km_rows prep;        /* the local rows prepared for lt_km_assign */
    lt_km_scratch as;       /* lt_km_assign's scratch */
    float *ct;              /* d x kp */
    int32_t *lab;           /* nloc */
    double *closest;        /* k-means++: nloc closest squared distances */
    double *rows;           /* trials x d (at least k x d) fetched rows */
    int64_t *ids;           /* max(trials, k): rows to fetch (init, relocation) */
    int64_t *order;         /* trials: k-means++ targets in increasing order */
    double *target, *cpot;  /* trials: k-means++ targets and candidates' potentials */
    double *ct8;            /* 8 x d: k-means++ candidates, lane-wise */
    double *ranks;          /* nranks: k-means++ potential of each rank */
    double *rlab;           /* k: old labels of relocated rows */
} kmws;

/* Initial centers into w->centers for restart t. Collective. */
lt_status lt_km_init_plusplus(lt_comm *c, const lt_dataset *X, kmws *w, uint64_t seed, int64_t t);
lt_status lt_km_init_random(lt_comm *c, const lt_dataset *X, kmws *w, uint64_t seed, int64_t t);
/* Lloyd iterations from w->centers; leaves centers and labels in w. Collective. */
lt_status lt_km_lloyd(lt_comm *c, const lt_dataset *X, kmws *w, int64_t max_iter, double tol_abs,
                      int64_t *n_iter, int *converged, double *inertia);

/* s distinct indices of [0, n) drawn uniformly (Floyd's algorithm) from the
 * generator (seed, stream, key): the same on every rank. Insertion order;
 * sort for a sorted sample. Not collective. */
lt_status lt_cl_sample_indices(uint64_t seed, uint32_t stream, uint64_t key, int64_t n, int64_t s,
                            int64_t *out);
int lt_cl_cmp_i64(const void *a, const void *b);

#endif
