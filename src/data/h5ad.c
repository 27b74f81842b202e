/* AnnData .h5ad reader (anndata's on-disk format 0.8+, and the 0.7 layout).
 * The matrix (X, layers/NAME or raw/X) is dense (`array`) or a csr_matrix /
 * csc_matrix group, found by its encoding-type attribute (0.6 files:
 * h5sparse_format). Names come from the dataframes' `_index` data sets;
 * labels from one obs column: categorical (codes + categories, or the 0.7
 * codes data set whose `categories` attribute references
 * obs/__categories/NAME), plain or nullable strings and integers (factorised:
 * categories sorted, as pandas does). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h5_internal.h"
#include "sc_internal.h"

typedef enum { M_DENSE, M_CSR, M_CSC } matrix_kind;

/* Which layout the element has; unknown encodings name the element. */
static lt_status matrix_layout(hid_t f, const char *path, const char *elem, matrix_kind *kind,
                               int64_t *shape)
{
    int grp = lt_sch5_is_group(f, elem);
    LT_CHECK(grp >= 0, LT_ERR_FORMAT,
             "%s: no element '%s' (the matrix is X, layers/NAME or raw/X)", path, elem);
    hid_t o = H5Oopen(f, elem, H5P_DEFAULT);
    LT_CHECK(o >= 0, LT_ERR_FORMAT, "%s: cannot open '%s'", path, elem);
    char enc[128] = "";
    int has = lt_sch5_attr_str(o, "encoding-type", enc, sizeof enc);
    lt_status st = LT_OK;
    if (grp) {
        if (has <= 0 && lt_sch5_attr_str(o, "h5sparse_format", enc, sizeof enc) > 0)
            snprintf(enc, sizeof enc, "%s", !strcmp(enc, "csc") ? "csc_matrix" : !strcmp(enc, "csr") ? "csr_matrix" : enc);
        int64_t sh[3] = {0, 0, 0};
        int ns = lt_sch5_attr_ints(o, "shape", sh, 3);
        if (ns == 0) ns = lt_sch5_attr_ints(o, "h5sparse_shape", sh, 3);
        if (!strcmp(enc, "csr_matrix") || !strcmp(enc, "csc_matrix")) {
            *kind = enc[1] == 's' && enc[2] == 'r' ? M_CSR : M_CSC;
            if (ns != 2 || sh[0] < 0 || sh[1] < 0)
                st = lt_error_raise(LT_ERR_FORMAT, __FILE__, __LINE__,
                                    "%s: '%s' (%s) has no valid 2-value shape attribute", path,
                                    elem, enc);
            else
                st = lt_sch5_check_shape(path, elem, sh[0], sh[1]);
            shape[0] = sh[0];
            shape[1] = sh[1];
        } else if (!enc[0]) {
            st = lt_error_raise(LT_ERR_FORMAT, __FILE__, __LINE__,
                                "%s: '%s' is a group without an encoding-type attribute", path,
                                elem);
        } else {
            st = lt_error_raise(LT_ERR_FORMAT, __FILE__, __LINE__,
                                "%s: element '%s' has encoding-type '%s'; latent reads array, "
                                "csr_matrix and csc_matrix",
                                path, elem, enc);
        }
    } else if (has > 0 && strcmp(enc, "array")) {
        st = lt_error_raise(LT_ERR_FORMAT, __FILE__, __LINE__,
                            "%s: element '%s' has encoding-type '%s'; latent reads array, "
                            "csr_matrix and csc_matrix",
                            path, elem, enc);
    } else {
        *kind = M_DENSE;
    }
    H5Oclose(o);
    return st;
}

static lt_status read_matrix(lt_comm *c, hid_t f, const char *path, const char *elem,
                             lt_csr **out)
{
    matrix_kind kind = M_DENSE;
    int64_t shape[2] = {0, 0};
    LT_CALL(lt_comm_agree(c, matrix_layout(f, path, elem, &kind, shape)));
    if (kind == M_DENSE) return lt_sch5_read_dense(c, f, elem, path, out);
    hid_t g = H5Gopen2(f, elem, H5P_DEFAULT);
    lt_status st = kind == M_CSR ? lt_sch5_read_csr(c, g, path, elem, shape[0], shape[1], out)
                                 : lt_sch5_read_csc(c, g, path, elem, shape[0], shape[1], out);
    H5Gclose(g);
    return st;
}

