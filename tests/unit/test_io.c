/* test_io.c - atomic files, the JSON parser and safetensors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../src/io/io.h"

/* ---- helpers ---- */

static int contains(const char *msg, const char *want)
{
    if (strstr(msg, want))
        return 1;
    print_error("message \"%s\"\n  does not contain \"%s\"\n", msg, want);
    return 0;
}

static char *slurp(const char *path, size_t *len)
{
    char *buf = NULL;
    dlc_error err = {0};
    if (dlc_read_file(path, &buf, len, &err) != DLC_OK)
        return NULL;
    return buf;
}

/* Number of directory entries whose name contains ".tmp." */
static int count_tmp(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strstr(e->d_name, ".tmp."))
            n++;
    closedir(d);
    return n;
}

static const char *fresh_dir(const char *name)
{
    const char *dir = tu_tmp(name);
    assert_int_equal(mkdir(dir, 0755), 0);
    return dir;
}

static const char *join(const char *dir, const char *name)
{
    static char buf[4][1024];
    static int k;
    char *b = buf[k++ % 4];
    snprintf(b, sizeof buf[0], "%s/%s", dir, name);
    return b;
}

static void assert_file_is(const char *path, const char *want)
{
    size_t len;
    char *got = slurp(path, &len);
    assert_non_null(got);
    assert_int_equal(len, strlen(want));
    assert_memory_equal(got, want, len);
    free(got);
}

/* ---- JSON ---- */

static json_value *parse_ok(const char *text)
{
    json_value *v = NULL;
    dlc_error err = {0};
    if (json_parse(&v, text, strlen(text), &err) != DLC_OK) {
        print_error("json_parse(%s): %s\n", text, err.msg);
        fail();
    }
    assert_non_null(v);
    return v;
}

static void test_json_nested(void **state)
{
    json_value *v = parse_ok(" {\"a\": [1, -2.5e2, true, false, null, {\"b\": {}}, []],\n"
                             "  \"s\" : \"x\", \"empty\":\"\", \"o\": {\"k\": [[[0]]]}} \t\r\n");
    assert_int_equal(v->type, JSON_OBJECT);
    assert_int_equal(v->n, 4);
    assert_string_equal(v->keys[0], "a");
    assert_string_equal(v->keys[3], "o");
    const json_value *a = json_get(v, "a");
    assert_non_null(a);
    assert_int_equal(a->type, JSON_ARRAY);
    assert_int_equal(a->n, 7);
    assert_int_equal(a->items[0]->type, JSON_NUMBER);
    assert_true(a->items[0]->number == 1.0);
    assert_true(a->items[1]->number == -250.0);
    assert_int_equal(a->items[2]->type, JSON_BOOL);
    assert_true(a->items[2]->number == 1.0);
    assert_true(a->items[3]->number == 0.0);
    assert_int_equal(a->items[4]->type, JSON_NULL);
    assert_int_equal(a->items[5]->type, JSON_OBJECT);
    const json_value *b = json_get(a->items[5], "b");
    assert_non_null(b);
    assert_int_equal(b->type, JSON_OBJECT);
    assert_int_equal(b->n, 0);
    assert_int_equal(a->items[6]->type, JSON_ARRAY);
    assert_int_equal(a->items[6]->n, 0);
    assert_string_equal(json_get(v, "s")->string, "x");
    assert_string_equal(json_get(v, "empty")->string, "");
    const json_value *k = json_get(json_get(v, "o"), "k");
    assert_true(k->items[0]->items[0]->items[0]->number == 0.0);
    assert_null(json_get(v, "missing"));
    assert_null(json_get(a, "a")); /* not an object */
    assert_null(json_get(NULL, "a"));
    json_free(v);
    json_free(NULL);

    /* scalars at the top level */
    v = parse_ok("  \"top\"  ");
    assert_string_equal(v->string, "top");
    json_free(v);
    v = parse_ok("null");
    assert_int_equal(v->type, JSON_NULL);
    json_free(v);
}

static void test_json_numbers(void **state)
{
    static const struct {
        const char *text;
        double want;
    } cases[] = {
        {"0", 0.0},          {"-0", -0.0},      {"1.5e3", 1500.0},   {"0.1", 0.1},
        {"1E-2", 0.01},      {"-12.5e+1", -125}, {"1e-400", 0.0},    {"123456789", 123456789.0},
        {"9007199254740993", 9007199254740992.0},                   {"2.5E0", 2.5},
    };
    for (size_t i = 0; i < DLC_ARRAY_LEN(cases); i++) {
        json_value *v = parse_ok(cases[i].text);
        assert_int_equal(v->type, JSON_NUMBER);
        if (v->number != cases[i].want) {
            print_error("%s -> %.17g, expected %.17g\n", cases[i].text, v->number, cases[i].want);
            fail();
        }
        json_free(v);
    }
    json_value *v = parse_ok("-0");
    assert_true(signbit(v->number));
    json_free(v);

    /* the text need not be NUL-terminated: only len bytes are read */
    const char text[] = "12345";
    dlc_error err = {0};
    assert_int_equal(json_parse(&v, text, 2, &err), DLC_OK);
    assert_true(v->number == 12.0);
    json_free(v);
}

static void test_json_escapes(void **state)
{
    json_value *v = parse_ok("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\u20AC\\ud83d\\ude00|"
                             "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\\u0041\"");
    assert_int_equal(v->type, JSON_STRING);
    assert_string_equal(v->string, "\"\\/\b\f\n\r\t\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80|"
                                   "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"
                                   "A");
    json_free(v);

    /* the largest code point, as a surrogate pair and raw */
    v = parse_ok("[\"\\udbff\\udfff\", \"\xf4\x8f\xbf\xbf\", \"\\u007f\\u0080\\u07ff\\u0800\\uffff\"]");
    assert_string_equal(v->items[0]->string, "\xf4\x8f\xbf\xbf");
    assert_string_equal(v->items[1]->string, "\xf4\x8f\xbf\xbf");
    assert_string_equal(v->items[2]->string, "\x7f\xc2\x80\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf");
    json_free(v);

    /* escaped keys */
    v = parse_ok("{\"k\\u00e9y\\n\": 1}");
    assert_non_null(json_get(v, "k\xc3\xa9y\n"));
    json_free(v);
}

