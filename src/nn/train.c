/* Data-parallel training.
 *
 * Epoch e visits the training rows in the order of a seeded permutation
 * (position k holds the row p maps to k, p = lt_perm_init(n, seed, e));
 * batch b is positions [b*B, b*B + B). Each batch is split into P nearly
 * equal contiguous parts, part r going to rank r. At the start of each
 * epoch one all-to-all moves every row to the rank that will process it,
 * stored in batch order, so a step reads a contiguous block. Only the summation order of the gradient
 * allreduce depends on P. */
#include "nn_internal.h"
#include "latent/lt_cpu.h"
#include "latent/lt_hash.h"
#include "latent/lt_rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#if LT_CPU_X86
#include <xmmintrin.h>
#endif

typedef struct {
    int64_t n, d, B, nb, blast; /* rows, width, batch, batches per epoch, last batch size */
    int P, r;
    int64_t sB, cnt;            /* this rank's rows in a full batch and in an epoch */
    size_t rec;                 /* bytes of a row in transit: position, row id, d floats */
    int64_t *pos;               /* nloc: destination position of each local row */
    int *dest;                  /* nloc: destination rank */
    char *sbuf, *rbuf;
    int64_t *cnts;              /* scount, sdispl, rcount, rdispl, fill (P each), all (P*P) */
    float *x;                   /* cnt x d: this rank's rows of the epoch in batch order */
    int64_t *gid;               /* cnt: their global row ids (keys of the denoising noise) */
    float *noisy;               /* sB x d, denoising input */
} plan;

static int64_t part_size(int64_t bb, int p, int r) { return bb / p + (r < bb % p); }
static int64_t part_start(int64_t bb, int p, int r)
{
    return r * (bb / p) + (r < bb % p ? r : bb % p);
}

void nn_batch_part(int64_t bb, int p, int r, int64_t *start, int64_t *size)
{
    *start = part_start(bb, p, r);
    *size = part_size(bb, p, r);
}

int nn_batch_owner(int64_t bb, int p, int64_t j)
{
    int64_t q = bb / p, rem = bb % p;
    if (j < rem * (q + 1)) return (int)(j / (q + 1));
    return (int)(rem + (j - rem * (q + 1)) / q);
}

static void plan_free(plan *p)
{
    free(p->pos);
    free(p->dest);
    free(p->sbuf);
    free(p->rbuf);
    free(p->cnts);
    free(p->x);
    free(p->gid);
    free(p->noisy);
}

static lt_status plan_alloc(lt_comm *c, plan *p, const lt_dataset *tr, int64_t B, int denoise)
{
    memset(p, 0, sizeof *p);
    p->n = tr->n;
    p->d = tr->d;
    p->B = B;
    p->nb = (tr->n + B - 1) / B;
    p->blast = tr->n - (p->nb - 1) * B;
    p->P = lt_comm_size(c);
    p->r = lt_comm_rank(c);
    p->sB = part_size(B, p->P, p->r);
    p->cnt = (p->nb - 1) * p->sB + part_size(p->blast, p->P, p->r);
    p->rec = (16 + 4 * (size_t)p->d + 7) & ~(size_t)7;
    size_t nl = (size_t)tr->nloc + 1, nc = (size_t)p->cnt + 1;
    int ok = (p->pos = lt_malloc(nl * sizeof *p->pos)) && (p->dest = lt_malloc(nl * sizeof *p->dest)) &&
             (p->cnts = lt_calloc((size_t)(5 + p->P) * (size_t)p->P, sizeof(int64_t))) &&
             (p->x = lt_malloc(nc * (size_t)p->d * sizeof(float))) &&
             (p->gid = lt_malloc(nc * sizeof *p->gid));
    if (ok && p->P > 1)
        ok = (p->sbuf = lt_malloc(nl * p->rec)) && (p->rbuf = lt_malloc(nc * p->rec));
    if (ok && denoise) ok = (p->noisy = lt_malloc(((size_t)p->sB + 1) * (size_t)p->d * sizeof(float))) != NULL;
    lt_status st = lt_comm_agree(c, ok ? LT_OK : LT_ERR_MEM);
    if (st != LT_OK) plan_free(p);
    return st;
}

