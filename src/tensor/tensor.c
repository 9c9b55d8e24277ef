#include "tensor.h"

#include <assert.h>
#include <cblas.h>
#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
#endif

#include "../base/util.h"

#ifdef DLC_ONEDNN
#include <dnnl.h>
#include <omp.h>
#endif

tensor_shape tensor_shape_make(int ndim, const int *d)
{
    tensor_shape s = {0};
    assert(ndim >= 0 && ndim <= TENSOR_MAX_DIMS);
    s.ndim = ndim;
    for (int i = 0; i < ndim; i++)
        s.d[i] = d[i];
    return s;
}

size_t tensor_shape_size(const tensor_shape *s)
{
    size_t n = 1;
    for (int i = 0; i < s->ndim; i++)
        n *= (size_t)s->d[i];
    return n;
}

int tensor_shape_equal(const tensor_shape *a, const tensor_shape *b)
{
    if (a->ndim != b->ndim)
        return 0;
    for (int i = 0; i < a->ndim; i++)
        if (a->d[i] != b->d[i])
            return 0;
    return 1;
}

char *tensor_shape_str(const tensor_shape *s, char *buf, size_t size)
{
    size_t used = 0;
    used += (size_t)snprintf(buf, size, "(");
    for (int i = 0; i < s->ndim && used < size; i++)
        used += (size_t)snprintf(buf + used, size - used, i ? ", %d" : "%d", s->d[i]);
    if (used < size)
        snprintf(buf + used, size - used, ")");
    return buf;
}

/* calloc, aligned by hand: large blocks come zeroed from the kernel and
 * their pages are only touched when used, where aligned_alloc + memset
 * faulted in every page at once (a model loaded for one prediction paid
 * for gradient buffers it never writes).  The block's start is kept just
 * before the aligned pointer. */
enum { HUGE_PAGE = 2 << 20, HUGE_FROM = 8 << 20 };

float *tensor_alloc(size_t n)
{
    size_t bytes = (n * sizeof(float) + 63) & ~(size_t)63;
    if (bytes == 0)
        bytes = 64;
    unsigned char *raw = calloc(1, bytes + 64 + sizeof(void *));
    if (!raw)
        return NULL;
    uintptr_t at = ((uintptr_t)raw + sizeof(void *) + 63) & ~(uintptr_t)63;
    ((void **)at)[-1] = raw;
#ifdef MADV_HUGEPAGE
    const char *huge = getenv("DLC_HUGEPAGES");
    if (bytes >= HUGE_FROM && !(huge && strcmp(huge, "0") == 0)) {
        uintptr_t lo = ((uintptr_t)raw + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1);
        uintptr_t hi = ((uintptr_t)raw + bytes + 64 + sizeof(void *)) & ~(uintptr_t)(HUGE_PAGE - 1);
        if (hi > lo)
            madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
    }
#endif
    return (float *)at;
}

void tensor_free(float *p)
{
    if (p)
        free(((void **)p)[-1]);
}

dlc_status tensor_arena_init(tensor_arena *a, size_t cap, dlc_error *err)
{
    memset(a, 0, sizeof *a);
    a->base = tensor_alloc(cap);
    if (!a->base)
        return DLC_NOMEM(err);
    a->cap = cap;
    return DLC_OK;
}

void tensor_arena_free(tensor_arena *a)
{
    if (!a)
        return;
    tensor_free(a->base);
    memset(a, 0, sizeof *a);
}

float *tensor_arena_alloc(tensor_arena *a, size_t n)
{
    size_t rounded = (n + 15) & ~(size_t)15; /* keep 64-byte alignment */
    assert(a->used + rounded <= a->cap && "arena sized too small: a graph bug");
    float *p = a->base + a->used;
    a->used += rounded;
    if (a->used > a->peak)
        a->peak = a->used;
    return p;
}

void tensor_arena_reset(tensor_arena *a)
{
    a->used = 0;
}

/* Which library computes the products.  oneDNN's sgemm (when dlc is built
 * with it) picks its kernels by the CPU alone, AVX-512 where there is one,
 * and ran the benchmarks' product shapes (all but one) 1.9-2.7x as fast as
 * OpenBLAS's AVX2 kernels and 1.0-1.55x as fast as its AVX-512 ones, at
 * one thread (README "Matrix products").  DLC_GEMM=openblas in the
 * environment takes OpenBLAS. */
static atomic_int gemm_lib = -1; /* -1: not read yet, else a TENSOR_GEMM_* (the
                                   * workers may be first: every thread reads the same) */

