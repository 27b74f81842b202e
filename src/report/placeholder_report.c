/* placeholder until the report module lands; removed by it */
typedef int lt_placeholder_report;
