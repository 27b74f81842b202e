# Shared by the batch scripts in jobs/slurm/ (sourced, not run).
# A batch script runs from a copy in slurmd's spool folder, so it cannot find
# this file next to itself: the scripts look in $LATENT_ROOT (default: the
# folder sbatch was called from, which should be the latent checkout).
set -euo pipefail
root=${LATENT_ROOT:-$SLURM_SUBMIT_DIR}
bin=${LATENT:-$root/build/release/latent}
[ -x "$bin" ] || { echo "latent binary not found at $bin: build it (scripts/build.sh release) or set LATENT" >&2; exit 2; }
# One BLAS thread per rank: ranks already fill the cores, and OpenBLAS threads
# on top of them oversubscribe and slow everything down.
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1} OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
if [ "$(id -u)" -eq 0 ]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi

# lt_banner: the job, the allocation and the environment, into the job log.
lt_banner() {
  echo "== job ${SLURM_JOB_ID:-?}${SLURM_ARRAY_TASK_ID:+ (array task $SLURM_ARRAY_TASK_ID)} on ${SLURM_JOB_NODELIST:-?}: ${SLURM_NTASKS:-?} tasks on ${SLURM_JOB_NUM_NODES:-?} nodes, $(date -Is)"
  echo "== latent: $bin"; echo "== root: $root"; echo "== command line: $*"
  echo "== environment"
  env | grep -E '^(SLURM_(JOB|NTASKS|NNODES|CPUS|TASKS|ARRAY|SUBMIT|RESTART|MEM)|OMPI_|PMIX_MCA|OPENBLAS|OMP_|LATENT)' | sort
}

# lt_deck_echo DECK ARGS...: the deck and its overrides; `latent run` prints
# the effective configuration (deck + overrides + defaults) itself.
lt_deck_echo() {
  local deck=$1; shift
  echo "== deck $deck"; sed 's/^/   /' "$deck"
  [ $# -eq 0 ] || echo "== overrides: $*"
}

# lt_srun NP ARGS...: latent on NP ranks of the allocation, spread over at
# most min(NP, nodes) nodes. Debian's Open MPI speaks PMIx only: --mpi=pmix.
lt_srun() {
  local np=$1 nodes=${SLURM_JOB_NUM_NODES:-1}; shift
  [ "$nodes" -gt "$np" ] && nodes=$np
  local rc=0
  srun --mpi=pmix --nodes="$nodes" --ntasks="$np" --cpus-per-task=1 "$bin" "$@" || rc=$?
  echo "== srun exit status $rc ($(date -Is))"
  return $rc
}

# lt_rank_counts MAX: 1 2 4 ... up to MAX, and MAX itself if not a power of 2.
lt_rank_counts() {
  local p=1 out=""
  while [ $p -le "$1" ]; do out="$out $p"; p=$((p * 2)); done
  [ $((p / 2)) -eq "$1" ] || out="$out $1"
  echo $out
}
