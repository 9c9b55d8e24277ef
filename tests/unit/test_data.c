/* test_data.c - readers (IDX, CSV), splits, normalization and batches. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <malloc.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "testutil.h"
#include "../../src/data/data.h"

/* ---- helpers ---- */

/* A list from NULL-terminated arguments; clear with dlc_strlist_clear. */
static dlc_strlist list_of(const char *first, ...)
{
    dlc_strlist l = {0, NULL};
    va_list ap;
    va_start(ap, first);
    for (const char *s = first; s; s = va_arg(ap, const char *))
        assert_int_equal(dlc_strlist_push(&l, s, NULL), DLC_OK);
    va_end(ap);
    return l;
}

static void write_bytes(const char *path, int gz, const uint8_t *p, size_t n)
{
    if (!gz) {
        tu_write(path, p, n);
        return;
    }
    gzFile g = gzopen(path, "wb");
    assert_non_null(g);
    if (n)
        assert_int_equal(gzwrite(g, p, (unsigned)n), (int)n);
    assert_int_equal(gzclose(g), Z_OK);
}

/* An IDX file: header for (dims) of type, then data_len bytes of data. */
static void write_idx(const char *path, int gz, int type, int ndim, const uint32_t *dims,
                      const uint8_t *data, size_t data_len)
{
    size_t hdr = 4 + 4 * (size_t)ndim;
    uint8_t *buf = malloc(hdr + data_len + 1);
    assert_non_null(buf);
    buf[0] = 0;
    buf[1] = 0;
    buf[2] = (uint8_t)type;
    buf[3] = (uint8_t)ndim;
    for (int i = 0; i < ndim; i++) {
        buf[4 + 4 * i] = (uint8_t)(dims[i] >> 24);
        buf[5 + 4 * i] = (uint8_t)(dims[i] >> 16);
        buf[6 + 4 * i] = (uint8_t)(dims[i] >> 8);
        buf[7 + 4 * i] = (uint8_t)dims[i];
    }
    if (data_len)
        memcpy(buf + hdr, data, data_len);
    write_bytes(path, gz, buf, hdr + data_len);
    free(buf);
}

/* n images of H x W with pixel k of image i = (i * H * W + k) % 251; labels i % 3 */
static void write_images(const char *img, const char *lab, int gz, uint32_t n, uint32_t H,
                         uint32_t W)
{
    size_t bytes = (size_t)n * H * W;
    uint8_t *px = malloc(bytes + 1), *lb = malloc(n + 1);
    assert_non_null(px);
    assert_non_null(lb);
    for (size_t k = 0; k < bytes; k++)
        px[k] = (uint8_t)(k % 251);
    for (uint32_t i = 0; i < n; i++)
        lb[i] = (uint8_t)(i % 3);
    uint32_t di[3] = {n, H, W}, dl[1] = {n};
    write_idx(img, gz, 0x08, 3, di, px, bytes);
    write_idx(lab, gz, 0x08, 1, dl, lb, n);
    free(px);
    free(lb);
}

#define assert_msg_has(err, needle)                                                      \
    do {                                                                                 \
        if (!strstr((err).msg, (needle))) {                                              \
            print_error("message \"%s\" lacks \"%s\"\n", (err).msg, (needle));           \
            fail();                                                                      \
        }                                                                                \
    } while (0)

static dlc_status parse_csv(dataset **ds, const char *text, const dlc_strlist *label,
                            const dlc_strlist *features, data_target mode, dlc_strlist *names,
                            dlc_error *err)
{
    return data_parse_csv(ds, "t.csv", text, strlen(text), label, features, mode, names, 0, err);
}

static void cfg_free(data_config *c)
{
    dlc_strlist_clear(&c->classes);
    for (int i = 0; i < c->n_labels; i++)
        dlc_strlist_clear(&c->labels[i].columns);
    dlc_strlist_clear(&c->unknown_label);
    dlc_strlist_clear(&c->features);
}

/* ---- IDX ---- */

static void check_small_images(const dataset *ds, int n)
{
    assert_int_equal(ds->n, n);
    assert_int_equal(ds->shape.ndim, 3);
    assert_int_equal(ds->shape.d[0], 1);
    assert_int_equal(ds->shape.d[1], 3);
    assert_int_equal(ds->shape.d[2], 2);
    assert_int_equal(ds->dim, 6);
    assert_non_null(ds->u8);
    assert_null(ds->f32);
    assert_int_equal(ds->n_targets, 1);
    for (int k = 0; k < n * 6; k++)
        assert_int_equal(ds->u8[k], k % 251);
    for (int i = 0; i < n; i++)
        assert_true(ds->targets[i] == (float)(i % 3));
}

static void test_idx_plain_and_gzip(void **state)
{
    dlc_error err = {0};
    dataset *ds = NULL;
    write_images(tu_tmp("a-images"), tu_tmp("a-labels"), 0, 5, 3, 2);
    assert_int_equal(data_read_idx(&ds, tu_tmp("a-images"), tu_tmp("a-labels"), 0, &err), DLC_OK);
    check_small_images(ds, 5);
    assert_string_equal(ds->path, tu_tmp("a-images"));
    data_dataset_free(ds);

    /* compressed, under names that do not say so: detected by the magic */
    write_images(tu_tmp("b-images"), tu_tmp("b-labels.gz"), 1, 5, 3, 2);
    assert_int_equal(data_read_idx(&ds, tu_tmp("b-images"), tu_tmp("b-labels.gz"), 0, &err), DLC_OK);
    check_small_images(ds, 5);
    data_dataset_free(ds);

    /* a plain file named .gz is read as plain */
    write_images(tu_tmp("c-images.gz"), tu_tmp("c-labels"), 0, 4, 3, 2);
    assert_int_equal(data_read_idx(&ds, tu_tmp("c-images.gz"), tu_tmp("c-labels"), 0, &err), DLC_OK);
    check_small_images(ds, 4);
    data_dataset_free(ds);
}

static void test_idx_2d_and_4d(void **state)
{
    dlc_error err = {0};
    dataset *ds = NULL;
    uint8_t px[4 * 7], lb[4] = {1, 0, 1, 1};
    for (int k = 0; k < 28; k++)
        px[k] = (uint8_t)k;
    uint32_t d2[2] = {4, 7}, dl[1] = {4};
    write_idx(tu_tmp("m2-images"), 0, 0x08, 2, d2, px, sizeof px);
    write_idx(tu_tmp("m2-labels"), 0, 0x08, 1, dl, lb, 4);
    assert_int_equal(data_read_idx(&ds, tu_tmp("m2-images"), tu_tmp("m2-labels"), 0, &err), DLC_OK);
    assert_int_equal(ds->shape.ndim, 1);
    assert_int_equal(ds->shape.d[0], 7);
    assert_int_equal(ds->dim, 7);
    assert_int_equal(ds->u8[7 * 3 + 6], 27);
    assert_true(ds->targets[1] == 0.0f);
    data_dataset_free(ds);

    uint32_t d4[4] = {2, 2, 7, 1}, dl2[1] = {2};
    write_idx(tu_tmp("m4-images"), 0, 0x08, 4, d4, px, 28);
    write_idx(tu_tmp("m4-labels"), 0, 0x08, 1, dl2, lb, 2);
    assert_int_equal(data_read_idx(&ds, tu_tmp("m4-images"), tu_tmp("m4-labels"), 0, &err), DLC_OK);
    assert_int_equal(ds->shape.ndim, 3);
    assert_int_equal(ds->shape.d[0], 2);
    assert_int_equal(ds->shape.d[1], 7);
    assert_int_equal(ds->shape.d[2], 1);
    data_dataset_free(ds);
}

static void test_idx_truncated(void **state)
{
    dlc_error err = {0};
    dataset *ds = NULL;
    uint8_t px[30] = {0}, lb[5] = {0};
    uint32_t di[3] = {5, 3, 2}, dl[1] = {5};
    write_idx(tu_tmp("t-images"), 0, 0x08, 3, di, px, 27);
    write_idx(tu_tmp("t-labels"), 0, 0x08, 1, dl, lb, 5);
    assert_int_equal(data_read_idx(&ds, tu_tmp("t-images"), tu_tmp("t-labels"), 0, &err), DLC_EINPUT);
    assert_null(ds);
    assert_msg_has(err, tu_tmp("t-images"));
    assert_msg_has(err, "expected 30 bytes of image data, found 27");

    /* too many bytes is as wrong as too few */
    write_idx(tu_tmp("t2-images"), 0, 0x08, 3, di, px, 30);
    write_idx(tu_tmp("t2-labels"), 0, 0x08, 1, dl, (const uint8_t *)"\0\0\0\0\0\0", 6);
    assert_int_equal(data_read_idx(&ds, tu_tmp("t2-images"), tu_tmp("t2-labels"), 0, &err), DLC_EINPUT);
    assert_msg_has(err, "expected 5 bytes of label data, found 6");

    /* a header cut short */
    tu_write(tu_tmp("t3-images"), "\0\0\x08\x03\0\0\0\x05\0\0", 10);
    assert_int_equal(data_read_idx(&ds, tu_tmp("t3-images"), tu_tmp("t-labels"), 0, &err), DLC_EINPUT);
    assert_msg_has(err, "header truncated");

    /* a gzip stream cut in the middle */
    write_images(tu_tmp("gz-images"), tu_tmp("gz-labels"), 1, 50, 8, 8);
    char *text = NULL;
    size_t len = 0;
    assert_int_equal(dlc_read_file(tu_tmp("gz-images"), &text, &len, &err), DLC_OK);
    tu_write(tu_tmp("gzcut-images"), text, len / 2);
    free(text);
    assert_int_equal(data_read_idx(&ds, tu_tmp("gzcut-images"), tu_tmp("gz-labels"), 0, &err),
                     DLC_EINPUT);
    assert_null(ds);
    assert_msg_has(err, tu_tmp("gzcut-images"));
}

/* A small gzip file whose IDX header promises 320 bytes but which inflates
 * to many megabytes: reading stops one byte past the promise (the message
 * says so; reading it all would say how much was found). */
static void test_idx_gzip_bomb(void **state)
{
    dlc_error err = {0};
    dataset *ds = NULL;
    const size_t big = tu_quick() ? (size_t)8 << 20 : (size_t)64 << 20;
    uint8_t *zeros = calloc(big, 1);
    assert_non_null(zeros);
    uint32_t di[3] = {5, 8, 8}, dl[1] = {5};
    write_idx(tu_tmp("bomb-images.gz"), 1, 0x08, 3, di, zeros, big);
    write_idx(tu_tmp("bomb-labels.gz"), 1, 0x08, 1, dl, zeros, 5);
    free(zeros);
    assert_int_equal(data_read_idx(&ds, tu_tmp("bomb-images.gz"), tu_tmp("bomb-labels.gz"), 0, &err),
                     DLC_EINPUT);
    assert_null(ds);
    assert_msg_has(err, "bomb-images.gz: more data than the 336 bytes its IDX header promises");
    /* the labels file likewise, and an exact file still reads */
    uint8_t px[320] = {0};
    write_idx(tu_tmp("ok-images.gz"), 1, 0x08, 3, di, px, 320);
    write_idx(tu_tmp("long-labels.gz"), 1, 0x08, 1, dl, px, 6);
    assert_int_equal(data_read_idx(&ds, tu_tmp("ok-images.gz"), tu_tmp("long-labels.gz"), 0, &err),
                     DLC_EINPUT);
    assert_msg_has(err, "long-labels.gz: more data than the 13 bytes");
    assert_int_equal(data_read_idx(&ds, tu_tmp("ok-images.gz"), tu_tmp("bomb-labels.gz"), 0, &err),
                     DLC_OK);
    assert_int_equal(ds->n, 5);
    data_dataset_free(ds);
}

