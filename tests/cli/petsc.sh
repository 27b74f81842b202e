#!/usr/bin/env bash
# The optional PETSc/SLEPc backend (issue 19) from the command line. With
# PETSc: [pca] method = slepc gives the explained variance ratios of the full
# SVD on 1 and 2 ranks. Without: the key is accepted by the deck but the fit
# fails on every rank with a message that says how to build with PETSc.
. "$(dirname "$0")/common.inc"
deck=$WORK/deck.ini
printf '[data]\nsource = blobs\nn_samples = 400\nn_features = 30\ncenters = 5\n[preprocess]\ntest_fraction = 0.25\n[pca]\nn_components = 5\n[output]\ndir = %s/o\n' "$WORK" >"$deck"
run 1 --version
if grep -q "PETSc: PETSc 3" "$WORK/out"; then
  run 1 pca "$deck" --force --pca.method=svd; expect_rc 0 "svd"
  ref=$(grep "explained variance ratio" "$WORK/out")
  for np in 1 2; do
    for solver in lanczos krylovschur; do
      run $np pca "$deck" --force --pca.method=slepc --pca.slepc_solver=$solver
      expect_rc 0 "slepc $solver np=$np"; expect_out "PCA: slepc (requested)" "slepc $solver np=$np"
      got=$(grep "explained variance ratio" "$WORK/out")
      [ "$got" = "$ref" ] || fail "slepc $solver np=$np: '$got' vs svd '$ref'"
    done
  done
  run 2 pca "$deck" --force --pca.method=slepc --pca.n_components=30
  expect_rc 2 "k = d"; expect_out "must be below min(n_samples, n_features)" "k = d"
else
  for np in 1 2; do
    run $np pca "$deck" --force --pca.method=slepc
    expect_rc 2 "without PETSc np=$np"
    expect_out "\[pca\] method = slepc needs PETSc/SLEPc" "without PETSc np=$np"
    expect_out "LATENT_WITH_PETSC" "without PETSc np=$np"
  done
fi
run 1 pca "$deck" --force --pca.slepc_solver=arnoldi; expect_rc 2 "bad solver"
expect_out "must be one of lanczos|krylovschur|randomized" "bad solver"
finish
