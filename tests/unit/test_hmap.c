/* Unit tests for hmap.c: the string-keyed map under the frontier. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scrape/hmap.h"

Test(hmap, put_get_and_first_insert_wins)
{
    struct hmap m;
    struct hmap_slot *slot;
    int a = 1, b = 2;

    hmap_init(&m);
    cr_assert_null(hmap_get(&m, "x"), "empty map, no table yet");
    cr_assert_eq(hmap_put(&m, "x", &a, &slot), ERR_OK);
    cr_assert_eq(slot->value, &a);
    cr_assert_eq(hmap_put(&m, "x", &b, &slot), ERR_OK);
    cr_assert_eq(slot->value, &a, "a present key keeps its value");
    cr_assert_eq(m.len, 1);
    cr_assert_null(hmap_get(&m, "y"));
    cr_assert_null(hmap_get(&m, ""));
    cr_assert_eq(hmap_put(&m, "", &b, NULL), ERR_OK);
    cr_assert_eq(hmap_get(&m, "")->value, &b, "the empty string is a key");
    hmap_release(&m);
    hmap_release(&m);
}

/* Across many doublings every key stays findable with its value, and
 * load stays at most one half. */
Test(hmap, grows_and_keeps_every_key)
{
    enum { N = 50000 };
    struct hmap m;
    char(*keys)[24] = malloc(N * sizeof(*keys));
    size_t i;

    hmap_init(&m);
    for (i = 0; i < N; i++) {
        snprintf(keys[i], sizeof(keys[i]), "http://h/%zu", i);
        cr_assert_eq(hmap_put(&m, keys[i], (void *)(i + 1), NULL), ERR_OK);
        cr_assert_leq(m.len * 2, m.cap);
    }
    cr_assert_eq(m.len, N);
    for (i = 0; i < N; i++) {
        struct hmap_slot *s = hmap_get(&m, keys[i]);
        cr_assert_not_null(s, "%s lost", keys[i]);
        cr_assert_eq((size_t)s->value, i + 1);
        cr_assert_str_eq(s->key, keys[i]);
    }
    cr_assert_null(hmap_get(&m, "http://h/50000"));
    hmap_release(&m);
    free(keys);
}

/* FNV-1a 64 test vectors, then the fold of the high bits into the low
 * ones that the table index uses. */
static uint64_t folded(uint64_t fnv)
{
    return fnv ^ (fnv >> 29);
}

Test(hmap, hash_is_fnv1a_with_the_high_bits_folded_down)
{
    cr_assert_eq(hmap_hash(""), folded(0xcbf29ce484222325ULL));
    cr_assert_eq(hmap_hash("a"), folded(0xaf63dc4c8601ec8cULL));
    cr_assert_eq(hmap_hash("foobar"), folded(0x85944171f73967e8ULL));
}
