/* make_shapes.c - a synthetic object-detection data set in the darknet/YOLO
 * layout, for training and testing dlc's detection (README "Object
 * detection"):
 *
 *   OUT/shapes.names          class names, one per line
 *   OUT/{train,dev,test}/NNNNN.png   RGB images on textured backgrounds
 *   OUT/{train,dev,test}/NNNNN.txt   one line per object: class cx cy w h
 *                                    (+ x1 y1 x2 y2 x3 y3 in landmark mode),
 *                                    normalized to 0..1; empty: no object
 *
 * Modes:
 *   detect     0-4 objects (circle, square, triangle) of varied sizes, some
 *              overlapping (each stays at least 60% visible)
 *   single     exactly one object, or (1 in 10) none: classification with
 *              localization
 *   landmarks  one triangle, or (1 in 10) none, with its 3 corners as
 *              landmarks in a fixed order: the apex (the corner pointing up,
 *              give or take 25 degrees), then the lower-left, then the
 *              lower-right corner (a horizontal flip swaps the last two:
 *              data.detection.flip_index [0, 2, 1])
 *   windows    window crops for convolutional sliding windows, as an image
 *              folder (OUT/<split>/<class>/NNNNN.png): a shape of 11 to 17
 *              pixels near the middle of a 24 x 24 window (--size sets the
 *              window), or (class background) a window of texture alone,
 *              or one where a shape sits off-centre or is cut by the edge
 *
 * Every image is drawn from its own random stream (seed, mode, split, index), so a
 * data set is the same on every machine and any part of it can be
 * regenerated.  Shapes are anti-aliased (4 x 4 samples per pixel), so boxes
 * and corners are exact to a fraction of a pixel.  A command-line tool, not
 * library code: it prints and exits.
 *
 *   build/make_shapes OUT [--mode detect|single|landmarks|windows] [--seed N]
 *                         [--train N] [--dev N] [--test N] [--size N]
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <stb_image_write.h>

#include "../src/base/rng.h"
#include "../src/base/util.h"

enum { MODE_DETECT, MODE_SINGLE, MODE_LANDMARKS, MODE_WINDOWS };
enum { SHAPE_CIRCLE, SHAPE_SQUARE, SHAPE_TRIANGLE, SHAPE_COUNT };
static const char *const shape_names[SHAPE_COUNT] = {"circle", "square", "triangle"};

#define MAX_OBJECTS 4
#define SS 4 /* samples per pixel along each axis */

typedef struct {
    int kind;
    double cx, cy, r;      /* circle: centre and radius (pixels) */
    double px[4], py[4];   /* square (4 corners) or triangle (3), in order */
    int n;                 /* corners */
    double x1, y1, x2, y2; /* bounding box (pixels, continuous coordinates) */
    unsigned char color[3];
} shape;

typedef struct {
    int size;
    float *rgb; /* (size, size, 3) values 0..255 */
} canvas;

static double uniform(dlc_rng *r, double lo, double hi)
{
    return lo + (hi - lo) * dlc_rng_uniform(r);
}

/* ---- backgrounds ---- */

static double smooth(double t)
{
    return t * t * (3 - 2 * t);
}

/* Value noise: random values on a lattice of spacing g, smoothly interpolated. */
static void noise_layer(dlc_rng *r, float *out, int size, double g)
{
    int L = (int)(size / g) + 3;
    double *lat = malloc(sizeof(double) * (size_t)(L * L));
    if (!lat) {
        fprintf(stderr, "make_shapes: out of memory\n");
        exit(1);
    }
    for (int i = 0; i < L * L; i++)
        lat[i] = dlc_rng_uniform(r);
    double ox = uniform(r, 0, 1), oy = uniform(r, 0, 1);
    for (int y = 0; y < size; y++)
        for (int x = 0; x < size; x++) {
            double fx = x / g + ox, fy = y / g + oy;
            int ix = (int)fx, iy = (int)fy;
            double tx = smooth(fx - ix), ty = smooth(fy - iy);
            double a = lat[iy * L + ix], b = lat[iy * L + ix + 1];
            double c = lat[(iy + 1) * L + ix], d = lat[(iy + 1) * L + ix + 1];
            out[y * size + x] = (float)((a + (b - a) * tx) * (1 - ty) + (c + (d - c) * tx) * ty);
        }
    free(lat);
}

/* A texture: value noise, stripes, a checkerboard or a gradient between two
 * colours of moderate contrast, plus pixel noise, its features `scale` times the
 * size they have in a 64 x 64 image.  Returns the mean colour. */
