/* Unit tests for utf8.c. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "scrape/utf8.h"

Test(utf8, validates)
{
    cr_assert(utf8_valid("plain", 5));
    cr_assert(utf8_valid("caf\xC3\xA9 \xE6\x97\xA5 \xF0\x9F\x98\x80", 14));
    cr_assert_not(utf8_valid("caf\xE9", 4), "latin1 byte");
    cr_assert_not(utf8_valid("\xC0\xAF", 2), "overlong");
    cr_assert_not(utf8_valid("\xED\xA0\x80", 3), "surrogate");
    cr_assert_not(utf8_valid("\xF4\x90\x80\x80", 4), "above U+10FFFF");
    cr_assert_not(utf8_valid("\xE6\x97", 2), "truncated");
}

Test(utf8, cleans_and_collapses)
{
    char *s = utf8_clean("  a\t\n b\xFF c  ", 12, true);

    cr_assert_str_eq(s, "a b\xEF\xBF\xBD c");
    free(s);
    s = utf8_clean("x\0y", 3, false);
    cr_assert_str_eq(s, "x\xEF\xBF\xBDy");
    free(s);
}

Test(utf8, decodes_windows_1252_without_failing)
{
    size_t n;
    char *s = utf8_from_cp1252("caf\xE9 \x80 \x81 \x93q\x94", 12, &n);

    cr_assert_str_eq(s, "café € \xC2\x81 “q”");
    cr_assert_eq(n, strlen(s));
    cr_assert(utf8_valid(s, n));
    free(s);
}