/* Where each local row goes this epoch: rank and position in its block. */
static void plan_destinations(plan *p, const lt_dataset *tr, const lt_train_opts *o, int epoch)
{
    if (o->shuffle) {
        lt_perm order;
        lt_perm_init(&order, p->n, o->seed, (uint64_t)epoch);
        for (int64_t i = 0; i < tr->nloc; i++) p->pos[i] = lt_perm_invert(&order, tr->row0 + i);
    } else
        for (int64_t i = 0; i < tr->nloc; i++) p->pos[i] = tr->row0 + i;
    if (p->P == 1) { /* position k is slot k */
        memset(p->dest, 0, sizeof *p->dest * (size_t)tr->nloc);
        return;
    }
    /* A full batch's parts without divisions per row: q or q + 1 rows. */
    int64_t q = p->B / p->P, rem = p->B % p->P, big = rem * (q + 1);
    for (int64_t i = 0; i < tr->nloc; i++) {
        int64_t k = p->pos[i], b = k / p->B, j = k - b * p->B, start;
        int r;
        if (b == p->nb - 1) {
            r = nn_batch_owner(p->blast, p->P, j);
            start = part_start(p->blast, p->P, r);
        } else {
            r = (int)(j < big ? j / (q + 1) : rem + (j - big) / q);
            start = r * q + (r < rem ? r : rem);
        }
        p->dest[i] = r;
        p->pos[i] = b * (q + (r < rem)) + j - start;
    }
}

static void put_row(plan *p, int64_t pos, int64_t g, const float *row)
{
    memcpy(p->x + pos * p->d, row, sizeof(float) * (size_t)p->d);
    p->gid[pos] = g;
}

static lt_status shuffle_epoch(lt_comm *c, plan *p, const lt_dataset *tr, const lt_train_opts *o,
                               int epoch)
{
    plan_destinations(p, tr, o, epoch);
    if (p->P == 1) {
        for (int64_t i = 0; i < tr->nloc; i++) put_row(p, p->pos[i], tr->row0 + i, tr->x + i * p->d);
        return LT_OK;
    }
    /* Rows that stay on this rank go straight to their slot; only the others
     * travel (packed with their slot and global row). */
    int P = p->P;
    int64_t *sc = p->cnts, *sd = sc + P, *rc = sd + P, *rd = rc + P, *fill = rd + P, *all = fill + P;
    memset(sc, 0, sizeof(int64_t) * (size_t)P);
    for (int64_t i = 0; i < tr->nloc; i++) sc[p->dest[i]] += (int64_t)p->rec;
    sc[p->r] = 0;
    sd[0] = 0;
    for (int r = 1; r < P; r++) sd[r] = sd[r - 1] + sc[r - 1];
    memcpy(fill, sd, sizeof(int64_t) * (size_t)P);
    int64_t kept = 0;
    for (int64_t i = 0; i < tr->nloc; i++) {
        if (p->dest[i] == p->r) {
            put_row(p, p->pos[i], tr->row0 + i, tr->x + i * p->d);
            kept++;
            continue;
        }
        char *q = p->sbuf + fill[p->dest[i]];
        fill[p->dest[i]] += (int64_t)p->rec;
        int64_t hdr[2] = {p->pos[i], tr->row0 + i};
        memcpy(q, hdr, sizeof hdr);
        memcpy(q + 16, tr->x + i * p->d, sizeof(float) * (size_t)p->d);
    }
    LT_CALL(lt_comm_allgather(c, sc, sizeof(int64_t) * (int64_t)P, all));
    int64_t total = 0;
    for (int s = 0; s < P; s++) {
        rc[s] = all[s * P + p->r];
        rd[s] = total;
        total += rc[s];
    }
    lt_status st = LT_OK;
    if (total + kept * (int64_t)p->rec != p->cnt * (int64_t)p->rec)
        st = lt_error_raise(LT_ERR_INTERNAL, __FILE__, __LINE__,
                            "epoch shuffle: rank %d receives %lld bytes and keeps %lld rows, "
                            "expected %lld rows",
                            p->r, (long long)total, (long long)kept, (long long)p->cnt);
    LT_CALL(lt_comm_agree(c, st));
    LT_CALL(lt_comm_alltoallv(c, p->sbuf, sc, sd, p->rbuf, rc, rd));
    for (int64_t i = 0; i < total / (int64_t)p->rec; i++) {
        const char *q = p->rbuf + (size_t)i * p->rec;
        int64_t hdr[2];
        memcpy(hdr, q, sizeof hdr);
        memcpy(p->x + hdr[0] * p->d, q + 16, sizeof(float) * (size_t)p->d);
        p->gid[hdr[0]] = hdr[1];
    }
    return LT_OK;
}

