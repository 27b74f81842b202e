#!/usr/bin/python3
"""Reference results of scanpy's preprocessing recipe for tests/data/mpitest_scprep.c.

scanpy is not packaged in Debian 12, so each step is implemented here from
scanpy's documented formulas (scanpy 1.13: preprocessing/_simple.py,
_normalization.py, _highly_variable_genes.py, _scale.py), with NumPy and
pandas (pd.cut and groupby, as scanpy's seurat flavour uses them):

  filter_cells(min_genes)  keep cells with >= min_genes genes of count > 0
  filter_genes(min_cells)  keep genes with count > 0 in >= min_cells cells
  normalize_total          x_ij * target / total_i, target = median of the
                           positive totals (target_sum=None)
  log1p                    log(1 + x)
  hvg seurat               on log data: mean/var (ddof 1) of expm1(x),
                           dispersion var/mean (mean 0 -> 1e-12), log; mean
                           log1p; pd.cut(mean, 20) bins, per-bin mean/std of
                           the dispersions; one-gene bins: avg 0, dev = avg;
                           genes >= the n_top-th highest normalised dispersion
  hvg seurat_v3            on counts: mean/var (ddof 1); LOESS of log10 var on
                           log10 mean (genes with var > 0) -> reg_std; counts
                           clipped at reg_std sqrt(N) + mean; normalised
                           variance; the n_top largest
  scale(max_value)         (x - mean) / std (ddof 1, std 0 -> 1), clipped to
                           [-max_value, max_value]

One deliberate difference: scanpy's seurat_v3 calls skmisc.loess (degree 2,
span 0.3) with its default surface='interpolate' (kd-tree vertices and
cubic blending). Here, and in latent, the LOESS is evaluated directly at
every point: tricube weights over the floor(span n) nearest x, weighted
quadratic least squares. The two agree closely but not bitwise, so the
seurat_v3 gene set can differ from scanpy's at the margin.

mean_var and the seurat selection are scripts/scprep_recipe.py's, shared
with bench/sc_pipeline.py.

Run: /usr/bin/python3 scripts/make_scprep_fixtures.py (writes tests/fixtures/sc/prep_*)
"""
import os
import sys

import anndata as ad
import numpy as np
import pandas as pd
import scipy.sparse as sp

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scprep_recipe as recipe  # noqa: E402
from scprep_recipe import mean_var  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "sc")
N_CELLS, N_GENES, N_TYPES = 150, 80, 3
MIN_GENES, MIN_CELLS, N_TOP, MAX_VALUE = 12, 5, 12, 3.0


def counts():
    """Negative-binomial counts around type-specific gene means, a few
    near-empty cells and rarely detected genes so the filters act."""
    rng = np.random.default_rng(18)
    base = rng.lognormal(mean=0.0, sigma=1.2, size=N_GENES)
    fold = np.exp(rng.normal(0, 1.0, size=(N_TYPES, N_GENES)) * (rng.random(N_GENES) < 0.3))
    types = rng.integers(0, N_TYPES, size=N_CELLS)
    lib = rng.lognormal(mean=0.0, sigma=0.4, size=N_CELLS)
    mu = base[None, :] * fold[types] * lib[:, None]
    r = 2.0
    x = rng.negative_binomial(r, r / (r + mu)).astype(np.float32)
    x[:4, :] *= (rng.random((4, N_GENES)) < 0.05)  # cells with few genes
    x[:, -6:] *= (rng.random((N_CELLS, 6)) < 0.02)  # genes in few cells
    return x, types


def hvg_seurat(logx, n_top):
    sel, x = recipe.hvg_seurat(*mean_var(np.expm1(logx.astype(np.float64))), n_top)
    # A fixture whose cutoff falls on a near-tie would test rounding, not the
    # formula (two-gene bins give exactly +-1/sqrt(2), one-gene bins 1).
    assert x[n_top - 1] - x[n_top] > 1e-6, "seurat cutoff on a tie: change N_TOP"
    return sel


def local_fit(xs, ys, x0, h):
    d = np.abs(xs - x0)
    keep = d < h if h > 0 else np.ones_like(d, bool)
    u = d[keep] / h if h > 0 else np.zeros(keep.sum())
    w = (1 - u**3) ** 3
    z = (xs[keep] - x0) / h if h > 0 else np.zeros(keep.sum())
    y = ys[keep]
    m = [np.sum(w * z**k) for k in range(5)]
    t = [np.sum(w * z**k * y) for k in range(3)]
    a11, a12, a13, a22, a23, a33 = m[0], m[1], m[2], m[2], m[3], m[4]
    det = a11 * (a22 * a33 - a23 * a23) - a12 * (a12 * a33 - a23 * a13) + a13 * (a12 * a23 - a22 * a13)
    if abs(det) > 1e-12 * (abs(a11 * a22 * a33) + 1e-300):
        return (t[0] * (a22 * a33 - a23 * a23) - a12 * (t[1] * a33 - a23 * t[2])
                + a13 * (t[1] * a23 - a22 * t[2])) / det
    det2 = a11 * a22 - a12 * a12
    if abs(det2) > 1e-12 * (abs(a11 * a22) + 1e-300):
        return (t[0] * a22 - a12 * t[1]) / det2
    return t[0] / a11 if a11 > 0 else 0.0


