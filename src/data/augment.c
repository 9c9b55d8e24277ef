/* augment.c - training-time augmentation of image examples, applied to the
 * raw 0..255 values while a batch is gathered, before normalization, so
 * "zero" is a black pixel whatever the statistics.
 *
 * Geometric: a random horizontal flip and a random translation (a crop of
 * the zero-padded image), read straight from the source.  Photometric and
 * the rest (the notes' artificial data synthesis: make training examples
 * look like the target domain's): rotation (bilinear, zeros outside),
 * Gaussian blur (separable, radius 3 sigma), contrast (around each
 * channel's mean), brightness, Gaussian noise, then values clamped to
 * 0..255, and JPEG-style quality loss (each 8x8 block's DCT quantized with
 * the JPEG luminance table scaled by the quality, as libjpeg scales it;
 * the lossless entropy coding is left out).  Each applies with its
 * probability, to the examples of the sources it names.  Scratch comes from
 * the caller: nothing is allocated.
 *
 * Letters: (C, H, W) per example, N = count, T = n_targets. */
#include "data.h"

#include <math.h>
#include <string.h>

#include "../detect/detect.h"

/* Detection targets (one example's row) follow its pixels: output column w
 * reads source column (flip ? W-1-w : w) + dx and row h source row h + dy,
 * so a source point u (a fraction of the width) lands at 1 - u + dx/W
 * flipped, else u - dx/W, and v at v - dy/H.  Boxes are clipped to the
 * image; an object with less than half of its box left inside is dropped.
 * Objects stay at the front of the row, in order. */
static void move_objects(const dataset *ds, float *row, int flip, int dy, int dx)
{
    const int K = ds->landmarks, stride = detect_obj_stride(K);
    const float W = (float)ds->shape.d[2], H = (float)ds->shape.d[1];
    const float ox = (float)dx / W, oy = (float)dy / H;
    float tmp[DETECT_FIELDS + 2 * DATA_MAX_LANDMARKS];
    int kept = 0;
    for (int m = 0; m < ds->objects; m++) {
        float *o = row + (size_t)m * stride;
        if (!(o[0] >= 0))
            continue;
        memcpy(tmp, o, sizeof(float) * (size_t)stride);
        float cx = flip ? 1.0f - o[1] + ox : o[1] - ox, cy = o[2] - oy;
        float x1 = fmaxf(0.0f, cx - 0.5f * o[3]), x2 = fminf(1.0f, cx + 0.5f * o[3]);
        float y1 = fmaxf(0.0f, cy - 0.5f * o[4]), y2 = fminf(1.0f, cy + 0.5f * o[4]);
        if (!(x2 > x1 && y2 > y1) || (x2 - x1) * (y2 - y1) < 0.5f * o[3] * o[4] * (1.0f - 1e-5f))
            continue; /* mostly out of the picture (half exactly stays, whatever the rounding) */
        tmp[1] = 0.5f * (x1 + x2);
        tmp[2] = 0.5f * (y1 + y2);
        tmp[3] = x2 - x1;
        tmp[4] = y2 - y1;
        for (int k = 0; k < K; k++) {
            int from = flip && ds->n_flip ? ds->flip[k] : k; /* landmark k of the flipped image */
            float x = o[DETECT_FIELDS + 2 * from], y = o[DETECT_FIELDS + 2 * from + 1];
            tmp[DETECT_FIELDS + 2 * k] = flip ? 1.0f - x + ox : x - ox;
            tmp[DETECT_FIELDS + 2 * k + 1] = y - oy;
        }
        memcpy(row + (size_t)kept++ * stride, tmp, sizeof(float) * (size_t)stride);
    }
    for (int m = kept; m < ds->objects; m++) {
        float *o = row + (size_t)m * stride;
        memset(o, 0, sizeof(float) * (size_t)stride);
        o[0] = -1.0f;
    }
}

