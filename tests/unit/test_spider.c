/* Unit tests for spiders: which rule a URL belongs to (first match wins,
 * rule 0 otherwise), how --follow chooses links (elements, attributes,
 * strings; resolved against <base>; each once) and counts what it
 * leaves out, --no-follow, and how the command line groups the options
 * after each --rule. */
#include <criterion/criterion.h>
#include <libxml/parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scrape/cli.h"
#include "scrape/filter.h"
#include "scrape/parse.h"

#include "cliparse.h"

static const struct field_spec title_field[] = {
    {.name = "title", .xpath = "string(//h1)"}};
static const struct follow_spec next_and_cards[] = {
    {.xpath = "//a[@rel='next']"},                       /* an element */
    {.xpath = "//article/@data-href"},                   /* attributes */
    {.xpath = "string(//link[@rel='alternate']/@href)"}, /* a string */
    {.xpath = "//a[@class='card']"}};
static const struct rule_spec rules[] = {
    {.spec = {.fields = title_field, .nfields = 1}},
    {.name = "list", .pattern = "/c/", .follow = next_and_cards, .nfollow = 4},
    {.name = "product", .pattern = "/p/[0-9]+$", .no_follow = true},
    /* Never reached for /c/ pages: "list" comes first. */
    {.name = "late",
     .pattern = "/c/|/late/",
     .spec = {.fields = title_field, .nfields = 1}}};
static const struct spider spider = {rules, 4};

static const char list_page[] =
    "<html><head><base href='http://h/c/base/'>"
    "<link rel='alternate' href='alt/'></head><body><h1>List</h1>"
    "<a href='/'>home</a> <a href='/cart/'>cart</a>"
    "<article data-href='/p/1'><a class='card' href='/p/1'>one</a></article>"
    "<article data-href='/p/2'><a class='card' href='../../p/2'>two</a>"
    "</article><a class='card' href='mailto:x@h'>mail</a>"
    "<a rel='next' href='page/2/'>next</a><a href='/cart/'>cart again</a>"
    "</body></html>";

static struct parser *spider_parser(void)
{
    struct parser *p = NULL;
    char why[256];

    xmlInitParser();
    cr_assert_eq(parser_new(&spider, &p, why, sizeof(why)), ERR_OK, "%s", why);
    return p;
}

static bool chose(const struct page *pg, const char *url)
{
    size_t i;

    for (i = 0; i < pg->nfollow; i++)
        if (!strcmp(pg->follow[i].url, url))
            return true;
    return false;
}

Test(spider, first_matching_rule_wins)
{
    struct parser *p = spider_parser();
    struct url_filter *f = NULL;
    char why[256];

    cr_assert_eq(parser_rule(p, "http://h/c/lamps/"), 1);
    cr_assert_eq(parser_rule(p, "http://h/p/12"), 2);
    cr_assert_eq(parser_rule(p, "http://h/p/12/reviews"), 0);
    cr_assert_eq(parser_rule(p, "http://h/late/x"), 3);
    cr_assert_eq(parser_rule(p, "http://h/"), 0);
    cr_assert_eq(spider_patterns(&spider, &f, why, sizeof(why)), ERR_OK);
    cr_assert_eq(spider_rule(f, "http://h/c/lamps/"), 1);
    cr_assert_eq(spider_rule(f, "http://h/late/x"), 3);
    cr_assert_eq(spider_rule(f, "http://h/"), 0);
    cr_assert_str_eq(spider_rule_name(&spider, 2), "product");
    cr_assert_null(spider_rule_name(&spider, 0));
    cr_assert_null(spider_rule_name(&spider, 9));
    url_filter_free(f);
    /* Without rules, everything is rule 0 and there is nothing to
     * compile. */
    cr_assert_eq(spider_patterns(NULL, &f, why, sizeof(why)), ERR_OK);
    cr_assert_null(f);
    cr_assert_eq(spider_rule(NULL, "http://h/c/"), 0);
    parser_free(p);
}

