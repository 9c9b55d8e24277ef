/* infer.h - a trained model applied to new inputs, as a library: image files,
 * rows of raw values (CSV features) and texts go through exactly the
 * preprocessing the model was trained with, and each output (head) comes
 * back as what it predicts: probabilities through its loss's link
 * (softmax, sigmoid), values as they are for regression.  Language models
 * generate text token by token.  src/cli only parses arguments and prints;
 * verification, style transfer and detection output build on these;
 * detection (decoded boxes, drawing) is in detect.c.
 *
 * Letters: N inputs per batch, D values per input, K outputs of a head.
 */
#ifndef DLC_INFER_H
#define DLC_INFER_H

#include "../train/model.h"

/* One batch of predictions: inputs first .. first+n-1. */
typedef struct {
    int first, n;
    const float *out[MODEL_MAX_HEADS];   /* (n, size of head h) after the head's link; borrowed */
} infer_batch;

/* Called once per batch; its error stops the run. */
typedef dlc_status (*infer_fn)(void *user, const model *m, const infer_batch *b, dlc_error *err);

/* The model's input can be read from image files: its data are (C, H, W)
 * with 1 or 3 channels. */
int infer_takes_images(const model *m);

/* Image files (any format data_image_load reads), converted to the model's
 * data shape and normalized, in batches of at most m->g->nmax.  Errors
 * (EINPUT) name the file; nothing is passed to fn for a batch that fails. */
dlc_status infer_images(model *m, const char *const *files, int n, infer_fn fn, void *user,
                        dlc_error *err);

/* Rows of raw values x (n, D = the model's data size), normalized here. */
dlc_status infer_rows(model *m, const float *x, int n, infer_fn fn, void *user, dlc_error *err);
/* The same; logits 1: the heads' outputs before their links. */
dlc_status infer_rows_raw(model *m, const float *x, int n, int logits, infer_fn fn, void *user,
                          dlc_error *err);

/* Times `repeat` more forward passes (links included) over the N inputs of
 * the last batch, still in the graph's input: ms per input (benchmark B10). */
double infer_time(model *m, int N, long repeat);

/* Cells of a categorical column holding a value the model's one-hot
 * features lack (read as all 0): how many, and the first. */
typedef struct {
    int count;
    int line;
    char example[96]; /* "column: value" */
} infer_unseen;

/* The feature columns of a CSV file the model reads, by the names its
 * training data used (data.features, else every column that was not a
 * label); the file may hold other columns.  x receives (n, D) (free it);
 * unseen (may be NULL) the values of categorical columns the model was not
 * trained on.  Errors name the file, line and column. */
dlc_status infer_read_csv(const model *m, const char *path, float **x, int *n, infer_unseen *unseen,
                          dlc_error *err);

/* ---- detection (detect.c) ---- */

/* The model has an output with a detection loss (localize, landmarks, yolo). */
int infer_is_detector(const model *m);

/* Post-processing thresholds; a negative value takes the output's own
 * (model.outputs' score and nms_iou). */
typedef struct {
    float score;   /* boxes scoring below are dropped (the notes' p_c threshold) */
    float iou;     /* then boxes overlapping a better one of their class by more */
} infer_detect_opts;

/* One image's detections.  Coordinates are fractions of the image, so the
 * file's own pixels are fraction x width (or height). */
typedef struct {
    const char *file;
    int width, height;        /* the file's own size */
    int n_boxes;
    const detect_det *boxes;  /* (n_boxes) each output's boxes, highest score first; borrowed */
    const int *box_head;      /* (n_boxes) the output each came from */
    int n_points;             /* the first landmarks output's K points, else 0 */
    const float *points;      /* (K, 2) x, y */
    float p_obj;              /* a localize output's p_c (NaN without one) */
} infer_detections;

typedef dlc_status (*infer_detect_fn)(void *user, const model *m, const infer_detections *d,
                                      dlc_error *err);

/* Image files through a detection model (as infer_images reads them): YOLO
 * outputs decoded and suppressed per class (detect_suppress), a localize
 * output's box kept when its score reaches the threshold, landmarks as they
 * are; fn is called once per image in order.  EINPUT for a model without a
 * detection output or an unreadable file. */
dlc_status infer_detect_images(model *m, const char *const *files, int n, const infer_detect_opts *o,
                               infer_detect_fn fn, void *user, dlc_error *err);

/* Writes d's image (its own size) with the boxes outlined in their class's
 * colour, labelled "class score", and the landmarks marked, as a PNG to out
 * (atomically).  EINPUT for an undecodable image, EIO. */
dlc_status infer_draw_detections(const model *m, const infer_detections *d, const char *out,
                                 dlc_error *err);

/* ---- convolutional sliding windows (windows.c) ---- */

/* A model trained on windows (images of its input size) rebuilt for larger
 * (C, H, W) images: its dense layers after the flatten become convolutions,
 * so one forward pass gives its output for every window of the image, at
 * `stride` pixels apart (see windows.c for the layers it takes). */
typedef struct {
    graph *g;                 /* owned */
    data_norm norm;           /* the model's per-channel normalization, over (C, H, W) */
    int K;                    /* outputs per window */
    int gh, gw;               /* the grid of windows */
    int stride_y, stride_x;   /* pixels between windows: window (i, j) has its top left at
                               * (j stride_x, i stride_y) */
    int window_h, window_w;
    int softmax;              /* the output's loss folds a softmax in: probabilities are its
                               * softmax over K */
} infer_windows;