int tensor_gemm_library(void)
{
    int lib = atomic_load_explicit(&gemm_lib, memory_order_relaxed);
    if (lib < 0) {
#ifdef DLC_ONEDNN
        const char *v = getenv("DLC_GEMM");
        lib = v && strcmp(v, "openblas") == 0 ? TENSOR_GEMM_OPENBLAS : TENSOR_GEMM_ONEDNN;
#else
        lib = TENSOR_GEMM_OPENBLAS;
#endif
        atomic_store_explicit(&gemm_lib, lib, memory_order_relaxed);
    }
    return lib;
}

const char *tensor_gemm_library_name(void)
{
    return tensor_gemm_library() == TENSOR_GEMM_ONEDNN ? "onednn" : "openblas";
}

#ifdef DLC_ONEDNN
/* set once per thread: oneDNN then runs each product on the calling thread
 * (the pool splits products itself, as with OpenBLAS) */
static _Thread_local int omp_single;
#endif

void tensor_sgemm(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda,
                  const float *B, int ldb, float beta, float *C, int ldc)
{
    if (M <= 0 || N <= 0)
        return;
    if (K <= 0) { /* no products: C = beta C */
        for (int i = 0; i < M; i++)
            for (int c = 0; c < N; c++)
                C[(size_t)i * ldc + c] = beta == 0.0f ? 0.0f : beta * C[(size_t)i * ldc + c];
        return;
    }
#ifdef DLC_ONEDNN
    if (tensor_gemm_library() == TENSOR_GEMM_ONEDNN) {
        if (!omp_single) {
            omp_set_num_threads(1);
            omp_single = 1;
        }
        /* oneDNN's sgemm is row-major, as cblas_sgemm is called here */
        if (dnnl_sgemm(ta ? 'T' : 'N', tb ? 'T' : 'N', M, N, K, alpha, A, lda, B, ldb, beta, C, ldc) ==
            dnnl_success)
            return;
    }
#endif
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, M, N, K,
                alpha, A, lda, B, ldb, beta, C, ldc);
}

/* Products below this many multiply-adds run whole: splitting costs more. */
#define GEMM_SPLIT_MACS (1 << 17)

typedef struct {
    int ta, tb, M, N, K, lda, ldb;
    float alpha, beta;
    const float *A, *B;
    float *C;
} gemm_job;

/* Part i of n of a product: a band of C's rows when it has more rows than
 * columns, else a band of its columns (16 at a time: 64-byte aligned). */
static void gemm_part(void *ctx, int i, int n)
{
    const gemm_job *j = ctx;
    size_t lo, hi;
    const float *A = j->A, *B = j->B;
    float *C = j->C;
    int M = j->M, N = j->N;
    if (j->M >= j->N) {
        tensor_part_range((size_t)j->M, 16, i, n, &lo, &hi);
        A += j->ta ? lo : lo * (size_t)j->lda;
        C += lo * (size_t)j->N;
        M = (int)(hi - lo);
    } else {
        tensor_part_range((size_t)j->N, 16, i, n, &lo, &hi);
        B += j->tb ? lo * (size_t)j->ldb : lo;
        C += lo;
        N = (int)(hi - lo);
    }
    tensor_sgemm(j->ta, j->tb, M, N, j->K, j->alpha, A, j->lda, B, j->ldb, j->beta, C, j->N);
}

void tensor_gemm(int ta, int tb, int M, int N, int K, float alpha,
                 const float *A, const float *B, float beta, float *C)
{
    if (M == 0 || N == 0)
        return;
    int lda = ta ? M : K;
    int ldb = tb ? K : N;
    if (M == 1 && K > 0) {
        /* one row (a single example): a matrix-vector product; sgemm would
         * first pack all of B, which for one row costs more than the product
         * (K = 0 goes on to tensor_sgemm's C = beta C: sgemv returns early) */
        cblas_sgemv(CblasRowMajor, tb ? CblasNoTrans : CblasTrans, tb ? N : K, tb ? K : N, alpha, B,
                    ldb, A, 1, beta, C, 1);
        return;
    }
    gemm_job j = {ta, tb, M, N, K, lda, ldb, alpha, beta, A, B, C};
    if (tensor_pool_threads() > 1 && (double)M * N * K >= GEMM_SPLIT_MACS)
        tensor_parallel(gemm_part, &j);
    else
        gemm_part(&j, 0, 1);
}

void tensor_flush_denormals(void)
{
#if defined(__x86_64__) || defined(__i386__)
    _mm_setcsr(_mm_getcsr() | 0x8040); /* bit 15 flush to zero, bit 6 denormals are zero */
#endif
}

void tensor_set_threads(int n)
{
    if (n > 0) {
        openblas_set_num_threads(1);
        tensor_pool_start(n);
    }
}

int tensor_get_threads(void)
{
    return tensor_pool_threads();
}

