#!/usr/bin/python3
"""The Python side of the single-cell benchmark (bench/sc_bench.sh): the
steps latent runs from an .h5ad file to PCA scores, with Debian's
python3-anndata, SciPy, NumPy, pandas and scikit-learn (scanpy is not
packaged in Debian 12, so its recipe is written out as scanpy does it):

  read       anndata.read_h5ad (X csr_matrix in memory)
  filter     filter_cells(min_genes), filter_genes(min_cells): (X > 0) sums
  normalize  normalize_total (median of the totals), in place on X.data
  log1p      X.data = log1p(X.data)
  hvg        seurat flavour: mean/var of expm1(X), log dispersion, pd.cut
             into 20 bins, normalised dispersion, the n_top highest
  scale      the selected genes densified, zero-centred, / std (ddof 1),
             clipped at max_value
  pca        sklearn.decomposition.PCA(n_components, random_state=0)
             (svd_solver 'auto': randomized for this shape in sklearn 1.2)

mean_var and the seurat selection are scripts/scprep_recipe.py's, the same
code that writes the test fixtures of latent's recipe.

Prints one JSON object: seconds and peak RSS (MB, getrusage: the running
maximum) after each phase, the shapes, and the leading explained variance
ratios (to compare with latent's).

Usage: sc_pipeline.py FILE.h5ad [--min-genes 200] [--min-cells 3] [--n-top 2000]
                      [--max-value 10] [--n-comps 50]
"""
import argparse
import json
import os
import resource
import sys
import time
import warnings

import numpy as np
import scipy.sparse as sp

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
import scprep_recipe as recipe  # noqa: E402
from scprep_recipe import mean_var  # noqa: E402

warnings.simplefilter("ignore")
import anndata as ad  # noqa: E402
from sklearn.decomposition import PCA  # noqa: E402
from sklearn.utils import sparsefuncs  # noqa: E402


def rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def hvg_seurat(x, n_top):
    """On log data: scanpy's seurat flavour from expm1(x)'s mean and variance."""
    e = x.copy()
    e.data = np.expm1(e.data)
    return recipe.hvg_seurat(*mean_var(e), n_top)[0]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("path")
    p.add_argument("--min-genes", type=int, default=200)
    p.add_argument("--min-cells", type=int, default=3)
    p.add_argument("--n-top", type=int, default=2000)
    p.add_argument("--max-value", type=float, default=10)
    p.add_argument("--n-comps", type=int, default=50)
    a = p.parse_args()
    out, t, cpu = {"phases": {}}, time.perf_counter(), time.process_time()

    def done(name):
        nonlocal t, cpu
        now, c = time.perf_counter(), time.process_time()
        out["phases"][name] = {"seconds": round(now - t, 3), "cpu_seconds": round(c - cpu, 3),
                               "peak_rss_mb": round(rss_mb(), 1)}
        t, cpu = now, c

    adata = ad.read_h5ad(a.path)
    x = adata.X
    if not sp.isspmatrix_csr(x):
        x = sp.csr_matrix(x)
    out["input"] = [int(x.shape[0]), int(x.shape[1]), int(x.nnz)]
    done("read")
    x = x[np.asarray((x > 0).sum(axis=1)).ravel() >= a.min_genes]
    x = x[:, np.asarray((x > 0).sum(axis=0)).ravel() >= a.min_cells]
    done("filter")
    tot = np.asarray(x.sum(axis=1, dtype=np.float64)).ravel()
    target = np.median(tot[tot > 0])
    tot[tot == 0] = 1
    sparsefuncs.inplace_row_scale(x, (target / tot).astype(np.float32))
    done("normalize")
    np.log1p(x.data, out=x.data)
    done("log1p")
    hv = hvg_seurat(x, a.n_top)
    done("hvg")
    d = x[:, hv].toarray()
    mean, var = mean_var(d)
    std = np.sqrt(np.maximum(var, 0))
    std[std == 0] = 1
    d -= mean.astype(np.float32)
    d /= std.astype(np.float32)
    np.clip(d, -a.max_value, a.max_value, out=d)
    done("scale")
    pca = PCA(n_components=a.n_comps, random_state=0)
    scores = pca.fit_transform(d)
    done("pca")
    out["kept"] = [int(x.shape[0]), int(x.shape[1]), int(hv.sum())]
    out["scores"] = list(scores.shape)
    out["svd_solver"] = pca._fit_svd_solver
    out["variance_ratio"] = [round(float(v), 6) for v in pca.explained_variance_ratio_[:5]]
    out["total_seconds"] = round(sum(v["seconds"] for v in out["phases"].values()), 3)
    out["total_cpu_seconds"] = round(sum(v["cpu_seconds"] for v in out["phases"].values()), 3)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
