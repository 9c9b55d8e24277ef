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

typedef enum {
    DATA_IDX,
    DATA_CSV,
    DATA_IMAGE_FOLDER,
    DATA_TEXT,
    DATA_DETECTION,   /* darknet / YOLO labelled images (detect.c) */
    DATA_FORMAT_COUNT
} data_format;
extern const char *const data_format_names[DATA_FORMAT_COUNT + 1];

typedef enum { NORM_NONE, NORM_STANDARD, NORM_MINMAX, NORM_COUNT } norm_kind;
extern const char *const data_norm_names[NORM_COUNT + 1];

/* How labels become targets; chosen by the loss. */
typedef enum {
    DATA_TARGET_CLASS,   /* one label column -> class id (softmax) */
    DATA_TARGET_BINARY,  /* one or more columns -> 0/1, empty = unknown (bce) */
    DATA_TARGET_NUMERIC, /* one or more numeric columns (mse) */
    DATA_TARGET_OBJECTS, /* detection: the image's objects (class, box, landmarks) */
    /* or'd with CLASS or BINARY when class names are given (a trained
     * model's): an example whose label is not one of them is dropped and
     * counted in dataset.dropped, not an error naming its file and line */
    DATA_TARGET_SKIP_UNKNOWN = 0x100,
    /* or'd with CLASS when class names are given and the model compares
     * examples (an embedding): a label not among them is a new class (a new
     * identity), appended after them, as verification of unseen classes
     * needs */
    DATA_TARGET_NEW_CLASSES = 0x200
} data_target;

#define DATA_PATH_MAX 1024
#define DATA_MAX_HEADS 8   /* label groups, one per model head */
#define DATA_NAME_MAX 64

/* data.label: the label columns of one head (csv).  A plain list is one
 * group with the name "". */
typedef struct {
    char name[DATA_NAME_MAX];
    dlc_strlist columns;
} data_label_group;

typedef struct {
    char file[DATA_PATH_MAX];    /* csv */
    char images[DATA_PATH_MAX];  /* idx */
    char labels[DATA_PATH_MAX];  /* idx; detection: the folder of label files ("" = dir) */
    char dir[DATA_PATH_MAX];     /* image_folder: one subfolder of images per class;
                                  * detection: the images (and their label files) */
    long limit;                  /* read at most this many examples; 0 = all */
} data_source;

/* ---- text (src/data/text.c) ----
 * format text reads UTF-8 files for one of three tasks:
 *   lm        a corpus (a file, or every regular file of a folder in name
 *             order): the token stream cut into sequences of seq_len; the
 *             targets are the next tokens, the classes the vocabulary
 *   tag       one token and its tag per line separated by white space (the
 *             last field is the tag), a blank line between sentences;
 *             sentences longer than seq_len are cut into pieces
 *   classify  a CSV or TSV file with a header: the text in `column`, the class
 *             in data.label; texts are cut to seq_len tokens
 *   bilm      a corpus, each non-blank line an example (cut into pieces of
 *             seq_len): two targets per token, the next token of the piece
 *             (targets 0..T-1) and the previous one (T..2T-1), -1 where there
 *             is none; for an ELMo-style bidirectional language model whose
 *             forward and backward stacks share one softmax (their outputs
 *             joined along time); the classes are the vocabulary
 * Tokens are `chars` (Unicode characters) or `words` (separated by white
 * space; in an lm each line end is the token <eos>).  The vocabulary comes
 * from the train split: <pad> (id 0, padding), <unk> (id 1: every token seen
 * fewer than min_count times, or beyond max_vocab, or not in train), then
 * <eos> for a word lm, then tokens by falling count (ties in byte order).
 * Inputs are token ids (as floats), padded with 0; targets at padding are -1.
 * Splits carved by ratio are taken in file order for lm and tag (train, then
 * train-dev, dev and test at the end: neighbours must not leak across) and
 * drawn with the seed for classify. */
typedef enum { TEXT_LM, TEXT_TAG, TEXT_CLASSIFY, TEXT_BILM, TEXT_TASK_COUNT } text_task;
typedef enum { TEXT_CHARS, TEXT_WORDS, TEXT_UNIT_COUNT } text_unit;
extern const char *const data_text_task_names[TEXT_TASK_COUNT + 1];
extern const char *const data_text_unit_names[TEXT_UNIT_COUNT + 1];

#define TEXT_PAD 0   /* vocabulary ids of the special tokens */
#define TEXT_UNK 1

typedef struct {
    text_task task;
    text_unit unit;
    int seq_len;           /* lm: tokens per sequence; tag, classify: at most, per example */
    int min_count;         /* train tokens seen fewer times become <unk> */
    int max_vocab;         /* 0: no limit (specials included) */
    int lowercase;         /* ASCII letters */
    int split_punctuation; /* words: ASCII punctuation at a word's start or end is a token of
                            * its own ("cat." is "cat" "."), as tokenized corpora write it */
    int stateful;          /* lm: the state carries from batch to batch (and in evaluation) */
    int chars;             /* tag, words: C > 0 gives each step the word id and its first C
                            * bytes as ids 1..256 (byte + 1, 0 = none): inputs (T, 1 + C),
                            * for a word_chars layer */
    char column[128];      /* classify: the text column */
    const dlc_strlist *vocab;  /* borrowed: a trained model's vocabulary; NULL: build from train */
} data_text_config;

