#!/usr/bin/env bash
# Installs Debian's HSMM single-cell data set (r-bioc-hsmmsinglecell, R .rda)
# and the .rda reader python3-rdata, then converts the data with
# scripts/convert-hsmm.py into DESTDIR (default data/hsmm): hsmm_log1p.npy
# (cells x genes, log1p FPKM), hsmm_hours.npy (time-point labels), hsmm.h5
# and hsmm.h5ad (every cell and gene, FPKM, with obs hours/media/state).
# Idempotent: skips the install when the packages are present and the
# conversion when the output exists. Extra arguments go to convert-hsmm.py.
# Usage: scripts/fetch-hsmm.sh [DESTDIR] [--top-genes N ...]
set -euo pipefail
dest=${1:-data/hsmm}
[ $# -gt 0 ] && shift
here=$(cd "$(dirname "$0")" && pwd)
packages=(r-bioc-hsmmsinglecell python3-rdata python3-numpy python3-h5py python3-anndata)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then sudo=(); else sudo=(sudo); fi
  echo "fetch-hsmm: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" || {
    "${sudo[@]}" apt-get update -q && "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"; }
fi
if [ -s "$dest/hsmm_log1p.npy" ] && [ -s "$dest/hsmm_hours.npy" ] && [ -s "$dest/hsmm.h5ad" ] &&
   [ $# -eq 0 ]; then
  echo "fetch-hsmm: $dest already holds the converted data (pass options to reconvert)"
  exit 0
fi
/usr/bin/python3 "$here/convert-hsmm.py" --out "$dest" "$@"
