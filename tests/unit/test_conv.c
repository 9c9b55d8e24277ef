/* test_conv.c - convolution and pooling: a hand-computed example, the
 * output-size formula, shape errors, and PyTorch reference values
 * (tests/data/make_reference_conv.py). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graphtest.h"
#include "testutil.h"

static layer_window win(int n, int a, int b, int c)
{
    return (layer_window){n, {a, b, c}};
}

/* A graph that also computes its input's gradient. */
static graph *build(const tensor_shape *in, layer_spec *s, int n, int N)
{
    graph *g = gt_build(in, s, n, N);
    graph_set_input_grad(g, 1, NULL);
    return g;
}

/* A 1-channel 4x4 image, one 3x3 filter, stride 1, valid: worked by hand. */
static void test_hand_example(void **state)
{
    tensor_shape in = {3, {1, 4, 4}};
    layer_spec s = gt_spec("conv2d", "c");
    s.filters = 1;
    s.kernel = win(1, 3, 0, 0);
    s.stride = win(1, 1, 0, 0);
    graph *g = build(&in, &s, 1, 1);
    /* the vertical-edge detector of the notes on a step image */
    const float x[16] = {10, 10, 0, 0, 10, 10, 0, 0, 10, 10, 0, 0, 10, 10, 0, 0};
    const float w[9] = {1, 0, -1, 1, 0, -1, 1, 0, -1};
    memcpy(graph_input(g, 0), x, sizeof x);
    memcpy(g->params[0].data, w, sizeof w);
    g->params[1].data[0] = 0.5f;
    graph_forward(g, 1, 0);
    graph_node *o = graph_output(g, 0);
    assert_int_equal(o->shape.d[1], 2);
    assert_int_equal(o->shape.d[2], 2);
    /* each window: 3 rows of (x0 - x2): rows (10,10,0) give 10 each -> 30; (10,0,0) -> 30 */
    const float want[4] = {30.5f, 30.5f, 30.5f, 30.5f};
    tu_assert_close("hand conv", o->out, want, 4, 1e-6, 0);
    /* dL/dw for dy = 1 everywhere: the sum of the four windows */
    graph_zero_grad(g);
    for (int i = 0; i < 4; i++)
        o->grad[i] = 1.0f;
    graph_backward(g, 1);
    const float dw[9] = {40, 20, 0, 40, 20, 0, 40, 20, 0};
    tu_assert_close("hand dw", g->params[0].grad, dw, 9, 1e-6, 0);
    tu_close(g->params[1].grad[0], 4.0, 1e-6);
    /* dL/dx: how many windows cover each pixel, times the weight there */
    const float dx[16] = {1, 1, -1, -1, 2, 2, -2, -2, 2, 2, -2, -2, 1, 1, -1, -1};
    tu_assert_close("hand dx", g->nodes[0].grad, dx, 16, 1e-6, 0);
    graph_free(g);
}

