/* The end-of-run comparison table: metric | A | B | note. */
#include "latent/lt_report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define LT_CELL 128

typedef struct {
    int section; /* heading row: only `metric` is used */
    char metric[LT_CELL], a[32], b[32], note[LT_CELL];
} lt_table_row;

struct lt_table {
    char title[LT_CELL], col_a[32], col_b[32];
    lt_table_row *rows;
    int n, cap;
};

lt_status lt_table_create(const char *title, const char *col_a, const char *col_b,
                          lt_table **out)
{
    lt_table *t;
    LT_ALLOC(t, 1);
    snprintf(t->title, sizeof t->title, "%s", title ? title : "");
    snprintf(t->col_a, sizeof t->col_a, "%s", col_a ? col_a : "A");
    snprintf(t->col_b, sizeof t->col_b, "%s", col_b ? col_b : "B");
    *out = t;
    return LT_OK;
}

void lt_table_destroy(lt_table **t)
{
    if (!t || !*t) return;
    free((*t)->rows);
    free(*t);
    *t = NULL;
}

void lt_table_format(double v, char *buf, size_t cap)
{
    double a = fabs(v);
    if (isnan(v)) snprintf(buf, cap, "-");
    else if (isinf(v)) snprintf(buf, cap, v > 0 ? "inf" : "-inf");
    else if (v == 0) snprintf(buf, cap, "0");
    else if (a >= 1e-3 && a < 1e3) snprintf(buf, cap, "%.4f", v);
    else if (a >= 1e3 && a < 1e9) snprintf(buf, cap, "%.1f", v);
    else snprintf(buf, cap, "%.3e", v);
}

static lt_status push(lt_table *t, lt_table_row **row)
{
    LT_CHECK(t, LT_ERR_ARG, "NULL table");
    if (t->n == t->cap) {
        int cap = t->cap ? 2 * t->cap : 16;
        lt_table_row *r = realloc(t->rows, (size_t)cap * sizeof *r);
        LT_CHECK(r, LT_ERR_MEM, "out of memory growing a table to %d rows", cap);
        t->rows = r;
        t->cap = cap;
    }
    *row = &t->rows[t->n++];
    memset(*row, 0, sizeof **row);
    return LT_OK;
}

lt_status lt_table_add(lt_table *t, const char *metric, double a, double b, const char *note)
{
    lt_table_row *r = NULL;
    LT_CALL(push(t, &r));
    snprintf(r->metric, sizeof r->metric, "%s", metric ? metric : "");
    lt_table_format(a, r->a, sizeof r->a);
    lt_table_format(b, r->b, sizeof r->b);
    snprintf(r->note, sizeof r->note, "%s", note ? note : "");
    return LT_OK;
}

lt_status lt_table_add_section(lt_table *t, const char *heading)
{
    lt_table_row *r = NULL;
    LT_CALL(push(t, &r));
    r->section = 1;
    snprintf(r->metric, sizeof r->metric, "%s", heading ? heading : "");
    return LT_OK;
}

static int imax(int a, int b) { return a > b ? a : b; }

static void rule(FILE *f, int width)
{
    for (int i = 0; i < width; i++) fputc('-', f);
    fputc('\n', f);
}

lt_status lt_table_print(const lt_table *t, FILE *f)
{
    LT_CHECK(t && f, LT_ERR_ARG, "NULL table or stream");
    int wm = 6, wa = (int)strlen(t->col_a), wb = (int)strlen(t->col_b), wn = 0;
    for (int i = 0; i < t->n; i++) {
        const lt_table_row *r = &t->rows[i];
        if (r->section) continue;
        wm = imax(wm, (int)strlen(r->metric));
        wa = imax(wa, (int)strlen(r->a));
        wb = imax(wb, (int)strlen(r->b));
        wn = imax(wn, (int)strlen(r->note));
    }
    int width = wm + 2 + wa + 2 + wb + (wn ? 2 + wn : 0);
    if (*t->title) fprintf(f, "%s\n", t->title);
    rule(f, width);
    fprintf(f, "%-*s  %*s  %*s%s%s\n", wm, "metric", wa, t->col_a, wb, t->col_b,
            wn ? "  " : "", wn ? "note" : "");
    rule(f, width);
    for (int i = 0; i < t->n; i++) {
        const lt_table_row *r = &t->rows[i];
        if (r->section) fprintf(f, "%s\n", r->metric);
        else
            fprintf(f, "%-*s  %*s  %*s%s%s\n", wm, r->metric, wa, r->a, wb, r->b,
                    *r->note ? "  " : "", r->note);
    }
    rule(f, width);
    LT_CHECK(fflush(f) == 0 && !ferror(f), LT_ERR_IO, "writing the table failed");
    return LT_OK;
}