static void background(dlc_rng *r, canvas *cv, double mean[3], double scale)
{
    int S = cv->size;
    float *t = malloc(sizeof(float) * (size_t)(S * S));
    if (!t) {
        fprintf(stderr, "make_shapes: out of memory\n");
        exit(1);
    }
    double c1[3], c2[3];
    for (int k = 0; k < 3; k++) {
        c1[k] = uniform(r, 20, 235);
        c2[k] = c1[k] + uniform(r, -70, 70);
        c2[k] = c2[k] < 0 ? 0 : c2[k] > 255 ? 255 : c2[k];
    }
    int kind = (int)dlc_rng_below(r, 4);
    if (kind == 0) {
        noise_layer(r, t, S, uniform(r, 3, 14) * scale);
    } else if (kind == 1) {
        double th = uniform(r, 0, M_PI), period = uniform(r, 4, 16) * scale, ph = uniform(r, 0, 6.3);
        for (int y = 0; y < S; y++)
            for (int x = 0; x < S; x++)
                t[y * S + x] = (float)(0.5 + 0.5 * sin(2 * M_PI * (x * cos(th) + y * sin(th)) / period + ph));
    } else if (kind == 2) {
        int cell = (int)(uniform(r, 3, 12) * scale) + 1;
        int ox = (int)dlc_rng_below(r, (uint64_t)cell), oy = (int)dlc_rng_below(r, (uint64_t)cell);
        for (int y = 0; y < S; y++)
            for (int x = 0; x < S; x++)
                t[y * S + x] = (float)((((x + ox) / cell) + ((y + oy) / cell)) & 1);
    } else {
        double th = uniform(r, 0, 2 * M_PI);
        for (int y = 0; y < S; y++)
            for (int x = 0; x < S; x++)
                t[y * S + x] = (float)(0.5 + 0.5 * ((x - S / 2.0) * cos(th) + (y - S / 2.0) * sin(th)) / (S * 0.71));
    }
    double noise = uniform(r, 2, 12);
    for (int k = 0; k < 3; k++)
        mean[k] = 0;
    for (int i = 0; i < S * S; i++)
        for (int k = 0; k < 3; k++) {
            double v = c1[k] + (c2[k] - c1[k]) * t[i] + noise * dlc_rng_normal(r);
            v = v < 0 ? 0 : v > 255 ? 255 : v;
            cv->rgb[(size_t)i * 3 + k] = (float)v;
            mean[k] += v / (S * S);
        }
    free(t);
}

/* ---- shapes ---- */

static int inside(const shape *s, double x, double y)
{
    if (s->kind == SHAPE_CIRCLE)
        return (x - s->cx) * (x - s->cx) + (y - s->cy) * (y - s->cy) <= s->r * s->r;
    /* a convex polygon: on the same side of every edge */
    int pos = 0, neg = 0;
    for (int i = 0; i < s->n; i++) {
        int j = (i + 1) % s->n;
        double c = (s->px[j] - s->px[i]) * (y - s->py[i]) - (s->py[j] - s->py[i]) * (x - s->px[i]);
        pos |= c > 0;
        neg |= c < 0;
    }
    return !(pos && neg);
}

static void bounds(shape *s)
{
    if (s->kind == SHAPE_CIRCLE) {
        s->x1 = s->cx - s->r;
        s->x2 = s->cx + s->r;
        s->y1 = s->cy - s->r;
        s->y2 = s->cy + s->r;
        return;
    }
    s->x1 = s->x2 = s->px[0];
    s->y1 = s->y2 = s->py[0];
    for (int i = 1; i < s->n; i++) {
        s->x1 = fmin(s->x1, s->px[i]);
        s->x2 = fmax(s->x2, s->px[i]);
        s->y1 = fmin(s->y1, s->py[i]);
        s->y2 = fmax(s->y2, s->py[i]);
    }
}

/* Moves a shape by (dx, dy) and scales it about the origin by k. */
static void transform(shape *s, double k, double dx, double dy)
{
    s->cx = s->cx * k + dx;
    s->cy = s->cy * k + dy;
    s->r *= k;
    for (int i = 0; i < s->n; i++) {
        s->px[i] = s->px[i] * k + dx;
        s->py[i] = s->py[i] * k + dy;
    }
    bounds(s);
}

/* A shape of the kind around the origin at unit scale.  Landmark triangles
 * point up (rotation within 25 degrees) with corners in a fixed order. */
