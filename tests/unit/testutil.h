/* testutil.h - helpers shared by the cmocka unit tests.
 * Include after <setjmp.h>, <stdarg.h>, <stddef.h> and <cmocka.h>. */
#ifndef DLC_TESTUTIL_H
#define DLC_TESTUTIL_H

#include <stddef.h>

/* Path of a file under tests/data (DLC_TEST_DATA, default "tests/data"). */
const char *tu_data(const char *name);
/* A fresh temporary directory for this process (created once, removed at exit). */
const char *tu_tmpdir(void);
/* tu_tmpdir()/name */
const char *tu_tmp(const char *name);
/* Writes len bytes (len (size_t)-1: strlen) to path; fails the test on error. */
void tu_write(const char *path, const void *data, size_t len);
/* 1 when DLC_TEST_QUICK is set (valgrind runs: smaller cases). */
int tu_quick(void);
/* Asserts |a - b| <= tol, printing both and the label on failure. */
#define tu_close(a, b, tol)                                                                  \
    do {                                                                                     \
        double tu_a_ = (a), tu_b_ = (b);                                                     \
        if (!(fabs(tu_a_ - tu_b_) <= (tol))) {                                               \
            print_error("%s = %.9g, expected %.9g (tol %g)\n", #a, tu_a_, tu_b_, (double)(tol)); \
            fail();                                                                          \
        }                                                                                    \
    } while (0)


/* ---- PyTorch reference files (tests/data/ref/NAME.ref, see make_reference.py) ---- */
typedef struct tu_ref tu_ref;
/* Loads tests/data/ref/<name>.ref; fails the test when it cannot. */
tu_ref *tu_ref_load(const char *name);
void tu_ref_free(tu_ref *r);
/* Array by name; *n receives its element count.  Fails the test if absent. */
const float *tu_ref_get(const tu_ref *r, const char *name, size_t *n);
/* Asserts |got - want| <= atol + rtol * |want| everywhere, printing the worst index. */
void tu_assert_close(const char *what, const float *got, const float *want, size_t n, double atol,
                     double rtol);

#endif
