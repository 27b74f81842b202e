/* Test helper: sets one value of a floating-point dataset of an HDF5 file
 * in place (for model files with NaN or infinite parameters, which latent
 * must refuse: tests/cli/nanmodel.sh). Not MPI. With --sum, FILE.sum is
 * rewritten as a checkpoint's (FNV-1a of the bytes, src/cli/checkpoint.c),
 * as for a checkpoint that a diverged run wrote whole.
 * Usage: h5poison [--sum] FILE DATASET INDEX VALUE   (VALUE: nan, inf, -inf, ...) */
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int write_sum(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    unsigned long long h = 1469598103934665603ull;
    int ch;
    while ((ch = fgetc(f)) != EOF) h = (h ^ (unsigned)ch) * 1099511628211ull;
    fclose(f);
    char p[4096];
    snprintf(p, sizeof p, "%s.sum", path);
    FILE *o = fopen(p, "w");
    int ok = o && fprintf(o, "%016llx\n", h) > 0;
    return o && fclose(o) == 0 && ok;
}

int main(int argc, char **argv)
{
    int sum = argc > 1 && !strcmp(argv[1], "--sum");
    argc -= sum, argv += sum;
    if (argc != 5) {
        fprintf(stderr, "usage: h5poison [--sum] FILE DATASET INDEX VALUE\n");
        return 2;
    }
    long long at = atoll(argv[3]);
    double v = strtod(argv[4], NULL);
    hid_t f = H5Fopen(argv[1], H5F_ACC_RDWR, H5P_DEFAULT);
    hid_t d = f >= 0 ? H5Dopen2(f, argv[2], H5P_DEFAULT) : -1;
    hid_t s = d >= 0 ? H5Dget_space(d) : -1;
    hssize_t n = s >= 0 ? H5Sget_simple_extent_npoints(s) : -1;
    double *buf = n > at && at >= 0 ? malloc(sizeof *buf * (size_t)n) : NULL;
    /* read and written as double: HDF5 converts to the stored float type */
    int ok = buf && H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0;
    if (ok) buf[at] = v;
    ok = ok && H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0;
    free(buf);
    if (s >= 0) H5Sclose(s);
    if (d >= 0) H5Dclose(d);
    if (f >= 0 && H5Fclose(f) < 0) ok = 0;
    if (ok && sum) ok = write_sum(argv[1]);
    if (!ok) fprintf(stderr, "h5poison: cannot set %s[%lld] in %s\n", argv[2], at, argv[1]);
    return ok ? 0 : 1;
}
