/* test_detect.c - src/detect: IoU and non-max suppression against
 * torchvision (tests/data/make_detect_reference.py), average precision
 * against a hand-worked case and a numpy reference of the VOC devkit's
 * algorithm (tests/data/make_ap_reference.py), decoding a YOLO and a
 * localization output, and drawing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/base/util.h"
#include "../../src/detect/detect.h"
#include "testutil.h"

/* ---- IoU and NMS against torchvision ---- */

static detect_box box_at(const float *v, size_t i)
{
    return (detect_box){v[4 * i], v[4 * i + 1], v[4 * i + 2], v[4 * i + 3]};
}

/* Array `field` of case `c` ("random.boxes"). */
static const float *case_get(const tu_ref *r, const char *c, const char *field, size_t *n)
{
    char name[64];
    snprintf(name, sizeof name, "%s.%s", c, field);
    return tu_ref_get(r, name, n);
}

static void test_iou_reference(void **state)
{
    (void)state;
    tu_ref *r = tu_ref_load("detect_iou");
    static const char *const cases[] = {"random", "edges", "pixels", "empty"};
    for (size_t c = 0; c < DLC_ARRAY_LEN(cases); c++) {
        size_t na, nb, nw;
        const float *a = case_get(r, cases[c], "a", &na), *b = case_get(r, cases[c], "b", &nb);
        const float *want = case_get(r, cases[c], "iou", &nw);
        na /= 4;
        nb /= 4;
        assert_int_equal(nw, na * nb);
        float *got = malloc(sizeof(float) * (nw + 1));
        for (size_t i = 0; i < na; i++)
            for (size_t j = 0; j < nb; j++) {
                detect_box x = box_at(a, i), y = box_at(b, j);
                got[i * nb + j] = detect_iou(&x, &y);
            }
        tu_assert_close(cases[c], got, want, nw, 1e-6, 1e-6);
        free(got);
    }
    tu_ref_free(r);
}

/* The indices a case keeps, as torchvision kept them (in order). */
static void assert_keep(const char *what, const int *got, int n, const float *want, size_t nw)
{
    if ((size_t)n != nw) {
        print_error("%s: kept %d boxes, torchvision %zu\n", what, n, nw);
        fail();
    }
    for (int i = 0; i < n; i++)
        if (got[i] != (int)want[i]) {
            print_error("%s: kept[%d] = %d, torchvision %d\n", what, i, got[i], (int)want[i]);
            fail();
        }
}

static void test_nms_reference(void **state)
{
    (void)state;
    tu_ref *r = tu_ref_load("detect_nms");
    static const char *const cases[] = {"random", "dense", "ties", "few", "at_threshold",
                                        "identical", "one", "empty"};
    for (size_t c = 0; c < DLC_ARRAY_LEN(cases); c++) {
        size_t nb, ns, nk;
        const float *b = case_get(r, cases[c], "boxes", &nb), *s = case_get(r, cases[c], "scores", &ns);
        float thr = case_get(r, cases[c], "thresh", NULL)[0];
        const float *want = case_get(r, cases[c], "keep", &nk);
        int n = (int)ns;
        assert_int_equal(nb, 4 * ns);
        detect_box *boxes = malloc(sizeof *boxes * (size_t)(n + 1));
        int *keep = malloc(sizeof(int) * (size_t)(n + 1)), *order = malloc(sizeof(int) * (size_t)(n + 1));
        for (int i = 0; i < n; i++)
            boxes[i] = box_at(b, (size_t)i);
        int k = detect_nms(boxes, s, n, thr, keep, order);
        assert_keep(cases[c], keep, k, want, nk);
        free(boxes);
        free(keep);
        free(order);
    }
    tu_ref_free(r);
}

