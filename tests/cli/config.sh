#!/usr/bin/env bash
# Deck parsing, overrides and usage errors: clear messages with file:line, key
# and value; the same non-zero exit on every rank, no hang.
. "$(dirname "$0")/common.inc"
deck=$WORK/deck.ini
printf '[data]\nsource = blobs\nn_samples = 100\n\n[train]\nbatch_size = abc\n' >"$deck"
for np in 1 2; do
  run $np generate "$deck"
  expect_rc 2 "non-numeric value np=$np"
  expect_out "deck.ini:6: \[train\] batch_size = 'abc': not an integer" "non-numeric value np=$np"
done
printf '[data]\nn_samples = 0\n' >"$deck"
run 2 generate "$deck"; expect_rc 2 "out of range"; expect_out "deck.ini:2: \[data\] n_samples = '0': out of range" "out of range"
printf '[data]\nsourcee = blobs\n' >"$deck"
run 2 generate "$deck"; expect_rc 2 "unknown key"; expect_out "deck.ini:2: unknown key 'sourcee' in section \[data\]" "unknown key"
printf '[dta]\nsource = blobs\n' >"$deck"
run 1 generate "$deck"; expect_rc 2 "unknown section"; expect_out "unknown section \[dta\]" "unknown section"
printf '[data]\nsource = parquet\n' >"$deck"
run 1 generate "$deck"; expect_rc 2 "bad choice"; expect_out "must be one of blobs|uniform|npy|csv|idx|hdf5" "bad choice"
printf 'this is not ini\n' >"$deck"
run 1 generate "$deck"; expect_rc 2 "syntax"; expect_out "deck.ini:1: syntax error" "syntax"
run 2 generate "$WORK/missing.ini"; expect_rc 2 "missing deck"; expect_out "cannot open input deck" "missing deck"
printf '[data]\nsource = blobs\nn_samples = 50\nn_features = 3\n[preprocess]\ntest_fraction = 0.2\n[output]\ndir = %s/o1\n' "$WORK" >"$deck"
run 2 generate "$deck" --data.n_samples=abc
expect_rc 2 "override"; expect_out "command line '--data.n_samples=abc': \[data\] n_samples = 'abc': not an integer" "override"
run 2 generate "$deck" --data.n_samples=77
expect_rc 0 "override ok"; expect_out "n_samples = 77" "effective configuration shows the override"
expect_out "train: 61 rows\|train (scaled): 61 rows" "ceil split of 77 rows"
run 1 generate "$deck" --bogus; expect_rc 2 "unknown flag"; expect_out "unknown option '--bogus'" "unknown flag"
run 1 frobnicate; expect_rc 2 "unknown command"; expect_out "unknown command 'frobnicate'" "unknown command"
run 1 --help; expect_rc 0 "help"; expect_out "latent run DECK.ini" "help"
run 1 generate --help; expect_rc 0 "command help"; expect_out "usage: latent generate" "command help"
run 2 --version; expect_rc 0 "version"; expect_out "ScaLAPACK" "version"; expect_out "HDF5: 1.10" "version"
run 1 help-deck; expect_rc 0 "help-deck"; expect_out "| \`batch_size\` | integer | \`64\`" "help-deck"
# docs/deck-reference.md is generated from the key table: it must be current.
run 1 help-deck
tail -n +4 "$LT_SOURCE_DIR/docs/deck-reference.md" | diff -q - "$WORK/out" >/dev/null ||
  fail "docs/deck-reference.md is stale: regenerate it from 'latent help-deck' (see its header)"
# A name no key's choices cover (a list) is checked by the library (bad
# argument) and reported as a deck error naming the key.
printf '[data]\nsource = blobs\nn_samples = 50\nn_features = 3\n[autoencoder]\nlayers = 3, 2, 3\nactivations = relu, softmax\n[output]\ndir = %s/o2\n' "$WORK" >"$deck"
run 2 train "$deck"; expect_rc 2 "unknown activation"
expect_out "\[autoencoder\] activations: unknown activation 'softmax' (expected linear, sigmoid, relu or tanh)" "unknown activation message"
# Text values a deck cannot hold are refused (the effective configuration is
# written as a deck and a checkpoint resumes from it; tests/fuzz/fuzz_deck.c
# found values that changed on the way back).
printf '[data]\nsource = blobs\nn_samples = 100\n' >"$deck"
run 1 info "$deck" "--data.path=a ;b"; expect_rc 2 "value with ' ;'"
expect_out "a deck cannot hold it" "value with ' ;' message"
run 1 info "$deck" "--data.labels_path=;x"; expect_rc 2 "value starting with ';'"
printf '[data]\nsource = blobs\nn_samples = 100\ncenters =;3\n' >"$WORK/semi.ini"
run 1 info "$WORK/semi.ini"; expect_rc 2 "deck value starting with ';'"

# LATENT_ISA (include/latent/lt_cpu.h): a level is shown and honoured, a
# name that is not a level is a configuration error on every command.
printf '[data]\nsource = blobs\nn_samples = 100\n' >"$deck"
LATENT_ISA=generic run 2 --version; expect_rc 0 "LATENT_ISA=generic"
expect_out "kernels: generic (CPU offers" "LATENT_ISA=generic shown"
LATENT_ISA=sse4 run 2 info "$deck"; expect_rc 2 "LATENT_ISA=sse4"
expect_out "LATENT_ISA: unknown CPU level 'sse4' (expected generic, avx2, avx512 or amx)" "LATENT_ISA=sse4 message"
finish
