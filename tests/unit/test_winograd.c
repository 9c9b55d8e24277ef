/* test_winograd.c - the Winograd convolution (src/layers/winograd.c) against
 * direct convolution computed in double: the output, the input gradient, the
 * weight gradient and the bias gradient, for F(2x2, 3x3) and F(4x4, 3x3),
 * over paddings, sizes that leave partial tiles, several blocks of tiles,
 * fused (leaky) ReLU, and one and two threads.
 *
 * Error bound.  Each value is compared on the scale of its own sum of
 * magnitudes: for y[n, f, p] that is S = |b_f| + sum over c and the window
 * of |w| |x| (the dot product's absolute sum, which bounds float rounding of
 * any summation order); likewise sum |w| |dy| for dx, sum |dy| |x| for dW and
 * sum |dy| for db.  Measured on these cases (the worst |error| / S over y,
 * dx, dW, db; the test prints them): F(2x2) 5e-7, F(4x4) 7e-6.  The test
 * asserts |error| <= WINO_TOL[m] * S with WINO_TOL 2e-6 (F(2x2)) and 2e-5
 * (F(4x4)). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/layers/winograd.h"
#include "graphtest.h"
#include "testutil.h"

static const double WINO_TOL[5] = {0, 0, 2e-6, 0, 2e-5};

typedef struct {
    int N, C, H, W, F, pad;
} wcase;

static layer_geom geom_of(const wcase *k)
{
    layer_spec s = gt_spec("conv2d", "c");
    s.filters = k->F;
    s.kernel = (layer_window){1, {3, 0, 0}};
    s.stride = (layer_window){1, {1, 0, 0}};
    s.padding = PAD_EXPLICIT;
    s.pad = (layer_window){1, {k->pad, 0, 0}};
    graph_node n;
    memset(&n, 0, sizeof n);
    n.spec = s;
    tensor_shape x = {3, {k->C, k->H, k->W}};
    layer_geom geo;
    dlc_error err = {0};
    assert_int_equal(layer_geom_build(&geo, &n, &x, 2, 0, &err), DLC_OK);
    assert_true(wino_applies(&geo));
    return geo;
}

static float *randn(size_t n, dlc_rng *rng)
{
    float *p = malloc(sizeof(float) * (n ? n : 1));
    assert_non_null(p);
    for (size_t i = 0; i < n; i++)
        p[i] = (float)dlc_rng_normal(rng);
    return p;
}

/* Worst |got - want| / scale over n values; fails above tol. */
static double check(const char *what, const float *got, const double *want, const double *scale,
                    size_t n, double tol)
{
    double worst = 0;
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        double e = fabs(got[i] - want[i]) / (scale[i] > 1e-30 ? scale[i] : 1e-30);
        if (!(e <= worst)) {
            worst = e;
            at = i;
        }
    }
    if (!(worst <= tol)) {
        print_error("%s: error %.3g of the magnitude sum at %zu (got %.9g, want %.9g), bound %.3g\n",
                    what, worst, at, got[at], want[at], tol);
        fail();
    }
    return worst;
}

/* The case through the Winograd path with tile m, against direct
 * convolution in double.  act: 0 none, 1 ReLU, 2 leaky ReLU (slope 0.1). */
