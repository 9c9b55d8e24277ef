/* test_detect_loss.c - the detection rows of the loss table: each loss's
 * gradient against central differences of its own value (double sums, on
 * outputs drawn away from the IoU and anchor boundaries), YOLO's target
 * assignment (the cell of the centre, the best-shaped anchor, the next free
 * one for a second object), the notes' localization loss by hand, the term
 * weights, and the shape checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/base/rng.h"
#include "../../src/loss/loss.h"
#include "testutil.h"

/* The mean loss of outputs z (no gradient). */
static double loss_value(loss_kind k, const loss_opts *o, const float *z, const float *t, int N,
                         const tensor_shape *shape)
{
    loss_stats st = {0};
    loss_call c = {z, t, N, shape, 1.0f, NULL, o, NULL};
    loss_run(k, &c, &st);
    return st.count > 0 ? st.sum / st.count : 0.0;
}

/* Central differences of the mean loss against the gradient loss_run adds,
 * for every output value; fails on the worst relative error above tol. */
static void check_gradient(loss_kind k, const loss_opts *o, float *z, const float *t, int N,
                           const tensor_shape *shape, double tol)
{
    size_t n = (size_t)N * tensor_shape_size(shape);
    float *g = calloc(n, sizeof(float));
    loss_stats st = {0};
    loss_call c = {z, t, N, shape, 1.0f, g, o, NULL};
    loss_run(k, &c, &st);
    double worst = 0;
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        float keep = z[i];
        const float eps = 1e-2f;
        z[i] = keep + eps;
        double up = loss_value(k, o, z, t, N, shape);
        z[i] = keep - eps;
        double down = loss_value(k, o, z, t, N, shape);
        z[i] = keep;
        double num = (up - down) / (2.0 * eps);
        double rel = fabs(num - g[i]) / fmax(1e-3, fabs(num) + fabs(g[i]));
        if (rel > worst) {
            worst = rel;
            at = i;
        }
    }
    if (worst > tol) {
        print_error("%s: value %zu: relative error %.3g (tol %g)\n", loss_names[k], at, worst, tol);
        fail();
    }
    free(g);
}

/* Object slot m of a row of M slots, K landmarks. */
static void put_object(float *row, int K, int m, int cls, float cx, float cy, float w, float h)
{
    float *o = row + (size_t)m * (5 + 2 * K);
    o[0] = (float)cls;
    o[1] = cx;
    o[2] = cy;
    o[3] = w;
    o[4] = h;
    for (int k = 0; k < K; k++) {
        o[5 + 2 * k] = cx + 0.1f * (float)(k + 1) * w;
        o[6 + 2 * k] = cy - 0.1f * (float)k * h;
    }
}

static void empty_rows(float *t, int N, int M, int K)
{
    for (int i = 0; i < N * M; i++) {
        float *o = t + (size_t)i * (5 + 2 * K);
        memset(o, 0, sizeof(float) * (size_t)(5 + 2 * K));
        o[0] = -1;
    }
}

static loss_opts opts_of(loss_kind k, int C, int M, int K)
{
    loss_opts o = {.class_loss = LOSS_CLASS_CE, .ignore_iou = 0.6f, .classes = C, .objects = M,
                   .landmarks = K};
    memcpy(o.term, loss_get(k)->terms, sizeof o.term);
    return o;
}

static void test_localize_gradient(void **state)
{
    (void)state;
    enum { N = 5, C = 3, M = 2, K = 0 };
    float z[N * (5 + C)], t[N * M * 5];
    dlc_rng r;
    dlc_rng_seed(&r, 5, 0);
    for (int i = 0; i < N * (5 + C); i++)
        z[i] = (float)dlc_rng_normal(&r);
    empty_rows(t, N, M, K);
    put_object(t, K, 0, 2, 0.4f, 0.5f, 0.3f, 0.2f);
    put_object(t + 2 * M * 5, K, 0, 0, 0.7f, 0.2f, 0.1f, 0.3f);
    put_object(t + 3 * M * 5, K, 0, 1, 0.3f, 0.3f, 0.2f, 0.2f);
    tensor_shape shape = {1, {5 + C}};
    loss_opts o = opts_of(LOSS_LOCALIZE, C, M, K);
    check_gradient(LOSS_LOCALIZE, &o, z, t, N, &shape, 2e-3);
    o.class_loss = LOSS_CLASS_MSE;
    o.term[LOSS_TERM_COORD] = 5;
    o.term[LOSS_TERM_NOOBJ] = 0.5f;
    check_gradient(LOSS_LOCALIZE, &o, z, t, N, &shape, 2e-3);
}

/* The notes' loss worked by hand: all weights 1, squared error on every
 * term when an object is present, on p_c alone otherwise. */