static void make_shape(dlc_rng *r, shape *s, int kind, int upright)
{
    memset(s, 0, sizeof *s);
    s->kind = kind;
    if (kind == SHAPE_CIRCLE) {
        s->r = 1;
    } else if (kind == SHAPE_SQUARE) {
        double rot = uniform(r, -0.35, 0.35);
        s->n = 4;
        for (int i = 0; i < 4; i++) {
            double a = rot + M_PI / 4 + i * M_PI / 2;
            s->px[i] = cos(a);
            s->py[i] = sin(a);
        }
    } else {
        /* angles in image coordinates (y down): -90 is up, 150 lower left, 30 lower right */
        double rot = upright ? uniform(r, -0.44, 0.44) : uniform(r, 0, 2 * M_PI);
        double base[3] = {-M_PI / 2, 5 * M_PI / 6, M_PI / 6};
        s->n = 3;
        for (int i = 0; i < 3; i++) {
            double a = base[i] + rot + (i ? uniform(r, -0.25, 0.25) : 0);
            double rad = uniform(r, 0.75, 1.0);
            s->px[i] = rad * cos(a);
            s->py[i] = rad * sin(a);
        }
    }
    bounds(s);
}

/* Scales to a largest side of `side` pixels and places the box inside the
 * image. */
static void place(dlc_rng *r, shape *s, double side, int S)
{
    double w = s->x2 - s->x1, h = s->y2 - s->y1;
    double k = side / (w > h ? w : h);
    transform(s, k, 0, 0);
    w = s->x2 - s->x1;
    h = s->y2 - s->y1;
    double x = uniform(r, 1, S - 1 - w), y = uniform(r, 1, S - 1 - h);
    transform(s, 1, x - s->x1, y - s->y1);
}

static double box_overlap(const shape *a, const shape *b)
{
    double w = fmin(a->x2, b->x2) - fmax(a->x1, b->x1), h = fmin(a->y2, b->y2) - fmax(a->y1, b->y1);
    return w > 0 && h > 0 ? w * h : 0;
}

static double box_area(const shape *a)
{
    return (a->x2 - a->x1) * (a->y2 - a->y1);
}

/* A colour far from the background's mean (RGB distance >= 110). */
static void pick_color(dlc_rng *r, const double mean[3], unsigned char c[3])
{
    double best = -1;
    for (int t = 0; t < 200; t++) {
        double v[3], d = 0;
        for (int k = 0; k < 3; k++) {
            v[k] = uniform(r, 0, 255);
            d += (v[k] - mean[k]) * (v[k] - mean[k]);
        }
        if (d > best) {
            best = d;
            for (int k = 0; k < 3; k++)
                c[k] = (unsigned char)v[k];
        }
        if (d >= 110.0 * 110.0)
            break;
    }
}

/* Anti-aliased fill: coverage from SS x SS samples per pixel. */
static void draw(canvas *cv, const shape *s)
{
    int S = cv->size;
    int x0 = (int)floor(s->x1), x1 = (int)ceil(s->x2), y0 = (int)floor(s->y1), y1 = (int)ceil(s->y2);
    for (int y = y0 < 0 ? 0 : y0; y < (y1 > S ? S : y1); y++)
        for (int x = x0 < 0 ? 0 : x0; x < (x1 > S ? S : x1); x++) {
            int hits = 0;
            for (int a = 0; a < SS; a++)
                for (int b = 0; b < SS; b++)
                    hits += inside(s, x + (b + 0.5) / SS, y + (a + 0.5) / SS);
            if (!hits)
                continue;
            double cov = (double)hits / (SS * SS);
            float *p = cv->rgb + ((size_t)y * S + x) * 3;
            for (int k = 0; k < 3; k++)
                p[k] = (float)((1 - cov) * p[k] + cov * s->color[k]);
        }
}

/* The share of shape i's pixels (samples) that no later shape covers. */
static double visible(const shape *sh, int n, int i)
{
    const shape *s = &sh[i];
    long in = 0, seen = 0;
    for (double y = s->y1; y < s->y2; y += 0.5)
        for (double x = s->x1; x < s->x2; x += 0.5) {
            if (!inside(s, x, y))
                continue;
            in++;
            int hidden = 0;
            for (int j = i + 1; j < n && !hidden; j++)
                hidden = inside(&sh[j], x, y);
            seen += !hidden;
        }
    return in ? (double)seen / in : 0;
}

/* ---- one image ---- */

typedef struct {
    int mode, size;
    int label; /* windows: the class of the image just made (0 background) */
} gen_opts;