static void test_json_bad(void **state)
{
    static const struct {
        const char *text;
        size_t len; /* 0: strlen */
        const char *want;
    } cases[] = {
        {"", 0, "JSON: unexpected end of input, expected a value at byte 0"},
        {"   ", 0, "at byte 3"},
        {"[1,]", 0, "unexpected character, expected a value at byte 3"},
        {"{\"a\" 1}", 0, "expected ':' after key at byte 5"},
        {"{\"a\":1,}", 0, "expected a string key at byte 7"},
        {"{1:2}", 0, "expected a string key at byte 1"},
        {"{\"a\":}", 0, "expected a value at byte 5"},
        {"[1 2]", 0, "expected ',' or ']' at byte 3"},
        {"{\"a\":1 \"b\":2}", 0, "expected ',' or '}' at byte 7"},
        {"[", 0, "unexpected end of input, expected a value at byte 1"},
        {"{", 0, "unexpected end of input, expected a key at byte 1"},
        {"[1", 0, "unexpected end of input, expected ',' or ']' at byte 2"},
        {"{\"a\":1", 0, "unexpected end of input, expected ',' or '}' at byte 6"},
        {"\"abc", 0, "unterminated string at byte 4"},
        {"\"abc\\", 0, "unterminated string at byte 4"},
        {"\"a\\qb\"", 0, "invalid escape in string at byte 2"},
        {"\"\\ud800\"", 0, "unpaired high surrogate in \\u escape at byte 1"},
        {"\"\\ud800\\u0041\"", 0, "unpaired high surrogate in \\u escape at byte 1"},
        {"\"\\ud800\\n\"", 0, "unpaired high surrogate in \\u escape at byte 1"},
        {"\"x\\udc00\"", 0, "unpaired low surrogate in \\u escape at byte 2"},
        {"\"\\u12G4\"", 0, "\\u must be followed by 4 hex digits at byte 1"},
        {"\"\\ud800\\uZZZZ\"", 0, "\\u must be followed by 4 hex digits at byte 7"},
        {"\"\\u12\"", 0, "truncated \\u escape at byte 1"},
        {"\"\\u0000\"", 0, "\\u0000 is not supported in strings at byte 1"},
        {"\"a\tb\"", 0, "control character in string (must be escaped) at byte 2"},
        {"\"a\nb\"", 0, "control character in string (must be escaped) at byte 2"},
        {"\"\xff\"", 0, "invalid UTF-8 in string at byte 1"},
        {"\"ab\xc0\xaf\"", 0, "invalid UTF-8 in string at byte 3"},      /* overlong '/' */
        {"\"\xed\xa0\x80\"", 0, "invalid UTF-8 in string at byte 1"},    /* encoded surrogate */
        {"\"\xf4\x90\x80\x80\"", 0, "invalid UTF-8 in string at byte 1"}, /* past U+10FFFF */
        {"\"\xe2\x82\"", 0, "invalid UTF-8 in string at byte 1"},        /* cut short */
        {"\"\x80\"", 0, "invalid UTF-8 in string at byte 1"},            /* lone continuation */
        {"[] x", 0, "unexpected data after the value at byte 3"},
        {"[1]\0", 4, "unexpected data after the value at byte 3"},
        {"1 2", 0, "unexpected data after the value at byte 2"},
        {"tru", 0, "invalid literal (expected true, false or null) at byte 0"},
        {"[nul]", 0, "invalid literal (expected true, false or null) at byte 1"},
        {"True", 0, "unexpected character, expected a value at byte 0"},
        {"NaN", 0, "unexpected character, expected a value at byte 0"},
        {"-Infinity", 0, "invalid number: expected a digit at byte 1"},
        {"01", 0, "invalid number: leading zero at byte 1"},
        {"-01", 0, "invalid number: leading zero at byte 2"},
        {"1.", 0, "invalid number: expected a digit after '.' at byte 2"},
        {"1.e5", 0, "invalid number: expected a digit after '.' at byte 2"},
        {".5", 0, "unexpected character, expected a value at byte 0"},
        {"+1", 0, "unexpected character, expected a value at byte 0"},
        {"1e", 0, "invalid number: expected a digit in the exponent at byte 2"},
        {"[1e+]", 0, "invalid number: expected a digit in the exponent at byte 4"},
        {"-", 0, "invalid number: expected a digit at byte 1"},
        {"0x10", 0, "unexpected data after the value at byte 1"},
        {"[1e999]", 0, "number out of range at byte 1"},
        {"-1e400", 0, "number out of range at byte 0"},
        {"{\"a\":1,\"b\":2,\"a\":3}", 0, "duplicate key in object at byte 13"},
        {"{\"\\u0061\":1,\"a\":2}", 0, "duplicate key in object at byte 12"},
        {"[\"a\",]", 0, "expected a value at byte 5"},
        {"\xef\xbb\xbf{}", 0, "unexpected character, expected a value at byte 0"}, /* BOM */
    };
    for (size_t i = 0; i < DLC_ARRAY_LEN(cases); i++) {
        json_value *v = (json_value *)1;
        dlc_error err = {0};
        size_t len = cases[i].len ? cases[i].len : strlen(cases[i].text);
        dlc_status st = json_parse(&v, cases[i].text, len, &err);
        if (st != DLC_EINPUT) {
            print_error("case %zu (%s): accepted\n", i, cases[i].text);
            fail();
        }
        assert_null(v);
        if (!contains(err.msg, cases[i].want)) {
            print_error("case %zu: %s\n", i, cases[i].text);
            fail();
        }
    }
}

static void test_json_depth(void **state)
{
    char text[200];
    /* 64 levels: accepted */
    for (int i = 0; i < 64; i++) {
        text[i] = '[';
        text[64 + i] = ']';
    }
    json_value *v = NULL;
    dlc_error err = {0};
    assert_int_equal(json_parse(&v, text, 128, &err), DLC_OK);
    json_free(v);

    /* 65 levels: refused at the 65th bracket */
    memset(text, '[', 65);
    memset(text + 65, ']', 65);
    assert_int_equal(json_parse(&v, text, 130, &err), DLC_EINPUT);
    assert_true(contains(err.msg, "nesting deeper than 64 levels at byte 64"));

    /* objects count too */
    dlc_buf b = {0};
    for (int i = 0; i < 65; i++)
        dlc_buf_append(&b, "{\"a\":", 5);
    dlc_buf_append(&b, "1", 1);
    for (int i = 0; i < 65; i++)
        dlc_buf_append(&b, "}", 1);
    assert_int_equal(json_parse(&v, b.s, b.len, &err), DLC_EINPUT);
    assert_true(contains(err.msg, "nesting deeper than 64 levels at byte 320"));
    dlc_buf_free(&b);

    /* a deep document does not recurse past the limit */
    size_t n = 100000;
    char *deep = malloc(n);
    assert_non_null(deep);
    memset(deep, '[', n);
    assert_int_equal(json_parse(&v, deep, n, &err), DLC_EINPUT);
    free(deep);
}

static void test_json_write_string(void **state)
{
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"", "\"\""},
        {"plain", "\"plain\""},
        {"a\"b\\c", "\"a\\\"b\\\\c\""},
        {"line\nbreak\ttab\r", "\"line\\u000abreak\\u0009tab\\u000d\""},
        {"\x01\x1f\x7f", "\"\\u0001\\u001f\x7f\""},
        {"/ caf\xc3\xa9 \xf0\x9f\x98\x80", "\"/ caf\xc3\xa9 \xf0\x9f\x98\x80\""},
    };
    for (size_t i = 0; i < DLC_ARRAY_LEN(cases); i++) {
        dlc_buf b = {0};
        json_write_string(&b, cases[i].in);
        assert_false(b.failed);
        assert_string_equal(b.s, cases[i].want);
        /* and it reads back as the same string */
        json_value *v = NULL;
        dlc_error err = {0};
        assert_int_equal(json_parse(&v, b.s, b.len, &err), DLC_OK);
        assert_string_equal(v->string, cases[i].in);
        json_free(v);
        dlc_buf_free(&b);
    }
    /* bytes that are not UTF-8 (a Latin-1 file name) become U+FFFD: JSON
     * text is UTF-8, and a reader refuses the raw byte */
    static const struct {
        const char *in, *want;
    } lossy[] = {
        {"caf\xe9.png", "\"caf\\ufffd.png\""},
        {"\xc3", "\"\\ufffd\""},                          /* cut short */
        {"\xc0\x8a\"", "\"\\ufffd\\ufffd\\\"\""},          /* overlong, then a quote */
        {"\xe4\xb8\xad\xff", "\"\xe4\xb8\xad\\ufffd\""},
    };
    for (size_t i = 0; i < DLC_ARRAY_LEN(lossy); i++) {
        dlc_buf b = {0};
        json_write_string(&b, lossy[i].in);
        assert_string_equal(b.s, lossy[i].want);
        json_value *v = NULL;
        dlc_error err = {0};
        assert_int_equal(json_parse(&v, b.s, b.len, &err), DLC_OK);
        assert_int_equal(dlc_utf8_bad(v->string), -1);
        json_free(v);
        dlc_buf_free(&b);
    }
}

