#!/usr/bin/python3
"""Reference values for tests/nn/test_reference.c, computed with PyTorch.

A tiny autoencoder 5-4-3-4-5 (tanh, relu, linear, sigmoid) with fixed
weights takes three optimizer steps on one batch of 6 rows. For each case we
record the loss, the gradient (in latent's flat parameter layout: kernel
in x out row-major, then bias, layer by layer) and the parameters after
each step. Gradients come from autograd in float64; SGD and RMSprop are
torch.optim's (their update rules equal Keras'); Adam follows Keras'
formula (epsilon added to sqrt(v) before bias correction), which differs
from torch.optim.Adam.

Run: /usr/bin/python3 scripts/make_nn_fixtures.py  (writes tests/fixtures/nn/)
"""
import os
import numpy as np
import torch

torch.set_default_dtype(torch.float64)
OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "nn")
WIDTHS = [5, 4, 3, 4, 5]
ACTS = ["tanh", "relu", "linear", "sigmoid"]
EPS = 1e-7


def act(name, z):
    return {"tanh": torch.tanh, "relu": torch.relu, "linear": lambda v: v,
            "sigmoid": torch.sigmoid}[name](z)


def forward(ws, bs, x):
    for w, b, a in zip(ws, bs, ACTS):
        x = act(a, x @ w + b)
    return x


def loss_fn(kind, y, t, ws, l2):
    if kind == "mse":
        data = ((y - t) ** 2).mean()
    else:
        p = torch.clamp(y, EPS, 1 - EPS)
        data = -(t * torch.log(p) + (1 - t) * torch.log(1 - p)).mean()
    reg = 0.5 * l2 * sum((w ** 2).sum() for w in ws) / y.shape[0]
    return data + reg


def flat(ws, bs, grad=False):
    parts = []
    for w, b in zip(ws, bs):
        parts += [(w.grad if grad else w).detach().numpy().ravel(),
                  (b.grad if grad else b).detach().numpy().ravel()]
    return np.concatenate(parts)


def run(case, kind, opt, hyper, l2, x, w0, b0):
    ws = [torch.tensor(w, requires_grad=True) for w in w0]
    bs = [torch.tensor(b, requires_grad=True) for b in b0]
    params = [p for pair in zip(ws, bs) for p in pair]
    t = torch.tensor(x)
    if opt == "sgd":
        o = torch.optim.SGD(params, lr=hyper["lr"], momentum=hyper["momentum"],
                            nesterov=bool(hyper["nesterov"]))
    elif opt == "rmsprop":
        o = torch.optim.RMSprop(params, lr=hyper["lr"], alpha=hyper["rho"], eps=hyper["epsilon"])
    else:
        o = None
        m = [torch.zeros_like(p) for p in params]
        v = [torch.zeros_like(p) for p in params]
    rec = {"loss": [], "grad": [], "param": []}
    for step in range(1, 4):
        for p in params:
            p.grad = None
        L = loss_fn(kind, forward(ws, bs, t), t, ws, l2)
        L.backward()
        rec["loss"].append(L.item())
        rec["grad"].append(flat(ws, bs, grad=True))
        if o is not None:
            o.step()
        else:
            b1, b2, eps, lr = hyper["beta1"], hyper["beta2"], hyper["epsilon"], hyper["lr"]
            a = lr * np.sqrt(1 - b2 ** step) / (1 - b1 ** step)
            with torch.no_grad():
                for p, mi, vi in zip(params, m, v):
                    mi.mul_(b1).add_((1 - b1) * p.grad)
                    vi.mul_(b2).add_((1 - b2) * p.grad ** 2)
                    p.sub_(a * mi / (vi.sqrt() + eps))
        rec["param"].append(flat(ws, bs))
    with open(os.path.join(OUT, case + ".txt"), "w") as f:
        def put(key, vals):
            vals = np.asarray(vals, dtype=np.float64).ravel()
            f.write(f"{key} {vals.size} " + " ".join(f"{v:.17g}" for v in vals) + "\n")
        put("widths", WIDTHS)
        f.write("acts " + " ".join(ACTS) + "\n")
        f.write(f"loss {kind}\noptimizer {opt}\n")
        put("l2", [l2])
        for k in ["lr", "momentum", "nesterov", "beta1", "beta2", "epsilon", "rho"]:
            put(k, [hyper.get(k, 0.0)])
        put("x", x)
        put("params0", flat([torch.tensor(w) for w in w0], [torch.tensor(b) for b in b0]))
        for s in range(3):
            put(f"loss{s + 1}", [rec["loss"][s]])
            put(f"grad{s + 1}", rec["grad"][s])
            put(f"params{s + 1}", rec["param"][s])


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(20240)
    x = rng.uniform(0.05, 0.95, size=(6, WIDTHS[0]))
    w0 = [rng.uniform(-0.8, 0.8, size=(a, b)) for a, b in zip(WIDTHS[:-1], WIDTHS[1:])]
    b0 = [rng.uniform(-0.2, 0.2, size=b) for b in WIDTHS[1:]]
    # float32 round trip so the C side starts from exactly these values
    x, w0, b0 = (np.float32(x).astype(np.float64), [np.float32(w).astype(np.float64) for w in w0],
                 [np.float32(b).astype(np.float64) for b in b0])
    run("mse_sgd_nesterov", "mse", "sgd", {"lr": 0.1, "momentum": 0.9, "nesterov": 1}, 0.01, x, w0, b0)
    run("mse_sgd_plain", "mse", "sgd", {"lr": 0.05, "momentum": 0.0, "nesterov": 0}, 0.0, x, w0, b0)
    run("bce_adam", "bce", "adam", {"lr": 0.01, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-7},
        0.0, x, w0, b0)
    run("mse_rmsprop", "mse", "rmsprop", {"lr": 0.01, "rho": 0.9, "epsilon": 1e-7}, 0.001, x, w0, b0)
    print("wrote", OUT)


if __name__ == "__main__":
    main()
