/* winograd.c - 3x3 stride-1 convolution by Winograd's minimal filtering
 * (Lavin and Gray 2015, "Fast Algorithms for Convolutional Neural
 * Networks"), F(2x2, 3x3) and F(4x4, 3x3).  See winograd.h for the API.
 *
 * Letters: m the output tile (2 or 4), a = m + 2 the input patch, A2 = a*a
 * transform positions xi; the output (OH, OW) is cut into m x m tiles, TS
 * per sample, and a block of at most TB tiles (over the whole batch) is
 * worked at a time.  Per tile, with d_c the a x a input patch of channel c
 * and w_fc the 3x3 kernel:
 *     y_f = A^T [ sum_c (G w_fc G^T) . (B^T d_c B) ] A        (. elementwise)
 * so for each position xi the sum over c is one matrix product over every
 * tile of the block:
 *     U (A2, F, C)   = G w G^T                      once per call
 *     V (A2, C, TB)  = B^T d B                      per block
 *     M (A2, F, TB)  = U[xi] V[xi]   for each xi    A2 sgemms
 *     y              = A^T M A
 * Backward is the same computation transposed, sharing the transformed
 * output gradient:
 *     dM (A2, F, TB) = A dy A^T
 *     dU[xi] (F, C) += dM[xi] V[xi]^T,  then dW += G^T dU G
 *     dV[xi] (C, TB) = U[xi]^T dM[xi],  then dx += B dV B^T (patches overlap: added)
 * which is Winograd's convolution of dy with the flipped kernel for dx, and
 * Winograd's correlation of x with dy for dW.  Multiplies per output and
 * channel pair: 9 direct, 16/4 = 4 for F(2x2, 3x3), 36/16 = 2.25 for
 * F(4x4, 3x3), at the price of the transforms and of rounding: the larger
 * tile's transforms have larger coefficients, so its error is larger
 * (bounds measured in tests/unit/test_winograd.c).
 *
 * Threads: each phase splits its items over the worker threads (channels for
 * the transforms, positions xi for the products, each of which runs whole
 * on one thread), so no thread needs buffers of its own and dU needs no
 * reduction. */
#include <string.h>

#include "winograd.h"

/* V and M of one block: large enough that the products have a few hundred
 * columns on the small layers, small enough to stay in the last-level cache
 * on the large ones; at least WINO_MIN_TILES columns whatever the layer. */
enum { WINO_BLOCK_FLOATS = 1 << 20, WINO_MIN_TILES = 64 };

/* The transforms run on 8 tiles (or 8 channels) at once, one per lane: the
 * lanes are the contiguous axis of V and M, so each transformed value is
 * stored as 8 adjacent floats. */
enum { WL = 8 };
/* Every function taking or returning v8 is static and inlined, so GCC's
 * note that such calls would pass AVX registers differently without AVX
 * concerns no call that exists. */
#pragma GCC diagnostic ignored "-Wpsabi"
typedef float v8 __attribute__((vector_size(WL * sizeof(float))));

