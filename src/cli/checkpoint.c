/* Checkpoints of autoencoder training, for preemption and time limits.
 * They live in "<[output] dir>.checkpoint/": config.ini (the effective deck),
 * ae.h5 (model, optimizer state, position in the batch sequence, history),
 * ae.h5.sum (FNV-1a of the file's bytes) and, once training has finished,
 * ae.h5.trained. The previous set is kept as ae.prev.h5* until the new one is
 * complete. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "checkpoint.h"
#include "latent/lt_log.h"

void lt_ckpt_dir(const lt_config *cfg, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s.checkpoint", cfg->output.dir);
}

static int file_sum(const char *path, unsigned long long *out)
{
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    unsigned long long h = 1469598103934665603ull;
    unsigned char buf[1 << 16];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        for (size_t i = 0; i < n; i++) h = (h ^ buf[i]) * 1099511628211ull;
    int ok = !ferror(f);
    fclose(f);
    *out = h;
    return ok;
}

/* Rank 0: keep the current checkpoint as the previous one, write config.ini. */
static lt_status rotate(const lt_config *cfg, const char *dir)
{
    /* sized for any dir the caller can build */
    char a[2 * LT_PATH_MAX + 64], b[2 * LT_PATH_MAX + 64];
    LT_CHECK(mkdir(dir, 0755) == 0 || errno == EEXIST, LT_ERR_IO, "cannot create checkpoint folder %s: %s",
             dir, strerror(errno));
    const char *names[3][2] = {
        {"ae.h5", "ae.prev.h5"}, {"ae.h5.sum", "ae.prev.h5.sum"}, {"ae.h5.trained", "ae.prev.h5.trained"}};
    for (int i = 0; i < 3; i++) {
        snprintf(a, sizeof a, "%s/%s", dir, names[i][0]);
        snprintf(b, sizeof b, "%s/%s", dir, names[i][1]);
        if (i == 2) unlink(b); /* the marker is optional: never keep a stale one */
        LT_CHECK(rename(a, b) == 0 || errno == ENOENT, LT_ERR_IO, "cannot keep %s as %s: %s", a, b, strerror(errno));
    }
    snprintf(a, sizeof a, "%s/config.ini", dir);
    FILE *f = fopen(a, "w");
    LT_CHECK(f, LT_ERR_IO, "cannot write %s: %s", a, strerror(errno));
    fprintf(f, "; effective configuration of the run that wrote this checkpoint\n");
    lt_config_print(cfg, f);
    LT_CHECK(fclose(f) == 0, LT_ERR_IO, "cannot write %s", a);
    return LT_OK;
}

static lt_status write_sum(const char *h5)
{
    unsigned long long h;
    char p[LT_PATH_MAX + 128];
    LT_CHECK(file_sum(h5, &h), LT_ERR_IO, "cannot read back %s", h5);
    snprintf(p, sizeof p, "%s.sum", h5);
    FILE *f = fopen(p, "w");
    LT_CHECK(f, LT_ERR_IO, "cannot write %s: %s", p, strerror(errno));
    fprintf(f, "%016llx\n", h);
    LT_CHECK(fclose(f) == 0, LT_ERR_IO, "cannot write %s", p);
    return LT_OK;
}

lt_status lt_ckpt_save(lt_comm *c, const lt_config *cfg, const lt_ae *ae)
{
    char dir[LT_PATH_MAX + 32], h5[LT_PATH_MAX + 64];
    lt_ckpt_dir(cfg, dir, sizeof dir);
    snprintf(h5, sizeof h5, "%s/ae.h5", dir);
    LT_CALL(lt_comm_agree(c, lt_comm_rank(c) == 0 ? rotate(cfg, dir) : LT_OK));
    LT_CALL(lt_ae_save(c, ae, h5));
    return lt_comm_agree(c, lt_comm_rank(c) == 0 ? write_sum(h5) : LT_OK);
}

lt_status lt_ckpt_save_trained(lt_comm *c, const lt_config *cfg, const lt_ae *ae)
{
    char p[LT_PATH_MAX + 64];
    LT_CALL(lt_ckpt_save(c, cfg, ae));
    lt_ckpt_dir(cfg, p, sizeof p - 32);
    strcat(p, "/ae.h5.trained");
    lt_status st = LT_OK;
    if (lt_comm_rank(c) == 0) {
        FILE *f = fopen(p, "w");
        if (!f || fprintf(f, "training finished at epoch %d\n", ae->epoch) < 0) st = LT_ERR_IO;
        if (f && fclose(f) != 0) st = LT_ERR_IO;
        if (st != LT_OK) st = lt_error_raise(LT_ERR_IO, __FILE__, __LINE__, "cannot write %s", p);
    }
    return lt_comm_agree(c, st);
}

/* Rank 0: 1 if the file exists. */
static int exists(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f) fclose(f);
    return f != NULL;
}

/* Rank 0: 1 if the file's bytes match its .sum. */
static int verified(const char *h5)
{
    char p[3 * LT_PATH_MAX];
    unsigned long long want = 0, got = 0;
    snprintf(p, sizeof p, "%s.sum", h5);
    FILE *f = fopen(p, "r");
    int ok = f && fscanf(f, "%llx", &want) == 1;
    if (f) fclose(f);
    return ok && file_sum(h5, &got) && got == want;
}

lt_status lt_ckpt_load(lt_comm *c, const lt_config *cfg, lt_ae **out, int *trained)
{
    char dir[LT_PATH_MAX + 32], h5[2][LT_PATH_MAX + 64];
    /* (dir is LT_PATH_MAX + ".checkpoint" at most) */
    lt_ckpt_dir(cfg, dir, sizeof dir);
    snprintf(h5[0], sizeof h5[0], "%s/ae.h5", dir);
    snprintf(h5[1], sizeof h5[1], "%s/ae.prev.h5", dir);
    for (int i = 0; i < 2; i++) {
        int64_t ok = lt_comm_rank(c) == 0 ? verified(h5[i]) : 0;
        LT_CALL(lt_comm_max_i64(c, &ok, 1));
        if (!ok) {
            lt_log(c, "checkpoint: %s is missing, truncated or corrupt (checksum); %s\n", h5[i],
                   i == 0 ? "trying the previous one" : "no usable checkpoint");
            continue;
        }
        lt_status st = lt_ae_load(c, h5[i], out);
        if (st == LT_OK) {
            char m[sizeof h5 + 16];
            snprintf(m, sizeof m, "%s.trained", h5[i]);
            int64_t t = lt_comm_rank(c) == 0 ? exists(m) : 0;
            LT_CALL(lt_comm_max_i64(c, &t, 1));
            *trained = (int)t;
            lt_log(c, "checkpoint: resuming from %s (epoch %d, batch %lld%s)\n", h5[i], (*out)->epoch,
                   (long long)(*out)->step, t ? ", training finished" : "");
            return LT_OK;
        }
        lt_log(c, "checkpoint: %s unreadable: %s\n", h5[i], lt_error_message());
    }
    LT_FAIL(LT_ERR_IO, "no usable checkpoint in %s (looked for ae.h5 and ae.prev.h5 with their .sum)", dir);
}
