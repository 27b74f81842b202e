/* Benchmark of t-SNE (not a test): an IDX image set (Fashion-MNIST or MNIST)
 * reduced to a few PCA components, embedded with the module's defaults;
 * rank 0 prints "key: value" lines with the time of every phase (the fit's
 * events, slowest rank; seconds_tsne is their sum).
 *
 *   mpirun -n P bench_tsne [--input F [--labels F]] [--n N] [--pca K]
 *                          [--method fft|exact]
 *                          [--init pca|random] [--iter N] [--perplexity X]
 *                          [--nodes P] [--spacing S] [--min-nodes M] [--near R]
 *                          [--seed S]
 *                          [--out emb.npy] [--input-out x.npy] [--verbose]
 * Defaults: Fashion-MNIST's 10,000 test images (Debian dataset-fashion-mnist),
 * all rows, 20 PCA components (--pca 0: the input as it is), fft, pca init,
 * 1000 iterations. --input reads any format latent reads (bench/tsne_sklearn.py
 * hands both sides the same .npy). --out writes the embedding, --input-out
 * the t-SNE input. */
#include "bench_common.h"
#include "latent/lt_io.h"
#include "latent/lt_pca.h"
#include "latent/lt_tsne.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FM "/usr/share/datasets/fashion-mnist/"

typedef struct {
    const char *input, *labels, *out, *input_out;
    int64_t n, k;
    lt_tsne_opts t;
} args;

static lt_status parse(int argc, char **argv, args *a)
{
    a->input = FM "t10k-images-idx3-ubyte.gz", a->labels = FM "t10k-labels-idx1-ubyte.gz";
    a->k = 20;
    lt_tsne_opts_default(&a->t);
    for (int i = 1; i < argc; i++) {
        const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(k, "--verbose")) {
            a->t.verbose = 1;
            continue;
        }
        LT_CHECK(v != NULL, LT_ERR_ARG, "%s needs a value", k);
        i++;
        if (!strcmp(k, "--input")) a->input = v, a->labels = NULL;
        else if (!strcmp(k, "--labels")) a->labels = v;
        else if (!strcmp(k, "--out")) a->out = v;
        else if (!strcmp(k, "--input-out")) a->input_out = v;
        else if (!strcmp(k, "--n")) a->n = atoll(v);
        else if (!strcmp(k, "--pca")) a->k = atoll(v);
        else if (!strcmp(k, "--iter")) a->t.n_iter = atoll(v);
        else if (!strcmp(k, "--perplexity")) a->t.perplexity = atof(v);
        else if (!strcmp(k, "--spacing")) a->t.fft.spacing = atof(v);
        else if (!strcmp(k, "--min-nodes")) a->t.fft.min_nodes = atoll(v);
        else if (!strcmp(k, "--near")) a->t.fft.near_radius = atof(v);
        else if (!strcmp(k, "--nodes")) a->t.fft.nodes = atoi(v);
        else if (!strcmp(k, "--seed")) a->t.seed = (uint64_t)atoll(v);
        else if (!strcmp(k, "--method")) LT_CALL(lt_tsne_method_parse(v, &a->t.method));
        else if (!strcmp(k, "--init")) LT_CALL(lt_tsne_init_parse(v, &a->t.init));
        else LT_FAIL(LT_ERR_ARG, "unknown option %s", k);
    }
    return LT_OK;
}

/* The first n rows of A as a new dataset (n <= 0 or >= A->n: all). */
static lt_status first_rows(lt_comm *c, const lt_dataset *A, int64_t n, lt_dataset **out)
{
    if (n <= 0 || n > A->n) n = A->n;
    int64_t *dest = lt_calloc((size_t)A->nloc + 1, sizeof *dest);
    LT_CALL(lt_comm_agree(c, dest ? LT_OK : LT_ERR_MEM));
    for (int64_t i = 0; i < A->nloc; i++) dest[i] = A->row0 + i < n ? A->row0 + i : -1;
    lt_status st = lt_dataset_redistribute(c, A, dest, n, out);
    free(dest);
    return st;
}