/* Builds w for images of H x W pixels (at least the window), batches of up
 * to nmax.  EINPUT naming the layer that cannot slide (padding, a layer
 * that is not local, a branch). */
dlc_status infer_windows_build(infer_windows *w, const model *m, int H, int W, int nmax,
                               dlc_error *err);
void infer_windows_free(infer_windows *w);
/* Raw pixel values x (N, C, H, W) normalized and run: the outputs (N, K,
 * gh, gw), borrowed until the next run (logits when w->softmax). */
const float *infer_windows_run(infer_windows *w, const float *x, int N);
/* One image's outputs z (K, gh, gw) as probabilities into p (a softmax over
 * K at every cell; a copy when the output has no softmax). */
void infer_windows_softmax(const infer_windows *w, const float *z, float *p);

/* ---- verification and embeddings (verify.c) ----
 * How a model compares two examples:
 *   INFER_VERIFY_EMBED  each example's embedding (the output of the layer
 *                       model.embedding names, else of a triplet head);
 *                       distance = squared euclidean, as the triplet loss's
 *   INFER_VERIFY_PAIR   a pair model (data.sampler pairs) reads the two
 *                       stacked; distance = 1 - p(same) for a one-unit
 *                       sigmoid_bce head, |v|^2 for a contrastive head
 * A smaller distance means "more alike"; two examples are called the same
 * below a threshold (chosen on dev when the run was trained).  Examples are
 * one example's values (the model's example shape), already normalized. */
typedef enum { INFER_VERIFY_EMBED, INFER_VERIFY_PAIR, INFER_VERIFY_COUNT } infer_verify_kind;
extern const char *const infer_distance_names[INFER_VERIFY_COUNT + 2];

typedef struct {
    infer_verify_kind kind;
    int node;            /* the embedding's graph node, -1 when there is none (a pair model
                          * without model.embedding) */
    size_t dim;          /* values of the embedding (0 without one) */
    size_t D;            /* values of one example */
    const char *distance; /* its name: "squared_l2", "1 - p(same)", "contrastive |v|^2" */
} infer_verifier;

/* Makes layer the model's embedding (model.embedding) for this use of it,
 * and compares by its distance (a pair model too, instead of its output):
 * EINPUT naming it when the graph has no such layer.  The threshold the run
 * chose belongs to its own way of comparing, so it is forgotten (NaN) when
 * that changes. */
dlc_status infer_set_embedding(model *m, const char *layer, dlc_error *err);

/* How m compares examples; EINPUT (saying what to set) when it cannot: no
 * embedding layer and not a pair model. */
dlc_status infer_verifier_init(infer_verifier *v, const model *m, dlc_error *err);

/* One example's normalization: a view of m's (the first half of a pair
 * model's), borrowed. */
void infer_example_norm(const model *m, data_norm *view);

/* The example shape: the data's, or one half of a pair model's input. */
tensor_shape infer_example_shape(const model *m);

/* Embeddings e (n, v->dim) of examples x (n, v->D).  EINPUT when the
 * model has no embedding (v->node < 0). */
dlc_status infer_embed(model *m, const infer_verifier *v, const float *x, int n, float *e,
                       dlc_error *err);

/* Examples x (n, v->D) from image files, converted to the example shape
 * (channels and size) and normalized as in training.  EINPUT naming the
 * file when one cannot be read, or when examples are not images. */
dlc_status infer_load_images(const model *m, const char *const *files, int n, float *x,
                             dlc_error *err);

/* Raw examples x (n, one example's values) normalized in place. */
void infer_normalize_examples(const model *m, float *x, int n);

/* d[k] = distance between examples x[ia[k]] and x[ib[k]] (x: (?, v->D)),
 * k < np; e: their embeddings (rows of x) when already computed, else NULL. */
dlc_status infer_distances(model *m, const infer_verifier *v, const float *x, const float *e,
                           const int *ia, const int *ib, int np, double *d, dlc_error *err);

/* ---- text models ---- */

typedef struct {
    long length;          /* tokens to generate */
    double temperature;   /* softmax(logits / T); 0: the most likely token */
    uint64_t seed;        /* the sampling stream: the same seed, the same text */
} infer_gen_opts;

/* A language model (loaded with input (1), see model_load_input) continues
 * prompt: its tokens are read, then each generated token id is passed to
 * emit.  <pad> and <unk> are never produced.  EINPUT for invalid UTF-8 or a
 * model that is not a language model. */
dlc_status infer_generate(model *m, const char *prompt, const infer_gen_opts *o,
                          void (*emit)(void *user, int id), void *user, dlc_error *err);

/* A text classifier: p (K) the probabilities of its classes for text;
 * *n_tokens the text's tokens (it reads at most the model's length). */
dlc_status infer_classify_text(model *m, const char *text, double *p, int *n_tokens,
                               dlc_error *err);

/* A tagger: the tag (class id) of each of the text's tokens into tags (at
 * most cap), and its probability into p (softmax over the tags; p may be
 * NULL); *n the count. */
dlc_status infer_tag_text(model *m, const char *text, int *tags, float *p, int cap, int *n,
                          dlc_error *err);

#endif