/* ---- safetensors ---- */

#define N_VEC 7
#define N_W5 12

typedef struct {
    float scalar[1];
    float vec[N_VEC];
    float w5[N_W5];
    io_tensor t[5];
    io_meta meta[5];
} st_fixture;

static void fixture_init(st_fixture *f)
{
    memset(f, 0, sizeof *f);
    f->scalar[0] = 3.5f;
    const float vec[N_VEC] = {0.1f, -0.0f, 1e-40f, INFINITY, NAN, -3.25f, 16777216.0f};
    memcpy(f->vec, vec, sizeof vec);
    for (int i = 0; i < N_W5; i++)
        f->w5[i] = (float)i / 7.0f - 0.5f;
    f->t[0] = (io_tensor){"scalar", tensor_shape_make(0, NULL), f->scalar};
    f->t[1] = (io_tensor){"vec", tensor_shape_make(1, (int[]){N_VEC}), f->vec};
    f->t[2] = (io_tensor){"w5", tensor_shape_make(5, (int[]){2, 1, 3, 1, 2}), f->w5};
    f->t[3] = (io_tensor){"empty", tensor_shape_make(2, (int[]){0, 3}), NULL};
    f->t[4] = (io_tensor){"odd \"name\"\n\xc3\xa9", tensor_shape_make(1, (int[]){2}), f->w5 + 3};
    f->meta[0] = (io_meta){"quote", "say \"hi\""};
    f->meta[1] = (io_meta){"newline", "a\nb\r\n"};
    f->meta[2] = (io_meta){"unicode", "h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80"};
    f->meta[3] = (io_meta){"back\\slash", "c:\\path\\"};
    f->meta[4] = (io_meta){"ctrl", "\x01\t\x1f"};
}

static void check_fixture(const st_fixture *f, const io_st *st)
{
    assert_int_equal(io_st_count(st), 5);
    for (int i = 0; i < 5; i++) {
        const io_tensor *x = io_st_at(st, i);
        assert_non_null(x);
        assert_string_equal(x->name, f->t[i].name);
        assert_true(tensor_shape_equal(&x->shape, &f->t[i].shape));
        assert_ptr_equal(io_st_get(st, f->t[i].name), x);
        assert_non_null(x->data);
        assert_int_equal((uintptr_t)x->data % _Alignof(float), 0);
        size_t n = tensor_shape_size(&x->shape);
        if (n)
            assert_memory_equal(x->data, f->t[i].data, n * sizeof(float)); /* bitwise: NaN, -0 */
    }
    assert_null(io_st_at(st, -1));
    assert_null(io_st_at(st, 5));
    assert_null(io_st_get(st, "nope"));
    assert_int_equal(io_st_meta_count(st), 5);
    for (int i = 0; i < 5; i++) {
        assert_string_equal(io_st_meta(st, f->meta[i].key), f->meta[i].value);
        const io_meta *m = io_st_meta_at(st, i);
        assert_string_equal(m->key, f->meta[i].key);
        assert_string_equal(m->value, f->meta[i].value);
    }
    assert_null(io_st_meta_at(st, 5));
    assert_null(io_st_meta(st, "nope"));
}

static void test_st_roundtrip(void **state)
{
    st_fixture f;
    fixture_init(&f);
    const char *path = tu_tmp("round.safetensors");
    dlc_error err = {0};
    if (io_safetensors_write(path, f.t, 5, f.meta, 5, &err) != DLC_OK) {
        print_error("%s\n", err.msg);
        fail();
    }

    /* layout: padded header, data contiguous in the given order */
    size_t len;
    unsigned char *raw = (unsigned char *)slurp(path, &len);
    assert_non_null(raw);
    uint64_t hlen = 0;
    for (int k = 0; k < 8; k++)
        hlen |= (uint64_t)raw[k] << (8 * k);
    assert_int_equal((8 + hlen) % 8, 0);
    size_t data_bytes = sizeof(float) * (1 + N_VEC + N_W5 + 0 + 2);
    assert_int_equal(len, 8 + hlen + data_bytes);
    assert_memory_equal(raw + 8 + hlen, f.scalar, 4);
    assert_memory_equal(raw + 8 + hlen + 4, f.vec, sizeof f.vec);
    /* the header is JSON on its own, padding included */
    json_value *h = NULL;
    assert_int_equal(json_parse(&h, (char *)raw + 8, hlen, &err), DLC_OK);
    assert_int_equal(h->type, JSON_OBJECT);
    assert_string_equal(h->keys[h->n - 1], "__metadata__");
    const json_value *o = json_get(json_get(h, "vec"), "data_offsets");
    assert_true(o->items[0]->number == 4 && o->items[1]->number == 4 + 4 * N_VEC);
    json_free(h);

    io_st *st = NULL;
    if (io_safetensors_read(&st, path, &err) != DLC_OK) {
        print_error("%s\n", err.msg);
        fail();
    }
    check_fixture(&f, st);
    io_st_free(st);

    /* the same bytes from memory */
    assert_int_equal(io_safetensors_parse(&st, "mem", raw, len, &err), DLC_OK);
    check_fixture(&f, st);
    io_st_free(st);
    free(raw);
    io_st_free(NULL);

    /* no tensors, no metadata */
    assert_int_equal(io_safetensors_write(path, NULL, 0, NULL, 0, &err), DLC_OK);
    assert_int_equal(io_safetensors_read(&st, path, &err), DLC_OK);
    assert_int_equal(io_st_count(st), 0);
    assert_int_equal(io_st_meta_count(st), 0);
    io_st_free(st);
    raw = (unsigned char *)slurp(path, &len);
    assert_int_equal(len, 16);
    assert_memory_equal(raw + 8, "{}      ", 8);
    free(raw);
    assert_int_equal(count_tmp(tu_tmpdir()), 0);
}

/* A write on its own thread: the names and metadata are the caller's only
 * until start returns (here they are overwritten right after), the file is
 * the same as a direct write's, and a failure comes back from the wait. */
static void test_st_async(void **state)
{
    st_fixture f;
    fixture_init(&f);
    char names[5][32], keys[5][32], values[5][64];
    io_tensor t[5];
    io_meta meta[5];
    for (int i = 0; i < 5; i++) {
        snprintf(names[i], sizeof names[i], "%s", f.t[i].name);
        snprintf(keys[i], sizeof keys[i], "%s", f.meta[i].key);
        snprintf(values[i], sizeof values[i], "%s", f.meta[i].value);
        t[i] = f.t[i];
        t[i].name = names[i];
        meta[i] = (io_meta){keys[i], values[i]};
    }
    const char *path = tu_tmp("async.safetensors");
    dlc_error err = {0};
    io_async_write *w = NULL;
    assert_int_equal(io_async_start(&w, path, t, 5, meta, 5, &err), DLC_OK);
    assert_non_null(w);
    memset(names, 'x', sizeof names);
    memset(keys, 'y', sizeof keys);
    memset(values, 'z', sizeof values);
    if (io_async_wait(w, &err) != DLC_OK) {
        print_error("%s\n", err.msg);
        fail();
    }
    io_st *st = NULL;
    assert_int_equal(io_safetensors_read(&st, path, &err), DLC_OK);
    check_fixture(&f, st);
    io_st_free(st);
    assert_int_equal(count_tmp(tu_tmpdir()), 0);
    assert_int_equal(io_async_wait(NULL, &err), DLC_OK);

    /* a folder that is not there: the wait says so */
    const char *bad = tu_tmp("no-such-dir/async.safetensors");
    assert_int_equal(io_async_start(&w, bad, f.t, 2, NULL, 0, &err), DLC_OK);
    memset(&err, 0, sizeof err);
    assert_int_equal(io_async_wait(w, &err), DLC_EIO);
    assert_true(contains(err.msg, bad));
}

