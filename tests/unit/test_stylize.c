/* test_stylize.c - style transfer: its costs against PyTorch (the notes'
 * formulas on unnormalized Gram matrices, tests/data/make_reference_style.py). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "../../src/graph/graph.h"
#include "../../src/loss/loss.h"
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
    graph_set_input_grad(g, 1);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_costs_reference),
        cmocka_unit_test(test_style_chain_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
