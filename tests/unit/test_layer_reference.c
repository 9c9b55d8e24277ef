/* test_layer_reference.c - layers against values PyTorch 1.13 computed
 * (tests/data/make_reference_more_layers.py): both GRU forms (the simplified one
 * as nn.GRU with its reset gate open, the full one in the notes' form, whose
 * formula the script checks against nn.GRU where the two agree), plain RNNs
 * (tanh both ways, relu), embedding with a padding id, concat on two axes,
 * global and time pooling (over padded sequences), dropout's values and
 * expectation, and batchnorm on inputs whose variance is below eps.
 * The references were computed in double from inputs float32 holds exactly;
 * tolerances allow float32 arithmetic over a few steps. */
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

/* A reference array into parameter `param`, a buffer or the model input, or
 * compared with got (each reads the array's size first). */
static void ref_param(graph *g, const char *param, tu_ref *r, const char *name)
{
    size_t n;
    const float *v = tu_ref_get(r, name, &n);
    gt_set_param(g, param, v, n);
}

static void ref_into(float *dst, tu_ref *r, const char *name)
{
    size_t n;
    const float *v = tu_ref_get(r, name, &n);
    memcpy(dst, v, sizeof(float) * n);
}

static void ref_input(graph *g, tu_ref *r, const char *name)
{
    ref_into(graph_input(g, 0), r, name);
}

static void ref_expect(const char *what, const float *got, tu_ref *r, const char *name, double atol,
                       double rtol)
{
    size_t n;
    const float *want = tu_ref_get(r, name, &n);
    tu_assert_close(what, got, want, n, atol, rtol);
}

/* A direction's parameters; reset_after's GRU has a fourth, b_hn */
static const char *const rnn_names[] = {"weight_ih", "weight_hh", "bias", "bias_hn"};

/* One recurrent layer "r" over x (N, T, D) from the reference, every step
 * returned; compares y, then backward from dy: dx and every parameter's
 * gradient (dirs directions). */
static void check_recurrent(const char *ref, layer_spec s, int N, int T, int D, int H, int dirs)
{
    tu_ref *r = tu_ref_load(ref);
    size_t n;
    strcpy(s.name, "r");
    s.units = H;
    s.return_sequences = 1;
    s.bidirectional = dirs == 2;
    tensor_shape in = {2, {T, D}};
    graph *g = gt_build(&in, &s, 1, N);
    assert_int_equal(graph_set_input_grad(g, 1, NULL), DLC_OK);
    const int per = s.op == OP_GRU && s.variant == GRU_RESET_AFTER ? 4 : 3;
    for (int k = 0; k < per * dirs; k++) {
        char full[48];
        snprintf(full, sizeof full, "r.%s%s", rnn_names[k % per], k < per ? "" : "_reverse");
        const float *v = tu_ref_get(r, full + 2, &n);
        gt_set_param(g, full, v, n);
    }
    const float *x = tu_ref_get(r, "x", &n);
    memcpy(graph_input(g, 0), x, sizeof(float) * n);
    graph_forward(g, N, 1);
    graph_node *o = graph_output(g, 0);
    const float *y = tu_ref_get(r, "y", &n);
    assert_int_equal(n, (size_t)N * o->size);
    tu_assert_close(ref, o->out, y, n, 1e-5, 1e-4);
    graph_zero_grad(g);
    ref_into(o->grad, r, "dy");
    graph_backward(g, N);
    ref_expect("dx", g->nodes[0].grad, r, "dx", 1e-5, 1e-4);
    for (int k = 0; k < per * dirs; k++) {
        char full[48], dname[48];
        snprintf(full, sizeof full, "r.%s%s", rnn_names[k % per], k < per ? "" : "_reverse");
        snprintf(dname, sizeof dname, "d_%s", full + 2);
        const float *want = tu_ref_get(r, dname, &n);
        tu_assert_close(dname, gt_param_grad(g, full), want, n, 1e-5, 1e-4);
    }
    graph_free(g);
    tu_ref_free(r);
}

static void test_gru_simplified(void **state)
{
    layer_spec s = gt_spec("gru", "r");
    s.variant = GRU_SIMPLIFIED;
    check_recurrent("gru_simplified", s, 3, 4, 3, 5, 1);
}

