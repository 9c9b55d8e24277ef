/* test_loss.c - the loss table: every row complete and named as the config
 * names it, lookups by name, and each row's target and shape rules (the
 * rows' gradients are checked numerically in test_metric.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

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
    assert_int_equal(ce->target_size(&seq), 5);
    assert_non_null(ce->check_shape(&one));
    assert_null(ce->check_shape(&seq));
    assert_true(ce->has_classes);
    assert_int_equal(ce->link, ACT_SOFTMAX);
    assert_int_equal(ce->target, LOSS_TARGET_CLASS);
    /* bce and mse: one target per output value */
    assert_int_equal(bce->target_size(&seq), 35);
    assert_int_equal(mse->target_size(&seq), 35);
    assert_null(bce->check_shape(&one));
    assert_false(bce->has_classes);
    assert_int_equal(bce->link, ACT_SIGMOID);
    assert_int_equal(mse->link, ACT_LINEAR);
    assert_int_equal(mse->target, LOSS_TARGET_NUMERIC);
    /* metric learning: one class id (triplet) or same flag (contrastive) per
     * example, on one vector per example; embeddings, with margins */
    const loss_def *tri = loss_get(LOSS_TRIPLET), *con = loss_get(LOSS_CONTRASTIVE);
    tensor_shape vec = {1, {16}};
    assert_int_equal(tri->target_size(&vec), 1);
    assert_int_equal(con->target_size(&vec), 1);
    assert_null(tri->check_shape(&vec));
    assert_non_null(tri->check_shape(&seq));
    assert_non_null(con->check_shape(&seq));
    assert_int_equal(tri->target, LOSS_TARGET_CLASS);
    assert_int_equal(con->target, LOSS_TARGET_BINARY);
    assert_false(tri->has_classes);
    assert_true(tri->embedding && con->embedding);
    assert_false(ce->embedding || bce->embedding || mse->embedding);
    tu_close(loss_margin(LOSS_TRIPLET, NULL), 0.2, 0);
    tu_close(loss_margin(LOSS_CONTRASTIVE, NULL), 1.0, 0);
    loss_opts o = {0.7, LOSS_MINE_HARD, LOSS_AVG_ALL, 0};
    tu_close(loss_margin(LOSS_TRIPLET, &o), 0.7, 0);
    assert_int_equal(loss_scratch_size(LOSS_TRIPLET, 32), 32);
    assert_int_equal(loss_scratch_size(LOSS_MSE, 32), 0);
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
        cmocka_unit_test(test_stats),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
