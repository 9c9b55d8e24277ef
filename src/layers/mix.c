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
    const graph_node *x0 = graph_in(g, n, 0);
    for (int k = 1; k < n->n_in; k++) {
        const graph_node *xk = graph_in(g, n, k);
        if (!tensor_shape_equal(&x0->shape, &xk->shape)) {
            char a[64], b[64];
            return layer_fail(n, err, "inputs must have equal shapes: '%s' is %s, '%s' is %s",
                              x0->spec.name, tensor_shape_str(&x0->shape, a, sizeof a),
                              xk->spec.name, tensor_shape_str(&xk->shape, b, sizeof b));
        }
    }
    n->shape = x0->shape;
    n->seq = x0->seq;
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