/* ---- detection (src/data/detect.c) ----
 * format detection reads darknet / YOLO labels: a folder of images and, for
 * each, a text file of the same name ending in .txt (beside it, or in the
 * source's `labels` folder) with one line per object,
 *     class cx cy w h [x_1 y_1 ... x_K y_K]
 * (a class id from 0, the box centre and size and K landmark points as
 * fractions of the image's width and height).  An image without a label
 * file has no objects.  Each example's targets are `max_objects` object
 * slots laid out as detect.h says (class, cx, cy, w, h, landmarks; class -1
 * in an unused slot).  Class names come from a names file (one per line) or
 * data.classes. */
#define DATA_MAX_LANDMARKS 32
typedef struct {
    char names[DATA_PATH_MAX];      /* the class names file ("" = data.classes) */
    int landmarks;                  /* K points per object */
    int max_objects;                /* object slots per image */
    int n_flip;                     /* flip_index: 0 = no landmark swaps */
    int flip[DATA_MAX_LANDMARKS];   /* after a horizontal flip, landmark k is the one at flip[k]
                                     * (Ultralytics' flip_idx): left and right swap */
} data_detection_config;

/* ---- metric learning: samplers and held-out classes (src/data/sampler.c) ----
 * data.sampler shapes the batches of a metric-learning run:
 *   pairs     every example of a split is stacked with a partner, of its own
 *             class with probability positive_fraction, else of another: one
 *             input holds both (channels (2C, H, W), or (2D) for rows) and
 *             its target is 1 (same class) or 0.  The train split's partners
 *             are drawn anew each epoch (data_epoch); dev and test pairs are
 *             drawn once, with the seed.
 *   triplets  batches of P classes x K examples (classes_per_batch,
 *             per_class), as FaceNet: a triplet loss mines its triplets
 *             inside each batch (`mining`, which the loss reads).
 * data.class_split holds classes out of training: train keeps the train
 * classes only; dev (carved from the train file, or its own file) keeps the
 * dev classes when given, else the train classes; test keeps the test
 * classes (from the test file, else every train-file example of them). */
typedef enum { DATA_SAMPLER_NONE, DATA_SAMPLER_PAIRS, DATA_SAMPLER_TRIPLETS, DATA_SAMPLER_COUNT } data_sampler_kind;
extern const char *const data_sampler_names[DATA_SAMPLER_COUNT + 1];

typedef struct {
    data_sampler_kind kind;
    int classes_per_batch;       /* P */
    int per_class;               /* K */
    double positive_fraction;    /* pairs: the share of same-class pairs */
    int mining;                  /* triplets: loss_mining, read by the triplet loss */
    char where[128];             /* "file.yaml:12" of data.sampler, for messages; may be "" */
} data_sampler;

enum { DATA_CLASS_TRAIN, DATA_CLASS_DEV, DATA_CLASS_TEST, DATA_CLASS_SPLITS };
/* data.sources: one named source of examples and the share of it each split
 * takes (training on another domain, with dev and test from the target). */
#define DATA_MAX_SOURCES 8
typedef enum { DATA_DOMAIN_IN, DATA_DOMAIN_OUT, DATA_DOMAIN_COUNT } data_domain;
extern const char *const data_domain_names[DATA_DOMAIN_COUNT + 1];
typedef struct {
    char name[DATA_NAME_MAX];
    data_format format;             /* default: data.format */
    data_source files;              /* its files, as data.train names them */
    double use_train, use_dev, use_test;   /* fractions of its examples per split (sum <= 1) */
    data_domain domain;             /* out: another domain, for training only */
    double weight;                  /* sampling weight of its examples in the training mix */
} data_source_spec;

/* One random transform of augmentation: applied with probability p, its
 * strength drawn uniformly from [lo, hi]. */
typedef struct {
    double p, lo, hi;
} data_aug_range;

/* Training-time augmentation of image examples (C, H, W), on raw 0..255
 * values before normalization.  The photometric transforms imitate another
 * camera (the notes' artificial data synthesis) and may be limited to some
 * data.sources. */
typedef struct {
    int hflip;                 /* random horizontal flips */
    int crop_pad;              /* zero-pad by this, then crop a random window back */
    data_aug_range rotate;     /* degrees, bilinear, zeros outside */
    data_aug_range blur;       /* Gaussian blur, sigma in pixels */
    data_aug_range contrast;   /* (x - mean) * factor + mean, per channel */
    data_aug_range brightness; /* + a shift in 0..255 units */
    data_aug_range noise;      /* + Gaussian noise of this sigma (0..255 units) */
    data_aug_range jpeg;       /* 8x8 DCT quantized at this JPEG quality (1-100) */
    dlc_strlist sources;       /* only examples of these sources (empty: every example) */
} data_augment;

