/* Unit tests for held.c: records in memory, then in an unlinked file. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scrape/held.h"

/* Record i: i+1 KB of a byte pattern that depends on i. */
static char *pattern(int i, size_t *n)
{
    char *p;
    size_t k;

    *n = (size_t)(i + 1) * 1024;
    p = malloc(*n);
    for (k = 0; k < *n; k++)
        p[k] = (char)((k * 31 + (size_t)i) & 0xff);
    return p;
}

Test(held, memory_then_file_and_every_byte_back)
{
    struct held_store *s;
    struct held_rec *r[40];
    struct buf out;
    size_t n;
    int i;

    buf_init(&out, 1 << 20);
    cr_assert_eq(held_new(16 * 1024, 1 << 20, &s), ERR_OK);
    for (i = 0; i < 40; i++) {
        char *p = pattern(i, &n);
        cr_assert_eq(held_put(s, p, n, &r[i]), ERR_OK);
        free(p);
    }
    cr_assert_leq(held_mem_bytes(s), 16 * 1024 + 1024 * 6,
                  "memory beyond its budget: %zu", held_mem_bytes(s));
    cr_assert_gt(held_file_bytes(s), 0, "nothing went to the file");
    /* Taken back in another order than put. */
    for (i = 39; i >= 0; i -= 2) {
        char *p = pattern(i, &n);
        cr_assert_eq(held_take(s, r[i], &out), ERR_OK);
        cr_assert_eq(out.len, n);
        cr_assert_eq(memcmp(out.data, p, n), 0, "record %d changed", i);
        free(p);
    }
    for (i = 0; i < 40; i += 2)
        held_drop(s, r[i]);
    cr_assert_eq(held_mem_bytes(s), 0);
    cr_assert_eq(held_file_bytes(s), 0, "the empty file starts over");
    held_free(s);
    buf_release(&out);
}

/* Records in the file, taken back one by one to the last: the file
 * starts over only once none is left in it, never under the last one. */
Test(held, the_last_record_in_the_file_reads_back_whole)
{
    struct held_store *s;
    struct held_rec *r[8];
    struct buf out;
    size_t n;
    int i;

    buf_init(&out, 1 << 20);
    /* No memory budget to speak of: every record goes to the file. */
    cr_assert_eq(held_new(1, 1 << 20, &s), ERR_OK);
    for (i = 0; i < 8; i++) {
        char *p = pattern(i, &n);
        cr_assert_eq(held_put(s, p, n, &r[i]), ERR_OK);
        free(p);
    }
    cr_assert_eq(held_mem_bytes(s), 0);
    for (i = 0; i < 8; i++) {
        char *p = pattern(i, &n);
        cr_assert_eq(held_take(s, r[i], &out), ERR_OK, "record %d", i);
        cr_assert_eq(out.len, n);
        cr_assert_eq(memcmp(out.data, p, n), 0, "record %d changed", i);
        free(p);
    }
    cr_assert_eq(held_file_bytes(s), 0, "the empty file starts over");
    held_free(s);
    buf_release(&out);
}

Test(held, budgets_close_the_room_and_a_bad_dir_keeps_records_in_memory)
{
    struct held_store *s;
    struct held_rec *a, *b;
    struct buf out;
    char big[4096];

    memset(big, 'x', sizeof(big));
    buf_init(&out, 1 << 20);
    cr_assert_eq(held_new(4096, 4096, &s), ERR_OK);
    cr_assert(held_has_room(s));
    cr_assert_eq(held_put(s, big, sizeof(big), &a), ERR_OK);
    cr_assert(held_has_room(s), "the file has room");
    cr_assert_eq(held_put(s, big, sizeof(big), &b), ERR_OK);
    cr_assert_not(held_has_room(s), "both budgets used");
    held_drop(s, a);
    held_drop(s, b);
    held_free(s);
    /* No usable temporary directory: records stay in memory (nothing is
     * lost), and the room closes at the memory budget. */
    setenv("TMPDIR", "/nonexistent/dir", 1);
    cr_assert_eq(held_new(4096, 1 << 20, &s), ERR_OK);
    cr_assert_eq(held_put(s, big, sizeof(big), &a), ERR_OK);
    cr_assert_eq(held_put(s, big, sizeof(big), &b), ERR_OK);
    cr_assert_eq(held_file_bytes(s), 0);
    cr_assert_not(held_has_room(s));
    cr_assert_eq(held_take(s, b, &out), ERR_OK);
    cr_assert_eq(out.len, sizeof(big));
    held_drop(s, a);
    held_free(s);
    unsetenv("TMPDIR");
    buf_release(&out);
}
