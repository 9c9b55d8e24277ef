/* safetensors.c - read and write F32 tensors in the safetensors format.
 *
 * Layout: u64 little-endian header length N, N bytes of JSON header, then the
 * data section.  data_offsets are [begin, end) relative to the start of the
 * data section.  The file is untrusted: every number in the header is checked
 * against the data section before any byte of data is used.
 *
 * Endianness: safetensors stores little-endian floats and dlc copies them
 * byte for byte, so this file assumes a little-endian host (x86-64, arm64);
 * the #error below refuses to build elsewhere.  The header length is decoded
 * byte by byte and does not depend on the host.
 */
#include "io.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "safetensors.c assumes a little-endian host"
#endif

#define ST_MAX_HEADER ((uint64_t)100 * 1000 * 1000) /* 100 MB, as the reference reader */
#define ST_ALIGN 64                                 /* alignment of copied tensor data */
#define ST_MAX_INT ((uint64_t)1 << 53)              /* largest exact integer in a double */

struct io_st {
    int n;
    io_tensor *t;   /* t[i].name owned here, t[i].data points into block */
    int n_meta;
    io_meta *meta;  /* key and value owned here */
    void *block;    /* owns every tensor's data */
    dlc_index by_name; /* tensor name -> index in t: io_st_get in constant time */
};

/* ---- helpers ---- */

/* A file-supplied name made safe for a one-line message: non-printable bytes
 * become '?', and long names are cut. */
static const char *show(const char *s, char *buf, size_t size)
{
    size_t k = 0;
    for (; s[k] && k + 4 < size; k++) {
        unsigned char c = (unsigned char)s[k];
        buf[k] = c < 0x20 || c == 0x7F ? '?' : (char)c;
    }
    if (s[k]) {
        memcpy(buf + k, "...", 3);
        k += 3;
    }
    buf[k] = '\0';
    return buf;
}

static size_t round_up(size_t x, size_t a)
{
    return (x + a - 1) / a * a;
}

/* 1 when s is well-formed UTF-8 (the reader refuses anything else, so the
 * writer must not produce it). */
static int valid_utf8(const char *str)
{
    return dlc_utf8_bad(str) < 0;
}

/* A JSON number that is a non-negative integer no larger than max. */
static int json_uint(const json_value *v, uint64_t max, uint64_t *out)
{
    if (!v || v->type != JSON_NUMBER)
        return 0;
    double d = v->number;
    if (!(d >= 0) || d > (double)max || d != (double)(uint64_t)d)
        return 0;
    *out = (uint64_t)d;
    return 1;
}

/* ---- writing ---- */

