/* node_tests.c - ONNX's own backend node tests (Debian's libonnx-testdata)
 * as a peer test suite for dlc's layers.
 *
 *   build/tests/onnx_node_tests DIR [-v] [CASE...]
 *
 * DIR holds the cases (/usr/include/onnx/backend/test/data/node): each a
 * model.onnx of one node and test_data_set_K/input_I.pb, output_O.pb.  A
 * case whose op maps to a dlc layer is built as that layer (graph_build)
 * from the node's attributes, with the node's weight inputs as the layer's
 * parameters, run in evaluation mode on the data input, and compared with
 * the expected outputs as ONNX's runner does: |dlc - onnx| <= atol + rtol
 * |onnx| with rtol 1e-3, atol 1e-5.  A case is skipped, with the reason,
 * when it needs what dlc's layer does not do (an attribute value, a second
 * data input, the batch axis).  Prints the table per op (run, passed,
 * failed, skipped) and the skip reasons; exits 1 when a case fails that is
 * not listed in `known` below with why dlc differs. */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../../src/graph/graph.h"
#include "../../src/onnx/onnx.h"

#define MAX_IO 8
#define RTOL 1e-3
#define ATOL 1e-5

/* Cases that fail for a reason dlc keeps on purpose (none today). */
static const struct {
    const char *name, *why;
} known[] = {{NULL, NULL}};

typedef struct {
    const char *dir;
    onnx_model *m;
    const onnx_node *node;
    onnx_tensor in[MAX_IO];    /* the node's inputs by position ("" inputs: empty) */
    int has_in[MAX_IO];
    onnx_tensor want[MAX_IO];  /* expected values of the node's outputs by position */
    int has_want[MAX_IO];
    /* what the op builder sets up */
    layer_spec spec;
    int data;                  /* which input feeds the graph */
    float *x;                  /* (N, size) the graph's input, owned */
    int N;
    tensor_shape shape;        /* per sample */
    struct {
        char name[96];
        float *v;              /* owned */
        size_t n;
    } params[8];
    int n_params;
    /* how dlc's output (N, ...) maps onto output 0 of the node, or the
     * recurrent layers' Y / Y_h */
    int rnn;                   /* 1: compare Y (T, dirs, N, H) and Y_h from (N, T, dirs*H) */
    int T, dirs, H;
} tcase;

static void spec_init(layer_spec *s, const char *type)
{
    memset(s, 0, sizeof *s);
    snprintf(s->type, sizeof s->type, "%s", type);
    snprintf(s->name, sizeof s->name, "l");
    s->op = graph_op_find(type);
    s->trainable = 1;
    s->activation = ACT_LINEAR;
    s->alpha = 0.01f;
    s->slope = 1.0f / 6.0f;
    s->offset = 0.5f;
    s->init = INIT_AUTO;
    s->use_bias = 1;
    s->momentum = 0.9f;
    s->eps = 1e-5f;
    s->pad_id = -1;
    s->count_include_pad = 1;
    s->groups = 1;
}

static const char *attr_s(const onnx_node *n, const char *k, const char *dflt)
{
    const onnx_attr *a = onnx_attr_get(n, k);
    return a && a->s ? a->s : dflt;
}

static int64_t attr_i(const onnx_node *n, const char *k, int64_t dflt)
{
    const onnx_attr *a = onnx_attr_get(n, k);
    return a ? a->i : dflt;
}

static float attr_f(const onnx_node *n, const char *k, float dflt)
{
    const onnx_attr *a = onnx_attr_get(n, k);
    return a ? a->f : dflt;
}

/* The input tensor's values as floats (ids too), owned copy. */
static float *as_floats(const onnx_tensor *t)
{
    float *v = malloc(sizeof *v * (t->n ? t->n : 1));
    for (size_t i = 0; v && i < t->n; i++)
        v[i] = t->f ? t->f[i] : (float)t->i[i];
    return v;
}

static void add_param(tcase *k, const char *local, float *v, size_t n)
{
    snprintf(k->params[k->n_params].name, sizeof k->params[0].name, "l.%s", local);
    k->params[k->n_params].v = v;
    k->params[k->n_params].n = n;
    k->n_params++;
}

/* The data input as the graph's: axis 0 is the batch (a rank-1 input is one sample). */
static const char *take_data(tcase *k, int idx)
{
    const onnx_tensor *t = &k->in[idx];
    if (!k->has_in[idx])
        return "the data input is missing";
    if (t->ndim < 1 || t->ndim > TENSOR_MAX_DIMS)
        return "a scalar or very high-rank input";
    k->data = idx;
    if (t->ndim == 1) {
        k->N = 1;
        k->shape.ndim = 1;
        k->shape.d[0] = (int)t->dims[0];
    } else {
        k->N = (int)t->dims[0];
        k->shape.ndim = t->ndim - 1;
        for (int i = 1; i < t->ndim; i++)
            k->shape.d[i - 1] = (int)t->dims[i];
    }
    if (k->N < 1 || tensor_shape_size(&k->shape) < 1)
        return "an empty input";
    k->x = as_floats(t);
    return NULL;
}

/* ---- one builder per ONNX op: NULL when built, else why it is skipped ---- */

