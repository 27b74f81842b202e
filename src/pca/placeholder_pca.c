/* placeholder until the pca module lands; removed by it */
typedef int lt_placeholder_pca;
