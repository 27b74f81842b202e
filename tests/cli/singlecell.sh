#!/usr/bin/env bash
# Single-cell sources from the deck: [data] source = h5ad | 10x | mtx with
# scanpy's recipe ([singlecell]); the same counts give the same dense data
# (checksum) from every form and on 1 and 2 ranks; bad input fails with a
# message naming the file and element.
. "$(dirname "$0")/common.inc"
fx=$LT_SOURCE_DIR/tests/fixtures/sc
deck=$WORK/sc.ini
cat >"$deck" <<EOD
[data]
source = h5ad
path = $fx/prep_counts.h5ad
obs_key = cell_type
[singlecell]
min_genes = 12
min_cells = 5
n_top_genes = 12
max_value = 3
[preprocess]
scaler = none
test_fraction = 0
[pca]
n_components = 2
[autoencoder]
enabled = false
[kmeans]
spaces = pca
n_clusters = 3
[output]
figures = false
write_data = false
EOD
sums=()
for np in 1 2; do
  run $np run "$deck" --output.dir="$WORK/r$np"
  expect_rc 0 "h5ad run np=$np"
  expect_out "single-cell h5ad: 150 cells x 80 genes" "shape read"
  expect_out "kept 146 cells x 75 genes; normalize_total target 193; highly variable 12 genes -> dense 146 x 12" "recipe"
  expect_out "labels: obs 'cell_type', 3 categories: 0 = B, 1 = NK, 2 = T" "labels"
  # Category names, not codes, in the table of labels and clusters.
  expect_out "cells per cell_type and k-means cluster (training rows)" "label table"
  for name in B NK T; do expect_out "^$name  *[0-9][0-9]* |" "label table row $name"; done
  sums+=("$(grep checksum "$WORK/out")")
done
[ "${sums[0]}" = "${sums[1]}" ] || fail "h5ad data differ between 1 and 2 ranks: ${sums[*]}"
/usr/bin/python3 -c "
import json, sys
t = json.load(open(sys.argv[1] + '/metrics.json'))['spaces']['pca']['cells_per_label_and_cluster']
assert len(t) == 9 and sum(t) == 146, t
" "$WORK/r2" >"$WORK/py" 2>&1 || { cat "$WORK/py"; fail "cells per label and cluster in metrics.json"; }
# The pbmc deck (real 10x PBMC counts) runs as shipped (fewer epochs here).
run 2 run "$LT_SOURCE_DIR/inputs/pbmc.ini" --data.path="$fx/tenx_v3.h5" --train.epochs=2 \
  --output.figures=false --output.dir="$WORK/pbmc"
expect_rc 0 "pbmc deck"
expect_out "single-cell 10x: 1107 cells x 507 genes, 23866 non-zeros" "pbmc deck"
expect_out "kept 1106 cells x 161 genes; normalize_total target 10000; highly variable 100 genes" "pbmc recipe"
[ -s "$WORK/pbmc/results.h5ad" ] || fail "pbmc deck wrote no results.h5ad"
# The real Cell Ranger matrix as 10x h5, h5ad and Matrix Market: one checksum.
real=()
for src in "10x $fx/tenx_v3.h5" "h5ad $fx/tenx_v3.h5ad" "mtx $fx/tenx_v3_mtx"; do
  set -- $src
  run 2 run "$deck" --data.source=$1 --data.path=$2 --data.obs_key= --singlecell.min_genes=0 \
    --singlecell.min_cells=3 --singlecell.n_top_genes=50 --output.dir="$WORK/real_$1"
  expect_rc 0 "real matrix as $1"
  expect_out "single-cell $1: 1107 cells x 507 genes, 23866 non-zeros" "real matrix as $1"
  real+=("$(grep checksum "$WORK/out")")
done
[ "${real[0]}" = "${real[1]}" ] && [ "${real[0]}" = "${real[2]}" ] || fail "three forms differ: ${real[*]}"
# results.h5ad (h5ad input: always), read by python3-anndata; then with a
# test split (cells back in input order) and from a 10x input on request.
check=$LT_SOURCE_DIR/tests/cli/check_results_h5ad.py
/usr/bin/python3 "$check" "$WORK/r2" 146 75 12 cell_type 0 >"$WORK/py" 2>&1 || { cat "$WORK/py"; fail "results.h5ad np=2"; }
run 2 run "$deck" --preprocess.test_fraction=0.3 --metrics.rows=test --output.dir="$WORK/split"
expect_rc 0 "split run"
/usr/bin/python3 "$check" "$WORK/split" 146 75 12 cell_type 1 >"$WORK/py" 2>&1 || { cat "$WORK/py"; fail "results.h5ad with a split"; }
# With t-SNE of the PCA scores on the test cells: obsm/X_tsne(_pca), NaN for the training cells.
run 2 run "$deck" --preprocess.test_fraction=0.3 --metrics.rows=test --tsne.enabled=true --tsne.spaces=pca \
  --tsne.perplexity=10 --tsne.n_iter=300 --output.dir="$WORK/tsne"