/* Fits with a timer attached for the call: sec = the wall times of the
 * fit's phase events and their sum (seconds_tsne), slowest rank. */
static lt_status fit(lt_comm *c, const lt_tsne_opts *o, const lt_dataset *S, lt_tsne_result *r,
                     double sec[6])
{
    static const lt_event ev[5] = {LT_EV_TSNE_KNN, LT_EV_TSNE_AFFINITY, LT_EV_TSNE_INIT,
                                   LT_EV_TSNE_EXAGGERATED, LT_EV_TSNE_MAIN};
    lt_timer tm;
    lt_timer_init(&tm);
    lt_comm_set_timer(c, &tm);
    lt_status st = lt_tsne_fit(c, o, S, r);
    lt_comm_set_timer(c, NULL);
    LT_CALL(st);
    sec[5] = 0;
    for (int e = 0; e < 5; e++) sec[e] = tm.wall[ev[e]], sec[5] += sec[e];
    st = lt_comm_max_d(c, sec, 6);
    if (st != LT_OK) lt_tsne_result_free(r);
    return st;
}

static lt_status run(lt_comm *c, int argc, char **argv)
{
    args a;
    memset(&a, 0, sizeof a);
    LT_CALL(parse(argc, argv, &a));
    lt_read_opts ro;
    lt_read_opts_default(&ro);
    double t0 = lt_wtime();
    lt_dataset *img = NULL, *X = NULL, *S = NULL;
    LT_CALL(lt_read_any(c, a.input, a.labels, &ro, &img));
    LT_CALL(first_rows(c, img, a.n, &X));
    lt_dataset_destroy(&img);
    double t_read = lt_wtime() - t0;
    double t_pca = 0;
    if (a.k > 0) {
        lt_pca_opts po;
        lt_pca_opts_default(&po);
        po.n_components = a.k;
        lt_pca *pca = NULL;
        t0 = lt_wtime();
        LT_CALL(lt_pca_fit(c, &po, X, &pca));
        LT_CALL(lt_pca_transform(c, pca, X, &S));
        lt_pca_destroy(&pca);
        t_pca = lt_wtime() - t0;
        lt_dataset_destroy(&X);
    } else {
        S = X;
    }
    if (a.input_out) LT_CALL(lt_npy_write(c, a.input_out, S));
    lt_tsne_result r;
    double sec[6];
    LT_CALL(fit(c, &a.t, S, &r, sec));
    const lt_tsne_info *in = &r.info;
    if (lt_comm_rank(c) == 0) {
        printf("ranks: %d\nn: %lld\nd: %lld\nmethod: %s\ninit: %s\n", lt_comm_size(c),
               (long long)S->n, (long long)S->d, lt_tsne_method_name(a.t.method),
               lt_tsne_init_name(a.t.init));
        printf("seconds_read: %.3f\nseconds_pca: %.3f\n", t_read, t_pca);
        printf("seconds_knn: %.3f\nseconds_affinity: %.3f\nseconds_init: %.3f\n", sec[0], sec[1],
               sec[2]);
        printf("seconds_exaggeration: %.3f\nseconds_main: %.3f\nseconds_tsne: %.3f\n", sec[3],
               sec[4], sec[5]);
        printf("kl: %.6f\nkl_exaggerated: %.6f\nn_iter: %lld\ngrad_norm: %.3g\n", in->kl,
               in->kl_exaggerated, (long long)in->n_iter, in->grad_norm);
        printf("k: %lld\nnnz: %lld\nlearning_rate: %.3f\ngrid_side_max: %lld\n", (long long)in->k,
               (long long)in->nnz, in->learning_rate, (long long)in->grid_side_max);
    }
    if (a.out) {
        lt_dataset *E = NULL;
        LT_CALL(lt_tsne_embedding(c, &r, S, &E));
        LT_CALL(lt_npy_write(c, a.out, E));
        lt_dataset_destroy(&E);
    }
    lt_tsne_result_free(&r);
    lt_dataset_destroy(&S);
    return LT_OK;
}

int main(int argc, char **argv) { return lt_bench_main(argc, argv, "bench_tsne", run); }