static void test_st_write_rejects(void **state)
{
    st_fixture f;
    fixture_init(&f);
    const char *path = tu_tmp("rej.safetensors");
    dlc_error err = {0};
    io_tensor t[2] = {f.t[1], f.t[1]};
    assert_int_equal(io_safetensors_write(path, t, 2, NULL, 0, &err), DLC_EINPUT);
    assert_true(contains(err.msg, "tensor name 'vec' used twice"));
    t[1].name = "__metadata__";
    assert_int_equal(io_safetensors_write(path, t, 2, NULL, 0, &err), DLC_EINPUT);
    assert_true(contains(err.msg, "invalid name"));
    t[1].name = "bad\xff";
    assert_int_equal(io_safetensors_write(path, t, 2, NULL, 0, &err), DLC_EINPUT);
    t[1].name = "neg";
    t[1].shape.d[0] = -1;
    assert_int_equal(io_safetensors_write(path, t, 2, NULL, 0, &err), DLC_EINPUT);
    assert_true(contains(err.msg, "negative dimension"));
    t[1].shape.d[0] = 2;
    t[1].data = NULL;
    assert_int_equal(io_safetensors_write(path, t, 2, NULL, 0, &err), DLC_EINPUT);
    assert_true(contains(err.msg, "no data"));
    io_meta m[2] = {{"k", "v"}, {"k", "w"}};
    assert_int_equal(io_safetensors_write(path, f.t, 1, m, 2, &err), DLC_EINPUT);
    assert_true(contains(err.msg, "metadata key 'k' used twice"));
    assert_int_equal(access(path, F_OK), -1); /* nothing was written */
}

static void test_st_alignment(void **state)
{
    /* a file whose data section starts at byte 8 + 29 = 37: misaligned */
    const char *hdr = "{\"x\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12]}, "
                      "\"y\":{\"shape\":[1],\"dtype\":\"F32\",\"data_offsets\":[13,17]}}";
    size_t hlen = strlen(hdr);
    if ((8 + hlen) % 4 == 0)
        fail_msg("test header should misalign the data");
    const float x[3] = {1.0f, -2.0f, 0.375f}, y = 42.0f;
    size_t len = 8 + hlen + 17;
    unsigned char *buf = calloc(1, len + 1);
    assert_non_null(buf);
    for (int k = 0; k < 8; k++)
        buf[k] = (unsigned char)((uint64_t)hlen >> (8 * k));
    memcpy(buf + 8, hdr, hlen);
    memcpy(buf + 8 + hlen, x, sizeof x);
    buf[8 + hlen + 12] = 0xEE; /* a gap byte: allowed */
    memcpy(buf + 8 + hlen + 13, &y, 4);
    const char *path = tu_tmp("unaligned.safetensors");
    tu_write(path, buf, len);

    dlc_error err = {0};
    io_st *st = NULL;
    for (int pass = 0; pass < 3; pass++) {
        dlc_status s;
        if (pass == 0) {
            s = io_safetensors_read(&st, path, &err);
        } else {
            /* from memory, at every start offset mod 4 */
            unsigned char *m = malloc(len + 3);
            assert_non_null(m);
            memcpy(m + pass, buf, len);
            s = io_safetensors_parse(&st, "mem", m + pass, len, &err);
            memset(m, 0xAB, len + 3); /* st must not point into the caller's bytes */
            free(m);
        }
        if (s != DLC_OK) {
            print_error("%s\n", err.msg);
            fail();
        }
        const io_tensor *tx = io_st_get(st, "x"), *ty = io_st_get(st, "y");
        assert_int_equal((uintptr_t)tx->data % 64, 0);
        assert_int_equal((uintptr_t)ty->data % 4, 0);
        assert_memory_equal(tx->data, x, sizeof x);
        assert_true(ty->data[0] == 42.0f);
        io_st_free(st);
    }
    free(buf);

    /* dlc's own files keep the data 8-aligned in the file and in memory */
    st_fixture f;
    fixture_init(&f);
    path = tu_tmp("aligned.safetensors");
    assert_int_equal(io_safetensors_write(path, f.t, 3, NULL, 0, &err), DLC_OK);
    assert_int_equal(io_safetensors_read(&st, path, &err), DLC_OK);
    for (int i = 0; i < io_st_count(st); i++)
        assert_int_equal((uintptr_t)io_st_at(st, i)->data % 4, 0);
    io_st_free(st);
}

/* A file image: the length field (hlen_field, or 0 for the header's own
 * length), the header, then data_len bytes of data. */
static unsigned char *mk(const char *hdr, uint64_t hlen_field, size_t data_len, size_t *len)
{
    size_t hlen = strlen(hdr);
    *len = 8 + hlen + data_len;
    unsigned char *b = malloc(*len + 1);
    assert_non_null(b);
    uint64_t field = hlen_field ? hlen_field : hlen;
    for (int k = 0; k < 8; k++)
        b[k] = (unsigned char)(field >> (8 * k));
    memcpy(b + 8, hdr, hlen);
    for (size_t i = 0; i < data_len; i++)
        b[8 + hlen + i] = (unsigned char)i;
    return b;
}

#define T1(shape, offs) "{\"a\":{\"dtype\":\"F32\",\"shape\":" shape ",\"data_offsets\":" offs "}}"