/* detect_suppress with no score threshold is torchvision's batched_nms. */
static void test_batched_nms_reference(void **state)
{
    (void)state;
    tu_ref *r = tu_ref_load("detect_batched_nms");
    static const char *const cases[] = {"random", "ties", "empty"};
    for (size_t c = 0; c < DLC_ARRAY_LEN(cases); c++) {
        size_t ns, nk;
        const float *b = case_get(r, cases[c], "boxes", NULL), *s = case_get(r, cases[c], "scores", &ns);
        const float *cls = case_get(r, cases[c], "classes", NULL);
        float thr = case_get(r, cases[c], "thresh", NULL)[0];
        const float *want = case_get(r, cases[c], "keep", &nk);
        int n = (int)ns;
        detect_det *d = malloc(sizeof *d * (size_t)(n + 1));
        int *scratch = malloc(sizeof(int) * (size_t)(n + 1)), *kept = malloc(sizeof(int) * (size_t)(n + 1));
        for (int i = 0; i < n; i++)
            d[i] = (detect_det){box_at(b, (size_t)i), s[i], (int)cls[i], 0, i};
        int k = detect_suppress(d, n, -1.0f, thr, scratch);
        for (int i = 0; i < k; i++)
            kept[i] = d[i].slot;
        assert_keep(cases[c], kept, k, want, nk);
        free(d);
        free(scratch);
        free(kept);
    }
    tu_ref_free(r);
}

/* The notes' rule: scores below the threshold go first; a box is dropped for
 * a better box of its own class only. */
static void test_suppress_rules(void **state)
{
    (void)state;
    detect_det d[6] = {
        {{0, 0, 1, 1}, 0.90f, 0, 0, 0},
        {{0, 0, 1, 1}, 0.80f, 1, 0, 1}, /* same place, other class: kept */
        {{0, 0, 1, 0.9f}, 0.70f, 0, 0, 2}, /* IoU 0.9 with the first: dropped */
        {{2, 2, 3, 3}, 0.59f, 0, 0, 3}, /* below 0.6: dropped whatever else */
        {{2, 2, 3, 3}, 0.60f, 0, 0, 4}, /* at 0.6: kept (drop p_c < 0.6) */
        {{0, 0, 1, 0.5f}, 0.65f, 0, 0, 5}, /* IoU exactly 0.5: kept (drop IoU > 0.5) */
    };
    int scratch[6];
    int k = detect_suppress(d, 6, 0.6f, 0.5f, scratch);
    assert_int_equal(k, 4);
    assert_int_equal(d[0].slot, 0);
    assert_int_equal(d[1].slot, 1);
    assert_int_equal(d[2].slot, 5);
    assert_int_equal(d[3].slot, 4);
}

/* ---- average precision ---- */

static void test_ap_hand_worked(void **state)
{
    (void)state;
    /* Two images, one class.  Image 0 holds A and B, image 1 holds C.
     * Detections by score: on A (TP), on A again (FP: A is taken), a stray
     * one in image 1 (FP), on C with IoU exactly 0.5 (TP at >= 0.5).  B is
     * missed.  Recall 1/3 1/3 1/3 2/3, precision 1 1/2 1/3 1/2; the envelope
     * is 1 up to recall 1/3, then 1/2: AP = 1/3 + 1/3 * 1/2 = 1/2. */
    detect_det gt0[2] = {{{0, 0, 0.2f, 0.2f}, 1, 0, 0, 0}, {{0.5f, 0.5f, 0.7f, 0.7f}, 1, 0, 0, 1}};
    detect_det gt1[1] = {{{0, 0, 0.5f, 0.5f}, 1, 0, 0, 0}};
    detect_det det0[2] = {{{0, 0, 0.2f, 0.2f}, 0.9f, 0, 0, 0}, {{0.01f, 0, 0.2f, 0.2f}, 0.8f, 0, 0, 1}};
    detect_det det1[2] = {{{0.8f, 0.8f, 0.9f, 0.9f}, 0.7f, 0, 0, 0}, {{0, 0, 0.5f, 0.25f}, 0.6f, 0, 0, 1}};
    detect_eval e;
    detect_eval_init(&e, 1);
    assert_int_equal(detect_eval_add(&e, det0, 2, gt0, 2, NULL), DLC_OK);
    assert_int_equal(detect_eval_add(&e, det1, 2, gt1, 1, NULL), DLC_OK);
    double ap;
    long n_gt;
    assert_int_equal(detect_eval_ap(&e, 0.5f, &ap, &n_gt, NULL), DLC_OK);
    assert_int_equal(n_gt, 3);
    tu_close(ap, 0.5, 1e-12);
    uint8_t tp[4], hit[3];
    assert_int_equal(detect_eval_match(&e, 0.5f, tp, hit, NULL), DLC_OK);
    assert_int_equal(tp[0], 1);
    assert_int_equal(tp[1], 0);
    assert_int_equal(tp[2], 0);
    assert_int_equal(tp[3], 1);
    assert_int_equal(hit[0], 1);
    assert_int_equal(hit[1], 0); /* B: a miss for the error sample */
    assert_int_equal(hit[2], 1);
    /* at 0.55 the last one no longer counts: recall 1/3, AP 1/3 */
    assert_int_equal(detect_eval_ap(&e, 0.55f, &ap, NULL, NULL), DLC_OK);
    tu_close(ap, 1.0 / 3.0, 1e-7);
    detect_eval_free(&e);

    /* the interpolation alone: VOC's all-point envelope */
    double rec[4] = {0.25, 0.5, 0.5, 1.0}, prec[4] = {1.0, 0.5, 0.4, 0.6};
    /* envelope: 1 at 0.25, 0.6 at 0.5 (a later point is higher), 0.6 at 1 */
    tu_close(detect_ap_voc(rec, prec, 4), 0.25 * 1.0 + 0.25 * 0.6 + 0.5 * 0.6, 1e-12);
    tu_close(detect_ap_voc(rec, prec, 0), 0.0, 0);
}

