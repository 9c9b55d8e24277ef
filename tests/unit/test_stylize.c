/* test_stylize.c - style transfer: its costs against PyTorch (the notes'
 * formulas on unnormalized Gram matrices, tests/data/make_reference_style.py),
 * the gradient of J with respect to the image, the optimization (J_style
 * falls by 90%, the content cost follows alpha / beta), the network's
 * weights from another run, the problem exported for PyTorch, and bad
 * input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/base/rng.h"
#include "../../src/config/config.h"
#include "../../src/graph/graph.h"
#include "../../src/io/io.h"
#include "../../src/loss/loss.h"
#include "../../src/stylize/stylize.h"
#include "../../src/train/model.h"
#include "graphtest.h"
#include "testutil.h"

/* content and total variation straight from the loss table */
static void test_costs_reference(void **state)
{
    (void)state;
    tu_ref *r = tu_ref_load("style_costs");
    const tensor_shape map = {3, {3, 4, 5}};
    size_t n;
    const float *x = tu_ref_get(r, "content_x", &n);
    float grad[120] = {0};
    assert_int_equal(n, 120);
    loss_stats st = {0};
    loss_compute(LOSS_CONTENT, grad, x, tu_ref_get(r, "content_target", NULL), 2, &map, 1.0f, &st);
    tu_close(loss_mean(&st), tu_ref_get(r, "content_loss", NULL)[0], 1e-4);
    tu_assert_close("content_grad", grad, tu_ref_get(r, "content_grad", NULL), n, 1e-6, 1e-5);

    memset(grad, 0, sizeof grad);
    memset(&st, 0, sizeof st);
    x = tu_ref_get(r, "tv_x", &n);
    loss_compute(LOSS_TOTAL_VARIATION, grad, x, NULL, 2, &map, 1.0f, &st);
    tu_close(loss_mean(&st), tu_ref_get(r, "tv_loss", NULL)[0], 1e-4);
    tu_assert_close("tv_grad", grad, tu_ref_get(r, "tv_grad", NULL), n, 1e-6, 1e-5);
    tu_ref_free(r);
}

/* style: a gram layer, its output's style cost against the style map's
 * Gram matrix, backpropagated to the feature map */
static void test_style_chain_reference(void **state)
{
    (void)state;
    tu_ref *r = tu_ref_load("style_costs");
    const tensor_shape map = {3, {3, 4, 5}};
    layer_spec s[1] = {gt_spec("gram", "g")};
    graph *g = gt_build(&map, s, 1, 2);
    assert_int_equal(graph_set_input_grad(g, 1, NULL), DLC_OK);
    size_t n;
    const float *x = tu_ref_get(r, "style_x", &n);
    graph_node *out = graph_output(g, 0);
    float target[2 * 9];
    memcpy(graph_input(g, 0), tu_ref_get(r, "style_s", NULL), sizeof(float) * n);
    graph_forward(g, 2, 0);
    memcpy(target, out->out, sizeof target);
    memcpy(graph_input(g, 0), x, sizeof(float) * n);
    graph_forward(g, 2, 0);
    graph_zero_grad(g);
    loss_stats st = {0};
    loss_compute(LOSS_STYLE, out->grad, out->out, target, 2, &out->shape, 1.0f, &st);
    graph_backward(g, 2);
    tu_close(loss_mean(&st), tu_ref_get(r, "style_loss", NULL)[0],
             1e-5 * fabs(tu_ref_get(r, "style_loss", NULL)[0]));
    tu_assert_close("style_grad", g->nodes[0].grad, tu_ref_get(r, "style_grad", NULL), n, 1e-7,
                    1e-4);
    graph_free(g);
    tu_ref_free(r);
}

/* ---- the library ---- */

/* A small VGG-style network: two blocks, average pooling between. */
#define NET                                                                                   \
    "model:\n"                                                                                \
    "  layers:\n"                                                                             \
    "    - {name: conv1, type: conv2d, filters: 8, kernel: 3, padding: same, activation: relu}\n" \
    "    - {name: pool1, type: avgpool, kernel: 2}\n"                                           \
    "    - {name: conv2, type: conv2d, filters: 16, kernel: 3, padding: same, activation: relu}\n" \
    "    - {name: flat, type: flatten, inputs: [conv2]}\n"                                      \
    "    - {name: dense, type: dense, units: 3}\n"

static void load_cfg(dlc_config *c, const char *text, const char *const *sets, int n_sets)
{
    dlc_error err = {0};
    if (config_load_string(c, "test.yaml", text, strlen(text), sets, n_sets, &err) != DLC_OK) {
        print_error("%s\n", err.msg);
        fail();
    }
}

