#!/usr/bin/python3
"""Writes the small files that tests/data/mpitest_io_*.c read, with numpy's
and h5py's own writers, so latent's readers are checked against the real
formats. Values follow x[i, j] = i + j / 4 (exact in float32) and labels
y[i] = i % 3, which the C tests recompute.

Run: /usr/bin/python3 scripts/make-io-fixtures.py  (writes tests/fixtures/data/)
Needs python3-numpy and python3-h5py (Debian packages)."""
import gzip
import os
import struct

import h5py
import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "data")
N, D = 7, 3


def values(n=N, d=D, dtype=np.float32):
    i, j = np.meshgrid(np.arange(n), np.arange(d), indexing="ij")
    return (i + j / 4.0).astype(dtype)


def labels(n=N, dtype=np.int64):
    return (np.arange(n) % 3).astype(dtype)


def save(name, arr, version=None):
    with open(os.path.join(OUT, name), "wb") as f:
        np.lib.format.write_array(f, arr, version=version)


def npy_files():
    save("f4_v1.npy", values(), (1, 0))
    save("f8_v2.npy", values(dtype=np.float64), (2, 0))
    save("f4_v3.npy", values(), (3, 0))
    save("labels_i8.npy", labels())
    save("labels_i4.npy", labels(dtype=np.int32))
    save("labels_u1.npy", labels(dtype=np.uint8))
    save("fortran.npy", np.asfortranarray(values()))
    save("bigendian.npy", values().astype(">f4"))
    save("int_data.npy", values().astype("<i4"))
    save("shape3d.npy", np.zeros((2, 3, 4), np.float32))
    save("empty_rows.npy", np.zeros((0, 3), np.float32))
    save("labels_f4.npy", labels(dtype=np.float32))
    a = values()
    a[5, 2] = np.nan
    save("nan.npy", a)
    # Truncated: a valid header for 7 x 3 floats, then only 20 values.
    with open(os.path.join(OUT, "f4_v1.npy"), "rb") as f:
        whole = f.read()
    with open(os.path.join(OUT, "truncated.npy"), "wb") as f:
        f.write(whole[: len(whole) - 4])


def idx_files():
    rng = np.random.default_rng(3)
    img = rng.integers(0, 256, size=(N, 4, 5), dtype=np.uint8)
    img[0, 0, 0], img[0, 0, 1] = 0, 255
    lab = labels(dtype=np.uint8)
    raw_i = struct.pack(">IIII", 0x803, N, 4, 5) + img.tobytes()
    raw_l = struct.pack(">II", 0x801, N) + lab.tobytes()
    for name, data in [("images-idx3-ubyte", raw_i), ("labels-idx1-ubyte", raw_l)]:
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
        with gzip.open(os.path.join(OUT, name + ".gz"), "wb") as f:
            f.write(data)
    # The C test checks pixels against this text copy: (i, r, c) -> byte.
    np.savetxt(os.path.join(OUT, "images-idx3-ubyte.txt"), img.reshape(N, -1), fmt="%d")
    with gzip.open(os.path.join(OUT, "truncated-idx3-ubyte.gz"), "wb") as f:
        f.write(raw_i[: len(raw_i) - 7])
    with open(os.path.join(OUT, "short-labels-idx1-ubyte"), "wb") as f:
        f.write(struct.pack(">II", 0x801, N - 1) + lab[: N - 1].tobytes())


def h5_files():
    with h5py.File(os.path.join(OUT, "data.h5"), "w") as f:
        f["X"] = values(dtype=np.float64)
        f["y"] = labels()
        f["group/Xf"] = values()
        f["X3"] = np.zeros((2, 3, 4))
        f["names"] = np.array([b"a", b"b"])
        f["short_y"] = labels(N - 1)


def csv_files():
    a = np.hstack([values(dtype=np.float64), labels()[:, None]])
    np.savetxt(os.path.join(OUT, "numpy.csv"), a, delimiter=",", header="a,b,c,label",
               comments="", fmt=["%.18e"] * D + ["%d"])


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    npy_files()
    idx_files()
    h5_files()
    csv_files()
