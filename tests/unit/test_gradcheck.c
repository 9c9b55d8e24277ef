/* test_gradcheck.c - a numerical gradient check for every op in the registry
 * (so a new op without a case here fails the suite), and for every
 * activation, with respect to parameters and inputs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "../../src/train/gradcheck.h"
#include "graphtest.h"
#include "testutil.h"

typedef struct {
    const float *r;   /* random projection (N, size of the output) */
} proj;

/* L = sum r * y, in double; dL/dy = r */
static double proj_loss(void *user, graph *g, int N, int with_grad)
{
    proj *p = user;
    graph_node *out = graph_output(g, 0);
    graph_forward(g, N, 1);
    size_t n = (size_t)N * out->size;
    double L = 0;
    for (size_t i = 0; i < n; i++)
        L += (double)p->r[i] * out->out[i];
    if (with_grad) {
        graph_zero_grad(g);
        for (size_t i = 0; i < n; i++)
            out->grad[i] = p->r[i];
        graph_backward(g, N);
    }
    return L;
}

/* Builds the graph, fills the input (x, or normal values when x is NULL) and
 * the projection, checks, asserts.  floor: the smallest denominator of the
 * relative error (recurrent layers sum many terms into the loss, so their
 * central differences carry more float noise); eps: the step (smaller for
 * relu recurrences, where a bias moves many units across their kink). */
static void check_once(const char *what, const tensor_shape *in, layer_spec *specs, int n, int N,
                       double tol, double floor, double eps, const float *x_given, int frozen)
{
    graph *g = NULL;
    dlc_error err = {0};
    if (graph_build(&g, in, specs, n, NULL, 0, N, &err) != DLC_OK) {
        print_error("%s: %s\n", what, err.msg);
        fail();
    }
    /* every layer frozen: no parameter has a gradient to fill (backward
     * writes none: a write would crash), the block is empty, and the input's
     * gradient still checks */
    for (int k = 0; frozen && k < g->n_params; k++)
        if (g->params[k].grad) {
            print_error("%s: frozen %s has a gradient\n", what, g->params[k].name);
            fail();
        }
    if (frozen)
        assert_int_equal(g->n_grads, 0);
    graph_set_input_grad(g, 1, NULL);
    dlc_rng rng;
    dlc_rng_seed(&rng, 7, 1);
    graph_init_params(g, &rng);
    /* parameters the init leaves at constants (biases, gamma) get jitter so
     * their gradients are not degenerate */
    for (int k = 0; k < g->n_params; k++)
        if (!g->params[k].buffer)
            for (size_t i = 0; i < g->params[k].n; i++)
                g->params[k].data[i] += (float)(0.1 * dlc_rng_normal(&rng));
    float *x = graph_input(g, 0);
    for (size_t i = 0; i < (size_t)N * g->nodes[0].size; i++)
        x[i] = x_given ? x_given[i] : (float)dlc_rng_normal(&rng);
    graph_node *out = graph_output(g, 0);
    size_t on = (size_t)N * out->size;
    float *r = malloc(sizeof(float) * on);
    assert_non_null(r);
    for (size_t i = 0; i < on; i++)
        r[i] = (float)dlc_rng_normal(&rng);
    proj p = {r};
    gradcheck_opts o = {eps, floor, tu_quick() ? 8 : 64, 1, 11, 0};
    gradcheck_result res[16];
    int k = gradcheck_graph(g, N, proj_loss, &p, &o, res, 16);
    assert_true(k >= 1);
    for (int i = 0; i < k; i++) {
        if (res[i].checked == 0 || res[i].max_rel > tol) {
            print_error("%s: %s: max rel err %.3g at %d (analytic %.6g, numeric %.6g), %d checked, %d kinks\n",
                        what, res[i].name, res[i].max_rel, res[i].worst, res[i].analytic,
                        res[i].numeric, res[i].checked, res[i].skipped);
            fail();
        }
    }
    free(r);
    /* a batch of no rows (a process whose shard of a small batch is empty,
     * src/dist) runs, adds nothing to any gradient, and leaves every
     * parameter and statistic finite */
    graph_forward(g, 0, 1);
    graph_zero_grad(g);
    graph_backward(g, 0);
    for (int q = 0; q < g->n_params; q++) {
        const graph_param *pq = &g->params[q];
        for (size_t i = 0; i < pq->n; i++) {
            if (!isfinite(pq->data[i]) || (pq->grad && pq->grad[i] != 0.0f)) {
                print_error("%s: a pass of no rows left %s[%zu] = %g, gradient %g\n", what, pq->name,
                            i, pq->data[i], pq->grad ? pq->grad[i] : 0.0f);
                fail();
            }
        }
    }
    graph_free(g);
}

/* The graph as given, then with every layer frozen (trainable: false), which
 * checks the gradient flowing through each op whose parameters learn
 * nothing. */
static void check_graph_x(const char *what, const tensor_shape *in, layer_spec *specs, int n, int N,
                          double tol, double floor, double eps, const float *x_given)
{
    check_once(what, in, specs, n, N, tol, floor, eps, x_given, 0);
    layer_spec *fz = malloc(sizeof *fz * (size_t)n);
    assert_non_null(fz);
    memcpy(fz, specs, sizeof *fz * (size_t)n);
    for (int i = 0; i < n; i++)
        fz[i].trainable = 0;
    char label[160];
    snprintf(label, sizeof label, "%s, frozen", what);
    check_once(label, in, fz, n, N, tol, floor, eps, x_given, 1);
    free(fz);
}

static void check_graph(const char *what, const tensor_shape *in, layer_spec *specs, int n, int N,
                        double tol)
{
    check_graph_x(what, in, specs, n, N, tol, 1e-3, 1e-2, NULL);
}

/* ---- one case per op ---- */

static void case_dense(void)
{
    tensor_shape in = {1, {5}};
    layer_spec s[2] = {gt_spec("dense", "d1"), gt_spec("dense", "d2")};
    s[0].units = 4;
    s[0].activation = ACT_TANH;
    s[1].units = 3;
    s[1].use_bias = 0;
    check_graph("dense", &in, s, 2, 3, 1e-2);
    /* over the last axis of a (T, D) input */
    tensor_shape seq = {2, {4, 3}};
    layer_spec t[1] = {gt_spec("dense", "d")};
    t[0].units = 2;
    check_graph("dense over time", &seq, t, 1, 2, 1e-2);
}

static void case_activation(void)
{
    for (int a = 0; a < ACT_COUNT; a++) {
        tensor_shape in = {1, {6}};
        layer_spec s[1] = {gt_spec("activation", "act")};
        s[0].activation = (act_kind)a;
        s[0].alpha = a == ACT_ELU ? 1.0f : 0.1f;
        char what[64];
        snprintf(what, sizeof what, "activation %s", graph_act_names[a]);
        check_graph(what, &in, s, 1, 4, 1e-2);
    }
    /* the hard ones over their whole range, normal inputs seldom reaching their kinks at +-3:
     * values on both sides of each kink, none within the step of one */
    static const float wide[24] = {-5.0f, -3.2f, -2.8f, -1.0f, 0.3f, 2.7f,  3.3f,  4.5f,
                                   -4.1f, -3.5f, -2.2f, 0.9f,  1.7f, 2.95f, 3.05f, 6.0f,
                                   -6.0f, -3.1f, -2.9f, -0.4f, 1.2f, 2.5f,  3.6f,  5.2f};
    for (act_kind a = ACT_HARDSIGMOID; a <= ACT_HARDSWISH; a++) {
        tensor_shape in = {1, {6}};
        layer_spec s[1] = {gt_spec("activation", "act")};
        s[0].activation = a;
        char what[64];
        snprintf(what, sizeof what, "activation %s past its kinks", graph_act_names[a]);
        check_graph_x(what, &in, s, 1, 4, 1e-2, 1e-3, 1e-2, wide);
    }
    /* hardsigmoid of another slope and offset (ONNX's alpha, beta): 0.3 x + 0.2, kinks at -2/3 and
     * 8/3, so that a slope or offset taken for the other, or PyTorch's kept, is seen */
    static const float other[24] = {-3.0f, -0.9f, -0.5f, 0.1f, 1.2f, 2.4f,  2.9f,  4.0f,
                                    -1.5f, -0.7f, -0.62f, 0.6f, 1.7f, 2.6f,  2.75f, 6.0f,
                                    -6.0f, -0.8f, -0.3f, 0.0f, 1.0f, 2.2f,  3.1f,  5.2f};
    tensor_shape in = {1, {6}};
    layer_spec s[1] = {gt_spec("activation", "act")};
    s[0].activation = ACT_HARDSIGMOID;
    s[0].slope = 0.3f;
    s[0].offset = 0.2f;
    check_graph_x("activation hardsigmoid of slope 0.3, offset 0.2", &in, s, 1, 4, 1e-2, 1e-3, 1e-2, other);
}

