#!/usr/bin/env bash
# latent's [train] optimizer = lbfgs against scikit-learn's
# MLPRegressor(solver='lbfgs') over several starts (issue 19): the two
# libraries draw their initial weights from different generators, so one
# seed each compares two unrelated starts; this compares the distributions.
#   scripts/lbfgs_seeds.sh LATENT_BINARY NP [SEED...]   (default seeds 17 1..9)
# Prints one line per seed: seed, latent's training MSE and iterations,
# scikit-learn's; then the mean and median of each. Needs Debian's
# python3-sklearn for /usr/bin/python3; 100 iterations, one BLAS thread.
set -euo pipefail
bin=${1:?latent binary}; np=${2:-1}; shift 2 || true
seeds=("$@"); [ ${#seeds[@]} -gt 0 ] || seeds=(17 1 2 3 4 5 6 7 8 9)
src=$(cd "$(dirname "$0")/.." && pwd)
deck=$src/inputs/seed001-lbfgs.ini
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
w=$(mktemp -d); trap 'rm -rf "$w"' EXIT
"$bin" generate "$deck" --output.dir="$w/data" >/dev/null
mse() { /usr/bin/python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['autoencoder']['reconstruction_mse']['train'])" "$1"; }
printf 'seed\tlatent_mse\tlatent_iter\tsklearn_mse\tsklearn_iter\n' | tee "$w/t.tsv"
for s in "${seeds[@]}"; do
  mpirun -n "$np" "$bin" train "$deck" --autoencoder.bottleneck_activation=relu --train.epochs=100 \
    --train.seed="$s" --output.dir="$w/l$s" >"$w/l$s.log" 2>&1
  it=$(grep -c '^  epoch' "$w/l$s.log")
  sk=$(/usr/bin/python3 "$src/scripts/lbfgs_sklearn.py" "$w/data/train.npy" 100 "$s")
  read -r skm skit < <(/usr/bin/python3 -c "import json,sys; j=json.loads(sys.argv[1]); print(j['train_mse'], j['n_iter'])" "$sk")
  printf '%s\t%.5f\t%s\t%.5f\t%s\n' "$s" "$(mse "$w/l$s/metrics.json")" "$it" "$skm" "$skit" | tee -a "$w/t.tsv"
done
/usr/bin/python3 - "$w/t.tsv" <<'PY'
import statistics as st, sys
rows = [l.split('\t') for l in open(sys.argv[1]).read().split('\n')[1:] if l]
for name, col in (("latent", 1), ("sklearn", 3)):
    v = [float(r[col]) for r in rows]
    print(f"{name}: mean {st.mean(v):.5f} median {st.median(v):.5f} best {min(v):.5f}")
PY
