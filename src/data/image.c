/* image.c - image files through stb_image: decoding, channel conversion,
 * resizing (stb_image_resize), and folders of class subfolders.
 *
 * An image becomes (C, H, W) bytes, channel-major like the rest of dlc:
 * C = 1 is gray (stb_image's luma from RGB), C = 3 is RGB (gray is
 * replicated), alpha is dropped.  An image of another size is resized with
 * stb_image_resize's default filter.  The same function serves training
 * data and `dlc predict`, so a model sees a file exactly as it was trained.
 * A JPEG's Exif Orientation tag is applied after decoding (a phone photo
 * stored sideways is seen upright, as viewers and browsers show it); the
 * image's height and width are then those it is shown with.
 *
 * A folder dataset: DIR/<class>/<file>; classes are the subfolder names in
 * sorted (byte) order, files are read in sorted order, hidden entries and
 * files without an image extension are ignored.
 *
 * Letters: (C, H, W) per example, D = C*H*W, n examples.
 */
#include "data.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <stb_image.h>
#include <stb_image_resize.h>

int data_image_name(const char *name)
{
    /* the names of every format stb_image knows, not only those dlc reads:
     * a folder's .hdr or .tga file is listed, then refused by its content
     * with a reason, rather than passed over in silence */
    static const char *const ext[] = {".png",  ".jpg",  ".jpeg", ".bmp", ".gif", ".tga",
                                      ".pgm",  ".ppm",  ".pnm",  ".psd", ".hdr", ".pic",
                                      /* and common formats stb cannot read at all */
                                      ".webp", ".tif",  ".tiff", ".heic", ".heif", ".avif",
                                      NULL};
    size_t n = strlen(name);
    for (int i = 0; ext[i]; i++) {
        size_t e = strlen(ext[i]);
        if (n > e && strcasecmp(name + n - e, ext[i]) == 0)
            return 1;
    }
    return 0;
}

/* ---- what a file is, by its first bytes ---- */

typedef enum { IMG_PNG, IMG_JPEG, IMG_BMP, IMG_GIF, IMG_NONE } image_format;

static image_format image_sniff(const uint8_t *p, size_t n, const char **other)
{
    *other = NULL;
    if (n >= 8 && memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0)
        return IMG_PNG;
    if (n >= 3 && p[0] == 0xFF && p[1] == 0xD8 && p[2] == 0xFF)
        return IMG_JPEG;
    if (n >= 2 && p[0] == 'B' && p[1] == 'M')
        return IMG_BMP;
    if (n >= 6 && (memcmp(p, "GIF87a", 6) == 0 || memcmp(p, "GIF89a", 6) == 0))
        return IMG_GIF;
    /* name the formats stb_image could read but dlc refuses, so the message
     * says why rather than "unknown" */
    if (n >= 2 && (memcmp(p, "#?", 2) == 0))
        *other = "a Radiance HDR image";
    else if (n >= 4 && memcmp(p, "8BPS", 4) == 0)
        *other = "a Photoshop (PSD) image";
    else if (n >= 4 && memcmp(p, "\x53\x80\xF6\x34", 4) == 0)
        *other = "a Softimage PIC image";
    else if (n >= 2 && p[0] == 'P' && p[1] >= '1' && p[1] <= '7')
        *other = "a PNM/PGM/PPM image";
    /* and formats no decoder built in reads, common from cameras and the web */
    else if (n >= 12 && memcmp(p, "RIFF", 4) == 0 && memcmp(p + 8, "WEBP", 4) == 0)
        *other = "a WebP image";
    else if (n >= 4 && (memcmp(p, "II*\0", 4) == 0 || memcmp(p, "MM\0*", 4) == 0))
        *other = "a TIFF image";
    else if (n >= 12 && memcmp(p + 4, "ftyp", 4) == 0 &&
             (memcmp(p + 8, "avif", 4) == 0 || memcmp(p + 8, "avis", 4) == 0))
        *other = "an AVIF image";
    else if (n >= 12 && memcmp(p + 4, "ftyp", 4) == 0 &&
             (memcmp(p + 8, "heic", 4) == 0 || memcmp(p + 8, "heix", 4) == 0 ||
              memcmp(p + 8, "mif1", 4) == 0 || memcmp(p + 8, "msf1", 4) == 0))
        *other = "a HEIF/HEIC image";
    /* TGA has no signature up front: version 2 files end in one */
    else if (n >= 26 && memcmp(p + n - 18, "TRUEVISION-XFILE.", 18) == 0)
        *other = "a TGA image";
    return IMG_NONE;
}

static uint32_t rd_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static uint32_t rd_le32(const uint8_t *p)
{
    return ((uint32_t)p[3] << 24) | ((uint32_t)p[2] << 16) | ((uint32_t)p[1] << 8) | p[0];
}
static unsigned rd_le16(const uint8_t *p) { return (unsigned)p[0] | ((unsigned)p[1] << 8); }

/* ---- JPEG Exif orientation ---- */

/* The Orientation tag (0x0112, one SHORT, 1 to 8) of a TIFF structure's
 * first IFD (Exif's APP1 after "Exif\0\0"), t (n bytes); 0 when absent or
 * when anything about it is out of place (a malformed block is not an
 * error: the image is read as stored). */
