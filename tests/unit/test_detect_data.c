/* test_detect_data.c - `format: detection`: darknet label lines (every
 * malformed one an error naming file and line), names files, the folder
 * reader (images without labels, label files without images, bad_files:
 * skip), and augmentation that moves boxes and landmarks with the pixels. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stb_image_write.h>

#include "../../src/data/data.h"
#include "../../src/detect/detect.h"
#include "testutil.h"

static data_detection_config layout(int M, int K)
{
    data_detection_config dc = {.landmarks = K, .max_objects = M};
    return dc;
}

static dlc_status parse(const char *text, int M, int K, int C, float *row, dlc_error *err)
{
    data_detection_config dc = layout(M, K);
    return data_parse_detection_labels("a.txt", text, strlen(text), &dc, C, row, err);
}

static void expect_label_error(const char *text, int K, const char *want)
{
    float row[4 * 11];
    dlc_error err = {0};
    dlc_status st = parse(text, 4, K, 3, row, &err);
    if (st != DLC_EINPUT || !strstr(err.msg, want)) {
        print_error("status %d, message: %s\nwanted: %s\n", (int)st, err.msg, want);
        fail();
    }
}

static void test_label_lines(void **state)
{
    (void)state;
    float row[3 * 5];
    dlc_error err = {0};
    /* blank lines, CRLF, tabs; a box reaching past the border is clipped */
    assert_int_equal(parse("2 0.5 0.25 0.2 0.1\r\n\n1\t0.9 0.5 0.4 0.2\n", 3, 0, 3, row, &err), DLC_OK);
    tu_close(row[0], 2, 0);
    tu_close(row[2], 0.25, 1e-7);
    tu_close(row[5], 1, 0);
    tu_close(row[6], 0.85, 1e-6); /* x from 0.7 to 1.1, clipped to 1: centre 0.85, width 0.3 */
    tu_close(row[8], 0.3, 1e-6);
    tu_close(row[10], -1, 0); /* the unused slot */
    assert_int_equal(parse("", 3, 0, 3, row, &err), DLC_OK);
    tu_close(row[0], -1, 0);

    expect_label_error("0 0.5 0.5 0.2 0.2\n1 0.5 0.5 0.2\n", 0,
                       "a.txt:2: expected 5 fields (class cx cy w h), got 4");
    expect_label_error("0 0.5 0.5 0.2 0.2\n", 3, "a.txt:1: expected 11 fields");
    expect_label_error("0 0.5 0.5 0.2 0.2 0.1 0.1\n", 2, "a.txt:1: expected 9 fields");
    expect_label_error("0 0.5 half 0.2 0.2\n", 0, "a.txt:1: field 3 (cy): expected a number");
    expect_label_error("0 1.5 0.5 0.2 0.2\n", 0, "a.txt:1: cx = 1.5 is outside 0..1");
    expect_label_error("0 0.5 0.5 0.2 0.2 0.3 -0.1\n", 1, "a.txt:1: a landmark coordinate = -0.1");
    expect_label_error("3 0.5 0.5 0.2 0.2\n", 0, "a.txt:1: class id 3 is not one of the 3 classes (0 to 2)");
    expect_label_error("1.5 0.5 0.5 0.2 0.2\n", 0, "a.txt:1: class id 1.5 is not a whole number");
    expect_label_error("0 0.5 0.5 0 0.2\n", 0, "a.txt:1: the box is empty");
    expect_label_error("0 .5 .5 .1 .1\n0 .5 .5 .1 .1\n0 .5 .5 .1 .1\n0 .5 .5 .1 .1\n0 .5 .5 .1 .1\n", 0,
                       "a.txt:5: more than 4 objects in one image (raise data.detection.max_objects)");
    expect_label_error("0 0.5 0.5 nan 0.2\n", 0, "field 4 (w): expected a number");
}

/* ---- a folder on disk ---- */

static void write_png(const char *path, int W, int H, unsigned char v)
{
    unsigned char *px = malloc((size_t)W * H * 3);
    memset(px, v, (size_t)W * H * 3);
    assert_true(stbi_write_png(path, W, H, 3, px, W * 3) != 0);
    free(px);
}