static void test_localize_by_hand(void **state)
{
    (void)state;
    enum { C = 2, M = 1 };
    float z[2 * (5 + C)] = {0.0f, 0.5f, 0.5f, 0.2f, 0.3f, 1.0f, 0.0f,  /* object of class 0 */
                            0.0f, 9.0f, 9.0f, 9.0f, 9.0f, 9.0f, 9.0f}; /* no object */
    float t[2 * 5] = {0, 0.4f, 0.5f, 0.2f, 0.1f, -1, 0, 0, 0, 0};
    loss_opts o = opts_of(LOSS_LOCALIZE, C, M, 0);
    o.class_loss = LOSS_CLASS_MSE;
    tensor_shape shape = {1, {5 + C}};
    /* image 1: (0.5 - 1)^2 + 0.1^2 + 0 + 0 + 0.2^2 + (q0 - 1)^2 + q1^2, q = softmax(1, 0)
     * image 2: (0.5 - 0)^2; the loss is their mean */
    double q0 = 1.0 / (1.0 + exp(-1.0)), q1 = 1.0 - q0;
    double want = (0.25 + 0.01 + 0.04 + (q0 - 1) * (q0 - 1) + q1 * q1 + 0.25) / 2;
    tu_close(loss_value(LOSS_LOCALIZE, &o, z, t, 2, &shape), want, 1e-6);
    /* the no-object term's weight scales only the second image */
    o.term[LOSS_TERM_NOOBJ] = 0;
    tu_close(loss_value(LOSS_LOCALIZE, &o, z, t, 2, &shape), want - 0.25 / 2, 1e-6);
    /* targets: M slots of 5 values */
    assert_int_equal(loss_get(LOSS_LOCALIZE)->target_size(&shape, &o), 5);
    assert_null(loss_get(LOSS_LOCALIZE)->check_shape(&shape, &o));
    tensor_shape wrong = {1, {6}};
    assert_non_null(loss_get(LOSS_LOCALIZE)->check_shape(&wrong, &o));
}

static void test_landmarks_gradient(void **state)
{
    (void)state;
    enum { N = 4, M = 3, K = 3 };
    const int S = 5 + 2 * K;
    float z[N * 2 * K], t[N * M * S];
    dlc_rng r;
    dlc_rng_seed(&r, 6, 0);
    for (int i = 0; i < N * 2 * K; i++)
        z[i] = (float)dlc_rng_uniform(&r);
    empty_rows(t, N, M, K);
    put_object(t, K, 0, 0, 0.4f, 0.5f, 0.3f, 0.2f);
    put_object(t + 3 * M * S, K, 0, 0, 0.6f, 0.5f, 0.3f, 0.4f);
    tensor_shape shape = {1, {2 * K}};
    loss_opts o = opts_of(LOSS_LANDMARKS, 1, M, K);
    check_gradient(LOSS_LANDMARKS, &o, z, t, N, &shape, 2e-3);
    /* only the two images with an object count: the mean is over them */
    float zero[N * 2 * K] = {0};
    double want = 0;
    for (int i = 0; i < N; i += 3)
        for (int k = 0; k < 2 * K; k++)
            want += (double)t[i * M * S + 5 + k] * t[i * M * S + 5 + k];
    tu_close(loss_value(LOSS_LANDMARKS, &o, zero, t, N, &shape), want / 2, 1e-6);
    assert_non_null(loss_get(LOSS_LANDMARKS)->check_shape(&(tensor_shape){1, {5}}, &o));
}

/* YOLO's outputs: (A (5 + C), S, S). */
static void test_yolo_gradient(void **state)
{
    (void)state;
    enum { N = 3, S = 4, A = 2, C = 3, M = 4, K = 0, D = A * (5 + C) * S * S };
    float *z = malloc(sizeof(float) * N * D), t[N * M * 5];
    dlc_rng r;
    dlc_rng_seed(&r, 7, 0);
    for (int i = 0; i < N * D; i++)
        z[i] = (float)(0.8 * dlc_rng_normal(&r));
    empty_rows(t, N, M, K);
    put_object(t, K, 0, 1, 0.30f, 0.70f, 0.25f, 0.20f);
    put_object(t, K, 1, 2, 0.80f, 0.15f, 0.10f, 0.40f);
    put_object(t + 2 * M * 5, K, 0, 0, 0.55f, 0.45f, 0.50f, 0.45f);
    tensor_shape shape = {3, {A * (5 + C), S, S}};
    loss_opts o = opts_of(LOSS_YOLO, C, M, K);
    o.n_anchors = A;
    o.anchors[0][0] = 0.15f;
    o.anchors[0][1] = 0.15f;
    o.anchors[1][0] = 0.4f;
    o.anchors[1][1] = 0.4f;
    o.ignore_iou = 1.0f; /* no box is ignored: the mask cannot flip under a small step */
    assert_null(loss_get(LOSS_YOLO)->check_shape(&shape, &o));
    assert_int_equal(loss_get(LOSS_YOLO)->target_size(&shape, &o), M * 5);
    check_gradient(LOSS_YOLO, &o, z, t, N, &shape, 3e-3);
    o.class_loss = LOSS_CLASS_MSE;
    check_gradient(LOSS_YOLO, &o, z, t, N, &shape, 3e-3);
    free(z);
}

