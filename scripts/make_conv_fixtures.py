#!/usr/bin/python3
"""Reference values for tests/nn/mpitest_conv_reference.c, computed with PyTorch.

A small stack with every layer kind (conv2d same and valid, maxpool2d 2x2
same on an odd size (9 -> 5, the padding row at the bottom) and 3x3 stride
2 same, flatten, dense, reshape, upsample2d by 3) on 9 x 6 x 2 images takes three optimizer steps on one batch
of 6 rows. The model is written here with torch.nn.functional in NCHW,
converted from and to latent's NHWC rows, with Keras' padding rules spelled
out (zero padding for convolutions, -inf for pooling, the odd pixel at the
bottom / right). For each case we record the loss, the gradient and the
parameters after each step in latent's flat layout (per layer: kernel in
Keras order, dense (in, out) or conv2d (kh, kw, cin, cout), then bias), and
each layer's output shape. Gradients come from autograd in float64; SGD and
RMSprop are torch.optim's (their update rules equal latent's).

Run: /usr/bin/python3 scripts/make_conv_fixtures.py  (writes tests/fixtures/nn/conv_*.txt)
"""
import math
import os

import numpy as np
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "nn")
INPUT = (9, 6, 2)
# (kind, args): the same text latent parses
STACK = [("conv", 3, 3, "same", "tanh"), ("pool", 2, 2, "same"), ("pool", 3, 2, "same"),
         ("conv", 4, 1, "valid", "relu"), ("flatten",), ("dense", 5, "tanh"),
         ("dense", 6, "relu"), ("reshape", 3, 2, 1), ("up", 3),
         ("conv", 2, 3, "same", "sigmoid")]


def stack_text():
    items = []
    for s in STACK:
        if s[0] == "conv":
            items.append(f"conv {s[1]} {s[2]} {s[3]} {s[4]}")
        elif s[0] == "pool":
            items.append(f"pool {s[1]} {s[2]} {s[3]}")
        elif s[0] == "dense":
            items.append(f"dense {s[1]} {s[2]}")
        elif s[0] == "reshape":
            items.append(f"reshape {s[1]} {s[2]} {s[3]}")
        elif s[0] == "up":
            items.append(f"up {s[1]}")
        else:
            items.append(s[0])
    return ", ".join(items)


def same_pad(n, k, s):
    """Keras/TensorFlow 'same': (before, after) padding of one axis."""
    pad = max(k - s, 0) if n % s == 0 else max(k - n % s, 0)
    return pad // 2, pad - pad // 2


def act(name, z):
    return {"tanh": torch.tanh, "relu": torch.relu, "linear": lambda v: v,
            "sigmoid": torch.sigmoid}[name](z)


def shapes():
    """Output shape (h, w, c) or (n,) of every layer, and parameter shapes."""
    h, w, c = INPUT
    cur, out, pshapes = (h, w, c), [], []
    for s in STACK:
        if s[0] == "conv":
            f, k, pad = s[1], s[2], s[3]
            pshapes.append(((k, k, cur[2], f), (f,)))
            if pad == "same":
                cur = (cur[0], cur[1], f)
            else:
                cur = (cur[0] - k + 1, cur[1] - k + 1, f)
        elif s[0] == "pool":
            k, st = s[1], s[2]
            pshapes.append(None)
            cur = (math.ceil(cur[0] / st), math.ceil(cur[1] / st), cur[2])
        elif s[0] == "up":
            pshapes.append(None)
            cur = (cur[0] * s[1], cur[1] * s[1], cur[2])
        elif s[0] == "flatten":
            pshapes.append(None)
            cur = (int(np.prod(cur)),)
        elif s[0] == "dense":
            pshapes.append(((cur[0], s[1]), (s[1],)))
            cur = (s[1],)
        elif s[0] == "reshape":
            pshapes.append(None)
            cur = tuple(s[1:4])
        out.append(cur)
    return out, pshapes