/* Gaussian noise keyed by (seed, epoch * n + row, column): Box-Muller on
 * pairs of 32-bit words of one Philox block gives four normals. */
void lt_ae_noisy_input(const lt_train_opts *o, int64_t n, int64_t d, int epoch, const float *clean,
                       const int64_t *gid, int64_t m, float *out)
{
    const uint32_t key[2] = {(uint32_t)o->seed, (uint32_t)(o->seed >> 32)};
    const float f = (float)o->noise_factor, two_pi = 6.28318530717958647692f;
    for (int64_t i = 0; i < m; i++) {
        uint64_t row = (uint64_t)epoch * (uint64_t)n + (uint64_t)gid[i];
        for (int64_t j = 0; j < d; j += 4) {
            uint32_t ctr[4] = {(uint32_t)row, (uint32_t)(row >> 32), LT_STREAM_DENOISE,
                               (uint32_t)(j / 4)}, u[4];
            lt_philox4x32(ctr, key, u);
            float z[4];
            for (int q = 0; q < 2; q++) {
                float u1 = ((float)u[2 * q] + 1.0f) * 2.3283064e-10f; /* (0, 1] */
                float rad = sqrtf(-2.0f * logf(u1 > 1.0f ? 1.0f : u1));
                float th = two_pi * (float)u[2 * q + 1] * 2.3283064e-10f;
                z[2 * q] = rad * cosf(th);
                z[2 * q + 1] = rad * sinf(th);
            }
            for (int64_t q = 0; q < 4 && j + q < d; q++) {
                float v = clean[i * d + j + q] + f * z[q];
                out[i * d + j + q] = v < 0.0f ? 0.0f : (v > 1.0f ? 1.0f : v);
            }
        }
    }
}

/* Tests the exponent bits so the loop vectorises (no float reduction). */
static int all_finite(const float *g, int64_t n)
{
    unsigned bad = 0;
    for (int64_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, g + i, sizeof u);
        bad |= (u & 0x7f800000u) == 0x7f800000u;
    }
    return !bad;
}

static double l2_penalty(lt_ae *ae, double coef)
{
    double s = 0.0;
    for (int l = 0; l < ae->nw; l++) {
        const float *W = ae->params + ae->woff[l];
        float *G = ae->grads + ae->woff[l];
        int64_t len = ae->boff[l] - ae->woff[l];
        for (int64_t i = 0; i < len; i++) {
            s += (double)W[i] * W[i];
            G[i] += (float)coef * W[i];
        }
    }
    return s;
}

typedef struct {
    double loss;   /* local sum of per-element losses */
    double l2;     /* sum over batches of 0.5 * l2 * |W|^2 (same on all ranks) */
    int64_t rows;  /* global rows processed */
    double comm;   /* seconds in the gradient allreduce */
    int stop;      /* a stop was requested on some rank during the last step */
} epoch_acc;

