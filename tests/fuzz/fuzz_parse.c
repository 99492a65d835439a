/*
 * libFuzzer target: the HTML extractor (parse.c, simhash.c, utf8.c).
 * The first byte picks the Content-Type the page arrives with; the rest
 * is the body.  Checks, besides memory safety: every string in the record
 * is valid UTF-8, canonical links re-canonicalise to themselves, and the
 * SAX pass (no selectors: no tree) gives the record the tree walk gives.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "scrape/parse.h"
#include "scrape/url.h"
#include "scrape/utf8.h"

static const struct field_spec fields[] = {
    {.name = "price", .xpath = "//p[@class='price']"},
    {.name = "count", .xpath = "count(//a)"},
    {.name = "text", .xpath = ".", .list = true},
    {.name = "hrefs", .xpath = "descendant-or-self::a/@href", .list = true},
};
/* Items: every element with a child, so hostile nesting is exercised;
 * links chosen as a --follow would, elements and attributes alike. */
static const struct follow_spec follow[] = {
    {.xpath = "//a | //link/@href | //*[@data-href]/@data-href"}};
static const struct rule_spec rule = {
    .spec = {.item_xpath = "//*[*]", .fields = fields, .nfields = 4},
    .follow = follow,
    .nfollow = 1};
static const struct spider spider = {&rule, 1};

static void check(const char *s)
{
    if (s && !utf8_valid(s, strlen(s)))
        abort();
}

static void same(const char *a, const char *b)
{
    if ((!a || !b) ? a != b : strcmp(a, b) != 0)
        abort();
}

/* The SAX pass against the tree walk on one input. */
static void compare_passes(struct parser *sax, struct parser *tree,
                           const char *body, size_t len, const char *ctype)
{
    struct page a, b;
    enum err ea = parse_page(sax, body, len, "http://fuzz.test/a/", ctype, &a);
    enum err eb = parse_page(tree, body, len, "http://fuzz.test/a/", ctype, &b);
    size_t i;

    if (ea != eb)
        abort();
    if (ea != ERR_OK)
        return;
    same(a.title, b.title);
    same(a.description, b.description);
    same(a.lang, b.lang);
    same(a.canonical, b.canonical);
    same(a.h1, b.h1);
    same(a.charset, b.charset);
    same(a.text, b.text);
    if (a.words != b.words || a.nlinks != b.nlinks)
        abort();
    for (i = 0; i < a.nlinks; i++) {
        same(a.links[i].url, b.links[i].url);
        if (a.links[i].followable != b.links[i].followable ||
            a.links[i].why != b.links[i].why)
            abort();
    }
    page_release(&a);
    page_release(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct parser *p, *sax, *tree;
    static const char *const types[] = {"text/html",
                                        "text/html; charset=ISO-8859-1",
                                        "text/html; charset=Shift_JIS",
                                        "text/html; charset=UTF-16LE",
                                        "text/html; charset=EUC-KR",
                                        NULL};
    char why[256];
    struct page pg;
    size_t i;

    if (!p) {
        xmlInitParser();
        if (parser_new(&spider, &p, why, sizeof(why)) ||
            parser_new(NULL, &sax, why, sizeof(why)) ||
            parser_new(NULL, &tree, why, sizeof(why)))
            abort();
        parser_use_tree(tree, true);
    }
    if (size == 0)
        return 0;
    compare_passes(sax, tree, (const char *)data + 1, size - 1,
                   types[data[0] % 6]);
    if (parse_page(p, (const char *)data + 1, size - 1, "http://fuzz.test/a/",
                   types[data[0] % 6], &pg) == ERR_OK) {
        page_fingerprint(&pg);
        check(pg.title);
        check(pg.description);
        check(pg.lang);
        check(pg.h1);
        check(pg.canonical);
        for (i = 0; i < pg.nlinks; i++) {
            check(pg.links[i].url);
            if (pg.links[i].followable) {
                char *again = NULL;
                if (url_canon(pg.links[i].url, &again) != ERR_OK ||
                    strcmp(again, pg.links[i].url))
                    abort();
                free(again);
            }
        }
        for (i = 0; i < pg.nvals; i++)
            check(pg.vals[i]);
    }
    page_release(&pg);
    return 0;
}