int data_augments(const data_config *cfg)
{
    const data_augment *a = &cfg->augment;
    return a->hflip || a->crop_pad > 0 || a->rotate.p > 0 || a->blur.p > 0 || a->contrast.p > 0 ||
           a->brightness.p > 0 || a->noise.p > 0 || a->jpeg.p > 0;
}

/* With probability r->p, a strength in [lo, hi] into *v (returns 1). */
static int draw(const data_aug_range *r, dlc_rng *rng, double *v)
{
    if (!(r->p > 0) || dlc_rng_uniform(rng) >= r->p)
        return 0;
    *v = r->lo + (r->hi - r->lo) * dlc_rng_uniform(rng);
    return 1;
}

/* y (C, H, W) rotated by deg degrees about its centre, bilinear; tmp (C H W). */
static void rotate(float *y, float *tmp, int C, int H, int W, double deg)
{
    double a = deg * M_PI / 180.0, ca = cos(a), sa = sin(a);
    double cy = (H - 1) / 2.0, cx = (W - 1) / 2.0;
    size_t D = (size_t)C * H * W;
    memcpy(tmp, y, sizeof(float) * D);
    for (int c = 0; c < C; c++) {
        const float *src = tmp + (size_t)c * H * W;
        float *dst = y + (size_t)c * H * W;
        for (int h = 0; h < H; h++)
            for (int w = 0; w < W; w++) {
                /* the source point that lands at (h, w) */
                double sy = cy + (h - cy) * ca - (w - cx) * sa;
                double sx = cx + (h - cy) * sa + (w - cx) * ca;
                int y0 = (int)floor(sy), x0 = (int)floor(sx);
                double fy = sy - y0, fx = sx - x0, v = 0;
                for (int dy = 0; dy < 2; dy++)
                    for (int dx = 0; dx < 2; dx++) {
                        int yy = y0 + dy, xx = x0 + dx;
                        if (yy < 0 || yy >= H || xx < 0 || xx >= W)
                            continue;
                        v += (dy ? fy : 1 - fy) * (dx ? fx : 1 - fx) * src[(size_t)yy * W + xx];
                    }
                dst[(size_t)h * W + w] = (float)v;
            }
    }
}

/* y (C, H, W) blurred by a Gaussian of sigma (separable, edges clamped). */
static void blur(float *y, float *tmp, int C, int H, int W, double sigma)
{
    enum { MAX_R = 16 };
    int r = (int)ceil(3 * sigma);
    r = r < 1 ? 1 : r > MAX_R ? MAX_R : r;
    float k[2 * MAX_R + 1];
    double sum = 0;
    for (int i = -r; i <= r; i++)
        sum += k[i + r] = (float)exp(-(double)i * i / (2 * sigma * sigma));
    for (int i = 0; i <= 2 * r; i++)
        k[i] = (float)(k[i] / sum);
    for (int c = 0; c < C; c++) {
        float *p = y + (size_t)c * H * W, *q = tmp + (size_t)c * H * W;
        for (int h = 0; h < H; h++) /* rows into tmp */
            for (int w = 0; w < W; w++) {
                float v = 0;
                for (int i = -r; i <= r; i++) {
                    int ww = w + i < 0 ? 0 : w + i >= W ? W - 1 : w + i;
                    v += k[i + r] * p[(size_t)h * W + ww];
                }
                q[(size_t)h * W + w] = v;
            }
        for (int h = 0; h < H; h++) /* columns back */
            for (int w = 0; w < W; w++) {
                float v = 0;
                for (int i = -r; i <= r; i++) {
                    int hh = h + i < 0 ? 0 : h + i >= H ? H - 1 : h + i;
                    v += k[i + r] * q[(size_t)hh * W + w];
                }
                p[(size_t)h * W + w] = v;
            }
    }
}