/* Draws image `index` of split `split` and writes its PNG and label file. */
static void make_image(gen_opts *o, uint64_t seed, int split, int index, const char *dir)
{
    dlc_rng r;
    dlc_rng_seed(&r, seed, ((uint64_t)(o->mode * 4 + split + 1) << 32) | (uint32_t)index);
    int S = o->size;
    canvas cv = {S, malloc(sizeof(float) * (size_t)(S * S * 3))};
    unsigned char *px = malloc((size_t)(S * S * 3));
    if (!cv.rgb || !px) {
        fprintf(stderr, "make_shapes: out of memory\n");
        exit(1);
    }
    double mean[3];
    /* windows are crops of 64 x 64 scenes: their textures keep the scenes' scale */
    background(&r, &cv, mean, o->mode == MODE_WINDOWS ? 1.0 : S / 64.0);

    shape sh[MAX_OBJECTS];
    int n = 0;
    double k = S / 64.0;
    if (o->mode == MODE_DETECT) {
        int want = dlc_rng_below(&r, 10) == 0 ? 0 : 1 + (int)dlc_rng_below(&r, MAX_OBJECTS);
        for (int tries = 0; n < want && tries < 200; tries++) {
            shape *s = &sh[n];
            make_shape(&r, s, (int)dlc_rng_below(&r, SHAPE_COUNT), 0);
            place(&r, s, uniform(&r, 10, 30) * k, S);
            int ok = 1;
            for (int j = 0; j < n && ok; j++) {
                double ov = box_overlap(s, &sh[j]);
                double small = fmin(box_area(s), box_area(&sh[j]));
                ok = ov <= 0.35 * small;
            }
            if (ok && n > 0) {
                shape all[MAX_OBJECTS];
                memcpy(all, sh, sizeof(shape) * (size_t)(n + 1));
                for (int j = 0; j < n && ok; j++)
                    ok = visible(all, n + 1, j) >= 0.6;
            }
            if (ok)
                n++;
        }
    } else if (o->mode == MODE_WINDOWS) {
        /* classes: 0 background, 1 + shape; a quarter of the backgrounds hold a
         * shape that is off-centre or cut by the edge (not "a shape here") */
        int cls = (int)dlc_rng_below(&r, SHAPE_COUNT + 1);
        if (cls > 0 || dlc_rng_below(&r, 4) == 0) {
            make_shape(&r, &sh[0], cls > 0 ? cls - 1 : (int)dlc_rng_below(&r, SHAPE_COUNT), 0);
            place(&r, &sh[0], uniform(&r, 11, 17) * S / 24.0, S);
            double w = sh[0].x2 - sh[0].x1, h = sh[0].y2 - sh[0].y1, off = cls > 0 ? 2 : 0;
            double cx = S / 2.0 + uniform(&r, -off, off), cy = S / 2.0 + uniform(&r, -off, off);
            if (cls == 0) { /* far from the middle: a neighbouring window's object */
                double a = uniform(&r, 0, 2 * M_PI), d = uniform(&r, 0.45, 0.75) * S;
                cx += d * cos(a);
                cy += d * sin(a);
            }
            transform(&sh[0], 1, cx - (sh[0].x1 + w / 2), cy - (sh[0].y1 + h / 2));
            n = 1;
        }
        o->label = cls;
    } else if (dlc_rng_below(&r, 10) != 0) {
        int kind = o->mode == MODE_LANDMARKS ? SHAPE_TRIANGLE : (int)dlc_rng_below(&r, SHAPE_COUNT);
        make_shape(&r, &sh[0], kind, o->mode == MODE_LANDMARKS);
        place(&r, &sh[0], uniform(&r, o->mode == MODE_LANDMARKS ? 20 : 14, 40) * k, S);
        n = 1;
    }
    for (int i = 0; i < n; i++) {
        pick_color(&r, mean, sh[i].color);
        draw(&cv, &sh[i]);
    }
    for (int i = 0; i < S * S * 3; i++) {
        float v = cv.rgb[i] + 0.5f;
        px[i] = (unsigned char)(v < 0 ? 0 : v > 255 ? 255 : v);
    }

    char path[4200];
    if (o->mode == MODE_WINDOWS)
        snprintf(path, sizeof path, "%s/%s/%05d.png", dir,
                 o->label ? shape_names[o->label - 1] : "background", index);
    else
        snprintf(path, sizeof path, "%s/%05d.png", dir, index);
    if (!stbi_write_png(path, S, S, 3, px, S * 3)) {
        fprintf(stderr, "make_shapes: cannot write %s\n", path);
        exit(1);
    }
    if (o->mode == MODE_WINDOWS) {
        free(cv.rgb);
        free(px);
        return;
    }
    snprintf(path, sizeof path, "%s/%05d.txt", dir, index);
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "make_shapes: cannot write %s: %s\n", path, strerror(errno));
        exit(1);
    }
    for (int i = 0; i < n; i++) {
        const shape *s = &sh[i];
        int cls = o->mode == MODE_LANDMARKS ? 0 : s->kind;
        fprintf(f, "%d %.6f %.6f %.6f %.6f", cls, (s->x1 + s->x2) / 2 / S, (s->y1 + s->y2) / 2 / S,
                (s->x2 - s->x1) / S, (s->y2 - s->y1) / S);
        if (o->mode == MODE_LANDMARKS)
            for (int j = 0; j < 3; j++)
                fprintf(f, " %.6f %.6f", s->px[j] / S, s->py[j] / S);
        fprintf(f, "\n");
    }
    if (fclose(f) != 0) {
        fprintf(stderr, "make_shapes: cannot write %s\n", path);
        exit(1);
    }
    free(cv.rgb);
    free(px);
}

