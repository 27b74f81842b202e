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
srt = lambda m: m[np.lexsort(m.T[::-1])]
tr = np.load(os.path.join(res, "pca_scores_train.npy"))
if split:
    te = np.load(os.path.join(res, "pca_scores_test.npy"))
    both = np.vstack([tr, te])
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
# t-SNE: obsm/X_tsne_SPACE on the evaluation rows (NaN elsewhere), X_tsne the last space's.
last = None
for s in ("raw", "pca", "autoencoder"):
    f = os.path.join(res, f"tsne_{s}_" + ("test" if split else "train") + ".npy")
    if not os.path.exists(f):
        assert "X_tsne_" + s not in a.obsm
        continue
    E, e = a.obsm["X_tsne_" + s], np.load(f)
    ok = ~np.isnan(E).any(axis=1)
    assert E.shape == (n, 2) and ok.sum() == len(e), (E.shape, ok.sum(), len(e))
    assert np.array_equal(srt(E[ok]), srt(e)) if split else np.array_equal(E, e), "X_tsne_" + s
    last = s
if last:
    assert np.array_equal(a.obsm["X_tsne"], a.obsm["X_tsne_" + last], equal_nan=True)
else:
    assert "X_tsne" not in a.obsm
print(f"results.h5ad ok: {a.shape}, {X.shape[1]} PCs, {k} HVG, obs {list(a.obs.columns)}")
