/* test_onnx.c - the ONNX writer: protobuf wire encoding against hand-worked
 * bytes, every layer kind has an exporter (the test walks the registry), the
 * file's nested lengths (computed before the weights are streamed) agree with
 * its bytes, and errors leave no file; the reader gives back what the
 * writer wrote and refuses malformed bytes.  What the exported graph computes is
 * checked in ONNX Runtime by tests/cli/onnx.bats. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/base/util.h"
#include "../../src/onnx/onnx.h"
#include "../../src/onnx/pb.h"
#include "testutil.h"

static void assert_bytes(const onnx_pb *b, const unsigned char *want, size_t n)
{
    assert_false(b->failed);
    assert_int_equal(b->len, n);
    assert_memory_equal(b->p, want, n);
}

static void test_pb_encoding(void **state)
{
    onnx_pb b = {0};
    onnx_pb_int(&b, 1, 300); /* the protobuf docs' example: 08 ac 02 */
    assert_bytes(&b, (const unsigned char[]){0x08, 0xac, 0x02}, 3);
    b.len = 0;
    onnx_pb_int(&b, 3, -1); /* negative int64: ten bytes */
    assert_bytes(&b, (const unsigned char[]){0x18, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, 11);
    b.len = 0;
    onnx_pb_float(&b, 2, 1.0f); /* fixed32, little-endian 0x3f800000 */
    assert_bytes(&b, (const unsigned char[]){0x15, 0x00, 0x00, 0x80, 0x3f}, 5);
    b.len = 0;
    onnx_pb_string(&b, 4, "Relu");
    assert_bytes(&b, (const unsigned char[]){0x22, 4, 'R', 'e', 'l', 'u'}, 6);
    onnx_pb sub = {0}, outer = {0};
    onnx_pb_int(&sub, 2, 17);
    onnx_pb_msg(&outer, 8, &sub); /* opset_import {version: 17} */
    assert_bytes(&outer, (const unsigned char[]){0x42, 2, 0x10, 17}, 4);
    outer.len = 0;
    onnx_pb_packed_ints(&outer, 1, (const int64_t[]){1, 300}, 2);
    assert_bytes(&outer, (const unsigned char[]){0x0a, 3, 1, 0xac, 0x02}, 5);
    assert_int_equal(onnx_pb_varint_size(127), 1);
    assert_int_equal(onnx_pb_varint_size(128), 2);
    assert_int_equal(onnx_pb_len_field(5, 300), 1 + 2 + 300);
    onnx_pb_free(&b);
    onnx_pb_free(&sub);
    onnx_pb_free(&outer);
}

/* Layer kinds that cannot be exported, each with its reason in export.c
 * (none today: -1 is no kind, as C has no empty array). */
static const int not_exportable[] = {-1};

static void test_every_kind_exports(void **state)
{
    for (int op = 0; op < OP_COUNT; op++) {
        int listed = 0;
        for (size_t k = 0; k < sizeof not_exportable / sizeof *not_exportable; k++)
            listed |= not_exportable[k] == op;
        const char *why = onnx_op_unsupported(op);
        if (listed != (why != NULL)) {
            print_error("layer kind '%s': %s\n", graph_ops[op].name,
                        why ? why : "has an exporter but is listed as not exportable");
            fail();
        }
    }
    assert_non_null(onnx_op_unsupported(OP_COUNT));
}

/* ---- reading the file back: a protobuf walker ---- */

static uint64_t get_varint(const unsigned char **p, const unsigned char *end)
{
    uint64_t v = 0;
    for (int shift = 0; *p < end && shift < 64; shift += 7) {
        unsigned char c = *(*p)++;
        v |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80))
            return v;
    }
    fail_msg("truncated varint");
    return 0;
}

/* Walks the fields of a message spanning [p, end): every length must land
 * inside, and the last field must end exactly at end.  Counts fields with
 * number `field` into *count and returns the last one's payload. */