/* floor((n + 2p - f) / s) + 1, and `same` keeping ceil(n / s). */
static void test_output_size(void **state)
{
    struct {
        int n, f, s, pad_kind, p, want;
    } cases[] = {
        {6, 3, 1, PAD_VALID, 0, 4},    {6, 3, 1, PAD_EXPLICIT, 1, 6}, {7, 3, 2, PAD_VALID, 0, 3},
        {7, 3, 2, PAD_EXPLICIT, 1, 4}, {8, 2, 2, PAD_VALID, 0, 4},    {5, 4, 1, PAD_SAME, 0, 5},
        {7, 2, 2, PAD_SAME, 0, 4},     {224, 7, 2, PAD_EXPLICIT, 3, 112}, {39, 5, 3, PAD_VALID, 0, 12},
        {1, 1, 1, PAD_VALID, 0, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tensor_shape in = {3, {1, cases[i].n, cases[i].n}};
        layer_spec s = gt_spec("conv2d", "c");
        s.filters = 2;
        s.kernel = win(1, cases[i].f, 0, 0);
        s.stride = win(1, cases[i].s, 0, 0);
        s.padding = (pad_kind)cases[i].pad_kind;
        s.pad = win(1, cases[i].p, 0, 0);
        graph *g = build(&in, &s, 1, 1);
        if (graph_output(g, 0)->shape.d[1] != cases[i].want) {
            print_error("case %zu: n %d f %d s %d p %d: got %d, want %d\n", i, cases[i].n,
                        cases[i].f, cases[i].s, cases[i].p, graph_output(g, 0)->shape.d[1],
                        cases[i].want);
            fail();
        }
        graph_free(g);
    }
}

static void expect_error(const tensor_shape *in, layer_spec *s, int n, const char *needle)
{
    graph *g = NULL;
    dlc_error err = {0};
    assert_int_equal(graph_build(&g, in, s, n, NULL, 0, 2, &err), DLC_EINPUT);
    assert_null(g);
    if (!strstr(err.msg, needle)) {
        print_error("message '%s' lacks '%s'\n", err.msg, needle);
        fail();
    }
}

static void test_shape_errors(void **state)
{
    tensor_shape in = {3, {1, 4, 4}};
    layer_spec s = gt_spec("conv2d", "big");
    strcpy(s.where, "m.yaml:7");
    s.filters = 2;
    s.kernel = win(1, 5, 0, 0);
    s.stride = win(1, 1, 0, 0);
    expect_error(&in, &s, 1, "m.yaml:7: layer 'big' (conv2d): output size");
    expect_error(&in, &s, 1, "less than 1");
    s.kernel = win(3, 3, 3, 3);
    expect_error(&in, &s, 1, "kernel has 3 entries but the layer has 2 spatial axes");
    tensor_shape flat = {1, {16}};
    s.kernel = win(1, 3, 0, 0);
    expect_error(&flat, &s, 1, "needs an input of (channels, height, width), got (16)");
    s.dilation = win(1, 2, 0, 0); /* the taps span 5 > 4 */
    expect_error(&in, &s, 1, "floor((4 + 0 - 5) / 1) + 1");
    s.dilation = win(2, 1, 0, 0);
    expect_error(&in, &s, 1, "dilation must be at least 1, got 0");
    s.padding = PAD_SAME; /* the config's largest values: no int overflow */
    s.kernel = win(1, 1 << 20, 0, 0);
    s.dilation = win(1, 1 << 20, 0, 0);
    expect_error(&in, &s, 1, "kernel 1048576 with dilation 1048576 spans 1099510579201 positions");
    layer_spec p = gt_spec("maxpool", "pool");
    p.kernel = win(1, 2, 0, 0);
    p.padding = PAD_EXPLICIT;
    p.pad = win(1, 2, 0, 0);
    expect_error(&in, &p, 1, "more than half the kernel");
    layer_spec q = gt_spec("global_avgpool", "gap");
    expect_error(&flat, &q, 1, "needs an input of (channels");
}

/* Loads x, params, runs forward/backward, compares y, dx and parameter grads. */
static void check_ref(const tu_ref *r, const char *name, const tensor_shape *in, layer_spec *s,
                      int N, double tol)
{
    char key[64];
    size_t n;
    graph *g = build(in, s, 1, N);
    snprintf(key, sizeof key, "%s.x", name);
    const float *x = tu_ref_get(r, key, &n);
    assert_int_equal(n, (size_t)N * g->nodes[0].size);
    memcpy(graph_input(g, 0), x, sizeof(float) * n);
    for (int k = 0; k < g->n_params; k++) {
        snprintf(key, sizeof key, "%s.p%d", name, k);
        const float *p = tu_ref_get(r, key, &n);
        assert_int_equal(n, g->params[k].n);
        memcpy(g->params[k].data, p, sizeof(float) * n);
    }
    graph_forward(g, N, 1);
    graph_node *o = graph_output(g, 0);
    size_t on = (size_t)N * o->size;
    snprintf(key, sizeof key, "%s.y", name);
    const float *y = tu_ref_get(r, key, &n);
    assert_int_equal(n, on);
    tu_assert_close(key, o->out, y, on, tol, tol);
    graph_zero_grad(g);
    snprintf(key, sizeof key, "%s.dy", name);
    memcpy(o->grad, tu_ref_get(r, key, NULL), sizeof(float) * on);
    graph_backward(g, N);
    snprintf(key, sizeof key, "%s.dx", name);
    tu_assert_close(key, g->nodes[0].grad, tu_ref_get(r, key, NULL), (size_t)N * g->nodes[0].size,
                    tol, tol);
    for (int k = 0; k < g->n_params; k++) {
        snprintf(key, sizeof key, "%s.dp%d", name, k);
        tu_assert_close(key, g->params[k].grad, tu_ref_get(r, key, NULL), g->params[k].n, tol, tol);
    }
    graph_free(g);
}

static void test_pytorch_reference(void **state)
{
    tu_ref *r = tu_ref_load("conv");
    tensor_shape in2 = {3, {3, 7, 6}};
    layer_spec s = gt_spec("conv2d", "c");
    s.filters = 4;
    s.kernel = win(2, 4, 3, 0);
    s.stride = win(2, 2, 1, 0);
    s.padding = PAD_EXPLICIT;
    s.pad = win(2, 1, 2, 0);
    check_ref(r, "conv2d", &in2, &s, 2, 1e-4);

    tensor_shape in1 = {2, {2, 11}};
    s = gt_spec("conv1d", "c");
    s.filters = 3;
    s.kernel = win(1, 5, 0, 0);
    s.stride = win(1, 2, 0, 0);
    s.padding = PAD_EXPLICIT;
    s.pad = win(1, 2, 0, 0);
    check_ref(r, "conv1d", &in1, &s, 3, 1e-4);

    tensor_shape in3 = {4, {2, 3, 5, 4}};
    s = gt_spec("conv3d", "c");
    s.filters = 2;
    s.kernel = win(3, 2, 3, 3);
    s.stride = win(1, 1, 0, 0);
    s.padding = PAD_EXPLICIT;
    s.pad = win(3, 0, 1, 1);
    check_ref(r, "conv3d", &in3, &s, 2, 1e-4);

    tensor_shape inp = {3, {3, 7, 8}};
    s = gt_spec("maxpool", "p");
    s.kernel = win(1, 3, 0, 0);
    s.stride = win(1, 2, 0, 0);
    s.padding = PAD_EXPLICIT;
    s.pad = win(1, 1, 0, 0);
    check_ref(r, "maxpool", &inp, &s, 2, 1e-6);

    tensor_shape ina = {3, {3, 6, 7}};
    s = gt_spec("avgpool", "p");
    s.kernel = win(1, 2, 0, 0);
    s.stride = win(1, 2, 0, 0);
    check_ref(r, "avgpool", &ina, &s, 2, 1e-6);

    tensor_shape inb = {3, {2, 5, 5}};
    s = gt_spec("avgpool", "p");
    s.kernel = win(1, 3, 0, 0);
    s.stride = win(1, 1, 0, 0);
    s.padding = PAD_EXPLICIT;
    s.pad = win(1, 1, 0, 0);
    check_ref(r, "avgpool_pad", &inb, &s, 2, 1e-6);

    tensor_shape inc = {3, {2, 5, 6}};
    s.stride = win(1, 2, 0, 0);
    s.count_include_pad = 0;
    check_ref(r, "avgpool_exclude", &inc, &s, 2, 1e-6);
    tu_ref_free(r);
}

/* A conv or pool spec: filters (0 for a pool), kernel, stride, dilation, padding */
static layer_spec window_spec(const char *type, int filters, layer_window k, layer_window st, layer_window d,
                              pad_kind padding, layer_window pad)
{
    layer_spec s = gt_spec(type, "l");
    s.filters = filters;
    s.kernel = k;
    s.stride = st;
    s.dilation = d;
    s.padding = padding;
    s.pad = pad;
    return s;
}

/* Grouped and depthwise convolutions against PyTorch's groups: by chunks,
 * by whole samples per thread, pointwise, conv1d. */
static void test_pytorch_reference_groups(void **state)
{
    (void)state;
    tu_ref *r = tu_ref_load("conv_groups");
    const layer_window one = win(1, 1, 0, 0), two = win(1, 2, 0, 0), three = win(1, 3, 0, 0);
    struct {
        const char *name, *type;
        tensor_shape in;
        int filters, groups, use_bias;
        layer_window k, st, pad;
    } cases[] = {
        {"conv2d_groups", "conv2d", {3, {4, 6, 5}}, 6, 2, 1, three, one, one},
        {"conv2d_depthwise", "conv2d", {3, {3, 7, 7}}, 6, 3, 1, three, two, one},
        {"conv2d_groups_whole", "conv2d", {3, {8, 24, 24}}, 8, 4, 0, three, one, one},
        {"conv2d_groups_pointwise", "conv2d", {3, {32, 24, 24}}, 32, 4, 1, one, one, win(1, 0, 0, 0)},
        {"conv1d_groups", "conv1d", {2, {4, 9}}, 4, 2, 1, three, two, win(1, 0, 0, 0)},
    };
    for (int threads = 1; threads <= 2; threads++) {
        tensor_set_threads(threads);
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            layer_spec s = window_spec(cases[i].type, cases[i].filters, cases[i].k, cases[i].st, one,
                                       PAD_EXPLICIT, cases[i].pad);
            s.groups = cases[i].groups;
            s.use_bias = cases[i].use_bias;
            check_ref(r, cases[i].name, &cases[i].in, &s, cases[i].in.ndim == 2 ? 3 : 2, 1e-4);
        }
    }
    tensor_set_threads(1);
    /* groups must divide the channels and the filters; Winograd is dense only */
    tensor_shape in = {3, {4, 6, 6}};
    layer_spec s = window_spec("conv2d", 6, three, one, one, PAD_EXPLICIT, one);
    s.groups = 3;
    expect_error(&in, &s, 1, "groups 3 must divide both the input's 4 channels and the 6 filters");
    s.groups = 2;
    s.algorithm = CONV_WINOGRAD_4X4;
    expect_error(&in, &s, 1, "algorithm: winograd_4x4 with groups 2");
    tu_ref_free(r);
}

/* One depthwise layer "d" (after a residual-free input) run forward and
 * backward under an algorithm; returns the graph for comparison. */
