/* idx.c - the IDX format (MNIST, Fashion-MNIST): plain or gzip-compressed.
 *
 * An IDX file is: two zero bytes, a type byte, a dimension count nd, nd
 * big-endian uint32 sizes, then the values in row-major order.  We accept
 * unsigned bytes (type 0x08) only, which is what image and label files use:
 *   images (n, H, W)    -> dataset of n examples of shape (1, H, W)
 *   images (n, C, H, W) -> shape (C, H, W)
 *   images (n, D)       -> shape (D)
 *   labels (n)          -> one float target per example
 * Images stay uint8 in memory (data_gather converts them per batch).
 *
 * Letters: n examples, D values per example (dim).
 */
#include "data.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

enum { IDX_UBYTE = 0x08, IDX_MAX_DIMS = 4 };

typedef struct {
    int type;
    int ndim;
    uint32_t d[IDX_MAX_DIMS];
    size_t header;   /* bytes before the data */
} idx_header;

static const char *idx_type_name(int type)
{
    switch (type) {
    case 0x08: return "unsigned byte";
    case 0x09: return "signed byte";
    case 0x0B: return "short";
    case 0x0C: return "int";
    case 0x0D: return "float";
    case 0x0E: return "double";
    default: return "unknown";
    }
}

static uint32_t be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* Reads and checks the header; what = "images" or "labels" for messages. */
static dlc_status idx_read_header(idx_header *h, const char *name, const char *what,
                                  const uint8_t *p, size_t len, int min_dims, int max_dims,
                                  dlc_error *err)
{
    if (len < 4)
        return dlc_fail(err, DLC_EINPUT, "%s: not an IDX %s file: only %zu bytes, too short for a header",
                        name, what, len);
    if (p[0] != 0 || p[1] != 0)
        return dlc_fail(err, DLC_EINPUT,
                        "%s: not an IDX %s file: bad magic %02x %02x %02x %02x (expected 00 00 08 nd)",
                        name, what, p[0], p[1], p[2], p[3]);
    h->type = p[2];
    h->ndim = p[3];
    if (h->type != IDX_UBYTE)
        return dlc_fail(err, DLC_EINPUT,
                        "%s: IDX %s have data type 0x%02x (%s); only unsigned bytes (0x08) are supported",
                        name, what, h->type, idx_type_name(h->type));
    if (h->ndim < min_dims || h->ndim > max_dims) {
        if (min_dims == max_dims)
            return dlc_fail(err, DLC_EINPUT, "%s: IDX %s have %d dimension%s, expected %d", name,
                            what, h->ndim, h->ndim == 1 ? "" : "s", min_dims);
        return dlc_fail(err, DLC_EINPUT, "%s: IDX %s have %d dimension%s, expected %d to %d", name,
                        what, h->ndim, h->ndim == 1 ? "" : "s", min_dims, max_dims);
    }
    h->header = 4 + 4 * (size_t)h->ndim;
    if (len < h->header)
        return dlc_fail(err, DLC_EINPUT, "%s: IDX header truncated: %d dimensions need %zu bytes, file has %zu",
                        name, h->ndim, h->header, len);
    for (int i = 0; i < h->ndim; i++) {
        h->d[i] = be32(p + 4 + 4 * i);
        if (h->d[i] == 0)
            return dlc_fail(err, DLC_EINPUT, "%s: IDX %s dimension %d is 0", name, what, i);
        if (h->d[i] > INT_MAX)
            return dlc_fail(err, DLC_EINPUT, "%s: IDX %s dimension %d is %u, too large", name, what, i,
                            h->d[i]);
    }
    return DLC_OK;
}

/* Checks that the data after the header is exactly n * dim bytes.  The
 * product is formed step by step so a lying header cannot overflow it. */
static dlc_status idx_check_size(const idx_header *h, const char *name, const char *what,
                                 size_t len, size_t *dim, dlc_error *err)
{
    size_t have = len - h->header;
    size_t per = 1;
    for (int i = 1; i < h->ndim; i++) {
        if ((size_t)h->d[i] > (size_t)INT_MAX / per)
            return dlc_fail(err, DLC_EINPUT, "%s: IDX %s of %zu x %u values per example: too large",
                            name, what, per, h->d[i]);
        per *= h->d[i];
    }
    if ((size_t)h->d[0] > SIZE_MAX / per || (size_t)h->d[0] * per != have) {
        if ((size_t)h->d[0] > SIZE_MAX / per)
            return dlc_fail(err, DLC_EINPUT, "%s: expected %u x %zu bytes of %s data, found %zu", name,
                            h->d[0], per, what, have);
        return dlc_fail(err, DLC_EINPUT, "%s: expected %zu bytes of %s data, found %zu", name,
                        (size_t)h->d[0] * per, what, have);
    }
    *dim = per;
    return DLC_OK;
}