static const unsigned char *walk(const unsigned char *p, const unsigned char *end, int field, int *count,
                                 size_t *len)
{
    const unsigned char *found = NULL;
    while (p < end) {
        uint64_t tag = get_varint(&p, end);
        int wire = (int)(tag & 7), num = (int)(tag >> 3);
        const unsigned char *at = p;
        size_t n = 0;
        if (wire == PB_VARINT)
            get_varint(&p, end);
        else if (wire == PB_FIXED32)
            p += 4;
        else if (wire == PB_LEN) {
            n = get_varint(&p, end);
            assert_true(n <= (size_t)(end - p));
            at = p;
            p += n;
        } else
            fail_msg("unexpected wire type %d", wire);
        if (num == field) {
            (*count)++;
            found = at;
            *len = n;
        }
    }
    assert_true(p == end);
    return found;
}

static model tiny_model(const char *yaml)
{
    dlc_config cfg;
    dlc_error err = {0};
    model m;
    tensor_shape in = {1, {4}};
    if (config_load_string(&cfg, "t.yaml", yaml, strlen(yaml), NULL, 0, &err) != DLC_OK ||
        model_build(&m, &cfg, &in, 3, 4, &err) != DLC_OK ||
        data_norm_init(&m.norm, NORM_NONE, 4, &err) != DLC_OK) {
        print_error("%s\n", err.msg);
        fail();
    }
    config_free(&cfg);
    dlc_rng rng;
    dlc_rng_seed(&rng, 1, 0);
    graph_init_params(m.g, &rng);
    return m;
}

static const char *mlp_yaml = "data: {format: csv, train: {file: x.csv}, label: y}\n"
                              "model:\n  layers:\n"
                              "    - {type: dense, units: 5, activation: relu}\n"
                              "    - {type: dense, units: 3, activation: softmax}\n";

static void test_file_lengths(void **state)
{
    model m = tiny_model(mlp_yaml);
    m.norm.scale[2] = 0.5f; /* not the identity: adds norm.shift, norm.scale */
    dlc_error err = {0};
    const char *path = tu_tmp("mlp.onnx");
    onnx_export_opts o = {.opset = 17, .producer_version = "test"};
    assert_int_equal(onnx_export(&m, path, &o, &err), DLC_OK);
    char *bytes;
    size_t len;
    assert_int_equal(dlc_read_file(path, &bytes, &len, &err), DLC_OK);
    const unsigned char *p = (const unsigned char *)bytes, *end = p + len;
    int count = 0, nodes = 0, inits = 0;
    size_t glen = 0, ilen = 0;
    const unsigned char *gp = walk(p, end, 7, &count, &glen);
    assert_int_equal(count, 1);
    walk(gp, gp + glen, 1, &nodes, &ilen);
    const unsigned char *last = walk(gp, gp + glen, 5, &inits, &ilen);
    /* Sub, Mul, Gemm, Relu, Gemm, Identity, Softmax; 2 norm + 4 weights */
    assert_int_equal(nodes, 7);
    assert_int_equal(inits, 6);
    /* the last initializer (dense_2.bias, 3 floats) holds its raw data */
    int raw = 0;
    size_t rlen = 0;
    const unsigned char *r = walk(last, last + ilen, 9, &raw, &rlen);
    assert_int_equal(raw, 1);
    assert_int_equal(rlen, 3 * sizeof(float));
    assert_memory_equal(r, m.g->params[m.g->n_params - 1].data, rlen);
    free(bytes);
    model_free(&m);
}

static void test_errors_write_nothing(void **state)
{
    model m = tiny_model(mlp_yaml);
    dlc_error err = {0};
    onnx_export_opts o = {.opset = 12};
    const char *path = tu_tmp("bad.onnx");
    assert_int_equal(onnx_export(&m, path, &o, &err), DLC_EINPUT);
    assert_non_null(strstr(err.msg, "opsets 13 to 21"));
    assert_int_equal(access(path, F_OK), -1);
    o.opset = 17;
    assert_int_equal(onnx_export(&m, tu_tmp("no/such/dir/m.onnx"), &o, &err), DLC_EIO);
    model_free(&m);
}

