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
scripts/install-deps.sh --petsc python3-anndata hdf5-plugin-lzf liblzf1
# release and asan use PETSc/SLEPc where installed (LATENT_WITH_PETSC=auto,
# as --petsc above makes sure here): the whole suite, tests/petsc included.
# The test presets run 4 tests at once on any machine: most of a command-line
# test is waiting on process start-up (docs/reliability.md, "Suite time").
for preset in release asan; do
  scripts/build.sh "$preset"
  echo "=== tests: $preset ==="
  ctest --preset "$preset"
done
# The configuration without PETSc: it must build, and the tests that differ
# between the two (the slepc/lbfgs errors, the PCA and nn tests, the deck
# reference) plus a smoke set run; the rest is the same code as release.
scripts/build.sh nopetsc
echo "=== tests: nopetsc (smoke set) ==="
ctest --preset nopetsc -R '^pca/|^nn/mpitest_train|^cli/(petsc|config|commands)$|^core/'
