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