static void case_dropout(void)
{
    tensor_shape in = {1, {8}};
    layer_spec s[2] = {gt_spec("dense", "d"), gt_spec("dropout", "drop")};
    s[0].units = 6;
    s[1].rate = 0.5f;
    check_graph("dropout", &in, s, 2, 4, 1e-2);
}

static void case_batchnorm(void)
{
    tensor_shape in = {1, {4}};
    layer_spec s[2] = {gt_spec("dense", "d"), gt_spec("batchnorm", "bn")};
    s[0].units = 3;
    check_graph("batchnorm (features)", &in, s, 2, 5, 2e-2);
    tensor_shape img = {3, {2, 3, 2}};
    layer_spec t[1] = {gt_spec("batchnorm", "bn")};
    check_graph("batchnorm (channels)", &img, t, 1, 3, 2e-2);
    /* ReLU6 applied by the batchnorm (MobileNetV2's; its clamp at 6 against the relu6 layer's
     * own backward, bit for bit: test_plan) */
    t[0].activation = ACT_RELU6;
    check_graph("batchnorm (channels), relu6 fused", &img, t, 1, 3, 2e-2);
}

static void case_flatten(void)
{
    tensor_shape in = {3, {2, 2, 3}};
    layer_spec s[2] = {gt_spec("flatten", "f"), gt_spec("dense", "d")};
    s[1].units = 2;
    check_graph("flatten", &in, s, 2, 2, 1e-2);
}

static void case_reshape(void)
{
    tensor_shape in = {1, {12}};
    layer_spec s[2] = {gt_spec("reshape", "r"), gt_spec("dense", "d")};
    s[0].target_ndim = 2;
    s[0].target[0] = -1;
    s[0].target[1] = 4;
    s[1].units = 2;
    check_graph("reshape", &in, s, 2, 2, 1e-2);
}

/* Three tanh dense layers a, b, c of `units` on the input, merged by a layer
 * of `type` (named "merge") that takes all three. */
static void three_into(layer_spec s[4], const char *type, int units)
{
    const char *names[3] = {"a", "b", "c"};
    for (int i = 0; i < 3; i++) {
        s[i] = gt_spec("dense", names[i]);
        s[i].units = units;
        s[i].activation = ACT_TANH;
        if (i > 0)
            gt_inputs(&s[i], "input", NULL);
    }
    s[3] = gt_spec(type, "merge");
    s[3].n_inputs = 3;
    for (int i = 0; i < 3; i++)
        strcpy(s[3].inputs[i], names[i]);
}

static void case_add(void)
{
    tensor_shape in = {1, {5}};
    layer_spec s[3] = {gt_spec("dense", "a"), gt_spec("dense", "b"), gt_spec("add", "sum")};
    s[0].units = 4;
    s[1].units = 4;
    s[1].activation = ACT_SIGMOID;
    gt_inputs(&s[1], "input", NULL);
    gt_inputs(&s[2], "a", "b");
    check_graph("add", &in, s, 3, 3, 1e-2);
    /* three inputs: the first two are summed in one pass, the third after */
    layer_spec t[4];
    three_into(t, "add", 4);
    check_graph("add of three", &in, t, 4, 4, 1e-2);
}

static void case_concat(void)
{
    tensor_shape in = {2, {3, 4}};
    layer_spec s[3] = {gt_spec("dense", "a"), gt_spec("dense", "b"), gt_spec("concat", "cat")};
    s[0].units = 2;
    s[1].units = 3;
    gt_inputs(&s[1], "input", NULL);
    gt_inputs(&s[2], "a", "b");
    s[2].axis = 1;
    check_graph("concat", &in, s, 3, 2, 1e-2);
    layer_spec t[3] = {gt_spec("dense", "a"), gt_spec("dense", "b"), gt_spec("concat", "cat")};
    t[0].units = 2;
    t[1].units = 2;
    gt_inputs(&t[1], "input", NULL);
    gt_inputs(&t[2], "a", "b");
    t[2].axis = 0;
    check_graph("concat axis 0", &in, t, 3, 2, 1e-2);
}

/* three layers mixed, over time steps: the weights (through the softmax),
 * gamma and every input */
static void case_scalar_mix(void)
{
    tensor_shape in = {2, {3, 4}};
    layer_spec s[4];
    three_into(s, "scalar_mix", 5);
    check_graph("scalar_mix", &in, s, 4, 2, 1e-2);
    /* inputs of other shapes are refused when the graph is built */
    s[2].units = 4;
    graph *g = NULL;
    dlc_error err = {0};
    assert_int_equal(graph_build(&g, &in, s, 4, NULL, 0, 2, &err), DLC_EINPUT);
    assert_non_null(strstr(err.msg, "layer 'merge' (scalar_mix): inputs must have equal shapes"));
}

