/* Checkpoint files of autoencoder training (see checkpoint.c). */
#ifndef LT_CHECKPOINT_H
#define LT_CHECKPOINT_H

#include "latent/lt_config.h"
#include "latent/lt_nn.h"

/* "<[output] dir>.checkpoint". Not collective. */
void lt_ckpt_dir(const lt_config *cfg, char *buf, size_t cap);
/* Collective: rotates the previous checkpoint, writes model + checksum + config.ini. */
lt_status lt_ckpt_save(lt_comm *c, const lt_config *cfg, const lt_ae *ae);
/* Collective: a checkpoint of a model whose training has finished (a stop
   request came after training): a resume goes straight to the next stage. */
lt_status lt_ckpt_save_trained(lt_comm *c, const lt_config *cfg, const lt_ae *ae);
/* Collective: the newest checkpoint whose checksum holds (else the previous
   one); *trained says whether its training had finished. */
lt_status lt_ckpt_load(lt_comm *c, const lt_config *cfg, lt_ae **out, int *trained);

#endif