static int exif_ifd0_orientation(const uint8_t *t, size_t n)
{
    if (n < 8)
        return 0;
    const int le = t[0] == 'I' && t[1] == 'I';
    if (!le && !(t[0] == 'M' && t[1] == 'M'))
        return 0;
#define EXIF16(q) (le ? (unsigned)(q)[0] | ((unsigned)(q)[1] << 8) : ((unsigned)(q)[0] << 8) | (q)[1])
#define EXIF32(q) (le ? rd_le32(q) : rd_be32(q))
    if (EXIF16(t + 2) != 42)
        return 0;
    const uint32_t ifd = EXIF32(t + 4);
    if (ifd < 8 || ifd > n - 2)
        return 0;
    const unsigned count = EXIF16(t + ifd);
    for (size_t k = 0; k < count; k++) {
        const size_t at = (size_t)ifd + 2 + 12 * k;
        if (at + 12 > n)
            return 0;
        const uint8_t *e = t + at; /* tag, type, count, value */
        if (EXIF16(e) != 0x0112)
            continue;
        const unsigned v = EXIF16(e + 8);
        return EXIF16(e + 2) == 3 && EXIF32(e + 4) == 1 && v >= 1 && v <= 8 ? (int)v : 0;
    }
    return 0;
#undef EXIF16
#undef EXIF32
}

/* A JPEG's Exif orientation (p, n bytes, a JPEG by its first bytes): the
 * marker segments before the first scan are walked for an APP1 Exif block;
 * 1 (as stored) without one.  Values as the Exif standard numbers them:
 * 2 mirrored, 3 turned 180 degrees, 4 flipped, 5 transposed, 6 to be turned
 * 90 degrees clockwise, 7 transversed, 8 to be turned 90 degrees
 * counter-clockwise. */
static int jpeg_orientation(const uint8_t *p, size_t n)
{
    size_t i = 2;
    while (i + 4 <= n) {
        if (p[i] != 0xFF)
            return 1;
        const uint8_t m = p[i + 1];
        if (m == 0xFF) { /* fill byte */
            i++;
            continue;
        }
        if (m == 0xDA || m == 0xD9) /* the tag comes before the image data */
            return 1;
        if ((m >= 0xD0 && m <= 0xD7) || m == 0x01 || m == 0xD8) {
            i += 2;
            continue;
        }
        const size_t len = ((size_t)p[i + 2] << 8) | p[i + 3];
        if (len < 2 || len > n - i - 2)
            return 1;
        if (m == 0xE1 && len - 2 >= 6 && memcmp(p + i + 4, "Exif\0\0", 6) == 0) {
            const int o = exif_ifd0_orientation(p + i + 10, len - 8);
            return o ? o : 1;
        }
        i += 2 + len;
    }
    return 1;
}

/* px (h, w, C) turned as Exif orientation o says, into a new buffer (malloc;
 * NULL when out of memory) of (*oh, *ow, C): orientations 5 to 8 swap the
 * sides.  Output pixel (x, y) takes input pixel (sx, sy). */
static unsigned char *image_orient(const unsigned char *px, int w, int h, int C, int o, int *ow,
                                   int *oh)
{
    const int swap = o >= 5;
    const int W = swap ? h : w, H = swap ? w : h;
    unsigned char *out = malloc((size_t)W * (size_t)H * (size_t)C);
    if (!out)
        return NULL;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            int sx, sy;
            switch (o) {
            case 2: sx = w - 1 - x; sy = y; break;
            case 3: sx = w - 1 - x; sy = h - 1 - y; break;
            case 4: sx = x; sy = h - 1 - y; break;
            case 5: sx = y; sy = x; break;
            case 6: sx = y; sy = h - 1 - x; break;
            case 7: sx = w - 1 - y; sy = h - 1 - x; break;
            case 8: sx = w - 1 - y; sy = x; break;
            default: sx = x; sy = y; break;
            }
            memcpy(out + ((size_t)y * (size_t)W + (size_t)x) * (size_t)C,
                   px + ((size_t)sy * (size_t)w + (size_t)sx) * (size_t)C, (size_t)C);
        }
    *ow = W;
    *oh = H;
    return out;
}

/* Truncation checks: each walks the file's structure far enough to know
 * that every byte the decoder will want is there; 0 when complete, 1 when
 * the file ends early, 2 when its structure is broken.  stb's
 * decoders read zeros past the end of their input, so without these a cut
 * file would decode "successfully" with its missing part black. */

/* PNG: chunks (length, type, data, CRC) up to IEND. */
static int png_truncated(const uint8_t *p, size_t n)
{
    size_t i = 8;
    while (i + 8 <= n) {
        size_t len = rd_be32(p + i);
        if (len > n - i - 8 || n - i - 8 - len < 4)
            return 1;
        if (memcmp(p + i + 4, "IEND", 4) == 0)
            return 0;
        i += 12 + len;
    }
    return 1;
}

/* A DHT segment's tables (class/id byte, 16 code counts, the symbols):
 * stb_image 2.27 trusts the counts, and more than 256 symbols in a table
 * write past its arrays (found by the image fuzzer); 0 when sound.  Each
 * table it defines sets bit class * 4 + id of *defined. */
static int jpeg_bad_dht(const uint8_t *p, size_t len, unsigned *defined)
{
    size_t i = 0;
    while (i < len) {
        if (len - i < 17 || (p[i] >> 4) > 1 || (p[i] & 15) > 3)
            return 1;
        size_t count = 0;
        for (int k = 1; k <= 16; k++)
            count += p[i + k];
        if (count > 256 || count > len - i - 17)
            return 1;
        *defined |= 1u << ((p[i] >> 4) * 4 + (p[i] & 15));
        i += 17 + count;
    }
    return 0;
}

/* An SOS header (its length, component count, then per component an id and
 * the DC / AC table ids, then Ss, Se, Ah/Al): 1 when a table the scan decodes
 * with was never defined.  stb_image 2.27 decodes with such a table's
 * zeroed limits, runs its code-length search past them and indexes its
 * symbols with what it finds there (found by the image fuzzer).  A
 * progressive scan uses the DC tables in a first DC scan (Ss 0, Ah 0), the AC
 * tables in AC scans (Ss > 0); a sequential one uses both. */
