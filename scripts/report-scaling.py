#!/usr/bin/python3
"""Turns a study folder of latent runs into a CSV table and a PNG figure.

    scripts/report-scaling.py [--mode auto|strong|weak|sweep] [--cores N]
                              [--ceiling P=S,...] [--markdown] [--stages a,b]
                              [--key SECTION.KEY] [--out PREFIX] STUDY_DIR

Every metrics.json below STUDY_DIR is one run (jobs/slurm/strong.sbatch,
weak.sbatch and sweep-features.sbatch write them as STUDY_DIR/<run>/metrics.json).

strong  same problem on more ranks: speedup S(p) = p0 T(p0) / T(p) against the
        ideal S = p, efficiency E = S / p, per stage and in total (p0 = fewest ranks).
weak    fixed rows per rank: efficiency E = T(p0) / T(p), scaled speedup p E.
sweep   one run per value of a deck key (--key, default data.n_features):
        reconstruction error of PCA and the autoencoder and time against the key.
--model prints the strong-scaling predictions of docs/scaling.md's cost model
        (Markdown tables; every constant is an option, see --help).
auto    weak if n_samples grows with the rank count, strong if it is constant.

Times are the slowest rank's (wall_max); comm is time inside MPI (comm_max),
compute = wall - comm. Runs with more ranks than --cores are marked
oversubscribed (column and hollow markers). --ceiling gives the best speedup
the machine allows at P ranks (e.g. 2=1.3 on a VM whose two vCPUs give 1.3x
one process); the CSV then has ceiling_speedup and of_ceiling = speedup /
ceiling, and the figure a dotted ceiling line. --markdown prints a table
(ranks, wall, comm, speedup, efficiency per stage) for documentation.
Writes PREFIX.csv and PREFIX.png
(PREFIX defaults to STUDY_DIR/scaling or STUDY_DIR/sweep). Needs only the
Python standard library for the CSV; the PNG needs python3-matplotlib, which
is installed with apt-get when missing and we are root.
"""
import argparse
import csv
import json
import math
import os
import subprocess
import sys

STAGES = ["data", "preprocess", "pca", "train", "encode", "kmeans", "scores", "report"]


def load_runs(study):
    runs = []
    for top, _dirs, files in os.walk(study):
        for f in sorted(files):
            if f == "metrics.json" or (f.startswith("metrics") and f.endswith(".json")):
                path = os.path.join(top, f)
                try:
                    with open(path) as fh:
                        m = json.load(fh)
                except (OSError, ValueError) as e:
                    sys.exit(f"report-scaling: cannot read {path}: {e}")
                if "timings" not in m or "ranks" not in m:
                    sys.exit(f"report-scaling: {path} has no timings/ranks: not a latent metrics.json")
                m["_path"] = path
                runs.append(m)
    return runs


def config_value(m, key):
    section, name = key.split(".", 1)
    v = m.get("config", {}).get(section, {}).get(name)
    if v is None:
        sys.exit(f"report-scaling: {m['_path']} has no config value {key}")
    try:
        return float(v) if "." in v or "e" in v else int(v)
    except ValueError:
        return v


def n_samples(m):
    return int(m["data"]["n_train"]) + int(m["data"].get("n_test") or 0)


def stage_times(m):
    """{stage or kernel event: (wall, comm, bytes)} including 'total'."""
    t = m["timings"]
    out = {}
    for s, v in t["stages"].items():
        out[s] = (float(v["wall_max"]), float(v["comm_max"]), float(v["bytes_total"]))
    comm = sum(c for _, c, _ in out.values())
    nbytes = sum(b for _, _, b in out.values())
    out["total"] = (float(t["total_wall_max"]), comm, nbytes)
    # Kernel events nest inside the stages (not added to the total): every
    # event the run registered (timings.events), so a new one needs no edit here.
    for e, v in t.get("events", {}).items():
        out[e] = (float(v["wall_max"]), float(v["comm_max"]), float(v["bytes_total"]))
    return out


def best_per_rank_count(runs):
    """Repeated runs at one rank count: keep the fastest (least disturbed)."""
    best = {}
    for m in runs:
        p = int(m["ranks"])
        if p not in best or m["timings"]["total_wall_max"] < best[p]["timings"]["total_wall_max"]:
            best[p] = m
    return [best[p] for p in sorted(best)]


