#!/usr/bin/python3
"""Turns a study folder of latent runs into a CSV table and a PNG figure.

    scripts/report-scaling.py [--mode auto|strong|weak|sweep] [--cores N]
                              [--key SECTION.KEY] [--out PREFIX] STUDY_DIR

Every metrics.json below STUDY_DIR is one run (jobs/slurm/strong.sbatch,
weak.sbatch and sweep-features.sbatch write them as STUDY_DIR/<run>/metrics.json).

strong  same problem on more ranks: speedup S(p) = p0 T(p0) / T(p) against the
        ideal S = p, efficiency E = S / p, per stage and in total (p0 = fewest ranks).
weak    fixed rows per rank: efficiency E = T(p0) / T(p), scaled speedup p E.
sweep   one run per value of a deck key (--key, default data.n_features):
        reconstruction error of PCA and the autoencoder and time against the key.
auto    weak if n_samples grows with the rank count, strong if it is constant.

Times are the slowest rank's (wall_max); comm is time inside MPI (comm_max),
compute = wall - comm. Runs with more ranks than --cores are marked
oversubscribed (column and hollow markers). Writes PREFIX.csv and PREFIX.png
(PREFIX defaults to STUDY_DIR/scaling or STUDY_DIR/sweep). Needs only the
Python standard library for the CSV; the PNG needs python3-matplotlib, which
is installed with apt-get when missing and we are root.
"""
import argparse
import csv
import json
import os
import subprocess
import sys

STAGES = ["data", "preprocess", "pca", "train", "encode", "kmeans", "report"]


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
    """{stage: (wall, comm, bytes)} including 'total'."""
    t = m["timings"]
    out = {}
    for s, v in t["stages"].items():
        out[s] = (float(v["wall_max"]), float(v["comm_max"]), float(v["bytes_total"]))
    comm = sum(c for _, c, _ in out.values())
    nbytes = sum(b for _, _, b in out.values())
    out["total"] = (float(t["total_wall_max"]), comm, nbytes)
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


def scaling_rows(runs, mode, cores):
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
                "efficiency": eff, "run": m["_path"]})
    return rows


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
        if os.geteuid() != 0:
            return None
        print("report-scaling: installing python3-matplotlib with apt-get", file=sys.stderr)
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        for cmd in (["apt-get", "update", "-q"],
                    ["apt-get", "install", "-y", "-q", "--no-install-recommends", "python3-matplotlib"]):
            if subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL).returncode != 0:
                return None
        import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def plot_scaling(plt, path, rows, mode, cores):
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
    title = f"{mode} scaling, {rows[0]['n_samples']} rows" + ("" if mode == "strong" else f" at {ranks[0]} rank(s)")
    if any(r["oversubscribed"] for r in rows):
        title += f"; hollow/shaded: oversubscribed (> {cores} cores)"
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


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


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("study")
    ap.add_argument("--mode", choices=["auto", "strong", "weak", "sweep"], default="auto")
    ap.add_argument("--cores", type=int, default=None, help="cores available: more ranks are marked oversubscribed")
    ap.add_argument("--key", default="data.n_features", help="sweep: the deck key that varies")
    ap.add_argument("--out", default=None, help="output prefix (default STUDY/scaling or STUDY/sweep)")
    ap.add_argument("--no-png", action="store_true", help="write the CSV only")
    a = ap.parse_args()
    if not os.path.isdir(a.study):
        sys.exit(f"report-scaling: {a.study} is not a folder")
    runs = load_runs(a.study)
    if not runs:
        sys.exit(f"report-scaling: no metrics.json below {a.study}")
    mode = a.mode if a.mode != "auto" else guess_mode(runs)
    out = a.out or os.path.join(a.study, "sweep" if mode == "sweep" else "scaling")
    rows = sweep_rows(runs, a.key) if mode == "sweep" else scaling_rows(runs, mode, a.cores)
    write_csv(out + ".csv", rows)
    print(f"report-scaling: {mode}, {len(runs)} runs -> {out}.csv")
    if a.no_png:
        return
    plt = import_pyplot()
    if plt is None:
        print("report-scaling: matplotlib unavailable, no PNG written", file=sys.stderr)
        sys.exit(1)
    if mode == "sweep":
        plot_sweep(plt, out + ".png", rows, a.key)
    else:
        plot_scaling(plt, out + ".png", rows, mode, a.cores)
    print(f"report-scaling: figure {out}.png")


if __name__ == "__main__":
    main()
