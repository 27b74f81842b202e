#!/usr/bin/env bash
# latent compare: one figure from two (or more) results folders of runs on
# 28 x 28 images (a dense and a convolutional deck, a denoiser), and its
# errors (one folder, a folder without reconstructions.npy, runs on
# different images).
. "$(dirname "$0")/common.inc"
deck=$WORK/deck.ini
printf '[data]\nsource = blobs\nn_samples = 160\nn_features = 784\ncenters = 2\nseed = 5\n[preprocess]\ntest_fraction = 0.25\nscaler = minmax\n[pca]\nn_components = 4\n[autoencoder]\nlayers = 784, 16, 784\n[train]\noptimizer = rmsprop\nloss = mse\nepochs = 1\nbatch_size = 32\n[kmeans]\nn_clusters = 2\n[metrics]\nsilhouette = none\n' >"$deck"
conv=(--autoencoder.layers= --autoencoder.input_shape=28,28,1
      "--autoencoder.stack=conv 2 3 same relu, pool 2 same, up 2, conv 1 3 same sigmoid")

run 2 run "$deck" --output.dir="$WORK/dense"
expect_rc 0 "dense run"
[ -s "$WORK/dense/reconstructions.npy" ] || fail "run wrote no reconstructions.npy"
run 1 info "$WORK/dense/reconstructions.npy"
expect_out "40 rows x 784 columns" "reconstructions.npy: 4 blocks of the first 10 test rows"
run 2 run "$deck" --output.dir="$WORK/conv" "${conv[@]}"
expect_rc 0 "conv run"
run 2 run "$deck" --output.dir="$WORK/denoise" --train.noise_factor=0.5
expect_rc 0 "denoise run"

for np in 1 2; do
  rm -f "$WORK/cmp.png"
  run $np compare "$WORK/dense" "$WORK/conv/" "$WORK/denoise" "$WORK/cmp.png"
  expect_rc 0 "compare np=$np"
  [ -s "$WORK/cmp.png" ] || fail "compare np=$np: no figure"
  expect_out "figure: $WORK/cmp.png" "compare np=$np"
  expect_out "^dense  *25888  *test " "compare np=$np: dense row (parameters, rows)"
  expect_out "^conv  *" "compare np=$np: folder name without the trailing slash"
  expect_out "^denoise .*(denoiser: noisy input shown)" "compare np=$np: denoiser"
done
file "$WORK/cmp.png" | grep -q "PNG image" || fail "compare: not a PNG"

one_error() { [ "$(grep -c 'latent: error' "$WORK/out")" -eq 1 ] || fail "$1: not exactly one error line"; }
run 2 compare "$WORK/dense"
expect_rc 2 "one folder"; expect_out "needs two or more results folders" "one folder"; one_error "one folder"
run 2 compare "$WORK/dense" "$WORK/conv" --force
expect_rc 2 "an option"; expect_out "takes no options" "an option"; one_error "an option"
mkdir -p "$WORK/empty"
run 2 compare "$WORK/dense" "$WORK/empty"
expect_rc 3 "no reconstructions.npy"; expect_out "empty has no reconstructions.npy" "no npy"; one_error "no npy"
run 2 run "$deck" --output.dir="$WORK/other" --data.seed=6
expect_rc 0 "run on other data"
run 2 compare "$WORK/dense" "$WORK/other"
expect_rc 3 "different images"; expect_out "show different images" "different images"; one_error "different images"
finish
