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
 * The loss is the mean over counted rows (softmax) or entries (mse); for bce
 * it is summed over tasks and averaged over examples, as in multi-task
 * learning, so an example's unknown tasks simply drop out.  The style
 * transfer costs are sums per example, averaged over examples.
 */
#ifndef DLC_LOSS_H
#define DLC_LOSS_H

#include <stddef.h>

#include "../tensor/tensor.h"

typedef enum {
    LOSS_SOFTMAX_CE,
    LOSS_SIGMOID_BCE,
    LOSS_MSE,
    LOSS_CONTENT,
    LOSS_STYLE,
    LOSS_TOTAL_VARIATION,
    LOSS_COUNT
} loss_kind;
/* The config's names, in loss_kind order, NULL-terminated. */
extern const char *const loss_names[LOSS_COUNT + 1];

/* What a loss reads from the data for each example. */
typedef enum {
    LOSS_TARGET_CLASS,   /* class ids, one per row of the output's last axis */
    LOSS_TARGET_BINARY,  /* 0 / 1 per output value; NaN unknown */
    LOSS_TARGET_NUMERIC, /* a real value per output value; NaN unknown */
    LOSS_TARGET_COUNT
} loss_target;

typedef struct {
    double sum;      /* summed loss over the counted items */
    double count;    /* divisor of the mean (rows for softmax, examples for bce, entries for mse) */
    double correct;  /* correct predictions (classification), else 0 */
    double judged;   /* predictions judged for `correct` */
} loss_stats;

/* One call of a loss on a batch. */
typedef struct {
    const float *out;        /* (N, size) the output node's values (logits when fused) */
    const float *targets;    /* (N, n_targets) as loss_target says; NULL when n_targets is 0 */
    int N;
    const tensor_shape *shape; /* per-sample output shape */
    float weight;            /* scales the gradient (head weight, sequence weighting) */
    float *dout;             /* (N, size) gradient added into; NULL: no gradient */
} loss_call;

typedef struct {
    const char *name;
    int link;            /* act_kind: the activation fused in (ACT_LINEAR: none) */
    loss_target target;
    int has_classes;     /* the last axis of the output are classes (softmax) */
    /* targets per example for a per-sample output shape */
    size_t (*target_size)(const tensor_shape *out);
    /* NULL when the output shape suits the loss, else a static description */
    const char *(*check_shape)(const tensor_shape *out);
    /* adds the batch's loss into *st and weight * d(mean loss)/d(out) into dout */
    void (*compute)(const loss_call *c, loss_stats *st);
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
 * weight * d(mean loss)/d(logits) into dlogits (N, size). */
void loss_compute(loss_kind k, float *dlogits, const float *logits, const float *targets, int N,
                  const tensor_shape *out, float weight, loss_stats *st);

/* The mean loss of st (NaN when nothing was counted) and its accuracy (NaN
 * when nothing was judged). */
double loss_mean(const loss_stats *st);
double loss_accuracy(const loss_stats *st);
/* a += b */
void loss_stats_add(loss_stats *a, const loss_stats *b);

#endif
