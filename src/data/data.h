/* data.h - datasets: readers, splits, normalization and batches.
 *
 * A data_source names files (IDX images + labels, or one CSV file).  Readers
 * turn a source into a dataset: n examples, each `dim` input values of
 * per-example shape `shape`, stored compactly (uint8 for IDX images, float
 * for CSV), and `n_targets` float targets (NaN = unknown label).
 *
 * data_load reads the configured sources and makes the splits: train, dev and
 * test come from separate files or are carved by ratio from the train file
 * with the run's seed; an optional train-dev split is carved from train (same
 * distribution, never trained on).  A split is a list of row indices into one
 * dataset: nothing is copied.  Normalization statistics come from the train
 * split only and are applied, unchanged, to every split and to predictions,
 * as x' = (x - shift) * scale per input value.
 */
#ifndef DLC_DATA_H
#define DLC_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "../base/error.h"
#include "../base/rng.h"
#include "../base/util.h"
#include "../tensor/tensor.h"

typedef enum { DATA_IDX, DATA_CSV, DATA_IMAGE_FOLDER, DATA_FORMAT_COUNT } data_format;
extern const char *const data_format_names[DATA_FORMAT_COUNT + 1];

typedef enum { NORM_NONE, NORM_STANDARD, NORM_MINMAX, NORM_COUNT } norm_kind;
extern const char *const data_norm_names[NORM_COUNT + 1];

/* How labels become targets; chosen by the loss. */
typedef enum {
    DATA_TARGET_CLASS,   /* one label column -> class id (softmax) */
    DATA_TARGET_BINARY,  /* one or more columns -> 0/1, empty = unknown (bce) */
    DATA_TARGET_NUMERIC  /* one or more numeric columns (mse) */
} data_target;

#define DATA_PATH_MAX 1024

typedef struct {
    char file[DATA_PATH_MAX];    /* csv */
    char images[DATA_PATH_MAX];  /* idx */
    char labels[DATA_PATH_MAX];  /* idx */
    char dir[DATA_PATH_MAX];     /* image_folder: one subfolder of images per class */
    long limit;                  /* read at most this many examples; 0 = all */
} data_source;

typedef struct {
    data_format format;
    data_source train, dev, test;   /* dev/test: all paths empty = none */
    dlc_strlist classes;            /* class names in id order; empty = from the data */
    dlc_strlist label;              /* csv: label column(s) by header name */
    dlc_strlist features;           /* csv: feature columns; empty = all non-label columns */
    double split_dev;               /* fractions carved from the train file */
    double split_test;
    double split_train_dev;
    norm_kind normalize;
    int bad_files;                  /* image_folder: DATA_BAD_FAIL or DATA_BAD_SKIP */
    tensor_shape image_shape;       /* image_folder: (C, H, W) to convert to; ndim 0 = the first image's */
    int hflip;                      /* augment (train only): random horizontal flips */
    int crop_pad;                   /* augment: zero-pad by this, then crop a random window back */
} data_config;

typedef enum { DATA_BAD_FAIL, DATA_BAD_SKIP, DATA_BAD_COUNT } data_bad_files;
extern const char *const data_bad_names[DATA_BAD_COUNT + 1];

typedef struct {
    char path[DATA_PATH_MAX];  /* for messages: the file examples came from */
    int n;                     /* examples */
    tensor_shape shape;        /* per example: (1, H, W) for IDX images, (D) for CSV */
    size_t dim;                /* values per example */
    uint8_t *u8;               /* (n, dim) raw bytes, or NULL */
    float *f32;                /* (n, dim) raw values, or NULL */
    int n_targets;
    float *targets;            /* (n, n_targets) */
} dataset;

typedef struct {
    const dataset *ds;  /* borrowed */
    int n;
    int *idx;           /* (n) rows of ds, owned */
} data_split;

typedef struct {
    norm_kind kind;
    size_t dim;
    float *shift;   /* (dim) */
    float *scale;   /* (dim) */
} data_norm;

typedef struct {
    dataset *src[3];            /* owned: train file, dev file, test file (NULL if absent) */
    data_split train, train_dev, dev, test;   /* n == 0 when absent */
    tensor_shape shape;
    size_t dim;
    int n_targets;
    dlc_strlist class_names;    /* classification and binary: in id order */
    data_norm norm;
    int skipped;                /* image_folder: unreadable files skipped (bad_files: skip) */
} data_bundle;

/* Reads sources, makes splits (seeded), fits normalization on train.  Errors
 * (EINPUT) name the file and what was wrong. */