/* C: a smooth colour ramp; S: coloured stripes (H, W) = (16, 16). */
static void images(float *content, float *style, int H, int W)
{
    const size_t HW = (size_t)H * W;
    for (int c = 0; c < 3; c++)
        for (int i = 0; i < H; i++)
            for (int j = 0; j < W; j++) {
                size_t at = c * HW + (size_t)i * W + j;
                content[at] = (float)(40 + 10 * c + 150.0 * (i + j) / (H + W));
                style[at] = ((i + 2 * j + 3 * c) / 3) % 2 ? 230.0f : (float)(20 + 30 * c);
            }
}

static stylize *make(const dlc_config *c, int H, int W)
{
    float content[3 * 32 * 32], style[3 * 32 * 32];
    dlc_error err = {0};
    stylize *s = NULL;
    images(content, style, H, W);
    if (stylize_create_pixels(&s, c, content, style, H, W, &err) != DLC_OK) {
        print_error("%s\n", err.msg);
        fail();
    }
    return s;
}

/* J along a random direction d: (J(G + h d) - J(G - h d)) / 2h against
 * g.d, which sums every pixel's gradient (the per-value check of dlc
 * gradcheck judges most pixels' tiny gradients by absolute error). */
static void check_direction(stylize *s, uint64_t seed)
{
    graph *g = stylize_graph(s);
    float *x = graph_input(g, 0);
    const size_t D = g->nodes[0].size;
    float x0[3 * 16 * 16], d[3 * 16 * 16];
    assert_true(D <= sizeof x0 / sizeof x0[0]);
    dlc_rng rng;
    dlc_rng_seed(&rng, seed, 0);
    for (size_t i = 0; i < D; i++) {
        x[i] += (float)(0.5 * dlc_rng_normal(&rng)); /* away from C: a content gradient */
        d[i] = (float)dlc_rng_normal(&rng);
    }
    memcpy(x0, x, sizeof(float) * D);
    stylize_gradcheck_loss(s, g, 1, 1);
    double gd = 0;
    for (size_t i = 0; i < D; i++)
        gd += (double)g->nodes[0].grad[i] * d[i];
    const double h = 1e-3;
    for (size_t i = 0; i < D; i++)
        x[i] = x0[i] + (float)h * d[i];
    double up = stylize_gradcheck_loss(s, g, 1, 0);
    for (size_t i = 0; i < D; i++)
        x[i] = x0[i] - (float)h * d[i];
    double down = stylize_gradcheck_loss(s, g, 1, 0);
    memcpy(x, x0, sizeof(float) * D);
    double num = (up - down) / (2 * h);
    if (fabs(num - gd) > 2e-3 * fabs(gd)) {
        print_error("dJ/dG along d: analytic %.8g, numeric %.8g\n", gd, num);
        fail();
    }
}

static void test_input_gradient(void **state)
{
    (void)state;
    /* each cost alone, then all together (weights as dlc stylize uses them);
     * tanh rather than relu: a step along d switches some of many ReLU units,
     * whose kinks move the difference quotient by about 1% */
    const char *const sets[][5] = {
        {"stylize.beta=0", "stylize.tv=0"},
        {"stylize.alpha=0", "stylize.tv=0"},
        {"stylize.alpha=0", "stylize.beta=0", "stylize.tv=1"},
        {"stylize.alpha=1", "stylize.beta=1e4", "stylize.tv=0.1"},
    };
    for (size_t k = 0; k < sizeof sets / sizeof sets[0]; k++) {
        dlc_config c;
        const char *ov[5] = {"model.layers.0.activation=tanh", "model.layers.2.activation=tanh"};
        int n = 2;
        for (int q = 0; q < 5 && sets[k][q]; q++)
            ov[n++] = sets[k][q];
        load_cfg(&c, NET "stylize: {content: conv2, style: {conv1: 0.3, conv2: 0.7}}\n", ov, n);
        stylize *s = make(&c, 16, 16);
        check_direction(s, 10 + k);
        stylize_free(s);
        config_free(&c);
    }
}

typedef struct {
    stylize_progress first, last;
    int calls;
} run_log;

static dlc_status keep(void *user, const stylize *s, const stylize_progress *p, dlc_error *err)
{
    run_log *r = user;
    (void)s;
    (void)err;
    if (r->calls++ == 0)
        r->first = *p;
    r->last = *p;
    return DLC_OK;
}