def guess_mode(runs):
    ns = {n_samples(m) for m in runs}
    if len(ns) == 1:
        return "strong"
    per_rank = {round(n_samples(m) / int(m["ranks"])) for m in runs}
    if len(per_rank) == 1:
        return "weak"
    sys.exit("report-scaling: rows neither constant nor proportional to ranks: give --mode")


def parse_ceiling(text):
    """'2=1.3,4=1.3' -> {2: 1.3, 4: 1.3}"""
    out = {}
    for part in (text or "").split(","):
        if part.strip():
            p, _, v = part.partition("=")
            try:
                out[int(p)] = float(v)
            except ValueError:
                sys.exit(f"report-scaling: bad --ceiling entry '{part}': want P=SPEEDUP")
    return out


def scaling_rows(runs, mode, cores, ceiling=None):
    runs = best_per_rank_count(runs)
    base = runs[0]
    p0 = int(base["ranks"])
    t0 = stage_times(base)
    rows = []
    for m in runs:
        p = int(m["ranks"])
        for s, (wall, comm, nbytes) in stage_times(m).items():
            w0 = t0.get(s, (0.0,))[0]
            if mode == "strong":
                speedup = p0 * w0 / wall if wall > 0 else float("nan")
                eff = speedup / p
            else:
                eff = w0 / wall if wall > 0 else float("nan")
                speedup = p * eff
            rows.append({
                "stage": s, "ranks": p, "n_samples": n_samples(m),
                "oversubscribed": int(cores is not None and p > cores),
                "wall_s": wall, "comm_s": comm, "compute_s": max(wall - comm, 0.0),
                "comm_fraction": comm / wall if wall > 0 else 0.0,
                "bytes": int(nbytes), "speedup": speedup, "ideal_speedup": p / p0 if mode == "strong" else p,
                "efficiency": eff, "ceiling_speedup": None, "of_ceiling": None, "run": m["_path"]})
            if ceiling and p in ceiling:
                c = ceiling[p]
                rows[-1]["ceiling_speedup"] = c
                rows[-1]["of_ceiling"] = speedup / c if c > 0 else None
    return rows


def print_markdown(rows, mode, stages=None):
    want = stages or [s for s in STAGES + ["total"] if any(r["stage"] == s for r in rows)]
    ceil = any(r["of_ceiling"] is not None for r in rows)
    head = ["stage", "ranks", "wall s", "comm s", "speedup" if mode == "strong" else "scaled speedup",
            "efficiency"] + (["of ceiling"] if ceil else [])
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for s in want:
        for r in rows:
            if r["stage"] != s:
                continue
            p = f"{r['ranks']}" + (" (oversubscribed)" if r["oversubscribed"] else "")
            cells = [s, p, f"{r['wall_s']:.3f}", f"{r['comm_s']:.3f}", f"{r['speedup']:.2f}",
                     f"{100 * r['efficiency']:.0f}%"]
            if ceil:
                cells.append("" if r["of_ceiling"] is None else f"{100 * r['of_ceiling']:.0f}%")
            print("| " + " | ".join(cells) + " |")


def sweep_rows(runs, key):
    rows = []
    for m in runs:
        pca = m.get("pca", {}).get("reconstruction_mse", {}) or {}
        ae = m.get("autoencoder", {}).get("reconstruction_mse", {}) or {}
        st = m["timings"]["stages"]
        rows.append({
            key: config_value(m, key), "ranks": int(m["ranks"]), "n_samples": n_samples(m),
            "pca_mse_train": pca.get("train"), "pca_mse_test": pca.get("test"),
            "ae_mse_train": ae.get("train"), "ae_mse_test": ae.get("test"),
            "train_s": st.get("train", {}).get("wall_max"), "total_s": m["timings"]["total_wall_max"],
            "run": m["_path"]})
    rows.sort(key=lambda r: r[key])
    return rows


def write_csv(path, rows):
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0].keys()))
        w.writeheader()
        for r in rows:
            w.writerow({k: ("" if v is None else (f"{v:.6g}" if isinstance(v, float) else v))
                        for k, v in r.items()})