static const char *b_activation(tcase *k)
{
    const onnx_node *n = k->node;
    const char *op = n->op;
    spec_init(&k->spec, "activation");
    const char *why = take_data(k, 0);
    if (why)
        return why;
    int rank = k->in[0].ndim;
    if (!strcmp(op, "Relu"))
        k->spec.activation = ACT_RELU;
    else if (!strcmp(op, "Sigmoid"))
        k->spec.activation = ACT_SIGMOID;
    else if (!strcmp(op, "Tanh"))
        k->spec.activation = ACT_TANH;
    else if (!strcmp(op, "LeakyRelu")) {
        k->spec.activation = ACT_LEAKY_RELU;
        k->spec.alpha = attr_f(n, "alpha", 0.01f);
    } else if (!strcmp(op, "Elu")) {
        k->spec.activation = ACT_ELU;
        k->spec.alpha = attr_f(n, "alpha", 1.0f);
    } else if (!strcmp(op, "Clip")) {
        /* bounds as inputs 1 and 2 (opset 11 on): relu6 is [0, 6], relu [0, inf) */
        int lo = k->has_in[1] && k->in[1].n == 1 && k->in[1].f, hi = k->has_in[2] && k->in[2].n == 1 && k->in[2].f;
        if (lo && k->in[1].f[0] == 0.0f && hi && k->in[2].f[0] == 6.0f)
            k->spec.activation = ACT_RELU6;
        else if (lo && k->in[1].f[0] == 0.0f && !k->has_in[2])
            k->spec.activation = ACT_RELU;
        else
            return "Clip to bounds other than [0, 6] (relu6) or [0, inf) (relu)";
    } else if (!strcmp(op, "HardSigmoid")) {
        /* ONNX's defaults: alpha 0.2, beta 0.5 (Keras' hard_sigmoid) */
        k->spec.activation = ACT_HARDSIGMOID;
        k->spec.slope = attr_f(n, "alpha", 0.2f);
        k->spec.offset = attr_f(n, "beta", 0.5f);
    } else if (!strcmp(op, "HardSwish")) {
        k->spec.activation = ACT_HARDSWISH;
    } else if (!strcmp(op, "Softmax")) {
        int64_t axis = attr_i(n, "axis", k->m->opset >= 13 ? -1 : 1);
        if (axis < 0)
            axis += rank;
        if (axis != rank - 1)
            return "softmax over an axis other than the last (dlc's is over the last)";
        if (rank == 1)
            return "softmax of a rank-1 tensor is over the batch axis";
        k->spec.activation = ACT_SOFTMAX;
    } else if (!strcmp(op, "Dropout")) {
        spec_init(&k->spec, "dropout");
        k->spec.rate = attr_f(n, "ratio", 0.5f);
        if (k->has_in[2])
            return "training_mode given (dlc's dropout in evaluation is the identity)";
        if (k->node->n_out > 1 && k->node->out[1][0])
            return "the mask output (dlc has none)";
    }
    return NULL;
}

static const char *b_flatten(tcase *k)
{
    spec_init(&k->spec, "flatten");
    int64_t axis = attr_i(k->node, "axis", 1);
    if (axis < 0)
        axis += k->in[0].ndim;
    if (axis != 1)
        return "flatten at an axis other than 1 (dlc keeps the batch axis)";
    return take_data(k, 0);
}

static const char *b_reshape(tcase *k)
{
    spec_init(&k->spec, "reshape");
    const onnx_tensor *s = &k->in[1];
    if (!k->has_in[1] || !s->i || s->n < 1 || s->n > TENSOR_MAX_DIMS + 1)
        return "the shape input is missing or not int64";
    if (attr_i(k->node, "allowzero", 0))
        return "allowzero (a zero-sized dim)";
    const char *why = take_data(k, 0);
    if (why)
        return why;
    if (!(s->i[0] == 0 || s->i[0] == k->N) || k->in[0].ndim < 2)
        return "a reshape that changes the batch axis";
    k->spec.target_ndim = (int)s->n - 1;
    for (size_t i = 1; i < s->n; i++) {
        int64_t v = s->i[i];
        if (v == 0) /* copy the input's dim */
            v = (int)i < k->in[0].ndim ? k->in[0].dims[i] : -2;
        if (v < -1)
            return "a 0 in the shape past the input's rank";
        k->spec.target[i - 1] = (int)v;
    }
    return NULL;
}

