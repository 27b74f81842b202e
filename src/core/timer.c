#include "latent/lt_timer.h"

#include <string.h>
#include <time.h>

static const char *const event_names[] = {
    "setup",      "data",         "preprocess",     "pca",        "train",
    "encode",     "kmeans",       "scores",         "tsne",       "report",     "io_read",
    "io_write",   "pca_mean",     "pca_gram",       "pca_eigen",  "pca_transform",
    "train_step", "grad_allreduce", "kmeans_init",  "kmeans_iter", "silhouette_ring",
    "tsne_knn",   "tsne_affinity", "tsne_init",     "tsne_exaggerated", "tsne_main",
    "tsne_iter",  "tsne_quality"};
/* One name per stage and event: a new event without a name does not build. */
_Static_assert(sizeof event_names / sizeof event_names[0] == LT_EV_COUNT, "event_names");

const char *lt_event_name(int ev)
{
    return (ev >= 0 && ev < LT_EV_COUNT) ? event_names[ev] : "?";
}

const char *lt_stage_name(lt_stage s)
{
    return (s >= 0 && s < LT_STAGE_COUNT) ? event_names[s] : "?";
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
    t->count[s]++;
    t->current = s;
}

void lt_timer_stop(lt_timer *t, lt_stage s)
{
    if (!t->running[s]) return;
    t->wall[s] += lt_wtime() - t->started[s];
    t->running[s] = 0;
    t->current = LT_STAGE_SETUP;
}

void lt_event_begin(lt_timer *t, lt_event ev)
{
    if (!t || (int)ev < (int)LT_STAGE_COUNT || (int)ev >= (int)LT_EV_COUNT) return;
    t->count[ev]++;
    if (t->running[ev]++) return;
    t->started[ev] = lt_wtime();
}

void lt_event_end(lt_timer *t, lt_event ev, double flops)
{
    if (!t || (int)ev < (int)LT_STAGE_COUNT || (int)ev >= (int)LT_EV_COUNT || !t->running[ev])
        return;
    t->flops[ev] += flops;
    if (--t->running[ev]) return;
    t->wall[ev] += lt_wtime() - t->started[ev];
}

void lt_timer_charge(lt_timer *t, double seconds, int64_t bytes)
{
    if (!t) return;
    t->comm[t->current] += seconds;
    t->bytes[t->current] += bytes;
    for (int ev = LT_STAGE_COUNT; ev < (int)LT_EV_COUNT; ev++) {
        if (!t->running[ev]) continue;
        t->comm[ev] += seconds;
        t->bytes[ev] += bytes;
    }
}
