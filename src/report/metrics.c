/* metrics.json: a cJSON document addressed by dotted paths. */
#include "latent/lt_report.h"
#include "report_internal.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


#define LT_KEY_MAX 256

lt_status lt_metrics_create(lt_metrics **out)
{
    lt_metrics *m;
    LT_ALLOC(m, 1);
    m->root = cJSON_CreateObject();
    if (!m->root) {
        free(m);
        LT_FAIL(LT_ERR_MEM, "out of memory creating the metrics document");
    }
    *out = m;
    return LT_OK;
}

void lt_metrics_destroy(lt_metrics **m)
{
    if (!m || !*m) return;
    cJSON_Delete((*m)->root);
    free(*m);
    *m = NULL;
}

/* Splits off the next segment of `path` into key; returns the rest or NULL
 * at the end. An empty or overlong segment is an error. */
static lt_status next_segment(const char *path, const char **rest, char *key)
{
    const char *dot = strchr(path, '.');
    size_t len = dot ? (size_t)(dot - path) : strlen(path);
    LT_CHECK(len > 0, LT_ERR_ARG, "metrics path '%s' has an empty key", path);
    LT_CHECK(len < LT_KEY_MAX, LT_ERR_ARG, "metrics key too long in '%s'", path);
    memcpy(key, path, len);
    key[len] = '\0';
    *rest = dot ? dot + 1 : NULL;
    return LT_OK;
}

/* Walks to the object that holds the last key of `path`, creating objects. */
static lt_status walk_create(cJSON *root, const char *path, cJSON **parent, char *leaf)
{
    LT_CHECK(path && *path, LT_ERR_ARG, "empty metrics path");
    cJSON *node = root;
    const char *p = path, *rest = NULL;
    for (;;) {
        LT_CALL(next_segment(p, &rest, leaf));
        if (!rest) break;
        cJSON *child = cJSON_GetObjectItemCaseSensitive(node, leaf);
        if (!child) {
            child = cJSON_AddObjectToObject(node, leaf);
            LT_CHECK(child, LT_ERR_MEM, "out of memory adding '%s' to metrics", leaf);
        }
        LT_CHECK(cJSON_IsObject(child), LT_ERR_ARG,
                 "metrics path '%s': '%s' already holds a value, not an object", path, leaf);
        node = child;
        p = rest;
    }
    *parent = node;
    return LT_OK;
}

/* Takes ownership of `item` (deleted on failure). */
static lt_status set_item(lt_metrics *m, const char *path, cJSON *item)
{
    LT_CHECK(m, LT_ERR_ARG, "NULL metrics");
    if (!item) LT_FAIL(LT_ERR_MEM, "out of memory creating the metrics value '%s'", path ? path : "");
    cJSON *parent = NULL;
    char leaf[LT_KEY_MAX];
    lt_status st = walk_create(m->root, path, &parent, leaf);
    if (st != LT_OK) {
        cJSON_Delete(item);
        return st;
    }
    if (cJSON_GetObjectItemCaseSensitive(parent, leaf))
        cJSON_ReplaceItemInObjectCaseSensitive(parent, leaf, item);
    else if (!cJSON_AddItemToObject(parent, leaf, item)) {
        cJSON_Delete(item);
        LT_FAIL(LT_ERR_MEM, "out of memory adding '%s' to metrics", path);
    }
    return LT_OK;
}

/* JSON has no NaN or Infinity: null says "not available". */
static cJSON *number(double v) { return isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull(); }

lt_status lt_metrics_set_number(lt_metrics *m, const char *path, double v)
{
    return set_item(m, path, number(v));
}

lt_status lt_metrics_set_string(lt_metrics *m, const char *path, const char *s)
{
    return set_item(m, path, s ? cJSON_CreateString(s) : cJSON_CreateNull());
}

lt_status lt_metrics_set_bool(lt_metrics *m, const char *path, int v)
{
    return set_item(m, path, cJSON_CreateBool(v != 0));
}

lt_status lt_metrics_set_array_d(lt_metrics *m, const char *path, const double *v, int64_t n)
{
    LT_CHECK(n >= 0 && (n == 0 || v), LT_ERR_ARG, "metrics array '%s': bad length or NULL",
             path ? path : "");
    cJSON *a = cJSON_CreateArray();
    for (int64_t i = 0; a && i < n; i++) {
        cJSON *x = number(v[i]);
        if (!x || !cJSON_AddItemToArray(a, x)) {
            cJSON_Delete(x);
            cJSON_Delete(a);
            a = NULL;
        }
    }
    return set_item(m, path, a);
}

