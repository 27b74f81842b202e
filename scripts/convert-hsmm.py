#!/usr/bin/python3
"""Converts Debian's r-bioc-hsmmsinglecell (HSMM single-cell RNA-seq: 47,192
genes x 271 human skeletal muscle myoblasts, FPKM, sampled 0, 24, 48 and 72 h
after the switch to differentiation medium) into files latent reads.

    /usr/bin/python3 scripts/convert-hsmm.py [--rda-dir DIR] [--out data/hsmm]
                                            [--min-cells 10] [--min-fpkm 1]
                                            [--top-genes 2000]

Writes into --out (cells are rows, genes are columns, float32 C order):
  hsmm_log1p.npy      log1p(FPKM) of the selected genes, 271 x G
  hsmm_hours.npy      int32 label per cell: 0, 1, 2, 3 = 0, 24, 48, 72 hours
  hsmm_state.npy      int32 label per cell: Monocle's State - 1 (0, 1, 2)
  genes.txt           Ensembl id of each column
  cells.csv           cell id, hours, media, state, pseudotime, label
  hsmm.h5             the same matrix as /X with /y = hours labels (needs h5py)
  hsmm.h5ad           every cell and gene as AnnData (python3-anndata): X the
                      FPKM matrix (CSR float32, gzip), var/_index Ensembl ids
                      and gene_short_name, obs categoricals hours ("0 h" ..
                      "72 h"), media (GM, DM) and state ("state 1" .. "3"),
                      obs pseudotime; latent's [singlecell] recipe reads it
                      (inputs/genomics.ini)
Gene selection (why: 47,192 mostly-zero columns make a 12M-weight first layer
and swamp distances with noise): keep genes with FPKM >= --min-fpkm in at
least --min-cells cells, then the --top-genes with the largest variance of
log1p(FPKM) (0 keeps all expressed genes). The log transform happens here
because latent's [preprocess] has no log scaler; the deck then standardises.
"""
import argparse
import os

import numpy as np
import rdata

RDA = "/usr/lib/R/site-library/HSMMSingleCell/data"


def load(path, name):
    return rdata.conversion.convert(rdata.parser.parse_file(path))[name]


def select_genes(x, min_cells, min_fpkm, top):
    expressed = (x >= min_fpkm).sum(axis=0) >= min_cells
    idx = np.flatnonzero(expressed)
    if top > 0 and top < idx.size:
        var = np.log1p(x[:, idx]).var(axis=0)
        idx = np.sort(idx[np.argsort(-var, kind="stable")[:top]])
    return idx


def save_npy(path, a):
    tmp = path + ".part.npy"
    np.save(tmp, a)
    os.replace(tmp, path)


def save_h5ad(path, x, genes, symbols, cells, sheet, hours, levels, state):
    """All 271 cells x 47,192 genes as FPKM: the gene filter, log and
    selection happen in latent's recipe, as a scanpy user would do them."""
    import anndata
    import pandas as pd
    import scipy.sparse as sp
    names = [f"{h} h" for h in levels]
    obs = pd.DataFrame(index=pd.Index(cells, name="cell"))
    obs["hours"] = pd.Categorical([f"{h} h" for h in hours], categories=names)
    obs["media"] = pd.Categorical([str(m) for m in sheet["Media"]], categories=["GM", "DM"])
    obs["state"] = pd.Categorical([f"state {s + 1}" for s in state],
                                  categories=[f"state {k + 1}" for k in range(int(state.max()) + 1)])
    obs["pseudotime"] = np.asarray(sheet["Pseudotime"], dtype=np.float64)
    var = pd.DataFrame({"gene_short_name": [str(g) for g in symbols]}, index=pd.Index(genes, name="gene"))
    ad = anndata.AnnData(X=sp.csr_matrix(x.astype(np.float32)), obs=obs, var=var)
    tmp = path + ".part"
    ad.write_h5ad(tmp, compression="gzip")
    os.replace(tmp, path)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rda-dir", default=RDA)
    p.add_argument("--out", default="data/hsmm")
    p.add_argument("--min-cells", type=int, default=10)
    p.add_argument("--min-fpkm", type=float, default=1.0)
    p.add_argument("--top-genes", type=int, default=2000)
    a = p.parse_args()
    expr = load(os.path.join(a.rda_dir, "HSMM_expr_matrix.rda"), "HSMM_expr_matrix")
    sheet = load(os.path.join(a.rda_dir, "HSMM_sample_sheet.rda"), "HSMM_sample_sheet")
    x = np.asarray(expr.values, dtype=np.float64).T  # genes x cells -> cells x genes
    genes = [str(g) for g in expr.coords[expr.dims[0]].values]
    cells = [str(c) for c in expr.coords[expr.dims[1]].values]
    if x.shape[0] != len(sheet):
        raise SystemExit(f"convert-hsmm: {x.shape[0]} cells in the matrix, {len(sheet)} in the sample sheet")
    hours = np.asarray(sheet["Hours"].astype(str).astype(int))
    levels = sorted(set(hours))
    label = np.array([levels.index(h) for h in hours], dtype=np.int32)
    state = np.asarray(sheet["State"].astype(str).astype(int), dtype=np.int32) - 1
    idx = select_genes(x, a.min_cells, a.min_fpkm, a.top_genes)
    X = np.ascontiguousarray(np.log1p(x[:, idx]), dtype=np.float32)
    os.makedirs(a.out, exist_ok=True)
    save_npy(os.path.join(a.out, "hsmm_log1p.npy"), X)
    save_npy(os.path.join(a.out, "hsmm_hours.npy"), label)
    save_npy(os.path.join(a.out, "hsmm_state.npy"), state)
    with open(os.path.join(a.out, "genes.txt"), "w") as f:
        f.write("\n".join(genes[i] for i in idx) + "\n")
    with open(os.path.join(a.out, "cells.csv"), "w") as f:
        f.write("cell,hours,media,state,pseudotime,label\n")
        for i, c in enumerate(cells):
            f.write(f"{c},{hours[i]},{sheet['Media'].iloc[i]},{state[i] + 1},{sheet['Pseudotime'].iloc[i]:.6g},{label[i]}\n")
    try:
        import h5py
        tmp = os.path.join(a.out, "hsmm.h5.part")
        with h5py.File(tmp, "w") as h:
            h["X"], h["y"] = X, label
        os.replace(tmp, os.path.join(a.out, "hsmm.h5"))
    except ImportError:
        print("convert-hsmm: h5py missing, hsmm.h5 not written (the .npy files suffice)")
    try:
        ann = load(os.path.join(a.rda_dir, "HSMM_gene_annotation.rda"), "HSMM_gene_annotation")
        symbols = list(ann["gene_short_name"]) if len(ann) == len(genes) else genes
        save_h5ad(os.path.join(a.out, "hsmm.h5ad"), x, genes, symbols, cells, sheet, hours, levels, state)
    except ImportError:
        print("convert-hsmm: python3-anndata missing, hsmm.h5ad not written")
    counts = {lv: int((hours == lv).sum()) for lv in levels}
    print(f"convert-hsmm: {X.shape[0]} cells x {X.shape[1]} genes (of {x.shape[1]}; "
          f"{int(((x >= a.min_fpkm).sum(axis=0) >= a.min_cells).sum())} expressed) -> {a.out}")
    print(f"convert-hsmm: cells per time point (hours: count) {counts}; log1p range "
          f"[{X.min():.3g}, {X.max():.3g}]")


if __name__ == "__main__":
    main()