static void test_ap_reference(void **state)
{
    (void)state;
    tu_ref *r = tu_ref_load("detect_ap");
    size_t nd, ng, nap;
    const float *di = tu_ref_get(r, "det_image", &nd), *dc = tu_ref_get(r, "det_class", NULL);
    const float *ds = tu_ref_get(r, "det_score", NULL), *db = tu_ref_get(r, "det_box", NULL);
    const float *gi = tu_ref_get(r, "gt_image", &ng), *gc = tu_ref_get(r, "gt_class", NULL);
    const float *gb = tu_ref_get(r, "gt_box", NULL);
    const float *want = tu_ref_get(r, "ap", &nap);
    const int C = 4, T = 10, IMAGES = 30;
    assert_int_equal(nap, (size_t)(C * T));
    detect_eval e;
    detect_eval_init(&e, C);
    detect_det dets[64], gts[64];
    for (int i = 0; i < IMAGES; i++) {
        int n = 0, m = 0;
        for (size_t k = 0; k < nd; k++)
            if ((int)di[k] == i)
                dets[n++] = (detect_det){box_at(db, k), ds[k], (int)dc[k], i, (int)k};
        for (size_t k = 0; k < ng; k++)
            if ((int)gi[k] == i)
                gts[m++] = (detect_det){box_at(gb, k), 1, (int)gc[k], i, (int)k};
        assert_int_equal(detect_eval_add(&e, dets, n, gts, m, NULL), DLC_OK);
    }
    for (int t = 0; t < T; t++) {
        double ap[4];
        assert_int_equal(detect_eval_ap(&e, 0.5f + 0.05f * (float)t, ap, NULL, NULL), DLC_OK);
        for (int c = 0; c < C; c++) {
            double w = want[t * C + c];
            if (isnan(w)) {
                if (!isnan(ap[c])) {
                    print_error("threshold %d class %d: AP %g, reference undefined\n", t, c, ap[c]);
                    fail();
                }
                continue;
            }
            tu_close(ap[c], w, 1e-6);
        }
    }
    detect_map mp;
    double ap50[4], apm[4];
    assert_int_equal(detect_eval_map(&e, ap50, apm, &mp, NULL), DLC_OK);
    tu_close(mp.map50, tu_ref_get(r, "map50", NULL)[0], 1e-6);
    tu_close(mp.map, tu_ref_get(r, "map", NULL)[0], 1e-6);
    assert_true(isnan(ap50[2])); /* no ground truth of class 2 */
    tu_close(ap50[3], 0.0, 0);   /* ground truth of class 3, never detected */
    detect_eval_free(&e);
    tu_ref_free(r);
}

/* ---- decoding ---- */

