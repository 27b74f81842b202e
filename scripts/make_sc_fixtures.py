#!/usr/bin/python3
"""Writes the single-cell format fixtures that tests/data/mpitest_sc_*.c read,
with python3-anndata's and h5py's own writers, so latent's readers are checked
against the real formats.

Run: /usr/bin/python3 scripts/make_sc_fixtures.py  (writes tests/fixtures/sc/)
Needs Debian's python3-anndata (0.8), python3-h5py, python3-scipy.

The small matrix: COUNTS below, 9 cells x 7 genes (4 ranks hold 3, 3, 3 and 0
cells), cell 4 and gene 2 all zero. Every format below stores these counts
(or a scaled copy, said where), and counts.npy holds them dense (float32) so
the C tests compare each reader's rows with the same truth.

The real matrices: the two Cell Ranger files of ../shared/data/tenx/
(subsets of 10x Genomics' public PBMC data, copied from scanpy's test data),
copied here, plus the v3 one rewritten as .h5ad (anndata) and as a gzipped
Matrix Market directory, so the three forms of one real matrix can be
compared; tenx_v*_summary.npy hold per-cell sums for the tests.
"""
import gzip
import os
import shutil

import anndata as ad
import h5py
import numpy as np
import pandas as pd
import scipy.sparse as sp

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "tests", "fixtures", "sc")
TENX = os.path.join(HERE, "..", "..", "shared", "data", "tenx")
if not os.path.isdir(TENX):
    TENX = "/work/shared/data/tenx"

COUNTS = np.array(
    [
        [3, 0, 0, 1, 0, 0, 7],
        [0, 2, 0, 0, 0, 5, 0],
        [1, 1, 0, 0, 4, 0, 0],
        [0, 0, 0, 9, 0, 0, 1],
        [0, 0, 0, 0, 0, 0, 0],
        [6, 0, 0, 0, 2, 0, 3],
        [0, 8, 0, 1, 0, 1, 0],
        [2, 0, 0, 0, 0, 4, 0],
        [0, 3, 0, 5, 1, 0, 2],
    ],
    dtype=np.float32,
)
N, D = COUNTS.shape
GENES = [f"Gene{j}" for j in range(D)]
CELLS = [f"cell{i}" for i in range(N)]
# Categorical labels with a missing value (code -1) and a category no cell uses.
TYPES = pd.Categorical(
    ["T", "B", "T", "NK", "B", None, "T", "NK", "B"], categories=["B", "NK", "T", "unused"]
)
DONORS = ["d1", "d2", "d1", "d1", "d3", "d2", "d2", "d3", "d1"]


def path(name):
    return os.path.join(OUT, name)


def csr(a, data=np.float32, index=np.int32):
    m = sp.csr_matrix(a.astype(data))
    m.indices = m.indices.astype(index)
    m.indptr = m.indptr.astype(index)
    return m


def base_anndata(x):
    obs = pd.DataFrame(
        {"cell_type": TYPES, "donor": DONORS, "n_counts": COUNTS.sum(1).astype(np.int64)},
        index=CELLS,
    )
    var = pd.DataFrame({"gene_ids": [f"ENSG{j:05d}" for j in range(D)]}, index=GENES)
    return ad.AnnData(X=x, obs=obs, var=var)


