/* Called by lt_mpi_finalize (comm.c) just before MPI_Finalize. Under
 * AddressSanitizer it pins every loaded library: MPI_Finalize dlcloses the
 * Open MPI and PMIx components, and LeakSanitizer's check at exit then met
 * their leaked allocations with stacks into unmapped code, re-reading
 * /proc/self/maps for each such frame (0.5 s of system time per process;
 * docs/design.md, "Tests"). Pinned, the components stay mapped: their
 * globals are scanned as roots and their frames get module names, which
 * the suppressions match on. */
#define _GNU_SOURCE /* dl_iterate_phdr, RTLD_NODELETE */
#include "pin.h"

#if defined(__SANITIZE_ADDRESS__)
#define LT_PIN_LIBRARIES 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LT_PIN_LIBRARIES 1
#endif
#endif

#ifdef LT_PIN_LIBRARIES
#include <dlfcn.h>
#include <link.h>

enum { MAX_PINNED = 1024 };
struct lib_names { const char *name[MAX_PINNED]; int n; };

static int collect_name(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    struct lib_names *l = data;
    if (info->dlpi_name && info->dlpi_name[0] && l->n < MAX_PINNED) l->name[l->n++] = info->dlpi_name;
    return 0;
}

/* dlopen outside dl_iterate_phdr's callback: it holds the loader's lock.
 * The handles are never closed, on purpose. */
void lt_pin_loaded_libraries(void)
{
    static struct lib_names l;
    l.n = 0;
    dl_iterate_phdr(collect_name, &l);
    for (int i = 0; i < l.n; i++) (void)dlopen(l.name[i], RTLD_LAZY | RTLD_NOLOAD | RTLD_NODELETE);
}
#else
void lt_pin_loaded_libraries(void) {}
#endif
