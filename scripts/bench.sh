#!/usr/bin/env bash
# The benchmark command: builds the release preset and runs every benchmark
# at 1 and 2 ranks. Each prints its throughput and the ratio to a limit it
# measures in the same run (SGEMM/DGEMM FLOP/s or memory bandwidth).
# Usage: scripts/bench.sh [data|pca|train|cluster ...]   (default: all)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh release
export OPENBLAS_NUM_THREADS=1
[ "$(id -u)" -eq 0 ] && export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
which=("$@"); [ ${#which[@]} -gt 0 ] || which=(data pca train cluster)
for b in "${which[@]}"; do
  for np in 1 2; do
    echo "=== bench_$b on $np rank(s) ==="
    mpirun --oversubscribe --bind-to none -np "$np" "build/release/bench_$b"
  done
done