def h5ad_files():
    # X as CSR (float32, int32 indices) with every dtype/layout as layers.
    a = base_anndata(csr(COUNTS))
    a.layers["f64_i64"] = csr(COUNTS, np.float64, np.int64)
    a.layers["i32"] = csr(COUNTS, np.int32)
    a.layers["u32"] = csr(COUNTS, np.uint32)
    a.layers["i64"] = csr(COUNTS, np.int64, np.int64)
    a.layers["dense"] = COUNTS.copy()
    a.layers["csc"] = sp.csc_matrix(COUNTS)
    # raw: twice the counts over 8 genes (the 7 plus one more), as CELLxGENE
    # keeps counts in raw/X with its own var.
    raw = np.hstack([2 * COUNTS, np.arange(N, dtype=np.float32)[:, None]])
    r = ad.AnnData(X=csr(raw), var=pd.DataFrame(index=GENES + ["RawOnly"]), obs=a.obs[[]])
    a.raw = r
    a.write_h5ad(path("fmt_csr.h5ad"))
    # X as CSC, as dense float64, as dense int32.
    base_anndata(sp.csc_matrix(COUNTS)).write_h5ad(path("fmt_csc.h5ad"))
    base_anndata(COUNTS.astype(np.float64)).write_h5ad(path("fmt_dense.h5ad"))
    # lzf (h5py's own filter, id 32000): readable only with hdf5-plugin-lzf.
    base_anndata(csr(COUNTS)).write_h5ad(path("fmt_lzf.h5ad"), compression="lzf")
    # Unsorted indices inside rows (scipy allows them): the reader sorts.
    m = csr(COUNTS)
    for i in range(N):
        s, e = m.indptr[i], m.indptr[i + 1]
        m.indices[s:e] = m.indices[s:e][::-1].copy()
        m.data[s:e] = m.data[s:e][::-1].copy()
    m.has_sorted_indices = False
    base_anndata(m).write_h5ad(path("fmt_unsorted.h5ad"))
    nullable_file()


def nullable_file():
    """anndata >= 0.11 writes string columns as nullable-string-array groups and
    0.8 writes nullable-integer; 0.8 cannot write the former, so it is built
    here with h5py in anndata's documented layout (values + mask)."""
    p = path("fmt_nullable.h5ad")
    base_anndata(csr(COUNTS)).write_h5ad(p)
    with h5py.File(p, "r+") as f:
        obs = f["obs"]
        g = obs.create_group("batch")
        g.attrs["encoding-type"] = "nullable-string-array"
        g.attrs["encoding-version"] = "0.1.0"
        vals = ["b2", "b1", "b1", "", "b2", "b1", "b2", "b1", "b2"]
        g.create_dataset("values", data=np.array(vals, dtype=object), dtype=h5py.string_dtype())
        g.create_dataset("mask", data=np.array([v == "" for v in vals]))
        gi = obs.create_group("plate")
        gi.attrs["encoding-type"] = "nullable-integer"
        gi.attrs["encoding-version"] = "0.1.0"
        gi.create_dataset("values", data=np.array([3, 1, 3, 1, 0, 3, 1, 1, 3], np.int64))
        gi.create_dataset("mask", data=np.array([0, 0, 0, 0, 1, 0, 0, 0, 0], bool))
        # A plain string-array column (anndata 0.8 turns repeated strings
        # into categoricals when writing, so this one is written directly).
        ds = obs.create_dataset("donor_str", data=np.array(DONORS, dtype=object),
                                dtype=h5py.string_dtype())
        ds.attrs["encoding-type"] = "string-array"
        ds.attrs["encoding-version"] = "0.2.0"
        order = list(obs.attrs["column-order"]) + ["batch", "plate", "donor_str"]
        obs.attrs["column-order"] = np.array(order, dtype=object)
    # anndata 0.8 predates nullable-string-array and cannot read this file back.


def tenx_v3(p, m_cells_by_genes, barcodes, genes):
    """Cell Ranger 3 layout: CSC genes x cells == CSR cells x genes, with the
    types the real file has (int32 data, int64 indices and indptr, int32 shape,
    fixed-length ASCII strings)."""
    m = m_cells_by_genes.tocsr()
    with h5py.File(p, "w") as f:
        f.attrs["filetype"] = "matrix"
        f.attrs["version"] = 2
        g = f.create_group("matrix")
        g.create_dataset("barcodes", data=np.array(barcodes, dtype="S"))
        g.create_dataset("data", data=m.data.astype(np.int32), compression="gzip")
        g.create_dataset("indices", data=m.indices.astype(np.int64), compression="gzip")
        g.create_dataset("indptr", data=m.indptr.astype(np.int64), compression="gzip")
        g.create_dataset("shape", data=np.array([m.shape[1], m.shape[0]], np.int32))
        ft = g.create_group("features")
        ft.create_dataset("_all_tag_keys", data=np.array([b"genome"]))
        ft.create_dataset("feature_type", data=np.array([b"Gene Expression"] * m.shape[1]))
        ft.create_dataset("genome", data=np.array([b"test"] * m.shape[1]))
        ft.create_dataset("id", data=np.array([f"ENSG{j:05d}" for j in range(m.shape[1])], "S"))
        ft.create_dataset("name", data=np.array(genes, dtype="S"))


