/* test_windows.c - convolutional sliding windows (src/infer/windows.c): a
 * window classifier rebuilt with its dense layers as convolutions gives, at
 * every cell of its grid, what the classifier gives on the window there
 * (to 1e-5), batchnorm statistics, dropout and normalization included; and
 * the models it refuses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/infer/infer.h"
#include "testutil.h"

/* A window model of cfg text for (3, WH, WW) images: random weights, random
 * batchnorm statistics and a per-channel normalization. */
static void window_model(model *m, const char *layers, int WH, int WW)
{
    char yaml[2048];
    snprintf(yaml, sizeof yaml,
             "data: {format: image_folder, train: {dir: x}}\n"
             "model:\n  input: [3, %d, %d]\n  layers:\n%s"
             "loss: softmax_cross_entropy\n",
             WH, WW, layers);
    dlc_config cfg;
    dlc_error err = {0};
    tensor_shape shape = {3, {3, WH, WW}};
    if (config_load_string(&cfg, "win.yaml", yaml, strlen(yaml), NULL, 0, &err) != DLC_OK ||
        model_build(m, &cfg, &shape, 4, 16, &err) != DLC_OK) {
        print_error("%s\n", err.msg);
        fail();
    }
    assert_int_equal(config_to_yaml(&cfg, &m->config_yaml, &err), DLC_OK);
    config_free(&cfg);
    dlc_rng r;
    dlc_rng_seed(&r, 3, 0);
    graph_init_params(m->g, &r);
    for (int i = 0; i < m->g->n_params; i++) {
        graph_param *p = &m->g->params[i];
        if (!p->buffer)
            continue;
        int var = strstr(p->name, "var") != NULL;
        for (size_t k = 0; k < p->n; k++)
            p->data[k] = var ? 0.5f + (float)dlc_rng_uniform(&r) : 0.3f * (float)dlc_rng_normal(&r);
    }
    size_t D = tensor_shape_size(&shape), plane = (size_t)WH * WW;
    assert_int_equal(data_norm_init(&m->norm, NORM_STANDARD, D, &err), DLC_OK);
    for (size_t j = 0; j < D; j++) {
        m->norm.shift[j] = 100.0f + 10.0f * (float)(j / plane);
        m->norm.scale[j] = 1.0f / (50.0f + 5.0f * (float)(j / plane));
    }
}

static const char *const CNN =
    "    - {type: conv2d, filters: 6, kernel: 5}\n"
    "    - {type: batchnorm, activation: relu}\n"
    "    - {type: maxpool, kernel: 2}\n"
    "    - {type: conv2d, filters: 8, kernel: 3, activation: tanh}\n"
    "    - {type: flatten}\n"
    "    - {type: dense, units: 12, activation: relu}\n"
    "    - {type: dropout, rate: 0.3}\n"
    "    - {type: batchnorm}\n"
    "    - {type: dense, units: 4, activation: softmax}\n";

