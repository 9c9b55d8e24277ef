/* read.c - ONNX files (ModelProto) and TensorProto files read into the plain
 * structs of onnx.h, for `dlc import` and the node-test runner.
 *
 * Only what dlc uses is kept: the graph's nodes (op, inputs, outputs,
 * attributes), initializers, inputs and outputs with their shapes, the
 * opset and metadata_props.  Unknown fields are skipped, as protobuf
 * readers do.  The file is untrusted: every length is checked against the
 * bytes left (onnx_pb_next), a tensor's element count must match both its
 * dims and its data, and nothing is allocated beyond what the bytes can
 * hold. */
#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "onnx.h"
#include "pb.h"

/* TensorProto.DataType values dlc reads */
enum {
    DT_FLOAT = 1, DT_UINT8 = 2, DT_INT8 = 3, DT_INT32 = 6, DT_INT64 = 7, DT_BOOL = 9, DT_FLOAT16 = 10,
    DT_DOUBLE = 11, DT_BFLOAT16 = 16
};

typedef struct {
    const char *name; /* the file, for messages */
    const char *dir;  /* the folder external data is read from ("" the current one), or NULL:
                       * none is read (bytes without a file) */
    dlc_error *err;
} rd;

static dlc_status bad(rd *r, const char *what)
{
    return dlc_fail(r->err, DLC_EINPUT, "%s: not a valid ONNX file: %s", r->name, what);
}

static char *dup_bytes(const onnx_pb_field *f)
{
    char *s = malloc(f->len + 1);
    if (s) {
        memcpy(s, f->data, f->len);
        s[f->len] = '\0';
    }
    return s;
}

/* Appends one element of size `size` to *arr (count *n), zeroed; NULL when out of memory. */
static void *grow(void *arr_p, int *n, size_t size)
{
    void **arr = arr_p;
    if (*n >= INT_MAX / 2)
        return NULL;
    /* capacity doubles at powers of two */
    if ((*n & (*n - 1)) == 0) {
        size_t cap = *n ? (size_t)*n * 2 : 1;
        void *p = realloc(*arr, cap * size);
        if (!p)
            return NULL;
        *arr = p;
    }
    void *at = (char *)*arr + (size_t)*n * size;
    memset(at, 0, size);
    (*n)++;
    return at;
}

/* A string field into *s (replacing what was there). */
static dlc_status take_string(rd *r, const onnx_pb_field *f, char **s)
{
    if (f->wire != PB_LEN)
        return bad(r, "a string field has the wrong wire type");
    free(*s);
    if (!(*s = dup_bytes(f)))
        return DLC_NOMEM(r->err);
    return DLC_OK;
}

static dlc_status push_string(rd *r, const onnx_pb_field *f, char ***arr, int *n)
{
    char **slot = grow(arr, n, sizeof **arr);
    if (!slot)
        return DLC_NOMEM(r->err);
    return take_string(r, f, slot);
}

/* ---- tensors ---- */

void onnx_tensor_clear(onnx_tensor *t)
{
    if (!t)
        return;
    free(t->name);
    free(t->f);
    free(t->i);
    memset(t, 0, sizeof *t);
}

static size_t dtype_size(int dt)
{
    switch (dt) {
    case DT_FLOAT:
    case DT_INT32:
        return 4;
    case DT_INT64:
    case DT_DOUBLE:
        return 8;
    case DT_FLOAT16:
    case DT_BFLOAT16:
        return 2;
    case DT_UINT8:
    case DT_INT8:
    case DT_BOOL:
        return 1;
    default:
        return 0;
    }
}

/* TensorProto.DataType's name, for messages. */
static const char *dtype_name(int dt)
{
    static const char *const names[] = {"undefined", "float", "uint8", "int8", "uint16", "int16",
                                        "int32", "int64", "string", "bool", "float16", "double",
                                        "uint32", "uint64", "complex64", "complex128", "bfloat16"};
    return dt >= 0 && dt < (int)DLC_ARRAY_LEN(names) ? names[dt] : "unknown";
}