def mtx_dir(d, m_cells_by_genes, barcodes, genes, gz, v2=False, metadata=False):
    """Matrix Market as Cell Ranger writes it: genes x cells, 1-based, grouped
    by cell, genes inside a cell not sorted (reversed here on purpose)."""
    os.makedirs(d, exist_ok=True)
    op = (lambda n: gzip.open(os.path.join(d, n + ".gz"), "wt")) if gz else (
        lambda n: open(os.path.join(d, n), "w"))
    m = m_cells_by_genes.tocsr()
    with op("matrix.mtx") as f:
        f.write("%%MatrixMarket matrix coordinate integer general\n")
        if metadata:
            f.write('%metadata_json: {"format_version": 2, "software_version": "test"}\n')
        f.write(f"{m.shape[1]} {m.shape[0]} {m.nnz}\n")
        for i in range(m.shape[0]):
            s, e = m.indptr[i], m.indptr[i + 1]
            for k in range(e - 1, s - 1, -1):
                f.write(f"{m.indices[k] + 1} {i + 1} {int(m.data[k])}\n")
    with op("barcodes.tsv") as f:
        for b in barcodes:
            f.write(b + "\n")
    with op("genes.tsv" if v2 else "features.tsv") as f:
        for j, g in enumerate(genes):
            if v2:
                f.write(f"ENSG{j:05d}\t{g}\n")
            else:
                f.write(f"ENSG{j:05d}\t{g}\tGene Expression\n")


def small_other_forms():
    m = sp.csr_matrix(COUNTS)
    tenx_v3(path("fmt_10x_v3.h5"), m, CELLS, GENES)
    mtx_dir(path("fmt_mtx"), m, CELLS, GENES, gz=False)
    mtx_dir(path("fmt_mtx_gz"), m, CELLS, GENES, gz=True, metadata=True)
    mtx_dir(path("fmt_mtx_v2"), m, CELLS, GENES, gz=False, v2=True)
    np.save(path("counts.npy"), COUNTS)


def real_files():
    shutil.copyfile(os.path.join(TENX, "filtered_feature_bc_matrix_v3.h5"), path("tenx_v3.h5"))
    shutil.copyfile(os.path.join(TENX, "filtered_gene_bc_matrices_v2.h5"), path("tenx_v2.h5"))
    with h5py.File(path("tenx_v3.h5"), "r") as f:
        g = f["matrix"]
        genes_n, cells_n = g["shape"][:]
        m = sp.csr_matrix((g["data"][:].astype(np.float32), g["indices"][:], g["indptr"][:]),
                          shape=(cells_n, genes_n))
        barcodes = [b.decode() for b in g["barcodes"][:]]
        names = [b.decode() for b in g["features"]["name"][:]]
    m.sort_indices()
    np.save(path("tenx_v3_summary.npy"), summary(m))
    a = ad.AnnData(X=m, obs=pd.DataFrame(index=barcodes),
                   var=pd.DataFrame(index=pd.Index(names).astype(str)))
    a.var_names_make_unique()
    a.write_h5ad(path("tenx_v3.h5ad"), compression="gzip")
    mtx_dir(path("tenx_v3_mtx"), m, barcodes, names, gz=True, metadata=True)
    with h5py.File(path("tenx_v2.h5"), "r") as f:
        g = f["hg19_chr21"]
        genes_n, cells_n = g["shape"][:]
        m2 = sp.csr_matrix((g["data"][:].astype(np.float32), g["indices"][:], g["indptr"][:]),
                           shape=(cells_n, genes_n))
    np.save(path("tenx_v2_summary.npy"), summary(m2))
    with open(path("README.md"), "w") as f:
        f.write(README)


