#!/usr/bin/env bash
# Single-cell benchmark (issue 18): file -> PCA scores, latent vs a Python
# pipeline doing the same steps (bench/sc_pipeline.py: anndata read, SciPy
# sparse filters/normalize/log1p/HVG, dense scale, scikit-learn PCA 50).
# A synthetic count matrix is written once with `latent generate`
# ([data] source = counts). Not a timed test: run it by hand on a quiet
# machine; it prints wall and CPU seconds and peak memory per phase.
# Usage: bench/sc_bench.sh [CELLS] [GENES] [DENSITY] [RANKS] [WORKDIR]
set -euo pipefail
cells=${1:-100000}; genes=${2:-20000}; dens=${3:-0.05}; np=${4:-1}; work=${5:-/tmp/lt_sc_bench}
here=$(cd "$(dirname "$0")/.." && pwd)
latent=${LATENT:-$here/build/release/latent}
mpi=(mpiexec --oversubscribe -n "$np")
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1
mkdir -p "$work"
file=$work/counts_${cells}x${genes}_${dens}.h5ad
cat >"$work/gen.ini" <<EOD
[data]
source = counts
n_samples = $cells
n_features = $genes
centers = 8
density = $dens
seed = 1
[output]
dir = $work/gen
EOD
if [ ! -s "$file" ]; then
  "${mpi[@]}" "$latent" generate "$work/gen.ini" --force
  mv "$work/gen/counts.h5ad" "$file"
fi
cat >"$work/pca.ini" <<EOD
[data]
source = h5ad
path = $file
[singlecell]
min_genes = 200
min_cells = 3
n_top_genes = 2000
max_value = 10
[preprocess]
scaler = none
test_fraction = 0
[pca]
n_components = 50
precision = mixed
[autoencoder]
enabled = false
[kmeans]
enabled = false
[output]
dir = $work/res
force = true
figures = false
write_data = false
EOD
echo "== latent pca, $np rank(s): $file"
/usr/bin/time -f "latent: wall %e s, user %U s, sys %S s, peak RSS %M KB (per rank)" \
  "${mpi[@]}" "$latent" pca "$work/pca.ini" --log-view 2>&1 |
  grep -E "single-cell|kept|peak|explained|^(data|preprocess|pca|report|io_read|pca_gram|pca_eigen|pca_transform) |latent:"
if [ "$np" = 1 ] && [ "${SKIP_PYTHON:-0}" = 0 ]; then
  echo "== Python (anndata, SciPy, scikit-learn)"
  /usr/bin/time -f "python: wall %e s, user %U s, sys %S s, peak RSS %M KB" \
    /usr/bin/python3 "$here/bench/sc_pipeline.py" "$file"
fi
