/* loss.h - the loss table: one row per loss, with everything the rest of dlc
 * needs to know about it, so that a new loss touches only src/loss.
 *
 * A row gives the loss's name (the config's `loss:`), the output activation
 * it fuses with (a final softmax or sigmoid layer is folded into the loss,
 * which then works on logits in a stable form), the kind of targets it reads
 * from the data, whether its outputs' last axis holds classes, the shape
 * check for the output it is attached to, how many targets an example
 * carries, and the computation.
 *
 *   softmax_cross_entropy  logits (N, ..., K), targets (N, ...) class ids;
 *                          a negative or NaN target is padding: ignored.
 *   sigmoid_bce            logits (N, T), targets (N, T) in {0, 1}; NaN marks
 *                          an unknown label, which adds nothing to the loss.
 *   mse                    outputs (N, D), targets (N, D); NaN: unknown.
 *   content                style transfer's content cost: activations a (N,
 *                          ...), targets (N, same) the content image's;
 *                          1/2 ||a - t||^2 per example.
 *   style                  style transfer's style cost on a gram layer's
 *                          output G (N, C, C) = F F^T / (C H W), targets the
 *                          style image's: 1/4 ||G - T||_F^2 per example, which
 *                          is the notes' 1/(2 nH nW nC)^2 ||Gs - Gg||^2 of the
 *                          unnormalized Gram matrices F F^T.
 *   total_variation        an image x (N, C, H, W), no targets: the sum of
 *                          squared differences of neighbouring pixels, down
 *                          and across, per example (a smoothness prior).
 *   triplet                embeddings (N, D), targets (N) class ids: every
 *                          anchor-positive pair of the batch (same class)
 *                          with a negative mined in the batch (loss_opts),
 *                          max(|f(A)-f(P)|^2 - |f(A)-f(N)|^2 + margin, 0)
 *   contrastive            pair differences v = f(x1) - f(x2) (N, D), targets
 *                          (N) 1 same / 0 different: y |v|^2 + (1 - y)
 *                          max(margin - |v|, 0)^2
 * softmax_ce with label smoothing eps (loss_opts) takes the target
 * (1 - eps) one-hot + eps / K, as PyTorch's CrossEntropyLoss(label_smoothing).
 * The loss is the mean over counted rows (softmax) or entries (mse); for bce
 * it is summed over tasks and averaged over examples, as in multi-task
 * learning, so an example's unknown tasks simply drop out.  The triplet
 * loss is the mean over the triplets with a positive loss (average
 * positive) or over all of them (average all); loss_stats carries both.  The style
 * transfer costs are sums per example, averaged over examples.
 *
 * The detection losses (detect_loss.c) read an image's objects (object
 * slots, see detect.h) and the head's settings (loss_opts); each is the
 * sum of weighted terms, averaged over the batch's images:
 *   localize   outputs (5 + C): p_c logit, box (cx, cy, w, h), C class
 *              scores, for the image's first object.  With an object:
 *              obj (sigmoid(p_c) - 1)^2 + coord |box - truth|^2 + class
 *              (cross-entropy, or squared error of the probabilities);
 *              without: noobj sigmoid(p_c)^2 (the notes' loss).
 *   landmarks  outputs (2 K): the first object's K points (x, y); coord
 *              times the squared error, averaged over images with an object.
 *   yolo       outputs (A (5 + C), S, S): per cell and anchor p_c, t_x, t_y,
 *              t_w, t_h, class scores (detect_decode_yolo reads them).  Each
 *              object is assigned to the cell holding its centre and the
 *              anchor whose shape overlaps it most (the next best free one
 *              when two objects want the same); YOLOv2's terms: coord on
 *              (sigmoid(t_x), sigmoid(t_y), t_w, t_h) against the object's
 *              offsets in its cell and log(size / anchor), obj and class as
 *              above, noobj sigmoid(p_c)^2 for every other prediction unless
 *              its box overlaps an object by more than ignore_iou.
 */
