#!/usr/bin/env bash
# t-SNE from the command line (issue 17): `latent tsne DECK` and the [tsne]
# stage of `latent run`. With init = random or pca the embedding file is the
# same bytes on 1 and 2 ranks; metrics.json holds KL, iterations, time per phase
# and the quality figures; bad input is one clear error on every rank count,
# with no results folder left behind.
. "$(dirname "$0")/common.inc"
deck=$WORK/deck.ini
printf '[data]\nsource = blobs\nn_samples = 240\nn_features = 5\ncenters = 3\nseed = 2\n[preprocess]\ntest_fraction = 0.25\nscaler = none\n[pca]\nn_components = 3\n[autoencoder]\nenabled = false\n[kmeans]\nspaces = pca\nn_clusters = 3\n[tsne]\nperplexity = 10\nn_iter = 300\ninit = random\nmethod = exact\nseed = 5\n' >"$deck"
npy_rows() { head -c 128 "$1" | LC_ALL=C sed -n "s/.*'shape': (\([0-9]*\), \([0-9]*\)).*/\1 \2/p"; }
no_folder() { ! ls -d "$1" "$1".partial-* >/dev/null 2>&1 || fail "$2: results folder left behind"; }
one_error() { [ "$(grep -c 'latent: error' "$WORK/out")" -eq 1 ] || fail "$1: not exactly one error line"; }

# --- latent tsne: every row, bits independent of the rank count -------------
for np in 1 2; do
  run $np tsne "$deck" --output.dir="$WORK/t$np"
  expect_rc 0 "tsne np=$np"; expect_out "t-SNE of the data (240 x 5): KL" "tsne np=$np"
  expect_out "trustworthiness" "tsne np=$np"
done
[ "$(npy_rows "$WORK/t1/tsne_embedding.npy")" = "240 2" ] || fail "tsne: embedding is not 240 x 2"
cmp -s "$WORK/t1/tsne_embedding.npy" "$WORK/t2/tsne_embedding.npy" || fail "tsne: embedding differs between 1 and 2 ranks"
[ -f "$WORK/t1/figures/tsne.png" ] || fail "tsne: no figure"
for np in 1 2; do  # the PCA start is an exact-sum PCA: the same bits too
  run $np tsne "$deck" --tsne.init=pca --output.dir="$WORK/p$np"
  expect_rc 0 "tsne init=pca np=$np"
done
cmp -s "$WORK/p1/tsne_embedding.npy" "$WORK/p2/tsne_embedding.npy" || fail "tsne init=pca: embedding differs between 1 and 2 ranks"
/usr/bin/python3 - "$WORK/t1/metrics.json" "$WORK/t2/metrics.json" <<'PY' || fail "tsne: metrics.json"
import json, sys
a, b = (json.load(open(p))["tsne"] for p in sys.argv[1:])
assert a["iterations"] == 300 and a["kl"] > 0 and a["neighbors"] == 31, a
assert a["kl"] == b["kl"] and a["quality"] == b["quality"], (a, b)
q = a["quality"]
assert q["sample"] == 240 and 0.9 < q["trustworthiness_10"] <= 1 and 0 < q["knn_accuracy_10"] <= 1, q
assert all(k in a["seconds"] for k in ("neighbors", "affinities", "exaggeration", "main", "total"))
# one embedding: its seconds are the phase events' times, slowest rank
ev, sec = json.load(open(sys.argv[1]))["timings"]["events"], a["seconds"]
for k, e in (("neighbors", "tsne_knn"), ("affinities", "tsne_affinity"), ("init", "tsne_init"),
             ("exaggeration", "tsne_exaggerated"), ("main", "tsne_main"), ("quality", "tsne_quality")):
    assert sec[k] == ev[e]["wall_max"], (k, sec, ev)
PY
grep -q '"tsne_iter"' "$WORK/t1/metrics.json" || fail "tsne: no tsne_iter event in metrics.json"

