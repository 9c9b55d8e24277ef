/* elementwise.c - value-by-value layers: subtract and chi_square (two
 * inputs), multiply (two or more), abs and square (one).  Inputs of
 * several-input layers have one shape; the output has it too.  Verification
 * on |f(x_i) - f(x_j)| (or its chi-square form) and triplet distances are
 * built from these.
 *   subtract:   y = x0 - x1
 *   chi_square: y = (x0 - x1)^2 / (|x0| + |x1| + eps), DeepFace's chi-square
 *               terms (its features are non-negative, where |x0| + |x1| is
 *               x0 + x1; the absolute values keep it defined for any sign)
 *   multiply:   y = x0 * x1 * ... * x(K-1); an input may also be a gate of the others,
 *               one value per channel, (C) or (C, 1, ...), broadcast over the map's
 *               (C, spatial...) other axes: a squeeze-and-excitation block's x * s
 *   abs:        y = |x|      (dy/dx = sign(x), 0 at 0 as PyTorch takes it)
 *   square:     y = x * x
 * Every buffer is (N, size); a gate's is (N, C). */
#include <math.h>
#include <string.h>

#include "layers.h"

/* ---- subtract ---- */
dlc_status subtract_build(graph *g, graph_node *n, dlc_error *err)
{
    return layer_same_shape_inputs(g, n, err);
}

void subtract_forward(graph *g, graph_node *n, int N)
{
    size_t len = (size_t)N * n->size;
    const float *restrict a = graph_in(g, n, 0)->out, *restrict b = graph_in(g, n, 1)->out;
    float *restrict y = n->out;
    for (size_t i = 0; i < len; i++)
        y[i] = a[i] - b[i];
}

void subtract_backward(graph *g, graph_node *n, int N)
{
    size_t len = (size_t)N * n->size;
    for (int k = 0; k < 2; k++)
        if (graph_wants_grad(g, n, k))
            tensor_axpy(graph_in(g, n, k)->grad, k ? -1.0f : 1.0f, n->grad, len);
}

/* ---- chi_square ---- */
dlc_status chi_square_build(graph *g, graph_node *n, dlc_error *err)
{
    return layer_same_shape_inputs(g, n, err);
}

void chi_square_forward(graph *g, graph_node *n, int N)
{
    size_t len = (size_t)N * n->size;
    const float *restrict a = graph_in(g, n, 0)->out, *restrict b = graph_in(g, n, 1)->out;
    float *restrict y = n->out, eps = n->spec.eps;
    for (size_t i = 0; i < len; i++) {
        float u = a[i] - b[i];
        y[i] = u * u / (fabsf(a[i]) + fabsf(b[i]) + eps);
    }
}

/* With u = a - b, s = |a| + |b| + eps, y = u^2 / s:
 * dy/da = 2u/s - y sign(a)/s, dy/db = -2u/s - y sign(b)/s. */
void chi_square_backward(graph *g, graph_node *n, int N)
{
    size_t len = (size_t)N * n->size;
    const float *a = graph_in(g, n, 0)->out, *b = graph_in(g, n, 1)->out, *y = n->out;
    const float *dy = n->grad, eps = n->spec.eps;
    for (int k = 0; k < 2; k++) {
        if (!graph_wants_grad(g, n, k))
            continue;
        float *dx = graph_in(g, n, k)->grad;
        const float *x = k ? b : a;
        for (size_t i = 0; i < len; i++) {
            float s = fabsf(a[i]) + fabsf(b[i]) + eps, u = a[i] - b[i];
            float sign = x[i] > 0.0f ? 1.0f : x[i] < 0.0f ? -1.0f : 0.0f;
            dx[i] += dy[i] * ((k ? -2.0f : 2.0f) * u - y[i] * sign) / s;
        }
    }
}

/* ---- multiply ---- */

/* 1 when g, (C) or (C, 1, ...), is one value per channel of the map (C, spatial...) */
static int gate_of(const tensor_shape *g, const tensor_shape *map)
{
    if (map->ndim < 2 || g->ndim > map->ndim || g->d[0] != map->d[0])
        return 0;
    for (int i = 1; i < g->ndim; i++)
        if (g->d[i] != 1)
            return 0;
    return 1;
}

/* The inputs have one shape, or are the map (the largest) and gates of it. */
dlc_status multiply_build(graph *g, graph_node *n, dlc_error *err)
{
    const graph_node *map = graph_in(g, n, 0);
    for (int k = 1; k < n->n_in; k++)
        if (graph_in(g, n, k)->size > map->size)
            map = graph_in(g, n, k);
    int seq = 1;
    for (int k = 0; k < n->n_in; k++) {
        const graph_node *xk = graph_in(g, n, k);
        if (tensor_shape_equal(&xk->shape, &map->shape)) {
            seq = seq && xk->seq;
            continue;
        }
        char a[64], b[64];
        tensor_shape_str(&map->shape, a, sizeof a);
        tensor_shape_str(&xk->shape, b, sizeof b);
        if (!gate_of(&xk->shape, &map->shape))
            return layer_fail(n, err, "inputs must have equal shapes, or be one value per channel of the "
                                      "others ((C) or (C, 1, ...), a gate): '%s' is %s, '%s' is %s",
                              map->spec.name, a, xk->spec.name, b);
        if (map->seq)
            return layer_fail(n, err, "'%s' %s is a sequence, whose first axis is time: a gate %s of "
                                      "'%s' would scale each step, not each channel",
                              map->spec.name, a, b, xk->spec.name);
    }
    n->shape = map->shape;
    n->seq = seq;
    return DLC_OK;
}

