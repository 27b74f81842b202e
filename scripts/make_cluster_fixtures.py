#!/usr/bin/python3
"""Reference values for the cluster module (tests/cluster), from scikit-learn.

Run with Debian's python3-sklearn:  /usr/bin/python3 scripts/make_cluster_fixtures.py
Writes tests/fixtures/cluster/:
  blobs3000.txt    "n d" then one row per line: true_label x_0 .. x_{d-1}
                   (a seed-000-like set: make_blobs 8 centers, 9 features, std 4.5 (more overlap than seed 000, so Lloyd has work),
                   plus a uniform noise column, MinMax scaled; values are float32
                   so the C test reads exactly the numbers scikit-learn saw)
  labels.txt       one line per label vector: name n v_0 .. v_{n-1}
  init_centers.txt "k d" then k rows: the given k-means start
  init_far.txt     the same with one center far from all rows (empty cluster)
  reference.txt    name value [value ...] per line, scikit-learn's results
Every reference is computed in float64 on the float32 values.
"""
import os
import sys

import numpy as np
import sklearn
from sklearn.cluster import KMeans
from sklearn.datasets import make_blobs
from sklearn.metrics import (adjusted_rand_score, calinski_harabasz_score,
                             davies_bouldin_score, normalized_mutual_info_score,
                             silhouette_samples, silhouette_score)
from sklearn.preprocessing import MinMaxScaler

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "cluster")


def fmt(v):
    return repr(float(v))


def main():
    os.makedirs(OUT, exist_ok=True)
    X, y = make_blobs(n_samples=3000, n_features=9, centers=8, cluster_std=4.5, random_state=0)
    rng = np.random.RandomState(101)
    X = np.hstack([X, rng.uniform(size=(len(X), 1))])
    X = MinMaxScaler().fit_transform(X).astype(np.float32).astype(np.float64)
    n, d = X.shape
    k = 8

    with open(os.path.join(OUT, "blobs3000.txt"), "w") as f:
        f.write(f"{n} {d}\n")
        for i in range(n):
            f.write(str(int(y[i])) + " " + " ".join("%.9g" % v for v in X[i]) + "\n")

    # k-means from given centers: rows 0..k-1 (not all from distinct blobs, so
    # Lloyd has work to do).
    init = X[:k].copy()
    with open(os.path.join(OUT, "init_centers.txt"), "w") as f:
        f.write(f"{k} {d}\n")
        for c in init:
            f.write(" ".join(repr(float(v)) for v in c) + "\n")
    km = KMeans(n_clusters=k, init=init, n_init=1, max_iter=300, tol=1e-4,
                algorithm="lloyd").fit(X)
    lab_km = km.labels_.astype(np.int64)

    # A start with one center far from every row: its cluster is empty after
    # the first assignment and gets relocated to the farthest row.
    init_far = X[:k].copy()
    init_far[3] = 50.0
    km_far = KMeans(n_clusters=k, init=init_far, n_init=1, max_iter=300, tol=1e-4,
                    algorithm="lloyd").fit(X)
    with open(os.path.join(OUT, "init_far.txt"), "w") as f:
        f.write(f"{k} {d}\n")
        for c in init_far:
            f.write(" ".join(repr(float(v)) for v in c) + "\n")

    lab_rand = np.random.RandomState(7).randint(0, 5, size=n)
    lab_single = lab_km.copy()
    lab_single[123] = k          # a singleton cluster
    # Fixed small vectors for ARI / NMI.
    a_small = np.array([0, 0, 0, 1, 1, 1, 2, 2, 2, 2, 5, 5])
    b_small = np.array([1, 1, 0, 0, 2, 2, 2, 2, 3, 3, 3, 0])

    with open(os.path.join(OUT, "labels.txt"), "w") as f:
        for name, v in [("kmeans", lab_km), ("random", lab_rand), ("singleton", lab_single),
                        ("true", y), ("kmeans_far", km_far.labels_), ("small_a", a_small), ("small_b", b_small)]:
            f.write(name + " " + str(len(v)) + " " + " ".join(str(int(t)) for t in v) + "\n")

    ref = []
    ref.append(("kmeans_inertia", [km.inertia_]))
    ref.append(("kmeans_n_iter", [km.n_iter_]))
    ref.append(("kmeans_centers", km.cluster_centers_.ravel()))
    ref.append(("kmfar_inertia", [km_far.inertia_]))
    ref.append(("kmfar_n_iter", [km_far.n_iter_]))
    for name, lab in [("kmeans", lab_km), ("random", lab_rand), ("singleton", lab_single),
                      ("true", y)]:
        s = silhouette_samples(X, lab)
        ref.append((f"sil_{name}", [s.mean()]))
        ref.append((f"silcl_{name}", [s[lab == c].mean() for c in range(lab.max() + 1)]))
        ref.append((f"silsq_{name}", [silhouette_score(X, lab, metric="sqeuclidean")]))
        ref.append((f"db_{name}", [davies_bouldin_score(X, lab)]))
        ref.append((f"ch_{name}", [calinski_harabasz_score(X, lab)]))
    ref.append(("ari_true_kmeans", [adjusted_rand_score(y, lab_km)]))
    ref.append(("nmi_true_kmeans", [normalized_mutual_info_score(y, lab_km)]))
    ref.append(("ari_true_random", [adjusted_rand_score(y, lab_rand)]))
    ref.append(("nmi_true_random", [normalized_mutual_info_score(y, lab_rand)]))
    ref.append(("ari_small", [adjusted_rand_score(a_small, b_small)]))
    ref.append(("nmi_small", [normalized_mutual_info_score(a_small, b_small)]))
    with open(os.path.join(OUT, "reference.txt"), "w") as f:
        f.write(f"# scikit-learn {sklearn.__version__}, numpy {np.__version__}\n")
        for name, vals in ref:
            f.write(name + " " + " ".join(fmt(v) for v in vals) + "\n")
    print("wrote", OUT, file=sys.stderr)


if __name__ == "__main__":
    main()
