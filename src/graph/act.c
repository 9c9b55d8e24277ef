/* act.c - activation functions and their exact derivatives.
 *
 * The graph applies a node's activation in place after its op, and turns the
 * output gradient into the pre-activation gradient in place before the op's
 * backward.  Derivatives come from the output y where that is exact (sigmoid
 * y(1-y), tanh 1-y^2, relu and leaky relu by the sign of y, elu y+alpha for
 * y <= 0, relu6 1 for 0 < y < 6, hardsigmoid its slope alpha for 0 < y < 1); gelu, silu and hardswish
 * need z and keep it in node->pre.  At the hard activations' kinks the derivatives are
 * PyTorch's (hardsigmoid 0 where y is 0 or 1; hardswish z/3 + 1/2 on [-3, 3], so -1/2 and 3/2 there).
 * NB: the leaky-relu
 * derivative is 1 for z > 0 (the notes have a slip there). */
#include <math.h>

#include "graph.h"

int graph_act_needs_pre(act_kind a)
{
    return a == ACT_GELU || a == ACT_SILU || a == ACT_HARDSWISH;
}

/* sigmoid(v), never exponentiating a positive number */
static inline float act_sigmoid(float v)
{
    if (v >= 0)
        return 1.0f / (1.0f + expf(-v));
    float e = expf(v);
    return e / (1.0f + e);
}

/* max(0, min(1, a v + b)): ONNX's HardSigmoid; a = 1/6, b = 1/2 is PyTorch's nn.Hardsigmoid,
 * relu6(v + 3) / 6 (and hardswish's), a = 0.2 Keras' hard_sigmoid */
static inline float act_hardsigmoid(float v, float a, float b)
{
    float h = v * a + b;
    h = h > 0.0f ? h : 0.0f;
    return h < 1.0f ? h : 1.0f;
}

static void softmax_rows(float *y, const float *z, size_t R, size_t D)
{
    for (size_t r = 0; r < R; r++) {
        const float *zr = z + r * D;
        float *yr = y + r * D;
        float m = zr[0];
        for (size_t j = 1; j < D; j++)
            m = zr[j] > m ? zr[j] : m;
        double s = 0;
        for (size_t j = 0; j < D; j++) {
            yr[j] = expf(zr[j] - m);
            s += yr[j];
        }
        float inv = (float)(1.0 / s);
        for (size_t j = 0; j < D; j++)
            yr[j] *= inv;
    }
}

DLC_HOT
static void relu_forward(float *y, const float *z, size_t n, float slope) /* y may be z */
{
    for (size_t i = 0; i < n; i++) {
        /* both sides computed first: a conditional multiply keeps GCC from
         * vectorizing (it may not speculate a float operation) */
        float v = z[i], m = slope * v;
        y[i] = v > 0.0f ? v : m;
    }
}

static void act_forward_rows(act_kind a, float alpha, float beta, float *y, const float *z, size_t R, size_t D)
{
    size_t n = R * D;
    switch (a) {
    case ACT_LINEAR:
        if (y != z)
            for (size_t i = 0; i < n; i++)
                y[i] = z[i];
        break;
    case ACT_SIGMOID:
        for (size_t i = 0; i < n; i++)
            y[i] = act_sigmoid(z[i]); /* stable for large |z| */
        break;
    case ACT_TANH:
        for (size_t i = 0; i < n; i++)
            y[i] = tanhf(z[i]);
        break;
    case ACT_RELU:
        relu_forward(y, z, n, 0.0f);
        break;
    case ACT_LEAKY_RELU:
        relu_forward(y, z, n, alpha);
        break;
    case ACT_ELU:
        for (size_t i = 0; i < n; i++)
            y[i] = z[i] > 0.0f ? z[i] : alpha * expm1f(z[i]);
        break;
    case ACT_GELU:
        for (size_t i = 0; i < n; i++)
            y[i] = 0.5f * z[i] * (1.0f + erff(z[i] * (float)M_SQRT1_2));
        break;
    case ACT_RELU6:
        for (size_t i = 0; i < n; i++) {
            float v = z[i] > 0.0f ? z[i] : 0.0f;
            y[i] = v < 6.0f ? v : 6.0f;
        }
        break;
    case ACT_SILU:
        for (size_t i = 0; i < n; i++)
            y[i] = z[i] * act_sigmoid(z[i]);
        break;
    case ACT_HARDSIGMOID:
        for (size_t i = 0; i < n; i++)
            y[i] = act_hardsigmoid(z[i], alpha, beta);
        break;
    case ACT_HARDSWISH:
        for (size_t i = 0; i < n; i++)
            y[i] = z[i] * act_hardsigmoid(z[i], 1.0f / 6.0f, 0.5f);
        break;
    case ACT_SOFTMAX:
        softmax_rows(y, z, R, D);
        break;
    case ACT_COUNT:
        break;
    }
}

DLC_HOT
static void relu_backward(float *dz, const float *dy, const float *restrict y, /* dz may be dy */
                          size_t n, float slope)
{
    for (size_t i = 0; i < n; i++) {
        float d = dy[i], m = slope * d;
        dz[i] = y[i] > 0.0f ? d : m;
    }
}