static graph *depthwise_run(const tensor_shape *in, layer_spec s, int algo, int N, unsigned seed)
{
    s.algorithm = algo;
    graph *g = build(in, &s, 1, N);
    dlc_rng r;
    dlc_rng_seed(&r, seed, 0);
    for (int k = 0; k < g->n_params; k++)
        for (size_t i = 0; i < g->params[k].n; i++)
            g->params[k].data[i] = (float)dlc_rng_normal(&r);
    float *x = graph_input(g, 0);
    for (size_t i = 0; i < (size_t)N * g->nodes[0].size; i++)
        x[i] = (float)dlc_rng_normal(&r);
    graph_forward(g, N, 1);
    graph_zero_grad(g);
    graph_node *o = graph_output(g, 0);
    for (size_t i = 0; i < (size_t)N * o->size; i++)
        o->grad[i] = (float)dlc_rng_normal(&r);
    graph_backward(g, N);
    return g;
}

/* The direct depthwise form (backward on padded planes at stride 1) against
 * the grouped im2col one: strides, dilations, every padding, 1 to 3 spatial
 * axes, 1 to 3 filters a channel, fused relu and leaky relu, with and without
 * bias, at 1 and 2 threads. */
static void test_depthwise_direct(void **state)
{
    (void)state;
    struct {
        tensor_shape in;
        const char *type;
        int mult;
        layer_window k, st, d;
        pad_kind pad;
        int p, act, bias;
    } cases[] = {
        {{3, {4, 9, 11}}, "conv2d", 1, {1, {3}}, {1, {1}}, {1, {1}}, PAD_SAME, 0, ACT_RELU, 0},
        {{3, {3, 10, 7}}, "conv2d", 2, {1, {3}}, {1, {2}}, {1, {1}}, PAD_EXPLICIT, 1, ACT_LINEAR, 1},
        {{3, {2, 12, 12}}, "conv2d", 1, {2, {5, 3}}, {2, {2, 1}}, {1, {2}}, PAD_EXPLICIT, 2, ACT_LEAKY_RELU, 1},
        {{3, {5, 6, 6}}, "conv2d", 3, {1, {2}}, {1, {2}}, {1, {1}}, PAD_VALID, 0, ACT_TANH, 1},
        {{3, {32, 30, 30}}, "conv2d", 1, {1, {3}}, {1, {1}}, {1, {1}}, PAD_SAME, 0, ACT_RELU, 1},
        /* stride 1 (backward on padded planes): an even kernel's uneven `same` padding, dilated */
        {{3, {3, 8, 9}}, "conv2d", 2, {2, {2, 4}}, {1, {1}}, {1, {2}}, PAD_SAME, 0, ACT_LINEAR, 1},
        {{3, {2, 7, 7}}, "conv2d", 1, {1, {3}}, {1, {1}}, {1, {1}}, PAD_VALID, 0, ACT_LEAKY_RELU, 0},
        {{2, {4, 17}}, "conv1d", 2, {1, {5}}, {1, {3}}, {1, {1}}, PAD_SAME, 0, ACT_LINEAR, 1},
        {{4, {2, 4, 5, 6}}, "conv3d", 1, {1, {3}}, {1, {1}}, {1, {1}}, PAD_EXPLICIT, 1, ACT_LINEAR, 1},
    };
    for (int threads = 1; threads <= 2; threads++) {
        tensor_set_threads(threads);
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            layer_spec s = window_spec(cases[i].type, cases[i].in.d[0] * cases[i].mult, cases[i].k, cases[i].st,
                                       cases[i].d, cases[i].pad, win(1, cases[i].p, 0, 0));
            s.groups = cases[i].in.d[0];
            s.activation = (act_kind)cases[i].act;
            s.use_bias = cases[i].bias;
            graph *a = depthwise_run(&cases[i].in, s, CONV_AUTO, 3, 7 + (unsigned)i);
            graph *b = depthwise_run(&cases[i].in, s, CONV_IM2COL, 3, 7 + (unsigned)i);
            graph_node *oa = graph_output(a, 0), *ob = graph_output(b, 0);
            char what[160];
            snprintf(what, sizeof what, "case %zu threads %d: y", i, threads);
            tu_assert_close(what, oa->out, ob->out, 3 * oa->size, 1e-5, 1e-5);
            snprintf(what, sizeof what, "case %zu threads %d: dx", i, threads);
            tu_assert_close(what, a->nodes[0].grad, b->nodes[0].grad, 3 * a->nodes[0].size, 1e-5, 1e-5);
            for (int k = 0; k < a->n_params; k++) {
                snprintf(what, sizeof what, "case %zu threads %d: %s", i, threads, a->params[k].name);
                tu_assert_close(what, a->params[k].grad, b->params[k].grad, a->params[k].n, 1e-4, 1e-5);
            }
            graph_free(a);
            graph_free(b);
        }
    }
    tensor_set_threads(1);
}

/* ceil_mode pools against PyTorch (tests/data/make_reference_window.py): a
 * partial last window, one ceil would start in the padding after the input
 * (none), and the average's divisor stopping at the padded end. */
static void test_pytorch_reference_ceil(void **state)
{
    (void)state;
    tu_ref *r = tu_ref_load("window");
    assert_non_null(r);
    const layer_window one = win(1, 1, 0, 0), two = win(1, 2, 0, 0), three = win(1, 3, 0, 0);
    tensor_shape a = {3, {3, 7, 8}}, b = {3, {2, 5, 5}}, c = {3, {2, 6, 7}};
    layer_spec s = window_spec("maxpool", 0, three, two, one, PAD_EXPLICIT, one);
    s.ceil_mode = 1;
    check_ref(r, "maxpool_ceil", &a, &s, 2, 1e-6);
    s.kernel = two;
    check_ref(r, "maxpool_ceil_drop", &b, &s, 2, 1e-6);
    s.padding = PAD_VALID;
    check_ref(r, "maxpool_ceil_2x2", &b, &s, 2, 1e-6);

    s = window_spec("avgpool", 0, three, two, one, PAD_EXPLICIT, one);
    s.ceil_mode = 1;
    check_ref(r, "avgpool_ceil", &c, &s, 2, 1e-6);
    s.count_include_pad = 0;
    check_ref(r, "avgpool_ceil_exclude", &c, &s, 2, 1e-6);
    s.count_include_pad = 1;
    s.kernel = two;
    s.padding = PAD_VALID;
    check_ref(r, "avgpool_ceil_nopad", &b, &s, 2, 1e-6);
    tu_ref_free(r);
}

/* Dilated convolutions and max pooling against PyTorch
 * (tests/data/make_reference_window.py): 1 to 3 axes, strides, explicit
 * padding and `same` (padding the taps' span d (k - 1) + 1 as PyTorch
 * splits it), a max pool also in ceil_mode. */
