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
        LT_FAIL(LT_ERR_MEM, "cannot create JSON document");
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
            LT_CHECK(child, LT_ERR_MEM, "cannot add '%s' to metrics", leaf);
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
    if (!item) LT_FAIL(LT_ERR_MEM, "cannot create JSON value for '%s'", path ? path : "");
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
        LT_FAIL(LT_ERR_MEM, "cannot add '%s' to metrics", path);
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

lt_status lt_timing_reduce(lt_comm *c, const lt_timer *t, lt_timing_summary *out)
{
    enum { S = LT_STAGE_COUNT };
    double now = lt_wtime(), mx[2 * S + 1], mn[S], sum[S];
    int64_t bytes[S];
    double total = 0;
    for (int s = 0; s < S; s++) {
        double w = t->wall[s] + (t->running[s] ? now - t->started[s] : 0.0);
        mx[s] = mn[s] = sum[s] = w;
        mx[S + s] = t->comm[s];
        bytes[s] = t->bytes[s];
        total += w;
    }
    mx[2 * S] = total;
    LT_CALL(lt_comm_max_d(c, mx, 2 * S + 1));
    LT_CALL(lt_comm_min_d(c, mn, S));
    LT_CALL(lt_comm_sum_d(c, sum, S));
    LT_CALL(lt_comm_sum_i64(c, bytes, S));
    out->nranks = c->size;
    for (int s = 0; s < S; s++) {
        out->wall_max[s] = mx[s];
        out->wall_min[s] = mn[s];
        out->wall_avg[s] = sum[s] / c->size;
        out->comm_max[s] = mx[S + s];
        out->bytes_total[s] = bytes[s];
    }
    out->total_wall_max = mx[2 * S];
    return LT_OK;
}

lt_status lt_metrics_set_timings(lt_metrics *m, const lt_timer *t, lt_comm *c)
{
    lt_timing_summary ts;
    LT_CALL(lt_timing_reduce(c, t, &ts));
    LT_CALL(lt_metrics_set_number(m, "timings.ranks", ts.nranks));
    LT_CALL(lt_metrics_set_number(m, "timings.total_wall_max", ts.total_wall_max));
    for (int s = 0; s < LT_STAGE_COUNT; s++) {
        if (ts.wall_max[s] <= 0) continue;
        static const char *field[] = {"wall_max", "wall_min", "wall_avg", "comm_max",
                                      "bytes_total"};
        double v[] = {ts.wall_max[s], ts.wall_min[s], ts.wall_avg[s], ts.comm_max[s],
                      (double)ts.bytes_total[s]};
        for (int f = 0; f < 5; f++) {
            char path[128];
            snprintf(path, sizeof path, "timings.stages.%s.%s", lt_stage_name((lt_stage)s),
                     field[f]);
            LT_CALL(lt_metrics_set_number(m, path, v[f]));
        }
    }
    return LT_OK;
}
