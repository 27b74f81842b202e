#!/usr/bin/python3
"""Checks a run's results.h5ad with python3-anndata against the run's own
.npy outputs. Usage: check_results_h5ad.py RESULTS_DIR N_CELLS N_GENES N_HVG OBS_KEY|- SPLIT(0|1)"""
import os
import sys
import warnings

import numpy as np

warnings.simplefilter("ignore")
import anndata as ad  # noqa: E402

res, n, d, k, key, split = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], int(sys.argv[6])
a = ad.read_h5ad(os.path.join(res, "results.h5ad"))
assert a.shape == (n, d), a.shape
assert a.obs_names.is_unique
X = a.obsm["X_pca"]
tr = np.load(os.path.join(res, "pca_scores_train.npy"))
if split:
    te = np.load(os.path.join(res, "pca_scores_test.npy"))
    both = np.vstack([tr, te])
    srt = lambda m: m[np.lexsort(m.T[::-1])]
    assert np.array_equal(srt(X), srt(both)), "X_pca rows are not the train and test scores"
else:
    assert np.array_equal(X, tr), "X_pca differs from pca_scores_train.npy"
pcs = a.varm["PCs"]
hv = a.var["highly_variable"].to_numpy()
assert hv.dtype == bool and hv.sum() == k, hv.sum()
assert np.all(pcs[~hv] == 0) and np.allclose((pcs[hv] ** 2).sum(0), 1, atol=1e-5)
ratio = a.uns["pca"]["variance_ratio"]
assert ratio.shape == (pcs.shape[1],) and np.all(np.diff(ratio) <= 1e-12)
km = a.obs["kmeans_pca"]
labels = np.load(os.path.join(res, "labels_kmeans_pca_" + ("test" if split else "train") + ".npy"))
assert km.notna().sum() == len(labels), (km.notna().sum(), len(labels))
if not split:
    assert np.array_equal(km.astype(int).to_numpy(), labels)
if key != "-":
    assert a.obs[key].dtype.name == "category" and len(a.obs[key].cat.categories) >= 2
print(f"results.h5ad ok: {a.shape}, {X.shape[1]} PCs, {k} HVG, obs {list(a.obs.columns)}")
