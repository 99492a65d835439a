/* Unit tests for argfile.c: options from a file, split as curl's -K
 * splits them. */
#include <criterion/criterion.h>
#include <string.h>

#include "scrape/argfile.h"

static struct argfile parse_ok(const char *text)
{
    struct argfile a;
    char why[128];

    cr_assert_eq(argfile_parse(text, strlen(text), &a, why, sizeof(why)),
                 ERR_OK, "%s", why);
    return a;
}

Test(argfile, words_quotes_escapes_comments_and_lines)
{
    struct argfile a =
        parse_ok("# a spider\n"
                 "\n"
                 "  --depth 3\t-q\n"
                 "--field \"title=css:h1::text\"\n"
                 "   # an indented comment\n"
                 "--field \"say=\\\"hi\\\" \\\\ there\" --field=\"a b\"c\r\n");

    cr_assert_eq(a.n, 8);
    cr_assert_str_eq(a.args[0], "--depth");
    cr_assert_str_eq(a.args[1], "3");
    cr_assert_str_eq(a.args[2], "-q");
    cr_assert_eq(a.lines[2], 3);
    cr_assert_str_eq(a.args[4], "title=css:h1::text");
    cr_assert_eq(a.lines[4], 4);
    cr_assert_str_eq(a.args[6], "say=\"hi\" \\ there");
    cr_assert_str_eq(a.args[7], "--field=a bc", "%s", a.args[7]);
    cr_assert_eq(a.lines[7], 6);
    argfile_release(&a);
    argfile_release(&a);
}

Test(argfile, seeds_and_an_empty_argument)
{
    struct argfile a = parse_ok("https://example.com/#frag\n\"\"\n");

    cr_assert_eq(a.n, 2);
    cr_assert_str_eq(a.args[0], "https://example.com/#frag");
    cr_assert_str_eq(a.args[1], "");
    argfile_release(&a);
}

Test(argfile, an_open_quote_is_an_error_with_its_line)
{
    struct argfile a;
    char why[128];
    const char *text = "--depth 2\n--field \"title=h1\n--max-pages 5\n";

    cr_assert_eq(argfile_parse(text, strlen(text), &a, why, sizeof(why)),
                 ERR_INVALID);
    cr_assert_str_eq(why, "2: a double quote is not closed on its line");
    cr_assert_eq(a.n, 0);
    cr_assert_eq(argfile_parse("a\0b", 3, &a, why, sizeof(why)), ERR_INVALID);
}

Test(argfile, a_missing_file_is_an_io_error)
{
    struct argfile a;
    char why[128];

    cr_assert_eq(argfile_read("/nonexistent/spider.conf", &a, why, sizeof(why)),
                 ERR_IO);
}
