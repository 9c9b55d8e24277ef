/* test_layers.c - slice, split, subtract, multiply, abs, square, l2normalize,
 * gram, layernorm and chi_square against values PyTorch 1.13 computed
 * (tests/data/make_reference_layers.py, make_reference_metric.py): outputs, and the gradients with
 * respect to inputs and parameters.  Graphs are built for more examples than
 * they run, so a batch smaller than the capacity is what is checked.  Also:
 * the shape checks that refuse bad inputs at build, and that inputs needing
 * no gradient get none. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/config/config.h"
#include "graphtest.h"
#include "testutil.h"

#define SPARE 3 /* graph capacity beyond the batch the reference holds */

static const float *ref_get(const tu_ref *r, const char *name, const char *key, size_t *n)
{
    char full[64];
    snprintf(full, sizeof full, "%s.%s", name, key);
    return tu_ref_get(r, full, n);
}

/* Runs the op `op` on the reference case `name`: n_in inputs of per-sample
 * shape `shape`.  One input is the model input itself; several are stacked
 * per example in the model input (n_in, S) and cut apart by slice and
 * reshape layers, so dx of the model input holds every input's gradient.
 * The op's parameters come from p0, p1, ...; compares y, dx*, dp*. */
static void check_ref(const tu_ref *r, const char *name, int n_in, tensor_shape shape, layer_spec op,
                      double tol)
{
    size_t S = tensor_shape_size(&shape), total;
    ref_get(r, name, "x0", &total);
    int N = (int)(total / S);
    layer_spec specs[2 * GRAPH_MAX_INPUTS + 1];
    int n = 0;
    tensor_shape in = shape;
    if (n_in > 1) {
        in = (tensor_shape){2, {n_in, (int)S}};
        op.n_inputs = n_in;
        for (int k = 0; k < n_in; k++) {
            char cut[16], as[16];
            snprintf(cut, sizeof cut, "cut%d", k);
            snprintf(as, sizeof as, "x%d", k);
            specs[n] = gt_spec("slice", cut);
            gt_inputs(&specs[n], "input", NULL);
            specs[n].start = k;
            specs[n++].end = k + 1;
            specs[n] = gt_spec("reshape", as);
            specs[n].target_ndim = shape.ndim;
            memcpy(specs[n++].target, shape.d, sizeof shape.d);
            strcpy(op.inputs[k], as);
        }
    }
    specs[n++] = op;
    graph *g = gt_build(&in, specs, n, N + SPARE);
    graph_set_input_grad(g, 1, NULL);
    dlc_rng rng;
    dlc_rng_seed(&rng, 1, 1);
    graph_init_params(g, &rng);
    graph_node *o = graph_output(g, 0);
    char key[16], what[64];
    for (int p = 0; p < o->n_params; p++) {
        snprintf(key, sizeof key, "p%d", p);
        graph_param *gp = graph_p(g, o, p);
        size_t len;
        const float *v = ref_get(r, name, key, &len);
        assert_int_equal(len, gp->n);
        memcpy(gp->data, v, sizeof(float) * len);
    }
    float *x = graph_input(g, 0);
    for (int k = 0; k < n_in; k++) {
        snprintf(key, sizeof key, "x%d", k);
        const float *xk = ref_get(r, name, key, NULL);
        for (int i = 0; i < N; i++)
            memcpy(x + ((size_t)i * n_in + k) * S, xk + (size_t)i * S, sizeof(float) * S);
    }
    graph_forward(g, N, 1);
    size_t ny;
    const float *y = ref_get(r, name, "y", &ny);
    assert_int_equal(ny, (size_t)N * o->size);
    snprintf(what, sizeof what, "%s y", name);
    tu_assert_close(what, o->out, y, ny, tol, tol);
    graph_zero_grad(g);
    memcpy(o->grad, ref_get(r, name, "dy", NULL), sizeof(float) * ny);
    graph_backward(g, N);
    float *dx = malloc(sizeof(float) * (size_t)N * S);
    assert_non_null(dx);
    for (int k = 0; k < n_in; k++) {
        for (int i = 0; i < N; i++)
            memcpy(dx + (size_t)i * S, g->nodes[0].grad + ((size_t)i * n_in + k) * S, sizeof(float) * S);
        snprintf(key, sizeof key, "dx%d", k);
        snprintf(what, sizeof what, "%s %s", name, key);
        tu_assert_close(what, dx, ref_get(r, name, key, NULL), (size_t)N * S, tol, tol);
    }
    for (int p = 0; p < o->n_params; p++) {
        snprintf(key, sizeof key, "dp%d", p);
        snprintf(what, sizeof what, "%s %s", name, key);
        graph_param *gp = graph_p(g, o, p);
        tu_assert_close(what, gp->grad, ref_get(r, name, key, NULL), gp->n, tol, tol);
    }
    free(dx);
    graph_free(g);
}

static void test_slice(void **state)
{
    tu_ref *r = tu_ref_load("layers_cut");
    layer_spec s = gt_spec("slice", "s");
    s.axis = 1;
    s.start = -4;
    s.end = -1;
    check_ref(r, "slice", 1, (tensor_shape){3, {4, 5, 2}}, s, 1e-6);
    tu_ref_free(r);
}

