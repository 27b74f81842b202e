/* placeholder until the config module lands; removed by it */
typedef int lt_placeholder_config;