#ifndef DLC_LOSS_H
#define DLC_LOSS_H

#include <stddef.h>
#include <stdint.h>

#include "../detect/detect.h"
#include "../tensor/tensor.h"

typedef enum {
    LOSS_SOFTMAX_CE,
    LOSS_SIGMOID_BCE,
    LOSS_MSE,
    LOSS_TRIPLET,
    LOSS_CONTRASTIVE,
    LOSS_CONTENT,
    LOSS_STYLE,
    LOSS_TOTAL_VARIATION,
    LOSS_LOCALIZE,   /* detection (detect_loss.c): p_c, box and classes of one object */
    LOSS_LANDMARKS,  /* K points of one object */
    LOSS_YOLO,       /* an S x S grid of A anchors */
    LOSS_COUNT
} loss_kind;
/* The config's names, in loss_kind order, NULL-terminated. */
extern const char *const loss_names[LOSS_COUNT + 1];

/* What a loss reads from the data for each example. */
typedef enum {
    LOSS_TARGET_CLASS,   /* class ids, one per row of the output's last axis */
    LOSS_TARGET_BINARY,  /* 0 / 1 per output value; NaN unknown */
    LOSS_TARGET_NUMERIC, /* a real value per output value; NaN unknown */
    LOSS_TARGET_OBJECTS, /* an image's objects: object slots as detect.h lays them out */
    LOSS_TARGET_COUNT
} loss_target;

/* How a detection loss scores class scores: softmax cross-entropy, or the
 * squared error of the softmax probabilities against the one-hot class. */
typedef enum { LOSS_CLASS_CE, LOSS_CLASS_MSE, LOSS_CLASS_COUNT } loss_class_term;
extern const char *const loss_class_names[LOSS_CLASS_COUNT + 1];

/* The detection terms, in the order of loss_def.terms. */
enum { LOSS_TERM_COORD, LOSS_TERM_OBJ, LOSS_TERM_NOOBJ, LOSS_TERM_CLASS, LOSS_TERMS };

/* How the triplet loss picks the negative of each anchor-positive pair
 * among the batch's examples of other classes: at random; the hardest (the
 * nearest to the anchor); semi-hard (the nearest of those farther than the
 * positive, FaceNet's choice; the farthest when none is). */
typedef enum { LOSS_MINE_RANDOM, LOSS_MINE_HARD, LOSS_MINE_SEMI_HARD, LOSS_MINE_COUNT } loss_mining;
extern const char *const loss_mining_names[LOSS_MINE_COUNT + 1];
/* Which triplets the triplet loss averages over (both are reported). */
typedef enum { LOSS_AVG_POSITIVE, LOSS_AVG_ALL, LOSS_AVG_COUNT } loss_average;
extern const char *const loss_average_names[LOSS_AVG_COUNT + 1];

/* A head's loss settings (model.outputs.*), and the layout of the data it
 * reads, which the model fills in (NULL: each row's defaults). */
typedef struct {
    /* metric learning */
    double margin;               /* triplet alpha, contrastive m; NaN: the row's default_margin */
    loss_mining mining;
    loss_average average;
    uint64_t seed;               /* random mining: the draw of this batch */
    /* classification */
    double label_smoothing;      /* softmax_ce: eps in the target (1 - eps) one-hot + eps / K */
    /* detection */
    float term[LOSS_TERMS];      /* weights of the box, object, no-object and class terms */
    int class_loss;              /* loss_class_term */
    int grid;                    /* yolo: cells per side S; 0 = the output's */
    int n_anchors;               /* yolo: A */
    float anchors[DETECT_MAX_ANCHORS][2]; /* (w, h) as fractions of the image */
    float ignore_iou;            /* yolo: a prediction overlapping an object by more than this
                                  * is not pushed toward "no object" */
    /* the data's, set by the model */
    int classes;                 /* C */
    int objects;                 /* object slots per example (M) */
    int landmarks;               /* K */
} loss_opts;

