#!/usr/bin/python3
"""Reference values for tests/tsne from scikit-learn 1.2 (Debian python3-sklearn).

Run:  /usr/bin/python3 scripts/make_tsne_fixtures.py
Writes tests/fixtures/tsne/:
  x.f32          1000 x 20 float32, little-endian, row-major: the first 1000
                 Fashion-MNIST test images (Debian dataset-fashion-mnist,
                 pixels / 255) reduced to 20 PCA components fitted on them.
  labels.i32     their 1000 labels.
  For the first N = 300 rows and each perplexity PP in (30, 5):
  pPP_idx.i32    N x k neighbours (k = min(N - 1, int(3 PP + 1))), each row in
                 increasing global index, as scikit-learn's CSR rows are.
  pPP_cond.f64   N x k conditional P (scikit-learn's _binary_search_perplexity
                 on its own kNN graph), in the same order.
  pPP_beta.f64   N precisions beta_i = 1 / (2 sigma_i^2) of the same search
                 (scikit-learn returns only P: a Python copy of its Cython loop
                 gives beta and is checked to reproduce P to 1e-12 first).
  pPP_rowptr.i32, pPP_col.i32, pPP_val.f64: the symmetrised P
                 ((P + P^T) / sum) as CSR, columns increasing.
  y0.f64         N x 2 embedding (seeded normal, std 3) at which:
  grad30.f64     N x 2 gradient of sklearn's exact objective (_kl_divergence)
                 with the symmetrised sparse P of perplexity 30 made dense.
  reference.txt  "name value" lines: kl30_y0 (KL at y0, same objective),
                 kl_bh_pca (KL at the end of TSNE() with its defaults,
                 init = 'pca', random_state = 0, on all 1000 rows), its
                 n_iter_, and the trustworthiness at 5 and 10 of that run;
                 for lt_tsne_quality_compute, with all 1000 rows and as the
                 "embedding" their first two PCA columns (pc2): trust5_pc2,
                 trust10_pc2 (sklearn.manifold.trustworthiness), recall10_pc2
                 (shared 10 nearest neighbours, NearestNeighbors) and
                 knn10_loo_pc2 (leave-one-out 10-NN majority vote, ties to the
                 smallest label as KNeighborsClassifier).
Every reference is computed by scikit-learn in float64 on the float32 values.
"""
import gzip
import os

import numpy as np
import sklearn
from scipy.sparse import csr_matrix
from scipy.spatial.distance import squareform
from sklearn.decomposition import PCA
from sklearn.manifold import TSNE, trustworthiness
from sklearn.manifold import _t_sne, _utils
from sklearn.neighbors import NearestNeighbors

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "tsne")
FM = "/usr/share/datasets/fashion-mnist"
N_ALL, N, D = 1000, 300, 20


def read_idx(path, n):
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    arr = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)
    return arr[:n]


def search_betas(sqd, perplexity):
    """scikit-learn 1.2's _binary_search_perplexity (sklearn/manifold/_utils.pyx), in Python."""
    n, k = sqd.shape
    sqd = sqd.astype(np.float64)
    desired = np.log(perplexity)
    P = np.zeros((n, k))
    betas = np.zeros(n)
    for i in range(n):
        beta_min, beta_max, beta = -np.inf, np.inf, 1.0
        for _ in range(100):
            p = np.exp(-sqd[i] * beta)
            s = p.sum()
            if s == 0.0:
                s = 1e-8
            p = p / s
            entropy = np.log(s) + beta * np.dot(sqd[i], p)
            diff = entropy - desired
            P[i] = p
            if abs(diff) <= 1e-5:
                break
            if diff > 0.0:
                beta_min = beta
                beta = beta * 2.0 if beta_max == np.inf else (beta + beta_max) / 2.0
            else:
                beta_max = beta
                beta = beta / 2.0 if beta_min == -np.inf else (beta + beta_min) / 2.0
        betas[i] = beta
    return P, betas


