/* test_image.c - image files and folders (PNG, JPEG, BMP; gray and RGB
 * mixed; resizing; unreadable files), and train-time augmentation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include <stb_image_write.h>

#include "../../src/data/data.h"
#include "testutil.h"

/* A w x h image of c channels (interleaved) whose pixel (y, x, k) is
 * base + 10 y + x + 50 k. */
static void make_pixels(unsigned char *px, int w, int h, int c, int base)
{
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int k = 0; k < c; k++)
                px[(y * w + x) * c + k] = (unsigned char)(base + 10 * y + x + 50 * k);
}

static void mkdir_p(const char *path)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            mkdir(buf, 0755);
            *p = '/';
        }
    mkdir(buf, 0755);
}

/* root/<class>/<name> written as png, jpg or bmp by its extension. */
static void write_image(const char *root, const char *cls, const char *name, int w, int h, int c,
                        int base)
{
    char dir[1024], path[1200];
    snprintf(dir, sizeof dir, "%s/%s", root, cls);
    mkdir_p(dir);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    unsigned char px[64 * 64 * 4];
    make_pixels(px, w, h, c, base);
    const char *ext = strrchr(name, '.');
    int ok = strcmp(ext, ".png") == 0   ? stbi_write_png(path, w, h, c, px, w * c)
             : strcmp(ext, ".jpg") == 0 ? stbi_write_jpg(path, w, h, c, px, 100)
                                        : stbi_write_bmp(path, w, h, c, px);
    assert_true(ok);
}

static void test_gray_rgb_mix(void **state)
{
    const char *root = tu_tmp("mix");
    write_image(root, "b_cat", "1.png", 4, 3, 1, 10);  /* gray */
    write_image(root, "b_cat", "2.png", 4, 3, 3, 10);  /* RGB */
    write_image(root, "a_dog", "1.bmp", 4, 3, 3, 0);   /* RGB BMP */
    write_image(root, "a_dog", "2.jpg", 4, 3, 1, 0);   /* gray JPEG */
    write_image(root, "a_dog", "3.png", 8, 6, 4, 0);   /* RGBA, twice the size */
    char notes[1200];
    snprintf(notes, sizeof notes, "%s/a_dog/notes.txt", root);
    tu_write(notes, "not an image", (size_t)-1);       /* ignored: not an image name */

    /* as RGB: gray is replicated */
    dataset *ds = NULL;
    dlc_strlist classes = {0};
    dlc_error err = {0};
    tensor_shape rgb = {3, {3, 3, 4}};
    dlc_strlist skipped = {0};
    if (data_read_image_folder(&ds, root, &rgb, &classes, DATA_BAD_FAIL, 0, 0, &skipped, &err) != DLC_OK) {
        print_error("%s\n", err.msg);
        fail();
    }
    assert_int_equal(ds->n, 5);
    assert_int_equal(classes.n, 2);
    assert_string_equal(classes.v[0], "a_dog"); /* sorted */
    assert_string_equal(classes.v[1], "b_cat");
    assert_true(ds->targets[0] == 0.0f && ds->targets[3] == 1.0f);
    /* example 3 is b_cat/1.png, gray: all three channels equal the gray value */
    const uint8_t *g = ds->u8 + 3 * ds->dim;
    for (int p = 0; p < 12; p++) {
        assert_int_equal(g[p], g[12 + p]);
        assert_int_equal(g[p], g[24 + p]);
    }
    assert_int_equal(g[0], 10);
    assert_int_equal(g[1 * 4 + 2], 10 + 10 + 2); /* (y 1, x 2) */
    /* example 4 is b_cat/2.png, RGB, channel-major: channel 1 is 50 brighter */
    const uint8_t *c = ds->u8 + 4 * ds->dim;
    assert_int_equal(c[0], 10);
    assert_int_equal(c[12], 60);
    assert_int_equal(c[24 + 5], 110 + 10 + 1);
    /* example 0 is the BMP, lossless */
    assert_int_equal(ds->u8[0 * ds->dim + 12 + 3], 50 + 3);
    /* example 2 (RGBA 8x6) was resized to 4x3 */
    data_dataset_free(ds);
    dlc_strlist_clear(&classes);

    /* as gray, with the shape taken from the first image (a_dog/1.bmp: RGB -> 3 channels) */
    tensor_shape first = {0};
    assert_int_equal(data_read_image_folder(&ds, root, &first, &classes, DATA_BAD_FAIL, 0, 0, NULL, &err),
                     DLC_OK);
    assert_int_equal(first.ndim, 3);
    assert_int_equal(first.d[0], 3);
    assert_int_equal(first.d[1], 3);
    assert_int_equal(first.d[2], 4);
    data_dataset_free(ds);
    dlc_strlist_clear(&classes);
    tensor_shape gray = {3, {1, 3, 4}};
    assert_int_equal(data_read_image_folder(&ds, root, &gray, &classes, DATA_BAD_FAIL, 0, 0, NULL, &err),
                     DLC_OK);
    /* b_cat/2.png RGB (10 + 10y + x, +50, +100) -> luma ~ 0.299 r + 0.587 g + 0.114 b */
    int want = (int)(0.299 * 10 + 0.587 * 60 + 0.114 * 110 + 0.5);
    assert_true(abs((int)ds->u8[4 * ds->dim] - want) <= 1);
    data_dataset_free(ds);
    dlc_strlist_clear(&classes);
}

