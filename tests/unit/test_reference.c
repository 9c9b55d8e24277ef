/* test_reference.c - ops, losses and optimizers against values PyTorch 1.13
 * computed (tests/data/make_reference.py).  Each comparison has its own
 * tolerance: float32 with a few roundings, so ~1e-5 relative. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/loss/loss.h"
#include "../../src/optim/optim.h"
#include "graphtest.h"
#include "testutil.h"

static graph *build_one(layer_spec *s, int in_dim, int N)
{
    tensor_shape in = {1, {in_dim}};
    graph *g = NULL;
    dlc_error err = {0};
    if (graph_build(&g, &in, s, 1, NULL, 0, N, &err) != DLC_OK) {
        print_error("%s\n", err.msg);
        fail();
    }
    graph_set_input_grad(g, 1, NULL);
    return g;
}

static void test_dense(void **state)
{
    tu_ref *r = tu_ref_load("dense");
    size_t n;
    layer_spec s = gt_spec("dense", "d");
    s.units = 4;
    graph *g = build_one(&s, 7, 5);
    memcpy(g->params[0].data, tu_ref_get(r, "w", NULL), sizeof(float) * 28);
    memcpy(g->params[1].data, tu_ref_get(r, "b", NULL), sizeof(float) * 4);
    const float *x = tu_ref_get(r, "x", &n);
    memcpy(graph_input(g, 0), x, sizeof(float) * n);
    graph_forward(g, 5, 1);
    graph_node *o = graph_output(g, 0);
    tu_assert_close("dense y", o->out, tu_ref_get(r, "y", NULL), 20, 1e-5, 1e-5);
    graph_zero_grad(g);
    memcpy(o->grad, tu_ref_get(r, "dy", NULL), sizeof(float) * 20);
    graph_backward(g, 5);
    tu_assert_close("dense dx", g->nodes[0].grad, tu_ref_get(r, "dx", NULL), 35, 1e-5, 1e-5);
    tu_assert_close("dense dw", g->params[0].grad, tu_ref_get(r, "dw", NULL), 28, 1e-5, 1e-5);
    tu_assert_close("dense db", g->params[1].grad, tu_ref_get(r, "db", NULL), 4, 1e-5, 1e-5);
    graph_free(g);
    tu_ref_free(r);
}

static void test_batchnorm(void **state)
{
    tu_ref *r = tu_ref_load("batchnorm");
    layer_spec s = gt_spec("batchnorm", "bn");
    s.momentum = 0.9f; /* PyTorch's momentum 0.1 */
    graph *g = build_one(&s, 3, 6);
    dlc_rng rng;
    dlc_rng_seed(&rng, 1, 1);
    graph_init_params(g, &rng);
    memcpy(g->params[0].data, tu_ref_get(r, "gamma", NULL), sizeof(float) * 3);
    memcpy(g->params[1].data, tu_ref_get(r, "beta", NULL), sizeof(float) * 3);
    memcpy(graph_input(g, 0), tu_ref_get(r, "x", NULL), sizeof(float) * 18);
    graph_forward(g, 6, 1);
    graph_node *o = graph_output(g, 0);
    tu_assert_close("bn y", o->out, tu_ref_get(r, "y", NULL), 18, 1e-5, 1e-4);
    tu_assert_close("bn running_mean", g->params[2].data, tu_ref_get(r, "running_mean", NULL), 3, 1e-6, 1e-5);
    tu_assert_close("bn running_var", g->params[3].data, tu_ref_get(r, "running_var", NULL), 3, 1e-6, 1e-5);
    graph_zero_grad(g);
    memcpy(o->grad, tu_ref_get(r, "dy", NULL), sizeof(float) * 18);
    graph_backward(g, 6);
    tu_assert_close("bn dx", g->nodes[0].grad, tu_ref_get(r, "dx", NULL), 18, 1e-5, 1e-4);
    tu_assert_close("bn dgamma", g->params[0].grad, tu_ref_get(r, "dgamma", NULL), 3, 1e-5, 1e-4);
    tu_assert_close("bn dbeta", g->params[1].grad, tu_ref_get(r, "dbeta", NULL), 3, 1e-5, 1e-4);
    /* evaluation uses the running statistics */
    graph_forward(g, 6, 0);
    const float *x = tu_ref_get(r, "x", NULL), *gamma = tu_ref_get(r, "gamma", NULL),
                *beta = tu_ref_get(r, "beta", NULL), *rm = tu_ref_get(r, "running_mean", NULL),
                *rv = tu_ref_get(r, "running_var", NULL);
    for (int i = 0; i < 18; i++) {
        int c = i % 3;
        double want = gamma[c] * (x[i] - rm[c]) / sqrt(rv[c] + 1e-5) + beta[c];
        tu_close(o->out[i], want, 1e-5);
    }
    graph_free(g);
    tu_ref_free(r);
}

