/* test_pool.c - the worker threads: every part of a task runs once (by the
 * calling thread when no worker takes it), nested
 * tasks run whole, matrix products split over two threads equal the
 * one-thread products, for row and column splits and every transpose, and
 * every thread flushes denormal floats to zero. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "testutil.h"

#include <math.h>
#include <pthread.h>
#include <unistd.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <xmmintrin.h>

#include "../../src/base/rng.h"
#include "../../src/tensor/tensor.h"

typedef struct {
    atomic_int calls[8];
    atomic_int nested_whole; /* nested tasks that ran as one part */
    int n_seen[8]; /* n as each part saw it */
} count_ctx;

static void nested(void *ctx, int i, int n)
{
    count_ctx *c = ctx;
    if (i == 0 && n == 1)
        atomic_fetch_add(&c->nested_whole, 1);
}

static void count_part(void *ctx, int i, int n)
{
    count_ctx *c = ctx;
    atomic_fetch_add(&c->calls[i], 1);
    c->n_seen[i] = n;
    tensor_parallel(nested, ctx);
}

/* Each part: a product whose result is denormal (1e-20 squared), and one of
 * a denormal operand (1e-40 x 1e30), both 0 when the thread flushes.  Part 0
 * waits (up to a second) for part 1 to start, so that a worker takes it
 * rather than the calling thread once it is done (tensor_parallel). */
typedef struct {
    float r[4];
    atomic_int started[2];
    pthread_t by[2]; /* the thread that ran each part */
} denormal_ctx;

static void denormal_part(void *ctx, int i, int n)
{
    denormal_ctx *c = ctx;
    c->by[i] = pthread_self();
    atomic_store(&c->started[i], 1);
    for (int k = 0; i == 0 && n == 2 && k < 1000000 && !atomic_load(&c->started[1]); k++)
        usleep(1);
    volatile float a = 1e-20f, d = 1e-40f, big = 1e30f;
    c->r[2 * i] = a * a;
    c->r[2 * i + 1] = d * big;
}

static void test_denormals_flushed(void **state)
{
    (void)state;
    unsigned csr = _mm_getcsr();
    denormal_ctx c = {0};
    tensor_flush_denormals();
    denormal_part(&c, 0, 1);
    _mm_setcsr(csr);
    if (c.r[0] != 0 || c.r[1] != 0)
        skip(); /* an emulator that ignores the flags (valgrind does) */
    /* workers made by a thread that keeps denormals flush them themselves */
    _mm_setcsr(csr & ~0x8040u);
    tensor_pool_stop();
    tensor_set_threads(2);
    denormal_ctx d = {0};
    tensor_parallel(denormal_part, &d);
    assert_true(d.r[0] > 0 && d.r[1] > 0); /* this thread still keeps them: the check can see */
    assert_true(d.r[2] == 0 && d.r[3] == 0);
    tensor_flush_denormals();
    denormal_ctx e = {0};
    tensor_parallel(denormal_part, &e);
    for (int k = 0; k < 4; k++)
        assert_true(e.r[k] == 0);
    _mm_setcsr(csr);
}

/* The threads that ran each part of a task */
typedef struct {
    pthread_t by[2];
    atomic_int calls[2];
} who_ctx;

static void who_part(void *ctx, int i, int n)
{
    who_ctx *c = ctx;
    c->by[i] = pthread_self();
    atomic_fetch_add(&c->calls[i], 1);
}

/* A worker that gets no core (held) does not hold the task up: the calling
 * thread runs its part too, once, and the task returns; released, the
 * workers take parts again. */
static void test_caller_runs_parts_no_worker_took(void **state)
{
    (void)state;
    tensor_set_threads(2);
    alarm(60); /* waiting for the held worker would hang: fail instead */
    tensor_pool_hold(1);
    for (int round = 0; round < 200; round++) {
        who_ctx c = {0};
        tensor_parallel(who_part, &c);
        for (int i = 0; i < 2; i++) {
            assert_int_equal(atomic_load(&c.calls[i]), 1);
            assert_true(pthread_equal(c.by[i], pthread_self()));
        }
    }
    tensor_pool_hold(0);
    alarm(0);
    denormal_ctx d = {0};
    tensor_parallel(denormal_part, &d); /* part 0 waits until a worker has taken part 1 */
    assert_false(pthread_equal(d.by[1], pthread_self()));
    tensor_set_threads(1);
}

