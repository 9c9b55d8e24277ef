/* dropout.c - inverted dropout: in training each value is kept with
 * probability 1 - rate and scaled by 1 / (1 - rate), so evaluation is the
 * identity.  The mask (N, size) is kept in aux for the backward pass; each
 * example's row of it comes from that example's own random stream. */
#include <string.h>

#include "layers.h"

dlc_status dropout_build(graph *g, graph_node *n, dlc_error *err)
{
    if (!(n->spec.rate >= 0.0f && n->spec.rate < 1.0f))
        return layer_fail(n, err, "rate must be in [0, 1), got %g", n->spec.rate);
    n->shape = graph_in(g, n, 0)->shape;
    n->seq = graph_in(g, n, 0)->seq;
    n->aux_per_sample = tensor_shape_size(&n->shape);
    return DLC_OK;
}

void dropout_forward(graph *g, graph_node *n, int N)
{
    const float *x = graph_in(g, n, 0)->out;
    size_t len = (size_t)N * n->size;
    float p = n->spec.rate;
    if (!g->training || p == 0.0f) {
        memcpy(n->out, x, sizeof(float) * len);
        return;
    }
    float keep = 1.0f / (1.0f - p);
    float *mask = n->aux;
    /* 64 random bits give four 16-bit uniforms; each example draws from its
     * own stream (graph.h: noise_seed), one per layer */
    uint32_t threshold = (uint32_t)(p * 65536.0f);
    uint64_t seed = g->noise_seed ^ ((uint64_t)(n->id + 1) * 0x9e3779b97f4a7c15ULL);
    for (int r = 0; r < N; r++) {
        dlc_rng rng;
        dlc_rng_seed(&rng, seed, (uint64_t)(g->noise_row0 + r));
        float *m = mask + (size_t)r * n->size;
        for (size_t i = 0; i < n->size; i += 4) {
            uint64_t bits = dlc_rng_u64(&rng);
            for (size_t k = 0; k < 4 && i + k < n->size; k++) {
                uint32_t u = (uint32_t)(bits >> (16 * k)) & 0xffff;
                m[i + k] = u >= threshold ? keep : 0.0f;
            }
        }
    }
    for (size_t i = 0; i < len; i++)
        n->out[i] = x[i] * mask[i];
}

/* dx = dy * mask */
void dropout_saves(const graph *g, const graph_node *n, graph_saves *s)
{
    s->aux = 1;
}

void dropout_backward(graph *g, graph_node *n, int N)
{
    if (!graph_wants_grad(g, n, 0))
        return;
    float *dx = graph_in(g, n, 0)->grad;
    size_t len = (size_t)N * n->size;
    if (!g->training || n->spec.rate == 0.0f) {
        tensor_axpy(dx, 1.0f, n->grad, len);
        return;
    }
    for (size_t i = 0; i < len; i++)
        dx[i] += n->grad[i] * n->aux[i];
}
