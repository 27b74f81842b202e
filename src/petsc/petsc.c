/* PETSc/SLEPc life cycle on latent's communicator, and PETSc errors as
 * latent errors (include/latent/lt_petsc.h). */
#include "petsc_impl.h"

#include <stdio.h>
#include <string.h>

#include "latent/lt_comm_mpi.h"

/* PETSc is process-wide state: whether latent initialised it and on which
 * communicator is process-wide too. Touched only by init and finalize. */
static struct {
    int initialised;
    MPI_Comm comm;
} lt_petsc_state;

/* The error handler PETSc calls at every frame of an error: the first one
 * (PETSC_ERROR_INITIAL) becomes latent's error record, later frames its
 * trace. Returning n makes PetscCall return it: nothing aborts or prints. */
static PetscErrorCode record_error(MPI_Comm comm, int line, const char *func, const char *file,
                                   PetscErrorCode n, PetscErrorType p, const char *mess,
                                   void *ctx)
{
    (void)comm, (void)ctx;
    if (p == PETSC_ERROR_INITIAL) {
        const char *text = NULL;
        PetscErrorMessage(n, &text, NULL);
        int has_mess = mess && mess[0] && strcmp(mess, " ");
        lt_error_raise(LT_ERR_LIB, file, line, "PETSc error %d (%s)%s%s in %s", (int)n,
                       text ? text : "unknown", has_mess ? ": " : "", has_mess ? mess : "",
                       func ? func : "?");
    } else {
        lt_error_trace(file, line, func ? func : "?");
    }
    return n;
}

lt_status lt_petsc_status(int e, const char *file, int line, const char *expr)
{
    if (!e) return LT_OK;
    /* A code returned without PetscError (none so far) still gets a message. */
    if (lt_error_code() != LT_ERR_LIB)
        lt_error_raise(LT_ERR_LIB, file, line, "PETSc error %d in %s", (int)e, expr);
    else
        lt_error_trace(file, line, expr);
    return LT_ERR_LIB;
}

static lt_status init_once(lt_comm *c)
{
    PETSC_COMM_WORLD = lt_comm_handle(c);
    /* Before PetscInitialize, so PETSc never installs its signal handler:
       it would catch SIGSEGV before ASan and SIGTERM/SIGUSR1 before
       latent's checkpoint handler, and popping it resets them to SIG_DFL. */
    PetscErrorCode e = PetscOptionsSetValue(NULL, "-no_signal_handler", "true");
    if (!e) e = SlepcInitializeNoArguments();
    if (e) LT_FAIL(LT_ERR_LIB, "PETSc/SLEPc initialisation failed (error %d)", (int)e);
    e = PetscPushErrorHandler(record_error, NULL);
    if (e) LT_FAIL(LT_ERR_LIB, "PetscPushErrorHandler failed (error %d)", (int)e);
    lt_petsc_state.initialised = 1;
    lt_petsc_state.comm = lt_comm_handle(c);
    return LT_OK;
}

lt_status lt_petsc_init(lt_comm *c)
{
    if (lt_petsc_state.initialised) {
        int same = lt_petsc_state.comm == lt_comm_handle(c);
        LT_CHECK(same, LT_ERR_ARG, "PETSc is already initialised on another communicator");
        return LT_OK;
    }
    PetscBool before = PETSC_FALSE;
    PetscInitialized(&before);
    lt_status st = before ? lt_error_raise(LT_ERR_ARG, __FILE__, __LINE__,
                                           "PETSc was initialised outside latent")
                          : init_once(c);
    return lt_comm_agree(c, st);
}

void lt_petsc_finalize(void)
{
    if (!lt_petsc_state.initialised) return;
    PetscPopErrorHandler();
    SlepcFinalize();
    lt_petsc_state.initialised = 0;
}

lt_status lt_petsc_require(const char *what)
{
    LT_CHECK(lt_petsc_state.initialised, LT_ERR_INTERNAL,
             "%s: PETSc is built in but not initialised (lt_petsc_init)", what);
    return LT_OK;
}

void lt_petsc_version(char *buf, size_t cap)
{
    snprintf(buf, cap, "PETSc %d.%d.%d, SLEPc %d.%d.%d", PETSC_VERSION_MAJOR, PETSC_VERSION_MINOR,
             PETSC_VERSION_SUBMINOR, SLEPC_VERSION_MAJOR, SLEPC_VERSION_MINOR,
             SLEPC_VERSION_SUBMINOR);
}