static void test_grid_equals_windows(void **state)
{
    (void)state;
    enum { WH = 14, WW = 14, H = 20, W = 18, C = 3 };
    model m;
    window_model(&m, CNN, WH, WW);
    infer_windows w;
    dlc_error err = {0};
    if (infer_windows_build(&w, &m, H, W, 2, &err) != DLC_OK) {
        print_error("%s\n", err.msg);
        fail();
    }
    /* 14 -> conv 5: 10 -> pool: 5 -> conv 3: 3, stride 2: rows 0, 2, .. 6; columns 0 .. 4 */
    assert_int_equal(w.stride_y, 2);
    assert_int_equal(w.stride_x, 2);
    assert_int_equal(w.gh, 4);
    assert_int_equal(w.gw, 3);
    assert_int_equal(w.K, 4);
    assert_true(w.softmax);
    float *img = malloc(sizeof(float) * C * H * W), *crop = malloc(sizeof(float) * C * WH * WW);
    dlc_rng r;
    dlc_rng_seed(&r, 9, 0);
    for (int i = 0; i < C * H * W; i++)
        img[i] = (float)(255.0 * dlc_rng_uniform(&r));
    const float *grid = infer_windows_run(&w, img, 1);
    double worst = 0;
    for (int gi = 0; gi < w.gh; gi++)
        for (int gj = 0; gj < w.gw; gj++) {
            for (int c = 0; c < C; c++)
                for (int y = 0; y < WH; y++)
                    memcpy(crop + ((size_t)c * WH + y) * WW,
                           img + ((size_t)c * H + gi * w.stride_y + y) * W + gj * w.stride_x,
                           sizeof(float) * WW);
            float *x = graph_input(m.g, 0);
            memcpy(x, crop, sizeof(float) * C * WH * WW);
            data_norm_apply(&m.norm, x, 1);
            graph_forward(m.g, 1, 0);
            const float *want = graph_output(m.g, 0)->out;
            for (int k = 0; k < w.K; k++) {
                double d = fabs((double)grid[((size_t)k * w.gh + gi) * w.gw + gj] - want[k]);
                worst = d > worst ? d : worst;
            }
        }
    if (worst > 1e-5) {
        print_error("a grid cell differs from its window by %g\n", worst);
        fail();
    }
    /* probabilities per cell */
    float *p = malloc(sizeof(float) * (size_t)w.K * w.gh * w.gw);
    infer_windows_softmax(&w, grid, p);
    double sum = 0;
    for (int k = 0; k < w.K; k++)
        sum += p[(size_t)k * w.gh * w.gw + 5];
    tu_close(sum, 1.0, 1e-6);
    free(p);
    /* the window itself is a grid of one cell */
    infer_windows_free(&w);
    assert_int_equal(infer_windows_build(&w, &m, WH, WW, 1, &err), DLC_OK);
    assert_int_equal(w.gh * w.gw, 1);
    infer_windows_free(&w);
    free(img);
    free(crop);
    model_free(&m);
}

static void expect_refused(const char *layers, const char *want)
{
    model m;
    window_model(&m, layers, 12, 12);
    infer_windows w;
    dlc_error err = {0};
    dlc_status st = infer_windows_build(&w, &m, 20, 20, 1, &err);
    if (st != DLC_EINPUT || !strstr(err.msg, want)) {
        print_error("status %d: %s\nwanted: %s\n", (int)st, err.msg, want);
        fail();
    }
    model_free(&m);
}

static void test_refused(void **state)
{
    (void)state;
    expect_refused("    - {type: conv2d, filters: 4, kernel: 3, padding: same}\n"
                   "    - {type: flatten}\n    - {type: dense, units: 4}\n",
                   "pads its input");
    expect_refused("    - {type: conv2d, filters: 4, kernel: 3}\n"
                   "    - {type: global_avgpool}\n    - {type: dense, units: 4}\n",
                   "cannot slide over a larger image");
    expect_refused("    - {type: conv2d, filters: 4, kernel: 3}\n    - {type: flatten}\n"
                   "    - {type: dense, units: 4, activation: softmax}\n    - {type: dense, units: 4}\n",
                   "a softmax inside the model");
    expect_refused("    - {type: conv2d, filters: 4, kernel: 3}\n    - {type: flatten}\n"
                   "    - {type: reshape, shape: [4, -1]}\n    - {type: flatten}\n    - {type: dense, units: 4}\n",
                   "cannot become a convolution");
    expect_refused("    - {name: a, type: conv2d, filters: 4, kernel: 3}\n"
                   "    - {type: conv2d, filters: 4, kernel: 1}\n"
                   "    - {type: add, inputs: [a, conv2d_2]}\n    - {type: flatten}\n    - {type: dense, units: 4}\n",
                   "does not read the layer before it");
    model m;
    window_model(&m, CNN, 14, 14);
    infer_windows w;
    dlc_error err = {0};
    assert_int_equal(infer_windows_build(&w, &m, 10, 30, 1, &err), DLC_EINPUT);
    assert_non_null(strstr(err.msg, "smaller than the window"));
    model_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grid_equals_windows),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
