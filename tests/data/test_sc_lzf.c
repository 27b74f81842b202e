/* lzf-compressed .h5ad (h5py's filter 32000) with plugin loading switched
 * off, as on a machine without hdf5-plugin-lzf: the message says what to
 * install. Its own program because HDF5 keeps a plugin once it is loaded. */
#include <hdf5.h>

#include "sc_testutil.h"

START_TEST(lzf_without_plugin_names_the_package)
{
    char p[512];
    lt_test_fixture(p, sizeof p, "sc/fmt_lzf.h5ad");
    lt_scdata *s = NULL;
    unsigned state = 0;
    ck_assert_int_ge(H5PLget_loading_state(&state), 0);
    ck_assert_int_ge(H5PLset_loading_state(0), 0);
    IO_EXPECT(lt_h5ad_read(lt_test_comm(), p, NULL, &s), LT_ERR_FORMAT,
              "'data' is compressed with lzf (h5py's filter 32000), which this HDF5 cannot "
              "decode: install Debian's hdf5-plugin-lzf");
    ck_assert_ptr_null(s);
    ck_assert_int_ge(H5PLset_loading_state(state), 0);
    /* With loading back on, the installed plugin (if any) reads it. */
    if (!io_exists("/usr/lib/x86_64-linux-gnu/hdf5/openmpi/plugins/liblzf_filter.so")) return;
    LT_ASSERT_OK(lt_h5ad_read(lt_test_comm(), p, NULL, &s));
    lt_dataset *truth = sc_truth("sc/counts.npy");
    ck_assert(sc_same_rows(s->x, truth, 1.0f));
    lt_dataset_destroy(&truth);
    lt_scdata_destroy(&s);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("sc_lzf");
    TCase *t = tcase_create("lzf");
    tcase_add_test(t, lzf_without_plugin_names_the_package);
    suite_add_tcase(s, t);
    return s;
}

int main(int argc, char **argv) { return lt_test_main(suite, argc, argv); }