/* Which prediction answers for an object: the gradient of p_c is negative
 * (pushed up) exactly at the responsible cell and anchor. */
static void test_yolo_assignment(void **state)
{
    (void)state;
    enum { S = 4, A = 2, C = 2, M = 3, D = 5 + C };
    const size_t plane = S * S, size = (size_t)A * D * plane;
    float *z = calloc(size, sizeof(float)), *g = calloc(size, sizeof(float)), t[M * 5];
    empty_rows(t, 1, M, 0);
    /* centre (0.3, 0.7): column 1, row 2; its shape fits anchor 1 best */
    put_object(t, 0, 0, 1, 0.30f, 0.70f, 0.25f, 0.25f);
    /* the same cell and shape again: the next free anchor, 0 */
    put_object(t, 0, 1, 0, 0.32f, 0.72f, 0.25f, 0.25f);
    /* a third there: no anchor left, so it adds nothing */
    put_object(t, 0, 2, 0, 0.33f, 0.73f, 0.25f, 0.25f);
    loss_opts o = opts_of(LOSS_YOLO, C, M, 0);
    o.n_anchors = A;
    o.anchors[0][0] = o.anchors[0][1] = 0.1f;
    o.anchors[1][0] = o.anchors[1][1] = 0.25f;
    tensor_shape shape = {3, {A * D, S, S}};
    loss_stats st = {0};
    loss_call c = {z, t, 1, &shape, 1.0f, g, &o, NULL};
    loss_run(LOSS_YOLO, &c, &st);
    size_t cell = 2 * S + 1;
    for (int a = 0; a < A; a++)
        for (size_t q = 0; q < plane; q++) {
            float gp = g[(size_t)a * D * plane + q];
            if (q == cell)
                assert_true(gp < 0); /* both anchors of the cell answer for an object */
            else
                assert_true(gp > 0); /* every other prediction is pushed to "no object" */
        }
    /* anchor 1 holds object 0 (class 1): its class-1 score is pushed up */
    assert_true(g[(size_t)1 * D * plane + 6 * plane + cell] < 0);
    /* anchor 0 holds object 1 (class 0) */
    assert_true(g[0 * D * plane + 5 * plane + cell] < 0);
    /* its width target is log(0.25 / 0.1): t_w = 0 is pushed up */
    assert_true(g[0 * D * plane + 3 * plane + cell] < 0);
    /* anchor 1's t_w is already log(0.25 / 0.25) = 0: no push */
    tu_close(g[(size_t)1 * D * plane + 3 * plane + cell], 0.0, 0);
    /* the offset target 0.3 * 4 - 1 = 0.2: sigmoid(0) = 0.5 is pushed down */
    assert_true(g[(size_t)1 * D * plane + 1 * plane + cell] > 0);
    assert_int_equal(st.judged, 2); /* two objects answered for */
    free(z);
    free(g);
}

/* A prediction whose box already overlaps an object by more than ignore_iou
 * is not pushed toward "no object". */
static void test_yolo_ignore(void **state)
{
    (void)state;
    enum { S = 2, A = 1, C = 1, M = 1, D = 5 + C };
    const size_t plane = S * S, size = (size_t)A * D * plane;
    float z[A * D * S * S] = {0}, g[A * D * S * S] = {0}, t[5];
    empty_rows(t, 1, M, 0);
    /* an object centred in cell (0, 0); the prediction of cell (0, 1) (t = 0:
     * centre (0.75, 0.25), anchor size 0.5) overlaps it: IoU 0.1 / 0.4 */
    put_object(t, 0, 0, 0, 0.45f, 0.25f, 0.5f, 0.5f);
    loss_opts o = opts_of(LOSS_YOLO, C, M, 0);
    o.n_anchors = 1;
    o.anchors[0][0] = o.anchors[0][1] = 0.5f;
    tensor_shape shape = {3, {D, S, S}};
    o.ignore_iou = 0.2f;
    loss_stats st = {0};
    loss_call c = {z, t, 1, &shape, 1.0f, g, &o, NULL};
    loss_run(LOSS_YOLO, &c, &st);
    tu_close(g[1], 0.0, 0);     /* cell (0, 1): ignored */
    assert_true(g[2] > 0);      /* cell (1, 0): no overlap, pushed down */
    memset(g, 0, sizeof g);
    o.ignore_iou = 0.3f;
    loss_run(LOSS_YOLO, &c, &st);
    assert_true(g[1] > 0);
    (void)size;
}