static void test_gru_full(void **state)
{
    layer_spec s = gt_spec("gru", "r");
    s.variant = GRU_FULL;
    check_recurrent("gru_full", s, 3, 4, 3, 5, 1);

    /* with U_c diagonal the notes' form is nn.GRU's: dlc against nn.GRU itself */
    tu_ref *r = tu_ref_load("gru_full");
    size_t n;
    s.units = 5;
    s.return_sequences = 1;
    tensor_shape in = {2, {4, 3}};
    graph *g = gt_build(&in, &s, 1, 3);
    ref_param(g, "r.weight_ih", r, "weight_ih");
    ref_param(g, "r.weight_hh", r, "weight_hh_diag");
    ref_param(g, "r.bias", r, "bias");
    ref_input(g, r, "x");
    graph_forward(g, 3, 0);
    const float *want = tu_ref_get(r, "y_diag", &n);
    tu_assert_close("gru vs nn.GRU", graph_output(g, 0)->out, want, n, 1e-5, 1e-4);
    graph_free(g);
    tu_ref_free(r);
}

/* nn.GRU itself, both directions: the reset gate after the product, b_hn */
static void test_gru_reset_after(void **state)
{
    (void)state;
    layer_spec s = gt_spec("gru", "r");
    s.variant = GRU_RESET_AFTER;
    s.bidirectional = 1;
    check_recurrent("gru_reset_after", s, 3, 4, 3, 5, 2);
}

static void test_rnn(void **state)
{
    layer_spec s = gt_spec("rnn", "r");
    s.nonlinearity = RNN_CELL_TANH;
    check_recurrent("rnn_tanh", s, 3, 4, 3, 5, 2);
    s.nonlinearity = RNN_CELL_RELU;
    check_recurrent("rnn_relu", s, 3, 4, 3, 5, 1);
}

static void test_embedding_padding(void **state)
{
    tu_ref *r = tu_ref_load("embedding_pad");
    layer_spec s = gt_spec("embedding", "emb");
    s.units = 4;
    s.vocab = 7;
    s.pad_id = 0;
    tensor_shape in = {1, {5}};
    graph *g = gt_build(&in, &s, 1, 2);
    /* initialisation zeroes the padding row, as nn.Embedding does */
    dlc_rng rng;
    dlc_rng_seed(&rng, 3, 0);
    graph_init_params(g, &rng);
    for (int j = 0; j < 4; j++)
        tu_close(g->params[0].data[j], 0.0, 0.0);
    ref_param(g, "emb.weight", r, "weight");
    ref_input(g, r, "ids");
    graph_forward(g, 2, 1);
    graph_node *o = graph_output(g, 0);
    ref_expect("embedding y", o->out, r, "y", 0, 0);
    graph_zero_grad(g);
    ref_into(o->grad, r, "dy");
    graph_backward(g, 2);
    /* repeated ids add up; the padding row gets nothing */
    ref_expect("embedding dW", gt_param_grad(g, "emb.weight"), r, "d_weight", 1e-6, 1e-5);
    /* the padded positions end the sequences: lengths 5 and 5 (padding inside
     * a sequence does not shorten it), as the recurrent layers read them */
    assert_int_equal(g->seq_len[0], 5);
    assert_int_equal(g->seq_len[1], 5);
    graph_free(g);
    tu_ref_free(r);
}

/* The model input holds a then b (per sample); two dense layers with 0/1
 * weights pick them out exactly, reshapes give them their shapes, and the
 * concat joins them on `axis`.  The input gradient is then [da, db]. */
