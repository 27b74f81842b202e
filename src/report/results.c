/* The results folder: everything goes to "<dir>.partial-<unique>", which is
 * renamed to <dir> only when the run succeeded. */
#include "latent/lt_report.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define LT_RDIR_MAX 4096

struct lt_results {
    char final[LT_RDIR_MAX];
    char partial[LT_RDIR_MAX];
    int force;
};

/* mkdir -p for the components of path from byte `from` on. */
static lt_status mkdirs(const char *path, size_t from)
{
    char buf[LT_RDIR_MAX];
    size_t len = strlen(path);
    LT_CHECK(len < sizeof buf, LT_ERR_ARG, "path too long: %s", path);
    memcpy(buf, path, len + 1);
    for (size_t i = from; i <= len; i++) {
        if (buf[i] != '/' && buf[i] != '\0') continue;
        if (i == 0 || buf[i - 1] == '/') continue;
        char save = buf[i];
        buf[i] = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            LT_FAIL(LT_ERR_IO, "cannot create folder %s: %s", buf, strerror(errno));
        struct stat sb;
        LT_CHECK(stat(buf, &sb) == 0 && S_ISDIR(sb.st_mode), LT_ERR_IO,
                 "%s exists and is not a folder", buf);
        buf[i] = save;
    }
    return LT_OK;
}

/* rm -rf without following symbolic links. Returns 0 or an errno. */
static int remove_tree(const char *path)
{
    struct stat sb;
    if (lstat(path, &sb) != 0) return errno == ENOENT ? 0 : errno;
    if (!S_ISDIR(sb.st_mode)) return unlink(path) == 0 ? 0 : errno;
    DIR *d = opendir(path);
    if (!d) return errno;
    int err = 0;
    struct dirent *e;
    char child[LT_RDIR_MAX];
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        if ((size_t)snprintf(child, sizeof child, "%s/%s", path, e->d_name) >= sizeof child) {
            err = ENAMETOOLONG;
            continue;
        }
        int e2 = remove_tree(child);
        if (e2 && !err) err = e2;
    }
    closedir(d);
    if (!err && rmdir(path) != 0) err = errno;
    return err;
}

