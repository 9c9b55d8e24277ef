#include "gradcheck.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double run(graph *g, int N, gradcheck_loss fn, void *user, uint64_t seed, int with_grad)
{
    g->noise_seed = seed ^ DLC_STREAM(DLC_STREAM_GRADCHECK, 1);
    g->noise_row0 = 0;
    return fn(user, g, N, with_grad);
}

/* The piecewise part of a forward pass: which ReLU units were on and which
 * inputs won each max pooling window, hashed (FNV-1a) node by node as the
 * pass goes (graph.forward_hook: a node's output may share memory with a
 * later one's).  Two passes with different signatures lie on different
 * pieces of a piecewise-linear function: a central difference across them
 * measures no derivative. */
typedef struct {
    const graph *g;
    int N;
    uint64_t h;
} kink_sig;

static void kink_hook(void *user, int i)
{
    kink_sig *k = user;
    const graph_node *n = &k->g->nodes[i];
    size_t m = (size_t)k->N * n->size;
    uint64_t h = k->h;
    if (n->spec.activation == ACT_RELU || n->spec.activation == ACT_LEAKY_RELU) {
        for (size_t j = 0; j < m; j++)
            h = (h ^ (uint64_t)(n->out[j] > 0.0f)) * 1099511628211ull;
    }
    if (n->spec.activation == ACT_RELU6) /* its two kinks, 0 and 6 */
        for (size_t j = 0; j < m; j++)
            h = (h ^ (uint64_t)((n->out[j] > 0.0f) + 2 * (n->out[j] >= 6.0f))) * 1099511628211ull;
    if ((n->spec.op == OP_MAXPOOL || n->spec.op == OP_TIME_MAXPOOL) && n->aux) {
        const int32_t *arg = (const int32_t *)(const void *)n->aux;
        size_t words = n->aux_per_sample * (size_t)k->N;
        for (size_t j = 0; j < words; j++)
            h = (h ^ (uint64_t)(uint32_t)arg[j]) * 1099511628211ull;
    }
    k->h = h;
}

/* The loss at the current parameters, and its signature. */
static double run_sig(graph *g, int N, gradcheck_loss fn, void *user, uint64_t seed, uint64_t *sig)
{
    kink_sig k = {g, N, 1469598103934665603ull};
    void (*hook)(void *, int) = g->forward_hook;
    void *hook_user = g->forward_user;
    g->forward_hook = kink_hook;
    g->forward_user = &k;
    double L = run(g, N, fn, user, seed, 0);
    g->forward_hook = hook;
    g->forward_user = hook_user;
    *sig = k.h;
    return L;
}

/* Keeps the GRADCHECK_MAX_FAILS worst failures, worst first. */
static void note_fail(gradcheck_result *r, const gradcheck_fail *f)
{
    int n = r->failed < GRADCHECK_MAX_FAILS ? r->failed : GRADCHECK_MAX_FAILS;
    int at = n;
    while (at > 0 && r->fails[at - 1].rel < f->rel)
        at--;
    if (at < GRADCHECK_MAX_FAILS) {
        int last = n < GRADCHECK_MAX_FAILS ? n : GRADCHECK_MAX_FAILS - 1;
        memmove(r->fails + at + 1, r->fails + at, sizeof *f * (size_t)(last - at));
        r->fails[at] = *f;
    }
    r->failed++;
}

static double rms(const float *w, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += (double)w[i] * w[i];
    return n ? sqrt(s / (double)n) : 0;
}

/* The loss with w[i] moved by h (restored after); *same is 0 when the pass
 * lies on another piece than signature sig (a kink between). */
static double moved(graph *g, int N, gradcheck_loss fn, void *user, uint64_t seed, float *w,
                    size_t i, double h, uint64_t sig, int *same, double *applied)
{
    float keep = w[i];
    uint64_t s;
    w[i] = keep + (float)h;
    *applied = (double)w[i] - keep; /* the step actually taken, after float rounding */
    double L = run_sig(g, N, fn, user, seed, &s);
    w[i] = keep;
    *same &= s == sig;
    return L;
}