static void test_idx_label_count(void **state)
{
    dlc_error err = {0};
    dataset *ds = NULL;
    uint8_t px[30] = {0}, lb[4] = {0};
    uint32_t di[3] = {5, 3, 2}, dl[1] = {4};
    write_idx(tu_tmp("l-images"), 0, 0x08, 3, di, px, 30);
    write_idx(tu_tmp("l-labels"), 0, 0x08, 1, dl, lb, 4);
    assert_int_equal(data_read_idx(&ds, tu_tmp("l-images"), tu_tmp("l-labels"), 0, &err), DLC_EINPUT);
    assert_msg_has(err, "4 labels");
    assert_msg_has(err, "5 images");
}

static void test_idx_bad_magic_and_type(void **state)
{
    dlc_error err = {0};
    dataset *ds = NULL;
    write_images(tu_tmp("g-images"), tu_tmp("g-labels"), 0, 5, 3, 2);
    tu_write(tu_tmp("bad-images"), "PK\x03\x04 this is a zip file", (size_t)-1);
    assert_int_equal(data_read_idx(&ds, tu_tmp("bad-images"), tu_tmp("g-labels"), 0, &err), DLC_EINPUT);
    assert_msg_has(err, tu_tmp("bad-images"));
    assert_msg_has(err, "bad magic");

    float f[30] = {0};
    uint32_t di[3] = {5, 3, 2};
    write_idx(tu_tmp("f-images"), 0, 0x0D, 3, di, (const uint8_t *)f, sizeof f);
    assert_int_equal(data_read_idx(&ds, tu_tmp("f-images"), tu_tmp("g-labels"), 0, &err), DLC_EINPUT);
    assert_msg_has(err, "0x0d");
    assert_msg_has(err, "float");

    /* labels of the wrong rank */
    assert_int_equal(data_read_idx(&ds, tu_tmp("g-images"), tu_tmp("g-images"), 0, &err), DLC_EINPUT);
    assert_msg_has(err, "labels have 3 dimensions");

    assert_int_equal(data_read_idx(&ds, tu_tmp("nonexistent"), tu_tmp("g-labels"), 0, &err), DLC_EINPUT);
    assert_msg_has(err, "cannot open");

    /* a header claiming more than fits in memory is caught by the size check */
    const uint8_t huge[] = {0, 0, 8, 3, 0x7f, 0xff, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff, 1, 2};
    assert_int_equal(data_parse_idx(&ds, "h", huge, sizeof huge, "l", huge, sizeof huge, 0, &err),
                     DLC_EINPUT);
    assert_null(ds);
}

static void test_idx_limit(void **state)
{
    dlc_error err = {0};
    dataset *ds = NULL;
    write_images(tu_tmp("lim-images"), tu_tmp("lim-labels"), 1, 9, 3, 2);
    assert_int_equal(data_read_idx(&ds, tu_tmp("lim-images"), tu_tmp("lim-labels"), 4, &err), DLC_OK);
    check_small_images(ds, 4);
    data_dataset_free(ds);
    assert_int_equal(data_read_idx(&ds, tu_tmp("lim-images"), tu_tmp("lim-labels"), 100, &err), DLC_OK);
    check_small_images(ds, 9);
    data_dataset_free(ds);
    assert_int_equal(data_read_idx(&ds, tu_tmp("lim-images"), tu_tmp("lim-labels"), -1, &err),
                     DLC_EINPUT);
}

/* ---- CSV ---- */

/* data.categorical: a text column becomes one-hot features "COLUMN=VALUE"
 * (values sorted; a VALUE may hold '='), numbers stay; a file read by those
 * features sets a value the train file lacks to all 0 and counts it. */
static void test_csv_categorical_onehot(void **state)
{
    dlc_error err = {0};
    dataset *ds = NULL, *dev = NULL;
    dlc_strlist label = list_of("y", NULL), names = {0}, cat = list_of("auto", NULL);
    const char *text = "a,c,n,y\n"
                       "1,x,5,p\n"
                       "2,y,6,q\n"
                       "3,k=v,7,p\n"
                       "4,x,8,q\n";
    tu_write(tu_tmp("cat.csv"), text, strlen(text));
    data_csv_targets one = {"", &label, DATA_TARGET_CLASS, &names};
    assert_int_equal(data_read_csv_groups(&ds, tu_tmp("cat.csv"), NULL, &one, 1, NULL, &cat, NULL,
                                          DATA_MISSING_ERROR, 0, &err), DLC_OK);
    assert_int_equal(ds->dim, 5);
    const char *cols[5] = {"a", "c=k=v", "c=x", "c=y", "n"};
    assert_int_equal(ds->columns.n, 5);
    for (int k = 0; k < 5; k++)
        assert_string_equal(ds->columns.v[k], cols[k]);
    const float x[20] = {1, 0, 1, 0, 5, 2, 0, 0, 1, 6, 3, 1, 0, 0, 7, 4, 0, 1, 0, 8};
    for (int k = 0; k < 20; k++)
        assert_true(ds->f32[k] == x[k]);
    assert_int_equal(ds->categorical.n, 1);
    assert_string_equal(ds->categorical.v[0], "c (3)");
    assert_int_equal(ds->unseen_values, 0);

    /* another file, columns in another order, read by those features */
    const char *dtext = "y,n,c,a\n"
                        "p,9,y,5\n"
                        "q,1,w,6\n"
                        "p,2,k=v,7\n";
    data_csv_targets known = {"", &label, DATA_TARGET_CLASS, &names};
    assert_int_equal(data_parse_csv_groups(&dev, "d.csv", dtext, strlen(dtext), NULL, &known, 1, &ds->columns,
                                           NULL, DATA_MISSING_ERROR, 0, &err), DLC_OK);
    const float dx[15] = {5, 0, 0, 1, 9, 6, 0, 0, 0, 1, 7, 1, 0, 0, 2};
    for (int k = 0; k < 15; k++)
        assert_true(dev->f32[k] == dx[k]);
    assert_int_equal(dev->unseen_values, 1);
    assert_int_equal(dev->unseen_line, 3);
    assert_string_equal(dev->unseen_example, "c: w");
    data_dataset_free(dev);

    /* auto leaves a column of numbers alone, missing values (NA, ?) in it too */
    const char *na = "a,n,y\n1,5,p\n2,NA,q\n3,?,p\n";
    dataset *nums = NULL;
    assert_int_equal(data_parse_csv_table(&nums, "na.csv", na, strlen(na), NULL, &one, 1, NULL, &cat, NULL,
                                          DATA_MISSING_MEAN, 0, &err), DLC_OK);
    assert_int_equal(nums->dim, 2);
    assert_int_equal(nums->categorical.n, 0);
    assert_int_equal(nums->missing_values, 2);
    assert_true(isnan(nums->f32[3]) && isnan(nums->f32[5]) && nums->f32[1] == 5.0f);
    data_dataset_free(nums);
    /* a label column is refused by name */
    dlc_strlist bad = list_of("y", NULL);
    assert_int_equal(data_read_csv_groups(&dev, tu_tmp("cat.csv"), NULL, &one, 1, NULL, &bad, NULL,
                                          DATA_MISSING_ERROR, 0, &err), DLC_EINPUT);
    assert_msg_has(err, "'y' is a label column");
    dlc_strlist_clear(&bad);
    data_dataset_free(ds);
    dlc_strlist_clear(&label);
    dlc_strlist_clear(&names);
    dlc_strlist_clear(&cat);
    (void)state;
}

static void test_csv_string_labels(void **state)
{
    dlc_error err = {0};
    dataset *ds = NULL;
    dlc_strlist label = list_of("species", NULL), names = {0};
    const char *text = "a,species,b\n"
                       "1,virginica,2\n"
                       "3,setosa,4.5\n"
                       "-5e-1,versicolor,6\n"
                       "7,setosa,8\n";
    assert_int_equal(parse_csv(&ds, text, &label, NULL, DATA_TARGET_CLASS, &names, &err), DLC_OK);
    assert_int_equal(ds->n, 4);
    assert_int_equal(ds->dim, 2);
    assert_int_equal(ds->shape.ndim, 1);
    assert_int_equal(ds->shape.d[0], 2);
    assert_int_equal(ds->n_targets, 1);
    assert_non_null(ds->f32);
    assert_null(ds->u8);
    const float x[8] = {1, 2, 3, 4.5f, -0.5f, 6, 7, 8};
    for (int k = 0; k < 8; k++)
        assert_true(ds->f32[k] == x[k]);
    assert_int_equal(names.n, 3);
    assert_string_equal(names.v[0], "setosa");
    assert_string_equal(names.v[1], "versicolor");
    assert_string_equal(names.v[2], "virginica");
    const float t[4] = {2, 0, 1, 0};
    for (int i = 0; i < 4; i++)
        assert_true(ds->targets[i] == t[i]);
    data_dataset_free(ds);

    /* names given: their order, and an unknown label fails naming line and column */
    dlc_strlist given = list_of("virginica", "versicolor", "setosa", NULL);
    assert_int_equal(parse_csv(&ds, text, &label, NULL, DATA_TARGET_CLASS, &given, &err), DLC_OK);
    assert_true(ds->targets[0] == 0.0f && ds->targets[1] == 2.0f && ds->targets[2] == 1.0f);
    assert_int_equal(given.n, 3);
    data_dataset_free(ds);
    dlc_strlist two = list_of("setosa", "virginica", NULL);
    assert_int_equal(parse_csv(&ds, text, &label, NULL, DATA_TARGET_CLASS, &two, &err), DLC_EINPUT);
    assert_null(ds);
    assert_msg_has(err, "t.csv:4:");
    assert_msg_has(err, "column 'species'");
    assert_msg_has(err, "versicolor");

    dlc_strlist_clear(&label);
    dlc_strlist_clear(&names);
    dlc_strlist_clear(&given);
    dlc_strlist_clear(&two);
}

static void test_csv_numeric_labels(void **state)
{
    dlc_error err = {0};
    dataset *ds = NULL;
    dlc_strlist label = list_of("y", NULL), names = {0};
    const char *text = "x,y\n0,10\n1,2\n2,1\n3,2\n4,10\n";
    assert_int_equal(parse_csv(&ds, text, &label, NULL, DATA_TARGET_CLASS, &names, &err), DLC_OK);
    assert_int_equal(names.n, 3);
    assert_string_equal(names.v[0], "1");
    assert_string_equal(names.v[1], "2");
    assert_string_equal(names.v[2], "10");
    const float t[5] = {2, 1, 0, 1, 2};
    for (int i = 0; i < 5; i++)
        assert_true(ds->targets[i] == t[i]);
    data_dataset_free(ds);

    /* regression targets */
    assert_int_equal(parse_csv(&ds, text, &label, NULL, DATA_TARGET_NUMERIC, NULL, &err), DLC_OK);
    assert_true(ds->targets[0] == 10.0f && ds->targets[2] == 1.0f);
    data_dataset_free(ds);
    assert_int_equal(parse_csv(&ds, "x,y\n1,\n", &label, NULL, DATA_TARGET_NUMERIC, NULL, &err),
                     DLC_EINPUT);
    assert_msg_has(err, "t.csv:2: column 'y': empty label");
    assert_int_equal(parse_csv(&ds, "x,y\n1,2\n1,two\n", &label, NULL, DATA_TARGET_NUMERIC, NULL, &err),
                     DLC_EINPUT);
    assert_msg_has(err, "t.csv:3: column 'y'");
    dlc_strlist_clear(&label);
    dlc_strlist_clear(&names);
}

