#!/usr/bin/python3
"""Reference values for tests/pca from scikit-learn's PCA(svd_solver='full').

Run with Debian's python3 (python3-sklearn, python3-numpy):
    /usr/bin/python3 scripts/make_pca_fixtures.py tests/fixtures/pca

Cases (the C tests rebuild the same float32 matrices):
  blobs      30,000 x 10 seed-0 blob set (9 make_blobs features + 1 uniform
             noise column, min-max scaled like the seed-000 deck), stored as
             blobs.f32 because the C side cannot regenerate make_blobs.
  random     2,000 x 300 hash-uniform matrix with column scales 1..7.
  wide       40 x 700 hash-uniform matrix (d > n).
  rankdef    500 x 20 integer matrix of rank 3 (+ offsets), k = 5.
The hash matrices are exact: splitmix64 of (seed, i*d + j), top 24 bits,
computed with the same IEEE operations in C (tests/pca/pca_fixture.h).

Reference fields, one line each: "name count v1 v2 ...". Components use
latent's sign convention (largest |entry| positive), fitted in float64 on the
float32 data; mse is mean_squared_error(X, inverse_transform(transform(X))).
"""
import os
import sys

import numpy as np
from sklearn.datasets import make_blobs
from sklearn.decomposition import PCA
from sklearn.metrics import mean_squared_error

M64 = np.uint64((1 << 64) - 1)


def splitmix(z):
    with np.errstate(over="ignore"):
        z = z + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def hash_uniform(seed, n, d):
    """u[i, j] in [0, 1) with 24 bits: exactly a float32."""
    idx = np.arange(n * d, dtype=np.uint64).reshape(n, d)
    with np.errstate(over="ignore"):
        z = np.uint64(seed) * np.uint64(0x9E3779B97F4A7C15) + idx
    return (splitmix(z) >> np.uint64(40)).astype(np.float64) * 2.0**-24


def case_random():
    n, d = 2000, 300
    u = hash_uniform(11, n, d)
    scale = 1.0 + (np.arange(d) % 7)
    return ((u - 0.5) * scale).astype(np.float32), 5


def case_wide():
    return hash_uniform(12, 40, 700).astype(np.float32), 3


def case_rankdef():
    n, d, r = 500, 20, 3
    a = np.floor(hash_uniform(13, n, r) * 5.0) - 2.0
    b = np.floor(hash_uniform(14, r, d) * 5.0) - 2.0
    x = np.zeros((n, d))
    for t in range(r):  # same order of exact integer sums as the C side
        x = x + a[:, t:t + 1] * b[t:t + 1, :]
    x = x + np.arange(d)  # offsets: column j gets + j
    return x.astype(np.float32), 5


def case_blobs():
    std = [0.5, 1.0, 1.5, 2.0, 1.0, 0.8, 1.2, 2.5]
    x, _ = make_blobs(n_samples=30000, n_features=9, centers=8, cluster_std=std,
                      random_state=0)
    noise = np.random.RandomState(0).rand(30000, 1)
    x = np.hstack([x, noise])
    x = (x - x.min(axis=0)) / (x.max(axis=0) - x.min(axis=0))
    return x.astype(np.float32), 2


def sign_fix(comp):
    out = comp.copy()
    for i in range(comp.shape[0]):
        j = int(np.argmax(np.abs(comp[i])))  # first index on ties, as in C
        if comp[i, j] < 0:
            out[i] = -comp[i]
    return out


def write_ref(path, x32, k):
    x = x32.astype(np.float64)
    p = PCA(n_components=k, svd_solver="full").fit(x)
    mse = mean_squared_error(x, p.inverse_transform(p.transform(x)))
    total = x.var(axis=0, ddof=1).sum()
    fields = [
        ("n", [x.shape[0]]), ("d", [x.shape[1]]), ("k", [k]),
        ("mse", [mse]), ("total_variance", [total]),
        ("mean", p.mean_), ("explained_variance", p.explained_variance_),
        ("explained_variance_ratio", p.explained_variance_ratio_),
        ("singular_values", p.singular_values_),
        ("components", sign_fix(p.components_).ravel()),
    ]
    with open(path, "w") as f:
        for name, vals in fields:
            f.write("%s %d %s\n" % (name, len(vals), " ".join("%.17g" % v for v in vals)))


def write_f32(path, x32):
    with open(path, "wb") as f:
        f.write(b"LTF32 %d %d\n" % x32.shape)
        f.write(np.ascontiguousarray(x32, dtype="<f4").tobytes())


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/pca"
    os.makedirs(out, exist_ok=True)
    for name, make in [("random", case_random), ("wide", case_wide),
                       ("rankdef", case_rankdef), ("blobs", case_blobs)]:
        x, k = make()
        write_ref(os.path.join(out, name + ".ref"), x, k)
        if name == "blobs":
            write_f32(os.path.join(out, "blobs.f32"), x)
        # A checksum of the exact float32 bits, so the C generator can be checked.
        bits = x.view(np.uint32).astype(np.uint64)
        with open(os.path.join(out, name + ".sum"), "w") as f:
            f.write("%d\n" % int(bits.sum()))


if __name__ == "__main__":
    main()
