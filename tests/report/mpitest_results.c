/* The results folder is atomic: abort leaves nothing, an existing folder is
 * an error at begin time unless forced, force replaces it, and a failure on
 * one rank at commit time renames nothing. */
#include "lt_test.h"
#include "latent/lt_report.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int exists(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0;
}

/* Number of entries in the parent folder whose name starts with `base`
 * followed by ".partial" or ".old" (leftovers of a run). */
static int leftovers(const char *dir)
{
    char parent[512], base[256];
    snprintf(parent, sizeof parent, "%s", dir);
    char *slash = strrchr(parent, '/');
    snprintf(base, sizeof base, "%s.", slash + 1);
    *slash = '\0';
    DIR *d = opendir(parent);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (!strncmp(e->d_name, base, strlen(base))) n++;
    if (d) closedir(d);
    return n;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

/* Fresh, empty location for a results folder. */
static void fresh(lt_comm *c, char *dir, size_t cap, const char *name)
{
    lt_test_path(dir, cap, name);
    if (lt_comm_rank(c) == 0) {
        char cmd[2048];
        snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s'.partial-* '%s'.old-*", dir, dir, dir);
        ck_assert_int_eq(system(cmd), 0);
    }
    lt_comm_barrier(c);
}

START_TEST(commit_puts_files_in_place)
{
    lt_comm *c = lt_test_comm();
    char dir[512], p[1024], q[1024];
    fresh(c, dir, sizeof dir, "res_commit");
    lt_results *r = NULL;
    LT_ASSERT_OK(lt_results_begin(c, dir, 0, &r));
    LT_ASSERT_ALL(!exists(dir) && exists(lt_results_dir(r)));
    LT_ASSERT_OK(lt_results_path(r, "figures/sub/pca_ae_scatter.png", p, sizeof p));
    LT_ASSERT_OK(lt_results_path(r, "metrics.json", q, sizeof q));
    if (lt_comm_rank(c) == 0) write_file(p, "png"), write_file(q, "{}");
    LT_ASSERT_OK(lt_results_commit(c, LT_OK, &r));
    ck_assert_ptr_null(r);
    snprintf(p, sizeof p, "%s/figures/sub/pca_ae_scatter.png", dir);
    snprintf(q, sizeof q, "%s/metrics.json", dir);
    LT_ASSERT_ALL(exists(p) && exists(q) && leftovers(dir) == 0);
}
END_TEST

START_TEST(abort_leaves_nothing)
{
    lt_comm *c = lt_test_comm();
    char dir[512], p[1024];
    fresh(c, dir, sizeof dir, "res_abort");
    lt_results *r = NULL;
    LT_ASSERT_OK(lt_results_begin(c, dir, 0, &r));
    LT_ASSERT_OK(lt_results_path(r, "figures/loss.png", p, sizeof p));
    if (lt_comm_rank(c) == 0) write_file(p, "half");
    /* The error that caused the abort survives it. */
    lt_error_raise(LT_ERR_NUMERIC, __FILE__, __LINE__, "training diverged");
    lt_results_abort(c, &r);
    ck_assert_ptr_null(r);
    ck_assert_int_eq(lt_error_code(), LT_ERR_NUMERIC);
    ck_assert_str_eq(lt_error_message(), "training diverged");
    lt_error_clear();
    LT_ASSERT_ALL(!exists(dir) && leftovers(dir) == 0);
    lt_results_abort(c, &r); /* NULL is fine */
}
END_TEST

/* A run killed outright leaves its partial folder (with files in it); the
 * resume removes exactly those, not the final folder nor a sibling's. */
START_TEST(leftovers_of_killed_runs_are_removed)
{
    lt_comm *c = lt_test_comm();
    char dir[512], p[1024], other[1024];
    fresh(c, dir, sizeof dir, "res_killed");
    snprintf(other, sizeof other, "%s2.partial-1-2", dir);
    lt_results *a = NULL, *b = NULL;
    LT_ASSERT_OK(lt_results_begin(c, dir, 0, &a));
    LT_ASSERT_OK(lt_results_begin(c, dir, 0, &b));
    LT_ASSERT_OK(lt_results_path(a, "figures/loss.png", p, sizeof p));
    if (lt_comm_rank(c) == 0) {
        write_file(p, "half");
        ck_assert_int_eq(mkdir(dir, 0777), 0);
        ck_assert_int_eq(mkdir(other, 0777), 0);
    }
    lt_comm_barrier(c);
    free(a); /* the runs died: nobody aborts them */
    free(b);
    int n = -1;
    LT_ASSERT_OK(lt_results_remove_leftovers(c, dir, &n));
    ck_assert_int_eq(n, 2);
    LT_ASSERT_ALL(leftovers(dir) == 0 && exists(dir) && exists(other));
    LT_ASSERT_OK(lt_results_remove_leftovers(c, dir, &n));
    ck_assert_int_eq(n, 0);
    if (lt_comm_rank(c) == 0) ck_assert_int_eq(rmdir(dir) | rmdir(other), 0);
    lt_comm_barrier(c);
}
END_TEST

START_TEST(existing_folder_needs_force)
{
    lt_comm *c = lt_test_comm();
    char dir[512], p[1024];
    fresh(c, dir, sizeof dir, "res_force");
    if (lt_comm_rank(c) == 0) {
        mkdir(dir, 0777);
        snprintf(p, sizeof p, "%s/old_only.txt", dir);
        write_file(p, "old run");
    }
    lt_comm_barrier(c);
    lt_results *r = NULL;
    lt_status st = lt_results_begin(c, dir, 0, &r);
    LT_ASSERT_ALL(st == LT_ERR_IO && strstr(lt_error_message(), "--force") && r == NULL);
    lt_error_clear();
    LT_ASSERT_ALL(leftovers(dir) == 0); /* nothing was created */
    LT_ASSERT_OK(lt_results_begin(c, dir, 1, &r));
    LT_ASSERT_OK(lt_results_path(r, "metrics.json", p, sizeof p));
    if (lt_comm_rank(c) == 0) write_file(p, "{}");
    /* The old results stay complete until the new ones are committed. */
    snprintf(p, sizeof p, "%s/old_only.txt", dir);
    LT_ASSERT_ALL(exists(p));
    LT_ASSERT_OK(lt_results_commit(c, LT_OK, &r));
    char q[1024];
    snprintf(q, sizeof q, "%s/metrics.json", dir);
    LT_ASSERT_ALL(!exists(p) && exists(q) && leftovers(dir) == 0);
}
END_TEST

START_TEST(failure_on_one_rank_commits_nothing)
{
    lt_comm *c = lt_test_comm();
    char dir[512];
    fresh(c, dir, sizeof dir, "res_fail");
    lt_results *r = NULL;
    LT_ASSERT_OK(lt_results_begin(c, dir, 0, &r));
    lt_status local = LT_OK;
    if (lt_comm_rank(c) == lt_comm_size(c) - 1)
        local = lt_error_raise(LT_ERR_IO, __FILE__, __LINE__, "disk full writing codes.npy");
    lt_status st = lt_results_commit(c, local, &r);
    LT_ASSERT_ALL(st == LT_ERR_IO && r != NULL && strstr(lt_error_message(), "disk full"));
    LT_ASSERT_ALL(!exists(dir) && exists(lt_results_dir(r)));
    lt_results_abort(c, &r);
    lt_error_clear();
    LT_ASSERT_ALL(!exists(dir) && leftovers(dir) == 0);
}
END_TEST

START_TEST(bad_locations_are_clear_errors)
{
    lt_comm *c = lt_test_comm();
    lt_results *r = NULL;
    lt_status st = lt_results_begin(c, "/proc/latent-cannot-write/results", 0, &r);
    LT_ASSERT_ALL(st == LT_ERR_IO && r == NULL && strstr(lt_error_message(), "/proc/latent"));
    st = lt_results_begin(c, "", 0, &r);
    LT_ASSERT_ALL(st == LT_ERR_ARG && r == NULL);
    char file[512], p[1024];
    lt_test_path(file, sizeof file, "res_is_a_file");
    if (lt_comm_rank(c) == 0) write_file(file, "x");
    lt_comm_barrier(c);
    st = lt_results_begin(c, file, 1, &r);
    LT_ASSERT_ALL(st == LT_ERR_IO && strstr(lt_error_message(), "not a folder"));
    /* Paths must stay inside the folder. */
    char dir[512];
    fresh(c, dir, sizeof dir, "res_paths");
    LT_ASSERT_OK(lt_results_begin(c, dir, 0, &r));
    ck_assert_int_eq(lt_results_path(r, "../escape.txt", p, sizeof p), LT_ERR_ARG);
    ck_assert_int_eq(lt_results_path(r, "a/../../x", p, sizeof p), LT_ERR_ARG);
    ck_assert_int_eq(lt_results_path(r, "/etc/passwd", p, sizeof p), LT_ERR_ARG);
    ck_assert_int_eq(lt_results_path(r, "x.txt", p, 8), LT_ERR_ARG);
    LT_ASSERT_OK(lt_results_path(r, "a..b/c..txt", p, sizeof p));
    lt_results_abort(c, &r);
    lt_error_clear();
    LT_ASSERT_ALL(leftovers(dir) == 0);
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("report_results");
    TCase *t = tcase_create("results");
    tcase_add_test(t, commit_puts_files_in_place);
    tcase_add_test(t, abort_leaves_nothing);
    tcase_add_test(t, leftovers_of_killed_runs_are_removed);
    tcase_add_test(t, existing_folder_needs_force);
    tcase_add_test(t, failure_on_one_rank_commits_nothing);
    tcase_add_test(t, bad_locations_are_clear_errors);
    suite_add_tcase(s, t);
    return s;
}

int main(int argc, char **argv) { return lt_test_main(make, argc, argv); }