/* data.separator auto and given, data.decimal ',': which fields are numbers */
static void test_csv_dialects(void **state)
{
    (void)state;
    dlc_error err = {0};
    dataset *ds = NULL;
    dlc_strlist label = list_of("y", NULL);
    data_csv_targets one = {"", &label, DATA_TARGET_NUMERIC, NULL};
    const data_csv_dialect comma = {0, ','}, semi = {';', ','};
    /* ';' found by the header and the first row: -1,5 ,5 1,5e3 "2,25" */
    const char *t = "a;b;c;d;y\n-1,5;,5;1,5e3;\"2,25\";1\n0;1;2;3;4\n";
    assert_int_equal(data_parse_csv_groups(&ds, "t.csv", t, strlen(t), &comma, &one, 1, NULL, NULL,
                                           DATA_MISSING_ERROR, 0, &err), DLC_OK);
    assert_int_equal(ds->n, 2);
    assert_int_equal(ds->dim, 4);
    assert_true(ds->f32[0] == -1.5f && ds->f32[1] == 0.5f && ds->f32[2] == 1500.0f &&
                ds->f32[3] == 2.25f);
    assert_int_equal(ds->separator, ';');
    data_dataset_free(ds);
    /* a comma of thousands, or two, is not a decimal comma: the field stays text */
    t = "a;y\n1,234,5;1\n";
    assert_int_equal(data_parse_csv_groups(&ds, "t.csv", t, strlen(t), &semi, &one, 1, NULL, NULL,
                                           DATA_MISSING_ERROR, 0, &err), DLC_EINPUT);
    assert_msg_has(err, "got \"1,234,5\"");
    /* the header and first row disagree: comma-separated, one column */
    t = "a;y\n1;2;3\n";
    assert_int_equal(data_parse_csv_groups(&ds, "t.csv", t, strlen(t), NULL, &one, 1, NULL, NULL,
                                           DATA_MISSING_ERROR, 0, &err), DLC_EINPUT);
    assert_msg_has(err, "(data.separator: ',' ';' tab '|' or whitespace says which)");
    /* a ';' inside quotes does not count; '|' as ';' */
    t = "\"a;b\"|y\n\"x;1\"|2\n";
    dlc_strlist names = {0};
    assert_int_equal(data_csv_header("t.csv", t, strlen(t), NULL, &names, &err), DLC_OK);
    assert_int_equal(names.n, 2);
    assert_string_equal(names.v[0], "a;b");
    dlc_strlist_clear(&names);
    /* a decimal comma in a comma-separated file is refused */
    t = "a,y\n1,2\n";
    assert_int_equal(data_parse_csv_groups(&ds, "t.csv", t, strlen(t), &comma, &one, 1, NULL, NULL,
                                           DATA_MISSING_ERROR, 0, &err), DLC_EINPUT);
    assert_msg_has(err, "data.decimal ',' needs a separator other than ','");
    /* runs of blanks (sklearn's linnerud and diabetes files, numpy's
     * savetxt): found by the header and the first row, or given; leading and
     * trailing blanks, tabs among spaces, CRLF, a quoted field with blanks */
    t = "  a   b y \r\n 1  2\t3\r\n\t4 \t5 6  \r\n";
    assert_int_equal(data_parse_csv_groups(&ds, "t.txt", t, strlen(t), NULL, &one, 1, NULL, NULL,
                                           DATA_MISSING_ERROR, 0, &err), DLC_OK);
    assert_int_equal(ds->n, 2);
    assert_int_equal(ds->dim, 2);
    assert_true(ds->f32[0] == 1 && ds->f32[1] == 2 && ds->f32[2] == 4 && ds->f32[3] == 5);
    assert_true(ds->targets[0] == 3 && ds->targets[1] == 6);
    assert_int_equal(ds->separator, ' ');
    data_dataset_free(ds);
    const data_csv_dialect blanks = {' ', '.'};
    t = "\"a b\" y\n\"1\"  2\n";
    assert_int_equal(data_parse_csv_groups(&ds, "t.txt", t, strlen(t), &blanks, &one, 1, NULL, NULL,
                                           DATA_MISSING_ERROR, 0, &err), DLC_OK);
    assert_int_equal(ds->n, 1);
    assert_true(ds->f32[0] == 1 && ds->targets[0] == 2);
    assert_int_equal(ds->separator, 0); /* given, not found */
    data_dataset_free(ds);
    /* a quote closed inside a field is an error, as in a CSV file */
    t = "a y\n\"1\"x 2\n";
    assert_int_equal(data_parse_csv_groups(&ds, "t.txt", t, strlen(t), &blanks, &one, 1, NULL, NULL,
                                           DATA_MISSING_ERROR, 0, &err), DLC_EINPUT);
    assert_msg_has(err, "t.txt:2: unexpected 'x' after a closing quote");
    /* a header with a blank in its one name is no table of blanks */
    t = "sepal length\n5.1\n";
    assert_int_equal(data_parse_csv_groups(&ds, "t.txt", t, strlen(t), NULL, &one, 1, NULL, NULL,
                                           DATA_MISSING_ERROR, 0, &err), DLC_EINPUT);
    assert_msg_has(err, "label column 'y' is not in the header");
    dlc_strlist_clear(&label);
}

static void test_csv_quoted_tabs_crlf(void **state)
{
    dlc_error err = {0};
    dataset *ds = NULL;
    dlc_strlist label = list_of("the label", NULL), names = {0};
    const char *quoted = "\"f, one\",\"the label\",f2\n"
                         "\"1.5\",\"say \"\"hi\"\"\", 2 \n"
                         "3,\"two\nlines\",4\n"
                         "5 , plain ,  \"6\"  \n";
    assert_int_equal(parse_csv(&ds, quoted, &label, NULL, DATA_TARGET_CLASS, &names, &err), DLC_OK);
    assert_int_equal(ds->n, 3);
    assert_true(ds->f32[0] == 1.5f && ds->f32[1] == 2.0f && ds->f32[4] == 5.0f && ds->f32[5] == 6.0f);
    assert_int_equal(names.n, 3);
    assert_string_equal(names.v[0], "plain");
    assert_string_equal(names.v[1], "say \"hi\"");
    assert_string_equal(names.v[2], "two\nlines");
    data_dataset_free(ds);
    dlc_strlist_clear(&names);

    /* a quoted field spanning lines: later errors still name the right line */
    assert_int_equal(parse_csv(&ds, "a,the label\n1,\"x\ny\"\n2\n", &label, NULL, DATA_TARGET_CLASS,
                               &names, &err), DLC_EINPUT);
    assert_msg_has(err, "t.csv:4:");
    assert_int_equal(parse_csv(&ds, "a,the label\n1,\"never closed\n", &label, NULL,
                               DATA_TARGET_CLASS, &names, &err), DLC_EINPUT);
    assert_msg_has(err, "t.csv:2: quoted field is never closed");
    assert_int_equal(parse_csv(&ds, "a,the label\n1,\"x\"y\n", &label, NULL, DATA_TARGET_CLASS,
                               &names, &err), DLC_EINPUT);
    assert_msg_has(err, "after a closing quote");

    /* tabs: the header has tabs and no commas; commas are then data */
    dlc_strlist y = list_of("y", NULL);
    assert_int_equal(parse_csv(&ds, "a\tb c\ty\n1\t2\tx,1\n3\t4\tx,2\n", &y, NULL, DATA_TARGET_CLASS,
                               &names, &err), DLC_OK);
    assert_int_equal(ds->dim, 2);
    assert_true(ds->f32[3] == 4.0f);
    assert_string_equal(names.v[1], "x,2");
    data_dataset_free(ds);
    dlc_strlist_clear(&names);

    /* TSV: a field that is a well-formed quoted field is one (pandas' reading);
     * otherwise its quotes are text (a writer that does not quote) */
    dlc_strlist nm = list_of("name", NULL);
    assert_int_equal(parse_csv(&ds, "x\tname\n1\t\"a \"\"b\"\"\"\n2\t\"tab\there\"\n"
                                    "3\t12\" screen\n4\t\"Hello\" she said\n5\t\"unclosed\n",
                               &nm, NULL, DATA_TARGET_CLASS, &names, &err), DLC_OK);
    assert_int_equal(ds->n, 5);
    assert_true(ds->f32[4] == 5.0f);
    assert_int_equal(names.n, 5);
    assert_int_not_equal(dlc_strlist_find(&names, "a \"b\""), -1);
    assert_int_not_equal(dlc_strlist_find(&names, "tab\there"), -1);
    assert_int_not_equal(dlc_strlist_find(&names, "12\" screen"), -1);
    assert_int_not_equal(dlc_strlist_find(&names, "\"Hello\" she said"), -1);
    assert_int_not_equal(dlc_strlist_find(&names, "\"unclosed"), -1);
    data_dataset_free(ds);
    dlc_strlist_clear(&names);
    /* an empty quoted label is still empty */
    assert_int_not_equal(parse_csv(&ds, "x\tname\n1\ta\n2\t\"\"\n", &nm, NULL, DATA_TARGET_CLASS,
                                   &names, &err), DLC_OK);
    assert_msg_has(err, "t.csv:3: column 'name': empty label");
    dlc_strlist_clear(&nm);

    /* CRLF, a byte-order mark and trailing blank lines */
    assert_int_equal(parse_csv(&ds, "\xef\xbb\xbf" "a,y\r\n1,p\r\n2,q\r\n\r\n\r\n", &y, NULL,
                               DATA_TARGET_CLASS, &names, &err), DLC_OK);
    assert_int_equal(ds->n, 2);
    assert_string_equal(names.v[1], "q");
    data_dataset_free(ds);
    dlc_strlist_clear(&names);
    /* no final newline */
    assert_int_equal(parse_csv(&ds, "a,y\n1,p\n2,q", &y, NULL, DATA_TARGET_CLASS, &names, &err), DLC_OK);
    assert_int_equal(ds->n, 2);
    data_dataset_free(ds);
    dlc_strlist_clear(&names);
    /* a blank line in the middle is an error */
    assert_int_equal(parse_csv(&ds, "a,y\n1,p\n\n2,q\n", &y, NULL, DATA_TARGET_CLASS, &names, &err),
                     DLC_EINPUT);
    assert_msg_has(err, "t.csv:3: blank line");

    dlc_strlist_clear(&label);
    dlc_strlist_clear(&y);
}

