/* `latent run`: the pipeline of a deck, as a list of stages.
 * data -> preprocess -> PCA -> autoencoder -> k-means and scores per space ->
 * report (files, figures, metrics.json, table) -> the results folder is
 * renamed into place only if everything succeeded. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "run.h"

static lt_status stage_data(lt_run *r)
{
    lt_dataset *all = NULL;
    lt_timer *t = &r->cli->timer;
    lt_timer_start(t, LT_STAGE_DATA);
    if (lt_source_is_sc(r->cfg.data.source)) LT_CALL(lt_stage_load_sc(r->c, &r->cfg, &all, &r->sc));
    else LT_CALL(lt_stage_load(r->c, &r->cfg, &all));
    lt_timer_stop(t, LT_STAGE_DATA);
    lt_status st = lt_print_summary(r->c, "dataset", all, 12);
    if (st != LT_OK) {
        lt_dataset_destroy(&all);
        return st;
    }
    lt_timer_start(t, LT_STAGE_PREPROCESS);
    st = lt_stage_preprocess(r->c, &r->cfg, &all, &r->train, &r->test);
    lt_timer_stop(t, LT_STAGE_PREPROCESS);
    lt_dataset_destroy(&all);
    r->eval_is_test = !strcmp(r->cfg.metrics.rows, "test") && r->test && r->test->n > 0;
    return st;
}

static lt_status stage_models(lt_run *r)
{
    lt_timer *t = &r->cli->timer;
    if (r->cfg.pca.enabled) {
        lt_timer_start(t, LT_STAGE_PCA);
        lt_status st = lt_stage_pca(r);
        lt_timer_stop(t, LT_STAGE_PCA);
        LT_CALL(st);
    }
    if (r->cfg.autoencoder.enabled) LT_CALL(lt_stage_autoencoder(r));
    return LT_OK;
}

static lt_status stage_clusters(lt_run *r)
{
    lt_status st = LT_OK;
    for (int s = 0; s < LT_NSPACES && st == LT_OK; s++) {
        st = lt_stage_check_stop(r);
        if (st == LT_OK && lt_run_wants_space(r, s)) st = lt_stage_cluster(r, s);
    }
    if (st == LT_OK) st = lt_stage_check_stop(r);
    return st;
}

static lt_status stage_report(lt_run *r)
{
    lt_timer *t = &r->cli->timer;
    lt_timer_start(t, LT_STAGE_REPORT);
    LT_CALL(lt_stage_outputs(r));
    LT_CALL(lt_stage_figures(r));
    lt_timer_stop(t, LT_STAGE_REPORT);
    LT_CALL(lt_stage_table(r));
    LT_CALL(lt_stage_label_table(r));
    return lt_stage_metrics(r);
}

static void run_destroy(lt_run *r)
{
    lt_dataset *ds[] = {r->train, r->test, r->pca_train, r->pca_test, r->ae_train, r->ae_test};
    for (size_t i = 0; i < sizeof ds / sizeof ds[0]; i++) lt_dataset_destroy(&ds[i]);
    for (int s = 0; s < LT_NSPACES; s++) lt_kmeans_destroy(&r->space[s].km);
    for (int s = 0; s < LT_NSPACES; s++) lt_dataset_destroy(&r->tsne[s]);
    lt_pca_destroy(&r->pca);
    lt_ae_destroy(&r->ae);
    free(r->pca_rowerr);
    free(r->ae_rowerr);
    lt_metrics_destroy(&r->m);
    lt_sc_state_destroy(&r->sc);
}

/* `latent run --resume RESULTS_DIR`: the deck is RESULTS_DIR.checkpoint/config.ini.
 * (`latent run DECK.ini --resume` resumes from the deck's own output dir.) */
static void resume_deck(lt_cli *cli, char *buf, size_t cap)
{
    struct stat sb;
    if (!cli->resume || !cli->deck) return;
    size_t n = strlen(cli->deck);
    while (n > 1 && cli->deck[n - 1] == '/') n--;
    snprintf(buf, cap, "%.*s.checkpoint", (int)n, cli->deck);
    if (stat(buf, &sb) != 0 || !S_ISDIR(sb.st_mode)) return;
    snprintf(buf, cap, "%.*s.checkpoint/config.ini", (int)n, cli->deck);
    cli->deck = buf;
}

lt_status lt_cmd_run(lt_cli *cli)
{
    lt_run r = {.cli = cli, .c = cli->comm};
    char deck[LT_PATH_MAX + 64];
    resume_deck(cli, deck, sizeof deck);
    LT_CALL(lt_cli_setup(cli, &r.cfg));
    /* A resumed run is named after its results folder, not after "config.ini". */
    if (cli->deck == deck) {
        const char *slash = strrchr(r.cfg.output.dir, '/');
        snprintf(r.cfg.deck_name, sizeof r.cfg.deck_name, "%.127s", slash && slash[1] ? slash + 1 : r.cfg.output.dir);
    }
    /* A resumed run was interrupted; if it was killed outright (a rank lost
     * to SIGKILL), its unfinished results folder is still there. */
    if (cli->resume) {
        int n = 0;
        LT_CALL(lt_results_remove_leftovers(r.c, r.cfg.output.dir, &n));
        if (n > 0 && lt_comm_rank(r.c) == 0)
            printf("resume: removed %d unfinished results folder%s %s.partial-* of the interrupted run\n",
                   n, n > 1 ? "s" : "", r.cfg.output.dir);
    }
    /* The results folder first: an existing one without --force fails before any work. */
    LT_CALL(lt_results_begin(r.c, r.cfg.output.dir, r.cfg.output.force, &r.res));
    lt_status st = lt_metrics_create(&r.m);
    st = lt_comm_agree(r.c, st);
    if (st == LT_OK) st = stage_data(&r);
    if (st == LT_OK) st = stage_models(&r);
    if (st == LT_OK) st = stage_clusters(&r);
    if (st == LT_OK && r.cfg.tsne.enabled) st = lt_stage_tsne(&r);
    if (st == LT_OK) st = stage_report(&r);
    st = lt_results_commit(r.c, st, &r.res);
    if (st != LT_OK) lt_results_abort(r.c, &r.res);
    else if (lt_comm_rank(r.c) == 0) printf("results: %s\n", r.cfg.output.dir);
    run_destroy(&r);
    return st;
}
