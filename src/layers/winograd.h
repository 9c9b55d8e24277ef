/* winograd.h - 3x3 stride-1 convolution by Winograd's minimal filtering,
 * F(2x2, 3x3) and F(4x4, 3x3), for conv.c (private to src/layers).
 *
 *   x (N, C, H, W) -> y (N, F, OH, OW),  W (F, C, 3, 3),  padding lo on top
 *   and left (any; what lies outside the input reads as zero).
 *
 * Scratch comes from the caller (wino_scratch floats, sized at build for the
 * batch capacity); the work is split over the worker threads (pool.c). */
#ifndef DLC_WINOGRAD_H
#define DLC_WINOGRAD_H

#include "window.h"

/* Output tile of F(m x m, 3x3): 2 or 4 (the enum's values are m). */
typedef enum { WINO_F2 = 2, WINO_F4 = 4 } wino_tile;

/* 1 when the Winograd path can compute this layer: conv2d, kernel 3x3,
 * stride 1 and no dilation along both axes (a dilated layer takes im2col). */
int wino_applies(const layer_geom *geo);

/* Floats of scratch one forward or backward call needs at batch nmax. */
size_t wino_scratch(wino_tile m, const layer_geom *geo, int F, int nmax);

/* y = conv(x, w) + b, then y = y > 0 ? y : slope * y (slope 1: linear).
 * b may be NULL. */
void wino_forward(float *y, const float *x, const float *w, const float *b, float slope,
                  const layer_geom *geo, int N, int F, int nmax, wino_tile m, float *scratch);

/* Gradients of the layer above from dy (N, F, OH, OW).  When y is not NULL
 * the forward pass applied the (leaky) ReLU of this slope and y is its
 * output: dy goes through its derivative first (dy itself is not changed).
 * dx (N, C, H, W), dw (F, C, 3, 3) and db (F) are each NULL when not
 * wanted; dw and db are added to; dx is added to, or overwritten when
 * dx_assign. */
void wino_backward(float *dx, int dx_assign, float *dw, float *db, const float *dy, const float *y,
                   float slope, const float *x, const float *w, const layer_geom *geo, int N, int F,
                   int nmax, wino_tile m, float *scratch);

#endif