static void test_csv_errors(void **state)
{
    dlc_error err = {0};
    dataset *ds = NULL;
    dlc_strlist y = list_of("y", NULL), names = {0};

    assert_int_equal(parse_csv(&ds, "a,b,y\n1,2,p\n3,4\n", &y, NULL, DATA_TARGET_CLASS, &names, &err),
                     DLC_EINPUT);
    assert_null(ds);
    assert_msg_has(err, "t.csv:3:");
    assert_msg_has(err, "'y' is missing");

    assert_int_equal(parse_csv(&ds, "a,b,y\n1,2,p\n3,4,q,5\n", &y, NULL, DATA_TARGET_CLASS, &names, &err),
                     DLC_EINPUT);
    assert_msg_has(err, "t.csv:3: more fields than the header's 3 columns");

    assert_int_equal(parse_csv(&ds, "a,b,y\n1,2,p\n3,four,q\n", &y, NULL, DATA_TARGET_CLASS, &names, &err),
                     DLC_EINPUT);
    assert_msg_has(err, "t.csv:3: column 'b': expected a number, got \"four\"");
    assert_int_equal(parse_csv(&ds, "a,b,y\n1,nan,p\n", &y, NULL, DATA_TARGET_CLASS, &names, &err),
                     DLC_EINPUT);
    assert_msg_has(err, "column 'b'");
    assert_int_equal(parse_csv(&ds, "a,b,y\n1,1e39,p\n", &y, NULL, DATA_TARGET_CLASS, &names, &err),
                     DLC_EINPUT);
    assert_int_equal(parse_csv(&ds, "a,b,y\n1,,p\n", &y, NULL, DATA_TARGET_CLASS, &names, &err),
                     DLC_EINPUT);
    assert_msg_has(err, "t.csv:2: column 'b': empty value");

    dlc_strlist lab = list_of("label", NULL);
    assert_int_equal(parse_csv(&ds, "a,b,labels\n1,2,p\n", &lab, NULL, DATA_TARGET_CLASS, &names, &err),
                     DLC_EINPUT);
    assert_msg_has(err, "label column 'label' is not in the header (did you mean 'labels'?)");
    dlc_strlist_clear(&lab);
    assert_int_equal(parse_csv(&ds, "a,a,y\n1,2,p\n", &y, NULL, DATA_TARGET_CLASS, &names, &err),
                     DLC_EINPUT);
    assert_msg_has(err, "'a' appears twice");
    assert_int_equal(parse_csv(&ds, "a,y\n", &y, NULL, DATA_TARGET_CLASS, &names, &err), DLC_EINPUT);
    assert_msg_has(err, "no data rows");
    assert_int_equal(parse_csv(&ds, "", &y, NULL, DATA_TARGET_CLASS, &names, &err), DLC_EINPUT);
    assert_msg_has(err, "header row is required");
    assert_int_equal(parse_csv(&ds, "y\np\n", &y, NULL, DATA_TARGET_CLASS, &names, &err), DLC_EINPUT);
    assert_msg_has(err, "no feature columns");
    assert_int_equal(data_parse_csv(&ds, "t.csv", "a,y\n1,\0\n", 8, &y, NULL, DATA_TARGET_CLASS,
                                    &names, 0, &err), DLC_EINPUT);
    assert_msg_has(err, "NUL byte");
    assert_int_equal(names.n, 0);

    dlc_strlist two = list_of("p", "q", NULL);
    assert_int_equal(parse_csv(&ds, "a,y\n1,p\n", &two, NULL, DATA_TARGET_CLASS, &names, &err),
                     DLC_EINPUT);
    assert_msg_has(err, "one label column");
    dlc_strlist_clear(&two);
    dlc_strlist_clear(&y);
}

/* Numeric class labels match by value, as pandas reads them: 1, 1.0 and 01
 * are one class (named as first seen), in one file and against given names. */
static void test_csv_numeric_class_values(void **state)
{
    (void)state;
    dlc_error err = {0};
    dataset *ds = NULL;
    dlc_strlist y = list_of("y", NULL), names = {0};
    assert_int_equal(parse_csv(&ds, "a,y\n1,1\n2,1.0\n3,2\n4,02\n5,2e0\n6,-0\n7,0.0\n", &y, NULL,
                               DATA_TARGET_CLASS, &names, &err), DLC_OK);
    assert_int_equal(names.n, 3);
    assert_string_equal(names.v[0], "-0");
    assert_string_equal(names.v[1], "1");
    assert_string_equal(names.v[2], "2");
    const float want[7] = {1, 1, 2, 2, 2, 0, 0};
    for (int i = 0; i < 7; i++)
        assert_true(ds->targets[i] == want[i]);
    data_dataset_free(ds);
    /* a dev or test file written with floats, read by the train file's names */
    assert_int_equal(parse_csv(&ds, "a,y\n1,2.0\n2,1.00\n", &y, NULL, DATA_TARGET_CLASS, &names, &err),
                     DLC_OK);
    assert_true(ds->targets[0] == 2.0f && ds->targets[1] == 1.0f);
    data_dataset_free(ds);
    assert_int_equal(parse_csv(&ds, "a,y\n1,3.0\n", &y, NULL, DATA_TARGET_CLASS, &names, &err), DLC_EINPUT);
    assert_msg_has(err, "label \"3.0\" is not one of the 3 classes");
    dlc_strlist_clear(&names);
    dlc_strlist_clear(&y);
}

static void test_csv_features_and_limit(void **state)
{
    dlc_error err = {0};
    dataset *ds = NULL;
    dlc_strlist y = list_of("y", NULL), names = {0};
    dlc_strlist feats = list_of("c", "a", NULL);
    const char *text = "a,b,c,y\n1,2,3,p\n4,5,6,q\n7,8,9,p\n";
    assert_int_equal(parse_csv(&ds, text, &y, &feats, DATA_TARGET_CLASS, &names, &err), DLC_OK);
    assert_int_equal(ds->dim, 2);
    assert_true(ds->f32[0] == 3.0f && ds->f32[1] == 1.0f && ds->f32[2] == 6.0f && ds->f32[3] == 4.0f);
    data_dataset_free(ds);
    dlc_strlist_clear(&names);

    assert_int_equal(data_parse_csv(&ds, "t.csv", text, strlen(text), &y, NULL, DATA_TARGET_CLASS,
                                    &names, 2, &err), DLC_OK);
    assert_int_equal(ds->n, 2);
    data_dataset_free(ds);
    dlc_strlist_clear(&names);

    dlc_strlist bad = list_of("cc", NULL);
    assert_int_equal(parse_csv(&ds, text, &y, &bad, DATA_TARGET_CLASS, &names, &err), DLC_EINPUT);
    assert_msg_has(err, "feature column 'cc' is not in the header (did you mean 'c'?)");
    dlc_strlist_clear(&bad);
    bad = list_of("y", NULL);
    assert_int_equal(parse_csv(&ds, text, &y, &bad, DATA_TARGET_CLASS, &names, &err), DLC_EINPUT);
    assert_msg_has(err, "both a label and a feature");
    dlc_strlist_clear(&bad);

    /* read from a file */
    tu_write(tu_tmp("f.csv"), text, (size_t)-1);
    assert_int_equal(data_read_csv(&ds, tu_tmp("f.csv"), &y, NULL, DATA_TARGET_CLASS, &names, 0, &err),
                     DLC_OK);
    assert_int_equal(ds->n, 3);
    assert_string_equal(ds->path, tu_tmp("f.csv"));
    data_dataset_free(ds);
    dlc_strlist_clear(&names);
    assert_int_equal(data_read_csv(&ds, tu_tmp("nope.csv"), &y, NULL, DATA_TARGET_CLASS, &names, 0, &err),
                     DLC_EINPUT);
    assert_msg_has(err, "nope.csv");

    dlc_strlist_clear(&y);
    dlc_strlist_clear(&feats);
}

static void test_csv_binary_and_multitask(void **state)
{
    dlc_error err = {0};
    dataset *ds = NULL;
    dlc_strlist y = list_of("y", NULL), names = {0};

    /* names: sorted, the second is the positive class; empty = unknown */
    const char *text = "x,y\n1,malignant\n2,benign\n3,\n4,malignant\n";
    assert_int_equal(parse_csv(&ds, text, &y, NULL, DATA_TARGET_BINARY, &names, &err), DLC_OK);
    assert_int_equal(names.n, 2);
    assert_string_equal(names.v[0], "benign");
    assert_string_equal(names.v[1], "malignant");
    assert_true(ds->targets[0] == 1.0f && ds->targets[1] == 0.0f && ds->targets[3] == 1.0f);
    assert_true(isnan(ds->targets[2]));
    data_dataset_free(ds);
    dlc_strlist_clear(&names);

    /* given names keep their order */
    dlc_strlist given = list_of("malignant", "benign", NULL);
    assert_int_equal(parse_csv(&ds, text, &y, NULL, DATA_TARGET_BINARY, &given, &err), DLC_OK);
    assert_true(ds->targets[0] == 0.0f && ds->targets[1] == 1.0f);
    data_dataset_free(ds);
    dlc_strlist_clear(&given);

    /* numbers 0/1 directly */
    assert_int_equal(parse_csv(&ds, "x,y\n1,0\n2,1.0\n3,\n", &y, NULL, DATA_TARGET_BINARY, &names, &err),
                     DLC_OK);
    assert_true(ds->targets[0] == 0.0f && ds->targets[1] == 1.0f && isnan(ds->targets[2]));
    assert_int_equal(names.n, 0);
    data_dataset_free(ds);

    assert_int_equal(parse_csv(&ds, "x,y\n1,0\n2,2\n", &y, NULL, DATA_TARGET_BINARY, &names, &err),
                     DLC_EINPUT);
    assert_msg_has(err, "t.csv:3: column 'y'");
    assert_int_equal(parse_csv(&ds, "x,y\n1,a\n2,b\n3,c\n", &y, NULL, DATA_TARGET_BINARY, &names, &err),
                     DLC_EINPUT);
    assert_msg_has(err, "t.csv:4:");
    assert_msg_has(err, "third label value");
    assert_int_equal(parse_csv(&ds, "x,y\n1,a\n2,a\n", &y, NULL, DATA_TARGET_BINARY, &names, &err),
                     DLC_EINPUT);
    assert_msg_has(err, "only one label value");
    assert_int_equal(parse_csv(&ds, "x,y\n1,yes\n2,1\n3,no\n4,yes\n5,0\n", &y, NULL, DATA_TARGET_BINARY,
                               &names, &err),
                     DLC_EINPUT);
    /* the first line of each kind, whichever comes later */
    assert_msg_has(err, "mix numbers (line 3, column 'y') and names (line 2, column 'y')");
    assert_int_equal(names.n, 0);

    /* several label columns */
    dlc_strlist two = list_of("t2", "t1", NULL);
    const char *multi = "t1,a,t2,b\n1,0.5,0,1\n,1.5,1,2\n0,2.5,,3\n";
    assert_int_equal(parse_csv(&ds, multi, &two, NULL, DATA_TARGET_BINARY, &names, &err), DLC_OK);
    assert_int_equal(ds->n_targets, 2);
    assert_int_equal(ds->dim, 2);
    /* targets (n, 2) in the label list's order: t2 then t1 */
    assert_true(ds->targets[0] == 0.0f && ds->targets[1] == 1.0f);
    assert_true(ds->targets[2] == 1.0f && isnan(ds->targets[3]));
    assert_true(isnan(ds->targets[4]) && ds->targets[5] == 0.0f);
    assert_true(ds->f32[0] == 0.5f && ds->f32[1] == 1.0f && ds->f32[5] == 3.0f);
    data_dataset_free(ds);
    assert_int_equal(parse_csv(&ds, "t1,a,t2\n1,2,3\n4,5,6\n", &two, NULL, DATA_TARGET_NUMERIC, NULL,
                               &err), DLC_OK);
    assert_true(ds->targets[0] == 3.0f && ds->targets[1] == 1.0f && ds->targets[3] == 4.0f);
    data_dataset_free(ds);
    assert_int_equal(parse_csv(&ds, multi, &two, NULL, DATA_TARGET_CLASS, &names, &err), DLC_EINPUT);
    dlc_strlist_clear(&two);
    dlc_strlist_clear(&y);
    dlc_strlist_clear(&names);
}

/* ---- splits ---- */

/* n rows: x = i, y = "c<i % 3>" */
static void write_rows_csv(const char *path, int n, double base)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "x,z,y\n");
    for (int i = 0; i < n; i++)
        fprintf(f, "%.17g,%.17g,c%d\n", base + i, base * 2 - 3.0 * i, i % 3);
    assert_int_equal(fclose(f), 0);
}

static void csv_config(data_config *c, const char *train)
{
    memset(c, 0, sizeof *c);
    c->format = DATA_CSV;
    dlc_strlcpy(c->train.file, train, sizeof c->train.file);
    c->n_labels = 1;
    c->labels[0].columns = list_of("y", NULL);
    c->unknown_label = list_of("", "?", NULL);
    c->normalize = NORM_STANDARD;
}

static void check_split_sorted(const data_split *s)
{
    for (int i = 1; i < s->n; i++)
        assert_true(s->idx[i - 1] < s->idx[i]);
}

/* data.balance: classes: an epoch's draws take every class about equally
 * often (here 80 / 15 / 5 rows); none: each row once. */