static int is_float(int dt)
{
    return dt == DT_FLOAT || dt == DT_DOUBLE || dt == DT_FLOAT16 || dt == DT_BFLOAT16;
}

/* IEEE half precision bits as a double (exact: every half is a double). */
static double half_value(uint16_t h)
{
    int e = (h >> 10) & 0x1f, m = h & 0x3ff;
    double v = e == 0 ? ldexp(m, -24) : e == 31 ? (m ? NAN : INFINITY) : ldexp(m | 0x400, e - 25);
    return h & 0x8000 ? -v : v;
}

/* One element's bits (little-endian, n bytes) as a double (float sources)
 * or an int64, by type: 'f' float32, 'd' double, 'h' float16, 'B' bfloat16
 * (float32's upper half), 'i' int32, 'l' int64, 'b' int8, 'u' uint8 / bool. */
static void decode(uint64_t u, char kind, double *dv, int64_t *iv)
{
    uint32_t w = (uint32_t)u;
    float fv;
    switch (kind) {
    case 'f':
        memcpy(&fv, &w, 4);
        *dv = fv;
        break;
    case 'd':
        memcpy(dv, &u, 8);
        break;
    case 'h':
        *dv = half_value((uint16_t)u);
        break;
    case 'B':
        w = (uint32_t)(uint16_t)u << 16;
        memcpy(&fv, &w, 4);
        *dv = fv;
        break;
    case 'i':
        *iv = (int32_t)w;
        break;
    case 'b':
        *iv = (int8_t)(uint8_t)u;
        break;
    case 'u':
        *iv = (uint8_t)u;
        break;
    default:
        *iv = (int64_t)u;
        break;
    }
}

/* Appends the values of one data field of a tensor (f: raw_data 9,
 * float_data 4, int32_data 5, int64_data 7, double_data 10; packed, or one
 * unpacked value in f->v). */
static dlc_status tensor_values(rd *r, onnx_tensor *t, const onnx_pb_field *f)
{
    char kind;
    size_t es;
    int varints = 0;
    switch (f->field) {
    case 9:
        es = dtype_size(t->dtype);
        kind = t->dtype == DT_FLOAT ? 'f' : t->dtype == DT_DOUBLE ? 'd' : t->dtype == DT_FLOAT16 ? 'h'
               : t->dtype == DT_BFLOAT16 ? 'B' : t->dtype == DT_INT32 ? 'i' : t->dtype == DT_INT8 ? 'b'
               : t->dtype == DT_INT64 ? 'l' : 'u';
        if (f->wire != PB_LEN)
            return bad(r, "raw_data has the wrong wire type");
        break;
    case 4:
        es = 4, kind = 'f';
        break;
    case 10:
        es = 8, kind = 'd';
        break;
    default: /* int32_data holds int8/uint8/bool/int32, and float16's and bfloat16's bits, as varints */
        es = 1, kind = f->field != 5                 ? 'l'
                       : t->dtype == DT_FLOAT16     ? 'h'
                       : t->dtype == DT_BFLOAT16    ? 'B'
                                                    : 'i';
        varints = 1;
        break;
    }
    int src_float = kind == 'f' || kind == 'd' || kind == 'h' || kind == 'B';
    size_t cap = f->wire != PB_LEN ? 1 : varints ? f->len : f->len / es;
    if (f->wire == PB_LEN && !varints && f->len % es)
        return bad(r, "a tensor's data is not a whole number of elements");
    if (cap > SIZE_MAX / 16 - t->n)
        return bad(r, "a tensor is too large");
    int fl = is_float(t->dtype);
    void *grown = fl ? realloc(t->f, sizeof *t->f * (t->n + cap + 1))
                     : realloc(t->i, sizeof *t->i * (t->n + cap + 1));
    if (!grown)
        return DLC_NOMEM(r->err);
    if (fl)
        t->f = grown;
    else
        t->i = grown;
    const unsigned char *p = f->data, *end = p ? p + f->len : p; /* no data: no offset */
    for (size_t n = 0; n < cap; n++) {
        uint64_t u = 0;
        double dv = 0;
        int64_t iv = 0;
        if (f->wire != PB_LEN) {
            u = f->v;
        } else if (varints) {
            if (p >= end)
                break;
            if (onnx_pb_get_varint(&p, end, &u) != 0)
                return bad(r, "a truncated integer in a tensor");
        } else {
            for (size_t k = 0; k < es; k++)
                u |= (uint64_t)p[k] << (8 * k);
            p += es;
        }
        decode(u, kind, &dv, &iv);
        /* a value outside the target type has no conversion in C (float
         * keeps infinities and NaN; an integer type takes neither) */
        if (src_float && (fl ? isfinite(dv) && fabs(dv) > FLT_MAX : !(fabs(dv) < 9.2e18)))
            return bad(r, fl ? "a tensor value does not fit float" : "a tensor value does not fit its integer type");
        if (fl)
            t->f[t->n++] = (float)(src_float ? dv : (double)iv);
        else
            t->i[t->n++] = src_float ? (int64_t)dv : iv;
    }
    return DLC_OK;
}

