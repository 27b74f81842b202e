#!/usr/bin/env bash
# Fault-injection sweep (issue 14; docs/reliability.md, "Fault injection").
#
# latent_fault (tests/fault/fault_shim.c) fails the N-th allocation, I/O
# call or message (a broadcast, gather, exchange or ring shift of the
# lt_comm layer) of latent's own code on one rank. First every command runs once per
# rank count with counting only, which lists each call with its site (the
# return address, or LT_FAULT_DEPTH frames). Then each case fails one call
# and checks that the run
#   - ends within 60 s (no hang),
#   - exits with the same code on every rank (no crash), non-zero unless the
#     failure is one latent deliberately survives (then the results exist),
#   - prints "latent: error: MESSAGE" naming the failure ("memory" for an
#     allocation, "MPI" or "message" for a message),
#   - leaves no results folder, no "<dir>.partial-*" and no "*.tmp.*" file,
#   - under ASan: no memory error and no leak with a frame in src/.
#
# Default (CI): one case per distinct (kind, site, rank role): rank 0 and
# the last rank, 2 ranks and 4 (alternating by site), for the commands run,
# pca, train, kmeans, score, encode and info on a small seed-000 deck.
# --full: every N instead (the same checks; hours).
#
# Environment: LATENT_FAULT (the binary), MPIEXEC, LT_TMP, LT_SOURCE_DIR;
# LT_FAULT_JOBS (cases at once, default 4: a case mostly waits on start-up), LT_FAULT_DEPTH (default 1),
# LT_FAULT_COMMANDS, LT_FAULT_NPS ("2 4"), LT_FAULT_KINDS ("alloc io msg": the
# kinds made into cases), LT_FAULT_KEEP=1 keeps the folder,
# LT_FAULT_DRYRUN=1 stops after counting, LT_FAULT_ROLES=both|alternate
# (default: both, alternate under ASan), LT_FAULT_TIMEOUT (60 s; 120 s under
# ASan: a whole 4-rank ASan run that survives its failure took over 60 s at
# load 30, and a hang never ends, so any bound above the slowest run finds it).
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=${LT_SOURCE_DIR:-$(cd "$here/../.." && pwd)}
bin=${LATENT_FAULT:?set LATENT_FAULT to the latent_fault binary}
mpi=${MPIEXEC:-mpirun}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
export OPENBLAS_NUM_THREADS=1
# Every rank's own exit code is the check: mpirun must not kill the others
# when the first one exits with an error.
export OMPI_MCA_orte_abort_on_non_zero_status=0
# Open MPI leaks at MPI_Finalize: leaks are judged below (frames in src/ only).
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}:abort_on_error=0"
export LSAN_OPTIONS="${LSAN_OPTIONS:-exitcode=0}"
unset LT_FAULT_N LT_FAULT_KIND LT_FAULT_RANK LT_FAULT_LOG

# A command's arguments; `run.resume` continues the interrupted run prepared
# below from a copy of its checkpoint, in DIR/out.checkpoint, since every
# run of it may rotate or rewrite the checkpoint.
stage() {
  local args; args=$(cat "$work/args.$1")
  [ "$1" = run.resume ] && cp -r "$work/prep_ck.checkpoint" "$2/out.checkpoint"
  echo "${args//@OUT@/$2/out}"
}