typedef struct {
    double sum;      /* summed loss over the counted items */
    double count;    /* divisor of the mean (rows for softmax, examples for bce, entries for mse,
                      * triplets with a positive loss or all triplets) */
    double correct;  /* correct predictions (classification; triplet: anchor-positive
                      * pairs whose positive is nearer than every negative of the batch) */
    double judged;   /* predictions judged for `correct` (triplet: every triplet) */
    double positive; /* triplet: triplets with a positive loss (sum / positive is their mean) */
} loss_stats;

/* One call of a loss on a batch. */
typedef struct {
    const float *out;        /* (N, size) the output node's values (logits when fused) */
    const float *targets;    /* (N, n_targets) as loss_target says; NULL when n_targets is 0 */
    int N;
    const tensor_shape *shape; /* per-sample output shape */
    float weight;            /* scales the gradient (head weight, sequence weighting) */
    float *dout;             /* (N, size) gradient added into; NULL: no gradient */
    const loss_opts *opts;   /* the head's settings (margin, mining, detection terms); NULL: defaults */
    double *scratch;         /* loss_def.scratch(N) doubles (borrowed), or NULL when it needs none */
} loss_call;

typedef struct {
    const char *name;
    int link;            /* act_kind: the activation fused in (ACT_LINEAR: none) */
    loss_target target;
    int has_classes;     /* the last axis of the output are classes (softmax) */
    /* targets per example for a per-sample output shape (o: the head's
     * settings and data layout; may be NULL for the losses that read none) */
    size_t (*target_size)(const tensor_shape *out, const loss_opts *o);
    /* NULL when the output shape suits the loss, else a static description */
    const char *(*check_shape)(const tensor_shape *out, const loss_opts *o);
    /* adds the batch's loss into *st and weight * d(mean loss)/d(out) into dout */
    void (*compute)(const loss_call *c, loss_stats *st);
    /* the output is an embedding compared by distance (metric learning): no
     * class predictions; reports give verification figures */
    int embedding;
    double default_margin;   /* 0: takes no margin */
    /* doubles of scratch a batch of N needs (NULL: none) */
    size_t (*scratch)(int N);
    /* detection losses: the default term weights (the config's
     * coord_weight, obj_weight, noobj_weight, class_weight); zeros else */
    float terms[LOSS_TERMS];
} loss_def;

/* The table, one row per loss_kind (checked at compile time). */
extern const loss_def loss_table[];

/* The row of kind k. */
static inline const loss_def *loss_get(loss_kind k)
{
    return &loss_table[k];
}

/* The kind named `name`, -1 if none. */
int loss_find(const char *name);

/* Adds the batch's loss into *st and, when dlogits is not NULL, adds
 * weight * d(mean loss)/d(logits) into dlogits (N, size), with the losses'
 * default options.  A loss that needs scratch takes it from the heap here:
 * training calls loss_run with scratch sized when the model was built. */
void loss_compute(loss_kind k, float *dlogits, const float *logits, const float *targets, int N,
                  const tensor_shape *out, float weight, loss_stats *st);
/* The call c of loss k (c->scratch as loss_def.scratch asks, or NULL: from
 * the heap; when that fails the batch adds nothing). */
void loss_run(loss_kind k, const loss_call *c, loss_stats *st);
/* Doubles of scratch loss k needs for a batch of N (0: none). */
size_t loss_scratch_size(loss_kind k, int N);
/* The margin of opts for loss k: its own, else the row's default. */
double loss_margin(loss_kind k, const loss_opts *opts);

/* The mean loss of st (NaN when nothing was counted or judged; 0 when
 * something was judged but nothing counted, as a triplet batch whose every
 * triplet meets the margin) and its accuracy (NaN when nothing was judged). */
double loss_mean(const loss_stats *st);
double loss_accuracy(const loss_stats *st);
/* a += b */
void loss_stats_add(loss_stats *a, const loss_stats *b);

#endif
