#!/usr/bin/env bash
# `latent generate` gives bit-identical files for 1, 2 and 4 ranks, in every
# output format, also with more ranks than rows; `latent info` reads them back.
. "$(dirname "$0")/common.inc"
deck=$WORK/deck.ini
printf '[data]\nsource = blobs\nn_samples = 5000\nn_features = 9\ncenters = 8\ncluster_std = 2\nnoise_features = 1\nseed = 3\n[preprocess]\ntest_fraction = 0.2\n' >"$deck"
for fmt in npy csv hdf5; do
  for np in 1 2 4; do
    run $np generate "$deck" --output.dir="$WORK/$fmt$np" --output.format=$fmt
    expect_rc 0 "generate $fmt np=$np"
  done
  for f in $(cd "$WORK/${fmt}1" && ls); do
    # HDF5 files may differ in metadata: compare contents (the 1-rank file's
    # checksum once, against each rank count's)
    [ $fmt = hdf5 ] && { run 1 info "$WORK/${fmt}1/$f" --data.labels_dataset=y; a=$(grep checksum "$WORK/out"); }
    for np in 2 4; do
      if [ $fmt = hdf5 ]; then
        run 2 info "$WORK/$fmt$np/$f" --data.labels_dataset=y; b=$(grep checksum "$WORK/out")
        [ -n "$a" ] && [ "$a" = "$b" ] || fail "$fmt $f differs at np=$np ($a / $b)"
      else
        cmp -s "$WORK/${fmt}1/$f" "$WORK/$fmt$np/$f" || fail "$fmt $f differs between 1 and $np ranks"
      fi
    done
  done
done
[ -f "$WORK/npy1/train.npy" ] && [ -f "$WORK/npy1/train_labels.npy" ] && [ -f "$WORK/npy1/test.npy" ] || fail "npy outputs missing"
run 2 info "$WORK/npy1/train.npy" --data.labels_path="$WORK/npy1/train_labels.npy"
expect_rc 0 "info"; expect_out "4000 rows x 10 columns" "info shape"; expect_out "labels: 0:" "info labels"
# More ranks than rows: 3 rows on 4 ranks.
run 4 generate "$deck" --data.n_samples=3 --data.centers=1 --preprocess.test_fraction=0 --output.dir="$WORK/tiny4"
expect_rc 0 "3 rows on 4 ranks"
run 1 generate "$deck" --data.n_samples=3 --data.centers=1 --preprocess.test_fraction=0 --output.dir="$WORK/tiny1"
expect_rc 0 "3 rows on 1 rank"
cmp -s "$WORK/tiny1/train.npy" "$WORK/tiny4/train.npy" || fail "tiny dataset differs between 1 and 4 ranks"
# A reader failure on all ranks: same exit status, one message, no hang.
run 2 info "$WORK/nope.npy"; expect_rc 3 "missing file"; expect_out "nope.npy" "missing file named"
[ "$(grep -c 'latent: error' "$WORK/out")" -eq 1 ] || fail "error printed more than once"
finish
