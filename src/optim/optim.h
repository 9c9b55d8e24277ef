/* optim.h - optimizers, gradient clipping and learning-rate schedules.
 *
 * An optimizer keeps its state (velocity, moments) in one flat block laid
 * out as the graph's gradient block (the trainable parameters alone: a
 * frozen one has no state); optim_step updates one contiguous range of it.
 */
#ifndef DLC_OPTIM_H
#define DLC_OPTIM_H

#include <stddef.h>

#include "../base/error.h"

typedef enum { OPT_SGD, OPT_MOMENTUM, OPT_RMSPROP, OPT_ADAM, OPT_ADAMW, OPT_COUNT } optim_kind;
extern const char *const optim_names[OPT_COUNT + 1];

typedef struct {
    optim_kind type;
    double lr;        /* alpha0 */
    double momentum;  /* momentum: beta of v = beta v + (1 - beta) g; sgd: PyTorch's mu (0: none) */
    double beta1;     /* adam, adamw */
    double beta2;     /* adam, adamw */
    double rho;       /* rmsprop: s = rho s + (1 - rho) g^2 */
    double eps;       /* rmsprop, adam, adamw */
    double dampening; /* sgd with a momentum: b = mu b + (1 - dampening) g */
    int nesterov;     /* sgd with a momentum: step along g + mu b */
    double weight_decay; /* adamw: w -= lr weight_decay w, decoupled from the gradient */
    int amsgrad;      /* adam, adamw: divide by the largest second moment so far (Reddi et al.) */
} optim_config;

typedef struct {
    optim_config cfg;
    size_t n;         /* floats of state per moment */
    float *m;         /* momentum velocity / sgd's buffer b / adam first moment (n) */
    float *v;         /* rmsprop / adam second moment (n) */
    float *vmax;      /* amsgrad: the largest v so far (n), else NULL */
    long t;           /* steps taken (adam bias correction) */
} optim;

/* The state vectors by name, as a checkpoint stores them ("optim.m.NAME"):
 * m, v and vmax. */
enum { OPTIM_STATES = 3 };
extern const char *const optim_state_names[OPTIM_STATES];

/* Values of state per parameter: 0 (sgd without momentum), 1 (sgd with a
 * momentum, momentum, rmsprop), 2 (adam, adamw), 3 (with amsgrad). */
int optim_moments(const optim_config *cfg);

/* State for n parameters (zeroed).  optim_free(NULL) does nothing. */
dlc_status optim_create(optim **out, const optim_config *cfg, size_t n, dlc_error *err);
void optim_free(optim *o);

/* Starts a step: t += 1.  Call once per step, before optim_step. */
void optim_begin_step(optim *o);

/* Updates w[0..n), whose state sits at offset off, with lr and the gradient
 * g' = gscale * g + l2 * w   (gscale from clipping, l2 = lambda/m or 0);
 * decay 1: adamw's decoupled decay applies to these weights (0: biases and
 * norms, as L2 spares them; other optimizers ignore it). */
void optim_step(optim *o, float *restrict w, const float *restrict g, size_t off, size_t n,
                float lr, float gscale, float l2, int decay);

/* Clipping by global norm: the factor to scale gradients by so their norm is
 * at most max_norm (1 when max_norm <= 0 or the norm is already below). */
float optim_clip_scale(double norm, double max_norm);

/* ---- L-BFGS (lbfgs.c) ----
 * Limited-memory BFGS on one flat vector x of n values (style transfer's
 * image, as in Gatys et al.): the last `history` steps s = x' - x and
 * gradient changes y = g' - g give the direction d = -H g by the two-loop
 * recursion (Nocedal & Wright, Algorithm 7.4) with H0 = (s.y / y.y) I from
 * the newest pair.  A pair whose curvature s.y is not positive is dropped.
 * Each iteration searches along d by backtracking from step lr (the first
 * iteration from lr min(1, 1 / |g|_1), as PyTorch's LBFGS does), halving
 * until f falls by at least 1e-4 t |g.d| (Armijo), at most 20 times. */