/* Parses; when *steal is img (a malloc'd buffer), the image bytes are moved
 * to its front and the buffer becomes the dataset's u8 (*steal set to NULL),
 * which saves a copy of the largest array. */
static dlc_status idx_parse(dataset **out, const char *images_name, const uint8_t *img,
                            size_t img_len, const char *labels_name, const uint8_t *lab,
                            size_t lab_len, long limit, uint8_t **steal, dlc_error *err)
{
    dlc_status st = DLC_OK;
    dataset *ds = NULL;
    idx_header hi, hl;
    size_t dim = 0, one = 0;
    *out = NULL;

    if (limit < 0)
        return dlc_fail(err, DLC_EINPUT, "%s: limit must be >= 0, got %ld", images_name, limit);
    if ((st = idx_read_header(&hi, images_name, "images", img, img_len, 2, IDX_MAX_DIMS, err)))
        return st;
    if ((st = idx_check_size(&hi, images_name, "image", img_len, &dim, err)))
        return st;
    if ((st = idx_read_header(&hl, labels_name, "labels", lab, lab_len, 1, 1, err)))
        return st;
    if ((st = idx_check_size(&hl, labels_name, "label", lab_len, &one, err)))
        return st;
    if (hl.d[0] != hi.d[0])
        return dlc_fail(err, DLC_EINPUT, "%s: %u labels, but %s has %u images", labels_name,
                        hl.d[0], images_name, hi.d[0]);

    int n = (int)hi.d[0];
    if (limit > 0 && limit < n)
        n = (int)limit;

    ds = calloc(1, sizeof *ds);
    if (!ds)
        return DLC_NOMEM(err);
    dlc_strlcpy(ds->path, images_name, sizeof ds->path);
    ds->n = n;
    ds->dim = dim;
    if (hi.ndim == 2) {
        ds->shape.ndim = 1;
        ds->shape.d[0] = (int)hi.d[1];
    } else if (hi.ndim == 3) {
        ds->shape.ndim = 3;
        ds->shape.d[0] = 1;
        ds->shape.d[1] = (int)hi.d[1];
        ds->shape.d[2] = (int)hi.d[2];
    } else {
        ds->shape.ndim = 3;
        for (int i = 0; i < 3; i++)
            ds->shape.d[i] = (int)hi.d[i + 1];
    }
    ds->n_targets = 1;
    ds->targets = malloc(sizeof(float) * (size_t)n);   /* (n, 1) */
    if (!ds->targets) {
        st = DLC_NOMEM(err);
        goto cleanup;
    }
    for (int i = 0; i < n; i++)
        ds->targets[i] = (float)lab[hl.header + (size_t)i];

    size_t bytes = (size_t)n * dim;
    if (steal && *steal == img) {
        uint8_t *buf = *steal;
        memmove(buf, buf + hi.header, bytes);
        uint8_t *shrunk = realloc(buf, bytes ? bytes : 1);
        ds->u8 = shrunk ? shrunk : buf;   /* a failed shrink keeps the larger block */
        *steal = NULL;
    } else {
        ds->u8 = malloc(bytes ? bytes : 1);   /* (n, dim) */
        if (!ds->u8) {
            st = DLC_NOMEM(err);
            goto cleanup;
        }
        memcpy(ds->u8, img + hi.header, bytes);
    }
    *out = ds;
    ds = NULL;

cleanup:
    data_dataset_free(ds);
    return st;
}

dlc_status data_parse_idx(dataset **out, const char *images_name, const uint8_t *img, size_t img_len,
                          const char *labels_name, const uint8_t *lab, size_t lab_len, long limit,
                          dlc_error *err)
{
    return idx_parse(out, images_name, img, img_len, labels_name, lab, lab_len, limit, NULL, err);
}

/* Reads a whole file, inflating it when it starts with the gzip magic
 * (1f 8b), whatever its name.  *truncated is set when a gzip stream ends
 * before its trailer: the bytes read so far are returned, so the IDX size
 * check can say how much is missing. */