# --- latent run with [tsne]: each space of [tsne] spaces on the test rows ---
run 2 run "$deck" --tsne.enabled=true --tsne.spaces=raw,pca --output.dir="$WORK/run"
expect_rc 0 "run with tsne"
for f in tsne_raw_test.npy tsne_pca_test.npy figures/tsne_raw.png figures/tsne_pca.png; do
  [ -f "$WORK/run/$f" ] || fail "run: $f missing"
done
[ "$(npy_rows "$WORK/run/tsne_pca_test.npy")" = "60 2" ] || fail "run: t-SNE of the 60 test rows"
grep -q '"trustworthiness_10"' "$WORK/run/metrics.json" || fail "run: no trustworthiness in metrics.json"

# --- more ranks than rows: a rank without rows takes part ------------------
run 4 tsne "$deck" --data.n_samples=3 --tsne.perplexity=1 --output.dir="$WORK/tiny"
expect_rc 0 "3 rows on 4 ranks"
[ "$(npy_rows "$WORK/tiny/tsne_embedding.npy")" = "3 2" ] || fail "3 rows on 4 ranks: embedding shape"

# --- bad input: one error, no folder, on 1 and 2 ranks ---------------------
printf 'a,b\n1,2\n3,nan\n5,6\n7,8\n9,1\n' >"$WORK/nan.csv"
for np in 1 2; do
  run $np tsne "$deck" --data.n_samples=20 --tsne.perplexity=30 --output.dir="$WORK/bad"
  [ $rc -ne 0 ] || fail "perplexity too large np=$np: accepted"
  expect_out "perplexity = 30 must be positive and below n - 1 = 19" "perplexity too large"
  one_error "perplexity too large"; no_folder "$WORK/bad" "perplexity too large"
  run $np tsne "$deck" --data.n_samples=1 --data.centers=1 --output.dir="$WORK/bad"
  [ $rc -ne 0 ] || fail "one row np=$np: accepted"
  expect_out "t-SNE needs at least 2 rows (got 1)" "one row"; one_error "one row"; no_folder "$WORK/bad" "one row"
  run $np tsne "$deck" --data.source=csv --data.path="$WORK/nan.csv" --data.allow_nonfinite=true \
    --tsne.perplexity=1 --output.dir="$WORK/bad"
  [ $rc -ne 0 ] || fail "NaN np=$np: accepted"
  expect_out "t-SNE input" "NaN"; expect_out "row 1" "NaN"; one_error "NaN"; no_folder "$WORK/bad" "NaN"
  run $np tsne "$deck" --tsne.perplexityy=3 --output.dir="$WORK/bad"
  [ $rc -ne 0 ] || fail "unknown key np=$np: accepted"
  expect_out "unknown key 'perplexityy' in section \[tsne\]" "unknown key"; no_folder "$WORK/bad" "unknown key"
  run $np tsne "$deck" --tsne.method=barnes_hut --output.dir="$WORK/bad"
  [ $rc -ne 0 ] || fail "unknown method np=$np: accepted"
  expect_out "must be one of fft|exact" "unknown method"; no_folder "$WORK/bad" "unknown method"
  run $np tsne "$deck" --perplexity=3 --output.dir="$WORK/bad"
  [ $rc -ne 0 ] || fail "unknown option np=$np: accepted"
  expect_out "unknown option '--perplexity=3'" "unknown option"; no_folder "$WORK/bad" "unknown option"
  run $np run "$deck" --tsne.enabled=true --tsne.spaces=autoencoder --output.dir="$WORK/bad"
  [ $rc -ne 0 ] || fail "missing space np=$np: accepted"
  expect_out "\[tsne\] spaces lists 'autoencoder' but \[autoencoder\] enabled = false" "missing space"
  no_folder "$WORK/bad" "missing space"
  run $np run "$deck" --tsne.enabled=true --tsne.spaces=codes --output.dir="$WORK/bad"
  [ $rc -ne 0 ] || fail "unknown space np=$np: accepted"
  expect_out "\[tsne\] spaces: unknown space 'codes'" "unknown space"; no_folder "$WORK/bad" "unknown space"
done
finish