static void run_case(const wcase *k, wino_tile m, int act, int threads, double *worst)
{
    dlc_rng rng;
    dlc_rng_seed(&rng, 12, (uint64_t)(k->C * 131 + k->H * 17 + k->W + m + act));
    layer_geom geo = geom_of(k);
    const int N = k->N, C = k->C, H = k->H, W = k->W, F = k->F, OH = geo.out[1], OW = geo.out[2];
    const size_t nx = (size_t)N * C * H * W, ny = (size_t)N * F * OH * OW, nw = (size_t)F * C * 9;
    float *x = randn(nx, &rng), *w = randn(nw, &rng), *b = randn((size_t)F, &rng), *dy = randn(ny, &rng);
    float *y = calloc(ny, sizeof *y), *dx = calloc(nx, sizeof *dx);
    float *dw = calloc(nw, sizeof *dw), *db = calloc((size_t)F, sizeof *db);
    double *ry = calloc(ny, sizeof *ry), *sy = calloc(ny, sizeof *sy), *rdx = calloc(nx, sizeof *rdx),
           *sdx = calloc(nx, sizeof *sdx), *rdw = calloc(nw, sizeof *rdw), *sdw = calloc(nw, sizeof *sdw),
           *rdb = calloc((size_t)F, sizeof *rdb), *sdb = calloc((size_t)F, sizeof *sdb);
    float *scratch = tensor_alloc(wino_scratch(m, &geo, F, N));
    assert_true(y && dx && dw && db && ry && sy && rdx && sdx && rdw && sdw && rdb && sdb && scratch);
    const float slope = act == 0 ? 1.0f : act == 1 ? 0.0f : 0.1f;
    /* direct, in double: the pre-activation z, then y and dz */
    for (int n = 0; n < N; n++)
        for (int f = 0; f < F; f++)
            for (int oh = 0; oh < OH; oh++)
                for (int ow = 0; ow < OW; ow++) {
                    double z = b[f], s = fabs(b[f]);
                    for (int c = 0; c < C; c++)
                        for (int kh = 0; kh < 3; kh++)
                            for (int kw = 0; kw < 3; kw++) {
                                int ih = oh + kh - k->pad, iw = ow + kw - k->pad;
                                if (ih < 0 || ih >= H || iw < 0 || iw >= W)
                                    continue;
                                double p = (double)w[((size_t)f * C + c) * 9 + kh * 3 + kw] *
                                           x[(((size_t)n * C + c) * H + ih) * W + iw];
                                z += p;
                                s += fabs(p);
                            }
                    size_t at = (((size_t)n * F + f) * OH + oh) * OW + ow;
                    ry[at] = z > 0 ? z : slope * z;
                    sy[at] = s;
                }
    tensor_set_threads(threads);
    wino_forward(y, x, w, b, slope, &geo, N, F, N, m, scratch);
    char what[128];
    snprintf(what, sizeof what, "F(%dx%d) y, case %dx%dx%dx%d F %d pad %d act %d threads %d", m, m, N, C,
             H, W, F, k->pad, act, threads);
    worst[0] = fmax(worst[0], check(what, y, ry, sy, ny, WINO_TOL[m]));
    /* backward from dy through the activation (decided by the direct y) */
    for (int n = 0; n < N; n++)
        for (int f = 0; f < F; f++)
            for (int oh = 0; oh < OH; oh++)
                for (int ow = 0; ow < OW; ow++) {
                    size_t at = (((size_t)n * F + f) * OH + oh) * OW + ow;
                    double d = act && !(y[at] > 0.0f) ? slope * (double)dy[at] : dy[at];
                    rdb[f] += d;
                    sdb[f] += fabs(d);
                    for (int c = 0; c < C; c++)
                        for (int kh = 0; kh < 3; kh++)
                            for (int kw = 0; kw < 3; kw++) {
                                int ih = oh + kh - k->pad, iw = ow + kw - k->pad;
                                if (ih < 0 || ih >= H || iw < 0 || iw >= W)
                                    continue;
                                size_t xi = (((size_t)n * C + c) * H + ih) * W + iw;
                                size_t wi = ((size_t)f * C + c) * 9 + kh * 3 + kw;
                                rdx[xi] += d * w[wi];
                                sdx[xi] += fabs(d * w[wi]);
                                rdw[wi] += d * x[xi];
                                sdw[wi] += fabs(d * x[xi]);
                            }
                }
    /* dx is overwritten (assign) on the first call; a second call adds */
    wino_backward(dx, 1, dw, db, dy, act ? y : NULL, slope, x, w, &geo, N, F, N, m, scratch);
    snprintf(what, sizeof what, "F(%dx%d) dx, case %dx%dx%dx%d", m, m, N, C, H, W);
    for (size_t i = 0; i < nx; i++)
        dx[i] += 1000.0f; /* garbage that assign must clear */
    wino_backward(dx, 1, NULL, NULL, dy, act ? y : NULL, slope, x, w, &geo, N, F, N, m, scratch);
    worst[1] = fmax(worst[1], check(what, dx, rdx, sdx, nx, WINO_TOL[m]));
    snprintf(what, sizeof what, "F(%dx%d) dw, case %dx%dx%dx%d", m, m, N, C, H, W);
    worst[2] = fmax(worst[2], check(what, dw, rdw, sdw, nw, WINO_TOL[m]));
    snprintf(what, sizeof what, "F(%dx%d) db, case %dx%dx%dx%d", m, m, N, C, H, W);
    worst[3] = fmax(worst[3], check(what, db, rdb, sdb, (size_t)F, WINO_TOL[m]));
    /* adding into dx: a second pass without assign doubles it */
    for (size_t i = 0; i < nx; i++)
        rdx[i] *= 2, sdx[i] *= 2;
    wino_backward(dx, 0, NULL, NULL, dy, act ? y : NULL, slope, x, w, &geo, N, F, N, m, scratch);
    snprintf(what, sizeof what, "F(%dx%d) dx added, case %dx%dx%dx%d", m, m, N, C, H, W);
    check(what, dx, rdx, sdx, nx, WINO_TOL[m]);
    tensor_set_threads(1);
    free(x), free(w), free(b), free(dy), free(y), free(dx), free(dw), free(db);
    free(ry), free(sy), free(rdx), free(sdx), free(rdw), free(sdw), free(rdb), free(sdb);
    tensor_free(scratch);
}

static void test_against_direct(void **state)
{
    const wcase cases[] = {
        {2, 3, 7, 9, 4, 1},   /* partial tiles at the right and bottom */
        {1, 5, 8, 8, 3, 0},   /* valid */
        {3, 4, 6, 5, 2, 2},   /* padding wider than the kernel's half */
        {2, 16, 12, 12, 16, 1},
        {1, 2, 1, 1, 3, 1},   /* a 1x1 map */
        {4, 8, 40, 36, 4, 1}, /* more tiles than one block */
        {2, 64, 8, 9, 64, 1}, /* many channels: the sums auto's layers make */
    };
    double worst[2][4] = {{0}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        for (int mi = 0; mi < 2; mi++)
            for (int act = 0; act < 3; act++)
                run_case(&cases[i], mi ? WINO_F4 : WINO_F2, act, 1 + (int)(i % 2), worst[mi]);
    for (int mi = 0; mi < 2; mi++)
        printf("F(%dx%d, 3x3): worst error / magnitude sum: y %.2g, dx %.2g, dW %.2g, db %.2g\n",
               mi ? 4 : 2, mi ? 4 : 2, worst[mi][0], worst[mi][1], worst[mi][2], worst[mi][3]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_against_direct),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