static const char *b_gemm(tcase *k)
{
    const onnx_node *n = k->node;
    spec_init(&k->spec, "dense");
    const onnx_tensor *A = &k->in[0], *B = &k->in[1], *C = &k->in[2];
    if (A->ndim != 2 || B->ndim != 2)
        return "Gemm on tensors other than matrices";
    int ta = (int)attr_i(n, "transA", 0), tb = (int)attr_i(n, "transB", 0);
    float alpha = attr_f(n, "alpha", 1.0f), beta = attr_f(n, "beta", 1.0f);
    int M = (int)A->dims[ta ? 1 : 0], K = (int)A->dims[ta ? 0 : 1];
    int OUT = (int)B->dims[tb ? 0 : 1];
    if ((int)B->dims[tb ? 1 : 0] != K)
        return "mismatched shapes";
    k->N = M;
    k->shape.ndim = 1;
    k->shape.d[0] = K;
    k->data = 0;
    k->x = malloc(sizeof(float) * (size_t)M * K);
    for (int i = 0; i < M; i++) /* A transposed here when transA */
        for (int j = 0; j < K; j++)
            k->x[(size_t)i * K + j] = ta ? A->f[(size_t)j * M + i] : A->f[(size_t)i * K + j];
    float *w = malloc(sizeof(float) * (size_t)OUT * K); /* (OUT, IN) */
    for (int o = 0; o < OUT; o++)
        for (int j = 0; j < K; j++)
            w[(size_t)o * K + j] = alpha * (tb ? B->f[(size_t)o * K + j] : B->f[(size_t)j * OUT + o]);
    k->spec.units = OUT;
    add_param(k, "weight", w, (size_t)OUT * K);
    float *b = calloc((size_t)OUT, sizeof *b);
    if (k->has_in[2] && C->n > 0) {
        if (C->n == 1)
            for (int o = 0; o < OUT; o++)
                b[o] = beta * C->f[0];
        else if (C->n == (size_t)OUT)
            for (int o = 0; o < OUT; o++)
                b[o] = beta * C->f[o];
        else {
            free(b);
            return "a bias that differs per row (dlc's is per output unit)";
        }
    }
    add_param(k, "bias", b, (size_t)OUT);
    return NULL;
}

static const char *b_matmul(tcase *k)
{
    spec_init(&k->spec, "dense");
    const onnx_tensor *B = &k->in[1];
    if (B->ndim != 2)
        return "MatMul by a batch of matrices (dlc's dense has one weight matrix)";
    const char *why = take_data(k, 0);
    if (why)
        return why;
    if (k->in[0].ndim < 2)
        return "a vector times a matrix";
    int K = (int)B->dims[0], OUT = (int)B->dims[1];
    if (k->shape.d[k->shape.ndim - 1] != K)
        return "mismatched shapes";
    float *w = malloc(sizeof(float) * (size_t)OUT * K);
    for (int o = 0; o < OUT; o++)
        for (int j = 0; j < K; j++)
            w[(size_t)o * K + j] = B->f[(size_t)j * OUT + o];
    k->spec.units = OUT;
    k->spec.use_bias = 0;
    add_param(k, "weight", w, (size_t)OUT * K);
    return NULL;
}

/* kernel, stride and padding of a Conv or pool node into the spec; pads
 * that dlc cannot express (asymmetric other than its `same`) are refused */
static const char *window(tcase *k, int nsp, const int64_t *kernel, int pool)
{
    const onnx_node *n = k->node;
    const onnx_attr *st = onnx_attr_get(n, "strides"), *pd = onnx_attr_get(n, "pads"),
                    *dl = onnx_attr_get(n, "dilations");
    const char *auto_pad = attr_s(n, "auto_pad", "NOTSET");
    if (dl && dl->n_ints != nsp)
        return "malformed dilations";
    k->spec.ceil_mode = pool && attr_i(n, "ceil_mode", 0);
    k->spec.kernel.n = k->spec.stride.n = k->spec.pad.n = k->spec.dilation.n = nsp;
    int lo[3], hi[3], same = 1, sym = 1;
    for (int i = 0; i < nsp; i++) {
        int64_t in = k->in[k->data].dims[2 + i], s = st && i < st->n_ints ? st->ints[i] : 1;
        int64_t d = dl ? dl->ints[i] : 1, kd = d * (kernel[i] - 1) + 1; /* the taps' span */
        k->spec.kernel.v[i] = (int)kernel[i];
        k->spec.stride.v[i] = (int)s;
        k->spec.dilation.v[i] = (int)d;
        if (!strcmp(auto_pad, "SAME_UPPER") || !strcmp(auto_pad, "SAME_LOWER")) {
            int64_t out = (in + s - 1) / s, total = (out - 1) * s + kd - in;
            total = total < 0 ? 0 : total;
            int upper = !strcmp(auto_pad, "SAME_UPPER");
            lo[i] = (int)(upper ? total / 2 : total - total / 2);
            hi[i] = (int)(total - lo[i]);
        } else if (!strcmp(auto_pad, "VALID") || !pd) {
            lo[i] = hi[i] = 0;
        } else if (pd->n_ints == 2 * nsp) {
            lo[i] = (int)pd->ints[i];
            hi[i] = (int)pd->ints[nsp + i];
        } else {
            return "malformed pads";
        }
        int64_t out = (in + s - 1) / s, total = (out - 1) * s + kd - in;
        total = total < 0 ? 0 : total;
        same &= lo[i] == total / 2 && hi[i] == total - total / 2;
        sym &= lo[i] == hi[i];
        k->spec.pad.v[i] = lo[i];
    }
    if (sym)
        k->spec.padding = PAD_EXPLICIT;
    else if (same)
        k->spec.padding = PAD_SAME;
    else
        return "asymmetric pads other than `same` (dlc pads both sides alike, or as `same`)";
    return NULL;
}

