/* loss.c - losses fused with their link functions.
 *
 * softmax cross-entropy per row: log-sum-exp with the row maximum subtracted,
 * gradient (softmax - onehot) / count.  sigmoid BCE per entry in the stable
 * form max(z, 0) - z t + log(1 + exp(-|z|)), gradient (sigmoid(z) - t).
 * Unknown targets (NaN, or negative class ids) add nothing.  Style
 * transfer's content and style costs are scaled squared distances, summed
 * per example; total variation reads no targets. */
#include "loss.h"

#include <math.h>
#include <string.h>

#include "../graph/graph.h"

static int known(float t)
{
    return !isnan(t);
}

static void softmax_ce(const loss_call *c, loss_stats *st)
{
    const tensor_shape *out = c->shape;
    const size_t K = (size_t)out->d[out->ndim - 1];
    const size_t rows = (size_t)c->N * tensor_shape_size(out) / K;
    const float *z = c->out, *t = c->targets;
    float *dlogits = c->dout, weight = c->weight;
    double count = 0;
    for (size_t r = 0; r < rows; r++)
        if (known(t[r]) && t[r] >= 0)
            count++;
    if (count == 0)
        return;
    float g = (float)(weight / count);
    double sum = 0, correct = 0;
    for (size_t r = 0; r < rows; r++) {
        if (!known(t[r]) || t[r] < 0)
            continue;
        const float *zr = z + r * K;
        size_t y = (size_t)t[r];
        if (y >= K)
            continue; /* the data module rejects such labels; never read past the row */
        size_t arg = 0;
        float m = zr[0];
        for (size_t j = 1; j < K; j++)
            if (zr[j] > m) {
                m = zr[j];
                arg = j;
            }
        double s = tensor_exp_sum(zr, m, K);
        sum += log(s) + m - zr[y];
        correct += arg == y;
        if (dlogits) { /* g * (softmax - one-hot) */
            float *dr = dlogits + r * K;
            tensor_exp_axpy(dr, (float)(g / s), zr, m, K);
            dr[y] -= g;
        }
    }
    st->sum += sum;
    st->count += count;
    st->correct += correct;
    st->judged += count;
}

/* Examples of t (N, T) with at least one known target. */
static double known_examples(const float *t, int N, size_t T)
{
    double examples = 0;
    for (int i = 0; i < N; i++) {
        for (size_t j = 0; j < T; j++)
            if (known(t[(size_t)i * T + j])) {
                examples++;
                break;
            }
    }
    return examples;
}

static void sigmoid_bce(const loss_call *c, loss_stats *st)
{
    const int N = c->N;
    const size_t T = tensor_shape_size(c->shape);
    const float *z = c->out, *t = c->targets;
    float *dlogits = c->dout, weight = c->weight;
    /* summed over tasks, averaged over examples with at least one known label */
    double examples = known_examples(t, N, T);
    if (examples == 0)
        return;
    float g = (float)(weight / examples);
    double sum = 0, correct = 0, judged = 0;
    for (size_t i = 0; i < (size_t)N * T; i++) {
        if (!known(t[i]))
            continue;
        double v = z[i], y = t[i];
        sum += (v > 0 ? v : 0) - v * y + log1p(exp(-fabs(v)));
        correct += (v > 0) == (y > 0.5);
        judged++;
        if (dlogits) {
            float p = v >= 0 ? 1.0f / (1.0f + expf(-z[i])) : expf(z[i]) / (1.0f + expf(z[i]));
            dlogits[i] += g * (p - t[i]);
        }
    }
    st->sum += sum;
    st->count += examples;
    st->correct += correct;
    st->judged += judged;
}

static void mse(const loss_call *c, loss_stats *st)
{
    const size_t n = (size_t)c->N * tensor_shape_size(c->shape);
    const float *z = c->out, *t = c->targets;
    float *dlogits = c->dout, weight = c->weight;
    double count = 0;
    for (size_t i = 0; i < n; i++)
        count += known(t[i]);
    if (count == 0)
        return;
    float g = (float)(2.0 * weight / count);
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        if (!known(t[i]))
            continue;
        double d = (double)z[i] - t[i];
        sum += d * d;
        if (dlogits)
            dlogits[i] += g * (float)d;
    }
    st->sum += sum;
    st->count += count;
}

/* k ||out - t||^2 per example (known targets only), averaged over the
 * examples with a known target: style transfer's content (k = 1/2) and
 * style (k = 1/4 of the gram layer's G = F F^T / (C H W)) costs. */
static void scaled_sq(const loss_call *c, loss_stats *st, double k)
{
    const size_t D = tensor_shape_size(c->shape);
    const float *z = c->out, *t = c->targets;
    double examples = known_examples(t, c->N, D);
    if (examples == 0)
        return;
    float g = (float)(2.0 * k * c->weight / examples);
    double sum = 0;
    for (size_t i = 0; i < (size_t)c->N * D; i++) {
        if (!known(t[i]))
            continue;
        double d = (double)z[i] - t[i];
        sum += d * d;
        if (c->dout)
            c->dout[i] += g * (float)d;
    }
    st->sum += k * sum;
    st->count += examples;
}

static void content_cost(const loss_call *c, loss_stats *st)
{
    scaled_sq(c, st, 0.5);
}