typedef struct {
    data_format format;
    data_source train, dev, test;   /* dev/test: all paths empty = none */
    data_sampler sampler;
    dlc_strlist class_split[DATA_CLASS_SPLITS];   /* class names (or ids) per split; empty = not split */
    char class_split_where[DATA_CLASS_SPLITS][128]; /* "file.yaml:12" of each list, for messages */
    int n_sources;                  /* data.sources (then train/dev/test are empty) */
    data_source_spec sources[DATA_MAX_SOURCES];
    int allow_ood_eval;             /* dev/test may take out-of-domain sources */
    dlc_strlist classes;            /* class names in id order; empty = from the data */
    int n_labels;                   /* csv: label column(s) by header name, per head */
    data_label_group labels[DATA_MAX_HEADS];
    dlc_strlist unknown_label;      /* label texts that mean "unknown" (binary, numeric targets) */
    dlc_strlist features;           /* csv: feature columns; empty = all non-label columns */
    dlc_strlist exclude;            /* csv: columns left out of that "all" (pandas' drop(columns=)) */
    int missing;                    /* csv: a missing feature value (empty, NA, ...): DATA_MISSING_* */
    int separator;                  /* csv: DATA_SEP_* (data.separator) */
    int decimal;                    /* csv: DATA_DECIMAL_* (data.decimal) */
    dlc_strlist categorical;        /* csv: feature columns one-hot encoded, or the one word auto
                                     * (every feature column holding a value that is not a number) */
    dlc_strlist subset_classes;     /* keep only these classes (by name), numbered in this order */
    int subset_per_class;           /* at most this many train-file examples per class; 0 = all */
    int balance;                    /* DATA_BALANCE_*: how an epoch draws the train split */
    int normalize_targets;          /* 1: an mse output learns its targets standardized (the model
                                     * gives them back in their units; model.tshift) */
    double split_dev;               /* fractions carved from the train file */
    double split_test;
    int test_replaces;              /* dlc eval: a test source given with split.test > 0: the
                                     * carved test rows stay out of every split (train and dev
                                     * are as trained) and the source is the test split */
    double split_train_dev;
    norm_kind normalize;
    int bad_files;                  /* image_folder, detection: DATA_BAD_FAIL or DATA_BAD_SKIP */
    long max_image_pixels;          /* image files: larger ones are refused (0: the default) */
    tensor_shape image_shape;       /* image_folder: (C, H, W) to convert to; ndim 0 = the first image's */
    int skip_unknown_labels;        /* with classes given: drop (and count) examples of other labels */
    int new_classes;                /* with classes given: other labels are new classes, appended
                                     * (dlc eval of an embedding: new identities) */
    data_augment augment;           /* training only */
    data_text_config text;
    data_detection_config detection;
} data_config;

typedef enum { DATA_BAD_FAIL, DATA_BAD_SKIP, DATA_BAD_COUNT } data_bad_files;
extern const char *const data_bad_names[DATA_BAD_COUNT + 1];
/* data.missing: a CSV feature value that is missing is an error, its row is left out, or
 * it is the train split's mean of the column (fitted on train like the normalization) */
typedef enum { DATA_MISSING_ERROR, DATA_MISSING_DROP, DATA_MISSING_MEAN, DATA_MISSING_COUNT } data_missing;
/* data.balance: an epoch is the train split shuffled, or as many draws with
 * replacement, every class equally likely (oversampling the rare ones) */
typedef enum { DATA_BALANCE_NONE, DATA_BALANCE_CLASSES, DATA_BALANCE_COUNT } data_balance;
extern const char *const data_balance_names[DATA_BALANCE_COUNT + 1];
extern const char *const data_target_norm_names[3]; /* "none", "standard" */
extern const char *const data_missing_names[DATA_MISSING_COUNT + 1];
/* data.separator: auto (a comma; a tab for a .tsv/.tab file or a header of
 * tabs without commas; ';' or '|' when the header has no comma or tab and
 * the next line as many of them; whitespace when the header has none of
 * these and splits at blanks into as many fields as the next line), or the
 * one given; "\t" is "tab" too, and comma, semicolon and pipe name theirs
 * (--set data.separator=, is not YAML); whitespace: runs of spaces and tabs
 * (pandas' sep=r"\s+", numpy's loadtxt), a dialect's sep ' ' */
typedef enum { DATA_SEP_AUTO, DATA_SEP_COMMA, DATA_SEP_SEMICOLON, DATA_SEP_TAB, DATA_SEP_PIPE,
               DATA_SEP_TAB_CHAR, DATA_SEP_COMMA_WORD, DATA_SEP_SEMICOLON_WORD, DATA_SEP_PIPE_WORD,
               DATA_SEP_WHITESPACE, DATA_SEP_COUNT } data_separator;
extern const char *const data_separator_names[DATA_SEP_COUNT + 1];
/* data.decimal: what comes before a number's decimals, '.' or ',' (pandas' decimal) */
typedef enum { DATA_DECIMAL_POINT, DATA_DECIMAL_COMMA, DATA_DECIMAL_POINT_WORD,
               DATA_DECIMAL_COMMA_WORD, DATA_DECIMAL_COUNT } data_decimal;
extern const char *const data_decimal_names[DATA_DECIMAL_COUNT + 1];
/* How a CSV file is written: its separator (0: auto, as data.separator) and
 * decimal mark ('.' or ','; 0 is '.').  A NULL dialect is {0, '.'}. */
typedef struct {
    char sep;
    char decimal;
} data_csv_dialect;

