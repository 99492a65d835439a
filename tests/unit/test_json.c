/* Unit tests for json.c: string and array literals. */
#include <criterion/criterion.h>
#include <string.h>

#include "scrape/json.h"

Test(json, strings_escape_what_json_requires)
{
    struct buf b;

    buf_init(&b, 1 << 10);
    cr_assert_eq(json_add_string(&b, "a\"b\\c\nd\te\rf\x01g caf\xC3\xA9"),
                 ERR_OK);
    cr_assert_str_eq(b.data, "\"a\\\"b\\\\c\\nd\\te\\rf\\u0001g caf\xC3\xA9\"");
    buf_release(&b);
}

Test(json, arrays)
{
    char *v[] = {"x", "y \"z\""};
    struct buf b;

    buf_init(&b, 1 << 10);
    cr_assert_eq(json_add_array(&b, v, 0), ERR_OK);
    cr_assert_str_eq(b.data, "[]");
    buf_reset(&b);
    cr_assert_eq(json_add_array(&b, v, 2), ERR_OK);
    cr_assert_str_eq(b.data, "[\"x\",\"y \\\"z\\\"\"]");
    buf_release(&b);
}

Test(json, capped_buffer_reports_too_large)
{
    struct buf b;

    buf_init(&b, 8);
    cr_assert_eq(json_add_string(&b, "0123456789"), ERR_TOO_LARGE);
    buf_release(&b);
}