/* A frozen batchnorm layer (gamma and beta not trainable) is frozen whole,
 * as Keras's trainable = False: training normalizes by the running values
 * and leaves them be; dx = gamma / sigma * dy (PyTorch's BatchNorm1d in
 * eval mode, whose gradient this is). */
static void test_batchnorm_frozen(void **state)
{
    tu_ref *r = tu_ref_load("batchnorm");
    layer_spec s = gt_spec("batchnorm", "bn");
    s.momentum = 0.9f;
    graph *g = build_one(&s, 3, 6);
    const float *x = tu_ref_get(r, "x", NULL), *gamma = tu_ref_get(r, "gamma", NULL),
                *beta = tu_ref_get(r, "beta", NULL), *rm = tu_ref_get(r, "running_mean", NULL),
                *rv = tu_ref_get(r, "running_var", NULL), *dy = tu_ref_get(r, "dy", NULL);
    memcpy(g->params[0].data, gamma, sizeof(float) * 3);
    memcpy(g->params[1].data, beta, sizeof(float) * 3);
    memcpy(g->params[2].data, rm, sizeof(float) * 3);
    memcpy(g->params[3].data, rv, sizeof(float) * 3);
    g->params[0].trainable = g->params[1].trainable = 0;
    memcpy(graph_input(g, 0), x, sizeof(float) * 18);
    graph_forward(g, 6, 1);
    graph_node *o = graph_output(g, 0);
    for (int i = 0; i < 18; i++) {
        int c = i % 3;
        tu_close(o->out[i], gamma[c] * (x[i] - rm[c]) / sqrt(rv[c] + 1e-5) + beta[c], 1e-5);
    }
    tu_assert_close("frozen bn running_mean", g->params[2].data, rm, 3, 0, 0);
    tu_assert_close("frozen bn running_var", g->params[3].data, rv, 3, 0, 0);
    graph_zero_grad(g);
    memcpy(o->grad, dy, sizeof(float) * 18);
    graph_backward(g, 6);
    for (int i = 0; i < 18; i++) {
        int c = i % 3;
        tu_close(g->nodes[0].grad[i], gamma[c] / sqrt(rv[c] + 1e-5) * dy[i], 1e-5);
    }
    graph_free(g);
    tu_ref_free(r);
}

static void test_activations(void **state)
{
    tu_ref *r = tu_ref_load("activations");
    const float *z = tu_ref_get(r, "z", NULL), *dy = tu_ref_get(r, "dy", NULL);
    const char *names[] = {"sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu", "softmax", "relu6", "silu",
                           "hardsigmoid", "hardswish"};
    act_kind kinds[] = {ACT_SIGMOID, ACT_TANH,    ACT_RELU,  ACT_LEAKY_RELU, ACT_ELU,        ACT_GELU,
                        ACT_SOFTMAX, ACT_RELU6, ACT_SILU, ACT_HARDSIGMOID, ACT_HARDSWISH};
    for (int k = 0; k < 11; k++) {
        float y[20], dz[20];
        float alpha = kinds[k] == ACT_ELU ? 1.0f : kinds[k] == ACT_HARDSIGMOID ? 1.0f / 6.0f : 0.01f;
        graph_act_forward(kinds[k], alpha, 0.5f, y, z, 4, 5);
        tu_assert_close(names[k], y, tu_ref_get(r, names[k], NULL), 20, 1e-6, 1e-5);
        graph_act_backward(kinds[k], alpha, dz, dy, y, z, 4, 5);
        char dname[32];
        snprintf(dname, sizeof dname, "d_%s", names[k]);
        tu_assert_close(dname, dz, tu_ref_get(r, dname, NULL), 20, 1e-6, 1e-5);
    }
    tu_ref_free(r);
}

/* Far from zero, where a shortcut that is exact in the middle overflows or
 * loses the answer: softmax over logits 200 apart (the row maximum must be
 * what is subtracted), the sigmoid and tanh saturating, elu flat. */