/* Where a tensor's bytes are when it keeps them in another file (ONNX's
 * external data: TensorProto.external_data, key-value strings). */
typedef struct {
    char *location;             /* owned; relative to the model file's folder */
    uint64_t offset, length;
    int has_length;
} ext_ref;

static dlc_status ext_number(rd *r, const onnx_tensor *t, const char *key, const char *v, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 10);
    if (!*v || *v == '-' || *end || errno)
        return dlc_fail(r->err, DLC_EINPUT, "%s: tensor '%s': external data %s '%s' is not a byte count",
                        r->name, t->name ? t->name : "?", key, v);
    *out = x;
    return DLC_OK;
}

/* One external_data entry (StringStringEntryProto: 1 key, 2 value). */
static dlc_status ext_entry(rd *r, const onnx_tensor *t, ext_ref *x, const onnx_pb_field *outer)
{
    if (outer->wire != PB_LEN)
        return bad(r, "an external data entry has the wrong wire type");
    onnx_pb_in in = {outer->data, outer->data + outer->len};
    onnx_pb_field f;
    char *key = NULL, *v = NULL;
    int rc;
    dlc_status st = DLC_OK;
    while (st == DLC_OK && (rc = onnx_pb_next(&in, &f)) == 1)
        if (f.field == 1 || f.field == 2)
            st = take_string(r, &f, f.field == 1 ? &key : &v);
    if (st == DLC_OK && (rc < 0 || !key || !v))
        st = bad(r, "an external data entry is truncated or lacks its key or value");
    if (st == DLC_OK && !strcmp(key, "location")) {
        free(x->location);
        x->location = v;
        v = NULL;
    } else if (st == DLC_OK && !strcmp(key, "offset")) {
        st = ext_number(r, t, key, v, &x->offset);
    } else if (st == DLC_OK && !strcmp(key, "length")) {
        st = ext_number(r, t, key, v, &x->length);
        x->has_length = 1;
    } /* "checksum" and others: not needed to read the bytes */
    free(key);
    free(v);
    return st;
}

