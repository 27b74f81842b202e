#!/usr/bin/env bash
# Installs the Debian 12 packages latent needs, only those missing.
# Idempotent; works as root or through sudo. Extra package names may be
# passed as arguments (e.g. python3-sklearn for the fixture scripts);
# --petsc adds petsc-dev and slepc-dev.
set -euo pipefail
# --petsc: also the optional PETSc/SLEPc backend (Debian's petsc-dev and
# slepc-dev, 3.18 with Open MPI; LATENT_WITH_PETSC, docs/pca.md).
extra=()
for a in "$@"; do
  if [ "$a" = --petsc ]; then extra+=(petsc-dev slepc-dev); else extra+=("$a"); fi
done
set -- "${extra[@]+"${extra[@]}"}"
packages=(gcc make cmake pkg-config
          libopenmpi-dev openmpi-bin libscalapack-openmpi-dev libopenblas-dev
          libhdf5-openmpi-dev check libsubunit-dev libinih-dev libcjson-dev
          libplplot-dev plplot-driver-cairo zlib1g-dev libfftw3-dev "$@")
missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi
if [ "$(id -u)" -eq 0 ]; then sudo=(); else sudo=(sudo); fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