static run_log optimize(const char *const *sets, int n_sets, int steps)
{
    dlc_config c;
    dlc_error err = {0};
    run_log r = {0};
    load_cfg(&c, NET "stylize: {content: conv2, style: [conv1, conv2]}\n", sets, n_sets);
    stylize *s = make(&c, 16, 16);
    if (stylize_run(s, steps, keep, &r, &err) != DLC_OK) {
        print_error("%s\n", err.msg);
        fail();
    }
    /* the costs of G as it ends equal the last report */
    stylize_progress now = stylize_costs(s);
    tu_close(now.J, r.last.J, 1e-6 * fabs(r.last.J));
    stylize_free(s);
    config_free(&c);
    return r;
}

/* The checks: J_style falls by at least 90% from its start, with
 * Adam and with L-BFGS, and J_content stays within the balance alpha /
 * beta sets: never more than the style cost it buys (alpha J_content <=
 * beta J_style at the start), and lower when alpha is larger. */
static void test_style_falls(void **state)
{
    (void)state;
    const char *adam[] = {"stylize.beta=1e6", "stylize.learning_rate=0.05"};
    run_log a = optimize(adam, 2, 150);
    assert_int_equal(a.calls, 151);
    assert_int_equal(a.first.step, 0);
    assert_int_equal(a.last.step, 150);
    tu_close(a.first.J_content, 0.0, 1e-9); /* G starts as C */
    assert_true(a.last.J_style <= 0.1 * a.first.J_style);
    assert_true(a.last.J < a.first.J);
    assert_true(1.0 * a.last.J_content <= 1e6 * a.first.J_style);
    const char *lbfgs[] = {"stylize.beta=1e6", "stylize.optimizer=lbfgs"};
    run_log l = optimize(lbfgs, 2, 60);
    assert_true(l.last.J_style <= 0.1 * l.first.J_style);
    assert_true(l.last.evals >= l.last.step);
    /* ten times the content weight: a smaller content cost, a larger style cost */
    const char *heavy[] = {"stylize.beta=1e6", "stylize.alpha=10", "stylize.optimizer=lbfgs"};
    run_log h = optimize(heavy, 3, 60);
    assert_true(h.last.J_content < l.last.J_content);
    assert_true(h.last.J_style > l.last.J_style);
}

/* init_from: the weights of a run's model file, and its per-channel input
 * normalization */
static void test_init_from(void **state)
{
    (void)state;
    dlc_config src;
    dlc_error err = {0};
    model m;
    load_cfg(&src, NET "  input: [3, 8, 8]\ndata: {format: csv, train: {file: x.csv}}\n", NULL, 0);
    assert_int_equal(model_build(&m, &src, &src.input, 0, 1, &err), DLC_OK);
    dlc_rng rng;
    dlc_rng_seed(&rng, 99, 0);
    graph_init_params(m.g, &rng);
    assert_int_equal(data_norm_init(&m.norm, NORM_STANDARD, 3 * 64, &err), DLC_OK);
    for (int c = 0; c < 3; c++)
        for (int i = 0; i < 64; i++) {
            m.norm.shift[c * 64 + i] = 100.0f + c;
            m.norm.scale[c * 64 + i] = 0.5f / (1 + c);
        }
    char path[600];
    snprintf(path, sizeof path, "%s", tu_tmp("source.safetensors"));
    assert_int_equal(model_save(&m, path, &err), DLC_OK);
    char yaml[2000];
    snprintf(yaml, sizeof yaml, NET "init_from: {run: \"%s\"}\n"
             "stylize: {content: conv2, style: [conv1]}\n", path);
    dlc_config c;
    load_cfg(&c, yaml, NULL, 0);
    stylize *s = make(&c, 16, 16);
    graph *g = stylize_graph(s);
    int p = graph_param_find(g, "conv2.weight");
    assert_true(p >= 0);
    tu_assert_close("conv2.weight", g->params[p].data,
                    m.g->params[graph_param_find(m.g, "conv2.weight")].data, g->params[p].n, 0, 0);
    /* the dense layer is not a cost's: not built, so its shape here does not matter */
    assert_int_equal(graph_find(g, "dense"), -1);
    assert_int_equal(graph_find(g, "conv1:gram") > 0, 1);
    /* G starts as C: its first pixel in the source's units */
    tu_close(graph_input(g, 0)[0], (40 - 100.0) * 0.5, 1e-4);
    /* every weight frozen */
    size_t trainable;
    graph_count_params(g, &trainable, NULL);
    assert_int_equal(trainable, 0);
    stylize_free(s);
    config_free(&c);
    model_free(&m);
    config_free(&src);
}