static int jpeg_bad_scan(const uint8_t *p, size_t len, unsigned defined, int progressive)
{
    if (len < 1)
        return 1;
    size_t ns = p[0];
    if (ns < 1 || len < 1 + 2 * ns + 3)
        return 1;
    int ss = p[1 + 2 * ns], ah = p[3 + 2 * ns] >> 4;
    int dc = !progressive || (ss == 0 && ah == 0), ac = !progressive || ss > 0;
    for (size_t k = 0; k < ns; k++) {
        int td = p[2 + 2 * k] >> 4, ta = p[2 + 2 * k] & 15;
        if ((dc && (td > 3 || !(defined >> td & 1u))) || (ac && (ta > 3 || !(defined >> (4 + ta) & 1u))))
            return 1;
    }
    return 0;
}

/* JPEG: marker segments; after each scan (SOS) its entropy-coded data runs
 * to the next marker that is not a stuffed byte (FF 00) or a restart
 * (FF D0..D7); complete when EOI (FF D9) follows a scan.  Returns 2 for a
 * broken structure: no marker where one must be, a Huffman table that
 * would overrun stb's (jpeg_bad_dht), or a scan decoded with a table never
 * defined (jpeg_bad_scan). */
static int jpeg_truncated(const uint8_t *p, size_t n)
{
    size_t i = 2;
    int scans = 0, progressive = 0;
    unsigned tables = 0; /* the Huffman tables defined so far: jpeg_bad_dht */
    for (;;) {
        if (i + 1 >= n)
            return 1;
        if (p[i] != 0xFF)
            return 2;
        uint8_t m = p[i + 1];
        if (m == 0xFF) { /* fill byte */
            i++;
            continue;
        }
        if (m == 0xD9)
            return scans == 0;
        if ((m >= 0xD0 && m <= 0xD7) || m == 0x01) {
            i += 2;
            continue;
        }
        if (i + 3 >= n)
            return 1;
        size_t len = ((size_t)p[i + 2] << 8) | p[i + 3];
        if (len < 2)
            return 2;
        if (len > n - i - 2)
            return 1;
        if (m == 0xC4 && jpeg_bad_dht(p + i + 4, len - 2, &tables))
            return 2;
        if (m == 0xC2)
            progressive = 1;
        if (m == 0xDA && jpeg_bad_scan(p + i + 4, len - 2, tables, progressive))
            return 2;
        i += 2 + len;
        if (m == 0xDA) {
            scans++;
            while (i + 1 < n && !(p[i] == 0xFF && p[i + 1] != 0 && !(p[i + 1] >= 0xD0 && p[i + 1] <= 0xD7)))
                i++;
        }
    }
}

/* BMP: the pixel rows (4-byte aligned) after the offset the header gives. */
static int bmp_truncated(const uint8_t *p, size_t n)
{
    if (n < 18)
        return 1;
    size_t off = rd_le32(p + 10), hsz = rd_le32(p + 14);
    uint64_t w, h, bpp;
    if (hsz == 12) {
        if (n < 26)
            return 1;
        w = rd_le16(p + 18);
        h = rd_le16(p + 20);
        bpp = rd_le16(p + 24);
    } else {
        if (n < 34)
            return 1;
        int32_t sw = (int32_t)rd_le32(p + 18), sh = (int32_t)rd_le32(p + 22);
        w = (uint64_t)(sw < 0 ? -(int64_t)sw : sw);
        h = (uint64_t)(sh < 0 ? -(int64_t)sh : sh);
        bpp = rd_le16(p + 28);
        uint32_t compression = rd_le32(p + 30);
        if (compression != 0 && compression != 3)
            return 0; /* compressed: stb refuses it with its own reason */
    }
    if (off < 14 + hsz)
        off = 14 + hsz;
    if (w > DATA_IMAGE_MAX_SIDE || h > DATA_IMAGE_MAX_SIDE || bpp > 32)
        return 0; /* refused elsewhere, with the real reason */
    uint64_t row = (w * bpp + 31) / 32 * 4;
    return (uint64_t)off + row * h > (uint64_t)n;
}

/* GIF: the header, colour tables and blocks (extensions, then the first
 * image's sub-blocks, which stb_image decodes) must all be present. */
static int gif_skip_subblocks(const uint8_t *p, size_t n, size_t *i)
{
    for (;;) {
        if (*i >= n)
            return 1;
        size_t len = p[*i];
        *i += 1;
        if (len == 0)
            return 0;
        if (len > n - *i)
            return 1;
        *i += len;
    }
}

static int gif_truncated(const uint8_t *p, size_t n)
{
    if (n < 13)
        return 1;
    size_t i = 13;
    if (p[10] & 0x80)
        i += 3u * (2u << (p[10] & 7));
    for (;;) {
        if (i >= n)
            return 1;
        uint8_t b = p[i++];
        if (b == 0x21) { /* extension: label, sub-blocks */
            if (i >= n)
                return 1;
            i++;
            if (gif_skip_subblocks(p, n, &i))
                return 1;
        } else if (b == 0x2C) { /* image: descriptor, local table, LZW size, data */
            if (n - i < 9)
                return 1;
            uint8_t flags = p[i + 8];
            i += 9;
            if (flags & 0x80)
                i += 3u * (2u << (flags & 7));
            if (i >= n)
                return 1;
            i++;
            return gif_skip_subblocks(p, n, &i);
        } else {
            return 1; /* the trailer (or junk) before any image */
        }
    }
}

