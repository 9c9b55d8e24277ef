#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

static char tmpdir[256];

static void remove_tmpdir(void)
{
    if (tmpdir[0] && !getenv("DLC_KEEP_TMP")) {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", tmpdir);
    }
}

const char *tu_data(const char *name)
{
    static char buf[8][1024];
    static int k;
    const char *dir = getenv("DLC_TEST_DATA");
    char *b = buf[k++ % 8];
    snprintf(b, sizeof buf[0], "%s/%s", dir ? dir : "tests/data", name);
    return b;
}

const char *tu_tmpdir(void)
{
    if (!tmpdir[0]) {
        snprintf(tmpdir, sizeof tmpdir, "/tmp/dlc-test-XXXXXX");
        if (!mkdtemp(tmpdir)) {
            perror("mkdtemp");
            abort();
        }
        atexit(remove_tmpdir);
    }
    return tmpdir;
}

const char *tu_tmp(const char *name)
{
    static char buf[8][1024];
    static int k;
    char *b = buf[k++ % 8];
    snprintf(b, sizeof buf[0], "%s/%s", tu_tmpdir(), name);
    return b;
}

void tu_write(const char *path, const void *data, size_t len)
{
    if (len == (size_t)-1)
        len = strlen(data);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

int tu_quick(void)
{
    return getenv("DLC_TEST_QUICK") != NULL;
}

#include <math.h>
#include <stdint.h>

struct tu_ref {
    int n;
    char names[64][64];
    size_t count[64];
    float *data[64];
};

static uint32_t rd32(FILE *f)
{
    uint32_t v = 0;
    if (fread(&v, 4, 1, f) != 1) {
        print_error("reference file truncated\n");
        fail();
    }
    return v;
}

tu_ref *tu_ref_load(const char *name)
{
    char file[256];
    snprintf(file, sizeof file, "ref/%s.ref", name);
    FILE *f = fopen(tu_data(file), "rb");
    if (!f) {
        print_error("cannot open %s\n", tu_data(file));
        fail();
    }
    char magic[8];
    assert_int_equal(fread(magic, 1, 8, f), 8);
    assert_memory_equal(magic, "DLCREF1\n", 8);
    tu_ref *r = calloc(1, sizeof *r);
    assert_non_null(r);
    r->n = (int)rd32(f);
    assert_true(r->n <= 64);
    for (int i = 0; i < r->n; i++) {
        uint32_t len = rd32(f);
        assert_true(len < 64);
        assert_int_equal(fread(r->names[i], 1, len, f), len);
        uint32_t ndim = rd32(f);
        size_t count = 1;
        for (uint32_t d = 0; d < ndim; d++)
            count *= rd32(f);
        r->count[i] = count;
        r->data[i] = malloc(sizeof(float) * (count ? count : 1));
        assert_non_null(r->data[i]);
        assert_int_equal(fread(r->data[i], sizeof(float), count, f), count);
    }
    fclose(f);
    return r;
}

void tu_ref_free(tu_ref *r)
{
    if (!r)
        return;
    for (int i = 0; i < r->n; i++)
        free(r->data[i]);
    free(r);
}

const float *tu_ref_get(const tu_ref *r, const char *name, size_t *n)
{
    for (int i = 0; i < r->n; i++)
        if (strcmp(r->names[i], name) == 0) {
            if (n)
                *n = r->count[i];
            return r->data[i];
        }
    print_error("reference array '%s' missing\n", name);
    fail();
    return NULL;
}

void tu_assert_close(const char *what, const float *got, const float *want, size_t n, double atol,
                     double rtol)
{
    size_t worst = 0;
    double worst_excess = -1;
    for (size_t i = 0; i < n; i++) {
        double excess = fabs((double)got[i] - want[i]) - (atol + rtol * fabs(want[i]));
        if (excess > worst_excess || isnan(got[i])) {
            worst_excess = isnan(got[i]) ? INFINITY : excess;
            worst = i;
        }
    }
    if (worst_excess > 0) {
        print_error("%s: worst at index %zu: got %.9g, want %.9g (atol %g, rtol %g)\n", what, worst,
                    got[worst], want[worst], atol, rtol);
        fail();
    }
}