static void test_bad_files(void **state)
{
    const char *root = tu_tmp("bad");
    write_image(root, "a", "1.png", 4, 4, 1, 0);
    write_image(root, "b", "1.png", 4, 4, 1, 0);
    char path[1200];
    snprintf(path, sizeof path, "%s/b/2.png", root);
    tu_write(path, "\x89PNG\r\n\x1a\n truncated", (size_t)-1);
    dataset *ds = NULL;
    dlc_strlist classes = {0};
    dlc_error err = {0};
    tensor_shape s = {3, {1, 4, 4}};
    assert_int_equal(data_read_image_folder(&ds, root, &s, &classes, DATA_BAD_FAIL, 0, 0, NULL, &err),
                     DLC_EINPUT);
    assert_non_null(strstr(err.msg, "b/2.png: PNG image is truncated"));
    assert_non_null(strstr(err.msg, "data.bad_files: skip"));
    dlc_strlist skipped = {0};
    assert_int_equal(data_read_image_folder(&ds, root, &s, &classes, DATA_BAD_SKIP, 0, 0, &skipped, &err),
                     DLC_OK);
    assert_int_equal(skipped.n, 1);
    assert_non_null(strstr(skipped.v[0], "b/2.png: PNG image is truncated"));
    dlc_strlist_clear(&skipped);
    assert_int_equal(ds->n, 2);
    data_dataset_free(ds);
    dlc_strlist_clear(&classes);
    /* dev/test folders must use the train folder's classes */
    dlc_strlist known = {0};
    dlc_strlist_push(&known, "a", &err);
    assert_int_equal(data_read_image_folder(&ds, root, &s, &known, DATA_BAD_SKIP, 0, 0, NULL, &err),
                     DLC_EINPUT);
    assert_non_null(strstr(err.msg, "class 'b' is not one of the model's 1 classes"));
    dlc_strlist_clear(&known);
    /* no class folders; a missing folder */
    assert_int_equal(data_read_image_folder(&ds, tu_tmp("bad/a"), &s, &classes, DATA_BAD_FAIL, 0, 0, NULL, &err),
                     DLC_EINPUT);
    assert_non_null(strstr(err.msg, "no class subfolders"));
    assert_int_equal(data_read_image_folder(&ds, tu_tmp("nowhere"), &s, &classes, DATA_BAD_FAIL, 0, 0, NULL, &err),
                     DLC_EINPUT);
    assert_non_null(strstr(err.msg, "cannot open folder"));
    /* a single file */
    uint8_t px[16];
    snprintf(path, sizeof path, "%s/missing.png", root);
    assert_int_equal(data_image_load(path, 0, &s, px, &err), DLC_EINPUT);
    assert_non_null(strstr(err.msg, "missing.png: cannot open"));
    tensor_shape four = {3, {4, 4, 4}};
    snprintf(path, sizeof path, "%s/a/1.png", root);
    assert_int_equal(data_image_load(path, 0, &four, px, &err), DLC_EINPUT);
    assert_non_null(strstr(err.msg, "1 or 3 channels"));
}

/* ---- hostile files: each kind is refused with its reason, none hangs ---- */

