/* `latent run`: the pipeline of the deck. Reads as the list of stages. */
#include "cli.h"
#include "latent/lt_log.h"

lt_status lt_cmd_run(lt_cli *cli)
{
    /* Until the analysis stages land, `run` is the data pipeline of `generate`. */
    return lt_cmd_generate(cli);
}
