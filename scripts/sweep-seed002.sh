#!/usr/bin/env bash
# The feature-count study of seed notebook 002 ("Do the Number of Features
# Matter?"): the 32-2-32 autoencoder of inputs/seed002.ini (sigmoid, BCE,
# Adam, batch 100, 10 epochs, 1,000,000 uniform rows, 90/10 split) for input
# widths 2, 4, 8, 16 and 32, as a loop of `latent run` with deck overrides.
# Each width gets its own results folder OUT/dW (metrics.json, models,
# figures/reconstruction_errors.png: the per-row error histogram of PCA and
# the autoencoder); the per-width histograms are copied to OUT/figures/ and
# OUT/summary.md tabulates the reconstruction errors and times of all widths.
# The notebook does no clustering, so k-means is off here.
#
# Usage: scripts/sweep-seed002.sh [OUT]     (default results/seed002-sweep)
# Environment: NP (ranks, default 2), LATENT (binary, default
# build/release/latent), MPIRUN (default "mpirun --oversubscribe -np $NP"),
# WIDTHS (default "2 4 8 16 32"), EXTRA (more overrides, e.g. --train.epochs=2).
# One iteration is one job: this loop becomes a SLURM job array later
# (index -> width).
set -euo pipefail
out=${1:-results/seed002-sweep}
np=${NP:-2}
latent=${LATENT:-build/release/latent}
read -r -a mpirun <<< "${MPIRUN:-mpirun --oversubscribe -np $np}"
read -r -a extra <<< "${EXTRA:-}"
widths=${WIDTHS:-2 4 8 16 32}
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
mkdir -p "$out/figures"
rm -f "$out/wall.txt.part"
for w in $widths; do
  echo "sweep-seed002: input width $w -> $out/d$w"
  # a run killed mid-way leaves d$w.partial-*; it never looks complete, drop it
  rm -rf "$out/d$w".partial-*
  start=$(date +%s.%N)
  "${mpirun[@]}" "$latent" run inputs/seed002.ini --force \
      --data.n_features="$w" --autoencoder.layers="$w,2,$w" --pca.n_components=2 \
      --kmeans.enabled=false --output.dir="$out/d$w" "${extra[@]}" > "$out/d$w.log" 2>&1 \
    || { echo "sweep-seed002: width $w failed, see $out/d$w.log" >&2; exit 1; }
  end=$(date +%s.%N)
  echo "$w $(echo "$end - $start" | bc)" >> "$out/wall.txt.part"
  cp "$out/d$w/figures/reconstruction_errors.png" "$out/figures/reconstruction_errors_d$w.png" 2>/dev/null || true
  tail -n 1 "$out/d$w.log"
done
mv "$out/wall.txt.part" "$out/wall.txt"
/usr/bin/python3 - "$out" $widths <<'PY'
import json, sys
out, widths = sys.argv[1], sys.argv[2:]
wall = dict(line.split() for line in open(f"{out}/wall.txt"))
rows = ["| input width | PCA 2 test MSE | autoencoder test MSE | final BCE train / val | train s | run wall s |",
        "|---:|---:|---:|---:|---:|---:|"]
for w in widths:
    m = json.load(open(f"{out}/d{w}/metrics.json"))
    ae, h = m["autoencoder"], m["autoencoder"]["loss_history"]
    rows.append(f"| {w} | {m['pca']['reconstruction_mse']['test']:.5f} | {ae['reconstruction_mse']['test']:.5f} "
                f"| {h['train'][-1]:.4f} / {h['validation'][-1]:.4f} "
                f"| {m['timings']['stages']['train']['wall_max']:.1f} | {float(wall[w]):.1f} |")
text = "\n".join(rows) + "\n"
open(f"{out}/summary.md", "w").write(text)
print(text, end="")
PY
