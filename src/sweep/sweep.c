/* sweep.c - the distributions, and the overrides of one trial.
 *
 * The notes' advice is built in: search randomly rather than on a grid (a
 * grid tries few values of the one hyperparameter that matters), and sample
 * scale parameters on a log scale.  log_uniform gives every decade of the
 * learning rate the same odds; one_minus_log does the same for 1 - beta, so
 * beta = 0.9 .. 0.999 is not 99% spent between 0.9 and 0.99.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sweep.h"

const char *const sweep_dist_names[] = {"choice", "int_uniform", "uniform", "log_uniform",
                                        "one_minus_log", NULL};
_Static_assert(sizeof sweep_dist_names / sizeof *sweep_dist_names == SWEEP_DIST_COUNT + 1,
               "a name per distribution");

const char *const sweep_mode_names[] = {"random", "grid", NULL};

const sweep_metric sweep_metrics[] = {
    {"dev_accuracy", "splits.dev.accuracy", 1},
    {"dev_loss", "splits.dev.loss", 0},
    {"dev_error", "splits.dev.error", 0},
    {"score", "metric.value", -1}, /* the reports' single-number metric */
    {NULL, NULL, 0},
};

/* FNV-1a: a parameter's stream depends on its key, not its place in the file. */
static uint64_t hash_key(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3ULL;
    }
    return h;
}

void sweep_param_rng(dlc_rng *r, uint64_t seed, int k, const char *key)
{
    dlc_rng_seed(r, seed ^ hash_key(key), DLC_STREAM(DLC_STREAM_SWEEP, (uint32_t)k));
}

double sweep_draw(const sweep_param *p, dlc_rng *r)
{
    switch (p->dist) {
    case SWEEP_CHOICE:
        return (double)dlc_rng_below(r, (uint64_t)p->choices.n);
    case SWEEP_INT_UNIFORM:
        return p->lo + (double)dlc_rng_below(r, (uint64_t)(p->hi - p->lo) + 1);
    case SWEEP_UNIFORM:
        return p->lo + dlc_rng_uniform(r) * (p->hi - p->lo);
    case SWEEP_LOG_UNIFORM: {
        double a = log10(p->lo), b = log10(p->hi);
        return pow(10.0, a + dlc_rng_uniform(r) * (b - a));
    }
    case SWEEP_ONE_MINUS_LOG:
        return 1.0 - pow(10.0, p->lo + dlc_rng_uniform(r) * (p->hi - p->lo));
    case SWEEP_DIST_COUNT:
        break;
    }
    return NAN;
}

void sweep_format(const sweep_param *p, double v, char *buf, size_t size)
{
    if (p->dist == SWEEP_CHOICE) {
        dlc_strlcpy(buf, p->choices.v[(int)v], size);
        return;
    }
    if (p->dist == SWEEP_INT_UNIFORM) {
        snprintf(buf, size, "%.0f", v);
        return;
    }
    /* what matters of a beta near 1 is 1 - beta: 0.99912, not 0.9991 */
    int oml = p->dist == SWEEP_ONE_MINUS_LOG;
    double want = oml ? 1.0 - v : v;
    for (int prec = 4; prec <= 17; prec++) {
        snprintf(buf, size, "%.*g", prec, v);
        double got = strtod(buf, NULL);
        if (oml)
            got = 1.0 - got;
        if (fabs(got - want) <= 1e-4 * fabs(want))
            return;
    }
}

long sweep_grid_count(const sweep_param *p)
{
    if (p->dist == SWEEP_CHOICE)
        return p->choices.n;
    if (p->dist == SWEEP_INT_UNIFORM)
        return (long)(p->hi - p->lo) + 1;
    return 0;
}

int sweep_first_trial(const sweep_spec *s)
{
    return s->baseline ? 0 : 1;
}

dlc_status sweep_trial(const sweep_spec *s, int k, dlc_strlist *out, dlc_error *err)
{
    int first = sweep_first_trial(s);
    if (k < first || k > s->trials)
        return dlc_fail(err, DLC_EINPUT, "%s: trial %d is out of range: this sweep has trials %d to %d",
                        s->path, k, first, s->trials);
    for (int i = 0; i < s->fixed.n; i++)
        if (dlc_strlist_push(out, s->fixed.v[i], err) != DLC_OK)
            return DLC_ENOMEM;
    if (k == 0)
        return DLC_OK; /* the baseline: the base config as it is */
    long rest = k - 1; /* grid: combination k - 1 in mixed radix, last digit fastest */
    double *v = calloc((size_t)s->n_params + 1, sizeof *v);
    if (!v)
        return DLC_NOMEM(err);
    for (int i = s->n_params - 1; i >= 0; i--) {
        const sweep_param *p = &s->params[i];
        if (s->mode == SWEEP_GRID) {
            long n = sweep_grid_count(p);
            long digit = rest % n;
            rest /= n;
            v[i] = p->dist == SWEEP_CHOICE ? (double)digit : p->lo + (double)digit;
        } else {
            dlc_rng r;
            sweep_param_rng(&r, s->seed, k, p->key);
            v[i] = sweep_draw(p, &r);
        }
    }
    dlc_status st = DLC_OK;
    for (int i = 0; i < s->n_params && st == DLC_OK; i++) {
        char val[512], kv[800];
        sweep_format(&s->params[i], v[i], val, sizeof val);
        snprintf(kv, sizeof kv, "%s=%s", s->params[i].key, val);
        st = dlc_strlist_push(out, kv, err);
    }
    free(v);
    return st;
}
