/* gradcheck.h - numerical against analytic gradients, by central differences.
 *
 * The loss closure runs the forward pass on the batch already in the graph's
 * input, returns the loss (accumulated in double) and, when with_grad, also
 * seeds the output gradient and runs graph_backward.  Dropout masks are
 * frozen by reseeding the graph's generator before every forward pass.
 *
 * For each checked value the error is |analytic - numeric| / max(|analytic|,
 * |numeric|, floor), where floor is the larger of opts.floor and the
 * resolution float32 allows (about 50 |L| 2^-24 / eps).  A value whose one-sided differences disagree sharply
 * sits on a kink (ReLU at 0, a max-pool tie) and is skipped and counted. */
#ifndef DLC_GRADCHECK_H
#define DLC_GRADCHECK_H

#include "../graph/graph.h"

typedef double (*gradcheck_loss)(void *user, graph *g, int N, int with_grad);

typedef struct {
    double eps;       /* perturbation (1e-3) */
    double floor;     /* smallest denominator of the relative error (1e-4) */
    int samples;      /* values checked per tensor (0: all) */
    int check_input;  /* also check the gradient with respect to the input */
    uint64_t seed;    /* which values are sampled, and the dropout masks */
    /* 0: the above, for unit tests that set floors per op.  > 0: a whole
     * model's check at tolerance `tol` (dlc gradcheck): the step grows with
     * a tensor's scale (eps x max(1, rms)); each value's numerical estimate
     * also at twice the step, their difference bounding its own error;
     * values whose gradient the float32 loss cannot resolve to within tol
     * (gradient < that bound / tol) are judged by absolute error against the
     * bound, the others by relative error; failures are listed. */
    double tol;
} gradcheck_opts;

#define GRADCHECK_MAX_FAILS 5

typedef struct {
    int index;
    double analytic, numeric, rel, bound;
} gradcheck_fail;

typedef struct {
    char name[GRAPH_NAME_MAX + 32];  /* parameter name, or "input" */
    double max_rel;                  /* worst relative error (of the values judged so) */
    double max_abs;                  /* worst absolute error */
    int worst;                       /* index of the worst value */
    double analytic, numeric;        /* at the worst value */
    int checked, skipped;            /* skipped: on a kink (ReLU at 0, a max-pool tie) */
    int below;                       /* tol mode: judged by absolute error (tiny gradients) */
    int failed;                      /* tol mode: values outside the tolerance */
    gradcheck_fail fails[GRADCHECK_MAX_FAILS];   /* the worst of them, worst first */
    double eps;                      /* the step used */
} gradcheck_result;

/* Checks every trainable parameter (and the input when asked); fills up to
 * max results and returns how many tensors were checked. */
int gradcheck_graph(graph *g, int N, gradcheck_loss fn, void *user, const gradcheck_opts *o,
                    gradcheck_result *res, int max);

#endif
