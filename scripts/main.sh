#!/usr/bin/env bash
# The main job: installs what is missing, builds, and runs the seed-000
# comparison on generated data on 2 ranks. Results go to results/seed000
# (replaced if present). Extra arguments are passed to `latent run`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh release
export OPENBLAS_NUM_THREADS=1
mpi_flags=(--oversubscribe)
if [ "$(id -u)" -eq 0 ]; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
mpirun "${mpi_flags[@]}" -np 2 build/release/latent run inputs/seed000.ini --force "$@"