/* A valid w x h gray image of the given kind in memory (png, jpg, bmp). */
typedef struct {
    unsigned char b[1 << 16];
    int n;
} membuf;
static void to_mem(void *ctx, void *data, int size)
{
    membuf *m = ctx;
    memcpy(m->b + m->n, data, (size_t)size);
    m->n += size;
}
static int encode(membuf *m, const char *kind, int w, int h)
{
    unsigned char px[32 * 32];
    make_pixels(px, w, h, 1, 0);
    m->n = 0;
    if (strcmp(kind, "png") == 0)
        stbi_write_png_to_func(to_mem, m, w, h, 1, px, w);
    else if (strcmp(kind, "jpg") == 0)
        stbi_write_jpg_to_func(to_mem, m, w, h, 1, px, 90);
    else
        stbi_write_bmp_to_func(to_mem, m, w, h, 1, px);
    return m->n;
}
/* A 2 x 2 GIF with a two-colour table. */
static const unsigned char gif2x2[] = {
    'G', 'I', 'F', '8', '9', 'a', 2, 0, 2, 0, 0x80, 0, 0, 0, 0, 0, 255, 255, 255,
    0x2C, 0, 0, 0, 0, 2, 0, 2, 0, 0, 2, 3, 0x8C, 0x2D, 0x05, 0, 0x3B};

static void check_refused(const char *what, const void *bytes, size_t n, long max_pixels,
                          const char *expect)
{
    dlc_error err = {0};
    tensor_shape s = {3, {1, 4, 4}};
    uint8_t out[16];
    dlc_status st = data_image_decode(what, bytes, n, max_pixels, &s, out, &err);
    if (st != DLC_EINPUT || !strstr(err.msg, expect)) {
        print_error("%s: status %d, message '%s', expected '%s'\n", what, st, err.msg, expect);
        fail();
    }
}

static void test_hostile_bytes(void **state)
{
    membuf m;
    dlc_error err = {0};
    tensor_shape s = {3, {1, 4, 4}}, native;
    uint8_t out[16];
    /* the complete files decode, whatever kind */
    const char *kinds[] = {"png", "jpg", "bmp"};
    for (int k = 0; k < 3; k++) {
        int n = encode(&m, kinds[k], 8, 6);
        assert_int_equal(data_image_check(kinds[k], m.b, (size_t)n, 0, &native, &err), DLC_OK);
        assert_int_equal(native.d[1], 6);
        assert_int_equal(native.d[2], 8);
        assert_int_equal(data_image_decode(kinds[k], m.b, (size_t)n, 0, &s, out, &err), DLC_OK);
        /* every cut of it is refused as truncated (or unreadable), never decoded */
        for (int cut = 1; cut < n; cut += cut < 64 ? 1 : 7) {
            dlc_error e = {0};
            if (data_image_decode(kinds[k], m.b, (size_t)cut, 0, &s, out, &e) == DLC_OK) {
                print_error("%s cut to %d of %d bytes decoded\n", kinds[k], cut, n);
                fail();
            }
        }
    }
    assert_int_equal(data_image_decode("gif", gif2x2, sizeof gif2x2, 0, &s, out, &err), DLC_OK);
    for (size_t cut = 1; cut < sizeof gif2x2 - 1; cut++)
        assert_int_equal(data_image_decode("gif", gif2x2, cut, 0, &s, out, &err), DLC_EINPUT);
    check_refused("cut.gif", gif2x2, sizeof gif2x2 - 4, 0, "GIF image is truncated");
    int n = encode(&m, "bmp", 8, 6);
    check_refused("cut.bmp", m.b, (size_t)n - 10, 0, "BMP image is truncated");
    n = encode(&m, "jpg", 8, 6);
    check_refused("cut.jpg", m.b, (size_t)n - 10, 0, "JPEG image is truncated");
    n = encode(&m, "png", 8, 6);
    check_refused("cut.png", m.b, (size_t)n - 10, 0, "PNG image is truncated");
    /* a scan decoded with a Huffman table no DHT segment defined: stb_image
     * 2.27 would search past the table's zeroed limits and index its symbols
     * with what it found there (the image fuzzer) */
    for (int dc = 0; dc < 2; dc++) {
        n = encode(&m, "jpg", 8, 6);
        int sos = -1;
        for (int i = 2; i + 1 < n && sos < 0; i++)
            if (m.b[i] == 0xFF && m.b[i + 1] == 0xDA)
                sos = i;
        assert_true(sos > 0);
        assert_int_equal(data_image_decode("ok.jpg", m.b, (size_t)n, 0, &s, out, &err), DLC_OK);
        uint8_t *tables = m.b + sos + 6; /* FF DA, length, Ns, then Cs and Td/Ta of the first */
        *tables = dc ? (uint8_t)(0x30 | (*tables & 15)) : (uint8_t)((*tables & 0xF0) | 3);
        check_refused(dc ? "dc3.jpg" : "ac3.jpg", m.b, (size_t)n, 0,
                      "corrupt JPEG image (its structure is broken)");
    }
    /* progressive files name tables their scan does not use, and may define
     * them only later (libjpeg's, through PIL): read as they are */
    const char *progressive[] = {"images/other/sneaker_rgb_56_progressive.jpg",
                                 "images/other/sneaker_gray_56_progressive.jpg"};
    for (int k = 0; k < 2; k++) {
        uint8_t *file = NULL;
        size_t len = 0;
        assert_int_equal(dlc_read_file_max(tu_data(progressive[k]), 1 << 20, (char **)&file, &len, &err),
                         DLC_OK);
        tensor_shape p56 = {3, {3, 56, 56}};
        uint8_t *px = malloc(3 * 56 * 56);
        assert_non_null(px);
        assert_int_equal(data_image_check(progressive[k], file, len, 0, &native, &err), DLC_OK);
        assert_int_equal(native.d[1], 56);
        assert_int_equal(data_image_decode(progressive[k], file, len, 0, &p56, px, &err), DLC_OK);
        free(px);
        free(file);
    }

    /* formats dlc does not read, by content: a height-0 PGM (it aborted inside
     * the resizer), a Radiance HDR file (its decoder looped), PSD, TGA */
    check_refused("zero.pgm", "P5\n4 0\n255\n", 12, 0, "a PNM/PGM/PPM image; dlc reads PNG");
    check_refused("loop.hdr", "#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y 2 +X 2\n\x02\x02\x00\x02", 48, 0,
                  "a Radiance HDR image");
    check_refused("x.psd", "8BPS\x00\x01\x00\x00\x00\x00\x00\x00\x00\x01", 14, 0, "Photoshop");
    check_refused("x.tga", "\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x02\x00\x18\x00",
                  18, 0, "not an image");
    check_refused("empty.png", "", 0, 0, "empty file");

    /* sizes from the header, checked before any decoding */
    n = encode(&m, "png", 8, 6);
    m.b[16] = 0, m.b[17] = 0, m.b[18] = 0x75, m.b[19] = 0x30; /* width 30000 */
    m.b[20] = 0, m.b[21] = 0, m.b[22] = 0x75, m.b[23] = 0x30; /* height 30000 */
    check_refused("huge.png", m.b, (size_t)n, 0, "30000 x 30000 pixels is too large");
    n = encode(&m, "png", 8, 6);
    check_refused("small limit", m.b, (size_t)n, 40, "data.max_image_pixels");
    n = encode(&m, "bmp", 8, 6);
    m.b[18] = 0x00, m.b[19] = 0x12, m.b[20] = 0x7A, m.b[21] = 0x00; /* width 8,000,000 */
    check_refused("wide.bmp", m.b, (size_t)n, 0, "8000000 x 6 pixels is too large");
    n = encode(&m, "bmp", 8, 6);
    memset(m.b + 22, 0, 4); /* height 0 */
    check_refused("flat.bmp", m.b, (size_t)n, 0, "BMP");
}