static void test_pytorch_reference_dilation(void **state)
{
    (void)state;
    tu_ref *r = tu_ref_load("window");
    assert_non_null(r);
    const layer_window one = win(1, 1, 0, 0), two = win(1, 2, 0, 0), three = win(1, 3, 0, 0);
    tensor_shape in2 = {3, {3, 9, 8}}, in1 = {2, {2, 13}}, in3 = {4, {2, 5, 6, 6}}, ins = {3, {2, 7, 7}};
    layer_spec s = window_spec("conv2d", 4, win(2, 3, 2, 0), one, win(2, 2, 3, 0), PAD_EXPLICIT, win(2, 2, 1, 0));
    check_ref(r, "conv2d_dil", &in2, &s, 2, 1e-4);
    s = window_spec("conv1d", 3, three, two, three, PAD_EXPLICIT, three);
    check_ref(r, "conv1d_dil", &in1, &s, 2, 1e-4);
    s = window_spec("conv3d", 2, win(3, 2, 3, 3), one, win(3, 1, 2, 2), PAD_EXPLICIT, win(3, 0, 2, 1));
    check_ref(r, "conv3d_dil", &in3, &s, 1, 1e-4);
    s = window_spec("conv2d", 3, win(2, 3, 2, 0), one, win(2, 2, 3, 0), PAD_SAME, one);
    check_ref(r, "conv2d_dil_same", &ins, &s, 2, 1e-4);

    tensor_shape inp = {3, {2, 9, 9}}, inc = {3, {2, 8, 9}};
    s = window_spec("maxpool", 0, three, two, two, PAD_EXPLICIT, one);
    check_ref(r, "maxpool_dil", &inp, &s, 2, 1e-6);
    s.kernel = two;
    s.ceil_mode = 1;
    check_ref(r, "maxpool_dil_ceil", &inc, &s, 2, 1e-6);
    tu_ref_free(r);
}

/* A dilated 3x3 stride-1 conv2d with 64 channels in and out on 12 x 12 maps
 * (the shape fast paths such as Winograd's take when dense) against a direct
 * sum: whatever path runs must honour the dilation. */
static void test_dilated_wide_conv(void **state)
{
    (void)state;
    enum { C = 64, F = 64, H = 12, W = 12, K = 3, D = 2, PAD = 2, N = 2 };
    tensor_shape in = {3, {C, H, W}};
    layer_spec s = window_spec("conv2d", F, win(1, K, 0, 0), win(1, 1, 0, 0), win(1, D, 0, 0), PAD_EXPLICIT,
                               win(1, PAD, 0, 0));
    graph *g = build(&in, &s, 1, N);
    dlc_rng rng;
    dlc_rng_seed(&rng, 5, 0);
    graph_init_params(g, &rng);
    float *x = graph_input(g, 0);
    for (size_t i = 0; i < (size_t)N * C * H * W; i++)
        x[i] = (float)dlc_rng_normal(&rng);
    graph_forward(g, N, 0);
    const float *w = g->params[0].data, *b = g->params[1].data, *y = graph_output(g, 0)->out;
    assert_int_equal(graph_output(g, 0)->size, (size_t)F * H * W);
    double worst = 0;
    for (int i = 0; i < N; i++)
        for (int f = 0; f < F; f++)
            for (int oh = 0; oh < H; oh++)
                for (int ow = 0; ow < W; ow++) {
                    double sum = b[f];
                    for (int c = 0; c < C; c++)
                        for (int kh = 0; kh < K; kh++)
                            for (int kw = 0; kw < K; kw++) {
                                int ih = oh - PAD + kh * D, iw = ow - PAD + kw * D;
                                if (ih >= 0 && ih < H && iw >= 0 && iw < W)
                                    sum += (double)w[((f * C + c) * K + kh) * K + kw] *
                                           x[(((size_t)i * C + c) * H + ih) * W + iw];
                            }
                    double d = fabs(sum - y[(((size_t)i * F + f) * H + oh) * W + ow]);
                    worst = d > worst ? d : worst;
                }
    if (worst > 1e-3)
        fail_msg("dilated conv2d: max abs difference %g from the direct sum", worst);
    graph_free(g);
}

/* Stride-2 conv2d layers (ResNet's stem 7x7 pad 3, its 3x3 pad 1 and 1x1
 * downsampling) on maps wide enough that im2col's and col2im's stride-2
 * rows run eight columns at a time, with a tail: y, dx and dW against
 * direct sums.  The stem's map is tall enough (83 x 22 outputs, 147 rows
 * of col) that it runs by blocks of 81 output rows and a block of 2
 * (conv.c, conv_rows_block). */
static void test_stride2_wide(void **state)
{
    (void)state;
    enum { C = 3, F = 4, W = 43, N = 2 };
    static const int kernels[3][3] = {{7, 3, 165}, {3, 1, 5}, {1, 0, 5}};
    for (int t = 0; t < 3; t++) {
        const int K = kernels[t][0], PAD = kernels[t][1], H = kernels[t][2];
        tensor_shape in = {3, {C, H, W}};
        layer_spec s = window_spec("conv2d", F, win(1, K, 0, 0), win(1, 2, 0, 0), win(1, 1, 0, 0),
                                   PAD_EXPLICIT, win(1, PAD, 0, 0));
        graph *g = build(&in, &s, 1, N);
        assert_int_equal(graph_set_input_grad(g, 1, NULL), DLC_OK);
        dlc_rng rng;
        dlc_rng_seed(&rng, 7, (uint64_t)t);
        graph_init_params(g, &rng);
        float *x = graph_input(g, 0);
        for (size_t i = 0; i < (size_t)N * C * H * W; i++)
            x[i] = (float)dlc_rng_normal(&rng);
        graph_forward(g, N, 1);
        graph_node *o = graph_output(g, 0);
        const int OH = o->shape.d[1], OW = o->shape.d[2];
        assert_true(OW >= 20);
        graph_zero_grad(g);
        for (size_t j = 0; j < (size_t)N * o->size; j++)
            o->grad[j] = (float)dlc_rng_normal(&rng);
        graph_backward(g, N);
        const float *w = g->params[0].data, *b = g->params[1].data, *y = o->out, *dy = o->grad;
        double *dx = calloc((size_t)N * C * H * W, sizeof *dx), *dw = calloc((size_t)F * C * K * K, sizeof *dw);
        assert_non_null(dx);
        assert_non_null(dw);
        double worst_y = 0;
        for (int i = 0; i < N; i++)
            for (int f = 0; f < F; f++)
                for (int oh = 0; oh < OH; oh++)
                    for (int ow = 0; ow < OW; ow++) {
                        size_t at = (((size_t)i * F + f) * OH + oh) * OW + ow;
                        double sum = b[f];
                        for (int c = 0; c < C; c++)
                            for (int kh = 0; kh < K; kh++)
                                for (int kw = 0; kw < K; kw++) {
                                    int ih = oh * 2 - PAD + kh, iw = ow * 2 - PAD + kw;
                                    if (ih < 0 || ih >= H || iw < 0 || iw >= W)
                                        continue;
                                    size_t xi = (((size_t)i * C + c) * H + ih) * W + iw;
                                    size_t wi = (((size_t)f * C + c) * K + kh) * K + kw;
                                    sum += (double)w[wi] * x[xi];
                                    dx[xi] += (double)w[wi] * dy[at];
                                    dw[wi] += (double)x[xi] * dy[at];
                                }
                        double d = fabs(sum - y[at]);
                        worst_y = d > worst_y ? d : worst_y;
                    }
        double worst_dx = 0, worst_dw = 0;
        for (size_t j = 0; j < (size_t)N * C * H * W; j++) {
            double d = fabs(dx[j] - g->nodes[0].grad[j]);
            worst_dx = d > worst_dx ? d : worst_dx;
        }
        for (size_t j = 0; j < (size_t)F * C * K * K; j++) {
            double d = fabs(dw[j] - g->params[0].grad[j]);
            worst_dw = d > worst_dw ? d : worst_dw;
        }
        if (worst_y > 1e-4 || worst_dx > 1e-4 || worst_dw > 1e-3)
            fail_msg("stride-2 %dx%d conv2d: max abs difference y %g, dx %g, dW %g from direct sums", K, K,
                     worst_y, worst_dx, worst_dw);
        free(dx);
        free(dw);
        graph_free(g);
    }
}