static void test_balance_classes(void **state)
{
    dlc_error err = {0};
    data_bundle a, b;
    data_config cfg;
    FILE *f = fopen(tu_tmp("imb.csv"), "w");
    assert_non_null(f);
    fprintf(f, "x,y\n");
    for (int i = 0; i < 100; i++)
        fprintf(f, "%d,%s\n", i, i < 80 ? "many" : i < 95 ? "some" : "few");
    assert_int_equal(fclose(f), 0);
    csv_config(&cfg, tu_tmp("imb.csv"));
    assert_int_equal(data_load(&a, &cfg, DATA_TARGET_CLASS, 3, &err), DLC_OK);
    cfg.balance = DATA_BALANCE_CLASSES;
    assert_int_equal(data_load(&b, &cfg, DATA_TARGET_CLASS, 3, &err), DLC_OK);
    int order[100], starts[101];
    long drawn[2][3] = {{0}};
    dlc_rng rng;
    dlc_rng_seed(&rng, 5, 0);
    for (int e = 0; e < 200; e++)
        for (int w = 0; w < 2; w++) {
            const data_bundle *d = w ? &b : &a;
            const data_split *tr = &d->split[DATA_SPLIT_TRAIN];
            data_plan(d, tr, 10, &rng, order, starts);
            for (int i = 0; i < tr->n; i++)
                drawn[w][(int)tr->ds->targets[tr->idx[order[i]]]]++;
        }
    /* classes sorted: few, many, some */
    assert_int_equal(drawn[0][0], 200 * 5);
    assert_int_equal(drawn[0][1], 200 * 80);
    assert_int_equal(drawn[0][2], 200 * 15);
    for (int k = 0; k < 3; k++) /* a third each, within 5% of the 20,000 draws */
        assert_true(fabs((double)drawn[1][k] - 20000.0 / 3) < 1000);
    data_free(&a);
    data_free(&b);
    cfg_free(&cfg);
    (void)state;
}

static void test_split_carving(void **state)
{
    dlc_error err = {0};
    data_bundle a, b, c;
    data_config cfg;
    write_rows_csv(tu_tmp("rows.csv"), 100, 0.0);
    csv_config(&cfg, tu_tmp("rows.csv"));
    cfg.split_dev = 0.1;
    cfg.split_test = 0.2;
    cfg.split_train_dev = 0.05;
    assert_int_equal(data_load(&a, &cfg, DATA_TARGET_CLASS, 7, &err), DLC_OK);
    assert_int_equal(a.split[DATA_SPLIT_TEST].n, 20);
    assert_int_equal(a.split[DATA_SPLIT_DEV].n, 10);
    assert_int_equal(a.split[DATA_SPLIT_TRAIN_DEV].n, 5);
    assert_int_equal(a.split[DATA_SPLIT_TRAIN].n, 65);
    assert_int_equal(a.dim, 2);
    assert_int_equal(a.n_targets, 1);
    assert_int_equal(a.heads[0].class_names.n, 3);
    assert_string_equal(a.heads[0].class_names.v[2], "c2");
    /* disjoint, covering, sorted, all over the train file */
    int seen[100] = {0};
    const data_split *all[4] = {&a.split[DATA_SPLIT_TRAIN], &a.split[DATA_SPLIT_TRAIN_DEV], &a.split[DATA_SPLIT_DEV], &a.split[DATA_SPLIT_TEST]};
    for (int k = 0; k < 4; k++) {
        assert_ptr_equal(all[k]->ds, a.src[0]);
        check_split_sorted(all[k]);
        for (int i = 0; i < all[k]->n; i++)
            seen[all[k]->idx[i]]++;
    }
    for (int i = 0; i < 100; i++)
        assert_int_equal(seen[i], 1);

    /* same seed: same splits; another seed: others */
    assert_int_equal(data_load(&b, &cfg, DATA_TARGET_CLASS, 7, &err), DLC_OK);
    assert_memory_equal(a.split[DATA_SPLIT_TEST].idx, b.split[DATA_SPLIT_TEST].idx, sizeof(int) * 20);
    assert_memory_equal(a.split[DATA_SPLIT_DEV].idx, b.split[DATA_SPLIT_DEV].idx, sizeof(int) * 10);
    assert_memory_equal(a.split[DATA_SPLIT_TRAIN].idx, b.split[DATA_SPLIT_TRAIN].idx, sizeof(int) * 65);
    assert_int_equal(data_load(&c, &cfg, DATA_TARGET_CLASS, 8, &err), DLC_OK);
    assert_true(memcmp(a.split[DATA_SPLIT_TEST].idx, c.split[DATA_SPLIT_TEST].idx, sizeof(int) * 20) != 0);
    data_free(&a);
    data_free(&b);
    data_free(&c);
    data_free(&c);   /* freeing twice is harmless: data_free zeroes */

    /* tiny fractions still give one example; too many leave none to train */
    cfg.split_dev = 0.001;
    cfg.split_test = 0;
    cfg.split_train_dev = 0;
    assert_int_equal(data_load(&a, &cfg, DATA_TARGET_CLASS, 1, &err), DLC_OK);
    assert_int_equal(a.split[DATA_SPLIT_DEV].n, 1);
    assert_int_equal(a.split[DATA_SPLIT_TEST].n, 0);
    assert_int_equal(a.split[DATA_SPLIT_TRAIN].n, 99);
    data_free(&a);
    /* counts round to nearest, halves up (20 x 0.125 = 2.5 -> 3, 20 x 0.11 =
     * 2.2 -> 2), and never below one (20 x 0.02 = 0.4 -> 1) */
    write_rows_csv(tu_tmp("rows20.csv"), 20, 0.0);
    data_config cfg20;
    csv_config(&cfg20, tu_tmp("rows20.csv"));
    cfg20.split_test = 0.125;
    cfg20.split_dev = 0.11;
    cfg20.split_train_dev = 0.02;
    assert_int_equal(data_load(&a, &cfg20, DATA_TARGET_CLASS, 1, &err), DLC_OK);
    assert_int_equal(a.split[DATA_SPLIT_TEST].n, 3);
    assert_int_equal(a.split[DATA_SPLIT_DEV].n, 2);
    assert_int_equal(a.split[DATA_SPLIT_TRAIN_DEV].n, 1);
    assert_int_equal(a.split[DATA_SPLIT_TRAIN].n, 14);
    data_free(&a);
    cfg_free(&cfg20);
    cfg.split_dev = 0.5;
    cfg.split_test = 0.5;
    assert_int_equal(data_load(&a, &cfg, DATA_TARGET_CLASS, 1, &err), DLC_EINPUT);
    assert_msg_has(err, "too few");
    cfg.split_test = 1.5;
    assert_int_equal(data_load(&a, &cfg, DATA_TARGET_CLASS, 1, &err), DLC_EINPUT);
    assert_msg_has(err, "split.test");

    /* no carving: train is every row */
    cfg.split_dev = cfg.split_test = 0;
    assert_int_equal(data_load(&a, &cfg, DATA_TARGET_CLASS, 1, &err), DLC_OK);
    assert_int_equal(a.split[DATA_SPLIT_TRAIN].n, 100);
    assert_int_equal(a.split[DATA_SPLIT_TRAIN].idx[99], 99);
    assert_int_equal(a.split[DATA_SPLIT_DEV].n, 0);
    data_free(&a);
    cfg_free(&cfg);
}

static void test_split_files(void **state)
{
    dlc_error err = {0};
    data_bundle a;
    data_config cfg;
    write_rows_csv(tu_tmp("tr.csv"), 40, 0.0);
    write_rows_csv(tu_tmp("dv.csv"), 12, 1000.0);
    write_rows_csv(tu_tmp("te.csv"), 9, -1000.0);
    csv_config(&cfg, tu_tmp("tr.csv"));
    dlc_strlcpy(cfg.dev.file, tu_tmp("dv.csv"), sizeof cfg.dev.file);
    dlc_strlcpy(cfg.test.file, tu_tmp("te.csv"), sizeof cfg.test.file);
    cfg.split_train_dev = 0.25;
    assert_int_equal(data_load(&a, &cfg, DATA_TARGET_CLASS, 3, &err), DLC_OK);
    assert_int_equal(a.split[DATA_SPLIT_TRAIN].n, 30);
    assert_int_equal(a.split[DATA_SPLIT_TRAIN_DEV].n, 10);
    assert_int_equal(a.split[DATA_SPLIT_DEV].n, 12);
    assert_int_equal(a.split[DATA_SPLIT_TEST].n, 9);
    assert_ptr_equal(a.split[DATA_SPLIT_DEV].ds, a.src[1]);
    assert_ptr_equal(a.split[DATA_SPLIT_TEST].ds, a.src[2]);
    assert_ptr_equal(a.split[DATA_SPLIT_TRAIN_DEV].ds, a.src[0]);
    assert_int_equal(a.split[DATA_SPLIT_DEV].idx[11], 11);

    /* normalization comes from the train split only */
    double mean[2] = {0, 0}, var[2] = {0, 0};
    for (int i = 0; i < a.split[DATA_SPLIT_TRAIN].n; i++)
        for (int j = 0; j < 2; j++)
            mean[j] += a.src[0]->f32[a.split[DATA_SPLIT_TRAIN].idx[i] * 2 + j];
    for (int j = 0; j < 2; j++)
        mean[j] /= a.split[DATA_SPLIT_TRAIN].n;
    for (int i = 0; i < a.split[DATA_SPLIT_TRAIN].n; i++)
        for (int j = 0; j < 2; j++) {
            double d = a.src[0]->f32[a.split[DATA_SPLIT_TRAIN].idx[i] * 2 + j] - mean[j];
            var[j] += d * d;
        }
    for (int j = 0; j < 2; j++) {
        tu_close(a.norm.shift[j], mean[j], 1e-4);
        tu_close(a.norm.scale[j], 1.0 / sqrt(var[j] / a.split[DATA_SPLIT_TRAIN].n), 1e-6);
    }
    data_free(&a);

    /* both a dev file and a dev fraction */
    cfg.split_dev = 0.1;
    assert_int_equal(data_load(&a, &cfg, DATA_TARGET_CLASS, 3, &err), DLC_EINPUT);
    assert_msg_has(err, "dev file and split.dev");
    cfg.split_dev = 0;
    cfg.split_test = 0.1;
    assert_int_equal(data_load(&a, &cfg, DATA_TARGET_CLASS, 3, &err), DLC_EINPUT);
    assert_msg_has(err, "test file and split.test");
    cfg.split_test = 0;

    /* a dev file is read by the train file's column names: in another order,
     * with another column, it gives the same features */
    tu_write(tu_tmp("dv3.csv"), "w,y,z,x\n3,c0,2,1\n", (size_t)-1);
    dlc_strlcpy(cfg.dev.file, tu_tmp("dv3.csv"), sizeof cfg.dev.file);
    assert_int_equal(data_load(&a, &cfg, DATA_TARGET_CLASS, 3, &err), DLC_OK);
    assert_int_equal(a.src[1]->n, 1);
    assert_true(a.src[1]->f32[0] == 1.0f && a.src[1]->f32[1] == 2.0f); /* x, z */
    data_free(&a);
    /* and one without a train column names it */
    tu_write(tu_tmp("dv5.csv"), "x,w,y\n1,3,c0\n", (size_t)-1);
    dlc_strlcpy(cfg.dev.file, tu_tmp("dv5.csv"), sizeof cfg.dev.file);
    assert_int_equal(data_load(&a, &cfg, DATA_TARGET_CLASS, 3, &err), DLC_EINPUT);
    assert_msg_has(err, "dv5.csv");
    assert_msg_has(err, "feature column 'z' is not in the header (its 3 columns: 'x', 'w', 'y')");

    /* a dev label the train file never had */
    tu_write(tu_tmp("dv4.csv"), "x,z,y\n1,2,c9\n", (size_t)-1);
    dlc_strlcpy(cfg.dev.file, tu_tmp("dv4.csv"), sizeof cfg.dev.file);
    assert_int_equal(data_load(&a, &cfg, DATA_TARGET_CLASS, 3, &err), DLC_EINPUT);
    assert_msg_has(err, "dv4.csv:2:");
    assert_msg_has(err, "c9");
    cfg_free(&cfg);
}

