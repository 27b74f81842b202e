/* latent: PCA versus autoencoders on row-sharded data, with MPI.
 * main reads as: init, parse the command, run it, agree on the outcome,
 * report, finalize. It is the only place that exits. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "latent/lt_blas.h"
#include "latent/lt_comm_mpi.h"
#include "latent/lt_cpu.h"
#include "latent/lt_log.h"
#include "latent/lt_petsc.h"
#include "latent/lt_report.h"

static const lt_command commands[] = {
    {"run", lt_cmd_run, "latent run DECK.ini [--section.key=value ...] [--force] | latent run --resume RESULTS_DIR",
     "Run the whole pipeline of the deck: data, preprocessing, PCA, autoencoder,\n"
     "k-means, scores and report, into [output] dir.\n"
     "SIGTERM or SIGUSR1 during training writes a checkpoint to <dir>.checkpoint and\n"
     "exits with status 5; `latent run --resume <dir>` continues from it (bit-identical\n"
     "on the same rank count). [train] checkpoint_every = N also checkpoints every N epochs."},
    {"generate", lt_cmd_generate, "latent generate DECK.ini [--section.key=value ...] [--force]",
     "Make (or read) the deck's dataset, scale and split it, and write the train and\n"
     "test sets into [output] dir in [output] format, with a summary."},
    {"pca", lt_cmd_pca, "latent pca DECK.ini [--model FILE] [--force]",
     "Fit PCA on the deck's training rows (or apply the saved model FILE), write scores,\n"
     "model and reconstruction errors into [output] dir."},
    {"train", lt_cmd_train, "latent train DECK.ini [--force]",
     "Train the deck's autoencoder and save the model, loss history and codes into [output] dir."},
    {"encode", lt_cmd_encode, "latent encode DECK.ini --model FILE [--force]",
     "Write the bottleneck codes of the deck's data under the saved autoencoder FILE (.npy)."},
    {"decode", lt_cmd_decode, "latent decode DECK.ini --model FILE [--force]",
     "Reconstruct the deck's data (codes as input: [data] path of width = bottleneck) with FILE."},
    {"kmeans", lt_cmd_kmeans, "latent kmeans DECK.ini [--force]",
     "k-means on the deck's data ([data] source may be any file, e.g. codes or scores)."},
    {"score", lt_cmd_score, "latent score DECK.ini --labels FILE.npy [--force]",
     "Cluster scores (silhouette, Davies-Bouldin, Calinski-Harabasz; ARI/NMI vs true labels)\n"
     "of the deck's data under the labels in FILE.npy."},
    {"compare", lt_cmd_compare, "latent compare DIR_A DIR_B [DIR ...] [OUT.png|.svg|.pdf]",
     "One figure of the first evaluation images reconstructed by the autoencoders of\n"
     "two to four `latent run` results folders (e.g. a dense and a convolutional deck;\n"
     "a denoiser's noisy input too), each image captioned with its MSE, and a table\n"
     "of the runs' reconstruction errors. Default figure: reconstructions_compare.png."},
    {"tsne", lt_cmd_tsne, "latent tsne DECK.ini [--section.key=value ...] [--force]",
     "t-SNE of every row of the deck's data in file order ([tsne] keys, scikit-learn 1.2's\n"
     "meaning and defaults): tsne_embedding.npy, figures/tsne, metrics.json (KL, time per\n"
     "phase, trustworthiness on [tsne] quality_sample rows). The same bits on any rank\n"
     "count with [tsne] init = random. [preprocess] scaler applies: set none for codes."},
    {"info", lt_cmd_info, "latent info FILE [--data.labels_path=FILE] [--data.dataset=NAME]",
     "Print shape, dtype, per-column min/max/mean/std and label counts of a data file\n"
     "(.npy, .csv/.tsv, .h5, IDX), computed in parallel."},
};
#define NCOMMANDS (int)(sizeof commands / sizeof commands[0])

static void usage(FILE *f)
{
    fprintf(f, "latent %s: PCA versus autoencoders on row-sharded data, with MPI\n\n"
               "usage: mpirun -np N latent COMMAND [ARGS]   (or: srun latent ...)\n\ncommands:\n",
            LATENT_VERSION);
    for (int i = 0; i < NCOMMANDS; i++) fprintf(f, "  %s\n", commands[i].usage);
    fprintf(f, "  latent help-deck          print every deck key (Markdown)\n"
               "  latent --version          print versions of latent and its libraries\n\n"
               "Any deck key can be overridden as --section.key=value. Every command takes\n"
               "--log-view: print the event table (count, time, MPI time, bytes, GFLOP/s per\n"
               "stage and kernel event) at the end, as PETSc's -log_view. `latent COMMAND --help`\n"
               "describes a command. Documentation: docs/user-guide.md.\n");
}

static int has_flag(int argc, char **argv, const char *flag)
{
    for (int i = 2; i < argc; i++)
        if (!strcmp(argv[i], flag)) return 1;
    return 0;
}

static void parse_common(lt_cli *cli)
{
    for (int i = 2; i < cli->argc; i++) {
        const char *a = cli->argv[i];
        if (!strcmp(a, "--model") && i + 1 < cli->argc) cli->model = cli->argv[++i];
        else if (!strncmp(a, "--model=", 8)) cli->model = a + 8;
        else if (!strcmp(a, "--labels") && i + 1 < cli->argc) cli->labels = cli->argv[++i];
        else if (!strncmp(a, "--labels=", 9)) cli->labels = a + 9;
        else if (!strcmp(a, "--force")) cli->force = 1;
        else if (!strcmp(a, "--resume")) cli->resume = 1;
        else if (!strcmp(a, "--log-view")) cli->log_view = 1;
        else if (a[0] != '-' && !cli->deck) cli->deck = a;
    }
}

/* Unknown flags are usage errors; --section.key=value is checked by the deck. */
static lt_status check_flags(const lt_cli *cli)
{
    for (int i = 2; i < cli->argc; i++) {
        const char *a = cli->argv[i];
        if (a[0] != '-') continue;
        if (!strcmp(a, "--model") || !strcmp(a, "--labels")) { i++; continue; }
        if (!strcmp(a, "--force") || !strcmp(a, "--resume") || !strcmp(a, "--log-view") || !strncmp(a, "--model=", 8) ||
            !strncmp(a, "--labels=", 9))
            continue;
        LT_CHECK(!strncmp(a, "--", 2) && strchr(a, '.') && strchr(a, '='), LT_ERR_ARG,
                 "unknown option '%s' (see `latent %s --help`)", a, cli->argv[1]);
    }
    return LT_OK;
}