def summary(m):
    """Per cell: total count, genes detected, and sum_j w_j x_ij with gene
    weights w_j = (31 j mod 97) + 1, all exact in float32 (checked)."""
    a = m.toarray().astype(np.float64)
    w = (31 * np.arange(a.shape[1]) % 97 + 1).astype(np.float64)
    s = np.stack([a.sum(1), (a != 0).sum(1), a @ w], axis=1)
    assert s.max() < 2**24
    return s.astype(np.float32)


def bad_files():
    """Broken variants of fmt_csr.h5ad / fmt_10x_v3.h5, one defect each."""
    base_anndata(csr(COUNTS)).write_h5ad(path("fmt_plain.h5ad"))

    def variant(name, edit, src="fmt_plain.h5ad"):
        shutil.copyfile(path(src), path(name))
        with h5py.File(path(name), "r+") as f:
            edit(f)

    def encoding(f):
        f["X"].attrs["encoding-type"] = "csr_matrix_v9"

    def indptr(f):
        ip = f["X/indptr"][:]
        ip[3], ip[4] = ip[4], ip[3] - 1  # row 3 ends before it starts
        f["X/indptr"][...] = ip

    def out_of_range(f):
        ind = f["X/indices"][:]
        ind[5] = D + 3
        f["X/indices"][...] = ind

    def duplicate(f):
        ind = f["X/indices"][:]
        ind[1] = ind[0]  # row 0: gene 0 twice
        f["X/indices"][...] = ind

    def shape(f):
        f["X"].attrs["shape"] = np.array([N + 2, D], np.int64)

    def negative(f):
        d = f["X/data"][:]
        d[2] = -1.0
        f["X/data"][...] = d

    def tenx_indptr(f):
        ip = f["matrix/indptr"][:]
        ip[2] = ip[1] - 1
        f["matrix/indptr"][...] = ip

    variant("bad_encoding.h5ad", encoding)
    variant("bad_indptr.h5ad", indptr)
    variant("bad_indices.h5ad", out_of_range)
    variant("bad_duplicate.h5ad", duplicate)
    variant("bad_shape.h5ad", shape)
    variant("bad_negative.h5ad", negative)
    variant("bad_indptr_10x.h5", tenx_indptr, "fmt_10x_v3.h5")
    os.makedirs(path("bad_mtx"), exist_ok=True)
    with open(path("bad_mtx/matrix.mtx"), "w") as f:
        f.write("%%MatrixMarket matrix coordinate integer general\n3 2 2\n1 1 4\n4 2 1\n")
    with open(path("bad_mtx/barcodes.tsv"), "w") as f:
        f.write("a\nb\n")
    with open(path("bad_mtx/features.tsv"), "w") as f:
        f.write("g1\tG1\tGene Expression\ng2\tG2\tGene Expression\ng3\tG3\tGene Expression\n")


README = """# Single-cell format fixtures (written by scripts/make_sc_fixtures.py)

Small files for tests/data/mpitest_sc_*.c. `counts.npy` is the 9 x 7 count
matrix every `fmt_*` file stores (see the script); `bad_*` files have one
defect each.

Real data (10x Genomics public PBMC subsets, copied from the scanpy
repository's test data `tests/_data/10x_data/`, via ../shared/data/tenx/):

| file | origin | layout |
|---|---|---|
| `tenx_v3.h5` | scanpy `3.0.0/filtered_feature_bc_matrix.h5` | Cell Ranger 3 `/matrix`, 507 genes x 1107 cells, 23,866 non-zeros |
| `tenx_v2.h5` | scanpy `1.2.0/filtered_gene_bc_matrices_h5.h5` | Cell Ranger 1-2, genome group `hg19_chr21`, 343 genes x 12 cells |
| `tenx_v3.h5ad`, `tenx_v3_mtx/` | `tenx_v3.h5` rewritten by the script (anndata, gzip; Matrix Market gz) | the same matrix in its other two forms |
| `tenx_v3_summary.npy`, `tenx_v2_summary.npy` | per cell: total, genes detected, a gene-weighted sum (see the script) | truth for the tests |
"""


def main():
    os.makedirs(OUT, exist_ok=True)
    h5ad_files()
    small_other_forms()
    real_files()
    bad_files()


if __name__ == "__main__":
    main()