typedef struct {
    char path[DATA_PATH_MAX];  /* for messages: the file examples came from */
    int n;                     /* examples */
    tensor_shape shape;        /* per example: (1, H, W) for IDX images, (D) for CSV */
    size_t dim;                /* values per example */
    uint8_t *u8;               /* (n, dim) raw bytes, or NULL */
    float *f32;                /* (n, dim) raw values, or NULL */
    int n_targets;
    float *targets;            /* (n, n_targets) */
    dlc_strlist columns;       /* csv: the feature columns' names, in order (else empty); a one-hot
                                * feature of a categorical column is "COLUMN=VALUE" (1 when the
                                * column holds VALUE, else 0) */
    dlc_strlist categorical;   /* csv: the columns one-hot encoded, with their category counts
                                * ("color (3)"), for the note at load (train only) */
    int unseen_values;         /* csv: cells of a categorical column holding a value the train file
                                * lacks (all of its one-hot features 0) */
    int unseen_line;           /* the first one's line */
    int unseen_source;         /* data.sources: the source it is in (the first source's
                                * categories are the model's) */
    int missing_rows;          /* csv, data.missing drop: rows left out for a missing feature value */
    int missing_values;        /* csv, data.missing mean: missing feature values (NaN in f32 until
                                * data_table_load fills them) */
    int missing_line;          /* the first one's line (either) */
    char missing_column[64];   /* and its column */
    char unseen_example[96];   /* "color: purple" */
    uint8_t *source;           /* (n) data.sources: each example's source; NULL: one source */
    int *row;                  /* (n) each example's data row in the file it came from (0-based,
                                * a CSV header not counted), where rows were left out (data.missing:
                                * drop, limit, subset) or files joined (data.sources); NULL: example
                                * i is row i.  data_file_row reads it */
    dlc_strlist texts;         /* text classifiers: (n) each example's text as its file writes it
                                * (the error sample shows it; the tokens show what the model read) */
    dlc_strlist files;         /* image folders: (n) each example's file, relative to its folder
                                * ("class/name.png"), which the error sample names; else empty */
    int dropped;               /* examples dropped: label not among the given classes */
    int dropped_line;          /* the first one's line (CSV) or example number (IDX) */
    int resized, recoloured;   /* image folders, detection: images of another size, or other channels
                                * (gray for RGB, RGB for gray), converted to shape */
    int stray;                 /* image folders: image files beside the class folders (unread) */
    int limited_from;          /* csv: the file's rows before `limit` drew n of them; 0: all kept */
    char separator;            /* csv: ';' or '|' when data.separator auto found it, else 0 */
    int unnamed_index;         /* csv: the first column had no name (pandas' index) and is not read */
    /* detection: targets are `objects` slots of detect_obj_stride(landmarks)
     * values, which augmentation moves with the pixels (after a flip,
     * landmark k is the one at flip[k]; n_flip 0 = none); objects 0 for
     * other data */
    int objects, landmarks, n_flip;
    int flip[DATA_MAX_LANDMARKS];
} dataset;

/* The four splits, in the order reports list them.  train-dev is carved from
 * train (same distribution, never trained on); see data_load. */
typedef enum {
    DATA_SPLIT_TRAIN,
    DATA_SPLIT_TRAIN_DEV,
    DATA_SPLIT_DEV,
    DATA_SPLIT_TEST,
    DATA_SPLIT_COUNT
} data_split_kind;
extern const char *const data_split_names[DATA_SPLIT_COUNT + 1]; /* "train", "train_dev", "dev", "test" */

typedef struct {
    const dataset *ds;  /* borrowed */
    int n;
    int *idx;           /* (n * stack) rows of ds, owned */
    int stack;          /* examples per input: 1, or 2 for pairs (example k stacks rows
                         * idx[2k] and idx[2k+1]; its target is 1 when their classes agree) */
} data_split;

/* What one model head asks of the data: the label group it reads (data.label
 * key; "" = the data's only labels) and how labels become its targets. */
typedef struct {
    char name[DATA_NAME_MAX];
    data_target mode;
} data_target_spec;

/* The targets of one head in a loaded bundle. */
typedef struct {
    char name[DATA_NAME_MAX];   /* as asked */
    data_target mode;
    int offset, count;          /* its targets within an example's target row */
    dlc_strlist class_names;    /* CLASS and BINARY: class names in id order; for BINARY with
                                 * several columns, see `columns` */
    dlc_strlist columns;        /* csv: its label columns (task names of a multi-label head) */
} data_head;

typedef struct {
    norm_kind kind;
    size_t dim;
    float *shift;   /* (dim) */
    float *scale;   /* (dim) */
    float *fill;    /* (dim) data.missing mean: the raw value a missing one stands for (the train
                     * split's mean; NaN where none was missing in training), or NULL */
} data_norm;

typedef struct {
    dataset *src[3];            /* owned: train file, dev file, test file (NULL if absent) */
    data_split split[DATA_SPLIT_COUNT];   /* by data_split_kind; n == 0 when absent */
    tensor_shape shape;
    size_t dim;
    int n_targets;              /* every head's targets, in head order */
    int n_heads;
    data_head heads[DATA_MAX_HEADS];
    /* data.sources: their names, how many examples each split took from each,
     * and (when the weights differ) each example's weight in the training mix */
    int n_sources;
    dlc_strlist source_names;
    int source_count[DATA_SPLIT_COUNT][DATA_MAX_SOURCES];
    float *weight;              /* (n of src[0]) or NULL */
    data_norm norm;
    int skipped;                /* image_folder: unreadable files skipped (bad_files: skip) */
    dlc_strlist skipped_files;  /* their messages ("path: why"), skipped in all */
    int unknown_labels;         /* examples dropped by skip_unknown_labels, over every file */
    /* format text: the vocabulary (token by id), the task, and tokens per split
     * (train, train-dev, dev, test; lm: targets, i.e. predicted tokens) */
    int text;
    text_task text_task;
    text_unit text_unit;
    int stateful;
    dlc_strlist vocab;
    long text_tokens[DATA_SPLIT_COUNT];
    long text_unk, text_counted; /* the train part's tokens read as <unk> (rarer than
                                  * min_count, past max_vocab), of all it has */
    /* metric learning (sampler.c) */
    data_sampler sampler;
    int stack;                  /* examples per model input: 2 for pairs, else 1 */
    tensor_shape example_shape; /* one example's shape (shape is the stacked input's) */
    data_split single[DATA_SPLIT_COUNT];  /* pairs: the examples each split's pairs are drawn from */
    dlc_strlist class_names;    /* pairs: the data's classes (heads[0] names different / same) */
    uint64_t seed;
} data_bundle;

/* 1 when the source names any file. */
int data_source_given(const data_source *s);