/* The reader gives back what the writer wrote: ops, names, weights, metadata. */
static void test_read_back(void **state)
{
    model m = tiny_model(mlp_yaml);
    dlc_error err = {0};
    const char *path = tu_tmp("back.onnx");
    onnx_export_opts o = {.opset = 17};
    assert_int_equal(onnx_export(&m, path, &o, &err), DLC_OK);
    onnx_model *om = NULL;
    if (onnx_read_file(&om, path, &err) != DLC_OK)
        fail_msg("%s", err.msg);
    assert_int_equal(om->opset, 17);
    assert_int_equal(om->n_nodes, 5); /* Gemm Relu Gemm Identity Softmax */
    assert_string_equal(om->nodes[0].op, "Gemm");
    assert_int_equal(onnx_attr_get(&om->nodes[0], "transB")->i, 1);
    assert_string_equal(om->nodes[4].op, "Softmax");
    assert_int_equal(onnx_attr_get(&om->nodes[4], "axis")->i, -1);
    assert_int_equal(om->n_inputs, 1);
    assert_int_equal(om->inputs[0].ndim, 2);
    assert_int_equal(om->inputs[0].dims[0], -1); /* N */
    assert_int_equal(om->inputs[0].dims[1], 4);
    for (int i = 0; i < m.g->n_params; i++) {
        const onnx_tensor *t = onnx_init_get(om, m.g->params[i].name);
        assert_non_null(t);
        assert_int_equal(t->n, m.g->params[i].n);
        assert_memory_equal(t->f, m.g->params[i].data, sizeof(float) * t->n);
    }
    assert_string_equal(onnx_meta_get(om, "loss"), "softmax_cross_entropy");
    onnx_model_free(om);
    model_free(&m);
}

/* TensorProto in its other forms (packed float_data, int64_data, int32
 * raw), and malformed bytes: errors, never a read past the end. */
static void test_read_tensor_forms(void **state)
{
    onnx_tensor t;
    dlc_error err = {0};
    /* dims 2, 2; data_type 1; float_data packed [1, 2, 3, 4] */
    onnx_pb b = {0};
    onnx_pb_int(&b, 1, 2);
    onnx_pb_int(&b, 1, 2);
    onnx_pb_int(&b, 2, 1);
    onnx_pb_packed_floats(&b, 4, (const float[]){1, 2, 3, 4}, 4);
    assert_int_equal(onnx_read_tensor(&t, "t", b.p, b.len, &err), DLC_OK);
    assert_int_equal(t.n, 4);
    assert_true(t.f[3] == 4.0f);
    onnx_tensor_clear(&t);
    /* int64_data packed, with a negative value; dims given after the data */
    b.len = 0;
    onnx_pb_int(&b, 2, 7);
    onnx_pb_packed_ints(&b, 7, (const int64_t[]){5, -3, 0}, 3);
    onnx_pb_int(&b, 1, 3);
    assert_int_equal(onnx_read_tensor(&t, "t", b.p, b.len, &err), DLC_OK);
    assert_int_equal(t.n, 3);
    assert_true(t.i[1] == -3);
    onnx_tensor_clear(&t);
    /* dims that do not match the data */
    b.len = 0;
    onnx_pb_int(&b, 1, 5);
    onnx_pb_int(&b, 2, 1);
    onnx_pb_packed_floats(&b, 4, (const float[]){1, 2}, 2);
    assert_int_equal(onnx_read_tensor(&t, "bad.pb", b.p, b.len, &err), DLC_EINPUT);
    assert_non_null(strstr(err.msg, "bad.pb"));
    /* a length past the end, cut at every byte */
    b.len = 0;
    onnx_pb_int(&b, 2, 1);
    onnx_pb_packed_floats(&b, 4, (const float[]){1, 2, 3}, 3);
    for (size_t cut = 1; cut < b.len; cut++)
        assert_int_equal(onnx_read_tensor(&t, "cut.pb", b.p, cut, &err), DLC_EINPUT);
    onnx_model *om = NULL;
    assert_int_equal(onnx_read(&om, "x.onnx", (const unsigned char *)"\x3a\x05" "ab", 4, &err), DLC_EINPUT);
    assert_null(om);
    onnx_pb_free(&b);
}