Test(spider, follow_chooses_links_and_counts_the_rest)
{
    struct parser *p = spider_parser();
    struct page pg;

    cr_assert_eq(parse_page(p, list_page, sizeof(list_page) - 1,
                            "http://h/c/lamps/", "text/html", &pg),
                 ERR_OK);
    cr_assert_eq(pg.rule, 1);
    cr_assert(pg.chosen);
    /* The list rule has no fields: nothing extracted, yet the tree was
     * built for its selectors. */
    cr_assert_eq(pg.nrecords, 0);
    cr_assert(chose(&pg, "http://h/c/base/page/2/"));
    cr_assert(chose(&pg, "http://h/p/1"));
    cr_assert(chose(&pg, "http://h/p/2"));
    cr_assert(chose(&pg, "http://h/c/base/alt/"));
    /* Each once (the cards and data-href name the same pages); a link
     * that cannot be fetched is kept, not followable, for its skipped
     * row. */
    cr_assert_eq(pg.nfollow, 5, "%zu", pg.nfollow);
    cr_assert_not(pg.follow[4].followable);
    cr_assert_str_eq(pg.follow[4].url, "mailto:x@h");
    /* Left out: home and the cart (twice on the page, one URL). */
    cr_assert_eq(pg.unfollowed, 2);
    /* The page's own links are all still there, for the links table. */
    cr_assert_eq(pg.nlinks, 7);
    page_release(&pg);
    parser_free(p);
}

Test(spider, no_follow_and_rule_zero)
{
    struct parser *p = spider_parser();
    struct page pg;

    /* --no-follow with no selectors: the SAX pass, nothing chosen,
     * every distinct followable link counted. */
    cr_assert_eq(parse_page(p, list_page, sizeof(list_page) - 1, "http://h/p/7",
                            "text/html", &pg),
                 ERR_OK);
    cr_assert_eq(pg.rule, 2);
    cr_assert(pg.chosen);
    cr_assert_eq(pg.nfollow, 0);
    cr_assert_eq(pg.unfollowed, 5);
    page_release(&pg);
    /* No rule matches: rule 0's field, every link followed. */
    cr_assert_eq(parse_page(p, list_page, sizeof(list_page) - 1,
                            "http://h/other", "text/html", &pg),
                 ERR_OK);
    cr_assert_eq(pg.rule, 0);
    cr_assert_not(pg.chosen);
    cr_assert_eq(pg.unfollowed, 0);
    cr_assert_eq(pg.nrecords, 1);
    cr_assert_eq(pg.nfields, 1);
    page_release(&pg);
    /* parse_rule_page: the caller's rule, whatever the URL. */
    cr_assert_eq(parse_rule_page(p, 3, list_page, sizeof(list_page) - 1,
                                 "http://h/other", "text/html", &pg),
                 ERR_OK);
    cr_assert_eq(pg.rule, 3);
    cr_assert_eq(pg.nfields, 1);
    page_release(&pg);
    parser_free(p);
}

Test(spider, bad_follow_and_pattern_are_refused)
{
    static const struct follow_spec count[] = {{.xpath = "count(//a)"}};
    static const struct follow_spec broken[] = {{.xpath = "//a["}};
    const struct rule_spec r1[] = {
        {0}, {.name = "x", .pattern = "/x/", .follow = count, .nfollow = 1}};
    const struct rule_spec r2[] = {
        {0}, {.name = "x", .pattern = "/x/", .follow = broken, .nfollow = 1}};
    const struct rule_spec r3[] = {{0}, {.name = "y", .pattern = "/x/("}};
    const struct spider s1 = {r1, 2}, s2 = {r2, 2}, s3 = {r3, 2};
    struct parser *p = NULL;
    char why[256];

    xmlInitParser();
    cr_assert_eq(parser_new(&s1, &p, why, sizeof(why)), ERR_INVALID);
    cr_assert_not_null(strstr(why, "--follow (rule 'x'): 'count(//a)'"
                                   " computes a number"),
                       "%s", why);
    cr_assert_eq(parser_new(&s2, &p, why, sizeof(why)), ERR_INVALID);
    cr_assert_not_null(strstr(why, "--follow (rule 'x'): invalid XPath"), "%s",
                       why);
    cr_assert_eq(parser_new(&s3, &p, why, sizeof(why)), ERR_INVALID);
    cr_assert_not_null(strstr(why, "--rule 'y' '/x/('"), "%s", why);
}

