/* optim.c - SGD, momentum, RMSprop, Adam and AdamW over flat parameter ranges.
 *
 * Every update first forms g' = gscale * g + l2 * w (clipping and L2 fused
 * into the same pass), then:
 *   sgd       w -= lr g'                                 (momentum mu = 0)
 *             b = mu b + (1 - d) g' (b = g' at step 1);  w -= lr b
 *             nesterov: w -= lr (g' + mu b)              (torch.optim.SGD)
 *   momentum  v = b v + (1 - b) g';            w -= lr v
 *   rmsprop   s = r s + (1 - r) g'^2;          w -= lr g' / (sqrt(s) + eps)
 *   adam      m = b1 m + (1 - b1) g'; v = b2 v + (1 - b2) g'^2;
 *             w -= lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
 *   adamw     w -= lr wd w (decoupled: the w before the step), then adam
 *             (torch.optim.AdamW, Loshchilov & Hutter)
 *   amsgrad   (adam, adamw) vmax = max(vmax, v), which replaces v in the step
 *             (torch.optim.Adam(amsgrad=True); Reddi, Kale & Kumar)
 * as in the notes (momentum in its exponentially-weighted-average form). */
#include "optim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../base/util.h"
#include "../tensor/tensor.h"

const char *const optim_names[OPT_COUNT + 1] = {"sgd", "momentum", "rmsprop", "adam", "adamw", NULL};

const char *const optim_state_names[OPTIM_STATES] = {"m", "v", "vmax"};

static int needs_m(const optim_config *c)
{
    return c->type == OPT_MOMENTUM || c->type == OPT_ADAM || c->type == OPT_ADAMW ||
           (c->type == OPT_SGD && c->momentum > 0);
}

static int needs_v(const optim_config *c)
{
    return c->type == OPT_RMSPROP || c->type == OPT_ADAM || c->type == OPT_ADAMW;
}

static int needs_vmax(const optim_config *c)
{
    return (c->type == OPT_ADAM || c->type == OPT_ADAMW) && c->amsgrad;
}

int optim_moments(const optim_config *cfg)
{
    return needs_m(cfg) + needs_v(cfg) + needs_vmax(cfg);
}

dlc_status optim_create(optim **out, const optim_config *cfg, size_t n, dlc_error *err)
{
    *out = NULL;
    optim *o = calloc(1, sizeof *o);
    if (!o)
        return DLC_NOMEM(err);
    o->cfg = *cfg;
    o->n = n;
    if ((needs_m(cfg) && !(o->m = tensor_alloc(n))) || (needs_v(cfg) && !(o->v = tensor_alloc(n))) ||
        (needs_vmax(cfg) && !(o->vmax = tensor_alloc(n)))) {
        optim_free(o);
        return DLC_NOMEM(err);
    }
    *out = o;
    return DLC_OK;
}

void optim_free(optim *o)
{
    if (!o)
        return;
    tensor_free(o->m);
    tensor_free(o->v);
    tensor_free(o->vmax);
    free(o);
}

void optim_begin_step(optim *o)
{
    o->t++;
}

DLC_HOT
static void step_sgd(float *restrict w, const float *restrict g, size_t n, float lr, float gs, float l2)
{
    for (size_t i = 0; i < n; i++)
        w[i] -= lr * (gs * g[i] + l2 * w[i]);
}

DLC_HOT
static void step_momentum(float *restrict w, const float *restrict g, float *restrict v, size_t n,
                          float lr, float gs, float l2, float b)
{
    for (size_t i = 0; i < n; i++) {
        float gi = gs * g[i] + l2 * w[i];
        v[i] = b * v[i] + (1.0f - b) * gi;
        w[i] -= lr * v[i];
    }
}

/* PyTorch's SGD with momentum mu: the buffer starts as the first step's
 * gradient (undampened), as torch.optim.SGD clones it. */
DLC_HOT
static void step_sgd_momentum(float *restrict w, const float *restrict g, float *restrict b,
                              size_t n, float lr, float gs, float l2, float mu, float d,
                              int first, int nesterov)
{
    for (size_t i = 0; i < n; i++) {
        float gi = gs * g[i] + l2 * w[i];
        b[i] = first ? gi : mu * b[i] + (1.0f - d) * gi;
        w[i] -= lr * (nesterov ? gi + mu * b[i] : b[i]);
    }
}

DLC_HOT
static void step_rmsprop(float *restrict w, const float *restrict g, float *restrict s, size_t n,
                         float lr, float gs, float l2, float r, float eps)
{
    for (size_t i = 0; i < n; i++) {
        float gi = gs * g[i] + l2 * w[i];
        s[i] = r * s[i] + (1.0f - r) * gi * gi;
        w[i] -= lr * gi / (sqrtf(s[i]) + eps);
    }
}