static void check_concat(tu_ref *r, const char *na, const char *nb, int rows_a, int cols_a,
                         int rows_b, int cols_b, int axis, const char *ny, const char *ndy)
{
    const int N = 2, A = rows_a * cols_a, B = rows_b * cols_b, IN = A + B;
    layer_spec s[5] = {gt_spec("dense", "pick_a"), gt_spec("reshape", "a"), gt_spec("dense", "pick_b"),
                       gt_spec("reshape", "b"), gt_spec("concat", "cat")};
    s[0].units = A;
    s[0].use_bias = 0;
    s[1].target_ndim = 2;
    s[1].target[0] = rows_a;
    s[1].target[1] = cols_a;
    s[2].units = B;
    s[2].use_bias = 0;
    gt_inputs(&s[2], "input", NULL);
    s[3].target_ndim = 2;
    s[3].target[0] = rows_b;
    s[3].target[1] = cols_b;
    s[4].axis = axis;
    gt_inputs(&s[4], "a", "b");
    tensor_shape in = {1, {IN}};
    graph *g = gt_build(&in, s, 5, N);
    assert_int_equal(graph_set_input_grad(g, 1, NULL), DLC_OK);
    float *wa = g->params[graph_param_find(g, "pick_a.weight")].data;
    float *wb = g->params[graph_param_find(g, "pick_b.weight")].data;
    memset(wa, 0, sizeof(float) * (size_t)A * IN);
    memset(wb, 0, sizeof(float) * (size_t)B * IN);
    for (int j = 0; j < A; j++)
        wa[(size_t)j * IN + j] = 1.0f;
    for (int j = 0; j < B; j++)
        wb[(size_t)j * IN + A + j] = 1.0f;
    const float *a = tu_ref_get(r, na, NULL), *b = tu_ref_get(r, nb, NULL);
    float *x = graph_input(g, 0);
    for (int i = 0; i < N; i++) {
        memcpy(x + (size_t)i * IN, a + (size_t)i * A, sizeof(float) * (size_t)A);
        memcpy(x + (size_t)i * IN + A, b + (size_t)i * B, sizeof(float) * (size_t)B);
    }
    graph_forward(g, N, 1);
    graph_node *o = graph_output(g, 0);
    ref_expect(ny, o->out, r, ny, 0, 0);
    graph_zero_grad(g);
    ref_into(o->grad, r, ndy);
    graph_backward(g, N);
    /* the reference's da collects both cats' gradients; check this one's
     * own parts from dy directly: dy split back along the axis */
    const float *dy = tu_ref_get(r, ndy, NULL);
    const float *dx = g->nodes[0].grad;
    int out_cols = axis == 1 ? cols_a + cols_b : cols_a;
    for (int i = 0; i < N; i++)
        for (int q = 0; q < rows_a + (axis == 0 ? rows_b : 0); q++)
            for (int c = 0; c < out_cols; c++) {
                float want = dy[((size_t)i * (axis == 0 ? rows_a + rows_b : rows_a) + q) * out_cols + c];
                int in_a = axis == 0 ? q < rows_a : c < cols_a;
                size_t at = in_a ? (size_t)q * cols_a + c
                                 : (size_t)A + (axis == 0 ? (size_t)(q - rows_a) * cols_b + c
                                                          : (size_t)q * cols_b + (c - cols_a));
                tu_close(dx[(size_t)i * IN + at], want, 0);
            }
    graph_free(g);
}

static void test_concat(void **state)
{
    tu_ref *r = tu_ref_load("concat");
    check_concat(r, "a", "b", 2, 3, 4, 3, 0, "y0", "dy0");
    check_concat(r, "a", "c", 2, 3, 2, 5, 1, "y1", "dy1");
    /* PyTorch's summed input gradients of both cats equal dlc's per part */
    size_t n;
    const float *da = tu_ref_get(r, "da", &n), *dy0 = tu_ref_get(r, "dy0", NULL),
                *dy1 = tu_ref_get(r, "dy1", NULL);
    for (int i = 0; i < 2; i++)
        for (int q = 0; q < 2; q++)
            for (int c = 0; c < 3; c++)
                tu_close(da[(i * 2 + q) * 3 + c], dy0[(i * 6 + q) * 3 + c] + dy1[(i * 2 + q) * 8 + c],
                         1e-6);
    tu_ref_free(r);
}

static void test_global_avgpool(void **state)
{
    tu_ref *r = tu_ref_load("global_avgpool");
    layer_spec s = gt_spec("global_avgpool", "gap");
    tensor_shape in = {3, {3, 4, 5}};
    graph *g = gt_build(&in, &s, 1, 2);
    assert_int_equal(graph_set_input_grad(g, 1, NULL), DLC_OK);
    ref_input(g, r, "x");
    graph_forward(g, 2, 1);
    graph_node *o = graph_output(g, 0);
    ref_expect("gap y", o->out, r, "y", 1e-6, 1e-5);
    graph_zero_grad(g);
    ref_into(o->grad, r, "dy");
    graph_backward(g, 2);
    ref_expect("gap dx", g->nodes[0].grad, r, "dx", 1e-7, 1e-6);
    graph_free(g);
    tu_ref_free(r);
}

/* x (N, T, C) reaches the pooling through an embedding whose row
 * 1 + i*T + t holds x[i, t] (id 0 pads), so the lengths are recorded as
 * for real token ids; the input gradient arrives in those rows. */