/* A split as the config makes it (sizes [2, -1, 3]: pieces [0:2], [2:-3],
 * [-3:]), every piece compared with torch.split's, and the gradient of all
 * three flowing back into one input.  The pieces are the graph's outputs:
 * other nodes' buffers are not kept between passes (the memory plan). */
static void test_split(void **state)
{
    tu_ref *r = tu_ref_load("layers_cut");
    size_t total;
    const float *x = ref_get(r, "split", "x0", &total);
    int N = (int)(total / 9);
    tensor_shape in = {1, {9}};
    layer_spec s[4] = {gt_spec("split", "parts"), gt_spec("slice", "parts_0"), gt_spec("slice", "parts_1"),
                       gt_spec("slice", "parts_2")};
    s[0].n_sizes = 3;
    s[0].sizes[0] = 2;
    s[0].sizes[1] = -1;
    s[0].sizes[2] = 3;
    const int range[3][2] = {{0, 2}, {2, -3}, {-3, GRAPH_SLICE_END}};
    for (int k = 0; k < 3; k++) {
        gt_inputs(&s[1 + k], "parts", NULL);
        s[1 + k].start = range[k][0];
        s[1 + k].end = range[k][1];
    }
    graph *g = NULL;
    dlc_error err = {0};
    const char *outs[3] = {"parts_0", "parts_1", "parts_2"};
    assert_int_equal(graph_build(&g, &in, s, 4, outs, 3, N + SPARE, &err), DLC_OK);
    graph_set_input_grad(g, 1, NULL);
    memcpy(graph_input(g, 0), x, sizeof(float) * total);
    graph_forward(g, N, 1);
    graph_zero_grad(g);
    for (int k = 0; k < 3; k++) {
        char key[24], what[48];
        graph_node *p = &g->nodes[graph_find(g, s[1 + k].name)];
        size_t n;
        snprintf(key, sizeof key, "y%d", k);
        const float *y = ref_get(r, "split", key, &n);
        assert_int_equal(n, (size_t)N * p->size);
        snprintf(what, sizeof what, "split %s", key);
        tu_assert_close(what, p->out, y, n, 0, 0);
        snprintf(key, sizeof key, "dy%d", k);
        memcpy(p->grad, ref_get(r, "split", key, NULL), sizeof(float) * n);
    }
    graph_backward(g, N);
    tu_assert_close("split dx", g->nodes[0].grad, ref_get(r, "split", "dx0", NULL), total, 0, 0);
    graph_free(g);
    tu_ref_free(r);
}

static void test_elementwise(void **state)
{
    tu_ref *r = tu_ref_load("layers_elementwise");
    check_ref(r, "subtract", 2, (tensor_shape){2, {2, 3}}, gt_spec("subtract", "op"), 1e-6);
    check_ref(r, "multiply", 3, (tensor_shape){1, {5}}, gt_spec("multiply", "op"), 1e-6);
    check_ref(r, "abs", 1, (tensor_shape){1, {6}}, gt_spec("abs", "op"), 1e-6);
    check_ref(r, "square", 1, (tensor_shape){1, {6}}, gt_spec("square", "op"), 1e-6);
    tu_ref_free(r);
    r = tu_ref_load("metric"); /* tests/data/make_reference_metric.py */
    check_ref(r, "chi_square", 2, (tensor_shape){1, {4}}, gt_spec("chi_square", "op"), 1e-5);
    tu_ref_free(r);
}

static void test_l2normalize_gram(void **state)
{
    tu_ref *r = tu_ref_load("layers_norm");
    check_ref(r, "l2normalize", 1, (tensor_shape){3, {2, 3, 2}}, gt_spec("l2normalize", "op"), 1e-5);
    check_ref(r, "gram", 1, (tensor_shape){3, {3, 4, 5}}, gt_spec("gram", "op"), 1e-5);
    tu_ref_free(r);
}

/* PyTorch's nn.Upsample(mode='nearest'), factors differing by axis */
static void test_upsample(void **state)
{
    tu_ref *r = tu_ref_load("layers_upsample");
    layer_spec s = gt_spec("upsample", "op");
    s.scale = (layer_window){1, {3}};
    check_ref(r, "upsample_1d", 1, (tensor_shape){2, {2, 5}}, s, 0);
    s.scale = (layer_window){2, {2, 3}};
    check_ref(r, "upsample_2d", 1, (tensor_shape){3, {3, 3, 4}}, s, 0);
    s.scale = (layer_window){3, {2, 1, 3}};
    check_ref(r, "upsample_3d", 1, (tensor_shape){4, {2, 2, 3, 2}}, s, 0);
    tu_ref_free(r);
}

