/* Names of enum values, table-driven: one {name, value} table per enum
 * serves both directions (parse and print). A value may have several names
 * (aliases); the first one is the one printed. Not collective.
 *
 * The rule for unknown names: library functions return LT_ERR_ARG (a bad
 * argument); where a name comes from the input deck, the caller turns that
 * into LT_ERR_CONFIG naming the key (lt_error_in_key, lt_error.h). */
#ifndef LT_NAME_H
#define LT_NAME_H

#include "lt_error.h"

typedef struct lt_name {
    const char *name;
    int value;
} lt_name;

/* The table and its length, for a static array: lt_name_parse(LT_NAMES(t), ...). */
#define LT_NAMES(table) (table), (int)(sizeof(table) / sizeof *(table))

/* *value = the value named `name` in table[0 .. n). Otherwise LT_ERR_ARG,
 * "unknown WHAT 'name' (expected a, b or c)", and *value unchanged. */
lt_status lt_name_parse(const lt_name *table, int n, const char *what, const char *name,
                        int *value);
/* The first name of `value`, or "?" if the table has none. */
const char *lt_name_of(const lt_name *table, int n, int value);

/* Defines an enum's parser from its table (at file scope, after the table):
 *   lt_status PARSE(const char *name, TYPE *out)  -- lt_name_parse's rule.
 * LT_NAME_FUNCTIONS adds the printer  const char *NAME(TYPE v)  (lt_name_of).
 * One definition for every enum, so each behaves and fails the same way. */
#define LT_NAME_PARSER(type, parse, table, what)                 \
    lt_status parse(const char *name, type *out)                 \
    {                                                            \
        int v_ = 0;                                              \
        LT_CALL(lt_name_parse(LT_NAMES(table), what, name, &v_)); \
        *out = (type)v_;                                         \
        return LT_OK;                                            \
    }
#define LT_NAME_FUNCTIONS(type, namefn, parse, table, what)                            \
    const char *namefn(type v) { return lt_name_of(LT_NAMES(table), (int)v); }         \
    LT_NAME_PARSER(type, parse, table, what)

#endif
