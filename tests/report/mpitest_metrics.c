/* metrics.json: round trip, nested paths, null for non-finite values,
 * timings reduced over ranks, and errors agreed on every rank. */
#include "lt_test.h"
#include "latent/lt_report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

START_TEST(round_trip_nested_paths)
{
    lt_comm *c = lt_test_comm();
    lt_metrics *m = NULL, *r = NULL;
    char path[512];
    lt_test_path(path, sizeof path, "metrics.json");
    double loss[4] = {0.5, 0.25, 1.0 / 3.0, NAN};
    int64_t counts[3] = {3, 0, (int64_t)1 << 40};
    LT_ASSERT_OK(lt_metrics_create(&m));
    LT_ASSERT_OK(lt_metrics_set_number(m, "pca.reconstruction_mse.train", 0.0123456789012345));
    LT_ASSERT_OK(lt_metrics_set_number(m, "pca.reconstruction_mse.test", 1e-300));
    LT_ASSERT_OK(lt_metrics_set_number(m, "autoencoder.silhouette", INFINITY));
    LT_ASSERT_OK(lt_metrics_set_string(m, "run.deck", "seed000 \"quoted\"\n"));
    LT_ASSERT_OK(lt_metrics_set_bool(m, "run.force", 1));
    LT_ASSERT_OK(lt_metrics_set_array_d(m, "autoencoder.loss.train", loss, 4));
    LT_ASSERT_OK(lt_metrics_set_array_i64(m, "data.label_counts", counts, 3));
    LT_ASSERT_OK(lt_metrics_set_number(m, "run.ranks", lt_comm_size(c)));
    /* Replacing a leaf keeps one key. */
    LT_ASSERT_OK(lt_metrics_set_number(m, "pca.reconstruction_mse.test", 2.5));
    LT_ASSERT_OK(lt_metrics_write(c, m, path));
    LT_ASSERT_OK(lt_metrics_read(path, &r));
    double v, *a = NULL;
    int64_t n = 0;
    const char *s = NULL;
    LT_ASSERT_OK(lt_metrics_get_number(r, "pca.reconstruction_mse.train", &v));
    ck_assert(v == 0.0123456789012345); /* cJSON prints 17 digits when needed */
    LT_ASSERT_OK(lt_metrics_get_number(r, "pca.reconstruction_mse.test", &v));
    ck_assert(v == 2.5);
    LT_ASSERT_OK(lt_metrics_get_number(r, "autoencoder.silhouette", &v));
    ck_assert(isnan(v));
    LT_ASSERT_OK(lt_metrics_get_string(r, "run.deck", &s));
    ck_assert_str_eq(s, "seed000 \"quoted\"\n");
    LT_ASSERT_OK(lt_metrics_get_array_d(r, "autoencoder.loss.train", &a, &n));
    ck_assert_int_eq(n, 4);
    ck_assert(a[0] == 0.5 && a[1] == 0.25 && a[2] == 1.0 / 3.0 && isnan(a[3]));
    free(a);
    LT_ASSERT_OK(lt_metrics_get_array_d(r, "data.label_counts", &a, &n));
    ck_assert(n == 3 && a[2] == (double)((int64_t)1 << 40));
    free(a);
    LT_ASSERT_OK(lt_metrics_get_number(r, "run.ranks", &v));
    ck_assert(v == lt_comm_size(c));
    ck_assert(lt_metrics_has(r, "run.force") && !lt_metrics_has(r, "run.nothing"));
    ck_assert_int_eq(lt_metrics_get_number(r, "run.deck", &v), LT_ERR_ARG);
    lt_error_clear();
    lt_metrics_destroy(&m);
    lt_metrics_destroy(&r);
    ck_assert_ptr_null(m);
    lt_metrics_destroy(NULL);
}
END_TEST

START_TEST(file_is_strict_json_without_nan)
{
    lt_comm *c = lt_test_comm();
    lt_metrics *m = NULL;
    char path[512];
    lt_test_path(path, sizeof path, "strict.json");
    LT_ASSERT_OK(lt_metrics_create(&m));
    LT_ASSERT_OK(lt_metrics_set_number(m, "a.x", NAN));
    LT_ASSERT_OK(lt_metrics_set_number(m, "a.y", -INFINITY));
    LT_ASSERT_OK(lt_metrics_write(c, m, path));
    int ok = 1;
    if (lt_comm_rank(c) == 0) {
        char buf[4096] = {0};
        FILE *f = fopen(path, "r");
        ok = f && fread(buf, 1, sizeof buf - 1, f) > 0;
        if (f) fclose(f);
        ok = ok && !strstr(buf, "nan") && !strstr(buf, "NaN") && !strstr(buf, "inf") &&
             strstr(buf, "\"x\":\tnull") && strstr(buf, "\"y\":\tnull");
    }
    LT_ASSERT_ALL(ok);
    lt_metrics_destroy(&m);
}
END_TEST

