#!/usr/bin/env bash
# A scaling study with mpirun, without SLURM: the same folder layout as
# jobs/slurm/strong.sbatch and weak.sbatch (STUDY/np<P>/metrics.json), with
# repeats, for a workstation or a login-free test machine.
#
#   scripts/scaling-study.sh strong STUDY DECK.ini "1 2 4" REPEATS [--section.key=value ...]
#   scripts/scaling-study.sh weak   STUDY DECK.ini "1 2 4" REPEATS ROWS_PER_RANK [--section.key=value ...]
#
# Every (rank count, repeat) runs once, repeats interleaved (1 2 4 1 2 4 ...)
# so that a disturbance by another job does not hit one rank count only.
# Each run goes to STUDY.runs/np<P>-r<i>/; the fastest repeat (smallest
# total_wall_max) is copied to STUDY/np<P>/metrics.json, then
# scripts/report-scaling.py writes STUDY/scaling.csv and STUDY/scaling.png.
# Runs with more ranks than cores are oversubscribed (--oversubscribe) and
# marked as such in the report. Like the batch scripts, no data files and no
# figures are written (they would time the file system).
# On a shared machine each run first waits (up to QUIET_WAIT seconds, default
# 60) until the CPUs have been at least 85% idle for three seconds in a row,
# and the log line of the run shows the busy share it started with.
# Environment: LATENT (binary, default build/release/latent), CORES (default
# nproc), QUIET_WAIT (seconds, 0 = do not wait), KEEP=1 (keep runs that are
# already there: add repeats, or continue an interrupted study).
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:?usage: scaling-study.sh strong|weak STUDY DECK \"NPS\" REPEATS [ROWS_PER_RANK] [latent args]}
study=${2:?study folder missing}; deck=${3:?deck missing}; nps=${4:?rank counts missing}; reps=${5:?repeats missing}
shift 5
rows=""
if [ "$mode" = weak ]; then rows=${1:?rows per rank missing}; shift; fi
[ "$mode" = strong ] || [ "$mode" = weak ] || { echo "mode must be strong or weak" >&2; exit 2; }
bin=${LATENT:-build/release/latent}
cores=${CORES:-$(nproc)}
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1} OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
[ "$(id -u)" -eq 0 ] && export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# busy_share: percent of CPU time not idle over the last second (all CPUs).
busy_share() {
  local a b
  read -r -a a < /proc/stat; sleep 1; read -r -a b < /proc/stat
  local ta=0 tb=0 i
  for i in 1 2 3 4 5 6 7 8; do ta=$((ta + a[i])); tb=$((tb + b[i])); done
  echo $(( 100 - 100 * (b[4] + b[5] - a[4] - a[5]) / (tb - ta > 0 ? tb - ta : 1) ))
}
# wait_quiet: waits until three 1-second samples in a row are at most 15%
# busy (another job's gap between two runs is not enough), or QUIET_WAIT
# seconds; prints the last sample.
wait_quiet() {
  local t=0 busy quiet=0
  while :; do
    busy=$(busy_share); t=$((t + 1))
    if [ "$busy" -le 15 ]; then quiet=$((quiet + 1)); else quiet=0; fi
    [ $quiet -ge 3 ] || [ $t -ge "${QUIET_WAIT:-60}" ] && break
  done
  echo "$busy"
}
mkdir -p "$study" "$study.runs"
for r in $(seq 1 "$reps"); do
  for np in $nps; do
    extra=()
    [ "$mode" = weak ] && extra=(--data.n_samples=$((rows * np)))
    out="$study.runs/np$np-r$r"
    if [ -n "${KEEP:-}" ] && [ -s "$out/metrics.json" ]; then echo "== kept $out"; continue; fi
    busy=$(wait_quiet)
    echo "== $mode: $np ranks, repeat $r -> $out ($(date +%T), CPUs ${busy}% busy before the run)"
    mpirun --oversubscribe --bind-to none -np "$np" "$bin" run "$deck" --force \
      --output.write_data=false --output.figures=false "$@" "${extra[@]}" --output.dir="$out" > "$out.log" 2>&1 \
      || { echo "run failed, see $out.log" >&2; exit 1; }
    python3 -c 'import json,sys; print("   total %.3f s" % json.load(open(sys.argv[1]))["timings"]["total_wall_max"])' "$out/metrics.json"
  done
done
for np in $nps; do
  best=$(for r in $(seq 1 "$reps"); do
    python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["timings"]["total_wall_max"], sys.argv[1])' \
      "$study.runs/np$np-r$r/metrics.json"; done | sort -g | head -1 | cut -d' ' -f2)
  mkdir -p "$study/np$np"; cp "$best" "$study/np$np/metrics.json"
done
scripts/report-scaling.py --mode "$mode" --cores "$cores" "$study"