# ---- one case: "ID CMD NP RANK KIND N" (called through xargs) -------------
if [ "${1:-}" = --case ]; then
  read -r id cmd np rank kind n <<< "$2"
  work=$3
  d=$work/c$id
  rm -rf "$d"; mkdir -p "$d/log"
  args=$(stage "$cmd" "$d")
  # its own Open MPI session folder: 4 cases start mpirun at once, and the
  # shared one is raced for (tests/CMakeLists.txt, at the end)
  OMPI_MCA_orte_tmpdir_base=$d/ompi \
  ASAN_OPTIONS="$ASAN_OPTIONS:log_path=$d/asan" LT_FAULT_LOG=$d/log LT_FAULT_N=$n \
    LT_FAULT_KIND=$kind LT_FAULT_RANK=$rank LT_FAULT_DEPTH=${LT_FAULT_DEPTH:-1} \
    timeout -k 5 "${LT_FAULT_TIMEOUT:-60}" "$mpi" -n "$np" -x LT_FAULT_LOG -x LT_FAULT_N -x LT_FAULT_KIND \
      -x LT_FAULT_RANK -x LT_FAULT_DEPTH -x ASAN_OPTIONS -x LSAN_OPTIONS \
      "$bin" "${cmd%%.*}" $args --output.dir="$d/out" > "$d/stdout" 2> "$d/stderr" < /dev/null
  rc=$?
  verdict=ok; why=
  bad() { verdict=FAIL; why="${why:+$why; }$1"; }
  site=$(awk '/^FAIL/ {print $4 " " $5}' "$d"/log/rank*.log 2>/dev/null | head -1)
  codes=$(for r in $(seq 0 $((np - 1))); do
            awk '/^exit/ {print $2; f=1} END {if (!f) print "none"}' "$d/log/rank$r.log" 2>/dev/null ||
            echo none; done | sort -u | tr '\n' ' ')
  msg=$(grep -m1 '^latent: error: ' "$d/stderr" | cut -c16-)
  if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then bad "hang (killed after ${LT_FAULT_TIMEOUT:-60} s)"
  elif [ -z "$site" ]; then verdict=unreached
  elif [ "$(echo $codes | wc -w)" != 1 ] || [ "$codes" = "none " ]; then
    bad "exit codes differ or a rank died: $codes"
  elif [ "$codes" = "0 " ]; then
    verdict=survived
    if [ "${cmd%%.*}" != info ] && [ ! -d "$d/out" ]; then bad "exit 0 without results"; fi
  else
    [ -n "$msg" ] || bad "no error message"
    if [ "$kind" = alloc ] && ! echo "$msg" | grep -qi memory; then
      bad "message does not name the allocation"; fi
    if [ "$kind" = msg ] && ! echo "$msg" | grep -qi 'mpi\|message'; then
      bad "message does not name the failed message"; fi
    [ -e "$d/out" ] && bad "results folder left behind"
  fi
  left=$(find "$d" -path "$d/log" -prune -o \( -name '*.partial-*' -o -name '*.tmp.*' \) -print | head -3)
  [ -n "$left" ] && bad "left behind: $left"
  for f in "$d"/asan*; do
    [ -f "$f" ] || continue
    if grep -q 'ERROR: AddressSanitizer\|runtime error' "$f" ||
       awk -v s="$src/src/" 'BEGIN{RS=""} /leak of/ && index($0, s) {f=1} END{exit !f}' "$f"; then
      bad "sanitizer report: $f"; fi
  done
  echo "$verdict|$id|$cmd|np$np|rank$rank|$kind|$n|$site|${codes% }|$msg|$why"
  [ "$verdict" = FAIL ] || [ -n "${LT_FAULT_KEEP:-}" ] || rm -rf "$d"
  exit 0
fi

# ---- setup ------------------------------------------------------------------
full=0; [ "${1:-}" = --full ] && full=1
commands=${LT_FAULT_COMMANDS:-run pca train kmeans score encode decode info generate generate.csv generate.h5 info.csv info.h5}
# More entry points, on 2 ranks only, in the release sweep by default (the
# ASan sweep's time is the suite's limit): IDX input (.gz and plain), a run
# writing checkpoints, `run --resume` of an interrupted one, `tsne`, and the
# single-cell readers with scanpy's recipe (h5ad, 10x). Their new sites are
# failed on one rank role each (rank 0 and the last alternating).
extra_default="info.idx info.idxraw run.ckpt run.resume tsne pca.h5ad pca.10x"
[ "${LT_SANITIZE:-OFF}" = ON ] && extra_default=
extra=${LT_FAULT_EXTRA-$extra_default}
# Under ASan the cases run on 2 ranks only (4 ASan processes per case cost
# the suite minutes); the release sweep keeps 2 and 4.
nps_default="2 4"; [ "${LT_SANITIZE:-OFF}" = ON ] && nps_default=2
nps=${LT_FAULT_NPS:-$nps_default}
jobs=${LT_FAULT_JOBS:-4}
kinds=${LT_FAULT_KINDS:-alloc io msg}
# Under ASan a case takes twice as long: each site is failed on one rank
# role, rank 0 and the last rank alternating (both roles in release).
alt=0; [ "${LT_SANITIZE:-OFF}" = ON ] && alt=1
[ "${LT_SANITIZE:-OFF}" = ON ] && export LT_FAULT_TIMEOUT=${LT_FAULT_TIMEOUT:-120}
[ -n "${LT_FAULT_ROLES:-}" ] && { [ "$LT_FAULT_ROLES" = alternate ] && alt=1 || alt=0; }
work=${LT_TMP:-/tmp}/fault-sweep.$$
rm -rf "$work"; mkdir -p "$work"
t0=$(date +%s)
deck=$work/deck.ini
# seed 000 (inputs/seed000.ini) made small: 600 rows, 2 epochs, 2 k-means starts.
sed -e 's/^n_samples = .*/n_samples = 600/' -e 's/^epochs = .*/epochs = 2/' \
    -e 's/^n_init = .*/n_init = 2/' "$src/inputs/seed000.ini" > "$deck"
# (mpirun's status is 0 even when the ranks fail: see the count pass)
prep() { "$mpi" -n 2 "$bin" "$@" > "$work/prep.log" 2>&1 && ! grep -q '^latent: error' "$work/prep.log" ||
           { cat "$work/prep.log"; echo "sweep: setup failed: $*"; exit 1; }; }