/* Reads a tensor's values from its external file, as raw_data. */
static dlc_status ext_values(rd *r, onnx_tensor *t, const ext_ref *x)
{
    const char *tn = t->name ? t->name : "?";
    if (!r->dir)
        return dlc_fail(r->err, DLC_EINPUT, "%s: tensor '%s' keeps its data in an external file, which "
                        "dlc reads only beside a model file", r->name, tn);
    if (!x->location || !x->location[0])
        return dlc_fail(r->err, DLC_EINPUT, "%s: tensor '%s' keeps its data in an external file but "
                        "names none (no 'location')", r->name, tn);
    /* as ONNX's checker: the file is in the model's folder or below it */
    const char *l = x->location;
    int escapes = l[0] == '/' || !strncmp(l, "../", 3) || strstr(l, "/../") ||
                  !strcmp(l, "..") || (strlen(l) >= 3 && !strcmp(l + strlen(l) - 3, "/.."));
    if (escapes)
        return dlc_fail(r->err, DLC_EINPUT, "%s: tensor '%s': external data location '%s' is outside "
                        "the model file's folder", r->name, tn, l);
    char path[4096];
    if (snprintf(path, sizeof path, "%s%s%s", r->dir, r->dir[0] ? "/" : "", l) >= (int)sizeof path)
        return dlc_fail(r->err, DLC_EINPUT, "%s: tensor '%s': external data path too long", r->name, tn);
    dlc_status st = DLC_OK;
    unsigned char *buf = NULL;
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return dlc_fail(r->err, DLC_EINPUT, "%s: tensor '%s' keeps its data in %s: %s", r->name, tn, path,
                        strerror(errno));
    long long size = -1;
    if (fseeko(fp, 0, SEEK_END) == 0)
        size = (long long)ftello(fp);
    if (size < 0) {
        st = dlc_fail(r->err, DLC_EINPUT, "%s: tensor '%s': cannot read %s", r->name, tn, path);
        goto cleanup;
    }
    uint64_t len = x->has_length ? x->length : (x->offset <= (uint64_t)size ? (uint64_t)size - x->offset : 0);
    if (x->offset > (uint64_t)size || len > (uint64_t)size - x->offset) {
        st = dlc_fail(r->err, DLC_EINPUT, "%s: tensor '%s': bytes %llu to %llu of %s are past its end (%lld "
                      "bytes)", r->name, tn, (unsigned long long)x->offset,
                      (unsigned long long)(x->offset + len), path, size);
        goto cleanup;
    }
    if (!(buf = malloc(len ? len : 1))) {
        st = DLC_NOMEM(r->err);
        goto cleanup;
    }
    if (fseeko(fp, (off_t)x->offset, SEEK_SET) != 0 || fread(buf, 1, len, fp) != len) {
        st = dlc_fail(r->err, DLC_EINPUT, "%s: tensor '%s': cannot read %s", r->name, tn, path);
        goto cleanup;
    }
    onnx_pb_field f = {.field = 9, .wire = PB_LEN, .data = buf, .len = len};
    st = tensor_values(r, t, &f);
cleanup:
    free(buf);
    fclose(fp);
    return st;
}

static dlc_status parse_tensor(rd *r, onnx_tensor *t, const unsigned char *p, size_t len)
{
    ext_ref ext = {0};
    int external = 0;
    onnx_pb_in in = {p, p + len};
    onnx_pb_field f;
    int rc;
    dlc_status st = DLC_OK;
    memset(t, 0, sizeof *t);
    /* two passes: the data fields may come before data_type */
    while (st == DLC_OK && (rc = onnx_pb_next(&in, &f)) == 1) {
        switch (f.field) {
        case 1: /* dims, packed or not */
            if (f.wire == PB_LEN) {
                const unsigned char *q = f.data, *e = f.data + f.len;
                while (q < e && st == DLC_OK) {
                    uint64_t v;
                    if (onnx_pb_get_varint(&q, e, &v) != 0 || t->ndim >= ONNX_MAX_DIMS)
                        st = bad(r, "a tensor's dims are malformed or more than 8");
                    else
                        t->dims[t->ndim++] = (int64_t)v;
                }
            } else if (t->ndim >= ONNX_MAX_DIMS) {
                st = bad(r, "a tensor has more than 8 dims");
            } else {
                t->dims[t->ndim++] = (int64_t)f.v;
            }
            break;
        case 2:
            t->dtype = (int)f.v;
            break;
        case 8:
            st = take_string(r, &f, &t->name);
            break;
        case 13:
            st = ext_entry(r, t, &ext, &f);
            break;
        case 14:
            external = f.v == 1;
            break;
        default:
            break;
        }
    }
    if (st == DLC_OK && rc < 0)
        st = bad(r, "a tensor is truncated");
    if (st == DLC_OK && !dtype_size(t->dtype))
        st = dlc_fail(r->err, DLC_EINPUT, "%s: tensor '%s' has data type %d (%s), which dlc does not read",
                      r->name, t->name ? t->name : "?", t->dtype, dtype_name(t->dtype));
    in.p = p;
    while (st == DLC_OK && !external && onnx_pb_next(&in, &f) == 1)
        if (f.field == 4 || f.field == 5 || f.field == 7 || f.field == 9 || f.field == 10)
            st = tensor_values(r, t, &f);
    if (st == DLC_OK && external)
        st = ext_values(r, t, &ext);
    free(ext.location);
    size_t want = 1;
    for (int i = 0; i < t->ndim && st == DLC_OK; i++) {
        if (t->dims[i] < 0 || (t->dims[i] > 0 && want > SIZE_MAX / (size_t)t->dims[i]))
            st = bad(r, "a tensor has a negative or huge dim");
        else
            want *= (size_t)t->dims[i];
    }
    if (st == DLC_OK && want != t->n)
        st = dlc_fail(r->err, DLC_EINPUT, "%s: tensor '%s' has %zu values for dims of %zu", r->name,
                      t->name ? t->name : "?", t->n, want);
    if (st != DLC_OK)
        onnx_tensor_clear(t);
    return st;
}