static void test_split_binary_names(void **state)
{
    dlc_error err = {0};
    data_bundle a;
    data_config cfg;
    tu_write(tu_tmp("bn-train.csv"), "x,y\n1,0\n2,1\n3,\n4,1\n", (size_t)-1);
    tu_write(tu_tmp("bn-dev.csv"), "x,y\n1,yes\n2,no\n", (size_t)-1);
    tu_write(tu_tmp("bn-dev2.csv"), "x,y\n1,1\n", (size_t)-1);
    csv_config(&cfg, tu_tmp("bn-train.csv"));
    dlc_strlcpy(cfg.dev.file, tu_tmp("bn-dev2.csv"), DATA_PATH_MAX);
    assert_int_equal(data_load(&a, &cfg, DATA_TARGET_BINARY, 1, &err), DLC_OK);
    assert_int_equal(a.heads[0].class_names.n, 2);
    assert_string_equal(a.heads[0].class_names.v[0], "0");
    assert_true(isnan(a.src[0]->targets[2]));
    assert_true(a.src[1]->targets[0] == 1.0f);
    data_free(&a);
    /* numbers in train, names in dev: refused rather than guessed */
    dlc_strlcpy(cfg.dev.file, tu_tmp("bn-dev.csv"), DATA_PATH_MAX);
    assert_int_equal(data_load(&a, &cfg, DATA_TARGET_BINARY, 1, &err), DLC_EINPUT);
    assert_msg_has(err, "bn-dev.csv:2:");
    cfg_free(&cfg);
}

static void test_split_idx_classes(void **state)
{
    dlc_error err = {0};
    data_bundle a;
    data_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.format = DATA_IDX;
    write_images(tu_tmp("s-images"), tu_tmp("s-labels"), 0, 30, 3, 2);   /* labels 0..2 */
    dlc_strlcpy(cfg.train.images, tu_tmp("s-images"), DATA_PATH_MAX);
    dlc_strlcpy(cfg.train.labels, tu_tmp("s-labels"), DATA_PATH_MAX);
    cfg.split_test = 0.2;
    assert_int_equal(data_load(&a, &cfg, DATA_TARGET_CLASS, 5, &err), DLC_OK);
    assert_int_equal(a.heads[0].class_names.n, 3);
    assert_string_equal(a.heads[0].class_names.v[2], "2");
    assert_int_equal(a.split[DATA_SPLIT_TEST].n, 6);
    assert_int_equal(a.shape.ndim, 3);
    assert_int_equal(a.norm.kind, NORM_NONE);
    assert_true(a.norm.shift[0] == 0.0f && a.norm.scale[5] == 1.0f);
    data_free(&a);

    cfg.classes = list_of("a", "b", NULL);
    assert_int_equal(data_load(&a, &cfg, DATA_TARGET_CLASS, 5, &err), DLC_EINPUT);
    /* the labels file holds the label: the message names it first */
    assert_msg_has(err, "s-labels: label 2 (example 2, images in ");
    assert_msg_has(err, "s-images) is 2, but there are 2 classes");
    /* a model's classes, labels it does not know skipped and counted */
    cfg.skip_unknown_labels = 1;
    assert_int_equal(data_load(&a, &cfg, DATA_TARGET_CLASS, 5, &err), DLC_OK);
    assert_int_equal(a.unknown_labels, 10);
    assert_int_equal(a.split[DATA_SPLIT_TRAIN].n + a.split[DATA_SPLIT_TEST].n, 20);
    for (int i = 0; i < a.src[0]->n; i++)
        assert_true(a.src[0]->targets[i] < 2);
    data_free(&a);
    cfg.skip_unknown_labels = 0;
    dlc_strlist_clear(&cfg.classes);
    cfg.classes = list_of("a", "b", "c", "d", NULL);
    assert_int_equal(data_load(&a, &cfg, DATA_TARGET_CLASS, 5, &err), DLC_OK);
    assert_int_equal(a.heads[0].class_names.n, 4);
    assert_string_equal(a.heads[0].class_names.v[3], "d");
    data_free(&a);
    assert_int_equal(data_load(&a, &cfg, DATA_TARGET_BINARY, 5, &err), DLC_EINPUT);
    cfg_free(&cfg);

    /* a test file whose images differ in size */
    write_images(tu_tmp("s2-images"), tu_tmp("s2-labels"), 0, 4, 2, 3);
    dlc_strlcpy(cfg.test.images, tu_tmp("s2-images"), DATA_PATH_MAX);
    dlc_strlcpy(cfg.test.labels, tu_tmp("s2-labels"), DATA_PATH_MAX);
    cfg.split_test = 0;
    assert_int_equal(data_load(&a, &cfg, DATA_TARGET_CLASS, 5, &err), DLC_EINPUT);
    assert_msg_has(err, "shape (1, 2, 3)");
    cfg.test.labels[0] = '\0';
    assert_int_equal(data_load(&a, &cfg, DATA_TARGET_CLASS, 5, &err), DLC_EINPUT);
    assert_msg_has(err, "data.test");
}

/* ---- normalization ---- */

static void test_norm_per_channel(void **state)
{
    dlc_error err = {0};
    dataset *ds = NULL;
    /* 3 examples of (2, 2, 2): channel 0 holds 0..9ish, channel 1 a constant 7 */
    uint8_t px[3 * 8];
    for (int i = 0; i < 3; i++)
        for (int k = 0; k < 4; k++) {
            px[i * 8 + k] = (uint8_t)(i * 4 + k);
            px[i * 8 + 4 + k] = 7;
        }
    uint8_t lb[3] = {0, 1, 0};
    uint32_t d4[4] = {3, 2, 2, 2}, dl[1] = {3};
    write_idx(tu_tmp("pc-images"), 0, 0x08, 4, d4, px, sizeof px);
    write_idx(tu_tmp("pc-labels"), 0, 0x08, 1, dl, lb, 3);
    assert_int_equal(data_read_idx(&ds, tu_tmp("pc-images"), tu_tmp("pc-labels"), 0, &err), DLC_OK);
    int idx[3] = {0, 1, 2};
    data_split s = {.ds = ds, .n = 3, .idx = idx};
    data_norm nm;
    assert_int_equal(data_norm_fit(&nm, NORM_STANDARD, &s, &err), DLC_OK);
    assert_int_equal(nm.dim, 8);
    /* channel 0: values 0..11, mean 5.5, population variance (144 - 1) / 12 */
    double sd = sqrt(143.0 / 12.0);
    for (int k = 0; k < 4; k++) {
        tu_close(nm.shift[k], 5.5, 1e-6);
        tu_close(nm.scale[k], 1.0 / sd, 1e-6);
        tu_close(nm.shift[4 + k], 7.0, 0);
        tu_close(nm.scale[4 + k], 1.0, 0);   /* zero std: scale 1 */
    }
    data_norm_free(&nm);
    assert_int_equal(data_norm_fit(&nm, NORM_MINMAX, &s, &err), DLC_OK);
    for (int k = 0; k < 4; k++) {
        tu_close(nm.shift[k], 0.0, 0);
        tu_close(nm.scale[k], 1.0 / 11.0, 1e-7);
        tu_close(nm.scale[4 + k], 1.0, 0);
    }
    /* fitted on a subset: only the rows it names */
    data_norm_free(&nm);
    int one[1] = {2};
    data_split s1 = {.ds = ds, .n = 1, .idx = one};
    assert_int_equal(data_norm_fit(&nm, NORM_MINMAX, &s1, &err), DLC_OK);
    tu_close(nm.shift[0], 8.0, 0);
    tu_close(nm.scale[0], 1.0 / 3.0, 1e-7);
    data_norm_free(&nm);
    data_norm_free(&nm);
    data_dataset_free(ds);
}

static void test_norm_per_feature(void **state)
{
    dlc_error err = {0};
    dataset *ds = NULL;
    dlc_strlist y = list_of("y", NULL), names = {0};
    /* a: 1, 2, 3, 6; b: constant 0.1; c: -2, 2, -2, 2 */
    const char *text = "a,b,c,y\n1,0.1,-2,p\n2,0.1,2,p\n3,0.1,-2,q\n6,0.1,2,q\n";
    assert_int_equal(parse_csv(&ds, text, &y, NULL, DATA_TARGET_CLASS, &names, &err), DLC_OK);
    int idx[4] = {0, 1, 2, 3};
    data_split s = {.ds = ds, .n = 4, .idx = idx};
    data_norm nm;
    assert_int_equal(data_norm_fit(&nm, NORM_STANDARD, &s, &err), DLC_OK);
    tu_close(nm.shift[0], 3.0, 1e-6);
    tu_close(nm.scale[0], 1.0 / sqrt(14.0 / 4.0), 1e-6);
    tu_close(nm.shift[1], 0.1f, 1e-9);
    tu_close(nm.scale[1], 1.0, 0);
    tu_close(nm.shift[2], 0.0, 1e-9);
    tu_close(nm.scale[2], 0.5, 1e-7);

    float x[6] = {3, 0.1f, 2, 1, 0.1f, -2};
    data_norm_apply(&nm, x, 2);
    tu_close(x[0], 0.0, 1e-6);
    tu_close(x[1], 0.0, 1e-6);
    tu_close(x[2], 1.0, 1e-6);
    tu_close(x[5], -1.0, 1e-6);
    data_norm_free(&nm);

    assert_int_equal(data_norm_fit(&nm, NORM_MINMAX, &s, &err), DLC_OK);
    tu_close(nm.shift[0], 1.0, 0);
    tu_close(nm.scale[0], 0.2, 1e-7);
    tu_close(nm.scale[1], 1.0, 0);
    tu_close(nm.shift[2], -2.0, 0);
    tu_close(nm.scale[2], 0.25, 0);
    data_norm_free(&nm);

    assert_int_equal(data_norm_init(&nm, NORM_NONE, 3, &err), DLC_OK);
    assert_true(nm.shift[2] == 0.0f && nm.scale[2] == 1.0f);
    data_norm_free(&nm);
    data_dataset_free(ds);
    dlc_strlist_clear(&y);
    dlc_strlist_clear(&names);
}

static void test_norm_train_only_carved(void **state)
{
    /* rows 0..49 small, rows 50..99 huge: whichever land in dev/test, the
     * statistics must be those of the train rows alone */
    FILE *f = fopen(tu_tmp("wild.csv"), "w");
    assert_non_null(f);
    fprintf(f, "x,y\n");
    for (int i = 0; i < 100; i++)
        fprintf(f, "%g,%d\n", i < 50 ? i * 0.5 : 1e6 + i * 1000.0, i % 2);
    assert_int_equal(fclose(f), 0);
    data_config cfg;
    csv_config(&cfg, tu_tmp("wild.csv"));
    cfg.split_dev = 0.3;
    cfg.split_test = 0.3;
    dlc_error err = {0};
    data_bundle b;
    for (int m = 0; m < 2; m++) {
        cfg.normalize = m ? NORM_MINMAX : NORM_STANDARD;
        assert_int_equal(data_load(&b, &cfg, DATA_TARGET_BINARY, 11, &err), DLC_OK);
        assert_int_equal(b.heads[0].class_names.n, 2);
        assert_string_equal(b.heads[0].class_names.v[1], "1");
        double s = 0, ss = 0, mn = INFINITY, mx = -INFINITY;
        for (int i = 0; i < b.split[DATA_SPLIT_TRAIN].n; i++) {
            double v = b.src[0]->f32[b.split[DATA_SPLIT_TRAIN].idx[i]];
            s += v;
            mn = v < mn ? v : mn;
            mx = v > mx ? v : mx;
        }
        double mean = s / b.split[DATA_SPLIT_TRAIN].n;
        for (int i = 0; i < b.split[DATA_SPLIT_TRAIN].n; i++) {
            double d = b.src[0]->f32[b.split[DATA_SPLIT_TRAIN].idx[i]] - mean;
            ss += d * d;
        }
        if (m == 0) {
            tu_close(b.norm.shift[0], mean, fabs(mean) * 1e-6);
            tu_close(b.norm.scale[0], 1.0 / sqrt(ss / b.split[DATA_SPLIT_TRAIN].n), 1e-6 / sqrt(ss / b.split[DATA_SPLIT_TRAIN].n));
        } else {
            tu_close(b.norm.shift[0], mn, 0);
            tu_close(b.norm.scale[0], 1.0 / (mx - mn), 1e-6 / (mx - mn));
        }
        data_free(&b);
    }
    cfg_free(&cfg);
}