static void test_names(void **state)
{
    (void)state;
    data_config cfg = {0};
    dlc_strlist names = {0};
    dlc_error err = {0};
    tu_write(tu_tmp("ok.names"), "\ncircle\r\n  square \ntriangle\n\n", (size_t)-1);
    snprintf(cfg.detection.names, sizeof cfg.detection.names, "%s", tu_tmp("ok.names"));
    assert_int_equal(data_detection_classes(&cfg, &names, &err), DLC_OK);
    assert_int_equal(names.n, 3);
    assert_string_equal(names.v[1], "square");
    dlc_strlist_clear(&names);
    tu_write(tu_tmp("dup.names"), "a\nb\na\n", (size_t)-1);
    snprintf(cfg.detection.names, sizeof cfg.detection.names, "%s", tu_tmp("dup.names"));
    assert_int_equal(data_detection_classes(&cfg, &names, &err), DLC_EINPUT);
    assert_non_null(strstr(err.msg, "dup.names:3: class 'a' is listed twice"));
    dlc_strlist_clear(&names);
    /* an empty line between names: darknet counts it as a class, skipping it
     * would shift the ids after it; neither is sure, so it is an error */
    tu_write(tu_tmp("gap.names"), "circle\r\n\n  square \ntriangle", (size_t)-1);
    snprintf(cfg.detection.names, sizeof cfg.detection.names, "%s", tu_tmp("gap.names"));
    assert_int_equal(data_detection_classes(&cfg, &names, &err), DLC_EINPUT);
    assert_non_null(strstr(err.msg, "gap.names:2: an empty line among the class names"));
    dlc_strlist_clear(&names);
    cfg.detection.names[0] = '\0';
    assert_int_equal(data_detection_classes(&cfg, &names, &err), DLC_EINPUT);
    assert_non_null(strstr(err.msg, "needs the class names"));
}