/* The per-op check (unit tests): one step, relative error with a floor. */
static void check_value(graph *g, int N, gradcheck_loss fn, void *user, const gradcheck_opts *o,
                        float *w, size_t i, double a, gradcheck_result *r)
{
    uint64_t sig;
    int same = 1;
    double h_up, h_down;
    double mid = run_sig(g, N, fn, user, o->seed, &sig);
    double up = moved(g, N, fn, user, o->seed, w, i, o->eps, sig, &same, &h_up);
    double down = moved(g, N, fn, user, o->seed, w, i, -o->eps, sig, &same, &h_down);
    h_down = -h_down;
    double fwd = (up - mid) / h_up, bwd = (mid - down) / h_down;
    if (!same || fabs(fwd - bwd) > fmax(0.1 * (fabs(fwd) + fabs(bwd)), 1e-3)) {
        r->skipped++; /* a ReLU or a max pool switched: no derivative there */
        return;
    }
    double num = (up - down) / (h_up + h_down);
    double abs_err = fabs(a - num);
    /* float32 rounding puts noise of about |L| * 2^-24 into every loss
     * value; divided by the step it sets the smallest gradient that
     * central differences can resolve */
    double noise = 50.0 * fabs(mid) * 0x1p-24 / o->eps;
    double rel = abs_err / fmax(fmax(fabs(a), fabs(num)), fmax(o->floor, noise));
    r->checked++;
    if (abs_err > r->max_abs)
        r->max_abs = abs_err;
    if (rel > r->max_rel || r->checked == 1) {
        r->max_rel = rel;
        r->worst = (int)i;
        r->analytic = a;
        r->numeric = num;
    }
}

/* A whole model's check at tolerance o->tol (dlc gradcheck): the step eps,
 * shrunk by 4 at a time (to eps / 64) until no ReLU or max pool switches
 * within two steps; the estimate at one and two steps, whose difference
 * bounds its own error; a five-point test for kinks the signature misses. */
static void check_value_tol(graph *g, int N, gradcheck_loss fn, void *user,
                            const gradcheck_opts *o, double eps, float *w, size_t i, double a,
                            gradcheck_result *r)
{
    uint64_t sig;
    double mid = run_sig(g, N, fn, user, o->seed, &sig);
    double up = 0, down = 0, up2 = 0, down2 = 0, h1 = 0, h2 = 0, e;
    int same = 0;
    for (int k = 0; k < 4 && !same; k++, eps /= 4) {
        double hu, hd, hu2, hd2;
        same = 1;
        up = moved(g, N, fn, user, o->seed, w, i, eps, sig, &same, &hu);
        down = moved(g, N, fn, user, o->seed, w, i, -eps, sig, &same, &hd);
        up2 = moved(g, N, fn, user, o->seed, w, i, 2 * eps, sig, &same, &hu2);
        down2 = moved(g, N, fn, user, o->seed, w, i, -2 * eps, sig, &same, &hd2);
        h1 = hu - hd;
        h2 = hu2 - hd2;
        e = eps;
    }
    if (!same) {
        r->skipped++;
        return;
    }
    double num = (up - down) / h1, num2 = (up2 - down2) / h2;
    double scale = fmax(fabs(a), fabs(num)), abs_err = fabs(a - num);
    /* five points of a smooth loss have a fourth difference of about step^4
     * times its fourth derivative; a kink inside leaves one of about the step
     * times the change of slope.  Where that could move the estimate by tol,
     * the value is no test of the gradient. */
    double d4 = fabs(up2 - 4 * up + 6 * mid - 4 * down + down2);
    if (d4 > fmax(o->tol * scale * e, 64.0 * fabs(mid) * 0x1p-24)) {
        r->skipped++;
        return;
    }
    r->checked++;
    if (abs_err > r->max_abs)
        r->max_abs = abs_err;
    /* the estimate's own error: the loss's rounding (a few units of its last
     * place, over the step) or the two estimates' difference */
    double bound = fmax(4.0 * fabs(mid) * 0x1p-24 / e, 2.0 * fabs(num - num2));
    gradcheck_fail f = {(int)i, a, num, 0, bound};
    if (scale * o->tol < bound) { /* the loss cannot resolve it to within tol */
        r->below++;
        f.rel = abs_err / bound * o->tol; /* in units of the tolerance */
        if (abs_err > bound)
            note_fail(r, &f);
        return;
    }
    f.rel = abs_err / scale;
    if (f.rel > o->tol)
        note_fail(r, &f);
    if (f.rel > r->max_rel || r->checked - r->below == 1) {
        r->max_rel = f.rel;
        r->worst = (int)i;
        r->analytic = a;
        r->numeric = num;
    }
}