static const char *b_conv(tcase *k)
{
    const onnx_node *n = k->node;
    const onnx_tensor *W = &k->in[1];
    int nsp = k->in[0].ndim - 2;
    if (nsp < 1 || nsp > 3)
        return "a convolution over other than 1 to 3 spatial axes";
    spec_init(&k->spec, nsp == 1 ? "conv1d" : nsp == 2 ? "conv2d" : "conv3d");
    k->spec.groups = (int)attr_i(n, "group", 1);
    if (!W->f || W->ndim != nsp + 2)
        return "the weight is missing";
    const char *why = take_data(k, 0);
    if (why)
        return why;
    int64_t kernel[3];
    for (int i = 0; i < nsp; i++)
        kernel[i] = W->dims[2 + i];
    if ((why = window(k, nsp, kernel, 0)))
        return why;
    k->spec.filters = (int)W->dims[0];
    add_param(k, "weight", as_floats(W), W->n);
    if (k->has_in[2])
        add_param(k, "bias", as_floats(&k->in[2]), k->in[2].n);
    else
        k->spec.use_bias = 0;
    return NULL;
}

/* DepthToSpace (DCR or CRD) and SpaceToDepth (DCR), as import reads them */
static const char *b_depth_space(tcase *k)
{
    const onnx_node *n = k->node;
    int d2s = !strcmp(n->op, "DepthToSpace");
    if (k->in[0].ndim != 4)
        return "a map other than (N, C, H, W)";
    spec_init(&k->spec, d2s ? "pixel_shuffle" : "pixel_unshuffle");
    k->spec.scale = (layer_window){1, {(int)attr_i(n, "blocksize", 0)}};
    k->spec.order = !strcmp(attr_s(n, "mode", "DCR"), "CRD") ? SHUFFLE_CRD : SHUFFLE_DCR;
    return take_data(k, 0);
}

/* ConvTranspose through the window import reads (onnx_conv_transpose_window) */
static const char *b_conv_transpose(tcase *k)
{
    const onnx_node *n = k->node;
    const onnx_tensor *W = &k->in[1];
    int nsp = k->in[0].ndim - 2;
    if (nsp < 1 || nsp > 3)
        return "a convolution over other than 1 to 3 spatial axes";
    if (!W->f || W->ndim != nsp + 2)
        return "the weight is missing";
    spec_init(&k->spec, "conv_transpose");
    k->spec.groups = (int)attr_i(n, "group", 1);
    const char *why = take_data(k, 0);
    if (why)
        return why;
    k->spec.kernel.n = k->spec.stride.n = k->spec.pad.n = k->spec.dilation.n = k->spec.output_padding.n = nsp;
    int explicit = 1, same = 1;
    for (int i = 0; i < nsp; i++) {
        int64_t s, d, p, o;
        int sm;
        if ((why = onnx_conv_transpose_window(n, nsp, i, k->in[0].dims[2 + i], W->dims[2 + i], &s, &d, &p, &o, &sm)))
            explicit = 0;
        same &= sm;
        k->spec.kernel.v[i] = (int)W->dims[2 + i];
        k->spec.stride.v[i] = (int)s;
        k->spec.dilation.v[i] = (int)d;
        k->spec.pad.v[i] = (int)p;
        k->spec.output_padding.v[i] = (int)o;
    }
    if (!explicit && !same)
        return "a crop other than padding p with output_padding, or `same`";
    k->spec.padding = explicit ? PAD_EXPLICIT : PAD_SAME;
    if (!explicit)
        memset(&k->spec.output_padding, 0, sizeof k->spec.output_padding);
    k->spec.filters = (int)(W->dims[1] * k->spec.groups);
    add_param(k, "weight", as_floats(W), W->n);
    if (k->has_in[2])
        add_param(k, "bias", as_floats(&k->in[2]), k->in[2].n);
    else
        k->spec.use_bias = 0;
    return NULL;
}

static const char *b_pool(tcase *k)
{
    const onnx_node *n = k->node;
    int avg = !strcmp(n->op, "AveragePool");
    int nsp = k->in[0].ndim - 2;
    if (nsp < 1 || nsp > 3)
        return "pooling over other than 1 to 3 spatial axes";
    spec_init(&k->spec, avg ? "avgpool" : "maxpool");
    const onnx_attr *ks = onnx_attr_get(n, "kernel_shape");
    if (!ks || ks->n_ints != nsp)
        return "kernel_shape is missing";
    if (k->in[0].f == NULL)
        return "an integer input (dlc computes in float)";
    const char *why = take_data(k, 0);
    if (why)
        return why;
    if ((why = window(k, nsp, ks->ints, 1)))
        return why;
    for (int i = 0; avg && i < nsp; i++)
        if (k->spec.dilation.v[i] != 1)
            return "dilations on an average pool (dlc's avgpool windows are dense)";
    k->spec.count_include_pad = (int)attr_i(n, "count_include_pad", 0);
    return NULL;
}

static const char *b_global_avgpool(tcase *k)
{
    spec_init(&k->spec, "global_avgpool");
    if (k->in[0].ndim < 3)
        return "no spatial axes";
    return take_data(k, 0);
}

/* nearest by whole factors (as scales or sizes), output o reading input floor(o / f):
 * asymmetric with floor, or half_pixel with a rounding nearest_mode (for a whole f it
 * rounds to the same pixel), as import reads it */