static void test_st_rejects(void **state)
{
    static const struct {
        const char *hdr;
        uint64_t hlen_field; /* 0: the header's length */
        size_t data_len;
        const char *want;
    } cases[] = {
        {"", 0, 0, "t.st: header: JSON: unexpected end of input, expected a value at byte 0"},
        {"{}", 1000, 4, "t.st: header length 1000 is larger than the rest of the file (6 bytes"},
        {"{}", 100000001, 4, "header length 100000001 is over the 100 MB limit"},
        {"{}", UINT64_MAX, 4, "header length 18446744073709551615 is over the 100 MB limit"},
        /* "name: x\n", a YAML config's first bytes: said to be text (a config given where a
         * model goes), not an absurd header length */
        {"{}", 0x0A78203A656D616EULL, 4, "t.st: not a model file: it is text (a config? train it"},
        {"{\"a\":", 0, 4, "t.st: header: JSON: unexpected end of input"},
        {"[]", 0, 0, "t.st: header must be a JSON object"},
        {"{\"a\":1}", 0, 4, "t.st: tensor 'a': entry must be an object"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", 0, 4, "tensor 'a': missing \"data_offsets\""},
        {"{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 0, 4, "tensor 'a': missing \"dtype\""},
        {"{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 0, 4, "tensor 'a': missing \"shape\""},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"x\":1}}", 0, 4,
         "tensor 'a': unknown key 'x'"},
        {"{\"w\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]}}", 0, 4,
         "t.st: tensor 'w': dtype F16 is not supported (dlc reads F32 only)"},
        {"{\"w\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[0,4]}}", 0, 4,
         "tensor 'w': dtype BF16 is not supported"},
        {"{\"w\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 0, 8,
         "tensor 'w': dtype F64 is not supported"},
        {"{\"w\":{\"dtype\":\"f32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 0, 4,
         "tensor 'w': dtype f32 is not supported"},
        {"{\"w\":{\"dtype\":32,\"shape\":[1],\"data_offsets\":[0,4]}}", 0, 4,
         "tensor 'w': dtype must be a string"},
        {T1("\"1\"", "[0,4]"), 0, 4, "tensor 'a': shape must be an array"},
        {T1("[-1]", "[0,4]"), 0, 4, "tensor 'a': shape[0] must be an integer in [0, 2147483647]"},
        {T1("[1, 1.5]", "[0,4]"), 0, 4, "tensor 'a': shape[1] must be an integer"},
        {T1("[\"2\"]", "[0,8]"), 0, 8, "tensor 'a': shape[0] must be an integer"},
        {T1("[2147483648]", "[0,4]"), 0, 4, "tensor 'a': shape[0] must be an integer"},
        {T1("[1,1,1,1,1,1]", "[0,4]"), 0, 4, "tensor 'a': 6 dimensions (dlc supports up to 5)"},
        {T1("[2147483647,2147483647,2147483647,2147483647,2147483647]", "[0,4]"), 0, 4,
         "tensor 'a': shape too large"},
        {T1("[2147483647,2147483647,2]", "[0,4]"), 0, 4, "tensor 'a': shape too large"},
        {T1("[1]", "[0]"), 0, 4, "tensor 'a': data_offsets must be two non-negative integers"},
        {T1("[1]", "[0,4,8]"), 0, 8, "data_offsets must be two non-negative integers"},
        {T1("[1]", "[-4,0]"), 0, 4, "data_offsets must be two non-negative integers"},
        {T1("[1]", "[0,4.5]"), 0, 8, "data_offsets must be two non-negative integers"},
        {T1("[1]", "[0,1e300]"), 0, 8, "data_offsets must be two non-negative integers"},
        {T1("[1]", "{}"), 0, 8, "data_offsets must be two non-negative integers"},
        {T1("[1]", "[8,4]"), 0, 8, "tensor 'a': data_offsets [8, 4] are reversed"},
        {T1("[1]", "[16,20]"), 0, 16,
         "tensor 'a': data_offsets [16, 20] run past the data section (16 bytes; file truncated?)"},
        {T1("[5]", "[0,20]"), 0, 16, "data_offsets [0, 20] run past the data section"},
        {T1("[1]", "[0,8]"), 0, 8, "tensor 'a': shape (1) needs 4 bytes but data_offsets hold 8"},
        {T1("[2,3]", "[0,20]"), 0, 24, "tensor 'a': shape (2, 3) needs 24 bytes but data_offsets hold 20"},
        {T1("[]", "[0,0]"), 0, 4, "tensor 'a': shape () needs 4 bytes but data_offsets hold 0"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
         "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
         0, 12, "t.st: tensors 'a' and 'b' overlap (data_offsets [0, 8] and [4, 12])"},
        {"{\"b\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
         "\"e\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,4]},"
         "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}",
         0, 16, "tensors 'b' and 'a' overlap"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
         "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
         0, 4, "tensors 'a' and 'b' overlap"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
         "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
         0, 8, "header: JSON: duplicate key in object at byte 54"},
        {"{\"__metadata__\":{\"k\":1}}", 0, 0, "t.st: metadata 'k': value must be a string"},
        {"{\"__metadata__\":{\"k\":\"v\",\"n\":null}}", 0, 0, "metadata 'n': value must be a string"},
        {"{\"__metadata__\":[\"k\"]}", 0, 0, "\"__metadata__\" must be an object of strings"},
        {"{\"__metadata__\":{}, \"\\u0007bell\":{\"dtype\":\"I8\",\"shape\":[1],\"data_offsets\":[0,1]}}",
         0, 1, "tensor '?bell': dtype I8 is not supported"},
    };
    for (size_t i = 0; i < DLC_ARRAY_LEN(cases); i++) {
        size_t len;
        unsigned char *b = mk(cases[i].hdr, cases[i].hlen_field, cases[i].data_len, &len);
        io_st *st = (io_st *)1;
        dlc_error err = {0};
        dlc_status s = io_safetensors_parse(&st, "t.st", b, len, &err);
        if (s != DLC_EINPUT) {
            print_error("case %zu (%s): status %d, %s\n", i, cases[i].hdr, s, err.msg);
            fail();
        }
        assert_null(st);
        if (!contains(err.msg, cases[i].want)) {
            print_error("case %zu: %s\n", i, cases[i].hdr);
            fail();
        }
        free(b);
    }

    /* a NUL inside the header (C strings would stop there; JSON must not) */
    {
        static const unsigned char nul[] = {4, 0, 0, 0, 0, 0, 0, 0, '{', '}', ' ', 0};
        io_st *st = NULL;
        dlc_error err = {0};
        assert_int_equal(io_safetensors_parse(&st, "t.st", nul, sizeof nul, &err), DLC_EINPUT);
        assert_true(contains(err.msg, "t.st: header: JSON: unexpected data after the value at byte 3"));
    }

    /* shorter than the length field */
    for (size_t n = 0; n < 8; n++) {
        io_st *st = NULL;
        dlc_error err = {0};
        assert_int_equal(io_safetensors_parse(&st, "t.st", (const unsigned char *)"\2\0\0\0\0\0\0",
                                              n, &err),
                         DLC_EINPUT);
        assert_true(contains(err.msg, "t.st: not a safetensors file"));
    }
}

static void test_st_accepts(void **state)
{
    /* things a strict reader must still accept */
    static const char *const ok[] = {
        "{}",
        " \t\n{ }   ",
        T1("[0]", "[0,0]"),
        T1("[2147483647,2147483647,2147483647,2147483647,0]", "[0,0]"), /* product 0 */
        T1("[2147483647,0]", "[16,16]"),                                /* empty at the end */
        T1("[]", "[12,16]"),                                            /* 0-d */
        T1("[1]", "[4,8]"),                                             /* gaps */
        T1("[1.0, 2e0]", "[0,8]"),                                      /* integral numbers */
        "{\"__metadata__\":{}}",
        "{\"a\":{\"data_offsets\":[0,16],\"shape\":[2,2],\"dtype\":\"F32\"},"
        "\"b\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,8]},"
        "\"__metadata__\":{\"x\":\"\"}}",
    };
    for (size_t i = 0; i < DLC_ARRAY_LEN(ok); i++) {
        size_t len;
        unsigned char *b = mk(ok[i], 0, 16, &len);
        io_st *st = NULL;
        dlc_error err = {0};
        if (io_safetensors_parse(&st, "ok", b, len, &err) != DLC_OK) {
            print_error("case %zu (%s): %s\n", i, ok[i], err.msg);
            fail();
        }
        for (int k = 0; k < io_st_count(st); k++)
            assert_non_null(io_st_at(st, k)->data);
        io_st_free(st);
        free(b);
    }
}