def import_pyplot():
    try:
        import matplotlib
    except ImportError:
        if os.geteuid() != 0 or not os.path.realpath(sys.executable).startswith("/usr/bin/"):
            print(f"report-scaling: {sys.executable} has no matplotlib; run the script with "
                  "/usr/bin/python3 (Debian's python3-matplotlib)", file=sys.stderr)
            return None
        print("report-scaling: installing python3-matplotlib with apt-get", file=sys.stderr)
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        for cmd in (["apt-get", "update", "-q"],
                    ["apt-get", "install", "-y", "-q", "--no-install-recommends", "python3-matplotlib"]):
            if subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL).returncode != 0:
                return None
        try:
            import matplotlib
        except ImportError:  # e.g. run by a Python other than Debian's /usr/bin/python3
            print(f"report-scaling: {sys.executable} cannot import matplotlib even after apt-get; "
                  "run the script with /usr/bin/python3", file=sys.stderr)
            return None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def plot_scaling(plt, path, rows, mode, cores, title=None, dpi=110):
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.8))
    stages = [s for s in STAGES + ["total"] if any(r["stage"] == s for r in rows)]
    ranks = sorted({r["ranks"] for r in rows})
    for i, s in enumerate(stages):
        rs = [r for r in rows if r["stage"] == s and r["wall_s"] > 1e-4]
        if not rs:
            continue
        col = "black" if s == "total" else f"C{i}"
        lw = 2.5 if s == "total" else 1.2
        x = [r["ranks"] for r in rs]
        ax1.plot(x, [r["speedup"] if mode == "strong" else r["wall_s"] for r in rs], "-", color=col, lw=lw, label=s)
        ax2.plot(x, [r["efficiency"] for r in rs], "-", color=col, lw=lw, label=s)
        for r in rs:
            face = "none" if r["oversubscribed"] else col
            ax1.plot(r["ranks"], r["speedup"] if mode == "strong" else r["wall_s"], "o", color=col, mfc=face)
            ax2.plot(r["ranks"], r["efficiency"], "o", color=col, mfc=face)
    if mode == "strong":
        ax1.plot(ranks, [p / ranks[0] for p in ranks], "k--", lw=1, label="ideal")
        ax1.set_ylabel("speedup (slowest rank)")
        ax1.set_yscale("log", base=2)
    else:
        ax1.set_ylabel("wall time per stage, s (slowest rank)")
        ax1.set_yscale("log")
    cx = sorted({r["ranks"] for r in rows if r["ceiling_speedup"] is not None})
    if cx:
        cy = {r["ranks"]: r["ceiling_speedup"] for r in rows if r["ceiling_speedup"] is not None}
        xs = [ranks[0]] + [p for p in cx if p != ranks[0]]
        ys = [1.0 if p == ranks[0] else cy[p] for p in xs]
        if mode == "strong":
            ax1.plot(xs, ys, "k:", lw=1.2, label="machine ceiling (--ceiling)")
        ax2.plot(xs, [y / (p / ranks[0]) if mode == "strong" else y / p for p, y in zip(xs, ys)],
                 "k:", lw=1.2, label="machine ceiling")
    ax2.axhline(1.0, color="k", ls="--", lw=1)
    ax2.axhline(0.8, color="grey", ls=":", lw=1)
    ax2.set_ylabel("parallel efficiency")
    ax2.set_ylim(bottom=0)
    for ax in (ax1, ax2):
        ax.set_xscale("log", base=2)
        ax.set_xticks(ranks)
        ax.set_xticklabels([str(p) for p in ranks])
        ax.set_xlabel("MPI ranks")
        ax.grid(ls=":", alpha=0.6)
        if cores is not None and ranks[-1] > cores:
            ax.axvspan(cores * 1.05, ranks[-1] * 1.2, color="grey", alpha=0.12, lw=0)
    ax1.legend(fontsize=8, loc="best")
    if not title:
        title = f"{mode} scaling, {rows[0]['n_samples']} rows" + ("" if mode == "strong" else f" at {ranks[0]} rank(s)")
        if any(r["oversubscribed"] for r in rows):
            title += f"; hollow/shaded: oversubscribed (> {cores} cores)"
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=dpi)