/* A model of one node whose attributes come in every form a writer may
 * use: repeated ints and floats packed (one length-delimited field, as most
 * writers but onnx's Python do) and unpacked (a field per value), a varint
 * of more than one byte and a negative one inside a packed list; then the
 * packed forms cut short, which must be errors. */
static void attr_model(onnx_pb *file, const onnx_pb *attrs)
{
    onnx_pb node = {0}, gr = {0};
    onnx_pb_string(&node, 1, "x");
    onnx_pb_string(&node, 2, "y");
    onnx_pb_string(&node, 4, "Relu");
    onnx_pb_raw(&node, attrs->p, attrs->len);
    onnx_pb_msg(&gr, 1, &node);
    file->len = 0;
    onnx_pb_msg(file, 7, &gr);
    onnx_pb_free(&node);
    onnx_pb_free(&gr);
}

static void test_read_attr_forms(void **state)
{
    onnx_pb attrs = {0}, a = {0}, file = {0};
    dlc_error err = {0};
    onnx_model *om = NULL;
    /* ints [1, 300, -2] packed, then ints [7, -1] unpacked */
    onnx_pb_string(&a, 1, "packed_ints");
    onnx_pb_int(&a, 20, 7);
    onnx_pb_packed_ints(&a, 8, (const int64_t[]){1, 300, -2}, 3);
    onnx_pb_msg(&attrs, 5, &a);
    a.len = 0;
    onnx_pb_string(&a, 1, "ints");
    onnx_pb_int(&a, 20, 7);
    onnx_pb_int(&a, 8, 7);
    onnx_pb_int(&a, 8, -1);
    onnx_pb_msg(&attrs, 5, &a);
    /* floats [0.5, -1.5, 1e-8] packed, then [2.25] unpacked; the name after the values */
    a.len = 0;
    onnx_pb_int(&a, 20, 6);
    onnx_pb_packed_floats(&a, 7, (const float[]){0.5f, -1.5f, 1e-8f}, 3);
    onnx_pb_string(&a, 1, "packed_floats");
    onnx_pb_msg(&attrs, 5, &a);
    a.len = 0;
    onnx_pb_string(&a, 1, "floats");
    onnx_pb_float(&a, 7, 2.25f);
    onnx_pb_msg(&attrs, 5, &a);
    attr_model(&file, &attrs);
    assert_false(file.failed);
    if (onnx_read(&om, "a.onnx", file.p, file.len, &err) != DLC_OK)
        fail_msg("%s", err.msg);
    assert_int_equal(om->n_nodes, 1);
    const onnx_attr *pi = onnx_attr_get(&om->nodes[0], "packed_ints"), *ui = onnx_attr_get(&om->nodes[0], "ints");
    const onnx_attr *pf = onnx_attr_get(&om->nodes[0], "packed_floats"), *uf = onnx_attr_get(&om->nodes[0], "floats");
    assert_non_null(pi);
    assert_int_equal(pi->n_ints, 3);
    assert_true(pi->ints[0] == 1 && pi->ints[1] == 300 && pi->ints[2] == -2);
    assert_int_equal(ui->n_ints, 2);
    assert_true(ui->ints[0] == 7 && ui->ints[1] == -1);
    assert_int_equal(pf->n_floats, 3);
    assert_true(pf->floats[0] == 0.5f && pf->floats[1] == -1.5f && pf->floats[2] == 1e-8f);
    assert_int_equal(uf->n_floats, 1);
    assert_true(uf->floats[0] == 2.25f);
    onnx_model_free(om);
    /* a packed float list of 5 bytes; a packed int list ending inside a varint */
    static const unsigned char cut_floats[] = {0, 0, 0x80, 0x3f, 0}, cut_ints[] = {1, 0xac};
    const struct {
        int field;
        const unsigned char *bytes;
        size_t n;
        const char *msg;
    } bad[] = {
        {7, cut_floats, sizeof cut_floats, "a.onnx: not a valid ONNX file: a packed float attribute is truncated"},
        {8, cut_ints, sizeof cut_ints, "a.onnx: not a valid ONNX file: a packed int attribute is truncated"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        a.len = attrs.len = 0;
        onnx_pb_string(&a, 1, "cut");
        onnx_pb_bytes(&a, bad[i].field, bad[i].bytes, bad[i].n);
        onnx_pb_msg(&attrs, 5, &a);
        attr_model(&file, &attrs);
        assert_int_equal(onnx_read(&om, "a.onnx", file.p, file.len, &err), DLC_EINPUT);
        assert_null(om);
        assert_string_equal(err.msg, bad[i].msg);
    }
    onnx_pb_free(&a);
    onnx_pb_free(&attrs);
    onnx_pb_free(&file);
}

/* Files other writers made (tests/data/onnx_import: PyTorch's export with
 * Constant nodes and symbolic dims, a file with packed attributes) cut at
 * every byte and with every byte replaced by 0xff (a varint that goes on, a
 * length or a field number out of range): each read ends in DLC_OK or in
 * DLC_EINPUT with a message naming the file, never past the bytes it was
 * given (make sanitize).  A cut model that reads must have lost something. */
static void test_read_damaged(void **state)
{
    static const char *const files[] = {"onnx_import/lstm_seq.onnx", "onnx_import/gap_packed.onnx"};
    for (size_t fi = 0; fi < sizeof files / sizeof files[0]; fi++) {
        char *whole = NULL;
        size_t len = 0;
        dlc_error err = {0};
        assert_int_equal(dlc_read_file(tu_data(files[fi]), &whole, &len, &err), DLC_OK);
        onnx_model *om = NULL;
        assert_int_equal(onnx_read(&om, "x.onnx", (unsigned char *)whole, len, &err), DLC_OK);
        int nodes = om->n_nodes, inits = om->n_inits;
        onnx_model_free(om);
        unsigned char *b = malloc(len);
        assert_non_null(b);
        int refused = 0;
        for (size_t cut = 0; cut < len; cut++) {
            memcpy(b, whole, cut); /* a copy of exactly `cut` bytes: ASan sees any read past it */
            unsigned char *exact = malloc(cut ? cut : 1);
            assert_non_null(exact);
            memcpy(exact, b, cut);
            dlc_status st = onnx_read(&om, "x.onnx", exact, cut, &err);
            if (st == DLC_OK) {
                assert_true(om->n_nodes < nodes || om->n_inits < inits || om->n_outputs == 0 || om->n_meta == 0 ||
                            om->opset == 0);
                onnx_model_free(om);
            } else {
                assert_int_equal(st, DLC_EINPUT);
                assert_null(om);
                assert_memory_equal(err.msg, "x.onnx: ", 8);
                refused++;
            }
            free(exact);
        }
        assert_true(refused > (int)len / 2);
        for (size_t at = 0; at < len; at++) {
            memcpy(b, whole, len);
            b[at] = 0xff;
            dlc_status st = onnx_read(&om, "x.onnx", b, len, &err);
            if (st == DLC_OK)
                onnx_model_free(om);
            else
                assert_memory_equal(err.msg, "x.onnx: ", 8);
        }
        free(b);
        free(whole);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pb_encoding),
        cmocka_unit_test(test_every_kind_exports),
        cmocka_unit_test(test_file_lengths),
        cmocka_unit_test(test_errors_write_nothing),
        cmocka_unit_test(test_read_back),
        cmocka_unit_test(test_read_tensor_forms),
        cmocka_unit_test(test_read_attr_forms),
        cmocka_unit_test(test_read_damaged),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