static void test_st_read_files(void **state)
{
    dlc_error err = {0};
    io_st *st = (io_st *)1;
    const char *missing = tu_tmp("does-not-exist.safetensors");
    assert_int_equal(io_safetensors_read(&st, missing, &err), DLC_EINPUT);
    assert_null(st);
    assert_true(contains(err.msg, missing));

    /* a file cut short in its data section */
    st_fixture f;
    fixture_init(&f);
    const char *path = tu_tmp("trunc.safetensors");
    assert_int_equal(io_safetensors_write(path, f.t, 3, NULL, 0, &err), DLC_OK);
    size_t len;
    char *raw = slurp(path, &len);
    assert_non_null(raw);
    tu_write(path, raw, len - 1);
    assert_int_equal(io_safetensors_read(&st, path, &err), DLC_EINPUT);
    assert_true(contains(err.msg, path));
    assert_true(contains(err.msg, "tensor 'w5'"));
    assert_true(contains(err.msg, "file truncated?"));
    /* ... and in its header */
    tu_write(path, raw, 20);
    assert_int_equal(io_safetensors_read(&st, path, &err), DLC_EINPUT);
    assert_true(contains(err.msg, "is larger than the rest of the file"));
    tu_write(path, raw, 5);
    assert_int_equal(io_safetensors_read(&st, path, &err), DLC_EINPUT);
    assert_true(contains(err.msg, "5 bytes, shorter than the 8-byte header length"));
    free(raw);
}

/* ---- atomic files ---- */

static void test_atomic_replace(void **state)
{
    const char *dir = fresh_dir("atomic-replace");
    const char *path = join(dir, "out.txt");
    dlc_error err = {0};
    tu_write(path, "old contents", (size_t)-1);
    assert_int_equal(io_write_file(path, "new", 3, &err), DLC_OK);
    assert_file_is(path, "new");
    assert_int_equal(count_tmp(dir), 0);

    /* an empty file */
    assert_int_equal(io_write_file(path, NULL, 0, &err), DLC_OK);
    assert_file_is(path, "");

    /* step by step */
    io_atomic a;
    assert_int_equal(io_atomic_begin(&a, path, &err), DLC_OK);
    assert_int_equal(count_tmp(dir), 1);
    assert_file_is(path, ""); /* untouched until commit */
    fputs("step by step", a.f);
    assert_int_equal(io_atomic_commit(&a, &err), DLC_OK);
    io_atomic_abort(&a); /* harmless after a commit */
    assert_file_is(path, "step by step");
    assert_int_equal(count_tmp(dir), 0);

    /* a relative path: the directory to sync is "." */
    char cwd[4096];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(dir), 0);
    assert_int_equal(io_write_file("rel.txt", "r", 1, &err), DLC_OK);
    assert_int_equal(chdir(cwd), 0);
    assert_file_is(join(dir, "rel.txt"), "r");
}

static void test_atomic_abort(void **state)
{
    const char *dir = fresh_dir("atomic-abort");
    const char *path = join(dir, "out.txt");
    dlc_error err = {0};
    tu_write(path, "old", (size_t)-1);
    io_atomic a;
    assert_int_equal(io_atomic_begin(&a, path, &err), DLC_OK);
    fputs("partial", a.f);
    io_atomic_abort(&a);
    io_atomic_abort(&a);
    assert_file_is(path, "old");
    assert_int_equal(count_tmp(dir), 0);

    /* commit fails when the temporary vanished: old file kept */
    assert_int_equal(io_atomic_begin(&a, path, &err), DLC_OK);
    fputs("new", a.f);
    assert_int_equal(unlink(a.tmp), 0);
    assert_int_equal(io_atomic_commit(&a, &err), DLC_EIO);
    assert_true(contains(err.msg, path));
    assert_true(contains(err.msg, "rename failed: No such file or directory"));
    assert_file_is(path, "old");
    assert_int_equal(count_tmp(dir), 0);
    /* commit without a begin */
    assert_int_equal(io_atomic_commit(&a, &err), DLC_EIO);
}

static void test_atomic_bad_dir(void **state)
{
    dlc_error err = {0};
    const char *path = tu_tmp("no-such-dir/out.txt");
    assert_int_equal(io_write_file(path, "x", 1, &err), DLC_EIO);
    assert_true(contains(err.msg, path));
    assert_true(contains(err.msg, "No such file or directory"));

    /* the parent is a file */
    tu_write(tu_tmp("plain-file"), "x", 1);
    path = tu_tmp("plain-file/out.txt");
    assert_int_equal(io_write_file(path, "x", 1, &err), DLC_EIO);
    assert_true(contains(err.msg, path));
    assert_true(contains(err.msg, "Not a directory"));

    assert_int_equal(io_write_file("", "x", 1, &err), DLC_EINPUT);
    char *longp = malloc(5000);
    assert_non_null(longp);
    memset(longp, 'a', 4999);
    longp[4999] = '\0';
    assert_int_equal(io_write_file(longp, "x", 1, &err), DLC_EINPUT);
    assert_true(contains(err.msg, "path too long"));
    free(longp);

    /* safetensors goes through the same path */
    st_fixture f;
    fixture_init(&f);
    path = tu_tmp("no-such-dir/w.safetensors");
    assert_int_equal(io_safetensors_write(path, f.t, 2, NULL, 0, &err), DLC_EIO);
    assert_true(contains(err.msg, path));
}

static void test_atomic_readonly_dir(void **state)
{
    if (geteuid() == 0)
        skip(); /* root writes into read-only directories; the rlimit test covers this */
    const char *dir = fresh_dir("atomic-ro");
    const char *path = join(dir, "out.txt");
    dlc_error err = {0};
    tu_write(path, "old", (size_t)-1);
    assert_int_equal(chmod(dir, 0555), 0);
    dlc_status s = io_write_file(path, "new", 3, &err);
    assert_int_equal(chmod(dir, 0755), 0);
    assert_int_equal(s, DLC_EIO);
    assert_true(contains(err.msg, path));
    assert_true(contains(err.msg, "Permission denied"));
    assert_file_is(path, "old");
    assert_int_equal(count_tmp(dir), 0);
}

/* A write that fails half-way (file size limit, as a full disk would): the old
 * file stays and the temporary is removed.  Works as root too. */
static void test_atomic_write_fails(void **state)
{
    const char *dir = fresh_dir("atomic-efbig");
    const char *path = join(dir, "out.bin");
    dlc_error err = {0};
    tu_write(path, "old", (size_t)-1);
    size_t n = 1 << 20;
    char *big = calloc(1, n);
    assert_non_null(big);

    struct rlimit old_lim, lim;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old_lim), 0);
    void (*old_sig)(int) = signal(SIGXFSZ, SIG_IGN);
    lim = old_lim;
    lim.rlim_cur = 64 * 1024;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);

    dlc_status s1 = io_write_file(path, big, n, &err);
    dlc_error err2 = {0};
    io_tensor t = {"big", tensor_shape_make(1, (int[]){(int)(n / 4)}), (const float *)big};
    dlc_status s2 = io_safetensors_write(path, &t, 1, NULL, 0, &err2);
    /* a caller that ignores its own write errors: commit still refuses */
    io_atomic a;
    dlc_error err3 = {0};
    dlc_status s3 = io_atomic_begin(&a, path, &err3);
    if (s3 == DLC_OK) {
        if (fwrite(big, 1, n, a.f) == n)
            fputs("(not reached)", a.f);
        s3 = io_atomic_commit(&a, &err3);
    }

    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old_lim), 0);
    signal(SIGXFSZ, old_sig);
    free(big);

    assert_int_equal(s1, DLC_EIO);
    assert_true(contains(err.msg, path));
    assert_true(contains(err.msg, "File too large"));
    assert_int_equal(s2, DLC_EIO);
    assert_true(contains(err2.msg, path));
    assert_true(contains(err2.msg, "File too large"));
    assert_int_equal(s3, DLC_EIO);
    assert_true(contains(err3.msg, "write failed"));
    assert_file_is(path, "old");
    assert_int_equal(count_tmp(dir), 0);
}

