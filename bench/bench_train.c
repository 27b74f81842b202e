/* Training throughput of the autoencoder (not a test).
 *
 *   mpirun -n 2 bench_train [--epochs-scale F] [--only 000|002|003|conv|conv 1|conv 2]
 *
 * Measures, in one run: this machine's SGEMM rate for one process alone and
 * for all ranks at once (the machine ceiling for P ranks), then for each
 * network samples/s and time per epoch on 1 rank (rank 0 alone, the others
 * sleeping) and on all ranks, the share of time in the gradient allreduce,
 * and for the MNIST network GFLOP/s (6 flops per weight per sample), for the
 * two convolutional autoencoders of seed notebook 003 GFLOP/s from their
 * convolutions (flops_per_sample). Each
 * figure is the best of ROUNDS alternating measurements (the VM's speed
 * drifts with its neighbours' load). Data is generated in memory. Rank 0
 * prints. */
#include "bench_common.h"
#include "latent/lt_comm_mpi.h"
#include "latent/lt_nn.h"
#include "latent/lt_rng.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A barrier that sleeps instead of spinning, so an idle rank leaves its core
 * to the measured one (Open MPI's blocking calls poll). */
static void idle_barrier(MPI_Comm comm)
{
    MPI_Request r;
    int done = 0;
    MPI_Ibarrier(comm, &r);
    struct timespec ts = {0, 1000000};
    while (!done) {
        MPI_Test(&r, &done, MPI_STATUS_IGNORE);
        if (!done) nanosleep(&ts, NULL);
    }
}

static double sgemm_gflops(void)
{
    const int n = 1024, reps = 6;
    float *a = malloc(sizeof(float) * n * n), *b = malloc(sizeof(float) * n * n),
          *c = malloc(sizeof(float) * n * n);
    for (int i = 0; i < n * n; i++) a[i] = b[i] = (float)(i % 7) * 0.1f;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1, a, n, b, n, 0, c, n);
    double t0 = lt_wtime();
    for (int r = 0; r < reps; r++)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1, a, n, b, n, 0, c, n);
    double t = lt_wtime() - t0;
    free(a);
    free(b);
    free(c);
    return 2.0 * n * n * (double)n * reps / t / 1e9;
}

typedef struct {
    const char *name;
    int widths[8], nl;
    lt_activation act[7];
    lt_loss loss;
    lt_optimizer opt;
    int64_t n, batch;
    int epochs;
    const char *stack; /* a layer stack on 28 x 28 x 1 instead of the widths */
} net;

/* The two convolutional autoencoders of seed notebook 003. */
#define CONV1                                                                                    \
    "conv 8 3 same relu, pool 2 same, conv 4 3 same relu, pool 2 same, conv 4 3 same relu, "     \
    "pool 2 same, conv 4 3 same relu, up 2, conv 4 3 same relu, up 2, conv 8 3 valid relu, "     \
    "up 2, conv 1 3 same relu"
#define CONV2                                                                                    \
    "conv 32 3 same relu, pool 2 same, conv 32 3 same relu, pool 2 same, conv 32 3 same relu, "  \
    "up 2, conv 32 3 same relu, up 2, conv 1 3 same relu"

/* Inputs in [0, 1]: noisy cluster centres, a function of the global row. */
static lt_dataset *make_data(lt_comm *c, int64_t n, int64_t d)
{
    lt_dataset *ds = NULL;
    if (lt_dataset_create(c, n, d, 0, &ds) != LT_OK) return NULL;
    float *centers = malloc(sizeof(float) * 4 * (size_t)d);
    lt_rng r;
    lt_rng_init(&r, 1, LT_STREAM_CENTERS, 0);
    for (int64_t i = 0; i < 4 * d; i++) centers[i] = (float)(0.2 + 0.6 * lt_rng_uniform(&r));
    for (int64_t i = 0; i < ds->nloc; i++) {
        int64_t g = ds->row0 + i;
        lt_rng_init(&r, 1, LT_STREAM_DATA, (uint64_t)g);
        for (int64_t j = 0; j < d; j++) {
            float v = centers[(g % 4) * d + j] + 0.1f * (float)(lt_rng_uniform(&r) - 0.5);
            ds->x[i * d + j] = v < 0 ? 0 : v > 1 ? 1 : v;
        }
    }
    free(centers);
    return ds;
}

typedef struct {
    double sps, secs, comm, loss, flops;
    double cpu_sps; /* samples per second of this process' CPU time, every epoch */
} result;

/* CPU seconds of this process (all threads). On a machine shared with other
 * jobs, samples per CPU-second is the figure that stays comparable between
 * runs (and with torch_conv.py's, measured the same way); wall-clock
 * samples/s is the one that counts on a quiet machine. */
