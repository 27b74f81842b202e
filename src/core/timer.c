#include "latent/lt_timer.h"

#include <string.h>
#include <time.h>

static const char *stage_names[LT_STAGE_COUNT] = {
    "setup", "data", "preprocess", "pca", "train", "encode", "kmeans", "scores", "report"};

const char *lt_stage_name(lt_stage s)
{
    return (s >= 0 && s < LT_STAGE_COUNT) ? stage_names[s] : "?";
}

double lt_wtime(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void lt_timer_init(lt_timer *t)
{
    memset(t, 0, sizeof *t);
    t->current = LT_STAGE_SETUP;
}

void lt_timer_start(lt_timer *t, lt_stage s)
{
    t->started[s] = lt_wtime();
    t->running[s] = 1;
    t->current = s;
}

void lt_timer_stop(lt_timer *t, lt_stage s)
{
    if (!t->running[s]) return;
    t->wall[s] += lt_wtime() - t->started[s];
    t->running[s] = 0;
    t->current = LT_STAGE_SETUP;
}