/* ---- batches ---- */

static void test_gather(void **state)
{
    dlc_error err = {0};
    dataset *ds = NULL;
    write_images(tu_tmp("gb-images"), tu_tmp("gb-labels"), 0, 10, 3, 2);
    assert_int_equal(data_read_idx(&ds, tu_tmp("gb-images"), tu_tmp("gb-labels"), 0, &err), DLC_OK);
    int idx[5] = {1, 3, 4, 7, 9};
    data_split s = {.ds = ds, .n = 5, .idx = idx};
    data_norm nm;
    assert_int_equal(data_norm_fit(&nm, NORM_STANDARD, &s, &err), DLC_OK);
    int order[5] = {4, 0, 3, 2, 1};
    float x[3 * 6], t[3];
    data_gather(&s, order, 1, 3, &nm, x, t);   /* split positions 0, 3, 2 */
    const int rows[3] = {1, 7, 4};
    for (int i = 0; i < 3; i++) {
        assert_true(t[i] == (float)(rows[i] % 3));
        for (int j = 0; j < 6; j++) {
            float v = (float)ds->u8[rows[i] * 6 + j];
            tu_close(x[i * 6 + j], (v - nm.shift[j]) * nm.scale[j], 1e-6);
        }
    }
    /* identity order, no normalization */
    data_gather(&s, NULL, 3, 2, NULL, x, t);
    for (int j = 0; j < 6; j++)
        assert_true(x[6 + j] == (float)ds->u8[9 * 6 + j]);
    assert_true(t[0] == (float)(7 % 3));
    data_norm_free(&nm);
    data_dataset_free(ds);

    /* float data */
    dlc_strlist y = list_of("y", "w", NULL);
    const char *text = "a,y,b,w\n1,0.5,2,1\n3,1.5,4,2\n5,2.5,8,3\n7,3.5,16,4\n";
    assert_int_equal(parse_csv(&ds, text, &y, NULL, DATA_TARGET_NUMERIC, NULL, &err), DLC_OK);
    int all[4] = {0, 1, 2, 3};
    data_split sf = {.ds = ds, .n = 4, .idx = all};
    assert_int_equal(data_norm_fit(&nm, NORM_MINMAX, &sf, &err), DLC_OK);
    int ord[4] = {3, 1, 0, 2};
    float xf[4 * 2], tf[4 * 2];
    data_gather(&sf, ord, 0, 4, &nm, xf, tf);
    for (int i = 0; i < 4; i++) {
        int r = ord[i];
        for (int j = 0; j < 2; j++)
            tu_close(xf[i * 2 + j], (ds->f32[r * 2 + j] - nm.shift[j]) * nm.scale[j], 1e-7);
        assert_true(tf[i * 2] == ds->targets[r * 2] && tf[i * 2 + 1] == ds->targets[r * 2 + 1]);
    }
    tu_close(xf[0], 1.0, 1e-7);   /* row 3: a = 7 is the max */
    tu_close(xf[5], 0.0, 1e-7);   /* row 0: b = 2 is the min */
    data_norm_free(&nm);
    data_dataset_free(ds);
    dlc_strlist_clear(&y);
}

/* ---- the real thing ---- */

static void test_fashion_mnist(void **state)
{
    const char *img = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz";
    const char *lab = "/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz";
    FILE *f = fopen(img, "rb");
    if (!f) {
        print_message("skipping: %s is absent (Debian package dataset-fashion-mnist)\n", img);
        skip();
    }
    fclose(f);
    dlc_error err = {0};
    dataset *ds = NULL;
    assert_int_equal(data_read_idx(&ds, img, lab, 0, &err), DLC_OK);
    assert_int_equal(ds->n, 10000);
    assert_int_equal(ds->shape.ndim, 3);
    assert_int_equal(ds->shape.d[0], 1);
    assert_int_equal(ds->shape.d[1], 28);
    assert_int_equal(ds->shape.d[2], 28);
    assert_int_equal(ds->dim, 784);
    int count[10] = {0};
    for (int i = 0; i < ds->n; i++) {
        float t = ds->targets[i];
        assert_true(t >= 0 && t <= 9 && t == (float)(int)t);
        count[(int)t]++;
    }
    for (int c = 0; c < 10; c++)
        assert_int_equal(count[c], 1000);   /* the test set is balanced */
    data_dataset_free(ds);

    data_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.format = DATA_IDX;
    dlc_strlcpy(cfg.train.images, img, DATA_PATH_MAX);
    dlc_strlcpy(cfg.train.labels, lab, DATA_PATH_MAX);
    cfg.train.limit = tu_quick() ? 500 : 0;
    cfg.split_dev = 0.1;
    cfg.normalize = NORM_STANDARD;
    data_bundle b;
    assert_int_equal(data_load(&b, &cfg, DATA_TARGET_CLASS, 42, &err), DLC_OK);
    assert_int_equal(b.heads[0].class_names.n, 10);
    assert_string_equal(b.heads[0].class_names.v[9], "9");
    assert_int_equal(b.split[DATA_SPLIT_DEV].n, tu_quick() ? 50 : 1000);
    /* one channel: a single mean and std for every pixel */
    assert_true(b.norm.shift[0] == b.norm.shift[783] && b.norm.scale[0] == b.norm.scale[400]);
    assert_true(b.norm.shift[0] > 50 && b.norm.shift[0] < 90);
    data_free(&b);
}

/* The CSVs shipped in data/ (tests run from the repository root). */
static void test_shipped_csvs(void **state)
{
    const char *iris = tu_data("../../data/iris.csv");
    const char *bc = tu_data("../../data/breast_cancer.csv");
    FILE *f = fopen(iris, "rb");
    if (!f) {
        print_message("skipping: %s is absent\n", iris);
        skip();
    }
    fclose(f);
    dlc_error err = {0};
    data_config cfg;
    data_bundle b;
    csv_config(&cfg, iris);
    dlc_strlist_clear(&cfg.labels[0].columns);
    cfg.labels[0].columns = list_of("species", NULL);
    cfg.split_test = 0.2;
    assert_int_equal(data_load(&b, &cfg, DATA_TARGET_CLASS, 1, &err), DLC_OK);
    assert_int_equal(b.dim, 4);
    assert_int_equal(b.split[DATA_SPLIT_TRAIN].n + b.split[DATA_SPLIT_TEST].n, 150);
    assert_int_equal(b.split[DATA_SPLIT_TEST].n, 30);
    assert_int_equal(b.heads[0].class_names.n, 3);
    assert_string_equal(b.heads[0].class_names.v[0], "setosa");
    assert_string_equal(b.heads[0].class_names.v[2], "virginica");
    data_free(&b);
    cfg_free(&cfg);

    csv_config(&cfg, bc);
    dlc_strlist_clear(&cfg.labels[0].columns);
    cfg.labels[0].columns = list_of("diagnosis", NULL);
    assert_int_equal(data_load(&b, &cfg, DATA_TARGET_BINARY, 1, &err), DLC_OK);
    assert_int_equal(b.dim, 30);
    assert_int_equal(b.split[DATA_SPLIT_TRAIN].n, 569);
    assert_string_equal(b.heads[0].class_names.v[1], "malignant");
    int pos = 0;
    for (int i = 0; i < 569; i++)
        pos += b.src[0]->targets[i] == 1.0f;
    assert_int_equal(pos, 212);
    tu_close(b.src[0]->f32[0], 17.99, 1e-5);   /* mean_radius of the first row */
    data_free(&b);
    cfg_free(&cfg);
}

/* data.sources weights: an epoch as long as the split, drawn with
 * replacement in proportion to each example's weight. */
static void test_plan_weighted(void **state)
{
    (void)state;
    enum { N = 400 };
    data_bundle b;
    memset(&b, 0, sizeof b);
    dataset ds = {0};
    ds.n = N;
    int idx[N];
    float w[N];
    for (int i = 0; i < N; i++) {
        idx[i] = i;
        w[i] = i < 300 ? 1.0f : 3.0f; /* 300 of weight 1, 100 of weight 3: half the draws each */
    }
    b.weight = w;
    b.split[DATA_SPLIT_TRAIN] = (data_split){.ds = &ds, .n = N, .idx = idx};
    int order[N], starts[N + 1];
    dlc_rng rng;
    dlc_rng_seed(&rng, 5, 1);
    long heavy = 0, total = 0;
    for (int e = 0; e < 50; e++) {
        int nb = data_plan(&b, &b.split[DATA_SPLIT_TRAIN], 32, &rng, order, starts);
        assert_int_equal(starts[nb], N);
        for (int i = 0; i < N; i++) {
            assert_true(order[i] >= 0 && order[i] < N);
            heavy += order[i] >= 300;
            total++;
        }
    }
    tu_close((double)heavy / total, 0.5, 0.02);
    /* without weights: a permutation */
    b.weight = NULL;
    int seen[N] = {0};
    data_plan(&b, &b.split[DATA_SPLIT_TRAIN], 32, &rng, order, starts);
    for (int i = 0; i < N; i++)
        seen[order[i]]++;
    for (int i = 0; i < N; i++)
        assert_int_equal(seen[i], 1);
}

/* dlc_parse_double's fast path must give strtod's double bit for bit (and
 * refuse what strtod refuses): numbers of every length and exponent, at
 * the edges of the path (2^53, 10^22, 19 digits) and past them. */
static int parse_like_strtod(const char *s, double *v)
{
    char *end;
    errno = 0;
    *v = strtod(s, &end);
    return end == s || *end != '\0' || errno == ERANGE || isnan(*v) ? -1 : 0;
}

