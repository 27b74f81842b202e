#!/usr/bin/env bash
# House rules that a grep can check: MPI is called only behind the thin layer
# (src/core/comm.c, MPI-IO in src/data/io.c, program entry in src/cli/main.c),
# <mpi.h> reaches other files only through lt_comm_mpi.h, and the public
# lt_comm.h does not expose MPI.
. "$(dirname "$0")/common.inc"
src="$LT_SOURCE_DIR/src"
calls=$(grep -rlE '\bMPI_[A-Z][a-z_]*[[:space:]]*\(' "$src" | sed "s|$src/||" | sort | tr '\n' ' ')
[ "$calls" = "cli/main.c core/comm.c data/io.c " ] || fail "MPI calls outside the layer: $calls"
inc=$(grep -rl '#include <mpi.h>' "$src" "$LT_SOURCE_DIR/include" | sed "s|$LT_SOURCE_DIR/||" | sort | tr '\n' ' ')
[ "$inc" = "include/latent/lt_comm_mpi.h src/pca/scalapack.h " ] || fail "<mpi.h> included by: $inc"
grep -E '^[^/ *].*MPI_' "$LT_SOURCE_DIR/include/latent/lt_comm.h" && fail "lt_comm.h declares MPI types"
# A seeded mutation: the check must notice a stray call.
tmp="$WORK/src"; mkdir -p "$tmp/nn"; printf 'void f(void){ MPI_Barrier(0); }\n' > "$tmp/nn/x.c"
[ -n "$(grep -rlE '\bMPI_[A-Z][a-z_]*[[:space:]]*\(' "$tmp")" ] || fail "the grep misses a stray MPI call"
finish
