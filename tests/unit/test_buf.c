/* Unit tests for buf.c: growth, the hard cap, detach. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "scrape/buf.h"

Test(buf, starts_empty_and_terminated)
{
    struct buf b;

    buf_init(&b, 100);
    cr_assert_not_null(b.data);
    cr_assert_str_eq(b.data, "");
    cr_assert_eq(b.len, 0);
    buf_release(&b);
    buf_release(&b);
}

Test(buf, grows_geometrically_and_stays_terminated)
{
    struct buf b;
    size_t i, reallocs = 0, last_cap = 0;

    buf_init(&b, 1 << 20);
    for (i = 0; i < 100000; i++) {
        cr_assert_eq(buf_add(&b, "x", 1), ERR_OK);
        if (b.cap != last_cap) {
            reallocs++;
            last_cap = b.cap;
        }
    }
    cr_assert_eq(b.len, 100000);
    cr_assert_eq(b.data[b.len], '\0');
    cr_assert_lt(reallocs, 20, "one realloc per append would be %zu", reallocs);
    buf_release(&b);
}

Test(buf, refuses_past_the_cap_and_frees)
{
    struct buf b;

    buf_init(&b, 10);
    cr_assert_eq(buf_add(&b, "0123456789", 10), ERR_OK);
    cr_assert_eq(buf_add(&b, "x", 1), ERR_TOO_LARGE);
    cr_assert_eq(b.len, 0);
    cr_assert_eq(b.cap, 0);
    cr_assert_str_eq(b.data, "");
}

Test(buf, addf_and_detach)
{
    struct buf b;
    size_t n;
    char *s;

    buf_init(&b, 64);
    cr_assert_eq(buf_addf(&b, "%d-%s", 42, "x"), ERR_OK);
    s = buf_detach(&b, &n);
    cr_assert_str_eq(s, "42-x");
    cr_assert_eq(n, 4);
    cr_assert_eq(b.len, 0);
    free(s);
    cr_assert_eq(buf_addf(&b, "%0100d", 1), ERR_TOO_LARGE);
}
