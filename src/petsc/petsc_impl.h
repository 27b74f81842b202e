/* Private to src/petsc: PETSc calls inside latent's error idiom. */
#ifndef LT_PETSC_IMPL_H
#define LT_PETSC_IMPL_H

#include <petscsys.h>
#include <slepcsys.h>

#include "latent/lt_petsc.h"


/* A PETSc call inside a function that cleans up at `label`. */
#define LT_PETSC_GOTO(st, expr, label)                                     \
    do {                                                                   \
        PetscErrorCode lt_pe_ = (expr);                                    \
        if (lt_pe_) {                                                      \
            (st) = lt_petsc_status(lt_pe_, __FILE__, __LINE__, #expr);     \
            goto label;                                                    \
        }                                                                  \
    } while (0)

#endif