static lt_status step_body(lt_comm *c, lt_ae *ae, const lt_train_opts *o, plan *p, int epoch,
                           int64_t s, epoch_acc *acc)
{
    int64_t bb = s == p->nb - 1 ? p->blast : p->B, m = part_size(bb, p->P, p->r), np = ae->nparams;
    const float *clean = p->x + s * p->sB * p->d, *in = clean;
    if (o->noise_factor > 0.0) {
        lt_ae_noisy_input(o, p->n, p->d, epoch, clean, p->gid + s * p->sB, m, p->noisy);
        in = p->noisy;
    }
    double loss = nn_forward_backward(ae, in, clean, m, 1.0 / ((double)bb * (double)p->d));
    ae->grads[np] = (float)loss;
    ae->grads[np + 1] = o->stop_request && *o->stop_request ? 1.0f : 0.0f;
    if (p->P > 1) {
        double t0 = lt_wtime();
        lt_event_begin(lt_comm_timer(c), LT_EV_GRAD_ALLREDUCE);
        lt_status st = lt_comm_sum_f(c, ae->grads, np + 2);
        lt_event_end(lt_comm_timer(c), LT_EV_GRAD_ALLREDUCE, 0);
        LT_CALL(st);
        acc->comm += lt_wtime() - t0;
    }
    /* The summed buffer is identical on every rank, so is this decision. */
    LT_CHECK(all_finite(ae->grads, np + 1), LT_ERR_NUMERIC,
             "training diverged: non-finite loss or gradient in epoch %d, batch %lld; the model "
             "keeps the parameters from before that batch (try a smaller learning rate)",
             epoch + 1, (long long)s + 1);
    if (ae->arch.l2 > 0.0) acc->l2 += 0.5 * ae->arch.l2 * l2_penalty(ae, ae->arch.l2 / (double)bb);
    ae->opt_t++;
    nn_optim_update(o, ae->params, ae->grads, ae->state, np, ae->opt_t);
    acc->loss += loss;
    acc->rows += bb;
    /* The request was summed with the gradients: every rank stops at the same step. */
    acc->stop = ae->grads[np + 1] > 0.0f;
    return LT_OK;
}

/* One minibatch as a timed event; its flops are the dense estimate of 6 per
 * parameter per row (2 forward, 4 backward). */
static lt_status train_step(lt_comm *c, lt_ae *ae, const lt_train_opts *o, plan *p, int epoch,
                            int64_t s, epoch_acc *acc)
{
    int64_t bb = s == p->nb - 1 ? p->blast : p->B, m = part_size(bb, p->P, p->r);
    lt_event_begin(lt_comm_timer(c), LT_EV_TRAIN_STEP);
    lt_status st = step_body(c, ae, o, p, epoch, s, acc);
    lt_event_end(lt_comm_timer(c), LT_EV_TRAIN_STEP, 6.0 * (double)m * (double)ae->nparams);
    return st;
}

static int bad_target(const lt_dataset *ds)
{
    for (int64_t i = 0; ds && i < ds->nloc * ds->d; i++)
        if (!(ds->x[i] >= 0.0f && ds->x[i] <= 1.0f)) return 1;
    return 0;
}

static lt_status check_fit(const lt_ae *ae, const lt_train_opts *o, const lt_dataset *tr,
                           const lt_dataset *val)
{
    LT_CALL(nn_optim_check(o));
    LT_CHECK(o->epochs >= 0, LT_ERR_ARG, "epochs must be >= 0, got %d", o->epochs);
    LT_CHECK(o->patience >= 0 && o->min_delta >= 0.0, LT_ERR_ARG,
             "patience and min_delta must be >= 0, got %d and %g", o->patience, o->min_delta);
    LT_CHECK(o->noise_factor >= 0.0 && isfinite(o->noise_factor), LT_ERR_ARG,
             "noise_factor must be >= 0, got %g", o->noise_factor);
    LT_CALL(lt_ae_check_width(ae, tr, ae->arch.widths[0], "the training data"));
    if (val) LT_CALL(lt_ae_check_width(ae, val, ae->arch.widths[0], "the validation data"));
    LT_CHECK(tr->n >= 1, LT_ERR_DATA, "the training data has no rows");
    LT_CHECK(o->batch_size >= 1 && o->batch_size <= tr->n, LT_ERR_ARG,
             "batch size must be in [1, %lld] (the training rows), got %lld", (long long)tr->n,
             (long long)o->batch_size);
    LT_CHECK(ae->step == 0 || ae->train_seed == o->seed, LT_ERR_ARG,
             "resuming inside an epoch needs the seed of that run (%llu), got %llu",
             (unsigned long long)ae->train_seed, (unsigned long long)o->seed);
    if (ae->arch.loss == LT_LOSS_BCE) {
        LT_CHECK(!bad_target(tr), LT_ERR_DATA,
                 "binary cross-entropy needs data in [0, 1]; the training data has values outside "
                 "(scale it, e.g. min-max, or use loss = mse)");
        LT_CHECK(!bad_target(val), LT_ERR_DATA,
                 "binary cross-entropy needs data in [0, 1]; the validation data has values outside");
    }
    return LT_OK;
}

