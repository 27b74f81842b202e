/* Choosing OpenBLAS's kernels before anything else runs.
 *
 * Debian 12's OpenBLAS (0.3.21, built with DYNAMIC_ARCH) picks its kernels
 * from the CPU's model number when the library loads. CPUs released after it
 * (Emerald Rapids, model 207, is one) are not in its table and get the
 * generic "Prescott" kernels: SGEMM at 27 instead of 190 GFLOP/s on one core.
 * OPENBLAS_CORETYPE overrides the choice, but is read only at load time, so
 * lt_blas_select_kernels re-executes the program once with it set. */
#ifndef LT_BLAS_H
#define LT_BLAS_H

/* Call first in main, before MPI_Init (exec keeps the PID and the
 * environment through which mpirun or srun reaches the rank). Returns only
 * when no re-execution is needed or it failed; then the program goes on with
 * the kernels it has. Does nothing when OPENBLAS_CORETYPE or
 * LATENT_BLAS_KEEP is set, or when OpenBLAS recognised the CPU. */
void lt_blas_select_kernels(char **argv);

/* The kernels in use, and what OpenBLAS had picked by itself when latent
 * chose them (NULL otherwise), for the version report. */
const char *lt_blas_core(void);
const char *lt_blas_detected_core(void);

#endif