prep train "$deck" --output.dir="$work/prep_train"
prep kmeans "$deck" --output.dir="$work/prep_km"
for f in npy csv hdf5; do prep generate "$deck" --output.dir="$work/prep_$f" --output.format=$f; done
for c in run pca train kmeans; do echo "$deck" > "$work/args.$c"; done
if [ -n "$extra" ]; then
  fx=$src/tests/fixtures
  echo "$fx/data/images-idx3-ubyte.gz --data.labels_path=$fx/data/labels-idx1-ubyte.gz" > "$work/args.info.idx"
  echo "$fx/data/images-idx3-ubyte --data.labels_path=$fx/data/labels-idx1-ubyte" > "$work/args.info.idxraw"
  echo "$deck --train.checkpoint_every=1" > "$work/args.run.ckpt"
  # stopped in epoch 2 of 2 (status 5), its checkpoint then resumed
  LATENT_STOP_AT_EPOCH=1 "$mpi" -n 2 -x LATENT_STOP_AT_EPOCH "$bin" run "$deck" --train.checkpoint_every=1 \
    --output.dir="$work/prep_ck" > "$work/prep.log" 2>&1
  # (mpirun's own status is 0 here: orte_abort_on_non_zero_status=0)
  [ -d "$work/prep_ck.checkpoint" ] && [ ! -e "$work/prep_ck" ] ||
    { cat "$work/prep.log"; echo "sweep: setup failed: interrupted run"; exit 1; }
  echo "--resume @OUT@" > "$work/args.run.resume"
  printf '[data]\nsource = blobs\nn_samples = 120\nn_features = 5\ncenters = 3\nseed = 2\n[preprocess]\nscaler = none\n[pca]\nn_components = 3\n[autoencoder]\nenabled = false\n[kmeans]\nspaces = pca\nn_clusters = 3\n[tsne]\nperplexity = 10\nn_iter = 60\ninit = random\nmethod = exact\nseed = 5\n' > "$work/tsne.ini"
  echo "$work/tsne.ini" > "$work/args.tsne"
  printf '[data]\nsource = h5ad\npath = %s\nobs_key = cell_type\n[singlecell]\nmin_genes = 12\nmin_cells = 5\nn_top_genes = 12\nmax_value = 3\n[preprocess]\nscaler = none\n[pca]\nn_components = 2\n' \
    "$fx/sc/prep_counts.h5ad" > "$work/sc.ini"
  echo "$work/sc.ini" > "$work/args.pca.h5ad"
  echo "$work/sc.ini --data.source=10x --data.path=$fx/sc/tenx_v3.h5 --data.obs_key= --singlecell.min_genes=0 --singlecell.min_cells=3 --singlecell.n_top_genes=50" > "$work/args.pca.10x"
fi
echo "$deck --labels $work/prep_km/labels_kmeans.npy" > "$work/args.score"
echo "$deck --model $work/prep_train/ae_model.h5" > "$work/args.encode"
# decode: the codes (width = bottleneck) back through the model
echo "$deck --model $work/prep_train/ae_model.h5 --data.source=npy --data.path=$work/prep_train/ae_codes_train.npy" > "$work/args.decode"
# generate with a test split (the rows are redistributed), in every format
echo "$deck --preprocess.test_fraction=0.2 --output.format=npy" > "$work/args.generate"
echo "$deck --preprocess.test_fraction=0.2 --output.format=csv" > "$work/args.generate.csv"
echo "$deck --preprocess.test_fraction=0.2 --output.format=hdf5" > "$work/args.generate.h5"
# the readers: .npy with labels, CSV, HDF5 with labels
echo "$work/prep_npy/train.npy --data.labels_path=$work/prep_npy/train_labels.npy" > "$work/args.info"
echo "$work/prep_csv/train.csv" > "$work/args.info.csv"
echo "$work/prep_hdf5/train.h5 --data.labels_dataset=y" > "$work/args.info.h5"

# ---- count pass ---------------------------------------------------------------
ranks_of() { case " $extra " in *" $1 "*) echo 2;; *) echo $nps;; esac; }
for c in $commands $extra; do
  for np in $(ranks_of $c); do
    d=$work/count.$c.$np; mkdir -p "$d"
    LT_FAULT_LOG=$d LT_FAULT_N=0 LT_FAULT_DEPTH=${LT_FAULT_DEPTH:-1} \
      "$mpi" -n "$np" -x LT_FAULT_LOG -x LT_FAULT_N -x LT_FAULT_DEPTH "$bin" "${c%%.*}" $(stage $c "$d") \
      --output.dir="$d/out" > "$d/stdout" 2>&1
    # mpirun's status is 0 whatever the ranks' (orte_abort_on_non_zero_status=0):
    # the shim's log has each rank's own
    [ "$(cat "$d"/rank*.log | grep -c '^exit 0 ')" = "$np" ] ||
      { cat "$d/stdout"; echo "sweep: count run of $c on $np ranks failed"; exit 1; }
  done