dlc_status onnx_read_tensor(onnx_tensor *t, const char *name, const unsigned char *bytes, size_t len,
                            dlc_error *err)
{
    rd r = {name, NULL, err};
    return parse_tensor(&r, t, bytes, len);
}

/* ---- attributes, nodes, value infos ---- */

static void attr_clear(onnx_attr *a)
{
    free(a->name);
    free(a->s);
    free(a->floats);
    free(a->ints);
    if (a->t) {
        onnx_tensor_clear(a->t);
        free(a->t);
    }
    for (int i = 0; i < a->n_strings; i++)
        free(a->strings[i]);
    free(a->strings);
}

static dlc_status parse_attr(rd *r, onnx_attr *a, const onnx_pb_field *outer)
{
    onnx_pb_in in = {outer->data, outer->data + outer->len};
    onnx_pb_field f;
    int rc;
    dlc_status st = DLC_OK;
    while (st == DLC_OK && (rc = onnx_pb_next(&in, &f)) == 1) {
        switch (f.field) {
        case 1:
            st = take_string(r, &f, &a->name);
            break;
        case 20:
            a->type = (int)f.v;
            break;
        case 2: {
            uint32_t w = (uint32_t)f.v;
            memcpy(&a->f, &w, 4);
            break;
        }
        case 3:
            a->i = (int64_t)f.v;
            break;
        case 4:
            st = take_string(r, &f, &a->s);
            break;
        case 5:
            if (f.wire != PB_LEN) {
                st = bad(r, "an attribute's tensor has the wrong wire type");
                break;
            }
            if (a->t) {
                onnx_tensor_clear(a->t);
                free(a->t);
            }
            if (!(a->t = malloc(sizeof *a->t)))
                st = DLC_NOMEM(r->err);
            else if ((st = parse_tensor(r, a->t, f.data, f.len)) != DLC_OK) {
                free(a->t);
                a->t = NULL;
            }
            break;
        case 7: /* floats, packed or not */
        case 8: /* ints */
            if (f.wire == PB_LEN) {
                const unsigned char *q = f.data, *e = f.data + f.len;
                while (q < e && st == DLC_OK) {
                    if (f.field == 7) {
                        if (e - q < 4) {
                            st = bad(r, "a packed float attribute is truncated");
                            break;
                        }
                        uint32_t w = (uint32_t)q[0] | (uint32_t)q[1] << 8 | (uint32_t)q[2] << 16 |
                                     (uint32_t)q[3] << 24;
                        q += 4;
                        float *slot = grow(&a->floats, &a->n_floats, sizeof *a->floats);
                        if (!slot)
                            st = DLC_NOMEM(r->err);
                        else
                            memcpy(slot, &w, 4);
                    } else {
                        uint64_t v;
                        int64_t *slot;
                        if (onnx_pb_get_varint(&q, e, &v) != 0)
                            st = bad(r, "a packed int attribute is truncated");
                        else if (!(slot = grow(&a->ints, &a->n_ints, sizeof *a->ints)))
                            st = DLC_NOMEM(r->err);
                        else
                            *slot = (int64_t)v;
                    }
                }
            } else if (f.field == 7) {
                float *slot = grow(&a->floats, &a->n_floats, sizeof *a->floats);
                uint32_t w = (uint32_t)f.v;
                if (!slot)
                    st = DLC_NOMEM(r->err);
                else
                    memcpy(slot, &w, 4);
            } else {
                int64_t *slot = grow(&a->ints, &a->n_ints, sizeof *a->ints);
                if (!slot)
                    st = DLC_NOMEM(r->err);
                else
                    *slot = (int64_t)f.v;
            }
            break;
        case 9:
            st = push_string(r, &f, &a->strings, &a->n_strings);
            break;
        default:
            break; /* graphs, sparse tensors, type protos: not used by dlc */
        }
    }
    if (st == DLC_OK && rc < 0)
        st = bad(r, "an attribute is truncated");
    if (st == DLC_OK && !a->name)
        st = bad(r, "an attribute has no name");
    return st;
}