/* A growing buffer for stbi_write_*_to_func. */
typedef struct {
    unsigned char *b;
    size_t n, cap;
} growbuf;
static void to_grow(void *ctx, void *data, int size)
{
    growbuf *g = ctx;
    if (g->n + (size_t)size > g->cap) {
        g->cap = 2 * (g->n + (size_t)size);
        g->b = realloc(g->b, g->cap);
        assert_non_null(g->b);
    }
    memcpy(g->b + g->n, data, (size_t)size);
    g->n += (size_t)size;
}

/* A large shrink costs time in proportion to the pixels, not to pixels times
 * the shrink factor: 16,384 x 1,024 to one pixel took about 12 s through
 * stb_image_resize alone (a fuzzer timeout, on a 16,256 x 63 GIF), and the
 * block means it now starts with keep the figures right. */
static void test_large_shrink(void **state)
{
    const int w = 16384, h = tu_quick() ? 64 : 1024;
    unsigned char *px = malloc((size_t)w * (size_t)h);
    assert_non_null(px);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            px[(size_t)y * w + x] = x < w / 2 ? 40 : 200; /* left half dark, right half light */
    growbuf g = {0};
    assert_true(stbi_write_bmp_to_func(to_grow, &g, w, h, 1, px));
    free(px);
    dlc_error err = {0};
    uint8_t out[2 * 2];
    tensor_shape s = {3, {1, 2, 2}};
    clock_t t0 = clock(); /* CPU time: the machine may be busy */
    assert_int_equal(data_image_decode("wide.bmp", g.b, g.n, 0, &s, out, &err), DLC_OK);
    /* each output pixel near its half's value, as stb_image_resize alone gives
     * it (59 and 181: its filter reaches across the edge) */
    for (int y = 0; y < 2; y++) {
        assert_true(abs((int)out[y * 2] - 59) <= 4);
        assert_true(abs((int)out[y * 2 + 1] - 181) <= 4);
    }
    tensor_shape one = {3, {1, 1, 1}};
    assert_int_equal(data_image_decode("wide.bmp", g.b, g.n, 0, &one, out, &err), DLC_OK);
    assert_true(abs((int)out[0] - 120) <= 2);
    double t = (double)(clock() - t0) / CLOCKS_PER_SEC;
    free(g.b);
    if (!tu_quick() && t > 1.5) { /* 2.2 s of CPU before, 0.1 s after (-O3) */
        print_error("shrinking %d x %d took %.2f s of CPU\n", w, h, t);
        fail();
    }
}

