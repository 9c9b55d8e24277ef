/* test_tensor.c - the small kernels of tensor.h by their contracts, with
 * arguments the layers happen not to use today (a scale other than 1, rows
 * added onto non-zero values), so a kernel that only works for today's
 * callers fails here; shapes and the exponential's clamping too, and large
 * blocks asked of the kernel in huge pages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/tensor/tensor.h"
#include "testutil.h"

static void test_axpy_scale_fill(void **state)
{
    float y[11], x[11];
    for (int i = 0; i < 11; i++) {
        y[i] = (float)i;
        x[i] = 1.0f + 0.5f * (float)i;
    }
    tensor_axpy(y, -2.0f, x, 11); /* y = i - 2 (1 + i/2) = -2 */
    for (int i = 0; i < 11; i++)
        tu_close(y[i], -2.0, 1e-6);
    tensor_scale(y, 0.25f, 11);
    tensor_fill(x, 3.0f, 10); /* the last one stays */
    for (int i = 0; i < 10; i++) {
        tu_close(y[i], -0.5, 1e-7);
        tu_close(x[i], 3.0, 0);
    }
    tu_close(x[10], 6.0, 0);
}

static void test_rows(void **state)
{
    /* y (3, 4) += b on every row; db += column sums, on top of what is there */
    float y[12], b[4] = {1, -2, 3, -4}, db[4] = {10, 10, 10, 10};
    for (int i = 0; i < 12; i++)
        y[i] = (float)i;
    tensor_add_rows(y, b, 3, 4);
    for (int r = 0; r < 3; r++)
        for (int j = 0; j < 4; j++)
            tu_close(y[r * 4 + j], r * 4 + j + b[j], 0);
    tensor_sum_rows(db, y, 3, 4);
    for (int j = 0; j < 4; j++)
        tu_close(db[j], 10 + (j + 0 + b[j]) + (j + 4 + b[j]) + (j + 8 + b[j]), 0);
}

static void test_sumsq_finite(void **state)
{
    float x[5] = {3, -4, 1e20f, -1e20f, 0.5f};
    tu_close(tensor_sumsq(x, 2), 25.0, 0);
    /* double accumulation: 1e40 twice is not inf */
    tu_close(tensor_sumsq(x, 5) / 2e40, 1.0, 1e-6);
    tu_close(tensor_sumsq(x + 4, 1), 0.25, 0);
    /* eight lanes and a tail: 1 + 4 + ... + 1037^2 */
    float r[1037];
    for (int i = 0; i < 1037; i++)
        r[i] = (float)(i + 1) * (i % 3 ? 1.0f : -1.0f);
    tu_close(tensor_sumsq(r, 1037), 1037.0 * 1038.0 * 2075.0 / 6.0, 1e-12);
    r[100] = 1e20f;
    tu_close(tensor_sumsq(r, 1037) / 1e40, 1.0, 1e-6);
    assert_true(tensor_all_finite(x, 5));
    x[2] = INFINITY;
    assert_false(tensor_all_finite(x, 5));
    x[2] = NAN;
    assert_false(tensor_all_finite(x, 5));
    assert_true(tensor_all_finite(x, 2));
}

/* The split sum of squares: every block counted once (a first, a middle
 * and a last block each hold a marker), exact on integers, and the same to
 * the bit at one thread and at three. */
static void test_sumsq_wide(void **state)
{
    (void)state;
    const size_t sizes[] = {0, 5, (1u << 17) - 1, (1u << 17) + 3, (1u << 24) + 4097};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        size_t n = sizes[k];
        float *x = calloc(n + 1, sizeof(float));
        assert_non_null(x);
        double want = 0;
        for (size_t i = 0; i < n; i++) {
            x[i] = (float)(int)(i % 7) - 3.0f;
            want += (double)x[i] * x[i];
        }
        if (n > 2) { /* markers: 2^10 squared, three times */
            size_t at[3] = {0, n / 2, n - 1};
            for (int m = 0; m < 3; m++) {
                want += 1024.0 * 1024.0 - (double)x[at[m]] * x[at[m]];
                x[at[m]] = 1024.0f;
            }
        }
        tensor_set_threads(1);
        double one = tensor_sumsq_wide(x, n);
        tensor_set_threads(3);
        double three = tensor_sumsq_wide(x, n);
        tensor_set_threads(1);
        tu_close(one, want, 0);
        assert_memory_equal(&one, &three, sizeof one);
        free(x);
    }
}

/* Parts cover [0, total) exactly once, in order, cut at multiples of align. */
static void test_part_ranges_cover(void **state)
{
    const size_t totals[] = {0, 1, 15, 16, 17, 100, 1000, 1023};
    const size_t aligns[] = {1, 16};
    for (size_t a = 0; a < 2; a++)
        for (size_t t = 0; t < sizeof totals / sizeof *totals; t++)
            for (int n = 1; n <= 5; n++) {
                size_t expect = 0;
                for (int i = 0; i < n; i++) {
                    size_t lo, hi;
                    tensor_part_range(totals[t], aligns[a], i, n, &lo, &hi);
                    assert_true(lo == expect && hi >= lo && hi <= totals[t]);
                    assert_true(lo % aligns[a] == 0 || lo == totals[t]);
                    expect = hi;
                }
                if (expect != totals[t]) {
                    print_error("total %zu align %zu parts %d: covered up to %zu\n", totals[t],
                                aligns[a], n, expect);
                    fail();
                }
            }
}