static const char *b_resize(tcase *k)
{
    const onnx_node *n = k->node;
    spec_init(&k->spec, "upsample");
    int align;
    const char *why = onnx_resize_mode(n, &align);
    if (why)
        return why;
    if (!strcmp(attr_s(n, "mode", "nearest"), "linear")) {
        k->spec.interp = UPSAMPLE_BILINEAR;
        k->spec.align_corners = align;
    }
    if (onnx_attr_get(n, "axes") || attr_i(n, "antialias", 0))
        return "axes or antialias (opset 18)";
    const onnx_tensor *x = &k->in[0], *sc = &k->in[2], *sz = &k->in[3];
    int nsp = x->ndim - 2;
    if (nsp < 1 || nsp > 3)
        return "no spatial axes, or more than 3";
    k->spec.scale.n = nsp;
    for (int i = 0; i < 2 + nsp; i++) {
        double f = k->has_in[2] && sc->f && sc->n == (size_t)x->ndim ? sc->f[i]
                   : k->has_in[3] && sz->i && sz->n == (size_t)x->ndim ? (double)sz->i[i] / (double)x->dims[i]
                                                                       : 0.0;
        if (f < 1.0 || f != floor(f) || (i < 2 && f != 1.0))
            return "a factor that is not whole, below 1, or of the batch or channel axis";
        if (i >= 2)
            k->spec.scale.v[i - 2] = (int)f;
    }
    return take_data(k, 0);
}

static const char *b_batchnorm(tcase *k)
{
    const onnx_node *n = k->node;
    spec_init(&k->spec, "batchnorm");
    if (attr_i(n, "training_mode", 0) || n->n_out > 1)
        return "training mode (dlc's evaluation uses the running statistics)";
    k->spec.eps = attr_f(n, "epsilon", 1e-5f);
    const char *why = take_data(k, 0);
    if (why)
        return why;
    static const char *const names[4] = {"gamma", "beta", "running_mean", "running_var"};
    for (int i = 0; i < 4; i++) {
        if (!k->has_in[1 + i])
            return "a statistic is missing";
        add_param(k, names[i], as_floats(&k->in[1 + i]), k->in[1 + i].n);
    }
    return NULL;
}

static const char *b_gather(tcase *k)
{
    spec_init(&k->spec, "embedding");
    const onnx_tensor *data = &k->in[0], *idx = &k->in[1];
    if (attr_i(k->node, "axis", 0) != 0 || data->ndim != 2 || !data->f)
        return "a gather other than rows of a float matrix (dlc's embedding)";
    for (size_t i = 0; i < idx->n; i++)
        if (!idx->i || idx->i[i] < 0)
            return "negative indices (dlc treats them as padding)";
    const char *why = take_data(k, 1);
    if (why)
        return why;
    if (idx->ndim < 2)
        return "rank-1 indices (dlc's embedding keeps a batch axis)";
    k->spec.vocab = (int)data->dims[0];
    k->spec.units = (int)data->dims[1];
    add_param(k, "weight", as_floats(data), data->n);
    return NULL;
}

/* ONNX's gate blocks -> dlc's rows: dlc gate g takes ONNX gate src[g], times sign[g]. */
static const char *b_recurrent(tcase *k)
{
    const onnx_node *n = k->node;
    const char *op = n->op;
    int lstm = !strcmp(op, "LSTM"), gru = !strcmp(op, "GRU");
    spec_init(&k->spec, lstm ? "lstm" : gru ? "gru" : "rnn");
    const char *dir = attr_s(n, "direction", "forward");
    if (!strcmp(dir, "reverse"))
        return "direction reverse alone (dlc's backward direction comes with the forward one)";
    for (int i = 4; i < n->n_in && i < MAX_IO; i++)
        if (n->in[i][0])
            return i == 4 ? "sequence_lens (dlc takes lengths from an embedding's padding)"
                   : i == 7 ? "peepholes (dlc's LSTM has none)"
                            : "initial states (dlc starts from zeros)";
    if (onnx_attr_get(n, "clip"))
        return "clip (dlc does not clip cell inputs)";
    if (lstm && attr_i(n, "input_forget", 0))
        return "input_forget (coupled gates)";
    int lbr = gru && attr_i(n, "linear_before_reset", 0); /* dlc's reset_after */
    const onnx_attr *acts = onnx_attr_get(n, "activations");
    int relu = 0;
    for (int i = 0; acts && i < acts->n_strings; i++) {
        const char *a = acts->strings[i];
        if (!lstm && !gru && (!strcmp(a, "Relu") || !strcmp(a, "Tanh")))
            relu = !strcmp(a, "Relu");
        else if (!((lstm || gru) && ((i % (lstm ? 3 : 2)) == 0 ? !strcmp(a, "Sigmoid") : !strcmp(a, "Tanh"))))
            return "activations other than the defaults";
    }
    int layout = (int)attr_i(n, "layout", 0);
    const onnx_tensor *X = &k->in[0], *W = &k->in[1], *R = &k->in[2];
    if (X->ndim != 3 || !W->f || !R->f)
        return "malformed inputs";
    int dirs = !strcmp(dir, "bidirectional") ? 2 : 1;
    int H = (int)attr_i(n, "hidden_size", R->dims[2]);
    int G = lstm ? 4 : gru ? 3 : 1;
    int T = (int)X->dims[layout ? 1 : 0], N = (int)X->dims[layout ? 0 : 1], D = (int)X->dims[2];
    k->N = N;
    k->T = T;
    k->dirs = dirs;
    k->H = H;
    k->rnn = 1;
    k->data = 0;
    k->shape = (tensor_shape){2, {T, D}};
    k->x = malloc(sizeof(float) * (size_t)N * T * D); /* (N, T, D) */
    for (int i = 0; i < N; i++)
        for (int t = 0; t < T; t++)
            memcpy(k->x + ((size_t)i * T + t) * D,
                   X->f + (layout ? (size_t)i * T + t : (size_t)t * N + i) * D, sizeof(float) * D);
    k->spec.units = H;
    k->spec.bidirectional = dirs == 2;
    k->spec.merge = RNN_MERGE_CONCAT;
    k->spec.return_sequences = 1;
    k->spec.nonlinearity = relu ? RNN_CELL_RELU : RNN_CELL_TANH;
    k->spec.variant = lbr ? GRU_RESET_AFTER : GRU_FULL;
    for (int d = 0; d < dirs; d++) {
        float *wih = malloc(sizeof(float) * (size_t)G * H * D), *whh = malloc(sizeof(float) * (size_t)G * H * H);
        float *b = malloc(sizeof(float) * (size_t)G * H), *bhn = lbr ? malloc(sizeof(float) * (size_t)H) : NULL;
        onnx_rnn_weights(op, W, R, k->has_in[3] ? &k->in[3] : NULL, d, wih, whh, b, bhn);
        add_param(k, d ? "weight_ih_reverse" : "weight_ih", wih, (size_t)G * H * D);
        add_param(k, d ? "weight_hh_reverse" : "weight_hh", whh, (size_t)G * H * H);
        add_param(k, d ? "bias_reverse" : "bias", b, (size_t)G * H);
        if (lbr)
            add_param(k, d ? "bias_hn_reverse" : "bias_hn", bhn, (size_t)H);
    }
    return NULL;
}