typedef struct optim_lbfgs optim_lbfgs;

/* Evaluates the function at the x being optimized (the caller's buffer
 * passed to optim_lbfgs_step): *f and its gradient into g (n). */
typedef dlc_status (*optim_fn)(void *user, double *f, float *g, dlc_error *err);

/* State for n values and `history` pairs (>= 1): 2 history n + 3 n floats,
 * allocated here once.  optim_lbfgs_free(NULL) does nothing. */
dlc_status optim_lbfgs_create(optim_lbfgs **out, size_t n, int history, dlc_error *err);
void optim_lbfgs_free(optim_lbfgs *o);

/* One iteration from x (n) where the function is *f with gradient g: x, *f
 * and g become the accepted point's (*moved 1; the last evaluation of fn was
 * at it).  *evals receives the evaluations of fn (at least 1).  When no step
 * along d lowers f, the history is cleared and x, *f, g are left as they
 * were (*moved 0).  fn's errors are returned as they are. */
dlc_status optim_lbfgs_step(optim_lbfgs *o, float *x, double *f, float *g, double lr, optim_fn fn,
                            void *user, int *evals, int *moved, dlc_error *err);

/* ---- learning-rate schedules ---- */
typedef enum {
    SCHED_CONSTANT,
    SCHED_INVERSE_TIME,   /* lr0 / (1 + decay_rate * epoch) */
    SCHED_EXPONENTIAL,    /* base^epoch * lr0 */
    SCHED_INV_SQRT_EPOCH, /* k / sqrt(epoch) * lr0 */
    SCHED_INV_SQRT_STEP,  /* k / sqrt(t) * lr0 */
    SCHED_STEP,           /* lr0 * factor^floor((epoch - 1) / every) */
    SCHED_MANUAL,         /* the last (epoch, lr) point at or before epoch */
    SCHED_COSINE,         /* linear warm-up, then lr0 (final + (1 - final) (1 + cos(pi q)) / 2) */
    SCHED_PLATEAU,        /* max(lr0 * factor^cuts, min_lr): a cut after `patience` epochs without
                           * a better dev metric (Keras' ReduceLROnPlateau; the trainer counts) */
    SCHED_COUNT
} sched_kind;
extern const char *const sched_names[SCHED_COUNT + 1];

#define SCHED_MAX_POINTS 64

typedef struct {
    sched_kind type;
    double decay_rate;    /* inverse_time */
    double base;          /* exponential */
    double k;             /* inv_sqrt_epoch, inv_sqrt_step */
    double factor;        /* step, plateau */
    int every;            /* step */
    int patience;         /* plateau: epochs without improvement before a cut */
    double min_lr;        /* plateau: the rate is never cut below it */
    double warmup;        /* cosine: the fraction of the run's steps spent rising to lr0 */
    double final;         /* cosine: the fraction of lr0 at the end */
    int n_points;         /* manual */
    int point_epoch[SCHED_MAX_POINTS];
    double point_lr[SCHED_MAX_POINTS];
} schedule_config;

/* Learning rate for epoch (1-based, as in the notes: inverse_time with
 * lr0 0.2 and rate 1 gives 0.1 in epoch 1) and global step (1-based) of a
 * run of `total` steps (read by cosine only).  Cosine: steps up to
 * W = warmup * total rise linearly, step / W * lr0; after them q goes from
 * 0 to 1 as step goes from W + 1 to total, q = (step - 1 - W) / (total - W). */
double optim_schedule_lr(const schedule_config *s, double lr0, int epoch, long step, long total);
/* A plateau schedule's rate after `cuts` cuts: max(lr0 * factor^cuts,
 * min_lr), which is Keras' max(lr * factor, min_lr) applied cuts times
 * (optim_schedule_lr gives lr0 for it: the cuts depend on the dev metric,
 * which the trainer tracks). */
double optim_plateau_lr(const schedule_config *s, double lr0, int cuts);

#endif
