/* test_heads.c - a model of two outputs, a 3-class head and a regression
 * head, with weights set by hand: every figure the library gives per head
 * (loss, accuracy, mse, mae), the total loss, the gradient each head sends
 * into its output, and the report's figures, against the same computed here
 * in double from the raw data. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../../src/config/config.h"
#include "../../src/report/report.h"
#include "../../src/train/model.h"
#include "testutil.h"

enum { N = 6, D = 2, K = 3 };

/* rows: a, b, kind (class name), size (number); one size unknown ("?") */
static const double X[N][D] = {{1, 2}, {-1, 0.5}, {0.5, -2}, {2, 1}, {-0.5, -0.5}, {0, 1.5}};
static const char *const KIND[N] = {"x", "y", "z", "x", "y", "z"};
static const double SIZE[N] = {3, -1, 0.5, NAN, 2, 1};

/* cls: logits = W x + b; size: y = v . x + c */
static const double W[K][D] = {{0.5, -0.25}, {-1, 0.75}, {0.25, 1}};
static const double B[K] = {0.1, -0.2, 0.05};
static const double V[D] = {0.8, -0.3};
static const double C = 0.4;
static const double WEIGHT_SIZE = 0.5;

static const char *write_csv(void)
{
    char text[1024];
    int at = snprintf(text, sizeof text, "a,b,kind,size\n");
    for (int i = 0; i < N; i++) {
        char size[32];
        if (isnan(SIZE[i]))
            snprintf(size, sizeof size, "?");
        else
            snprintf(size, sizeof size, "%g", SIZE[i]);
        at += snprintf(text + at, sizeof text - (size_t)at, "%g,%g,%s,%s\n", X[i][0], X[i][1],
                       KIND[i], size);
    }
    const char *path = tu_tmp("heads.csv");
    tu_write(path, text, (size_t)-1);
    return path;
}

static void load(dlc_config *c, data_bundle *b, model *m)
{
    char yaml[2048];
    snprintf(yaml, sizeof yaml,
             "data: {format: csv, train: {file: %s}, normalize: none,\n"
             "       label: {cls: kind, size: size}}\n"
             "model:\n"
             "  layers:\n"
             "    - {name: cls, type: dense, units: auto, activation: softmax}\n"
             "    - {name: size, type: dense, units: 1, inputs: [input]}\n"
             "  outputs: [cls, {layer: size, loss: mse, weight: %g}]\n"
             "train: {batch_size: full}\n",
             write_csv(), WEIGHT_SIZE);
    dlc_error err = {0};
    if (config_load_string(c, "heads.yaml", yaml, strlen(yaml), NULL, 0, &err) != DLC_OK ||
        model_load_data(b, c, &err) != DLC_OK || model_build_for(m, c, b, N, &err) != DLC_OK) {
        print_error("%s\n", err.msg);
        fail();
    }
    graph *g = m->g;
    float *w = g->params[graph_param_find(g, "cls.weight")].data;
    float *bias = g->params[graph_param_find(g, "cls.bias")].data;
    for (int k = 0; k < K; k++) {
        bias[k] = (float)B[k];
        for (int j = 0; j < D; j++)
            w[k * D + j] = (float)W[k][j];
    }
    float *v = g->params[graph_param_find(g, "size.weight")].data;
    for (int j = 0; j < D; j++)
        v[j] = (float)V[j];
    g->params[graph_param_find(g, "size.bias")].data[0] = (float)C;
}

/* The figures computed here: mean cross-entropy and accuracy of cls, mean
 * squared and absolute error of size over its known rows. */
typedef struct {
    double ce, acc, mse, mae;
    double dz_size[N];   /* d(total)/d(size output) */
} expected;

static expected compute(void)
{
    expected e;
    memset(&e, 0, sizeof e);
    int known = 0;
    for (int i = 0; i < N; i++) {
        double z[K], mx = -INFINITY, s = 0;
        int arg = 0, y = KIND[i][0] - 'x'; /* classes sort as x, y, z */
        for (int k = 0; k < K; k++) {
            z[k] = B[k] + W[k][0] * X[i][0] + W[k][1] * X[i][1];
            if (z[k] > mx) {
                mx = z[k];
                arg = k;
            }
        }
        for (int k = 0; k < K; k++)
            s += exp(z[k] - mx);
        e.ce += log(s) + mx - z[y];
        e.acc += arg == y;
        if (!isnan(SIZE[i]))
            known++;
    }
    e.ce /= N;
    e.acc /= N;
    for (int i = 0; i < N; i++) {
        if (isnan(SIZE[i]))
            continue;
        double d = C + V[0] * X[i][0] + V[1] * X[i][1] - SIZE[i];
        e.mse += d * d / known;
        e.mae += fabs(d) / known;
        e.dz_size[i] = WEIGHT_SIZE * 2 * d / known;
    }
    return e;
}

