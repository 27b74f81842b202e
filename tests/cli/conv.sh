#!/usr/bin/env bash
# Decks with a layer stack ([autoencoder] stack, input_shape): the summary
# before training, train and encode agree across rank counts and through the
# saved model, and the bad stacks fail with one clear error and exit status.
. "$(dirname "$0")/common.inc"
deck=$WORK/deck.ini
printf '[data]\nsource = blobs\nn_samples = 600\nn_features = 64\ncenters = 3\nseed = 4\n[preprocess]\ntest_fraction = 0.25\nscaler = minmax\n[pca]\nn_components = 2\n[autoencoder]\nstack = conv 4 3 same relu, pool 2 same, conv 2 3 same relu, up 2, conv 1 3 same sigmoid\ninput_shape = 8, 8, 1\n[train]\noptimizer = rmsprop\nepochs = 2\nbatch_size = 32\n[kmeans]\nn_clusters = 3\n' >"$deck"
one_error() { [ "$(grep -c 'latent: error' "$WORK/out")" -eq 1 ] || fail "$1: not exactly one error line"; }

for np in 1 2; do
  run $np train "$deck" --output.dir="$WORK/ae$np"
  expect_rc 0 "train np=$np"
  expect_out "stack of 5 layers, 133 parameters" "train np=$np"
  expect_out "max_pooling2d_1 (MaxPooling2D)    (None, 4, 4, 4)         0" "summary np=$np"
  expect_out "conv2d_2 (Conv2D)                 (None, 4, 4, 2)         74        <- code" "summary code np=$np"
  expect_out "Total params: 133" "summary total np=$np"
  expect_out "epoch   2/2  loss" "train epochs np=$np"
done
run 2 encode "$deck" --model "$WORK/ae1/ae_model.h5" --output.dir="$WORK/enc"
expect_rc 0 "encode"
cmp -s "$WORK/ae1/ae_codes_test.npy" "$WORK/enc/ae_codes_test.npy" || fail "encode: codes differ from train's"
run 1 info "$WORK/enc/ae_codes_test.npy"
expect_out "150 rows x 32 columns" "codes are the flattened 4x4x2 bottleneck"

# bad stacks: deck errors exit 2, a data width that is not the image exits 3
bad() { # EXPECTED_RC MESSAGE OVERRIDES... (on 2 ranks: the failure must be agreed)
  local want=$1 msg=$2; shift 2
  for np in 2; do
    run $np train "$deck" --output.dir="$WORK/bad" "$@"
    expect_rc "$want" "$msg np=$np"; expect_out "$msg" "$msg np=$np"; one_error "$msg np=$np"
    [ -d "$WORK/bad" ] && fail "$msg: results folder left behind"
  done
}
bad 3 "input_shape = 8, 8, 2 holds 128 values per row, but the data has 64 columns" --autoencoder.input_shape="8, 8, 2"
bad 2 "output shape 4x4x2 differs from its input shape 8x8x1" --autoencoder.stack="conv 4 3 same relu, pool 2 same, conv 2 3 same relu"
bad 2 "the 9x9 kernel is larger than its 8x8x1 input" --autoencoder.stack="conv 4 9 valid, up 2"
bad 2 "would reach size 0" --autoencoder.stack="pool 4, pool 4, up 8"
bad 2 "no bottleneck" --autoencoder.stack="conv 1 3 same"
bad 2 "either 'layers' (dense widths) or 'stack'" --autoencoder.layers="64,8,64"
bad 2 "unknown kind 'dropout'" --autoencoder.stack="conv 4 3 same, dropout 0.5"
bad 2 "needs an image input" --autoencoder.input_shape=""

# A deck line longer than inih's default limit (197 bytes; the first notebook
# model's stack line, padded to be sure)
stack1="$(sed -n 's/^stack = //p' "$LT_SOURCE_DIR/inputs/seed003-conv.ini")                                        "
[ ${#stack1} -gt 200 ] || fail "the stack line should be longer than 200 bytes"
printf '[data]\nsource = blobs\nn_samples = 40\nn_features = 784\n[pca]\nenabled = false\n[kmeans]\nenabled = false\n[autoencoder]\ninput_shape = 28, 28, 1\nstack = %s\n[train]\nepochs = 1\nbatch_size = 16\n' "$stack1" >"$WORK/long.ini"
run 1 train "$WORK/long.ini" --output.dir="$WORK/long"
expect_rc 0 "long stack line"; expect_out "Total params: 1,185" "long stack line"
expect_out "conv2d_6 (Conv2D)                 (None, 14, 14, 8)       296" "long stack line"

# [data] test_path: a separate test file in the same format (npy here)
run 1 generate "$deck" --output.dir="$WORK/gen"
expect_rc 0 "generate"
files="--data.source=npy --data.path=$WORK/gen/train.npy --data.labels_path=$WORK/gen/train_labels.npy --data.test_path=$WORK/gen/test.npy --data.test_labels_path=$WORK/gen/test_labels.npy"
run 2 train "$deck" --output.dir="$WORK/tp" $files
expect_rc 0 "test_path"; expect_out "data: 450 training rows, 150 test rows, 64 columns" "test_path rows"
run 2 train "$deck" --output.dir="$WORK/tp2" $files --data.test_path="$WORK/ae1/ae_codes_test.npy" --data.test_labels_path=
expect_rc 3 "test_path width"; expect_out "has 32 columns but path" "test_path width"; one_error "test_path width"
run 2 train "$deck" --output.dir="$WORK/tp3" --data.test_path="$WORK/gen/test.npy"
expect_rc 2 "test_path with a generator"; expect_out "test_path applies to file sources" "test_path with a generator"
finish