/* ---- cross-check with numpy ---- */

static int have_numpy(void)
{
    if (access("/usr/bin/python3", X_OK) != 0)
        return 0;
    return system("/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1") == 0;
}

static void hex(dlc_buf *b, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        dlc_buf_printf(b, "%02x", *p);
}

/* io_safetensors_read_meta: one value from the header alone (a config
 * without model: takes a model file's embedded config through it). */
static void test_st_read_meta(void **state)
{
    (void)state;
    st_fixture f;
    fixture_init(&f);
    const char *path = tu_tmp("meta.safetensors");
    dlc_error err = {0};
    assert_int_equal(io_safetensors_write(path, f.t, 5, f.meta, 5, &err), DLC_OK);
    char *v = NULL;
    assert_int_equal(io_safetensors_read_meta(path, "unicode", &v, &err), DLC_OK);
    assert_string_equal(v, f.meta[2].value);
    free(v);
    assert_int_equal(io_safetensors_read_meta(path, "newline", &v, &err), DLC_OK);
    assert_string_equal(v, "a\nb\r\n");
    free(v);
    assert_int_equal(io_safetensors_read_meta(path, "nope", &v, &err), DLC_OK);
    assert_null(v);
    /* the tensors are not read: the header with its length alone is enough */
    size_t len;
    char *raw = slurp(path, &len);
    uint64_t hlen = 0;
    for (int k = 0; k < 8; k++)
        hlen |= (uint64_t)(unsigned char)raw[k] << (8 * k);
    const char *cut = tu_tmp("meta_head.safetensors");
    FILE *o = fopen(cut, "wb");
    assert_int_equal(fwrite(raw, 1, 8 + hlen, o), 8 + hlen);
    fclose(o);
    assert_int_equal(io_safetensors_read_meta(cut, "quote", &v, &err), DLC_OK);
    assert_string_equal(v, "say \"hi\"");
    free(v);
    /* one byte of the header missing: not a safetensors file, said */
    o = fopen(cut, "wb");
    assert_int_equal(fwrite(raw, 1, 7 + hlen, o), 7 + hlen);
    fclose(o);
    assert_int_equal(io_safetensors_read_meta(cut, "quote", &v, &err), DLC_EINPUT);
    assert_null(v);
    assert_non_null(strstr(err.msg, "not a safetensors file"));
    free(raw);
    /* text where a model goes, and no file */
    o = fopen(cut, "wb");
    fputs("name: iris\nseed: 3\n", o);
    fclose(o);
    assert_int_equal(io_safetensors_read_meta(cut, "config", &v, &err), DLC_EINPUT);
    assert_non_null(strstr(err.msg, "it is text"));
    assert_int_equal(io_safetensors_read_meta(tu_tmp("absent.safetensors"), "config", &v, &err), DLC_EIO);
}

static void test_numpy_reads_dlc(void **state)
{
    if (!have_numpy())
        skip();
    st_fixture f;
    fixture_init(&f);
    f.vec[3] = 1e30f; /* keep inf/nan out: their spelling is not portable */
    f.vec[4] = -7.0f;
    const char *path = tu_tmp("for-numpy.safetensors");
    dlc_error err = {0};
    assert_int_equal(io_safetensors_write(path, f.t, 4, f.meta, 5, &err), DLC_OK);

    dlc_buf want = {0};
    for (int i = 0; i < 4; i++) {
        const io_tensor *t = &f.t[i];
        dlc_buf_printf(&want, "tensor %s F32 ", t->name);
        if (t->shape.ndim == 0)
            dlc_buf_printf(&want, "scalar");
        for (int k = 0; k < t->shape.ndim; k++)
            dlc_buf_printf(&want, k ? "x%d" : "%d", t->shape.d[k]);
        dlc_buf_printf(&want, " :");
        size_t n = tensor_shape_size(&t->shape);
        for (size_t j = 0; j < n; j++)
            dlc_buf_printf(&want, " %.9g", (double)t->data[j]);
        dlc_buf_printf(&want, "\n");
    }
    for (int i = 0; i < 5; i++) {
        dlc_buf_printf(&want, "meta ");
        hex(&want, f.meta[i].key);
        dlc_buf_printf(&want, " ");
        hex(&want, f.meta[i].value);
        dlc_buf_printf(&want, "\n");
    }

    char cmd[2048];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s' read '%s'", tu_data("safetensors_check.py"),
             path);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    dlc_buf got = {0};
    char chunk[4096];
    size_t k;
    while ((k = fread(chunk, 1, sizeof chunk, p)) > 0)
        dlc_buf_append(&got, chunk, k);
    int rc = pclose(p);
    if (rc != 0 || !got.s || strcmp(got.s, want.s) != 0) {
        print_error("%s exited %d\n--- got\n%s--- want\n%s", cmd, rc, got.s ? got.s : "",
                    want.s);
        fail();
    }
    dlc_buf_free(&got);
    dlc_buf_free(&want);
}

static void test_dlc_reads_numpy(void **state)
{
    if (!have_numpy())
        skip();
    const char *path = tu_tmp("from-numpy.safetensors");
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s' write '%s'", tu_data("safetensors_check.py"),
             path);
    assert_int_equal(system(cmd), 0);

    io_st *st = NULL;
    dlc_error err = {0};
    if (io_safetensors_read(&st, path, &err) != DLC_OK) {
        print_error("%s\n", err.msg);
        fail();
    }
    assert_int_equal(io_st_count(st), 4);
    const char *order[] = {"weight", "bias", "scalar", "empty"};
    for (int i = 0; i < 4; i++) {
        assert_string_equal(io_st_at(st, i)->name, order[i]);
        assert_int_equal((uintptr_t)io_st_at(st, i)->data % 4, 0);
    }
    const io_tensor *w = io_st_get(st, "weight");
    assert_int_equal(w->shape.ndim, 2);
    assert_int_equal(w->shape.d[0], 3);
    assert_int_equal(w->shape.d[1], 4);
    for (int i = 0; i < 12; i++)
        assert_true(w->data[i] == (float)i / 3.0f);
    const io_tensor *b = io_st_get(st, "bias");
    assert_int_equal(b->shape.ndim, 1);
    assert_true(b->data[0] == -1.5f && b->data[1] == 0.0f && b->data[2] == 2.25f);
    const io_tensor *s = io_st_get(st, "scalar");
    assert_int_equal(s->shape.ndim, 0);
    assert_true(s->data[0] == 7.0f);
    const io_tensor *e = io_st_get(st, "empty");
    assert_int_equal(e->shape.ndim, 2);
    assert_int_equal(tensor_shape_size(&e->shape), 0);
    assert_string_equal(io_st_meta(st, "format"), "np");
    assert_string_equal(io_st_meta(st, "note"), "caf\xc3\xa9 \"quoted\"");
    io_st_free(st);
}

/* ---- terminal escaping and reading files whole (base/util.c) ---- */

