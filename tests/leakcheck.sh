#!/usr/bin/env bash
# Runs a test command under LeakSanitizer and fails only on leaks whose stack
# contains a frame from latent's own sources: Open MPI leaks at MPI_Finalize
# and its stacks often end in <unknown module>, which no suppression catches.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
logdir=$(mktemp -d)
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:log_path=$logdir/lsan"
export LSAN_OPTIONS="${LSAN_OPTIONS:-exitcode=0}"
"$@"
rc=$?
bad=0
for f in "$logdir"/lsan*; do
  [ -f "$f" ] || continue
  # A leak record runs from "Direct/Indirect leak" to the next blank line.
  if awk -v src="$here/src/" 'BEGIN{RS=""} /leak of/ && index($0, src) {found=1; print} END{exit !found}' "$f"; then
    bad=1
  fi
  # Non-leak reports (memory errors) are fatal anyway; show them.
  grep -q "ERROR: AddressSanitizer" "$f" && { cat "$f"; bad=1; }
done
rm -rf "$logdir"
if [ $bad -ne 0 ]; then
  echo "leakcheck: leaks or memory errors in latent sources (see above)" >&2
  [ $rc -eq 0 ] && rc=1
fi
exit $rc