/* PyTorch's F.interpolate linear, bilinear and trilinear, align_corners False and True */
static void test_bilinear(void **state)
{
    tu_ref *r = tu_ref_load("layers_bilinear");
    layer_spec s = gt_spec("upsample", "op");
    s.interp = UPSAMPLE_BILINEAR;
    s.scale = (layer_window){2, {2, 3}};
    check_ref(r, "bilinear_2d", 1, (tensor_shape){3, {3, 3, 5}}, s, 1e-5);
    s.align_corners = 1;
    check_ref(r, "bilinear_2d_align", 1, (tensor_shape){3, {3, 3, 5}}, s, 1e-5);
    s.scale = (layer_window){1, {4}};
    check_ref(r, "bilinear_2d_x4_align", 1, (tensor_shape){3, {2, 4, 4}}, s, 1e-5);
    s.align_corners = 0;
    s.scale = (layer_window){1, {3}};
    check_ref(r, "linear_1d", 1, (tensor_shape){2, {2, 5}}, s, 1e-5);
    s.scale = (layer_window){3, {2, 1, 3}};
    check_ref(r, "trilinear_3d", 1, (tensor_shape){4, {2, 2, 3, 2}}, s, 1e-5);
    tu_ref_free(r);
}

/* PyTorch's nn.PixelShuffle and nn.PixelUnshuffle (crd), TensorFlow's
 * depth_to_space and space_to_depth (dcr) */
static void test_pixel_shuffle(void **state)
{
    tu_ref *r = tu_ref_load("layers_pixel_shuffle");
    layer_spec s = gt_spec("pixel_shuffle", "op");
    s.scale = (layer_window){1, {3}};
    check_ref(r, "shuffle_crd", 1, (tensor_shape){3, {18, 2, 3}}, s, 0);
    s.order = SHUFFLE_DCR;
    check_ref(r, "shuffle_dcr", 1, (tensor_shape){3, {18, 2, 3}}, s, 0);
    s = gt_spec("pixel_unshuffle", "op");
    s.scale = (layer_window){1, {2}};
    check_ref(r, "unshuffle_crd", 1, (tensor_shape){3, {3, 4, 6}}, s, 0);
    s.order = SHUFFLE_DCR;
    check_ref(r, "unshuffle_dcr", 1, (tensor_shape){3, {3, 4, 6}}, s, 0);
    tu_ref_free(r);
}

/* PyTorch's F.conv_transpose1d/2d: odd sizes, strides 2 and 3, padding 1,
 * output_padding 1, groups, dilation, and Keras' `same` */
static void test_conv_transpose(void **state)
{
    tu_ref *r = tu_ref_load("layers_conv_transpose");
    layer_spec s = gt_spec("conv_transpose", "op");
    s.filters = 3;
    s.kernel = (layer_window){1, {3}};
    s.stride = (layer_window){1, {2}};
    s.padding = PAD_EXPLICIT;
    s.pad = (layer_window){1, {1}};
    s.output_padding = (layer_window){1, {1}};
    check_ref(r, "ct_k3_s2_p1_op1", 1, (tensor_shape){3, {4, 5, 7}}, s, 2e-5);
    s.filters = 6;
    s.groups = 2;
    s.kernel = (layer_window){1, {4}};
    s.stride = (layer_window){1, {3}};
    check_ref(r, "ct_k4_s3_p1_op1_g2", 1, (tensor_shape){3, {4, 5, 6}}, s, 2e-5);
    s.filters = 2;
    s.groups = 1;
    s.use_bias = 0;
    s.kernel = (layer_window){2, {3, 4}};
    s.stride = (layer_window){2, {2, 3}};
    s.pad = (layer_window){2, {1, 0}};
    s.output_padding = (layer_window){2, {1, 2}};
    s.dilation = (layer_window){1, {2}};
    check_ref(r, "ct_k34_s23_d2_nobias", 1, (tensor_shape){3, {3, 4, 5}}, s, 2e-5);
    s = gt_spec("conv_transpose", "op");
    s.filters = 3;
    s.kernel = (layer_window){1, {4}};
    s.stride = (layer_window){1, {2}};
    s.padding = PAD_EXPLICIT;
    s.pad = (layer_window){1, {1}};
    check_ref(r, "ct_1d_k4_s2_p1", 1, (tensor_shape){2, {2, 7}}, s, 2e-5);
    s.kernel = (layer_window){1, {3}};
    s.padding = PAD_SAME;
    s.pad = (layer_window){0, {0}};
    check_ref(r, "ct_same_k3_s2", 1, (tensor_shape){3, {2, 5, 4}}, s, 2e-5);
    tu_ref_free(r);
}

/* torchvision ShuffleNetV2's view / transpose / reshape */
static void test_channel_shuffle(void **state)
{
    tu_ref *r = tu_ref_load("layers_shuffle");
    layer_spec s = gt_spec("channel_shuffle", "op");
    s.groups = 3;
    check_ref(r, "channel_shuffle_map", 1, (tensor_shape){3, {6, 2, 3}}, s, 0);
    s.groups = 2;
    check_ref(r, "channel_shuffle_vec", 1, (tensor_shape){1, {6}}, s, 0);
    tu_ref_free(r);
}

