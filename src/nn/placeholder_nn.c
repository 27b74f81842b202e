/* placeholder until the nn module lands; removed by it */
typedef int lt_placeholder_nn;
