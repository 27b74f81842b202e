#!/usr/bin/env bash
# The single-stage commands: pca, train, encode, decode, kmeans, score.
# Saved models applied again give the same files; outputs do not depend on the
# rank count; bad input gives one clear error, the same exit status on every
# rank, and no results folder.
. "$(dirname "$0")/common.inc"
deck=$WORK/deck.ini
printf '[data]\nsource = blobs\nn_samples = 600\nn_features = 6\ncenters = 3\nseed = 4\n[preprocess]\ntest_fraction = 0.25\nscaler = minmax\n[pca]\nn_components = 2\n[autoencoder]\nlayers = 6,4,2,4,6\n[train]\nepochs = 3\nbatch_size = 32\n[kmeans]\nn_clusters = 3\n' >"$deck"
AS_IS="--preprocess.test_fraction=0 --preprocess.scaler=none"
# npy_rows FILE: first dimension of a .npy shape
npy_rows() { head -c 128 "$1" | LC_ALL=C sed -n "s/.*'shape': (\([0-9]*\),.*/\1/p"; }
# no_folder DIR: neither DIR nor a partial DIR.partial-* is left behind
no_folder() { ! ls -d "$1" "$1".partial-* >/dev/null 2>&1 || fail "$2: results folder left behind"; }
one_error() { [ "$(grep -c 'latent: error' "$WORK/out")" -eq 1 ] || fail "$1: not exactly one error line"; }

# --- pca: fit on 1 and 2 ranks, then apply the saved model -----------------
for np in 1 2; do
  run $np pca "$deck" --output.dir="$WORK/pca$np"
  expect_rc 0 "pca fit np=$np"; expect_out "explained variance ratio" "pca fit np=$np"
  expect_out "reconstruction MSE train" "pca fit np=$np"
done
for f in pca_scores_train.npy pca_scores_test.npy pca_scores_train_labels.npy pca_row_errors_test.npy; do
  [ -f "$WORK/pca1/$f" ] || fail "pca: $f missing"
  cmp -s "$WORK/pca1/$f" "$WORK/pca2/$f" || fail "pca: $f differs between 1 and 2 ranks"
done
[ "$(npy_rows "$WORK/pca1/pca_row_errors_train.npy")" = 450 ] || fail "pca: row errors of 450 training rows"
grep -q '"explained_variance_ratio"' "$WORK/pca1/metrics.json" || fail "pca: metrics.json lacks the variance ratio"
run 2 pca "$deck" --model "$WORK/pca1/pca_model.h5" --output.dir="$WORK/pcam"
expect_rc 0 "pca --model"
for f in pca_scores_train.npy pca_scores_test.npy; do
  cmp -s "$WORK/pca1/$f" "$WORK/pcam/$f" || fail "pca --model: $f differs from the fit's"
done
[ -f "$WORK/pcam/pca_model.h5" ] && fail "pca --model must not write a model"
for np in 1 2; do  # wrong width: the deck's data have 5 columns
  run $np pca "$deck" --model "$WORK/pca1/pca_model.h5" --data.n_features=5 --output.dir="$WORK/bad1"
  expect_rc 3 "pca --model wrong width np=$np"; one_error "pca wrong width"
  expect_out "expects 6 columns but the deck's data have 5" "pca --model wrong width"
  no_folder "$WORK/bad1" "pca wrong width"
done
run 2 pca "$deck" --model "$WORK/nope.h5" --output.dir="$WORK/bad2"
expect_rc 3 "pca missing model"; expect_out "nope.h5" "pca missing model named"; no_folder "$WORK/bad2" "missing model"
run 2 pca "$deck" --output.dir="$WORK/pca1"
expect_rc 3 "existing folder"; expect_out "already exists" "existing folder"
run 2 pca "$deck" --output.dir="$WORK/pca1" --force --pca.n_components=3
expect_rc 0 "--force"; grep -q '"n_components":	3' "$WORK/pca1/metrics.json" || fail "--force did not replace the folder"

# --- train, encode, decode -------------------------------------------------
run 2 train "$deck" --output.dir="$WORK/ae"
expect_rc 0 "train"; expect_out "epoch   3/3  loss" "train epoch lines"
grep -q '"loss_history"' "$WORK/ae/metrics.json" || fail "train: no loss history"
run 1 encode "$deck" --model "$WORK/ae/ae_model.h5" --output.dir="$WORK/enc"
expect_rc 0 "encode"
for f in ae_codes_train.npy ae_codes_test.npy ae_codes_test_labels.npy ae_row_errors_train.npy; do
  cmp -s "$WORK/ae/$f" "$WORK/enc/$f" || fail "encode (1 rank): $f differs from train's (2 ranks)"
done
run 2 decode "$deck" --model "$WORK/ae/ae_model.h5" --output.dir="$WORK/dec" --data.source=npy \
  --data.path="$WORK/enc/ae_codes_train.npy" $AS_IS
