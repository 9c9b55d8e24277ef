/* data_internal.h - private to src/data: the pieces data_load (load.c)
 * puts together.
 *
 *   data_table_load (split.c)   idx, csv and image folders: read the sources,
 *                               name the classes, carve the splits by ratio
 *   data_text_load (text.c)     text: tokenize, build the vocabulary, carve
 * Both leave a half-built bundle for data_load to free on failure.  Carving
 * is shared: the same rounding rule and the same split construction. */
#ifndef DLC_DATA_INTERNAL_H
#define DLC_DATA_INTERNAL_H

#include "data.h"

#include <zlib.h>

/* Opens path for reading: a gzip stream (by its magic, 1f 8b, whatever its
 * name) in *g for the caller to inflate and gzclose_r, else the file read
 * whole into *text and *len (*g NULL; at most DLC_DATA_MAX bytes, the
 * caller frees it).  Errors name the path (EINPUT). */
dlc_status data_gz_open(const char *path, gzFile *g, char **text, size_t *len, dlc_error *err);
/* zlib's message for g without the "<fd:N>: " it puts first (a stream
 * opened by gzdopen); *errnum (may be NULL) its code, Z_BUF_ERROR for a
 * stream cut short. */
const char *data_gz_msg(gzFile g, int *errnum);
/* The first bytes of path, at most max, inflated when it is gzip-compressed
 * (a CSV file's header, read without the rest): into *text (NUL-terminated
 * past *len; the caller frees it).  Errors name the path (EINPUT). */
dlc_status data_read_start(const char *path, size_t max, char **text, size_t *len, dlc_error *err);

/* The files a config reads, in this order (data_bundle.src). */
enum { SRC_TRAIN, SRC_DEV, SRC_TEST, SRC_COUNT };

/* data_image_load, giving the file's own (channels, height, width) in *own
 * too: image folders and detection data count the images they convert. */
dlc_status data_image_load_noting(const char *path, long max_pixels, const tensor_shape *shape,
                                  uint8_t *out, tensor_shape *own, dlc_error *err);

/* How many of n units a split of fraction f takes: nearest to n * f, at
 * least 1 when f > 0, at most n. */
long data_split_count(long n, double f);

/* s = rows (n) of ds, copied (rows NULL: 0 .. n-1) and sorted when `sort`;
 * frees what s held before.  ENOMEM. */
dlc_status data_split_rows(data_split *s, const dataset *ds, const int *rows, int n, int sort,
                           dlc_error *err);

/* Reads the files of a table format (cfg's train, dev and test) into
 * b->src[], names the classes and lays out the heads' targets; applies
 * data.subset when `subset`.  b->heads[] name the heads and their modes. */
dlc_status data_table_read(data_bundle *b, const data_config *cfg, uint64_t seed, int subset,
                           dlc_error *err);
/* The feature columns a CSV file is read by: data.features, else the
 * columns of the first file read (first: NULL while reading it; borrowed).
 * So dev and test files, and every source after the first, are read by
 * name: the same columns in another order (a file from another tool) feed
 * the model its features in the right places, extra columns are ignored and
 * a missing one is an error naming it. */
const dlc_strlist *data_csv_features(const data_config *cfg, const dataset *first);
/* The order class ids follow when names come from the data (csv.c): numbers
 * by value ("2" before "10") before other strings, those by strcmp.  remap
 * (names->n) gets old id -> new id; sorted receives the names in order. */
/* After the splits are drawn: data.missing mean's fill, then the input
 * normalization, both fitted on the train split (b->norm). */
dlc_status data_fit_inputs(data_bundle *b, const data_config *cfg, dlc_error *err);
dlc_status data_label_order(const dlc_strlist *names, int *remap, dlc_strlist *sorted, dlc_error *err);
/* data.subset on every file of b (per_class: the train file's). */
dlc_status data_subset_apply(data_bundle *b, const data_config *cfg, uint64_t seed, dlc_error *err);
/* data.sources: every source read, combined into one dataset (b->src[0]) with
 * each example's source, and carved by the sources' use: fractions. */
dlc_status data_sources_load(data_bundle *b, const data_config *cfg, uint64_t seed, dlc_error *err);

/* b->heads[] name the heads and their target modes (set by data_load). */
dlc_status data_table_load(data_bundle *b, const data_config *cfg, uint64_t seed, dlc_error *err);
dlc_status data_text_load(data_bundle *b, const data_config *cfg, uint64_t seed, dlc_error *err);
/* data.sources of format text: each source's file read and tokenized, carved
 * by its use: shares (a language model's tokens in order, examples shuffled
 * with the source's name), the vocabulary from the training mix, and one
 * dataset of every source's sequences with each row's source (text.c). */
dlc_status data_text_sources_load(data_bundle *b, const data_config *cfg, uint64_t seed,
                                  dlc_error *err);

/* ---- metric learning (sampler.c) ---- */

/* *pool (n, owned by the caller): the train file's rows that dev and
 * train-dev are carved from and train keeps: the train classes' (every row
 * without data.class_split).  Errors name the key and its line. */
dlc_status data_class_pool(data_bundle *b, const data_config *cfg, int **pool, int *n,
                           dlc_error *err);
/* After carving: test (and dev, when dev classes are named) become the
 * held-out classes' examples. */
dlc_status data_class_splits(data_bundle *b, const data_config *cfg, dlc_error *err);
/* After the normalization is fitted: pairs, or the checks of P x K batches. */
dlc_status data_sampler_setup(data_bundle *b, const data_config *cfg, uint64_t seed,
                              dlc_error *err);
void data_sampler_free(data_bundle *b);
/* data_plan for a triplets sampler: batches of P classes x K examples. */
int data_plan_pk(const data_bundle *b, const data_split *s, dlc_rng *rng, int *order, int *starts);

#endif