dlc_status io_safetensors_write(const char *path, const io_tensor *t, int n_t, const io_meta *meta,
                                int n_meta, dlc_error *err)
{
    dlc_buf h = {0};
    io_atomic a = {0};
    dlc_status st = DLC_OK;
    char nb[128];
    dlc_index names = {0}; /* tensor names seen: a scan per name was quadratic */

    if (n_t < 0 || n_meta < 0 || (n_t && !t) || (n_meta && !meta)) {
        st = dlc_fail(err, DLC_EINPUT, "%s: invalid tensor or metadata list", path);
        goto cleanup;
    }
    if ((st = dlc_index_init(&names, (size_t)n_t, err)) != DLC_OK)
        goto cleanup;
    /* check everything the reader will check, so dlc never writes a file it
     * refuses to read */
    for (int i = 0; i < n_t; i++) {
        const io_tensor *x = &t[i];
        if (!x->name || !valid_utf8(x->name) || strcmp(x->name, "__metadata__") == 0) {
            st = dlc_fail(err, DLC_EINPUT, "%s: tensor %d: invalid name '%s'", path, i,
                          x->name ? show(x->name, nb, sizeof nb) : "(null)");
            goto cleanup;
        }
        if (x->shape.ndim < 0 || x->shape.ndim > TENSOR_MAX_DIMS) {
            st = dlc_fail(err, DLC_EINPUT, "%s: tensor '%s': invalid number of dimensions %d",
                          path, show(x->name, nb, sizeof nb), x->shape.ndim);
            goto cleanup;
        }
        for (int k = 0; k < x->shape.ndim; k++) {
            if (x->shape.d[k] < 0) {
                st = dlc_fail(err, DLC_EINPUT, "%s: tensor '%s': negative dimension %d", path,
                              show(x->name, nb, sizeof nb), x->shape.d[k]);
                goto cleanup;
            }
        }
        if (!x->data && tensor_shape_size(&x->shape) > 0) {
            st = dlc_fail(err, DLC_EINPUT, "%s: tensor '%s': no data", path,
                          show(x->name, nb, sizeof nb));
            goto cleanup;
        }
        if (dlc_index_put(&names, x->name, i) != -1) {
            st = dlc_fail(err, DLC_EINPUT, "%s: tensor name '%s' used twice", path,
                          show(x->name, nb, sizeof nb));
            goto cleanup;
        }
    }
    for (int i = 0; i < n_meta; i++) {
        if (!meta[i].key || !meta[i].value || !valid_utf8(meta[i].key) ||
            !valid_utf8(meta[i].value)) {
            st = dlc_fail(err, DLC_EINPUT, "%s: metadata entry %d: missing or not UTF-8", path,
                          i);
            goto cleanup;
        }
        for (int j = 0; j < i; j++) {
            if (strcmp(meta[j].key, meta[i].key) == 0) {
                st = dlc_fail(err, DLC_EINPUT, "%s: metadata key '%s' used twice", path,
                              show(meta[i].key, nb, sizeof nb));
                goto cleanup;
            }
        }
    }

    /* the header: tensors in the given order, packed one after another */
    size_t offset = 0;
    dlc_buf_append(&h, "{", 1);
    for (int i = 0; i < n_t; i++) {
        size_t bytes = tensor_shape_size(&t[i].shape) * sizeof(float);
        if (i)
            dlc_buf_append(&h, ",", 1);
        json_write_string(&h, t[i].name);
        dlc_buf_printf(&h, ":{\"dtype\":\"F32\",\"shape\":[");
        for (int k = 0; k < t[i].shape.ndim; k++)
            dlc_buf_printf(&h, k ? ",%d" : "%d", t[i].shape.d[k]);
        dlc_buf_printf(&h, "],\"data_offsets\":[%zu,%zu]}", offset, offset + bytes);
        offset += bytes;
    }
    if (n_meta) {
        dlc_buf_printf(&h, "%s\"__metadata__\":{", n_t ? "," : "");
        for (int i = 0; i < n_meta; i++) {
            if (i)
                dlc_buf_append(&h, ",", 1);
            json_write_string(&h, meta[i].key);
            dlc_buf_append(&h, ":", 1);
            json_write_string(&h, meta[i].value);
        }
        dlc_buf_append(&h, "}", 1);
    }
    dlc_buf_append(&h, "}", 1);
    /* pad with spaces (valid JSON whitespace) so the data starts at a
     * multiple of 8 bytes from the start of the file */
    while (!h.failed && (8 + h.len) % 8 != 0)
        dlc_buf_append(&h, " ", 1);
    if (h.failed) {
        st = DLC_NOMEM(err);
        goto cleanup;
    }

    unsigned char len8[8];
    for (int k = 0; k < 8; k++)
        len8[k] = (unsigned char)((uint64_t)h.len >> (8 * k));

    if ((st = io_atomic_begin(&a, path, err)) != DLC_OK)
        goto cleanup;
    int ok = fwrite(len8, 1, 8, a.f) == 8 && fwrite(h.s, 1, h.len, a.f) == h.len;
    for (int i = 0; ok && i < n_t; i++) {
        size_t count = tensor_shape_size(&t[i].shape);
        if (count)
            ok = fwrite(t[i].data, sizeof(float), count, a.f) == count;
    }
    if (!ok) {
        st = dlc_fail(err, DLC_EIO, "%s: write failed: %s", path, strerror(errno));
        goto cleanup; /* the abort below removes the temporary */
    }
    st = io_atomic_commit(&a, err);
cleanup:
    io_atomic_abort(&a);
    dlc_buf_free(&h);
    dlc_index_free(&names);
    return st;
}

/* ---- reading ---- */

