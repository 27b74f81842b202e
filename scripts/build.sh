#!/usr/bin/env bash
# Installs missing packages, then configures and builds a CMake preset
# (release by default, or asan, petsc, nopetsc).
# Usage: scripts/build.sh [release|asan|petsc|nopetsc]
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${1:-release}
if [ "$preset" = petsc ]; then scripts/install-deps.sh --petsc; else scripts/install-deps.sh; fi
[ -f "build/$preset/CMakeCache.txt" ] || cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset"
