#!/usr/bin/env bash
# Sequential fuzz campaigns over every harness, one process at a time, with a
# CPU-time budget per harness and a wall-clock deadline for the whole run
# (docs/reliability.md, "Fuzzing"). Each harness runs in chunks of
# CHUNK seconds (libFuzzer -fork=1, the corpus carried over in
# build/fuzz/work/NAME) until it has used BUDGET CPU-minutes or its share of
# the wall time left; /usr/bin/time measures the CPU time of every chunk
# (the fuzzer and its forked jobs).
#   scripts/fuzz-campaign.sh DEADLINE_HH:MM [NAME...]
# Environment: BUDGET (CPU-minutes per harness, 20), CHUNK (s, 180), NICE (5).
# Output: build/fuzz/campaign/NAME.chunkK.log and build/fuzz/campaign/summary.tsv
# (name, chunks, wall s, cpu s, executions, cov, ft, corpus, findings).
set -uo pipefail
cd "${LT_ROOT:-$(dirname "$0")/..}" || exit 1
root=$PWD
b=$root/build/fuzz
out=$b/campaign
deadline=$(date -d "${1:?deadline HH:MM}" +%s); shift
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(npy csv idx h5 h5ad tenx mtx deck ae pca ckpt)
budget=$(( ${BUDGET:-20} * 60 ))
chunk=${CHUNK:-180}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1
export ASAN_OPTIONS=${ASAN_OPTIONS:-allocator_may_return_null=1:detect_leaks=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export ASAN_SYMBOLIZER_PATH=${ASAN_SYMBOLIZER_PATH:-$(command -v llvm-symbolizer-14 || true)}
mkdir -p "$out"
[ -e "$out/summary.tsv" ] || printf 'name\tchunks\twall_s\tcpu_s\texecs\tcov\tft\tcorp\tfindings\n' >"$out/summary.tsv"

# weight 2 for the readers of outside data, 1 for the model files
weight() { case $1 in ae|pca|ckpt) echo 1;; *) echo 2;; esac; }
left_weight() { local w=0 n; for n in "$@"; do w=$((w + $(weight "$n"))); done; echo $w; }

i=0
for name in "${names[@]}"; do
  rest=("${names[@]:$i}"); i=$((i + 1))
  now=$(date +%s); wall_left=$((deadline - now))
  [ $wall_left -gt 60 ] || { echo "$name: deadline reached, skipped"; continue; }
  share=$((wall_left * $(weight "$name") / $(left_weight "${rest[@]}")))
  stop=$((now + share))
  mkdir -p "$b/work/$name" "$b/artifacts/$name"
  dirs=("$b/work/$name")
  [ -d "$b/seeds/$name" ] && dirs+=("$b/seeds/$name")
  [ -d "$root/tests/fuzz/corpus/$name" ] && dirs+=("$root/tests/fuzz/corpus/$name")
  cpu=0 execs=0 k=0 t0=$now last=""
  while [ -x "$b/tests/fuzz/fuzz_$name" ]; do
    now=$(date +%s)
    [ $cpu -lt $budget ] && [ $((stop - now)) -gt 20 ] || break
    secs=$chunk; [ $((stop - now)) -lt $secs ] && secs=$((stop - now))
    k=$((k + 1)); log=$out/$name.chunk$k.log
    ( cd "$b/artifacts/$name" &&
      /usr/bin/time -f 'CPUTIME %U %S' -o "$log.time" nice -n "${NICE:-5}" "$b/tests/fuzz/fuzz_$name" \
        -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 -max_total_time="$secs" -timeout=20 \
        -rss_limit_mb=3072 -malloc_limit_mb=3072 -max_len=${MAXLEN:-65536} -close_fd_mask=1 \
        -print_final_stats=1 -artifact_prefix="$b/artifacts/$name/" "${dirs[@]}" >"$log" 2>&1 )
    c=$(awk '/^CPUTIME/ {printf "%d", $2 + $3}' "$log.time")
    cpu=$((cpu + ${c:-0}))
    l=$(grep -E '^#[0-9]+: cov:' "$log" | tail -1)
    [ -n "$l" ] && { last=$l; execs=$((execs + $(sed -E 's/^#([0-9]+):.*/\1/' <<<"$l"))); }
    echo "$(date -u +%H:%M:%S) $name chunk $k: cpu ${c}s (total ${cpu}s) $l"
  done
  cov=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$last")
  ft=$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$last")
  corp=$(sed -nE 's/.* corp: ([0-9]+).*/\1/p' <<<"$last")
  found=$(ls "$b/artifacts/$name" 2>/dev/null | grep -cE '^(crash|leak|timeout|oom|slow-unit)-')
  printf '%s\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t%d\n' "$name" $k $(($(date +%s) - t0)) $cpu $execs \
    "${cov:-?}" "${ft:-?}" "${corp:-?}" "$found" >>"$out/summary.tsv"
done