static void test_folder(void **state)
{
    (void)state;
    char dir[512], path[600];
    snprintf(dir, sizeof dir, "%s", tu_tmp("imgs"));
    assert_int_equal(dlc_mkdirs(dir, NULL), DLC_OK);
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/im%d.png", dir, i);
        write_png(path, 8, 6, (unsigned char)(10 * i));
    }
    snprintf(path, sizeof path, "%s/im0.txt", dir);
    tu_write(path, "1 0.5 0.5 0.5 0.5\n0 0.25 0.25 0.2 0.2\n", (size_t)-1);
    snprintf(path, sizeof path, "%s/im2.txt", dir);
    tu_write(path, "2 0.5 0.5 0.2 0.2\n", (size_t)-1);
    /* im1 has no label file: no objects */
    data_detection_config dc = layout(4, 0);
    data_source src = {0};
    snprintf(src.dir, sizeof src.dir, "%s", dir);
    tensor_shape shape = {0};
    dataset *ds = NULL;
    dlc_error err = {0};
    dlc_strlist skipped = {0};
    assert_int_equal(data_read_detection(&ds, &src, &dc, 3, &shape, DATA_BAD_FAIL, 0, &skipped, NULL, &err),
                     DLC_OK);
    assert_int_equal(ds->n, 3);
    assert_int_equal(ds->n_targets, 4 * 5);
    assert_int_equal(ds->objects, 4);
    assert_int_equal(shape.d[1], 6);
    tu_close(ds->targets[0], 1, 0);
    tu_close(ds->targets[5], 0, 0);
    tu_close(ds->targets[20], -1, 0); /* im1: nothing */
    tu_close(ds->targets[40], 2, 0);
    assert_int_equal(ds->u8[ds->dim], 10); /* im1's pixels */
    data_dataset_free(ds);

    /* a box under a pixel of the 8 x 6 input: refused, naming it */
    snprintf(path, sizeof path, "%s/im0.txt", dir);
    tu_write(path, "1 0.5 0.5 0.5 0.5\n0 0.25 0.25 0.1 0.2\n", (size_t)-1);
    assert_int_equal(data_read_detection(&ds, &src, &dc, 3, &shape, DATA_BAD_FAIL, 0, &skipped, NULL, &err),
                     DLC_EINPUT);
    assert_non_null(strstr(err.msg, "im0.txt: box 2 is 0.8 x 1.2 pixels at the model's 8 x 6 input"));
    tu_write(path, "1 0.5 0.5 0.5 0.5\n0 0.25 0.25 0.2 0.2\n", (size_t)-1);

    /* a bad line: an error naming the file and line, or skipped */
    snprintf(path, sizeof path, "%s/im2.txt", dir);
    tu_write(path, "2 0.5 0.5 0.2 0.2\n5 0.5 0.5 0.2 0.2\n", (size_t)-1);
    assert_int_equal(data_read_detection(&ds, &src, &dc, 3, &shape, DATA_BAD_FAIL, 0, &skipped, NULL, &err),
                     DLC_EINPUT);
    assert_non_null(strstr(err.msg, "im2.txt:2: class id 5"));
    assert_non_null(strstr(err.msg, "data.bad_files: skip"));
    assert_int_equal(data_read_detection(&ds, &src, &dc, 3, &shape, DATA_BAD_SKIP, 0, &skipped, NULL, &err),
                     DLC_OK);
    assert_int_equal(ds->n, 2);
    assert_int_equal(skipped.n, 1);
    assert_non_null(strstr(skipped.v[0], "im2.txt:2: class id 5"));
    data_dataset_free(ds);

    /* a label file without an image */
    snprintf(path, sizeof path, "%s/lost.txt", dir);
    tu_write(path, "0 0.5 0.5 0.2 0.2\n", (size_t)-1);
    assert_int_equal(data_read_detection(&ds, &src, &dc, 3, &shape, DATA_BAD_FAIL, 0, &skipped, NULL, &err),
                     DLC_EINPUT);
    assert_non_null(strstr(err.msg, "lost.txt: a label file without an image"));
    dlc_strlist_clear(&skipped);
    assert_int_equal(data_read_detection(&ds, &src, &dc, 3, &shape, DATA_BAD_SKIP, 0, &skipped, NULL, &err),
                     DLC_OK);
    assert_int_equal(skipped.n, 2); /* lost.txt and im2 */
    assert_non_null(strstr(skipped.v[0], "lost.txt: a label file without an image"));
    data_dataset_free(ds);

    /* labels in a folder of their own */
    char lab[512];
    snprintf(lab, sizeof lab, "%s", tu_tmp("labels"));
    assert_int_equal(dlc_mkdirs(lab, NULL), DLC_OK);
    snprintf(path, sizeof path, "%s/im1.txt", lab);
    tu_write(path, "0 0.5 0.5 0.2 0.2\n", (size_t)-1);
    snprintf(src.labels, sizeof src.labels, "%s", lab);
    assert_int_equal(data_read_detection(&ds, &src, &dc, 3, &shape, DATA_BAD_FAIL, 0, &skipped, NULL, &err),
                     DLC_OK);
    tu_close(ds->targets[0], -1, 0);
    tu_close(ds->targets[20], 0, 0); /* im1, from labels/ */
    data_dataset_free(ds);
    dlc_strlist_clear(&skipped);
}

/* ---- augmentation moves the objects ---- */

enum { AW = 16, AH = 12, AK = 2, AM = 3, ASTRIDE = 5 + 2 * AK };

/* The bounding box of pixels equal to v in channel 0 of an (3, AH, AW)
 * image (fractions); 0 when there are none. */
static int find(const float *x, float v, float *b, long *count)
{
    int x1 = AW, y1 = AH, x2 = -1, y2 = -1;
    *count = 0;
    for (int y = 0; y < AH; y++)
        for (int i = 0; i < AW; i++)
            if (x[y * AW + i] == v) {
                x1 = i < x1 ? i : x1;
                x2 = i > x2 ? i : x2;
                y1 = y < y1 ? y : y1;
                y2 = y > y2 ? y : y2;
                (*count)++;
            }
    if (x2 < 0)
        return 0;
    b[0] = (float)x1 / AW;
    b[1] = (float)y1 / AH;
    b[2] = (float)(x2 + 1) / AW;
    b[3] = (float)(y2 + 1) / AH;
    return 1;
}