dlc_status data_image_check(const char *name, const uint8_t *buf, size_t len, long max_pixels,
                            tensor_shape *shape, dlc_error *err)
{
    static const char *const format_names[] = {"PNG", "JPEG", "BMP", "GIF"};
    const char *other;
    image_format f = image_sniff(buf, len, &other);
    if (f == IMG_NONE) {
        if (len == 0)
            return dlc_fail(err, DLC_EINPUT, "%s: empty file, not an image", name);
        return dlc_fail(err, DLC_EINPUT, "%s: %s; dlc reads PNG, JPEG, BMP and GIF images (by "
                        "their content, whatever the name)", name, other ? other : "not an image");
    }
    if (max_pixels <= 0)
        max_pixels = DATA_IMAGE_MAX_PIXELS;
    int cut = f == IMG_PNG ? png_truncated(buf, len)
              : f == IMG_JPEG ? jpeg_truncated(buf, len)
              : f == IMG_BMP  ? bmp_truncated(buf, len)
                              : gif_truncated(buf, len);
    /* before any stb code runs: stbi_info parses JPEG tables too */
    if (cut == 2)
        return dlc_fail(err, DLC_EINPUT, "%s: corrupt %s image (its structure is broken)", name,
                        format_names[f]);
    if (cut)
        return dlc_fail(err, DLC_EINPUT, "%s: %s image is truncated (the file ends before its "
                        "data does)", name, format_names[f]);
    int w = 0, h = 0, n = 0;
    if (len > INT_MAX || !stbi_info_from_memory(buf, (int)len, &w, &h, &n))
        return dlc_fail(err, DLC_EINPUT, "%s: not a readable %s image (%s)", name, format_names[f],
                        len > INT_MAX ? "larger than 2 GiB" : stbi_failure_reason());
    if (w <= 0 || h <= 0)
        return dlc_fail(err, DLC_EINPUT, "%s: %s image of %d x %d pixels: empty", name,
                        format_names[f], w, h);
    if (w > DATA_IMAGE_MAX_SIDE || h > DATA_IMAGE_MAX_SIDE || (long long)w * h > max_pixels)
        return dlc_fail(err, DLC_EINPUT,
                        "%s: %s image of %d x %d pixels is too large (at most %d per side and "
                        "%ld pixels: data.max_image_pixels)",
                        name, format_names[f], w, h, DATA_IMAGE_MAX_SIDE, max_pixels);
    if (shape) { /* as shown: a JPEG turned by its Exif orientation */
        const int swap = f == IMG_JPEG && jpeg_orientation(buf, len) >= 5;
        shape->ndim = 3;
        shape->d[0] = n <= 2 ? 1 : 3;
        shape->d[1] = swap ? w : h;
        shape->d[2] = swap ? h : w;
    }
    return DLC_OK;
}

/* Block means: (h, w, C) -> (ceil(h / fy), ceil(w / fx), C), each output
 * pixel the mean of its fy x fx block (partial blocks at the edges), in one
 * pass.  stb_image_resize's cost grows with the shrink factor (a 16,256 x 63
 * GIF shrunk to 7 x 1 took 0.75 s, found by the image fuzzer; the largest
 * image allowed, to one pixel, about a minute), so a large shrink is done
 * here first, down to at most twice the target, and stb finishes. */
static unsigned char *image_shrink(const unsigned char *px, int w, int h, int C, int fx, int fy,
                                   int *ow, int *oh)
{
    const int nw = (w + fx - 1) / fx, nh = (h + fy - 1) / fy;
    unsigned char *o = malloc((size_t)nw * (size_t)nh * (size_t)C);
    uint64_t *acc = calloc((size_t)nw * (size_t)C, sizeof *acc); /* one output row of sums */
    if (!o || !acc) {
        free(o);
        free(acc);
        return NULL;
    }
    for (int oy = 0; oy < nh; oy++) {
        const int y0 = oy * fy, y1 = y0 + fy < h ? y0 + fy : h;
        memset(acc, 0, sizeof *acc * (size_t)nw * (size_t)C);
        for (int y = y0; y < y1; y++) {
            const unsigned char *row = px + (size_t)y * (size_t)w * (size_t)C;
            for (int x = 0; x < w; x++)
                for (int c = 0; c < C; c++)
                    acc[(size_t)(x / fx) * (size_t)C + (size_t)c] += row[(size_t)x * (size_t)C + (size_t)c];
        }
        for (int ox = 0; ox < nw; ox++) {
            const int x0 = ox * fx, x1 = x0 + fx < w ? x0 + fx : w;
            const uint64_t cnt = (uint64_t)(x1 - x0) * (uint64_t)(y1 - y0);
            for (int c = 0; c < C; c++)
                o[((size_t)oy * (size_t)nw + (size_t)ox) * (size_t)C + (size_t)c] =
                    (unsigned char)((acc[(size_t)ox * (size_t)C + (size_t)c] + cnt / 2) / cnt);
        }
    }
    free(acc);
    *ow = nw;
    *oh = nh;
    return o;
}

/* One step of decoding done: px (w, h) freed, next (*nw, *nh: read after
 * the step that made next has run; NULL when it ran out of memory) taken
 * in its place. */
static unsigned char *image_next(unsigned char *px, unsigned char *next, const int *nw,
                                 const int *nh, int *w, int *h)
{
    stbi_image_free(px);
    if (next) {
        *w = *nw;
        *h = *nh;
    }
    return next;
}

