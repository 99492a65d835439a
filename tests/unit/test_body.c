/* Unit tests for body.c: SHA-256 names, zstd round trips, and stored
 * bodies that are not what they claim to be. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "scrape/body.h"

Test(body, hash_is_sha256_hex)
{
    char h[BODY_HASH_LEN];

    body_hash("abc", 3, h);
    cr_assert_str_eq(
        h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    body_hash("", 0, h);
    cr_assert_str_eq(
        h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

Test(body, pack_and_unpack_round_trip_with_binary_data)
{
    size_t n = 100000, zn = 0, got = 0, i;
    char *data = malloc(n), *back = NULL, why[128];
    void *z = NULL;

    for (i = 0; i < n; i++)
        data[i] = (char)(i % 7 == 0 ? 0 : 'a' + i % 13);
    cr_assert_eq(body_pack(data, n, &z, &zn), ERR_OK);
    cr_assert_lt(zn, n / 4, "HTML-like data compresses");
    cr_assert_eq(body_unpack(z, zn, n, n, &back, &got, why, sizeof(why)),
                 ERR_OK);
    cr_assert_eq(got, n);
    cr_assert_eq(memcmp(back, data, n), 0);
    cr_assert_eq(back[n], '\0', "NUL-terminated for the parser");
    free(back);
    /* The limit and the row's size are checked before decompressing. */
    cr_assert_eq(body_unpack(z, zn, n, n - 1, &back, &got, why, sizeof(why)),
                 ERR_INVALID);
    cr_assert_null(back);
    cr_assert_eq(
        body_unpack(z, zn, n + 1, n + 1, &back, &got, why, sizeof(why)),
        ERR_INVALID);
    cr_assert(strstr(why, "says"), "%s", why);
    /* Truncated: an error, not a crash. */
    cr_assert_eq(body_unpack(z, zn / 2, n, n, &back, &got, why, sizeof(why)),
                 ERR_INVALID);
    free(z);
    free(data);
}

Test(body, garbage_is_not_a_body)
{
    static const unsigned char junk[] = {0x28, 0xb5, 0x2f, 0xfd, 0x00,
                                         0xde, 0xad, 0xbe, 0xef};
    char *back = NULL, why[128];
    size_t got = 0;

    cr_assert_eq(
        body_unpack(junk, sizeof(junk), 10, 100, &back, &got, why, sizeof(why)),
        ERR_INVALID);
    cr_assert_eq(
        body_unpack("plain text", 10, 10, 100, &back, &got, why, sizeof(why)),
        ERR_INVALID);
    cr_assert(strstr(why, "zstd"), "%s", why);
    cr_assert_eq(body_unpack(NULL, 0, 0, 100, &back, &got, why, sizeof(why)),
                 ERR_INVALID);
    cr_assert_null(back);
}