static void node_clear(onnx_node *n)
{
    free(n->op);
    free(n->name);
    free(n->domain);
    for (int i = 0; i < n->n_in; i++)
        free(n->in[i]);
    for (int i = 0; i < n->n_out; i++)
        free(n->out[i]);
    free(n->in);
    free(n->out);
    for (int i = 0; i < n->n_attr; i++)
        attr_clear(&n->attr[i]);
    free(n->attr);
}

static dlc_status parse_node(rd *r, onnx_node *n, const onnx_pb_field *outer)
{
    onnx_pb_in in = {outer->data, outer->data + outer->len};
    onnx_pb_field f;
    int rc;
    dlc_status st = DLC_OK;
    while (st == DLC_OK && (rc = onnx_pb_next(&in, &f)) == 1) {
        onnx_attr *a;
        switch (f.field) {
        case 1:
            st = push_string(r, &f, &n->in, &n->n_in);
            break;
        case 2:
            st = push_string(r, &f, &n->out, &n->n_out);
            break;
        case 3:
            st = take_string(r, &f, &n->name);
            break;
        case 4:
            st = take_string(r, &f, &n->op);
            break;
        case 7:
            st = take_string(r, &f, &n->domain);
            break;
        case 5:
            if (f.wire != PB_LEN)
                st = bad(r, "an attribute has the wrong wire type");
            else if (!(a = grow(&n->attr, &n->n_attr, sizeof *n->attr)))
                st = DLC_NOMEM(r->err);
            else
                st = parse_attr(r, a, &f);
            break;
        default:
            break;
        }
    }
    if (st == DLC_OK && rc < 0)
        st = bad(r, "a node is truncated");
    if (st == DLC_OK && !n->op)
        st = bad(r, "a node has no op_type");
    return st;
}

/* ValueInfoProto: name, and type.tensor_type {elem_type, shape {dim...}} */
static dlc_status parse_value(rd *r, onnx_value *v, const onnx_pb_field *outer)
{
    onnx_pb_in in = {outer->data, outer->data + outer->len};
    onnx_pb_field f, g, h, d, e;
    int rc;
    dlc_status st = DLC_OK;
    while (st == DLC_OK && (rc = onnx_pb_next(&in, &f)) == 1) {
        if (f.field == 1) {
            st = take_string(r, &f, &v->name);
        } else if (f.field == 2 && f.wire == PB_LEN) {
            onnx_pb_in tin = {f.data, f.data + f.len};
            while (st == DLC_OK && (rc = onnx_pb_next(&tin, &g)) == 1) {
                if (g.field != 1 || g.wire != PB_LEN)
                    continue; /* not a tensor type */
                onnx_pb_in ttin = {g.data, g.data + g.len};
                while (st == DLC_OK && (rc = onnx_pb_next(&ttin, &h)) == 1) {
                    if (h.field == 1)
                        v->dtype = (int)h.v;
                    if (h.field != 2 || h.wire != PB_LEN)
                        continue;
                    v->has_shape = 1;
                    onnx_pb_in sin = {h.data, h.data + h.len};
                    while (st == DLC_OK && (rc = onnx_pb_next(&sin, &d)) == 1) {
                        if (d.field != 1 || d.wire != PB_LEN)
                            continue;
                        if (v->ndim >= ONNX_MAX_DIMS) {
                            st = bad(r, "a value has more than 8 dims");
                            break;
                        }
                        int64_t dim = -1; /* dim_param or unknown */
                        onnx_pb_in din = {d.data, d.data + d.len};
                        while ((rc = onnx_pb_next(&din, &e)) == 1)
                            if (e.field == 1 && e.wire == PB_VARINT)
                                dim = (int64_t)e.v;
                        v->dims[v->ndim++] = dim;
                    }
                }
            }
        }
        if (rc < 0)
            break;
    }
    if (st == DLC_OK && rc < 0)
        st = bad(r, "a value info is truncated");
    return st;
}