/* Reads sources, makes splits (seeded), fits normalization on train, for the
 * heads `want` (n_want of them, in the order their targets are laid out).
 * Errors (EINPUT) name the file and what was wrong: a head whose label group
 * the data lacks names the head and data.label. */
dlc_status data_load_heads(data_bundle *b, const data_config *cfg, const data_target_spec *want,
                           int n_want, uint64_t seed, dlc_error *err);
/* The same for one head reading the data's only labels. */
dlc_status data_load(data_bundle *b, const data_config *cfg, data_target mode, uint64_t seed,
                     dlc_error *err);
void data_free(data_bundle *b);

/* What a person should know of loaded data before training on it, one
 * message each ("note: ..." or "warning: ..."), appended to out: image
 * files beside an image folder's class folders (not read); images
 * resized or converted to the input's shape (input_given: model.input was
 * set, else the first image's shape was taken); classes of the only output
 * that no train example has (an empty class folder, a gap in IDX label
 * values; not with data.class_split, which holds classes out on purpose);
 * CSV class labels that are all numbers, many or not whole (a value to
 * predict read as classes), or mostly different from row to row (an id
 * column as the label); a CSV feature column that counts the rows; a CSV
 * file's unnamed first column (pandas' index) left out.  ENOMEM only. */
/* For the error "one class only": " (its only class folder 'x' holds
 * folders ...: are they the classes? ...)" when the train image folder's
 * one class folder holds subfolders (a folder wrapped once more, as an
 * archive unpacks), else "". */
void data_one_class_hint(const data_config *cfg, char *buf, size_t size);
dlc_status data_notes(const data_bundle *b, const data_config *cfg, int input_given,
                      dlc_strlist *out, dlc_error *err);
/* A 64-bit digest of every example's values and targets, of every file (16
 * hex digits into hex[17]): a checkpoint keeps it, so that resuming on data
 * that changed since is said. */
void data_fingerprint(const data_bundle *b, char hex[17]);

/* Single readers (used by data_load, tests and fuzzers).  class_names: in for
 * known names (may be empty), out with names found (CSV class targets); may be
 * NULL.  features NULL or empty: every non-label column.  IDX files may be
 * gzip-compressed (detected by magic): images (n, H, W) -> (1, H, W),
 * (n, C, H, W) -> (C, H, W), (n, D) -> (D); unsigned bytes only. */
dlc_status data_read_idx(dataset **out, const char *images, const char *labels, long limit,
                         dlc_error *err);
/* One group of CSV label columns: read as `mode`; class_names in: known
 * names (may be empty), out: the names found (CLASS, BINARY; may be NULL). */
typedef struct {
    const char *name;             /* for messages ("" or NULL: unnamed) */
    const dlc_strlist *columns;   /* borrowed */
    data_target mode;
    dlc_strlist *class_names;
} data_csv_targets;
/* Groups of label columns, their targets laid out in group order; unknown:
 * the texts that mean an unknown binary or numeric label (NULL: the empty
 * binary label). */
/* categorical (NULL or empty: none): columns to one-hot encode, or the one
 * word auto (data.categorical); the train file's only: the dev and test
 * files are read by its features (dataset.columns), one-hot ones included. */
dlc_status data_read_csv_groups(dataset **out, const char *path, const data_csv_dialect *d,
                                const data_csv_targets *groups,
                                int n_groups, const dlc_strlist *features,
                                const dlc_strlist *categorical, const dlc_strlist *unknown,
                                data_missing missing, long limit, dlc_error *err);
/* data_read_csv_groups on text in memory (fuzzers, tests). */
dlc_status data_parse_csv_table(dataset **out, const char *path, const char *text, size_t len,
                                const data_csv_dialect *d, const data_csv_targets *groups, int n_groups,
                                const dlc_strlist *features, const dlc_strlist *categorical,
                                const dlc_strlist *unknown, data_missing missing, long limit,
                                dlc_error *err);
dlc_status data_parse_csv_groups(dataset **out, const char *path, const char *text, size_t len,
                                 const data_csv_dialect *d, const data_csv_targets *groups, int n_groups,
                                 const dlc_strlist *features, const dlc_strlist *unknown,
                                 data_missing missing, long limit, dlc_error *err);
/* 1 when s is what pandas reads as a missing value (its na_values: "", NaN, NA,
 * null, ...) or "?" (UCI's files) */
int data_is_missing(const char *s);
/* One group (unknown: NULL). */
dlc_status data_read_csv(dataset **out, const char *path, const dlc_strlist *label,
                         const dlc_strlist *features, data_target mode, dlc_strlist *class_names,
                         long limit, dlc_error *err);
/* Parses CSV text already in memory (path only names it in messages). */
dlc_status data_parse_csv(dataset **out, const char *path, const char *text, size_t len,
                          const dlc_strlist *label, const dlc_strlist *features, data_target mode,
                          dlc_strlist *class_names, long limit, dlc_error *err);
/* Reads a CSV/TSV text with a header, calling fn with the fields of the named
 * columns (in the order asked for) of every record; fn's error stops it. */
typedef dlc_status (*data_csv_record_fn)(void *user, const char *const *fields, int line,
                                         dlc_error *err);
dlc_status data_csv_records(const char *path, const char *text, size_t len,
                            const data_csv_dialect *d, const char *const *columns, int n_columns, data_csv_record_fn fn,
                            void *user, dlc_error *err);
/* data_csv_records over text (the caller's, from malloc) read once: the pages
 * it has passed are given back to the system as it goes (zero after), so
 * the caller frees text after and reads nothing of it (dlc predict on a
 * file of a million rows held its 819 MB and its values at once). */