static void test_every_part_once(void **state)
{
    (void)state;
    tensor_set_threads(2);
    assert_int_equal(tensor_get_threads(), 2);
    for (int round = 0; round < 200; round++) {
        count_ctx c = {0};
        tensor_parallel(count_part, &c);
        assert_int_equal(c.n_seen[0], 2);
        assert_int_equal(c.n_seen[1], 2);
        assert_int_equal(atomic_load(&c.calls[0]), 1);
        assert_int_equal(atomic_load(&c.calls[1]), 1);
        assert_int_equal(atomic_load(&c.calls[2]), 0);
        assert_int_equal(atomic_load(&c.nested_whole), 2);
    }
    tensor_set_threads(1);
    count_ctx c = {0};
    tensor_parallel(count_part, &c);
    assert_int_equal(c.n_seen[0], 1);
    assert_int_equal(atomic_load(&c.calls[0]), 1);
    assert_int_equal(atomic_load(&c.calls[1]), 0);
    /* stopped workers are joined; a later start makes new ones */
    tensor_set_threads(2);
    tensor_pool_stop();
    assert_int_equal(tensor_get_threads(), 1);
    tensor_set_threads(2);
    count_ctx d = {0};
    tensor_parallel(count_part, &d);
    assert_int_equal(atomic_load(&d.calls[0]), 1);
    assert_int_equal(atomic_load(&d.calls[1]), 1);
}

static void test_part_ranges(void **state)
{
    (void)state;
    /* parts cover [0, total) in order, cut at multiples of align */
    size_t totals[] = {0, 1, 15, 16, 17, 100, 1000, 4097};
    for (size_t k = 0; k < sizeof totals / sizeof totals[0]; k++)
        for (int n = 1; n <= 3; n++) {
            size_t next = 0;
            for (int i = 0; i < n; i++) {
                size_t lo, hi;
                tensor_part_range(totals[k], 16, i, n, &lo, &hi);
                assert_int_equal(lo, next);
                assert_true(hi >= lo);
                assert_true(lo % 16 == 0 || lo == totals[k]);
                next = hi;
            }
            assert_int_equal(next, totals[k]);
        }
}

static void fill(float *x, size_t n, dlc_rng *r)
{
    for (size_t i = 0; i < n; i++)
        x[i] = (float)dlc_rng_normal(r);
}

static void test_split_gemm_equals_whole(void **state)
{
    (void)state;
    /* (M, N, K): more rows than columns (row split), more columns (column
     * split), sizes not multiples of 16, and one too small to split */
    int shapes[][3] = {{784, 256, 64}, {64, 256, 784}, {67, 203, 50}, {301, 45, 90}, {8, 10, 12}};
    dlc_rng r;
    dlc_rng_seed(&r, 7, 0);
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        int M = shapes[s][0], N = shapes[s][1], K = shapes[s][2];
        float *A = tensor_alloc((size_t)M * K), *B = tensor_alloc((size_t)K * N);
        float *C1 = tensor_alloc((size_t)M * N), *C2 = tensor_alloc((size_t)M * N);
        fill(A, (size_t)M * K, &r);
        fill(B, (size_t)K * N, &r);
        for (int ta = 0; ta < 2; ta++)
            for (int tb = 0; tb < 2; tb++) {
                fill(C1, (size_t)M * N, &r);
                memcpy(C2, C1, sizeof(float) * (size_t)M * N);
                tensor_set_threads(1);
                tensor_gemm(ta, tb, M, N, K, 0.5f, A, B, 0.25f, C1);
                tensor_set_threads(2);
                tensor_gemm(ta, tb, M, N, K, 0.5f, A, B, 0.25f, C2);
                for (size_t i = 0; i < (size_t)M * N; i++)
                    if (fabsf(C1[i] - C2[i]) > 1e-4f * (1.0f + fabsf(C1[i]))) {
                        print_error("(%d, %d, %d) ta %d tb %d: element %zu: %g vs %g\n", M, N, K, ta,
                                    tb, i, C1[i], C2[i]);
                        fail();
                    }
            }
        tensor_free(A);
        tensor_free(B);
        tensor_free(C1);
        tensor_free(C2);
    }
    tensor_set_threads(1);
}

/* A product over nothing (K = 0) leaves C = beta C, for one row as for many,
 * on one thread as split: a layer of no inputs still clears its output. */
static void test_gemm_of_nothing(void **state)
{
    (void)state;
    const float A[1] = {0}, B[1] = {0};
    for (int threads = 1; threads <= 2; threads++) {
        tensor_set_threads(threads);
        for (int M = 1; M <= 300; M += 299) {
            float *C = malloc(sizeof(float) * (size_t)M * 300);
            for (int i = 0; i < M * 300; i++)
                C[i] = 3.0f;
            tensor_gemm(0, 0, M, 300, 0, 1.0f, A, B, 0.5f, C);
            for (int i = 0; i < M * 300; i++)
                assert_true(C[i] == 1.5f);
            tensor_gemm(0, 1, M, 300, 0, 1.0f, A, B, 0.0f, C);
            for (int i = 0; i < M * 300; i++)
                assert_true(C[i] == 0.0f);
            free(C);
        }
    }
    tensor_set_threads(1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_part_once),
        cmocka_unit_test(test_denormals_flushed),
        cmocka_unit_test(test_caller_runs_parts_no_worker_took),
        cmocka_unit_test(test_part_ranges),
        cmocka_unit_test(test_split_gemm_equals_whole),
        cmocka_unit_test(test_gemm_of_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