lt_status lt_metrics_set_array_i64(lt_metrics *m, const char *path, const int64_t *v,
                                   int64_t n)
{
    LT_CHECK(n >= 0 && (n == 0 || v), LT_ERR_ARG, "metrics array '%s': bad length or NULL",
             path ? path : "");
    cJSON *a = cJSON_CreateArray();
    for (int64_t i = 0; a && i < n; i++) {
        cJSON *x = cJSON_CreateNumber((double)v[i]);
        if (!x || !cJSON_AddItemToArray(a, x)) {
            cJSON_Delete(x);
            cJSON_Delete(a);
            a = NULL;
        }
    }
    return set_item(m, path, a);
}

static double event_wall(const lt_timer *t, int ev, double now)
{
    return t->wall[ev] + (t->running[ev] ? now - t->started[ev] : 0.0);
}

lt_status lt_timing_reduce(lt_comm *c, const lt_timer *t, lt_timing_summary *out)
{
    enum { E = LT_EV_COUNT };
    double now = lt_wtime(), mx[2 * E + 1], mn[E], sum[2 * E];
    int64_t isum[E], imax[E];
    double total = 0;
    for (int e = 0; e < E; e++) {
        double w = event_wall(t, e, now);
        mx[e] = mn[e] = sum[e] = w;
        mx[E + e] = t->comm[e];
        sum[E + e] = t->flops[e];
        isum[e] = t->bytes[e];
        imax[e] = t->count[e];
        if (e < LT_STAGE_COUNT) total += w;
    }
    mx[2 * E] = total;
    LT_CALL(lt_comm_max_d(c, mx, 2 * E + 1));
    LT_CALL(lt_comm_min_d(c, mn, E));
    LT_CALL(lt_comm_sum_d(c, sum, 2 * E));
    LT_CALL(lt_comm_sum_i64(c, isum, E));
    LT_CALL(lt_comm_max_i64(c, imax, E));
    int p = lt_comm_size(c);
    out->nranks = p;
    for (int e = 0; e < E; e++) {
        out->wall_max[e] = mx[e];
        out->wall_min[e] = mn[e];
        out->wall_avg[e] = sum[e] / p;
        out->comm_max[e] = mx[E + e];
        out->flops_total[e] = sum[E + e];
        out->bytes_total[e] = isum[e];
        out->count_max[e] = imax[e];
    }
    out->total_wall_max = mx[2 * E];
    return LT_OK;
}

static lt_status set_event(lt_metrics *m, const char *group, int e, const lt_timing_summary *ts)
{
    static const char *field[] = {"count", "wall_max", "wall_min", "wall_avg", "comm_max",
                                  "bytes_total", "flops_total", "gflops"};
    double w = ts->wall_max[e];
    double v[] = {(double)ts->count_max[e], w, ts->wall_min[e], ts->wall_avg[e],
                  ts->comm_max[e], (double)ts->bytes_total[e], ts->flops_total[e],
                  w > 0 ? 1e-9 * ts->flops_total[e] / w : 0.0};
    int nf = e < LT_STAGE_COUNT ? 6 : 8;
    for (int f = 0; f < nf; f++) {
        char path[128];
        snprintf(path, sizeof path, "timings.%s.%s.%s", group, lt_event_name(e), field[f]);
        LT_CALL(lt_metrics_set_number(m, path, v[f]));
    }
    return LT_OK;
}

static lt_status set_timings(lt_metrics *m, const lt_timing_summary *ts)
{
    LT_CALL(lt_metrics_set_number(m, "timings.ranks", ts->nranks));
    LT_CALL(lt_metrics_set_number(m, "timings.total_wall_max", ts->total_wall_max));
    for (int e = 0; e < LT_EV_COUNT; e++) {
        if (e < LT_STAGE_COUNT ? ts->wall_max[e] <= 0 : ts->count_max[e] == 0) continue;
        LT_CALL(set_event(m, e < LT_STAGE_COUNT ? "stages" : "events", e, ts));
    }
    return LT_OK;
}

lt_status lt_metrics_set_timings(lt_metrics *m, const lt_timer *t, lt_comm *c)
{
    lt_timing_summary ts;
    LT_CALL(lt_timing_reduce(c, t, &ts));
    /* The setters allocate: agreed, so that no rank skips what follows. */
    return lt_comm_agree(c, set_timings(m, &ts));
}