static void test_shapes(void **state)
{
    int d[3] = {2, 3, 4};
    tensor_shape s = tensor_shape_make(3, d), t = tensor_shape_make(2, d);
    assert_int_equal(tensor_shape_size(&s), 24);
    assert_true(tensor_shape_equal(&s, &s));
    assert_false(tensor_shape_equal(&s, &t));
    t.ndim = 3;
    t.d[2] = 5;
    assert_false(tensor_shape_equal(&s, &t));
    char buf[32];
    assert_string_equal(tensor_shape_str(&s, buf, sizeof buf), "(2, 3, 4)");
    tensor_shape scalar = {0, {0}};
    assert_int_equal(tensor_shape_size(&scalar), 1);
    assert_string_equal(tensor_shape_str(&scalar, buf, sizeof buf), "()");
    assert_string_equal(tensor_shape_str(&s, buf, 5), "(2, ");
}

static void test_arena_and_alloc(void **state)
{
    tensor_arena a;
    assert_int_equal(tensor_arena_init(&a, 64, NULL), DLC_OK);
    float *p = tensor_arena_alloc(&a, 3), *q = tensor_arena_alloc(&a, 17);
    assert_true((uintptr_t)p % 64 == 0 && (uintptr_t)q % 64 == 0);
    assert_ptr_equal(q, p + 16);
    assert_int_equal(a.used, 48);
    tensor_arena_reset(&a);
    assert_ptr_equal(tensor_arena_alloc(&a, 1), p);
    assert_int_equal(a.peak, 48);
    tensor_arena_free(&a);
    tensor_arena_free(&a);
    float *z = tensor_alloc(1000);
    assert_true((uintptr_t)z % 64 == 0);
    for (int i = 0; i < 1000; i++)
        assert_true(z[i] == 0.0f);
    tensor_free(z);
    tensor_free(NULL);
}

/* The VmFlags of the mapping that holds p (/proc/self/smaps), or "" */
static void vm_flags(const void *p, char *flags, size_t size)
{
    flags[0] = 0;
    FILE *f = fopen("/proc/self/smaps", "r");
    if (!f)
        return;
    char line[512];
    int in = 0;
    while (fgets(line, sizeof line, f)) {
        unsigned long lo, hi;
        if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' '))
            in = (uintptr_t)p >= lo && (uintptr_t)p < hi;
        else if (in && strncmp(line, "VmFlags:", 8) == 0) {
            snprintf(flags, size, "%s", line + 8);
            break;
        }
    }
    fclose(f);
}

/* A block of many megabytes (the activation arena, the parameters) is
 * marked for transparent huge pages: a ResNet-50 step touches a gigabyte,
 * and 4 KiB pages cost it 220,000 page faults and a TLB miss every few
 * rows (3% of the step).  A small block is not. */
static void test_large_blocks_in_huge_pages(void **state)
{
    FILE *thp = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
    char mode[128] = "";
    if (thp) {
        if (!fgets(mode, sizeof mode, thp))
            mode[0] = 0;
        fclose(thp);
    }
    if (!strstr(mode, "[madvise]") && !strstr(mode, "[always]"))
        skip(); /* no transparent huge pages in this kernel */
    size_t n = 16u << 20; /* 64 MiB */
    float *big = tensor_alloc(n);
    assert_non_null(big);
    char flags[512];
    vm_flags(big + n / 2, flags, sizeof flags);
    if (!strstr(flags, " hg")) {
        print_error("the middle of a 64 MiB block is not marked for huge pages (VmFlags:%s)\n", flags);
        fail();
    }
    for (size_t i = 0; i < n; i += 4096)
        assert_true(big[i] == 0.0f);
    tensor_free(big);
    /* DLC_HUGEPAGES=0 keeps small pages */
    setenv("DLC_HUGEPAGES", "0", 1);
    big = tensor_alloc(n);
    unsetenv("DLC_HUGEPAGES");
    assert_non_null(big);
    vm_flags(big + n / 2, flags, sizeof flags);
    if (strstr(flags, " hg")) {
        print_error("DLC_HUGEPAGES=0, and a 64 MiB block is marked for huge pages\n");
        fail();
    }
    tensor_free(big);
}

static void test_expf_range(void **state)
{
    /* within 2 ulp of expf on [-87, 88], clamped outside, NaN kept */
    for (float x = -87.0f; x <= 88.0f; x += 0.37f)
        tu_close(tensor_expf(x) / expf(x), 1.0, 3e-7);
    tu_close(tensor_expf(-1000.0f), expf(-87.0f), 1e-44);
    assert_true(tensor_expf(-1000.0f) < 1e-37f);
    assert_true(tensor_expf(1000.0f) == tensor_expf(88.0f));
    assert_true(isnan(tensor_expf(NAN)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_axpy_scale_fill), cmocka_unit_test(test_rows),
        cmocka_unit_test(test_sumsq_finite),    cmocka_unit_test(test_sumsq_wide),
        cmocka_unit_test(test_part_ranges_cover),
        cmocka_unit_test(test_shapes),          cmocka_unit_test(test_arena_and_alloc),
        cmocka_unit_test(test_expf_range),      cmocka_unit_test(test_large_blocks_in_huge_pages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