static void test_layernorm(void **state)
{
    tu_ref *r = tu_ref_load("layers_norm");
    layer_spec s = gt_spec("layernorm", "ln");
    check_ref(r, "layernorm_d", 1, (tensor_shape){1, {6}}, s, 1e-5);
    check_ref(r, "layernorm_chw", 1, (tensor_shape){3, {3, 4, 2}}, s, 1e-5); /* auto: the whole map */
    s.axes = 1;
    check_ref(r, "layernorm_td", 1, (tensor_shape){2, {4, 5}}, s, 1e-5);
    s.axes = 2;
    check_ref(r, "layernorm_hw", 1, (tensor_shape){3, {3, 4, 2}}, s, 1e-5);
    s.axes = 0;
    s.channels = 1; /* each position over its 5 channels, 70 positions */
    check_ref(r, "layernorm_channels", 1, (tensor_shape){3, {5, 7, 10}}, s, 1e-5);
    s.channels = 0;
    /* training and evaluation compute the same (no running statistics) */
    s.axes = 0;
    graph *g = gt_build(&(tensor_shape){1, {6}}, &s, 1, 4);
    for (int i = 0; i < 24; i++)
        graph_input(g, 0)[i] = (float)sin(i * 0.7) * 3;
    float train[24];
    graph_forward(g, 4, 1);
    memcpy(train, graph_output(g, 0)->out, sizeof train);
    graph_forward(g, 4, 0);
    tu_assert_close("layernorm eval", graph_output(g, 0)->out, train, 24, 0, 0);
    graph_free(g);
    tu_ref_free(r);
}

/* Batchnorm over maps of more than one block of its sums (BN_BLOCK = 512
 * values; a 24x24 map has 576) against the formulas in double: y, dx,
 * dgamma and dbeta.  (tests/mutation/sample.py found that every batchnorm
 * test had maps of fewer than 512 values: a block's end computed past the
 * map went unnoticed.) */
static void test_batchnorm_large_maps(void **state)
{
    enum { N = 3, C = 2, H = 24, S = H * H };
    layer_spec s = gt_spec("batchnorm", "bn");
    graph *g = gt_build(&(tensor_shape){3, {C, H, H}}, &s, 1, N);
    graph_set_input_grad(g, 1, NULL);
    const float gamma[C] = {1.5f, -0.5f}, beta[C] = {0.25f, 2.0f};
    gt_set_param(g, "bn.gamma", gamma, C);
    gt_set_param(g, "bn.beta", beta, C);
    float *x = graph_input(g, 0);
    for (int i = 0; i < N * C * S; i++)
        x[i] = (float)(sin(i * 0.37) * 2 + cos(i * 0.011) + (i / S) % C);
    graph_forward(g, N, 1);
    graph_node *o = graph_output(g, 0);
    float *y = malloc(sizeof(float) * N * C * S), *dy = malloc(sizeof(float) * N * C * S);
    assert_non_null(y);
    assert_non_null(dy);
    memcpy(y, o->out, sizeof(float) * N * C * S);
    graph_zero_grad(g);
    for (int i = 0; i < N * C * S; i++)
        o->grad[i] = dy[i] = (float)cos(i * 0.23);
    graph_backward(g, N);
    const float *dx = g->nodes[0].grad, *dgamma = gt_param_grad(g, "bn.gamma"), *dbeta = gt_param_grad(g, "bn.beta");
    for (int c = 0; c < C; c++) {
        double mean = 0, var = 0, sdy = 0, sdyxh = 0;
        for (int i = 0; i < N; i++)
            for (int k = 0; k < S; k++)
                mean += x[(i * C + c) * S + k];
        mean /= N * S;
        for (int i = 0; i < N; i++)
            for (int k = 0; k < S; k++)
                var += pow(x[(i * C + c) * S + k] - mean, 2);
        var /= N * S; /* the biased variance, as training normalizes by */
        const double is = 1.0 / sqrt(var + 1e-5);
        for (int i = 0; i < N; i++)
            for (int k = 0; k < S; k++) {
                int at = (i * C + c) * S + k;
                double xh = (x[at] - mean) * is;
                tu_close(y[at], gamma[c] * xh + beta[c], 1e-4);
                sdy += dy[at];
                sdyxh += dy[at] * xh;
            }
        tu_close(dbeta[c], sdy, 1e-3);
        tu_close(dgamma[c], sdyxh, 1e-3);
        /* dx = gamma / sigma (dy - mean(dy) - xhat mean(dy xhat)) */
        for (int i = 0; i < N; i++)
            for (int k = 0; k < S; k++) {
                int at = (i * C + c) * S + k;
                double xh = (x[at] - mean) * is;
                tu_close(dx[at], gamma[c] * is * (dy[at] - sdy / (N * S) - xh * sdyxh / (N * S)), 1e-4);
            }
    }
    free(y);
    free(dy);
    graph_free(g);
}

/* An embedding of one unit per token (a scalar per word) builds and looks
 * its values up (sample.py found its lower bound on units untested). */
static void test_embedding_one_unit(void **state)
{
    layer_spec s = gt_spec("embedding", "e");
    s.vocab = 5;
    s.units = 1;
    graph *g = gt_build(&(tensor_shape){1, {4}}, &s, 1, 2);
    graph_node *o = graph_output(g, 0);
    assert_int_equal(o->size, 4);
    const float table[5] = {0.5f, -1, 2, 3, 4};
    gt_set_param(g, "e.weight", table, 5);
    const float ids[8] = {1, 2, 3, 4, 4, 3, 2, 1};
    memcpy(graph_input(g, 0), ids, sizeof ids);
    graph_forward(g, 2, 0);
    for (int i = 0; i < 8; i++)
        tu_close(o->out[i], table[(int)ids[i]], 0);
    graph_free(g);
}

