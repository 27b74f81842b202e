/* placeholder until the cluster module lands; removed by it */
typedef int lt_placeholder_cluster;