static void esc_is(const char *in, int mode, const char *want)
{
    char out[128];
    dlc_escape(out, sizeof out, in, mode);
    if (strcmp(out, want) != 0) {
        print_error("escape(\"%s\") = \"%s\", expected \"%s\"\n", in, out, want);
        fail();
    }
}

static void test_escape(void **state)
{
    esc_is("setosa", DLC_ESC_ALL, "setosa");
    esc_is("caf\xc3\xa9 \xe4\xb8\xad", DLC_ESC_ALL, "caf\xc3\xa9 \xe4\xb8\xad"); /* UTF-8 passes */
    esc_is("\x1b]0;pwned\x07", DLC_ESC_ALL, "\\x1b]0;pwned\\x07");            /* retitle */
    esc_is("a\x1b[8mhidden", DLC_ESC_KEEP_LINES, "a\\x1b[8mhidden");
    esc_is("\n", DLC_ESC_ALL, "\\n");            /* a character LM's newline token */
    esc_is(" ", DLC_ESC_ALL, "\xe2\x90\xa0");    /* its space token: visible */
    esc_is("  ", DLC_ESC_ALL, "\xe2\x90\xa0\xe2\x90\xa0");
    esc_is("a b", DLC_ESC_ALL, "a b");
    esc_is("tab\there\\", DLC_ESC_ALL, "tab\\there\\\\");
    esc_is("two\nlines\tok\r", DLC_ESC_KEEP_LINES, "two\nlines\tok\\r");
    esc_is("\xc2\x9b" "31m", DLC_ESC_ALL, "\\u009b31m");                        /* C1 CSI */
    esc_is("\xe2\x80\xae" "evil", DLC_ESC_ALL, "\\u202eevil");                  /* bidi override */
    esc_is("\xff\xc3", DLC_ESC_ALL, "\\xff\\xc3");                               /* not UTF-8 */
    esc_is("\xc0\x8a", DLC_ESC_ALL, "\\xc0\\x8a");                               /* overlong */
    esc_is("\x7f", DLC_ESC_ALL, "\\x7f");
    char small[8];
    assert_string_equal(dlc_escape(small, sizeof small, "abcdefghij", DLC_ESC_ALL), "abcd...");
}

/* names from data must be UTF-8 to reach the model file's JSON metadata */
static void test_utf8_bad(void **state)
{
    assert_int_equal(dlc_utf8_bad(""), -1);
    assert_int_equal(dlc_utf8_bad("setosa"), -1);
    assert_int_equal(dlc_utf8_bad("caf\xc3\xa9 \xe4\xb8\xad \xf0\x9f\x91\x9f"), -1);
    assert_int_equal(dlc_utf8_bad("caf\xe9"), 3);             /* Latin-1 */
    assert_int_equal(dlc_utf8_bad("ab\xc3"), 2);              /* cut short */
    assert_int_equal(dlc_utf8_bad("\xc0\x8a"), 0);           /* overlong */
    assert_int_equal(dlc_utf8_bad("x\xed\xa0\x80"), 1);     /* a surrogate */
    assert_int_equal(dlc_utf8_bad("\xf4\x90\x80\x80"), 0); /* past U+10FFFF */
    assert_int_equal(dlc_utf8_bad("\xff"), 0);
}

/* table cells: cut at a character, never inside one, and padded by columns */
static void test_cell(void **state)
{
    char out[96];
    assert_string_equal(dlc_cell(out, sizeof out, "setosa", 8, 0), "setosa  ");
    assert_string_equal(dlc_cell(out, sizeof out, "setosa", 8, 1), "  setosa");
    assert_string_equal(dlc_cell(out, sizeof out, "versicolor", 4, 0), "vers");
    assert_string_equal(dlc_cell(out, sizeof out, "trous\xc3\xa9r", 8, 0), "trous\xc3\xa9r ");
    /* wide characters take two columns; one that would straddle the edge is left out */
    assert_string_equal(dlc_cell(out, sizeof out, "\xe4\xb8\xad\xe6\x96\x87\xe5\x90\x8d", 5, 0),
                        "\xe4\xb8\xad\xe6\x96\x87 ");
    assert_string_equal(dlc_cell(out, sizeof out, "shoe \xf0\x9f\x91\x9f", 8, 0),
                        "shoe \xf0\x9f\x91\x9f ");
    assert_string_equal(dlc_cell(out, sizeof out, "e\xcc\x81", 2, 0), "e\xcc\x81 "); /* combining */
    assert_string_equal(dlc_cell(out, sizeof out, "a\x1b[2Jb", 5, 0), "a\\x1b"); /* escaped first */
    assert_string_equal(dlc_cell(out, sizeof out, "", 3, 0), "   ");
    char small[4];
    assert_string_equal(dlc_cell(small, sizeof small, "abcdef", 8, 0), "");
}

static void test_read_file_kinds(void **state)
{
    char *text = NULL;
    size_t len = 0;
    dlc_error err = {0};
    assert_int_equal(dlc_read_file(tu_tmpdir(), &text, &len, &err), DLC_EINPUT);
    assert_non_null(strstr(err.msg, "is a folder, not a regular file"));
    assert_int_equal(dlc_read_file("/dev/zero", &text, &len, &err), DLC_EINPUT);
    assert_non_null(strstr(err.msg, "/dev/zero: is a character device"));
    const char *fifo = tu_tmp("fifo.yaml");
    assert_int_equal(mkfifo(fifo, 0600), 0);
    assert_int_equal(dlc_read_file(fifo, &text, &len, &err), DLC_EINPUT);
    assert_non_null(strstr(err.msg, "FIFO"));
    const char *big = tu_tmp("big.yaml");
    FILE *f = fopen(big, "wb");
    assert_non_null(f);
    assert_int_equal(fseek(f, (long)DLC_TEXT_MAX, SEEK_SET), 0); /* a sparse 64 MiB + 1 */
    fputc('x', f);
    fclose(f);
    assert_int_equal(dlc_read_file(big, &text, &len, &err), DLC_EINPUT);
    assert_non_null(strstr(err.msg, "too large"));
    assert_int_equal(dlc_read_file_max(big, DLC_TEXT_MAX + 1, &text, &len, &err), DLC_OK);
    assert_int_equal(len, DLC_TEXT_MAX + 1);
    free(text);
    unlink(big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_nested),
        cmocka_unit_test(test_json_numbers),
        cmocka_unit_test(test_json_escapes),
        cmocka_unit_test(test_json_bad),
        cmocka_unit_test(test_json_depth),
        cmocka_unit_test(test_json_write_string),
        cmocka_unit_test(test_st_roundtrip),
        cmocka_unit_test(test_st_read_meta),
        cmocka_unit_test(test_st_async),
        cmocka_unit_test(test_st_write_rejects),
        cmocka_unit_test(test_st_alignment),
        cmocka_unit_test(test_st_rejects),
        cmocka_unit_test(test_st_accepts),
        cmocka_unit_test(test_st_read_files),
        cmocka_unit_test(test_atomic_replace),
        cmocka_unit_test(test_atomic_abort),
        cmocka_unit_test(test_atomic_bad_dir),
        cmocka_unit_test(test_atomic_readonly_dir),
        cmocka_unit_test(test_atomic_write_fails),
        cmocka_unit_test(test_numpy_reads_dlc),
        cmocka_unit_test(test_dlc_reads_numpy),
        cmocka_unit_test(test_escape),
        cmocka_unit_test(test_utf8_bad),
        cmocka_unit_test(test_cell),
        cmocka_unit_test(test_read_file_kinds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
