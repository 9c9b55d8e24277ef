/* gram.c - the channel Gram matrix of a convolution map (style transfer's
 * style representation), per example:
 *   x (N, C, H, W), seen as F (C, S) with S = H*W  ->  G (N, C, C) = F F^T / (C*S)
 *   dF = (dG + dG^T) F / (C*S)
 * Style transfer's cost divides further (by 4 C^2 S^2 in its usual form);
 * this layer is exactly the above.  Both products go through sgemm
 * (tensor_gemm), one example at a time. */
#include "layers.h"

dlc_status gram_build(graph *g, graph_node *n, dlc_error *err)
{
    const graph_node *x = graph_in(g, n, 0);
    char shape[64];
    if (x->shape.ndim != 3)
        return layer_fail(n, err,
                          "needs a convolution map (channels, height, width) from '%s', got %s",
                          x->spec.name, tensor_shape_str(&x->shape, shape, sizeof shape));
    int C = x->shape.d[0];
    n->shape = (tensor_shape){2, {C, C}};
    return DLC_OK;
}

void gram_forward(graph *g, graph_node *n, int N)
{
    const graph_node *x = graph_in(g, n, 0);
    int C = x->shape.d[0], S = (int)(x->size / (size_t)C);
    float scale = 1.0f / (float)x->size;
    for (int i = 0; i < N; i++) {
        const float *F = x->out + (size_t)i * x->size;
        tensor_gemm(0, 1, C, C, S, scale, F, F, 0.0f, n->out + (size_t)i * n->size);
    }
}

/* dF = (dG + dG^T) F / (C*S) reads F */
void gram_saves(const graph *g, const graph_node *n, graph_saves *s)
{
    s->inputs = 1u;
}

void gram_backward(graph *g, graph_node *n, int N)
{
    if (!graph_wants_grad(g, n, 0))
        return;
    graph_node *x = graph_in(g, n, 0);
    int C = x->shape.d[0], S = (int)(x->size / (size_t)C);
    float scale = 1.0f / (float)x->size;
    for (int i = 0; i < N; i++) {
        const float *F = x->out + (size_t)i * x->size, *dG = n->grad + (size_t)i * n->size;
        float *dF = x->grad + (size_t)i * x->size;
        tensor_gemm(0, 0, C, S, C, scale, dG, F, 1.0f, dF); /* dG F */
        tensor_gemm(1, 0, C, S, C, scale, dG, F, 1.0f, dF); /* dG^T F */
    }
}
