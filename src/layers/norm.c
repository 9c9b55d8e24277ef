/* norm.c - batch normalization over the channel axis.
 *   x (N, C, S) -> y = gamma * (x - mu) / sqrt(var + eps) + beta
 * C is the first per-sample axis (features for (D), channels for (C, H, W)),
 * S the product of the rest; mu and var are the batch mean and the mean of
 * squared deviations over N*S values (NB: not the notes' slip).  Training
 * updates running = momentum * running + (1 - momentum) * batch, with the
 * unbiased variance as PyTorch does; evaluation uses the running values.
 * aux holds xhat (N, C, S) and 1/sqrt(var + eps) (C). */
#include <math.h>

#include "layers.h"

static void bn_geometry(const graph_node *n, int *C, size_t *S)
{
    *C = n->shape.d[0];
    *S = n->size / (size_t)*C;
}

dlc_status batchnorm_build(graph *g, graph_node *n, dlc_error *err)
{
    n->shape = graph_in(g, n, 0)->shape;
    int C = n->shape.d[0];
    tensor_shape cs = {1, {C}};
    if (!(n->spec.momentum >= 0.0f && n->spec.momentum < 1.0f))
        return layer_fail(n, err, "momentum must be in [0, 1), got %g", n->spec.momentum);
    if (!(n->spec.eps > 0.0f))
        return layer_fail(n, err, "eps must be positive, got %g", n->spec.eps);
    if (graph_param_add(g, n, "gamma", &cs, PARAM_NORM, err) < 0 ||
        graph_param_add(g, n, "beta", &cs, PARAM_NORM, err) < 0 ||
        graph_param_add(g, n, "running_mean", &cs, PARAM_BUFFER, err) < 0 ||
        graph_param_add(g, n, "running_var", &cs, PARAM_BUFFER, err) < 0)
        return err->status;
    n->aux_per_sample = tensor_shape_size(&n->shape);
    n->aux_fixed = (size_t)C;
    return DLC_OK;
}

void batchnorm_init(graph *g, graph_node *n, dlc_rng *rng)
{
    graph_param *gamma = graph_p(g, n, 0), *var = graph_p(g, n, 3);
    tensor_fill(gamma->data, 1.0f, gamma->n);
    tensor_fill(var->data, 1.0f, var->n);
}

void batchnorm_forward(graph *g, graph_node *n, int N)
{
    int C;
    size_t S;
    bn_geometry(n, &C, &S);
    const float *x = graph_in(g, n, 0)->out;
    const float *gamma = graph_p(g, n, 0)->data, *beta = graph_p(g, n, 1)->data;
    float *rmean = graph_p(g, n, 2)->data, *rvar = graph_p(g, n, 3)->data;
    float *xhat = n->aux, *inv_std = n->aux + n->aux_per_sample * (size_t)g->nmax;
    size_t CS = (size_t)C * S;
    double M = (double)N * (double)S;
    float m = n->spec.momentum, eps = n->spec.eps;
    for (int c = 0; c < C; c++) {
        float mu, is;
        if (g->training) {
            double sum = 0, sq = 0;
            for (int i = 0; i < N; i++) {
                const float *xc = x + (size_t)i * CS + (size_t)c * S;
                for (size_t s = 0; s < S; s++)
                    sum += xc[s];
            }
            double mean = sum / M;
            for (int i = 0; i < N; i++) {
                const float *xc = x + (size_t)i * CS + (size_t)c * S;
                for (size_t s = 0; s < S; s++) {
                    double d = xc[s] - mean;
                    sq += d * d;
                }
            }
            double var = sq / M;
            mu = (float)mean;
            is = (float)(1.0 / sqrt(var + eps));
            double unbiased = M > 1 ? var * M / (M - 1) : var;
            rmean[c] = m * rmean[c] + (1 - m) * (float)mean;
            rvar[c] = m * rvar[c] + (1 - m) * (float)unbiased;
        } else {
            mu = rmean[c];
            is = 1.0f / sqrtf(rvar[c] + eps);
        }
        inv_std[c] = is;
        for (int i = 0; i < N; i++) {
            size_t at = (size_t)i * CS + (size_t)c * S;
            for (size_t s = 0; s < S; s++) {
                float h = (x[at + s] - mu) * is;
                xhat[at + s] = h;
                n->out[at + s] = gamma[c] * h + beta[c];
            }
        }
    }
}

void batchnorm_backward(graph *g, graph_node *n, int N)
{
    int C;
    size_t S;
    bn_geometry(n, &C, &S);
    graph_param *gamma = graph_p(g, n, 0), *beta = graph_p(g, n, 1);
    const float *xhat = n->aux, *inv_std = n->aux + n->aux_per_sample * (size_t)g->nmax;
    const float *dy = n->grad;
    float *dx = graph_wants_grad(g, n, 0) ? graph_in(g, n, 0)->grad : NULL;
    size_t CS = (size_t)C * S;
    double M = (double)N * (double)S;
    for (int c = 0; c < C; c++) {
        double sdy = 0, sdyx = 0;
        for (int i = 0; i < N; i++) {
            size_t at = (size_t)i * CS + (size_t)c * S;
            for (size_t s = 0; s < S; s++) {
                sdy += dy[at + s];
                sdyx += (double)dy[at + s] * xhat[at + s];
            }
        }
        if (gamma->trainable)
            gamma->grad[c] += (float)sdyx;
        if (beta->trainable)
            beta->grad[c] += (float)sdy;
        if (!dx)
            continue;
        float gc = gamma->data[c] * inv_std[c];
        if (g->training) {
            /* dx = gamma/sigma * (dy - mean(dy) - xhat * mean(dy * xhat)) */
            float mdy = (float)(sdy / M), mdyx = (float)(sdyx / M);
            for (int i = 0; i < N; i++) {
                size_t at = (size_t)i * CS + (size_t)c * S;
                for (size_t s = 0; s < S; s++)
                    dx[at + s] += gc * (dy[at + s] - mdy - xhat[at + s] * mdyx);
            }
        } else {
            for (int i = 0; i < N; i++) {
                size_t at = (size_t)i * CS + (size_t)c * S;
                for (size_t s = 0; s < S; s++)
                    dx[at + s] += gc * dy[at + s];
            }
        }
    }
}
