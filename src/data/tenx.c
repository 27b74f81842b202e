/* 10x Genomics Cell Ranger .h5 matrices. v3 (Cell Ranger >= 3): /matrix with
 * data, indices, indptr, shape, barcodes and features/{id,name,...}; v1-2:
 * one group per genome with the same arrays plus genes and gene_names.
 * Both are CSC genes x cells, which is byte for byte CSR cells x genes, so
 * each rank reads its cells' slice of indptr and one hyperslab of data and
 * indices (lt_sch5_read_csr). Types vary (real files: int32 data, int64
 * indices and indptr, int32 shape, fixed-length ASCII strings): HDF5
 * converts. Cell Ranger does not sort the gene indices of a cell (the real
 * v3 fixture has them descending): rows are sorted on reading. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sc_internal.h"

/* genes x cells from the group's `shape` data set. */
static lt_status read_shape(hid_t g, const char *path, const char *grp, int64_t *genes,
                            int64_t *cells)
{
    hid_t ds = -1;
    int64_t dims[1] = {0}, v[2] = {0, 0};
    char name[640];
    snprintf(name, sizeof name, "%s/shape", grp);
    LT_CHECK(lt_sch5_is_group(g, "shape") == 0, LT_ERR_FORMAT, "%s: no data set '%s'", path, name);
    LT_CALL(lt_sch5_open_numeric(g, "shape", 1, path, &ds, dims));
    lt_status st = dims[0] == 2 ? lt_sch5_read_small(ds, H5T_NATIVE_INT64, v, path, name)
                                : lt_error_raise(LT_ERR_FORMAT, __FILE__, __LINE__,
                                                 "%s: '%s' has %lld values, expected 2", path,
                                                 name, (long long)dims[0]);
    H5Dclose(ds);
    LT_CALL(st);
    LT_CHECK(v[0] >= 0 && v[1] >= 0, LT_ERR_FORMAT, "%s: '%s' is negative", path, name);
    LT_CALL(lt_sch5_check_shape(path, name, v[1], v[0]));
    *genes = v[0];
    *cells = v[1];
    return LT_OK;
}

typedef struct {
    char names[600];
    int count, groups;
} genome_scan;

static herr_t scan_genome(hid_t loc, const char *name, const H5L_info_t *info, void *data)
{
    (void)info;
    genome_scan *s = data;
    char probe[640], bc[640];
    snprintf(probe, sizeof probe, "%.600s/indptr", name);
    snprintf(bc, sizeof bc, "%.600s/barcodes", name);
    if (lt_sch5_is_group(loc, name) != 1 || !lt_sch5_exists(loc, probe) || !lt_sch5_exists(loc, bc))
        return 0;
    size_t used = strlen(s->names);
    if (s->count++ == 0) snprintf(s->names, sizeof s->names, "%s", name);
    else if (used + 2 < sizeof s->names) snprintf(s->names + used, sizeof s->names - used, ", %s", name);
    return 0;
}

/* The matrix group: /matrix (v3), else the chosen or only genome group (v2). */
static lt_status find_group(hid_t f, const char *path, const char *genome, char *grp, size_t cap,
                            int *v3)
{
    *v3 = 0;
    if (genome && genome[0]) {
        char probe[640];
        snprintf(probe, sizeof probe, "%.600s/indptr", genome);
        LT_CHECK(lt_sch5_exists(f, probe), LT_ERR_FORMAT,
                 "%s: no 10x matrix group '%s' in the file", path, genome);
        snprintf(grp, cap, "%s", genome);
        *v3 = !strcmp(genome, "matrix");
        return LT_OK;
    }
    if (lt_sch5_exists(f, "matrix/indptr")) {
        snprintf(grp, cap, "matrix");
        *v3 = 1;
        return LT_OK;
    }
    genome_scan s = {"", 0, 0};
    H5Literate(f, H5_INDEX_NAME, H5_ITER_INC, NULL, scan_genome, &s);
    LT_CHECK(s.count > 0, LT_ERR_FORMAT,
             "%s: not a 10x Genomics matrix (no /matrix group and no genome group with indptr "
             "and barcodes)",
             path);
    LT_CHECK(s.count == 1, LT_ERR_ARG,
             "%s: the file holds %d genomes (%s): choose one with [data] genome", path, s.count,
             s.names);
    snprintf(grp, cap, "%s", s.names);
    return LT_OK;
}

