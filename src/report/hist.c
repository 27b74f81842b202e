/* Histograms reduced across ranks (counts are exact integers, so the result
 * does not depend on the rank count). */
#include "latent/lt_plot.h"

#include <math.h>
#include <stdlib.h>

lt_status lt_range_f(lt_comm *c, const float *vals, int64_t nloc, int positive_only, double *lo,
                     double *hi)
{
    double mm[2] = {INFINITY, INFINITY}; /* min, -max: one reduction */
    for (int64_t i = 0; i < nloc; i++) {
        double v = vals[i];
        if (!isfinite(v) || (positive_only && v <= 0)) continue;
        if (v < mm[0]) mm[0] = v;
        if (-v < mm[1]) mm[1] = -v;
    }
    LT_CALL(lt_comm_min_d(c, mm, 2));
    *lo = isfinite(mm[0]) ? mm[0] : NAN;
    *hi = isfinite(mm[1]) ? -mm[1] : NAN;
    return LT_OK;
}

void lt_hist_destroy(lt_hist **h)
{
    if (!h || !*h) return;
    free((*h)->counts);
    free(*h);
    *h = NULL;
}

static lt_status check_args(int nbins, double lo, double hi, int log_bins)
{
    LT_CHECK(nbins >= 1 && nbins <= 100000, LT_ERR_ARG, "histogram bins %d not in [1, 100000]",
             nbins);
    if (lo < hi) {
        LT_CHECK(isfinite(lo) && isfinite(hi), LT_ERR_ARG, "histogram range must be finite");
        LT_CHECK(!log_bins || lo > 0, LT_ERR_ARG,
                 "logarithmic histogram needs a positive lower edge (got %g)", lo);
    }
    return LT_OK;
}

/* numpy's rule: a constant sample gets the range [v - 0.5, v + 0.5]; for log
 * bins a factor of 2 each side instead; no data gives [0, 1] ([1, 10]). */
static void auto_range(double *lo, double *hi, int log_bins)
{
    if (isnan(*lo)) {
        *lo = log_bins ? 1 : 0;
        *hi = log_bins ? 10 : 1;
    } else if (*lo == *hi) {
        *lo = log_bins ? *lo / 2 : *lo - 0.5;
        *hi = log_bins ? *hi * 2 : *hi + 0.5;
    }
}

static int bin_of(const lt_hist *h, double v)
{
    double t = h->log_bins ? (log(v) - log(h->lo)) / (log(h->hi) - log(h->lo))
                           : (v - h->lo) / (h->hi - h->lo);
    int b = (int)(t * h->nbins);
    return b < 0 ? 0 : b >= h->nbins ? h->nbins - 1 : b;
}

lt_status lt_histogram(lt_comm *c, const float *vals, int64_t nloc, int nbins, double lo,
                       double hi, int log_bins, lt_hist **out)
{
    *out = NULL;
    LT_CALL(lt_comm_agree(c, check_args(nbins, lo, hi, log_bins)));
    if (!(lo < hi)) {
        LT_CALL(lt_range_f(c, vals, nloc, log_bins, &lo, &hi));
        auto_range(&lo, &hi, log_bins);
    }
    lt_hist *h = lt_calloc(1, sizeof *h);
    int64_t *cnt = lt_calloc((size_t)nbins + 4, sizeof *cnt);
    lt_status st = lt_comm_agree(c, h && cnt ? LT_OK : LT_ERR_MEM);
    if (st != LT_OK) {
        free(h);
        free(cnt);
        return st;
    }
    *h = (lt_hist){.nbins = nbins, .log_bins = log_bins, .lo = lo, .hi = hi, .counts = cnt};
    int64_t *extra = cnt + nbins; /* below, above, nonfinite, binned: reduced with the bins */
    for (int64_t i = 0; i < nloc; i++) {
        double v = vals[i];
        if (!isfinite(v)) extra[2]++;
        else if (v < lo || (log_bins && v <= 0)) extra[0]++;
        else if (v > hi) extra[1]++;
        else cnt[bin_of(h, v)]++, extra[3]++;
    }
    st = lt_comm_sum_i64(c, cnt, nbins + 4);
    if (st != LT_OK) {
        lt_hist_destroy(&h);
        return st;
    }
    h->below = extra[0];
    h->above = extra[1];
    h->nonfinite = extra[2];
    h->n = extra[3];
    *out = h;
    return LT_OK;
}