/* zlib's message, without the "path: " it starts with */
static const char *idx_gz_msg(gzFile g, const char *path)
{
    int errnum = 0;
    const char *msg = gzerror(g, &errnum);
    size_t n = strlen(path);
    if (!msg)
        return "?";
    if (strncmp(msg, path, n) == 0 && msg[n] == ':' && msg[n + 1] == ' ')
        msg += n + 2;
    return msg;
}

static dlc_status idx_read_file(const char *path, uint8_t **out, size_t *len, int *truncated,
                                dlc_error *err)
{
    dlc_status st = DLC_OK;
    uint8_t *buf = NULL;
    gzFile g = NULL;
    *out = NULL;
    *len = 0;
    *truncated = 0;

    FILE *f = fopen(path, "rb");
    if (!f)
        return dlc_fail(err, DLC_EINPUT, "%s: cannot open: %s", path, strerror(errno));
    uint8_t magic[2] = {0, 0};
    size_t got = fread(magic, 1, 2, f);
    fclose(f);
    if (got < 2 || magic[0] != 0x1f || magic[1] != 0x8b) {
        char *text = NULL;
        st = dlc_read_file(path, &text, len, err);
        *out = (uint8_t *)text;
        return st;
    }

    g = gzopen(path, "rb");
    if (!g)
        return dlc_fail(err, DLC_EINPUT, "%s: cannot open: %s", path, strerror(errno));
    gzbuffer(g, 1 << 17);
    size_t cap = 1 << 20, n = 0;
    buf = malloc(cap);
    if (!buf) {
        st = DLC_NOMEM(err);
        goto cleanup;
    }
    for (;;) {
        if (n == cap) {
            if (cap > SIZE_MAX / 2) {
                st = dlc_fail(err, DLC_EINPUT, "%s: decompressed data too large", path);
                goto cleanup;
            }
            uint8_t *nb = realloc(buf, cap * 2);
            if (!nb) {
                st = DLC_NOMEM(err);
                goto cleanup;
            }
            buf = nb;
            cap *= 2;
        }
        size_t want = cap - n;
        if (want > (size_t)INT_MAX)
            want = (size_t)INT_MAX;
        int r = gzread(g, buf + n, (unsigned)want);
        if (r < 0) {
            st = dlc_fail(err, DLC_EINPUT, "%s: corrupt gzip data (%s)", path, idx_gz_msg(g, path));
            goto cleanup;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    int errnum = Z_OK;
    gzerror(g, &errnum);
    if (errnum == Z_BUF_ERROR) {
        *truncated = 1;
    } else if (errnum != Z_OK) {
        st = dlc_fail(err, DLC_EINPUT, "%s: corrupt gzip data (%s)", path, idx_gz_msg(g, path));
        goto cleanup;
    }
    *out = buf;
    *len = n;
    buf = NULL;

cleanup:
    if (g)
        gzclose_r(g);
    free(buf);
    return st;
}

dlc_status data_read_idx(dataset **out, const char *images, const char *labels, long limit,
                         dlc_error *err)
{
    dlc_status st;
    uint8_t *img = NULL, *lab = NULL;
    size_t img_len = 0, lab_len = 0;
    int img_trunc = 0, lab_trunc = 0;
    *out = NULL;

    if ((st = idx_read_file(images, &img, &img_len, &img_trunc, err)))
        goto cleanup;
    if ((st = idx_read_file(labels, &lab, &lab_len, &lab_trunc, err)))
        goto cleanup;
    st = idx_parse(out, images, img, img_len, labels, lab, lab_len, limit, &img, err);
    if (st == DLC_OK && (img_trunc || lab_trunc)) {
        /* every value was there, but the gzip trailer (its checksum) was not */
        data_dataset_free(*out);
        *out = NULL;
        st = dlc_fail(err, DLC_EINPUT, "%s: gzip stream ends early (truncated file?)",
                      img_trunc ? images : labels);
    } else if (st == DLC_EINPUT && (img_trunc || lab_trunc) && err) {
        size_t used = strlen(err->msg);
        snprintf(err->msg + used, sizeof err->msg - used, " (the gzip stream of %s ends early: truncated file?)",
                 img_trunc ? images : labels);
    }

cleanup:
    free(img);
    free(lab);
    return st;
}

void data_dataset_free(dataset *d)
{
    if (!d)
        return;
    free(d->u8);
    free(d->f32);
    free(d->targets);
    dlc_strlist_clear(&d->columns);
    free(d->source);
    free(d);
}
