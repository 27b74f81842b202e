/* Enum names from {name, value} tables (see lt_name.h). */
#include "latent/lt_name.h"

#include <stdio.h>
#include <string.h>

lt_status lt_name_parse(const lt_name *table, int n, const char *what, const char *name,
                        int *value)
{
    for (int i = 0; name && i < n; i++)
        if (strcmp(name, table[i].name) == 0) {
            *value = table[i].value;
            return LT_OK;
        }
    char list[256] = "";
    size_t used = 0;
    for (int i = 0; i < n && used < sizeof list; i++) {
        const char *sep = i == 0 ? "" : i == n - 1 ? " or " : ", ";
        used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", sep, table[i].name);
    }
    LT_FAIL(LT_ERR_ARG, "unknown %s '%s' (expected %s)", what, name ? name : "", list);
}

const char *lt_name_of(const lt_name *table, int n, int value)
{
    for (int i = 0; i < n; i++)
        if (table[i].value == value) return table[i].name;
    return "?";
}