/* Max pooling at stride 2 on wide maps (ResNet's 3x3 pad 1 among them),
 * whose inner windows run eight outputs at a time: the maxima and the
 * winners (dx), ties included (small integers), as a scan of each clamped
 * window in row order where the first of equal maxima wins. */
static void test_maxpool_stride2_wide(void **state)
{
    (void)state;
    enum { C = 2, H = 9, W = 45, N = 2 };
    static const int kernels[3][2] = {{3, 1}, {5, 2}, {3, 0}};
    for (int t = 0; t < 3; t++) {
        const int K = kernels[t][0], PAD = kernels[t][1];
        tensor_shape in = {3, {C, H, W}};
        layer_spec s = window_spec("maxpool", 0, win(1, K, 0, 0), win(1, 2, 0, 0), win(1, 1, 0, 0),
                                   PAD_EXPLICIT, win(1, PAD, 0, 0));
        graph *g = build(&in, &s, 1, N);
        assert_int_equal(graph_set_input_grad(g, 1, NULL), DLC_OK);
        dlc_rng rng;
        dlc_rng_seed(&rng, 9, (uint64_t)t);
        float *x = graph_input(g, 0);
        for (size_t i = 0; i < (size_t)N * C * H * W; i++)
            x[i] = (float)dlc_rng_below(&rng, 3);
        graph_forward(g, N, 1);
        graph_node *o = graph_output(g, 0);
        const int OH = o->shape.d[1], OW = o->shape.d[2];
        graph_zero_grad(g);
        for (size_t j = 0; j < (size_t)N * o->size; j++)
            o->grad[j] = (float)(j + 1);
        graph_backward(g, N);
        float *dx = calloc((size_t)N * C * H * W, sizeof *dx);
        assert_non_null(dx);
        int wrong = 0;
        for (int i = 0; i < N * C; i++)
            for (int oh = 0; oh < OH; oh++)
                for (int ow = 0; ow < OW; ow++) {
                    const float *xc = x + (size_t)i * H * W;
                    int best = -1;
                    for (int h = oh * 2 - PAD; h < oh * 2 - PAD + K; h++)
                        for (int w = ow * 2 - PAD; w < ow * 2 - PAD + K; w++)
                            if (h >= 0 && h < H && w >= 0 && w < W && (best < 0 || xc[h * W + w] > xc[best]))
                                best = h * W + w;
                    size_t at = ((size_t)i * OH + oh) * OW + ow;
                    wrong += o->out[at] != xc[best];
                    dx[(size_t)i * H * W + best] += o->grad[at];
                }
        for (size_t j = 0; j < (size_t)N * C * H * W; j++)
            wrong += dx[j] != g->nodes[0].grad[j];
        if (wrong)
            fail_msg("maxpool %dx%d stride 2 pad %d: %d values differ from the scan", K, K, PAD, wrong);
        free(dx);
        graph_free(g);
    }
}

/* A batch larger than one scratch chunk gives the same result as sample by sample. */
static void test_batch_equals_single(void **state)
{
    tensor_shape in = {3, {2, 9, 9}};
    layer_spec s = gt_spec("conv2d", "c");
    s.filters = 3;
    s.kernel = win(1, 3, 0, 0);
    s.stride = win(1, 2, 0, 0);
    s.padding = PAD_SAME;
    enum { N = 5 };
    graph *g = build(&in, &s, 1, N);
    graph *one = build(&in, &s, 1, 1);
    dlc_rng rng;
    dlc_rng_seed(&rng, 3, 0);
    graph_init_params(g, &rng);
    memcpy(one->param_block, g->param_block, sizeof(float) * g->n_weights);
    float *x = graph_input(g, 0);
    size_t D = g->nodes[0].size, O = graph_output(g, 0)->size;
    for (size_t i = 0; i < N * D; i++)
        x[i] = (float)dlc_rng_normal(&rng);
    graph_forward(g, N, 0);
    for (int i = 0; i < N; i++) {
        memcpy(graph_input(one, 0), x + i * D, sizeof(float) * D);
        graph_forward(one, 1, 0);
        tu_assert_close("sample", graph_output(one, 0)->out, graph_output(g, 0)->out + i * O, O,
                        1e-5, 1e-5);
    }
    graph_free(g);
    graph_free(one);
}

/* conv with a fused (leaky) ReLU equals conv followed by an activation layer,
 * forward and backward, whether samples share a chunk or not. */
static void test_fused_relu(void **state)
{
    tensor_shape shapes[2] = {{3, {2, 5, 6}}, {3, {4, 48, 48}}};
    act_kind acts[2] = {ACT_RELU, ACT_LEAKY_RELU};
    /* conv2d by im2col and by Winograd, and batchnorm (which fuses it too) */
    const char *types[3] = {"conv2d", "conv2d", "batchnorm"};
    for (int ti = 0; ti < 3; ti++)
    for (int si = 0; si < 2; si++)
        for (int ai = 0; ai < 2; ai++) {
            enum { N = 3 };
            layer_spec f = gt_spec(types[ti], "c");
            f.filters = 3;
            f.kernel = win(1, 3, 0, 0);
            f.stride = win(1, 1, 0, 0);
            f.padding = PAD_SAME;
            f.algorithm = ti == 1 ? CONV_WINOGRAD_4X4 : CONV_AUTO;
            f.activation = acts[ai];
            f.alpha = 0.1f;
            layer_spec sep[2] = {f, gt_spec("activation", "a")};
            sep[0].activation = ACT_LINEAR;
            sep[1].activation = acts[ai];
            sep[1].alpha = 0.1f;
            graph *a = build(&shapes[si], &f, 1, N);
            graph *b = build(&shapes[si], sep, 2, N);
            assert_true(a->nodes[1].act_fused);
            dlc_rng rng;
            dlc_rng_seed(&rng, 11, 0);
            graph_init_params(a, &rng);
            for (size_t i = 0; i < a->n_weights; i++)
                a->param_block[i] += (float)(0.1 * dlc_rng_normal(&rng));
            memcpy(b->param_block, a->param_block, sizeof(float) * a->n_weights);
            size_t D = a->nodes[0].size, O = graph_output(a, 0)->size;
            for (size_t i = 0; i < N * D; i++)
                graph_input(a, 0)[i] = graph_input(b, 0)[i] = (float)dlc_rng_normal(&rng);
            graph_forward(a, N, 1);
            graph_forward(b, N, 1);
            tu_assert_close("fused forward", graph_output(a, 0)->out, graph_output(b, 0)->out, N * O,
                            1e-6, 1e-6);
            graph_zero_grad(a);
            graph_zero_grad(b);
            for (size_t i = 0; i < N * O; i++)
                graph_output(a, 0)->grad[i] = graph_output(b, 0)->grad[i] = (float)dlc_rng_normal(&rng);
            graph_backward(a, N);
            graph_backward(b, N);
            tu_assert_close("fused dW", a->grad_block, b->grad_block, a->n_grads, 1e-5, 1e-5);
            tu_assert_close("fused dx", a->nodes[0].grad, b->nodes[0].grad, N * D, 1e-5, 1e-5);
            graph_free(a);
            graph_free(b);
        }
}

