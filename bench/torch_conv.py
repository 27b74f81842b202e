#!/usr/bin/python3
"""PyTorch side of bench_train's two convolutional autoencoders (seed
notebook 003): the same layers, data size, batch size, loss and optimizer
(RMSprop with Keras' defaults, MSE, batch 128), timed per epoch.

    /usr/bin/python3 bench/torch_conv.py [--threads 1] [--format both|nchw|nhwc]
                                         [--epochs 3] [--only 1|2]

Model 1 (1,185 parameters) trains on 25,600 rows and model 2 (28,353) on
6,400, as in bench_train. Keras' 'same' 3x3 convolution at stride 1 is
padding=1; MaxPooling2D((2, 2), padding='same') is MaxPool2d(2,
ceil_mode=True) (7 -> 4, the padded cells ignored). Each memory format
(contiguous NCHW, channels_last) is timed; samples/s is the mean over the
epochs after the first (warm-up), and the best format is marked; samples
per CPU-second of the process (all epochs) is the figure that stays
comparable with bench_train's on a machine shared with other jobs. Batches are
sliced from one tensor after a randperm per epoch (no DataLoader;
bench/torch_epochs.py, shared with torch_train.py).
"""
import argparse

import numpy as np
import torch
from torch import nn

from torch_epochs import train_epochs


def conv(cin, cout, pad=1):
    c = nn.Conv2d(cin, cout, 3, padding=pad)
    nn.init.xavier_uniform_(c.weight)  # Keras' glorot_uniform (fan_in = 9 cin, fan_out = 9 cout)
    nn.init.zeros_(c.bias)
    return c


def pool():
    return nn.MaxPool2d(2, ceil_mode=True)


def up():
    return nn.Upsample(scale_factor=2, mode="nearest")


def model1():
    r = nn.ReLU
    return nn.Sequential(conv(1, 8), r(), pool(), conv(8, 4), r(), pool(), conv(4, 4), r(), pool(),
                         conv(4, 4), r(), up(), conv(4, 4), r(), up(), conv(4, 8, pad=0), r(), up(),
                         conv(8, 1), r())


def model2():
    r = nn.ReLU
    return nn.Sequential(conv(1, 32), r(), pool(), conv(32, 32), r(), pool(), conv(32, 32), r(), up(),
                         conv(32, 32), r(), up(), conv(32, 1), r())


MODELS = {"1": ("seed-003 conv 1 (1,185 params) mse rmsprop b128", model1, 25600),
          "2": ("seed-003 conv 2 (28,353 params) mse rmsprop b128", model2, 6400)}


def data(n):
    """Inputs in [0, 1]: noisy cluster centres, like bench_train's."""
    rng = np.random.default_rng(1)
    centers = rng.uniform(0.2, 0.8, size=(4, 784)).astype(np.float32)
    x = centers[np.arange(n) % 4] + 0.1 * (rng.random((n, 784), dtype=np.float32) - 0.5)
    return torch.from_numpy(np.clip(x, 0, 1)).reshape(n, 1, 28, 28)


def run(key, fmt, epochs, batch=128):
    name, make, n = MODELS[key]
    torch.manual_seed(1)
    m = make()
    nparams = sum(p.numel() for p in m.parameters())
    x = data(n)
    if fmt == "nhwc":
        m = m.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    crit = nn.MSELoss()
    # Keras RMSprop defaults (Keras puts eps inside the sqrt; not bit-compatible, same cost).
    o = torch.optim.RMSprop(m.parameters(), lr=0.001, alpha=0.9, eps=1e-7)
    nhwc = (lambda xs: xs.contiguous(memory_format=torch.channels_last)) if fmt == "nhwc" else None
    t, last, cpu = train_epochs(m, x, crit, o, epochs, batch, nhwc)
    return name, nparams, n, n / t, t, last, n * epochs / cpu


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--format", default="both", choices=["both", "nchw", "nhwc"])
    ap.add_argument("--only")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    fmts = ["nchw", "nhwc"] if a.format == "both" else [a.format]
    for key in MODELS:
        if a.only and a.only != key:
            continue
        rows = [run(key, f, a.epochs) for f in fmts]
        best = max(r[3] for r in rows)
        name, nparams, n = rows[0][0], rows[0][1], rows[0][2]
        print(f"{name}: {nparams} parameters, {n} rows, {a.epochs} epochs, "
              f"torch {torch.__version__}, {torch.get_num_threads()} thread(s)")
        for f, r in zip(fmts, rows):
            print(f"  {f}: {r[3]:9.0f} samples/s  {r[4]:.3f} s/epoch  loss {r[5]:.5f}  "
                  f"{r[6]:9.0f} samples per CPU-second (all epochs){'  (best)' if r[3] == best else ''}",
                  flush=True)


if __name__ == "__main__":
    main()