def loess(x, y, span):
    """Direct LOESS, degree 2 (see the module docstring)."""
    n = len(x)
    order = np.lexsort((np.arange(n), x))
    xs, ys = x[order], y[order]
    q = int(np.floor(span * n))
    q = max(q, min(n, 3))
    q = min(q, n)
    fit = np.empty(n)
    lo = 0
    for a in range(n):
        x0 = xs[a]
        while lo + q < n and xs[lo + q] - x0 < x0 - xs[lo]:
            lo += 1
        h = max(x0 - xs[lo], xs[lo + q - 1] - x0)
        fit[order[a]] = local_fit(xs[lo:lo + q], ys[lo:lo + q], x0, h)
    return fit


def hvg_seurat_v3(cnt, n_top, span=0.3):
    c = cnt.astype(np.float64)
    n = c.shape[0]
    mean, var = mean_var(c)
    nc = var > 0
    est = np.zeros(c.shape[1])
    est[nc] = loess(np.log10(mean[nc]), np.log10(var[nc]), span)
    reg = np.sqrt(10**est)
    clip = reg * np.sqrt(n) + mean
    cc = np.minimum(c, clip[None, :])
    norm = 1 / ((n - 1) * reg**2) * (n * mean**2 + (cc**2).sum(0) - 2 * cc.sum(0) * mean)
    order = np.argsort(-norm, kind="stable")
    assert norm[order[n_top - 1]] - norm[order[n_top]] > 1e-6 * abs(norm[order[n_top]]), \
        "seurat_v3 cutoff on a tie: change N_TOP"
    sel = np.zeros(c.shape[1], bool)
    sel[order[:n_top]] = True
    return sel


def scale(x, max_value):
    x = x.astype(np.float64)
    mean, var = mean_var(x)
    std = np.sqrt(np.maximum(var, 0))
    std[std == 0] = 1
    return np.clip((x - mean) / std, -max_value, max_value).astype(np.float32)


def col(v):
    return np.asarray(v, np.float32).reshape(-1, 1)


def main():
    x, types = counts()
    names = np.array(["B", "NK", "T"])[types]
    a = ad.AnnData(X=sp.csr_matrix(x), obs=pd.DataFrame({"cell_type": pd.Categorical(names)},
                   index=[f"c{i}" for i in range(N_CELLS)]),
                   var=pd.DataFrame(index=[f"g{j}" for j in range(N_GENES)]), dtype=np.float32)
    a.write_h5ad(os.path.join(OUT, "prep_counts.h5ad"), compression="gzip")
    keep_c = (x > 0).sum(1) >= MIN_GENES
    x1 = x[keep_c]
    keep_g = (x1 > 0).sum(0) >= MIN_CELLS
    x2 = x1[:, keep_g]
    tot = x2.astype(np.float64).sum(1)
    target = np.median(tot[tot > 0])
    norm = (x2 * (target / tot)[:, None]).astype(np.float32)
    logx = np.log1p(norm.astype(np.float64)).astype(np.float32)
    hs = hvg_seurat(logx, N_TOP)
    hv3 = hvg_seurat_v3(x2, N_TOP)
    sc = scale(logx[:, hs], MAX_VALUE)
    save = lambda n, v: np.save(os.path.join(OUT, n), np.ascontiguousarray(v))
    save("prep_cells.npy", col(np.flatnonzero(keep_c)))
    save("prep_genes.npy", col(np.flatnonzero(keep_g)))
    save("prep_norm.npy", norm)
    save("prep_log1p.npy", logx)
    save("prep_hvg_seurat.npy", col(hs))
    save("prep_hvg_v3.npy", col(hv3))
    save("prep_scaled.npy", sc)
    with open(os.path.join(OUT, "prep_target.txt"), "w") as f:
        f.write(f"{target!r}\n")
    print(f"cells {keep_c.sum()}/{N_CELLS}, genes {keep_g.sum()}/{N_GENES}, target {target}, "
          f"hvg seurat {hs.sum()}, v3 {hv3.sum()}, overlap {(hs & hv3).sum()}")


if __name__ == "__main__":
    main()