/* the problem for scripts/stylize_torch.py */
static void test_export(void **state)
{
    (void)state;
    dlc_config c;
    dlc_error err = {0};
    load_cfg(&c, NET "stylize: {content: conv2, style: {conv1: 0.25}, tv: 0.5}\n", NULL, 0);
    stylize *s = make(&c, 8, 12);
    const char *path = tu_tmp("problem.safetensors");
    assert_int_equal(stylize_export(s, path, &err), DLC_OK);
    io_st *st = NULL;
    assert_int_equal(io_safetensors_read(&st, path, &err), DLC_OK);
    assert_string_equal(io_st_meta(st, "format"), "dlc-stylize-1");
    const io_tensor *t = io_st_get(st, "content");
    assert_non_null(t);
    assert_int_equal(t->shape.d[1], 8);
    assert_int_equal(t->shape.d[2], 12);
    assert_non_null(io_st_get(st, "conv1.weight"));
    assert_null(io_st_get(st, "dense.weight"));
    json_value *j = NULL;
    const char *costs = io_st_meta(st, "costs"), *layers = io_st_meta(st, "layers");
    assert_int_equal(json_parse(&j, costs, strlen(costs), &err), DLC_OK);
    tu_close(json_get(j, "tv")->number, 0.5, 0);
    tu_close(json_get(json_get(j, "style")->items[0], "weight")->number, 0.25, 0);
    json_free(j);
    assert_int_equal(json_parse(&j, layers, strlen(layers), &err), DLC_OK);
    assert_int_equal(j->n, 4); /* conv1, pool1, conv2, conv1:gram */
    assert_string_equal(json_get(j->items[3], "type")->string, "gram");
    json_free(j);
    io_st_free(st);
    stylize_free(s);
    config_free(&c);
}

/* a stylize config needs no data: section; its resolved form has none and
 * loads again; training it is refused with a message */
static void test_config(void **state)
{
    (void)state;
    dlc_config c, again;
    dlc_error err = {0};
    load_cfg(&c, NET "stylize: {content: conv2, style: {conv1: 0.5, conv2: 2}, tv: 1e-3}\n", NULL, 0);
    assert_true(c.stylize.on);
    assert_true(c.no_data);
    char *y = NULL;
    assert_int_equal(config_to_yaml(&c, &y, &err), DLC_OK);
    assert_null(strstr(y, "\ndata:"));
    assert_non_null(strstr(y, "\nstylize:"));
    load_cfg(&again, y, NULL, 0);
    assert_int_equal(again.stylize.n_style, 2);
    tu_close(again.stylize.style_weight[1], 2.0, 0);
    tu_close(again.stylize.tv, 1e-3, 0);
    data_bundle b = {0};
    assert_int_equal(model_load_data(&b, &again, &err), DLC_EINPUT);
    assert_non_null(strstr(err.msg, "no data: section"));
    free(y);
    config_free(&again);
    config_free(&c);
    /* a config without stylize: writes none */
    load_cfg(&c, NET "data: {format: csv, train: {file: x.csv}}\n", NULL, 0);
    assert_false(c.stylize.on);
    assert_int_equal(config_to_yaml(&c, &y, &err), DLC_OK);
    assert_null(strstr(y, "stylize:"));
    free(y);
    config_free(&c);
    /* a plain list of style layers: equal weights summing to 1 */
    load_cfg(&c, NET "stylize: {content: conv2, style: [conv1, pool1, conv2, flat]}\n", NULL, 0);
    tu_close(c.stylize.style_weight[3], 0.25, 0);
    config_free(&c);
}

/* Image files: C resized to the longer side `size` (its aspect kept), S
 * scaled to cover that and cut around its centre, not squeezed. */