/* ---- shape checks at build ---- */

static void expect_build_error(const tensor_shape *in, layer_spec *s, int n, const char *want1,
                               const char *want2)
{
    graph *g = NULL;
    dlc_error err = {0};
    strcpy(s[n - 1].where, "m.yaml:7");
    assert_int_equal(graph_build(&g, in, s, n, NULL, 0, 2, &err), DLC_EINPUT);
    assert_null(g);
    if (!strstr(err.msg, "m.yaml:7") || !strstr(err.msg, want1) || (want2 && !strstr(err.msg, want2))) {
        print_error("message: %s\nwanted: %s / %s\n", err.msg, want1, want2 ? want2 : "");
        fail();
    }
}

static void test_shape_errors(void **state)
{
    tensor_shape vec = {1, {6}}, img = {3, {2, 4, 4}};
    layer_spec s[3];
    /* slice ranges: out of the axis, empty, a missing axis */
    s[0] = gt_spec("slice", "cut");
    s[0].start = 6;
    s[0].end = GRAPH_SLICE_END;
    expect_build_error(&vec, s, 1, "layer 'cut' (slice)", "start 6 is outside axis 0 of length 6");
    s[0].start = -7;
    expect_build_error(&vec, s, 1, "start -7", "valid: -6 to 5");
    s[0].start = 0;
    s[0].end = 7;
    expect_build_error(&vec, s, 1, "end 7 is outside", NULL);
    s[0].start = 4;
    s[0].end = -2;
    expect_build_error(&vec, s, 1, "leave nothing", NULL);
    s[0].end = 5;
    s[0].axis = 1;
    expect_build_error(&vec, s, 1, "axis 1 is outside the 1 axes", NULL);
    /* no slicing of a sequence's time axis */
    s[0] = gt_spec("embedding", "emb");
    s[0].units = 3;
    s[0].vocab = 5;
    s[1] = gt_spec("slice", "cut");
    s[1].end = 2;
    expect_build_error(&vec, s, 2, "axis 0 of 'emb' is time", NULL);
    /* split sizes that do not add up */
    s[0] = gt_spec("split", "parts");
    s[0].n_sizes = 2;
    s[0].sizes[0] = 2;
    s[0].sizes[1] = 3;
    expect_build_error(&vec, s, 1, "layer 'parts' (split)", "sizes add up to 5, but axis 0 of 'input' has length 6");
    s[0].sizes[1] = -1;
    s[0].sizes[0] = 6;
    expect_build_error(&vec, s, 1, "leaving nothing for the -1 piece", NULL);
    /* a channel shuffle whose groups do not divide the channels, or of a sequence */
    s[0] = gt_spec("channel_shuffle", "mix");
    s[0].groups = 4;
    expect_build_error(&img, s, 1, "layer 'mix' (channel_shuffle)", "groups 4 does not divide the 2 channels");
    s[0] = gt_spec("embedding", "emb");
    s[0].units = 4;
    s[0].vocab = 5;
    s[1] = gt_spec("channel_shuffle", "mix");
    s[1].groups = 2;
    expect_build_error(&vec, s, 2, "its input 'emb' is a sequence", NULL);
    /* subtract and multiply of different shapes */
    s[0] = gt_spec("dense", "a");
    s[0].units = 4;
    s[1] = gt_spec("subtract", "diff");
    gt_inputs(&s[1], "a", "input");
    expect_build_error(&vec, s, 2, "layer 'diff' (subtract)", "'a' is (4), 'input' is (6)");
    s[1] = gt_spec("multiply", "prod");
    gt_inputs(&s[1], "input", "a");
    expect_build_error(&vec, s, 2, "layer 'prod' (multiply)", "'input' is (6), 'a' is (4)");
    /* gram needs (C, H, W) */
    s[0] = gt_spec("gram", "style");
    expect_build_error(&vec, s, 1, "layer 'style' (gram)", "got (6)");
    /* layernorm over more axes than there are, or over time */
    s[0] = gt_spec("layernorm", "ln");
    s[0].axes = 4;
    expect_build_error(&img, s, 1, "layer 'ln' (layernorm)", "axes 4");
    s[0].axes = 1; /* over channels: not with axes, nor of a sequence */
    s[0].channels = 1;
    expect_build_error(&img, s, 1, "channels: true normalizes each position", "leave axes out");
    s[0] = gt_spec("embedding", "emb");
    s[0].units = 3;
    s[0].vocab = 5;
    s[1] = gt_spec("layernorm", "ln");
    s[1].axes = 2;
    expect_build_error(&vec, s, 2, "axes 2", "normalized per step");
    s[1].axes = 0;
    s[1].channels = 1;
    expect_build_error(&vec, s, 2, "channels: true", "its input is a sequence");
    /* l2normalize of a sequence */
    s[1] = gt_spec("l2normalize", "unit");
    expect_build_error(&vec, s, 2, "layer 'unit' (l2normalize)", "pool it over time first");
    /* a gate of a sequence (T, D) would scale its steps: refused; a gate must be (C) or (C, 1...) */
    layer_spec q[4] = {s[0], gt_spec("flatten", "f"), gt_spec("dense", "g"), gt_spec("multiply", "gated")};
    q[2].units = 6;
    gt_inputs(&q[3], "emb", "g");
    expect_build_error(&vec, q, 4, "layer 'gated' (multiply)", "'emb' (6, 3) is a sequence, whose first axis is time");
    s[0] = gt_spec("global_avgpool", "pool");
    s[1] = gt_spec("reshape", "c211");
    s[1].target_ndim = 3;
    s[1].target[0] = 2;
    s[1].target[1] = s[1].target[2] = 1;
    s[2] = gt_spec("multiply", "ok");
    gt_inputs(&s[2], "c211", "input");
    strcpy(s[2].inputs[s[2].n_inputs++], "pool");
    graph *g = gt_build(&img, s, 3, 1);
    assert_int_equal(g->nodes[graph_find(g, "ok")].shape.ndim, 3);
    graph_free(g);
    s[1].target[0] = 1;
    s[1].target[1] = 2;
    expect_build_error(&img, s, 3, "layer 'ok' (multiply)",
                       "one value per channel of the others ((C) or (C, 1, ...), a gate): 'input' is (2, 4, 4), "
                       "'c211' is (1, 2, 1)");
}