static inline v8 ld8(const float *p)
{
    v8 v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline void st8(float *p, v8 v)
{
    memcpy(p, &v, sizeof v);
}

typedef int v8i __attribute__((vector_size(WL * sizeof(int))));

/* Lanes of two vectors picked by eight constant indices (0-7: a's, 8-15:
 * b's): GCC's __builtin_shuffle takes them as a mask vector, clang's
 * __builtin_shufflevector (make fuzz builds with clang) as arguments. */
#ifdef __clang__
#define SHUF8(a, b, i0, i1, i2, i3, i4, i5, i6, i7) \
    __builtin_shufflevector(a, b, i0, i1, i2, i3, i4, i5, i6, i7)
#else
#define SHUF8(a, b, i0, i1, i2, i3, i4, i5, i6, i7) \
    __builtin_shuffle(a, b, (v8i){i0, i1, i2, i3, i4, i5, i6, i7})
#endif

/* r[i][j] <- r[j][i]: in-lane interleaves, then 64-bit shuffles, then
 * 128-bit halves (with AVX: unpcklps/unpckhps, shufps, vperm2f128) */
static inline void transpose8(v8 *r)
{
#define LO(a, b) SHUF8(a, b, 0, 8, 1, 9, 4, 12, 5, 13)
#define HI(a, b) SHUF8(a, b, 2, 10, 3, 11, 6, 14, 7, 15)
#define S0(a, b) SHUF8(a, b, 0, 1, 8, 9, 4, 5, 12, 13)
#define S1(a, b) SHUF8(a, b, 2, 3, 10, 11, 6, 7, 14, 15)
#define H0(a, b) SHUF8(a, b, 0, 1, 2, 3, 8, 9, 10, 11)
#define H1(a, b) SHUF8(a, b, 4, 5, 6, 7, 12, 13, 14, 15)
    v8 t[8], u[8];
    for (int k = 0; k < 4; k++) {
        t[2 * k] = LO(r[2 * k], r[2 * k + 1]);
        t[2 * k + 1] = HI(r[2 * k], r[2 * k + 1]);
    }
    for (int k = 0; k < 2; k++) {
        u[4 * k] = S0(t[4 * k], t[4 * k + 2]);
        u[4 * k + 1] = S1(t[4 * k], t[4 * k + 2]);
        u[4 * k + 2] = S0(t[4 * k + 1], t[4 * k + 3]);
        u[4 * k + 3] = S1(t[4 * k + 1], t[4 * k + 3]);
    }
    for (int k = 0; k < 4; k++) {
        r[k] = H0(u[k], u[k + 4]);
        r[k + 4] = H1(u[k], u[k + 4]);
    }
#undef LO
#undef HI
#undef S0
#undef S1
#undef H0
#undef H1
}

/* v > 0 ? v : slope * v, lane by lane */
static inline v8 leaky8(v8 v, float slope)
{
    v8i pos = v > (v8){0};
    v8 s = slope * v;
    return (v8)((pos & (v8i)v) | (~pos & (v8i)s));
}

/* ---- the 1-D transforms: out = matrix * in, with strides ----
 * Interpolation points 0, 1, -1 (m = 2) and 0, 1, -1, 2, -2 (m = 4), plus
 * the point at infinity.  Each forward matrix comes with its transpose. */

/* out (a) = B^T in (a) */
static inline void bt1(int m, v8 *o, size_t os, const v8 *d, size_t ds)
{
    if (m == 2) {
        v8 d0 = d[0], d1 = d[ds], d2 = d[2 * ds], d3 = d[3 * ds];
        o[0] = d0 - d2;
        o[os] = d1 + d2;
        o[2 * os] = d2 - d1;
        o[3 * os] = d1 - d3;
        return;
    }
    v8 d0 = d[0], d1 = d[ds], d2 = d[2 * ds], d3 = d[3 * ds], d4 = d[4 * ds], d5 = d[5 * ds];
    o[0] = 4.0f * d0 - 5.0f * d2 + d4;
    o[os] = d3 + d4 - 4.0f * (d1 + d2);
    o[2 * os] = d4 - d3 + 4.0f * (d1 - d2);
    o[3 * os] = d4 - d2 + 2.0f * (d3 - d1);
    o[4 * os] = d4 - d2 + 2.0f * (d1 - d3);
    o[5 * os] = 4.0f * d1 - 5.0f * d3 + d5;
}

/* out (a) = B in (a), the transpose of bt1 */
static inline void b1(int m, v8 *o, size_t os, const v8 *v, size_t vs)
{
    if (m == 2) {
        v8 v0 = v[0], v1 = v[vs], v2 = v[2 * vs], v3 = v[3 * vs];
        o[0] = v0;
        o[os] = v1 - v2 + v3;
        o[2 * os] = v1 + v2 - v0;
        o[3 * os] = -v3;
        return;
    }
    v8 v0 = v[0], v1 = v[vs], v2 = v[2 * vs], v3 = v[3 * vs], v4 = v[4 * vs], v5 = v[5 * vs];
    o[0] = 4.0f * v0;
    o[os] = 4.0f * (v2 - v1 + v5) + 2.0f * (v4 - v3);
    o[2 * os] = -5.0f * v0 - 4.0f * (v1 + v2) - v3 - v4;
    o[3 * os] = v1 - v2 + 2.0f * (v3 - v4) - 5.0f * v5;
    o[4 * os] = v0 + v1 + v2 + v3 + v4;
    o[5 * os] = v5;
}

/* out (m) = A^T in (a) */
static inline void at1(int m, v8 *o, size_t os, const v8 *v, size_t vs)
{
    if (m == 2) {
        v8 v0 = v[0], v1 = v[vs], v2 = v[2 * vs], v3 = v[3 * vs];
        o[0] = v0 + v1 + v2;
        o[os] = v1 - v2 - v3;
        return;
    }
    v8 v0 = v[0], v1 = v[vs], v2 = v[2 * vs], v3 = v[3 * vs], v4 = v[4 * vs], v5 = v[5 * vs];
    v8 p1 = v1 + v2, m1 = v1 - v2, p2 = v3 + v4, m2 = v3 - v4;
    o[0] = v0 + p1 + p2;
    o[os] = m1 + 2.0f * m2;
    o[2 * os] = p1 + 4.0f * p2;
    o[3 * os] = m1 + 8.0f * m2 + v5;
}

/* out (a) = A in (m), the transpose of at1 */
static inline void a1(int m, v8 *o, size_t os, const v8 *y, size_t ys)
{
    if (m == 2) {
        v8 y0 = y[0], y1 = y[ys];
        o[0] = y0;
        o[os] = y0 + y1;
        o[2 * os] = y0 - y1;
        o[3 * os] = -y1;
        return;
    }
    v8 y0 = y[0], y1 = y[ys], y2 = y[2 * ys], y3 = y[3 * ys];
    v8 pe = y0 + y2, po = y1 + y3, qe = y0 + 4.0f * y2, qo = 2.0f * y1 + 8.0f * y3;
    o[0] = y0;
    o[os] = pe + po;
    o[2 * os] = pe - po;
    o[3 * os] = qe + qo;
    o[4 * os] = qe - qo;
    o[5 * os] = y3;
}

/* out (a) = G in (3) */
static inline void g1(int m, v8 *o, size_t os, const v8 *g, size_t gs)
{
    v8 g0 = g[0], g1v = g[gs], g2 = g[2 * gs];
    if (m == 2) {
        o[0] = g0;
        o[os] = 0.5f * (g0 + g1v + g2);
        o[2 * os] = 0.5f * (g0 - g1v + g2);
        o[3 * os] = g2;
        return;
    }
    o[0] = 0.25f * g0;
    o[os] = (g0 + g1v + g2) * (-1.0f / 6.0f);
    o[2 * os] = (g0 - g1v + g2) * (-1.0f / 6.0f);
    o[3 * os] = g0 * (1.0f / 24.0f) + g1v * (1.0f / 12.0f) + g2 * (1.0f / 6.0f);
    o[4 * os] = g0 * (1.0f / 24.0f) - g1v * (1.0f / 12.0f) + g2 * (1.0f / 6.0f);
    o[5 * os] = g2;
}

/* out (3) = G^T in (a), the transpose of g1 */
static inline void gt1(int m, v8 *o, size_t os, const v8 *u, size_t us)
{
    if (m == 2) {
        v8 u0 = u[0], u1 = u[us], u2 = u[2 * us], u3 = u[3 * us];
        o[0] = u0 + 0.5f * (u1 + u2);
        o[os] = 0.5f * (u1 - u2);
        o[2 * os] = 0.5f * (u1 + u2) + u3;
        return;
    }
    v8 u0 = u[0], u1 = u[us], u2 = u[2 * us], u3 = u[3 * us], u4 = u[4 * us], u5 = u[5 * us];
    o[0] = 0.25f * u0 - (u1 + u2) * (1.0f / 6.0f) + (u3 + u4) * (1.0f / 24.0f);
    o[os] = (u2 - u1) * (1.0f / 6.0f) + (u3 - u4) * (1.0f / 12.0f);
    o[2 * os] = (u3 + u4 - u1 - u2) * (1.0f / 6.0f) + u5;
}

/* ---- the 2-D transforms: out (p, p) = T in T^T for in (q, q), T the
 * (p, q) matrix of a 1-D transform, applied down the columns and then along
 * the rows ---- */

typedef void (*wino_1d)(int m, v8 *o, size_t os, const v8 *in, size_t is);

static inline __attribute__((always_inline)) void sep2(wino_1d f, int m, int p, int q, v8 *out,
                                                       const v8 *in)
{
    v8 t[36];
    for (int j = 0; j < q; j++)
        f(m, t + j, (size_t)q, in + j, (size_t)q);
    for (int i = 0; i < p; i++)
        f(m, out + i * p, 1, t + i * q, 1);
}

/* V = B^T d B, dd = B dv B^T (a x a); y = A^T M A (m x m from a x a),
 * dM = A dy A^T; U = G g G^T (a x a from 3 x 3), dg = G^T dU G */
#define in2(m, o, d) sep2(bt1, m, (m) + 2, (m) + 2, o, d)
#define in2_adj(m, o, d) sep2(b1, m, (m) + 2, (m) + 2, o, d)
#define out2(m, o, d) sep2(at1, m, m, (m) + 2, o, d)
#define out2_adj(m, o, d) sep2(a1, m, (m) + 2, m, o, d)
#define w2(m, o, d) sep2(g1, m, (m) + 2, 3, o, d)
#define w2_adj(m, o, d) sep2(gt1, m, 3, (m) + 2, o, d)

/* ---- the layer ---- */

/* A segment: up to SEG tiles of one tile row, worked from a strip of its
 * input (or output) rows copied with their zero padding into a buffer of
 * STRIP floats a row, so the transforms never test an edge.  A group of WL
 * tiles reads lane L's window at L * m of each strip row: WL unaligned
 * loads and one transpose. */
enum { SEG = 64, STRIP = SEG * 4 + 2 * WL };

typedef struct wino_job wino_job;
typedef void (*wino_phase)(const wino_job *j, size_t lo, size_t hi);

struct wino_job {
    int m, a, A2, C, F, H, W, OH, OW, lo_h, lo_w, tiles_w;
    size_t TS, TB, ld;     /* tiles per sample; per block; row length of V and M (TB + WL) */
    size_t t0, tb;         /* the current block: first tile, tiles */
    const float *x, *w, *b, *dy, *y;
    float *out, *dx, *dw, *db;
    float *U, *dU, *V, *M; /* (A2, F, C) twice, (A2, C, ld), (A2, F, ld) */
    float slope;
    int want_dw;
    wino_phase phase;
    size_t count;
};

/* Tiles per block at batch capacity nmax. */
static size_t block_tiles(int m, const layer_geom *geo, int F, int nmax)
{
    size_t a = (size_t)m + 2, TS = (size_t)((geo->out[1] + m - 1) / m) * (size_t)((geo->out[2] + m - 1) / m);
    size_t total = TS * (size_t)nmax, tb = WINO_BLOCK_FLOATS / (a * a * (size_t)(geo->C + F));
    if (tb < WINO_MIN_TILES)
        tb = WINO_MIN_TILES;
    return tb < total ? tb : total;
}

int wino_applies(const layer_geom *geo)
{
    return geo->nsp == 2 && geo->k[1] == 3 && geo->k[2] == 3 && geo->s[1] == 1 && geo->s[2] == 1 &&
           geo->d[1] == 1 && geo->d[2] == 1;
}

static size_t align16(size_t n)
{
    return (n + 15) & ~(size_t)15;
}

size_t wino_scratch(wino_tile m, const layer_geom *geo, int F, int nmax)
{
    size_t a = (size_t)m + 2, A2 = a * a, ld = block_tiles((int)m, geo, F, nmax) + WL;
    return 2 * align16(A2 * (size_t)F * (size_t)geo->C) + align16(A2 * (size_t)geo->C * ld) +
           align16(A2 * (size_t)F * ld);
}

static void job_init(wino_job *j, wino_tile m, const layer_geom *geo, int F, int nmax, float *scratch,
                     int backward)
{
    memset(j, 0, sizeof *j);
    j->m = (int)m;
    j->a = j->m + 2;
    j->A2 = j->a * j->a;
    j->C = geo->C;
    j->F = F;
    j->H = geo->in[1];
    j->W = geo->in[2];
    j->OH = geo->out[1];
    j->OW = geo->out[2];
    j->lo_h = geo->lo[1];
    j->lo_w = geo->lo[2];
    j->tiles_w = (j->OW + j->m - 1) / j->m;
    j->TS = (size_t)((j->OH + j->m - 1) / j->m) * (size_t)j->tiles_w;
    j->TB = block_tiles(j->m, geo, F, nmax);
    j->ld = j->TB + WL;
    size_t A2 = (size_t)j->A2, FC = align16(A2 * (size_t)F * (size_t)j->C);
    j->U = scratch;
    j->dU = backward ? scratch + FC : NULL;
    j->V = scratch + (backward ? 2 * FC : FC);
    j->M = j->V + align16(A2 * (size_t)j->C * j->ld);
}

static void run_part(void *ctx, int i, int n)
{
    const wino_job *j = ctx;
    size_t lo, hi;
    tensor_part_range(j->count, 1, i, n, &lo, &hi);
    if (lo < hi)
        j->phase(j, lo, hi);
}

static void run(wino_job *j, wino_phase phase, size_t count)
{
    j->phase = phase;
    j->count = count;
    tensor_parallel(run_part, j);
}

/* The segment starting at block tile t: sample n, tile row th, tiles tw0 .. tw0 + len. */
typedef struct {
    size_t n;
    int th, tw0, len;
} tile_seg;

static inline tile_seg seg_at(const wino_job *j, size_t t)
{
    tile_seg sg;
    size_t g = j->t0 + t, rest = g % j->TS;
    sg.n = g / j->TS;
    sg.th = (int)(rest / (size_t)j->tiles_w);
    sg.tw0 = (int)(rest % (size_t)j->tiles_w);
    size_t len = (size_t)(j->tiles_w - sg.tw0);
    len = len < j->tb - t ? len : j->tb - t;
    sg.len = len < SEG ? (int)len : SEG;
    return sg;
}

/* Floats of a strip row the segment's groups read: whole groups of WL lanes
 * of m columns, plus a window's overhang. */
static inline int strip_cols(const wino_job *j, int len)
{
    return (len + WL - 1) / WL * WL * j->m + WL;
}

/* dst[0, n) = row src's columns [c0, c0 + n), zero outside [0, W) (and
 * everywhere when src is NULL: a row outside the map) */
static inline void strip_row(float *dst, const float *src, int c0, int n, int W)
{
    int a = c0 < 0 ? -c0 : 0, b = W - c0 < n ? W - c0 : n;
    if (!src || b <= a) {
        memset(dst, 0, sizeof(float) * (size_t)n);
        return;
    }
    memset(dst, 0, sizeof(float) * (size_t)a);
    memcpy(dst + a, src + c0 + a, sizeof(float) * (size_t)(b - a));
    memset(dst + b, 0, sizeof(float) * (size_t)(n - b));
}

/* d[i a + q] lane L = strip row i at L m + q, for the group at column g m
 * (rows of `a` windows of width `a`: the input patches, or m x m output tiles) */
static inline void gather(v8 *d, const float (*S)[STRIP], int rows, int width, int m, int g)
{
    v8 r[WL];
    for (int i = 0; i < rows; i++) {
        for (int L = 0; L < WL; L++)
            r[L] = ld8(S[i] + (g + L) * m);
        transpose8(r);
        for (int q = 0; q < width; q++)
            d[i * width + q] = r[q];
    }
}

/* U[xi][f][c] = (G w_fc G^T)[xi], filters [lo, hi), WL channels at a time */
DLC_HOT
static void phase_weights(const wino_job *j, size_t lo, size_t hi)
{
    const size_t FC = (size_t)j->F * j->C, C = (size_t)j->C;
    v8 g[9], U[36];
    for (size_t f = lo; f < hi; f++)
        for (size_t c = 0; c < C; c += WL) {
            int lanes = C - c < WL ? (int)(C - c) : WL;
            for (int k = 0; k < 9; k++)
                for (int L = 0; L < WL; L++)
                    g[k][L] = L < lanes ? j->w[(f * C + c + (size_t)L) * 9 + (size_t)k] : 0.0f;
            w2(j->m, U, g);
            for (int xi = 0; xi < j->A2; xi++) {
                float *o = j->U + (size_t)xi * FC + f * C + c;
                if (lanes == WL)
                    st8(o, U[xi]);
                else
                    for (int L = 0; L < lanes; L++)
                        o[L] = U[xi][L];
            }
        }
}

/* dW[f][c] += G^T dU[.][f][c] G, filters [lo, hi) */
DLC_HOT
static void phase_weights_adj(const wino_job *j, size_t lo, size_t hi)
{
    const size_t FC = (size_t)j->F * j->C, C = (size_t)j->C;
    v8 du[36], dg[9];
    for (size_t f = lo; f < hi; f++)
        for (size_t c = 0; c < C; c += WL) {
            int lanes = C - c < WL ? (int)(C - c) : WL;
            for (int xi = 0; xi < j->A2; xi++) {
                const float *src = j->dU + (size_t)xi * FC + f * C + c;
                if (lanes == WL)
                    du[xi] = ld8(src);
                else
                    for (int L = 0; L < WL; L++)
                        du[xi][L] = L < lanes ? src[L] : 0.0f;
            }
            w2_adj(j->m, dg, du);
            for (int L = 0; L < lanes; L++)
                for (int k = 0; k < 9; k++)
                    j->dw[(f * C + c + (size_t)L) * 9 + (size_t)k] += dg[k][L];
        }
}

/* V[xi][c][t] = (B^T d B)[xi] for the block's tiles, channels [lo, hi).
 * A group's lanes past its segment hold whatever the strip has there: they
 * land in columns the next segment (same channel, same thread) or the row's
 * padding overwrite or ignore. */
DLC_HOT
static void phase_input(const wino_job *j, size_t lo, size_t hi)
{
    const int m = j->m, a = j->a, H = j->H, W = j->W;
    const size_t Cld = (size_t)j->C * j->ld;
    float S[6][STRIP];
    v8 d[36], V[36];
    for (size_t c = lo; c < hi; c++)
        for (size_t t = 0; t < j->tb;) {
            const tile_seg sg = seg_at(j, t);
            const int n = strip_cols(j, sg.len), c0 = sg.tw0 * m - j->lo_w;
            const float *xc = j->x + (sg.n * (size_t)j->C + c) * (size_t)H * W;
            for (int i = 0; i < a; i++) {
                int r = sg.th * m - j->lo_h + i;
                strip_row(S[i], r >= 0 && r < H ? xc + (size_t)r * W : NULL, c0, n, W);
            }
            for (int g = 0; g < sg.len; g += WL) {
                gather(d, (const float(*)[STRIP])S, a, a, m, g);
                in2(m, V, d);
                for (int xi = 0; xi < j->A2; xi++)
                    st8(j->V + (size_t)xi * Cld + c * j->ld + t + (size_t)g, V[xi]);
            }
            t += (size_t)sg.len;
        }
}

/* M[xi] = U[xi] V[xi] for positions [lo, hi) */
static void phase_product(const wino_job *j, size_t lo, size_t hi)
{
    const size_t FC = (size_t)j->F * j->C;
    for (size_t xi = lo; xi < hi; xi++)
        tensor_sgemm(0, 0, j->F, (int)j->tb, j->C, 1.0f, j->U + xi * FC, j->C,
                     j->V + xi * j->C * j->ld, (int)j->ld, 0.0f, j->M + xi * j->F * j->ld, (int)j->ld);
}

/* y = A^T M A + b through the activation, filters [lo, hi) */
DLC_HOT
static void phase_output(const wino_job *j, size_t lo, size_t hi)
{
    const int m = j->m, OH = j->OH, OW = j->OW;
    const size_t Fld = (size_t)j->F * j->ld;
    float Y[4][STRIP];
    v8 Mt[36], yt[16], r[WL];
    for (size_t f = lo; f < hi; f++)
        for (size_t t = 0; t < j->tb;) {
            const tile_seg sg = seg_at(j, t);
            const int c0 = sg.tw0 * m, cols = (OW - c0 < sg.len * m ? OW - c0 : sg.len * m);
            const float bias = j->b ? j->b[f] : 0.0f;
            for (int g = 0; g < sg.len; g += WL) {
                for (int xi = 0; xi < j->A2; xi++)
                    Mt[xi] = ld8(j->M + (size_t)xi * Fld + f * j->ld + t + (size_t)g);
                out2(m, yt, Mt);
                /* lanes to rows: tile L's row i at columns (g + L) m of strip row i */
                for (int i = 0; i < m; i++) {
                    for (int q = 0; q < WL; q++)
                        r[q] = q < m ? leaky8(yt[i * m + q] + bias, j->slope) : (v8){0};
                    transpose8(r);
                    for (int L = 0; L < WL; L++)
                        st8(Y[i] + (g + L) * m, r[L]);
                }
            }
            float *yc = j->out + (sg.n * (size_t)j->F + f) * (size_t)OH * OW;
            for (int i = 0; i < m && sg.th * m + i < OH; i++)
                memcpy(yc + (size_t)(sg.th * m + i) * OW + c0, Y[i], sizeof(float) * (size_t)cols);
            t += (size_t)sg.len;
        }
}

/* Backward's first phase over C + F items: the input transform of channels
 * (when dW is wanted: items [0, C)) and dM = A dz A^T of filters (the rest),
 * dz = dy through the activation's derivative; db gets dz's sum. */
DLC_HOT
static void phase_grad_in(const wino_job *j, size_t lo, size_t hi)
{
    const int m = j->m, OH = j->OH, OW = j->OW;
    const size_t Cw = j->want_dw ? (size_t)j->C : 0, Fld = (size_t)j->F * j->ld;
    if (lo < Cw) {
        phase_input(j, lo, hi < Cw ? hi : Cw);
        lo = Cw;
    }
    if (lo >= hi)
        return;
    float Z[4][STRIP];
    v8 dz[16], dM[36];
    for (size_t k = lo; k < hi; k++)
        for (size_t t = 0; t < j->tb;) {
            const tile_seg sg = seg_at(j, t);
            const int n = strip_cols(j, sg.len), c0 = sg.tw0 * m;
            const size_t f = k - Cw, plane = (sg.n * (size_t)j->F + f) * (size_t)OH * OW;
            double sum = 0;
            for (int i = 0; i < m; i++) {
                int r = sg.th * m + i;
                strip_row(Z[i], r < OH ? j->dy + plane + (size_t)r * OW : NULL, c0, n, OW);
                if (r >= OH)
                    continue;
                const int cols = OW - c0 < n ? OW - c0 : n;
                if (j->y) {
                    const float *yr = j->y + plane + (size_t)r * OW + c0;
                    const float slope = j->slope;
                    float *z = Z[i];
                    for (int q = 0; q < cols; q++) {
                        float v = z[q], l = slope * v;
                        z[q] = yr[q] > 0.0f ? v : l;
                    }
                }
                if (j->db)
                    sum += tensor_sum(Z[i], (size_t)cols);
            }
            for (int g = 0; g < sg.len; g += WL) {
                gather(dz, (const float(*)[STRIP])Z, m, m, m, g);
                out2_adj(m, dM, dz);
                for (int xi = 0; xi < j->A2; xi++)
                    st8(j->M + (size_t)xi * Fld + f * j->ld + t + (size_t)g, dM[xi]);
            }
            if (j->db)
                j->db[f] += (float)sum;
            t += (size_t)sg.len;
        }
}

/* dU[xi] += dM[xi] V[xi]^T, then V[xi] = U[xi]^T dM[xi] (dV), positions [lo, hi) */
static void phase_grad_product(const wino_job *j, size_t lo, size_t hi)
{
    const size_t FC = (size_t)j->F * j->C;
    for (size_t xi = lo; xi < hi; xi++) {
        float *V = j->V + xi * j->C * j->ld;
        const float *dM = j->M + xi * j->F * j->ld;
        if (j->want_dw)
            tensor_sgemm(0, 1, j->F, j->C, (int)j->tb, 1.0f, dM, (int)j->ld, V, (int)j->ld, 1.0f,
                         j->dU + xi * FC, j->C);
        if (j->dx)
            tensor_sgemm(1, 0, j->C, (int)j->tb, j->F, 1.0f, j->U + xi * FC, j->C, dM, (int)j->ld,
                         0.0f, V, (int)j->ld);
    }
}

/* lane L <- lane L - 1 of a, lane 0 <- lane 0 of b (the carry) */
#define UP(a, b) SHUF8(a, b, 8, 0, 1, 2, 3, 4, 5, 6)

/* dx += B dV B^T over each tile's patch, channels [lo, hi).  Neighbouring
 * patches of a row overlap by a - m = 2 columns: lane L's columns m..a-1
 * are added to lane L + 1's first ones (lanes shifted by one, the last
 * lane's carried to the next group), so each strip column is written once,
 * by one transpose and plain stores; then the strip is added into dx. */
DLC_HOT
static void phase_grad_out(const wino_job *j, size_t lo, size_t hi)
{
    const int m = j->m, a = j->a, H = j->H, W = j->W;
    const size_t Cld = (size_t)j->C * j->ld;
    float D[6][STRIP];
    v8 dv[36], dd[36], r[WL];
    for (size_t c = lo; c < hi; c++)
        for (size_t t = 0; t < j->tb;) {
            const tile_seg sg = seg_at(j, t);
            const int c0 = sg.tw0 * m - j->lo_w, width = sg.len * m + 2;
            const int ca = c0 < 0 ? -c0 : 0, cb = W - c0 < width ? W - c0 : width;
            float carry[6][2] = {{0}};
            for (int g = 0; g < sg.len; g += WL) {
                for (int xi = 0; xi < j->A2; xi++)
                    dv[xi] = ld8(j->V + (size_t)xi * Cld + c * j->ld + t + (size_t)g);
                in2_adj(m, dd, dv);
                const int lanes = sg.len - g < WL ? sg.len - g : WL;
                if (lanes < WL) { /* lanes past the segment hold other tiles' values */
                    v8i keep = {0, 1, 2, 3, 4, 5, 6, 7};
                    keep = keep < lanes;
                    for (int k = 0; k < a * a; k++)
                        dd[k] = (v8)((v8i)dd[k] & keep);
                }
                for (int i = 0; i < a; i++) {
                    for (int q = 0; q < WL; q++)
                        r[q] = q >= m        ? (v8){0}
                               : q < a - m ? dd[i * a + q] + UP(dd[i * a + q + m], (v8){carry[i][q]})
                                           : dd[i * a + q];
                    /* the columns past the last lane, for the next group */
                    carry[i][0] = dd[i * a + m][WL - 1];
                    carry[i][1] = dd[i * a + m + 1][WL - 1];
                    transpose8(r);
                    for (int L = 0; L < WL; L++)
                        st8(D[i] + (g + L) * m, r[L]);
                }
                if (g + WL >= sg.len) /* after the segment's last tile: its overhang */
                    for (int i = 0; i < a; i++) {
                        D[i][sg.len * m] = dd[i * a + m][lanes - 1];
                        D[i][sg.len * m + 1] = dd[i * a + m + 1][lanes - 1];
                    }
            }
            float *xc = j->dx + (sg.n * (size_t)j->C + c) * (size_t)H * W;
            for (int i = 0; i < a; i++) {
                int row = sg.th * m - j->lo_h + i;
                if (row < 0 || row >= H)
                    continue;
                float *dst = xc + (size_t)row * W + c0;
                for (int q = ca; q < cb; q++)
                    dst[q] += D[i][q];
            }
            t += (size_t)sg.len;
        }
}

/* dx = 0 for samples [lo, hi) */
static void phase_clear_dx(const wino_job *j, size_t lo, size_t hi)
{
    size_t per = (size_t)j->C * j->H * j->W;
    memset(j->dx + lo * per, 0, sizeof(float) * (hi - lo) * per);
}

/* Runs the phases of each block over the batch's tiles. */
static void blocks(wino_job *j, int N, const wino_phase *phases, const size_t *counts, int n_phases)
{
    size_t total = (size_t)N * j->TS;
    for (j->t0 = 0; j->t0 < total; j->t0 += j->TB) {
        j->tb = total - j->t0 < j->TB ? total - j->t0 : j->TB;
        for (int p = 0; p < n_phases; p++)
            if (phases[p])
                run(j, phases[p], counts[p]);
    }
}

void wino_forward(float *y, const float *x, const float *w, const float *b, float slope,
                  const layer_geom *geo, int N, int F, int nmax, wino_tile m, float *scratch)
{
    wino_job j;
    job_init(&j, m, geo, F, nmax, scratch, 0);
    j.x = x;
    j.w = w;
    j.b = b;
    j.out = y;
    j.slope = slope;
    run(&j, phase_weights, (size_t)F);
    const wino_phase phases[3] = {phase_input, phase_product, phase_output};
    const size_t counts[3] = {(size_t)j.C, (size_t)j.A2, (size_t)F};
    blocks(&j, N, phases, counts, 3);
}

void wino_backward(float *dx, int dx_assign, float *dw, float *db, const float *dy, const float *y,
                   float slope, const float *x, const float *w, const layer_geom *geo, int N, int F,
                   int nmax, wino_tile m, float *scratch)
{
    wino_job j;
    job_init(&j, m, geo, F, nmax, scratch, 1);
    j.x = x;
    j.w = w;
    j.dy = dy;
    j.y = y;
    j.slope = slope;
    j.dx = dx;
    j.dw = dw;
    j.db = db;
    j.want_dw = dw != NULL;
    if (dx)
        run(&j, phase_weights, (size_t)F);
    if (dx && dx_assign)
        run(&j, phase_clear_dx, (size_t)N);
    if (dw)
        memset(j.dU, 0, sizeof(float) * (size_t)j.A2 * F * j.C);
    const wino_phase phases[3] = {phase_grad_in, phase_grad_product, dx ? phase_grad_out : NULL};
    const size_t counts[3] = {(dw ? (size_t)j.C : 0) + (size_t)F, (size_t)j.A2, (size_t)j.C};
    blocks(&j, N, phases, counts, 3);
    if (dw)
        run(&j, phase_weights_adj, (size_t)F);
}