static lt_status read_names(hid_t g, const char *path, const char *grp, int v3, int symbols,
                            const lt_csr *m, lt_scdata *s)
{
    const char *gene_set = v3 ? (symbols ? "features/name" : "features/id")
                              : (symbols ? "gene_names" : "genes");
    char name[700];
    snprintf(name, sizeof name, "%s/%s", grp, gene_set);
    LT_CALL(lt_sch5_strings(g, gene_set, path, &s->var_names));
    LT_CHECK(s->var_names->n == m->d, LT_ERR_FORMAT, "%s: '%s' names %lld genes, shape says %lld",
             path, name, (long long)s->var_names->n, (long long)m->d);
    snprintf(name, sizeof name, "%s/barcodes", grp);
    LT_CHECK(lt_sch5_is_group(g, "barcodes") == 0, LT_ERR_FORMAT, "%s: no data set '%s'", path,
             name);
    hid_t ds = H5Dopen2(g, "barcodes", H5P_DEFAULT);
    hid_t sp = H5Dget_space(ds);
    hssize_t nb = sp >= 0 ? H5Sget_simple_extent_npoints(sp) : -1;
    if (sp >= 0) H5Sclose(sp);
    lt_status st = nb == m->n ? lt_strlist_create(&s->obs_names)
                              : lt_error_raise(LT_ERR_FORMAT, __FILE__, __LINE__,
                                               "%s: '%s' has %lld barcodes, shape says %lld "
                                               "cells",
                                               path, name, (long long)nb, (long long)m->n);
    if (st == LT_OK) st = lt_sch5_read_strings(ds, m->row0, m->nloc, s->obs_names, path, name);
    H5Dclose(ds);
    return st;
}

static lt_status read_file(lt_comm *c, hid_t f, const char *path, const lt_sc_read_opts *o,
                           lt_scdata *s)
{
    char grp[600];
    int v3 = 0;
    int64_t genes = 0, cells = 0;
    LT_CALL(lt_comm_agree(c, find_group(f, path, o->genome, grp, sizeof grp, &v3)));
    hid_t g = H5Gopen2(f, grp, H5P_DEFAULT);
    lt_status st = lt_comm_agree(c, read_shape(g, path, grp, &genes, &cells));
    /* CSC genes x cells: indptr runs over cells, indices are genes. */
    if (st == LT_OK) st = lt_sch5_read_csr(c, g, path, grp, cells, genes, &s->x);
    if (st == LT_OK) st = lt_comm_agree(c, read_names(g, path, grp, v3, o->gene_symbols, s->x, s));
    H5Gclose(g);
    return st;
}

lt_status lt_tenx_read(lt_comm *c, const char *path, const lt_sc_read_opts *o, lt_scdata **out)
{
    lt_sc_read_opts def;
    if (!o) lt_sc_read_opts_default(&def), o = &def;
    *out = NULL;
    lt_h5_quiet q;
    lt_h5_quiet_on(&q);
    hid_t f = -1;
    lt_scdata *s = NULL;
    lt_status st = lt_sch5_open(c, path, 0, &f);
    if (st == LT_OK) {
        s = lt_calloc(1, sizeof *s);
        st = lt_comm_agree(c, s ? LT_OK : LT_ERR_MEM);
    }
    if (st == LT_OK) st = read_file(c, f, path, o, s);
    if (f >= 0) H5Fclose(f);
    lt_h5_quiet_off(&q);
    if (st != LT_OK) lt_scdata_destroy(&s);
    *out = s;
    return st;
}