static void test_heads_figures(void **state)
{
    (void)state;
    dlc_config c;
    data_bundle b;
    model m;
    load(&c, &b, &m);
    assert_int_equal(m.n_heads, 2);
    assert_int_equal(m.n_targets, 2);
    assert_int_equal(m.heads[0].classes.n, K);
    assert_string_equal(m.heads[1].tasks.v[0], "size");
    expected e = compute();

    /* per-head stats over the split, and the total */
    loss_stats st[MODEL_MAX_HEADS];
    float *t = tensor_alloc((size_t)N * m.n_targets);
    model_evaluate_heads(&m, &b.split[DATA_SPLIT_TRAIN], t, st);
    tu_close(loss_mean(&st[0]), e.ce, 1e-5);
    tu_close(loss_accuracy(&st[0]), e.acc, 0);
    tu_close(loss_mean(&st[1]), e.mse, 1e-5);
    assert_true(st[1].count == N - 1); /* the unknown size is left out */
    tu_close(model_total_loss(&m, st), e.ce + WEIGHT_SIZE * e.mse, 1e-5);

    /* the gradient each head sends: weight x d(its mean)/d(output) */
    data_gather(&b.split[DATA_SPLIT_TRAIN], NULL, 0, N, &m.norm, graph_input(m.g, 0), t);
    graph_forward(m.g, N, 1);
    graph_zero_grad(m.g);
    loss_stats bs[MODEL_MAX_HEADS];
    memset(bs, 0, sizeof bs);
    double total = model_loss(&m, t, N, 1, 1.0f, bs);
    tu_close(total, e.ce + WEIGHT_SIZE * e.mse, 1e-5);
    const float *dz = graph_output(m.g, 1)->grad;
    for (int i = 0; i < N; i++)
        tu_close(dz[i], e.dz_size[i], 1e-6);

    /* the report: each head's figures, the total, the metric naming a head */
    report rep;
    dlc_error err = {0};
    assert_int_equal(report_evaluate(&rep, &m, &b, &c, &err), DLC_OK);
    assert_int_equal(rep.n_heads, 2);
    const report_split *cls = report_head_split(&rep.heads[0], DATA_SPLIT_TRAIN);
    const report_split *size = report_head_split(&rep.heads[1], DATA_SPLIT_TRAIN);
    assert_int_equal(rep.heads[0].task, REPORT_TASK_CLASSES);
    assert_int_equal(rep.heads[1].task, REPORT_TASK_REGRESSION);
    tu_close(cls->accuracy, e.acc, 0);
    tu_close(cls->loss, e.ce, 1e-5);
    tu_close(size->mse, e.mse, 1e-5);
    tu_close(size->mae, e.mae, 1e-5);
    tu_close(rep.total_loss[DATA_SPLIT_TRAIN], e.ce + WEIGHT_SIZE * e.mse, 1e-5);
    assert_string_equal(rep.heads[1].names.v[0], "size");
    strcpy(c.report.metric_head, "size");
    c.report.optimize = REPORT_M_MAE;
    report_free(&rep);
    assert_int_equal(report_evaluate(&rep, &m, &b, &c, &err), DLC_OK);
    report_conclude(&rep, &c);
    assert_int_equal(rep.primary, 1);
    assert_string_equal(rep.metric.name, "size.mae");
    tu_close(rep.metric.value, e.mae, 1e-5);
    assert_false(rep.metric.higher_is_better);
    report_free(&rep);

    tensor_free(t);
    model_free(&m);
    data_free(&b);
    config_free(&c);
}

/* The model file keeps each head's classes and task names. */
static void test_heads_file(void **state)
{
    (void)state;
    dlc_config c;
    data_bundle b;
    model m, back;
    load(&c, &b, &m);
    char *yaml = NULL;
    dlc_error err = {0};
    assert_int_equal(config_to_yaml(&c, &yaml, &err), DLC_OK);
    m.config_yaml = yaml;
    const char *path = tu_tmp("heads.safetensors");
    assert_int_equal(model_save(&m, path, &err), DLC_OK);
    assert_int_equal(model_load(&back, path, 4, &err), DLC_OK);
    assert_int_equal(back.n_heads, 2);
    assert_string_equal(back.heads[0].name, "cls");
    assert_int_equal(back.heads[0].classes.n, K);
    assert_string_equal(back.heads[0].classes.v[2], "z");
    assert_int_equal(back.heads[1].loss, LOSS_MSE);
    tu_close(back.heads[1].weight, WEIGHT_SIZE, 0);
    assert_string_equal(back.heads[1].tasks.v[0], "size");
    model_free(&back);
    model_free(&m);
    data_free(&b);
    config_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_heads_figures),
        cmocka_unit_test(test_heads_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
