#!/usr/bin/env bash
# Checkpoint and restart: a stop request during training writes a checkpoint
# and exits with status 5; `latent run --resume DIR` finishes with codes
# bit-identical to an uninterrupted run on the same rank count; a corrupt
# checkpoint is detected by its checksum and the previous one is used.
# LATENT_STOP_AT_EPOCH=E makes the last rank request a stop after epoch E, as
# a signal would (deterministic), LATENT_STOP_AFTER_TRAINING=1 right after
# training; one run receives a real SIGUSR1.
. "$(dirname "$0")/common.inc"
deck="$LT_SOURCE_DIR/inputs/seed000-adam.ini"
opts=(--data.n_samples=3000 --train.epochs=40 --kmeans.enabled=false --output.figures=false --output.write_data=false)
run 2 run "$deck" "${opts[@]}" --output.dir="$WORK/full"
expect_rc 0 "uninterrupted run"
LATENT_STOP_AT_EPOCH=12 run 2 run "$deck" "${opts[@]}" --output.dir="$WORK/cut"
expect_rc 5 "interrupted run exit status"
expect_out "stopped by a signal at epoch 13, batch 1; checkpoint written to $WORK/cut.checkpoint" "interrupt message"
[ -d "$WORK/cut" ] && fail "interrupted run left a results folder"
[ -s "$WORK/cut.checkpoint/ae.h5" ] && [ -s "$WORK/cut.checkpoint/ae.h5.sum" ] || fail "checkpoint files missing"
run 2 run --resume "$WORK/cut"
expect_rc 0 "resume"; expect_out "resuming from .*epoch 12, batch 1" "resume message"
cmp -s "$WORK/full/ae_codes_train.npy" "$WORK/cut/ae_codes_train.npy" || fail "resumed run differs from the uninterrupted one"
# The interrupted epoch's loss travels in the checkpoint: same history.
hist() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['autoencoder']['loss_history']['train'])" "$1"; }
if command -v python3 >/dev/null; then
  a=$(hist "$WORK/full/metrics.json"); b=$(hist "$WORK/cut/metrics.json")
  [ -n "$a" ] && [ "$a" = "$b" ] || fail "resumed loss history differs: '$b' vs uninterrupted '$a'"
fi
# Periodic checkpoints, then corrupt the newest: the previous one is used.
LATENT_STOP_AT_EPOCH=25 run 2 run "$deck" "${opts[@]}" --train.checkpoint_every=10 --output.dir="$WORK/per"
expect_rc 5 "interrupted periodic run"
[ -s "$WORK/per.checkpoint/ae.prev.h5" ] || fail "previous checkpoint not kept"
printf 'garbage' | dd of="$WORK/per.checkpoint/ae.h5" bs=1 seek=100 conv=notrunc 2>/dev/null
run 2 run --resume "$WORK/per"
expect_rc 0 "resume from previous"; expect_out "corrupt (checksum); trying the previous one" "corruption detected"
expect_out "resuming from .*ae.prev.h5 (epoch 20, batch 0)" "previous checkpoint used"
cmp -s "$WORK/full/ae_codes_train.npy" "$WORK/per/ae_codes_train.npy" || fail "resume from the previous checkpoint differs"
# A stop request after training (during clustering or scoring): the trained
# model is checkpointed as finished; the resume trains no more and ends
# with the same codes.
LATENT_STOP_AFTER_TRAINING=1 run 2 run "$deck" "${opts[@]}" --output.dir="$WORK/late"
expect_rc 5 "stop after training"; expect_out "stopped by a signal after training" "late stop message"
[ -s "$WORK/late.checkpoint/ae.h5.trained" ] || fail "no 'trained' marker in the late checkpoint"
run 2 run --resume "$WORK/late"
expect_rc 0 "resume after training"; expect_out "training finished" "resume of a trained model"
grep -q "epoch  *1/" "$WORK/out" && fail "the resume of a trained model trained again"
cmp -s "$WORK/full/ae_codes_train.npy" "$WORK/late/ae_codes_train.npy" || fail "late-stop resume differs"
run 1 run --resume "$WORK/nothing-here"
[ "$rc" -ne 0 ] || fail "resume without a checkpoint accepted"
# A real SIGUSR1 (mpirun forwards it to the ranks): training that would run
# for hours stops at the next step with status 5 and a checkpoint.
"$MPIEXEC" -n 2 "$LATENT" run "$deck" "${opts[@]}" --train.epochs=1000000 --output.dir="$WORK/sig" >"$WORK/sig.log" 2>&1 &
pid=$!
for _ in $(seq 1200); do grep -q "epoch  *3/" "$WORK/sig.log" && break; sleep 0.05; done
kill -USR1 $pid; wait $pid; rc=$?; cp "$WORK/sig.log" "$WORK/out"
expect_rc 5 "SIGUSR1 exit status"; expect_out "checkpoint written to $WORK/sig.checkpoint" "SIGUSR1 checkpoint"
finish