/* The JPEG luminance quantization table (ITU T.81, Annex K). */
static const int jpeg_q[64] = {16, 11, 10, 16, 24,  40,  51,  61,  12, 12, 14, 19, 26,  58,  60,  55,
                               14, 13, 16, 24, 40,  57,  69,  56,  14, 17, 22, 29, 51,  87,  80,  62,
                               18, 22, 37, 56, 68,  109, 103, 77,  24, 35, 55, 64, 81,  104, 113, 92,
                               49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99};

/* Each full 8x8 block of y (C, H, W) through a DCT quantized at quality q
 * (the table scaled as libjpeg does) and back.  Values are 0..255. */
static void jpeg_loss(float *y, int C, int H, int W, double quality)
{
    int q = (int)(quality + 0.5);
    q = q < 1 ? 1 : q > 100 ? 100 : q;
    int scale = q < 50 ? 5000 / q : 200 - 2 * q;
    float step[64], cosv[8][8];
    for (int i = 0; i < 64; i++) {
        int s = (jpeg_q[i] * scale + 50) / 100;
        step[i] = (float)(s < 1 ? 1 : s > 255 ? 255 : s);
    }
    for (int x = 0; x < 8; x++)
        for (int u = 0; u < 8; u++)
            cosv[x][u] = (float)((u ? sqrt(2.0 / 8) : sqrt(1.0 / 8)) * cos((2 * x + 1) * u * M_PI / 16));
    for (int c = 0; c < C; c++)
        for (int by = 0; by + 8 <= H; by += 8)
            for (int bx = 0; bx + 8 <= W; bx += 8) {
                float blk[64], coef[64], tmp[64];
                for (int i = 0; i < 8; i++)
                    for (int j = 0; j < 8; j++)
                        blk[i * 8 + j] = y[((size_t)c * H + by + i) * W + bx + j] - 128.0f;
                for (int i = 0; i < 8; i++) /* rows */
                    for (int v = 0; v < 8; v++) {
                        float s = 0;
                        for (int j = 0; j < 8; j++)
                            s += blk[i * 8 + j] * cosv[j][v];
                        tmp[i * 8 + v] = s;
                    }
                for (int u = 0; u < 8; u++) /* columns, quantized */
                    for (int v = 0; v < 8; v++) {
                        float s = 0;
                        for (int i = 0; i < 8; i++)
                            s += tmp[i * 8 + v] * cosv[i][u];
                        coef[u * 8 + v] = roundf(s / step[u * 8 + v]) * step[u * 8 + v];
                    }
                for (int u = 0; u < 8; u++) /* back: columns */
                    for (int j = 0; j < 8; j++) {
                        float s = 0;
                        for (int v = 0; v < 8; v++)
                            s += coef[u * 8 + v] * cosv[j][v];
                        tmp[u * 8 + j] = s;
                    }
                for (int i = 0; i < 8; i++) /* and rows */
                    for (int j = 0; j < 8; j++) {
                        float s = 0;
                        for (int u = 0; u < 8; u++)
                            s += tmp[u * 8 + j] * cosv[i][u];
                        float v = s + 128.0f;
                        y[((size_t)c * H + by + i) * W + bx + j] = v < 0 ? 0 : v > 255 ? 255 : v;
                    }
            }
}

static void clamp255(float *y, size_t n)
{
    for (size_t i = 0; i < n; i++)
        y[i] = y[i] < 0 ? 0 : y[i] > 255 ? 255 : y[i];
}

/* 1 when example row of ds takes the photometric transforms. */
static int selected(const data_augment *aug, const dataset *ds, size_t row,
                    const dlc_strlist *source_names)
{
    if (aug->sources.n == 0)
        return 1;
    if (!ds->source || !source_names)
        return 0;
    int src = ds->source[row];
    return src < source_names->n && dlc_strlist_find(&aug->sources, source_names->v[src]) >= 0;
}