static void check_time_pool(tu_ref *r, const char *type, const char *ny, const char *ndy,
                            const char *ndx)
{
    const int N = 3, T = 5, C = 4;
    const float *x = tu_ref_get(r, "x", NULL), *len = tu_ref_get(r, "lengths", NULL);
    layer_spec s[2] = {gt_spec("embedding", "emb"), gt_spec(type, "pool")};
    s[0].units = C;
    s[0].vocab = 1 + N * T;
    tensor_shape in = {1, {T}};
    graph *g = gt_build(&in, s, 2, N);
    float *e = g->params[graph_param_find(g, "emb.weight")].data;
    float *ids = graph_input(g, 0);
    memset(e, 0, sizeof(float) * (size_t)C);
    for (int i = 0; i < N; i++)
        for (int t = 0; t < T; t++) {
            memcpy(e + (size_t)(1 + i * T + t) * C, x + (size_t)(i * T + t) * C, sizeof(float) * C);
            ids[i * T + t] = t < (int)len[i] ? (float)(1 + i * T + t) : 0.0f;
        }
    graph_forward(g, N, 1);
    graph_node *o = graph_output(g, 0);
    ref_expect(ny, o->out, r, ny, 1e-6, 1e-5);
    graph_zero_grad(g);
    ref_into(o->grad, r, ndy);
    graph_backward(g, N);
    ref_expect(ndx, gt_param_grad(g, "emb.weight") + C, r, ndx, 1e-6, 1e-5);
    graph_free(g);
}

static void test_time_pools(void **state)
{
    tu_ref *r = tu_ref_load("time_pool");
    check_time_pool(r, "time_avgpool", "mean", "dmean", "dx_mean");
    check_time_pool(r, "time_maxpool", "max", "dmax", "dx_max");
    tu_ref_free(r);
}

/* Inverted dropout: in training every value is 0 or x / (1 - rate) (the
 * values PyTorch's F.dropout gives), a share of about 1 - rate is kept, the
 * mean is kept in expectation, the gradient goes through the same mask, and
 * evaluation is the identity. */
static void test_dropout(void **state)
{
    tu_ref *r = tu_ref_load("dropout");
    const int N = 100, D = 2000;
    const double M = (double)N * D;
    const float rates[] = {0.1f, 0.5f, 0.8f};
    const char *keys[] = {"p10", "p50", "p80"};
    for (int k = 0; k < 3; k++) {
        const double p = rates[k];
        layer_spec s = gt_spec("dropout", "drop");
        s.rate = rates[k];
        tensor_shape in = {1, {D}};
        graph *g = gt_build(&in, &s, 1, N);
        assert_int_equal(graph_set_input_grad(g, 1, NULL), DLC_OK);
        g->noise_seed = 11 + (uint64_t)k; /* the same mask both times */
        float *x = graph_input(g, 0);
        for (size_t i = 0; i < (size_t)M; i++)
            x[i] = 1.0f;
        graph_forward(g, N, 1);
        graph_node *o = graph_output(g, 0);
        char key[32];
        size_t nv;
        snprintf(key, sizeof key, "%s_values", keys[k]);
        const float *values = tu_ref_get(r, key, &nv); /* PyTorch's: 0 and 1 / (1 - p) */
        assert_int_equal(nv, 2);
        double kept = 0, sum = 0;
        for (size_t i = 0; i < (size_t)M; i++) {
            float v = o->out[i];
            if (v == 0.0f)
                continue;
            if (fabsf(v - values[1]) > 1e-6f * values[1]) {
                print_error("rate %g: value %.9g at %zu; PyTorch keeps values as %.9g\n", p, v, i,
                            values[1]);
                fail();
            }
            kept++;
            sum += v;
        }
        /* binomial share and mean, 5 standard deviations */
        double share_sd = sqrt(p * (1 - p) / M), mean_sd = sqrt(p / (1 - p) / M);
        snprintf(key, sizeof key, "%s_mean", keys[k]);
        if (fabs(kept / M - (1 - p)) > 5 * share_sd || fabs(sum / M - 1.0) > 5 * mean_sd) {
            print_error("rate %g: kept %.5f (want %.5f), mean %.5f (want 1; PyTorch's %.5f)\n", p,
                        kept / M, 1 - p, sum / M, tu_ref_get(r, key, NULL)[0]);
            fail();
        }
        /* other inputs under the same mask: y = x * mask, dx = dy * mask */
        for (size_t i = 0; i < (size_t)M; i++)
            x[i] = (float)(i % 7) - 3.0f;
        g->noise_seed = 11 + (uint64_t)k; /* the same mask both times */
        float *mask_y = malloc(sizeof(float) * (size_t)M);
        assert_non_null(mask_y);
        memcpy(mask_y, o->out, sizeof(float) * (size_t)M); /* the mask as values of ones */
        graph_forward(g, N, 1);
        graph_zero_grad(g);
        for (size_t i = 0; i < (size_t)M; i++)
            o->grad[i] = 0.5f + (float)(i % 3);
        graph_backward(g, N);
        for (size_t i = 0; i < (size_t)M; i += 97) {
            tu_close(o->out[i], x[i] * mask_y[i], 1e-6);
            tu_close(g->nodes[0].grad[i], o->grad[i] * mask_y[i], 1e-6);
        }
        free(mask_y);
        /* evaluation: the identity, gradient included */
        graph_forward(g, N, 0);
        for (size_t i = 0; i < (size_t)M; i += 89)
            tu_close(o->out[i], x[i], 0);
        graph_free(g);
    }
    tu_ref_free(r);
}