void io_st_free(io_st *st)
{
    if (!st)
        return;
    for (int i = 0; i < st->n; i++)
        free((char *)st->t[i].name);
    for (int i = 0; i < st->n_meta; i++) {
        free((char *)st->meta[i].key);
        free((char *)st->meta[i].value);
    }
    free(st->t);
    free(st->meta);
    free(st->block);
    dlc_index_free(&st->by_name);
    free(st);
}

int io_st_count(const io_st *st)
{
    return st ? st->n : 0;
}

const io_tensor *io_st_at(const io_st *st, int k)
{
    if (!st || k < 0 || k >= st->n)
        return NULL;
    return &st->t[k];
}

const io_tensor *io_st_get(const io_st *st, const char *name)
{
    int i = st ? dlc_index_get(&st->by_name, name) : -1;
    return i >= 0 ? &st->t[i] : NULL;
}

const char *io_st_meta(const io_st *st, const char *key)
{
    for (int i = 0; st && i < st->n_meta; i++)
        if (strcmp(st->meta[i].key, key) == 0)
            return st->meta[i].value;
    return NULL;
}

int io_st_meta_count(const io_st *st)
{
    return st ? st->n_meta : 0;
}

const io_meta *io_st_meta_at(const io_st *st, int k)
{
    if (!st || k < 0 || k >= st->n_meta)
        return NULL;
    return &st->meta[k];
}

/* Byte range of one tensor, relative to the data section. */
typedef struct {
    uint64_t begin, end;
    int index;
} st_range;

static int range_cmp(const void *a, const void *b)
{
    const st_range *x = a, *y = b;
    if (x->begin != y->begin)
        return x->begin < y->begin ? -1 : 1;
    if (x->end != y->end)
        return x->end < y->end ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index); /* stable messages */
}

static dlc_status parse_metadata(io_st *st, const char *name, const json_value *m,
                                 dlc_error *err)
{
    char nb[128];
    if (m->type != JSON_OBJECT)
        return dlc_fail(err, DLC_EINPUT, "%s: \"__metadata__\" must be an object of strings",
                        name);
    st->meta = calloc(m->n ? (size_t)m->n : 1, sizeof *st->meta);
    if (!st->meta)
        return DLC_NOMEM(err);
    for (int i = 0; i < m->n; i++) {
        if (m->items[i]->type != JSON_STRING)
            return dlc_fail(err, DLC_EINPUT, "%s: metadata '%s': value must be a string", name,
                            show(m->keys[i], nb, sizeof nb));
        io_meta *e = &st->meta[st->n_meta];
        e->key = strdup(m->keys[i]);
        e->value = e->key ? strdup(m->items[i]->string) : NULL;
        if (!e->key || !e->value) {
            free((char *)e->key);
            e->key = NULL;
            return DLC_NOMEM(err);
        }
        st->n_meta++;
    }
    return DLC_OK;
}