/* ---- the model ---- */

void onnx_model_free(onnx_model *m)
{
    if (!m)
        return;
    for (int i = 0; i < m->n_nodes; i++)
        node_clear(&m->nodes[i]);
    for (int i = 0; i < m->n_inits; i++)
        onnx_tensor_clear(&m->inits[i]);
    for (int i = 0; i < m->n_inputs; i++)
        free(m->inputs[i].name);
    for (int i = 0; i < m->n_outputs; i++)
        free(m->outputs[i].name);
    for (int i = 0; i < m->n_meta; i++) {
        free(m->meta_keys[i]);
        free(m->meta_values[i]);
    }
    free(m->nodes);
    free(m->inits);
    free(m->inputs);
    free(m->outputs);
    free(m->meta_keys);
    free(m->meta_values);
    free(m->producer);
    free(m);
}

static dlc_status parse_graph(rd *r, onnx_model *m, const onnx_pb_field *outer)
{
    onnx_pb_in in = {outer->data, outer->data + outer->len};
    onnx_pb_field f;
    int rc;
    dlc_status st = DLC_OK;
    while (st == DLC_OK && (rc = onnx_pb_next(&in, &f)) == 1) {
        void *slot = NULL;
        if ((f.field == 1 || f.field == 5 || f.field == 11 || f.field == 12) && f.wire != PB_LEN) {
            st = bad(r, "a graph field has the wrong wire type");
            break;
        }
        switch (f.field) {
        case 1:
            if (!(slot = grow(&m->nodes, &m->n_nodes, sizeof *m->nodes)))
                st = DLC_NOMEM(r->err);
            else
                st = parse_node(r, slot, &f);
            break;
        case 5:
            if (!(slot = grow(&m->inits, &m->n_inits, sizeof *m->inits)))
                st = DLC_NOMEM(r->err);
            else
                st = parse_tensor(r, slot, f.data, f.len);
            break;
        case 11:
        case 12:
            if (f.field == 11)
                slot = grow(&m->inputs, &m->n_inputs, sizeof *m->inputs);
            else
                slot = grow(&m->outputs, &m->n_outputs, sizeof *m->outputs);
            st = slot ? parse_value(r, slot, &f) : DLC_NOMEM(r->err);
            break;
        default:
            break;
        }
    }
    if (st == DLC_OK && rc < 0)
        st = bad(r, "the graph is truncated");
    return st;
}