static void test_augment_moves_objects(void **state)
{
    (void)state;
    /* one image: object A (class 1) a block of 255 at x 3..8, y 2..7, its
     * landmarks the left and right middle of its edges; object B (class 0) a
     * block of 100 at x 0..1, y 8..11 by the border, which a shift can push
     * mostly out of the picture */
    dataset ds = {.n = 1, .shape = {3, {3, AH, AW}}, .dim = 3 * AH * AW, .n_targets = AM * ASTRIDE,
                  .objects = AM, .landmarks = AK, .n_flip = 2, .flip = {1, 0}};
    uint8_t px[3 * AH * AW] = {0};
    for (int c = 0; c < 3; c++)
        for (int y = 0; y < AH; y++)
            for (int x = 0; x < AW; x++) {
                uint8_t *p = &px[(c * AH + y) * AW + x];
                if (x >= 3 && x < 9 && y >= 2 && y < 8)
                    *p = 255;
                else if (x < 2 && y >= 8)
                    *p = 100;
            }
    float t[AM * ASTRIDE] = {
        1, 6.0f / AW, 5.0f / AH, 6.0f / AW, 6.0f / AH, 3.0f / AW, 5.0f / AH, 9.0f / AW, 5.0f / AH,
        0, 1.0f / AW, 10.0f / AH, 2.0f / AW, 4.0f / AH, 0, 0, 0, 0,
        -1, 0, 0, 0, 0, 0, 0, 0, 0};
    ds.u8 = px;
    ds.targets = t;
    int idx[1] = {0};
    data_split s = {.ds = &ds, .n = 1, .idx = idx, .stack = 1};
    const data_augment aug = {.hflip = 1, .crop_pad = 4};
    int flips = 0, dropped = 0, clipped = 0;
    for (int trial = 0; trial < 200; trial++) {
        float x[3 * AH * AW], out[AM * ASTRIDE], want[4] = {0};
        long count;
        data_gather_augment(&s, NULL, 0, 1, NULL, &aug, NULL, (uint64_t)trial, x, out, NULL);
        /* object A: always kept (a shift of 4 leaves most of it) */
        assert_true(find(x, 255.0f, want, &count));
        assert_int_equal((int)out[0], 1);
        detect_box b = detect_box_cwh(out[1], out[2], out[3], out[4]);
        tu_close(b.x1, want[0], 1e-6);
        tu_close(b.y1, want[1], 1e-6);
        tu_close(b.x2, want[2], 1e-6);
        tu_close(b.y2, want[3], 1e-6);
        clipped += count < 36;
        /* its landmark 0 stays the left edge, 1 the right: a flip swaps them */
        if (count == 36) {
            tu_close(out[5], want[0], 1e-6);
            tu_close(out[7], want[2], 1e-6);
            tu_close(out[6], 0.5f * (want[1] + want[3]), 1e-6);
        }
        /* object B: present exactly when at least half of it is in the picture */
        int seen = find(x, 100.0f, want, &count);
        flips += seen && want[0] > 0.5f; /* B went from the left border to the right */
        if (seen && count >= 4) {
            assert_int_equal((int)out[ASTRIDE], 0);
            detect_box c = detect_box_cwh(out[ASTRIDE + 1], out[ASTRIDE + 2], out[ASTRIDE + 3],
                                          out[ASTRIDE + 4]);
            tu_close(c.x1, want[0], 1e-6);
            tu_close(c.y2, want[3], 1e-6);
        } else {
            tu_close(out[ASTRIDE], -1, 0); /* dropped, and the slot cleared */
            dropped++;
        }
        tu_close(out[2 * ASTRIDE], -1, 0);
    }
    assert_true(flips > 50);   /* both cases were seen */
    assert_true(dropped > 10);
    assert_true(clipped > 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_label_lines),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_folder),
        cmocka_unit_test(test_augment_moves_objects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
