#!/usr/bin/env bash
# Submits the seed-002 feature-count sweep (job array, 2..32 features) and its
# summary job, which waits for every array task to succeed (afterok).
#   jobs/slurm/sweep-features.sh STUDY_DIR [DECK.ini] [--section.key=value ...]
# Extra sbatch options go in SBATCH_ARGS, e.g. SBATCH_ARGS="--partition=short".
# Prints the two job ids.
set -euo pipefail
study=${1:?usage: jobs/slurm/sweep-features.sh STUDY_DIR [DECK.ini] [latent args]}; shift
here=$(cd "$(dirname "$0")" && pwd)
export LATENT_ROOT=${LATENT_ROOT:-$(cd "$here/../.." && pwd)}
mkdir -p "$study"
study=$(cd "$study" && pwd)
# shellcheck disable=SC2086
array=$(sbatch --parsable ${SBATCH_ARGS:-} --output="$study/sweep-%A_%a.log" \
  "$here/sweep-features.sbatch" "$study" "$@")
array=${array%%;*}
# shellcheck disable=SC2086
summary=$(sbatch --parsable ${SBATCH_ARGS:-} --dependency=afterok:"$array" \
  --kill-on-invalid-dep=yes --output="$study/summary-%j.log" "$here/sweep-summary.sbatch" "$study")
echo "array job $array, summary job ${summary%%;*}"
