/* test_recurrent.c - what the gradient checks cannot show about the
 * recurrent layers: steps against hand-computed values, a bidirectional LSTM
 * over a padded batch against PyTorch (tests/data/make_seq_reference.py),
 * padding that behaves like shorter sequences, state carried across calls,
 * truncated backpropagation through time, and pooling over padded time. */
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

static graph *build(const tensor_shape *in, layer_spec *s, int n, int N)
{
    return gt_build(in, s, n, N);
}

static layer_spec recurrent(const char *type, int units)
{
    layer_spec s = gt_spec(type, type);
    s.units = units;
    s.return_sequences = 1;
    s.forget_bias = 1.0f;
    return s;
}

/* One unit, one input, two steps x = 0.5, -1 from a zero state; the expected
 * states were worked out by hand from the notes' formulas (in double). */
static void run_one_unit(layer_spec s, const float *wih, const float *whh, const float *b, int G,
                         const double *want)
{
    tensor_shape in = {2, {2, 1}};
    graph *g = build(&in, &s, 1, 1);
    gt_set_param(g, "r.weight_ih", wih, (size_t)G);
    gt_set_param(g, "r.weight_hh", whh, (size_t)G);
    gt_set_param(g, "r.bias", b, (size_t)G);
    float *x = graph_input(g, 0);
    x[0] = 0.5f;
    x[1] = -1.0f;
    graph_forward(g, 1, 0);
    const float *h = graph_output(g, 0)->out;
    tu_close(h[0], want[0], 1e-6);
    tu_close(h[1], want[1], 1e-6);
    graph_free(g);
}

static void test_steps_by_hand(void **state)
{
    /* lstm, gates i, f, g, o: c = f c_prev + i g, h = o tanh(c) */
    layer_spec s = recurrent("lstm", 1);
    strcpy(s.name, "r");
    const float li[4] = {0.1f, 0.2f, 0.3f, 0.4f}, lh[4] = {0.5f, -0.5f, 0.25f, 1.0f},
                lb[4] = {0, 1, 0, 0};
    const double lstm_h[2] = {0.041872857, -0.034061930};
    run_one_unit(s, li, lh, lb, 4, lstm_h);
    /* full gru, gates r, u, c~: c~ = tanh(w_c x + u_c (r h_prev) + b_c) */
    s = recurrent("gru", 1);
    strcpy(s.name, "r");
    s.variant = GRU_FULL;
    const float gi[3] = {0.3f, -0.2f, 0.6f}, gh[3] = {0.4f, 0.7f, -0.9f}, gb[3] = {0.1f, 0.0f, -0.1f};
    const double gru_h[2] = {0.093757385, -0.314998956};
    run_one_unit(s, gi, gh, gb, 3, gru_h);
    /* simplified gru, gates u, c~ (the same numbers without r) */
    s.variant = GRU_SIMPLIFIED;
    const double simple_h[2] = {0.093757385, -0.330175518};
    run_one_unit(s, gi + 1, gh + 1, gb + 1, 2, simple_h);
    /* rnn: h = tanh(w x + u h_prev + b) */
    s = recurrent("rnn", 1);
    strcpy(s.name, "r");
    const float ri[1] = {0.8f}, rh[1] = {-0.6f}, rb[1] = {0.1f};
    const double rnn_h[2] = {0.462117157, -0.751881807};
    run_one_unit(s, ri, rh, rb, 1, rnn_h);
}

/* x (N, T, D) fed through an embedding whose row 1 + n*T + t holds x[n, t]:
 * a padded real-valued batch (id 0 pads), so lengths reach the recurrence. */