def affinities(X, perplexity):
    n = X.shape[0]
    k = min(n - 1, int(3.0 * perplexity + 1))
    knn = NearestNeighbors(n_neighbors=k, metric="euclidean").fit(X)
    D_nn = knn.kneighbors_graph(mode="distance")
    D_nn.data **= 2
    # The neighbour sets must not depend on how ties are broken: check that
    # the k-th and (k+1)-th distances differ for every row.
    dist, _ = NearestNeighbors(n_neighbors=k + 2).fit(X).kneighbors(X)
    gap = dist[:, k + 1] - dist[:, k]
    assert np.all(gap > 1e-6 * dist[:, k]), "a tie at the k-th neighbour"
    D_nn.sort_indices()
    sqd = D_nn.data.reshape(n, -1).astype(np.float32)
    cond = _utils._binary_search_perplexity(sqd, perplexity, 0)
    mine, betas = search_betas(sqd, perplexity)
    assert np.max(np.abs(mine - cond)) < 1e-12, "Python search differs from sklearn's"
    P = _t_sne._joint_probabilities_nn(D_nn.copy(), perplexity, 0)
    P.sort_indices()
    return D_nn.indices.reshape(n, k), cond, betas, P


def write(name, arr, dtype):
    np.ascontiguousarray(arr, dtype=dtype).tofile(os.path.join(OUT, name))


def main():
    os.makedirs(OUT, exist_ok=True)
    assert sklearn.__version__.startswith("1.2"), sklearn.__version__
    img = read_idx(os.path.join(FM, "t10k-images-idx3-ubyte.gz"), N_ALL).reshape(N_ALL, -1)
    lab = read_idx(os.path.join(FM, "t10k-labels-idx1-ubyte.gz"), N_ALL)
    X = PCA(n_components=D, svd_solver="full").fit_transform(img / 255.0).astype(np.float32)
    write("x.f32", X, "<f4")
    write("labels.i32", lab, "<i4")
    Xs = X[:N].astype(np.float64)
    ref = {}
    for pp in (30, 5):
        idx, cond, betas, P = affinities(Xs, pp)
        write(f"p{pp}_idx.i32", idx, "<i4")
        write(f"p{pp}_cond.f64", cond, "<f8")
        write(f"p{pp}_beta.f64", betas, "<f8")
        write(f"p{pp}_rowptr.i32", P.indptr, "<i4")
        write(f"p{pp}_col.i32", P.indices, "<i4")
        write(f"p{pp}_val.f64", P.data, "<f8")
        if pp == 30:
            rng = np.random.RandomState(7)
            y0 = 3.0 * rng.standard_normal((N, 2))
            Pc = squareform(P.toarray(), checks=False)
            kl, grad = _t_sne._kl_divergence(y0.ravel(), Pc, 1, N, 2)
            write("y0.f64", y0, "<f8")
            write("grad30.f64", grad, "<f8")
            ref["kl30_y0"] = kl
    Xa = X.astype(np.float64)
    ts = TSNE(n_components=2, init="pca", random_state=0, learning_rate="auto", n_iter=1000)
    emb = ts.fit_transform(Xa)
    ref["kl_bh_pca"] = ts.kl_divergence_
    ref["n_iter_bh_pca"] = ts.n_iter_
    ref["trust5_bh_pca"] = trustworthiness(Xa, emb, n_neighbors=5)
    ref["trust10_bh_pca"] = trustworthiness(Xa, emb, n_neighbors=10)
    E = X[:, :2].astype(np.float64)
    ref["trust5_pc2"] = trustworthiness(Xa, E, n_neighbors=5)
    ref["trust10_pc2"] = trustworthiness(Xa, E, n_neighbors=10)
    ie = NearestNeighbors(n_neighbors=10).fit(E).kneighbors(return_distance=False)
    ix = NearestNeighbors(n_neighbors=10).fit(Xa).kneighbors(return_distance=False)
    ref["recall10_pc2"] = np.mean([len(set(a) & set(b)) for a, b in zip(ie, ix)]) / 10
    votes = np.array([np.bincount(lab[r], minlength=10).argmax() for r in ie])
    ref["knn10_loo_pc2"] = np.mean(votes == lab)
    with open(os.path.join(OUT, "reference.txt"), "w") as f:
        f.write(f"# scikit-learn {sklearn.__version__}, scripts/make_tsne_fixtures.py\n")
        for k, v in ref.items():
            f.write(f"{k} {float(v)!r}\n")
    print(ref)


if __name__ == "__main__":
    main()
