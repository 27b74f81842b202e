#!/usr/bin/env bash
# A rank killed with SIGKILL during training (docs/reliability.md, "Killed
# rank"; the same under SLURM is in tests/cli/slurm.sh): the job ends within
# a bound with a non-zero status and no results folder, and the last periodic
# checkpoint ([train] checkpoint_every) resumes to the model of an
# uninterrupted run (bit-identical codes, same loss history).
# 1. LATENT_KILL_AT_EPOCH=E: the last rank SIGKILLs itself right after epoch
#    E's periodic checkpoint (deterministic: the resume point is known).
# 2. A SIGKILL from outside to rank 1 of a run that would train for hours,
#    once its first checkpoint is on disk; the resume of that checkpoint
#    starts, and is then stopped by SIGUSR1.
. "$(dirname "$0")/common.inc"
deck="$LT_SOURCE_DIR/inputs/seed000-adam.ini"
bound=60
opts=(--data.n_samples=3000 --train.epochs=40 --kmeans.enabled=false --output.figures=false
      --output.write_data=false --train.checkpoint_every=5)
hist() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['autoencoder']['loss_history']['train'])" "$1"; }
# bounded NP ARGS...: run, with the wall time of the run in $took (s).
bounded() { local t0=$SECONDS; timeout $((bound + 30)) "$MPIEXEC" -n "$1" "${@:2}" >"$WORK/out" 2>&1; rc=$?; took=$((SECONDS - t0)); }

run 2 run "$deck" "${opts[@]}" --output.dir="$WORK/full"
expect_rc 0 "uninterrupted run"

# 1. The last rank dies after epoch 10's checkpoint.
LATENT_KILL_AT_EPOCH=10 bounded 2 "$LATENT" run "$deck" "${opts[@]}" --output.dir="$WORK/cut"
echo "killed at epoch 10: job ended after ${took} s with status $rc"
[ "$rc" -ne 0 ] || fail "job with a killed rank exited 0"
[ "$rc" -ne 124 ] && [ "$took" -le $bound ] || fail "job with a killed rank did not end within ${bound} s"
[ -e "$WORK/cut" ] && fail "killed run left a results folder $WORK/cut"
grep -q "epoch  *11/" "$WORK/out" && fail "training went on after the rank was killed"
[ -s "$WORK/cut.checkpoint/ae.h5" ] && [ -s "$WORK/cut.checkpoint/ae.h5.sum" ] || fail "no periodic checkpoint"
ls -d "$WORK"/cut.partial-* >/dev/null 2>&1 && echo "left: $(cd "$WORK" && ls -d cut.partial-*) (removed by the resume)"
run 2 run --resume "$WORK/cut"
expect_rc 0 "resume after the killed rank"
expect_out "resuming from $WORK/cut.checkpoint/ae.h5 (epoch 10, batch 0)" "resume from the last periodic checkpoint"
cmp -s "$WORK/full/ae_codes_train.npy" "$WORK/cut/ae_codes_train.npy" || fail "resumed model's codes differ from the uninterrupted run's"
if command -v python3 >/dev/null; then
  a=$(hist "$WORK/full/metrics.json"); b=$(hist "$WORK/cut/metrics.json")
  [ -n "$a" ] && [ "$a" = "$b" ] || fail "resumed loss history differs: '$b' vs uninterrupted '$a'"
fi
ls -d "$WORK"/cut.partial-* >/dev/null 2>&1 && fail "unfinished results folder still there after the resume: $(ls -d "$WORK"/cut.partial-*)"

# 2. SIGKILL from outside to rank 1 (found by its environment) once the
#    first checkpoint exists.
# rank_pid DIR RANK: the process id of that rank of the run writing DIR.
rank_pid() {
  local p
  for p in $(pgrep -x latent); do
    tr '\0' '\n' <"/proc/$p/cmdline" 2>/dev/null | grep -qxF -- "--output.dir=$1" || continue
    tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$2" && echo "$p"
  done
}
"$MPIEXEC" -n 2 "$LATENT" run "$deck" "${opts[@]}" --train.epochs=1000000 --train.checkpoint_every=1 \
  --output.dir="$WORK/ext" >"$WORK/ext.log" 2>&1 &
job=$!
for _ in $(seq $((bound * 20))); do [ -s "$WORK/ext.checkpoint/ae.h5.sum" ] && break; sleep 0.05; done
victim=$(rank_pid "$WORK/ext" 1)
if [ -z "$victim" ]; then
  kill -KILL $job; wait $job; cp "$WORK/ext.log" "$WORK/out"; fail "rank 1 of the run not found"
else
  t0=$SECONDS; kill -KILL "$victim"
  n=0; while kill -0 $job 2>/dev/null && [ $n -lt $((bound * 10)) ]; do sleep 0.1; n=$((n + 1)); done
  took=$((SECONDS - t0))
  kill -0 $job 2>/dev/null && { kill -KILL $job; fail "job with a rank killed from outside still running after ${bound} s"; }
  wait $job; rc=$?; cp "$WORK/ext.log" "$WORK/out"
  echo "rank 1 (pid $victim) killed from outside: job ended after ${took} s with status $rc"
  [ "$rc" -ne 0 ] || fail "job with a rank killed from outside exited 0"
  [ -e "$WORK/ext" ] && fail "run killed from outside left a results folder"
  # Its checkpoint resumes; that run would train for hours: SIGUSR1 stops it.
  "$MPIEXEC" -n 2 "$LATENT" run --resume "$WORK/ext" >"$WORK/res.log" 2>&1 &
  job=$!
  for _ in $(seq $((bound * 20))); do grep -q "epoch  *[0-9]*/1000000" "$WORK/res.log" && break; sleep 0.05; done
  kill -USR1 $job; wait $job; rc=$?; cp "$WORK/res.log" "$WORK/out"
  expect_rc 5 "resume of the checkpoint of the run killed from outside, stopped by SIGUSR1"
  expect_out "resuming from $WORK/ext.checkpoint/ae" "resume of the run killed from outside"
  ls -d "$WORK"/ext.partial-* >/dev/null 2>&1 && fail "unfinished results folder left after the resume"
fi
finish
