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
#include "data_internal.h"

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
        /* labels have one dimension, images two or more: the other kind of
         * file, most likely given in the other's place */
        const char *swapped = (h->ndim == 1) != (min_dims == 1)
                                  ? " (is it the other file? data.*.images and labels may be swapped)"
                                  : "";
        if (min_dims == max_dims)
            return dlc_fail(err, DLC_EINPUT, "%s: IDX %s have %d dimension%s, expected %d%s", name,
                            what, h->ndim, h->ndim == 1 ? "" : "s", min_dims, swapped);
        return dlc_fail(err, DLC_EINPUT, "%s: IDX %s have %d dimension%s, expected %d to %d%s", name,
                        what, h->ndim, h->ndim == 1 ? "" : "s", min_dims, max_dims, swapped);
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
static dlc_status idx_read_file(const char *path, uint8_t **out, size_t *len, int *truncated,
                                dlc_error *err)
{
    dlc_status st = DLC_OK;
    uint8_t *buf = NULL;
    gzFile g = NULL;
    *out = NULL;
    *len = 0;
    *truncated = 0;

    char *text = NULL;
    if ((st = data_gz_open(path, &g, &text, len, err)) != DLC_OK || !g) {
        *out = (uint8_t *)text;
        return st;
    }
    gzbuffer(g, 1 << 17);
    /* The header first: it says how many bytes follow, and inflating stops
     * one byte past that (enough to see extra data), so a small file cannot
     * inflate into gigabytes before its header is checked. */
    uint8_t head[4 + 4 * IDX_MAX_DIMS];
    size_t n = 0, want = 4;
    int r = gzread(g, head, 4);
    if (r < 0) {
        st = dlc_fail(err, DLC_EINPUT, "%s: corrupt gzip data (%s)", path, data_gz_msg(g, NULL));
        goto cleanup;
    }
    n = (size_t)r;
    size_t promised = 0; /* header + data, 0 when the header is not one we read */
    if (n == 4 && head[0] == 0 && head[1] == 0 && head[3] >= 1 && head[3] <= IDX_MAX_DIMS) {
        size_t hb = 4 + 4 * (size_t)head[3];
        r = gzread(g, head + 4, (unsigned)(hb - 4));
        if (r < 0) {
            st = dlc_fail(err, DLC_EINPUT, "%s: corrupt gzip data (%s)", path, data_gz_msg(g, NULL));
            goto cleanup;
        }
        n += (size_t)r;
        if (n == hb) {
            promised = hb;
            size_t data = 1;
            for (int i = 0; i < head[3] && promised; i++) {
                uint32_t d = be32(head + 4 + 4 * i);
                if (d != 0 && data > DLC_DATA_MAX / d)
                    promised = 0; /* idx_parse names the dimension, or the limit below */
                else
                    data *= d;
            }
            if (promised && data > DLC_DATA_MAX - hb) {
                st = dlc_fail(err, DLC_EINPUT, "%s: the IDX header promises more than %zu bytes of "
                              "data, more than dlc reads", path, DLC_DATA_MAX);
                goto cleanup;
            }
            if (promised)
                promised += data;
        }
    }
    want = promised ? promised + 1 : n;
    size_t cap = want < ((size_t)1 << 20) ? want : ((size_t)1 << 20);
    buf = malloc(cap ? cap : 1);
    if (!buf) {
        st = DLC_NOMEM(err);
        goto cleanup;
    }
    memcpy(buf, head, n);
    while (n < want) {
        if (n == cap) {
            size_t nc = cap * 2 < want ? cap * 2 : want;
            uint8_t *nb = realloc(buf, nc);
            if (!nb) {
                st = DLC_NOMEM(err);
                goto cleanup;
            }
            buf = nb;
            cap = nc;
        }
        size_t ask = cap - n;
        if (ask > (size_t)INT_MAX)
            ask = (size_t)INT_MAX;
        r = gzread(g, buf + n, (unsigned)ask);
        if (r < 0) {
            st = dlc_fail(err, DLC_EINPUT, "%s: corrupt gzip data (%s)", path, data_gz_msg(g, NULL));
            goto cleanup;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    if (promised && n > promised) {
        st = dlc_fail(err, DLC_EINPUT, "%s: more data than the %zu bytes its IDX header promises",
                      path, promised);
        goto cleanup;
    }
    int errnum = Z_OK;
    gzerror(g, &errnum);
    if (errnum == Z_BUF_ERROR) {
        *truncated = 1;
    } else if (errnum != Z_OK) {
        st = dlc_fail(err, DLC_EINPUT, "%s: corrupt gzip data (%s)", path, data_gz_msg(g, NULL));
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
    dlc_strlist_clear(&d->categorical);
    free(d->source);
    free(d->row);
    dlc_strlist_clear(&d->files);
    dlc_strlist_clear(&d->texts);
    free(d);
}

int data_file_row(const dataset *d, int i)
{
    return d && d->row ? d->row[i] : i;
}