/* Layers written for (channels, spatial...) on a sequence (T, D): the
 * pools that would take its steps for channels are refused with the time
 * pools named; batchnorm and a concat of features stay sequences, so the
 * time pool after them averages the valid steps only; a concat along time
 * is not one. */
static void test_sequence_layers(void **state)
{
    tensor_shape ids = {1, {3}};
    layer_spec s[4];
    s[0] = gt_spec("embedding", "emb");
    s[0].units = 2;
    s[0].vocab = 5;
    s[1] = gt_spec("maxpool", "mp");
    s[1].kernel = (layer_window){1, {2, 0, 0}};
    expect_build_error(&ids, s, 2, "layer 'mp' (maxpool): its input 'emb' is a sequence (3 steps, 2 features)",
                       "time_maxpool");
    s[1] = gt_spec("avgpool", "ap");
    s[1].kernel = (layer_window){1, {2, 0, 0}};
    expect_build_error(&ids, s, 2, "layer 'ap' (avgpool)", "reshape to [1, 3, 2] and use an avgpool with kernel [K, 1]");
    s[1] = gt_spec("global_avgpool", "gap");
    expect_build_error(&ids, s, 2, "giving (3) instead of (2)", "use time_avgpool");
    /* joined along time, no longer a sequence: the padding lies between the steps */
    s[1] = gt_spec("concat", "cat");
    gt_inputs(&s[1], "emb", "emb");
    graph *g = gt_build(&ids, s, 2, 2);
    assert_int_equal(g->nodes[graph_find(g, "cat")].shape.d[0], 6);
    assert_false(g->nodes[graph_find(g, "cat")].seq);
    graph_free(g);

    s[1].axis = 1;
    s[2] = gt_spec("batchnorm", "bn");
    s[3] = gt_spec("time_avgpool", "avg");
    gt_inputs(&s[3], "cat", NULL);
    g = gt_build(&ids, s, 4, 2);
    assert_int_equal(g->nodes[graph_find(g, "cat")].shape.d[1], 4);
    assert_true(g->nodes[graph_find(g, "cat")].seq);
    assert_true(g->nodes[graph_find(g, "bn")].seq);
    const graph_param *bn_gamma = &g->params[graph_param_find(g, "bn.gamma")];
    assert_int_equal(bn_gamma->n, 4); /* the features, not the steps */
    float *e = g->params[graph_param_find(g, "emb.weight")].data;
    for (int i = 0; i < 10; i++)
        e[i] = (float)(i + 1);
    float *x = graph_input(g, 0);
    const float in[6] = {3, 0, 0, 1, 2, 4}; /* lengths 1 and 3 */
    memcpy(x, in, sizeof in);
    graph_forward(g, 2, 0);
    const float *y = g->nodes[graph_find(g, "avg")].out;
    /* sample 0: row 3 of the table alone (7, 8), twice; sample 1: the mean of rows 1, 2, 4 */
    const float want[8] = {7, 8, 7, 8, 17.0f / 3, 20.0f / 3, 17.0f / 3, 20.0f / 3};
    for (int i = 0; i < 8; i++)
        assert_float_equal(y[i], want[i], 1e-5);
    graph_free(g);
}

/* A padded step of a sequence is zero after the layers that work step by
 * step (dense, layernorm, batchnorm), whatever the other samples of the
 * batch: a flatten after them gives a text the same values alone as beside
 * a longer one (they once computed every step up to the batch's longest). */