dlc_status data_load(data_bundle *b, const data_config *cfg, data_target mode, uint64_t seed,
                     dlc_error *err);
void data_free(data_bundle *b);

/* Single readers (used by data_load, tests and fuzzers).  class_names: in for
 * known names (may be empty), out with names found (CSV class targets); may be
 * NULL.  features NULL or empty: every non-label column.  IDX files may be
 * gzip-compressed (detected by magic): images (n, H, W) -> (1, H, W),
 * (n, C, H, W) -> (C, H, W), (n, D) -> (D); unsigned bytes only. */
dlc_status data_read_idx(dataset **out, const char *images, const char *labels, long limit,
                         dlc_error *err);
dlc_status data_read_csv(dataset **out, const char *path, const dlc_strlist *label,
                         const dlc_strlist *features, data_target mode, dlc_strlist *class_names,
                         long limit, dlc_error *err);
/* Parses CSV text already in memory (path only names it in messages). */
dlc_status data_parse_csv(dataset **out, const char *path, const char *text, size_t len,
                          const dlc_strlist *label, const dlc_strlist *features, data_target mode,
                          dlc_strlist *class_names, long limit, dlc_error *err);
/* Parses IDX bytes already in memory (decompressed). */
dlc_status data_parse_idx(dataset **out, const char *images_name, const uint8_t *img, size_t img_len,
                          const char *labels_name, const uint8_t *lab, size_t lab_len, long limit,
                          dlc_error *err);
void data_dataset_free(dataset *d);

/* Normalization fitted on a split. */
dlc_status data_norm_fit(data_norm *nm, norm_kind kind, const data_split *train, dlc_error *err);
/* Identity normalization of dim values (for NORM_NONE and for loading). */
dlc_status data_norm_init(data_norm *nm, norm_kind kind, size_t dim, dlc_error *err);
void data_norm_free(data_norm *nm);
/* x (n, dim) in place */
void data_norm_apply(const data_norm *nm, float *x, size_t n);

/* Copies examples order[start .. start+count) of split s (order NULL: the
 * identity) into x (count, dim), normalized, and their targets into
 * t (count, n_targets).  nm NULL: raw values; t NULL: no targets. */
void data_gather(const data_split *s, const int *order, int start, int count,
                 const data_norm *nm, float *restrict x, float *restrict t);

/* data_gather with training-time augmentation of (C, H, W) examples: each
 * example is flipped left-right with probability 1/2 (hflip) and shifted by
 * a random (dy, dx) in [-crop_pad, crop_pad] with zeros filling in (a random
 * crop of the zero-padded image), then normalized.  Draws from rng. */
void data_gather_augment(const data_split *s, const int *order, int start, int count,
                         const data_norm *nm, int hflip, int crop_pad, dlc_rng *rng,
                         float *restrict x, float *restrict t);
/* 1 when the config asks for augmentation. */
int data_augments(const data_config *cfg);

/* ---- image files (image.c) ---- */
/* Decodes an image file (PNG, JPEG, BMP, GIF, ...) and converts it to
 * shape (C, H, W), C = 1 (gray, ITU-R 601 luma) or 3 (RGB) or 4: channels
 * are converted and the image resized (stb_image_resize) as needed.  Writes
 * C*H*W bytes, channel-major, into out.  Errors name the file. */
dlc_status data_image_load(const char *path, const tensor_shape *shape, uint8_t *out,
                           dlc_error *err);
/* The (C, H, W) of an image file as stored (C: 1 gray, 3 RGB; gray+alpha
 * counts as 1, RGBA as 3). */
dlc_status data_image_probe(const char *path, tensor_shape *shape, dlc_error *err);
/* 1 when the name ends in an image extension stb_image reads. */
int data_image_name(const char *name);
/* The image files of one folder (not its subfolders), as "dir/name",
 * sorted; hidden files skipped.  Appends to names. */
dlc_status data_list_images(const char *dir, dlc_strlist *names, dlc_error *err);
/* Reads a folder of class subfolders: classes from the sorted subfolder
 * names (in: known names, e.g. the train folder's, which a dev/test folder
 * must use; out: found).  shape: (C, H, W) to convert to; ndim 0 means the
 * first image's own shape (filled in).  bad: what to do with an unreadable
 * file; *skipped counts those skipped. */
dlc_status data_read_image_folder(dataset **out, const char *dir, tensor_shape *shape,
                                  dlc_strlist *class_names, int bad, long limit, int *skipped,
                                  dlc_error *err);

#endif
