#!/usr/bin/python3
"""scikit-learn 1.2's MLPRegressor(solver='lbfgs') on the seed-001 network
and data, the reference for latent's [train] optimizer = lbfgs (issue 19).

    latent generate inputs/seed001-lbfgs.ini --output.dir=DIR   # the data
    /usr/bin/python3 scripts/lbfgs_sklearn.py DIR/train.npy [MAX_ITER [SEED]]

Fits X -> X with hidden layers 100, 50, 2, 50, 100 (relu: scikit-learn has
one hidden activation, so the linear bottleneck of seed001 is relu here; run
latent with --autoencoder.bottleneck_activation=relu for the same network),
identity output, alpha = 0 (seed001 has no L2), tol 1e-4, max_fun 15000, and
prints one JSON line: n_iter_, the training MSE (= 2 loss_ with alpha 0,
latent's train loss), seconds. scikit-learn's loss is squared_error / 2.
"""
import json
import sys
import time

import numpy as np
from sklearn.neural_network import MLPRegressor


def main():
    x = np.load(sys.argv[1]).astype(np.float64)
    max_iter = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 17
    m = MLPRegressor(hidden_layer_sizes=(100, 50, 2, 50, 100), activation="relu",
                     solver="lbfgs", alpha=0.0, max_iter=max_iter, tol=1e-4, max_fun=15000,
                     random_state=seed)
    t = time.perf_counter()
    m.fit(x, x)
    sec = time.perf_counter() - t
    mse = float(np.mean((m.predict(x) - x) ** 2))
    print(json.dumps({"n_samples": x.shape[0], "max_iter": max_iter, "n_iter": int(m.n_iter_),
                      "loss": float(m.loss_), "train_mse": mse, "seconds": round(sec, 2)}))


if __name__ == "__main__":
    main()
