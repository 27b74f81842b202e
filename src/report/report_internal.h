/* Private to src/report: shared between its files, not part of the API. */
#ifndef LT_REPORT_INTERNAL_H
#define LT_REPORT_INTERNAL_H

#include <cjson/cJSON.h>

/* The metrics handle wraps the root JSON object. */
struct lt_metrics {
    cJSON *root;
};

#endif
