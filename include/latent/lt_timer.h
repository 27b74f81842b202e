/* Per-stage timers: an enum with a parallel array of names (CoMD).
 * Each stage accumulates wall time, time inside MPI (charged by lt_comm) and
 * bytes communicated. lt_timer_reduce gives min/avg/max over ranks. */
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
    LT_STAGE_REPORT,
    LT_STAGE_COUNT
} lt_stage;

typedef struct lt_timer {
    lt_stage current;
    double started[LT_STAGE_COUNT];
    double wall[LT_STAGE_COUNT];
    double comm[LT_STAGE_COUNT];
    int64_t bytes[LT_STAGE_COUNT];
    int running[LT_STAGE_COUNT];
} lt_timer;

const char *lt_stage_name(lt_stage s);
double lt_wtime(void);
void lt_timer_init(lt_timer *t);
/* Starts a stage and makes it the one communication is charged to. */
void lt_timer_start(lt_timer *t, lt_stage s);
void lt_timer_stop(lt_timer *t, lt_stage s);

#endif