/* Checks one header entry and fills x (name left NULL) and r. */
static dlc_status parse_entry(const char *name, const char *tname, const json_value *e,
                              uint64_t data_len, io_tensor *x, st_range *r, dlc_error *err)
{
    char nb[128], db[64];
    const char *tn = show(tname, nb, sizeof nb);
    if (e->type != JSON_OBJECT)
        return dlc_fail(err, DLC_EINPUT, "%s: tensor '%s': entry must be an object", name, tn);
    for (int k = 0; k < e->n; k++) {
        const char *key = e->keys[k];
        if (strcmp(key, "dtype") && strcmp(key, "shape") && strcmp(key, "data_offsets"))
            return dlc_fail(err, DLC_EINPUT,
                            "%s: tensor '%s': unknown key '%s' (expected dtype, shape, "
                            "data_offsets)",
                            name, tn, show(key, db, sizeof db));
    }
    const json_value *dtype = json_get(e, "dtype");
    const json_value *shape = json_get(e, "shape");
    const json_value *offs = json_get(e, "data_offsets");
    if (!dtype || !shape || !offs)
        return dlc_fail(err, DLC_EINPUT, "%s: tensor '%s': missing \"%s\"", name, tn,
                        !dtype ? "dtype" : !shape ? "shape" : "data_offsets");
    if (dtype->type != JSON_STRING)
        return dlc_fail(err, DLC_EINPUT, "%s: tensor '%s': dtype must be a string", name, tn);
    if (strcmp(dtype->string, "F32") != 0)
        return dlc_fail(err, DLC_EINPUT,
                        "%s: tensor '%s': dtype %s is not supported (dlc reads F32 only)", name,
                        tn, show(dtype->string, db, sizeof db));
    if (shape->type != JSON_ARRAY)
        return dlc_fail(err, DLC_EINPUT, "%s: tensor '%s': shape must be an array", name, tn);
    if (shape->n > TENSOR_MAX_DIMS)
        return dlc_fail(err, DLC_EINPUT, "%s: tensor '%s': %d dimensions (dlc supports up to %d)",
                        name, tn, shape->n, TENSOR_MAX_DIMS);
    uint64_t count = 1;
    int overflow = 0;
    x->shape.ndim = shape->n;
    for (int k = 0; k < shape->n; k++) {
        uint64_t d;
        if (!json_uint(shape->items[k], INT_MAX, &d))
            return dlc_fail(err, DLC_EINPUT,
                            "%s: tensor '%s': shape[%d] must be an integer in [0, %d]", name, tn,
                            k, INT_MAX);
        x->shape.d[k] = (int)d;
        if (!overflow && __builtin_mul_overflow(count, d, &count))
            overflow = 1;
    }
    /* a zero dimension makes the product 0 even after an overflow */
    for (int k = 0; k < shape->n; k++)
        if (x->shape.d[k] == 0)
            overflow = 0, count = 0;
    if (overflow || count > SIZE_MAX / sizeof(float))
        return dlc_fail(err, DLC_EINPUT, "%s: tensor '%s': shape too large", name, tn);
    if (offs->type != JSON_ARRAY || offs->n != 2 || !json_uint(offs->items[0], ST_MAX_INT, &r->begin) ||
        !json_uint(offs->items[1], ST_MAX_INT, &r->end))
        return dlc_fail(err, DLC_EINPUT,
                        "%s: tensor '%s': data_offsets must be two non-negative integers", name,
                        tn);
    if (r->begin > r->end)
        return dlc_fail(err, DLC_EINPUT, "%s: tensor '%s': data_offsets [%llu, %llu] are reversed",
                        name, tn, (unsigned long long)r->begin, (unsigned long long)r->end);
    if (r->end > data_len)
        return dlc_fail(err, DLC_EINPUT,
                        "%s: tensor '%s': data_offsets [%llu, %llu] run past the data section "
                        "(%llu bytes; file truncated?)",
                        name, tn, (unsigned long long)r->begin, (unsigned long long)r->end,
                        (unsigned long long)data_len);
    if (r->end - r->begin != count * sizeof(float)) {
        char sb[96];
        return dlc_fail(err, DLC_EINPUT,
                        "%s: tensor '%s': shape %s needs %llu bytes but data_offsets hold %llu",
                        name, tn, tensor_shape_str(&x->shape, sb, sizeof sb),
                        (unsigned long long)(count * sizeof(float)),
                        (unsigned long long)(r->end - r->begin));
    }
    return DLC_OK;
}

/* Parses bytes[0..len).  When owned is not NULL it is the malloc'ed buffer
 * holding bytes; st keeps it (sets *taken) if every tensor in it is aligned
 * for float, otherwise the data is copied into an aligned block. */
/* 1 when the 8 bytes that give a header's length are text: a YAML config, a
 * CSV file given where a model goes. */
static int is_text(const unsigned char *b)
{
    int text = 1;
    for (int k = 0; k < 8; k++)
        text &= (b[k] >= 0x20 && b[k] < 0x7f) || b[k] == '\n' || b[k] == '\t' || b[k] == '\r';
    return text;
}

static dlc_status text_given(const char *name, dlc_error *err)
{
    return dlc_fail(err, DLC_EINPUT,
                    "%s: not a model file: it is text (a config? train it with dlc train, then "
                    "give its run folder)",
                    name);
}