void multiply_forward(graph *g, graph_node *n, int N)
{
    size_t len = (size_t)N * n->size, C = (size_t)n->shape.d[0], S = n->size / C, R = (size_t)N * C;
    float *restrict y = n->out;
    for (int k = 0; k < n->n_in; k++) {
        const graph_node *in = graph_in(g, n, k);
        const float *restrict x = in->out;
        if (in->size == n->size) {
            if (k == 0)
                memcpy(y, x, sizeof(float) * len);
            else
                for (size_t i = 0; i < len; i++)
                    y[i] *= x[i];
        } else { /* a gate (N, C): x[r] over row r = (sample, channel) of the map */
            for (size_t r = 0; r < R; r++)
                for (size_t s = 0; s < S; s++)
                    y[r * S + s] = (k == 0 ? 1.0f : y[r * S + s]) * x[r];
        }
    }
}

/* dx_k = dy * (product of the other inputs): every input is read. */
void multiply_saves(const graph *g, const graph_node *n, graph_saves *s)
{
    s->inputs = n->n_in >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << n->n_in) - 1u;
}

/* dx_k = dy * (product of the other inputs), summed over the map's spatial
 * axes for a gate: no division, so zeros are fine. */
void multiply_backward(graph *g, graph_node *n, int N)
{
    size_t C = (size_t)n->shape.d[0], S = n->size / C, R = (size_t)N * C;
    const float *dy = n->grad, *x[GRAPH_MAX_INPUTS];
    int gate[GRAPH_MAX_INPUTS];
    for (int j = 0; j < n->n_in; j++) {
        x[j] = graph_in(g, n, j)->out;
        gate[j] = graph_in(g, n, j)->size != n->size;
    }
    for (int k = 0; k < n->n_in; k++) {
        if (!graph_wants_grad(g, n, k))
            continue;
        float *dx = graph_in(g, n, k)->grad;
        for (size_t r = 0; r < R; r++) {
            float gp = 1.0f; /* the other gates' product on this row */
            for (int j = 0; j < n->n_in; j++)
                if (j != k && gate[j])
                    gp *= x[j][r];
            double sum = 0;
            for (size_t i = r * S; i < (r + 1) * S; i++) {
                float p = dy[i] * gp;
                for (int j = 0; j < n->n_in; j++)
                    if (j != k && !gate[j])
                        p *= x[j][i];
                if (gate[k])
                    sum += p;
                else
                    dx[i] += p;
            }
            if (gate[k])
                dx[r] += (float)sum;
        }
    }
}

/* ---- abs and square: y = f(x), dx += f'(x) dy ---- */

/* f'(x) reads x */
void unary_saves(const graph *g, const graph_node *n, graph_saves *s)
{
    s->inputs = 1u;
}
static dlc_status unary_build(graph *g, graph_node *n)
{
    n->shape = graph_in(g, n, 0)->shape;
    n->seq = graph_in(g, n, 0)->seq;
    return DLC_OK;
}

static inline float abs_f(float x)
{
    return x < 0.0f ? -x : x;
}

static inline float abs_d(float x)
{
    return x > 0.0f ? 1.0f : x < 0.0f ? -1.0f : 0.0f;
}

static inline float square_f(float x)
{
    return x * x;
}

static inline float square_d(float x)
{
    return 2.0f * x;
}

#define UNARY_OP(name)                                                           \
    dlc_status name##_build(graph *g, graph_node *n, dlc_error *err)             \
    {                                                                            \
        return unary_build(g, n);                                                \
    }                                                                            \
    void name##_forward(graph *g, graph_node *n, int N)                          \
    {                                                                            \
        size_t len = (size_t)N * n->size;                                        \
        const float *restrict x = graph_in(g, n, 0)->out;                        \
        float *restrict y = n->out;                                              \
        for (size_t i = 0; i < len; i++)                                         \
            y[i] = name##_f(x[i]);                                               \
    }                                                                            \
    void name##_backward(graph *g, graph_node *n, int N)                         \
    {                                                                            \
        if (!graph_wants_grad(g, n, 0))                                          \
            return;                                                              \
        graph_node *in = graph_in(g, n, 0);                                      \
        size_t len = (size_t)N * n->size;                                        \
        const float *restrict x = in->out, *restrict dy = n->grad;               \
        float *restrict dx = in->grad;                                           \
        for (size_t i = 0; i < len; i++)                                         \
            dx[i] += name##_d(x[i]) * dy[i];                                     \
    }

UNARY_OP(abs)
UNARY_OP(square)
