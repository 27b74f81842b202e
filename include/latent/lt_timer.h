/* Timing as registered events (PETSc's -log_view). An event is one named
 * phase; each keeps a count, wall time, the part of that time spent inside
 * MPI (charged by lt_comm), bytes communicated and floating-point operations
 * where the code knows them. Stages (the first LT_STAGE_COUNT events) are
 * exclusive: one is current at a time and the report's stage table adds them
 * up. Kernel events (PCA Gram, eigensolver, train step, ...) nest inside
 * stages and inside each other; communication is charged to the current
 * stage and to every running kernel event. lt_timing_reduce (lt_report.h)
 * gives min/avg/max over ranks. */
#ifndef LT_TIMER_H
#define LT_TIMER_H

#include <stdint.h>

typedef enum {
    LT_STAGE_SETUP = 0,
    LT_STAGE_DATA,
    LT_STAGE_PREPROCESS,
    LT_STAGE_PCA,
    LT_STAGE_TRAIN,
    LT_STAGE_ENCODE,
    LT_STAGE_KMEANS,
    LT_STAGE_SCORES,
    LT_STAGE_TSNE,
    LT_STAGE_REPORT,
    LT_STAGE_COUNT
} lt_stage;

/* Kernel events follow the stages in one numbering, so one table holds all. */
typedef enum {
    LT_EV_IO_READ = LT_STAGE_COUNT, /* collective MPI-IO and HDF5 row reads */
    LT_EV_IO_WRITE,                 /* collective MPI-IO and HDF5 row writes */
    LT_EV_PCA_MEAN,                 /* column means before the Gram matrix */
    LT_EV_PCA_GRAM,                 /* covariance / Gram matrix, reduction included */
    LT_EV_PCA_EIGEN,                /* eigensolver (LAPACK or ScaLAPACK) */
    LT_EV_PCA_TRANSFORM,            /* projection onto the components */
    LT_EV_TRAIN_STEP,               /* one minibatch: forward, backward, update */
    LT_EV_GRAD_ALLREDUCE,           /* the gradient sum of a train step */
    LT_EV_KMEANS_INIT,              /* k-means++ (or random) initialisation */
    LT_EV_KMEANS_ITER,              /* one Lloyd iteration */
    LT_EV_SILHOUETTE_RING,          /* the exact silhouette's ring of row blocks */
    LT_EV_TSNE_KNN,                 /* t-SNE: exact neighbours (ring of row blocks) */
    LT_EV_TSNE_AFFINITY,            /* t-SNE: bandwidth search and symmetric P */
    LT_EV_TSNE_INIT,                /* t-SNE: the starting embedding (PCA or random) */
    LT_EV_TSNE_EXAGGERATED,         /* t-SNE: the early-exaggeration iterations */
    LT_EV_TSNE_MAIN,                /* t-SNE: the iterations after them */
    LT_EV_TSNE_ITER,                /* t-SNE: one gradient-descent iteration (in the two above) */
    LT_EV_TSNE_QUALITY,             /* t-SNE: trustworthiness etc. on the sample */
    LT_EV_COUNT
} lt_event;

typedef struct lt_timer {
    lt_stage current;
    double started[LT_EV_COUNT];
    double wall[LT_EV_COUNT];
    double comm[LT_EV_COUNT];
    int64_t bytes[LT_EV_COUNT];
    double flops[LT_EV_COUNT];
    int64_t count[LT_EV_COUNT];
    int running[LT_EV_COUNT];
} lt_timer;

/* Name of a stage or event ("pca", "pca_gram", ...); "?" if out of range. */
const char *lt_event_name(int ev);
const char *lt_stage_name(lt_stage s);
double lt_wtime(void);
void lt_timer_init(lt_timer *t);
/* Starts a stage and makes it the one communication is charged to. */
void lt_timer_start(lt_timer *t, lt_stage s);
void lt_timer_stop(lt_timer *t, lt_stage s);
/* Kernel events; t may be NULL (no timer attached), then they do nothing.
 * A begin of an event already running is counted but not nested. */
void lt_event_begin(lt_timer *t, lt_event ev);
/* Ends ev and adds `flops` (0 when unknown) to it. */
void lt_event_end(lt_timer *t, lt_event ev, double flops);
/* Adds communication to the current stage and every running kernel event. */
void lt_timer_charge(lt_timer *t, double seconds, int64_t bytes);

#endif