/* One training step of the graph at one and at two threads (inputs, weights
 * and output gradients from the same seed): the outputs, parameter
 * gradients and input gradients must agree. */
/* One thread against two; and two with the workers held (tensor_pool_hold:
 * the calling thread runs every part, as when the workers get no core) give
 * the two threads' results bit for bit, as each part is the same work
 * whichever thread runs it. */
static void compare_threads(const tensor_shape *in, layer_spec *s, int n_layers)
{
    enum { N = 16 };
    float *out[3], *dw[3], *dx[3];
    size_t D = 0, O = 0, nw = 0;
    for (int t = 0; t < 3; t++) {
        tensor_set_threads(t ? 2 : 1);
        tensor_pool_hold(t == 2);
        graph *g = build(in, s, n_layers, N);
        dlc_rng rng;
        dlc_rng_seed(&rng, 5, 0);
        graph_init_params(g, &rng);
        D = g->nodes[0].size;
        O = graph_output(g, 0)->size;
        nw = g->n_grads;
        for (size_t i = 0; i < N * D; i++)
            graph_input(g, 0)[i] = (float)dlc_rng_normal(&rng);
        graph_forward(g, N, 1);
        graph_zero_grad(g);
        for (size_t i = 0; i < N * O; i++)
            graph_output(g, 0)->grad[i] = (float)dlc_rng_normal(&rng);
        graph_backward(g, N);
        out[t] = malloc(sizeof(float) * N * O);
        dw[t] = malloc(sizeof(float) * nw);
        dx[t] = malloc(sizeof(float) * N * D);
        memcpy(out[t], graph_output(g, 0)->out, sizeof(float) * N * O);
        memcpy(dw[t], g->grad_block, sizeof(float) * nw);
        memcpy(dx[t], g->nodes[0].grad, sizeof(float) * N * D);
        graph_free(g);
    }
    tensor_pool_hold(0);
    tensor_set_threads(1);
    tu_assert_close("2-thread forward", out[1], out[0], N * O, 1e-5, 1e-5);
    tu_assert_close("2-thread dW", dw[1], dw[0], nw, 1e-4, 1e-4);
    tu_assert_close("2-thread dx", dx[1], dx[0], N * D, 1e-5, 1e-5);
    assert_memory_equal(out[2], out[1], sizeof(float) * N * O);
    assert_memory_equal(dw[2], dw[1], sizeof(float) * nw);
    assert_memory_equal(dx[2], dx[1], sizeof(float) * N * D);
    for (int t = 0; t < 3; t++) {
        free(out[t]);
        free(dw[t]);
        free(dx[t]);
    }
}

/* Activations the graph applies after an op (here standalone activation
 * layers over 16 x 4 x 32 x 32 values, above the split threshold): split by
 * rows over two threads, the one-thread outputs and gradients, softmax's
 * rows (over the last axis, 32 values) kept whole. */
static void test_activations_two_threads(void **state)
{
    (void)state;
    tensor_shape in = {3, {4, 32, 32}};
    layer_spec s[3] = {gt_spec("activation", "t"), gt_spec("activation", "g"), gt_spec("activation", "s")};
    s[0].activation = ACT_TANH;
    s[1].activation = ACT_GELU;
    s[2].activation = ACT_SOFTMAX;
    compare_threads(&in, s, 3);
}

/* Two worker threads give the one-thread outputs and gradients: with small
 * maps (samples of a chunk split between the threads, products split by the
 * pool) and with large ones (one sample per chunk: whole samples per thread,
 * each with its own dW and db, added after).  The pooling layer between the
 * two (its maps split between the threads): 2x2 max, the unrolled path, or
 * a padded 3x3 window of stride 2. */
static void check_two_threads(const tensor_shape *input, int filters, int bias, const char *pool,
                              int k)
{
    tensor_shape in = *input;
    layer_spec s[3] = {gt_spec("conv2d", "c1"), gt_spec(pool, "p"), gt_spec("conv2d", "c2")};
    s[0].filters = filters;
    s[0].use_bias = bias;
    s[0].kernel = win(1, 3, 0, 0);
    s[0].stride = win(1, 1, 0, 0);
    s[0].padding = PAD_SAME;
    s[0].activation = ACT_RELU;
    s[1].kernel = win(1, k, 0, 0);
    s[1].stride = win(1, 2, 0, 0);
    if (k == 3) {
        s[1].padding = PAD_EXPLICIT;
        s[1].pad = win(1, 1, 0, 0);
    }
    s[2].filters = 5;
    s[2].kernel = win(1, 2, 0, 0);
    s[2].stride = win(1, 1, 0, 0);
    compare_threads(&in, s, 3);
}

/* Pooling windows that reach past the input (same padding on odd sizes, and
 * explicit padding) against a brute-force loop over each window: padded
 * positions never win a max and count as zeros in an average (or not at all
 * with count_include_pad false). */
static void test_pool_windows_past_the_edge(void **state)
{
    const struct {
        const char *type;
        int n, k, st, pad_kind, p, exclude; /* exclude: count_include_pad false */
    } cases[] = {
        {"maxpool", 7, 2, 2, PAD_SAME, 0, 0},     {"avgpool", 7, 2, 2, PAD_SAME, 0, 0},
        {"maxpool", 5, 3, 2, PAD_SAME, 0, 0},     {"maxpool", 6, 3, 2, PAD_EXPLICIT, 1, 0},
        {"avgpool", 6, 3, 2, PAD_EXPLICIT, 1, 0}, {"maxpool", 8, 2, 2, PAD_VALID, 0, 0},
        {"avgpool", 7, 2, 2, PAD_SAME, 0, 1},     {"avgpool", 6, 3, 2, PAD_EXPLICIT, 1, 1},
    };
    enum { N = 2, C = 3 };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const int n = cases[c].n, k = cases[c].k, st = cases[c].st;
        tensor_shape in = {3, {C, n, n}};
        layer_spec s = gt_spec(cases[c].type, "p");
        s.kernel = win(1, k, 0, 0);
        s.stride = win(1, st, 0, 0);
        s.padding = cases[c].pad_kind;
        s.pad = win(1, cases[c].p, 0, 0);
        s.count_include_pad = !cases[c].exclude;
        graph *g = build(&in, &s, 1, N);
        dlc_rng rng;
        dlc_rng_seed(&rng, 11, 0);
        float *x = graph_input(g, 0);
        for (int i = 0; i < N * C * n * n; i++)
            x[i] = (float)dlc_rng_normal(&rng) - 3.0f; /* all negative: a padded zero must not win */
        graph_forward(g, N, 0);
        const graph_node *o = graph_output(g, 0);
        const int on = o->shape.d[1];
        int lo = cases[c].p;
        if (cases[c].pad_kind == PAD_SAME) {
            int total = (on - 1) * st + k - n;
            lo = total > 0 ? total / 2 : 0;
        }
        for (int r = 0; r < N * C; r++)
            for (int oh = 0; oh < on; oh++)
                for (int ow = 0; ow < on; ow++) {
                    double m = -1e30, sum = 0;
                    int inside = 0;
                    for (int a = 0; a < k; a++)
                        for (int b = 0; b < k; b++) {
                            int ih = oh * st - lo + a, iw = ow * st - lo + b;
                            if (ih < 0 || ih >= n || iw < 0 || iw >= n)
                                continue;
                            double v = x[(size_t)r * n * n + (size_t)ih * n + iw];
                            m = v > m ? v : m;
                            sum += v;
                            inside++;
                        }
                    double want = strcmp(cases[c].type, "maxpool") == 0 ? m
                                  : sum / (cases[c].exclude ? inside : k * k);
                    tu_close(o->out[(size_t)r * on * on + (size_t)oh * on + ow], want, 1e-5);
                }
        graph_free(g);
    }
}