expect_rc 0 "decode"; expect_out "decoded 450 + 0 rows into 6 columns" "decode"
run 1 info "$WORK/dec/ae_decoded_train.npy"
expect_out "450 rows x 6 columns" "decode output shape"
for np in 1 2; do  # raw rows where codes are expected
  run $np decode "$deck" --model "$WORK/ae/ae_model.h5" --output.dir="$WORK/bad3"
  expect_rc 3 "decode wrong width np=$np"; one_error "decode wrong width"
  expect_out "expects codes of 2 columns but the deck's data have 6" "decode wrong width"
  no_folder "$WORK/bad3" "decode wrong width"
  run $np encode "$deck" --output.dir="$WORK/bad4"
  expect_rc 2 "encode without --model np=$np"; one_error "no --model"
  expect_out "needs --model FILE" "encode without --model"; no_folder "$WORK/bad4" "no --model"
done
run 2 encode "$deck" --model "$WORK/pca1/pca_model.h5" --output.dir="$WORK/bad5"
expect_rc 3 "encode with a PCA model"; one_error "encode with a PCA model"; no_folder "$WORK/bad5" "PCA model to encode"

# --- kmeans and score on a file as it is ----------------------------------
gen=$WORK/gen
run 1 generate "$deck" --output.dir="$gen" --preprocess.test_fraction=0
expect_rc 0 "generate for kmeans"
file="--data.source=npy --data.path=$gen/train.npy --data.labels_path=$gen/train_labels.npy"
for np in 1 2; do
  run $np kmeans "$deck" $file $AS_IS --output.dir="$WORK/km$np"
  expect_rc 0 "kmeans np=$np"; expect_out "k-means: k = 3 on 600 x 6" "kmeans np=$np"
  expect_out "ARI" "kmeans reports ARI against the file's labels"
  [ "$(npy_rows "$WORK/km$np/labels_kmeans.npy")" = 600 ] || fail "kmeans: labels count np=$np"
  [ "$(npy_rows "$WORK/km$np/kmeans_centers.npy")" = 3 ] || fail "kmeans: centers np=$np"
done
cmp -s "$WORK/km1/labels_kmeans.npy" "$WORK/km2/labels_kmeans.npy" || fail "kmeans labels differ 1 vs 2 ranks"
grep -q '"inertia"' "$WORK/km1/metrics.json" && grep -q '"iterations"' "$WORK/km1/metrics.json" \
  || fail "kmeans metrics"
for np in 1 2; do
  run $np score "$deck" $file --labels "$gen/train_labels.npy" --preprocess.scaler=none --output.dir="$WORK/sc$np"
  expect_rc 0 "score np=$np"; expect_out "test_fraction 0.25 ignored" "score uses all rows"
  expect_out "silhouette (exact, 600 rows)" "score silhouette np=$np"
  expect_out "ARI vs true labels       1.000000" "score of the true labels"
  grep "silhouette (exact" "$WORK/out" >"$WORK/sil$np"
done
cmp -s "$WORK/sil1" "$WORK/sil2" || fail "score: silhouette differs 1 vs 2 ranks"
run 2 score "$deck" --labels "$WORK/km1/labels_kmeans.npy" --output.dir="$WORK/bad6" --data.n_samples=500
expect_rc 3 "labels length"; one_error "labels length"
expect_out "600 labels but the data has 500 rows" "labels length"; no_folder "$WORK/bad6" "labels length"
run 1 generate "$deck" --output.dir="$WORK/one" --data.centers=1 --preprocess.test_fraction=0
run 2 score "$deck" --labels "$WORK/one/train_labels.npy" --output.dir="$WORK/bad7"
expect_rc 3 "one label"; one_error "one label"; expect_out "1 distinct label; cluster scores need at least 2" "one label"
no_folder "$WORK/bad7" "one label"
run 2 score "$deck" --output.dir="$WORK/bad8"
expect_rc 2 "score without --labels"; expect_out "needs --labels FILE.npy" "score without --labels"

# --- more ranks than rows: 3 rows on 4 ranks (ranks with no rows) ----------
tiny="--data.n_samples=3 --preprocess.test_fraction=0 --kmeans.n_clusters=2"
for np in 1 4; do
  run $np kmeans "$deck" $tiny --output.dir="$WORK/tk$np"; expect_rc 0 "kmeans 3 rows np=$np"
  run $np score "$deck" $tiny --labels "$WORK/tk$np/labels_kmeans.npy" --output.dir="$WORK/ts$np"
  expect_rc 0 "score 3 rows np=$np"; grep "silhouette (exact" "$WORK/out" >"$WORK/tsil$np"
  run $np pca "$deck" $tiny --output.dir="$WORK/tp$np"; expect_rc 0 "pca 3 rows np=$np"
done
cmp -s "$WORK/tk1/labels_kmeans.npy" "$WORK/tk4/labels_kmeans.npy" || fail "3 rows: k-means labels differ 1 vs 4 ranks"
cmp -s "$WORK/tsil1" "$WORK/tsil4" && [ -s "$WORK/tsil1" ] || fail "3 rows: silhouette differs 1 vs 4 ranks"
cmp -s "$WORK/tp1/pca_scores_train.npy" "$WORK/tp4/pca_scores_train.npy" || fail "3 rows: PCA scores differ 1 vs 4 ranks"
finish
