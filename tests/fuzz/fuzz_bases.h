/* Valid files made once per process by latent's own writers, the bases of
 * the HDF5 recipes (h5mut.h). They live next to the inputs as "base.*",
 * which lt_fuzz_clean keeps. */
#ifndef LT_FUZZ_BASES_H
#define LT_FUZZ_BASES_H

/* A dataset file (lt_h5_write): "X" 7 x 3 floats and "y" labels. */
const char *lt_fuzz_base_h5(void);
/* Autoencoder model files (lt_ae_save): 0 untrained 4-3-2-3-4 (sigmoid),
 * 1 trained two epochs with Adam (history, optimizer state), 2 stopped
 * after its first step with RMSprop (a partial epoch). */
const char *lt_fuzz_base_ae(int which);
/* A PCA model (lt_pca_save) of 20 x 4 rows, 2 components. */
const char *lt_fuzz_base_pca(void);
/* A committed fixture, $source/tests/fixtures/NAME. */
const char *lt_fuzz_fixture(const char *name);

#endif