dlc_status data_image_decode(const char *name, const uint8_t *buf, size_t len, long max_pixels,
                             const tensor_shape *shape, uint8_t *out, dlc_error *err)
{
    char sh[64];
    if (shape->ndim != 3 || (shape->d[0] != 1 && shape->d[0] != 3) || shape->d[1] < 1 ||
        shape->d[2] < 1)
        return dlc_fail(err, DLC_EINPUT,
                        "%s: images become (channels, height, width) with 1 or 3 channels; "
                        "the model wants %s",
                        name, tensor_shape_str(shape, sh, sizeof sh));
    dlc_status st = data_image_check(name, buf, len, max_pixels, NULL, err);
    if (st != DLC_OK)
        return st;
    const int C = shape->d[0], H = shape->d[1], W = shape->d[2];
    int w, h, n;
    unsigned char *px = stbi_load_from_memory(buf, (int)len, &w, &h, &n, C); /* (h, w, C) */
    if (!px)
        return dlc_fail(err, DLC_EINPUT, "%s: cannot decode image (%s)", name, stbi_failure_reason());
    const unsigned char *src = px;
    unsigned char *resized = NULL;
    if (w < 1 || h < 1) {
        stbi_image_free(px);
        return dlc_fail(err, DLC_EINPUT, "%s: decoded to %d x %d pixels: empty", name, w, h);
    }
    const char *other;
    const int orient = image_sniff(buf, len, &other) == IMG_JPEG ? jpeg_orientation(buf, len) : 1;
    int nw = 0, nh = 0;
    if (orient != 1 && !(src = px = image_next(px, image_orient(px, w, h, C, orient, &nw, &nh),
                                               &nw, &nh, &w, &h)))
        return DLC_NOMEM(err);
    const int fx = w / (2 * W) > 1 ? w / (2 * W) : 1, fy = h / (2 * H) > 1 ? h / (2 * H) : 1;
    /* a large shrink: block means first (image_shrink) */
    if ((fx > 1 || fy > 1) &&
        !(src = px = image_next(px, image_shrink(px, w, h, C, fx, fy, &nw, &nh), &nw, &nh, &w, &h)))
        return DLC_NOMEM(err);
    if (w != W || h != H) {
        resized = malloc((size_t)W * (size_t)H * (size_t)C);
        if (!resized) {
            stbi_image_free(px);
            return DLC_NOMEM(err);
        }
        if (!stbir_resize_uint8(px, w, h, 0, resized, W, H, 0, C)) {
            stbi_image_free(px);
            free(resized);
            return dlc_fail(err, DLC_EINPUT, "%s: cannot resize %dx%d to %dx%d", name, w, h, W, H);
        }
        src = resized;
    }
    /* (H, W, C) -> (C, H, W) */
    size_t HW = (size_t)H * (size_t)W;
    for (size_t p = 0; p < HW; p++)
        for (int c = 0; c < C; c++)
            out[(size_t)c * HW + p] = src[p * (size_t)C + (size_t)c];
    stbi_image_free(px);
    free(resized);
    return DLC_OK;
}

/* The whole file, if it is a regular file of a size an image can have.
 * The largest accepted image, 4 bytes per pixel uncompressed, bounds it. */
static dlc_status image_read(const char *path, long max_pixels, uint8_t **buf, size_t *len,
                             dlc_error *err)
{
    if (max_pixels <= 0)
        max_pixels = DATA_IMAGE_MAX_PIXELS;
    size_t max = (size_t)max_pixels * 4 + ((size_t)1 << 20);
    char *text = NULL;
    dlc_status st = dlc_read_file_max(path, max, &text, len, err);
    *buf = (uint8_t *)text;
    return st;
}

dlc_status data_image_probe(const char *path, long max_pixels, tensor_shape *shape, dlc_error *err)
{
    uint8_t *buf;
    size_t len;
    dlc_status st = image_read(path, max_pixels, &buf, &len, err);
    if (st == DLC_OK)
        st = data_image_check(path, buf, len, max_pixels, shape, err);
    free(buf);
    return st;
}

dlc_status data_image_folder_shape(const char *dir, const char *const *paths, size_t stride, int n,
                                  int bad, long max_pixels, tensor_shape *shape, dlc_error *err)
{
    if (shape->ndim == 0) { /* the first readable image decides */
        dlc_status st = DLC_EINPUT;
        for (int i = 0; i < n && st != DLC_OK; i++) {
            const char *path = *(const char *const *)((const char *)paths + (size_t)i * stride);
            st = data_image_probe(path, max_pixels, shape, err);
            if (st != DLC_OK && bad == DATA_BAD_FAIL)
                return st;
        }
        if (st != DLC_OK)
            return st;
    }
    if (shape->ndim != 3 || (shape->d[0] != 1 && shape->d[0] != 3)) {
        char sh[64], last[128] = "";
        /* (32, 32, 3): Keras' order, channels last */
        if (shape->ndim == 3 && (shape->d[2] == 1 || shape->d[2] == 3))
            snprintf(last, sizeof last, " (channels last is Keras' order; dlc's is PyTorch's: "
                     "model.input [%d, %d, %d])", shape->d[2], shape->d[0], shape->d[1]);
        return dlc_fail(err, DLC_EINPUT,
                        "%s: images become (channels, height, width) with 1 or 3 channels, not %s%s",
                        dir, tensor_shape_str(shape, sh, sizeof sh), last);
    }
    return DLC_OK;
}

dlc_status data_image_load(const char *path, long max_pixels, const tensor_shape *shape,
                           uint8_t *out, dlc_error *err)
{
    uint8_t *buf;
    size_t len;
    dlc_status st = image_read(path, max_pixels, &buf, &len, err);
    if (st == DLC_OK)
        st = data_image_decode(path, buf, len, max_pixels, shape, out, err);
    free(buf);
    return st;
}

/* data_image_load, giving the file's own (channels, height, width) too. */
dlc_status data_image_load_noting(const char *path, long max_pixels, const tensor_shape *shape,
                                    uint8_t *out, tensor_shape *own, dlc_error *err)
{
    uint8_t *buf;
    size_t len;
    dlc_status st = image_read(path, max_pixels, &buf, &len, err);
    if (st == DLC_OK && (st = data_image_check(path, buf, len, max_pixels, own, err)) == DLC_OK)
        st = data_image_decode(path, buf, len, max_pixels, shape, out, err);
    free(buf);
    return st;
}

/* ---- folders ---- */


