/* Structure-aware fuzzing of HDF5 inputs (see h5mut.h): a recipe of edits
 * made through the HDF5 library to a valid file, so that the readers' own
 * checks (types, shapes, counts, values, strings, missing objects) are
 * exercised rather than only the library's parser. */
#include "h5mut.h"
#include "fuzz.h"

#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TARGETS 96
#define MAX_WRITE (1 << 20) /* bytes written into a new or edited object */

typedef struct {
    char obj[256];  /* object path ("." for the root) */
    char attr[64];  /* attribute name, or "" for the object itself */
    int is_dataset; /* for objects */
} target;

typedef struct {
    target t[MAX_TARGETS];
    int n;
} targets;

typedef struct {
    const uint8_t *p;
    size_t n;
} stream;

static uint8_t next(stream *s)
{
    if (!s->n) return 0;
    s->n--;
    return *s->p++;
}

/* Bytes for filling data: the rest of the recipe, cycled (zeros if none). */
static void fill(stream *s, void *buf, size_t bytes)
{
    uint8_t *b = buf;
    for (size_t i = 0; i < bytes; i++) b[i] = s->n ? s->p[i % s->n] : 0;
}

static herr_t on_attr(hid_t loc, const char *name, const H5A_info_t *info, void *data)
{
    (void)loc, (void)info;
    targets *ts = data;
    if (ts->n >= MAX_TARGETS) return 1;
    target *t = &ts->t[ts->n];
    memcpy(t->obj, ts->t[ts->n - 1].obj, sizeof t->obj); /* the owner, listed just before */
    snprintf(t->attr, sizeof t->attr, "%s", name);
    ts->n++;
    return 0;
}

static void add_object(targets *ts, hid_t f, const char *name)
{
    if (ts->n >= MAX_TARGETS) return;
    hid_t o = H5Oopen(f, name, H5P_DEFAULT);
    if (o < 0) return;
    target *t = &ts->t[ts->n++];
    snprintf(t->obj, sizeof t->obj, "%s", name);
    t->attr[0] = '\0';
    t->is_dataset = H5Iget_type(o) == H5I_DATASET;
    hsize_t idx = 0;
    H5Aiterate2(o, H5_INDEX_NAME, H5_ITER_NATIVE, &idx, on_attr, ts);
    H5Oclose(o);
}

typedef struct {
    targets *ts;
    hid_t f;
} visit_ctx;

static herr_t on_link(hid_t g, const char *name, const H5L_info_t *info, void *data)
{
    (void)g;
    visit_ctx *v = data;
    if (info->type == H5L_TYPE_HARD) add_object(v->ts, v->f, name);
    return v->ts->n >= MAX_TARGETS;
}

static void list_targets(hid_t f, targets *ts)
{
    ts->n = 0;
    add_object(ts, f, ".");
    visit_ctx v = {ts, f};
    H5Lvisit(f, H5_INDEX_NAME, H5_ITER_NATIVE, on_link, &v);
}

/* Dimension from one byte: small sizes mostly, a few extreme ones. */
static hsize_t dim_of(uint8_t b)
{
    static const hsize_t big[6] = {65536, 2147483647ull, 2147483648ull, 4294967297ull,
                                   1ull << 40, 1ull << 62};
    return b < 250 ? b % 20 : big[b - 250];
}

static hid_t type_of(uint8_t b, uint8_t len)
{
    hid_t t;
    switch (b % 10) {
    case 0: return H5Tcopy(H5T_NATIVE_INT8);
    case 1: return H5Tcopy(H5T_NATIVE_UINT8);
    case 2: return H5Tcopy(H5T_NATIVE_INT16);
    case 3: return H5Tcopy(H5T_NATIVE_INT32);
    case 4: return H5Tcopy(H5T_NATIVE_INT64);
    case 5: return H5Tcopy(H5T_NATIVE_UINT64);
    case 6: return H5Tcopy(H5T_NATIVE_FLOAT);
    case 7: return H5Tcopy(H5T_NATIVE_DOUBLE);
    default:
        t = H5Tcopy(H5T_C_S1);
        H5Tset_size(t, b % 10 == 8 ? (size_t)(len % 32 + 1) : H5T_VARIABLE);
        return t;
    }
}

static hid_t space_of(stream *s)
{
    int rank = next(s) % 4;
    if (rank == 0) return H5Screate(H5S_SCALAR);
    hsize_t dims[3];
    for (int i = 0; i < rank; i++) dims[i] = dim_of(next(s));
    return H5Screate_simple(rank, dims, NULL);
}

/* Writes elements into a new object when they fit: numbers and fixed
 * strings from the recipe's bytes; variable strings cut from them. */