/* An analytic gradient that is not finite fails outright: the comparisons
 * below are false for NaN, which would pass it. */
static void nonfinite_value(gradcheck_result *r, size_t i, double a)
{
    gradcheck_fail f = {(int)i, a, NAN, INFINITY, 0};
    r->checked++;
    note_fail(r, &f);
    r->max_rel = INFINITY;
    r->worst = (int)i;
    r->analytic = a;
    r->numeric = NAN;
}

static void check_tensor(graph *g, int N, gradcheck_loss fn, void *user, const gradcheck_opts *o,
                         float *w, const float *analytic, size_t n, dlc_rng *pick,
                         gradcheck_result *r)
{
    size_t count = o->samples > 0 && (size_t)o->samples < n ? (size_t)o->samples : n;
    double eps = o->tol > 0 ? o->eps * fmax(1.0, rms(w, n)) : o->eps;
    r->eps = eps;
    for (size_t k = 0; k < count; k++) {
        size_t i = count == n ? k : (size_t)dlc_rng_below(pick, n);
        if (!isfinite(analytic[i]))
            nonfinite_value(r, i, analytic[i]);
        else if (o->tol > 0)
            check_value_tol(g, N, fn, user, o, eps, w, i, analytic[i], r);
        else
            check_value(g, N, fn, user, o, w, i, analytic[i], r);
    }
}

int gradcheck_graph(graph *g, int N, gradcheck_loss fn, void *user, const gradcheck_opts *o,
                    gradcheck_result *res, int max)
{
    graph_zero_grad(g);
    run(g, N, fn, user, o->seed, 1);
    /* keep the analytic gradients: the numeric passes reuse the graph */
    float *grads = malloc(sizeof(float) * (g->n_grads ? g->n_grads : 1));
    size_t in_n = (size_t)N * g->nodes[0].size;
    float *in_grad = malloc(sizeof(float) * in_n);
    if (!grads || !in_grad) {
        free(grads);
        free(in_grad);
        return -1;
    }
    memcpy(grads, g->grad_block, sizeof(float) * g->n_grads);
    if (g->nodes[0].grad) /* the input's gradient flows when check_input asked for it */
        memcpy(in_grad, g->nodes[0].grad, sizeof(float) * in_n);
    dlc_rng pick;
    dlc_rng_seed(&pick, o->seed, DLC_STREAM(DLC_STREAM_GRADCHECK, 2));
    int k = 0;
    for (int p = 0; p < g->n_params && k < max; p++) {
        graph_param *gp = &g->params[p];
        if (!gp->trainable)
            continue;
        gradcheck_result *r = &res[k++];
        memset(r, 0, sizeof *r);
        snprintf(r->name, sizeof r->name, "%s", gp->name);
        check_tensor(g, N, fn, user, o, gp->data, grads + (gp->grad - g->grad_block), gp->n, &pick, r);
    }
    if (o->check_input && k < max) {
        gradcheck_result *r = &res[k++];
        memset(r, 0, sizeof *r);
        snprintf(r->name, sizeof r->name, "input");
        check_tensor(g, N, fn, user, o, graph_input(g, 0), in_grad, in_n, &pick, r);
    }
    free(grads);
    free(in_grad);
    return k;
}