static const char *b_abs(tcase *k)
{
    spec_init(&k->spec, "abs");
    return take_data(k, 0);
}

static const char *b_layernorm(tcase *k)
{
    const onnx_node *n = k->node;
    spec_init(&k->spec, "layernorm");
    int rank = k->in[0].ndim;
    int64_t axis = attr_i(n, "axis", -1);
    if (axis < 0)
        axis += rank;
    if (axis < 1)
        return "normalizing over the batch axis";
    if (attr_i(n, "stash_type", 1) != 1)
        return "a stash_type other than float";
    const char *why = take_data(k, 0);
    if (why)
        return why;
    k->spec.axes = rank - (int)axis;
    k->spec.eps = attr_f(n, "epsilon", 1e-5f);
    size_t D = 1;
    for (int i = (int)axis; i < rank; i++)
        D *= (size_t)k->in[0].dims[i];
    if (!k->has_in[1] || k->in[1].n != D)
        return "a scale that is not one value per normalized position";
    add_param(k, "gamma", as_floats(&k->in[1]), D);
    add_param(k, "beta", k->has_in[2] ? as_floats(&k->in[2]) : calloc(D, sizeof(float)), D);
    return NULL;
}

typedef struct {
    const char *op;
    const char *(*build)(tcase *k);
} op_row;

static const op_row ops[] = {
    {"Relu", b_activation},   {"Sigmoid", b_activation},      {"Tanh", b_activation},
    {"LeakyRelu", b_activation}, {"Elu", b_activation},       {"Softmax", b_activation},
    {"Clip", b_activation},   {"HardSigmoid", b_activation},  {"HardSwish", b_activation},
    {"Dropout", b_activation}, {"Flatten", b_flatten},        {"Reshape", b_reshape},
    {"Gemm", b_gemm},         {"MatMul", b_matmul},           {"Conv", b_conv},
    {"MaxPool", b_pool},      {"AveragePool", b_pool},        {"GlobalAveragePool", b_global_avgpool},
    {"BatchNormalization", b_batchnorm}, {"Gather", b_gather}, {"LSTM", b_recurrent},
    {"GRU", b_recurrent},     {"RNN", b_recurrent},            {"Abs", b_abs},
    {"LayerNormalization", b_layernorm}, {"Resize", b_resize}, {"ConvTranspose", b_conv_transpose},
    {"DepthToSpace", b_depth_space}, {"SpaceToDepth", b_depth_space},
    /* ops with a dlc layer but two data inputs: dlc's graphs take one input */
    {"Add", NULL},            {"Sum", NULL},                  {"Concat", NULL},
};

/* ---- running a case ---- */

static int read_pb(const char *path, onnx_tensor *t)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc(len > 0 ? (size_t)len : 1);
    size_t got = b ? fread(b, 1, (size_t)len, f) : 0;
    fclose(f);
    dlc_error err = {0};
    int rc = got == (size_t)len && onnx_read_tensor(t, path, b, (size_t)len, &err) == DLC_OK ? 0 : -2;
    free(b);
    return rc;
}

static void case_free(tcase *k)
{
    onnx_model_free(k->m);
    for (int i = 0; i < MAX_IO; i++) {
        onnx_tensor_clear(&k->in[i]);
        onnx_tensor_clear(&k->want[i]);
    }
    free(k->x);
    for (int i = 0; i < k->n_params; i++)
        free(k->params[i].v);
}

/* worst |got - want| beyond the tolerance; returns 1 when within */
static int close_enough(const float *got, const float *want, size_t n, double *worst)
{
    int ok = 1;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)got[i] - want[i]);
        if (!(d <= ATOL + RTOL * fabs(want[i])))
            ok = 0;
        if (!(d <= *worst))
            *worst = d;
    }
    return ok;
}

typedef enum { R_PASS, R_FAIL, R_SKIP, R_NOLAYER } result;