static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Flops of one training sample: forward 2 k k cin cout per output pixel of
 * a convolution (2 in out for a dense layer), the kernel gradient as much,
 * the input gradient as much except for the first layer (not computed).
 * Pooling, upsampling and element-wise work are not counted. */
static double flops_per_sample(const lt_ae *ae)
{
    double f = 0, first = -1;
    for (int l = 0; l < ae->nw; l++) {
        const lt_layer *L = &ae->layers[l];
        double fl = 0;
        if (L->spec.kind == LT_LAYER_DENSE) fl = 2.0 * L->in.c * L->out.c;
        if (L->spec.kind == LT_LAYER_CONV2D)
            fl = 2.0 * L->spec.size * L->spec.size * L->in.c * L->out.c * L->out.h * L->out.w;
        if (first < 0 && fl > 0) first = fl;
        f += fl;
    }
    return 3 * f - (first > 0 ? first : 0);
}

enum { ROUNDS = 3 };

static int train(lt_comm *c, const net *nt, result *res)
{
    lt_ae_opts ao;
    lt_ae_opts_default(&ao);
    if (nt->stack) {
        lt_stack_parse(nt->stack, ao.stack, LT_AE_MAX_LAYERS - 1, &ao.nstack);
        ao.input_shape[0] = ao.input_shape[1] = 28, ao.input_shape[2] = 1;
    } else {
        lt_ae_opts_set_widths(&ao, nt->widths, nt->nl);
        for (int l = 0; l < nt->nl - 1; l++) ao.act[l] = nt->act[l];
    }
    ao.loss = nt->loss;
    lt_train_opts to;
    lt_train_opts_default(&to);
    to.optimizer = nt->opt;
    to.batch_size = nt->batch;
    to.epochs = nt->epochs;
    to.seed = 1;
    lt_dataset *x = make_data(c, nt->n, nt->stack ? 784 : nt->widths[0]);
    lt_ae *ae = NULL;
    double cpu0 = cpu_seconds();
    if (!x || lt_ae_create(c, &ao, &ae) != LT_OK || lt_ae_fit(c, ae, &to, x, NULL, NULL, NULL) != LT_OK) {
        fprintf(stderr, "rank %d: %s\n", lt_comm_rank(c), lt_error_message());
        return 1;
    }
    /* Mean over epochs after the first (warm-up), or the only epoch. */
    int e0 = ae->hist.n > 1 ? 1 : 0, k = ae->hist.n - e0;
    double secs = 0, comm = 0;
    for (int e = e0; e < ae->hist.n; e++) {
        secs += ae->hist.seconds[e];
        comm += ae->hist.comm_seconds[e];
    }
    res->secs = secs / k;
    res->comm = comm / secs;
    res->sps = (double)nt->n / res->secs;
    res->loss = ae->hist.train_loss[ae->hist.n - 1];
    res->flops = flops_per_sample(ae);
    res->cpu_sps = (double)nt->n * ae->hist.n / (cpu_seconds() - cpu0);
    lt_ae_destroy(&ae);
    lt_dataset_destroy(&x);
    return 0;
}

static double weights(const net *nt)
{
    double w = 0;
    for (int l = 0; l + 1 < nt->nl; l++) w += (double)nt->widths[l] * nt->widths[l + 1];
    return w;
}

/* SGEMM: one process alone (*g1), then all ranks together; the best of
 * ROUNDS alternations of each, so that a burst of load from other VMs
 * during one measurement does not move the ceiling (all ranks / alone). */
static double machine_ceiling(lt_comm *world, double *g1)
{
    double gall = 0;
    *g1 = 0;
    for (int r = 0; r < ROUNDS; r++) {
        if (lt_comm_rank(world) == 0) *g1 = fmax(*g1, sgemm_gflops());
        idle_barrier(lt_comm_handle(world));
        double g = sgemm_gflops();
        lt_comm_sum_d(world, &g, 1);
        gall = fmax(gall, g);
    }
    double ceiling = gall / *g1;
    lt_comm_bcast(world, &ceiling, sizeof ceiling, 0);
    if (lt_comm_rank(world) == 0)
        printf("sgemm 1024: %.1f GFLOP/s alone, %.1f GFLOP/s on %d ranks together (ceiling %.2fx)\n",
               *g1, gall, lt_comm_size(world), ceiling);
    return ceiling;
}

/* One network on rank 0 alone (self) and on all ranks, best of ROUNDS each
 * (as for the ceiling); rank 0 prints. A failure on rank 0 alone is agreed. */
