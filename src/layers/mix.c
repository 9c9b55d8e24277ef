/* mix.c - scalar_mix: ELMo's weighted sum of a biLM's layers (Peters et al.
 * 2018, eq. 1),
 *
 *   y = gamma * sum_j s_j x_j,   s = softmax(w),
 *
 * over J inputs of one shape; w (J) starts at 0 (an even mix) and gamma at
 * 1, both learned with the task while the layers mixed may stay frozen.
 *
 * Letters: J inputs, M = N * size values per input.
 */
#include <math.h>
#include <string.h>

#include "layers.h"

dlc_status scalar_mix_build(graph *g, graph_node *n, dlc_error *err)
{
    dlc_status st = layer_same_shape_inputs(g, n, err);
    if (st)
        return st;
    tensor_shape ws = {1, {n->n_in}}, gs = {1, {1}};
    if (graph_param_add(g, n, "weight", &ws, PARAM_BIAS, err) < 0 ||
        graph_param_add(g, n, "gamma", &gs, PARAM_BIAS, err) < 0)
        return err->status;
    return DLC_OK;
}

void scalar_mix_init(graph *g, graph_node *n, dlc_rng *rng)
{
    (void)rng;
    memset(graph_p(g, n, 0)->data, 0, sizeof(float) * (size_t)n->n_in);
    graph_p(g, n, 1)->data[0] = 1.0f;
}

/* s (J) = softmax(w) */
static void mix_weights(float *s, const float *w, int J)
{
    float mx = w[0];
    for (int j = 1; j < J; j++)
        mx = w[j] > mx ? w[j] : mx;
    double sum = 0.0;
    for (int j = 0; j < J; j++)
        sum += exp((double)w[j] - mx);
    for (int j = 0; j < J; j++)
        s[j] = (float)(exp((double)w[j] - mx) / sum);
}

/* x_j (M) each -> y (M) */
void scalar_mix_forward(graph *g, graph_node *n, int N)
{
    const int J = n->n_in;
    float s[GRAPH_MAX_INPUTS];
    mix_weights(s, graph_p(g, n, 0)->data, J);
    float gamma = graph_p(g, n, 1)->data[0];
    size_t M = (size_t)N * n->size;
    memset(n->out, 0, sizeof(float) * M);
    for (int j = 0; j < J; j++)
        tensor_axpy(n->out, gamma * s[j], graph_in(g, n, j)->out, M);
}

/* dy (M) -> dx_j += gamma s_j dy; ds_j = gamma dy.x_j; dgamma = dy.(sum s_j x_j);
 * dw_k = s_k (ds_k - sum_j s_j ds_j) */
void scalar_mix_backward(graph *g, graph_node *n, int N)
{
    const int J = n->n_in;
    float s[GRAPH_MAX_INPUTS];
    double ds[GRAPH_MAX_INPUTS], dgamma = 0.0, sds = 0.0;
    graph_param *w = graph_p(g, n, 0), *gp = graph_p(g, n, 1);
    mix_weights(s, w->data, J);
    float gamma = gp->data[0];
    size_t M = (size_t)N * n->size;
    const float *dy = n->grad;
    for (int j = 0; j < J; j++) {
        graph_node *x = graph_in(g, n, j);
        double d = 0.0;
        for (size_t i = 0; i < M; i++)
            d += (double)dy[i] * x->out[i];
        dgamma += s[j] * d;
        ds[j] = gamma * d;
        sds += s[j] * ds[j];
        if (graph_wants_grad(g, n, j))
            tensor_axpy(x->grad, gamma * s[j], dy, M);
    }
    if (w->grad)
        for (int k = 0; k < J; k++)
            w->grad[k] += (float)(s[k] * (ds[k] - sds));
    if (gp->grad)
        gp->grad[0] += (float)dgamma;
}