static void style_cost(const loss_call *c, loss_stats *st)
{
    scaled_sq(c, st, 0.25);
}

/* x (N, C, H, W): sum over c, i, j of (x[i+1][j] - x[i][j])^2 + (x[i][j+1] -
 * x[i][j])^2 per example; the gradient of each squared difference d^2 is
 * 2d at the later pixel and -2d at the earlier one. */
static void total_variation(const loss_call *c, loss_stats *st)
{
    const tensor_shape *s = c->shape;
    const size_t H = (size_t)s->d[1], W = (size_t)s->d[2], planes = (size_t)c->N * s->d[0];
    const float g = (float)(2.0 * c->weight / c->N);
    double sum = 0;
    for (size_t p = 0; p < planes; p++) {
        const float *x = c->out + p * H * W;
        float *dx = c->dout ? c->dout + p * H * W : NULL;
        for (size_t i = 0; i < H; i++)
            for (size_t j = 0; j < W; j++) {
                size_t at = i * W + j;
                if (i + 1 < H) {
                    float d = x[at + W] - x[at];
                    sum += (double)d * d;
                    if (dx) {
                        dx[at + W] += g * d;
                        dx[at] -= g * d;
                    }
                }
                if (j + 1 < W) {
                    float d = x[at + 1] - x[at];
                    sum += (double)d * d;
                    if (dx) {
                        dx[at + 1] += g * d;
                        dx[at] -= g * d;
                    }
                }
            }
    }
    st->sum += sum;
    st->count += c->N;
}

/* ---- targets and shapes ---- */

static size_t per_value(const tensor_shape *out)
{
    return tensor_shape_size(out);
}

static size_t per_row(const tensor_shape *out)
{
    return tensor_shape_size(out) / (size_t)out->d[out->ndim - 1];
}

static size_t no_targets(const tensor_shape *out)
{
    (void)out;
    return 0;
}

static const char *gram_shape(const tensor_shape *out)
{
    if (out->ndim != 2 || out->d[0] != out->d[1])
        return "style compares Gram matrices (C, C): name a gram layer (type: gram) reading a "
               "convolution map";
    return NULL;
}

static const char *image_shape(const tensor_shape *out)
{
    if (out->ndim != 3)
        return "total_variation needs an image or a map (channels, height, width)";
    return NULL;
}

static const char *any_shape(const tensor_shape *out)
{
    return out->ndim < 1 ? "the output has no axes" : NULL;
}

static const char *class_shape(const tensor_shape *out)
{
    if (out->ndim < 1)
        return "the output has no axes";
    if (out->d[out->ndim - 1] < 2)
        return "softmax_cross_entropy needs at least 2 output units (one per class); "
               "use sigmoid_bce with 1 unit for a binary task";
    return NULL;
}

/* ---- the table ---- */

const char *const loss_names[LOSS_COUNT + 1] = {
    "softmax_cross_entropy", "sigmoid_bce", "mse", "content", "style", "total_variation", NULL,
};

const loss_def loss_table[] = {
    [LOSS_SOFTMAX_CE] = {"softmax_cross_entropy", ACT_SOFTMAX, LOSS_TARGET_CLASS, 1, per_row,
                         class_shape, softmax_ce},
    [LOSS_SIGMOID_BCE] = {"sigmoid_bce", ACT_SIGMOID, LOSS_TARGET_BINARY, 0, per_value, any_shape,
                          sigmoid_bce},
    [LOSS_MSE] = {"mse", ACT_LINEAR, LOSS_TARGET_NUMERIC, 0, per_value, any_shape, mse},
    [LOSS_CONTENT] = {"content", ACT_LINEAR, LOSS_TARGET_NUMERIC, 0, per_value, any_shape,
                      content_cost},
    [LOSS_STYLE] = {"style", ACT_LINEAR, LOSS_TARGET_NUMERIC, 0, per_value, gram_shape, style_cost},
    [LOSS_TOTAL_VARIATION] = {"total_variation", ACT_LINEAR, LOSS_TARGET_NUMERIC, 0, no_targets,
                              image_shape, total_variation},
};
_Static_assert(sizeof loss_table / sizeof loss_table[0] == LOSS_COUNT,
               "loss_table needs one row per loss_kind");
_Static_assert(sizeof loss_names / sizeof loss_names[0] == LOSS_COUNT + 1,
               "loss_names needs one name per loss_kind");

int loss_find(const char *name)
{
    for (int k = 0; k < LOSS_COUNT; k++)
        if (loss_table[k].name && strcmp(loss_table[k].name, name) == 0)
            return k;
    return -1;
}

void loss_compute(loss_kind k, float *dlogits, const float *logits, const float *targets, int N,
                  const tensor_shape *out, float weight, loss_stats *st)
{
    loss_call c = {logits, targets, N, out, weight, dlogits};
    loss_table[k].compute(&c, st);
}

double loss_mean(const loss_stats *st)
{
    return st->count > 0 ? st->sum / st->count : NAN;
}

double loss_accuracy(const loss_stats *st)
{
    return st->judged > 0 ? st->correct / st->judged : NAN;
}

void loss_stats_add(loss_stats *a, const loss_stats *b)
{
    a->sum += b->sum;
    a->count += b->count;
    a->correct += b->correct;
    a->judged += b->judged;
}
