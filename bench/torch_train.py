#!/usr/bin/python3
"""PyTorch side of bench/bench_train.c: the same three networks, data sizes,
batch sizes, losses and optimizers (Keras defaults), timed per epoch.

    /usr/bin/python3 bench/torch_train.py [--threads 1] [--epochs-scale 1] [--only 003]

Batches are sliced from one tensor after a randperm per epoch (no DataLoader,
the fastest plain PyTorch loop; bench/torch_epochs.py, shared with
torch_conv.py). Prints samples/s as the mean over epochs after the first.
"""
import argparse
import math

import numpy as np
import torch
from torch import nn

from torch_epochs import train_epochs

NETS = [
    ("seed-000 10-8-6-2-6-8-10 sgd b64", [10, 8, 6, 2, 6, 8, 10],
     ["relu", "relu", "linear", "relu", "relu", "sigmoid"], "mse", "sgd", 30000, 64, 10),
    ("seed-002 32-2-32 bce adam b100", [32, 2, 32], ["relu", "sigmoid"], "bce", "adam", 900000, 100, 3),
    ("seed-003 784-100-20-100-784 rmsprop b128", [784, 100, 20, 100, 784],
     ["relu", "relu", "relu", "sigmoid"], "bce", "rmsprop", 60000, 128, 3),
]
ACT = {"relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "linear": nn.Identity}


def data(n, d):
    rng = np.random.default_rng(1)
    centers = rng.uniform(0.2, 0.8, size=(4, d)).astype(np.float32)
    x = centers[np.arange(n) % 4] + 0.1 * (rng.random((n, d), dtype=np.float32) - 0.5)
    return torch.from_numpy(np.clip(x, 0, 1))


def model(widths, acts):
    layers = []
    for a, b, act in zip(widths[:-1], widths[1:], acts):
        lin = nn.Linear(a, b)
        nn.init.xavier_uniform_(lin.weight)  # Keras' glorot_uniform
        nn.init.zeros_(lin.bias)
        layers += [lin, ACT[act]()]
    return nn.Sequential(*layers)


def run(net, scale):
    name, widths, acts, loss, opt, n, batch, epochs = net
    epochs = max(1, math.ceil(epochs * scale))
    x = data(n, widths[0])
    m = model(widths, acts)
    crit = nn.MSELoss() if loss == "mse" else nn.BCELoss()
    if opt == "sgd":
        o = torch.optim.SGD(m.parameters(), lr=0.01)
    elif opt == "adam":
        o = torch.optim.Adam(m.parameters(), lr=0.001, eps=1e-7)
    else:
        o = torch.optim.RMSprop(m.parameters(), lr=0.001, alpha=0.9, eps=1e-7)
    t, last, _ = train_epochs(m, x, crit, o, epochs, batch)
    print(f"{name}, {n} rows, {epochs} epochs")
    print(f"  torch {torch.__version__}, {torch.get_num_threads()} thread(s): "
          f"{n / t:9.0f} samples/s  {t:.3f} s/epoch  loss {last:.5f}", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--epochs-scale", type=float, default=1.0)
    ap.add_argument("--only")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    for net in NETS:
        if a.only and a.only not in net[0]:
            continue
        run(net, a.epochs_scale)


if __name__ == "__main__":
    main()