static void mkdir_or_die(const char *path)
{
    if (mkdir(path, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "make_shapes: cannot create %s: %s\n", path, strerror(errno));
        exit(1);
    }
}

static void usage(void)
{
    fprintf(stderr, "usage: make_shapes OUT [--mode detect|single|landmarks|windows] [--seed N] "
                    "[--train N] [--dev N] [--test N] [--size N]\n");
    exit(2);
}

static long number(const char *s, long lo, long hi)
{
    long v;
    if (!s || dlc_parse_long(s, &v) != 0 || v < lo || v > hi) {
        fprintf(stderr, "make_shapes: expected a whole number from %ld to %ld, got '%s'\n", lo, hi,
                s ? s : "");
        exit(2);
    }
    return v;
}

int main(int argc, char **argv)
{
    const char *out = NULL;
    gen_opts o = {MODE_DETECT, 0, 0};
    long seed = 1, counts[3] = {8000, 1000, 1000};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--mode") == 0 && v) {
            o.mode = strcmp(v, "detect") == 0      ? MODE_DETECT
                     : strcmp(v, "single") == 0    ? MODE_SINGLE
                     : strcmp(v, "landmarks") == 0 ? MODE_LANDMARKS
                     : strcmp(v, "windows") == 0   ? MODE_WINDOWS
                                                   : -1;
            if (o.mode < 0)
                usage();
            i++;
        } else if (strcmp(a, "--seed") == 0) {
            seed = number(v, 0, 1L << 62);
            i++;
        } else if (strcmp(a, "--train") == 0) {
            counts[0] = number(v, 0, 99999);
            i++;
        } else if (strcmp(a, "--dev") == 0) {
            counts[1] = number(v, 0, 99999);
            i++;
        } else if (strcmp(a, "--test") == 0) {
            counts[2] = number(v, 0, 99999);
            i++;
        } else if (strcmp(a, "--size") == 0) {
            o.size = (int)number(v, 16, 1024);
            i++;
        } else if (a[0] == '-' || out) {
            usage();
        } else {
            out = a;
        }
    }
    if (!out)
        usage();
    if (o.size == 0)
        o.size = o.mode == MODE_WINDOWS ? 24 : 64;
    static const char *const splits[3] = {"train", "dev", "test"};
    char path[4096];
    mkdir_or_die(out);
    snprintf(path, sizeof path, "%s/shapes.names", out);
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "make_shapes: cannot write %s: %s\n", path, strerror(errno));
        return 1;
    }
    if (o.mode == MODE_LANDMARKS)
        fprintf(f, "triangle\n");
    else
        for (int c = 0; c < SHAPE_COUNT; c++)
            fprintf(f, "%s\n", shape_names[c]);
    fclose(f);
    for (int s = 0; s < 3; s++) {
        if (counts[s] == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", out, splits[s]);
        mkdir_or_die(path);
        for (int c = 0; o.mode == MODE_WINDOWS && c <= SHAPE_COUNT; c++) {
            char sub[4200];
            snprintf(sub, sizeof sub, "%s/%s", path, c ? shape_names[c - 1] : "background");
            mkdir_or_die(sub);
        }
        for (long i = 0; i < counts[s]; i++)
            make_image(&o, (uint64_t)seed, s, (int)i, path);
    }
    return 0;
}