static void act_backward_rows(act_kind a, float alpha, float *dz, const float *dy, const float *y,
                              const float *z, size_t R, size_t D)
{
    size_t n = R * D;
    switch (a) {
    case ACT_LINEAR:
        if (dz != dy)
            for (size_t i = 0; i < n; i++)
                dz[i] = dy[i];
        break;
    case ACT_SIGMOID:
        for (size_t i = 0; i < n; i++)
            dz[i] = dy[i] * y[i] * (1.0f - y[i]);
        break;
    case ACT_TANH:
        for (size_t i = 0; i < n; i++)
            dz[i] = dy[i] * (1.0f - y[i] * y[i]);
        break;
    case ACT_RELU:
        relu_backward(dz, dy, y, n, 0.0f);
        break;
    case ACT_LEAKY_RELU:
        /* y > 0 exactly when z > 0 because alpha >= 0 */
        relu_backward(dz, dy, y, n, alpha);
        break;
    case ACT_ELU:
        for (size_t i = 0; i < n; i++)
            dz[i] = y[i] > 0.0f ? dy[i] : dy[i] * (y[i] + alpha);
        break;
    case ACT_GELU:
        for (size_t i = 0; i < n; i++) {
            float v = z[i];
            float cdf = 0.5f * (1.0f + erff(v * (float)M_SQRT1_2));
            float pdf = expf(-0.5f * v * v) * 0.3989422804014327f;
            dz[i] = dy[i] * (cdf + v * pdf);
        }
        break;
    case ACT_RELU6:
        /* the derivative 0 at the kinks, as PyTorch's hardtanh_backward */
        for (size_t i = 0; i < n; i++) {
            float d = dy[i]; /* read first: a conditional read keeps GCC from vectorizing */
            dz[i] = (y[i] > 0.0f) & (y[i] < 6.0f) ? d : 0.0f;
        }
        break;
    case ACT_SILU:
        /* d(z s)/dz = s (1 + z (1 - s)), s = sigmoid(z) */
        for (size_t i = 0; i < n; i++) {
            float s = act_sigmoid(z[i]);
            dz[i] = dy[i] * s * (1.0f + z[i] * (1.0f - s));
        }
        break;
    case ACT_HARDSIGMOID:
        for (size_t i = 0; i < n; i++) {
            float d = dy[i] * alpha; /* the slope */
            dz[i] = (y[i] > 0.0f) & (y[i] < 1.0f) ? d : 0.0f;
        }
        break;
    case ACT_HARDSWISH:
        /* PyTorch's hardswish_backward: 0 below -3, z/3 + 1/2 up to 3 (both ends in), 1 above */
        for (size_t i = 0; i < n; i++) {
            float v = z[i], d = dy[i];
            dz[i] = v < -3.0f ? 0.0f : v <= 3.0f ? d * (v * (1.0f / 3.0f) + 0.5f) : d;
        }
        break;
    case ACT_SOFTMAX:
        for (size_t r = 0; r < R; r++) {
            const float *yr = y + r * D, *dyr = dy + r * D;
            float *dzr = dz + r * D;
            double dot = 0;
            for (size_t j = 0; j < D; j++)
                dot += (double)dyr[j] * yr[j];
            for (size_t j = 0; j < D; j++)
                dzr[j] = yr[j] * (dyr[j] - (float)dot);
        }
        break;
    case ACT_COUNT:
        break;
    }
}

/* ---- large activations split by rows over the worker threads ---- */

/* Below this many values the workers are not worth waking. */
#define ACT_PARALLEL_MIN 65536

typedef struct {
    act_kind a;
    float alpha, beta;
    float *out;                  /* y (forward) or dz (backward) */
    const float *in, *y, *z;     /* z (forward) or dy (backward); y, z for backward */
    size_t R, D;
    int backward;
} act_job;

static void act_part(void *ctx, int part, int parts)
{
    const act_job *j = ctx;
    size_t lo, hi;
    tensor_part_range(j->R, 1, part, parts, &lo, &hi);
    if (lo >= hi)
        return;
    size_t at = lo * j->D;
    if (j->backward)
        act_backward_rows(j->a, j->alpha, j->out + at, j->in + at, j->y ? j->y + at : NULL,
                          j->z ? j->z + at : NULL, hi - lo, j->D);
    else
        act_forward_rows(j->a, j->alpha, j->beta, j->out + at, j->in + at, hi - lo, j->D);
}

static void act_run(act_job *j)
{
    if (j->R > 1 && j->R * j->D >= ACT_PARALLEL_MIN && tensor_pool_threads() > 1)
        tensor_parallel(act_part, j);
    else
        act_part(j, 0, 1);
}

void graph_act_forward(act_kind a, float alpha, float beta, float *y, const float *z, size_t R, size_t D)
{
    act_job j = {a, alpha, beta, y, z, NULL, NULL, R, D, 0};
    act_run(&j);
}

void graph_act_backward(act_kind a, float alpha, float *dz, const float *dy, const float *y,
                        const float *z, size_t R, size_t D)
{
    act_job j = {a, alpha, 0.0f, dz, dy, y, z, R, D, 1};
    act_run(&j);
}