/* Runs one case; *why: the skip reason or the failure. */
static result run_case(tcase *k, const char *dir, const op_row **row, char *why, size_t size)
{
    char path[4200];
    dlc_error err = {0};
    snprintf(path, sizeof path, "%s/model.onnx", dir);
    if (onnx_read_file(&k->m, path, &err) != DLC_OK) {
        snprintf(why, size, "unreadable: %.300s", err.msg);
        return R_FAIL;
    }
    if (k->m->n_nodes != 1) {
        snprintf(why, size, "a graph of %d nodes (an expanded function)", k->m->n_nodes);
        return R_SKIP;
    }
    k->node = &k->m->nodes[0];
    *row = NULL;
    for (size_t i = 0; i < sizeof ops / sizeof *ops; i++)
        if (!strcmp(ops[i].op, k->node->op))
            *row = &ops[i];
    if (!*row)
        return R_NOLAYER;
    if (!(*row)->build) {
        snprintf(why, size, "two data inputs (a dlc graph has one input)");
        return R_SKIP;
    }
    /* the graph inputs are the node's inputs, in order, by name */
    for (int i = 0; i < k->node->n_in && i < MAX_IO; i++) {
        for (int g = 0; g < k->m->n_inputs; g++)
            if (k->node->in[i][0] && !strcmp(k->m->inputs[g].name, k->node->in[i])) {
                snprintf(path, sizeof path, "%s/test_data_set_0/input_%d.pb", dir, g);
                if (read_pb(path, &k->in[i]) != 0) {
                    snprintf(why, size, "input %.300s unreadable", path);
                    return R_SKIP;
                }
                k->has_in[i] = 1;
            }
        const onnx_tensor *c = onnx_init_get(k->m, k->node->in[i]);
        if (!k->has_in[i] && c) { /* an initializer */
            k->in[i] = *c;
            k->in[i].name = NULL;
            k->in[i].f = NULL;
            k->in[i].i = NULL;
            if (c->f && (k->in[i].f = malloc(sizeof(float) * c->n)))
                memcpy(k->in[i].f, c->f, sizeof(float) * c->n);
            if (c->i && (k->in[i].i = malloc(sizeof(int64_t) * c->n)))
                memcpy(k->in[i].i, c->i, sizeof(int64_t) * c->n);
            k->has_in[i] = 1;
        }
    }
    for (int o = 0; o < k->node->n_out && o < MAX_IO; o++)
        for (int g = 0; g < k->m->n_outputs; g++)
            if (k->node->out[o][0] && !strcmp(k->m->outputs[g].name, k->node->out[o])) {
                snprintf(path, sizeof path, "%s/test_data_set_0/output_%d.pb", dir, g);
                if (read_pb(path, &k->want[o]) == 0 && k->want[o].f)
                    k->has_want[o] = 1;
            }
    if (k->has_in[0] && !k->in[0].f && strcmp(k->node->op, "Gather") != 0) {
        snprintf(why, size, "an integer data input (dlc computes in float)");
        return R_SKIP;
    }
    const char *skip = (*row)->build(k);
    if (skip) {
        snprintf(why, size, "%s", skip);
        return R_SKIP;
    }
    graph *g = NULL;
    if (graph_build(&g, &k->shape, &k->spec, 1, NULL, 0, k->N, &err) != DLC_OK) {
        snprintf(why, size, "dlc refuses the layer: %.300s", err.msg);
        return R_SKIP;
    }
    for (int i = 0; i < k->n_params; i++) {
        int p = graph_param_find(g, k->params[i].name);
        if (p < 0 || g->params[p].n != k->params[i].n) {
            snprintf(why, size, "parameter %s: %s", k->params[i].name, p < 0 ? "missing" : "size differs");
            graph_free(g);
            return R_FAIL;
        }
        memcpy(g->params[p].data, k->params[i].v, sizeof(float) * k->params[i].n);
    }
    memcpy(graph_input(g, 0), k->x, sizeof(float) * (size_t)k->N * tensor_shape_size(&k->shape));
    graph_forward(g, k->N, 0);
    const graph_node *out = graph_output(g, 0);
    size_t total = (size_t)k->N * out->size;
    double worst = 0;
    int ok = 1, compared = 0;
    if (k->rnn) {
        /* dlc (N, T, dirs*H) -> Y (T, dirs, N, H); Y_h (dirs, N, H) from the
         * last step of each direction (t = T-1 forward, t = 0 backward) */
        int N = k->N, T = k->T, dirs = k->dirs, H = k->H;
        float *y = malloc(sizeof(float) * total), *yh = malloc(sizeof(float) * (size_t)dirs * N * H);
        for (int t = 0; t < T; t++)
            for (int d = 0; d < dirs; d++)
                for (int i = 0; i < N; i++)
                    memcpy(y + (((size_t)t * dirs + d) * N + i) * H,
                           out->out + ((size_t)i * T + t) * dirs * H + (size_t)d * H, sizeof(float) * H);
        for (int d = 0; d < dirs; d++)
            for (int i = 0; i < N; i++)
                memcpy(yh + ((size_t)d * N + i) * H,
                       out->out + ((size_t)i * T + (d ? 0 : T - 1)) * dirs * H + (size_t)d * H,
                       sizeof(float) * H);
        if (k->has_want[0] && k->want[0].n == total) {
            ok &= close_enough(y, k->want[0].f, total, &worst);
            compared++;
        }
        if (k->has_want[1] && k->want[1].n == (size_t)dirs * N * H) {
            ok &= close_enough(yh, k->want[1].f, (size_t)dirs * N * H, &worst);
            compared++;
        }
        free(y);
        free(yh);
    } else if (k->has_want[0]) {
        if (k->want[0].n != total) {
            snprintf(why, size, "dlc gives %zu values, ONNX %zu", total, k->want[0].n);
            graph_free(g);
            return R_FAIL;
        }
        ok = close_enough(out->out, k->want[0].f, total, &worst);
        compared = 1;
    }
    graph_free(g);
    if (!compared) {
        snprintf(why, size, "no output dlc computes is expected (e.g. only an LSTM's cell state)");
        return R_SKIP;
    }
    if (!ok) {
        snprintf(why, size, "max abs difference %.3g", worst);
        return R_FAIL;
    }
    snprintf(why, size, "max abs difference %.3g", worst);
    return R_PASS;
}

