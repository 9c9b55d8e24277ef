/* test_loss.c - the loss table: every row complete and named as the config
 * names it, lookups by name, each row's target and shape rules, and a
 * numerical gradient check of the style transfer rows (the metric rows'
 * gradients are checked numerically in test_metric.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "../../src/base/rng.h"
#include "../../src/graph/graph.h"
#include "../../src/loss/loss.h"
#include "testutil.h"

static void test_table_rows(void **state)
{
    (void)state;
    for (int k = 0; k < LOSS_COUNT; k++) {
        const loss_def *d = loss_get((loss_kind)k);
        assert_non_null(d->name);
        assert_string_equal(d->name, loss_names[k]);
        assert_non_null(d->compute);
        assert_non_null(d->target_size);
        assert_non_null(d->check_shape);
        assert_true(d->link >= 0 && d->link < ACT_COUNT);
        assert_true(d->target >= 0 && d->target < LOSS_TARGET_COUNT);
        assert_int_equal(loss_find(d->name), k);
    }
    assert_null(loss_names[LOSS_COUNT]);
    assert_int_equal(loss_find("no_such_loss"), -1);
}

static void test_rows_rules(void **state)
{
    (void)state;
    tensor_shape seq = {2, {5, 7}}, one = {1, {1}};
    const loss_def *ce = loss_get(LOSS_SOFTMAX_CE), *bce = loss_get(LOSS_SIGMOID_BCE),
                   *mse = loss_get(LOSS_MSE);
    /* softmax: one class id per row of the last axis; needs 2 classes */
    assert_int_equal(ce->target_size(&seq, NULL), 5);
    assert_non_null(ce->check_shape(&one, NULL));
    assert_null(ce->check_shape(&seq, NULL));
    assert_true(ce->has_classes);
    assert_int_equal(ce->link, ACT_SOFTMAX);
    assert_int_equal(ce->target, LOSS_TARGET_CLASS);
    /* bce and mse: one target per output value */
    assert_int_equal(bce->target_size(&seq, NULL), 35);
    assert_int_equal(mse->target_size(&seq, NULL), 35);
    assert_null(bce->check_shape(&one, NULL));
    assert_false(bce->has_classes);
    assert_int_equal(bce->link, ACT_SIGMOID);
    assert_int_equal(mse->link, ACT_LINEAR);
    assert_int_equal(mse->target, LOSS_TARGET_NUMERIC);
    /* metric learning: one class id (triplet) or same flag (contrastive) per
     * example, on one vector per example; embeddings, with margins */
    const loss_def *tri = loss_get(LOSS_TRIPLET), *con = loss_get(LOSS_CONTRASTIVE);
    tensor_shape vec = {1, {16}};
    assert_int_equal(tri->target_size(&vec, NULL), 1);
    assert_int_equal(con->target_size(&vec, NULL), 1);
    assert_null(tri->check_shape(&vec, NULL));
    assert_non_null(tri->check_shape(&seq, NULL));
    assert_non_null(con->check_shape(&seq, NULL));
    assert_int_equal(tri->target, LOSS_TARGET_CLASS);
    assert_int_equal(con->target, LOSS_TARGET_BINARY);
    assert_false(tri->has_classes);
    assert_true(tri->embedding && con->embedding);
    assert_false(ce->embedding || bce->embedding || mse->embedding);
    tu_close(loss_margin(LOSS_TRIPLET, NULL), 0.2, 0);
    tu_close(loss_margin(LOSS_CONTRASTIVE, NULL), 1.0, 0);
    loss_opts o = {.margin = 0.7, .mining = LOSS_MINE_HARD, .average = LOSS_AVG_ALL};
    tu_close(loss_margin(LOSS_TRIPLET, &o), 0.7, 0);
    assert_int_equal(loss_scratch_size(LOSS_TRIPLET, 32), 32);
    assert_int_equal(loss_scratch_size(LOSS_MSE, 32), 0);
}

static void test_style_rows(void **state)
{
    (void)state;
    tensor_shape map = {3, {2, 3, 4}}, gram = {2, {3, 3}}, rect = {2, {3, 4}};
    const loss_def *content = loss_get(LOSS_CONTENT), *style = loss_get(LOSS_STYLE),
                   *tv = loss_get(LOSS_TOTAL_VARIATION);
    /* content: one target per activation, any shape */
    assert_int_equal(content->target_size(&map, NULL), 24);
    assert_null(content->check_shape(&map, NULL));
    /* style: a square Gram matrix only, one target per entry */
    assert_null(style->check_shape(&gram, NULL));
    assert_non_null(style->check_shape(&rect, NULL));
    assert_non_null(style->check_shape(&map, NULL));
    assert_int_equal(style->target_size(&gram, NULL), 9);
    /* total variation: an image, no targets */
    assert_null(tv->check_shape(&map, NULL));
    assert_non_null(tv->check_shape(&gram, NULL));
    assert_int_equal(tv->target_size(&map, NULL), 0);
    for (int k = LOSS_CONTENT; k <= LOSS_TOTAL_VARIATION; k++) {
        assert_int_equal(loss_get((loss_kind)k)->link, ACT_LINEAR);
        assert_false(loss_get((loss_kind)k)->has_classes);
    }
}