dlc_status data_csv_records_once(const char *path, char *text, size_t len,
                                 const data_csv_dialect *d, const char *const *columns, int n_columns,
                                 data_csv_record_fn fn, void *user, dlc_error *err);
/* DLC_OK when the header of text has each of the n columns, else the first
 * missing one named as "what column 'NAME' is not in the header (...)" with
 * a near name or the file's columns, and "(KEY names it)". */
dlc_status data_csv_need_columns(const char *path, const char *text, size_t len,
                                 const data_csv_dialect *d, const char *const *columns,
                                 const char *const *whats, const char *const *keys, int n,
                                 dlc_error *err);
/* Why a header may lack the columns asked for, as " (...)" into buf, or ""
 * when nothing looks wrong: one column that holds ';', '|' or spaces (another
 * separator), or mostly numbers (a file without a header line). */
void data_csv_header_hint(const dlc_strlist *header, char *buf, size_t size);
/* The header's column names of a CSV/TSV text, appended to names. */
/* The column of header a feature reads (-1: none); a one-hot feature
 * "COLUMN=VALUE" sets *value to its VALUE (else NULL). */
int data_csv_feature_column(const dlc_strlist *header, const char *feature, const char **value);
/* The header's names hashed, for data_csv_feature_column over many features
 * (a file of 20,000 columns took 20,000 x 20,000 comparisons).  _create
 * borrows nothing; _free(NULL) does nothing. */
typedef struct data_csv_index data_csv_index;
dlc_status data_csv_index_create(data_csv_index **out, const dlc_strlist *header, dlc_error *err);
int data_csv_index_column(const data_csv_index *ix, const char *feature, const char **value);
void data_csv_index_free(data_csv_index *ix);
dlc_status data_csv_header(const char *path, const char *text, size_t len,
                           const data_csv_dialect *d, dlc_strlist *names, dlc_error *err);
/* The dialect data.separator and data.decimal give. */
data_csv_dialect data_csv_dialect_of(const data_config *cfg);
/* Parses IDX bytes already in memory (decompressed). */
dlc_status data_parse_idx(dataset **out, const char *images_name, const uint8_t *img, size_t img_len,
                          const char *labels_name, const uint8_t *lab, size_t lab_len, long limit,
                          dlc_error *err);
void data_dataset_free(dataset *d);

/* Example i's data row in the file it came from (0-based; see dataset.row). */
int data_file_row(const dataset *d, int i);

/* Normalization fitted on a split. */
dlc_status data_norm_fit(data_norm *nm, norm_kind kind, const data_split *train, dlc_error *err);
/* Identity normalization of dim values (for NORM_NONE and for loading). */
dlc_status data_norm_init(data_norm *nm, norm_kind kind, size_t dim, dlc_error *err);
void data_norm_free(data_norm *nm);
/* x (n, dim) in place */
void data_norm_apply(const data_norm *nm, float *x, size_t n);

/* A corpus for learning word vectors (src/embed): the train text (a file or
 * a folder, tokens: words) as word ids.  The vocabulary holds the words seen
 * at least min_count times in the train part, at most max_vocab of them (no
 * special tokens here), by falling count, ties in byte order.  Other words
 * are dropped from the text, as word2vec and gensim drop them; a line end
 * is -1 (lines are sentences: context windows stop there).  A dev part is
 * the data.dev file, or the last split.dev fraction of the train tokens. */
typedef struct {
    dlc_strlist vocab;   /* (V) words by id */
    int V;
    long *count;         /* (V) occurrences in the train part */
    long words;          /* sum of count: train words kept */
    long tokens;         /* train tokens read, line ends and dropped words included */
    int *ids;            /* (n) the train part: word ids, -1 between lines */
    long n;
    int *dev_ids;        /* (n_dev) the dev part, likewise (words outside the vocabulary dropped) */
    long n_dev;
} data_corpus;

/* Reads cfg's train (and dev) text for data_corpus.  Errors (EINPUT) name
 * the file: empty, no words, tokens that are not words. */
dlc_status data_text_corpus(data_corpus *c, const data_config *cfg, dlc_error *err);
void data_corpus_free(data_corpus *c);

/* A file of text, whole: inflated when it is gzip-compressed (by its content,
 * whatever its name, as Debian's /usr/share/doc keeps texts).  At most
 * DLC_DATA_MAX bytes of text; *out
 * (NUL-terminated past *out_len) is the caller's to free.  Errors (EINPUT)
 * name the file: unreadable, truncated or corrupt gzip data, too long. */
dlc_status data_text_read_file(const char *path, char **out, size_t *out_len, dlc_error *err);
/* The same, "-" the standard input (read whole; gzip known by its magic
 * there too, errors naming "-"). */
dlc_status data_text_read_input(const char *path, char **out, size_t *out_len, dlc_error *err);

/* The tokens of one text as it writes them (case kept), tokenized as
 * data_text_encode tokenizes it, appended to out (a tagger's output). */
dlc_status data_text_split(const data_text_config *tc, const char *text, dlc_strlist *out,
                           dlc_error *err);
/* Token ids of one text (prediction inputs): at most cap ids into ids,
 * tokenized as the vocabulary's data was; returns the count, or -1 with err
 * set for invalid UTF-8.  vocab: token strings by id. */
int data_text_encode(const data_text_config *tc, const dlc_strlist *vocab, const char *text,
                     float *ids, int cap, dlc_error *err);

