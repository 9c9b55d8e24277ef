/* window.h - the geometry convolutions and pooling share: a window of
 * kernel k, stride s and padding (lo, hi) sliding over 1 to 3 spatial axes.
 *
 * Per axis the output size is floor((n + lo + hi - k) / s) + 1, the notes'
 * floor((n + 2p - f) / s) + 1 when lo = hi = p.  A dilated window (conv,
 * maxpool: dilation d) takes every d-th position: its taps span
 * d (k - 1) + 1 positions, which is the k of the sizes and of `same`.  `same` keeps
 * ceil(n / s) outputs and splits the padding it needs as TensorFlow does,
 * the odd one after (so an even kernel pads one more at the end).
 * Shorter problems are lifted to 3-D with leading axes of size 1, so one
 * loop nest serves conv1d, conv2d and conv3d.
 *
 * Letters: C input channels, F filters, (D, H, W) input and (OD, OH, OW)
 * output positions, K = kd*kh*kw window positions, P = OD*OH*OW, I = D*H*W. */
#ifndef DLC_WINDOW_H
#define DLC_WINDOW_H

#include <stddef.h>
#include <string.h>

#include "layers.h"

typedef struct {
    int nsp;                /* spatial axes the layer has (1 to 3) */
    int C;                  /* channels of the input */
    int in[3], out[3];      /* (D, H, W), (OD, OH, OW); unused leading axes are 1 */
    int k[3], s[3], lo[3], hi[3];
    int d[3];               /* dilation: tap j of the window is at position j * d */
    size_t K, P, I;
} layer_geom;

/* Fills geo for node n over input shape x = (C, spatial...) with nsp spatial
 * axes.  Checks the window against the input; errors name the layer. */
dlc_status layer_geom_build(layer_geom *geo, const graph_node *n, const tensor_shape *x, int nsp,
                            int default_stride_is_kernel, dlc_error *err);

/* The same for an already built node (its input's shape; never fails). */
void layer_geom_of(layer_geom *geo, graph *g, const graph_node *n);

/* The convolution's kernels (conv.c), for the layers built on them
 * (conv_transpose.c, the convolution's adjoint):
 *   layer_im2col   col (C K, ld) from one sample's x (C, I), P columns
 *   layer_col2im   dx (C, I) += col folded back
 *   layer_conv_products: kind 0  Y (F, ld) = W col (+ beta Y)
 *                        kind 1  dW (F, CKg) += dY (F, ld) col^T
 *                        kind 2  dcol (C K, ld) = W^T dY (+ beta dcol)
 *   group by group: W is (F, CKg), G groups of F / G rows each. */
void layer_im2col(float *col, size_t ld, const float *x, const layer_geom *g);
void layer_col2im(float *dx, const float *col, size_t ld, const layer_geom *g);
void layer_conv_products(int kind, int G, int F, int CKg, int ld, const float *m, const float *a, float beta,
                         float *out);

/* A built conv_transpose node's geometry: that of the convolution from its
 * output's shape to its input's (geo->in its output's positions, geo->out its
 * input's, geo->C its filters; that convolution pads lo before and hi after),
 * and op (NULL: not wanted) the output padding per lifted axis, so the
 * transposed layer crops lo before and hi + op after (ONNX's pads). */
void conv_transpose_geom(layer_geom *geo, int op[3], graph *g, const graph_node *n);

/* *e = p[0], p[2], ... p[14]: the even lanes of two loads (all 16 floats
 * must be readable; through a pointer, so no AVX value crosses a call) */
static inline void layer_even8(layer_v8 *e, const float *p)
{
    layer_v8 a, b;
    memcpy(&a, p, sizeof a);
    memcpy(&b, p + 8, sizeof b);
#ifdef __clang__
    *e = __builtin_shufflevector(a, b, 0, 2, 4, 6, 8, 10, 12, 14);
#else
    *e = __builtin_shuffle(a, b, (layer_v8i){0, 2, 4, 6, 8, 10, 12, 14});
#endif
}

#endif