void tensor_part_range(size_t total, size_t align, int i, int n, size_t *lo, size_t *hi)
{
    size_t units = (total + align - 1) / align;
    size_t a = units * (size_t)i / (size_t)n * align, b = units * (size_t)(i + 1) / (size_t)n * align;
    *lo = a < total ? a : total;
    *hi = b < total ? b : total;
}

void tensor_fill(float *x, float v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        x[i] = v;
}

void tensor_axpy(float *restrict y, float a, const float *restrict x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        y[i] += a * x[i];
}

void tensor_scale(float *x, float a, size_t n)
{
    for (size_t i = 0; i < n; i++)
        x[i] *= a;
}

void tensor_add_rows(float *restrict y, const float *restrict b, int R, int D)
{
    for (int r = 0; r < R; r++) {
        float *yr = y + (size_t)r * (size_t)D;
        for (int j = 0; j < D; j++)
            yr[j] += b[j];
    }
}

/* tensor_sumsq_wide's blocks: at least SUMSQ_BLOCK floats, at most
 * SUMSQ_BLOCKS of them */
enum { SUMSQ_BLOCK = 1 << 16, SUMSQ_BLOCKS = 256 };

typedef struct {
    const float *x;
    size_t n, block;
    double part[SUMSQ_BLOCKS];
} sumsq_job;

static void sumsq_part(void *ctx, int i, int n)
{
    sumsq_job *j = ctx;
    size_t blocks = (j->n + j->block - 1) / j->block, lo, hi;
    tensor_part_range(blocks, 1, i, n, &lo, &hi);
    for (size_t b = lo; b < hi; b++) {
        size_t at = b * j->block, len = j->n - at < j->block ? j->n - at : j->block;
        j->part[b] = tensor_sumsq(j->x + at, len);
    }
}

double tensor_sumsq_wide(const float *x, size_t n)
{
    if (n < 2 * (size_t)SUMSQ_BLOCK)
        return tensor_sumsq(x, n);
    sumsq_job j = {x, n, SUMSQ_BLOCK, {0}};
    if (n > (size_t)SUMSQ_BLOCK * SUMSQ_BLOCKS)
        j.block = (n + SUMSQ_BLOCKS - 1) / SUMSQ_BLOCKS;
    tensor_parallel(sumsq_part, &j);
    double s = 0;
    for (size_t b = 0; b * j.block < n; b++)
        s += j.part[b];
    return s;
}

void tensor_sum_rows(float *restrict db, const float *restrict dy, int R, int D)
{
    for (int r = 0; r < R; r++) {
        const float *row = dy + (size_t)r * (size_t)D;
        for (int j = 0; j < D; j++)
            db[j] += row[j];
    }
}

/* 8 double accumulators, one per lane (so the compiler vectorizes them
 * and squares of 1e20 do not overflow): a model's gradient norm every step
 * reads every gradient once, at memory speed, where one accumulator would
 * wait on each add */
DLC_HOT double tensor_sumsq(const float *x, size_t n)
{
    double a[8] = {0}, s = 0;
    size_t j = 0;
    for (; j + 8 <= n; j += 8)
        for (int k = 0; k < 8; k++)
            a[k] += (double)x[j + k] * (double)x[j + k];
    for (; j < n; j++)
        s += (double)x[j] * (double)x[j];
    for (int k = 0; k < 8; k++)
        s += a[k];
    return s;
}

/* eight float lanes as one vector: an array of eight accumulators came out
 * as eight scalar adds */
typedef float tensor_v8 __attribute__((vector_size(32)));

DLC_HOT double tensor_sum(const float *x, size_t n)
{
    double s = 0;
    for (size_t b = 0; b < n; b += 512) {
        size_t e = n - b < 512 ? n : b + 512, j = b;
        tensor_v8 a = {0};
        for (; j + 8 <= e; j += 8) {
            tensor_v8 v;
            memcpy(&v, x + j, sizeof v);
            a += v;
        }
        for (; j < e; j++)
            s += x[j];
        for (int k = 0; k < 8; k++)
            s += a[k];
    }
    return s;
}

int tensor_all_finite(const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return 0;
    return 1;
}

/* ---- e^(x - m) over a row, for softmax ---- */

DLC_HOT double tensor_exp_sum(const float *restrict x, float m, size_t n)
{
    float acc[8] = {0};
    size_t j = 0;
    for (; j + 8 <= n; j += 8)
        for (int k = 0; k < 8; k++)
            acc[k] += tensor_expf(x[j + k] - m);
    double s = 0;
    for (; j < n; j++)
        s += tensor_expf(x[j] - m);
    for (int k = 0; k < 8; k++)
        s += acc[k];
    return s;
}

DLC_HOT void tensor_exp_axpy(float *restrict y, float a, const float *restrict x, float m, size_t n)
{
    for (size_t j = 0; j < n; j++)
        y[j] += a * tensor_expf(x[j] - m);
}