static void test_activations_extreme(void **state)
{
    const float z[6] = {150, -50, 100, -80, 40, -40};
    float y[6], dz[6];
    graph_act_forward(ACT_SOFTMAX, 0, 0.0f, y, z, 2, 3);
    /* row 0: e^-50 / (1 + e^-50 + e^-200), row 1 the same spread */
    tu_close(y[0], 1.0, 1e-7);
    tu_close(y[1], 0.0, 1e-30);
    tu_close(y[2], exp(-50.0), 1e-27);
    tu_close(y[3], 0.0, 1e-30);
    tu_close(y[4], 1.0, 1e-7);
    tu_close(y[5], exp(-80.0), 1e-40);
    graph_act_forward(ACT_SIGMOID, 0, 0.0f, y, z, 1, 6);
    tu_close(y[0], 1.0, 0);
    tu_close(y[1], exp(-50.0), 1e-27);
    tu_close(y[3], exp(-80.0), 1e-41);
    tu_close(y[5], 1.0 / (1.0 + exp(40.0)), 1e-22);
    graph_act_forward(ACT_TANH, 0, 0.0f, y, z, 1, 6);
    tu_close(y[0], 1.0, 0);
    tu_close(y[1], -1.0, 0);
    /* relu6 clips at 6; its derivative is 0 at and past both kinks (PyTorch's hardtanh_backward) */
    const float z6[6] = {-1, 0, 3, 6, 7, 5.5f}, want6[6] = {0, 0, 3, 6, 6, 5.5f}, dwant6[6] = {0, 0, 1, 0, 0, 1};
    const float ones6[6] = {1, 1, 1, 1, 1, 1};
    graph_act_forward(ACT_RELU6, 0, 0.0f, y, z6, 1, 6);
    tu_assert_close("relu6", y, want6, 6, 0, 0);
    graph_act_backward(ACT_RELU6, 0, dz, ones6, y, z6, 1, 6);
    tu_assert_close("d_relu6", dz, dwant6, 6, 0, 0);
    /* hardsigmoid and hardswish at and past their kinks +-3, PyTorch 1.13's values: hardsigmoid's
     * derivative is 0 at both, hardswish's z/3 + 1/2 on [-3, 3] with both ends in */
    const float zh[6] = {-4, -3, 0, 3, 3.5f, -1};
    const float want_hs[6] = {0, 0, 0.5f, 1, 1, 1.0f / 3}, dwant_hs[6] = {0, 0, 1.0f / 6, 0, 0, 1.0f / 6};
    const float want_hw[6] = {0, 0, 0, 3, 3.5f, -1.0f / 3}, dwant_hw[6] = {0, -0.5f, 0.5f, 1.5f, 1, 1.0f / 6};
    graph_act_forward(ACT_HARDSIGMOID, 1.0f / 6.0f, 0.5f, y, zh, 1, 6);
    tu_assert_close("hardsigmoid", y, want_hs, 6, 1e-7, 1e-6);
    graph_act_backward(ACT_HARDSIGMOID, 1.0f / 6.0f, dz, ones6, y, zh, 1, 6);
    tu_assert_close("d_hardsigmoid", dz, dwant_hs, 6, 1e-7, 1e-6);
    /* ONNX's HardSigmoid with its default alpha 0.2, beta 0.5 (Keras' hard_sigmoid): kinks at +-2.5 */
    const float zk[6] = {-3, -2.5f, 0, 1, 2.5f, 4}, want_k[6] = {0, 0, 0.5f, 0.7f, 1, 1};
    const float dwant_k[6] = {0, 0, 0.2f, 0.2f, 0, 0};
    graph_act_forward(ACT_HARDSIGMOID, 0.2f, 0.5f, y, zk, 1, 6);
    tu_assert_close("hardsigmoid 0.2, 0.5", y, want_k, 6, 1e-7, 1e-6);
    graph_act_backward(ACT_HARDSIGMOID, 0.2f, dz, ones6, y, zk, 1, 6);
    tu_assert_close("d_hardsigmoid 0.2, 0.5", dz, dwant_k, 6, 1e-7, 1e-6);
    graph_act_forward(ACT_HARDSWISH, 0, 0.0f, y, zh, 1, 6);
    tu_assert_close("hardswish", y, want_hw, 6, 1e-7, 1e-6);
    graph_act_backward(ACT_HARDSWISH, 0, dz, ones6, y, zh, 1, 6);
    tu_assert_close("d_hardswish", dz, dwant_hw, 6, 1e-7, 1e-6);
    graph_act_forward(ACT_ELU, 1.0f, 0.0f, y, z, 1, 6);
    tu_close(y[1], -1.0, 1e-7);
    const float ones[6] = {1, 1, 1, 1, 1, 1};
    graph_act_backward(ACT_ELU, 1.0f, dz, ones, y, z, 1, 6);
    tu_close(dz[0], 1.0, 0);
    tu_close(dz[1], exp(-50.0), 1e-20);
    for (int i = 0; i < 6; i++)
        assert_true(isfinite(y[i]) && isfinite(dz[i]));
}