/* dir: where external data is read from, or NULL (none is) */
static dlc_status read_model(onnx_model **out, const char *name, const char *dir, const unsigned char *bytes,
                             size_t len, dlc_error *err)
{
    rd r = {name, dir, err};
    onnx_model *m = calloc(1, sizeof *m);
    *out = NULL;
    if (!m)
        return DLC_NOMEM(err);
    onnx_pb_in in = {bytes, bytes + len};
    onnx_pb_field f, g;
    int rc, graphs = 0;
    dlc_status st = DLC_OK;
    while (st == DLC_OK && (rc = onnx_pb_next(&in, &f)) == 1) {
        switch (f.field) {
        case 1:
            m->ir_version = (int64_t)f.v;
            break;
        case 2:
            st = take_string(&r, &f, &m->producer);
            break;
        case 7:
            if (f.wire != PB_LEN)
                st = bad(&r, "the graph has the wrong wire type");
            else if (graphs++)
                st = bad(&r, "more than one graph");
            else
                st = parse_graph(&r, m, &f);
            break;
        case 8: /* opset_import {domain, version}: the default domain's */
            if (f.wire == PB_LEN) {
                onnx_pb_in oin = {f.data, f.data + f.len};
                int64_t version = 0;
                int other = 0;
                while ((rc = onnx_pb_next(&oin, &g)) == 1) {
                    if (g.field == 1 && g.len > 0 && !(g.len == 7 && memcmp(g.data, "ai.onnx", 7) == 0))
                        other = 1;
                    if (g.field == 2)
                        version = (int64_t)g.v;
                }
                if (!other)
                    m->opset = version;
                rc = 1;
            }
            break;
        case 14:
            if (f.wire == PB_LEN) {
                onnx_pb_in min = {f.data, f.data + f.len};
                char **k = grow(&m->meta_keys, &m->n_meta, sizeof *m->meta_keys);
                int n2 = m->n_meta - 1;
                char **v = k ? grow(&m->meta_values, &n2, sizeof *m->meta_values) : NULL;
                if (!k || !v) {
                    st = DLC_NOMEM(err);
                    break;
                }
                while (st == DLC_OK && (rc = onnx_pb_next(&min, &g)) == 1) {
                    if (g.field == 1)
                        st = take_string(&r, &g, k);
                    else if (g.field == 2)
                        st = take_string(&r, &g, v);
                }
                if (st == DLC_OK && (!*k || !*v))
                    st = bad(&r, "a metadata entry lacks its key or value");
                rc = 1;
            }
            break;
        default:
            break;
        }
    }
    if (st == DLC_OK && rc < 0)
        st = bad(&r, "the file is truncated or is not a protobuf message");
    if (st == DLC_OK && !graphs)
        st = bad(&r, "it has no graph");
    if (st != DLC_OK) {
        onnx_model_free(m);
        return st;
    }
    *out = m;
    return DLC_OK;
}

dlc_status onnx_read(onnx_model **out, const char *name, const unsigned char *bytes, size_t len,
                     dlc_error *err)
{
    return read_model(out, name, NULL, bytes, len, err);
}

/* A protobuf message is at most 2 GiB; larger ONNX models keep their
 * weights in external files, read from the model file's folder.  (Not the text limit
 * of dlc_read_file: torchvision's ResNet-50 alone is 94 MB.) */
#define ONNX_FILE_MAX ((size_t)2 << 30)

dlc_status onnx_read_file(onnx_model **out, const char *path, dlc_error *err)
{
    char *bytes = NULL;
    size_t len = 0;
    *out = NULL;
    char dir[4096];
    const char *slash = strrchr(path, '/');
    size_t dn = slash ? (size_t)(slash - path) : 0;
    if (dn >= sizeof dir)
        return dlc_fail(err, DLC_EINPUT, "%s: path too long", path);
    memcpy(dir, path, dn);
    dir[dn] = '\0';
    if (slash && dn == 0) /* a file in / */
        strcpy(dir, "/");
    dlc_status st = dlc_read_file_max(path, ONNX_FILE_MAX, &bytes, &len, err);
    if (st == DLC_OK)
        st = read_model(out, path, dir, (const unsigned char *)bytes, len, err);
    free(bytes);
    return st;
}

const onnx_attr *onnx_attr_get(const onnx_node *n, const char *name)
{
    for (int i = 0; i < n->n_attr; i++)
        if (n->attr[i].name && strcmp(n->attr[i].name, name) == 0)
            return &n->attr[i];
    return NULL;
}

const onnx_tensor *onnx_init_get(const onnx_model *m, const char *name)
{
    for (int i = 0; i < m->n_inits; i++)
        if (m->inits[i].name && strcmp(m->inits[i].name, name) == 0)
            return &m->inits[i];
    return NULL;
}

const char *onnx_meta_get(const onnx_model *m, const char *key)
{
    for (int i = 0; i < m->n_meta; i++)
        if (m->meta_keys[i] && strcmp(m->meta_keys[i], key) == 0)
            return m->meta_values[i];
    return NULL;
}