static graph *padded_lstm(tu_ref *r, int seq, const int *len, int N, int T, int D, int H)
{
    tensor_shape in = {1, {T}};
    layer_spec s[2] = {gt_spec("embedding", "emb"), recurrent("lstm", H)};
    s[0].units = D;
    s[0].vocab = 1 + N * T;
    s[1].bidirectional = 1;
    s[1].return_sequences = seq;
    graph *g = build(&in, s, 2, N);
    const float *x = tu_ref_get(r, "x", NULL);
    float *e = g->params[graph_param_find(g, "emb.weight")].data;
    float *ids = graph_input(g, 0);
    memset(e, 0, sizeof(float) * (size_t)D);
    for (int n = 0; n < N; n++)
        for (int t = 0; t < T; t++) {
            memcpy(e + (size_t)(1 + n * T + t) * D, x + (size_t)(n * T + t) * D, sizeof(float) * (size_t)D);
            ids[n * T + t] = t < len[n] ? (float)(1 + n * T + t) : 0.0f;
        }
    const char *names[] = {"weight_ih", "weight_hh", "bias", "weight_ih_reverse", "weight_hh_reverse",
                           "bias_reverse"};
    for (int k = 0; k < 6; k++) {
        char full[64];
        size_t n;
        const float *v = tu_ref_get(r, names[k], &n);
        snprintf(full, sizeof full, "lstm.%s", names[k]);
        gt_set_param(g, full, v, n);
    }
    return g;
}

static void test_lstm_against_pytorch(void **state)
{
    tu_ref *r = tu_ref_load("lstm");
    const int N = 2, T = 5, D = 3, H = 4, len[2] = {5, 3};
    size_t n;
    graph *g = padded_lstm(r, 1, len, N, T, D, H);
    graph_forward(g, N, 1);
    graph_node *o = graph_output(g, 0);
    tu_assert_close("lstm y", o->out, tu_ref_get(r, "y", NULL), (size_t)N * T * 2 * H, 1e-5, 1e-4);
    graph_zero_grad(g);
    memcpy(o->grad, tu_ref_get(r, "dy", NULL), sizeof(float) * (size_t)N * T * 2 * H);
    graph_backward(g, N);
    const char *names[] = {"weight_ih", "weight_hh", "bias", "weight_ih_reverse", "weight_hh_reverse",
                           "bias_reverse"};
    for (int k = 0; k < 6; k++) {
        char full[64], ref[64];
        snprintf(full, sizeof full, "lstm.%s", names[k]);
        snprintf(ref, sizeof ref, "d_%s", names[k]);
        const float *want = tu_ref_get(r, ref, &n);
        tu_assert_close(ref, gt_param_grad(g, full), want, n, 1e-5, 1e-4);
    }
    /* the input gradient arrives in the embedding rows */
    const float *dx = tu_ref_get(r, "dx", &n);
    tu_assert_close("lstm dx", gt_param_grad(g, "emb.weight") + D, dx, n, 1e-5, 1e-4);
    graph_free(g);

    /* the last states: forward at each sequence's last token, backward at t = 0 */
    g = padded_lstm(r, 0, len, N, T, D, H);
    graph_forward(g, N, 0);
    tu_assert_close("lstm h_n", graph_output(g, 0)->out, tu_ref_get(r, "h_n", NULL), (size_t)N * 2 * H,
                    1e-5, 1e-4);
    graph_free(g);
    tu_ref_free(r);
}

/* A padded sequence gives what the same sequence gives unpadded, for every
 * cell, both directions, all steps and the last state. */
static void test_padding_is_invisible(void **state)
{
    const char *types[] = {"rnn", "gru", "lstm"};
    const float ids_padded[2 * 6] = {3, 1, 4, 2, 0, 0, 5, 2, 6, 1, 2, 3};
    const float ids_short[4] = {3, 1, 4, 2};
    for (int ty = 0; ty < 3; ty++) {
        for (int seq = 0; seq < 2; seq++) {
            layer_spec s[2] = {gt_spec("embedding", "emb"), recurrent(types[ty], 3)};
            s[0].units = 2;
            s[0].vocab = 7;
            s[1].bidirectional = 1;
            s[1].return_sequences = seq;
            tensor_shape long_in = {1, {6}}, short_in = {1, {4}};
            graph *a = build(&long_in, s, 2, 2), *b = build(&short_in, s, 2, 1);
            dlc_rng rng;
            dlc_rng_seed(&rng, 5, 1);
            graph_init_params(a, &rng);
            memcpy(b->param_block, a->param_block, sizeof(float) * a->n_weights);
            memcpy(graph_input(a, 0), ids_padded, sizeof ids_padded);
            memcpy(graph_input(b, 0), ids_short, sizeof ids_short);
            graph_forward(a, 2, 0);
            graph_forward(b, 1, 0);
            const float *ya = graph_output(a, 0)->out, *yb = graph_output(b, 0)->out;
            size_t valid = seq ? 4 * 6 : 6; /* 4 steps of 2 x 3, or the last state */
            tu_assert_close(types[ty], ya, yb, valid, 1e-6, 1e-5);
            if (seq)
                for (int i = 24; i < 36; i++)
                    tu_close(ya[i], 0.0, 0.0); /* padded steps output zero */
            graph_free(a);
            graph_free(b);
        }
    }
}

