/* Single-stage commands: placeholders until implemented. */
#include "cli.h"

#define NOT_YET(name) \
    lt_status lt_cmd_##name(lt_cli *cli) { (void)cli; LT_FAIL(LT_ERR_ARG, "`latent " #name "` is not implemented yet"); }
NOT_YET(pca)
NOT_YET(train)
NOT_YET(encode)
NOT_YET(decode)
NOT_YET(kmeans)
NOT_YET(score)
