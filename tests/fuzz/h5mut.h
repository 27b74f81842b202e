/* HDF5 inputs for the fuzz harnesses, two ways: the input's bytes as the
 * file (the library's parser and whatever survives it), or a recipe of up
 * to 8 edits applied to a valid base file through the library: delete an
 * object or attribute, recreate it with another type (8 numeric, fixed and
 * variable strings), rank (0-3) and dimensions (small, or 2^16 .. 2^62),
 * set one or every value to an extreme (0, -1, 2^31, NaN, Inf, 1e30, ...),
 * add an attribute a reader looks for, or rename an object. */
#ifndef LT_FUZZ_H5MUT_H
#define LT_FUZZ_H5MUT_H

#include <stddef.h>
#include <stdint.h>

/* Applies the recipe to the file at path (opened read-write). LT_FUZZ_TRACE=1
 * prints each edit to stderr (to read a finding). */
int lt_fuzz_h5_apply(const char *path, const uint8_t *recipe, size_t size);
int lt_fuzz_copy(const char *from, const char *to);



/* The HDF5 file of one input, at lt_fuzz_path(name): with raw, the bytes
 * themselves; else a copy of base with the bytes as recipe. NULL if it
 * cannot be written. The returned path stays valid until the next call. */
const char *lt_fuzz_h5_file(const char *name, const char *base, int raw, const uint8_t *data,
                            size_t size);
#endif