static void test_parse_double_matches_strtod(void **state)
{
    (void)state;
    static const char *const fixed[] = {
        "0", "-0", "+0", "0.0", ".5", "5.", ".", "-", "+", "e5", "1e", "1e+", "1e-", "1e5x", "1.2.3",
        "9007199254740992", "9007199254740993", "9007199254740995", "-9007199254740993",
        "1e22", "1e23", "1e-22", "1e-23", "4.9e-324", "1e-400", "1e400", "1.7976931348623157e308",
        "1234567890123456789", "12345678901234567890", "0.1", "0.2", "0.3", "2.5e-3", "00012.500",
        "1.00000000000000000000", "0.0000000000000000000000001", "3.4028235e38", "1e0010",
        " 1", "1 ", "0x10", "inf", "nan", "-1E-7", "123456789e-10", "8.589973e9", "1_000"};
    for (size_t k = 0; k < sizeof fixed / sizeof fixed[0]; k++) {
        double a = 0, b = 0;
        int ra = dlc_parse_double(fixed[k], &a), rb = parse_like_strtod(fixed[k], &b);
        if (ra != rb || (ra == 0 && memcmp(&a, &b, sizeof a) != 0))
            fail_msg("\"%s\": dlc_parse_double %d %.17g, strtod %d %.17g", fixed[k], ra, a, rb, b);
    }
    uint64_t x = 88172645463325252ULL; /* xorshift64 */
    char s[64];
    for (int i = 0; i < 200000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        int nd = 1 + (int)(x % 20), dot = (int)((x >> 8) % (uint64_t)(nd + 2)) - 1;
        int len = 0;
        if ((x >> 16) & 1)
            s[len++] = '-';
        uint64_t y = x * 2862933555777941757ULL + 3037000493ULL;
        for (int d = 0; d < nd; d++) {
            if (d == dot)
                s[len++] = '.';
            y = y * 6364136223846793005ULL + 1442695040888963407ULL;
            s[len++] = (char)('0' + (y >> 33) % 10);
        }
        if ((x >> 20) % 3 == 0)
            len += snprintf(s + len, sizeof s - (size_t)len, "e%d", (int)((x >> 24) % 61) - 30);
        s[len] = '\0';
        double a = 0, b = 0;
        int ra = dlc_parse_double(s, &a), rb = parse_like_strtod(s, &b);
        if (ra != rb || (ra == 0 && memcmp(&a, &b, sizeof a) != 0))
            fail_msg("\"%s\": dlc_parse_double %d %.17g, strtod %d %.17g", s, ra, a, rb, b);
    }
}

/* A CSV limit keeps only its rows' memory: the rows let go are given back
 * (a limit of 1,000 of a million rows kept 400 MB through training). */
static void test_csv_limit_gives_memory_back(void **state)
{
    (void)state;
    dlc_error err = {0};
    data_bundle b;
    data_config cfg;
    FILE *f = fopen(tu_tmp("lim.csv"), "w");
    assert_non_null(f);
    fprintf(f, "a,b,c,d,e,f,g,h,y\n");
    for (int i = 0; i < 20000; i++)
        fprintf(f, "%d,1,2,3,4,5,6,7,%s\n", i, i % 2 ? "odd" : "even");
    assert_int_equal(fclose(f), 0);
    csv_config(&cfg, tu_tmp("lim.csv"));
    cfg.train.limit = 100;
    assert_int_equal(data_load(&b, &cfg, DATA_TARGET_CLASS, 3, &err), DLC_OK);
    const dataset *ds = b.split[DATA_SPLIT_TRAIN].ds;
    assert_int_equal(ds->n, 100);
    /* 100 rows of 8 features: 3,200 bytes (the file's 20,000: 640,000) */
    assert_true(malloc_usable_size(ds->f32) < 100 * 8 * sizeof(float) + 4096);
    assert_true(malloc_usable_size(ds->targets) < 100 * sizeof(float) + 4096);
    assert_true(malloc_usable_size(ds->row) < 100 * sizeof(int) + 4096);
    data_free(&b);
    cfg_free(&cfg);
}

/* Rows of 100 values kept as floats, as dlc predict keeps them. */
typedef struct {
    float *x;
    size_t n, cap;
} kept_rows;

static dlc_status keep_row(void *user, const char *const *fields, int line, dlc_error *err)
{
    (void)line;
    kept_rows *k = user;
    if (k->n == k->cap) {
        k->cap = k->cap ? 2 * k->cap : 1024;
        if (!(k->x = realloc(k->x, sizeof(float) * 100 * k->cap)))
            return DLC_NOMEM(err);
    }
    for (int j = 0; j < 100; j++)
        k->x[k->n * 100 + (size_t)j] = (float)atof(fields[j]);
    k->n++;
    return DLC_OK;
}

/* The peak memory of reading path as a CSV file (label column y; records:
 * its 100 columns c0..c99 by data_csv_records_once), in a child process:
 * KiB over the child's size at fork. */
static long csv_load_peak_kib(const char *path, int records)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0 && records) {
        char *text = NULL, names[100][16];
        const char *cols[100];
        size_t len = 0;
        kept_rows k = {0};
        for (int j = 0; j < 100; j++) {
            snprintf(names[j], sizeof names[j], "c%d", j);
            cols[j] = names[j];
        }
        dlc_error err = {0};
        dlc_status st = dlc_read_file_max(path, DLC_DATA_MAX, &text, &len, &err);
        if (st == DLC_OK)
            st = data_csv_records_once(path, text, len, NULL, cols, 100, keep_row, &k, &err);
        _exit(st == DLC_OK && k.n > 0 ? 0 : 1);
    }
    if (pid == 0) {
        dataset *ds = NULL;
        dlc_strlist label = list_of("y", NULL), names = {0};
        data_csv_targets one = {"", &label, DATA_TARGET_CLASS, &names};
        dlc_error err = {0};
        dlc_status st = data_read_csv_groups(&ds, path, NULL, &one, 1, NULL, NULL, NULL,
                                             DATA_MISSING_ERROR, 0, &err);
        _exit(st == DLC_OK && ds && ds->n > 0 ? 0 : 1);
    }
    int status = 0;
    struct rusage ru;
    assert_int_equal(wait4(pid, &status, 0, &ru), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    return ru.ru_maxrss;
}

/* A CSV file is read whole and then parsed: the parsed text is given back as
 * the values are made, so the peak is not the text and the values at once
 * (40 MB of one-digit values: 40 MB of text, 80 MB of floats; 120 MB at
 * once before, the values and a few MB of text now). */
static void test_csv_text_given_back_while_parsed(void **state)
{
    (void)state;
#if defined(__SANITIZE_ADDRESS__)
    /* AddressSanitizer's allocator copies on realloc and keeps freed blocks
     * in quarantine: its peaks are not glibc's */
    skip();
#endif
    /* nor are valgrind's (it replaces malloc and realloc; it preloads its
     * own library into the program it runs) */
    const char *preload = getenv("LD_PRELOAD");
    if (preload && strstr(preload, "vgpreload"))
        skip();
    const int rows = 200000, cols = 100;
    FILE *f = fopen(tu_tmp("digits.csv"), "w");
    assert_non_null(f);
    for (int j = 0; j < cols; j++)
        fprintf(f, "c%d,", j);
    fprintf(f, "y\n");
    char line[2 * 100 + 8];
    for (int i = 0; i < rows; i++) {
        for (int j = 0; j < cols; j++) {
            line[2 * j] = (char)('0' + (i + j) % 10);
            line[2 * j + 1] = ',';
        }
        line[2 * cols] = i % 2 ? 'a' : 'b';
        line[2 * cols + 1] = '\n';
        assert_int_equal(fwrite(line, 1, 2 * (size_t)cols + 2, f), 2 * (size_t)cols + 2);
    }
    assert_int_equal(fclose(f), 0);
    f = fopen(tu_tmp("tiny.csv"), "w"); /* the same columns, two rows */
    assert_non_null(f);
    for (int j = 0; j < cols; j++)
        fprintf(f, "c%d,", j);
    fprintf(f, "y\n");
    for (int i = 0; i < 2; i++) {
        for (int j = 0; j < cols; j++)
            fprintf(f, "%d,", j % 10);
        fprintf(f, "%s\n", i ? "a" : "b");
    }
    assert_int_equal(fclose(f), 0);
    const long text = (long)rows * (2 * cols + 2) / 1024, values = (long)rows * cols * 4 / 1024;
    /* the reader of training, and the records of dlc predict */
    for (int records = 0; records < 2; records++) {
        long base = csv_load_peak_kib(tu_tmp("tiny.csv"), records);
        long peak = csv_load_peak_kib(tu_tmp("digits.csv"), records) - base;
        if (peak >= text + values * 8 / 10)
            fail_msg("%s: peak %ld KiB over the base: the text (%ld KiB) was held with the values "
                     "(%ld KiB)", records ? "records" : "reader", peak, text, values);
    }
}

/* data_is_missing's shortcut for numbers keeps every missing spelling, in
 * any case. */
static void test_missing_spellings(void **state)
{
    (void)state;
    static const char *const missing[] = {"", "nan", "-nan", "na", "n/a", "#n/a", "#na", "null",
                                          "none", "<na>", "-1.#ind", "1.#ind", "-1.#qnan",
                                          "1.#qnan", "?", "NaN", "NA", "N/A", "NULL", "None",
                                          "-1.#IND", "1.#QNAN", "<NA>", "#N/A"};
    for (size_t k = 0; k < sizeof missing / sizeof missing[0]; k++)
        if (!data_is_missing(missing[k]))
            fail_msg("'%s' is not read as missing", missing[k]);
    static const char *const values[] = {"0", "1.5", "-2e3", "1E-7", "+.5", "inf", "nano", "a", "#1"};
    for (size_t k = 0; k < sizeof values / sizeof values[0]; k++)
        if (data_is_missing(values[k]))
            fail_msg("'%s' is read as missing", values[k]);
}

/* The hashed header finds what data_csv_feature_column finds: a column by
 * name (the first of two of one name), a one-hot feature's column and value. */
static void test_csv_index_like_list(void **state)
{
    (void)state;
    dlc_strlist header = list_of("a", "color", "a=b", "x", "color", "", NULL);
    static const char *const features[] = {"a", "color", "a=b", "a=c", "color=red", "x", "y",
                                           "color=", "", "x=1=2", "=a"};
    data_csv_index *ix = NULL;
    dlc_error err = {0};
    assert_int_equal(data_csv_index_create(&ix, &header, &err), DLC_OK);
    for (size_t k = 0; k < sizeof features / sizeof features[0]; k++) {
        const char *v1 = NULL, *v2 = NULL;
        int j1 = data_csv_feature_column(&header, features[k], &v1);
        int j2 = data_csv_index_column(ix, features[k], &v2);
        assert_int_equal(j1, j2);
        assert_true((v1 == NULL) == (v2 == NULL));
        if (v1)
            assert_string_equal(v1, v2);
    }
    data_csv_index_free(ix);
    data_csv_index_free(NULL);
    dlc_strlist_clear(&header);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv_dialects),
        cmocka_unit_test(test_plan_weighted),
        cmocka_unit_test(test_parse_double_matches_strtod),
        cmocka_unit_test(test_idx_plain_and_gzip),
        cmocka_unit_test(test_idx_2d_and_4d),
        cmocka_unit_test(test_idx_truncated),
        cmocka_unit_test(test_idx_gzip_bomb),
        cmocka_unit_test(test_idx_label_count),
        cmocka_unit_test(test_idx_bad_magic_and_type),
        cmocka_unit_test(test_idx_limit),
        cmocka_unit_test(test_csv_categorical_onehot),
        cmocka_unit_test(test_csv_string_labels),
        cmocka_unit_test(test_csv_numeric_labels),
        cmocka_unit_test(test_csv_quoted_tabs_crlf),
        cmocka_unit_test(test_csv_errors),
        cmocka_unit_test(test_csv_features_and_limit),
        cmocka_unit_test(test_csv_limit_gives_memory_back),
        cmocka_unit_test(test_missing_spellings),
        cmocka_unit_test(test_csv_index_like_list),
        cmocka_unit_test(test_csv_text_given_back_while_parsed),
        cmocka_unit_test(test_csv_numeric_class_values),
        cmocka_unit_test(test_csv_binary_and_multitask),
        cmocka_unit_test(test_balance_classes),
        cmocka_unit_test(test_split_carving),
        cmocka_unit_test(test_split_files),
        cmocka_unit_test(test_split_binary_names),
        cmocka_unit_test(test_split_idx_classes),
        cmocka_unit_test(test_norm_per_channel),
        cmocka_unit_test(test_norm_per_feature),
        cmocka_unit_test(test_norm_train_only_carved),
        cmocka_unit_test(test_gather),
        cmocka_unit_test(test_fashion_mnist),
        cmocka_unit_test(test_shipped_csvs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
