#!/usr/bin/python3
"""Cross-check of a latent autoencoder run with PyTorch + scikit-learn on the
very same rows: trains the same architecture with the same optimizer, then
k-means (scikit-learn) on the codes and the PCA scores, and prints ARI and the
silhouette of the true labels.  Evidence for docs/results.md, not a test.

    build/release/latent generate inputs/seed000-adam.ini --output.dir=/tmp/g
    /usr/bin/python3 scripts/crosscheck-ae.py /tmp/g/train.npy /tmp/g/train_labels.npy \
        --layers 10,8,6,2,6,8,10 --acts sigmoid,sigmoid,linear,sigmoid,sigmoid,sigmoid \
        --opt adam --lr 1e-3 --batch 64 --epochs 50 --k 8 --seeds 0,1,2
"""
import argparse

import numpy as np
import torch
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.metrics import adjusted_rand_score, silhouette_score
from torch import nn

ACT = {"relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "linear": nn.Identity}


def build(widths, acts):
    layers = []
    for a, b, act in zip(widths[:-1], widths[1:], acts):
        lin = nn.Linear(a, b)
        nn.init.xavier_uniform_(lin.weight)  # Keras' glorot_uniform, zero bias
        nn.init.zeros_(lin.bias)
        layers += [lin, ACT[act]()]
    return nn.Sequential(*layers)


def train(x, args, seed):
    torch.manual_seed(seed)
    widths = [int(w) for w in args.layers.split(",")]
    acts = args.acts.split(",")
    m = build(widths, acts)
    if args.opt == "adam":
        o = torch.optim.Adam(m.parameters(), lr=args.lr, eps=1e-7)
    elif args.opt == "rmsprop":
        o = torch.optim.RMSprop(m.parameters(), lr=args.lr, alpha=0.9, eps=1e-7)
    else:
        o = torch.optim.SGD(m.parameters(), lr=args.lr)
    crit = nn.MSELoss() if args.loss == "mse" else nn.BCELoss()
    xt = torch.from_numpy(x)
    for _ in range(args.epochs):
        perm = torch.randperm(len(xt))
        for i in range(0, len(xt), args.batch):
            b = xt[perm[i:i + args.batch]]
            o.zero_grad()
            loss = crit(m(b), b)
            loss.backward()
            o.step()
    return m, widths.index(min(widths[1:-1]))


def encode(m, code, x):
    xt = torch.from_numpy(x)
    with torch.no_grad():
        return m[:2 * code](xt).numpy(), float(((m(xt) - xt) ** 2).mean())


def scores(z, y, k):
    km = KMeans(n_clusters=k, n_init=10, random_state=0).fit(z)
    return adjusted_rand_score(y, km.labels_), silhouette_score(z, y)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("data")
    p.add_argument("labels")
    p.add_argument("--layers", required=True)
    p.add_argument("--acts", required=True)
    p.add_argument("--opt", default="adam")
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--loss", default="mse")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--epochs", type=int, default=50)
    p.add_argument("--k", type=int, default=8)
    p.add_argument("--seeds", default="0")
    p.add_argument("--eval", nargs=2, metavar=("DATA", "LABELS"),
                   help="score these rows (e.g. the test split) instead of the training rows")
    args = p.parse_args()
    torch.set_num_threads(1)
    x = np.load(args.data).astype(np.float32)
    y = np.load(args.labels)
    xe, ye = x, y
    if args.eval:
        xe, ye = np.load(args.eval[0]).astype(np.float32), np.load(args.eval[1])
        print(f"raw: silhouette(true) {silhouette_score(xe, ye):.4f}")
    ari, sil = scores(PCA(n_components=2).fit(x).transform(xe), ye, args.k)
    print(f"PCA 2: ARI {ari:.4f}  silhouette(true) {sil:.4f}")
    for s in args.seeds.split(","):
        m, code = train(x, args, int(s))
        z, mse = encode(m, code, xe)
        ari, sil = scores(z, ye, args.k)
        print(f"torch seed {s}: MSE (scored rows) {mse:.5f}  ARI {ari:.4f}  silhouette(true) {sil:.4f}", flush=True)


if __name__ == "__main__":
    main()