/* ---- files of word vectors (vectors.c) ---- */
/* Calls fn for every vector of a file in word2vec's text or binary format or
 * GloVe's text format (told apart by the content: see vectors.c).  dim: the
 * size expected (0: any, the file's; *dim_out receives it, may be NULL).
 * Errors (EINPUT) name the file and line (binary: record and byte): a row
 * of the wrong size, a value that is not a finite number, a header that
 * disagrees with the rows, a file ending inside a vector. */
typedef dlc_status (*data_vector_fn)(void *user, const char *word, const float *row, int dim,
                                     dlc_error *err);
dlc_status data_vectors_read(const char *path, int dim, data_vector_fn fn, void *user,
                             int *dim_out, long *dups_out, dlc_error *err);

/* 1 when path is a run folder dlc embed wrote (its vectors.bin, no
 * model.safetensors): word vectors, not a trained model. */
int data_vectors_folder(const char *path);

/* Fills E (V, dim) rows of the vocabulary's tokens found in a file of
 * vectors (data_vectors_read's formats).  *found receives the rows filled;
 * *other_case (may be NULL) the vocabulary's words not filled that the file
 * has in another case only ("Linux" for a lowercased "linux"), left as they
 * were: matching is exact. */
dlc_status data_text_vectors(const char *path, const dlc_strlist *vocab, float *E, int dim,
                             int *found, int *other_case, dlc_error *err);

/* The batches of an epoch over split s: order (s->n) receives positions in s
 * and batch k is order[starts[k] .. starts[k+1]); returns the number of
 * batches.  Plain data: rng shuffles (NULL: file order), then batches of B.
 * A triplets sampler with rng: batches of P classes x K examples (B is
 * ignored): each class's examples shuffled and cut into runs of K, the runs
 * shuffled and dealt into batches of P runs of different classes; examples
 * left over (fewer than K of a class, or runs no batch can take) wait for
 * the next epoch's shuffle.
 * Text: stateful lm splits the stream into B consecutive runs read side by
 * side, so row i of every batch continues row i of the one before (no
 * shuffle; the last batches may have fewer rows); tag and classify are
 * shuffled, then grouped by length so a batch's sequences are alike. */
int data_plan(const data_bundle *b, const data_split *s, int B, dlc_rng *rng, int *order,
              int *starts);
/* Split s's rows in order of length (one past the last value > 0.5: the
 * length of a sequence of ids; equal lengths in row order), so that each
 * evaluation batch of them stops where its sequences do; the identity for
 * pairs and byte data, or when memory is short (correct, only slower).
 * order holds s->n.  Returns 1 when it sorted. */
int data_order_by_length(const data_split *s, int *order);
/* The batch size data_plan's training batches have for a configured B:
 * P x K for a triplets sampler, else B. */
int data_plan_batch(const data_bundle *b, int B);

/* The single examples of split k: for pairs the examples they are drawn
 * from, else the split itself. */
const data_split *data_examples(const data_bundle *b, int k);

/* Before each training epoch: a pairs sampler draws the train split's
 * partners anew from rng; nothing to do otherwise. */
void data_epoch(data_bundle *b, dlc_rng *rng);

/* Copies examples order[start .. start+count) of split s (order NULL: the
 * identity) into x (count, dim), normalized, and their targets into
 * t (count, n_targets).  nm NULL: raw values; t NULL: no targets.  A pair
 * split (stack 2) writes both examples of a pair, the first then the
 * second, each normalized by its half of nm, and the target 1 / 0. */
void data_gather(const data_split *s, const int *order, int start, int count,
                 const data_norm *nm, float *restrict x, float *restrict t);

/* data_gather with training-time augmentation of (C, H, W) examples: each
 * example is flipped left-right with probability 1/2 (hflip) and shifted by
 * a random (dy, dx) in [-crop_pad, crop_pad] with zeros filling in (a random
 * crop of the zero-padded image); then, if it comes from a source aug
 * applies to, rotated, blurred, its contrast and brightness changed, noise
 * added and JPEG quality lost, each with its probability; then normalized.
 * source_names: the bundle's (for aug->sources).  scratch: 2 * (C H W)
 * floats.  The example at position p of order (start + i) draws from stream
 * p of seed, so its augmentation does not depend on the batch it is in.
 * Detection targets move with the pixels: boxes and landmarks are flipped
 * and shifted, a box is clipped to the image, and an object left with less
 * than half of its box inside is dropped (rotation is refused for detection
 * data when the config loads). */
void data_gather_augment(const data_split *s, const int *order, int start, int count,
                         const data_norm *nm, const data_augment *aug,
                         const dlc_strlist *source_names, uint64_t seed, float *restrict x,
                         float *restrict t, float *restrict scratch);
/* 1 when the config asks for augmentation. */
int data_augments(const data_config *cfg);
/* 1 when data.class_split names any class. */
int data_class_splitting(const data_config *cfg);

/* ---- detection files (detect.c) ---- */

/* The class names of detection data: the names file (one per line, blank
 * lines skipped) or data.classes, into names.  EINPUT naming the file and
 * line (a name listed twice), or when neither (or both) is given. */
dlc_status data_detection_classes(const data_config *cfg, dlc_strlist *names, dlc_error *err);

/* Reads a folder of images and their label files (see data_detection_config)
 * for n_classes classes.  shape: (C, H, W) to convert images to (ndim 0:
 * the first image's, filled in); max_pixels as data_image_load.  A malformed
 * label line (a wrong field count, a number that is not one, a coordinate
 * outside 0..1, an empty box, a class id out of range), more objects than
 * max_objects, an unreadable image or a label file without an image is an
 * error naming the file and line (EINPUT); with bad == DATA_BAD_SKIP the
 * image (or stray label file) is left out instead, and skipped (may be NULL)
 * receives one message per file left out.  A box reaching past the image is
 * clipped to it.  Without src->labels, a folder .../images/X whose images have
 * no label file beside them reads .../labels/X (Ultralytics' layout) when it
 * is there.  *labelled (may be NULL) receives how many images have a label
 * file: 0 is a folder of background images, or labels kept elsewhere. */
