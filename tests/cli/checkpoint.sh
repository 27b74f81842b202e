#!/usr/bin/env bash
# Checkpoint and restart: SIGUSR1 during training writes a checkpoint and
# exits with status 5; `latent run --resume DIR` finishes with bit-identical
# codes to an uninterrupted run on the same rank count; a corrupt checkpoint is
# detected by its checksum and the previous one is used.
. "$(dirname "$0")/common.inc"
deck="$LT_SOURCE_DIR/inputs/seed000-adam.ini"
opts=(--train.epochs=300 --kmeans.enabled=false --output.figures=false --output.write_data=false)
# Interrupt a run once it reaches epoch $2; output in $WORK/$1.log.
interrupt() {
  local name=$1 at=$2; shift 2
  "$MPIEXEC" -n 2 "$LATENT" run "$deck" "${opts[@]}" --output.dir="$WORK/$name" "$@" >"$WORK/$name.log" 2>&1 &
  local pid=$!
  for _ in $(seq 600); do grep -q "epoch  *$at/" "$WORK/$name.log" && break; sleep 0.05; done
  kill -USR1 $pid; wait $pid; rc=$?
  cp "$WORK/$name.log" "$WORK/out"
}
run 2 run "$deck" "${opts[@]}" --output.dir="$WORK/full"
expect_rc 0 "uninterrupted run"
interrupt cut 40
expect_rc 5 "interrupted run exit status"
expect_out "checkpoint written to $WORK/cut.checkpoint" "interrupt message"
[ -d "$WORK/cut" ] && fail "interrupted run left a results folder"
[ -s "$WORK/cut.checkpoint/ae.h5" ] && [ -s "$WORK/cut.checkpoint/ae.h5.sum" ] || fail "checkpoint files missing"
run 2 run --resume "$WORK/cut"
expect_rc 0 "resume"; expect_out "resuming from" "resume message"
cmp -s "$WORK/full/ae_codes_train.npy" "$WORK/cut/ae_codes_train.npy" || fail "resumed run differs from the uninterrupted one"
# Periodic checkpoints, then corrupt the newest: the previous one is used.
interrupt per 60 --train.checkpoint_every=20
expect_rc 5 "interrupted periodic run"
[ -s "$WORK/per.checkpoint/ae.prev.h5" ] || fail "previous checkpoint not kept"
printf 'garbage' | dd of="$WORK/per.checkpoint/ae.h5" bs=1 seek=100 conv=notrunc 2>/dev/null
run 2 run --resume "$WORK/per"
expect_rc 0 "resume from previous"; expect_out "corrupt (checksum); trying the previous one" "corruption detected"
cmp -s "$WORK/full/ae_codes_train.npy" "$WORK/per/ae_codes_train.npy" || fail "resume from the previous checkpoint differs"
run 1 run --resume "$WORK/nothing-here"
[ "$rc" -ne 0 ] || fail "resume without a checkpoint accepted"
finish