static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sorted names in dir (hidden ones skipped): folders (want_dirs), or files
 * whose name ends in ext (any case), or (ext NULL) image files. */
static dlc_status list_dir(const char *dir, int want_dirs, const char *ext, dlc_strlist *names,
                           dlc_error *err)
{
    DIR *d = opendir(dir);
    if (!d)
        return dlc_fail(err, DLC_EINPUT, "%s: cannot open folder: %s", dir, strerror(errno));
    struct dirent *e;
    dlc_status st = DLC_OK;
    char path[DATA_PATH_MAX * 4];
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || dlc_pathf(path, sizeof path, "%s/%s", dir, e->d_name))
            continue;
        struct stat sb;
        /* a broken link or a link loop named like an image is listed: reading
         * it fails, and it counts as a bad file rather than vanishing */
        int is_dir = stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
        size_t nl = strlen(e->d_name), el = ext ? strlen(ext) : 0;
        int named = ext ? nl > el && strcasecmp(e->d_name + nl - el, ext) == 0
                        : data_image_name(e->d_name);
        if (want_dirs ? !is_dir : (is_dir || !named))
            continue;
        if ((st = dlc_strlist_push(names, e->d_name, err)) != DLC_OK)
            break;
    }
    closedir(d);
    if (st == DLC_OK && names->n > 1)
        qsort(names->v, (size_t)names->n, sizeof *names->v, cmp_str);
    return st;
}

/* The image files of a class folder dir and of its subfolders, at any depth
 * (as torchvision's ImageFolder and Keras' image_dataset_from_directory
 * read them), pushed to names as paths below dir ("sub/x.png"), each
 * folder's entries in sorted order.  rel: the path below dir walked now
 * ("" at the top).  A link to a folder is not followed (a loop cannot
 * be), as os.walk does by default; hidden entries are skipped. */