/* g->carry: two calls over halves of a sequence equal one call over all of it. */
static void test_carry_state(void **state)
{
    const char *types[] = {"rnn", "gru", "lstm"};
    for (int ty = 0; ty < 3; ty++) {
        tensor_shape whole = {2, {6, 2}}, half = {2, {3, 2}};
        layer_spec s = recurrent(types[ty], 4);
        graph *a = build(&whole, &s, 1, 2), *b = build(&half, &s, 1, 2);
        dlc_rng rng;
        dlc_rng_seed(&rng, 9, 1);
        graph_init_params(a, &rng);
        memcpy(b->param_block, a->param_block, sizeof(float) * a->n_weights);
        float *x = graph_input(a, 0);
        for (int i = 0; i < 24; i++)
            x[i] = (float)dlc_rng_normal(&rng);
        graph_forward(a, 2, 0);
        const float *ya = graph_output(a, 0)->out; /* (2, 6, 4) */
        for (int part = 0; part < 2; part++) {
            for (int n = 0; n < 2; n++)
                memcpy(graph_input(b, 0) + n * 6, x + n * 12 + part * 6, sizeof(float) * 6);
            b->carry = part;
            graph_forward(b, 2, 0);
            const float *yb = graph_output(b, 0)->out; /* (2, 3, 4) */
            for (int n = 0; n < 2; n++)
                tu_assert_close(types[ty], yb + n * 12, ya + n * 24 + part * 12, 12, 1e-6, 1e-5);
        }
        /* without carry the second half starts from zeros and differs */
        b->carry = 0;
        graph_forward(b, 2, 0);
        assert_true(fabsf(graph_output(b, 0)->out[0] - ya[12]) > 1e-4f);
        graph_free(a);
        graph_free(b);
    }
}

/* bptt: k stops the gradient at every k-th step: with the loss on the last
 * step only, inputs before the last segment get no gradient. */
static void test_truncated_bptt(void **state)
{
    for (int k = 0; k <= 2; k += 2) {
        tensor_shape in = {2, {6, 2}};
        layer_spec s = recurrent("lstm", 3);
        s.bptt = k;
        graph *g = build(&in, &s, 1, 1);
        graph_set_input_grad(g, 1, NULL);
        dlc_rng rng;
        dlc_rng_seed(&rng, 3, 1);
        graph_init_params(g, &rng);
        for (int i = 0; i < 12; i++)
            graph_input(g, 0)[i] = (float)dlc_rng_normal(&rng);
        graph_forward(g, 1, 1);
        graph_zero_grad(g);
        graph_node *o = graph_output(g, 0);
        for (int j = 0; j < 3; j++)
            o->grad[5 * 3 + j] = 1.0f; /* d loss / d h at t = 5 */
        graph_backward(g, 1);
        const float *dx = g->nodes[0].grad;
        for (int t = 0; t < 6; t++) {
            double m = fabs(dx[2 * t]) + fabs(dx[2 * t + 1]);
            if (k == 2 && t < 4)
                tu_close(m, 0.0, 0.0);
            else
                assert_true(m > 1e-6);
        }
        graph_free(g);
    }
}