/* word ids with their bytes: words of 4, 2 and 0 bytes, a padding step */
static void case_word_chars(void)
{
    tensor_shape in = {2, {4, 5}};
    const float ids[2 * 4 * 5] = {3, 99, 98, 117, 101, /* 4 bytes */
                                  5, 66, 34, 0, 0,     /* 2 bytes */
                                  2, 0, 0, 0, 0,       /* a word of no bytes */
                                  0, 0, 0, 0, 0,       /* padding */
                                  1, 120, 121, 122, 40, 4, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    layer_spec s[2] = {gt_spec("word_chars", "wc"), gt_spec("dense", "d")};
    s[0].units = 3;
    s[0].vocab = 6;
    s[0].filters = 4;
    s[0].kernel = (layer_window){1, {3}};
    s[0].char_units = 2;
    s[1].units = 2;
    check_graph_x("word_chars + dense", &in, s, 2, 2, 2e-2, 1e-3, 1e-3, ids);
    /* an even window is refused when the graph is built */
    s[0].kernel = (layer_window){1, {2}};
    graph *g = NULL;
    dlc_error err = {0};
    assert_int_equal(graph_build(&g, &in, s, 2, NULL, 0, 2, &err), DLC_EINPUT);
    assert_non_null(strstr(err.msg, "one odd number"));
}

static layer_window win(int n, int a, int b, int c)
{
    return (layer_window){n, {a, b, c}};
}

static void case_conv2d(void)
{
    /* 3x3 same, 2 input channels, bias, relu-free (tanh keeps it smooth) */
    tensor_shape in = {3, {2, 5, 6}};
    layer_spec s[1] = {gt_spec("conv2d", "c")};
    s[0].filters = 3;
    s[0].kernel = win(1, 3, 0, 0);
    s[0].stride = win(1, 1, 0, 0);
    s[0].padding = PAD_SAME;
    s[0].activation = ACT_TANH;
    check_graph("conv2d 3x3 same", &in, s, 1, 2, 1e-2);
    /* even kernel, stride 2, same (asymmetric padding) */
    s[0].kernel = win(1, 2, 0, 0);
    s[0].stride = win(1, 2, 0, 0);
    check_graph("conv2d 2x2 stride 2 same", &in, s, 1, 3, 1e-2);
    /* 4x3 kernel, strides (2, 1), explicit padding (1, 2), no bias */
    s[0].kernel = win(2, 4, 3, 0);
    s[0].stride = win(2, 2, 1, 0);
    s[0].padding = PAD_EXPLICIT;
    s[0].pad = win(2, 1, 2, 0);
    s[0].use_bias = 0;
    check_graph("conv2d 4x3 stride (2,1) pad (1,2)", &in, s, 1, 2, 1e-2);
    /* 1x1 convolution, valid */
    s[0].kernel = win(1, 1, 0, 0);
    s[0].stride = win(1, 1, 0, 0);
    s[0].padding = PAD_VALID;
    s[0].use_bias = 1;
    check_graph("conv2d 1x1", &in, s, 1, 2, 1e-2);
    /* a map large enough that each sample is its own chunk (tanh: a weight
     * moves thousands of outputs, too many ReLU kinks for the check) */
    tensor_shape big = {3, {4, 48, 48}};
    s[0].kernel = win(1, 3, 0, 0);
    s[0].filters = 4;
    s[0].activation = ACT_TANH;
    check_graph("conv2d one sample per chunk", &big, s, 1, 2, 1e-2);
    /* Winograd's F(2x2, 3x3) and F(4x4, 3x3): partial tiles (5x6 map,
     * padding 1), then a map of several segments and a second conv behind */
    s[0].padding = PAD_SAME;
    for (int a = CONV_WINOGRAD_2X2; a <= CONV_WINOGRAD_4X4; a++) {
        char what[64];
        s[0].algorithm = a;
        s[0].filters = 3;
        snprintf(what, sizeof what, "conv2d 3x3 %s", graph_conv_algo_names[a]);
        check_graph(what, &in, s, 1, 2, 1e-2);
        s[0].use_bias = 0;
        snprintf(what, sizeof what, "conv2d 3x3 %s, one sample per chunk", graph_conv_algo_names[a]);
        check_graph(what, &big, s, 1, 2, 1e-2);
        s[0].use_bias = 1;
    }
    s[0].algorithm = CONV_AUTO;
    /* grouped (2 channels, 4 filters in 2 groups) and depthwise (each of 4
     * channels its own 2 filters), by chunks and one sample per chunk */
    s[0].groups = 2;
    s[0].filters = 4;
    check_graph("conv2d 3x3 groups 2", &in, s, 1, 2, 1e-2);
    s[0].groups = 4;
    s[0].filters = 8;
    check_graph("conv2d 3x3 depthwise x2, one sample per chunk", &big, s, 1, 2, 1e-2);
    s[0].groups = 1;
    /* a pointwise (1x1, stride 1) layer too large for two samples a chunk:
     * its products read the input in place and write dx (overwritten: the
     * input has no other reader; then added to: a residual add reads it too) */
    tensor_shape big16 = {3, {16, 48, 48}};
    layer_spec pw[2] = {gt_spec("conv2d", "pw"), gt_spec("add", "res")};
    pw[0].filters = 16;
    pw[0].kernel = win(1, 1, 0, 0);
    pw[0].activation = ACT_TANH;
    check_graph("conv2d 1x1 pointwise, one sample per chunk", &big16, pw, 1, 2, 1e-2);
    gt_inputs(&pw[1], "pw", "input");
    check_graph("conv2d 1x1 pointwise + residual add", &big16, pw, 2, 2, 1e-2);
    /* 64 channels in and out on an 8x9 map: `auto` picks Winograd.  F(4x4)'s
     * rounding (up to 7e-6 of each output's 576-product magnitude sum,
     * test_winograd.c) moves this float32 loss, and with a step of 1e-2 it
     * put 2.5% (oneDNN's AVX-512 products) to 5.2% (OpenBLAS's, or oneDNN's
     * SSE4.1) of noise into the central differences of the input gradient,
     * past any tolerance that still tests something.  Without an activation
     * the loss is linear in the input, the weights and the bias, so central
     * differences have no truncation error at any step: a step of 1 divides
     * the rounding's share by 100 (at most 1.6e-4 over five kernel choices).
     * test_winograd.c holds the values to direct convolution in double. */
    tensor_shape wide = {3, {64, 8, 9}};
    s[0].filters = 64;
    s[0].activation = ACT_LINEAR;
    check_graph_x("conv2d 3x3 64 -> 64 channels (auto: winograd_4x4)", &wide, s, 1, 2, 1e-2, 1e-3, 1.0, NULL);
    s[0].activation = ACT_TANH;
    /* conv's fused ReLU is checked against a separate activation layer in test_conv.c */
    /* stacked, with batchnorm over channels between */
    layer_spec t[3] = {gt_spec("conv2d", "c1"), gt_spec("batchnorm", "bn"), gt_spec("conv2d", "c2")};
    t[0].filters = 4;
    t[0].kernel = win(1, 3, 0, 0);
    t[0].stride = win(1, 1, 0, 0);
    t[1].activation = ACT_TANH;
    t[2].filters = 2;
    t[2].kernel = win(1, 2, 0, 0);
    t[2].stride = win(1, 1, 0, 0);
    /* the floor: the float32 rounding of this loss moves with the kernels
     * oneDNN and OpenBLAS pick for the CPU; over seven choices (RNN_FLOOR
     * below) one value's numeric gradient spread by up to 6.3e-5, so judged
     * to 2e-2 with a margin of 3 the denominator must be at least
     * 3 x 6.3e-5 / 2e-2 = 1e-2 (with 1e-3, an input gradient of 9.1e-4
     * failed at 2.5e-2 under DNNL_MAX_CPU_ISA=AVX2, 1.4e-3 with AVX-512) */
    check_graph_x("conv2d + batchnorm + conv2d", &in, t, 3, 3, 2e-2, 1e-2, 1e-2, NULL);
}

static void case_conv1d(void)
{
    tensor_shape in = {2, {3, 9}};
    layer_spec s[1] = {gt_spec("conv1d", "c")};
    s[0].filters = 2;
    s[0].kernel = win(1, 4, 0, 0);
    s[0].stride = win(1, 2, 0, 0);
    s[0].padding = PAD_EXPLICIT;
    s[0].pad = win(1, 1, 0, 0);
    check_graph("conv1d k4 s2 p1", &in, s, 1, 2, 1e-2);
    s[0].kernel = win(1, 3, 0, 0);
    s[0].stride = win(1, 1, 0, 0);
    s[0].padding = PAD_SAME;
    check_graph("conv1d k3 same", &in, s, 1, 2, 1e-2);
    s[0].dilation = win(1, 3, 0, 0);
    check_graph("conv1d k3 dilation 3 same", &in, s, 1, 2, 1e-2);
}

static void case_conv3d(void)
{
    tensor_shape in = {4, {2, 4, 5, 4}};
    layer_spec s[1] = {gt_spec("conv3d", "c")};
    s[0].filters = 2;
    s[0].kernel = win(3, 2, 3, 2);
    s[0].stride = win(3, 1, 2, 1);
    s[0].padding = PAD_EXPLICIT;
    s[0].pad = win(3, 0, 1, 1);
    check_graph("conv3d (2,3,2) stride (1,2,1) pad (0,1,1)", &in, s, 1, 2, 1e-2);
    s[0].padding = PAD_SAME;
    s[0].stride = win(1, 1, 0, 0);
    check_graph("conv3d same", &in, s, 1, 2, 1e-2);
    s[0].dilation = win(3, 1, 2, 2);
    s[0].padding = PAD_EXPLICIT;
    check_graph("conv3d (2,3,2) dilation (1,2,2) pad (0,1,1)", &in, s, 1, 2, 1e-2);
}

static void case_maxpool(void)
{
    tensor_shape in = {3, {2, 6, 7}};
    layer_spec s[1] = {gt_spec("maxpool", "p")};
    s[0].kernel = win(1, 2, 0, 0);
    s[0].stride = win(1, 2, 0, 0);
    check_graph("maxpool 2x2", &in, s, 1, 3, 1e-2);
    s[0].padding = PAD_SAME; /* width 7: the last window pads one column after */
    check_graph("maxpool 2x2 same, odd width", &in, s, 1, 3, 1e-2);
    s[0].kernel = win(1, 3, 0, 0);
    s[0].stride = win(1, 2, 0, 0);
    s[0].padding = PAD_EXPLICIT;
    s[0].pad = win(1, 1, 0, 0);
    check_graph("maxpool 3x3 stride 2 pad 1", &in, s, 1, 2, 1e-2);
    tensor_shape seq = {2, {2, 9}};
    s[0].padding = PAD_VALID;
    check_graph("maxpool 1-D", &seq, s, 1, 2, 1e-2);
    tensor_shape vol = {4, {1, 4, 4, 4}};
    s[0].kernel = win(1, 2, 0, 0);
    s[0].stride = win(1, 2, 0, 0);
    check_graph("maxpool 3-D", &vol, s, 1, 2, 1e-2);
    tensor_shape odd = {3, {2, 5, 7}};
    s[0].ceil_mode = 1;
    s[0].kernel = win(1, 2, 0, 0);
    check_graph("maxpool 2x2 stride 2 ceil_mode (5 x 7)", &odd, s, 1, 2, 1e-2);
    s[0].ceil_mode = 0;
    s[0].dilation = win(2, 2, 3, 0);
    check_graph("maxpool 2x2 stride 2 dilation (2,3) (5 x 7)", &odd, s, 1, 2, 1e-2);
}

static void case_avgpool(void)
{
    tensor_shape in = {3, {2, 5, 6}};
    layer_spec s[1] = {gt_spec("avgpool", "p")};
    s[0].kernel = win(1, 2, 0, 0);
    s[0].stride = win(1, 2, 0, 0);
    check_graph("avgpool 2x2", &in, s, 1, 3, 1e-2);
    s[0].kernel = win(2, 3, 2, 0);
    s[0].stride = win(1, 1, 0, 0);
    s[0].padding = PAD_EXPLICIT;
    s[0].pad = win(2, 1, 1, 0);
    check_graph("avgpool (3,2) stride 1 pad 1", &in, s, 1, 2, 1e-2);
    s[0].count_include_pad = 0;
    s[0].stride = win(1, 2, 0, 0);
    check_graph("avgpool (3,2) stride 2 pad 1, padding not counted", &in, s, 1, 2, 1e-2);
    s[0].ceil_mode = 1; /* 5 x 6: a partial last window along both axes */
    s[0].kernel = win(1, 2, 0, 0);
    s[0].padding = PAD_VALID;
    check_graph("avgpool 2x2 stride 2 ceil_mode", &in, s, 1, 2, 1e-2);
    s[0].kernel = win(1, 3, 0, 0);
    s[0].padding = PAD_EXPLICIT;
    s[0].pad = win(1, 1, 0, 0);
    s[0].count_include_pad = 1;
    check_graph("avgpool 3x3 stride 2 pad 1 ceil_mode, padding counted", &in, s, 1, 2, 1e-2);
}

static void case_global_avgpool(void)
{
    tensor_shape in = {3, {3, 4, 5}};
    layer_spec s[2] = {gt_spec("conv2d", "c"), gt_spec("global_avgpool", "gap")};
    s[0].filters = 4;
    s[0].kernel = win(1, 3, 0, 0);
    s[0].stride = win(1, 1, 0, 0);
    s[0].activation = ACT_TANH;
    check_graph("conv2d + global_avgpool", &in, s, 2, 3, 1e-2);
}

/* merges of convolution outputs: a residual block and Inception-style branches */
static void case_conv_merges(void)
{
    tensor_shape in = {3, {3, 5, 5}};
    layer_spec s[4] = {gt_spec("conv2d", "a"), gt_spec("conv2d", "b"), gt_spec("add", "sum"),
                       gt_spec("activation", "out")};
    s[0].filters = 3;
    s[0].kernel = win(1, 3, 0, 0);
    s[0].stride = win(1, 1, 0, 0);
    s[0].padding = PAD_SAME;
    s[0].activation = ACT_TANH;
    s[1] = s[0];
    strcpy(s[1].name, "b");
    s[1].activation = ACT_LINEAR;
    gt_inputs(&s[2], "b", "input");
    s[3].activation = ACT_TANH;
    check_graph("residual add of conv outputs", &in, s, 4, 2, 1e-2);
    layer_spec t[4] = {gt_spec("conv2d", "b1"), gt_spec("conv2d", "b3"), gt_spec("maxpool", "bp"),
                       gt_spec("concat", "cat")};
    t[0].filters = 2;
    t[0].kernel = win(1, 1, 0, 0);
    t[0].stride = win(1, 1, 0, 0);
    t[1].filters = 3;
    t[1].kernel = win(1, 3, 0, 0);
    t[1].stride = win(1, 1, 0, 0);
    t[1].padding = PAD_SAME;
    gt_inputs(&t[1], "input", NULL);
    t[2].kernel = win(1, 3, 0, 0);
    t[2].stride = win(1, 1, 0, 0);
    t[2].padding = PAD_SAME;
    gt_inputs(&t[2], "input", NULL);
    gt_inputs(&t[3], "b1", "b3");
    strcpy(t[3].inputs[t[3].n_inputs++], "bp");
    t[3].axis = 0;
    check_graph("inception concat along channels", &in, t, 4, 2, 1e-2);
}

/* token ids (4 sequences of 5) padded at the end with id 0: lengths 3, 5, 1, 0 */
static const float padded_ids[20] = {3, 1, 4, 0, 0, 2, 6, 5, 1, 3, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0};
/* lengths 3, 2, 1, 0: the last two steps are padding in every sequence */
static const float short_ids[20] = {3, 1, 4, 0, 0, 2, 6, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0};

static void case_embedding(void)
{
    tensor_shape in = {1, {5}};
    layer_spec s[2] = {gt_spec("embedding", "emb"), gt_spec("dense", "d")};
    s[0].units = 4;
    s[0].vocab = 7;
    s[1].units = 3;
    s[1].activation = ACT_TANH;
    check_graph_x("embedding", &in, s, 2, 4, 1e-2, 1e-3, 1e-2, padded_ids);
    check_graph_x("embedding, dense over the steps in use", &in, s, 2, 4, 1e-2, 1e-3, 1e-2, short_ids);
    s[0].pad_id = -1; /* id 0 is an ordinary token */
    check_graph_x("embedding without a padding id", &in, s, 2, 4, 1e-2, 1e-3, 1e-2, padded_ids);
}

/* batchnorm over the features of a padded sequence: the valid steps are the
 * rows, and one sample has none */
static void case_batchnorm_sequence(void)
{
    tensor_shape ids = {1, {5}};
    layer_spec q[4] = {gt_spec("embedding", "emb"), gt_spec("dense", "d"), gt_spec("batchnorm", "bn"),
                       gt_spec("dense", "out")};
    q[0].units = 3;
    q[0].vocab = 7;
    q[1].units = 4;
    q[3].units = 2;
    check_graph_x("batchnorm over a sequence's features", &ids, q, 4, 4, 2e-2, 1e-3, 1e-2, padded_ids);
    /* a fused leaky ReLU, then the mean over the valid steps */
    layer_spec m[3] = {gt_spec("embedding", "emb"), gt_spec("batchnorm", "bn"), gt_spec("time_avgpool", "pool")};
    m[0].units = 3;
    m[0].vocab = 7;
    m[1].activation = ACT_LEAKY_RELU;
    m[1].alpha = 0.1f;
    check_graph_x("batchnorm (leaky relu) over a sequence, time_avgpool", &ids, m, 3, 4, 2e-2, 1e-3, 1e-2,
                  short_ids);
}

#define RNN_FLOOR 1e-2
/* ReLU recurrences take a step of 1e-3 (below), ten times the others', so
 * the loss's float32 rounding weighs ten times as much in their central
 * differences.  That rounding moves with the kernels oneDNN and OpenBLAS
 * pick for the CPU: over seven choices (oneDNN SSE4.1, AVX, AVX2, AVX-512;
 * OpenBLAS Sandybridge, Haswell, SkylakeX) one value's numeric gradient
 * spread by up to 4.0e-4 (rnn relu masked).  Judged to 2e-2 with a margin of
 * 3 for CPUs not tried, the denominator must be at least 3 x 4.0e-4 / 2e-2 =
 * 6e-2 (with 1e-2, a gradient of 7.7e-3 in "rnn relu stacked" failed at
 * 2.7e-2 under DNNL_MAX_CPU_ISA=AVX2, as CI's machine without AVX-512 runs
 * it). */
#define RNN_RELU_FLOOR 6e-2

/* A recurrent layer of `type` over a (4, 3) sequence, with the options given. */
static layer_spec rnn_spec(const char *type, int units, int seq, int bidir, int merge)
{
    layer_spec s = gt_spec(type, type);
    s.units = units;
    s.return_sequences = seq;
    s.bidirectional = bidir;
    s.merge = merge;
    s.forget_bias = 1.0f;
    return s;
}

/* The same layer checked: alone on real-valued sequences (every output, last
 * state only, bidirectional concat and sum), stacked, and after an embedding
 * with padding (masked steps). */
static void check_recurrent(const char *type, int nonlin, int variant)
{
    char what[96];
    double eps = nonlin == RNN_CELL_RELU ? 1e-3 : 1e-2;
    double floor = nonlin == RNN_CELL_RELU ? RNN_RELU_FLOOR : RNN_FLOOR;
    tensor_shape in = {2, {4, 3}};
    struct {
        int seq, bidir, merge;
        const char *name;
    } forms[] = {{1, 0, 0, "sequences"},
                 {0, 0, 0, "last state"},
                 {1, 1, RNN_MERGE_CONCAT, "bidirectional concat"},
                 {0, 1, RNN_MERGE_SUM, "bidirectional sum, last state"}};
    for (size_t f = 0; f < sizeof forms / sizeof forms[0]; f++) {
        layer_spec s[1] = {rnn_spec(type, 5, forms[f].seq, forms[f].bidir, forms[f].merge)};
        s[0].nonlinearity = nonlin;
        s[0].variant = variant;
        snprintf(what, sizeof what, "%s (%s, %s)", type, nonlin ? "relu" : variant ? "simplified" : "default",
                 forms[f].name);
        check_graph_x(what, &in, s, 1, 3, 2e-2, floor, eps, NULL);
    }
    /* stacked: two bidirectional layers and a dense over the time steps */
    layer_spec st[3] = {rnn_spec(type, 4, 1, 1, RNN_MERGE_CONCAT), rnn_spec(type, 3, 1, 1, RNN_MERGE_SUM),
                        gt_spec("dense", "out")};
    strcpy(st[1].name, "second");
    st[0].nonlinearity = st[1].nonlinearity = nonlin;
    st[0].variant = st[1].variant = variant;
    st[2].units = 2;
    snprintf(what, sizeof what, "%s%s stacked", type, nonlin ? " relu" : "");
    check_graph_x(what, &in, st, 3, 2, 2e-2, floor, eps, NULL);
    /* masked: padded token ids through an embedding, both directions */
    tensor_shape ids = {1, {5}};
    layer_spec m[3] = {gt_spec("embedding", "emb"), rnn_spec(type, 4, 1, 1, RNN_MERGE_CONCAT),
                       rnn_spec(type, 3, 0, 1, RNN_MERGE_CONCAT)};
    strcpy(m[2].name, "last");
    m[0].units = 3;
    m[0].vocab = 7;
    m[1].nonlinearity = m[2].nonlinearity = nonlin;
    m[1].variant = m[2].variant = variant;
    snprintf(what, sizeof what, "%s%s masked", type, nonlin ? " relu" : "");
    check_graph_x(what, &ids, m, 3, 4, 2e-2, floor, eps, padded_ids);
    /* a tagger's shape: per-step outputs through a dense layer, padding at the end */
    layer_spec tg[3] = {m[0], m[1], gt_spec("dense", "tags")};
    tg[2].units = 3;
    snprintf(what, sizeof what, "%s%s masked tagger", type, nonlin ? " relu" : "");
    check_graph_x(what, &ids, tg, 3, 4, 2e-2, floor, eps, short_ids);
    /* reading from each sequence's end (reverse), padding masked */
    layer_spec rv[2] = {m[0], rnn_spec(type, 4, 1, 0, 0)};
    rv[1].reverse = 1;
    rv[1].nonlinearity = nonlin;
    rv[1].variant = variant;
    snprintf(what, sizeof what, "%s%s reverse, masked", type, nonlin ? " relu" : "");
    check_graph_x(what, &ids, rv, 2, 4, 2e-2, floor, eps, padded_ids);
}

static void case_rnn(void)
{
    check_recurrent("rnn", RNN_CELL_TANH, 0);
    check_recurrent("rnn", RNN_CELL_RELU, 0);
}

static void case_gru(void)
{
    check_recurrent("gru", 0, GRU_FULL);
    check_recurrent("gru", 0, GRU_SIMPLIFIED);
    check_recurrent("gru", 0, GRU_RESET_AFTER);
}

static void case_lstm(void)
{
    check_recurrent("lstm", 0, 0);
}

/* pooling over time: on real-valued steps, and after an embedding with
 * padding (only the valid steps pass gradient) */
static void case_time_pool(const char *type)
{
    char what[64];
    tensor_shape in = {2, {4, 3}};
    layer_spec s[2] = {gt_spec(type, "pool"), gt_spec("dense", "d")};
    s[1].units = 2;
    snprintf(what, sizeof what, "%s + dense", type);
    check_graph(what, &in, s, 2, 3, 1e-2);
    tensor_shape ids = {1, {5}};
    layer_spec m[3] = {gt_spec("embedding", "emb"), rnn_spec("gru", 3, 1, 0, 0), gt_spec(type, "pool")};
    m[0].units = 3;
    m[0].vocab = 7;
    snprintf(what, sizeof what, "embedding + gru + %s, masked", type);
    check_graph_x(what, &ids, m, 3, 4, 2e-2, RNN_FLOOR, 1e-2, padded_ids);
}

static void case_time_avgpool(void)
{
    case_time_pool("time_avgpool");
}

static void case_time_maxpool(void)
{
    case_time_pool("time_maxpool");
}

/* ---- slicing, elementwise, normalization, gram ---- */

/* x (N, 8) with every |x| >= 0.3: abs has no kink near it */
static float *away_from_zero(size_t n)
{
    float *x = malloc(sizeof(float) * n);
    assert_non_null(x);
    dlc_rng rng;
    dlc_rng_seed(&rng, 5, 2);
    for (size_t i = 0; i < n; i++) {
        double v = dlc_rng_normal(&rng);
        x[i] = (float)(v < 0 ? v - 0.3 : v + 0.3);
    }
    return x;
}

static layer_spec slice_spec(const char *name, const char *from, int axis, int start, int end)
{
    layer_spec s = gt_spec("slice", name);
    gt_inputs(&s, from, NULL);
    s.axis = axis;
    s.start = start;
    s.end = end;
    return s;
}

static void case_slice(void)
{
    /* features, two slices of one layer (its gradient sums both) */
    tensor_shape in = {1, {7}};
    layer_spec s[4] = {gt_spec("dense", "d"), slice_spec("a", "d", 0, 1, -2),
                       slice_spec("b", "d", 0, -3, GRAPH_SLICE_END), gt_spec("concat", "cat")};
    s[0].units = 6;
    s[0].activation = ACT_TANH;
    gt_inputs(&s[3], "a", "b");
    check_graph("slice features, two of one layer", &in, s, 4, 3, 1e-2);
    /* channels, rows and columns of (C, H, W) */
    tensor_shape img = {3, {3, 4, 5}};
    layer_spec c[1] = {slice_spec("c", "input", 0, 1, 3)};
    check_graph("slice channels", &img, c, 1, 2, 1e-2);
    c[0] = slice_spec("c", "input", 1, -3, -1);
    check_graph("slice rows", &img, c, 1, 2, 1e-2);
    c[0] = slice_spec("c", "input", 2, 4, GRAPH_SLICE_END);
    check_graph("slice the last column", &img, c, 1, 1, 1e-2);
    /* features of a padded sequence, then a dense over the steps */
    tensor_shape ids = {1, {5}};
    layer_spec q[3] = {gt_spec("embedding", "emb"), slice_spec("f", "emb", 1, 1, 3), gt_spec("dense", "d")};
    q[0].units = 4;
    q[0].vocab = 7;
    q[2].units = 2;
    check_graph_x("slice features of a sequence", &ids, q, 3, 4, 1e-2, 1e-3, 1e-2, short_ids);
}

static void case_split(void)
{
    /* what the config makes of {name: parts, type: split, sizes: [2, -1, 3]}:
     * the split and its pieces [0:2], [2:-3], [-3:], read back out of order */
    tensor_shape in = {1, {5}};
    layer_spec s[6] = {gt_spec("dense", "d"), gt_spec("split", "parts"),
                       slice_spec("parts_0", "parts", 0, 0, 2), slice_spec("parts_1", "parts", 0, 2, -3),
                       slice_spec("parts_2", "parts", 0, -3, GRAPH_SLICE_END), gt_spec("concat", "cat")};
    s[0].units = 9;
    s[0].activation = ACT_TANH;
    s[1].n_sizes = 3;
    s[1].sizes[0] = 2;
    s[1].sizes[1] = -1;
    s[1].sizes[2] = 3;
    gt_inputs(&s[5], "parts_2", "parts_0");
    strcpy(s[5].inputs[s[5].n_inputs++], "parts_1");
    check_graph("split into three pieces", &in, s, 6, 3, 1e-2);
}

static void case_chi_square(void)
{
    /* two non-negative branches (sigmoid, relu-free so no kink at 0), as
     * DeepFace's features, and one of mixed sign through the |.| terms */
    tensor_shape in = {1, {5}};
    layer_spec s[3] = {gt_spec("dense", "a"), gt_spec("dense", "b"), gt_spec("chi_square", "chi")};
    s[0].units = 4;
    s[0].activation = ACT_SIGMOID;
    s[1].units = 4;
    s[1].activation = ACT_SIGMOID;
    gt_inputs(&s[1], "input", NULL);
    gt_inputs(&s[2], "a", "b");
    s[2].eps = 1e-5f;
    check_graph("chi_square", &in, s, 3, 3, 1e-2);
    s[1].activation = ACT_TANH;
    check_graph("chi_square of mixed signs", &in, s, 3, 3, 1e-2);
}

static void case_subtract(void)
{
    tensor_shape in = {1, {5}};
    layer_spec s[3] = {gt_spec("dense", "a"), gt_spec("dense", "b"), gt_spec("subtract", "diff")};
    s[0].units = 4;
    s[1].units = 4;
    s[1].activation = ACT_SIGMOID;
    gt_inputs(&s[1], "input", NULL);
    gt_inputs(&s[2], "a", "b");
    check_graph("subtract", &in, s, 3, 3, 1e-2);
    /* verification's |f(x1) - f(x2)| with one shared encoder, over channels */
    tensor_shape img = {3, {2, 3, 3}};
    layer_spec v[5] = {gt_spec("conv2d", "enc"), gt_spec("activation", "other"), gt_spec("conv2d", "enc2"),
                       gt_spec("subtract", "diff"), gt_spec("abs", "dist")};
    v[0].filters = 2;
    v[0].kernel = win(1, 2, 0, 0);
    v[0].stride = win(1, 1, 0, 0);
    v[0].activation = ACT_TANH;
    gt_inputs(&v[1], "input", NULL);
    v[1].activation = ACT_SIGMOID;
    v[2] = v[0];
    strcpy(v[2].name, "enc2");
    strcpy(v[2].share, "enc");
    gt_inputs(&v[2], "other", NULL);
    gt_inputs(&v[3], "enc", "enc2");
    check_graph("abs of subtract, shared encoder", &img, v, 5, 2, 1e-2);
}

static void case_multiply(void)
{
    /* three inputs, one of them twice (its gradient gets both terms) */
    tensor_shape in = {1, {5}};
    layer_spec s[3] = {gt_spec("dense", "a"), gt_spec("dense", "b"), gt_spec("multiply", "prod")};
    s[0].units = 5;
    s[0].activation = ACT_TANH;
    s[1].units = 5;
    s[1].activation = ACT_SIGMOID;
    gt_inputs(&s[1], "input", NULL);
    gt_inputs(&s[2], "a", "b");
    strcpy(s[2].inputs[s[2].n_inputs++], "input");
    strcpy(s[2].inputs[s[2].n_inputs++], "a");
    check_graph("multiply a * b * input * a", &in, s, 3, 3, 1e-2);
    /* a gate: two inputs, channels of a map */
    tensor_shape img = {3, {2, 3, 4}};
    layer_spec t[2] = {gt_spec("activation", "gate"), gt_spec("multiply", "gated")};
    t[0].activation = ACT_SIGMOID;
    gt_inputs(&t[1], "gate", "input");
    check_graph("multiply by a gate", &img, t, 2, 2, 1e-2);
    /* a squeeze-and-excitation block: the map (C, H, W) times a per-channel gate (C) computed
     * from it, and a second gate (C, 1, 1) through a reshape; both inputs learn */
    layer_spec se[7] = {gt_spec("conv2d", "map"),    gt_spec("global_avgpool", "pool"),
                        gt_spec("dense", "squeeze"), gt_spec("dense", "excite"),
                        gt_spec("reshape", "gate3"), gt_spec("multiply", "scaled"),
                        gt_spec("flatten", "flat")};
    se[0].filters = 4;
    se[0].kernel = (layer_window){2, {3, 3}};
    se[0].activation = ACT_TANH;
    se[2].units = 2;
    se[2].activation = ACT_TANH;
    se[3].units = 4;
    se[3].activation = ACT_SIGMOID;
    se[4].target_ndim = 3;
    se[4].target[0] = 4;
    se[4].target[1] = se[4].target[2] = 1;
    gt_inputs(&se[5], "excite", "map");
    strcpy(se[5].inputs[se[5].n_inputs++], "gate3");
    tensor_shape rgb = {3, {2, 5, 5}};
    check_graph("squeeze-and-excitation: map * gate (C) * gate (C, 1, 1)", &rgb, se, 7, 3, 1e-2);
    /* gates of maps (C, L) and (C, D, H, W); the gate read again after the multiply (whose
     * backward then adds to a gradient already there) */
    tensor_shape cl = {2, {3, 4}}, cdhw = {4, {3, 2, 2, 2}};
    layer_spec u[5] = {gt_spec("global_avgpool", "pool"), gt_spec("dense", "g"), gt_spec("multiply", "gated"),
                       gt_spec("flatten", "f"), gt_spec("concat", "both")};
    u[1].units = 3;
    u[1].activation = ACT_SIGMOID;
    gt_inputs(&u[2], "input", "g");
    gt_inputs(&u[4], "f", "g");
    check_graph("multiply (C, L) by a gate", &cl, u, 5, 2, 1e-2);
    check_graph("multiply (C, D, H, W) by a gate", &cdhw, u, 5, 2, 1e-2);
}

static void case_abs(void)
{
    tensor_shape in = {1, {8}};
    layer_spec s[2] = {gt_spec("abs", "mag"), gt_spec("dense", "d")};
    s[1].units = 3;
    float *x = away_from_zero(4 * 8);
    check_graph_x("abs", &in, s, 2, 4, 1e-2, 1e-3, 1e-2, x);
    free(x);
}

static void case_square(void)
{
    tensor_shape in = {2, {3, 4}};
    layer_spec s[2] = {gt_spec("dense", "d"), gt_spec("square", "sq")};
    s[0].units = 3;
    check_graph("square", &in, s, 2, 3, 1e-2);
}

static void case_l2normalize(void)
{
    tensor_shape in = {1, {6}};
    layer_spec s[2] = {gt_spec("dense", "emb"), gt_spec("l2normalize", "unit")};
    s[0].units = 4;
    check_graph("dense + l2normalize", &in, s, 2, 3, 1e-2);
    /* over every value of a map, with an activation after it */
    tensor_shape img = {3, {2, 3, 2}};
    layer_spec t[1] = {gt_spec("l2normalize", "unit")};
    t[0].activation = ACT_TANH;
    check_graph("l2normalize of a map, tanh after", &img, t, 1, 2, 1e-2);
}

/* a conv's channels shuffled in 3 groups (every channel moves but the first
 * and last), and a vector's in 2 */
static void case_channel_shuffle(void)
{
    tensor_shape in = {3, {2, 3, 3}};
    layer_spec s[2] = {gt_spec("conv2d", "c"), gt_spec("channel_shuffle", "sh")};
    s[0].filters = 6;
    s[0].kernel = win(2, 2, 2, 0);
    s[0].stride = win(2, 1, 1, 0);
    s[0].activation = ACT_TANH;
    s[1].groups = 3;
    check_graph("conv2d + channel_shuffle", &in, s, 2, 3, 1e-2);
    tensor_shape vec = {1, {4}};
    layer_spec t[1] = {gt_spec("channel_shuffle", "sh")};
    t[0].groups = 2;
    check_graph("channel_shuffle of a vector", &vec, t, 1, 2, 1e-2);
}

/* nearest-neighbour upsampling of 1-, 2- and 3-D maps, factors differing by axis:
 * each input value's gradient is the sum of its block's */
static void case_upsample(void)
{
    tensor_shape in = {3, {2, 3, 3}};
    layer_spec s[3] = {gt_spec("conv2d", "c"), gt_spec("upsample", "up"), gt_spec("conv2d", "c2")};
    s[0].filters = 2;
    s[0].kernel = win(1, 2, 0, 0);
    s[0].activation = ACT_TANH;
    s[1].scale = win(2, 2, 3, 0);
    s[1].activation = ACT_TANH;
    s[2].filters = 2;
    s[2].kernel = win(1, 2, 0, 0);
    s[2].stride = win(1, 1, 0, 0);
    check_graph("conv2d + upsample [2, 3] + conv2d", &in, s, 3, 3, 1e-2);
    tensor_shape len = {2, {2, 3}};
    layer_spec t[1] = {gt_spec("upsample", "up")};
    t[0].scale = win(1, 3, 0, 0);
    t[0].activation = ACT_TANH;
    check_graph("upsample of a 1-D map", &len, t, 1, 2, 1e-2);
    tensor_shape vol = {4, {1, 2, 2, 2}};
    t[0].scale = win(3, 2, 1, 2);
    check_graph("upsample of a 3-D map", &vol, t, 1, 2, 1e-2);
    /* bilinear, half-pixel and corner-aligned, 1- to 3-D */
    s[1].interp = UPSAMPLE_BILINEAR;
    check_graph("conv2d + bilinear upsample [2, 3] + conv2d", &in, s, 3, 3, 2e-2);
    s[1].align_corners = 1;
    check_graph("conv2d + bilinear upsample [2, 3] align_corners + conv2d", &in, s, 3, 3, 2e-2);
    t[0].interp = UPSAMPLE_BILINEAR;
    check_graph("trilinear upsample of a 3-D map", &vol, t, 1, 2, 1e-2);
    t[0].scale = win(1, 3, 0, 0);
    check_graph("linear upsample of a 1-D map", &len, t, 1, 2, 1e-2);
    t[0].align_corners = 1;
    check_graph("linear upsample of a 1-D map, align_corners", &len, t, 1, 2, 1e-2);
}

/* the convolution's adjoint: odd sizes, strides 2 and 3, kernels 3 and 4, padding 1,
 * output_padding 1, groups, dilation, same and valid, 1-D and 3-D maps; input, weight
 * and bias */
static void case_conv_transpose(void)
{
    tensor_shape in = {3, {4, 3, 5}};
    layer_spec s[1] = {gt_spec("conv_transpose", "ct")};
    s[0].filters = 3;
    s[0].kernel = win(1, 3, 0, 0);
    s[0].stride = win(1, 2, 0, 0);
    s[0].padding = PAD_EXPLICIT;
    s[0].pad = win(1, 1, 0, 0);
    s[0].output_padding = win(1, 1, 0, 0);
    s[0].activation = ACT_TANH;
    check_graph("conv_transpose k3 s2 p1 op1", &in, s, 1, 2, 1e-2);
    s[0].kernel = win(2, 4, 3, 0);
    s[0].stride = win(2, 3, 2, 0);
    s[0].output_padding = win(2, 2, 0, 0);
    s[0].groups = 2;
    s[0].filters = 4;
    check_graph("conv_transpose k(4,3) s(3,2) p1 op(2,0) groups 2", &in, s, 1, 3, 1e-2);
    s[0].groups = 1;
    s[0].filters = 3;
    s[0].use_bias = 0;
    s[0].dilation = win(1, 2, 0, 0);
    s[0].output_padding = win(1, 1, 0, 0);
    s[0].stride = win(1, 2, 0, 0);
    check_graph("conv_transpose k(4,3) s2 dilation 2 no bias", &in, s, 1, 2, 1e-2);
    s[0].use_bias = 1;
    s[0].dilation = win(1, 1, 0, 0);
    s[0].kernel = win(1, 3, 0, 0);
    s[0].padding = PAD_SAME;
    s[0].output_padding = win(1, 0, 0, 0);
    check_graph("conv_transpose k3 s2 same", &in, s, 1, 2, 1e-2);
    s[0].padding = PAD_VALID;
    s[0].kernel = win(1, 2, 0, 0);
    s[0].stride = win(1, 3, 0, 0);
    check_graph("conv_transpose k2 s3 valid", &in, s, 1, 2, 1e-2);
    tensor_shape len = {2, {2, 5}};
    check_graph("conv_transpose of a 1-D map", &len, s, 1, 2, 1e-2);
    tensor_shape vol = {4, {2, 2, 3, 2}};
    s[0].kernel = win(1, 3, 0, 0);
    s[0].stride = win(1, 2, 0, 0);
    s[0].padding = PAD_EXPLICIT;
    s[0].pad = win(1, 1, 0, 0);
    s[0].output_padding = win(1, 1, 0, 0);
    check_graph("conv_transpose of a 3-D map", &vol, s, 1, 2, 1e-2);
}

/* sub-pixel moves of both orders, and their inverses: each value moves once */
static void case_pixel_shuffle(void)
{
    tensor_shape in = {3, {8, 2, 3}};
    layer_spec s[2] = {gt_spec("pixel_shuffle", "ps"), gt_spec("pixel_unshuffle", "pu")};
    s[0].scale = win(1, 2, 0, 0);
    s[0].activation = ACT_TANH;
    s[1].scale = win(1, 2, 0, 0);
    s[1].activation = ACT_TANH;
    check_graph("pixel_shuffle crd + pixel_unshuffle crd", &in, s, 2, 2, 1e-2);
    s[0].order = s[1].order = SHUFFLE_DCR;
    check_graph("pixel_shuffle dcr + pixel_unshuffle dcr", &in, s, 2, 2, 1e-2);
    s[1].order = SHUFFLE_CRD;
    check_graph("pixel_shuffle dcr + pixel_unshuffle crd", &in, s, 2, 2, 1e-2);
    /* the input read by an add too: both moves add into gradients others write */
    layer_spec t[3] = {s[0], s[1], gt_spec("add", "sum")};
    gt_inputs(&t[2], "pu", "input");
    t[2].activation = ACT_TANH;
    check_graph("pixel_shuffle + pixel_unshuffle + add of the input", &in, t, 3, 2, 1e-2);
    layer_spec u[3] = {gt_spec("pixel_unshuffle", "pu"), gt_spec("pixel_shuffle", "ps"), gt_spec("add", "sum")};
    u[0].scale = u[1].scale = win(1, 2, 0, 0);
    u[0].activation = ACT_TANH;
    gt_inputs(&u[2], "ps", "input");
    u[2].activation = ACT_TANH;
    tensor_shape map = {3, {2, 4, 6}};
    check_graph("pixel_unshuffle + pixel_shuffle + add of the input", &map, u, 3, 2, 1e-2);
}

static void case_pixel_unshuffle(void)
{
    tensor_shape in = {3, {2, 6, 3}};
    layer_spec s[1] = {gt_spec("pixel_unshuffle", "pu")};
    s[0].scale = win(1, 3, 0, 0);
    s[0].activation = ACT_TANH;
    check_graph("pixel_unshuffle 3 crd", &in, s, 1, 2, 1e-2);
    s[0].order = SHUFFLE_DCR;
    check_graph("pixel_unshuffle 3 dcr", &in, s, 1, 2, 1e-2);
}

static void case_gram(void)
{
    tensor_shape in = {3, {2, 4, 5}};
    layer_spec s[2] = {gt_spec("conv2d", "c"), gt_spec("gram", "g")};
    s[0].filters = 3;
    s[0].kernel = win(1, 2, 0, 0);
    s[0].stride = win(1, 1, 0, 0);
    s[0].activation = ACT_TANH;
    check_graph("conv2d + gram", &in, s, 2, 3, 1e-2);
    /* one channel: the products are a single row */
    tensor_shape one = {3, {1, 3, 3}};
    layer_spec t[1] = {gt_spec("gram", "g")};
    check_graph("gram of one channel", &one, t, 1, 2, 1e-2);
}

static void case_layernorm(void)
{
    tensor_shape in = {1, {5}};
    layer_spec s[2] = {gt_spec("dense", "d"), gt_spec("layernorm", "ln")};
    s[0].units = 4;
    check_graph("layernorm (features)", &in, s, 2, 3, 2e-2);
    /* a whole map (auto), each row of it (axes: 1), each channel (axes: 2) */
    tensor_shape img = {3, {2, 3, 4}};
    layer_spec t[1] = {gt_spec("layernorm", "ln")};
    for (int axes = 0; axes <= 2; axes++) {
        char what[64];
        t[0].axes = axes;
        snprintf(what, sizeof what, "layernorm of a map, axes %d", axes);
        check_graph(what, &img, t, 1, 2, 2e-2);
    }
    /* each position over its channels (ConvNeXt's): a map, and 70 positions (two blocks) */
    t[0].axes = 0;
    t[0].channels = 1;
    check_graph("layernorm over channels", &img, t, 1, 2, 2e-2);
    tensor_shape wide = {2, {3, 70}};
    check_graph("layernorm over channels, 70 positions", &wide, t, 1, 2, 2e-2);
    /* per step of a padded sequence; its padded steps are zero */
    tensor_shape ids = {1, {5}};
    layer_spec q[3] = {gt_spec("embedding", "emb"), gt_spec("layernorm", "ln"), gt_spec("dense", "d")};
    q[0].units = 4;
    q[0].vocab = 7;
    q[2].units = 2;
    check_graph_x("layernorm per step", &ids, q, 3, 4, 2e-2, 1e-3, 1e-2, short_ids);
}

static void case_input(void)
{
    /* the input op is checked through every case's input gradient */
    case_flatten();
}

typedef struct {
    const char *op;
    void (*run)(void);
} op_case;

static const op_case cases[] = {
    {"input", case_input},     {"dense", case_dense},     {"activation", case_activation},
    {"dropout", case_dropout}, {"batchnorm", case_batchnorm}, {"flatten", case_flatten},
    {"batchnorm", case_batchnorm_sequence},
    {"reshape", case_reshape}, {"add", case_add},         {"concat", case_concat},
    {"conv1d", case_conv1d},   {"conv2d", case_conv2d},   {"conv3d", case_conv3d},
    {"maxpool", case_maxpool}, {"avgpool", case_avgpool}, {"global_avgpool", case_global_avgpool},
    {"time_avgpool", case_time_avgpool}, {"time_maxpool", case_time_maxpool},
    {"add", case_conv_merges},
    {"embedding", case_embedding}, {"rnn", case_rnn},     {"gru", case_gru},
    {"lstm", case_lstm},
    {"slice", case_slice},     {"split", case_split},     {"subtract", case_subtract},
    {"multiply", case_multiply}, {"abs", case_abs},       {"square", case_square},
    {"l2normalize", case_l2normalize}, {"gram", case_gram}, {"layernorm", case_layernorm},
    {"scalar_mix", case_scalar_mix}, {"word_chars", case_word_chars},
    {"chi_square", case_chi_square}, {"channel_shuffle", case_channel_shuffle},
    {"upsample", case_upsample}, {"conv_transpose", case_conv_transpose},
    {"pixel_shuffle", case_pixel_shuffle}, {"pixel_unshuffle", case_pixel_unshuffle},
};

static void test_every_op_has_a_check(void **state)
{
    for (int op = 0; op < OP_COUNT; op++) {
        if (!graph_ops[op].name) {
            print_error("op_kind %d has no row in graph_ops (registry.c)\n", op);
            fail();
        }
        assert_non_null(graph_ops[op].build);
        assert_non_null(graph_ops[op].forward);
        assert_non_null(graph_ops[op].backward);
        int found = 0;
        for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
            if (strcmp(cases[c].op, graph_ops[op].name) == 0)
                found = 1;
        if (!found) {
            print_error("op '%s' has no gradient check in test_gradcheck.c\n", graph_ops[op].name);
            fail();
        }
    }
}

static void test_ops(void **state)
{
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
        cases[c].run();
}

static void test_shared_weights(void **state)
{
    /* a siamese pair: enc sees the input, enc2 (sharing enc's parameters)
     * sees a transformed copy; the shared weight's gradient sums both uses */
    tensor_shape in = {1, {4}};
    layer_spec s[4] = {gt_spec("dense", "enc"), gt_spec("activation", "other"),
                       gt_spec("dense", "enc2"), gt_spec("add", "sum")};
    s[0].units = 3;
    s[0].activation = ACT_TANH;
    gt_inputs(&s[1], "input", NULL);
    s[1].activation = ACT_SIGMOID;
    s[2].units = 3;
    s[2].activation = ACT_TANH;
    strcpy(s[2].share, "enc");
    gt_inputs(&s[2], "other", NULL);
    gt_inputs(&s[3], "enc", "enc2");
    check_graph("shared weights", &in, s, 4, 3, 1e-2);
    graph *g;
    dlc_error err;
    assert_int_equal(graph_build(&g, &in, s, 4, NULL, 0, 2, &err), DLC_OK);
    assert_int_equal(g->n_params, 2); /* enc.weight, enc.bias only */
    graph_free(g);
}

static void test_frozen_layer(void **state)
{
    tensor_shape in = {1, {4}};
    layer_spec s[2] = {gt_spec("dense", "base"), gt_spec("dense", "head")};
    s[0].units = 3;
    s[0].trainable = 0;
    s[1].units = 2;
    graph *g;
    dlc_error err;
    assert_int_equal(graph_build(&g, &in, s, 2, NULL, 0, 2, &err), DLC_OK);
    size_t tr, fr;
    graph_count_params(g, &tr, &fr);
    assert_int_equal(tr, 3 * 2 + 2);
    assert_int_equal(fr, 4 * 3 + 3);
    assert_false(g->nodes[1].needs_grad); /* nothing before the head learns */
    assert_true(g->nodes[2].needs_grad);
    graph_free(g);
}

static void test_shape_errors(void **state)
{
    tensor_shape in = {1, {4}};
    layer_spec s[3] = {gt_spec("dense", "a"), gt_spec("dense", "b"), gt_spec("add", "sum")};
    s[0].units = 3;
    s[1].units = 5;
    gt_inputs(&s[1], "input", NULL);
    gt_inputs(&s[2], "a", "b");
    strcpy(s[2].where, "m.yaml:9");
    graph *g = NULL;
    dlc_error err = {0};
    assert_int_equal(graph_build(&g, &in, s, 3, NULL, 0, 2, &err), DLC_EINPUT);
    assert_null(g);
    assert_non_null(strstr(err.msg, "m.yaml:9"));
    assert_non_null(strstr(err.msg, "'a' is (3)"));
    assert_non_null(strstr(err.msg, "'b' is (5)"));
    /* an unknown input name with a suggestion */
    gt_inputs(&s[2], "a", "bb");
    assert_int_equal(graph_build(&g, &in, s, 3, NULL, 0, 2, &err), DLC_EINPUT);
    assert_non_null(strstr(err.msg, "did you mean 'b'"));
    /* a cycle */
    gt_inputs(&s[0], "sum", NULL);
    s[1].units = 3;
    gt_inputs(&s[2], "a", "b");
    assert_int_equal(graph_build(&g, &in, s, 3, NULL, 0, 2, &err), DLC_EINPUT);
    assert_non_null(strstr(err.msg, "cycle"));
}

static void test_topological_order(void **state)
{
    /* layers listed out of order still build: b names a, which comes later */
    tensor_shape in = {1, {4}};
    layer_spec s[2] = {gt_spec("dense", "b"), gt_spec("dense", "a")};
    s[0].units = 2;
    gt_inputs(&s[0], "a", NULL);
    s[1].units = 3;
    gt_inputs(&s[1], "input", NULL);
    graph *g;
    dlc_error err;
    const char *outs[] = {"b"};
    assert_int_equal(graph_build(&g, &in, s, 2, outs, 1, 2, &err), DLC_OK);
    assert_string_equal(g->nodes[1].spec.name, "a");
    assert_string_equal(g->nodes[2].spec.name, "b");
    assert_int_equal(graph_output(g, 0)->shape.d[0], 2);
    graph_free(g);
}

/* graph_zero_grad clears what the loss wrote since the last clear, even when
 * no backward pass ran in between (e.g. a loss computed and thrown away),
 * and every row a larger earlier batch touched. */
static void test_zero_grad_clears(void **state)
{
    tensor_shape in = {1, {3}};
    layer_spec s = gt_spec("dense", "d");
    s.units = 2;
    graph *g = gt_build(&in, &s, 1, 8);
    dlc_rng rng;
    dlc_rng_seed(&rng, 1, 0);
    graph_init_params(g, &rng);
    graph_node *o = graph_output(g, 0);
    graph_forward(g, 8, 1);
    graph_zero_grad(g);
    for (int i = 0; i < 16; i++)
        o->grad[i] = 1.0f; /* the loss of 8 rows */
    graph_zero_grad(g); /* thrown away */
    for (int i = 0; i < 16; i++)
        tu_close(o->grad[i], 0.0, 0);
    /* a batch of 8 with a backward, then a batch of 3: no row of the 8 stays */
    for (int i = 0; i < 16; i++)
        o->grad[i] = 1.0f;
    graph_backward(g, 8);
    graph_forward(g, 3, 1);
    graph_zero_grad(g);
    for (int i = 0; i < 16; i++)
        tu_close(o->grad[i], 0.0, 0);
    for (size_t i = 0; i < g->n_grads; i++)
        tu_close(g->grad_block[i], 0.0, 0);
    graph_free(g);
}

/* ---- the whole-model check of dlc gradcheck (tolerance mode) ---- */

typedef struct {
    const float *r;
    float skew;   /* the analytic gradient is scaled by this: 1 is right */
} skewed;

static double skewed_loss(void *user, graph *g, int N, int with_grad)
{
    skewed *s = user;
    graph_node *out = graph_output(g, 0);
    graph_forward(g, N, 1);
    size_t n = (size_t)N * out->size;
    double L = 0;
    for (size_t i = 0; i < n; i++)
        L += (double)s->r[i] * out->out[i];
    if (with_grad) {
        graph_zero_grad(g);
        for (size_t i = 0; i < n; i++)
            out->grad[i] = s->skew * s->r[i];
        graph_backward(g, N);
    }
    return L;
}

/* A GRU on ReLU'd inputs with a max over time: correct gradients pass (the
 * tiny ones judged by absolute error, kinks skipped) and gradients 3% off
 * fail, naming values. */
static void test_tolerance_mode(void **state)
{
    (void)state;
    tensor_shape in = {2, {6, 5}};
    layer_spec s[3] = {gt_spec("activation", "relu_in"), rnn_spec("gru", 8, 1, 0, RNN_MERGE_CONCAT),
                       gt_spec("time_maxpool", "pool")};
    s[0].activation = ACT_RELU;
    graph *g = gt_build(&in, s, 3, 4);
    graph_set_input_grad(g, 1, NULL);
    dlc_rng rng;
    dlc_rng_seed(&rng, 5, 1);
    graph_init_params(g, &rng);
    float *x = graph_input(g, 0);
    for (size_t i = 0; i < 4 * g->nodes[0].size; i++)
        x[i] = (float)dlc_rng_normal(&rng);
    graph_node *out = graph_output(g, 0);
    float r[64];
    for (size_t i = 0; i < 4 * out->size; i++)
        r[i] = (float)dlc_rng_normal(&rng);
    gradcheck_result res[8];
    gradcheck_opts o = {4e-3, 1e-4, 20, 1, 3, 1e-2};
    skewed ok = {r, 1.0f}, bad = {r, 1.03f};
    int k = gradcheck_graph(g, 4, skewed_loss, &ok, &o, res, 8);
    assert_true(k >= 3);
    for (int i = 0; i < k; i++) {
        if (res[i].failed)
            print_error("%s: %d fail, first [%d] %g vs %g\n", res[i].name, res[i].failed,
                        res[i].fails[0].index, res[i].fails[0].analytic, res[i].fails[0].numeric);
        assert_int_equal(res[i].failed, 0);
        assert_true(res[i].checked > 0);
    }
    k = gradcheck_graph(g, 4, skewed_loss, &bad, &o, res, 8);
    int failed = 0;
    for (int i = 0; i < k; i++) {
        failed += res[i].failed > 0;
        if (res[i].failed)
            assert_true(res[i].fails[0].rel > o.tol);
    }
    assert_int_equal(failed, k); /* every tensor, the input included */
    graph_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zero_grad_clears),
        cmocka_unit_test(test_every_op_has_a_check),
        cmocka_unit_test(test_ops),
        cmocka_unit_test(test_shared_weights),
        cmocka_unit_test(test_frozen_layer),
        cmocka_unit_test(test_shape_errors),
        cmocka_unit_test(test_topological_order),
        cmocka_unit_test(test_tolerance_mode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
