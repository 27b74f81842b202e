/* The comparison table: aligned columns, NaN as "-", notes, sections. */
#include "lt_test.h"
#include "latent/lt_report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

START_TEST(formats_numbers)
{
    char b[32];
    lt_table_format(NAN, b, sizeof b);
    ck_assert_str_eq(b, "-");
    lt_table_format(0.61234, b, sizeof b);
    ck_assert_str_eq(b, "0.6123");
    lt_table_format(123456.78, b, sizeof b);
    ck_assert_str_eq(b, "123456.8");
    lt_table_format(1.5e-5, b, sizeof b);
    ck_assert_str_eq(b, "1.500e-05");
    lt_table_format(0, b, sizeof b);
    ck_assert_str_eq(b, "0");
    lt_table_format(-INFINITY, b, sizeof b);
    ck_assert_str_eq(b, "-inf");
}
END_TEST

START_TEST(prints_aligned_columns)
{
    lt_table *t = NULL;
    LT_ASSERT_OK(lt_table_create("PCA vs autoencoder (seed000)", "PCA", "autoencoder", &t));
    LT_ASSERT_OK(lt_table_add(t, "reconstruction MSE (test)", 0.0213, 0.00412, NULL));
    LT_ASSERT_OK(lt_table_add(t, "silhouette, k-means labels", 0.4412, 0.5981,
                              "latent space, exact"));
    LT_ASSERT_OK(lt_table_add(t, "ARI vs true labels", 0.24, NAN, "autoencoder not scored"));
    LT_ASSERT_OK(lt_table_add_section(t, "time per stage (s, max over ranks)"));
    LT_ASSERT_OK(lt_table_add(t, "  fit", 0.12, 3.5, NULL));
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    LT_ASSERT_OK(lt_table_print(t, f));
    fclose(f);
    /* Every value line puts its PCA column's last character at the same place. */
    const char *want[] = {"0.0213", "0.4412", "0.2400", "0.1200"};
    long end = -1;
    for (int i = 0; i < 4; i++) {
        const char *p = strstr(buf, want[i]);
        ck_assert_ptr_nonnull(p);
        const char *line = p;
        while (line > buf && line[-1] != '\n') line--;
        long e = (long)(p - line) + 6;
        if (end < 0) end = e;
        ck_assert_int_eq(e, end);
    }
    ck_assert_ptr_nonnull(strstr(buf, "0.2400  "));
    ck_assert_ptr_nonnull(strstr(buf, "-  autoencoder not scored"));
    ck_assert_ptr_nonnull(strstr(buf, "latent space, exact"));
    ck_assert_ptr_nonnull(strstr(buf, "\ntime per stage (s, max over ranks)\n"));
    ck_assert_ptr_nonnull(strstr(buf, "PCA vs autoencoder (seed000)\n---"));
    ck_assert_ptr_null(strstr(buf, "nan"));
    free(buf);
    lt_table_destroy(&t);
    ck_assert_ptr_null(t);
    lt_table_destroy(NULL);
}
END_TEST

START_TEST(print_errors_are_reported)
{
    lt_table *t = NULL;
    LT_ASSERT_OK(lt_table_create(NULL, NULL, NULL, &t));
    LT_ASSERT_OK(lt_table_add(t, "x", 1, 2, NULL));
    ck_assert_int_eq(lt_table_print(t, NULL), LT_ERR_ARG);
    FILE *f = fopen("/dev/full", "w");
    if (f) {
        ck_assert_int_eq(lt_table_print(t, f), LT_ERR_IO);
        fclose(f);
    }
    lt_error_clear();
    lt_table_destroy(&t);
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("report_table");
    TCase *t = tcase_create("table");
    tcase_add_test(t, formats_numbers);
    tcase_add_test(t, prints_aligned_columns);
    tcase_add_test(t, print_errors_are_reported);
    suite_add_tcase(s, t);
    return s;
}

int main(int argc, char **argv) { return lt_test_main(make, argc, argv); }
