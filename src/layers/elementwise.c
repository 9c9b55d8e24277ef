/* elementwise.c - value-by-value layers: subtract and chi_square (two
 * inputs), multiply (two or more), abs and square (one).  Inputs of
 * several-input layers have one shape; the output has it too.  Verification
 * on |f(x_i) - f(x_j)| (or its chi-square form) and triplet distances are
 * built from these.
 *   subtract:   y = x0 - x1
 *   chi_square: y = (x0 - x1)^2 / (|x0| + |x1| + eps), DeepFace's chi-square
 *               terms (its features are non-negative, where |x0| + |x1| is
 *               x0 + x1; the absolute values keep it defined for any sign)
 *   multiply:   y = x0 * x1 * ... * x(K-1)
 *   abs:        y = |x|      (dy/dx = sign(x), 0 at 0 as PyTorch takes it)
 *   square:     y = x * x
 * Every buffer is (N, size). */
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
dlc_status multiply_build(graph *g, graph_node *n, dlc_error *err)
{
    return layer_same_shape_inputs(g, n, err);
}

void multiply_forward(graph *g, graph_node *n, int N)
{
    size_t len = (size_t)N * n->size;
    float *restrict y = n->out;
    memcpy(y, graph_in(g, n, 0)->out, sizeof(float) * len);
    for (int k = 1; k < n->n_in; k++) {
        const float *restrict x = graph_in(g, n, k)->out;
        for (size_t i = 0; i < len; i++)
            y[i] *= x[i];
    }
}

/* dx_k = dy * (product of the other inputs): every input is read. */
void multiply_saves(const graph *g, const graph_node *n, graph_saves *s)
{
    s->inputs = (1u << n->n_in) - 1u;
}

/* dx_k = dy * (product of the other inputs): no division, so zeros are fine. */
void multiply_backward(graph *g, graph_node *n, int N)
{
    size_t len = (size_t)N * n->size;
    const float *dy = n->grad, *x[GRAPH_MAX_INPUTS];
    for (int j = 0; j < n->n_in; j++)
        x[j] = graph_in(g, n, j)->out;
    for (int k = 0; k < n->n_in; k++) {
        if (!graph_wants_grad(g, n, k))
            continue;
        float *dx = graph_in(g, n, k)->grad;
        for (size_t i = 0; i < len; i++) {
            float p = dy[i];
            for (int j = 0; j < n->n_in; j++)
                if (j != k)
                    p *= x[j][i];
            dx[i] += p;
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
