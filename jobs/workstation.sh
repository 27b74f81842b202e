#!/usr/bin/env bash
# Workstation launcher: latent on N ranks of this machine, one BLAS thread per
# rank, ranks bound to cores. Usage: jobs/workstation.sh NRANKS DECK.ini [latent args...]
# Example: jobs/workstation.sh 4 inputs/seed001.ini --train.epochs=20
set -euo pipefail
np=${1:?usage: jobs/workstation.sh NRANKS DECK.ini [args]}; deck=${2:?deck missing}; shift 2
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${LATENT:-$here/build/release/latent}
[ -x "$bin" ] || "$here/scripts/build.sh" release
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
[ "$(id -u)" -eq 0 ] && export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
cores=$(nproc)
extra=()
[ "$np" -gt "$cores" ] && extra+=(--oversubscribe) && echo "note: $np ranks on $cores cores (oversubscribed)"
exec mpirun "${extra[@]}" --bind-to core -np "$np" "$bin" run "$deck" "$@"