static void test_two_threads_equal_one(void **state)
{
    check_two_threads(&(tensor_shape){3, {3, 12, 12}}, 16, 1, "maxpool", 2); /* chunks of 10 samples */
    check_two_threads(&(tensor_shape){3, {4, 40, 40}}, 8, 1, "maxpool", 2);  /* one sample per chunk */
    check_two_threads(&(tensor_shape){3, {4, 40, 40}}, 8, 0, "maxpool", 2);
    check_two_threads(&(tensor_shape){3, {3, 12, 12}}, 16, 1, "maxpool", 3);
    check_two_threads(&(tensor_shape){3, {3, 12, 12}}, 16, 1, "avgpool", 2);
    check_two_threads(&(tensor_shape){3, {3, 12, 12}}, 16, 1, "avgpool", 3);
    check_two_threads(&(tensor_shape){3, {64, 10, 10}}, 64, 1, "maxpool", 2); /* auto: Winograd */
    /* a map of 25 positions with 2,732 rows of col a sample: too large for
     * two samples in a chunk, so one sample per chunk before conv.c's narrow-
     * map rule; now 16 samples a chunk, its products split by rows */
    check_two_threads(&(tensor_shape){3, {300, 5, 5}}, 32, 1, "maxpool", 2);
    /* a residual block on a large map: Winograd, batchnorm and a ReLU fused
     * in it, and an add of the input, each split over the threads */
    tensor_shape big = {3, {16, 40, 40}};
    layer_spec r[3] = {gt_spec("conv2d", "c"), gt_spec("batchnorm", "bn"), gt_spec("add", "res")};
    r[0].filters = 16;
    r[0].kernel = win(1, 3, 0, 0);
    r[0].padding = PAD_SAME;
    r[0].algorithm = CONV_WINOGRAD_4X4;
    r[1].activation = ACT_RELU;
    gt_inputs(&r[2], "bn", "input");
    compare_threads(&big, r, 3);
}

/* One training step of a one-conv graph on fixed inputs: copies of the
 * output, the input gradient and the parameter gradients (the caller frees). */
typedef struct {
    float *out, *dx, *dw;
    size_t no, nx, nw;
} step_result;

static step_result conv_step(graph *g, int N, int seed)
{
    dlc_rng rng;
    dlc_rng_seed(&rng, (uint64_t)seed, 0);
    step_result r;
    graph_node *o = graph_output(g, 0);
    r.no = (size_t)N * o->size;
    r.nx = (size_t)N * g->nodes[0].size;
    r.nw = g->n_grads;
    for (size_t i = 0; i < r.nx; i++)
        graph_input(g, 0)[i] = (float)dlc_rng_normal(&rng);
    graph_forward(g, N, 1);
    graph_zero_grad(g);
    for (size_t i = 0; i < r.no; i++)
        o->grad[i] = (float)dlc_rng_normal(&rng);
    graph_backward(g, N);
    r.out = malloc(sizeof(float) * r.no);
    r.dx = malloc(sizeof(float) * r.nx);
    r.dw = malloc(sizeof(float) * r.nw);
    assert_true(r.out && r.dx && r.dw);
    memcpy(r.out, o->out, sizeof(float) * r.no);
    memcpy(r.dx, g->nodes[0].grad, sizeof(float) * r.nx);
    memcpy(r.dw, g->grad_block, sizeof(float) * r.nw);
    return r;
}

static void step_free(step_result *r)
{
    free(r->out);
    free(r->dx);
    free(r->dw);
}

/* One simulated process for test_sync_batchnorm: its sum_hook keeps each
 * call's local sums and adds the other process's from the same call of its
 * last step (the processes take turns instead of waiting for each other). */
enum { SB_CALLS = 3, SB_MAX = 64 }; /* a step sums 3 times: forward 2, backward 1 */
typedef struct sb_rank {
    double mine[SB_CALLS][SB_MAX];
    const struct sb_rank *other;
    int call;
} sb_rank;

static void sb_sum(void *user, double *buf, int n)
{
    sb_rank *r = user;
    if (r->call >= SB_CALLS || n > SB_MAX)
        fail_msg("sum_hook: call %d of %d doubles", r->call, n);
    for (int i = 0; i < n; i++) {
        r->mine[r->call][i] = buf[i];
        buf[i] += r->other->mine[r->call][i];
    }
    r->call++;
}

/* One training step on rows [r0, r0 + n) of x and dy (per-sample sizes D, O). */
static void sb_step(graph *g, const float *x, const float *dy, int r0, int n, size_t D, size_t O)
{
    memcpy(graph_input(g, 0), x + (size_t)r0 * D, sizeof(float) * (size_t)n * D);
    graph_forward(g, n, 1);
    graph_zero_grad(g);
    memcpy(graph_output(g, 0)->grad, dy + (size_t)r0 * O, sizeof(float) * (size_t)n * O);
    graph_backward(g, n);
}

/* Batchnorm with synchronized statistics (graph.h: sync_bn; the phases of
 * norm.c around each sum over the processes), each process on two threads:
 * two processes holding 3 and 2 rows of a batch give one process's outputs
 * and input gradients over all 5 rows, and their parameter gradients add
 * up to its.  The processes take turns, each hook adding the other's sums
 * from its previous step: the first exchange (the batch mean) is exact at
 * once and each later one a turn after the one before, so three rounds make
 * every sum exact.  The running statistics are the whole batch's too. */