static void test_padded_steps_alone_or_not(void **state)
{
    static const char *types[] = {"dense", "layernorm", "batchnorm"};
    tensor_shape ids = {1, {4}};
    for (int k = 0; k < 3; k++) {
        layer_spec s[3] = {gt_spec("embedding", "emb"), gt_spec(types[k], "step"),
                           gt_spec("flatten", "flat")};
        s[0].units = 3;
        s[0].vocab = 6;
        s[1].units = 2;
        graph *g = gt_build(&ids, s, 3, 2);
        dlc_rng rng;
        dlc_rng_seed(&rng, 3, 1);
        graph_init_params(g, &rng);
        for (int q = 0; q < g->n_params; q++) /* biases and beta not zero */
            for (size_t i = 0; i < g->params[q].n; i++)
                g->params[q].data[i] += 0.5f;
        const graph_node *o = &g->nodes[graph_find(g, "flat")];
        float *x = graph_input(g, 0), alone[12]; /* (4 steps, 2 or 3 values) */
        const float in[8] = {2, 0, 0, 0, 1, 3, 4, 5}; /* lengths 1 and 4 */
        memcpy(x, in, sizeof in);
        graph_forward(g, 1, 0);
        assert_true(o->size <= 12);
        memcpy(alone, o->out, sizeof(float) * o->size);
        graph_forward(g, 2, 0);
        for (size_t i = 0; i < o->size; i++) {
            if (fabsf(o->out[i] - alone[i]) > 1e-6f * (1.0f + fabsf(alone[i]))) {
                print_error("%s: value %zu of the short text is %g beside a longer one, %g alone\n",
                            types[k], i, o->out[i], alone[i]);
                fail();
            }
            if (i >= o->size / 4) /* its steps 1 to 3 are padding */
                assert_float_equal(o->out[i], 0.0f, 0.0);
        }
        graph_free(g);
    }
}

/* reshape takes what these layers give: gram's (C, C), a slice of a map */
static void test_reshape_after(void **state)
{
    tensor_shape img = {3, {3, 2, 2}};
    layer_spec s[4] = {gt_spec("gram", "g"), gt_spec("reshape", "r"), gt_spec("slice", "c"),
                       gt_spec("reshape", "r2")};
    s[1].target_ndim = 1;
    s[1].target[0] = -1;
    gt_inputs(&s[2], "input", NULL);
    s[2].start = 1;
    s[2].end = GRAPH_SLICE_END;
    s[3].target_ndim = 2;
    s[3].target[0] = 4;
    s[3].target[1] = -1;
    graph *g = gt_build(&img, s, 4, 2);
    assert_int_equal(g->nodes[graph_find(g, "r")].shape.d[0], 9);
    graph_node *r2 = &g->nodes[graph_find(g, "r2")];
    assert_int_equal(r2->shape.ndim, 2);
    assert_int_equal(r2->shape.d[1], 2);
    graph_free(g);
}

/* Inputs that need no gradient get none: the model input (gradients off) of
 * subtract, multiply and layernorm has no gradient memory at all (a write
 * would crash) while the layer still computes the gradients that are
 * wanted. */
static void test_no_unwanted_grad(void **state)
{
    tensor_shape in = {1, {4}};
    const char *types[] = {"subtract", "multiply", "layernorm"};
    for (int t = 0; t < 3; t++) {
        layer_spec s[2] = {gt_spec("dense", "a"), gt_spec(types[t], "op")};
        s[0].units = 4;
        if (strcmp(types[t], "layernorm") == 0)
            gt_inputs(&s[1], "input", NULL);
        else
            gt_inputs(&s[1], "a", "input");
        graph *g = gt_build(&in, s, 2, 3);
        dlc_rng rng;
        dlc_rng_seed(&rng, 2, 1);
        graph_init_params(g, &rng);
        for (int i = 0; i < 12; i++)
            graph_input(g, 0)[i] = (float)(i % 5) - 2.0f;
        graph_forward(g, 3, 1);
        graph_zero_grad(g);
        graph_node *o = graph_output(g, 0);
        for (int i = 0; i < 12; i++)
            o->grad[i] = 1.0f + (float)i;
        graph_backward(g, 3);
        assert_null(g->nodes[0].grad);
        assert_true(tensor_sumsq(o->n_params ? graph_p(g, o, 0)->grad : g->params[0].grad, 4) > 0.0);
        graph_free(g);
    }
}

/* ---- the config: keys, and a split's pieces ---- */

#define HEAD "data: {format: idx, train: {images: a.gz, labels: b.gz}}\nmodel:\n  layers:\n"

static void load_layers(dlc_config *c, const char *layers, const char *const *ov, int n_ov,
                        dlc_status want, const char *msg)
{
    char yaml[1024];
    snprintf(yaml, sizeof yaml, "%s%s", HEAD, layers);
    dlc_error err = {0};
    dlc_status st = config_load_string(c, "m.yaml", yaml, strlen(yaml), ov, n_ov, &err);
    if (st != want || (msg && !strstr(err.msg, msg))) {
        print_error("status %d, message: %s\nwanted %d: %s\n", st, err.msg, want, msg ? msg : "");
        fail();
    }
}

