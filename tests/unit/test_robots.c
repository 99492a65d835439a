/* Unit tests for robots.c: groups, longest match, wildcards. */
#include <criterion/criterion.h>
#include <string.h>
#include <unistd.h>

#include "scrape/robots.h"

/* Every test is bounded: a matcher that loops must fail, not hang the
 * suite.  An alarm in the test's own process, not Criterion's .timeout
 * (whose runner leaks under LeakSanitizer once several suites use it):
 * SIGALRM ends the test as a crash, a failure. */
static void bounded(void)
{
    alarm(10);
}

TestSuite(robots, .init = bounded);

static struct robots *parse(const char *text)
{
    struct robots *r = NULL;

    cr_assert_eq(robots_parse(text, strlen(text), "scrape/0.1.0", &r), ERR_OK);
    return r;
}

Test(robots, star_group_applies_without_ours)
{
    struct robots *r = parse("User-agent: *\nDisallow: /private\n"
                             "Allow: /private/ok\n\nUser-agent: other\n"
                             "Disallow: /\n");

    cr_assert(robots_allowed(r, "/"));
    cr_assert(robots_allowed(r, "/public/x"));
    cr_assert_not(robots_allowed(r, "/private"));
    cr_assert_not(robots_allowed(r, "/private/secret?x=1"));
    cr_assert(robots_allowed(r, "/private/ok/page"), "longer Allow wins");
    robots_free(r);
}

Test(robots, our_group_replaces_the_star_group)
{
    struct robots *r = parse("User-agent: *\nDisallow: /\n\n"
                             "User-agent: Googlebot\nUser-agent: SCRAPE\n"
                             "Disallow: /no # comment\n");

    cr_assert(robots_allowed(r, "/yes"));
    cr_assert_not(robots_allowed(r, "/no/x"));
    robots_free(r);
}

Test(robots, wildcards_and_end_anchor)
{
    struct robots *r = parse("user-agent: *\r\ndisallow: /*.pdf$\r\n"
                             "disallow: /a*b*c\r\nallow: /a*b*c/ok$\r\n");

    cr_assert_not(robots_allowed(r, "/docs/x.pdf"));
    cr_assert(robots_allowed(r, "/docs/x.pdf?download=1"), "$ anchors");
    cr_assert_not(robots_allowed(r, "/a1b2c3"));
    cr_assert(robots_allowed(r, "/a1b2c/ok"));
    cr_assert(robots_allowed(r, "/acb"));
    robots_free(r);
}

Test(robots, empty_disallow_and_tie_goes_to_allow)
{
    struct robots *r = parse("User-agent: *\nDisallow:\n");

    cr_assert(robots_allowed(r, "/anything"));
    robots_free(r);
    r = parse("User-agent: *\nDisallow: /x\nAllow: /x\n");
    cr_assert(robots_allowed(r, "/x"));
    robots_free(r);
    /* In either order (RFC 9309 2.2.2: Allow wins a tie, not the later
     * rule). */
    r = parse("User-agent: *\nAllow: /x\nDisallow: /x\n");
    cr_assert(robots_allowed(r, "/x"));
    robots_free(r);
    /* Equally long patterns that differ: still a tie. */
    r = parse("User-agent: *\nAllow: /a*\nDisallow: /ab\n");
    cr_assert(robots_allowed(r, "/abc"));
    robots_free(r);
    /* The longer match wins whatever its kind or place. */
    r = parse("User-agent: *\nDisallow: /abc\nAllow: /ab\n");
    cr_assert_not(robots_allowed(r, "/abcd"));
    robots_free(r);
}

/* RFC 9309 2.2.1: our own group replaces '*' even when it allows
 * everything (an empty Disallow), and even when it comes first. */
Test(robots, our_empty_group_still_replaces_the_star_group)
{
    struct robots *r = parse("User-agent: *\nDisallow: /\n\n"
                             "User-agent: scrape\nDisallow:\n");

    cr_assert(robots_allowed(r, "/"));
    cr_assert(robots_allowed(r, "/anything/at/all"));
    robots_free(r);
    r = parse("User-agent: scrape\nDisallow:\n\nUser-agent: *\n"
              "Disallow: /\n");
    cr_assert(robots_allowed(r, "/x"));
    robots_free(r);
    /* Another agent's empty group changes nothing for us. */
    r = parse("User-agent: *\nDisallow: /\n\nUser-agent: other\n"
              "Disallow:\n");
    cr_assert_not(robots_allowed(r, "/x"));
    robots_free(r);
}

/* A pattern that backtracks exponentially in a naive matcher: the
 * suite's timeout makes a regression fail instead of hanging. */
Test(robots, hostile_patterns_stay_fast)
{
    static char text[20000], path[8200];
    struct robots *r;
    size_t i;

    strcpy(text, "User-agent: *\nDisallow: /");
    for (i = 0; i < 4000; i++)
        strcat(text, "*a");
    strcat(text, "b\n");
    r = parse(text);
    path[0] = '/';
    memset(path + 1, 'a', sizeof(path) - 2);
    path[sizeof(path) - 1] = '\0';
    cr_assert(robots_allowed(r, path));
    robots_free(r);
}

Test(robots, fixed_answers)
{
    struct robots *r = NULL;

    cr_assert_eq(robots_all(false, &r), ERR_OK);
    cr_assert_not(robots_allowed(r, "/"));
    robots_free(r);
    cr_assert_eq(robots_all(true, &r), ERR_OK);
    cr_assert(robots_allowed(r, "/x"));
    robots_free(r);
}

/* Crawl-delay: of our group, else of '*'; seconds with fractions; a
 * value that is not a number is none. */
Test(robots, crawl_delay_of_the_group_that_applies)
{
    static const struct {
        const char *txt;
        long ms;
    } cases[] = {
        {"User-agent: *\nCrawl-delay: 2\n", 2000},
        {"User-agent: *\nCrawl-delay: 0.5 # half a second\n", 500},
        {"User-agent: *\nCrawl-delay: 1.25\nDisallow: /x\n", 1250},
        {"User-agent: *\nCrawl-delay: 9\n\nUser-agent: scrape\n"
         "Crawl-delay: .2\n",
         200},
        {"User-agent: other\nCrawl-delay: 9\n", -1},
        {"User-agent: *\nCrawl-delay: soon\n", -1},
        {"User-agent: *\nCrawl-delay: -3\n", -1},
        {"User-agent: *\nCrawl-delay: 120\n", 120000},
        {"User-agent: *\nDisallow: /x\n", -1},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct robots *r = NULL;
        cr_assert_eq(
            robots_parse(cases[i].txt, strlen(cases[i].txt), "scrape/1.0", &r),
            ERR_OK);
        cr_assert_eq(robots_crawl_delay_ms(r), cases[i].ms, "%zu: %ld", i,
                     robots_crawl_delay_ms(r));
        robots_free(r);
    }
}