static void test_image_files(void **state)
{
    (void)state;
    /* S: 30 x 90, row i grey level 2i; C: 60 x 20, flat */
    unsigned char px8[3 * 30 * 90];
    for (int i = 0; i < 90; i++)
        for (int j = 0; j < 3 * 30; j++)
            px8[i * 3 * 30 + j] = (unsigned char)(2 * i);
    const char *style = tu_tmp("tall.png"), *content = tu_tmp("wide.png");
    dlc_error err = {0};
    assert_int_equal(io_write_png(style, px8, 30, 90, 3, &err), DLC_OK);
    memset(px8, 100, 3 * 60 * 20);
    assert_int_equal(io_write_png(content, px8, 60, 20, 3, &err), DLC_OK);
    dlc_config c;
    stylize *s = NULL;
    load_cfg(&c, NET "stylize: {content: conv2, style: [conv1]}\n", NULL, 0);
    assert_int_equal(stylize_create(&s, &c, content, style, 30, &err), DLC_OK);
    int H, W;
    stylize_size(s, &H, &W);
    assert_int_equal(W, 30);
    assert_int_equal(H, 10);
    const char *path = tu_tmp("files.safetensors");
    assert_int_equal(stylize_export(s, path, &err), DLC_OK);
    io_st *st = NULL;
    assert_int_equal(io_safetensors_read(&st, path, &err), DLC_OK);
    const float *px = io_st_get(st, "style")->data; /* (3, 10, 30): rows 40 .. 49 of S */
    tu_close(px[0], 80, 1);
    tu_close(px[9 * 30], 98, 1);
    tu_close(io_st_get(st, "content")->data[5], 100, 0);
    io_st_free(st);
    stylize_free(s);
    config_free(&c);
}

static void expect_config_error(const char *text, const char *want)
{
    dlc_config c;
    dlc_error err = {0};
    assert_int_equal(config_load_string(&c, "test.yaml", text, strlen(text), NULL, 0, &err),
                     DLC_EINPUT);
    if (!strstr(err.msg, want)) {
        print_error("message: %s\nwanted: %s\n", err.msg, want);
        fail();
    }
}

static void test_bad_input(void **state)
{
    (void)state;
    /* a cost layer the network lacks, an empty style list, no content layer:
     * the config names file, line and key */
    expect_config_error(NET "stylize: {content: conv9, style: [conv1]}\n",
                        "test.yaml:8: key 'stylize.content': no layer is named 'conv9' (did you "
                        "mean 'conv1'?)");
    expect_config_error(NET "stylize: {content: conv2, style: [conv1, pool7]}\n",
                        "key 'stylize.style.pool7': no layer is named 'pool7' (did you mean "
                        "'pool1'?)");
    expect_config_error(NET "stylize: {content: conv2, style: []}\n",
                        "key 'stylize.style': needs at least one style layer");
    expect_config_error(NET "stylize: {style: [conv1]}\n", "key 'stylize.content': missing");
    expect_config_error(NET "stylize: {content: conv2, style: {conv1: -1}}\n",
                        "key 'stylize.style.conv1': expected a weight >= 0, got \"-1\"");
    expect_config_error(NET "stylize: {content: conv2, style: [conv1, conv1]}\n",
                        "layer 'conv1' is listed twice");
    /* a style layer that is no convolution map: the layer is named */
    dlc_config c;
    dlc_error err = {0};
    stylize *s = NULL;
    float px[3 * 8 * 8] = {0};
    load_cfg(&c, NET "stylize: {content: conv2, style: [dense]}\n", NULL, 0);
    assert_int_equal(stylize_create_pixels(&s, &c, px, px, 8, 8, &err), DLC_EINPUT);
    assert_non_null(strstr(err.msg, "stylize.style: layer 'dense:gram' (gram): needs a "
                                    "convolution map"));
    assert_null(s);
    config_free(&c);
    /* an image that does not decode, and one that is not there: the file is named */
    load_cfg(&c, NET "stylize: {content: conv2, style: [conv1]}\n", NULL, 0);
    const char *bad = tu_tmp("bad.png");
    tu_write(bad, "not an image at all", (size_t)-1);
    assert_int_equal(stylize_create(&s, &c, bad, bad, 16, &err), DLC_EINPUT);
    assert_non_null(strstr(err.msg, bad));
    assert_int_equal(stylize_create(&s, &c, tu_tmp("missing.png"), bad, 16, &err), DLC_EINPUT);
    assert_non_null(strstr(err.msg, "missing.png"));
    config_free(&c);
    /* a config without stylize: */
    load_cfg(&c, NET "data: {format: csv, train: {file: x.csv}}\n", NULL, 0);
    assert_int_equal(stylize_create_pixels(&s, &c, px, px, 8, 8, &err), DLC_EINPUT);
    config_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_costs_reference),
        cmocka_unit_test(test_style_chain_reference),
        cmocka_unit_test(test_input_gradient),
        cmocka_unit_test(test_style_falls),
        cmocka_unit_test(test_init_from),
        cmocka_unit_test(test_export),
        cmocka_unit_test(test_config),
        cmocka_unit_test(test_image_files),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