/* Files that are not regular files, in a folder of images: reported as bad
 * files by name and kind (skipped or failed per data.bad_files), never opened
 * in a way that blocks. */
static void test_special_files(void **state)
{
    const char *root = tu_tmp("special");
    write_image(root, "a", "1.png", 4, 4, 1, 0);
    write_image(root, "b", "1.png", 4, 4, 1, 0);
    char path[1200], target[1200];
    snprintf(path, sizeof path, "%s/b/2_fifo.png", root);
    assert_int_equal(mkfifo(path, 0600), 0);
    snprintf(path, sizeof path, "%s/b/3_broken.png", root);
    assert_int_equal(symlink("does-not-exist.png", path), 0);
    snprintf(path, sizeof path, "%s/b/4_loop.png", root);
    assert_int_equal(symlink("4_loop.png", path), 0);
    snprintf(path, sizeof path, "%s/b/5_dev.png", root);
    assert_int_equal(symlink("/dev/zero", path), 0);
    snprintf(path, sizeof path, "%s/b/6_tga.tga", root);
    tu_write(path, "\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x02\x00\x18\x00", 18);
    snprintf(path, sizeof path, "%s/b/7_link.png", root); /* a link to a good image counts */
    snprintf(target, sizeof target, "%s/b/1.png", root);
    assert_int_equal(symlink(target, path), 0);

    dataset *ds = NULL;
    dlc_strlist classes = {0}, skipped = {0};
    dlc_error err = {0};
    tensor_shape s = {3, {1, 4, 4}};
    assert_int_equal(data_read_image_folder(&ds, root, &s, &classes, DATA_BAD_FAIL, 0, 0, NULL, &err),
                     DLC_EINPUT);
    assert_non_null(strstr(err.msg, "2_fifo.png: is a FIFO (named pipe), not a regular file"));
    assert_int_equal(data_read_image_folder(&ds, root, &s, &classes, DATA_BAD_SKIP, 0, 0, &skipped, &err),
                     DLC_OK);
    assert_int_equal(ds->n, 3);
    assert_int_equal(skipped.n, 5);
    assert_non_null(strstr(skipped.v[0], "2_fifo.png: is a FIFO"));
    assert_non_null(strstr(skipped.v[1], "3_broken.png: a broken symbolic link"));
    assert_non_null(strstr(skipped.v[2], "4_loop.png: a symbolic link loop"));
    assert_non_null(strstr(skipped.v[3], "5_dev.png: is a character device"));
    assert_non_null(strstr(skipped.v[4], "6_tga.tga: not an image"));
    data_dataset_free(ds);
    dlc_strlist_clear(&classes);
    dlc_strlist_clear(&skipped);

    /* the first image decides the shape: a header claiming 30000 x 30000
     * pixels sorted first is refused, not taken as the model's input */
    const char *big = tu_tmp("bigfirst");
    write_image(big, "a", "1.png", 4, 4, 1, 0);
    membuf m;
    int n = encode(&m, "png", 8, 6);
    m.b[18] = 0x75, m.b[19] = 0x30, m.b[22] = 0x75, m.b[23] = 0x30;
    snprintf(path, sizeof path, "%s/a/0.png", big);
    tu_write(path, m.b, (size_t)n);
    tensor_shape first = {0};
    assert_int_equal(data_read_image_folder(&ds, big, &first, &classes, DATA_BAD_FAIL, 0, 0, NULL, &err),
                     DLC_EINPUT);
    assert_non_null(strstr(err.msg, "is too large"));
    first.ndim = 0;
    assert_int_equal(data_read_image_folder(&ds, big, &first, &classes, DATA_BAD_SKIP, 0, 0, &skipped, &err),
                     DLC_OK);
    assert_int_equal(first.d[1], 4);
    assert_int_equal(ds->n, 1);
    data_dataset_free(ds);
    dlc_strlist_clear(&classes);
    dlc_strlist_clear(&skipped);
}