dlc_status data_read_detection(dataset **out, const data_source *src,
                               const data_detection_config *dc, int n_classes, tensor_shape *shape,
                               int bad, long max_pixels, dlc_strlist *skipped, int *labelled,
                               dlc_error *err);
/* Parses one label file's text into row (max_objects slots); path names it
 * in messages.  EINPUT as above. */
dlc_status data_parse_detection_labels(const char *path, const char *text, size_t len,
                                       const data_detection_config *dc, int n_classes, float *row,
                                       dlc_error *err);

/* ---- image files (image.c) ----
 * dlc reads PNG, JPEG, BMP and GIF (the first frame), recognised by their
 * first bytes whatever the file's name; other formats are refused.  Before
 * decoding, the header's size is checked (1 to DATA_IMAGE_MAX_SIDE pixels
 * per side, at most max_pixels pixels; max_pixels <= 0 means
 * DATA_IMAGE_MAX_PIXELS) and the file's structure is walked to see it is
 * complete (a truncated file is an error, not a half-black image).  Only
 * regular files are opened: a FIFO, socket, device, folder, broken link or
 * link loop is an error naming the path and what it is. */
#define DATA_IMAGE_MAX_SIDE 16384
#define DATA_IMAGE_MAX_PIXELS (64L << 20)
/* Checks image bytes as above (name for messages); shape (may be NULL)
 * receives the (C, H, W) stored: C 1 for gray (with or without alpha), 3 for
 * colour. */
dlc_status data_image_check(const char *name, const uint8_t *buf, size_t len, long max_pixels,
                            tensor_shape *shape, dlc_error *err);
/* Checks, decodes and converts image bytes to shape (C, H, W), C = 1 (gray,
 * ITU-R 601 luma) or 3 (RGB): channels are converted and the image resized
 * (stb_image_resize) as needed.  Writes C*H*W bytes, channel-major, into out. */
dlc_status data_image_decode(const char *name, const uint8_t *buf, size_t len, long max_pixels,
                             const tensor_shape *shape, uint8_t *out, dlc_error *err);
/* The same for a file; errors name the file. */
dlc_status data_image_load(const char *path, long max_pixels, const tensor_shape *shape,
                           uint8_t *out, dlc_error *err);
/* The (C, H, W) of an image file as stored, after data_image_check. */
dlc_status data_image_probe(const char *path, long max_pixels, tensor_shape *shape, dlc_error *err);
/* The shape a folder's images take: *shape itself when set (ndim > 0), else the
 * first of n paths that decodes (with bad == DATA_BAD_FAIL the first failure is the
 * error).  Path i is the char * at (char *)paths + i * stride, so an array of
 * records holding a path serves as well as an array of strings.  Refuses a shape
 * that is not (1 or 3, H, W), naming dir. */
dlc_status data_image_folder_shape(const char *dir, const char *const *paths, size_t stride, int n,
                                  int bad, long max_pixels, tensor_shape *shape, dlc_error *err);
/* 1 when the name ends in an image extension (of any format stb_image
 * knows, so that refused formats in a folder are reported, not ignored). */
int data_image_name(const char *name);
/* Why s is not a number dlc reads, when it can tell, for messages about a
 * value: " (a decimal comma? ...)" for "1,5", thousands separators
 * ("1,234", "1 234"), a missing value ("NaN", "NA", "null"), a number out
 * of float32's range; else "". */
const char *data_number_hint(const char *s);
/* 1 when the name ends in .csv, .tsv or .txt (any case): a file of rows. */
int data_table_name(const char *name);
/* The image files of one folder (not its subfolders), as "dir/name",
 * sorted; hidden files skipped.  Appends to names. */
dlc_status data_list_images(const char *dir, dlc_strlist *names, dlc_error *err);
/* The same for a folder given to predict or verify: no image file in it is
 * an error (EINPUT), which says so when the folder holds subfolders. */
dlc_status data_folder_images(const char *dir, dlc_strlist *names, dlc_error *err);
/* The names (not paths) of the files of one folder ending in ext (any case),
 * sorted, hidden files skipped; appended to names. */
dlc_status data_list_files(const char *dir, const char *ext, dlc_strlist *names, dlc_error *err);
/* The names (not paths) of the subfolders of one folder, sorted, hidden ones
 * skipped; appended to names. */
dlc_status data_list_subfolders(const char *dir, dlc_strlist *names, dlc_error *err);
/* "'a', 'b', 'c'" for messages: the first 8 names, then ", ... (N in all)". */
void data_quote_names(const dlc_strlist *l, char *buf, size_t size);
/* Reads a folder of class subfolders: classes from the sorted subfolder
 * names (in: known names, e.g. the train folder's, which a dev/test folder
 * must use; out: found).  shape: (C, H, W) to convert to; ndim 0 means the
 * first image's own shape (filled in).  bad: what to do with an unreadable
 * file, or'd with DATA_TARGET_SKIP_UNKNOWN to drop the files of a class
 * folder not among known names (counted in dataset.dropped) rather than
 * fail; skipped (may be NULL) receives one message per file skipped. */
dlc_status data_read_image_folder(dataset **out, const char *dir, tensor_shape *shape,
                                  dlc_strlist *class_names, int bad, long limit, long max_pixels,
                                  dlc_strlist *skipped, dlc_error *err);

#endif
