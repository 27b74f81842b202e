#!/usr/bin/python3
"""Sparse PCA reference for bench_slepc (issue 19): SciPy's svds (ARPACK) on
the implicitly centred operator, exactly as scanpy's pca(zero_center=True)
does for a sparse X (sc.pp._pca._pca_with_sparse), so that latent's
[pca] method = slepc (bench/bench_slepc.c --sparse FILE.h5ad K) can be timed
against it on the same matrix.

    /usr/bin/python3 bench/slepc_sparse.py make OUT.h5ad [N D DENSITY SEED]
    /usr/bin/python3 bench/slepc_sparse.py svds OUT.h5ad K

make writes an N x D CSR (float32, uniform values in (0, 1], DENSITY * D
entries per row at uniform columns) as an AnnData-layout .h5ad (X/data, indices,
indptr). svds prints one JSON line: wall and CPU seconds (operator + svds), peak RSS MB,
matvecs, the first and last variances and all k of them.
"""
import json
import resource
import sys
import time

import h5py
import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator, svds


def make(path, n=100_000, d=20_000, density=0.05, seed=19):
    # Each row has per = density * d entries, one in each run of d / per
    # columns at a uniform offset (distinct and ascending by construction);
    # built in row chunks so the peak memory stays near the matrix's own.
    rng = np.random.default_rng(seed)
    per = int(round(density * d))
    step = d / per
    data = np.empty(n * per, dtype=np.float32)
    indices = np.empty(n * per, dtype=np.int32)
    for i0 in range(0, n, 10_000):
        m = min(10_000, n - i0)
        cols = np.floor((np.arange(per) + rng.random((m, per))) * step).astype(np.int64)
        indices[i0 * per:(i0 + m) * per] = np.minimum(cols, d - 1).ravel()
        data[i0 * per:(i0 + m) * per] = (1.0 - rng.random(m * per)).astype(np.float32)
    indptr = np.arange(0, n * per + 1, per, dtype=np.int64)
    x = sp.csr_matrix((data, indices, indptr), shape=(n, d))
    with h5py.File(path, "w") as f:
        g = f.create_group("X")
        g.attrs["encoding-type"] = "csr_matrix"
        g.attrs["encoding-version"] = "0.1.0"
        g.attrs["shape"] = np.array([n, d], dtype=np.int64)
        g.create_dataset("data", data=x.data)
        g.create_dataset("indices", data=x.indices)
        g.create_dataset("indptr", data=x.indptr)
        for name, count in (("obs", n), ("var", d)):
            h = f.create_group(name)
            h.attrs["encoding-type"] = "dataframe"
            h.attrs["encoding-version"] = "0.2.0"
            h.attrs["_index"] = "_index"
            h.attrs["column-order"] = np.array([], dtype=object).astype("S")
            h.create_dataset("_index", data=np.array([f"{name}{i}" for i in range(count)], dtype="S"))
        f.attrs["encoding-type"] = "anndata"
        f.attrs["encoding-version"] = "0.1.0"
    print(f"wrote {path}: {n} x {d}, {x.nnz} non-zeros ({100.0 * x.nnz / n / d:.2f}%)")


def run_svds(path, k):
    with h5py.File(path, "r") as f:
        g = f["X"]
        n, d = (int(v) for v in g.attrs["shape"])
        x = sp.csr_matrix((g["data"][:], g["indices"][:], g["indptr"][:]), shape=(n, d))
    t0, c0 = time.perf_counter(), time.process_time()
    mu = np.asarray(x.mean(0)).ravel().astype(np.float64)
    xt = x.T.tocsr()
    count = [0]

    def matvec(v):
        count[0] += 1
        return x @ v - mu @ v

    def matmat(v):
        count[0] += v.shape[1]
        return x @ v - mu @ v

    def rmatvec(u):
        count[0] += 1
        return xt @ u - mu * u.sum()

    def rmatmat(u):
        count[0] += u.shape[1]
        return xt @ u - mu[:, None] * u.sum(0)

    op = LinearOperator((n, d), matvec=matvec, matmat=matmat, rmatvec=rmatvec, rmatmat=rmatmat,
                        dtype=np.float64)
    v0 = np.random.default_rng(0).uniform(-1, 1, size=min(n, d))  # as scanpy
    _, s, _ = svds(op, k=k, solver="arpack", v0=v0)
    sec, cpu = time.perf_counter() - t0, time.process_time() - c0
    var = np.sort(s**2 / (n - 1))[::-1]
    print(json.dumps({"n": n, "d": d, "nnz": int(x.nnz), "k": k, "seconds": round(sec, 3), "cpu_seconds": round(cpu, 3),
                      "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0),
                      "products": count[0], "ev_first": var[0], "ev_last": var[-1],
                      "explained_variance": var.tolist()}))


if __name__ == "__main__":
    if sys.argv[1] == "make":
        a = sys.argv[2:]
        make(a[0], *(int(a[1]), int(a[2]), float(a[3]), int(a[4])) if len(a) > 1 else ())
    else:
        run_svds(sys.argv[2], int(sys.argv[3]))