/* JPEGs with each Exif orientation (tests/data/make_exif_images.py): all
 * show the same upright 16 x 8 picture once the tag is applied, red, green /
 * blue, white by quadrant; a malformed Exif block is read as stored. */
static void test_exif_orientation(void **state)
{
    (void)state;
    dlc_error err = {0};
    static const unsigned char want[2][2][3] = {{{255, 0, 0}, {0, 255, 0}}, {{0, 0, 255}, {255, 255, 255}}};
    const tensor_shape shown = {3, {3, 8, 16}};
    uint8_t px[3 * 8 * 16];
    char name[64];
    for (int o = 1; o <= 9; o++) { /* 9: orient6_le.jpg, a little-endian block of two tags */
        if (o == 9)
            snprintf(name, sizeof name, "images/exif/orient6_le.jpg");
        else
            snprintf(name, sizeof name, "images/exif/orient%d.jpg", o);
        tensor_shape own = {0};
        assert_int_equal(data_image_probe(tu_data(name), 0, &own, &err), DLC_OK);
        assert_int_equal(own.d[1], 8); /* height and width as shown */
        assert_int_equal(own.d[2], 16);
        assert_int_equal(data_image_load(tu_data(name), 0, &shown, px, &err), DLC_OK);
        for (int qy = 0; qy < 2; qy++)
            for (int qx = 0; qx < 2; qx++)
                for (int c = 0; c < 3; c++) {
                    int v = px[c * 128 + (2 + 4 * qy) * 16 + 4 + 8 * qx];   /* a quadrant's middle */
                    if (abs(v - want[qy][qx][c]) > 48)
                        fail_msg("%s: quadrant (%d, %d) channel %d is %d, not %d", name, qy, qx, c,
                                 v, want[qy][qx][c]);
                }
    }
    /* rot180.jpg (no tag; orient3's stored pixels) and a malformed block: as stored */
    assert_int_equal(data_image_load(tu_data("images/exif/rot180.jpg"), 0, &shown, px, &err), DLC_OK);
    assert_true(px[0 * 128 + 2 * 16 + 4] > 200 && px[1 * 128 + 2 * 16 + 4] > 200); /* white top-left */
    tensor_shape own = {0};
    assert_int_equal(data_image_probe(tu_data("images/exif/bad_exif.jpg"), 0, &own, &err), DLC_OK);
    assert_int_equal(own.d[1], 16);
    assert_int_equal(own.d[2], 8);
    const tensor_shape stored = {3, {3, 16, 8}};
    assert_int_equal(data_image_load(tu_data("images/exif/bad_exif.jpg"), 0, &stored, px, &err), DLC_OK);
}

static void test_limit_round_robin(void **state)
{
    const char *root = tu_tmp("limit");
    for (int i = 0; i < 5; i++) {
        char name[16];
        snprintf(name, sizeof name, "%d.png", i);
        write_image(root, "a", name, 2, 2, 1, 0);
        write_image(root, "b", name, 2, 2, 1, 0);
    }
    dataset *ds = NULL;
    dlc_strlist classes = {0};
    dlc_error err = {0};
    tensor_shape s = {3, {1, 2, 2}};
    assert_int_equal(data_read_image_folder(&ds, root, &s, &classes, DATA_BAD_FAIL, 4, 0, NULL, &err), DLC_OK);
    assert_int_equal(ds->n, 4);
    int per[2] = {0, 0};
    for (int i = 0; i < 4; i++)
        per[(int)ds->targets[i]]++;
    assert_int_equal(per[0], 2);
    assert_int_equal(per[1], 2);
    data_dataset_free(ds);
    dlc_strlist_clear(&classes);
}

/* Flips mirror, shifts move by whole pixels with zeros, and the same seed
 * gives the same batch. */