static dlc_status st_build(io_st **out, const char *name, const unsigned char *bytes, size_t len,
                           void *owned, int *taken, dlc_error *err)
{
    io_st *st = NULL;
    json_value *h = NULL;
    st_range *r = NULL;
    dlc_status s = DLC_OK;
    char nb[128], nb2[128];

    *out = NULL;
    if (taken)
        *taken = 0;
    if (len < 8) {
        s = dlc_fail(err, DLC_EINPUT,
                     "%s: not a safetensors file: %zu bytes, shorter than the 8-byte header "
                     "length",
                     name, len);
        goto cleanup;
    }
    uint64_t hlen = 0;
    for (int k = 0; k < 8; k++)
        hlen |= (uint64_t)bytes[k] << (8 * k);
    if (hlen > ST_MAX_HEADER && is_text(bytes)) {
        s = text_given(name, err);
        goto cleanup;
    }
    if (hlen > ST_MAX_HEADER) {
        s = dlc_fail(err, DLC_EINPUT,
                     "%s: header length %llu is over the 100 MB limit (not a safetensors file?)",
                     name, (unsigned long long)hlen);
        goto cleanup;
    }
    if (hlen > len - 8) {
        s = dlc_fail(err, DLC_EINPUT,
                     "%s: header length %llu is larger than the rest of the file (%zu bytes; "
                     "truncated?)",
                     name, (unsigned long long)hlen, len - 8);
        goto cleanup;
    }
    const unsigned char *data = bytes + 8 + hlen;
    uint64_t data_len = len - 8 - hlen;

    if ((s = json_parse(&h, (const char *)bytes + 8, (size_t)hlen, err)) != DLC_OK) {
        dlc_error_prefix(err, "%s: header", name); /* offsets count from file byte 8 */
        goto cleanup;
    }
    if (h->type != JSON_OBJECT) {
        s = dlc_fail(err, DLC_EINPUT, "%s: header must be a JSON object", name);
        goto cleanup;
    }

    st = calloc(1, sizeof *st);
    r = malloc(sizeof *r * (h->n ? (size_t)h->n : 1));
    if (!st || !r) {
        s = DLC_NOMEM(err);
        goto cleanup;
    }
    st->t = calloc(h->n ? (size_t)h->n : 1, sizeof *st->t);
    if (!st->t) {
        s = DLC_NOMEM(err);
        goto cleanup;
    }
    for (int i = 0; i < h->n; i++) {
        if (strcmp(h->keys[i], "__metadata__") == 0) {
            if ((s = parse_metadata(st, name, h->items[i], err)) != DLC_OK)
                goto cleanup;
            continue;
        }
        io_tensor *x = &st->t[st->n];
        if ((s = parse_entry(name, h->keys[i], h->items[i], data_len, x, &r[st->n], err)) !=
            DLC_OK)
            goto cleanup;
        r[st->n].index = st->n;
        x->name = strdup(h->keys[i]);
        if (!x->name) {
            s = DLC_NOMEM(err);
            goto cleanup;
        }
        st->n++;
    }

    /* names are unique (the JSON parser refuses a key twice) */
    if ((s = dlc_index_init(&st->by_name, (size_t)st->n, err)) != DLC_OK)
        goto cleanup;
    for (int i = 0; i < st->n; i++)
        dlc_index_put(&st->by_name, st->t[i].name, i);

    /* no two non-empty ranges may share a byte */
    qsort(r, (size_t)st->n, sizeof *r, range_cmp);
    int prev = -1;
    for (int i = 0; i < st->n; i++) {
        if (r[i].begin == r[i].end)
            continue;
        if (prev >= 0 && r[i].begin < r[prev].end) {
            s = dlc_fail(err, DLC_EINPUT,
                         "%s: tensors '%s' and '%s' overlap (data_offsets [%llu, %llu] and "
                         "[%llu, %llu])",
                         name, show(st->t[r[prev].index].name, nb, sizeof nb),
                         show(st->t[r[i].index].name, nb2, sizeof nb2),
                         (unsigned long long)r[prev].begin, (unsigned long long)r[prev].end,
                         (unsigned long long)r[i].begin, (unsigned long long)r[i].end);
            goto cleanup;
        }
        prev = i;
    }

    /* data pointers: into the file buffer when every tensor is aligned there,
     * otherwise into an aligned copy (files from other writers need not pad
     * their header; bytes from a caller may sit anywhere) */
    int aligned = owned != NULL;
    for (int i = 0; aligned && i < st->n; i++)
        if ((uintptr_t)(data + r[i].begin) % _Alignof(float) != 0)
            aligned = 0;
    if (aligned) {
        st->block = owned;
        *taken = 1;
        for (int i = 0; i < st->n; i++)
            st->t[r[i].index].data = (const float *)(const void *)(data + r[i].begin);
    } else {
        size_t total = 0;
        for (int i = 0; i < st->n; i++)
            total += round_up((size_t)(r[i].end - r[i].begin), ST_ALIGN);
        /* total <= data_len + ST_ALIGN * n: bounded by the file size */
        st->block = aligned_alloc(ST_ALIGN, total ? total : ST_ALIGN);
        if (!st->block) {
            s = DLC_NOMEM(err);
            goto cleanup;
        }
        unsigned char *dst = st->block;
        for (int i = 0; i < st->n; i++) {
            size_t nbytes = (size_t)(r[i].end - r[i].begin);
            memcpy(dst, data + r[i].begin, nbytes);
            st->t[r[i].index].data = (const float *)(void *)dst;
            dst += round_up(nbytes, ST_ALIGN);
        }
    }
    *out = st;
    st = NULL;
cleanup:
    io_st_free(st);
    json_free(h);
    free(r);
    return s;
}