/* Rank 0's part of begin: check the final name, create the partial folder. */
static lt_status begin_local(lt_results *r, const char *final_dir, int force)
{
    size_t len = final_dir ? strlen(final_dir) : 0;
    while (len > 1 && final_dir[len - 1] == '/') len--;
    LT_CHECK(len > 0, LT_ERR_ARG, "empty results folder name");
    LT_CHECK(len + 64 < LT_RDIR_MAX, LT_ERR_ARG, "results folder name too long");
    memcpy(r->final, final_dir, len);
    r->final[len] = '\0';
    struct stat sb;
    if (stat(r->final, &sb) == 0) {
        LT_CHECK(S_ISDIR(sb.st_mode), LT_ERR_IO, "%s exists and is not a folder", r->final);
        LT_CHECK(force, LT_ERR_IO, "results folder %s already exists (use --force to replace it)",
                 r->final);
    }
    const char *slash = strrchr(r->final, '/');
    if (slash && slash != r->final) {
        char parent[LT_RDIR_MAX];
        memcpy(parent, r->final, (size_t)(slash - r->final));
        parent[slash - r->final] = '\0';
        LT_CALL(mkdirs(parent, 0));
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    for (int attempt = 0; attempt < 100; attempt++) {
        int len = snprintf(r->partial, sizeof r->partial, "%s.partial-%ld-%lx%d", r->final,
                           (long)getpid(), (unsigned long)ts.tv_nsec, attempt);
        LT_CHECK(len > 0 && (size_t)len < sizeof r->partial, LT_ERR_ARG, "path too long");
        if (mkdir(r->partial, 0777) == 0) return LT_OK;
        if (errno != EEXIST) break;
    }
    LT_FAIL(LT_ERR_IO, "cannot create results folder %s: %s", r->partial, strerror(errno));
}

lt_status lt_results_begin(lt_comm *c, const char *final_dir, int force, lt_results **out)
{
    *out = NULL;
    lt_results *r = lt_calloc(1, sizeof *r);
    lt_status st = r ? LT_OK : LT_ERR_MEM, made = LT_ERR_INTERNAL;
    if (st == LT_OK) {
        r->force = force;
        if (lt_comm_rank(c) == 0) st = made = begin_local(r, final_dir, force);
    }
    st = lt_comm_agree(c, st);
    if (st == LT_OK) st = lt_comm_bcast(c, r, sizeof *r, 0); /* agreed */
    if (st != LT_OK) {
        /* Rank 0 made the folder, another rank failed: nothing may stay. */
        if (made == LT_OK) remove_tree(r->partial);
        free(r);
        return st;
    }
    *out = r;
    return LT_OK;
}

const char *lt_results_dir(const lt_results *r) { return r ? r->partial : ""; }
const char *lt_results_final(const lt_results *r) { return r ? r->final : ""; }

lt_status lt_results_path(const lt_results *r, const char *rel, char *buf, size_t cap)
{
    LT_CHECK(r && rel && *rel && rel[0] != '/', LT_ERR_ARG, "results path must be relative: '%s'",
             rel ? rel : "(null)");
    for (const char *p = rel; (p = strstr(p, "..")); p += 2)
        LT_CHECK(!((p == rel || p[-1] == '/') && (p[2] == '/' || p[2] == '\0')), LT_ERR_ARG,
                 "results path may not leave the folder: '%s'", rel);
    int len = snprintf(buf, cap, "%s/%s", r->partial, rel);
    LT_CHECK(len > 0 && (size_t)len < cap, LT_ERR_ARG, "results path too long: %s/%s", r->partial,
             rel);
    const char *slash = strrchr(buf, '/');
    size_t base = strlen(r->partial) + 1;
    if ((size_t)(slash - buf) > base) {
        char dir[LT_RDIR_MAX];
        LT_CHECK((size_t)(slash - buf) < sizeof dir, LT_ERR_ARG, "results path too long");
        memcpy(dir, buf, (size_t)(slash - buf));
        dir[slash - buf] = '\0';
        LT_CALL(mkdirs(dir, base));
    }
    return LT_OK;
}

/* Rank 0: partial -> final, an existing final moved aside first and removed
 * only once the new folder is in place. */
static lt_status commit_local(const lt_results *r)
{
    struct stat sb;
    char old[LT_RDIR_MAX + 64] = "";
    if (stat(r->final, &sb) == 0) {
        LT_CHECK(r->force, LT_ERR_IO, "results folder %s appeared during the run; not replaced",
                 r->final);
        int len = snprintf(old, sizeof old, "%s.old-%ld", r->final, (long)getpid());
        LT_CHECK(len > 0 && (size_t)len < sizeof old, LT_ERR_ARG, "path too long");
        LT_CHECK(rename(r->final, old) == 0, LT_ERR_IO, "cannot move %s aside: %s", r->final,
                 strerror(errno));
    }
    if (rename(r->partial, r->final) != 0) {
        int err = errno;
        if (*old) rename(old, r->final);
        LT_FAIL(LT_ERR_IO, "cannot rename %s to %s: %s", r->partial, r->final, strerror(err));
    }
    /* The run is complete: a leftover old copy is not worth failing it. */
    if (*old) remove_tree(old);
    return LT_OK;
}

lt_status lt_results_commit(lt_comm *c, lt_status local, lt_results **r)
{
    lt_status st = local;
    if (st == LT_OK && (!r || !*r))
        st = lt_error_raise(LT_ERR_ARG, __FILE__, __LINE__, "commit of a NULL results folder");
    LT_CALL(lt_comm_agree(c, st));
    if (lt_comm_rank(c) == 0) st = commit_local(*r);
    LT_CALL(lt_comm_agree(c, st));
    free(*r);
    *r = NULL;
    return LT_OK;
}

void lt_results_abort(lt_comm *c, lt_results **r)
{
    if (!r || !*r) return;
    /* Keep the error that made us abort, whatever the cleanup raises. */
    char msg[2048], trace[4096];
    lt_status code = lt_error_code();
    snprintf(msg, sizeof msg, "%s", lt_error_message());
    snprintf(trace, sizeof trace, "%s", lt_error_traceback());
    lt_comm_barrier(c); /* nobody is still writing into the folder */
    if (lt_comm_rank(c) == 0) remove_tree((*r)->partial);
    lt_comm_barrier(c);
    lt_error_set_record(code, msg, trace);
    free(*r);
    *r = NULL;
}

/* Rank 0's part of remove_leftovers. */
static lt_status remove_leftovers_local(const char *final_dir, int *removed)
{
    char dir[LT_RDIR_MAX], prefix[LT_RDIR_MAX], path[LT_RDIR_MAX];
    size_t len = final_dir ? strlen(final_dir) : 0;
    while (len > 1 && final_dir[len - 1] == '/') len--;
    LT_CHECK(len > 0 && len + 16 < sizeof dir, LT_ERR_ARG, "bad results folder name");
    memcpy(dir, final_dir, len);
    dir[len] = '\0';
    char *slash = strrchr(dir, '/');
    const char *base = slash ? slash + 1 : dir;
    if ((size_t)snprintf(prefix, sizeof prefix, "%s.partial-", base) >= sizeof prefix) return LT_OK;
    if (slash == dir) dir[1] = '\0';
    else if (slash) *slash = '\0';
    else snprintf(dir, sizeof dir, ".");
    DIR *d = opendir(dir);
    if (!d) return LT_OK; /* no parent folder: nothing was left */
    lt_status st = LT_OK;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, prefix, strlen(prefix)) != 0) continue;
        if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= sizeof path) continue;
        int err = remove_tree(path);
        if (err && st == LT_OK)
            st = lt_error_raise(LT_ERR_IO, __FILE__, __LINE__, "cannot remove %s: %s", path,
                                strerror(err));
        if (!err) (*removed)++;
    }
    closedir(d);
    return st;
}

lt_status lt_results_remove_leftovers(lt_comm *c, const char *final_dir, int *removed)
{
    int64_t n = 0;
    lt_status st = LT_OK;
    if (lt_comm_rank(c) == 0) {
        int k = 0;
        st = remove_leftovers_local(final_dir, &k);
        n = k;
    }
    LT_CALL(lt_comm_agree(c, st));
    LT_CALL(lt_comm_max_i64(c, &n, 1));
    if (removed) *removed = (int)n;
    return LT_OK;
}
