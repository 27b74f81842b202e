#include <cjson/cJSON.h>
#include <hdf5.h>
#include <plplot/plplot.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "latent/lt_log.h"

char *openblas_get_config(void);

void lt_cli_print_versions(const lt_comm *c, FILE *f)
{
    if (c->rank != 0) return;
    char mpi[MPI_MAX_LIBRARY_VERSION_STRING] = "", plv[80] = "";
    int len = 0;
    MPI_Get_library_version(mpi, &len);
    char *nl = strchr(mpi, '\n');
    if (nl) *nl = '\0';
    char *comma = strchr(mpi, ',');
    if (comma) *comma = '\0';
    unsigned maj = 0, min = 0, rel = 0;
    H5get_libversion(&maj, &min, &rel);
    plgver(plv);
    fprintf(f, "latent %s\n  MPI: %s (%d ranks)\n  BLAS: %s\n  ScaLAPACK: %s (scalapack-openmpi)\n"
               "  HDF5: %u.%u.%u (parallel)\n  inih: %s\n  cJSON: %s\n  PLplot: %s\n",
            LATENT_VERSION, mpi, c->size, openblas_get_config(), LT_SCALAPACK_VERSION, maj, min, rel,
            LT_INIH_VERSION, cJSON_Version(), plv);
}

lt_status lt_cli_setup(lt_cli *cli, lt_config *cfg)
{
    LT_CALL(lt_config_load(cli->comm, cli->deck, cli->argc, cli->argv, cfg));
    if (cli->force) cfg->output.force = 1;
    if (cli->comm->rank == 0) {
        lt_cli_print_versions(cli->comm, stdout);
        printf("\ninput deck: %s\n--- effective configuration ---\n", cli->deck ? cli->deck : "(none)");
        lt_config_print(cfg, stdout);
        printf("-------------------------------\n\n");
        fflush(stdout);
    }
    return LT_OK;
}