START_TEST(bad_paths_are_rejected)
{
    lt_metrics *m = NULL;
    LT_ASSERT_OK(lt_metrics_create(&m));
    LT_ASSERT_OK(lt_metrics_set_number(m, "a.b", 1));
    ck_assert_int_eq(lt_metrics_set_number(m, "a.b.c", 1), LT_ERR_ARG); /* b is a number */
    ck_assert_ptr_nonnull(strstr(lt_error_message(), "not an object"));
    ck_assert_int_eq(lt_metrics_set_number(m, "a..c", 1), LT_ERR_ARG);
    ck_assert_int_eq(lt_metrics_set_number(m, "", 1), LT_ERR_ARG);
    ck_assert_int_eq(lt_metrics_set_number(m, "x.", 1), LT_ERR_ARG);
    ck_assert_int_eq(lt_metrics_set_array_d(m, "x", NULL, 3), LT_ERR_ARG);
    double v;
    LT_ASSERT_OK(lt_metrics_get_number(m, "a.b", &v)); /* earlier value survives */
    ck_assert(v == 1);
    lt_error_clear();
    lt_metrics_destroy(&m);
}
END_TEST

START_TEST(unwritable_folder_fails_on_all_ranks)
{
    lt_comm *c = lt_test_comm();
    lt_metrics *m = NULL;
    LT_ASSERT_OK(lt_metrics_create(&m));
    lt_status st = lt_metrics_write(c, m, "/nonexistent-latent-dir/metrics.json");
    LT_ASSERT_ALL(st == LT_ERR_IO && strstr(lt_error_message(), "nonexistent-latent-dir"));
    lt_error_clear();
    lt_metrics *r = NULL;
    char path[512];
    lt_test_path(path, sizeof path, "broken.json");
    if (lt_comm_rank(c) == 0) {
        FILE *f = fopen(path, "w");
        fputs("{\"a\": [1, 2,", f);
        fclose(f);
    }
    LT_ASSERT_OK(lt_comm_barrier(c));
    ck_assert_int_eq(lt_metrics_read(path, &r), LT_ERR_FORMAT);
    ck_assert_ptr_null(r);
    ck_assert_int_eq(lt_metrics_read("/nonexistent-latent-dir/m.json", &r), LT_ERR_IO);
    lt_error_clear();
    lt_metrics_destroy(&m);
}
END_TEST

START_TEST(timings_reduce_over_ranks)
{
    lt_comm *c = lt_test_comm();
    lt_timer t;
    lt_timer_init(&t);
    /* Rank r spends (r + 1) units in PCA: max = P, min = 1, avg = (P + 1) / 2. */
    t.wall[LT_STAGE_PCA] = 0.01 * (lt_comm_rank(c) + 1);
    t.bytes[LT_STAGE_PCA] = 100;
    t.comm[LT_STAGE_PCA] = 0.001 * lt_comm_rank(c);
    lt_timer_start(&t, LT_STAGE_REPORT); /* still running: counted up to now */
    lt_metrics *m = NULL;
    LT_ASSERT_OK(lt_metrics_create(&m));
    LT_ASSERT_OK(lt_metrics_set_timings(m, &t, c));
    double mx, mn, avg, by, cm, ranks, rep;
    LT_ASSERT_OK(lt_metrics_get_number(m, "timings.stages.pca.wall_max", &mx));
    LT_ASSERT_OK(lt_metrics_get_number(m, "timings.stages.pca.wall_min", &mn));
    LT_ASSERT_OK(lt_metrics_get_number(m, "timings.stages.pca.wall_avg", &avg));
    LT_ASSERT_OK(lt_metrics_get_number(m, "timings.stages.pca.bytes_total", &by));
    LT_ASSERT_OK(lt_metrics_get_number(m, "timings.stages.pca.comm_max", &cm));
    LT_ASSERT_OK(lt_metrics_get_number(m, "timings.ranks", &ranks));
    LT_ASSERT_OK(lt_metrics_get_number(m, "timings.stages.report.wall_max", &rep));
    int p = lt_comm_size(c);
    ck_assert(fabs(mx - 0.01 * p) < 1e-12 && fabs(mn - 0.01) < 1e-12);
    ck_assert(fabs(avg - 0.01 * (p + 1) / 2.0) < 1e-12);
    ck_assert(by == 100.0 * p && fabs(cm - 0.001 * (p - 1)) < 1e-12 && ranks == p);
    ck_assert(rep >= 0 && rep < 10);
    ck_assert(!lt_metrics_has(m, "timings.stages.train")); /* never ran */
    lt_metrics_destroy(&m);
}
END_TEST