def plot_sweep(plt, path, rows, key):
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.8))
    x = [r[key] for r in rows]
    for name, col in (("pca", "C0"), ("ae", "C1")):
        label = "PCA" if name == "pca" else "autoencoder"
        for split, ls in (("train", "-"), ("test", "--")):
            y = [r[f"{name}_mse_{split}"] for r in rows]
            if any(v is not None for v in y):
                ax1.plot(x, [float("nan") if v is None else v for v in y], ls, marker="o", color=col,
                         label=f"{label}, {split}")
    ax1.set_ylabel("reconstruction MSE")
    ax1.legend()
    ax2.plot(x, [r["train_s"] for r in rows], "o-", label="autoencoder training")
    ax2.plot(x, [r["total_s"] for r in rows], "s-", color="k", label="whole run")
    ax2.set_ylabel("wall time, s (slowest rank)")
    ax2.legend()
    for ax in (ax1, ax2):
        if all(isinstance(v, (int, float)) and v > 0 for v in x):
            ax.set_xscale("log", base=2)
            ax.set_xticks(x)
            ax.set_xticklabels([str(v) for v in x])
        ax.set_xlabel(key)
        ax.grid(ls=":", alpha=0.6)
    fig.suptitle(f"sweep over {key} ({rows[0]['n_samples']} rows, {rows[0]['ranks']} ranks)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


# ---------------------------------------------------------------------------
# --model: the strong-scaling cost model of docs/scaling.md (predictions, not
# measurements). Every constant is a command-line option; the defaults are the
# figures docs/scaling.md gives and where they come from.

MODEL_PS = [2 ** i for i in range(11)]  # 1 .. 1024 ranks


def ar_ring(P, nbytes, a, B):
    """Ring allreduce: reduce-scatter + allgather, 2(P-1) steps of n/P bytes."""
    return 0.0 if P == 1 else 2 * (P - 1) / P * nbytes / B + 2 * (P - 1) * a


def ar_tree(P, nbytes, a, B):
    """Recursive doubling (or a binomial tree): log2 P steps of the whole buffer."""
    return 0.0 if P == 1 else math.log2(P) * (a + nbytes / B)


def step_eff(P, batch, t0, c, t_ar):
    """Global batch fixed: a step costs t0 + c * (rows of the busiest rank) + allreduce."""
    t1 = t0 + c * batch
    return t1 / (P * (t0 + c * math.ceil(batch / P) + t_ar))


def scaled_batch_eff(P, b, t0, c, t_ar):
    """Per-rank batch b fixed (global batch b P) against one rank doing the global batch."""
    return (t0 + c * b * P) / (P * (t0 + c * b + t_ar))


def md_table(title, head, rows):
    print(f"\n#### {title}\n")
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for r in rows:
        print("| " + " | ".join(r) + " |")


def pct(e):
    return f"{100 * e:.0f}%"


def model_network(name, batch, nparams, t0, c, a):
    m = 4 * (nparams + 1)  # the gradient plus the loss (and stop flag) float
    rows = []
    for P in MODEL_PS:
        ring, tree = ar_ring(P, m, a.alpha, a.bandwidth), ar_tree(P, m, a.alpha, a.bandwidth)
        shm = ar_tree(P, m, a.shm_alpha, a.shm_bandwidth)
        per = f"{batch / P:g}" if P <= batch else "1 (P - batch ranks idle)"
        rows.append([str(P), per, f"{1e6 * (t0 + c * math.ceil(batch / P)):.1f}",
                     f"{1e6 * ring:.1f}", f"{1e6 * tree:.1f}",
                     pct(step_eff(P, batch, t0, c, ring)), pct(step_eff(P, batch, t0, c, tree)),
                     pct(step_eff(P, batch, t0, c, shm)) if P <= a.node_ranks else "-"])
    md_table(f"{name}: global batch {batch}, {m:,}-byte allreduce per step",
             ["P", "rows per rank", "compute us/step", "ring us (IB)", "tree us (IB)",
              "E ring (IB)", "E tree (IB)", f"E tree (shared memory, P <= {a.node_ranks})"], rows)
    rows = []
    for P in (2, 8, 64, 256, 1024):
        cells = [str(P)]
        for alg in (ar_ring, ar_tree):
            t_ar = alg(P, m, a.alpha, a.bandwidth)
            b = 1
            while scaled_batch_eff(P, b, t0, c, t_ar) < 0.8 and b < 1 << 24:
                b += 1 if b < 16 else b // 16
            cells.append(f"{b:,} ({b * P:,})")
        rows.append(cells)
    md_table(f"{name}: smallest per-rank batch (global batch) for 80% efficiency",
             ["P", "ring (IB)", "tree (IB)"], rows)


def model_kmeans(a):
    n, d, k = 1e8, 10, 8
    m = 8 * (k * (d + 1) + 1)
    t1 = n * a.lloyd_ns_row * 1e-9
    rows = []
    for P in MODEL_PS:
        ring, tree = ar_ring(P, m, a.alpha, a.bandwidth), ar_tree(P, m, a.alpha, a.bandwidth)
        rows.append([str(P), f"{1e3 * t1 / P:.2f}", f"{1e6 * ring:.1f}", f"{1e6 * tree:.1f}",
                     pct(t1 / (P * (t1 / P + ring))), pct(t1 / (P * (t1 / P + tree)))])
    md_table(f"k-means (Lloyd), 1e8 x {d}, k = {k}: one {m}-byte allreduce per iteration",
             ["P", "compute ms/iteration", "ring us (IB)", "tree us (IB)", "E ring", "E tree"], rows)


def model_silhouette(a):
    """Every rank computes n^2 / 2P pairs; its block of n/P rows (d floats + k doubles
    each) makes one trip around the ring, so every rank receives all n rows once.
    With block placement only one ring link per node crosses the network, so the
    network link is not shared by the node's ranks."""
    n, d, k = 1e8, 10, 8
    t1 = n * n / 2 * a.sil_ns_pair * 1e-9
    rows = []
    for P in MODEL_PS:
        # With P even, the block pairs P/2 apart are computed on both sides
        # (one-sided last step): each rank does (P + 1) / P times its share.
        tp = t1 / P * ((P + 1) / P if P % 2 == 0 else 1.0)
        comm = 0.0 if P == 1 else P * a.alpha + n * (4 * d + 8 * k) / a.bandwidth
        rows.append([str(P), f"{tp / 3600:,.1f}", f"{comm:.1f}", pct(t1 / (P * (tp + comm)))])
    md_table(f"exact silhouette, 1e8 x {d}, k = {k}: every block passes every rank once",
             ["P", "compute h per rank", "ring transfer s per rank", "E"], rows)


def model_pca(a):
    n, d, r = a.pca_rows, 20000, a.pca_chunk
    g1 = n * d * d / a.gram_flops
    e1 = 4.7 * d ** 3 / a.eig_flops
    rows = []
    for P in MODEL_PS:
        g, e = g1 / P, e1 / P
        if P == 1:
            gc = ec = 0.0
        else:
            chunk = min((P - 1) * r * d * 8, (P - 1) / P * d * d * 8)  # move A, or reduce-scatter C
            gc = n / (P * r) * (chunk / a.bandwidth + math.log2(P) * a.alpha)
            ec = 5 * d * math.log2(P) * a.alpha + d * d / math.sqrt(P) * math.log2(P) * 8 / a.bandwidth
        rows.append([str(P), f"{g:,.0f}", f"{gc:,.1f}", pct(g1 / (P * (g + gc))), f"{e:,.1f}", f"{ec:.1f}",
                     pct(e1 / (P * (e + ec))), pct((g1 + e1) / (P * (g + gc + e + ec)))])
    md_table(f"PCA, covariance path (pdsyrk + pdsyevd), n = {n:.0e}, d = {d:,}, {r} rows per rank per chunk",
             ["P", "Gram s", "Gram comm s", "E Gram", "eigensolver s", "eig comm s", "E eig", "E PCA"], rows)


def run_model(a):
    print(f"Model constants: network alpha = {1e6 * a.alpha:g} us, B = {a.bandwidth / 1e9:g} GB/s; "
          f"shared memory alpha = {1e6 * a.shm_alpha:g} us, B = {a.shm_bandwidth / 1e9:g} GB/s")
    model_network("seed-000 network 10-8-6-2-6-8-10 (320 parameters)", 64, 320,
                  a.seed000_t0, a.seed000_c, a)
    model_network("MNIST network 784-100-20-100-784 (161,804 parameters)", 128, 161804,
                  a.mnist_t0, a.mnist_c, a)
    model_kmeans(a)
    model_silhouette(a)
    model_pca(a)


def add_model_args(ap):
    g = ap.add_argument_group("--model constants (defaults: docs/scaling.md)")
    g.add_argument("--alpha", type=float, default=2e-6, help="network latency, s (2 us: InfiniBand, assumed)")
    g.add_argument("--bandwidth", type=float, default=10e9, help="network bandwidth per rank, B/s (10 GB/s, assumed)")
    g.add_argument("--shm-alpha", type=float, default=1.0e-6, help="shared-memory allreduce latency, s (1 us: measured here)")
    g.add_argument("--shm-bandwidth", type=float, default=8e9, help="shared-memory bandwidth, B/s (8 GB/s: measured here)")
    g.add_argument("--node-ranks", type=int, default=64, help="ranks per node")
    g.add_argument("--seed000-t0", type=float, default=2.0e-6, help="seed-000 step: fixed s per step")
    g.add_argument("--seed000-c", type=float, default=0.105e-6, help="seed-000 step: s per row")
    g.add_argument("--mnist-t0", type=float, default=68e-6, help="MNIST step: fixed s per step")
    g.add_argument("--mnist-c", type=float, default=8.7e-6, help="MNIST step: s per row")
    g.add_argument("--lloyd-ns-row", type=float, default=3.0, help="Lloyd iteration, ns per row (d 10, k 8; AVX-512 tile kernel, 1 Dec)")
    g.add_argument("--sil-ns-pair", type=float, default=0.44, help="exact silhouette, ns per pair (d 10)")
    g.add_argument("--gram-flops", type=float, default=48e9, help="Gram (pdsyrk) flop/s per rank")
    g.add_argument("--eig-flops", type=float, default=30e9, help="eigensolver (pdsyevd) flop/s per rank")
    g.add_argument("--pca-rows", type=float, default=1e6, help="PCA rows n")
    g.add_argument("--pca-chunk", type=int, default=256, help="rows per rank per pdsyrk chunk")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("study", nargs="?")
    ap.add_argument("--model", action="store_true",
                    help="print the cost model's predicted efficiencies (no study folder needed)")
    ap.add_argument("--mode", choices=["auto", "strong", "weak", "sweep"], default="auto")
    ap.add_argument("--cores", type=int, default=None, help="cores available: more ranks are marked oversubscribed")
    ap.add_argument("--key", default="data.n_features", help="sweep: the deck key that varies")
    ap.add_argument("--out", default=None, help="output prefix (default STUDY/scaling or STUDY/sweep)")
    ap.add_argument("--no-png", action="store_true", help="write the CSV only")
    ap.add_argument("--ceiling", default=None,
                    help="best speedup the machine allows, e.g. 2=1.3,4=1.3 (strong) or the same as "
                         "throughput ratios (weak)")
    ap.add_argument("--markdown", action="store_true", help="print a Markdown table of the result")
    ap.add_argument("--stages", default=None, help="stages in the Markdown table, e.g. train,kmeans,total")
    ap.add_argument("--title", default=None, help="figure title (default: mode and rows)")
    ap.add_argument("--dpi", type=int, default=110, help="PNG resolution (default 110)")
    add_model_args(ap)
    a = ap.parse_args()
    if a.model:
        run_model(a)
        return
    if a.study is None:
        ap.error("a study folder is needed (or --model)")
    if not os.path.isdir(a.study):
        sys.exit(f"report-scaling: {a.study} is not a folder")
    runs = load_runs(a.study)
    if not runs:
        sys.exit(f"report-scaling: no metrics.json below {a.study}")
    mode = a.mode if a.mode != "auto" else guess_mode(runs)
    out = a.out or os.path.join(a.study, "sweep" if mode == "sweep" else "scaling")
    rows = (sweep_rows(runs, a.key) if mode == "sweep"
            else scaling_rows(runs, mode, a.cores, parse_ceiling(a.ceiling)))
    write_csv(out + ".csv", rows)
    print(f"report-scaling: {mode}, {len(runs)} runs -> {out}.csv")
    if a.markdown and mode != "sweep":
        print_markdown(rows, mode, a.stages.split(",") if a.stages else None)
    if a.no_png:
        return
    plt = import_pyplot()
    if plt is None:
        print("report-scaling: matplotlib unavailable, no PNG written", file=sys.stderr)
        sys.exit(1)
    if mode == "sweep":
        plot_sweep(plt, out + ".png", rows, a.key)
    else:
        plot_scaling(plt, out + ".png", rows, mode, a.cores, a.title, a.dpi)
    print(f"report-scaling: figure {out}.png")


if __name__ == "__main__":
    main()
