/* pb.h - the protocol buffers wire format, as far as ONNX files need it.
 *
 * ONNX files are protobuf messages (onnx.proto: ModelProto, GraphProto,
 * NodeProto, TensorProto, ValueInfoProto, AttributeProto).  dlc writes them
 * with this small encoder instead of a generated library: a message is a
 * sequence of fields, each a tag (field number << 3 | wire type) followed by
 * a varint, a little-endian 32-bit value, or a length and that many bytes
 * (strings, packed arrays and nested messages).
 *
 * A nested message needs its length before its bytes, so small messages are
 * built in their own buffer and copied into their parent (onnx_pb_msg);
 * large payloads (weights) are never copied: their size is computed with
 * onnx_pb_len_field and the bytes are written straight to the file by the
 * caller.
 *
 * Ownership: an onnx_pb owns its bytes; onnx_pb_free releases them.  An
 * allocation failure sets `failed` and later appends do nothing, so a
 * builder checks once at the end.
 */
#ifndef DLC_ONNX_PB_H
#define DLC_ONNX_PB_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    unsigned char *p;
    size_t len, cap;
    int failed;
} onnx_pb;

enum { PB_VARINT = 0, PB_FIXED64 = 1, PB_LEN = 2, PB_FIXED32 = 5 };

void onnx_pb_free(onnx_pb *b);
void onnx_pb_raw(onnx_pb *b, const void *data, size_t n);
/* A bare varint (negative int64 values take ten bytes, as protobuf's). */
void onnx_pb_varint(onnx_pb *b, uint64_t v);
void onnx_pb_tag(onnx_pb *b, int field, int wire);

/* Fields. */
void onnx_pb_int(onnx_pb *b, int field, int64_t v);
void onnx_pb_float(onnx_pb *b, int field, float v);
void onnx_pb_bytes(onnx_pb *b, int field, const void *data, size_t n);
void onnx_pb_string(onnx_pb *b, int field, const char *s);
void onnx_pb_msg(onnx_pb *b, int field, const onnx_pb *sub);
void onnx_pb_packed_ints(onnx_pb *b, int field, const int64_t *v, int n);
void onnx_pb_packed_floats(onnx_pb *b, int field, const float *v, int n);

/* ---- reading ----
 * A message is read field by field from [p, end); nothing is copied: a
 * length-delimited field's data points into the message's bytes.  Every
 * length is checked against what is left, so a truncated or hostile file is
 * an error, never a read past its end. */
typedef struct {
    const unsigned char *p, *end;
} onnx_pb_in;

typedef struct {
    int field, wire;
    uint64_t v;                 /* PB_VARINT, PB_FIXED32, PB_FIXED64 */
    const unsigned char *data;  /* PB_LEN: its bytes */
    size_t len;
} onnx_pb_field;

/* 1: *f holds the next field; 0: the message ended; -1: malformed (a
 * truncated varint or field, a length past the end, an unknown wire type). */
int onnx_pb_next(onnx_pb_in *in, onnx_pb_field *f);
/* A bare varint from [*p, end); -1 when truncated or longer than 10 bytes. */
int onnx_pb_get_varint(const unsigned char **p, const unsigned char *end, uint64_t *v);

/* Bytes a varint takes. */
size_t onnx_pb_varint_size(uint64_t v);
/* Bytes a length-delimited field of `payload` bytes takes, tag included. */
size_t onnx_pb_len_field(int field, size_t payload);

#endif
