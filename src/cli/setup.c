#include <math.h>
#include <cjson/cJSON.h>
#include <hdf5.h>
#include <plplot/plplot.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "latent/lt_petsc.h"
#include "latent/lt_blas.h"
#include "latent/lt_cpu.h"
#include "latent/lt_log.h"

char *openblas_get_config(void);

/* OpenBLAS's own description, plus the kernels when latent chose them. */
static const char *blas_version(void)
{
    static char v[256];
    const char *detected = lt_blas_detected_core();
    if (!detected) return openblas_get_config();
    snprintf(v, sizeof v, "%s (kernels %s chosen by latent: OpenBLAS detected %s, see docs/user-guide.md)",
             openblas_get_config(), lt_blas_core(), detected);
    return v;
}

int lt_cli_versions(lt_version *v, int cap)
{
    static char mpi[256], hdf5[32], plv[80], isa[64], petsc[128];
    int n = 0;
    lt_comm_library_version(mpi, sizeof mpi);
    unsigned maj = 0, min = 0, rel = 0;
    H5get_libversion(&maj, &min, &rel);
    snprintf(hdf5, sizeof hdf5, "%u.%u.%u (parallel)", maj, min, rel);
    plgver(plv);
    snprintf(isa, sizeof isa, "%s (CPU offers %s; LATENT_ISA lowers it)", lt_isa_name(lt_cpu_level()),
             lt_isa_name(lt_cpu_hardware_level()));
    const lt_version all[] = {{"latent", LATENT_VERSION}, {"MPI", mpi}, {"BLAS", blas_version()},
                              {"ScaLAPACK", LT_SCALAPACK_VERSION " (scalapack-openmpi)"}, {"HDF5", hdf5},
                              {"inih", LT_INIH_VERSION}, {"cJSON", cJSON_Version()}, {"PLplot", plv},
                              {"kernels", isa}, {"PETSc", petsc}};
    lt_petsc_version(petsc, sizeof petsc);
    if (!petsc[0]) snprintf(petsc, sizeof petsc, "not built in (LATENT_WITH_PETSC)");
    for (size_t i = 0; i < sizeof all / sizeof all[0] && n < cap; i++) v[n++] = all[i];
    return n;
}

void lt_cli_print_versions(const lt_comm *c, FILE *f)
{
    if (lt_comm_rank(c) != 0) return;
    lt_version v[16];
    int n = lt_cli_versions(v, 16);
    fprintf(f, "latent %s, %d ranks\n", LATENT_VERSION, lt_comm_size(c));
    for (int i = 1; i < n; i++) fprintf(f, "  %s: %s\n", v[i].name, v[i].version);
}

lt_status lt_cli_setup(lt_cli *cli, lt_config *cfg)
{
    LT_CALL(lt_config_load(cli->comm, cli->deck, cli->argc, cli->argv, cfg));
    if (cli->force) cfg->output.force = 1;
    if (lt_comm_rank(cli->comm) == 0) {
        lt_cli_print_versions(cli->comm, stdout);
        printf("\ninput deck: %s\n--- effective configuration ---\n", cli->deck ? cli->deck : "(none)");
        lt_config_print(cfg, stdout);
        printf("-------------------------------\n\n");
        fflush(stdout);
    }
    return LT_OK;
}

void lt_log_mse(const lt_comm *c, const char *what, double train, double test)
{
    if (isnan(test))
        lt_log(c, "%s: reconstruction MSE train %.6g (no test rows)\n", what, train);
    else
        lt_log(c, "%s: reconstruction MSE train %.6g, test %.6g\n", what, train, test);
}
