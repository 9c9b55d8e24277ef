/* lbfgs.c - limited-memory BFGS with a backtracking line search (see
 * optim.h).  Letters: n values, m pairs kept.  Dot products and norms are
 * summed in double. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../base/util.h"
#include "../tensor/tensor.h"
#include "optim.h"

struct optim_lbfgs {
    size_t n;
    int m;          /* pairs kept */
    int count;      /* pairs stored (<= m) */
    int newest;     /* slot of the newest pair */
    long iters;     /* iterations taken */
    float *s, *y;   /* (m, n) steps and gradient changes */
    double *rho;    /* (m) 1 / (y.s) */
    double *alpha;  /* (m) the two-loop recursion's coefficients */
    float *d;       /* (n) the search direction */
    float *x0;      /* (n) x at the start of the iteration */
    float *g1;      /* (n) the gradient at a trial point */
};

static double dot(const float *a, const float *b, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += (double)a[i] * b[i];
    return s;
}

dlc_status optim_lbfgs_create(optim_lbfgs **out, size_t n, int history, dlc_error *err)
{
    *out = NULL;
    if (n == 0 || history < 1)
        return dlc_fail(err, DLC_EINPUT, "L-BFGS needs values and a history of at least 1");
    optim_lbfgs *o = calloc(1, sizeof *o);
    if (!o)
        return DLC_NOMEM(err);
    o->n = n;
    o->m = history;
    o->s = tensor_alloc(n * (size_t)history);
    o->y = tensor_alloc(n * (size_t)history);
    o->rho = calloc((size_t)history, sizeof *o->rho);
    o->alpha = calloc((size_t)history, sizeof *o->alpha);
    o->d = tensor_alloc(n);
    o->x0 = tensor_alloc(n);
    o->g1 = tensor_alloc(n);
    if (!o->s || !o->y || !o->rho || !o->alpha || !o->d || !o->x0 || !o->g1) {
        optim_lbfgs_free(o);
        return DLC_NOMEM(err);
    }
    *out = o;
    return DLC_OK;
}

void optim_lbfgs_free(optim_lbfgs *o)
{
    if (!o)
        return;
    tensor_free(o->s);
    tensor_free(o->y);
    free(o->rho);
    free(o->alpha);
    tensor_free(o->d);
    tensor_free(o->x0);
    tensor_free(o->g1);
    free(o);
}

/* d = -H g by the two-loop recursion over the stored pairs, newest first. */
static void direction(optim_lbfgs *o, const float *g)
{
    const size_t n = o->n;
    float *d = o->d;
    for (size_t i = 0; i < n; i++)
        d[i] = -g[i];
    for (int k = 0; k < o->count; k++) {
        int j = (o->newest - k + o->m) % o->m;
        const float *s = o->s + (size_t)j * n, *y = o->y + (size_t)j * n;
        double a = o->rho[j] * dot(s, d, n);
        o->alpha[j] = a;
        for (size_t i = 0; i < n; i++)
            d[i] -= (float)a * y[i];
    }
    if (o->count > 0) {
        const float *s = o->s + (size_t)o->newest * n, *y = o->y + (size_t)o->newest * n;
        float h0 = (float)(dot(s, y, n) / dot(y, y, n));
        for (size_t i = 0; i < n; i++)
            d[i] *= h0;
    }
    for (int k = o->count - 1; k >= 0; k--) {
        int j = (o->newest - k + o->m) % o->m;
        const float *s = o->s + (size_t)j * n, *y = o->y + (size_t)j * n;
        double b = o->rho[j] * dot(y, d, n);
        for (size_t i = 0; i < n; i++)
            d[i] += (float)(o->alpha[j] - b) * s[i];
    }
}

/* Keeps the pair x - x0, g1 - g when its curvature is positive. */
static void push_pair(optim_lbfgs *o, const float *x, const float *g)
{
    const size_t n = o->n;
    int j = (o->newest + 1) % o->m;
    float *s = o->s + (size_t)j * n, *y = o->y + (size_t)j * n;
    for (size_t i = 0; i < n; i++) {
        s[i] = x[i] - o->x0[i];
        y[i] = o->g1[i] - g[i];
    }
    double sy = dot(s, y, n);
    if (!(sy > 1e-10))
        return;
    o->rho[j] = 1.0 / sy;
    o->newest = j;
    if (o->count < o->m)
        o->count++;
}

dlc_status optim_lbfgs_step(optim_lbfgs *o, float *x, double *f, float *g, double lr, optim_fn fn,
                            void *user, int *evals, int *moved, dlc_error *err)
{
    const size_t n = o->n;
    *evals = 0;
    *moved = 0;
    direction(o, g);
    double gd = dot(g, o->d, n);
    if (!(gd < 0)) { /* not downhill: start again from steepest descent */
        o->count = 0;
        direction(o, g);
        gd = dot(g, o->d, n);
    }
    double t = lr;
    if (o->iters == 0) {
        double l1 = 0;
        for (size_t i = 0; i < n; i++)
            l1 += fabs(g[i]);
        t = l1 > 1 ? lr / l1 : lr;
    }
    memcpy(o->x0, x, sizeof(float) * n);
    for (int tries = 0; tries < 20; tries++, t *= 0.5) {
        for (size_t i = 0; i < n; i++)
            x[i] = o->x0[i] + (float)t * o->d[i];
        double f1;
        dlc_status st = fn(user, &f1, o->g1, err);
        ++*evals;
        if (st != DLC_OK)
            return st;
        if (isfinite(f1) && f1 <= *f + 1e-4 * t * gd) {
            push_pair(o, x, g);
            memcpy(g, o->g1, sizeof(float) * n);
            *f = f1;
            o->iters++;
            *moved = 1;
            return DLC_OK;
        }
    }
    memcpy(x, o->x0, sizeof(float) * n); /* no step lowered f: stay, forget the curvature */
    o->count = 0;
    return DLC_OK;
}