dlc_status io_safetensors_parse(io_st **out, const char *name, const unsigned char *bytes,
                                size_t len, dlc_error *err)
{
    return st_build(out, name, bytes, len, NULL, NULL, err);
}

dlc_status io_safetensors_read(io_st **out, const char *path, dlc_error *err)
{
    char *buf = NULL;
    size_t len = 0;
    int taken = 0;
    *out = NULL;
    dlc_status s = dlc_read_file_max(path, DLC_DATA_MAX, &buf, &len, err);
    if (s != DLC_OK)
        return s;
    s = st_build(out, path, (const unsigned char *)buf, len, buf, &taken, err);
    if (!taken)
        free(buf);
    return s;
}

dlc_status io_safetensors_read_meta(const char *path, const char *key, char **value, dlc_error *err)
{
    *value = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return dlc_fail(err, DLC_EIO, "%s: cannot open: %s", path, strerror(errno));
    unsigned char b[8];
    char *head = NULL;
    json_value *h = NULL;
    dlc_status s = DLC_OK;
    uint64_t hlen = 0;
    long size = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    rewind(f);
    if (size < 8 || fread(b, 1, 8, f) != 8) {
        s = dlc_fail(err, DLC_EINPUT, "%s: not a safetensors file: shorter than the 8-byte header length",
                     path);
        goto cleanup;
    }
    for (int k = 0; k < 8; k++)
        hlen |= (uint64_t)b[k] << (8 * k);
    if (hlen > ST_MAX_HEADER && is_text(b)) {
        s = text_given(path, err);
        goto cleanup;
    }
    if (hlen > ST_MAX_HEADER || hlen > (uint64_t)size - 8) {
        s = dlc_fail(err, DLC_EINPUT, "%s: not a safetensors file (header length %llu, file %ld bytes)",
                     path, (unsigned long long)hlen, size);
        goto cleanup;
    }
    if (!(head = malloc(hlen ? (size_t)hlen : 1))) {
        s = DLC_NOMEM(err);
        goto cleanup;
    }
    if (fread(head, 1, (size_t)hlen, f) != (size_t)hlen) {
        s = dlc_fail(err, DLC_EIO, "%s: cannot read its header", path);
        goto cleanup;
    }
    if ((s = json_parse(&h, head, (size_t)hlen, err)) != DLC_OK) {
        dlc_error_prefix(err, "%s: header", path);
        goto cleanup;
    }
    const json_value *v = json_get(json_get(h, "__metadata__"), key);
    if (v && v->type == JSON_STRING && !(*value = strdup(v->string)))
        s = DLC_NOMEM(err);
cleanup:
    json_free(h);
    free(head);
    fclose(f);
    return s;
}