START_TEST(events_nest_count_and_reduce)
{
    lt_comm *c = lt_test_comm();
    lt_timer t;
    lt_timer_init(&t);
    lt_timer_start(&t, LT_STAGE_TRAIN);
    for (int i = 0; i < 3; i++) {
        lt_event_begin(&t, LT_EV_TRAIN_STEP);
        lt_event_begin(&t, LT_EV_GRAD_ALLREDUCE);
        lt_timer_charge(&t, 0.5, 10); /* to the stage and both running events */
        lt_event_end(&t, LT_EV_GRAD_ALLREDUCE, 0);
        lt_timer_charge(&t, 0.25, 1); /* the allreduce has ended */
        lt_event_end(&t, LT_EV_TRAIN_STEP, 100.0);
    }
    lt_event_end(&t, LT_EV_TRAIN_STEP, 1e9);           /* not running: ignored */
    lt_event_begin(&t, (lt_event)LT_STAGE_PCA);         /* a stage is not a kernel event */
    lt_event_begin(NULL, LT_EV_PCA_GRAM);               /* no timer attached */
    lt_timer_stop(&t, LT_STAGE_TRAIN);
    ck_assert_int_eq((int)t.count[LT_EV_TRAIN_STEP], 3);
    ck_assert_int_eq((int)t.count[LT_STAGE_PCA], 0);
    ck_assert(t.running[LT_EV_TRAIN_STEP] == 0 && t.running[LT_EV_GRAD_ALLREDUCE] == 0);
    ck_assert(t.comm[LT_STAGE_TRAIN] == 2.25 && t.bytes[LT_STAGE_TRAIN] == 33);
    ck_assert(t.comm[LT_EV_TRAIN_STEP] == 2.25 && t.comm[LT_EV_GRAD_ALLREDUCE] == 1.5);
    ck_assert(t.bytes[LT_EV_GRAD_ALLREDUCE] == 30 && t.flops[LT_EV_TRAIN_STEP] == 300.0);
    ck_assert_str_eq(lt_event_name(LT_EV_SILHOUETTE_RING), "silhouette_ring");
    ck_assert_str_eq(lt_event_name(LT_EV_COUNT), "?");
    for (int e = 0; e < LT_EV_COUNT; e++) /* --log-view's name column is 16 wide */
        ck_assert_msg(strlen(lt_event_name(e)) <= 16, "%s", lt_event_name(e));
    lt_metrics *m = NULL;
    LT_ASSERT_OK(lt_metrics_create(&m));
    LT_ASSERT_OK(lt_metrics_set_timings(m, &t, c));
    double cnt, fl, stages_count;
    LT_ASSERT_OK(lt_metrics_get_number(m, "timings.events.train_step.count", &cnt));
    LT_ASSERT_OK(lt_metrics_get_number(m, "timings.events.train_step.flops_total", &fl));
    LT_ASSERT_OK(lt_metrics_get_number(m, "timings.stages.train.count", &stages_count));
    ck_assert(cnt == 3 && fl == 300.0 * lt_comm_size(c) && stages_count == 1);
    ck_assert(!lt_metrics_has(m, "timings.events.pca_gram")); /* never began */
    ck_assert(!lt_metrics_has(m, "timings.events.train"));    /* stages are not events */
    lt_timing_summary ts;
    LT_ASSERT_OK(lt_timing_reduce(c, &t, &ts));
    char buf[4096] = "";
    FILE *f = fmemopen(buf, sizeof buf - 1, "w");
    ck_assert_ptr_nonnull(f);
    LT_ASSERT_OK(lt_timing_print(&ts, f));
    fclose(f);
    ck_assert_ptr_nonnull(strstr(buf, "train_step"));
    ck_assert_ptr_nonnull(strstr(buf, "grad_allreduce"));
    ck_assert_ptr_null(strstr(buf, "pca_gram"));
    lt_metrics_destroy(&m);
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("report_metrics");
    TCase *t = tcase_create("metrics");
    tcase_add_test(t, round_trip_nested_paths);
    tcase_add_test(t, file_is_strict_json_without_nan);
    tcase_add_test(t, bad_paths_are_rejected);
    tcase_add_test(t, unwritable_folder_fails_on_all_ranks);
    tcase_add_test(t, timings_reduce_over_ranks);
    tcase_add_test(t, events_nest_count_and_reduce);
    suite_add_tcase(s, t);
    return s;
}

int main(int argc, char **argv) { return lt_test_main(make, argc, argv); }