done

# Cases: every call (--full) or the first call of each (kind, site) per rank
# role (first, last); the rank count alternates with the site's index.
for c in $commands $extra; do
  for np in $(ranks_of $c); do
    for r in 0 $((np - 1)); do
      role=$([ $r = 0 ] && echo first || echo last)
      awk -v c=$c -v np=$np -v r=$r -v role=$role -v kinds=" $kinds " \
        '/^call/ && index(kinds, " " $2 " ") {print c, np, r, $2, $3, role, $4}' \
        "$work/count.$c.$np/rank$r.log"
    done
  done
done > "$work/calls"
awk -v full=$full -v nps="$nps" -v alt=$alt -v altc=" $extra " '
  BEGIN { n = split(nps, P, " ") }
  full { print $1, $2, $3, $4, $5; next }
  { site = $4 " " $7; r = site " " $6 " " $2 }
  !(site in idx) { idx[site] = ++nsite; order[nsite] = site; cmd[site] = $1 }
  !((site " " $6) in roles) { roles[site " " $6] = 1; rl[site] = rl[site] " " $6 }
  !(r in first) { first[r] = $1 " " $2 " " $3 " " $4 " " $5 }
  END {
    for (s = 1; s <= nsite; s++) {
      site = order[s]; m = split(rl[site], R, " ")
      for (q = 1; q <= m; q++) {
        # one role per site, alternating: under ASan, and for the sites first
        # reached by the extra commands (to keep the suite within its time)
        a = alt || index(altc, " " cmd[site] " ")
        if (a && m > 1 && q != s % m + 1) continue
        k = site " " R[q]; pick = ""
        for (t = 0; t < n && pick == ""; t++) {
          np = P[(s + q + t) % n + 1]
          if ((k " " np) in first) pick = first[k " " np]
        }
        print pick
      }
    }
  }' "$work/calls" |
  awk '{print NR, $0}' > "$work/cases"
ncalls=$(wc -l < "$work/calls"); ncases=$(wc -l < "$work/cases")
nsites=$(awk '{print $4, $7}' "$work/calls" | sort -u | wc -l)
echo "sweep: $ncalls calls counted ($(awk '$4=="alloc"' "$work/calls" | wc -l) allocation, $(awk '$4=="io"' "$work/calls" | wc -l) I/O, $(awk '$4=="msg"' "$work/calls" | wc -l) message) over commands [$commands] on [$nps] ranks${extra:+ and [$extra] on 2}; $nsites distinct sites; $ncases cases"

[ "$ncases" -gt 0 ] || { echo "sweep: no cases: the count pass logged nothing"; exit 1; }
[ -n "${LT_FAULT_DRYRUN:-}" ] && { echo "dry run: $work"; exit 0; }

# ---- the cases ------------------------------------------------------------------
export mpi bin src
xargs -P "$jobs" -I{} bash "$0" --case {} "$work" < "$work/cases" > "$work/results"
sort -t'|' -k2,2n "$work/results" > "$work/results.sorted"
nf=$(grep -c '^FAIL' "$work/results"); nok=$(grep -c '^ok' "$work/results")
nsurv=$(grep -c '^survived' "$work/results"); nun=$(grep -c '^unreached' "$work/results")
# CPU seconds of every process the sweep ran (independent of the load).
times > "$work/times" # in this shell: a $(...) subshell has no children yet
cpu=$(awk 'NR == 2 { split($1, u, "m"); split($2, s, "m"); printf "%.0f", u[1] * 60 + u[2] + s[1] * 60 + s[2] }' "$work/times")
echo "sweep: $ncases cases in $(( $(date +%s) - t0 )) s ($cpu CPU s, load $(cut -d' ' -f1 /proc/loadavg)): $nok failed cleanly, $nsurv survived (exit 0, results complete), $nun not reached, $nf FAILED"
if [ "$nsurv" -gt 0 ]; then echo "survived (failure tolerated):"; grep '^survived' "$work/results.sorted" | cut -d'|' -f3-8 | sort -u -t'|' -k6,6 | sed 's/^/  /'; fi
if [ "$nf" -gt 0 ]; then echo "FAILED:"; grep '^FAIL' "$work/results.sorted" | sed 's/^/  /'; fi
echo "per-case results: $work/results.sorted"
[ "$nf" -eq 0 ] && [ -z "${LT_FAULT_KEEP:-}" ] && rm -rf "$work"
[ "$nf" -eq 0 ]
