/* Enum names from {name, value} tables (lt_name.h) and the deck rule for
 * unknown names (lt_error_in_key). */
#include "lt_test.h"
#include "latent/lt_name.h"

#include <string.h>

enum { RED = 3, GREEN = 5, BLUE = 9 };
static const lt_name colors[] = {{"red", RED}, {"green", GREEN}, {"blue", BLUE}, {"rouge", RED}};

/* The functions every enum's name pair is defined by (LT_NAME_FUNCTIONS). */
typedef enum { SMALL = 1, LARGE = 2 } size_kind;
static const lt_name size_names[] = {{"small", SMALL}, {"large", LARGE}, {"big", LARGE}};
LT_NAME_FUNCTIONS(size_kind, size_name, size_parse, size_names, "size")

START_TEST(names_parse_both_ways_with_aliases)
{
    int v = -1;
    LT_ASSERT_OK(lt_name_parse(LT_NAMES(colors), "color", "green", &v));
    ck_assert_int_eq(v, GREEN);
    LT_ASSERT_OK(lt_name_parse(LT_NAMES(colors), "color", "rouge", &v));
    ck_assert_int_eq(v, RED);
    ck_assert_str_eq(lt_name_of(LT_NAMES(colors), RED), "red"); /* the first name */
    ck_assert_str_eq(lt_name_of(LT_NAMES(colors), BLUE), "blue");
    ck_assert_str_eq(lt_name_of(LT_NAMES(colors), 4), "?");
}
END_TEST

START_TEST(unknown_names_are_bad_arguments_listing_the_choices)
{
    const char *bad[] = {"Red", "", "red ", "gree", NULL};
    for (int i = 0; i < 5; i++) {
        int v = 77;
        ck_assert_int_eq(lt_name_parse(LT_NAMES(colors), "color", bad[i], &v), LT_ERR_ARG);
        ck_assert_int_eq(v, 77);
        ck_assert_int_eq(lt_error_code(), LT_ERR_ARG);
        ck_assert_ptr_nonnull(strstr(lt_error_message(), "(expected red, green, blue or rouge)"));
    }
    int v = 0;
    lt_name_parse(LT_NAMES(colors), "color", "mauve", &v);
    ck_assert_str_eq(lt_error_message(), "unknown color 'mauve' (expected red, green, blue or rouge)");
    /* One choice: no "or". */
    lt_name_parse(colors, 1, "color", "mauve", &v);
    ck_assert_str_eq(lt_error_message(), "unknown color 'mauve' (expected red)");
    lt_error_clear();
}
END_TEST

START_TEST(name_functions_defined_from_a_table)
{
    size_kind k = SMALL;
    LT_ASSERT_OK(size_parse("big", &k));
    ck_assert_int_eq(k, LARGE);
    ck_assert_str_eq(size_name(k), "large");
    ck_assert_str_eq(size_name((size_kind)7), "?");
    ck_assert_int_eq(size_parse("huge", &k), LT_ERR_ARG);
    ck_assert_int_eq(k, LARGE); /* unchanged */
    ck_assert_str_eq(lt_error_message(), "unknown size 'huge' (expected small, large or big)");
    lt_error_clear();
}
END_TEST

START_TEST(deck_values_turn_bad_arguments_into_config_errors)
{
    int v = 0;
    lt_status st = lt_name_parse(LT_NAMES(colors), "color", "mauve", &v);
    ck_assert_int_eq(lt_error_in_key(st, "[paint] color"), LT_ERR_CONFIG);
    ck_assert_int_eq(lt_error_code(), LT_ERR_CONFIG);
    ck_assert_str_eq(lt_error_message(),
                     "[paint] color: unknown color 'mauve' (expected red, green, blue or rouge)");
    ck_assert_ptr_nonnull(strstr(lt_error_traceback(), "name.c"));
    /* Other failures, and success, pass through untouched. */
    lt_error_raise(LT_ERR_IO, __FILE__, __LINE__, "disk full");
    ck_assert_int_eq(lt_error_in_key(LT_ERR_IO, "[paint] color"), LT_ERR_IO);
    ck_assert_str_eq(lt_error_message(), "disk full");
    ck_assert_int_eq(lt_error_in_key(LT_OK, "[paint] color"), LT_OK);
    lt_error_clear();
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("name");
    TCase *t = tcase_create("name");
    tcase_add_test(t, names_parse_both_ways_with_aliases);
    tcase_add_test(t, unknown_names_are_bad_arguments_listing_the_choices);
    tcase_add_test(t, name_functions_defined_from_a_table);
    tcase_add_test(t, deck_values_turn_bad_arguments_into_config_errors);
    suite_add_tcase(s, t);
    return s;
}

int main(int argc, char **argv) { return lt_test_main(make, argc, argv); }