static void test_augment(void **state)
{
    enum { C = 2, H = 3, W = 4, D = C * H * W };
    dataset ds = {0};
    uint8_t px[D];
    for (int i = 0; i < D; i++)
        px[i] = (uint8_t)(i + 1);
    float t = 0;
    ds.n = 1;
    ds.shape = (tensor_shape){3, {C, H, W}};
    ds.dim = D;
    ds.u8 = px;
    ds.n_targets = 1;
    ds.targets = &t;
    int idx = 0;
    data_split s = {.ds = &ds, .n = 1, .idx = &idx};
    float x[D], y[D];
    /* flips only: each draw is the image or its mirror */
    int seen_flip = 0, seen_plain = 0;
    for (int k = 0; k < 32; k++) {
        data_gather_augment(&s, NULL, 0, 1, NULL, &(data_augment){.hflip = 1}, NULL, (uint64_t)k, x, NULL, NULL);
        int plain = 1, flip = 1;
        for (int c = 0; c < C; c++)
            for (int h = 0; h < H; h++)
                for (int w = 0; w < W; w++) {
                    float v = x[(c * H + h) * W + w];
                    plain &= v == px[(c * H + h) * W + w];
                    flip &= v == px[(c * H + h) * W + (W - 1 - w)];
                }
        assert_true(plain || flip);
        seen_flip |= flip;
        seen_plain |= plain;
    }
    assert_true(seen_flip && seen_plain);
    /* shifts: every value is 0 or the source value one shift away */
    for (int k = 0; k < 32; k++) {
        data_gather_augment(&s, NULL, 0, 1, NULL, &(data_augment){.crop_pad = 1}, NULL, 100 + (uint64_t)k, x, NULL, NULL);
        int found = 0;
        for (int dy = -1; dy <= 1 && !found; dy++)
            for (int dx = -1; dx <= 1 && !found; dx++) {
                int ok = 1;
                for (int c = 0; c < C; c++)
                    for (int h = 0; h < H; h++)
                        for (int w = 0; w < W; w++) {
                            int sh = h + dy, sw = w + dx;
                            float want = sh < 0 || sh >= H || sw < 0 || sw >= W ? 0.0f : px[(c * H + sh) * W + sw];
                            ok &= x[(c * H + h) * W + w] == want;
                        }
                found = ok;
            }
        assert_true(found);
    }
    /* seeded */
    data_gather_augment(&s, NULL, 0, 1, NULL, &(data_augment){.hflip = 1, .crop_pad = 2}, NULL, 9, x, NULL, NULL);
    data_gather_augment(&s, NULL, 0, 1, NULL, &(data_augment){.hflip = 1, .crop_pad = 2}, NULL, 9, y, NULL, NULL);
    assert_memory_equal(x, y, sizeof x);
}

/* One example (C, H, W) of raw values through the transforms of a. */
static void augment_one(const uint8_t *px, int C, int H, int W, const data_augment *a,
                        const uint8_t *source, const dlc_strlist *names, uint64_t seed, float *x)
{
    dataset ds = {0};
    float t = 0;
    ds.n = 1;
    ds.shape = (tensor_shape){3, {C, H, W}};
    ds.dim = (size_t)C * H * W;
    ds.u8 = (uint8_t *)px;
    ds.n_targets = 1;
    ds.targets = &t;
    ds.source = (uint8_t *)source;
    int idx = 0;
    data_split s = {.ds = &ds, .n = 1, .idx = &idx};
    float scratch[2 * 3 * 16 * 16];
    data_gather_augment(&s, NULL, 0, 1, NULL, a, names, seed, x, NULL, scratch);
}

static double mean_of(const float *x, int n)
{
    double s = 0;
    for (int i = 0; i < n; i++)
        s += x[i];
    return s / n;
}

