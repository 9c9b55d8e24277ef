/* common.c - what several layer families share: error messages that name the
 * layer, and weight initialisation. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>

#include "layers.h"

dlc_status layer_fail(const graph_node *n, dlc_error *err, const char *fmt, ...)
{
    char label[256], msg[700];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return dlc_fail(err, DLC_EINPUT, "%s: %s", graph_node_label(n, label, sizeof label), msg);
}

void layer_init_weights(float *w, size_t n, int fan_in, int fan_out, init_kind kind, act_kind act,
                        dlc_rng *rng)
{
    if (kind == INIT_AUTO) {
        /* the notes: He for ReLU-like units, Xavier for tanh (and the rest) */
        int relu_like = act == ACT_RELU || act == ACT_LEAKY_RELU || act == ACT_ELU || act == ACT_GELU;
        kind = relu_like ? INIT_HE : INIT_XAVIER;
    }
    double scale = 0;
    switch (kind) {
    case INIT_SMALL:
        scale = 0.01;
        break;
    case INIT_HE:
        scale = sqrt(2.0 / fan_in);
        break;
    case INIT_XAVIER:
        scale = sqrt(1.0 / fan_in);
        break;
    case INIT_GLOROT:
        scale = sqrt(2.0 / (fan_in + fan_out));
        break;
    case INIT_ZEROS:
    case INIT_AUTO:
    case INIT_COUNT:
        scale = 0;
        break;
    }
    for (size_t i = 0; i < n; i++)
        w[i] = scale ? (float)(dlc_rng_normal(rng) * scale) : 0.0f;
}