static void test_config_keys(void **state)
{
    dlc_config c;
    load_layers(&c,
                "    - {type: dense, units: 8}\n"
                "    - {name: heads, type: split, sizes: [1, -1, 2]}\n"
                "    - {name: box, type: slice, start: -4, inputs: heads_1}\n"
                "    - {type: layernorm, axes: 1, eps: 0.001}\n",
                NULL, 0, DLC_OK, NULL);
    assert_int_equal(c.n_layers, 7);
    assert_string_equal(c.layers[2].name, "heads_0");
    assert_string_equal(c.layers[4].name, "heads_2");
    assert_string_equal(c.layers[2].where, c.layers[1].where); /* messages name the split's line */
    assert_int_equal(c.layers[5].start, -4);
    assert_int_equal(c.layers[5].end, GRAPH_SLICE_END); /* end: null, the default */
    assert_int_equal(c.layers[6].axes, 1);
    config_free(&c);
    /* the layer after a split reads its last piece; --set reaches the sizes */
    const char *ov[] = {"model.layers.1.sizes=[3, 5]"};
    load_layers(&c, "    - {type: dense, units: 8}\n    - {name: heads, type: split, sizes: [1, -1]}\n"
                    "    - {type: dense, units: 2}\n",
                ov, 1, DLC_OK, NULL);
    assert_int_equal(c.layers[3].end, 8);
    tensor_shape in = {1, {4}};
    graph *g = NULL;
    dlc_error err = {0};
    assert_int_equal(graph_build(&g, &in, c.layers, c.n_layers, NULL, 0, 2, &err), DLC_OK);
    assert_int_equal(g->nodes[graph_find(g, "dense_2")].in[0], graph_find(g, "heads_1"));
    assert_int_equal(g->nodes[graph_find(g, "heads_1")].size, 5);
    graph_free(g);
    config_free(&c);
    /* a split inside a repeated block: its pieces follow the copy's name */
    const char *block = "data: {format: idx, train: {images: a.gz, labels: b.gz}}\n"
                        "model:\n  blocks:\n    half:\n      layers:\n"
                        "        - {name: parts, type: split, sizes: [2, -1]}\n"
                        "        - {name: d, type: concat, inputs: [parts_1, parts_0]}\n"
                        "  layers:\n    - {name: h, type: block, block: half, repeat: 2}\n";
    if (config_load_string(&c, "b.yaml", block, strlen(block), NULL, 0, &err) != DLC_OK) {
        print_error("%s\n", err.msg);
        fail();
    }
    assert_int_equal(c.n_layers, 2 * 4);
    assert_string_equal(c.layers[6].name, "h_2_parts_1");
    assert_string_equal(c.layers[7].inputs[0], "h_2_parts_1");
    assert_string_equal(c.layers[7].inputs[1], "h_2_parts_0");
    assert_int_equal(graph_build(&g, &in, c.layers, c.n_layers, NULL, 0, 2, &err), DLC_OK);
    assert_int_equal(graph_output(g, 0)->size, 4);
    graph_free(g);
    config_free(&c);
    /* bad values, named with their key */
    load_layers(&c, "    - {type: split, sizes: [1, -1, -1]}\n", NULL, 0, DLC_EINPUT,
                "m.yaml:4: key 'model.layers.0.sizes.2': only one piece may be -1");
    load_layers(&c, "    - {type: split, sizes: [4]}\n", NULL, 0, DLC_EINPUT,
                "expected 2 to 16 pieces, got 1");
    load_layers(&c, "    - {type: split, sizes: [2, 0]}\n", NULL, 0, DLC_EINPUT,
                "sizes.1': expected a positive integer or -1, got 0");
    load_layers(&c, "    - {type: split}\n", NULL, 0, DLC_EINPUT, "sizes': missing");
    load_layers(&c, "    - {type: slice, end: two}\n", NULL, 0, DLC_EINPUT,
                "key 'model.layers.0.end': expected an integer (negative: counted from the end) or null");
    load_layers(&c, "    - {type: slice, sizes: [1, 2]}\n", NULL, 0, DLC_EINPUT,
                "not a key of layer type 'slice'");
    load_layers(&c, "    - {type: layernorm, axes: 0}\n", NULL, 0, DLC_EINPUT, "model.layers.0.axes");
    /* a piece's name taken by another layer */
    load_layers(&c, "    - {name: p, type: split, sizes: [1, 1]}\n    - {name: p_1, type: abs}\n", NULL,
                0, DLC_EINPUT, "duplicate layer name 'p_1'");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_slice),           cmocka_unit_test(test_split),
        cmocka_unit_test(test_elementwise),     cmocka_unit_test(test_l2normalize_gram),
        cmocka_unit_test(test_layernorm),       cmocka_unit_test(test_shape_errors),
        cmocka_unit_test(test_batchnorm_large_maps), cmocka_unit_test(test_embedding_one_unit),
        cmocka_unit_test(test_channel_shuffle),
        cmocka_unit_test(test_upsample),       cmocka_unit_test(test_conv_transpose),
        cmocka_unit_test(test_bilinear),        cmocka_unit_test(test_pixel_shuffle),
        cmocka_unit_test(test_reshape_after),   cmocka_unit_test(test_no_unwanted_grad),
        cmocka_unit_test(test_config_keys),     cmocka_unit_test(test_sequence_layers),
        cmocka_unit_test(test_padded_steps_alone_or_not),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