expect_rc 0 "split run with t-SNE"
/usr/bin/python3 "$check" "$WORK/tsne" 146 75 12 cell_type 1 >"$WORK/py" 2>&1 || { cat "$WORK/py"; fail "results.h5ad with t-SNE"; }
/usr/bin/python3 -W ignore -c "
import anndata, sys, numpy as np
a = anndata.read_h5ad(sys.argv[1] + '/results.h5ad')
assert set(a.obsm) == {'X_pca', 'X_tsne', 'X_tsne_pca'} and np.isnan(a.obsm['X_tsne'][:, 0]).sum() == 146 - 44
" "$WORK/tsne" >"$WORK/py" 2>&1 || { cat "$WORK/py"; fail "X_tsne keys or NaN rows"; }
[ -f "$WORK/real_10x/results.h5ad" ] && fail "10x input wrote results.h5ad without format = h5ad"
run 1 run "$deck" --data.source=10x --data.path="$fx/tenx_v3.h5" --data.obs_key= --singlecell.min_genes=0 \
  --singlecell.min_cells=3 --singlecell.n_top_genes=50 --output.format=h5ad --output.dir="$WORK/tenx_h5ad"
expect_rc 0 "10x to h5ad"
/usr/bin/python3 "$check" "$WORK/tenx_h5ad" 1107 $(grep -o "kept 1107 cells x [0-9]*" "$WORK/out" | awk '{print $5}') 50 - 0 >"$WORK/py" 2>&1 || { cat "$WORK/py"; fail "results.h5ad from 10x"; }
# The counts generator: `generate` writes the same counts.h5ad matrix on 1
# and 2 ranks (python3-anndata compares), and `run` takes it directly.
gen="[data]\nsource = counts\nn_samples = 3001\nn_features = 700\ncenters = 4\ndensity = 0.06\nseed = 5\n"
printf "$gen" >"$WORK/gen.ini"
for np in 1 2; do
  run $np generate "$WORK/gen.ini" --output.dir="$WORK/gen$np"
  expect_rc 0 "generate counts np=$np"; expect_out "3001 cells x 700 genes" "generate counts"
done
/usr/bin/python3 -W ignore -c "
import anndata as ad, numpy as np, sys
a, b = (ad.read_h5ad(sys.argv[k] + '/counts.h5ad') for k in (1, 2))
assert a.shape == (3001, 700) and (a.X != b.X).nnz == 0 and abs(a.X.nnz / 3001 / 700 - 0.06) < 0.006
assert list(a.obs['cell_type']) == list(b.obs['cell_type'])
" "$WORK/gen1" "$WORK/gen2" >"$WORK/py" 2>&1 || { cat "$WORK/py"; fail "generated counts differ or are wrong"; }
run 2 run "$WORK/gen.ini" --singlecell.n_top_genes=100 --pca.n_components=5 --autoencoder.enabled=false \
  --kmeans.spaces=pca --kmeans.n_clusters=4 --preprocess.scaler=none --output.figures=false --output.dir="$WORK/genrun"
expect_rc 0 "run on generated counts"; expect_out "labels: 4 cell types" "generated labels"
# Bad input.
run 2 run "$deck" --data.obs_key=celltype --output.dir="$WORK/bad1"
expect_rc 3 "missing obs column"; expect_out "obs has no column 'celltype' (columns: _index, cell_type)" "missing obs column"
run 1 run "$deck" --data.path="$fx/bad_encoding.h5ad" --data.obs_key= --output.dir="$WORK/bad2"
expect_rc 3 "unknown encoding"; expect_out "element 'X' has encoding-type 'csr_matrix_v9'" "unknown encoding"
run 1 run "$deck" --data.path="$fx/bad_negative.h5ad" --data.obs_key= --singlecell.min_genes=0 \
  --singlecell.min_cells=0 --singlecell.normalize_total=false --output.dir="$WORK/bad3"
expect_rc 3 "negative counts"; expect_out "negative value -1 at cell 0, gene 6: log1p needs counts >= 0" "negative counts"
run 1 run "$deck" --data.source=mtx --data.path="$fx/fmt_mtx" --output.dir="$WORK/bad4"
expect_rc 2 "labels from mtx"; expect_out "Matrix Market directories hold no cell labels" "labels from mtx"
run 1 run "$deck" --data.source=h5ad --data.layer=nope --data.obs_key= --output.dir="$WORK/bad5"
expect_rc 3 "missing layer"; expect_out "no element 'layers/nope'" "missing layer"
finish