/* BatchNorm2d on (N, 3, 2, 2) with per-channel variance ~1e-6 < eps = 1e-5
 * and a running variance started as small: y, the gradients, the running
 * statistics after three batches, and evaluation with them. */
static void test_batchnorm_small_variance(void **state)
{
    tu_ref *r = tu_ref_load("batchnorm_small");
    layer_spec s = gt_spec("batchnorm", "bn");
    s.momentum = 0.9f; /* PyTorch's momentum 0.1 */
    s.eps = 1e-5f;
    tensor_shape in = {3, {3, 2, 2}};
    const int N = 4;
    graph *g = gt_build(&in, &s, 1, N);
    assert_int_equal(graph_set_input_grad(g, 1, NULL), DLC_OK);
    dlc_rng rng;
    dlc_rng_seed(&rng, 1, 1);
    graph_init_params(g, &rng);
    ref_param(g, "bn.gamma", r, "gamma");
    ref_param(g, "bn.beta", r, "beta");
    ref_param(g, "bn.running_mean", r, "running_mean_init");
    ref_param(g, "bn.running_var", r, "running_var_init");
    ref_input(g, r, "x0");
    graph_forward(g, N, 1);
    graph_node *o = graph_output(g, 0);
    ref_expect("bn y", o->out, r, "y0", 2e-5, 1e-4);
    graph_zero_grad(g);
    ref_into(o->grad, r, "dy0");
    graph_backward(g, N);
    /* dx ~ gamma / sqrt(var + eps) ~ 300: relative */
    ref_expect("bn dx", g->nodes[0].grad, r, "dx0", 1e-4, 1e-5);
    ref_expect("bn dgamma", gt_param_grad(g, "bn.gamma"), r, "dgamma0", 1e-5, 1e-4);
    ref_expect("bn dbeta", gt_param_grad(g, "bn.beta"), r, "dbeta0", 1e-6, 1e-5);
    for (int k = 1; k < 3; k++) {
        char name[16];
        snprintf(name, sizeof name, "x%d", k);
        ref_input(g, r, name);
        graph_forward(g, N, 1);
    }
    int rm = graph_param_find(g, "bn.running_mean"), rv = graph_param_find(g, "bn.running_var");
    ref_expect("running mean", g->params[rm].data, r, "running_mean", 1e-8, 1e-5);
    ref_expect("running var", g->params[rv].data, r, "running_var", 1e-11, 1e-4);
    ref_input(g, r, "x_eval");
    graph_forward(g, N, 0);
    ref_expect("bn eval y", o->out, r, "y_eval", 2e-5, 1e-4);
    graph_free(g);
    tu_ref_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gru_simplified),   cmocka_unit_test(test_gru_full),
        cmocka_unit_test(test_gru_reset_after),
        cmocka_unit_test(test_rnn),              cmocka_unit_test(test_embedding_padding),
        cmocka_unit_test(test_concat),           cmocka_unit_test(test_global_avgpool),
        cmocka_unit_test(test_time_pools),       cmocka_unit_test(test_dropout),
        cmocka_unit_test(test_batchnorm_small_variance),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