/* YOLO's loss value against the formula of loss.h computed here, over a
 * batch whose images hold different objects (and one none): the cell of each
 * centre and the anchor of its shape answer for it (obj, coord on the
 * sigmoid offsets and log sizes, class cross-entropy), every other
 * prediction is noobj.  The mean over the batch must equal it.  (Found by
 * tests/mutation/sample.py: the gradient checks hold whatever the loss is,
 * so a batch reading image 0's objects for every image, or a cell counted
 * twice, went unnoticed.) */
static double sigm(double v)
{
    return 1.0 / (1.0 + exp(-v));
}

static void test_yolo_value(void **state)
{
    (void)state;
    enum { N = 3, S = 3, A = 2, C = 3, M = 2, D = 5 + C, PL = S * S, SIZE = A * D * PL };
    const float anchors[A][2] = {{0.2f, 0.2f}, {0.6f, 0.4f}};
    /* per image, per object: class, cx, cy, anchor (its shape is the anchor's) */
    const struct { int cls; float cx, cy; int a; } objs[N][M] = {
        {{1, 0.5f, 0.5f, 1}, {2, 0.1f, 0.8f, 0}},
        {{0, 0.9f, 0.1f, 0}, {-1, 0, 0, 0}},
        {{-1, 0, 0, 0}, {-1, 0, 0, 0}},
    };
    float *z = malloc(sizeof(float) * N * SIZE), t[N * M * 5];
    assert_non_null(z);
    dlc_rng r;
    dlc_rng_seed(&r, 11, 0);
    for (int i = 0; i < N * SIZE; i++)
        z[i] = (float)(0.7 * dlc_rng_normal(&r));
    empty_rows(t, N, M, 0);
    for (int im = 0; im < N; im++)
        for (int m = 0; m < M; m++)
            if (objs[im][m].cls >= 0)
                put_object(t + im * M * 5, 0, m, objs[im][m].cls, objs[im][m].cx, objs[im][m].cy,
                           anchors[objs[im][m].a][0], anchors[objs[im][m].a][1]);
    loss_opts o = opts_of(LOSS_YOLO, C, M, 0);
    o.n_anchors = A;
    memcpy(o.anchors, anchors, sizeof anchors);
    o.ignore_iou = 1.0f; /* nothing ignored */
    const float *w = o.term;
    double want = 0;
    for (int im = 0; im < N; im++)
        for (int a = 0; a < A; a++)
            for (int i = 0; i < S; i++)
                for (int j = 0; j < S; j++) {
                    const float *p = z + (size_t)im * SIZE + (size_t)a * D * PL + i * S + j;
                    int mine = -1;
                    for (int m = 0; m < M; m++)
                        if (objs[im][m].cls >= 0 && objs[im][m].a == a && (int)(objs[im][m].cx * S) == j &&
                            (int)(objs[im][m].cy * S) == i)
                            mine = m;
                    double pc = sigm(p[0]);
                    if (mine < 0) {
                        want += w[LOSS_TERM_NOOBJ] * pc * pc;
                        continue;
                    }
                    want += w[LOSS_TERM_OBJ] * (pc - 1) * (pc - 1);
                    double target[4] = {objs[im][mine].cx * S - j, objs[im][mine].cy * S - i, 0, 0};
                    double have[4] = {sigm(p[PL]), sigm(p[2 * PL]), p[3 * PL], p[4 * PL]};
                    for (int k = 0; k < 4; k++)
                        want += w[LOSS_TERM_COORD] * (have[k] - target[k]) * (have[k] - target[k]);
                    double lse = 0;
                    for (int k = 0; k < C; k++)
                        lse += exp(p[(5 + k) * PL]);
                    want += w[LOSS_TERM_CLASS] * (log(lse) - p[(5 + objs[im][mine].cls) * PL]);
                }
    want /= N;
    tensor_shape shape = {3, {A * D, S, S}};
    tu_close(loss_value(LOSS_YOLO, &o, z, t, N, &shape), want, 1e-5 * want);
    free(z);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_localize_gradient), cmocka_unit_test(test_localize_by_hand),
        cmocka_unit_test(test_landmarks_gradient), cmocka_unit_test(test_yolo_gradient),
        cmocka_unit_test(test_yolo_assignment),   cmocka_unit_test(test_yolo_ignore),
        cmocka_unit_test(test_yolo_value),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