static lt_status prepare_state(lt_ae *ae, const lt_train_opts *o)
{
    if (ae->state_kind == (int)o->optimizer) return LT_OK;
    free(ae->state);
    ae->state = lt_calloc((size_t)(nn_optim_nstate(o->optimizer) * ae->nparams), sizeof(float));
    ae->state_kind = ae->state ? (int)o->optimizer : -1;
    ae->opt_t = 0;
    return ae->state ? LT_OK : LT_ERR_MEM;
}

static void report(lt_epoch_cb cb, void *ctx, int kind, const lt_ae *ae, const lt_train_opts *o,
                   int64_t step, int64_t nsteps, double secs)
{
    if (!cb) return;
    lt_epoch_report r = {.kind = kind, .epoch = kind ? ae->epoch : ae->epoch + 1,
                         .epochs = o->epochs, .step = step, .nsteps = nsteps, .seconds = secs,
                         .train_loss = NAN, .val_loss = NAN, .samples_per_sec = NAN,
                         .comm_seconds = NAN};
    if (kind) {
        const lt_train_history *h = &ae->hist;
        r.train_loss = h->train_loss[h->n - 1];
        r.val_loss = h->val_loss[h->n - 1];
        r.seconds = h->seconds[h->n - 1];
        r.samples_per_sec = h->samples_per_sec[h->n - 1];
        r.comm_seconds = h->comm_seconds[h->n - 1];
    }
    cb(&r, ctx);
}

/* At a stop within an epoch: every rank's accumulators go into the model, so
 * that the checkpoint carries them. Collective (every rank stops at the same
 * step). */
static lt_status keep_partial(lt_comm *c, lt_ae *ae, const epoch_acc *acc, double seconds)
{
    free(ae->part.loss);
    ae->part.nranks = 0;
    ae->part.loss = lt_malloc(sizeof(double) * (size_t)lt_comm_size(c));
    LT_AGREE_ALLOC(c, ae->part.loss);
    LT_CALL(lt_comm_allgather(c, &acc->loss, sizeof acc->loss, ae->part.loss));
    double t[2] = {seconds, acc->comm};
    LT_CALL(lt_comm_max_d(c, t, 2));
    ae->part.nranks = lt_comm_size(c);
    ae->part.rows = (double)acc->rows;
    ae->part.l2 = acc->l2;
    ae->part.seconds = t[0];
    ae->part.comm = t[1];
    return LT_OK;
}

/* Resuming within an epoch: its accumulators as they were at the stop (this
 * rank's own loss sum on the same rank count, the total on rank 0 on
 * another). Returns the seconds the epoch had run. Not collective. */
static double restore_partial(const lt_comm *c, lt_ae *ae, epoch_acc *acc)
{
    double secs = 0.0;
    if (ae->step > 0 && ae->part.nranks > 0) {
        if (ae->part.nranks == lt_comm_size(c)) {
            acc->loss = ae->part.loss[lt_comm_rank(c)];
        } else if (lt_comm_rank(c) == 0) {
            for (int r = 0; r < ae->part.nranks; r++) acc->loss += ae->part.loss[r];
        }
        acc->rows = (int64_t)ae->part.rows;
        acc->l2 = ae->part.l2;
        acc->comm = ae->part.comm;
        secs = ae->part.seconds;
    }
    free(ae->part.loss);
    ae->part.loss = NULL;
    ae->part.nranks = 0;
    return secs;
}