static void write_new(hid_t obj, int is_attr, hid_t type, hid_t space, stream *s)
{
    hssize_t npts = H5Sget_simple_extent_npoints(space);
    size_t esize = H5Tget_size(type);
    int vlen = H5Tis_variable_str(type) > 0;
    if (npts <= 0 || (size_t)npts > MAX_WRITE / (vlen ? 16 : esize)) return;
    char **strs = NULL;
    void *buf = NULL;
    if (vlen) {
        strs = calloc((size_t)npts, sizeof *strs);
        for (hssize_t i = 0; strs && i < npts; i++) {
            size_t len = next(s) % 24;
            strs[i] = calloc(len + 1, 1);
            if (strs[i]) fill(s, strs[i], len);
            for (size_t j = 0; strs[i] && j < len; j++)
                if (!strs[i][j]) strs[i][j] = 'a'; /* C strings */
        }
        buf = strs;
    } else {
        buf = malloc((size_t)npts * esize);
        if (buf) fill(s, buf, (size_t)npts * esize);
    }
    if (buf && is_attr) H5Awrite(obj, type, buf);
    if (buf && !is_attr) H5Dwrite(obj, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
    for (hssize_t i = 0; strs && i < npts; i++) free(strs[i]);
    free(buf);
}

static void remove_target(hid_t f, const target *t)
{
    if (t->attr[0]) H5Adelete_by_name(f, t->obj, t->attr, H5P_DEFAULT);
    else if (strcmp(t->obj, ".")) H5Ldelete(f, t->obj, H5P_DEFAULT);
}

/* A new object or attribute where the target was (or, for a group target
 * and a new attribute, on it under `name`). */
static void create_at(hid_t f, const target *t, const char *attr_name, stream *s)
{
    uint8_t tb = next(s), len = next(s);
    hid_t type = type_of(tb, len), space = space_of(s);
    if (type < 0 || space < 0) goto done;
    if (attr_name) {
        if (H5Aexists_by_name(f, t->obj, attr_name, H5P_DEFAULT) > 0)
            H5Adelete_by_name(f, t->obj, attr_name, H5P_DEFAULT);
        hid_t a = H5Acreate_by_name(f, t->obj, attr_name, type, space, H5P_DEFAULT, H5P_DEFAULT,
                                    H5P_DEFAULT);
        if (a >= 0) write_new(a, 1, type, space, s), H5Aclose(a);
    } else if (strcmp(t->obj, ".")) {
        H5Ldelete(f, t->obj, H5P_DEFAULT);
        hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
        H5Pset_create_intermediate_group(lcpl, 1);
        hid_t d = H5Dcreate2(f, t->obj, type, space, lcpl, H5P_DEFAULT, H5P_DEFAULT);
        H5Pclose(lcpl);
        if (d >= 0) write_new(d, 0, type, space, s), H5Dclose(d);
    }
done:
    if (type >= 0) H5Tclose(type);
    if (space >= 0) H5Sclose(space);
}

/* Opens the target's data (attribute or dataset); *is_attr set. */
static hid_t open_data(hid_t f, const target *t, int *is_attr)
{
    *is_attr = t->attr[0] != '\0';
    if (*is_attr) return H5Aopen_by_name(f, t->obj, t->attr, H5P_DEFAULT, H5P_DEFAULT);
    return t->is_dataset ? H5Dopen2(f, t->obj, H5P_DEFAULT) : -1;
}

/* Overwrites an existing numeric object's values: one element set to an
 * extreme value (op 2) or every element from the recipe's bytes (op 3). */
static void edit_values(hid_t f, const target *t, int all, stream *s)
{
    static const double extreme[16] = {0,       -1,          1,         2147483647.0, -2147483648.0,
                                       4294967297.0, 9.3e18, -9.3e18, 1e30,     -1e30,
                                       NAN,     INFINITY,    -INFINITY, 0.5,          255,
                                       1e-40};
    int is_attr;
    hid_t o = open_data(f, t, &is_attr);
    if (o < 0) return;
    hid_t type = is_attr ? H5Aget_type(o) : H5Dget_type(o);
    hid_t space = is_attr ? H5Aget_space(o) : H5Dget_space(o);
    H5T_class_t cls = type >= 0 ? H5Tget_class(type) : H5T_NO_CLASS;
    hssize_t npts = space >= 0 ? H5Sget_simple_extent_npoints(space) : -1;
    if ((cls == H5T_INTEGER || cls == H5T_FLOAT) && npts > 0 && npts <= MAX_WRITE / 8) {
        double *v = calloc((size_t)npts, sizeof *v);
        herr_t rc = !v ? -1
                    : is_attr ? H5Aread(o, H5T_NATIVE_DOUBLE, v)
                              : H5Dread(o, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v);
        if (rc >= 0 && all) {
            for (hssize_t i = 0; i < npts; i++) v[i] = extreme[next(s) % 16];
        } else if (rc >= 0) {
            uint8_t i = next(s);
            v[i % npts] = extreme[next(s) % 16];
        }
        if (rc >= 0 && is_attr) {
            /* Not H5Awrite on the open attribute: after an attribute created
             * in this session (op 4), HDF5 1.10's H5O__attr_write copies the
             * converted doubles into a buffer of the file type's size (heap
             * overflow in the library's write path, not in any reader; found
             * by fuzz_h5, corpus/h5/crash-c192f3f6...). A new attribute with
             * the same name, type and shape gets the values instead. */
            H5Aclose(o);
            o = -1;
            H5Adelete_by_name(f, t->obj, t->attr, H5P_DEFAULT);
            hid_t a = H5Acreate_by_name(f, t->obj, t->attr, type, space, H5P_DEFAULT, H5P_DEFAULT,
                                        H5P_DEFAULT);
            if (a >= 0) H5Awrite(a, H5T_NATIVE_DOUBLE, v), H5Aclose(a);
        }
        if (rc >= 0 && !is_attr) H5Dwrite(o, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v);
        free(v);
    }
    if (type >= 0) H5Tclose(type);
    if (space >= 0) H5Sclose(space);
    if (o >= 0) is_attr ? H5Aclose(o) : H5Dclose(o);
}

/* Names the readers look for, so that added attributes can matter. */
static const char *attr_names[] = {
    "format",      "format_version", "version",       "encoding-type", "encoding-version",
    "shape",       "h5sparse_shape", "_index",        "column-order",  "categories",
    "ordered",     "n_components",   "n_features",    "method",        "precision",
    "activations", "widths",         "epoch",         "step",          "optimizer",
    "loss",        "bottleneck",     "l2",            "init_seed",     "train_seed",
    "scale",       "mean",           "components",    "explained_variance"};

int lt_fuzz_h5_apply(const char *path, const uint8_t *recipe, size_t size)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    if (f < 0) return -1;
    stream s = {recipe, size};
    targets *ts = malloc(sizeof *ts);
    for (int ops = 0; ts && s.n >= 2 && ops < 8; ops++) {
        list_targets(f, ts);
        if (!ts->n) break;
        uint8_t op = next(&s);
        const target *t = &ts->t[next(&s) % ts->n];
        if (getenv("LT_FUZZ_TRACE")) fprintf(stderr, "op %d on %s @%s\n", op % 6, t->obj, t->attr);
        switch (op % 6) {
        case 0: remove_target(f, t); break;
        case 1: create_at(f, t, t->attr[0] ? t->attr : NULL, &s); break;
        case 2: edit_values(f, t, 0, &s); break;
        case 3: edit_values(f, t, 1, &s); break;
        case 4:
            create_at(f, t, attr_names[next(&s) % (sizeof attr_names / sizeof *attr_names)], &s);
            break;
        case 5: /* the same object under another name, or the target's attribute moved up */
            if (!t->attr[0] && strcmp(t->obj, ".")) {
                char to[300];
                snprintf(to, sizeof to, "%s_%u", t->obj, next(&s) % 4);
                H5Lmove(f, t->obj, f, to, H5P_DEFAULT, H5P_DEFAULT);
            }
            break;
        }
    }
    free(ts);
    H5Fclose(f);
    return 0;
}

/* Copies a file (the base of a recipe) byte for byte. */
int lt_fuzz_copy(const char *from, const char *to)
{
    FILE *a = fopen(from, "rb"), *b = a ? fopen(to, "wb") : NULL;
    char buf[1 << 15];
    size_t n;
    int ok = a && b;
    while (ok && (n = fread(buf, 1, sizeof buf, a)) > 0) ok = fwrite(buf, 1, n, b) == n;
    if (a) fclose(a);
    if (b && fclose(b) != 0) ok = 0;
    return ok ? 0 : -1;
}

const char *lt_fuzz_h5_file(const char *name, const char *base, int raw, const uint8_t *data,
                            size_t size)
{
    static char path[512];
    if (raw) {
        const char *p = lt_fuzz_write(name, data, size);
        if (!p) return NULL;
        snprintf(path, sizeof path, "%s", p);
        return path;
    }
    snprintf(path, sizeof path, "%s", lt_fuzz_path(name));
    if (lt_fuzz_copy(base, path) != 0) return NULL;
    lt_fuzz_h5_apply(path, data, size);
    return path;
}
