/* pb.c - protobuf wire-format encoding (see pb.h). */
#include "pb.h"

#include <stdlib.h>
#include <string.h>

void onnx_pb_free(onnx_pb *b)
{
    if (!b)
        return;
    free(b->p);
    memset(b, 0, sizeof *b);
}

void onnx_pb_raw(onnx_pb *b, const void *data, size_t n)
{
    if (b->failed || n == 0)
        return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n)
            cap *= 2;
        unsigned char *p = realloc(b->p, cap);
        if (!p) {
            b->failed = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, data, n);
    b->len += n;
}

size_t onnx_pb_varint_size(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

void onnx_pb_varint(onnx_pb *b, uint64_t v)
{
    unsigned char tmp[10];
    size_t n = 0;
    while (v >= 0x80) {
        tmp[n++] = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    tmp[n++] = (unsigned char)v;
    onnx_pb_raw(b, tmp, n);
}

void onnx_pb_tag(onnx_pb *b, int field, int wire)
{
    onnx_pb_varint(b, ((uint64_t)field << 3) | (uint64_t)wire);
}

size_t onnx_pb_len_field(int field, size_t payload)
{
    return onnx_pb_varint_size((uint64_t)field << 3) + onnx_pb_varint_size(payload) + payload;
}

void onnx_pb_int(onnx_pb *b, int field, int64_t v)
{
    onnx_pb_tag(b, field, PB_VARINT);
    onnx_pb_varint(b, (uint64_t)v);
}

/* a float as its 4 little-endian bytes, whatever the host's order */
static void put_f32(onnx_pb *b, float v)
{
    uint32_t u;
    unsigned char le[4];
    memcpy(&u, &v, sizeof u);
    for (int i = 0; i < 4; i++)
        le[i] = (unsigned char)(u >> (8 * i));
    onnx_pb_raw(b, le, 4);
}

void onnx_pb_float(onnx_pb *b, int field, float v)
{
    onnx_pb_tag(b, field, PB_FIXED32);
    put_f32(b, v);
}

void onnx_pb_bytes(onnx_pb *b, int field, const void *data, size_t n)
{
    onnx_pb_tag(b, field, PB_LEN);
    onnx_pb_varint(b, n);
    onnx_pb_raw(b, data, n);
}

void onnx_pb_string(onnx_pb *b, int field, const char *s)
{
    onnx_pb_bytes(b, field, s, strlen(s));
}

void onnx_pb_msg(onnx_pb *b, int field, const onnx_pb *sub)
{
    if (sub->failed)
        b->failed = 1;
    onnx_pb_bytes(b, field, sub->p, sub->len);
}

void onnx_pb_packed_ints(onnx_pb *b, int field, const int64_t *v, int n)
{
    size_t len = 0;
    for (int i = 0; i < n; i++)
        len += onnx_pb_varint_size((uint64_t)v[i]);
    onnx_pb_tag(b, field, PB_LEN);
    onnx_pb_varint(b, len);
    for (int i = 0; i < n; i++)
        onnx_pb_varint(b, (uint64_t)v[i]);
}

void onnx_pb_packed_floats(onnx_pb *b, int field, const float *v, int n)
{
    onnx_pb_tag(b, field, PB_LEN);
    onnx_pb_varint(b, (uint64_t)n * 4);
    for (int i = 0; i < n; i++)
        put_f32(b, v[i]);
}

/* ---- reading ---- */

int onnx_pb_get_varint(const unsigned char **p, const unsigned char *end, uint64_t *v)
{
    uint64_t r = 0;
    for (int i = 0; i < 10; i++) {
        if (*p >= end)
            return -1;
        unsigned char c = *(*p)++;
        r |= (uint64_t)(c & 0x7f) << (7 * i);
        if (!(c & 0x80)) {
            *v = r;
            return 0;
        }
    }
    return -1;
}

static uint64_t get_le(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

int onnx_pb_next(onnx_pb_in *in, onnx_pb_field *f)
{
    uint64_t tag;
    if (in->p >= in->end)
        return 0;
    if (onnx_pb_get_varint(&in->p, in->end, &tag) != 0 || tag >> 3 == 0 || tag >> 3 > 0x1fffffff)
        return -1;
    memset(f, 0, sizeof *f);
    f->field = (int)(tag >> 3);
    f->wire = (int)(tag & 7);
    size_t left;
    switch (f->wire) {
    case PB_VARINT:
        return onnx_pb_get_varint(&in->p, in->end, &f->v) == 0 ? 1 : -1;
    case PB_FIXED32:
    case PB_FIXED64: {
        int n = f->wire == PB_FIXED32 ? 4 : 8;
        if ((size_t)(in->end - in->p) < (size_t)n)
            return -1;
        f->v = get_le(in->p, n);
        in->p += n;
        return 1;
    }
    case PB_LEN:
        if (onnx_pb_get_varint(&in->p, in->end, &f->v) != 0)
            return -1;
        left = (size_t)(in->end - in->p);
        if (f->v > left)
            return -1;
        f->data = in->p;
        f->len = (size_t)f->v;
        in->p += f->len;
        return 1;
    default:
        return -1; /* groups (3, 4) are not in ONNX */
    }
}
