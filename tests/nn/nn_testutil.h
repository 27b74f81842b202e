/* Helpers shared by the nn MPI tests: the same parameters on every rank,
 * fixture models, and a model file's save-and-load round trip. */
#ifndef NN_TESTUTIL_H
#define NN_TESTUTIL_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "lt_test.h"
#include "latent/lt_nn.h"

/* 1 if every rank holds the same parameter bytes (FNV-1a of them, gathered).
 * Collective. */
static inline int nt_same_on_all_ranks(lt_comm *c, const lt_ae *ae)
{
    uint64_t h = 1469598103934665603ULL, all[64];
    const unsigned char *b = (const unsigned char *)ae->params;
    for (size_t i = 0; i < sizeof(float) * (size_t)ae->nparams; i++) h = (h ^ b[i]) * 1099511628211ULL;
    if (lt_comm_size(c) > 64 || lt_comm_allgather(c, &h, sizeof h, all) != LT_OK) return 0;
    int ok = 1;
    for (int r = 0; r < lt_comm_size(c); r++) ok &= all[r] == h;
    return ok;
}

/* The model of fixture file `name` (tests/fixtures/name). Collective. */
static inline lt_ae *nt_load_fixture(lt_comm *c, const char *name)
{
    char fx[1024];
    lt_ae *m = NULL;
    LT_ASSERT_OK(lt_ae_load(c, lt_test_fixture(fx, sizeof fx, name), &m));
    return m;
}

/* Saves m as the test file `name`, loads it back into *out (the caller
 * destroys it) and checks that every parameter and the first nstate
 * optimizer-state values came back; the file is removed. Collective. */
static inline void nt_resave(lt_comm *c, const lt_ae *m, const char *name, size_t nstate,
                             lt_ae **out)
{
    char path[512];
    lt_test_path(path, sizeof path, name);
    LT_ASSERT_OK(lt_ae_save(c, m, path));
    LT_ASSERT_OK(lt_ae_load(c, path, out));
    const lt_ae *r = *out;
    ck_assert_int_eq(r->nparams, m->nparams);
    ck_assert(memcmp(r->params, m->params, sizeof(float) * (size_t)m->nparams) == 0);
    ck_assert(memcmp(r->state, m->state, sizeof(float) * nstate) == 0);
    if (lt_comm_rank(c) == 0) remove(path);
}

#endif
