"""The timed training loop of bench/torch_train.py and bench/torch_conv.py
(the PyTorch sides of bench_train), one copy so both measure the same way.

Batches are sliced from one tensor after a randperm per epoch (no
DataLoader, the fastest plain PyTorch loop); the input is the target.
"""
import time

import numpy as np
import torch


def train_epochs(m, x, crit, opt, epochs, batch, relayout=None):
    """Trains m on x for `epochs`; relayout(xs), if given, re-lays each
    epoch's shuffled tensor (channels_last). Returns the mean epoch seconds
    after the first (warm-up; the only one if there is one), the last
    epoch's mean loss and the process' CPU seconds over all epochs."""
    n = x.shape[0]
    times, last = [], float("nan")
    cpu0 = time.process_time()
    for _ in range(epochs):
        t0 = time.perf_counter()
        xs = x[torch.randperm(n)]
        if relayout:
            xs = relayout(xs)
        total = 0.0
        for i in range(0, n, batch):
            xb = xs[i:i + batch]
            opt.zero_grad(set_to_none=True)
            lv = crit(m(xb), xb)
            lv.backward()
            opt.step()
            total += lv.item() * xb.shape[0]
        times.append(time.perf_counter() - t0)
        last = total / n
    cpu = time.process_time() - cpu0
    return (np.mean(times[1:]) if len(times) > 1 else times[0]), last, cpu