static void check_loss(tu_ref *r, loss_kind k, const char *prefix, const char *in, tensor_shape shape,
                       int N)
{
    char a[32], b[32], c[32], d[32];
    snprintf(a, sizeof a, "%s_%s", prefix, in);
    snprintf(b, sizeof b, "%s_target", prefix);
    snprintf(c, sizeof c, "%s_loss", prefix);
    snprintf(d, sizeof d, "%s_grad", prefix);
    size_t n;
    const float *z = tu_ref_get(r, a, &n);
    float grad[64] = {0};
    loss_stats st = {0};
    loss_compute(k, grad, z, tu_ref_get(r, b, NULL), N, &shape, 1.0f, &st);
    tu_close(st.sum / st.count, tu_ref_get(r, c, NULL)[0], 1e-5);
    tu_assert_close(d, grad, tu_ref_get(r, d, NULL), n, 1e-6, 1e-5);
}

/* What the losses count as correct: the softmax's first largest logit (as
 * PyTorch's argmax: a tie goes to the lower class id), a sigmoid output's
 * sign (p > 0.5 exactly when z > 0, so a logit of 0.3 says class 1). */
static void test_loss_accuracy(void **state)
{
    const float z[9] = {2, 2, 1, /* tie: class 0 */ 0, 3, 3, /* tie: class 1 */ 5, -1, 5};
    const float t[3] = {0, 1, 2};
    loss_stats st = {0};
    loss_compute(LOSS_SOFTMAX_CE, NULL, z, t, 3, &(tensor_shape){1, {3}}, 1.0f, &st);
    tu_close(st.correct, 2, 0); /* the third row's tie goes to class 0, not 2 */
    tu_close(st.judged, 3, 0);
    const float zb[4] = {0.3f, -0.3f, 0.7f, -0.1f}, tb[4] = {1, 0, 0, 1};
    loss_stats sb = {0};
    loss_compute(LOSS_SIGMOID_BCE, NULL, zb, tb, 4, &(tensor_shape){1, {1}}, 1.0f, &sb);
    tu_close(sb.correct, 2, 0);
    tu_close(sb.judged, 4, 0);
}

static void test_losses(void **state)
{
    tu_ref *r = tu_ref_load("losses");
    check_loss(r, LOSS_SOFTMAX_CE, "ce", "logits", (tensor_shape){1, {4}}, 6);
    check_loss(r, LOSS_SIGMOID_BCE, "bce", "logits", (tensor_shape){1, {1}}, 6);
    check_loss(r, LOSS_MSE, "mse", "pred", (tensor_shape){1, {2}}, 5);
    tu_ref_free(r);
}

/* The softmax loss's own exponential (tensor_exp_sum / tensor_exp_axpy)
 * against double-precision exp: per value over [-87, 0] through both the
 * 8-wide and the tail paths, a NaN carried through, and the loss and its
 * gradient on rows wider than 8 against the formula in double. */
