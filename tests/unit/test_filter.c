/* Unit tests for filter.c: --include/--exclude semantics and errors. */
#include <criterion/criterion.h>
#include <string.h>

#include "scrape/filter.h"

Test(filter, none_allows_everything)
{
    struct url_filter *f = (struct url_filter *)1;
    char why[FILTER_WHY_MAX];

    cr_assert_eq(url_filter_new(NULL, 0, NULL, 0, &f, why, sizeof(why)),
                 ERR_OK);
    cr_assert_null(f);
    cr_assert(url_filter_allows(NULL, "http://h/anything"));
}

/* Any include may match; any exclude vetoes; patterns search anywhere
 * and speak PCRE2 (\d, (?i), non-capturing groups). */
Test(filter, include_any_exclude_wins)
{
    const char *inc[] = {"/page/\\d+/$", "(?i)/BOOKS/"};
    const char *exc[] = {"/page/(?:13|666)/"};
    struct url_filter *f = NULL;
    char why[FILTER_WHY_MAX];

    cr_assert_eq(url_filter_new(inc, 2, exc, 1, &f, why, sizeof(why)), ERR_OK,
                 "%s", why);
    cr_assert(url_filter_allows(f, "http://h/page/2/"));
    cr_assert(url_filter_allows(f, "http://h/x/books/y"));
    cr_assert_not(url_filter_allows(f, "http://h/page/2/x"));
    cr_assert_not(url_filter_allows(f, "http://h/tag/love/"));
    cr_assert_not(url_filter_allows(f, "http://h/page/13/"));
    url_filter_free(f);
}

/* Capturing groups are fine: a pattern matches whatever it captures
 * (PCRE2 reports such a match as 0 when the match data has no room for
 * the groups: still a match). */
Test(filter, patterns_with_capturing_groups_match)
{
    const char *inc[] = {"/page/(\\d+)/$", "(a)(b)(c)"};
    const char *exc[] = {"/page/(13|666)/"};
    struct url_filter *f = NULL;
    char why[FILTER_WHY_MAX];

    cr_assert_eq(url_filter_new(inc, 2, exc, 1, &f, why, sizeof(why)), ERR_OK,
                 "%s", why);
    cr_assert(url_filter_allows(f, "http://h/page/2/"));
    cr_assert(url_filter_allows(f, "http://h/abc"));
    cr_assert_not(url_filter_allows(f, "http://h/page/13/"));
    cr_assert_not(url_filter_allows(f, "http://h/other"));
    url_filter_free(f);
}

Test(filter, exclude_only)
{
    const char *exc[] = {"\\?sort="};
    struct url_filter *f = NULL;
    char why[FILTER_WHY_MAX];

    cr_assert_eq(url_filter_new(NULL, 0, exc, 1, &f, why, sizeof(why)), ERR_OK);
    cr_assert(url_filter_allows(f, "http://h/list"));
    cr_assert_not(url_filter_allows(f, "http://h/list?sort=asc"));
    url_filter_free(f);
}

Test(filter, bad_pattern_named_with_position)
{
    const char *inc[] = {"ok", "page/(\\d+"};
    struct url_filter *f = (struct url_filter *)1;
    char why[FILTER_WHY_MAX];

    cr_assert_eq(url_filter_new(inc, 2, NULL, 0, &f, why, sizeof(why)),
                 ERR_INVALID);
    cr_assert_null(f);
    cr_assert_not_null(strstr(why, "--include 'page/(\\d+'"), "%s", why);
    cr_assert_not_null(strstr(why, "at position 10"), "%s", why);
}