/* Two threads split the batch's rows between them: the same numbers as one. */
static void test_two_threads_agree(void **state)
{
    const char *types[] = {"rnn", "gru", "lstm"};
    const int N = 20, T = 7;
    float ids[20 * 7];
    for (int i = 0; i < N * T; i++) {
        int n = i / T, t = i % T;
        ids[i] = t < 1 + n % T ? (float)(1 + (i * 5) % 11) : 0.0f; /* lengths 1 .. 7 */
    }
    for (int ty = 0; ty < 3; ty++) {
        float *out[2], *grads[2];
        size_t on = 0, wn = 0;
        for (int threads = 1; threads <= 2; threads++) {
            tensor_shape in = {1, {T}};
            layer_spec s[3] = {gt_spec("embedding", "emb"), recurrent(types[ty], 6), gt_spec("dense", "out")};
            s[0].units = 4;
            s[0].vocab = 12;
            s[1].bidirectional = 1;
            s[2].units = 3;
            graph *g = build(&in, s, 3, N);
            dlc_rng rng;
            dlc_rng_seed(&rng, 11, 1);
            graph_init_params(g, &rng);
            memcpy(graph_input(g, 0), ids, sizeof ids);
            tensor_set_threads(threads);
            graph_forward(g, N, 1);
            graph_node *o = graph_output(g, 0);
            on = (size_t)N * o->size;
            wn = g->n_grads;
            graph_zero_grad(g);
            for (size_t i = 0; i < on; i++)
                o->grad[i] = (float)((int)(i % 7) - 3) * 0.1f;
            graph_backward(g, N);
            out[threads - 1] = malloc(sizeof(float) * on);
            grads[threads - 1] = malloc(sizeof(float) * wn);
            memcpy(out[threads - 1], o->out, sizeof(float) * on);
            memcpy(grads[threads - 1], g->grad_block, sizeof(float) * wn);
            graph_free(g);
        }
        tensor_set_threads(1);
        tu_assert_close(types[ty], out[1], out[0], on, 1e-6, 1e-5);
        tu_assert_close(types[ty], grads[1], grads[0], wn, 1e-6, 1e-5);
        for (int k = 0; k < 2; k++) {
            free(out[k]);
            free(grads[k]);
        }
    }
}

/* time_avgpool / time_maxpool over an embedding of padded ids: only the valid
 * steps count, worked out by hand.  The embedding rows are negative where a
 * padded step (which embeds to zero) would win the max if it were counted. */
static void test_time_pools(void **state)
{
    /* lengths 2, 1, 0 */
    const float ids[3 * 4] = {1, 2, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0};
    const float E[4 * 2] = {9, 9, -1, -4, -3, -2, -5, 6};
    const float dy[3 * 2] = {1, 10, 100, 1000, 7, 7};
    const struct {
        const char *type;
        float y[3 * 2];  /* output per sample */
        float dE[4 * 2]; /* gradient of E for dy */
    } want[2] = {
        {"time_avgpool", {-2, -3, -5, 6, 0, 0}, {0, 0, 0.5f, 5, 0.5f, 5, 100, 1000}},
        {"time_maxpool", {-1, -2, -5, 6, 0, 0}, {0, 0, 1, 0, 0, 10, 100, 1000}},
    };
    for (int k = 0; k < 2; k++) {
        layer_spec s[2] = {gt_spec("embedding", "emb"), gt_spec(want[k].type, "pool")};
        s[0].units = 2;
        s[0].vocab = 4;
        tensor_shape in = {1, {4}};
        graph *g = build(&in, s, 2, 3);
        gt_set_param(g, "emb.weight", E, 8);
        memcpy(graph_input(g, 0), ids, sizeof ids);
        graph_forward(g, 3, 1);
        graph_node *o = graph_output(g, 0);
        assert_int_equal(o->size, 2);
        tu_assert_close(want[k].type, o->out, want[k].y, 6, 0.0, 1e-6);
        graph_zero_grad(g);
        memcpy(o->grad, dy, sizeof dy);
        graph_backward(g, 3);
        tu_assert_close(want[k].type, gt_param_grad(g, "emb.weight"), want[k].dE, 8, 0.0, 1e-5);
        graph_free(g);
    }
    /* the input must be (steps, features) */
    tensor_shape flat = {1, {6}};
    layer_spec p = gt_spec("time_maxpool", "pool");
    strcpy(p.where, "m.yaml:9");
    graph *g = NULL;
    dlc_error err = {0};
    assert_int_equal(graph_build(&g, &flat, &p, 1, NULL, 0, 2, &err), DLC_EINPUT);
    assert_non_null(strstr(err.msg, "m.yaml:9"));
    assert_non_null(strstr(err.msg, "(steps, features)"));
}

