#!/usr/bin/env bash
# Model files with a NaN or an infinite parameter (issue 14): `latent encode`,
# `decode` and `pca --model` refuse them with a message naming the dataset
# and the same non-zero status, leaving no results folder; a checkpoint with
# a NaN (its checksum right, as a diverged run would write it) is refused
# and the previous one used, and with both refused the resume fails.
# Parameters are set in place by tests/cli/tools/h5poison.c.
. "$(dirname "$0")/common.inc"
: "${LT_H5POISON:?LT_H5POISON must point at the h5poison helper}"
deck=$WORK/deck.ini
sed -e 's/^n_samples = .*/n_samples = 600/' -e 's/^epochs = .*/epochs = 2/' \
    "$LT_SOURCE_DIR/inputs/seed000.ini" > "$deck"
small=(--kmeans.enabled=false --output.figures=false)
run 2 train "$deck" --output.dir="$WORK/m"
expect_rc 0 "training the model"
run 2 pca "$deck" "${small[@]}" --output.dir="$WORK/p"
expect_rc 0 "fitting the PCA model"
cp "$WORK/m/ae_model.h5" "$WORK/nan.h5"; cp "$WORK/p/pca_model.h5" "$WORK/pnan.h5"
"$LT_H5POISON" "$WORK/nan.h5" layer_0/kernel 3 nan || fail "h5poison (autoencoder)"
"$LT_H5POISON" "$WORK/pnan.h5" components 1 inf || fail "h5poison (PCA)"
refused() { # NAME: status 1 on both ranks' mpirun, the message, no folder
  [ "$rc" -ne 0 ] || fail "$1: a non-finite model was accepted"
  expect_out "latent: error: .*holds a non-finite value" "$1 message"
  [ -e "$WORK/$1" ] && fail "$1: results folder left behind"
  ls -d "$WORK/$1".partial-* >/dev/null 2>&1 && fail "$1: partial folder left behind"
}
run 2 encode "$deck" --model "$WORK/nan.h5" --output.dir="$WORK/enc"
refused enc; expect_out "nan.h5: 'layer_0/kernel' holds a non-finite value (NaN at index 3)" "encode names the dataset"
run 2 decode "$deck" --model "$WORK/nan.h5" --data.source=npy \
  --data.path="$WORK/m/ae_codes_train.npy" --output.dir="$WORK/dec"
refused dec
run 2 pca "$deck" "${small[@]}" --model "$WORK/pnan.h5" --output.dir="$WORK/pc"
refused pc; expect_out "pnan.h5: PCA model dataset 'components' holds a non-finite value" "pca names the dataset"
# The finite model still encodes (the check refuses only what it should).
run 2 encode "$deck" --model "$WORK/m/ae_model.h5" --output.dir="$WORK/ok"
expect_rc 0 "encode with the finite model"

# Checkpoints: periodic ones at epochs 2 and 4; a stop after epoch 5.
ck=(--data.n_samples=600 --train.epochs=8 --train.checkpoint_every=2 --kmeans.enabled=false
    --output.figures=false --output.write_data=false)
LATENT_STOP_AT_EPOCH=5 run 2 run "$LT_SOURCE_DIR/inputs/seed000-adam.ini" "${ck[@]}" --output.dir="$WORK/ck"
expect_rc 5 "interrupted run"
"$LT_H5POISON" --sum "$WORK/ck.checkpoint/ae.h5" layer_0/bias 0 nan || fail "h5poison (checkpoint)"
run 2 run --resume "$WORK/ck"
expect_rc 0 "resume from the previous checkpoint"
expect_out "ae.h5 unreadable: .*'layer_0/bias' holds a non-finite value" "NaN checkpoint refused"
expect_out "resuming from .*ae.prev.h5" "previous checkpoint used"
LATENT_STOP_AT_EPOCH=5 run 2 run "$LT_SOURCE_DIR/inputs/seed000-adam.ini" "${ck[@]}" --output.dir="$WORK/ck2"
expect_rc 5 "second interrupted run"
"$LT_H5POISON" --sum "$WORK/ck2.checkpoint/ae.h5" optimizer/state 1 inf || fail "h5poison (checkpoint state)"
"$LT_H5POISON" --sum "$WORK/ck2.checkpoint/ae.prev.h5" layer_0/kernel 0 -inf || fail "h5poison (previous)"
run 2 run --resume "$WORK/ck2"
[ "$rc" -ne 0 ] || fail "resume from two non-finite checkpoints accepted"
expect_out "latent: error: no usable checkpoint" "no usable checkpoint"
[ -e "$WORK/ck2" ] && fail "resume left a results folder"
finish