static void test_augment_photometric(void **state)
{
    (void)state;
    enum { H = 16, W = 16, D = H * W };
    uint8_t px[D], flat[D];
    for (int i = 0; i < D; i++) {
        px[i] = (uint8_t)(40 + (i * 37) % 160); /* a pattern, inside 0..255 */
        flat[i] = 100;
    }
    float x[D], y[D];
    /* rotation by 90 degrees maps the grid onto itself: (h, w) <- (W-1-w, h) */
    data_augment rot = {.rotate = {1, 90, 90}};
    augment_one(px, 1, H, W, &rot, NULL, NULL, 1, x);
    for (int h = 0; h < H; h++)
        for (int w = 0; w < W; w++)
            tu_close(x[h * W + w], px[(W - 1 - w) * W + h], 1e-3);
    /* blur keeps a flat image flat and smooths a pattern, keeping its mean
     * (edges clamped, so nearly) */
    data_augment bl = {.blur = {1, 1.0, 1.0}};
    augment_one(flat, 1, H, W, &bl, NULL, NULL, 1, x);
    for (int i = 0; i < D; i++)
        tu_close(x[i], 100, 1e-3);
    augment_one(px, 1, H, W, &bl, NULL, NULL, 1, x);
    double var_in = 0, var_out = 0, m_in = 0;
    for (int i = 0; i < D; i++)
        m_in += px[i] / (double)D;
    double m_out = mean_of(x, D);
    for (int i = 0; i < D; i++) {
        var_in += (px[i] - m_in) * (px[i] - m_in);
        var_out += (x[i] - m_out) * (x[i] - m_out);
    }
    assert_true(var_out < 0.5 * var_in);
    tu_close(m_out, m_in, 2.0);
    /* a point of light comes out as the Gaussian itself: exp(-d^2 / 2 sigma^2)
     * over d = -3 sigma .. 3 sigma, normalized, along rows and columns
     * (tests/mutation/sample.py found a kernel that lost its last tap) */
    {
        uint8_t dot[D] = {0};
        dot[8 * W + 7] = 255;
        data_augment b15 = {.blur = {1, 1.5, 1.5}};
        augment_one(dot, 1, H, W, &b15, NULL, NULL, 1, x);
        double g[2 * 5 + 1], gs = 0; /* r = ceil(3 sigma) = 5 */
        for (int i = -5; i <= 5; i++)
            gs += g[i + 5] = exp(-(double)i * i / (2 * 1.5 * 1.5));
        for (int h = 0; h < H; h++)
            for (int w = 0; w < W; w++) {
                int dh = h - 8, dw = w - 7;
                double want = abs(dh) <= 5 && abs(dw) <= 5 ? 255 * g[dh + 5] * g[dw + 5] / (gs * gs) : 0;
                tu_close(x[h * W + w], want, 1e-3);
            }
    }
    /* contrast 0.5: half the distance to the mean; brightness adds */
    data_augment co = {.contrast = {1, 0.5, 0.5}, .brightness = {1, 10, 10}};
    augment_one(px, 1, H, W, &co, NULL, NULL, 1, x);
    for (int i = 0; i < D; i++)
        tu_close(x[i], m_in + 0.5 * (px[i] - m_in) + 10, 1e-3);
    /* noise: zero mean, the sigma asked for; values clamped */
    data_augment no = {.noise = {1, 20, 20}};
    augment_one(flat, 1, H, W, &no, NULL, NULL, 3, x);
    double sd = 0;
    for (int i = 0; i < D; i++)
        sd += (x[i] - 100) * (x[i] - 100) / D;
    tu_close(sqrt(sd), 20, 4);
    tu_close(mean_of(x, D), 100, 4);
    /* JPEG loss: a flat block is exact, quality 100 nearly the image, quality 5 much less so */
    data_augment jq = {.jpeg = {1, 100, 100}};
    augment_one(flat, 1, H, W, &jq, NULL, NULL, 1, x);
    for (int i = 0; i < D; i++)
        tu_close(x[i], 100, 1e-3);
    augment_one(px, 1, H, W, &jq, NULL, NULL, 1, x);
    data_augment jl = {.jpeg = {1, 5, 5}};
    augment_one(px, 1, H, W, &jl, NULL, NULL, 1, y);
    double e100 = 0, e5 = 0;
    for (int i = 0; i < D; i++) {
        e100 += fabs(x[i] - px[i]) / D;
        e5 += fabs(y[i] - px[i]) / D;
        assert_true(y[i] >= 0 && y[i] <= 255);
    }
    assert_true(e100 < 2.0);
    assert_true(e5 > 5 * e100);
    /* probability 0 never applies; limited to a source, only its examples */
    data_augment never = {.noise = {0, 50, 50}};
    augment_one(px, 1, H, W, &never, NULL, NULL, 1, x);
    for (int i = 0; i < D; i++)
        assert_true(x[i] == px[i]);
    char web[] = "web", phone[] = "phone";
    char *nv[] = {web, phone}, *only[] = {phone};
    dlc_strlist names = {2, nv};
    data_augment some = {.brightness = {1, 7, 7}, .sources = {1, only}};
    uint8_t from_web = 0, from_phone = 1;
    augment_one(px, 1, H, W, &some, &from_web, &names, 1, x);
    augment_one(px, 1, H, W, &some, &from_phone, &names, 1, y);
    for (int i = 0; i < D; i++) {
        assert_true(x[i] == px[i]);
        tu_close(y[i], px[i] + 7 > 255 ? 255 : px[i] + 7, 1e-4);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_augment_photometric),
        cmocka_unit_test(test_gray_rgb_mix),
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_hostile_bytes),
        cmocka_unit_test(test_special_files),
        cmocka_unit_test(test_large_shrink),
        cmocka_unit_test(test_limit_round_robin),
        cmocka_unit_test(test_exif_orientation),
        cmocka_unit_test(test_augment),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