static void test_shape_errors(void **state)
{
    tensor_shape flat = {1, {6}};
    layer_spec s = recurrent("gru", 3);
    strcpy(s.where, "m.yaml:4");
    graph *g = NULL;
    dlc_error err = {0};
    assert_int_equal(graph_build(&g, &flat, &s, 1, NULL, 0, 2, &err), DLC_EINPUT);
    assert_non_null(strstr(err.msg, "m.yaml:4"));
    assert_non_null(strstr(err.msg, "expects a sequence (T, D)"));
    layer_spec e = gt_spec("embedding", "emb");
    e.units = 4;
    assert_int_equal(graph_build(&g, &flat, &e, 1, NULL, 0, 2, &err), DLC_EINPUT);
    assert_non_null(strstr(err.msg, "vocab: auto"));
}

/* reverse: one direction reading each sequence from its own end.  Over a
 * padded batch it equals the forward layer (same weights) over each
 * sequence reversed, outputs reversed back; its gradient reaches every
 * token, and it is refused with bidirectional. */
static void test_reverse(void **state)
{
    const char *types[] = {"rnn", "gru", "lstm"};
    const float ids[2 * 5] = {3, 1, 4, 2, 0, 5, 2, 6, 1, 2};
    const float flipped[2 * 5] = {2, 4, 1, 3, 0, 2, 1, 6, 2, 5};
    const int len[2] = {4, 5};
    for (int ty = 0; ty < 3; ty++) {
        layer_spec s[2] = {gt_spec("embedding", "emb"), recurrent(types[ty], 3)};
        s[0].units = 2;
        s[0].vocab = 7;
        tensor_shape in = {1, {5}};
        graph *fw = build(&in, s, 2, 2);
        s[1].reverse = 1;
        graph *rv = build(&in, s, 2, 2);
        dlc_rng rng;
        dlc_rng_seed(&rng, 8, 1);
        graph_init_params(fw, &rng);
        memcpy(rv->param_block, fw->param_block, sizeof(float) * fw->n_weights);
        memcpy(graph_input(rv, 0), ids, sizeof ids);
        memcpy(graph_input(fw, 0), flipped, sizeof flipped);
        graph_forward(rv, 2, 0);
        graph_forward(fw, 2, 0);
        const float *yr = graph_output(rv, 0)->out, *yf = graph_output(fw, 0)->out;
        for (int i = 0; i < 2; i++)
            for (int t = 0; t < len[i]; t++)
                tu_assert_close(types[ty], yr + (i * 5 + t) * 3, yf + (i * 5 + len[i] - 1 - t) * 3, 3,
                                1e-6, 1e-5);
        for (int k = 0; k < 3; k++)
            tu_close(yr[4 * 3 + k], 0.0, 0.0); /* the padded step outputs zero */
        graph_free(fw);
        graph_free(rv);
    }
    layer_spec b[2] = {gt_spec("embedding", "emb"), recurrent("lstm", 3)};
    b[0].units = 2;
    b[0].vocab = 7;
    b[1].reverse = 1;
    b[1].bidirectional = 1;
    tensor_shape in = {1, {5}};
    graph *g = NULL;
    dlc_error err = {0};
    assert_int_equal(graph_build(&g, &in, b, 2, NULL, 0, 2, &err), DLC_EINPUT);
    assert_non_null(strstr(err.msg, "a bidirectional layer already reads both"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_steps_by_hand),
        cmocka_unit_test(test_lstm_against_pytorch),
        cmocka_unit_test(test_padding_is_invisible),
        cmocka_unit_test(test_reverse),
        cmocka_unit_test(test_carry_state),
        cmocka_unit_test(test_truncated_bptt),
        cmocka_unit_test(test_two_threads_agree),
        cmocka_unit_test(test_shape_errors),
        cmocka_unit_test(test_time_pools),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