/* vmax (amsgrad; NULL without): the largest v so far divides the step. */
DLC_HOT
static void step_adam(float *restrict w, const float *restrict g, float *restrict m, float *restrict v,
                      float *restrict vmax, size_t n, float lr, float gs, float l2, float b1, float b2,
                      float c1, float c2, float eps, float keep)
{
    for (size_t i = 0; i < n; i++) {
        float gi = gs * g[i] + l2 * w[i];
        w[i] *= keep; /* adamw: 1 - lr wd, after the gradient read w */
        m[i] = b1 * m[i] + (1.0f - b1) * gi;
        v[i] = b2 * v[i] + (1.0f - b2) * gi * gi;
        if (vmax)
            vmax[i] = v[i] > vmax[i] ? v[i] : vmax[i];
        float vi = vmax ? vmax[i] : v[i];
        w[i] -= lr * (m[i] * c1) / (sqrtf(vi * c2) + eps);
    }
}

void optim_step(optim *o, float *restrict w, const float *restrict g, size_t off, size_t n,
                float lr, float gscale, float l2, int decay)
{
    const optim_config *c = &o->cfg;
    switch (c->type) {
    case OPT_SGD:
        if (o->m)
            step_sgd_momentum(w, g, o->m + off, n, lr, gscale, l2, (float)c->momentum,
                              (float)c->dampening, o->t <= 1, c->nesterov);
        else
            step_sgd(w, g, n, lr, gscale, l2);
        break;
    case OPT_MOMENTUM:
        step_momentum(w, g, o->m + off, n, lr, gscale, l2, (float)c->momentum);
        break;
    case OPT_RMSPROP:
        step_rmsprop(w, g, o->v + off, n, lr, gscale, l2, (float)c->rho, (float)c->eps);
        break;
    case OPT_ADAM:
    case OPT_ADAMW: {
        long t = o->t > 0 ? o->t : 1;
        float c1 = (float)(1.0 / (1.0 - pow(c->beta1, (double)t)));
        float c2 = (float)(1.0 / (1.0 - pow(c->beta2, (double)t)));
        float keep = c->type == OPT_ADAMW && decay ? 1.0f - lr * (float)c->weight_decay : 1.0f;
        step_adam(w, g, o->m + off, o->v + off, o->vmax ? o->vmax + off : NULL, n, lr, gscale, l2,
                  (float)c->beta1, (float)c->beta2, c1, c2, (float)c->eps, keep);
        break;
    }
    case OPT_COUNT:
        break;
    }
}

float optim_clip_scale(double norm, double max_norm)
{
    if (max_norm <= 0 || !(norm > max_norm))
        return 1.0f;
    return (float)(max_norm / norm);
}

/* ---- schedules ---- */

const char *const sched_names[SCHED_COUNT + 1] = {
    "constant", "inverse_time", "exponential", "inv_sqrt_epoch", "inv_sqrt_step", "step", "manual",
    "cosine", "plateau", NULL,
};

double optim_schedule_lr(const schedule_config *s, double lr0, int epoch, long step, long total)
{
    if (epoch < 1)
        epoch = 1;
    if (step < 1)
        step = 1;
    switch (s->type) {
    case SCHED_CONSTANT:
        return lr0;
    case SCHED_INVERSE_TIME:
        return lr0 / (1.0 + s->decay_rate * epoch);
    case SCHED_EXPONENTIAL:
        return pow(s->base, epoch) * lr0;
    case SCHED_INV_SQRT_EPOCH:
        return s->k / sqrt((double)epoch) * lr0;
    case SCHED_INV_SQRT_STEP:
        return s->k / sqrt((double)step) * lr0;
    case SCHED_STEP:
        return lr0 * pow(s->factor, (double)((epoch - 1) / (s->every > 0 ? s->every : 1)));
    case SCHED_MANUAL: {
        double lr = lr0;
        for (int i = 0; i < s->n_points; i++)
            if (s->point_epoch[i] <= epoch)
                lr = s->point_lr[i];
        return lr;
    }
    case SCHED_COSINE: {
        double W = s->warmup * (double)(total > 1 ? total : 1);
        if ((double)step <= W)
            return lr0 * (double)step / W;
        double q = total > W ? ((double)step - 1.0 - W) / ((double)total - W) : 1.0;
        q = q < 0 ? 0 : q > 1 ? 1 : q;
        return lr0 * (s->final + (1.0 - s->final) * 0.5 * (1.0 + cos(M_PI * q)));
    }
    case SCHED_PLATEAU: /* the trainer's cuts: optim_plateau_lr */
    case SCHED_COUNT:
        break;
    }
    return lr0;
}

double optim_plateau_lr(const schedule_config *s, double lr0, int cuts)
{
    double lr = lr0 * pow(s->factor, (double)cuts);
    return lr > s->min_lr ? lr : s->min_lr;
}