/* One epoch from ae->step on; appends to the history. */
static lt_status run_epoch(lt_comm *c, lt_ae *ae, const lt_train_opts *o, plan *p,
                           const lt_dataset *tr, const lt_dataset *val, lt_epoch_cb cb, void *ctx)
{
    epoch_acc acc = {0};
    double t0 = lt_wtime() - restore_partial(c, ae, &acc);
    int e = ae->epoch;
    LT_CALL(shuffle_epoch(c, p, tr, o, e));
    for (int64_t s = ae->step; s < p->nb; s++) {
        LT_CALL(train_step(c, ae, o, p, e, s, &acc));
        ae->step = s + 1;
        report(cb, ctx, 0, ae, o, s + 1, p->nb, lt_wtime() - t0);
        if (acc.stop && s + 1 < p->nb) {
            LT_CALL(keep_partial(c, ae, &acc, lt_wtime() - t0));
            LT_FAIL(LT_ERR_INTERRUPTED, "training stopped on request at epoch %d, batch %lld of %lld",
                    e + 1, (long long)(s + 1), (long long)p->nb);
        }
    }
    double sums[1] = {acc.loss}, times[2] = {lt_wtime() - t0, acc.comm};
    LT_CALL(lt_comm_sum_d(c, sums, 1));
    LT_CALL(lt_comm_max_d(c, times, 2));
    double train = sums[0] / ((double)acc.rows * (double)p->d) + acc.l2 / (double)acc.rows;
    double vl = NAN;
    if (val) LT_CALL(lt_ae_evaluate(c, ae, val, &vl));
    ae->epoch = e + 1;
    ae->step = 0;
    /* The history grows by doubling, which can fail on one rank: agreed. */
    LT_CALL(lt_comm_agree(
        c, nn_hist_push(&ae->hist, train, vl, times[0], (double)acc.rows / times[0], times[1])));
    report(cb, ctx, 1, ae, o, p->nb, p->nb, times[0]);
    LT_CHECK(!acc.stop || ae->epoch >= o->epochs, LT_ERR_INTERRUPTED,
             "training stopped on request at the end of epoch %d", ae->epoch);
    return LT_OK;
}

/* Flush-to-zero and denormals-are-zero for this thread while training (see
 * lt_train_opts.flush_denormals); returns the previous control word to
 * restore. A no-op off x86. */
static unsigned fp_flush_begin(int on)
{
#if LT_CPU_X86
    unsigned old = _mm_getcsr();
    if (on) _mm_setcsr(old | 0x8040u); /* FTZ (bit 15) | DAZ (bit 6) */
    return old;
#else
    (void)on;
    return 0;
#endif
}

static void fp_flush_end(unsigned old)
{
#if LT_CPU_X86
    _mm_setcsr(old);
#else
    (void)old;
#endif
}

lt_status lt_ae_fit(lt_comm *c, lt_ae *ae, const lt_train_opts *o, const lt_dataset *train,
                    const lt_dataset *val, lt_epoch_cb cb, void *cb_ctx)
{
    LT_CALL(lt_comm_agree(c, check_fit(ae, o, train, val)));
    if (o->optimizer == LT_OPT_LBFGS) {
        unsigned fp = fp_flush_begin(o->flush_denormals);
        lt_status st = nn_fit_lbfgs(c, ae, o, train, val, cb, cb_ctx);
        fp_flush_end(fp);
        return st;
    }
    LT_CALL(lt_comm_agree(c, prepare_state(ae, o)));
    plan p;
    LT_CALL(plan_alloc(c, &p, train, o->batch_size, o->noise_factor > 0.0));
    lt_status st = lt_comm_agree(c, nn_workspace(ae, p.sB > 0 ? p.sB : 1));
    ae->train_seed = o->seed;
    unsigned fp_mode = fp_flush_begin(o->flush_denormals);
    double best = INFINITY;
    int wait = 0;
    while (st == LT_OK && ae->epoch < o->epochs) {
        LT_CALL_GOTO(st, run_epoch(c, ae, o, &p, train, val, cb, cb_ctx), done);
        if (o->patience > 0) {
            int i = ae->hist.n - 1;
            double v = val ? ae->hist.val_loss[i] : ae->hist.train_loss[i];
            if (v < best - o->min_delta) {
                best = v;
                wait = 0;
            } else if (++wait >= o->patience) {
                break;
            }
        }
    }
done:
    fp_flush_end(fp_mode);
    plan_free(&p);
    return st;
}
