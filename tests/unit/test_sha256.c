/* test_sha256.c - SHA-256 against the FIPS 180-2 example vectors (one and two
 * blocks, a length that needs a second padding block, a million bytes fed in
 * uneven pieces) and a file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <string.h>

#include "../../src/base/sha256.h"
#include "testutil.h"

static void digest(const char *msg, size_t n, char hex[65])
{
    dlc_sha256 s;
    dlc_sha256_init(&s);
    dlc_sha256_update(&s, msg, n);
    dlc_sha256_final(&s, hex);
}

static void test_vectors(void **state)
{
    (void)state;
    char hex[65];
    digest("", 0, hex);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    digest("abc", 3, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"; /* 56 bytes */
    digest(two, strlen(two), hex);
    assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    /* a million 'a', in pieces that straddle the blocks */
    static char a[1000];
    memset(a, 'a', sizeof a);
    dlc_sha256 s;
    dlc_sha256_init(&s);
    for (int i = 0; i < 1000; i++) {
        dlc_sha256_update(&s, a, 7);
        dlc_sha256_update(&s, a, 993);
    }
    dlc_sha256_final(&s, hex);
    assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

static void test_file(void **state)
{
    (void)state;
    char hex[65];
    dlc_error err = {0};
    tu_write(tu_tmp("abc.txt"), "abc", 3);
    assert_int_equal(dlc_sha256_file(tu_tmp("abc.txt"), hex, &err), DLC_OK);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_int_equal(dlc_sha256_file(tu_tmp("missing.txt"), hex, &err), DLC_EINPUT);
    assert_non_null(strstr(err.msg, "missing.txt"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
