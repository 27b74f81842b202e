#!/usr/bin/env bash
# All tests: installs what is missing, builds the release and the
# ASan+UBSan presets, and runs the whole CTest suite on both
# (units, MPI tests at 1, 2 and 4 ranks, command-line tests).
set -euo pipefail
cd "$(dirname "$0")/.."
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1
# Test-time packages: python3-anndata opens the .h5ad files latent writes
# (tests/cli/singlecell.sh), and the lzf-compressed fixtures need Debian's
# HDF5 lzf filter and its library.
scripts/install-deps.sh python3-anndata hdf5-plugin-lzf liblzf1
for preset in release asan; do
  scripts/build.sh "$preset"
  echo "=== tests: $preset ==="
  ctest --preset "$preset"
done
