/* Writing and reading metrics.json. */
#include "latent/lt_report.h"
#include "report_internal.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


/* Writes `text` to path via a temporary name in the same folder, so a reader
 * never sees a half-written file and a full disk leaves the old file. */
static lt_status write_atomic(const char *path, const char *text)
{
    char tmp[4096];
    int len = snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    LT_CHECK(len > 0 && (size_t)len < sizeof tmp, LT_ERR_ARG, "path too long: %s", path);
    FILE *f = fopen(tmp, "w");
    LT_CHECK(f, LT_ERR_IO, "cannot write %s: %s", path, strerror(errno));
    size_t n = strlen(text);
    int ok = fwrite(text, 1, n, f) == n && fputc('\n', f) != EOF && fflush(f) == 0;
    int err = errno;
    ok = (fclose(f) == 0) && ok;
    if (!ok) {
        remove(tmp);
        LT_FAIL(LT_ERR_IO, "writing %s failed: %s", path, strerror(err ? err : EIO));
    }
    if (rename(tmp, path) != 0) {
        err = errno;
        remove(tmp);
        LT_FAIL(LT_ERR_IO, "cannot rename %s to %s: %s", tmp, path, strerror(err));
    }
    return LT_OK;
}

lt_status lt_metrics_write(lt_comm *c, const lt_metrics *m, const char *path)
{
    lt_status st = LT_OK;
    if (lt_comm_rank(c) == 0) {
        char *text = NULL;
        if (!m || !path || !*path)
            st = lt_error_raise(LT_ERR_ARG, __FILE__, __LINE__, "metrics write: NULL argument");
        else if (!(text = cJSON_Print(m->root)))
            st = lt_error_raise(LT_ERR_MEM, __FILE__, __LINE__, "out of memory printing metrics.json");
        else
            st = write_atomic(path, text);
        cJSON_free(text);
    }
    return lt_comm_agree(c, st);
}

static lt_status slurp(const char *path, char **out)
{
    FILE *f = fopen(path, "rb");
    LT_CHECK(f, LT_ERR_IO, "cannot read %s: %s", path, strerror(errno));
    size_t cap = 4096, n = 0;
    char *buf = lt_malloc(cap);
    lt_status st = buf ? LT_OK : LT_ERR_MEM;
    while (st == LT_OK) {
        n += fread(buf + n, 1, cap - n - 1, f);
        if (n < cap - 1) break;
        char *nb = realloc(buf, cap * 2);
        if (!nb) st = lt_error_raise(LT_ERR_MEM, __FILE__, __LINE__, "reading %s", path);
        else buf = nb, cap *= 2;
    }
    if (st == LT_OK && ferror(f)) st = lt_error_raise(LT_ERR_IO, __FILE__, __LINE__, "error reading %s", path);
    fclose(f);
    if (st != LT_OK) {
        free(buf);
        return st;
    }
    buf[n] = '\0';
    *out = buf;
    return LT_OK;
}

lt_status lt_metrics_read(const char *path, lt_metrics **out)
{
    char *text = NULL;
    LT_CALL(slurp(path, &text));
    cJSON *root = cJSON_Parse(text);
    if (!root || !cJSON_IsObject(root)) {
        const char *at = cJSON_GetErrorPtr();
        long off = root || !at ? 0 : (long)(at - text);
        cJSON_Delete(root);
        free(text);
        LT_FAIL(LT_ERR_FORMAT, "%s is not a JSON object (error near byte %ld)", path, off);
    }
    free(text);
    lt_metrics *m = lt_calloc(1, sizeof *m);
    if (!m) {
        cJSON_Delete(root);
        return LT_ERR_MEM;
    }
    m->root = root;
    *out = m;
    return LT_OK;
}

static const cJSON *find(const lt_metrics *m, const char *path)
{
    if (!m || !path) return NULL;
    const cJSON *node = m->root;
    char key[256];
    while (node && *path) {
        const char *dot = strchr(path, '.');
        size_t len = dot ? (size_t)(dot - path) : strlen(path);
        if (len == 0 || len >= sizeof key) return NULL;
        memcpy(key, path, len);
        key[len] = '\0';
        node = cJSON_GetObjectItemCaseSensitive(node, key);
        path = dot ? dot + 1 : path + len;
    }
    return node;
}

int lt_metrics_has(const lt_metrics *m, const char *path) { return find(m, path) != NULL; }

lt_status lt_metrics_get_number(const lt_metrics *m, const char *path, double *v)
{
    const cJSON *x = find(m, path);
    LT_CHECK(x && (cJSON_IsNumber(x) || cJSON_IsNull(x)), LT_ERR_ARG,
             "metrics: '%s' is missing or not a number", path ? path : "");
    *v = cJSON_IsNull(x) ? NAN : x->valuedouble;
    return LT_OK;
}

lt_status lt_metrics_get_string(const lt_metrics *m, const char *path, const char **s)
{
    const cJSON *x = find(m, path);
    LT_CHECK(cJSON_IsString(x), LT_ERR_ARG, "metrics: '%s' is missing or not a string",
             path ? path : "");
    *s = x->valuestring;
    return LT_OK;
}

lt_status lt_metrics_get_array_d(const lt_metrics *m, const char *path, double **v, int64_t *n)
{
    const cJSON *a = find(m, path);
    LT_CHECK(cJSON_IsArray(a), LT_ERR_ARG, "metrics: '%s' is missing or not an array",
             path ? path : "");
    int64_t k = cJSON_GetArraySize(a), i = 0;
    double *out = lt_calloc((size_t)k + 1, sizeof *out);
    if (!out) return LT_ERR_MEM;
    const cJSON *x;
    cJSON_ArrayForEach(x, a)
    {
        if (!cJSON_IsNumber(x) && !cJSON_IsNull(x)) {
            free(out);
            LT_FAIL(LT_ERR_ARG, "metrics: '%s'[%lld] is not a number", path, (long long)i);
        }
        out[i++] = cJSON_IsNull(x) ? NAN : x->valuedouble;
    }
    *v = out;
    *n = k;
    return LT_OK;
}