/* The data set holding a dataframe's row names: attribute _index (0.7+). */
static lt_status index_name(hid_t f, const char *df, const char *path, char *buf, size_t cap)
{
    LT_CHECK(lt_sch5_is_group(f, df) == 1, LT_ERR_FORMAT, "%s: no dataframe '%s'", path, df);
    hid_t g = H5Gopen2(f, df, H5P_DEFAULT);
    char idx[256] = "";
    int has = lt_sch5_attr_str(g, "_index", idx, sizeof idx);
    H5Gclose(g);
    LT_CHECK(has > 0, LT_ERR_FORMAT, "%s: dataframe '%s' has no _index attribute", path, df);
    snprintf(buf, cap, "%s/%s", df, idx);
    return LT_OK;
}

static lt_status read_var_names(hid_t f, const char *path, const char *df, int64_t d,
                                lt_strlist **out)
{
    char name[512];
    LT_CALL(index_name(f, df, path, name, sizeof name));
    LT_CALL(lt_sch5_strings(f, name, path, out));
    LT_CHECK((*out)->n == d, LT_ERR_FORMAT, "%s: '%s' names %lld genes but the matrix has %lld",
             path, name, (long long)(*out)->n, (long long)d);
    return LT_OK;
}

static lt_status read_obs_names(hid_t f, const char *path, const lt_csr *m, lt_strlist **out)
{
    char name[512];
    *out = NULL;
    LT_CALL(index_name(f, "obs", path, name, sizeof name));
    hid_t ds = H5Dopen2(f, name, H5P_DEFAULT);
    LT_CHECK(ds >= 0, LT_ERR_FORMAT, "%s: cannot open '%s'", path, name);
    hid_t sp = H5Dget_space(ds);
    hssize_t n = sp >= 0 ? H5Sget_simple_extent_npoints(sp) : -1;
    if (sp >= 0) H5Sclose(sp);
    lt_status st = n == m->n ? lt_strlist_create(out)
                             : lt_error_raise(LT_ERR_FORMAT, __FILE__, __LINE__,
                                              "%s: obs has %lld rows but the matrix has %lld "
                                              "cells",
                                              path, (long long)n, (long long)m->n);
    if (st == LT_OK) st = lt_sch5_read_strings(ds, m->row0, m->nloc, *out, path, name);
    H5Dclose(ds);
    if (st != LT_OK) lt_strlist_destroy(out);
    return st;
}

/* ---- labels ------------------------------------------------------------- */

typedef struct {
    int32_t *codes;      /* all n cells (factorised) or NULL */
    lt_strlist *names;
} label_set;

/* Column names for the "no such column" message. */
static void column_list(hid_t f, char *buf, size_t cap)
{
    buf[0] = '\0';
    hid_t g = H5Gopen2(f, "obs", H5P_DEFAULT);
    H5G_info_t gi;
    if (g < 0 || H5Gget_info(g, &gi) < 0) {
        if (g >= 0) H5Gclose(g);
        return;
    }
    size_t used = 0;
    for (hsize_t i = 0; i < gi.nlinks; i++) {
        char nm[256];
        if (H5Lget_name_by_idx(g, ".", H5_INDEX_NAME, H5_ITER_INC, i, nm, sizeof nm, H5P_DEFAULT) < 0)
            continue;
        if (!strcmp(nm, "__categories")) continue;
        int w = snprintf(buf + used, cap - used, "%s%s", used ? ", " : "", nm);
        if (w < 0 || (size_t)w >= cap - used) break;
        used += (size_t)w;
    }
    H5Gclose(g);
}

typedef struct {
    const char *s;
    int64_t i;
} named;

static int cmp_names(const void *a, const void *b)
{
    return strcmp(((const named *)a)->s, ((const named *)b)->s);
}