static lt_status bench_net(lt_comm *world, lt_comm *self, const net *nt, int mnist, double g1,
                           double ceiling)
{
    int P = lt_comm_size(world), rank = lt_comm_rank(world);
    result r1 = {0}, rp = {0};
    double cpu1 = 0;
    int bad = 0;
    for (int r = 0; r < ROUNDS; r++) {
        result a = {0}, b = {0};
        if (rank == 0) bad |= train(self, nt, &a);
        idle_barrier(lt_comm_handle(world));
        if (P > 1) bad |= train(world, nt, &b);
        if (a.sps > r1.sps) r1 = a;
        cpu1 = fmax(cpu1, a.cpu_sps);
        if (b.sps > rp.sps) rp = b;
    }
    LT_CALL(lt_comm_agree(world, bad ? lt_error_raise(LT_ERR_INTERNAL, __FILE__, __LINE__,
                                                      "training %s failed", nt->name)
                                     : LT_OK));
    if (rank != 0) return LT_OK;
    printf("%s, %lld rows, %d epochs\n", nt->name, (long long)nt->n, nt->epochs);
    printf("  1 rank : %9.0f samples/s  %.3f s/epoch  loss %.5f", r1.sps, r1.secs, r1.loss);
    if (mnist)
        printf("  %.1f GFLOP/s (%.0f%% of sgemm)", r1.sps * 6 * weights(nt) / 1e9,
               100 * r1.sps * 6 * weights(nt) / 1e9 / g1);
    if (nt->stack)
        printf("  %.2f MFLOP/sample, %.1f GFLOP/s (%.0f%% of sgemm)", r1.flops / 1e6,
               r1.sps * r1.flops / 1e9, 100 * r1.sps * r1.flops / 1e9 / g1);
    printf("\n  1 rank : %9.0f samples per CPU-second (all epochs)\n", cpu1);
    if (P > 1)
        printf("  %d ranks: %9.0f samples/s  %.3f s/epoch  loss %.5f  allreduce %.1f%%  "
               "speedup %.2fx = %.0f%% of the machine ceiling\n",
               P, rp.sps, rp.secs, rp.loss, 100 * rp.comm, rp.sps / r1.sps,
               100 * rp.sps / r1.sps / ceiling);
    fflush(stdout);
    return LT_OK;
}

static lt_status run(lt_comm *world, int argc, char **argv)
{
    double scale = 1.0;
    const char *only = NULL;
    for (int i = 1; i + 1 < argc; i++) {
        if (!strcmp(argv[i], "--epochs-scale")) scale = atof(argv[++i]);
        else if (!strcmp(argv[i], "--only")) only = argv[++i];
    }
    const lt_activation R = LT_ACT_RELU, L = LT_ACT_LINEAR, S = LT_ACT_SIGMOID;
    net nets[5] = {
        {"seed-000 10-8-6-2-6-8-10 sgd b64", {10, 8, 6, 2, 6, 8, 10}, 7, {R, R, L, R, R, S},
         LT_LOSS_MSE, LT_OPT_SGD, 30000, 64, 10, NULL},
        {"seed-002 32-2-32 bce adam b100", {32, 2, 32}, 3, {R, S}, LT_LOSS_BCE, LT_OPT_ADAM, 900000,
         100, 3, NULL},
        {"seed-003 784-100-20-100-784 rmsprop b128", {784, 100, 20, 100, 784}, 5, {R, R, R, S},
         LT_LOSS_BCE, LT_OPT_RMSPROP, 60000, 128, 3, NULL},
        {"seed-003 conv 1 (1,185 params) mse rmsprop b128", {0}, 0, {0}, LT_LOSS_MSE,
         LT_OPT_RMSPROP, 25600, 128, 3, CONV1},
        {"seed-003 conv 2 (28,353 params) mse rmsprop b128", {0}, 0, {0}, LT_LOSS_MSE,
         LT_OPT_RMSPROP, 6400, 128, 3, CONV2},
    };
    lt_comm *self = NULL;
    LT_CALL(lt_comm_create(MPI_COMM_SELF, &self));
    double g1, ceiling = machine_ceiling(world, &g1);
    lt_status st = LT_OK;
    for (int k = 0; st == LT_OK && k < 5; k++) {
        net nt = nets[k];
        if (only && !strstr(nt.name, only)) continue;
        nt.epochs = (int)ceil(nt.epochs * scale);
        if (nt.epochs < 1) nt.epochs = 1;
        st = bench_net(world, self, &nt, k == 2, g1, ceiling);
    }
    lt_comm_destroy(&self);
    return st;
}

int main(int argc, char **argv) { return lt_bench_main(argc, argv, "bench_train", run); }