/* The transforms after the geometric ones, on y (C, H, W). */
static void photometric(const data_augment *a, float *y, float *tmp, int C, int H, int W,
                        dlc_rng *rng)
{
    size_t D = (size_t)C * H * W, plane = (size_t)H * W;
    double v;
    int changed = 0;
    if (draw(&a->rotate, rng, &v) && v != 0)
        rotate(y, tmp, C, H, W, v);
    if (draw(&a->blur, rng, &v) && v > 0)
        blur(y, tmp, C, H, W, v);
    if (draw(&a->contrast, rng, &v)) {
        for (int c = 0; c < C; c++) {
            float *p = y + (size_t)c * plane;
            double mean = 0;
            for (size_t i = 0; i < plane; i++)
                mean += p[i];
            mean /= (double)plane;
            for (size_t i = 0; i < plane; i++)
                p[i] = (float)(mean + (p[i] - mean) * v);
        }
        changed = 1;
    }
    if (draw(&a->brightness, rng, &v)) {
        for (size_t i = 0; i < D; i++)
            y[i] += (float)v;
        changed = 1;
    }
    if (draw(&a->noise, rng, &v) && v > 0) {
        for (size_t i = 0; i < D; i++)
            y[i] += (float)(v * dlc_rng_normal(rng));
        changed = 1;
    }
    if (changed)
        clamp255(y, D);
    if (draw(&a->jpeg, rng, &v))
        jpeg_loss(y, C, H, W, v);
}

void data_gather_augment(const data_split *s, const int *order, int start, int count,
                         const data_norm *nm, const data_augment *aug,
                         const dlc_strlist *source_names, uint64_t seed, float *restrict x,
                         float *restrict t, float *restrict scratch)
{
    const dataset *ds = s->ds;
    const size_t D = ds->dim, T = (size_t)ds->n_targets;
    const int C = ds->shape.d[0], H = ds->shape.d[1], W = ds->shape.d[2];
    const int plain = !nm || nm->kind == NORM_NONE;
    const int hflip = aug->hflip, crop_pad = aug->crop_pad;
    for (int i = 0; i < count; i++) {
        int k = order ? order[start + i] : start + i;
        size_t r = (size_t)s->idx[k];
        dlc_rng stream, *rng = &stream;
        dlc_rng_seed(rng, seed, (uint64_t)(start + i));
        int flip = hflip && (dlc_rng_u64(rng) >> 63);
        int dy = crop_pad ? (int)dlc_rng_below(rng, 2 * (uint64_t)crop_pad + 1) - crop_pad : 0;
        int dx = crop_pad ? (int)dlc_rng_below(rng, 2 * (uint64_t)crop_pad + 1) - crop_pad : 0;
        float *y = x + (size_t)i * D;
        const uint8_t *u = ds->u8 ? ds->u8 + r * D : NULL;
        const float *f = ds->f32 ? ds->f32 + r * D : NULL;
        /* y[c, h, w] = src[c, h + dy, w' + dx], w' = flip ? W-1-w : w */
        for (int c = 0; c < C; c++)
            for (int h = 0; h < H; h++) {
                float *yr = y + ((size_t)c * H + (size_t)h) * W;
                int sh = h + dy;
                if (sh < 0 || sh >= H) {
                    memset(yr, 0, sizeof(float) * (size_t)W);
                    continue;
                }
                size_t row = ((size_t)c * H + (size_t)sh) * W;
                for (int w = 0; w < W; w++) {
                    int sw = (flip ? W - 1 - w : w) + dx;
                    yr[w] = sw < 0 || sw >= W ? 0.0f : u ? (float)u[row + (size_t)sw] : f[row + (size_t)sw];
                }
            }
        if (scratch && selected(aug, ds, r, source_names))
            photometric(aug, y, scratch, C, H, W, rng);
        if (!plain)
            for (size_t j = 0; j < D; j++)
                y[j] = (y[j] - nm->shift[j]) * nm->scale[j];
        if (t) {
            memcpy(t + (size_t)i * T, ds->targets + r * T, sizeof(float) * T);
            if (ds->objects > 0 && (flip || dy || dx))
                move_objects(ds, t + (size_t)i * T, flip, dy, dx);
        }
    }
}