static int cmp_num(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Sorted unique names, codes into them; mask (may be NULL) marks missing. */
static lt_status factorise_strings(const lt_strlist *vals, const uint8_t *mask, label_set *ls)
{
    int64_t n = vals->n;
    named *ord = lt_malloc(sizeof *ord * (size_t)(n + 1));
    ls->codes = lt_malloc(sizeof *ls->codes * (size_t)(n + 1));
    if (!ord) free(ls->codes), ls->codes = NULL;
    LT_CHECK(ord && ls->codes, LT_ERR_MEM, "out of memory factorising labels");
    int64_t m = 0;
    for (int64_t i = 0; i < n; i++)
        if (!mask || !mask[i]) ord[m++] = (named){lt_strlist_get(vals, i), i};
    qsort(ord, (size_t)m, sizeof *ord, cmp_names);
    lt_status st = lt_strlist_create(&ls->names);
    for (int64_t i = 0; i < n; i++) ls->codes[i] = -1;
    for (int64_t k = 0; k < m && st == LT_OK; k++) {
        if (k == 0 || strcmp(ord[k].s, ord[k - 1].s))
            st = lt_strlist_push(ls->names, ord[k].s, strlen(ord[k].s));
        ls->codes[ord[k].i] = (int32_t)(ls->names->n - 1);
    }
    free(ord);
    return st;
}

/* A category name from a number: integers as scanpy prints them; a value
 * beyond int64 (outside data: fuzz_h5ad) in %.17g, never converted. */
static int number_name(char *b, size_t cap, double v, int integer)
{
    if (integer && fabs(v) < 9.2e18) return snprintf(b, cap, "%lld", (long long)v);
    return snprintf(b, cap, "%.17g", v);
}

static lt_status factorise_numbers(const double *v, const uint8_t *mask, int64_t n, int integer,
                                   label_set *ls)
{
    double *u = lt_malloc(sizeof *u * (size_t)(n + 1));
    ls->codes = lt_malloc(sizeof *ls->codes * (size_t)(n + 1));
    if (!u) free(ls->codes), ls->codes = NULL;
    LT_CHECK(u && ls->codes, LT_ERR_MEM, "out of memory factorising labels");
    int64_t m = 0;
    for (int64_t i = 0; i < n; i++)
        if ((!mask || !mask[i]) && v[i] == v[i]) u[m++] = v[i];
    qsort(u, (size_t)m, sizeof *u, cmp_num);
    int64_t k = 0;
    for (int64_t i = 0; i < m; i++)
        if (i == 0 || u[i] != u[k - 1]) u[k++] = u[i];
    lt_status st = lt_strlist_create(&ls->names);
    for (int64_t i = 0; i < k && st == LT_OK; i++) {
        char b[64];
        int w = number_name(b, sizeof b, u[i], integer);
        st = lt_strlist_push(ls->names, b, (size_t)w);
    }
    for (int64_t i = 0; i < n && st == LT_OK; i++) {
        ls->codes[i] = -1;
        if ((mask && mask[i]) || v[i] != v[i]) continue;
        double *hit = bsearch(&v[i], u, (size_t)k, sizeof *u, cmp_num);
        ls->codes[i] = (int32_t)(hit - u);
    }
    free(u);
    return st;
}

static hssize_t dset_len(hid_t ds)
{
    hid_t sp = H5Dget_space(ds);
    hssize_t n = sp >= 0 && H5Sget_simple_extent_ndims(sp) == 1 ? H5Sget_simple_extent_npoints(sp) : -1;
    if (sp >= 0) H5Sclose(sp);
    return n;
}

/* Values of a whole 1-D data set (strings or numbers), factorised. */
static lt_status factorise_dset(hid_t ds, const uint8_t *mask, int64_t n, const char *path,
                                const char *name, label_set *ls)
{
    LT_CHECK(dset_len(ds) == n, LT_ERR_FORMAT, "%s: '%s' has %lld values for %lld cells", path,
             name, (long long)dset_len(ds), (long long)n);
    hid_t t = H5Dget_type(ds);
    H5T_class_t cls = H5Tget_class(t);
    H5Tclose(t);
    if (cls == H5T_STRING) {
        lt_strlist *v = NULL;
        LT_CALL(lt_strlist_create(&v));
        lt_status st = lt_sch5_read_strings(ds, 0, n, v, path, name);
        if (st == LT_OK) st = factorise_strings(v, mask, ls);
        lt_strlist_destroy(&v);
        return st;
    }
    LT_CHECK(cls == H5T_INTEGER || cls == H5T_FLOAT || cls == H5T_ENUM, LT_ERR_FORMAT,
             "%s: '%s' holds neither strings nor numbers", path, name);
    LT_CALL(lt_sch5_filters_ok(ds, path, name));
    double *v = lt_malloc(sizeof *v * (size_t)(n + 1));
    LT_CHECK(v, LT_ERR_MEM, "out of memory reading '%s'", name);
    lt_status st = lt_sch5_read_small(ds, H5T_NATIVE_DOUBLE, v, path, name);
    if (st == LT_OK) st = factorise_numbers(v, mask, n, cls != H5T_FLOAT, ls);
    free(v);
    return st;
}

/* Category names of a categorical: strings, or numbers printed. */
static lt_status category_names(hid_t ds, const char *path, const char *name, lt_strlist **out)
{
    hssize_t k = dset_len(ds);
    LT_CHECK(k >= 0, LT_ERR_FORMAT, "%s: '%s' is not 1-D", path, name);
    hid_t t = H5Dget_type(ds);
    H5T_class_t cls = H5Tget_class(t);
    H5Tclose(t);
    LT_CALL(lt_strlist_create(out));
    if (cls == H5T_STRING) return lt_sch5_read_strings(ds, 0, k, *out, path, name);
    LT_CHECK(cls == H5T_INTEGER || cls == H5T_FLOAT, LT_ERR_FORMAT,
             "%s: categories '%s' are neither strings nor numbers", path, name);
    /* (fuzz_h5ad replay: 2^32 declared numeric categories, a 32 GB malloc) */
    LT_CALL(lt_h5_check_stored_size(ds, (double)k, path, name));
    double *v = lt_malloc(sizeof *v * (size_t)(k + 1));
    LT_CHECK(v, LT_ERR_MEM, "out of memory");
    lt_status st = lt_sch5_read_small(ds, H5T_NATIVE_DOUBLE, v, path, name);
    for (hssize_t i = 0; i < k && st == LT_OK; i++) {
        char b[64];
        int w = number_name(b, sizeof b, v[i], cls == H5T_INTEGER);
        st = lt_strlist_push(*out, b, (size_t)w);
    }
    free(v);
    return st;
}

/* Codes of every cell (codes data set, any integer type), checked. */
static lt_status read_codes(hid_t ds, int64_t n, int64_t ncat, const char *path,
                            const char *name, label_set *ls)
{
    LT_CHECK(dset_len(ds) == n, LT_ERR_FORMAT, "%s: '%s' has %lld codes for %lld cells", path,
             name, (long long)dset_len(ds), (long long)n);
    LT_CALL(lt_sch5_filters_ok(ds, path, name));
    ls->codes = lt_malloc(sizeof *ls->codes * (size_t)(n + 1));
    LT_CHECK(ls->codes, LT_ERR_MEM, "out of memory reading '%s'", name);
    LT_CALL(lt_sch5_read_small(ds, H5T_NATIVE_INT32, ls->codes, path, name));
    for (int64_t i = 0; i < n; i++)
        LT_CHECK(ls->codes[i] >= -1 && ls->codes[i] < ncat, LT_ERR_FORMAT,
                 "%s: '%s' code %d of cell %lld is outside the %lld categories", path, name,
                 ls->codes[i], (long long)i, (long long)ncat);
    return LT_OK;
}

static lt_status labels_from_group(hid_t f, const char *col, const char *path, int64_t n,
                                   label_set *ls)
{
    hid_t g = H5Gopen2(f, col, H5P_DEFAULT);
    char enc[128] = "", sub[640];
    lt_sch5_attr_str(g, "encoding-type", enc, sizeof enc);
    lt_status st = LT_OK;
    if (!strcmp(enc, "categorical")) {
        snprintf(sub, sizeof sub, "%s/categories", col);
        hid_t cd = lt_sch5_is_group(f, sub) == 0 ? H5Dopen2(f, sub, H5P_DEFAULT) : -1;
        st = cd >= 0 ? category_names(cd, path, sub, &ls->names)
                     : lt_error_raise(LT_ERR_FORMAT, __FILE__, __LINE__,
                                      "%s: categorical '%s' has no categories", path, col);
        if (cd >= 0) H5Dclose(cd);
        snprintf(sub, sizeof sub, "%s/codes", col);
        hid_t kd = st == LT_OK && lt_sch5_is_group(f, sub) == 0 ? H5Dopen2(f, sub, H5P_DEFAULT) : -1;
        if (st == LT_OK)
            st = kd >= 0 ? read_codes(kd, n, ls->names->n, path, sub, ls)
                         : lt_error_raise(LT_ERR_FORMAT, __FILE__, __LINE__,
                                          "%s: categorical '%s' has no codes", path, col);
        if (kd >= 0) H5Dclose(kd);
    } else if (!strcmp(enc, "nullable-string-array") || !strcmp(enc, "nullable-integer") ||
               !strcmp(enc, "nullable-boolean")) {
        uint8_t *mask = lt_malloc((size_t)n + 1);
        snprintf(sub, sizeof sub, "%s/mask", col);
        hid_t md = lt_sch5_is_group(f, sub) == 0 ? H5Dopen2(f, sub, H5P_DEFAULT) : -1;
        st = mask && md >= 0 && dset_len(md) == n
                 ? lt_sch5_read_small(md, H5T_NATIVE_UINT8, mask, path, sub)
                 : lt_error_raise(LT_ERR_FORMAT, __FILE__, __LINE__,
                                  "%s: '%s' (%s) needs a mask of %lld values", path, col, enc,
                                  (long long)n);
        if (md >= 0) H5Dclose(md);
        snprintf(sub, sizeof sub, "%s/values", col);
        hid_t vd = st == LT_OK && lt_sch5_is_group(f, sub) == 0 ? H5Dopen2(f, sub, H5P_DEFAULT) : -1;
        if (st == LT_OK)
            st = vd >= 0 ? factorise_dset(vd, mask, n, path, sub, ls)
                         : lt_error_raise(LT_ERR_FORMAT, __FILE__, __LINE__,
                                          "%s: '%s' has no values", path, col);
        if (vd >= 0) H5Dclose(vd);
        free(mask);
    } else {
        st = lt_error_raise(LT_ERR_FORMAT, __FILE__, __LINE__,
                            "%s: element '%s' has encoding-type '%s'; labels come from "
                            "categorical, string, nullable or numeric columns",
                            path, col, enc[0] ? enc : "(none)");
    }
    H5Gclose(g);
    return st;
}

/* anndata 0.7: codes data set with a `categories` object reference. */
static int has_ref_categories(hid_t ds)
{
    if (H5Aexists(ds, "categories") <= 0) return 0;
    hid_t a = H5Aopen(ds, "categories", H5P_DEFAULT), t = H5Aget_type(a);
    int ref = H5Tget_class(t) == H5T_REFERENCE;
    H5Tclose(t);
    H5Aclose(a);
    return ref;
}

static lt_status labels_from_dataset(hid_t f, const char *col, const char *path, int64_t n,
                                     label_set *ls)
{
    hid_t ds = H5Dopen2(f, col, H5P_DEFAULT);
    LT_CHECK(ds >= 0, LT_ERR_FORMAT, "%s: cannot open '%s'", path, col);
    lt_status st = LT_OK;
    if (has_ref_categories(ds)) {
        hobj_ref_t ref;
        hid_t a = H5Aopen(ds, "categories", H5P_DEFAULT);
        hid_t cd = H5Aread(a, H5T_STD_REF_OBJ, &ref) >= 0
                       ? H5Rdereference2(ds, H5P_DEFAULT, H5R_OBJECT, &ref)
                       : -1;
        H5Aclose(a);
        st = cd >= 0 ? category_names(cd, path, col, &ls->names)
                     : lt_error_raise(LT_ERR_FORMAT, __FILE__, __LINE__,
                                      "%s: the categories reference of '%s' is broken", path, col);
        if (cd >= 0) H5Dclose(cd);
        if (st == LT_OK) st = read_codes(ds, n, ls->names->n, path, col, ls);
    } else {
        char enc[128] = "";
        lt_sch5_attr_str(ds, "encoding-type", enc, sizeof enc);
        if (enc[0] && strcmp(enc, "string-array") && strcmp(enc, "array"))
            st = lt_error_raise(LT_ERR_FORMAT, __FILE__, __LINE__,
                                "%s: element '%s' has encoding-type '%s'; labels come from "
                                "categorical, string, nullable or numeric columns",
                                path, col, enc);
        else
            st = factorise_dset(ds, NULL, n, path, col, ls);
    }
    H5Dclose(ds);
    return st;
}

static lt_status read_labels(hid_t f, const char *path, const char *key, int64_t n,
                             label_set *ls)
{
    char col[600];
    snprintf(col, sizeof col, "obs/%s", key);
    int kind = strchr(key, '/') ? -1 : lt_sch5_is_group(f, col);
    if (kind < 0) {
        char list[1024];
        column_list(f, list, sizeof list);
        LT_FAIL(LT_ERR_DATA, "%s: obs has no column '%s' (columns: %s)", path, key,
                list[0] ? list : "none");
    }
    return kind ? labels_from_group(f, col, path, n, ls) : labels_from_dataset(f, col, path, n, ls);
}

/* Everything after the matrix: names and labels (all metadata, read by every
 * rank independently; labels keep the rank's own cells). */
static lt_status read_annotations(hid_t f, const char *path, const lt_sc_read_opts *o,
                                  const char *vardf, lt_scdata *s)
{
    LT_CALL(read_var_names(f, path, vardf, s->x->d, &s->var_names));
    LT_CALL(read_obs_names(f, path, s->x, &s->obs_names));
    if (!o->obs_key || !o->obs_key[0]) return LT_OK;
    label_set ls = {NULL, NULL};
    lt_status st = read_labels(f, path, o->obs_key, s->x->n, &ls);
    if (st == LT_OK) {
        s->labels = lt_malloc(sizeof *s->labels * (size_t)(s->x->nloc + 1));
        if (!s->labels) st = LT_ERR_MEM;
        else memcpy(s->labels, ls.codes + s->x->row0, sizeof *s->labels * (size_t)s->x->nloc);
        s->categories = ls.names;
        ls.names = NULL;
    }
    free(ls.codes);
    lt_strlist_destroy(&ls.names);
    return st;
}

static lt_status check_root(hid_t f, const char *path)
{
    char enc[128] = "";
    if (lt_sch5_attr_str(f, "encoding-type", enc, sizeof enc) > 0)
        LT_CHECK(!strcmp(enc, "anndata"), LT_ERR_FORMAT,
                 "%s: element '/' has encoding-type '%s', not 'anndata'", path, enc);
    return LT_OK;
}

lt_status lt_h5ad_read(lt_comm *c, const char *path, const lt_sc_read_opts *o, lt_scdata **out)
{
    lt_sc_read_opts def;
    if (!o) lt_sc_read_opts_default(&def), o = &def;
    *out = NULL;
    const char *elem = o->matrix && o->matrix[0] ? o->matrix : "X";
    const char *vardf = !strncmp(elem, "raw/", 4) ? "raw/var" : "var";
    lt_h5_quiet q;
    lt_h5_quiet_on(&q);
    hid_t f = -1;
    lt_scdata *s = NULL;
    lt_status st = lt_sch5_open(c, path, 0, &f);
    if (st == LT_OK) st = lt_comm_agree(c, check_root(f, path));
    if (st == LT_OK) {
        s = lt_calloc(1, sizeof *s);
        st = lt_comm_agree(c, s ? LT_OK : LT_ERR_MEM);
    }
    if (st == LT_OK) st = read_matrix(c, f, path, elem, &s->x);
    if (st == LT_OK) st = lt_comm_agree(c, read_annotations(f, path, o, vardf, s));
    if (f >= 0) H5Fclose(f);
    lt_h5_quiet_off(&q);
    if (st != LT_OK) lt_scdata_destroy(&s);
    *out = s;
    return st;
}
