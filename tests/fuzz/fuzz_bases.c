/* Base files of the HDF5 recipes (fuzz_bases.h), written on first use. */
#include "fuzz_bases.h"
#include "fuzz.h"
#include "h5mut.h"
#include "latent/lt_io.h"
#include "latent/lt_nn.h"
#include "latent/lt_pca.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#ifndef LT_FUZZ_SOURCE_DIR
#define LT_FUZZ_SOURCE_DIR "."
#endif

static void fail(const char *what)
{
    fprintf(stderr, "fuzz: cannot make the base %s: %s\n", what, lt_error_message());
    abort();
}

/* n x d values in (0, 1), deterministic, with labels i % 3. */
static lt_dataset *rows(int64_t n, int64_t d)
{
    lt_dataset *ds = NULL;
    if (lt_dataset_create(lt_fuzz_comm(), n, d, 1, &ds) != LT_OK) fail("dataset");
    for (int64_t i = 0; i < n * d; i++) ds->x[i] = (float)(0.5 + 0.45 * sin(1.7 * (double)i + 0.3));
    for (int64_t i = 0; i < n; i++) ds->y[i] = (int32_t)(i % 3);
    return ds;
}

static const char *keep(char *buf, size_t cap, const char *name)
{
    snprintf(buf, cap, "%s", lt_fuzz_path(name));
    return buf;
}

/* With LT_FUZZ_BASES_OUT set, a copy of each base goes there (raw-mode
 * seeds, scripts/fuzz.sh). */
static const char *dump(const char *path, const char *name)
{
    const char *out = getenv("LT_FUZZ_BASES_OUT");
    char to[1024];
    snprintf(to, sizeof to, "%s/%s", out ? out : "", name);
    if (out && *out) lt_fuzz_copy(path, to);
    return path;
}

const char *lt_fuzz_base_h5(void)
{
    static char path[512];
    if (path[0]) return path;
    lt_dataset *ds = rows(7, 3);
    if (lt_h5_write(lt_fuzz_comm(), keep(path, sizeof path, "base.data.h5"), "X", "y", ds) != LT_OK)
        fail("data.h5");
    lt_dataset_destroy(&ds);
    return dump(path, "data.h5");
}

static void save_ae(int which, const char *path)
{
    lt_comm *c = lt_fuzz_comm();
    static const int widths[5] = {4, 3, 2, 3, 4};
    lt_ae_opts o;
    lt_ae_opts_default(&o);
    if (lt_ae_opts_set_widths(&o, widths, 5) != LT_OK) fail("model options");
    o.act[0] = LT_ACT_SIGMOID;
    lt_ae *ae = NULL;
    if (lt_ae_create(c, &o, &ae) != LT_OK) fail("model");
    if (which > 0) {
        lt_train_opts t;
        lt_train_opts_default(&t);
        t.batch_size = 4;
        t.epochs = 2;
        volatile sig_atomic_t stop = 1;
        if (which == 2) t.optimizer = LT_OPT_RMSPROP, t.stop_request = &stop;
        lt_dataset *ds = rows(10, 4);
        lt_status st = lt_ae_fit(c, ae, &t, ds, NULL, NULL, NULL);
        if (st != (which == 2 ? LT_ERR_INTERRUPTED : LT_OK)) fail("trained model");
        lt_error_clear();
        lt_dataset_destroy(&ds);
    }
    if (lt_ae_save(c, ae, path) != LT_OK) fail("model file");
    lt_ae_destroy(&ae);
}

const char *lt_fuzz_base_ae(int which)
{
    static char path[3][512];
    which = which < 0 || which > 2 ? 0 : which;
    if (path[which][0]) return path[which];
    char name[32];
    snprintf(name, sizeof name, "base.ae%d.h5", which);
    save_ae(which, keep(path[which], sizeof path[which], name));
    return dump(path[which], name + 5);
}

const char *lt_fuzz_base_pca(void)
{
    static char path[512];
    if (path[0]) return path;
    lt_comm *c = lt_fuzz_comm();
    lt_pca_opts o;
    lt_pca_opts_default(&o);
    o.n_components = 2;
    lt_dataset *ds = rows(20, 4);
    lt_pca *p = NULL;
    if (lt_pca_fit(c, &o, ds, &p) != LT_OK) fail("PCA model");
    if (lt_pca_save(c, p, keep(path, sizeof path, "base.pca.h5")) != LT_OK) fail("pca.h5");
    lt_pca_destroy(&p);
    lt_dataset_destroy(&ds);
    return dump(path, "pca.h5");
}

const char *lt_fuzz_fixture(const char *name)
{
    static char path[1024];
    snprintf(path, sizeof path, "%s/tests/fixtures/%s", LT_FUZZ_SOURCE_DIR, name);
    return path;
}
