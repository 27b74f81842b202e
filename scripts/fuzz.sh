#!/usr/bin/env bash
# Fuzz campaigns of the readers (tests/fuzz, docs/reliability.md "Fuzzing").
#   scripts/fuzz.sh build                  configure + build the fuzz preset (clang-14, libFuzzer)
#   scripts/fuzz.sh seeds                  seed inputs from tests/fixtures and inputs/ (build/fuzz/seeds)
#   scripts/fuzz.sh run NAME SECONDS       one campaign at nice 19; corpus in build/fuzz/work/NAME,
#                                          findings in build/fuzz/artifacts/NAME, log build/fuzz/NAME.log
#   scripts/fuzz.sh merge NAME             minimised corpus (seeds + work + committed) -> tests/fuzz/corpus/NAME
#   scripts/fuzz.sh stats NAME             executions, edges and features of the last campaign
#   scripts/fuzz.sh cov NAME               edges (cov) and features (ft) the committed corpus reaches
# NAME: npy csv idx h5 deck ae pca ckpt h5ad tenx mtx metrics (or "all" for seeds and merge).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
root=$PWD
b=$root/build/fuzz
all=(npy csv idx h5 deck ae pca ckpt h5ad tenx mtx metrics)
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1
# Failed allocations return NULL (the readers must cope) instead of being
# reported. No leak detection here: LeakSanitizer's tracer crashes now and
# then beside Open MPI's threads ("Tracer caught signal 11"), and Open MPI
# leaks of its own; the corpus replay in the gcc ASan build checks leaks
# instead (tests/leakcheck.sh: only leaks with a frame in src/ count).
export ASAN_OPTIONS=${ASAN_OPTIONS:-allocator_may_return_null=1:detect_leaks=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export ASAN_SYMBOLIZER_PATH=${ASAN_SYMBOLIZER_PATH:-$(command -v llvm-symbolizer-14 || true)}

names() { if [ "${1:-all}" = all ]; then echo "${all[@]}"; else echo "$1"; fi; }

# seed NAME FILE PREFIX...: the file behind the option bytes (printf escapes).
seed() {
  local name=$1 file=$2; shift 2
  local out=$b/seeds/$name/$(basename "$file")_$(printf '%s' "$*" | tr -c 'a-zA-Z0-9' _)
  { [ -z "${1:-}" ] || printf "$@"; cat "$file"; } >"$out"
}
# raw NAME CONTENT PREFIX...: a seed from literal content.
lit() {
  local name=$1 text=$2; shift 2
  { [ $# -eq 0 ] || printf "$@"; printf '%b' "$text"; } >"$b/seeds/$name/lit_$(printf '%s' "$text$*" | md5sum | cut -c1-12)"
}
le16() { local n=$1; printf "\\\\x%02x\\\\x%02x" $((n & 255)) $((n >> 8 & 255)); }

make_seeds() {
  local fx=$root/tests/fixtures t
  rm -rf "$b/seeds" && mkdir -p "$b/seeds/bases"
  for n in "${all[@]}"; do mkdir -p "$b/seeds/$n"; done
  # the base files of the HDF5 recipes, for raw-mode seeds
  LT_FUZZ_BASES_OUT=$b/seeds/bases "$b/tests/fuzz/fuzz_ckpt" -runs=0 >/dev/null 2>&1
  for n in h5 pca; do LT_FUZZ_BASES_OUT=$b/seeds/bases "$b/tests/fuzz/fuzz_$n" -runs=0 >/dev/null 2>&1; done
  t=$(mktemp -d); printf '\x00' >"$t/0"; printf '\x02' >"$t/1"; printf '\x04' >"$t/2"
  LT_FUZZ_BASES_OUT=$b/seeds/bases "$b/tests/fuzz/fuzz_ae" "$t/0" "$t/1" "$t/2" >/dev/null 2>&1; rm -rf "$t"
  for f in "$fx"/data/*.npy; do seed npy "$f" '\x00\x05'; seed npy "$f" '\x01\x05'; done
  for f in "$fx"/data/labels_*.npy; do seed npy "$f" '\x02\x07'; done
  for o in '\x00\x00\x00\x00' '\x02\x01\x01\x00' '\x01\x04\x00\x01'; do seed csv "$fx/data/numpy.csv" "$o"; done
  lit csv 'a,b,c,label\n1,2,3,0\n4,5,6,1\n' '\x02\x04\x01\x00'
  lit csv '1\t2\n3\tnan\n' '\x00\x00\x02\x01'
  lit csv '# comment\n1;2;3\n\n4;5;6\n' '\x01\x00\x03\x00'
  lit csv '1 2 3\n4 5 6\r\n7 8 inf\n' '\x00\x00\x04\x01'
  local im=$fx/data/images-idx3-ubyte lb=$fx/data/labels-idx1-ubyte
  for o in '\x02' '\x07' '\x00' '\x03'; do
    t=$(mktemp); cat "$im" "$lb" >"$t"; seed idx "$t" "$o$(le16 "$(stat -c %s "$im")")"; rm -f "$t"
  done
  t=$(mktemp); cat "$fx/data/images-idx3-ubyte" "$fx/data/short-labels-idx1-ubyte" >"$t"
  seed idx "$t" "\\x02$(le16 "$(stat -c %s "$im")")"; rm -f "$t"
  for o in '\x00\x00' '\x00\x04' '\x00\x03' '\x00\x80'; do lit h5 '' "$o"; done
  seed h5 "$fx/data/data.h5" '\x01\x00'; seed h5 "$b/seeds/bases/data.h5" '\x01\x04'
  for f in "$root"/inputs/*.ini; do
    seed deck "$f" ''
  done
  lit deck '[data]\nsource = blobs\nn_samples = 100\n\0--train.epochs=3\0--kmeans.n_clusters=4\0--force\0--pca.enabled=false'
  lit deck '[train]\nbatch_size = 16\n[output]\ndir = /tmp/x\n\0--data.seed=7'
  for m in '\x00' '\x02' '\x04'; do lit ae '' "$m"; lit ae '\x01\x05\x00\x03\x07\x01\x03' "$m"; done
  for w in ae0 ae1 ae2; do seed ae "$b/seeds/bases/$w.h5" '\x01'; done
  lit pca '' '\x00'; lit pca '\x03\x02\x05\x01\x00\x09' '\x00'; seed pca "$b/seeds/bases/pca.h5" '\x01'
  for f in '\x02' '\x06' '\x0e' '\x14' '\x00' '\x0a'; do lit ckpt '' "$f"; done
  seed ckpt "$b/seeds/bases/ae2.h5" '\x03'; seed ckpt "$b/seeds/bases/ae1.h5" '\x07'
  for m in 0 2 4 6 8; do for o in 0 1 4 8 13; do lit h5ad '' "\\x0$m\\x$(printf %02x $o)"; done; done
  for f in fmt_plain fmt_csc fmt_dense; do seed h5ad "$fx/sc/$f.h5ad" '\x01\x04'; done
  for m in 0 2 4; do for o in 0 1 4; do lit tenx '' "\\x0$m\\x0$o"; done; done
  seed tenx "$fx/sc/fmt_10x_v3.h5" '\x01\x00'; seed tenx "$fx/sc/tenx_v2.h5" '\x01\x01'
  local d flags
  for d in fmt_mtx fmt_mtx_gz fmt_mtx_v2 bad_mtx; do
    t=$(mktemp -d)
    for f in "$fx/sc/$d"/*; do case $f in *.gz) gunzip -c "$f" >"$t/$(basename "${f%.gz}")";; *) cp "$f" "$t/";; esac; done
    flags=0; [ "$d" = fmt_mtx_gz ] && flags=7; [ -e "$t/genes.tsv" ] && flags=$((flags | 8))
    local feat=$t/features.tsv; [ -e "$feat" ] || feat=$t/genes.tsv
    cat "$t/matrix.mtx" "$t/barcodes.tsv" "$feat" >"$t/all"
    seed mtx "$t/all" "\\x$(printf %02x $flags)$(le16 "$(stat -c %s "$t/matrix.mtx")")$(le16 "$(stat -c %s "$t/barcodes.tsv")")"
    rm -rf "$t"
  done
  lit metrics '{"data": {"evaluation_rows": "test"}, "autoencoder": {"parameters": 320, "loss_history": {"train": [0.5, null, 1e308]}}}'
  lit metrics '{"a": [1, 2, {"b": "\\u00e9\\ud83d\\ude00"}], "ranks": -0.0e-400}'
  lit metrics '[1, 2]'
  for n in "${all[@]}"; do echo "seeds/$n: $(ls "$b/seeds/$n" | wc -l) files"; done
}

case ${1:-} in
build)
  cmake --preset fuzz >/dev/null && nice cmake --build --preset fuzz -j2 --target $(printf 'fuzz_%s ' "${all[@]}") ;;
seeds) make_seeds ;;
run)
  name=$2 secs=$3
  mkdir -p "$b/work/$name" "$b/artifacts/$name"
  dirs=("$b/work/$name" "$b/seeds/$name")
  [ -d "$root/tests/fuzz/corpus/$name" ] && dirs+=("$root/tests/fuzz/corpus/$name")
  # Findings are kept and the campaign goes on (-fork, -ignore_*): every one
  # is a file in artifacts/NAME to reproduce with the replay driver.
  cd "$b/artifacts/$name" &&
  nice -n 19 "$b/tests/fuzz/fuzz_$name" -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
    -max_total_time="$secs" -timeout=20 -rss_limit_mb=3072 -malloc_limit_mb=3072 -max_len=${MAXLEN:-65536} \
    -close_fd_mask=1 -print_final_stats=1 -artifact_prefix="$b/artifacts/$name/" "${dirs[@]}" \
    >"$b/$name.log" 2>&1
  "$root/scripts/fuzz.sh" stats "$name" ;;
merge)
  for name in $(names "${2:-all}"); do
    out=$root/tests/fuzz/corpus/$name
    mkdir -p "$out" "$b/work/$name"; tmp=$(mktemp -d)
    src=("$b/work/$name" "$b/seeds/$name")
    [ -n "$(ls -A "$out" 2>/dev/null)" ] && src+=("$out")
    nice -n 19 "$b/tests/fuzz/fuzz_$name" -merge=1 -close_fd_mask=1 -timeout=20 -rss_limit_mb=3072 \
      -max_len=${MAXLEN:-65536} "$tmp" "${src[@]}" >"$b/$name.merge.log" 2>&1
    # the committed reproducers of fixed findings stay, whatever coverage says
    cp "$out"/crash-* "$out"/leak-* "$out"/timeout-* "$out"/oom-* "$tmp"/ 2>/dev/null
    rm -rf "$out" && mv "$tmp" "$out" && chmod 755 "$out"
    echo "corpus/$name: $(ls "$out" | wc -l) files, $(du -sk "$out" | cut -f1) KB; $(grep -E 'MERGE-OUTER: [0-9]+ new files' "$b/$name.merge.log" | tail -1)"
  done ;;
cov)
  for name in $(names "${2:-all}"); do
    l=$(cd "$b" && nice -n 19 "$b/tests/fuzz/fuzz_$name" -runs=0 -close_fd_mask=1 -timeout=20 -rss_limit_mb=3072 \
          -max_len=${MAXLEN:-65536} "$root/tests/fuzz/corpus/$name" 2>&1 | grep -E 'INITED|DONE' | tail -1)
    echo "$name: $(ls "$root/tests/fuzz/corpus/$name" | wc -l) files, $(du -sk "$root/tests/fuzz/corpus/$name" | cut -f1) KB, $l"
  done ;;
stats)
  log=$b/$2.log
  # -fork prints "#N: cov: C ft: F corp: ... exec/s: E ..." lines and the final totals
  grep -E '^#[0-9]+: cov:' "$log" | tail -1
  grep -E 'stat::number_of_executed_units|stat::peak_rss_mb|INFO: fuzzed for' "$log" | tail -3
  echo "findings: $(ls "$b/artifacts/$2" 2>/dev/null | grep -cE '^(crash|leak|timeout|oom|slow-unit)-')" ;;
*) sed -n '2,12p' "$0"; exit 2 ;;
esac