/* The program's one global (the error record of core/error.c is the library's):
 * a signal handler can touch nothing else. */
static volatile sig_atomic_t stop_requested;
static void on_stop_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

/* SIGTERM and SIGUSR1 (SLURM's --signal before the time limit) ask training
 * to checkpoint and stop at the next step; the ranks agree on it collectively. */
static void install_signal_handlers(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    /* A file-size limit (ulimit -f, a quota) then fails the write with EFBIG,
       which the writers report and agree on, instead of killing one rank. */
    signal(SIGXFSZ, SIG_IGN);
}

static int finish(lt_cli *cli, lt_status st)
{
    st = lt_comm_agree(cli->comm, st);
    if (st != LT_OK && lt_comm_rank(cli->comm) == 0) {
        fprintf(stderr, "latent: error: %s\n", lt_error_message());
        if (getenv("LATENT_TRACE")) fprintf(stderr, "%s", lt_error_traceback());
    }
    lt_petsc_finalize(); /* before the communicator it runs on goes */
    lt_comm_destroy(&cli->comm);
    lt_mpi_finalize();
    return lt_status_exit_code(st);
}

/* --log-view: the event table after the command, as PETSc's -log_view. */
static lt_status print_log_view(lt_cli *cli)
{
    lt_timing_summary ts;
    LT_CALL(lt_timing_reduce(cli->comm, &cli->timer, &ts));
    lt_status st = lt_comm_rank(cli->comm) == 0 ? lt_timing_print(&ts, stdout) : LT_OK;
    fflush(stdout);
    return lt_comm_agree(cli->comm, st);
}

int main(int argc, char **argv)
{
    lt_blas_select_kernels(argv);
    MPI_Init(&argc, &argv);
    lt_cli cli = {.argc = argc, .argv = argv, .stop = &stop_requested};
    install_signal_handlers();
    lt_timer_init(&cli.timer);
    lt_status st0 = lt_comm_create(MPI_COMM_WORLD, &cli.comm);
    if (st0 == LT_ERR_MPI) {
        fprintf(stderr, "latent: cannot set up MPI: %s\n", lt_error_message());
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    if (st0 != LT_OK) { /* agreed by lt_comm_create: every rank stops here */
        int rank = 0;
        MPI_Comm_rank(MPI_COMM_WORLD, &rank);
        if (rank == 0) fprintf(stderr, "latent: error: cannot set up MPI: %s\n", lt_error_message());
        lt_mpi_finalize();
        return lt_status_exit_code(st0);
    }
    lt_comm_set_timer(cli.comm, &cli.timer);
    const char *cmd = argc > 1 ? argv[1] : "--help";
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        if (lt_comm_rank(cli.comm) == 0) usage(stdout);
        return finish(&cli, LT_OK);
    }
    if (!strcmp(cmd, "--version")) {
        lt_cli_print_versions(cli.comm, stdout);
        return finish(&cli, LT_OK);
    }
    if (!strcmp(cmd, "help-deck")) {
        if (lt_comm_rank(cli.comm) == 0) lt_config_print_reference(stdout);
        return finish(&cli, LT_OK);
    }
    for (int i = 0; i < NCOMMANDS; i++) {
        if (strcmp(cmd, commands[i].name)) continue;
        if (has_flag(argc, argv, "--help") || has_flag(argc, argv, "-h")) {
            lt_log(cli.comm, "usage: %s\n\n%s\n", commands[i].usage, commands[i].help);
            return finish(&cli, LT_OK);
        }
        parse_common(&cli);
        lt_status st = check_flags(&cli);
        if (st == LT_OK) st = lt_cpu_check_env();
        if (st == LT_OK) st = lt_petsc_init(cli.comm); /* no-op without PETSc */
        if (st == LT_OK) st = commands[i].run(&cli);
        if (st == LT_OK && cli.log_view) st = print_log_view(&cli);
        return finish(&cli, st);
    }
    if (lt_comm_rank(cli.comm) == 0) {
        usage(stderr);
        fputc('\n', stderr);
    }
    return finish(&cli, lt_error_raise(LT_ERR_ARG, __FILE__, __LINE__, "unknown command '%s'", cmd));
}