def forward(params, x):
    """x: (B, h, w, c) NHWC; params: list of (kernel, bias) or None."""
    t = x
    for s, p in zip(STACK, params):
        if s[0] == "conv":
            k = s[2]
            nchw = t.permute(0, 3, 1, 2)
            if s[3] == "same":
                pt, pb = same_pad(nchw.shape[2], k, 1)
                pl, pr = same_pad(nchw.shape[3], k, 1)
                nchw = F.pad(nchw, (pl, pr, pt, pb))
            weight = p[0].permute(3, 2, 0, 1)  # (kh, kw, cin, cout) -> (cout, cin, kh, kw)
            t = act(s[4], F.conv2d(nchw, weight, p[1])).permute(0, 2, 3, 1)
        elif s[0] == "pool":
            k, st = s[1], s[2]
            nchw = t.permute(0, 3, 1, 2)
            pt, pb = same_pad(nchw.shape[2], k, st)
            pl, pr = same_pad(nchw.shape[3], k, st)
            nchw = F.pad(nchw, (pl, pr, pt, pb), value=-math.inf)
            t = F.max_pool2d(nchw, k, st).permute(0, 2, 3, 1)
        elif s[0] == "up":
            t = t.repeat_interleave(s[1], dim=1).repeat_interleave(s[1], dim=2)
        elif s[0] == "flatten":
            t = t.reshape(t.shape[0], -1)
        elif s[0] == "dense":
            t = act(s[2], t @ p[0] + p[1])
        elif s[0] == "reshape":
            t = t.reshape(t.shape[0], s[1], s[2], s[3])
    return t


def flat(params, grad=False):
    parts = []
    for p in params:
        if p is None:
            continue
        for q in p:
            parts.append((q.grad if grad else q).detach().numpy().ravel())
    return np.concatenate(parts)


def run(case, opt, hyper, x, p0):
    params = [None if p is None else tuple(torch.tensor(q, requires_grad=True) for q in p) for p in p0]
    leaves = [q for p in params if p is not None for q in p]
    if opt == "sgd":
        o = torch.optim.SGD(leaves, lr=hyper["lr"], momentum=hyper["momentum"])
    else:
        o = torch.optim.RMSprop(leaves, lr=hyper["lr"], alpha=hyper["rho"], eps=hyper["epsilon"])
    xt = torch.tensor(x).reshape(x.shape[0], *INPUT)
    rec = {"loss": [], "grad": [], "param": []}
    for _ in range(3):
        for q in leaves:
            q.grad = None
        y = forward(params, xt)
        assert tuple(y.shape[1:]) == INPUT
        L = ((y - xt) ** 2).mean()
        L.backward()
        rec["loss"].append(L.item())
        rec["grad"].append(flat(params, grad=True))
        o.step()
        rec["param"].append(flat(params))
    outs, _ = shapes()
    with open(os.path.join(OUT, case + ".txt"), "w") as f:
        def put(key, vals):
            vals = np.asarray(vals, dtype=np.float64).ravel()
            f.write(f"{key} {vals.size} " + " ".join(f"{v:.17g}" for v in vals) + "\n")
        f.write(f"stack {stack_text()}\n")
        put("input_shape", INPUT)
        for i, s in enumerate(outs):
            put(f"shape{i + 1}", s)
        f.write(f"optimizer {opt}\n")
        for k in ["lr", "momentum", "epsilon", "rho"]:
            put(k, [hyper.get(k, 0.0)])
        put("x", x)
        put("params0", flat([None if p is None else tuple(torch.tensor(q) for q in p) for p in p0]))
        for s in range(3):
            put(f"loss{s + 1}", [rec["loss"][s]])
            put(f"grad{s + 1}", rec["grad"][s])
            put(f"params{s + 1}", rec["param"][s])


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(16)
    x = rng.uniform(0.05, 0.95, size=(6, int(np.prod(INPUT))))
    _, pshapes = shapes()
    p0 = []
    for ps in pshapes:
        if ps is None:
            p0.append(None)
            continue
        fan = np.prod(ps[0][:-1])
        lim = 1.5 / np.sqrt(fan)
        p0.append((rng.uniform(-lim, lim, size=ps[0]), rng.uniform(-0.2, 0.2, size=ps[1])))
    # float32 round trip so the C side starts from exactly these values
    x = np.float32(x).astype(np.float64)
    p0 = [None if p is None else tuple(np.float32(q).astype(np.float64) for q in p) for p in p0]
    run("conv_rmsprop", "rmsprop", {"lr": 0.01, "rho": 0.9, "epsilon": 1e-7}, x, p0)
    run("conv_sgd_momentum", "sgd", {"lr": 0.2, "momentum": 0.9}, x, p0)
    print("wrote", OUT)


if __name__ == "__main__":
    main()