static void test_softmax_exp(void **state)
{
    double worst = 0;
    float x[8];
    for (int i = 0; i <= 200000; i++) {
        float v = -87.0f * (float)i / 200000.0f;
        double want = exp((double)v);
        double one = tensor_exp_sum(&v, 0.0f, 1);
        worst = fmax(worst, fabs(one - want) / want);
        for (int k = 0; k < 8; k++)
            x[k] = v;
        double eight = tensor_exp_sum(x, 0.0f, 8);
        worst = fmax(worst, fabs(eight / 8 - want) / want);
    }
    assert_true(worst < 4e-7);
    float y[8] = {0};
    tensor_exp_axpy(y, 2.0f, (const float[8]){0, -1, -2, -3, -4, -5, -6, -7}, 0.0f, 8);
    for (int k = 0; k < 8; k++)
        tu_close(y[k], 2 * exp(-k), 4e-7 * 2);
    float nan_row[16];
    for (int k = 0; k < 16; k++)
        nan_row[k] = -(float)k;
    nan_row[11] = NAN;
    assert_true(isnan(tensor_exp_sum(nan_row, 0.0f, 16)));
    float dy[16] = {0};
    tensor_exp_axpy(dy, 1.0f, nan_row, 0.0f, 16);
    assert_true(isnan(dy[11]) && !isnan(dy[10]));

    enum { N = 3, K = 37 };
    float z[N * K], grad[N * K];
    const float t[N] = {5, 36, 0};
    for (int i = 0; i < N * K; i++)
        z[i] = (float)(sin(i * 1.7) * 6);
    memset(grad, 0, sizeof grad);
    loss_stats st = {0};
    loss_compute(LOSS_SOFTMAX_CE, grad, z, t, N, &(tensor_shape){1, {K}}, 1.0f, &st);
    double want_loss = 0;
    for (int r = 0; r < N; r++) {
        double m = -1e30, s = 0;
        for (int j = 0; j < K; j++)
            m = fmax(m, z[r * K + j]);
        for (int j = 0; j < K; j++)
            s += exp(z[r * K + j] - m);
        want_loss += log(s) + m - z[r * K + (int)t[r]];
        for (int j = 0; j < K; j++) {
            double g = (exp(z[r * K + j] - m) / s - (j == (int)t[r])) / N;
            tu_close(grad[r * K + j], g, 1e-7);
        }
    }
    tu_close(st.sum / st.count, want_loss / N, 1e-6);
}

/* Each optimizer's four steps from w0 as torch.optim computes them
 * (SGD's weight_decay is an L2 term before its momentum: dlc's l2). */
static void test_optimizers(void **state)
{
    tu_ref *r = tu_ref_load("optimizers");
    const float *w0 = tu_ref_get(r, "w0", NULL), *grads = tu_ref_get(r, "grads", NULL);
    static const struct {
        const char *name;
        optim_kind kind;
        double momentum, dampening, weight_decay;
        int nesterov;
        float l2;
        double beta2;
        int amsgrad;
    } cases[] = {
        {"adam", OPT_ADAM, 0, 0, 0, 0, 0, 0.999, 0},
        {"rmsprop", OPT_RMSPROP, 0, 0, 0, 0, 0, 0.999, 0},
        {"sgd", OPT_SGD, 0, 0, 0, 0, 0, 0.999, 0},
        {"sgd_momentum", OPT_SGD, 0.9, 0, 0, 0, 0, 0.999, 0},
        {"sgd_dampening", OPT_SGD, 0.9, 0.3, 0, 0, 0, 0.999, 0},
        {"sgd_nesterov", OPT_SGD, 0.9, 0, 0, 1, 0.1f, 0.999, 0},
        {"adamw", OPT_ADAMW, 0, 0, 0.5, 0, 0, 0.999, 0},
        {"adam_amsgrad", OPT_ADAM, 0, 0, 0, 0, 0, 0.9, 1},
        {"adamw_amsgrad", OPT_ADAMW, 0, 0, 0.5, 0, 0, 0.9, 1},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        optim_config c = {.type = cases[k].kind, .lr = 0.01, .momentum = cases[k].momentum,
                          .beta1 = 0.9, .beta2 = cases[k].beta2, .rho = 0.9, .eps = 1e-8,
                          .dampening = cases[k].dampening, .nesterov = cases[k].nesterov,
                          .weight_decay = cases[k].weight_decay, .amsgrad = cases[k].amsgrad};
        optim *o;
        assert_int_equal(optim_create(&o, &c, 6, NULL), DLC_OK);
        float w[6];
        memcpy(w, w0, sizeof w);
        for (int s = 0; s < 4; s++) {
            optim_begin_step(o);
            optim_step(o, w, grads + 6 * s, 0, 6, 0.01f, 1.0f, cases[k].l2, 1);
        }
        tu_assert_close(cases[k].name, w, tu_ref_get(r, cases[k].name, NULL), 6, 1e-6, 1e-5);
        optim_free(o);
    }
    tu_ref_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dense),       cmocka_unit_test(test_batchnorm),
        cmocka_unit_test(test_batchnorm_frozen),
        cmocka_unit_test(test_activations), cmocka_unit_test(test_losses),
        cmocka_unit_test(test_optimizers),  cmocka_unit_test(test_softmax_exp),
        cmocka_unit_test(test_activations_extreme), cmocka_unit_test(test_loss_accuracy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