/* Hand-worked values: content 1/2 sum d^2, style 1/4 sum d^2 (per example,
 * averaged over examples), total variation sum of squared neighbour
 * differences. */
static void test_style_values(void **state)
{
    (void)state;
    /* two examples of 2 values: d = (1, 2) and (0, -3) -> (2.5 + 4.5) / 2 */
    const float z[4] = {1, 3, 0, 0}, t[4] = {0, 1, 0, 3};
    float dz[4] = {0};
    loss_stats st = {0};
    loss_compute(LOSS_CONTENT, dz, z, t, 2, &(tensor_shape){1, {2}}, 1.0f, &st);
    tu_close(loss_mean(&st), 3.5, 1e-12);
    tu_close(dz[1], 1.0, 1e-6); /* d / N */
    tu_close(dz[3], -1.5, 1e-6);
    memset(&st, 0, sizeof st);
    memset(dz, 0, sizeof dz);
    loss_compute(LOSS_STYLE, dz, z, t, 1, &(tensor_shape){2, {2, 2}}, 2.0f, &st);
    tu_close(loss_mean(&st), 0.25 * (1 + 4 + 0 + 9), 1e-12);
    tu_close(dz[3], 2.0 * 0.5 * -3, 1e-6); /* weight * d / 2 */
    /* a 2 x 2 image [[0, 1], [3, 5]]: across 1, 4; down 9, 16 */
    const float x[4] = {0, 1, 3, 5};
    float dx[4] = {0};
    memset(&st, 0, sizeof st);
    loss_compute(LOSS_TOTAL_VARIATION, dx, x, NULL, 1, &(tensor_shape){3, {1, 2, 2}}, 1.0f, &st);
    tu_close(loss_mean(&st), 30.0, 1e-12);
    tu_close(dx[0], -2.0 * (1 + 3), 1e-6);
    tu_close(dx[3], 2.0 * (2 + 4), 1e-6);
}

/* The first of a few shapes that the row accepts. */
static const tensor_shape *shape_for(const loss_def *d)
{
    static const tensor_shape candidates[] = {{3, {2, 4, 5}}, {2, {4, 4}}, {1, {5}}};
    for (size_t i = 0; i < sizeof candidates / sizeof candidates[0]; i++)
        if (!d->check_shape(&candidates[i], NULL))
            return &candidates[i];
    return NULL;
}

static double mean_loss(loss_kind k, const float *z, const float *t, int N, const tensor_shape *s)
{
    loss_stats st = {0};
    loss_compute(k, NULL, z, t, N, s, 1.0f, &st);
    return loss_mean(&st);
}

/* Every row but the metric ones (test_metric.c checks those with their
 * mining options) and the detection ones (test_detect_loss.c): weight x d(mean loss)/d(out) against central
 * differences, on targets of the row's kind with an unknown one among them. */
static void test_gradients(void **state)
{
    (void)state;
    enum { N = 3 };
    dlc_rng rng;
    dlc_rng_seed(&rng, 7, 0);
    for (int k = 0; k < LOSS_COUNT; k++) {
        const loss_def *d = loss_get((loss_kind)k);
        /* the detection rows read object slots: test_detect_loss.c checks them */
        if (k == LOSS_TRIPLET || k == LOSS_CONTRASTIVE || d->target == LOSS_TARGET_OBJECTS)
            continue;
        const tensor_shape *s = shape_for(d);
        if (!s) {
            print_error("loss %s accepts none of the test shapes: add one\n", d->name);
            fail();
        }
        size_t D = tensor_shape_size(s), T = d->target_size(s, NULL), K = (size_t)s->d[s->ndim - 1];
        float z[N * 40], t[N * 40 + 1], dz[N * 40] = {0};
        for (size_t i = 0; i < N * D; i++)
            z[i] = (float)dlc_rng_normal(&rng);
        for (size_t i = 0; i < N * T; i++) {
            if (d->target == LOSS_TARGET_CLASS)
                t[i] = (float)dlc_rng_below(&rng, K);
            else if (d->target == LOSS_TARGET_BINARY)
                t[i] = (float)(dlc_rng_below(&rng, 2));
            else
                t[i] = (float)dlc_rng_normal(&rng);
        }
        if (T > 1)
            t[1] = NAN; /* an unknown target adds nothing */
        loss_stats st = {0};
        const float weight = 0.7f;
        loss_compute((loss_kind)k, dz, z, T ? t : NULL, N, s, weight, &st);
        for (size_t i = 0; i < N * D; i++) {
            const float h = 1e-2f, keep = z[i];
            z[i] = keep + h;
            double up = mean_loss((loss_kind)k, z, T ? t : NULL, N, s);
            z[i] = keep - h;
            double down = mean_loss((loss_kind)k, z, T ? t : NULL, N, s);
            z[i] = keep;
            double num = weight * (up - down) / (2.0 * h);
            if (fabs(num - dz[i]) > 2e-3 * fmax(1.0, fabs(num))) {
                print_error("loss %s: d/dout[%zu] analytic %.6g, numeric %.6g\n", d->name, i,
                            dz[i], num);
                fail();
            }
        }
    }
}