static void test_sync_batchnorm(void **state)
{
    enum { C = 6, NA = 3, NB = 2, N = NA + NB };
    tensor_shape in = {3, {C, 7, 5}};
    layer_spec s = gt_spec("batchnorm", "bn");
    s.activation = ACT_RELU;
    const size_t D = (size_t)C * 35, O = D;
    float *x = malloc(sizeof(float) * N * D), *dy = malloc(sizeof(float) * N * O);
    assert_true(x && dy);
    dlc_rng rng;
    dlc_rng_seed(&rng, 9, 0);
    for (size_t i = 0; i < N * D; i++) {
        x[i] = 1.5f + (float)dlc_rng_normal(&rng); /* a mean away from 0 */
        dy[i] = (float)dlc_rng_normal(&rng);
    }
    graph *g[3];
    sb_rank rk[2] = {0};
    rk[0].other = &rk[1];
    rk[1].other = &rk[0];
    for (int p = 0; p < 3; p++) {
        g[p] = build(&in, &s, 1, N);
        for (int c = 0; c < C; c++) {
            g[p]->params[0].data[c] = 0.5f + 0.25f * (float)c; /* gamma */
            g[p]->params[1].data[c] = 0.1f * (float)(c - 3);   /* beta */
        }
        tensor_fill(g[p]->params[3].data, 1.0f, C); /* running var */
    }
    tensor_set_threads(1);
    sb_step(g[2], x, dy, 0, N, D, O); /* one process, every row */
    tensor_set_threads(2);
    for (int p = 0; p < 2; p++) {
        g[p]->sync_bn = 1;
        g[p]->sum_hook = sb_sum;
        g[p]->hook_user = &rk[p];
    }
    for (int round = 0; round < 3; round++)
        for (int p = 0; p < 2; p++) {
            if (round == 2) { /* the running statistics of the last step only */
                tensor_fill(g[p]->params[2].data, 0.0f, C);
                tensor_fill(g[p]->params[3].data, 1.0f, C);
            }
            rk[p].call = 0;
            sb_step(g[p], x, dy, p ? NA : 0, p ? NB : NA, D, O);
        }
    tensor_set_threads(1);
    for (int p = 0; p < 2; p++) {
        size_t r0 = p ? NA : 0, n = p ? NB : NA;
        tu_assert_close("synced running mean", g[p]->params[2].data, g[2]->params[2].data, C, 1e-6, 1e-5);
        tu_assert_close("synced running var", g[p]->params[3].data, g[2]->params[3].data, C, 1e-6, 1e-5);
        tu_assert_close("synced batchnorm out", graph_output(g[p], 0)->out,
                        graph_output(g[2], 0)->out + r0 * O, n * O, 1e-5, 1e-5);
        tu_assert_close("synced batchnorm dx", g[p]->nodes[0].grad, g[2]->nodes[0].grad + r0 * D,
                        n * D, 1e-5, 1e-5);
    }
    for (int k = 0; k < 2; k++) { /* gamma, beta */
        float dw[C];
        for (int c = 0; c < C; c++)
            dw[c] = g[0]->params[k].grad[c] + g[1]->params[k].grad[c];
        tu_assert_close("synced batchnorm dgamma, dbeta", dw, g[2]->params[k].grad, C, 1e-4, 1e-5);
    }
    for (int p = 0; p < 3; p++)
        graph_free(g[p]);
    free(x);
    free(dy);
}

/* Each algorithm (and the pointwise path) gives the same result on a second
 * step as on the first (gradients it overwrites instead of adding to are
 * not left over from the step before), and the Winograd ones give im2col's
 * outputs and gradients through the graph, fused ReLU included. */
static void test_algorithms_agree(void **state)
{
    const struct {
        int C, HW, F, k;
    } cases[] = {{8, 9, 6, 3}, {64, 9, 64, 3}, {16, 48, 16, 1}};
    enum { N = 3 };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        tensor_shape in = {3, {cases[c].C, cases[c].HW, cases[c].HW}};
        step_result ref = {0};
        for (int a = CONV_AUTO; a < CONV_ALGO_COUNT; a++) {
            if (cases[c].k != 3 && a >= CONV_WINOGRAD_2X2)
                break;
            layer_spec s = gt_spec("conv2d", "c");
            s.filters = cases[c].F;
            s.kernel = win(1, cases[c].k, 0, 0);
            s.padding = PAD_SAME;
            s.activation = ACT_RELU;
            s.algorithm = a;
            graph *g = build(&in, &s, 1, N);
            dlc_rng rng;
            dlc_rng_seed(&rng, 2, 0);
            graph_init_params(g, &rng);
            step_result r1 = conv_step(g, N, 9), r2 = conv_step(g, N, 9);
            char what[96];
            snprintf(what, sizeof what, "case %zu %s: second step dx", c, graph_conv_algo_names[a]);
            tu_assert_close(what, r2.dx, r1.dx, r1.nx, 0, 0);
            snprintf(what, sizeof what, "case %zu %s: second step dW", c, graph_conv_algo_names[a]);
            tu_assert_close(what, r2.dw, r1.dw, r1.nw, 0, 0);
            step_free(&r2);
            if (a == CONV_IM2COL) {
                ref = r1;
            } else {
                if (a > CONV_IM2COL) {
                    snprintf(what, sizeof what, "case %zu %s against im2col: y", c, graph_conv_algo_names[a]);
                    tu_assert_close(what, r1.out, ref.out, r1.no, 1e-4, 1e-4);
                    snprintf(what, sizeof what, "case %zu %s against im2col: dx", c, graph_conv_algo_names[a]);
                    tu_assert_close(what, r1.dx, ref.dx, r1.nx, 1e-4, 1e-4);
                    snprintf(what, sizeof what, "case %zu %s against im2col: dW", c, graph_conv_algo_names[a]);
                    tu_assert_close(what, r1.dw, ref.dw, r1.nw, 1e-3, 1e-4);
                }
                step_free(&r1);
            }
            graph_free(g);
        }
        step_free(&ref);
    }
}

/* tensor_gemm with one row (predict's batch of one) takes a matrix-vector
 * path: the same products as the general one, for every transposition. */
static void test_gemm_one_row(void **state)
{
    enum { N = 5, K = 7 };
    float a[K], b[K * N], c[N], want[N];
    for (int i = 0; i < K; i++)
        a[i] = (float)(i + 1) * 0.5f;
    for (int i = 0; i < K * N; i++)
        b[i] = (float)((i * 7) % 11) - 5.0f;
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++) {
            for (int j = 0; j < N; j++) {
                double s = 0;
                for (int k = 0; k < K; k++)
                    s += (double)a[k] * (tb ? b[j * K + k] : b[k * N + j]);
                want[j] = (float)(2.0 * s + 0.5 * (j + 1));
                c[j] = (float)(j + 1);
            }
            tensor_gemm(ta, tb, 1, N, K, 2.0f, a, b, 0.5f, c);
            tu_assert_close("one-row gemm", c, want, N, 1e-4, 1e-5);
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_example),
        cmocka_unit_test(test_output_size),
        cmocka_unit_test(test_shape_errors),
        cmocka_unit_test(test_pytorch_reference),
        cmocka_unit_test(test_pytorch_reference_groups),
        cmocka_unit_test(test_depthwise_direct),
        cmocka_unit_test(test_pytorch_reference_ceil),
        cmocka_unit_test(test_pytorch_reference_dilation),
        cmocka_unit_test(test_dilated_wide_conv),
        cmocka_unit_test(test_stride2_wide),
        cmocka_unit_test(test_maxpool_stride2_wide),
        cmocka_unit_test(test_batch_equals_single),
        cmocka_unit_test(test_fused_relu),
        cmocka_unit_test(test_gemm_one_row),
        cmocka_unit_test(test_two_threads_equal_one),
        cmocka_unit_test(test_activations_two_threads),
        cmocka_unit_test(test_algorithms_agree),
        cmocka_unit_test(test_sync_batchnorm),
        cmocka_unit_test(test_pool_windows_past_the_edge),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
