/* loss.h - losses on raw model outputs (logits), fused with their link
 * function for numerical stability, and the link used for predictions.
 *
 *   softmax_cross_entropy  logits (N, ..., K), targets (N, ...) class ids;
 *                          a negative or NaN target is padding: ignored.
 *   sigmoid_bce            logits (N, T), targets (N, T) in {0, 1}; NaN marks
 *                          an unknown label, which adds nothing to the loss.
 *   mse                    outputs (N, D), targets (N, D).
 * The loss is the mean over counted rows (softmax) or entries (bce, mse); for
 * bce it is summed over tasks and averaged over examples, as in multi-task
 * learning, so an example's unknown tasks simply drop out.
 */
#ifndef DLC_LOSS_H
#define DLC_LOSS_H

#include <stddef.h>

#include "../tensor/tensor.h"

typedef enum { LOSS_SOFTMAX_CE, LOSS_SIGMOID_BCE, LOSS_MSE, LOSS_COUNT } loss_kind;
extern const char *const loss_names[LOSS_COUNT + 1];

typedef struct {
    double sum;      /* summed loss over the counted items */
    double count;    /* divisor of the mean (rows for softmax, examples for bce, entries for mse) */
    double correct;  /* correct predictions (classification), else 0 */
    double judged;   /* predictions judged for `correct` */
} loss_stats;

/* Targets per example for a model output of per-sample shape `out`. */
size_t loss_target_size(loss_kind k, const tensor_shape *out);

/* Checks that an output shape suits the loss (e.g. softmax needs K >= 2).
 * Returns 0 when fine, else a static description of the problem. */
const char *loss_check_shape(loss_kind k, const tensor_shape *out);

/* Adds the batch's loss into *st and, when dlogits is not NULL, adds
 * weight * d(mean loss)/d(logits) into dlogits (N, size). */
void loss_compute(loss_kind k, float *dlogits, const float *logits, const float *targets,
                  int N, const tensor_shape *out, float weight, loss_stats *st);

/* The activation that turns logits into predictions (softmax, sigmoid, linear). */
int loss_link(loss_kind k);

#endif