/* softmax_cross_entropy with label smoothing eps: the values PyTorch 1.13's
 * CrossEntropyLoss(label_smoothing=0.3) gives for these logits and classes
 * (loss 1.6308682, the gradient of the mean), then the gradient against
 * central differences at eps = 0.15 with an unknown target among them. */
static void test_label_smoothing(void **state)
{
    (void)state;
    const tensor_shape s = {1, {3}};
    float z[6] = {1, 2, 3, 0.5f, -1, 0}, t[2] = {0, 2}, dz[6] = {0};
    loss_opts o = {0};
    o.label_smoothing = 0.3;
    loss_stats st = {0};
    loss_call c = {.out = z, .targets = t, .N = 2, .shape = &s, .weight = 1, .dout = dz, .opts = &o};
    loss_run(LOSS_SOFTMAX_CE, &c, &st);
    tu_close(loss_mean(&st), 1.6308681964874268, 1e-6);
    const double torch_grad[6] = {-0.35498470067977905, 0.07236424088478088, 0.28262048959732056,
                                  0.22327469289302826, 0.01097581535577774, -0.2342505306005478};
    for (int i = 0; i < 6; i++)
        tu_close(dz[i], torch_grad[i], 1e-6);

    enum { N = 3, K = 5 };
    const tensor_shape sk = {1, {K}};
    dlc_rng rng;
    dlc_rng_seed(&rng, 11, 0);
    float zz[N * K], tt[N] = {4, NAN, 1}, dd[N * K] = {0};
    for (int i = 0; i < N * K; i++)
        zz[i] = (float)dlc_rng_normal(&rng);
    o.label_smoothing = 0.15;
    memset(&st, 0, sizeof st);
    c = (loss_call){.out = zz, .targets = tt, .N = N, .shape = &sk, .weight = 0.7f, .dout = dd,
                    .opts = &o};
    loss_run(LOSS_SOFTMAX_CE, &c, &st);
    for (int i = 0; i < N * K; i++) {
        const float h = 1e-2f, keep = zz[i];
        double f[2];
        for (int side = 0; side < 2; side++) {
            zz[i] = keep + (side ? -h : h);
            loss_stats q = {0};
            loss_call cq = {.out = zz, .targets = tt, .N = N, .shape = &sk, .weight = 1, .opts = &o};
            loss_run(LOSS_SOFTMAX_CE, &cq, &q);
            f[side] = loss_mean(&q);
        }
        zz[i] = keep;
        tu_close(dd[i], 0.7 * (f[0] - f[1]) / (2.0 * h), 2e-3);
    }
    /* the unknown target's row adds nothing */
    for (int j = 0; j < K; j++)
        assert_true(dd[K + j] == 0.0f);
}

static void test_stats(void **state)
{
    (void)state;
    loss_stats a = {0}, b = {2.0, 4.0, 3.0, 4.0, 1.0};
    assert_true(isnan(loss_mean(&a)));
    assert_true(isnan(loss_accuracy(&a)));
    loss_stats_add(&a, &b);
    loss_stats_add(&a, &b);
    tu_close(loss_mean(&a), 0.5, 0);
    tu_close(loss_accuracy(&a), 0.75, 0);
    tu_close(a.positive, 2.0, 0);
    /* judged, nothing to average: a triplet batch meeting every margin */
    loss_stats met = {0.0, 0.0, 3.0, 3.0, 0.0};
    tu_close(loss_mean(&met), 0.0, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_rows),
        cmocka_unit_test(test_rows_rules),
        cmocka_unit_test(test_style_rows),
        cmocka_unit_test(test_style_values),
        cmocka_unit_test(test_gradients),
        cmocka_unit_test(test_label_smoothing),
        cmocka_unit_test(test_stats),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
