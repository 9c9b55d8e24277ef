/* tensor.h - float32 tensors: shapes, contiguous row-major storage, a scratch
 * arena, and the kernels layers are built from.
 *
 * Letters used in shape comments across the project:
 *   N batch, D features, K classes, C/F input/output channels, H/W height/width,
 *   T time steps, B rows of a matrix product, IN/OUT dense widths.
 */
#ifndef DLC_TENSOR_H
#define DLC_TENSOR_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../base/error.h"

#define TENSOR_MAX_DIMS 5

typedef struct {
    int ndim;
    int d[TENSOR_MAX_DIMS];
} tensor_shape;

/* A view: shape plus a pointer to storage owned elsewhere (borrowed). */
typedef struct {
    tensor_shape shape;
    float *data;
} tensor;

tensor_shape tensor_shape_make(int ndim, const int *d);
size_t tensor_shape_size(const tensor_shape *s);
int tensor_shape_equal(const tensor_shape *a, const tensor_shape *b);
/* "(1, 28, 28)" into buf; returns buf */
char *tensor_shape_str(const tensor_shape *s, char *buf, size_t size);

/* ---- arena: per-step scratch, sized once, reset instead of freed ---- */
typedef struct {
    float *base;
    size_t cap;   /* floats */
    size_t used;  /* floats */
    size_t peak;
} tensor_arena;

/* Allocates cap floats (64-byte aligned).  tensor_arena_free releases them. */
dlc_status tensor_arena_init(tensor_arena *a, size_t cap, dlc_error *err);
void tensor_arena_free(tensor_arena *a);
/* n floats, 64-byte aligned; asserts capacity (sizing it is the graph's job). */
float *tensor_arena_alloc(tensor_arena *a, size_t n);
void tensor_arena_reset(tensor_arena *a);

/* 64-byte aligned allocation of n floats, zeroed; free with tensor_free. */
float *tensor_alloc(size_t n);
void tensor_free(float *p);

/* ---- kernels ---- */

/* C (M, N) = alpha * op(A) op(B) + beta * C, row-major.  ta/tb: 1 = transposed.
 * A is (M, K) (or (K, M) when ta), B is (K, N) (or (N, K) when tb). */
void tensor_gemm(int ta, int tb, int M, int N, int K, float alpha,
                 const float *A, const float *B, float beta, float *C);

/* One product on the calling thread, with leading dimensions (row-major):
 * C (M, N; row stride ldc) = alpha op(A) op(B) + beta C (K = 0: C = beta C).
 * Kernels that split their own work over the pool call this. */
void tensor_sgemm(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda,
                  const float *B, int ldb, float beta, float *C, int ldc);

/* The library behind the products: oneDNN's sgemm when dlc is built with it
 * (unless DLC_GEMM=openblas is in the environment), else OpenBLAS. */
enum { TENSOR_GEMM_OPENBLAS, TENSOR_GEMM_ONEDNN };
int tensor_gemm_library(void);
const char *tensor_gemm_library_name(void); /* "onednn" or "openblas" */

/* Sets how many threads the kernels use (0: leave it): matrix products and
 * tensor_parallel tasks are split over that many (pool.c); the BLAS itself
 * runs on one thread. */
void tensor_set_threads(int n);
/* Flush denormal floats (below 1.2e-38) to zero in this thread's arithmetic,
 * results and operands alike (x86's FTZ and DAZ), as TensorFlow does and
 * PyTorch's set_flush_denormal(True) asks.  A diverging or saturated network
 * fills its gradients with them, and each costs the CPU a hundred cycles:
 * VGG-16's step took 15 times longer.  main() calls it before any thread
 * starts (threads inherit it) and every pool worker calls it again. */
void tensor_flush_denormals(void);
int tensor_get_threads(void);

/* ---- worker threads (pool.c) ---- */

/* One part of a task: part `i` of `n` (0 <= i < n). */
typedef void (*tensor_task_fn)(void *ctx, int i, int n);
/* Runs fn(ctx, i, n) for i = 0..n-1, n = tensor_pool_threads(), on the
 * workers and the calling thread (each part on whichever thread claims it
 * first); returns when all parts are done.  Inside a
 * part, a nested call runs its task whole (n = 1). */
void tensor_parallel(tensor_task_fn fn, void *ctx);
/* Starts workers so that tasks run in n parts (n - 1 workers), or lowers
 * the parts to n without stopping the workers (they sleep). */
void tensor_pool_start(int n);
/* Joins the workers (registered with atexit by the first start). */
void tensor_pool_stop(void);
int tensor_pool_threads(void);
/* For tests: on, the workers take no part of a task (as when other processes
 * keep them off the cores), so the calling thread runs every part. */
void tensor_pool_hold(int on);
/* [lo, hi) of part i of n over `total` items, cut at multiples of `align`. */
void tensor_part_range(size_t total, size_t align, int i, int n, size_t *lo, size_t *hi);

void tensor_fill(float *x, float v, size_t n);
/* y += a * x */
void tensor_axpy(float *restrict y, float a, const float *restrict x, size_t n);
/* x *= a */
void tensor_scale(float *x, float a, size_t n);
/* y (R, D) += b (D) on every row */
void tensor_add_rows(float *restrict y, const float *restrict b, int R, int D);
/* db (D) += sum over rows of dy (R, D) */
void tensor_sum_rows(float *restrict db, const float *restrict dy, int R, int D);
/* sum of squares, accumulated in double (8 lanes: vectorized) */
double tensor_sumsq(const float *x, size_t n);
/* The same sum split over the worker threads for a large x: fixed blocks,
 * each summed as tensor_sumsq does, added in order, so the result depends on
 * n alone, not on the thread count. */
double tensor_sumsq_wide(const float *x, size_t n);
/* sum of x: 8 float lanes over blocks of 512 values (vectorized), each
 * block's total added in double */
double tensor_sum(const float *x, size_t n);
/* e^x in a form the compiler vectorizes (Cephes' expf): x = n ln2 + r with
 * n rounded to nearest by adding and taking away 1.5 * 2^23, e^r by a
 * degree-6 polynomial on |r| <= ln2/2, and 2^n built in the exponent bits.
 * Within 2 ulp of expf on [-87, 88]; clamped outside (below -87 it gives
 * e^-87 = 1.6e-38, not 0); a NaN stays NaN. */
static inline float tensor_expf(float x)
{
    float c = x < -87.0f ? -87.0f : x;
    c = c > 88.0f ? 88.0f : c;
    float n = (c * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
    n = n == n ? n : 0.0f; /* no NaN into the integer conversion */
    float r = c - n * 0.693359375f + n * 2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    int32_t bits = ((int32_t)n + 127) * (1 << 23);
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return x == x ? p * scale : x;
}

/* Softmax's exponentials for x[j] <= m (m: the row's largest value):
 * sum of e^(x[j] - m) over n, and y += a * e^(x - m), by tensor_expf. */
double tensor_exp_sum(const float *restrict x, float m, size_t n);
void tensor_exp_axpy(float *restrict y, float a, const float *restrict x, float m, size_t n);
/* 1 if every element is finite */
int tensor_all_finite(const float *x, size_t n);

#endif
