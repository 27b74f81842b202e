#!/usr/bin/python3
"""Reference values for tests/data/mpitest_preprocess.c.

Writes tests/fixtures/data/scaler.txt: named blocks "NAME rows cols" followed
by rows of numbers. X (float32, 13 x 4, column 1 constant) is the training
set; Z (3 x 4) is another dataset the fitted scalers are applied to, with
values outside the training range. Run from the repository root:
    /usr/bin/python3 scripts/fixtures_data_scaler.py
"""
import numpy as np
import sklearn
from sklearn.preprocessing import MinMaxScaler, StandardScaler

rng = np.random.default_rng(20240611)
n = 13
X = np.empty((n, 4), dtype=np.float32)
X[:, 0] = rng.normal(5.0, 2.0, n)
X[:, 1] = 3.5                               # constant column
X[:, 2] = rng.uniform(-1000.0, 250.0, n)
X[:, 3] = 1e-3 * rng.standard_normal(n) + 7.0
Z = np.array([[100.0, 3.5, -5000.0, 7.0],
              [-3.0, 0.0, 0.0, 6.99],
              [5.0, 4.0, 250.0, 7.01]], dtype=np.float32)

mm = MinMaxScaler(feature_range=(-1.0, 2.0)).fit(X)
st = StandardScaler().fit(X)
blocks = {
    "X": X, "Z": Z,
    "minmax_X": mm.transform(X), "minmax_Z": mm.transform(Z),
    "standard_X": st.transform(X), "standard_Z": st.transform(Z),
    "standard_mean": st.mean_[None, :], "standard_scale": st.scale_[None, :],
}
with open("tests/fixtures/data/scaler.txt", "w") as f:
    f.write(f"# scikit-learn {sklearn.__version__}, numpy {np.__version__}; "
            "MinMaxScaler(feature_range=(-1, 2)), StandardScaler() fitted on X (float32)\n")
    for name, a in blocks.items():
        f.write(f"{name} {a.shape[0]} {a.shape[1]}\n")
        for row in a:
            f.write(" ".join(f"{float(v):.17g}" for v in row) + "\n")