static void test_decode_yolo(void **state)
{
    (void)state;
    /* S 2, A 2, C 2: depth 7, output (14, 2, 2) */
    detect_grid g = {2, 2, {{0.2f, 0.4f}, {0.5f, 0.5f}}, 2};
    float out[14 * 4];
    for (int i = 0; i < 14 * 4; i++)
        out[i] = -8.0f; /* p_c ~ 0 everywhere */
    /* anchor 1 at cell (row 1, col 0): p_c = sigmoid(2), x = sigmoid(0) = 0.5,
     * y = sigmoid(0), w = 0.5 e^0, h = 0.5 e^log(0.6) = 0.3, class 1 */
    int cell = 1 * 2 + 0, base = 7 * 4;
    out[base + 0 * 4 + cell] = 2.0f;
    out[base + 1 * 4 + cell] = 0.0f;
    out[base + 2 * 4 + cell] = 0.0f;
    out[base + 3 * 4 + cell] = 0.0f;
    out[base + 4 * 4 + cell] = logf(0.6f);
    out[base + 5 * 4 + cell] = 0.0f;
    out[base + 6 * 4 + cell] = 1.0f;
    detect_det d[8];
    int n = detect_decode_yolo(out, &g, 0.1f, 3, d);
    assert_int_equal(n, 1);
    float p = 1.0f / (1.0f + expf(-2.0f)), pc = expf(1.0f) / (1.0f + expf(1.0f));
    tu_close(d[0].score, p * pc, 1e-6);
    assert_int_equal(d[0].cls, 1);
    assert_int_equal(d[0].image, 3);
    assert_int_equal(d[0].slot, cell * 2 + 1);
    /* centre (0.25, 0.75), size (0.5, 0.3) */
    tu_close(d[0].box.x1, 0.0, 1e-6);
    tu_close(d[0].box.x2, 0.5, 1e-6);
    tu_close(d[0].box.y1, 0.6, 1e-6);
    tu_close(d[0].box.y2, 0.9, 1e-6);
    assert_int_equal(detect_decode_yolo(out, &g, 0.9f, 0, d), 0);
}

static void test_decode_localize(void **state)
{
    (void)state;
    float out[8] = {0.0f, 0.5f, 0.5f, 1.2f, 0.2f, 0.0f, 3.0f, 0.0f};
    float p, probs[3];
    detect_det d = detect_decode_localize(out, 3, &p, probs);
    tu_close(p, 0.5, 1e-7);
    assert_int_equal(d.cls, 1);
    tu_close(probs[0] + probs[1] + probs[2], 1.0, 1e-6);
    tu_close(d.score, 0.5 * probs[1], 1e-7);
    tu_close(d.box.x1, 0.0, 0); /* clipped: the width reaches past the image */
    tu_close(d.box.x2, 1.0, 0);
    tu_close(d.box.y1, 0.4, 1e-6);
    /* ground truth from a target row: 2 slots of 5 + 2 values, the second unused */
    float row[14] = {2, 0.5f, 0.5f, 0.2f, 0.4f, 0.1f, 0.2f, -1, 0, 0, 0, 0, 0, 0};
    detect_det gt[2];
    assert_int_equal(detect_objects(row, 2, 1, 7, gt), 1);
    assert_int_equal(gt[0].cls, 2);
    assert_int_equal(gt[0].image, 7);
    tu_close(gt[0].box.y2, 0.7, 1e-6);
}

static void test_draw(void **state)
{
    (void)state;
    enum { W = 40, H = 30 };
    uint8_t img[W * H * 3];
    memset(img, 0, sizeof img);
    const uint8_t red[3] = {255, 0, 0}, white[3] = {255, 255, 255}, black[3] = {0, 0, 0};
    detect_draw_box(img, W, H, &(detect_box){2, 3, 12, 13}, 1, red);
    assert_int_equal(img[(3 * W + 2) * 3], 255);      /* top left corner */
    assert_int_equal(img[(12 * W + 11) * 3], 255);    /* bottom right: x2, y2 exclusive */
    assert_int_equal(img[(8 * W + 7) * 3], 0);        /* inside stays */
    detect_draw_box(img, W, H, &(detect_box){-5, -5, 100, 100}, 2, red); /* clipped, no crash */
    int w = detect_draw_text(img, W, H, 30, 20, "a1?\x01", 1, white, black);
    assert_int_equal(w, 24);
    /* '1' at x 36: its top row is ..#.. at column 2, one row below the cell top */
    assert_int_equal(img[(21 * W + 38) * 3], 255);
    assert_int_equal(img[(20 * W + 38) * 3], 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_iou_reference),   cmocka_unit_test(test_nms_reference),
        cmocka_unit_test(test_batched_nms_reference), cmocka_unit_test(test_suppress_rules),
        cmocka_unit_test(test_ap_hand_worked),  cmocka_unit_test(test_ap_reference),
        cmocka_unit_test(test_decode_yolo),     cmocka_unit_test(test_decode_localize),
        cmocka_unit_test(test_draw),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