Test(spider, options_after_a_rule_belong_to_it)
{
    char *argv[] = {"scrape",   "--field",  "t=h1",      "--rule",
                    "list=/c/", "--item",   "li",        "--field",
                    "t=h2",     "--follow", "a.next",    "--depth",
                    "2",        "--rule",   "p=/p/",     "--no-follow",
                    "--field",  "sku=.sku", "http://h/", NULL};
    struct config cfg;
    char *msg;

    cr_assert_eq(cliparse(&cfg, &msg, 19, argv), CLI_RUN, "%s", msg);
    cr_assert_eq(cfg.spider.nrules, 3);
    cr_assert_null(cfg.spider.rules[0].name);
    cr_assert_eq(cfg.spider.rules[0].spec.nfields, 1);
    cr_assert_null(cfg.spider.rules[0].spec.item_xpath);
    cr_assert_str_eq(cfg.spider.rules[1].name, "list");
    cr_assert_str_eq(cfg.spider.rules[1].pattern, "/c/");
    cr_assert_str_eq(cfg.spider.rules[1].spec.item_selector, "li");
    cr_assert_eq(cfg.spider.rules[1].spec.nfields, 1);
    cr_assert_str_eq(cfg.spider.rules[1].spec.fields[0].selector, "h2");
    cr_assert_eq(cfg.spider.rules[1].nfollow, 1);
    cr_assert_str_eq(cfg.spider.rules[1].follow[0].selector, "a.next");
    cr_assert_not(cfg.spider.rules[1].no_follow);
    /* Other options do not end a rule. */
    cr_assert_eq(cfg.depth, 2);
    cr_assert_str_eq(cfg.spider.rules[2].name, "p");
    cr_assert(cfg.spider.rules[2].no_follow);
    cr_assert_str_eq(cfg.spider.rules[2].spec.fields[0].name, "sku");
    cli_release(&cfg);
    free(msg);
}

Test(spider, rule_usage_errors)
{
    static const struct {
        const char *a, *b, *c, *want;
    } cases[] = {
        {"--rule", "=/c/", NULL, "--rule wants NAME=REGEX"},
        {"--rule", "list", NULL, "--rule wants NAME=REGEX"},
        {"--rule", "list=", NULL, "--rule wants NAME=REGEX"},
        {"--rule", "a b=/c/", NULL, "--rule wants NAME=REGEX"},
        {"--rule", "list=/c/[", NULL, "--rule 'list' '/c/[': missing"},
        {"--follow", "a", "--no-follow", "--follow and --no-follow: choose"},
        {"--no-follow", "--follow", "a", "--follow and --no-follow: choose"},
        {"--follow", "a >", NULL, "--follow: bad CSS selector"},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *argv[6] = {"scrape",
                         (char *)cases[i].a,
                         (char *)cases[i].b,
                         (char *)cases[i].c,
                         NULL,
                         NULL};
        int argc = cases[i].c ? 4 : 3;
        struct config cfg;
        char *msg;
        argv[argc++] = "http://h/";
        cr_assert_eq(cliparse(&cfg, &msg, argc, argv), CLI_USAGE, "%zu", i);
        cr_assert_not_null(strstr(msg, cases[i].want), "%zu: %s", i, msg);
        cli_release(&cfg);
        free(msg);
    }
    {
        /* Links chosen where none is followed: a forgotten --depth. */
        char *argv[] = {"scrape", "--rule",    "a=/x/", "--follow",
                        "a.next", "http://h/", NULL};
        struct config cfg;
        char *msg;
        cr_assert_eq(cliparse(&cfg, &msg, 6, argv), CLI_USAGE);
        cr_assert_not_null(strstr(msg, "--follow (rule 'a') chooses links to"
                                       " follow, but --depth is 0"),
                           "%s", msg);
        cli_release(&cfg);
        free(msg);
    }
    {
        char *argv[] = {"scrape", "--rule",    "a=/x/", "--rule",
                        "a=/y/",  "http://h/", NULL};
        struct config cfg;
        char *msg;
        cr_assert_eq(cliparse(&cfg, &msg, 6, argv), CLI_USAGE);
        cr_assert_not_null(strstr(msg, "--rule 'a' given twice"), "%s", msg);
        cli_release(&cfg);
        free(msg);
    }
    {
        /* A field name may repeat across rules, not within one. */
        char *argv[] = {"scrape", "--field",   "t=h1", "--rule",
                        "a=/x/",  "--field",   "t=h2", "--field",
                        "t=h3",   "http://h/", NULL};
        struct config cfg;
        char *msg;
        cr_assert_eq(cliparse(&cfg, &msg, 10, argv), CLI_USAGE);
        cr_assert_not_null(strstr(msg, "--field 't' given twice in rule 'a'"),
                           "%s", msg);
        cli_release(&cfg);
        free(msg);
    }
}
