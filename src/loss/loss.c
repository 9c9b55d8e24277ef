/* loss.c - losses fused with their link functions.
 *
 * softmax cross-entropy per row: log-sum-exp with the row maximum subtracted,
 * gradient (softmax - onehot) / count.  sigmoid BCE per entry in the stable
 * form max(z, 0) - z t + log(1 + exp(-|z|)), gradient (sigmoid(z) - t).
 * Unknown targets (NaN, or negative class ids) add nothing. */
#include "loss.h"

#include <math.h>

#include "../graph/graph.h"

const char *const loss_names[LOSS_COUNT + 1] = {"softmax_cross_entropy", "sigmoid_bce", "mse", NULL};

int loss_link(loss_kind k)
{
    switch (k) {
    case LOSS_SOFTMAX_CE:
        return ACT_SOFTMAX;
    case LOSS_SIGMOID_BCE:
        return ACT_SIGMOID;
    default:
        return ACT_LINEAR;
    }
}

size_t loss_target_size(loss_kind k, const tensor_shape *out)
{
    size_t n = tensor_shape_size(out);
    if (k == LOSS_SOFTMAX_CE)
        return n / (size_t)out->d[out->ndim - 1];
    return n;
}

const char *loss_check_shape(loss_kind k, const tensor_shape *out)
{
    if (out->ndim < 1)
        return "the output has no axes";
    if (k == LOSS_SOFTMAX_CE && out->d[out->ndim - 1] < 2)
        return "softmax_cross_entropy needs at least 2 output units (one per class); "
               "use sigmoid_bce with 1 unit for a binary task";
    return 0;
}

static int known(float t)
{
    return !isnan(t);
}

static void softmax_ce(float *dlogits, const float *z, const float *t, size_t rows, size_t K,
                       float weight, loss_stats *st)
{
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

static void sigmoid_bce(float *dlogits, const float *z, const float *t, int N, size_t T,
                        float weight, loss_stats *st)
{
    /* summed over tasks, averaged over examples with at least one known label */
    double examples = 0;
    for (int i = 0; i < N; i++) {
        for (size_t j = 0; j < T; j++)
            if (known(t[(size_t)i * T + j])) {
                examples++;
                break;
            }
    }
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

static void mse(float *dlogits, const float *z, const float *t, size_t n, float weight,
                loss_stats *st)
{
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

void loss_compute(loss_kind k, float *dlogits, const float *logits, const float *targets,
                  int N, const tensor_shape *out, float weight, loss_stats *st)
{
    size_t size = tensor_shape_size(out);
    switch (k) {
    case LOSS_SOFTMAX_CE: {
        size_t K = (size_t)out->d[out->ndim - 1];
        softmax_ce(dlogits, logits, targets, (size_t)N * size / K, K, weight, st);
        break;
    }
    case LOSS_SIGMOID_BCE:
        sigmoid_bce(dlogits, logits, targets, N, size, weight, st);
        break;
    case LOSS_MSE:
        mse(dlogits, logits, targets, (size_t)N * size, weight, st);
        break;
    case LOSS_COUNT:
        break;
    }
}