static dlc_status list_tree(const char *dir, const char *rel, dlc_strlist *names, dlc_error *err)
{
    char here[DATA_PATH_MAX * 4], path[DATA_PATH_MAX * 4], sub[DATA_PATH_MAX * 4];
    if (dlc_pathf(here, sizeof here, rel[0] ? "%s/%s" : "%s", dir, rel))
        return dlc_fail(err, DLC_EINPUT, "%s: path too long", dir);
    dlc_strlist entries = {0};
    dlc_status st = list_dir(here, 0, NULL, &entries, err);
    for (int i = 0; i < entries.n && st == DLC_OK; i++) {
        if (dlc_pathf(sub, sizeof sub, rel[0] ? "%s/%s" : "%s%s", rel, entries.v[i]))
            st = dlc_fail(err, DLC_EINPUT, "%s: path too long", here);
        else
            st = dlc_strlist_push(names, sub, err);
    }
    dlc_strlist_clear(&entries);
    if (st == DLC_OK)
        st = list_dir(here, 1, NULL, &entries, err);
    for (int i = 0; i < entries.n && st == DLC_OK; i++) {
        struct stat sb;
        if (dlc_pathf(path, sizeof path, "%s/%s", here, entries.v[i]) ||
            dlc_pathf(sub, sizeof sub, rel[0] ? "%s/%s" : "%s%s", rel, entries.v[i])) {
            st = dlc_fail(err, DLC_EINPUT, "%s: path too long", here);
            break;
        }
        if (lstat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
            st = list_tree(dir, sub, names, err);
    }
    dlc_strlist_clear(&entries);
    return st;
}

dlc_status data_list_subfolders(const char *dir, dlc_strlist *names, dlc_error *err)
{
    return list_dir(dir, 1, NULL, names, err);
}

dlc_status data_list_files(const char *dir, const char *ext, dlc_strlist *names, dlc_error *err)
{
    return list_dir(dir, 0, ext, names, err);
}

dlc_status data_list_images(const char *dir, dlc_strlist *names, dlc_error *err)
{
    dlc_strlist files = {0};
    char path[DATA_PATH_MAX * 4];
    dlc_status st = list_dir(dir, 0, NULL, &files, err);
    /* `shoes/` names its files shoes/a.png, not shoes//a.png */
    int dl = (int)strlen(dir);
    while (dl > 1 && dir[dl - 1] == '/')
        dl--;
    const char *sep = dl > 0 && dir[dl - 1] == '/' ? "" : "/";
    for (int i = 0; i < files.n && st == DLC_OK; i++) {
        if (dlc_pathf(path, sizeof path, "%.*s%s%s", dl, dir, sep, files.v[i]))
            st = dlc_fail(err, DLC_EINPUT, "%s: path too long", dir);
        else
            st = dlc_strlist_push(names, path, err);
    }
    dlc_strlist_clear(&files);
    return st;
}

dlc_status data_folder_images(const char *dir, dlc_strlist *names, dlc_error *err)
{
    int before = names->n;
    dlc_status st = data_list_images(dir, names, err);
    if (st != DLC_OK || names->n > before)
        return st;
    /* a folder of class folders (a training folder) is a likely mistake */
    dlc_strlist sub = {0};
    int n_sub = list_dir(dir, 1, NULL, &sub, NULL) == DLC_OK ? sub.n : 0;
    dlc_strlist_clear(&sub);
    if (n_sub > 0)
        return dlc_fail(err, DLC_EINPUT,
                        "%s: the folder has no image files; it has %d subfolder%s, which %s not "
                        "read (give the files, or the subfolders, instead)",
                        dir, n_sub, n_sub == 1 ? "" : "s", n_sub == 1 ? "is" : "are");
    return dlc_fail(err, DLC_EINPUT, "%s: the folder has no image files", dir);
}

typedef struct {
    int cls;
    char *path; /* owned */
} image_item;

/* Decoding a folder on every worker thread: each takes the next few files
 * and decodes each into its own slot; the folder's order, its notes and its
 * first error are settled after, on one thread (image_folder_settle).  A
 * folder of 50,000 JPEGs took 41 s on one thread. */
enum { FOLDER_TODO, FOLDER_OK, FOLDER_BAD };
typedef struct {
    const image_item *items;
    int n;
    const tensor_shape *shape;
    long max_pixels;
    uint8_t *u8;          /* (n, D): file i's pixels at row i */
    size_t D;
    signed char *state;   /* (n) FOLDER_* */
    tensor_shape *own;    /* (n) each file's own (channels, height, width) */
    int fail_fast;        /* data.bad_files: fail: stop taking files after a bad one */
    atomic_int next;      /* the next file to take */
    atomic_int bad;       /* a file failed */
} folder_job;

enum { FOLDER_CHUNK = 8 };

static void folder_decode_part(void *ctx, int part, int parts)
{
    (void)part;
    (void)parts;
    folder_job *j = ctx;
    for (;;) {
        if (j->fail_fast && atomic_load(&j->bad))
            return;
        int lo = atomic_fetch_add(&j->next, FOLDER_CHUNK);
        if (lo >= j->n)
            return;
        int hi = lo + FOLDER_CHUNK < j->n ? lo + FOLDER_CHUNK : j->n;
        for (int i = lo; i < hi; i++) {
            dlc_error e; /* the message is made again in order if it is needed */
            int ok = data_image_load_noting(j->items[i].path, j->max_pixels, j->shape,
                                            j->u8 + (size_t)i * j->D, &j->own[i], &e) == DLC_OK;
            j->state[i] = ok ? FOLDER_OK : FOLDER_BAD;
            if (!ok)
                atomic_store(&j->bad, 1);
        }
    }
}

dlc_status data_read_image_folder(dataset **out, const char *dir, tensor_shape *shape,
                                  dlc_strlist *class_names, int bad, long limit, long max_pixels,
                                  dlc_strlist *skipped, dlc_error *err)
{
    *out = NULL;
    dlc_strlist classes = {0}, files = {0};
    image_item *items = NULL;
    int n_items = 0, cap = 0;
    dataset *ds = NULL;
    folder_job job = {0};
    char path[DATA_PATH_MAX * 4];
    dlc_error first_bad = {0};
    dlc_status st = list_dir(dir, 1, NULL, &classes, err);
    if (st != DLC_OK)
        goto cleanup;
    if (classes.n == 0) {
        st = dlc_fail(err, DLC_EINPUT, "%s: no class subfolders (expected %s/<class>/<image files>)",
                      dir, dir);
        goto cleanup;
    }
    int known = class_names && class_names->n > 0;
    int skip_unknown = (bad & DATA_TARGET_SKIP_UNKNOWN) != 0;
    int new_classes = (bad & DATA_TARGET_NEW_CLASSES) != 0;
    bad &= ~(DATA_TARGET_SKIP_UNKNOWN | DATA_TARGET_NEW_CLASSES);
    int dropped = 0;
    for (int c = 0; c < classes.n; c++) {
        int id = c;
        if (known) {
            id = dlc_strlist_find(class_names, classes.v[c]);
            if (id < 0 && skip_unknown) { /* its files are counted as dropped */
                if (dlc_pathf(path, sizeof path, "%s/%s", dir, classes.v[c]) == 0 &&
                    list_tree(path, "", &files, NULL) == DLC_OK)
                    dropped += files.n;
                dlc_strlist_clear(&files);
                continue;
            }
            if (id < 0 && new_classes) { /* a new identity, after the known classes */
                id = class_names->n;
                if ((st = dlc_strlist_push(class_names, classes.v[c], err)) != DLC_OK)
                    goto cleanup;
            }
            if (id < 0) { /* known: the train folder's classes, or a trained model's */
                char list[400] = "";
                for (int k = 0, at = 0; k < class_names->n && k < 8 && at < (int)sizeof list; k++)
                    at += snprintf(list + at, sizeof list - (size_t)at, "%s'%.40s'%s", k ? ", " : "",
                                   class_names->v[k], k == 7 && class_names->n > 8 ? ", ..." : "");
                st = dlc_fail(err, DLC_EINPUT,
                              "%s/%s: class '%s' is not one of the model's %d classes (the train "
                              "folder's): %s",
                              dir, classes.v[c], classes.v[c], class_names->n, list);
                goto cleanup;
            }
        }
        long bad_at = known ? -1 : dlc_utf8_bad(classes.v[c]);
        if (bad_at >= 0) { /* the model file keeps class names as UTF-8 (JSON) */
            char shown[128];
            st = dlc_fail(err, DLC_EINPUT,
                          "%s/%s: the class folder's name is not UTF-8 (byte 0x%02x); rename the "
                          "folder (class names are kept in the model file as UTF-8)",
                          dir, dlc_escape(shown, sizeof shown, classes.v[c], DLC_ESC_ALL),
                          (unsigned char)classes.v[c][bad_at]);
            goto cleanup;
        }
        if (dlc_pathf(path, sizeof path, "%s/%s", dir, classes.v[c])) {
            st = dlc_fail(err, DLC_EINPUT, "%s: path too long", dir);
            goto cleanup;
        }
        dlc_strlist_clear(&files);
        if ((st = list_tree(path, "", &files, err)) != DLC_OK)
            goto cleanup;
        for (int f = 0; f < files.n; f++) {
            if (n_items == cap) {
                cap = cap ? 2 * cap : 256;
                image_item *ni = realloc(items, sizeof *items * (size_t)cap);
                if (!ni) {
                    st = DLC_NOMEM(err);
                    goto cleanup;
                }
                items = ni;
            }
            if (dlc_pathf(path, sizeof path, "%s/%s/%s", dir, classes.v[c], files.v[f])) {
                st = dlc_fail(err, DLC_EINPUT, "%s/%s: path too long", dir, classes.v[c]);
                goto cleanup;
            }
            items[n_items].cls = id;
            if (!(items[n_items].path = strdup(path))) {
                st = DLC_NOMEM(err);
                goto cleanup;
            }
            n_items++;
        }
    }
    if (n_items == 0) {
        st = dlc_fail(err, DLC_EINPUT, "%s: no image files in its class subfolders", dir);
        goto cleanup;
    }
    /* limit: round-robin over classes, so a small limit still sees every class */
    if (limit > 0 && limit < n_items) {
        image_item *pick = malloc(sizeof *pick * (size_t)limit);
        int *next = calloc((size_t)classes.n + 1, sizeof *next);
        int *start = calloc((size_t)classes.n + 1, sizeof *start);
        if (!pick || !next || !start) {
            free(pick);
            free(next);
            free(start);
            st = DLC_NOMEM(err);
            goto cleanup;
        }
        /* items are grouped by folder, in folder order */
        int g = 0;
        for (int i = 0; i < n_items; i++)
            if (i == 0 || items[i].cls != items[i - 1].cls)
                start[g++] = i;
        start[g] = n_items;
        long taken = 0;
        while (taken < limit)
            for (int k = 0; k < g && taken < limit; k++)
                if (start[k] + next[k] < start[k + 1]) {
                    pick[taken] = items[start[k] + next[k]];
                    items[start[k] + next[k]].path = NULL;
                    next[k]++;
                    taken++;
                }
        for (int i = 0; i < n_items; i++)
            free(items[i].path);
        free(items);
        items = pick;
        n_items = (int)limit;
        free(next);
        free(start);
    }
    st = data_image_folder_shape(dir, (const char *const *)&items[0].path, sizeof *items, n_items,
                                 bad, max_pixels, shape, err);
    if (st != DLC_OK)
        goto cleanup;
    ds = calloc(1, sizeof *ds);
    if (!ds) {
        st = DLC_NOMEM(err);
        goto cleanup;
    }
    ds->dropped = dropped;
    dlc_strlist_clear(&files); /* image files beside the class folders: not read, but said */
    if (list_dir(dir, 0, NULL, &files, NULL) == DLC_OK)
        ds->stray = files.n;
    dlc_strlcpy(ds->path, dir, sizeof ds->path);
    ds->shape = *shape;
    ds->dim = tensor_shape_size(shape);
    ds->n_targets = 1;
    ds->u8 = malloc(ds->dim * (size_t)n_items);         /* (n, D) */
    ds->targets = malloc(sizeof(float) * (size_t)n_items); /* (n, 1) */
    if (!ds->u8 || !ds->targets) {
        st = DLC_NOMEM(err);
        goto cleanup;
    }
    job.items = items;
    job.n = n_items;
    job.shape = shape;
    job.max_pixels = max_pixels;
    job.u8 = ds->u8;
    job.D = ds->dim;
    job.fail_fast = bad == DATA_BAD_FAIL;
    job.state = calloc((size_t)n_items, sizeof *job.state);
    job.own = calloc((size_t)n_items, sizeof *job.own);
    if (!job.state || !job.own) {
        st = DLC_NOMEM(err);
        goto cleanup;
    }
    atomic_init(&job.next, 0);
    atomic_init(&job.bad, 0);
    tensor_parallel(folder_decode_part, &job);
    /* in the folder's order: rows moved down over the files that failed; a
     * failed file (or one not reached after a failure) is read again here
     * for its message */
    for (int i = 0; i < n_items; i++) {
        dlc_error e = {0};
        tensor_shape own = job.own[i];
        uint8_t *row = ds->u8 + (size_t)ds->n * ds->dim;
        if (job.state[i] == FOLDER_OK && ds->n != i)
            memmove(row, ds->u8 + (size_t)i * ds->dim, ds->dim);
        if (job.state[i] != FOLDER_OK &&
            data_image_load_noting(items[i].path, max_pixels, shape, row, &own, &e) != DLC_OK) {
            if (bad == DATA_BAD_FAIL) {
                st = dlc_fail(err, e.status, "%s (set data.bad_files: skip to skip unreadable files)",
                              e.msg);
                goto cleanup;
            }
            if (e.status != DLC_EINPUT) { /* out of memory or I/O: not the file's fault */
                st = dlc_fail(err, e.status, "%s", e.msg);
                goto cleanup;
            }
            if (!first_bad.msg[0])
                first_bad = e;
            if (skipped && (st = dlc_strlist_push(skipped, e.msg, err)) != DLC_OK)
                goto cleanup;
            continue;
        }
        ds->resized += own.d[1] != shape->d[1] || own.d[2] != shape->d[2];
        ds->recoloured += own.d[0] != shape->d[0];
        ds->targets[ds->n++] = (float)items[i].cls;
        /* the file, as the error sample names it: relative to the folder */
        if ((st = dlc_strlist_push(&ds->files, items[i].path + strlen(dir) + 1, err)) != DLC_OK)
            goto cleanup;
    }
    if (ds->n == 0) {
        st = dlc_fail(err, DLC_EINPUT, "%s: none of its %d image files could be read (the first: %s)",
                      dir, n_items, first_bad.msg);
        goto cleanup;
    }
    if (!known && class_names)
        for (int c = 0; c < classes.n && st == DLC_OK; c++)
            st = dlc_strlist_push(class_names, classes.v[c], err);
cleanup:
    free(job.state);
    free(job.own);
    for (int i = 0; i < n_items; i++)
        free(items[i].path);
    free(items);
    dlc_strlist_clear(&classes);
    dlc_strlist_clear(&files);
    if (st != DLC_OK) {
        data_dataset_free(ds);
        return st;
    }
    *out = ds;
    return DLC_OK;
}
