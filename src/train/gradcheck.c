#include "gradcheck.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double run(graph *g, int N, gradcheck_loss fn, void *user, uint64_t seed, int with_grad)
{
    dlc_rng_seed(&g->rng, seed, DLC_STREAM(DLC_STREAM_GRADCHECK, 1));
    return fn(user, g, N, with_grad);
}

static void check_tensor(graph *g, int N, gradcheck_loss fn, void *user, const gradcheck_opts *o,
                         float *w, const float *analytic, size_t n, dlc_rng *pick,
                         gradcheck_result *r)
{
    size_t count = o->samples > 0 && (size_t)o->samples < n ? (size_t)o->samples : n;
    for (size_t k = 0; k < count; k++) {
        size_t i = count == n ? k : (size_t)dlc_rng_below(pick, n);
        float keep = w[i];
        w[i] = keep + (float)o->eps;
        double up = run(g, N, fn, user, o->seed, 0);
        w[i] = keep - (float)o->eps;
        double down = run(g, N, fn, user, o->seed, 0);
        w[i] = keep;
        double mid = run(g, N, fn, user, o->seed, 0);
        /* the perturbation actually applied, after float rounding */
        double h_up = (double)(keep + (float)o->eps) - keep;
        double h_down = keep - (double)(keep - (float)o->eps);
        double fwd = (up - mid) / h_up, bwd = (mid - down) / h_down;
        if (fabs(fwd - bwd) > fmax(0.1 * (fabs(fwd) + fabs(bwd)), 1e-3)) {
            r->skipped++;
            continue;
        }
        double num = (up - down) / (h_up + h_down);
        double a = analytic[i];
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
}

int gradcheck_graph(graph *g, int N, gradcheck_loss fn, void *user, const gradcheck_opts *o,
                    gradcheck_result *res, int max)
{
    graph_zero_grad(g);
    run(g, N, fn, user, o->seed, 1);
    /* keep the analytic gradients: the numeric passes reuse the graph */
    float *grads = malloc(sizeof(float) * (g->n_weights ? g->n_weights : 1));
    size_t in_n = (size_t)N * g->nodes[0].size;
    float *in_grad = malloc(sizeof(float) * in_n);
    if (!grads || !in_grad) {
        free(grads);
        free(in_grad);
        return -1;
    }
    memcpy(grads, g->grad_block, sizeof(float) * g->n_weights);
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