/* ---- the table ---- */

typedef struct {
    char op[48];
    int run, passed, failed, skipped;
} op_count;

static int by_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static const char *known_why(const char *name)
{
    for (int i = 0; known[i].name; i++)
        if (!strcmp(known[i].name, name))
            return known[i].why;
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s DIR [-v] [CASE...]\n", argv[0]);
        return 2;
    }
    const char *root = argv[1];
    int verbose = 0, n_only = 0;
    const char *only[64];
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "-v"))
            verbose = 1;
        else if (n_only < 64)
            only[n_only++] = argv[i];
    }
    DIR *d = opendir(root);
    if (!d) {
        fprintf(stderr, "onnx node tests: %s: cannot open (install libonnx-testdata)\n", root);
        return 2;
    }
    char **names = NULL;
    int n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, "test_", 5) != 0)
            continue;
        int want = n_only == 0;
        for (int i = 0; i < n_only; i++)
            want |= !strcmp(only[i], e->d_name);
        if (!want)
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 256;
            names = realloc(names, sizeof *names * (size_t)cap);
        }
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof *names, by_name);

    op_count counts[64];
    int n_ops = 0, failures = 0, unknown_failures = 0, no_layer = 0;
    char reasons[64][8][160];
    int n_reasons[64] = {0};
    for (int i = 0; i < n; i++) {
        char dir[3000], why[512] = "";
        snprintf(dir, sizeof dir, "%s/%s", root, names[i]);
        tcase k;
        memset(&k, 0, sizeof k);
        const op_row *row = NULL;
        result r = run_case(&k, dir, &row, why, sizeof why);
        if (r == R_NOLAYER || !row) {
            no_layer++;
            case_free(&k);
            continue;
        }
        int c = 0;
        while (c < n_ops && strcmp(counts[c].op, row->op) != 0)
            c++;
        if (c == n_ops) {
            memset(&counts[c], 0, sizeof counts[c]);
            snprintf(counts[c].op, sizeof counts[c].op, "%s", row->op);
            n_ops++;
        }
        op_count *oc = &counts[c];
        if (r == R_SKIP) {
            oc->skipped++;
            int seen = 0;
            for (int q = 0; q < n_reasons[c]; q++)
                seen |= !strcmp(reasons[c][q], why);
            if (!seen && n_reasons[c] < 8)
                snprintf(reasons[c][n_reasons[c]++], sizeof reasons[0][0], "%.150s", why);
        } else {
            oc->run++;
            if (r == R_PASS) {
                oc->passed++;
            } else {
                oc->failed++;
                failures++;
                const char *kw = known_why(names[i]);
                if (!kw)
                    unknown_failures++;
                printf("FAIL %s: %s%s%s\n", names[i], why, kw ? " (known: " : "", kw ? kw : "");
            }
        }
        if (verbose)
            printf("%-5s %s: %s\n", r == R_PASS ? "pass" : r == R_FAIL ? "FAIL" : "skip", names[i], why);
        case_free(&k);
    }
    printf("\nONNX node tests (%s) against dlc's layers; rtol %g, atol %g\n\n", root, RTOL, ATOL);
    printf("| op | run | passed | failed | skipped |\n| --- | --- | --- | --- | --- |\n");
    int t_run = 0, t_pass = 0, t_fail = 0, t_skip = 0;
    for (int c = 0; c < n_ops; c++) {
        printf("| %s | %d | %d | %d | %d |\n", counts[c].op, counts[c].run, counts[c].passed, counts[c].failed,
               counts[c].skipped);
        t_run += counts[c].run;
        t_pass += counts[c].passed;
        t_fail += counts[c].failed;
        t_skip += counts[c].skipped;
    }
    printf("| all | %d | %d | %d | %d |\n\nskipped, why:\n", t_run, t_pass, t_fail, t_skip);
    for (int c = 0; c < n_ops; c++)
        for (int q = 0; q < n_reasons[c]; q++)
            printf("  %s: %s\n", counts[c].op, reasons[c][q]);
    printf("\n%d cases of ops with no dlc layer not run.\n", no_layer);
    printf("node-tests: %d passed, %d failed, %d skipped\n", t_pass, t_fail, t_skip);
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
    (void)failures;
    return unknown_failures ? 1 : 0;
}
