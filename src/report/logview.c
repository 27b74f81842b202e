/* The event table in the manner of PETSc's -log_view: what ran, how often,
 * how long on the slowest rank, how balanced, how much was communication. */
#include <stdio.h>

#include "latent/lt_report.h"

static void print_row(FILE *out, const lt_timing_summary *ts, int e)
{
    double w = ts->wall_max[e], mn = ts->wall_min[e];
    double share = ts->total_wall_max > 0 ? 100.0 * w / ts->total_wall_max : 0.0;
    fprintf(out, "%-16s %8lld %11.4g %6.2f %6.1f%% %11.4g %11.4g", lt_event_name(e),
            (long long)ts->count_max[e], w, mn > 0 ? w / mn : 1.0, share, ts->comm_max[e],
            (double)ts->bytes_total[e]);
    if (ts->flops_total[e] > 0 && w > 0)
        fprintf(out, " %9.2f\n", 1e-9 * ts->flops_total[e] / w);
    else
        fprintf(out, " %9s\n", "-");
}

lt_status lt_timing_print(const lt_timing_summary *ts, FILE *out)
{
    LT_CHECK(ts && out, LT_ERR_ARG, "lt_timing_print: NULL argument");
    fprintf(out, "\nevent log (%d ranks; time and MPI time of the slowest rank, "
                 "ratio max/min over ranks, bytes and flops summed over ranks)\n",
            ts->nranks);
    fprintf(out, "%-16s %8s %11s %6s %7s %11s %11s %9s\n", "event", "count", "time (s)",
            "ratio", "total", "mpi (s)", "bytes", "GFLOP/s");
    fprintf(out, "-- stages\n");
    for (int e = 0; e < LT_STAGE_COUNT; e++)
        if (ts->wall_max[e] > 0) print_row(out, ts, e);
    fprintf(out, "-- kernel events (inside the stages)\n");
    for (int e = LT_STAGE_COUNT; e < LT_EV_COUNT; e++)
        if (ts->count_max[e] > 0) print_row(out, ts, e);
    fprintf(out, "total %.4g s\n", ts->total_wall_max);
    LT_CHECK(!ferror(out), LT_ERR_IO, "event log: write failed");
    return LT_OK;
}
