"""scanpy's preprocessing formulas that both the fixture generator
(scripts/make_scprep_fixtures.py) and the single-cell benchmark
(bench/sc_pipeline.py) write out, scanpy not being packaged in Debian 12:
one copy, so the references and the benchmark follow the same recipe.

  mean_var     scanpy's _get_mean_var: column mean and (E[x^2] - mean^2)
               n / (n - 1), float64, for a dense array or a sparse matrix
  hvg_seurat   the seurat flavour's selection from the mean and variance of
               expm1(log data): dispersion var/mean (mean 0 -> 1e-12), log;
               mean log1p; pd.cut(mean, n_bins) bins, per-bin mean/std of the
               dispersions (one-gene bins: avg 0, dev = avg); the genes at or
               above the n_top-th highest normalised dispersion
"""
import numpy as np
import pandas as pd
import scipy.sparse as sp


def mean_var(x):
    n = x.shape[0]
    if sp.issparse(x):
        mean = np.asarray(x.mean(axis=0, dtype=np.float64)).ravel()
        sq = x.copy()
        sq.data = sq.data.astype(np.float64) ** 2
        msq = np.asarray(sq.mean(axis=0)).ravel()
    else:
        mean = x.mean(axis=0, dtype=np.float64)
        msq = np.square(x, dtype=np.float64).mean(axis=0)
    return mean, (msq - mean**2) * (n / (n - 1))


def hvg_seurat(mean, var, n_top, n_bins=20):
    """(selected genes, the finite normalised dispersions in decreasing order)."""
    mean = np.where(mean == 0, 1e-12, mean)
    disp = var / mean
    disp[disp == 0] = np.nan
    disp = np.log(disp)
    mean = np.log1p(mean)
    df = pd.DataFrame({"means": mean, "dispersions": disp})
    df["mean_bin"] = pd.cut(df["means"], bins=n_bins)
    st = df.groupby("mean_bin", observed=True)["dispersions"].agg(avg="mean", dev="std")
    one = st["dev"].isnull()
    st.loc[one, "dev"] = st.loc[one, "avg"]
    st.loc[one, "avg"] = 0
    st = st.loc[df["mean_bin"]].set_index(df.index)
    norm = ((df["dispersions"] - st["avg"]) / st["dev"]).to_numpy()
    v = norm[~np.isnan(norm)]
    v[::-1].sort()
    return np.nan_to_num(norm, nan=-np.inf) >= v[min(n_top, v.size) - 1], v
