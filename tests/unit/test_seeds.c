/* Unit tests for seeds.c: good lines kept, bad ones reported by line. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scrape/seeds.h"
#include "scrape/url.h"

static void read_text(const char *text, size_t len, struct seeds *s,
                      char **diag)
{
    FILE *in = fmemopen((void *)text, len, "r");
    size_t dlen;
    FILE *d = open_memstream(diag, &dlen);

    cr_assert_eq(seeds_read_stream(in, "seeds.txt", s, d), ERR_OK);
    fclose(d);
    fclose(in);
}

Test(seeds, skips_comments_blanks_and_handles_crlf)
{
    static const char text[] = "# comment\r\n\r\n  http://a/x \r\n"
                               "\thttps://B/y#f\r\nhttp://c/z";
    struct seeds s;
    char *diag;

    read_text(text, sizeof(text) - 1, &s, &diag);
    cr_assert_eq(s.n, 3);
    cr_assert_str_eq(s.urls[0], "http://a/x");
    cr_assert_str_eq(s.urls[1], "https://b/y");
    cr_assert_str_eq(s.urls[2], "http://c/z", "no final newline");
    cr_assert_str_eq(diag, "");
    seeds_release(&s);
    free(diag);
}

Test(seeds, reports_bad_lines_with_numbers)
{
    static const char text[] = "http://ok/1\nftp://x/\nnot a url\n"
                               "http://ok/2\nhttp://h:99999/\n";
    struct seeds s;
    char *diag;

    read_text(text, sizeof(text) - 1, &s, &diag);
    cr_assert_eq(s.n, 2);
    cr_assert_eq(s.bad, 3);
    cr_assert_not_null(
        strstr(diag, "seeds.txt:2: not an http or https URL: 'ftp://x/'"), "%s",
        diag);
    cr_assert_not_null(strstr(diag, "seeds.txt:3: malformed URL"), "%s", diag);
    cr_assert_not_null(strstr(diag, "seeds.txt:5: malformed URL"), "%s", diag);
    seeds_release(&s);
    free(diag);
}

Test(seeds, long_lines_and_nul_bytes_are_reported)
{
    size_t n = 100 * 1024;
    char *text = malloc(n + 32);
    struct seeds s;
    char *diag;

    memcpy(text, "http://h/", 9);
    memset(text + 9, 'a', n - 9);
    memcpy(text + n, "\nhttp://x\0y/\nhttp://ok/\n", 24);
    read_text(text, n + 24, &s, &diag);
    cr_assert_eq(s.n, 1);
    cr_assert_str_eq(s.urls[0], "http://ok/");
    cr_assert_not_null(strstr(diag, "seeds.txt:1: line too long"), "%s", diag);
    cr_assert_not_null(strstr(diag, "seeds.txt:2: line contains a NUL byte"),
                       "%s", diag);
    cr_assert_lt(strlen(diag), 400, "quotes are shortened");
    seeds_release(&s);
    free(diag);
    free(text);
}

Test(seeds, missing_file_is_an_io_error)
{
    struct seeds s;

    cr_assert_eq(seeds_read("/nonexistent/seeds.txt", &s, stderr), ERR_IO);
    cr_assert_eq(s.n, 0);
}
